//! Runs every `sql/**/*.slt` file as one test (one libtest-mimic trial per file).
//!
//! By default each file gets its own fresh Turnstile server (`tests/common`), started
//! from the binary cargo built for this test, so files never see each other's tables.
//! The driver is tokio-postgres over a real loopback socket: statements go through the
//! simple query protocol and values are compared as the text the server sends, the way
//! psql prints them (NULL as `NULL`, the empty string as `(empty)`). For a query, the
//! column types are then taken from a Describe of the same statement (extended
//! protocol) and checked against the letters in the file: `I` integers, `R` float and
//! numeric, `T` text; `?` matches any other type (boolean, dates, bytea, uuid, jsonb).
//!
//! Records can be limited to one side with `onlyif turnstile` / `onlyif postgres` (and
//! `skipif`): Turnstile answers 0A000 where PostgreSQL has a feature we do not, and the
//! PostgreSQL twin of such a record shows the statement is valid SQL.
//!
//! An expected result of the single line `<slt:regex>PATTERN` matches when the regex
//! finds PATTERN in the output (see `validate`).
//!
//! Errors carry their SQLSTATE: a file can say `statement error (22012)` (checked against
//! the code) or match the text `ERROR: division by zero (SQLSTATE 22012)` with a regex.
//!
//! PostgreSQL 15 is the reference for every expected answer. Environment:
//! - `SLT_TARGET=postgres://user@127.0.0.1:PORT/db` runs the files against that server
//!   instead of Turnstile; each file gets a fresh database `slt_<file>` created there
//!   (collation "C": Turnstile compares text byte by byte).
//! - `SLT_UPDATE=1` (only together with `SLT_TARGET`) rewrites the expected results of
//!   queries and statements from the target's answers; records expecting an error are
//!   kept as written. Review the diff.
//!
//! - `SLT_KEEP_GOING=1` runs every record of a file after a failure and lists all
//!   failures instead of stopping at the first.
//!
//! Filter files as usual: `cargo test --test sqllogictest -- joins`.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType, QueryExpect, Record, StatementExpect};
use tokio_postgres::types::Type;

fn main() {
    let args = Arguments::from_args();
    let target = std::env::var("SLT_TARGET").ok().filter(|t| !t.is_empty());
    let update = std::env::var("SLT_UPDATE").is_ok_and(|v| v == "1");
    if update && target.is_none() {
        eprintln!("SLT_UPDATE=1 needs SLT_TARGET: expected answers come from PostgreSQL only");
        std::process::exit(2);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql");
    let mut files = Vec::new();
    collect_slt_files(&root, &mut files);
    files.sort();
    let trials = files
        .into_iter()
        .map(|path| {
            let name = path
                .strip_prefix(&root)
                .unwrap_or(&path)
                .with_extension("")
                .display()
                .to_string();
            let target = target.clone();
            Trial::test(name.clone(), move || {
                run_file(&name, &path, target.as_deref(), update)
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

/// Every `*.slt` file under `dir`, recursively.
fn collect_slt_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            collect_slt_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "slt") {
            out.push(path);
        }
    }
}

/// Runs one file in its own runtime, against its own server or database.
fn run_file(name: &str, path: &Path, target: Option<&str>, update: bool) -> Result<(), Failed> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build a tokio runtime");
    runtime.block_on(async {
        match target {
            None => {
                // A plain SQL server, like the PostgreSQL the suites are checked
                // against: no module, so no bank tables.
                let server = common::TestServer::start_with_args(&["--no-modules"]);
                let url = server.psql_url();
                let result = run_records(&url, "turnstile", path, update).await;
                result
                    .map_err(|e| Failed::from(format!("{e}\n--- server log ---\n{}", server.log())))
            }
            Some(admin_url) => {
                let db_name = format!("slt_{}", name.replace(['/', '-', '.'], "_"));
                let url = fresh_postgres_database(admin_url, &db_name).await?;
                let result = run_records(&url, "postgres", path, update).await;
                drop_postgres_database(admin_url, &db_name).await;
                result.map_err(Failed::from)
            }
        }
    })
}

/// Runs (or, with `update`, rewrites) the file's records on connections to `url`.
async fn run_records(url: &str, label: &str, path: &Path, update: bool) -> Result<(), String> {
    let url = Arc::new(url.to_string());
    let mut runner = sqllogictest::Runner::new(move || {
        let url = Arc::clone(&url);
        async move { Postgres::connect(&url).await }
    });
    runner.with_column_validator(sqllogictest::strict_column_validator);
    runner.with_validator(validate);
    // Lets a file keep a record for one side only: `onlyif turnstile` for what differs
    // on purpose (0A000 for what is out of scope), `onlyif postgres` for its reference.
    runner.add_label(label);
    if update {
        return update_file(&mut runner, path).await;
    }
    if std::env::var("SLT_KEEP_GOING").is_ok_and(|v| v == "1") {
        return run_all_records(&mut runner, path).await;
    }
    runner
        .run_file_async(path)
        .await
        .map_err(|e| e.display(false).to_string())
}

/// Runs every record even after a failure and reports all failures, for a full picture
/// of what a file finds (`SLT_KEEP_GOING=1`). Later records may fail only because an
/// earlier one did; the first failure is the one to fix first.
async fn run_all_records<M>(
    runner: &mut sqllogictest::Runner<Postgres, M>,
    path: &Path,
) -> Result<(), String>
where
    M: sqllogictest::MakeConnection<Conn = Postgres>,
{
    let records = sqllogictest::parse_file::<DefaultColumnType>(path).map_err(|e| e.to_string())?;
    let mut failures = Vec::new();
    for record in records {
        if let Err(e) = runner.run_async(record).await {
            failures.push(e.display(false).to_string());
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} failures:\n\n{}",
            failures.len(),
            failures.join("\n")
        ))
    }
}

