//! The differences between two slices of an OpenAPI document, each classified by what it does to
//! the generated crate. Generated structs and enums are open (unknown properties and members are
//! kept), so what only adds is safe: a new optional property, enum member, response, operation or
//! alias, schema or mapping entry, and any change of descriptions or of keywords that do not shape
//! a type. What removes or reshapes is breaking: a removed operation, property, schema, enum member,
//! response or mapping entry; a moved operation (path or method); a property given another type or
//! format, made required, made optional or made nullable; a changed body; a new required property
//! or parameter; a changed `allOf`/`anyOf`/`oneOf`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::document::{at, pointer, ref_tokens};
use crate::slice::METHODS;

/// Whether a change can break users of the generated crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Users of the generated crate may have to change their code, or it behaves differently.
    Breaking,
    /// Generated code only grows, or only its docs change.
    Safe,
}

/// One difference.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// Breaking or safe.
    pub severity: Severity,
    /// Where, as a JSON pointer into the spec (or into the newer document for what it adds).
    pub pointer: String,
    /// A stable name of the kind of change, such as `property-removed`.
    pub kind: &'static str,
    /// What changed, in a sentence.
    pub message: String,
}

/// The differences from `old` to `new`, sorted: breaking first, then by pointer.
pub(crate) fn compare(old: &Value, new: &Value) -> Vec<Change> {
    let mut diff = Diff {
        old,
        new,
        changes: Vec::new(),
    };
    diff.operations();
    diff.schemas();
    let mut changes = diff.changes;
    changes.sort();
    changes.dedup();
    changes
}

mod schema;

struct Diff<'a> {
    old: &'a Value,
    new: &'a Value,
    changes: Vec<Change>,
}

/// An operation: where it is and what it is.
struct Site<'a> {
    tokens: Vec<String>,
    operation: &'a Value,
}

/// Every operation (and webhook) of `doc`, by `operationId` (webhooks by name and method).
fn operations(doc: &Value) -> BTreeMap<String, Site<'_>> {
    let mut found = BTreeMap::new();
    for section in ["paths", "x-webhooks", "webhooks"] {
        for (name, item) in doc
            .get(section)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            for method in METHODS {
                let Some(operation) = item.get(method) else {
                    continue;
                };
                let id = match (
                    section,
                    operation.get("operationId").and_then(Value::as_str),
                ) {
                    ("paths", Some(id)) => id.to_owned(),
                    _ => format!("{section} {name} {method}"),
                };
                let tokens = vec![section.to_owned(), name.clone(), method.to_owned()];
                found.insert(id, Site { tokens, operation });
            }
        }
    }
    found
}

