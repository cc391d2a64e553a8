//! Document validation: the graphql-js 16 `specifiedRules` that matter for a fixed schema, plus
//! the defer/stream rules of yoga's plugin. Messages follow graphql-js wording; every error gets
//! `extensions.code = GRAPHQL_VALIDATION_FAILED` (yoga adds it).
//!
//! Implemented: ExecutableDefinitions, UniqueOperationNames, LoneAnonymousOperation,
//! KnownTypeNames, FragmentsOnCompositeTypes, VariablesAreInputTypes, ScalarLeafs,
//! FieldsOnCorrectType, UniqueFragmentNames, KnownFragmentNames, NoUnusedFragments,
//! PossibleFragmentSpreads, NoFragmentCycles, UniqueVariableNames, NoUndefinedVariables,
//! NoUnusedVariables, KnownDirectives, UniqueDirectivesPerLocation, KnownArgumentNames,
//! UniqueArgumentNames, ValuesOfCorrectType, ProvidedRequiredArguments,
//! VariablesInAllowedPosition, UniqueInputFieldNames, a same-level OverlappingFieldsCanBeMerged,
//! DeferStreamDirectiveOnRootField, DeferStreamDirectiveLabel, StreamDirectiveOnListField, and
//! "introspection disabled" for `__schema`/`__type` (introspection is not served).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::ast::*;
use super::error::{GraphQLError, Pos};
use super::schema::{Schema, TypeDef, TypeKind};
use super::values::{did_you_mean, natural_compare, parse_leaf_literal, suggestion_list};

pub const VALIDATION_CODE: &str = "GRAPHQL_VALIDATION_FAILED";

struct VarUsage {
    name: String,
    pos: Pos,
    ty: Type,
    has_location_default: bool,
}

struct Validator<'a> {
    schema: &'a Schema,
    doc: &'a Document,
    fragments: HashMap<&'a str, &'a FragmentDefinition>,
    errors: Vec<GraphQLError>,
    /// Variable usages collected while walking the current definition.
    usages: Vec<VarUsage>,
    /// Fragment spreads seen while walking the current definition.
    spreads: Vec<String>,
    labels: Vec<(String, Pos)>,
    root_kind: Option<OperationKind>,
}

pub fn validate(schema: &Schema, doc: &Document) -> Vec<GraphQLError> {
    let mut fragments = HashMap::new();
    for f in doc.fragments() {
        fragments.entry(f.name.as_str()).or_insert(f.as_ref());
    }
    let mut v = Validator {
        schema,
        doc,
        fragments,
        errors: Vec::new(),
        usages: Vec::new(),
        spreads: Vec::new(),
        labels: Vec::new(),
        root_kind: None,
    };
    v.run();
    v.errors
        .into_iter()
        .map(|e| e.with_code(VALIDATION_CODE))
        .collect()
}

fn type_str(t: &Type) -> String {
    t.to_string()
}

impl<'a> Validator<'a> {
    fn err(&mut self, msg: impl Into<String>, locs: &[Pos]) {
        self.errors
            .push(GraphQLError::new(msg).with_locations(locs.iter().copied()));
    }

