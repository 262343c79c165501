//! Scalar expressions: names to positions, literals to typed constants, implicit
//! casts made explicit, and `$n` types inferred from where they are used.

use sqlparser::ast::{self, BinaryOperator, Expr as A, UnaryOperator};

use crate::sql::plan::{Expr, Subquery};
use crate::sql::SqlError;
use crate::types::{
    cast, cast_context, parse_numeric, unary_signature, CastKind, CatalogFunction, DataType,
    FunctionId, OidAlias, TypeError, UnaryOp, Value,
};

use super::array::vector_as_text;
use super::scope::{Lookup, Scope};
use super::{datatype, names, Binder};

impl Binder<'_> {
    /// Binds an expression over the rows of `scope`. Inside a grouped query's
    /// outputs it resolves to group keys and aggregate results instead.
    pub fn bind_expr(&mut self, expr: &A, scope: &Scope) -> Result<Expr, SqlError> {
        if self.expr_depth >= super::EXPR_DEPTH_MAX {
            return Err(SqlError::StackDepthExceeded(super::EXPR_DEPTH_MAX));
        }
        self.expr_depth += 1;
        let bound = self.bind_expr_at_depth(expr, scope);
        self.expr_depth -= 1;
        bound
    }

    fn bind_expr_at_depth(&mut self, expr: &A, scope: &Scope) -> Result<Expr, SqlError> {
        if self.agg.is_some() {
            if let Some(bound) = self.bind_over_groups(expr, scope)? {
                return Ok(bound);
            }
        }
        self.bind_plain(expr, scope)
    }

    /// A condition (WHERE, HAVING, ON): must be boolean; unknown literals and
    /// parameters become boolean.
    pub fn bind_condition(
        &mut self,
        expr: &A,
        scope: &Scope,
        what: &str,
    ) -> Result<Expr, SqlError> {
        let bound = self.bind_expr(expr, scope)?;
        if matches!(bound.ty(), DataType::Bool | DataType::Unknown) {
            return self.coerce(bound, DataType::Bool, what);
        }
        Err(SqlError::DatatypeMismatch(format!(
            "argument of {what} must be type boolean, not type {}",
            bound.ty()
        )))
    }

    /// A flat dispatcher: every arm calls a helper, so this frame, which each
    /// nesting level of an expression adds to the stack, stays small.
    fn bind_plain(&mut self, expr: &A, scope: &Scope) -> Result<Expr, SqlError> {
        match expr {
            A::Identifier(id) => self.bind_column(None, &names::ident(id), scope),
            A::CompoundIdentifier(ids) => self.bind_compound(ids, scope),
            A::Value(v) => self.bind_value(&v.value),
            A::Nested(e) => self.bind_expr(e, scope),
            A::BinaryOp { left, op, right } => self.bind_binary(left, op, right, scope),
            A::UnaryOp { op, expr } => self.bind_unary(*op, expr, scope),
            A::IsNull(e) => self.bind_is_null(e, false, scope),
            A::IsNotNull(e) => self.bind_is_null(e, true, scope),
            A::IsTrue(e)
            | A::IsNotTrue(e)
            | A::IsFalse(e)
            | A::IsNotFalse(e)
            | A::IsUnknown(e)
            | A::IsNotUnknown(e) => self.bind_is(expr, e, scope),
            A::IsDistinctFrom(l, r) => self.bind_is_distinct(l, r, false, scope),
            A::IsNotDistinctFrom(l, r) => self.bind_is_distinct(l, r, true, scope),
            A::Between { .. } => self.bind_between(expr, scope),
            A::In {
                expr: e,
                target: ast::InTarget::List(list),
                negated,
                ..
            } => self.bind_in_list(e, list, *negated, scope),
            A::In {
                expr: e,
                target: ast::InTarget::Subquery(subquery),
                negated,
                ..
            } => self.bind_in(e, subquery, *negated, scope),
            A::Like {
                negated,
                any: false,
                expr: e,
                pattern,
                escape_char,
            } => self.bind_like(e, pattern, escape_char.as_deref(), false, *negated, scope),
            A::ILike {
                negated,
                any: false,
                expr: e,
                pattern,
                escape_char,
            } => self.bind_like(e, pattern, escape_char.as_deref(), true, *negated, scope),
            A::SimilarTo {
                negated,
                expr: e,
                pattern,
                escape_char,
            } => self.bind_similar_to(e, pattern, escape_char.as_deref(), *negated, scope),
            A::Cast {
                expr: e,
                data_type,
                format: None,
                ..
            } => self.bind_cast(e, data_type, scope),
            A::TypedString(t) => self.bind_typed_string(t),
            A::Interval(interval) => self.bind_interval_literal(interval),
            A::Case {
                operand,
                conditions,
                else_result,
                ..
            } => self.inside_conditional("CASE", |binder| {
                binder.bind_case(
                    operand.as_deref(),
                    conditions,
                    else_result.as_deref(),
                    scope,
                )
            }),
            A::Function(f) => self.bind_function(f, scope),
            A::AtTimeZone {
                timestamp,
                time_zone,
            } => {
                let zone = self.bind_expr(time_zone, scope)?;
                let timestamp = self.bind_expr(timestamp, scope)?;
                self.bind_library_call("timezone", vec![zone, timestamp])
            }
            A::Extract {
                field,
                syntax: ast::ExtractSyntax::From,
                expr: source,
            } => self.bind_extract(field, source, scope),
            A::AnyOp {
                left,
                compare_op,
                right,
                ..
            } => self.bind_any_all(left, compare_op, right, false, scope),
            A::AllOp {
                left,
                compare_op,
                right,
            } => self.bind_any_all(left, compare_op, right, true, scope),
            A::Array(array) => self.bind_array(&array.elem, scope),
            A::CompoundFieldAccess { root, access_chain } => {
                self.bind_subscript(root, access_chain, scope)
            }
            A::Collate { expr: e, collation } => self.bind_collate(e, collation, scope),
            A::Subquery(q) => self.bind_scalar_subquery(q, scope),
            A::Exists { subquery, negated } => self.bind_exists(subquery, *negated, scope),
            A::Substring { .. }
            | A::Trim { .. }
            | A::Position { .. }
            | A::Ceil { .. }
            | A::Floor { .. } => self.bind_special_call(expr, scope),
            other => Err(unsupported_expr(other)),
        }
    }

    fn bind_is_null(&mut self, e: &A, negated: bool, scope: &Scope) -> Result<Expr, SqlError> {
        let inner = self.bind_expr(e, scope)?;
        Ok(Expr::IsNull {
            expr: Box::new(inner),
            negated,
        })
    }

    fn bind_is_distinct(
        &mut self,
        l: &A,
        r: &A,
        negated: bool,
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        let Expr::Binary { left, right, .. } =
            self.bind_comparison(l, BinaryOperator::Eq, r, scope)?
        else {
            return Err(SqlError::Unsupported(
                "IS DISTINCT FROM on these types".into(),
            ));
        };
        Ok(Expr::IsDistinct {
            left,
            right,
            negated,
        })
    }

    fn bind_in(
        &mut self,
        e: &A,
        subquery: &ast::Query,
        negated: bool,
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        let left = self.bind_expr(e, scope)?;
        self.bind_in_subquery(left, subquery, negated, scope)
    }

    fn bind_cast(
        &mut self,
        e: &A,
        data_type: &ast::DataType,
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        let target = datatype::data_type(data_type)?;
        let inner = self.bind_expr(e, scope)?;
        self.explicit_cast(inner, target)
    }

    /// `type 'literal'`, e.g. `date '2024-01-01'`.
    fn bind_typed_string(&mut self, t: &ast::TypedString) -> Result<Expr, SqlError> {
        let target = datatype::data_type(&t.data_type)?;
        let text = match &t.value.value {
            ast::Value::SingleQuotedString(s) | ast::Value::EscapedStringLiteral(s) => s.clone(),
            other => return Err(SqlError::Unsupported(format!("typed literal {other}"))),
        };
        self.explicit_cast(Expr::Const(Value::Text(text), DataType::Unknown), target)
    }

    /// `INTERVAL '1 day'`, or `INTERVAL '3' HOUR` (the number in that unit).
    fn bind_interval_literal(&mut self, interval: &ast::Interval) -> Result<Expr, SqlError> {
        let text = match interval.value.as_ref() {
            A::Value(v) => match &v.value {
                ast::Value::SingleQuotedString(s) | ast::Value::EscapedStringLiteral(s) => {
                    s.clone()
                }
                other => return Err(SqlError::Unsupported(format!("interval literal {other}"))),
            },
            other => return Err(SqlError::Unsupported(format!("interval literal {other}"))),
        };
        let precision =
            interval.leading_precision.is_some() || interval.fractional_seconds_precision.is_some();
        let text = match (&interval.leading_field, &interval.last_field) {
            (None, None) if !precision => text,
            // A whole number only: PostgreSQL truncates a fraction to the field
            // (`INTERVAL '1.5' YEAR` is 1 year), which the text form would not.
            (Some(unit), None) if !precision && text.trim().parse::<i64>().is_ok() => {
                format!("{text} {unit}")
            }
            _ => {
                return Err(SqlError::Unsupported(format!(
                    "interval literals with fields ({interval}); write INTERVAL '1 day 02:00'"
                )))
            }
        };
        self.explicit_cast(
            Expr::Const(Value::Text(text), DataType::Unknown),
            DataType::Interval,
        )
    }

    /// `x COLLATE c`: the database's collation (`default`, `C`, `POSIX`) is the only
    /// one, so these are accepted and change nothing; others are 0A000.
    fn bind_collate(
        &mut self,
        e: &A,
        collation: &ast::ObjectName,
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        let parts = names::parts(collation)?;
        let known = match parts.as_slice() {
            [name] | [_, name] => matches!(name.to_lowercase().as_str(), "default" | "c" | "posix"),
            _ => false,
        };
        if !known {
            return Err(SqlError::Unsupported(format!(
                "collation {collation} (Turnstile compares text by code point, as collation \"C\")"
            )));
        }
        self.bind_expr(e, scope)
    }

    fn bind_scalar_subquery(&mut self, q: &ast::Query, scope: &Scope) -> Result<Expr, SqlError> {
        let subquery = self.bind_subquery(q, scope, true)?;
        Ok(Expr::ScalarSubquery(Box::new(subquery)))
    }

    fn bind_exists(
        &mut self,
        q: &ast::Query,
        negated: bool,
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        let subquery = self.bind_subquery(q, scope, false)?;
        Ok(Expr::Exists {
            subquery: Box::new(subquery),
            negated,
        })
    }

    /// The functions SQL gives their own syntax (SUBSTRING … FROM, TRIM, POSITION
    /// … IN, CEIL, FLOOR), bound as the plain functions they stand for.
    fn bind_special_call(&mut self, expr: &A, scope: &Scope) -> Result<Expr, SqlError> {
        match expr {
            A::Substring {
                expr: e,
                substring_from,
                substring_for,
                shorthand,
                ..
            } => {
                // `SUBSTRING(x FOR n)` starts at the first character.
                let first = A::value(ast::Value::Number("1".into(), false));
                let from = match (substring_from, substring_for) {
                    (None, Some(_)) => Some(&first),
                    (from, _) => from.as_deref(),
                };
                let mut args = vec![&**e];
                args.extend(from);
                args.extend(substring_for.as_deref());
                // SUBSTR has no pattern form: its second argument is a position.
                let name = if *shorthand { "substr" } else { "substring" };
                self.bind_named_call(name, &args, scope)
            }
            A::Trim {
                expr: e,
                trim_where,
                trim_what,
                trim_characters: None,
            } => {
                let name = match trim_where {
                    None | Some(ast::TrimWhereField::Both) => "btrim",
                    Some(ast::TrimWhereField::Leading) => "ltrim",
                    Some(ast::TrimWhereField::Trailing) => "rtrim",
                };
                let mut args = vec![&**e];
                args.extend(trim_what.as_deref());
                self.bind_named_call(name, &args, scope)
            }
            A::Position { expr: e, r#in } => {
                self.bind_named_call("strpos", &[&**r#in, &**e], scope)
            }
            A::Ceil {
                expr: e,
                field: ast::CeilFloorKind::DateTimeField(ast::DateTimeField::NoDateTime),
            } => self.bind_named_call("ceil", &[&**e], scope),
            A::Floor {
                expr: e,
                field: ast::CeilFloorKind::DateTimeField(ast::DateTimeField::NoDateTime),
            } => self.bind_named_call("floor", &[&**e], scope),
            // sqlparser reads a second argument as a scale; to PostgreSQL it is
            // just one, and the call is resolved (and refused, 42883) as any call.
            A::Ceil {
                expr: e,
                field: ast::CeilFloorKind::Scale(scale),
            }
            | A::Floor {
                expr: e,
                field: ast::CeilFloorKind::Scale(scale),
            } => {
                let name = if matches!(expr, A::Ceil { .. }) {
                    "ceil"
                } else {
                    "floor"
                };
                let scale = A::Value(scale.clone());
                self.bind_named_call(name, &[&**e, &scale], scope)
            }
            other => Err(unsupported_expr(other)),
        }
    }

    /// A column by name: this query's scope first, then the enclosing queries'.
    fn bind_column(
        &mut self,
        relation: Option<&str>,
        name: &str,
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        // A qualified name belongs to the innermost level whose FROM has that
        // relation, as in PostgreSQL: the search ends there, found or not.
        let has_relation = |s: &Scope| relation.is_some_and(|r| s.has_relation(r));
        let undefined = || match relation {
            Some(r) => {
                SqlError::UndefinedColumnMessage(format!("column {r}.{name} does not exist"))
            }
            None => SqlError::UndefinedColumn(name.to_owned()),
        };
        if let Lookup::Found(index) = scope.lookup(relation, name)? {
            self.note_level_referenced(self.outer.len());
            return Ok(Expr::Column {
                index,
                ty: scope.columns[index].ty,
            });
        }
        if name == "tableoid" {
            if let Some(tableoid) = bind_tableoid(relation, scope, 0)? {
                return Ok(tableoid);
            }
        }
        if has_relation(scope) {
            return Err(undefined());
        }
        for level in (0..self.outer.len()).rev() {
            if let Lookup::Found(index) = self.outer[level].lookup(relation, name)? {
                let column = &self.outer[level].columns[index];
                if column.ungrouped {
                    let shown = match &column.relation {
                        Some(r) => format!("{r}.{}", column.name),
                        None => column.name.clone(),
                    };
                    // Inside an aggregate's arguments, PostgreSQL may take the
                    // call for the grouped query's own aggregate (when it reads
                    // no column of its own level), which is valid there.
                    if self.in_aggregate_inputs > 0 {
                        return Err(SqlError::Unsupported(format!(
                            "an aggregate reading \"{shown}\" of an enclosing grouped query \
                             inside a subquery (PostgreSQL computes it as that query's \
                             aggregate if it reads nothing else, or refuses the column; \
                             compute it in that query)"
                        )));
                    }
                    return Err(SqlError::Grouping(format!(
                        "subquery uses ungrouped column \"{shown}\" from outer query"
                    )));
                }
                let ty = column.ty;
                self.note_level_referenced(level);
                return Ok(Expr::Outer {
                    depth: self.outer.len() - level,
                    index,
                    ty,
                });
            }
            if name == "tableoid" {
                let depth = self.outer.len() - level;
                if let Some(tableoid) = bind_tableoid(relation, &self.outer[level], depth)? {
                    if matches!(tableoid, Expr::Case { .. }) {
                        self.note_level_referenced(level);
                    }
                    return Ok(tableoid);
                }
            }
            if has_relation(&self.outer[level]) {
                return Err(undefined());
            }
        }
        match relation {
            Some(r) => Err(SqlError::UndefinedTableMessage(format!(
                "missing FROM-clause entry for table \"{r}\""
            ))),
            None => Err(undefined()),
        }
    }

    fn bind_compound(&mut self, ids: &[ast::Ident], scope: &Scope) -> Result<Expr, SqlError> {
        let parts: Vec<String> = ids.iter().map(names::ident).collect();
        match parts.as_slice() {
            [relation, column] => self.bind_column(Some(relation), column, scope),
            // The schema only qualifies the relation's name, and relation names
            // are unique across the schemas (system names are reserved).
            [schema, relation, column]
                if matches!(
                    schema.as_str(),
                    "public" | "pg_catalog" | "information_schema"
                ) =>
            {
                self.bind_column(Some(relation), column, scope)
            }
            _ => Err(SqlError::Unsupported(format!(
                "column reference {}",
                parts.join(".")
            ))),
        }
    }

    /// A literal, typed as PostgreSQL types it: integers are int4 if they fit, else
    /// int8, else numeric; other numbers numeric; strings unknown until context
    /// decides.
    fn bind_value(&mut self, value: &ast::Value) -> Result<Expr, SqlError> {
        Ok(match value {
            ast::Value::Number(n, _) => number_literal(n)?,
            ast::Value::SingleQuotedString(s)
            | ast::Value::EscapedStringLiteral(s)
            | ast::Value::DollarQuotedString(ast::DollarQuotedString { value: s, .. }) => {
                Expr::Const(Value::Text(s.clone()), DataType::Unknown)
            }
            ast::Value::Boolean(b) => Expr::boolean(*b),
            ast::Value::Null => Expr::Const(Value::Null, DataType::Unknown),
            ast::Value::Placeholder(p) => self.bind_param(p)?,
            ast::Value::HexStringLiteral(_) | ast::Value::SingleQuotedByteStringLiteral(_) => {
                return Err(SqlError::Unsupported("bit-string literals".into()))
            }
            other => return Err(SqlError::Unsupported(format!("literal {other}"))),
        })
    }

    fn bind_param(&mut self, placeholder: &str) -> Result<Expr, SqlError> {
        let n: usize = placeholder
            .strip_prefix('$')
            .and_then(|n| n.parse().ok())
            .filter(|n| *n >= 1)
            .ok_or_else(|| {
                SqlError::Syntax(format!("syntax error at or near \"{placeholder}\""))
            })?;
        if n > self.params.len() {
            if n > super::state::PARAMS_MAX {
                return Err(SqlError::UndefinedParameter(n));
            }
            self.params.resize(n, DataType::Unknown);
        }
        self.name_param(n - 1);
        Ok(Expr::Param {
            index: n - 1,
            ty: self.params[n - 1],
        })
    }

    /// `expr` converted implicitly to `target`: unknown literals are parsed as
    /// `target`, untyped parameters take its type, other types need an implicit cast.
    pub fn coerce(&mut self, expr: Expr, target: DataType, what: &str) -> Result<Expr, SqlError> {
        self.coerce_as(expr, target, CastKind::Implicit, what)
    }

    /// [`Binder::coerce`] allowing the casts of `kind`: LIMIT and OFFSET take an
    /// assignment cast to bigint, as in PostgreSQL (`LIMIT 2.5` is `LIMIT 3`).
    pub fn coerce_as(
        &mut self,
        expr: Expr,
        target: DataType,
        kind: CastKind,
        what: &str,
    ) -> Result<Expr, SqlError> {
        self.convert(expr, target, kind).map_err(|from| {
            SqlError::DatatypeMismatch(format!(
                "argument of {what} must be type {target}, not type {from}"
            ))
        })
    }

    /// `expr` converted for storing into a column of type `target` (PostgreSQL's
    /// assignment casts; 42804 naming the column otherwise).
    pub fn assign(&mut self, expr: Expr, target: DataType, column: &str) -> Result<Expr, SqlError> {
        self.convert(expr, target, CastKind::Assignment)
            .map_err(|from| {
                SqlError::DatatypeMismatch(format!(
                    "column \"{column}\" is of type {} but expression is of type {from}",
                    // PostgreSQL names the column's type without its modifier here.
                    target.without_typmod()
                ))
            })
    }

    /// The conversion, or the source type when `kind` does not allow it.
    pub(super) fn convert(
        &mut self,
        expr: Expr,
        target: DataType,
        kind: CastKind,
    ) -> Result<Expr, DataType> {
        let expr = vector_as_text(unwrap_wide_literal(expr, target), target);
        let from = expr.ty();
        // An untyped literal read as a regclass (`attrelid = 'accounts'`) is a name.
        if let (Some(function), DataType::Unknown) = (catalog_cast(from, target), from) {
            return Ok(self.catalog_cast(expr, function, target));
        }
        if from == target || target == DataType::Unknown {
            return Ok(expr);
        }
        // Inside expressions a varchar(n) is compared and computed as text and a
        // numeric(p,s) as numeric; only storing into a column (or a written cast)
        // checks the length or rounds to the scale.
        let target = match target {
            DataType::Varchar(Some(_)) if kind == CastKind::Implicit => DataType::Text,
            DataType::Bpchar(Some(_)) if kind == CastKind::Implicit => DataType::Bpchar(None),
            DataType::Numeric(Some(_)) if kind == CastKind::Implicit => DataType::Numeric(None),
            t => t,
        };
        if from == target {
            return Ok(expr);
        }
        match expr {
            Expr::Param {
                index,
                ty: DataType::Unknown,
            } => Ok(self.typed_param(index, target, kind)),
            Expr::Const(Value::Null, _) => Ok(Expr::Const(Value::Null, target)),
            // An untyped literal is read as the target type now; if it is not a
            // valid literal the cast stays, and fails with 22P02 when it runs.
            // Date/time literals stay casts: they are read in the session's zone
            // (and 'now' at the statement's time) when the statement runs.
            Expr::Const(v, DataType::Unknown)
                if !matches!(
                    target,
                    DataType::Date | DataType::Timestamp | DataType::Timestamptz
                ) =>
            {
                match cast(v.clone(), target, kind) {
                    Ok(value) => Ok(Expr::Const(value, target)),
                    Err(_) => Ok(Expr::Cast {
                        expr: Box::new(Expr::Const(v, DataType::Unknown)),
                        ty: target,
                    }),
                }
            }
            Expr::Const(v, DataType::Unknown) => Ok(Expr::Cast {
                expr: Box::new(Expr::Const(v, DataType::Unknown)),
                ty: target,
            }),
            expr if relabels(from, target) => Ok(retype(expr, target)),
            // Dropping a numeric's modifier changes no value; a relabeled column
            // can still use its index.
            expr if matches!(
                (from, target),
                (DataType::Numeric(_), DataType::Numeric(None))
            ) =>
            {
                Ok(retype(expr, target))
            }
            expr => match cast_context(from, target) {
                Some(allowed) if allowed <= kind => Ok(Expr::Cast {
                    expr: Box::new(expr),
                    ty: target,
                }),
                _ => Err(from),
            },
        }
    }

    /// An implicit conversion, or the source type if there is none.
    pub(super) fn convert_implicit(
        &mut self,
        expr: Expr,
        target: DataType,
    ) -> Result<Expr, DataType> {
        self.convert(expr, target, CastKind::Implicit)
    }

    /// The untyped parameter `index` given the type `target` without its modifier,
    /// as PostgreSQL types it (a varchar(3) column's parameter is varchar), and
    /// its value cast to the modifier as `kind` casts: assigned, too long for
    /// varchar(3) is 22001; cast explicitly, it is cut to 3.
    fn typed_param(&mut self, index: usize, target: DataType, kind: CastKind) -> Expr {
        let ty = target.without_typmod();
        self.params[index] = ty;
        let param = Box::new(Expr::Param { index, ty });
        match (ty == target, kind) {
            (true, _) => *param,
            (false, CastKind::Explicit) => Expr::ExplicitCast {
                expr: param,
                ty: target,
            },
            (false, _) => Expr::Cast {
                expr: param,
                ty: target,
            },
        }
    }

    /// `CAST(expr AS target)`; constants are converted now.
    pub fn explicit_cast(&mut self, expr: Expr, target: DataType) -> Result<Expr, SqlError> {
        let expr = vector_as_text(unwrap_wide_literal(expr, target), target);
        let expr = if target == DataType::Bytea {
            padded(expr)
        } else {
            expr
        };
        let from = expr.ty();
        if let Some(function) = catalog_cast(from, target) {
            return Ok(self.catalog_cast(expr, function, target));
        }
        if let Expr::Param {
            index,
            ty: DataType::Unknown,
        } = expr
        {
            return Ok(self.typed_param(index, target, CastKind::Explicit));
        }
        if cast_context(from, target).is_none() {
            return Err(SqlError::CannotCoerce(format!(
                "cannot cast type {from} to {target}"
            )));
        }
        let zoned = |t: DataType| {
            matches!(
                t,
                DataType::Date | DataType::Timestamp | DataType::Timestamptz
            )
        };
        if let Expr::Const(v, _) = &expr {
            // Date/time conversions depend on the session zone and the statement
            // time, so they run with the statement; other constants convert now.
            if !zoned(from) && !zoned(target) {
                return Ok(Expr::Const(
                    cast(v.clone(), target, CastKind::Explicit)?,
                    target,
                ));
            }
        }
        Ok(Expr::ExplicitCast {
            expr: Box::new(expr),
            ty: target,
        })
    }

    /// The type several expressions are unified to (CASE, COALESCE, UNION, VALUES),
    /// by PostgreSQL's `select_common_type`: the first non-unknown type, replaced
    /// by a later one only if it converts to that one implicitly and not back. So
    /// among the string types the first wins (`COALESCE(char(4), text)` is
    /// bpchar), as they all convert implicitly to each other. PostgreSQL also
    /// keeps a "preferred" type such as text or float8, but none of those converts
    /// implicitly one way only to another of our types, so that rule never decides
    /// here. Text when all are unknown.
    pub fn common_type(&self, types: &[DataType], what: &str) -> Result<DataType, SqlError> {
        let known: Vec<DataType> = types
            .iter()
            .copied()
            .filter(|t| *t != DataType::Unknown)
            .collect();
        let Some(&first) = known.first() else {
            return Ok(DataType::Text);
        };
        let implicit = |from, to| cast_context(from, to) == Some(CastKind::Implicit);
        let mut best = first;
        for &t in &known[1..] {
            match (implicit(best, t), implicit(t, best)) {
                (true, false) => best = t,
                (false, false) => {
                    return Err(SqlError::DatatypeMismatch(format!(
                        "{what} types {best} and {t} cannot be matched"
                    )))
                }
                _ => {}
            }
        }
        // PostgreSQL's select_common_typmod: the modifier survives only if every
        // input has it (an unknown literal has none), so `COALESCE(n, 1.005)` is
        // plain numeric and its values are not rounded, and `COALESCE(c, 'x')`
        // does not pad the 'x' to the CHAR(n).
        if types.iter().any(|t| *t != best) {
            best = best.without_typmod();
        }
        Ok(best)
    }

    /// [`Binder::common_type`] of the values of `exprs`, where a NULL literal does
    /// not take a CHAR(n)'s length away. In PostgreSQL it does, but the CHAR(n)
    /// values keep their padding; Turnstile keeps them without it and pads by the
    /// type when sending, so only the length keeps them shown as PostgreSQL shows
    /// them, and a NULL has nothing to pad.
    pub(super) fn common_type_of<'e>(
        &self,
        exprs: impl IntoIterator<Item = &'e Expr>,
        what: &str,
    ) -> Result<DataType, SqlError> {
        let mut types = Vec::new();
        let mut nulls = false;
        for e in exprs {
            match e {
                Expr::Const(Value::Null, DataType::Unknown) => nulls = true,
                e => types.push(e.ty()),
            }
        }
        let ty = self.common_type(&types, what)?;
        Ok(if nulls && !matches!(ty, DataType::Bpchar(_)) {
            ty.without_typmod()
        } else {
            ty
        })
    }

    fn bind_unary(&mut self, op: UnaryOperator, expr: &A, scope: &Scope) -> Result<Expr, SqlError> {
        match op {
            UnaryOperator::Not => {
                let inner = self.bind_expr(expr, scope)?;
                self.refuse_set_argument(&inner, "NOT")?;
                let inner = self.coerce(inner, DataType::Bool, "NOT")?;
                Ok(Expr::Not(Box::new(inner)))
            }
            UnaryOperator::Minus => {
                // A negative literal is one constant, so `-2147483648` is an int4;
                // parentheses do not matter (`-(2147483648)` too, as in PostgreSQL,
                // whose grammar drops them), and a further sign folds in as well:
                // `-(-2147483648)` is the bigint 2147483648.
                if let Some((negative, n)) = signed_number(expr) {
                    return number_literal(&if negative {
                        n.to_owned()
                    } else {
                        format!("-{n}")
                    });
                }
                let inner = self.bind_expr(expr, scope)?;
                let inner = if inner.ty() == DataType::Unknown {
                    self.coerce(inner, DataType::Float8, "-")?
                } else {
                    inner
                };
                if unary_signature(UnaryOp::Neg, inner.ty()).is_none() {
                    return Err(SqlError::UndefinedFunction(format!(
                        "operator does not exist: - {}",
                        inner.ty()
                    )));
                }
                Ok(Expr::Negate(Box::new(inner)))
            }
            UnaryOperator::Plus => {
                let inner = self.bind_expr(expr, scope)?;
                if unary_signature(UnaryOp::Plus, inner.ty()).is_none() {
                    return Err(SqlError::UndefinedFunction(format!(
                        "operator does not exist: + {}",
                        inner.ty()
                    )));
                }
                Ok(inner)
            }
            UnaryOperator::BitwiseNot => {
                let inner = self.bind_expr(expr, scope)?;
                let ty = inner.ty();
                if ty == DataType::Unknown {
                    // Every integer type has a `~`: PostgreSQL cannot choose.
                    return Err(SqlError::AmbiguousFunction(
                        "operator is not unique: ~ unknown".into(),
                    ));
                }
                if !ty.is_integer() {
                    return Err(SqlError::UndefinedFunction(format!(
                        "operator does not exist: ~ {ty}"
                    )));
                }
                Ok(Expr::Function {
                    function: FunctionId::BitNot,
                    strict: true,
                    args: vec![inner],
                    ty,
                })
            }
            // PostgreSQL's other prefix operators, each its function: `@` is
            // `abs` of any numeric type, `|/` and `||/` `sqrt` and `cbrt` of
            // double precision (which an untyped literal or any number becomes).
            UnaryOperator::PGAbs => {
                let inner = self.bind_expr(expr, scope)?;
                let inner = if inner.ty() == DataType::Unknown {
                    self.coerce(inner, DataType::Float8, "@")?
                } else {
                    inner
                };
                if !inner.ty().is_numeric() {
                    return Err(SqlError::UndefinedFunction(format!(
                        "operator does not exist: @ {}",
                        inner.ty()
                    )));
                }
                self.bind_library_call("abs", vec![inner])
            }
            UnaryOperator::PGSquareRoot | UnaryOperator::PGCubeRoot => {
                let (name, function) = match op {
                    UnaryOperator::PGSquareRoot => ("|/", "sqrt"),
                    _ => ("||/", "cbrt"),
                };
                let inner = self.bind_expr(expr, scope)?;
                let ty = inner.ty();
                if !ty.is_numeric() && ty != DataType::Unknown {
                    return Err(SqlError::UndefinedFunction(format!(
                        "operator does not exist: {name} {ty}"
                    )));
                }
                let inner = self.coerce(inner, DataType::Float8, name)?;
                self.bind_library_call(function, vec![inner])
            }
            other => Err(SqlError::Unsupported(format!("operator {other}"))),
        }
    }

    fn bind_is(&mut self, whole: &A, inner: &A, scope: &Scope) -> Result<Expr, SqlError> {
        let bound = self.bind_expr(inner, scope)?;
        let bound = self.coerce(bound, DataType::Bool, "IS")?;
        Ok(match whole {
            A::IsTrue(_) => Expr::IsBool {
                expr: Box::new(bound),
                value: true,
                negated: false,
            },
            A::IsNotTrue(_) => Expr::IsBool {
                expr: Box::new(bound),
                value: true,
                negated: true,
            },
            A::IsFalse(_) => Expr::IsBool {
                expr: Box::new(bound),
                value: false,
                negated: false,
            },
            A::IsNotFalse(_) => Expr::IsBool {
                expr: Box::new(bound),
                value: false,
                negated: true,
            },
            A::IsUnknown(_) => Expr::IsNull {
                expr: Box::new(bound),
                negated: false,
            },
            _ => Expr::IsNull {
                expr: Box::new(bound),
                negated: true,
            },
        })
    }

    fn bind_between(&mut self, between: &A, scope: &Scope) -> Result<Expr, SqlError> {
        let A::Between {
            expr,
            negated,
            low,
            high,
        } = between
        else {
            unreachable!("bind_between is called for BETWEEN only");
        };
        let lower = |b: &mut Self, low| b.bind_comparison(expr, BinaryOperator::GtEq, low, scope);
        let upper = |b: &mut Self, high| b.bind_comparison(expr, BinaryOperator::LtEq, high, scope);
        let both = match symmetric_low(low) {
            // PostgreSQL's expansion: either order of the bounds, so NULL bounds
            // give NULL (not false) as they do for plain BETWEEN.
            Some(low) => Expr::Or(
                Box::new(Expr::And(
                    Box::new(lower(self, low)?),
                    Box::new(upper(self, high)?),
                )),
                Box::new(Expr::And(
                    Box::new(lower(self, high)?),
                    Box::new(upper(self, low)?),
                )),
            ),
            None => Expr::And(Box::new(lower(self, low)?), Box::new(upper(self, high)?)),
        };
        // PostgreSQL expands NOT BETWEEN into an OR, BETWEEN into an AND, and
        // refuses a set-returning function in their arguments.
        self.refuse_set_argument(&both, if *negated { "OR" } else { "AND" })?;
        Ok(if *negated {
            Expr::Not(Box::new(both))
        } else {
            both
        })
    }

    /// `expr IN (list)`, as PostgreSQL's transformAExprIn binds it: two or more
    /// items that read no column of this row are compared with `expr` at their
    /// common type (`c IN ('a', 'b')`), every other item by its own `=`, and the
    /// comparisons are ORed. So `char_col IN (text_col)` compares as text, as `=`
    /// does, while `char_col IN ('a'::text, 'b')` compares as CHAR.
    fn bind_in_list(
        &mut self,
        expr: &A,
        list: &[A],
        negated: bool,
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        let left = self.bind_expr(expr, scope)?;
        let mut items = Vec::new();
        for item in list {
            items.push(self.bind_expr(item, scope)?);
        }
        let shared = |e: &Expr| !e.references_columns();
        let ty = if items.iter().filter(|e| shared(e)).count() > 1 {
            let mut types = vec![left.ty()];
            types.extend(items.iter().filter(|e| shared(e)).map(Expr::ty));
            // Without a common type each item is compared on its own.
            match self.common_type(&types, "IN") {
                Ok(ty) => {
                    datatype::require_equality(ty)?;
                    Some(ty)
                }
                Err(_) => None,
            }
        } else {
            None
        };
        let mut in_list = Vec::new();
        let mut comparisons = Vec::new();
        for item in items {
            match ty {
                Some(ty) if shared(&item) => in_list.push(self.coerce_operand(item, ty, "IN")?),
                _ => comparisons.push(self.comparison(BinaryOperator::Eq, left.clone(), item)?),
            }
        }
        if let Some(ty) = ty {
            let expr = Box::new(self.coerce_operand(left, ty, "IN")?);
            comparisons.insert(
                0,
                Expr::InList {
                    expr,
                    list: in_list,
                    negated: false,
                },
            );
        }
        let any = comparisons
            .into_iter()
            .reduce(|a, b| Expr::Or(Box::new(a), Box::new(b)))
            .ok_or_else(|| SqlError::Syntax("syntax error at or near \")\"".into()))?;
        Ok(match (any, negated) {
            (Expr::InList { expr, list, .. }, _) => Expr::InList {
                expr,
                list,
                negated,
            },
            (any, true) => Expr::Not(Box::new(any)),
            (any, false) => any,
        })
    }

    /// Coerces an operand, reporting a failure as the missing operator (42883).
    pub(super) fn coerce_operand(
        &mut self,
        expr: Expr,
        ty: DataType,
        op: &str,
    ) -> Result<Expr, SqlError> {
        let from = expr.ty();
        self.convert(expr, ty, CastKind::Implicit).map_err(|_| {
            SqlError::UndefinedFunction(format!("operator does not exist: {from} {op} {ty}"))
        })
    }

    pub(super) fn bind_in_subquery(
        &mut self,
        left: Expr,
        query: &ast::Query,
        negated: bool,
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        let mut subquery = self.bind_subquery(query, scope, true)?;
        // Compared as `=` compares them, as in PostgreSQL: the subquery's
        // column converted as the operator needs it.
        let column = Expr::Column {
            index: 0,
            ty: subquery.ty,
        };
        let Expr::Binary {
            left, right: item, ..
        } = self.comparison(BinaryOperator::Eq, left, column.clone())?
        else {
            unreachable!("a comparison binds to a binary operator");
        };
        if *item != column {
            subquery.ty = item.ty();
            let plan = std::mem::replace(
                &mut subquery.plan,
                crate::sql::plan::Plan::Values {
                    rows: vec![],
                    width: 0,
                },
            );
            subquery.plan = crate::sql::plan::Plan::Project {
                input: Box::new(plan),
                exprs: vec![*item],
            };
        }
        Ok(Expr::InSubquery {
            expr: left,
            subquery: Box::new(subquery),
            negated,
        })
    }

    pub(super) fn bind_like(
        &mut self,
        expr: &A,
        pattern: &A,
        escape: Option<&A>,
        case_insensitive: bool,
        negated: bool,
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        let op = if case_insensitive { "~~*" } else { "~~" };
        let text = |b: &mut Self, e: &A| -> Result<Expr, SqlError> {
            let bound = b.bind_expr(e, scope)?;
            b.like_text(bound, op)
        };
        // The string matched sees a CHAR(n)'s padding (PostgreSQL's bpcharlike).
        let bound = self.bind_expr(expr, scope)?;
        let expr = self.like_text(padded(bound), op)?;
        let pattern = text(self, pattern)?;
        let escape = match escape {
            Some(e) => Some(Box::new(text(self, e)?)),
            None => None,
        };
        Ok(Expr::Like {
            expr: Box::new(expr),
            pattern: Box::new(pattern),
            escape,
            case_insensitive,
            negated,
        })
    }

    /// An operand of LIKE as text; 42883 for one that is no string.
    fn like_text(&mut self, bound: Expr, op: &str) -> Result<Expr, SqlError> {
        let from = bound.ty();
        if from.is_text() || from == DataType::Unknown {
            return self.coerce(bound, DataType::Text, op);
        }
        Err(SqlError::UndefinedFunction(format!(
            "operator does not exist: {from} {op} unknown"
        )))
    }

    fn bind_case(
        &mut self,
        operand: Option<&A>,
        conditions: &[ast::CaseWhen],
        otherwise: Option<&A>,
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        let mut branches = Vec::new();
        for when in conditions {
            let condition = match operand {
                Some(op) => self.bind_comparison(op, BinaryOperator::Eq, &when.condition, scope)?,
                None => self.bind_condition(&when.condition, scope, "CASE/WHEN")?,
            };
            branches.push((condition, self.bind_expr(&when.result, scope)?));
        }
        let otherwise = match otherwise {
            Some(e) => Some(self.bind_expr(e, scope)?),
            None => None,
        };
        // PostgreSQL resolves the ELSE first, so it wins a tie among the string
        // types (`CASE … THEN char_col ELSE text_col END` is text).
        let results = otherwise.iter().chain(branches.iter().map(|(_, r)| r));
        let ty = self.common_type_of(results, "CASE")?;
        let mut coerced = Vec::new();
        for (w, r) in branches {
            coerced.push((w, self.coerce_result(r, ty, "CASE")?));
        }
        let otherwise = match otherwise {
            Some(e) => Some(Box::new(self.coerce_result(e, ty, "CASE")?)),
            None => None,
        };
        Ok(Expr::Case {
            operand: None,
            branches: coerced,
            otherwise,
            ty,
        })
    }

    /// Coerces one of several results to their common type.
    pub(super) fn coerce_result(
        &mut self,
        expr: Expr,
        ty: DataType,
        what: &str,
    ) -> Result<Expr, SqlError> {
        let from = expr.ty();
        self.convert(expr, ty, CastKind::Implicit).map_err(|_| {
            SqlError::DatatypeMismatch(format!("{what} types {ty} and {from} cannot be matched"))
        })
    }

    /// `EXTRACT(field FROM source)`: PostgreSQL's `extract(text, source)`, a
    /// numeric (where `date_part` is a double precision).
    fn bind_extract(
        &mut self,
        field: &ast::DateTimeField,
        source: &A,
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        let field = match field {
            ast::DateTimeField::Custom(name) => names::ident(name),
            other => other.to_string().to_lowercase(),
        };
        let source = self.bind_expr(source, scope)?;
        let field = Expr::Const(Value::Text(field), DataType::Text);
        self.bind_library_call("extract", vec![field, source])
    }

    /// A subquery in an expression. `single_column` subqueries (scalar, IN) must
    /// return one column (42601 otherwise, as PostgreSQL).
    pub(super) fn bind_subquery(
        &mut self,
        query: &ast::Query,
        scope: &Scope,
        single_column: bool,
    ) -> Result<Subquery, SqlError> {
        // In a grouped query's outputs the current row is a group.
        let over_groups = self
            .agg
            .as_ref()
            .map(|agg| agg.input.over_groups(&agg.group_keys));
        let outer = over_groups.as_ref().unwrap_or(scope);
        let (bound, correlated) = self.nested(outer, |b| b.bind_query(query))?;
        if single_column && bound.columns.len() != 1 {
            return Err(SqlError::InvalidStatement(
                "subquery must return only one column".into(),
            ));
        }
        let ty = bound
            .columns
            .first()
            .map_or(DataType::Bool, |c| c.data_type);
        Ok(Subquery {
            plan: bound.plan,
            ty,
            correlated,
            id: self.subquery_id(),
        })
    }
}

