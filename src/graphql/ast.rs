//! Document AST for executable documents and the SDL subset our schema file uses.
//!
//! Selection sets and fields are reference counted so that execution futures (which must be
//! `'static` to be polled by the HTTP layer) can hold on to the parts of the query they still
//! have to execute.

use std::sync::Arc;

use super::error::Pos;

#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    Variable(String),
    /// Integer literal text, as written.
    Int(String),
    /// Float literal text, as written.
    Float(String),
    String(String),
    Boolean(bool),
    Null,
    Enum(String),
    List(Vec<Value>),
    Object(Vec<ObjectField>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub pos: Pos,
    pub kind: ValueKind,
    /// `true` for block strings (only matters for printing).
    pub block: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectField {
    pub pos: Pos,
    pub name: String,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    Named(String),
    List(Box<Type>),
    NonNull(Box<Type>),
}

impl Type {
    pub fn named_type(&self) -> &str {
        match self {
            Type::Named(n) => n,
            Type::List(t) | Type::NonNull(t) => t.named_type(),
        }
    }
    pub fn is_non_null(&self) -> bool {
        matches!(self, Type::NonNull(_))
    }
    /// The type without its outer `!`.
    pub fn nullable(&self) -> &Type {
        match self {
            Type::NonNull(t) => t,
            t => t,
        }
    }
}

impl std::fmt::Display for Type {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Type::Named(n) => write!(f, "{n}"),
            Type::List(t) => write!(f, "[{t}]"),
            Type::NonNull(t) => write!(f, "{t}!"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Argument {
    pub pos: Pos,
    pub name: String,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Directive {
    pub pos: Pos,
    pub name: String,
    pub arguments: Vec<Argument>,
}

impl Directive {
    pub fn argument(&self, name: &str) -> Option<&Argument> {
        self.arguments.iter().find(|a| a.name == name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SelectionSet {
    pub pos: Pos,
    pub items: Vec<Selection>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    Field(Arc<Field>),
    FragmentSpread(FragmentSpread),
    InlineFragment(InlineFragment),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub pos: Pos,
    pub alias: Option<String>,
    pub name: String,
    pub arguments: Vec<Argument>,
    pub directives: Vec<Directive>,
    pub selection_set: Option<Arc<SelectionSet>>,
}

impl Field {
    pub fn response_key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FragmentSpread {
    pub pos: Pos,
    pub name: String,
    pub directives: Vec<Directive>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InlineFragment {
    pub pos: Pos,
    pub type_condition: Option<String>,
    pub type_condition_pos: Pos,
    pub directives: Vec<Directive>,
    pub selection_set: Arc<SelectionSet>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    Query,
    Mutation,
    Subscription,
}

impl OperationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OperationKind::Query => "query",
            OperationKind::Mutation => "mutation",
            OperationKind::Subscription => "subscription",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct VariableDefinition {
    pub pos: Pos,
    pub name: String,
    /// Position of the `$name` variable node itself.
    pub name_pos: Pos,
    pub ty: Type,
    pub type_pos: Pos,
    pub default_value: Option<Value>,
    pub directives: Vec<Directive>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OperationDefinition {
    pub pos: Pos,
    pub kind: OperationKind,
    pub name: Option<String>,
    pub variables: Vec<VariableDefinition>,
    pub directives: Vec<Directive>,
    pub selection_set: Arc<SelectionSet>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FragmentDefinition {
    pub pos: Pos,
    pub name: String,
    pub name_pos: Pos,
    pub type_condition: String,
    pub type_condition_pos: Pos,
    pub directives: Vec<Directive>,
    pub selection_set: Arc<SelectionSet>,
}

// ---- type system (SDL) ----

#[derive(Debug, Clone, PartialEq)]
pub struct InputValueDefinition {
    pub pos: Pos,
    pub name: String,
    pub ty: Type,
    pub default_value: Option<Value>,
    pub directives: Vec<Directive>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDefinition {
    pub pos: Pos,
    pub name: String,
    pub arguments: Vec<InputValueDefinition>,
    pub ty: Type,
    pub directives: Vec<Directive>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeSystemDefinition {
    Schema {
        pos: Pos,
        operation_types: Vec<(OperationKind, String)>,
    },
    Scalar {
        pos: Pos,
        name: String,
    },
    Object {
        pos: Pos,
        name: String,
        interfaces: Vec<String>,
        fields: Vec<FieldDefinition>,
    },
    Interface {
        pos: Pos,
        name: String,
        interfaces: Vec<String>,
        fields: Vec<FieldDefinition>,
    },
    Union {
        pos: Pos,
        name: String,
        members: Vec<String>,
    },
    Enum {
        pos: Pos,
        name: String,
        values: Vec<String>,
    },
    InputObject {
        pos: Pos,
        name: String,
        fields: Vec<InputValueDefinition>,
    },
    Directive {
        pos: Pos,
        name: String,
        arguments: Vec<InputValueDefinition>,
        repeatable: bool,
        locations: Vec<String>,
    },
}

impl TypeSystemDefinition {
    pub fn pos(&self) -> Pos {
        match self {
            TypeSystemDefinition::Schema { pos, .. }
            | TypeSystemDefinition::Scalar { pos, .. }
            | TypeSystemDefinition::Object { pos, .. }
            | TypeSystemDefinition::Interface { pos, .. }
            | TypeSystemDefinition::Union { pos, .. }
            | TypeSystemDefinition::Enum { pos, .. }
            | TypeSystemDefinition::InputObject { pos, .. }
            | TypeSystemDefinition::Directive { pos, .. } => *pos,
        }
    }
    /// The name graphql-js uses in "The X definition is not executable."
    pub fn display_name(&self) -> String {
        match self {
            TypeSystemDefinition::Schema { .. } => "schema".into(),
            TypeSystemDefinition::Scalar { name, .. }
            | TypeSystemDefinition::Object { name, .. }
            | TypeSystemDefinition::Interface { name, .. }
            | TypeSystemDefinition::Union { name, .. }
            | TypeSystemDefinition::Enum { name, .. }
            | TypeSystemDefinition::InputObject { name, .. } => format!("\"{name}\""),
            TypeSystemDefinition::Directive { name, .. } => format!("\"@{name}\""),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Definition {
    Operation(Arc<OperationDefinition>),
    Fragment(Arc<FragmentDefinition>),
    TypeSystem(TypeSystemDefinition),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    pub definitions: Vec<Definition>,
}

impl Document {
    pub fn operations(&self) -> impl Iterator<Item = &Arc<OperationDefinition>> {
        self.definitions.iter().filter_map(|d| match d {
            Definition::Operation(o) => Some(o),
            _ => None,
        })
    }
    pub fn fragments(&self) -> impl Iterator<Item = &Arc<FragmentDefinition>> {
        self.definitions.iter().filter_map(|d| match d {
            Definition::Fragment(f) => Some(f),
            _ => None,
        })
    }
}

/// Prints a value literal the way graphql-js `print()` does (used in error messages).
pub fn print_value(v: &Value) -> String {
    match &v.kind {
        ValueKind::Variable(n) => format!("${n}"),
        ValueKind::Int(s) | ValueKind::Float(s) => s.clone(),
        ValueKind::String(s) => {
            if v.block {
                format!("\"\"\"{}\"\"\"", s.replace("\"\"\"", "\\\"\"\""))
            } else {
                serde_json::to_string(s).unwrap_or_default()
            }
        }
        ValueKind::Boolean(b) => b.to_string(),
        ValueKind::Null => "null".into(),
        ValueKind::Enum(n) => n.clone(),
        ValueKind::List(items) => {
            format!(
                "[{}]",
                items.iter().map(print_value).collect::<Vec<_>>().join(", ")
            )
        }
        ValueKind::Object(fields) => format!(
            "{{{}}}",
            fields
                .iter()
                .map(|f| format!("{}: {}", f.name, print_value(&f.value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
