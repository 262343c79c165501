//! SQL's prepared statements: `PREPARE name [(types)] AS statement`,
//! `EXECUTE name [(arguments)]` and `DEALLOCATE [PREPARE] name | ALL`.
//!
//! In PostgreSQL these share one namespace with the protocol's named statements:
//! a statement PREPAREd in SQL can be bound by Bind, one made by Parse can be run
//! by EXECUTE, and `DEALLOCATE ALL` drops both kinds (never the unnamed one). That
//! namespace is the connection's statement map, so they are answered here, in the
//! wire layer, in both protocols, with Parse's machinery: PREPARE is
//! `Connection::prepare` with the declared types as hints (the others inferred as
//! Parse infers them), EXECUTE binds and runs the statement as Bind and Execute
//! do, DEALLOCATE is Close. A name in use answers 42P05, an unknown one 26000.
//!
//! EXECUTE's arguments are constants (literals, NULL, signed numbers), read with
//! their parameter's text input, the way a text-format Bind parameter is read and
//! PostgreSQL reads an untyped literal. Any other expression is 0A000. As in
//! PostgreSQL, only SELECT, VALUES, INSERT, UPDATE and DELETE can be PREPAREd
//! (anything else is 42601), and none of the three is transactional: ROLLBACK
//! keeps what PREPARE made.

use sqlparser::ast::{
    DataType as AstType, Expr, Ident, ObjectNamePart, Statement, UnaryOperator, Value as AstValue,
};

use super::codec::{self, Format};
use super::connection::Connection;
use super::WireError;
use crate::sql::copy::is_copy;
use crate::sql::{
    number_value, same_result_type, CommandTag, Description, Output, SqlError, TransactionState,
};
use crate::types::{cast_context, cast_in, CastKind, DataType, TimeZone, Value};
use crate::Error;

/// A PREPARE, EXECUTE or DEALLOCATE, with its statement name folded as an
/// identifier (unquoted names are lower case).
pub(super) enum SqlCommand<'a> {
    Prepare {
        name: String,
        types: &'a [AstType],
        statement: &'a Statement,
    },
    Execute {
        name: String,
        args: &'a [Expr],
    },
    /// None for `DEALLOCATE ALL`.
    Deallocate(Option<String>),
}

/// Recognizes PREPARE, EXECUTE and DEALLOCATE; None for every other statement.
pub(super) fn maybe_sql_command(stmt: &Statement) -> Result<Option<SqlCommand<'_>>, SqlError> {
    Ok(Some(match stmt {
        Statement::Prepare {
            name,
            data_types,
            statement,
        } => {
            check_preparable(statement)?;
            SqlCommand::Prepare {
                name: statement_name(name)?,
                types: data_types,
                statement,
            }
        }
        Statement::Execute {
            name: Some(name),
            parameters,
            immediate: false,
            into,
            using,
            output: false,
            default: false,
            ..
        } if into.is_empty() && using.is_empty() => match name.0.as_slice() {
            [ObjectNamePart::Identifier(ident)] => SqlCommand::Execute {
                name: statement_name(ident)?,
                args: parameters,
            },
            _ => {
                return Err(SqlError::Syntax(format!(
                    "syntax error at or near \"{name}\""
                )))
            }
        },
        // Other dialects' forms (EXECUTE IMMEDIATE, USING, INTO, …).
        Statement::Execute { .. } => {
            return Err(SqlError::Syntax(format!("syntax error in \"{stmt}\"")))
        }
        Statement::Deallocate { name, .. }
            if name.quote_style.is_none() && name.value.eq_ignore_ascii_case("all") =>
        {
            SqlCommand::Deallocate(None)
        }
        Statement::Deallocate { name, .. } => SqlCommand::Deallocate(Some(statement_name(name)?)),
        _ => return Ok(None),
    }))
}

/// True for the statements [`maybe_sql_command`] recognizes, without checking them.
pub(super) fn is_sql_command(stmt: &Statement) -> bool {
    matches!(
        stmt,
        Statement::Prepare { .. } | Statement::Execute { .. } | Statement::Deallocate { .. }
    )
}

