//! The PostgreSQL server that several machines share (`--database
//! postgres://…`): how a connection is made, the schema, and the
//! [`Executor`] that runs the shared statements of [`super::sql`] on it.
//!
//! The client is the `postgres` crate (rust-postgres: the synchronous face
//! of tokio-postgres), since the store's calls block as SQLite's do and run
//! on the blocking pool. The schema is built by refinery, which records
//! the steps it ran in `refinery_schema_history`; a session-wide advisory
//! lock keeps two machines starting at once from running the same step.

use std::cell::RefCell;
use std::collections::HashMap;

use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls, Statement};
use refinery::{Migration, Runner};

use super::sql::{Dialect, Executor, Row, SqlError, Value, numbered_parameters};

/// The schema, one step per entry: (refinery name, SQL). Never edit a
/// step once shipped; add one. Step 1 is the SQLite file's schema at its
/// version 5 ([`super::MIGRATIONS`]), with whole numbers as `BIGINT` and
/// names compared without ASCII case through `lower(name)`.
const STEPS: &[(&str, &str)] = &[
    ("V1__staff_and_insights", include_str!("postgres/V1__staff_and_insights.sql")),
    ("V2__insights_in_byte_order", include_str!("postgres/V2__insights_in_byte_order.sql")),
];

/// The advisory lock held while the schema is migrated ("weiquan" in ASCII).
const MIGRATION_LOCK: i64 = 0x0077_6569_7175_616e;
/// The advisory lock every transaction takes ("weiquan" and a 1).
const TRANSACTION_LOCK: i64 = MIGRATION_LOCK + 1;

/// One connection to the server, its statements prepared once. Not shared
/// between threads: the store keeps it behind a mutex.
pub struct Postgres {
    client: RefCell<Client>,
    prepared: RefCell<HashMap<String, Statement>>,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres").field("prepared", &self.prepared.borrow().len()).finish_non_exhaustive()
    }
}

impl Postgres {
    /// Connects to `config` and migrates the schema it points at.
    pub fn connect(config: &postgres::Config) -> Result<Postgres, SqlError> {
        let mut client = open(config).map_err(sql_error)?;
        migrate(&mut client)?;
        Ok(Postgres { client: RefCell::new(client), prepared: RefCell::default() })
    }

    /// Runs `change` in one transaction: kept when it returns `Ok`, undone
    /// when it fails. `serialised` transactions of every machine take one
    /// lock first, so they run one after another, as SQLite's immediate
    /// transactions do: staff writes are few, and checks such as "the last
    /// admin" stay true until the transaction ends. The outer error is the
    /// transaction's own (beginning or committing it); the inner one is
    /// `change`'s.
    pub fn transaction<T, E>(
        &self,
        serialised: bool,
        change: impl FnOnce(&dyn Executor) -> Result<T, E>,
    ) -> Result<Result<T, E>, SqlError> {
        self.client.borrow_mut().batch_execute("BEGIN").map_err(sql_error)?;
        let locked = match serialised {
            true => self.execute("SELECT pg_advisory_xact_lock(?1)", &[Value::Int(TRANSACTION_LOCK)]).map(drop),
            false => Ok(()),
        };
        let done = match locked {
            Ok(_) => change(self),
            Err(error) => {
                let _ = self.client.borrow_mut().batch_execute("ROLLBACK");
                return Err(error);
            }
        };
        let end = if done.is_ok() { "COMMIT" } else { "ROLLBACK" };
        match self.client.borrow_mut().batch_execute(end) {
            Ok(()) => Ok(done),
            // A failed change's own error says more than the rollback's.
            Err(_) if done.is_err() => Ok(done),
            Err(error) => Err(sql_error(error)),
        }
    }

    /// Whether the connection has ended (the server restarted, or the
    /// network failed): a new one must be made.
    pub fn is_closed(&self) -> bool {
        self.client.borrow().is_closed()
    }

    fn statement(&self, sql: &str) -> Result<Statement, SqlError> {
        if let Some(statement) = self.prepared.borrow().get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.borrow_mut().prepare(&numbered_parameters(sql)).map_err(sql_error)?;
        self.prepared.borrow_mut().insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

/// How long making a connection may take when the URL does not say
/// (`connect_timeout`): without a bound, a server whose network went dark
/// would hold a request, or the insights writer, for minutes.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// A new connection to `config`, within [`CONNECT_TIMEOUT`] unless the URL
/// sets its own.
fn open(config: &postgres::Config) -> Result<Client, postgres::Error> {
    if config.get_connect_timeout().is_some() {
        return config.connect(NoTls);
    }
    config.clone().connect_timeout(CONNECT_TIMEOUT).connect(NoTls)
}

/// Runs the steps the schema has not had yet.
fn migrate(client: &mut Client) -> Result<(), SqlError> {
    let steps = STEPS
        .iter()
        .map(|(name, sql)| Migration::unapplied(name, sql))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SqlError::Database(e.to_string()))?;
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK]).map_err(sql_error)?;
    let ran = Runner::new(&steps).run(client).map_err(|e| SqlError::Database(e.to_string()));
    client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]).map_err(sql_error)?;
    ran.map(drop)
}

