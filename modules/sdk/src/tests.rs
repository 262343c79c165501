//! Tests of the row encoding and the derived impls. They run on the build machine
//! (`cargo test -p turnstile-sdk`): nothing here calls the host.

use crate::codec::Reader;
use crate::{Column, SqlType};
use crate::{Date, Error, Jsonb, Key, Row, Table, Timestamp, TimestampTz, Uuid, Value};

#[derive(Row, Debug, Clone, PartialEq)]
#[row(table = "accounts")]
struct Account {
    #[primary_key]
    id: i64,
    owner: String,
    balance: i64,
}

#[derive(Row, Debug, Clone, PartialEq)]
#[row(table = "ledger")]
struct Entry {
    account: i64,
    #[primary_key]
    day: Date,
    amount: i64,
    #[primary_key]
    seq: i32,
}

/// One column of every type, nullable, and a non-nullable one past the first bitmap
/// byte.
#[derive(Row, Debug, Clone, PartialEq)]
struct Everything {
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
    tail: i64,
}

fn encode<R: Row>(row: &R) -> Vec<u8> {
    let mut bytes = Vec::new();
    row.encode(&mut bytes);
    bytes
}

fn encode_key<K: Key>(key: &K) -> Vec<u8> {
    let mut bytes = Vec::new();
    key.encode_key(&mut bytes);
    bytes
}

fn everything() -> Everything {
    Everything {
        v_bool: Some(true),
        v_int2: Some(-2),
        v_int4: Some(i32::MIN),
        v_int8: Some(i64::MAX),
        v_float4: Some(1.5),
        v_float8: Some(-0.25),
        v_text: Some("héllo".repeat(40)),
        v_bytea: Some(vec![0, 1, 255]),
        v_timestamp: Some(Timestamp(1)),
        v_timestamptz: Some(TimestampTz(-1)),
        v_date: Some(Date(-730_000)),
        v_uuid: Some(Uuid([7; 16])),
        v_jsonb: Some(Jsonb("{\"a\": 1}".into())),
        tail: i64::MIN,
    }
}

/// The bank's row encodes to exactly the bytes the host stores for it
/// (`src/db/row.rs`, `account_row_is_compact`): a bitmap byte, zigzag varints, and a
/// length-prefixed text.
#[test]
fn account_row_matches_the_host_encoding() {
    let account = Account {
        id: 999_999,
        owner: "owner-0001".into(),
        balance: 100,
    };
    let bytes = encode(&account);
    let mut expected = vec![0x00, 0xfe, 0x88, 0x7a, 10];
    expected.extend_from_slice(b"owner-0001");
    expected.extend_from_slice(&[0xc8, 0x01]);
    assert_eq!(bytes, expected);
    assert_eq!(Account::decode(&bytes), Ok(account));
}

/// Every type and NULL survive a roundtrip, with the NULL bits where the layout
/// puts them (value 13 is bit 5 of the second bitmap byte).
#[test]
fn every_type_roundtrips() {
    let row = everything();
    assert_eq!(Everything::decode(&encode(&row)), Ok(row.clone()));

    let nulls = Everything {
        v_bool: None,
        v_int2: None,
        v_int4: None,
        v_int8: None,
        v_float4: None,
        v_float8: None,
        v_text: None,
        v_bytea: None,
        v_timestamp: None,
        v_timestamptz: None,
        v_date: None,
        v_uuid: None,
        v_jsonb: None,
        tail: 3,
    };
    let bytes = encode(&nulls);
    assert_eq!(bytes, [0xff, 0x1f, 6]);
    assert_eq!(Everything::decode(&bytes), Ok(nulls));
}

/// Integer extremes survive the zigzag varint encoding, including the ten-byte
/// varints of the 64-bit extremes.
#[test]
fn integer_extremes_roundtrip() {
    for value in [0, -1, 1, 63, -64, 64, i64::MAX, i64::MIN] {
        let mut bytes = Vec::new();
        assert!(value.encode(&mut bytes));
        let mut reader = Reader::new(&bytes, 0).unwrap();
        assert_eq!(reader.int(), Ok(value), "{value}");
    }
}

