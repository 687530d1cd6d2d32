//! Schemas to named types: every component gets its Rust name, objects merge their `allOf`
//! bases, and inline objects and enums become types named after where they are used.

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type};

use openapiv3::VariantOrUnknownOrEmpty;

use super::fields::{FieldsBuilder, Object};
use super::normalize::Normalized;
use super::refs;
use crate::error::{Error, Result};
use crate::ident;
use crate::model::{AliasDef, EnumDef, EnumMember, FieldType, TypeDef, TypeKind};
use crate::pointer::Pointer;

/// The extension that gives the `@odata.type` value naming a type on the wire.
const DISCRIMINATOR_VALUE: &str = "x-ms-discriminator-value";

/// The named types of the API, as they are lowered.
pub(super) struct TypeSpace<'a> {
    doc: &'a OpenAPI,
    /// Component schema name → Rust type name.
    component_names: BTreeMap<String, String>,
    /// Rust names in use.
    taken: BTreeSet<String>,
    types: BTreeMap<String, TypeDef>,
    /// Components being lowered, to report inheritance cycles.
    in_progress: BTreeSet<String>,
}

impl<'a> TypeSpace<'a> {
    /// Gives every component schema its Rust name: the last segment of its name; names that clash
    /// take one more segment of their namespace (less `namespace_prefix`) until they do not
    /// ([`ident::settle`]).
    pub(super) fn new(doc: &'a OpenAPI, namespace_prefix: &str) -> Self {
        let mut spec_names: Vec<&String> = doc
            .components
            .iter()
            .flat_map(|components| components.schemas.keys())
            .collect();
        spec_names.sort();
        let candidates: Vec<Vec<String>> = spec_names
            .iter()
            .map(|name| ident::type_name_candidates(name, namespace_prefix))
            .collect();
        let names = ident::settle(&candidates, &BTreeSet::new());
        Self {
            doc,
            taken: names.iter().cloned().collect(),
            component_names: spec_names.into_iter().cloned().zip(names).collect(),
            types: BTreeMap::new(),
            in_progress: BTreeSet::new(),
        }
    }

    /// The types lowered so far, by Rust name.
    pub(super) fn types(&self) -> &BTreeMap<String, TypeDef> {
        &self.types
    }

    /// Every type, once lowering is done.
    pub(super) fn into_types(self) -> BTreeMap<String, TypeDef> {
        self.types
    }

    /// Lowers every component schema, in name order.
    pub(super) fn lower_components(&mut self) -> Result<()> {
        let spec_names: Vec<String> = self.component_names.keys().cloned().collect();
        for spec_name in spec_names {
            self.lower_component(&spec_name)?;
        }
        Ok(())
    }

    /// The component name and the Rust name of the schema a `$ref` points at.
    pub(super) fn resolve_component(
        &self,
        reference: &str,
        at: &Pointer,
    ) -> Result<(String, String)> {
        let target = refs::target::<Schema>(reference, at)?;
        match self.component_names.get(&target) {
            Some(rust) => {
                let rust = rust.clone();
                Ok((target, rust))
            }
            None => Err(refs::dangling::<Schema>(reference, &target, at)),
        }
    }

    /// The Rust name of the schema a `$ref` points at.
    pub(super) fn resolve_schema_ref(&self, reference: &str, at: &Pointer) -> Result<String> {
        Ok(self.resolve_component(reference, at)?.1)
    }

    /// Lowers the component schema `spec_name`, unless it is already.
    pub(super) fn lower_component(&mut self, spec_name: &str) -> Result<()> {
        let Some(rust_name) = self.component_names.get(spec_name).cloned() else {
            return unreachable_component(&refs::pointer::<Schema>(spec_name));
        };
        if self.types.contains_key(&rust_name) {
            return Ok(());
        }
        let pointer = refs::pointer::<Schema>(spec_name);
        if !self.in_progress.insert(spec_name.to_owned()) {
            return Err(Error::unsupported(
                &pointer,
                "this schema inherits from itself through `allOf`; break the cycle",
            ));
        }
        let Some((schema, pointer)) = refs::component::<Schema>(self.doc, spec_name)? else {
            return unreachable_component(&pointer);
        };
        let doc = schema.schema_data.description.clone().unwrap_or_default();
        let shape = match self.alias(schema, &rust_name, &pointer)? {
            Some(alias) => TypeKind::Alias(alias),
            None => self.lower_named_shape(schema, &rust_name, &pointer)?,
        };
        let kind = match shape {
            TypeKind::Struct(mut def) => {
                def.odata_type = schema
                    .schema_data
                    .extensions
                    .get(DISCRIMINATOR_VALUE)
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
                spec_name: Some(spec_name.to_owned()),
                pointer: pointer.to_string(),
                doc,
                kind,
            },
        );
        Ok(())
    }

