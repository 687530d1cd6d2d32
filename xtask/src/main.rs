//! Project automation: `cargo xtask codegen [--check] [--spec FILE --out DIR]`,
//! `cargo xtask slice --from FILE --operation ID... --out FILE`, `cargo xtask drift --from FILE`,
//! `cargo xtask load [--calls N]`, and the hardening tools `cargo xtask fuzz`, `soak` and
//! `schemathesis`.
//! This file only reads the command line; the work is done by the `xtask` library.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use xtask::codegen::{Mode, Target};

/// Project automation for the Microsoft Graph calls workspace.
#[derive(Debug, Parser)]
#[command(name = "xtask", bin_name = "cargo xtask")]
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
    /// Cut operations and webhooks, with every component they reach, out of an OpenAPI document
    /// (such as Microsoft's official one) after applying an overlay, and write the cut as YAML.
    Slice {
        /// The OpenAPI document to cut from (YAML or JSON).
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// The `operationId`s to keep, each with every path that serves it (its aliases name it in
        /// `x-graph-same-operation-as`).
        #[arg(long = "operation", value_name = "ID", required = true, num_args = 1..)]
        operations: Vec<String>,
        /// The webhooks to keep, by their names under `x-webhooks` (or `webhooks`).
        #[arg(long, value_name = "NAME", num_args = 1..)]
        webhooks: Vec<String>,
        /// An OpenAPI Overlay 1.0.0 document to apply to FILE before cutting.
        #[arg(long, value_name = "OVERLAY")]
        overlay: Option<PathBuf>,
        /// The YAML file to write; it is replaced atomically.
        #[arg(long, value_name = "OUT")]
        out: PathBuf,
    },
    /// Compare the spec with a newer official document: cut the spec's operations and webhooks
    /// from it again (with the overlay) and classify each difference as safe for the generated
    /// crate or breaking.
    ///
    /// Exit status: 0 when nothing breaking changed, 1 when something did, 2 on an error (a file
    /// that cannot be read, an invalid overlay, a bad command line).
    #[command(
        after_help = "Exit status: 0 nothing breaking changed, 1 something breaking changed, 2 error."
    )]
    Drift {
        /// The newer official document (YAML or JSON).
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// The spec to compare [default: spec/graph-calls.yaml].
        #[arg(long, value_name = "SPEC")]
        spec: Option<PathBuf>,
        /// The overlay the spec was cut with [default: spec/overlay.yaml, unless --spec is given].
        #[arg(long, value_name = "OVERLAY")]
        overlay: Option<PathBuf>,
        /// Print the report as JSON, for CI.
        #[arg(long)]
        json: bool,
    },
    /// Run every fuzz target of `fuzz/` (cargo-fuzz, installed if missing) for a bounded time
    /// each; fail on a crash, naming its input and how to replay it.
    Fuzz {
        /// How long each target runs, in seconds.
        #[arg(long, value_name = "N", default_value_t = 60)]
        seconds: u64,
        /// Run only these targets (default: all).
        #[arg(long = "target", value_name = "NAME")]
        targets: Vec<String>,
    },
    /// Run the simulator and the example bot (release, 127.0.0.1) under a steady mix of calls,
    /// duplicates, out-of-order deliveries, throttling and slow handlers for M minutes; then check
    /// every call, that nothing acknowledged was lost, and that memory came back down.
    Soak {
        /// How long calls are placed, in minutes.
        #[arg(long, value_name = "M", default_value_t = 5)]
        minutes: u64,
        /// Calls placed per second.
        #[arg(long, value_name = "N", default_value_t = 10)]
        rate: u32,
    },
    /// Run schemathesis (installed from the Python package index into `target/hardening/venv`)
    /// against the simulator's reject endpoints and the example bot's calling webhook, both built
    /// in release and served on 127.0.0.1; fail on anything it finds.
    Schemathesis {
        /// The most cases per operation and phase.
        #[arg(long, value_name = "N", default_value_t = 100)]
        max_examples: u32,
        /// The seed of a run to repeat.
        #[arg(long, value_name = "SEED")]
        seed: Option<u64>,
    },
    /// Place a burst of calls on `mock-graph` for `example-bot` to reject, both built in release
    /// and run on 127.0.0.1, and report rejects per second, the time from placement to reject
    /// (p50, p99) and each process's peak memory. Fails unless every call is rejected within the
    /// 15-second ring window.
    Load {
        /// How many calls to place.
        #[arg(long, value_name = "N", default_value_t = 10_000)]
        calls: usize,
        /// How many placements are in flight at once.
        #[arg(long, value_name = "N", default_value_t = 32)]
        concurrency: usize,
        /// The longest the run may wait for the rejects, and then for the calls to be freed, in
        /// seconds.
        #[arg(long, value_name = "SECS", default_value_t = 60)]
        timeout: u64,
        /// How long the simulator keeps a terminated call, in seconds.
        #[arg(long, value_name = "SECS", default_value_t = 10)]
        retention: u64,
        /// Use the release binaries as they are, without building them first.
        #[arg(long)]
        no_build: bool,
    },
}

fn main() -> ExitCode {
    let flags = Flags::parse();
    let result = match flags.command {
        Command::Codegen {
            check,
            spec,
            out,
            crate_name,
            shared_runtime,
        } => {
            let mode = if check { Mode::Check } else { Mode::Write };
            let target = match (spec, out) {
                (Some(spec), Some(out)) => Target::Custom {
                    spec,
                    out,
                    crate_name,
                    shared_runtime,
                },
                _ => Target::Workspace,
            };
            xtask::codegen::run(&target, mode, &mut std::io::stderr())
        }
        Command::Slice {
            from,
            operations,
            webhooks,
            overlay,
            out,
        } => xtask::slice::Slice {
            from,
            operations,
            webhooks,
            overlay,
            out,
        }
        .run(&mut std::io::stderr()),
        Command::Drift {
            from,
            spec,
            overlay,
            json,
        } => {
            let drift = xtask::drift::Drift {
                from,
                spec,
                overlay,
            };
            match drift.run(json, &mut std::io::stdout()) {
                Ok(false) => Ok(()),
                Ok(true) => return ExitCode::from(1),
                Err(err) => {
                    let _ = writeln!(std::io::stderr(), "error: {err:#}");
                    return ExitCode::from(2);
                }
            }
        }
        Command::Fuzz { seconds, targets } => {
            xtask::hardening::fuzz::Fuzz { seconds, targets }.run()
        }
        Command::Soak { minutes, rate } => xtask::hardening::soak::Soak { minutes, rate }.run(),
        Command::Schemathesis { max_examples, seed } => {
            xtask::hardening::schemathesis::Schemathesis { max_examples, seed }.run()
        }
        Command::Load {
            calls,
            concurrency,
            timeout,
            retention,
            no_build,
        } => xtask::load::Load {
            calls,
            concurrency,
            timeout: Duration::from_secs(timeout),
            retention: Duration::from_secs(retention),
            build: !no_build,
        }
        .run(&mut std::io::stdout()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // The error and its causes, never a backtrace whatever `RUST_BACKTRACE` says, and no
            // panic when stderr is closed.
            let _ = writeln!(std::io::stderr(), "error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
