//! The generated types describe the spec: for every component schema of `spec/graph-calls.yaml`
//! that the generator's model makes a type of, the JSON Schema derived from the Rust type (feature
//! `schemars`, `schemas::json_schemas`) has the spec's property names, JSON types, integer
//! formats, enum members, nullability, required properties and property descriptions, once the
//! spec's `$ref`s and `allOf` inheritance are resolved. A generator bug that drops, renames or
//! retypes a property fails here; the last tests prove it by breaking derived schemas.
//!
//! What the types admit beyond the spec is not a difference: an open enum admits any string, a
//! resource union anything, an object any other property. Graph's `@odata.type` is never required
//! (payloads omit it), and the nullability of array items is not compared: the spec marks most
//! referenced items nullable, and the types read no `null` items.

use std::collections::{BTreeMap, BTreeSet};

use msgraph_calls::runtime::schemars::Schema;
use msgraph_calls::runtime::schemars::generate::SchemaSettings;
use serde_json::Value;

/// A value's type, as both sides describe it: a component by name, anything inline by shape.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ty {
    /// Any JSON value.
    Any,
    Bool,
    /// An integer, with its format (`int32`, `int64`) where one is given.
    Integer(Option<String>),
    Number,
    String,
    Array(Box<Ty>),
    /// An object with arbitrary keys.
    Map(Box<Ty>),
    /// A component schema, by its name in the spec.
    Ref(String),
    /// A string enum's members.
    Enum(BTreeSet<String>),
    /// An object's properties.
    Object(BTreeMap<String, Property>),
    /// One of several values (a resource union).
    Union(BTreeSet<Ty>),
}

/// One property of an object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Property {
    ty: Ty,
    nullable: bool,
    required: bool,
    description: Option<String>,
}

/// The spec's side: an OpenAPI document as JSON.
struct Spec<'a> {
    document: &'a Value,
}

impl Spec<'_> {
    fn components(&self) -> &serde_json::Map<String, Value> {
        static EMPTY: std::sync::OnceLock<serde_json::Map<String, Value>> =
            std::sync::OnceLock::new();
        self.document["components"]["schemas"]
            .as_object()
            .unwrap_or_else(|| EMPTY.get_or_init(serde_json::Map::new))
    }

    /// The type of a schema.
    fn ty(&self, schema: &Value) -> Ty {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            return Ty::Ref(component_name(reference));
        }
        if let Some(resource) = schema.get("x-graph-resource") {
            return self.resource_union(resource);
        }
        let members = ["anyOf", "oneOf", "allOf"]
            .iter()
            .find_map(|key| schema.get(*key).and_then(Value::as_array));
        if let (Some(members), None) = (members, schema.get("properties")) {
            let kept: Vec<&Value> = members.iter().filter(|m| !is_null_only(m)).collect();
            let is_all_of = schema.get("allOf").is_some();
            return match kept.as_slice() {
                [one] => self.ty(one),
                _ if is_all_of => Ty::Object(self.object(schema)),
                _ => Ty::Any,
            };
        }
        if let Some(members) = schema.get("enum").and_then(Value::as_array) {
            return Ty::Enum(
                members
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
            );
        }
        let format = schema
            .get("format")
            .and_then(Value::as_str)
            .filter(|f| matches!(*f, "int32" | "int64"))
            .map(str::to_owned);
        match schema.get("type").and_then(Value::as_str) {
            Some("string") => Ty::String,
            Some("boolean") => Ty::Bool,
            Some("integer") => Ty::Integer(format),
            Some("number") if format.is_some() => Ty::Integer(format),
            Some("number") => Ty::Number,
            Some("array") => Ty::Array(Box::new(
                schema.get("items").map_or(Ty::Any, |items| self.ty(items)),
            )),
            Some("object") | None if schema.get("properties").is_some() => {
                Ty::Object(self.object(schema))
            }
            Some("object") => match schema.get("additionalProperties") {
                Some(value) if value.is_object() => Ty::Map(Box::new(self.ty(value))),
                _ => Ty::Map(Box::new(Ty::Any)),
            },
            _ => Ty::Any,
        }
    }

    /// The properties of an object schema, with those of the components it inherits (`allOf`)
    /// first; a redeclared property replaces the inherited one and keeps its description if it
    /// has none.
    fn object(&self, schema: &Value) -> BTreeMap<String, Property> {
        let mut properties = BTreeMap::new();
        for member in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let member = match member.get("$ref").and_then(Value::as_str) {
                Some(reference) => &self.components()[&component_name(reference)],
                None => member,
            };
            for (wire, property) in self.object(member) {
                merge(&mut properties, wire, property);
            }
        }
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for (wire, property) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let nullable = property.get("nullable") == Some(&Value::Bool(true))
                || ["anyOf", "oneOf"].iter().any(|key| {
                    property
                        .get(*key)
                        .and_then(Value::as_array)
                        .is_some_and(|members| members.iter().any(is_null_only))
                });
            let property = Property {
                ty: self.ty(property),
                nullable,
                required: required.contains(&wire.as_str()) && wire != "@odata.type",
                description: description(property),
            };
            merge(&mut properties, wire.clone(), property);
        }
        properties
    }

    /// An `x-graph-resource` union: each kind's schema, and the derived schemas of its mapping.
    fn resource_union(&self, resource: &Value) -> Ty {
        let mut kinds = BTreeSet::new();
        for kind in resource["kinds"].as_array().into_iter().flatten() {
            kinds.insert(self.ty(&kind["schema"]));
            for target in kind
                .get("mapping")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|m| m.values())
            {
                if let Some(reference) = target.as_str() {
                    kinds.insert(Ty::Ref(component_name(reference)));
                }
            }
        }
        Ty::Union(kinds)
    }
}

