//! Execution with incremental delivery (`@defer` / `@stream`), in the "old style" of graphql-js
//! 17.0.0-alpha.2 that yoga 5 emits: an initial `{data, errors?, hasNext}` payload, then
//! `{incremental:[{data,path,label?,errors?} | {items,path,label?,errors?}], hasNext}`.
//!
//! Model: completing a selection produces the JSON for the current payload plus *records* — a
//! deferred fragment, or the next item of a streamed list — each a future that resolves to one
//! incremental entry and possibly more records. The [`IncrementalStream`] polls all record
//! futures; whatever has completed when it is polled (and whose parent record has been sent) goes
//! out together in one payload, in record creation order (as graphql-js does). A record's parent
//! is the payload that must come first: the record holding the object for a deferred fragment, the
//! previous item for a stream item. So a message item always precedes its chunks and its deferred
//! status, and list indices stay contiguous.

use std::collections::{HashMap, HashSet};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::{join_all, BoxFuture};
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, Stream, StreamExt};
use serde_json::{Map, Value as Json};

use super::ast::{
    Directive, Field, FragmentDefinition, OperationDefinition, OperationKind, Selection,
    SelectionSet, Type,
};
use super::error::{errors_to_json, path_to_json, GraphQLError, PathSeg, Pos};
use super::resolved::{BoxStream, FieldError, JsonObject, ObjectSource, Resolved};
use super::schema::{schema, Schema, TypeDef, TypeKind};
use super::values::{argument_values, serialize_leaf};

/// An operation that passed parsing, validation, operation selection and variable coercion.
#[derive(Debug, Clone)]
pub struct PreparedOperation {
    pub operation: Arc<OperationDefinition>,
    pub fragments: HashMap<String, Arc<FragmentDefinition>>,
    /// Coerced variable values.
    pub variables: Map<String, Json>,
}

impl PreparedOperation {
    pub fn kind(&self) -> OperationKind {
        self.operation.kind
    }

    /// Whether executing this operation can produce incremental payloads (an enabled `@defer`
    /// or `@stream` is reachable from the operation). Used for content negotiation before
    /// executing.
    pub fn uses_incremental_delivery(&self) -> bool {
        let mut visited = HashSet::new();
        self.set_uses_incremental(&self.operation.selection_set, &mut visited)
    }

    fn directive_enabled(&self, d: &Directive) -> bool {
        let Some(def) = schema().directives.get(&d.name) else {
            return false;
        };
        match argument_values(schema(), &def.args, &d.arguments, &self.variables, d.pos) {
            Ok(args) => args.get("if") != Some(&Json::Bool(false)),
            Err(_) => false,
        }
    }

    fn set_uses_incremental(&self, set: &SelectionSet, visited: &mut HashSet<String>) -> bool {
        set.items.iter().any(|sel| match sel {
            Selection::Field(f) => {
                f.directives
                    .iter()
                    .any(|d| d.name == "stream" && self.directive_enabled(d))
                    || f.selection_set
                        .as_ref()
                        .is_some_and(|s| self.set_uses_incremental(s, visited))
            }
            Selection::InlineFragment(i) => {
                i.directives
                    .iter()
                    .any(|d| d.name == "defer" && self.directive_enabled(d))
                    || self.set_uses_incremental(&i.selection_set, visited)
            }
            Selection::FragmentSpread(s) => {
                s.directives
                    .iter()
                    .any(|d| d.name == "defer" && self.directive_enabled(d))
                    || (visited.insert(s.name.clone())
                        && self
                            .fragments
                            .get(&s.name)
                            .is_some_and(|f| self.set_uses_incremental(&f.selection_set, visited)))
            }
        })
    }
}

