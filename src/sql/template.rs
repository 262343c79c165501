//! Simple-query templates: the integer literals of a simple query become parameters,
//! so that texts differing only in those literals share one parse and one plan.
//!
//! # Why
//!
//! A client on the simple protocol (psql, `pgbench -M simple`, many scripts) sends
//! `SELECT abalance FROM pgbench_accounts WHERE aid = 48213` with a new number each
//! time. The session's cache of texts never hits, and parsing alone costs more than
//! binding, planning and running the point lookup together. PostgreSQL parses and
//! plans every simple query too; its parser is simply cheaper than sqlparser.
//!
//! # How
//!
//! 1. **Scan** ([`Shape::of`]): one pass over the text finds its integer literals and
//!    the text with each of them taken out (the *key*). The scan reads only what it
//!    understands: quoted strings and identifiers are skipped whole; a comment, a `$`
//!    anywhere (parameters, dollar quotes, and so that every `$n` in an error message
//!    is a parameter of the template), a non-ASCII character outside quotes, a
//!    decimal or exponent, an
//!    integer touching a letter or `_`, a prefixed string (`E'…'`) or an integer too
//!    large for bigint makes it give up, and the text takes the ordinary path.
//! 2. **Template** ([`Template::new`]), the first time a key is seen: the text is
//!    parsed as usual, and each literal the scan found is looked up in the syntax tree
//!    by its position. One that sqlparser read as that very number, in a place where
//!    a number is a value, becomes `$k`, typed as PostgreSQL types the literal (int4
//!    if it fits, else int8). A minus sign and its number become one parameter,
//!    since `-2147483648` is one int4 constant while `2147483648` alone is an int8.
//!    Every other literal stays in the statement and must recur unchanged (*fixed*):
//!    a number that is not an expression (`varchar(10)`), a position (`ORDER BY
//!    2`), and the operand of a cast (`70000::int2`), which the binder converts when
//!    it binds, so that an out-of-range value fails even if no row is computed —
//!    unless every cast over it takes any value of its type (`5::bigint`,
//!    `5::text`), where converting once and per row cannot differ.
//! 3. **Run**: the template is an ordinary prepared statement and the literals are its
//!    parameters; the statement's cached plan serves every text of its shape, as it
//!    serves every Bind of an extended-protocol statement. A text whose key is known
//!    reuses the template if its fixed literals are the same and every parameter has
//!    the same type; otherwise it is templated again.
//!
//! # Why the answer cannot change
//!
//! Two texts with one key differ only inside integer lexemes that sqlparser read as
//! `Number` tokens of exactly that extent, each followed by a character that ends a
//! number, so they parse to the same tree but for those numbers. The binder types an
//! integer literal and a parameter of the same type alike, and the planner treats
//! both as constants. What remains is where the binder looks at a literal's value or
//! compares expressions for equality, and templates stay out of those places:
//! positions and the operands of casts that may fail keep their literals
//! (above), and a statement with
//! `GROUP BY`, `HAVING` or `DISTINCT` anywhere is not templated at all, because
//! grouped and distinct queries match expressions by equality (`SELECT a + 1 …
//! GROUP BY a + 1`), which two parameters would fail where two equal literals pass.
//! Only queries, INSERT, UPDATE, DELETE and CALL are templated: EXPLAIN would print
//! `$1`, and DDL stores its text. Each template is a single statement.

use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;
use std::sync::Arc;

use sqlparser::ast::{
    self, Expr as AstExpr, GroupByExpr, OrderByKind, Query, SetExpr, Statement, UnaryOperator,
    Value as AstValue, ValueWithSpan, Visit, VisitMut, Visitor, VisitorMut,
};
use sqlparser::tokenizer::Location;

use super::plan_cache::{is_planned, PreparedStatement};
use crate::types::{DataType, Value};

/// What stands for a literal in a [`Shape`]'s key. A query message is a C string,
/// so its text holds no NUL of its own.
const LITERAL_MARK: char = '\0';

/// An integer literal found by the scan: its digits, without any sign.
#[derive(Debug, Clone, PartialEq)]
struct Literal {
    /// Where it starts, as sqlparser counts: lines and characters from 1.
    start: Location,
    /// As written.
    text: String,
}

