//! `xtask::codegen` in-process, as maintainers and CI run it: on the official v1.0 slice and on
//! Microsoft's whole official documents (the crates it writes compile), on a malformed spec (a located error, nothing written), after a spec change
//! (`--check` fails until regeneration), beside hand-written files, and with a message sink or a
//! file that fails. The tests pass data to `codegen`, the one place that calls the library.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::codegen::{Mode, Target};
use xtask::project_root;

/// What one run did: its error as the binary prints it, and the messages it wrote.
struct Run {
    error: Option<String>,
    messages: String,
}

impl Run {
    #[track_caller]
    fn expect_ok(&self) -> &str {
        if let Some(error) = &self.error {
            panic!("the run failed: {error}");
        }
        &self.messages
    }

    #[track_caller]
    fn expect_err(&self) -> &str {
        self.error.as_deref().expect("the run fails")
    }
}

/// Runs the generator on `spec` into `out`, collecting its messages.
fn codegen(spec: &Path, out: &Path, mode: Mode) -> Run {
    codegen_as(spec, out, mode, None)
}

/// Runs the generator on `spec` into `out` for a crate named `name` (by default `msgraph-calls`),
/// collecting its messages. Crates built in the shared target directory need names of their own:
/// cargo keeps one build of a package name and version there, whatever its path.
fn codegen_as(spec: &Path, out: &Path, mode: Mode, name: Option<&str>) -> Run {
    let mut messages = Vec::new();
    let error = codegen_into(spec, out, mode, name, &mut messages);
    Run {
        error,
        messages: String::from_utf8(messages).expect("UTF-8 messages"),
    }
}

/// Runs the generator on `spec` into `out`, writing its messages to `sink`.
fn codegen_into(
    spec: &Path,
    out: &Path,
    mode: Mode,
    name: Option<&str>,
    sink: &mut dyn Write,
) -> Option<String> {
    let target = Target::Custom {
        spec: spec.to_path_buf(),
        out: out.to_path_buf(),
        crate_name: name.map(str::to_owned),
        shared_runtime: None,
    };
    xtask::codegen::run(&target, mode, sink)
        .err()
        .map(|err| format!("{err:#}"))
}

/// A fresh directory `name` in the target directory, which builds share, and the target directory:
/// dependencies built for the workspace or by an earlier run are reused, and runs do not pile up
/// copies of generated crates.
fn scratch(name: &str) -> (PathBuf, PathBuf) {
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let target_dir = scratch
        .parent()
        .expect("the scratch directory is in the target directory")
        .to_path_buf();
    let dir = scratch.join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("remove the previous scratch crate");
    }
    (dir, target_dir)
}

/// Builds the library of the crate at `dir` with every feature, denying warnings, with the
/// workspace's lock file so that nothing is resolved anew.
#[track_caller]
fn build(dir: &Path, target_dir: &Path) {
    std::fs::copy(project_root().join("Cargo.lock"), dir.join("Cargo.lock"))
        .expect("copy lock file");
    // A build, not a check: like the workspace's test build, it compiles the dependencies that
    // build scripts share with the crate once, so their outputs (the C crypto library among them)
    // are reused rather than built again.
    let build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .current_dir(dir)
        .args(["rustc", "--quiet", "--offline", "--all-features", "--lib"])
        .args(["--", "--deny", "warnings"])
        .env("CARGO_TARGET_DIR", target_dir)
        .output()
        .expect("cargo runs");
    assert!(
        build.status.success(),
        "the crate at {} does not compile:\n{}{}",
        dir.display(),
        String::from_utf8_lossy(&build.stdout),
        String::from_utf8_lossy(&build.stderr)
    );
}

/// The spec of the checked-in crate.
fn spec() -> PathBuf {
    project_root().join("spec/graph-calls.yaml")
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Every file below `dir`, relative to it, with its contents, sorted.
fn snapshot_dir(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).expect("readable dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let relative = path.strip_prefix(dir).expect("below dir").to_path_buf();
                files.push((relative, text));
            }
        }
    }
    files.sort();
    files
}

/// The temporary files below `dir`.
fn temporary_files(dir: &Path) -> Vec<PathBuf> {
    snapshot_dir(dir)
        .into_iter()
        .map(|(path, _)| path)
        .filter(|path| path.to_string_lossy().ends_with(".tmp"))
        .collect()
}

/// The lines of `text`, sorted.
fn sorted_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort();
    lines
}

/// A message sink that refuses everything, as a closed pipe does.
struct ClosedPipe;

