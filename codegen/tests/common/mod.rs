//! What the tests of the good specs share: reading a fixture and filing its snapshots in one
//! folder per fixture, `snapshots/good-specs/<fixture>/`, each named after what it shows.

use std::path::Path;

/// The text of the fixture at `path`.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("{} is not readable: {err}", path.display()))
}

/// Settings that file the snapshots of the fixture at `path` under
/// `snapshots/good-specs/<fixture>/`, named by the assertion alone.
pub fn fixture_settings(path: &Path) -> insta::Settings {
    let fixture = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .expect("a fixture named in UTF-8");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(format!("snapshots/good-specs/{fixture}"));
    settings.set_prepend_module_to_snapshot(false);
    settings.remove_snapshot_suffix();
    settings.set_omit_expression(true);
    settings
}
