//! Turning SQL text into sqlparser statements.
//!
//! sqlparser does not know PostgreSQL's `CHECKPOINT`, so the exact statement
//! `CHECKPOINT` (any case, optional `;` and whitespace) is recognized here before
//! sqlparser sees the text, and stands in the rest of the pipeline as
//! [`checkpoint_statement`]: a `FLUSH`, which sqlparser's PostgreSQL dialect
//! refuses to parse, with a channel name of ours on top, so no statement written in
//! SQL can be mistaken for it. [`is_checkpoint`] is the only test for it. `CHECKPOINT`
//! sent together with other statements in one text is a syntax error.
//!
//! PostgreSQL's `VACUUM` and `ANALYZE` (`vacuum analyze t`, `VACUUM (VERBOSE) t`)
//! are read here too, when they are the whole text, into sqlparser's `Vacuum` and
//! `Analyze` statements naming the table (sqlparser knows only other dialects'
//! forms). They name at most one table: a list is 0A000.
//!
//! `SET CONSTRAINTS { ALL | name [, …] } { DEFERRED | IMMEDIATE }`, which
//! sqlparser does not know either, is read here from its tokens (alone or among
//! other statements of the text, which sqlparser reads from theirs), into
//! a stand-in of the same kind as CHECKPOINT's: a `SET` of a variable whose name
//! no unquoted identifier can spell (`turnstile:set_constraints`), its values the
//! mode and then the names. [`set_constraints`] is the only reader of it.
//!
//! `ALTER SEQUENCE`, which sqlparser does not know either, is read here the
//! same way ([`AlterSequence`]), into a stand-in `SET` of the variable
//! `turnstile:alter_sequence` whose value is the statement's text;
//! [`alter_sequence`] reads it again from there. Its options are read by
//! sqlparser's reader of `CREATE SEQUENCE` options, `RESTART` by this module.
//!
//! `FETCH` and `MOVE` (a cursor's, see `session::cursor`) are read here:
//! sqlparser reads FETCH only with both a direction and `FROM`, and MOVE not at
//! all. A text with one among other statements is split at the semicolons
//! between them, and each statement parsed alone. A MOVE stands in the rest of the pipeline as the
//! FETCH it moves as, marked by an `INTO` no FETCH of PostgreSQL's has
//! ([`is_move_marker`]).
//!
//! `SEQUENCE NAME` among an identity column's options, which pg_dump writes and
//! sqlparser does not read, is taken out when it names the sequence Turnstile
//! would name anyway ([`drop_default_sequence_names`]).
//!
//! In a COPY statement, the boolean options take PostgreSQL's spellings (`FREEZE
//! on`, `HEADER 1`): they are rewritten to `TRUE`/`FALSE` before parsing, the only
//! ones sqlparser reads.
//!
//! sqlparser binds a unary minus or plus looser than `^`, reading `-2 ^ 2` as
//! `-(2 ^ 2)`; PostgreSQL binds it tighter (its precedence table puts unary minus
//! above `^`), so `-2 ^ 2` is `(-2) ^ 2`, 4. Every parsed tree is turned around here
//! ([`SignBindsTighterThanPower`]), so that templates, the binder and a view's
//! stored text all see PostgreSQL's reading. Likewise the prefix operators `~`,
//! `@`, `|/` and `||/`: sqlparser binds them tighter than `+` and `-`,
//! PostgreSQL looser (they have its other operators' precedence, below `+`), so
//! `~1 + 1` is `~(1 + 1)`, -3 ([`PrefixOperatorBindsLooserThanPlus`]).
//!
//! sqlparser's own recursion limit bounds nesting by parentheses and subqueries,
//! but it builds a chain of operators (`1+1+…`, `a OR b OR …`, `::int::int…`) or of
//! set operations (`SELECT 1 UNION ALL SELECT 1 …`) in a loop, as a tree as deep as
//! the chain is long. Everything after parsing walks that tree recursively (cloning
//! it for a template, binding, dropping it), so a tree too deep for the thread's
//! stack would abort the whole server. [`check_nesting`] measures every tree right
//! after parsing, with a walk that stops at the limit, and refuses a deeper one
//! with 54001 before anything else recurses into it.

use std::convert::Infallible;
use std::ops::ControlFlow;

use sqlparser::ast::{
    visit_expressions, visit_relations, Analyze, BinaryOperator, Expr, FetchDirection,
    FetchPosition, FlushType, Ident, ObjectName, ObjectNamePart, Owner, Query, SequenceOptions,
    Set, SetExpr, Statement, UnaryOperator, VacuumStatement, Value, VisitMut, Visitor, VisitorMut,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Span, Token, TokenWithSpan, Tokenizer, Word};

use super::binder::{ident, object_name, EXPR_DEPTH_MAX, SET_OPERATIONS_DEPTH_MAX};
use super::SqlError;

/// Parses `sql` (one or more `;`-separated statements) with PostgreSQL's dialect.
/// A parse error is 42601 with the parser's own message, which names the token.
pub fn parse(sql: &str) -> Result<Vec<Statement>, SqlError> {
    let bare = sql.trim().trim_end_matches(';').trim_end();
    if bare.eq_ignore_ascii_case("checkpoint") {
        return Ok(vec![checkpoint_statement()]);
    }
    if let Some(statement) = parse_maintenance(bare)? {
        return Ok(vec![statement]);
    }
    // Cursor movements, which sqlparser reads too little of: alone, or among
    // other statements, each then parsed alone.
    if let Some(statements) = split_around_cursor_moves(sql)? {
        let mut parsed = Vec::new();
        for statement in statements {
            parsed.extend(parse(statement)?);
        }
        return Ok(parsed);
    }
    match first_word(bare).as_str() {
        "fetch" => return parse_fetch(bare, false),
        "move" => return parse_fetch(bare, true),
        _ => {}
    }
    // Nor two-phase commit, which sqlparser does not read either: PostgreSQL
    // refuses it too unless `max_prepared_transactions` is raised.
    let words: Vec<String> = bare
        .split_whitespace()
        .take(2)
        .map(str::to_ascii_lowercase)
        .collect();
    if matches!(
        words.iter().map(String::as_str).collect::<Vec<_>>()[..],
        ["prepare", "transaction"] | ["commit" | "rollback", "prepared"]
    ) {
        return Err(SqlError::Unsupported(
            "two-phase commit (PREPARE TRANSACTION, COMMIT PREPARED, ROLLBACK PREPARED)".into(),
        ));
    }
    let mut statements = parse_rewritten(sql).map_err(|e| match e {
        Rewritten::Parser(e) => {
            let message = e.to_string();
            let message = message
                .strip_prefix("sql parser error: ")
                .unwrap_or(&message)
                .to_owned();
            SqlError::Syntax(message)
        }
        Rewritten::Sql(e) => e,
    })?;
    if let Err(error) = check_nesting(&statements) {
        drop_deep(statements, sql.len());
        return Err(error);
    }
    let _ = statements.visit(&mut SignBindsTighterThanPower);
    if sql.contains(['~', '@', '|']) {
        let _ = statements.visit(&mut PrefixOperatorBindsLooserThanPlus);
    }
    Ok(statements)
}

/// The stack a thread that parses, binds, plans or runs statements gets (tokio's
/// workers, the turnstile's reader and writer threads). The nesting limits
/// (`EXPR_DEPTH_MAX`, `SET_OPERATIONS_DEPTH_MAX`) keep every walk of a tree
/// within it, in the unoptimized build too, whose frames are the largest (a level
/// of a set operation takes 10 to 25 KiB there): `deep_statements_fit` in
/// `src/sql/tests.rs` checks expressions on an eighth of it and set operations
/// on half. Only the pages a thread touches take memory.
pub const STATEMENT_THREAD_STACK_BYTES: usize = 16 << 20;

