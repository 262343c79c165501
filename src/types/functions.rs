//! Built-in scalar functions: resolving a call to a signature, and evaluating it.
//!
//! Resolution ([`resolve_function`]) copies PostgreSQL's outcome for each built-in
//! on our types: integer arguments of the math functions are computed in float8
//! (`sqrt(2)` is double precision) while numeric ones stay numeric, `abs` and `mod`
//! keep the integer width, untyped literals take the parameter's type. The binder
//! casts the arguments to `args` and calls [`eval_function`]. Most functions are
//! *strict* (any NULL argument gives NULL without a call); `concat`, `concat_ws`,
//! `greatest` and `least` are not, as in PostgreSQL.
//!
//! The bodies live by theme in `string_functions`, `math_functions` and
//! `datetime_functions`; this file is the catalog.

use std::fmt;

use super::array;
use super::datetime_functions::{date_part, date_trunc, extract};
use super::json_text;
use super::jsonb_ops;
use super::math_functions as math;
use super::ops::{common_numeric, compare};
use super::string_functions as string;
use super::text::TextStyle;
use super::timezone::TimeZone;
use super::{DataType, TypeError, Value};

/// Every built-in function Turnstile evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FunctionId {
    Lower,
    Upper,
    Initcap,
    Length,
    OctetLength,
    Abs,
    Round,
    RoundTo,
    Trunc,
    TruncTo,
    Ceil,
    Floor,
    Sqrt,
    Cbrt,
    Power,
    Mod,
    /// `div(numeric, numeric)`: the quotient truncated toward zero.
    Div,
    Sign,
    Exp,
    Ln,
    Log10,
    LogBase,
    Pi,
    Greatest,
    Least,
    Concat,
    ConcatWs,
    /// `format(formatstr, args…)`.
    Format,
    /// `quote_literal(value)`: strict.
    QuoteLiteral,
    /// `quote_nullable(value)`: `NULL` for NULL, else as `quote_literal`.
    QuoteNullable,
    Substring,
    /// `substring(string FROM pattern)`: the first match of a POSIX regular
    /// expression, or of its first parenthesized part; NULL without a match.
    SubstringRegex,
    /// `substring(string SIMILAR pattern ESCAPE escape)`, also spelled
    /// `substring(string FROM pattern FOR escape)`: the part of a `SIMILAR TO`
    /// match between the escape-double-quote separators.
    SubstringSimilar,
    /// `similar_to_escape(pattern[, escape])`: a `SIMILAR TO` pattern as an ARE.
    SimilarToEscape,
    /// `regexp_replace(source, pattern, replacement[, flags])`.
    RegexpReplace,
    /// `regexp_count(source, pattern[, start[, flags]])`: how many matches.
    RegexpCount,
    /// `regexp_substr(source, pattern[, start[, n[, flags[, subexpr]]]])`.
    RegexpSubstr,
    /// `regexp_instr(source, pattern[, start[, n[, endoption[, flags[, subexpr]]]]])`.
    RegexpInstr,
    /// Every match's groups, as an array of `text[]` rows, for the
    /// set-returning `regexp_matches(source, pattern[, flags])`.
    RegexpMatches,
    /// `regexp_like(source, pattern[, flags])`: whether it matches.
    RegexpLike,
    /// `regexp_split_to_array(source, pattern[, flags])`: the text between
    /// the matches; `regexp_split_to_table` (`table`) returns them as rows.
    RegexpSplit {
        table: bool,
    },
    /// `to_hex(integer)`: its two's complement in lowercase hexadecimal.
    ToHex,
    /// `to_char(timestamp | timestamptz, template)` (see `to_char`).
    ToChar,
    /// `make_date(year, month, day)`.
    MakeDate,
    /// `to_timestamp(seconds)`: a Unix epoch time as timestamptz.
    ToTimestamp,
    /// `regexp_match(source, pattern[, flags])`: the first match's groups.
    RegexpMatch,
    /// `string_to_array(text, delimiter[, null_string])`.
    StringToArray,
    /// `strpos(string, substring)`; SQL's `POSITION(sub IN s)` is `strpos(s, sub)`.
    Strpos,
    Replace,
    Btrim,
    Ltrim,
    Rtrim,
    Left,
    Right,
    Lpad,
    Rpad,
    Repeat,
    Reverse,
    SplitPart,
    StartsWith,
    Md5,
    GetByte,
    Chr,
    Ascii,
    Random,
    /// `now()`, `current_timestamp`, `transaction_timestamp()`, `statement_timestamp()`.
    Now,
    CurrentDate,
    LocalTimestamp,
    ClockTimestamp,
    DateTrunc,
    /// `timezone(zone, x)`, which `x AT TIME ZONE zone` is: a timestamptz as the
    /// wall-clock time in the zone, or a wall-clock time in the zone as a
    /// timestamptz.
    Timezone,
    /// `EXTRACT(field FROM x)`: numeric. The SQL layer passes the field as text.
    Extract,
    /// `date_part(text, x)`: float8.
    DatePart,
    GenRandomUuid,
    Version,
    /// `text ~ pattern` (POSIX regular expression match; `~*` ignores case).
    RegexMatch {
        case_insensitive: bool,
    },
    /// `x op ANY(array)` or `x op ALL(array)`.
    AnyAll {
        op: super::BinaryOp,
        all: bool,
    },
    /// `array[i]`.
    Subscript,
    /// `ARRAY[a, b]`: its arguments as one array.
    ArrayConstructor,
    ArrayToString,
    ArrayPosition,
    /// `array_lower(a, dim)`, `array_upper(a, dim)` and `array_dims(a)` of an
    /// array whose subscripts start at `first`: 1, or 0 for a vector.
    ArrayLower {
        first: i8,
    },
    ArrayUpper {
        first: i8,
    },
    ArrayDims {
        first: i8,
    },
    ArrayLength,
    /// An integer's bitwise `~` (not), in its own type.
    BitNot,
    Cardinality,
    /// The functions jsonb and json both have, each taking a document of
    /// either type and answering in its kind (see `jsonb_ops` and
    /// `json_text`): `json[b]_typeof`, `json[b]_array_length`,
    /// `json[b]_strip_nulls`.
    JsonTypeof,
    JsonArrayLength,
    JsonStripNulls,
    /// `json[b]_extract_path[_text](document, VARIADIC path)`.
    JsonExtractPath {
        as_text: bool,
    },
    ToJsonb,
    JsonbBuildObject,
    JsonbBuildArray,
    /// json's builders, which write json's text (`json_text`).
    ToJson,
    JsonBuildObject,
    JsonBuildArray,
    /// `json_object(text[])` and `json_object(keys text[], values text[])`.
    JsonObject,
    /// A whole row as json (`row_to_json(t)`): its arguments are each
    /// column's name and then its value; made by the binder only. `record`:
    /// the row itself, as `json_agg(t)` takes it, rather than a json value.
    JsonRow {
        record: bool,
    },
    /// A document's array elements as an array (of its own type, or
    /// `as_text` of text), which `json[b]_array_elements[_text]` in FROM
    /// unnests; not callable by name.
    JsonElements {
        as_text: bool,
    },
    /// A document's object keys as a text array, for `json[b]_object_keys` in
    /// FROM.
    JsonObjectKeys,
    /// `jsonb_set(target, path, new_value[, create_if_missing])`.
    JsonbSet,
    /// A document's object fields as an array of `[key, value]` arrays (the
    /// value of the document's type, or `as_text` text), for
    /// `json[b]_each[_text]` in FROM.
    JsonEach {
        as_text: bool,
    },
    /// The arrays of `unnest(a, b, …)` in FROM zipped into an array of rows,
    /// as many as the longest has elements, NULL where a shorter one (or a
    /// NULL one) has run out; not strict.
    UnnestRows,
    /// The `name=value` options of a catalog's options array as an array of
    /// `[name, value]` arrays (the value NULL where there is no `=`), for
    /// `pg_options_to_table` in FROM.
    OptionsToTable,
    /// An `int2vector` or `oidvector` as text: its numbers separated by spaces.
    VectorOut,
    /// `vector[i]`: an `int2vector` or `oidvector` is subscripted from 0.
    VectorSubscript,
    /// `name[i]`: PostgreSQL stores a name as 64 bytes, an array of `"char"`
    /// from 0, NUL after the text (`typname[0] = '_'` asks for an array
    /// type's name); NULL outside those 64.
    NameByte,
    /// `array_cat(a, b)` and `a || b` of two arrays, as which the binder also
    /// writes `array_append(a, x)` and `array_prepend(x, a)` (with `ARRAY[x]`): a
    /// NULL array counts as empty, so the result is NULL only when both are.
    ArrayCat,
    /// `array_remove(array, value)`: the array without the elements equal to
    /// `value` (a NULL value removes the NULLs).
    ArrayRemove,
    /// `pg_size_pretty(bigint | numeric)`: a number of bytes in the largest unit
    /// that keeps it readable.
    SizePretty,
    QuoteIdent,
    /// `format_type(type_oid, typmod)`.
    FormatType,
    PgEncodingToChar,
    /// A function that answers a constant for Turnstile's catalog: who may do what
    /// (everyone everything), visibility (every object is on the search path), and
    /// comments (there are none).
    Constant(ConstantFunction),
    /// A function of the catalog or the session, evaluated by the SQL layer, which
    /// has them (see `sql::system::functions`).
    Catalog(CatalogFunction),
}

