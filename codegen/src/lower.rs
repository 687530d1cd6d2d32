//! OpenAPI to the intermediate model. Names every type, merges `allOf` inheritance, turns inline
//! objects and enums into named types, groups the paths of one operation, and collects how
//! notifications are delivered (`callbacks` and the `x-webhooks` extension).

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::{
    OpenAPI, Operation as OaOperation, Parameter, PathItem, ReferenceOr, Response, Schema,
    SchemaKind, StatusCode, Type,
};

use crate::error::{Error, Result};
use crate::ident;
use crate::model::*;
use crate::normalize::{self, Normalized};
use crate::pointer::Pointer;

/// The extension that names the operation a deprecated alias path serves.
const SAME_OPERATION_AS: &str = "x-graph-same-operation-as";
/// The extension that describes notifications posted to a URL configured outside the API.
const WEBHOOKS: &str = "x-webhooks";
/// The property that names a Graph type on the wire. Graph lists it as required, but payloads omit it.
const ODATA_TYPE: &str = "@odata.type";

pub(crate) fn lower(doc: &OpenAPI) -> Result<Api> {
    let mut lowerer = Lowerer::new(doc);
    lowerer.name_components();
    let component_names: Vec<String> = lowerer.component_names.keys().cloned().collect();
    for spec_name in component_names {
        lowerer.lower_component(&spec_name)?;
    }
    let operations = lowerer.lower_operations()?;
    let mut notifications = lowerer.lower_webhooks()?;
    notifications.append(&mut lowerer.callbacks);
    let default_base_url = doc
        .servers
        .first()
        .map(|server| server.url.trim_end_matches('/').to_owned())
        .ok_or_else(|| {
            Error::schema(
                &Pointer::root().join("servers"),
                "the spec has no server; add `servers: [{url: https://graph.microsoft.com/beta}]` so the client has a default base URL",
            )
        })?;
    Ok(Api {
        title: doc.info.title.clone(),
        description: doc.info.description.clone(),
        version: doc.info.version.clone(),
        default_base_url,
        types: lowerer.types,
        operations,
        notifications,
    })
}

/// Properties and required names written beside `allOf` in the same schema.
type OwnProperties<'a> = (&'a Properties, &'a Vec<String>);
type Properties = indexmap::IndexMap<String, ReferenceOr<Box<Schema>>>;

struct Lowerer<'a> {
    doc: &'a OpenAPI,
    /// Component schema name → Rust type name.
    component_names: BTreeMap<String, String>,
    /// Rust names in use.
    taken: BTreeSet<String>,
    types: BTreeMap<String, TypeDef>,
    /// Components being lowered, to report inheritance cycles.
    in_progress: BTreeSet<String>,
    callbacks: Vec<Notification>,
}

fn schemas_pointer(name: &str) -> Pointer {
    Pointer::root()
        .join("components")
        .join("schemas")
        .join(name)
}

impl<'a> Lowerer<'a> {
    fn new(doc: &'a OpenAPI) -> Self {
        Self {
            doc,
            component_names: BTreeMap::new(),
            taken: BTreeSet::new(),
            types: BTreeMap::new(),
            in_progress: BTreeSet::new(),
            callbacks: Vec::new(),
        }
    }

