//! OpenAPI Overlay 1.0.0 documents, read and applied in order. An action's `target` is a JSONPath
//! (RFC 9535) that must match at least one node, or the run fails: an overlay that no longer fits
//! its document says so instead of silently doing nothing. `update` is merged into each object it
//! matches (objects recursively; any other value, arrays included, replaces the one there, and new
//! keys go last) or appended to each array it matches (an array's items one by one). `remove: true`
//! removes each node it matches.

use anyhow::{Context, bail};
use serde_json::Value;
use serde_json_path::JsonPath;

use crate::document::pointer;

/// A parsed overlay.
#[derive(Debug)]
pub(crate) struct Overlay {
    actions: Vec<Action>,
}

#[derive(Debug)]
struct Action {
    /// Where the action is in the overlay, such as `#/actions/2`.
    at: String,
    /// The JSONPath as written.
    target: String,
    path: JsonPath,
    change: Change,
}

#[derive(Debug)]
enum Change {
    Update(Value),
    Remove,
}

impl Overlay {
    /// Reads an overlay document; errors name the place in it (`#/actions/2/target`).
    pub(crate) fn parse(doc: &Value) -> anyhow::Result<Overlay> {
        let version = doc.get("overlay").and_then(Value::as_str);
        match version {
            Some(v) if v.starts_with("1.0.") => {}
            Some(v) => bail!("#/overlay: version `{v}` is not supported; write `overlay: 1.0.0`"),
            None => bail!("#/overlay: missing; an overlay starts with `overlay: 1.0.0`"),
        }
        let info = doc.get("info").and_then(Value::as_object);
        if !info.is_some_and(|info| info.contains_key("title") && info.contains_key("version")) {
            bail!("#/info: an overlay needs an `info` object with a `title` and a `version`");
        }
        let Some(actions) = doc.get("actions").and_then(Value::as_array) else {
            bail!("#/actions: missing; list the overlay's actions under `actions`");
        };
        let mut parsed = Vec::new();
        for (index, action) in actions.iter().enumerate() {
            let at = pointer(&["actions".to_owned(), index.to_string()]);
            let Some(target) = action.get("target").and_then(Value::as_str) else {
                bail!(
                    "{at}/target: missing; give the action a JSONPath `target`, such as `$.info`"
                );
            };
            let path = JsonPath::parse(target).map_err(|err| {
                anyhow::anyhow!("{at}/target: `{target}` is not a JSONPath: {err}")
            })?;
            let remove = match action.get("remove") {
                None | Some(Value::Bool(false)) => false,
                Some(Value::Bool(true)) => true,
                Some(_) => bail!("{at}/remove: write `remove: true` or leave it out"),
            };
            let change = match (remove, action.get("update")) {
                (true, None) => Change::Remove,
                (false, Some(update)) => Change::Update(update.clone()),
                (true, Some(_)) => {
                    bail!("{at}: an action either updates or removes; split it in two")
                }
                (false, None) => {
                    bail!("{at}: the action does nothing; add `update` or `remove: true`")
                }
            };
            parsed.push(Action {
                at,
                target: target.to_owned(),
                path,
                change,
            });
        }
        Ok(Overlay { actions: parsed })
    }

    /// Applies every action to `doc`, in order.
    pub(crate) fn apply(&self, doc: &mut Value) -> anyhow::Result<()> {
        for action in &self.actions {
            action
                .apply(doc)
                .with_context(|| format!("{} (target `{}`)", action.at, action.target))?;
        }
        Ok(())
    }
}

impl Action {
    fn apply(&self, doc: &mut Value) -> anyhow::Result<()> {
        let mut found: Vec<_> = self
            .path
            .query_located(doc)
            .dedup()
            .into_iter()
            .map(|node| node.to_location())
            .collect();
        if found.is_empty() {
            bail!(
                "the target matches nothing in the document; fix the JSONPath or remove the action"
            );
        }
        // The last first, so that removing an item leaves the indices of those before it valid.
        found.sort_by(|a, b| b.partial_cmp(a).unwrap_or(std::cmp::Ordering::Equal));
        let pointers: Vec<String> = found.iter().map(|path| path.to_json_pointer()).collect();
        for json_pointer in pointers {
            let shown = format!("#{json_pointer}");
            match &self.change {
                Change::Update(update) => {
                    let node = doc
                        .pointer_mut(&json_pointer)
                        .context("a matched node disappeared")?;
                    update_node(node, update).with_context(|| format!("at {shown}"))?;
                }
                Change::Remove => remove(doc, &json_pointer, &shown)?,
            }
        }
        Ok(())
    }
}