fn merge(properties: &mut BTreeMap<String, Property>, wire: String, mut property: Property) {
    if let Some(inherited) = properties.get(&wire)
        && property.description.is_none()
    {
        property.description.clone_from(&inherited.description);
    }
    properties.insert(wire, property);
}

fn component_name(reference: &str) -> String {
    reference
        .strip_prefix("#/components/schemas/")
        .unwrap_or(reference)
        .to_owned()
}

fn description(schema: &Value) -> Option<String> {
    schema
        .get("description")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
}

/// `{nullable: true}`, `{type: object, nullable: true}` without properties, or `{enum: [null]}`.
fn is_null_only(schema: &Value) -> bool {
    let only_null_enum = schema
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|members| !members.is_empty() && members.iter().all(Value::is_null));
    let nullable_shapeless = schema.get("nullable") == Some(&Value::Bool(true))
        && schema.get("properties").is_none()
        && schema.get("$ref").is_none()
        && matches!(
            schema.get("type").and_then(Value::as_str),
            None | Some("object")
        );
    only_null_enum || nullable_shapeless
}

/// The Rust side: a JSON Schema 2020-12 document derived from a type, its definitions under
/// `$defs`. A definition named like a component schema stands for it; any other (a type named
/// after an inline schema) is read by shape.
struct Derived<'a> {
    definitions: &'a serde_json::Map<String, Value>,
    components: &'a serde_json::Map<String, Value>,
}

