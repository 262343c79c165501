//! The canonical ABI of `modules/wit/turnstile.wit`, spoken by the host itself.
//!
//! # Why not the component runtime
//!
//! A module is the core WebAssembly module that wit-bindgen builds from the WIT file
//! for `wasm32-unknown-unknown`. The component model's canonical ABI fixes how each
//! WIT function is lowered to a core function of that module: which core
//! parameters a `list<u8>` becomes, where a result that does not fit one core value
//! is written, how the callee allocates the memory a list is copied into.
//! Wasmtime's component runtime does that lowering for any world, after wrapping
//! the module into a component, and per import call it looks up the caller's
//! memory, realloc and options and checks its scope. The host speaks the ABI of
//! this one world itself instead, on the core module: its imports are typed core
//! functions that read and write the module's memory directly, and its calls into
//! the module are typed core calls. That took the bank's `transfer` from 24,300 to
//! 19,100 instructions a call and from 4.1 to 3.0 µs (`cargo bench --bench
//! reducer_call`, wasmtime 48.0.8), and the server no longer builds wasmtime's
//! component support. The WIT file stays the interface and its documentation; any
//! language whose wit-bindgen targets core WebAssembly builds a module the same way.
//!
//! # What the ABI asks of both sides
//!
//! For this world (wasm32, so pointers and lengths are `u32`):
//!
//! - A `list<u8>` or `string` argument is two core parameters, pointer and length,
//!   into the caller's memory. A string must be UTF-8.
//! - A result of more than one core value is written to memory: an import gets a
//!   last parameter, the address where the host writes it; an export returns the
//!   address where it wrote it, and its `cabi_post_…` export, called once the host
//!   has read the result, frees what it holds.
//! - Variants (`option`, `result`, `bound`, enums) are a discriminant byte, then
//!   their payload at the payload's alignment (4 here). A discriminant out of range
//!   traps, as does a pointer outside memory or misaligned for what it points to.
//! - Lists and strings the host hands over are copied into memory the module
//!   allocates with its `cabi_realloc(0, 0, align, size)` export; the module owns
//!   them from then on. While `cabi_realloc` runs, the module may not call the host.
//!
//! Every import can also end the call with a trap instead of answering (a table
//! handle out of range, malformed bytes): the call's error says why.

use wasmtime::{
    AsContextMut, Caller, ExternType, FuncType, Instance, Linker, Memory, Module, Store, TypedFunc,
    ValType,
};

use super::host::HostState;
use crate::types::DataType;

/// The import modules of the world's interfaces, and the prefix every import of a
/// module must have.
pub(super) const INTERFACE_PREFIX: &str = "turnstile:module/";
const TABLES: &str = "turnstile:module/tables@0.1.0";
const CONTEXT: &str = "turnstile:module/context@0.1.0";
/// The exported interface's name, as its core exports spell it before `#function`.
const GUEST: &str = "turnstile:module/guest@0.1.0";

/// The SQL types of a WIT `sql-type`, in the enum's order: a discriminant is an
/// index here.
const SQL_TYPES: [DataType; 13] = [
    DataType::Bool,
    DataType::Int2,
    DataType::Int4,
    DataType::Int8,
    DataType::Float4,
    DataType::Float8,
    DataType::Text,
    DataType::Bytea,
    DataType::Timestamp,
    DataType::Timestamptz,
    DataType::Date,
    DataType::Uuid,
    DataType::Jsonb,
];

/// A WIT `log-level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

/// A WIT `column`, its `sql-type` as the SQL type it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub data_type: DataType,
    pub nullable: bool,
}

/// A WIT `table-use`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableUse {
    pub name: String,
    pub columns: Vec<Column>,
    pub primary_key: Vec<u32>,
}

/// A WIT `function`: a reducer or a view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub params: Vec<Column>,
    pub returns: Vec<Column>,
}

/// A WIT `description`: what `describe` answers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Description {
    pub schema: String,
    pub tables: Vec<TableUse>,
    pub reducers: Vec<Function>,
    pub views: Vec<Function>,
}

/// A WIT `failure`: an error as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub sqlstate: String,
    pub message: String,
}

/// A WIT `key-prefix`, its values still in the module's memory.
#[derive(Debug, Clone, Copy)]
pub(super) struct KeyPrefix<'a> {
    pub(super) columns: u32,
    pub(super) values: &'a [u8],
}