/// The value of the integer literal `digits`, or of `-digits` when `negated`,
/// typed as PostgreSQL types it: int4 if it fits, else int8 (None beyond that).
fn literal_value(digits: &str, negated: bool) -> Option<Value> {
    let signed;
    let text = if negated {
        signed = format!("-{digits}");
        &signed
    } else {
        digits
    };
    match text.parse::<i32>() {
        Ok(v) => Some(Value::Int4(v)),
        Err(_) => text.parse::<i64>().ok().map(Value::Int8),
    }
}

/// A simple-query text with its integer literals taken out.
#[derive(Debug)]
pub struct Shape {
    /// The text with each literal replaced by [`LITERAL_MARK`].
    key: String,
    /// The literals, in the order of the text.
    literals: Vec<Literal>,
}

impl Shape {
    /// The shape of `sql`; None if it has no integer literal or holds anything the
    /// scan does not read (see the module doc).
    pub fn of(sql: &str) -> Option<Shape> {
        // Not even inside quotes: an error message may quote the template, and
        // every `$n` in it must be a parameter of ours (see the wire layer).
        if sql.contains('$') {
            return None;
        }
        let bytes = sql.as_bytes();
        let mut key = String::with_capacity(sql.len());
        let mut literals = Vec::new();
        let (mut line, mut column) = (1u64, 1u64);
        let mut i = 0;
        // Advances over bytes[from..to], keeping line and column; a column is a
        // character, so UTF-8 continuation bytes (inside quotes) do not count.
        let advance = |from: usize, to: usize, line: &mut u64, column: &mut u64| {
            for &b in &bytes[from..to] {
                if b == b'\n' {
                    *line += 1;
                    *column = 1;
                } else if b & 0xC0 != 0x80 {
                    *column += 1;
                }
            }
        };
        while i < bytes.len() {
            let b = bytes[i];
            let end = match b {
                _ if !b.is_ascii() || b == b'$' => return None,
                b'-' if bytes.get(i + 1) == Some(&b'-') => return None,
                b'/' if bytes.get(i + 1) == Some(&b'*') => return None,
                b'.' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => return None,
                b'\'' | b'"' => {
                    // A prefix glued to a quote changes how it reads (E'\n', U&"x").
                    if i > 0 && (is_word_byte(bytes[i - 1]) || bytes[i - 1] == b'&') {
                        return None;
                    }
                    quoted_end(bytes, i)?
                }
                _ if b.is_ascii_digit() => {
                    let end = i + bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
                    if bytes
                        .get(end)
                        .is_some_and(|&next| is_word_byte(next) || next == b'.')
                    {
                        return None;
                    }
                    let text = &sql[i..end];
                    literal_value(text, false)?;
                    literals.push(Literal {
                        start: Location::new(line, column),
                        text: text.to_owned(),
                    });
                    key.push(LITERAL_MARK);
                    advance(i, end, &mut line, &mut column);
                    i = end;
                    continue;
                }
                _ if is_word_byte(b) => {
                    i + bytes[i..].iter().take_while(|&&b| is_word_byte(b)).count()
                }
                _ => i + 1,
            };
            key.push_str(&sql[i..end]);
            advance(i, end, &mut line, &mut column);
            i = end;
        }
        (!literals.is_empty()).then_some(Shape { key, literals })
    }