/// 0A000 (or 42601 for a misplaced wildcard) for an expression Turnstile does not bind.
fn unsupported_expr(expr: &A) -> SqlError {
    let what = match expr {
        A::Wildcard(_) | A::QualifiedWildcard(..) => {
            return SqlError::InvalidStatement("a wildcard is not allowed here".into())
        }
        A::Tuple(_) => "row constructors".to_owned(),
        other => format!(
            "expression {}",
            super::select::first_words(&other.to_string())
        ),
    };
    SqlError::Unsupported(what)
}

/// The catalog function that converts `from` to `to`, for the casts between the
/// OID aliases (`regclass`, …) and text, which read the catalog: a name to its OID,
/// an OID to its name.
fn catalog_cast(from: DataType, to: DataType) -> Option<CatalogFunction> {
    match (from, to) {
        (f, DataType::Oid(alias)) if f.is_text() && alias != OidAlias::Oid => {
            Some(CatalogFunction::RegIn(alias))
        }
        (DataType::Oid(alias), t) if t.is_text() && alias != OidAlias::Oid => {
            Some(CatalogFunction::RegOut(alias))
        }
        _ => None,
    }
}

impl Binder<'_> {
    /// `expr` converted by the catalog function `function` (see [`catalog_cast`]).
    fn catalog_cast(&mut self, expr: Expr, function: CatalogFunction, target: DataType) -> Expr {
        self.reads_catalog = true;
        // A constant relation name (`nextval('s')`, `'t'::regclass`) is a
        // dependency of a view holding it; a name computed at run time is not.
        if let (
            CatalogFunction::RegIn(OidAlias::RegClass),
            Expr::Const(Value::Text(name), DataType::Unknown),
        ) = (function, &expr)
        {
            if let Some(relation) = crate::sql::system::regclass_constant_relation(self.db, name) {
                self.note_reference(&relation);
            }
        }
        let arg = match expr.ty() {
            DataType::Unknown => retype(expr, DataType::Text),
            _ => expr,
        };
        let (ty, converted) = match function {
            CatalogFunction::RegIn(_) => (target, true),
            _ => (DataType::Text, target == DataType::Text),
        };
        let call = Expr::Function {
            function: FunctionId::Catalog(function),
            strict: true,
            args: vec![arg],
            ty,
        };
        if converted {
            call
        } else {
            Expr::ExplicitCast {
                expr: Box::new(call),
                ty: target,
            }
        }
    }
}

