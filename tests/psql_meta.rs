//! psql's meta-commands (`\d`, `\dt`, `\d table`, `\di`, `\dv`, `\df`, `\dn`, `\du`,
//! `\l`, their `+` forms, `\sv`, `\dconfig`) against the real binary, compared with
//! the text psql 15 prints. The expected outputs were checked against PostgreSQL 15
//! with the same schema, owned by the connecting user `x` (the bank module's
//! reducers and view are PostgreSQL procedures and a `RETURNS TABLE` function
//! there); where Turnstile answers otherwise on purpose (sizes, a view's
//! definition) the test says so. Each meta-command runs psql's own catalog
//! queries, so these tests fail if any of them errors.

mod common;

use common::pg_tools::{have, psql};

/// The schema every test describes, besides the bank module's `accounts`.
const SCHEMA: &str = "\
create table items (id integer primary key, name varchar(20) not null, \
price numeric(10,2) default 0, note text, created timestamptz default now());
create unique index items_name_key on items (name);
create index items_price_idx on items (price, note);
create view cheap as select id, name from items where price < 10;
";

/// Starts a server with the schema and returns it with psql's output for `command`.
fn describe(commands: &[&str]) -> Vec<String> {
    let server = common::TestServer::start();
    let (ok, _, err) = psql(&server, &["-q", "-v", "ON_ERROR_STOP=1"], Some(SCHEMA));
    assert!(ok, "schema: {err}");
    commands
        .iter()
        .map(|c| {
            let (ok, out, err) = psql(&server, &["-c", c], None);
            assert!(ok && err.is_empty(), "{c}: {err}");
            out
        })
        .collect()
}

/// `\d`, `\dt`, `\dv` and `\di` list the user's relations with psql's layout;
/// system relations (in pg_catalog) are not listed.
#[test]
fn psql_lists_relations() {
    if !have("psql") {
        return;
    }
    let out = describe(&["\\d", "\\dt", "\\dv", "\\di"]);
    assert_eq!(
        out[0],
        r#"         List of relations
 Schema |   Name   | Type  | Owner 
--------+----------+-------+-------
 public | accounts | table | x
 public | cheap    | view  | x
 public | items    | table | x
(3 rows)

"#
    );
    assert_eq!(
        out[1],
        r#"         List of relations
 Schema |   Name   | Type  | Owner 
--------+----------+-------+-------
 public | accounts | table | x
 public | items    | table | x
(2 rows)

"#
    );
    assert_eq!(
        out[2],
        r#"       List of relations
 Schema | Name  | Type | Owner 
--------+-------+------+-------
 public | cheap | view | x
(1 row)

"#
    );
    assert_eq!(
        out[3],
        r#"                  List of relations
 Schema |      Name       | Type  | Owner |  Table   
--------+-----------------+-------+-------+----------
 public | accounts_pkey   | index | x     | accounts
 public | items_name_key  | index | x     | items
 public | items_pkey      | index | x     | items
 public | items_price_idx | index | x     | items
(4 rows)

"#
    );
}

/// `\d items` shows columns, types with modifiers, nullability, defaults, and the
/// indexes with their definitions; `\d cheap` a view's columns.
#[test]
fn psql_describes_a_table_and_a_view() {
    if !have("psql") {
        return;
    }
    let out = describe(&["\\d items", "\\d cheap"]);
    assert_eq!(
        out[0],
        r#"                        Table "public.items"
 Column  |           Type           | Collation | Nullable | Default 
---------+--------------------------+-----------+----------+---------
 id      | integer                  |           | not null | 
 name    | character varying(20)    |           | not null | 
 price   | numeric(10,2)            |           |          | 0
 note    | text                     |           |          | 
 created | timestamp with time zone |           |          | now()
Indexes:
    "items_pkey" PRIMARY KEY, btree (id)
    "items_name_key" UNIQUE, btree (name)
    "items_price_idx" btree (price, note)

"#
    );
    assert_eq!(
        out[1],
        r#"                       View "public.cheap"
 Column |         Type          | Collation | Nullable | Default 
--------+-----------------------+-----------+----------+---------
 id     | integer               |           |          | 
 name   | character varying(20) |           |          | 

"#
    );
}

