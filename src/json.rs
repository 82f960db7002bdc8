//! A JSON document as a small tree, for the documents read
//! field by field (a token payload, a Docker `config.json`, a mirror file). Every string
//! value is a [`Secret`]; object keys are plain strings (claim names and
//! registry names). Objects keep their keys in order, duplicates included, so
//! that a caller can refuse a duplicate instead of silently taking one.
//!
//! Containers deeper than [`MAX_DEPTH`] are not kept (their contents
//! are skipped by miniserde, which parses without recursion), so the tree
//! stays small and its drop shallow whatever the input.

use crate::secret::Secret;
use alloc::borrow::ToOwned;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use miniserde::de::{Deserialize, Map, Seq, Visitor};
use miniserde::{Result, make_place};

/// Deepest container kept: the top-level object is depth 1, so a token's
/// `kubernetes.io.serviceaccount` and a config's `auths.<key>` fit.
pub(crate) const MAX_DEPTH: usize = 3;

/// A JSON value.
#[derive(Debug)]
pub(crate) enum Value {
    String(Secret),
    Number(Number),
    Array(Vec<Value>),
    Object(Object),
    /// `null`, a boolean, or a container nested deeper than [`MAX_DEPTH`].
    Other,
}

/// A JSON number, as miniserde reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    Unsigned(u64),
    Negative(i64),
    Float(f64),
}

/// A JSON object's members, in document order.
#[derive(Debug, Default)]
pub(crate) struct Object {
    members: Vec<(String, Value)>,
}

/// The result of looking a key up.
pub(crate) enum Lookup<'a> {
    Absent,
    One(&'a Value),
    Duplicate,
}

impl Value {
    /// The text of a string value.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            // Always valid: the bytes came from a `&str`.
            Self::String(s) => core::str::from_utf8(s.as_bytes()).ok(),
            _ => None,
        }
    }
}

impl Object {
    /// The value at `key`, or whether it is absent or given twice.
    pub(crate) fn get(&self, key: &str) -> Lookup<'_> {
        let mut found = self
            .members
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v);
        match (found.next(), found.next()) {
            (None, _) => Lookup::Absent,
            (Some(v), None) => Lookup::One(v),
            (Some(_), Some(_)) => Lookup::Duplicate,
        }
    }

    /// The members in document order.
    pub(crate) fn members(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.members.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The members in document order, by value (to move a secret out).
    pub(crate) fn into_members(self) -> Vec<(String, Value)> {
        self.members
    }
}

/// Parses `text`; `None` if it is not one JSON value.
pub(crate) fn parse(text: &str) -> Option<Value> {
    miniserde::json::from_str::<Value>(text).ok()
}

/// What the visitors share: where the value goes and how deep it is.
trait Slot {
    fn slot(&mut self) -> &mut Option<Value>;
    fn depth(&self) -> usize;
}

// miniserde's "place" pattern for the root; nested values use `Node`,
// which also carries its depth.
make_place!(Place);

impl Deserialize for Value {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        Place::new(out)
    }
}

impl Slot for Place<Value> {
    fn slot(&mut self) -> &mut Option<Value> {
        &mut self.out
    }
    fn depth(&self) -> usize {
        0
    }
}

/// A nested value being parsed.
struct Node {
    out: Option<Value>,
    depth: usize,
}

impl Slot for Node {
    fn slot(&mut self) -> &mut Option<Value> {
        &mut self.out
    }
    fn depth(&self) -> usize {
        self.depth
    }
}

macro_rules! value_visitor {
    ($ty:ty) => {
        impl Visitor for $ty {
            fn null(&mut self) -> Result<()> {
                *self.slot() = Some(Value::Other);
                Ok(())
            }
            fn boolean(&mut self, _: bool) -> Result<()> {
                *self.slot() = Some(Value::Other);
                Ok(())
            }
            fn string(&mut self, s: &str) -> Result<()> {
                *self.slot() = Some(Value::String(Secret::from_string(s.to_owned())));
                Ok(())
            }
            fn negative(&mut self, n: i64) -> Result<()> {
                *self.slot() = Some(Value::Number(Number::Negative(n)));
                Ok(())
            }
            fn nonnegative(&mut self, n: u64) -> Result<()> {
                *self.slot() = Some(Value::Number(Number::Unsigned(n)));
                Ok(())
            }
            fn float(&mut self, n: f64) -> Result<()> {
                *self.slot() = Some(Value::Number(Number::Float(n)));
                Ok(())
            }
            fn seq(&mut self) -> Result<Box<dyn Seq + '_>> {
                let depth = self.depth() + 1;
                if depth > MAX_DEPTH {
                    *self.slot() = Some(Value::Other);
                    return Ok(Box::new(Skip));
                }
                Ok(Box::new(ArrayBuilder {
                    items: Vec::new(),
                    child: Node { out: None, depth },
                    out: self.slot(),
                }))
            }
            fn map(&mut self) -> Result<Box<dyn Map + '_>> {
                let depth = self.depth() + 1;
                if depth > MAX_DEPTH {
                    *self.slot() = Some(Value::Other);
                    return Ok(Box::new(Skip));
                }
                Ok(Box::new(ObjectBuilder {
                    object: Object::default(),
                    key: None,
                    child: Node { out: None, depth },
                    out: self.slot(),
                }))
            }
        }
    };
}

