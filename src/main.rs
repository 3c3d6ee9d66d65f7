//! The `weiquan` command: parses the command line, sets up logging and runs
//! the subcommand (one file each under `cmd/`).

use std::process::ExitCode;

use clap::Parser;

mod cmd;

/// jemalloc instead of glibc's allocator: under the load of `scripts/load.py`
/// glibc's per-thread arenas held 690–770 MB of a server whose live data is
/// far smaller; jemalloc 431 MB, with throughput a little up (mimalloc held
/// 802 MB; docs/PERFORMANCE.md has the figures).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = cmd::Cli::parse();
    // The server logs its requests and builds; the other commands print their own summaries.
    let default_filter = if cli.is_serve() { "warn,weiquan=info" } else { "warn" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WEIQUAN_LOG").unwrap_or_else(|_| default_filter.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("错误: {error:#}");
            ExitCode::from(2)
        }
    }
}
