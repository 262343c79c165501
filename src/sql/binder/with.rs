//! `WITH` queries (common table expressions), by substitution: each reference to
//! one binds its query again in its place, as a subquery in FROM would be, with
//! the names it could see where it was defined.
//!
//! PostgreSQL runs a `WITH` query referenced more than once once, and reads its
//! rows at each reference; substituting gives the same rows as long as running it
//! twice does, which every query of this statement's snapshot does unless it calls
//! a function whose result differs from call to call ([`VOLATILE_FUNCTIONS`]). Such
//! a query referenced twice is refused (0A000) rather than answered with rows
//! PostgreSQL would not give. `WITH RECURSIVE` and data-modifying statements in
//! `WITH` are refused too.
//!
//! Scoping, as in PostgreSQL: a `WITH` query sees the ones defined before it in
//! its list, those of the enclosing queries, and the columns of the enclosing
//! queries (a correlated reference); it shadows a table or view of the same
//! unqualified name for the rest of its query.

use std::sync::Arc;

use sqlparser::ast::{self, Query, SetExpr};

use super::from::rename_columns;
use super::scope::Scope;
use super::{names, Binder};
use crate::sql::parse::calls_function_named;
use crate::sql::plan::Plan;
use crate::sql::SqlError;

/// The functions whose result differs from one call to the next (PostgreSQL's
/// `provolatile = 'v'`) among those Turnstile has.
const VOLATILE_FUNCTIONS: &[&str] = &[
    "random",
    "clock_timestamp",
    "gen_random_uuid",
    "set_config",
    "pg_sleep",
];

/// The most times one statement may bind `WITH` queries, each reference and each
/// definition's check counted: substitution makes a query that refers to another
/// several times, itself referred to several times, cost the product, so a short
/// statement could keep the binder busy for hours (and, nesting, use up its
/// stack). Past it is 54000.
const WITH_BINDINGS_MAX: usize = 1_000;

/// One `WITH` query in reach of the query being bound.
#[derive(Debug, Clone)]
pub(super) struct WithQuery {
    name: String,
    /// Its column names (`WITH x (a, b) AS …`); the query's own names past them.
    columns: Vec<String>,
    query: Arc<Query>,
    /// How many of the binder's `WITH` queries it sees: those before it.
    sees: usize,
    /// How many enclosing scopes it sees: those of where it was defined.
    outer: usize,
    /// How often the statement refers to it, so far.
    references: usize,
}

impl Binder<'_> {
    /// Defines the queries of `with` for the query that carries it, checking
    /// each as it goes (PostgreSQL reports an error in one nobody refers to).
    /// The caller removes them once that query is bound.
    pub(super) fn define_with(&mut self, with: &ast::With) -> Result<(), SqlError> {
        if with.recursive {
            return Err(SqlError::Unsupported("WITH RECURSIVE".into()));
        }
        let first = self.with_queries.len();
        for cte in &with.cte_tables {
            let name = names::ident(&cte.alias.name);
            if self.with_queries[first..].iter().any(|w| w.name == name) {
                return Err(SqlError::DuplicateAlias(format!(
                    "WITH query name \"{name}\" specified more than once"
                )));
            }
            if cte.from.is_some() {
                return Err(SqlError::Unsupported("FROM in a WITH query".into()));
            }
            if matches!(
                *cte.query.body,
                SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_)
            ) {
                return Err(SqlError::Unsupported(
                    "data-modifying statements in WITH".into(),
                ));
            }
            if let Some(column) = cte.alias.columns.iter().find(|c| c.data_type.is_some()) {
                return Err(SqlError::Unsupported(format!(
                    "a column type in the column list of WITH query \"{name}\" ({})",
                    column.name
                )));
            }
            let query = WithQuery {
                name,
                columns: cte
                    .alias
                    .columns
                    .iter()
                    .map(|c| names::ident(&c.name))
                    .collect(),
                query: Arc::new((*cte.query).clone()),
                sees: self.with_queries.len(),
                outer: self.outer.len(),
                references: 0,
            };
            // Checked, not used: the references it makes do not count.
            self.checking_with += 1;
            let checked = self.bind_with_query(&query, &query.name);
            self.checking_with -= 1;
            checked?;
            self.with_queries.push(query);
        }
        Ok(())
    }

    /// The plan and scope of a reference to the `WITH` query `name`, shown as
    /// `alias` if given; None if no `WITH` query of that name is in reach.
    pub(super) fn bind_with_reference(
        &mut self,
        name: &str,
        alias: Option<&ast::TableAlias>,
    ) -> Result<Option<(Plan, Scope)>, SqlError> {
        let Some(index) = self.with_queries.iter().rposition(|w| w.name == name) else {
            return Ok(None);
        };
        if self.checking_with == 0 {
            self.with_queries[index].references += 1;
        }
        let query = self.with_queries[index].clone();
        if query.references > 1 {
            if let Some(function) = calls_function_named(&*query.query, VOLATILE_FUNCTIONS) {
                return Err(SqlError::Unsupported(format!(
                    "WITH query \"{name}\" calls {function}() and is referenced more than \
                     once; its rows would differ between the references (put the query in \
                     each place, or keep its rows in a table)"
                )));
            }
        }
        let shown = alias.map_or_else(|| query.name.clone(), |a| names::ident(&a.name));
        let (plan, mut scope) = self.bind_with_query(&query, &shown)?;
        if let Some(alias) = alias {
            rename_columns(&mut scope, alias)?;
        }
        Ok(Some((plan, scope)))
    }

    /// Binds the query of `with` as it is seen where it was defined, its columns
    /// shown under the name `shown`.
    fn bind_with_query(
        &mut self,
        with: &WithQuery,
        shown: &str,
    ) -> Result<(Plan, Scope), SqlError> {
        self.with_bindings += 1;
        if self.with_bindings > WITH_BINDINGS_MAX {
            return Err(SqlError::ProgramLimitExceeded(format!(
                "the statement's WITH queries are bound once per reference, and its \
                 references add up to more than {WITH_BINDINGS_MAX}; refer to them fewer \
                 times, or keep their rows in a table"
            )));
        }
        let later_queries = self.with_queries.split_off(with.sees);
        let inner_scopes = self.outer.split_off(with.outer);
        let bound = self.bind_query(&with.query);
        self.outer.extend(inner_scopes);
        self.with_queries.extend(later_queries);
        let bound = bound?;
        if with.columns.len() > bound.columns.len() {
            return Err(SqlError::InvalidColumnReference(format!(
                "WITH query \"{}\" has {} columns available but {} columns specified",
                with.name,
                bound.columns.len(),
                with.columns.len()
            )));
        }
        let scope = Scope::computed(
            Some(shown.to_owned()),
            bound.columns.iter().enumerate().map(|(i, c)| {
                let name = with.columns.get(i).unwrap_or(&c.name);
                (name.clone(), c.data_type)
            }),
        );
        Ok((bound.plan, scope))
    }
}
