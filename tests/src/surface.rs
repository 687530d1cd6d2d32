//! Renders the public surface of generated Rust files for a snapshot a reviewer can read: every type
//! with its fields and wire names, every enum with its members and wire values, every client method
//! with its signature and route.

use std::fmt::Write;

use quote::ToTokens;
use syn::{Fields, ImplItem, Item, Type};

/// The surface of one generated file.
pub fn render(source: &str) -> String {
    let file = syn::parse_file(source).expect("generated code parses");
    let mut out = String::new();
    for item in &file.items {
        render_item(item, &file.items, &mut out);
    }
    out
}

fn render_item(item: &Item, all: &[Item], out: &mut String) {
    match item {
        Item::Struct(s) if matches!(s.vis, syn::Visibility::Public(_)) => {
            writeln!(out, "struct {} {{", s.ident).unwrap();
            if let Fields::Named(fields) = &s.fields {
                for field in fields
                    .named
                    .iter()
                    .filter(|f| matches!(f.vis, syn::Visibility::Public(_)))
                {
                    let name = field
                        .ident
                        .as_ref()
                        .map(|i| i.to_string())
                        .unwrap_or_default();
                    let wire = wire_name(&field.attrs)
                        .map(|w| format!(" as {w:?}"))
                        .unwrap_or_default();
                    writeln!(out, "    {name}: {}{wire}", type_text(&field.ty)).unwrap();
                }
            }
            writeln!(out, "}}").unwrap();
        }
        Item::Enum(e) if matches!(e.vis, syn::Visibility::Public(_)) => {
            let wires = wire_values(&e.ident.to_string(), all);
            writeln!(out, "enum {} {{", e.ident).unwrap();
            for variant in &e.variants {
                let name = variant.ident.to_string();
                match (&variant.fields, wires.iter().find(|(v, _)| *v == name)) {
                    (Fields::Unit, Some((_, wire))) => {
                        writeln!(out, "    {name} = {wire:?}").unwrap()
                    }
                    (Fields::Unit, None) => writeln!(out, "    {name}").unwrap(),
                    (fields, _) => writeln!(
                        out,
                        "    {name}{}",
                        fields
                            .to_token_stream()
                            .to_string()
                            .replace(":: std :: string :: ", "")
                            .replace(' ', "")
                    )
                    .unwrap(),
                }
            }
            writeln!(out, "}}").unwrap();
        }
        Item::Impl(imp) if imp.trait_.is_none() => {
            for item in &imp.items {
                if let ImplItem::Fn(f) = item
                    && matches!(f.vis, syn::Visibility::Public(_))
                {
                    {
                        let route = f
                            .attrs
                            .iter()
                            .filter_map(doc_text)
                            .flat_map(|d| {
                                d.lines()
                                    .map(str::trim)
                                    .map(str::to_owned)
                                    .collect::<Vec<_>>()
                            })
                            .find(|line| line.starts_with("Sends a"));
                        let signature = f.sig.to_token_stream().to_string();
                        writeln!(
                            out,
                            "impl {} {{ {} }}",
                            tidy(&imp.self_ty.to_token_stream().to_string()),
                            tidy(&signature)
                        )
                        .unwrap();
                        for (method, path) in routes(f.block.to_token_stream()) {
                            writeln!(out, "    // route {method} {path}").unwrap();
                        }
                        if let Some(route) = route {
                            writeln!(out, "    // {route}").unwrap();
                        }
                    }
                }
            }
        }
        Item::Trait(t) if matches!(t.vis, syn::Visibility::Public(_)) => {
            writeln!(
                out,
                "trait {}: {} {{",
                t.ident,
                tidy(&t.supertraits.to_token_stream().to_string())
            )
            .unwrap();
            for item in &t.items {
                match item {
                    syn::TraitItem::Type(ty) => writeln!(
                        out,
                        "    type {}: {}",
                        ty.ident,
                        tidy(&ty.bounds.to_token_stream().to_string())
                    )
                    .unwrap(),
                    syn::TraitItem::Fn(f) => {
                        let default = if f.default.is_some() {
                            " (provided)"
                        } else {
                            ""
                        };
                        writeln!(
                            out,
                            "    {}{default}",
                            tidy(&f.sig.to_token_stream().to_string())
                        )
                        .unwrap();
                    }
                    _ => {}
                }
            }
            writeln!(out, "}}").unwrap();
        }
        Item::Const(c) if matches!(c.vis, syn::Visibility::Public(_)) => {
            writeln!(
                out,
                "const {}: {} = {}",
                c.ident,
                type_text(&c.ty),
                c.expr.to_token_stream()
            )
            .unwrap();
        }
        Item::Use(u) if matches!(u.vis, syn::Visibility::Public(_)) => {
            writeln!(
                out,
                "pub use {}",
                tidy(&u.tree.to_token_stream().to_string())
            )
            .unwrap();
        }
        Item::Mod(m) if matches!(m.vis, syn::Visibility::Public(_)) => {
            writeln!(out, "mod {}", m.ident).unwrap();
        }
        _ => {}
    }
}

