//! Resource unions (`x-graph-resource`): a property whose `anyOf` lists the resources it can hold,
//! such as a notification's `resourceData`, and the extension that says how one is chosen: by its
//! `@odata.type` (a kind's own, or one its `mapping` names), else by the path in a sibling URL
//! property (`resourceUrl`).

use std::collections::BTreeSet;

use indexmap::IndexMap;
use openapiv3::{ReferenceOr, Schema, SchemaKind, Type};

use super::normalize::{self, Normalized};
use super::schemas::TypeSpace;
use crate::error::{Error, Result};
use crate::ident;
use crate::model::{FieldType, ResourceDef, ResourceKind, TypeDef, TypeKind};
use crate::pointer::Pointer;

/// The extension that makes a property a resource union.
pub(super) const RESOURCE: &str = "x-graph-resource";

/// `x-graph-resource` as the spec writes it.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Extension {
    /// The sibling property whose value says where the resource is.
    url_property: String,
    /// The kinds of resource, in the order they are tried by path.
    kinds: Vec<Kind>,
}

/// One kind of resource.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Kind {
    /// Its name, which becomes the variant's.
    name: String,
    /// Its schema: one of the property's `anyOf` members.
    schema: ReferenceOr<Schema>,
    /// The path templates of the URL property that carry it.
    #[serde(default)]
    paths: Vec<String>,
    /// `@odata.type` values of derived schemas, as a `discriminator` maps them.
    #[serde(default)]
    mapping: IndexMap<String, String>,
}

/// The variants of a union as they are collected, each name, `@odata.type` and path once.
#[derive(Default)]
struct Variants {
    kinds: Vec<ResourceKind>,
    names: BTreeSet<String>,
    odata_types: BTreeSet<String>,
    paths: BTreeSet<String>,
}

impl Variants {
    fn push(&mut self, kind: ResourceKind, at: &Pointer) -> Result<()> {
        if !self.names.insert(kind.variant.clone()) {
            return Err(Error::schema(
                at,
                format!(
                    "two kinds are both called `{}` in Rust; rename one",
                    kind.variant
                ),
            ));
        }
        if let Some(odata_type) = &kind.odata_type
            && !self.odata_types.insert(odata_type.to_ascii_lowercase())
        {
            return Err(Error::schema(
                at,
                format!("two kinds are chosen by `@odata.type` `{odata_type}`; keep one"),
            ));
        }
        for path in &kind.paths {
            if !self.paths.insert(path.to_ascii_lowercase()) {
                return Err(Error::schema(
                    at,
                    format!("two kinds are chosen by the path `{path}`; keep one"),
                ));
            }
        }
        self.kinds.push(kind);
        Ok(())
    }
}

