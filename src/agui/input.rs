//! `RunAgentInput` (spec §6): validation with zod-compatible issues, normalisation of the JSON the
//! way the AG-UI schema parse outputs it (unknown keys dropped, keys in schema order — this is what
//! `RUN_STARTED.input` echoes), and decoding into the shared chat model.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::model::{ContextItem, FunctionCall, Message, Tool, ToolCall, UserPart};

/// A decoded `RunAgentInput`: typed for agents, plus the normalised JSON for echoing.
#[derive(Debug, Clone, PartialEq)]
pub struct RunAgentInput {
    pub thread_id: String,
    pub run_id: String,
    pub parent_run_id: Option<String>,
    /// `None` when absent or `null`.
    pub state: Option<Value>,
    pub messages: Vec<Message>,
    pub tools: Vec<Tool>,
    pub context: Vec<ContextItem>,
    pub forwarded_props: Option<Value>,
    /// `resume[]` entries, normalised JSON.
    pub resume: Option<Vec<Value>>,
    /// The normalised input: keys `threadId, runId, parentRunId?, state?, messages, tools, context,
    /// forwardedProps?, resume?`, each message normalised the same way.
    pub raw: Value,
}

impl RunAgentInput {
    /// Validate and decode. On failure returns the zod-style `details` string (a pretty-printed
    /// JSON array of issues) that goes into the 400 body.
    pub fn from_json(value: &Value) -> Result<RunAgentInput, String> {
        let mut cx = Cx::default();
        let parsed = parse_input(&mut cx, value);
        match parsed {
            Some(input) if cx.issues.is_empty() => Ok(input),
            _ => Err(cx.details()),
        }
    }

    /// The normalised messages (same order as `messages`).
    pub fn raw_messages(&self) -> &[Value] {
        self.raw.get("messages").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The normalised input with `messages` reduced to those whose id is not in `seen`
    /// (what `RUN_STARTED.input` carries, spec §8.2).
    pub fn echo_without(&self, seen: &HashSet<String>) -> Value {
        let mut raw = self.raw.clone();
        if let Some(Value::Array(msgs)) = raw.get_mut("messages") {
            msgs.retain(|m| m.get("id").and_then(Value::as_str).is_none_or(|id| !seen.contains(id)));
        }
        raw
    }
}

// ------------------------------------------------------------------------------------------------
// zod-like issue collection
// ------------------------------------------------------------------------------------------------

#[derive(Clone)]
enum Seg {
    Key(&'static str),
    Index(usize),
}

#[derive(Default)]
struct Cx {
    path: Vec<Seg>,
    issues: Vec<Value>,
}

fn parsed_type(v: Option<&Value>) -> &'static str {
    match v {
        None => "undefined",
        Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "boolean",
        Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Array(_)) => "array",
        Some(Value::Object(_)) => "object",
    }
}

impl Cx {
    fn path_value(&self, extra: Option<&'static str>) -> Value {
        let mut p: Vec<Value> = self
            .path
            .iter()
            .map(|s| match s {
                Seg::Key(k) => Value::String((*k).to_string()),
                Seg::Index(i) => Value::from(*i as u64),
            })
            .collect();
        if let Some(k) = extra {
            p.push(Value::String(k.to_string()));
        }
        Value::Array(p)
    }

    fn push(&mut self, mut fields: Vec<(&str, Value)>, extra_path: Option<&'static str>, message: String) {
        let mut m = Map::new();
        for (k, v) in fields.drain(..) {
            m.insert(k.to_string(), v);
        }
        m.insert("path".into(), self.path_value(extra_path));
        m.insert("message".into(), Value::String(message));
        self.issues.push(Value::Object(m));
    }

    fn invalid_type(&mut self, expected: &str, got: Option<&Value>) {
        let received = parsed_type(got);
        let message = if got.is_none() { "Required".to_string() } else { format!("Expected {expected}, received {received}") };
        self.push(
            vec![("code", "invalid_type".into()), ("expected", expected.into()), ("received", received.into())],
            None,
            message,
        );
    }

    fn invalid_discriminator(&mut self, key: &'static str, options: &[&str]) {
        let joined = options.iter().map(|o| format!("'{o}'")).collect::<Vec<_>>().join(" | ");
        self.push(
            vec![
                ("code", "invalid_union_discriminator".into()),
                ("options", Value::Array(options.iter().map(|o| Value::String((*o).into())).collect())),
            ],
            Some(key),
            format!("Invalid discriminator value. Expected {joined}"),
        );
    }