/// 54001 if an expression in `statements` nests deeper than [`EXPR_DEPTH_MAX`] or
/// a query chains more set operations than [`SET_OPERATIONS_DEPTH_MAX`] (see the
/// module doc). The walk recurses only as deep as the limits.
fn check_nesting(statements: &[Statement]) -> Result<(), SqlError> {
    let mut nesting = Nesting::default();
    for statement in statements {
        // By path: `VisitMut`, in scope for the rewrite, has a `visit` too.
        if let ControlFlow::Break(error) = sqlparser::ast::Visit::visit(statement, &mut nesting) {
            return Err(error);
        }
    }
    Ok(())
}

/// The expression depth of the walk so far.
#[derive(Default)]
struct Nesting {
    expr_depth: usize,
}

impl Visitor for Nesting {
    type Break = SqlError;

    fn pre_visit_expr(&mut self, _expr: &Expr) -> ControlFlow<SqlError> {
        self.expr_depth += 1;
        if self.expr_depth > EXPR_DEPTH_MAX {
            return ControlFlow::Break(SqlError::StackDepthExceeded(EXPR_DEPTH_MAX));
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, _expr: &Expr) -> ControlFlow<SqlError> {
        self.expr_depth -= 1;
        ControlFlow::Continue(())
    }

    /// Measures the query's tree of set operations without recursion, before the
    /// walk goes into it. A query in it is measured when the walk gets there.
    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<SqlError> {
        let mut pending = vec![(&*query.body, 0)];
        while let Some((body, depth)) = pending.pop() {
            if depth > SET_OPERATIONS_DEPTH_MAX {
                return ControlFlow::Break(SqlError::SetOperationsTooDeep(
                    SET_OPERATIONS_DEPTH_MAX,
                ));
            }
            if let SetExpr::SetOperation { left, right, .. } = body {
                pending.push((left, depth + 1));
                pending.push((right, depth + 1));
            }
        }
        ControlFlow::Continue(())
    }
}

/// Drops statements refused for their depth, which may be too deep to drop on this
/// thread's stack (dropping recurses once per level): on a thread of its own with
/// a stack that fits the deepest tree `sql_bytes` of text can make, at most one
/// level per byte. Its pages are only reserved; the drop touches what it uses.
fn drop_deep(statements: Vec<Statement>, sql_bytes: usize) {
    let stack_bytes = STATEMENT_THREAD_STACK_BYTES + sql_bytes * DROP_STACK_BYTES_PER_LEVEL;
    let dropper = std::thread::Builder::new()
        .name("turnstile-drop".into())
        .stack_size(stack_bytes)
        .spawn(move || drop(statements));
    // Without a thread, leaking the tree is the safe way out: dropping it here
    // could abort the server.
    match dropper {
        Ok(dropper) => {
            let _ = dropper.join();
        }
        Err(error) => tracing::error!("could not start a thread to drop a deep statement: {error}"),
    }
}

/// The stack one level of a tree takes to drop, in the unoptimized build, with
/// room to spare.
const DROP_STACK_BYTES_PER_LEVEL: usize = 512;

/// Parses one expression stored as text (a column's DEFAULT).
pub fn parse_expr(sql: &str) -> Result<Expr, SqlError> {
    let mut expr = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| SqlError::Syntax(e.to_string()))?;
    let _ = expr.visit(&mut SignBindsTighterThanPower);
    let _ = expr.visit(&mut PrefixOperatorBindsLooserThanPlus);
    Ok(expr)
}

/// Gives a unary minus or plus over a `^` back to the `^`'s base (see the module
/// doc): `-(a ^ b)` as sqlparser reads `-a ^ b` becomes `(-a) ^ b`. `^` is
/// left-associative, so in `-a ^ b ^ c` the sign goes to `a`. Parentheses the query
/// wrote stay: `-(a ^ b)` keeps its `Nested`, which is not a `^`.
struct SignBindsTighterThanPower;

impl VisitorMut for SignBindsTighterThanPower {
    type Break = Infallible;

    /// Post-order, so that in `- -a ^ b` the inner sign has moved first.
    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<Infallible> {
        let Expr::UnaryOp { op, expr: operand } = expr else {
            return ControlFlow::Continue(());
        };
        let is_power = matches!(
            **operand,
            Expr::BinaryOp {
                op: BinaryOperator::PGExp,
                ..
            }
        );
        if !is_power || !matches!(op, UnaryOperator::Minus | UnaryOperator::Plus) {
            return ControlFlow::Continue(());
        }
        let sign = *op;
        let mut power = std::mem::replace(&mut **operand, Expr::value(Value::Null));
        let mut base = &mut power;
        while let Expr::BinaryOp {
            op: BinaryOperator::PGExp,
            left,
            ..
        } = base
        {
            base = left;
        }
        let unsigned = std::mem::replace(base, Expr::value(Value::Null));
        *base = Expr::UnaryOp {
            op: sign,
            expr: Box::new(unsigned),
        };
        *expr = power;
        ControlFlow::Continue(())
    }
}

/// Gives a `+` or `-` that follows a prefix operator (`~`, `@`, `|/`, `||/`) to
/// that operator's operand (see the module doc): `(~a) + b` as sqlparser reads
/// `~a + b` becomes `~(a + b)`. In an LR parse such as PostgreSQL's, the `+`
/// goes into the innermost prefix operator still open before it, the last on
/// the right edge of its left operand (`1 * ~2 + 3` is `1 * ~(2 + 3)`).
/// Parentheses the query wrote close one: `(~a) + b` keeps its `Nested`, which
/// has no right edge.
struct PrefixOperatorBindsLooserThanPlus;

impl PrefixOperatorBindsLooserThanPlus {
    /// How many steps down the right edge of `expr` its last prefix operator of
    /// PostgreSQL's operator precedence is.
    fn last_prefix_operator(expr: &Expr) -> Option<usize> {
        let below = match expr {
            Expr::BinaryOp { right: next, .. } | Expr::UnaryOp { expr: next, .. } => {
                Self::last_prefix_operator(next).map(|steps| steps + 1)
            }
            _ => None,
        };
        let is_prefix_operator = matches!(
            expr,
            Expr::UnaryOp {
                op: UnaryOperator::BitwiseNot
                    | UnaryOperator::PGAbs
                    | UnaryOperator::PGSquareRoot
                    | UnaryOperator::PGCubeRoot,
                ..
            }
        );
        below.or(is_prefix_operator.then_some(0))
    }

    /// The node `steps` down the right edge of `expr`.
    fn down(expr: &mut Expr, steps: usize) -> &mut Expr {
        if steps == 0 {
            return expr;
        }
        match expr {
            Expr::BinaryOp { right: next, .. } | Expr::UnaryOp { expr: next, .. } => {
                Self::down(next, steps - 1)
            }
            other => other,
        }
    }
}

impl VisitorMut for PrefixOperatorBindsLooserThanPlus {
    type Break = Infallible;

    /// Post-order, so that in `~a - b - c` the inner `-` has moved first.
    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<Infallible> {
        let Expr::BinaryOp {
            left,
            op: op @ (BinaryOperator::Plus | BinaryOperator::Minus),
            right,
        } = expr
        else {
            return ControlFlow::Continue(());
        };
        let Some(steps) = Self::last_prefix_operator(left) else {
            return ControlFlow::Continue(());
        };
        let op = op.clone();
        let right = std::mem::replace(&mut **right, Expr::value(Value::Null));
        let mut left = std::mem::replace(&mut **left, Expr::value(Value::Null));
        if let Expr::UnaryOp { expr: operand, .. } = Self::down(&mut left, steps) {
            let operand_before = std::mem::replace(&mut **operand, Expr::value(Value::Null));
            **operand = Expr::BinaryOp {
                left: Box::new(operand_before),
                op,
                right: Box::new(right),
            };
        }
        *expr = left;
        ControlFlow::Continue(())
    }
}

