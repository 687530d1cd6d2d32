//! Query and header parameters end to end: a crate generated from the good spec
//! `query-and-header-parameters.yaml` compiles without warnings, and the program in
//! `tests/fixtures/params-round-trip/main.rs` runs its client against its server on 127.0.0.1,
//! checking the exact query string and headers on the wire and what the implementation is handed.

use std::path::Path;
use std::process::Command;

use xtask::codegen::{Mode, Target};
use xtask::project_root;

/// Runs `cargo` with `args` in `dir`, sharing the workspace's target directory and lock file.
#[track_caller]
fn cargo(dir: &Path, target_dir: &Path, args: &[&str]) -> String {
    std::fs::copy(project_root().join("Cargo.lock"), dir.join("Cargo.lock"))
        .expect("copy lock file");
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .current_dir(dir)
        .args(args)
        .env("CARGO_TARGET_DIR", target_dir)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "`cargo {}` failed in {}:\n{}{}",
        args.join(" "),
        dir.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_generated_client_and_server_agree_on_query_and_header_parameters() {
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("params-round-trip");
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the scratch directory is in the target directory")
        .to_path_buf();
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch).expect("remove the previous scratch crates");
    }
    let generated = scratch.join("params-round-trip");
    let target = Target::Custom {
        spec: project_root().join("codegen/tests/good-specs/query-and-header-parameters.yaml"),
        out: generated.clone(),
        crate_name: Some("params-round-trip".to_owned()),
        shared_runtime: Some(project_root().join("codegen/runtime")),
    };
    let mut messages = Vec::new();
    xtask::codegen::run(&target, Mode::Write, &mut messages).expect("the crate generates");
    cargo(
        &generated,
        &target_dir,
        &[
            "rustc",
            "--quiet",
            "--offline",
            "--all-features",
            "--lib",
            "--",
            "--deny",
            "warnings",
        ],
    );

    let app = scratch.join("app");
    std::fs::create_dir_all(app.join("src")).expect("app dir");
    std::fs::write(
        app.join("Cargo.toml"),
        "[package]\nname = \"params-round-trip-app\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
         [dependencies]\nparams-round-trip = { path = \"../params-round-trip\" }\n\
         axum = \"0.8\"\n\
         reqwest = { version = \"0.13\", default-features = false, features = [\"json\", \"rustls\"] }\n\
         serde_json = \"1\"\n\
         tokio = { version = \"1\", features = [\"macros\", \"rt\", \"net\"] }\n\n[workspace]\n",
    )
    .expect("app manifest");
    std::fs::copy(
        project_root().join("tests/fixtures/params-round-trip/main.rs"),
        app.join("src/main.rs"),
    )
    .expect("app source");
    let stdout = cargo(&app, &target_dir, &["run", "--quiet", "--offline"]);
    assert!(stdout.contains("round trip ok"), "{stdout}");
}
