//! Each method progenitor writes becomes one call through the runtime (`call::run`): its body runs
//! with the call's record (its `client-request-id`, what the retries found out) in a tracing span,
//! and its error becomes the runtime's `call::Error`, which carries the request ids and says
//! whether a deadline or an uncertain attempt ended the call.

use syn::visit_mut::VisitMut;

/// Rewrites every `pub async fn` of `impl Client` that returns
/// `Result<ResponseValue<T>, Error<E>>` to return `Result<ResponseValue<T>,
/// crate::runtime::call::Error<E>>`, its body run by `run_call`.
pub(crate) fn wrap_calls(file: &mut syn::File) {
    struct Calls;

    impl VisitMut for Calls {
        fn visit_item_impl_mut(&mut self, item: &mut syn::ItemImpl) {
            let on_client = item.trait_.is_none()
                && matches!(&*item.self_ty, syn::Type::Path(p) if p.path.is_ident("Client"));
            if !on_client {
                return;
            }
            for member in &mut item.items {
                if let syn::ImplItem::Fn(method) = member {
                    wrap(method);
                }
            }
        }
    }

    Calls.visit_file_mut(file);
}

/// Wraps one method if it is an operation's.
fn wrap(method: &mut syn::ImplItemFn) {
    if method.sig.asyncness.is_none() {
        return;
    }
    let syn::ReturnType::Type(_, output) = &mut method.sig.output else {
        return;
    };
    let Some(error) = result_error(output) else {
        return;
    };
    let arguments = match &*error {
        syn::Type::Path(path) if path.path.segments.len() == 1 => {
            let only = &path.path.segments[0];
            if only.ident != "Error" {
                return;
            }
            only.arguments.clone()
        }
        _ => return,
    };
    *error = syn::parse_quote!(crate::runtime::call::Error #arguments);
    let operation = method.sig.ident.to_string();
    let wrapped: syn::Block = syn::parse_quote!({
        crate::runtime::__private::run_call(self.inner(), #operation, async move {}).await
    });
    // The body moves into the empty `async move` block as it is, not printed and parsed again.
    let body = std::mem::replace(&mut method.block, wrapped);
    if let Some(syn::Stmt::Expr(syn::Expr::Await(awaited), None)) = method.block.stmts.first_mut()
        && let syn::Expr::Call(call) = &mut *awaited.base
        && let Some(syn::Expr::Async(run)) = call.args.last_mut()
    {
        run.block = body;
    }
}

/// The error type of `Result<_, E>`.
fn result_error(ty: &mut syn::Type) -> Option<&mut syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last_mut()?;
    if last.ident != "Result" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &mut last.arguments else {
        return None;
    };
    match args.args.iter_mut().nth(1)? {
        syn::GenericArgument::Type(error) => Some(error),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use quote::{ToTokens, quote};

    use super::*;

    #[test]
    fn operations_become_calls_and_other_items_stay() {
        let tokens = quote! {
            impl Client {
                pub async fn reject<'a>(&'a self, id: &'a str) -> Result<ResponseValue<()>, Error<types::ODataError>> {
                    let response = self.exec(request, &info).await?;
                    Ok(ResponseValue::empty(response))
                }
                pub fn new(baseurl: &str) -> Self { todo!() }
            }
            impl ClientInfo<()> for Client {
                async fn other(&self) -> Result<ResponseValue<()>, Error<()>> { todo!() }
            }
        };
        let mut file: syn::File = syn::parse2(tokens).unwrap();
        wrap_calls(&mut file);
        let out = file.into_token_stream().to_string();
        assert!(out.contains(
            "Result < ResponseValue < () > , crate :: runtime :: call :: Error < types :: ODataError > >"
        ));
        assert!(out.contains(
            "run_call (self . inner () , \"reject\" , async move { \
             let response = self . exec (request , & info) . await ? ; \
             Ok (ResponseValue :: empty (response)) \
             }) . await"
        ));
        assert!(out.contains("pub fn new (baseurl : & str) -> Self { todo ! () }"));
        assert!(
            out.contains(
                "async fn other (& self) -> Result < ResponseValue < () > , Error < () > >"
            )
        );
    }
}