/// The function name that marks the low bound of `BETWEEN SYMMETRIC low AND high`
/// (see [`parse_rewritten`]); the binder recognizes it in `BETWEEN` only.
pub const SYMMETRIC_MARKER: &str = "turnstile_between_symmetric";

/// sqlparser does not know `BETWEEN SYMMETRIC` (nor `ASYMMETRIC`, the default). When
/// the text has the word, the tokens are rewritten before parsing: `ASYMMETRIC` is
/// dropped, and `BETWEEN SYMMETRIC low AND` becomes
/// `BETWEEN pg_catalog.turnstile_between_symmetric(low) AND`, which prints back to the
/// same form (views store their query as text). The low bound ends at the first `AND`
/// outside parentheses and CASE … END, as a BETWEEN bound cannot hold a bare AND.
/// Why [`parse_rewritten`] failed: sqlparser's error, or ours (a `SET
/// CONSTRAINTS` that does not parse).
enum Rewritten {
    Parser(ParserError),
    Sql(SqlError),
}

impl From<ParserError> for Rewritten {
    fn from(e: ParserError) -> Self {
        Rewritten::Parser(e)
    }
}

fn parse_rewritten(sql: &str) -> Result<Vec<Statement>, Rewritten> {
    let dialect = PostgreSqlDialect {};
    let lower = sql.to_ascii_lowercase();
    let symmetric = lower.contains("symmetric");
    let copy = lower.trim_start().starts_with("copy");
    let own = lower.contains("constraints") || lower.contains("sequence");
    let sequence_name = lower.contains("identity") && own;
    let similar = lower.contains("similar") && lower.contains("substring");
    let operator = lower.contains("operator");
    if !symmetric && !copy && !own && !similar && !operator {
        return Ok(Parser::parse_sql(&dialect, sql)?);
    }
    let mut tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(ParserError::from)?;
    if symmetric {
        tokens = rewrite_symmetric(tokens);
    }
    if similar {
        rewrite_substring_similar(&mut tokens);
    }
    if operator {
        tokens = unqualify_operators_before_any(tokens);
    }
    if copy {
        rewrite_copy_booleans(&mut tokens);
    }
    if sequence_name {
        tokens = drop_default_sequence_names(tokens).map_err(Rewritten::Sql)?;
    }
    if own {
        return parse_with_own_statements(tokens);
    }
    Ok(Parser::new(&dialect)
        .with_tokens_with_locations(tokens)
        .parse_statements()?)
}

/// The statements this module reads itself rather than sqlparser.
#[derive(Clone, Copy)]
enum OwnStatement {
    SetConstraints,
    AlterSequence,
}

impl OwnStatement {
    /// Which one `segment` (one statement's tokens) is, if any, by its first
    /// two words.
    fn of(segment: &[TokenWithSpan]) -> Option<OwnStatement> {
        let mut words = segment.iter().filter_map(|t| match &t.token {
            Token::Whitespace(_) => None,
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_lowercase()),
            _ => Some(String::new()),
        });
        match (words.next()?.as_str(), words.next()?.as_str()) {
            ("set", "constraints") => Some(OwnStatement::SetConstraints),
            ("alter", "sequence") => Some(OwnStatement::AlterSequence),
            _ => None,
        }
    }
}

/// The statements of `tokens`, each `SET CONSTRAINTS` and `ALTER SEQUENCE`
/// among them read into its stand-in ([`parse_set_constraints`],
/// [`alter_sequence_stand_in`]) and the others by sqlparser.
fn parse_with_own_statements(tokens: Vec<TokenWithSpan>) -> Result<Vec<Statement>, Rewritten> {
    let segments: Vec<&[TokenWithSpan]> = tokens
        .split(|t| t.token == Token::SemiColon)
        .filter(|segment| {
            segment
                .iter()
                .any(|t| !is_whitespace(&t.token) && t.token != Token::EOF)
        })
        .collect();
    if !segments
        .iter()
        .any(|segment| OwnStatement::of(segment).is_some())
    {
        return Ok(Parser::new(&PostgreSqlDialect {})
            .with_tokens_with_locations(tokens)
            .parse_statements()?);
    }
    let mut statements = Vec::with_capacity(segments.len());
    for segment in segments {
        match OwnStatement::of(segment) {
            Some(OwnStatement::SetConstraints) => {
                let tokens = segment.iter().map(|t| t.token.clone());
                statements.push(parse_set_constraints(tokens).map_err(Rewritten::Sql)?);
            }
            Some(OwnStatement::AlterSequence) => {
                statements.push(alter_sequence_stand_in(segment)?);
            }
            None => statements.extend(
                Parser::new(&PostgreSqlDialect {})
                    .with_tokens_with_locations(segment.to_vec())
                    .parse_statements()?,
            ),
        }
    }
    Ok(statements)
}

/// `ALTER SEQUENCE`, read from its stand-in by [`alter_sequence`].
#[derive(Debug, Clone, PartialEq)]
pub struct AlterSequence {
    pub name: ObjectName,
    pub if_exists: bool,
    pub action: AlterSequenceAction,
}

/// What an `ALTER SEQUENCE` does.
#[derive(Debug, Clone, PartialEq)]
pub enum AlterSequenceAction {
    /// New options (as `CREATE SEQUENCE` takes them), and `RESTART`
    /// (`Some(None)`) or `RESTART WITH n` (`Some(Some(n))`).
    Options {
        options: Vec<SequenceOptions>,
        restart: Option<Option<Box<Expr>>>,
    },
    OwnerTo(Owner),
    RenameTo(Ident),
}

/// 42601 for an option given twice, in PostgreSQL's words.
fn redundant_options() -> Rewritten {
    Rewritten::Sql(SqlError::InvalidStatement(
        "conflicting or redundant options".into(),
    ))
}

/// The variable of the stand-in for `ALTER SEQUENCE` (see the module doc).
const ALTER_SEQUENCE_VARIABLE: &str = "turnstile:alter_sequence";

/// The stand-in for the `ALTER SEQUENCE` of `segment`, whose syntax is
/// checked here.
fn alter_sequence_stand_in(segment: &[TokenWithSpan]) -> Result<Statement, Rewritten> {
    read_alter_sequence(segment.to_vec())?;
    let text: String = segment.iter().map(|t| t.token.to_string()).collect();
    Ok(Statement::Set(Set::SingleAssignment {
        scope: None,
        hivevar: false,
        variable: ObjectName::from(vec![Ident::new(ALTER_SEQUENCE_VARIABLE)]),
        values: vec![Expr::value(Value::SingleQuotedString(text))],
    }))
}

/// `ALTER SEQUENCE` read from its stand-in, or None for any other statement.
pub fn alter_sequence(statement: &Statement) -> Option<Result<AlterSequence, SqlError>> {
    let text = stand_in_value(statement, ALTER_SEQUENCE_VARIABLE)?;
    let Some(Expr::Value(value)) = text.first() else {
        return None;
    };
    let Value::SingleQuotedString(text) = &value.value else {
        return None;
    };
    let read = || {
        let tokens = Tokenizer::new(&PostgreSqlDialect {}, text)
            .tokenize_with_location()
            .map_err(ParserError::from)?;
        read_alter_sequence(tokens)
    };
    Some(read().map_err(|e| match e {
        Rewritten::Parser(e) => SqlError::Syntax(e.to_string()),
        Rewritten::Sql(e) => e,
    }))
}

