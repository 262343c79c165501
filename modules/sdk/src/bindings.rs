//! The raw bindings wit-bindgen generates from `modules/wit/turnstile.wit`. Only the
//! SDK and the code its macros generate use them; a module author never does.
//!
//! The paths are spelled from outside the SDK (`turnstile_sdk::…`) because the
//! `export!` macro expands in the module's crate, where the module's `module!`
//! invocation puts it.

wit_bindgen::generate!({
    path: "../wit",
    world: "turnstile-module",
    pub_export_macro: true,
    default_bindings_module: "turnstile_sdk::__private::bindings",
    runtime_path: "turnstile_sdk::__private::wit_bindgen::rt",
});
