//! The crate generated from each good spec, file by file, as a reviewer reads it: every fixture
//! under `good-specs/` generates, and each file of its crate is a snapshot in
//! `snapshots/good-specs/<fixture>/`: `Cargo.toml` as the generator writes it, and each Rust file
//! formatted with prettyplease. The runtime's sources, vendored byte for byte, are only checked to
//! be there.

mod common;

use codegen::{FileContents, Settings};

#[test]
fn each_good_spec_generates_its_crate() {
    insta::glob!("good-specs/*.yaml", |path| {
        let generated = codegen::generate(&common::read(path), &Settings::new())
            .unwrap_or_else(|err| panic!("{} should generate: {err}", path.display()));
        let mut vendored = Vec::new();
        common::fixture_settings(path).bind(|| {
            for file in &generated.files {
                let name = file.path.strip_prefix("src/").unwrap_or(&file.path);
                match &file.contents {
                    FileContents::Rust(tokens) => {
                        let syntax = syn::parse2::<syn::File>(tokens.clone())
                            .unwrap_or_else(|err| panic!("{} is not valid Rust: {err}", file.path));
                        insta::assert_snapshot!(name, prettyplease::unparse(&syntax));
                    }
                    FileContents::Toml(text) => insta::assert_snapshot!(name, text),
                    FileContents::RustVerbatim { .. } => vendored.push(file.path.as_str()),
                }
            }
        });
        assert!(
            vendored.contains(&"src/runtime/mod.rs"),
            "the runtime is vendored: {vendored:?}"
        );
        assert!(
            vendored.iter().all(|path| path.starts_with("src/runtime/")),
            "only the runtime is copied verbatim: {vendored:?}"
        );
    });
}
