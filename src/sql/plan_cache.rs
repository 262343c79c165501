//! The plan cache: bind and plan a statement once, run it many times.
//!
//! Binding and planning cost more than running a point lookup, so a statement that
//! runs again keeps its plan:
//!
//! - A [`PreparedStatement`] is a parsed statement plus the plan of its last run. The
//!   wire layer keeps one per extended-protocol prepared statement; the session keeps
//!   one per recent simple-query text in a [`TextCache`], and one per recent shape of
//!   simple-query text whose integer literals are parameters (see `template`).
//! - A plan is valid while [`Database::catalog_version`](crate::db::Database::catalog_version)
//!   equals the version it was made against. The reader compares the two under the
//!   read lock (the write lock's holder, for a [`WritePlan`], under the write lock) and
//!   binds and plans again when they differ, so a plan never outlives the schema it
//!   was made for. A write plan (INSERT, UPDATE, DELETE, CALL) is made at the start of
//!   its transaction, which then changes no schema; DDL is not planned. Parameters are inputs of the plan: the
//!   same plan runs with every set of values, bound with the parameter types fixed
//!   when the statement was prepared (as PostgreSQL's generic plans are).
//! - A query that reads no table (`SELECT 1`, `SELECT now()`) is planned against an
//!   empty catalog. Its plan depends on no schema, holds under every catalog version,
//!   and runs on the session's task without the lock (see [`super::Engine`]).
//!
//! Whether a re-planned statement still returns the columns its client was told
//! about is the wire layer's check (0A000 "cached plan must not change result type").

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use sqlparser::ast::{SetExpr, Statement};

use super::binder::{BoundCall, Delete, Insert, Returning, Update};
use super::plan::{Expr, Plan};
use super::template::{Shape, Template};
use super::{ColumnInfo, SqlError};
use crate::module::ModuleHost;
use crate::turnstile::RequestName;
use crate::types::{DataType, Value};

/// The most simple-query texts a session keeps parsed and planned; as many shapes
/// of text again (see `template`).
pub const TEXT_CACHE_ENTRIES_MAX: usize = 64;
/// Longer query texts are not cached: the cache's memory stays bounded and a long
/// text is rarely sent twice.
pub const TEXT_CACHE_SQL_BYTES_MAX: usize = 4096;

/// A bound and planned query, shared by every run that reuses it.
#[derive(Debug)]
pub struct CachedPlan {
    /// The catalog version the plan was made against; None for a plan that reads no
    /// table, which no schema change can invalidate.
    pub catalog_version: Option<u64>,
    /// The optimized plan.
    pub plan: Plan,
    /// The result columns, shared with every Output the plan produces.
    pub columns: Arc<Vec<ColumnInfo>>,
    /// [`Plan::is_point_read`], found once: every run asks.
    pub short: bool,
}

impl CachedPlan {
    pub fn new(catalog_version: Option<u64>, plan: Plan, columns: Vec<ColumnInfo>) -> CachedPlan {
        CachedPlan {
            catalog_version,
            short: plan.is_point_read(),
            plan,
            columns: Arc::new(columns),
        }
    }

    /// True if the plan may run against a database at `catalog_version`.
    pub fn is_valid_at(&self, catalog_version: u64) -> bool {
        self.catalog_version.is_none_or(|v| v == catalog_version)
    }
}

/// A bound and planned write, its scans and source queries optimized.
#[derive(Debug)]
pub enum WritePlan {
    Insert(Insert),
    Update(Update),
    Delete(Delete),
    Call(BoundCall),
    /// A query that moves a sequence (`SELECT nextval('s')`).
    Query(CachedPlan),
}

impl WritePlan {
    /// True if the write costs little and a bounded amount whatever the data: a
    /// few rows by primary key (UPDATE, DELETE) or a few rows of values (INSERT),
    /// no subquery anywhere, no user code (a CALL is short by its reducer's
    /// record instead, see [`CachedWrite::short_write`]).
    pub fn is_short(&self) -> bool {
        let no_subquery = |e: &Expr| !e.has_subquery();
        let returning =
            |r: &Option<Returning>| r.as_ref().is_none_or(|r| r.exprs.iter().all(no_subquery));
        match self {
            WritePlan::Update(u) => {
                u.scan.is_point_read()
                    && u.assignments.iter().all(|(_, e)| no_subquery(e))
                    && returning(&u.returning)
            }
            WritePlan::Delete(d) => d.scan.is_point_read() && returning(&d.returning),
            WritePlan::Insert(i) => {
                let conflict = i.conflict.as_ref().and_then(|c| c.update.as_ref());
                i.source.plan.is_few_literal_rows()
                    && conflict.is_none_or(|(assignments, filter)| {
                        assignments.iter().all(|(_, e)| no_subquery(e))
                            && filter.iter().all(no_subquery)
                    })
                    && returning(&i.returning)
            }
            WritePlan::Call(_) | WritePlan::Query(_) => false,
        }
    }
}

