//! The hand-written runtime under `codegen/runtime/`, embedded so that every generated crate carries
//! the exact support code its generated modules call and builds on its own.

use crate::{FileContents, GeneratedFile};

/// `(path in the generated crate, path of the original, text)` of every runtime file.
const RUNTIME: &[(&str, &str, &str)] = &[
    (
        "src/runtime/mod.rs",
        "codegen/runtime/mod.rs",
        include_str!("../runtime/mod.rs"),
    ),
    (
        "src/runtime/client.rs",
        "codegen/runtime/client.rs",
        include_str!("../runtime/client.rs"),
    ),
    (
        "src/runtime/key.rs",
        "codegen/runtime/key.rs",
        include_str!("../runtime/key.rs"),
    ),
    (
        "src/runtime/open_enum.rs",
        "codegen/runtime/open_enum.rs",
        include_str!("../runtime/open_enum.rs"),
    ),
];

/// The runtime files of a generated crate.
pub(crate) fn files() -> impl Iterator<Item = GeneratedFile> {
    RUNTIME.iter().map(|&(path, source, text)| GeneratedFile {
        path: path.to_owned(),
        contents: FileContents::RustVerbatim { source, text },
    })
}