/// The derived descriptions name the columns after the fields, in order, with the
/// SQL type and nullability of each Rust type, and the key positions in key order.
#[test]
fn derived_descriptions() {
    assert_eq!(
        Account::COLUMNS,
        [
            Column {
                name: "id",
                sql_type: SqlType::Bigint,
                nullable: false
            },
            Column {
                name: "owner",
                sql_type: SqlType::Text,
                nullable: false
            },
            Column {
                name: "balance",
                sql_type: SqlType::Bigint,
                nullable: false
            },
        ]
    );
    assert_eq!(Account::NAME, "accounts");
    assert_eq!(Account::PRIMARY_KEY, [0]);
    assert_eq!(Entry::PRIMARY_KEY, [1, 3]);
    assert_eq!(Everything::COLUMNS[12].sql_type, SqlType::Jsonb);
    assert!(Everything::COLUMNS[12].nullable);
}

/// A key is the row of the key's columns: one column is its own value, a composite
/// key a tuple in key order, and a prefix of it the row of its first columns.
#[test]
fn keys_are_rows_of_the_key_columns() {
    assert_eq!(encode_key(&5i64), [0x00, 10]);
    let entry = Entry {
        account: 1,
        day: Date(2),
        amount: 3,
        seq: 4,
    };
    assert_eq!(entry.key(), (Date(2), 4));
    assert_eq!(encode_key(&entry.key()), [0x00, 4, 8]);
    assert_eq!(<(Date, i32)>::COLUMNS, 2);
    assert_eq!(encode_key(&(Date(2),)), [0x00, 4]);
    assert_eq!(encode_key(&Option::<i64>::None), [0x01]);
}

/// Bytes that do not fit the row type are errors with SQLSTATE XX000, never panics.
#[test]
fn malformed_rows_are_errors() {
    let good = encode(&Account {
        id: 1,
        owner: "ab".into(),
        balance: 2,
    });
    let cases: [(&str, Vec<u8>); 7] = [
        ("empty", vec![]),
        ("truncated", good[..good.len() - 1].to_vec()),
        ("trailing byte", [&good[..], &[0]].concat()),
        ("NULL in a non-Option column", vec![0x02, 2, 4]),
        ("text that is not UTF-8", vec![0x00, 2, 1, 0xff, 4]),
        ("huge length", vec![0x00, 2, 0xff, 0xff, 0xff, 0xff, 0x0f]),
        (
            "varint over 64 bits",
            [&[0x00][..], &[0xff; 10], &[0x01]].concat(),
        ),
    ];
    for (case, bytes) in cases {
        let error = Account::decode(&bytes).expect_err(case);
        assert_eq!(error.sqlstate(), "XX000", "{case}: {error}");
    }
    let error = Everything::decode(&[0x00, 0x00, 2]).expect_err("boolean byte 2");
    assert_eq!(error.sqlstate(), "XX000");
}

/// Arguments: a NULL for a parameter that is not an `Option` is the caller's
/// mistake (22004); a value out of the parameter type's range is malformed.
#[test]
fn argument_errors() {
    let mut reader = Reader::new(&[0x01], 1).unwrap();
    let error: Error = reader.arg::<i64>("src").unwrap_err();
    assert_eq!(error.sqlstate(), "22004");
    assert!(error.message().contains("src"), "{error}");

    let mut bytes = vec![0x00];
    (i64::from(i16::MAX) + 1).encode(&mut bytes);
    let mut reader = Reader::new(&bytes, 1).unwrap();
    assert_eq!(reader.arg::<i16>("n").unwrap_err().sqlstate(), "XX000");

    let mut reader = Reader::new(&[0x00, 2], 1).unwrap();
    assert_eq!(reader.arg::<Option<i64>>("n"), Ok(Some(1)));
    assert!(reader.finish().is_ok());
}
