//! How generated files are rendered: a header, then Rust unparsed in-process by prettyplease with
//! its items spaced out, or TOML and the vendored runtime as they are. No rustfmt runs: the
//! generated `lib.rs` marks every generated module `#[rustfmt::skip]` (the vendored runtime is
//! formatted in its own crate), so `cargo fmt` formats only `lib.rs`, whose rendering here is what
//! rustfmt would write (a test checks it).
//! Macro invocations are laid out as rustfmt lays them out: those of the standard library by
//! prettyplease (feature `verbatim`), the runtime's (`open_struct!`, `type_schema!`) here, as calls.

use anyhow::Context;
use codegen::{FileContents, GENERATED_MARK, GeneratedFile};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, Item, MacroDelimiter, Token};

/// The final text of every generated file, in order.
pub fn render_all(files: &[GeneratedFile]) -> anyhow::Result<Vec<String>> {
    files.iter().map(render).collect()
}

/// A file's header and contents, Rust unparsed by prettyplease with its items spaced out.
fn render(file: &GeneratedFile) -> anyhow::Result<String> {
    match &file.contents {
        FileContents::Toml(text) => Ok(format!(
            "# {GENERATED_MARK}. Do not edit by hand.\n\n{text}"
        )),
        FileContents::Rust(tokens) => {
            let syntax = syn::parse2::<syn::File>(tokens.clone()).with_context(|| {
                format!("the generator produced invalid Rust for {}", file.path)
            })?;
            let pretty = space_out_items(&unparse(syntax));
            Ok(format!(
                "// {GENERATED_MARK}. Do not edit by hand.\n\n{pretty}"
            ))
        }
        // The runtime is vendored byte for byte: it is already formatted in its own crate.
        FileContents::RustVerbatim { text, .. } => Ok((*text).to_owned()),
    }
}

/// `file` unparsed by prettyplease, except for its macro invocations laid out as calls
/// ([`macro_as_call`]).
fn unparse(file: syn::File) -> String {
    let syn::File {
        shebang,
        attrs,
        items,
    } = file;
    let mut out = String::new();
    // The items since the last invocation laid out as a call, to be unparsed together.
    let mut run = syn::File {
        shebang,
        attrs,
        items: Vec::new(),
    };
    for item in items {
        match macro_as_call(&item) {
            Some(call) => {
                out.push_str(&unparse_run(&mut run));
                out.push_str(&call);
            }
            None => run.items.push(item),
        }
    }
    out.push_str(&unparse_run(&mut run));
    out
}

/// The items of `run` (and its inner attributes) unparsed, leaving it empty.
fn unparse_run(run: &mut syn::File) -> String {
    if run.items.is_empty() && run.attrs.is_empty() {
        return String::new();
    }
    let text = prettyplease::unparse(run);
    run.shebang = None;
    run.attrs.clear();
    run.items.clear();
    text
}

