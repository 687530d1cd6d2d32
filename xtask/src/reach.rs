//! What parts of an OpenAPI document reach: the components named, transitively, by their `$ref`s,
//! their security requirements and their discriminator mappings.
//!
//! A schema named as the type of a value (a property, an item, a body, an `anyOf` member) may hold
//! any schema derived from it, so its discriminator `mapping` is followed too. A schema named only
//! as a base (an `allOf` member) is not a value of its own: its mapping is not followed, which keeps
//! `entity`, the base of every Graph entity, from pulling in the whole document.

use std::collections::{BTreeMap, VecDeque};

use anyhow::bail;
use serde_json::Value;

use crate::document::{at, pointer, ref_tokens};

/// How a component is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    /// Only as an `allOf` base.
    Base,
    /// As the type of a value.
    Value,
}

/// The components reached, as `(section, name)`, such as `("schemas", "microsoft.graph.call")`.
pub(crate) type Components = BTreeMap<(String, String), ()>;

/// The components of `doc` that `root`, a document holding the parts of `doc` to keep but no
/// `components`, reaches. References are resolved in `doc`, and errors name places in it.
pub(crate) fn components(doc: &Value, root: &Value) -> anyhow::Result<Components> {
    let mut walker = Walker {
        doc,
        reached: BTreeMap::new(),
        queue: VecDeque::new(),
    };
    walker.visit(root, &mut Vec::new(), true, false)?;
    while let Some((section, name)) = walker.queue.pop_front() {
        let role = walker.reached[&(section.clone(), name.clone())];
        let tokens = vec!["components".to_owned(), section, name];
        if let Some(value) = at(doc, &tokens) {
            walker.visit(value, &mut tokens.clone(), role == Role::Value, false)?;
        }
    }
    Ok(walker.reached.into_keys().map(|key| (key, ())).collect())
}

/// Every local `$ref` and discriminator mapping value in `doc` that points at nothing, as
/// `(where, reference)`.
pub(crate) fn dangling(doc: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    dangling_in(doc, doc, &mut Vec::new(), &mut found);
    found
}

fn dangling_in(
    doc: &Value,
    value: &Value,
    path: &mut Vec<String>,
    found: &mut Vec<(String, String)>,
) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                path.push(key.clone());
                let references: Vec<&str> = match (key.as_str(), inner) {
                    ("$ref", Value::String(reference)) => vec![reference],
                    ("mapping", Value::Object(mapping)) => {
                        mapping.values().filter_map(Value::as_str).collect()
                    }
                    _ => Vec::new(),
                };
                for reference in references {
                    if let Some(tokens) = ref_tokens(reference)
                        && at(doc, &tokens).is_none()
                    {
                        found.push((pointer(path), reference.to_owned()));
                    }
                }
                match (key.as_str(), inner) {
                    ("example" | "enum", _) => {}
                    // Property names are names, whatever keyword they spell.
                    ("properties", Value::Object(properties)) => {
                        for (name, schema) in properties {
                            path.push(name.clone());
                            dangling_in(doc, schema, path, found);
                            path.pop();
                        }
                    }
                    _ => dangling_in(doc, inner, path, found),
                }
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(index.to_string());
                dangling_in(doc, item, path, found);
                path.pop();
            }
        }
        _ => {}
    }
}

struct Walker<'a> {
    doc: &'a Value,
    reached: BTreeMap<(String, String), Role>,
    queue: VecDeque<(String, String)>,
}

impl Walker<'_> {
    /// Visits `value` at `path`. `follow` says whether discriminator mappings are followed;
    /// `base` whether `value` is an `allOf` member.
    fn visit(
        &mut self,
        value: &Value,
        path: &mut Vec<String>,
        follow: bool,
        base: bool,
    ) -> anyhow::Result<()> {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    path.push("$ref".to_owned());
                    let role = if base { Role::Base } else { Role::Value };
                    self.reference(reference, path, role)?;
                    path.pop();
                }
                for (key, inner) in map {
                    path.push(key.clone());
                    match (key.as_str(), inner) {
                        ("example" | "enum" | "$ref", _) => {}
                        // Property names are names, whatever keyword they spell.
                        ("properties", Value::Object(properties)) => {
                            for (name, schema) in properties {
                                path.push(name.clone());
                                self.visit(schema, path, follow, false)?;
                                path.pop();
                            }
                        }
                        ("security", Value::Array(requirements)) => {
                            self.security(requirements, path)?
                        }
                        ("mapping", Value::Object(mapping)) if follow => {
                            for (entry, target) in mapping {
                                if let Value::String(reference) = target {
                                    path.push(entry.clone());
                                    self.reference(reference, path, Role::Value)?;
                                    path.pop();
                                }
                            }
                        }
                        ("allOf", Value::Array(members)) => {
                            for (index, member) in members.iter().enumerate() {
                                path.push(index.to_string());
                                self.visit(member, path, follow, true)?;
                                path.pop();
                            }
                        }
                        _ => self.visit(inner, path, follow, false)?,
                    }
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    path.push(index.to_string());
                    self.visit(item, path, follow, false)?;
                    path.pop();
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Security requirements name security schemes by their keys.
    fn security(&mut self, requirements: &[Value], path: &mut Vec<String>) -> anyhow::Result<()> {
        for (index, requirement) in requirements.iter().enumerate() {
            let Value::Object(schemes) = requirement else {
                continue;
            };
            for scheme in schemes.keys() {
                path.push(index.to_string());
                path.push(scheme.clone());
                let reference = pointer(&["components", "securitySchemes", scheme]);
                self.reference(&reference, path, Role::Value)?;
                path.truncate(path.len() - 2);
            }
        }
        Ok(())
    }

    /// Marks the component `reference` (written at `path`) as reached.
    fn reference(&mut self, reference: &str, path: &[String], role: Role) -> anyhow::Result<()> {
        let Some(tokens) = ref_tokens(reference) else {
            // A reference to another document stays as it is.
            return Ok(());
        };
        if at(self.doc, &tokens).is_none() {
            bail!(
                "{}: `{reference}` points at nothing; add what it names or fix the reference",
                pointer(path)
            );
        }
        let [components, section, name, ..] = tokens.as_slice() else {
            // A reference elsewhere (into `paths`, say) must resolve in the slice; `dangling`
            // checks that once the slice is cut.
            return Ok(());
        };
        if components != "components" {
            return Ok(());
        }
        let key = (section.clone(), name.clone());
        match self.reached.get(&key) {
            Some(known) if *known >= role => {}
            _ => {
                self.reached.insert(key.clone(), role);
                self.queue.push_back(key);
            }
        }
        Ok(())
    }
}
