//! Tests of the turnstile: all-or-nothing writes, panics contained, and sessions
//! that never block on the lock.

use std::future::pending;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use super::admission::LockClass;

use super::*;
use crate::db::{ColumnSchema, Database, DbError, TableSchema};
use crate::types::{DataType, Value};

fn start() -> Turnstile {
    Turnstile::start(
        Database::new(),
        TurnstileConfig {
            reader_threads: 2,
            queue_capacity: 16,
            ..TurnstileConfig::default()
        },
    )
    .unwrap()
}

async fn create_numbers(turnstile: &Turnstile) {
    turnstile
        .write("test", |txn| {
            txn.create_table(TableSchema {
                id: 0,
                name: "numbers".into(),
                columns: vec![ColumnSchema {
                    name: "n".into(),
                    data_type: DataType::Int8,
                    nullable: false,
                    default: None,
                    identity: None,
                }],
                primary_key: Some(vec![0]),
                primary_key_constraint: None,
                checks: Vec::new(),
                foreign_keys: Vec::new(),
            })
        })
        .await
        .unwrap()
        .unwrap();
}

async fn count_numbers(turnstile: &Turnstile) -> usize {
    turnstile
        .read("test", |db| db.must_get_table("numbers").unwrap().len())
        .await
        .unwrap()
}

/// A write that fails halfway (the second insert violates the primary key) is
/// rolled back as a whole: readers see none of it.
#[tokio::test]
async fn failed_write_changes_nothing() {
    let turnstile = start();
    create_numbers(&turnstile).await;
    let result = turnstile
        .write("test", |txn| {
            let id = txn.db().must_get_table("numbers")?.schema().id;
            txn.insert(id, vec![Value::Int8(1)])?;
            txn.insert(id, vec![Value::Int8(1)])?;
            Ok::<_, DbError>(())
        })
        .await
        .unwrap();
    assert!(matches!(result, Err(DbError::UniqueViolation { .. })));
    assert_eq!(count_numbers(&turnstile).await, 0);
}

/// A panicking write is reported as an error, rolled back, and the writer thread
/// keeps serving requests.
#[tokio::test]
async fn panicking_write_is_contained() {
    let turnstile = start();
    create_numbers(&turnstile).await;
    let result = turnstile
        .write("test", |txn| {
            let id = txn.db().must_get_table("numbers").unwrap().schema().id;
            txn.insert(id, vec![Value::Int8(7)]).unwrap();
            if txn.db().table(id).len() == 1 {
                panic!("bug in a statement");
            }
            Ok::<_, DbError>(())
        })
        .await;
    assert!(matches!(result, Err(TurnstileError::Panicked(ref m)) if m == "bug in a statement"));
    assert_eq!(count_numbers(&turnstile).await, 0);
    create_numbers_again_fails(&turnstile).await;
}

async fn create_numbers_again_fails(turnstile: &Turnstile) {
    let result = turnstile
        .write("test", |txn| {
            txn.create_table(TableSchema {
                id: 0,
                name: "numbers".into(),
                columns: vec![],
                primary_key: None,
                primary_key_constraint: None,
                checks: Vec::new(),
                foreign_keys: Vec::new(),
            })
        })
        .await
        .unwrap();
    assert_eq!(result, Err(DbError::DuplicateRelation("numbers".into())));
}

/// While a writer holds the write lock (parked inside its request), a session on a
/// single-threaded runtime still makes progress: waiting for the lock happens on the
/// turnstile's threads, never on a tokio worker.
#[tokio::test(flavor = "current_thread")]
async fn sessions_never_block_on_the_lock() {
    let turnstile = start();
    create_numbers(&turnstile).await;
    let (writer, release) = park_writer(&turnstile).await;
    // A read now queues behind the writer; the runtime itself must stay free.
    let reader = tokio::spawn({
        let turnstile = turnstile.clone();
        async move { count_numbers(&turnstile).await }
    });
    let progress = tokio::spawn(async { 42 }).await.unwrap();
    assert_eq!(progress, 42, "another task ran while the lock was held");
    assert!(!reader.is_finished(), "the read waits for the writer");
    release.send(()).unwrap();
    writer.await.unwrap().unwrap().unwrap();
    assert_eq!(
        reader.await.unwrap(),
        1,
        "the read sees the writer's commit"
    );
}