impl<'a> TypeSpace<'a> {
    /// The resource union of the property `schema` at `at`, named after `hint`, and the wire name
    /// of the URL property it reads.
    pub(super) fn resource_union(
        &mut self,
        schema: &'a Schema,
        hint: &str,
        at: &Pointer,
    ) -> Result<(FieldType, String)> {
        let extension_at = at.join(RESOURCE);
        let extension: Extension = schema
            .schema_data
            .extensions
            .get(RESOURCE)
            .map(|value| crate::load::deserialize_at(value, extension_at.clone()))
            .transpose()
            .map_err(|(pointer, message)| {
                Error::schema(
                    &pointer,
                    format!(
                        "`{RESOURCE}` is `{{urlProperty, kinds: [{{name, schema, paths, mapping}}]}}`: {message}"
                    ),
                )
            })?
            .ok_or_else(|| Error::schema(&extension_at, format!("`{RESOURCE}` is missing")))?;
        let kinds_at = extension_at.join("kinds");
        if extension.kinds.is_empty() {
            return Err(Error::schema(
                &kinds_at,
                "list at least one kind of resource",
            ));
        }
        let members = self.union_members(schema, at)?;
        let mut variants = Variants::default();
        let mut declared = Vec::new();
        for (index, kind) in extension.kinds.iter().enumerate() {
            let kind_at = kinds_at.join(index.to_string());
            let ty =
                self.resource_type(normalize::normalize(&kind.schema), &kind_at.join("schema"))?;
            if !members.iter().any(|(member, _)| *member == ty) {
                return Err(Error::schema(
                    &kind_at.join("schema"),
                    "this schema is none of the property's `anyOf` members; list it there too, so \
                     that the description and the extension agree",
                ));
            }
            let object = match &ty {
                FieldType::Named(name) => Some(name.clone()),
                _ => None,
            };
            for (odata_type, reference) in &kind.mapping {
                let entry_at = kind_at.join("mapping").join(odata_type);
                let derived =
                    self.derived_kind(object.as_deref(), odata_type, reference, &entry_at)?;
                variants.push(derived, &entry_at)?;
            }
            for (path_index, path) in kind.paths.iter().enumerate() {
                check_template(path, &kind_at.join("paths").join(path_index.to_string()))?;
            }
            let odata_type = object.and_then(|name| self.odata_type_of(&name));
            if odata_type.is_none() && kind.paths.is_empty() {
                return Err(Error::schema(
                    &kind_at,
                    "nothing chooses this kind: give it `paths`, or a schema with `x-ms-discriminator-value`",
                ));
            }
            let kind = ResourceKind {
                variant: ident::variant_name(&kind.name),
                ty: ty.clone(),
                odata_type,
                paths: kind.paths.clone(),
            };
            variants.push(kind, &kind_at.join("name"))?;
            declared.push(ty);
        }
        if let Some((_, member_at)) = members
            .iter()
            .find(|(member, _)| !declared.contains(member))
        {
            return Err(Error::schema(
                member_at,
                format!("this member is no kind of `{RESOURCE}`; add a kind for it, or remove it"),
            ));
        }
        let unknown_variant = ident::unique("Unknown".to_owned(), &mut variants.names);
        let name = self.unique_type_name(hint);
        self.insert_type(TypeDef {
            name: name.clone(),
            spec_name: None,
            pointer: at.to_string(),
            doc: schema.schema_data.description.clone().unwrap_or_default(),
            kind: TypeKind::Resource(ResourceDef {
                url_property: extension.url_property.clone(),
                kinds: variants.kinds,
                unknown_variant,
            }),
        });
        Ok((FieldType::Named(name), extension.url_property))
    }

    /// The types of the `anyOf` (or `oneOf`) members of a union, with where each is; `null` is
    /// left out.
    fn union_members(
        &mut self,
        schema: &'a Schema,
        at: &Pointer,
    ) -> Result<Vec<(FieldType, Pointer)>> {
        let (keyword, members) = match &schema.schema_kind {
            SchemaKind::AnyOf { any_of } => ("anyOf", any_of),
            SchemaKind::OneOf { one_of } => ("oneOf", one_of),
            SchemaKind::Any(any) if !any.any_of.is_empty() => ("anyOf", &any.any_of),
            SchemaKind::Any(any) if !any.one_of.is_empty() => ("oneOf", &any.one_of),
            _ => {
                return Err(Error::unsupported(
                    at,
                    format!(
                        "a property with `{RESOURCE}` lists the resources it can hold as `anyOf` members, \
                         such as `anyOf: [{{$ref: ...}}, {{type: array, items: {{$ref: ...}}}}]`"
                    ),
                ));
            }
        };
        let mut types = Vec::new();
        for (index, member) in members.iter().enumerate() {
            if let ReferenceOr::Item(item) = member
                && normalize::is_null_only(item)
            {
                continue;
            }
            let member_at = at.join(keyword).join(index.to_string());
            let ty = self.resource_type(normalize::normalize(member), &member_at)?;
            types.push((ty, member_at));
        }
        Ok(types)
    }

