//! SQL that runs unchanged on both databases: the SQLite file of one
//! machine and the PostgreSQL server of several ([`super::postgres`]).
//!
//! Statements are written once, in the subset both understand: numbered
//! parameters `?1`, `?2` … (rewritten to `$1` … for PostgreSQL), whole
//! numbers and text only (booleans are 0 and 1), `ON CONFLICT … DO
//! UPDATE`, and `RETURNING` in place of SQLite's last row id. An
//! [`Executor`] runs them; both databases have one, so the code that uses
//! them, and its tests, are the same for both.

use rusqlite::types::{ToSqlOutput, ValueRef};

/// A parameter or a column: the only types shared statements use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
}

impl From<i64> for Value {
    fn from(value: i64) -> Value {
        Value::Int(value)
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Value {
        Value::Int(i64::from(value))
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Value {
        Value::Text(value.to_owned())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Value {
        Value::Text(value)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Value {
        value.map_or(Value::Null, Into::into)
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(n) => ValueRef::Integer(*n),
            Value::Text(text) => ValueRef::Text(text.as_bytes()),
        }))
    }
}

/// One row of an answer, its columns in the order the statement names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(pub(crate) Vec<Value>);

impl Row {
    /// Column `i` as a whole number.
    pub fn int(&self, i: usize) -> Result<i64, SqlError> {
        match self.0.get(i) {
            Some(Value::Int(n)) => Ok(*n),
            other => Err(SqlError::Type { column: i, expected: "a whole number", found: format!("{other:?}") }),
        }
    }

    /// Column `i` as text.
    pub fn text(&self, i: usize) -> Result<&str, SqlError> {
        match self.0.get(i) {
            Some(Value::Text(text)) => Ok(text),
            other => Err(SqlError::Type { column: i, expected: "text", found: format!("{other:?}") }),
        }
    }

    /// Column `i` as text, or `None` when it is NULL.
    pub fn optional_text(&self, i: usize) -> Result<Option<&str>, SqlError> {
        match self.0.get(i) {
            Some(Value::Null) => Ok(None),
            _ => self.text(i).map(Some),
        }
    }

    /// Column `i` as 0 (false) or anything else (true).
    pub fn bool(&self, i: usize) -> Result<bool, SqlError> {
        self.int(i).map(|n| n != 0)
    }
}

/// What can go wrong running a statement, told apart where callers act on it.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    /// A row with the same unique key exists.
    #[error("a row with the same key exists")]
    Unique,
    /// The database cannot be reached (a server restarting, a broken
    /// connection): the statement may be tried again later.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A column holds another type than the statement's reader expects.
    #[error("column {column} is not {expected} but {found}")]
    Type { column: usize, expected: &'static str, found: String },
    /// Anything else the database reported.
    #[error("{0}")]
    Database(String),
}

impl From<rusqlite::Error> for SqlError {
    fn from(error: rusqlite::Error) -> SqlError {
        match error {
            rusqlite::Error::SqliteFailure(e, _) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
                SqlError::Unique
            }
            other => SqlError::Database(other.to_string()),
        }
    }
}

/// Which database an [`Executor`] runs on, for the rare statement whose
/// best form differs (a join order SQLite must be told).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// Runs shared statements on one database connection.
pub trait Executor {
    fn dialect(&self) -> Dialect;

    /// Runs `sql` with `params`; answers how many rows it changed.
    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, SqlError>;

    /// Runs `sql` with `params`; answers its rows.
    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, SqlError>;

    /// Tells the other machines sharing the database `payload` on
    /// `channel` when the transaction commits. A SQLite file has no other
    /// machines: nothing is sent.
    fn notify(&self, channel: &str, payload: &str) -> Result<(), SqlError> {
        let _ = (channel, payload);
        Ok(())
    }
}