impl Derived<'_> {
    fn ty(&self, schema: &Value, depth: usize) -> Ty {
        if depth > 32 {
            return Ty::Any;
        }
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let name = reference.strip_prefix("#/$defs/").unwrap_or(reference);
            if self.components.contains_key(name) {
                return Ty::Ref(name.to_owned());
            }
            return match self.definitions.get(name) {
                Some(definition) => self.ty(definition, depth + 1),
                None => Ty::Ref(format!("(missing definition {name})")),
            };
        }
        if let Some(members) = schema.get("anyOf").and_then(Value::as_array) {
            return self.any_of(members, depth);
        }
        let types: Vec<&str> = match schema.get("type") {
            Some(Value::String(ty)) => vec![ty.as_str()],
            Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let types: Vec<&str> = types.into_iter().filter(|t| *t != "null").collect();
        let format = schema
            .get("format")
            .and_then(Value::as_str)
            .map(str::to_owned);
        match types.as_slice() {
            ["string"] => match schema.get("enum").and_then(Value::as_array) {
                Some(members) => Ty::Enum(
                    members
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect(),
                ),
                None => Ty::String,
            },
            ["boolean"] => Ty::Bool,
            ["integer"] => Ty::Integer(format),
            ["number"] => Ty::Number,
            ["array"] => Ty::Array(Box::new(
                schema
                    .get("items")
                    .map_or(Ty::Any, |items| self.ty(items, depth + 1)),
            )),
            ["object"] if schema.get("properties").is_some() => {
                Ty::Object(self.object(schema, depth))
            }
            ["object"] => match schema.get("additionalProperties") {
                Some(value) if value.is_object() => Ty::Map(Box::new(self.ty(value, depth + 1))),
                _ => Ty::Map(Box::new(Ty::Any)),
            },
            _ => Ty::Any,
        }
    }

    /// An open enum (`[{enum}, {type: string}]`), a nullable value (`[x, {type: null}]`) or a
    /// resource union (its kinds, then anything).
    fn any_of(&self, members: &[Value], depth: usize) -> Ty {
        let kept: Vec<Ty> = members
            .iter()
            .filter(|m| m.get("type").and_then(Value::as_str) != Some("null"))
            .map(|m| self.ty(m, depth + 1))
            .collect();
        match kept.as_slice() {
            [one] => one.clone(),
            [Ty::Enum(members), Ty::String] => Ty::Enum(members.clone()),
            _ => Ty::Union(kept.into_iter().filter(|t| *t != Ty::Any).collect()),
        }
    }

    fn object(&self, schema: &Value, depth: usize) -> BTreeMap<String, Property> {
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut properties = BTreeMap::new();
        for (wire, property) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let nullable = match property.get("type") {
                Some(Value::Array(types)) => types.iter().any(|t| t == "null"),
                _ => property
                    .get("anyOf")
                    .and_then(Value::as_array)
                    .is_some_and(|members| members.iter().any(|m| m["type"] == "null")),
            };
            properties.insert(
                wire.clone(),
                Property {
                    ty: self.ty(property, depth + 1),
                    nullable,
                    required: required.contains(&wire.as_str()),
                    description: description(property),
                },
            );
        }
        properties
    }
}

