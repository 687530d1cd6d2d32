//! The types emitter: one open struct per object type (unknown properties are kept in
//! `additional_properties`) and one open enum per string enum (members parse case-insensitively;
//! unknown members are kept). Client and server stubs share these types.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::doc_attr;
use crate::model::{
    AliasDef, Api, EnumDef, Field, FieldType, ResourceDef, StructDef, TypeDef, TypeKind,
};

/// Emits `src/types.rs`.
pub(crate) fn emit(api: &Api) -> TokenStream {
    let items = api.types.values().map(|def| match &def.kind {
        TypeKind::Struct(s) => emit_struct(api, def, s),
        TypeKind::Enum(e) => emit_enum(def, e),
        TypeKind::Resource(r) => emit_resource(def, r),
        TypeKind::Alias(a) => emit_alias(def, a),
    });
    let derived = emit_derived_accessors(api);
    let resource_paths = emit_resource_paths(api);
    let has_unions = api
        .types
        .values()
        .any(|def| matches!(def.kind, TypeKind::Resource(_)));
    let unions_doc = has_unions.then(|| {
        quote! {
            //!
            //! A resource union (such as a notification's resource) is read as the kind its
            //! `@odata.type` names, else as the kind the URL beside it names; anything else is
            //! kept, as it came, in its last variant.
        }
    });
    quote! {
        //! The types of the API, shared by the client and the server stubs.
        //!
        //! Every struct is open: properties the spec does not name are kept in its
        //! `additional_properties`, and so are named optional properties that came as an explicit
        //! `null` (the field reads `None`); both are written back out, so a value read and written
        //! again loses nothing. Every enum is open: members are matched without regard to ASCII
        //! case and written in their canonical spelling, and a member this version does not know
        //! is kept, exactly as it came, in the enum's last variant.
        //!
        //! Values typed as a base type can be read as the type derived from it that their
        //! `@odata.type` names, with the `as_<derived>` methods.
        #unions_doc

        #(#items)*
        #derived
        #resource_paths
    }
}

/// For every base type, one `as_<derived>` method per type derived from it that names itself with
/// `@odata.type`.
fn emit_derived_accessors(api: &Api) -> TokenStream {
    let mut by_base: std::collections::BTreeMap<&str, Vec<(&TypeDef, &str)>> =
        std::collections::BTreeMap::new();
    for def in api.types.values() {
        let TypeKind::Struct(s) = &def.kind else {
            continue;
        };
        let Some(odata_type) = s.odata_type.as_deref() else {
            continue;
        };
        for base in &s.bases {
            by_base
                .entry(base.as_str())
                .or_default()
                .push((def, odata_type));
        }
    }
    let impls = by_base.iter().filter_map(|(base, derived)| {
        let TypeKind::Struct(base_def) = &api.types.get(*base)?.kind else {
            return None;
        };
        let odata_field = base_def
            .fields
            .iter()
            .find(|f| f.wire_name == "@odata.type" && !f.required)?;
        let odata_field = format_ident!("{}", odata_field.name);
        let base_ident = format_ident!("{}", base);
        let methods = derived.iter().map(|(def, odata_type)| {
            let derived_ident = format_ident!("{}", def.name);
            let method = format_ident!("as_{}", crate::ident::field_name(&def.name));
            let doc = format!(
                " This value as a [`{}`], if its `@odata.type` is `{odata_type}`. Nothing is lost: \
                 properties of the derived type that the base type does not name are in \
                 `additional_properties`.",
                def.name
            );
            quote! {
                #[doc = #doc]
                pub fn #method(&self) -> ::std::option::Option<#derived_ident> {
                    if self.#odata_field.as_deref() != ::std::option::Option::Some(#odata_type) {
                        return ::std::option::Option::None;
                    }
                    crate::runtime::__private::reinterpret(self).ok()
                }
            }
        });
        Some(quote! {
            impl #base_ident {
                #(#methods)*
            }
        })
    });
    quote!(#(#impls)*)
}

