//! The catalogs of what Turnstile has little or none of: access methods,
//! tablespaces and collations (fixed rows), and comments, inheritance, partitions,
//! triggers, row security policies, rules, extensions, extended statistics,
//! publications and range types (no rows). They exist so that psql's and drivers' queries, which
//! join them, run and find nothing — the truth.

use crate::types::{DataType, Value};

use super::catalog::{
    self as c, CHAR, CHAR_ARRAY, INT2_ARRAY, NAME, OID, OID_ARRAY, REGPROC, TEXT_ARRAY,
};
use super::registry::{Schema, SystemRelation};
use super::SystemSnapshot;

/// A relation in pg_catalog with no rows.
const fn empty(name: &'static str, columns: &'static [(&'static str, DataType)]) -> SystemRelation {
    SystemRelation {
        name,
        schema: Schema::PgCatalog,
        columns,
        rows: |_| Vec::new(),
    }
}

pub const AM: SystemRelation = SystemRelation {
    name: "pg_am",
    schema: Schema::PgCatalog,
    columns: &[
        ("oid", OID),
        ("amname", NAME),
        ("amhandler", REGPROC),
        ("amtype", CHAR),
    ],
    rows: |_: &SystemSnapshot<'_>| {
        [
            (c::HEAP_AM_OID, "heap", "t"),
            (c::BTREE_AM_OID, "btree", "i"),
        ]
        .into_iter()
        .map(|(oid, name, kind)| vec![c::oid(oid), c::name(name), c::oid(0), c::name(kind)])
        .collect()
    },
};

pub const TABLESPACE: SystemRelation = SystemRelation {
    name: "pg_tablespace",
    schema: Schema::PgCatalog,
    columns: &[
        ("oid", OID),
        ("spcname", NAME),
        ("spcowner", OID),
        ("spcacl", TEXT_ARRAY),
        ("spcoptions", TEXT_ARRAY),
    ],
    rows: |_: &SystemSnapshot<'_>| {
        [(1663, "pg_default"), (1664, "pg_global")]
            .into_iter()
            .map(|(oid, name)| {
                vec![
                    c::oid(oid),
                    c::name(name),
                    c::oid(c::OWNER_OID),
                    Value::Null,
                    Value::Null,
                ]
            })
            .collect()
    },
};

pub const COLLATION: SystemRelation = SystemRelation {
    name: "pg_collation",
    schema: Schema::PgCatalog,
    columns: &[
        ("oid", OID),
        ("collname", NAME),
        ("collnamespace", OID),
        ("collowner", OID),
        ("collprovider", CHAR),
        ("collisdeterministic", DataType::Bool),
        ("collencoding", DataType::Int4),
        ("collcollate", DataType::Text),
        ("collctype", DataType::Text),
    ],
    rows: |_: &SystemSnapshot<'_>| {
        [
            (c::DEFAULT_COLLATION_OID, "default", "d"),
            (c::C_COLLATION_OID, "C", "c"),
            (951, "POSIX", "c"),
        ]
        .into_iter()
        .map(|(oid, name, provider)| {
            let locale = if provider == "d" {
                Value::Null
            } else {
                c::name(name)
            };
            vec![
                c::oid(oid),
                c::name(name),
                c::oid(c::PG_CATALOG_OID),
                c::oid(c::OWNER_OID),
                c::name(provider),
                c::boolean(true),
                c::int4(-1),
                locale.clone(),
                locale,
            ]
        })
        .collect()
    },
};

pub const DESCRIPTION: SystemRelation = empty(
    "pg_description",
    &[
        ("objoid", OID),
        ("classoid", OID),
        ("objsubid", DataType::Int4),
        ("description", DataType::Text),
    ],
);

pub const INHERITS: SystemRelation = empty(
    "pg_inherits",
    &[
        ("inhrelid", OID),
        ("inhparent", OID),
        ("inhseqno", DataType::Int4),
        ("inhdetachpending", DataType::Bool),
    ],
);

