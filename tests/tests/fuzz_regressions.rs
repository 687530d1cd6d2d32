//! Every input fuzzing found (`fuzz/regressions/{target}/`) replayed through the invariant of its
//! target (`tests::invariants`), and the documented examples through them too, so that the
//! invariants hold for the inputs the fuzz targets start from.

use std::path::PathBuf;

use tests::invariants;
use tests::{HttpExample, workspace_root};

/// An invariant: it panics when broken.
type Invariant = fn(&[u8]);

/// The fuzz targets and their invariants.
const TARGETS: &[(&str, Invariant)] = &[
    (
        "notification_round_trip",
        invariants::notification_round_trip,
    ),
    ("reject_body", invariants::reject_body),
    ("token_path", invariants::token_path),
    ("spec_loader", invariants::spec_loader),
];

fn regressions(target: &str) -> Vec<PathBuf> {
    let dir = workspace_root().join("fuzz/regressions").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn every_input_fuzzing_found_keeps_its_invariant() {
    for (target, invariant) in TARGETS {
        for path in regressions(target) {
            let bytes = std::fs::read(&path).expect("readable");
            let outcome = std::panic::catch_unwind(|| invariant(&bytes));
            assert!(
                outcome.is_ok(),
                "{target}: {} breaks it again",
                path.display()
            );
        }
    }
}

#[test]
fn every_fuzz_target_is_replayed_here() {
    let dir = workspace_root().join("fuzz/fuzz_targets");
    let mut sources: Vec<String> = std::fs::read_dir(&dir)
        .expect("fuzz/fuzz_targets")
        .filter_map(|e| {
            let path = e.ok()?.path();
            Some(path.file_stem()?.to_string_lossy().into_owned())
        })
        .collect();
    sources.sort();
    let mut listed: Vec<String> = TARGETS.iter().map(|(name, _)| (*name).to_owned()).collect();
    listed.sort();
    assert_eq!(sources, listed);
}

#[test]
fn the_documented_examples_keep_the_invariants() {
    for name in ["incoming", "deleted"] {
        let example = HttpExample::load(&format!("notifications/{name}.http"));
        invariants::notification_round_trip(example.body.as_deref().unwrap_or_default().as_bytes());
    }
    for name in ["busy", "none"] {
        let example = HttpExample::load(&format!("reject/{name}.http"));
        invariants::reject_body(example.body.as_deref().unwrap_or_default().as_bytes());
    }
    let spec = std::fs::read(workspace_root().join("spec/graph-calls.yaml")).expect("the spec");
    invariants::spec_loader(&spec);
}

#[test]
fn a_token_signed_with_claims_for_another_bot_is_refused_and_the_invariant_holds() {
    // Mode 2 signs the claims with the trusted key: the validation must refuse them, or the
    // invariant panics.
    let mut input = vec![2u8];
    input.extend_from_slice(
        br#"{"iss":"https://graph.microsoft.com","aud":"another-bot","exp":4102444800}"#,
    );
    invariants::token_path(&input);
    let mut expired = vec![2u8];
    expired.extend_from_slice(
        br#"{"iss":"https://graph.microsoft.com","aud":"2891555a-92ff-42e6-80fa-6e1300c6b5c6","exp":1}"#,
    );
    invariants::token_path(&expired);
}
