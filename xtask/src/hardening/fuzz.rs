//! `cargo xtask fuzz`: runs every fuzz target of `fuzz/` (cargo-fuzz and libFuzzer, on the stable
//! toolchain with `RUSTC_BOOTSTRAP=1`) for a bounded time each, from seeds made of the repository's
//! examples and fixtures plus the corpus earlier runs kept under `target/hardening/fuzz/`. A crash
//! fails the command and names its input and the command that replays it; each target's executions
//! per second and coverage are printed at the end.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use super::work_dir;
use crate::project_root;

/// The fuzz targets, in the order they run: each is `fuzz/fuzz_targets/{name}.rs`.
pub const TARGETS: &[&str] = &[
    "notification_round_trip",
    "reject_body",
    "token_path",
    "spec_loader",
];

/// A fuzzing run.
#[derive(Clone, Debug)]
pub struct Fuzz {
    /// How long each target runs.
    pub seconds: u64,
    /// The targets to run; every one when empty.
    pub targets: Vec<String>,
}

/// What libFuzzer said about one target's run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    /// Inputs executed.
    pub executions: Option<u64>,
    /// Executions per second.
    pub per_second: Option<u64>,
    /// Coverage points (`cov:`) of the last status line.
    pub coverage: Option<u64>,
    /// Features (`ft:`), libFuzzer's finer measure of coverage.
    pub features: Option<u64>,
    /// Inputs in the corpus at the end.
    pub corpus: Option<u64>,
}

impl Fuzz {
    /// Builds the targets and runs each in turn; fails on the first crash.
    pub fn run(&self) -> anyhow::Result<()> {
        let targets: Vec<&str> = if self.targets.is_empty() {
            TARGETS.to_vec()
        } else {
            for target in &self.targets {
                if !TARGETS.contains(&target.as_str()) {
                    bail!(
                        "no fuzz target `{target}`; the targets are {}",
                        TARGETS.join(", ")
                    );
                }
            }
            self.targets.iter().map(String::as_str).collect()
        };
        ensure_cargo_fuzz()?;
        let mut build = cargo_fuzz(&["build", "-O"]);
        run(&mut build).context("cannot build the fuzz targets")?;
        let mut results = Vec::new();
        for target in targets {
            let seeds = write_seeds(target)?;
            let corpus = fuzz_dir().join("corpus").join(target);
            let artifacts = fuzz_dir().join("artifacts").join(target);
            std::fs::create_dir_all(&corpus)?;
            std::fs::create_dir_all(&artifacts)?;
            let log_path = fuzz_dir().join(format!("{target}.log"));
            eprintln!(
                "fuzz: {target} for {} s (log: {})",
                self.seconds,
                log_path.display()
            );
            let log = std::fs::File::create(&log_path)?;
            let status = cargo_fuzz(&["run", "-O", target])
                .arg(&corpus)
                .arg(&seeds)
                .arg("--")
                .arg(format!("-max_total_time={}", self.seconds))
                .arg("-timeout=10")
                .arg("-print_final_stats=1")
                .arg(format!("-artifact_prefix={}/", artifacts.display()))
                .stdout(Stdio::null())
                .stderr(log)
                .status()
                .context("cannot run cargo fuzz")?;
            let text = std::fs::read_to_string(&log_path).unwrap_or_default();
            let stats = parse_stats(&text);
            if !status.success() {
                let found = newest_artifact(&artifacts);
                let input = found.as_deref().map_or_else(
                    || "(no input saved)".to_owned(),
                    |p| p.display().to_string(),
                );
                bail!(
                    "the fuzz target `{target}` failed ({status}).\n{}\n\ninput: {input}\n\
                     replay: (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -O {target} {input})\n\
                     then copy the input to fuzz/regressions/{target}/ so the tests replay it",
                    failure_excerpt(&text)
                );
            }
            results.push((target, stats));
        }
        println!("| target | executions | exec/s | coverage (cov) | features (ft) | corpus |");
        println!("| --- | --- | --- | --- | --- | --- |");
        for (target, stats) in results {
            let show = |value: Option<u64>| value.map_or_else(|| "?".to_owned(), |v| v.to_string());
            println!(
                "| {target} | {} | {} | {} | {} | {} |",
                show(stats.executions),
                show(stats.per_second),
                show(stats.coverage),
                show(stats.features),
                show(stats.corpus)
            );
        }
        Ok(())
    }
}