/// A statement name from SQL. "" is the protocol's unnamed statement, which SQL
/// cannot name (PostgreSQL refuses a zero-length quoted identifier).
fn statement_name(ident: &Ident) -> Result<String, SqlError> {
    let name = crate::sql::ident(ident);
    if name.is_empty() {
        return Err(SqlError::Syntax("zero-length delimited identifier".into()));
    }
    Ok(name)
}

/// 42601 unless `stmt` is one PostgreSQL's grammar lets PREPARE hold.
fn check_preparable(stmt: &Statement) -> Result<(), SqlError> {
    match stmt {
        Statement::Query(_)
        | Statement::Insert(_)
        | Statement::Update(_)
        | Statement::Delete(_) => Ok(()),
        other => {
            let text = other.to_string();
            let word = text.split_whitespace().next().unwrap_or_default();
            Err(SqlError::Syntax(format!(
                "syntax error at or near \"{word}\""
            )))
        }
    }
}

impl Connection {
    /// The parameter and result types of `stmt`, for Parse and PREPARE: an
    /// EXECUTE has the columns of the statement it runs and no parameters of its
    /// own; PREPARE and DEALLOCATE have neither; the session describes the rest.
    pub(super) async fn describe_statement(
        &self,
        stmt: &Statement,
        hints: &[Option<DataType>],
    ) -> Result<Description, Error> {
        match maybe_sql_command(stmt)? {
            Some(SqlCommand::Execute { name, .. }) => {
                let target = self
                    .statements
                    .get(&name)
                    .ok_or(WireError::UnknownStatement(name))?;
                Ok(Description {
                    params: vec![],
                    columns: target.columns.clone(),
                })
            }
            Some(_) => Ok(Description::default()),
            None => self.session.describe(stmt, hints).await,
        }
    }

    /// Runs a PREPARE, EXECUTE or DEALLOCATE. In a failed block each is 25P02, as
    /// in PostgreSQL. `portal` is the portal running it (extended protocol), which
    /// the statement EXECUTE runs passes on to the session.
    pub(super) async fn run_sql_command(
        &mut self,
        command: SqlCommand<'_>,
        portal: Option<&str>,
    ) -> Result<Output, Error> {
        if self.session.transaction_state() == TransactionState::Failed {
            return Err(SqlError::InFailedTransaction.into());
        }
        let tag = match command {
            SqlCommand::Prepare {
                name,
                types,
                statement,
            } => {
                let hints = types
                    .iter()
                    .map(|t| crate::sql::data_type(t).map(Some))
                    .collect::<Result<Vec<_>, _>>()?;
                let sql = statement.to_string();
                self.prepare(name, sql, Some(statement.clone()), hints)
                    .await?;
                "PREPARE"
            }
            SqlCommand::Execute { name, args } => {
                return self.execute_named(name, args, portal).await
            }
            SqlCommand::Deallocate(Some(name)) => {
                self.statements
                    .remove(&name)
                    .ok_or(WireError::UnknownStatement(name))?;
                "DEALLOCATE"
            }
            SqlCommand::Deallocate(None) => {
                self.statements.retain(str::is_empty);
                "DEALLOCATE ALL"
            }
        };
        Ok(Output::Command(CommandTag::new(tag)))
    }

