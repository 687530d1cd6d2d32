//! Graph idioms, normalized: the several ways Microsoft's generators write "a nullable reference"
//! all become a plain reference, so the lowering sees one form.
//!
//! Recognized forms, where `X` is a `$ref`:
//! 1. `anyOf: [X, {type: object, nullable: true}]`
//! 2. `anyOf: [X, {nullable: true}]`
//! 3. `type: object, anyOf: [X], nullable: true`
//! 4. `anyOf: [X, {enum: [null]}]`
//!
//! The same holds for `oneOf`, and for a lone `allOf: [X]`.

use openapiv3::{ReferenceOr, Schema, SchemaKind, Type};

/// A schema with nullable wrappers removed.
#[derive(Clone, Copy)]
pub(super) enum Normalized<'a> {
    /// A reference to a named schema.
    Ref(&'a str),
    /// A schema to lower as it is.
    Inline(&'a Schema),
}

/// Normalizes a schema that may be a reference.
pub(super) fn normalize(schema: &ReferenceOr<Schema>) -> Normalized<'_> {
    match schema {
        ReferenceOr::Reference { reference } => Normalized::Ref(reference),
        ReferenceOr::Item(schema) => normalize_item(schema),
    }
}

/// Normalizes a boxed schema that may be a reference (object properties and array items).
pub(super) fn normalize_boxed(schema: &ReferenceOr<Box<Schema>>) -> Normalized<'_> {
    match schema {
        ReferenceOr::Reference { reference } => Normalized::Ref(reference),
        ReferenceOr::Item(schema) => normalize_item(schema),
    }
}

/// The description written next to a schema, even around a wrapped reference.
pub(super) fn description(schema: &ReferenceOr<Box<Schema>>) -> Option<&str> {
    match schema {
        ReferenceOr::Reference { .. } => None,
        ReferenceOr::Item(schema) => schema.schema_data.description.as_deref(),
    }
}

/// Whether a property's schema admits `null`: `nullable: true` on it, or a member of its `anyOf` or
/// `oneOf` that admits nothing but `null` (the nullable-reference idioms).
pub(super) fn nullable(schema: &ReferenceOr<Box<Schema>>) -> bool {
    let ReferenceOr::Item(schema) = schema else {
        return false;
    };
    let members = match &schema.schema_kind {
        SchemaKind::AnyOf { any_of } => any_of.as_slice(),
        SchemaKind::OneOf { one_of } => one_of.as_slice(),
        SchemaKind::Any(any) => match any.any_of.is_empty() {
            true => any.one_of.as_slice(),
            false => any.any_of.as_slice(),
        },
        _ => &[],
    };
    schema.schema_data.nullable
        || members.iter().any(|member| match member {
            ReferenceOr::Item(item) => is_null_only(item),
            ReferenceOr::Reference { .. } => false,
        })
}

fn normalize_item(schema: &Schema) -> Normalized<'_> {
    let members = match &schema.schema_kind {
        SchemaKind::AnyOf { any_of } => Some(any_of),
        SchemaKind::OneOf { one_of } => Some(one_of),
        SchemaKind::AllOf { all_of } if all_of.len() == 1 => Some(all_of),
        SchemaKind::Any(any) if any.properties.is_empty() && any.items.is_none() => {
            match (
                any.any_of.is_empty(),
                any.one_of.is_empty(),
                any.all_of.len(),
            ) {
                (false, true, 0) => Some(&any.any_of),
                (true, false, 0) => Some(&any.one_of),
                (true, true, 1) => Some(&any.all_of),
                _ => None,
            }
        }
        _ => None,
    };
    let Some(members) = members else {
        return Normalized::Inline(schema);
    };
    let mut references = members.iter().filter_map(|member| match member {
        ReferenceOr::Reference { reference } => Some(reference.as_str()),
        ReferenceOr::Item(_) => None,
    });
    let (Some(reference), None) = (references.next(), references.next()) else {
        return Normalized::Inline(schema);
    };
    let rest_is_null = members.iter().all(|member| match member {
        ReferenceOr::Reference { .. } => true,
        ReferenceOr::Item(item) => is_null_only(item),
    });
    if rest_is_null {
        Normalized::Ref(reference)
    } else {
        Normalized::Inline(schema)
    }
}

