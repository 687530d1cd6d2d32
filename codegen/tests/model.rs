//! The intermediate model as a reviewer reads it: every type with its fields and wire names, every
//! operation with its paths, statuses and error types, and every notification delivery. A spec
//! change shows here first, before any emitted code: the project's spec in
//! `snapshots/model__the_model_of_the_spec.snap`, each good spec in
//! `snapshots/good-specs/<fixture>/model.snap`.

mod common;

#[test]
fn the_model_of_the_spec() {
    let spec = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../spec/graph-calls.yaml"
    ))
    .expect("the spec");
    let api = codegen::parse(&spec, &codegen::Settings::new()).expect("the spec lowers");
    insta::assert_debug_snapshot!(api);
}

#[test]
fn the_model_of_each_good_spec() {
    insta::glob!("good-specs/*.yaml", |path| {
        let api = codegen::parse(&common::read(path), &codegen::Settings::new())
            .unwrap_or_else(|err| panic!("{} should lower: {err}", path.display()));
        common::fixture_settings(path).bind(|| insta::assert_debug_snapshot!("model", api));
    });
}
