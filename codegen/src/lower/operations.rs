//! Operations: one per `operationId`, with the deprecated paths that name it through
//! `x-graph-same-operation-as`, its path parameters, request body and responses.

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::{OpenAPI, Operation as OaOperation, Parameter, PathItem, ReferenceOr};

use super::responses::{self, json_body_type};
use super::schemas::TypeSpace;
use super::{parameters, refs};
use crate::error::{Error, Result};
use crate::ident;
use crate::model::{HttpMethod, Operation, OperationPath, PathParam, RequestBody};
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
pub(super) fn lower<'a>(doc: &'a OpenAPI, types: &mut TypeSpace<'a>) -> Result<Vec<Operation>> {
    let mut operations: Vec<Operation> = Vec::new();
    let mut aliases = Vec::new();
    let mut method_names = BTreeSet::new();
    for site in sites(doc)? {
        let mut lowered = lower_operation(doc, types, &site)?;
        match site
            .operation
            .extensions
            .get(SAME_OPERATION_AS)
            .and_then(|v| v.as_str())
        {
            Some(primary) => aliases.push((primary, site.at, lowered)),
            None => {
                let name = std::mem::take(&mut lowered.primary.client_method);
                lowered.primary.client_method = ident::unique(name, &mut method_names);
                operations.push(lowered);
            }
        }
    }
    for (primary_id, alias_at, alias) in aliases {
        let at = alias_at.join(SAME_OPERATION_AS);
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
        let params_match = primary
            .path_params
            .iter()
            .map(|p| &p.wire_name)
            .eq(alias.path_params.iter().map(|p| &p.wire_name));
        if primary.method != alias.method
            || primary.body != alias.body
            || primary.success != alias.success
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
        let mut path = alias.primary;
        let short = ident::method_name(&path.operation_id);
        path.client_method = if method_names.contains(&short) {
            ident::unique(
                ident::qualified_method_name(&path.operation_id),
                &mut method_names,
            )
        } else {
            ident::unique(short, &mut method_names)
        };
        primary.aliases.push(path);
    }
    Ok(operations)
}

fn lower_operation<'a>(
    doc: &'a OpenAPI,
    types: &mut TypeSpace<'a>,
    site: &Site<'a>,
) -> Result<Operation> {
    let Site {
        template,
        operation,
        at,
        ..
    } = site;
    let method = http_method(site.method, at)?;
    let operation_id = operation_id(site)?;
    let name = ident::method_name(&operation_id);
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
        error_type: responses.error_type,
        error_statuses: responses.error_statuses,
        summary: operation.summary.clone(),
        description: operation.description.clone(),
        bearer_auth,
        service,
    })
}

/// The JSON request body of the operation at `at`; an inline body type is named after `name`.
fn request_body<'a>(
    doc: &'a OpenAPI,
    types: &mut TypeSpace<'a>,
    body: &'a ReferenceOr<openapiv3::RequestBody>,
    name: &str,
    at: &Pointer,
) -> Result<RequestBody> {
    let (body, body_at) = refs::resolve(doc, body, &at.join("requestBody"))?;
    let hint = format!("{}RequestBody", ident::variant_name(name));
    let type_name = json_body_type(types, &body.content, &hint, &body_at)?.ok_or_else(|| {
        Error::unsupported(
            &body_at.join("content"),
            "the request body needs `application/json` content",
        )
    })?;
    Ok(RequestBody {
        type_name,
        required: body.required,
        doc: body.description.clone(),
    })
}

fn is_bearer_scheme(doc: &OpenAPI, name: &str) -> bool {
    let scheme = doc
        .components
        .as_ref()
        .and_then(|c| c.security_schemes.get(name));
    matches!(
        scheme,
        Some(ReferenceOr::Item(openapiv3::SecurityScheme::HTTP { scheme, .. })) if scheme.eq_ignore_ascii_case("bearer")
    )
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
