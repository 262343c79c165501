//! Binary operators: resolved with the scalar library's signatures.

use sqlparser::ast::{BinaryOperator, Expr as A};

use crate::sql::plan::Expr;
use crate::sql::SqlError;
use crate::types::{binary_signature, BinaryOp, DataType, FunctionId};

use super::expr::padded;
use super::scope::Scope;
use super::Binder;

impl Binder<'_> {
    pub(super) fn bind_binary(
        &mut self,
        left: &A,
        op: &BinaryOperator,
        right: &A,
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        match op {
            BinaryOperator::And | BinaryOperator::Or => self.bind_logical(left, op, right, scope),
            BinaryOperator::PGLikeMatch | BinaryOperator::PGNotLikeMatch => self.bind_like(
                left,
                right,
                None,
                false,
                matches!(op, BinaryOperator::PGNotLikeMatch),
                scope,
            ),
            BinaryOperator::PGILikeMatch | BinaryOperator::PGNotILikeMatch => self.bind_like(
                left,
                right,
                None,
                true,
                matches!(op, BinaryOperator::PGNotILikeMatch),
                scope,
            ),
            BinaryOperator::PGRegexMatch
            | BinaryOperator::PGRegexIMatch
            | BinaryOperator::PGRegexNotMatch
            | BinaryOperator::PGRegexNotIMatch => self.bind_regex(left, op, right, scope),
            BinaryOperator::PGCustomBinaryOperator(parts) => {
                let op = named_operator(parts)?;
                self.bind_binary(left, &op, right, scope)
            }
            _ => self.bind_operator(left, op, right, scope),
        }
    }

    /// `~`, `~*`, `!~`, `!~*`: POSIX regular expression match of text. The string
    /// matched sees a CHAR(n)'s padding, as LIKE's does (PostgreSQL's
    /// bpcharregexeq); the pattern is text.
    fn bind_regex(
        &mut self,
        left: &A,
        op: &BinaryOperator,
        right: &A,
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        let matched = self.bind_expr(left, scope)?;
        let pattern = self.bind_expr(right, scope)?;
        self.regex_match(matched, op, pattern)
    }

    /// `x [NOT] SIMILAR TO p [ESCAPE e]`: `x [!]~ similar_to_escape(p[, e])`,
    /// as PostgreSQL rewrites it.
    pub(super) fn bind_similar_to(
        &mut self,
        expr: &A,
        pattern: &A,
        escape: Option<&A>,
        negated: bool,
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        let matched = self.bind_expr(expr, scope)?;
        let mut args = vec![pattern];
        args.extend(escape);
        let pattern = self.bind_named_call("similar_to_escape", &args, scope)?;
        let op = if negated {
            BinaryOperator::PGRegexNotMatch
        } else {
            BinaryOperator::PGRegexMatch
        };
        self.regex_match(matched, &op, pattern)
    }

    /// `matched op pattern` for the regular expression operator `op`.
    fn regex_match(
        &mut self,
        matched: Expr,
        op: &BinaryOperator,
        pattern: Expr,
    ) -> Result<Expr, SqlError> {
        if !matched.ty().is_text() || !pattern.ty().is_text() {
            return Err(SqlError::UndefinedFunction(format!(
                "operator does not exist: {} {op} {}",
                matched.ty(),
                pattern.ty()
            )));
        }
        let args = vec![
            self.coerce(padded(matched), DataType::Text, &op.to_string())?,
            self.coerce(pattern, DataType::Text, &op.to_string())?,
        ];
        let case_insensitive = matches!(
            op,
            BinaryOperator::PGRegexIMatch | BinaryOperator::PGRegexNotIMatch
        );
        let matched = Expr::Function {
            function: FunctionId::RegexMatch { case_insensitive },
            strict: true,
            args,
            ty: DataType::Bool,
        };
        Ok(match op {
            BinaryOperator::PGRegexNotMatch | BinaryOperator::PGRegexNotIMatch => {
                Expr::Not(Box::new(matched))
            }
            _ => matched,
        })
    }

    /// AND or OR: both operands must be boolean.
    fn bind_logical(
        &mut self,
        left: &A,
        op: &BinaryOperator,
        right: &A,
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        let l = self.bind_expr(left, scope)?;
        let l = self.logical_operand(l, op)?;
        let r = self.bind_expr(right, scope)?;
        let r = self.logical_operand(r, op)?;
        Ok(match op {
            BinaryOperator::And => Expr::And(Box::new(l), Box::new(r)),
            _ => Expr::Or(Box::new(l), Box::new(r)),
        })
    }

    fn bind_operator(
        &mut self,
        left: &A,
        op: &BinaryOperator,
        right: &A,
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        let l = self.bind_expr(left, scope)?;
        let r = self.bind_expr(right, scope)?;
        self.operator(op, l, r)
    }

    fn logical_operand(&mut self, e: Expr, op: &BinaryOperator) -> Result<Expr, SqlError> {
        self.refuse_set_argument(&e, &op.to_string())?;
        let ty = e.ty();
        if matches!(ty, DataType::Bool | DataType::Unknown) {
            return self.coerce(e, DataType::Bool, &op.to_string());
        }
        Err(SqlError::DatatypeMismatch(format!(
            "argument of {op} must be type boolean, not type {ty}"
        )))
    }

    /// `left op right` between two ASTs, e.g. the halves of BETWEEN.
    pub(super) fn bind_comparison(
        &mut self,
        left: &A,
        op: BinaryOperator,
        right: &A,
        scope: &Scope,
    ) -> Result<Expr, SqlError> {
        let l = self.bind_expr(left, scope)?;
        let r = self.bind_expr(right, scope)?;
        self.operator(&op, l, r)
    }

    /// A comparison between two bound expressions (USING, simple CASE).
    pub(super) fn comparison(
        &mut self,
        op: BinaryOperator,
        l: Expr,
        r: Expr,
    ) -> Result<Expr, SqlError> {
        self.operator(&op, l, r)
    }

    /// Resolves the operator for the operand types, casting operands where the
    /// signature needs it. Numbers of different widths are left as they are for
    /// comparisons (the scalar library compares them exactly), which keeps a bare
    /// column on one side, the form the planner can use an index for.
    fn operator(&mut self, op: &BinaryOperator, l: Expr, r: Expr) -> Result<Expr, SqlError> {
        // An untyped literal beside a CHAR(n) is read as CHAR, as PostgreSQL
        // resolves it: its trailing spaces do not count either. So is a varchar
        // compared with a CHAR(n) (PostgreSQL's bpchar comparison wins there).
        let bpchar = DataType::Bpchar(None);
        let name = op.to_string();
        let op = binary_op(op)?;
        let as_bpchar = |t: DataType| {
            t == DataType::Unknown || (op.is_comparison() && matches!(t, DataType::Varchar(_)))
        };
        let (l, r) = match (l.ty(), r.ty()) {
            (DataType::Bpchar(_), rt) if as_bpchar(rt) => {
                let r = self.coerce_operand(r, bpchar, &name)?;
                (l, r)
            }
            (lt, DataType::Bpchar(_)) if as_bpchar(lt) => {
                (self.coerce_operand(l, bpchar, &name)?, r)
            }
            _ => (l, r),
        };
        // An untyped parameter compared with something takes that thing's type.
        let (lt, rt) = (l.ty(), r.ty());
        if op == BinaryOp::Concat
            && (matches!(lt, DataType::Array(_)) || matches!(rt, DataType::Array(_)))
        {
            return self.bind_array_concat(l, r);
        }
        let signature =
            binary_signature(op, lt, rt).ok_or_else(|| undefined_operator(op, lt, rt))?;
        let l = self.operand(l, signature.left, op)?;
        let r = self.operand(r, signature.right, op)?;
        Ok(Expr::Binary {
            op,
            left: Box::new(l),
            right: Box::new(r),
            ty: signature.result,
        })
    }

    fn operand(&mut self, e: Expr, ty: DataType, op: BinaryOp) -> Result<Expr, SqlError> {
        // `1e100 > x::float8` compares as floats, so a literal too wide for our
        // numeric is read as one here rather than kept numeric and refused.
        let e = super::expr::unwrap_wide_literal(e, ty);
        let from = e.ty();
        if from != DataType::Unknown && (from.is_numeric() && ty.is_numeric()) && op.is_comparison()
        {
            return Ok(e);
        }
        if from == ty || (from.is_text() && ty.is_text() && from != DataType::Unknown) {
            return Ok(e);
        }
        // `text || anything` prints the other side (PostgreSQL's anynonarray ||).
        if op == BinaryOp::Concat && ty == DataType::Text && from != DataType::Unknown {
            return Ok(Expr::ExplicitCast {
                expr: Box::new(e),
                ty,
            });
        }
        self.coerce_operand(e, ty, op.symbol())
    }
}

