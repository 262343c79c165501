//! Arrays in expressions: `ARRAY[a, b]`, `ARRAY(subquery)`, `x op ANY(array)` /
//! `ALL(array)`, subscripts `a[i]`, and `||`, `array_cat`, `array_append`,
//! `array_prepend` and `array_remove`, whose arguments are unified as
//! PostgreSQL's `anycompatiblearray` ones. Arrays come from the catalogs and from
//! these constructors; tables do not store them.

use sqlparser::ast::{self, AccessExpr, BinaryOperator, Expr as A, Subscript};

use crate::sql::plan::Expr;
use crate::sql::SqlError;
use crate::types::{binary_signature, DataType, FunctionId, Value};

use super::expr::retype;
use super::scope::Scope;
use super::Binder;

/// Which arguments of a two-argument array function are arrays; the others are
/// elements.
#[derive(Clone, Copy, PartialEq)]
enum ArrayArgs {
    Both,
    First,
    Second,
}

impl Binder<'_> {
    /// `ARRAY[a, b, …]`: the elements unified to their common type.
    pub(super) fn bind_array(&mut self, elements: &[A], scope: &Scope) -> Result<Expr, SqlError> {
        let mut bound = Vec::with_capacity(elements.len());
        for e in elements {
            bound.push(self.bind_expr(e, scope)?);
        }
        let types: Vec<DataType> = bound.iter().map(Expr::ty).collect();
        let element = self.common_type(&types, "ARRAY")?;
        let ty = array_type(element)?;
        let args = bound
            .into_iter()
            .map(|e| self.coerce_result(e, element, "ARRAY"))
            .collect::<Result<_, _>>()?;
        Ok(Expr::Function {
            function: FunctionId::ArrayConstructor,
            strict: false,
            args,
            ty,
        })
    }

    /// `ARRAY(SELECT x …)`: the subquery's rows as one array.
    pub(super) fn bind_array_subquery(
        &mut self,
        query: &ast::Query,
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        let mut subquery = self.bind_subquery(query, scope, true)?;
        subquery.ty = array_type(subquery.ty)?;
        Ok(Expr::ArraySubquery(Box::new(subquery)))
    }

    /// `left op ANY(right)` (`ALL` when `all`). A subquery on the right of `= ANY`
    /// is `IN (subquery)`.
    pub(super) fn bind_any_all(
        &mut self,
        left: &A,
        op: &BinaryOperator,
        right: &A,
        all: bool,
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        let left = self.bind_expr(left, scope)?;
        if let A::Subquery(q) = right {
            return match (op, all) {
                (BinaryOperator::Eq, false) => self.bind_in_subquery(left, q, false, scope),
                _ => Err(SqlError::Unsupported(
                    "ANY/ALL over a subquery other than = ANY; use IN or EXISTS".into(),
                )),
            };
        }
        let right = vector_as_array(self.bind_expr(right, scope)?);
        let right = match right.ty() {
            // `x = ANY('{1,2}')`: the literal is an array of x's type.
            DataType::Unknown => {
                let ty = array_type(left.ty())?;
                self.coerce(right, ty, "ANY")?
            }
            _ => right,
        };
        let DataType::Array(element) = right.ty() else {
            return Err(SqlError::DatatypeMismatch(format!(
                "op ANY/ALL (array) requires array on right side, not type {}",
                right.ty()
            )));
        };
        let op = super::operator::binary_op(op)?;
        let left = if left.ty() == DataType::Unknown {
            self.coerce(left, *element, "ANY")?
        } else {
            left
        };
        if !op.is_comparison() || binary_signature(op, left.ty(), *element).is_none() {
            return Err(SqlError::UndefinedFunction(format!(
                "operator does not exist: {} {} {}",
                left.ty(),
                op.symbol(),
                element
            )));
        }
        Ok(Expr::Function {
            function: FunctionId::AnyAll { op, all },
            strict: false,
            args: vec![left, right],
            ty: DataType::Bool,
        })
    }

    /// `a[i]` (and `a[i][j]`, which is NULL on a one-dimensional array), also of
    /// a qualified column: sqlparser reads `t.a[1]` as `t` followed by `.a` and
    /// `[1]`, whose leading names are one column reference.
    pub(super) fn bind_subscript(
        &mut self,
        root: &A,
        chain: &[AccessExpr],
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        let names = chain
            .iter()
            .take_while(|access| matches!(access, AccessExpr::Dot(A::Identifier(_))))
            .count();
        let mut expr = match root {
            A::Identifier(first) if names > 0 => {
                let mut parts = vec![first.clone()];
                parts.extend(chain[..names].iter().filter_map(|access| match access {
                    AccessExpr::Dot(A::Identifier(part)) => Some(part.clone()),
                    _ => None,
                }));
                self.bind_expr(&A::CompoundIdentifier(parts), scope)?
            }
            _ => self.bind_expr(root, scope)?,
        };
        let chain = match root {
            A::Identifier(_) => &chain[names..],
            _ => chain,
        };
        let mut subscripted = false;
        for access in chain {
            let AccessExpr::Subscript(Subscript::Index { index }) = access else {
                return Err(SqlError::Unsupported(
                    "array slices and field selection".into(),
                ));
            };
            let index = self.bind_expr(index, scope)?;
            let index = self.coerce(index, DataType::Int4, "array subscript")?;
            if subscripted {
                // A second subscript in one chain asks for a second dimension,
                // which Turnstile's arrays never have: NULL, as PostgreSQL
                // answers for an index outside the array.
                expr = Expr::Const(Value::Null, expr.ty());
                continue;
            }
            // A vector and a name are subscripted from 0.
            let from_zero = match expr.ty() {
                DataType::Vector(element) => Some((FunctionId::VectorSubscript, *element)),
                DataType::Name => Some((FunctionId::NameByte, DataType::InternalChar)),
                _ => None,
            };
            if let Some((function, ty)) = from_zero {
                expr = Expr::Function {
                    function,
                    strict: true,
                    args: vec![expr, index],
                    ty,
                };
                subscripted = true;
                continue;
            }
            let DataType::Array(element) = expr.ty() else {
                return Err(SqlError::DatatypeMismatch(format!(
                    "cannot subscript type {} because it does not support subscripting",
                    expr.ty()
                )));
            };
            expr = Expr::Function {
                function: FunctionId::Subscript,
                strict: true,
                args: vec![expr, index],
                ty: *element,
            };
            subscripted = true;
        }
        Ok(expr)
    }

    /// `array_cat(a, b)`, `array_append(a, x)`, `array_prepend(x, a)` or
    /// `array_remove(a, x)`: 42883 if the arguments have no common element type.
    pub(super) fn bind_array_call(
        &mut self,
        name: &str,
        args: Vec<Expr>,
    ) -> Result<Expr, SqlError> {
        let (function, shape) = match name {
            "array_cat" => (FunctionId::ArrayCat, ArrayArgs::Both),
            "array_append" => (FunctionId::ArrayCat, ArrayArgs::First),
            "array_prepend" => (FunctionId::ArrayCat, ArrayArgs::Second),
            _ => (FunctionId::ArrayRemove, ArrayArgs::First),
        };
        let types: Vec<String> = args.iter().map(|a| a.ty().to_string()).collect();
        let [left, right]: [Expr; 2] = args.try_into().expect("called with two arguments");
        self.array_args(function, shape, left, right)?
            .ok_or_else(|| {
                SqlError::UndefinedFunction(format!(
                    "function {name}({}) does not exist",
                    types.join(", ")
                ))
            })
    }

    /// `left || right` with an array on at least one side: `array_cat` if both are
    /// arrays (an untyped literal beside an array is one, as in PostgreSQL:
    /// `a || '{1,2}'`), else appending or prepending the other side.
    pub(super) fn bind_array_concat(&mut self, left: Expr, right: Expr) -> Result<Expr, SqlError> {
        let (lt, rt) = (left.ty(), right.ty());
        let is_array = |t: DataType| matches!(t, DataType::Array(_) | DataType::Unknown);
        let shape = match (is_array(lt), is_array(rt)) {
            (true, true) => ArrayArgs::Both,
            (true, false) => ArrayArgs::First,
            _ => ArrayArgs::Second,
        };
        self.array_args(FunctionId::ArrayCat, shape, left, right)?
            .ok_or_else(|| {
                SqlError::UndefinedFunction(format!("operator does not exist: {lt} || {rt}"))
            })
    }

    /// The call of `function` (`ArrayCat` or `ArrayRemove`) on `left` and `right`
    /// converted to the array and element types of their common element type, as
    /// PostgreSQL resolves `anycompatiblearray` and `anycompatible` arguments (all
    /// untyped is text). An element given to `ArrayCat` becomes a one-element array
    /// (`array_append(a, x)` is `array_cat(a, ARRAY[x])`, NULL included). None if
    /// the types have no common one.
    fn array_args(
        &mut self,
        function: FunctionId,
        shape: ArrayArgs,
        left: Expr,
        right: Expr,
    ) -> Result<Option<Expr>, SqlError> {
        let element_of = |e: &Expr| match e.ty() {
            DataType::Array(element) => *element,
            other => other,
        };
        let Ok(element) = self.common_type(&[element_of(&left), element_of(&right)], "array")
        else {
            return Ok(None);
        };
        let ty = array_type(element)?;
        let mut args = Vec::with_capacity(2);
        for (arg, is_array) in [
            (left, shape != ArrayArgs::Second),
            (right, shape != ArrayArgs::First),
        ] {
            let converted = match self.convert_implicit(arg, if is_array { ty } else { element }) {
                Ok(converted) => converted,
                Err(_) => return Ok(None),
            };
            args.push(if is_array || function != FunctionId::ArrayCat {
                converted
            } else {
                Expr::Function {
                    function: FunctionId::ArrayConstructor,
                    strict: false,
                    args: vec![converted],
                    ty,
                }
            });
        }
        Ok(Some(Expr::Function {
            function,
            strict: false,
            args,
            ty,
        }))
    }
}