/// One entry of a subsequent payload's `incremental` array.
#[derive(Debug, Clone, PartialEq)]
pub struct IncrementalEntry {
    pub kind: EntryKind,
    pub path: Vec<PathSeg>,
    pub label: Option<String>,
    pub errors: Vec<GraphQLError>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EntryKind {
    /// `{data}`: merge into the object at `path`.
    Defer(Json),
    /// `{items}`: list items; the last path element is the index of the first item. `null`
    /// when a non-null item failed (the stream is then over).
    Stream(Json),
}

impl IncrementalEntry {
    pub fn to_json(&self) -> Json {
        let mut m = Map::new();
        match &self.kind {
            EntryKind::Defer(d) => m.insert("data".into(), d.clone()),
            EntryKind::Stream(i) => m.insert("items".into(), i.clone()),
        };
        m.insert("path".into(), path_to_json(&self.path));
        if let Some(l) = &self.label {
            m.insert("label".into(), Json::String(l.clone()));
        }
        if !self.errors.is_empty() {
            m.insert("errors".into(), errors_to_json(&self.errors));
        }
        Json::Object(m)
    }
}

/// One execution result: a single result (`has_next: None`), the initial payload of an
/// incremental result (`data` set, `has_next: Some(true)`), or a subsequent payload.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExecutionPayload {
    pub errors: Vec<GraphQLError>,
    /// `Some` for single results and initial payloads (possibly `Some(Json::Null)`).
    pub data: Option<Json>,
    pub incremental: Vec<IncrementalEntry>,
    pub has_next: Option<bool>,
}

impl ExecutionPayload {
    /// JSON in the key order yoga writes: `errors`, `data`, `incremental`, `hasNext`.
    pub fn to_json(&self) -> Json {
        let mut m = Map::new();
        if !self.errors.is_empty() {
            m.insert("errors".into(), errors_to_json(&self.errors));
        }
        if let Some(d) = &self.data {
            m.insert("data".into(), d.clone());
        }
        if !self.incremental.is_empty() {
            m.insert(
                "incremental".into(),
                Json::Array(
                    self.incremental
                        .iter()
                        .map(IncrementalEntry::to_json)
                        .collect(),
                ),
            );
        }
        if let Some(h) = self.has_next {
            m.insert("hasNext".into(), Json::Bool(h));
        }
        Json::Object(m)
    }

    pub fn to_json_string(&self) -> String {
        serde_json::to_string(&self.to_json()).expect("JSON serialisation cannot fail")
    }
}

/// Applies a subsequent payload to the merged data, the way a client does (defer entries merge
/// objects at `path`, stream entries write items at `path`'s index). Used to build a single
/// result from an incremental one and by tests.
pub fn apply_incremental(data: &mut Json, payload: &ExecutionPayload) {
    for entry in &payload.incremental {
        match &entry.kind {
            EntryKind::Defer(d) => {
                if let (Some(Json::Object(t)), Json::Object(src)) =
                    (lookup_mut(data, &entry.path), d)
                {
                    for (k, v) in src {
                        merge_value(t.entry(k.clone()).or_insert(Json::Null), v.clone());
                    }
                }
            }
            EntryKind::Stream(Json::Array(items)) => {
                let Some((PathSeg::Index(start), list_path)) = entry.path.split_last() else {
                    continue;
                };
                if let Some(Json::Array(list)) = lookup_mut(data, list_path) {
                    for (k, item) in items.iter().enumerate() {
                        let at = start + k;
                        if at < list.len() {
                            list[at] = item.clone();
                        } else {
                            while list.len() < at {
                                list.push(Json::Null);
                            }
                            list.push(item.clone());
                        }
                    }
                }
            }
            EntryKind::Stream(_) => {}
        }
    }
}

fn merge_value(target: &mut Json, v: Json) {
    match (target, v) {
        (Json::Object(t), Json::Object(s)) => {
            for (k, v) in s {
                merge_value(t.entry(k).or_insert(Json::Null), v);
            }
        }
        (t, v) => *t = v,
    }
}

