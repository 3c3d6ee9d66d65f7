//! `weiquan db`: moving the staff database of one machine to a PostgreSQL
//! server that several share. The copy itself lives in the library
//! ([`weiquan::db::copy`]).

use std::path::PathBuf;
use std::process::ExitCode;

/// The flags of `weiquan db`.
#[derive(clap::Args)]
pub(super) struct Args {
    #[command(subcommand)]
    command: DbCommand,
}

#[derive(clap::Subcommand)]
enum DbCommand {
    /// Copy every row of a single machine's SQLite file (accounts, sessions,
    /// tokens, the audit log, saved versions and proposals, insights) into an
    /// empty PostgreSQL database, in one transaction, and report the counts.
    Migrate {
        /// The SQLite file, e.g. data/weiquan.sqlite3.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// The server: postgres://user@host:port/database.
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

/// Runs one `db` command.
pub(super) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        DbCommand::Migrate { from, to } => {
            let to: postgres::Config = to
                .parse()
                .map_err(|e| anyhow::anyhow!("数据库地址无法识别（the database URL cannot be read: {e}）"))?;
            let counts = weiquan::db::copy::copy(&from, &to)?;
            println!("已复制到 PostgreSQL（copied to PostgreSQL）：");
            for (table, rows) in counts {
                println!("  {table:<12} {rows}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
