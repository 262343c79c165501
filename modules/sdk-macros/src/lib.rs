//! The macros of `turnstile-sdk`: `#[derive(Row)]`, `#[reducer]`, `#[view]` and
//! `module!`. They generate code against `turnstile_sdk`'s public traits and its
//! hidden `__private` module; the SDK re-exports them, and its docs describe them.

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput, ItemFn};

mod function;
mod module;
mod row;

/// Implements `turnstile_sdk::Row`, and `turnstile_sdk::Table` for a struct with
/// `#[row(table = "name")]`.
#[proc_macro_derive(Row, attributes(row, primary_key))]
pub fn derive_row(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    row::expand(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Marks `fn name(tx: &mut Tx, …) -> Result<(), Error>` as a reducer.
#[proc_macro_attribute]
pub fn reducer(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = parse_macro_input!(item as ItemFn);
    function::expand(function::Kind::Reducer, attr.into(), item)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Marks `fn name(tx: &Tx, …) -> Result<Vec<R>, Error>` as a view.
#[proc_macro_attribute]
pub fn view(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = parse_macro_input!(item as ItemFn);
    function::expand(function::Kind::View, attr.into(), item)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Declares the module: its schema, tables, reducers and views.
#[proc_macro]
pub fn module(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as module::ModuleInput);
    module::expand(input).into()
}
