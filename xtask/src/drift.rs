//! `cargo xtask drift`: what a newer official document would change in the spec. The spec's
//! operations (those that are not aliases) and webhooks are cut again from the newer document, with
//! the same overlay, as `cargo xtask slice` would; the differences between the spec and that cut
//! are classified (see `diff`) and reported for a person or, with `--json`, for CI.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use serde_json::{Value, json};

use crate::codegen::Names;
use crate::diff;
pub use crate::diff::{Change, Severity};
use crate::document;
use crate::overlay::Overlay;
use crate::project_root;
use crate::slice::{self, METHODS, SAME_OPERATION_AS};

/// What to compare.
#[derive(Clone, Debug)]
pub struct Drift {
    /// The newer official document.
    pub from: PathBuf,
    /// The spec; `spec/graph-calls.yaml` when not given.
    pub spec: Option<PathBuf>,
    /// The overlay the spec was cut with; `spec/overlay.yaml` when neither it nor `spec` is given.
    pub overlay: Option<PathBuf>,
}

/// The differences found.
#[derive(Clone, Debug)]
pub struct Report {
    spec: String,
    from: String,
    /// Every difference, breaking first, then by pointer.
    pub changes: Vec<Change>,
}

impl Drift {
    /// Compares the spec with the newer document.
    pub fn report(&self) -> anyhow::Result<Report> {
        let names = Names::new();
        let root = project_root();
        let spec_path = self
            .spec
            .clone()
            .unwrap_or_else(|| root.join("spec/graph-calls.yaml"));
        let overlay_path = match (&self.overlay, &self.spec) {
            (Some(path), _) => Some(path.clone()),
            (None, None) => Some(root.join("spec/overlay.yaml")),
            (None, Some(_)) => None,
        };
        let spec_shown = names.show(&spec_path);
        let from_shown = names.show(&self.from);
        let spec = document::read(&spec_path, &spec_shown)?;
        let mut newer = document::read(&self.from, &from_shown)?;
        let mut report = Report {
            spec: spec_shown,
            from: from_shown.clone(),
            changes: Vec::new(),
        };
        if let Some(path) = overlay_path {
            let shown = names.show(&path);
            let overlay = Overlay::parse(&document::read(&path, &shown)?)
                .with_context(|| format!("the overlay {shown} is not valid"))?;
            if let Err(err) = overlay.apply(&mut newer) {
                report.changes.push(Change {
                    severity: Severity::Breaking,
                    pointer: "#".to_owned(),
                    kind: "overlay-does-not-apply",
                    message: format!(
                        "the overlay {shown} no longer applies, so the spec cannot be cut from {from_shown}: {err:#}; update the overlay"
                    ),
                });
                return Ok(report);
            }
        }
        let present = slice::operation_ids(&newer);
        let operations: Vec<String> = primary_operations(&spec)
            .into_iter()
            .filter(|id| present.contains(id))
            .collect();
        let webhooks: Vec<String> = spec
            .get("x-webhooks")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|hooks| hooks.keys())
            .filter(|name| {
                newer
                    .get("x-webhooks")
                    .and_then(|h| h.get(name.as_str()))
                    .is_some()
            })
            .cloned()
            .collect();
        let cut = slice::cut(&newer, &operations, &webhooks)
            .with_context(|| format!("cannot cut the spec's operations from {from_shown}"))?;
        let mut spec = spec;
        if let Some(map) = spec.as_object_mut() {
            map.shift_remove("x-generated-by");
        }
        report.changes = diff::compare(&spec, &Value::Object(cut));
        Ok(report)
    }

    /// Writes the report to `out`, as text or JSON; returns whether anything breaking changed.
    pub fn run(&self, json: bool, out: &mut dyn Write) -> anyhow::Result<bool> {
        let report = self.report()?;
        let text = if json { report.json() } else { report.human() };
        out.write_all(text.as_bytes())
            .context("cannot write the report")?;
        Ok(report.breaking())
    }
}

/// The `operationId`s of the spec's operations that are not aliases of another.
fn primary_operations(spec: &Value) -> Vec<String> {
    let mut ids = Vec::new();
    for item in spec
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|p| p.values())
    {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            if operation.get(SAME_OPERATION_AS).is_none()
                && let Some(id) = operation.get("operationId").and_then(Value::as_str)
            {
                ids.push(id.to_owned());
            }
        }
    }
    ids
}

impl Report {
    /// Whether any change is breaking.
    pub fn breaking(&self) -> bool {
        self.changes
            .iter()
            .any(|c| c.severity == Severity::Breaking)
    }

    fn count(&self, severity: Severity) -> usize {
        self.changes
            .iter()
            .filter(|c| c.severity == severity)
            .count()
    }

    /// The report for a person: breaking changes, then safe ones, each grouped by what they are in.
    pub fn human(&self) -> String {
        let mut text = format!(
            "{} against {}: {} breaking, {} safe\n",
            self.spec,
            self.from,
            self.count(Severity::Breaking),
            self.count(Severity::Safe)
        );
        if self.changes.is_empty() {
            text.push_str("\nNo drift: every operation and schema the spec holds is as the newer document has it.\n");
            return text;
        }
        for (severity, heading) in [
            (
                Severity::Breaking,
                "Breaking: the generated crate would change in ways its users may notice",
            ),
            (
                Severity::Safe,
                "Safe: generated types and enums are open, so these only add or reword",
            ),
        ] {
            let mut changes: Vec<&Change> = self
                .changes
                .iter()
                .filter(|c| c.severity == severity)
                .collect();
            changes.sort_by_key(|c| GROUPS.iter().position(|g| *g == group_of(&c.pointer)));
            if changes.is_empty() {
                continue;
            }
            text.push_str(&format!("\n{heading}\n"));
            let mut group = "";
            for change in changes {
                let this = group_of(&change.pointer);
                if this != group {
                    text.push_str(&format!("  {this}\n"));
                    group = this;
                }
                text.push_str(&format!(
                    "    {}: {} ({})\n",
                    change.pointer, change.message, change.kind
                ));
            }
        }
        text.push_str(if self.breaking() {
            "\nRegenerate with `cargo xtask slice` and `cargo xtask codegen`, and adapt the code that uses what broke.\n"
        } else {
            "\nNothing breaks: regenerate with `cargo xtask slice` and `cargo xtask codegen` when convenient.\n"
        });
        text
    }

    /// The report as JSON, one change per entry in a stable order.
    pub fn json(&self) -> String {
        let changes: Vec<Value> = self
            .changes
            .iter()
            .map(|c| {
                json!({
                    "severity": match c.severity { Severity::Breaking => "breaking", Severity::Safe => "safe" },
                    "kind": c.kind,
                    "pointer": c.pointer,
                    "message": c.message,
                })
            })
            .collect();
        let value = json!({
            "spec": self.spec,
            "from": self.from,
            "breaking": self.count(Severity::Breaking),
            "safe": self.count(Severity::Safe),
            "changes": changes,
        });
        let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// The headings changes are listed under, in order.
const GROUPS: [&str; 4] = ["operations", "webhooks", "schemas", "document"];

/// The heading a change is listed under.
fn group_of(pointer: &str) -> &'static str {
    if pointer.starts_with("#/paths/") {
        "operations"
    } else if pointer.starts_with("#/x-webhooks/") || pointer.starts_with("#/webhooks/") {
        "webhooks"
    } else if pointer.starts_with("#/components/schemas/") {
        "schemas"
    } else {
        "document"
    }
}