    fn run(&mut self) {
        let doc = self.doc;
        let op_count = doc.operations().count();
        let mut op_names: HashMap<&str, Pos> = HashMap::new();
        let mut frag_names: HashMap<&str, Pos> = HashMap::new();
        // Per-fragment variable usages and spreads (computed once).
        let mut frag_usages: HashMap<String, Vec<VarUsage>> = HashMap::new();
        let mut frag_spreads: HashMap<String, Vec<String>> = HashMap::new();
        let mut op_data: Vec<(Arc<OperationDefinition>, Vec<VarUsage>, Vec<String>)> = Vec::new();

        for def in &doc.definitions {
            match def {
                Definition::TypeSystem(t) => {
                    self.err(
                        format!("The {} definition is not executable.", t.display_name()),
                        &[t.pos()],
                    );
                }
                Definition::Operation(op) => {
                    if let Some(n) = &op.name {
                        if let Some(first) = op_names.get(n.as_str()) {
                            let first = *first;
                            self.err(
                                format!("There can be only one operation named \"{n}\"."),
                                &[first, op.pos],
                            );
                        } else {
                            op_names.insert(n, op.pos);
                        }
                    } else if op_count > 1 {
                        self.err(
                            "This anonymous operation must be the only defined operation.",
                            &[op.pos],
                        );
                    }
                    self.usages.clear();
                    self.spreads.clear();
                    self.operation(op);
                    op_data.push((
                        op.clone(),
                        std::mem::take(&mut self.usages),
                        std::mem::take(&mut self.spreads),
                    ));
                }
                Definition::Fragment(f) => {
                    if let Some(first) = frag_names.get(f.name.as_str()) {
                        let first = *first;
                        self.err(
                            format!("There can be only one fragment named \"{}\".", f.name),
                            &[first, f.name_pos],
                        );
                        continue;
                    }
                    frag_names.insert(&f.name, f.name_pos);
                    self.usages.clear();
                    self.spreads.clear();
                    self.root_kind = None;
                    self.fragment_definition(f);
                    frag_usages.insert(f.name.clone(), std::mem::take(&mut self.usages));
                    frag_spreads.insert(f.name.clone(), std::mem::take(&mut self.spreads));
                }
            }
        }

        // NoFragmentCycles.
        self.fragment_cycles(&frag_spreads);

        // Per operation: variables through the fragments it reaches.
        let mut used_fragments: HashSet<String> = HashSet::new();
        for (op, usages, spreads) in &op_data {
            let reachable = reachable_fragments(spreads, &frag_spreads);
            let mut all: Vec<&VarUsage> = usages.iter().collect();
            for f in &reachable {
                if let Some(u) = frag_usages.get(f) {
                    all.extend(u.iter());
                }
            }
            used_fragments.extend(reachable);
            self.operation_variables(op, &all);
        }

        // NoUnusedFragments.
        for f in doc.fragments() {
            if !used_fragments.contains(&f.name) {
                self.err(format!("Fragment \"{}\" is never used.", f.name), &[f.pos]);
            }
        }
    }

    fn fragment_cycles(&mut self, spreads: &HashMap<String, Vec<String>>) {
        let mut visited: HashSet<String> = HashSet::new();
        for f in self.doc.fragments() {
            let mut stack: Vec<String> = Vec::new();
            self.detect_cycle(&f.name, spreads, &mut visited, &mut stack);
        }
    }

    fn detect_cycle(
        &mut self,
        name: &str,
        spreads: &HashMap<String, Vec<String>>,
        visited: &mut HashSet<String>,
        stack: &mut Vec<String>,
    ) {
        if !visited.insert(name.to_string()) {
            return;
        }
        stack.push(name.to_string());
        for s in spreads.get(name).cloned().unwrap_or_default() {
            if let Some(idx) = stack.iter().position(|x| *x == s) {
                let via: Vec<String> = stack[idx + 1..]
                    .iter()
                    .map(|x| format!("\"{x}\""))
                    .collect();
                let pos = self
                    .fragments
                    .get(s.as_str())
                    .map(|f| f.pos)
                    .unwrap_or_default();
                let msg = if via.is_empty() {
                    format!("Cannot spread fragment \"{s}\" within itself.")
                } else {
                    format!(
                        "Cannot spread fragment \"{s}\" within itself via {}.",
                        via.join(", ")
                    )
                };
                self.err(msg, &[pos]);
            } else if self.fragments.contains_key(s.as_str()) {
                self.detect_cycle(&s, spreads, visited, stack);
            }
        }
        stack.pop();
    }