    fn invalid_literal(&mut self, expected: &str, got: Option<&Value>) {
        let mut fields = Vec::new();
        if let Some(v) = got {
            fields.push(("received", v.clone()));
        }
        fields.push(("code", "invalid_literal".into()));
        fields.push(("expected", expected.into()));
        self.push(fields, None, format!("Invalid literal value, expected {}", Value::String(expected.into())));
    }

    fn details(&self) -> String {
        serde_json::to_string_pretty(&Value::Array(self.issues.clone())).unwrap_or_else(|_| "[]".into())
    }

    fn at<T>(&mut self, seg: Seg, f: impl FnOnce(&mut Cx) -> T) -> T {
        self.path.push(seg);
        let r = f(self);
        self.path.pop();
        r
    }
}

// Primitive checks: each returns the value when valid (and records an issue otherwise).

fn req_string(cx: &mut Cx, obj: &Map<String, Value>, key: &'static str) -> Option<String> {
    match obj.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        other => {
            cx.at(Seg::Key(key), |cx| cx.invalid_type("string", other));
            None
        }
    }
}

/// `Ok(None)` when absent, `Err` (issue recorded) when present with the wrong type.
fn opt_string(cx: &mut Cx, obj: &Map<String, Value>, key: &'static str) -> Result<Option<String>, ()> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        other => {
            cx.at(Seg::Key(key), |cx| cx.invalid_type("string", other));
            Err(())
        }
    }
}

fn opt_record(cx: &mut Cx, obj: &Map<String, Value>, key: &'static str) -> Result<Option<Value>, ()> {
    match obj.get(key) {
        None => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v.clone())),
        other => {
            cx.at(Seg::Key(key), |cx| cx.invalid_type("object", other));
            Err(())
        }
    }
}

/// A required array field whose elements `parse` decodes. Every element is parsed (so all issues are
/// recorded); `None` when the field or any element is invalid.
fn parse_list<T>(
    cx: &mut Cx,
    obj: &Map<String, Value>,
    key: &'static str,
    parse: fn(&mut Cx, &Value) -> Option<(Value, T)>,
) -> Option<(Vec<Value>, Vec<T>)> {
    let arr = req_array(cx, obj, key)?;
    cx.at(Seg::Key(key), |cx| {
        let mut raw = Vec::with_capacity(arr.len());
        let mut items = Vec::with_capacity(arr.len());
        let mut ok = true;
        for (i, v) in arr.iter().enumerate() {
            match cx.at(Seg::Index(i), |cx| parse(cx, v)) {
                Some((r, item)) => {
                    raw.push(r);
                    items.push(item);
                }
                None => ok = false,
            }
        }
        ok.then_some((raw, items))
    })
}

fn req_array<'a>(cx: &mut Cx, obj: &'a Map<String, Value>, key: &'static str) -> Option<&'a Vec<Value>> {
    match obj.get(key) {
        Some(Value::Array(a)) => Some(a),
        other => {
            cx.at(Seg::Key(key), |cx| cx.invalid_type("array", other));
            None
        }
    }
}

fn literal(cx: &mut Cx, obj: &Map<String, Value>, key: &'static str, expected: &str) -> bool {
    match obj.get(key) {
        Some(Value::String(s)) if s == expected => true,
        other => {
            cx.at(Seg::Key(key), |cx| cx.invalid_literal(expected, other));
            false
        }
    }
}

/// Accumulates a normalised object in schema order.
struct Out(Map<String, Value>);

impl Out {
    fn new() -> Self {
        Out(Map::new())
    }
    fn set(&mut self, key: &str, v: impl Into<Value>) {
        self.0.insert(key.to_string(), v.into());
    }
    fn opt(&mut self, key: &str, v: Option<impl Into<Value>>) {
        if let Some(v) = v {
            self.0.insert(key.to_string(), v.into());
        }
    }
    fn done(self) -> Value {
        Value::Object(self.0)
    }
}

// ------------------------------------------------------------------------------------------------
// The schema
// ------------------------------------------------------------------------------------------------

const ROLES: [&str; 7] = ["developer", "system", "assistant", "user", "tool", "activity", "reasoning"];
const PART_TYPES: [&str; 6] = ["text", "image", "audio", "video", "document", "binary"];
const SOURCE_TYPES: [&str; 2] = ["data", "url"];