fn lookup_mut<'a>(data: &'a mut Json, path: &[PathSeg]) -> Option<&'a mut Json> {
    let mut cur = data;
    for seg in path {
        cur = match (seg, cur) {
            (PathSeg::Key(k), Json::Object(m)) => m.get_mut(k)?,
            (PathSeg::Index(i), Json::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

// ---------------------------------------------------------------------------------------------

struct Ctx {
    schema: &'static Schema,
    fragments: HashMap<String, Arc<FragmentDefinition>>,
    variables: Map<String, Json>,
    incremental: bool,
    next_id: AtomicU64,
}

impl Ctx {
    fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }
}

struct NewRecord {
    id: u64,
    parent: Option<u64>,
    fut: BoxFuture<'static, RecordDone>,
}

struct RecordDone {
    entry: Option<IncrementalEntry>,
    children: Vec<NewRecord>,
}

/// Result of completing a value: `value: None` means a null that propagates to the parent.
struct Out {
    value: Option<Json>,
    errors: Vec<GraphQLError>,
    records: Vec<NewRecord>,
}

impl Out {
    fn value(v: Json) -> Out {
        Out {
            value: Some(v),
            errors: vec![],
            records: vec![],
        }
    }
    fn error(e: GraphQLError) -> Out {
        Out {
            value: None,
            errors: vec![e],
            records: vec![],
        }
    }
}

#[derive(Clone, Copy)]
struct FieldInfo {
    parent: &'static str,
    field: &'static str,
}

type FieldNodes = Arc<Vec<Arc<Field>>>;
type Groups = Vec<(String, Vec<Arc<Field>>)>;

struct Patch {
    label: Option<String>,
    groups: Groups,
}

fn locations(fields: &[Arc<Field>]) -> Vec<Pos> {
    fields.iter().map(|f| f.pos).collect()
}

fn field_error(e: FieldError, fields: &[Arc<Field>], path: &[PathSeg]) -> GraphQLError {
    GraphQLError {
        message: e.message,
        locations: locations(fields),
        path: Some(path.to_vec()),
        extensions: e.extensions,
    }
}

fn child_path(path: &[PathSeg], seg: PathSeg) -> Vec<PathSeg> {
    let mut p = path.to_vec();
    p.push(seg);
    p
}

/// Result of [`execute`]: the first (or only) payload and, for incremental results, the stream
/// of subsequent payloads.
pub struct ExecutionOutput {
    pub initial: ExecutionPayload,
    pub subsequent: Option<IncrementalStream>,
}

/// Executes a prepared operation against a root object.
///
/// With `incremental == false`, `@defer` and `@stream` are ignored: everything is awaited and the
/// result is a single payload with the deferred/streamed data in place.
pub async fn execute(
    op: &PreparedOperation,
    mut root: Box<dyn ObjectSource>,
    incremental: bool,
) -> ExecutionOutput {
    let s = schema();
    let ctx = Arc::new(Ctx {
        schema: s,
        fragments: op.fragments.clone(),
        variables: op.variables.clone(),
        incremental,
        next_id: AtomicU64::new(1),
    });
    let Some(root_type) = s.root_type(op.operation.kind) else {
        let e = GraphQLError::new(format!(
            "Schema is not configured to execute {} operation.",
            op.operation.kind.as_str()
        ))
        .at(op.operation.pos);
        return ExecutionOutput {
            initial: ExecutionPayload {
                errors: vec![e],
                ..Default::default()
            },
            subsequent: None,
        };
    };
    let serial = op.operation.kind == OperationKind::Mutation;
    let out = execute_selection(
        ctx,
        root_type,
        vec![op.operation.selection_set.clone()],
        &mut *root,
        vec![],
        None,
        serial,
    )
    .await;
    drop(root);
    let data = out.value.unwrap_or(Json::Null);
    if out.records.is_empty() {
        return ExecutionOutput {
            initial: ExecutionPayload {
                errors: out.errors,
                data: Some(data),
                incremental: vec![],
                has_next: None,
            },
            subsequent: None,
        };
    }
    ExecutionOutput {
        initial: ExecutionPayload {
            errors: out.errors,
            data: Some(data),
            incremental: vec![],
            has_next: Some(true),
        },
        subsequent: Some(IncrementalStream::new(out.records)),
    }
}

fn directive_args(ctx: &Ctx, d: &Directive) -> Option<Map<String, Json>> {
    let def = ctx.schema.directives.get(&d.name)?;
    argument_values(ctx.schema, &def.args, &d.arguments, &ctx.variables, d.pos).ok()
}

fn should_include(ctx: &Ctx, directives: &[Directive]) -> bool {
    for d in directives {
        let flag = || directive_args(ctx, d).and_then(|a| a.get("if").and_then(Json::as_bool));
        match d.name.as_str() {
            "skip" if flag() == Some(true) => return false,
            "include" if flag() == Some(false) => return false,
            _ => {}
        }
    }
    true
}

/// `Some(label)` when the fragment is to be deferred.
fn defer_values(ctx: &Ctx, directives: &[Directive]) -> Option<Option<String>> {
    if !ctx.incremental {
        return None;
    }
    let d = directives.iter().find(|d| d.name == "defer")?;
    let args = directive_args(ctx, d)?;
    if args.get("if") == Some(&Json::Bool(false)) {
        return None;
    }
    Some(args.get("label").and_then(Json::as_str).map(str::to_string))
}

fn collect_fields(
    ctx: &Ctx,
    obj: &TypeDef,
    set: &SelectionSet,
    groups: &mut Groups,
    patches: &mut Vec<Patch>,
    visited: &mut HashSet<String>,
) {
    for sel in &set.items {
        match sel {
            Selection::Field(f) => {
                if !should_include(ctx, &f.directives) {
                    continue;
                }
                let key = f.response_key();
                match groups.iter_mut().find(|(k, _)| k == key) {
                    Some((_, v)) => v.push(f.clone()),
                    None => groups.push((key.to_string(), vec![f.clone()])),
                }
            }
            Selection::InlineFragment(fr) => {
                if !should_include(ctx, &fr.directives) {
                    continue;
                }
                if let Some(c) = &fr.type_condition {
                    if !ctx.schema.fragment_condition_matches(c, &obj.name) {
                        continue;
                    }
                }
                match defer_values(ctx, &fr.directives) {
                    Some(label) => {
                        let mut patch_groups = Groups::new();
                        collect_fields(
                            ctx,
                            obj,
                            &fr.selection_set,
                            &mut patch_groups,
                            patches,
                            visited,
                        );
                        patches.push(Patch {
                            label,
                            groups: patch_groups,
                        });
                    }
                    None => collect_fields(ctx, obj, &fr.selection_set, groups, patches, visited),
                }
            }
            Selection::FragmentSpread(sp) => {
                if !should_include(ctx, &sp.directives) {
                    continue;
                }
                let defer = defer_values(ctx, &sp.directives);
                if defer.is_none() && visited.contains(&sp.name) {
                    continue;
                }
                let Some(fd) = ctx.fragments.get(&sp.name).cloned() else {
                    continue;
                };
                if !ctx
                    .schema
                    .fragment_condition_matches(&fd.type_condition, &obj.name)
                {
                    continue;
                }
                match defer {
                    Some(label) => {
                        let mut patch_groups = Groups::new();
                        collect_fields(
                            ctx,
                            obj,
                            &fd.selection_set,
                            &mut patch_groups,
                            patches,
                            visited,
                        );
                        patches.push(Patch {
                            label,
                            groups: patch_groups,
                        });
                    }
                    None => {
                        visited.insert(sp.name.clone());
                        collect_fields(ctx, obj, &fd.selection_set, groups, patches, visited);
                    }
                }
            }
        }
    }
}

/// Collects the sub-selection for `obj`, resolves every field on `src` now (deferred ones too),
/// and returns the completion of the non-deferred part; deferred fragments become records.
fn execute_selection(
    ctx: Arc<Ctx>,
    obj: &'static TypeDef,
    sets: Vec<Arc<SelectionSet>>,
    src: &mut dyn ObjectSource,
    path: Vec<PathSeg>,
    record: Option<u64>,
    serial: bool,
) -> BoxFuture<'static, Out> {
    let mut groups = Groups::new();
    let mut patches = Vec::new();
    let mut visited = HashSet::new();
    for s in &sets {
        collect_fields(&ctx, obj, s, &mut groups, &mut patches, &mut visited);
    }
    let main = execute_fields(ctx.clone(), obj, src, groups, path.clone(), record, serial);
    let defers: Vec<NewRecord> = patches
        .into_iter()
        .map(|p| {
            let id = ctx.next_id();
            let fut = execute_fields(
                ctx.clone(),
                obj,
                src,
                p.groups,
                path.clone(),
                Some(id),
                false,
            );
            let path = path.clone();
            let label = p.label;
            NewRecord {
                id,
                parent: record,
                fut: async move {
                    let out = fut.await;
                    RecordDone {
                        entry: Some(IncrementalEntry {
                            kind: EntryKind::Defer(out.value.unwrap_or(Json::Null)),
                            path,
                            label,
                            errors: out.errors,
                        }),
                        children: out.records,
                    }
                }
                .boxed(),
            }
        })
        .collect();
    async move {
        let mut out = main.await;
        if out.value.is_some() {
            out.records.extend(defers);
        }
        out
    }
    .boxed()
}

fn execute_fields(
    ctx: Arc<Ctx>,
    obj: &'static TypeDef,
    src: &mut dyn ObjectSource,
    groups: Groups,
    path: Vec<PathSeg>,
    record: Option<u64>,
    serial: bool,
) -> BoxFuture<'static, Out> {
    let mut items: Vec<(String, BoxFuture<'static, Out>)> = Vec::new();
    for (key, nodes) in groups {
        let first = nodes[0].clone();
        let fpath = child_path(&path, PathSeg::Key(key.clone()));
        if first.name == "__typename" {
            let tn = src.typename().to_string();
            items.push((
                key,
                futures_util::future::ready(Out::value(Json::String(tn))).boxed(),
            ));
            continue;
        }
        let Some(fdef) = obj.field(&first.name) else {
            continue;
        };
        let info = FieldInfo {
            parent: &obj.name,
            field: &fdef.name,
        };
        let resolved = match argument_values(
            ctx.schema,
            &fdef.args,
            &first.arguments,
            &ctx.variables,
            first.pos,
        ) {
            Ok(args) => src.field(&first.name, &args),
            Err(e) => Resolved::Error(FieldError {
                message: e.message,
                extensions: None,
            }),
        };
        let nodes: FieldNodes = Arc::new(nodes);
        items.push((
            key,
            complete_catching(ctx.clone(), &fdef.ty, info, nodes, fpath, resolved, record),
        ));
    }
    async move {
        let mut outs = Vec::with_capacity(items.len());
        let keys: Vec<String> = items.iter().map(|(k, _)| k.clone()).collect();
        if serial {
            for (_, f) in items {
                outs.push(f.await);
            }
        } else {
            outs = join_all(items.into_iter().map(|(_, f)| f)).await;
        }
        let mut map = Map::new();
        let mut errors = Vec::new();
        let mut records = Vec::new();
        let mut null = false;
        for (key, out) in keys.into_iter().zip(outs) {
            errors.extend(out.errors);
            match out.value {
                Some(v) => {
                    map.insert(key, v);
                    records.extend(out.records);
                }
                None => null = true,
            }
        }
        if null {
            Out {
                value: None,
                errors,
                records: vec![],
            }
        } else {
            Out {
                value: Some(Json::Object(map)),
                errors,
                records,
            }
        }
    }
    .boxed()
}

/// Completes a field or list item value and applies the error boundary: a propagated null stops
/// here when the position is nullable.
fn complete_catching(
    ctx: Arc<Ctx>,
    ty: &'static Type,
    info: FieldInfo,
    fields: FieldNodes,
    path: Vec<PathSeg>,
    resolved: Resolved,
    record: Option<u64>,
) -> BoxFuture<'static, Out> {
    let fut = complete_value(ctx, ty, info, fields, path, resolved, record);
    async move {
        let mut out = fut.await;
        if out.value.is_none() && !ty.is_non_null() {
            out.value = Some(Json::Null);
            out.records.clear();
        }
        out
    }
    .boxed()
}

