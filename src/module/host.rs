//! What a module's imports do: table access through the call's transaction (or,
//! for a view, the database under the read lock), logging, the timestamp and the
//! caller. Everything a module hands in is checked as a SQL write would be.

use std::ops::Bound as RangeBound;
use std::ptr::NonNull;

use super::abi::{Bound, Failure, ImportSupport, KeyPrefix, LogLevel};
use super::budget::{MemoryCap, Watch};
use super::shape::ModuleShape;
use crate::db::{CheckedColumn, Database, DbError, Key, Row, Table, TableId, WriteTxn};
use crate::types::{cast, checked_date, checked_timestamp, CastKind, DataType, TypeError, Value};
use std::sync::Arc;

/// Rows a scan hands over between checks of the call's deadline.
const SCAN_CHECK_EVERY: usize = 1024;
/// What a scanned row costs beyond its bytes, host side and module side (a vector's
/// header and the allocator's rounding): a scan of tiny rows must not pass the memory
/// budget many times over.
const SCAN_ROW_OVERHEAD_BYTES: usize = 48;
/// The longest log line a module may write; longer ones are cut.
const LOG_LINE_BYTES_MAX: usize = 1024;
/// The most log lines one call may write; the rest are counted, not written, so a
/// module cannot hold the lock writing to a slow log.
const LOG_LINES_PER_CALL_MAX: u32 = 64;

/// What the running call may touch.
pub(super) enum Access {
    /// A view: the database, under the read lock.
    Read(NonNull<Database>),
    /// A reducer: its write transaction, under the write lock.
    Write(NonNull<WriteTxn<'static>>),
}

/// The call in progress on an instance.
pub(super) struct ActiveCall {
    pub(super) access: Access,
    /// The tables of the module's description, resolved for this call.
    pub(super) tables: Arc<[TableId]>,
    pub(super) timestamp_us: i64,
    pub(super) caller: Arc<str>,
    pub(super) routine: String,
    /// Log lines the call has written so far.
    pub(super) log_lines: u32,
}

/// The host's state in one instance's store.
pub(super) struct HostState {
    pub(super) shape: Arc<ModuleShape>,
    /// Set for the duration of a call (see [`HostState::enter`]), None between calls.
    pub(super) call: Option<ActiveCall>,
    pub(super) memory: MemoryCap,
    /// The running call's deadline and cancel flag.
    pub(super) watch: Watch,
    /// The message of the panic the module reported before trapping.
    pub(super) panic_message: Option<String>,
    /// The module's memory and allocator, for the imports; set once the instance
    /// exists (see `abi::ImportSupport`).
    pub(super) imports: Option<ImportSupport>,
}

// SAFETY: the pointers in `call` are only set while the thread that owns the
// borrowed database or transaction is inside a call on this store (see
// `HostState::enter`) and are cleared before that call returns; between calls the
// state holds no pointer, and a store is only used by one thread at a time.
unsafe impl Send for HostState {}

impl HostState {
    /// Starts a call that may touch `access`. The pointer must stay valid until
    /// [`HostState::leave`], which the caller guarantees by holding the borrow it
    /// came from across the call.
    pub(super) fn enter(&mut self, call: ActiveCall) {
        self.call = Some(call);
        self.memory.exceeded = false;
        self.panic_message = None;
    }

    /// Ends the call: the state keeps no pointer past it, and no time to run.
    pub(super) fn leave(&mut self) {
        self.call = None;
        self.watch.deadline = None;
    }

    fn call(&self) -> wasmtime::Result<&ActiveCall> {
        self.call
            .as_ref()
            .ok_or_else(|| wasmtime::format_err!("the module called the host outside a call"))
    }

    fn db(&self) -> wasmtime::Result<&Database> {
        // SAFETY: see `enter`; the pointee outlives the call.
        Ok(match &self.call()?.access {
            Access::Read(db) => unsafe { db.as_ref() },
            Access::Write(txn) => unsafe { txn.as_ref() }.db(),
        })
    }