/// A SQLite connection (or a transaction on one, through `Deref`):
/// statements are prepared once per connection and cached.
impl Executor for rusqlite::Connection {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, SqlError> {
        let changed = self.prepare_cached(sql)?.execute(rusqlite::params_from_iter(params))?;
        Ok(changed as u64)
    }

    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, SqlError> {
        let mut statement = self.prepare_cached(sql)?;
        let columns = statement.column_count();
        let rows = statement.query_map(rusqlite::params_from_iter(params), |row| {
            (0..columns)
                .map(|i| {
                    Ok(match row.get_ref(i)? {
                        ValueRef::Null => Value::Null,
                        ValueRef::Integer(n) => Value::Int(n),
                        ValueRef::Text(text) => Value::Text(String::from_utf8_lossy(text).into_owned()),
                        // Shared statements store no fractions or blobs.
                        ValueRef::Real(_) | ValueRef::Blob(_) => {
                            return Err(rusqlite::Error::InvalidColumnType(
                                i,
                                String::new(),
                                row.get_ref(i)?.data_type(),
                            ));
                        }
                    })
                })
                .collect::<rusqlite::Result<Vec<Value>>>()
                .map(Row)
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// Rows one statement inserts at most.
const ROWS_PER_INSERT: usize = 64;

/// Inserts `rows` (each with a value per column of `columns`) into `table`,
/// many a statement: a server is a round trip away, and one statement a row
/// would let a busy machine's insights writer, or a copy, fall behind. Chunks hold 64 rows, then
/// 32, 16 … 1, so only seven statements are ever prepared per table.
pub(crate) fn insert_rows(db: &dyn Executor, table: &str, columns: &str, rows: &[Vec<Value>]) -> Result<(), SqlError> {
    let width = columns.split(',').count();
    let mut rest = rows;
    while !rest.is_empty() {
        let size = if rest.len() >= ROWS_PER_INSERT { ROWS_PER_INSERT } else { 1 << rest.len().ilog2() };
        let (chunk, after) = rest.split_at(size);
        let tuples: Vec<String> = (0..size)
            .map(|row| {
                let places: Vec<String> = (1..=width).map(|column| format!("?{}", row * width + column)).collect();
                format!("({})", places.join(", "))
            })
            .collect();
        let sql = format!("INSERT INTO {table} ({columns}) VALUES {}", tuples.join(", "));
        db.execute(&sql, &chunk.concat())?;
        rest = after;
    }
    Ok(())
}

/// `sql` with SQLite's numbered parameters (`?1`) as PostgreSQL's (`$1`).
/// Question marks inside quoted text are left alone.
pub(crate) fn numbered_parameters(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => quoted = !quoted,
            '?' if !quoted && chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push('$');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_renumbered_outside_quoted_text() {
        assert_eq!(
            numbered_parameters("SELECT a FROM t WHERE b = ?1 AND c = '?2' AND d IN (?2, ?10)"),
            "SELECT a FROM t WHERE b = $1 AND c = '?2' AND d IN ($2, $10)"
        );
        assert_eq!(numbered_parameters("SELECT 'it''s ?1', ?1"), "SELECT 'it''s ?1', $1");
    }

    #[test]
    fn sqlite_runs_shared_statements_and_reports_duplicates() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, note TEXT)").unwrap();
        let db: &dyn Executor = &conn;
        let rows = db.query("INSERT INTO t (name, note) VALUES (?1, ?2) RETURNING id", &["a".into(), Value::Null]);
        assert_eq!(rows.unwrap(), [Row(vec![Value::Int(1)])]);
        let error = db.execute("INSERT INTO t (name) VALUES (?1)", &["a".into()]).unwrap_err();
        assert!(matches!(error, SqlError::Unique), "{error}");
        let rows = db.query("SELECT id, name, note, id > 0 FROM t", &[]).unwrap();
        assert_eq!((rows[0].int(0).unwrap(), rows[0].text(1).unwrap(), rows[0].bool(3).unwrap()), (1, "a", true));
        assert_eq!((rows[0].0[2].clone(), rows[0].optional_text(2).unwrap()), (Value::Null, None));
        assert_eq!(rows[0].optional_text(1).unwrap(), Some("a"));
        assert!(matches!(rows[0].text(0), Err(SqlError::Type { column: 0, .. })));
    }
}