/// True if values of the two types are stored alike (text and varchar), so a
/// conversion is a relabeling.
pub(super) fn same_representation(a: DataType, b: DataType) -> bool {
    let text = |t: DataType| t.is_text() && t != DataType::Unknown;
    a == b || (text(a) && text(b))
}

/// Relabels an expression's type without converting its values.
pub(super) fn retype(expr: Expr, ty: DataType) -> Expr {
    match expr {
        Expr::Column { index, .. } => Expr::Column { index, ty },
        Expr::Const(v, _) => Expr::Const(v, ty),
        other => Expr::Cast {
            expr: Box::new(other),
            ty,
        },
    }
}

/// The number under `expr`'s parentheses and minus signs, and whether an odd
/// number of minus signs makes it negative: PostgreSQL's grammar folds each
/// sign into the constant, whose type its final value then decides.
fn signed_number(expr: &A) -> Option<(bool, &str)> {
    match expr {
        A::Nested(inner) => signed_number(inner),
        A::UnaryOp {
            op: UnaryOperator::Minus,
            expr: inner,
        } => signed_number(inner).map(|(negative, n)| (!negative, n)),
        A::Value(v) => match &v.value {
            ast::Value::Number(n, _) => Some((false, n)),
            _ => None,
        },
        _ => None,
    }
}

