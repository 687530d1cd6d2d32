//! The generated crate's features as `cargo tree` resolves them: a client-only build compiles none
//! of the server side (no axum, no jsonwebtoken), and the bot side does not need the client.

use std::process::Command;

use tests::workspace_root;

/// The normal dependencies of `msgraph-calls` with only `features`, by crate name.
fn dependencies(features: &str) -> Vec<String> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .current_dir(workspace_root())
        .args([
            "tree",
            "--offline",
            "--package",
            "msgraph-calls",
            "--edges",
            "normal",
        ])
        .args([
            "--prefix",
            "none",
            "--format",
            "{p}",
            "--no-default-features",
            "--features",
        ])
        .arg(features)
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut names: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn a_client_only_build_compiles_no_server() {
    let names = dependencies("client");
    for wanted in ["msgraph-calls-runtime", "progenitor-client", "reqwest"] {
        assert!(
            names.iter().any(|n| n == wanted),
            "{wanted} missing from {names:?}"
        );
    }
    for unwanted in ["axum", "jsonwebtoken", "arc-swap", "matchit"] {
        assert!(
            !names.iter().any(|n| n == unwanted),
            "{unwanted} in a client-only build: {names:?}"
        );
    }
}

#[test]
fn the_bot_side_builds_without_the_client() {
    let names = dependencies("webhooks");
    assert!(names.iter().any(|n| n == "jsonwebtoken"), "{names:?}");
    for unwanted in ["progenitor-client"] {
        assert!(
            !names.iter().any(|n| n == unwanted),
            "{unwanted} in a bot-side build: {names:?}"
        );
    }
}
