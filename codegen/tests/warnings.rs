//! Specs the generator handles only in part: each fixture under `warning-specs/` generates, the
//! operations it cannot handle are left out of the model and the crate, and the warnings, each
//! with a JSON pointer, are a snapshot.

#[test]
fn operations_left_out_are_named_in_warnings() {
    insta::glob!("warning-specs/*.yaml", |path| {
        let text = std::fs::read_to_string(path).expect("readable fixture");
        let settings = codegen::Settings::new();
        let api = codegen::parse(&text, &settings)
            .unwrap_or_else(|err| panic!("{} should lower: {err}", path.display()));
        let generated = codegen::generate_from_model(&api, &settings).expect("generates");
        assert!(!api.warnings.is_empty(), "{} warns", path.display());
        assert_eq!(
            generated.warnings, api.warnings,
            "the crate carries the warnings"
        );
        let kept: Vec<&str> = api
            .operations
            .iter()
            .map(|op| op.primary.operation_id.as_str())
            .collect();
        assert_eq!(
            kept,
            ["calls.list"],
            "only the operation it handles is kept"
        );
        for warning in &api.warnings {
            assert!(warning.pointer.starts_with("#/paths/"), "{warning}");
        }
        let report: Vec<String> = api.warnings.iter().map(ToString::to_string).collect();
        insta::assert_snapshot!(report.join("\n"));
    });
}