    fn operation_variables(&mut self, op: &OperationDefinition, usages: &[&VarUsage]) {
        let op_name = op.name.as_deref();
        let mut seen: HashSet<&str> = HashSet::new();
        for u in usages {
            let Some(def) = op.variables.iter().find(|d| d.name == u.name) else {
                if seen.insert(u.name.as_str()) {
                    let msg = match op_name {
                        Some(n) => format!(
                            "Variable \"${}\" is not defined by operation \"{n}\".",
                            u.name
                        ),
                        None => format!("Variable \"${}\" is not defined.", u.name),
                    };
                    self.err(msg, &[u.pos, op.pos]);
                }
                continue;
            };
            // VariablesInAllowedPosition.
            let Some(t) = self.schema.get(def.ty.named_type()) else {
                continue;
            };
            if !t.is_input() {
                continue;
            }
            let has_non_null_default = def
                .default_value
                .as_ref()
                .is_some_and(|d| d.kind != ValueKind::Null);
            let allowed = if u.ty.is_non_null() && !def.ty.is_non_null() {
                (has_non_null_default || u.has_location_default)
                    && self.schema.is_type_sub_type_of(&def.ty, u.ty.nullable())
            } else {
                self.schema.is_type_sub_type_of(&def.ty, &u.ty)
            };
            if !allowed {
                self.err(
                    format!(
                        "Variable \"${}\" of type \"{}\" used in position expecting type \"{}\".",
                        u.name,
                        type_str(&def.ty),
                        type_str(&u.ty)
                    ),
                    &[def.pos, u.pos],
                );
            }
        }
        for def in &op.variables {
            if !usages.iter().any(|u| u.name == def.name) {
                let msg = match op_name {
                    Some(n) => format!(
                        "Variable \"${}\" is never used in operation \"{n}\".",
                        def.name
                    ),
                    None => format!("Variable \"${}\" is never used.", def.name),
                };
                self.err(msg, &[def.pos]);
            }
        }
    }

    fn operation(&mut self, op: &OperationDefinition) {
        self.root_kind = Some(op.kind);
        let loc = match op.kind {
            OperationKind::Query => "QUERY",
            OperationKind::Mutation => "MUTATION",
            OperationKind::Subscription => "SUBSCRIPTION",
        };
        self.directives(&op.directives, loc);
        let mut var_names: HashMap<&str, Pos> = HashMap::new();
        for def in &op.variables {
            if let Some(first) = var_names.get(def.name.as_str()) {
                let first = *first;
                self.err(
                    format!("There can be only one variable named \"${}\".", def.name),
                    &[first, def.pos],
                );
            } else {
                var_names.insert(&def.name, def.pos);
            }
            let named = def.ty.named_type();
            match self.schema.get(named) {
                None => {
                    let sugg = self.type_suggestions(named);
                    self.err(
                        format!("Unknown type \"{named}\".{}", did_you_mean(None, &sugg)),
                        &[def.type_pos],
                    );
                }
                Some(t) if !t.is_input() => {
                    self.err(
                        format!(
                            "Variable \"${}\" cannot be non-input type \"{}\".",
                            def.name,
                            type_str(&def.ty)
                        ),
                        &[def.type_pos],
                    );
                }
                Some(_) => {
                    if let Some(d) = &def.default_value {
                        self.literal(d, &def.ty);
                    }
                }
            }
            self.directives(&def.directives, "VARIABLE_DEFINITION");
        }
        let root = self.schema.root_type(op.kind).cloned();
        if let Some(root) = root {
            self.selection_set(&op.selection_set, Some(&root));
        } else {
            self.selection_set(&op.selection_set, None);
        }
        self.root_kind = None;
    }

    fn fragment_definition(&mut self, f: &FragmentDefinition) {
        self.directives(&f.directives, "FRAGMENT_DEFINITION");
        let t = match self.schema.get(&f.type_condition) {
            None => {
                let sugg = self.type_suggestions(&f.type_condition);
                self.err(
                    format!(
                        "Unknown type \"{}\".{}",
                        f.type_condition,
                        did_you_mean(None, &sugg)
                    ),
                    &[f.type_condition_pos],
                );
                None
            }
            Some(t) if !t.is_composite() => {
                self.err(
                    format!(
                        "Fragment \"{}\" cannot condition on non composite type \"{}\".",
                        f.name, f.type_condition
                    ),
                    &[f.type_condition_pos],
                );
                None
            }
            Some(t) => Some(t.clone()),
        };
        self.selection_set(&f.selection_set, t.as_ref());
    }