impl FunctionId {
    /// True for a function whose result differs from one call to the next, or
    /// that changes something (PostgreSQL's `provolatile = 'v'`).
    pub fn is_volatile(self) -> bool {
        matches!(
            self,
            FunctionId::Random
                | FunctionId::ClockTimestamp
                | FunctionId::GenRandomUuid
                | FunctionId::Catalog(
                    CatalogFunction::SetConfig
                        | CatalogFunction::AdvisoryLock { .. }
                        | CatalogFunction::AdvisoryUnlock { .. }
                        | CatalogFunction::AdvisoryUnlockAll
                        | CatalogFunction::Notify
                        | CatalogFunction::Sleep(_)
                        | CatalogFunction::CancelBackend
                        | CatalogFunction::TerminateBackend
                        | CatalogFunction::NextVal
                        | CatalogFunction::SetVal
                        | CatalogFunction::CurrVal
                        | CatalogFunction::LastVal
                )
        )
    }
}

/// How a `pg_sleep` function gives its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SleepUntil {
    /// `pg_sleep(double precision)`: seconds.
    Seconds,
    /// `pg_sleep_for(interval)`.
    Interval,
    /// `pg_sleep_until(timestamptz)`: a moment.
    Moment,
}

/// Functions whose answer does not depend on their arguments here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConstantFunction {
    /// `has_table_privilege` and friends: true (there are no privileges yet).
    True,
    /// `col_description`, `shobj_description`,
    /// `pg_get_statisticsobjdef_columns`, `pg_get_ruledef`: NULL (no comments, no
    /// statistics objects, no rules: PostgreSQL's NULL for an OID that names none);
    /// `pg_last_xact_replay_timestamp()`, `pg_last_wal_receive_lsn()` and
    /// `pg_last_wal_replay_lsn()`: NULL, PostgreSQL's answers on a server that
    /// is no standby (monitoring tools compute replication lag with them; the
    /// positions are text, as Turnstile has no `pg_lsn`).
    Null,
    /// `pg_tablespace_location(oid)`: empty, PostgreSQL's answer for its
    /// built-in tablespaces, the only ones.
    Empty,
    /// `pg_is_in_recovery()`: false. Turnstile has no standbys; a server
    /// that answers has finished its recovery (pg_restore asks first thing).
    False,
}

/// Functions that read the catalog or the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CatalogFunction {
    /// `current_user`, `session_user`, `user`, `current_role`.
    CurrentUser,
    /// `current_schema()`: the first schema of the search path, NULL if none.
    CurrentSchema,
    /// `current_schemas(include_implicit)`: the search path's schemas (that
    /// exist), `pg_catalog` first if it is only implied.
    CurrentSchemas,
    /// `pg_backend_pid()`: the process id the session's BackendKeyData carried.
    BackendPid,
    /// `pg_cancel_backend(pid)`: stops that session's running statement (57014),
    /// as a cancel request does; false if no session has that pid.
    CancelBackend,
    /// `pg_postmaster_start_time()`: when the server started.
    PostmasterStartTime,
    /// `inet_client_addr()` and `inet_client_port()`: where the session's
    /// client connects from; with `server`, `inet_server_addr()` and
    /// `inet_server_port()`: the address it connected to. The address as text
    /// (Turnstile has no `inet`), as `pg_stat_activity.client_addr` shows it;
    /// with `port`, the port.
    ConnectionAddress {
        server: bool,
        port: bool,
    },
    /// `pg_terminate_backend(pid)`: ends that session (FATAL 57P01), stopping
    /// its running statement first; false if no session has that pid.
    TerminateBackend,
    /// `pg_[try_]advisory[_xact]_lock[_shared](key)`, the key one `bigint` or
    /// two `integer`s: takes an advisory lock (see `sql::advisory`), shared or
    /// exclusive, for the transaction or the session; a `try_` function answers
    /// whether it could, the others wait for it.
    AdvisoryLock {
        shared: bool,
        transaction: bool,
        wait: bool,
    },
    /// `pg_advisory_unlock[_shared](key)`: gives back one session-level hold.
    AdvisoryUnlock {
        shared: bool,
    },
    /// `pg_advisory_unlock_all()`: gives back every session-level hold.
    AdvisoryUnlockAll,
    /// `pg_notify(channel, payload)`: `NOTIFY` as a function (see
    /// `sql::notify`). Not strict: a NULL payload is an empty one, a NULL
    /// channel an empty name (22023), as in PostgreSQL.
    Notify,
    /// The channels the session listens on, as an array, for the
    /// set-returning `pg_listening_channels()`.
    ListeningChannels,
    /// `pg_notification_queue_usage()`: how full the notification queues are.
    NotificationQueueUsage,
    /// `pg_sleep(seconds)`, `pg_sleep_for(interval)`, `pg_sleep_until(timestamptz)`:
    /// the statement's session sleeps that long once the statement is done
    /// (see `Session::run_engine`), holding no lock.
    Sleep(SleepUntil),
    CurrentDatabase,
    /// `pg_get_userbyid(role_oid)`.
    UserById,
    /// `pg_get_indexdef(index_oid [, column, pretty])`.
    IndexDef,
    /// `pg_get_constraintdef(constraint_oid [, pretty])`.
    ConstraintDef,
    /// `pg_get_viewdef(view_oid [, pretty])`.
    ViewDef,
    /// `pg_get_triggerdef(oid [, pretty])`: NULL, as PostgreSQL answers for an
    /// OID that is no trigger's: Turnstile has no triggers (`pg_trigger` is
    /// empty), but psql's `\d` asks about a table with foreign keys.
    TriggerDef,
    /// `obj_description(oid [, catalog])`: the comment on an object, which
    /// only PostgreSQL's schemas have (`pg_description`).
    Description,
    /// `acldefault(kind, owner)`: the privileges an object of the kind has
    /// before any GRANT or REVOKE (`aclitem[]` in PostgreSQL, `text[]` here).
    AclDefault,
    FunctionArguments,
    FunctionResult,
    /// `pg_get_expr(expr, relation_oid [, pretty])`: the catalogs keep
    /// expressions as their SQL text, so this is that text, with relation names
    /// qualified where the search path would not find them (see
    /// `sql::system::qualify`).
    Expression,
    /// Its first argument: `pg_partition_ancestors(regclass)` in a select list, where psql's `\d`
    /// calls it (there are no partitions; PostgreSQL would return no rows for
    /// a table that is not one, a set-returning function Turnstile has only in
    /// FROM: there it does return none).
    FirstArgument,
    /// Reads a name as an OID of the alias's kind (`'t'::regclass`).
    RegIn(super::OidAlias),
    /// Prints an OID of the alias's kind as its name (`oid::regclass::text`).
    RegOut(super::OidAlias),
    /// `to_regclass(name)` and friends: [`CatalogFunction::RegIn`] that answers NULL
    /// for a name that names nothing instead of failing.
    ToReg(super::OidAlias),
    /// `pg_table_is_visible(oid)` and friends: whether the bare name finds the
    /// object of the alias's kind; NULL for an OID that names nothing.
    IsVisible(super::OidAlias),
    /// `pg_collation_is_visible(oid)`, which has no alias type of its own here.
    CollationIsVisible,
    /// `current_setting(name [, missing_ok])`: the session's setting, as `SHOW`.
    CurrentSetting,
    /// `set_config(name, value, is_local)`: `SET` (`SET LOCAL`) from a query;
    /// not strict: a NULL value resets, a NULL `is_local` is false.
    SetConfig,
    /// `pg_relation_size` and friends: the bytes of a relation's part.
    RelationSize(RelationPart),
    /// `pg_database_size(name | oid)`: the bytes of every table and index.
    DatabaseSize,
    /// `nextval(regclass)`: advances a sequence (under the write lock only).
    NextVal,
    /// `setval(regclass, bigint [, is_called])` (under the write lock only).
    SetVal,
    /// `currval(regclass)`: what `nextval` last gave this session.
    CurrVal,
    /// `lastval()`: what this session's last `nextval` gave.
    LastVal,
    /// `pg_get_serial_sequence(table, column)`: the sequence a column owns.
    SerialSequence,
    /// The `last_value` and `is_called` columns of `SELECT … FROM` a sequence
    /// (no name calls them).
    SequenceLastValue,
    SequenceIsCalled,
}

/// What a size function measures of a relation (see `sql::system::sizes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelationPart {
    /// `pg_relation_size(rel [, fork])` and `pg_table_size(rel)`: the relation's
    /// own data (Turnstile has no TOAST, free space or visibility maps).
    Own,
    /// `pg_indexes_size(table)`: its indexes, the primary key's included.
    Indexes,
    /// `pg_total_relation_size(rel)`: both.
    Total,
}

/// A resolved call: which function, the types to cast the arguments to, the result.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionSignature {
    pub id: FunctionId,
    pub args: Vec<DataType>,
    pub result: DataType,
    /// NULL in any argument gives NULL without evaluating (PostgreSQL's STRICT).
    pub strict: bool,
}

/// Why a call did not resolve; the SQL layer maps it to 42883 or 42725.
#[derive(Debug, Clone, PartialEq)]
pub enum FunctionError {
    /// No function of that name takes these argument types.
    UndefinedFunction { name: String, args: Vec<DataType> },
    /// Several forms take them equally well, and PostgreSQL picks none.
    NotUnique { name: String, args: Vec<DataType> },
}