    /// The call's transaction, or the failure a view gets for trying to write.
    fn txn(&mut self) -> wasmtime::Result<Result<&mut WriteTxn<'static>, Failure>> {
        let call = self
            .call
            .as_mut()
            .ok_or_else(|| wasmtime::format_err!("the module called the host outside a call"))?;
        Ok(match &mut call.access {
            // SAFETY: see `enter`; the transaction is borrowed mutably for the call.
            Access::Write(txn) => Ok(unsafe { txn.as_mut() }),
            Access::Read(_) => Err(Failure {
                sqlstate: "25006".into(),
                message: format!(
                    "{} is a view and cannot write (views run under the read lock); \
                     use a reducer",
                    call.routine
                ),
            }),
        })
    }

    /// The table behind handle `table`, or a trap for a handle the module never declared.
    fn table_id(&self, table: u32) -> wasmtime::Result<TableId> {
        let call = self.call()?;
        call.tables.get(table as usize).copied().ok_or_else(|| {
            wasmtime::format_err!(
                "module {} used table handle {table}, but declared only {} tables",
                self.shape.module,
                call.tables.len()
            )
        })
    }

    fn table(&self, handle: u32) -> wasmtime::Result<&Table> {
        let id = self.table_id(handle)?;
        Ok(self.db()?.table(id))
    }

    /// Decodes a key (the row of the primary key's columns) the module passed.
    fn decode_key(&self, table: &Table, bytes: &[u8]) -> wasmtime::Result<Option<Key>> {
        if table.schema().primary_key.is_none() {
            return Err(wasmtime::format_err!(
                "table {} has no primary key to look rows up by",
                table.schema().name
            ));
        }
        table.primary_key_of_untrusted(bytes).map_err(|e| {
            wasmtime::format_err!("malformed key for table {}: {e}", table.schema().name)
        })
    }

    /// Checks a row the module passed as an INSERT from a client would be checked
    /// ([`checked_value`]) and returns the row to store, with its values when the
    /// check had to decode them. A table whose columns the check never rewrites
    /// (see [`stored_as_sent`]) stores the module's own bytes, checked where they
    /// lie, and decodes no values; otherwise the values are decoded, checked, and
    /// encoded again.
    fn checked_row(
        &self,
        table: &Table,
        bytes: &[u8],
    ) -> wasmtime::Result<Result<CheckedRow, Failure>> {
        let types = table.column_types();
        let malformed =
            |e| wasmtime::format_err!("malformed row for table {}: {e}", table.schema().name);
        if types.iter().all(|&ty| stored_as_sent(ty)) {
            // Malformed bytes anywhere trap before any column's refusal counts, as
            // when the values are decoded first.
            let mut refusal = None;
            let row = Row::check_untrusted(bytes, types, |ty, column| {
                if refusal.is_none() {
                    refusal = refuse_sent(sent_column(&column), ty).err();
                }
            })
            .map_err(malformed)?;
            return Ok(match refusal {
                Some(failure) => Err(failure),
                None => Ok((row, None)),
            });
        }
        let mut values = Row::decode_untrusted(bytes, types).map_err(malformed)?;
        for (value, &ty) in values.iter_mut().zip(types) {
            match checked_value(std::mem::replace(value, Value::Null), ty) {
                Ok(checked) => *value = checked,
                Err(failure) => return Ok(Err(failure)),
            }
        }
        Ok(Ok((Row::encode(&values), Some(values))))
    }
}

/// A module's row as checked: the row to store and, when the check decoded them,
/// its values.
type CheckedRow = (Row, Option<Vec<Value>>);

