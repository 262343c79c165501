//! The in-process cost of one reducer call: `transfer` of the bank example on a
//! 100,000-account table, through the module host (the component boundary, the
//! host's checks, the store's undo and redo), with no network, no turnstile and no
//! log. Next to it, the same transfer written in Rust against the store directly:
//! the difference is what running it as a WebAssembly module costs.
//!
//! Both run again on 1,000 accounts, a table that stays in the CPU's caches: the
//! difference between the sizes is what the primary key map's cache misses cost
//! (about 0.4 µs of the native transfer on the 2-core benchmark machine, more of
//! the module's, whose own memory they evict), which no instruction count shows.
//!
//! `cargo bench --bench reducer_call`. The target (issue 5) is at most 2 µs a call
//! on 100,000 accounts.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use turnstile::db::{ColumnSchema, Database, Key, RoutineKind, TableSchema, WriteTxn};
use turnstile::module::{routines, Budgets, CallInfo, ModuleHost};
use turnstile::server::BANK_MODULE;
use turnstile::types::{DataType, Value};

/// The table sizes: the target's, and one that fits the caches.
const ACCOUNTS: [i64; 2] = [100_000, 1_000];

/// The server's allocator (`src/bin/turnstile.rs` says why), so that the figure is
/// what a call costs in the server: a call allocates a dozen short-lived buffers on
/// the host side, and the allocator's share of it differs by a third between
/// glibc's and jemalloc.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// A database holding the bank's `accounts` table with `accounts` rows.
fn bank_database(accounts: i64) -> Database {
    let mut db = Database::new();
    let mut txn = db.begin_write();
    let column = |name: &str, data_type| ColumnSchema {
        name: name.into(),
        data_type,
        nullable: false,
        default: None,
        identity: None,
    };
    let table = txn
        .create_table(TableSchema {
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
        })
        .expect("create accounts");
    for id in 1..=accounts {
        let row = vec![
            Value::Int8(id),
            Value::Text(format!("owner {id}")),
            Value::Int8(1_000_000),
        ];
        txn.insert(table, row).expect("insert an account");
    }
    txn.commit();
    db
}

/// Account ids among `1..=accounts`, drawn uniformly, without a clock or shared
/// state.
struct Ids {
    state: u64,
    accounts: i64,
}

impl Ids {
    fn new(accounts: i64) -> Ids {
        Ids {
            state: 0x9E37_79B9_7F4A_7C15,
            accounts,
        }
    }

    fn next(&mut self) -> i64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        (self.state % self.accounts as u64) as i64 + 1
    }
}

fn transfer(c: &mut Criterion) {
    let mut host = ModuleHost::new(Budgets::default()).expect("a module host");
    let bank = host
        .load("bank", BANK_MODULE)
        .expect("the bank module loads");
    let routine = routines(bank.name(), bank.description())
        .into_iter()
        .find(|r| r.name == "transfer" && r.kind == RoutineKind::Reducer)
        .expect("the bank has transfer");
    let info = CallInfo {
        timestamp_us: 0,
        caller: "bench".into(),
        time_limit: Duration::MAX,
        cancel: None,
        rows_max: usize::MAX,
    };

    for accounts in ACCOUNTS {
        let mut db = bank_database(accounts);
        bank.check_catalog(&db)
            .expect("the table matches the module");
        let mut ids = Ids::new(accounts);
        let name = |how: &str| format!("transfer, {how}, {accounts} accounts");
        bench_transfers(
            c,
            &name("wasm reducer"),
            &mut db,
            &mut ids,
            |txn, src, dst| {
                let args = [Value::Int8(src), Value::Int8(dst), Value::Int8(1)];
                bank.call_reducer(txn, &routine, &args, &info)
                    .expect("the transfer succeeds");
            },
        );
        let table = db.get_table("accounts").expect("accounts").schema().id;
        bench_transfers(
            c,
            &name("native Rust"),
            &mut db,
            &mut ids,
            |txn, src, dst| {
                for (id, delta) in [(src, -1), (dst, 1)] {
                    let key = Key::Int(id);
                    let accounts = txn.db().table(table);
                    let mut row = accounts.decode(accounts.get(&key).expect("the account exists"));
                    let Value::Int8(balance) = row[2] else {
                        unreachable!("balance is a bigint")
                    };
                    row[2] = Value::Int8(balance + delta);
                    txn.update(table, &key, row).expect("update");
                }
            },
        );
    }
    // The host's epoch ticker runs until here.
    drop(host);
}

/// Benchmarks `transfer` between two accounts from `ids`, each in a transaction of
/// its own that commits.
fn bench_transfers(
    c: &mut Criterion,
    name: &str,
    db: &mut Database,
    ids: &mut Ids,
    mut transfer: impl FnMut(&mut WriteTxn<'_>, i64, i64),
) {
    c.bench_function(name, |b| {
        b.iter(|| {
            let (src, dst) = (ids.next(), ids.next());
            let mut txn = db.begin_write();
            transfer(&mut txn, src, dst);
            txn.commit()
        })
    });
}

criterion_group!(benches, transfer);
criterion_main!(benches);
