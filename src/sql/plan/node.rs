//! The plan tree: operators, how scans find rows, sort keys and aggregates.

use super::expr::Expr;
use std::ops::Bound;
use std::sync::Arc;

use crate::db::{RoutineSchema, TableId};
use crate::sql::system::SystemRelationId;
use crate::types::DataType;

/// One operator. Every node produces rows of a fixed width; column positions in the
/// expressions above it refer to that row.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Rows of one table, found by `access`, filtered by `filter`.
    Scan {
        table: TableId,
        name: String,
        access: Access,
        filter: Option<Expr>,
        width: usize,
        /// The columns decoded from each stored row, when only a projection right
        /// above reads the rows and it and `filter` use only these (see
        /// `optimize`); the others read as NULL, and nothing reads them. `None`
        /// decodes every column.
        decoded: Option<Box<[bool]>>,
    },
    /// The rows of a system relation, computed when the scan runs (see
    /// `sql::system`).
    SystemScan {
        relation: SystemRelationId,
        width: usize,
    },
    /// The rows a module's view returns for `args` (computed once, before the call).
    CallView {
        routine: Arc<RoutineSchema>,
        args: Vec<Expr>,
        width: usize,
    },
    /// `generate_series(start, stop[, step])` in FROM: one row per integer from
    /// `start` to `stop` by `step` (1 if not given; none if any is NULL). The
    /// bounds are computed once per run, so they may refer to an enclosing
    /// query's row.
    Series {
        start: Expr,
        stop: Expr,
        step: Expr,
    },
    /// `unnest(array)` in FROM: one row per element of the array, none if it is
    /// NULL. Like [`Plan::Series`], the array is computed once per run.
    Unnest {
        array: Expr,
        /// 1: each element is a row's value; more (`jsonb_each`'s key and
        /// value): each element is an array of the row's `width` values.
        width: usize,
    },
    /// A function in FROM `WITH ORDINALITY`: its rows, each followed by its
    /// number from 1 (bigint).
    Ordinality {
        input: Box<Plan>,
    },
    /// Literal rows (`VALUES`, or the one empty row of a `SELECT` without `FROM`).
    Values {
        rows: Vec<Vec<Expr>>,
        width: usize,
    },
    Filter {
        input: Box<Plan>,
        predicate: Expr,
    },
    /// Set-returning functions in a select list, as PostgreSQL's ProjectSet:
    /// for each input row, as many rows as the longest of `functions`
    /// returns (none if none returns any), each the input row followed by
    /// one value per function, NULL where a shorter one has run out.
    ProjectSet {
        input: Box<Plan>,
        functions: Vec<SetFunction>,
    },
    Project {
        input: Box<Plan>,
        exprs: Vec<Expr>,
    },
    /// Joins by evaluating `on` for every pair of rows; `Left` keeps unmatched left
    /// rows padded with NULLs, `Full` those of both sides.
    NestedLoop {
        left: Box<Plan>,
        right: Box<Plan>,
        kind: JoinKind,
        on: Option<Expr>,
    },
    /// A join whose right side refers to the left row (a `LATERAL` subquery, or a
    /// function in FROM whose arguments name a column on its left): `right` runs
    /// once per left row, which it sees as its innermost enclosing row
    /// (`Expr::Outer` at depth 1). `Left` keeps left rows with no match.
    LateralJoin {
        left: Box<Plan>,
        right: Box<Plan>,
        kind: JoinKind,
        on: Option<Expr>,
    },
    /// For each left row, looks the right table up by the values of `keys`
    /// (evaluated on the left row) on the leading columns of an index.
    IndexJoin {
        left: Box<Plan>,
        table: TableId,
        name: String,
        index: IndexRef,
        keys: Vec<Expr>,
        kind: JoinKind,
        /// The rest of the join condition, over the joined row.
        on: Option<Expr>,
        right_width: usize,
    },
    /// Builds a hash table on the right input's `right_keys`, probes it with the left
    /// rows' `left_keys`. NULL keys never match.
    HashJoin {
        left: Box<Plan>,
        right: Box<Plan>,
        left_keys: Vec<Expr>,
        right_keys: Vec<Expr>,
        kind: JoinKind,
        on: Option<Expr>,
    },
    /// Groups by `group_by` and computes `aggregates`; the output row is the group
    /// values followed by the aggregate results. No groups and no `group_by` still
    /// yields one row (aggregates over the empty set).
    Aggregate {
        input: Box<Plan>,
        group_by: Vec<Expr>,
        aggregates: Vec<Aggregate>,
    },
    /// Computes window functions over the input's rows: each input row comes out
    /// followed by the functions' values. A function sorts the rows (stably) by
    /// its partition keys, then its ORDER BY, so the rows come out in the order of
    /// the last function's window, as PostgreSQL's WindowAgg over its sort emits
    /// them.
    Window {
        input: Box<Plan>,
        functions: Vec<WindowFunction>,
    },
    Distinct {
        input: Box<Plan>,
    },
    /// `DISTINCT ON`: of each run of rows (sorted below) whose `columns` are
    /// equal, NULLs equal too, the first.
    DistinctOn {
        input: Box<Plan>,
        columns: Vec<usize>,
    },
    Sort {
        input: Box<Plan>,
        keys: Vec<SortKey>,
    },
    /// `OFFSET` then `LIMIT`; either may be absent; evaluated once, must be constant.
    Limit {
        input: Box<Plan>,
        limit: Option<Expr>,
        offset: Option<Expr>,
    },
    SetOp {
        left: Box<Plan>,
        right: Box<Plan>,
        op: SetOpKind,
        all: bool,
    },
    /// A `WITH RECURSIVE` query: the rows of `anchor`, then those `recursive` makes
    /// from the rows found last (which it reads as [`Plan::WorkingTable`] `id`),
    /// again and again until it makes none. Without `all`, a row already found is
    /// dropped, as UNION drops it.
    RecursiveUnion {
        id: usize,
        anchor: Box<Plan>,
        recursive: Box<Plan>,
        all: bool,
    },
    /// The rows the running [`Plan::RecursiveUnion`] `id` found last.
    WorkingTable {
        id: usize,
        width: usize,
    },
}