/// `ALTER SEQUENCE [IF EXISTS] name` and one of: options (`RESTART` among
/// them, in any order), `OWNER TO role`, `RENAME TO name`. `SET SCHEMA`,
/// `SET LOGGED` and `SET UNLOGGED` are 0A000.
fn read_alter_sequence(tokens: Vec<TokenWithSpan>) -> Result<AlterSequence, Rewritten> {
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect).with_tokens_with_locations(tokens);
    parser.expect_keywords(&[Keyword::ALTER, Keyword::SEQUENCE])?;
    let if_exists = parser.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
    let name = parser.parse_object_name(false)?;
    let action = if parser.parse_keywords(&[Keyword::OWNER, Keyword::TO]) {
        AlterSequenceAction::OwnerTo(parser.parse_owner()?)
    } else if parser.parse_keywords(&[Keyword::RENAME, Keyword::TO]) {
        AlterSequenceAction::RenameTo(parser.parse_identifier()?)
    } else if parser.parse_keyword(Keyword::SET) {
        return Err(Rewritten::Sql(SqlError::Unsupported(
            "ALTER SEQUENCE … SET SCHEMA, LOGGED or UNLOGGED (Turnstile has one schema, \
             public, and logs every sequence)"
                .into(),
        )));
    } else {
        read_sequence_options(&mut parser)?
    };
    let end = parser.next_token();
    if end.token != Token::EOF {
        return Err(ParserError::ParserError(format!(
            "Expected: end of statement, found: {}",
            end.token
        ))
        .into());
    }
    Ok(AlterSequence {
        name,
        if_exists,
        action,
    })
}

/// The options of an `ALTER SEQUENCE`: `RESTART [[WITH] n]` taken out here,
/// the rest read as `CREATE SEQUENCE` reads them.
fn read_sequence_options(parser: &mut Parser<'_>) -> Result<AlterSequenceAction, Rewritten> {
    let mut rest = vec![TokenWithSpan::wrap(Token::make_word("s", None))];
    let mut restart = None;
    loop {
        let t = parser.next_token();
        // `restart` after `OWNED BY` or a `.` is a name (`OWNED BY t.restart`).
        let names = matches!(
            rest.last().map(|p| &p.token),
            Some(Token::Period)
                | Some(Token::Word(Word {
                    keyword: Keyword::BY,
                    ..
                }))
        );
        match &t.token {
            Token::EOF => break,
            Token::Word(w)
                if w.keyword == Keyword::RESTART && w.quote_style.is_none() && !names =>
            {
                if restart.is_some() {
                    return Err(redundant_options());
                }
                let with = parser.parse_keyword(Keyword::WITH);
                let value = matches!(
                    parser.peek_token().token,
                    Token::Number(..) | Token::Minus | Token::Plus
                );
                restart = Some(if with || value {
                    Some(Box::new(parser.parse_number()?))
                } else {
                    None
                });
            }
            _ => rest.push(t),
        }
    }
    let mut options_parser = Parser::new(&PostgreSqlDialect {}).with_tokens_with_locations(rest);
    // sqlparser names the option given twice; PostgreSQL does not.
    let parsed = options_parser
        .parse_create_sequence(false)
        .map_err(|e| match e {
            ParserError::ParserError(m) if m.ends_with("specified more than once") => {
                redundant_options()
            }
            other => other.into(),
        })?;
    let Statement::CreateSequence {
        sequence_options, ..
    } = parsed
    else {
        unreachable!("parse_create_sequence reads CREATE SEQUENCE")
    };
    let end = options_parser.next_token();
    if end.token != Token::EOF || (sequence_options.is_empty() && restart.is_none()) {
        return Err(ParserError::ParserError(format!(
            "Expected: a sequence option, OWNER TO or RENAME TO, found: {}",
            end.token
        ))
        .into());
    }
    Ok(AlterSequenceAction::Options {
        options: sequence_options,
        restart,
    })
}

/// See [`parse_rewritten`]: `BETWEEN SYMMETRIC low AND` marks its low bound.
/// One pass: a low bound may hold another `BETWEEN SYMMETRIC` (in a subquery),
/// so the bounds open at a time are a stack of the nesting depths (parentheses
/// and CASE … END) they began at; a bound ends at an `AND`, a `)`, a `;` or the
/// end, at its own depth.
fn rewrite_symmetric(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut out: Vec<TokenWithSpan> = Vec::with_capacity(tokens.len() + 8);
    let mut open: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    for t in tokens {
        let ends_bound = match &t.token {
            Token::Word(w) => w.keyword == Keyword::AND,
            Token::RParen | Token::SemiColon | Token::EOF => true,
            _ => false,
        };
        while ends_bound && open.last() == Some(&depth) {
            open.pop();
            out.push(TokenWithSpan::new(Token::RParen, t.span));
        }
        let after_between = matches!(
            out.iter().rev().find(|t| !is_whitespace(&t.token)),
            Some(TokenWithSpan { token: Token::Word(w), .. }) if w.keyword == Keyword::BETWEEN
        );
        match &t.token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            Token::Word(w) if w.keyword == Keyword::CASE => depth += 1,
            Token::Word(w) if w.keyword == Keyword::END => depth = depth.saturating_sub(1),
            _ => {}
        }
        match &t.token {
            Token::Word(w) if after_between && w.keyword == Keyword::ASYMMETRIC => {}
            Token::Word(w) if after_between && w.keyword == Keyword::SYMMETRIC => {
                let mark = |token| TokenWithSpan::new(token, t.span);
                out.push(mark(Token::make_word("pg_catalog", None)));
                out.push(mark(Token::Period));
                out.push(mark(Token::make_word(SYMMETRIC_MARKER, None)));
                out.push(mark(Token::LParen));
                open.push(depth);
            }
            _ => out.push(t),
        }
    }
    // A statement cut short: close what is open (the parser reports the rest).
    while open.pop().is_some() {
        out.push(TokenWithSpan::new(Token::RParen, Span::empty()));
    }
    out
}

/// See [`parse_rewritten`]: `substring(s SIMILAR p ESCAPE e)`, the SQL
/// standard's spelling, which sqlparser does not read, as the `substring(s
/// FROM p FOR e)` that means the same. Only a `SIMILAR` not followed by `TO`
/// directly inside a `substring(`, and the `ESCAPE` after it there, change.
fn rewrite_substring_similar(tokens: &mut [TokenWithSpan]) {
    let word_after = |tokens: &[TokenWithSpan], i: usize| {
        tokens[i + 1..]
            .iter()
            .find(|t| !is_whitespace(&t.token))
            .and_then(|t| match &t.token {
                Token::Word(w) => Some(w.keyword),
                _ => None,
            })
    };
    let mut depth = 0usize;
    // The depth inside each open `substring(`, and whether its SIMILAR was seen.
    let mut open: Vec<(usize, bool)> = Vec::new();
    let mut after_substring = false;
    for i in 0..tokens.len() {
        let inside = open.last().filter(|(d, _)| *d == depth).is_some();
        match &tokens[i].token {
            Token::Whitespace(_) => continue,
            Token::LParen => {
                depth += 1;
                if after_substring {
                    open.push((depth, false));
                }
            }
            Token::RParen => {
                if inside {
                    open.pop();
                }
                depth = depth.saturating_sub(1);
            }
            Token::Word(w) if inside && w.quote_style.is_none() => {
                let seen = open.last().is_some_and(|(_, seen)| *seen);
                if w.keyword == Keyword::SIMILAR && word_after(tokens, i) != Some(Keyword::TO) {
                    tokens[i].token = Token::make_keyword("FROM");
                    if let Some(last) = open.last_mut() {
                        last.1 = true;
                    }
                } else if w.keyword == Keyword::ESCAPE && seen {
                    tokens[i].token = Token::make_keyword("FOR");
                }
            }
            _ => {}
        }
        after_substring =
            matches!(&tokens[i].token, Token::Word(w) if w.keyword == Keyword::SUBSTRING);
    }
}