impl fmt::Display for FunctionError {
    /// PostgreSQL's messages: `function foo(integer, text) does not exist`,
    /// `function pg_size_pretty(integer) is not unique`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, args, what) = match self {
            FunctionError::UndefinedFunction { name, args } => (name, args, "does not exist"),
            FunctionError::NotUnique { name, args } => (name, args, "is not unique"),
        };
        let args: Vec<String> = args.iter().map(ToString::to_string).collect();
        write!(f, "function {name}({}) {what}", args.join(", "))
    }
}

impl std::error::Error for FunctionError {}

/// What a function may read besides its arguments.
#[derive(Debug, Clone)]
pub struct FunctionContext {
    /// The statement's start (µs since 2000, UTC): `now()` and friends return it, the
    /// same for every row, as PostgreSQL does within a statement.
    pub statement_timestamp: i64,
    /// The session's `TimeZone`, for `current_date`, `localtimestamp` and timestamptz
    /// fields.
    pub time_zone: TimeZone,
    /// The session's `extra_float_digits`, for floats written as text.
    pub extra_float_digits: i32,
}

impl FunctionContext {
    /// How the session writes values as text.
    pub fn text_style(&self) -> TextStyle<'_> {
        TextStyle {
            time_zone: &self.time_zone,
            extra_float_digits: self.extra_float_digits,
        }
    }
}

/// Resolves `name(args...)`; `name` in any case.
pub fn resolve_function(name: &str, args: &[DataType]) -> Result<FunctionSignature, FunctionError> {
    let lower = name.to_ascii_lowercase();
    let norm: Vec<DataType> = args
        .iter()
        .map(|t| {
            // Text-like types take text's functions (`name` too: PostgreSQL casts
            // it to text implicitly, so `upper(relname)` works).
            if let DataType::Varchar(_) | DataType::Bpchar(_) | DataType::Name = t {
                DataType::Text
            } else {
                // Functions take and return plain numeric; NUMERIC(p, s) only
                // constrains what is stored.
                t.without_typmod()
            }
        })
        .collect();
    resolve(&lower, &norm).ok_or_else(|| {
        let args = args.to_vec();
        if is_ambiguous(&lower, &norm) {
            FunctionError::NotUnique { name: lower, args }
        } else {
            FunctionError::UndefinedFunction { name: lower, args }
        }
    })
}

/// Calls for which PostgreSQL finds several best candidates: `pg_size_pretty`
/// of an integer narrower than bigint, or of an untyped literal, converts
/// implicitly to both its bigint and its numeric form; `extract` of an untyped
/// literal, which could be any of its date and time types.
fn is_ambiguous(name: &str, a: &[DataType]) -> bool {
    match name {
        "pg_size_pretty" => {
            matches!(a, [DataType::Int2 | DataType::Int4 | DataType::Unknown])
        }
        "extract" => matches!(a, [_, DataType::Unknown]),
        _ => false,
    }
}

fn is_text(t: DataType) -> bool {
    matches!(t, DataType::Text | DataType::Unknown)
}

/// Integer arguments (counts, positions) are int4; int8 has no implicit cast to it.
fn is_int4(t: DataType) -> bool {
    matches!(t, DataType::Int2 | DataType::Int4 | DataType::Unknown)
}

/// The math-function argument class: numeric stays numeric, the rest is float8.
fn float_or_numeric(t: DataType) -> Option<DataType> {
    match t {
        DataType::Numeric(_) => Some(DataType::Numeric(None)),
        t if t.is_numeric() || t == DataType::Unknown => Some(DataType::Float8),
        _ => None,
    }
}

fn sig(id: FunctionId, args: Vec<DataType>, result: DataType) -> Option<FunctionSignature> {
    Some(FunctionSignature {
        id,
        args,
        result,
        strict: true,
    })
}

fn resolve(name: &str, a: &[DataType]) -> Option<FunctionSignature> {
    use DataType as T;
    use FunctionId as F;
    let text1 = a.len() == 1 && is_text(a[0]);
    match name {
        "lower" | "upper" | "initcap" | "reverse" | "md5" if text1 => {
            let id = match name {
                "lower" => F::Lower,
                "upper" => F::Upper,
                "initcap" => F::Initcap,
                "reverse" => F::Reverse,
                _ => F::Md5,
            };
            sig(id, vec![T::Text], T::Text)
        }
        "md5" if a == [T::Bytea] => sig(F::Md5, vec![T::Bytea], T::Text),
        "get_byte" if a.len() == 2 && matches!(a[0], T::Bytea | T::Unknown) => {
            sig(F::GetByte, vec![T::Bytea, T::Int4], T::Int4)
        }
        "length" | "char_length" | "character_length" if text1 => {
            sig(F::Length, vec![T::Text], T::Int4)
        }
        "length" | "octet_length" if a == [T::Bytea] => {
            sig(F::OctetLength, vec![T::Bytea], T::Int4)
        }
        "octet_length" if text1 => sig(F::OctetLength, vec![T::Text], T::Int4),
        "ascii" if text1 => sig(F::Ascii, vec![T::Text], T::Int4),
        "chr" if a.len() == 1 && is_int4(a[0]) => sig(F::Chr, vec![T::Int4], T::Text),
        _ => resolve_math(name, a)
            .or_else(|| resolve_string(name, a))
            .or_else(|| resolve_other(name, a)),
    }
}

fn resolve_math(name: &str, a: &[DataType]) -> Option<FunctionSignature> {
    use DataType as T;
    use FunctionId as F;
    let one = |id| {
        let t = float_or_numeric(*a.first()?)?;
        (a.len() == 1).then_some(())?;
        sig(id, vec![t], t)
    };
    match (name, a.len()) {
        ("abs", 1) if a[0].is_numeric() || a[0] == T::Unknown => {
            let t = if a[0] == T::Unknown { T::Float8 } else { a[0] };
            sig(F::Abs, vec![t], t)
        }
        ("round", 1) => one(F::Round),
        ("trunc", 1) => one(F::Trunc),
        ("round" | "trunc", 2) if float_or_numeric(a[0]).is_some() && is_int4(a[1]) => {
            let id = if name == "round" {
                F::RoundTo
            } else {
                F::TruncTo
            };
            sig(id, vec![T::Numeric(None), T::Int4], T::Numeric(None))
        }
        ("ceil" | "ceiling", 1) => one(F::Ceil),
        ("floor", 1) => one(F::Floor),
        ("sqrt", 1) => one(F::Sqrt),
        ("cbrt", 1) if float_or_numeric(a[0]).is_some() => sig(F::Cbrt, vec![T::Float8], T::Float8),
        ("sign", 1) => one(F::Sign),
        ("exp", 1) => one(F::Exp),
        ("ln", 1) => one(F::Ln),
        ("log" | "log10", 1) => one(F::Log10),
        ("log", 2) => {
            let t = if a.contains(&T::Numeric(None)) {
                T::Numeric(None)
            } else {
                float_or_numeric(a[0]).and(float_or_numeric(a[1]))?
            };
            let t = if t == T::Float8 { T::Numeric(None) } else { t };
            sig(F::LogBase, vec![t, t], t)
        }
        ("power" | "pow", 2) => {
            let (l, r) = (float_or_numeric(a[0])?, float_or_numeric(a[1])?);
            // A float on either side makes it power(float8, float8): numeric
            // converts to float8 implicitly, not the other way.
            let float = |t: DataType| matches!(t, T::Float4 | T::Float8);
            let t = if float(a[0].without_typmod()) || float(a[1].without_typmod()) {
                T::Float8
            } else if l == T::Numeric(None) || r == T::Numeric(None) {
                T::Numeric(None)
            } else {
                T::Float8
            };
            sig(F::Power, vec![t, t], t)
        }
        ("mod", 2) => {
            let known = |t: DataType| if t == T::Unknown { T::Int4 } else { t };
            let (l, r) = (known(a[0]), known(a[1]));
            let t = common_numeric(l, r);
            (l.is_numeric() && r.is_numeric() && !matches!(t, T::Float4 | T::Float8))
                .then_some(())?;
            sig(F::Mod, vec![t, t], t)
        }
        // Integers become numeric implicitly; floats do not (42883).
        ("div", 2)
            if a.iter()
                .all(|t| t.is_integer() || matches!(t, T::Numeric(_) | T::Unknown)) =>
        {
            sig(F::Div, vec![T::Numeric(None); 2], T::Numeric(None))
        }
        ("pi", 0) => sig(F::Pi, vec![], T::Float8),
        ("pg_size_pretty", 1) if matches!(a[0], T::Int8 | T::Numeric(_)) => {
            sig(F::SizePretty, vec![a[0]], T::Text)
        }
        ("random", 0) => sig(F::Random, vec![], T::Float8),
        _ => None,
    }
}

