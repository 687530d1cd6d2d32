//! The JSON Schema emitter (feature `schemars` of the generated crate): `schemars::JsonSchema` for
//! every type, built from the model with the runtime's builders (one line per property or enum
//! member, with the spec's descriptions and nullability), and `json_schemas`, the schema of every
//! component schema of the spec by its name there.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::types::rust_type;
use crate::model::{Api, EnumDef, ResourceDef, StructDef, TypeDef, TypeKind};

/// Emits `src/schemas.rs`.
pub(crate) fn emit(api: &Api) -> TokenStream {
    let impls = api.types.values().filter_map(|def| {
        // An enum's schema refers to no other type; an alias has the schema of the type it names.
        let (generator, body) = match &def.kind {
            TypeKind::Struct(s) => (quote!(generator), object_schema(def, s)),
            TypeKind::Enum(e) => (quote!(_generator), enum_schema(def, e)),
            TypeKind::Resource(r) => (quote!(generator), union_schema(def, r)),
            TypeKind::Alias(_) => return None,
        };
        let name = format_ident!("{}", def.name);
        let schema_name = def.spec_name.as_deref().unwrap_or(&def.name);
        Some(quote! {
            crate::runtime::__private::type_schema!(#schema_name, #name, |#generator| { #body });
        })
    });
    let components: Vec<TokenStream> = api
        .types
        .values()
        .filter_map(|def| {
            let spec_name = def.spec_name.as_deref()?;
            let name = format_ident!("{}", def.name);
            Some(quote! {
                (#spec_name, crate::runtime::__private::root_schema::<#name>(settings)),
            })
        })
        .collect();
    // Without component types, the settings are not needed.
    let settings = match components.is_empty() {
        true => quote!(_settings),
        false => quote!(settings),
    };
    // A crate without types imports none.
    let use_types = (!api.types.is_empty()).then(|| {
        quote!(
            use crate::types::*;
        )
    });
    quote! {
        //! JSON Schemas of the types (feature `schemars`): every type implements
        //! `schemars::JsonSchema`, with the spec's property names, types, enum members,
        //! nullability and descriptions.
        //!
        //! The schemas admit what the types keep: an object allows properties it does not name,
        //! an enum is `anyOf` its known members and any other string, and a resource union is
        //! `anyOf` its kinds and anything else.

        use crate::runtime::__private::schemars;
        #use_types

        #(#impls)*

        /// The JSON Schema of every component schema of the spec that is a type here, by its name
        /// in the spec, each a document of its own with the schemas it refers to in its
        /// definitions. `SchemaSettings::default()` writes JSON Schema 2020-12;
        /// `SchemaSettings::openapi3()` writes OpenAPI 3.0 schemas.
        pub fn json_schemas(
            #settings: &schemars::generate::SchemaSettings,
        ) -> ::std::vec::Vec<(&'static str, schemars::Schema)> {
            ::std::vec::Vec::from([#(#components)*])
        }
    }
}

/// The description of a type: the spec's, or none.
fn description(def: &TypeDef) -> &str {
    def.doc.trim()
}

fn object_schema(def: &TypeDef, s: &StructDef) -> TokenStream {
    let doc = description(def);
    let properties = s.fields.iter().map(|field| {
        let ty = rust_type(&field.ty);
        let wire = &field.wire_name;
        let doc = field.doc.as_deref().unwrap_or_default().trim();
        let presence = match (field.required, field.nullable) {
            (true, _) => quote!(required),
            (false, true) => quote!(nullable),
            (false, false) => quote!(optional),
        };
        quote!(object.#presence::<#ty>(#wire, #doc);)
    });
    if s.fields.is_empty() {
        return quote!(crate::runtime::__private::ObjectSchema::new(generator, #doc).finish());
    }
    quote! {
        let mut object = crate::runtime::__private::ObjectSchema::new(generator, #doc);
        #(#properties)*
        object.finish()
    }
}

fn enum_schema(def: &TypeDef, e: &EnumDef) -> TokenStream {
    let doc = description(def);
    let members = e.members.iter().map(|m| &m.wire_name);
    quote! {
        crate::runtime::__private::enum_schema(#doc, &[#(#members),*])
    }
}

fn union_schema(def: &TypeDef, r: &ResourceDef) -> TokenStream {
    let doc = description(def);
    let kinds = r.kinds.iter().map(|kind| {
        let ty = rust_type(&kind.ty);
        quote!(union.kind::<#ty>();)
    });
    quote! {
        let mut union = crate::runtime::__private::UnionSchema::new(generator, #doc);
        #(#kinds)*
        union.finish()
    }
}
