//! Bound expressions: names resolved to row positions, types known, casts explicit.

use crate::types::BinaryOp;
use crate::types::FunctionId;
use crate::types::{DataType, Value};

use super::Plan;

/// An expression after binding. Column references are positions in the row the
/// expression is evaluated against; every node knows its result type, so the
/// executor never looks anything up by name.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A constant, already of its type.
    Const(Value, DataType),
    /// A column of the current row.
    Column {
        index: usize,
        ty: DataType,
    },
    /// A column of an enclosing query's current row (a correlated reference):
    /// `depth` 1 is the query immediately around this one.
    Outer {
        depth: usize,
        index: usize,
        ty: DataType,
    },
    /// `$n` (0-based here), of the type the statement describes for it.
    Param {
        index: usize,
        ty: DataType,
    },
    /// An operator from the scalar library, with its resolved signature.
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
        ty: DataType,
    },
    /// Unary minus.
    Negate(Box<Expr>),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    /// `IS [NOT] TRUE` / `IS [NOT] FALSE`: never NULL.
    IsBool {
        expr: Box<Expr>,
        value: bool,
        negated: bool,
    },
    /// `IS [NOT] DISTINCT FROM`: equality where NULL equals NULL.
    IsDistinct {
        left: Box<Expr>,
        right: Box<Expr>,
        negated: bool,
    },
    /// An implicit or assignment cast (a too long `VARCHAR(n)` value is 22001).
    Cast {
        expr: Box<Expr>,
        ty: DataType,
    },
    /// A written `CAST`/`::` (a too long `VARCHAR(n)` value is truncated).
    ExplicitCast {
        expr: Box<Expr>,
        ty: DataType,
    },
    /// A scalar library function; `strict` ones give NULL for any NULL argument.
    Function {
        function: FunctionId,
        strict: bool,
        args: Vec<Expr>,
        ty: DataType,
    },
    Case {
        operand: Option<Box<Expr>>,
        branches: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
        ty: DataType,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        escape: Option<Box<Expr>>,
        case_insensitive: bool,
        negated: bool,
    },
    Coalesce {
        args: Vec<Expr>,
        ty: DataType,
    },
    NullIf {
        left: Box<Expr>,
        right: Box<Expr>,
        ty: DataType,
    },
    /// `GREATEST` (true) or `LEAST` (false): NULLs are ignored, as in PostgreSQL.
    Extreme {
        args: Vec<Expr>,
        greatest: bool,
        ty: DataType,
    },
    /// A subquery used as a value (21000 if it returns more than one row).
    ScalarSubquery(Box<Subquery>),
    /// `ARRAY(subquery)`: the subquery's one column as an array; `ty` of the
    /// subquery is the array type.
    ArraySubquery(Box<Subquery>),
    Exists {
        subquery: Box<Subquery>,
        negated: bool,
    },
    InSubquery {
        expr: Box<Expr>,
        subquery: Box<Subquery>,
        negated: bool,
    },
}

/// A subquery inside an expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Subquery {
    pub plan: Plan,
    /// The subquery's result type (its first column).
    pub ty: DataType,
    /// False when the subquery references no enclosing row, so its result can be
    /// computed once per statement instead of once per row.
    pub correlated: bool,
    /// Unique within the statement: the key of the per-statement result cache.
    pub id: usize,
}

impl Expr {
    pub fn ty(&self) -> DataType {
        match self {
            Expr::Const(_, ty)
            | Expr::Column { ty, .. }
            | Expr::Outer { ty, .. }
            | Expr::Param { ty, .. }
            | Expr::Binary { ty, .. }
            | Expr::Cast { ty, .. }
            | Expr::ExplicitCast { ty, .. }
            | Expr::Function { ty, .. }
            | Expr::Case { ty, .. }
            | Expr::Coalesce { ty, .. }
            | Expr::NullIf { ty, .. }
            | Expr::Extreme { ty, .. } => *ty,
            Expr::Negate(e) => e.ty(),
            Expr::ScalarSubquery(s) | Expr::ArraySubquery(s) => s.ty,
            Expr::Not(_)
            | Expr::And(..)
            | Expr::Or(..)
            | Expr::IsNull { .. }
            | Expr::IsBool { .. }
            | Expr::IsDistinct { .. }
            | Expr::InList { .. }
            | Expr::Like { .. }
            | Expr::Exists { .. }
            | Expr::InSubquery { .. } => DataType::Bool,
        }
    }

    pub fn boolean(b: bool) -> Expr {
        Expr::Const(Value::Bool(b), DataType::Bool)
    }

