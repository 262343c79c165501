//! `pg_locks`: the advisory locks every session holds or waits for (see
//! `sql::advisory`), one row per lock, session and mode, as PostgreSQL lists
//! them. Turnstile takes no other lock a session could see or wait for by
//! name: no relation, row or transaction-id locks (a transaction block holds
//! none, see `sql::block`; the database lock is the turnstile's, shown by
//! `turnstile_lock`), so those rows PostgreSQL would show are not here.

use crate::types::{DataType, Value};

use super::catalog::{self as c, OID};
use super::registry::{Schema, SystemRelation};
use super::SystemSnapshot;

pub const RELATION: SystemRelation = SystemRelation {
    name: "pg_locks",
    schema: Schema::PgCatalog,
    columns: &[
        ("locktype", DataType::Text),
        ("database", OID),
        ("relation", OID),
        ("page", DataType::Int4),
        ("tuple", DataType::Int2),
        ("virtualxid", DataType::Text),
        // PostgreSQL's is an xid; Turnstile keeps no transaction ids.
        ("transactionid", DataType::Text),
        ("classid", OID),
        ("objid", OID),
        ("objsubid", DataType::Int2),
        ("virtualtransaction", DataType::Text),
        ("pid", DataType::Int4),
        ("mode", DataType::Text),
        ("granted", DataType::Bool),
        ("fastpath", DataType::Bool),
        ("waitstart", DataType::Timestamptz),
    ],
    rows,
};

fn rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    let Some(advisory) = snapshot.advisory else {
        return Vec::new();
    };
    advisory
        .rows()
        .into_iter()
        .map(|row| {
            let (classid, objid, objsubid) = row.key.locktag();
            vec![
                Value::Text("advisory".to_owned()),
                c::oid(c::DATABASE_OID),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                c::oid(classid),
                c::oid(objid),
                Value::Int2(objsubid),
                // PostgreSQL's names the holder's virtual transaction, which
                // Turnstile does not number.
                Value::Null,
                c::int4(i64::from(row.pid)),
                Value::Text(row.mode.name().to_owned()),
                Value::Bool(row.granted),
                Value::Bool(false),
                row.wait_start_us.map_or(Value::Null, Value::Timestamptz),
            ]
        })
        .collect()
}