    fn type_suggestions(&self, name: &str) -> Vec<String> {
        let mut names: Vec<&str> = self.schema.types.keys().map(String::as_str).collect();
        names.sort();
        suggestion_list(name, names)
    }

    fn selection_set(&mut self, set: &SelectionSet, parent: Option<&TypeDef>) {
        for sel in &set.items {
            match sel {
                Selection::Field(f) => self.field(f, parent),
                Selection::InlineFragment(fr) => {
                    self.directives(&fr.directives, "INLINE_FRAGMENT");
                    self.defer_checks(&fr.directives, parent);
                    let cond = match &fr.type_condition {
                        None => parent.cloned(),
                        Some(c) => match self.schema.get(c) {
                            None => {
                                let sugg = self.type_suggestions(c);
                                self.err(
                                    format!("Unknown type \"{c}\".{}", did_you_mean(None, &sugg)),
                                    &[fr.type_condition_pos],
                                );
                                None
                            }
                            Some(t) if !t.is_composite() => {
                                self.err(
                                    format!(
                                        "Fragment cannot condition on non composite type \"{c}\"."
                                    ),
                                    &[fr.type_condition_pos],
                                );
                                None
                            }
                            Some(t) => {
                                if let Some(p) = parent {
                                    if !self.schema.types_overlap(t, p) {
                                        self.err(
                                            format!(
                                                "Fragment cannot be spread here as objects of type \"{}\" can never be of type \"{}\".",
                                                p.name, t.name
                                            ),
                                            &[fr.pos],
                                        );
                                    }
                                }
                                Some(t.clone())
                            }
                        },
                    };
                    self.selection_set(&fr.selection_set, cond.as_ref());
                }
                Selection::FragmentSpread(sp) => {
                    self.directives(&sp.directives, "FRAGMENT_SPREAD");
                    self.defer_checks(&sp.directives, parent);
                    self.spreads.push(sp.name.clone());
                    match self.fragments.get(sp.name.as_str()) {
                        None => self.err(format!("Unknown fragment \"{}\".", sp.name), &[sp.pos]),
                        Some(fd) => {
                            if let (Some(p), Some(t)) =
                                (parent, self.schema.get(&fd.type_condition))
                            {
                                if t.is_composite() && !self.schema.types_overlap(t, p) {
                                    self.err(
                                        format!(
                                            "Fragment \"{}\" cannot be spread here as objects of type \"{}\" can never be of type \"{}\".",
                                            sp.name, p.name, t.name
                                        ),
                                        &[sp.pos],
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
        if let Some(p) = parent {
            self.overlapping_fields(set, p);
        }
    }

    fn defer_checks(&mut self, directives: &[Directive], parent: Option<&TypeDef>) {
        for d in directives.iter().filter(|d| d.name == "defer") {
            self.label_check(d);
            if let Some(p) = parent {
                let is_root = |n: &Option<String>| n.as_deref() == Some(p.name.as_str());
                if is_root(&self.schema.mutation_type) {
                    self.err(
                        format!(
                            "Defer directive cannot be used on root mutation type \"{}\".",
                            p.name
                        ),
                        &[d.pos],
                    );
                } else if is_root(&self.schema.subscription_type) {
                    self.err(
                        format!(
                            "Defer directive cannot be used on root subscription type \"{}\".",
                            p.name
                        ),
                        &[d.pos],
                    );
                }
            }
        }
    }

    fn label_check(&mut self, d: &Directive) {
        if let Some(a) = d.argument("label") {
            match &a.value.kind {
                ValueKind::String(s) => {
                    if let Some((_, first)) = self.labels.iter().find(|(l, _)| l == s) {
                        let first = *first;
                        self.err(
                            "Defer/Stream directive label argument must be unique.",
                            &[first, d.pos],
                        );
                    } else {
                        self.labels.push((s.clone(), d.pos));
                    }
                }
                _ => self.err(
                    "Defer/Stream directive label argument must be a static string.",
                    &[d.pos],
                ),
            }
        }
    }

    fn field(&mut self, f: &Field, parent: Option<&TypeDef>) {
        self.directives(&f.directives, "FIELD");
        let Some(parent) = parent else {
            self.walk_args_untyped(&f.arguments);
            if let Some(s) = &f.selection_set {
                self.selection_set(s, None);
            }
            return;
        };
        if f.name == "__typename" {
            self.unknown_args(
                &f.arguments,
                &[],
                &format!("field \"{}.__typename\"", parent.name),
            );
            if let Some(s) = &f.selection_set {
                self.err(
                    "Field \"__typename\" must not have a selection since type \"String!\" has no subfields.",
                    &[s.pos],
                );
            }
            return;
        }
        if (f.name == "__schema" || f.name == "__type") && parent.name == self.schema.query_type {
            self.err(
                format!(
                    "GraphQL introspection has been disabled, but the requested query contained the field \"{}\".",
                    f.name
                ),
                &[f.pos],
            );
            return;
        }
        let Some(def) = parent.field(&f.name).cloned() else {
            let msg = format!(
                "Cannot query field \"{}\" on type \"{}\".",
                f.name, parent.name
            );
            let types = self.suggested_types(parent, &f.name);
            let hint = if !types.is_empty() {
                did_you_mean(Some("to use an inline fragment on"), &types)
            } else {
                did_you_mean(
                    None,
                    &suggestion_list(&f.name, parent.fields.iter().map(|x| x.name.as_str())),
                )
            };
            self.err(format!("{msg}{hint}"), &[f.pos]);
            self.walk_args_untyped(&f.arguments);
            if let Some(s) = &f.selection_set {
                self.selection_set(s, None);
            }
            return;
        };
        // Arguments.
        self.unknown_args(
            &f.arguments,
            &def.args,
            &format!("field \"{}.{}\"", parent.name, def.name),
        );
        for a in &def.args {
            if a.ty.is_non_null()
                && a.default_value.is_none()
                && !f.arguments.iter().any(|x| x.name == a.name)
            {
                self.err(
                    format!(
                        "Field \"{}\" argument \"{}\" of type \"{}\" is required, but it was not provided.",
                        def.name,
                        a.name,
                        type_str(&a.ty)
                    ),
                    &[f.pos],
                );
            }
        }
        for arg in &f.arguments {
            if let Some(a) = def.args.iter().find(|x| x.name == arg.name) {
                self.value_with_usage(&arg.value, &a.ty, a.default_value.is_some());
            }
        }
        // @stream rules.
        for d in f.directives.iter().filter(|d| d.name == "stream") {
            self.label_check(d);
            if !matches!(def.ty.nullable(), Type::List(_)) {
                self.err(
                    format!(
                        "Stream directive cannot be used on non-list field \"{}\" on type \"{}\".",
                        def.name, parent.name
                    ),
                    &[d.pos],
                );
            }
            if self.schema.mutation_type.as_deref() == Some(parent.name.as_str()) {
                self.err(
                    format!(
                        "Stream directive cannot be used on root mutation type \"{}\".",
                        parent.name
                    ),
                    &[d.pos],
                );
            }
        }
        // ScalarLeafs + recursion.
        let Some(t) = self.schema.get(def.ty.named_type()).cloned() else {
            return;
        };
        match (&f.selection_set, t.is_leaf()) {
            (Some(s), true) => self.err(
                format!(
                    "Field \"{}\" must not have a selection since type \"{}\" has no subfields.",
                    f.name,
                    type_str(&def.ty)
                ),
                &[s.pos],
            ),
            (None, false) => self.err(
                format!(
                    "Field \"{}\" of type \"{}\" must have a selection of subfields. Did you mean \"{} {{ ... }}\"?",
                    f.name,
                    type_str(&def.ty),
                    f.name
                ),
                &[f.pos],
            ),
            (Some(s), false) => self.selection_set(s, Some(&t)),
            (None, true) => {}
        }
    }

    fn suggested_types(&self, parent: &TypeDef, field: &str) -> Vec<String> {
        if !parent.is_abstract() {
            return vec![];
        }
        let mut counts: Vec<(String, usize, bool)> = Vec::new();
        for pt in self.schema.possible_types(parent) {
            let pt = self.schema.ty(pt);
            if pt.field(field).is_none() {
                continue;
            }
            if !counts.iter().any(|(n, _, _)| *n == pt.name) {
                counts.push((pt.name.clone(), 1, false));
            }
            for i in &pt.interfaces {
                if self.schema.get(i).and_then(|t| t.field(field)).is_none() {
                    continue;
                }
                match counts.iter_mut().find(|(n, _, _)| n == i) {
                    Some(c) => c.1 += 1,
                    None => counts.push((i.clone(), 1, true)),
                }
            }
        }
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| natural_compare(&a.0, &b.0)));
        counts.into_iter().map(|c| c.0).collect()
    }

    fn unknown_args(&mut self, args: &[Argument], defs: &[InputValueDefinition], owner: &str) {
        for (idx, a) in args.iter().enumerate() {
            let previous = args[..idx].iter().filter(|x| x.name == a.name).count();
            if previous == 1 {
                let locs: Vec<Pos> = args
                    .iter()
                    .filter(|x| x.name == a.name)
                    .map(|x| x.pos)
                    .collect();
                self.err(
                    format!("There can be only one argument named \"{}\".", a.name),
                    &locs,
                );
            }
            if previous > 0 {
                continue;
            }
            if !defs.iter().any(|d| d.name == a.name) {
                let sugg = suggestion_list(&a.name, defs.iter().map(|d| d.name.as_str()));
                self.err(
                    format!(
                        "Unknown argument \"{}\" on {owner}.{}",
                        a.name,
                        did_you_mean(None, &sugg)
                    ),
                    &[a.pos],
                );
            }
        }
    }

    fn walk_args_untyped(&mut self, args: &[Argument]) {
        for a in args {
            self.collect_usages_untyped(&a.value);
        }
    }

    fn collect_usages_untyped(&mut self, v: &Value) {
        match &v.kind {
            ValueKind::Variable(n) => self.usages.push(VarUsage {
                name: n.clone(),
                pos: v.pos,
                ty: Type::Named("__Any".into()),
                has_location_default: true,
            }),
            ValueKind::List(items) => items.iter().for_each(|i| self.collect_usages_untyped(i)),
            ValueKind::Object(fields) => fields
                .iter()
                .for_each(|f| self.collect_usages_untyped(&f.value)),
            _ => {}
        }
    }

    fn directives(&mut self, directives: &[Directive], location: &str) {
        let mut seen: Vec<(&str, Pos)> = Vec::new();
        for d in directives {
            let Some(def) = self.schema.directives.get(&d.name).cloned() else {
                self.err(format!("Unknown directive \"@{}\".", d.name), &[d.pos]);
                self.walk_args_untyped(&d.arguments);
                continue;
            };
            if !def.locations.iter().any(|l| l == location) {
                self.err(
                    format!("Directive \"@{}\" may not be used on {location}.", d.name),
                    &[d.pos],
                );
            }
            if !def.repeatable {
                if let Some((_, first)) = seen.iter().find(|(n, _)| *n == d.name) {
                    let first = *first;
                    self.err(
                        format!(
                            "The directive \"@{}\" can only be used once at this location.",
                            d.name
                        ),
                        &[first, d.pos],
                    );
                } else {
                    seen.push((&d.name, d.pos));
                }
            }
            self.unknown_args(
                &d.arguments,
                &def.args,
                &format!("directive \"@{}\"", d.name),
            );
            for a in &def.args {
                if a.ty.is_non_null()
                    && a.default_value.is_none()
                    && !d.arguments.iter().any(|x| x.name == a.name)
                {
                    self.err(
                        format!(
                            "Directive \"@{}\" argument \"{}\" of type \"{}\" is required, but it was not provided.",
                            d.name,
                            a.name,
                            type_str(&a.ty)
                        ),
                        &[d.pos],
                    );
                }
            }
            for arg in &d.arguments {
                if let Some(a) = def.args.iter().find(|x| x.name == arg.name) {
                    self.value_with_usage(&arg.value, &a.ty, a.default_value.is_some());
                }
            }
        }
    }

    /// ValuesOfCorrectType for a literal in a typed position, recording variable usages.
    fn value_with_usage(&mut self, v: &Value, ty: &Type, has_default: bool) {
        if let ValueKind::Variable(n) = &v.kind {
            self.usages.push(VarUsage {
                name: n.clone(),
                pos: v.pos,
                ty: ty.clone(),
                has_location_default: has_default,
            });
            return;
        }
        self.literal(v, ty);
    }

    fn literal(&mut self, v: &Value, ty: &Type) {
        let bad = |v: &Value, ty: &Type| {
            format!(
                "Expected value of type \"{}\", found {}.",
                type_str(ty),
                print_value(v)
            )
        };
        match (&v.kind, ty) {
            (ValueKind::Variable(_), _) => self.value_with_usage(v, ty, false),
            (ValueKind::Null, Type::NonNull(_)) => self.err(bad(v, ty), &[v.pos]),
            (_, Type::NonNull(inner)) => self.literal(v, inner),
            (ValueKind::Null, _) => {}
            (ValueKind::List(items), Type::List(inner)) => {
                for i in items {
                    self.literal(i, inner);
                }
            }
            (_, Type::List(inner)) => self.literal(v, inner),
            (_, Type::Named(name)) => {
                let Some(t) = self.schema.get(name).cloned() else {
                    return;
                };
                if t.kind == TypeKind::InputObject {
                    let ValueKind::Object(fields) = &v.kind else {
                        self.err(bad(v, ty), &[v.pos]);
                        return;
                    };
                    let mut seen: Vec<(&str, Pos)> = Vec::new();
                    for f in fields {
                        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == f.name) {
                            let first = *first;
                            self.err(
                                format!("There can be only one input field named \"{}\".", f.name),
                                &[first, f.pos],
                            );
                        } else {
                            seen.push((&f.name, f.pos));
                        }
                    }
                    for fd in &t.input_fields {
                        if fd.ty.is_non_null()
                            && fd.default_value.is_none()
                            && !fields.iter().any(|f| f.name == fd.name)
                        {
                            self.err(
                                format!(
                                    "Field \"{}.{}\" of required type \"{}\" was not provided.",
                                    t.name,
                                    fd.name,
                                    type_str(&fd.ty)
                                ),
                                &[v.pos],
                            );
                        }
                    }
                    for f in fields {
                        match t.input_field(&f.name) {
                            Some(fd) => self.literal(&f.value, &fd.ty.clone()),
                            None => {
                                let sugg = suggestion_list(
                                    &f.name,
                                    t.input_fields.iter().map(|x| x.name.as_str()),
                                );
                                self.err(
                                    format!(
                                        "Field \"{}\" is not defined by type \"{}\".{}",
                                        f.name,
                                        t.name,
                                        did_you_mean(None, &sugg)
                                    ),
                                    &[f.pos],
                                );
                            }
                        }
                    }
                    return;
                }
                if !t.is_leaf() {
                    self.err(bad(v, ty), &[v.pos]);
                    return;
                }
                // JSON scalars may contain variables; record them.
                if matches!(t.name.as_str(), "JSON" | "JSONObject") {
                    self.collect_usages_untyped(v);
                }
                if let Err(msg) = parse_leaf_literal(&t, v, None) {
                    self.err(msg.unwrap_or_else(|| bad(v, ty)), &[v.pos]);
                }
            }
        }
    }

    /// OverlappingFieldsCanBeMerged, same-level part: fields sharing a response key in one
    /// selection set (through fragments on the same parent) must be the same field with the same
    /// arguments.
    fn overlapping_fields(&mut self, set: &SelectionSet, parent: &TypeDef) {
        let mut fields: Vec<(String, Arc<Field>, String)> = Vec::new();
        let mut visited = HashSet::new();
        self.collect_for_overlap(set, parent, &mut fields, &mut visited);
        // Compare each field with the first one of its response key (same name and same
        // arguments is transitive), which keeps this linear.
        let mut firsts: HashMap<&str, usize> = HashMap::new();
        let mut reported: HashSet<String> = HashSet::new();
        for j in 0..fields.len() {
            let key = fields[j].2.as_str();
            let Some(&i) = firsts.get(key) else {
                firsts.insert(key, j);
                continue;
            };
            let (pa, a, ka) = &fields[i];
            let (pb, b, _) = &fields[j];
            if reported.contains(ka) {
                continue;
            }
            let same_parent_or_abstract = pa == pb
                || !self
                    .schema
                    .get(pa)
                    .is_some_and(|t| t.kind == TypeKind::Object)
                || !self
                    .schema
                    .get(pb)
                    .is_some_and(|t| t.kind == TypeKind::Object);
            if !same_parent_or_abstract {
                continue;
            }
            let reason = if a.name != b.name {
                Some(format!(
                    "\"{}\" and \"{}\" are different fields",
                    a.name, b.name
                ))
            } else if !same_arguments(&a.arguments, &b.arguments) {
                Some("they have differing arguments".to_string())
            } else {
                None
            };
            if let Some(r) = reason {
                reported.insert(ka.clone());
                self.errors.push(
                    GraphQLError::new(format!(
                        "Fields \"{ka}\" conflict because {r}. Use different aliases on the fields to fetch both if this was intentional."
                    ))
                    .with_locations([a.pos, b.pos]),
                );
            }
        }
    }

    fn collect_for_overlap(
        &self,
        set: &SelectionSet,
        parent: &TypeDef,
        out: &mut Vec<(String, Arc<Field>, String)>,
        visited: &mut HashSet<String>,
    ) {
        for sel in &set.items {
            match sel {
                Selection::Field(f) => {
                    out.push((parent.name.clone(), f.clone(), f.response_key().to_string()))
                }
                Selection::InlineFragment(fr) => {
                    let t = fr
                        .type_condition
                        .as_ref()
                        .and_then(|c| self.schema.get(c))
                        .unwrap_or(parent);
                    self.collect_for_overlap(&fr.selection_set, t, out, visited);
                }
                Selection::FragmentSpread(sp) => {
                    if !visited.insert(sp.name.clone()) {
                        continue;
                    }
                    if let Some(fd) = self.fragments.get(sp.name.as_str()) {
                        if let Some(t) = self.schema.get(&fd.type_condition) {
                            self.collect_for_overlap(&fd.selection_set, t, out, visited);
                        }
                    }
                }
            }
        }
    }
}

fn same_arguments(a: &[Argument], b: &[Argument]) -> bool {
    a.len() == b.len()
        && a.iter().all(|x| {
            b.iter()
                .any(|y| y.name == x.name && print_value(&y.value) == print_value(&x.value))
        })
}

fn reachable_fragments(start: &[String], spreads: &HashMap<String, Vec<String>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut stack: Vec<String> = start.to_vec();
    while let Some(n) = stack.pop() {
        if out.contains(&n) {
            continue;
        }
        if let Some(next) = spreads.get(&n) {
            stack.extend(next.iter().cloned());
            out.push(n);
        }
    }
    out
}
