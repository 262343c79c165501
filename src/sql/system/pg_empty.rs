//! The catalogs of what Turnstile has little or none of: access methods,
//! tablespaces, collations, languages and the schemas' comments (fixed rows),
//! and inheritance, partitions, triggers, row security policies,
//! extended statistics, publications, range types, operators and casts (built
//! in, not listed), text search, foreign data and the rest of what pg_dump
//! reads (no rows); and replication, which monitoring tools ask about
//! (no rows: Turnstile has no replicas, slots or subscriptions). Columns of
//! types Turnstile does not have (`inet`, `xid`, `pg_lsn`) are text, as in
//! `pg_stat_activity`. They exist so that psql's, drivers', pg_dump's and
//! monitoring tools' queries, which join them, run and find nothing — the
//! truth.

use crate::types::{DataType, Value, INT2_VECTOR, OID_VECTOR};

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

/// The collations there are, all in `pg_catalog`: OID, name and provider.
const COLLATIONS: [(u32, &str, &str); 3] = [
    (c::DEFAULT_COLLATION_OID, "default", "d"),
    (c::C_COLLATION_OID, "C", "c"),
    (951, "POSIX", "c"),
];

/// `pg_collation_is_visible(oid)`: every collation is in `pg_catalog`, so
/// visible; None for an OID that names none.
pub fn collation_is_visible(oid: u32) -> Option<bool> {
    COLLATIONS.iter().any(|&(o, _, _)| o == oid).then_some(true)
}

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
        COLLATIONS
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

/// Comments: PostgreSQL's on its schemas, which pg_dump compares with
/// (`COMMENT ON` is not supported).
pub const DESCRIPTION: SystemRelation = SystemRelation {
    name: "pg_description",
    schema: Schema::PgCatalog,
    columns: &[
        ("objoid", OID),
        ("classoid", OID),
        ("objsubid", DataType::Int4),
        ("description", DataType::Text),
    ],
    rows: |_: &SystemSnapshot<'_>| {
        let pg_namespace = super::find(None, "pg_namespace").map_or(0, |id| id.oid());
        super::pg_namespace::SCHEMA_COMMENTS
            .iter()
            .map(|(schema, comment)| {
                vec![
                    c::oid(*schema),
                    c::oid(pg_namespace),
                    c::int4(0),
                    Value::Text(comment.to_string()),
                ]
            })
            .collect()
    },
};

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
        ("partattrs", INT2_VECTOR),
        ("partclass", OID_VECTOR),
        ("partcollation", OID_VECTOR),
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
        ("tgattr", INT2_VECTOR),
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