fn complete_value(
    ctx: Arc<Ctx>,
    ty: &'static Type,
    info: FieldInfo,
    fields: FieldNodes,
    path: Vec<PathSeg>,
    resolved: Resolved,
    record: Option<u64>,
) -> BoxFuture<'static, Out> {
    async move {
        let mut resolved = resolved;
        while let Resolved::Pending(f) = resolved {
            resolved = f.await;
        }
        if let Resolved::Error(e) = resolved {
            return Out::error(field_error(e, &fields, &path));
        }
        match ty {
            Type::NonNull(inner) => {
                let mut out = complete_value(
                    ctx,
                    inner,
                    info,
                    fields.clone(),
                    path.clone(),
                    resolved,
                    record,
                )
                .await;
                if out.value == Some(Json::Null) {
                    out.errors.push(
                        GraphQLError::new(format!(
                            "Cannot return null for non-nullable field {}.{}.",
                            info.parent, info.field
                        ))
                        .with_locations(locations(&fields))
                        .with_path(path),
                    );
                    out.value = None;
                    out.records.clear();
                }
                out
            }
            _ if matches!(resolved, Resolved::Null | Resolved::Leaf(Json::Null)) => {
                Out::value(Json::Null)
            }
            Type::List(inner) => {
                complete_list(ctx, inner, info, fields, path, resolved, record).await
            }
            Type::Named(name) => {
                let t = ctx.schema.ty(name);
                if t.is_leaf() {
                    return match resolved {
                        Resolved::Leaf(v) => match serialize_leaf(t, &v) {
                            Ok(v) => Out::value(v),
                            Err(msg) => {
                                Out::error(field_error(FieldError::new(msg), &fields, &path))
                            }
                        },
                        other => Out::error(field_error(
                            FieldError::new(format!(
                                "Expected a value of type \"{}\" for field \"{}.{}\", got {:?}.",
                                t.name, info.parent, info.field, other
                            )),
                            &fields,
                            &path,
                        )),
                    };
                }
                complete_composite(ctx, t, info, fields, path, resolved, record).await
            }
        }
    }
    .boxed()
}