fn parse_input(cx: &mut Cx, value: &Value) -> Option<RunAgentInput> {
    let obj = match value {
        Value::Object(m) => m,
        other => {
            cx.invalid_type("object", Some(other));
            return None;
        }
    };
    let mut ok = true;
    let mut out = Out::new();

    let thread_id = req_string(cx, obj, "threadId");
    let run_id = req_string(cx, obj, "runId");
    let parent_run_id = opt_string(cx, obj, "parentRunId").map_err(|_| ok = false).ok().flatten();
    let state = match obj.get("state") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.clone()),
    };

    let messages = parse_list(cx, obj, "messages", parse_message);
    let tools = parse_list(cx, obj, "tools", parse_tool);
    let context = parse_list(cx, obj, "context", parse_context);

    let forwarded_props = obj.get("forwardedProps").cloned();

    let resume = match obj.get("resume") {
        None => None,
        Some(Value::Array(arr)) => cx.at(Seg::Key("resume"), |cx| {
            let mut entries = Vec::new();
            for (i, r) in arr.iter().enumerate() {
                match cx.at(Seg::Index(i), |cx| parse_resume(cx, r)) {
                    Some(raw) => entries.push(raw),
                    None => ok = false,
                }
            }
            Some(entries)
        }),
        other => {
            cx.at(Seg::Key("resume"), |cx| cx.invalid_type("array", other));
            ok = false;
            None
        }
    };

    // Every field was checked (so every issue is recorded) before giving up.
    let (thread_id, run_id, (raw_messages, messages), (raw_tools, tools), (raw_context, context)) =
        match (thread_id, run_id, messages, tools, context) {
            (Some(t), Some(r), Some(m), Some(tl), Some(c)) if ok => (t, r, m, tl, c),
            _ => return None,
        };

    out.set("threadId", thread_id.clone());
    out.set("runId", run_id.clone());
    out.opt("parentRunId", parent_run_id.clone());
    out.opt("state", state.clone());
    out.set("messages", Value::Array(raw_messages));
    out.set("tools", Value::Array(raw_tools));
    out.set("context", Value::Array(raw_context));
    out.opt("forwardedProps", forwarded_props.clone());
    out.opt("resume", resume.clone().map(Value::Array));

    Some(RunAgentInput {
        thread_id,
        run_id,
        parent_run_id,
        state,
        messages,
        tools,
        context,
        forwarded_props,
        resume,
        raw: out.done(),
    })
}

/// Base message fields shared by every role: `encryptedValue?`, `metadata?`, `subagentRunId?`.
fn base_tail(cx: &mut Cx, obj: &Map<String, Value>, out: &mut Out, encrypted: bool, ok: &mut bool) {
    if encrypted {
        match opt_string(cx, obj, "encryptedValue") {
            Ok(v) => out.opt("encryptedValue", v),
            Err(()) => *ok = false,
        }
    }
    match opt_record(cx, obj, "metadata") {
        Ok(v) => out.opt("metadata", v),
        Err(()) => *ok = false,
    }
    match opt_string(cx, obj, "subagentRunId") {
        Ok(v) => out.opt("subagentRunId", v),
        Err(()) => *ok = false,
    }
}