pub const PARTITIONED_TABLE: SystemRelation = empty(
    "pg_partitioned_table",
    &[
        ("partrelid", OID),
        ("partstrat", CHAR),
        ("partnatts", DataType::Int2),
        ("partdefid", OID),
        ("partattrs", INT2_ARRAY),
        ("partclass", OID_ARRAY),
        ("partcollation", OID_ARRAY),
        ("partexprs", DataType::Text),
    ],
);

pub const TRIGGER: SystemRelation = empty(
    "pg_trigger",
    &[
        ("oid", OID),
        ("tgrelid", OID),
        ("tgparentid", OID),
        ("tgname", NAME),
        ("tgfoid", OID),
        ("tgtype", DataType::Int2),
        ("tgenabled", CHAR),
        ("tgisinternal", DataType::Bool),
        ("tgconstrrelid", OID),
        ("tgconstrindid", OID),
        ("tgconstraint", OID),
        ("tgdeferrable", DataType::Bool),
        ("tginitdeferred", DataType::Bool),
        ("tgnargs", DataType::Int2),
        ("tgattr", INT2_ARRAY),
        ("tgqual", DataType::Text),
    ],
);

pub const POLICY: SystemRelation = empty(
    "pg_policy",
    &[
        ("oid", OID),
        ("polname", NAME),
        ("polrelid", OID),
        ("polcmd", CHAR),
        ("polpermissive", DataType::Bool),
        ("polroles", OID_ARRAY),
        ("polqual", DataType::Text),
        ("polwithcheck", DataType::Text),
    ],
);

pub const REWRITE: SystemRelation = empty(
    "pg_rewrite",
    &[
        ("oid", OID),
        ("rulename", NAME),
        ("ev_class", OID),
        ("ev_type", CHAR),
        ("ev_enabled", CHAR),
        ("is_instead", DataType::Bool),
        ("ev_qual", DataType::Text),
        ("ev_action", DataType::Text),
    ],
);

pub const EXTENSION: SystemRelation = empty(
    "pg_extension",
    &[
        ("oid", OID),
        ("extname", NAME),
        ("extowner", OID),
        ("extnamespace", OID),
        ("extrelocatable", DataType::Bool),
        ("extversion", DataType::Text),
        ("extconfig", OID_ARRAY),
        ("extcondition", TEXT_ARRAY),
    ],
);

pub const STATISTIC_EXT: SystemRelation = empty(
    "pg_statistic_ext",
    &[
        ("oid", OID),
        ("stxrelid", OID),
        ("stxname", NAME),
        ("stxnamespace", OID),
        ("stxowner", OID),
        ("stxstattarget", DataType::Int4),
        ("stxkeys", INT2_ARRAY),
        ("stxkind", CHAR_ARRAY),
    ],
);

pub const PUBLICATION: SystemRelation = empty(
    "pg_publication",
    &[
        ("oid", OID),
        ("pubname", NAME),
        ("pubowner", OID),
        ("puballtables", DataType::Bool),
        ("pubinsert", DataType::Bool),
        ("pubupdate", DataType::Bool),
        ("pubdelete", DataType::Bool),
        ("pubtruncate", DataType::Bool),
        ("pubviaroot", DataType::Bool),
    ],
);

pub const PUBLICATION_NAMESPACE: SystemRelation = empty(
    "pg_publication_namespace",
    &[("oid", OID), ("pnpubid", OID), ("pnnspid", OID)],
);

pub const PUBLICATION_REL: SystemRelation = empty(
    "pg_publication_rel",
    &[
        ("oid", OID),
        ("prpubid", OID),
        ("prrelid", OID),
        ("prqual", DataType::Text),
        ("prattrs", INT2_ARRAY),
    ],
);

/// Range types: Turnstile has none (asyncpg's type introspection joins it).
pub const RANGE: SystemRelation = empty(
    "pg_range",
    &[
        ("rngtypid", OID),
        ("rngsubtype", OID),
        ("rngmultitypid", OID),
        ("rngcollation", OID),
        ("rngsubopc", OID),
        ("rngcanonical", REGPROC),
        ("rngsubdiff", REGPROC),
    ],
);