/// `target/hardening/fuzz/`.
fn fuzz_dir() -> PathBuf {
    work_dir().join("fuzz")
}

/// `cargo fuzz {args}` in `fuzz/`, on the toolchain at hand, building under `target/hardening/`.
fn cargo_fuzz(args: &[&str]) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(project_root().join("fuzz"))
        .env("RUSTC_BOOTSTRAP", "1")
        .arg("fuzz")
        .args(&args[..1])
        .arg("--target-dir")
        .arg(work_dir().join("fuzz-target"))
        .args(&args[1..]);
    command
}

/// Installs cargo-fuzz unless `cargo fuzz` already runs.
fn ensure_cargo_fuzz() -> anyhow::Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let present = Command::new(&cargo)
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !present {
        eprintln!("fuzz: installing cargo-fuzz");
        run(Command::new(&cargo).args(["install", "cargo-fuzz", "--locked"]))
            .context("cannot install cargo-fuzz")?;
    }
    Ok(())
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let status = command.status()?;
    if !status.success() {
        bail!("{command:?} failed ({status})");
    }
    Ok(())
}

/// Writes the seeds of `target` to `target/hardening/fuzz/seeds/{target}/` and returns the folder.
fn write_seeds(target: &str) -> anyhow::Result<PathBuf> {
    let dir = fuzz_dir().join("seeds").join(target);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    for (name, bytes) in seeds(target)? {
        std::fs::write(dir.join(name), bytes)?;
    }
    Ok(dir)
}

/// The seeds of a target, named: the documented examples and the fixtures it reads, and the
/// inputs fuzzing found before (`fuzz/regressions/{target}/`).
pub fn seeds(target: &str) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let root = project_root();
    let mut seeds = Vec::new();
    match target {
        "notification_round_trip" => {
            for path in files(&root.join("spec/examples/notifications"), "http")? {
                seeds.push((file_name(&path), http_body(&path)?));
            }
            for path in files(&root.join("tests/fixtures/traffic"), "json")? {
                seeds.push((file_name(&path), std::fs::read(&path)?));
            }
        }
        "reject_body" => {
            for path in files(&root.join("spec/examples/reject"), "http")? {
                let body = http_body(&path)?;
                if !body.is_empty() {
                    seeds.push((file_name(&path), body));
                }
            }
        }
        "token_path" => {
            let claims = br#"{"iss":"https://graph.microsoft.com","aud":"2891555a-92ff-42e6-80fa-6e1300c6b5c6","tid":"aa67bd4c-8475-432d-bd41-39f255720e0a","iat":1700000000,"nbf":1700000000,"exp":4102444800}"#;
            let header = br#"{"alg":"RS256","typ":"JWT","kid":"graph-key-1"}"#;
            let mut with_mode = |name: &str, mode: u8, rest: &[u8]| {
                let mut bytes = vec![mode];
                bytes.extend_from_slice(rest);
                seeds.push((name.to_owned(), bytes));
            };
            with_mode("authorization", 0, b"Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln");
            with_mode("splice", 1, &[40, b'x']);
            with_mode("claims", 2, claims);
            with_mode("header", 3, header);
        }
        "spec_loader" => {
            seeds.push((
                "graph-calls.yaml".to_owned(),
                std::fs::read(root.join("spec/graph-calls.yaml"))?,
            ));
            seeds.push((
                "graph-v1-slice.yaml".to_owned(),
                std::fs::read(root.join("tests/fixtures/graph-v1-slice.yaml"))?,
            ));
            for folder in ["good-specs", "bad-specs", "warning-specs"] {
                for path in files(&root.join("codegen/tests").join(folder), "yaml")? {
                    seeds.push((
                        format!("{folder}-{}", file_name(&path)),
                        std::fs::read(&path)?,
                    ));
                }
            }
        }
        other => bail!("no fuzz target `{other}`"),
    }
    let regressions = root.join("fuzz/regressions").join(target);
    if regressions.is_dir() {
        for path in files(&regressions, "")? {
            seeds.push((
                format!("regression-{}", file_name(&path)),
                std::fs::read(&path)?,
            ));
        }
    }
    Ok(seeds)
}