fn parse_message(cx: &mut Cx, value: &Value) -> Option<(Value, Message)> {
    let obj = match value {
        Value::Object(m) => m,
        other => {
            cx.invalid_type("object", Some(other));
            return None;
        }
    };
    let role = match obj.get("role").and_then(Value::as_str) {
        Some(r) if ROLES.contains(&r) => r,
        _ => {
            cx.invalid_discriminator("role", &ROLES);
            return None;
        }
    };
    let mut ok = true;
    let mut out = Out::new();
    match role {
        "developer" | "system" => {
            let id = req_string(cx, obj, "id");
            let content = req_string(cx, obj, "content");
            let name = opt_string(cx, obj, "name");
            out.opt("id", id.clone());
            out.set("role", role);
            out.opt("content", content.clone());
            match name {
                Ok(n) => out.opt("name", n),
                Err(()) => ok = false,
            }
            base_tail(cx, obj, &mut out, true, &mut ok);
            let (id, content) = (id?, content?);
            if !ok {
                return None;
            }
            let msg = if role == "system" { Message::System { id, content } } else { Message::Developer { id, content } };
            Some((out.done(), msg))
        }
        "assistant" => {
            let id = req_string(cx, obj, "id");
            let content = opt_string(cx, obj, "content");
            let name = opt_string(cx, obj, "name");
            out.opt("id", id.clone());
            out.set("role", role);
            let content = match content {
                Ok(c) => c,
                Err(()) => {
                    ok = false;
                    None
                }
            };
            out.opt("content", content.clone());
            match name {
                Ok(n) => out.opt("name", n),
                Err(()) => ok = false,
            }
            base_tail(cx, obj, &mut out, true, &mut ok);
            let mut tool_calls = Vec::new();
            match obj.get("toolCalls") {
                None => {}
                Some(Value::Array(arr)) => {
                    let mut raw_calls = Vec::new();
                    cx.at(Seg::Key("toolCalls"), |cx| {
                        for (i, tc) in arr.iter().enumerate() {
                            match cx.at(Seg::Index(i), |cx| parse_tool_call(cx, tc)) {
                                Some((raw, call)) => {
                                    raw_calls.push(raw);
                                    tool_calls.push(call);
                                }
                                None => ok = false,
                            }
                        }
                    });
                    out.set("toolCalls", Value::Array(raw_calls));
                }
                other => {
                    cx.at(Seg::Key("toolCalls"), |cx| cx.invalid_type("array", other));
                    ok = false;
                }
            }
            let id = id?;
            if !ok {
                return None;
            }
            Some((out.done(), Message::Assistant { id, content, tool_calls }))
        }
        "user" => {
            let id = req_string(cx, obj, "id");
            out.opt("id", id.clone());
            out.set("role", role);
            let content = cx.at(Seg::Key("content"), |cx| parse_user_content(cx, obj.get("content")));
            let parts = match content {
                Some((raw, parts)) => {
                    out.set("content", raw);
                    Some(parts)
                }
                None => None,
            };
            match opt_string(cx, obj, "name") {
                Ok(n) => out.opt("name", n),
                Err(()) => ok = false,
            }
            base_tail(cx, obj, &mut out, true, &mut ok);
            let (id, parts) = (id?, parts?);
            if !ok {
                return None;
            }
            Some((out.done(), Message::User { id, parts }))
        }
        "tool" => {
            let id = req_string(cx, obj, "id");
            let content = req_string(cx, obj, "content");
            let tool_call_id = req_string(cx, obj, "toolCallId");
            let error = opt_string(cx, obj, "error");
            out.opt("id", id.clone());
            out.opt("content", content.clone());
            out.set("role", role);
            out.opt("toolCallId", tool_call_id.clone());
            let error = match error {
                Ok(e) => e,
                Err(()) => {
                    ok = false;
                    None
                }
            };
            out.opt("error", error.clone());
            base_tail(cx, obj, &mut out, true, &mut ok);
            let (id, content, tool_call_id) = (id?, content?, tool_call_id?);
            if !ok {
                return None;
            }
            Some((out.done(), Message::Tool { id, tool_call_id, content, error }))
        }
        "activity" => {
            let id = req_string(cx, obj, "id");
            let activity_type = req_string(cx, obj, "activityType");
            out.opt("id", id.clone());
            out.set("role", role);
            out.opt("activityType", activity_type.clone());
            match obj.get("content") {
                Some(v @ Value::Object(_)) => out.set("content", v.clone()),
                other => {
                    cx.at(Seg::Key("content"), |cx| cx.invalid_type("object", other));
                    ok = false;
                }
            }
            base_tail(cx, obj, &mut out, false, &mut ok);
            let (id, _) = (id?, activity_type?);
            if !ok {
                return None;
            }
            Some((out.done(), Message::Other { id, role: role.to_string() }))
        }
        _ => {
            // reasoning
            let id = req_string(cx, obj, "id");
            let content = req_string(cx, obj, "content");
            out.opt("id", id.clone());
            out.set("role", role);
            out.opt("content", content.clone());
            base_tail(cx, obj, &mut out, true, &mut ok);
            let (id, _) = (id?, content?);
            if !ok {
                return None;
            }
            Some((out.done(), Message::Other { id, role: role.to_string() }))
        }
    }
}

