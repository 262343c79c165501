//! The binder's state for one statement: the catalog, parameter types, enclosing
//! scopes, and what grouping, views and nesting depth allow.

use crate::db::Database;
use crate::sql::{ColumnInfo, SqlError};
use crate::types::DataType;

use super::scope::Scope;
use super::window::WindowContext;
use super::with::WithQuery;
use crate::sql::plan::{Aggregate, Expr, Plan, SetFunction};

/// A bound query: its plan and the columns it returns.
#[derive(Debug, Clone)]
pub struct BoundQuery {
    pub plan: Plan,
    pub columns: Vec<ColumnInfo>,
}

/// The state of binding one statement.
pub struct Binder<'a> {
    pub db: &'a Database,
    /// The type of each parameter: the client's hint, or what the context implied,
    /// or `Unknown` while nothing has; Unknown at the end means text.
    pub params: Vec<DataType>,
    /// Whether the statement names each parameter (`$n` appears in it).
    params_named: Vec<bool>,
    /// The scopes of the enclosing queries, innermost last: where a name not found
    /// in the current query is looked up (a correlated reference).
    pub(super) outer: Vec<Scope>,
    /// Which query levels the column references bound so far read, by level (0
    /// the outermost; a query's own columns are at level `outer.len()` while it
    /// is bound). A subquery that read a level below its own is correlated (see
    /// `nested`); an aggregate call belongs to the innermost level its arguments
    /// read (see `bind_aggregate`).
    pub(super) referenced_levels: Vec<bool>,
    pub(super) next_subquery_id: usize,
    /// Set while binding the select list, HAVING and ORDER BY of a grouped query.
    pub(super) agg: Option<AggContext>,
    /// Set when an aggregate call was found outside of a grouped context: the query
    /// is grouped after all and must be bound again in that mode.
    pub(super) saw_aggregate: bool,
    /// How many views are being expanded, to refuse a view that refers to itself.
    pub(super) view_depth: usize,
    /// How deeply the expression being bound is nested (subqueries included), to
    /// refuse one whose evaluation could overflow a thread's stack.
    pub(super) expr_depth: usize,
    /// The tables, views and sequences the statement names itself (not those
    /// inside the views it expands): what a view stored with this query
    /// depends on, for DROP.
    pub(super) referenced: Vec<String>,
    /// Set when the statement reads a system relation, or calls a function that
    /// reads the catalog or the session (`pg_get_indexdef`, `'t'::regclass`,
    /// `current_user`): then it cannot run against the empty catalog of table-free
    /// queries (see `Engine`).
    pub(super) reads_catalog: bool,
    /// The `WITH` queries in reach of what is being bound, outermost first (see
    /// `with`).
    pub(super) with_queries: Vec<WithQuery>,
    /// Above zero while a `WITH` query is bound only to check it.
    pub(super) checking_with: usize,
    /// How many times the statement's `WITH` queries have been bound so far.
    pub(super) with_bindings: usize,
    /// Set when a volatile function is bound (see `FunctionId::is_volatile`); a
    /// `WITH` query notes whether its own binding set it.
    pub(super) binds_volatile: bool,
    /// Above zero while an aggregate call's arguments are bound (see
    /// `bind_column`: an ungrouped column of an enclosing grouped query read
    /// there may make the call that query's aggregate).
    pub(super) in_aggregate_inputs: usize,
    /// Set while binding the select list and ORDER BY of a query without
    /// grouping: where window function calls may be (see `window`).
    pub(super) window: Option<WindowContext>,
    /// Set while binding the select list and ORDER BY of a query without
    /// grouping: where set-returning function calls may be (see
    /// [`SetFunctions`]).
    pub(super) set_functions: Option<SetFunctions>,
    /// Set while binding the parts of a CASE or COALESCE (its name), which
    /// evaluate some of them only: no set-returning function may be there,
    /// as in PostgreSQL.
    pub(super) conditional: Option<&'static str>,
}

/// The set-returning functions a select list calls (`SELECT unnest(a)`): each
/// becomes a column after the FROM clause's `base` columns, which a
/// `Plan::ProjectSet` under the projection computes (see `select`).
pub(super) struct SetFunctions {
    pub(super) base: usize,
    pub(super) functions: Vec<SetFunction>,
}

