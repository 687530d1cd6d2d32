//! Operations: one per `operationId`, with the deprecated paths that name it through
//! `x-graph-same-operation-as`, its path parameters, request body and responses.

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::{OpenAPI, Operation as OaOperation, Parameter, PathItem, ReferenceOr};

use super::media;
use super::names;
use super::parameters;
use super::refs;
use super::responses;
use super::schemas::TypeSpace;
use crate::error::{Error, Result};
use crate::ident;
use crate::model::{HttpMethod, Operation, OperationPath, PathParam, RequestBody, Warning};
use crate::pointer::Pointer;

/// The extension that names the operation a deprecated alias path serves.
const SAME_OPERATION_AS: &str = "x-graph-same-operation-as";

/// One operation as the spec writes it: at a path, under a method.
pub(super) struct Site<'a> {
    /// The path template.
    pub(super) template: &'a str,
    /// The path item the operation is in.
    pub(super) item: &'a PathItem,
    /// The method, in lower case.
    pub(super) method: &'a str,
    /// The operation.
    pub(super) operation: &'a OaOperation,
    /// Where the operation is.
    pub(super) at: Pointer,
}

/// Every operation of the spec, in spec order.
pub(super) fn sites(doc: &OpenAPI) -> Result<Vec<Site<'_>>> {
    let mut sites = Vec::new();
    for (template, item) in &doc.paths.paths {
        let path_at = Pointer::root().join("paths").join(template);
        let ReferenceOr::Item(item) = item else {
            return Err(Error::unsupported(
                &path_at,
                "path items given by `$ref` are not supported; write the path item inline",
            ));
        };
        for (method, operation) in item.iter() {
            let at = path_at.join(method);
            sites.push(Site {
                template,
                item,
                method,
                operation,
                at,
            });
        }
    }
    Ok(sites)
}

/// The `operationId` of an operation, which every operation needs.
pub(super) fn operation_id(site: &Site<'_>) -> Result<String> {
    site.operation.operation_id.clone().ok_or_else(|| {
        Error::schema(
            &site.at.join("operationId"),
            "every operation needs an `operationId`; add one, such as `communications.calls.call.reject`",
        )
    })
}

/// Lowers every operation; an operation marked as an alias becomes one more path of its primary.
/// An operation whose bodies the generator cannot handle is left out, with a warning, and so are
/// its aliases. Names are given before anything is lowered (`names`), so that inline types are
/// named after the operation's method.
pub(super) fn lower<'a>(
    doc: &'a OpenAPI,
    types: &mut TypeSpace<'a>,
) -> Result<(Vec<Operation>, Vec<Warning>)> {
    let mut kept = Vec::new();
    let mut warnings = Vec::new();
    let mut left_out = BTreeSet::new();
    for site in sites(doc)? {
        let id = operation_id(&site)?;
        match unhandled(doc, &site)? {
            Some(unhandled) => {
                warnings.push(unhandled.warning(&id));
                left_out.insert(id);
            }
            None => kept.push((site, id)),
        }
    }
    let (primaries, aliases): (Vec<_>, Vec<_>) = kept
        .into_iter()
        .partition(|(site, _)| alias_of(site).is_none());
    let ids: Vec<&str> = primaries.iter().map(|(_, id)| id.as_str()).collect();
    let mut method_names = names::reserved();
    let mut operations = Vec::new();
    for ((site, _), name) in primaries.iter().zip(names::methods(&ids)) {
        method_names.insert(name.clone());
        operations.push(lower_operation(doc, types, site, name)?);
    }
    for (site, id) in &aliases {
        let primary_id = alias_of(site).unwrap_or_default();
        let at = site.at.join(SAME_OPERATION_AS);
        if left_out.contains(primary_id) {
            warnings.push(Warning {
                pointer: at.to_string(),
                message: format!(
                    "the operation `{id}` is left out with `{primary_id}`, the operation it serves"
                ),
            });
            continue;
        }
        let Some(primary) = operations
            .iter_mut()
            .find(|op| op.primary.operation_id == primary_id)
        else {
            return Err(Error::schema(
                &at,
                format!(
                    "no operation has the operationId `{primary_id}`; name an existing operation or remove `{SAME_OPERATION_AS}`"
                ),
            ));
        };
        // Lowered under the primary's name, its inline types are the primary's.
        let mut alias = lower_operation(doc, types, site, primary.name().to_owned())?;
        alias.primary.client_method = names::alias_method(id, &mut method_names);
        let params_match = primary
            .path_params
            .iter()
            .map(|p| &p.wire_name)
            .eq(alias.path_params.iter().map(|p| &p.wire_name));
        if primary.method != alias.method
            || primary.body != alias.body
            || primary.success != alias.success
            || primary.other != alias.other
            || !params_match
            || primary.params != alias.params
        {
            return Err(Error::schema(
                &at,
                format!(
                    "this operation differs from `{primary_id}` in its method, parameters, body or responses; make them the same or remove `{SAME_OPERATION_AS}`"
                ),
            ));
        }
        primary.aliases.push(alias.primary);
    }
    names::services(&mut operations);
    Ok((operations, warnings))
}

/// The operation an alias path serves (`x-graph-same-operation-as`), if the site is one.
fn alias_of<'a>(site: &Site<'a>) -> Option<&'a str> {
    site.operation
        .extensions
        .get(SAME_OPERATION_AS)
        .and_then(|v| v.as_str())
}

/// The first body of an operation the generator cannot handle, if any.
fn unhandled(doc: &OpenAPI, site: &Site<'_>) -> Result<Option<media::Unhandled>> {
    if let Some(body) = &site.operation.request_body {
        let (body, body_at) = refs::resolve(doc, body, &site.at.join("requestBody"))?;
        if let Some(unhandled) = media::unhandled(doc, &body.content, &body_at, true)? {
            return Ok(Some(unhandled));
        }
    }
    responses::unhandled(doc, site.operation, &site.at)
}