    /// The text with its literals taken out: texts with one key differ only in them.
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// A letter, digit or `_`: the characters of an unquoted word.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The end of the quoted string or identifier opening at `start` (a doubled quote
/// inside is one quote character); None if it never closes.
fn quoted_end(bytes: &[u8], start: usize) -> Option<usize> {
    let quote = bytes[start];
    let mut i = start + 1;
    loop {
        match *bytes.get(i)? {
            b if b == quote && bytes.get(i + 1) == Some(&quote) => i += 2,
            b if b == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// What a template does with each literal of its shape, in the text's order.
#[derive(Debug, Clone, PartialEq)]
enum Slot {
    /// It is the next parameter, of this type. `negated`: the literal is the
    /// operand of a minus sign, and the parameter stands for both (`-5` is one
    /// constant to PostgreSQL, and `-2147483648` an int4).
    Param { ty: DataType, negated: bool },
    /// It stays in the statement; a text must have this same literal to use it.
    Fixed(String),
}

/// A single statement whose integer literals are parameters, for every text of one
/// [`Shape`].
#[derive(Debug)]
pub struct Template {
    /// The statement with `$k` for its parameters: a one-element slice, as the text
    /// cache hands statements out.
    statements: Arc<[Arc<PreparedStatement>]>,
    slots: Vec<Slot>,
}

impl Template {
    /// The template of `statement`, parsed from a text of `shape`; None if the
    /// statement is not one that is templated, or none of its literals can be a
    /// parameter.
    pub fn new(statement: &Statement, shape: &Shape) -> Option<Template> {
        if !is_planned(statement) {
            return None;
        }
        let mut survey = Survey::default();
        if statement.visit(&mut survey).is_break() {
            return None;
        }
        let mut param_types = Vec::new();
        let slots: Vec<Slot> = shape
            .literals
            .iter()
            .map(|literal| {
                let read_as_this_number = survey.numbers.get(&literal.start) == Some(&literal.text);
                let negated = survey.negated.contains(&literal.start);
                match literal_value(&literal.text, negated) {
                    Some(value) if read_as_this_number && !survey.kept.contains(&literal.start) => {
                        param_types.push(Some(value.data_type()));
                        Slot::Param {
                            ty: value.data_type(),
                            negated,
                        }
                    }
                    _ => Slot::Fixed(literal.text.clone()),
                }
            })
            .collect();
        if param_types.is_empty() {
            return None;
        }
        let params: HashMap<Location, String> = shape
            .literals
            .iter()
            .zip(&slots)
            .filter(|(_, slot)| matches!(slot, Slot::Param { .. }))
            .enumerate()
            .map(|(k, (literal, _))| (literal.start, format!("${}", k + 1)))
            .collect();
        let mut statement = statement.clone();
        let _ = VisitMut::visit(&mut statement, &mut Parameterize { params: &params });
        let prepared = Arc::new(PreparedStatement::new(statement, param_types));
        Some(Template {
            statements: Arc::new([prepared]),
            slots,
        })
    }

    /// The template's statement, as a one-element slice.
    pub fn statements(&self) -> Arc<[Arc<PreparedStatement>]> {
        self.statements.clone()
    }

    /// The parameter values of a text of `shape` (which has this template's key);
    /// None if the text cannot use this template: a fixed literal differs, or a
    /// parameter would change type.
    pub fn params(&self, shape: &Shape) -> Option<Vec<Value>> {
        let mut params = Vec::with_capacity(self.slots.len());
        for (slot, literal) in self.slots.iter().zip(&shape.literals) {
            match slot {
                Slot::Param { ty, negated } => {
                    let value = literal_value(&literal.text, *negated)?;
                    if value.data_type() != *ty {
                        return None;
                    }
                    params.push(value);
                }
                Slot::Fixed(text) if *text == literal.text => {}
                Slot::Fixed(_) => return None,
            }
        }
        Some(params)
    }
}

/// What [`Template::new`] learns from the syntax tree: every integer `Number` and
/// where it starts, the ones that must keep their literal, the operands of a minus
/// sign, and whether the statement is one that is never templated (it breaks the
/// walk).
#[derive(Default)]
struct Survey {
    numbers: HashMap<Location, String>,
    kept: HashSet<Location>,
    negated: HashSet<Location>,
}

/// Where the number `expr` starts, if it is a number in any parentheses: the
/// binder reads `(2)` as it reads `2` (a position, the operand of a minus sign).
fn bare_number(expr: &AstExpr) -> Option<Location> {
    match expr {
        AstExpr::Nested(inner) => bare_number(inner),
        AstExpr::Value(ValueWithSpan {
            value: AstValue::Number(_, _),
            span,
        }) => Some(span.start),
        _ => None,
    }
}

/// Whether a cast to `target` converts the integer `operand` whatever its
/// value (of its literal's type, int4 or int8): bigint, numeric, the floating
/// point types and text take any; integer takes an int4 (a literal that fits it,
/// which is what a text must have to use a template made from this one).
/// Every other type may refuse a value, or its type modifier may.
fn takes_without_fail(target: &ast::DataType, operand: &AstExpr) -> bool {
    use ast::{DataType as T, ExactNumberInfo};
    match target {
        T::BigInt(None) | T::Int8(None) | T::Text => true,
        T::Real | T::Float4 | T::Float8 | T::DoublePrecision => true,
        T::Numeric(ExactNumberInfo::None) | T::Decimal(ExactNumberInfo::None) => true,
        T::Int(None) | T::Integer(None) | T::Int4(None) => matches!(
            operand,
            AstExpr::Value(ValueWithSpan {
                value: AstValue::Number(digits, false),
                ..
            }) if digits.parse::<i32>().is_ok()
        ),
        _ => false,
    }
}

impl Survey {
    /// Keeps the literal of `expr` if it is a constant number: a number, or minus
    /// a number, in any parentheses (PostgreSQL's grammar folds the sign into the
    /// constant), also under further casts: the binder converts a chain of casts
    /// of a constant when it binds (`70000::bigint::int2` fails there), so the
    /// inner cast, which takes any value, must not make the number a parameter.
    fn keep_if_number(&mut self, expr: &AstExpr) {
        let mut operand = expr;
        loop {
            operand = match operand {
                AstExpr::Nested(inner) => inner,
                AstExpr::Cast { expr, .. } => expr,
                AstExpr::UnaryOp {
                    op: UnaryOperator::Minus,
                    expr,
                } => expr,
                _ => break,
            };
        }
        if let Some(start) = bare_number(operand) {
            self.kept.insert(start);
        }
    }

    /// Breaks on a grouped or distinct SELECT anywhere in `body`.
    fn check_body(&mut self, body: &SetExpr) -> ControlFlow<()> {
        match body {
            SetExpr::Select(select) => {
                let grouped = match &select.group_by {
                    GroupByExpr::All(_) => true,
                    GroupByExpr::Expressions(keys, _) => !keys.is_empty(),
                };
                if grouped || select.having.is_some() || select.distinct.is_some() {
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            }
            SetExpr::SetOperation { left, right, .. } => {
                self.check_body(left)?;
                self.check_body(right)
            }
            // A nested Query is visited on its own.
            _ => ControlFlow::Continue(()),
        }
    }
}

impl Visitor for Survey {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let Some(order_by) = &query.order_by {
            if let OrderByKind::Expressions(keys) = &order_by.kind {
                for key in keys {
                    self.keep_if_number(&key.expr);
                }
            }
        }
        self.check_body(&query.body)
    }

    fn pre_visit_expr(&mut self, expr: &AstExpr) -> ControlFlow<()> {
        match expr {
            // Only numbers that are expressions: a number elsewhere in the tree
            // (`CEIL(x, 2)`'s scale) is read by its own rule and keeps its literal.
            AstExpr::Value(ValueWithSpan {
                value: AstValue::Number(text, false),
                span,
            }) => {
                self.numbers.insert(span.start, text.clone());
            }
            AstExpr::UnaryOp {
                op: UnaryOperator::Minus,
                expr,
            } => {
                let mut operand = &**expr;
                while let AstExpr::Nested(inner) = operand {
                    operand = inner;
                }
                if let Some(start) = bare_number(operand) {
                    self.negated.insert(start);
                } else if let AstExpr::UnaryOp {
                    op: UnaryOperator::Minus,
                    ..
                } = operand
                {
                    // Under two signs or more (`-(-5)`) the binder folds every
                    // sign into the constant, whose type its final value
                    // decides: the number keeps its literal.
                    self.keep_if_number(operand);
                }
            }
            // The binder converts a cast constant when it binds it, so a value out
            // of the type's range fails then, even if no row is ever computed
            // (`SELECT 70000::int2 … WHERE false`); a parameter would be converted
            // per row. The constant keeps its literal, unless the cast takes it
            // without fail, where the two cannot differ.
            AstExpr::Cast {
                expr, data_type, ..
            } if !takes_without_fail(data_type, expr) => self.keep_if_number(expr),
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// Replaces the numbers starting at the given locations with their placeholders.
struct Parameterize<'a> {
    params: &'a HashMap<Location, String>,
}

impl VisitorMut for Parameterize<'_> {
    type Break = ();

    /// A number that is an expression, or a minus sign and its number, becomes
    /// its parameter.
    fn pre_visit_expr(&mut self, expr: &mut AstExpr) -> ControlFlow<()> {
        let number = match expr {
            AstExpr::UnaryOp {
                op: UnaryOperator::Minus,
                expr: operand,
            } => bare_number(operand),
            _ => bare_number(expr),
        };
        if let Some(placeholder) = number.and_then(|start| self.params.get(&start)) {
            *expr = AstExpr::Value(AstValue::Placeholder(placeholder.clone()).into());
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(sql: &str) -> Option<(Template, Shape)> {
        let shape = Shape::of(sql)?;
        let statements = super::super::parse(sql).unwrap();
        let [statement] = statements.as_slice() else {
            panic!("one statement expected");
        };
        Template::new(statement, &shape).map(|t| (t, shape))
    }

    /// The template's statement as SQL, and the parameters of `sql`.
    fn templated(sql: &str) -> Option<(String, Vec<Value>)> {
        let (t, shape) = template(sql)?;
        let params = t.params(&shape).expect("a text fits its own template");
        Some((t.statements()[0].statement().to_string(), params))
    }

    #[test]
    fn the_scan_finds_integer_literals_and_skips_quotes() {
        let shape =
            Shape::of("select \"c1\", 'it''s 5', x1 from t where id = 42\n and v < 5000000000")
                .unwrap();
        assert_eq!(
            shape.key,
            "select \"c1\", 'it''s 5', x1 from t where id = \0\n and v < \0"
        );
        let found: Vec<_> = shape
            .literals
            .iter()
            .map(|l| {
                (
                    l.start.line,
                    l.start.column,
                    l.text.as_str(),
                    literal_value(&l.text, false).unwrap(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (1, 46, "42", Value::Int4(42)),
                (2, 10, "5000000000", Value::Int8(5_000_000_000)),
            ]
        );
        // Columns count characters, as sqlparser's do.
        let shape = Shape::of("select 'ü€', 7").unwrap();
        assert_eq!(shape.literals[0].start, Location::new(1, 14));
    }

    #[test]
    fn the_scan_gives_up_on_what_it_does_not_read() {
        for sql in [
            "select 1 -- one",
            "select /* c */ 1",
            "select $1, 2",
            "select '$1', 2",
            "select $$x$$, 2",
            "select 1.5, 2",
            "select .5, 2",
            "select 1e3",
            "select 1_000",
            "select 2x",
            "select E'\\n', 1",
            "select U&'x', 1",
            "select ü, 1",
            "select 99999999999999999999",
            "select 'never closed, 1",
            "select 'no literal'",
        ] {
            assert!(Shape::of(sql).is_none(), "{sql}");
        }
    }

    #[test]
    fn literals_in_values_become_typed_parameters() {
        let (sql, params) =
            templated("SELECT abalance FROM pgbench_accounts WHERE aid = 48213").unwrap();
        assert_eq!(sql, "SELECT abalance FROM pgbench_accounts WHERE aid = $1");
        assert_eq!(params, [Value::Int4(48213)]);
        let (sql, params) = templated("CALL transfer(1, 2, 5000000000)").unwrap();
        assert_eq!(sql, "CALL transfer($1, $2, $3)");
        assert_eq!(
            params,
            [Value::Int4(1), Value::Int4(2), Value::Int8(5_000_000_000)]
        );
        let (sql, _) = templated("UPDATE t SET v = v + 10 WHERE id IN (3, 4) RETURNING v").unwrap();
        assert_eq!(
            sql,
            "UPDATE t SET v = v + $1 WHERE id IN ($2, $3) RETURNING v"
        );
        let (sql, _) = templated("INSERT INTO t VALUES (7, 'x8', 9)").unwrap();
        assert_eq!(sql, "INSERT INTO t VALUES ($1, 'x8', $2)");
        let (sql, _) = templated("select x from t limit 10 offset 20").unwrap();
        assert_eq!(sql, "SELECT x FROM t LIMIT $1 OFFSET $2");
    }

    #[test]
    fn positions_minus_signs_and_type_modifiers_keep_their_literals() {
        let (sql, params) = templated("select a, b from t where a > 3 order by 2, a + 1").unwrap();
        assert_eq!(sql, "SELECT a, b FROM t WHERE a > $1 ORDER BY 2, a + $2");
        assert_eq!(params, [Value::Int4(3), Value::Int4(1)]);
        // Parentheses change nothing: `(-(6))` is the constant -6, as in PostgreSQL,
        // and `ORDER BY (1)` a position.
        let (sql, _) =
            templated("select 70000::int2, (-5)::int2, (-(6))::int2, 7 from t order by (1)")
                .unwrap();
        assert_eq!(
            sql,
            "SELECT 70000::INT2, (-5)::INT2, (-(6))::INT2, $1 FROM t ORDER BY (1)"
        );
        let (sql, _) = templated("select 'x'::varchar(10), 5").unwrap();
        assert_eq!(sql, "SELECT 'x'::VARCHAR(10), $1");
        // A number that is not an expression keeps its literal.
        let (sql, _) = templated("select ceil(x, 2), 3 from t").unwrap();
        assert_eq!(sql, "SELECT CEIL(x, 2), $1 FROM t");
        let (sql, _) = templated("select 'ü€', 7").unwrap();
        assert_eq!(sql, "SELECT 'ü€', $1");
        // Only kept literals: nothing to gain.
        assert!(template("select a from t order by 1").is_none());
    }

    /// A cast that takes any value of its operand's type without fail lets the
    /// operand be a parameter; one that may refuse a value keeps its literal.
    #[test]
    fn casts_that_cannot_fail_take_parameters() {
        let (sql, params) = templated(
            "select 12345::bigint, 7::int, 5000000000::int, 8::numeric, 9::numeric(2), \
             10::text, 11::float8, 12::real, 13::int2, 14::varchar(1), cast(15 as int8)",
        )
        .unwrap();
        assert_eq!(
            sql,
            "SELECT $1::BIGINT, $2::INT, 5000000000::INT, $3::NUMERIC, 9::NUMERIC(2), \
             $4::TEXT, $5::FLOAT8, $6::REAL, 13::INT2, 14::VARCHAR(1), CAST($7 AS INT8)"
        );
        assert_eq!(params[0], Value::Int4(12345));
        // An int8 literal under `::int` could be out of range: such a text does
        // not use the template of an int4 one, and its own keeps the literal.
        let (t, _) = template("select 7::int").unwrap();
        assert_eq!(
            t.params(&Shape::of("select 5000000000::int").unwrap()),
            None
        );
        assert!(template("select 5000000000::int").is_none());
        // A cast that may fail over one that cannot keeps the literal under both.
        let (sql, _) =
            templated("select 70000::bigint::int2, cast(cast(6 as text) as bool), 7::bigint::text")
                .unwrap();
        assert_eq!(
            sql,
            "SELECT 70000::BIGINT::INT2, CAST(CAST(6 AS TEXT) AS BOOL), $1::BIGINT::TEXT"
        );
    }

    /// A minus sign and its number are one parameter, typed as the negative
    /// literal is; a text whose number then needs another type is templated anew.
    #[test]
    fn a_minus_sign_and_its_number_are_one_parameter() {
        let (t, shape) = template("select -2147483648, - 5, 7 - 2").unwrap();
        assert_eq!(
            t.statements()[0].statement().to_string(),
            "SELECT $1, $2, $3 - $4"
        );
        assert_eq!(
            t.params(&shape).unwrap(),
            [
                Value::Int4(i32::MIN),
                Value::Int4(-5),
                Value::Int4(7),
                Value::Int4(2)
            ]
        );
        // Two minus signs fold into the constant, typed by its final value.
        let (sql, _) = templated("select -(-2147483648), - -5, -(6)").unwrap();
        assert_eq!(sql, "SELECT -(-2147483648), - -5, $1");
        let wider = Shape::of("select -2147483649, - 5, 7 - 2").unwrap();
        assert_eq!(t.params(&wider), None);
        let other = Shape::of("select -1, - 6, 8 - 3").unwrap();
        assert_eq!(
            t.params(&other).unwrap(),
            [
                Value::Int4(-1),
                Value::Int4(-6),
                Value::Int4(8),
                Value::Int4(3)
            ]
        );
    }

    #[test]
    fn grouped_distinct_and_other_statements_are_not_templated() {
        for sql in [
            "select a + 1 from t group by a + 1",
            "select count(*) from t having count(*) > 1",
            "select distinct a + 1 from t",
            "select * from t where a in (select b + 1 from u group by b + 1)",
            "select 1 union select distinct 2",
            "explain select * from t where id = 1",
            "create table t (id int default 5)",
            "set statement_timeout = 5",
        ] {
            assert!(template(sql).is_none(), "{sql}");
        }
    }

    /// A text of the same key uses the template only with the same fixed literals
    /// and parameters of the same types.
    #[test]
    fn a_text_uses_a_template_only_where_it_fits() {
        let (t, _) = template("select a from t where id = 1 order by 1").unwrap();
        let fits = |sql: &str| {
            let shape = Shape::of(sql).unwrap();
            assert_eq!(
                shape.key(),
                Shape::of("select a from t where id = 1 order by 1")
                    .unwrap()
                    .key()
            );
            t.params(&shape)
        };
        assert_eq!(
            fits("select a from t where id = 77 order by 1"),
            Some(vec![Value::Int4(77)])
        );
        assert_eq!(fits("select a from t where id = 77 order by 2"), None);
        assert_eq!(
            fits("select a from t where id = 5000000000 order by 1"),
            None
        );
    }
}