impl Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::ErrorKind::BrokenPipe.into())
    }

    fn flush(&mut self) -> io::Result<()> {
        Err(io::ErrorKind::BrokenPipe.into())
    }
}

#[test]
fn the_official_v1_slice_generates_a_crate_that_compiles() {
    let (out, target_dir) = scratch("graph-v1-slice");
    let spec = project_root().join("tests/fixtures/graph-v1-slice.yaml");
    let name = Some("graph-v1-slice");
    codegen_as(&spec, &out, Mode::Write, name).expect_ok();
    // The runtime is vendored byte for byte: its `lib.rs` as `mod.rs`, every other file as it is.
    let runtime_src = project_root().join("codegen/runtime/src");
    for entry in std::fs::read_dir(&runtime_src).expect("the runtime's sources") {
        let original = entry.expect("a directory entry").path();
        let name = original.file_name().expect("a file name").to_owned();
        let vendored = match name.to_str() {
            Some("lib.rs") => out.join("src/runtime/mod.rs"),
            _ => out.join("src/runtime").join(&name),
        };
        assert_eq!(
            std::fs::read(&vendored).expect("the vendored copy"),
            std::fs::read(&original).expect("the original"),
            "{} is not a byte-for-byte copy of {}",
            vendored.display(),
            original.display()
        );
    }
    build(&out, &target_dir);

    let again = codegen_as(&spec, &out, Mode::Check, name);
    assert_eq!(again.expect_ok(), "", "regenerating changed the output");
}

/// Microsoft's whole official documents, v1.0 and beta: every operation generates (no warning), the
/// official reject is `reject` on the client and on its server trait, and each crate compiles with
/// every feature and no warnings. Both builds share the workspace's target directory.
#[test]
fn the_official_documents_generate_crates_that_compile() {
    let (dir, target_dir) = scratch("official");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    for version in ["v1.0", "beta"] {
        let official = project_root().join(format!(
            "tests/fixtures/official/{version}/CloudCommunications.yml"
        ));
        let out = dir.join(version);
        let name = format!("official-{}", version.replace('.', "-"));
        let run = codegen_as(&official, &out, Mode::Write, Some(&name));
        assert!(
            !run.expect_ok().contains("warning:"),
            "{version} leaves something out: {}",
            run.messages
        );
        let client = std::fs::read_to_string(out.join("src/client.rs")).expect("client");
        let server = std::fs::read_to_string(out.join("src/server.rs")).expect("server");
        assert!(
            client.contains("pub async fn reject<'a>("),
            "{version}: no `reject` client method"
        );
        assert!(
            server.contains("    fn reject(\n"),
            "{version}: no `reject` server method"
        );
        build(&out, &target_dir);
    }
}

/// The official reject, cut from each official document with nothing added: its model is a
/// reviewed snapshot, and the crate generated from the cut compiles with every feature and no
/// warnings.
#[test]
fn the_reject_operation_cut_from_each_official_document_generates_a_crate_that_compiles() {
    let (dir, target_dir) = scratch("official-reject");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    for version in ["v1.0", "beta"] {
        let cut = dir.join(format!("reject-{version}.yaml"));
        let slice = xtask::slice::Slice {
            from: project_root().join(format!(
                "tests/fixtures/official/{version}/CloudCommunications.yml"
            )),
            operations: vec!["communication.call_reject".to_owned()],
            webhooks: Vec::new(),
            overlay: None,
            out: cut.clone(),
        };
        let text = slice.render().expect("the official reject is cut");
        let model = codegen::parse(&text, &codegen::Settings::new()).expect("the cut lowers");
        insta::assert_debug_snapshot!(format!("official_reject_cut_{version}"), model);
        std::fs::write(&cut, &text).expect("write the cut");
        let out = dir.join(version);
        let name = format!("official-reject-{}", version.replace('.', "-"));
        let run = codegen_as(&cut, &out, Mode::Write, Some(&name));
        assert!(
            !run.expect_ok().contains("warning:"),
            "the {version} cut leaves something out: {}",
            run.messages
        );
        build(&out, &target_dir);
    }
}

