//! Transaction blocks: `BEGIN … COMMIT` with optimistic concurrency, never holding
//! the lock across a client round trip.
//!
//! # Life of a transaction block
//!
//! A block is a list of statements the client sends one at a time, with its own
//! think time in between. Holding the global lock from BEGIN to COMMIT would let
//! one idle client stop every writer, so a block holds no lock between statements.
//! Instead it remembers what it did, and COMMIT makes it all happen at once, as
//! one write transaction with one WAL record, if — and only if — the result is the
//! same as if the whole block had run at that moment. Otherwise COMMIT answers
//! 40001 and changes nothing. Every block is therefore serializable: it appears to
//! have run entirely at the instant of its COMMIT.
//!
//! **Each statement** runs when it arrives, and the client gets its real answer
//! (its rows, its row count, its error), computed on the block's own writes (read
//! your own writes):
//! - A read in a block that has written nothing yet runs as any read does, under
//!   the read lock.
//! - A query, INSERT, UPDATE or DELETE in a block that changed no schema runs
//!   under the read lock *on the block's overlay*: the committed state, with the
//!   row images the block wrote laid over it by primary key. Its own changes are
//!   recorded and go into the overlay; nothing goes into the store (see
//!   `sql::overlay`, which also says what the overlay cannot answer and hands
//!   back).
//! - Anything else (CALL, COPY, DDL, what the overlay handed back, every
//!   statement of a block that changed the schema) is *rehearsed*: under the
//!   write lock, the block's earlier changes are made again on the committed
//!   state ([`WriteTxn::replay`]), the statement runs on top of them, its changes
//!   are recorded, and everything is rolled back before the lock is released
//!   ([`Turnstile::rehearse`](crate::turnstile::Turnstile::rehearse)). The lock is
//!   held for that one statement, as for an autocommit write (on the session's
//!   own task when the block is small, the statement's last plan was a point
//!   read or a write of a few rows by primary key, and the lock is free right
//!   now, saving the hand-off to the writer thread). The images the rehearsal
//!   left are copied into the overlay before the rollback.
//!
//! While a statement runs, every table access goes through the scan layer, which
//! notes in the statement's [`ReadLog`] what it read from the committed state: a
//! row looked up by its whole primary key (with a hash of its image, or its
//! absence), or, for anything wider (a scan, a range, a secondary index), the
//! table and its version (the number of committed transactions that changed it).
//! Rows the block itself wrote are not committed state; reading one instead marks
//! the statement that wrote it as *observed*.
//!
//! **COMMIT** takes the write lock once and:
//! 1. checks that no schema change committed since the block began;
//! 2. validates the reads of every statement whose result the client saw — every
//!    query, and every write that returned rows (`RETURNING`), drew from a
//!    sequence (its values are the block's, and `currval` may have shown them;
//!    see `db::sequence`) or whose rows a later statement read: each row still
//!    has the image it had, each scanned table the version it had;
//! 3. makes the block's writes again, in order, on the state committed now:
//!    - an observed write replays its recorded changes (its inputs were just
//!      validated, so they are still right; values the client saw, such as a
//!      `gen_random_uuid()` it got back, are kept);
//!    - a write nobody observed — `UPDATE accounts SET balance = balance + 10
//!      WHERE id = 1` whose only answer was `UPDATE 1` — runs again on the current
//!      state (with the plan its rehearsal made, unless the catalog changed since),
//!      and must report the same row count it reported then, and must not draw
//!      from a sequence (it did not when it ran). Its reads
//!      need no validation: nothing the client saw depends on them. This is what
//!      lets many blocks update the same hot row (pgbench's 16 branch rows)
//!      without failing each other. If it now changes other rows than it did
//!      then (`WHERE id IN (SELECT …)` picking other ids), the block's later
//!      statements did not see those changes: any of them that read those rows
//!      fails the COMMIT ([`Diverged`]), since what it returned or recorded would
//!      no longer be what it makes at COMMIT. (When everything such a write read
//!      was a row by primary key that has not changed, running it again would
//!      make exactly the changes it made, so those are replayed instead: same
//!      result, no binding or planning);
//!    - a reducer call runs again and must succeed; if a later statement read its
//!      rows, it must also make exactly the changes it made before (reducers are
//!      deterministic given the state, and get the same timestamp);
//! 4. commits: one redo record, acknowledged per `synchronous_commit`.
//!
//! Any failure in 1–3 rolls everything back and answers 40001 with a detail
//! saying what changed; the client retries the block.
//!
//! **A block that has not written** is consistent statement by statement: each
//! statement, under the lock it reads under and after it has read, confirms that
//! everything the block's earlier statements read still holds, or answers 40001
//! ([`ReadLog::confirm_earlier`]). So everything the block has returned is what
//! it would have returned at that statement's moment, as from PostgreSQL's
//! snapshot, even for a client that never commits (pg_dump reads a whole
//! database in one `REPEATABLE READ, READ ONLY` block and disconnects); unlike
//! PostgreSQL's snapshot, a concurrent change to what the block read fails the
//! block's next statement instead of staying invisible to it. COMMIT of such a
//! block takes no lock.
//!
//! **Why this is serializable.** The client's view of the block is the rows and
//! row counts it was sent. Step 2 proves that every row set it was sent is what
//! the same statement would return at COMMIT, given the block's earlier writes;
//! step 3 proves the row counts and produces the writes on the current state. The
//! block's effects and answers are then exactly those of running it, alone, at
//! COMMIT. Validation is conservative: a scan fails on any committed change to its
//! table, even one outside the rows it looked at.
//!
//! **Costs and limits.** A statement on the overlay costs what it costs outside a
//! block, plus a hash probe per row it reads by key; only COMMIT takes the write
//! lock. A rehearsal replays the block's earlier changes, so a block of n
//! rehearsed writes costs O(n²) row changes under the lock in total. A block's
//! changes are capped (`--max-block-changes`, 54000 over it). DDL in a block is
//! rehearsed and replayed like any write (a rolled-back `CREATE TABLE` returns its
//! table id, so the replay gets the same ids); any schema change committed by
//! someone else during the block fails it.
//!
//! **Savepoints.** `SAVEPOINT` notes how many writes the block has; `ROLLBACK TO`
//! drops the writes after it (the block's index of written keys is rebuilt from
//! the writes that remain) and restores the settings and the transaction-level
//! advisory locks of that moment; `RELEASE`
//! forgets it. Reads made after a savepoint that was rolled back to stay in the
//! block and are validated at COMMIT: the client saw them. So do the values the
//! dropped writes drew from the block's own sequences: the last write kept
//! carries where they left them, as `nextval` is never undone.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::Hasher;
use std::sync::Arc;