/// Rewrites the expected output of every record that does not expect an error with
/// what the target answered; records expecting an error are written back unchanged
/// (and are checked by a normal run).
async fn update_file<M>(
    runner: &mut sqllogictest::Runner<Postgres, M>,
    path: &Path,
) -> Result<(), String>
where
    M: sqllogictest::MakeConnection<Conn = Postgres>,
{
    let records = sqllogictest::parse_file::<DefaultColumnType>(path).map_err(|e| e.to_string())?;
    let mut out = String::new();
    for record in records {
        let expects_error = matches!(
            &record,
            Record::Statement {
                expected: StatementExpect::Error(_),
                ..
            } | Record::Query {
                expected: QueryExpect::Error(_),
                ..
            }
        );
        let output = runner.apply_record(record.clone()).await;
        let updated = if expects_error {
            None
        } else {
            sqllogictest::update_record_with_output(
                &record,
                &output,
                " ",
                validate,
                sqllogictest::default_normalizer,
                sqllogictest::strict_column_validator,
            )
        };
        out.push_str(&updated.unwrap_or(record).to_string());
        out.push('\n');
    }
    std::fs::write(path, out).map_err(|e| e.to_string())
}

/// Compares results as sqllogictest does, plus one marker of ours: expected output of
/// one line `<slt:regex>PATTERN` passes when PATTERN matches the actual rows (values
/// joined by spaces, rows by newlines). Used where only part of the text is ours to
/// promise, such as a plan in EXPLAIN.
fn validate(
    normalizer: sqllogictest::Normalizer,
    actual: &[Vec<String>],
    expected: &[String],
) -> bool {
    const REGEX_MARKER: &str = "<slt:regex>";
    match expected {
        [line] if line.starts_with(REGEX_MARKER) => {
            let pattern = &line[REGEX_MARKER.len()..];
            let regex =
                regex::Regex::new(pattern).unwrap_or_else(|e| panic!("bad regex {pattern:?}: {e}"));
            let text = actual
                .iter()
                .map(|row| row.join(" "))
                .collect::<Vec<_>>()
                .join("\n");
            regex.is_match(&text)
        }
        _ => sqllogictest::default_validator(normalizer, actual, expected),
    }
}

/// Creates (or recreates) database `db_name` on the PostgreSQL at `admin_url` and
/// returns a URL for it.
async fn fresh_postgres_database(admin_url: &str, db_name: &str) -> Result<String, Failed> {
    let admin = Postgres::connect(admin_url)
        .await
        .map_err(|e| Failed::from(e.to_string()))?;
    // Text sorts byte by byte in Turnstile, which is PostgreSQL's "C" collation.
    let sql = format!(
        "DROP DATABASE IF EXISTS {db_name}; CREATE DATABASE {db_name} TEMPLATE template0 LC_COLLATE 'C'"
    );
    for stmt in sql.split("; ") {
        admin
            .client
            .simple_query(stmt)
            .await
            .map_err(|e| Failed::from(SltError::from(e).to_string()))?;
    }
    let mut config: tokio_postgres::Config = admin_url
        .parse()
        .map_err(|e| Failed::from(format!("{e}")))?;
    config.dbname(db_name);
    let host = "127.0.0.1";
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres").to_string();
    Ok(format!("postgres://{user}@{host}:{port}/{db_name}"))
}

