//! Codegen speed, each spec its own group: what `cargo xtask codegen` runs between reading the spec
//! and writing files (`codegen::generate`, then `xtask::format::render_all`: prettyplease, in
//! process), the generator alone, and the anchors in the same run: progenitor-impl generating its
//! client's tokens from the same document, and the same tokens unparsed by prettyplease. Each side
//! reads the spec text itself. No timing is asserted.

use std::hint::black_box;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use codegen::Settings;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use progenitor_impl::{GenerationSettings, Generator};
use xtask::format::render_all;
use xtask::project_root;

/// The specs: a group name, the path from the repository root, and the settings `cargo xtask
/// codegen` uses for it (the workspace crate for the fragment, a standalone crate for the others).
fn specs() -> Vec<(&'static str, &'static str, Settings)> {
    let mut standalone = Settings::new();
    standalone.with_standalone(true);
    vec![
        (
            "fragment",
            "spec/graph-calls.yaml",
            xtask::codegen::workspace_settings(),
        ),
        (
            "graph-v1-slice",
            "tests/fixtures/graph-v1-slice.yaml",
            standalone.clone(),
        ),
        (
            "official-v1.0",
            "tests/fixtures/official/v1.0/CloudCommunications.yml",
            standalone,
        ),
    ]
}

/// Ours, the generator alone: every file's tokens (the manifest's text), unformatted.
fn generate(text: &str, settings: &Settings) -> codegen::GeneratedCrate {
    codegen::generate(text, settings).expect("the spec generates")
}

/// Ours, up to the text of every file as `cargo xtask codegen` writes it.
fn generate_and_format(text: &str, settings: &Settings) -> Vec<String> {
    render_all(&generate(text, settings).files).expect("the generated files render")
}

/// The anchor: progenitor-impl's client tokens from the same text, parsed as it needs.
fn progenitor(text: &str) -> Result<proc_macro2::TokenStream, String> {
    let document: openapiv3::OpenAPI =
        serde_saphyr::from_str(text).map_err(|err| format!("cannot read the spec: {err}"))?;
    Generator::new(&GenerationSettings::default())
        .generate_tokens(&document)
        .map_err(|err| err.to_string())
}

/// The anchor with formatting: progenitor-impl's tokens unparsed by prettyplease, to compare
/// like with like against ours formatted.
fn progenitor_and_prettyplease(text: &str) -> String {
    let tokens = progenitor(text).expect("progenitor took it before");
    let syntax = syn::parse2::<syn::File>(tokens).expect("progenitor writes Rust");
    prettyplease::unparse(&syntax)
}

/// Whether progenitor-impl takes the spec, tried once before timing: an error or a panic leaves
/// the anchor out of the group, with a note.
fn progenitor_takes(name: &str, text: &str) -> bool {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = catch_unwind(AssertUnwindSafe(|| progenitor(text)));
    std::panic::set_hook(hook);
    let why = match outcome {
        Ok(Ok(_)) => return true,
        Ok(Err(err)) => err,
        Err(panic) => panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "a panic".to_owned()),
    };
    println!("note: codegen/{name}: progenitor-impl refuses the spec, no anchor: {why}");
    false
}

fn codegen(c: &mut Criterion) {
    let root = project_root();
    for (name, path, settings) in specs() {
        let text = std::fs::read_to_string(root.join(path)).expect("the spec is readable");
        let anchor = progenitor_takes(name, &text);
        let mut group = c.benchmark_group(format!("codegen/{name}"));
        // One iteration takes from milliseconds to seconds: time each sample as one batch.
        group.sampling_mode(SamplingMode::Flat);
        group.sample_size(10);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(3));
        group.bench_function("generate+format", |b| {
            b.iter(|| generate_and_format(black_box(&text), &settings))
        });
        group.bench_function("generate", |b| {
            b.iter(|| generate(black_box(&text), &settings))
        });
        if anchor {
            group.bench_function("progenitor", |b| {
                b.iter(|| progenitor(black_box(&text)).expect("progenitor took it before"))
            });
            group.bench_function("progenitor+prettyplease", |b| {
                b.iter(|| progenitor_and_prettyplease(black_box(&text)))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, codegen);
criterion_main!(benches);