/// True when [`checked_value`] either refuses a value of type `ty` or leaves it
/// exactly as it was, so that a checked row of such columns is stored as the module
/// sent it: the two arms of `checked_value` that rewrite a value are these, JSON
/// (normalized) and `varchar(n)` (an assignment cast, which cuts trailing spaces).
fn stored_as_sent(ty: DataType) -> bool {
    !matches!(ty, DataType::Jsonb | DataType::Varchar(Some(_)))
}

/// What [`refuse_sent`] looks at in a value as a module sent it, decoded or not.
enum Sent<'a> {
    Text(&'a str),
    Integer(i64),
    Other,
}

fn sent_value(value: &Value) -> Sent<'_> {
    match value {
        Value::Text(text) | Value::Jsonb(text) => Sent::Text(text),
        Value::Date(days) => Sent::Integer(i64::from(*days)),
        Value::Timestamp(us) | Value::Timestamptz(us) => Sent::Integer(*us),
        _ => Sent::Other,
    }
}

fn sent_column<'a>(column: &CheckedColumn<'a>) -> Sent<'a> {
    match *column {
        CheckedColumn::Text(text) => Sent::Text(text),
        CheckedColumn::Int(integer) => Sent::Integer(integer),
        _ => Sent::Other,
    }
}

/// The checks of [`checked_value`] that refuse a value of column type `ty` and
/// never change one: text without NUL bytes, dates and timestamps within
/// PostgreSQL's range.
fn refuse_sent(sent: Sent<'_>, ty: DataType) -> Result<(), Failure> {
    let type_failure = |e: TypeError| failure(crate::Error::from(e));
    match (sent, ty) {
        (Sent::Text(text), _) if text.contains('\0') => Err(Failure {
            sqlstate: "22021".into(),
            message: "invalid byte sequence for encoding \"UTF8\": 0x00".into(),
        }),
        // The encoding's check kept a date's day count within `i32`.
        (Sent::Integer(days), DataType::Date) => {
            checked_date(days as i32).map(drop).map_err(type_failure)
        }
        (Sent::Integer(us), DataType::Timestamp | DataType::Timestamptz) => {
            checked_timestamp(us).map(drop).map_err(type_failure)
        }
        _ => Ok(()),
    }
}

/// `value`, of column type `ty`, checked as the wire layer checks a client's values
/// and an assignment checks a column's: text without NUL bytes, dates and
/// timestamps within PostgreSQL's range ([`refuse_sent`]), JSON well-formed (and
/// normalized), and a `varchar(n)` no longer than `n`. The encoding alone
/// guarantees the rest.
pub(super) fn checked_value(value: Value, ty: DataType) -> Result<Value, Failure> {
    refuse_sent(sent_value(&value), ty)?;
    let type_failure = |e: TypeError| failure(crate::Error::from(e));
    match value {
        Value::Jsonb(text) => {
            cast(Value::Text(text), DataType::Jsonb, CastKind::Explicit).map_err(type_failure)
        }
        Value::Text(_) if matches!(ty, DataType::Varchar(Some(_))) => {
            cast(value, ty, CastKind::Assignment).map_err(type_failure)
        }
        value => Ok(value),
    }
}

/// A store or type error as the module sees it: SQLSTATE and message, from the one
/// mapping in `crate::error`.
fn failure(error: crate::Error) -> Failure {
    Failure {
        sqlstate: error.sqlstate().to_owned(),
        message: error.to_string(),
    }
}

fn db_failure(error: DbError) -> Failure {
    failure(crate::Error::from(error))
}

/// The `tables` and `context` imports, after `abi` has lifted their arguments.
impl HostState {
    /// The row under the key, as a copy that outlives the borrow of the table
    /// (the module's `cabi_realloc` runs before it is written to the module's
    /// memory): a short row is copied inside the `Row`, without an allocation.
    pub(super) fn get(&mut self, table: u32, key: &[u8]) -> wasmtime::Result<Option<Row>> {
        let table = self.table(table)?;
        let Some(key) = self.decode_key(table, key)? else {
            return Ok(None);
        };
        Ok(table.get(&key).cloned())
    }