/// True if a value of `from` is already a valid `target` and only its type
/// changes. Not into a varchar(n), whose length is checked, nor from a text into a
/// CHAR(n), which drops trailing spaces (they do not count in a CHAR).
fn relabels(from: DataType, target: DataType) -> bool {
    if let (DataType::Vector(f), DataType::Array(t)) = (from, target) {
        return f == t;
    }
    same_representation(from, target)
        && !matches!(target, DataType::Varchar(Some(_)))
        && (matches!(from, DataType::Bpchar(_)) || !matches!(target, DataType::Bpchar(_)))
}

/// The value of a numeric literal, typed as PostgreSQL types it: an integer that
/// fits `integer` is one, else one that fits `bigint`, else `numeric`. 22003 for a
/// number beyond what Turnstile's numeric holds.
pub(crate) fn number_value(text: &str) -> Result<Value, TypeError> {
    let is_integer = text
        .trim_start_matches('-')
        .bytes()
        .all(|b| b.is_ascii_digit());
    if is_integer {
        if let Ok(v) = text.parse::<i32>() {
            return Ok(Value::Int4(v));
        }
        if let Ok(v) = text.parse::<i64>() {
            return Ok(Value::Int8(v));
        }
    }
    parse_numeric(text).map(Value::Numeric)
}

