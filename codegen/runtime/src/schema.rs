//! JSON Schemas of generated types (feature `schemars`), built with `schemars` from what the spec
//! says of each type. A generated `schemas` module implements `JsonSchema` for every type with
//! these builders, one line per property or member.
//!
//! The schemas say what the types admit, which is what the spec promises and more, since every
//! type is open:
//! - An open struct is an object of its properties, by wire name, each with the spec's
//!   description; a property is nullable where the spec says so; other properties are allowed
//!   (`additionalProperties` is left unset), since they are kept.
//! - An open enum is `anyOf: [{type: string, enum: [known members]}, {type: string}]`: the known
//!   members as an enum, and any other string, which is kept as an unknown member.
//! - A resource union is `anyOf` its kinds (a `$ref`, or an array of them), then `{}` for a
//!   resource of no kind it knows, which is kept as it came.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::{Map, Value};

/// `JsonSchema` for a generated type: `type_schema!("spec.name", Type, |generator| { body })`, where
/// `body` builds the schema with `generator` (with [`ObjectSchema`], [`enum_schema`] or
/// [`UnionSchema`]). The schema is named as the spec names the type, and identified by the type's
/// path, so that two generated crates' types never share an id.
///
/// Exported at the root of whichever crate compiles this file, it names what it needs as
/// `$crate::__private`, which both the runtime crate and a crate vendoring it provide.
#[doc(hidden)]
#[macro_export]
macro_rules! type_schema {
    ($spec_name:literal, $name:ident, |$generator:ident| $body:block) => {
        impl $crate::__private::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed($spec_name)
            }

            fn schema_id() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(::std::concat!(
                    ::std::module_path!(),
                    "::",
                    ::std::stringify!($name)
                ))
            }

            fn json_schema(
                $generator: &mut $crate::__private::schemars::SchemaGenerator,
            ) -> $crate::__private::schemars::Schema $body
        }
    };
}

/// The schema of an open struct, one property at a time in spec order: `let mut object =
/// ObjectSchema::new(generator, "doc"); object.optional::<String>("subject", "doc");
/// object.finish()`.
pub struct ObjectSchema<'g> {
    generator: &'g mut SchemaGenerator,
    description: &'static str,
    properties: Map<String, Value>,
    required: Vec<Value>,
}

impl<'g> ObjectSchema<'g> {
    /// An object described by `description` (none if empty), with no properties yet.
    pub fn new(generator: &'g mut SchemaGenerator, description: &'static str) -> Self {
        Self {
            generator,
            description,
            properties: Map::new(),
            required: Vec::new(),
        }
    }

    /// A property that must be present, holding a `T`.
    pub fn required<T: JsonSchema>(&mut self, wire: &'static str, description: &'static str) {
        let schema = self.generator.subschema_for::<T>();
        self.required.push(wire.into());
        self.property(wire, schema, description);
    }

    /// A property that may be missing, holding a `T` where present.
    pub fn optional<T: JsonSchema>(&mut self, wire: &'static str, description: &'static str) {
        let schema = self.generator.subschema_for::<T>();
        self.property(wire, schema, description);
    }

    /// A property that may be missing or `null`, holding a `T` otherwise.
    pub fn nullable<T: JsonSchema>(&mut self, wire: &'static str, description: &'static str) {
        let schema = self.generator.subschema_for::<Option<T>>();
        self.property(wire, schema, description);
    }

    fn property(&mut self, wire: &'static str, schema: Schema, description: &'static str) {
        self.properties
            .insert(wire.to_owned(), describe(schema, description).to_value());
    }

    /// The object's schema.
    pub fn finish(self) -> Schema {
        let mut schema = json_schema!({ "type": "object", "properties": self.properties });
        if !self.required.is_empty() {
            schema.insert("required".to_owned(), Value::Array(self.required));
        }
        describe(schema, self.description)
    }
}

/// The schema of an open enum: its known members, or any other string.
pub fn enum_schema(description: &'static str, members: &[&'static str]) -> Schema {
    let schema = json_schema!({
        "anyOf": [
            { "type": "string", "enum": members },
            {
                "type": "string",
                "description": "A member this version does not know, kept as it came; known members are also matched without regard to ASCII case."
            }
        ]
    });
    describe(schema, description)
}

/// The schema of a resource union, one kind at a time: `let mut union = UnionSchema::new(generator,
/// "doc"); union.kind::<Call>(); union.kind::<Vec<Participant>>(); union.finish()`.
pub struct UnionSchema<'g> {
    generator: &'g mut SchemaGenerator,
    description: &'static str,
    kinds: Vec<Value>,
}

impl<'g> UnionSchema<'g> {
    /// A union described by `description` (none if empty), with no kinds yet.
    pub fn new(generator: &'g mut SchemaGenerator, description: &'static str) -> Self {
        Self {
            generator,
            description,
            kinds: Vec::new(),
        }
    }

    /// A kind of resource, a value of `T`.
    pub fn kind<T: JsonSchema>(&mut self) {
        let schema = self.generator.subschema_for::<T>();
        self.kinds.push(schema.to_value());
    }

    /// The union's schema: its kinds, then anything else.
    pub fn finish(mut self) -> Schema {
        self.kinds.push(
            json_schema!({
                "description": "A resource of none of these kinds, kept as it came."
            })
            .to_value(),
        );
        describe(json_schema!({ "anyOf": self.kinds }), self.description)
    }
}

/// `schema` with `description`, unless that is empty.
fn describe(mut schema: Schema, description: &str) -> Schema {
    if !description.is_empty() {
        schema.insert("description".to_owned(), description.into());
    }
    schema
}

/// The schema of `T` as a document of its own, with the schemas it refers to in its definitions.
pub fn root_schema<T: JsonSchema>(settings: &schemars::generate::SchemaSettings) -> Schema {
    settings
        .clone()
        .into_generator()
        .into_root_schema_for::<T>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_lists_its_properties_by_wire_name() {
        let mut generator = SchemaGenerator::default();
        let mut object = ObjectSchema::new(&mut generator, "A thing.");
        object.required::<String>("id", "");
        object.optional::<i32>("count", "How many.");
        object.nullable::<bool>("isOn", "");
        let schema = object.finish();
        assert_eq!(
            schema.to_value(),
            serde_json::json!({
                "type": "object",
                "properties": {
                    "id": { "type": "string" },
                    "count": { "type": "integer", "format": "int32", "description": "How many." },
                    "isOn": { "type": ["boolean", "null"] }
                },
                "required": ["id"],
                "description": "A thing."
            })
        );
    }

    #[test]
    fn an_enum_admits_unknown_members() {
        let schema = enum_schema("", &["a", "b"]).to_value();
        assert_eq!(schema["anyOf"][0]["enum"], serde_json::json!(["a", "b"]));
        assert_eq!(schema["anyOf"][1]["type"], "string");
    }

    #[test]
    fn a_union_admits_anything_after_its_kinds() {
        let mut generator = SchemaGenerator::default();
        let mut union = UnionSchema::new(&mut generator, "");
        union.kind::<Vec<String>>();
        let schema = union.finish().to_value();
        assert_eq!(schema["anyOf"][0]["type"], "array");
        assert!(schema["anyOf"][1].get("type").is_none());
    }
}
