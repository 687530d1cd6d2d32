//! The types emitter: one open struct per object type (unknown properties are kept in
//! `additional_properties`) and one open enum per string enum (members parse case-insensitively;
//! unknown members are kept). Client and server stubs share these types.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::model::{Api, EnumDef, Field, FieldType, StructDef, TypeDef, TypeKind};

/// Emits `src/types.rs`.
pub(crate) fn emit(api: &Api) -> TokenStream {
    let items = api.types.values().map(|def| match &def.kind {
        TypeKind::Struct(s) => emit_struct(api, def, s),
        TypeKind::Enum(e) => emit_enum(def, e),
    });
    let derived = emit_derived_accessors(api);
    quote! {
        //! The types of the API, shared by the client and the server stubs.
        //!
        //! Structs are open: properties the spec does not name are kept in `additional_properties`
        //! and written back out. Enums are open: members are matched without regard to case, and a
        //! member this version does not know is kept in the last variant and written back unchanged.
        // Generated matches stay uniform across types, even where one arm would read better as `matches!`.
        #![allow(clippy::match_like_matches_macro)]

        #(#items)*
        #derived
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
                    crate::runtime::reinterpret(self).ok()
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
            _ => false,
        },
        _ => true,
    }
}

pub(crate) fn doc_attr(text: &str) -> TokenStream {
    let lines = text.lines().map(|line| {
        let line = format!(" {}", line.trim_end());
        quote!(#[doc = #line])
    });
    quote!(#(#lines)*)
}

fn emit_struct(api: &Api, def: &TypeDef, s: &StructDef) -> TokenStream {
    let name = format_ident!("{}", def.name);
    let mut doc = def.doc.clone();
    if let Some(spec_name) = &def.spec_name {
        doc.push_str(&format!("\n\nSchema `{spec_name}`."));
    }
    if let Some(odata_type) = &s.odata_type {
        doc.push_str(&format!(" On the wire, `@odata.type` is `{odata_type}`."));
    }
    if !s.bases.is_empty() {
        let bases: Vec<String> = s.bases.iter().map(|b| format!("[`{b}`]")).collect();
        doc.push_str(&format!(
            " Derived from {}, whose properties it repeats.",
            bases.join(", ")
        ));
    }
    let doc = doc_attr(&doc);
    let fields = s.fields.iter().map(emit_field);
    let serde_impls = emit_struct_serde(def, s);
    let default = s
        .fields
        .iter()
        .all(|f| !f.required || has_default(api, &f.ty))
        .then(|| quote!(Default,));
    quote! {
        #doc
        #[derive(Clone, Debug, #default PartialEq)]
        pub struct #name {
            #(#fields)*
            /// Properties the spec does not name, and properties that came as `null`, kept as they came
            /// so that nothing is lost.
            pub additional_properties: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
        }

        #serde_impls
    }
}

/// `Serialize` and `Deserialize` for an open struct. Unknown properties go to
/// `additional_properties`; a known optional property that came as `null` reads as `None` and is
/// kept there as `null`, so it is written back unless the field has since been set.
fn emit_struct_serde(def: &TypeDef, s: &StructDef) -> TokenStream {
    let name = format_ident!("{}", def.name);
    let expecting = format!("a `{}` object", def.spec_name.as_ref().unwrap_or(&def.name));
    let serialize_fields = s.fields.iter().map(|f| {
        let field = format_ident!("{}", f.name);
        let wire = &f.wire_name;
        if f.required {
            quote!(map.serialize_entry(#wire, &self.#field)?;)
        } else {
            quote!(if let ::std::option::Option::Some(value) = &self.#field { map.serialize_entry(#wire, value)?; })
        }
    });
    let shadowed = s.fields.iter().map(|f| {
        let field = format_ident!("{}", f.name);
        let wire = &f.wire_name;
        if f.required {
            quote!(#wire => true,)
        } else {
            quote!(#wire => self.#field.is_some(),)
        }
    });
    let local = |f: &Field| format_ident!("field_{}", f.name.trim_end_matches('_'));
    let locals = s.fields.iter().map(|f| {
        let field = local(f);
        let ty = rust_type(&f.ty);
        quote!(let mut #field: ::std::option::Option<#ty> = ::std::option::Option::None;)
    });
    let arms = s.fields.iter().map(|f| {
        let field = local(f);
        let ty = rust_type(&f.ty);
        let wire = &f.wire_name;
        if f.required {
            quote!(#wire => #field = ::std::option::Option::Some(map.next_value::<#ty>()?),)
        } else {
            quote! {
                #wire => match map.next_value::<::std::option::Option<#ty>>()? {
                    ::std::option::Option::Some(value) => #field = ::std::option::Option::Some(value),
                    ::std::option::Option::None => {
                        #field = ::std::option::Option::None;
                        additional_properties.insert(key.into_owned(), ::serde_json::Value::Null);
                    }
                },
            }
        }
    });
    let build = s.fields.iter().map(|f| {
        let field = format_ident!("{}", f.name);
        let value = local(f);
        let wire = &f.wire_name;
        if f.required {
            quote!(#field: #value.ok_or_else(|| <A::Error as ::serde::de::Error>::missing_field(#wire))?,)
        } else {
            quote!(#field: #value,)
        }
    });
    quote! {
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap as _;
                let mut map = serializer.serialize_map(::std::option::Option::None)?;
                #(#serialize_fields)*
                for (key, value) in &self.additional_properties {
                    let shadowed = match key.as_str() {
                        #(#shadowed)*
                        _ => false,
                    };
                    if !shadowed {
                        map.serialize_entry(key, value)?;
                    }
                }
                map.end()
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                struct Visitor;

                impl<'de> ::serde::de::Visitor<'de> for Visitor {
                    type Value = #name;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(#expecting)
                    }

                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> ::std::result::Result<#name, A::Error> {
                        #(#locals)*
                        let mut additional_properties = ::serde_json::Map::new();
                        while let ::std::option::Option::Some(key) = map.next_key::<crate::runtime::Key<'de>>()? {
                            match key.as_str() {
                                #(#arms)*
                                _ => {
                                    let value = map.next_value::<::serde_json::Value>()?;
                                    additional_properties.insert(key.into_owned(), value);
                                }
                            }
                        }
                        ::std::result::Result::Ok(#name {
                            #(#build)*
                            additional_properties,
                        })
                    }
                }

                deserializer.deserialize_map(Visitor)
            }
        }
    }
}

fn emit_field(field: &Field) -> TokenStream {
    let name = format_ident!("{}", field.name);
    let wire = &field.wire_name;
    let doc = match &field.doc {
        Some(doc) => format!("{doc}\n\nWire name: `{wire}`."),
        None => format!("The `{wire}` property.\n\nWire name: `{wire}`."),
    };
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

fn emit_enum(def: &TypeDef, e: &EnumDef) -> TokenStream {
    let name = format_ident!("{}", def.name);
    let unknown = format_ident!("{}", e.unknown_variant);
    let mut doc = def.doc.clone();
    if let Some(spec_name) = &def.spec_name {
        doc.push_str(&format!("\n\nSchema `{spec_name}`."));
    }
    doc.push_str(
        " Members are matched without regard to case and written in their canonical spelling; \
         a member this version does not know is kept as it came.",
    );
    if e.evolvable {
        doc.push_str(" Graph adds members after `unknownFutureValue` over time.");
    }
    let doc = doc_attr(&doc);
    let variants = e.members.iter().map(|m| {
        let variant = format_ident!("{}", m.name);
        let doc = format!(" `{}`.", m.wire_name);
        quote!(#[doc = #doc] #variant,)
    });
    let from_wire = e.members.iter().map(|m| {
        let variant = format_ident!("{}", m.name);
        let wire = &m.wire_name;
        quote!(if value.eq_ignore_ascii_case(#wire) { return ::std::option::Option::Some(Self::#variant); })
    });
    let as_wire = e.members.iter().map(|m| {
        let variant = format_ident!("{}", m.name);
        let wire = &m.wire_name;
        quote!(Self::#variant => #wire,)
    });
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum #name {
            #(#variants)*
            /// A member this version does not know, exactly as it came.
            #unknown(::std::string::String),
        }

        impl crate::runtime::OpenEnum for #name {
            fn known(value: &str) -> ::std::option::Option<Self> {
                #(#from_wire)*
                ::std::option::Option::None
            }

            fn unknown(value: ::std::string::String) -> Self {
                Self::#unknown(value)
            }

            fn as_wire(&self) -> &str {
                match self {
                    #(#as_wire)*
                    Self::#unknown(value) => value,
                }
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(crate::runtime::OpenEnum::as_wire(self))
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;

            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(crate::runtime::OpenEnum::from_wire(value))
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(crate::runtime::OpenEnum::as_wire(self))
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                crate::runtime::deserialize_open_enum(deserializer)
            }
        }
    }
}