async fn complete_composite(
    ctx: Arc<Ctx>,
    t: &'static TypeDef,
    info: FieldInfo,
    fields: FieldNodes,
    path: Vec<PathSeg>,
    resolved: Resolved,
    record: Option<u64>,
) -> Out {
    let mut src: Box<dyn ObjectSource> = match resolved {
        Resolved::Object(o) => o,
        Resolved::Leaf(Json::Object(map)) => {
            let typename = match map.get("__typename").and_then(Json::as_str) {
                Some(n) => n.to_string(),
                None => t.name.clone(),
            };
            Box::new(JsonObject { typename, map })
        }
        other => {
            return Out::error(field_error(
                FieldError::new(format!(
                    "Expected an object of type \"{}\" for field \"{}.{}\", got {:?}.",
                    t.name, info.parent, info.field, other
                )),
                &fields,
                &path,
            ))
        }
    };
    let runtime = src.typename().to_string();
    let rt = match ctx.schema.get(&runtime) {
        Some(rt) if rt.kind == TypeKind::Object => rt,
        _ => {
            return Out::error(field_error(
                FieldError::new(format!(
                    "Abstract type \"{}\" must resolve to an Object type at runtime for field \"{}.{}\". Received \"{}\".",
                    t.name, info.parent, info.field, runtime
                )),
                &fields,
                &path,
            ))
        }
    };
    if rt.name != t.name && !(t.is_abstract() && ctx.schema.is_possible_type(t, &rt.name)) {
        let msg = if t.is_abstract() {
            format!(
                "Runtime Object type \"{}\" is not a possible type for \"{}\".",
                rt.name, t.name
            )
        } else {
            format!(
                "Expected value of type \"{}\" but got an object of type \"{}\".",
                t.name, rt.name
            )
        };
        return Out::error(field_error(FieldError::new(msg), &fields, &path));
    }
    let sets: Vec<Arc<SelectionSet>> = fields
        .iter()
        .filter_map(|f| f.selection_set.clone())
        .collect();
    let fut = execute_selection(ctx, rt, sets, &mut *src, path, record, false);
    // Unselected values (e.g. a stream nobody asked for) are released now.
    drop(src);
    fut.await
}

