//! Planner tests: the access path chosen for typical predicates.

use crate::db::{ColumnSchema, Database, IndexSchema, TableSchema};
use crate::sql::binder::Binder;
use crate::sql::plan::{optimize, Access, IndexRef, JoinKind, Plan};
use crate::types::DataType;

/// A database with `accounts(id bigint primary key, owner text, balance bigint)`
/// and a non-unique index on `owner`.
fn database() -> Database {
    let mut db = Database::new();
    let mut txn = db.begin_write();
    let column = |name: &str, data_type| ColumnSchema {
        name: name.into(),
        data_type,
        nullable: true,
        default: None,
        identity: None,
    };
    let schema = TableSchema {
        id: 0,
        name: "accounts".into(),
        columns: vec![
            column("id", DataType::Int8),
            column("owner", DataType::Text),
            column("balance", DataType::Int8),
        ],
        primary_key: Some(vec![0]),
        primary_key_constraint: None,
        checks: Vec::new(),
        foreign_keys: Vec::new(),
    };
    let id = txn.create_table(schema).expect("fresh database");
    txn.create_index(IndexSchema {
        name: "accounts_owner_idx".into(),
        table: id,
        columns: vec![1],
        key_orders: crate::db::KeyOrder::ascending(1),
        operator_classes: crate::db::OperatorClass::defaults(1),
        unique: false,
        constraint: false,
    })
    .expect("fresh index");
    txn.commit();
    db
}

/// The optimized plan of the query `sql`.
fn plan_of(db: &Database, sql: &str) -> Plan {
    let statements = crate::sql::parse(sql).expect("valid SQL");
    let sqlparser::ast::Statement::Query(q) = &statements[0] else {
        panic!("a query")
    };
    let bound = Binder::new(db, &[]).bind_query(q).expect("binds");
    optimize(bound.plan, db)
}

/// The first node under `plan`'s filters, projections, sorts and limits.
fn below_wrappers(plan: &Plan) -> &Plan {
    match plan {
        Plan::Filter { input, .. }
        | Plan::Project { input, .. }
        | Plan::Sort { input, .. }
        | Plan::Limit { input, .. } => below_wrappers(input),
        other => other,
    }
}

/// The access path of the scan at the top of `plan`.
fn scan_access(plan: &Plan) -> Access {
    match below_wrappers(plan) {
        Plan::Scan { access, .. } => access.clone(),
        other => panic!("a scan, not {other:?}"),
    }
}

/// The access path of the (single) scan in the plan of `sql`.
fn access_of(db: &Database, sql: &str) -> Access {
    scan_access(&plan_of(db, sql))
}

/// `id = $1` is one primary key probe, not a scan.
#[test]
fn primary_key_equality_is_a_point_lookup() {
    let db = database();
    assert!(matches!(
        access_of(&db, "SELECT balance FROM accounts WHERE id = $1"),
        Access::Lookup {
            index: IndexRef::PrimaryKey,
            ..
        }
    ));
    assert!(matches!(
        access_of(&db, "SELECT * FROM accounts WHERE 42 = id AND balance > 0"),
        Access::Lookup {
            index: IndexRef::PrimaryKey,
            ..
        }
    ));
}

/// An IN list of constants becomes several lookups.
#[test]
fn in_list_is_several_lookups() {
    let db = database();
    let Access::Lookup { keys, .. } =
        access_of(&db, "SELECT * FROM accounts WHERE id IN (1, 2, 3)")
    else {
        panic!("lookup")
    };
    assert_eq!(keys.len(), 3);
}

/// Secondary indexes serve equality; ranges use the leading column.
#[test]
fn secondary_index_and_ranges() {
    let db = database();
    assert!(matches!(
        access_of(&db, "SELECT * FROM accounts WHERE owner = 'ann'"),
        Access::Lookup {
            index: IndexRef::Secondary(0),
            ..
        }
    ));
    assert!(matches!(
        access_of(&db, "SELECT * FROM accounts WHERE id BETWEEN 5 AND 10"),
        Access::Range {
            index: IndexRef::PrimaryKey,
            ..
        }
    ));
}

