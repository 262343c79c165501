//! psql, the reference client, against the real binary: a one-off `-c` and a script
//! with ON_ERROR_STOP. A missing psql fails these tests, so they cannot pass without
//! running; set TURNSTILE_SKIP_PSQL_TESTS=1 to skip them on purpose.

mod common;

use common::pg_tools::{have, psql};

/// `psql -c 'select 1'` prints the one-row table.
#[test]
fn psql_select_one() {
    if !have("psql") {
        return;
    }
    let server = common::TestServer::start();
    let (ok, out, err) = psql(&server, &["-c", "select 1"], None);
    assert!(ok, "{err}");
    assert_eq!(out, " ?column? \n----------\n        1\n(1 row)\n\n");
}

/// A create/insert/select script runs under ON_ERROR_STOP; an error stops it with
/// exit status 3 after the statements before it.
#[test]
fn psql_script() {
    if !have("psql") {
        return;
    }
    let server = common::TestServer::start();
    let script =
        "create table ledger (id bigint primary key, owner text not null, balance bigint);\n\
                  insert into ledger values (1, 'ada', 100), (2, 'bob', 50);\n\
                  select owner, balance from ledger order by id;\n";
    let (ok, out, err) = psql(
        &server,
        &["-v", "ON_ERROR_STOP=1", "-A", "-t"],
        Some(script),
    );
    assert!(ok, "{err}");
    assert_eq!(out, "CREATE TABLE\nINSERT 0 2\nada|100\nbob|50\n");
    let (ok, out, err) = psql(
        &server,
        &["-v", "ON_ERROR_STOP=1", "-A", "-t"],
        Some("select 1;\nselect 1/0;\nselect 2;\n"),
    );
    assert!(!ok);
    assert_eq!(out, "1\n");
    assert!(err.contains("division by zero"), "{err}");
}
