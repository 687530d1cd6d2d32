//! Open structs, open enums and resource unions as generated code declares them: nothing is lost in
//! a round-trip (unknown properties, explicit `null`s, unknown enum members, resources of unknown
//! kinds), enums match without regard to case, required properties are required, and a resource is
//! read as its `@odata.type` or, failing that, its URL says, wherever the URL and the
//! `@odata.type` are.

use msgraph_calls_runtime::__private::{open_enum, open_resource, open_struct};
use msgraph_calls_runtime::{AdditionalProperties, OpenEnum};
use serde_json::{Value, json};

#[derive(Clone, Debug, Default, PartialEq)]
struct Participant {
    odata_type: Option<String>,
    display_name: Option<String>,
    key: Option<i64>,
    reason: Option<Reason>,
    additional_properties: AdditionalProperties,
}
open_struct!(
    "test.participant",
    Participant {
        odata_type: "@odata.type",
        display_name: "displayName",
        key: "key",
        reason: "reason",
    }
);

#[derive(Clone, Debug, PartialEq)]
struct Envelope {
    value: Vec<Participant>,
    id: Option<String>,
    additional_properties: AdditionalProperties,
}
open_struct!(
    "test.envelope",
    Envelope {
        value: required("value"),
        id: "id"
    }
);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Reason {
    Busy,
    UnknownFutureValue,
    Other(String),
}
open_enum!(
    "test.reason",
    Reason {
        Busy: "busy",
        UnknownFutureValue: "unknownFutureValue"
    },
    Other
);

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(input: &Value) -> (T, Value) {
    let parsed: T = serde_json::from_value(input.clone()).expect("parses");
    let written = serde_json::to_value(&parsed).expect("serializes");
    (parsed, written)
}

#[test]
fn unknown_properties_nulls_and_members_survive_a_round_trip() {
    let input = json!({
        "value": [{
            "@odata.type": "#test.participant",
            "displayName": null,
            "key": 7,
            "reason": "ringing",
            "region": "westus",
            "nested": {"a": [1, null]},
        }],
        "@odata.context": "https://example.invalid/$metadata",
    });
    let (parsed, written) = round_trip::<Envelope>(&input);
    let participant = &parsed.value[0];
    assert_eq!(participant.display_name, None);
    assert_eq!(participant.key, Some(7));
    assert_eq!(
        participant.reason,
        Some(Reason::Other("ringing".to_owned()))
    );
    assert_eq!(
        participant.additional_properties["displayName"],
        Value::Null
    );
    assert_eq!(written, input);
}

#[test]
fn a_set_field_wins_over_a_kept_null() {
    let mut parsed: Participant =
        serde_json::from_value(json!({"displayName": null})).expect("parses");
    parsed.display_name = Some("Zoë".to_owned());
    assert_eq!(
        serde_json::to_value(&parsed).expect("serializes"),
        json!({"displayName": "Zoë"})
    );
}

#[test]
fn required_properties_are_required() {
    let err =
        serde_json::from_value::<Envelope>(json!({"id": "x"})).expect_err("value is required");
    assert_eq!(err.to_string(), "missing field `value`");
    let err =
        serde_json::from_value::<Envelope>(json!([1])).expect_err("an array is not an envelope");
    assert!(
        err.to_string()
            .contains("expected a `test.envelope` object"),
        "{err}"
    );
}

