//! Every Rust name the generator makes comes from here: spec names are split into words, cased, kept
//! clear of keywords, and made unique within their scope.

use std::collections::BTreeSet;

use heck::{ToSnakeCase, ToUpperCamelCase};

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop",
    "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return", "self",
    "Self", "static", "struct", "super", "trait", "true", "try", "type", "typeof", "unsafe",
    "unsized", "use", "virtual", "where", "while", "yield",
];

/// Replaces every character that cannot be in an identifier by a word break.
fn words(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect()
}

fn finish(mut name: String, fallback: &str) -> String {
    if name.is_empty() {
        name = fallback.to_owned();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    if KEYWORDS.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// The Rust type name for a schema name: its last dot-separated segment, in `UpperCamelCase`.
pub(crate) fn type_name(spec_name: &str) -> String {
    let last = spec_name.rsplit('.').next().unwrap_or(spec_name);
    finish(words(last).to_upper_camel_case(), "Unnamed")
}

/// The Rust type name for a schema name with its namespace, used when the short name is taken. The
/// API's own namespace (`namespace_prefix`, such as `microsoft.graph.`) is left out.
pub(crate) fn qualified_type_name(spec_name: &str, namespace_prefix: &str) -> String {
    let without_root = spec_name
        .strip_prefix(namespace_prefix)
        .unwrap_or(spec_name);
    finish(words(without_root).to_upper_camel_case(), "Unnamed")
}

/// The Rust name of a field or parameter: `@odata.type` becomes `odata_type`.
pub(crate) fn field_name(wire_name: &str) -> String {
    finish(words(wire_name).to_snake_case(), "value")
}

/// The Rust name of an enum variant.
pub(crate) fn variant_name(wire_name: &str) -> String {
    finish(words(wire_name).to_upper_camel_case(), "Empty")
}

/// The Rust name of a method, from the last dot-separated segment of an `operationId`.
pub(crate) fn method_name(operation_id: &str) -> String {
    let last = operation_id.rsplit('.').next().unwrap_or(operation_id);
    field_name(last)
}

/// The Rust name of a method from the whole `operationId`, used when the short name is taken.
pub(crate) fn qualified_method_name(operation_id: &str) -> String {
    field_name(operation_id)
}

/// `name`, or `name2`, `name3`, … : the first that is not in `taken`. The result is added to `taken`.
pub(crate) fn unique(name: String, taken: &mut BTreeSet<String>) -> String {
    let mut candidate = name.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{name}{n}");
        n += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_rust_conventions() {
        let cases = [
            (type_name("microsoft.graph.call"), "Call"),
            (
                type_name("microsoft.graph.ODataErrors.ODataError"),
                "ODataError",
            ),
            (
                qualified_type_name("microsoft.graph.ODataErrors.InnerError", "microsoft.graph."),
                "ODataErrorsInnerError",
            ),
            (
                qualified_type_name("contoso.ODataErrors.InnerError", "contoso."),
                "ODataErrorsInnerError",
            ),
            (
                qualified_type_name("microsoft.graph.ODataErrors.InnerError", ""),
                "MicrosoftGraphODataErrorsInnerError",
            ),
            (type_name("microsoft.graph.rejectReason"), "RejectReason"),
            (field_name("@odata.type"), "odata_type"),
            (field_name("request-id"), "request_id"),
            (field_name("type"), "type_"),
            (field_name("callbackUri"), "callback_uri"),
            (variant_name("unknownFutureValue"), "UnknownFutureValue"),
            (variant_name("tone0"), "Tone0"),
            (variant_name("0"), "_0"),
            (method_name("communications.calls.call.reject"), "reject"),
            (
                qualified_method_name("app.calls.call.reject"),
                "app_calls_call_reject",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn unique_appends_a_number() {
        let mut taken = BTreeSet::new();
        assert_eq!(unique("Call".into(), &mut taken), "Call");
        assert_eq!(unique("Call".into(), &mut taken), "Call2");
    }
}
