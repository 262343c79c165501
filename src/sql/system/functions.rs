//! The SQL functions that read the catalog or the session: `pg_get_indexdef`,
//! `pg_get_userbyid`, `current_user`, `current_setting`, `set_config`, the
//! relation sizes, the `regclass`/`regtype`/… conversions and the like. The
//! scalar library (`types::functions`) resolves their signatures; the executor
//! evaluates them here, where the database and the statement's context are at
//! hand.

use crate::db::{Database, Sequence};
use crate::sql::advisory::{AdvisoryKey, LockMode, LockScope};
use crate::sql::context::SettingChange;
use crate::sql::context::{SessionCalls, SessionHandles};
use crate::sql::{Notice, QueryContext, SettingValue, SqlError};
use crate::types::{
    format_type, quote_ident, CatalogFunction, DataType, OidAlias, SleepUntil, TypeError, Value,
};

use super::catalog::{self as c};
use super::{
    pg_class, pg_empty, pg_index, pg_namespace, pg_proc, pg_roles, pg_type, qualify, sizes,
};

/// What `function` reaches of the statement's session, where the statement
/// may act on it (see `QueryContext::session_calls`).
fn session<'a>(ctx: &'a QueryContext, function: &str) -> Result<&'a SessionHandles, SqlError> {
    let refused = |where_: &str| {
        Err(SqlError::Unsupported(format!(
            "{function} in a data-modifying statement{where_} (call it in a SELECT of its own)"
        )))
    };
    let session = match (&ctx.session, ctx.session_calls) {
        (Some(session), SessionCalls::All) => session,
        (Some(_), SessionCalls::NoSleep) if function == "pg_sleep" => {
            return refused(" or a query string that has one")
        }
        (Some(session), SessionCalls::NoSleep) => session,
        _ => return refused(" inside a transaction block, or in COPY"),
    };
    session.calls.mark_used();
    Ok(session)
}

/// Adds `warning` to those the statement sends before its answer.
fn warn(ctx: &QueryContext, warning: Notice) {
    if let Some(session) = &ctx.session {
        session.calls.mark_used();
        session.calls.warnings.lock().push(warning);
    }
}

/// PostgreSQL's warning for a signal (`pg_cancel_backend`,
/// `pg_terminate_backend`) to the pid `args[0]`, which no session has.
fn not_a_session(args: &[Value]) -> Notice {
    Notice::NotABackend(args[0].as_i64().unwrap_or_default())
}

/// The key of an advisory lock function's call: its `bigint`, or its two
/// `integer`s (the signature made them so).
fn advisory_key(args: &[Value]) -> AdvisoryKey {
    match args {
        [Value::Int4(high), Value::Int4(low)] => AdvisoryKey::Pair(*high, *low),
        [Value::Int8(key)] => AdvisoryKey::Int8(*key),
        other => unreachable!("an advisory lock's key is a bigint or two integers, not {other:?}"),
    }
}

fn lock_mode(shared: bool) -> LockMode {
    if shared {
        LockMode::Shared
    } else {
        LockMode::Exclusive
    }
}