fn parse_tool_call(cx: &mut Cx, value: &Value) -> Option<(Value, ToolCall)> {
    let obj = match value {
        Value::Object(m) => m,
        other => {
            cx.invalid_type("object", Some(other));
            return None;
        }
    };
    let mut ok = true;
    let mut out = Out::new();
    let id = req_string(cx, obj, "id");
    out.opt("id", id.clone());
    if literal(cx, obj, "type", "function") {
        out.set("type", "function");
    } else {
        ok = false;
    }
    let function = match obj.get("function") {
        Some(Value::Object(f)) => cx.at(Seg::Key("function"), |cx| {
            let name = req_string(cx, f, "name");
            let arguments = req_string(cx, f, "arguments");
            match (name, arguments) {
                (Some(name), Some(arguments)) => Some(FunctionCall { name, arguments }),
                _ => None,
            }
        }),
        other => {
            cx.at(Seg::Key("function"), |cx| cx.invalid_type("object", other));
            None
        }
    };
    if let Some(f) = &function {
        let mut fo = Out::new();
        fo.set("name", f.name.clone());
        fo.set("arguments", f.arguments.clone());
        out.set("function", fo.done());
    }
    match opt_string(cx, obj, "encryptedValue") {
        Ok(v) => out.opt("encryptedValue", v),
        Err(()) => ok = false,
    }
    match opt_record(cx, obj, "metadata") {
        Ok(v) => out.opt("metadata", v),
        Err(()) => ok = false,
    }
    let (id, function) = (id?, function?);
    if !ok {
        return None;
    }
    Some((out.done(), ToolCall { id, kind: "function".into(), function }))
}

/// `content: string | InputContent[]` — a zod union: when both branches fail, one
/// `invalid_union` issue holding each branch's issues.
fn parse_user_content(cx: &mut Cx, value: Option<&Value>) -> Option<(Value, Vec<UserPart>)> {
    match value {
        Some(Value::String(s)) => Some((Value::String(s.clone()), vec![UserPart::Text(s.clone())])),
        Some(Value::Array(arr)) => {
            let mut sub = Cx { path: cx.path.clone(), issues: Vec::new() };
            let mut raw_parts = Vec::new();
            let mut parts = Vec::new();
            for (i, p) in arr.iter().enumerate() {
                if let Some((raw, part)) = sub.at(Seg::Index(i), |sub| parse_part(sub, p)) {
                    raw_parts.push(raw);
                    if let Some(part) = part {
                        parts.push(part);
                    }
                }
            }
            if sub.issues.is_empty() {
                return Some((Value::Array(raw_parts), parts));
            }
            // Refinement-only failures are "dirty", not a union failure: zod reports them as is.
            if sub.issues.iter().all(|i| i.get("code").and_then(Value::as_str) == Some("custom")) {
                cx.issues.extend(sub.issues);
                return None;
            }
            let mut string_branch = Cx { path: cx.path.clone(), issues: Vec::new() };
            string_branch.invalid_type("string", value);
            union_issue(cx, vec![string_branch.issues, sub.issues]);
            None
        }
        other => {
            let mut a = Cx { path: cx.path.clone(), issues: Vec::new() };
            a.invalid_type("string", other);
            let mut b = Cx { path: cx.path.clone(), issues: Vec::new() };
            b.invalid_type("array", other);
            union_issue(cx, vec![a.issues, b.issues]);
            None
        }
    }
}

fn zod_error(issues: Vec<Value>) -> Value {
    let mut m = Map::new();
    m.insert("issues".into(), Value::Array(issues));
    m.insert("name".into(), "ZodError".into());
    Value::Object(m)
}

fn union_issue(cx: &mut Cx, branches: Vec<Vec<Value>>) {
    let errors = branches.into_iter().map(zod_error).collect();
    cx.push(vec![("code", "invalid_union".into()), ("unionErrors", Value::Array(errors))], None, "Invalid input".into());
}