/// `\df` lists the module's reducers as procedures and its view as a function
/// returning a table; `\dn` the public schema; `\du` the user as superuser.
#[test]
fn psql_lists_routines_schemas_and_roles() {
    if !have("psql") {
        return;
    }
    let out = describe(&["\\df", "\\dn", "\\du"]);
    assert_eq!(
        out[0],
        r#"                                                      List of functions
 Schema |     Name     |               Result data type               |              Argument data types               | Type 
--------+--------------+----------------------------------------------+------------------------------------------------+------
 public | deposit      |                                              | IN id bigint, IN amount bigint                 | proc
 public | open_account |                                              | IN id bigint, IN owner text, IN balance bigint | proc
 public | richest      | TABLE(id bigint, owner text, balance bigint) | n integer                                      | func
 public | transfer     |                                              | IN src bigint, IN dst bigint, IN amount bigint | proc
(4 rows)

"#
    );
    assert_eq!(
        out[1],
        r#"      List of schemas
  Name  |       Owner       
--------+-------------------
 public | pg_database_owner
(1 row)

"#
    );
    assert_eq!(
        out[2],
        r#"                                   List of roles
 Role name |                         Attributes                         | Member of 
-----------+------------------------------------------------------------+-----------
 x         | Superuser, Create role, Create DB, Replication, Bypass RLS | {}

"#
    );
}

/// `\l` shows the database connected to; `\conninfo` names it and the user.
#[test]
fn psql_lists_the_database() {
    if !have("psql") {
        return;
    }
    let out = describe(&["\\l", "\\conninfo"]);
    assert!(
        out[0].contains(" y    | x     | UTF8     | C.UTF-8 | C.UTF-8 |"),
        "{}",
        out[0]
    );
    assert!(
        out[1].starts_with("You are connected to database \"y\" as user \"x\""),
        "{}",
        out[1]
    );
}

/// Two rows for the `+` commands to measure.
const ROWS: &str = "insert into items values (1, 'pen', 2.50, 'blue', '2024-01-01 00:00+00'), \
(2, 'book', 12, null, '2024-01-01 00:00+00')";

/// `\d+ items` and `\d+` of an index add storage, compression, statistics and the
/// access method, exactly as PostgreSQL 15 shows them (psql concatenates
/// `reloptions` arrays with `||`).
#[test]
fn psql_describes_a_table_and_an_index_in_detail() {
    if !have("psql") {
        return;
    }
    let out = describe(&["\\d+ items", "\\d+ items_price_idx"]);
    assert_eq!(
        out[0],
        r#"                                                   Table "public.items"
 Column  |           Type           | Collation | Nullable | Default | Storage  | Compression | Stats target | Description 
---------+--------------------------+-----------+----------+---------+----------+-------------+--------------+-------------
 id      | integer                  |           | not null |         | plain    |             |              | 
 name    | character varying(20)    |           | not null |         | extended |             |              | 
 price   | numeric(10,2)            |           |          | 0       | main     |             |              | 
 note    | text                     |           |          |         | extended |             |              | 
 created | timestamp with time zone |           |          | now()   | plain    |             |              | 
Indexes:
    "items_pkey" PRIMARY KEY, btree (id)
    "items_name_key" UNIQUE, btree (name)
    "items_price_idx" btree (price, note)
Access method: heap

"#
    );
    assert_eq!(
        out[1],
        r#"                    Index "public.items_price_idx"
 Column |     Type      | Key? | Definition | Storage  | Stats target 
--------+---------------+------+------------+----------+--------------
 price  | numeric(10,2) | yes  | price      | main     | 
 note   | text          | yes  | note       | extended | 
btree, for table "public.items"

"#
    );
}