pub const STATISTIC_EXT: SystemRelation = empty(
    "pg_statistic_ext",
    &[
        ("oid", OID),
        ("stxrelid", OID),
        ("stxname", NAME),
        ("stxnamespace", OID),
        ("stxowner", OID),
        ("stxstattarget", DataType::Int4),
        ("stxkeys", INT2_VECTOR),
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

/// Materialized views: Turnstile has none (TypeORM's synchronize reads it).
pub const MATVIEWS: SystemRelation = empty(
    "pg_matviews",
    &[
        ("schemaname", NAME),
        ("matviewname", NAME),
        ("matviewowner", NAME),
        ("tablespace", NAME),
        ("hasindexes", DataType::Bool),
        ("ispopulated", DataType::Bool),
        ("definition", DataType::Text),
    ],
);

/// Enum types: Turnstile has none (Sequelize's describeTable joins it).
pub const ENUM: SystemRelation = empty(
    "pg_enum",
    &[
        ("oid", OID),
        ("enumtypid", OID),
        ("enumsortorder", DataType::Float4),
        ("enumlabel", NAME),
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

/// The languages routines are written in: PostgreSQL's three built-in ones,
/// none of them a procedural language (`lanispl`). Module routines are
/// WebAssembly, which `pg_proc` gives no language of these.
pub const LANGUAGE: SystemRelation = SystemRelation {
    name: "pg_language",
    schema: Schema::PgCatalog,
    columns: &[
        ("oid", OID),
        ("lanname", NAME),
        ("lanowner", OID),
        ("lanispl", DataType::Bool),
        ("lanpltrusted", DataType::Bool),
        ("lanplcallfoid", OID),
        ("laninline", OID),
        ("lanvalidator", OID),
        ("lanacl", TEXT_ARRAY),
    ],
    rows: |_: &SystemSnapshot<'_>| {
        [(12, "internal", false), (13, "c", false), (14, "sql", true)]
            .into_iter()
            .map(|(oid, name, trusted)| {
                vec![
                    c::oid(oid),
                    c::name(name),
                    c::oid(c::OWNER_OID),
                    Value::Bool(false),
                    Value::Bool(trusted),
                    c::oid(0),
                    c::oid(0),
                    c::oid(0),
                    Value::Null,
                ]
            })
            .collect()
    },
};

/// Security labels, and those of shared objects: Turnstile has no label
/// providers.
pub const SECLABEL: SystemRelation = empty(
    "pg_seclabel",
    &[
        ("objoid", OID),
        ("classoid", OID),
        ("objsubid", DataType::Int4),
        ("provider", DataType::Text),
        ("label", DataType::Text),
    ],
);

pub const SHSECLABEL: SystemRelation = empty(
    "pg_shseclabel",
    &[
        ("objoid", OID),
        ("classoid", OID),
        ("provider", DataType::Text),
        ("label", DataType::Text),
    ],
);

/// Privileges on settings (`GRANT SET ON PARAMETER`): none.
pub const PARAMETER_ACL: SystemRelation = empty(
    "pg_parameter_acl",
    &[
        ("oid", OID),
        ("parname", DataType::Text),
        ("paracl", TEXT_ARRAY),
    ],
);

/// Settings of a role or database (`ALTER DATABASE … SET`): none.
pub const DB_ROLE_SETTING: SystemRelation = empty(
    "pg_db_role_setting",
    &[
        ("setdatabase", OID),
        ("setrole", OID),
        ("setconfig", TEXT_ARRAY),
    ],
);

/// Security labels (a view in PostgreSQL): Turnstile has no label providers.
pub const SECLABELS: SystemRelation = empty(
    "pg_seclabels",
    &[
        ("objoid", OID),
        ("classoid", OID),
        ("objsubid", DataType::Int4),
        ("objtype", DataType::Text),
        ("objnamespace", OID),
        ("objname", DataType::Text),
        ("provider", DataType::Text),
        ("label", DataType::Text),
    ],
);

/// Operators, operator families, their members, and casts: Turnstile's are
/// built in and, as built-in functions in `pg_proc`, not listed; none can be
/// created. (The btree operator classes are listed: see `pg_opclass`.)
pub const OPERATOR: SystemRelation = empty(
    "pg_operator",
    &[
        ("oid", OID),
        ("oprname", NAME),
        ("oprnamespace", OID),
        ("oprowner", OID),
        ("oprkind", CHAR),
        ("oprcanmerge", DataType::Bool),
        ("oprcanhash", DataType::Bool),
        ("oprleft", OID),
        ("oprright", OID),
        ("oprresult", OID),
        ("oprcom", OID),
        ("oprnegate", OID),
        ("oprcode", REGPROC),
        ("oprrest", REGPROC),
        ("oprjoin", REGPROC),
    ],
);

pub const OPFAMILY: SystemRelation = empty(
    "pg_opfamily",
    &[
        ("oid", OID),
        ("opfmethod", OID),
        ("opfname", NAME),
        ("opfnamespace", OID),
        ("opfowner", OID),
    ],
);

pub const AMOP: SystemRelation = empty(
    "pg_amop",
    &[
        ("oid", OID),
        ("amopfamily", OID),
        ("amoplefttype", OID),
        ("amoprighttype", OID),
        ("amopstrategy", DataType::Int2),
        ("amoppurpose", CHAR),
        ("amopopr", OID),
        ("amopmethod", OID),
        ("amopsortfamily", OID),
    ],
);

pub const AMPROC: SystemRelation = empty(
    "pg_amproc",
    &[
        ("oid", OID),
        ("amprocfamily", OID),
        ("amproclefttype", OID),
        ("amprocrighttype", OID),
        ("amprocnum", DataType::Int2),
        ("amproc", REGPROC),
    ],
);

pub const CAST: SystemRelation = empty(
    "pg_cast",
    &[
        ("oid", OID),
        ("castsource", OID),
        ("casttarget", OID),
        ("castfunc", OID),
        ("castcontext", CHAR),
        ("castmethod", CHAR),
    ],
);

/// Encoding conversions, transforms, text search objects, foreign data,
/// default privileges, event triggers, initial privileges, subscriptions and
/// large objects: Turnstile has none (pg_dump reads them all).
pub const CONVERSION: SystemRelation = empty(
    "pg_conversion",
    &[
        ("oid", OID),
        ("conname", NAME),
        ("connamespace", OID),
        ("conowner", OID),
        ("conforencoding", DataType::Int4),
        ("contoencoding", DataType::Int4),
        ("conproc", REGPROC),
        ("condefault", DataType::Bool),
    ],
);

pub const TRANSFORM: SystemRelation = empty(
    "pg_transform",
    &[
        ("oid", OID),
        ("trftype", OID),
        ("trflang", OID),
        ("trffromsql", REGPROC),
        ("trftosql", REGPROC),
    ],
);

pub const TS_PARSER: SystemRelation = empty(
    "pg_ts_parser",
    &[
        ("oid", OID),
        ("prsname", NAME),
        ("prsnamespace", OID),
        ("prsstart", REGPROC),
        ("prstoken", REGPROC),
        ("prsend", REGPROC),
        ("prsheadline", REGPROC),
        ("prslextype", REGPROC),
    ],
);

pub const TS_TEMPLATE: SystemRelation = empty(
    "pg_ts_template",
    &[
        ("oid", OID),
        ("tmplname", NAME),
        ("tmplnamespace", OID),
        ("tmplinit", REGPROC),
        ("tmpllexize", REGPROC),
    ],
);

pub const TS_DICT: SystemRelation = empty(
    "pg_ts_dict",
    &[
        ("oid", OID),
        ("dictname", NAME),
        ("dictnamespace", OID),
        ("dictowner", OID),
        ("dicttemplate", OID),
        ("dictinitoption", DataType::Text),
    ],
);

pub const TS_CONFIG: SystemRelation = empty(
    "pg_ts_config",
    &[
        ("oid", OID),
        ("cfgname", NAME),
        ("cfgnamespace", OID),
        ("cfgowner", OID),
        ("cfgparser", OID),
    ],
);

pub const FOREIGN_DATA_WRAPPER: SystemRelation = empty(
    "pg_foreign_data_wrapper",
    &[
        ("oid", OID),
        ("fdwname", NAME),
        ("fdwowner", OID),
        ("fdwhandler", OID),
        ("fdwvalidator", OID),
        ("fdwacl", TEXT_ARRAY),
        ("fdwoptions", TEXT_ARRAY),
    ],
);

pub const FOREIGN_SERVER: SystemRelation = empty(
    "pg_foreign_server",
    &[
        ("oid", OID),
        ("srvname", NAME),
        ("srvowner", OID),
        ("srvfdw", OID),
        ("srvtype", DataType::Text),
        ("srvversion", DataType::Text),
        ("srvacl", TEXT_ARRAY),
        ("srvoptions", TEXT_ARRAY),
    ],
);

pub const FOREIGN_TABLE: SystemRelation = empty(
    "pg_foreign_table",
    &[
        ("ftrelid", OID),
        ("ftserver", OID),
        ("ftoptions", TEXT_ARRAY),
    ],
);

pub const DEFAULT_ACL: SystemRelation = empty(
    "pg_default_acl",
    &[
        ("oid", OID),
        ("defaclrole", OID),
        ("defaclnamespace", OID),
        ("defaclobjtype", CHAR),
        ("defaclacl", TEXT_ARRAY),
    ],
);

pub const EVENT_TRIGGER: SystemRelation = empty(
    "pg_event_trigger",
    &[
        ("oid", OID),
        ("evtname", NAME),
        ("evtevent", NAME),
        ("evtowner", OID),
        ("evtfoid", OID),
        ("evtenabled", CHAR),
        ("evttags", TEXT_ARRAY),
    ],
);

pub const SUBSCRIPTION: SystemRelation = empty(
    "pg_subscription",
    &[
        ("oid", OID),
        ("subdbid", OID),
        ("subname", NAME),
        ("subowner", OID),
        ("subenabled", DataType::Bool),
        ("subbinary", DataType::Bool),
        ("substream", DataType::Bool),
        ("subtwophasestate", CHAR),
        ("subdisableonerr", DataType::Bool),
        ("subconninfo", DataType::Text),
        ("subslotname", NAME),
        ("subsynccommit", DataType::Text),
        ("subpublications", TEXT_ARRAY),
    ],
);

pub const LARGEOBJECT_METADATA: SystemRelation = empty(
    "pg_largeobject_metadata",
    &[("oid", OID), ("lomowner", OID), ("lomacl", TEXT_ARRAY)],
);

pub const REPLICATION_SLOTS: SystemRelation = empty(
    "pg_replication_slots",
    &[
        ("slot_name", NAME),
        ("plugin", NAME),
        ("slot_type", DataType::Text),
        ("datoid", OID),
        ("database", NAME),
        ("temporary", DataType::Bool),
        ("active", DataType::Bool),
        ("active_pid", DataType::Int4),
        ("xmin", DataType::Text),
        ("catalog_xmin", DataType::Text),
        ("restart_lsn", DataType::Text),
        ("confirmed_flush_lsn", DataType::Text),
        ("wal_status", DataType::Text),
        ("safe_wal_size", DataType::Int8),
        ("two_phase", DataType::Bool),
    ],
);

pub const STAT_REPLICATION: SystemRelation = empty(
    "pg_stat_replication",
    &[
        ("pid", DataType::Int4),
        ("usesysid", OID),
        ("usename", NAME),
        ("application_name", DataType::Text),
        ("client_addr", DataType::Text),
        ("client_hostname", DataType::Text),
        ("client_port", DataType::Int4),
        ("backend_start", DataType::Timestamptz),
        ("backend_xmin", DataType::Text),
        ("state", DataType::Text),
        ("sent_lsn", DataType::Text),
        ("write_lsn", DataType::Text),
        ("flush_lsn", DataType::Text),
        ("replay_lsn", DataType::Text),
        ("write_lag", DataType::Interval),
        ("flush_lag", DataType::Interval),
        ("replay_lag", DataType::Interval),
        ("sync_priority", DataType::Int4),
        ("sync_state", DataType::Text),
        ("reply_time", DataType::Timestamptz),
    ],
);

pub const STAT_SUBSCRIPTION: SystemRelation = empty(
    "pg_stat_subscription",
    &[
        ("subid", OID),
        ("subname", NAME),
        ("pid", DataType::Int4),
        ("relid", OID),
        ("received_lsn", DataType::Text),
        ("last_msg_send_time", DataType::Timestamptz),
        ("last_msg_receipt_time", DataType::Timestamptz),
        ("latest_end_lsn", DataType::Text),
        ("latest_end_time", DataType::Timestamptz),
    ],
);
