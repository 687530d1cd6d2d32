//! `cargo xtask codegen`: reads the spec, asks the `codegen` library for the crate, formats it, and
//! writes only what changed. Nothing is written until everything has been generated and formatted;
//! the changed files are then staged beside their places and renamed into place as a set, and only
//! after that are messages written, so a failing message sink (a closed pipe) cannot leave the
//! output half-written.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, bail};
use codegen::{GENERATED_MARK, RuntimeLink, Settings};

use crate::format::render_all;
use crate::project_root;

/// Whether to write or only compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Write the files that changed.
    Write,
    /// Write nothing; fail if any file would change.
    Check,
}

/// What to generate.
#[derive(Clone, Debug)]
pub enum Target {
    /// `spec/graph-calls.yaml` into `generated/`.
    Workspace,
    /// Any spec into a standalone crate.
    Custom {
        /// The OpenAPI document to read (YAML or JSON).
        spec: PathBuf,
        /// The directory of the crate.
        out: PathBuf,
        /// The package name; `msgraph-calls` when not given.
        crate_name: Option<String>,
        /// Where the runtime crate is, to depend on it instead of vendoring its sources.
        shared_runtime: Option<PathBuf>,
    },
}

/// The settings of the crate checked in under `generated/`: it shares the workspace's runtime crate.
pub fn workspace_settings() -> Settings {
    let mut settings = Settings::new();
    settings.with_runtime(RuntimeLink::Shared {
        path: "../codegen/runtime".to_owned(),
    });
    settings
}

/// Generates the crate `target` names and writes or checks it. One line per file created, updated
/// or removed goes to `messages`, naming paths relative to the repository root, and one line
/// `warning: <pointer>: <message>` for each thing the generator left out (such as an operation with
/// a media type it cannot handle); the lines are written after every file is in place, and a
/// failing sink is ignored. In `Check` mode the error holds the diff.
pub fn run(target: &Target, mode: Mode, messages: &mut dyn Write) -> anyhow::Result<()> {
    let root = project_root();
    let names = Names::new();
    let (spec, out, settings) = match target {
        Target::Workspace => (
            root.join("spec/graph-calls.yaml"),
            root.join("generated"),
            workspace_settings(),
        ),
        Target::Custom {
            spec,
            out,
            crate_name,
            shared_runtime,
        } => {
            let mut settings = Settings::new();
            settings.with_standalone(true);
            if let Some(path) = shared_runtime {
                let path = std::path::absolute(path)
                    .with_context(|| format!("cannot resolve {}", path.display()))?;
                settings.with_runtime(RuntimeLink::Shared {
                    path: path.to_string_lossy().into_owned(),
                });
            }
            if let Some(name) = crate_name {
                settings.with_crate_name(name.clone());
            }
            (spec.clone(), out.clone(), settings)
        }
    };
    let text = std::fs::read_to_string(&spec)
        .with_context(|| format!("cannot read the spec {}", names.show(&spec)))?;
    let generated = codegen::generate(&text, &settings)
        .map_err(|err| anyhow::anyhow!("{}: {err}", names.show(&spec)))?;
    let texts = render_all(&generated.files)?;
    let files: Vec<(PathBuf, String)> = generated
        .files
        .iter()
        .zip(texts)
        .map(|(file, text)| (out.join(&file.path), text))
        .collect();
    let mut done: Vec<String> = generated
        .warnings
        .iter()
        .map(|warning| format!("warning: {warning}"))
        .collect();
    let result = sync(&out, &files, mode, &names, &mut done);
    for line in done {
        // The files are in place; a sink that cannot take the news changes nothing.
        let _ = writeln!(messages, "{line}");
    }
    result
}

/// How messages name paths: relative to the repository root when inside it, otherwise as given.
pub(crate) struct Names {
    root: PathBuf,
    cwd: Option<PathBuf>,
}

impl Names {
    /// Names paths from the repository root, taking relative paths from the current directory.
    pub(crate) fn new() -> Names {
        Names {
            cwd: std::env::current_dir().ok(),
            root: project_root(),
        }
    }

    /// `path` as messages name it.
    pub(crate) fn show(&self, path: &Path) -> String {
        shown(path, &self.root, self.cwd.as_deref())
            .display()
            .to_string()
    }
}

/// `path` relative to `root` if it lies below it, else `path` unchanged. A relative `path` is
/// taken from `cwd`; `.` and `..` are resolved by their names alone.
fn shown(path: &Path, root: &Path, cwd: Option<&Path>) -> PathBuf {
    let absolute = match cwd {
        _ if path.is_absolute() => path.to_path_buf(),
        Some(cwd) => cwd.join(path),
        None => return path.to_path_buf(),
    };
    let mut normal = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    match normal.strip_prefix(root) {
        Ok(relative) if !relative.as_os_str().is_empty() => relative.to_path_buf(),
        _ => path.to_path_buf(),
    }
}

