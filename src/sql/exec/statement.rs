//! The executor's entry points, one per kind of statement: describe, read, write,
//! and planning and running a query with a cached plan.

use super::{ddl, dml, run, Env, RowWriter};
use std::sync::Arc;

use sqlparser::ast::Statement;

use crate::db::{Database, WriteTxn};
use crate::sql::binder::{Binder, BoundQuery};
use crate::sql::plan::{explain, optimize};
use crate::sql::plan_cache::{CachedPlan, CachedWrite, WritePlan};
use crate::sql::{ColumnInfo, CommandTag, Description, Output, QueryContext, SqlError};
use crate::types::{DataType, Value};

/// Describes statements that need no catalog (DDL, and COPY, whose data goes in
/// CopyData messages, not rows): no parameters, no rows.
pub fn describe_without_catalog(
    stmt: &Statement,
    hints: &[Option<DataType>],
) -> Option<Description> {
    if ddl::is_ddl(stmt) || crate::sql::copy::is_copy(stmt) {
        let params = hints.iter().map(|h| h.unwrap_or(DataType::Text)).collect();
        return Some(Description {
            params,
            columns: Vec::new(),
        });
    }
    None
}

/// Parameter types and result columns of a statement, bound against `db`.
pub fn describe(
    db: &Database,
    stmt: &Statement,
    hints: &[Option<DataType>],
) -> Result<Description, SqlError> {
    let mut binder = Binder::new(db, hints);
    let columns = match stmt {
        Statement::Query(q) => binder.bind_statement_query(q)?.columns,
        Statement::Explain { .. } => vec![ColumnInfo::computed("QUERY PLAN", DataType::Text)],
        Statement::Insert(i) => binder
            .bind_insert(i)?
            .returning
            .map(|r| r.columns)
            .unwrap_or_default(),
        Statement::Update(u) => binder
            .bind_update(u)?
            .returning
            .map(|r| r.columns)
            .unwrap_or_default(),
        Statement::Delete(d) => binder
            .bind_delete(d)?
            .returning
            .map(|r| r.columns)
            .unwrap_or_default(),
        Statement::Call(f) => {
            binder.bind_call(f)?;
            Vec::new()
        }
        other => return Err(unsupported(other)),
    };
    Ok(Description {
        params: binder.param_types()?,
        columns,
    })
}

/// Runs a query or EXPLAIN under the read lock.
pub fn execute_read(
    db: &Database,
    stmt: &Statement,
    params: &[Value],
    ctx: &QueryContext,
) -> Result<Output, SqlError> {
    match stmt {
        Statement::Query(q) => {
            let mut binder = Binder::new(db, &hints(params));
            let BoundQuery { plan, columns } = binder.bind_statement_query(q)?;
            let plan = optimize(plan, db);
            let env = Env::new(db, params, ctx);
            let rows = run(&plan, &env)?;
            check_result_rows(rows.len(), ctx)?;
            let tag = CommandTag::with_rows("SELECT", rows.len());
            Ok(Output::Rows {
                columns: Arc::new(columns),
                rows,
                tag,
            })
        }
        Statement::Explain {
            statement,
            analyze,
            options,
            ..
        } => {
            if *analyze || options.as_ref().is_some_and(|o| !o.is_empty()) {
                return Err(SqlError::Unsupported(
                    "EXPLAIN ANALYZE and EXPLAIN options".into(),
                ));
            }
            let lines = explain_statement(db, statement, params)?;
            let rows: Vec<Vec<Value>> = lines.into_iter().map(|l| vec![Value::Text(l)]).collect();
            let tag = CommandTag::with_rows("EXPLAIN", rows.len());
            let columns = vec![ColumnInfo::computed("QUERY PLAN", DataType::Text)];
            Ok(Output::Rows {
                columns: Arc::new(columns),
                rows,
                tag,
            })
        }
        other => Err(unsupported(other)),
    }
}

