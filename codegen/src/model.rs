//! The intermediate model every emitter reads: named types, operations and notification deliveries,
//! with Graph's OpenAPI idioms already normalized away. Maps are `BTreeMap`s and lists keep spec
//! order, so what is emitted from the model is deterministic.

use std::collections::BTreeMap;

mod responses;

pub use responses::{
    Content, ErrorClass, ErrorStatus, OtherClass, OtherResponse, OtherStatus, SuccessResponse,
    SuccessStatus,
};

/// Everything the generator knows about one API.
#[derive(Clone, Debug, PartialEq)]
pub struct Api {
    /// `info.title`.
    pub title: String,
    /// `info.description`, if any.
    pub description: Option<String>,
    /// `info.version`.
    pub version: String,
    /// The first server URL, used as the client's default base URL.
    pub default_base_url: String,
    /// Named types by Rust name.
    pub types: BTreeMap<String, TypeDef>,
    /// Operations, in spec order.
    pub operations: Vec<Operation>,
    /// The ways notifications reach a receiver, in spec order.
    pub notifications: Vec<Notification>,
    /// What the generator left out, and why, in spec order.
    pub warnings: Vec<Warning>,
}

/// Something the generator left out of the crate, such as an operation with a media type it cannot
/// handle. The rest of the crate is complete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// Where in the spec, as a JSON pointer.
    pub pointer: String,
    /// What was left out and why.
    pub message: String,
}

/// The warning as the generator reports it: `pointer: message`.
impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.pointer, self.message)
    }
}

/// A named type.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeDef {
    /// The Rust name, unique in the crate.
    pub name: String,
    /// The name of the component schema in the spec, such as `microsoft.graph.call`; `None` for a
    /// type the generator named after an inline schema.
    pub spec_name: Option<String>,
    /// Where the schema is, as a JSON pointer.
    pub pointer: String,
    /// The spec's description of the type; empty where it has none.
    pub doc: String,
    /// Struct or enum.
    pub kind: TypeKind,
}

/// The shape of a named type.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeKind {
    /// An object. Every struct is open: properties the spec does not name are kept.
    Struct(StructDef),
    /// A string enum. Every enum is open: members the spec does not name are kept.
    Enum(EnumDef),
    /// One of several resources, chosen by its `@odata.type` and by where a sibling property says it
    /// is (`x-graph-resource`). Every union is open: a resource of none of its kinds is kept.
    Resource(ResourceDef),
    /// Another name for a value type: a named schema that is no object and no string enum, such as
    /// an integer, a string with a format, or an enum of values that are not all strings.
    Alias(AliasDef),
}

/// A named schema that is neither an object nor a string enum.
#[derive(Clone, Debug, PartialEq)]
pub struct AliasDef {
    /// The value type. An enum whose members are not all strings is [`FieldType::Json`], so that
    /// values it does not list are kept.
    pub ty: FieldType,
    /// The schema's `format`, if any, such as `date-time`.
    pub format: Option<String>,
    /// The members of an `enum`, as JSON text, in spec order; empty for no enum.
    pub members: Vec<String>,
}

/// An object type, with inherited (`allOf`) properties merged in.
#[derive(Clone, Debug, PartialEq)]
pub struct StructDef {
    /// Properties, base type's first, then in spec order.
    pub fields: Vec<Field>,
    /// The `@odata.type` value that names this type on the wire, such as `#microsoft.graph.call`.
    pub odata_type: Option<String>,
    /// The Rust names of the types this one is derived from, nearest first.
    pub bases: Vec<String>,
}

/// One property of an object type.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The JSON name.
    pub wire_name: String,
    /// The Rust name, unique within the struct.
    pub name: String,
    /// Documentation from the spec.
    pub doc: Option<String>,
    /// The value type.
    pub ty: FieldType,
    /// Whether the value must be present (non-required fields are `Option`s).
    pub required: bool,
    /// Whether the spec admits `null` for the value (`nullable: true`, or a nullable reference).
    /// An optional field reads `null` as `None` either way; this is what the spec promises.
    pub nullable: bool,
    /// Checks a server applies to a string value before it accepts a request.
    pub checks: StringChecks,
}

