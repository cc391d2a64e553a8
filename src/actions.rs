//! Server-side actions as the core sees them: CopilotKit's `Parameter[]` → JSON Schema, and the
//! shared encoding of action results (plain text, JSON text, or the error envelope).

use serde_json::{json, Map, Value};

/// `actionParametersToJsonSchema` of CopilotKit: an object schema whose `required` lists every
/// parameter not marked `required: false`.
pub fn parameters_to_json_schema(parameters: &Value) -> Value {
    let params = parameters.as_array().map(Vec::as_slice).unwrap_or(&[]);
    let (properties, required) = object_members(params);
    json!({"type": "object", "properties": properties, "required": required})
}

fn object_members(params: &[Value]) -> (Map<String, Value>, Vec<Value>) {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for p in params {
        let Some(name) = p.get("name").and_then(Value::as_str) else { continue };
        properties.insert(name.to_string(), parameter_schema(p));
        if p.get("required") != Some(&Value::Bool(false)) {
            required.push(Value::String(name.to_string()));
        }
    }
    (properties, required)
}

fn with_description(mut schema: Map<String, Value>, p: &Value) -> Value {
    if let Some(d) = p.get("description").filter(|d| !d.is_null()) {
        schema.insert("description".into(), d.clone());
    }
    Value::Object(schema)
}

fn parameter_schema(p: &Value) -> Value {
    let ty = p.get("type").and_then(Value::as_str).unwrap_or("string");
    let attributes = p.get("attributes").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    let mut s = Map::new();
    match ty {
        "number" | "boolean" => {
            s.insert("type".into(), json!(ty));
        }
        "object" => {
            s.insert("type".into(), json!("object"));
            if !attributes.is_empty() {
                let (props, req) = object_members(attributes);
                s.insert("properties".into(), Value::Object(props));
                if !req.is_empty() {
                    s.insert("required".into(), Value::Array(req));
                }
            }
        }
        "object[]" => {
            let mut items = Map::new();
            items.insert("type".into(), json!("object"));
            if !attributes.is_empty() {
                let (props, req) = object_members(attributes);
                items.insert("properties".into(), Value::Object(props));
                if !req.is_empty() {
                    items.insert("required".into(), Value::Array(req));
                }
            }
            s.insert("type".into(), json!("array"));
            s.insert("items".into(), Value::Object(items));
        }
        "string[]" | "number[]" | "boolean[]" => {
            s.insert("type".into(), json!("array"));
            s.insert("items".into(), json!({"type": &ty[..ty.len() - 2]}));
        }
        _ => {
            s.insert("type".into(), json!("string"));
            if ty == "string" {
                if let Some(e) = p.get("enum").filter(|e| e.is_array()) {
                    s.insert("enum".into(), e.clone());
                }
            }
        }
    }
    with_description(s, p)
}

/// Encode what an action handler returned: strings as they are, `undefined`/`null` as `""`
/// (`null` is JSON `null` in CopilotKit, kept as `"null"`), everything else as JSON text.
pub fn encode_result(value: Option<&Value>) -> String {
    match value {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

/// The error envelope CopilotKit uses in place of a result.
pub fn error_result(code: &str, message: &str) -> String {
    json!({"error": {"code": code, "message": message}, "result": ""}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_every_parameter_kind_like_copilotkit() {
        let params = json!([
            {"name": "city", "type": "string", "description": "City name"},
            {"name": "unit", "type": "string", "enum": ["c", "f"], "required": false},
            {"name": "days", "type": "number"},
            {"name": "tags", "type": "string[]", "description": "Tags"},
            {"name": "flag", "type": "boolean", "required": false},
            {"name": "where", "type": "object", "attributes": [{"name": "lat", "type": "number"}, {"name": "lng", "type": "number", "required": false}]},
            {"name": "stops", "type": "object[]", "attributes": [{"name": "name"}]},
            {"name": "odd", "type": "date"}
        ]);
        let s = parameters_to_json_schema(&params);
        assert_eq!(
            s,
            json!({"type": "object", "properties": {
                "city": {"type": "string", "description": "City name"},
                "unit": {"type": "string", "enum": ["c", "f"]},
                "days": {"type": "number"},
                "tags": {"type": "array", "items": {"type": "string"}, "description": "Tags"},
                "flag": {"type": "boolean"},
                "where": {"type": "object", "properties": {"lat": {"type": "number"}, "lng": {"type": "number"}}, "required": ["lat"]},
                "stops": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}},
                "odd": {"type": "string"}
            }, "required": ["city", "days", "tags", "where", "stops", "odd"]})
        );
    }

    #[test]
    fn no_parameters_gives_an_empty_object_schema() {
        assert_eq!(parameters_to_json_schema(&Value::Null), json!({"type": "object", "properties": {}, "required": []}));
    }

    #[test]
    fn encodes_results_as_copilotkit_does() {
        assert_eq!(encode_result(None), "");
        assert_eq!(encode_result(Some(&json!("sunny"))), "sunny");
        assert_eq!(encode_result(Some(&json!({"t": 21}))), r#"{"t":21}"#);
        assert_eq!(
            error_result("HANDLER_ERROR", "boom"),
            r#"{"error":{"code":"HANDLER_ERROR","message":"boom"},"result":""}"#
        );
    }
}
