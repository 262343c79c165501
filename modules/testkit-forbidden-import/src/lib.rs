//! A module the host must refuse at load: besides the Turnstile interfaces it
//! imports `wasi_snapshot_preview1::random_get`, a source of nondeterminism outside
//! the interface. The refusal must name that import.

use turnstile_sdk::{reducer, Error, Tx};

#[link(wasm_import_module = "wasi_snapshot_preview1")]
extern "C" {
    /// WASI's `random_get`: fills `buf` with `len` random bytes; 0 on success.
    fn random_get(buf: *mut u8, len: usize) -> u16;
}

/// Calls the forbidden import, so that the linker keeps it.
#[reducer]
fn roll(_tx: &mut Tx) -> Result<(), Error> {
    let mut bytes = [0u8; 8];
    // SAFETY: `random_get` writes exactly `len` bytes into `buf`, which is that long.
    let errno = unsafe { random_get(bytes.as_mut_ptr(), bytes.len()) };
    if errno != 0 {
        return Err(Error::raise(format!(
            "random_get failed with errno {errno}"
        )));
    }
    Ok(())
}

turnstile_sdk::module! {
    reducers: [roll],
}