/// The Rust type of a value.
pub(crate) fn rust_type(ty: &FieldType) -> TokenStream {
    match ty {
        FieldType::String => quote!(::std::string::String),
        FieldType::Bool => quote!(bool),
        FieldType::I8 => quote!(i8),
        FieldType::U8 => quote!(u8),
        FieldType::I16 => quote!(i16),
        FieldType::I32 => quote!(i32),
        FieldType::I64 => quote!(i64),
        FieldType::F64 => quote!(f64),
        FieldType::Json => quote!(::serde_json::Value),
        FieldType::Named(name) => {
            let ident = format_ident!("{}", name);
            quote!(#ident)
        }
        FieldType::Array(item) => {
            let item = rust_type(item);
            quote!(::std::vec::Vec<#item>)
        }
        FieldType::Map(value) => {
            let value = rust_type(value);
            quote!(::std::collections::BTreeMap<::std::string::String, #value>)
        }
    }
}

/// Whether `Default` can be derived for a value of this type.
fn has_default(api: &Api, ty: &FieldType) -> bool {
    match ty {
        FieldType::Named(name) => match api.types.get(name).map(|def| &def.kind) {
            Some(TypeKind::Struct(def)) => def
                .fields
                .iter()
                .all(|f| !f.required || has_default(api, &f.ty)),
            Some(TypeKind::Alias(alias)) => has_default(api, &alias.ty),
            _ => false,
        },
        _ => true,
    }
}

/// The doc of a named type: its spec description, then the schema it comes from and what it
/// derives from. Where the spec has no description, only the latter.
fn type_doc(def: &TypeDef, bases: &[String]) -> String {
    let mut doc = def.doc.trim().to_owned();
    let mut origin = match &def.spec_name {
        Some(spec_name) => format!("Schema `{spec_name}`"),
        None => format!("Inline schema at `{}`", def.pointer),
    };
    if !bases.is_empty() {
        let bases: Vec<String> = bases.iter().map(|b| format!("[`{b}`]")).collect();
        origin.push_str(&format!(", derived from {}", bases.join(", ")));
    }
    if !doc.is_empty() {
        doc.push_str("\n\n");
    }
    doc.push_str(&origin);
    doc.push('.');
    doc
}

fn emit_struct(api: &Api, def: &TypeDef, s: &StructDef) -> TokenStream {
    let name = format_ident!("{}", def.name);
    let doc = doc_attr(&type_doc(def, &s.bases));
    let fields = s
        .fields
        .iter()
        .map(|field| emit_field(field, s.odata_type.as_deref()));
    let default = s
        .fields
        .iter()
        .all(|f| !f.required || has_default(api, &f.ty))
        .then(|| quote!(Default,));
    let spec_name = def.spec_name.as_deref().unwrap_or(&def.name);
    let wire_fields = s.fields.iter().map(|f| {
        let field = format_ident!("{}", f.name);
        let wire = &f.wire_name;
        if let Some(url) = resource_url_field(api, s, f) {
            let url = format_ident!("{}", url);
            quote!(#field: resource(#wire, #url))
        } else if f.required {
            quote!(#field: required(#wire))
        } else {
            quote!(#field: #wire)
        }
    });
    quote! {
        #doc
        #[derive(Clone, Debug, #default PartialEq)]
        pub struct #name {
            #(#fields)*
            /// Everything else that came, as it came.
            pub additional_properties: crate::runtime::AdditionalProperties,
        }

        crate::runtime::__private::open_struct!(#spec_name, #name { #(#wire_fields),* });
    }
}

/// For a field that holds a resource union, the Rust name of the field of `owner` with its URL.
fn resource_url_field<'a>(api: &Api, owner: &'a StructDef, field: &Field) -> Option<&'a str> {
    let FieldType::Named(name) = &field.ty else {
        return None;
    };
    let TypeKind::Resource(union) = &api.types.get(name)?.kind else {
        return None;
    };
    owner
        .fields
        .iter()
        .find(|f| f.wire_name == union.url_property)
        .map(|f| f.name.as_str())
}

/// A resource union: one variant per kind, and one for anything else.
fn emit_resource(def: &TypeDef, r: &ResourceDef) -> TokenStream {
    let name = format_ident!("{}", def.name);
    let unknown = format_ident!("{}", r.unknown_variant);
    let url = &r.url_property;
    let mut doc = def.doc.trim().to_owned();
    if !doc.is_empty() {
        doc.push_str("\n\n");
    }
    doc.push_str(&format!(
        "Read as the kind its `@odata.type` names, else as the kind whose paths `{url}` matches if \
         the value is of that kind's JSON type (an object, or an array for a list); anything else, \
         and a list that holds `null`s, is kept in `{unknown}`. Inline schema at `{}` \
         (`x-graph-resource`).",
        def.pointer
    ));
    let doc = doc_attr(&doc);
    let variants = r.kinds.iter().map(|kind| {
        let variant = format_ident!("{}", kind.variant);
        // Objects are boxed: a call is large, and the union is moved while it is read.
        let ty = match &kind.ty {
            FieldType::Named(_) => {
                let ty = rust_type(&kind.ty);
                quote!(::std::boxed::Box<#ty>)
            }
            other => rust_type(other),
        };
        let paths: Vec<String> = kind.paths.iter().map(|p| format!("`{p}`")).collect();
        let doc = match (&kind.odata_type, paths.is_empty()) {
            (Some(odata), true) => format!(" `@odata.type` `{odata}`."),
            (Some(odata), false) => format!(
                " `@odata.type` `{odata}`, or `{url}` {}.",
                paths.join(" or ")
            ),
            (None, _) => format!(" `{url}` {}.", paths.join(" or ")),
        };
        quote!(#[doc = #doc] #variant(#ty),)
    });
    let members = r.kinds.iter().map(|kind| {
        let variant = format_ident!("{}", kind.variant);
        let mut rules = Vec::new();
        if let Some(odata) = &kind.odata_type {
            rules.push(quote!(odata(#odata)));
        }
        if !kind.paths.is_empty() {
            let paths = &kind.paths;
            rules.push(quote!(paths(#(#paths),*)));
        }
        if matches!(kind.ty, FieldType::Array(_)) {
            rules.push(quote!(list()));
        }
        quote!(#variant: #(#rules).*)
    });
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq)]
        pub enum #name {
            #(#variants)*
            /// A resource of none of these kinds, or a list that holds `null`s, exactly as it
            /// came.
            #unknown(::serde_json::Value),
        }

        crate::runtime::__private::open_resource!(#name { #(#members),* }, #unknown);
    }
}

/// `resource_path()` for every notification type that says where its resource is.
fn emit_resource_paths(api: &Api) -> TokenStream {
    let mut seen = std::collections::BTreeSet::new();
    let impls = api.notifications.iter().filter_map(|notification| {
        let shape = &notification.shape;
        let (field, required) = shape.resource_url_field.as_ref()?;
        if !seen.insert(shape.item_type.as_str()) {
            return None;
        }
        let TypeKind::Struct(item) = &api.types.get(&shape.item_type)?.kind else {
            return None;
        };
        let wire = &item.fields.iter().find(|f| &f.name == field)?.wire_name;
        let item = format_ident!("{}", shape.item_type);
        let field = format_ident!("{}", field);
        let url = if *required {
            quote!(&self.#field)
        } else {
            quote!(self.#field.as_deref()?)
        };
        let doc = format!(
            " Where the resource is: the ids `{wire}` names (the call's, and a participant's or an \
             operation's). `None` when `{wire}` is missing or names no resource of a call."
        );
        Some(quote! {
            impl #item {
                #[doc = #doc]
                pub fn resource_path(&self) -> ::std::option::Option<crate::runtime::resource::ResourcePath<'_>> {
                    crate::runtime::resource::ResourcePath::parse(#url)
                }
            }
        })
    });
    quote!(#(#impls)*)
}

/// Whether a field's Rust name says its wire name: the same words, whatever the case.
fn name_says_wire_name(field: &Field) -> bool {
    let simplify = |name: &str| -> String {
        name.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    simplify(field.name.trim_end_matches('_')) == simplify(&field.wire_name)
}

/// A field of a struct whose values name themselves `odata_type` on the wire, if they do.
fn emit_field(field: &Field, odata_type: Option<&str>) -> TokenStream {
    let name = format_ident!("{}", field.name);
    let wire = &field.wire_name;
    let mut doc = field.doc.clone().unwrap_or_default();
    if let (None, "@odata.type") = (&field.doc, wire.as_str()) {
        doc.push_str("The OData type of this value");
        match odata_type {
            Some(own) => doc.push_str(&format!(": `{own}`, or that of a type derived from it.")),
            None => doc.push_str(", which may name a type derived from this one."),
        }
    }
    if doc.is_empty() {
        doc = format!("`{wire}`.");
    } else if !name_says_wire_name(field) {
        doc.push_str(&format!("\n\nWire name: `{wire}`."));
    }
    let doc = doc_attr(&doc);
    let ty = rust_type(&field.ty);
    if field.required {
        quote! {
            #doc
            pub #name: #ty,
        }
    } else {
        quote! {
            #doc
            pub #name: ::std::option::Option<#ty>,
        }
    }
}

/// A named schema that is neither an object nor a string enum: an alias of its value type, with
/// its format and members in the doc. An enum of values that are not all strings is any JSON value,
/// so that values it does not list are kept.
fn emit_alias(def: &TypeDef, a: &AliasDef) -> TokenStream {
    let name = format_ident!("{}", def.name);
    let mut doc = type_doc(def, &[]);
    if let Some(format) = &a.format {
        doc.push_str(&format!(" Format `{format}`."));
    }
    if !a.members.is_empty() {
        let members: Vec<String> = a.members.iter().map(|m| format!("`{m}`")).collect();
        doc.push_str(&format!(
            " One of {}; other values are kept as they come.",
            members.join(", ")
        ));
    }
    let doc = doc_attr(&doc);
    let ty = rust_type(&a.ty);
    quote! {
        #doc
        pub type #name = #ty;
    }
}

fn emit_enum(def: &TypeDef, e: &EnumDef) -> TokenStream {
    let name = format_ident!("{}", def.name);
    let unknown = format_ident!("{}", e.unknown_variant);
    let mut doc = type_doc(def, &[]);
    if e.evolvable {
        doc.push_str(" Graph adds members after `unknownFutureValue` over time.");
    }
    let doc = doc_attr(&doc);
    let variants = e.members.iter().map(|m| {
        let variant = format_ident!("{}", m.name);
        let doc = format!(" `{}`.", m.wire_name);
        quote!(#[doc = #doc] #variant,)
    });
    let members = e.members.iter().map(|m| {
        let variant = format_ident!("{}", m.name);
        let wire = &m.wire_name;
        quote!(#variant: #wire)
    });
    let spec_name = def.spec_name.as_deref().unwrap_or(&def.name);
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum #name {
            #(#variants)*
            /// A member this version does not know, exactly as it came.
            #unknown(::std::string::String),
        }

        crate::runtime::__private::open_enum!(#spec_name, #name { #(#members),* }, #unknown);
    }
}