/// What the generator leaves out is reported, one `warning:` line each, with the files written.
#[test]
fn operations_left_out_are_reported_as_warnings() {
    let out = temp_dir();
    let spec = project_root().join("codegen/tests/warning-specs/xml-response.yaml");
    let run = codegen(&spec, out.path(), Mode::Write);
    let warnings: Vec<&str> = run
        .expect_ok()
        .lines()
        .filter(|line| line.starts_with("warning: "))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", run.messages);
    assert!(
        warnings[0].starts_with(
            "warning: #/paths/~1reports~1{id}/get/responses/200/content/application~1xml: \
             the operation `reports.report.get` is left out: the media type `application/xml`"
        ),
        "{}",
        run.messages
    );
    let client = std::fs::read_to_string(out.path().join("src/client.rs")).expect("client");
    assert!(
        client.contains("pub async fn list<'a>("),
        "the other operation is kept"
    );
    assert!(
        !client.contains("/reports/"),
        "the operation left out is not in the client"
    );
}

#[test]
fn a_malformed_spec_is_located_and_nothing_is_written() {
    let out = temp_dir();
    codegen(&spec(), out.path(), Mode::Write).expect_ok();
    let bad = out.path().join("bad.yaml");
    let text = std::fs::read_to_string(spec()).expect("spec").replacen(
        "        default:\n          $ref: \"#/components/responses/error\"\n",
        "        default: 5\n",
        1,
    );
    assert_ne!(
        text,
        std::fs::read_to_string(spec()).expect("spec"),
        "the spec changed"
    );
    std::fs::write(&bad, text).expect("write bad spec");
    let before = snapshot_dir(out.path());

    let failed = codegen(&bad, out.path(), Mode::Write);
    let message = failed.expect_err();
    assert!(
        message.contains("#/paths/~1communications~1calls~1{call-id}~1microsoft.graph.reject/post"),
        "{message}"
    );
    assert_eq!(failed.messages, "");
    assert_eq!(
        snapshot_dir(out.path()),
        before,
        "a failed run left the output changed"
    );
}

#[test]
fn a_new_enum_member_fails_check_until_regenerated() {
    let dir = temp_dir();
    let spec_path = dir.path().join("spec.yaml");
    let crate_dir = dir.path().join("crate");
    let original = std::fs::read_to_string(spec()).expect("spec");
    std::fs::write(&spec_path, &original).expect("write spec");
    codegen(&spec_path, &crate_dir, Mode::Write).expect_ok();

    let changed = original.replace(
        "      - forbidden\n      - unknownFutureValue\n",
        "      - forbidden\n      - unknownFutureValue\n      - doNotDisturb\n",
    );
    assert_ne!(changed, original, "the fixture edit applies");
    std::fs::write(&spec_path, changed).expect("write spec");

    let stale = codegen(&spec_path, &crate_dir, Mode::Check);
    let message = stale.expect_err();
    assert!(
        message.contains("+    DoNotDisturb,"),
        "the diff shows the new member: {message}"
    );
    assert!(message.contains("run `cargo xtask codegen`"), "{message}");

    let types = crate_dir.join("src/types.rs");
    let regenerated = codegen(&spec_path, &crate_dir, Mode::Write);
    let updated = format!("updated {}", types.display());
    assert!(
        regenerated.expect_ok().lines().any(|line| line == updated),
        "{}",
        regenerated.messages
    );
    assert_eq!(codegen(&spec_path, &crate_dir, Mode::Check).expect_ok(), "");
    let types = std::fs::read_to_string(types).expect("types");
    assert!(
        types.contains("    DoNotDisturb,\n"),
        "the enum has the member"
    );
    assert!(
        types.contains("DoNotDisturb: \"doNotDisturb\""),
        "the member is written as the spec spells it"
    );
}

#[test]
fn new_files_are_created_changed_ones_updated_and_absent_ones_missing() {
    let out = temp_dir();
    let first = codegen(&spec(), out.path(), Mode::Write);
    let files: Vec<PathBuf> = snapshot_dir(out.path())
        .into_iter()
        .map(|(path, _)| out.path().join(path))
        .collect();
    let mut created: Vec<String> = files
        .iter()
        .map(|path| format!("created {}", path.display()))
        .collect();
    created.sort();
    assert_eq!(sorted_lines(first.expect_ok()), created);

    let manifest = out.path().join("Cargo.toml");
    let lib = out.path().join("src/lib.rs");
    std::fs::remove_file(&lib).expect("remove lib.rs");
    let mut text = std::fs::read_to_string(&manifest).expect("manifest");
    text.push_str("# A line the generator did not write.\n");
    std::fs::write(&manifest, text).expect("write manifest");

    let check = codegen(&spec(), out.path(), Mode::Check);
    let report = check.expect_err();
    assert!(
        report.contains(&format!("{} is missing", lib.display())),
        "{report}"
    );
    assert!(
        report.contains("-# A line the generator did not write."),
        "{report}"
    );
    assert!(report.contains("2 file(s)"), "{report}");
    assert_eq!(check.messages, "");

    let second = codegen(&spec(), out.path(), Mode::Write);
    assert_eq!(
        sorted_lines(second.expect_ok()),
        [
            format!("created {}", lib.display()),
            format!("updated {}", manifest.display()),
        ]
    );
    assert_eq!(codegen(&spec(), out.path(), Mode::Write).expect_ok(), "");
}