/// Starts a write that inserts 1 into `numbers` and then parks, holding the write
/// lock, until the returned sender is signalled; returns once the writer thread is
/// inside it. The wait for that happens off the runtime, so a current-thread
/// runtime keeps running the spawned task.
async fn park_writer(
    turnstile: &Turnstile,
) -> (
    tokio::task::JoinHandle<Result<Result<(), DbError>, TurnstileError>>,
    mpsc::Sender<()>,
) {
    let (entered_tx, entered_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let writer = tokio::spawn({
        let turnstile = turnstile.clone();
        async move {
            turnstile
                .write("test", move |txn| {
                    let id = txn.db().must_get_table("numbers")?.schema().id;
                    txn.insert(id, vec![Value::Int8(1)])?;
                    entered_tx.send(()).unwrap();
                    release_rx.recv().unwrap();
                    Ok::<_, DbError>(())
                })
                .await
        }
    });
    tokio::task::yield_now().await;
    tokio::task::spawn_blocking(move || entered_rx.recv_timeout(Duration::from_secs(30)).unwrap())
        .await
        .unwrap();
    (writer, release_tx)
}

/// With a write-ahead log, every acknowledged write is in the log: recovering the
/// data directory after the turnstile stops gives the same tables, and a write
/// that failed left no trace there.
#[tokio::test]
async fn commits_recover_from_the_log() {
    use crate::wal::{OnDamage, Wal, WalConfig};
    let data_dir = std::env::temp_dir().join(format!("turnstile-durable-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let config = WalConfig {
        dir: crate::db::wal_dir(&data_dir),
        segment_size_bytes: 1 << 20,
        flush_interval: Duration::from_millis(50),
        buffer_cap_bytes: 1 << 20,
        faults: Default::default(),
    };
    {
        let wal = Arc::new(Wal::start(config, 1, 0).unwrap());
        let turnstile = Turnstile::start_with_wal(
            Database::new(),
            TurnstileConfig {
                reader_threads: 1,
                queue_capacity: 16,
                ..TurnstileConfig::default()
            },
            Some(Durable {
                wal: wal.clone(),
                snapshot_dir: crate::db::snapshot_dir(&data_dir),
            }),
        )
        .unwrap();
        create_numbers(&turnstile).await;
        for n in 0..10 {
            turnstile
                .write("test", move |txn| {
                    let id = txn.db().must_get_table("numbers")?.schema().id;
                    txn.insert(id, vec![Value::Int8(n)]).map(|_| ())
                })
                .await
                .unwrap()
                .unwrap();
        }
        assert_eq!(wal.durable_lsn(), 11, "acknowledged writes are durable");
        let failed = turnstile
            .write("test", |txn| {
                let id = txn.db().must_get_table("numbers")?.schema().id;
                txn.insert(id, vec![Value::Int8(100)])?;
                txn.insert(id, vec![Value::Int8(0)]).map(|_| ())
            })
            .await
            .unwrap();
        assert!(failed.is_err());
    }
    let recovered = crate::db::recover(&data_dir, OnDamage::Refuse).unwrap();
    let numbers = recovered.db.must_get_table("numbers").unwrap();
    let values: Vec<i64> = numbers
        .scan()
        .map(|(_, row)| numbers.decode(row)[0].as_i64().unwrap())
        .collect();
    assert_eq!(values, (0..10).collect::<Vec<_>>());
    assert_eq!(recovered.next_lsn, 12);
    std::fs::remove_dir_all(&data_dir).unwrap();
}

/// A durable turnstile over a fresh data directory, for snapshot tests.
fn durable(data_dir: &std::path::Path, segment_size_bytes: u64) -> Turnstile {
    durable_flushing_every(data_dir, segment_size_bytes, Duration::from_millis(5))
}

/// A durable turnstile whose log flushes every `flush_interval` when nobody waits.
fn durable_flushing_every(
    data_dir: &std::path::Path,
    segment_size_bytes: u64,
    flush_interval: Duration,
) -> Turnstile {
    use crate::wal::{Wal, WalConfig};
    let recovered = crate::db::recover(data_dir, crate::wal::OnDamage::Refuse).unwrap();
    let config = WalConfig {
        dir: crate::db::wal_dir(data_dir),
        segment_size_bytes,
        flush_interval,
        buffer_cap_bytes: 1 << 20,
        faults: Default::default(),
    };
    let wal = Wal::start(config, recovered.next_lsn, recovered.log_bytes).unwrap();
    Turnstile::start_with_wal(
        recovered.db,
        TurnstileConfig {
            reader_threads: 2,
            queue_capacity: 64,
            ..TurnstileConfig::default()
        },
        Some(Durable {
            wal: Arc::new(wal),
            snapshot_dir: crate::db::snapshot_dir(data_dir),
        }),
    )
    .unwrap()
}

async fn insert_numbers(turnstile: &Turnstile, numbers: std::ops::Range<i64>) {
    turnstile
        .write("test", move |txn| {
            let id = txn.db().must_get_table("numbers")?.schema().id;
            for n in numbers {
                txn.insert(id, vec![Value::Int8(n)])?;
            }
            Ok::<_, DbError>(())
        })
        .await
        .unwrap()
        .unwrap();
}

/// Restarting from a snapshot plus the log written after it gives every row,
/// including those written while the snapshot was being copied; a second snapshot
/// lets the log drop segments the older snapshot covers, and recovery still works.
#[tokio::test]
async fn snapshot_then_more_log_recovers() {
    let data_dir = std::env::temp_dir().join(format!("turnstile-snap-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    {
        let turnstile = durable(&data_dir, 4096);
        create_numbers(&turnstile).await;
        for chunk in 0..10 {
            insert_numbers(&turnstile, chunk * 1000..(chunk + 1) * 1000).await;
        }
        let (info, ()) = tokio::join!(
            turnstile.snapshot(),
            insert_numbers(&turnstile, 10_000..10_100)
        );
        let info = info.unwrap();
        assert!(info.rows >= 10_000, "{info:?}");
        insert_numbers(&turnstile, 20_000..20_010).await;
        let segments_before = crate::wal::segment::list_segments(&crate::db::wal_dir(&data_dir))
            .unwrap()
            .len();
        turnstile.snapshot().await.unwrap();
        insert_numbers(&turnstile, 30_000..30_010).await;
        let segments_after = crate::wal::segment::list_segments(&crate::db::wal_dir(&data_dir))
            .unwrap()
            .len();
        assert!(
            segments_after < segments_before,
            "{segments_after} < {segments_before}"
        );
    }
    let recovered = crate::db::recover(&data_dir, crate::wal::OnDamage::Refuse).unwrap();
    assert!(recovered.snapshot_lsn > 0);
    let numbers = recovered.db.must_get_table("numbers").unwrap();
    let mut expected: Vec<i64> = (0..10_100).collect();
    expected.extend(20_000..20_010);
    expected.extend(30_000..30_010);
    let values: Vec<i64> = numbers
        .scan()
        .map(|(_, row)| numbers.decode(row)[0].as_i64().unwrap())
        .collect();
    assert_eq!(values, expected);
    std::fs::remove_dir_all(&data_dir).unwrap();
}

/// A table that takes a primary key while a snapshot is being copied (here between
/// the snapshot's catalog and its first batch) left a snapshot whose rows were keyed
/// as its catalog says they cannot be, which recovery refused to load: now the copy
/// starts again, and the snapshot loads. The order is forced under the `fair`
/// policy, whose phases alternate and take what was queued when they began: a
/// write parked inside the lock holds it while the snapshot's first read and then
/// the ALTER queue, so that once it is released the read runs, then the ALTER,
/// then the snapshot's next read.
#[tokio::test]
async fn a_table_rekeyed_during_a_snapshot_restarts_it() {
    let data_dir = std::env::temp_dir().join(format!("turnstile-rekey-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let info = {
        let turnstile = durable(&data_dir, 1 << 20);
        let table = turnstile
            .write("create", |txn| {
                let table = txn.create_table(TableSchema {
                    id: 0,
                    name: "keyless".into(),
                    columns: vec![ColumnSchema {
                        name: "n".into(),
                        data_type: DataType::Text,
                        nullable: false,
                        default: None,
                        identity: None,
                    }],
                    primary_key: None,
                    primary_key_constraint: None,
                    checks: Vec::new(),
                    foreign_keys: Vec::new(),
                })?;
                for n in 0..10 {
                    txn.insert(table, vec![Value::Text(format!("row {n}"))])?;
                }
                Ok::<_, DbError>(table)
            })
            .await
            .unwrap()
            .unwrap();
        let (entered_tx, entered_rx) = mpsc::channel::<()>();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let parked = tokio::spawn({
            let turnstile = turnstile.clone();
            async move {
                turnstile
                    .write("parked", move |_| {
                        entered_tx.send(()).unwrap();
                        release_rx.recv().unwrap();
                        Ok::<_, DbError>(())
                    })
                    .await
            }
        });
        tokio::task::spawn_blocking(move || {
            entered_rx.recv_timeout(Duration::from_secs(30)).unwrap()
        })
        .await
        .unwrap();
        let snapshot = tokio::spawn({
            let turnstile = turnstile.clone();
            async move { turnstile.snapshot().await }
        });
        until_queued(&turnstile, LockClass::Read, 1).await;
        let alter = tokio::spawn({
            let turnstile = turnstile.clone();
            async move {
                turnstile
                    .write("alter", move |txn| {
                        txn.add_primary_key(table, vec![0], None)
                    })
                    .await
            }
        });
        until_queued(&turnstile, LockClass::Write, 1).await;
        release_tx.send(()).unwrap();
        parked.await.unwrap().unwrap().unwrap();
        alter.await.unwrap().unwrap().unwrap();
        let info = snapshot.await.unwrap().unwrap();
        let snapshot_reads = turnstile
            .status()
            .lock_metrics()
            .request_stats()
            .into_iter()
            .find(|r| r.request == "snapshot")
            .map_or(0, |r| r.wait.count);
        assert_eq!(
            snapshot_reads, 4,
            "a catalog and a batch that found the table re-keyed, then both again"
        );
        info
    };
    let recovered = crate::db::recover(&data_dir, crate::wal::OnDamage::Refuse).unwrap();
    assert_eq!(recovered.snapshot_lsn, info.lsn);
    let table = recovered.db.must_get_table("keyless").unwrap();
    assert_eq!(table.schema().primary_key, Some(vec![0]));
    assert_eq!(table.len(), 10);
    let files: Vec<String> = std::fs::read_dir(crate::db::snapshot_dir(&data_dir))
        .unwrap()
        .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files.iter().all(|f| f.ends_with(".snap")),
        "no abandoned copy left: {files:?}"
    );
    std::fs::remove_dir_all(&data_dir).unwrap();
}

/// A short read runs on the caller's task when the lock is free, and when a writer
/// holds the lock it queues for a reader thread instead of blocking the runtime
/// (try_read never waits), then sees the writer's commit.
#[tokio::test(flavor = "current_thread")]
async fn short_reads_never_block_the_runtime() {
    let turnstile = start();
    create_numbers(&turnstile).await;
    let here = std::thread::current().id();
    let ran_on = turnstile
        .read_short("test", |_| std::thread::current().id())
        .await
        .unwrap();
    assert_eq!(ran_on, here, "a free lock is taken on the caller's thread");
    let (writer, release_tx) = park_writer(&turnstile).await;
    let reader = tokio::spawn({
        let turnstile = turnstile.clone();
        async move {
            turnstile
                .read_short("test", |db| db.must_get_table("numbers").unwrap().len())
                .await
        }
    });
    assert_eq!(
        tokio::spawn(async { 7 }).await.unwrap(),
        7,
        "the runtime is free"
    );
    assert!(!reader.is_finished());
    release_tx.send(()).unwrap();
    writer.await.unwrap().unwrap().unwrap();
    assert_eq!(reader.await.unwrap().unwrap(), 1);
}

/// A short write commits on the caller's task when the lock is free, and only
/// once its log record is durable when it asks for that (the log flushes once
/// an hour unless someone waits); when a writer holds the lock it queues for the
/// writer thread instead of blocking the runtime, and commits after it.
#[tokio::test(flavor = "current_thread")]
async fn short_writes_never_block_the_runtime() {
    let data_dir = std::env::temp_dir().join(format!("turnstile-short-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    {
        let turnstile = durable_flushing_every(&data_dir, 1 << 20, Duration::from_secs(3600));
        create_numbers(&turnstile).await;
        let insert = |n: i64| {
            move |txn: &mut crate::db::WriteTxn<'_>| {
                let id = txn.db().must_get_table("numbers")?.schema().id;
                txn.insert(id, vec![Value::Int8(n)])?;
                Ok::<_, DbError>(std::thread::current().id())
            }
        };
        let here = std::thread::current().id();
        let ran_on = turnstile
            .write_maybe_short("test", true, Durability::Durable, pending(), insert(7))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ran_on, here, "a free lock is taken on the caller's thread");
        let wal = turnstile.wal().unwrap().clone();
        assert!(
            wal.durable_lsn() >= wal.stats().written_lsn,
            "acknowledged before its record was durable: {:?}",
            wal.stats()
        );
        let (writer, release_tx) = park_writer(&turnstile).await;
        let short = tokio::spawn({
            let turnstile = turnstile.clone();
            async move {
                turnstile
                    .write_maybe_short("test", true, Durability::Visible, pending(), insert(8))
                    .await
            }
        });
        assert_eq!(
            tokio::spawn(async { 7 }).await.unwrap(),
            7,
            "the runtime is free"
        );
        assert!(!short.is_finished());
        release_tx.send(()).unwrap();
        writer.await.unwrap().unwrap().unwrap();
        let queued_on = short.await.unwrap().unwrap().unwrap();
        assert_ne!(queued_on, here, "a busy lock sends it to the writer thread");
        let count = turnstile
            .read("test", |db| db.must_get_table("numbers").unwrap().len())
            .await
            .unwrap();
        assert_eq!(count, 3);
    }
    std::fs::remove_dir_all(&data_dir).unwrap();
}

/// A session's task that holds the write lock runs the short writes queued
/// meanwhile and answers them (combining); a write that is not short waits for
/// the writer thread, which also takes the short writes queued after it. The
/// holder's write parks inside the lock until three writes have queued behind it
/// (the lock batch's time is an hour, so no clock decides anything here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_holding_the_lock_runs_the_short_writes_queued_behind_it() {
    let turnstile = Turnstile::start(
        Database::new(),
        TurnstileConfig {
            admission: AdmissionConfig {
                batch_time: Duration::from_secs(3600),
                ..AdmissionConfig::default()
            },
            ..TurnstileConfig::default()
        },
    )
    .unwrap();
    create_numbers(&turnstile).await;
    let insert = |n: i64| {
        move |txn: &mut crate::db::WriteTxn<'_>| {
            let id = txn.db().must_get_table("numbers")?.schema().id;
            txn.insert(id, vec![Value::Int8(n)])?;
            let thread = std::thread::current();
            Ok::<_, DbError>((thread.id(), thread.name().map(str::to_owned)))
        }
    };
    let (entered_tx, entered_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let holder = tokio::spawn({
        let turnstile = turnstile.clone();
        async move {
            let insert_1 = insert(1);
            turnstile
                .write_maybe_short("holder", true, Durability::Visible, pending(), move |txn| {
                    entered_tx.send(()).unwrap();
                    release_rx.recv().unwrap();
                    insert_1(txn)
                })
                .await
        }
    });
    tokio::task::spawn_blocking(move || entered_rx.recv_timeout(Duration::from_secs(30)).unwrap())
        .await
        .unwrap();
    let mut queued = Vec::new();
    for (n, short) in [(2, true), (3, false), (4, true)] {
        queued.push(tokio::spawn({
            let turnstile = turnstile.clone();
            async move {
                turnstile
                    .write_maybe_short("queued", short, Durability::Visible, pending(), insert(n))
                    .await
            }
        }));
        until_queued(&turnstile, LockClass::Write, queued.len()).await;
    }
    release_tx.send(()).unwrap();
    let (holder_thread, _) = holder.await.unwrap().unwrap().unwrap();
    let mut ran_on = Vec::new();
    for write in queued {
        ran_on.push(write.await.unwrap().unwrap().unwrap());
    }
    assert_eq!(ran_on[0].0, holder_thread, "the short write queued first");
    for (thread, name) in &ran_on[1..] {
        assert_ne!(*thread, holder_thread);
        assert_eq!(name.as_deref(), Some("turnstile-writer"));
    }
    assert_eq!(count_numbers(&turnstile).await, 4);
}

/// A write still queued when its `withdraw` completes is given up: its caller
/// hears `Withdrawn` while the lock is still held by another write, and the write
/// never runs, even when its turn comes. A write that has started is not withdrawn:
/// its caller waits for it and gets its outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_write_is_withdrawn_and_a_running_one_is_not() {
    let turnstile = start();
    create_numbers(&turnstile).await;
    let insert = |n: i64| {
        move |txn: &mut crate::db::WriteTxn<'_>| {
            let id = txn.db().must_get_table("numbers")?.schema().id;
            txn.insert(id, vec![Value::Int8(n)])
        }
    };
    // A write parks inside the lock until released.
    let parked_write = |n: i64| {
        let (entered_tx, entered_rx) = mpsc::channel::<()>();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (withdraw_tx, withdraw_rx) = tokio::sync::oneshot::channel::<()>();
        let write = tokio::spawn({
            let turnstile = turnstile.clone();
            async move {
                let withdraw = async move {
                    let _ = withdraw_rx.await;
                };
                turnstile
                    .write_with("parked", Durability::Visible, withdraw, move |txn| {
                        entered_tx.send(()).unwrap();
                        release_rx.recv().unwrap();
                        insert(n)(txn)
                    })
                    .await
            }
        });
        (write, entered_rx, release_tx, withdraw_tx)
    };
    let entered = |rx: mpsc::Receiver<()>| {
        tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(30)).unwrap())
    };

    let (holder, holder_entered, release_holder, _keep_holder) = parked_write(1);
    entered(holder_entered).await.unwrap();
    let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (withdraw_tx, withdraw_rx) = tokio::sync::oneshot::channel::<()>();
    let queued = tokio::spawn({
        let (turnstile, ran) = (turnstile.clone(), ran.clone());
        async move {
            let withdraw = async move {
                let _ = withdraw_rx.await;
            };
            turnstile
                .write_with("queued", Durability::Visible, withdraw, move |txn| {
                    ran.store(true, std::sync::atomic::Ordering::SeqCst);
                    insert(2)(txn)
                })
                .await
        }
    });
    until_queued(&turnstile, LockClass::Write, 1).await;
    withdraw_tx.send(()).unwrap();
    let withdrawn = tokio::time::timeout(Duration::from_secs(30), queued)
        .await
        .expect("the withdrawn write answers while the lock is still held")
        .unwrap();
    assert!(
        matches!(withdrawn, Err(TurnstileError::Withdrawn)),
        "{withdrawn:?}"
    );
    release_holder.send(()).unwrap();
    holder.await.unwrap().unwrap().unwrap();

    // Started, then asked to withdraw: it runs to its end and answers.
    let (started, started_entered, release_started, withdraw_started) = parked_write(3);
    entered(started_entered).await.unwrap();
    withdraw_started.send(()).unwrap();
    release_started.send(()).unwrap();
    started.await.unwrap().unwrap().unwrap();

    assert_eq!(count_numbers(&turnstile).await, 2, "rows 1 and 3");
    assert!(
        !ran.load(std::sync::atomic::Ordering::SeqCst),
        "the withdrawn write never ran"
    );
}