/// A WIT `bound`.
#[derive(Debug, Clone, Copy)]
pub(super) enum Bound<'a> {
    Unbounded,
    Included(KeyPrefix<'a>),
    Excluded(KeyPrefix<'a>),
}

/// The exports the host calls, looked up once per instance.
pub(super) struct GuestExports {
    memory: Memory,
    describe: Export<(), u32>,
    call_reducer: Export<(u32, u32, u32), u32>,
    call_view: Export<(u32, u32, u32), u32>,
}

type Realloc = TypedFunc<(u32, u32, u32, u32), u32>;

/// An export and its optional `cabi_post_` companion.
struct Export<P, R> {
    call: TypedFunc<P, R>,
    post_return: Option<TypedFunc<u32, ()>>,
}

/// What the imports need of the module's own exports: its memory and allocator.
/// The host state holds it, except while the host runs `cabi_realloc`: an import
/// called then finds none and traps, as the ABI requires.
pub(super) struct ImportSupport {
    memory: Memory,
    realloc: Realloc,
}

/// Sizes and alignments of what crosses (canonical ABI layout on wasm32).
const POINTER_PAIR_BYTES: u32 = 8;
/// `failure`: two strings.
const FAILURE_BYTES: u32 = 16;
/// Where a variant's payload starts after its discriminant byte: every payload here
/// holds pointers, aligned to 4.
const PAYLOAD_OFFSET: u32 = 4;
/// A `result<T, failure>` an export returns: a discriminant and the largest payload.
const RESULT_BYTES: u32 = PAYLOAD_OFFSET + FAILURE_BYTES;
/// The record sizes of `description`, `table-use`, `function` and `column`.
const DESCRIPTION_BYTES: u32 = 4 * POINTER_PAIR_BYTES;
const TABLE_USE_BYTES: u32 = 3 * POINTER_PAIR_BYTES;
const FUNCTION_BYTES: u32 = 3 * POINTER_PAIR_BYTES;
/// `column`: a string, an enum byte, a bool byte, padded to 4.
const COLUMN_BYTES: u32 = 12;
const ALIGN_POINTERS: u32 = 4;

/// A trap for something the module passed that the ABI does not allow.
fn abi_trap(what: impl std::fmt::Display) -> wasmtime::Error {
    wasmtime::format_err!("the module broke the canonical ABI: {what}")
}

/// The module's linear memory, read with the ABI's checks.
struct GuestMemory<'a>(&'a [u8]);

impl<'a> GuestMemory<'a> {
    fn bytes(&self, ptr: u32, len: u32) -> wasmtime::Result<&'a [u8]> {
        let start = ptr as usize;
        let end = start.checked_add(len as usize);
        end.and_then(|end| self.0.get(start..end))
            .ok_or_else(|| abi_trap(format_args!("{len} bytes at {ptr} lie outside its memory")))
    }

    /// The `size` bytes at `ptr`, which must be aligned to `align`.
    fn record(&self, ptr: u32, size: u32, align: u32) -> wasmtime::Result<&'a [u8]> {
        if !ptr.is_multiple_of(align) {
            return Err(abi_trap(format_args!(
                "address {ptr} is not aligned to {align}"
            )));
        }
        self.bytes(ptr, size)
    }

    fn string(&self, ptr: u32, len: u32) -> wasmtime::Result<&'a str> {
        std::str::from_utf8(self.bytes(ptr, len)?)
            .map_err(|_| abi_trap(format_args!("the string at {ptr} is not UTF-8")))
    }

    /// The elements of a list of `elem_bytes`-byte records at `ptr`.
    fn list(
        &self,
        ptr: u32,
        len: u32,
        elem_bytes: u32,
    ) -> wasmtime::Result<impl Iterator<Item = &'a [u8]>> {
        let total = len
            .checked_mul(elem_bytes)
            .ok_or_else(|| abi_trap(format_args!("a list of {len} elements is too long")))?;
        let bytes = self.record(ptr, total, ALIGN_POINTERS)?;
        Ok(bytes.chunks_exact(elem_bytes as usize))
    }
}

/// Reads little-endian values out of a record already bounds-checked.
fn u32_at(record: &[u8], offset: u32) -> u32 {
    let at = offset as usize;
    u32::from_le_bytes(record[at..at + 4].try_into().expect("four bytes"))
}

/// The (pointer, length) pair at `offset` of `record`.
fn pair_at(record: &[u8], offset: u32) -> (u32, u32) {
    (u32_at(record, offset), u32_at(record, offset + 4))
}

