//! Traps that carry their reason: a module traps when it panics or runs out of
//! memory, and a bare trap tells the client nothing. Before either, the SDK sends the
//! host a message through `context::report-panic`.
//!
//! - A panic hook, installed by the first call of any export (a module has no start
//!   function of its own to do it earlier), reports the panic's message and location.
//! - The global allocator wraps the standard one and reports a failed allocation,
//!   which Rust answers with an abort rather than a panic, so the hook never sees it.
//!   A module can therefore not choose another `#[global_allocator]`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write;
use std::panic::PanicHookInfo;
use std::sync::Once;

use crate::bindings::turnstile::module::context;

/// Installs the panic hook, once.
pub(crate) fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| std::panic::set_hook(Box::new(report_panic)));
}

/// Reports `panicked at src/lib.rs:7:5: message` on one line, as a client's error
/// message should be (the standard hook puts the message on a line of its own).
fn report_panic(info: &PanicHookInfo<'_>) {
    let message = info.payload_as_str().unwrap_or("a panic without a message");
    let report = match info.location() {
        Some(location) => format!("panicked at {location}: {message}"),
        None => format!("panicked: {message}"),
    };
    context::report_panic(&report);
}

#[global_allocator]
static ALLOCATOR: ReportingAllocator = ReportingAllocator;

/// The standard allocator, reporting the allocations it fails.
struct ReportingAllocator;

// SAFETY: every method forwards to `System` with the caller's arguments unchanged.
unsafe impl GlobalAlloc for ReportingAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        checked(System.alloc(layout), layout.size())
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        checked(System.alloc_zeroed(layout), layout.size())
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        checked(System.realloc(ptr, layout, new_size), new_size)
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[inline]
fn checked(ptr: *mut u8, size: usize) -> *mut u8 {
    if ptr.is_null() {
        report_failed_allocation(size);
    }
    ptr
}

/// The message is formatted on the stack: the allocator has just failed.
#[cold]
fn report_failed_allocation(size: usize) {
    let mut message = StackText::default();
    // The message fits the buffer; were it cut short, the host would still get a
    // prefix of it.
    let _ = write!(
        message,
        "memory allocation of {size} bytes failed: the module ran out of memory"
    );
    context::report_panic(message.as_str());
}

/// A fixed buffer that `write!` can format into without allocating.
struct StackText {
    bytes: [u8; 128],
    len: usize,
}

impl Default for StackText {
    fn default() -> Self {
        StackText {
            bytes: [0; 128],
            len: 0,
        }
    }
}

impl StackText {
    fn as_str(&self) -> &str {
        // Only whole `&str`s are ever copied in, so the bytes are valid UTF-8.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl Write for StackText {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        let end = self.len + text.len();
        if end > self.bytes.len() {
            return Err(std::fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(text.as_bytes());
        self.len = end;
        Ok(())
    }
}
