//! The hand-written runtime under `codegen/runtime/`, embedded so that every generated crate carries
//! the exact support code its generated modules call and builds on its own.

use crate::{FileContents, GeneratedFile};

/// Embeds `codegen/runtime/{name}` as `src/runtime/{name}` of the generated crate.
macro_rules! runtime_file {
    ($name:literal) => {
        (
            concat!("src/runtime/", $name),
            concat!("codegen/runtime/", $name),
            include_str!(concat!("../runtime/", $name)),
        )
    };
}

/// `(path in the generated crate, path of the original, text)` of every runtime file.
const RUNTIME: &[(&str, &str, &str)] = &[
    runtime_file!("client.rs"),
    runtime_file!("derived.rs"),
    runtime_file!("inbound_auth.rs"),
    runtime_file!("key.rs"),
    runtime_file!("mod.rs"),
    runtime_file!("open_enum.rs"),
    runtime_file!("server.rs"),
    runtime_file!("signing.rs"),
];

/// The runtime files of a generated crate.
pub(crate) fn files() -> impl Iterator<Item = GeneratedFile> {
    RUNTIME.iter().map(|&(path, source, text)| GeneratedFile {
        path: path.to_owned(),
        contents: FileContents::RustVerbatim { source, text },
    })
}