/// Evaluates `function` on arguments already cast to its signature. All but
/// `set_config` are strict: the executor answers NULL for a NULL argument without
/// calling them.
pub fn eval_catalog_function(
    function: CatalogFunction,
    args: &[Value],
    db: &Database,
    ctx: &QueryContext,
) -> Result<Value, SqlError> {
    use CatalogFunction as C;
    let oid = || {
        args.first()
            .and_then(Value::as_i64)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0)
    };
    let text = |v: Option<String>| v.map_or(Value::Null, Value::Text);
    Ok(match function {
        C::CurrentUser => Value::Text(ctx.user.to_string()),
        C::CurrentDatabase => Value::Text(ctx.database.to_string()),
        C::CurrentSchema => text(qualify::search_path(ctx).first().map(|s| s.to_string())),
        C::CurrentSchemas => {
            let mut schemas = qualify::search_path(ctx);
            if args[0].as_bool() == Some(true) && !schemas.contains(&"pg_catalog") {
                schemas.insert(0, "pg_catalog");
            }
            Value::Array(schemas.into_iter().map(c::name).collect())
        }
        C::BackendPid => Value::Int4(ctx.backend_pid),
        C::CancelBackend => {
            let pid = args[0].as_i64().and_then(|p| i32::try_from(p).ok());
            let cancelled = pid
                .zip(ctx.activities.as_deref())
                .is_some_and(|(pid, a)| a.cancel(pid));
            if !cancelled {
                warn(ctx, not_a_session(args));
            }
            Value::Bool(cancelled)
        }
        C::AdvisoryLock {
            shared,
            transaction,
            wait,
        } => {
            let session = session(ctx, "an advisory lock function")?;
            let scope = if transaction {
                LockScope::Transaction
            } else {
                LockScope::Session
            };
            let key = advisory_key(args);
            match session
                .locks
                .lock(&session.calls.locks, key, lock_mode(shared), scope)
            {
                Ok(()) if wait => Value::Text(String::new()),
                Ok(()) => Value::Bool(true),
                Err(SqlError::AdvisoryLockBusy(_)) if !wait => Value::Bool(false),
                Err(e) => return Err(e),
            }
        }
        C::AdvisoryUnlock { shared } => {
            let session = session(ctx, "an advisory lock function")?;
            let mode = lock_mode(shared);
            let unlocked = session
                .locks
                .unlock(&session.calls.locks, advisory_key(args), mode);
            if !unlocked {
                warn(ctx, Notice::DoNotOwnLock(mode.name()));
            }
            Value::Bool(unlocked)
        }
        C::AdvisoryUnlockAll => {
            session(ctx, "an advisory lock function")?
                .locks
                .unlock_all();
            Value::Text(String::new())
        }
        C::Notify => {
            let session = session(ctx, "pg_notify")?;
            let text = |value: &Value| match value {
                Value::Null => String::new(),
                value => value.to_text(),
            };
            session.calls.notifications.notify(
                &session.notify_hub,
                session.pending_notify_bytes,
                text(&args[0]),
                text(&args[1]),
            )?;
            Value::Text(String::new())
        }
        C::ListeningChannels => Value::Array(
            ctx.session
                .iter()
                .flat_map(|session| session.listening.iter())
                .map(|channel| Value::Text(channel.clone()))
                .collect(),
        ),
        C::NotificationQueueUsage => Value::Float8(
            ctx.session
                .as_ref()
                .map_or(0.0, |session| session.notify_hub.usage()),
        ),
        C::PostmasterStartTime => ctx
            .activities
            .as_deref()
            .map_or(Value::Null, |a| Value::Timestamptz(a.started_us())),
        C::ConnectionAddress { server, port } => {
            let session = ctx
                .activities
                .as_deref()
                .and_then(|a| a.session(ctx.backend_pid));
            let address = session.map(|s| if server { s.server } else { s.client });
            match address {
                Some(address) if port => Value::Int4(i32::from(address.port())),
                Some(address) => Value::Text(address.ip().to_string()),
                None => Value::Null,
            }
        }
        C::TerminateBackend => {
            let timeout = args.get(1).and_then(Value::as_i64).unwrap_or(0);
            if timeout < 0 {
                return Err(SqlError::InvalidParameterValue(
                    "\"timeout\" must not be negative".into(),
                ));
            }
            if timeout > 0 {
                return Err(SqlError::Unsupported(
                    "pg_terminate_backend with a timeout (it would wait under the database \
                     lock; call it with 0, or without one, and watch pg_stat_activity)"
                        .into(),
                ));
            }
            let pid = args[0].as_i64().and_then(|p| i32::try_from(p).ok());
            let terminated = pid
                .zip(ctx.activities.as_deref())
                .is_some_and(|(pid, a)| a.terminate(pid));
            if !terminated {
                warn(ctx, not_a_session(args));
            }
            Value::Bool(terminated)
        }
        C::Sleep(until) => {
            let seconds = match (until, &args[0]) {
                (SleepUntil::Seconds, Value::Float8(seconds)) => *seconds,
                // A month as 30 days, as intervals compare.
                (SleepUntil::Interval, Value::Interval(interval)) => {
                    interval.comparison_key() as f64 / 1e6
                }
                (SleepUntil::Moment, Value::Timestamptz(at)) => {
                    (*at - crate::types::now_us()) as f64 / 1e6
                }
                (_, other) => {
                    unreachable!("pg_sleep's argument was cast to its type, not {other:?}")
                }
            };
            let session = session(ctx, "pg_sleep")?;
            // Negative or NaN sleeps not at all, as in PostgreSQL; what is too
            // long to count is as good as forever.
            if seconds > 0.0 {
                let micros = (seconds * 1e6).min(u64::MAX as f64) as u64;
                session.calls.sleep.add(micros);
            }
            Value::Text(String::new())
        }
        C::UserById => Value::Text(pg_roles::role_name(&ctx.user, oid())),
        C::IndexDef => text(index_definition(db, oid(), args.get(1))),
        C::ConstraintDef => text(constraint_definition(
            db,
            oid(),
            !qualify::public_on_path(ctx),
            args.get(1)
                .is_some_and(|pretty| *pretty == Value::Bool(true)),
        )),
        C::ViewDef => text(
            db.views()
                .find(|v| c::oid_of(c::Kind::View, &v.name) == oid())
                .map(|view| {
                    if qualify::public_on_path(ctx) {
                        c::view_definition(&view.query)
                    } else {
                        c::view_definition(&qualify::qualify_query(&view.query, db))
                    }
                }),
        ),
        C::FunctionArguments => text(pg_proc::routine_by_oid(db, oid()).map(pg_proc::arguments)),
        C::FunctionResult => match pg_proc::routine_by_oid(db, oid()) {
            Some(routine) => pg_proc::result(routine),
            None => Value::Null,
        },
        C::Expression => match &args[0] {
            Value::Text(expr) if !qualify::public_on_path(ctx) => {
                Value::Text(qualify::qualify_expression(expr))
            }
            expr => expr.clone(),
        },
        C::FirstArgument => args[0].clone(),
        C::TriggerDef => Value::Null,
        C::Description => {
            let in_pg_namespace = args.get(1).is_none_or(|c| c.to_text() == "pg_namespace");
            let comment = pg_namespace::SCHEMA_COMMENTS
                .iter()
                .find(|(schema, _)| in_pg_namespace && *schema == oid());
            text(comment.map(|(_, comment)| comment.to_string()))
        }
        C::AclDefault => match &args[0] {
            Value::Text(kind) => {
                acl_default(kind, args[1].as_i64().unwrap_or_default(), &ctx.user)?
            }
            other => unreachable!("acldefault's kind is a \"char\", not {other:?}"),
        },
        C::RegIn(alias) => match &args[0] {
            Value::Text(name) => reg_in(db, ctx, alias, name)?,
            other => other.clone(),
        },
        C::RegOut(alias) => Value::Text(reg_out(db, &ctx.user, alias, oid())),
        C::ToReg(alias) => match &args[0] {
            Value::Text(name) => reg_in(db, ctx, alias, name).unwrap_or(Value::Null),
            other => other.clone(),
        },
        C::IsVisible(alias) => is_visible(db, alias, oid()).map_or(Value::Null, Value::Bool),
        C::CollationIsVisible => {
            pg_empty::collation_is_visible(oid()).map_or(Value::Null, Value::Bool)
        }
        C::CurrentSetting => {
            let missing_ok = args.get(1).and_then(Value::as_bool).unwrap_or(false);
            text(ctx.settings.current(&args[0].to_text(), missing_ok)?)
        }
        C::SetConfig => Value::Text(set_config(args, ctx)?),
        C::RelationSize(part) => {
            if let Some(fork) = args.get(1) {
                if !is_main_fork(&fork.to_text())? {
                    return Ok(Value::Int8(0));
                }
            }
            sizes::relation_size(db, oid(), part).map_or(Value::Null, Value::Int8)
        }
        C::NextVal => {
            let (id, sequence) = sequence_of(db, ctx, &args[0], true)?;
            let schema = sequence.schema();
            let value = db.advance_sequence(&schema.name)?;
            ctx.sequences
                .advanced((id, schema.created_as.clone()), value);
            Value::Int8(value)
        }
        C::SetVal => {
            let (id, sequence) = sequence_of(db, ctx, &args[0], true)?;
            let schema = sequence.schema();
            let (value, is_called) = match (&args[1], args.get(2)) {
                (Value::Null, _) | (_, Some(Value::Null)) => return Ok(Value::Null),
                (value, is_called) => (
                    value.as_i64().unwrap_or_default(),
                    is_called.and_then(Value::as_bool).unwrap_or(true),
                ),
            };
            db.set_sequence(&schema.name, value, is_called)?;
            if is_called {
                ctx.sequences.set((id, schema.created_as.clone()), value);
            }
            Value::Int8(value)
        }
        C::CurrVal => {
            let (id, sequence) = sequence_of(db, ctx, &args[0], false)?;
            let schema = sequence.schema();
            let key = (id, schema.created_as.clone());
            let value = ctx.sequences.current(&key).ok_or_else(|| {
                SqlError::ObjectNotInPrerequisiteState(format!(
                    "currval of sequence \"{}\" is not yet defined in this session",
                    schema.name
                ))
            })?;
            Value::Int8(value)
        }
        C::LastVal => match ctx.sequences.last() {
            Some(((id, created_as), value))
                if db
                    .sequence_by_id(id)
                    .is_some_and(|s| s.schema().created_as == created_as) =>
            {
                Value::Int8(value)
            }
            _ => {
                return Err(SqlError::ObjectNotInPrerequisiteState(
                    "lastval is not yet defined in this session".into(),
                ))
            }
        },
        C::SequenceLastValue | C::SequenceIsCalled => {
            let state = sequence_of(db, ctx, &args[0], false)?.1.state();
            match function {
                C::SequenceLastValue => Value::Int8(state.last_value),
                _ => Value::Bool(state.is_called),
            }
        }
        C::SerialSequence => text(serial_sequence(db, &args[0].to_text(), &args[1].to_text())?),
        C::DatabaseSize => match &args[0] {
            Value::Text(name) if **name != *ctx.database => {
                return Err(SqlError::Unsupported(format!(
                    "pg_database_size of \"{name}\" (this session's database is \"{}\")",
                    ctx.database
                )))
            }
            Value::Int8(n) if *n != i64::from(c::DATABASE_OID) => Value::Null,
            _ => Value::Int8(sizes::database_size(db)),
        },
    })
}

