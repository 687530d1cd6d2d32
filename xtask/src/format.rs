//! How generated files are rendered: a header, then Rust formatted as `cargo fmt` would (by
//! prettyplease, items spaced out, then rustfmt), or TOML and the vendored runtime as they are.

use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use codegen::{FileContents, GENERATED_MARK, GeneratedFile};

/// The final text of every generated file, in order: header, then contents formatted as
/// `cargo fmt` would. The tokens are unparsed here, one file after another (they cannot leave this
/// thread); then one rustfmt process per Rust file runs, all at once.
pub fn render_all(files: &[GeneratedFile]) -> anyhow::Result<Vec<String>> {
    let unformatted = files
        .iter()
        .map(unparse)
        .collect::<anyhow::Result<Vec<_>>>()?;
    std::thread::scope(|scope| {
        let formatting: Vec<_> = unformatted
            .into_iter()
            .map(|text| scope.spawn(move || text.finish()))
            .collect();
        formatting
            .into_iter()
            .map(|thread| {
                thread
                    .join()
                    .map_err(|_| anyhow::anyhow!("formatting a generated file panicked"))?
            })
            .collect()
    })
}

/// The text of every generated file as [`render_all`] gives it to rustfmt: header, then Rust
/// unparsed by prettyplease with its items spaced out. The codegen bench times it beside
/// [`render_all`] to show what rustfmt costs.
pub fn render_all_without_rustfmt(files: &[GeneratedFile]) -> anyhow::Result<Vec<String>> {
    files
        .iter()
        .map(|file| {
            Ok(match unparse(file)? {
                Unformatted::Rust(text) | Unformatted::Done(text) => text,
            })
        })
        .collect()
}

/// A generated file's text before rustfmt.
enum Unformatted {
    /// Rust, to be given to rustfmt.
    Rust(String),
    /// Final already.
    Done(String),
}

impl Unformatted {
    fn finish(self) -> anyhow::Result<String> {
        match self {
            Unformatted::Rust(text) => rustfmt(&text),
            Unformatted::Done(text) => Ok(text),
        }
    }
}

/// A file's header and contents, Rust unparsed by prettyplease with its items spaced out.
fn unparse(file: &GeneratedFile) -> anyhow::Result<Unformatted> {
    match &file.contents {
        FileContents::Toml(text) => Ok(Unformatted::Done(format!(
            "# {GENERATED_MARK}. Do not edit by hand.\n\n{text}"
        ))),
        FileContents::Rust(tokens) => {
            let syntax = syn::parse2::<syn::File>(tokens.clone()).with_context(|| {
                format!("the generator produced invalid Rust for {}", file.path)
            })?;
            let pretty = space_out_items(&prettyplease::unparse(&syntax));
            Ok(Unformatted::Rust(format!(
                "// {GENERATED_MARK}. Do not edit by hand.\n\n{pretty}"
            )))
        }
        // The runtime is vendored byte for byte: it is already formatted in its own crate.
        FileContents::RustVerbatim { text, .. } => Ok(Unformatted::Done((*text).to_owned())),
    }
}

/// Formats Rust source with the toolchain's rustfmt, as `cargo fmt` does.
fn rustfmt(source: &str) -> anyhow::Result<String> {
    let mut child = Command::new(std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".to_owned()))
        .args(["--edition", "2024", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run rustfmt; install it with `rustup component add rustfmt`")?;
    let mut stdin = child.stdin.take().context("rustfmt has no stdin")?;
    let input = source.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().context("rustfmt did not finish")?;
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("writing to rustfmt panicked"))?
        .context("cannot write to rustfmt")?;
    if !output.status.success() {
        bail!(
            "rustfmt failed on generated code: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    String::from_utf8(output.stdout).context("rustfmt wrote invalid UTF-8")
}

/// Puts a blank line after every item or member that ends in a closing line (`}` or `);`) at
/// most two levels deep, when another follows, so that generated code reads like hand-written code.
fn space_out_items(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        let closes = matches!(line.trim_start(), "}" | ");") && indent(line) <= 8;
        let opens_next = lines.peek().is_some_and(|next| {
            let next_text = next.trim_start();
            !next_text.is_empty()
                && indent(next) <= 8
                && !next_text.starts_with('}')
                && !next_text.starts_with(')')
        });
        if closes && opens_next {
            out.push('\n');
        }
    }
    out
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

#[cfg(test)]
mod tests {
    use super::space_out_items;

    #[test]
    fn items_and_members_are_spaced_out_but_not_closing_braces() {
        let dense = "struct A {\n    a: u8,\n}\nimpl A {\n    fn f() {\n        g();\n    }\n    fn h() {}\n}\nm!(\n    A,\n);\nfn i() {}\n";
        let spaced = "struct A {\n    a: u8,\n}\n\nimpl A {\n    fn f() {\n        g();\n    }\n\n    fn h() {}\n}\n\nm!(\n    A,\n);\n\nfn i() {}\n";
        assert_eq!(space_out_items(dense), spaced);
        assert_eq!(
            space_out_items(spaced),
            spaced,
            "spacing twice changes nothing"
        );
    }
}