use parking_lot::Mutex;
use sqlparser::ast::Statement;

use crate::db::{
    Change, ConstraintModes, Database, Key, Row, SequenceStorage, Table, TableId, WriteTxn,
};
use crate::types::{DataType, TimeZone, Value};

use super::advisory::TransactionHolds;
use super::context::StatementSettings;
use super::copy::CopyIn;
use super::overlay::{Overlay, OverlayTxn};
use super::plan_cache::{CachedWrite, UsedPlan};
use super::settings::Settings;
use super::system::nextval_outside_write;
use super::{exec, CommandTag, Output, QueryContext, SqlError};

/// The most changes a block may have for its rehearsals to run on the session's
/// task when the write lock is free (see `Turnstile::rehearse`).
pub const BLOCK_SMALL_CHANGES: usize = 64;

/// The most reads a small block's COMMIT may have to check for it to be short
/// (see [`Block::commit_is_short`]).
const BLOCK_SMALL_READS: usize = 64;

/// One thing a statement read from the committed state.
#[derive(Debug, Clone, PartialEq)]
pub enum Read {
    /// A row looked up by its whole primary key: a hash of its image then, or
    /// None if there was no row.
    Row {
        table: TableId,
        key: Key,
        image: Option<u64>,
    },
    /// Anything wider than one key: the table's version then.
    Table { table: TableId, version: u64 },
}

impl Read {
    /// True if `db` (the state committed now) still gives the same answer.
    fn holds(&self, db: &Database) -> bool {
        match self {
            Read::Row { table, key, image } => db
                .find_table(*table)
                .is_some_and(|t| t.get(key).map(row_hash) == *image),
            Read::Table { table, version } => db
                .find_table(*table)
                .is_some_and(|t| t.version() == *version),
        }
    }
}

fn row_hash(row: &Row) -> u64 {
    let mut hasher = rustc_hash::FxHasher::default();
    hasher.write(row.as_bytes());
    hasher.finish()
}

/// Which of the block's statements wrote what, so that a read of those rows can
/// mark the writers observed. Statements are numbered by their position among
/// the block's writes.
#[derive(Debug, Default, Clone)]
pub struct Written {
    tables: HashMap<TableId, WrittenTable>,
    /// Tables the block created: nothing about them is committed state.
    created: HashSet<TableId>,
}

#[derive(Debug, Default, Clone)]
struct WrittenTable {
    /// Every statement that changed the table.
    all: BTreeSet<usize>,
    /// Statements that changed every row at once (TRUNCATE, and the ALTER
    /// TABLEs that rebuild the rows).
    whole: BTreeSet<usize>,
    /// Statements that changed the row under each key.
    keys: HashMap<Key, BTreeSet<usize>>,
}

impl Written {
    /// Adds everything `other` says was written.
    fn merge(&mut self, other: &Written) {
        for (table, w) in &other.tables {
            let into = self.tables.entry(*table).or_default();
            into.all.extend(&w.all);
            into.whole.extend(&w.whole);
            for (key, writers) in &w.keys {
                into.keys.entry(key.clone()).or_default().extend(writers);
            }
        }
        self.created.extend(&other.created);
    }

    fn note(&mut self, statement: usize, db: &Database, change: &Change) {
        let mut note_key = |table: TableId, key: Option<Key>| {
            let written = self.tables.entry(table).or_default();
            written.all.insert(statement);
            if let Some(key) = key {
                written.keys.entry(key).or_default().insert(statement);
            }
        };
        match change {
            Change::Insert { table, values } => {
                let key = db
                    .find_table(*table)
                    .and_then(|t| t.primary_key_of_row(values));
                note_key(*table, key);
            }
            Change::Update { table, key, values } => {
                let new_key = db
                    .find_table(*table)
                    .and_then(|t| t.primary_key_of_row(values));
                note_key(*table, Some(key.clone()));
                note_key(*table, new_key);
            }
            Change::Delete { table, key } => note_key(*table, Some(key.clone())),
            // Every row changes, or its key does.
            Change::Truncate(table)
            | Change::AddColumn { table, .. }
            | Change::DropColumn { table, .. }
            | Change::AddPrimaryKey { table, .. }
            | Change::DropPrimaryKey(table)
            | Change::AlterColumnType { table, .. } => {
                note_key(*table, None);
                self.tables
                    .entry(*table)
                    .or_default()
                    .whole
                    .insert(statement);
            }
            Change::CreateTable(schema) => {
                self.created.insert(schema.id);
            }
            Change::DropTable(_)
            | Change::CreateIndex(_)
            | Change::DropIndex(_)
            | Change::CreateView(_)
            | Change::DropView(_)
            | Change::CreateSequence(_)
            | Change::DropSequence(_)
            | Change::AlterSequence { .. }
            | Change::SetSequence { .. }
            | Change::RestartSequence(_)
            | Change::SetColumnDefault { .. }
            | Change::AlterTable(_) => {}
        }
    }
}

/// What one statement of a block read, noted by the scan layer as it runs (see
/// `exec::scan`). Shared with the statement through its [`QueryContext`].
#[derive(Debug)]
pub struct ReadLog {
    written: Arc<Written>,
    noted: Mutex<Noted>,
    /// What the block's earlier statements read, to be confirmed when this
    /// one has run (see [`ReadLog::confirm_earlier`]).
    earlier: Option<EarlierReads>,
}

/// The reads of a block that has not written, which its next statement
/// confirms under the same lock hold.
#[derive(Debug)]
struct EarlierReads {
    schema_commits: Option<u64>,
    reads: Arc<Vec<Read>>,
    /// `Database::commits` when they were last confirmed: while it has not
    /// moved, they hold without looking.
    confirmed_at: Option<u64>,
}

#[derive(Debug, Default)]
struct Noted {
    reads: Vec<Read>,
    /// The block's statements whose rows this statement read.
    observed: BTreeSet<usize>,
    /// `Database::schema_commits` when the statement first read a table or
    /// the catalog.
    schema_commits: Option<u64>,
    /// `Database::commits` when the statement confirmed the block's reads,
    /// its own included (see [`ReadLog::confirm_earlier`]).
    confirmed_at: Option<u64>,
}

impl ReadLog {
    fn new(written: Arc<Written>, earlier: Option<EarlierReads>) -> ReadLog {
        ReadLog {
            written,
            noted: Mutex::new(Noted::default()),
            earlier,
        }
    }

