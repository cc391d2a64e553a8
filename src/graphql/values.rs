//! Input values: variable coercion (`getVariableValues` / `coerceInputValue`), literal values
//! (`valueFromAST`), argument values, scalar parsing and serialisation, and the graphql-js
//! helpers that shape error texts (`inspect`, `didYouMean`, `suggestionList`).

use serde_json::{Map, Number, Value as Json};

use super::ast::{print_value, Argument, Type, Value, ValueKind, VariableDefinition};
use super::error::{GraphQLError, Pos};
use super::schema::{Schema, TypeDef, TypeKind};

// ---------------------------------------------------------------------------------------------
// graphql-js message helpers

/// JavaScript's `String(number)` for the numbers JSON can carry.
pub fn js_number(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    if f.fract() == 0.0 && f.abs() < 1e21 {
        format!("{f:.0}")
    } else {
        f.to_string()
    }
}

/// graphql-js `inspect()` of a JSON value (depth 2, 10 array items).
pub fn inspect(v: &Json) -> String {
    inspect_at(v, 0)
}

fn inspect_at(v: &Json, depth: usize) -> String {
    match v {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => js_number(n),
        Json::String(s) => serde_json::to_string(s).unwrap_or_default(),
        Json::Array(items) => {
            if items.is_empty() {
                return "[]".into();
            }
            if depth > 2 {
                return "[Array]".into();
            }
            let len = items.len().min(10);
            let mut parts: Vec<String> = items[..len]
                .iter()
                .map(|i| inspect_at(i, depth + 1))
                .collect();
            let remaining = items.len() - len;
            if remaining == 1 {
                parts.push("... 1 more item".into());
            } else if remaining > 1 {
                parts.push(format!("... {remaining} more items"));
            }
            format!("[{}]", parts.join(", "))
        }
        Json::Object(m) => {
            if m.is_empty() {
                return "{}".into();
            }
            if depth > 2 {
                return "[Object]".into();
            }
            let parts: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{k}: {}", inspect_at(v, depth + 1)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
    }
}

/// JavaScript template-literal conversion (`${value}`) of a JSON value.
fn js_string(v: &Json) -> String {
    match v {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => js_number(n),
        Json::String(s) => s.clone(),
        Json::Array(items) => items
            .iter()
            .map(|i| {
                if i.is_null() {
                    String::new()
                } else {
                    js_string(i)
                }
            })
            .collect::<Vec<_>>()
            .join(","),
        Json::Object(_) => "[object Object]".into(),
    }
}

fn lexical_distance(input: &str, option: &str, threshold: usize) -> Option<usize> {
    if input == option {
        return Some(0);
    }
    let il = input.to_lowercase();
    let ol = option.to_lowercase();
    if il == ol {
        return Some(1);
    }
    let mut a: Vec<char> = ol.chars().collect();
    let mut b: Vec<char> = il.chars().collect();
    if a.len() < b.len() {
        std::mem::swap(&mut a, &mut b);
    }
    if a.len() - b.len() > threshold {
        return None;
    }
    let (al, bl) = (a.len(), b.len());
    let mut rows = vec![vec![0usize; bl + 1]; 3];
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=al {
        let mut smallest = i;
        rows[i % 3][0] = i;
        for j in 1..=bl {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut cell = (rows[(i - 1) % 3][j] + 1)
                .min(rows[i % 3][j - 1] + 1)
                .min(rows[(i - 1) % 3][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cell = cell.min(rows[(i - 2) % 3][j - 2] + 1);
            }
            smallest = smallest.min(cell);
            rows[i % 3][j] = cell;
        }
        if smallest > threshold {
            return None;
        }
    }
    let d = rows[al % 3][bl];
    (d <= threshold).then_some(d)
}

pub fn natural_compare(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < ab.len() && j < bb.len() {
        if ab[i].is_ascii_digit() && bb[j].is_ascii_digit() {
            let si = i;
            while i < ab.len() && ab[i].is_ascii_digit() {
                i += 1;
            }
            let sj = j;
            while j < bb.len() && bb[j].is_ascii_digit() {
                j += 1;
            }
            let na: u128 = a[si..i].parse().unwrap_or(0);
            let nb: u128 = b[sj..j].parse().unwrap_or(0);
            match na.cmp(&nb) {
                Ordering::Equal => continue,
                o => return o,
            }
        }
        match ab[i].cmp(&bb[j]) {
            Ordering::Equal => {
                i += 1;
                j += 1;
            }
            o => return o,
        }
    }
    (ab.len() - i).cmp(&(bb.len() - j))
}

/// graphql-js `suggestionList`.
pub fn suggestion_list<'a>(input: &str, options: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let threshold = (input.chars().count() as f64 * 0.4).floor() as usize + 1;
    let mut found: Vec<(usize, &str)> = Vec::new();
    for o in options {
        if found.iter().any(|(_, x)| *x == o) {
            continue;
        }
        if let Some(d) = lexical_distance(input, o, threshold) {
            found.push((d, o));
        }
    }
    found.sort_by(|(da, a), (db, b)| da.cmp(db).then_with(|| natural_compare(a, b)));
    found.into_iter().map(|(_, o)| o.to_string()).collect()
}

/// graphql-js `didYouMean` (empty when there are no suggestions).
pub fn did_you_mean(sub_message: Option<&str>, suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        return String::new();
    }
    let mut message = " Did you mean ".to_string();
    if let Some(s) = sub_message {
        message.push_str(s);
        message.push(' ');
    }
    let quoted: Vec<String> = suggestions
        .iter()
        .take(5)
        .map(|s| format!("\"{s}\""))
        .collect();
    match quoted.len() {
        1 => format!("{message}{}?", quoted[0]),
        2 => format!("{message}{} or {}?", quoted[0], quoted[1]),
        n => format!(
            "{message}{}, or {}?",
            quoted[..n - 1].join(", "),
            quoted[n - 1]
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// scalars

/// RFC 3339 date-time check, as graphql-scalars' `DateTimeISO` does it.
pub fn is_valid_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|x| x.iter().all(u8::is_ascii_digit))
    };
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
    {
        return false;
    }
    if !matches!(b[10], b'T' | b't')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(99);
    let (month, day, hour, min, sec) =
        (num(5..7), num(8..10), num(11..13), num(14..16), num(17..19));
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &s[i..] {
        "Z" | "z" => true,
        tz => {
            let t = tz.as_bytes();
            t.len() == 6
                && matches!(t[0], b'+' | b'-')
                && t[1..3].iter().all(u8::is_ascii_digit)
                && t[3] == b':'
                && t[4..6].iter().all(u8::is_ascii_digit)
                && tz[1..3].parse::<u32>().unwrap_or(99) <= 23
                && tz[4..6].parse::<u32>().unwrap_or(99) <= 59
        }
    }
}