/// Brings `out` in line with `files`: in `Write` mode replaces changed files and removes stale
/// generated Rust files under `out/src`, adding a line to `done` for each; in `Check` mode fails
/// with a diff if anything differs.
fn sync(
    out: &Path,
    files: &[(PathBuf, String)],
    mode: Mode,
    names: &Names,
    done: &mut Vec<String>,
) -> anyhow::Result<()> {
    let wanted: BTreeSet<&Path> = files.iter().map(|(path, _)| path.as_path()).collect();
    // Only files this generator wrote are ever removed: hand-written files beside them stay.
    let stale: Vec<PathBuf> = rust_files(&out.join("src"))
        .into_iter()
        .filter(|path| !wanted.contains(path.as_path()) && is_generated(path))
        .collect();
    let mut changed = Vec::new();
    for (path, text) in files {
        let current = std::fs::read_to_string(path).ok();
        if current.as_deref().map(normalize_newlines) != Some(normalize_newlines(text)) {
            let exists = current.is_some() || path.exists();
            changed.push((path, exists, current, text));
        }
    }
    match mode {
        Mode::Check => {
            if changed.is_empty() && stale.is_empty() {
                return Ok(());
            }
            let mut report = String::new();
            for (path, exists, current, text) in &changed {
                let name = names.show(path);
                if !exists {
                    report.push_str(&format!("{name} is missing\n"));
                    continue;
                }
                let current = current.as_deref().unwrap_or("");
                let diff = similar::TextDiff::from_lines(current, text.as_str());
                let unified = diff
                    .unified_diff()
                    .context_radius(2)
                    .header(&name, &name)
                    .to_string();
                let lines: Vec<&str> = unified.lines().collect();
                report.push_str(&lines[..lines.len().min(80)].join("\n"));
                if lines.len() > 80 {
                    report.push_str(&format!("\n… {} more diff lines", lines.len() - 80));
                }
                report.push('\n');
            }
            for path in &stale {
                report.push_str(&format!("{} is no longer generated\n", names.show(path)));
            }
            bail!(
                "{} file(s) under {} are not up to date; run `cargo xtask codegen` and commit the result\n\n{}",
                changed.len() + stale.len(),
                names.show(out),
                report.trim_end()
            );
        }
        Mode::Write => {
            // Stage every new text beside its file first; only when all are staged are they renamed
            // into place, so a failed write leaves the output as it was.
            let mut staged = Staged::default();
            for (path, _, _, text) in &changed {
                staged.add(path, text, names)?;
            }
            staged.commit(names)?;
            for (path, exists, _, _) in &changed {
                let verb = if *exists { "updated" } else { "created" };
                done.push(format!("{verb} {}", names.show(path)));
            }
            for path in &stale {
                std::fs::remove_file(path)
                    .with_context(|| format!("cannot remove {}", names.show(path)))?;
                done.push(format!(
                    "removed {} (no longer generated)",
                    names.show(path)
                ));
            }
            Ok(())
        }
    }
}

fn normalize_newlines(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// New texts written to temporary files beside the files they replace. Dropping it removes every
/// temporary file still there, so no error or panic leaves one behind.
#[derive(Default)]
struct Staged {
    /// Temporary file and the file it replaces.
    files: Vec<(PathBuf, PathBuf)>,
}

impl Staged {
    /// Writes `text` to a temporary file beside `path`.
    fn add(&mut self, path: &Path, text: &str, names: &Names) -> anyhow::Result<()> {
        let dir = path
            .parent()
            .context("a generated file has no parent directory")?;
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create {}", names.show(dir)))?;
        let name = path.file_name().context("a generated file has no name")?;
        let temporary = dir.join(format!(".{}.tmp", name.to_string_lossy()));
        self.files.push((temporary.clone(), path.to_path_buf()));
        std::fs::write(&temporary, text)
            .with_context(|| format!("cannot write {}", names.show(&temporary)))
    }

    /// Renames every temporary file into place, one after the other with nothing in between.
    fn commit(mut self, names: &Names) -> anyhow::Result<()> {
        for (temporary, path) in &self.files {
            std::fs::rename(temporary, path)
                .with_context(|| format!("cannot replace {}", names.show(path)))?;
        }
        self.files.clear();
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        for (temporary, _) in &self.files {
            // Those already renamed are gone; the rest are removed.
            let _ = std::fs::remove_file(temporary);
        }
    }
}

/// Whether a file starts with this generator's header.
fn is_generated(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .map(|text| {
            text.lines()
                .next()
                .is_some_and(|line| line.contains(GENERATED_MARK))
        })
        .unwrap_or(false)
}

/// Every `.rs` file below `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plain `cargo test` fails when `generated/` is stale, as `cargo xtask codegen --check` does.
    #[test]
    fn generated_crate_is_fresh() {
        if let Err(err) = run(&Target::Workspace, Mode::Check, &mut std::io::sink()) {
            panic!("{err:#}");
        }
    }

    /// Paths below the repository root are named from it; others as they were given.
    #[test]
    #[cfg(unix)]
    fn messages_name_paths_from_the_repository_root() {
        let root = Path::new("/repo");
        for (path, cwd, expected) in [
            ("/repo/generated/src/lib.rs", None, "generated/src/lib.rs"),
            (
                "/repo/generated/src/lib.rs",
                Some("/elsewhere"),
                "generated/src/lib.rs",
            ),
            (
                "src/lib.rs",
                Some("/repo/generated"),
                "generated/src/lib.rs",
            ),
            ("../out/./src/lib.rs", Some("/repo/xtask"), "out/src/lib.rs"),
            ("out/src/lib.rs", Some("/home/me"), "out/src/lib.rs"),
            ("../repo2/src/lib.rs", Some("/repo"), "../repo2/src/lib.rs"),
            ("/tmp/out/src/lib.rs", Some("/repo"), "/tmp/out/src/lib.rs"),
            ("out/src/lib.rs", None, "out/src/lib.rs"),
        ] {
            assert_eq!(
                shown(Path::new(path), root, cwd.map(Path::new)),
                Path::new(expected),
                "{path} from {cwd:?}"
            );
        }
    }
}