/// An unsigned numeric literal's constant.
fn number_literal(text: &str) -> Result<Expr, SqlError> {
    match number_value(text) {
        Ok(value) => {
            let ty = value.data_type();
            Ok(Expr::Const(value, ty))
        }
        // Beyond what our numeric holds exactly, e.g. 1e100 or 1e-50. PostgreSQL's
        // numeric holds it, so the literal stays numeric, as a cast of its text:
        // converted to a float type, the text is read as that type instead (see
        // `unwrap_wide_literal`), and the answer is PostgreSQL's; evaluated as a
        // numeric, the numeric input reads it (22003: too large or too precise for
        // our numeric, or rounded to the scale of a `numeric(p, s)` it is cast to).
        Err(TypeError::OutOfRange(_)) => Ok(Expr::Cast {
            expr: Box::new(Expr::Const(Value::Text(text.to_owned()), DataType::Unknown)),
            ty: DataType::Numeric(None),
        }),
        Err(e) => Err(e.into()),
    }
}

/// A numeric literal too wide for our numeric (see `number_literal`) on its way to
/// a float type or a `numeric(p, s)` becomes its unknown-typed text again, which
/// the caller then reads as that type. PostgreSQL converts numeric to float through
/// the number's text, so `1e100::float8` reads the same digits either way, and
/// `numeric(p, s)` rounds all the literal's digits to its scale.
pub(super) fn unwrap_wide_literal(expr: Expr, target: DataType) -> Expr {
    if !matches!(
        target,
        DataType::Float4 | DataType::Float8 | DataType::Numeric(Some(_))
    ) {
        return expr;
    }
    match expr {
        Expr::Cast {
            expr: inner,
            ty: DataType::Numeric(None),
        } if matches!(*inner, Expr::Const(Value::Text(_), DataType::Unknown)) => *inner,
        other => other,
    }
}