/// `x OPERATOR(pg_catalog.=) ANY (array)` as `x = ANY (array)`: sqlparser reads
/// a qualified operator only between two operands, and psql and pg_dump write
/// this form (`\d`'s and `pg_dump -t`'s name patterns). The operators of
/// `pg_catalog` are the ones a bare operator means, so nothing else changes; a
/// qualified operator elsewhere is left to the parser and the binder.
fn unqualify_operators_before_any(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let significant: Vec<usize> = (0..tokens.len())
        .filter(|&i| !is_whitespace(&tokens[i].token))
        .collect();
    let word = |i: usize, keyword: Keyword| matches!(&tokens[i].token, Token::Word(w) if w.keyword == keyword && w.quote_style.is_none());
    let mut replaced: Vec<Option<usize>> = vec![None; tokens.len()];
    let mut dropped = vec![false; tokens.len()];
    for (n, &i) in significant.iter().enumerate() {
        // OPERATOR ( [pg_catalog .] op ) ANY|ALL|SOME
        let at = |k: usize| significant.get(n + k).copied();
        let Some(open) = at(1).filter(|_| word(i, Keyword::OPERATOR)) else {
            continue;
        };
        if tokens[open].token != Token::LParen {
            continue;
        }
        let qualified = at(2).is_some_and(|j| {
            matches!(&tokens[j].token, Token::Word(w) if w.value.eq_ignore_ascii_case("pg_catalog"))
        }) && at(3).is_some_and(|j| tokens[j].token == Token::Period);
        let op_at = if qualified { 4 } else { 2 };
        let (Some(op), Some(close), Some(next)) = (at(op_at), at(op_at + 1), at(op_at + 2)) else {
            continue;
        };
        let is_operator = !matches!(
            tokens[op].token,
            Token::Word(_) | Token::LParen | Token::RParen | Token::Period
        );
        let before_any = [Keyword::ANY, Keyword::ALL, Keyword::SOME]
            .into_iter()
            .any(|k| word(next, k));
        if is_operator && tokens[close].token == Token::RParen && before_any {
            replaced[i] = Some(op);
            for &j in &significant[n + 1..=n + op_at + 1] {
                dropped[j] = true;
            }
        }
    }
    let mut out = Vec::with_capacity(tokens.len());
    for (i, t) in tokens.iter().enumerate() {
        match replaced[i] {
            Some(op) => out.push(TokenWithSpan::new(tokens[op].token.clone(), t.span)),
            None if !dropped[i] => out.push(t.clone()),
            None => {}
        }
    }
    out
}

/// `FREEZE on`, `HEADER off`, `FREEZE 1`, … as `FREEZE TRUE`, `HEADER FALSE`: the
/// boolean spellings PostgreSQL accepts in COPY options, in the one form sqlparser
/// reads.
fn rewrite_copy_booleans(tokens: &mut [TokenWithSpan]) {
    let mut option = false;
    for t in tokens.iter_mut() {
        if is_whitespace(&t.token) {
            continue;
        }
        let value = match &t.token {
            Token::Word(w) if option && w.quote_style.is_none() => {
                match w.value.to_ascii_lowercase().as_str() {
                    "on" => Some("TRUE"),
                    "off" => Some("FALSE"),
                    _ => None,
                }
            }
            Token::Number(n, _) if option && (n == "1" || n == "0") => {
                Some(if n == "1" { "TRUE" } else { "FALSE" })
            }
            _ => None,
        };
        if let Some(value) = value {
            t.token = Token::make_word(value, None);
        }
        option = matches!(&t.token, Token::Word(w) if w.keyword == Keyword::FREEZE || w.keyword == Keyword::HEADER);
    }
}

/// pg_dump writes an identity column as `ALTER TABLE t ALTER COLUMN c ADD
/// GENERATED … AS IDENTITY (SEQUENCE NAME s …)`, and sqlparser does not read
/// `SEQUENCE NAME`. Turnstile names the sequence as PostgreSQL does when no
/// name is given, `t_c_seq` ([`object_name`]), so the option is taken out here
/// when it names just that (bare or in `public`), and is 0A000 otherwise.
/// Outside `ALTER TABLE … ALTER [COLUMN] c` it is left to sqlparser.
fn drop_default_sequence_names(tokens: Vec<TokenWithSpan>) -> Result<Vec<TokenWithSpan>, SqlError> {
    let word = |t: &TokenWithSpan| match &t.token {
        Token::Word(w) => Some(ident(&Ident {
            value: w.value.clone(),
            quote_style: w.quote_style,
            span: Span::empty(),
        })),
        _ => None,
    };
    let keyword = |t: &TokenWithSpan, k: Keyword| matches!(&t.token, Token::Word(w) if w.keyword == k && w.quote_style.is_none());
    // The positions of the tokens that are not whitespace.
    let solid: Vec<usize> = (0..tokens.len())
        .filter(|&i| !is_whitespace(&tokens[i].token))
        .collect();
    let mut dropped = vec![false; tokens.len()];
    let (mut table, mut column): (Option<String>, Option<String>) = (None, None);
    let mut depth = 0usize;
    let mut at = 0;
    while at < solid.len() {
        let token = |k: usize| solid.get(k).map(|&i| &tokens[i]);
        let here = &tokens[solid[at]];
        match here.token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            // The next action of the ALTER TABLE names its own column.
            Token::Comma if depth == 0 => column = None,
            _ => {}
        }
        if here.token == Token::SemiColon {
            (table, column, depth) = (None, None, 0);
        } else if keyword(here, Keyword::ADD) && table.is_some() && depth == 0 {
            // ADD [COLUMN] [IF NOT EXISTS] name …, but not ALTER COLUMN c ADD
            // GENERATED nor ADD of a constraint.
            let mut name_at = at + 1;
            if token(name_at).is_some_and(|t| keyword(t, Keyword::COLUMN)) {
                name_at += 1;
            }
            if token(name_at).is_some_and(|t| keyword(t, Keyword::IF)) {
                name_at += 3;
            }
            let constraint = [
                Keyword::GENERATED,
                Keyword::CONSTRAINT,
                Keyword::PRIMARY,
                Keyword::UNIQUE,
                Keyword::CHECK,
                Keyword::FOREIGN,
                Keyword::EXCLUDE,
            ];
            if token(name_at).is_some_and(|t| !constraint.iter().any(|&k| keyword(t, k))) {
                column = token(name_at).and_then(word);
                at = name_at;
            }
        } else if keyword(here, Keyword::ALTER)
            && token(at + 1).is_some_and(|t| keyword(t, Keyword::TABLE))
        {
            // ALTER TABLE [IF EXISTS] [ONLY] [schema.]name
            at += 2;
            while token(at).is_some_and(|t| {
                keyword(t, Keyword::IF) || keyword(t, Keyword::EXISTS) || keyword(t, Keyword::ONLY)
            }) {
                at += 1;
            }
            while token(at + 1).is_some_and(|t| t.token == Token::Period) {
                at += 2;
            }
            table = token(at).and_then(word);
        } else if keyword(here, Keyword::ALTER) && table.is_some() {
            let mut name_at = at + 1;
            if token(name_at).is_some_and(|t| keyword(t, Keyword::COLUMN)) {
                name_at += 1;
            }
            column = token(name_at).and_then(word);
            at = name_at;
        } else if keyword(here, Keyword::SEQUENCE)
            && token(at + 1).is_some_and(|t| keyword(t, Keyword::NAME))
        {
            if let (Some(table), Some(column)) = (&table, &column) {
                let mut parts = Vec::new();
                let mut end = at + 2;
                while let Some(part) = token(end).and_then(word) {
                    parts.push(part);
                    if token(end + 1).is_none_or(|t| t.token != Token::Period) {
                        break;
                    }
                    end += 2;
                }
                let expected = object_name(table, Some(column), "seq");
                let names_it = match parts.as_slice() {
                    [name] => *name == expected,
                    [schema, name] => schema == "public" && *name == expected,
                    _ => false,
                };
                if !names_it {
                    return Err(SqlError::Unsupported(format!(
                        "SEQUENCE NAME {} (Turnstile names the sequence of identity column \
                         {column} of table {table} {expected})",
                        parts.join(".")
                    )));
                }
                for &i in &solid[at..=end] {
                    dropped[i] = true;
                }
                at = end;
            }
        }
        at += 1;
    }
    Ok(tokens
        .into_iter()
        .zip(dropped)
        .filter_map(|(t, dropped)| (!dropped).then_some(t))
        .collect())
}