/// One user content part. Returns the normalised part and its model form (`None` for parts the
/// model cannot carry, e.g. a binary part referenced only by id).
fn parse_part(cx: &mut Cx, value: &Value) -> Option<(Value, Option<UserPart>)> {
    let obj = match value {
        Value::Object(m) => m,
        other => {
            cx.invalid_type("object", Some(other));
            return None;
        }
    };
    let ty = match obj.get("type").and_then(Value::as_str) {
        Some(t) if PART_TYPES.contains(&t) => t,
        _ => {
            cx.invalid_discriminator("type", &PART_TYPES);
            return None;
        }
    };
    let mut out = Out::new();
    out.set("type", ty);
    match ty {
        "text" => {
            let text = req_string(cx, obj, "text")?;
            out.set("text", text.clone());
            Some((out.done(), Some(UserPart::Text(text))))
        }
        "binary" => {
            let mime = req_string(cx, obj, "mimeType");
            let id = opt_string(cx, obj, "id");
            let url = opt_string(cx, obj, "url");
            let data = opt_string(cx, obj, "data");
            let filename = opt_string(cx, obj, "filename");
            let (mime, id, url, data, filename) = (mime?, id.ok()?, url.ok()?, data.ok()?, filename.ok()?);
            out.set("mimeType", mime.clone());
            out.opt("id", id.clone());
            out.opt("url", url.clone());
            out.opt("data", data.clone());
            out.opt("filename", filename);
            let has = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
            if !has(&id) && !has(&url) && !has(&data) {
                let mut m = Map::new();
                m.insert("code".into(), "custom".into());
                m.insert("message".into(), "BinaryInputContent requires at least one of id, url, or data.".into());
                m.insert("path".into(), cx.path_value(Some("id")));
                cx.issues.push(Value::Object(m));
                return None;
            }
            let part = if let Some(data) = data.filter(|d| !d.is_empty()) {
                Some(UserPart::Data { mime_type: mime, data })
            } else {
                url.filter(|u| !u.is_empty()).map(|url| UserPart::Url { mime_type: Some(mime), url })
            };
            Some((out.done(), part))
        }
        _ => {
            // image | audio | video | document
            let source = match obj.get("source") {
                Some(Value::Object(src)) => cx.at(Seg::Key("source"), |cx| {
                    let st = match src.get("type").and_then(Value::as_str) {
                        Some(t) if SOURCE_TYPES.contains(&t) => t,
                        _ => {
                            cx.invalid_discriminator("type", &SOURCE_TYPES);
                            return None;
                        }
                    };
                    let value = req_string(cx, src, "value");
                    let mime = if st == "data" { req_string(cx, src, "mimeType").map(Some) } else { opt_string(cx, src, "mimeType").ok() };
                    let (value, mime) = (value?, mime?);
                    let mut so = Out::new();
                    so.set("type", st);
                    so.set("value", value.clone());
                    so.opt("mimeType", mime.clone());
                    let part = if st == "data" {
                        UserPart::Data { mime_type: mime.unwrap_or_default(), data: value }
                    } else {
                        UserPart::Url { mime_type: mime, url: value }
                    };
                    Some((so.done(), part))
                }),
                other => {
                    cx.at(Seg::Key("source"), |cx| cx.invalid_type("object", other));
                    None
                }
            };
            let (raw_source, part) = source?;
            out.set("source", raw_source);
            out.opt("metadata", obj.get("metadata").cloned());
            Some((out.done(), Some(part)))
        }
    }
}

fn parse_tool(cx: &mut Cx, value: &Value) -> Option<(Value, Tool)> {
    let obj = match value {
        Value::Object(m) => m,
        other => {
            cx.invalid_type("object", Some(other));
            return None;
        }
    };
    let name = req_string(cx, obj, "name");
    let description = req_string(cx, obj, "description");
    let parameters = obj.get("parameters").cloned();
    let metadata = opt_record(cx, obj, "metadata");
    let (name, description, metadata) = (name?, description?, metadata.ok()?);
    let mut out = Out::new();
    out.set("name", name.clone());
    out.set("description", description.clone());
    out.opt("parameters", parameters.clone());
    out.opt("metadata", metadata);
    Some((out.done(), Tool { name, description, parameters: parameters.unwrap_or(Value::Null) }))
}

fn parse_context(cx: &mut Cx, value: &Value) -> Option<(Value, ContextItem)> {
    let obj = match value {
        Value::Object(m) => m,
        other => {
            cx.invalid_type("object", Some(other));
            return None;
        }
    };
    let description = req_string(cx, obj, "description");
    let val = req_string(cx, obj, "value");
    let (description, value) = (description?, val?);
    let mut out = Out::new();
    out.set("description", description.clone());
    out.set("value", value.clone());
    Some((out.done(), ContextItem { description, value }))
}

