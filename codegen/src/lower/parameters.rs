//! Parameters: the path item's and the operation's merged as OpenAPI says (an operation's parameter
//! replaces the path item's of the same name and location), `$ref`s into `#/components/parameters`
//! resolved, and query and header parameters lowered into the model with their types and ranges.

use std::collections::BTreeSet;

use openapiv3::{OpenAPI, Parameter, ParameterSchemaOrContent, QueryStyle, SchemaKind, Type};

use super::normalize::{self, Normalized};
use super::operations::Site;
use super::refs;
use super::schemas::TypeSpace;
use crate::error::{Error, Result};
use crate::ident;
use crate::model::{FieldType, Param, ParamLocation, TypeKind};
use crate::pointer::Pointer;

/// Headers that OpenAPI says a parameter may not describe: such a parameter is ignored.
const IGNORED_HEADERS: &[&str] = &["accept", "content-type", "authorization"];

/// Every parameter of the operation at `site`, resolved, with where it is: the path item's in spec
/// order, each replaced in place by an operation parameter of the same name and location, then the
/// operation's own.
pub(super) fn merged<'a>(
    doc: &'a OpenAPI,
    site: &Site<'a>,
) -> Result<Vec<(&'a Parameter, Pointer)>> {
    let path_at = Pointer::root().join("paths").join(site.template);
    let declared = site
        .item
        .parameters
        .iter()
        .enumerate()
        .map(|(i, p)| (p, path_at.join("parameters").join(i.to_string())))
        .chain(
            site.operation
                .parameters
                .iter()
                .enumerate()
                .map(|(i, p)| (p, site.at.join("parameters").join(i.to_string()))),
        );
    let mut merged: Vec<(&Parameter, Pointer)> = Vec::new();
    for (parameter, at) in declared {
        let (parameter, at) = refs::resolve(doc, parameter, &at)?;
        let key = key(parameter);
        match merged.iter_mut().find(|(p, _)| self::key(p) == key) {
            Some(slot) => *slot = (parameter, at),
            None => merged.push((parameter, at)),
        }
    }
    Ok(merged)
}

/// What identifies a parameter: its location and name (header names without regard to case).
fn key(parameter: &Parameter) -> (&'static str, String) {
    let name = &parameter.parameter_data_ref().name;
    match parameter {
        Parameter::Query { .. } => ("query", name.clone()),
        Parameter::Header { .. } => ("header", name.to_ascii_lowercase()),
        Parameter::Path { .. } => ("path", name.clone()),
        Parameter::Cookie { .. } => ("cookie", name.clone()),
    }
}

