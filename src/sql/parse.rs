//! Turning SQL text into sqlparser statements.
//!
//! sqlparser does not know PostgreSQL's `CHECKPOINT`, so the exact statement
//! `CHECKPOINT` (any case, optional `;` and whitespace) is recognized here before
//! sqlparser sees the text, and stands in the rest of the pipeline as
//! [`checkpoint_statement`]: a `FLUSH`, which sqlparser's PostgreSQL dialect
//! refuses to parse, with a channel name of ours on top, so no statement written in
//! SQL can be mistaken for it. [`is_checkpoint`] is the only test for it. `CHECKPOINT`
//! sent together with other statements in one text is a syntax error.

use sqlparser::ast::{FlushType, Statement};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use super::SqlError;

/// Parses `sql` (one or more `;`-separated statements) with PostgreSQL's dialect.
/// A parse error is 42601 with the parser's own message, which names the token.
pub fn parse(sql: &str) -> Result<Vec<Statement>, SqlError> {
    let bare = sql.trim().trim_end_matches(';').trim_end();
    if bare.eq_ignore_ascii_case("checkpoint") {
        return Ok(vec![checkpoint_statement()]);
    }
    parse_with_symmetric(sql).map_err(|e| {
        let message = e.to_string();
        let message = message
            .strip_prefix("sql parser error: ")
            .unwrap_or(&message);
        SqlError::Syntax(message.to_owned())
    })
}

/// The function name that marks the low bound of `BETWEEN SYMMETRIC low AND high`
/// (see [`parse_with_symmetric`]); the binder recognizes it in `BETWEEN` only.
pub const SYMMETRIC_MARKER: &str = "turnstile_between_symmetric";

/// sqlparser does not know `BETWEEN SYMMETRIC` (nor `ASYMMETRIC`, the default). When
/// the text has the word, the tokens are rewritten before parsing: `ASYMMETRIC` is
/// dropped, and `BETWEEN SYMMETRIC low AND` becomes
/// `BETWEEN pg_catalog.turnstile_between_symmetric(low) AND`, which prints back to the
/// same form (views store their query as text). The low bound ends at the first `AND`
/// outside parentheses and CASE … END, as a BETWEEN bound cannot hold a bare AND.
fn parse_with_symmetric(sql: &str) -> Result<Vec<Statement>, ParserError> {
    let dialect = PostgreSqlDialect {};
    if !sql.to_ascii_lowercase().contains("symmetric") {
        return Parser::parse_sql(&dialect, sql);
    }
    let tokens = Tokenizer::new(&dialect, sql).tokenize_with_location()?;
    let mut out: Vec<TokenWithSpan> = Vec::with_capacity(tokens.len() + 8);
    let mut tokens = tokens.into_iter().peekable();
    while let Some(t) = tokens.next() {
        let after_between = matches!(
            out.iter().rev().find(|t| !is_whitespace(&t.token)),
            Some(TokenWithSpan { token: Token::Word(w), .. }) if w.keyword == Keyword::BETWEEN
        );
        match &t.token {
            Token::Word(w) if after_between && w.keyword == Keyword::ASYMMETRIC => {}
            Token::Word(w) if after_between && w.keyword == Keyword::SYMMETRIC => {
                let span = t.span;
                let mark = |token| TokenWithSpan::new(token, span);
                out.push(mark(Token::make_word("pg_catalog", None)));
                out.push(mark(Token::Period));
                out.push(mark(Token::make_word(SYMMETRIC_MARKER, None)));
                out.push(mark(Token::LParen));
                let mut depth = 0usize;
                while let Some(next) = tokens.peek() {
                    match &next.token {
                        Token::LParen => depth += 1,
                        Token::RParen if depth == 0 => break,
                        Token::RParen => depth -= 1,
                        Token::Word(w) if w.keyword == Keyword::CASE => depth += 1,
                        Token::Word(w) if w.keyword == Keyword::END => {
                            depth = depth.saturating_sub(1)
                        }
                        Token::Word(w) if w.keyword == Keyword::AND && depth == 0 => break,
                        Token::SemiColon | Token::EOF if depth == 0 => break,
                        _ => {}
                    }
                    out.push(tokens.next().expect("peeked"));
                }
                out.push(mark(Token::RParen));
            }
            _ => out.push(t),
        }
    }
    Parser::new(&dialect)
        .with_tokens_with_locations(out)
        .parse_statements()
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

    /// Several statements parse in order; garbage is a syntax error, not a panic.
    #[test]
    fn parses_statements_and_reports_errors() {
        assert_eq!(parse("select 1; select 2").map(|s| s.len()), Ok(2));
        assert!(matches!(parse("selec 1"), Err(SqlError::Syntax(_))));
    }
}
