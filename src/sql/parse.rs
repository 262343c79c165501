//! Turning SQL text into sqlparser statements.

use sqlparser::ast::Statement;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::SqlError;

/// Parses `sql` (one or more `;`-separated statements) with PostgreSQL's dialect.
/// A parse error is 42601 with the parser's own message, which names the token.
pub fn parse(sql: &str) -> Result<Vec<Statement>, SqlError> {
    Parser::parse_sql(&PostgreSqlDialect {}, sql).map_err(|e| {
        let message = e.to_string();
        let message = message
            .strip_prefix("sql parser error: ")
            .unwrap_or(&message);
        SqlError::Syntax(message.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Several statements parse in order; garbage is a syntax error, not a panic.
    #[test]
    fn parses_statements_and_reports_errors() {
        assert_eq!(parse("select 1; select 2").map(|s| s.len()), Ok(2));
        assert!(matches!(parse("selec 1"), Err(SqlError::Syntax(_))));
    }
}