/// Binds and plans the query `stmt` against `db`, for the plan cache. None if `stmt`
/// is not a query (EXPLAIN and writes are bound each time they run), or if it
/// reads the catalog and `catalog_version` is None (the empty catalog).
pub fn plan_query(
    db: &Database,
    stmt: &Statement,
    hints: &[Option<DataType>],
    catalog_version: Option<u64>,
) -> Option<Result<CachedPlan, SqlError>> {
    let Statement::Query(q) = stmt else {
        return None;
    };
    let mut binder = Binder::new(db, hints);
    let bound = binder.bind_statement_query(q);
    // A plan that reads the catalog through a function cannot run against the
    // empty catalog of table-free queries: it is planned again under the lock.
    if catalog_version.is_none() && binder.reads_catalog() {
        return None;
    }
    Some(bound.map(|BoundQuery { plan, columns }| {
        CachedPlan::new(catalog_version, optimize(plan, db), columns)
    }))
}

/// Runs a cached plan; `db` is the database it reads (under the read lock) or, for
/// a plan that reads no table, any database.
pub fn run_plan(
    db: &Database,
    cached: &CachedPlan,
    params: &[Value],
    ctx: &QueryContext,
) -> Result<Output, SqlError> {
    let env = Env::new(db, params, ctx);
    let rows = run(&cached.plan, &env)?;
    check_result_rows(rows.len(), ctx)?;
    let tag = CommandTag::with_rows("SELECT", rows.len());
    Ok(Output::Rows {
        columns: cached.columns.clone(),
        rows,
        tag,
    })
}

/// Runs DML or DDL as one write transaction (the caller rolls back on error).
pub fn execute_write(
    txn: &mut WriteTxn<'_>,
    stmt: &Statement,
    params: &[Value],
    ctx: &QueryContext,
) -> Result<Output, SqlError> {
    match plan_write(txn.db(), stmt, &hints(params)) {
        Some(plan) => run_write_plan(txn, &plan?, params, ctx),
        None if ddl::is_ddl(stmt) => ddl::execute(txn, stmt, ctx),
        None => Err(unsupported(stmt)),
    }
}

/// Under the read lock: runs `stmt` with `cached` if it is still valid, else plans
/// it again; returns the output and the new plan, if one was made.
pub fn read_with_plan(
    db: &Database,
    stmt: &Statement,
    hints: &[Option<DataType>],
    cached: Option<Arc<CachedPlan>>,
    params: &[Value],
    ctx: &QueryContext,
) -> Result<(Output, Option<Arc<CachedPlan>>), SqlError> {
    let version = db.catalog_version();
    if let Some(cached) = cached.filter(|c| c.is_valid_at(version)) {
        return Ok((run_plan(db, &cached, params, ctx)?, None));
    }
    match plan_query(db, stmt, hints, Some(version)) {
        Some(planned) => {
            let planned = Arc::new(planned?);
            let output = run_plan(db, &planned, params, ctx)?;
            Ok((output, Some(planned)))
        }
        // EXPLAIN is bound each time it runs.
        None => Ok((execute_read(db, stmt, params, ctx)?, None)),
    }
}

/// Runs the write `stmt` with `cached` if it is still valid, else plans it again
/// with the parameter types `hints` (DML and CALL) or runs it as written (DDL);
/// returns the output and the plan it ran with, to keep for the next run. `txn` is
/// the store under the write lock, or a block's overlay under the read lock.
pub fn write_with_plan<'db>(
    txn: &mut impl RowWriter<'db>,
    stmt: &Statement,
    hints: &[Option<DataType>],
    cached: Option<Arc<CachedWrite>>,
    params: &[Value],
    ctx: &QueryContext,
) -> Result<(Output, Option<Arc<CachedWrite>>), SqlError> {
    let version = txn.db().catalog_version();
    if let Some(cached) = cached.filter(|c| c.catalog_version == version) {
        let output = run_write_plan(txn, &cached.plan, params, ctx)?;
        return Ok((output, Some(cached)));
    }
    match plan_write(txn.db(), stmt, hints) {
        Some(planned) => {
            let planned = Arc::new(CachedWrite::new(version, planned?));
            let output = run_write_plan(txn, &planned.plan, params, ctx)?;
            Ok((output, Some(planned)))
        }
        None => Ok((execute_write(txn.store()?, stmt, params, ctx)?, None)),
    }
}