fn resolve_string(name: &str, a: &[DataType]) -> Option<FunctionSignature> {
    use DataType as T;
    use FunctionId as F;
    let (t, i) = (T::Text, T::Int4);
    // An untyped second argument makes substring the pattern form, as PostgreSQL
    // resolves it (text is the preferred type of an unknown); substr has none.
    if a.iter().all(|t| is_text(*t)) {
        match (name, a.len()) {
            ("regexp_replace", 3 | 4) => return sig(F::RegexpReplace, vec![t; a.len()], t),
            ("regexp_like", 2 | 3) => return sig(F::RegexpLike, vec![t; a.len()], T::Bool),
            ("regexp_split_to_array", 2 | 3) => {
                let split = F::RegexpSplit { table: false };
                return sig(split, vec![t; a.len()], T::Array(&T::Text));
            }
            ("substring", 3) => return sig(F::SubstringSimilar, vec![t; 3], t),
            ("similar_to_escape", 1 | 2) => return sig(F::SimilarToEscape, vec![t; a.len()], t),
            ("regexp_match", 2 | 3) => {
                return sig(F::RegexpMatch, vec![t; a.len()], T::Array(&T::Text))
            }
            ("regexp_matches", 2 | 3) => {
                return sig(F::RegexpMatches, vec![t; a.len()], T::Array(&T::Text))
            }
            ("string_to_array", 2 | 3) => {
                return Some(FunctionSignature {
                    id: F::StringToArray,
                    args: vec![t; a.len()],
                    result: T::Array(&T::Text),
                    // A NULL delimiter splits into characters.
                    strict: false,
                });
            }
            _ => {}
        }
    }
    // The regular expression functions with optional integer and text
    // arguments after the source and the pattern.
    let regexp: Option<(FunctionId, &[DataType], DataType)> = match name {
        "regexp_count" => Some((F::RegexpCount, &[t, t, i, t], i)),
        "regexp_substr" => Some((F::RegexpSubstr, &[t, t, i, i, t, i], t)),
        "regexp_instr" => Some((F::RegexpInstr, &[t, t, i, i, i, t, i], i)),
        _ => None,
    };
    if let Some((id, shape, result)) = regexp {
        let fits = (2..=shape.len()).contains(&a.len())
            && a.iter().zip(shape).all(|(have, want)| {
                if *want == t {
                    is_text(*have)
                } else {
                    is_int4(*have)
                }
            });
        if fits {
            return sig(id, shape[..a.len()].to_vec(), result);
        }
    }
    if name == "substring" && a.len() == 2 && is_text(a[0]) && is_text(a[1]) {
        return sig(F::SubstringRegex, vec![t, t], t);
    }
    let (id, shapes): (FunctionId, &[&[DataType]]) = match name {
        "substring" | "substr" => (F::Substring, &[&[t, i], &[t, i, i]]),
        "strpos" | "position" => (F::Strpos, &[&[t, t]]),
        "replace" => (F::Replace, &[&[t, t, t]]),
        "btrim" | "trim" => (F::Btrim, &[&[t], &[t, t]]),
        "ltrim" => (F::Ltrim, &[&[t], &[t, t]]),
        "rtrim" => (F::Rtrim, &[&[t], &[t, t]]),
        "left" => (F::Left, &[&[t, i]]),
        "right" => (F::Right, &[&[t, i]]),
        "lpad" => (F::Lpad, &[&[t, i], &[t, i, t]]),
        "rpad" => (F::Rpad, &[&[t, i], &[t, i, t]]),
        "repeat" => (F::Repeat, &[&[t, i]]),
        "split_part" => (F::SplitPart, &[&[t, t, i]]),
        "starts_with" => (F::StartsWith, &[&[t, t]]),
        _ => return None,
    };
    let fits = |shape: &[DataType]| {
        a.len() == shape.len()
            && a.iter().zip(shape.iter()).all(|(have, want)| {
                if *want == t {
                    is_text(*have)
                } else {
                    is_int4(*have)
                }
            })
    };
    let shape = shapes.iter().find(|s| fits(s))?;
    let result = match id {
        F::Strpos => T::Int4,
        F::StartsWith => T::Bool,
        _ => T::Text,
    };
    sig(id, shape.to_vec(), result)
}

/// The functions json and jsonb both have, `json_` or `jsonb_` and the same
/// name, on a document of the type the prefix names (an untyped literal
/// becomes one).
fn resolve_json_document(name: &str, a: &[DataType]) -> Option<FunctionSignature> {
    use DataType as T;
    use FunctionId as F;
    let (doc, function) = match name.strip_prefix("jsonb_") {
        Some(function) => (T::Jsonb, function),
        None => (T::Json, name.strip_prefix("json_")?),
    };
    if !a.first().is_some_and(|t| *t == doc || *t == T::Unknown) {
        return None;
    }
    match (function, a.len()) {
        ("typeof", 1) => sig(F::JsonTypeof, vec![doc], T::Text),
        ("array_length", 1) => sig(F::JsonArrayLength, vec![doc], T::Int4),
        ("strip_nulls", 1) => sig(F::JsonStripNulls, vec![doc], doc),
        ("extract_path" | "extract_path_text", n)
            if n >= 2 && a[1..].iter().all(|t| is_text(*t)) =>
        {
            let as_text = function == "extract_path_text";
            let mut args = vec![T::Text; n];
            args[0] = doc;
            sig(
                F::JsonExtractPath { as_text },
                args,
                if as_text { T::Text } else { doc },
            )
        }
        _ => None,
    }
}

fn resolve_other(name: &str, a: &[DataType]) -> Option<FunctionSignature> {
    use DataType as T;
    use FunctionId as F;
    let variadic = |id| FunctionSignature {
        id,
        args: a.to_vec(),
        result: T::Text,
        strict: false,
    };
    let jsonb = |t: &DataType| matches!(t, T::Jsonb | T::Unknown);
    // "any" arguments: an untyped literal is text, as PostgreSQL resolves it.
    let any_args = || {
        a.iter()
            .map(|t| if *t == T::Unknown { T::Text } else { *t })
            .collect()
    };
    if let Some(signature) = resolve_json_document(name, a) {
        return Some(signature);
    }
    match (name, a.len()) {
        ("to_json", 1) => sig(F::ToJson, any_args(), T::Json),
        ("array_to_json", 1) if matches!(a[0], T::Array(_)) => sig(F::ToJson, a.to_vec(), T::Json),
        ("json_object", 1 | 2)
            if a.iter()
                .all(|t| matches!(t, T::Array(T::Text) | T::Unknown)) =>
        {
            sig(F::JsonObject, vec![T::Array(&T::Text); a.len()], T::Json)
        }
        ("to_jsonb", 1) => sig(F::ToJsonb, any_args(), T::Jsonb),
        ("jsonb_set", 3 | 4)
            if jsonb(&a[0])
                && matches!(a[1], T::Array(T::Text) | T::Unknown)
                && jsonb(&a[2])
                && a[3..].iter().all(|t| matches!(t, T::Bool | T::Unknown)) =>
        {
            let args = [T::Jsonb, T::Array(&T::Text), T::Jsonb, T::Bool];
            sig(F::JsonbSet, args[..a.len()].to_vec(), T::Jsonb)
        }
        (
            "json_build_object" | "json_build_array" | "jsonb_build_object" | "jsonb_build_array",
            _,
        ) => {
            let (id, result) = match name {
                "json_build_object" => (F::JsonBuildObject, T::Json),
                "json_build_array" => (F::JsonBuildArray, T::Json),
                "jsonb_build_object" => (F::JsonbBuildObject, T::Jsonb),
                _ => (F::JsonbBuildArray, T::Jsonb),
            };
            Some(FunctionSignature {
                id,
                args: any_args(),
                result,
                strict: false,
            })
        }
        ("concat", n) if n >= 1 => Some(variadic(F::Concat)),
        ("concat_ws", n) if n >= 1 && is_text(a[0]) => {
            let mut s = variadic(F::ConcatWs);
            s.args[0] = T::Text;
            Some(s)
        }
        ("format", n) if n >= 1 && is_text(a[0]) => {
            let mut s = variadic(F::Format);
            s.args[0] = T::Text;
            Some(s)
        }
        ("quote_literal", 1) => Some(FunctionSignature {
            strict: true,
            ..variadic(F::QuoteLiteral)
        }),
        ("quote_nullable", 1) => Some(variadic(F::QuoteNullable)),
        ("greatest" | "least", n) if n >= 1 => {
            let common = common_type(a)?;
            let id = if name == "greatest" {
                F::Greatest
            } else {
                F::Least
            };
            Some(FunctionSignature {
                id,
                args: vec![common; n],
                result: common,
                strict: false,
            })
        }
        ("now" | "transaction_timestamp" | "statement_timestamp" | "current_timestamp", 0) => {
            sig(F::Now, vec![], T::Timestamptz)
        }
        ("clock_timestamp", 0) => sig(F::ClockTimestamp, vec![], T::Timestamptz),
        // (to_hex of a smallint fits both, 42725 in PostgreSQL.)
        ("to_hex", 1) if a[0] == T::Int4 => sig(F::ToHex, vec![T::Int4], T::Text),
        ("to_hex", 1) if a[0] == T::Int8 => sig(F::ToHex, vec![T::Int8], T::Text),
        // A date is a timestamptz here, PostgreSQL's preferred date/time type.
        ("to_char", 2) if is_text(a[1]) => match a[0] {
            T::Timestamp => sig(F::ToChar, vec![T::Timestamp, T::Text], T::Text),
            T::Timestamptz | T::Date => sig(F::ToChar, vec![T::Timestamptz, T::Text], T::Text),
            _ => None,
        },
        ("make_date", 3) if a.iter().all(|t| is_int4(*t)) => {
            sig(F::MakeDate, vec![T::Int4; 3], T::Date)
        }
        ("to_timestamp", 1) if a[0].is_numeric() || a[0] == T::Unknown => {
            sig(F::ToTimestamp, vec![T::Float8], T::Timestamptz)
        }
        ("current_date", 0) => sig(F::CurrentDate, vec![], T::Date),
        ("localtimestamp", 0) => sig(F::LocalTimestamp, vec![], T::Timestamp),
        // uuid-ossp's name for it, which ORMs (TypeORM) use as a column default
        // even where `CREATE EXTENSION "uuid-ossp"` failed, as it does here.
        ("gen_random_uuid" | "uuid_generate_v4", 0) => sig(F::GenRandomUuid, vec![], T::Uuid),
        ("version", 0) => sig(F::Version, vec![], T::Text),
        ("date_trunc", 2) if is_text(a[0]) => {
            let t = match a[1] {
                T::Timestamp => T::Timestamp,
                T::Timestamptz | T::Date | T::Unknown => T::Timestamptz,
                _ => return None,
            };
            sig(F::DateTrunc, vec![T::Text, t], t)
        }
        ("timezone", 2) if is_text(a[0]) => match a[1] {
            T::Timestamp => sig(F::Timezone, vec![T::Text, T::Timestamp], T::Timestamptz),
            // A date (or an untyped literal) is read as a timestamptz, in the
            // session's zone, as PostgreSQL prefers it.
            T::Timestamptz | T::Date | T::Unknown => {
                sig(F::Timezone, vec![T::Text, T::Timestamptz], T::Timestamp)
            }
            _ => None,
        },
        ("extract" | "date_part", 2) if is_text(a[0]) => {
            let t = match a[1] {
                T::Timestamp | T::Timestamptz | T::Date | T::Interval => a[1],
                T::Unknown if name == "date_part" => T::Timestamptz,
                _ => return None,
            };
            // date_part has no date variant: a date is read as a timestamp.
            let (id, t, result) = match name {
                "extract" => (F::Extract, t, T::Numeric(None)),
                _ if t == T::Date => (F::DatePart, T::Timestamp, T::Float8),
                _ => (F::DatePart, t, T::Float8),
            };
            sig(id, vec![T::Text, t], result)
        }
        _ => resolve_catalog(name, a),
    }
}

