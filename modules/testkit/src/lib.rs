//! A module for the host's tests: calls that loop, allocate, panic, fail or trap
//! after writing, are short until they loop, raise any SQLSTATE, take and return
//! every column type, scan a key range, and write values the host's checks rewrite
//! or refuse.
//!
//! The rows that `write_then_fail` and `write_then_trap` insert use negative ids, so
//! they never collide with the positive ids tests give `put_item`: the call must
//! fail for the reason it was written for, not with a duplicate key.

use turnstile_sdk::{reducer, view, Date, Error, Jsonb, Row, Timestamp, TimestampTz, Tx, Uuid};

/// How many rows `items_between` returns at most.
const ITEMS_BETWEEN_LIMIT_ROWS: u32 = 10_000;

const MIB_BYTES: usize = 1 << 20;

/// A row of `testkit_items`.
#[derive(Row)]
#[row(table = "testkit_items")]
pub struct Item {
    #[primary_key]
    pub id: i64,
    pub note: Option<String>,
}

/// `echo`'s result: one column of every type the SDK supports.
#[derive(Row)]
pub struct Echo {
    pub v_bool: Option<bool>,
    pub v_int2: Option<i16>,
    pub v_int4: Option<i32>,
    pub v_int8: Option<i64>,
    pub v_float4: Option<f32>,
    pub v_float8: Option<f64>,
    pub v_text: Option<String>,
    pub v_bytea: Option<Vec<u8>>,
    pub v_timestamp: Option<Timestamp>,
    pub v_timestamptz: Option<TimestampTz>,
    pub v_date: Option<Date>,
    pub v_uuid: Option<Uuid>,
    pub v_jsonb: Option<Jsonb>,
}

/// Loops forever, for the host's time limit.
#[reducer]
fn spin(_tx: &mut Tx) -> Result<(), Error> {
    spin_forever()
}

/// Loops forever inside a view, for the host's time limit under the read lock.
#[view]
fn spin_view(_tx: &Tx) -> Result<Vec<Item>, Error> {
    spin_forever()
}

/// Allocates `mib` MiB and writes to every page of it, for the host's memory limit.
/// It allocates one MiB at a time, so that any large `mib` grows memory until the
/// host refuses, rather than failing at once as a single oversized request.
#[reducer]
fn allocate(_tx: &mut Tx, mib: i32) -> Result<(), Error> {
    let Ok(mib) = usize::try_from(mib) else {
        return Err(Error::raise(format!("allocate: {mib} MiB is negative")));
    };
    let mut chunks = Vec::new();
    for _ in 0..mib {
        // `vec![1; n]` writes every byte, so the memory is really touched.
        chunks.push(vec![1u8; MIB_BYTES]);
    }
    // Keeps the optimizer from dropping the unused buffers.
    std::hint::black_box(&chunks);
    Ok(())
}

/// Panics with `message`, which the client must see.
#[reducer]
fn boom(_tx: &mut Tx, message: String) -> Result<(), Error> {
    panic!("{message}");
}

/// Inserts `n` rows, then fails: the host must roll all of them back.
#[reducer]
fn write_then_fail(tx: &mut Tx, n: i32) -> Result<(), Error> {
    insert_items(tx, n, "write_then_fail")?;
    Err(Error::new(
        "P0001",
        format!("write_then_fail: failing after {n} inserts"),
    ))
}

/// Inserts `n` rows, then traps: the host must roll all of them back.
#[reducer]
fn write_then_trap(tx: &mut Tx, n: i32) -> Result<(), Error> {
    insert_items(tx, n, "write_then_trap")?;
    panic!("write_then_trap: trapping after {n} inserts");
}

/// A row of `testkit_docs`, whose JSON the host's checks normalize: it cannot store
/// such a row as the module sent it.
#[derive(Row)]
#[row(table = "testkit_docs")]
pub struct Doc {
    #[primary_key]
    pub id: i64,
    pub doc: Jsonb,
}