/// `\dt+`, `\di+` and `\dv+` list sizes. The layout is PostgreSQL's; the sizes
/// are Turnstile's own (the bytes of the rows and of the indexed values as
/// Turnstile encodes them, see `src/sql/system/sizes.rs`), where PostgreSQL
/// counts 8 kB pages: 8192 bytes for the empty `accounts` and its key, 16 kB for
/// `items` and each of its indexes. A view is 0 bytes in both.
#[test]
fn psql_lists_relations_with_sizes() {
    if !have("psql") {
        return;
    }
    let out = describe(&[ROWS, "\\dt+", "\\di+", "\\dv+"]);
    assert_eq!(
        out[1],
        r#"                                    List of relations
 Schema |   Name   | Type  | Owner | Persistence | Access method |   Size   | Description 
--------+----------+-------+-------+-------------+---------------+----------+-------------
 public | accounts | table | x     | permanent   | heap          | 0 bytes  | 
 public | items    | table | x     | permanent   | heap          | 66 bytes | 
(2 rows)

"#
    );
    assert_eq!(
        out[2],
        r#"                                             List of relations
 Schema |      Name       | Type  | Owner |  Table   | Persistence | Access method |   Size   | Description 
--------+-----------------+-------+-------+----------+-------------+---------------+----------+-------------
 public | accounts_pkey   | index | x     | accounts | permanent   | btree         | 0 bytes  | 
 public | items_name_key  | index | x     | items    | permanent   | btree         | 11 bytes | 
 public | items_pkey      | index | x     | items    | permanent   | btree         | 4 bytes  | 
 public | items_price_idx | index | x     | items    | permanent   | btree         | 39 bytes | 
(4 rows)

"#
    );
    assert_eq!(
        out[3],
        r#"                          List of relations
 Schema | Name  | Type | Owner | Persistence |  Size   | Description 
--------+-------+------+-------+-------------+---------+-------------
 public | cheap | view | x     | permanent   | 0 bytes | 
(1 row)

"#
    );
}

/// `\d+ cheap` and `\sv cheap` show a view's definition. PostgreSQL deparses it
/// (`SELECT items.id, …` over four lines); Turnstile keeps the text it was
/// created with, which is what these show. The rest is PostgreSQL's.
#[test]
fn psql_shows_a_view_definition() {
    if !have("psql") {
        return;
    }
    let out = describe(&["\\d+ cheap", "\\sv cheap"]);
    assert_eq!(
        out[0],
        r#"                                   View "public.cheap"
 Column |         Type          | Collation | Nullable | Default | Storage  | Description 
--------+-----------------------+-----------+----------+---------+----------+-------------
 id     | integer               |           |          |         | plain    | 
 name   | character varying(20) |           |          |         | extended | 
View definition:
 SELECT id, name FROM items WHERE price < 10;

"#
    );
    assert_eq!(
        out[1],
        "CREATE OR REPLACE VIEW public.cheap AS\n SELECT id, name FROM items WHERE price < 10\n"
    );
}

/// `\l+` adds the database's size (every table and index, as `\dt+` and `\di+`
/// count them); `\dconfig` reads settings with `current_setting`.
#[test]
fn psql_shows_database_size_and_settings() {
    if !have("psql") {
        return;
    }
    let out = describe(&[ROWS, "\\l+", "\\dconfig jit"]);
    assert!(
        out[1].contains(
            " y    | x     | UTF8     | C.UTF-8 | C.UTF-8 |            | libc            \
             |                   | 120 bytes | pg_default | "
        ),
        "{}",
        out[1]
    );
    assert_eq!(
        out[2],
        r#"List of configuration parameters
 Parameter | Value 
-----------+-------
 jit       | on
(1 row)

"#
    );
}