/// A write plan and the catalog version it was made against.
#[derive(Debug)]
pub struct CachedWrite {
    pub catalog_version: u64,
    pub plan: WritePlan,
    /// [`WritePlan::is_short`], found once: every run asks.
    pub short: bool,
}

impl CachedWrite {
    pub fn new(catalog_version: u64, plan: WritePlan) -> CachedWrite {
        CachedWrite {
            catalog_version,
            short: plan.is_short(),
            plan,
        }
    }

    /// Whether this run of the write is short, so that it may run on a session's
    /// task (see
    /// [`Turnstile::write_maybe_short`](crate::turnstile::Turnstile::write_maybe_short)):
    /// a short plan, or a CALL whose arguments need no subquery of a reducer whose
    /// recent calls were all short
    /// ([`LoadedModule::runs_short`](crate::module::LoadedModule::runs_short), a
    /// record that changes from one run to the next).
    pub fn short_write(&self, modules: Option<&ModuleHost>) -> bool {
        match &self.plan {
            WritePlan::Call(call) => {
                call.args.iter().all(|arg| !arg.has_subquery())
                    && modules
                        .and_then(|host| host.get(&call.routine.module))
                        .is_some_and(|module| module.runs_short(&call.routine))
            }
            _ => self.short,
        }
    }
}

/// A plan a statement ran with, to keep for its next run.
#[derive(Debug, Clone)]
pub enum UsedPlan {
    Query(Arc<CachedPlan>),
    Write(Arc<CachedWrite>),
}

/// The last plan of one kind a statement ran with. A std mutex: it is held only to
/// copy or swap the Arc, never across an await.
#[derive(Debug)]
struct PlanSlot<P>(Mutex<Option<Arc<P>>>);

impl<P> PlanSlot<P> {
    fn empty() -> PlanSlot<P> {
        PlanSlot(Mutex::new(None))
    }

    fn get(&self) -> Option<Arc<P>> {
        self.0.lock().clone()
    }

    fn set(&self, plan: Arc<P>) {
        *self.0.lock() = Some(plan);
    }
}

/// A parsed statement and the plan of its last run.
#[derive(Debug)]
pub struct PreparedStatement {
    /// The statement; an Arc so that a reader or writer thread can use it without a
    /// copy of the syntax tree.
    statement: Arc<Statement>,
    /// The type of each parameter, fixed when the statement was prepared (None: not
    /// known, inferred from the context). Every plan is bound with these.
    param_types: Arc<[Option<DataType>]>,
    /// The last plan, if the statement is a query that ran.
    plan: PlanSlot<CachedPlan>,
    /// The last plan, if the statement is DML or CALL and ran outside a block.
    write_plan: PlanSlot<CachedWrite>,
    /// What the statement is called in the lock's metrics, named once: a CALL's
    /// name is formatted, which costs more than a point lookup's execution.
    request_name: RequestName,
    /// The result columns the client was sent a RowDescription of at Parse, if
    /// any: a write planned again after the schema changed must still return
    /// those, or it fails before it commits (see `Engine::execute`).
    described_columns: Option<Arc<[ColumnInfo]>>,
    /// [`Engine::is_write`](super::Engine::is_write), found once: it walks a
    /// query's expressions, and every run asks.
    is_write: bool,
}

impl PreparedStatement {
    pub fn new(statement: Statement, param_types: Vec<Option<DataType>>) -> PreparedStatement {
        PreparedStatement {
            request_name: request_name(&statement),
            is_write: super::Engine::is_write(&statement),
            statement: Arc::new(statement),
            param_types: param_types.into(),
            plan: PlanSlot::empty(),
            write_plan: PlanSlot::empty(),
            described_columns: None,
        }
    }

    /// True if it changes data or schema, and runs as a write.
    pub fn is_write(&self) -> bool {
        self.is_write
    }

    /// The statement, whose result columns were described to the client as
    /// `columns` (none: it returns no rows).
    pub fn with_described_columns(self, columns: Vec<ColumnInfo>) -> PreparedStatement {
        PreparedStatement {
            described_columns: (!columns.is_empty()).then(|| columns.into()),
            ..self
        }
    }

