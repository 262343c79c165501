//! `#[derive(Row)]`: a struct's fields become the columns of a row, in order.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt;
use syn::{Data, DeriveInput, Field, Fields, LitStr};

pub fn expand(input: DeriveInput) -> syn::Result<TokenStream> {
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "a Row cannot be generic: its columns' SQL types must be fixed",
        ));
    }
    let fields = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(fields) => fields.named.iter().collect::<Vec<_>>(),
            _ => return Err(not_named_struct(&input)),
        },
        _ => return Err(not_named_struct(&input)),
    };
    let table = table_name(&input)?;
    let mut key_fields = Vec::new();
    for field in &fields {
        if is_primary_key(field)? {
            key_fields.push(*field);
        }
    }

    let row_impl = row_impl(&input, &fields);
    let table_impl = match table {
        Some(table) if key_fields.is_empty() => {
            return Err(syn::Error::new_spanned(
                table,
                "a table's row needs #[primary_key] on its key field(s)",
            ))
        }
        Some(table) => table_impl(&input, &table, &fields, &key_fields),
        None => match key_fields.first() {
            Some(field) => {
                return Err(syn::Error::new_spanned(
                    field,
                    "#[primary_key] needs the struct bound to a table: #[row(table = \"…\")]",
                ))
            }
            None => TokenStream::new(),
        },
    };
    Ok(quote! { #row_impl #table_impl })
}

fn row_impl(input: &DeriveInput, fields: &[&Field]) -> TokenStream {
    let name = &input.ident;
    let count = fields.len();
    let idents: Vec<_> = fields.iter().map(|f| &f.ident).collect();
    let types: Vec<_> = fields.iter().map(|f| &f.ty).collect();
    let columns: Vec<_> = fields.iter().map(|f| column_name(f)).collect();
    quote! {
        impl ::turnstile_sdk::Row for #name {
            const COLUMNS: &'static [::turnstile_sdk::Column] = &[
                #(::turnstile_sdk::Column::of::<#types>(#columns),)*
            ];

            fn encode(&self, out: &mut ::std::vec::Vec<u8>) {
                let mut writer = ::turnstile_sdk::codec::RowWriter::new(out, #count);
                #(writer.put(&self.#idents);)*
            }

            fn decode(bytes: &[u8]) -> ::core::result::Result<Self, ::turnstile_sdk::Error> {
                let mut reader = ::turnstile_sdk::codec::Reader::new(bytes, #count)?;
                let row = #name {
                    #(#idents: reader.column(#columns)?,)*
                };
                reader.finish()?;
                ::core::result::Result::Ok(row)
            }
        }
    }
}

fn table_impl(
    input: &DeriveInput,
    table: &LitStr,
    fields: &[&Field],
    key_fields: &[&Field],
) -> TokenStream {
    let name = &input.ident;
    let positions = key_fields.iter().map(|key| {
        let position = fields
            .iter()
            .position(|f| f.ident == key.ident)
            .expect("a key field is one of the fields") as u32;
        quote!(#position)
    });
    let key_idents: Vec<_> = key_fields.iter().map(|f| &f.ident).collect();
    let key_types: Vec<_> = key_fields.iter().map(|f| &f.ty).collect();
    // One key column is its own type; several are a tuple, in key order.
    let (key_type, key_value) = match key_fields {
        [field] => {
            let ident = &field.ident;
            let ty = &field.ty;
            (
                quote!(#ty),
                quote!(::core::clone::Clone::clone(&self.#ident)),
            )
        }
        _ => (
            quote!((#(#key_types,)*)),
            quote!((#(::core::clone::Clone::clone(&self.#key_idents),)*)),
        ),
    };
    quote! {
        impl ::turnstile_sdk::Table for #name {
            const NAME: &'static str = #table;
            const PRIMARY_KEY: &'static [u32] = &[#(#positions),*];
            type Key = #key_type;

            fn key(&self) -> Self::Key {
                #key_value
            }
        }
    }
}

/// The table named by `#[row(table = "…")]`, if any.
fn table_name(input: &DeriveInput) -> syn::Result<Option<LitStr>> {
    let mut table = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("row")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("table") {
                table = Some(meta.value()?.parse::<LitStr>()?);
                Ok(())
            } else {
                Err(meta.error("expected `table = \"name\"`"))
            }
        })?;
    }
    Ok(table)
}

fn is_primary_key(field: &Field) -> syn::Result<bool> {
    for attr in &field.attrs {
        if attr.path().is_ident("primary_key") {
            attr.meta.require_path_only()?;
            return Ok(true);
        }
    }
    Ok(false)
}

/// The column's name: the field's, without a raw identifier's `r#`.
fn column_name(field: &Field) -> String {
    field
        .ident
        .as_ref()
        .expect("named fields have identifiers")
        .unraw()
        .to_string()
}

fn not_named_struct(input: &DeriveInput) -> syn::Error {
    syn::Error::new_spanned(
        &input.ident,
        "Row is derived for a struct with named fields: one per column",
    )
}