value_visitor!(Place<Value>);
value_visitor!(Node);

/// Skips the contents of a container too deep to keep.
struct Skip;

impl Seq for Skip {
    fn element(&mut self) -> Result<&mut dyn Visitor> {
        Ok(<dyn Visitor>::ignore())
    }
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}

impl Map for Skip {
    fn key(&mut self, _: &str) -> Result<&mut dyn Visitor> {
        Ok(<dyn Visitor>::ignore())
    }
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}

struct ArrayBuilder<'a> {
    items: Vec<Value>,
    child: Node,
    out: &'a mut Option<Value>,
}

impl ArrayBuilder<'_> {
    fn flush(&mut self) {
        if let Some(value) = self.child.out.take() {
            self.items.push(value);
        }
    }
}

impl Seq for ArrayBuilder<'_> {
    fn element(&mut self) -> Result<&mut dyn Visitor> {
        self.flush();
        Ok(&mut self.child)
    }
    fn finish(&mut self) -> Result<()> {
        self.flush();
        *self.out = Some(Value::Array(core::mem::take(&mut self.items)));
        Ok(())
    }
}

struct ObjectBuilder<'a> {
    object: Object,
    key: Option<String>,
    child: Node,
    out: &'a mut Option<Value>,
}

impl ObjectBuilder<'_> {
    fn flush(&mut self) {
        if let (Some(key), Some(value)) = (self.key.take(), self.child.out.take()) {
            self.object.members.push((key, value));
        }
    }
}

impl Map for ObjectBuilder<'_> {
    fn key(&mut self, k: &str) -> Result<&mut dyn Visitor> {
        self.flush();
        self.key = Some(k.to_owned());
        Ok(&mut self.child)
    }
    fn finish(&mut self) -> Result<()> {
        self.flush();
        *self.out = Some(Value::Object(core::mem::take(&mut self.object)));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_members_in_order_with_duplicates() {
        let Some(Value::Object(o)) = parse(r#"{"b":1,"a":"x","b":[true,null,2.5,-3]}"#) else {
            panic!("not an object");
        };
        let keys: Vec<&str> = o.members().map(|(k, _)| k).collect();
        assert_eq!(keys, ["b", "a", "b"]);
        assert!(matches!(o.get("b"), Lookup::Duplicate));
        assert!(matches!(o.get("c"), Lookup::Absent));
        let Lookup::One(a) = o.get("a") else {
            panic!("a")
        };
        assert_eq!(a.as_str(), Some("x"));
    }

    #[test]
    fn keeps_three_levels_and_skips_deeper_containers() {
        let Some(Value::Object(o)) = parse(r#"{"a":{"b":{"c":"d","e":{"f":[1]},"g":[]}}}"#) else {
            panic!("not an object");
        };
        let Lookup::One(Value::Object(a)) = o.get("a") else {
            panic!("a")
        };
        let Lookup::One(Value::Object(b)) = a.get("b") else {
            panic!("b")
        };
        assert!(matches!(b.get("c"), Lookup::One(Value::String(_))));
        assert!(matches!(b.get("e"), Lookup::One(Value::Other)));
        assert!(matches!(b.get("g"), Lookup::One(Value::Other)));
    }

    #[test]
    fn survives_deep_nesting_without_recursion() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(matches!(parse(&deep), Some(Value::Array(_))));
    }

    #[test]
    fn refuses_what_is_not_one_json_value() {
        for text in ["", "{", "{} {}", "{\"a\":}", "[1,]", "nul"] {
            assert!(parse(text).is_none(), "{text}");
        }
    }
}
