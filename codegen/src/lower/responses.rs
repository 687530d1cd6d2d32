//! Responses and JSON bodies: documented statuses become success responses or typed error
//! statuses (`default` stands for `4XX` and `5XX`), and `application/json` content becomes a
//! named body type.

use indexmap::IndexMap;
use openapiv3::{MediaType, OpenAPI, Operation as OaOperation, StatusCode};

use super::normalize;
use super::refs;
use super::schemas::TypeSpace;
use crate::error::{Error, Result};
use crate::model::{ErrorClass, ErrorStatus, FieldType, SuccessResponse};
use crate::pointer::Pointer;

/// The responses of one operation.
pub(super) struct Responses {
    /// The success responses, in spec order.
    pub(super) success: Vec<SuccessResponse>,
    /// The body type every error response shares.
    pub(super) error_type: Option<String>,
    /// The statuses that carry `error_type`, sorted.
    pub(super) error_statuses: Vec<ErrorStatus>,
}

/// What a documented status stands for.
enum Documented {
    Success(u16),
    Errors(Vec<ErrorStatus>),
}

/// Lowers the responses of an operation at `at`; inline bodies are named after `name`.
pub(super) fn lower<'a>(
    doc: &'a OpenAPI,
    types: &mut TypeSpace<'a>,
    operation: &'a OaOperation,
    name: &str,
    at: &Pointer,
) -> Result<Responses> {
    let mut success = Vec::new();
    let mut error_type: Option<String> = None;
    let mut error_statuses = Vec::new();
    let responses = operation
        .responses
        .responses
        .iter()
        .map(|(status, response)| (Some(status), response))
        .chain(
            operation
                .responses
                .default
                .iter()
                .map(|response| (None, response)),
        );
    for (status, response) in responses {
        let label = status
            .map(|s| s.to_string())
            .unwrap_or_else(|| "default".to_owned());
        let response_at = at.join("responses").join(&label);
        let (response, resolved_at) = refs::resolve(doc, response, &response_at)?;
        let hint = format!("{name}Response{label}");
        let body = json_body_type(types, &response.content, &hint, &resolved_at)?;
        match documented(status, &response_at)? {
            Documented::Success(status) => success.push(SuccessResponse {
                status,
                body,
                doc: response.description.clone(),
            }),
            Documented::Errors(statuses) => {
                let Some(body) = body else {
                    return Err(Error::unsupported(
                        &response_at,
                        "an error response needs an `application/json` body, such as `$ref: '#/components/responses/error'`",
                    ));
                };
                if let Some(existing) = &error_type
                    && existing != &body
                {
                    return Err(Error::unsupported(
                        &response_at,
                        format!(
                            "every error response must have the same body type; this one is `{body}`, an earlier one `{existing}`"
                        ),
                    ));
                }
                error_type = Some(body);
                error_statuses.extend(statuses);
            }
        }
    }
    if success.is_empty() {
        return Err(Error::schema(
            &at.join("responses"),
            "the operation documents no success response; add one such as `'204': {description: Success}`",
        ));
    }
    error_statuses.sort();
    error_statuses.dedup();
    Ok(Responses {
        success,
        error_type,
        error_statuses,
    })
}

/// What the response documented under `status` (`None` for `default`) stands for.
fn documented(status: Option<&StatusCode>, at: &Pointer) -> Result<Documented> {
    let class = |class| Ok(Documented::Errors(vec![ErrorStatus::Class(class)]));
    match status {
        Some(StatusCode::Code(code @ 200..=299)) => Ok(Documented::Success(*code)),
        Some(StatusCode::Code(code @ 400..=599)) => {
            Ok(Documented::Errors(vec![ErrorStatus::Code(*code)]))
        }
        Some(StatusCode::Code(code)) => Err(Error::unsupported(
            at,
            format!("status {code} is not supported; document 2XX successes and 4XX/5XX errors"),
        )),
        Some(StatusCode::Range(2)) => Err(Error::unsupported(
            at,
            "a `2XX` range is not supported; list the success codes, such as `202` and `204`",
        )),
        Some(StatusCode::Range(4)) => class(ErrorClass::Client),
        Some(StatusCode::Range(5)) => class(ErrorClass::Server),
        Some(StatusCode::Range(other)) => Err(Error::unsupported(
            at,
            format!(
                "a `{other}XX` range is not supported; document 2XX successes and 4XX/5XX errors"
            ),
        )),
        None => Ok(Documented::Errors(vec![
            ErrorStatus::Class(ErrorClass::Client),
            ErrorStatus::Class(ErrorClass::Server),
        ])),
    }
}

/// The `application/json` content of a body, if there is such content.
pub(super) fn json_content(content: &IndexMap<String, MediaType>) -> Option<(&String, &MediaType)> {
    content.iter().find(|(media_type, _)| {
        let essence = media_type.split(';').next().unwrap_or("").trim();
        essence.eq_ignore_ascii_case("application/json")
            || essence.to_ascii_lowercase().ends_with("+json")
    })
}

/// The type of the `application/json` content, if there is such content.
pub(super) fn json_body_type<'a>(
    types: &mut TypeSpace<'a>,
    content: &'a IndexMap<String, MediaType>,
    hint: &str,
    at: &Pointer,
) -> Result<Option<String>> {
    let Some((media_type, media)) = json_content(content) else {
        if let Some(other) = content.keys().next() {
            return Err(Error::unsupported(
                &at.join("content").join(other),
                format!("the media type `{other}` is not supported; use `application/json`"),
            ));
        }
        return Ok(None);
    };
    let schema_at = at.join("content").join(media_type).join("schema");
    let Some(schema) = &media.schema else {
        return Err(Error::schema(&schema_at, "JSON content needs a `schema`"));
    };
    match types.field_type(normalize::normalize(schema), hint, &schema_at)? {
        FieldType::Named(name) => Ok(Some(name)),
        _ => Err(Error::unsupported(
            &schema_at,
            "a body must be an object; refer to a component schema or describe an object with `properties`",
        )),
    }
}