    fn component_schema(&self, name: &str) -> Option<&'a ReferenceOr<Schema>> {
        self.doc.components.as_ref()?.schemas.get(name)
    }

    /// Gives every component schema its Rust name. Short names go first, in name order, so that a
    /// clash is settled the same way on every run.
    fn name_components(&mut self) {
        let Some(components) = &self.doc.components else {
            return;
        };
        let mut spec_names: Vec<&String> = components.schemas.keys().collect();
        spec_names.sort();
        let mut pending = Vec::new();
        for spec_name in spec_names {
            let short = ident::type_name(spec_name);
            if self.taken.insert(short.clone()) {
                self.component_names.insert(spec_name.clone(), short);
            } else {
                pending.push(spec_name);
            }
        }
        for spec_name in pending {
            let name = ident::unique(ident::qualified_type_name(spec_name), &mut self.taken);
            self.component_names.insert(spec_name.clone(), name);
        }
    }

    /// The Rust name of the schema a `$ref` points at.
    fn resolve_schema_ref(&self, reference: &str, at: &Pointer) -> Result<(String, String)> {
        let target = component_name(reference, "schemas").ok_or_else(|| {
            Error::unsupported(
                at,
                format!("`$ref: {reference}` is not supported; refer to a schema under `#/components/schemas/`"),
            )
        })?;
        let rust = self.component_names.get(&target).ok_or_else(|| {
            Error::schema(
                at,
                format!("`$ref: {reference}` points at no schema; add `{target}` under `components/schemas` or fix the reference"),
            )
        })?;
        Ok((target, rust.clone()))
    }

    fn lower_component(&mut self, spec_name: &str) -> Result<()> {
        let rust_name = self.component_names[spec_name].clone();
        if self.types.contains_key(&rust_name) {
            return Ok(());
        }
        let pointer = schemas_pointer(spec_name);
        if !self.in_progress.insert(spec_name.to_owned()) {
            return Err(Error::unsupported(
                &pointer,
                "this schema inherits from itself through `allOf`; break the cycle",
            ));
        }
        let schema = match self.component_schema(spec_name) {
            Some(ReferenceOr::Item(schema)) => schema,
            Some(ReferenceOr::Reference { reference }) => {
                return Err(Error::unsupported(
                    &pointer,
                    format!(
                        "a component that is only `$ref: {reference}` is not supported; refer to the target directly"
                    ),
                ));
            }
            None => unreachable_component(&pointer)?,
        };
        let doc = schema
            .schema_data
            .description
            .clone()
            .unwrap_or_else(|| format!("The `{spec_name}` type of the API."));
        let kind = self.lower_named_shape(schema, &rust_name, &pointer)?;
        let kind = match kind {
            TypeKind::Struct(mut def) => {
                def.odata_type = schema
                    .schema_data
                    .extensions
                    .get("x-ms-discriminator-value")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned);
                TypeKind::Struct(def)
            }
            other => other,
        };
        self.in_progress.remove(spec_name);
        self.types.insert(
            rust_name.clone(),
            TypeDef {
                name: rust_name,
                spec_name: spec_name.to_owned(),
                pointer: pointer.to_string(),
                doc,
                kind,
            },
        );
        Ok(())
    }

    /// Lowers a schema that becomes a named type: an object (possibly through `allOf`) or a string enum.
    fn lower_named_shape(
        &mut self,
        schema: &'a Schema,
        rust_name: &str,
        at: &Pointer,
    ) -> Result<TypeKind> {
        match &schema.schema_kind {
            SchemaKind::Type(Type::String(string)) if !string.enumeration.is_empty() => {
                let values: Vec<Option<&str>> =
                    string.enumeration.iter().map(|v| v.as_deref()).collect();
                Ok(TypeKind::Enum(enum_def(&values, at)?))
            }
            SchemaKind::Any(any)
                if !any.enumeration.is_empty()
                    && matches!(any.typ.as_deref(), None | Some("string")) =>
            {
                let values: Vec<Option<&str>> =
                    any.enumeration.iter().map(|v| v.as_str()).collect();
                if any
                    .enumeration
                    .iter()
                    .any(|v| !v.is_string() && !v.is_null())
                {
                    return Err(Error::unsupported(
                        &at.join("enum"),
                        "only string enums are supported; write the members as strings",
                    ));
                }
                Ok(TypeKind::Enum(enum_def(&values, at)?))
            }
            SchemaKind::Type(Type::Object(object)) => {
                let mut fields = FieldsBuilder::default();
                self.add_properties(
                    &mut fields,
                    &object.properties,
                    &object.required,
                    rust_name,
                    &at.join("properties"),
                )?;
                Ok(TypeKind::Struct(fields.finish(Vec::new())))
            }
            SchemaKind::AllOf { all_of } => self.lower_all_of(all_of, None, rust_name, at),
            SchemaKind::Any(any)
                if any.any_of.is_empty() && any.one_of.is_empty() && any.items.is_none() =>
            {
                let own = Some((&any.properties, &any.required));
                self.lower_all_of(&any.all_of, own, rust_name, at)
            }
            _ => Err(Error::unsupported(
                at,
                "a named schema must be an object (`type: object`, possibly through `allOf`) or a string enum; \
                 describe other shapes inline where they are used",
            )),
        }
    }

    fn lower_all_of(
        &mut self,
        members: &'a [ReferenceOr<Schema>],
        own: Option<OwnProperties<'a>>,
        rust_name: &str,
        at: &Pointer,
    ) -> Result<TypeKind> {
        let mut fields = FieldsBuilder::default();
        let mut bases = Vec::new();
        for (index, member) in members.iter().enumerate() {
            let member_at = at.join("allOf").join(index.to_string());
            match member {
                ReferenceOr::Reference { reference } => {
                    let (target, base_rust) = self.resolve_schema_ref(reference, &member_at)?;
                    self.lower_component(&target)?;
                    match &self.types[&base_rust].kind {
                        TypeKind::Struct(base) => {
                            fields.extend_inherited(&base.fields);
                            bases.push(base_rust.clone());
                            bases.extend(base.bases.iter().cloned());
                        }
                        TypeKind::Enum(_) => {
                            return Err(Error::unsupported(
                                &member_at,
                                "`allOf` may only combine objects; this member is an enum",
                            ));
                        }
                    }
                }
                ReferenceOr::Item(item) => match &item.schema_kind {
                    SchemaKind::Type(Type::Object(object)) => {
                        self.add_properties(
                            &mut fields,
                            &object.properties,
                            &object.required,
                            rust_name,
                            &member_at.join("properties"),
                        )?;
                    }
                    SchemaKind::Any(any)
                        if any.all_of.is_empty()
                            && any.any_of.is_empty()
                            && any.one_of.is_empty() =>
                    {
                        self.add_properties(
                            &mut fields,
                            &any.properties,
                            &any.required,
                            rust_name,
                            &member_at.join("properties"),
                        )?;
                    }
                    _ => {
                        return Err(Error::unsupported(
                            &member_at,
                            "each `allOf` member must be a `$ref` or an object with `properties`",
                        ));
                    }
                },
            }
        }
        if let Some((properties, required)) = own {
            self.add_properties(
                &mut fields,
                properties,
                required,
                rust_name,
                &at.join("properties"),
            )?;
        }
        // The nearest base comes first.
        bases.reverse();
        Ok(TypeKind::Struct(fields.finish(bases)))
    }

    fn add_properties(
        &mut self,
        fields: &mut FieldsBuilder,
        properties: &'a indexmap::IndexMap<String, ReferenceOr<Box<Schema>>>,
        required: &[String],
        owner: &str,
        at: &Pointer,
    ) -> Result<()> {
        for (wire_name, schema) in properties {
            let property_at = at.join(wire_name);
            let hint = format!("{owner}{}", ident::variant_name(wire_name));
            let ty = self.field_type(normalize::normalize_boxed(schema), &hint, &property_at)?;
            let doc = normalize::description(schema)
                .or_else(|| match normalize::normalize_boxed(schema) {
                    Normalized::Inline(inner) => inner.schema_data.description.as_deref(),
                    Normalized::Ref(_) => None,
                })
                .map(str::to_owned);
            let checks = match (&ty, normalize::normalize_boxed(schema)) {
                (FieldType::String, Normalized::Inline(inner)) => string_checks(inner),
                _ => StringChecks::default(),
            };
            fields.push(Field {
                wire_name: wire_name.clone(),
                name: String::new(),
                doc,
                ty,
                required: required.contains(wire_name) && wire_name != ODATA_TYPE,
                checks,
            });
        }
        Ok(())
    }

    /// The type of a value; inline objects with properties and inline enums become named types
    /// called after `hint`.
    fn field_type(
        &mut self,
        schema: Normalized<'a>,
        hint: &str,
        at: &Pointer,
    ) -> Result<FieldType> {
        let schema = match schema {
            Normalized::Ref(reference) => {
                let (_, rust) = self.resolve_schema_ref(reference, at)?;
                return Ok(FieldType::Named(rust));
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
                Some("int32") | Some("int64") => integer_type(format_name(&number.format)),
                _ => FieldType::F64,
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

    /// Names and lowers an inline object or enum. An identical type already lowered under the same
    /// name is reused.
    fn inline_type(&mut self, schema: &'a Schema, hint: &str, at: &Pointer) -> Result<FieldType> {
        let kind = self.lower_named_shape(schema, hint, at)?;
        let doc = schema
            .schema_data
            .description
            .clone()
            .unwrap_or_else(|| format!("An inline type of the API, defined at `{at}`."));
        if let Some(existing) = self.types.get(hint)
            && existing.kind == kind
        {
            return Ok(FieldType::Named(hint.to_owned()));
        }
        let name = ident::unique(hint.to_owned(), &mut self.taken);
        self.types.insert(
            name.clone(),
            TypeDef {
                name: name.clone(),
                spec_name: String::new(),
                pointer: at.to_string(),
                doc,
                kind,
            },
        );
        Ok(FieldType::Named(name))
    }

    fn lower_operations(&mut self) -> Result<Vec<Operation>> {
        let mut operations: Vec<Operation> = Vec::new();
        let mut aliases: Vec<(String, Pointer, Operation)> = Vec::new();
        let mut method_names = BTreeSet::new();
        for (template, item) in &self.doc.paths.paths {
            let path_at = Pointer::root().join("paths").join(template);
            let item = match item {
                ReferenceOr::Item(item) => item,
                ReferenceOr::Reference { .. } => {
                    return Err(Error::unsupported(
                        &path_at,
                        "path items given by `$ref` are not supported; write the path item inline",
                    ));
                }
            };
            for (method_name, operation) in item.iter() {
                let at = path_at.join(method_name);
                let method = http_method(method_name, &at)?;
                let lowered = self.lower_operation(template, item, method, operation, &at)?;
                match operation
                    .extensions
                    .get(SAME_OPERATION_AS)
                    .and_then(|v| v.as_str())
                {
                    Some(primary) => aliases.push((primary.to_owned(), at, lowered)),
                    None => {
                        let mut lowered = lowered;
                        lowered.name = ident::unique(lowered.name.clone(), &mut method_names);
                        lowered.paths[0].client_method = lowered.name.clone();
                        operations.push(lowered);
                    }
                }
            }
        }
        for (primary_id, alias_at, alias) in aliases {
            let at = alias_at.join(SAME_OPERATION_AS);
            let Some(primary) = operations
                .iter_mut()
                .find(|op| op.operation_id == primary_id)
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
            {
                return Err(Error::schema(
                    &at,
                    format!(
                        "this operation differs from `{primary_id}` in its method, path parameters, body or responses; make them the same or remove `{SAME_OPERATION_AS}`"
                    ),
                ));
            }
            let mut path = alias.paths[0].clone();
            let short = ident::method_name(&path.operation_id);
            path.client_method = if method_names.contains(&short) {
                ident::unique(
                    ident::qualified_method_name(&path.operation_id),
                    &mut method_names,
                )
            } else {
                ident::unique(short, &mut method_names)
            };
            primary.paths.push(path);
        }
        Ok(operations)
    }

    fn lower_operation(
        &mut self,
        template: &str,
        item: &'a PathItem,
        method: HttpMethod,
        operation: &'a OaOperation,
        at: &Pointer,
    ) -> Result<Operation> {
        let operation_id = operation.operation_id.clone().ok_or_else(|| {
            Error::schema(&at.join("operationId"), "every operation needs an `operationId`; add one, such as `communications.calls.call.reject`")
        })?;
        let name = ident::method_name(&operation_id);
        let path_params = self.path_params(template, item, operation, at)?;
        let body = match &operation.request_body {
            None => None,
            Some(body) => {
                let body_at = at.join("requestBody");
                let (body, body_at) = self.resolve_request_body(body, &body_at)?;
                let hint = format!("{}RequestBody", ident::variant_name(&name));
                let type_name = self
                    .json_body_type(&body.content, &hint, &body_at)?
                    .ok_or_else(|| {
                        Error::unsupported(
                            &body_at.join("content"),
                            "the request body needs `application/json` content",
                        )
                    })?;
                Some(RequestBody {
                    type_name,
                    required: body.required,
                    doc: body.description.clone(),
                })
            }
        };
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
            let (response, resolved_at) = self.resolve_response(response, &response_at)?;
            let hint = format!("{}Response{label}", ident::variant_name(&name));
            let body = self.json_body_type(&response.content, &hint, &resolved_at)?;
            match status {
                Some(StatusCode::Code(code @ 200..=299)) => success.push(SuccessResponse {
                    status: *code,
                    body,
                    doc: response.description.clone(),
                }),
                Some(StatusCode::Code(code @ 100..=199))
                | Some(StatusCode::Code(code @ 300..=399)) => {
                    return Err(Error::unsupported(
                        &response_at,
                        format!(
                            "status {code} is not supported; document 2XX successes and 4XX/5XX errors"
                        ),
                    ));
                }
                Some(StatusCode::Range(2)) => {
                    return Err(Error::unsupported(
                        &response_at,
                        "a `2XX` range is not supported; list the success codes, such as `202` and `204`",
                    ));
                }
                _ => {
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
                    match status {
                        Some(StatusCode::Code(code)) => error_statuses.push(code.to_string()),
                        Some(StatusCode::Range(class)) => error_statuses.push(format!("{class}XX")),
                        None => error_statuses.extend(["4XX".to_owned(), "5XX".to_owned()]),
                    }
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
        for (name, callback) in &operation.callbacks {
            let callback_at = at.join("callbacks").join(name);
            for (expression, callback_item) in callback {
                let item_at = callback_at.join(expression);
                for (delivery_method, delivery) in callback_item.iter() {
                    let delivery_at = item_at.join(delivery_method);
                    let target = NotificationTarget::Callback {
                        operation_id: operation_id.clone(),
                        expression: expression.clone(),
                    };
                    let notification = self.lower_notification(delivery, target, &delivery_at)?;
                    if !self
                        .callbacks
                        .iter()
                        .any(|known| known.operation_id == notification.operation_id)
                    {
                        self.callbacks.push(notification);
                    }
                }
            }
        }
        let service = operation
            .tags
            .first()
            .map(|tag| ident::type_name(&tag.replace('.', " ")))
            .unwrap_or_else(|| "Api".to_owned());
        let security = operation.security.as_ref().or(self.doc.security.as_ref());
        let bearer_auth = security.is_some_and(|requirements| {
            requirements.iter().any(|requirement| {
                requirement
                    .keys()
                    .any(|scheme| self.is_bearer_scheme(scheme))
            })
        });
        Ok(Operation {
            operation_id: operation_id.clone(),
            name: name.clone(),
            pointer: at.to_string(),
            method,
            paths: vec![OperationPath {
                template: template.to_owned(),
                operation_id,
                client_method: name,
                deprecated: operation.deprecated,
                pointer: at.to_string(),
            }],
            path_params,
            body,
            success,
            error_type,
            error_statuses,
            summary: operation.summary.clone(),
            description: operation.description.clone(),
            bearer_auth,
            service,
        })
    }

    fn is_bearer_scheme(&self, name: &str) -> bool {
        let scheme = self
            .doc
            .components
            .as_ref()
            .and_then(|c| c.security_schemes.get(name));
        matches!(
            scheme,
            Some(ReferenceOr::Item(openapiv3::SecurityScheme::HTTP { scheme, .. })) if scheme.eq_ignore_ascii_case("bearer")
        )
    }

    fn path_params(
        &self,
        template: &str,
        item: &'a PathItem,
        operation: &'a OaOperation,
        at: &Pointer,
    ) -> Result<Vec<PathParam>> {
        let declared = item
            .parameters
            .iter()
            .enumerate()
            .map(|(i, p)| {
                (
                    p,
                    Pointer::root()
                        .join("paths")
                        .join(template)
                        .join("parameters")
                        .join(i.to_string()),
                )
            })
            .chain(
                operation
                    .parameters
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (p, at.join("parameters").join(i.to_string()))),
            );
        let mut params: BTreeMap<String, PathParam> = BTreeMap::new();
        for (parameter, param_at) in declared {
            let (parameter, param_at) = self.resolve_parameter(parameter, &param_at)?;
            match parameter {
                Parameter::Path { parameter_data, .. } => {
                    params.insert(
                        parameter_data.name.clone(),
                        PathParam {
                            wire_name: parameter_data.name.clone(),
                            name: ident::field_name(&parameter_data.name),
                            doc: parameter_data.description.clone(),
                        },
                    );
                }
                other => {
                    return Err(Error::unsupported(
                        &param_at,
                        format!(
                            "the {} parameter `{}` is not supported; only path parameters are",
                            parameter_kind(other),
                            other.parameter_data_ref().name
                        ),
                    ));
                }
            }
        }
        let mut ordered = Vec::new();
        for segment in template.split('{').skip(1) {
            let Some((name, _)) = segment.split_once('}') else {
                return Err(Error::schema(
                    &Pointer::root().join("paths").join(template),
                    "the path template has an unclosed `{`",
                ));
            };
            let param = params.remove(name).ok_or_else(|| {
                Error::schema(
                    &Pointer::root().join("paths").join(template).join("parameters"),
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

    fn resolve_parameter(
        &self,
        parameter: &'a ReferenceOr<Parameter>,
        at: &Pointer,
    ) -> Result<(&'a Parameter, Pointer)> {
        match parameter {
            ReferenceOr::Item(item) => Ok((item, at.clone())),
            ReferenceOr::Reference { reference } => {
                let name = component_ref(reference, "parameters", at)?;
                let found = self
                    .doc
                    .components
                    .as_ref()
                    .and_then(|c| c.parameters.get(&name));
                match found {
                    Some(ReferenceOr::Item(item)) => {
                        Ok((item, components_pointer("parameters", &name)))
                    }
                    _ => Err(dangling(reference, "parameters", at)),
                }
            }
        }
    }

    fn resolve_request_body(
        &self,
        body: &'a ReferenceOr<openapiv3::RequestBody>,
        at: &Pointer,
    ) -> Result<(&'a openapiv3::RequestBody, Pointer)> {
        match body {
            ReferenceOr::Item(item) => Ok((item, at.clone())),
            ReferenceOr::Reference { reference } => {
                let name = component_ref(reference, "requestBodies", at)?;
                let found = self
                    .doc
                    .components
                    .as_ref()
                    .and_then(|c| c.request_bodies.get(&name));
                match found {
                    Some(ReferenceOr::Item(item)) => {
                        Ok((item, components_pointer("requestBodies", &name)))
                    }
                    _ => Err(dangling(reference, "requestBodies", at)),
                }
            }
        }
    }

    fn resolve_response(
        &self,
        response: &'a ReferenceOr<Response>,
        at: &Pointer,
    ) -> Result<(&'a Response, Pointer)> {
        match response {
            ReferenceOr::Item(item) => Ok((item, at.clone())),
            ReferenceOr::Reference { reference } => {
                let name = component_ref(reference, "responses", at)?;
                let found = self
                    .doc
                    .components
                    .as_ref()
                    .and_then(|c| c.responses.get(&name));
                match found {
                    Some(ReferenceOr::Item(item)) => {
                        Ok((item, components_pointer("responses", &name)))
                    }
                    _ => Err(dangling(reference, "responses", at)),
                }
            }
        }
    }

    /// The type of the `application/json` content, if there is such content.
    fn json_body_type(
        &mut self,
        content: &'a indexmap::IndexMap<String, openapiv3::MediaType>,
        hint: &str,
        at: &Pointer,
    ) -> Result<Option<String>> {
        let Some((media_type, media)) = content.iter().find(|(media_type, _)| is_json(media_type))
        else {
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
        match self.field_type(normalize::normalize(schema), hint, &schema_at)? {
            FieldType::Named(name) => Ok(Some(name)),
            _ => Err(Error::unsupported(
                &schema_at,
                "a body must be an object; refer to a component schema or describe an object with `properties`",
            )),
        }
    }

    fn lower_webhooks(&mut self) -> Result<Vec<Notification>> {
        let Some(webhooks) = self.doc.extensions.get(WEBHOOKS) else {
            return Ok(Vec::new());
        };
        let at = Pointer::root().join(WEBHOOKS);
        let webhooks: indexmap::IndexMap<String, PathItem> =
            serde_path_to_error::deserialize(webhooks.clone()).map_err(|err| {
                let pointer = err
                    .path()
                    .iter()
                    .fold(at.clone(), |p, segment| p.join(segment.to_string()));
                Error::schema(
                    &pointer,
                    format!(
                        "`{WEBHOOKS}` must map names to OpenAPI path items: {}",
                        err.inner()
                    ),
                )
            })?;
        let mut notifications = Vec::new();
        for (name, item) in &webhooks {
            let item_at = at.join(name);
            for (method, delivery) in item.iter() {
                let delivery_at = item_at.join(method);
                let notification =
                    self.lower_notification(delivery, NotificationTarget::Webhook, &delivery_at)?;
                notifications.push(notification);
            }
        }
        Ok(notifications)
    }

    /// Lowers one notification delivery. The body must refer to a component schema, so the model
    /// borrows nothing from `delivery` (webhook items are parsed here and dropped after lowering).
    fn lower_notification(
        &mut self,
        delivery: &OaOperation,
        target: NotificationTarget,
        at: &Pointer,
    ) -> Result<Notification> {
        let operation_id = delivery.operation_id.clone().ok_or_else(|| {
            Error::schema(
                &at.join("operationId"),
                "every notification delivery needs an `operationId`",
            )
        })?;
        let body_at = at.join("requestBody");
        let body = match &delivery.request_body {
            Some(ReferenceOr::Item(body)) => body,
            _ => {
                return Err(Error::unsupported(
                    &body_at,
                    "a notification delivery needs an inline `requestBody` with `application/json` content",
                ));
            }
        };
        let Some((media_type, media)) = body
            .content
            .iter()
            .find(|(media_type, _)| is_json(media_type))
        else {
            return Err(Error::unsupported(
                &body_at.join("content"),
                "a notification body needs `application/json` content",
            ));
        };
        let schema_at = body_at.join("content").join(media_type).join("schema");
        let body_type = match media.schema.as_ref().map(normalize::normalize) {
            Some(Normalized::Ref(reference)) => self.resolve_schema_ref(reference, &schema_at)?.1,
            _ => {
                return Err(Error::unsupported(
                    &schema_at,
                    "a notification body must be a `$ref` to a component schema, such as `microsoft.graph.commsNotifications`",
                ));
            }
        };
        let success_status = delivery
            .responses
            .responses
            .keys()
            .find_map(|status| match status {
                StatusCode::Code(code @ 200..=299) => Some(*code),
                _ => None,
            })
            .ok_or_else(|| {
                Error::schema(
                    &at.join("responses"),
                    "a notification delivery needs a success response such as `'202'`",
                )
            })?;
        let doc = delivery
            .description
            .clone()
            .or_else(|| delivery.summary.clone())
            .unwrap_or_else(|| format!("Notifications delivered as `{operation_id}`."));
        let name = ident::variant_name(operation_id.split('.').next().unwrap_or(&operation_id));
        let shape = self.notification_shape(&body_type, &schema_at)?;
        Ok(Notification {
            name,
            operation_id,
            pointer: at.to_string(),
            target,
            body_type,
            success_status,
            shape,
            doc,
        })
    }

    /// Finds Graph's envelope in a notification body: `value[]`, each with `changeType` (an enum)
    /// and `resourceData` (an object).
    fn notification_shape(&mut self, body_type: &str, at: &Pointer) -> Result<NotificationShape> {
        let explain = "a notification body must follow Graph's envelope: an object whose `value` is an array of \
                       objects with a `changeType` enum and a `resourceData` object";
        let field = |types: &BTreeMap<String, TypeDef>, owner: &str, wire: &str| -> Option<Field> {
            match types.get(owner).map(|def| &def.kind) {
                Some(TypeKind::Struct(s)) => s.fields.iter().find(|f| f.wire_name == wire).cloned(),
                _ => None,
            }
        };
        let list = field(&self.types, body_type, "value")
            .ok_or_else(|| Error::unsupported(at, explain))?;
        let FieldType::Array(item) = &list.ty else {
            return Err(Error::unsupported(at, explain));
        };
        let FieldType::Named(item_type) = item.as_ref() else {
            return Err(Error::unsupported(at, explain));
        };
        let change = field(&self.types, item_type, "changeType")
            .ok_or_else(|| Error::unsupported(at, explain))?;
        let resource = field(&self.types, item_type, "resourceData")
            .ok_or_else(|| Error::unsupported(at, explain))?;
        let (FieldType::Named(change_type), FieldType::Named(resource_type)) =
            (&change.ty, &resource.ty)
        else {
            return Err(Error::unsupported(at, explain));
        };
        let is_enum = matches!(
            self.types.get(change_type).map(|d| &d.kind),
            Some(TypeKind::Enum(_))
        );
        let is_struct = matches!(
            self.types.get(resource_type).map(|d| &d.kind),
            Some(TypeKind::Struct(_))
        );
        if !is_enum || !is_struct {
            return Err(Error::unsupported(at, explain));
        }
        Ok(NotificationShape {
            list_field: list.name,
            item_type: item_type.clone(),
            change_field: change.name,
            change_type: change_type.clone(),
            resource_field: resource.name,
            resource_type: resource_type.clone(),
        })
    }
}

fn unreachable_component<T>(at: &Pointer) -> Result<T> {
    Err(Error::schema(
        at,
        "the schema disappeared while lowering; this is a bug in the generator",
    ))
}

fn enum_def(values: &[Option<&str>], at: &Pointer) -> Result<EnumDef> {
    let mut taken = BTreeSet::new();
    let mut members = Vec::new();
    for (index, value) in values.iter().enumerate() {
        let Some(value) = value else { continue };
        if members
            .iter()
            .any(|m: &EnumMember| m.wire_name.eq_ignore_ascii_case(value))
        {
            return Err(Error::unsupported(
                &at.join("enum").join(index.to_string()),
                format!(
                    "`{value}` differs from another member only by case; enums parse case-insensitively, so remove one"
                ),
            ));
        }
        members.push(EnumMember {
            wire_name: (*value).to_owned(),
            name: ident::unique(ident::variant_name(value), &mut taken),
        });
    }
    if members.is_empty() {
        return Err(Error::schema(
            &at.join("enum"),
            "the enum has no members; list at least one",
        ));
    }
    let evolvable = members.iter().any(|m| m.wire_name == "unknownFutureValue");
    let unknown_variant = ident::unique("UnknownValue".to_owned(), &mut taken);
    Ok(EnumDef {
        members,
        unknown_variant,
        evolvable,
    })
}

/// The checks a string schema asks for: a literal `^prefix` pattern and `format: uri`.
fn string_checks(schema: &Schema) -> StringChecks {
    let SchemaKind::Type(Type::String(string)) = &schema.schema_kind else {
        return StringChecks::default();
    };
    const REGEX_META: &[char] = &[
        '\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$',
    ];
    let prefix = string
        .pattern
        .as_deref()
        .and_then(|pattern| pattern.strip_prefix('^'))
        .filter(|literal| !literal.is_empty() && !literal.contains(REGEX_META))
        .map(str::to_owned);
    let uri = matches!(&string.format, openapiv3::VariantOrUnknownOrEmpty::Unknown(format) if format == "uri");
    StringChecks { prefix, uri }
}

fn integer_type(format: Option<&str>) -> FieldType {
    match format {
        Some("int32") => FieldType::I32,
        _ => FieldType::I64,
    }
}

fn format_name<T: std::fmt::Debug>(
    format: &openapiv3::VariantOrUnknownOrEmpty<T>,
) -> Option<&'static str> {
    match format {
        openapiv3::VariantOrUnknownOrEmpty::Unknown(name) => match name.as_str() {
            "int32" => Some("int32"),
            "int64" => Some("int64"),
            _ => None,
        },
        openapiv3::VariantOrUnknownOrEmpty::Item(item) => match format!("{item:?}").as_str() {
            "Int32" => Some("int32"),
            "Int64" => Some("int64"),
            _ => None,
        },
        openapiv3::VariantOrUnknownOrEmpty::Empty => None,
    }
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

fn parameter_kind(parameter: &Parameter) -> &'static str {
    match parameter {
        Parameter::Query { .. } => "query",
        Parameter::Header { .. } => "header",
        Parameter::Path { .. } => "path",
        Parameter::Cookie { .. } => "cookie",
    }
}

fn is_json(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence.to_ascii_lowercase().ends_with("+json")
}

fn components_pointer(section: &str, name: &str) -> Pointer {
    Pointer::root().join("components").join(section).join(name)
}

/// The name of the entry of `#/components/{section}` that a local `$ref` points at.
fn component_name(reference: &str, section: &str) -> Option<String> {
    match Pointer::from_ref(reference)?.tokens() {
        [components, found, name] if components == "components" && found == section => {
            Some(name.clone())
        }
        _ => None,
    }
}

fn component_ref(reference: &str, section: &str, at: &Pointer) -> Result<String> {
    component_name(reference, section).ok_or_else(|| Error::unsupported(at, format!("`$ref: {reference}` is not supported here; refer to an entry of `#/components/{section}/`")))
}

fn dangling(reference: &str, section: &str, at: &Pointer) -> Error {
    Error::schema(
        at,
        format!(
            "`$ref: {reference}` points at nothing; define it under `components/{section}` or fix the reference"
        ),
    )
}

/// Fields collected from a type and its bases; a property a derived type redeclares replaces the
/// inherited one in place.
#[derive(Default)]
struct FieldsBuilder {
    fields: Vec<Field>,
}

impl FieldsBuilder {
    fn extend_inherited(&mut self, fields: &[Field]) {
        for field in fields {
            self.push(field.clone());
        }
    }

    fn push(&mut self, field: Field) {
        match self
            .fields
            .iter_mut()
            .find(|f| f.wire_name == field.wire_name)
        {
            Some(existing) => {
                let doc = field.doc.clone().or_else(|| existing.doc.clone());
                *existing = Field { doc, ..field };
            }
            None => self.fields.push(field),
        }
    }

    fn finish(mut self, bases: Vec<String>) -> StructDef {
        let mut taken = BTreeSet::from(["additional_properties".to_owned()]);
        for field in &mut self.fields {
            field.name = ident::unique(ident::field_name(&field.wire_name), &mut taken);
        }
        StructDef {
            fields: self.fields,
            odata_type: None,
            bases,
        }
    }
}