    /// Under the lock the statement ran under, after it ran: 40001 unless
    /// everything the block's earlier statements read still holds. Then all
    /// the block has answered, this statement's rows included, is what it
    /// would have answered at this one moment, so a read-only block is
    /// consistent statement by statement, whether or not the client commits
    /// (pg_dump never does).
    pub fn confirm_earlier(&self, db: &Database) -> Result<(), SqlError> {
        if let Some(earlier) = &self.earlier {
            if earlier.confirmed_at != Some(db.commits()) {
                check_schema(earlier.schema_commits, db)?;
                validate(&earlier.reads, db)?;
            }
        }
        self.noted.lock().confirmed_at = Some(db.commits());
        Ok(())
    }

    /// The statement read the catalog (a system relation): from now on the
    /// block's view of the schema must hold, as if it had read a table.
    pub(super) fn catalog(&self, db: &Database) {
        self.noted
            .lock()
            .schema_commits
            .get_or_insert(db.schema_commits());
    }

    /// The statement looked up `key` in `table` and found `row`.
    pub(super) fn row(&self, db: &Database, table: &Table, key: &Key, row: Option<&Row>) {
        let id = table.schema().id;
        let mut noted = self.noted.lock();
        noted.schema_commits.get_or_insert(db.schema_commits());
        if self.created_table_read(id, &mut noted) {
            return;
        }
        if let Some(written) = self.written.tables.get(&id) {
            let writers: Vec<usize> = written
                .whole
                .iter()
                .chain(written.keys.get(key).into_iter().flatten())
                .copied()
                .collect();
            if !writers.is_empty() {
                noted.observed.extend(writers);
                return;
            }
        }
        noted.reads.push(Read::Row {
            table: id,
            key: key.clone(),
            image: row.map(row_hash),
        });
    }

    /// The statement read more of `table` than one key.
    pub(super) fn scan(&self, db: &Database, table: &Table) {
        let id = table.schema().id;
        let mut noted = self.noted.lock();
        noted.schema_commits.get_or_insert(db.schema_commits());
        if self.created_table_read(id, &mut noted) {
            return;
        }
        if let Some(written) = self.written.tables.get(&id) {
            noted.observed.extend(written.all.iter().copied());
        }
        noted.reads.push(Read::Table {
            table: id,
            version: table.version(),
        });
    }

    /// True if `table` is one the block created: it has no committed state to
    /// validate, but every row in it came from the block's writes, which are now
    /// observed (COMMIT must make the rows the client saw, not run a
    /// `CREATE TABLE … AS` or `INSERT … SELECT` into it again on newer data).
    fn created_table_read(&self, table: TableId, noted: &mut Noted) -> bool {
        if !self.written.created.contains(&table) {
            return false;
        }
        if let Some(written) = self.written.tables.get(&table) {
            noted.observed.extend(written.all.iter().copied());
        }
        true
    }

    fn take(&self) -> Noted {
        std::mem::take(&mut self.noted.lock())
    }
}

/// A write statement as a block keeps it, to run it again at COMMIT.
#[derive(Debug, Clone)]
pub enum BlockStatement {
    /// A statement with its parameter values and declared parameter types, and
    /// the plan its rehearsal ran with (DML and CALL), which COMMIT reuses while
    /// the catalog is unchanged and otherwise makes again with the same types.
    Sql {
        statement: Arc<Statement>,
        params: Arc<[Value]>,
        param_types: Arc<[Option<DataType>]>,
        plan: Option<Arc<CachedWrite>>,
    },
    /// `COPY … FROM STDIN` with its decoded rows.
    Copy(Arc<CopyIn>),
}

impl BlockStatement {
    /// Runs the statement on `txn` (under the write lock).
    pub fn run(&self, txn: &mut WriteTxn<'_>, ctx: &QueryContext) -> Result<Output, SqlError> {
        match self {
            BlockStatement::Sql {
                statement,
                params,
                param_types,
                plan,
            } => exec::write_with_plan(txn, statement, param_types, plan.clone(), params, ctx)
                .map(|(output, _)| output),
            BlockStatement::Copy(copy) => exec::write_copy(txn, copy, ctx),
        }
    }

    /// True if running it again costs little and a bounded amount: a short
    /// plan ([`WritePlan::is_short`](super::plan_cache::WritePlan::is_short): a
    /// few rows by primary key; never a reducer call). Never a COPY.
    fn is_short(&self) -> bool {
        match self {
            BlockStatement::Sql { plan, .. } => plan.as_ref().is_some_and(|p| p.short),
            BlockStatement::Copy(_) => false,
        }
    }

    /// A reducer call: its reads are not logged (the module reads through the
    /// host), so an observed call is checked by running it again instead.
    fn is_call(&self) -> bool {
        matches!(self, BlockStatement::Sql { statement, .. } if matches!(**statement, Statement::Call(_)))
    }

    /// The statement's first words, for a 40001 detail.
    fn describe(&self) -> String {
        let text = match self {
            BlockStatement::Sql { statement, .. } => statement.to_string(),
            BlockStatement::Copy(copy) => format!("COPY {} FROM STDIN", copy.table),
        };
        let mut words: Vec<&str> = text.split_whitespace().take(4).collect();
        if text.split_whitespace().count() > 4 {
            words.push("…");
        }
        format!("\"{}\"", words.join(" "))
    }
}

/// A write of the block, kept to be made again at COMMIT.
#[derive(Debug, Clone)]
pub struct BlockWrite {
    statement: BlockStatement,
    /// What of its session the statement ran with, for its run at COMMIT.
    session: StatementSession,
    /// The command tag the client was sent; a replay must report the same.
    tag: CommandTag,
    /// What it changed when rehearsed.
    changes: Vec<Change>,
    /// What it read from the committed state when rehearsed.
    reads: Vec<Read>,
    /// How many of the block's query reads ([`Block::reads`]) came before it: the
    /// rest came after, and saw its changes.
    queries_read_before: usize,
    /// What it wrote, as [`Written`] keeps it, and the images it left: the
    /// block's index and overlay are rebuilt from these after `ROLLBACK TO
    /// SAVEPOINT`.
    written: Written,
    overlay: Overlay,
    /// The foreign keys it left to COMMIT when it ran, which its run at COMMIT
    /// leaves too.
    constraint_modes: ConstraintModes,
    /// Where the writes after it that `ROLLBACK TO SAVEPOINT` dropped left
    /// the block's sequences (`SetSequence` changes, made after it wherever it
    /// is made again): what they drew stays drawn (see
    /// [`Block::rollback_to`]).
    kept_sequences: Vec<Change>,
}

