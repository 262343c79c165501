//! The registry of system relations: their names, columns and row functions.

use crate::types::{DataType, Value};

use super::{
    information_schema, pg_attribute, pg_class, pg_depend, pg_empty, pg_extension, pg_index,
    pg_locks, pg_namespace, pg_opclass, pg_proc, pg_roles, pg_sequence, pg_settings, pg_stat,
    pg_stat_activity, pg_type, pg_views, turnstile_lock, turnstile_routines, turnstile_wal,
    SystemSnapshot,
};

/// The schema a system relation is in, which decides how it is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// Turnstile's own (`turnstile_wal`): unqualified or `public.`; the name is
    /// reserved.
    Turnstile,
    /// `pg_catalog`: unqualified (pg_catalog is first on the search path, as in
    /// PostgreSQL) or `pg_catalog.`; the name is reserved.
    PgCatalog,
    /// `information_schema`: only qualified, so its names stay free for user tables.
    Standard,
}

/// One system relation.
pub struct SystemRelation {
    /// The name it is referred to by (lower case).
    pub name: &'static str,
    /// Where it lives, see [`Schema`].
    pub schema: Schema,
    /// Its columns, in order.
    pub columns: &'static [(&'static str, DataType)],
    /// Computes its rows, one value per column each.
    pub rows: fn(&SystemSnapshot<'_>) -> Vec<Vec<Value>>,
}

/// Every system relation. Its position is its [`SystemRelationId`] (and sets
/// its OID unless PostgreSQL fixes one): new ones go at the end.
const RELATIONS: &[SystemRelation] = &[
    turnstile_wal::RELATION,
    turnstile_routines::RELATION,
    pg_class::RELATION,
    pg_namespace::RELATION,
    pg_attribute::RELATION,
    pg_attribute::ATTRDEF,
    pg_type::RELATION,
    pg_index::RELATION,
    pg_index::CONSTRAINT,
    pg_proc::RELATION,
    pg_roles::DATABASE,
    pg_roles::ROLES,
    pg_roles::USER,
    pg_roles::AUTH_MEMBERS,
    pg_settings::RELATION,
    pg_empty::AM,
    pg_empty::TABLESPACE,
    pg_empty::COLLATION,
    pg_empty::DESCRIPTION,
    pg_empty::INHERITS,
    pg_empty::PARTITIONED_TABLE,
    pg_empty::TRIGGER,
    pg_empty::POLICY,
    pg_depend::REWRITE,
    pg_extension::RELATION,
    pg_empty::STATISTIC_EXT,
    pg_empty::PUBLICATION,
    pg_empty::PUBLICATION_NAMESPACE,
    pg_empty::PUBLICATION_REL,
    information_schema::TABLES,
    information_schema::COLUMNS,
    information_schema::SCHEMATA,
    information_schema::ROUTINES,
    turnstile_lock::STATS,
    turnstile_lock::PHASES,
    // Appended: the position of a relation that is not one of PostgreSQL's
    // catalogs gives its OID (see `SystemRelationId::oid`).
    pg_views::TABLES,
    pg_views::INDEXES,
    information_schema::TABLE_CONSTRAINTS,
    information_schema::KEY_COLUMN_USAGE,
    information_schema::CONSTRAINT_COLUMN_USAGE,
    information_schema::CHECK_CONSTRAINTS,
    information_schema::REFERENTIAL_CONSTRAINTS,
    pg_empty::RANGE,
    pg_empty::ENUM,
    pg_empty::MATVIEWS,
    pg_class::STATIO_ALL_TABLES,
    pg_stat_activity::RELATION,
    pg_locks::RELATION,
    pg_stat::USER_TABLES,
    pg_stat::DATABASE,
    pg_sequence::CATALOG,
    pg_sequence::VIEW,
    pg_sequence::STANDARD,
    pg_depend::DEPEND,
    pg_views::VIEWS,
    pg_empty::LANGUAGE,
    pg_empty::SECLABELS,
    pg_empty::SECLABEL,
    pg_empty::SHSECLABEL,
    pg_empty::DB_ROLE_SETTING,
    pg_empty::PARAMETER_ACL,
    pg_roles::AUTHID,
    pg_empty::OPERATOR,
    pg_opclass::RELATION,
    pg_empty::OPFAMILY,
    pg_empty::AMOP,
    pg_empty::AMPROC,
    pg_empty::CAST,
    pg_empty::CONVERSION,
    pg_empty::TRANSFORM,
    pg_empty::TS_PARSER,
    pg_empty::TS_TEMPLATE,
    pg_empty::TS_DICT,
    pg_empty::TS_CONFIG,
    pg_empty::FOREIGN_DATA_WRAPPER,
    pg_empty::FOREIGN_SERVER,
    pg_empty::FOREIGN_TABLE,
    pg_empty::DEFAULT_ACL,
    pg_empty::EVENT_TRIGGER,
    pg_namespace::INIT_PRIVS,
    pg_empty::SUBSCRIPTION,
    pg_empty::LARGEOBJECT_METADATA,
    pg_class::STATIO_USER_TABLES,
    pg_stat::ALL_TABLES,
    pg_empty::REPLICATION_SLOTS,
    pg_empty::STAT_REPLICATION,
    pg_empty::STAT_SUBSCRIPTION,
    pg_stat::BGWRITER,
];

/// A system relation, as a plan refers to it: a position in the registry, fixed
/// for the life of the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemRelationId(usize);