/// `@stream` arguments of a field (from its first node): `(initialCount, label)`.
fn stream_values(ctx: &Ctx, field: &Field) -> Result<Option<(usize, Option<String>)>, String> {
    if !ctx.incremental {
        return Ok(None);
    }
    let Some(d) = field.directives.iter().find(|d| d.name == "stream") else {
        return Ok(None);
    };
    let Some(args) = directive_args(ctx, d) else {
        return Ok(None);
    };
    if args.get("if") == Some(&Json::Bool(false)) {
        return Ok(None);
    }
    let initial = args.get("initialCount").and_then(Json::as_i64).unwrap_or(0);
    if initial < 0 {
        return Err("initialCount must be a positive integer".into());
    }
    Ok(Some((
        initial as usize,
        args.get("label").and_then(Json::as_str).map(str::to_string),
    )))
}

async fn complete_items(
    ctx: &Arc<Ctx>,
    inner: &'static Type,
    info: FieldInfo,
    fields: &FieldNodes,
    path: &[PathSeg],
    items: Vec<(usize, Resolved)>,
    record: Option<u64>,
) -> Out {
    let outs = join_all(items.into_iter().map(|(i, r)| {
        complete_catching(
            ctx.clone(),
            inner,
            info,
            fields.clone(),
            child_path(path, PathSeg::Index(i)),
            r,
            record,
        )
    }))
    .await;
    let mut list = Vec::with_capacity(outs.len());
    let mut errors = Vec::new();
    let mut records = Vec::new();
    let mut null = false;
    for out in outs {
        errors.extend(out.errors);
        match out.value {
            Some(v) => {
                list.push(v);
                records.extend(out.records);
            }
            None => null = true,
        }
    }
    if null {
        Out {
            value: None,
            errors,
            records: vec![],
        }
    } else {
        Out {
            value: Some(Json::Array(list)),
            errors,
            records,
        }
    }
}

