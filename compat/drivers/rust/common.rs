//! What the Rust scenarios (tokio-postgres and sqlx, run by tests/compat_drivers.rs)
//! share: the step runner, the table of every type, and every value of the scenario's
//! rows as PostgreSQL 15 sends it, in text and in binary (compat/drivers/README.md).

use std::error::Error;
use std::fmt::Debug;
use std::future::Future;
use std::time::Duration;

/// A generous bound on one step: it guards against a server that never answers and
/// measures nothing.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// The columns after `id integer PRIMARY KEY`, with their types.
pub const COLUMNS: [(&str, &str); 15] = [
    ("c_bool", "boolean"),
    ("c_int2", "smallint"),
    ("c_int4", "integer"),
    ("c_int8", "bigint"),
    ("c_float4", "real"),
    ("c_float8", "double precision"),
    ("c_numeric", "numeric"),
    ("c_text", "text"),
    ("c_varchar", "varchar(20)"),
    ("c_bytea", "bytea"),
    ("c_timestamp", "timestamp"),
    ("c_timestamptz", "timestamptz"),
    ("c_date", "date"),
    ("c_uuid", "uuid"),
    ("c_jsonb", "jsonb"),
];

pub const TEXT: &str = "héllo wörld ✓ 日本語 🐘🚀 it's \"quoted\" back\\slash";
pub const JSON: &str = r#"{"b": null, "aa": [1, 2.5, "x"], "é": "🐘"}"#;

pub fn create_table_sql(table: &str) -> String {
    let cols: Vec<String> = COLUMNS.iter().map(|(n, t)| format!("{n} {t}")).collect();
    format!(
        "CREATE TABLE {table} (id integer PRIMARY KEY, {})",
        cols.join(", ")
    )
}

pub fn insert_sql(table: &str) -> String {
    let marks: Vec<String> = (1..=16).map(|i| format!("${i}")).collect();
    format!("INSERT INTO {table} VALUES ({})", marks.join(", "))
}

pub fn select_all_sql(table: &str) -> String {
    let cols: Vec<&str> = COLUMNS.iter().map(|(n, _)| *n).collect();
    format!(
        "SELECT id, {} FROM {table} WHERE id < 10 ORDER BY id",
        cols.join(", ")
    )
}

/// One value as PostgreSQL sends it: its type's OID, its text and its binary form.
#[derive(Debug, Clone)]
pub struct Cell {
    pub oid: u32,
    pub text: String,
    pub binary: Vec<u8>,
}

fn cell(oid: u32, text: &str, binary: Vec<u8>) -> Option<Cell> {
    Some(Cell {
        oid,
        text: text.to_string(),
        binary,
    })
}

/// The three rows (all NULL; the minimum values; the maximum values), id first.
pub fn rows() -> Vec<Vec<Option<Cell>>> {
    let all_bytes: Vec<u8> = (0..=255).collect();
    let all_bytes_text = format!("\\x{}", hex(&all_bytes));
    let mut null_row = vec![cell(23, "1", 1i32.to_be_bytes().to_vec())];
    null_row.extend(std::iter::repeat_n(None, 15));
    vec![
        null_row,
        vec![
            cell(23, "2", 2i32.to_be_bytes().to_vec()),
            cell(16, "t", vec![1]),
            cell(21, "-32768", i16::MIN.to_be_bytes().to_vec()),
            cell(23, "-2147483648", i32::MIN.to_be_bytes().to_vec()),
            cell(20, "-9223372036854775808", i64::MIN.to_be_bytes().to_vec()),
            cell(700, "-1.5", (-1.5f32).to_be_bytes().to_vec()),
            cell(
                701,
                "-2.2250738585072014e-308",
                (-2.2250738585072014e-308f64).to_be_bytes().to_vec(),
            ),
            numeric("-12345678901234567890.12345678"),
            cell(25, TEXT, TEXT.as_bytes().to_vec()),
            cell(1043, "ünïcødé 🎉", "ünïcødé 🎉".as_bytes().to_vec()),
            cell(17, "\\x00010200ff00", vec![0, 1, 2, 0, 255, 0]),
            cell(
                1114,
                "2024-02-29 23:59:59.123456",
                timestamp("2024-02-29 23:59:59.123456"),
            ),
            cell(
                1184,
                "2024-06-30 07:04:56.789+00",
                timestamptz("2024-06-30 12:34:56.789+05:30"),
            ),
            cell(1082, "2000-02-29", date("2000-02-29")),
            cell(2950, "00000000-0000-0000-0000-000000000000", vec![0; 16]),
            cell(3802, JSON, jsonb(JSON)),
        ],
        vec![
            cell(23, "3", 3i32.to_be_bytes().to_vec()),
            cell(16, "f", vec![0]),
            cell(21, "32767", i16::MAX.to_be_bytes().to_vec()),
            cell(23, "2147483647", i32::MAX.to_be_bytes().to_vec()),
            cell(20, "9223372036854775807", i64::MAX.to_be_bytes().to_vec()),
            cell(700, "3.4028235e+38", f32::MAX.to_be_bytes().to_vec()),
            cell(
                701,
                "1.7976931348623157e+308",
                f64::MAX.to_be_bytes().to_vec(),
            ),
            numeric("0.0000000000000000000000000001"),
            cell(25, "", Vec::new()),
            cell(
                1043,
                "abcdefghijklmnopqrs🐘",
                "abcdefghijklmnopqrs🐘".as_bytes().to_vec(),
            ),
            cell(17, &all_bytes_text, all_bytes),
            cell(
                1114,
                "1970-01-01 00:00:00",
                timestamp("1970-01-01 00:00:00"),
            ),
            cell(
                1184,
                "2000-01-01 07:59:59.999999+00",
                timestamptz("1999-12-31 23:59:59.999999-08:00"),
            ),
            cell(1082, "9999-12-31", date("9999-12-31")),
            cell(
                2950,
                "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                uuid::Uuid::parse_str("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
                    .unwrap()
                    .as_bytes()
                    .to_vec(),
            ),
            cell(3802, "[]", jsonb("[]")),
        ],
    ]
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn epoch_2000() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2000, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
}