/// The statements of `sql`, if there are several and one of them is a FETCH
/// or a MOVE (read by [`parse_fetch`], which reads a whole text): split at
/// the semicolons between them. None otherwise.
fn split_around_cursor_moves(sql: &str) -> Result<Option<Vec<&str>>, SqlError> {
    let lower = sql.to_ascii_lowercase();
    if !lower.contains(';') || !(lower.contains("fetch") || lower.contains("move")) {
        return Ok(None);
    }
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql)
        .tokenize_with_location()
        .map_err(|e| SqlError::Syntax(e.to_string()))?;
    let mut pieces = Vec::new();
    let (mut start, mut depth) = (0, 0usize);
    let mut moves_a_cursor = false;
    let mut at_start = true;
    for t in &tokens {
        match &t.token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            Token::SemiColon if depth == 0 => {
                let end = byte_offset_of(sql, t.span.start).unwrap_or(sql.len());
                pieces.push(&sql[start..end]);
                start = end + 1;
                at_start = true;
                continue;
            }
            _ => {}
        }
        if at_start && !is_whitespace(&t.token) {
            at_start = false;
            moves_a_cursor |= matches!(&t.token, Token::Word(w) if w.quote_style.is_none()
                && (w.value.eq_ignore_ascii_case("fetch") || w.value.eq_ignore_ascii_case("move")));
        }
    }
    pieces.push(&sql[start..]);
    pieces.retain(|piece| !piece.trim().is_empty());
    Ok((moves_a_cursor && pieces.len() > 1).then_some(pieces))
}

/// The byte offset in `text` of a parser's location (line and column from 1,
/// counted in characters, as sqlparser's tokenizer counts them).
pub fn byte_offset_of(text: &str, at: Location) -> Option<usize> {
    let (mut line, mut column) = (1, 1);
    for (i, ch) in text.char_indices() {
        if (line, column) == (at.line, at.column) {
            return Some(i);
        }
        if ch == '\n' {
            (line, column) = (line + 1, 1);
        } else {
            column += 1;
        }
    }
    None
}

/// The name a `FETCH … INTO` carries to stand for `MOVE` (PostgreSQL's FETCH
/// has no INTO, and no unquoted identifier has a colon).
const MOVE_MARKER: &str = "turnstile:move";

/// `FETCH` or `MOVE` `[direction] [FROM | IN] cursor`, the whole text,
/// read here: sqlparser knows MOVE not at all, and FETCH only with both a
/// direction and FROM, and no negative count. A MOVE is the FETCH it moves as,
/// its `into` the marker [`is_move_marker`] recognizes.
fn parse_fetch(bare: &str, moving: bool) -> Result<Vec<Statement>, SqlError> {
    let what = if moving { "MOVE" } else { "FETCH" };
    let syntax = || {
        SqlError::Syntax(format!(
            "{what} [direction] [FROM | IN] cursor_name expected"
        ))
    };
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, bare)
        .tokenize_with_location()
        .map_err(|e| SqlError::Syntax(e.to_string()))?;
    let mut tokens = tokens
        .into_iter()
        .filter(|t| !is_whitespace(&t.token) && t.token != Token::SemiColon)
        .skip(1)
        .collect::<Vec<_>>()
        .into_iter()
        .peekable();
    let keyword = |t: Option<&TokenWithSpan>, k: Keyword| matches!(t, Some(TokenWithSpan { token: Token::Word(w), .. }) if w.keyword == k && w.quote_style.is_none());
    // A count: an integer, signed or not.
    let count = |tokens: &mut std::iter::Peekable<std::vec::IntoIter<TokenWithSpan>>| {
        let sign = match tokens.peek().map(|t| &t.token) {
            Some(Token::Minus) => Some("-"),
            Some(Token::Plus) => Some(""),
            _ => None,
        };
        if sign.is_some() {
            tokens.next();
        }
        match tokens.peek().map(|t| t.token.clone()) {
            // PostgreSQL's grammar takes an integer constant: at most int4's.
            Some(Token::Number(n, _)) if n.parse::<i32>().is_err() => {
                Err(SqlError::Syntax(format!("syntax error at or near \"{n}\"")))
            }
            Some(Token::Number(n, _)) => {
                tokens.next();
                Ok(Some(
                    Value::Number(format!("{}{n}", sign.unwrap_or("")), false).into(),
                ))
            }
            _ if sign.is_some() => Err(syntax()),
            _ => Ok(None),
        }
    };
    let one_word = [
        (Keyword::NEXT, FetchDirection::Next),
        (Keyword::PRIOR, FetchDirection::Prior),
        (Keyword::FIRST, FetchDirection::First),
        (Keyword::LAST, FetchDirection::Last),
        (Keyword::ALL, FetchDirection::All),
    ]
    .into_iter()
    .find(|(k, _)| keyword(tokens.peek(), *k));
    let direction = if let Some((_, direction)) = one_word {
        tokens.next();
        direction
    } else if keyword(tokens.peek(), Keyword::ABSOLUTE) || keyword(tokens.peek(), Keyword::RELATIVE)
    {
        let absolute = keyword(tokens.next().as_ref(), Keyword::ABSOLUTE);
        let limit = count(&mut tokens)?.ok_or_else(syntax)?;
        if absolute {
            FetchDirection::Absolute { limit }
        } else {
            FetchDirection::Relative { limit }
        }
    } else if keyword(tokens.peek(), Keyword::FORWARD) || keyword(tokens.peek(), Keyword::BACKWARD)
    {
        let forward = keyword(tokens.next().as_ref(), Keyword::FORWARD);
        if keyword(tokens.peek(), Keyword::ALL) {
            tokens.next();
            if forward {
                FetchDirection::ForwardAll
            } else {
                FetchDirection::BackwardAll
            }
        } else {
            let limit = count(&mut tokens)?;
            if forward {
                FetchDirection::Forward { limit }
            } else {
                FetchDirection::Backward { limit }
            }
        }
    } else {
        match count(&mut tokens)? {
            Some(limit) => FetchDirection::Count { limit },
            None => FetchDirection::Next,
        }
    };
    if keyword(tokens.peek(), Keyword::FROM) || keyword(tokens.peek(), Keyword::IN) {
        tokens.next();
    }
    let (
        Some(TokenWithSpan {
            token: Token::Word(name),
            span,
        }),
        None,
    ) = (tokens.next(), tokens.next())
    else {
        return Err(syntax());
    };
    let marker = ObjectName::from(vec![Ident::new(MOVE_MARKER)]);
    Ok(vec![Statement::Fetch {
        name: name.into_ident(span),
        direction,
        position: FetchPosition::From,
        into: moving.then_some(marker),
    }])
}

/// True if a FETCH's `into` marks it as a MOVE (see [`parse_fetch`]).
pub fn is_move_marker(into: &ObjectName) -> bool {
    matches!(into.0.as_slice(), [ObjectNamePart::Identifier(part)] if part.value == MOVE_MARKER)
}

