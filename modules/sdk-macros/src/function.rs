//! `#[reducer]` and `#[view]`: keep the function as written and add, next to it, a
//! hidden constant that describes it (name, typed parameters, result columns) and
//! holds a shim that decodes the argument row and calls it. `module!` finds the
//! constant by name: see [`shim_ident`].

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ItemFn, Pat, ReturnType, Type};

#[derive(Clone, Copy)]
pub enum Kind {
    Reducer,
    View,
}

/// The name of the constant that `#[reducer]` or `#[view]` generates for function
/// `function`.
pub fn shim_ident(kind: Kind, function: &Ident) -> Ident {
    let prefix = match kind {
        Kind::Reducer => "reducer",
        Kind::View => "view",
    };
    format_ident!(
        "__turnstile_{}_{}",
        prefix,
        function.unraw(),
        span = function.span()
    )
}

pub fn expand(kind: Kind, attr: TokenStream, item: ItemFn) -> syn::Result<TokenStream> {
    if !attr.is_empty() {
        return Err(syn::Error::new_spanned(attr, "takes no arguments"));
    }
    let sig = &item.sig;
    if let Some(token) = sig.asyncness {
        return Err(syn::Error::new_spanned(token, "cannot be async"));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(&sig.generics, "cannot be generic"));
    }
    let mut inputs = sig.inputs.iter();
    if !matches!(inputs.next(), Some(FnArg::Typed(_))) {
        return Err(syn::Error::new(
            sig.paren_token.span.join(),
            first_param(kind),
        ));
    }
    let params = inputs.map(param).collect::<syn::Result<Vec<_>>>()?;

    let function = &sig.ident;
    let name = function.unraw().to_string();
    let shim = shim_ident(kind, function);
    let vis = &item.vis;
    let count = params.len();
    let types: Vec<_> = params.iter().map(|(_, ty)| ty).collect();
    let names: Vec<_> = params.iter().map(|(name, _)| name).collect();
    // The shim's own names cannot collide with the parameters' names this way.
    let args: Vec<_> = (0..count).map(|i| format_ident!("__arg{}", i)).collect();
    let decode = quote! {
        let mut __reader = ::turnstile_sdk::codec::Reader::new(__args, #count)?;
        #(let #args: #types = __reader.arg(#names)?;)*
        __reader.finish()?;
    };
    let params = quote!(&[#(::turnstile_sdk::Column::of::<#types>(#names)),*]);

    let constant = match kind {
        Kind::Reducer => quote! {
            #vis const #shim: ::turnstile_sdk::__private::Reducer = {
                fn __turnstile_call(
                    __tx: &mut ::turnstile_sdk::Tx,
                    __args: &[u8],
                ) -> ::core::result::Result<(), ::turnstile_sdk::Error> {
                    #decode
                    #function(__tx, #(#args),*)
                }
                ::turnstile_sdk::__private::Reducer {
                    name: #name,
                    params: #params,
                    call: __turnstile_call,
                }
            };
        },
        Kind::View => {
            let output = view_output(&sig.output)?;
            quote! {
                #vis const #shim: ::turnstile_sdk::__private::View = {
                    fn __turnstile_call(
                        __tx: &::turnstile_sdk::Tx,
                        __args: &[u8],
                    ) -> ::core::result::Result<
                        ::std::vec::Vec<::std::vec::Vec<u8>>,
                        ::turnstile_sdk::Error,
                    > {
                        #decode
                        ::turnstile_sdk::__private::ViewOutput::encode_rows(
                            #function(__tx, #(#args),*),
                        )
                    }
                    ::turnstile_sdk::__private::View {
                        name: #name,
                        params: #params,
                        returns: <<#output as ::turnstile_sdk::__private::ViewOutput>::Row
                            as ::turnstile_sdk::Row>::COLUMNS,
                        call: __turnstile_call,
                    }
                };
            }
        }
    };
    Ok(quote! {
        #item

        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        #constant
    })
}

/// A parameter after the transaction: its SQL name and Rust type.
fn param(arg: &FnArg) -> syn::Result<(String, &Type)> {
    let FnArg::Typed(arg) = arg else {
        return Err(syn::Error::new_spanned(arg, "cannot take self"));
    };
    match &*arg.pat {
        Pat::Ident(pat) if pat.subpat.is_none() && pat.by_ref.is_none() => {
            Ok((pat.ident.unraw().to_string(), &arg.ty))
        }
        _ => Err(syn::Error::new_spanned(
            &arg.pat,
            "a parameter must be a plain name: it is the SQL parameter's name",
        )),
    }
}

fn view_output(output: &ReturnType) -> syn::Result<&Type> {
    match output {
        ReturnType::Type(_, ty) => Ok(ty),
        ReturnType::Default => Err(syn::Error::new(
            output.span(),
            "a view returns Result<Vec<R>, Error>, where R is a Row",
        )),
    }
}

fn first_param(kind: Kind) -> &'static str {
    match kind {
        Kind::Reducer => "a reducer's first parameter is the transaction, `tx: &mut Tx`",
        Kind::View => "a view's first parameter is the transaction, `tx: &Tx`",
    }
}