/// The low bound of `BETWEEN SYMMETRIC`, which the parser marks by wrapping it in
/// `pg_catalog.turnstile_between_symmetric(…)` (see `sql::parse`); None for plain
/// BETWEEN.
fn symmetric_low(low: &A) -> Option<&A> {
    let A::Function(f) = low else {
        return None;
    };
    let parts = names::parts(&f.name).ok()?;
    if parts != ["pg_catalog", crate::sql::parse::SYMMETRIC_MARKER] {
        return None;
    }
    match &f.args {
        ast::FunctionArguments::List(list) => match list.args.as_slice() {
            [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e))] => Some(e),
            _ => None,
        },
        _ => None,
    }
}

/// `expr` blank-padded to its CHAR(n) width when it is a CHAR(n): CHAR(n) values
/// are kept without their trailing blanks (which compare as nothing) and padded
/// on output, and PostgreSQL shows the padding to the few operations that take a
/// bpchar as it is: `octet_length`, `concat`, `concat_ws`, the left side of LIKE,
/// ILIKE and the regular expression operators, a cast to bytea. Anything else is
/// returned as it is.
pub(super) fn padded(expr: Expr) -> Expr {
    match expr.ty() {
        DataType::Bpchar(Some(width)) => Expr::Function {
            function: FunctionId::Rpad,
            strict: true,
            args: vec![
                expr,
                Expr::Const(
                    Value::Int4(i32::try_from(width).unwrap_or(i32::MAX)),
                    DataType::Int4,
                ),
            ],
            ty: DataType::Text,
        },
        _ => expr,
    }
}