/// What the binder knows while binding expressions above an aggregation.
pub(super) struct AggContext {
    /// The scope of the rows being grouped.
    pub(super) input: Scope,
    pub(super) group_keys: Vec<Expr>,
    /// The expressions the first group keys were written as: an output written
    /// the same is that key even where binding it again would not compare equal
    /// (a subquery gets a new id each time it is bound).
    pub(super) group_key_asts: Vec<sqlparser::ast::Expr>,
    pub(super) aggregates: Vec<Aggregate>,
    /// Where the columns of the set-returning functions in group keys start
    /// in `input`: a key that reads one returns a set.
    pub(super) set_function_base: usize,
}

impl AggContext {
    /// Whether group key `k` calls a set-returning function.
    pub(super) fn key_returns_set(&self, k: usize) -> bool {
        let mut returns_set = false;
        self.group_keys[k].walk_columns(&mut |column| {
            returns_set |= column >= self.set_function_base;
        });
        returns_set
    }
}

/// Moves the columns of `exprs` numbered from `placeholder` (while a grouped
/// query's aggregates were still being found) to follow the groups' `width`
/// columns, where the node computing them puts them.
pub(super) fn place_columns<'e>(
    placeholder: usize,
    width: usize,
    exprs: impl IntoIterator<Item = &'e mut Expr>,
) {
    fn place_in(expr: &mut Expr, placeholder: usize, width: usize) {
        if let Expr::Column { index, .. } = expr {
            if *index >= placeholder {
                *index = *index - placeholder + width;
            }
        }
        for child in expr.children_mut() {
            place_in(child, placeholder, width);
        }
    }
    for expr in exprs {
        place_in(expr, placeholder, width);
    }
}

/// The position of `item` in `items`, pushed there if it is not: a call written
/// twice (an aggregate, a window function) is computed once.
pub(super) fn position_or_push<T: PartialEq>(items: &mut Vec<T>, item: T) -> usize {
    match items.iter().position(|i| *i == item) {
        Some(p) => p,
        None => {
            items.push(item);
            items.len() - 1
        }
    }
}

/// The deepest view nesting allowed; deeper is certainly a cycle.
pub(super) const VIEW_DEPTH_MAX: usize = 32;

/// The deepest expression nesting allowed (each operator, function call, CASE,
/// cast or subquery is a level). Cloning, binding, planning, evaluating and
/// dropping an expression recurse once per level, on threads with
/// `STATEMENT_THREAD_STACK_BYTES` of stack (see `sql::parse`, which refuses a
/// deeper one right after parsing); `deep_statements_fit` in `src/sql/tests.rs`
/// checks this bound with a wide margin. PostgreSQL's equivalent is
/// `max_stack_depth`; deeper is 54001.
pub const EXPR_DEPTH_MAX: usize = 200;

/// The longest chain of set operations allowed (`SELECT … UNION ALL SELECT …`, each
/// UNION, INTERSECT or EXCEPT a level, as in a tree of them): the same walks
/// recurse once per level, with larger frames than an expression's. Deeper is
/// 54001.
pub const SET_OPERATIONS_DEPTH_MAX: usize = 300;

/// The highest `$n` a statement may use (PostgreSQL's protocol allows 65535).
pub(super) const PARAMS_MAX: usize = 65_535;