impl BlockWrite {
    /// Its changes, then the sequence states it carries: what replaying it makes.
    fn replayed_changes(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().chain(&self.kept_sequences)
    }

    /// True if an unobserved write would make exactly its recorded changes if run
    /// again now, so COMMIT may replay them instead (no binding, no planning): it
    /// is not a reducer call (whose reads are not logged), it changed rows only,
    /// and everything it read was a row by its whole primary key whose image in
    /// `db` — the state committed now plus what COMMIT has made of the block so
    /// far — is still the one it read. A read of a whole table or a range is not
    /// checked this way (a table's version does not move inside the transaction),
    /// so such a write runs again.
    fn unchanged_inputs(&self, db: &Database) -> bool {
        !self.statement.is_call()
            && self.changes.iter().all(|c| !c.is_schema())
            && self
                .reads
                .iter()
                .all(|read| matches!(read, Read::Row { .. }) && read.holds(db))
    }
}

/// What of its session a statement ran with, kept for its run at COMMIT, so that
/// the write made again then computes what it computed the first time: `now()`, a
/// `timestamptz` read or written as text in its time zone, a float's digits,
/// `current_setting` — not whatever the session changed to since (`SET LOCAL
/// TimeZone` later in the block).
#[derive(Debug, Clone)]
struct StatementSession {
    time_us: i64,
    time_zone: TimeZone,
    extra_float_digits: i32,
    settings: StatementSettings,
}

impl StatementSession {
    fn of(ctx: &QueryContext) -> StatementSession {
        StatementSession {
            time_us: ctx.statement_time_us,
            time_zone: ctx.time_zone.clone(),
            extra_float_digits: ctx.extra_float_digits,
            settings: ctx.settings.clone(),
        }
    }

    /// `ctx` (COMMIT's: its interrupt, durability, limits) with this session.
    fn in_context(&self, ctx: &QueryContext) -> QueryContext {
        QueryContext {
            statement_time_us: self.time_us,
            time_zone: self.time_zone.clone(),
            extra_float_digits: self.extra_float_digits,
            settings: self.settings.clone(),
            ..ctx.clone()
        }
    }
}

/// What of the session a savepoint keeps for `ROLLBACK TO` to restore, as
/// PostgreSQL restores them: its settings, and its transaction-level advisory
/// locks (those taken after the savepoint end; session-level ones stay).
#[derive(Debug, Clone)]
pub struct SessionAtSavepoint {
    /// Its settings (`SET`, `set_config`), which `ROLLBACK TO` puts back.
    pub settings: Settings,
    /// Its transaction-level advisory locks, which `ROLLBACK TO` returns to.
    pub advisory: TransactionHolds,
}

/// A `SAVEPOINT`: how far the block had got, to return there.
#[derive(Debug)]
struct Savepoint {
    name: String,
    writes: usize,
    changes: usize,
    changed_schema: bool,
    read_only: bool,
    /// The session's settings and advisory locks then.
    session: SessionAtSavepoint,
    /// `SET CONSTRAINTS` then: `ROLLBACK TO` restores it too.
    constraint_modes: ConstraintModes,
}

/// The state of an open transaction block, kept by the session between statements.
#[derive(Debug, Default)]
pub struct Block {
    /// `Database::schema_commits` when the block first read or wrote a table.
    schema_commits: Option<u64>,
    writes: Vec<Arc<BlockWrite>>,
    /// Per write: whether the client saw something that depends on its reads.
    observed: Vec<bool>,
    /// What the block's queries read from the committed state.
    reads: Arc<Vec<Read>>,
    /// How many of `reads` are known to have held together at one moment:
    /// those of the statements that ran before the block's first write, each
    /// of which confirmed the ones before it (see [`ReadLog::confirm_earlier`]).
    confirmed_reads: usize,
    /// `Database::commits` at the last confirmation.
    confirmed_at: Option<u64>,
    written: Arc<Written>,
    /// The images of every row the block wrote, for statements run on the overlay.
    overlay: Arc<Overlay>,
    /// Rows changed so far, against the cap.
    changes: usize,
    /// True once a write of the block changed the schema.
    changed_schema: bool,
    /// `BEGIN READ ONLY` / `SET TRANSACTION READ ONLY`: writes answer 25006.
    read_only: bool,
    /// Open savepoints, oldest first.
    savepoints: Vec<Savepoint>,
    changes_max: usize,
    /// Which foreign keys its statements leave to COMMIT (`SET CONSTRAINTS`).
    constraint_modes: ConstraintModes,
}

/// What a statement needs to run inside a block: the block's writes to replay
/// first (a rehearsal) and the log its reads go to. Cheap to make: the writes are
/// shared, not copied.
pub struct BlockRun {
    schema_commits: Option<u64>,
    writes: Vec<Arc<BlockWrite>>,
    /// Per write, as `Block::observed`.
    observed: Vec<bool>,
    overlay: Arc<Overlay>,
    log: Arc<ReadLog>,
    constraint_modes: ConstraintModes,
}

/// A statement's outcome in a block, for [`Block::absorb`].
pub struct Ran {
    output: Output,
    /// Its changes, if it was a write (rehearsed).
    changes: Option<Vec<Change>>,
    /// For each change, the table's primary key computed under the lock.
    written: Written,
    /// The images its changes left.
    overlay: Overlay,
    noted: Noted,
    /// The plan it ran with, if it was rehearsed with a cached or a new plan.
    plan: Option<UsedPlan>,
    /// True if it moved a sequence (`nextval`, `setval`): the values it drew are
    /// the block's whatever the block does next (see `db::sequence`), and the
    /// client may have seen them without a RETURNING (`currval`, `lastval`), so
    /// COMMIT replays its changes rather than running it again.
    moved_sequences: bool,
}

impl Ran {
    pub fn output(&self) -> &Output {
        &self.output
    }

    /// The plan the statement was rehearsed with, to keep for its next run.
    pub fn plan(&self) -> Option<&UsedPlan> {
        self.plan.as_ref()
    }

    /// The write plan the statement was rehearsed with, for COMMIT to reuse.
    pub fn write_plan(&self) -> Option<Arc<CachedWrite>> {
        match &self.plan {
            Some(UsedPlan::Write(plan)) => Some(plan.clone()),
            _ => None,
        }
    }
}

impl Block {
    pub fn new(changes_max: usize) -> Block {
        Block {
            changes_max,
            ..Block::default()
        }
    }