/// The text's first word, in lower case (letters only).
fn first_word(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// `VACUUM` or `ANALYZE` (see the module doc) when it is the whole of `bare` (the
/// text without its final `;`), else None.
fn parse_maintenance(bare: &str) -> Result<Option<Statement>, SqlError> {
    let head = first_word(bare);
    let vacuum = head == "vacuum";
    if !vacuum && head != "analyze" && head != "analyse" {
        return Ok(None);
    }
    let syntax = |e: ParserError| SqlError::Syntax(e.to_string());
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, bare)
        .tokenize()
        .map_err(|e| SqlError::Syntax(e.to_string()))?;
    let mut tokens = tokens.into_iter().filter(|t| !is_whitespace(t)).peekable();
    tokens.next();
    // The options: a parenthesized list, or the old keywords.
    if tokens.peek() == Some(&Token::LParen) {
        skip_parenthesized(&mut tokens)?;
    } else {
        let options: &[&str] = if vacuum {
            &["full", "freeze", "verbose", "analyze", "analyse"]
        } else {
            &["verbose"]
        };
        while let Some(Token::Word(w)) = tokens.peek() {
            if w.quote_style.is_some() || !options.contains(&w.value.to_ascii_lowercase().as_str())
            {
                break;
            }
            tokens.next();
        }
    }
    let mut parts = Vec::new();
    while let Some(Token::Word(w)) = tokens.peek() {
        parts.push(ObjectNamePart::Identifier(Ident {
            value: w.value.clone(),
            quote_style: w.quote_style,
            span: Span::empty(),
        }));
        tokens.next();
        if tokens.peek() != Some(&Token::Period) {
            break;
        }
        tokens.next();
    }
    if !parts.is_empty() && tokens.peek() == Some(&Token::LParen) {
        // ANALYZE t (columns): every column is analyzed anyway.
        skip_parenthesized(&mut tokens)?;
    }
    match tokens.next() {
        None => {}
        Some(Token::Comma) => {
            return Err(SqlError::Unsupported(
                "VACUUM or ANALYZE of several tables in one statement (name one table each)".into(),
            ))
        }
        Some(other) => {
            return Err(syntax(ParserError::ParserError(format!(
                "Expected: end of statement, found: {other}"
            ))))
        }
    }
    let table_name = (!parts.is_empty()).then_some(ObjectName(parts));
    Ok(Some(if vacuum {
        Statement::Vacuum(VacuumStatement {
            full: false,
            sort_only: false,
            delete_only: false,
            reindex: false,
            recluster: false,
            table_name,
            threshold: None,
            boost: false,
        })
    } else {
        Statement::Analyze(Analyze {
            table_name,
            partitions: None,
            for_columns: false,
            columns: Vec::new(),
            cache_metadata: false,
            noscan: false,
            compute_statistics: false,
            has_table_keyword: false,
        })
    }))
}

/// The variable of the stand-in for `SET CONSTRAINTS` (see the module doc).
const SET_CONSTRAINTS_VARIABLE: &str = "turnstile:set_constraints";

/// `SET CONSTRAINTS …` read from its tokens (one statement, without its `;`).
/// Names may be qualified by a schema, which is kept as part of the name.
fn parse_set_constraints(tokens: impl Iterator<Item = Token>) -> Result<Statement, SqlError> {
    let syntax = |found: Option<Token>| {
        let found = found.map_or("end of statement".to_owned(), |t| t.to_string());
        SqlError::Syntax(format!(
            "Expected: ALL, a constraint name, DEFERRED or IMMEDIATE, found: {found}"
        ))
    };
    let keyword = |t: &Token, word: &str| matches!(t, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word));
    let mut tokens = tokens
        .filter(|t| !is_whitespace(t) && *t != Token::EOF)
        .skip(2)
        .peekable();
    let mut names = Vec::new();
    if tokens.next_if(|t| keyword(t, "all")).is_none() {
        loop {
            let mut name = Vec::new();
            loop {
                match tokens.next() {
                    Some(Token::Word(w)) => name.push(if w.quote_style.is_some() {
                        w.value
                    } else {
                        w.value.to_ascii_lowercase()
                    }),
                    other => return Err(syntax(other)),
                }
                if tokens.next_if_eq(&Token::Period).is_none() {
                    break;
                }
            }
            names.push(name.join("."));
            if tokens.next_if_eq(&Token::Comma).is_none() {
                break;
            }
        }
    }
    let mode = match tokens.next() {
        Some(t) if keyword(&t, "deferred") => "deferred",
        Some(t) if keyword(&t, "immediate") => "immediate",
        other => return Err(syntax(other)),
    };
    if let Some(other) = tokens.next() {
        return Err(syntax(Some(other)));
    }
    let values = std::iter::once(Ident::new(mode))
        .chain(names.into_iter().map(|n| Ident::with_quote('"', n)))
        .map(Expr::Identifier)
        .collect();
    Ok(Statement::Set(Set::SingleAssignment {
        scope: None,
        hivevar: false,
        variable: ObjectName::from(vec![Ident::new(SET_CONSTRAINTS_VARIABLE)]),
        values,
    }))
}

/// `SET CONSTRAINTS`, read from its stand-in: the names (None for ALL), and
/// whether they become deferred. None for any other statement.
pub fn set_constraints(statement: &Statement) -> Option<(Option<Vec<String>>, bool)> {
    let values = stand_in_value(statement, SET_CONSTRAINTS_VARIABLE)?;
    let mut idents = values.iter().filter_map(|v| match v {
        Expr::Identifier(i) => Some(i.value.clone()),
        _ => None,
    });
    let deferred = idents.next()? == "deferred";
    let names: Vec<String> = idents.collect();
    Some(((!names.is_empty()).then_some(names), deferred))
}

/// The values of a stand-in `SET` of `variable` (unquoted, so that no
/// statement a client writes is one), or None for any other statement.
fn stand_in_value<'a>(statement: &'a Statement, variable: &str) -> Option<&'a [Expr]> {
    let Statement::Set(Set::SingleAssignment {
        variable: name,
        values,
        ..
    }) = statement
    else {
        return None;
    };
    let [ObjectNamePart::Identifier(name)] = name.0.as_slice() else {
        return None;
    };
    (name.value == variable && name.quote_style.is_none()).then_some(values.as_slice())
}

