//! Project automation as a library: `main.rs` turns the command line into a call of [`codegen::run`],
//! [`slice::Slice::run`], [`drift::run`] or [`load::Load::run`], and tests call them in-process.
//! The codegen bench (`benches/codegen.rs`) calls [`format::render_all`] the same way.

pub mod codegen;
mod diff;
mod document;
pub mod drift;
pub mod format;
pub mod hardening;
pub mod load;
mod overlay;
mod reach;
pub mod slice;
#[cfg(test)]
mod tidy;

use std::path::{Path, PathBuf};

/// The repository root.
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the repository root")
        .to_path_buf()
}