/// The advisory lock function `name` (`pg_try_advisory_xact_lock_shared`, …)
/// and its result type, if it is one.
fn advisory_function(name: &str) -> Option<(CatalogFunction, DataType)> {
    let name = name.strip_prefix("pg_")?;
    let (wait, name) = match name.strip_prefix("try_") {
        Some(rest) => (false, rest),
        None => (true, name),
    };
    let (shared, name) = match name.strip_suffix("_shared") {
        Some(rest) => (true, rest),
        None => (false, name),
    };
    Some(match name {
        "advisory_lock" | "advisory_xact_lock" => (
            CatalogFunction::AdvisoryLock {
                shared,
                transaction: name == "advisory_xact_lock",
                wait,
            },
            if wait { DataType::Void } else { DataType::Bool },
        ),
        "advisory_unlock" if wait => (CatalogFunction::AdvisoryUnlock { shared }, DataType::Bool),
        _ => return None,
    })
}

/// The type a sequence function takes its sequence as: text stays text (read
/// as a name when the call runs), anything else is a `regclass`.
fn sequence_arg(given: DataType) -> DataType {
    if given == DataType::Text {
        DataType::Text
    } else {
        DataType::Oid(super::OidAlias::RegClass)
    }
}

/// The functions of the catalog queries psql and drivers send.
fn resolve_catalog(name: &str, a: &[DataType]) -> Option<FunctionSignature> {
    use CatalogFunction as C;
    use ConstantFunction as K;
    use DataType as T;
    use FunctionId as F;
    let oid = T::Oid(super::OidAlias::Oid);
    let regclass = T::Oid(super::OidAlias::RegClass);
    let is_oid = |t: DataType| matches!(t, T::Oid(_) | T::Unknown) || t.is_integer();
    let is_bool = |t: DataType| matches!(t, T::Bool | T::Unknown);
    let text1 = a.len() == 1 && is_text(a[0]);
    let constant = |c, result| FunctionSignature {
        id: F::Constant(c),
        args: a.to_vec(),
        result,
        strict: false,
    };
    let catalog = |c, args: Vec<DataType>, result| sig(F::Catalog(c), args, result);
    match (name, a.len()) {
        ("quote_ident", 1) if text1 => sig(F::QuoteIdent, vec![T::Text], T::Text),
        ("format_type", 2) if is_oid(a[0]) && is_int4(a[1]) => Some(FunctionSignature {
            id: F::FormatType,
            args: vec![oid, T::Int4],
            result: T::Text,
            // format_type(t, NULL) is the type without a modifier.
            strict: false,
        }),
        ("pg_encoding_to_char", 1) if is_int4(a[0]) => {
            sig(F::PgEncodingToChar, vec![T::Int4], T::Name)
        }
        ("current_schema", 0) => catalog(C::CurrentSchema, vec![], T::Name),
        ("pg_is_in_recovery", 0) => Some(constant(K::False, T::Bool)),
        ("pg_last_xact_replay_timestamp", 0) => Some(constant(K::Null, T::Timestamptz)),
        ("pg_last_wal_receive_lsn" | "pg_last_wal_replay_lsn", 0) => {
            Some(constant(K::Null, T::Text))
        }
        ("pg_tablespace_location", 1) if is_oid(a[0]) => Some(constant(K::Empty, T::Text)),
        ("current_schemas", 1) if matches!(a[0], T::Bool | T::Unknown) => {
            catalog(C::CurrentSchemas, vec![T::Bool], T::Array(&T::Name))
        }
        ("current_user" | "session_user" | "user" | "current_role", 0) => {
            catalog(C::CurrentUser, vec![], T::Name)
        }
        ("current_database" | "current_catalog", 0) => catalog(C::CurrentDatabase, vec![], T::Name),
        ("pg_backend_pid", 0) => catalog(C::BackendPid, vec![], T::Int4),
        ("pg_postmaster_start_time", 0) => catalog(C::PostmasterStartTime, vec![], T::Timestamptz),
        ("inet_client_addr" | "inet_server_addr", 0) => catalog(
            C::ConnectionAddress {
                server: name == "inet_server_addr",
                port: false,
            },
            vec![],
            T::Text,
        ),
        ("inet_client_port" | "inet_server_port", 0) => catalog(
            C::ConnectionAddress {
                server: name == "inet_server_port",
                port: true,
            },
            vec![],
            T::Int4,
        ),
        ("pg_cancel_backend", 1) if is_int4(a[0]) => {
            catalog(C::CancelBackend, vec![T::Int4], T::Bool)
        }
        // PostgreSQL's second argument waits for the session to end; waiting
        // has no place under the database lock, so only 0, no wait, is served
        // (the function refuses other values).
        ("pg_terminate_backend", 1 | 2)
            if is_int4(a[0]) && a[1..].iter().all(|t| t.is_integer() || *t == T::Unknown) =>
        {
            catalog(
                C::TerminateBackend,
                [T::Int4, T::Int8][..a.len()].to_vec(),
                T::Bool,
            )
        }
        ("pg_advisory_unlock_all", 0) => catalog(C::AdvisoryUnlockAll, vec![], T::Void),
        ("pg_notify", 2) if is_text(a[0]) && is_text(a[1]) => Some(FunctionSignature {
            id: F::Catalog(C::Notify),
            args: vec![T::Text, T::Text],
            result: T::Void,
            strict: false,
        }),
        ("pg_listening_channels", 0) => catalog(C::ListeningChannels, vec![], T::Array(&T::Text)),
        ("pg_notification_queue_usage", 0) => catalog(C::NotificationQueueUsage, vec![], T::Float8),
        ("pg_sleep", 1) if a[0].is_numeric() || a[0] == T::Unknown => {
            catalog(C::Sleep(SleepUntil::Seconds), vec![T::Float8], T::Void)
        }
        ("pg_sleep_for", 1) if matches!(a[0], T::Interval | T::Unknown) => {
            catalog(C::Sleep(SleepUntil::Interval), vec![T::Interval], T::Void)
        }
        ("pg_sleep_until", 1)
            if matches!(a[0], T::Timestamptz | T::Timestamp | T::Date | T::Unknown) =>
        {
            catalog(C::Sleep(SleepUntil::Moment), vec![T::Timestamptz], T::Void)
        }
        (name, 1 | 2) if name.starts_with("pg_") && name.contains("advisory_") => {
            let args = match a {
                [key] if is_int4(*key) || *key == T::Int8 => vec![T::Int8],
                [high, low] if is_int4(*high) && is_int4(*low) => vec![T::Int4, T::Int4],
                _ => return None,
            };
            let (function, result) = advisory_function(name)?;
            catalog(function, args, result)
        }
        ("current_setting", 1 | 2) if is_text(a[0]) && a[1..].iter().all(|t| is_bool(*t)) => {
            catalog(
                C::CurrentSetting,
                [T::Text, T::Bool][..a.len()].to_vec(),
                T::Text,
            )
        }
        ("set_config", 3) if is_text(a[0]) && is_text(a[1]) && is_bool(a[2]) => {
            Some(FunctionSignature {
                id: F::Catalog(C::SetConfig),
                args: vec![T::Text, T::Text, T::Bool],
                result: T::Text,
                strict: false,
            })
        }
        ("pg_relation_size", 1 | 2) if is_oid(a[0]) && a[1..].iter().all(|t| is_text(*t)) => {
            let part = C::RelationSize(RelationPart::Own);
            catalog(part, [regclass, T::Text][..a.len()].to_vec(), T::Int8)
        }
        ("pg_table_size" | "pg_indexes_size" | "pg_total_relation_size", 1) if is_oid(a[0]) => {
            let part = match name {
                "pg_table_size" => RelationPart::Own,
                "pg_indexes_size" => RelationPart::Indexes,
                _ => RelationPart::Total,
            };
            catalog(C::RelationSize(part), vec![regclass], T::Int8)
        }
        // An untyped literal is a name, as PostgreSQL prefers the string form.
        ("pg_database_size", 1) if is_text(a[0]) => {
            catalog(C::DatabaseSize, vec![T::Name], T::Int8)
        }
        ("pg_database_size", 1) if is_oid(a[0]) => catalog(C::DatabaseSize, vec![oid], T::Int8),
        ("to_regclass" | "to_regtype" | "to_regproc" | "to_regnamespace" | "to_regrole", 1)
            if text1 =>
        {
            let alias = match name {
                "to_regclass" => super::OidAlias::RegClass,
                "to_regtype" => super::OidAlias::RegType,
                "to_regproc" => super::OidAlias::RegProc,
                "to_regnamespace" => super::OidAlias::RegNamespace,
                _ => super::OidAlias::RegRole,
            };
            catalog(C::ToReg(alias), vec![T::Text], T::Oid(alias))
        }
        // A sequence by OID, or by name: an untyped literal reads as `regclass`,
        // a text value is read as one when the call runs (PostgreSQL's implicit
        // text-to-regclass cast).
        ("nextval" | "currval", 1) if is_oid(a[0]) || is_text(a[0]) => {
            let function = if name == "nextval" {
                C::NextVal
            } else {
                C::CurrVal
            };
            catalog(function, vec![sequence_arg(a[0])], T::Int8)
        }
        ("setval", 2 | 3)
            if (is_oid(a[0]) || is_text(a[0]))
                && (a[1].is_integer() || a[1] == T::Unknown)
                && a[2..].iter().all(|t| is_bool(*t)) =>
        {
            catalog(
                C::SetVal,
                [sequence_arg(a[0]), T::Int8, T::Bool][..a.len()].to_vec(),
                T::Int8,
            )
        }
        ("lastval", 0) => catalog(C::LastVal, vec![], T::Int8),
        ("pg_get_serial_sequence", 2) if is_text(a[0]) && is_text(a[1]) => {
            catalog(C::SerialSequence, vec![T::Text, T::Text], T::Text)
        }
        ("pg_get_userbyid", 1) if is_oid(a[0]) => catalog(C::UserById, vec![oid], T::Name),
        ("pg_get_indexdef", 1 | 3) if is_oid(a[0]) => {
            let mut args = vec![oid];
            args.extend([T::Int4, T::Bool].into_iter().take(a.len() - 1));
            catalog(C::IndexDef, args, T::Text)
        }
        ("pg_get_constraintdef", 1 | 2) => catalog(
            C::ConstraintDef,
            [oid, T::Bool][..a.len()].to_vec(),
            T::Text,
        ),
        ("pg_get_viewdef", 1 | 2) if is_oid(a[0]) => {
            catalog(C::ViewDef, [oid, T::Bool][..a.len()].to_vec(), T::Text)
        }
        ("pg_get_triggerdef", 1 | 2) if is_oid(a[0]) => {
            catalog(C::TriggerDef, [oid, T::Bool][..a.len()].to_vec(), T::Text)
        }
        ("acldefault", 2) if matches!(a[0], T::InternalChar | T::Unknown) && is_oid(a[1]) => {
            catalog(
                C::AclDefault,
                vec![T::InternalChar, oid],
                T::Array(&T::Text),
            )
        }
        ("pg_get_function_arguments" | "pg_get_function_identity_arguments", 1) => {
            catalog(C::FunctionArguments, vec![oid], T::Text)
        }
        ("pg_get_function_result", 1) => catalog(C::FunctionResult, vec![oid], T::Text),
        ("pg_partition_ancestors", 1) if is_oid(a[0]) => {
            catalog(C::FirstArgument, vec![regclass], regclass)
        }
        ("pg_get_expr", 2 | 3) if is_text(a[0]) => catalog(
            C::Expression,
            [T::Text, oid, T::Bool][..a.len()].to_vec(),
            T::Text,
        ),
        ("pg_table_is_visible", 1) if is_oid(a[0]) => {
            catalog(C::IsVisible(super::OidAlias::RegClass), vec![oid], T::Bool)
        }
        ("pg_type_is_visible", 1) if is_oid(a[0]) => {
            catalog(C::IsVisible(super::OidAlias::RegType), vec![oid], T::Bool)
        }
        ("pg_function_is_visible", 1) if is_oid(a[0]) => {
            catalog(C::IsVisible(super::OidAlias::RegProc), vec![oid], T::Bool)
        }
        ("pg_collation_is_visible", 1) if is_oid(a[0]) => {
            catalog(C::CollationIsVisible, vec![oid], T::Bool)
        }
        ("pg_relation_is_publishable", 1) if is_oid(a[0]) => Some(constant(K::True, T::Bool)),
        (
            "has_table_privilege"
            | "has_schema_privilege"
            | "has_database_privilege"
            | "has_function_privilege"
            | "has_column_privilege"
            | "has_any_column_privilege"
            | "has_sequence_privilege",
            2..=4,
        ) => Some(constant(K::True, T::Bool)),
        ("obj_description", 1 | 2) if is_oid(a[0]) && a[1..].iter().all(|t| is_text(*t)) => {
            catalog(C::Description, [oid, T::Text][..a.len()].to_vec(), T::Text)
        }
        ("shobj_description", 1 | 2)
        | ("col_description", 2)
        | ("pg_get_statisticsobjdef_columns", 1) => Some(constant(K::Null, T::Text)),
        ("pg_get_ruledef", 1 | 2) if is_oid(a[0]) => Some(constant(K::Null, T::Text)),
        _ => resolve_array(name, a),
    }
}