/// `set_config(name, value, is_local)`: the change as `SET` makes it, kept by the
/// session if the statement succeeds; returns the new value as `SHOW` shows it.
/// A NULL value resets the setting and a NULL `is_local` is false, as in
/// PostgreSQL. On a transaction block's overlay the statement is handed back to a
/// rehearsal first (see `sql::overlay`), so that it changes settings in one run
/// only: a run that is handed back later would have changed them already.
fn set_config(args: &[Value], ctx: &QueryContext) -> Result<String, SqlError> {
    if ctx.overlay.is_some() {
        return Err(SqlError::NeedsRehearsal);
    }
    let Value::Text(name) = &args[0] else {
        return Err(TypeError::NullValueNotAllowed("SET requires parameter name".into()).into());
    };
    let value = match &args[1] {
        Value::Text(value) => SettingValue::Text(value.clone()),
        _ => SettingValue::Default,
    };
    ctx.settings.set(SettingChange {
        name: name.clone(),
        value,
        local: args[2].as_bool().unwrap_or(false),
    })
}

/// Whether `fork` names the main fork of a relation (its data), for
/// `pg_relation_size(rel, fork)`: the others (`fsm`, `vm`, `init`) are empty in
/// Turnstile; any other name is 22023, as in PostgreSQL.
fn is_main_fork(fork: &str) -> Result<bool, SqlError> {
    match fork {
        "main" => Ok(true),
        "fsm" | "vm" | "init" => Ok(false),
        _ => Err(SqlError::InvalidParameterValue(
            "invalid fork name (valid fork names are \"main\", \"fsm\", \"vm\", and \"init\")"
                .into(),
        )),
    }
}

