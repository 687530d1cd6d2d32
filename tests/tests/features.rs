//! The generated crate's features as `cargo tree` resolves them: a client-only build compiles none
//! of the server side (no axum, no jsonwebtoken), and each server side builds without the client.

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

/// Checks that the build with `features` compiles every crate of `wanted` and none of `unwanted`.
fn assert_builds(features: &str, wanted: &[&str], unwanted: &[&str]) {
    let names = dependencies(features);
    for name in wanted {
        assert!(
            names.iter().any(|n| n == name),
            "{name} missing from the `{features}` build: {names:?}"
        );
    }
    for name in unwanted {
        assert!(
            !names.iter().any(|n| n == name),
            "{name} in the `{features}` build: {names:?}"
        );
    }
}

#[test]
fn a_client_only_build_compiles_no_server() {
    assert_builds(
        "client",
        &["msgraph-calls-runtime", "progenitor-client", "reqwest"],
        &["axum", "jsonwebtoken", "arc-swap", "matchit"],
    );
}

#[test]
fn the_bot_side_builds_without_the_client() {
    assert_builds(
        "webhooks",
        &["axum", "jsonwebtoken"],
        &["progenitor-client"],
    );
}

#[test]
fn the_graph_side_builds_without_token_validation_or_the_client() {
    assert_builds(
        "graph-server",
        &["axum"],
        &["jsonwebtoken", "progenitor-client"],
    );
}

#[test]
fn json_schemas_are_opt_in() {
    assert_builds("client", &["reqwest"], &["schemars"]);
    assert_builds(
        "schemars",
        &["schemars", "msgraph-calls-runtime"],
        &["axum", "progenitor-client"],
    );
}

#[test]
fn azure_credentials_are_opt_in_and_use_rustls_not_openssl() {
    assert_builds("client", &["reqwest"], &["azure_core", "azure_identity"]);
    assert_builds(
        "azure-identity",
        &[
            "azure_core",
            "azure_identity",
            "progenitor-client",
            "rustls",
        ],
        &[
            "openssl",
            "openssl-sys",
            "native-tls",
            "axum",
            "jsonwebtoken",
        ],
    );
}