/// Predicates the index cannot answer scan: no index on balance, a cast column,
/// an OR.
#[test]
fn unusable_predicates_scan() {
    let db = database();
    assert_eq!(
        access_of(&db, "SELECT * FROM accounts WHERE balance = 5"),
        Access::Full
    );
    assert_eq!(
        access_of(&db, "SELECT * FROM accounts WHERE id = 1 OR id = 2"),
        Access::Full
    );
    assert_eq!(
        access_of(&db, "SELECT * FROM accounts WHERE id = 1.5"),
        Access::Full
    );
}

/// A LATERAL subquery stays a lateral join (its right side runs once per left
/// row, so it cannot become a hash join); a condition on the left side moves down
/// to it, and the right side looks its table up by the left row's value.
#[test]
fn lateral_join_keeps_its_shape_and_uses_indexes() {
    let db = database();
    let plan = plan_of(
        &db,
        "SELECT * FROM accounts a, LATERAL (SELECT b.balance FROM accounts b WHERE b.id = a.id) n \
         WHERE a.owner = 'ann'",
    );
    let Plan::LateralJoin { left, right, .. } = below_wrappers(&plan) else {
        panic!("a lateral join: {plan:?}")
    };
    assert!(matches!(
        scan_access(left),
        Access::Lookup {
            index: IndexRef::Secondary(0),
            ..
        }
    ));
    assert!(matches!(
        scan_access(right),
        Access::Lookup {
            index: IndexRef::PrimaryKey,
            ..
        }
    ));
}

/// A full join on the primary key is a hash join, never an index join (which
/// would find only the right rows some left row matches), and neither a WHERE
/// condition nor a one-sided part of ON moves below it: both sides are padded.
#[test]
fn full_join_hashes_and_keeps_its_conditions() {
    let db = database();
    let plan = plan_of(
        &db,
        "SELECT * FROM accounts a FULL JOIN accounts b ON b.id = a.id AND b.balance > 5 \
         WHERE a.owner = 'ann'",
    );
    let Plan::Project { input, .. } = &plan else {
        panic!("the select list: {plan:?}")
    };
    let Plan::Filter { input, .. } = &**input else {
        panic!("WHERE stays above the join: {input:?}")
    };
    let Plan::HashJoin {
        left,
        right,
        kind: JoinKind::Full,
        on: Some(_),
        ..
    } = &**input
    else {
        panic!("a full hash join with the rest of ON: {input:?}")
    };
    assert_eq!(scan_access(left), Access::Full);
    assert_eq!(scan_access(right), Access::Full);
}

/// The columns the scan at the top of `plan` decodes (None: all of them).
fn decoded_columns(plan: &Plan) -> Option<Vec<bool>> {
    match below_wrappers(plan) {
        Plan::Scan { decoded, .. } => decoded.as_deref().map(<[bool]>::to_vec),
        other => panic!("a scan, not {other:?}"),
    }
}

/// A scan under a projection decodes the columns the projection and the scan's
/// filter read, and no others; a subquery, which may read the row as its outer
/// row, or a projection of every column keeps the whole row.
#[test]
fn a_scan_decodes_only_the_columns_read_above_it() {
    let db = database();
    let only = |sql: &str| decoded_columns(&plan_of(&db, sql));
    assert_eq!(
        only("SELECT balance FROM accounts WHERE id = $1"),
        Some(vec![false, false, true])
    );
    assert_eq!(
        only("SELECT id + 1 FROM accounts WHERE balance > 10 ORDER BY 1 LIMIT 3"),
        Some(vec![true, false, true])
    );
    assert_eq!(only("SELECT 1 FROM accounts"), Some(vec![false; 3]));
    assert_eq!(only("SELECT owner, id, balance FROM accounts"), None);
    assert_eq!(only("SELECT * FROM accounts WHERE id = 1"), None);
    assert_eq!(
        only("SELECT (SELECT count(*) FROM accounts b WHERE b.id = a.balance) FROM accounts a"),
        None
    );
    assert_eq!(
        only("SELECT id FROM accounts a WHERE EXISTS (SELECT 1 FROM accounts b WHERE b.owner = a.owner)"),
        None
    );
}