/// Skips a parenthesized list (the next token is its `(`), nested parentheses too.
fn skip_parenthesized(tokens: &mut impl Iterator<Item = Token>) -> Result<(), SqlError> {
    let mut depth = 0usize;
    for t in tokens {
        match t {
            Token::LParen => depth += 1,
            Token::RParen if depth == 1 => return Ok(()),
            Token::RParen => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Err(SqlError::Syntax("unbalanced parentheses".into()))
}

fn is_whitespace(token: &Token) -> bool {
    matches!(token, Token::Whitespace(_))
}

/// The channel name that marks the stand-in for `CHECKPOINT`.
const CHECKPOINT_CHANNEL: &str = "turnstile:checkpoint";

/// The statement `CHECKPOINT` parses to.
pub fn checkpoint_statement() -> Statement {
    Statement::Flush {
        object_type: FlushType::Tables,
        location: None,
        channel: Some(CHECKPOINT_CHANNEL.to_owned()),
        read_lock: false,
        export: false,
        tables: Vec::new(),
    }
}

/// True if `statement` calls a function named one of `names` (lower case)
/// anywhere: `set_config`, which changes settings as `SET` does, or `nextval`,
/// which makes a query a write.
pub fn calls_function(statement: &Statement, names: &[&str]) -> bool {
    let named = |name: &ObjectName| {
        name.0
            .last()
            .and_then(|part| part.as_ident())
            .is_some_and(|name| names.iter().any(|n| name.value.eq_ignore_ascii_case(n)))
    };
    let in_expression = visit_expressions(statement, |expr| match expr {
        Expr::Function(f) if named(&f.name) => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    });
    // A function in FROM (`SELECT * FROM nextval('s')`) is a relation to the
    // visitor. A table of that name counts too, which costs a statement no
    // more than a write's path it did not need.
    in_expression.is_break()
        || visit_relations(statement, |name| {
            if named(name) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .is_break()
}

/// True for the statement `CHECKPOINT` parses to.
pub fn is_checkpoint(stmt: &Statement) -> bool {
    matches!(
        stmt,
        Statement::Flush {
            object_type: FlushType::Tables,
            channel: Some(channel),
            ..
        } if channel == CHECKPOINT_CHANNEL
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `CHECKPOINT` alone, in any case and with `;` or spaces, is a checkpoint;
    /// FLUSH written in SQL does not parse, and CHECKPOINT among other statements is not
    /// accepted.
    #[test]
    fn checkpoint_is_recognized_alone() {
        for text in [
            "CHECKPOINT",
            "checkpoint;",
            "  Checkpoint ; ",
            "\ncheckpoint;;",
        ] {
            let statements = parse(text).unwrap();
            assert_eq!(statements.len(), 1, "{text}");
            assert!(is_checkpoint(&statements[0]), "{text}");
        }
        assert!(parse("FLUSH TABLES").is_err());
        assert!(parse("checkpoint; select 1").is_err());
        assert!(parse("checkpoint now").is_err());
    }

    /// `substring(s SIMILAR p ESCAPE e)` reads as `substring(s FROM p FOR e)`,
    /// nested ones too; `SIMILAR TO` and an ESCAPE elsewhere are left alone.
    #[test]
    fn substring_similar_reads_as_from_for() {
        let same =
            |text: &str, meant: &str| assert_eq!(parse(text).unwrap(), parse(meant).unwrap());
        same(
            "SELECT substring(a SIMILAR b ESCAPE '#')",
            "SELECT substring(a FROM b FOR '#')",
        );
        same(
            "select SUBSTRING(substring(a similar b escape c) similar (d) escape e) from t",
            "select SUBSTRING(substring(a from b for c) from (d) for e) from t",
        );
        let kept =
            parse("SELECT substring((a SIMILAR TO b)::text FROM 1), a SIMILAR TO b ESCAPE c")
                .unwrap()[0]
                .to_string();
        assert!(kept.contains("(a SIMILAR TO b)"), "{kept}");
        assert!(kept.contains("a SIMILAR TO b ESCAPE c"), "{kept}");
        assert!(parse("SELECT a SIMILAR b").is_err());
    }

    /// `SET CONSTRAINTS` reads its names (folded unless quoted, a schema kept)
    /// and mode; a SET written in SQL is never its stand-in, even of the same
    /// name quoted.
    #[test]
    fn set_constraints_is_read_into_its_stand_in() {
        let read = |text: &str| set_constraints(&parse(text).unwrap()[0]);
        assert_eq!(read("set constraints all immediate;"), Some((None, false)));
        assert_eq!(
            read("SET CONSTRAINTS a, \"B\", public.C DEFERRED"),
            Some((
                Some(vec!["a".to_owned(), "B".to_owned(), "public.c".to_owned()]),
                true
            ))
        );
        assert_eq!(
            read("/* c */ SET CONSTRAINTS ALL DEFERRED"),
            Some((None, true))
        );
        let several = parse("BEGIN; SET CONSTRAINTS x IMMEDIATE; SELECT 1;").unwrap();
        assert_eq!(several.len(), 3);
        assert_eq!(
            set_constraints(&several[1]),
            Some((Some(vec!["x".to_owned()]), false))
        );
        assert!(matches!(several[2], Statement::Query(_)));
        assert_eq!(read("SET \"turnstile:set_constraints\" = deferred"), None);
        assert_eq!(read("SET search_path = public"), None);
        for wrong in [
            "SET CONSTRAINTS",
            "SET CONSTRAINTS ALL",
            "SET CONSTRAINTS ALL later",
            "SET CONSTRAINTS a, IMMEDIATE",
            "SET CONSTRAINTS ALL DEFERRED x",
        ] {
            assert!(matches!(parse(wrong), Err(SqlError::Syntax(_))), "{wrong}");
        }
    }

    /// `ALTER SEQUENCE` is read into its stand-in, alone or among other
    /// statements, with `RESTART` anywhere among its options; a SET written in
    /// SQL is never its stand-in.
    #[test]
    fn alter_sequence_is_read_into_its_stand_in() {
        let read = |text: &str| alter_sequence(&parse(text).unwrap()[0]).map(Result::unwrap);
        let alter =
            read("alter sequence if exists public.s increment 2 restart with -5 cycle").unwrap();
        assert!(alter.if_exists);
        assert_eq!(alter.name.to_string(), "public.s");
        let AlterSequenceAction::Options { options, restart } = alter.action else {
            panic!("options expected")
        };
        assert_eq!(options.len(), 2);
        assert_eq!(restart.flatten().map(|e| e.to_string()), Some("-5".into()));
        assert!(matches!(
            read("ALTER SEQUENCE s RESTART").unwrap().action,
            AlterSequenceAction::Options {
                restart: Some(None),
                ..
            }
        ));
        assert!(matches!(
            read("ALTER SEQUENCE s OWNED BY t.restart").unwrap().action,
            AlterSequenceAction::Options { restart: None, .. }
        ));
        let several = parse("SELECT 1; ALTER SEQUENCE s OWNED BY NONE; SELECT 2").unwrap();
        assert_eq!(several.len(), 3);
        assert!(alter_sequence(&several[1]).is_some());
        assert!(read("SET \"turnstile:alter_sequence\" = 'ALTER SEQUENCE s RESTART'").is_none());
        assert!(matches!(
            parse("ALTER SEQUENCE s SET SCHEMA x"),
            Err(SqlError::Unsupported(_))
        ));
        for wrong in [
            "ALTER SEQUENCE s",
            "ALTER SEQUENCE s RESTART RESTART",
            "ALTER SEQUENCE s FOO",
        ] {
            assert!(
                matches!(
                    parse(wrong),
                    Err(SqlError::Syntax(_) | SqlError::InvalidStatement(_))
                ),
                "{wrong}"
            );
        }
    }

    /// `SEQUENCE NAME` of an identity column added by ALTER TABLE is taken out
    /// when it names the default, and refused when it names another.
    #[test]
    fn default_sequence_names_are_dropped() {
        let parsed = parse(
            "ALTER TABLE ONLY public.\"Ev\" ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY \
             (SEQUENCE NAME public.\"Ev_id_seq\" START WITH 1)",
        )
        .unwrap();
        let text = parsed[0].to_string();
        assert!(!text.contains("NAME"), "{text}");
        assert!(text.contains("START WITH 1"), "{text}");
        assert!(matches!(
            parse("ALTER TABLE t ALTER id ADD GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME other)"),
            Err(SqlError::Unsupported(_))
        ));
        // Each action of the ALTER TABLE names its own column: an added one's
        // sequence is named after it, not after the column altered before.
        let added = "ALTER TABLE t ALTER a SET NOT NULL, \
                     ADD COLUMN IF NOT EXISTS b int GENERATED ALWAYS AS IDENTITY";
        assert!(parse(&format!("{added} (SEQUENCE NAME t_b_seq)")).is_ok());
        assert!(matches!(
            parse(&format!("{added} (SEQUENCE NAME t_a_seq)")),
            Err(SqlError::Unsupported(_))
        ));
        assert!(matches!(
            parse(
                "ALTER TABLE t ALTER a SET NOT NULL, ALTER b ADD GENERATED ALWAYS AS IDENTITY \
                 (SEQUENCE NAME t_a_seq)"
            ),
            Err(SqlError::Unsupported(_))
        ));
    }

    /// Several statements parse in order; garbage is a syntax error, not a panic.
    #[test]
    fn parses_statements_and_reports_errors() {
        assert_eq!(parse("select 1; select 2").map(|s| s.len()), Ok(2));
        assert!(matches!(parse("selec 1"), Err(SqlError::Syntax(_))));
    }
}