fn lower_operation<'a>(
    doc: &'a OpenAPI,
    types: &mut TypeSpace<'a>,
    site: &Site<'a>,
    name: String,
) -> Result<Operation> {
    let Site {
        template,
        operation,
        at,
        ..
    } = site;
    let method = http_method(site.method, at)?;
    let operation_id = operation_id(site)?;
    let declared = parameters::merged(doc, site)?;
    let path_params = path_params(site, &declared)?;
    let taken = path_params.iter().map(|p| p.name.clone()).collect();
    let params = parameters::lower(types, &declared, &name, taken)?;
    let body = match &operation.request_body {
        None => None,
        Some(body) => Some(request_body(doc, types, body, &name, at)?),
    };
    let responses = responses::lower(doc, types, operation, &ident::variant_name(&name), at)?;
    let service = operation
        .tags
        .first()
        .map(|tag| ident::type_name(&tag.replace('.', " ")))
        .unwrap_or_else(|| "Api".to_owned());
    let security = operation.security.as_ref().or(doc.security.as_ref());
    let bearer_auth = security.is_some_and(|requirements| {
        requirements.iter().any(|requirement| {
            requirement
                .keys()
                .any(|scheme| is_bearer_scheme(doc, scheme))
        })
    });
    Ok(Operation {
        method,
        primary: OperationPath {
            template: (*template).to_owned(),
            operation_id,
            client_method: name,
            deprecated: operation.deprecated,
            pointer: at.to_string(),
        },
        aliases: Vec::new(),
        path_params,
        params,
        body,
        success: responses.success,
        other: responses.other,
        error_type: responses.error_type,
        error_statuses: responses.error_statuses,
        summary: operation.summary.clone(),
        description: operation.description.clone(),
        bearer_auth,
        service,
    })
}

/// The request body of the operation at `at`; an inline body type is named after `name`.
fn request_body<'a>(
    doc: &'a OpenAPI,
    types: &mut TypeSpace<'a>,
    body: &'a ReferenceOr<openapiv3::RequestBody>,
    name: &str,
    at: &Pointer,
) -> Result<RequestBody> {
    let (body, body_at) = refs::resolve(doc, body, &at.join("requestBody"))?;
    let hint = format!("{}RequestBody", ident::variant_name(name));
    let content =
        media::content(types, &body.content, &hint, &body_at, true)?.ok_or_else(|| {
            Error::unsupported(
                &body_at.join("content"),
                "the request body needs content, such as `application/json`",
            )
        })?;
    Ok(RequestBody {
        content,
        required: body.required,
        doc: body.description.clone(),
    })
}

/// Whether the security scheme `name` is sent as `Authorization: Bearer`.
fn is_bearer_scheme(doc: &OpenAPI, name: &str) -> bool {
    let scheme = doc
        .components
        .as_ref()
        .and_then(|c| c.security_schemes.get(name));
    // OAuth 2.0 and OpenID Connect access tokens are sent as bearer tokens too (RFC 6750); Graph's
    // official documents name only `azureaadv2`, an OAuth 2.0 scheme.
    match scheme {
        Some(ReferenceOr::Item(openapiv3::SecurityScheme::HTTP { scheme, .. })) => {
            scheme.eq_ignore_ascii_case("bearer")
        }
        Some(ReferenceOr::Item(
            openapiv3::SecurityScheme::OAuth2 { .. }
            | openapiv3::SecurityScheme::OpenIDConnect { .. },
        )) => true,
        _ => false,
    }
}

/// The path parameters, in the order of the path template. Parameters of the path item and of the
/// operation count; `parameters` lowers the others.
fn path_params(site: &Site<'_>, declared: &[(&Parameter, Pointer)]) -> Result<Vec<PathParam>> {
    let Site { template, at, .. } = site;
    let path_at = Pointer::root().join("paths").join(template);
    let mut params: BTreeMap<String, PathParam> = BTreeMap::new();
    for (parameter, _) in declared {
        if let Parameter::Path { parameter_data, .. } = parameter {
            params.insert(
                parameter_data.name.clone(),
                PathParam {
                    wire_name: parameter_data.name.clone(),
                    name: ident::field_name(&parameter_data.name),
                    doc: parameter_data.description.clone(),
                },
            );
        }
    }
    let mut ordered = Vec::new();
    for segment in template.split('{').skip(1) {
        let Some((name, _)) = segment.split_once('}') else {
            return Err(Error::schema(
                &path_at,
                "the path template has an unclosed `{`",
            ));
        };
        let param = params.remove(name).ok_or_else(|| {
            Error::schema(
                &path_at.join("parameters"),
                format!("the path parameter `{name}` is not declared; add `{{name: {name}, in: path, required: true, schema: {{type: string}}}}` to the path item"),
            )
        })?;
        ordered.push(param);
    }
    if let Some(name) = params.keys().next() {
        return Err(Error::schema(
            &at.join("parameters"),
            format!(
                "the path parameter `{name}` is not in the path `{template}`; remove it or add `{{{name}}}` to the path"
            ),
        ));
    }
    Ok(ordered)
}

fn http_method(name: &str, at: &Pointer) -> Result<HttpMethod> {
    Ok(match name {
        "get" => HttpMethod::Get,
        "post" => HttpMethod::Post,
        "put" => HttpMethod::Put,
        "patch" => HttpMethod::Patch,
        "delete" => HttpMethod::Delete,
        other => {
            return Err(Error::unsupported(
                at,
                format!("the method `{other}` is not supported"),
            ));
        }
    })
}
