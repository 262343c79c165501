//! Builds the WebAssembly modules under `modules/` (the example `bank` and the test
//! modules) so that the server can embed them and the tests can load them.
//!
//! The modules are crates of this workspace compiled for `wasm32-unknown-unknown`,
//! which a build script cannot ask its own cargo for, so it runs a second cargo: one
//! invocation for all of them, into a target directory of its own beside the outer
//! one (`target/wasm-modules`). That directory does not depend on the build script's
//! hash or the outer profile, so debug and release builds of the server share one
//! build of the modules and a rebuilt build script finds it still warm.
//!
//! The server and the tests find the modules through `TURNSTILE_MODULES_DIR`, e.g.
//! `include_bytes!(concat!(env!("TURNSTILE_MODULES_DIR"), "/turnstile_bank.wasm"))`.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The target the modules are built for: plain core WebAssembly, whose only imports
/// are the ones the module declares (the host speaks their canonical ABI directly).
const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The module crates, built together by one nested cargo.
const MODULE_PACKAGES: &[&str] = &[
    "turnstile-bank",
    "turnstile-testkit",
    "turnstile-testkit-bad-row",
    "turnstile-testkit-forbidden-import",
];

/// Everything the modules are built from, relative to the workspace root.
const MODULE_SOURCES: &[&str] = &[
    "modules/wit",
    "modules/sdk",
    "modules/sdk-macros",
    "modules/bank",
    "modules/testkit",
    "modules/testkit-bad-row",
    "modules/testkit-forbidden-import",
    "sql/bank.sql",
    "Cargo.lock",
];

fn main() {
    for source in MODULE_SOURCES {
        println!("cargo:rerun-if-changed={source}");
    }
    let root = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets it"));
    // OUT_DIR is <target>/<profile>/build/<package>-<hash>/out.
    let target_dir = out_dir
        .ancestors()
        .nth(4)
        .expect("OUT_DIR lies four levels below the target directory")
        .join("wasm-modules");

    ensure_wasm_target();
    build_modules(&root, &target_dir);

    let modules_dir = target_dir.join(WASM_TARGET).join("release");
    println!(
        "cargo:rustc-env=TURNSTILE_MODULES_DIR={}",
        modules_dir.display()
    );
}

/// Makes sure the standard library for `wasm32-unknown-unknown` is installed,
/// installing it with rustup if it is not.
fn ensure_wasm_target() {
    if wasm_target_installed() {
        return;
    }
    // Any failure here shows up as the target still missing, just below.
    let _ = Command::new("rustup")
        .args(["target", "add", WASM_TARGET])
        .status();
    if !wasm_target_installed() {
        panic!(
            "the {WASM_TARGET} target is not installed and `rustup target add \
             {WASM_TARGET}` did not install it; run that command, then build again"
        );
    }
    // Cargo shows this again on later builds until the script runs again, so it
    // speaks in the past tense.
    println!("cargo:warning=the {WASM_TARGET} target was missing; installed it with rustup");
}

/// Whether the target's standard library directory exists for the rustc that cargo
/// uses.
fn wasm_target_installed() -> bool {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    let output = Command::new(rustc)
        .args(["--print", "target-libdir", "--target", WASM_TARGET])
        .output();
    match output {
        Ok(output) if output.status.success() => {
            let libdir = String::from_utf8_lossy(&output.stdout);
            Path::new(libdir.trim()).is_dir()
        }
        _ => false,
    }
}

/// Runs the nested cargo; its output goes to this script's stderr, which cargo shows
/// when the build fails.
fn build_modules(root: &Path, target_dir: &Path) {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(cargo);
    command
        .args(["build", "--release", "--locked", "--target", WASM_TARGET])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir);
    for package in MODULE_PACKAGES {
        command.args(["-p", package]);
    }
    for (key, _) in env::vars_os() {
        if key.to_str().is_some_and(leaks_into_nested_build) {
            command.env_remove(&key);
        }
    }
    // One codegen unit with link-time optimization, so that the SDK's code is
    // inlined into the module's reducers across the crate boundary: the bank's
    // `transfer` runs fewer WebAssembly instructions, and the modules are small
    // enough that it costs the build only seconds.
    command
        .env("CARGO_PROFILE_RELEASE_LTO", "true")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1");
    // The nested cargo's stdout goes to stderr too: this script's stdout is read for
    // `cargo:` directives.
    command.stdout(std::io::stderr());
    // The command line without the environment changes, to quote in messages.
    let command_line = std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ");
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("could not run `{command_line}`: {e}"));
    if !status.success() {
        panic!(
            "building the WebAssembly modules failed ({status}); the output of \
             `{command_line}` is above"
        );
    }
}

/// Whether environment variable `key`, as the outer cargo sets it for this script
/// (or a user sets it for the server's build), would change what the nested build
/// does: flags and wrappers meant for the server's compilation, its target and
/// profile settings, and the per-package variables of this build script, which the
/// nested build's own build scripts would otherwise see.
fn leaks_into_nested_build(key: &str) -> bool {
    matches!(
        key,
        "RUSTFLAGS"
            | "RUSTDOCFLAGS"
            | "RUSTC_WRAPPER"
            | "RUSTC_WORKSPACE_WRAPPER"
            | "CARGO_TARGET_DIR"
            | "CARGO_INCREMENTAL"
            | "CARGO_PRIMARY_PACKAGE"
            | "CARGO_CRATE_NAME"
            | "OUT_DIR"
            | "TARGET"
            | "HOST"
            | "PROFILE"
            | "OPT_LEVEL"
            | "DEBUG"
            | "NUM_JOBS"
            | "RUSTC_LINKER"
    ) || key.starts_with("CARGO_ENCODED_")
        || key.starts_with("CARGO_BUILD_")
        || key.starts_with("CARGO_PROFILE_")
        || key.starts_with("CARGO_CFG_")
        || key.starts_with("CARGO_FEATURE_")
        || key.starts_with("CARGO_PKG_")
        || key.starts_with("CARGO_MANIFEST_")
        || key.starts_with("__CARGO")
        || (key.starts_with("CARGO_TARGET_") && key.ends_with("_RUSTFLAGS"))
}
