//! Tests of the store's transactions: constraints, indexes and all-or-nothing undo.

use std::ops::Bound;
use std::sync::Arc;

use super::*;
use crate::types::{DataType, NumericTypmod, Value};

fn accounts_schema() -> TableSchema {
    let column = |name: &str, data_type, nullable| ColumnSchema {
        name: name.into(),
        data_type,
        nullable,
        default: None,
        identity: None,
    };
    TableSchema {
        id: 0,
        name: "accounts".into(),
        columns: vec![
            column("id", DataType::Int8, false),
            column("owner", DataType::Text, false),
            column("balance", DataType::Int8, true),
        ],
        primary_key: Some(vec![0]),
        primary_key_constraint: None,
        checks: Vec::new(),
        foreign_keys: Vec::new(),
    }
}

fn account(id: i64, owner: &str, balance: i64) -> Vec<Value> {
    vec![
        Value::Int8(id),
        Value::Text(owner.into()),
        Value::Int8(balance),
    ]
}

/// A database with `accounts` holding ids 1..=n and a unique index on owner.
fn database_with_accounts(n: i64) -> (Database, TableId) {
    let mut db = Database::new();
    let mut txn = db.begin_write();
    let id = txn.create_table(accounts_schema()).unwrap();
    txn.create_index(IndexSchema {
        name: "accounts_owner_key".into(),
        table: id,
        columns: vec![1],
        key_orders: crate::db::KeyOrder::ascending(1),
        operator_classes: crate::db::OperatorClass::defaults(1),
        unique: true,
        constraint: false,
    })
    .unwrap();
    for i in 1..=n {
        txn.insert(id, account(i, &format!("owner{i}"), i * 10))
            .unwrap();
    }
    txn.commit();
    (db, id)
}

/// The key of account `id` as the transaction sees it.
fn account_key(txn: &WriteTxn<'_>, table: TableId, id: i64) -> Key {
    txn.db()
        .table(table)
        .primary_key_of(&[Value::Int8(id)])
        .unwrap()
}

/// A non-unique index on the accounts' balance.
fn by_balance(table: TableId) -> IndexSchema {
    IndexSchema {
        name: "by_balance".into(),
        table,
        columns: vec![2],
        key_orders: crate::db::KeyOrder::ascending(1),
        operator_classes: crate::db::OperatorClass::defaults(1),
        unique: false,
        constraint: false,
    }
}

/// Everything a table holds, decoded, in key order, for before/after comparisons.
fn contents(db: &Database, id: TableId) -> Vec<Vec<Value>> {
    let t = db.table(id);
    t.scan().map(|(_, row)| t.decode(row)).collect()
}

/// Rollback restores exactly the previous state after inserts, updates (including a
/// primary key change), deletes, truncate and DDL, and the indexes agree with it.
#[test]
fn rollback_undoes_everything() {
    let (mut db, id) = database_with_accounts(5);
    let before = contents(&db, id);
    let version = db.catalog_version();
    let mut txn = db.begin_write();
    txn.insert(id, account(6, "six", 60)).unwrap();
    let key = account_key(&txn, id, 2);
    txn.update(id, &key, account(20, "owner2", 0)).unwrap();
    let key = account_key(&txn, id, 3);
    assert!(txn.delete(id, &key).unwrap());
    txn.create_index(by_balance(id)).unwrap();
    txn.truncate(id);
    txn.drop_index("accounts_owner_key").unwrap();
    txn.drop_table("accounts").unwrap();
    txn.rollback();
    assert_eq!(contents(&db, id), before);
    assert_eq!(
        db.catalog_version(),
        version + 6,
        "every change and undo of the catalog is versioned"
    );
    let owner_index = db
        .table(id)
        .indexes()
        .iter()
        .position(|i| i.schema.name == "accounts_owner_key")
        .unwrap();
    let by_owner: Vec<_> = db
        .table(id)
        .index_range(
            owner_index,
            Bound::Included(&[Value::Text("owner2".into())][..]),
            Bound::Included(&[Value::Text("owner2".into())][..]),
        )
        .map(|(_, row)| db.table(id).decode(row))
        .collect();
    assert_eq!(by_owner, vec![account(2, "owner2", 20)]);
    assert_eq!(db.table(id).indexes().len(), 1);
}

/// Every index in the order of its values, as (indexed values, account id):
/// what a stale or missing entry would show.
fn index_entries(db: &Database, id: TableId) -> Vec<Vec<(Vec<Value>, i64)>> {
    let t = db.table(id);
    (0..t.indexes().len())
        .map(|index| {
            let columns = &t.indexes()[index].schema.columns;
            t.index_range(index, Bound::Unbounded, Bound::Unbounded)
                .map(|(_, row)| {
                    let values = t.decode(row);
                    let indexed = columns.iter().map(|&c| values[c].clone()).collect();
                    (indexed, values[0].as_i64().unwrap())
                })
                .collect()
        })
        .collect()
}