/// Whether a schema admits nothing but `null`: `{nullable: true}`, `{type: object, nullable: true}`
/// without properties, or `{enum: [null]}`.
pub(super) fn is_null_only(schema: &Schema) -> bool {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => {
            schema.schema_data.nullable
                && object.properties.is_empty()
                && object.additional_properties.is_none()
        }
        SchemaKind::Any(any) => {
            let only_null_enum = !any.enumeration.is_empty()
                && any.enumeration.iter().all(serde_json::Value::is_null);
            let shapeless = any.properties.is_empty()
                && any.items.is_none()
                && any.any_of.is_empty()
                && any.one_of.is_empty()
                && any.all_of.is_empty()
                && any.additional_properties.is_none()
                && matches!(any.typ.as_deref(), None | Some("object"));
            shapeless
                && (only_null_enum || (schema.schema_data.nullable && any.enumeration.is_empty()))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference_of(yaml: &str) -> Option<String> {
        let schema: ReferenceOr<Schema> = serde_saphyr::from_str(yaml).expect("test schema parses");
        match normalize(&schema) {
            Normalized::Ref(reference) => Some(reference.to_owned()),
            Normalized::Inline(_) => None,
        }
    }

    #[test]
    fn every_nullable_reference_idiom_becomes_a_reference() {
        let x = "'#/components/schemas/x'";
        let idioms = [
            format!("anyOf: [{{$ref: {x}}}, {{type: object, nullable: true}}]"),
            format!("anyOf: [{{$ref: {x}}}, {{nullable: true}}]"),
            format!("{{type: object, anyOf: [{{$ref: {x}}}], nullable: true}}"),
            format!("anyOf: [{{$ref: {x}}}, {{enum: [null]}}]"),
            format!("oneOf: [{{$ref: {x}}}, {{nullable: true}}]"),
            format!("allOf: [{{$ref: {x}}}]"),
            format!("$ref: {x}"),
        ];
        for idiom in idioms {
            assert_eq!(
                reference_of(&idiom).as_deref(),
                Some("#/components/schemas/x"),
                "{idiom}"
            );
        }
    }

    #[test]
    fn nullability_is_read_from_every_idiom() {
        let x = "'#/components/schemas/x'";
        let nullable = |yaml: &str| {
            let schema: ReferenceOr<Box<Schema>> =
                serde_saphyr::from_str(yaml).expect("test schema parses");
            super::nullable(&schema)
        };
        for idiom in [
            format!("anyOf: [{{$ref: {x}}}, {{type: object, nullable: true}}]"),
            format!("anyOf: [{{$ref: {x}}}, {{nullable: true}}]"),
            format!("{{type: object, anyOf: [{{$ref: {x}}}], nullable: true}}"),
            format!("anyOf: [{{$ref: {x}}}, {{enum: [null]}}]"),
            format!("oneOf: [{{$ref: {x}}}, {{nullable: true}}]"),
            "{type: string, nullable: true}".to_owned(),
        ] {
            assert!(nullable(&idiom), "{idiom}");
        }
        for plain in [
            format!("$ref: {x}"),
            format!("allOf: [{{$ref: {x}}}]"),
            "{type: string}".to_owned(),
            format!("anyOf: [{{$ref: {x}}}, {{type: string}}]"),
        ] {
            assert!(!nullable(&plain), "{plain}");
        }
    }

    #[test]
    fn real_unions_stay_inline() {
        let x = "'#/components/schemas/x'";
        let y = "'#/components/schemas/y'";
        for schema in [
            format!("anyOf: [{{$ref: {x}}}, {{$ref: {y}}}]"),
            format!("anyOf: [{{$ref: {x}}}, {{type: string}}]"),
            format!(
                "anyOf: [{{$ref: {x}}}, {{type: object, nullable: true, properties: {{a: {{type: string}}}}}}]"
            ),
        ] {
            assert_eq!(reference_of(&schema), None, "{schema}");
        }
    }
}
