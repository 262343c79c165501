use bytes::BytesMut;

use super::*;
use crate::db::ColumnSchema;
use crate::sql::parse;

fn schema() -> Arc<TableSchema> {
    let column = |name: &str, data_type, nullable| ColumnSchema {
        name: name.into(),
        data_type,
        nullable,
        default: None,
        identity: None,
    };
    Arc::new(TableSchema {
        id: 1,
        name: "t".into(),
        columns: vec![
            column("a", DataType::Int4, false),
            column("b", DataType::Text, true),
            column("c", DataType::Bpchar(Some(3)), true),
        ],
        primary_key: None,
        primary_key_constraint: None,
        checks: Vec::new(),
        foreign_keys: Vec::new(),
    })
}

fn command(sql: &str) -> Result<CopyCommand, SqlError> {
    CopyCommand::from_statement(&parse(sql).unwrap()[0])
}

fn options(sql: &str) -> CopyOptions {
    match command(sql).unwrap() {
        CopyCommand::From { options, .. } | CopyCommand::To { options, .. } => options,
    }
}

/// Decodes `chunks` (CopyData messages) for `COPY t FROM STDIN <with>`.
fn decode(with: &str, chunks: &[&[u8]]) -> Result<CopyIn, SqlError> {
    let options = options(&format!("COPY t FROM STDIN {with}"));
    let mut decoder = CopyDecoder::new(
        "t".into(),
        schema(),
        &[],
        options,
        TimeZone::Utc,
        1 << 20,
        100,
    )
    .unwrap();
    for chunk in chunks {
        decoder.feed(chunk);
    }
    decoder.finish()
}

