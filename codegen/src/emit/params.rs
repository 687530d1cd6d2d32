//! The server stubs' parameter structs: for each operation with query or header parameters, one
//! struct that hands them to the implementation typed, and the function that reads and checks them
//! (types, ranges, required ones) with the runtime's `Params`.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::doc_attr;
use crate::model::{FieldType, Operation, Param};

/// The name of the operation's parameter struct, if it has query or header parameters.
pub(super) fn struct_name(op: &Operation) -> Option<Ident> {
    (!op.params.is_empty())
        .then(|| format_ident!("{}Params", crate::ident::variant_name(op.name())))
}

/// The struct of the operation's query and header parameters and its reader, if it has any.
pub(super) fn emit_struct(op: &Operation) -> Option<TokenStream> {
    let name = struct_name(op)?;
    let doc = doc_attr(&format!(
        "The query and header parameters of `{}`, read and checked before it is called.",
        op.name()
    ));
    let fields = op.params.iter().map(|param| {
        let member = format_ident!("{}", param.name);
        let ty = rust_type(&param.ty);
        let ty = if param.required {
            ty
        } else {
            quote!(::std::option::Option<#ty>)
        };
        let mut text = param.doc.clone().unwrap_or_default();
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(&format!(
            "`{}`, a {} parameter{}.",
            param.wire_name,
            param.location.as_str(),
            if matches!(param.ty, FieldType::Array(_)) {
                ", a comma-separated list"
            } else {
                ""
            }
        ));
        let doc = doc_attr(&text);
        quote!(#doc pub #member: #ty,)
    });
    let reads = op.params.iter().map(|param| {
        let member = format_ident!("{}", param.name);
        let value = read(param);
        quote!(#member: #value,)
    });
    Some(quote! {
        #doc
        #[derive(Clone, Debug, PartialEq)]
        pub struct #name {
            #(#fields)*
        }

        impl #name {
            /// Reads the parameters of a request; a `400` names the first that is wrong.
            fn read(params: &crate::runtime::__private::Params<'_>) -> ::std::result::Result<Self, crate::runtime::GraphError> {
                Ok(Self { #(#reads)* })
            }
        }
    })
}

/// The statements of a handler that read the operation's parameters into `params`, answering a
/// bad request.
pub(super) fn emit_read(op: &Operation) -> Option<TokenStream> {
    let name = struct_name(op)?;
    Some(quote! {
        let params = match #name::read(&crate::runtime::__private::Params::new(parts.uri.query(), &parts.headers)) {
            Ok(params) => params,
            Err(err) => return err.into_response(),
        };
    })
}

/// The expression that reads one parameter.
fn read(param: &Param) -> TokenStream {
    let wire = &param.wire_name;
    let location = param.location.as_str();
    let (item, getter) = match (&param.ty, param.location) {
        (FieldType::Array(item), _) => (item.as_ref(), quote!(query_list)),
        (ty, crate::model::ParamLocation::Query) => (ty, quote!(query)),
        (ty, crate::model::ParamLocation::Header) => (ty, quote!(header)),
    };
    let item_ty = rust_type(item);
    let mut value = quote!(params.#getter::<#item_ty>(#wire)?);
    if param.required {
        value = quote!(crate::runtime::__private::required(#location, #wire, #value)?);
    }
    let range = (param.minimum.is_some() || param.maximum.is_some()).then(|| {
        let bound = |b: Option<i64>| match b {
            Some(b) => quote!(::std::option::Option::Some(#b)),
            None => quote!(::std::option::Option::None),
        };
        let (min, max) = (bound(param.minimum), bound(param.maximum));
        let values = match (&param.ty, param.required) {
            (FieldType::Array(_), true) => quote!(value.iter().copied()),
            (FieldType::Array(_), false) => quote!(value.iter().flatten().copied()),
            (_, true) => quote!([value]),
            (_, false) => quote!(value),
        };
        quote!(crate::runtime::__private::check_range(#location, #wire, #values, #min, #max)?;)
    });
    match range {
        Some(range) => quote!({
            let value = #value;
            #range
            value
        }),
        None => value,
    }
}

/// The Rust type of a parameter value.
fn rust_type(ty: &FieldType) -> TokenStream {
    match ty {
        FieldType::Bool => quote!(bool),
        FieldType::I32 => quote!(i32),
        FieldType::I64 => quote!(i64),
        FieldType::F64 => quote!(f64),
        FieldType::Named(name) => {
            let name = format_ident!("{}", name);
            quote!(crate::types::#name)
        }
        FieldType::Array(item) => {
            let item = rust_type(item);
            quote!(::std::vec::Vec<#item>)
        }
        _ => quote!(::std::string::String),
    }
}
