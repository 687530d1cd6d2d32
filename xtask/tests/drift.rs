//! `xtask::drift` in-process: pairs of a spec and a newer document under `drift/` (one case per
//! file; the report as text and as JSON, each a snapshot), one safe and one breaking change counted,
//! and the project's spec against the official document it is cut from (no drift).

use std::path::Path;

use serde_json::Value;
use xtask::drift::{Drift, Report};
use xtask::project_root;

/// Runs the case at `path`: its `spec`, `newer` and `overlay` are written to `dir` and compared.
fn check(path: &Path, dir: &Path) -> Report {
    let case: Value = serde_saphyr::from_str(&std::fs::read_to_string(path).expect("case"))
        .expect("the case is YAML");
    let write = |key: &str| {
        let value = case.get(key)?;
        let file = dir.join(format!("{key}.yaml"));
        std::fs::write(&file, serde_saphyr::to_string(value).expect("YAML")).expect("write");
        Some(file)
    };
    let drift = Drift {
        spec: write("spec"),
        from: write("newer").expect("every case has a newer document"),
        overlay: write("overlay"),
    };
    drift.report().expect("compares")
}

#[test]
fn cases() {
    insta::glob!("drift/*.yaml", |path| {
        let dir = tempfile::tempdir().expect("temp dir");
        let report = check(path, dir.path());
        let hide = |text: String| text.replace(&dir.path().display().to_string(), "[dir]");
        insta::assert_snapshot!("human", hide(report.human()));
        insta::assert_snapshot!("json", hide(report.json()));
    });
}

#[test]
fn one_safe_and_one_breaking_change_is_breaking() {
    let dir = tempfile::tempdir().expect("temp dir");
    let report = check(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/drift/one_safe_one_breaking.yaml"),
        dir.path(),
    );
    let kinds: Vec<_> = report
        .changes
        .iter()
        .map(|change| (change.severity, change.kind, change.pointer.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                xtask::drift::Severity::Breaking,
                "property-removed",
                "#/components/schemas/call/properties/legacyId"
            ),
            (
                xtask::drift::Severity::Safe,
                "property-added",
                "#/components/schemas/call/properties/tenantId"
            ),
        ]
    );
    assert!(report.breaking());
    let json: Value = serde_json::from_str(&report.json()).expect("JSON");
    assert_eq!(
        (json["breaking"].as_u64(), json["safe"].as_u64()),
        (Some(1), Some(1))
    );
}

#[test]
fn the_spec_does_not_drift_from_the_document_it_is_cut_from() {
    let report = Drift {
        from: project_root().join("tests/fixtures/official/beta/CloudCommunications.yml"),
        spec: None,
        overlay: None,
    }
    .report()
    .expect("compares");
    assert_eq!(report.changes, []);
    assert!(!report.breaking());
    assert!(report.human().contains("No drift"), "{}", report.human());
}

#[test]
fn an_overlay_that_no_longer_applies_is_breaking() {
    let report = Drift {
        from: project_root().join("tests/fixtures/official/v1.0/CloudCommunications.yml"),
        spec: None,
        overlay: None,
    }
    .report()
    .expect("compares");
    assert!(report.breaking());
    let [change] = report.changes.as_slice() else {
        panic!("one change: {:?}", report.changes);
    };
    assert_eq!(change.kind, "overlay-does-not-apply");
    assert!(change.message.contains("#/actions/1"), "{}", change.message);
}