    /// `LOCK TABLE` found the schema at `schema_commits`: if the block has not
    /// read yet, its view of the schema starts there.
    pub fn note_schema_commits(&mut self, schema_commits: u64) {
        self.schema_commits.get_or_insert(schema_commits);
    }

    /// Makes the block read-only from now on (`SET TRANSACTION READ ONLY`).
    pub fn set_read_only(&mut self) {
        self.read_only = true;
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// True while the block has made few changes (at most
    /// [`BLOCK_SMALL_CHANGES`]): replaying them is cheap enough for a rehearsal to
    /// run on the session's task (see `Turnstile::rehearse`).
    pub fn is_small(&self) -> bool {
        self.changes <= BLOCK_SMALL_CHANGES
    }

    /// True if COMMIT's work is bounded and tiny, so that it may run on the
    /// session's task when the write lock is free (see
    /// `Turnstile::write_maybe_short`): a small block, few reads to check, and
    /// every write short to make again.
    pub fn commit_is_short(&self) -> bool {
        let reads = self.reads.len() + self.writes.iter().map(|w| w.reads.len()).sum::<usize>();
        self.is_small()
            && reads <= BLOCK_SMALL_READS
            && self.writes.iter().all(|w| w.statement.is_short())
    }

    /// True once the block has written: its later reads must be rehearsed to see
    /// its own writes.
    pub fn has_writes(&self) -> bool {
        !self.writes.is_empty()
    }

    /// True once the block changed the schema: its statements must be described
    /// (bound) on top of its changes, not against the committed catalog, and are
    /// rehearsed, never run on the overlay.
    pub fn changed_schema(&self) -> bool {
        self.changed_schema
    }

    /// What the next statement needs to run in this block.
    pub fn run(&self) -> BlockRun {
        BlockRun {
            schema_commits: self.schema_commits,
            writes: self.writes.clone(),
            observed: self.observed.clone(),
            overlay: self.overlay.clone(),
            log: Arc::new(ReadLog::new(self.written.clone(), self.earlier_reads())),
            constraint_modes: self.constraint_modes.clone(),
        }
    }

    /// What the next statement confirms when it has run: the reads of the
    /// statements before it, if the block has not written (a statement after
    /// a write runs on the overlay or is rehearsed, and COMMIT validates
    /// everything).
    fn earlier_reads(&self) -> Option<EarlierReads> {
        let read_anything = !self.reads.is_empty() || self.schema_commits.is_some();
        (!self.has_writes() && read_anything).then(|| EarlierReads {
            schema_commits: self.schema_commits,
            reads: self.reads.clone(),
            confirmed_at: self.confirmed_at,
        })
    }

    /// Takes in the outcome of a statement that ran with `run`: a write to make
    /// again at COMMIT, reads to validate, writes now observed.
    pub fn absorb(
        &mut self,
        ran: Ran,
        statement: BlockStatement,
        ctx: &QueryContext,
    ) -> Result<Output, SqlError> {
        let Ran {
            output,
            changes,
            written,
            overlay,
            noted,
            plan: _,
            moved_sequences,
        } = ran;
        if self.schema_commits.is_none() {
            self.schema_commits = noted.schema_commits;
        }
        for i in noted.observed {
            self.observed[i] = true;
        }
        let Some(changes) = changes else {
            Arc::make_mut(&mut self.reads).extend(noted.reads);
            if !self.has_writes() {
                // It ran as a plain read and confirmed the reads before it.
                self.confirmed_reads = self.reads.len();
                if noted.confirmed_at.is_some() {
                    self.confirmed_at = noted.confirmed_at;
                }
            }
            return Ok(output);
        };
        self.changes += changes.len();
        self.changed_schema |= changes.iter().any(Change::is_schema);
        if self.changes > self.changes_max {
            return Err(SqlError::BlockTooLarge(self.changes_max));
        }
        Arc::make_mut(&mut self.written).merge(&written);
        Arc::make_mut(&mut self.overlay).merge(&overlay);
        let (tag, returned_rows) = match &output {
            Output::Command(tag) => (tag.clone(), false),
            Output::Rows { tag, .. } => (tag.clone(), true),
        };
        self.observed.push(returned_rows || moved_sequences);
        self.observe_alters_drawn_from(&changes);
        self.writes.push(Arc::new(BlockWrite {
            statement,
            session: StatementSession::of(ctx),
            tag,
            changes,
            reads: noted.reads,
            queries_read_before: self.reads.len(),
            written,
            overlay,
            constraint_modes: self.constraint_modes.clone(),
            kept_sequences: Vec::new(),
        }));
        Ok(output)
    }

    /// Marks observed the block's `ALTER SEQUENCE`s that gave new storage,
    /// at the state they found, to a sequence `changes` drew from. The values
    /// drawn came from that state, so COMMIT must replay the ALTER with it,
    /// which fails if someone else has drawn from the sequence since; run
    /// again, it would take the state of that moment, and the block's draws
    /// would then set the sequence back to values already handed out.
    fn observe_alters_drawn_from(&mut self, changes: &[Change]) {
        let mut drawn: Vec<&str> = changes
            .iter()
            .filter_map(|c| match c {
                Change::SetSequence { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        for (write, observed) in self.writes.iter().zip(&mut self.observed).rev() {
            for change in write.changes.iter().rev() {
                let Change::AlterSequence {
                    name,
                    schema,
                    storage,
                } = change
                else {
                    continue;
                };
                let Some(drawn_name) = drawn.iter_mut().find(|n| **n == schema.name) else {
                    continue;
                };
                if matches!(storage, SequenceStorage::Kept(_)) {
                    *observed = true;
                }
                // Earlier changes know the sequence by its name before.
                *drawn_name = name;
            }
        }
    }

    /// `SAVEPOINT name`, with the session's state now. A name may be reused;
    /// the newest savepoint of a name is the one `RELEASE` and `ROLLBACK TO` find.
    pub fn savepoint(&mut self, name: String, session: SessionAtSavepoint) {
        self.savepoints.push(Savepoint {
            name,
            writes: self.writes.len(),
            changes: self.changes,
            changed_schema: self.changed_schema,
            read_only: self.read_only,
            session,
            constraint_modes: self.constraint_modes.clone(),
        });
    }

    /// The OIDs of the sequences the block's writes created: a session forgets
    /// what they gave it when their creation is rolled back (see
    /// `SessionSequences::forget`).
    pub fn created_sequences(&self) -> Vec<TableId> {
        self.writes
            .iter()
            .flat_map(|write| write.replayed_changes())
            .filter_map(|change| match change {
                Change::CreateSequence(schema) => Some(schema.id),
                _ => None,
            })
            .collect()
    }

    /// `RELEASE SAVEPOINT name`: forgets it and every savepoint after it; the
    /// block keeps what it did since.
    pub fn release(&mut self, name: &str) -> Result<(), SqlError> {
        let position = self.find_savepoint(name)?;
        self.savepoints.truncate(position);
        Ok(())
    }

    /// `ROLLBACK TO SAVEPOINT name`: drops the block's writes since the savepoint
    /// (which stays open) and the savepoints after it, and returns the session's
    /// state to restore. What the dropped statements read stays in the block's reads: the
    /// client saw it, so COMMIT still validates it (conservative, like a rolled-back
    /// subtransaction's reads in PostgreSQL's serializable mode).
    ///
    /// What they drew from the block's own sequences (those it created or
    /// restarted before the savepoint) stays drawn, as `nextval` is never undone
    /// in PostgreSQL: the last write kept carries where the dropped ones left
    /// those sequences ([`BlockWrite::kept_sequences`]), so the values they handed
    /// out are not handed out again.
    pub fn rollback_to(&mut self, name: &str) -> Result<SessionAtSavepoint, SqlError> {
        let position = self.find_savepoint(name)?;
        self.savepoints.truncate(position + 1);
        let savepoint = &self.savepoints[position];
        let kept = sequences_left(&self.writes[savepoint.writes..]);
        if let Some(last) = savepoint.writes.checked_sub(1) {
            let last = Arc::make_mut(&mut self.writes[last]);
            for state in kept {
                keep_state(&mut last.kept_sequences, state);
            }
        }
        self.writes.truncate(savepoint.writes);
        self.observed.truncate(savepoint.writes);
        self.changes = savepoint.changes;
        self.changed_schema = savepoint.changed_schema;
        self.read_only = savepoint.read_only;
        self.constraint_modes = savepoint.constraint_modes.clone();
        let mut written = Written::default();
        let mut overlay = Overlay::default();
        for write in &self.writes {
            written.merge(&write.written);
            overlay.merge(&write.overlay);
        }
        self.written = Arc::new(written);
        self.overlay = Arc::new(overlay);
        Ok(savepoint.session.clone())
    }

    /// How many savepoints are open.
    pub fn savepoints_open(&self) -> usize {
        self.savepoints.len()
    }

    fn find_savepoint(&self, name: &str) -> Result<usize, SqlError> {
        self.savepoints
            .iter()
            .rposition(|s| s.name == name)
            .ok_or_else(|| SqlError::UndefinedSavepoint(name.to_owned()))
    }

    /// Takes the foreign keys' modes `SET CONSTRAINTS` made (see
    /// [`BlockRun::set_constraints`]).
    pub fn set_constraint_modes(&mut self, modes: ConstraintModes) {
        self.constraint_modes = modes;
    }

    /// True if COMMIT has something to check or write.
    pub fn needs_commit(&self) -> bool {
        self.has_writes() || self.reads.len() > self.confirmed_reads
    }

    /// Under the read lock: whether everything the (read-only) block read still
    /// holds (for reads a statement after a rolled-back write made on the
    /// overlay, which no later statement confirmed).
    pub fn validate_reads(&self, db: &Database) -> Result<(), SqlError> {
        check_schema(self.schema_commits, db)?;
        validate(&self.reads, db)
    }
}

impl BlockRun {
    /// The context a statement runs with: `ctx` plus this block's read log.
    pub fn context(&self, ctx: &QueryContext) -> QueryContext {
        QueryContext {
            reads: Some(self.log.clone()),
            ..ctx.clone()
        }
    }

    /// The outcome of a statement that ran without a rehearsal (a read under the
    /// read lock, before the block's first write).
    pub fn read(self, output: Output) -> Ran {
        Ran {
            output,
            changes: None,
            written: Written::default(),
            overlay: Overlay::default(),
            noted: self.log.take(),
            plan: None,
            moved_sequences: false,
        }
    }

    /// Under the read lock: runs the statement on the block's overlay instead of
    /// rehearsing it (see `sql::overlay`). `statement` gets the writer and the
    /// context to run with; what it changes is recorded as a rehearsal records it.
    /// [`SqlError::NeedsRehearsal`] if the overlay cannot answer for it: the
    /// caller then rehearses it with a new [`BlockRun`].
    pub fn run_on_overlay(
        self,
        db: &Database,
        ctx: &QueryContext,
        is_write: bool,
        statement: impl FnOnce(
            &mut OverlayTxn<'_>,
            &QueryContext,
        ) -> Result<(Output, Option<UsedPlan>), SqlError>,
    ) -> Result<Ran, SqlError> {
        check_schema(self.schema_commits, db)?;
        let ctx = QueryContext {
            overlay: Some(self.overlay.clone()),
            ..self.context(ctx)
        };
        let mut txn = OverlayTxn::new(db, &self.overlay);
        let (output, plan) = statement(&mut txn, &ctx)?;
        let (changes, overlay) = txn.finish();
        // No sequence moved: one is moved only under the write lock.
        Ok(self.ran(
            db,
            output,
            plan,
            is_write.then_some(changes),
            overlay,
            false,
        ))
    }

    /// The outcome of a statement that ran on `db` (the block's writes in it or
    /// laid over it), with its changes if it was a write.
    fn ran(
        self,
        db: &Database,
        output: Output,
        plan: Option<UsedPlan>,
        changes: Option<Vec<Change>>,
        overlay: Overlay,
        moved_sequences: bool,
    ) -> Ran {
        let statement_number = self.writes.len();
        let mut written = Written::default();
        for change in changes.iter().flatten() {
            written.note(statement_number, db, change);
        }
        let mut noted = self.log.take();
        // A write that read nothing still ties the block to this schema: its
        // changes name tables by id.
        noted.schema_commits = Some(db.schema_commits());
        Ran {
            output,
            changes,
            written,
            overlay,
            noted,
            plan,
            moved_sequences,
        }
    }

    /// Under the write lock, on a transaction the caller rolls back: makes the
    /// block's changes again on the committed state.
    pub fn replay(&self, txn: &mut WriteTxn<'_>) -> Result<(), SqlError> {
        check_schema(self.schema_commits, txn.db())?;
        for (write, observed) in self.writes.iter().zip(&self.observed) {
            replay_changes(txn, write.replayed_changes(), *observed)?;
        }
        Ok(())
    }

    /// Under the write lock, on a transaction the caller rolls back: replays the
    /// block's writes, then runs the statement (`statement` gets the transaction
    /// and the context with the read log) and records what it changed.
    pub fn rehearse(
        self,
        txn: &mut WriteTxn<'_>,
        is_write: bool,
        statement: impl FnOnce(&mut WriteTxn<'_>) -> Result<(Output, Option<UsedPlan>), SqlError>,
    ) -> Result<Ran, SqlError> {
        self.replay(txn)?;
        // The earlier statements' references were checked when they ran; the
        // deferred ones are checked at COMMIT, which makes them all again.
        txn.forget_references();
        txn.record_changes(true);
        let moves = txn.db().sequence_moves();
        let (output, plan) = statement(txn)?;
        txn.check_references(Some(&self.constraint_modes))?;
        let moved_sequences = txn.db().sequence_moves() != moves;
        if moved_sequences && !is_write {
            // A query that moves one runs as a write; one that does it out of
            // sight, in a view, is refused, as outside a block.
            return Err(nextval_outside_write());
        }
        let changes = txn.take_changes();
        let overlay = Overlay::of_changes(txn.db(), &changes);
        let changes = is_write.then_some(changes);
        Ok(self.ran(txn.db(), output, plan, changes, overlay, moved_sequences))
    }
}

impl BlockRun {
    /// `SET CONSTRAINTS` on `db`: the block's modes with `names` (None for
    /// ALL) made deferred or immediate. Each name must be a constraint's,
    /// 42704 if none is, and a deferrable foreign key's, 42809 if one is not.
    pub fn constraint_modes(
        &self,
        db: &Database,
        names: Option<&[String]>,
        deferred: bool,
    ) -> Result<ConstraintModes, SqlError> {
        let mut modes = self.constraint_modes.clone();
        exec::set_constraint_modes(db, &mut modes, names, deferred)?;
        Ok(modes)
    }

    /// `SET CONSTRAINTS` of a block that has written, under the write lock on
    /// a transaction the caller rolls back: [`BlockRun::constraint_modes`]
    /// with the block's own DDL made again first. Made immediate, the checks
    /// the block left to COMMIT happen now, as in PostgreSQL: what its writes,
    /// made again, left unchecked is checked with the new modes, 23503 if a
    /// reference does not hold.
    pub fn set_constraints(
        &self,
        txn: &mut WriteTxn<'_>,
        names: Option<&[String]>,
        deferred: bool,
    ) -> Result<ConstraintModes, SqlError> {
        self.replay(txn)?;
        let modes = self.constraint_modes(txn.db(), names, deferred)?;
        if !deferred {
            txn.check_references(Some(&modes))?;
        }
        Ok(modes)
    }
}

/// Under the write lock: COMMIT of `block` (see the module doc). Ok means the
/// transaction holds the block's writes and may be committed; any error must roll
/// it back.
pub fn commit(txn: &mut WriteTxn<'_>, block: &Block, ctx: &QueryContext) -> Result<(), SqlError> {
    check_schema(block.schema_commits, txn.db())?;
    validate(&block.reads, txn.db())?;
    for (write, observed) in block.writes.iter().zip(&block.observed) {
        if *observed && !write.statement.is_call() {
            validate(&write.reads, txn.db())?;
        }
    }
    let mut diverged = Diverged::default();
    for (number, (write, observed)) in block.writes.iter().zip(&block.observed).enumerate() {
        if *observed && !write.statement.is_call() {
            // Its recorded images were made from what it read. A change made
            // blind (TRUNCATE; an INSERT, which now collides or not) replays as it
            // would run, or fails to.
            diverged.check_reads(&write.reads)?;
            replay_changes(txn, &write.changes, true)?;
            end_statement(txn, write)?;
            replay_changes(txn, &write.kept_sequences, true)?;
            continue;
        }
        if write.unchanged_inputs(txn.db()) {
            replay_changes(txn, &write.changes, false)?;
            end_statement(txn, write)?;
            replay_changes(txn, &write.kept_sequences, false)?;
            continue;
        }
        let ctx = write.session.in_context(ctx);
        txn.record_changes(true);
        let moves = txn.db().sequence_moves();
        let output = write.statement.run(txn, &ctx).map_err(|e| {
            conflict(format!(
                "{} failed when made again at COMMIT: {e}",
                write.statement.describe()
            ))
        })?;
        // One that moved a sequence when it ran is observed, so this one did
        // not, and now would: its values could collide with what the block's
        // later statements drew from a sequence the block created.
        if txn.db().sequence_moves() != moves {
            return Err(conflict(format!(
                "{} called nextval or setval when made again at COMMIT, which it had \
                 not done when it ran",
                write.statement.describe()
            )));
        }
        let tag = match &output {
            Output::Command(tag) | Output::Rows { tag, .. } => tag,
        };
        if (tag.command, tag.rows) != (write.tag.command, write.tag.rows) {
            return Err(conflict(format!(
                "{} changed {} rows when made again at COMMIT, not {} as it reported",
                write.statement.describe(),
                tag.rows.unwrap_or(0),
                write.tag.rows.unwrap_or(0)
            )));
        }
        end_statement(txn, write)?;
        let changes = txn.take_changes();
        if *observed && changes != write.changes {
            return Err(conflict(format!(
                "{} made different changes when run again at COMMIT, and the block \
                 had read them",
                write.statement.describe()
            )));
        }
        let mut written = Written::default();
        for change in &changes {
            written.note(number, txn.db(), change);
        }
        if diverged.add(&write.written, &written) {
            diverged.check_reads(&block.reads[write.queries_read_before..])?;
        }
        replay_changes(txn, &write.kept_sequences, *observed)?;
    }
    txn.record_changes(false);
    Ok(())
}

/// Where `dropped`, writes `ROLLBACK TO SAVEPOINT` drops, left the sequences
/// that outlive them, as `SetSequence` changes: a state is recorded only for a
/// sequence the block created, restarted or gave new storage (`ALTER
/// SEQUENCE`), and one the dropped writes created, dropped, restarted or gave
/// new storage is theirs from then on (PostgreSQL undoes a new storage with its
/// subtransaction, and what was drawn from it), so the state that counts is the
/// last before that. A rename they made is undone: the state goes under the
/// name before it.
fn sequences_left(dropped: &[Arc<BlockWrite>]) -> Vec<Change> {
    let mut ended: HashSet<&str> = HashSet::new();
    let mut name_before: HashMap<&str, &str> = HashMap::new();
    let mut left: Vec<Change> = Vec::new();
    for change in dropped.iter().flat_map(|write| write.replayed_changes()) {
        match change {
            Change::CreateSequence(schema) => {
                ended.insert(&schema.name);
            }
            Change::DropSequence(name) | Change::RestartSequence(name) => {
                ended.insert(name);
            }
            Change::AlterSequence {
                name,
                schema,
                storage: SequenceStorage::Same,
            } => {
                let before = name_before.remove(name.as_str()).unwrap_or(name);
                name_before.insert(&schema.name, before);
            }
            Change::AlterSequence { name, schema, .. } => {
                ended.insert(name);
                ended.insert(&schema.name);
            }
            Change::SetSequence { name, state } if !ended.contains(name.as_str()) => {
                let name = name_before.get(name.as_str()).copied().unwrap_or(name);
                keep_state(
                    &mut left,
                    Change::SetSequence {
                        name: name.to_owned(),
                        state: *state,
                    },
                );
            }
            _ => {}
        }
    }
    left
}

/// Adds `state`, a `SetSequence`, to `states` in place of the one they have
/// for the same sequence.
fn keep_state(states: &mut Vec<Change>, state: Change) {
    let Change::SetSequence { name, .. } = &state else {
        unreachable!("only sequence states are kept: {state:?}");
    };
    states.retain(|c| !matches!(c, Change::SetSequence { name: n, .. } if n == name));
    states.push(state);
}

/// The end of one of the block's statements made again at COMMIT: its foreign
/// keys act and its immediate ones are checked, as when it ran (see
/// `db::foreign_key`); one that no longer holds is a change since, 40001.
fn end_statement(txn: &mut WriteTxn<'_>, write: &BlockWrite) -> Result<(), SqlError> {
    txn.check_references(Some(&write.constraint_modes))
        .map_err(|e| {
            conflict(format!(
                "{} broke a foreign key when made again at COMMIT: {e}",
                write.statement.describe()
            ))
        })
}

/// The rows whose state, as COMMIT makes the block again, is not what the
/// block's later statements saw when they ran: those that a write run again at
/// COMMIT changed when it had not before, or no longer changed. Its other rows
/// are safe to differ in their images (a relative `UPDATE` of a hot row): a later
/// statement that read one of them marked the write observed, and an observed
/// write is replayed, not run again.
#[derive(Debug, Default)]
struct Diverged {
    tables: HashMap<TableId, DivergedRows>,
}

#[derive(Debug)]
enum DivergedRows {
    /// Rows not known by key: a table one run changed and the other did not, or
    /// emptied (TRUNCATE) and the other did not.
    All,
    Keys(HashSet<Key>),
}

impl Diverged {
    /// Adds the difference between what a write changed when it ran (`then`) and
    /// when it ran again (`now`); true if there was one.
    fn add(&mut self, then: &Written, now: &Written) -> bool {
        let mut added = false;
        let tables: HashSet<&TableId> = then.tables.keys().chain(now.tables.keys()).collect();
        for table in tables {
            let rows = match (then.tables.get(table), now.tables.get(table)) {
                (Some(then), Some(now)) if then.whole.is_empty() == now.whole.is_empty() => {
                    let keys: HashSet<Key> = then
                        .keys
                        .keys()
                        .filter(|key| !now.keys.contains_key(*key))
                        .chain(now.keys.keys().filter(|key| !then.keys.contains_key(*key)))
                        .cloned()
                        .collect();
                    if keys.is_empty() {
                        continue;
                    }
                    DivergedRows::Keys(keys)
                }
                _ => DivergedRows::All,
            };
            added = true;
            match (self.tables.get_mut(table), rows) {
                (Some(DivergedRows::Keys(known)), DivergedRows::Keys(keys)) => known.extend(keys),
                (Some(DivergedRows::All), _) => {}
                (_, rows) => {
                    self.tables.insert(*table, rows);
                }
            }
        }
        added
    }

    /// True if a later statement of the block that read row `key` of `table`
    /// (or more of it, for None) read a diverged row.
    fn touches(&self, table: TableId, key: Option<&Key>) -> bool {
        match (self.tables.get(&table), key) {
            (None, _) => false,
            (Some(DivergedRows::Keys(keys)), Some(key)) => keys.contains(key),
            (Some(_), _) => true,
        }
    }

    /// 40001 if any of `reads` touches a diverged row: the reads of queries after
    /// the write that diverged, or of a later write about to be replayed.
    fn check_reads(&self, reads: &[Read]) -> Result<(), SqlError> {
        let touched = reads.iter().any(|read| match read {
            Read::Row { table, key, .. } => self.touches(*table, Some(key)),
            Read::Table { table, .. } => self.touches(*table, None),
        });
        if touched {
            return Err(diverged_conflict());
        }
        Ok(())
    }
}

fn diverged_conflict() -> SqlError {
    conflict(
        "a write of this block changed other rows when made again at COMMIT than it \
         did before, and a later statement of the block had read them"
            .into(),
    )
}

fn check_schema(at_start: Option<u64>, db: &Database) -> Result<(), SqlError> {
    match at_start {
        Some(n) if n != db.schema_commits() => Err(conflict(
            "the schema changed (a table, index or view was created, altered or dropped) \
             since the block began"
                .into(),
        )),
        _ => Ok(()),
    }
}

fn validate(reads: &[Read], db: &Database) -> Result<(), SqlError> {
    match reads.iter().find(|r| !r.holds(db)) {
        None => Ok(()),
        Some(read) => {
            let table = match read {
                Read::Row { table, .. } | Read::Table { table, .. } => *table,
            };
            let name = db
                .find_table(table)
                .map_or_else(|| "a dropped table".to_owned(), |t| t.schema().name.clone());
            Err(conflict(format!(
                "another transaction changed {} of table \"{name}\" that this block read",
                match read {
                    Read::Row { .. } => "a row",
                    Read::Table { .. } => "rows",
                }
            )))
        }
    }
}

/// Makes `changes` again (see [`WriteTxn::replay`]); `observed` if the client
/// saw what came of them.
fn replay_changes<'a>(
    txn: &mut WriteTxn<'_>,
    changes: impl IntoIterator<Item = &'a Change>,
    observed: bool,
) -> Result<(), SqlError> {
    for change in changes {
        match txn.replay(change, observed) {
            Ok(true) => {}
            Ok(false) => {
                return Err(conflict(
                    "a row this block changed was deleted or changed by another transaction".into(),
                ))
            }
            Err(e) => {
                return Err(conflict(format!(
                    "a change this block made no longer applies: {e}"
                )))
            }
        }
    }
    Ok(())
}

fn conflict(detail: String) -> SqlError {
    SqlError::SerializationFailure { detail }
}