/// An update that keeps a row's key swaps it in place and moves only the index
/// entries whose values changed; both indexes agree with the rows after it and
/// after its rollback.
#[test]
fn updates_in_place_keep_every_index_in_step() {
    let (mut db, id) = database_with_accounts(3);
    let mut txn = db.begin_write();
    txn.create_index(by_balance(id)).unwrap();
    txn.commit();
    let before = index_entries(&db, id);
    let mut txn = db.begin_write();
    let key = account_key(&txn, id, 2);
    // The balance only: the owner index keeps its entry.
    assert_eq!(
        txn.update(id, &key, account(2, "owner2", 5)),
        Ok(Some(key.clone()))
    );
    // The owner too.
    assert_eq!(
        txn.update(id, &key, account(2, "second", 5)),
        Ok(Some(key.clone()))
    );
    let during = index_entries(txn.db(), id);
    let owner = |o: &str| vec![Value::Text(o.into())];
    assert_eq!(
        during[0],
        vec![
            (owner("owner1"), 1),
            (owner("owner3"), 3),
            (owner("second"), 2)
        ]
    );
    assert_eq!(
        during[1],
        vec![
            (vec![Value::Int8(5)], 2),
            (vec![Value::Int8(10)], 1),
            (vec![Value::Int8(30)], 3)
        ]
    );
    txn.rollback();
    assert_eq!(index_entries(&db, id), before);
    assert_eq!(
        contents(&db, id),
        (1..=3)
            .map(|i| account(i, &format!("owner{i}"), i * 10))
            .collect::<Vec<_>>()
    );
}

/// A row written as its bytes alone, as a module's is (and updated under its
/// own key, as a module names it), is checked and indexed exactly as one
/// written with its values: the store decodes what its indexes, its constraint
/// messages and a block's record of changes need, and rolls it back alike.
#[test]
fn rows_written_without_values_are_checked_and_indexed_alike() {
    let indexed_accounts = || {
        let (mut db, id) = database_with_accounts(3);
        let mut txn = db.begin_write();
        txn.create_index(by_balance(id)).unwrap();
        txn.commit();
        (db, id)
    };
    let (mut db, id) = indexed_accounts();
    let (mut expected_db, _) = indexed_accounts();
    let before = (index_entries(&db, id), contents(&db, id));
    let bytes = |values: Vec<Value>| Row::encode(&values);

    let mut txn = db.begin_write();
    let mut expected = expected_db.begin_write();
    for refused in [
        account(1, "other", 0),
        account(9, "owner1", 0),
        vec![Value::Int8(9), Value::Null, Value::Null],
    ] {
        assert_eq!(
            txn.insert_encoded(id, bytes(refused.clone()), None),
            expected.insert(id, refused)
        );
    }
    txn.record_changes(true);
    expected.record_changes(true);
    assert_eq!(
        txn.insert_encoded(id, bytes(account(4, "four", 40)), None),
        expected.insert(id, account(4, "four", 40))
    );
    let key = account_key(&txn, id, 2);
    for update in [account(2, "second", 5), account(1, "owner1", 5)] {
        assert_eq!(
            txn.update_encoded(id, &key, bytes(update.clone()), None),
            expected.update(id, &key, update)
        );
    }
    // A module's update, the row named by its own key: present, absent, a
    // duplicate owner, a NULL balance.
    for update in [
        account(3, "third", 7),
        account(8, "eight", 8),
        account(3, "owner1", 7),
        vec![Value::Int8(3), Value::Text("third".into()), Value::Null],
    ] {
        let key = account_key(&txn, id, update[0].as_i64().unwrap());
        assert_eq!(
            txn.update_encoded_by_own_key(id, bytes(update.clone()), None),
            expected.update(id, &key, update)
        );
    }
    let null_key = vec![Value::Null, Value::Text("nobody".into()), Value::Int8(0)];
    assert_eq!(
        txn.update_encoded_by_own_key(id, bytes(null_key), None),
        Ok(None),
        "a NULL key names no row"
    );
    assert_eq!(
        index_entries(txn.db(), id),
        index_entries(expected.db(), id)
    );
    assert_eq!(contents(txn.db(), id), contents(expected.db(), id));
    assert_eq!(txn.take_changes(), expected.take_changes());
    txn.rollback();
    assert_eq!((index_entries(&db, id), contents(&db, id)), before);
}

/// Dropping an unfinished transaction (as a panic would) rolls it back.
#[test]
fn dropped_transaction_rolls_back() {
    let (mut db, id) = database_with_accounts(3);
    let before = contents(&db, id);
    {
        let mut txn = db.begin_write();
        txn.insert(id, account(4, "four", 4)).unwrap();
    }
    assert_eq!(contents(&db, id), before);
}

/// Primary key, unique index and NOT NULL violations are refused with the
/// constraint's name and PostgreSQL's detail, and change nothing.
#[test]
fn constraints_are_enforced() {
    let (mut db, id) = database_with_accounts(2);
    let mut txn = db.begin_write();
    let err = txn.insert(id, account(1, "other", 0)).unwrap_err();
    assert_eq!(
        err,
        DbError::UniqueViolation {
            table: "accounts".into(),
            constraint: "accounts_pkey".into(),
            detail: "Key (id)=(1) already exists.".into()
        }
    );
    let err = txn.insert(id, account(9, "owner1", 0)).unwrap_err();
    assert!(
        matches!(err, DbError::UniqueViolation { ref constraint, .. } if constraint == "accounts_owner_key")
    );
    let err = txn
        .insert(id, vec![Value::Int8(9), Value::Null, Value::Null])
        .unwrap_err();
    assert!(matches!(err, DbError::NotNullViolation { ref column, .. } if column == "owner"));
    let key = account_key(&txn, id, 1);
    let err = txn.update(id, &key, account(2, "owner1", 0)).unwrap_err();
    assert!(
        matches!(err, DbError::UniqueViolation { ref constraint, .. } if constraint == "accounts_pkey")
    );
    txn.update(id, &key, account(1, "owner1", 99))
        .expect("an update may keep its own key");
    txn.commit();
    assert_eq!(db.table(id).len(), 2);
}