impl Diff<'_> {
    fn push(&mut self, severity: Severity, tokens: &[String], kind: &'static str, message: String) {
        self.changes.push(Change {
            severity,
            pointer: pointer(tokens),
            kind,
            message,
        });
    }

    fn operations(&mut self) {
        let old = operations(self.old);
        let new = operations(self.new);
        for (id, site) in &old {
            let Some(newer) = new.get(id) else {
                let message = format!("the operation `{id}` is gone");
                self.push(
                    Severity::Breaking,
                    &site.tokens,
                    "operation-removed",
                    message,
                );
                continue;
            };
            if site.tokens != newer.tokens {
                let message = format!(
                    "the operation `{id}` moved to `{} {}`",
                    newer.tokens[2].to_uppercase(),
                    newer.tokens[1]
                );
                self.push(Severity::Breaking, &site.tokens, "operation-moved", message);
                continue;
            }
            self.operation(&site.tokens, site.operation, newer.operation);
        }
        for (id, site) in &new {
            if !old.contains_key(id) {
                let message = format!("a new operation or alias `{id}`");
                self.push(Severity::Safe, &site.tokens, "operation-added", message);
            }
        }
    }

    fn operation(&mut self, tokens: &[String], old: &Value, new: &Value) {
        self.descriptions(tokens, old, new, &["summary", "description"]);
        if old.get("deprecated") != new.get("deprecated") {
            self.push(
                Severity::Safe,
                tokens,
                "deprecation-changed",
                "deprecated or no longer deprecated".to_owned(),
            );
        }
        self.parameters(tokens, old, new);
        let body = |doc: &Value, op: &Value| resolve(doc, op.get("requestBody")?);
        let mut at = tokens.to_vec();
        at.push("requestBody".to_owned());
        match (body(self.old, old), body(self.new, new)) {
            (Some(a), Some(b)) => {
                if !is_true(a.get("required")) && is_true(b.get("required")) {
                    self.push(
                        Severity::Breaking,
                        &at,
                        "body-made-required",
                        "the request body is now required".to_owned(),
                    );
                }
                self.content(&at, &a, &b);
            }
            (Some(_), None) => self.push(
                Severity::Breaking,
                &at,
                "body-removed",
                "the request body is gone".to_owned(),
            ),
            (None, Some(_)) => self.push(
                Severity::Breaking,
                &at,
                "body-added",
                "the operation now takes a request body".to_owned(),
            ),
            (None, None) => {}
        }
        let responses = |op: &Value| {
            op.get("responses")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let (a, b) = (responses(old), responses(new));
        for (status, response) in &a {
            let at = [tokens, &["responses".to_owned(), status.clone()]].concat();
            match b.get(status) {
                None => self.push(
                    Severity::Breaking,
                    &at,
                    "response-removed",
                    format!("the `{status}` response is gone"),
                ),
                Some(newer) => {
                    if let (Some(x), Some(y)) =
                        (resolve(self.old, response), resolve(self.new, newer))
                    {
                        self.content(&at, &x, &y);
                    }
                }
            }
        }
        for status in b.keys().filter(|status| !a.contains_key(*status)) {
            let at = [tokens, &["responses".to_owned(), status.clone()]].concat();
            self.push(
                Severity::Safe,
                &at,
                "response-added",
                format!("a new `{status}` response"),
            );
        }
    }

    /// The JSON schemas of a body or response.
    fn content(&mut self, at: &[String], old: &Value, new: &Value) {
        fn schema(v: &Value) -> Option<&Value> {
            v.get("content")?.get("application/json")?.get("schema")
        }
        let at = [
            at,
            &[
                "content".to_owned(),
                "application/json".to_owned(),
                "schema".to_owned(),
            ],
        ]
        .concat();
        match (schema(old), schema(new)) {
            (Some(a), Some(b)) => self.schema(&at, a, b),
            (None, None) => {}
            _ => self.push(
                Severity::Breaking,
                &at,
                "body-retyped",
                "the JSON body was added or removed".to_owned(),
            ),
        }
    }

    fn parameters(&mut self, tokens: &[String], old: &Value, new: &Value) {
        let list = |doc: &Value, op: &Value| -> BTreeMap<(String, String), Value> {
            op.get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|p| resolve(doc, p))
                .filter_map(|p| {
                    let key = (
                        p.get("in")?.as_str()?.to_owned(),
                        p.get("name")?.as_str()?.to_owned(),
                    );
                    Some((key, p))
                })
                .collect()
        };
        let (a, b) = (list(self.old, old), list(self.new, new));
        let at = [tokens, &["parameters".to_owned()]].concat();
        for ((place, name), p) in &a {
            match b.get(&(place.clone(), name.clone())) {
                None => self.push(
                    Severity::Breaking,
                    &at,
                    "parameter-removed",
                    format!("the {place} parameter `{name}` is gone"),
                ),
                Some(q) if !is_true(p.get("required")) && is_true(q.get("required")) => self.push(
                    Severity::Breaking,
                    &at,
                    "parameter-made-required",
                    format!("the {place} parameter `{name}` is now required"),
                ),
                Some(_) => {}
            }
        }
        for ((place, name), q) in &b {
            if !a.contains_key(&(place.clone(), name.clone())) {
                let (severity, kind) = match is_true(q.get("required")) {
                    true => (Severity::Breaking, "required-parameter-added"),
                    false => (Severity::Safe, "parameter-added"),
                };
                self.push(
                    severity,
                    &at,
                    kind,
                    format!("a new {place} parameter `{name}`"),
                );
            }
        }
    }
}

/// `value`, or what its `$ref` points at in `doc`.
fn resolve(doc: &Value, value: &Value) -> Option<Value> {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => at(doc, &ref_tokens(reference)?).cloned(),
        None => Some(value.clone()),
    }
}

pub(super) fn is_true(value: Option<&Value>) -> bool {
    value.and_then(Value::as_bool).unwrap_or(false)
}

/// A scalar as text, without JSON quotes.
pub(super) fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}
