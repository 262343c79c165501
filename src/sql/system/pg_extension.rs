//! `pg_extension`: the WebAssembly modules the server was started with, each
//! shown as an extension. A module's reducers and views, and the tables it
//! declares, come with it rather than from SQL, as an extension's objects do:
//! `pg_depend` makes them its members (`e`), and its tables are its
//! configuration tables (`extconfig`), whose rows are the user's. So pg_dump
//! writes `CREATE EXTENSION IF NOT EXISTS bank` where the module's objects
//! would be, and the tables' rows, and a server started with the same module
//! restores it (see `exec::ddl`'s `create_extension`).

use crate::module::LoadedModule;
use crate::types::{DataType, Value};

use super::catalog::{self as c, Kind, NAME, OID, OID_ARRAY, TEXT_ARRAY};
use super::registry::{Schema, SystemRelation};
use super::SystemSnapshot;

pub const RELATION: SystemRelation = SystemRelation {
    name: "pg_extension",
    schema: Schema::PgCatalog,
    columns: &[
        ("oid", OID),
        ("extname", NAME),
        ("extowner", OID),
        ("extnamespace", OID),
        ("extrelocatable", DataType::Bool),
        ("extversion", DataType::Text),
        ("extconfig", OID_ARRAY),
        ("extcondition", TEXT_ARRAY),
    ],
    rows,
};

/// The OID of module `name` as an extension: a hash in the routines' range
/// of a name no routine has (a routine's name is one identifier).
pub fn module_oid(name: &str) -> u32 {
    c::oid_of(Kind::Routine, &format!("{name} module"))
}

/// The OIDs of the tables `module` declares that exist.
pub fn module_tables(snapshot: &SystemSnapshot<'_>, module: &LoadedModule) -> Vec<u32> {
    module
        .description()
        .tables
        .iter()
        .filter_map(|table| snapshot.db.get_table(&table.name))
        .map(|table| table.schema().id)
        .collect()
}

fn rows(snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
    let Some(host) = snapshot.modules else {
        return Vec::new();
    };
    host.modules()
        .map(|module| {
            let tables = module_tables(snapshot, module);
            vec![
                c::oid(module_oid(module.name())),
                c::name(module.name()),
                c::oid(c::OWNER_OID),
                c::oid(c::PUBLIC_OID),
                c::boolean(false),
                // Modules have no versions; this names what it is.
                Value::Text("wasm".to_owned()),
                Value::Array(tables.iter().map(|&oid| c::oid(oid)).collect()),
                Value::Array(tables.iter().map(|_| Value::Text(String::new())).collect()),
            ]
        })
        .collect()
}