/// A top-level macro invocation whose arguments are expressions (`open_struct!("…", Type { field:
/// "wire" })`), laid out as prettyplease lays out the same call without `!`, as rustfmt does;
/// prettyplease alone prints such an invocation's tokens as one run of words. `None` for any
/// other item. The runtime's macros take no comma after their last argument, so none is added.
fn macro_as_call(item: &Item) -> Option<String> {
    let Item::Macro(item) = item else {
        return None;
    };
    if !item.attrs.is_empty()
        || item.ident.is_some()
        || !matches!(item.mac.delimiter, MacroDelimiter::Paren(_))
    {
        return None;
    }
    let args = Punctuated::<Expr, Token![,]>::parse_terminated
        .parse2(item.mac.tokens.clone())
        .ok()?;
    // Built as syntax, not quoted: quoting would print the arguments and parse them again.
    let call = Expr::Call(syn::ExprCall {
        attrs: Vec::new(),
        func: Box::new(Expr::Path(syn::ExprPath {
            attrs: Vec::new(),
            qself: None,
            path: item.mac.path.clone(),
        })),
        paren_token: Default::default(),
        args,
    });
    let wrapper = syn::File {
        shebang: None,
        attrs: Vec::new(),
        items: vec![Item::Fn(syn::ItemFn {
            attrs: Vec::new(),
            vis: syn::Visibility::Inherited,
            sig: syn::parse_quote!(fn wrapper()),
            block: Box::new(syn::Block {
                brace_token: Default::default(),
                stmts: vec![syn::Stmt::Expr(call, Some(Default::default()))],
            }),
        })],
    };
    let text = prettyplease::unparse(&wrapper);
    // The call is the body of `wrapper`: its lines, one level less indented.
    let lines: Vec<&str> = text.lines().collect();
    let body = lines.get(1..lines.len().checked_sub(1)?)?;
    let mut call = String::with_capacity(text.len());
    for line in body {
        if !line.is_empty() {
            call.push_str(line.strip_prefix("    ")?);
        }
        call.push('\n');
    }
    call.insert(call.find('(')?, '!');
    Some(match call.strip_suffix(",\n);\n") {
        Some(arguments) => format!("{arguments}\n);\n"),
        None => call,
    })
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
    use std::io::Write;
    use std::process::{Command, Stdio};

    use codegen::Settings;

    use super::{render, space_out_items, unparse};
    use crate::codegen::workspace_settings;
    use crate::project_root;

    /// `cargo fmt` formats the generated `lib.rs` (only: the modules it declares are skipped), so
    /// its rendering is what rustfmt writes, whether the crate shares the runtime or vendors it.
    #[test]
    fn lib_rs_is_as_rustfmt_writes_it() {
        let spec = std::fs::read_to_string(project_root().join("spec/graph-calls.yaml"))
            .expect("the spec is readable");
        for settings in [workspace_settings(), Settings::new()] {
            let generated = codegen::generate(&spec, &settings).expect("the spec generates");
            let lib = generated
                .files
                .iter()
                .find(|file| file.path == "src/lib.rs")
                .expect("a lib.rs is generated");
            let text = render(lib).expect("lib.rs renders");
            assert!(
                text.contains("#[rustfmt::skip]\npub mod types;"),
                "the generated modules are left to the generator:\n{text}"
            );
            assert_eq!(rustfmt(&text), text, "{settings:?}");
        }
    }

    /// A macro invocation whose arguments are expressions is laid out as a call, with no comma
    /// after its last argument; others are left to prettyplease.
    #[test]
    fn macro_invocations_are_laid_out_as_calls() {
        for (input, expected) in [
            ("m!(\"a\", A);", "m!(\"a\", A);\n"),
            (
                "crate::runtime::__private::open_enum!(\"microsoft.graph.callDirection\", CallDirection { Incoming: \"incoming\", Outgoing: \"outgoing\" }, UnknownValue);",
                "crate::runtime::__private::open_enum!(\n    \"microsoft.graph.callDirection\",\n    CallDirection {\n        Incoming: \"incoming\",\n        Outgoing: \"outgoing\",\n    },\n    UnknownValue\n);\n",
            ),
            ("m! { a b }", "m! {\n    a b\n}\n"),
            ("m!(a => b);", "m!(a => b);\n"),
            (
                "struct A;\nm!(a);\nfn f() {}",
                "struct A;\nm!(a);\nfn f() {}\n",
            ),
        ] {
            let file = syn::parse_file(input).expect("the input parses");
            assert_eq!(unparse(file), expected, "{input}");
        }
    }

    /// `text` as the toolchain's rustfmt formats it.
    fn rustfmt(text: &str) -> String {
        let program = std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".to_owned());
        let mut child = Command::new(program)
            .args(["--edition", "2024", "--emit", "stdout", "--quiet"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("rustfmt runs (`rustup component add rustfmt`)");
        child
            .stdin
            .take()
            .expect("rustfmt has a stdin")
            .write_all(text.as_bytes())
            .expect("rustfmt reads lib.rs");
        let output = child.wait_with_output().expect("rustfmt finishes");
        assert!(output.status.success(), "rustfmt fails on lib.rs:\n{text}");
        String::from_utf8(output.stdout).expect("rustfmt writes UTF-8")
    }

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