/// Merges `update` into an object or appends it to an array.
fn update_node(node: &mut Value, update: &Value) -> anyhow::Result<()> {
    match (node, update) {
        (Value::Object(node), Value::Object(update)) => {
            merge(node, update);
            Ok(())
        }
        (Value::Array(node), Value::Array(update)) => {
            node.extend(update.iter().cloned());
            Ok(())
        }
        (Value::Array(node), update) => {
            node.push(update.clone());
            Ok(())
        }
        (Value::Object(_), _) => {
            bail!("the target is an object, so `update` must be an object of the keys to set")
        }
        _ => bail!(
            "the target is neither an object nor an array; target the object that holds it and update that key"
        ),
    }
}

/// Merges `update` into `node`: objects recursively, any other value replacing the one there.
fn merge(node: &mut serde_json::Map<String, Value>, update: &serde_json::Map<String, Value>) {
    for (key, value) in update {
        match (node.get_mut(key), value) {
            (Some(Value::Object(inner)), Value::Object(value)) => merge(inner, value),
            (Some(existing), _) => *existing = value.clone(),
            (None, _) => {
                node.insert(key.clone(), value.clone());
            }
        }
    }
}

/// Removes the node at `json_pointer` (RFC 6901, without `#`) from its parent.
fn remove(doc: &mut Value, json_pointer: &str, shown: &str) -> anyhow::Result<()> {
    let Some((parent, last)) = json_pointer.rsplit_once('/') else {
        bail!("the target is the whole document, which cannot be removed");
    };
    let key = last.replace("~1", "/").replace("~0", "~");
    match doc.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.shift_remove(&key);
        }
        Some(Value::Array(items)) => {
            let index: usize = key.parse().with_context(|| format!("at {shown}"))?;
            if index < items.len() {
                items.remove(index);
            }
        }
        _ => bail!("at {shown}: the parent of the matched node is gone"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::parse;

    fn applied(doc: &str, overlay: &str) -> anyhow::Result<Value> {
        let mut doc = parse(doc)?;
        Overlay::parse(&parse(overlay)?)?.apply(&mut doc)?;
        Ok(doc)
    }

    const HEAD: &str = "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n";

    #[test]
    fn updates_merge_deeply_and_append_to_arrays() {
        let doc = applied(
            "a: {b: 1, c: {d: 2}}\nl: [1]\n",
            &format!(
                "{HEAD}- target: $.a\n  update: {{c: {{e: 3}}, b: 5, z: 0}}\n- target: $.l\n  update: 2\n"
            ),
        )
        .expect("applies");
        assert_eq!(
            doc,
            parse("a: {b: 5, c: {d: 2, e: 3}, z: 0}\nl: [1, 2]\n").expect("yaml")
        );
    }

    #[test]
    fn removes_every_match_from_the_last() {
        let doc = applied(
            "l: [{k: 1}, {k: 2}, {k: 1}]\nm: {a: 1, b: 2}\n",
            &format!(
                "{HEAD}- target: $.l[?@.k == 1]\n  remove: true\n- target: $.m.a\n  remove: true\n"
            ),
        )
        .expect("applies");
        assert_eq!(doc, parse("l: [{k: 2}]\nm: {b: 2}\n").expect("yaml"));
    }

    #[test]
    fn errors_say_which_action_and_what_to_do() {
        for (actions, expected) in [
            (
                "- target: $.nothing\n  remove: true\n",
                "#/actions/0 (target `$.nothing`): the target matches nothing",
            ),
            (
                "- target: '$..['\n  remove: true\n",
                "#/actions/0/target: `$..[` is not a JSONPath",
            ),
            ("- target: $.a\n", "#/actions/0: the action does nothing"),
            (
                "- target: $.a.b\n  update: {x: 1}\n",
                "neither an object nor an array",
            ),
        ] {
            let error = applied("a: {b: 1}\n", &format!("{HEAD}{actions}")).expect_err("fails");
            let error = format!("{error:#}");
            assert!(error.contains(expected), "{error}");
        }
    }
}
