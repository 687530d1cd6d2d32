//! Repository rules that a reviewer would otherwise have to repeat.

use std::path::Path;

use crate::project_root;

fn rust_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// Every hand-written Rust file starts with a `//!` summary of what it is for.
#[test]
fn hand_written_modules_start_with_a_summary() {
    let root = project_root();
    let mut files = Vec::new();
    for dir in [
        "codegen/src",
        "codegen/runtime",
        "codegen/tests",
        "xtask/src",
        "xtask/tests",
        "tests/src",
        "tests/benches",
        "tests/tests",
        "tests/mock-graph/src",
        "tests/example-bot/src",
        "tests/example-bot/tests",
        "tests/mock-graph/tests",
    ] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(
        files.len() > 20,
        "the tidy test found too few files: {files:?}"
    );
    let missing: Vec<_> = files
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .collect();
    assert!(missing.is_empty(), "add a `//!` summary to: {missing:?}");
}

/// The generator and the xtask stay in files a reader can hold in mind: each concern gets its own module long
/// before one file reaches 500 lines.
#[test]
fn generator_and_xtask_files_stay_short() {
    const MOST_LINES: usize = 500;
    let mut files = Vec::new();
    rust_files(&project_root().join("codegen/src"), &mut files);
    assert!(!files.is_empty(), "the tidy test found no generator files");
    // The xtask follows the same rule.
    rust_files(&project_root().join("xtask/src"), &mut files);
    let long: Vec<_> = files
        .iter()
        .filter_map(|path| {
            let lines = std::fs::read_to_string(path).ok()?.lines().count();
            (lines > MOST_LINES).then(|| format!("{} ({lines} lines)", path.display()))
        })
        .collect();
    assert!(long.is_empty(), "split by concern: {long:?}");
}
