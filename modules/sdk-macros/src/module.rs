//! `module!`: the module's schema, tables, reducers and views, the `TableHandle` of
//! each table, and the export of the `guest` interface.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{bracketed, Expr, Ident, Path, Token};

use crate::function::{shim_ident, Kind};

/// `schema: <expr>, tables: [Type, …], reducers: [path, …], views: [path, …]`, each
/// optional, in any order.
pub struct ModuleInput {
    schema: Option<Expr>,
    tables: Vec<Path>,
    reducers: Vec<Path>,
    views: Vec<Path>,
}

impl Parse for ModuleInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut schema = None;
        let mut lists: [Option<Vec<Path>>; 3] = [None, None, None];
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            input.parse::<Token![:]>()?;
            let slot = match key.to_string().as_str() {
                "schema" => {
                    if schema.is_some() {
                        return Err(syn::Error::new_spanned(key, "`schema` given twice"));
                    }
                    schema = Some(input.parse()?);
                    None
                }
                "tables" => Some(0),
                "reducers" => Some(1),
                "views" => Some(2),
                _ => {
                    return Err(syn::Error::new_spanned(
                        key,
                        "expected `schema`, `tables`, `reducers` or `views`",
                    ))
                }
            };
            if let Some(slot) = slot {
                if lists[slot].is_some() {
                    return Err(syn::Error::new_spanned(
                        &key,
                        format!("`{key}` given twice"),
                    ));
                }
                let content;
                bracketed!(content in input);
                let paths = Punctuated::<Path, Token![,]>::parse_terminated(&content)?;
                lists[slot] = Some(paths.into_iter().collect());
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        let [tables, reducers, views] = lists.map(Option::unwrap_or_default);
        Ok(ModuleInput {
            schema,
            tables,
            reducers,
            views,
        })
    }
}

pub fn expand(input: ModuleInput) -> TokenStream {
    let schema = input.schema.map_or_else(|| quote!(""), |s| quote!(#s));
    let handles = input.tables.iter().enumerate().map(|(i, table)| {
        let handle = i as u32;
        quote_spanned! {table.span()=>
            impl ::turnstile_sdk::TableHandle for #table {
                const HANDLE: u32 = #handle;
            }
        }
    });
    let tables = &input.tables;
    let reducers = input.reducers.iter().map(|p| shim_path(Kind::Reducer, p));
    let views = input.views.iter().map(|p| shim_path(Kind::View, p));
    quote! {
        #(#handles)*

        const _: () = {
            static __TURNSTILE_MODULE: ::turnstile_sdk::__private::Module =
                ::turnstile_sdk::__private::Module {
                    schema: #schema,
                    tables: &[#(::turnstile_sdk::__private::TableUse::of::<#tables>()),*],
                    reducers: &[#(#reducers),*],
                    views: &[#(#views),*],
                };

            struct __TurnstileModule;

            impl ::turnstile_sdk::__private::Guest for __TurnstileModule {
                fn describe() -> ::turnstile_sdk::__private::Description {
                    __TURNSTILE_MODULE.describe()
                }

                fn call_reducer(
                    reducer: u32,
                    args: ::std::vec::Vec<u8>,
                ) -> ::core::result::Result<(), ::turnstile_sdk::__private::Failure> {
                    __TURNSTILE_MODULE.call_reducer(reducer, &args)
                }

                fn call_view(
                    view: u32,
                    args: ::std::vec::Vec<u8>,
                ) -> ::core::result::Result<
                    ::std::vec::Vec<::std::vec::Vec<u8>>,
                    ::turnstile_sdk::__private::Failure,
                > {
                    __TURNSTILE_MODULE.call_view(view, &args)
                }
            }

            ::turnstile_sdk::__private::bindings::export!(
                __TurnstileModule with_types_in ::turnstile_sdk::__private::bindings
            );
        };
    }
}

/// The path of the constant that `#[reducer]` or `#[view]` put beside the function
/// that `path` names.
fn shim_path(kind: Kind, path: &Path) -> Path {
    let mut path = path.clone();
    if let Some(last) = path.segments.last_mut() {
        last.ident = shim_ident(kind, &last.ident);
    }
    path
}
