//! Malformed and unsupported specs: each fixture gives an error that names the place (a JSON
//! pointer) and says what to do, and nothing panics.

#[test]
fn bad_specs_are_reported_with_their_place() {
    insta::glob!("bad-specs/*.yaml", |path| {
        let text = std::fs::read_to_string(path).expect("readable fixture");
        let err = match codegen::generate(&text, &codegen::Settings::new()) {
            Ok(_) => panic!("{} should not generate", path.display()),
            Err(err) => err,
        };
        let message = err.to_string();
        if !matches!(err, codegen::Error::Syntax { .. }) {
            assert!(
                message.starts_with("#"),
                "the error names a JSON pointer: {message}"
            );
        }
        insta::assert_snapshot!(message);
    });
}

/// Shapes progenitor cannot take directly but the generator handles: Graph's nullable references,
/// a `202` without body next to a JSON `default` response, and the official v1.0 slice.
#[test]
fn graph_shapes_generate() {
    insta::glob!("good-specs/*.yaml", |path| {
        let text = std::fs::read_to_string(path).expect("readable fixture");
        if let Err(err) = codegen::generate(&text, &codegen::Settings::new()) {
            panic!("{} should generate: {err}", path.display());
        }
    });
}
