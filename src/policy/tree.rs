//! The two JSON trees a policy is read from, behind one small view.
//!
//! A policy in a file is read into [`Json`], a tree that borrows its strings
//! from the text and keeps objects as lists of entries: a folder of policies
//! is mostly strings, and building `serde_json::Value`s (an owned string and
//! a hashed, ordered map per object) cost more than judging them. A policy
//! inside a template or an event is already a `serde_json::Value`. The
//! parser reads both through [`Node`], so both give the same `Policy` and
//! the same problems.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};
use std::borrow::Cow;
use std::fmt;

/// What the policy parser asks of a JSON value.
pub(crate) trait Node: Sized {
    type Entries<'n>: Iterator<Item = (&'n str, &'n Self)>
    where
        Self: 'n;

    fn as_str(&self) -> Option<&str>;
    fn as_array(&self) -> Option<&[Self]>;
    /// The entries of an object in document order; `None` for a non-object.
    fn entries(&self) -> Option<Self::Entries<'_>>;
    fn get(&self, key: &str) -> Option<&Self>;
    /// A boolean's or a number's text (`true`, `10`, `1.5`), as
    /// `serde_json::Value` prints it.
    fn scalar_text(&self) -> Option<String>;
    /// The JSON type's name, for messages ("found a number").
    fn type_name(&self) -> &'static str;

    fn is_object(&self) -> bool {
        self.entries().is_some()
    }
}

impl Node for Value {
    type Entries<'n> = std::iter::Map<
        serde_json::map::Iter<'n>,
        fn((&'n String, &'n Value)) -> (&'n str, &'n Value),
    >;

    fn as_str(&self) -> Option<&str> {
        Value::as_str(self)
    }

    fn as_array(&self) -> Option<&[Value]> {
        Value::as_array(self).map(Vec::as_slice)
    }

    fn entries(&self) -> Option<Self::Entries<'_>> {
        fn pair<'n>((k, v): (&'n String, &'n Value)) -> (&'n str, &'n Value) {
            (k.as_str(), v)
        }
        self.as_object().map(|o| o.iter().map(pair as fn(_) -> _))
    }

    fn get(&self, key: &str) -> Option<&Value> {
        Value::get(self, key)
    }

    fn scalar_text(&self) -> Option<String> {
        match self {
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    fn type_name(&self) -> &'static str {
        super::parse::type_name(self)
    }
}

/// A JSON value whose strings borrow from the text when they hold no escape.
///
/// Objects keep their entries in document order; a repeated key keeps its
/// first place and its last value, as `serde_json::Value` does, so a
/// document means the same whichever tree it was read into.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

impl<'a> Json<'a> {
    /// Parses JSON text as `serde_json::from_str` does (same errors, same
    /// nesting limit).
    pub fn parse(text: &'a str) -> Result<Json<'a>, serde_json::Error> {
        serde_json::from_str(text)
    }
}

impl<'a> Node for Json<'a> {
    type Entries<'n>
        = std::iter::Map<
        std::slice::Iter<'n, (Cow<'a, str>, Json<'a>)>,
        fn(&'n (Cow<'a, str>, Json<'a>)) -> (&'n str, &'n Json<'a>),
    >
    where
        Self: 'n;

    fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<&[Json<'a>]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    fn entries(&self) -> Option<Self::Entries<'_>> {
        fn pair<'n, 'a>(e: &'n (Cow<'a, str>, Json<'a>)) -> (&'n str, &'n Json<'a>) {
            (e.0.as_ref(), &e.1)
        }
        match self {
            Json::Object(entries) => Some(entries.iter().map(pair as fn(_) -> _)),
            _ => None,
        }
    }

    fn get(&self, key: &str) -> Option<&Json<'a>> {
        match self {
            Json::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn scalar_text(&self) -> Option<String> {
        match self {
            Json::Bool(b) => Some(b.to_string()),
            Json::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Json<'de>, E> {
        // As `serde_json::Value`: a float JSON cannot hold becomes null.
        Ok(Number::from_f64(n).map_or(Json::Null, Json::Number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s.to_string())))
    }

    fn visit_string<E>(self, s: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s)))
    }

    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json<'de>, D::Error> {
        Json::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        /// Past this many entries, repeated keys are found through an index
        /// (a crafted object of many thousand keys must not take quadratic
        /// time); policy objects have a handful.
        const SCAN: usize = 16;
        let mut entries: Vec<(Cow<'de, str>, Json<'de>)> = Vec::new();
        let mut index: Option<rustc_hash::FxHashMap<Box<str>, usize>> = None;
        while let Some(Key(key)) = map.next_key()? {
            let value: Json<'de> = map.next_value()?;
            let at = match &index {
                Some(index) => index.get(key.as_ref()).copied(),
                None => entries.iter().position(|(k, _)| *k == key),
            };
            match at {
                Some(i) => entries[i].1 = value,
                None => {
                    if let Some(index) = &mut index {
                        index.insert(key.as_ref().into(), entries.len());
                    }
                    entries.push((key, value));
                    if index.is_none() && entries.len() > SCAN {
                        index = Some(
                            entries
                                .iter()
                                .enumerate()
                                .map(|(i, (k, _))| (k.as_ref().into(), i))
                                .collect(),
                        );
                    }
                }
            }
        }
        Ok(Json::Object(entries))
    }
}

/// An object key, borrowed from the text when it holds no escape (serde's
/// own `Cow` always copies). Also read by `tighten::evidence`.
pub(crate) struct Key<'a>(pub(crate) Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The tree's view of a document is `serde_json::Value`'s, entry for
    /// entry (order, repeated keys, numbers), and it fails where Value fails.
    fn same_view(a: &Json<'_>, b: &Value) -> bool {
        if a.type_name() != b.type_name()
            || a.as_str() != Node::as_str(b)
            || a.scalar_text() != b.scalar_text()
        {
            return false;
        }
        if let (Some(x), Some(y)) = (a.as_array(), Node::as_array(b)) {
            return x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_view(x, y));
        }
        match (a.entries(), b.entries()) {
            (Some(x), Some(y)) => {
                let (x, y): (Vec<_>, Vec<_>) = (x.collect(), y.collect());
                x.len() == y.len()
                    && x.iter()
                        .zip(&y)
                        .all(|((kx, vx), (ky, vy))| kx == ky && same_view(vx, vy))
            }
            (None, None) => true,
            _ => false,
        }
    }

    fn json_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_string()),
            Just("true".to_string()),
            Just("1.5e3".to_string()),
            Just("-7".to_string()),
            Just("18446744073709551615".to_string()),
            "[a-c]{0,3}".prop_map(|s| format!("\"{s}\"")),
            Just("\"e\\u00e9\\n\\\"\"".to_string()),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec(("[a-c]{0,2}", inner), 0..25).prop_map(|v| {
                    let body: Vec<String> = v
                        .into_iter()
                        .map(|(k, v)| format!("\"{k}\": {v}"))
                        .collect();
                    format!("{{{}}}", body.join(", "))
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn the_tree_reads_what_serde_json_value_reads(text in json_text(), cut in 0usize..200) {
            let value: Value = serde_json::from_str(&text).unwrap();
            let tree = Json::parse(&text).unwrap();
            prop_assert!(same_view(&tree, &value), "{text}");
            // Broken text: the same error, word for word.
            let broken = &text[..cut.min(text.len())];
            if let Err(e) = serde_json::from_str::<Value>(broken) {
                prop_assert_eq!(Json::parse(broken).unwrap_err().to_string(), e.to_string());
            }
        }
    }

    #[test]
    fn repeated_keys_keep_the_first_place_and_the_last_value() {
        let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\": {i}")).collect();
        let text = format!("{{\"a\": 1, \"b\": 2, {}, \"a\": 3}}", many.join(", "));
        let tree = Json::parse(&text).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        assert!(same_view(&tree, &value));
        assert_eq!(
            tree.get("a").and_then(Node::scalar_text).as_deref(),
            Some("3")
        );
        assert_eq!(tree.entries().unwrap().next().map(|(k, _)| k), Some("a"));
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let tree = Json::parse(r#"{"Action": "s3:GetObject", "Sid": "a\"b"}"#).unwrap();
        assert!(matches!(
            tree.get("Action"),
            Some(Json::String(Cow::Borrowed(_)))
        ));
        assert_eq!(tree.get("Sid").and_then(Node::as_str), Some("a\"b"));
    }
}
