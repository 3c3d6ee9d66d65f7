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
}

/// Runs one account command against the staff database in the data folder.
pub(super) fn run(args: Args) -> anyhow::Result<ExitCode> {
    weiquan::publish::cli::run(args.command, &args.data).map(|()| ExitCode::SUCCESS)
}
