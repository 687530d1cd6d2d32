//! Every documented example, and real-traffic variants of them, through the generated types:
//! a snapshot of the typed form, and re-serialization gives back the original JSON.

use std::path::Path;

use msgraph_calls::types::{
    Call, CommsNotification, CommsNotificationResourceData, CommsNotifications, RejectRequestBody,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tests::HttpExample;
use tests::fixtures::TENANT_ID;

/// Parses `json` as `T`, snapshots the typed form, and asserts that nothing was lost.
fn check<T: DeserializeOwned + Serialize + std::fmt::Debug>(kind: &str, json: &str) -> T {
    let original: serde_json::Value = serde_json::from_str(json).expect("the example is JSON");
    let typed: T = serde_json::from_str(json).expect("the example parses into the generated type");
    insta::assert_debug_snapshot!(kind, typed);
    let back = serde_json::to_value(&typed).expect("serializes");
    assert_eq!(back, original, "re-serializing lost or changed something");
    typed
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
