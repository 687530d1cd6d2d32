//! Project automation: `cargo xtask codegen [--check] [--spec FILE --out DIR]`.

mod codegen;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Project automation for the Microsoft Graph calls workspace.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
struct Flags {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Regenerate `generated/` from `spec/graph-calls.yaml`, or a crate at DIR from another spec.
    Codegen {
        /// Write nothing; fail with a diff if the output is not up to date.
        #[arg(long)]
        check: bool,
        /// The OpenAPI document to read (YAML or JSON).
        #[arg(long, value_name = "FILE", requires = "out")]
        spec: Option<PathBuf>,
        /// The directory of the crate to write; it builds on its own.
        #[arg(long, value_name = "DIR", requires = "spec")]
        out: Option<PathBuf>,
        /// The package name of the crate written with `--out`.
        #[arg(long, value_name = "NAME", requires = "out")]
        crate_name: Option<String>,
        /// Depend on the runtime crate at DIR (such as `codegen/runtime`) instead of vendoring
        /// its sources, so that several generated crates share one runtime.
        #[arg(long, value_name = "DIR", requires = "out")]
        shared_runtime: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    let flags = Flags::parse();
    match flags.command {
        Command::Codegen {
            check,
            spec,
            out,
            crate_name,
            shared_runtime,
        } => {
            let mode = if check {
                codegen::Mode::Check
            } else {
                codegen::Mode::Write
            };
            let target = match (spec, out) {
                (Some(spec), Some(out)) => codegen::Target::Custom {
                    spec,
                    out,
                    crate_name,
                    shared_runtime,
                },
                _ => codegen::Target::Workspace,
            };
            codegen::run(&target, mode)
        }
    }
}

#[cfg(test)]
mod tidy {
    //! Repository rules that a reviewer would otherwise have to repeat.

    use std::path::Path;

    use crate::codegen::project_root;

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
            "codegen/runtime/src",
            "codegen/runtime/tests",
            "codegen/tests",
            "xtask/src",
            "tests/src",
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
}
