//! psql's meta-commands (`\d`, `\dt`, `\d table`, `\di`, `\dv`, `\df`, `\dn`, `\du`,
//! `\l`) against the real binary, compared with the text psql 15 prints. The
//! expected outputs were checked against PostgreSQL 15 with the same schema, owned
//! by the connecting user `x` (the bank module's reducers and view are PostgreSQL
//! procedures and a `RETURNS TABLE` function there). Each meta-command runs psql's
//! own catalog queries, so these tests fail if any of them errors.

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
