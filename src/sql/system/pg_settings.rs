//! `pg_settings`: every setting Turnstile knows, with its built-in default. The
//! session's own values (after `SET`) are what `SHOW` and `current_setting`
//! answer; this relation shows the defaults, as a fresh connection has them.

use crate::sql::builtin_defaults;
use crate::types::{DataType, Value};

use super::catalog::{self as c, TEXT_ARRAY};
use super::registry::{Schema, SystemRelation};
use super::SystemSnapshot;

pub const RELATION: SystemRelation = SystemRelation {
    name: "pg_settings",
    schema: Schema::PgCatalog,
    columns: &[
        ("name", DataType::Text),
        ("setting", DataType::Text),
        ("unit", DataType::Text),
        ("category", DataType::Text),
        ("short_desc", DataType::Text),
        ("extra_desc", DataType::Text),
        ("context", DataType::Text),
        ("vartype", DataType::Text),
        ("source", DataType::Text),
        ("min_val", DataType::Text),
        ("max_val", DataType::Text),
        ("enumvals", TEXT_ARRAY),
        ("boot_val", DataType::Text),
        ("reset_val", DataType::Text),
        ("sourcefile", DataType::Text),
        ("sourceline", DataType::Int4),
        ("pending_restart", DataType::Bool),
    ],
    rows,
};

fn rows(_: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    builtin_defaults()
        .into_iter()
        .map(|(name, default, description)| {
            vec![
                c::name(name),
                c::name(default),
                Value::Null,
                c::name("Turnstile"),
                c::name(description),
                Value::Null,
                c::name("user"),
                c::name("string"),
                c::name("default"),
                Value::Null,
                Value::Null,
                Value::Null,
                c::name(default),
                c::name(default),
                Value::Null,
                Value::Null,
                c::boolean(false),
            ]
        })
        .collect()
}
