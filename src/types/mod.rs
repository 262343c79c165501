//! Values and their SQL types: the vocabulary every other layer speaks.
//!
//! This is the leaf of the dependency graph. The store keeps [`Value`]s (encoded
//! compactly, see `db::row`), the SQL layer computes with them, and the wire layer
//! turns them into PostgreSQL's text and binary formats. Each [`DataType`] carries the
//! PostgreSQL type OID that clients see, so a driver that asks "what is column 3?"
//! gets the same answer from Turnstile as from PostgreSQL 15.
//!
//! Semantics follow PostgreSQL: `NULL` is a value of every type, integers overflow
//! with SQLSTATE 22003 instead of wrapping, text input that does not parse is 22P02.
//! The scalar library here (text I/O, casts, operators, functions, LIKE) is pure:
//! no SQL syntax, no I/O, so every PostgreSQL rule it copies has a unit test.

mod array;
pub mod binary;
mod cast;
mod datatype;
mod datetime_functions;
mod datetime_input;
mod error;
mod functions;
mod interval;
mod json;
pub(crate) mod json_text;
mod jsonb_ops;
mod jsonb_order;
mod like;
mod math_functions;
mod numeric;
mod numeric_typmod;
mod ops;
mod regex;
mod string_functions;
mod text;
mod time;
mod timezone;
mod to_char;
mod value;

pub use cast::{cast, cast_context, cast_in, CastKind};
pub use datatype::{DataType, OidAlias, INT2_VECTOR, OID_VECTOR};
pub use error::TypeError;
pub use functions::{
    common_type, eval_function, format_type, quote_ident, resolve_function, CatalogFunction,
    ConstantFunction, FunctionContext, FunctionError, FunctionId, FunctionSignature, RelationPart,
    SleepUntil,
};
pub use interval::Interval;
pub use jsonb_ops::{build_array as jsonb_build_array, build_object as jsonb_build_object};
pub use like::{like, like_escape, like_with_escape, DEFAULT_LIKE_ESCAPE};
pub use numeric::parse_numeric;
pub use numeric_typmod::NumericTypmod;
pub use ops::{
    and3, binary_signature, common_numeric, eval_binary, eval_binary_in, eval_unary, or3,
    unary_signature, with_scale, BinaryOp, BinarySignature, UnaryOp,
};
pub use text::{check_varchar, parse_bool, TextStyle, DEFAULT_EXTRA_FLOAT_DIGITS};
pub use time::{
    checked_date, checked_timestamp, date_in_range, now_us, timestamp_in_range, DATE_NEG_INFINITY,
    DATE_POS_INFINITY, TS_NEG_INFINITY, TS_POS_INFINITY,
};
pub use timezone::TimeZone;
pub use value::Value;
