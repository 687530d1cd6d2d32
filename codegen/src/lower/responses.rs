//! Responses: documented statuses become success responses (codes and `2XX`), informational and
//! redirection responses (`1XX`, `3XX`), or the statuses that carry the error body (codes,
//! `4XX`/`5XX`, and `default` for every status not otherwise documented); bodies are read by media
//! type in `media`.

use openapiv3::{OpenAPI, Operation as OaOperation, StatusCode};

use super::media::{self, Unhandled};
use super::refs;
use super::schemas::TypeSpace;
use crate::error::{Error, Result};
use crate::model::{
    Content, ErrorClass, ErrorStatus, OtherClass, OtherResponse, OtherStatus, SuccessResponse,
    SuccessStatus,
};
use crate::pointer::Pointer;

/// The responses of one operation.
pub(super) struct Responses {
    /// The success responses, in spec order.
    pub(super) success: Vec<SuccessResponse>,
    /// The informational and redirection responses, in spec order.
    pub(super) other: Vec<OtherResponse>,
    /// The body type every error response shares.
    pub(super) error_type: Option<String>,
    /// The statuses that carry `error_type`, sorted.
    pub(super) error_statuses: Vec<ErrorStatus>,
}

/// The first response of the operation at `at` whose body the generator cannot handle, if any.
pub(super) fn unhandled(
    doc: &OpenAPI,
    operation: &OaOperation,
    at: &Pointer,
) -> Result<Option<Unhandled>> {
    for (label, response) in labelled(operation) {
        let (response, resolved_at) =
            refs::resolve(doc, response, &at.join("responses").join(&label))?;
        if let Some(unhandled) = media::unhandled(doc, &response.content, &resolved_at, false)? {
            return Ok(Some(unhandled));
        }
    }
    Ok(None)
}

/// The responses of an operation with the status each is documented under, `default` last.
fn labelled(
    operation: &OaOperation,
) -> impl Iterator<Item = (String, &openapiv3::ReferenceOr<openapiv3::Response>)> {
    let statuses = operation
        .responses
        .responses
        .iter()
        .map(|(status, response)| (status.to_string(), response));
    let default = operation
        .responses
        .default
        .iter()
        .map(|response| ("default".to_owned(), response));
    statuses.chain(default)
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
    let mut other = Vec::new();
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
        let body = media::content(types, &response.content, &hint, &resolved_at, false)?;
        match documented(status, &response_at)? {
            Documented::Success(status) => success.push(SuccessResponse {
                status,
                body,
                doc: response.description.clone(),
            }),
            Documented::Other(status) => other.push(OtherResponse {
                status,
                body,
                doc: response.description.clone(),
            }),
            Documented::Errors(status) => {
                let Some(Content::Json(body)) = body else {
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
                error_statuses.push(status);
            }
        }
    }
    if success.is_empty() {
        return Err(Error::schema(
            &at.join("responses"),
            "the operation documents no success response; add one such as `'204': {description: Success}` or `2XX`",
        ));
    }
    error_statuses.sort();
    error_statuses.dedup();
    Ok(Responses {
        success,
        other,
        error_type,
        error_statuses,
    })
}

/// What a documented status stands for.
enum Documented {
    Success(SuccessStatus),
    Other(OtherStatus),
    Errors(ErrorStatus),
}

/// What the response documented under `status` (`None` for `default`) stands for.
fn documented(status: Option<&StatusCode>, at: &Pointer) -> Result<Documented> {
    let class = |class| Ok(Documented::Errors(ErrorStatus::Class(class)));
    match status {
        Some(StatusCode::Code(code @ 200..=299)) => {
            Ok(Documented::Success(SuccessStatus::Code(*code)))
        }
        Some(StatusCode::Code(code @ 400..=599)) => {
            Ok(Documented::Errors(ErrorStatus::Code(*code)))
        }
        Some(StatusCode::Code(code @ (100..=199 | 300..=399))) => {
            Ok(Documented::Other(OtherStatus::Code(*code)))
        }
        Some(StatusCode::Code(code)) => Err(Error::schema(
            at,
            format!("status {code} is no HTTP status; document statuses from 100 to 599"),
        )),
        Some(StatusCode::Range(1)) => Ok(Documented::Other(OtherStatus::Range(
            OtherClass::Informational,
        ))),
        Some(StatusCode::Range(2)) => Ok(Documented::Success(SuccessStatus::Range)),
        Some(StatusCode::Range(3)) => Ok(Documented::Other(OtherStatus::Range(
            OtherClass::Redirection,
        ))),
        Some(StatusCode::Range(4)) => class(ErrorClass::Client),
        Some(StatusCode::Range(5)) => class(ErrorClass::Server),
        Some(StatusCode::Range(other)) => Err(Error::schema(
            at,
            format!("`{other}XX` is no HTTP status range; document `1XX` to `5XX`"),
        )),
        None => Ok(Documented::Errors(ErrorStatus::Default)),
    }
}
