//! JSON Schema → the OpenAPI-3.0 subset Gemini's `functionDeclarations[].parameters` accepts.
//!
//! Gemini rejects the whole request on any unknown keyword, so this is a whitelist (spec §3.2):
//! `type` (one value), `format`, `title`, `description`, `nullable`, `enum` (strings), `items`,
//! `minItems`, `maxItems`, `properties`, `required`, `minProperties`, `maxProperties`,
//! `minLength`, `maxLength`, `pattern`, `minimum`, `maximum`, `anyOf`, `propertyOrdering`,
//! `default`, `example`.
//!
//! Choices where JSON Schema has no direct counterpart:
//! * `type: [a, "null"]` → `type: a, nullable: true`; several non-null types → `anyOf` of one
//!   schema per type.
//! * `$ref` to `#/$defs/…`, `#/definitions/…` (any local JSON pointer) is inlined; a recursive
//!   reference becomes an untyped schema (`{}` / description only) at the point of recursion.
//! * `const` → one-value string `enum`; non-string enum values become strings (`type: string`).
//! * `oneOf` → `anyOf`; a `null` branch becomes `nullable`; a single remaining branch is inlined.
//! * `allOf` → the branches merged into one schema (properties and `required` united).
//! * An object without properties: at the root the whole `parameters` is omitted (`None`); nested,
//!   its `type` is dropped (Gemini refuses `OBJECT` with empty `properties`, while a schema with
//!   no type is accepted as "any value").
//! * An array without `items` (or with an unconstrained `{}`) gets `items: {type: string}`,
//!   since Gemini requires `items` on every array.
//! * `format` is kept only for strings and only when `date-time` or `enum`.
//! * `exclusiveMinimum`/`exclusiveMaximum` numbers become `minimum`/`maximum` when those are absent.

use serde_json::{Map, Value};

/// Deepest nesting followed; anything below becomes an untyped schema (guards the stack).
const MAX_DEPTH: usize = 48;
/// Most `$ref`s followed along one path.
const MAX_REF_CHAIN: usize = 32;

/// Clean a tool's JSON Schema for Gemini. `None` means "omit `parameters`" (no-argument tool, or
/// a schema that is not an object with at least one property).
pub fn clean_schema(schema: &Value) -> Option<Value> {
    let mut cx = Cx { root: schema, refs: Vec::new() };
    let mut out = cx.clean(schema, 0);
    out.remove("nullable");
    let is_object = out.get("type").and_then(Value::as_str) == Some("object");
    let has_props = out
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty());
    if is_object && has_props {
        Some(Value::Object(out))
    } else {
        None
    }
}

struct Cx<'a> {
    root: &'a Value,
    refs: Vec<String>,
}

const KNOWN_TYPES: [&str; 6] = ["string", "number", "integer", "boolean", "array", "object"];

fn is_null_schema(v: &Value) -> bool {
    match v {
        Value::Object(o) => {
            o.get("type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("null"))
                || o.get("const").is_some_and(Value::is_null)
                || o.get("enum")
                    .and_then(Value::as_array)
                    .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_null))
        }
        _ => false,
    }
}

fn copy_string(src: &Map<String, Value>, key: &str, out: &mut Map<String, Value>) {
    if let Some(Value::String(s)) = src.get(key) {
        out.insert(key.to_string(), Value::String(s.clone()));
    }
}

fn as_count(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0).map(|f| f as u64)),
        _ => None,
    }
}

fn copy_count(src: &Map<String, Value>, key: &str, out: &mut Map<String, Value>) {
    if let Some(n) = src.get(key).and_then(as_count) {
        out.insert(key.to_string(), Value::from(n));
    }
}

fn copy_number(src: &Map<String, Value>, key: &str, out: &mut Map<String, Value>) -> bool {
    match src.get(key) {
        Some(Value::Number(n)) => {
            out.insert(key.to_string(), Value::Number(n.clone()));
            true
        }
        _ => false,
    }
}

/// Only the annotation keys (used where structure cannot be kept).
fn annotations(m: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for k in ["title", "description"] {
        if let Some(v) = m.get(k) {
            out.insert(k.to_string(), v.clone());
        }
    }
    out
}

