//! One database of either kind, as the staff store and the insights use
//! it: the SQLite file of one machine, or a PostgreSQL server that several
//! share and whose lost connection is made again at the next call.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, TransactionBehavior};

use super::postgres::Postgres;
use super::sql::{Executor, SqlError};

/// Where rows are kept: what the settings (`database_url`, the data
/// folder) name, before anything is opened.
#[derive(Debug, Clone)]
pub enum Target {
    /// The SQLite file at this path.
    File(PathBuf),
    /// A PostgreSQL server.
    Server(Box<postgres::Config>),
}

impl Target {
    /// The server of `database_url` when one is given, else the SQLite
    /// file [`super::FILE`] in `data`. A URL that cannot be read is an
    /// error that does not repeat it (it may hold a password).
    pub fn configured(database_url: Option<&str>, data: &Path) -> Result<Target, String> {
        match database_url {
            Some(url) => url.parse().map(|config| Target::Server(Box::new(config))).map_err(|e| e.to_string()),
            None => Ok(Target::File(data.join(super::FILE))),
        }
    }
}

/// An error that may say the server could not be reached, after which a
/// read is safe to run once more.
pub trait Fault: From<SqlError> {
    fn is_unavailable(&self) -> bool;
}

impl Fault for SqlError {
    fn is_unavailable(&self) -> bool {
        matches!(self, SqlError::Unavailable(_))
    }
}

/// One connection to the database: behind a mutex, since every call is
/// short. Calls block, so async code makes them from `spawn_blocking`.
#[derive(Debug)]
pub enum Database {
    /// The file in the data folder.
    Sqlite(Mutex<Connection>),
    /// A server.
    Postgres(Box<Server>),
}

/// A PostgreSQL server and the connection to it, made again when it was lost.
#[derive(Debug)]
pub struct Server {
    config: postgres::Config,
    connection: Mutex<Option<Postgres>>,
}

impl Database {
    /// Opens (and migrates) what `target` names.
    pub fn open(target: &Target) -> Result<Database, OpenError> {
        Ok(match target {
            Target::File(path) => Database::Sqlite(Mutex::new(super::open(path)?)),
            Target::Server(config) => Database::connect(config.as_ref().clone())?,
        })
    }

    /// Connects to a PostgreSQL server and migrates its schema.
    pub fn connect(config: postgres::Config) -> Result<Database, SqlError> {
        let connection = Postgres::connect(&config)?;
        Ok(Database::Postgres(Box::new(Server { config, connection: Mutex::new(Some(connection)) })))
    }

    /// The server's settings; `None` for a SQLite file, which no other
    /// machine shares.
    pub fn server(&self) -> Option<&postgres::Config> {
        match self {
            Database::Sqlite(_) => None,
            Database::Postgres(server) => Some(&server.config),
        }
    }

    /// Runs `read` outside a transaction. On a server, a read that meets a
    /// lost connection runs once more on a new one: it changed nothing, so
    /// it is safe to repeat.
    pub fn read<T, E: Fault>(&self, read: impl Fn(&dyn Executor) -> Result<T, E>) -> Result<T, E> {
        match self {
            Database::Sqlite(conn) => read(&*lock(conn)),
            Database::Postgres(server) => {
                let mut connection = lock(&server.connection);
                match read(live(&mut connection, &server.config)?) {
                    Err(error) if error.is_unavailable() => {
                        *connection = None;
                        read(live(&mut connection, &server.config)?)
                    }
                    done => done,
                }
            }
        }
    }

    /// Runs `change` in one transaction, kept when it returns `Ok` and
    /// undone when it fails. A `serialised` transaction waits for every
    /// other serialised one, on every machine, to end first (SQLite's
    /// immediate transactions; a lock on the server): checks such as "the
    /// last admin" stay true until it ends. Appending rows that nothing
    /// checks needs no such wait. The outer error is the transaction's own
    /// (beginning or committing it); the inner one is `change`'s.
    pub fn transaction<T, E>(
        &self,
        serialised: bool,
        change: impl FnOnce(&dyn Executor) -> Result<T, E>,
    ) -> Result<Result<T, E>, SqlError> {
        match self {
            Database::Sqlite(conn) => {
                let mut conn = lock(conn);
                let behavior = if serialised { TransactionBehavior::Immediate } else { TransactionBehavior::Deferred };
                let tx = conn.transaction_with_behavior(behavior)?;
                let done = change(&*tx);
                if done.is_ok() {
                    tx.commit()?;
                }
                Ok(done)
            }
            Database::Postgres(server) => {
                let mut connection = lock(&server.connection);
                live(&mut connection, &server.config)?.transaction(serialised, change)
            }
        }
    }
}

/// What can stop [`Database::open`].
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    File(#[from] super::Error),
    #[error(transparent)]
    Server(#[from] SqlError),
}

/// A poisoned lock is still usable: a panic cannot leave a half-done write
/// behind, since an open transaction rolls back when dropped.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The server connection, made again when there is none or it has ended.
fn live<'a>(connection: &'a mut Option<Postgres>, config: &postgres::Config) -> Result<&'a Postgres, SqlError> {
    if connection.as_ref().is_none_or(Postgres::is_closed) {
        *connection = None;
        *connection = Some(Postgres::connect(config)?);
    }
    Ok(connection.as_ref().expect("connected above"))
}