/// A confirmed read returns only once everything it saw is durable. The log flushes
/// once an hour unless someone waits, so after a `Visible` commit the durable LSN
/// lags the written one; the confirmed read sees that commit and so must make the
/// log durable up to it before it answers, which the stats then show. A plain read
/// afterwards needs no wait, and a snapshot is recorded for `turnstile_wal`.
#[tokio::test]
async fn confirmed_reads_wait_for_what_they_saw() {
    let data_dir = std::env::temp_dir().join(format!("turnstile-conf-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    {
        let turnstile = durable_flushing_every(&data_dir, 1 << 20, Duration::from_secs(3600));
        create_numbers(&turnstile).await;
        turnstile
            .write_with("test", Durability::Visible, pending(), |txn| {
                let id = txn.db().must_get_table("numbers")?.schema().id;
                txn.insert(id, vec![Value::Int8(7)])
            })
            .await
            .unwrap()
            .unwrap();
        let wal = turnstile.wal().unwrap().clone();
        let written = wal.stats().written_lsn;
        assert!(wal.durable_lsn() < written, "{:?}", wal.stats());
        let count = turnstile
            .read_confirmed("test", false, |db| {
                db.must_get_table("numbers").unwrap().len()
            })
            .await
            .unwrap();
        assert_eq!(count, 1);
        assert!(wal.durable_lsn() >= written, "{:?}", wal.stats());
        let short = turnstile
            .read_confirmed("test", true, |db| {
                db.must_get_table("numbers").unwrap().len()
            })
            .await
            .unwrap();
        assert_eq!(short, 1);
        assert_eq!(turnstile.last_snapshot(), None);
        let info = turnstile.snapshot().await.unwrap();
        let status = turnstile.status();
        assert_eq!(status.last_snapshot().map(|s| s.info), Some(info));
        assert_eq!(status.wal_stats().unwrap().written_lsn, written);
    }
    std::fs::remove_dir_all(&data_dir).unwrap();
}

/// Without a log, a confirmed read is a plain read: there is nothing to wait for.
#[tokio::test]
async fn confirmed_reads_without_a_log_do_not_wait() {
    let turnstile = start();
    create_numbers(&turnstile).await;
    let count = turnstile
        .read_confirmed("test", false, |db| {
            db.must_get_table("numbers").unwrap().len()
        })
        .await
        .unwrap();
    assert_eq!(count, 0);
    assert!(turnstile.status().wal_stats().is_none());
}

/// Dropping the last handle inside a tokio runtime never blocks the calling thread,
/// even while the writer is busy: the joins move to a thread of their own (they used
/// to run right there and stall a tokio worker until the running request ended).
/// The drop must return while a write job is still held up; the job is released
/// afterwards, and a drop outside a runtime still joins.
#[test]
fn drop_inside_a_runtime_does_not_block() {
    let turnstile = start();
    let (entered_tx, entered_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let write = rt.spawn({
        let turnstile = turnstile.clone();
        async move {
            turnstile
                .write("test", move |_txn| {
                    entered_tx.send(()).unwrap();
                    release_rx.recv().unwrap();
                    Ok::<(), DbError>(())
                })
                .await
        }
    });
    let (dropped_tx, dropped_rx) = mpsc::channel::<()>();
    let runner = std::thread::spawn(move || {
        rt.block_on(async move {
            while entered_rx.try_recv().is_err() {
                tokio::task::yield_now().await;
            }
            // The write's task still holds a handle; dropping it is not the last.
            write.abort();
            let _ = write.await;
            drop(turnstile);
            dropped_tx.send(()).unwrap();
        });
    });
    let returned = dropped_rx.recv_timeout(Duration::from_secs(10));
    release_tx.send(()).unwrap();
    runner.join().unwrap();
    assert!(
        returned.is_ok(),
        "the drop blocked while the writer was busy"
    );
}

/// Waits (yielding, no sleep) until `n` requests of `class` are queued.
async fn until_queued(turnstile: &Turnstile, class: LockClass, n: usize) {
    let status = turnstile.status();
    loop {
        let queued = status
            .lock_metrics()
            .phase_stats()
            .into_iter()
            .find(|p| p.class == class)
            .map_or(0, |p| p.queued);
        if queued == n {
            return;
        }
        tokio::task::yield_now().await;
    }
}

/// The policies with the real threads: while a write holds the lock, a read and
/// then two writes queue (in that order, checked on the queues); once the write
/// is released, the order they run in is the policy's. The starvation bound and
/// the read target are an hour, so no clock decides anything here.
#[tokio::test]
async fn policies_order_the_real_queues() {
    let cases = [
        (LockPolicy::Fair, ["r", "w2", "w3"]),
        (LockPolicy::ReadFirst, ["r", "w2", "w3"]),
        (LockPolicy::WriteFirst, ["w2", "w3", "r"]),
        (LockPolicy::Deadline, ["w2", "w3", "r"]),
    ];
    for (policy, expected) in cases {
        let turnstile = Turnstile::start(
            Database::new(),
            TurnstileConfig {
                admission: AdmissionConfig {
                    policy,
                    starvation_bound: Duration::from_secs(3600),
                    max_read_wait: Duration::from_secs(3600),
                    ..AdmissionConfig::default()
                },
                ..TurnstileConfig::default()
            },
        )
        .unwrap();
        create_numbers(&turnstile).await;
        let ran = Arc::new(parking_lot::Mutex::new(Vec::new()));
        let (writer, release_tx) = park_writer(&turnstile).await;
        let mut requests = Vec::new();
        for (name, class, queued) in [
            ("r", LockClass::Read, 1),
            ("w2", LockClass::Write, 1),
            ("w3", LockClass::Write, 2),
        ] {
            let (handle, ran) = (turnstile.clone(), ran.clone());
            requests.push(tokio::spawn(async move {
                let note = move || ran.lock().push(name);
                if class == LockClass::Read {
                    handle.read("test", move |_| note()).await.unwrap();
                } else {
                    handle
                        .write("test", move |_| {
                            note();
                            Ok::<_, DbError>(())
                        })
                        .await
                        .unwrap()
                        .unwrap();
                }
            }));
            until_queued(&turnstile, class, queued).await;
        }
        release_tx.send(()).unwrap();
        writer.await.unwrap().unwrap().unwrap();
        for request in requests {
            request.await.unwrap();
        }
        assert_eq!(*ran.lock(), expected, "{policy}");
    }
}