/// Merge two cleaned schemas as an intersection: `type` keeps the first, `properties` and
/// `required` are united, any other key is taken from `b` when present.
fn merge(mut a: Map<String, Value>, b: Map<String, Value>) -> Map<String, Value> {
    for (k, v) in b {
        match k.as_str() {
            "type" => {
                a.entry(k).or_insert(v);
            }
            "properties" => {
                let entry = a.entry(k).or_insert_with(|| Value::Object(Map::new()));
                if let (Value::Object(dst), Value::Object(src)) = (entry, v) {
                    for (pk, pv) in src {
                        dst.insert(pk, pv);
                    }
                }
            }
            "required" => {
                let entry = a.entry(k).or_insert_with(|| Value::Array(Vec::new()));
                if let (Value::Array(dst), Value::Array(src)) = (entry, v) {
                    for r in src {
                        if !dst.contains(&r) {
                            dst.push(r);
                        }
                    }
                }
            }
            _ => {
                a.insert(k, v);
            }
        }
    }
    a
}

impl<'a> Cx<'a> {
    fn resolve(&self, reference: &str) -> Option<&'a Value> {
        let frag = reference.strip_prefix('#')?;
        if frag.is_empty() {
            return Some(self.root);
        }
        let decoded = percent_decode(frag);
        self.root.pointer(&decoded)
    }

    /// Clean one schema node. An empty map means "any value" (no constraints).
    fn clean(&mut self, node: &Value, depth: usize) -> Map<String, Value> {
        let Value::Object(obj) = node else {
            // `true`/`false` schemas and garbage: no constraint we can express.
            return Map::new();
        };
        if depth > MAX_DEPTH {
            return annotations(obj);
        }

        if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
            let target = if self.refs.iter().any(|r| r == reference) || self.refs.len() >= MAX_REF_CHAIN {
                None
            } else {
                self.resolve(reference)
            };
            let resolved = match target {
                Some(t) => {
                    self.refs.push(reference.to_string());
                    let m = self.clean(t, depth + 1);
                    self.refs.pop();
                    m
                }
                None => Map::new(),
            };
            let mut siblings = obj.clone();
            siblings.remove("$ref");
            siblings.remove("$defs");
            siblings.remove("definitions");
            if siblings.is_empty() {
                return resolved;
            }
            let sib = self.clean(&Value::Object(siblings), depth + 1);
            return merge(resolved, sib);
        }

        if let Some(Value::Array(branches)) = obj.get("allOf") {
            let mut base = obj.clone();
            base.remove("allOf");
            let mut out = self.clean(&Value::Object(base), depth + 1);
            for b in branches {
                let c = self.clean(b, depth + 1);
                out = merge(out, c);
            }
            return out;
        }

        let union = match (obj.get("anyOf"), obj.get("oneOf")) {
            (Some(Value::Array(a)), _) => Some(("anyOf", a)),
            (_, Some(Value::Array(a))) => Some(("oneOf", a)),
            _ => None,
        };
        if let Some((key, branches)) = union {
            let mut nullable = obj.get("nullable") == Some(&Value::Bool(true));
            let mut unconstrained = false;
            let mut cleaned: Vec<Map<String, Value>> = Vec::new();
            for b in branches {
                if is_null_schema(b) {
                    nullable = true;
                    continue;
                }
                let c = self.clean(b, depth + 1);
                if c.is_empty() {
                    unconstrained = true;
                }
                if !cleaned.contains(&c) {
                    cleaned.push(c);
                }
            }
            let mut base = obj.clone();
            base.remove(key);
            let base = self.clean(&Value::Object(base), depth + 1);
            let mut out = if unconstrained || cleaned.is_empty() {
                base
            } else if cleaned.len() == 1 {
                let only = cleaned.pop().unwrap_or_default();
                merge(base, only)
            } else {
                let mut m = annotations(&base);
                m.insert(
                    "anyOf".to_string(),
                    Value::Array(cleaned.into_iter().map(Value::Object).collect()),
                );
                m
            };
            if nullable {
                out.insert("nullable".to_string(), Value::Bool(true));
            }
            return out;
        }

        self.clean_plain(obj, depth)
    }

    fn clean_plain(&mut self, obj: &Map<String, Value>, depth: usize) -> Map<String, Value> {
        let mut nullable = obj.get("nullable") == Some(&Value::Bool(true));
        let mut types: Vec<String> = Vec::new();
        match obj.get("type") {
            Some(Value::String(t)) => types.push(t.to_ascii_lowercase()),
            Some(Value::Array(ts)) => {
                for t in ts.iter().filter_map(Value::as_str) {
                    let t = t.to_ascii_lowercase();
                    if !types.contains(&t) {
                        types.push(t);
                    }
                }
            }
            _ => {}
        }
        if let Some(pos) = types.iter().position(|t| t == "null") {
            types.remove(pos);
            nullable = true;
        }
        types.retain(|t| KNOWN_TYPES.contains(&t.as_str()));
        // "integer" and "number" together is just "number".
        if types.contains(&"integer".to_string()) && types.contains(&"number".to_string()) {
            types.retain(|t| t != "integer");
        }

        if types.len() > 1 {
            let mut branches = Vec::new();
            for t in &types {
                let mut single = obj.clone();
                single.insert("type".to_string(), Value::String(t.clone()));
                single.remove("nullable");
                single.remove("title");
                single.remove("description");
                branches.push(Value::Object(self.clean_plain(&single, depth + 1)));
            }
            let mut out = annotations(obj);
            out.insert("anyOf".to_string(), Value::Array(branches));
            if nullable {
                out.insert("nullable".to_string(), Value::Bool(true));
            }
            return out;
        }

        let mut ty: Option<String> = types.pop();
        if ty.is_none() {
            if obj.get("properties").is_some_and(Value::is_object) {
                ty = Some("object".into());
            } else if obj.contains_key("items") || obj.contains_key("prefixItems") {
                ty = Some("array".into());
            }
        }

        // enum / const → string enum.
        let mut enum_values: Option<Vec<Value>> = None;
        let raw_enum: Option<Vec<Value>> = match (obj.get("enum"), obj.get("const")) {
            (Some(Value::Array(a)), _) => Some(a.clone()),
            (_, Some(c)) => Some(vec![c.clone()]),
            _ => None,
        };
        if let Some(raw) = raw_enum {
            let mut strings: Vec<Value> = Vec::new();
            for v in raw {
                let s = match v {
                    Value::Null => {
                        nullable = true;
                        continue;
                    }
                    Value::String(s) => s,
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    other => other.to_string(),
                };
                let s = Value::String(s);
                if !strings.contains(&s) {
                    strings.push(s);
                }
            }
            if !strings.is_empty() {
                enum_values = Some(strings);
                ty = Some("string".into());
            }
        }

        let mut out = Map::new();
        if let Some(t) = &ty {
            out.insert("type".to_string(), Value::String(t.clone()));
        }
        copy_string(obj, "title", &mut out);
        copy_string(obj, "description", &mut out);
        if let Some(e) = enum_values {
            out.insert("enum".to_string(), Value::Array(e));
        }

        match ty.as_deref() {
            Some("object") => {
                let mut props = Map::new();
                if let Some(Value::Object(p)) = obj.get("properties") {
                    for (k, v) in p {
                        let c = self.clean(v, depth + 1);
                        props.insert(k.clone(), Value::Object(c));
                    }
                }
                if props.is_empty() {
                    // Gemini refuses OBJECT without properties; leave it untyped ("any").
                    out.remove("type");
                } else {
                    if let Some(Value::Array(req)) = obj.get("required") {
                        let mut kept: Vec<Value> = Vec::new();
                        for r in req {
                            if let Value::String(name) = r {
                                if props.contains_key(name) && !kept.contains(r) {
                                    kept.push(r.clone());
                                }
                            }
                        }
                        if !kept.is_empty() {
                            out.insert("required".to_string(), Value::Array(kept));
                        }
                    }
                    if let Some(Value::Array(order)) = obj.get("propertyOrdering") {
                        let kept: Vec<Value> = order
                            .iter()
                            .filter(|o| o.as_str().is_some_and(|n| props.contains_key(n)))
                            .cloned()
                            .collect();
                        if !kept.is_empty() {
                            out.insert("propertyOrdering".to_string(), Value::Array(kept));
                        }
                    }
                    out.insert("properties".to_string(), Value::Object(props));
                    copy_count(obj, "minProperties", &mut out);
                    copy_count(obj, "maxProperties", &mut out);
                }
            }
            Some("array") => {
                let items = match (obj.get("items"), obj.get("prefixItems")) {
                    (Some(Value::Array(tuple)), _) | (_, Some(Value::Array(tuple))) => {
                        let mut branches: Vec<Map<String, Value>> = Vec::new();
                        for t in tuple {
                            let c = self.clean(t, depth + 1);
                            if !branches.contains(&c) {
                                branches.push(c);
                            }
                        }
                        if branches.iter().any(Map::is_empty) {
                            Map::new()
                        } else if branches.len() == 1 {
                            branches.pop().unwrap_or_default()
                        } else {
                            let mut m = Map::new();
                            m.insert(
                                "anyOf".to_string(),
                                Value::Array(branches.into_iter().map(Value::Object).collect()),
                            );
                            m
                        }
                    }
                    (Some(items), _) => self.clean(items, depth + 1),
                    _ => Map::new(),
                };
                let items = if items.is_empty() {
                    let mut m = Map::new();
                    m.insert("type".to_string(), Value::String("string".into()));
                    m
                } else {
                    items
                };
                out.insert("items".to_string(), Value::Object(items));
                copy_count(obj, "minItems", &mut out);
                copy_count(obj, "maxItems", &mut out);
            }
            Some("string") => {
                if let Some(Value::String(f)) = obj.get("format") {
                    if f == "date-time" || f == "enum" {
                        out.insert("format".to_string(), Value::String(f.clone()));
                    }
                }
                copy_count(obj, "minLength", &mut out);
                copy_count(obj, "maxLength", &mut out);
                copy_string(obj, "pattern", &mut out);
            }
            Some("number") | Some("integer") => {
                if !copy_number(obj, "minimum", &mut out) {
                    if let Some(Value::Number(n)) = obj.get("exclusiveMinimum") {
                        out.insert("minimum".to_string(), Value::Number(n.clone()));
                    }
                }
                if !copy_number(obj, "maximum", &mut out) {
                    if let Some(Value::Number(n)) = obj.get("exclusiveMaximum") {
                        out.insert("maximum".to_string(), Value::Number(n.clone()));
                    }
                }
            }
            _ => {}
        }

        let stringified = out.contains_key("enum");
        for key in ["default", "example"] {
            let value = match (key, obj.get(key)) {
                (_, Some(v)) => Some(v.clone()),
                ("example", None) => obj.get("examples").and_then(Value::as_array).and_then(|a| a.first()).cloned(),
                _ => None,
            };
            let Some(v) = value else { continue };
            if v.is_null() {
                continue;
            }
            let v = match (stringified, v) {
                (true, Value::String(s)) => Value::String(s),
                (true, Value::Number(n)) => Value::String(n.to_string()),
                (true, Value::Bool(b)) => Value::String(b.to_string()),
                (true, _) => continue,
                (false, v) => v,
            };
            out.insert(key.to_string(), v);
        }

        if nullable {
            out.insert("nullable".to_string(), Value::Bool(true));
        }
        out
    }
}

fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn c(v: Value) -> Option<Value> {
        clean_schema(&v)
    }

    #[test]
    fn keeps_whitelist_and_drops_the_rest() {
        let out = c(json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "city": {"type": "string", "description": "City name", "minLength": 1, "examples": ["Paris"]},
                "days": {"type": "integer", "minimum": 1, "exclusiveMaximum": 15, "multipleOf": 1},
                "when": {"type": "string", "format": "date-time"},
                "mail": {"type": "string", "format": "email", "pattern": "^.+@.+$"},
                "nested": {"type": "object", "additionalProperties": {"type": "string"},
                           "properties": {"x": {"type": "number", "readOnly": true}}}
            },
            "required": ["city", "ghost"]
        }))
        .unwrap();
        assert_eq!(
            out,
            json!({
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": "City name", "minLength": 1, "example": "Paris"},
                    "days": {"type": "integer", "minimum": 1, "maximum": 15},
                    "when": {"type": "string", "format": "date-time"},
                    "mail": {"type": "string", "pattern": "^.+@.+$"},
                    "nested": {"type": "object", "properties": {"x": {"type": "number"}}}
                },
                "required": ["city"]
            })
        );
    }

    #[test]
    fn type_arrays() {
        let out = c(json!({"type": "object", "properties": {
            "a": {"type": ["string", "null"], "description": "maybe"},
            "b": {"type": ["string", "integer"]},
            "c": {"type": ["null"]},
            "d": {"type": ["array", "null"], "items": {"type": "string"}}
        }}))
        .unwrap();
        assert_eq!(out["properties"]["a"], json!({"type": "string", "description": "maybe", "nullable": true}));
        assert_eq!(out["properties"]["b"], json!({"anyOf": [{"type": "string"}, {"type": "integer"}]}));
        assert_eq!(out["properties"]["c"], json!({"nullable": true}));
        assert_eq!(out["properties"]["d"], json!({"type": "array", "items": {"type": "string"}, "nullable": true}));
    }

    #[test]
    fn refs_are_inlined_and_recursion_is_cut() {
        let out = c(json!({
            "type": "object",
            "properties": {
                "home": {"$ref": "#/$defs/Address", "description": "Home address"},
                "work": {"$ref": "#/definitions/Address"},
                "tree": {"$ref": "#/$defs/Node"},
                "ext": {"$ref": "https://example.com/schema.json"}
            },
            "$defs": {
                "Address": {"type": "object", "properties": {"street": {"type": "string"}}, "required": ["street"]},
                "Node": {"type": "object", "properties": {"value": {"type": "string"},
                                                            "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}}
            },
            "definitions": {"Address": {"type": "object", "properties": {"zip": {"type": "string"}}}}
        }))
        .unwrap();
        let p = &out["properties"];
        assert_eq!(
            p["home"],
            json!({"type": "object", "properties": {"street": {"type": "string"}}, "required": ["street"], "description": "Home address"})
        );
        assert_eq!(p["work"], json!({"type": "object", "properties": {"zip": {"type": "string"}}}));
        // The recursion point becomes unconstrained, which for array items means the default.
        assert_eq!(p["tree"]["properties"]["children"], json!({"type": "array", "items": {"type": "string"}}));
        assert_eq!(p["ext"], json!({}));
        assert!(!out.to_string().contains("$ref"));
    }

    #[test]
    fn root_ref_and_self_reference() {
        let out = c(json!({"$ref": "#/$defs/Root", "$defs": {"Root": {"type": "object", "properties": {
            "me": {"$ref": "#"}, "n": {"type": "number"}}}}}))
        .unwrap();
        assert_eq!(out["properties"]["n"], json!({"type": "number"}));
        assert!(out["properties"]["me"].is_object());
    }

    #[test]
    fn enums_and_const() {
        let out = c(json!({"type": "object", "properties": {
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "level": {"type": "integer", "enum": [1, 2, 3], "default": 2},
            "flag": {"enum": [true, false, null]},
            "kind": {"const": "circle"},
            "n": {"const": 5}
        }}))
        .unwrap();
        let p = &out["properties"];
        assert_eq!(p["unit"], json!({"type": "string", "enum": ["celsius", "fahrenheit"]}));
        assert_eq!(p["level"], json!({"type": "string", "enum": ["1", "2", "3"], "default": "2"}));
        assert_eq!(p["flag"], json!({"type": "string", "enum": ["true", "false"], "nullable": true}));
        assert_eq!(p["kind"], json!({"type": "string", "enum": ["circle"]}));
        assert_eq!(p["n"], json!({"type": "string", "enum": ["5"]}));
    }

    #[test]
    fn no_arg_tools_omit_parameters() {
        assert_eq!(c(json!({"type": "object", "properties": {}})), None);
        assert_eq!(c(json!({"type": "object"})), None);
        assert_eq!(c(json!({"type": "object", "properties": {}, "additionalProperties": false, "$schema": "x"})), None);
        assert_eq!(c(json!({})), None);
        assert_eq!(c(json!(null)), None);
        assert_eq!(c(json!(true)), None);
        assert_eq!(c(json!({"type": "string"})), None);
        // Properties without an explicit type still make an object.
        assert_eq!(c(json!({"properties": {"a": {"type": "string"}}})), Some(json!({"type": "object", "properties": {"a": {"type": "string"}}})));
    }

    #[test]
    fn nested_arrays_and_empty_objects() {
        let out = c(json!({"type": "object", "properties": {
            "matrix": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
            "tags": {"type": "array"},
            "anything": {"type": "array", "items": {}},
            "tuple": {"type": "array", "items": [{"type": "string"}, {"type": "number"}]},
            "meta": {"type": "object", "description": "free-form", "additionalProperties": true},
            "snapshot": {"description": "any value"},
            "rows": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}}, "additionalProperties": false}}
        }}))
        .unwrap();
        let p = &out["properties"];
        assert_eq!(p["matrix"], json!({"type": "array", "items": {"type": "array", "items": {"type": "number"}}}));
        assert_eq!(p["tags"], json!({"type": "array", "items": {"type": "string"}}));
        assert_eq!(p["anything"], json!({"type": "array", "items": {"type": "string"}}));
        assert_eq!(p["tuple"], json!({"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "number"}]}}));
        assert_eq!(p["meta"], json!({"description": "free-form"}));
        assert_eq!(p["snapshot"], json!({"description": "any value"}));
        assert_eq!(p["rows"]["items"], json!({"type": "object", "properties": {"id": {"type": "string"}}}));
    }

    #[test]
    fn unions() {
        let out = c(json!({"type": "object", "properties": {
            "maybe": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "opt"},
            "either": {"oneOf": [{"type": "string"}, {"type": "number"}]},
            "any": {"anyOf": [{"type": "string"}, {}]},
            "both": {"allOf": [
                {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                {"properties": {"b": {"type": "number"}}, "required": ["b"]}
            ]}
        }}))
        .unwrap();
        let p = &out["properties"];
        assert_eq!(p["maybe"], json!({"description": "opt", "type": "string", "nullable": true}));
        assert_eq!(p["either"], json!({"anyOf": [{"type": "string"}, {"type": "number"}]}));
        assert_eq!(p["any"], json!({}));
        assert_eq!(
            p["both"],
            json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "number"}}, "required": ["a", "b"]})
        );
        assert!(!out.to_string().contains("oneOf") && !out.to_string().contains("allOf"));
    }

    #[test]
    fn matches_reference_tool_schema() {
        // CopilotKit 1.75's AGUISendStateDelta schema, as the client sends it, and the exact
        // `parameters` the reference runtime produced (gemini-reference/v175-simple-chat.json).
        let input = json!({
            "type": "object",
            "properties": {"delta": {"type": "array", "description": "Array of JSON Patch operations",
                "items": {"type": "object", "properties": {
                    "op": {"type": "string", "enum": ["add", "replace", "remove"], "description": "The operation to perform"},
                    "path": {"type": "string", "description": "JSON Pointer path (e.g., '/foo/bar')"},
                    "value": {"description": "The value to set. Required for 'add' and 'replace' operations, ignored for 'remove'."}
                }, "required": ["op", "path"], "additionalProperties": false}}},
            "required": ["delta"],
            "additionalProperties": false,
            "$schema": "http://json-schema.org/draft-07/schema#"
        });
        let expected = json!({"required": ["delta"], "type": "object", "properties": {"delta": {
            "description": "Array of JSON Patch operations", "type": "array", "items": {
                "required": ["op", "path"], "type": "object", "properties": {
                    "op": {"description": "The operation to perform", "type": "string", "enum": ["add", "replace", "remove"]},
                    "path": {"description": "JSON Pointer path (e.g., '/foo/bar')", "type": "string"},
                    "value": {"description": "The value to set. Required for 'add' and 'replace' operations, ignored for 'remove'."}}}}}});
        assert_eq!(clean_schema(&input), Some(expected));
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        // Deep nesting.
        let mut v = json!({"type": "string"});
        for _ in 0..500 {
            v = json!({"type": "object", "properties": {"x": v}});
        }
        assert!(clean_schema(&v).is_some());
        // Mutual recursion through refs, odd values everywhere.
        let v = json!({"type": "object", "properties": {
            "a": {"$ref": "#/$defs/A"}, "b": {"type": 5, "enum": "x", "items": 3, "properties": []},
            "c": {"minLength": -1, "maxItems": 1.5, "type": "string"}, "d": {"$ref": "#/%24defs/B"}},
            "$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}}});
        let out = clean_schema(&v).unwrap();
        assert_eq!(out["properties"]["a"], json!({}));
        assert_eq!(out["properties"]["c"], json!({"type": "string"}));
    }
}
