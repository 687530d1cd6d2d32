//! `cargo xtask codegen` as maintainers and CI run it: on the official v1.0 slice (the crate it
//! writes compiles), on a malformed spec (a located error, nothing written), and after a spec change
//! (`--check` fails until regeneration).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tests::workspace_root;

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command.current_dir(workspace_root());
    command
}

/// Runs `cargo xtask codegen` with `args`.
fn xtask(args: &[&str]) -> Output {
    cargo()
        .args(["run", "--quiet", "--package", "xtask", "--", "codegen"])
        .args(args)
        .output()
        .expect("cargo runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn generate(spec: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "--spec",
        spec.to_str().expect("utf-8 path"),
        "--out",
        out.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    xtask(&args)
}

/// Every file below `dir` with its contents, sorted.
fn snapshot_dir(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push((
                    path.clone(),
                    std::fs::read_to_string(&path).unwrap_or_default(),
                ));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn the_official_v1_slice_generates_a_crate_that_compiles() {
    let out = tempfile::tempdir().expect("temp dir");
    let spec = workspace_root().join("tests/fixtures/graph-v1-slice.yaml");
    let generated = generate(&spec, out.path(), &[]);
    assert!(generated.status.success(), "{}", text(&generated));

    // Same dependency versions as the workspace, so nothing is resolved anew.
    std::fs::copy(
        workspace_root().join("Cargo.lock"),
        out.path().join("Cargo.lock"),
    )
    .expect("copy lock file");
    let check = cargo()
        .args([
            "check",
            "--quiet",
            "--offline",
            "--all-features",
            "--manifest-path",
        ])
        .arg(out.path().join("Cargo.toml"))
        .env(
            "CARGO_TARGET_DIR",
            workspace_root().join("target/slice-check"),
        )
        .env("RUSTFLAGS", "-D warnings")
        .output()
        .expect("cargo runs");
    assert!(
        check.status.success(),
        "the crate generated from the official slice does not compile:\n{}",
        text(&check)
    );

    let again = generate(&spec, out.path(), &["--check"]);
    assert!(
        again.status.success(),
        "regenerating changed the output: {}",
        text(&again)
    );
}

#[test]
fn a_malformed_spec_is_located_and_nothing_is_written() {
    let out = tempfile::tempdir().expect("temp dir");
    let good = workspace_root().join("spec/graph-calls.yaml");
    assert!(generate(&good, out.path(), &[]).status.success());
    let before = snapshot_dir(out.path());

    let bad = out.path().join("bad.yaml");
    let spec = std::fs::read_to_string(&good).expect("spec").replacen(
        "        4XX:\n          $ref: '#/components/responses/error'\n",
        "        4XX: 5\n",
        1,
    );
    std::fs::write(&bad, spec).expect("write bad spec");
    let before_with_bad = {
        let mut files = before.clone();
        files.push((
            bad.clone(),
            std::fs::read_to_string(&bad).expect("bad spec"),
        ));
        files.sort();
        files
    };
    let failed = generate(&bad, out.path(), &[]);
    let message = text(&failed);
    assert_eq!(
        failed.status.code(),
        Some(1),
        "a clean error, not a panic: {message}"
    );
    assert!(
        message.contains("#/paths/~1communications~1calls~1{call-id}~1reject/post"),
        "{message}"
    );
    assert!(!message.contains("panicked"), "{message}");
    assert_eq!(
        snapshot_dir(out.path()),
        before_with_bad,
        "a failed run left the output changed"
    );
}

#[test]
fn a_new_enum_member_fails_check_until_regenerated() {
    let out = tempfile::tempdir().expect("temp dir");
    let spec_path = out.path().join("spec.yaml");
    let crate_dir = out.path().join("crate");
    let original =
        std::fs::read_to_string(workspace_root().join("spec/graph-calls.yaml")).expect("spec");
    std::fs::write(&spec_path, &original).expect("write spec");
    assert!(generate(&spec_path, &crate_dir, &[]).status.success());

    let changed = original.replace(
        "      - forbidden\n      - unknownFutureValue\n",
        "      - forbidden\n      - unknownFutureValue\n      - doNotDisturb\n",
    );
    assert_ne!(changed, original, "the fixture edit applies");
    std::fs::write(&spec_path, changed).expect("write spec");

    let stale = generate(&spec_path, &crate_dir, &["--check"]);
    let message = text(&stale);
    assert!(!stale.status.success(), "--check passes on stale output");
    assert!(
        message.contains("+    DoNotDisturb,"),
        "the diff shows the new member: {message}"
    );
    assert!(message.contains("run `cargo xtask codegen`"), "{message}");

    assert!(generate(&spec_path, &crate_dir, &[]).status.success());
    assert!(
        generate(&spec_path, &crate_dir, &["--check"])
            .status
            .success()
    );
    let types = std::fs::read_to_string(crate_dir.join("src/types.rs")).expect("types");
    assert!(types.contains("DoNotDisturb: \"doNotDisturb\""), "{types}");
}

#[test]
fn only_files_the_generator_wrote_are_removed() {
    let out = tempfile::tempdir().expect("temp dir");
    let src = out.path().join("src");
    std::fs::create_dir_all(&src).expect("src");
    let hand_written = src.join("hand_written.rs");
    let stale = src.join("no_longer_generated.rs");
    std::fs::write(&hand_written, "//! Mine.\n").expect("write");
    std::fs::write(
        &stale,
        format!("// {}. Do not edit by hand.\n", codegen_mark()),
    )
    .expect("write");
    let spec = workspace_root().join("spec/graph-calls.yaml");
    let generated = generate(&spec, out.path(), &[]);
    assert!(generated.status.success(), "{}", text(&generated));
    assert!(hand_written.exists(), "a hand-written file was removed");
    assert!(!stale.exists(), "a stale generated file was kept");
}

/// The mark generated files start with, as written in the checked-in crate.
fn codegen_mark() -> String {
    let lib = tests::read("generated/src/lib.rs");
    let first = lib.lines().next().expect("a header");
    first
        .trim_start_matches("// ")
        .split(". ")
        .next()
        .expect("the mark")
        .to_owned()
}
