//! `weiquan user`: staff accounts. The commands themselves live in the
//! library ([`weiquan::publish::cli`]), beside the store they change.

use std::path::PathBuf;
use std::process::ExitCode;

use weiquan::publish::cli::UserCommand;

/// The flags of `weiquan user`.
#[derive(clap::Args)]
pub(super) struct Args {
    #[command(subcommand)]
    command: UserCommand,
    /// Folder of the SQLite file [default: data].
    #[arg(long, env = "WEIQUAN_DATA", value_name = "DIR", default_value = "data", global = true)]
    data: PathBuf,
    /// The staff database on a PostgreSQL server (postgres://user@host/db) instead of the SQLite file.
    #[arg(long, env = "WEIQUAN_DATABASE", value_name = "URL", global = true)]
    database: Option<String>,
}

/// Runs one account command against the staff database: the server's, or
/// the file in the data folder.
pub(super) fn run(args: Args) -> anyhow::Result<ExitCode> {
    weiquan::publish::cli::run(args.command, args.database.as_deref(), &args.data).map(|()| ExitCode::SUCCESS)
}