/// An update of a key that has no row changes nothing and logs nothing, under
/// its own key or a new one; its values are still checked first.
#[test]
fn an_update_without_a_row_changes_nothing() {
    let (mut db, id) = database_with_accounts(2);
    let before = contents(&db, id);
    let mut txn = db.begin_write();
    let missing = Key::Int(7);
    assert_eq!(txn.update(id, &missing, account(7, "seven", 7)), Ok(None));
    assert_eq!(txn.update(id, &missing, account(8, "eight", 8)), Ok(None));
    let err = txn
        .update(
            id,
            &missing,
            vec![Value::Int8(7), Value::Null, Value::Int8(7)],
        )
        .unwrap_err();
    assert!(matches!(err, DbError::NotNullViolation { ref column, .. } if column == "owner"));
    let redo = txn.commit();
    assert!(redo.is_empty(), "nothing to log: {redo:?}");
    assert_eq!(contents(&db, id), before);
}

/// Range scans over the primary key honour inclusive and exclusive bounds.
#[test]
fn primary_key_ranges() {
    let (db, id) = database_with_accounts(10);
    let t = db.table(id);
    let ids = |lower, upper| -> Vec<i64> {
        t.primary_key_range(lower, upper)
            .map(|(_, row)| t.decode(row)[0].as_i64().unwrap())
            .collect()
    };
    let three = [Value::Int8(3)];
    let six = [Value::Int8(6)];
    assert_eq!(
        ids(Bound::Included(&three[..]), Bound::Excluded(&six[..])),
        vec![3, 4, 5]
    );
    assert_eq!(
        ids(Bound::Excluded(&three[..]), Bound::Included(&six[..])),
        vec![4, 5, 6]
    );
    assert_eq!(
        ids(Bound::Unbounded, Bound::Excluded(&three[..])),
        vec![1, 2]
    );
    assert_eq!(
        ids(Bound::Excluded(&six[..]), Bound::Unbounded),
        vec![7, 8, 9, 10]
    );
}

/// Names are shared between tables, indexes and views, as in pg_class.
#[test]
fn relation_names_are_one_namespace() {
    let (mut db, id) = database_with_accounts(0);
    let mut txn = db.begin_write();
    let err = txn
        .create_view(ViewSchema {
            name: "accounts_owner_key".into(),
            query: "select 1".into(),
            column_names: vec![],
        })
        .unwrap_err();
    assert_eq!(err, DbError::DuplicateRelation("accounts_owner_key".into()));
    let err = txn
        .create_index(IndexSchema {
            name: "accounts_pkey".into(),
            table: id,
            columns: vec![2],
            key_orders: crate::db::KeyOrder::ascending(1),
            operator_classes: crate::db::OperatorClass::defaults(1),
            unique: false,
            constraint: false,
        })
        .unwrap_err();
    assert_eq!(err, DbError::DuplicateRelation("accounts_pkey".into()));
}

