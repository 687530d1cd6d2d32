//! Properties to fields: the type of every value, the checks a server applies to strings, and
//! the merging of inherited and redeclared properties.

use std::collections::BTreeSet;

use openapiv3::{ReferenceOr, Schema, SchemaKind, Type, VariantOrUnknownOrEmpty};

use super::normalize::{self, Normalized};
use super::resources::RESOURCE;
use super::schemas::TypeSpace;
use crate::error::{Error, Result};
use crate::ident;
use crate::model::{Field, FieldType, StringChecks, StructDef};
use crate::pointer::Pointer;

/// The property that names a Graph type on the wire. Graph lists it as required, but payloads omit it.
const ODATA_TYPE: &str = "@odata.type";

/// The properties of an object schema and the names of the required ones.
#[derive(Clone, Copy)]
pub(super) struct Object<'a> {
    properties: &'a indexmap::IndexMap<String, ReferenceOr<Box<Schema>>>,
    required: &'a [String],
}

impl<'a> Object<'a> {
    pub(super) fn new(
        properties: &'a indexmap::IndexMap<String, ReferenceOr<Box<Schema>>>,
        required: &'a [String],
    ) -> Self {
        Self {
            properties,
            required,
        }
    }
}

impl<'a> TypeSpace<'a> {
    /// Adds the properties of the object schema at `at` to `fields`; inline types are named after
    /// `owner`. A resource union's URL property must be among them or inherited.
    pub(super) fn add_properties(
        &mut self,
        fields: &mut FieldsBuilder,
        object: Object<'a>,
        owner: &str,
        at: &Pointer,
    ) -> Result<()> {
        let mut resources = Vec::new();
        for (wire_name, schema) in object.properties {
            let property_at = at.join("properties").join(wire_name);
            let hint = format!("{owner}{}", ident::variant_name(wire_name));
            let normalized = normalize::normalize_boxed(schema);
            let ty = match schema {
                ReferenceOr::Item(union) if union.schema_data.extensions.contains_key(RESOURCE) => {
                    if object.required.contains(wire_name) {
                        return Err(Error::unsupported(
                            &property_at,
                            "a resource union is never required; remove it from `required`",
                        ));
                    }
                    let (ty, url_property) = self.resource_union(union, &hint, &property_at)?;
                    resources.push((url_property, property_at.clone()));
                    ty
                }
                _ => self.field_type(normalized, &hint, &property_at)?,
            };
            let inline = match normalized {
                Normalized::Inline(inner) => Some(inner),
                Normalized::Ref(_) => None,
            };
            let doc = normalize::description(schema)
                .or_else(|| inline.and_then(|inner| inner.schema_data.description.as_deref()))
                .map(str::to_owned);
            let checks = match (&ty, inline) {
                (FieldType::String, Some(inner)) => string_checks(inner, &property_at)?,
                _ => StringChecks::default(),
            };
            fields.push(Property {
                wire_name: wire_name.clone(),
                doc,
                ty,
                required: object.required.contains(wire_name) && wire_name != ODATA_TYPE,
                nullable: normalize::nullable(schema),
                checks,
            });
        }
        for (url_property, at) in resources {
            if !fields.has_string(&url_property) {
                return Err(Error::schema(
                    &at.join(RESOURCE).join("urlProperty"),
                    format!(
                        "`{url_property}` is no string property of this object; name the sibling \
                         property that says where the resource is, such as `resourceUrl`"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The type of a value; inline objects with properties and inline enums become named types
    /// called after `hint`.
    pub(super) fn field_type(
        &mut self,
        schema: Normalized<'a>,
        hint: &str,
        at: &Pointer,
    ) -> Result<FieldType> {
        let schema = match schema {
            Normalized::Ref(reference) => {
                return Ok(FieldType::Named(self.resolve_schema_ref(reference, at)?));
            }
            Normalized::Inline(schema) => schema,
        };
        Ok(match &schema.schema_kind {
            SchemaKind::Type(Type::String(string)) if !string.enumeration.is_empty() => {
                self.inline_type(schema, hint, at)?
            }
            SchemaKind::Type(Type::String(_)) => FieldType::String,
            SchemaKind::Type(Type::Boolean(_)) => FieldType::Bool,
            SchemaKind::Type(Type::Integer(integer)) => integer_type(format_name(&integer.format)),
            SchemaKind::Type(Type::Number(number)) => match format_name(&number.format) {
                format @ Some(_) => integer_type(format),
                None => FieldType::F64,
            },
            SchemaKind::Type(Type::Array(array)) => {
                let item_at = at.join("items");
                let item = match &array.items {
                    Some(items) => {
                        self.field_type(normalize::normalize_boxed(items), hint, &item_at)?
                    }
                    None => FieldType::Json,
                };
                FieldType::Array(Box::new(item))
            }
            SchemaKind::Type(Type::Object(object)) if !object.properties.is_empty() => {
                self.inline_type(schema, hint, at)?
            }
            SchemaKind::Type(Type::Object(object)) => match &object.additional_properties {
                Some(openapiv3::AdditionalProperties::Schema(value)) => {
                    let value_at = at.join("additionalProperties");
                    FieldType::Map(Box::new(self.field_type(
                        normalize::normalize(value),
                        hint,
                        &value_at,
                    )?))
                }
                _ => FieldType::Map(Box::new(FieldType::Json)),
            },
            SchemaKind::Any(any) if !any.properties.is_empty() || !any.all_of.is_empty() => {
                self.inline_type(schema, hint, at)?
            }
            SchemaKind::Any(any) if !any.enumeration.is_empty() => {
                self.inline_type(schema, hint, at)?
            }
            _ => FieldType::Json,
        })
    }
}

/// The checks a string schema asks for: its `pattern`, which must compile with the `regex` crate the
/// server checks it with, and `format: uri`.
fn string_checks(schema: &Schema, at: &Pointer) -> Result<StringChecks> {
    let SchemaKind::Type(Type::String(string)) = &schema.schema_kind else {
        return Ok(StringChecks::default());
    };
    if let Some(pattern) = &string.pattern
        && let Err(err) = regex::Regex::new(pattern)
    {
        return Err(Error::unsupported(
            &at.join("pattern"),
            format!(
                "the pattern `{pattern}` cannot be checked: {err}; write it in the syntax of \
                 Rust's `regex` crate (no look-around or back-references) or remove it"
            ),
        ));
    }
    let uri = matches!(&string.format, VariantOrUnknownOrEmpty::Unknown(format) if format == "uri");
    Ok(StringChecks {
        pattern: string.pattern.clone(),
        uri,
    })
}

/// The integer type of an integer format; `int64` for none.
fn integer_type(format: Option<&str>) -> FieldType {
    match format {
        Some("int8") => FieldType::I8,
        Some("uint8") => FieldType::U8,
        Some("int16") => FieldType::I16,
        Some("int32") => FieldType::I32,
        _ => FieldType::I64,
    }
}

/// The integer format of a schema, if it has one.
fn format_name<T: std::fmt::Debug>(format: &VariantOrUnknownOrEmpty<T>) -> Option<&'static str> {
    match format {
        VariantOrUnknownOrEmpty::Unknown(name) => match name.as_str() {
            "int8" => Some("int8"),
            "uint8" => Some("uint8"),
            "int16" => Some("int16"),
            "int32" => Some("int32"),
            "int64" => Some("int64"),
            _ => None,
        },
        VariantOrUnknownOrEmpty::Item(item) => match format!("{item:?}").as_str() {
            "Int32" => Some("int32"),
            "Int64" => Some("int64"),
            _ => None,
        },
        VariantOrUnknownOrEmpty::Empty => None,
    }
}

/// A property before it gets its Rust name.
struct Property {
    wire_name: String,
    doc: Option<String>,
    ty: FieldType,
    required: bool,
    nullable: bool,
    checks: StringChecks,
}

/// Fields collected from a type and its bases; a property a derived type redeclares replaces the
/// inherited one in place. Rust names are given once every property is known.
#[derive(Default)]
pub(super) struct FieldsBuilder {
    properties: Vec<Property>,
}

impl FieldsBuilder {
    /// Adds the fields of a base type.
    pub(super) fn extend_inherited(&mut self, fields: &[Field]) {
        for field in fields {
            self.push(Property {
                wire_name: field.wire_name.clone(),
                doc: field.doc.clone(),
                ty: field.ty.clone(),
                required: field.required,
                nullable: field.nullable,
                checks: field.checks.clone(),
            });
        }
    }

    /// Whether a property named `wire_name` holds a string.
    fn has_string(&self, wire_name: &str) -> bool {
        self.properties
            .iter()
            .any(|p| p.wire_name == wire_name && p.ty == FieldType::String)
    }

    fn push(&mut self, property: Property) {
        match self
            .properties
            .iter_mut()
            .find(|p| p.wire_name == property.wire_name)
        {
            Some(existing) => {
                let doc = property.doc.or_else(|| existing.doc.take());
                *existing = Property { doc, ..property };
            }
            None => self.properties.push(property),
        }
    }

    /// The struct, with a unique Rust name for every field.
    pub(super) fn finish(self, bases: Vec<String>) -> StructDef {
        let mut taken = BTreeSet::from(["additional_properties".to_owned()]);
        let fields = self
            .properties
            .into_iter()
            .map(|p| Field {
                name: ident::unique(ident::field_name(&p.wire_name), &mut taken),
                wire_name: p.wire_name,
                doc: p.doc,
                ty: p.ty,
                required: p.required,
                nullable: p.nullable,
                checks: p.checks,
            })
            .collect();
        StructDef {
            fields,
            odata_type: None,
            bases,
        }
    }
}
