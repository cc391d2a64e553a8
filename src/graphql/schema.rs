//! Type information built once (lazily) from the embedded SDL (`schema.graphql`, printed from the
//! 1.10.6 runtime) plus the built-in scalars and directives (`@skip`, `@include`, `@deprecated`,
//! `@specifiedBy`, and the `@defer`/`@stream` pair that yoga's defer-stream plugin adds).

use std::collections::HashMap;
use std::sync::OnceLock;

use super::ast::{
    Definition, FieldDefinition, InputValueDefinition, OperationKind, Type, TypeSystemDefinition,
};
use super::parser::parse_schema_document;

/// The SDL of the 1.10.6 runtime, byte for byte as captured.
pub const SCHEMA_SDL: &str = include_str!("schema.graphql");

const BUILTINS_SDL: &str = r#"
scalar String
scalar Int
scalar Float
scalar Boolean
scalar ID
directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @deprecated(reason: String = "No longer supported") on FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE
directive @specifiedBy(url: String!) on SCALAR
directive @defer(if: Boolean! = true, label: String) on FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @stream(if: Boolean! = true, label: String, initialCount: Int = 0) on FIELD
"#;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeKind {
    Scalar,
    Object,
    Interface,
    Union,
    Enum,
    InputObject,
}

#[derive(Debug, Clone)]
pub struct FieldDef {
    pub name: String,
    pub args: Vec<InputValueDefinition>,
    pub ty: Type,
}

fn field_defs(fields: Vec<FieldDefinition>) -> Vec<FieldDef> {
    fields
        .into_iter()
        .map(|f| FieldDef {
            name: f.name,
            args: f.arguments,
            ty: f.ty,
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct TypeDef {
    pub name: String,
    pub kind: TypeKind,
    /// Output fields (objects and interfaces), in definition order.
    pub fields: Vec<FieldDef>,
    /// Interfaces implemented (objects and interfaces).
    pub interfaces: Vec<String>,
    /// Union members.
    pub members: Vec<String>,
    pub enum_values: Vec<String>,
    /// Input object fields, in definition order.
    pub input_fields: Vec<InputValueDefinition>,
}

impl TypeDef {
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }
    pub fn input_field(&self, name: &str) -> Option<&InputValueDefinition> {
        self.input_fields.iter().find(|f| f.name == name)
    }
    pub fn is_composite(&self) -> bool {
        matches!(
            self.kind,
            TypeKind::Object | TypeKind::Interface | TypeKind::Union
        )
    }
    pub fn is_abstract(&self) -> bool {
        matches!(self.kind, TypeKind::Interface | TypeKind::Union)
    }
    pub fn is_leaf(&self) -> bool {
        matches!(self.kind, TypeKind::Scalar | TypeKind::Enum)
    }
    pub fn is_input(&self) -> bool {
        matches!(
            self.kind,
            TypeKind::Scalar | TypeKind::Enum | TypeKind::InputObject
        )
    }
}

#[derive(Debug, Clone)]
pub struct DirectiveDef {
    pub name: String,
    pub args: Vec<InputValueDefinition>,
    pub locations: Vec<String>,
    pub repeatable: bool,
}

#[derive(Debug)]
pub struct Schema {
    pub types: HashMap<String, TypeDef>,
    pub directives: HashMap<String, DirectiveDef>,
    pub query_type: String,
    pub mutation_type: Option<String>,
    pub subscription_type: Option<String>,
    /// Object types implementing each interface, in SDL order.
    implementations: HashMap<String, Vec<String>>,
}

/// The schema of the 1.10.6 runtime (built on first use).
pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| Schema::from_sdl(SCHEMA_SDL).expect("embedded schema.graphql must parse"))
}

impl Schema {
    pub fn from_sdl(sdl: &str) -> Result<Schema, String> {
        let mut types = HashMap::new();
        let mut directives = HashMap::new();
        let mut order = Vec::new();
        let mut roots: Vec<(OperationKind, String)> = Vec::new();
        for src in [BUILTINS_SDL, sdl] {
            let doc = parse_schema_document(src).map_err(|e| e.message)?;
            for def in doc.definitions {
                let Definition::TypeSystem(def) = def else {
                    return Err("executable definition in SDL".into());
                };
                let mut t = TypeDef {
                    name: String::new(),
                    kind: TypeKind::Scalar,
                    fields: vec![],
                    interfaces: vec![],
                    members: vec![],
                    enum_values: vec![],
                    input_fields: vec![],
                };
                match def {
                    TypeSystemDefinition::Schema {
                        operation_types, ..
                    } => {
                        roots = operation_types;
                        continue;
                    }
                    TypeSystemDefinition::Directive {
                        name,
                        arguments,
                        repeatable,
                        locations,
                        ..
                    } => {
                        directives.insert(
                            name.clone(),
                            DirectiveDef {
                                name,
                                args: arguments,
                                locations,
                                repeatable,
                            },
                        );
                        continue;
                    }
                    TypeSystemDefinition::Scalar { name, .. } => t.name = name,
                    TypeSystemDefinition::Object {
                        name,
                        interfaces,
                        fields,
                        ..
                    } => {
                        t.kind = TypeKind::Object;
                        t.name = name;
                        t.interfaces = interfaces;
                        t.fields = field_defs(fields);
                    }
                    TypeSystemDefinition::Interface {
                        name,
                        interfaces,
                        fields,
                        ..
                    } => {
                        t.kind = TypeKind::Interface;
                        t.name = name;
                        t.interfaces = interfaces;
                        t.fields = field_defs(fields);
                    }
                    TypeSystemDefinition::Union { name, members, .. } => {
                        t.kind = TypeKind::Union;
                        t.name = name;
                        t.members = members;
                    }
                    TypeSystemDefinition::Enum { name, values, .. } => {
                        t.kind = TypeKind::Enum;
                        t.name = name;
                        t.enum_values = values;
                    }
                    TypeSystemDefinition::InputObject { name, fields, .. } => {
                        t.kind = TypeKind::InputObject;
                        t.name = name;
                        t.input_fields = fields;
                    }
                }
                order.push(t.name.clone());
                types.insert(t.name.clone(), t);
            }
        }
        let mut implementations: HashMap<String, Vec<String>> = HashMap::new();
        for name in &order {
            let t = &types[name];
            if t.kind == TypeKind::Object {
                for i in &t.interfaces {
                    implementations
                        .entry(i.clone())
                        .or_default()
                        .push(name.clone());
                }
            }
        }
        let root = |kind: OperationKind, default: &str| -> Option<String> {
            roots
                .iter()
                .find(|(k, _)| *k == kind)
                .map(|(_, n)| n.clone())
                .or_else(|| types.contains_key(default).then(|| default.to_string()))
        };
        let query_type = root(OperationKind::Query, "Query").ok_or("schema has no Query type")?;
        let mutation_type = root(OperationKind::Mutation, "Mutation");
        let subscription_type = root(OperationKind::Subscription, "Subscription");
        Ok(Schema {
            types,
            directives,
            query_type,
            mutation_type,
            subscription_type,
            implementations,
        })
    }

