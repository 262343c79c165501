//! Planner tests: the access path chosen for typical predicates.

use crate::db::{ColumnSchema, Database, IndexSchema, TableSchema};
use crate::sql::binder::Binder;
use crate::sql::plan::{optimize, Access, IndexRef, Plan};
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
    };
    let id = txn.create_table(schema).expect("fresh database");
    txn.create_index(IndexSchema {
        name: "accounts_owner_idx".into(),
        table: id,
        columns: vec![1],
        unique: false,
    })
    .expect("fresh index");
    txn.commit();
    db
}

/// The access path of the (single) scan in the plan of `sql`.
fn access_of(db: &Database, sql: &str) -> Access {
    let statements = crate::sql::parse(sql).expect("valid SQL");
    let sqlparser::ast::Statement::Query(q) = &statements[0] else {
        panic!("a query")
    };
    let bound = Binder::new(db, &[]).bind_query(q).expect("binds");
    fn find(plan: &Plan) -> Option<Access> {
        match plan {
            Plan::Scan { access, .. } => Some(access.clone()),
            Plan::Filter { input, .. }
            | Plan::Project { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. } => find(input),
            _ => None,
        }
    }
    find(&optimize(bound.plan, db)).expect("a scan")
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