/// Applying a transaction's redo to a copy of the database before it reproduces
/// the database after it: inserts, updates that move a key, deletes and DDL alike,
/// for integer, composite and hidden row-id keys.
#[test]
fn redo_reproduces_the_transaction() {
    let (mut db, id) = database_with_accounts(4);
    let (mut replica, _) = database_with_accounts(4);
    let column = |name: &str, data_type, nullable| ColumnSchema {
        name: name.into(),
        data_type,
        nullable,
        default: None,
        identity: None,
    };
    let mut txn = db.begin_write();
    let pairs = txn
        .create_table(TableSchema {
            id: 0,
            name: "pairs".into(),
            columns: vec![
                column("a", DataType::Text, false),
                column("b", DataType::Int4, false),
                // Both numeric tags: the modifier must survive the log.
                column(
                    "amount",
                    DataType::Numeric(NumericTypmod::new(8, 2).ok()),
                    true,
                ),
                column("n", DataType::Numeric(None), true),
                // An array type (redo tag 18, then its element's).
                column("tags", DataType::Array(&DataType::Text), true),
                // Redo tag 19.
                column("span", DataType::Interval, true),
            ],
            primary_key: Some(vec![0, 1]),
            // A key with a name of its own (redo tag 11).
            primary_key_constraint: Some("pairs_key".into()),
            checks: Vec::new(),
            foreign_keys: Vec::new(),
        })
        .unwrap();
    let later = txn
        .create_table(TableSchema {
            id: 0,
            name: "keyed_later".into(),
            columns: vec![column("k", DataType::Int8, true)],
            primary_key: None,
            primary_key_constraint: None,
            checks: Vec::new(),
            foreign_keys: Vec::new(),
        })
        .unwrap();
    txn.insert(later, vec![Value::Int8(7)]).unwrap();
    // A key added later with a name of its own (redo tag 12).
    txn.add_primary_key(later, vec![0], Some("later_key".into()))
        .unwrap();
    let log = txn
        .create_table(TableSchema {
            id: 0,
            name: "log".into(),
            columns: vec![column("line", DataType::Text, true)],
            primary_key: None,
            primary_key_constraint: None,
            checks: Vec::new(),
            foreign_keys: Vec::new(),
        })
        .unwrap();
    let amount = Value::Numeric(rust_decimal::Decimal::new(450, 2));
    txn.insert(
        pairs,
        vec![
            Value::Text("x".into()),
            Value::Int4(1),
            amount,
            Value::Null,
            Value::Array(vec![Value::Text("t".into()), Value::Null]),
            Value::Interval(crate::types::Interval {
                months: 1,
                days: -2,
                micros: 3,
            }),
        ],
    )
    .unwrap();
    txn.insert(log, vec![Value::Text("one".into())]).unwrap();
    txn.insert(log, vec![Value::Null]).unwrap();
    let key = account_key(&txn, id, 2);
    txn.update(id, &key, account(20, "owner2", 7)).unwrap();
    let key = account_key(&txn, id, 3);
    txn.update(id, &key, account(3, "owner3", 99)).unwrap();
    let key = account_key(&txn, id, 4);
    assert!(txn.delete(id, &key).unwrap());
    txn.create_index(by_balance(id)).unwrap();
    txn.create_view(ViewSchema {
        name: "v".into(),
        query: "select 1".into(),
        column_names: vec!["one".into()],
    })
    .unwrap();
    txn.drop_index("accounts_owner_key").unwrap();
    let payload = txn.commit().into_payload();
    replica.apply_redo(&payload).unwrap();
    assert_eq!(
        replica
            .must_get_table("pairs")
            .unwrap()
            .schema()
            .primary_key_name(),
        "pairs_key"
    );
    assert_eq!(
        replica
            .must_get_table("keyed_later")
            .unwrap()
            .schema()
            .primary_key_name(),
        "later_key"
    );
    for name in ["accounts", "pairs", "keyed_later", "log"] {
        let (a, b) = (
            db.must_get_table(name).unwrap(),
            replica.must_get_table(name).unwrap(),
        );
        assert_eq!(a.schema(), b.schema(), "{name}");
        let rows = |t: &Table| {
            t.scan()
                .map(|(k, r)| (k.clone(), t.decode(r)))
                .collect::<Vec<_>>()
        };
        assert_eq!(rows(a), rows(b), "{name}");
        let index_names = |t: &Table| {
            t.indexes()
                .iter()
                .map(|i| i.schema.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(index_names(a), index_names(b), "{name}");
    }
    assert_eq!(replica.get_view("v"), db.get_view("v"));
    // A row inserted after recovery into the row-id table gets a fresh id.
    let mut txn = replica.begin_write();
    assert_eq!(
        txn.insert(log, vec![Value::Text("after".into())]).unwrap(),
        Key::Int(3)
    );
    txn.rollback();
    // Truncate and the drops replay too.
    let mut txn = db.begin_write();
    txn.truncate(pairs);
    txn.drop_table("log").unwrap();
    txn.drop_view("v").unwrap();
    replica.apply_redo(txn.commit().payload()).unwrap();
    assert!(replica.must_get_table("pairs").unwrap().is_empty());
    assert!(replica.get_table("log").is_none() && replica.get_view("v").is_none());
}

/// Damaged redo bytes are refused with an error, never a panic.
#[test]
fn damaged_redo_is_refused() {
    let (mut db, id) = database_with_accounts(0);
    let mut txn = db.begin_write();
    txn.insert(id, account(1, "a", 1)).unwrap();
    let payload = txn.commit().into_payload();
    for cut in 0..payload.len() {
        let (mut fresh, _) = database_with_accounts(0);
        let _ = fresh.apply_redo(&payload[..cut]);
    }
    for bit in 0..payload.len() * 8 {
        let mut damaged = payload.clone();
        damaged[bit / 8] ^= 1 << (bit % 8);
        let (mut fresh, _) = database_with_accounts(0);
        let _ = fresh.apply_redo(&damaged);
    }
}

#[test]
fn table_versions_and_schema_commits_count_commits_only() {
    let (mut db, table) = database_with_accounts(2);
    let (version, schema) = (db.table(table).version(), db.schema_commits());

    let mut txn = db.begin_write();
    let key = account_key(&txn, table, 1);
    txn.update(table, &key, account(1, "owner1", 0)).unwrap();
    txn.create_table(TableSchema {
        name: "other".into(),
        ..accounts_schema()
    })
    .unwrap();
    txn.rollback();
    assert_eq!(
        db.table(table).version(),
        version,
        "a rollback moves nothing"
    );
    assert_eq!(db.schema_commits(), schema);

    let mut txn = db.begin_write();
    let key = account_key(&txn, table, 1);
    txn.update(table, &key, account(1, "owner1", 0)).unwrap();
    txn.commit();
    assert_eq!(db.table(table).version(), version + 1);
    assert_eq!(
        db.schema_commits(),
        schema,
        "a data change is not a schema change"
    );

    let mut txn = db.begin_write();
    txn.drop_index("accounts_owner_key").unwrap();
    txn.commit();
    assert_eq!(db.schema_commits(), schema + 1);
}

#[test]
fn a_rolled_back_transaction_gives_back_its_ids() {
    // A transaction block rehearses statements and rolls them back, then makes them
    // again at COMMIT: the ids they get must be the same both times.
    let mut db = Database::new();
    let no_key = TableSchema {
        primary_key: None,
        ..accounts_schema()
    };
    let mut txn = db.begin_write();
    let table = txn.create_table(no_key.clone()).unwrap();
    txn.commit();

    let mut first = db.begin_write();
    let created = first.create_table(TableSchema {
        name: "other".into(),
        ..accounts_schema()
    });
    let row_key = first.insert(table, account(1, "a", 1)).unwrap();
    first.rollback();

    let mut second = db.begin_write();
    assert_eq!(
        second.create_table(TableSchema {
            name: "other".into(),
            ..accounts_schema()
        }),
        created
    );
    assert_eq!(second.insert(table, account(1, "a", 1)).unwrap(), row_key);
    second.commit();
}

#[test]
fn replayed_changes_are_checked_like_new_ones() {
    let (mut db, table) = database_with_accounts(2);
    let mut txn = db.begin_write();
    txn.record_changes(true);
    let key = account_key(&txn, table, 1);
    txn.update(table, &key, account(1, "owner1", 5)).unwrap();
    txn.insert(table, account(3, "owner3", 30)).unwrap();
    let key2 = account_key(&txn, table, 2);
    txn.delete(table, &key2).unwrap();
    let changes = txn.take_changes();
    txn.rollback();
    assert_eq!(changes.len(), 3);
    assert!(changes.iter().all(|c| !c.is_schema()));

    // On the same state, the replay makes the same changes.
    let mut txn = db.begin_write();
    for change in &changes {
        assert_eq!(txn.replay(change, true), Ok(true));
    }
    let balance = |txn: &WriteTxn<'_>, id| {
        let key = account_key(txn, table, id);
        txn.db()
            .table(table)
            .decode(txn.db().table(table).get(&key).unwrap())[2]
            .clone()
    };
    assert_eq!(balance(&txn, 1), Value::Int8(5));
    assert_eq!(balance(&txn, 3), Value::Int8(30));
    txn.rollback();

    // After someone else deleted the updated row and took the inserted key, the
    // replay finds out instead of overwriting.
    let mut txn = db.begin_write();
    let key = account_key(&txn, table, 1);
    txn.delete(table, &key).unwrap();
    txn.insert(table, account(3, "someone", 1)).unwrap();
    txn.commit();
    let mut txn = db.begin_write();
    assert_eq!(
        txn.replay(&changes[0], true),
        Ok(false),
        "the updated row is gone"
    );
    assert!(matches!(
        txn.replay(&changes[1], true),
        Err(DbError::UniqueViolation { .. })
    ));
    txn.rollback();
}

fn sequence(name: &str, increment: i64, min: i64, max: i64, cycle: bool) -> SequenceSchema {
    SequenceSchema {
        id: 0,
        name: name.into(),
        created_as: name.into(),
        data_type: DataType::Int8,
        start: if increment > 0 { min } else { max },
        increment,
        min,
        max,
        cycle,
        cache: 1,
        owned_by: None,
    }
}

/// Every value `nextval` gives, until the first error.
fn values_until_error(db: &mut Database, name: &str, most: usize) -> (Vec<i64>, Option<DbError>) {
    let txn = db.begin_write();
    let mut values = Vec::new();
    for _ in 0..most {
        match txn.db().advance_sequence(name) {
            Ok(v) => values.push(v),
            Err(e) => {
                txn.commit();
                return (values, Some(e));
            }
        }
    }
    txn.commit();
    (values, None)
}

/// Steps, bounds and cycles as PostgreSQL's `nextval_internal` takes them.
#[test]
fn sequences_step_stop_and_cycle() {
    let mut db = Database::new();
    let mut txn = db.begin_write();
    txn.create_sequence(sequence("up", 2, 1, 6, false)).unwrap();
    txn.create_sequence(sequence("down", -5, 1, 12, true))
        .unwrap();
    txn.create_sequence(sequence("top", 1, i64::MAX - 1, i64::MAX, false))
        .unwrap();
    txn.commit();
    let (values, error) = values_until_error(&mut db, "up", 10);
    assert_eq!(values, [1, 3, 5]);
    assert!(matches!(
        error,
        Some(DbError::SequenceLimit {
            ascending: true,
            bound: 6,
            ..
        })
    ));
    // A failed nextval leaves the sequence where it was.
    assert_eq!(db.get_sequence("up").unwrap().state().last_value, 5);
    assert_eq!(values_until_error(&mut db, "down", 5).0, [12, 7, 2, 12, 7]);
    // No overflow past i64::MAX: the bound stops it first.
    let (values, error) = values_until_error(&mut db, "top", 5);
    assert_eq!(values, [i64::MAX - 1, i64::MAX]);
    assert!(error.is_some());
}

/// A sequence moves outside the transaction that moved it: a rollback to the
/// log keeps the new state and logs it; a transaction dropped unfinished (a
/// panic) or rolled back in full puts it back, since nothing of it is logged.
#[test]
fn sequences_outlive_rollbacks_but_not_unfinished_transactions() {
    let mut db = Database::new();
    let mut txn = db.begin_write();
    txn.create_sequence(sequence("s", 1, 1, 100, false))
        .unwrap();
    let created = txn.commit();
    let mut replica = Database::new();
    replica.apply_redo(created.payload()).unwrap();
    assert_eq!(
        replica.get_sequence("s").unwrap().state(),
        db.get_sequence("s").unwrap().state(),
        "a created sequence's redo holds its fresh state"
    );

    let txn = db.begin_write();
    assert_eq!(txn.db().advance_sequence("s").unwrap(), 1);
    txn.rollback_to(None).unwrap();
    assert_eq!(db.get_sequence("s").unwrap().state().last_value, 1);

    {
        let txn = db.begin_write();
        assert_eq!(txn.db().advance_sequence("s").unwrap(), 2);
    }
    let txn = db.begin_write();
    assert_eq!(txn.db().advance_sequence("s").unwrap(), 2);
    txn.rollback();
    let state = db.get_sequence("s").unwrap().state();
    assert_eq!((state.last_value, state.is_called), (1, true));

    // A commit logs the state with its other changes, and recovery ends there.
    let (mut with_rows, table) = database_with_accounts(0);
    let mut txn = with_rows.begin_write();
    txn.create_sequence(sequence("ids", 1, 1, 100, false))
        .unwrap();
    let first = txn.db().advance_sequence("ids").unwrap();
    txn.insert(table, account(first, "one", 1)).unwrap();
    let redo = txn.commit();
    let (mut replica, _) = database_with_accounts(0);
    replica.apply_redo(redo.payload()).unwrap();
    assert_eq!(
        replica.get_sequence("ids").unwrap().state(),
        with_rows.get_sequence("ids").unwrap().state()
    );
    assert_eq!(contents(&replica, table), contents(&with_rows, table));
    // Not a schema change: blocks that began before it still commit.
    let schema_commits = with_rows.schema_commits();
    let txn = with_rows.begin_write();
    txn.db().advance_sequence("ids").unwrap();
    txn.commit();
    assert_eq!(with_rows.schema_commits(), schema_commits);
}

/// A database with a sequence `s` (1 to 100) that has handed out 1 and 2,
/// each in a committed transaction.
fn sequence_advanced_twice() -> Database {
    let mut db = Database::new();
    let mut txn = db.begin_write();
    txn.create_sequence(sequence("s", 1, 1, 100, false))
        .unwrap();
    txn.commit();
    let txn = db.begin_write();
    txn.db().advance_sequence("s").unwrap();
    txn.db().advance_sequence("s").unwrap();
    txn.commit();
    db
}

/// `TRUNCATE … RESTART IDENTITY`'s restart moves a sequence with its
/// transaction: a rollback to the log puts back the state from before the
/// restart (advances after it included) and logs that; a commit logs the
/// restarted state; a block's recorded changes carry it.
#[test]
fn a_restart_moves_a_sequence_with_its_transaction() {
    let mut db = sequence_advanced_twice();

    let mut txn = db.begin_write();
    assert_eq!(txn.db().advance_sequence("s").unwrap(), 3);
    txn.restart_sequence("s").unwrap();
    assert_eq!(txn.db().advance_sequence("s").unwrap(), 1);
    txn.rollback_to(None).unwrap();
    let state = db.get_sequence("s").unwrap().state();
    assert_eq!(
        (state.last_value, state.is_called),
        (3, true),
        "the advance before the restart stays, the restart and what followed go"
    );

    let mut txn = db.begin_write();
    txn.record_changes(true);
    txn.restart_sequence("s").unwrap();
    txn.db().advance_sequence("s").unwrap();
    let changes = txn.take_changes();
    assert!(
        changes.iter().any(|c| matches!(
            c,
            Change::SetSequence { name, state } if name == "s" && state.last_value == 1 && state.is_called
        )),
        "a block records where the restarted sequence stands: {changes:?}"
    );
    let redo = txn.commit();
    let mut replica = Database::new();
    let mut txn = replica.begin_write();
    txn.create_sequence(sequence("s", 1, 1, 100, false))
        .unwrap();
    txn.commit();
    replica.apply_redo(redo.payload()).unwrap();
    assert_eq!(
        replica.get_sequence("s").unwrap().state(),
        db.get_sequence("s").unwrap().state(),
        "the commit logs the restarted state"
    );
}

/// Dropping a table drops the sequences its columns own; its undo brings them
/// back with the state they had.
#[test]
fn owned_sequences_go_with_their_table() {
    let (mut db, table) = database_with_accounts(0);
    let mut txn = db.begin_write();
    let owned = SequenceSchema {
        owned_by: Some((table, 0)),
        ..sequence("accounts_id_seq", 1, 1, 100, false)
    };
    txn.create_sequence(owned).unwrap();
    txn.create_sequence(sequence("free", 1, 1, 100, false))
        .unwrap();
    txn.db().advance_sequence("accounts_id_seq").unwrap();
    txn.commit();
    assert!(matches!(
        db.begin_write()
            .create_sequence(sequence("accounts", 1, 1, 9, false)),
        Err(DbError::DuplicateRelation(_))
    ));

    let mut txn = db.begin_write();
    txn.drop_table("accounts").unwrap();
    assert!(txn.db().get_sequence("accounts_id_seq").is_none());
    assert!(txn.db().get_sequence("free").is_some());
    txn.rollback();
    assert_eq!(
        db.get_sequence("accounts_id_seq")
            .unwrap()
            .state()
            .last_value,
        1
    );

    let mut txn = db.begin_write();
    txn.drop_table("accounts").unwrap();
    let redo = txn.commit();
    let catalog = db.snapshot_catalog();
    let mut replica = Database::load_snapshot(&[catalog]).unwrap();
    replica.apply_redo(redo.payload()).unwrap();
    let names: Vec<&str> = replica
        .sequences()
        .map(|s| s.schema().name.as_str())
        .collect();
    assert_eq!(names, ["free"]);
    let free = |db: &Database| db.get_sequence("free").unwrap().schema().clone();
    assert_eq!(free(&replica), free(&db));
}

/// A transaction that drops a sequence, creates another of the same name and
/// moves it, then is dropped unfinished, leaves the first where it was: a
/// sequence's state before the transaction belongs to that sequence, not to
/// its name.
#[test]
fn an_unfinished_transaction_restores_each_sequence_it_moved() {
    let mut db = sequence_advanced_twice();
    {
        let mut txn = db.begin_write();
        txn.drop_sequence("s").unwrap();
        txn.create_sequence(sequence("s", 1, 1, 100, false))
            .unwrap();
        txn.db().advance_sequence("s").unwrap();
    }
    let state = db.get_sequence("s").unwrap().state();
    assert_eq!((state.last_value, state.is_called), (2, true));
}

/// The database as everything a reader can see of it, to compare a replica
/// with: every table's schema, indexes and rows, and every sequence.
fn everything(db: &Database) -> String {
    let mut out = String::new();
    for table in db.tables() {
        out += &format!("{:?}\n", table.schema());
        for index in table.indexes() {
            out += &format!("  {:?}\n", index.schema);
        }
        for (key, row) in table.scan() {
            out += &format!("  {key:?} {:?}\n", table.decode(row));
        }
    }
    for sequence in db.sequences() {
        out += &format!("{:?} {:?}\n", sequence.schema(), sequence.state());
    }
    out
}

/// ALTER TABLE's changes to a table: a rename and NOT NULL keep the rows, ADD
/// COLUMN fills every row, DROP COLUMN moves the columns after it down in the
/// indexes and sequence owners and drops what depended on it, dropping the
/// primary key keys the rows by row id. Each is undone exactly by a rollback,
/// and its redo makes the same table on a replica.
#[test]
fn alter_table_changes_roll_back_and_replay() {
    let (mut db, id) = database_with_accounts(3);
    let mut txn = db.begin_write();
    txn.create_index(by_balance(id)).unwrap();
    txn.create_sequence(SequenceSchema {
        owned_by: Some((id, 2)),
        ..sequence("accounts_balance_seq", 1, 1, 100, false)
    })
    .unwrap();
    txn.create_sequence(SequenceSchema {
        owned_by: Some((id, 1)),
        cache: 20,
        ..sequence("accounts_owner_seq", 1, 1, 100, false)
    })
    .unwrap();
    txn.commit();
    let replica_start = db.snapshot_catalog();
    let rows_start = db
        .snapshot_rows(id, db.table(id).schema(), None, 100)
        .unwrap()
        .0;
    let before = everything(&db);
    let version = db.catalog_version();

    let mut txn = db.begin_write();
    let mut renamed = txn.db().table(id).schema().as_ref().clone();
    renamed.name = "ledger".into();
    renamed.primary_key_constraint = Some("accounts_pkey".into());
    renamed.columns[2].nullable = false;
    renamed.columns[1].name = "holder".into();
    txn.alter_table(renamed).unwrap();
    assert!(txn.db().get_table("accounts").is_none());
    assert_eq!(txn.db().get_table("ledger").unwrap().schema().id, id);
    let note = ColumnSchema {
        name: "note".into(),
        data_type: DataType::Text,
        nullable: true,
        default: None,
        identity: None,
    };
    txn.add_column(id, note, ColumnFill::Same(Value::Text("n".into())))
        .unwrap();
    let serial = ColumnSchema {
        name: "n".into(),
        data_type: DataType::Int4,
        nullable: false,
        default: None,
        identity: None,
    };
    let numbers = (1..=3).map(Value::Int4).collect();
    txn.add_column(id, serial, ColumnFill::PerRow(numbers))
        .unwrap();
    // Drops the owner column: its sequence goes, the balance's moves down.
    txn.drop_column(id, 1).unwrap();
    let t = txn.db().table(id);
    assert_eq!(
        t.scan().map(|(_, r)| t.decode(r)).collect::<Vec<_>>(),
        (1..=3)
            .map(|i| vec![
                Value::Int8(i),
                Value::Int8(i * 10),
                Value::Text("n".into()),
                Value::Int4(i as i32)
            ])
            .collect::<Vec<_>>()
    );
    assert_eq!(t.indexes().len(), 1, "the unique index on the owner went");
    assert_eq!(t.indexes()[0].schema.columns, [1], "by_balance moved down");
    assert!(txn.db().get_sequence("accounts_owner_seq").is_none());
    assert_eq!(
        txn.db()
            .get_sequence("accounts_balance_seq")
            .unwrap()
            .schema()
            .owned_by,
        Some((id, 1))
    );
    // Dropping the key column drops the key: the rows stay, by row id.
    txn.drop_column(id, 0).unwrap();
    let t = txn.db().table(id);
    assert_eq!(t.schema().primary_key, None);
    assert_eq!(t.len(), 3);
    assert_eq!(t.indexes()[0].schema.columns, [0]);
    txn.rollback();
    assert_eq!(everything(&db), before, "a rollback undoes every ALTER");
    assert!(db.catalog_version() > version);

    let mut txn = db.begin_write();
    let mut renamed = txn.db().table(id).schema().as_ref().clone();
    renamed.name = "ledger".into();
    txn.alter_table(renamed).unwrap();
    txn.add_column(
        id,
        ColumnSchema {
            name: "note".into(),
            data_type: DataType::Text,
            nullable: true,
            default: None,
            identity: None,
        },
        ColumnFill::Same(Value::Null),
    )
    .unwrap();
    txn.drop_column(id, 1).unwrap();
    txn.drop_primary_key(id).unwrap();
    let redo = txn.commit();
    let mut replica = Database::load_snapshot(&[replica_start, rows_start]).unwrap();
    replica.apply_redo(redo.payload()).unwrap();
    assert_eq!(everything(&replica), everything(&db));
    assert_eq!(replica.get_table("ledger").unwrap().schema().id, id);
    // Row ids given out after the replay do not reuse a replayed one.
    let mut txn = replica.begin_write();
    let key = txn
        .insert(id, vec![Value::Int8(9), Value::Int8(90), Value::Null])
        .unwrap();
    assert_eq!(key, Key::Int(4));
}

/// What ALTER TABLE refuses in the store: a NULL in a column made NOT NULL
/// (SET NOT NULL, or an added NOT NULL column without a value) and a new name
/// that is taken; each leaves the table as it was.
#[test]
fn alter_table_checks_the_rows() {
    let (mut db, id) = database_with_accounts(2);
    let mut txn = db.begin_write();
    let key = account_key(&txn, id, 2);
    txn.update(
        id,
        &key,
        vec![Value::Int8(2), Value::Text("owner2".into()), Value::Null],
    )
    .unwrap();
    txn.commit();
    let before = everything(&db);
    let mut txn = db.begin_write();
    let mut not_null = txn.db().table(id).schema().as_ref().clone();
    not_null.columns[2].nullable = false;
    assert!(matches!(
        txn.alter_table(not_null),
        Err(DbError::ColumnContainsNulls { column, .. }) if column == "balance"
    ));
    let required = ColumnSchema {
        name: "required".into(),
        data_type: DataType::Int4,
        nullable: false,
        default: None,
        identity: None,
    };
    assert!(matches!(
        txn.add_column(id, required, ColumnFill::Same(Value::Null)),
        Err(DbError::ColumnContainsNulls { column, .. }) if column == "required"
    ));
    let mut renamed = txn.db().table(id).schema().as_ref().clone();
    renamed.name = "accounts_owner_key".into();
    assert!(matches!(
        txn.alter_table(renamed),
        Err(DbError::DuplicateRelation(_))
    ));
    drop(txn);
    assert_eq!(everything(&db), before);
}

/// A snapshot whose table was rebuilt between its batches (ADD COLUMN) gives
/// up on the copy, since its catalog could not load the new rows; a rename
/// between batches does not matter to the rows.
#[test]
fn a_snapshot_gives_up_on_a_table_rebuilt_under_it() {
    let (mut db, id) = database_with_accounts(3);
    let schema = db.table(id).schema().clone();
    let mut txn = db.begin_write();
    let mut renamed = schema.as_ref().clone();
    renamed.name = "ledger".into();
    txn.alter_table(renamed).unwrap();
    txn.commit();
    assert!(db.snapshot_rows(id, &schema, None, 2).is_some());
    let mut txn = db.begin_write();
    let extra = ColumnSchema {
        name: "extra".into(),
        data_type: DataType::Bool,
        nullable: true,
        default: None,
        identity: None,
    };
    txn.add_column(id, extra, ColumnFill::Same(Value::Bool(true)))
        .unwrap();
    txn.commit();
    assert!(db.snapshot_rows(id, &schema, None, 2).is_none());
}

/// A stand-in for the SQL layer's evaluator: a constraint whose text is
/// `positive:<column position>` holds when that column is NULL or above 0.
struct PositiveColumns;

impl CheckEvaluator for PositiveColumns {
    fn first_violated(
        &self,
        _db: &Database,
        table: &Arc<TableSchema>,
        values: &[Value],
    ) -> Result<Option<usize>, DbError> {
        Ok(table.checks.iter().position(|check| {
            let column: usize = check.expr["positive:".len()..].parse().unwrap();
            values[column].as_i64().is_some_and(|v| v <= 0)
        }))
    }
}

fn positive(name: &str, column: usize, validated: bool) -> CheckConstraint {
    CheckConstraint {
        name: name.into(),
        expr: format!("positive:{column}"),
        validated,
        no_inherit: false,
    }
}

/// Every way the store writes a row asks the CHECK evaluator: an insert, an
/// update, a module's update by the row's own key, a table rebuilt by ADD
/// COLUMN, and an ALTER TABLE adding a validated constraint (not one added NOT
/// VALID, which only new rows must keep). Each refusal changes nothing.
#[test]
fn every_write_keeps_check_constraints() {
    let (mut db, id) = database_with_accounts(2);
    db.set_check_evaluator(Arc::new(PositiveColumns));
    let mut txn = db.begin_write();
    let mut schema = txn.db().table(id).schema().as_ref().clone();
    schema.checks.push(positive("balance_positive", 2, true));
    txn.alter_table(schema).unwrap();
    txn.commit();
    let before = everything(&db);
    let start = [
        db.snapshot_catalog(),
        db.snapshot_rows(id, db.table(id).schema(), None, 100)
            .unwrap()
            .0,
    ];

    let mut txn = db.begin_write();
    let violation = |e: DbError| matches!(e, DbError::CheckViolation { ref constraint, ref detail, .. } if constraint == "balance_positive" && detail == "Failing row contains (3, three, 0).");
    assert!(violation(
        txn.insert(id, account(3, "three", 0)).unwrap_err()
    ));
    let key = account_key(&txn, id, 1);
    assert!(matches!(
        txn.update(id, &key, account(1, "owner1", -5)),
        Err(DbError::CheckViolation { .. })
    ));
    assert!(matches!(
        txn.update_encoded_by_own_key(id, Row::encode(&account(2, "owner2", -1)), None),
        Err(DbError::CheckViolation { .. })
    ));
    txn.insert(
        id,
        vec![Value::Int8(4), Value::Text("four".into()), Value::Null],
    )
    .unwrap();
    txn.rollback();
    assert_eq!(everything(&db), before);

    let mut txn = db.begin_write();
    let mut schema = txn.db().table(id).schema().as_ref().clone();
    schema.columns.push(ColumnSchema {
        name: "score".into(),
        data_type: DataType::Int8,
        nullable: true,
        default: None,
        identity: None,
    });
    // Rebuilt rows are checked against the constraints they must keep.
    let mut with_check = txn.db().table(id).schema().as_ref().clone();
    with_check.checks.push(positive("first_positive", 0, true));
    txn.alter_table(with_check).unwrap();
    let score = schema.columns.pop().unwrap();
    txn.add_column(id, score.clone(), ColumnFill::Same(Value::Int8(0)))
        .unwrap();
    let mut scored = txn.db().table(id).schema().as_ref().clone();
    scored.checks.push(positive("score_positive", 3, true));
    assert!(matches!(
        txn.alter_table(scored.clone()),
        Err(DbError::CheckViolatedByRow { ref constraint, .. }) if constraint == "score_positive"
    ));
    scored.checks.last_mut().unwrap().validated = false;
    txn.alter_table(scored).unwrap();
    let key = account_key(&txn, id, 1);
    assert!(matches!(
        txn.update(
            id,
            &key,
            vec![
                Value::Int8(1),
                Value::Text("owner1".into()),
                Value::Int8(10),
                Value::Int8(0)
            ]
        ),
        Err(DbError::CheckViolation { ref constraint, .. }) if constraint == "score_positive"
    ));
    let redo = txn.commit();
    let mut replica = Database::load_snapshot(&start).unwrap();
    replica.apply_redo(redo.payload()).unwrap();
    assert_eq!(
        replica.table(id).schema().checks,
        db.table(id).schema().checks,
        "the log keeps the constraints, validated or not"
    );
}
