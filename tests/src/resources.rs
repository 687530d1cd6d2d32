//! Notifications' resources as the tests check them: the kind each real-traffic fixture's
//! notifications are read as, the name of a resource's kind, and JSON compared as the types write
//! it back (enum members in their canonical spelling, so `completed` comes back as `Completed`).

use msgraph_calls::types::CommsNotificationResourceData as Resource;
use serde_json::Value;

/// For each real-traffic fixture under `tests/fixtures/traffic/`, the kind of resource each of its
/// notifications is read as ([`kind`]), or `None` for a notification without one.
pub const TRAFFIC: &[(&str, &[Option<&str>])] = &[
    ("future-members.json", &[Some("Call")]),
    ("group-call-invite.json", &[Some("Call")]),
    ("roster-updated.json", &[Some("Participants")]),
    (
        "roster-legacy-path.json",
        &[Some("Participants"), Some("Participants")],
    ),
    (
        "operations.json",
        &[
            Some("PlayPromptOperation"),
            Some("RecordOperation"),
            Some("SubscribeToToneOperation"),
            Some("MuteParticipantOperation"),
            Some("InviteParticipantsOperation"),
            Some("CancelMediaProcessingOperation"),
            Some("UpdateRecordingStatusOperation"),
        ],
    ),
    (
        "operation-unknown-type.json",
        &[Some("Operation"), Some("Operation")],
    ),
    (
        "unknown-resources.json",
        &[
            Some("Unknown"),
            None,
            None,
            Some("Unknown"),
            Some("Unknown"),
        ],
    ),
];

/// The name of the variant a resource was read as.
pub fn kind(resource: &Resource) -> &'static str {
    match resource {
        Resource::Call(_) => "Call",
        Resource::Participants(_) => "Participants",
        Resource::PlayPromptOperation(_) => "PlayPromptOperation",
        Resource::RecordOperation(_) => "RecordOperation",
        Resource::SubscribeToToneOperation(_) => "SubscribeToToneOperation",
        Resource::MuteParticipantOperation(_) => "MuteParticipantOperation",
        Resource::InviteParticipantsOperation(_) => "InviteParticipantsOperation",
        Resource::CancelMediaProcessingOperation(_) => "CancelMediaProcessingOperation",
        Resource::UpdateRecordingStatusOperation(_) => "UpdateRecordingStatusOperation",
        Resource::Operation(_) => "Operation",
        Resource::Unknown(_) => "Unknown",
    }
}

/// Whether `written` is `sent` as the types write it back: the same JSON, except that strings may
/// differ in ASCII case (enum members are written in their canonical spelling).
pub fn same_but_enum_case(written: &Value, sent: &Value) -> bool {
    match (written, sent) {
        (Value::String(a), Value::String(b)) => a.eq_ignore_ascii_case(b),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_but_enum_case(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, a)| b.get(key).is_some_and(|b| same_but_enum_case(a, b)))
        }
        (a, b) => a == b,
    }
}

/// Asserts that `written` is `sent` as the types write it back ([`same_but_enum_case`]), showing
/// both when it is not.
pub fn assert_written_back(written: &Value, sent: &Value, what: &str) {
    if !same_but_enum_case(written, sent) {
        assert_eq!(
            written, sent,
            "{what}: writing back lost or changed something"
        );
    }
}