/// Whether the bare name finds the object `oid` of the alias's kind: a relation if
/// its schema is on the search path; every type (all in `pg_catalog`) and every
/// routine (all in `public`). None if `oid` names nothing of that kind.
fn is_visible(db: &Database, alias: OidAlias, oid: u32) -> Option<bool> {
    match alias {
        OidAlias::RegClass => pg_class::relations(db)
            .iter()
            .find(|r| r.oid == oid)
            .map(pg_class::RelationInfo::is_visible),
        OidAlias::RegType => DataType::from_oid(oid).map(|_| true),
        OidAlias::RegProc => pg_proc::routine_by_oid(db, oid).map(|_| true),
        OidAlias::Oid | OidAlias::RegNamespace | OidAlias::RegRole => None,
    }
}

/// `pg_get_indexdef(oid)`, or with a column number the name of that column
/// (quoted where SQL needs it, as in the definition).
fn index_definition(db: &Database, oid: u32, column: Option<&Value>) -> Option<String> {
    let indexes = c::indexes(db);
    let index = indexes.iter().find(|i| i.oid() == oid)?;
    match column.and_then(Value::as_i64) {
        None | Some(0) => Some(c::index_definition(index)),
        Some(n) => {
            let position = *index.columns.get(usize::try_from(n - 1).ok()?)?;
            Some(quote_ident(&index.table.columns[position].name))
        }
    }
}