/// A discriminant byte, which must be below `cases`.
fn discriminant(byte: u8, cases: u8, what: &str) -> wasmtime::Result<u8> {
    if byte < cases {
        Ok(byte)
    } else {
        Err(abi_trap(format_args!("{what} has no case {byte}")))
    }
}

/// The module's memory, for an import; a trap if the module may not call the host
/// now (from its `cabi_realloc`, or during its instantiation).
fn memory_of(store: &mut impl AsContextMut<Data = HostState>) -> wasmtime::Result<Memory> {
    let mut store = store.as_context_mut();
    match &store.data_mut().imports {
        Some(support) => Ok(support.memory),
        None => Err(abi_trap(
            "it called the host from cabi_realloc or before its instantiation finished",
        )),
    }
}

/// Copies `bytes` into memory the module allocates, returning the address.
fn lower_bytes(
    store: &mut impl AsContextMut<Data = HostState>,
    bytes: &[u8],
    align: u32,
) -> wasmtime::Result<u32> {
    let len = u32::try_from(bytes.len()).map_err(|_| abi_trap("a list past 4 GiB"))?;
    let mut store = store.as_context_mut();
    let support = store.data_mut().imports.take().ok_or_else(|| {
        abi_trap("it called the host from cabi_realloc or before its instantiation finished")
    })?;
    let ptr = support.realloc.call(&mut store, (0, 0, align, len));
    store.data_mut().imports = Some(support);
    let ptr = ptr?;
    if !ptr.is_multiple_of(align) {
        return Err(abi_trap(format_args!(
            "cabi_realloc returned {ptr}, not aligned to {align}"
        )));
    }
    write(&mut store, ptr, bytes)?;
    Ok(ptr)
}

fn write(
    store: &mut impl AsContextMut<Data = HostState>,
    at: u32,
    bytes: &[u8],
) -> wasmtime::Result<()> {
    let memory = memory_of(store)?.data_mut(store);
    let start = at as usize;
    let target = start
        .checked_add(bytes.len())
        .and_then(|end| memory.get_mut(start..end))
        .ok_or_else(|| {
            abi_trap(format_args!(
                "{} bytes at {at} lie outside its memory",
                bytes.len()
            ))
        })?;
    target.copy_from_slice(bytes);
    Ok(())
}

/// A result being written at the address an import was given.
struct ResultArea {
    at: u32,
}

impl ResultArea {
    fn new(at: u32) -> wasmtime::Result<ResultArea> {
        if !at.is_multiple_of(ALIGN_POINTERS) {
            return Err(abi_trap(format_args!(
                "result address {at} is not aligned to {ALIGN_POINTERS}"
            )));
        }
        Ok(ResultArea { at })
    }

    /// Writes a whole variant (an `option` or a `result`) at once: every write
    /// looks the module's memory up again, and a row lookup makes several.
    fn variant(
        &self,
        caller: &mut Caller<'_, HostState>,
        variant: &VariantBytes,
    ) -> wasmtime::Result<()> {
        write(caller, self.at, variant.as_bytes())
    }

    /// Copies `bytes` into the module and writes their list at the start of the
    /// area (a `string` result).
    fn list(&self, caller: &mut Caller<'_, HostState>, bytes: &[u8]) -> wasmtime::Result<()> {
        let list = lower_list(caller, bytes)?;
        write(caller, self.at, &pair_bytes(list))
    }

    /// Writes `result`: discriminant 0 and the payload `ok` makes of its value, or
    /// 1 and the failure.
    fn result<T>(
        &self,
        caller: &mut Caller<'_, HostState>,
        result: Result<T, Failure>,
        ok: impl FnOnce(&mut Caller<'_, HostState>, VariantBytes, T) -> wasmtime::Result<VariantBytes>,
    ) -> wasmtime::Result<()> {
        let variant = match result {
            Ok(value) => ok(caller, VariantBytes::case(0), value)?,
            Err(failure) => {
                let sqlstate = lower_list(caller, failure.sqlstate.as_bytes())?;
                let message = lower_list(caller, failure.message.as_bytes())?;
                VariantBytes::case(1).pair(sqlstate).pair(message)
            }
        };
        self.variant(caller, &variant)
    }
}

/// The bytes of a variant as the canonical ABI lays it out: its discriminant
/// byte, then its payload from `PAYLOAD_OFFSET` on (the padding between is left
/// zero), built on the stack.
struct VariantBytes {
    bytes: [u8; RESULT_BYTES as usize],
    len: usize,
}

impl VariantBytes {
    fn case(discriminant: u8) -> VariantBytes {
        let mut bytes = [0; RESULT_BYTES as usize];
        bytes[0] = discriminant;
        VariantBytes { bytes, len: 1 }
    }