/// A set-returning function of a select list (see [`Plan::ProjectSet`]).
#[derive(Debug, Clone, PartialEq)]
pub enum SetFunction {
    /// The elements of an array: `unnest(array)`, and the jsonb functions
    /// (`jsonb_array_elements`, …) as the array of their rows.
    Elements(Expr),
    /// `generate_series(start, stop[, step])` of integers.
    Series { start: Expr, stop: Expr, step: Expr },
}

impl SetFunction {
    /// The type of the rows it returns.
    pub fn ty(&self) -> DataType {
        match self {
            SetFunction::Elements(array) => match array.ty() {
                DataType::Array(element) => *element,
                other => other,
            },
            SetFunction::Series { start, .. } => start.ty(),
        }
    }
}

impl Plan {
    /// The plans this one reads rows from (not its subqueries, which are
    /// expressions).
    pub fn inputs(&self) -> Vec<&Plan> {
        match self {
            Plan::Filter { input, .. }
            | Plan::Project { input, .. }
            | Plan::ProjectSet { input, .. }
            | Plan::Aggregate { input, .. }
            | Plan::Window { input, .. }
            | Plan::Distinct { input }
            | Plan::DistinctOn { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Ordinality { input }
            | Plan::Limit { input, .. } => vec![input],
            Plan::NestedLoop { left, right, .. }
            | Plan::LateralJoin { left, right, .. }
            | Plan::HashJoin { left, right, .. }
            | Plan::SetOp { left, right, .. } => vec![left, right],
            Plan::IndexJoin { left, .. } => vec![left],
            Plan::RecursiveUnion {
                anchor, recursive, ..
            } => vec![anchor, recursive],
            Plan::Scan { .. }
            | Plan::SystemScan { .. }
            | Plan::CallView { .. }
            | Plan::Series { .. }
            | Plan::Unnest { .. }
            | Plan::Values { .. }
            | Plan::WorkingTable { .. } => vec![],
        }
    }

    /// True if this plan or one it reads from (not a subquery) is `wanted`.
    pub fn any_node(&self, wanted: &impl Fn(&Plan) -> bool) -> bool {
        wanted(self)
            || self
                .inputs()
                .into_iter()
                .any(|input| input.any_node(wanted))
    }
}

/// The most keys a point read looks up (`id IN (…)` with more is not "short").
const POINT_READ_KEYS_MAX: usize = 16;

impl Plan {
    /// True if the plan only looks up at most [`POINT_READ_KEYS_MAX`] rows by
    /// primary key and computes over them, with no subquery: its cost is bounded
    /// and tiny, whatever the table size, so the turnstile may run it on the
    /// session's own task when the read lock is free (see `Turnstile::read_short`).
    pub fn is_point_read(&self) -> bool {
        let no_subquery = |e: &Expr| !e.has_subquery();
        match self {
            Plan::Scan {
                access:
                    Access::Lookup {
                        index: IndexRef::PrimaryKey,
                        keys,
                    },
                filter,
                ..
            } => keys.len() <= POINT_READ_KEYS_MAX && filter.iter().all(no_subquery),
            Plan::Filter { input, predicate } => no_subquery(predicate) && input.is_point_read(),
            Plan::Project { input, exprs } => {
                exprs.iter().all(no_subquery) && input.is_point_read()
            }
            Plan::Limit { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Distinct { input }
            | Plan::DistinctOn { input, .. } => input.is_point_read(),
            _ => false,
        }
    }

    /// True if the plan produces at most [`POINT_READ_KEYS_MAX`] rows of
    /// expressions over no table and no subquery (`VALUES ($1, $2)`): the source
    /// of an INSERT whose cost is bounded and tiny.
    pub fn is_few_literal_rows(&self) -> bool {
        let no_subquery = |e: &Expr| !e.has_subquery();
        match self {
            Plan::Values { rows, .. } => {
                rows.len() <= POINT_READ_KEYS_MAX && rows.iter().flatten().all(no_subquery)
            }
            Plan::Project { input, exprs } => {
                exprs.iter().all(no_subquery) && input.is_few_literal_rows()
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    /// Keeps left rows with no match, padded with NULLs on the right.
    Left,
    /// Keeps the unmatched rows of both sides, each padded with NULLs on the
    /// other. Never a lateral or index join: the right rows no left row matched
    /// are found by running the right side once, whole.
    Full,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOpKind {
    Union,
    Intersect,
    Except,
}

/// Which index a lookup uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexRef {
    PrimaryKey,
    /// A position in `Table::indexes`.
    Secondary(usize),
}

/// How a scan finds its rows. Key expressions are constant for the scan (constants,
/// parameters, outer references), evaluated once when it starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Access {
    Full,
    /// Equality on the leading columns of an index; several keys for `IN (…)`.
    /// A key covering a whole primary key is one map probe.
    Lookup {
        index: IndexRef,
        keys: Vec<Vec<Expr>>,
    },
    /// A range on the first column of an index, then equality on none.
    Range {
        index: IndexRef,
        lower: Bound<Expr>,
        upper: Bound<Expr>,
    },
}

/// An ORDER BY key over the row below the sort.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub expr: Expr,
    pub descending: bool,
    pub nulls_first: bool,
}

/// An aggregate call inside an [`Plan::Aggregate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub func: AggregateFunc,
    /// None for `count(*)`.
    pub arg: Option<Expr>,
    pub distinct: bool,
    /// The result type, following PostgreSQL (`sum(int4)` is bigint, …).
    pub ty: DataType,
    /// The second argument, evaluated per row as PostgreSQL does:
    /// `string_agg`'s delimiter, `jsonb_object_agg`'s value; None for the
    /// others.
    pub second: Option<Expr>,
    /// The order the inputs are aggregated in (`string_agg(x, ',' ORDER BY y)`),
    /// over the input row; empty: as they come.
    pub order_by: Vec<SortKey>,
    /// `FILTER (WHERE …)`: only the input rows for which it is true are
    /// aggregated.
    pub filter: Option<Expr>,
}

/// A window function call inside a [`Plan::Window`]: over the rows of its
/// partition, in its order; the aggregates and `first_value`, `last_value` and
/// `nth_value` over the rows of its frame.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowFunction {
    pub kind: WindowKind,
    /// The call's arguments, over the input row: `lag(value, offset, default)`,
    /// `ntile(buckets)`, `nth_value(value, n)`, …; none for an aggregate, which
    /// has its own.
    pub args: Vec<Expr>,
    pub partition_by: Vec<Expr>,
    pub order_by: Vec<SortKey>,
    pub frame: Frame,
    pub ty: DataType,
}

/// Which rows of its partition a row's window function sees. Without a frame
/// clause, PostgreSQL's default: `RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT
/// ROW`, the partition's first row through the current row's last peer (the rows
/// the window's ORDER BY does not tell apart; every row without one).
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// `ROWS` (bounds count rows) or `RANGE` (`CURRENT ROW` takes in the peers).
    pub rows: bool,
    pub start: FrameBound,
    pub end: FrameBound,
}