    /// The result columns described to the client, if any.
    pub fn described_columns(&self) -> Option<Arc<[ColumnInfo]>> {
        self.described_columns.clone()
    }

    /// What the statement is called in the lock's metrics and logs.
    pub fn request_name(&self) -> RequestName {
        self.request_name.clone()
    }

    pub fn statement(&self) -> &Statement {
        &self.statement
    }

    /// The statement as an Arc, to hand to a reader or writer thread.
    pub fn shared_statement(&self) -> Arc<Statement> {
        self.statement.clone()
    }

    pub fn param_types(&self) -> Arc<[Option<DataType>]> {
        self.param_types.clone()
    }

    /// The query plan of the last run, still to be checked against the catalog
    /// version.
    pub fn cached_plan(&self) -> Option<Arc<CachedPlan>> {
        self.plan.get()
    }

    /// The write plan of the last run, still to be checked against the catalog
    /// version.
    pub fn cached_write(&self) -> Option<Arc<CachedWrite>> {
        self.write_plan.get()
    }

    /// Keeps `plan` for the next run.
    pub fn keep(&self, plan: UsedPlan) {
        match plan {
            UsedPlan::Query(plan) => self.plan.set(plan),
            UsedPlan::Write(plan) => self.write_plan.set(plan),
        }
    }

    /// See the free function `may_read_no_table`.
    pub fn may_read_no_table(&self) -> bool {
        may_read_no_table(&self.statement)
    }
}

/// True if `stmt` is bound against the catalog and planned: a query, DML or a
/// CALL (the rest is DDL, a session or a transaction command). Its description
/// and plan follow from its text, its parameter types and the catalog alone.
pub fn is_planned(stmt: &Statement) -> bool {
    matches!(
        stmt,
        Statement::Query(_)
            | Statement::Insert(_)
            | Statement::Update(_)
            | Statement::Delete(_)
            | Statement::Call(_)
    )
}

/// True if `stmt` may read no table, judged from its outermost query alone: no FROM
/// and no WITH. A table in a subquery makes planning against the empty catalog fail
/// with 42P01, and the caller then plans under the lock, so a wrong guess costs a
/// failed bind, never a wrong answer.
pub fn may_read_no_table(stmt: &Statement) -> bool {
    let Statement::Query(query) = stmt else {
        return false;
    };
    query.with.is_none()
        && match &*query.body {
            SetExpr::Select(select) => select.from.is_empty(),
            SetExpr::Values(_) => true,
            _ => false,
        }
}

/// The statements of a simple-query text, ready to run.
#[derive(Debug)]
pub struct ParsedText {
    pub statements: Arc<[Arc<PreparedStatement>]>,
    /// The parameters of a templated text's one statement (its integer literals);
    /// empty for every other text.
    pub params: Vec<Value>,
}

/// A session's recent simple-query texts, parsed, each statement with its plan, and
/// its recent templates, by the key of their shape. Bounded: when a map is full it
/// starts over, which costs only a parse per text.
#[derive(Debug, Default)]
pub struct TextCache {
    /// Query text to its statements, in order.
    entries: HashMap<String, Arc<[Arc<PreparedStatement>]>>,
    /// Shape key to the template its texts use.
    templates: HashMap<String, Template>,
}

impl TextCache {
    /// The statements of `sql`, parsed now or on an earlier call: a text with
    /// integer literals runs as its template with the literals as parameters.
    pub fn get_or_parse(&mut self, sql: &str) -> Result<ParsedText, SqlError> {
        if let Some(statements) = self.entries.get(sql) {
            return Ok(ParsedText {
                statements: statements.clone(),
                params: Vec::new(),
            });
        }
        let shape = (sql.len() <= TEXT_CACHE_SQL_BYTES_MAX)
            .then(|| Shape::of(sql))
            .flatten();
        if let Some(shape) = &shape {
            if let Some(template) = self.templates.get(shape.key()) {
                if let Some(params) = template.params(shape) {
                    return Ok(ParsedText {
                        statements: template.statements(),
                        params,
                    });
                }
            }
        }
        let statements = super::parse(sql)?;
        if let (Some(shape), [statement]) = (&shape, statements.as_slice()) {
            if let Some(template) = Template::new(statement, shape) {
                let parsed = ParsedText {
                    statements: template.statements(),
                    params: template
                        .params(shape)
                        .expect("a text fits its own template"),
                };
                if self.templates.len() >= TEXT_CACHE_ENTRIES_MAX {
                    self.templates.clear();
                }
                self.templates.insert(shape.key().to_owned(), template);
                return Ok(parsed);
            }
        }
        let statements: Arc<[Arc<PreparedStatement>]> = statements
            .into_iter()
            .map(|s| Arc::new(PreparedStatement::new(s, Vec::new())))
            .collect();
        if sql.len() <= TEXT_CACHE_SQL_BYTES_MAX {
            if self.entries.len() >= TEXT_CACHE_ENTRIES_MAX {
                self.entries.clear();
            }
            self.entries.insert(sql.to_owned(), statements.clone());
        }
        Ok(ParsedText {
            statements,
            params: Vec::new(),
        })
    }
}

