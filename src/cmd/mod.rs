//! The subcommands of `weiquan`, one file each with its flags and its `run`,
//! and what several of them share: the content and index flags, the config
//! file, the progress bar and the list of problems. Each command parses its
//! flags, calls the library and prints; nothing else lives here.

mod check;
mod corpus;
mod db;
mod eval;
mod index;
mod search;
mod serve;
mod user;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use weiquan::clock::{self, Clock};
use weiquan::content;
use weiquan::search::Stage;
use weiquan::web::config::FileConfig;

/// 消费维权知识库: consumer-protection laws, court cases, consumer warnings
/// and rights guides, searchable in Chinese.
#[derive(Parser)]
#[command(name = "weiquan", version)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The zone whose calendar decides "today" (warnings in force, laws in
    /// force, staff reports), an IANA name; for `serve` it beats `timezone`
    /// in the config file [default: Asia/Shanghai].
    #[arg(long, env = "WEIQUAN_TIMEZONE", value_name = "ZONE", value_parser = clock::zone, global = true)]
    timezone: Option<chrono_tz::Tz>,
    /// A LawRefBook folder to read beside `content/` when no `--content` is
    /// given [default: corpus/ in the data folder, when it was fetched].
    #[arg(long, env = "WEIQUAN_CORPUS", value_name = "DIR", global = true)]
    corpus: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Build the search index from content folders (replaces the old index atomically).
    Index(index::Args),
    /// Search the index; builds or refreshes it first when the content changed.
    Search(search::Args),
    /// Validate every content file; lists all problems and exits non-zero if any.
    Check(check::Args),
    /// Serve the website and the JSON API; builds the index first when it is
    /// missing or the content changed. Stops cleanly on Ctrl-C or SIGTERM.
    ///
    /// Settings come from flags, then WEIQUAN_* environment variables, then
    /// the config file, then the defaults.
    Serve(serve::Args),
    /// Manage staff accounts (editor, publisher, admin) in the data folder.
    User(user::Args),
    /// Move the staff database of one machine to a PostgreSQL server.
    Db(db::Args),
    /// Get the official law texts (LawRefBook) into the data folder, or
    /// update them from a local checkout.
    Corpus(corpus::Args),
    /// Measure relevance on judged queries (JSONL, ../shared/eval format):
    /// nDCG@10, Recall@10, Recall@100 and MRR, overall and per query.
    Eval(eval::Args),
}

impl Cli {
    /// Whether the command is `serve`, the one that logs as it goes.
    pub(crate) fn is_serve(&self) -> bool {
        matches!(self.command, Command::Serve(_))
    }

    /// Runs the command; the exit code says whether what it checked passed.
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        let clock = Clock::system(self.timezone.unwrap_or(clock::DEFAULT_ZONE));
        match self.command {
            Command::Index(args) => index::run(args, self.corpus, &clock),
            Command::Search(args) => search::run(args, clock, self.corpus),
            Command::Check(args) => check::run(args, self.corpus, &clock),
            Command::Serve(args) => serve::run(args, self.timezone, self.corpus),
            Command::User(args) => user::run(args),
            Command::Db(args) => db::run(args),
            Command::Corpus(args) => corpus::run(args, self.corpus, &clock),
            Command::Eval(args) => eval::run(args, self.corpus, clock),
        }
    }
}

/// The content folders to read, for the commands that build from them.
#[derive(Args)]
struct ContentArgs {
    /// Content folder: this project's `content/` or a LawRefBook checkout.
    /// Repeat for several, e.g. `--content content --content ../shared/corpus/lawrefbook`
    /// [default: content, and the official texts of `--corpus` or the data folder].
    #[arg(long = "content", value_name = "DIR", env = "WEIQUAN_CONTENT", value_delimiter = ',')]
    roots: Vec<PathBuf>,
    /// Data folder, where `corpus fetch` puts the official texts [default: data].
    #[arg(long, env = "WEIQUAN_DATA", value_name = "DIR", default_value = "data")]
    data: PathBuf,
}

impl ContentArgs {
    /// The folders given, or `content/` and the official texts.
    fn roots(self, corpus: Option<PathBuf>) -> Vec<PathBuf> {
        weiquan::corpus::roots(self.roots, corpus, &self.data)
    }
}

/// The index folder.
#[derive(Args)]
struct IndexArgs {
    /// Index folder (generated; safe to delete).
    #[arg(long = "index", value_name = "DIR", default_value = "index", env = "WEIQUAN_INDEX")]
    dir: PathBuf,
}

/// A progress bar on stderr that follows the build stages.
fn progress_bar() -> (ProgressBar, impl Fn(Stage, usize, usize)) {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:6} [{bar:40}] {pos}/{len} {elapsed}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let handle = bar.clone();
    let update = move |stage: Stage, done: usize, total: usize| {
        let message = match stage {
            Stage::Loading => "读取",
            Stage::Indexing => "索引",
        };
        if handle.message() != message {
            handle.set_message(message);
            handle.set_length(total as u64);
        }
        handle.set_position(done as u64);
    };
    (bar, update)
}

/// Prints the problems found in content files, one a line on stderr.
fn print_problems(problems: &[content::Problem]) {
    for problem in problems {
        eprintln!("{problem}");
    }
}

/// The config file: the one named, or `weiquan.toml` when present.
fn config_file(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    match path {
        Some(path) => FileConfig::read(path).map_err(anyhow::Error::msg),
        None if Path::new("weiquan.toml").is_file() => {
            FileConfig::read(Path::new("weiquan.toml")).map_err(anyhow::Error::msg)
        }
        None => Ok(FileConfig::default()),
    }
}

/// The roots in this project's layout: the documents that cite the official texts.
fn project_roots(roots: &[PathBuf]) -> Vec<PathBuf> {
    roots.iter().filter(|root| content::Layout::detect(root) == content::Layout::Project).cloned().collect()
}