impl SystemRelationId {
    /// The relation this id names.
    pub fn relation(self) -> &'static SystemRelation {
        &RELATIONS[self.0]
    }

    /// Its `pg_class` OID: PostgreSQL's for its catalogs, which clients
    /// compile in (pg_dump knows a namespace as the row of `pg_namespace`,
    /// 2615, with its OID); for the rest fixed for the binary, below the OIDs
    /// of user objects.
    pub fn oid(self) -> u32 {
        let name = self.relation().name;
        CATALOG_OIDS
            .iter()
            .find(|(catalog, _)| *catalog == name && self.relation().schema == Schema::PgCatalog)
            .map_or(SYSTEM_OID_BASE + self.0 as u32, |(_, oid)| *oid)
    }

    /// Its rows, computed now from `snapshot`.
    pub fn rows(self, snapshot: &SystemSnapshot<'_>) -> Vec<Vec<Value>> {
        let relation = self.relation();
        let rows = (relation.rows)(snapshot);
        // A row function that disagrees with its own columns is a bug in it.
        assert!(
            rows.iter().all(|r| r.len() == relation.columns.len()),
            "system relation {} computed a row of the wrong width",
            relation.name
        );
        rows
    }
}

/// PostgreSQL's fixed OIDs of the catalogs Turnstile has (`catalog/pg_*.h`).
const CATALOG_OIDS: &[(&str, u32)] = &[
    ("pg_default_acl", 826),
    ("pg_tablespace", 1213),
    ("pg_type", 1247),
    ("pg_attribute", 1249),
    ("pg_proc", 1255),
    ("pg_class", 1259),
    ("pg_auth_members", 1261),
    ("pg_authid", 1260),
    ("pg_database", 1262),
    ("pg_parameter_acl", 6243),
    ("pg_db_role_setting", 2964),
    ("pg_shseclabel", 3592),
    ("pg_seclabel", 3596),
    ("pg_foreign_server", 1417),
    ("pg_sequence", 2224),
    ("pg_foreign_data_wrapper", 2328),
    ("pg_am", 2601),
    ("pg_amop", 2602),
    ("pg_amproc", 2603),
    ("pg_attrdef", 2604),
    ("pg_cast", 2605),
    ("pg_constraint", 2606),
    ("pg_conversion", 2607),
    ("pg_depend", 2608),
    ("pg_description", 2609),
    ("pg_index", 2610),
    ("pg_inherits", 2611),
    ("pg_language", 2612),
    ("pg_namespace", 2615),
    ("pg_opclass", 2616),
    ("pg_operator", 2617),
    ("pg_rewrite", 2618),
    ("pg_trigger", 2620),
    ("pg_opfamily", 2753),
    ("pg_largeobject_metadata", 2995),
    ("pg_extension", 3079),
    ("pg_foreign_table", 3118),
    ("pg_policy", 3256),
    ("pg_partitioned_table", 3350),
    ("pg_statistic_ext", 3381),
    ("pg_init_privs", 3394),
    ("pg_collation", 3456),
    ("pg_event_trigger", 3466),
    ("pg_range", 3541),
    ("pg_enum", 3501),
    ("pg_transform", 3576),
    ("pg_ts_dict", 3600),
    ("pg_ts_parser", 3601),
    ("pg_ts_config", 3602),
    ("pg_ts_template", 3764),
    ("pg_subscription", 6100),
    ("pg_publication", 6104),
    ("pg_publication_rel", 6106),
    ("pg_publication_namespace", 6237),
];

/// Where the `pg_class` OIDs of system relations start (PostgreSQL assigns those
/// of its initdb-time objects in 10000..16384 too).
const SYSTEM_OID_BASE: u32 = 12_000;

/// Every system relation, with its id.
pub fn all() -> impl Iterator<Item = SystemRelationId> {
    (0..RELATIONS.len()).map(SystemRelationId)
}

/// The system relation `schema.name` (already folded), if there is one; without a
/// schema, the ones on the search path.
pub fn find(schema: Option<&str>, name: &str) -> Option<SystemRelationId> {
    let in_schema = |r: &SystemRelation| match schema {
        None => r.schema != Schema::Standard,
        Some("public") => r.schema == Schema::Turnstile,
        Some("pg_catalog") => r.schema != Schema::Standard,
        Some("information_schema") => r.schema == Schema::Standard,
        Some(_) => false,
    };
    RELATIONS
        .iter()
        .position(|r| r.name == name && in_schema(r))
        .map(SystemRelationId)
}

/// True if `name` belongs to a system relation on the search path and so cannot
/// name a user table, view or index.
pub fn is_reserved(name: &str) -> bool {
    find(None, name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names are unique, lower case, and found; others are not.
    #[test]
    fn names_are_unique_and_found() {
        for (i, r) in RELATIONS.iter().enumerate() {
            let schema = match r.schema {
                Schema::Turnstile => "public",
                Schema::PgCatalog => "pg_catalog",
                Schema::Standard => "information_schema",
            };
            assert_eq!(find(Some(schema), r.name), Some(SystemRelationId(i)));
            assert_eq!(r.name, r.name.to_lowercase());
        }
        assert_eq!(find(None, "Turnstile_WAL"), None);
        assert!(is_reserved("pg_class"));
        assert!(!is_reserved("accounts"));
        // information_schema's names are free for user tables.
        assert!(!is_reserved("tables"));
    }
}