/// The array type of `element`, or 0A000 for elements Turnstile has no arrays of.
pub(super) fn array_type(element: DataType) -> Result<DataType, SqlError> {
    let element = if element == DataType::Unknown {
        DataType::Text
    } else {
        element
    };
    element
        .array_of()
        .ok_or_else(|| SqlError::Unsupported(format!("arrays of type {element}")))
}

/// `expr` as the array it is where an array is wanted: a vector
/// (`int2vector`, `oidvector`) is relabeled the array of its elements, as
/// PostgreSQL casts it implicitly (the values are the same); anything else is
/// returned as it is.
pub(super) fn vector_as_array(expr: Expr) -> Expr {
    match expr.ty() {
        DataType::Vector(element) => retype(expr, DataType::Array(element)),
        _ => expr,
    }
}

/// `expr` as text if it is a vector cast to a string type: its numbers
/// separated by spaces (PostgreSQL's output function), not an array's braces.
pub(super) fn vector_as_text(expr: Expr, target: DataType) -> Expr {
    match expr.ty() {
        DataType::Vector(_) if target.is_text() && target != DataType::Unknown => Expr::Function {
            function: FunctionId::VectorOut,
            strict: true,
            args: vec![expr],
            ty: DataType::Text,
        },
        _ => expr,
    }
}