    pub fn get(&self, name: &str) -> Option<&TypeDef> {
        self.types.get(name)
    }

    /// Looks a type up that validation has already established to exist.
    pub fn ty(&self, name: &str) -> &TypeDef {
        &self.types[name]
    }

    pub fn root_type(&self, kind: OperationKind) -> Option<&TypeDef> {
        let name = match kind {
            OperationKind::Query => Some(&self.query_type),
            OperationKind::Mutation => self.mutation_type.as_ref(),
            OperationKind::Subscription => self.subscription_type.as_ref(),
        };
        name.and_then(|n| self.get(n))
    }

    /// Concrete object types an abstract type can resolve to (itself for an object type).
    pub fn possible_types<'a>(&'a self, t: &'a TypeDef) -> Vec<&'a str> {
        match t.kind {
            TypeKind::Union => t.members.iter().map(String::as_str).collect(),
            TypeKind::Interface => self
                .implementations
                .get(&t.name)
                .map(|v| v.iter().map(String::as_str).collect())
                .unwrap_or_default(),
            TypeKind::Object => vec![t.name.as_str()],
            _ => vec![],
        }
    }

    pub fn is_possible_type(&self, abstract_type: &TypeDef, object: &str) -> bool {
        self.possible_types(abstract_type).contains(&object)
    }

    /// Whether an object of a type in `a` may also be of type `b` (PossibleFragmentSpreads).
    pub fn types_overlap(&self, a: &TypeDef, b: &TypeDef) -> bool {
        if a.name == b.name {
            return true;
        }
        let pa = self.possible_types(a);
        let pb = self.possible_types(b);
        pa.iter().any(|t| pb.contains(t))
    }

    /// Does the runtime object type `object` satisfy the type condition `cond`?
    pub fn fragment_condition_matches(&self, cond: &str, object: &str) -> bool {
        if cond == object {
            return true;
        }
        match self.get(cond) {
            Some(t) if t.is_abstract() => self.is_possible_type(t, object),
            _ => false,
        }
    }

    /// Field definition on a composite type, including the `__typename` meta field.
    pub fn field_def<'a>(&'a self, parent: &'a TypeDef, name: &str) -> Option<&'a FieldDef> {
        parent.field(name)
    }

    /// Is `sub` a subtype of `sup` (for variable usage checks)?
    pub fn is_type_sub_type_of(&self, sub: &Type, sup: &Type) -> bool {
        match (sub, sup) {
            (Type::NonNull(s), Type::NonNull(p)) => self.is_type_sub_type_of(s, p),
            (Type::NonNull(s), p) => self.is_type_sub_type_of(s, p),
            (_, Type::NonNull(_)) => false,
            (Type::List(s), Type::List(p)) => self.is_type_sub_type_of(s, p),
            (Type::List(_), _) | (_, Type::List(_)) => false,
            (Type::Named(s), Type::Named(p)) => {
                s == p
                    || match (self.get(s), self.get(p)) {
                        (Some(st), Some(pt)) if pt.is_abstract() => {
                            self.is_possible_type(pt, &st.name)
                        }
                        _ => false,
                    }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphql_schema_builds_with_all_types() {
        let s = schema();
        assert_eq!(s.query_type, "Query");
        assert_eq!(s.mutation_type.as_deref(), Some("Mutation"));
        assert!(s.subscription_type.is_none());
        let base = s.ty("BaseMessageOutput");
        assert_eq!(base.kind, TypeKind::Interface);
        let impls = s.possible_types(base);
        assert!(impls.contains(&"TextMessageOutput") && impls.contains(&"ImageMessageOutput"));
        assert_eq!(s.ty("MessageStatus").kind, TypeKind::Union);
        assert_eq!(
            s.ty("GenerateCopilotResponseInput").input_fields[0].name,
            "metadata"
        );
        assert!(s.directives.contains_key("defer") && s.directives.contains_key("stream"));
        assert!(s.fragment_condition_matches("BaseResponseStatus", "FailedResponseStatus"));
        assert!(!s.fragment_condition_matches("BaseResponseStatus", "SuccessMessageStatus"));
    }
}