/// `parseValue` of a leaf type (input coercion from JSON variables); the error is the scalar's
/// message as graphql-js/graphql-scalars word it.
pub fn parse_leaf_value(t: &TypeDef, v: &Json) -> Result<Json, String> {
    if t.kind == TypeKind::Enum {
        return match v {
            Json::String(s) if t.enum_values.iter().any(|e| e == s) => Ok(v.clone()),
            Json::String(s) => Err(format!(
                "Value \"{s}\" does not exist in \"{}\" enum.{}",
                t.name,
                did_you_mean(
                    Some("the enum value"),
                    &suggestion_list(s, t.enum_values.iter().map(String::as_str))
                )
            )),
            other => {
                let shown = inspect(other);
                Err(format!(
                    "Enum \"{}\" cannot represent non-string value: {shown}.{}",
                    t.name,
                    did_you_mean(
                        Some("the enum value"),
                        &suggestion_list(&shown, t.enum_values.iter().map(String::as_str))
                    )
                ))
            }
        };
    }
    match t.name.as_str() {
        "String" => match v {
            Json::String(_) => Ok(v.clone()),
            _ => Err(format!(
                "String cannot represent a non string value: {}",
                inspect(v)
            )),
        },
        "Boolean" => match v {
            Json::Bool(_) => Ok(v.clone()),
            _ => Err(format!(
                "Boolean cannot represent a non boolean value: {}",
                inspect(v)
            )),
        },
        "Int" => {
            let Some(f) = v.as_f64().filter(|f| f.fract() == 0.0 && v.is_number()) else {
                return Err(format!(
                    "Int cannot represent non-integer value: {}",
                    inspect(v)
                ));
            };
            if !(-2147483648.0..=2147483647.0).contains(&f) {
                return Err(format!(
                    "Int cannot represent non 32-bit signed integer value: {}",
                    inspect(v)
                ));
            }
            Ok(Json::from(f as i64))
        }
        "Float" => match v {
            Json::Number(_) => Ok(v.clone()),
            _ => Err(format!(
                "Float cannot represent non numeric value: {}",
                inspect(v)
            )),
        },
        "ID" => match v {
            Json::String(_) => Ok(v.clone()),
            Json::Number(n) if n.is_i64() || n.is_u64() => Ok(Json::String(n.to_string())),
            _ => Err(format!("ID cannot represent value: {}", inspect(v))),
        },
        "DateTimeISO" => match v {
            Json::String(s) if is_valid_date_time(s) => Ok(v.clone()),
            Json::String(s) => Err(format!(
                "DateTimeISO cannot represent an invalid date-time-string {s}."
            )),
            _ => Err(format!(
                "DateTimeISO cannot represent non string or Date type {}",
                v
            )),
        },
        "JSONObject" => match v {
            Json::Object(_) => Ok(v.clone()),
            _ => Err(format!(
                "JSONObject cannot represent non-object value: {}",
                js_string(v)
            )),
        },
        // JSON and any unknown custom scalar accept anything.
        _ => Ok(v.clone()),
    }
}