/// `pg_get_constraintdef(oid [, pretty])`: `PRIMARY KEY (a, b)`, `UNIQUE (c)`,
/// `CHECK ((a > 0))` (`CHECK (a > 0)` pretty), `FOREIGN KEY (a) REFERENCES
/// p(id)`.
fn constraint_definition(db: &Database, oid: u32, qualified: bool, pretty: bool) -> Option<String> {
    if let Some(check) = c::checks(db).iter().find(|check| check.oid() == oid) {
        return Some(check.definition(pretty));
    }
    if let Some(key) = c::foreign_keys(db).iter().find(|key| key.oid() == oid) {
        return Some(key.definition(qualified));
    }
    let indexes = c::indexes(db);
    let index = indexes
        .iter()
        .find(|i| i.is_constraint() && pg_index::constraint_oid(&i.name) == oid)?;
    Some(format!(
        "{} ({})",
        index.constraint_type().0,
        c::column_list(index.table, &index.columns)
    ))
}

/// The sequence `relation` names (an OID, or a name as text) for a sequence
/// function, with its OID: 42809 for another relation. A function that changes
/// it (`write`) runs only under the write lock: elsewhere it is handed to a
/// rehearsal (a block's statement on its overlay) or refused (a view's query,
/// which runs under the read lock).
fn sequence_of<'db>(
    db: &'db Database,
    ctx: &QueryContext,
    relation: &Value,
    write: bool,
) -> Result<(u32, &'db Sequence), SqlError> {
    // A name as text (`nextval($1)` with a text parameter) reads as `regclass`
    // reads it.
    let relation = match relation {
        Value::Text(name) => reg_in(db, ctx, OidAlias::RegClass, name)?,
        oid => oid.clone(),
    };
    let id = relation
        .as_i64()
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0);
    let sequence = db
        .sequence_by_id(id)
        .ok_or_else(|| match pg_class::relation_name(db, id) {
            Some(name) => SqlError::WrongObjectType(format!("\"{name}\" is not a sequence")),
            None => {
                SqlError::UndefinedTableMessage(format!("could not open relation with OID {id}"))
            }
        })?;
    if write && !db.in_write_transaction() {
        return Err(if ctx.overlay.is_some() {
            SqlError::NeedsRehearsal
        } else {
            nextval_outside_write()
        });
    }
    Ok((id, sequence))
}