pub(super) fn binary_op(op: &BinaryOperator) -> Result<BinaryOp, SqlError> {
    Ok(match op {
        BinaryOperator::Plus => BinaryOp::Add,
        BinaryOperator::Minus => BinaryOp::Sub,
        BinaryOperator::Multiply => BinaryOp::Mul,
        BinaryOperator::Divide => BinaryOp::Div,
        BinaryOperator::Modulo => BinaryOp::Mod,
        BinaryOperator::PGExp => BinaryOp::Pow,
        BinaryOperator::BitwiseAnd => BinaryOp::BitAnd,
        BinaryOperator::BitwiseOr => BinaryOp::BitOr,
        BinaryOperator::PGBitwiseXor => BinaryOp::BitXor,
        BinaryOperator::PGBitwiseShiftLeft => BinaryOp::ShiftLeft,
        BinaryOperator::PGBitwiseShiftRight => BinaryOp::ShiftRight,
        BinaryOperator::StringConcat => BinaryOp::Concat,
        BinaryOperator::Eq => BinaryOp::Eq,
        BinaryOperator::NotEq => BinaryOp::NotEq,
        BinaryOperator::Lt => BinaryOp::Lt,
        BinaryOperator::LtEq => BinaryOp::LtEq,
        BinaryOperator::Gt => BinaryOp::Gt,
        BinaryOperator::GtEq => BinaryOp::GtEq,
        BinaryOperator::AtArrow => BinaryOp::Contains,
        BinaryOperator::ArrowAt => BinaryOp::ContainedBy,
        BinaryOperator::PGOverlap => BinaryOp::Overlap,
        BinaryOperator::Arrow => BinaryOp::JsonField { as_text: false },
        BinaryOperator::LongArrow => BinaryOp::JsonField { as_text: true },
        BinaryOperator::HashArrow => BinaryOp::JsonPath { as_text: false },
        BinaryOperator::HashLongArrow => BinaryOp::JsonPath { as_text: true },
        BinaryOperator::Question => BinaryOp::JsonHasKey,
        BinaryOperator::QuestionPipe => BinaryOp::JsonHasKeys { all: false },
        BinaryOperator::QuestionAnd => BinaryOp::JsonHasKeys { all: true },
        other => return Err(SqlError::Unsupported(format!("operator {other}"))),
    })
}