/// Output serialisation of a leaf value (`serialize`), error text as graphql-js words it.
pub fn serialize_leaf(t: &TypeDef, v: &Json) -> Result<Json, String> {
    if t.kind == TypeKind::Enum {
        return match v {
            Json::String(s) if t.enum_values.iter().any(|e| e == s) => Ok(v.clone()),
            _ => Err(format!(
                "Enum \"{}\" cannot represent value: {}",
                t.name,
                inspect(v)
            )),
        };
    }
    match t.name.as_str() {
        "String" => match v {
            Json::String(_) => Ok(v.clone()),
            Json::Bool(b) => Ok(Json::String(b.to_string())),
            Json::Number(n) => Ok(Json::String(js_number(n))),
            _ => Err(format!("String cannot represent value: {}", inspect(v))),
        },
        "Boolean" => match v {
            Json::Bool(_) => Ok(v.clone()),
            Json::Number(n) => Ok(Json::Bool(n.as_f64() != Some(0.0))),
            _ => Err(format!("Boolean cannot represent a non boolean value: {}", inspect(v))),
        },
        "Int" => {
            let f = match v {
                Json::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
                Json::Number(n) => n.as_f64(),
                Json::String(s) if !s.is_empty() => s.parse::<f64>().ok(),
                _ => None,
            };
            match f {
                Some(f) if f.fract() == 0.0 && (-2147483648.0..=2147483647.0).contains(&f) => Ok(Json::from(f as i64)),
                Some(f) if f.fract() == 0.0 => Err(format!("Int cannot represent non 32-bit signed integer value: {}", inspect(v))),
                _ => Err(format!("Int cannot represent non-integer value: {}", inspect(v))),
            }
        }
        "Float" => {
            let f = match v {
                Json::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
                Json::Number(n) => n.as_f64(),
                Json::String(s) if !s.is_empty() => s.parse::<f64>().ok(),
                _ => None,
            };
            match f.filter(|f| f.is_finite()) {
                Some(_) if v.is_number() => Ok(v.clone()),
                Some(f) => Ok(Number::from_f64(f).map(Json::Number).unwrap_or(Json::Null)),
                None => Err(format!("Float cannot represent non numeric value: {}", inspect(v))),
            }
        }
        "ID" => match v {
            Json::String(_) => Ok(v.clone()),
            Json::Number(n) if n.is_i64() || n.is_u64() => Ok(Json::String(n.to_string())),
            _ => Err(format!("ID cannot represent value: {}", inspect(v))),
        },
        "DateTimeISO" => match v {
            Json::String(_) => Ok(v.clone()),
            Json::Number(n) => n
                .as_i64()
                .map(|ms| Json::String(crate::time::iso_from_millis(ms)))
                .ok_or_else(|| format!("DateTimeISO cannot represent an invalid Date instance {}", v)),
            _ => Err(format!("DateTimeISO cannot be serialized from a non string, non numeric or non Date type {}", v)),
        },
        "JSONObject" => match v {
            Json::Object(_) => Ok(v.clone()),
            _ => Err(format!("JSONObject cannot represent non-object value: {}", js_string(v))),
        },
        _ => Ok(v.clone()),
    }
}