#[test]
fn enums_match_any_case_and_write_the_canonical_spelling() {
    assert_eq!(Reason::from_wire("BUSY"), Reason::Busy);
    assert_eq!(Reason::Busy.to_string(), "busy");
    assert!(!Reason::from_wire("ringing").is_known());
    let parsed: Reason = serde_json::from_str("\"UnknownFutureValue\"").expect("parses");
    assert_eq!(
        serde_json::to_string(&parsed).expect("serializes"),
        "\"unknownFutureValue\""
    );
    assert_eq!(
        "later".parse::<Reason>(),
        Ok(Reason::Other("later".to_owned()))
    );
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Operation {
    odata_type: Option<String>,
    status: Option<String>,
    additional_properties: AdditionalProperties,
}
open_struct!(
    "test.operation",
    Operation {
        odata_type: "@odata.type",
        status: "status"
    }
);

#[derive(Clone, Debug, Default, PartialEq)]
struct PromptOperation {
    odata_type: Option<String>,
    status: Option<String>,
    prompts: Option<Vec<String>>,
    additional_properties: AdditionalProperties,
}
open_struct!(
    "test.promptOperation",
    PromptOperation {
        odata_type: "@odata.type",
        status: "status",
        prompts: "prompts"
    }
);

#[derive(Clone, Debug, PartialEq)]
enum Resource {
    Participant(Participant),
    Roster(Vec<Participant>),
    PromptOperation(PromptOperation),
    Operation(Operation),
    Unknown(Value),
}
open_resource!(
    Resource {
        Participant: odata("#test.participant").paths("/calls/{call-id}/me"),
        Roster: paths("/calls/{call-id}/roster", "/app/calls/{call-id}/roster").list(),
        PromptOperation: odata("#test.promptOperation"),
        Operation: paths("/calls/{call-id}/operations/{operation-id}").odata("#test.operation"),
    },
    Unknown
);

#[derive(Clone, Debug, Default, PartialEq)]
struct Notification {
    data: Option<Resource>,
    url: Option<String>,
    additional_properties: AdditionalProperties,
}
open_struct!(
    "test.notification",
    Notification {
        data: resource("data", url),
        url: "url"
    }
);

/// Parses `input` from text and from a `Value`, checks both agree and that writing it back gives
/// `input`, and returns the resource.
fn resource_of(input: Value) -> Option<Resource> {
    let from_text: Notification = serde_json::from_str(&input.to_string()).expect("parses");
    let from_value: Notification = serde_json::from_value(input.clone()).expect("parses");
    assert_eq!(from_text, from_value);
    assert_eq!(serde_json::to_value(&from_text).expect("serializes"), input);
    from_text.data
}

#[test]
fn a_resource_is_read_as_its_odata_type_says_wherever_the_url_is() {
    let prompt =
        json!({"@odata.type": "#test.promptOperation", "status": "completed", "prompts": ["a"]});
    for input in [
        json!({"url": "/calls/c1/operations/o1", "data": prompt}),
        json!({"data": prompt, "url": "/calls/c1/operations/o1"}),
        json!({"data": prompt}),
        json!({"data": prompt, "url": "/calls/c1/roster"}),
    ] {
        match resource_of(input.clone()) {
            Some(Resource::PromptOperation(op)) => {
                assert_eq!(op.prompts, Some(vec!["a".to_owned()]), "{input}")
            }
            other => panic!("{input}: {other:?}"),
        }
    }
    // `@odata.type` after other properties, or spelled with escapes, counts the same.
    let late = json!({"status": "running", "extra": {"@odata.type": "#test.participant"}, "@odata.type": "#test.promptOperation"});
    assert!(matches!(
        resource_of(json!({"data": late})),
        Some(Resource::PromptOperation(_))
    ));
    let escaped: Notification =
        serde_json::from_str(r##"{"data": {"@odata\u002etype": "#test.promptOperation"}}"##)
            .expect("parses");
    assert!(matches!(escaped.data, Some(Resource::PromptOperation(_))));
}

#[test]
fn without_a_known_odata_type_the_url_says_which_kind() {
    let future = json!({"@odata.type": "#test.futureOperation", "status": "completed", "new": 1});
    for url in [
        json!("/calls/c1/operations/o1"),
        json!("/CALLS/c1/operations/o1/"),
    ] {
        for input in [
            json!({"url": url, "data": future}),
            json!({"data": future, "url": url}),
        ] {
            match resource_of(input.clone()) {
                Some(Resource::Operation(op)) => {
                    assert_eq!(op.odata_type.as_deref(), Some("#test.futureOperation"));
                    assert_eq!(op.additional_properties["new"], json!(1));
                }
                other => panic!("{input}: {other:?}"),
            }
        }
    }
    let roster = json!([{"displayName": "Zoë"}, {"displayName": "李小龍", "extra": true}]);
    for url in ["/calls/c1/roster", "/app/calls/c1/roster"] {
        match resource_of(json!({"data": roster, "url": url})) {
            Some(Resource::Roster(people)) => assert_eq!(people.len(), 2),
            other => panic!("{url}: {other:?}"),
        }
    }
}

#[test]
fn a_resource_of_no_kind_or_of_another_shape_is_kept_as_it_came() {
    let cases = [
        json!({"data": {"a": 1}, "url": "/calls/c1/elsewhere"}),
        json!({"url": "/calls/c1/elsewhere", "data": {"@odata.type": "#test.future", "a": 1}}),
        json!({"data": {"a": 1}}),
        json!({"data": [1, 2], "url": "/calls/c1/operations/o1"}),
        json!({"url": "/calls/c1/operations/o1", "data": [1, 2]}),
        json!({"url": "/calls/c1/roster", "data": {"a": 1}}),
        json!({"data": [{"displayName": "Ødegård"}, null], "url": "/calls/c1/roster"}),
        json!({"url": "/calls/c1/roster", "data": [{"displayName": "Ødegård"}, null]}),
        json!({"data": "text", "url": "/calls/c1/me"}),
        json!({"data": 12.5}),
        json!({"data": {}}),
    ];
    for input in cases {
        let notification: Notification =
            serde_json::from_value(input.clone()).unwrap_or_else(|e| panic!("{input}: {e}"));
        match &notification.data {
            Some(Resource::Unknown(kept)) => assert_eq!(kept, &input["data"], "{input}"),
            other => panic!("{input}: {other:?}"),
        }
        assert_eq!(
            serde_json::to_value(&notification).expect("serializes"),
            input
        );
    }
}

#[test]
fn a_resource_of_a_known_kind_that_does_not_fit_its_type_does_not_fit() {
    let roster = json!([{"displayName": 7}]);
    let participant = json!({"@odata.type": "#test.participant", "displayName": 7});
    let untyped = json!({"displayName": 7});
    for input in [
        json!({"data": roster, "url": "/calls/c1/roster"}),
        json!({"url": "/calls/c1/roster", "data": roster}),
        json!({"data": participant}),
        json!({"url": "/calls/c1/roster", "data": participant}),
        json!({"data": untyped, "url": "/calls/c1/me"}),
        json!({"url": "/calls/c1/me", "data": untyped}),
    ] {
        let from_text = serde_json::from_str::<Notification>(&input.to_string());
        let from_value = serde_json::from_value::<Notification>(input.clone());
        assert!(from_text.is_err() && from_value.is_err(), "{input}");
    }
}

#[test]
fn a_null_or_missing_resource_is_none_and_a_null_is_kept() {
    assert_eq!(
        resource_of(json!({"data": null, "url": "/calls/c1/me"})),
        None
    );
    assert_eq!(resource_of(json!({"url": "/calls/c1/me"})), None);
    assert_eq!(resource_of(json!({})), None);
}

#[test]
fn a_resource_read_on_its_own_goes_by_its_odata_type() {
    let op: Resource =
        serde_json::from_value(json!({"@odata.type": "#test.operation"})).expect("parses");
    assert!(matches!(op, Resource::Operation(_)));
    let roster: Resource = serde_json::from_value(json!([{}])).expect("parses");
    assert_eq!(roster, Resource::Unknown(json!([{}])));
}