/// 0A000 for `nextval` or `setval` in a statement that does not run as a write:
/// a query calling them in a view's body.
pub fn nextval_outside_write() -> SqlError {
    SqlError::Unsupported("nextval and setval in a view (call them in the statement itself)".into())
}

/// `pg_get_serial_sequence(table, column)`: `public.<sequence>` of the sequence
/// the column owns (a `serial` or identity column's), or NULL.
fn serial_sequence(db: &Database, table: &str, column: &str) -> Result<Option<String>, SqlError> {
    let folded = fold(table);
    let name = folded.strip_prefix("public.").unwrap_or(&folded);
    let table = db
        .get_table(name)
        .ok_or_else(|| SqlError::UndefinedTable(name.to_owned()))?;
    let schema = table.schema();
    let position = schema.column_index(column).ok_or_else(|| {
        SqlError::UndefinedColumnMessage(format!(
            "column \"{column}\" of relation \"{}\" does not exist",
            schema.name
        ))
    })?;
    Ok(db
        .sequences()
        .find(|s| s.schema().owned_by == Some((schema.id, position)))
        .map(|s| format!("public.{}", quote_ident(&s.schema().name))))
}

/// Reads `name` as an OID of kind `alias` (`'accounts'::regclass`): a number is
/// taken as it is; a name must exist (42P01, 42704, 42883 or 3F000 otherwise).
fn reg_in(
    db: &Database,
    ctx: &QueryContext,
    alias: OidAlias,
    name: &str,
) -> Result<Value, SqlError> {
    if let Ok(n) = name.trim().parse::<u32>() {
        return Ok(c::oid(n));
    }
    let user = &*ctx.user;
    let folded = fold(name);
    // A relation's name may start with the database's (TypeORM writes
    // `'db.public.t'::regclass`); another database's is 0A000, as in PostgreSQL.
    let folded = match folded.split('.').collect::<Vec<_>>().as_slice() {
        [database, schema, relation] if alias == OidAlias::RegClass => {
            if *database != &*ctx.database {
                return Err(SqlError::Unsupported(format!(
                    "cross-database references: {name}"
                )));
            }
            format!("{schema}.{relation}")
        }
        _ => folded,
    };
    let found = match alias {
        OidAlias::Oid => None,
        OidAlias::RegClass => pg_class::relation_oid(db, &folded),
        // Every type is in pg_catalog (TypeORM writes `'"pg_catalog"."int4"'`).
        OidAlias::RegType => {
            let bare = folded.strip_prefix("pg_catalog.").unwrap_or(&folded);
            DataType::builtin()
                .find(|t| pg_type::type_name(*t) == bare || t.to_string() == bare)
                .map(DataType::oid)
        }
        OidAlias::RegProc => db.get_routine(&folded).map(|r| pg_proc::routine_oid(r)),
        OidAlias::RegNamespace => pg_namespace::SCHEMAS
            .iter()
            .find(|(_, n, _)| *n == folded)
            .map(|(oid, _, _)| *oid),
        OidAlias::RegRole => (folded == user).then_some(c::OWNER_OID),
    };
    found.map(c::oid).ok_or_else(|| match alias {
        OidAlias::RegClass => SqlError::UndefinedTable(folded),
        OidAlias::RegProc => {
            SqlError::UndefinedFunction(format!("function \"{folded}\" does not exist"))
        }
        OidAlias::RegNamespace => SqlError::UndefinedSchema(folded),
        OidAlias::RegType => SqlError::UndefinedObject(format!("type \"{folded}\" does not exist")),
        OidAlias::Oid | OidAlias::RegRole => {
            SqlError::UndefinedObject(format!("role \"{folded}\" does not exist"))
        }
    })
}