async fn drop_postgres_database(admin_url: &str, db_name: &str) {
    if let Ok(admin) = Postgres::connect(admin_url).await {
        let _ = admin
            .client
            .simple_query(&format!("DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"))
            .await;
    }
}

/// One client connection, as sqllogictest's database under test.
struct Postgres {
    client: tokio_postgres::Client,
    /// The task driving the connection; aborted on shutdown.
    connection: tokio::task::JoinHandle<()>,
}

impl Postgres {
    async fn connect(url: &str) -> Result<Postgres, SltError> {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
        let connection = tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Postgres { client, connection })
    }

    /// The column types of `sql`'s result, from a Describe of the prepared statement.
    async fn describe(&self, sql: &str) -> Result<Vec<DefaultColumnType>, SltError> {
        let statement = self.client.prepare(sql).await.map_err(|e| {
            let mut e = SltError::from(e);
            e.message = format!("Describe of a query that ran fine failed: {}", e.message);
            e
        })?;
        Ok(statement
            .columns()
            .iter()
            .map(|c| column_type(c.type_()))
            .collect())
    }
}

/// Maps a PostgreSQL type to sqllogictest's column letter.
fn column_type(ty: &Type) -> DefaultColumnType {
    match *ty {
        Type::INT2 | Type::INT4 | Type::INT8 | Type::OID => DefaultColumnType::Integer,
        Type::FLOAT4 | Type::FLOAT8 | Type::NUMERIC => DefaultColumnType::FloatingPoint,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
            DefaultColumnType::Text
        }
        _ => DefaultColumnType::Any,
    }
}

#[async_trait::async_trait]
impl AsyncDB for Postgres {
    type Error = SltError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        use tokio_postgres::SimpleQueryMessage as M;
        let messages = self.client.simple_query(sql).await?;
        let mut rows = Vec::new();
        let mut has_rows = false;
        let mut count = 0;
        for message in messages {
            match message {
                M::RowDescription(_) => has_rows = true,
                M::Row(row) => {
                    has_rows = true;
                    let values = (0..row.len())
                        .map(|i| match row.get(i) {
                            None => "NULL".to_string(),
                            Some("") => "(empty)".to_string(),
                            Some(v) => v.to_string(),
                        })
                        .collect();
                    rows.push(values);
                }
                M::CommandComplete(n) => count = n,
                _ => {}
            }
        }
        if !has_rows {
            return Ok(DBOutput::StatementComplete(count));
        }
        let types = self.describe(sql).await?;
        Ok(DBOutput::Rows { types, rows })
    }

    async fn shutdown(&mut self) {
        self.connection.abort();
    }

    fn engine_name(&self) -> &str {
        "postgres-wire"
    }

    async fn sleep(dur: std::time::Duration) {
        tokio::time::sleep(dur).await
    }

    fn error_sql_state(err: &SltError) -> Option<String> {
        err.sqlstate.clone()
    }
}

/// A server error with its SQLSTATE, or a client-side error (no SQLSTATE).
#[derive(Debug)]
struct SltError {
    /// `ERROR: division by zero`, or the client's error text.
    message: String,
    /// The five-character code, when the server sent an ErrorResponse.
    sqlstate: Option<String>,
}

impl std::fmt::Display for SltError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.sqlstate {
            Some(code) => write!(f, "db error: {} (SQLSTATE {code})", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

impl std::error::Error for SltError {}

impl From<tokio_postgres::Error> for SltError {
    fn from(e: tokio_postgres::Error) -> SltError {
        match e.as_db_error() {
            Some(db) => SltError {
                message: format!("{}: {}", db.severity(), db.message()),
                sqlstate: Some(db.code().code().to_string()),
            },
            None => SltError {
                message: e.to_string(),
                sqlstate: None,
            },
        }
    }
}