/// Every difference between the spec's component schemas and the schemas `derived` from the
/// types, one line each. `types` are the component schemas the model makes types of.
fn differences(
    document: &Value,
    types: &BTreeSet<String>,
    derived: &[(&'static str, Schema)],
) -> Vec<String> {
    let spec = Spec { document };
    let mut differences = Vec::new();
    let registry: BTreeSet<String> = derived.iter().map(|(name, _)| (*name).to_owned()).collect();
    for missing in types.difference(&registry) {
        differences.push(format!(
            "{missing}: a type of the model has no derived schema"
        ));
    }
    for extra in registry.difference(types) {
        differences.push(format!(
            "{extra}: a derived schema names no type of the model"
        ));
    }
    for (name, schema) in derived {
        let Some(component) = spec.components().get(*name) else {
            differences.push(format!("{name}: no such component schema in the spec"));
            continue;
        };
        let empty = serde_json::Map::new();
        let value = schema.as_value();
        let rust = Derived {
            definitions: value
                .get("$defs")
                .and_then(Value::as_object)
                .unwrap_or(&empty),
            components: spec.components(),
        };
        let spec_ty = match spec.ty(component) {
            Ty::Ref(_) | Ty::Map(_) => Ty::Object(spec.object(component)),
            other => other,
        };
        compare(name, &spec_ty, &rust.ty(value, 0), &mut differences);
    }
    differences
}

/// Adds what differs between the spec's `expected` and the derived `actual` at `at`.
fn compare(at: &str, expected: &Ty, actual: &Ty, differences: &mut Vec<String>) {
    match (expected, actual) {
        (Ty::Object(expected), Ty::Object(actual)) => {
            for (wire, want) in expected {
                let Some(got) = actual.get(wire) else {
                    differences.push(format!("{at}: property `{wire}` is missing from the type"));
                    continue;
                };
                let here = format!("{at}.{wire}");
                compare(&here, &want.ty, &got.ty, differences);
                if want.nullable != got.nullable {
                    differences.push(format!(
                        "{here}: the spec says nullable: {}, the type says {}",
                        want.nullable, got.nullable
                    ));
                }
                if want.required != got.required {
                    differences.push(format!(
                        "{here}: the spec says required: {}, the type says {}",
                        want.required, got.required
                    ));
                }
                if want.description.is_some() && want.description != got.description {
                    differences.push(format!(
                        "{here}: the spec's description {:?} is not the type's {:?}",
                        want.description, got.description
                    ));
                }
            }
            for wire in actual.keys().filter(|wire| !expected.contains_key(*wire)) {
                differences.push(format!("{at}: property `{wire}` is not in the spec"));
            }
        }
        (Ty::Array(expected), Ty::Array(actual)) | (Ty::Map(expected), Ty::Map(actual)) => {
            compare(&format!("{at}[]"), expected, actual, differences);
        }
        (Ty::Enum(expected), Ty::Enum(actual)) if expected != actual => {
            differences.push(format!(
                "{at}: enum members differ: only in the spec {:?}, only in the type {:?}",
                expected.difference(actual).collect::<Vec<_>>(),
                actual.difference(expected).collect::<Vec<_>>(),
            ));
        }
        (Ty::Integer(Some(_)), Ty::Integer(_)) | (Ty::Union(_), Ty::Union(_))
            if expected != actual =>
        {
            differences.push(format!(
                "{at}: the spec says {expected:?}, the type says {actual:?}"
            ));
        }
        (Ty::Integer(_), Ty::Integer(_)) => {}
        _ if expected != actual => {
            differences.push(format!(
                "{at}: the spec says {}, the type says {}",
                shape(expected),
                shape(actual)
            ));
        }
        _ => {}
    }
}

/// A short name of a type's shape for messages.
fn shape(ty: &Ty) -> String {
    match ty {
        Ty::Ref(name) => format!("`{name}`"),
        Ty::Array(item) => format!("an array of {}", shape(item)),
        Ty::Map(value) => format!("a map of {}", shape(value)),
        Ty::Object(_) => "an inline object".to_owned(),
        Ty::Enum(_) => "an inline enum".to_owned(),
        Ty::Integer(Some(format)) => format!("an integer ({format})"),
        Ty::Integer(None) => "an integer".to_owned(),
        Ty::Bool => "a boolean".to_owned(),
        Ty::Number => "a number".to_owned(),
        Ty::String => "a string".to_owned(),
        Ty::Any => "any value".to_owned(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// The project's spec as JSON, and the component schemas the generator's model makes types of.
fn spec_and_types() -> (Value, BTreeSet<String>) {
    let path = tests::workspace_root().join("spec/graph-calls.yaml");
    let text = std::fs::read_to_string(&path).expect("the spec is readable");
    let document: Value = serde_saphyr::from_str(&text).expect("the spec is YAML");
    let api = codegen::parse(&text, &codegen::Settings::new()).expect("the spec lowers");
    let types = api
        .types
        .values()
        .filter_map(|def| def.spec_name.clone())
        .collect();
    (document, types)
}

fn derived_schemas() -> Vec<(&'static str, Schema)> {
    msgraph_calls::schemas::json_schemas(&SchemaSettings::draft2020_12())
}

#[test]
fn every_component_type_has_the_schema_the_spec_gives_it() {
    let (document, types) = spec_and_types();
    assert!(!types.is_empty(), "the model has no component types");
    let differences = differences(&document, &types, &derived_schemas());
    assert!(
        differences.is_empty(),
        "the types differ from the spec:\n{}",
        differences.join("\n")
    );
}

/// Every object or string-enum component schema of the spec becomes a type; those are what the
/// comparison above covers.
#[test]
fn every_object_and_enum_component_is_a_type() {
    let (document, types) = spec_and_types();
    let spec = Spec {
        document: &document,
    };
    let untyped: Vec<&String> = spec
        .components()
        .iter()
        .filter(|(_, schema)| {
            schema.get("properties").is_some()
                || schema.get("allOf").is_some()
                || schema["type"] == "object"
                || (schema.get("enum").is_some() && schema["type"] == "string")
        })
        .map(|(name, _)| name)
        .filter(|name| !types.contains(*name))
        .collect();
    assert!(untyped.is_empty(), "no type for {untyped:?}");
}

/// The schemas say what the spec says of descriptions, open enums and nullable references.
#[test]
fn schemas_carry_descriptions_open_enums_and_nullability() {
    let derived = derived_schemas();
    let call = &derived
        .iter()
        .find(|(name, _)| *name == "microsoft.graph.call")
        .expect("a call schema")
        .1;
    let subject = &call.as_value()["properties"]["subject"];
    assert_eq!(subject["description"], "The subject of the conversation.");
    assert_eq!(subject["type"], serde_json::json!(["string", "null"]));
    let state = &call.as_value()["$defs"]["microsoft.graph.callState"];
    assert_eq!(
        state["anyOf"][1]["type"], "string",
        "unknown members: {state}"
    );
    assert!(
        state["anyOf"][0]["enum"]
            .as_array()
            .is_some_and(|members| members.iter().any(|m| m == "incoming")),
        "{state}"
    );

    // The OpenAPI 3.0 flavour says `nullable` and keeps definitions under `components/schemas`.
    let openapi = msgraph_calls::schemas::json_schemas(&SchemaSettings::openapi3());
    let call = &openapi
        .iter()
        .find(|(name, _)| *name == "microsoft.graph.call")
        .expect("a call schema")
        .1;
    let subject = &call.as_value()["properties"]["subject"];
    assert_eq!(subject["type"], "string", "{subject}");
    assert_eq!(subject["nullable"], true, "{subject}");
    assert!(
        call.as_value()["components"]["schemas"]["microsoft.graph.callState"].is_object(),
        "{call:?}"
    );
}

/// Breaks one derived schema with `edit` and returns the differences found.
fn differences_after(component: &str, edit: impl FnOnce(&mut Value)) -> Vec<String> {
    let (document, types) = spec_and_types();
    let mut derived = derived_schemas();
    let (_, schema) = derived
        .iter_mut()
        .find(|(name, _)| *name == component)
        .expect("the component has a derived schema");
    let mut value = schema.as_value().clone();
    edit(&mut value);
    *schema = Schema::try_from(value).expect("still a schema");
    differences(&document, &types, &derived)
}

#[test]
fn a_dropped_property_is_found() {
    let differences = differences_after("microsoft.graph.call", |schema| {
        schema["properties"]
            .as_object_mut()
            .expect("properties")
            .shift_remove("callbackUri");
    });
    assert_eq!(
        differences,
        ["microsoft.graph.call: property `callbackUri` is missing from the type"]
    );
}

#[test]
fn a_retyped_property_is_found() {
    let differences = differences_after("microsoft.graph.call", |schema| {
        schema["properties"]["subject"]["type"] = serde_json::json!(["integer", "null"]);
    });
    assert_eq!(
        differences,
        ["microsoft.graph.call.subject: the spec says a string, the type says an integer"]
    );
}

#[test]
fn a_dropped_enum_member_and_a_lost_null_are_found() {
    let differences = differences_after("microsoft.graph.callState", |schema| {
        schema["anyOf"][0]["enum"]
            .as_array_mut()
            .expect("members")
            .retain(|m| m != "incoming");
    });
    assert_eq!(
        differences,
        [
            "microsoft.graph.callState: enum members differ: only in the spec [\"incoming\"], only in the type []"
        ]
    );
    let differences = differences_after("microsoft.graph.call", |schema| {
        schema["properties"]["subject"]["type"] = "string".into();
    });
    assert_eq!(
        differences,
        ["microsoft.graph.call.subject: the spec says nullable: true, the type says false"]
    );
}