#[test]
fn only_files_the_generator_wrote_are_removed() {
    let out = temp_dir();
    let src = out.path().join("src");
    std::fs::create_dir_all(&src).expect("src");
    let hand_written = src.join("hand_written.rs");
    let stale = src.join("no_longer_generated.rs");
    std::fs::write(&hand_written, "//! Mine.\n").expect("write");
    std::fs::write(
        &stale,
        format!("// {}. Do not edit by hand.\n", codegen::GENERATED_MARK),
    )
    .expect("write");

    let generated = codegen(&spec(), out.path(), Mode::Write);
    let removed = format!("removed {} (no longer generated)", stale.display());
    assert!(
        generated.expect_ok().lines().any(|line| line == removed),
        "{}",
        generated.messages
    );
    assert!(hand_written.exists(), "a hand-written file was removed");
    assert!(!stale.exists(), "a stale generated file was kept");
    assert!(!generated.messages.contains("hand_written"));
}

#[test]
fn a_failing_message_sink_still_leaves_a_complete_crate() {
    let expected = temp_dir();
    codegen(&spec(), expected.path(), Mode::Write).expect_ok();

    let out = temp_dir();
    let error = codegen_into(&spec(), out.path(), Mode::Write, None, &mut ClosedPipe);
    assert_eq!(error, None);
    assert_eq!(snapshot_dir(out.path()), snapshot_dir(expected.path()));

    // Updating, too.
    for file in ["Cargo.toml", "src/lib.rs", "src/types.rs"] {
        std::fs::write(out.path().join(file), "outdated\n").expect("write");
    }
    let error = codegen_into(&spec(), out.path(), Mode::Write, None, &mut ClosedPipe);
    assert_eq!(error, None);
    assert_eq!(snapshot_dir(out.path()), snapshot_dir(expected.path()));
    assert_eq!(temporary_files(out.path()), Vec::<PathBuf>::new());
}

#[test]
fn a_file_that_cannot_be_replaced_leaves_no_temporary_files() {
    let out = temp_dir();
    // A directory where `src/types.rs` belongs: staging succeeds, the rename fails.
    let types = out.path().join("src/types.rs");
    std::fs::create_dir_all(&types).expect("directory in the way");

    let failed = codegen(&spec(), out.path(), Mode::Write);
    let message = failed.expect_err();
    assert!(
        message.contains(&format!("cannot replace {}", types.display())),
        "{message}"
    );
    assert_eq!(temporary_files(out.path()), Vec::<PathBuf>::new());
}

#[test]
fn two_generated_crates_share_one_runtime() {
    let (dir, target_dir) = scratch("shared-runtime");
    let runtime = project_root().join("codegen/runtime");
    for (name, spec) in [
        ("calls-a", spec()),
        (
            "calls-b",
            project_root().join("tests/fixtures/graph-v1-slice.yaml"),
        ),
    ] {
        let target = Target::Custom {
            spec,
            out: dir.join(name),
            crate_name: Some(name.to_owned()),
            shared_runtime: Some(runtime.clone()),
        };
        let mut messages = Vec::new();
        xtask::codegen::run(&target, Mode::Write, &mut messages).expect("generates");
        assert!(
            !dir.join(name).join("src/runtime").exists(),
            "{name} vendors no runtime"
        );
    }
    // A crate that uses both: their runtime types are one and the same.
    let app = dir.join("app");
    std::fs::create_dir_all(app.join("src")).expect("app dir");
    std::fs::write(
        app.join("Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n\
         calls-a = { path = \"../calls-a\" }\ncalls-b = { path = \"../calls-b\" }\n\n[workspace]\n",
    )
    .expect("app manifest");
    std::fs::write(
        app.join("src/lib.rs"),
        "//! Hands the runtime types of one generated crate to the other.\n\
         pub fn same(auth: calls_a::runtime::auth::InboundAuth) -> calls_b::runtime::auth::InboundAuth { auth }\n\
         pub fn error(e: calls_b::runtime::GraphError) -> calls_a::runtime::GraphError { e }\n",
    )
    .expect("app source");
    build(&app, &target_dir);
}
