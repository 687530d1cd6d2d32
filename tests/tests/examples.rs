//! Every documented example, and real-traffic variants of them (rosters, operations, resources
//! this version does not know), through the generated types: a snapshot of the typed form, each
//! resource read as its kind, and re-serialization gives back the original JSON.

use std::path::Path;

use msgraph_calls::runtime::resource::ResourcePath;
use msgraph_calls::types::{
    Call, CommsNotification, CommsNotificationResourceData, CommsNotifications, RejectRequestBody,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tests::HttpExample;
use tests::fixtures::TENANT_ID;
use tests::resources::{TRAFFIC, assert_written_back, kind};

/// Parses `json` as `T`, snapshots the typed form, and asserts that nothing was lost: written
/// back, it is the original (enum members in their canonical spelling), which reads back into the
/// same value.
fn check<T>(kind: &str, json: &str) -> T
where
    T: DeserializeOwned + Serialize + std::fmt::Debug + PartialEq,
{
    let original: serde_json::Value = serde_json::from_str(json).expect("the example is JSON");
    let typed: T = serde_json::from_str(json).expect("the example parses into the generated type");
    insta::assert_debug_snapshot!(kind, typed);
    let back = serde_json::to_value(&typed).expect("serializes");
    assert_written_back(&back, &original, kind);
    let again: T = serde_json::from_value(back).expect("what was written reads back");
    assert_eq!(
        again, typed,
        "what was written reads back into the same value"
    );
    typed
}

/// The notifications of the traffic fixture `name`.
fn traffic(name: &str) -> Vec<CommsNotification> {
    let text = tests::read(&format!("tests/fixtures/traffic/{name}"));
    let body: CommsNotifications = serde_json::from_str(&text).expect("parses");
    body.value.expect("a value array")
}

/// The call a notification carries.
fn call_of(notification: &CommsNotification) -> Call {
    match &notification.resource_data {
        Some(CommsNotificationResourceData::Call(call)) => (**call).clone(),
        other => panic!("the notification carries no call: {other:?}"),
    }
}

fn http_body(path: &Path) -> String {
    HttpExample::parse(&std::fs::read_to_string(path).expect("readable example"))
        .body
        .expect("the documented example has a body")
}

#[test]
fn documented_reject_requests() {
    insta::glob!("../../spec/examples/reject", "*.http", |path| {
        let example = HttpExample::parse(&std::fs::read_to_string(path).expect("readable example"));
        if example.body.is_some() {
            check::<RejectRequestBody>("reject", &http_body(path));
        } else {
            // The documented response: 202 Accepted, no body.
            assert_eq!(example.status(), 202);
        }
    });
}

#[test]
fn documented_notifications() {
    insta::glob!("../../spec/examples/notifications", "*.http", |path| {
        let typed = check::<CommsNotifications>("notification", &http_body(path));
        let value = typed.value.expect("notifications carry a value array");
        assert!(
            value.iter().all(|n| matches!(
                n.resource_data,
                Some(CommsNotificationResourceData::Call(_))
            )),
            "each notification carries a typed call"
        );
    });
}

/// Payloads shaped like real Graph traffic: extra properties, derived identity types, legacy fields,
/// members added after `unknownFutureValue`, explicit `@odata` annotations on nested objects.
#[test]
fn real_traffic_round_trips() {
    insta::glob!("../fixtures/traffic", "*.json", |path| {
        check::<CommsNotifications>(
            "traffic",
            &std::fs::read_to_string(path).expect("readable fixture"),
        );
    });
}

#[test]
fn enums_parse_documented_casings_and_write_canonical_ones() {
    for (sent, canonical) in [
        ("Busy", "busy"),
        ("BUSY", "busy"),
        ("None", "none"),
        ("Forbidden", "forbidden"),
    ] {
        let body: RejectRequestBody =
            serde_json::from_value(serde_json::json!({ "reason": sent })).expect("parses");
        assert_eq!(
            serde_json::to_value(&body).expect("serializes"),
            serde_json::json!({ "reason": canonical })
        );
    }
}

#[test]
fn unknown_enum_members_are_kept() {
    use msgraph_calls::runtime::OpenEnum;
    use msgraph_calls::types::RejectReason;

    let body: RejectRequestBody =
        serde_json::from_value(serde_json::json!({ "reason": "doNotDisturb" })).expect("parses");
    let reason = body.reason.clone().expect("a reason");
    assert_eq!(
        reason,
        RejectReason::UnknownValue("doNotDisturb".to_owned())
    );
    assert!(!reason.is_known());
    assert_eq!(
        serde_json::to_value(&body).expect("serializes"),
        serde_json::json!({ "reason": "doNotDisturb" })
    );
    assert_eq!("BUSY".parse::<RejectReason>(), Ok(RejectReason::Busy));
    assert_eq!(RejectReason::Busy.to_string(), "busy");
}

#[test]
fn derived_types_are_read_through_their_odata_type() {
    let invite: CommsNotifications = serde_json::from_str(&tests::read(
        "tests/fixtures/traffic/group-call-invite.json",
    ))
    .expect("parses");
    let call = call_of(&invite.value.expect("value")[0]);

    let meeting = call.meeting_info.expect("meetingInfo");
    assert!(
        meeting.as_token_meeting_info().is_none(),
        "the @odata.type names another derived type"
    );
    let organizer = meeting
        .as_organizer_meeting_info()
        .expect("an organizerMeetingInfo");
    let user = organizer
        .organizer
        .and_then(|o| o.user)
        .expect("the organizer");
    assert_eq!(user.display_name.as_deref(), Some("Bob"));

    let caller = call
        .source
        .and_then(|s| s.identity)
        .and_then(|i| i.user)
        .expect("the caller");
    let caller = caller
        .as_communications_user_identity()
        .expect("a communicationsUserIdentity");
    assert_eq!(caller.tenant_id.as_deref(), Some(TENANT_ID));

    // The documented payload names no derived types on nested objects.
    let documented: CommsNotifications =
        serde_json::from_value(HttpExample::load("notifications/incoming.http").json())
            .expect("parses");
    let identity = call_of(&documented.value.expect("value")[0])
        .source
        .and_then(|s| s.identity)
        .expect("identity");
    assert!(identity.as_communications_identity_set().is_none());
}

#[test]
fn each_resource_is_read_as_its_kind() {
    let dir = tests::workspace_root().join("tests/fixtures/traffic");
    let mut fixtures: Vec<String> = std::fs::read_dir(&dir)
        .expect("the traffic fixtures")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    fixtures.sort();
    let mut listed: Vec<&str> = TRAFFIC.iter().map(|(name, _)| *name).collect();
    listed.sort();
    assert_eq!(fixtures, listed, "every traffic fixture says what it holds");
    for (fixture, kinds) in TRAFFIC {
        let read: Vec<Option<&str>> = traffic(fixture)
            .iter()
            .map(|n| n.resource_data.as_ref().map(kind))
            .collect();
        assert_eq!(read, *kinds, "{fixture}");
    }
}

#[test]
fn rosters_hold_their_participants_and_say_whose_call_it_is() {
    let roster = &traffic("roster-updated.json")[0];
    let Some(CommsNotificationResourceData::Participants(participants)) = &roster.resource_data
    else {
        panic!("a roster: {:?}", roster.resource_data);
    };
    let names: Vec<&str> = participants
        .iter()
        .filter_map(|p| {
            p.info
                .as_ref()?
                .identity
                .as_ref()?
                .user
                .as_ref()?
                .display_name
                .as_deref()
        })
        .collect();
    assert_eq!(names, ["Zoë Çelik", "李小龍"]);
    assert_eq!(participants[1].is_muted, Some(true));
    assert_eq!(participants[2].is_in_lobby, Some(true));
    assert!(
        participants[2]
            .additional_properties
            .contains_key("handRaisedInfo")
    );
    assert_eq!(
        roster.resource_path(),
        Some(ResourcePath::Participants {
            call_id: "7a1f0b00-2c3d-4e5f-8a9b-0c1d2e3f4a5b"
        })
    );

    let left = &traffic("roster-legacy-path.json")[0];
    let Some(CommsNotificationResourceData::Participants(gone)) = &left.resource_data else {
        panic!("a roster: {:?}", left.resource_data);
    };
    let reason = gone[0]
        .removed_state
        .as_ref()
        .and_then(|s| s.reason.as_deref());
    assert_eq!(reason, Some("Participant left the meeting."));
    assert_eq!(
        left.resource_path().map(|p| p.call_id()),
        Some("7a1f0b00-2c3d-4e5f-8a9b-0c1d2e3f4a5b")
    );
}

#[test]
fn operations_are_read_as_the_type_their_odata_type_names() {
    use msgraph_calls::types::OperationStatus;

    let operations = traffic("operations.json");
    let Some(CommsNotificationResourceData::RecordOperation(record)) = &operations[1].resource_data
    else {
        panic!("a recordOperation: {:?}", operations[1].resource_data);
    };
    assert_eq!(record.status, Some(OperationStatus::Completed));
    assert!(
        record
            .recording_location
            .as_deref()
            .is_some_and(|l| l.starts_with("https://"))
    );
    // The official `recordOperation` names its completion reason.
    assert_eq!(
        record.completion_reason,
        Some(msgraph_calls::types::RecordCompletionReason::StopToneDetected)
    );
    let Some(CommsNotificationResourceData::InviteParticipantsOperation(invite)) =
        &operations[4].resource_data
    else {
        panic!(
            "an inviteParticipantsOperation: {:?}",
            operations[4].resource_data
        );
    };
    assert_eq!(invite.status, Some(OperationStatus::Failed));
    assert_eq!(
        invite.result_info.as_ref().and_then(|r| r.subcode),
        Some(5300)
    );
    assert_eq!(invite.participants.as_ref().map(Vec::len), Some(1));
    assert_eq!(
        operations[4].resource_path().and_then(|p| p.operation_id()),
        Some("44ee0623-d628-42ed-b4bd-8ac290072cc9")
    );

    // An operation this version does not know is read as the base type, and keeps the rest.
    let unknown = traffic("operation-unknown-type.json");
    let Some(CommsNotificationResourceData::Operation(hold)) = &unknown[0].resource_data else {
        panic!("a commsOperation: {:?}", unknown[0].resource_data);
    };
    // The official `commsOperation` declares no `@odata.type`: it is kept with the other
    // properties the type does not name.
    assert_eq!(
        hold.additional_properties["@odata.type"],
        "#microsoft.graph.startHoldMusicOperation"
    );
    assert!(hold.additional_properties.contains_key("customPrompt"));
}
