//! `WITH` queries (common table expressions), by substitution: each reference to
//! one binds its query again in its place, as a subquery in FROM would be, with
//! the names it could see where it was defined.
//!
//! PostgreSQL runs a `WITH` query once, and reads its rows at each reference;
//! substituting runs it once per reference, and once per row of the enclosing
//! query where the reference sits in a subquery. That gives the same rows as long
//! as running it again does, which every query of this statement's snapshot does
//! unless it calls a volatile function (`random()`: see
//! `FunctionId::is_volatile`), itself or through a view. Such a query referenced
//! twice, or from inside a subquery, is refused (0A000) rather than answered with
//! rows PostgreSQL would not give. Data-modifying statements in `WITH` are refused
//! too.
//!
//! A reference binds the query with the binder's enclosing scopes as they were
//! where it was defined, and the scopes opened since (the subqueries the
//! reference sits in) emptied rather than removed: the query cannot see their
//! columns, and its references to the enclosing queries' columns count their
//! levels from where it runs.
//!
//! Scoping, as in PostgreSQL: a `WITH` query sees the ones defined before it in
//! its list (under `RECURSIVE`, all of them), those of the enclosing queries, and
//! the columns of the enclosing queries (a correlated reference); it shadows a
//! table or view of the same unqualified name for the rest of its query.
//!
//! # `WITH RECURSIVE`
//!
//! A query of a `WITH RECURSIVE` list that refers to itself must be
//! `non-recursive term UNION [ALL] recursive term`, as in PostgreSQL. It becomes a
//! [`Plan::RecursiveUnion`]: the first term's rows, then, round after round, what
//! the recursive term makes of the rows the last round found, which it reads where
//! it names the query ([`Plan::WorkingTable`]), until a round finds none. The
//! first term sets the column types; the recursive term's are cast to them where
//! UNION would, and one that would change them is 42804, as in PostgreSQL. So are
//! PostgreSQL's other rules (42P19): the recursive term names the query once, not
//! inside a subquery; the first term does not name it; the recursive term has no
//! aggregate, and the query no ORDER BY, LIMIT or OFFSET of its own (0A000). A
//! recursion that never ends stops at `statement_timeout` or at the statement's
//! row limit.

use std::ops::ControlFlow;
use std::sync::Arc;

use sqlparser::ast::{self, visit_relations, Query, SetExpr, SetOperator, SetQuantifier};

use super::from::rename_columns;
use super::scope::Scope;
use super::select::{cast_outputs, check_query_clauses, output_column, unknown_outputs_as_text};
use super::{names, Binder, BoundQuery};
use crate::sql::plan::Plan;
use crate::sql::SqlError;
use crate::types::DataType;

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
    body: WithBody,
    /// How many of the binder's `WITH` queries it sees: those before it, or
    /// under `RECURSIVE` those of its whole list.
    sees: usize,
    /// How many enclosing scopes it sees: those of where it was defined.
    outer: usize,
    /// How often the statement refers to it, so far.
    references: usize,
    /// Whether it calls a volatile function, itself or through a view.
    volatile: bool,
    /// Set while its query is being bound: a reference to it then is mutual
    /// recursion.
    binding: bool,
}

/// What a name defined by `WITH` stands for.
#[derive(Debug, Clone)]
enum WithBody {
    /// A query, bound again at each reference.
    Query(Arc<Query>),
    /// A `WITH RECURSIVE` query that names itself, bound again at each reference.
    Recursive(Arc<Query>),
    /// Inside the recursive term of recursive query `id` being bound: the rows its
    /// last round found, of these columns; `named` once it has been, by the
    /// binding at `checking` (see `Binder::checking_with`).
    LastRound {
        id: usize,
        columns: Vec<(String, DataType)>,
        named: bool,
        checking: usize,
    },
}