/// The wire values of an open enum, read from the `as_wire` match of its `OpenEnum` impl.
fn wire_values(name: &str, all: &[Item]) -> Vec<(String, String)> {
    let mut values = Vec::new();
    for item in all {
        let Item::Impl(imp) = item else { continue };
        let is_open_enum = imp.trait_.as_ref().is_some_and(|(_, path, _)| {
            path.segments.last().is_some_and(|s| s.ident == "OpenEnum")
        });
        if !is_open_enum || imp.self_ty.to_token_stream().to_string() != name {
            continue;
        }
        for item in &imp.items {
            let ImplItem::Fn(f) = item else { continue };
            if f.sig.ident != "as_wire" {
                continue;
            }
            for stmt in &f.block.stmts {
                let syn::Stmt::Expr(syn::Expr::Match(m), _) = stmt else {
                    continue;
                };
                for arm in &m.arms {
                    if let (syn::Pat::Path(p), syn::Expr::Lit(lit)) = (&arm.pat, arm.body.as_ref())
                        && let syn::Lit::Str(s) = &lit.lit
                    {
                        {
                            let variant = p
                                .path
                                .segments
                                .last()
                                .map(|s| s.ident.to_string())
                                .unwrap_or_default();
                            values.push((variant, s.value()));
                        }
                    }
                }
            }
        }
    }
    values
}

/// The `.route("/path", ::axum::routing::post(..))` calls in a function body.
fn routes(tokens: proc_macro2::TokenStream) -> Vec<(String, String)> {
    use proc_macro2::TokenTree;
    let mut found = Vec::new();
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Ident(ident) if ident == "route" => {
                if let Some(TokenTree::Group(args)) = trees.get(i + 1) {
                    let inner: Vec<TokenTree> = args.stream().into_iter().collect();
                    if let Some(TokenTree::Literal(path)) = inner.first() {
                        let text = args.stream().to_string();
                        let method = ["get", "post", "put", "patch", "delete"]
                            .into_iter()
                            .find(|m| text.contains(&format!("routing :: {m}")))
                            .unwrap_or("?")
                            .to_uppercase();
                        found.push((method, path.to_string().trim_matches('"').to_owned()));
                    }
                }
            }
            TokenTree::Group(group) => found.extend(routes(group.stream())),
            _ => {}
        }
    }
    found
}

fn doc_text(attr: &syn::Attribute) -> Option<String> {
    if !attr.path().is_ident("doc") {
        return None;
    }
    match &attr.meta {
        syn::Meta::NameValue(nv) => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    }
}

/// The wire name a field's documentation states ("Wire name: `callbackUri`.").
fn wire_name(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().filter_map(doc_text).find_map(|line| {
        let rest = line.trim().strip_prefix("Wire name: `")?;
        rest.split_once('`').map(|(name, _)| name.to_owned())
    })
}

fn type_text(ty: &Type) -> String {
    tidy(&ty.to_token_stream().to_string())
}

/// Drops absolute-path noise so signatures read as a user writes them.
fn tidy(tokens: &str) -> String {
    let mut text = tokens.to_owned();
    for prefix in [
        ":: std :: option :: ",
        ":: std :: string :: ",
        ":: std :: vec :: ",
        ":: std :: collections :: ",
        ":: serde_json :: ",
        ":: std :: future :: ",
        ":: std :: sync :: ",
        ":: axum :: ",
        "crate :: types :: ",
        "crate :: runtime :: ",
    ] {
        text = text.replace(prefix, "");
    }
    text.replace(" :: ", "::")
        .replace(" < ", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace("& '", "&'")
        .replace("& ", "&")
        .replace(" (", "(")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(" : ", ": ")
        .replace(",)", ")")
        .replace("=()", "= ()")
        .replace(" , ", ", ")
        .replace(" <", "<")
        .replace("{ ", "{")
        .replace(" }", "}")
}