/// The user table, view or sequence that the constant `'name'::regclass` (or
/// `nextval('name')`) names, if any: a view holding such a constant depends
/// on it, as in PostgreSQL, which stores the constant as the relation's OID.
pub fn regclass_constant_relation(db: &Database, name: &str) -> Option<String> {
    let folded = fold(name);
    let bare = match folded.split_once('.') {
        Some(("public", bare)) => bare,
        Some(_) => return None,
        None => &folded,
    };
    let found = db.get_table(bare).is_some()
        || db.get_sequence(bare).is_some()
        || db.get_view(bare).is_some();
    found.then(|| bare.to_owned())
}

/// A name as SQL reads it: unquoted parts fold to lower case, `"quoted"` ones not.
fn fold(name: &str) -> String {
    name.split('.')
        .map(
            |part| match part.strip_prefix('"').and_then(|p| p.strip_suffix('"')) {
                Some(quoted) => quoted.to_owned(),
                None => part.to_lowercase(),
            },
        )
        .collect::<Vec<_>>()
        .join(".")
}

/// Prints an OID of kind `alias` as its name, quoted where SQL needs it (the
/// output reads back as input); one that names nothing prints as the number, and
/// 0 (no object) as `-`, as in PostgreSQL. Routines are in `public`, on the search
/// path, so never qualified.
fn reg_out(db: &Database, user: &str, alias: OidAlias, oid: u32) -> String {
    if oid == 0 && alias != OidAlias::Oid {
        return "-".into();
    }
    let name = match alias {
        OidAlias::Oid => None,
        OidAlias::RegClass => pg_class::relation_name(db, oid),
        OidAlias::RegType => Some(format_type(i64::from(oid), None)).filter(|t| t != "???"),
        OidAlias::RegProc => pg_proc::routine_by_oid(db, oid).map(|r| quote_ident(&r.name)),
        OidAlias::RegNamespace => pg_namespace::schema_name(oid).map(quote_ident),
        OidAlias::RegRole => Some(quote_ident(&pg_roles::role_name(user, oid))),
    };
    name.unwrap_or_else(|| oid.to_string())
}

/// `acldefault(kind, owner)`: PostgreSQL 15's default privileges of an object
/// of `kind` owned by role `owner`, as its `aclitem[]` prints them (the
/// world's item first, then the owner's), each granted by the owner.
fn acl_default(kind: &str, owner: i64, user: &str) -> Result<Value, SqlError> {
    let (world, owners) = match kind {
        "c" => ("", ""),
        "r" => ("", "arwdDxt"),
        "s" => ("", "rwU"),
        "d" => ("Tc", "CTc"),
        "f" => ("X", "X"),
        "l" | "T" => ("U", "U"),
        "L" => ("", "rw"),
        "n" => ("", "UC"),
        "t" => ("", "C"),
        "F" | "S" => ("", "U"),
        "p" => ("", "sA"),
        other => {
            return Err(
                TypeError::Internal(format!("unrecognized objtype abbreviation: {other}")).into(),
            )
        }
    };
    // A role Turnstile does not know prints as its number, as in PostgreSQL.
    let role = match u32::try_from(owner) {
        Ok(oid @ (c::OWNER_OID | c::DATABASE_OWNER_OID)) => pg_roles::acl_role(user, oid),
        _ => owner.to_string(),
    };
    let items = [("", world), (role.as_str(), owners)]
        .into_iter()
        .filter(|(_, rights)| !rights.is_empty())
        .map(|(grantee, rights)| Value::Text(format!("{grantee}={rights}/{role}")))
        .collect();
    Ok(Value::Array(items))
}
