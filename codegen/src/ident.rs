//! Every Rust name the generator makes comes from here: spec names are split into words, cased, kept
//! clear of keywords, and made unique within their scope. Names that clash are settled by [`settle`]:
//! every name in a clash takes one more part of what it was made from, never by order.

use std::collections::{BTreeMap, BTreeSet};

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

/// The Rust type names a schema name can have, shortest first: its last dot-separated segment,
/// then with one more segment of its namespace at a time. The API's own namespace
/// (`namespace_prefix`, such as `microsoft.graph.`) is never part of a name.
pub(crate) fn type_name_candidates(spec_name: &str, namespace_prefix: &str) -> Vec<String> {
    let without_root = spec_name
        .strip_prefix(namespace_prefix)
        .filter(|rest| !rest.is_empty())
        .unwrap_or(spec_name);
    let segments: Vec<&str> = without_root.split('.').collect();
    let mut candidates = Vec::new();
    for first in (0..segments.len()).rev() {
        let name = finish(
            words(&segments[first..].join(" ")).to_upper_camel_case(),
            "Unnamed",
        );
        if !candidates.contains(&name) {
            candidates.push(name);
        }
    }
    candidates
}

/// The Rust name of a field or parameter: `@odata.type` becomes `odata_type`.
pub(crate) fn field_name(wire_name: &str) -> String {
    finish(words(wire_name).to_snake_case(), "value")
}

/// The Rust name of an enum variant. A leading `-` is the word `Minus`, so that `-INF` and `INF`
/// stay apart.
pub(crate) fn variant_name(wire_name: &str) -> String {
    let spelled = match wire_name.strip_prefix('-') {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_alphanumeric()) => {
            format!("minus {rest}")
        }
        _ => wire_name.to_owned(),
    };
    finish(words(&spelled).to_upper_camel_case(), "Empty")
}

/// An `operationId` split into its group and its action. Both official forms are read: in
/// msgraph-metadata's `communications.calls.call.reject` the action is the last dot-separated
/// segment (`reject`); in the PowerShell SDK's `communication.call.participant_mute` and
/// `communication_ListCallRecord`, the last segment holds a group part and the action, split at
/// its first `_` (`mute`, `ListCallRecord`; `callRecord_GetOrganizer_v2` gives `GetOrganizer_v2`).
fn operation_parts(operation_id: &str) -> (Vec<&str>, &str) {
    let mut group: Vec<&str> = operation_id.split('.').collect();
    let last = group.pop().unwrap_or(operation_id);
    match last.split_once('_') {
        Some((part, action)) if !part.is_empty() && !action.is_empty() => {
            group.push(part);
            (group, action)
        }
        _ => (group, last),
    }
}

/// The Rust names a method can have, shortest first: the action of its `operationId` in
/// `snake_case`, then with one more group segment at a time, nearest first
/// (`mute`, `participant_mute`, `call_participant_mute`, `communication_call_participant_mute`).
pub(crate) fn method_name_candidates(operation_id: &str) -> Vec<String> {
    let (group, action) = operation_parts(operation_id);
    let mut candidates = Vec::new();
    for first in (0..=group.len()).rev() {
        let mut parts = group[first..].to_vec();
        parts.push(action);
        let name = field_name(&parts.join(" "));
        if !candidates.contains(&name) {
            candidates.push(name);
        }
    }
    candidates
}

/// The Rust name of a method: the first of [`method_name_candidates`].
pub(crate) fn method_name(operation_id: &str) -> String {
    let (_, action) = operation_parts(operation_id);
    field_name(action)
}

/// The Rust name of a method from the whole `operationId`.
pub(crate) fn qualified_method_name(operation_id: &str) -> String {
    field_name(operation_id)
}