    pub(super) fn scan(
        &mut self,
        table: u32,
        index: Option<&str>,
        lower: Bound<'_>,
        upper: Bound<'_>,
        limit: u32,
    ) -> wasmtime::Result<Result<Vec<Vec<u8>>, Failure>> {
        let table = self.table(table)?;
        // The secondary index to scan in the order of, or None for the primary key.
        let position = match index {
            None => None,
            Some(name) => match table.indexes().iter().position(|i| i.schema.name == name) {
                Some(position) => Some(position),
                None => {
                    return Ok(Err(Failure {
                        sqlstate: "42704".into(),
                        message: format!("table {} has no index named {name}", table.schema().name),
                    }))
                }
            },
        };
        let order = match position {
            None => table.schema().primary_key.as_deref().unwrap_or_default(),
            Some(position) => &table.indexes()[position].schema.columns[..],
        };
        let types: Vec<DataType> = order.iter().map(|&c| table.column_types()[c]).collect();
        let lower = decode_bound(table, &types, lower)?;
        let upper = decode_bound(table, &types, upper)?;
        let (lower, upper) = (as_prefix(&lower), as_prefix(&upper));
        let rows: Box<dyn Iterator<Item = (Key, &Row)>> = match position {
            None if table.schema().primary_key.is_none() => Box::new(table.scan()),
            None => Box::new(table.primary_key_range(lower, upper)),
            Some(position) => Box::new(table.index_range(position, lower, upper)),
        };
        let budget = self.memory.limit_bytes;
        let table_name = &table.schema().name;
        let mut total = 0usize;
        let mut out = Vec::new();
        let mut stopped = None;
        for (i, (_, row)) in rows.take(limit as usize).enumerate() {
            // Host code is not interrupted by the epoch: a long scan checks the
            // call's deadline and cancel flag itself.
            if i % SCAN_CHECK_EVERY == SCAN_CHECK_EVERY - 1 {
                stopped = self.watch.expired();
                if stopped.is_some() {
                    break;
                }
            }
            total += row.encoded_len() + SCAN_ROW_OVERHEAD_BYTES;
            if total > budget {
                return Ok(Err(Failure {
                    sqlstate: "53200".into(),
                    message: format!(
                        "a scan of table {table_name} would return more than the module's \
                         memory budget of {} MiB; scan a narrower range or pass a smaller limit",
                        budget >> 20
                    ),
                }));
            }
            out.push(row.as_bytes().to_vec());
        }
        if stopped.is_some() {
            self.watch.stopped = stopped;
            return Err(wasmtime::format_err!("stopped during a scan"));
        }
        Ok(Ok(out))
    }

    pub(super) fn insert(
        &mut self,
        table: u32,
        row: &[u8],
    ) -> wasmtime::Result<Result<(), Failure>> {
        let id = self.table_id(table)?;
        let (row, values) = match self.checked_row(self.table(table)?, row)? {
            Ok(checked) => checked,
            Err(failure) => return Ok(Err(failure)),
        };
        let txn = match self.txn()? {
            Ok(txn) => txn,
            Err(failure) => return Ok(Err(failure)),
        };
        Ok(txn
            .insert_encoded(id, row, values)
            .map(drop)
            .map_err(db_failure))
    }

    pub(super) fn update(
        &mut self,
        table: u32,
        row: &[u8],
    ) -> wasmtime::Result<Result<bool, Failure>> {
        let id = self.table_id(table)?;
        let t = self.table(table)?;
        let (row, values) = match self.checked_row(t, row)? {
            Ok(checked) => checked,
            Err(failure) => return Ok(Err(failure)),
        };
        if t.schema().primary_key.is_none() {
            return Err(wasmtime::format_err!(
                "table {} has no primary key to update rows by",
                t.schema().name
            ));
        }
        let txn = match self.txn()? {
            Ok(txn) => txn,
            Err(failure) => return Ok(Err(failure)),
        };
        Ok(txn
            .update_encoded_by_own_key(id, row, values)
            .map(|updated| updated.is_some())
            .map_err(db_failure))
    }

