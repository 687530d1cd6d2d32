//! The intermediate model of the project's spec, as a reviewer reads it: every type with its fields
//! and wire names, every operation with its paths, statuses and error types, and every notification
//! delivery. A spec change shows here first, before any emitted code.

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
