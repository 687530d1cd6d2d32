//! Documents as `serde_json::Value`s: reading YAML or JSON with keys in their written order,
//! writing deterministic YAML, replacing a file atomically, and JSON pointers.

use std::path::Path;

use anyhow::Context;
use serde_json::Value;

/// Reads the YAML or JSON document at `path`, keeping every object's keys in their written order.
/// `shown` is how messages name the file.
pub(crate) fn read(path: &Path, shown: &str) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {shown}"))?;
    parse(&text).with_context(|| format!("{shown} is not a YAML or JSON document"))
}

/// Parses YAML or JSON text.
pub(crate) fn parse(text: &str) -> anyhow::Result<Value> {
    serde_saphyr::from_str(text).map_err(|err| anyhow::anyhow!("{err}"))
}

/// The document as YAML: keys in the value's order, so the same value always gives the same text.
pub(crate) fn to_yaml(value: &Value) -> anyhow::Result<String> {
    let text = serde_saphyr::to_string(value)
        .map_err(|err| anyhow::anyhow!("cannot write YAML: {err}"))?;
    // The emitter's text must read back as the very same document, or it is not written.
    let again = parse(&text).context("the YAML written does not read back")?;
    anyhow::ensure!(
        &again == value,
        "the YAML written does not read back as the same document; report this as a bug"
    );
    Ok(text)
}

/// Replaces `path` with `text`: the text goes to a temporary file beside it, which is then renamed
/// into place, so the file is never half-written. Nothing happens when the file already holds `text`.
pub(crate) fn write_atomically(path: &Path, text: &str, shown: &str) -> anyhow::Result<bool> {
    if std::fs::read_to_string(path).is_ok_and(|current| current == text) {
        return Ok(false);
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the folder of {shown}"))?;
    let name = path
        .file_name()
        .with_context(|| format!("{shown} names no file"))?;
    let temporary = dir.join(format!(".{}.tmp", name.to_string_lossy()));
    let written = std::fs::write(&temporary, text)
        .with_context(|| format!("cannot write {}", temporary.display()))
        .and_then(|()| {
            std::fs::rename(&temporary, path).with_context(|| format!("cannot replace {shown}"))
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written.map(|()| true)
}

/// One token of a JSON pointer, escaped (`~` as `~0`, `/` as `~1`).
pub(crate) fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// The JSON pointer (`#/a/b`) of `tokens`.
pub(crate) fn pointer<S: AsRef<str>>(tokens: &[S]) -> String {
    let mut text = String::from("#");
    for token in tokens {
        text.push('/');
        text.push_str(&escape(token.as_ref()));
    }
    text
}

/// The tokens of a local reference (`#/components/schemas/x`), unescaped; `None` for a reference
/// to another document.
pub(crate) fn ref_tokens(reference: &str) -> Option<Vec<String>> {
    let rest = reference.strip_prefix('#')?;
    if rest.is_empty() {
        return Some(Vec::new());
    }
    let rest = rest.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|token| token.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// The value at `tokens` in `doc`, if any.
pub(crate) fn at<'a, S: AsRef<str>>(doc: &'a Value, tokens: &[S]) -> Option<&'a Value> {
    tokens.iter().try_fold(doc, |value, token| match value {
        Value::Object(map) => map.get(token.as_ref()),
        Value::Array(items) => items.get(token.as_ref().parse::<usize>().ok()?),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_escape_and_unescape() {
        let tokens = ["paths", "/calls/{id}/reject", "a~b"];
        let text = pointer(&tokens);
        assert_eq!(text, "#/paths/~1calls~1{id}~1reject/a~0b");
        assert_eq!(ref_tokens(&text), Some(tokens.map(String::from).to_vec()));
        assert_eq!(ref_tokens("other.yaml#/a"), None);
    }

    #[test]
    fn a_file_that_cannot_be_replaced_is_left_as_it_was_without_a_temporary_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        // A directory where the file belongs: writing the temporary file works, renaming fails.
        let path = dir.path().join("spec.yaml");
        std::fs::create_dir(&path).expect("directory in the way");
        let error = write_atomically(&path, "text\n", "spec.yaml").expect_err("fails");
        assert!(
            format!("{error:#}").contains("cannot replace spec.yaml"),
            "{error:#}"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .flatten()
            .map(|entry| entry.file_name())
            .collect();
        assert_eq!(left, ["spec.yaml"]);

        let file = dir.path().join("out.yaml");
        assert!(write_atomically(&file, "a\n", "out.yaml").expect("writes"));
        assert!(
            !write_atomically(&file, "a\n", "out.yaml").expect("writes"),
            "unchanged"
        );
        assert_eq!(std::fs::read_to_string(&file).expect("read"), "a\n");
    }

    #[test]
    fn yaml_round_trips_keys_in_order_and_tricky_scalars() {
        let doc = parse(
            "b: 1\na:\n  '202': {description: x}\n  2XX: {}\n  'yes': 'no'\n  n: '012'\n  e: ''\n  m: \"two\\nlines\"\n",
        )
        .expect("parses");
        let text = to_yaml(&doc).expect("writes");
        assert!(text.starts_with("b: 1\na:\n"), "{text}");
        assert_eq!(parse(&text).expect("reads back"), doc);
    }
}