    /// The direct children, for walks that do not care about the node kind.
    /// Subquery plans are not children: they are separate scopes.
    pub fn children(&self) -> Vec<&Expr> {
        match self {
            Expr::Const(..) | Expr::Column { .. } | Expr::Outer { .. } | Expr::Param { .. } => {
                vec![]
            }
            Expr::ScalarSubquery(_) | Expr::ArraySubquery(_) | Expr::Exists { .. } => vec![],
            Expr::Binary { left, right, .. }
            | Expr::And(left, right)
            | Expr::Or(left, right)
            | Expr::IsDistinct { left, right, .. }
            | Expr::NullIf { left, right, .. } => vec![left, right],
            Expr::Negate(e)
            | Expr::Not(e)
            | Expr::IsNull { expr: e, .. }
            | Expr::IsBool { expr: e, .. } => vec![e],
            Expr::Cast { expr, .. }
            | Expr::ExplicitCast { expr, .. }
            | Expr::InSubquery { expr, .. } => vec![expr],
            Expr::Function { args, .. }
            | Expr::Coalesce { args, .. }
            | Expr::Extreme { args, .. } => args.iter().collect(),
            Expr::Case {
                operand,
                branches,
                otherwise,
                ..
            } => {
                let mut v: Vec<&Expr> = operand.iter().map(|b| &**b).collect();
                for (w, t) in branches {
                    v.push(w);
                    v.push(t);
                }
                v.extend(otherwise.iter().map(|b| &**b));
                v
            }
            Expr::InList { expr, list, .. } => std::iter::once(&**expr).chain(list).collect(),
            Expr::Like {
                expr,
                pattern,
                escape,
                ..
            } => {
                let mut v = vec![&**expr, &**pattern];
                v.extend(escape.iter().map(|b| &**b));
                v
            }
        }
    }

    /// Mutable children, in the same order as [`Expr::children`].
    pub fn children_mut(&mut self) -> Vec<&mut Expr> {
        match self {
            Expr::Const(..) | Expr::Column { .. } | Expr::Outer { .. } | Expr::Param { .. } => {
                vec![]
            }
            Expr::ScalarSubquery(_) | Expr::ArraySubquery(_) | Expr::Exists { .. } => vec![],
            Expr::Binary { left, right, .. }
            | Expr::And(left, right)
            | Expr::Or(left, right)
            | Expr::IsDistinct { left, right, .. }
            | Expr::NullIf { left, right, .. } => vec![left, right],
            Expr::Negate(e)
            | Expr::Not(e)
            | Expr::IsNull { expr: e, .. }
            | Expr::IsBool { expr: e, .. } => vec![e],
            Expr::Cast { expr, .. }
            | Expr::ExplicitCast { expr, .. }
            | Expr::InSubquery { expr, .. } => vec![expr],
            Expr::Function { args, .. }
            | Expr::Coalesce { args, .. }
            | Expr::Extreme { args, .. } => args.iter_mut().collect(),
            Expr::Case {
                operand,
                branches,
                otherwise,
                ..
            } => {
                let mut v: Vec<&mut Expr> = operand.iter_mut().map(|b| &mut **b).collect();
                for (w, t) in branches {
                    v.push(w);
                    v.push(t);
                }
                v.extend(otherwise.iter_mut().map(|b| &mut **b));
                v
            }
            Expr::InList { expr, list, .. } => std::iter::once(&mut **expr)
                .chain(list.iter_mut())
                .collect(),
            Expr::Like {
                expr,
                pattern,
                escape,
                ..
            } => {
                let mut v = vec![&mut **expr, &mut **pattern];
                v.extend(escape.iter_mut().map(|b| &mut **b));
                v
            }
        }
    }

    /// True if the expression reads a column of the current row (not an outer one).
    pub fn references_columns(&self) -> bool {
        matches!(self, Expr::Column { .. })
            || self.children().iter().any(|c| c.references_columns())
    }

    /// True if the expression holds a subquery anywhere. Such expressions stay where
    /// the binder put them: moving one would change the row its outer references see.
    pub fn has_subquery(&self) -> bool {
        matches!(
            self,
            Expr::ScalarSubquery(_)
                | Expr::ArraySubquery(_)
                | Expr::Exists { .. }
                | Expr::InSubquery { .. }
        ) || self.children().iter().any(|c| c.has_subquery())
    }

    /// The lowest and one past the highest column position referenced, if any.
    pub fn column_span(&self) -> Option<(usize, usize)> {
        let mut span: Option<(usize, usize)> = None;
        self.walk_columns(&mut |i| {
            span = Some(match span {
                None => (i, i + 1),
                Some((lo, hi)) => (lo.min(i), hi.max(i + 1)),
            })
        });
        span
    }

    /// Calls `f` with the position of every column of the current row the
    /// expression reads (outside its subqueries), in tree order.
    pub fn walk_columns(&self, f: &mut impl FnMut(usize)) {
        if let Expr::Column { index, .. } = self {
            f(*index);
        }
        for c in self.children() {
            c.walk_columns(f);
        }
    }

    /// Shifts every column position by `-offset` (moving an expression from a
    /// join's row to its right input's row).
    pub fn shift_columns(&mut self, offset: usize) {
        if let Expr::Column { index, .. } = self {
            *index -= offset;
        }
        for c in self.children_mut() {
            c.shift_columns(offset);
        }
    }

    /// Splits an AND tree into its conjuncts.
    pub fn into_conjuncts(self, out: &mut Vec<Expr>) {
        match self {
            Expr::And(l, r) => {
                l.into_conjuncts(out);
                r.into_conjuncts(out);
            }
            other => out.push(other),
        }
    }

    /// Joins conjuncts back with AND; None for none.
    pub fn conjunction(conjuncts: Vec<Expr>) -> Option<Expr> {
        conjuncts
            .into_iter()
            .reduce(|a, b| Expr::And(Box::new(a), Box::new(b)))
    }
}