/// Binds and plans the DML or CALL `stmt` against `db`, for the plan cache; None
/// for any other statement (DDL runs as written each time).
pub fn plan_write(
    db: &Database,
    stmt: &Statement,
    hints: &[Option<DataType>],
) -> Option<Result<WritePlan, SqlError>> {
    let mut binder = Binder::new(db, hints);
    let plan = match stmt {
        Statement::Insert(i) => binder.bind_insert(i).map(|mut bound| {
            bound.source.plan = optimize(bound.source.plan, db);
            WritePlan::Insert(bound)
        }),
        Statement::Update(u) => binder.bind_update(u).map(|mut bound| {
            bound.scan = optimize(bound.scan, db);
            WritePlan::Update(bound)
        }),
        Statement::Delete(d) => binder.bind_delete(d).map(|mut bound| {
            bound.scan = optimize(bound.scan, db);
            WritePlan::Delete(bound)
        }),
        Statement::Call(f) => binder.bind_call(f).map(WritePlan::Call),
        Statement::Query(_) => {
            let version = Some(db.catalog_version());
            return plan_query(db, stmt, hints, version).map(|p| p.map(WritePlan::Query));
        }
        _ => return None,
    };
    Some(plan)
}

/// Runs a planned write inside `txn` (the caller rolls back on error).
pub fn run_write_plan<'db>(
    txn: &mut impl RowWriter<'db>,
    plan: &WritePlan,
    params: &[Value],
    ctx: &QueryContext,
) -> Result<Output, SqlError> {
    let output = match plan {
        WritePlan::Insert(bound) => dml::insert(txn, bound, params, ctx),
        WritePlan::Update(bound) => dml::update(txn, bound, params, ctx),
        WritePlan::Delete(bound) => dml::delete(txn, bound, params, ctx),
        WritePlan::Call(bound) => super::call::call(txn.store()?, bound, params, ctx),
        WritePlan::Query(cached) => run_plan(txn.db(), cached, params, ctx),
    }?;
    // Checked here, inside the write, so that a RETURNING over the limit rolls the
    // change back rather than committing it and then refusing to send the rows.
    if let Output::Rows { rows, .. } = &output {
        check_result_rows(rows.len(), ctx)?;
    }
    Ok(output)
}

/// 54000 once a statement's result holds more rows than `ctx.rows_max`.
fn check_result_rows(count: usize, ctx: &QueryContext) -> Result<(), SqlError> {
    if count > ctx.rows_max {
        return Err(SqlError::ProgramLimitExceeded(format!(
            "statement returned {count} rows; the limit is {} rows per statement",
            ctx.rows_max
        )));
    }
    Ok(())
}

fn explain_statement(
    db: &Database,
    stmt: &Statement,
    params: &[Value],
) -> Result<Vec<String>, SqlError> {
    let mut binder = Binder::new(db, &hints(params));
    let (head, plan) = match stmt {
        Statement::Query(q) => (None, binder.bind_query(q)?.plan),
        Statement::Insert(i) => {
            let bound = binder.bind_insert(i)?;
            (
                Some(format!("Insert on {}", db.table(bound.table).schema().name)),
                bound.source.plan,
            )
        }
        Statement::Update(u) => {
            let bound = binder.bind_update(u)?;
            (
                Some(format!("Update on {}", db.table(bound.table).schema().name)),
                bound.scan,
            )
        }
        Statement::Delete(d) => {
            let bound = binder.bind_delete(d)?;
            (
                Some(format!("Delete on {}", db.table(bound.table).schema().name)),
                bound.scan,
            )
        }
        other => {
            return Err(SqlError::Unsupported(format!(
                "EXPLAIN of {}",
                statement_kind(other)
            )))
        }
    };
    let plan = optimize(plan, db);
    let mut lines = Vec::new();
    let indent = match head {
        Some(h) => {
            lines.push(h);
            1
        }
        None => 0,
    };
    explain(&plan, db, indent, &mut lines);
    Ok(lines)
}

/// The parameter types implied by the values (for binding at execution).
pub(super) fn hints(params: &[Value]) -> Vec<Option<DataType>> {
    params
        .iter()
        .map(|v| Some(v.data_type()).filter(|t| *t != DataType::Unknown))
        .collect()
}

fn unsupported(stmt: &Statement) -> SqlError {
    SqlError::Unsupported(format!("the statement {}", statement_kind(stmt)))
}

/// The first keywords of a statement (at most two), to name it in messages:
/// `CREATE SEQUENCE`, `EXECUTE` (not `EXECUTE u(1,`).
fn statement_kind(stmt: &Statement) -> String {
    stmt.to_string()
        .split_whitespace()
        .take(2)
        .take_while(|word| word.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .collect::<Vec<_>>()
        .join(" ")
}