/// The files of `dir` whose names end with `.{extension}` (every file for ""), sorted.
fn files(dir: &Path, extension: &str) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    if !dir.is_dir() {
        return Ok(found);
    }
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        let matches = extension.is_empty() || path.extension().is_some_and(|ext| ext == extension);
        if path.is_file() && matches {
            found.push(path);
        } else if path.is_dir() {
            found.extend(files(&path, extension)?);
        }
    }
    found.sort();
    Ok(found)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The body of a documented HTTP message: what follows its first blank line.
fn http_body(path: &Path) -> anyhow::Result<Vec<u8>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = text.replace("\r\n", "\n");
    Ok(text
        .split_once("\n\n")
        .map(|(_, body)| body.trim().as_bytes().to_vec())
        .unwrap_or_default())
}

/// The figures of a libFuzzer log: its final statistics and its last status line.
pub fn parse_stats(log: &str) -> Stats {
    let mut stats = Stats::default();
    for line in log.lines() {
        if let Some(value) = line.strip_prefix("stat::number_of_executed_units:") {
            stats.executions = value.trim().parse().ok();
        } else if let Some(value) = line.strip_prefix("stat::average_exec_per_sec:") {
            stats.per_second = value.trim().parse().ok();
        } else if line.starts_with('#') && line.contains("cov:") {
            let field_text = |name: &str| {
                line.split_whitespace()
                    .skip_while(|word| *word != name)
                    .nth(1)
            };
            let field = |name: &str| field_text(name).and_then(|value| value.parse().ok());
            stats.coverage = field("cov:").or(stats.coverage);
            stats.features = field("ft:").or(stats.features);
            stats.corpus = field_text("corp:")
                .and_then(|value| value.split('/').next()?.parse().ok())
                .or(stats.corpus);
        }
    }
    stats
}

/// What a failed run's log says about the failure: the panic and its message (cut to a few
/// thousand characters), else the log's last lines.
fn failure_excerpt(log: &str) -> String {
    const MOST: usize = 4000;
    let lines: Vec<&str> = log.lines().collect();
    let excerpt = match lines.iter().position(|line| line.contains("panicked at")) {
        Some(at) => lines[at..(at + 3).min(lines.len())].join("\n"),
        None => lines[lines.len().saturating_sub(30)..].join("\n"),
    };
    match excerpt.char_indices().nth(MOST) {
        Some((cut, _)) => format!("{}…", &excerpt[..cut]),
        None => excerpt,
    }
}

/// The newest file libFuzzer saved under `dir` (a crash, leak or timeout input).
fn newest_artifact(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let modified = entry.metadata().ok()?.modified().ok()?;
            Some((modified, entry.path()))
        })
        .max()
        .map(|(_, path)| path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libfuzzer_figures_are_read_from_its_log() {
        let log = "\
INFO: Seed: 1
#2\tINITED cov: 10 ft: 12 corp: 1/1b exec/s: 0 rss: 30Mb
#4096\tpulse  cov: 812 ft: 2301 corp: 140/9876b lim: 43 exec/s: 2048 rss: 60Mb
#9000\tDONE   cov: 830 ft: 2400 corp: 151/10Kb lim: 43 exec/s: 3000 rss: 61Mb
Done 9000 runs in 3 second(s)
stat::number_of_executed_units: 9000
stat::average_exec_per_sec:     3000
stat::new_units_added:          150
";
        assert_eq!(
            parse_stats(log),
            Stats {
                executions: Some(9000),
                per_second: Some(3000),
                coverage: Some(830),
                features: Some(2400),
                corpus: Some(151),
            }
        );
    }

    #[test]
    fn every_target_has_seeds_and_a_source_file() {
        for target in TARGETS {
            let seeds = seeds(target).expect("seeds");
            assert!(!seeds.is_empty(), "{target} has no seeds");
            let source = project_root()
                .join("fuzz/fuzz_targets")
                .join(format!("{target}.rs"));
            assert!(source.is_file(), "{} is missing", source.display());
        }
    }
}