    /// The type of one resource: a `$ref` to an object schema, or an array of them.
    fn resource_type(&mut self, schema: Normalized<'_>, at: &Pointer) -> Result<FieldType> {
        let explain = || {
            Error::unsupported(
                at,
                "a resource is a `$ref` to an object schema, or an array of them (`type: array` with \
                 `items: {$ref: ...}`)",
            )
        };
        match schema {
            Normalized::Ref(reference) => Ok(FieldType::Named(self.object_ref(reference, at)?)),
            Normalized::Inline(item) => match &item.schema_kind {
                SchemaKind::Type(Type::Array(array)) => {
                    match array.items.as_ref().map(normalize::normalize_boxed) {
                        Some(Normalized::Ref(reference)) => Ok(FieldType::Array(Box::new(
                            FieldType::Named(self.object_ref(reference, &at.join("items"))?),
                        ))),
                        _ => Err(explain()),
                    }
                }
                _ => Err(explain()),
            },
        }
    }

    /// The Rust name of the object schema `reference` points at, lowered.
    fn object_ref(&mut self, reference: &str, at: &Pointer) -> Result<String> {
        let (target, name) = self.resolve_component(reference, at)?;
        self.lower_component(&target)?;
        match self.types().get(&name).map(|def| &def.kind) {
            Some(TypeKind::Struct(_)) => Ok(name),
            _ => Err(Error::unsupported(
                at,
                format!(
                    "`{reference}` is not an object schema; a resource is an object, or an array of them"
                ),
            )),
        }
    }

    /// The `@odata.type` that names the object type `name` on the wire, if it has one.
    fn odata_type_of(&self, name: &str) -> Option<String> {
        match &self.types().get(name)?.kind {
            TypeKind::Struct(def) => def.odata_type.clone(),
            _ => None,
        }
    }

    /// The kind a `mapping` entry adds: the schema `reference` derives from the kind's `base`, and
    /// is chosen by `odata_type`.
    fn derived_kind(
        &mut self,
        base: Option<&str>,
        odata_type: &str,
        reference: &str,
        at: &Pointer,
    ) -> Result<ResourceKind> {
        let Some(base) = base else {
            return Err(Error::schema(
                at,
                "only a kind whose schema is an object maps `@odata.type` values to derived schemas",
            ));
        };
        let name = self.object_ref(reference, at)?;
        let derives = matches!(
            self.types().get(&name).map(|def| &def.kind),
            Some(TypeKind::Struct(def)) if def.bases.iter().any(|b| b == base)
        );
        if !derives {
            return Err(Error::schema(
                at,
                format!(
                    "`{reference}` does not derive from the kind's schema (through `allOf`); map only derived schemas"
                ),
            ));
        }
        if let Some(own) = self.odata_type_of(&name)
            && own != odata_type
        {
            return Err(Error::schema(
                at,
                format!(
                    "`{reference}` names itself `{own}` (`x-ms-discriminator-value`); map it under that value"
                ),
            ));
        }
        Ok(ResourceKind {
            variant: name.clone(),
            ty: FieldType::Named(name),
            odata_type: Some(odata_type.to_owned()),
            paths: Vec::new(),
        })
    }
}

/// Checks a path template such as `/communications/calls/{call-id}`: it starts with `/`, has no
/// empty segment, query or fragment, and each `{...}` is a whole segment.
fn check_template(path: &str, at: &Pointer) -> Result<()> {
    let fits = path.strip_prefix('/').is_some_and(|rest| {
        !rest.contains(['?', '#'])
            && rest.split('/').all(|segment| {
                let parameter = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}'));
                match parameter {
                    Some(name) => !name.is_empty() && !name.contains(['{', '}']),
                    None => !segment.is_empty() && !segment.contains(['{', '}']),
                }
            })
    });
    if fits {
        Ok(())
    } else {
        Err(Error::schema(
            at,
            format!(
                "`{path}` is no path template: write one such as `/communications/calls/{{call-id}}`, \
                 starting with `/`, without empty segments, query or fragment, each `{{...}}` a whole segment"
            ),
        ))
    }
}
