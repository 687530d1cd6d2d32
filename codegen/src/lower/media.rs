//! Bodies by media type: `application/json` (and `+json`) becomes a named type, `text/plain` a
//! value written as text (a number, a boolean or a string, such as the integer of a `$count`), and
//! `application/octet-stream` bytes. A body in no media type the generator handles leaves its
//! operation out, with a warning, rather than failing the document.

use indexmap::IndexMap;
use openapiv3::{MediaType, OpenAPI, Schema, SchemaKind, Type};

use super::normalize::{self, Normalized};
use super::refs;
use super::schemas::TypeSpace;
use crate::error::{Error, Result};
use crate::model::{Content, FieldType};
use crate::pointer::Pointer;

/// A body the generator cannot handle: where it is and its media type.
pub(super) struct Unhandled {
    /// The content of that media type.
    pub(super) pointer: Pointer,
    /// The media type, or what is wrong with its schema.
    pub(super) what: String,
}

impl Unhandled {
    /// The warning for the operation `operation_id`, which is left out.
    pub(super) fn warning(self, operation_id: &str) -> crate::model::Warning {
        crate::model::Warning {
            pointer: self.pointer.to_string(),
            message: format!(
                "the operation `{operation_id}` is left out: {}; the generator handles \
                 `application/json`, `text/plain` responses of numbers, booleans and strings, and \
                 `application/octet-stream`",
                self.what
            ),
        }
    }
}

/// Which handled media type a name is.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Media {
    Json,
    Bytes,
    Text,
}

fn media(name: &str) -> Option<Media> {
    let essence = name
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => Some(Media::Json),
        "application/octet-stream" => Some(Media::Bytes),
        "text/plain" => Some(Media::Text),
        other if other.ends_with("+json") => Some(Media::Json),
        _ => None,
    }
}

/// The handled content of a body: the preferred of its media types (JSON, then bytes, then text;
/// no text for a request), if any.
fn chosen(
    content: &IndexMap<String, MediaType>,
    request: bool,
) -> Option<(Media, &String, &MediaType)> {
    content
        .iter()
        .filter_map(|(name, media_type)| Some((media(name)?, name, media_type)))
        .filter(|(kind, _, _)| !(request && *kind == Media::Text))
        .min_by_key(|(kind, _, _)| *kind)
}

/// Why the generator cannot handle the body whose content is at `at`, if it cannot: none of its
/// media types is handled, or its text is not a scalar. Read before anything is lowered, so that an
/// operation left out leaves no trace.
pub(super) fn unhandled(
    doc: &OpenAPI,
    content: &IndexMap<String, MediaType>,
    at: &Pointer,
    request: bool,
) -> Result<Option<Unhandled>> {
    let Some((kind, name, media_type)) = chosen(content, request) else {
        return Ok(content.keys().next().map(|other| {
            let what = match media(other) {
                Some(Media::Text) => format!("a `{other}` request body is not supported"),
                _ => format!("the media type `{other}` is not supported"),
            };
            Unhandled {
                pointer: at.join("content").join(other),
                what,
            }
        }));
    };
    if kind != Media::Text {
        return Ok(None);
    }
    let schema_at = at.join("content").join(name).join("schema");
    let scalar = match media_type.schema.as_ref().map(normalize::normalize) {
        None => true,
        Some(Normalized::Inline(schema)) => is_scalar(schema),
        Some(Normalized::Ref(reference)) => {
            let target = refs::target::<Schema>(reference, &schema_at)?;
            match refs::component::<Schema>(doc, &target)? {
                Some((schema, _)) => is_scalar(schema),
                None => return Err(refs::dangling::<Schema>(reference, &target, &schema_at)),
            }
        }
    };
    Ok((!scalar).then(|| Unhandled {
        pointer: schema_at,
        what: format!("its `{name}` schema is not a number, a boolean or a string"),
    }))
}

/// Whether a schema is a number, a boolean or a string without an enum.
fn is_scalar(schema: &Schema) -> bool {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(string)) => string.enumeration.is_empty(),
        SchemaKind::Type(Type::Integer(_) | Type::Number(_) | Type::Boolean(_)) => true,
        _ => false,
    }
}

/// What a body holds, `None` for no content. Inline types are named after `hint`.
pub(super) fn content<'a>(
    types: &mut TypeSpace<'a>,
    content: &'a IndexMap<String, MediaType>,
    hint: &str,
    at: &Pointer,
    request: bool,
) -> Result<Option<Content>> {
    let Some((kind, name, media_type)) = chosen(content, request) else {
        return match content.keys().next() {
            Some(other) => Err(Error::unsupported(
                &at.join("content").join(other),
                format!("the media type `{other}` is not supported"),
            )),
            None => Ok(None),
        };
    };
    let schema_at = at.join("content").join(name).join("schema");
    let schema = media_type.schema.as_ref();
    Ok(Some(match kind {
        Media::Bytes => Content::Bytes,
        Media::Json => {
            let Some(schema) = schema else {
                return Err(Error::schema(&schema_at, "JSON content needs a `schema`"));
            };
            match types.field_type(normalize::normalize(schema), hint, &schema_at)? {
                FieldType::Named(name) => Content::Json(name),
                _ => {
                    return Err(Error::unsupported(
                        &schema_at,
                        "a JSON body must be a named type; refer to a component schema or \
                         describe an object with `properties`",
                    ));
                }
            }
        }
        Media::Text => Content::Text(match schema {
            Some(schema) => types.field_type(normalize::normalize(schema), hint, &schema_at)?,
            None => FieldType::String,
        }),
    }))
}

/// The `application/json` content of a body, if there is such content.
pub(super) fn json_content(content: &IndexMap<String, MediaType>) -> Option<(&String, &MediaType)> {
    content
        .iter()
        .find(|(name, _)| media(name) == Some(Media::Json))
}
