//! `pg_database`, `pg_roles`, `pg_user` and `pg_auth_members`: the one database the
//! session connected to and the one role, the session's user, as the superuser that
//! owns everything (any user name is accepted; there are no privileges yet).

use crate::types::{DataType, Value};

use super::catalog::{self as c, CHAR, NAME, OID, TEXT_ARRAY};
use super::registry::{Schema, SystemRelation};
use super::SystemSnapshot;

/// PostgreSQL's encoding number for UTF8.
pub const UTF8_ENCODING: i64 = 6;

pub const DATABASE: SystemRelation = SystemRelation {
    name: "pg_database",
    schema: Schema::PgCatalog,
    columns: &[
        ("oid", OID),
        ("datname", NAME),
        ("datdba", OID),
        ("encoding", DataType::Int4),
        ("datlocprovider", CHAR),
        ("datistemplate", DataType::Bool),
        ("datallowconn", DataType::Bool),
        ("datconnlimit", DataType::Int4),
        // `xid` in PostgreSQL, as `pg_class.relfrozenxid`: 0.
        ("datfrozenxid", OID),
        ("datminmxid", OID),
        ("dattablespace", OID),
        ("datcollate", DataType::Text),
        ("datctype", DataType::Text),
        ("daticulocale", DataType::Text),
        ("datcollversion", DataType::Text),
        ("datacl", TEXT_ARRAY),
    ],
    rows: database_rows,
};

pub const ROLES: SystemRelation = SystemRelation {
    name: "pg_roles",
    schema: Schema::PgCatalog,
    columns: &[
        ("rolname", NAME),
        ("rolsuper", DataType::Bool),
        ("rolinherit", DataType::Bool),
        ("rolcreaterole", DataType::Bool),
        ("rolcreatedb", DataType::Bool),
        ("rolcanlogin", DataType::Bool),
        ("rolreplication", DataType::Bool),
        ("rolconnlimit", DataType::Int4),
        ("rolpassword", DataType::Text),
        ("rolvaliduntil", DataType::Timestamptz),
        ("rolbypassrls", DataType::Bool),
        ("rolconfig", TEXT_ARRAY),
        ("oid", OID),
    ],
    rows: role_rows,
};

/// `pg_authid`, the table under `pg_roles` (pg_dumpall reads it): the same
/// roles; no passwords (connections are trusted on loopback).
pub const AUTHID: SystemRelation = SystemRelation {
    name: "pg_authid",
    schema: Schema::PgCatalog,
    columns: &[
        ("oid", OID),
        ("rolname", NAME),
        ("rolsuper", DataType::Bool),
        ("rolinherit", DataType::Bool),
        ("rolcreaterole", DataType::Bool),
        ("rolcreatedb", DataType::Bool),
        ("rolcanlogin", DataType::Bool),
        ("rolreplication", DataType::Bool),
        ("rolbypassrls", DataType::Bool),
        ("rolconnlimit", DataType::Int4),
        ("rolpassword", DataType::Text),
        ("rolvaliduntil", DataType::Timestamptz),
    ],
    rows: authid_rows,
};

pub const USER: SystemRelation = SystemRelation {
    name: "pg_user",
    schema: Schema::PgCatalog,
    columns: &[
        ("usename", NAME),
        ("usesysid", OID),
        ("usecreatedb", DataType::Bool),
        ("usesuper", DataType::Bool),
        ("userepl", DataType::Bool),
        ("usebypassrls", DataType::Bool),
        ("passwd", DataType::Text),
        ("valuntil", DataType::Timestamptz),
        ("useconfig", TEXT_ARRAY),
    ],
    rows: user_rows,
};

pub const AUTH_MEMBERS: SystemRelation = SystemRelation {
    name: "pg_auth_members",
    schema: Schema::PgCatalog,
    columns: &[
        ("roleid", OID),
        ("member", OID),
        ("grantor", OID),
        ("admin_option", DataType::Bool),
    ],
    rows: |_| Vec::new(),
};

fn database_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    vec![vec![
        c::oid(c::DATABASE_OID),
        c::name(snapshot.database),
        c::oid(c::OWNER_OID),
        c::int4(UTF8_ENCODING),
        c::name("c"),
        c::boolean(false),
        c::boolean(true),
        c::int4(-1),
        c::oid(0),
        c::oid(0),
        c::oid(1663),
        c::name("C.UTF-8"),
        c::name("C.UTF-8"),
        Value::Null,
        Value::Null,
        Value::Null,
    ]]
}

/// The session's user, and PostgreSQL 15's `pg_database_owner` (owner of `public`).
fn roles<'a>(snapshot: &SystemSnapshot<'a>) -> [(u32, &'a str, bool); 2] {
    [
        (c::OWNER_OID, snapshot.user, true),
        (c::DATABASE_OWNER_OID, "pg_database_owner", false),
    ]
}

/// The name of the role with OID `oid` (`pg_get_userbyid`).
pub fn role_name(user: &str, oid: u32) -> String {
    match oid {
        c::OWNER_OID => user.to_owned(),
        c::DATABASE_OWNER_OID => "pg_database_owner".to_owned(),
        other => format!("unknown (OID={other})"),
    }
}

/// Role `oid` as an `aclitem` prints it: its name, double-quoted unless it is
/// all letters, digits and underscores.
pub fn acl_role(user: &str, oid: u32) -> String {
    let name = role_name(user, oid);
    if name
        .chars()
        .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
    {
        name
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

fn role_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    roles(snapshot)
        .into_iter()
        .map(|(oid, name, login)| {
            vec![
                c::name(name),
                c::boolean(login),
                c::boolean(true),
                c::boolean(login),
                c::boolean(login),
                c::boolean(login),
                c::boolean(login),
                c::int4(-1),
                c::name("********"),
                Value::Null,
                c::boolean(login),
                Value::Null,
                c::oid(oid),
            ]
        })
        .collect()
}

fn authid_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    roles(snapshot)
        .into_iter()
        .map(|(oid, name, login)| {
            let mut row = vec![c::oid(oid), c::name(name), c::boolean(login)];
            row.extend([true, login, login, login, login, login].map(c::boolean));
            row.extend([c::int4(-1), Value::Null, Value::Null]);
            row
        })
        .collect()
}

fn user_rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    vec![vec![
        c::name(snapshot.user),
        c::oid(c::OWNER_OID),
        c::boolean(true),
        c::boolean(true),
        c::boolean(true),
        c::boolean(true),
        c::name("********"),
        Value::Null,
        Value::Null,
    ]]
}
