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

/// The same spec gives the same tokens, every time.
#[test]
fn generation_is_deterministic() {
    let spec = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../spec/graph-calls.yaml"
    ))
    .expect("the spec");
    let render = || {
        let generated = codegen::generate(&spec, &codegen::Settings::new()).expect("generates");
        generated
            .files
            .iter()
            .map(|file| match &file.contents {
                codegen::FileContents::Rust(tokens) => format!("{}\n{tokens}", file.path),
                codegen::FileContents::RustVerbatim { text, .. } => {
                    format!("{}\n{text}", file.path)
                }
                codegen::FileContents::Toml(text) => format!("{}\n{text}", file.path),
            })
            .collect::<Vec<_>>()
    };
    let first = render();
    for _ in 0..3 {
        assert_eq!(render(), first);
    }
}