    /// Appends a byte to the payload.
    fn byte(self, value: u8) -> VariantBytes {
        self.push(&[value])
    }

    /// Appends a (pointer, length) pair to the payload.
    fn pair(self, list: (u32, u32)) -> VariantBytes {
        self.push(&pair_bytes(list))
    }

    fn push(mut self, bytes: &[u8]) -> VariantBytes {
        let at = self.len.max(PAYLOAD_OFFSET as usize);
        self.bytes[at..at + bytes.len()].copy_from_slice(bytes);
        self.len = at + bytes.len();
        self
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// A (pointer, length) pair as it lies in memory.
fn pair_bytes((ptr, len): (u32, u32)) -> [u8; POINTER_PAIR_BYTES as usize] {
    let mut bytes = [0; POINTER_PAIR_BYTES as usize];
    bytes[..4].copy_from_slice(&ptr.to_le_bytes());
    bytes[4..].copy_from_slice(&len.to_le_bytes());
    bytes
}

/// Copies `bytes` into memory the module allocates: the (pointer, length) of a
/// `list<u8>` or `string`.
fn lower_list(caller: &mut Caller<'_, HostState>, bytes: &[u8]) -> wasmtime::Result<(u32, u32)> {
    Ok((lower_bytes(caller, bytes, 1)?, bytes.len() as u32))
}

/// Runs `f` with the module's memory and the host state, both borrowed at once.
fn with_memory<R>(
    caller: &mut Caller<'_, HostState>,
    f: impl FnOnce(GuestMemory<'_>, &mut HostState) -> wasmtime::Result<R>,
) -> wasmtime::Result<R> {
    let (memory, state) = memory_of(caller)?.data_and_store_mut(caller);
    f(GuestMemory(memory), state)
}

/// A `bound` from its four core values.
fn lift_bound<'a>(
    memory: &GuestMemory<'a>,
    case: u32,
    columns: u32,
    ptr: u32,
    len: u32,
) -> wasmtime::Result<Bound<'a>> {
    let prefix = || -> wasmtime::Result<KeyPrefix<'a>> {
        Ok(KeyPrefix {
            columns,
            values: memory.bytes(ptr, len)?,
        })
    };
    match case {
        0 => Ok(Bound::Unbounded),
        1 => Ok(Bound::Included(prefix()?)),
        2 => Ok(Bound::Excluded(prefix()?)),
        _ => Err(abi_trap(format_args!("bound has no case {case}"))),
    }
}

/// Offers the world's imports (`tables` and `context`) to modules.
pub(super) fn add_imports(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        TABLES,
        "get",
        |mut caller: Caller<'_, HostState>, table: u32, key: u32, key_len: u32, ret: u32| {
            let found = with_memory(&mut caller, |memory, state| {
                state.get(table, memory.bytes(key, key_len)?)
            })?;
            let area = ResultArea::new(ret)?;
            let variant = match found {
                None => VariantBytes::case(0),
                Some(row) => VariantBytes::case(1).pair(lower_list(&mut caller, row.as_bytes())?),
            };
            area.variant(&mut caller, &variant)
        },
    )?;
    linker.func_wrap(
        TABLES,
        "scan",
        |mut caller: Caller<'_, HostState>,
         table: u32,
         index_case: u32,
         index: u32,
         index_len: u32,
         lower_case: u32,
         lower_columns: u32,
         lower: u32,
         lower_len: u32,
         upper_case: u32,
         upper_columns: u32,
         upper: u32,
         upper_len: u32,
         limit: u32,
         ret: u32| {
            let rows = with_memory(&mut caller, |memory, state| {
                let index = match index_case {
                    0 => None,
                    1 => Some(memory.string(index, index_len)?),
                    _ => return Err(abi_trap(format_args!("option has no case {index_case}"))),
                };
                let lower = lift_bound(&memory, lower_case, lower_columns, lower, lower_len)?;
                let upper = lift_bound(&memory, upper_case, upper_columns, upper, upper_len)?;
                state.scan(table, index, lower, upper, limit)
            })?;
            let area = ResultArea::new(ret)?;
            area.result(&mut caller, rows, |caller, variant, rows| {
                let mut pairs = Vec::with_capacity(rows.len() * 8);
                for row in &rows {
                    pairs.extend_from_slice(&pair_bytes(lower_list(caller, row)?));
                }
                let list = lower_bytes(caller, &pairs, ALIGN_POINTERS)?;
                Ok(variant.pair((list, rows.len() as u32)))
            })
        },
    )?;
    linker.func_wrap(
        TABLES,
        "insert",
        |mut caller: Caller<'_, HostState>, table: u32, row: u32, row_len: u32, ret: u32| {
            let done = with_memory(&mut caller, |memory, state| {
                state.insert(table, memory.bytes(row, row_len)?)
            })?;
            let area = ResultArea::new(ret)?;
            area.result(&mut caller, done, |_, variant, ()| Ok(variant))
        },
    )?;
    let write_bool = |_: &mut Caller<'_, HostState>, variant: VariantBytes, value: bool| {
        Ok(variant.byte(u8::from(value)))
    };
    linker.func_wrap(
        TABLES,
        "update",
        move |mut caller: Caller<'_, HostState>, table: u32, row: u32, row_len: u32, ret: u32| {
            let updated = with_memory(&mut caller, |memory, state| {
                state.update(table, memory.bytes(row, row_len)?)
            })?;
            let area = ResultArea::new(ret)?;
            area.result(&mut caller, updated, write_bool)
        },
    )?;
    linker.func_wrap(
        TABLES,
        "delete",
        move |mut caller: Caller<'_, HostState>, table: u32, key: u32, key_len: u32, ret: u32| {
            let deleted = with_memory(&mut caller, |memory, state| {
                state.delete(table, memory.bytes(key, key_len)?)
            })?;
            let area = ResultArea::new(ret)?;
            area.result(&mut caller, deleted, write_bool)
        },
    )?;
    linker.func_wrap(
        CONTEXT,
        "log",
        |mut caller: Caller<'_, HostState>, level: u32, message: u32, len: u32| {
            with_memory(&mut caller, |memory, state| {
                let level = match level {
                    0 => LogLevel::Error,
                    1 => LogLevel::Warn,
                    2 => LogLevel::Info,
                    3 => LogLevel::Debug,
                    4 => LogLevel::Trace,
                    _ => return Err(abi_trap(format_args!("log-level has no case {level}"))),
                };
                state.log(level, memory.string(message, len)?);
                Ok(())
            })
        },
    )?;
    linker.func_wrap(
        CONTEXT,
        "report-panic",
        |mut caller: Caller<'_, HostState>, message: u32, len: u32| {
            with_memory(&mut caller, |memory, state| {
                state.report_panic(memory.string(message, len)?);
                Ok(())
            })
        },
    )?;
    linker.func_wrap(CONTEXT, "timestamp", |mut caller: Caller<'_, HostState>| {
        memory_of(&mut caller)?;
        caller.data().timestamp()
    })?;
    linker.func_wrap(
        CONTEXT,
        "caller",
        |mut caller: Caller<'_, HostState>, ret: u32| {
            memory_of(&mut caller)?;
            let name = caller.data().caller()?;
            ResultArea::new(ret)?.list(&mut caller, name.as_bytes())
        },
    )?;
    Ok(())
}