async fn complete_list(
    ctx: Arc<Ctx>,
    inner: &'static Type,
    info: FieldInfo,
    fields: FieldNodes,
    path: Vec<PathSeg>,
    resolved: Resolved,
    record: Option<u64>,
) -> Out {
    let stream = match stream_values(&ctx, &fields[0]) {
        Ok(s) => s,
        Err(msg) => return Out::error(field_error(FieldError::new(msg), &fields, &path)),
    };
    enum Source {
        Items(Vec<Resolved>),
        Stream(BoxStream<Resolved>),
    }
    let source = match resolved {
        Resolved::List(items) => Source::Items(items),
        Resolved::Leaf(Json::Array(a)) => {
            Source::Items(a.into_iter().map(Resolved::from).collect())
        }
        Resolved::Stream(s) => Source::Stream(s),
        _ => {
            return Out::error(field_error(
                FieldError::new(format!(
                    "Expected Iterable, but did not find one for field \"{}.{}\".",
                    info.parent, info.field
                )),
                &fields,
                &path,
            ))
        }
    };
    match (source, stream) {
        (Source::Items(items), None) => {
            complete_items(
                &ctx,
                inner,
                info,
                &fields,
                &path,
                items.into_iter().enumerate().collect(),
                record,
            )
            .await
        }
        (Source::Stream(s), None) => {
            let items: Vec<Resolved> = s.collect().await;
            complete_items(
                &ctx,
                inner,
                info,
                &fields,
                &path,
                items.into_iter().enumerate().collect(),
                record,
            )
            .await
        }
        (Source::Items(items), Some((initial, label))) => {
            let mut items: Vec<(usize, Resolved)> = items.into_iter().enumerate().collect();
            let rest = items.split_off(initial.min(items.len()));
            let mut out = complete_items(&ctx, inner, info, &fields, &path, items, record).await;
            if out.value.is_some() {
                let mut parent = record;
                for (i, item) in rest {
                    let rec = item_record(
                        ctx.clone(),
                        inner,
                        info,
                        fields.clone(),
                        child_path(&path, PathSeg::Index(i)),
                        label.clone(),
                        item,
                        parent,
                    );
                    parent = Some(rec.id);
                    out.records.push(rec);
                }
            }
            out
        }
        (Source::Stream(mut s), Some((initial, label))) => {
            let mut first = Vec::new();
            let mut ended = false;
            while first.len() < initial {
                match s.next().await {
                    Some(item) => first.push((first.len(), item)),
                    None => {
                        ended = true;
                        break;
                    }
                }
            }
            let next_index = first.len();
            let mut out = complete_items(&ctx, inner, info, &fields, &path, first, record).await;
            if out.value.is_some() && !ended {
                out.records.push(stream_record(
                    ctx, inner, info, fields, path, next_index, label, s, record,
                ));
            }
            out
        }
    }
}

/// A record for one already-known item of a `@stream`ed list.
#[allow(clippy::too_many_arguments)]
fn item_record(
    ctx: Arc<Ctx>,
    inner: &'static Type,
    info: FieldInfo,
    fields: FieldNodes,
    item_path: Vec<PathSeg>,
    label: Option<String>,
    item: Resolved,
    parent: Option<u64>,
) -> NewRecord {
    let id = ctx.next_id();
    let fut = async move {
        let out =
            complete_catching(ctx, inner, info, fields, item_path.clone(), item, Some(id)).await;
        let items = match out.value {
            Some(v) => Json::Array(vec![v]),
            None => Json::Null,
        };
        RecordDone {
            entry: Some(IncrementalEntry {
                kind: EntryKind::Stream(items),
                path: item_path,
                label,
                errors: out.errors,
            }),
            children: out.records,
        }
    };
    NewRecord {
        id,
        parent,
        fut: fut.boxed(),
    }
}