impl Frame {
    pub fn default_range() -> Frame {
        Frame {
            rows: false,
            start: FrameBound::UnboundedPreceding,
            end: FrameBound::CurrentRow,
        }
    }
}

/// A frame's start or end. The offsets are constants (no column), evaluated once.
#[derive(Debug, Clone, PartialEq)]
pub enum FrameBound {
    UnboundedPreceding,
    Preceding(Expr),
    CurrentRow,
    Following(Expr),
    UnboundedFollowing,
}

/// The window functions that are not aggregates, by name.
pub const WINDOW_FUNCTIONS: [(&str, WindowKind); 11] = [
    ("row_number", WindowKind::RowNumber),
    ("rank", WindowKind::Rank),
    ("dense_rank", WindowKind::DenseRank),
    ("percent_rank", WindowKind::PercentRank),
    ("cume_dist", WindowKind::CumeDist),
    ("ntile", WindowKind::Ntile),
    ("lag", WindowKind::Lag),
    ("lead", WindowKind::Lead),
    ("first_value", WindowKind::FirstValue),
    ("last_value", WindowKind::LastValue),
    ("nth_value", WindowKind::NthValue),
];

#[derive(Debug, Clone, PartialEq)]
pub enum WindowKind {
    RowNumber,
    Rank,
    DenseRank,
    PercentRank,
    CumeDist,
    Ntile,
    Lag,
    Lead,
    FirstValue,
    LastValue,
    NthValue,
    /// An aggregate over the window (`sum(x) OVER (…)`), never DISTINCT or
    /// ordered within.
    Aggregate(Box<Aggregate>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateFunc {
    Count,
    Sum,
    Avg,
    Min,
    Max,
    /// `string_agg(text, delimiter)`.
    StringAgg,
    /// `array_agg(x)`: the inputs as an array, NULLs included; NULL for none.
    ArrayAgg,
    /// `jsonb_agg(x)`: the inputs as a jsonb array (as `to_jsonb` makes each),
    /// NULLs included; NULL for none.
    JsonbAgg,
    /// `jsonb_object_agg(key, value)`: a jsonb object of the pairs (the last
    /// of a repeated key kept, as `jsonb_build_object` makes it); 22023 for a
    /// NULL key; NULL for none.
    JsonbObjectAgg,
    /// `json_agg(x)` and `json_object_agg(key, value)`: the same in json's
    /// text (`types::json_text`), repeated keys kept.
    JsonAgg,
    JsonObjectAgg,
    /// `bool_and(boolean)`, also spelled `every`.
    BoolAnd,
    /// `bool_or(boolean)`.
    BoolOr,
    /// `var_samp`/`variance`, `var_pop`, and their square roots `stddev_samp`/
    /// `stddev` and `stddev_pop`: numeric for integer and numeric inputs, double
    /// precision for floats.
    Variance {
        population: bool,
        root: bool,
    },
}

impl Plan {
    /// The width of the rows this node produces.
    pub fn width(&self) -> usize {
        match self {
            Plan::Scan { width, .. }
            | Plan::SystemScan { width, .. }
            | Plan::CallView { width, .. }
            | Plan::Values { width, .. } => *width,
            Plan::Series { .. } => 1,
            Plan::Unnest { width, .. } => *width,
            Plan::Ordinality { input } => input.width() + 1,
            Plan::Filter { input, .. }
            | Plan::Distinct { input }
            | Plan::DistinctOn { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. } => input.width(),
            Plan::Project { exprs, .. } => exprs.len(),
            Plan::ProjectSet { input, functions } => input.width() + functions.len(),
            Plan::NestedLoop { left, right, .. }
            | Plan::LateralJoin { left, right, .. }
            | Plan::HashJoin { left, right, .. } => left.width() + right.width(),
            Plan::IndexJoin {
                left, right_width, ..
            } => left.width() + right_width,
            Plan::Aggregate {
                group_by,
                aggregates,
                ..
            } => group_by.len() + aggregates.len(),
            Plan::Window { input, functions } => input.width() + functions.len(),
            Plan::SetOp { left, .. } => left.width(),
            Plan::RecursiveUnion { anchor, .. } => anchor.width(),
            Plan::WorkingTable { width, .. } => *width,
        }
    }
}