    /// EXECUTE: binds the constant arguments to the named statement's parameter
    /// types and runs it; the output is the statement's own (rows, `INSERT 0 1`).
    async fn execute_named(
        &mut self,
        name: String,
        args: &[Expr],
        portal: Option<&str>,
    ) -> Result<Output, Error> {
        let target = self
            .statements
            .get(&name)
            .cloned()
            .ok_or_else(|| WireError::UnknownStatement(name.clone()))?;
        if args.len() != target.params.len() {
            return Err(WireError::ExecuteParameterCount {
                name,
                given: args.len(),
                needed: target.params.len(),
            }
            .into());
        }
        // A statement made by Parse may hold what PREPARE would refuse; of those,
        // EXECUTE runs session commands (SET, BEGIN) and nothing that needs a
        // protocol of its own.
        let statement = match &target.statement {
            Some(s) if !is_copy(s.statement()) && !is_sql_command(s.statement()) => s,
            _ => {
                return Err(SqlError::Unsupported(format!(
                    "EXECUTE of prepared statement \"{name}\", which is empty, a COPY, or a \
                     PREPARE, EXECUTE or DEALLOCATE (send it with Bind and Execute instead)"
                ))
                .into())
            }
        };
        let tz = self.session.settings().time_zone();
        let params = args
            .iter()
            .zip(&target.params)
            .enumerate()
            .map(|(i, (arg, ty))| argument(i + 1, arg, *ty, tz))
            .collect::<Result<Vec<_>, _>>()?;
        let output = self.run_in_session(statement, &params, portal).await?;
        // As Execute checks a portal's rows (a write checked them before it
        // committed): PREPARE told the client these columns.
        if let Output::Rows { columns, .. } = &output {
            if !same_result_type(columns, &target.columns) {
                return Err(SqlError::ResultTypeChanged.into());
            }
        }
        Ok(output)
    }
}

/// EXECUTE argument `n` as a value of its parameter's type `ty`, as PostgreSQL
/// coerces it: a quoted string is of unknown type, read by `ty`'s input function
/// (`'1.5'` for an integer is 22P02); a number or a boolean has a type of its own,
/// converted as an assignment converts it (`1.5` for an integer is 2), or 42804 if
/// no assignment converts it (`true` for an integer).
fn argument(n: usize, arg: &Expr, ty: DataType, tz: &TimeZone) -> Result<Value, Error> {
    let typed = match constant(arg) {
        Some(Constant::Null) => return Ok(Value::Null),
        Some(Constant::Unknown(text)) => {
            return codec::decode(ty, Format::Text, text.as_bytes(), tz)
        }
        Some(Constant::Number(text)) => number_value(&text)?,
        Some(Constant::Bool(b)) => Value::Bool(b),
        None => {
            return Err(SqlError::Unsupported(format!(
                "EXECUTE argument {arg}: only constants (literals, NULL) are accepted; \
                 compute the value in the prepared statement instead"
            ))
            .into())
        }
    };
    let from = typed.data_type();
    match cast_context(from, ty) {
        Some(CastKind::Implicit | CastKind::Assignment) => {
            Ok(cast_in(typed, ty, CastKind::Assignment, tz)?)
        }
        _ => Err(SqlError::DatatypeMismatch(format!(
            "parameter ${n} of type {from} cannot be coerced to the expected type {ty}"
        ))
        .into()),
    }
}

/// A constant EXECUTE argument.
enum Constant {
    Null,
    /// A quoted string: its type is the parameter's.
    Unknown(String),
    /// A number's text, with its sign.
    Number(String),
    Bool(bool),
}

/// `expr` as a constant, or None if it is not one.
fn constant(expr: &Expr) -> Option<Constant> {
    match expr {
        Expr::Value(v) => match &v.value {
            AstValue::Null => Some(Constant::Null),
            AstValue::Number(n, _) => Some(Constant::Number(n.clone())),
            AstValue::Boolean(b) => Some(Constant::Bool(*b)),
            AstValue::SingleQuotedString(s) | AstValue::EscapedStringLiteral(s) => {
                Some(Constant::Unknown(s.clone()))
            }
            AstValue::DollarQuotedString(s) => Some(Constant::Unknown(s.value.clone())),
            _ => None,
        },
        Expr::UnaryOp { op, expr } => match (op, expr.as_ref()) {
            (UnaryOperator::Minus | UnaryOperator::Plus, Expr::Value(v)) => match &v.value {
                AstValue::Number(n, _) if *op == UnaryOperator::Minus => {
                    Some(Constant::Number(format!("-{n}")))
                }
                AstValue::Number(n, _) => Some(Constant::Number(n.clone())),
                _ => None,
            },
            _ => None,
        },
        Expr::Nested(inner) => constant(inner),
        _ => None,
    }
}
