//! Names qualified with `public.` where PostgreSQL's deparsers would qualify
//! them: for a session whose `search_path` leaves `public` out.
//!
//! `pg_get_viewdef`, `pg_get_expr` and `pg_get_constraintdef` print a relation's
//! name bare when the search path finds it, and schema-qualified when it does
//! not. pg_dump relies on it: it sets `search_path` to `''`, and the dump it
//! writes restores under that setting, so a view reading `accounts`, a default
//! `nextval('accounts_id_seq'::regclass)` and a `REFERENCES accounts(id)` must
//! come out naming `public.accounts`, or PostgreSQL would not find them there.
//!
//! Turnstile has the one schema `public` and finds every name in it whatever
//! `search_path` says; only these functions' output follows the setting.

use sqlparser::ast::{self, visit_expressions, visit_relations, Visit, Visitor};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Location;

use crate::sql::parse::byte_offset_of;
use std::ops::ControlFlow;

use super::pg_namespace::SCHEMAS;
use crate::db::Database;
use crate::sql::QueryContext;

/// The schemas the session's `search_path` names that exist, in its order
/// (`"$user"` names none: there is no schema of a role's name).
pub fn search_path(ctx: &QueryContext) -> Vec<&'static str> {
    let path = ctx
        .settings
        .current("search_path", true)
        .ok()
        .flatten()
        .unwrap_or_default();
    let mut schemas = Vec::new();
    for named in path.split(',').map(|s| s.trim().trim_matches('"')) {
        let found = SCHEMAS
            .iter()
            .map(|(_, name, _)| *name)
            .find(|s| *s == named);
        if let Some(schema) = found.filter(|s| !schemas.contains(s)) {
            schemas.push(schema);
        }
    }
    schemas
}

/// True if the session's `search_path` names `public`, so that a bare name
/// finds the user's objects (the default, `"$user", public`).
pub fn public_on_path(ctx: &QueryContext) -> bool {
    search_path(ctx).contains(&"public")
}

/// The query `sql` (a view's) with each table, view and sequence it names in
/// a FROM clause qualified; names of its WITH queries, of functions and of
/// system relations stay bare, and the rest of the text as it was. The text
/// as it was if it does not parse.
pub fn qualify_query(sql: &str, db: &Database) -> String {
    let Ok(statements) = Parser::parse_sql(&PostgreSqlDialect {}, sql) else {
        return sql.to_owned();
    };
    let [ast::Statement::Query(query)] = statements.as_slice() else {
        return sql.to_owned();
    };
    let mut with_names = WithNames::default();
    let _ = query.visit(&mut with_names);
    let mut bare_names = Vec::new();
    let _ = visit_relations(query, |name| {
        if let [ast::ObjectNamePart::Identifier(part)] = name.0.as_slice() {
            let name = crate::sql::binder::ident(part);
            let is_user_relation = !with_names.0.contains(&name)
                && (db.get_table(&name).is_some()
                    || db.get_view(&name).is_some()
                    || db.get_sequence(&name).is_some());
            if is_user_relation {
                bare_names.extend(byte_offset_of(sql, part.span.start));
            }
        }
        ControlFlow::<()>::Continue(())
    });
    insert_public(sql, bare_names)
}

/// The expression `sql` (a default) with each relation named by a text
/// constant where a `regclass` is read (`'s'::regclass`, `nextval('s')`)
/// qualified, and the rest of the text as it was. The text as it was if it
/// does not parse.
pub fn qualify_expression(sql: &str) -> String {
    let bare: Vec<usize> = regclass_literals(sql)
        .into_iter()
        .filter(|(_, name)| !name.contains('.'))
        // After the opening quote.
        .filter_map(|(at, _)| byte_offset_of(sql, at).map(|i| i + 1))
        .collect();
    insert_public(sql, bare)
}

/// Each string constant in the expression `sql` that is read as a
/// `regclass` (cast to one, or the first argument of `nextval`, `currval` or
/// `setval`), with where it starts.
fn regclass_literals(sql: &str) -> Vec<(Location, String)> {
    let Ok(expr) = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_expr())
    else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut literal = |e: &ast::Expr| {
        if let ast::Expr::Value(ast::ValueWithSpan {
            value: ast::Value::SingleQuotedString(name),
            span,
        }) = e
        {
            found.push((span.start, name.clone()));
        }
    };
    let _ = visit_expressions(&expr, |e| {
        match e {
            ast::Expr::Cast {
                expr,
                data_type: ast::DataType::Regclass,
                ..
            } => literal(expr),
            ast::Expr::Function(call) if is_sequence_function(&call.name) => {
                if let ast::FunctionArguments::List(list) = &call.args {
                    if let Some(ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(first))) =
                        list.args.first()
                    {
                        literal(first);
                    }
                }
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    found
}

/// `nextval`, `currval` or `setval`, whose first argument is a `regclass`.
fn is_sequence_function(name: &ast::ObjectName) -> bool {
    name.0
        .last()
        .and_then(|part| part.as_ident())
        .is_some_and(|f| {
            ["nextval", "currval", "setval"].contains(&f.value.to_lowercase().as_str())
        })
}

/// `text` with `public.` inserted at each of the byte offsets `at`.
fn insert_public(text: &str, mut at: Vec<usize>) -> String {
    at.sort_unstable();
    at.dedup();
    let mut out = String::with_capacity(text.len() + "public.".len() * at.len());
    let mut copied = 0;
    for i in at {
        out.push_str(&text[copied..i]);
        out.push_str("public.");
        copied = i;
    }
    out.push_str(&text[copied..]);
    out
}

/// The names of a query's WITH queries, at any depth: a reference to one is
/// not a relation.
#[derive(Default)]
struct WithNames(Vec<String>);

impl Visitor for WithNames {
    type Break = ();

    fn pre_visit_query(&mut self, query: &ast::Query) -> ControlFlow<()> {
        if let Some(with) = &query.with {
            self.0.extend(
                with.cte_tables
                    .iter()
                    .map(|cte| crate::sql::binder::ident(&cte.alias.name)),
            );
        }
        ControlFlow::Continue(())
    }
}
