//! Open structs and open enums as generated code declares them: nothing is lost in a round-trip
//! (unknown properties, explicit `null`s, unknown enum members), enums match without regard to
//! case, and required properties are required.

use msgraph_calls_runtime::__private::{open_enum, open_struct};
use msgraph_calls_runtime::OpenEnum;
use serde_json::{Value, json};

#[derive(Clone, Debug, Default, PartialEq)]
struct Participant {
    odata_type: Option<String>,
    display_name: Option<String>,
    key: Option<i64>,
    reason: Option<Reason>,
    additional_properties: serde_json::Map<String, Value>,
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
    additional_properties: serde_json::Map<String, Value>,
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
