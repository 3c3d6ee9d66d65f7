//! `weiquan index`: builds the search index from content folders.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use weiquan::clock::Clock;
use weiquan::search;

use super::{ContentArgs, IndexArgs, print_problems, progress_bar};

/// The flags of `weiquan index`.
#[derive(clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    content: ContentArgs,
    #[command(flatten)]
    index: IndexArgs,
}

/// Builds the index (replacing the old one atomically) and prints a summary.
pub(super) fn run(args: Args, corpus: Option<PathBuf>, clock: &Clock) -> anyhow::Result<ExitCode> {
    let (roots, dir) = (args.content.roots(corpus), args.index.dir);
    let started = Instant::now();
    let (bar, update) = progress_bar();
    let report = search::build(&dir, &roots, clock, &update);
    bar.finish_and_clear();
    let report = report?;
    print_problems(&report.problems);
    let size = dir_size(&report.generation);
    println!(
        "索引完成：文档 {} 篇，条目 {} 个，问题 {} 个，用时 {:.1} 秒，索引 {:.1} MB（{}）",
        report.documents,
        report.units,
        report.problems.len(),
        started.elapsed().as_secs_f64(),
        size as f64 / 1_048_576.0,
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The bytes of the files under `dir`.
fn dir_size(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir).into_iter().flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum()
}