/// What `stmt` is called in the lock's metrics and logs: its kind, and for `CALL`
/// the reducer (cheap: no formatting of the statement).
pub(crate) fn request_name(stmt: &Statement) -> RequestName {
    let kind = match stmt {
        Statement::Query(_) => "SELECT",
        Statement::Insert(_) => "INSERT",
        Statement::Update(_) => "UPDATE",
        Statement::Delete(_) => "DELETE",
        Statement::Call(function) => return format!("CALL {}", function.name).into(),
        Statement::Copy { .. } => "COPY",
        Statement::Explain { .. } => "EXPLAIN",
        Statement::Truncate(_) => "TRUNCATE",
        Statement::CreateTable(_) => "CREATE TABLE",
        Statement::CreateIndex(_) => "CREATE INDEX",
        Statement::CreateView(_) => "CREATE VIEW",
        Statement::AlterTable(_) => "ALTER TABLE",
        Statement::Drop { .. } => "DROP",
        _ => "other statement",
    };
    kind.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same text is parsed once; the cache never grows past its bound.
    #[test]
    fn text_cache_reuses_and_stays_bounded() {
        let mut cache = TextCache::default();
        let first = cache.get_or_parse("select 1; select 2").unwrap();
        let again = cache.get_or_parse("select 1; select 2").unwrap();
        assert_eq!(first.statements.len(), 2);
        assert!(Arc::ptr_eq(&first.statements, &again.statements));
        assert!(first.params.is_empty());
        for i in 0..(TEXT_CACHE_ENTRIES_MAX * 2) {
            // Texts without an integer literal are kept whole; each of the others
            // has a shape of its own (the string differs).
            cache.get_or_parse(&format!("select 'x{i}'")).unwrap();
            cache.get_or_parse(&format!("select {i}, 'x{i}'")).unwrap();
            assert!(!cache.entries.is_empty() && !cache.templates.is_empty());
            assert!(cache.entries.len() <= TEXT_CACHE_ENTRIES_MAX);
            assert!(cache.templates.len() <= TEXT_CACHE_ENTRIES_MAX);
        }
        assert!(cache.get_or_parse("selec 1").is_err());
    }

    /// Texts that differ in their integer literals share one template, and with it
    /// one plan; each brings its own values.
    #[test]
    fn text_cache_shares_templates() {
        let mut cache = TextCache::default();
        let first = cache.get_or_parse("select v from t where id = 1").unwrap();
        let second = cache.get_or_parse("select v from t where id = 2").unwrap();
        assert!(Arc::ptr_eq(&first.statements, &second.statements));
        assert_eq!(first.params, [Value::Int4(1)]);
        assert_eq!(second.params, [Value::Int4(2)]);
        assert!(cache.entries.is_empty());
        // A parameter of another type needs a template of its own.
        let wide = cache
            .get_or_parse("select v from t where id = 5000000000")
            .unwrap();
        assert!(!Arc::ptr_eq(&first.statements, &wide.statements));
        assert_eq!(wide.params, [Value::Int8(5_000_000_000)]);
    }

    /// Only a query without FROM or WITH at its top may read no table.
    #[test]
    fn may_read_no_table_looks_at_the_outer_query() {
        let check = |sql: &str| {
            let stmt = super::super::parse(sql).unwrap().remove(0);
            PreparedStatement::new(stmt, Vec::new()).may_read_no_table()
        };
        assert!(check("select 1"));
        assert!(check("select now(), $1::int"));
        assert!(check("values (1), (2)"));
        assert!(!check("select * from t"));
        assert!(!check("with x as (select 1) select * from x"));
        assert!(!check("insert into t values (1)"));
    }
}