/// The system column `tableoid` of `relation` (of the one table or system
/// relation in the FROM clause, unqualified) in `scope`, `depth` queries out
/// (0 for the query's own): the relation's OID, or NULL in a row an outer join
/// null-extended it in. `None` if the scope has no such relation; 42702 if
/// unqualified and it has several.
fn bind_tableoid(
    relation: Option<&str>,
    scope: &Scope,
    depth: usize,
) -> Result<Option<Expr>, SqlError> {
    let mut named = scope
        .stored_relations
        .iter()
        .filter(|r| relation.is_none_or(|name| r.relation == name));
    let Some(stored) = named.next() else {
        return Ok(None);
    };
    if named.next().is_some() {
        return Err(SqlError::AmbiguousColumn("tableoid".into()));
    }
    let ty = DataType::Oid(OidAlias::Oid);
    let oid = Expr::Const(Value::Int8(i64::from(stored.oid)), ty);
    if !scope.null_extended.contains(&stored.relation) {
        return Ok(Some(oid));
    }
    let mut own_columns = scope
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.relation.as_deref() == Some(stored.relation.as_str()));
    let Some((index, column)) = stored.never_null.and_then(|n| own_columns.nth(n)) else {
        return Err(SqlError::Unsupported(format!(
            "the tableoid of \"{}\", which an outer join may null-extend and which has no \
             NOT NULL column to tell its rows by",
            stored.relation
        )));
    };
    let anchor = match depth {
        0 => Expr::Column {
            index,
            ty: column.ty,
        },
        depth => Expr::Outer {
            depth,
            index,
            ty: column.ty,
        },
    };
    let present = Expr::IsNull {
        expr: Box::new(anchor),
        negated: true,
    };
    Ok(Some(Expr::Case {
        operand: None,
        branches: vec![(present, oid)],
        otherwise: None,
        ty,
    }))
}