impl Executor for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, SqlError> {
        let statement = self.statement(sql)?;
        let params = bind(&statement, params)?;
        self.client.borrow_mut().execute(&statement, &refs(&params)).map_err(sql_error)
    }

    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, SqlError> {
        let statement = self.statement(sql)?;
        let params = bind(&statement, params)?;
        let rows = self.client.borrow_mut().query(&statement, &refs(&params)).map_err(sql_error)?;
        rows.iter().map(read_row).collect()
    }

    /// `NOTIFY`: delivered to every listening connection when (and only if)
    /// the transaction commits.
    fn notify(&self, channel: &str, payload: &str) -> Result<(), SqlError> {
        self.execute("SELECT pg_notify(?1, ?2)", &[channel.into(), payload.into()]).map(drop)
    }
}

/// What a [`listen`]er hears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// The connection is listening, for the first time or again after it
    /// was lost: what was sent meanwhile was missed, so look at everything.
    Listening,
    /// A payload sent on the channel.
    Payload(String),
}

/// How long a lost listening connection waits before it connects again.
const RECONNECT_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// Listens on `channel` on a connection of its own, in a thread that runs
/// until the process ends, and hands `heard` what it hears. A lost
/// connection is made again (every [`RECONNECT_AFTER`]), and then
/// [`Heard::Listening`] says that payloads may have been missed.
pub fn listen(
    config: postgres::Config,
    channel: &'static str,
    heard: impl Fn(Heard) + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name(format!("listen-{channel}")).spawn(move || {
        loop {
            match listen_once(&config, channel, &heard) {
                Ok(()) => {}
                Err(error) => tracing::warn!(%error, channel, "listening to the database stopped; connecting again"),
            }
            std::thread::sleep(RECONNECT_AFTER);
        }
    })
}

/// One connection's listening, until it fails.
fn listen_once(config: &postgres::Config, channel: &str, heard: &impl Fn(Heard)) -> Result<(), postgres::Error> {
    let mut client = open(config)?;
    client.batch_execute(&format!("LISTEN {channel}"))?;
    heard(Heard::Listening);
    loop {
        {
            let mut notifications = client.notifications();
            let mut waiting = notifications.timeout_iter(std::time::Duration::from_secs(5));
            while let Some(note) = waiting.next()? {
                heard(Heard::Payload(note.payload().to_owned()));
            }
        }
        // Quiet for a while: a closed connection says so only when used.
        client.batch_execute("SELECT 1")?;
    }
}

type Param = Box<dyn ToSql + Sync>;

/// `params` as the types the server inferred for the statement's parameters.
fn bind(statement: &Statement, params: &[Value]) -> Result<Vec<Param>, SqlError> {
    statement
        .params()
        .iter()
        .zip(params)
        .enumerate()
        .map(|(i, (ty, value))| -> Result<Param, SqlError> {
            let wrong = || SqlError::Database(format!("parameter {} is {ty} and cannot take {value:?}", i + 1));
            Ok(match (value, ty) {
                (Value::Int(n), &Type::INT8) => Box::new(*n),
                (Value::Int(n), &Type::INT4) => Box::new(i32::try_from(*n).map_err(|_| wrong())?),
                (Value::Int(n), &Type::BOOL) => Box::new(*n != 0),
                (Value::Text(text), &Type::TEXT | &Type::VARCHAR) => Box::new(text.clone()),
                (Value::Null, &Type::INT8) => Box::new(None::<i64>),
                (Value::Null, &Type::INT4) => Box::new(None::<i32>),
                (Value::Null, &Type::TEXT | &Type::VARCHAR) => Box::new(None::<String>),
                _ => return Err(wrong()),
            })
        })
        .collect()
}

fn refs(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect()
}

fn read_row(row: &postgres::Row) -> Result<Row, SqlError> {
    let column = |i: usize| -> Result<Value, postgres::Error> {
        Ok(match *row.columns()[i].type_() {
            Type::INT8 => row.try_get::<_, Option<i64>>(i)?.map_or(Value::Null, Value::Int),
            Type::INT4 => row.try_get::<_, Option<i32>>(i)?.map_or(Value::Null, |n| Value::Int(n.into())),
            Type::INT2 => row.try_get::<_, Option<i16>>(i)?.map_or(Value::Null, |n| Value::Int(n.into())),
            Type::BOOL => row.try_get::<_, Option<bool>>(i)?.map_or(Value::Null, |b| Value::Int(b.into())),
            _ => row.try_get::<_, Option<String>>(i)?.map_or(Value::Null, Value::Text),
        })
    };
    (0..row.len()).map(|i| column(i).map_err(sql_error)).collect::<Result<_, _>>().map(Row)
}

