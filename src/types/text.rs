//! PostgreSQL's text format: parsing literals and printing values.
//! (Being completed by the scalar-library work: every type, time zones, numerics.)

use super::{DataType, TypeError, Value};

impl Value {
    /// The value in PostgreSQL's text output format (timestamptz in UTC).
    pub fn to_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => if *b { "t" } else { "f" }.to_owned(),
            Value::Int2(v) => v.to_string(),
            Value::Int4(v) => v.to_string(),
            Value::Int8(v) => v.to_string(),
            Value::Text(s) | Value::Jsonb(s) => s.clone(),
            other => format!("{other:?}"),
        }
    }
}

impl DataType {
    /// Parses `text` as a literal of this type (22P02 if it is not one).
    pub fn parse_text(self, text: &str) -> Result<Value, TypeError> {
        let invalid = || TypeError::InvalidText { type_name: self.to_string(), input: text.to_owned() };
        match self {
            DataType::Int8 => text.trim().parse().map(Value::Int8).map_err(|_| invalid()),
            DataType::Text | DataType::Varchar(_) | DataType::Unknown => Ok(Value::Text(text.to_owned())),
            _ => Err(invalid()),
        }
    }
}