/// The document of a jsonb argument.
fn jsonb_text(value: &Value) -> &str {
    match value {
        Value::Jsonb(text) => text,
        _ => "null",
    }
}

/// Array functions: the element type comes from the array argument.
fn resolve_array(name: &str, a: &[DataType]) -> Option<FunctionSignature> {
    use DataType as T;
    use FunctionId as F;
    // The binder hands the bound functions a vector as it is, not as an array:
    // its subscripts start at 0.
    if let Some(T::Vector(_)) = a.first() {
        return resolve_bounds(name, a, 0);
    }
    let array = match a.first() {
        Some(t @ T::Array(_)) => *t,
        _ => return None,
    };
    let T::Array(element) = array else {
        return None;
    };
    match (name, a.len()) {
        ("array_to_string", 2 | 3) if a[1..].iter().all(|t| is_text(*t)) => FunctionSignature {
            id: F::ArrayToString,
            args: [array, T::Text, T::Text][..a.len()].to_vec(),
            result: T::Text,
            // A NULL null_text means "skip NULLs", as if it were not given.
            strict: false,
        }
        .into(),
        ("array_position", 2) => FunctionSignature {
            id: F::ArrayPosition,
            args: vec![array, *element],
            result: T::Int4,
            strict: false,
        }
        .into(),
        ("array_length", 2) if is_int4(a[1]) => sig(F::ArrayLength, vec![array, T::Int4], T::Int4),
        ("array_lower" | "array_upper" | "array_dims", _) => resolve_bounds(name, a, 1),
        ("cardinality", 1) => sig(F::Cardinality, vec![array], T::Int4),
        _ => None,
    }
}

/// `array_lower(a, dim)`, `array_upper(a, dim)` and `array_dims(a)` of `a[0]`,
/// an array or vector whose subscripts start at `first`.
fn resolve_bounds(name: &str, a: &[DataType], first: i8) -> Option<FunctionSignature> {
    use DataType as T;
    use FunctionId as F;
    match (name, a.len()) {
        ("array_lower", 2) if is_int4(a[1]) => {
            sig(F::ArrayLower { first }, vec![a[0], T::Int4], T::Int4)
        }
        ("array_upper", 2) if is_int4(a[1]) => {
            sig(F::ArrayUpper { first }, vec![a[0], T::Int4], T::Int4)
        }
        ("array_dims", 1) => sig(F::ArrayDims { first }, vec![a[0]], T::Text),
        _ => None,
    }
}

/// The common type of `greatest`/`least` arguments (PostgreSQL's UNION/CASE rule
/// for our types): numbers widen, untyped literals follow the others.
pub fn common_type(types: &[DataType]) -> Option<DataType> {
    let mut common = DataType::Unknown;
    for &t in types {
        let t = if let DataType::Varchar(_) | DataType::Bpchar(_) = t {
            DataType::Text
        } else {
            t
        };
        common = match (common, t) {
            (DataType::Unknown, t) | (t, DataType::Unknown) => t,
            (a, b) if a == b => a,
            (a, b) if a.is_numeric() && b.is_numeric() => common_numeric(a, b),
            (DataType::Date, DataType::Timestamp) | (DataType::Timestamp, DataType::Date) => {
                DataType::Timestamp
            }
            (DataType::Date | DataType::Timestamp, DataType::Timestamptz)
            | (DataType::Timestamptz, DataType::Date | DataType::Timestamp) => {
                DataType::Timestamptz
            }
            _ => return None,
        };
    }
    Some(if common == DataType::Unknown {
        DataType::Text
    } else {
        common
    })
}