/// Microseconds since 2000-01-01, as `timestamp` is sent in binary.
fn timestamp(text: &str) -> Vec<u8> {
    let t = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap();
    micros(t)
}

fn timestamptz(text: &str) -> Vec<u8> {
    let t = chrono::DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z").unwrap();
    micros(t.naive_utc())
}

fn micros(t: chrono::NaiveDateTime) -> Vec<u8> {
    (t - epoch_2000())
        .num_microseconds()
        .unwrap()
        .to_be_bytes()
        .to_vec()
}

/// Days since 2000-01-01, as `date` is sent in binary.
fn date(text: &str) -> Vec<u8> {
    let d = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
    ((d - epoch_2000().date()).num_days() as i32)
        .to_be_bytes()
        .to_vec()
}

fn jsonb(text: &str) -> Vec<u8> {
    let mut b = vec![1];
    b.extend_from_slice(text.as_bytes());
    b
}

/// `numeric` in binary: ndigits, weight, sign, dscale, then base-10000 digits without
/// leading or trailing zero groups.
pub fn numeric(text: &str) -> Option<Cell> {
    let negative = text.starts_with('-');
    let (int_part, frac) = text
        .trim_start_matches('-')
        .split_once('.')
        .unwrap_or((text.trim_start_matches('-'), ""));
    let pad_int = int_part.len().div_ceil(4) * 4;
    let pad_frac = frac.len().div_ceil(4) * 4;
    let digits = format!("{int_part:0>pad_int$}{frac:0<pad_frac$}");
    let mut groups: Vec<i16> = digits
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap().parse().unwrap())
        .collect();
    let mut weight = (pad_int / 4) as i16 - 1;
    while groups.first() == Some(&0) {
        groups.remove(0);
        weight -= 1;
    }
    while groups.last() == Some(&0) {
        groups.pop();
    }
    if groups.is_empty() {
        weight = 0;
    }
    let mut b = Vec::new();
    b.extend_from_slice(&(groups.len() as i16).to_be_bytes());
    b.extend_from_slice(&weight.to_be_bytes());
    b.extend_from_slice(&(if negative { 0x4000u16 } else { 0 }).to_be_bytes());
    b.extend_from_slice(&(frac.len() as i16).to_be_bytes());
    for g in groups {
        b.extend_from_slice(&g.to_be_bytes());
    }
    cell(1700, text, b)
}

/// One value as a driver read it: the column type's OID if the driver tells it, and
/// the value's bytes (text or binary), None for NULL.
pub type RawCell = (Option<u32>, Option<Vec<u8>>);