/// A COPY error's context and the error itself.
fn context(e: SqlError) -> (String, SqlError) {
    match e {
        SqlError::Copy { context, error } => (context, *error),
        other => panic!("not a COPY error: {other:?}"),
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

/// Text format: escapes, `\N`, a line split across messages, CRLF, the `\.` end
/// marker (what follows it is ignored), a last line without a newline.
#[test]
fn text_format_decodes() {
    let copy = decode(
        "",
        &[
            b"1\ta\\tb\\\\c\\n\tx  \r\n2\t\\N\t\\",
            b"N\n3\t\\101\\x42\t\n\\.\nnot data\n",
        ],
    )
    .unwrap();
    assert_eq!(
        copy.rows,
        vec![
            vec![Value::Int4(1), text("a\tb\\c\n"), text("x")],
            vec![Value::Int4(2), Value::Null, Value::Null],
            vec![Value::Int4(3), text("AB"), text("")],
        ]
    );
    let copy = decode("", &[b"4\tz\tq"]).unwrap();
    assert_eq!(copy.rows, vec![vec![Value::Int4(4), text("z"), text("q")]]);
}

/// CSV: quotes, doubled quotes, delimiters and newlines inside quotes, an empty
/// unquoted field is NULL and a quoted one is not, the header line is skipped and
/// errors then count it.
#[test]
fn csv_format_decodes() {
    let copy = decode(
        "(FORMAT csv, HEADER)",
        &[b"a,b,c\n1,\"he said \"\"hi\"\", ok\",\n2,\"line\nbreak\",\"\"\n"],
    )
    .unwrap();
    assert_eq!(
        copy.rows,
        vec![
            vec![Value::Int4(1), text("he said \"hi\", ok"), Value::Null],
            vec![Value::Int4(2), text("line\nbreak"), text("")],
        ]
    );
    assert_eq!(copy.first_line, 2);
    let copy = decode("WITH CSV QUOTE '''' ESCAPE '\\'", &[b"5,'it\\'s',x\n"]).unwrap();
    assert_eq!(copy.rows[0][1], text("it's"));
}

/// Errors name the line (and the column for a bad value) and keep PostgreSQL's
/// SQLSTATEs; after the first error the rest of the data is read and dropped.
#[test]
fn errors_name_the_line() {
    let (at, e) = context(decode("", &[b"1\ta\tb\nx\tb\tc\n", b"garbage"]).unwrap_err());
    assert_eq!(at, "COPY t, line 2, column a: \"x\"");
    assert!(matches!(e, SqlError::Type(TypeError::InvalidText { .. })));
    let (at, e) = context(decode("", &[b"1\ta\n"]).unwrap_err());
    assert_eq!(at, "COPY t, line 1: \"1\ta\"");
    assert_eq!(e.to_string(), "missing data for column \"c\"");
    let (_, e) = context(decode("", &[b"1\ta\tb\tc\n"]).unwrap_err());
    assert_eq!(e.to_string(), "extra data after last expected column");
    let (_, e) = context(decode("", &[b"\\N\ta\tb\n"]).unwrap_err());
    assert!(matches!(e, SqlError::Db(DbError::NotNullViolation { .. })));
    let (_, e) = context(decode("", &[b"1\ta\tabcd\n"]).unwrap_err());
    assert_eq!(e, SqlError::Type(TypeError::CharTooLong { max: 3 }));
    let (_, e) = context(decode("", &[b"1\t\xff\tb\n"]).unwrap_err());
    assert_eq!(e, SqlError::Type(TypeError::InvalidUtf8("0xff".into())));
    let (_, e) = context(decode("(FORMAT csv)", &[b"1,\"open,b\n"]).unwrap_err());
    assert!(matches!(e, SqlError::BadCopyData(_)));
}

/// The data and row limits are errors, not truncation.
#[test]
fn limits_are_enforced() {
    let options = options("COPY t FROM STDIN");
    let mut decoder = CopyDecoder::new(
        "t".into(),
        schema(),
        &[],
        options.clone(),
        TimeZone::Utc,
        8,
        100,
    )
    .unwrap();
    decoder.feed(b"1\ta\tb\n2\tc\td\n");
    assert!(matches!(
        decoder.finish(),
        Err(SqlError::ProgramLimitExceeded(_))
    ));
    let mut decoder = CopyDecoder::new(
        "t".into(),
        schema(),
        &[],
        options,
        TimeZone::Utc,
        1 << 20,
        1,
    )
    .unwrap();
    decoder.feed(b"1\ta\tb\n2\tc\td\n");
    assert!(matches!(
        decoder.finish(),
        Err(SqlError::ProgramLimitExceeded(_))
    ));
}

/// A column list picks and orders the columns; unknown and repeated ones are
/// refused before any data.
#[test]
fn column_lists() {
    let options = options("COPY t FROM STDIN");
    let names = ["c".to_owned(), "a".to_owned()];
    let mut decoder = CopyDecoder::new(
        "t".into(),
        schema(),
        &names,
        options.clone(),
        TimeZone::Utc,
        99,
        9,
    )
    .unwrap();
    decoder.feed(b"x\t7\n");
    let copy = decoder.finish().unwrap();
    assert_eq!(copy.columns, vec![2, 0]);
    assert_eq!(copy.rows, vec![vec![text("x"), Value::Int4(7)]]);
    let bad = ["nope".to_owned()];
    let e = CopyDecoder::new(
        "t".into(),
        schema(),
        &bad,
        options.clone(),
        TimeZone::Utc,
        9,
        9,
    );
    assert!(matches!(e, Err(SqlError::UndefinedColumnMessage(_))));
    let twice = ["a".to_owned(), "a".to_owned()];
    let e = CopyDecoder::new("t".into(), schema(), &twice, options, TimeZone::Utc, 9, 9);
    assert!(matches!(e, Err(SqlError::DuplicateColumn(_))));
}

/// Options as PostgreSQL checks them; COPY TO becomes a query.
#[test]
fn statements_and_options() {
    let o = options("COPY t TO STDOUT (FORMAT csv, DELIMITER ';', NULL 'n', HEADER)");
    assert_eq!(
        (o.format, o.delimiter, o.null.as_str(), o.header),
        (CopyFormat::Csv, b';', "n", true)
    );
    let o = options("COPY t FROM STDIN WITH (FREEZE on)");
    assert_eq!(
        (o.format, o.delimiter, o.null.as_str()),
        (CopyFormat::Text, b'\t', "\\N")
    );
    match command("COPY t (a, b) TO STDOUT").unwrap() {
        CopyCommand::To { query, .. } => assert_eq!(query.to_string(), "SELECT a, b FROM t"),
        other => panic!("{other:?}"),
    }
    let refused = [
        ("COPY t FROM '/tmp/x'", "0A000"),
        ("COPY t FROM STDIN (FORMAT binary, DELIMITER ',')", "42601"),
        ("COPY t FROM STDIN (FORMAT binary, QUOTE '\"')", "0A000"),
        ("COPY t FROM STDIN (FORMAT xml)", "22023"),
        ("COPY t FROM STDIN (QUOTE '\"')", "0A000"),
        ("COPY t FROM STDIN (DELIMITER '\\')", "22023"),
        ("COPY t FROM STDIN (FORMAT csv, FORMAT text)", "42601"),
        ("COPY t FROM STDIN (FORMAT csv, NULL ',')", "0A000"),
    ];
    for (sql, state) in refused {
        let e = crate::Error::from(command(sql).unwrap_err());
        assert_eq!(e.sqlstate(), state, "{sql}: {e}");
    }
}

/// Output: text escapes, CSV quoting only where needed (an empty string is quoted
/// when NULL is empty), CHAR(n) blank-padded, NULL as the NULL string.
#[test]
fn rows_encode() {
    let columns = vec![
        ColumnInfo::computed("a", DataType::Text),
        ColumnInfo::computed("b", DataType::Bpchar(Some(3))),
        ColumnInfo::computed("c", DataType::Int4),
    ];
    let row = vec![text("x\ty\\z\n"), text("q"), Value::Null];
    let encoded = |sql: &str, row: &[Value]| {
        let mut out = BytesMut::new();
        encode_row(row, &columns, &options(sql), &TimeZone::Utc, &mut out).unwrap();
        String::from_utf8(out.to_vec()).unwrap()
    };
    assert_eq!(
        encoded("COPY t TO STDOUT", &row),
        "x\\ty\\\\z\\n\tq  \t\\N\n"
    );
    let row = vec![text("say \"hi\", ok"), text(""), Value::Int4(1)];
    assert_eq!(
        encoded("COPY t TO STDOUT CSV", &row),
        "\"say \"\"hi\"\", ok\",   ,1\n"
    );
    let row = vec![text(""), Value::Null, Value::Int4(1)];
    assert_eq!(encoded("COPY t TO STDOUT CSV", &row), "\"\",,1\n");
    let mut header = BytesMut::new();
    encode_start(&columns, &options("COPY t TO STDOUT CSV"), &mut header);
    assert!(header.is_empty(), "no HEADER, no header line");
    encode_start(
        &columns,
        &options("COPY t TO STDOUT CSV HEADER"),
        &mut header,
    );
    assert_eq!(&header[..], b"a,b,c\n");
}

/// `rows` of t (a int4 NOT NULL, b text, c char(3)) in the binary format, as
/// PostgreSQL writes it: header, tuples, trailer.
fn binary_stream(rows: &[[Option<&[u8]>; 3]]) -> Vec<u8> {
    let mut out = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0".to_vec();
    for row in rows {
        out.extend_from_slice(&3i16.to_be_bytes());
        for field in row {
            match field {
                None => out.extend_from_slice(&(-1i32).to_be_bytes()),
                Some(bytes) => {
                    out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
                    out.extend_from_slice(bytes);
                }
            }
        }
    }
    out.extend_from_slice(&(-1i16).to_be_bytes());
    out
}

/// Binary data decodes to the same rows however it is cut into CopyData
/// messages, and what COPY TO writes in binary reads back as the same rows.
#[test]
fn binary_decodes_in_any_chunking_and_round_trips() {
    let one = 1i32.to_be_bytes();
    let two = 2i32.to_be_bytes();
    let stream = binary_stream(&[
        [Some(&one), Some(b"h\xc3\xa9"), Some(b"ab ")],
        [Some(&two), None, None],
    ]);
    let expected = vec![
        vec![Value::Int4(1), text("hé"), text("ab")],
        vec![Value::Int4(2), Value::Null, Value::Null],
    ];
    for size in 1..stream.len() {
        let chunks: Vec<&[u8]> = stream.chunks(size).collect();
        let copy = decode("(FORMAT binary)", &chunks).unwrap();
        assert_eq!(copy.rows, expected, "chunks of {size}");
    }
    let columns = vec![
        ColumnInfo::computed("a", DataType::Int4),
        ColumnInfo::computed("b", DataType::Text),
        ColumnInfo::computed("c", DataType::Bpchar(Some(3))),
    ];
    let o = options("COPY t TO STDOUT (FORMAT binary)");
    let mut out = BytesMut::new();
    encode_start(&columns, &o, &mut out);
    for row in &expected {
        encode_row(row, &columns, &o, &TimeZone::Utc, &mut out).unwrap();
    }
    encode_end(&o, &mut out);
    assert_eq!(&out[..], &stream[..], "PostgreSQL's bytes");
    // Without the trailer, the stream is whole too, as PostgreSQL reads it.
    let cut = &stream[..stream.len() - 2];
    assert_eq!(decode("BINARY", &[cut]).unwrap().rows, expected);
}

/// A header that is not the binary format's, answered with PostgreSQL's 22P04
/// messages, whether the bytes end there or more follow.
#[test]
fn binary_headers_are_checked() {
    let message = |data: &[u8]| {
        let e = decode("(FORMAT binary)", &[data]).unwrap_err();
        assert_eq!(crate::Error::from(e.clone()).sqlstate(), "22P04", "{e}");
        e.to_string()
    };
    let signature = b"PGCOPY\n\xff\r\n\0";
    let with = |tail: &[u8]| [&signature[..], tail].concat();
    assert_eq!(message(b""), "COPY file signature not recognized");
    assert_eq!(message(b"PGCOPY"), "COPY file signature not recognized");
    assert_eq!(
        message(b"PGCOPX\n\xff\r\n\0\0\0\0\0\0\0\0\0"),
        "COPY file signature not recognized"
    );
    assert_eq!(
        message(&with(b"\0\0")),
        "invalid COPY file header (missing flags)"
    );
    assert_eq!(
        message(&with(b"\0\x01\0\0\0\0\0\0")),
        "invalid COPY file header (WITH OIDS)"
    );
    assert_eq!(
        message(&with(b"\0\x02\0\0\0\0\0\0")),
        "unrecognized critical flags in COPY file header"
    );
    assert_eq!(
        message(&with(b"\0\0\0\0\0\0")),
        "invalid COPY file header (missing length)"
    );
    assert_eq!(
        message(&with(b"\0\0\0\0\xff\xff\xff\xff")),
        "invalid COPY file header (missing length)"
    );
    assert_eq!(
        message(&with(b"\0\0\0\0\0\0\0\x05ab")),
        "invalid COPY file header (wrong length)"
    );
    // Non-critical flags and a header extension are skipped.
    let copy = decode(
        "(FORMAT binary)",
        &[&with(b"\0\0\0\x01\0\0\0\x02xy\xff\xff")],
    )
    .unwrap();
    assert!(copy.rows.is_empty());
}

/// Tuples that do not fit the table: PostgreSQL's errors and contexts.
#[test]
fn binary_tuples_are_checked() {
    let failure = |data: Vec<u8>| {
        let e = decode("(FORMAT binary)", &[&data]).unwrap_err();
        let code = crate::Error::from(e.clone()).sqlstate().to_owned();
        let (context, e) = context(e);
        (code, e.to_string(), context)
    };
    let one = 1i32.to_be_bytes();
    let good = binary_stream(&[[Some(&one), None, None]]);
    let header = &good[..19];
    let tuple = &good[19..good.len() - 2];
    let mut after = good.clone();
    after.push(0);
    assert_eq!(
        failure(after),
        (
            "22P04".into(),
            "received copy data after EOF marker".into(),
            "COPY t, line 2".into()
        )
    );
    let two_fields = [
        header,
        &2i16.to_be_bytes(),
        &4i32.to_be_bytes(),
        &one,
        &(-1i32).to_be_bytes(),
    ]
    .concat();
    assert_eq!(
        failure(two_fields),
        (
            "22P04".into(),
            "row field count is 2, expected 3".into(),
            "COPY t, line 1".into()
        )
    );
    let bad_size = [header, tuple, &3i16.to_be_bytes(), &(-2i32).to_be_bytes()].concat();
    assert_eq!(
        failure(bad_size),
        (
            "22P04".into(),
            "invalid field size".into(),
            "COPY t, line 2, column a".into()
        )
    );
    let cut = [header, tuple, &tuple[..10]].concat();
    assert_eq!(
        failure(cut),
        (
            "22P04".into(),
            "unexpected EOF in COPY data".into(),
            "COPY t, line 2, column b".into()
        )
    );
    let five_bytes = binary_stream(&[[Some(&[0, 0, 0, 0, 1]), None, None]]);
    let (code, _, context) = failure(five_bytes);
    assert_eq!(
        (code.as_str(), context.as_str()),
        ("22P03", "COPY t, line 1, column a")
    );
    let null_a = binary_stream(&[[None, None, None]]);
    let (code, _, context) = failure(null_a);
    assert_eq!(
        (code.as_str(), context.as_str()),
        ("23502", "COPY t, line 1")
    );
    let long_c = binary_stream(&[[Some(&one), None, Some(b"abcd")]]);
    let (code, _, context) = failure(long_c);
    assert_eq!(
        (code.as_str(), context.as_str()),
        ("22001", "COPY t, line 1, column c")
    );
    let not_utf8 = binary_stream(&[[Some(&one), Some(b"\xff"), None]]);
    let (code, message, _) = failure(not_utf8);
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("22021", "invalid byte sequence for encoding \"UTF8\": 0xff")
    );
}

/// The binary format takes no DELIMITER, NULL or HEADER (42601, as PostgreSQL).
#[test]
fn binary_options_are_checked() {
    for with in [
        "(FORMAT binary, NULL 'x')",
        "(FORMAT binary, HEADER)",
        "BINARY NULL 'x'",
    ] {
        let e = command(&format!("COPY t FROM STDIN {with}")).unwrap_err();
        assert!(matches!(e, SqlError::Syntax(_)), "{with}: {e}");
    }
    assert_eq!(
        options("COPY t FROM STDIN (FORMAT binary, HEADER false)").format,
        CopyFormat::Binary
    );
    assert_eq!(
        options("COPY t TO STDOUT WITH BINARY").format,
        CopyFormat::Binary
    );
}
