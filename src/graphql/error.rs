//! GraphQL errors as they go on the wire: `{message, locations?, path?, extensions?}` in the key
//! order graphql-js uses when it serialises a `GraphQLError`.

use serde_json::{Map, Value};

/// A source position (1-based line and column), as graphql-js reports in `locations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    pub fn new(line: u32, column: u32) -> Self {
        Pos { line, column }
    }
}

/// One element of a response path: an object key or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

impl PathSeg {
    pub fn to_json(&self) -> Value {
        match self {
            PathSeg::Key(k) => Value::String(k.clone()),
            PathSeg::Index(i) => Value::from(*i as u64),
        }
    }
}

pub fn path_to_json(path: &[PathSeg]) -> Value {
    Value::Array(path.iter().map(PathSeg::to_json).collect())
}

/// A GraphQL error (request error or field error).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GraphQLError {
    pub message: String,
    pub locations: Vec<Pos>,
    pub path: Option<Vec<PathSeg>>,
    pub extensions: Option<Map<String, Value>>,
}

impl GraphQLError {
    pub fn new(message: impl Into<String>) -> Self {
        GraphQLError {
            message: message.into(),
            ..Default::default()
        }
    }

    pub fn at(mut self, pos: Pos) -> Self {
        self.locations.push(pos);
        self
    }

    pub fn with_locations(mut self, locations: impl IntoIterator<Item = Pos>) -> Self {
        self.locations.extend(locations);
        self
    }

    pub fn with_path(mut self, path: Vec<PathSeg>) -> Self {
        self.path = Some(path);
        self
    }

    /// Sets `extensions.code` (keeps other extensions).
    pub fn with_code(mut self, code: &str) -> Self {
        self.extensions
            .get_or_insert_with(Map::new)
            .insert("code".into(), Value::String(code.into()));
        self
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("message".into(), Value::String(self.message.clone()));
        if !self.locations.is_empty() {
            m.insert(
                "locations".into(),
                Value::Array(
                    self.locations
                        .iter()
                        .map(|p| serde_json::json!({"line": p.line, "column": p.column}))
                        .collect(),
                ),
            );
        }
        if let Some(path) = &self.path {
            m.insert("path".into(), path_to_json(path));
        }
        if let Some(ext) = &self.extensions {
            m.insert("extensions".into(), Value::Object(ext.clone()));
        }
        Value::Object(m)
    }
}

pub fn errors_to_json(errors: &[GraphQLError]) -> Value {
    Value::Array(errors.iter().map(GraphQLError::to_json).collect())
}