impl Binder<'_> {
    /// Defines the queries of `with` for the query that carries it, then checks
    /// each (PostgreSQL reports an error in one nobody refers to). Under
    /// `RECURSIVE` each sees the whole list, as in PostgreSQL; otherwise those
    /// before it. The caller removes them once that query is bound.
    pub(super) fn define_with(&mut self, with: &ast::With) -> Result<(), SqlError> {
        let first = self.with_queries.len();
        for (position, cte) in with.cte_tables.iter().enumerate() {
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
            let query = Arc::new((*cte.query).clone());
            let body = if with.recursive && names_relation(&*cte.query, &name) {
                WithBody::Recursive(query)
            } else {
                WithBody::Query(query)
            };
            self.with_queries.push(WithQuery {
                name,
                columns: cte
                    .alias
                    .columns
                    .iter()
                    .map(|c| names::ident(&c.name))
                    .collect(),
                body,
                sees: if with.recursive {
                    first + with.cte_tables.len()
                } else {
                    first + position
                },
                outer: self.outer.len(),
                references: 0,
                volatile: false,
                binding: false,
            });
        }
        for index in first..self.with_queries.len() {
            // Checked, not used: the references it makes do not count.
            self.checking_with += 1;
            let query = self.with_queries[index].clone();
            let checked = self.bind_with_query(index, &query, &query.name);
            self.checking_with -= 1;
            self.with_queries[index].volatile = checked?.2;
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
        if let WithBody::LastRound { .. } = self.with_queries[index].body {
            return self.bind_last_round(index, alias).map(Some);
        }
        if self.checking_with == 0 {
            self.with_queries[index].references += 1;
        }
        let query = self.with_queries[index].clone();
        if query.binding {
            return Err(SqlError::Unsupported(format!(
                "mutual recursion between WITH items (\"{name}\")"
            )));
        }
        if query.volatile && (query.references > 1 || self.outer.len() > query.outer) {
            return Err(SqlError::Unsupported(format!(
                "referring more than once, or from inside a subquery, to WITH query \
                 \"{name}\", which calls a volatile function such as random() (each \
                 reference runs it again)"
            )));
        }
        let shown = alias.map_or_else(|| query.name.clone(), |a| names::ident(&a.name));
        let (plan, mut scope, _) = self.bind_with_query(index, &query, &shown)?;
        if let Some(alias) = alias {
            rename_columns(&mut scope, alias)?;
        }
        Ok(Some((plan, scope)))
    }

    /// Binds the query of `with` as it is seen where it was defined, its columns
    /// shown under the name `shown`; also says whether it called a volatile
    /// function.
    fn bind_with_query(
        &mut self,
        index: usize,
        with: &WithQuery,
        shown: &str,
    ) -> Result<(Plan, Scope, bool), SqlError> {
        self.with_bindings += 1;
        if self.with_bindings > WITH_BINDINGS_MAX {
            return Err(SqlError::ProgramLimitExceeded(format!(
                "the statement's WITH queries are bound once per reference, and its \
                 references add up to more than {WITH_BINDINGS_MAX}; refer to them fewer \
                 times, or keep their rows in a table"
            )));
        }
        self.with_queries[index].binding = true;
        let later_queries = self.with_queries.split_off(with.sees);
        let inner_scopes: Vec<Scope> = self.outer[with.outer..]
            .iter_mut()
            .map(std::mem::take)
            .collect();
        let volatile_before = std::mem::replace(&mut self.binds_volatile, false);
        let bound = match &with.body {
            WithBody::Query(query) => self.bind_query(query).and_then(unknown_outputs_as_text),
            WithBody::Recursive(query) => self.bind_recursive(with, query),
            WithBody::LastRound { .. } => unreachable!("a last round is not bound as a query"),
        };
        let volatile = self.binds_volatile;
        self.binds_volatile |= volatile_before;
        for (emptied, scope) in self.outer[with.outer..].iter_mut().zip(inner_scopes) {
            *emptied = scope;
        }
        self.with_queries.extend(later_queries);
        self.with_queries[index].binding = false;
        let bound = bound?;
        let columns = with.named_columns(&bound)?;
        let scope = Scope::computed(Some(shown.to_owned()), columns);
        Ok((bound.plan, scope, volatile))
    }

    /// Binds recursive query `with`, `query`, in the scopes it sees, with the
    /// `WITH` queries of its own, if any.
    fn bind_recursive(&mut self, with: &WithQuery, query: &Query) -> Result<BoundQuery, SqlError> {
        check_query_clauses(query)?;
        let Some(own) = &query.with else {
            return self.bind_recursive_terms(with, query);
        };
        let outside = self.with_queries.len();
        let bound = self
            .define_with(own)
            .and_then(|()| self.bind_recursive_terms(with, query));
        self.with_queries.truncate(outside);
        bound
    }

    /// [`Binder::bind_recursive`] past its own `WITH`.
    fn bind_recursive_terms(
        &mut self,
        with: &WithQuery,
        query: &Query,
    ) -> Result<BoundQuery, SqlError> {
        let name = &with.name;
        let not_recursive_form = || {
            SqlError::InvalidRecursion(format!(
                "recursive query \"{name}\" does not have the form non-recursive-term \
                 UNION [ALL] recursive-term"
            ))
        };
        let SetExpr::SetOperation {
            op: SetOperator::Union,
            set_quantifier,
            left,
            right,
        } = &*query.body
        else {
            return Err(not_recursive_form());
        };
        let all = match set_quantifier {
            SetQuantifier::All => true,
            SetQuantifier::Distinct | SetQuantifier::None => false,
            _ => return Err(not_recursive_form()),
        };
        for (present, clause) in [
            (query.order_by.is_some(), "ORDER BY"),
            (
                query.limit_clause.is_some() || query.fetch.is_some(),
                "LIMIT and OFFSET",
            ),
        ] {
            if present {
                return Err(SqlError::Unsupported(format!(
                    "{clause} in a recursive query"
                )));
            }
        }
        if names_relation(&**left, name) {
            return Err(SqlError::InvalidRecursion(format!(
                "recursive reference to query \"{name}\" must not appear within its \
                 non-recursive term"
            )));
        }
        // An untyped literal or NULL of the first term is text, as PostgreSQL
        // resolves it before it sets the types.
        let anchor = unknown_outputs_as_text(self.bind_set_expr(left)?)?;
        let columns = with.named_columns(&anchor)?;
        let id = self.next_subquery_id;
        self.next_subquery_id += 1;
        self.with_queries.push(WithQuery {
            name: name.clone(),
            columns: Vec::new(),
            body: WithBody::LastRound {
                id,
                columns: columns.clone(),
                named: false,
                checking: self.checking_with,
            },
            sees: self.with_queries.len(),
            outer: self.outer.len(),
            references: 0,
            volatile: false,
            binding: false,
        });
        let recursive = self.bind_set_expr(right);
        self.with_queries.pop();
        let recursive = recursive?;
        if recursive.plan.any_node(
            &|p| matches!(p, Plan::Aggregate { aggregates, .. } if !aggregates.is_empty()),
        ) {
            return Err(SqlError::InvalidRecursion(
                "aggregate functions are not allowed in a recursive query's recursive term".into(),
            ));
        }
        if recursive.columns.len() != anchor.columns.len() {
            return Err(SqlError::InvalidStatement(
                "each UNION query must have the same number of columns".into(),
            ));
        }
        let mut types = Vec::new();
        for (i, (_, anchor_type)) in columns.iter().enumerate() {
            let sides = [output_column(&anchor, i), output_column(&recursive, i)];
            let overall = self.common_type_of(&sides, "UNION")?;
            if overall != *anchor_type {
                return Err(SqlError::DatatypeMismatch(format!(
                    "recursive query \"{name}\" column {} has type {anchor_type} in \
                     non-recursive term but type {overall} overall",
                    i + 1
                )));
            }
            types.push(overall);
        }
        let recursive = cast_outputs(recursive, &types)?;
        Ok(BoundQuery {
            plan: Plan::RecursiveUnion {
                id,
                anchor: Box::new(anchor.plan),
                recursive: Box::new(recursive.plan),
                all,
            },
            columns: anchor.columns,
        })
    }

    /// A reference, inside the recursive term of the query at `index`, to the rows
    /// its last round found.
    fn bind_last_round(
        &mut self,
        index: usize,
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Plan, Scope), SqlError> {
        let outer = self.with_queries[index].outer;
        let name = self.with_queries[index].name.clone();
        let WithBody::LastRound {
            id,
            columns,
            named,
            checking,
        } = &mut self.with_queries[index].body
        else {
            unreachable!("the caller found a last round")
        };
        if self.outer.len() != outer {
            return Err(SqlError::InvalidRecursion(format!(
                "recursive reference to query \"{name}\" must not appear within a subquery"
            )));
        }
        // A WITH query inside the recursive term is bound once more to check it:
        // what that binding names does not count.
        if self.checking_with == *checking && std::mem::replace(named, true) {
            return Err(SqlError::InvalidRecursion(format!(
                "recursive reference to query \"{name}\" must not appear more than once"
            )));
        }
        let shown = alias.map_or_else(|| name.clone(), |a| names::ident(&a.name));
        let plan = Plan::WorkingTable {
            id: *id,
            width: columns.len(),
        };
        let mut scope = Scope::computed(Some(shown), columns.iter().cloned());
        if let Some(alias) = alias {
            rename_columns(&mut scope, alias)?;
        }
        Ok((plan, scope))
    }

    /// Refuses `nullable`, the side of an outer join that may be padded with
    /// NULLs, if it reads the last round of a recursive query being bound, as
    /// PostgreSQL does (42P19).
    pub(super) fn check_outer_join_side(&self, nullable: &Plan) -> Result<(), SqlError> {
        for with in &self.with_queries {
            let WithBody::LastRound { id, .. } = with.body else {
                continue;
            };
            if nullable
                .any_node(&|p| matches!(p, Plan::WorkingTable { id: read, .. } if *read == id))
            {
                return Err(SqlError::InvalidRecursion(format!(
                    "recursive reference to query \"{}\" must not appear within an outer join",
                    with.name
                )));
            }
        }
        Ok(())
    }
}

impl WithQuery {
    /// The names and types of the columns of `bound`, its query as bound: its
    /// column list's names first.
    fn named_columns(&self, bound: &BoundQuery) -> Result<Vec<(String, DataType)>, SqlError> {
        if self.columns.len() > bound.columns.len() {
            return Err(SqlError::InvalidColumnReference(format!(
                "WITH query \"{}\" has {} columns available but {} columns specified",
                self.name,
                bound.columns.len(),
                self.columns.len()
            )));
        }
        Ok(bound
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let name = self.columns.get(i).unwrap_or(&c.name);
                (name.clone(), c.data_type)
            })
            .collect())
    }
}

/// True if `node` names the relation `name` unqualified (a query naming itself).
fn names_relation(node: &impl ast::Visit, name: &str) -> bool {
    visit_relations(node, |relation| match names::qualified(relation) {
        Ok((None, named)) if named == name => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    })
    .is_break()
}
