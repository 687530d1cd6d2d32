//! `$ref`s into `#/components`: one resolver serves parameters, request bodies, responses and
//! schemas, and words their errors one way.

use indexmap::IndexMap;
use openapiv3::{Components, OpenAPI, Parameter, ReferenceOr, RequestBody, Response, Schema};

use crate::error::{Error, Result};
use crate::pointer::Pointer;

/// A kind of entry under `#/components` that a `$ref` may point at.
pub(super) trait Component: Sized {
    /// The section of `#/components`, such as `requestBodies`.
    const SECTION: &'static str;
    /// What one entry is called in messages, such as `request body`.
    const NOUN: &'static str;
    /// The entries of the section.
    fn entries(components: &Components) -> &IndexMap<String, ReferenceOr<Self>>;
}

/// Implements [`Component`] for the entries of one section.
macro_rules! component {
    ($type:ty, $section:literal, $noun:literal, $field:ident) => {
        impl Component for $type {
            const SECTION: &'static str = $section;
            const NOUN: &'static str = $noun;
            fn entries(components: &Components) -> &IndexMap<String, ReferenceOr<Self>> {
                &components.$field
            }
        }
    };
}

component!(Parameter, "parameters", "parameter", parameters);
component!(RequestBody, "requestBodies", "request body", request_bodies);
component!(Response, "responses", "response", responses);
component!(Schema, "schemas", "schema", schemas);

/// Where the entry `name` of `T`'s section is.
pub(super) fn pointer<T: Component>(name: &str) -> Pointer {
    Pointer::root()
        .join("components")
        .join(T::SECTION)
        .join(name)
}

/// The name of the entry of `T`'s section that `reference` (written at `at`) points at. Only local
/// references into that section are supported.
pub(super) fn target<T: Component>(reference: &str, at: &Pointer) -> Result<String> {
    let tokens = Pointer::from_ref(reference);
    match tokens.as_ref().map(Pointer::tokens) {
        Some([components, section, name])
            if components == "components" && section == T::SECTION =>
        {
            Ok(name.clone())
        }
        _ => Err(Error::unsupported(
            at,
            format!(
                "`$ref: {reference}` is not supported; refer to a {} under `#/components/{}/`",
                T::NOUN,
                T::SECTION
            ),
        )),
    }
}

/// The error for a `reference` (written at `at`) to the entry `name`, which does not exist.
pub(super) fn dangling<T: Component>(reference: &str, name: &str, at: &Pointer) -> Error {
    Error::schema(
        at,
        format!(
            "`$ref: {reference}` points at no {}; add `{name}` under `components/{}` or fix the reference",
            T::NOUN,
            T::SECTION
        ),
    )
}

/// The entry `name` of `T`'s section and where it is, if there is one. An entry that is itself a
/// `$ref` is not supported.
pub(super) fn component<'a, T: Component>(
    doc: &'a OpenAPI,
    name: &str,
) -> Result<Option<(&'a T, Pointer)>> {
    let at = pointer::<T>(name);
    match doc
        .components
        .as_ref()
        .and_then(|c| T::entries(c).get(name))
    {
        None => Ok(None),
        Some(ReferenceOr::Item(item)) => Ok(Some((item, at))),
        Some(ReferenceOr::Reference { reference }) => Err(Error::unsupported(
            &at,
            format!(
                "a component that is only `$ref: {reference}` is not supported; refer to the target directly"
            ),
        )),
    }
}

/// A value written at `at`, or the entry its `$ref` points at, with where it is.
pub(super) fn resolve<'a, T: Component>(
    doc: &'a OpenAPI,
    value: &'a ReferenceOr<T>,
    at: &Pointer,
) -> Result<(&'a T, Pointer)> {
    match value {
        ReferenceOr::Item(item) => Ok((item, at.clone())),
        ReferenceOr::Reference { reference } => {
            let name = target::<T>(reference, at)?;
            component::<T>(doc, &name)?.ok_or_else(|| dangling::<T>(reference, &name, at))
        }
    }
}