/// The core signatures of the exports `turnstile.wit` asks for, and whether each is
/// required (a `cabi_post_` export is optional).
fn expected_exports() -> [(String, &'static str, bool); 8] {
    let call = "(i32, i32, i32) -> (i32)";
    let post = "(i32) -> ()";
    [
        ("cabi_realloc".into(), "(i32, i32, i32, i32) -> (i32)", true),
        (format!("{GUEST}#describe"), "() -> (i32)", true),
        (format!("{GUEST}#call-reducer"), call, true),
        (format!("{GUEST}#call-view"), call, true),
        (format!("cabi_post_{GUEST}#describe"), post, false),
        (format!("cabi_post_{GUEST}#call-reducer"), post, false),
        (format!("cabi_post_{GUEST}#call-view"), post, false),
        ("memory".into(), "memory", true),
    ]
}

/// Checks that `module` exports what the world asks for, with the core types the
/// canonical ABI gives them, before it is ever instantiated; the error names the
/// first export that is missing or differs.
pub(super) fn check_exports(module: &Module) -> Result<(), String> {
    for (name, wanted, required) in expected_exports() {
        let actual = match module.get_export(&name) {
            None if required => {
                return Err(format!(
                    "it does not export `{name}`: build it with wit-bindgen for the \
                     turnstile-module world of modules/wit/turnstile.wit"
                ))
            }
            None => continue,
            Some(ExternType::Memory(_)) => "memory".to_owned(),
            Some(ExternType::Func(ty)) => signature(&ty),
            Some(other) => format!("{other:?}"),
        };
        if actual != wanted {
            return Err(format!(
                "its export `{name}` is {actual}; turnstile.wit makes it {wanted}"
            ));
        }
    }
    Ok(())
}

/// `(i32, i32) -> (i32)`.
fn signature(ty: &FuncType) -> String {
    let list = |types: &mut dyn Iterator<Item = ValType>| {
        types.map(|t| t.to_string()).collect::<Vec<_>>().join(", ")
    };
    format!(
        "({}) -> ({})",
        list(&mut ty.params()),
        list(&mut ty.results())
    )
}

impl GuestExports {
    /// Looks up the exports of a new instance; a missing or mistyped one is named.
    pub(super) fn new(
        store: &mut Store<HostState>,
        instance: &Instance,
    ) -> wasmtime::Result<GuestExports> {
        let memory = instance
            .get_memory(&mut *store, "memory")
            .ok_or_else(|| wasmtime::format_err!("the module exports no memory named `memory`"))?;
        let realloc = typed(store, instance, "cabi_realloc")?;
        store.data_mut().imports = Some(ImportSupport { memory, realloc });
        Ok(GuestExports {
            memory,
            describe: export(store, instance, "describe")?,
            call_reducer: export(store, instance, "call-reducer")?,
            call_view: export(store, instance, "call-view")?,
        })
    }

    /// `describe`.
    pub(super) fn describe(&self, store: &mut Store<HostState>) -> wasmtime::Result<Description> {
        let at = self.describe.call.call(&mut *store, ())?;
        let description = {
            let memory = GuestMemory(self.memory.data(&*store));
            let record = memory.record(at, DESCRIPTION_BYTES, ALIGN_POINTERS)?;
            let string = |offset| {
                let (ptr, len) = pair_at(record, offset);
                memory.string(ptr, len).map(str::to_owned)
            };
            let columns = |(ptr, len): (u32, u32)| -> wasmtime::Result<Vec<Column>> {
                memory
                    .list(ptr, len, COLUMN_BYTES)?
                    .map(|column| {
                        let (name, name_len) = pair_at(column, 0);
                        let sql_type = discriminant(column[8], SQL_TYPES.len() as u8, "sql-type")?;
                        Ok(Column {
                            name: memory.string(name, name_len)?.to_owned(),
                            data_type: SQL_TYPES[usize::from(sql_type)],
                            nullable: column[9] != 0,
                        })
                    })
                    .collect()
            };
            let functions = |offset| -> wasmtime::Result<Vec<Function>> {
                let (ptr, len) = pair_at(record, offset);
                memory
                    .list(ptr, len, FUNCTION_BYTES)?
                    .map(|function| {
                        let (name, name_len) = pair_at(function, 0);
                        Ok(Function {
                            name: memory.string(name, name_len)?.to_owned(),
                            params: columns(pair_at(function, 8))?,
                            returns: columns(pair_at(function, 16))?,
                        })
                    })
                    .collect()
            };
            let (tables, tables_len) = pair_at(record, 8);
            let tables = memory
                .list(tables, tables_len, TABLE_USE_BYTES)?
                .map(|table| {
                    let (name, name_len) = pair_at(table, 0);
                    let (key, key_len) = pair_at(table, 16);
                    let primary_key = memory
                        .list(key, key_len, 4)?
                        .map(|position| u32_at(position, 0))
                        .collect();
                    Ok(TableUse {
                        name: memory.string(name, name_len)?.to_owned(),
                        columns: columns(pair_at(table, 8))?,
                        primary_key,
                    })
                })
                .collect::<wasmtime::Result<_>>()?;
            Description {
                schema: string(0)?,
                tables,
                reducers: functions(16)?,
                views: functions(24)?,
            }
        };
        self.describe.post_return(store, at)?;
        Ok(description)
    }

    /// `call-reducer`.
    pub(super) fn call_reducer(
        &self,
        store: &mut Store<HostState>,
        reducer: u32,
        args: &[u8],
    ) -> wasmtime::Result<Result<(), Failure>> {
        self.call(&self.call_reducer, store, reducer, args, |_, _| Ok(()))
    }

    /// `call-view`: its rows, each a row of the view's result columns.
    pub(super) fn call_view(
        &self,
        store: &mut Store<HostState>,
        view: u32,
        args: &[u8],
    ) -> wasmtime::Result<Result<Vec<Vec<u8>>, Failure>> {
        self.call(&self.call_view, store, view, args, |memory, payload| {
            let (ptr, len) = pair_at(payload, 0);
            memory
                .list(ptr, len, POINTER_PAIR_BYTES)?
                .map(|row| {
                    let (ptr, len) = pair_at(row, 0);
                    memory.bytes(ptr, len).map(<[u8]>::to_vec)
                })
                .collect()
        })
    }

    /// Copies `args` into the module, calls `export` (reducer or view `id`), reads
    /// the `result<T, failure>` it returns (`ok` reads the payload of success),
    /// then lets the module free what the result holds.
    fn call<T>(
        &self,
        export: &Export<(u32, u32, u32), u32>,
        store: &mut Store<HostState>,
        id: u32,
        args: &[u8],
        ok: impl FnOnce(&GuestMemory<'_>, &[u8]) -> wasmtime::Result<T>,
    ) -> wasmtime::Result<Result<T, Failure>> {
        let args_at = lower_bytes(store, args, 1)?;
        let at = export
            .call
            .call(&mut *store, (id, args_at, args.len() as u32))?;
        let result = self.lift_result(store, at, ok)?;
        export.post_return(store, at)?;
        Ok(result)
    }

    /// Reads a `result<T, failure>` the module wrote at `at`.
    fn lift_result<T>(
        &self,
        store: &Store<HostState>,
        at: u32,
        ok: impl FnOnce(&GuestMemory<'_>, &[u8]) -> wasmtime::Result<T>,
    ) -> wasmtime::Result<Result<T, Failure>> {
        let memory = GuestMemory(self.memory.data(store));
        let record = memory.record(at, RESULT_BYTES, ALIGN_POINTERS)?;
        let payload = &record[PAYLOAD_OFFSET as usize..];
        match discriminant(record[0], 2, "result")? {
            0 => Ok(Ok(ok(&memory, payload)?)),
            _ => {
                let (sqlstate, sqlstate_len) = pair_at(payload, 0);
                let (message, message_len) = pair_at(payload, 8);
                Ok(Err(Failure {
                    sqlstate: memory.string(sqlstate, sqlstate_len)?.to_owned(),
                    message: memory.string(message, message_len)?.to_owned(),
                }))
            }
        }
    }
}

impl<P: wasmtime::WasmParams, R: wasmtime::WasmResults> Export<P, R> {
    fn post_return(&self, store: &mut Store<HostState>, at: u32) -> wasmtime::Result<()> {
        match &self.post_return {
            Some(post_return) => post_return.call(store, at),
            None => Ok(()),
        }
    }
}

/// The export `{GUEST}#{function}` and its `cabi_post_` companion, if any.
fn export<P: wasmtime::WasmParams, R: wasmtime::WasmResults>(
    store: &mut Store<HostState>,
    instance: &Instance,
    function: &str,
) -> wasmtime::Result<Export<P, R>> {
    let name = format!("{GUEST}#{function}");
    let post_name = format!("cabi_post_{name}");
    let post_return = match instance.get_func(&mut *store, &post_name) {
        Some(_) => Some(typed(store, instance, &post_name)?),
        None => None,
    };
    Ok(Export {
        call: typed(store, instance, &name)?,
        post_return,
    })
}

fn typed<P: wasmtime::WasmParams, R: wasmtime::WasmResults>(
    store: &mut Store<HostState>,
    instance: &Instance,
    name: &str,
) -> wasmtime::Result<TypedFunc<P, R>> {
    let func = instance
        .get_func(&mut *store, name)
        .ok_or_else(|| wasmtime::format_err!("the module does not export `{name}`"))?;
    func.typed(&*store).map_err(|e| mistyped(name, e))
}

fn mistyped(name: &str, error: wasmtime::Error) -> wasmtime::Error {
    wasmtime::format_err!(
        "the module's export `{name}` does not have the type turnstile.wit gives it: {error:#}"
    )
}