/// A record for the next item of a `@stream`ed async list: waits for the item, completes it and
/// hands the rest of the stream to the next record.
#[allow(clippy::too_many_arguments)]
fn stream_record(
    ctx: Arc<Ctx>,
    inner: &'static Type,
    info: FieldInfo,
    fields: FieldNodes,
    list_path: Vec<PathSeg>,
    index: usize,
    label: Option<String>,
    mut stream: BoxStream<Resolved>,
    parent: Option<u64>,
) -> NewRecord {
    let id = ctx.next_id();
    let fut = async move {
        let Some(item) = stream.next().await else {
            return RecordDone {
                entry: None,
                children: vec![],
            };
        };
        let item_path = child_path(&list_path, PathSeg::Index(index));
        let out = complete_catching(
            ctx.clone(),
            inner,
            info,
            fields.clone(),
            item_path.clone(),
            item,
            Some(id),
        )
        .await;
        match out.value {
            None => RecordDone {
                entry: Some(IncrementalEntry {
                    kind: EntryKind::Stream(Json::Null),
                    path: item_path,
                    label,
                    errors: out.errors,
                }),
                children: vec![],
            },
            Some(v) => {
                let mut children = out.records;
                children.push(stream_record(
                    ctx,
                    inner,
                    info,
                    fields,
                    list_path,
                    index + 1,
                    label.clone(),
                    stream,
                    Some(id),
                ));
                RecordDone {
                    entry: Some(IncrementalEntry {
                        kind: EntryKind::Stream(Json::Array(vec![v])),
                        path: item_path,
                        label,
                        errors: out.errors,
                    }),
                    children,
                }
            }
        }
    };
    NewRecord {
        id,
        parent,
        fut: fut.boxed(),
    }
}

// ---------------------------------------------------------------------------------------------

struct RecState {
    id: u64,
    parent: Option<u64>,
    done: Option<Option<IncrementalEntry>>,
}

/// The subsequent payloads of an incremental result. Dropping it drops every pending resolver
/// future and stream.
pub struct IncrementalStream {
    pending: FuturesUnordered<BoxFuture<'static, (u64, RecordDone)>>,
    records: Vec<RecState>,
    sent: HashSet<u64>,
    finished: bool,
}

impl IncrementalStream {
    fn new(records: Vec<NewRecord>) -> Self {
        let mut s = IncrementalStream {
            pending: FuturesUnordered::new(),
            records: Vec::new(),
            sent: HashSet::new(),
            finished: false,
        };
        s.add(records);
        s
    }

    fn add(&mut self, records: Vec<NewRecord>) {
        for r in records {
            self.records.push(RecState {
                id: r.id,
                parent: r.parent,
                done: None,
            });
            let id = r.id;
            let fut = r.fut;
            self.pending.push(async move { (id, fut.await) }.boxed());
        }
    }
}

impl Stream for IncrementalStream {
    type Item = ExecutionPayload;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ExecutionPayload>> {
        let this = &mut *self;
        loop {
            if this.finished {
                return Poll::Ready(None);
            }
            // Take in everything that is ready now. FuturesUnordered may yield (Pending) for
            // fairness while futures are still ready; poll again until a round completes nothing.
            let mut progressed = false;
            loop {
                match this.pending.poll_next_unpin(cx) {
                    Poll::Ready(Some((id, done))) => {
                        progressed = true;
                        if let Some(r) = this.records.iter_mut().find(|r| r.id == id) {
                            r.done = Some(done.entry);
                        }
                        this.add(done.children);
                    }
                    Poll::Ready(None) => break,
                    Poll::Pending if progressed => progressed = false,
                    Poll::Pending => break,
                }
            }
            // Release completed records whose parent went out already (or goes out now).
            let mut batch = Vec::new();
            let mut released = false;
            let mut i = 0;
            while i < this.records.len() {
                let r = &this.records[i];
                let parent_ok = r.parent.is_none_or(|p| this.sent.contains(&p));
                if r.done.is_some() && parent_ok {
                    let r = this.records.remove(i);
                    this.sent.insert(r.id);
                    released = true;
                    if let Some(Some(entry)) = r.done {
                        batch.push(entry);
                    }
                } else {
                    i += 1;
                }
            }
            let has_next = !this.records.is_empty();
            if !batch.is_empty() || !has_next {
                if !has_next {
                    this.finished = true;
                }
                return Poll::Ready(Some(ExecutionPayload {
                    errors: vec![],
                    data: None,
                    incremental: batch,
                    has_next: Some(has_next),
                }));
            }
            if !released {
                return Poll::Pending;
            }
        }
    }
}
