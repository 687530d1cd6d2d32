//! Property tests of losslessness: for every generated type, arbitrary JSON values of its schema
//! (the JSON Schema the `schemars` feature derives, which `schemas.rs` holds to the spec) — with
//! unknown properties, `@odata.*` annotations, explicit nulls, unknown enum members and the OData
//! types of derived kinds — parse into the type, write back out and parse again unchanged.
//!
//! A shrunk failure is added to [`REGRESSIONS`], which runs before the random cases.

use std::collections::BTreeSet;
use std::fmt::Debug;

use msgraph_calls::runtime::schemars;
use msgraph_calls::types::*;
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Just, Union};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Cases per type; the types are many, so each gets a modest number. `PROPTEST_CASES` sets
/// another, for a longer run.
const CASES: u32 = 48;

/// How deep values nest before only required properties are written.
const DEPTH: u32 = 3;

/// Inputs that once failed, by type: `(spec name, JSON text)`.
const REGRESSIONS: &[(&str, &str)] = &[];

/// One generated type under test.
struct Subject {
    name: &'static str,
    schema: fn() -> Value,
    round_trip: fn(&str) -> Result<(), TestCaseError>,
}

macro_rules! subjects {
    ($($ty:ident),* $(,)?) => {
        &[$(Subject {
            name: stringify!($ty),
            schema: || serde_json::to_value(schemars::schema_for!($ty)).expect("a schema"),
            round_trip: round_trip::<$ty>,
        }),*]
    };
}

const SUBJECTS: &[Subject] = subjects![
    AppHostedMediaConfig,
    AudioRoutingGroup,
    AutoAdmittedUsersType,
    AzureCommunicationServicesUserIdentity,
    Call,
    CallDirection,
    CallMediaState,
    CallOptions,
    CallRoute,
    CallState,
    CallTranscriptionInfo,
    CallTranscriptionState,
    CancelMediaProcessingOperation,
    ChangeType,
    ChatInfo,
    CommsNotification,
    CommsNotificationResourceData,
    CommsNotifications,
    CommsOperation,
    CommunicationsApplicationIdentity,
    CommunicationsApplicationInstanceIdentity,
    CommunicationsEncryptedIdentity,
    CommunicationsGuestIdentity,
    CommunicationsIdentitySet,
    CommunicationsPhoneIdentity,
    CommunicationsUserIdentity,
    ContentSharingSession,
    EndpointType,
    Entity,
    ErrorDetails,
    Identity,
    IdentitySet,
    IncomingCallOptions,
    IncomingContext,
    InnerError,
    InvitationParticipantInfo,
    InviteParticipantsOperation,
    JoinMeetingIdMeetingInfo,
    MainError,
    MediaConfig,
    MediaDirection,
    MediaInfo,
    MediaState,
    MediaStream,
    MeetingCapability,
    MeetingInfo,
    Modality,
    MuteParticipantOperation,
    ODataError,
    OnlineMeetingContentSharingDisabledReason,
    OnlineMeetingRestricted,
    OnlineMeetingVideoDisabledReason,
    OperationStatus,
    OrganizerMeetingInfo,
    OutgoingCallOptions,
    Participant,
    ParticipantInfo,
    PlayPromptCompletionReason,
    PlayPromptOperation,
    RecordCompletionReason,
    RecordOperation,
    RecordingInfo,
    RecordingStatus,
    RejectReason,
    RejectRequestBody,
    RemovedState,
    ResultInfo,
    RoutingMode,
    RoutingPolicy,
    RoutingType,
    ServiceHostedMediaConfig,
    SubscribeToToneOperation,
    TokenMeetingInfo,
    Tone,
    ToneInfo,
    UpdateRecordingStatusOperation,
];