/// Constraints on a string value that the server stubs check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StringChecks {
    /// The `pattern` the value must match somewhere (anchor it with `^`/`$` to match all of it),
    /// in the syntax of the `regex` crate.
    pub pattern: Option<String>,
    /// Whether the value must be an absolute URI (`format: uri`).
    pub uri: bool,
}

/// The type of a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// A string.
    String,
    /// A boolean.
    Bool,
    /// An 8-bit integer (`format: int8`).
    I8,
    /// An unsigned 8-bit integer (`format: uint8`).
    U8,
    /// A 16-bit integer (`format: int16`).
    I16,
    /// A 32-bit integer.
    I32,
    /// A 64-bit integer.
    I64,
    /// A floating-point number.
    F64,
    /// Any JSON value.
    Json,
    /// A named type, by Rust name.
    Named(String),
    /// An array.
    Array(Box<FieldType>),
    /// An object with arbitrary keys.
    Map(Box<FieldType>),
}

/// A string enum.
#[derive(Clone, Debug, PartialEq)]
pub struct EnumDef {
    /// Members in spec order.
    pub members: Vec<EnumMember>,
    /// The Rust name of the variant that holds members this version does not know.
    pub unknown_variant: String,
    /// Whether the enum ends with Graph's `unknownFutureValue` sentinel (new members appear after it).
    pub evolvable: bool,
}

/// One enum member.
#[derive(Clone, Debug, PartialEq)]
pub struct EnumMember {
    /// The canonical wire value.
    pub wire_name: String,
    /// The Rust variant name.
    pub name: String,
}

/// The resources a property can hold (`x-graph-resource`), such as a notification's `resourceData`:
/// a value is read as the kind its `@odata.type` names, else as the kind whose paths match the
/// struct's URL property, else kept as it came.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceDef {
    /// The wire name of the sibling string property that says where the resource is (`resourceUrl`).
    pub url_property: String,
    /// The kinds, each a variant: the types derived from a kind's schema first, then the kind.
    pub kinds: Vec<ResourceKind>,
    /// The Rust name of the variant that holds a resource of none of the kinds, as it came.
    pub unknown_variant: String,
}

/// One kind of resource: a variant of the union.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceKind {
    /// The Rust variant name.
    pub variant: String,
    /// The value type: a named object type, or an array of them.
    pub ty: FieldType,
    /// The `@odata.type` value that selects this kind, such as `#microsoft.graph.playPromptOperation`.
    pub odata_type: Option<String>,
    /// The path templates of the URL property that select this kind when no `@odata.type` does,
    /// such as `/communications/calls/{call-id}/participants`; empty for a kind chosen only by
    /// `@odata.type`.
    pub paths: Vec<String>,
}

/// HTTP methods the generator supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum HttpMethod {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl HttpMethod {
    /// The method as written in HTTP.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }
}

/// One operation: a method that may be reachable at several paths.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    /// The HTTP method.
    pub method: HttpMethod,
    /// The primary path: its `operationId` and place in the spec are the operation's, and its
    /// client method is the operation's Rust name.
    pub primary: OperationPath,
    /// Further paths that serve the same operation (`x-graph-same-operation-as`), in spec order.
    pub aliases: Vec<OperationPath>,
    /// Path parameters, in path order.
    pub path_params: Vec<PathParam>,
    /// Query and header parameters, in spec order: the path item's first (an operation's parameter
    /// of the same name and location replaces one in place), then the operation's own.
    pub params: Vec<Param>,
    /// The request body, if any.
    pub body: Option<RequestBody>,
    /// The success responses.
    pub success: Vec<SuccessResponse>,
    /// The informational (`1XX`) and redirection (`3XX`) responses, in spec order.
    pub other: Vec<OtherResponse>,
    /// The error body type, shared by every error response.
    pub error_type: Option<String>,
    /// The statuses that carry `error_type`, in [`ErrorStatus`] order.
    pub error_statuses: Vec<ErrorStatus>,
    /// `summary` from the spec.
    pub summary: Option<String>,
    /// `description` from the spec.
    pub description: Option<String>,
    /// Whether the operation requires a bearer token.
    pub bearer_auth: bool,
    /// The Rust name of the service (server trait) the operation belongs to, from its first tag.
    pub service: String,
}

impl Operation {
    /// The Rust method name: the server method, and the client method of the primary path.
    pub fn name(&self) -> &str {
        &self.primary.client_method
    }

