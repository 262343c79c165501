//! Traps that carry their reason: a module traps when it panics or runs out of
//! memory, and a bare trap tells the client nothing. Before either, the SDK sends the
//! host a message through `context::report-panic`.
//!
//! - A panic hook, installed by the first call of any export (a module has no start
//!   function of its own to do it earlier), reports the panic's message and location.
//! - The global allocator wraps the standard one and reports a failed allocation,
//!   which Rust answers with an abort rather than a panic, so the hook never sees it.
//!   A module can therefore not choose another `#[global_allocator]`.
//!   In a module it also keeps freed small blocks for reuse ([`SmallBlocks`]).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
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

/// The standard allocator, reporting the allocations it fails; in a module, with
/// the small blocks it frees kept for reuse.
struct ReportingAllocator;

// SAFETY: a small block comes from `SmallBlocks`, which hands out blocks of its
// class's size and alignment, at least the layout's; every other call forwards to
// `System` with the caller's arguments unchanged.
unsafe impl GlobalAlloc for ReportingAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = match small_class(layout) {
            Some(class) => SMALL_BLOCKS.take(class),
            None => System.alloc(layout),
        };
        checked(ptr, layout.size())
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if small_class(layout).is_none() {
            return checked(System.alloc_zeroed(layout), layout.size());
        }
        let ptr = self.alloc(layout);
        if !ptr.is_null() {
            ptr.write_bytes(0, layout.size());
        }
        ptr
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        match (small_class(layout), small_class(new_layout)) {
            (None, None) => checked(System.realloc(ptr, layout, new_size), new_size),
            // The block already has the new class's size.
            (Some(old), Some(new)) if old == new => ptr,
            _ => {
                let moved = self.alloc(new_layout);
                if !moved.is_null() {
                    moved.copy_from_nonoverlapping(ptr, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                moved
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match small_class(layout) {
            Some(class) => SMALL_BLOCKS.give_back(class, ptr),
            None => System.dealloc(ptr, layout),
        }
    }
}

/// The largest allocation [`SmallBlocks`] keeps, and the step between its classes.
const SMALL_BLOCK_MAX: usize = 256;
const SMALL_BLOCK_STEP: usize = 16;
const SMALL_CLASSES: usize = SMALL_BLOCK_MAX / SMALL_BLOCK_STEP;

/// The class of an allocation [`SmallBlocks`] serves in this build: none outside
/// a module.
#[inline]
fn small_class(layout: Layout) -> Option<usize> {
    if SMALL_BLOCKS_USED {
        size_class(layout)
    } else {
        None
    }
}

/// The class of a small allocation (class `c` holds blocks of `(c + 1) * 16`
/// bytes, aligned to 16), or None for a larger or more strictly aligned one, which
/// goes to `System`.
#[inline]
fn size_class(layout: Layout) -> Option<usize> {
    if layout.size() > SMALL_BLOCK_MAX || layout.align() > SMALL_BLOCK_STEP {
        return None;
    }
    Some(layout.size().max(1).div_ceil(SMALL_BLOCK_STEP) - 1)
}

/// Only a module keeps small blocks: it is single-threaded (wasm32 without the
/// `atomics` feature has no threads), which is what lets [`SmallBlocks`] do without
/// a lock. The SDK's own tests run natively, on many threads, with `System` alone.
const SMALL_BLOCKS_USED: bool = cfg!(all(target_family = "wasm", not(target_feature = "atomics")));

static SMALL_BLOCKS: SmallBlocks = SmallBlocks::new();

/// Freed small blocks, one list per size class, linked through their first bytes,
/// for the next allocation of their class to take.
///
/// A reducer call allocates and frees a handful of small blocks — its arguments,
/// the rows the host returns, their strings — and the standard allocator
/// (dlmalloc) spends about a hundred instructions on a `malloc` and its `free`
/// (bins, coalescing, headers); taking and giving back a block here costs a few.
/// The bank's `transfer` allocates five, and with them kept here a call of it
/// (`cargo bench --bench reducer_call`, counted by callgrind) runs 13,936
/// instructions instead of 14,407, host and module together. The price is that a
/// small block, once freed, stays with its class for good: a module holds at most
/// its peak of small blocks of each class, which its memory budget counts like any
/// other memory.
struct SmallBlocks {
    free: [Cell<*mut u8>; SMALL_CLASSES],
}

// SAFETY: the allocator uses it only where there is a single thread
// (`SMALL_BLOCKS_USED`); elsewhere `small_class` never returns a class, so the
// static's methods are never called (tests use instances of their own).
unsafe impl Sync for SmallBlocks {}

impl SmallBlocks {
    const fn new() -> SmallBlocks {
        SmallBlocks {
            free: [const { Cell::new(std::ptr::null_mut()) }; SMALL_CLASSES],
        }
    }

    /// A block of `class`: the last one freed, or a new one from `System`.
    #[inline]
    unsafe fn take(&self, class: usize) -> *mut u8 {
        let head = self.free[class].get();
        if head.is_null() {
            let size = (class + 1) * SMALL_BLOCK_STEP;
            return System.alloc(Layout::from_size_align_unchecked(size, SMALL_BLOCK_STEP));
        }
        self.free[class].set(head.cast::<*mut u8>().read());
        head
    }

    /// Keeps `block`, of `class`, for the next `take` of its class.
    #[inline]
    unsafe fn give_back(&self, class: usize, block: *mut u8) {
        block.cast::<*mut u8>().write(self.free[class].get());
        self.free[class].set(block);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_round_sizes_up_to_sixteen_bytes() {
        let class = |size, align| size_class(Layout::from_size_align(size, align).unwrap());
        assert_eq!(class(0, 1), Some(0));
        assert_eq!(class(1, 1), Some(0));
        assert_eq!(class(16, 8), Some(0));
        assert_eq!(class(17, 1), Some(1));
        assert_eq!(class(256, 16), Some(SMALL_CLASSES - 1));
        assert_eq!(class(257, 1), None, "larger blocks go to System");
        assert_eq!(class(8, 32), None, "stricter alignment goes to System");
    }

    #[test]
    fn a_freed_block_is_the_next_one_of_its_class() {
        let blocks = SmallBlocks::new();
        // SAFETY: one thread; every block is given back to the class it came from.
        unsafe {
            let a = blocks.take(1);
            let b = blocks.take(1);
            assert!(!a.is_null() && !b.is_null() && a != b);
            assert_eq!(a as usize % SMALL_BLOCK_STEP, 0, "blocks are aligned to 16");
            // A block holds its class's size.
            a.write_bytes(0xAB, 2 * SMALL_BLOCK_STEP);
            blocks.give_back(1, a);
            blocks.give_back(1, b);
            assert_eq!(blocks.take(1), b, "last freed, first reused");
            assert_eq!(blocks.take(1), a);
            let other = blocks.take(2);
            assert!(other != a && other != b, "classes do not share blocks");
            for (class, block) in [(1, a), (1, b), (2, other)] {
                System.dealloc(
                    block,
                    Layout::from_size_align((class + 1) * SMALL_BLOCK_STEP, SMALL_BLOCK_STEP)
                        .unwrap(),
                );
            }
        }
    }
}