/// One name for each item, from its candidates (shortest first), so that no two items and no
/// reserved name are the same. Every item whose name is the same as another's or reserved takes its
/// next candidate, all of them at once, until no name is shared or none of the sharers has a
/// candidate left: the result does not depend on the order of the items. Only names that are the
/// same even with every candidate taken get a number (`name2`, `name3`, …), in the order of the
/// items. An item without candidates is named `unnamed`.
pub(crate) fn settle(candidates: &[Vec<String>], reserved: &BTreeSet<String>) -> Vec<String> {
    let fallback = "unnamed".to_owned();
    let name = |item: usize, level: usize| candidates[item].get(level).unwrap_or(&fallback);
    let mut levels = vec![0usize; candidates.len()];
    loop {
        let mut uses: BTreeMap<&str, usize> = BTreeMap::new();
        for (item, level) in levels.iter().enumerate() {
            *uses.entry(name(item, *level)).or_default() += 1;
        }
        let shared: Vec<usize> = (0..candidates.len())
            .filter(|&item| {
                let current = name(item, levels[item]);
                uses[current.as_str()] > 1 || reserved.contains(current)
            })
            .filter(|&item| levels[item] + 1 < candidates[item].len())
            .collect();
        if shared.is_empty() {
            break;
        }
        for item in shared {
            levels[item] += 1;
        }
    }
    let mut taken = reserved.clone();
    levels
        .iter()
        .enumerate()
        .map(|(item, level)| unique(name(item, *level).clone(), &mut taken))
        .collect()
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
            (type_name("microsoft.graph.rejectReason"), "RejectReason"),
            (field_name("@odata.type"), "odata_type"),
            (field_name("request-id"), "request_id"),
            (field_name("type"), "type_"),
            (field_name("callbackUri"), "callback_uri"),
            (variant_name("unknownFutureValue"), "UnknownFutureValue"),
            (variant_name("tone0"), "Tone0"),
            (variant_name("0"), "_0"),
            (variant_name("-INF"), "MinusInf"),
            (variant_name("INF"), "Inf"),
            (variant_name("NaN"), "NaN"),
            (method_name("communications.calls.call.reject"), "reject"),
            (method_name("communication.call_reject"), "reject"),
            (
                method_name("communication_ListCallRecord"),
                "list_call_record",
            ),
            (
                method_name("communication.callRecord_GetOrganizer_v2"),
                "get_organizer_v2",
            ),
            (method_name("communications.ListCalls"), "list_calls"),
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
    fn candidates_add_one_segment_at_a_time() {
        assert_eq!(
            type_name_candidates("microsoft.graph.ODataErrors.InnerError", "microsoft.graph."),
            ["InnerError", "ODataErrorsInnerError"]
        );
        assert_eq!(
            type_name_candidates("microsoft.graph.callRecords.modality", ""),
            [
                "Modality",
                "CallRecordsModality",
                "GraphCallRecordsModality",
                "MicrosoftGraphCallRecordsModality"
            ]
        );
        assert_eq!(
            method_name_candidates("communication.call.participant_mute"),
            [
                "mute",
                "participant_mute",
                "call_participant_mute",
                "communication_call_participant_mute"
            ]
        );
        assert_eq!(
            method_name_candidates("communications.calls.call.reject"),
            [
                "reject",
                "call_reject",
                "calls_call_reject",
                "communications_calls_call_reject"
            ]
        );
    }

    #[test]
    fn clashes_are_settled_by_qualifying_every_sharer() {
        let ids = [
            "user.onlineMeeting.attendanceReport_GetCount",
            "communication.call_mute",
            "communication.onlineMeeting.attendanceReport_GetCount",
            "communication.call.participant_mute",
            "communication.call_reject",
        ];
        let candidates: Vec<Vec<String>> =
            ids.iter().map(|id| method_name_candidates(id)).collect();
        let expected = [
            "user_online_meeting_attendance_report_get_count",
            "call_mute",
            "communication_online_meeting_attendance_report_get_count",
            "participant_mute",
            "reject",
        ];
        assert_eq!(settle(&candidates, &BTreeSet::new()), expected);
        // The same names whatever the order.
        let mut reversed = candidates.clone();
        reversed.reverse();
        let mut names = settle(&reversed, &BTreeSet::new());
        names.reverse();
        assert_eq!(names, expected);
        // A reserved name is given up; names that stay the same get numbers.
        let reserved = BTreeSet::from(["reject".to_owned()]);
        assert_eq!(
            settle(
                &[
                    vec!["reject".to_owned()],
                    vec!["a".to_owned()],
                    vec!["a".to_owned()]
                ],
                &reserved
            ),
            ["reject2", "a", "a2"]
        );
    }

    #[test]
    fn unique_appends_a_number() {
        let mut taken = BTreeSet::new();
        assert_eq!(unique("Call".into(), &mut taken), "Call");
        assert_eq!(unique("Call".into(), &mut taken), "Call2");
    }
}