/// Compares what a driver read (per row, per column) with `rows()`.
pub fn compare_rows(got: &[Vec<RawCell>], binary: bool) -> Result<(), Fail> {
    let want = rows();
    ensure(got.len() == want.len(), || {
        format!("expected {} rows, got {}", want.len(), got.len())
    })?;
    for (r, (got_row, want_row)) in got.iter().zip(&want).enumerate() {
        ensure(got_row.len() == want_row.len(), || {
            format!("row {}: {} columns", r + 1, got_row.len())
        })?;
        for (c, ((oid, value), want_cell)) in got_row.iter().zip(want_row).enumerate() {
            let name = if c == 0 { "id" } else { COLUMNS[c - 1].0 };
            let show = |v: &Option<Vec<u8>>| match v {
                None => "NULL".to_string(),
                Some(b) if binary => hex(b),
                Some(b) => String::from_utf8_lossy(b).into_owned(),
            };
            let want_value = want_cell.as_ref().map(|w| {
                if binary {
                    w.binary.clone()
                } else {
                    w.text.as_bytes().to_vec()
                }
            });
            ensure(*value == want_value, || {
                format!(
                    "row {} column {name}: expected {}, got {}",
                    r + 1,
                    show(&want_value),
                    show(value)
                )
            })?;
            let want_oid = want[1][c].as_ref().map(|w| w.oid);
            ensure(oid.is_none() || *oid == want_oid, || {
                format!("column {name}: type OID {oid:?}, expected {want_oid:?}")
            })?;
        }
    }
    Ok(())
}

/// Why a step failed; any error converts into it with `?`, a database error with its
/// SQLSTATE.
#[derive(Debug)]
pub struct Fail(pub String);

impl<E: Error + 'static> From<E> for Fail {
    fn from(e: E) -> Fail {
        Fail(describe(&e))
    }
}

/// The SQLSTATE of a tokio-postgres or sqlx database error.
pub fn sqlstate(e: &(dyn Error + 'static)) -> Option<String> {
    if let Some(e) = e.downcast_ref::<tokio_postgres::Error>() {
        return e.code().map(|c| c.code().to_string());
    }
    if let Some(e) = e.downcast_ref::<sqlx::Error>() {
        return e
            .as_database_error()
            .and_then(|d| d.code())
            .map(|c| c.into_owned());
    }
    None
}

/// The server's message of a database error, else the error's text.
pub fn message(e: &(dyn Error + 'static)) -> String {
    if let Some(db) = e
        .downcast_ref::<tokio_postgres::Error>()
        .and_then(|e| e.as_db_error())
    {
        return db.message().to_string();
    }
    if let Some(db) = e
        .downcast_ref::<sqlx::Error>()
        .and_then(|e| e.as_database_error())
    {
        return db.message().to_string();
    }
    e.to_string()
}

pub fn describe(e: &(dyn Error + 'static)) -> String {
    match sqlstate(e) {
        Some(code) => format!("SQLSTATE {code}: {}", message(e)),
        None => e.to_string(),
    }
}

pub fn ensure(condition: bool, message: impl FnOnce() -> String) -> Result<(), Fail> {
    if condition {
        Ok(())
    } else {
        Err(Fail(message()))
    }
}

pub fn expect_eq<T: PartialEq + Debug>(got: T, want: T, what: &str) -> Result<(), Fail> {
    ensure(got == want, || {
        format!("{what}: expected {want:?}, got {got:?}")
    })
}

/// The result of a statement that must fail with SQLSTATE `code`; returns the
/// server's message.
pub fn expect_sqlstate<T: Debug, E: Error + 'static>(
    result: Result<T, E>,
    code: &str,
) -> Result<String, Fail> {
    match result {
        Ok(v) => Err(Fail(format!(
            "expected an error with SQLSTATE {code}, got {v:?}"
        ))),
        Err(e) => {
            let got = sqlstate(&e);
            ensure(got.as_deref() == Some(code), || {
                format!("expected SQLSTATE {code}, got {}", describe(&e))
            })?;
            Ok(message(&e))
        }
    }
}

/// Runs named steps, each on its own: a failing step is reported and the next one
/// still runs; `finish` panics with the whole report if any failed.
pub struct Steps {
    driver: &'static str,
    report: String,
    passed: usize,
    failed: usize,
}

impl Steps {
    pub fn new(driver: &'static str) -> Steps {
        Steps {
            driver,
            report: String::new(),
            passed: 0,
            failed: 0,
        }
    }

    pub async fn run(&mut self, name: &str, step: impl Future<Output = Result<(), Fail>>) -> bool {
        let result = match tokio::time::timeout(STEP_TIMEOUT, step).await {
            Ok(result) => result,
            Err(_) => Err(Fail(format!(
                "no answer from the server within {} s",
                STEP_TIMEOUT.as_secs()
            ))),
        };
        let line = match &result {
            Ok(()) => {
                self.passed += 1;
                format!("PASS {name}")
            }
            Err(Fail(message)) => {
                self.failed += 1;
                format!("FAIL {name}: {message}")
            }
        };
        println!("{line}");
        self.report.push_str(&line);
        self.report.push('\n');
        result.is_ok()
    }

    pub fn finish(self) {
        let summary = format!(
            "{}: {} steps passed, {} steps failed",
            self.driver, self.passed, self.failed
        );
        assert!(
            self.failed == 0,
            "the {} scenario failed:\n{}{summary}",
            self.driver,
            self.report
        );
        println!("{summary}");
    }
}
