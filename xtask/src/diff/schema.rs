//! Comparing the schemas of two slices: the named ones, then each pair keyword by keyword.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::{Diff, Severity, is_true, plain};
use crate::document::at;

impl Diff<'_> {
    pub(super) fn schemas(&mut self) {
        let schemas = |doc: &Value| {
            at(doc, &["components", "schemas"])
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let (a, b) = (schemas(self.old), schemas(self.new));
        for (name, schema) in &a {
            let at = vec!["components".to_owned(), "schemas".to_owned(), name.clone()];
            match b.get(name) {
                None => self.push(
                    Severity::Breaking,
                    &at,
                    "schema-removed",
                    format!("the schema `{name}` is gone"),
                ),
                Some(newer) => self.schema(&at, schema, newer),
            }
        }
        for name in b.keys().filter(|name| !a.contains_key(*name)) {
            let at = vec!["components".to_owned(), "schemas".to_owned(), name.clone()];
            self.push(
                Severity::Safe,
                &at,
                "schema-added",
                format!("a new schema `{name}`"),
            );
        }
    }

    /// Compares two schemas; named schemas they refer to are compared on their own.
    pub(super) fn schema(&mut self, at: &[String], old: &Value, new: &Value) {
        let (Some(a), Some(b)) = (old.as_object(), new.as_object()) else {
            if old != new {
                self.push(
                    Severity::Breaking,
                    at,
                    "retyped",
                    "the schema changed".to_owned(),
                );
            }
            return;
        };
        for key in ["$ref", "type", "format"] {
            if a.get(key) != b.get(key) {
                let shown =
                    |v: Option<&Value>| v.map_or("none".to_owned(), |v| format!("`{}`", plain(v)));
                let message = format!(
                    "`{key}` changed from {} to {}",
                    shown(a.get(key)),
                    shown(b.get(key))
                );
                self.push(Severity::Breaking, at, "retyped", message);
            }
        }
        match (is_true(a.get("nullable")), is_true(b.get("nullable"))) {
            (false, true) => self.push(
                Severity::Breaking,
                at,
                "made-nullable",
                "it may now be `null`".to_owned(),
            ),
            (true, false) => self.push(
                Severity::Safe,
                at,
                "no-longer-nullable",
                "it is no longer `null`".to_owned(),
            ),
            _ => {}
        }
        self.descriptions(at, old, new, &["title", "description"]);
        let members = |v: &Map<String, Value>| -> Vec<String> {
            v.get("enum")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(plain)
                .collect()
        };
        let (x, y) = (members(a), members(b));
        for member in x.iter().filter(|m| !y.contains(m)) {
            self.push(
                Severity::Breaking,
                at,
                "enum-member-removed",
                format!("the enum member `{member}` is gone"),
            );
        }
        for member in y.iter().filter(|m| !x.contains(m)) {
            self.push(
                Severity::Safe,
                at,
                "enum-member-added",
                format!("a new enum member `{member}`"),
            );
        }
        self.properties(at, a, b);
        for key in ["allOf", "anyOf", "oneOf"] {
            let list = |v: &Map<String, Value>| {
                v.get(key)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            };
            let (x, y) = (list(a), list(b));
            if x.len() != y.len() {
                let message = format!("`{key}` has {} members instead of {}", y.len(), x.len());
                self.push(Severity::Breaking, at, "composition-changed", message);
            }
            for (index, (p, q)) in x.iter().zip(&y).enumerate() {
                self.schema(&[at, &[key.to_owned(), index.to_string()]].concat(), p, q);
            }
        }
        for key in ["items", "additionalProperties"] {
            match (a.get(key), b.get(key)) {
                (Some(p), Some(q)) => self.schema(&[at, &[key.to_owned()]].concat(), p, q),
                (None, None) => {}
                _ => self.push(
                    Severity::Breaking,
                    at,
                    "retyped",
                    format!("`{key}` was added or removed"),
                ),
            }
        }
        self.mapping(at, a, b);
        let shaped: BTreeSet<&str> = [
            "$ref",
            "type",
            "format",
            "nullable",
            "title",
            "description",
            "enum",
            "properties",
            "required",
            "allOf",
            "anyOf",
            "oneOf",
            "items",
            "additionalProperties",
            "discriminator",
        ]
        .into();
        let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for key in keys.into_iter().filter(|k| !shaped.contains(k.as_str())) {
            if a.get(key) != b.get(key) {
                self.push(
                    Severity::Safe,
                    at,
                    "keyword-changed",
                    format!("`{key}` changed"),
                );
            }
        }
    }

    fn properties(&mut self, at: &[String], a: &Map<String, Value>, b: &Map<String, Value>) {
        let props = |v: &Map<String, Value>| {
            v.get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let required = |v: &Map<String, Value>| -> BTreeSet<String> {
            v.get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        };
        let (x, y) = (props(a), props(b));
        let (rx, ry) = (required(a), required(b));
        for (name, schema) in &x {
            let at = [at, &["properties".to_owned(), name.clone()]].concat();
            let Some(newer) = y.get(name) else {
                self.push(
                    Severity::Breaking,
                    &at,
                    "property-removed",
                    format!("the property `{name}` is gone"),
                );
                continue;
            };
            match (rx.contains(name), ry.contains(name)) {
                (false, true) => self.push(
                    Severity::Breaking,
                    &at,
                    "made-required",
                    format!("`{name}` is now required"),
                ),
                (true, false) => self.push(
                    Severity::Breaking,
                    &at,
                    "made-optional",
                    format!("`{name}` is no longer required"),
                ),
                _ => {}
            }
            self.schema(&at, schema, newer);
        }
        for name in y.keys().filter(|name| !x.contains_key(*name)) {
            let at = [at, &["properties".to_owned(), name.clone()]].concat();
            match ry.contains(name) {
                true => self.push(
                    Severity::Breaking,
                    &at,
                    "required-property-added",
                    format!("a new required property `{name}`"),
                ),
                false => self.push(
                    Severity::Safe,
                    &at,
                    "property-added",
                    format!("a new optional property `{name}`"),
                ),
            }
        }
    }

    fn mapping(&mut self, at: &[String], a: &Map<String, Value>, b: &Map<String, Value>) {
        let entries = |v: &Map<String, Value>| -> BTreeMap<String, Value> {
            v.get("discriminator")
                .and_then(|d| d.get("mapping"))
                .and_then(Value::as_object)
                .map(|m| m.clone().into_iter().collect())
                .unwrap_or_default()
        };
        let (x, y) = (entries(a), entries(b));
        let at = [at, &["discriminator".to_owned(), "mapping".to_owned()]].concat();
        for (key, target) in &x {
            if y.get(key) != Some(target) {
                self.push(
                    Severity::Breaking,
                    &at,
                    "mapping-removed",
                    format!("`{key}` no longer maps to {}", plain(target)),
                );
            }
        }
        for key in y.keys().filter(|key| !x.contains_key(*key)) {
            self.push(
                Severity::Safe,
                &at,
                "mapping-added",
                format!("a new mapping entry `{key}`"),
            );
        }
    }

    pub(super) fn descriptions(&mut self, at: &[String], old: &Value, new: &Value, keys: &[&str]) {
        for key in keys {
            if old.get(key) != new.get(key) {
                self.push(
                    Severity::Safe,
                    at,
                    "description-changed",
                    format!("the `{key}` changed"),
                );
            }
        }
    }
}