fn sql_error(error: postgres::Error) -> SqlError {
    // The server's own words where it answered; the client's otherwise.
    let message =
        error.as_db_error().map_or_else(|| error.to_string(), |e| format!("{} ({})", e.message(), e.code().code()));
    match error.code().map(SqlState::code) {
        Some(code) if code == SqlState::UNIQUE_VIOLATION.code() => SqlError::Unique,
        // No code: the connection failed before the server answered; class
        // 08: connection exceptions; 57P: the server shutting down or
        // starting, or this connection ended by an administrator.
        None => SqlError::Unavailable(message),
        Some(code) if code.starts_with("08") || code.starts_with("57P") => SqlError::Unavailable(message),
        Some(_) if error.is_closed() => SqlError::Unavailable(message),
        Some(_) => SqlError::Database(message),
    }
}

/// A PostgreSQL schema of its own for each test, on the server that
/// `WEIQUAN_TEST_POSTGRES` names (`.ci/run` starts one; see
/// `scripts/postgres-test.sh`). Without it a test is skipped with a
/// message, and under `CI=true` it fails.
#[cfg(test)]
pub(crate) mod testing {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    pub(crate) const URL_VARIABLE: &str = "WEIQUAN_TEST_POSTGRES";

    /// A fresh schema on the test server, and a connection that uses it.
    pub(crate) fn database(test: &str) -> Option<Postgres> {
        config(test).map(|config| Postgres::connect(&config).expect("connects and migrates"))
    }

    /// How to connect to a fresh schema on the test server, made for `test`.
    pub(crate) fn config(test: &str) -> Option<postgres::Config> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let Ok(url) = std::env::var(URL_VARIABLE) else {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true"),
                "{test}: {URL_VARIABLE} is not set; CI must start PostgreSQL (scripts/postgres-test.sh)"
            );
            eprintln!(
                "NOTICE: {test} did nothing on PostgreSQL: set {URL_VARIABLE} (scripts/postgres-test.sh prints it)"
            );
            return None;
        };
        let schema = format!("test_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let mut config: postgres::Config = url.parse().expect("a postgres:// URL");
        let mut admin = config.connect(NoTls).expect("the test server answers");
        admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")).unwrap();
        config.options(&format!("-c search_path={schema}"));
        config.application_name(&schema);
        Some(config)
    }

    /// Ends every connection made from `config` (as a server restart
    /// would) and waits until they are gone.
    pub(crate) fn end_connections(config: &postgres::Config) {
        let name = config.get_application_name().expect("made by `config`").to_owned();
        let mut admin = config.clone().application_name("killer").connect(NoTls).unwrap();
        let others = "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1";
        admin
            .execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", &[&name])
            .unwrap();
        while admin.query_one(others, &[&name]).unwrap().get::<_, i64>(0) > 0 {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::database;
    use super::*;

    #[test]
    fn shared_statements_run_on_postgres_with_the_types_sqlite_gives() {
        let Some(db) = database("shared_statements_run_on_postgres") else { return };
        let insert = "INSERT INTO users (name, role, password_hash, disabled, created_at)
                      VALUES (?1, ?2, 'x', ?3, ?4) RETURNING id";
        let rows = db.query(insert, &["alice".into(), "admin".into(), false.into(), "2026-05-01T08:00:00Z".into()]);
        let id = rows.unwrap()[0].int(0).unwrap();
        let again = db.query(insert, &["ALICE".into(), "editor".into(), true.into(), "2026-05-01T08:00:00Z".into()]);
        assert!(matches!(again, Err(SqlError::Unique)), "names are unique without ASCII case: {again:?}");
        let rows = db
            .query("SELECT id, name, disabled, COUNT(*) OVER () FROM users WHERE name = ?1", &["alice".into()])
            .unwrap();
        assert_eq!(rows[0].0, [Value::Int(id), Value::Text("alice".into()), Value::Int(0), Value::Int(1)]);
        let changed = db.execute("UPDATE users SET disabled = ?1 WHERE id = ?2", &[true.into(), id.into()]).unwrap();
        assert_eq!(changed, 1);
    }

    #[test]
    fn migrating_again_runs_nothing_and_a_lost_server_is_unavailable() {
        let Some(db) = database("migrating_again_runs_nothing") else { return };
        migrate(&mut db.client.borrow_mut()).unwrap();
        let steps = db.query("SELECT COUNT(*) FROM refinery_schema_history", &[]).unwrap();
        assert_eq!(steps[0].int(0).unwrap(), STEPS.len() as i64);
        let pid = db.query("SELECT CAST(pg_backend_pid() AS BIGINT)", &[]).unwrap()[0].int(0).unwrap();
        let Some(other) = database("migrating_again_runs_nothing (killer)") else { return };
        other.query("SELECT pg_terminate_backend(CAST(?1 AS INTEGER))", &[pid.into()]).unwrap();
        // Terminating only signals the backend: wait until it is gone.
        let alive = || other.query("SELECT COUNT(*) FROM pg_stat_activity WHERE pid = ?1", &[pid.into()]).unwrap();
        while alive()[0].int(0).unwrap() > 0 {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let error = db.query("SELECT 1", &[]).unwrap_err();
        assert!(matches!(error, SqlError::Unavailable(_)), "{error}");
    }
}