    /// Lowers a schema that becomes a named type: an object (possibly through `allOf`) or a string
    /// enum.
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
                        "an inline enum must list strings; name it as a component schema to keep \
                         other values",
                    ));
                }
                Ok(TypeKind::Enum(enum_def(&values, at)?))
            }
            SchemaKind::Type(Type::Object(object)) => {
                let own = Object::new(&object.properties, &object.required);
                self.lower_all_of(&[], Some(own), rust_name, at)
            }
            SchemaKind::AllOf { all_of } => self.lower_all_of(all_of, None, rust_name, at),
            SchemaKind::Any(any)
                if any.any_of.is_empty() && any.one_of.is_empty() && any.items.is_none() =>
            {
                let own = Object::new(&any.properties, &any.required);
                self.lower_all_of(&any.all_of, Some(own), rust_name, at)
            }
            _ => Err(Error::unsupported(
                at,
                "this schema is not supported as a type: a type is an object (`type: object`, \
                 possibly through `allOf`), an enum, or a component that names a scalar or an \
                 array; describe a union (`anyOf`, `oneOf`) as an object with its properties",
            )),
        }
    }

    /// The alias a component schema becomes when it is neither an object nor a string enum: an
    /// integer (`ODataCountResponse`), a string with a format, an array, or an enum whose members
    /// are not all strings (kept as any JSON value, so that values it does not list survive).
    fn alias(
        &mut self,
        schema: &'a Schema,
        rust_name: &str,
        at: &Pointer,
    ) -> Result<Option<AliasDef>> {
        let (format, members) = match &schema.schema_kind {
            SchemaKind::Type(Type::String(string)) if string.enumeration.is_empty() => {
                (format(&string.format), Vec::new())
            }
            SchemaKind::Type(Type::Integer(integer)) => (
                format(&integer.format),
                integer
                    .enumeration
                    .iter()
                    .flatten()
                    .map(i64::to_string)
                    .collect(),
            ),
            SchemaKind::Type(Type::Number(number)) => (
                format(&number.format),
                number
                    .enumeration
                    .iter()
                    .flatten()
                    .map(f64::to_string)
                    .collect(),
            ),
            SchemaKind::Type(Type::Boolean(_)) | SchemaKind::Type(Type::Array(_)) => {
                (None, Vec::new())
            }
            SchemaKind::Any(any)
                if !any.enumeration.is_empty()
                    && any
                        .enumeration
                        .iter()
                        .any(|v| !v.is_string() && !v.is_null()) =>
            {
                let members = any.enumeration.iter().map(|v| v.to_string()).collect();
                let ty = FieldType::Json;
                return Ok(Some(AliasDef {
                    ty,
                    format: any.format.clone(),
                    members,
                }));
            }
            _ => return Ok(None),
        };
        let hint = format!("{rust_name}Item");
        let ty = self.field_type(Normalized::Inline(schema), &hint, at)?;
        Ok(Some(AliasDef {
            ty,
            format,
            members,
        }))
    }

    /// An object made of `allOf` members (bases by `$ref`, or inline objects) and its own
    /// properties.
    fn lower_all_of(
        &mut self,
        members: &'a [ReferenceOr<Schema>],
        own: Option<Object<'a>>,
        rust_name: &str,
        at: &Pointer,
    ) -> Result<TypeKind> {
        let mut fields = FieldsBuilder::default();
        let mut bases = Vec::new();
        for (index, member) in members.iter().enumerate() {
            let member_at = at.join("allOf").join(index.to_string());
            match member {
                ReferenceOr::Reference { reference } => {
                    let (target, base_rust) = self.resolve_component(reference, &member_at)?;
                    self.lower_component(&target)?;
                    match self.types.get(&base_rust).map(|base| &base.kind) {
                        Some(TypeKind::Struct(base)) => {
                            fields.extend_inherited(&base.fields);
                            bases.push(base_rust.clone());
                            bases.extend(base.bases.iter().cloned());
                        }
                        Some(TypeKind::Enum(_) | TypeKind::Alias(_)) => {
                            return Err(Error::unsupported(
                                &member_at,
                                "`allOf` may only combine objects; this member is not one",
                            ));
                        }
                        // Resource unions are inline types, never components.
                        Some(TypeKind::Resource(_)) | None => {
                            return unreachable_component(&member_at);
                        }
                    }
                }
                ReferenceOr::Item(item) => {
                    let object = match &item.schema_kind {
                        SchemaKind::Type(Type::Object(object)) => {
                            Object::new(&object.properties, &object.required)
                        }
                        SchemaKind::Any(any)
                            if any.all_of.is_empty()
                                && any.any_of.is_empty()
                                && any.one_of.is_empty() =>
                        {
                            Object::new(&any.properties, &any.required)
                        }
                        _ => {
                            return Err(Error::unsupported(
                                &member_at,
                                "each `allOf` member must be a `$ref` or an object with `properties`",
                            ));
                        }
                    };
                    self.add_properties(&mut fields, object, rust_name, &member_at)?;
                }
            }
        }
        if let Some(own) = own {
            self.add_properties(&mut fields, own, rust_name, at)?;
        }
        // Each direct base was pushed before its own bases, so the nearest comes first.
        Ok(TypeKind::Struct(fields.finish(bases)))
    }

    /// A Rust type name made from `hint`, unique in the crate.
    pub(super) fn unique_type_name(&mut self, hint: &str) -> String {
        ident::unique(hint.to_owned(), &mut self.taken)
    }

    /// Adds a type whose name came from [`Self::unique_type_name`].
    pub(super) fn insert_type(&mut self, def: TypeDef) {
        self.types.insert(def.name.clone(), def);
    }

    /// Names and lowers an inline object or enum. An identical type already lowered under the same
    /// name is reused.
    pub(super) fn inline_type(
        &mut self,
        schema: &'a Schema,
        hint: &str,
        at: &Pointer,
    ) -> Result<FieldType> {
        let kind = self.lower_named_shape(schema, hint, at)?;
        let doc = schema.schema_data.description.clone().unwrap_or_default();
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
                spec_name: None,
                pointer: at.to_string(),
                doc,
                kind,
            },
        );
        Ok(FieldType::Named(name))
    }
}

/// A schema's `format` as the spec spells it, such as `date-time`.
fn format<T: std::fmt::Debug>(format: &VariantOrUnknownOrEmpty<T>) -> Option<String> {
    use heck::ToKebabCase;
    match format {
        VariantOrUnknownOrEmpty::Item(item) => Some(format!("{item:?}").to_kebab_case()),
        VariantOrUnknownOrEmpty::Unknown(name) => Some(name.clone()),
        VariantOrUnknownOrEmpty::Empty => None,
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