    pub(super) fn delete(
        &mut self,
        table: u32,
        key: &[u8],
    ) -> wasmtime::Result<Result<bool, Failure>> {
        let id = self.table_id(table)?;
        let Some(key) = self.decode_key(self.table(table)?, key)? else {
            return Ok(Ok(false));
        };
        let txn = match self.txn()? {
            Ok(txn) => txn,
            Err(failure) => return Ok(Err(failure)),
        };
        Ok(txn.delete(id, &key).map_err(db_failure))
    }
}

/// Decodes a scan bound: a prefix of `types`' columns.
fn decode_bound(
    table: &Table,
    types: &[DataType],
    bound: Bound<'_>,
) -> wasmtime::Result<RangeBound<Vec<Value>>> {
    let decode = |prefix: KeyPrefix<'_>| {
        let columns = prefix.columns as usize;
        if columns == 0 || columns > types.len() {
            return Err(wasmtime::format_err!(
                "scan bound on table {} has {columns} columns; its order has {}",
                table.schema().name,
                types.len()
            ));
        }
        Row::decode_untrusted(prefix.values, &types[..columns]).map_err(|e| {
            wasmtime::format_err!(
                "malformed scan bound for table {}: {e}",
                table.schema().name
            )
        })
    };
    Ok(match bound {
        Bound::Unbounded => RangeBound::Unbounded,
        Bound::Included(prefix) => RangeBound::Included(decode(prefix)?),
        Bound::Excluded(prefix) => RangeBound::Excluded(decode(prefix)?),
    })
}

fn as_prefix(bound: &RangeBound<Vec<Value>>) -> RangeBound<&[Value]> {
    match bound {
        RangeBound::Unbounded => RangeBound::Unbounded,
        RangeBound::Included(v) => RangeBound::Included(v),
        RangeBound::Excluded(v) => RangeBound::Excluded(v),
    }
}

impl HostState {
    pub(super) fn log(&mut self, level: LogLevel, message: &str) {
        let module = &self.shape.module;
        let Some(call) = self.call.as_mut() else {
            return;
        };
        call.log_lines += 1;
        if call.log_lines > LOG_LINES_PER_CALL_MAX {
            return;
        }
        let routine = call.routine.as_str();
        let message = if call.log_lines == LOG_LINES_PER_CALL_MAX {
            format!("{} (further lines of this call are dropped)", cut(message))
        } else {
            cut(message).to_owned()
        };
        match level {
            LogLevel::Error => tracing::error!(module, routine, "{message}"),
            LogLevel::Warn => tracing::warn!(module, routine, "{message}"),
            LogLevel::Info => tracing::info!(module, routine, "{message}"),
            LogLevel::Debug => tracing::debug!(module, routine, "{message}"),
            LogLevel::Trace => tracing::trace!(module, routine, "{message}"),
        }
    }

    pub(super) fn report_panic(&mut self, message: &str) {
        let routine = self.call.as_ref().map_or("", |c| c.routine.as_str());
        let message = cut(message).to_owned();
        tracing::warn!(module = %self.shape.module, routine, "module panicked: {message}");
        self.panic_message = Some(message);
    }

    pub(super) fn timestamp(&self) -> wasmtime::Result<i64> {
        Ok(self.call()?.timestamp_us)
    }

    pub(super) fn caller(&self) -> wasmtime::Result<Arc<str>> {
        Ok(self.call()?.caller.clone())
    }
}

/// `text` cut to at most [`LOG_LINE_BYTES_MAX`] bytes, at a character boundary.
fn cut(text: &str) -> &str {
    let mut end = text.len().min(LOG_LINE_BYTES_MAX);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