/// Parses `text` into `T`, writes it out and checks that the JSON is what `text` holds, and that
/// it parses into the same value again.
fn round_trip<T>(text: &str) -> Result<(), TestCaseError>
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let sent: Value = serde_json::from_str(text).expect("generated JSON parses");
    let typed: T = serde_json::from_str(text)
        .map_err(|err| TestCaseError::fail(format!("does not parse: {err}")))?;
    let written = serde_json::to_string(&typed).expect("writes out");
    let read: Value = serde_json::from_str(&written).expect("written JSON parses");
    prop_assert_eq!(&sent, &read, "written back: {}", written);
    let again: T = serde_json::from_str(&written)
        .map_err(|err| TestCaseError::fail(format!("the written text does not parse: {err}")))?;
    prop_assert_eq!(typed, again);
    Ok(())
}

#[test]
fn every_generated_type_survives_a_round_trip_of_arbitrary_values() {
    let odata_types = odata_types();
    let mut failures = Vec::new();
    for subject in SUBJECTS {
        for (name, text) in REGRESSIONS {
            if *name == subject.name
                && let Err(err) = (subject.round_trip)(text)
            {
                failures.push(format!("{}: regression {text}: {err}", subject.name));
            }
        }
        let schema = (subject.schema)();
        let defs = schema
            .get("$defs")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let generator = Generator {
            defs: &defs,
            odata_types: &odata_types,
        };
        let strategy = generator
            .value(&schema, DEPTH)
            .prop_map(|value| value.to_string());
        let cases = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|cases| cases.parse().ok())
            .unwrap_or(CASES);
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        if let Err(err) = runner.run(&strategy, |text| (subject.round_trip)(&text)) {
            failures.push(format!("{}: {err}", subject.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_type_of_the_generated_crate_is_a_subject() {
    let types = tests::read("generated/src/types.rs");
    let declared: BTreeSet<&str> = types
        .lines()
        .filter_map(|line| {
            let rest = line
                .strip_prefix("pub struct ")
                .or_else(|| line.strip_prefix("pub enum "))?;
            rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                .next()
        })
        .collect();
    let subjects: BTreeSet<&str> = SUBJECTS.iter().map(|s| s.name).collect();
    assert_eq!(declared, subjects);
}

#[test]
fn a_lossy_round_trip_fails_the_property() {
    // The check itself can fail: a type that drops what it does not know loses the unknown
    // property, and the property says so.
    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Closed {
        name: Option<String>,
    }
    assert!(round_trip::<Closed>(r#"{"name":"a","extra":1}"#).is_err());
    assert!(round_trip::<Closed>(r#"{"name":"a"}"#).is_ok());
}

/// The OData types of the spec's component schemas (`#microsoft.graph.call`, ...), so that values
/// sometimes name a derived kind.
fn odata_types() -> Vec<String> {
    msgraph_calls::schemas::json_schemas(&schemars::generate::SchemaSettings::default())
        .into_iter()
        .map(|(name, _)| format!("#{name}"))
        .collect()
}

/// Makes strategies of JSON values from a JSON Schema with `$defs`.
struct Generator<'a> {
    defs: &'a Map<String, Value>,
    odata_types: &'a [String],
}

impl Generator<'_> {
    fn value(&self, schema: &Value, depth: u32) -> BoxedStrategy<Value> {
        let Some(object) = schema.as_object() else {
            // `true`: anything.
            return any_json(depth);
        };
        if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
            let name = reference.trim_start_matches("#/$defs/");
            let target = self
                .defs
                .get(name)
                .unwrap_or_else(|| panic!("no definition {reference}"));
            return self.value(target, depth.saturating_sub(1));
        }
        if let Some(branches) = object
            .get("anyOf")
            .or_else(|| object.get("oneOf"))
            .and_then(Value::as_array)
        {
            return self.any_of(branches, depth);
        }
        if let Some(members) = object.get("enum").and_then(Value::as_array) {
            return Union::new(members.iter().cloned().map(Just)).boxed();
        }
        match object.get("type") {
            Some(Value::Array(types)) => {
                let branches: Vec<Value> = types
                    .iter()
                    .map(|ty| {
                        let mut branch = object.clone();
                        branch.insert("type".to_owned(), ty.clone());
                        Value::Object(branch)
                    })
                    .collect();
                self.any_of(&branches, depth)
            }
            Some(Value::String(ty)) => self.typed(ty, object, depth),
            _ => any_json(depth),
        }
    }

    fn any_of(&self, branches: &[Value], depth: u32) -> BoxedStrategy<Value> {
        // An open enum: its known members, or a string that matches none of them.
        let known: Option<Vec<String>> = branches.iter().find_map(|branch| {
            let members = branch.get("enum")?.as_array()?;
            Some(
                members
                    .iter()
                    .filter_map(|m| m.as_str().map(str::to_owned))
                    .collect(),
            )
        });
        let strategies: Vec<BoxedStrategy<Value>> = branches
            .iter()
            .map(|branch| match &known {
                Some(known) if branch.get("enum").is_none() && branch["type"] == "string" => {
                    unknown_member(known.clone())
                }
                _ => self.value(branch, depth),
            })
            .collect();
        Union::new(strategies).boxed()
    }

    fn typed(&self, ty: &str, object: &Map<String, Value>, depth: u32) -> BoxedStrategy<Value> {
        match ty {
            "null" => Just(Value::Null).boxed(),
            "boolean" => any::<bool>().prop_map(Value::from).boxed(),
            "integer" => integer(object),
            "number" => (-1.0e9f64..1.0e9).prop_map(Value::from).boxed(),
            "string" => string(),
            "array" => {
                let items = object.get("items").cloned().unwrap_or(Value::Bool(true));
                let max = if depth == 0 { 1 } else { 3 };
                proptest::collection::vec(self.value(&items, depth.saturating_sub(1)), 0..max)
                    .prop_map(Value::Array)
                    .boxed()
            }
            "object" => self.object(object, depth),
            other => panic!("no strategy for type {other}"),
        }
    }

    fn object(&self, object: &Map<String, Value>, depth: u32) -> BoxedStrategy<Value> {
        let required: BTreeSet<String> = object
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(|n| n.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let properties = object
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let known: BTreeSet<String> = properties.keys().cloned().collect();
        let mut fields: Vec<BoxedStrategy<Option<(String, Value)>>> = Vec::new();
        for (name, schema) in &properties {
            let value = if name == "@odata.type" {
                self.odata_type()
            } else if name == "resourceUrl" {
                resource_url()
            } else {
                self.value(schema, depth)
            };
            let name = name.clone();
            fields.push(if required.contains(&name) {
                value.prop_map(move |v| Some((name.clone(), v))).boxed()
            } else if depth == 0 {
                Just(None).boxed()
            } else {
                let with_null = name.clone();
                prop_oneof![
                    3 => Just(None),
                    4 => value.prop_map(move |v| Some((name.clone(), v))),
                    1 => Just(Some((with_null, Value::Null))),
                ]
                .boxed()
            });
        }
        let extras: BoxedStrategy<Vec<(String, Value)>> = match object.get("additionalProperties") {
            Some(Value::Bool(false)) => Just(Vec::new()).boxed(),
            Some(schema @ Value::Object(_)) => proptest::collection::vec(
                ("[a-z]{1,6}", self.value(schema, depth.saturating_sub(1))),
                0..3,
            )
            .boxed(),
            _ => extra_properties(known.clone(), depth),
        };
        (fields, extras)
            .prop_map(|(fields, extras)| {
                let mut map = Map::new();
                for (name, value) in extras {
                    map.insert(name, value);
                }
                for (name, value) in fields.into_iter().flatten() {
                    map.insert(name, value);
                }
                Value::Object(map)
            })
            .boxed()
    }

    /// An `@odata.type`: one of the spec's types, or a type this version does not know.
    fn odata_type(&self) -> BoxedStrategy<Value> {
        let known = self.odata_types.to_vec();
        prop_oneof![
            3 => proptest::sample::select(known).prop_map(Value::from),
            1 => "#[a-z.]{1,12}".prop_map(Value::from),
        ]
        .boxed()
    }
}

/// A notification's `resourceUrl`: one of the shapes that say which kind its resource is, or any
/// string.
fn resource_url() -> BoxedStrategy<Value> {
    prop_oneof![
        "/communications/calls/[0-9a-f-]{1,8}",
        "/app/calls/[0-9a-f-]{1,8}",
        "/communications/calls/[0-9a-f-]{1,8}/operations/[0-9a-f-]{1,8}",
        "/communications/calls/[0-9a-f-]{1,8}/participants",
        "/communications/calls/[0-9a-f-]{1,8}/audioRoutingGroups/[a-z]{1,4}",
        "[ -~]{0,12}",
    ]
    .prop_map(Value::from)
    .boxed()
}

/// Properties a type does not name: plain ones and `@odata.*` annotations, with any JSON.
fn extra_properties(known: BTreeSet<String>, depth: u32) -> BoxedStrategy<Vec<(String, Value)>> {
    let name = prop_oneof![
        "x[a-zA-Z0-9]{0,8}",
        "@odata\\.(etag|id|context|nextLink)",
        "[a-z]{1,6}@odata\\.(type|etag)",
    ];
    proptest::collection::vec((name, any_json(depth.min(2))), 0..3)
        .prop_map(move |extras| {
            extras
                .into_iter()
                .filter(|(name, _)| !known.contains(name))
                .collect()
        })
        .boxed()
}

/// A string that is none of `known`, even without regard to ASCII case.
fn unknown_member(known: Vec<String>) -> BoxedStrategy<Value> {
    "[a-zA-Z][a-zA-Z0-9]{0,12}"
        .prop_filter("a known member", move |s: &String| {
            !known.iter().any(|k| k.eq_ignore_ascii_case(s))
        })
        .prop_map(Value::from)
        .boxed()
}

fn string() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => "[ -~]{0,16}",
        1 => "\\PC{0,8}",
    ]
    .prop_map(Value::from)
    .boxed()
}

fn integer(object: &Map<String, Value>) -> BoxedStrategy<Value> {
    let min = object.get("minimum").and_then(Value::as_i64);
    let max = object.get("maximum").and_then(Value::as_i64);
    let (low, high) = match object.get("format").and_then(Value::as_str) {
        Some("int8") => (i64::from(i8::MIN), i64::from(i8::MAX)),
        Some("uint8") => (0, i64::from(u8::MAX)),
        Some("int16") => (i64::from(i16::MIN), i64::from(i16::MAX)),
        Some("int32") => (i64::from(i32::MIN), i64::from(i32::MAX)),
        _ => (i64::MIN, i64::MAX),
    };
    let low = min.map_or(low, |m| m.max(low));
    let high = max.map_or(high, |m| m.min(high));
    (low..=high).prop_map(Value::from).boxed()
}

/// Any JSON value, nesting at most `depth` deep.
fn any_json(depth: u32) -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1.0e6f64..1.0e6).prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(depth, 16, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z@.]{1,6}", inner, 0..3)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
    .boxed()
}

#[test]
fn the_generator_writes_values_of_the_schema() {
    // A sanity check of the generator: an incoming call's values are objects.
    let schema = serde_json::to_value(schemars::schema_for!(Call)).expect("schema");
    let defs = schema["$defs"].as_object().cloned().unwrap_or_default();
    let odata_types = odata_types();
    let generator = Generator {
        defs: &defs,
        odata_types: &odata_types,
    };
    let mut runner = TestRunner::default();
    let tree = generator
        .value(&schema, DEPTH)
        .new_tree(&mut runner)
        .expect("a value");
    assert!(tree.current().is_object(), "{}", tree.current());
}