/// Evaluates a resolved function on arguments cast to its signature. Strict
/// functions return NULL for any NULL argument.
pub fn eval_function(
    f: &FunctionId,
    args: &[Value],
    ctx: &FunctionContext,
) -> Result<Value, TypeError> {
    use FunctionId as F;
    let non_strict = matches!(
        f,
        F::Concat
            | F::ConcatWs
            | F::Format
            | F::QuoteNullable
            | F::Greatest
            | F::Least
            | F::AnyAll { .. }
            | F::ArrayConstructor
            | F::ArrayToString
            | F::ArrayPosition
            | F::ArrayCat
            | F::ArrayRemove
            | F::JsonbBuildObject
            | F::JsonbBuildArray
            | F::JsonBuildObject
            | F::JsonBuildArray
            | F::JsonRow { .. }
            | F::FormatType
            | F::StringToArray
            | F::UnnestRows
            | F::Constant(_)
    );
    if !non_strict && args.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    let text = |i: usize| match args.get(i) {
        Some(Value::Text(s)) => s.as_str(),
        _ => "",
    };
    let int = |i: usize| args.get(i).and_then(Value::as_i64).unwrap_or(0);
    let tz = &ctx.time_zone;
    // How concat, format, quote_literal and array_to_string write their arguments.
    let style = ctx.text_style();
    Ok(match f {
        F::Lower => Value::Text(string::lower(text(0))),
        F::Upper => Value::Text(string::upper(text(0))),
        F::Initcap => Value::Text(string::initcap(text(0))),
        F::Length => Value::Int4(text(0).chars().count() as i32),
        F::OctetLength => Value::Int4(match &args[0] {
            Value::Bytea(b) => b.len(),
            _ => text(0).len(),
        } as i32),
        F::Abs
        | F::Round
        | F::Trunc
        | F::Ceil
        | F::Floor
        | F::Sqrt
        | F::Cbrt
        | F::Sign
        | F::Exp
        | F::Ln
        | F::Log10 => math::eval_unary_math(*f, &args[0])?,
        F::RoundTo | F::TruncTo | F::Power | F::Mod | F::Div | F::LogBase => {
            math::eval_binary_math(*f, &args[0], &args[1])?
        }
        F::Pi => Value::Float8(std::f64::consts::PI),
        F::Random => Value::Float8(rand::random::<f64>()),
        F::Greatest | F::Least => extreme(args, *f == F::Greatest)?,
        F::Concat => Value::Text(string::concat(args.iter(), style)),
        F::ConcatWs => match &args[0] {
            Value::Null => Value::Null,
            _ => Value::Text(string::concat_ws(text(0), &args[1..], style)),
        },
        F::Format => match &args[0] {
            Value::Null => Value::Null,
            _ => Value::Text(string::format(text(0), &args[1..], style)?),
        },
        F::QuoteLiteral | F::QuoteNullable => match &args[0] {
            Value::Null => Value::Text("NULL".into()),
            v => {
                let mut text = String::new();
                v.write_text(&mut text, style);
                Value::Text(string::quote_literal(&text))
            }
        },
        F::Substring => Value::Text(string::substring(
            text(0),
            int(1),
            args.get(2).map(|_| int(2)),
        )?),
        F::Strpos => Value::Int4(string::strpos(text(0), text(1))),
        F::Replace => Value::Text(string::replace(text(0), text(1), text(2))),
        F::Btrim | F::Ltrim | F::Rtrim => {
            let chars = if args.len() > 1 { text(1) } else { " " };
            Value::Text(string::trim(text(0), chars, *f != F::Rtrim, *f != F::Ltrim))
        }
        F::Left => Value::Text(string::left(text(0), int(1))),
        F::Right => Value::Text(string::right(text(0), int(1))),
        F::Lpad | F::Rpad => {
            let fill = if args.len() > 2 { text(2) } else { " " };
            Value::Text(string::pad(text(0), int(1), fill, *f == F::Lpad)?)
        }
        F::Repeat => Value::Text(string::repeat(text(0), int(1))?),
        F::Reverse => Value::Text(text(0).chars().rev().collect()),
        F::SplitPart => Value::Text(string::split_part(text(0), text(1), int(2))?),
        F::StartsWith => Value::Bool(text(0).starts_with(text(1))),
        F::ToChar => super::to_char::to_char(&args[0], text(1), tz)?,
        F::ToHex => Value::Text(match &args[0] {
            Value::Int4(i) => format!("{:x}", *i as u32),
            _ => format!("{:x}", int(0) as u64),
        }),
        F::MakeDate => Value::Date(super::time::make_date(int(0), int(1), int(2))?),
        F::ToTimestamp => Value::Timestamptz(super::time::from_unix_seconds(match &args[0] {
            Value::Float8(x) => *x,
            _ => f64::NAN,
        })?),
        F::RegexpReplace => Value::Text(super::regex::replace(
            text(0),
            text(1),
            text(2),
            args.get(3).map_or("", |_| text(3)),
        )?),
        F::RegexpCount => Value::Int4(super::regex::count(
            text(0),
            text(1),
            args.get(2).map_or(1, |_| int(2)),
            args.get(3).map_or("", |_| text(3)),
        )?),
        F::RegexpSubstr => super::regex::substr(
            text(0),
            text(1),
            args.get(2).map_or(1, |_| int(2)),
            args.get(3).map_or(1, |_| int(3)),
            args.get(4).map_or("", |_| text(4)),
            args.get(5).map_or(0, |_| int(5)),
        )?
        .map_or(Value::Null, Value::Text),
        F::RegexpInstr => Value::Int4(super::regex::instr(
            text(0),
            text(1),
            args.get(2).map_or(1, |_| int(2)),
            args.get(3).map_or(1, |_| int(3)),
            args.get(4).map_or(0, |_| int(4)),
            args.get(5).map_or("", |_| text(5)),
            args.get(6).map_or(0, |_| int(6)),
        )?),
        F::RegexpMatches => Value::Array(super::regex::all_matches(
            text(0),
            text(1),
            args.get(2).map_or("", |_| text(2)),
        )?),
        F::RegexpLike => Value::Bool(super::regex::like(
            text(0),
            text(1),
            args.get(2).map_or("", |_| text(2)),
        )?),
        F::RegexpSplit { table } => Value::Array(super::regex::split(
            text(0),
            text(1),
            args.get(2).map_or("", |_| text(2)),
            if *table {
                "regexp_split_to_table"
            } else {
                "regexp_split_to_array"
            },
        )?),
        F::RegexpMatch => {
            super::regex::first_match(text(0), text(1), args.get(2).map_or("", |_| text(2)))?
                .map_or(Value::Null, Value::Array)
        }
        F::StringToArray => match (&args[0], &args[1]) {
            (Value::Null, _) => Value::Null,
            (_, delimiter) => Value::Array(string::string_to_array(
                text(0),
                match delimiter {
                    Value::Text(d) => Some(d.as_str()),
                    _ => None,
                },
                match args.get(2) {
                    Some(Value::Text(null)) => Some(null.as_str()),
                    _ => None,
                },
            )),
        },
        F::SubstringRegex => {
            super::regex::substring(text(0), text(1))?.map_or(Value::Null, Value::Text)
        }
        F::SubstringSimilar => {
            let pattern = super::regex::similar_to_escape(text(1), Some(text(2)))?;
            super::regex::substring(text(0), &pattern)?.map_or(Value::Null, Value::Text)
        }
        F::SimilarToEscape => Value::Text(super::regex::similar_to_escape(
            text(0),
            args.get(1).map(|_| text(1)),
        )?),
        F::Md5 => Value::Text(match &args[0] {
            Value::Bytea(b) => format!("{:x}", md5::compute(b)),
            _ => format!("{:x}", md5::compute(text(0))),
        }),
        F::GetByte => {
            let bytes = match &args[0] {
                Value::Bytea(b) => b.as_slice(),
                _ => &[],
            };
            let n = int(1);
            let byte = usize::try_from(n)
                .ok()
                .and_then(|i| bytes.get(i))
                .ok_or_else(|| {
                    TypeError::SubscriptOutOfRange(format!(
                        "index {n} out of valid range, 0..{}",
                        bytes.len() as i64 - 1
                    ))
                })?;
            Value::Int4(i32::from(*byte))
        }
        F::Chr => Value::Text(string::chr(int(0))?),
        F::Ascii => Value::Int4(text(0).chars().next().map_or(0, |c| c as i32)),
        F::Now => Value::Timestamptz(ctx.statement_timestamp),
        F::ClockTimestamp => Value::Timestamptz(super::time::now_us()),
        F::CurrentDate => super::cast::cast_in(
            Value::Timestamptz(ctx.statement_timestamp),
            DataType::Date,
            super::CastKind::Explicit,
            tz,
        )?,
        F::LocalTimestamp => super::cast::cast_in(
            Value::Timestamptz(ctx.statement_timestamp),
            DataType::Timestamp,
            super::CastKind::Explicit,
            tz,
        )?,
        F::DateTrunc => date_trunc(text(0), &args[1], tz)?,
        F::Timezone => {
            // The conversion is the cast between the two types, in that zone.
            let zone = TimeZone::parse_for_conversion(text(0))?;
            let to = match args[1] {
                Value::Timestamptz(_) => DataType::Timestamp,
                _ => DataType::Timestamptz,
            };
            super::cast::cast_in(args[1].clone(), to, super::CastKind::Explicit, &zone)?
        }
        F::Extract => extract(text(0), &args[1], tz)?,
        F::DatePart => date_part(text(0), &args[1], tz)?,
        F::GenRandomUuid => Value::Uuid(*uuid::Uuid::new_v4().as_bytes()),
        F::Version => {
            Value::Text("PostgreSQL 15.0 (Turnstile 0.1.0) on x86_64-pc-linux-gnu".to_owned())
        }
        F::RegexMatch { case_insensitive } => {
            Value::Bool(super::regex::matches(text(0), text(1), *case_insensitive)?)
        }
        F::AnyAll { op, all } => array::any_all(*op, &args[0], &args[1], *all)?,
        F::Subscript => array::subscript(&args[0], int(1)),
        F::VectorOut => match &args[0] {
            Value::Array(items) => {
                let mut out = String::new();
                super::text::write_vector(&mut out, items);
                Value::Text(out)
            }
            other => unreachable!("a vector is an array, not {other:?}"),
        },
        F::VectorSubscript => match int(1).checked_add(1) {
            Some(from_one) => array::subscript(&args[0], from_one),
            None => Value::Null,
        },
        F::NameByte => match usize::try_from(int(1)) {
            Ok(i) if i < NAME_BYTES => {
                let byte = text(0).as_bytes().get(i).copied().unwrap_or(0);
                Value::Text(internal_char_text(byte))
            }
            _ => Value::Null,
        },
        F::ArrayConstructor => Value::Array(args.to_vec()),
        F::ArrayToString => match (&args[0], &args[1]) {
            (Value::Null, _) | (_, Value::Null) => Value::Null,
            _ => array::to_string(&args[0], text(1), args.get(2).and_then(text_of), style),
        },
        F::ArrayPosition => array::position(&args[0], &args[1])?,
        F::ArrayLower { first } => array::lower(&args[0], int(1), *first),
        F::ArrayUpper { first } => array::upper(&args[0], int(1), *first),
        F::ArrayDims { first } => array::dims(&args[0], *first),
        F::ArrayLength => array::length(&args[0], int(1)),
        F::BitNot => match args[0] {
            Value::Int2(x) => Value::Int2(!x),
            Value::Int4(x) => Value::Int4(!x),
            Value::Int8(x) => Value::Int8(!x),
            ref other => unreachable!("the binder gives ~ an integer, not {other:?}"),
        },
        F::Cardinality => array::cardinality(&args[0]),
        F::JsonTypeof => Value::Text(
            match &args[0] {
                Value::Json(document) => json_text::kind(document).name(),
                other => jsonb_ops::type_of(jsonb_text(other))?,
            }
            .into(),
        ),
        F::JsonArrayLength => Value::Int4(match &args[0] {
            Value::Json(document) => json_text::array_length(document)?,
            other => jsonb_ops::array_length(jsonb_text(other))?,
        }),
        F::JsonStripNulls => match &args[0] {
            Value::Json(document) => json_text::strip_nulls(document)?,
            other => jsonb_ops::strip_nulls(jsonb_text(other))?,
        },
        F::JsonExtractPath { as_text } => match &args[0] {
            Value::Json(document) => {
                json_text::path_op(document, &Value::Array(args[1..].to_vec()), *as_text)?
            }
            other => jsonb_ops::path(jsonb_text(other), &args[1..], *as_text)?,
        },
        F::ToJsonb => jsonb_ops::to_jsonb(&args[0], style)?,
        F::JsonbBuildObject => jsonb_ops::build_object(args, style)?,
        F::JsonbBuildArray => jsonb_ops::build_array(args, style)?,
        F::ToJson => json_text::to_json(&args[0], style)?,
        F::JsonObject => json_text::object(&args[0], args.get(1))?,
        F::JsonRow { .. } => json_text::row(args, style)?,
        F::JsonBuildObject => json_text::build_object(args, style)?,
        F::JsonBuildArray => json_text::build_array(args, style)?,
        F::JsonElements { as_text } => match &args[0] {
            Value::Json(document) => json_text::elements_array(document, *as_text)?,
            other => jsonb_ops::elements(jsonb_text(other), *as_text)?,
        },
        F::JsonObjectKeys => match &args[0] {
            Value::Json(document) => json_text::object_keys(document)?,
            other => jsonb_ops::object_keys(jsonb_text(other))?,
        },
        F::UnnestRows => array::zip(args),
        F::JsonEach { as_text } => match &args[0] {
            Value::Json(document) => json_text::each(document, *as_text)?,
            other => jsonb_ops::each(jsonb_text(other), *as_text)?,
        },
        F::OptionsToTable => match &args[0] {
            Value::Array(options) => Value::Array(
                options
                    .iter()
                    .filter_map(|option| match option {
                        Value::Text(option) => Some(option),
                        _ => None,
                    })
                    .map(|option| {
                        let (name, value) = match option.split_once('=') {
                            Some((name, value)) => (name, Value::Text(value.to_owned())),
                            None => (option.as_str(), Value::Null),
                        };
                        Value::Array(vec![Value::Text(name.to_owned()), value])
                    })
                    .collect(),
            ),
            other => unreachable!("pg_options_to_table of a text[], not {other:?}"),
        },
        F::JsonbSet => {
            let path = match &args[1] {
                Value::Array(steps) => steps.as_slice(),
                _ => &[],
            };
            let create = !matches!(args.get(3), Some(Value::Bool(false)));
            jsonb_ops::set(jsonb_text(&args[0]), path, jsonb_text(&args[2]), create)?
        }
        F::ArrayCat => array::cat(&args[0], &args[1]),
        F::ArrayRemove => array::remove(&args[0], &args[1])?,
        F::SizePretty => Value::Text(math::size_pretty(&args[0])?),
        F::QuoteIdent => Value::Text(quote_ident(text(0))),
        F::FormatType => match &args[0] {
            Value::Null => Value::Null,
            _ => Value::Text(format_type(int(0), args[1].as_i64())),
        },
        F::PgEncodingToChar => Value::Text(if int(0) == 6 { "UTF8" } else { "" }.to_owned()),
        F::Constant(ConstantFunction::True) => Value::Bool(true),
        F::Constant(ConstantFunction::False) => Value::Bool(false),
        F::Constant(ConstantFunction::Null) => Value::Null,
        F::Constant(ConstantFunction::Empty) => Value::Text(String::new()),
        F::Catalog(c) => {
            unreachable!("the SQL layer evaluates catalog function {c:?} itself")
        }
    })
}

