//! The properties an open struct does not name, in the order they came: a small ordered map from
//! names to JSON values. It is the size of a `Vec` and allocates nothing while empty, as it is
//! for most values: every generated struct holds one, and a struct is moved as it is read, so a
//! hashed map (three times the size, and hashing every name) made parsing slower than
//! `serde_json::Value`. Lookups are linear; a value carries a handful of such properties. Graph's
//! common annotations (`@odata.type`, `@odata.id`) are kept under static names, without
//! allocating.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::key::Key;

/// A property's name: static for the common annotations, owned otherwise.
type Name = Cow<'static, str>;

/// The name of a property read from the input.
fn name_of(key: Key<'_>) -> Name {
    match key.as_str() {
        "@odata.type" => Cow::Borrowed("@odata.type"),
        "@odata.id" => Cow::Borrowed("@odata.id"),
        "@odata.etag" => Cow::Borrowed("@odata.etag"),
        _ => Cow::Owned(key.into_owned()),
    }
}

/// Properties the spec does not name, and named optional ones that came as `null`, by name, in
/// the order they came. Inserting a name again replaces its value in place. Two values are equal
/// when they hold the same names with equal values, whatever their order.
#[derive(Clone, Default)]
pub struct AdditionalProperties(Vec<(Name, Value)>);

impl AdditionalProperties {
    /// No properties.
    pub const fn new() -> Self {
        Self(Vec::new())
    }

    /// How many properties there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// The value of `name`, to change.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        self.0
            .iter_mut()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// Whether `name` is there.
    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Sets `name` to `value`, in place if it is there (returning the old value), else last.
    pub fn insert(&mut self, name: String, value: Value) -> Option<Value> {
        self.insert_name(Cow::Owned(name), value)
    }

    fn insert_name(&mut self, name: Name, value: Value) -> Option<Value> {
        match self.get_mut(&name) {
            Some(old) => Some(std::mem::replace(old, value)),
            None => {
                self.0.push((name, value));
                None
            }
        }
    }

    /// Takes `name` out, keeping the order of the others.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let at = self.0.iter().position(|(key, _)| key == name)?;
        Some(self.0.remove(at).1)
    }

    /// The properties in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> {
        self.0.iter().map(|(key, value)| (&**key, value))
    }

    /// The properties in order, their values to change.
    pub fn iter_mut(&mut self) -> impl ExactSizeIterator<Item = (&str, &mut Value)> {
        self.0.iter_mut().map(|(key, value)| (&**key, value))
    }

    /// The names in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> {
        self.0.iter().map(|(key, _)| &**key)
    }

    /// The values in order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &Value> {
        self.0.iter().map(|(_, value)| value)
    }
}

/// Keeps the property named by `key`, as read from the input, with `value`.
pub fn keep_property(properties: &mut AdditionalProperties, key: Key<'_>, value: Value) {
    properties.insert_name(name_of(key), value);
}

impl std::fmt::Debug for AdditionalProperties {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl PartialEq for AdditionalProperties {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .all(|(key, value)| other.get(key) == Some(value))
    }
}

/// Panics if `name` is not there, as `serde_json::Map` does.
impl std::ops::Index<&str> for AdditionalProperties {
    type Output = Value;

    fn index(&self, name: &str) -> &Value {
        self.get(name)
            .unwrap_or_else(|| panic!("no additional property `{name}`"))
    }
}

impl FromIterator<(String, Value)> for AdditionalProperties {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let mut properties = Self::new();
        properties.extend(iter);
        properties
    }
}

impl Extend<(String, Value)> for AdditionalProperties {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, iter: I) {
        for (name, value) in iter {
            self.insert(name, value);
        }
    }
}

impl IntoIterator for AdditionalProperties {
    type Item = (String, Value);
    type IntoIter =
        std::iter::Map<std::vec::IntoIter<(Name, Value)>, fn((Name, Value)) -> (String, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0
            .into_iter()
            .map(|(key, value)| (key.into_owned(), value))
    }
}

impl<'a> IntoIterator for &'a AdditionalProperties {
    type Item = (&'a str, &'a Value);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Name, Value)>,
        fn(&'a (Name, Value)) -> (&'a str, &'a Value),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(key, value)| (&**key, value))
    }
}

impl From<Map<String, Value>> for AdditionalProperties {
    fn from(map: Map<String, Value>) -> Self {
        Self(
            map.into_iter()
                .map(|(key, value)| (Cow::Owned(key), value))
                .collect(),
        )
    }
}

impl From<AdditionalProperties> for Map<String, Value> {
    fn from(properties: AdditionalProperties) -> Self {
        properties.into_iter().collect()
    }
}

/// Written as a JSON object.
impl serde::Serialize for AdditionalProperties {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

/// Read from a JSON object, in its order; a name that comes again replaces the earlier value.
impl<'de> serde::Deserialize<'de> for AdditionalProperties {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = AdditionalProperties;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<AdditionalProperties, A::Error> {
                let mut properties = AdditionalProperties::new();
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    let value = map.next_value()?;
                    keep_property(&mut properties, key, value);
                }
                Ok(properties)
            }
        }

        deserializer.deserialize_map(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_name_inserted_again_keeps_its_place() {
        let mut properties = AdditionalProperties::new();
        assert_eq!(properties.insert("b".into(), json!(1)), None);
        assert_eq!(properties.insert("a".into(), json!(2)), None);
        assert_eq!(properties.insert("b".into(), json!(3)), Some(json!(1)));
        assert_eq!(
            serde_json::to_string(&properties).expect("writes"),
            r#"{"b":3,"a":2}"#
        );
        assert_eq!(properties.remove("b"), Some(json!(3)));
        assert_eq!(properties.keys().collect::<Vec<_>>(), ["a"]);
    }

    #[test]
    fn an_object_reads_in_order_and_writes_back() {
        let text = r##"{"@odata.type":"#x","b":[1,null],"a":{"c":"d"},"b":2}"##;
        let properties: AdditionalProperties = serde_json::from_str(text).expect("reads");
        assert_eq!(
            properties.keys().collect::<Vec<_>>(),
            ["@odata.type", "b", "a"]
        );
        assert_eq!(properties["b"], json!(2));
        assert_eq!(
            serde_json::to_string(&properties).expect("writes"),
            r##"{"@odata.type":"#x","b":2,"a":{"c":"d"}}"##
        );
        let map: Map<String, Value> = properties.clone().into();
        assert_eq!(AdditionalProperties::from(map), properties);
    }

    #[test]
    fn equality_ignores_order() {
        let one: AdditionalProperties = [("a".into(), json!(1)), ("b".into(), json!(2))]
            .into_iter()
            .collect();
        let other: AdditionalProperties = [("b".into(), json!(2)), ("a".into(), json!(1))]
            .into_iter()
            .collect();
        assert_eq!(one, other);
        let fewer: AdditionalProperties = [("a".into(), json!(1))].into_iter().collect();
        assert_ne!(one, fewer);
        assert_ne!(fewer, one);
    }
}