/// The operator `OPERATOR(pg_catalog.op)` names (psql writes its operators so).
fn named_operator(parts: &[String]) -> Result<BinaryOperator, SqlError> {
    let symbol = match parts {
        [op] => op.as_str(),
        [schema, op] if schema == "pg_catalog" => op.as_str(),
        _ => {
            return Err(SqlError::Unsupported(format!(
                "operator {}",
                parts.join(".")
            )))
        }
    };
    Ok(match symbol {
        "~" => BinaryOperator::PGRegexMatch,
        "~*" => BinaryOperator::PGRegexIMatch,
        "!~" => BinaryOperator::PGRegexNotMatch,
        "!~*" => BinaryOperator::PGRegexNotIMatch,
        "~~" => BinaryOperator::PGLikeMatch,
        "!~~" => BinaryOperator::PGNotLikeMatch,
        "~~*" => BinaryOperator::PGILikeMatch,
        "!~~*" => BinaryOperator::PGNotILikeMatch,
        "=" => BinaryOperator::Eq,
        "<>" | "!=" => BinaryOperator::NotEq,
        "<" => BinaryOperator::Lt,
        "<=" => BinaryOperator::LtEq,
        ">" => BinaryOperator::Gt,
        ">=" => BinaryOperator::GtEq,
        "+" => BinaryOperator::Plus,
        "-" => BinaryOperator::Minus,
        "*" => BinaryOperator::Multiply,
        "/" => BinaryOperator::Divide,
        "||" => BinaryOperator::StringConcat,
        "@>" => BinaryOperator::AtArrow,
        "<@" => BinaryOperator::ArrowAt,
        "&&" => BinaryOperator::PGOverlap,
        "->" => BinaryOperator::Arrow,
        "->>" => BinaryOperator::LongArrow,
        "#>" => BinaryOperator::HashArrow,
        "#>>" => BinaryOperator::HashLongArrow,
        "?" => BinaryOperator::Question,
        "?|" => BinaryOperator::QuestionPipe,
        "?&" => BinaryOperator::QuestionAnd,
        other => return Err(SqlError::Unsupported(format!("operator {other}"))),
    })
}

/// 42883 as PostgreSQL words it: "operator does not exist: text + integer".
/// Two unknown literals fit several operators (`'1' + '1'`): 42725, as in PostgreSQL.
fn undefined_operator(op: BinaryOp, l: DataType, r: DataType) -> SqlError {
    if (l, r) == (DataType::Unknown, DataType::Unknown) {
        return SqlError::AmbiguousFunction(format!(
            "operator is not unique: unknown {} unknown",
            op.symbol()
        ));
    }
    SqlError::UndefinedFunction(format!("operator does not exist: {l} {} {r}", op.symbol()))
}