impl<'a> Binder<'a> {
    pub fn new(db: &'a Database, hints: &[Option<DataType>]) -> Binder<'a> {
        Binder {
            db,
            params: hints
                .iter()
                .map(|h| h.unwrap_or(DataType::Unknown))
                .collect(),
            params_named: vec![false; hints.len()],
            outer: Vec::new(),
            referenced_levels: Vec::new(),
            in_aggregate_inputs: 0,
            next_subquery_id: 0,
            agg: None,
            window: None,
            set_functions: None,
            conditional: None,
            saw_aggregate: false,
            view_depth: 0,
            expr_depth: 0,
            referenced: Vec::new(),
            reads_catalog: false,
            with_queries: Vec::new(),
            checking_with: 0,
            with_bindings: 0,
            binds_volatile: false,
        }
    }

    /// See the field `reads_catalog`.
    pub fn reads_catalog(&self) -> bool {
        self.reads_catalog
    }

    /// The tables, views and sequences named in FROM, or by a constant
    /// `regclass` (`nextval('s')`), by what was bound so far, each once, in the
    /// order first named; views are not looked into.
    pub fn referenced_relations(&self) -> &[String] {
        &self.referenced
    }

    /// Notes a relation named at the statement's own level (not inside a view).
    pub(super) fn note_reference(&mut self, relation: &str) {
        if self.view_depth == 0 && !self.referenced.iter().any(|r| r == relation) {
            self.referenced.push(relation.to_owned());
        }
    }

    /// Notes that the statement names parameter `index` (0-based).
    pub(super) fn name_param(&mut self, index: usize) {
        if index >= self.params_named.len() {
            self.params_named.resize(index + 1, false);
        }
        self.params_named[index] = true;
    }

    /// The number of the first parameter the statement names (`$n`), if any.
    pub(super) fn first_named_parameter(&self) -> Option<usize> {
        self.params_named
            .iter()
            .position(|named| *named)
            .map(|i| i + 1)
    }

    /// The parameter types to describe: anything named but not inferred is text.
    /// A parameter neither declared nor named (`$1` when only `$2` appears) has no
    /// type at all: 42P18, as in PostgreSQL.
    pub fn param_types(&self) -> Result<Vec<DataType>, SqlError> {
        self.params
            .iter()
            .zip(&self.params_named)
            .enumerate()
            .map(|(index, (&ty, &named))| match ty {
                DataType::Unknown if !named => Err(SqlError::IndeterminateDatatype(index + 1)),
                DataType::Unknown => Ok(DataType::Text),
                ty => Ok(ty),
            })
            .collect()
    }

    /// Whether `expr` returns a set: it reads the column of a set-returning
    /// function of this select list, or a group key that calls one.
    pub(super) fn returns_set(&self, expr: &Expr) -> bool {
        let mut returns_set = false;
        expr.walk_columns(&mut |column| {
            let srf_column = self
                .set_functions
                .as_ref()
                .is_some_and(|s| column >= s.base);
            let srf_key = self
                .agg
                .as_ref()
                .is_some_and(|agg| column < agg.group_keys.len() && agg.key_returns_set(column));
            returns_set |= srf_column || srf_key;
        });
        returns_set
    }

    /// 42804 if `expr`, an argument of `what` (NOT, AND, OR), returns a set,
    /// as PostgreSQL refuses it.
    pub(super) fn refuse_set_argument(&self, expr: &Expr, what: &str) -> Result<(), SqlError> {
        if self.returns_set(expr) {
            return Err(SqlError::DatatypeMismatch(format!(
                "argument of {what} must not return a set"
            )));
        }
        Ok(())
    }

    /// Runs `f` inside the conditional expression `what` (see
    /// `Binder::conditional`).
    pub(super) fn inside_conditional<T>(
        &mut self,
        what: &'static str,
        f: impl FnOnce(&mut Self) -> Result<T, SqlError>,
    ) -> Result<T, SqlError> {
        let outer = self.conditional.replace(what);
        let result = f(self);
        self.conditional = outer;
        result
    }

    /// Binds `f` as a nested query level whose enclosing scope is `scope`;
    /// returns its result and whether it referenced that scope or one further out.
    pub(super) fn nested<T>(
        &mut self,
        scope: &Scope,
        f: impl FnOnce(&mut Self) -> Result<T, SqlError>,
    ) -> Result<(T, bool), SqlError> {
        self.outer.push(scope.clone());
        let level = self.outer.len();
        let saved_agg = self.agg.take();
        let saved_window = self.window.take();
        let saved_set_functions = self.set_functions.take();
        let saved_conditional = self.conditional.take();
        let (result, levels) = self.levels_referenced_by(f);
        self.agg = saved_agg;
        self.window = saved_window;
        self.set_functions = saved_set_functions;
        self.conditional = saved_conditional;
        self.outer.pop();
        let correlated = levels.iter().take(level).any(|&read| read);
        result.map(|r| (r, correlated))
    }

    /// Runs `f` with its column references' levels counted apart and returns
    /// them beside its result; they count for the enclosing binding too.
    pub(super) fn levels_referenced_by<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> T,
    ) -> (T, Vec<bool>) {
        let saved = std::mem::take(&mut self.referenced_levels);
        let result = f(self);
        let levels = std::mem::replace(&mut self.referenced_levels, saved);
        for (level, _) in levels.iter().enumerate().filter(|(_, &read)| read) {
            self.note_level_referenced(level);
        }
        (result, levels)
    }

    /// Notes a column reference to query level `level`.
    pub(super) fn note_level_referenced(&mut self, level: usize) {
        if self.referenced_levels.len() <= level {
            self.referenced_levels.resize(level + 1, false);
        }
        self.referenced_levels[level] = true;
    }

    pub(super) fn subquery_id(&mut self) -> usize {
        self.next_subquery_id += 1;
        self.next_subquery_id
    }
}