fn text_of(v: &Value) -> Option<&str> {
    match v {
        Value::Text(s) => Some(s),
        _ => None,
    }
}

/// PostgreSQL 15's key words that an identifier must be quoted to be (every
/// category but unreserved: reserved, column-name and type-or-function-name
/// words), sorted; from `SELECT word FROM pg_get_keywords() WHERE catcode <> 'U'`.
const NON_UNRESERVED_KEYWORDS: [&str; 151] = [
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// `quote_ident`: double quotes unless the name is a plain lower-case identifier
/// that is no key word PostgreSQL would read as one (`"user"`, `"select"`).
pub fn quote_ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && NON_UNRESERVED_KEYWORDS.binary_search(&name).is_err();
    if plain {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `format_type(oid, typmod)`: the SQL name of a type with its modifier, as psql's
/// `\d` shows column types; `???` for an OID that is not a type, as PostgreSQL.
pub fn format_type(oid: i64, typmod: Option<i64>) -> String {
    let Some(ty) = u32::try_from(oid).ok().and_then(DataType::from_oid) else {
        return "???".to_owned();
    };
    let given = typmod.is_some();
    let typmod = typmod.unwrap_or(-1);
    match ty {
        DataType::Varchar(_) if typmod >= 4 => format!("character varying({})", typmod - 4),
        DataType::Bpchar(_) if typmod >= 4 => format!("character({})", typmod - 4),
        // Without a modifier char is `character`; a modifier of -1 says `bpchar`,
        // which is not character(1).
        DataType::Bpchar(_) if !given => "character".to_owned(),
        DataType::Numeric(_) if typmod >= 4 => {
            let t = typmod - 4;
            format!("numeric({},{})", (t >> 16) & 0xffff, t & 0xffff)
        }
        other => other.to_string(),
    }
}

/// `greatest`/`least`: NULLs are ignored; all NULL gives NULL.
fn extreme(args: &[Value], greatest: bool) -> Result<Value, TypeError> {
    let mut best: Option<&Value> = None;
    for v in args.iter().filter(|v| !v.is_null()) {
        best = Some(match best {
            None => v,
            Some(b) => {
                let ord = compare(v, b)?;
                if (greatest && ord.is_gt()) || (!greatest && ord.is_lt()) {
                    v
                } else {
                    b
                }
            }
        });
    }
    Ok(best.cloned().unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests;

/// The bytes of a PostgreSQL `name`, the last always NUL.
const NAME_BYTES: usize = 64;

/// A `"char"` holding `byte`, as PostgreSQL prints one: empty for NUL, the
/// character for ASCII, `\ooo` for a byte that is no character alone.
fn internal_char_text(byte: u8) -> String {
    match byte {
        0 => String::new(),
        1..=0x7f => char::from(byte).to_string(),
        _ => format!("\\{byte:03o}"),
    }
}