// ---------------------------------------------------------------------------------------------
// variable coercion

fn print_path(var: &str, path: &[PathPart]) -> String {
    let mut s = var.to_string();
    for p in path {
        match p {
            PathPart::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            PathPart::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

#[derive(Clone)]
enum PathPart {
    Key(String),
    Index(usize),
}

struct Coercer<'a> {
    schema: &'a Schema,
    errors: Vec<(Vec<PathPart>, Json, String)>,
}

impl Coercer<'_> {
    fn coerce(&mut self, v: &Json, ty: &Type, path: &mut Vec<PathPart>) -> Option<Json> {
        match ty {
            Type::NonNull(inner) => {
                if v.is_null() {
                    self.errors.push((
                        path.clone(),
                        v.clone(),
                        format!("Expected non-nullable type \"{ty}\" not to be null."),
                    ));
                    return None;
                }
                self.coerce(v, inner, path)
            }
            _ if v.is_null() => Some(Json::Null),
            Type::List(inner) => match v {
                Json::Array(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    let mut ok = true;
                    for (i, item) in items.iter().enumerate() {
                        path.push(PathPart::Index(i));
                        match self.coerce(item, inner, path) {
                            Some(c) => out.push(c),
                            None => ok = false,
                        }
                        path.pop();
                    }
                    ok.then_some(Json::Array(out))
                }
                single => self
                    .coerce(single, inner, path)
                    .map(|c| Json::Array(vec![c])),
            },
            Type::Named(name) => {
                let t = self.schema.ty(name);
                if t.kind == TypeKind::InputObject {
                    let Json::Object(obj) = v else {
                        self.errors.push((
                            path.clone(),
                            v.clone(),
                            format!("Expected type \"{}\" to be an object.", t.name),
                        ));
                        return None;
                    };
                    let mut out = Map::new();
                    let mut ok = true;
                    for f in &t.input_fields {
                        match obj.get(&f.name) {
                            None => {
                                if let Some(d) = &f.default_value {
                                    out.insert(
                                        f.name.clone(),
                                        value_from_ast(self.schema, d, &f.ty, None)
                                            .unwrap_or(Json::Null),
                                    );
                                } else if f.ty.is_non_null() {
                                    self.errors.push((
                                        path.clone(),
                                        v.clone(),
                                        format!("Field \"{}\" of required type \"{}\" was not provided.", f.name, f.ty),
                                    ));
                                    ok = false;
                                }
                            }
                            Some(fv) => {
                                path.push(PathPart::Key(f.name.clone()));
                                match self.coerce(fv, &f.ty, path) {
                                    Some(c) => {
                                        out.insert(f.name.clone(), c);
                                    }
                                    None => ok = false,
                                }
                                path.pop();
                            }
                        }
                    }
                    for key in obj.keys() {
                        if t.input_field(key).is_none() {
                            let suggestions = suggestion_list(
                                key,
                                t.input_fields.iter().map(|f| f.name.as_str()),
                            );
                            self.errors.push((
                                path.clone(),
                                v.clone(),
                                format!(
                                    "Field \"{key}\" is not defined by type \"{}\".{}",
                                    t.name,
                                    did_you_mean(None, &suggestions)
                                ),
                            ));
                            ok = false;
                        }
                    }
                    return ok.then_some(Json::Object(out));
                }
                match parse_leaf_value(t, v) {
                    Ok(c) => Some(c),
                    Err(msg) => {
                        self.errors.push((path.clone(), v.clone(), msg));
                        None
                    }
                }
            }
        }
    }
}

/// Coerces the request's `variables` for an operation (graphql-js `getVariableValues`).
/// Errors carry the variable definition's location and no extensions, like yoga's 400 bodies.
pub fn coerce_variable_values(
    schema: &Schema,
    defs: &[VariableDefinition],
    inputs: &Map<String, Json>,
) -> Result<Map<String, Json>, Vec<GraphQLError>> {
    let mut out = Map::new();
    let mut errors = Vec::new();
    for def in defs {
        let name = &def.name;
        let Some(t) = schema.get(def.ty.named_type()).filter(|t| t.is_input()) else {
            errors.push(
                GraphQLError::new(format!(
                    "Variable \"${name}\" expected value of type \"{}\" which cannot be used as an input type.",
                    def.ty
                ))
                .at(def.type_pos),
            );
            continue;
        };
        let _ = t;
        match inputs.get(name) {
            None => {
                if let Some(d) = &def.default_value {
                    if let Some(v) = value_from_ast(schema, d, &def.ty, None) {
                        out.insert(name.clone(), v);
                    }
                } else if def.ty.is_non_null() {
                    errors.push(
                        GraphQLError::new(format!(
                            "Variable \"${name}\" of required type \"{}\" was not provided.",
                            def.ty
                        ))
                        .at(def.pos),
                    );
                }
            }
            Some(Json::Null) if def.ty.is_non_null() => {
                errors.push(
                    GraphQLError::new(format!(
                        "Variable \"${name}\" of non-null type \"{}\" must not be null.",
                        def.ty
                    ))
                    .at(def.pos),
                );
            }
            Some(v) => {
                let mut c = Coercer {
                    schema,
                    errors: Vec::new(),
                };
                let result = c.coerce(v, &def.ty, &mut Vec::new());
                if c.errors.is_empty() {
                    if let Some(r) = result {
                        out.insert(name.clone(), r);
                    }
                }
                for (path, invalid, msg) in c.errors {
                    let mut prefix = format!(
                        "Variable \"${name}\" got invalid value {}",
                        inspect(&invalid)
                    );
                    if !path.is_empty() {
                        prefix.push_str(&format!(" at \"{}\"", print_path(name, &path)));
                    }
                    errors.push(GraphQLError::new(format!("{prefix}; {msg}")).at(def.pos));
                }
            }
        }
        if errors.len() >= 50 {
            errors.push(GraphQLError::new(
                "Too many errors processing variables, error limit reached. Execution aborted.",
            ));
            break;
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

// ---------------------------------------------------------------------------------------------
// literals

/// Untyped conversion of a literal (used by the `JSON`/`JSONObject` scalars).
pub fn value_from_ast_untyped(v: &Value, vars: Option<&Map<String, Json>>) -> Option<Json> {
    Some(match &v.kind {
        ValueKind::Variable(n) => return vars.and_then(|m| m.get(n)).cloned(),
        ValueKind::Int(s) => s
            .parse::<i64>()
            .map(Json::from)
            .unwrap_or_else(|_| float_json(s)),
        ValueKind::Float(s) => float_json(s),
        ValueKind::String(s) | ValueKind::Enum(s) => Json::String(s.clone()),
        ValueKind::Boolean(b) => Json::Bool(*b),
        ValueKind::Null => Json::Null,
        ValueKind::List(items) => Json::Array(
            items
                .iter()
                .map(|i| value_from_ast_untyped(i, vars).unwrap_or(Json::Null))
                .collect(),
        ),
        ValueKind::Object(fields) => Json::Object(
            fields
                .iter()
                .filter_map(|f| value_from_ast_untyped(&f.value, vars).map(|v| (f.name.clone(), v)))
                .collect(),
        ),
    })
}

fn float_json(s: &str) -> Json {
    s.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Json::Number)
        .unwrap_or(Json::Null)
}

/// `parseLiteral` of a leaf type; `Err` carries the scalar's own message when it has one.
pub fn parse_leaf_literal(
    t: &TypeDef,
    v: &Value,
    vars: Option<&Map<String, Json>>,
) -> Result<Json, Option<String>> {
    let printed = || print_value(v);
    if t.kind == TypeKind::Enum {
        return match &v.kind {
            ValueKind::Enum(n) if t.enum_values.contains(n) => Ok(Json::String(n.clone())),
            ValueKind::Enum(n) => Err(Some(format!(
                "Value \"{n}\" does not exist in \"{}\" enum.{}",
                t.name,
                did_you_mean(
                    Some("the enum value"),
                    &suggestion_list(n, t.enum_values.iter().map(String::as_str))
                )
            ))),
            _ => {
                let s = printed();
                Err(Some(format!(
                    "Enum \"{}\" cannot represent non-enum value: {s}.{}",
                    t.name,
                    did_you_mean(
                        Some("the enum value"),
                        &suggestion_list(&s, t.enum_values.iter().map(String::as_str))
                    )
                )))
            }
        };
    }
    match (t.name.as_str(), &v.kind) {
        ("String", ValueKind::String(s)) => Ok(Json::String(s.clone())),
        ("String", _) => Err(Some(format!(
            "String cannot represent a non string value: {}",
            printed()
        ))),
        ("Boolean", ValueKind::Boolean(b)) => Ok(Json::Bool(*b)),
        ("Boolean", _) => Err(Some(format!(
            "Boolean cannot represent a non boolean value: {}",
            printed()
        ))),
        ("Int", ValueKind::Int(s)) => match s.parse::<i64>() {
            Ok(n) if (-2147483648..=2147483647).contains(&n) => Ok(Json::from(n)),
            _ => Err(Some(format!(
                "Int cannot represent non 32-bit signed integer value: {s}"
            ))),
        },
        ("Int", _) => Err(Some(format!(
            "Int cannot represent non-integer value: {}",
            printed()
        ))),
        ("Float", ValueKind::Int(s) | ValueKind::Float(s)) => Ok(float_json(s)),
        ("Float", _) => Err(Some(format!(
            "Float cannot represent non numeric value: {}",
            printed()
        ))),
        ("ID", ValueKind::String(s) | ValueKind::Int(s)) => Ok(Json::String(s.clone())),
        ("ID", _) => Err(Some(format!(
            "ID cannot represent a non-string and non-integer value: {}",
            printed()
        ))),
        ("DateTimeISO", ValueKind::String(s)) if is_valid_date_time(s) => {
            Ok(Json::String(s.clone()))
        }
        ("DateTimeISO", ValueKind::String(s)) => Err(Some(format!(
            "DateTimeISO cannot represent an invalid date-time-string {s}."
        ))),
        ("DateTimeISO", _) => Err(Some(format!(
            "DateTimeISO cannot represent non-string value: {}",
            printed()
        ))),
        ("JSONObject", ValueKind::Object(_)) => value_from_ast_untyped(v, vars).ok_or(None),
        ("JSONObject", _) => Err(Some(format!(
            "JSONObject cannot represent non-object value: {}",
            printed()
        ))),
        _ => value_from_ast_untyped(v, vars).ok_or(None),
    }
}

fn is_missing_variable(v: &Value, vars: Option<&Map<String, Json>>) -> bool {
    matches!(&v.kind, ValueKind::Variable(n) if vars.is_none_or(|m| !m.contains_key(n)))
}

/// graphql-js `valueFromAST`: `None` means "invalid" (or an unprovided variable).
pub fn value_from_ast(
    schema: &Schema,
    v: &Value,
    ty: &Type,
    vars: Option<&Map<String, Json>>,
) -> Option<Json> {
    if let ValueKind::Variable(n) = &v.kind {
        let value = vars?.get(n)?;
        if value.is_null() && ty.is_non_null() {
            return None;
        }
        return Some(value.clone());
    }
    match ty {
        Type::NonNull(inner) => {
            if v.kind == ValueKind::Null {
                return None;
            }
            value_from_ast(schema, v, inner, vars)
        }
        _ if v.kind == ValueKind::Null => Some(Json::Null),
        Type::List(inner) => match &v.kind {
            ValueKind::List(items) => {
                let mut out = Vec::new();
                for item in items {
                    if is_missing_variable(item, vars) {
                        if inner.is_non_null() {
                            return None;
                        }
                        out.push(Json::Null);
                    } else {
                        out.push(value_from_ast(schema, item, inner, vars)?);
                    }
                }
                Some(Json::Array(out))
            }
            _ => value_from_ast(schema, v, inner, vars).map(|x| Json::Array(vec![x])),
        },
        Type::Named(name) => {
            let t = schema.get(name)?;
            if t.kind == TypeKind::InputObject {
                let ValueKind::Object(fields) = &v.kind else {
                    return None;
                };
                let mut out = Map::new();
                for fd in &t.input_fields {
                    let node = fields.iter().find(|f| f.name == fd.name);
                    match node {
                        Some(f) if !is_missing_variable(&f.value, vars) => {
                            out.insert(
                                fd.name.clone(),
                                value_from_ast(schema, &f.value, &fd.ty, vars)?,
                            );
                        }
                        _ => {
                            if let Some(d) = &fd.default_value {
                                out.insert(
                                    fd.name.clone(),
                                    value_from_ast(schema, d, &fd.ty, None)?,
                                );
                            } else if fd.ty.is_non_null() {
                                return None;
                            }
                        }
                    }
                }
                return Some(Json::Object(out));
            }
            parse_leaf_literal(t, v, vars).ok()
        }
    }
}

/// graphql-js `getArgumentValues` for a field or directive.
pub fn argument_values(
    schema: &Schema,
    defs: &[super::ast::InputValueDefinition],
    args: &[Argument],
    vars: &Map<String, Json>,
    node_pos: Pos,
) -> Result<Map<String, Json>, GraphQLError> {
    let mut out = Map::new();
    for def in defs {
        let name = &def.name;
        let Some(arg) = args.iter().find(|a| &a.name == name) else {
            if let Some(d) = &def.default_value {
                if let Some(v) = value_from_ast(schema, d, &def.ty, None) {
                    out.insert(name.clone(), v);
                }
            } else if def.ty.is_non_null() {
                return Err(GraphQLError::new(format!(
                    "Argument \"{name}\" of required type \"{}\" was not provided.",
                    def.ty
                ))
                .at(node_pos));
            }
            continue;
        };
        let mut is_null = arg.value.kind == ValueKind::Null;
        if let ValueKind::Variable(var) = &arg.value.kind {
            match vars.get(var) {
                None => {
                    if let Some(d) = &def.default_value {
                        if let Some(v) = value_from_ast(schema, d, &def.ty, None) {
                            out.insert(name.clone(), v);
                        }
                    } else if def.ty.is_non_null() {
                        return Err(GraphQLError::new(format!(
                            "Argument \"{name}\" of required type \"{}\" was provided the variable \"${var}\" which was not provided a runtime value.",
                            def.ty
                        ))
                        .at(arg.value.pos));
                    }
                    continue;
                }
                Some(v) => is_null = v.is_null(),
            }
        }
        if is_null && def.ty.is_non_null() {
            return Err(GraphQLError::new(format!(
                "Argument \"{name}\" of non-null type \"{}\" must not be null.",
                def.ty
            ))
            .at(arg.value.pos));
        }
        match value_from_ast(schema, &arg.value, &def.ty, Some(vars)) {
            Some(v) => {
                out.insert(name.clone(), v);
            }
            None => {
                return Err(GraphQLError::new(format!(
                    "Argument \"{name}\" has invalid value {}.",
                    print_value(&arg.value)
                ))
                .at(arg.value.pos))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn graphql_inspect_matches_graphql_js_depth_rules() {
        let v = json!({"frontend": {"actions": [], "url": "u"}, "messages": [{"id": "m", "textMessage": {"role": "user"}}], "n": 1.0});
        assert_eq!(
            inspect(&v),
            "{ frontend: { actions: [], url: \"u\" }, messages: [{ id: \"m\", textMessage: [Object] }], n: 1 }"
        );
    }

    #[test]
    fn graphql_suggestions_like_graphql_js() {
        let roles = ["user", "assistant", "system", "tool", "developer"];
        assert_eq!(suggestion_list("robot", roles), vec!["tool".to_string()]);
        assert_eq!(
            did_you_mean(Some("the enum value"), &["tool".into()]),
            " Did you mean the enum value \"tool\"?"
        );
        assert_eq!(
            did_you_mean(None, &["a".into(), "b".into(), "c".into()]),
            " Did you mean \"a\", \"b\", or \"c\"?"
        );
    }

    #[test]
    fn graphql_iso_dates() {
        assert!(is_valid_date_time("2026-11-24T20:40:40.701Z"));
        assert!(is_valid_date_time("2026-11-24T20:40:40+01:00"));
        assert!(!is_valid_date_time("yesterday"));
    }
}