    /// Every path that reaches this operation, the primary one first.
    pub fn paths(&self) -> impl Iterator<Item = &OperationPath> {
        std::iter::once(&self.primary).chain(&self.aliases)
    }
}

/// A path at which an operation is served.
#[derive(Clone, Debug, PartialEq)]
pub struct OperationPath {
    /// The path template, such as `/communications/calls/{call-id}/reject`.
    pub template: String,
    /// The `operationId` of the operation at this path.
    pub operation_id: String,
    /// The Rust name of the client method for this path.
    pub client_method: String,
    /// Whether the spec marks this path's operation deprecated.
    pub deprecated: bool,
    /// Where the operation at this path is in the spec.
    pub pointer: String,
}

/// A path parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct PathParam {
    /// The name in the path template.
    pub wire_name: String,
    /// The Rust name.
    pub name: String,
    /// Documentation from the spec.
    pub doc: Option<String>,
}

/// A query or header parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Where the parameter is sent.
    pub location: ParamLocation,
    /// The name on the wire, such as `$select` or `If-Match`.
    pub wire_name: String,
    /// The Rust name, unique among the operation's parameters.
    pub name: String,
    /// Documentation from the spec.
    pub doc: Option<String>,
    /// The value type: [`FieldType::String`], [`FieldType::Bool`], [`FieldType::I32`],
    /// [`FieldType::I64`], [`FieldType::F64`] or a named enum; for a query parameter also an
    /// [`FieldType::Array`] of one of these, sent as one comma-separated value (`style: form,
    /// explode: false`, as in `$select=id,state`).
    pub ty: FieldType,
    /// Whether the request must carry the parameter (other parameters are `Option`s).
    pub required: bool,
    /// The smallest integer accepted (`minimum`), for an integer parameter or items.
    pub minimum: Option<i64>,
    /// The largest integer accepted (`maximum`), for an integer parameter or items.
    pub maximum: Option<i64>,
}

/// Where a [`Param`] is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ParamLocation {
    /// In the query string.
    Query,
    /// In a header.
    Header,
}

impl ParamLocation {
    /// The location as OpenAPI's `in` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ParamLocation::Query => "query",
            ParamLocation::Header => "header",
        }
    }
}

/// A request body.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestBody {
    /// What the body holds.
    pub content: Content,
    /// Whether the body is required.
    pub required: bool,
    /// Documentation from the spec.
    pub doc: Option<String>,
}

/// How a receiver gets notifications posted to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    /// The Rust name of this delivery route.
    pub name: String,
    /// The `operationId` of the delivery.
    pub operation_id: String,
    /// Where the delivery is described in the spec.
    pub pointer: String,
    /// Where the notifications are posted.
    pub target: NotificationTarget,
    /// The Rust name of the body type.
    pub body_type: String,
    /// The success status the receiver answers with.
    pub success_status: u16,
    /// How the body carries its notifications.
    pub shape: NotificationShape,
    /// Documentation from the spec.
    pub doc: String,
}

/// Where a notification is posted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotificationTarget {
    /// A URL configured outside the API, such as the bot's calling webhook (an `x-webhooks` entry).
    Webhook,
    /// A URL taken from an operation's request (an OpenAPI callback), such as `{$request.body#/callbackUri}`.
    Callback {
        /// The operation whose request names the URL.
        operation_id: String,
        /// The runtime expression naming the URL.
        expression: String,
    },
}

/// Graph's notification envelope: a list of notifications, each with a change type and the changed
/// resource (`commsNotifications.value[].changeType` and `.resourceData`).
#[derive(Clone, Debug, PartialEq)]
pub struct NotificationShape {
    /// The Rust name of the list field of the body (`value`).
    pub list_field: String,
    /// The Rust name of one notification's type (`CommsNotification`).
    pub item_type: String,
    /// The Rust name of the change-type field (`change_type`).
    pub change_field: String,
    /// The Rust name of the change-type enum (`ChangeType`).
    pub change_type: String,
    /// The Rust name of the resource field (`resource_data`).
    pub resource_field: String,
    /// The Rust name of the resource type: an object type (`Call`) or a resource union
    /// (`CommsNotificationResourceData`).
    pub resource_type: String,
    /// The Rust name of the string field that says where the resource is (`resource_url`), and
    /// whether it is required, if one notification has it.
    pub resource_url_field: Option<(String, bool)>,
}