/// Inserts doc `id` with JSON as a person might write it (keys out of order, extra
/// spaces).
#[reducer]
fn put_doc(tx: &mut Tx, id: i64) -> Result<(), Error> {
    tx.insert(&Doc {
        id,
        doc: Jsonb(r#"{"b": 1,   "a": [2, 3]}"#.into()),
    })
}

/// A row of `testkit_codes`, whose `varchar(3)` the host's checks may refuse.
#[derive(Row)]
#[row(table = "testkit_codes")]
pub struct Code {
    #[primary_key]
    pub id: i64,
    pub code: String,
}

/// Inserts code `id`.
#[reducer]
fn put_code(tx: &mut Tx, id: i64, code: String) -> Result<(), Error> {
    tx.insert(&Code { id, code })
}

/// Inserts an item; `note` may be NULL.
#[reducer]
fn put_item(tx: &mut Tx, id: i64, note: Option<String>) -> Result<(), Error> {
    tx.insert(&Item { id, note })
}

/// Sets item `id`'s note to `note`'s bytes as text, inserting the item if there
/// is none: a way for a test to have a module write text a client cannot send (a
/// NUL byte), which the host must refuse as it would a client's.
#[reducer]
fn set_item_note(tx: &mut Tx, id: i64, note: Vec<u8>) -> Result<(), Error> {
    let note = String::from_utf8(note).map_err(|_| Error::raise("the note is not UTF-8"))?;
    let item = Item {
        id,
        note: Some(note),
    };
    if tx.get::<Item>(&id)?.is_some() {
        tx.update(&item)?;
        Ok(())
    } else {
        tx.insert(&item)
    }
}

/// Inserts an item with no note, then loops forever if `spin`: a reducer whose calls
/// are short until one is not, for the host's record of short calls.
#[reducer]
fn put_item_then_spin(tx: &mut Tx, id: i64, spin: bool) -> Result<(), Error> {
    tx.insert(&Item { id, note: None })?;
    if spin {
        spin_forever()
    }
    Ok(())
}

/// Fails with exactly the SQLSTATE and message given.
#[reducer]
fn raise(_tx: &mut Tx, sqlstate: String, message: String) -> Result<(), Error> {
    Err(Error::new(sqlstate, message))
}

/// Returns its arguments as one row, for round trips of every type and NULL.
#[view]
#[allow(clippy::too_many_arguments)]
fn echo(
    _tx: &Tx,
    v_bool: Option<bool>,
    v_int2: Option<i16>,
    v_int4: Option<i32>,
    v_int8: Option<i64>,
    v_float4: Option<f32>,
    v_float8: Option<f64>,
    v_text: Option<String>,
    v_bytea: Option<Vec<u8>>,
    v_timestamp: Option<Timestamp>,
    v_timestamptz: Option<TimestampTz>,
    v_date: Option<Date>,
    v_uuid: Option<Uuid>,
    v_jsonb: Option<Jsonb>,
) -> Result<Vec<Echo>, Error> {
    Ok(vec![Echo {
        v_bool,
        v_int2,
        v_int4,
        v_int8,
        v_float4,
        v_float8,
        v_text,
        v_bytea,
        v_timestamp,
        v_timestamptz,
        v_date,
        v_uuid,
        v_jsonb,
    }])
}

/// The items with `lo <= id <= hi`, in id order, by a primary-key range scan.
#[view]
fn items_between(tx: &Tx, lo: i64, hi: i64) -> Result<Vec<Item>, Error> {
    tx.scan::<Item>(lo..=hi, ITEMS_BETWEEN_LIMIT_ROWS)
}

/// The call's context as the host gives it: who called, and when.
#[derive(Row)]
pub struct CallContext {
    pub caller: String,
    pub at: TimestampTz,
}

/// One row: the session's user and the transaction's timestamp.
#[view]
fn whoami(tx: &Tx) -> Result<Vec<CallContext>, Error> {
    Ok(vec![CallContext {
        caller: tx.caller(),
        at: TimestampTz(tx.timestamp()),
    }])
}

/// Inserts items -1, -2, …, -n.
fn insert_items(tx: &mut Tx, n: i32, note: &str) -> Result<(), Error> {
    for i in 1..=i64::from(n) {
        tx.insert(&Item {
            id: -i,
            note: Some(note.to_string()),
        })?;
    }
    Ok(())
}

/// An endless loop the optimizer must keep: `black_box` makes every iteration's
/// value observable, so the loop is not provably side-effect free.
fn spin_forever() -> ! {
    let mut counter = 0u64;
    loop {
        counter = std::hint::black_box(counter.wrapping_add(1));
    }
}

turnstile_sdk::module! {
    schema: "CREATE TABLE IF NOT EXISTS testkit_items (id BIGINT PRIMARY KEY, note TEXT); \
             CREATE TABLE IF NOT EXISTS testkit_docs (id BIGINT PRIMARY KEY, doc JSONB NOT NULL); \
             CREATE TABLE IF NOT EXISTS testkit_codes (id BIGINT PRIMARY KEY, code VARCHAR(3) NOT NULL);",
    tables: [Item, Doc, Code],
    reducers: [
        spin,
        allocate,
        boom,
        write_then_fail,
        write_then_trap,
        put_item,
        set_item_note,
        put_item_then_spin,
        raise,
        put_doc,
        put_code
    ],
    views: [spin_view, echo, items_between, whoami],
}
