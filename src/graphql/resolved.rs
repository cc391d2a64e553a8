//! The lazy value tree resolvers hand to the executor.
//!
//! A resolver returns a [`Resolved`]; objects are [`ObjectSource`]s that the executor asks for the
//! fields the query selects (and only those). Values that are not known yet are `Pending`
//! futures, lists that grow over time are `Stream`s. The executor decides, from the query's
//! `@defer`/`@stream`, whether a value is awaited before a payload or delivered later.

use std::pin::Pin;

use futures_util::future::BoxFuture;
use futures_util::{FutureExt, Stream, StreamExt};
use serde_json::{Map, Value as Json};

pub type BoxStream<T> = Pin<Box<dyn Stream<Item = T> + Send + 'static>>;

/// A field error raised by a resolver (becomes an entry of `errors` with the field's path and
/// locations; the value becomes `null`, propagated per nullability).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FieldError {
    pub message: String,
    pub extensions: Option<Map<String, Json>>,
}

impl FieldError {
    pub fn new(message: impl Into<String>) -> Self {
        FieldError {
            message: message.into(),
            extensions: None,
        }
    }
}

/// A value for the executor.
pub enum Resolved {
    Null,
    /// A scalar/enum value, or a JSON object/array used as a plain object/list source (objects
    /// take their `__typename` key as the runtime type when the field type is abstract).
    Leaf(Json),
    Object(Box<dyn ObjectSource>),
    List(Vec<Resolved>),
    /// A list whose items arrive over time. With `@stream` each item is sent as soon as it
    /// exists; without, the list is awaited to its end.
    Stream(BoxStream<Resolved>),
    /// A value known later (e.g. a status); awaited before the payload that contains it.
    Pending(BoxFuture<'static, Resolved>),
    Error(FieldError),
}

impl std::fmt::Debug for Resolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resolved::Null => write!(f, "Null"),
            Resolved::Leaf(v) => write!(f, "Leaf({v})"),
            Resolved::Object(o) => write!(f, "Object({})", o.typename()),
            Resolved::List(l) => f.debug_tuple("List").field(l).finish(),
            Resolved::Stream(_) => write!(f, "Stream(..)"),
            Resolved::Pending(_) => write!(f, "Pending(..)"),
            Resolved::Error(e) => write!(f, "Error({})", e.message),
        }
    }
}

/// An object value: a runtime type name plus field resolution.
///
/// `field` is called once per selected field (per response key; the `@defer`red parts of a
/// selection are asked for at the same moment as the rest, only awaited later). Channel-backed
/// one-shot values (streams, pending statuses) can therefore be handed out by value.
pub trait ObjectSource: Send + 'static {
    fn typename(&self) -> &str;
    fn field(&mut self, name: &str, args: &Map<String, Json>) -> Resolved;
}

impl Resolved {
    pub fn leaf(v: impl Into<Json>) -> Self {
        Resolved::Leaf(v.into())
    }

    pub fn string(s: impl Into<String>) -> Self {
        Resolved::Leaf(Json::String(s.into()))
    }

    pub fn opt_string(s: Option<impl Into<String>>) -> Self {
        s.map_or(Resolved::Null, |s| Resolved::string(s))
    }

    pub fn error(message: impl Into<String>) -> Self {
        Resolved::Error(FieldError::new(message))
    }

    pub fn pending(f: impl std::future::Future<Output = Resolved> + Send + 'static) -> Self {
        Resolved::Pending(f.boxed())
    }

    pub fn stream(s: impl Stream<Item = Resolved> + Send + 'static) -> Self {
        Resolved::Stream(s.boxed())
    }

    /// A stream of strings (e.g. text chunks) as a list of leaves.
    pub fn string_stream(s: impl Stream<Item = String> + Send + 'static) -> Self {
        Resolved::Stream(s.map(Resolved::string).boxed())
    }

    /// A plain object with fixed fields.
    pub fn object(typename: impl Into<String>, fields: Vec<(&str, Resolved)>) -> Self {
        Resolved::Object(Box::new(FieldMap::new(typename, fields)))
    }

    /// Clone for values that can be cloned (not objects, streams, futures).
    pub fn try_clone(&self) -> Option<Resolved> {
        Some(match self {
            Resolved::Null => Resolved::Null,
            Resolved::Leaf(v) => Resolved::Leaf(v.clone()),
            Resolved::Error(e) => Resolved::Error(e.clone()),
            Resolved::List(items) => Resolved::List(
                items
                    .iter()
                    .map(Resolved::try_clone)
                    .collect::<Option<Vec<_>>>()?,
            ),
            _ => return None,
        })
    }
}

impl From<Json> for Resolved {
    fn from(v: Json) -> Self {
        if v.is_null() {
            Resolved::Null
        } else {
            Resolved::Leaf(v)
        }
    }
}

/// An [`ObjectSource`] over a fixed list of fields. Cloneable values may be selected any number
/// of times; one-shot values (objects, streams, futures) are handed out once, a second selection
/// (another alias of the same field) gets a field error.
pub struct FieldMap {
    typename: String,
    fields: Vec<(String, Option<Resolved>)>,
}

impl FieldMap {
    pub fn new(typename: impl Into<String>, fields: Vec<(&str, Resolved)>) -> Self {
        FieldMap {
            typename: typename.into(),
            fields: fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), Some(v)))
                .collect(),
        }
    }

    pub fn insert(&mut self, name: &str, value: Resolved) {
        match self.fields.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = Some(value),
            None => self.fields.push((name.to_string(), Some(value))),
        }
    }
}

impl ObjectSource for FieldMap {
    fn typename(&self) -> &str {
        &self.typename
    }

    fn field(&mut self, name: &str, _args: &Map<String, Json>) -> Resolved {
        let Some((_, slot)) = self.fields.iter_mut().find(|(k, _)| k == name) else {
            return Resolved::Null;
        };
        if let Some(c) = slot.as_ref().and_then(Resolved::try_clone) {
            return c;
        }
        slot.take().unwrap_or_else(|| {
            Resolved::error(format!(
                "Field \"{name}\" of {} was already consumed.",
                self.typename
            ))
        })
    }
}

/// A JSON object used as an object value (default resolver: property lookup).
pub(crate) struct JsonObject {
    pub typename: String,
    pub map: Map<String, Json>,
}

impl ObjectSource for JsonObject {
    fn typename(&self) -> &str {
        &self.typename
    }
    fn field(&mut self, name: &str, _args: &Map<String, Json>) -> Resolved {
        self.map
            .get(name)
            .cloned()
            .map(Resolved::from)
            .unwrap_or(Resolved::Null)
    }
}