fn parse_resume(cx: &mut Cx, value: &Value) -> Option<Value> {
    let obj = match value {
        Value::Object(m) => m,
        other => {
            cx.invalid_type("object", Some(other));
            return None;
        }
    };
    let interrupt_id = req_string(cx, obj, "interruptId");
    let status = match obj.get("status") {
        Some(Value::String(s)) if s == "resolved" || s == "cancelled" => Some(s.clone()),
        Some(Value::String(s)) => {
            let s = s.clone();
            cx.at(Seg::Key("status"), |cx| {
                cx.push(
                    vec![
                        ("received", Value::String(s.clone())),
                        ("code", "invalid_enum_value".into()),
                        ("options", serde_json::json!(["resolved", "cancelled"])),
                    ],
                    None,
                    format!("Invalid enum value. Expected 'resolved' | 'cancelled', received '{s}'"),
                )
            });
            None
        }
        other => {
            cx.at(Seg::Key("status"), |cx| {
                let received = parsed_type(other);
                let message = if other.is_none() {
                    "Required".to_string()
                } else {
                    format!("Expected 'resolved' | 'cancelled', received {received}")
                };
                cx.push(
                    vec![
                        ("expected", "'resolved' | 'cancelled'".into()),
                        ("received", received.into()),
                        ("code", "invalid_type".into()),
                    ],
                    None,
                    message,
                )
            });
            None
        }
    };
    let metadata = opt_record(cx, obj, "metadata");
    let (interrupt_id, status, metadata) = (interrupt_id?, status?, metadata.ok()?);
    let mut out = Out::new();
    out.set("interruptId", interrupt_id);
    out.set("status", status);
    out.opt("payload", obj.get("payload").cloned());
    out.opt("metadata", metadata);
    Some(out.done())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn details(v: Value) -> Value {
        let d = RunAgentInput::from_json(&v).expect_err("should fail");
        serde_json::from_str(&d).unwrap()
    }

    #[test]
    fn missing_fields_match_the_captured_details_string() {
        // h-malformed-and-edge-inputs case 24: exact `details` text.
        let d = RunAgentInput::from_json(&json!({"threadId":"29d5fb71-7b3a-443a-a150-793e898043f5"})).unwrap_err();
        let expected = "[\n  {\n    \"code\": \"invalid_type\",\n    \"expected\": \"string\",\n    \"received\": \"undefined\",\n    \"path\": [\n      \"runId\"\n    ],\n    \"message\": \"Required\"\n  },\n  {\n    \"code\": \"invalid_type\",\n    \"expected\": \"array\",\n    \"received\": \"undefined\",\n    \"path\": [\n      \"messages\"\n    ],\n    \"message\": \"Required\"\n  },\n  {\n    \"code\": \"invalid_type\",\n    \"expected\": \"array\",\n    \"received\": \"undefined\",\n    \"path\": [\n      \"tools\"\n    ],\n    \"message\": \"Required\"\n  },\n  {\n    \"code\": \"invalid_type\",\n    \"expected\": \"array\",\n    \"received\": \"undefined\",\n    \"path\": [\n      \"context\"\n    ],\n    \"message\": \"Required\"\n  }\n]";
        assert_eq!(d, expected);
    }

    #[test]
    fn unknown_role_is_a_discriminator_issue() {
        let d = details(json!({"threadId":"t","runId":"r","state":{},"messages":[{"id":"m1","role":"wizard","content":"x"}],"tools":[],"context":[],"forwardedProps":{}}));
        assert_eq!(
            d,
            json!([{"code":"invalid_union_discriminator","options":["developer","system","assistant","user","tool","activity","reasoning"],"path":["messages",0,"role"],"message":"Invalid discriminator value. Expected 'developer' | 'system' | 'assistant' | 'user' | 'tool' | 'activity' | 'reasoning'"}])
        );
    }

    #[test]
    fn wrong_types_and_nested_paths() {
        let d = details(json!({"threadId":1,"runId":"r","messages":[{"id":"a","role":"assistant","toolCalls":[{"id":"c","type":"fn","function":{"name":"n"}}]}],"tools":[{"name":"t"}],"context":[{"description":"d","value":null}]}));
        assert_eq!(
            d,
            json!([
                {"code":"invalid_type","expected":"string","received":"number","path":["threadId"],"message":"Expected string, received number"},
                {"received":"fn","code":"invalid_literal","expected":"function","path":["messages",0,"toolCalls",0,"type"],"message":"Invalid literal value, expected \"function\""},
                {"code":"invalid_type","expected":"string","received":"undefined","path":["messages",0,"toolCalls",0,"function","arguments"],"message":"Required"},
                {"code":"invalid_type","expected":"string","received":"undefined","path":["tools",0,"description"],"message":"Required"},
                {"code":"invalid_type","expected":"string","received":"null","path":["context",0,"value"],"message":"Expected string, received null"}
            ])
        );
        let d = details(json!([1]));
        assert_eq!(d, json!([{"code":"invalid_type","expected":"object","received":"array","path":[],"message":"Expected object, received array"}]));
    }

    #[test]
    fn user_content_union_failure() {
        let d = details(json!({"threadId":"t","runId":"r","messages":[{"id":"u","role":"user","content":5}],"tools":[],"context":[]}));
        assert_eq!(d[0]["code"], "invalid_union");
        assert_eq!(d[0]["path"], json!(["messages", 0, "content"]));
        assert_eq!(d[0]["unionErrors"][0]["issues"][0]["expected"], "string");
        assert_eq!(d[0]["unionErrors"][1]["name"], "ZodError");
        let d = details(json!({"threadId":"t","runId":"r","messages":[{"id":"u","role":"user","content":[{"type":"binary","mimeType":"x"}]}],"tools":[],"context":[]}));
        assert_eq!(
            d,
            json!([{"code":"custom","message":"BinaryInputContent requires at least one of id, url, or data.","path":["messages",0,"content",0,"id"]}])
        );
    }

    #[test]
    fn normalises_in_schema_order_and_decodes_the_model() {
        let body = json!({
            "threadId":"T","runId":"R","tools":[{"name":"t","description":"d","parameters":{"type":"object","properties":{}},"extra":1}],
            "context":[{"description":"The page","value":"Settings"}],"forwardedProps":{"userTier":"pro"},"state":{},
            "messages":[
                {"id":"u1","role":"user","content":"hi","junk":true},
                {"id":"a1","role":"assistant","toolCalls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},
                {"id":"t1","role":"tool","toolCallId":"c1","content":"done"},
                {"id":"u2","role":"user","content":[{"type":"text","text":"look"},{"type":"image","source":{"type":"data","value":"AAAA","mimeType":"image/png"}}]},
                {"id":"s1","role":"system","content":"sys"}
            ],
            "unknownTopLevel": 1
        });
        let input = RunAgentInput::from_json(&body).unwrap();
        assert_eq!(
            serde_json::to_string(&input.raw).unwrap(),
            r#"{"threadId":"T","runId":"R","state":{},"messages":[{"id":"u1","role":"user","content":"hi"},{"id":"a1","role":"assistant","toolCalls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"id":"t1","content":"done","role":"tool","toolCallId":"c1"},{"id":"u2","role":"user","content":[{"type":"text","text":"look"},{"type":"image","source":{"type":"data","value":"AAAA","mimeType":"image/png"}}]},{"id":"s1","role":"system","content":"sys"}],"tools":[{"name":"t","description":"d","parameters":{"type":"object","properties":{}}}],"context":[{"description":"The page","value":"Settings"}],"forwardedProps":{"userTier":"pro"}}"#
        );
        assert_eq!(input.messages.len(), 5);
        assert_eq!(input.messages[0], Message::User { id: "u1".into(), parts: vec![UserPart::Text("hi".into())] });
        assert!(matches!(&input.messages[1], Message::Assistant { tool_calls, content: None, .. } if tool_calls[0].function.name == "f"));
        assert!(matches!(&input.messages[2], Message::Tool { tool_call_id, .. } if tool_call_id == "c1"));
        assert!(matches!(&input.messages[3], Message::User { parts, .. } if parts.len() == 2));
        assert_eq!(input.tools[0].name, "t");
        assert_eq!(input.context[0].value, "Settings");
        let seen: HashSet<String> = ["u1".to_string(), "a1".to_string()].into_iter().collect();
        let echo = input.echo_without(&seen);
        assert_eq!(echo["messages"].as_array().unwrap().len(), 3);
        // null state is treated as absent
        let mut b2 = body.clone();
        b2["state"] = Value::Null;
        let input = RunAgentInput::from_json(&b2).unwrap();
        assert!(input.state.is_none());
        assert!(input.raw.get("state").is_none());
    }
}