/// The query and header parameters among `parameters`; a cookie parameter or a form the generator
/// cannot send and read is an error. `operation` names inline enums, and `taken` holds the Rust
/// names already used by the path parameters.
pub(super) fn lower<'a>(
    types: &mut TypeSpace<'a>,
    parameters: &[(&'a Parameter, Pointer)],
    operation: &str,
    mut taken: BTreeSet<String>,
) -> Result<Vec<Param>> {
    let mut params = Vec::new();
    for (parameter, at) in parameters {
        let data = parameter.parameter_data_ref();
        let location = match parameter {
            Parameter::Path { .. } => continue,
            Parameter::Query {
                style: QueryStyle::Form,
                ..
            } => ParamLocation::Query,
            Parameter::Query { style, .. } => {
                return Err(Error::unsupported(
                    &at.join("style"),
                    format!(
                        "the query parameter `{}` has `style: {}`; only `style: form` is supported (a scalar, or an array with `explode: false`, sent as one comma-separated value)",
                        data.name,
                        query_style(style)
                    ),
                ));
            }
            Parameter::Header { .. } => ParamLocation::Header,
            Parameter::Cookie { .. } => {
                return Err(Error::unsupported(
                    at,
                    format!(
                        "the cookie parameter `{}` is not supported; send the value as a header or query parameter instead",
                        data.name
                    ),
                ));
            }
        };
        if location == ParamLocation::Header {
            if IGNORED_HEADERS.contains(&data.name.to_ascii_lowercase().as_str()) {
                // OpenAPI: such a header parameter "SHALL be ignored".
                continue;
            }
            if data.name.is_empty() || !data.name.bytes().all(is_token_byte) {
                return Err(Error::schema(
                    &at.join("name"),
                    format!(
                        "`{}` is not a valid header name; use letters, digits and `-`",
                        data.name
                    ),
                ));
            }
        }
        let schema = match &data.format {
            ParameterSchemaOrContent::Schema(schema) => schema,
            ParameterSchemaOrContent::Content(_) => {
                return Err(Error::unsupported(
                    &at.join("content"),
                    format!(
                        "the parameter `{}` is described by `content`; describe it with `schema` instead",
                        data.name
                    ),
                ));
            }
        };
        let schema_at = at.join("schema");
        let hint = format!(
            "{}{}",
            ident::variant_name(operation),
            ident::variant_name(&data.name)
        );
        let normalized = normalize::normalize(schema);
        let ty = types.field_type(normalized, &hint, &schema_at)?;
        check_type(types, &ty, location, data.explode, &data.name, &schema_at)?;
        let (minimum, maximum) = range(normalized);
        params.push(Param {
            location,
            wire_name: data.name.clone(),
            name: ident::unique(ident::field_name(&data.name), &mut taken),
            doc: data.description.clone(),
            ty,
            required: data.required,
            minimum,
            maximum,
        });
    }
    Ok(params)
}

/// Whether the type can be sent and read at `location`: a scalar or a string enum, or, in the
/// query, an array of them with `explode: false`.
fn check_type(
    types: &TypeSpace<'_>,
    ty: &FieldType,
    location: ParamLocation,
    explode: Option<bool>,
    name: &str,
    at: &Pointer,
) -> Result<()> {
    let scalar = |ty: &FieldType| match ty {
        FieldType::String | FieldType::Bool | FieldType::I32 | FieldType::I64 | FieldType::F64 => {
            true
        }
        FieldType::Named(name) => {
            matches!(
                types.types().get(name).map(|t| &t.kind),
                Some(TypeKind::Enum(_))
            )
        }
        _ => false,
    };
    let where_ = location.as_str();
    match ty {
        ty if scalar(ty) => Ok(()),
        FieldType::Array(item) if location == ParamLocation::Query && scalar(item) => {
            if explode == Some(false) {
                Ok(())
            } else {
                Err(Error::unsupported(
                    at,
                    format!(
                        "the array query parameter `{name}` is exploded (repeated keys); only comma lists are supported: add `style: form` and `explode: false`"
                    ),
                ))
            }
        }
        _ => Err(Error::unsupported(
            at,
            format!(
                "the {where_} parameter `{name}` has a type the generator cannot send as a {where_} parameter; use a string, integer, number, boolean or string enum{}",
                if location == ParamLocation::Query {
                    ", or an array of one of these with `explode: false`"
                } else {
                    ""
                }
            ),
        )),
    }
}

/// The inclusive integer range of an inline integer schema, or of the items of an inline array.
fn range(schema: Normalized<'_>) -> (Option<i64>, Option<i64>) {
    let Normalized::Inline(schema) = schema else {
        return (None, None);
    };
    match &schema.schema_kind {
        SchemaKind::Type(Type::Integer(integer)) => (
            integer
                .minimum
                .map(|min| min.saturating_add(i64::from(integer.exclusive_minimum))),
            integer
                .maximum
                .map(|max| max.saturating_sub(i64::from(integer.exclusive_maximum))),
        ),
        SchemaKind::Type(Type::Array(array)) => match &array.items {
            Some(items) => range(normalize::normalize_boxed(items)),
            None => (None, None),
        },
        _ => (None, None),
    }
}

fn query_style(style: &QueryStyle) -> &'static str {
    match style {
        QueryStyle::Form => "form",
        QueryStyle::SpaceDelimited => "spaceDelimited",
        QueryStyle::PipeDelimited => "pipeDelimited",
        QueryStyle::DeepObject => "deepObject",
    }
}

/// Whether `byte` may appear in a header name (an RFC 9110 token).
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}
