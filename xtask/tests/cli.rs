//! The built `xtask` binary, as a user runs it: the smoke test, closed output pipes, an error with
//! `RUST_BACKTRACE=1` set, the exit status of `drift` and an error of `slice`.

use std::path::Path;
use std::process::{Command, Output};

use xtask::project_root as root;

/// `cargo xtask codegen ARGS`, run in `dir`.
fn xtask_codegen(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command.current_dir(dir).arg("codegen").args(args);
    command
}

fn text(output: &[u8]) -> String {
    String::from_utf8_lossy(output).into_owned()
}

fn run(mut command: Command) -> Output {
    command.output().expect("the binary runs")
}

#[test]
fn smoke() {
    let help = run(xtask_codegen(&root(), &["--help"]));
    assert!(help.status.success());
    assert!(
        text(&help.stdout).contains("Usage: cargo xtask codegen [OPTIONS]"),
        "{}",
        text(&help.stdout)
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let spec = root().join("spec/graph-calls.yaml");
    let spec = spec.to_str().expect("UTF-8 path");
    let generated = run(xtask_codegen(
        dir.path(),
        &["--spec", spec, "--out", "crate"],
    ));
    let messages = text(&generated.stderr);
    assert!(generated.status.success(), "{messages}");
    for file in ["crate/Cargo.toml", "crate/src/lib.rs", "crate/src/types.rs"] {
        assert!(
            messages
                .lines()
                .any(|line| line == format!("created {file}")),
            "{messages}"
        );
    }
    assert_eq!(text(&generated.stdout), "");

    let checked = run(xtask_codegen(
        dir.path(),
        &["--spec", spec, "--out", "crate", "--check"],
    ));
    assert!(checked.status.success(), "{}", text(&checked.stderr));
    assert_eq!(text(&checked.stderr), "");
}

#[test]
fn closed_output_pipes_still_leave_a_complete_crate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = root().join("spec/graph-calls.yaml");
    let spec = spec.to_str().expect("UTF-8 path");
    // Pipes whose reading ends are closed before the binary starts: every write fails.
    let (stdout, stdout_writer) = std::io::pipe().expect("pipe");
    let (stderr, stderr_writer) = std::io::pipe().expect("pipe");
    drop((stdout, stderr));
    let status = xtask_codegen(dir.path(), &["--spec", spec, "--out", "crate"])
        .stdout(stdout_writer)
        .stderr(stderr_writer)
        .status()
        .expect("the binary runs");
    assert!(status.success(), "{status}");

    let checked = run(xtask_codegen(
        dir.path(),
        &["--spec", spec, "--out", "crate", "--check"],
    ));
    assert!(
        checked.status.success(),
        "the crate is incomplete: {}",
        text(&checked.stderr)
    );
    let mut pending = vec![dir.path().to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).expect("readable dir").flatten() {
            let path = entry.path();
            assert!(
                !path.to_string_lossy().ends_with(".tmp"),
                "left behind: {}",
                path.display()
            );
            if path.is_dir() {
                pending.push(path);
            }
        }
    }
}

#[test]
fn an_error_prints_once_without_a_backtrace() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut command = xtask_codegen(
        &root(),
        &[
            "--spec",
            "codegen/tests/bad-specs/dangling-ref.yaml",
            "--out",
            dir.path().to_str().expect("UTF-8 path"),
        ],
    );
    command.env("RUST_BACKTRACE", "1");
    let failed = run(command);
    let stderr = text(&failed.stderr);
    assert_eq!(
        failed.status.code(),
        Some(1),
        "a clean error, not a panic: {stderr}"
    );
    assert!(
        stderr.starts_with("error: codegen/tests/bad-specs/dangling-ref.yaml: #/components/schemas/call/properties/state: "),
        "{stderr}"
    );
    assert_eq!(
        stderr
            .matches("#/components/schemas/call/properties/state")
            .count(),
        1,
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!stderr.to_lowercase().contains("backtrace"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("out").count(),
        0,
        "nothing is written"
    );
}

/// `cargo xtask ARGS`, run in `dir`.
fn xtask(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command.current_dir(dir).args(args);
    command
}

#[test]
fn drift_exit_status_says_whether_anything_breaking_changed() {
    let help = run(xtask(&root(), &["drift", "--help"]));
    assert!(help.status.success());
    assert!(
        text(&help.stdout).contains(
            "Exit status: 0 nothing breaking changed, 1 something breaking changed, 2 error."
        ),
        "{}",
        text(&help.stdout)
    );

    let unchanged = run(xtask(
        &root(),
        &[
            "drift",
            "--from",
            "tests/fixtures/official/beta/CloudCommunications.yml",
        ],
    ));
    assert_eq!(
        unchanged.status.code(),
        Some(0),
        "{}",
        text(&unchanged.stderr)
    );
    assert!(
        text(&unchanged.stdout).contains("No drift"),
        "{}",
        text(&unchanged.stdout)
    );

    // The spec of `drift/one_safe_one_breaking.yaml`, with its newer document.
    let dir = tempfile::tempdir().expect("temp dir");
    let case: serde_json::Value = serde_saphyr::from_str(
        &std::fs::read_to_string(root().join("xtask/tests/drift/one_safe_one_breaking.yaml"))
            .expect("case"),
    )
    .expect("YAML");
    for key in ["spec", "newer"] {
        let yaml = serde_saphyr::to_string(&case[key]).expect("YAML");
        std::fs::write(dir.path().join(format!("{key}.yaml")), yaml).expect("write");
    }
    let args = [
        "drift",
        "--spec",
        "spec.yaml",
        "--from",
        "newer.yaml",
        "--json",
    ];
    let breaking = run(xtask(dir.path(), &args));
    assert_eq!(
        breaking.status.code(),
        Some(1),
        "{}",
        text(&breaking.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&breaking.stdout).expect("JSON");
    assert_eq!(report["breaking"], 1);
    assert_eq!(report["safe"], 1);

    let missing = run(xtask(dir.path(), &["drift", "--from", "missing.yaml"]));
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).starts_with("error: cannot read missing.yaml"),
        "{}",
        text(&missing.stderr)
    );
}

#[test]
fn slice_reports_a_missing_operation_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("spec.yaml");
    let failed = run(xtask(
        &root(),
        &[
            "slice",
            "--from",
            "tests/fixtures/official/beta/CloudCommunications.yml",
            "--operation",
            "communication.call_rejects",
            "--out",
            out.to_str().expect("UTF-8 path"),
        ],
    ));
    assert_eq!(failed.status.code(), Some(1));
    let stderr = text(&failed.stderr);
    assert!(
        stderr.starts_with("error: cannot slice tests/fixtures/official/beta/CloudCommunications.yml: #/paths: no operation has the operationId `communication.call_rejects`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("such as `communication.call_reject`"),
        "{stderr}"
    );
    assert!(!out.exists());
}
