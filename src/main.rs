//! The `weiquan` command. Each subcommand parses its flags, calls the
//! engine and prints; nothing else lives here.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

mod cli_eval;

/// jemalloc instead of glibc's allocator: under the load of `scripts/load.py`
/// glibc's per-thread arenas held 690–770 MB of a server whose live data is
/// far smaller; jemalloc 431 MB, with throughput a little up (mimalloc held
/// 802 MB; docs/PERFORMANCE.md has the figures).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use weiquan::search::rank::Model;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use weiquan::clock::{self, Clock};
use weiquan::content::{self, Kind};
use weiquan::search::{self, Engine, SearchRequest, Stage, eval};
use weiquan::web::{
    self,
    config::{FileConfig, ServeConfig},
};

/// 消费维权知识库: consumer-protection laws, court cases, consumer warnings
/// and rights guides, searchable in Chinese.
#[derive(Parser)]
#[command(name = "weiquan", version)]
struct Cli {
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
    Index {
        #[command(flatten)]
        content: ContentArgs,
        #[command(flatten)]
        index: IndexArgs,
    },
    /// Search the index; builds or refreshes it first when the content changed.
    Search(SearchArgs),
    /// Validate every content file; lists all problems and exits non-zero if any.
    Check {
        #[command(flatten)]
        content: ContentArgs,
        /// Also list the guides, warnings and cases that cite an article whose
        /// words or number changed since the version they cite (需复核); listed,
        /// not counted as problems.
        #[arg(long)]
        stale: bool,
    },
    /// Serve the website and the JSON API; builds the index first when it is
    /// missing or the content changed. Stops cleanly on Ctrl-C or SIGTERM.
    ///
    /// Settings come from flags, then WEIQUAN_* environment variables, then
    /// the config file, then the defaults.
    Serve(ServeArgs),
    /// Manage staff accounts (editor, publisher, admin) in the data folder.
    User {
        #[command(subcommand)]
        command: weiquan::publish::cli::UserCommand,
        /// Folder of the SQLite file [default: data].
        #[arg(long, env = "WEIQUAN_DATA", value_name = "DIR", default_value = "data", global = true)]
        data: PathBuf,
    },
    /// Get the official law texts (LawRefBook) into the data folder, or
    /// update them from a local checkout.
    Corpus {
        #[command(subcommand)]
        command: CorpusCommand,
    },
    /// Measure relevance on judged queries (JSONL, ../shared/eval format):
    /// nDCG@10, Recall@10, Recall@100 and MRR, overall and per query.
    Eval {
        /// The judged queries, e.g. ../shared/eval/queries-dev.jsonl or
        /// eval/consumer.jsonl; several with --fit and --ablate.
        #[arg(required = true)]
        queries: Vec<PathBuf>,
        /// Only one half of the queries: tune or check. The halves are fixed
        /// by a hash of each question's text, the same on every machine
        /// (docs/RELEVANCE.md).
        #[arg(long, value_name = "HALF", value_parser = parse_split)]
        split: Option<eval::Split>,
        #[command(flatten)]
        content: ContentArgs,
        #[command(flatten)]
        index: IndexArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Fit the ranking model's weights on the tune halves of the files
        /// and write them to FILE (src/search/rank/weights.toml), with the
        /// figures before and after on both halves.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["split", "json", "ablate"])]
        fit: Option<PathBuf>,
        /// A table of the figures with each ranking feature turned off in turn.
        #[arg(long, conflicts_with = "json")]
        ablate: bool,
        /// Learn the vocabulary (everyday words → statute words) from the
        /// tune halves of the files and write it to FILE
        /// (src/search/lexicon/learned.txt).
        #[arg(long, value_name = "FILE", conflicts_with_all = ["split", "json", "ablate", "fit"])]
        learn: Option<PathBuf>,
        /// File the words of the tune halves' questions under the articles
        /// judged to answer them and write the list to FILE (content/asked.txt).
        #[arg(long, value_name = "FILE", conflicts_with_all = ["split", "json", "ablate", "fit", "learn"])]
        learn_asked: Option<PathBuf>,
        /// Rank with the weights in FILE instead of the built-in ones (to
        /// try a fit before building it in; --fit starts from them).
        #[arg(long, value_name = "FILE")]
        weights: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum CorpusCommand {
    /// Download the LawRefBook texts of one commit into corpus/ in the data
    /// folder; the old texts stay until the new ones are checked.
    Fetch(FetchArgs),
    /// Print what changed from the corpus to DIR (laws added, new versions,
    /// texts removed or repealed, and this project's documents that cite an
    /// article which changed), then replace the corpus with DIR's texts
    /// atomically. A failure leaves the old corpus as it was.
    Update(UpdateArgs),
}

#[derive(Args)]
struct FetchArgs {
    /// The LawRefBook commit [default: the one this release is tested with].
    #[arg(long, value_name = "COMMIT")]
    rev: Option<String>,
    /// The whole archive address, for mirrors and offline installs (HTTPS,
    /// or HTTP on this machine) [default: `corpus_url` in the config file,
    /// else upstream's archive of the commit].
    #[arg(long, env = "WEIQUAN_CORPUS_URL", value_name = "URL")]
    url: Option<String>,
    /// Data folder [default: `data` in the config file, else data].
    #[arg(long, env = "WEIQUAN_DATA", value_name = "DIR")]
    data: Option<PathBuf>,
    /// Largest archive to download, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 512)]
    max_size: u64,
    /// TOML file with `corpus_url` and `data` [default: weiquan.toml, if present].
    #[arg(long, env = "WEIQUAN_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// This project's content, whose citations are reviewed when a fetch
    /// replaces texts.
    #[arg(long = "content", value_name = "DIR", default_value = "content", value_delimiter = ',')]
    content: Vec<PathBuf>,
}

#[derive(Args)]
struct UpdateArgs {
    /// A LawRefBook checkout, or a folder in its layout.
    #[arg(long, value_name = "DIR")]
    from: PathBuf,
    /// Data folder, whose corpus/ is replaced unless `--corpus` names
    /// another folder [default: `data` in the config file, else data].
    #[arg(long, env = "WEIQUAN_DATA", value_name = "DIR")]
    data: Option<PathBuf>,
    /// TOML file with `data` [default: weiquan.toml, if present].
    #[arg(long, env = "WEIQUAN_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// This project's content, whose citations are reviewed.
    #[arg(long = "content", value_name = "DIR", default_value = "content", value_delimiter = ',')]
    content: Vec<PathBuf>,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "WEIQUAN_ADDR", value_name = "ADDR")]
    addr: Option<std::net::SocketAddr>,
    /// Content folder; repeat for several [default: content].
    #[arg(long = "content", env = "WEIQUAN_CONTENT", value_name = "DIR", value_delimiter = ',')]
    content: Vec<PathBuf>,
    /// Index folder [default: index].
    #[arg(long, env = "WEIQUAN_INDEX", value_name = "DIR")]
    index: Option<PathBuf>,
    /// Folder of static files (style sheet, script) [default: static].
    #[arg(long = "static", env = "WEIQUAN_STATIC", value_name = "DIR")]
    static_dir: Option<PathBuf>,
    /// Folder of the SQLite file with staff accounts and the audit log [default: data].
    #[arg(long, env = "WEIQUAN_DATA", value_name = "DIR")]
    data: Option<PathBuf>,
    /// Searches per second per client address before 429; 0 turns the limit off [default: 20].
    #[arg(long, env = "WEIQUAN_SEARCH_RATE", value_name = "N")]
    search_rate: Option<u32>,
    /// Megabytes of answered searches, and as many of document pages, kept in memory; 0 turns both caches off [default: 32].
    #[arg(long, env = "WEIQUAN_RESULT_CACHE_MB", value_name = "MB")]
    result_cache_mb: Option<usize>,
    /// Do not download the official texts on first start.
    #[arg(long, env = "WEIQUAN_OFFLINE")]
    offline: bool,
    /// Archive the first start downloads the official texts from [default: upstream's, pinned].
    #[arg(long, env = "WEIQUAN_CORPUS_URL", value_name = "URL")]
    corpus_url: Option<String>,
    /// TOML file with `addr`, `content`, `index`, `static`, `data`, `secure_cookies`, `search_rate`, `result_cache_mb`, `insights_retention_days`, `insights_regions`, `insights_searches_per_address`, `audit_retention_days`, `trusted_proxies`, `timezone`, `corpus_url`, `offline`, `[kiosks.<id>]` [default: weiquan.toml, if present].
    #[arg(long, env = "WEIQUAN_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
}

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

#[derive(Args)]
struct IndexArgs {
    /// Index folder (generated; safe to delete).
    #[arg(long = "index", value_name = "DIR", default_value = "index", env = "WEIQUAN_INDEX")]
    dir: PathBuf,
}

#[derive(Args)]
struct SearchArgs {
    /// The query: words, "quoted phrases", -exclusions, OR.
    #[arg(required = true, num_args = 1..)]
    query: Vec<String>,
    #[command(flatten)]
    index: IndexArgs,
    /// Content folders to build from when the index is missing or stale
    /// [default: the folders the index was built from, or `content`].
    #[arg(long = "content", value_name = "DIR", value_delimiter = ',')]
    roots: Vec<PathBuf>,
    /// Only these kinds: law, case, warning, guide (repeat or separate with commas).
    #[arg(long, value_delimiter = ',', value_parser = parse_kind)]
    kind: Vec<Kind>,
    /// Number of results.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=100))]
    limit: u16,
    /// Print JSON: {"total", "hits": [{"id", "kind", "title", "article", "chapter", "snippet", "score", ...}], ...}.
    #[arg(long)]
    json: bool,
    /// Show each hit's ranking features, their weights and their part of the score.
    #[arg(long)]
    explain: bool,
}

fn parse_kind(text: &str) -> Result<Kind, String> {
    Kind::parse(text).ok_or_else(|| format!("unknown kind `{text}`: use law, case, warning or guide"))
}

fn parse_split(text: &str) -> Result<eval::Split, String> {
    eval::Split::parse(text).ok_or_else(|| format!("unknown half `{text}`: use tune or check"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server logs its requests and builds; the other commands print their own summaries.
    let default_filter = if matches!(cli.command, Command::Serve(_)) { "warn,weiquan=info" } else { "warn" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WEIQUAN_LOG").unwrap_or_else(|_| default_filter.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let clock = Clock::system(cli.timezone.unwrap_or(clock::DEFAULT_ZONE));
    let result = match cli.command {
        Command::Index { content, index } => run_index(&content.roots(cli.corpus), &index.dir, &clock),
        Command::Search(args) => run_search(args, clock, cli.corpus),
        Command::Check { content, stale } => run_check(&content.roots(cli.corpus), stale, &clock),
        Command::Serve(args) => run_serve(args, cli.timezone, cli.corpus),
        Command::User { command, data } => weiquan::publish::cli::run(command, &data).map(|()| ExitCode::SUCCESS),
        Command::Corpus { command: CorpusCommand::Fetch(args) } => run_fetch(args, &clock),
        Command::Corpus { command: CorpusCommand::Update(args) } => run_corpus_update(args, cli.corpus, &clock),
        Command::Eval { queries, split, content, index, json, fit, ablate, learn, learn_asked, weights } => {
            let mode = match (fit, learn, learn_asked, ablate) {
                (Some(out), ..) => EvalMode::Fit(out),
                (None, Some(out), ..) => EvalMode::Learn(out),
                (None, None, Some(out), _) => EvalMode::LearnAsked(out),
                (None, None, None, true) => EvalMode::Ablate,
                (None, None, None, false) => EvalMode::Report { json },
            };
            run_eval(&queries, split, mode, weights.as_deref(), &content.roots(cli.corpus), &index.dir, clock)
        }
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("错误: {error:#}");
            ExitCode::from(2)
        }
    }
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

fn print_problems(problems: &[content::Problem]) {
    for problem in problems {
        eprintln!("{problem}");
    }
}

fn run_index(roots: &[PathBuf], dir: &Path, clock: &Clock) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let (bar, update) = progress_bar();
    let report = search::build(dir, roots, clock, &update);
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

fn dir_size(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir).into_iter().flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum()
}

fn run_search(args: SearchArgs, clock: Clock, corpus: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let roots = if !args.roots.is_empty() {
        args.roots
    } else {
        match Engine::open(&args.index.dir, clock.clone()) {
            Ok(engine) => engine.manifest().roots.clone(),
            Err(_) => weiquan::corpus::roots(vec![], corpus, Path::new("data")),
        }
    };
    let (bar, update) = progress_bar();
    let opened = Engine::open_or_build(&args.index.dir, &roots, clock, &update);
    bar.finish_and_clear();
    let (engine, report) = opened?;
    if let Some(report) = report {
        eprintln!(
            "已重建索引：文档 {} 篇，条目 {} 个，问题 {} 个",
            report.documents,
            report.units,
            report.problems.len()
        );
    }
    let request = SearchRequest {
        query: args.query.join(" "),
        kinds: args.kind,
        per_page: usize::from(args.limit),
        explain: args.explain,
        ..SearchRequest::default()
    };
    let results = engine.search(&request)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
        return Ok(ExitCode::SUCCESS);
    }
    let (mark, unmark) = if std::io::stdout().is_terminal() { ("\x1b[1;33m", "\x1b[0m") } else { ("【", "】") };
    println!("共 {} 条结果（{} 毫秒）", results.total, results.took_ms);
    for (rank, hit) in results.hits.iter().enumerate() {
        let article = hit.article.as_deref().map(|a| format!(" {a}")).unwrap_or_default();
        let status = hit.status.as_deref().and_then(content::Status::parse).map(|s| format!(" · {}", s.label()));
        let kind = Kind::parse(&hit.kind).map(Kind::label).unwrap_or_default();
        println!("\n{}. 《{}》{article}  [{kind}{}]", rank + 1, hit.title, status.unwrap_or_default());
        if let Some(chapter) = &hit.chapter {
            println!("   {chapter}");
        }
        println!("   {}", terminal_text(&hit.snippet, mark, unmark));
        let anchor = hit.anchor.as_deref().map(|a| format!("#{a}")).unwrap_or_default();
        println!("   {}{anchor}  score {}", hit.id, hit.score);
        for part in hit.explain.iter().flatten() {
            println!(
                "     {:<16} {:>9.3} × {:>8.4} = {:>8.3}",
                part.feature, part.value, part.weight, part.contribution
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Snippet HTML as terminal text.
fn terminal_text(html: &str, mark: &str, unmark: &str) -> String {
    html.replace("<mark>", mark)
        .replace("</mark>", unmark)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Deletes insights and audit entries older than their retention periods,
/// at start and daily. `audit` is a connection of its own to the staff
/// database.
async fn purge_daily(
    insights: std::sync::Arc<weiquan::insights::Insights>,
    audit: weiquan::publish::Store,
    audit_retention_days: u32,
    clock: Clock,
) {
    let audit = std::sync::Arc::new(audit);
    let mut daily = tokio::time::interval(std::time::Duration::from_secs(24 * 60 * 60));
    loop {
        daily.tick().await;
        let (insights, audit, now) = (insights.clone(), audit.clone(), clock.utc());
        let purged =
            tokio::task::spawn_blocking(move || (insights.purge(now), audit.purge_audit(now, audit_retention_days)))
                .await;
        let Ok((insights, audit)) = purged else { continue };
        match insights {
            Ok(deleted) => tracing::info!(deleted, "purged old insights"),
            Err(error) => tracing::warn!(%error, "cannot purge old insights"),
        }
        match audit {
            Ok(deleted) => tracing::info!(deleted, "purged old audit entries"),
            Err(error) => tracing::warn!(%error, "cannot purge old audit entries"),
        }
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

/// What to tell a user who runs without the official texts, in Chinese and English.
const NO_CORPUS_NOTICE: &str = "未载入法律法规原文：运行 `weiquan corpus fetch` 下载，或用 `--content` 指向 LawRefBook 文件夹。\n\
    The official law texts are not loaded: run `weiquan corpus fetch`, or point `--content` at a LawRefBook checkout.";

fn run_fetch(args: FetchArgs, clock: &Clock) -> anyhow::Result<ExitCode> {
    let file = config_file(args.config.as_deref())?;
    let data = args.data.or(file.data).unwrap_or_else(|| PathBuf::from("data"));
    let url = args
        .url
        .or(file.corpus_url)
        .unwrap_or_else(|| weiquan::corpus::archive_url(args.rev.as_deref().unwrap_or(weiquan::corpus::DEFAULT_REV)));
    let limits = weiquan::corpus::fetch::Limits { max_download: args.max_size << 20, ..Default::default() };
    // A fetch over texts already here says what changed, like `corpus update`.
    let folder = weiquan::corpus::folder(&data);
    let today = clock.today();
    let old = folder.is_dir().then(|| content::load(std::slice::from_ref(&folder), today, &|_, _| {})).transpose()?;
    let fetched = fetch_corpus(&url, &data, limits)?;
    if let Some(old) = old {
        let new = content::load(std::slice::from_ref(&fetched.folder), today, &|_, _| {})?;
        let ours = content::load(&project_roots(&args.content), today, &|_, _| {})?;
        print!("{}", weiquan::corpus::changes::compare(&old, &new, &ours));
    }
    println!(
        "已下载法律文本：{} 个文件，{:.1} MB，位于 {}",
        fetched.law_files,
        fetched.downloaded as f64 / 1_048_576.0,
        fetched.folder.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Fetches the corpus with a progress bar on stderr.
fn fetch_corpus(
    url: &str,
    data: &Path,
    limits: weiquan::corpus::fetch::Limits,
) -> Result<weiquan::corpus::fetch::Fetched, weiquan::corpus::fetch::FetchError> {
    eprintln!("正在下载法律文本 / downloading the law texts: {url}");
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bytes}/{total_bytes} {wide_bar} {bytes_per_sec}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let fetched = weiquan::corpus::fetch::fetch(url, data, limits, &|done, total| {
        if let Some(total) = total {
            bar.set_length(total);
        }
        bar.set_position(done);
    });
    bar.finish_and_clear();
    fetched
}

fn run_serve(args: ServeArgs, timezone: Option<chrono_tz::Tz>, corpus: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let file = config_file(args.config.as_deref())?;
    let flags = FileConfig {
        addr: args.addr,
        content: Some(args.content),
        index: args.index,
        static_dir: args.static_dir,
        data: args.data,
        search_rate: args.search_rate,
        result_cache_mb: args.result_cache_mb,
        timezone,
        corpus_url: args.corpus_url,
        offline: args.offline,
        ..FileConfig::default()
    };
    let config = ServeConfig::merge(flags, file);
    let content = match config.content.clone() {
        Some(given) => given,
        None => default_serve_roots(&config, corpus),
    };
    if !weiquan::corpus::has_official_texts(&content) {
        eprintln!("{NO_CORPUS_NOTICE}");
    }
    let clock = Clock::system(config.timezone);
    let (bar, update) = progress_bar();
    let opened = Engine::open_or_build(&config.index, &content, clock.clone(), &update);
    bar.finish_and_clear();
    let (engine, report) = opened?;
    if let Some(report) = report {
        print_problems(&report.problems);
        eprintln!(
            "已建立索引：文档 {} 篇，条目 {} 个，问题 {} 个",
            report.documents,
            report.units,
            report.problems.len()
        );
    }
    let engine = std::sync::Arc::new(engine);
    let store = weiquan::publish::Store::open(&config.data)?;
    // Staff documents are written to the first folder in this project's layout.
    let staff_root = content
        .iter()
        .find(|root| content::Layout::detect(root) == content::Layout::Project)
        .cloned()
        .unwrap_or_else(|| PathBuf::from("content"));
    let publisher = weiquan::publish::Publisher::new(&staff_root, store, engine.clone());
    let insights = std::sync::Arc::new(
        weiquan::insights::Insights::open(
            &config.data.join(weiquan::publish::Store::FILE),
            config.insights_retention_days,
        )?
        .with_limits(config.insights_limits.clone()),
    );
    let audit = weiquan::publish::Store::open(&config.data)?;
    let state = web::AppState::with_publisher(engine, &config.static_dir, publisher, config.secure_cookies)
        .with_kiosks(config.kiosks.clone())
        .with_search_rate(config.search_rate)
        .with_result_cache(config.result_cache_mb)
        .with_trusted_proxies(config.trusted_proxies.clone())
        .with_insights(insights.clone());
    tokio::runtime::Runtime::new()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.addr))?;
        println!("消费维权知识库已启动：http://{}", listener.local_addr()?);
        tokio::spawn(purge_daily(insights, audit, config.audit_retention_days, clock));
        web::serve(state, listener).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `content/` and the official texts; on first start (none fetched yet and
/// none named) the texts are downloaded first, unless offline. A failed
/// download is reported and the server starts on `content/` alone.
fn default_serve_roots(config: &ServeConfig, corpus: Option<PathBuf>) -> Vec<PathBuf> {
    let roots = weiquan::corpus::roots(vec![], corpus, &config.data);
    if weiquan::corpus::has_official_texts(&roots) || config.offline {
        return roots;
    }
    let url = config.corpus_url.clone().unwrap_or_else(|| weiquan::corpus::archive_url(weiquan::corpus::DEFAULT_REV));
    match fetch_corpus(&url, &config.data, weiquan::corpus::fetch::Limits::default()) {
        Ok(fetched) => {
            eprintln!("已下载法律文本 / law texts downloaded: {} 个文件 / files", fetched.law_files);
            vec![PathBuf::from("content"), fetched.folder]
        }
        Err(error) => {
            eprintln!("错误 / error: {error}");
            roots
        }
    }
}

/// What `weiquan eval` does.
enum EvalMode {
    Report { json: bool },
    Fit(PathBuf),
    Learn(PathBuf),
    LearnAsked(PathBuf),
    Ablate,
}

fn run_eval(
    files: &[PathBuf],
    split: Option<eval::Split>,
    mode: EvalMode,
    weights: Option<&Path>,
    roots: &[PathBuf],
    dir: &Path,
    clock: Clock,
) -> anyhow::Result<ExitCode> {
    let model = match weights {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", path.display()))?;
            Model::parse(&text).map_err(|e| anyhow::anyhow!("`{}`: {e}", path.display()))?
        }
        None => Model::builtin().clone(),
    };
    let (bar, update) = progress_bar();
    let opened = Engine::open_or_build(dir, roots, clock, &update);
    bar.finish_and_clear();
    let (engine, _) = opened?;
    match mode {
        EvalMode::Fit(out) => cli_eval::fit_weights(&engine, files, &model, &out)?,
        EvalMode::Learn(out) => cli_eval::learn(&engine, files, &project_roots(roots), &out)?,
        EvalMode::LearnAsked(out) => cli_eval::learn_asked(&engine, files, &out)?,
        EvalMode::Ablate => cli_eval::ablate(&engine, files, split, &model)?,
        EvalMode::Report { json } => {
            let [file] = files else { anyhow::bail!("give one judged file, or several with --fit or --ablate") };
            let report = eval::evaluate_with(&engine, &cli_eval::read(file, split)?, &model)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                cli_eval::print_report(&report, split);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The roots in this project's layout: the documents that cite the official texts.
fn project_roots(roots: &[PathBuf]) -> Vec<PathBuf> {
    roots.iter().filter(|root| content::Layout::detect(root) == content::Layout::Project).cloned().collect()
}

fn run_corpus_update(args: UpdateArgs, corpus: Option<PathBuf>, clock: &Clock) -> anyhow::Result<ExitCode> {
    let file = config_file(args.config.as_deref())?;
    let data = args.data.or(file.data).unwrap_or_else(|| PathBuf::from("data"));
    let (from, corpus) = (args.from, corpus.unwrap_or_else(|| weiquan::corpus::folder(&data)));
    if content::Layout::detect(&from) != content::Layout::LawRefBook {
        anyhow::bail!(
            "{} 不是 LawRefBook 的文件夹（民法商法/、行政法规/、司法解释/ ……），法律文本未改动 / \
             `{}` is not in the LawRefBook layout: give a LawRefBook checkout with --from",
            from.display(),
            from.display()
        );
    }
    let today = clock.today();
    let new = content::load(std::slice::from_ref(&from), today, &|_, _| {})?;
    print_problems(&new.problems);
    if !new.documents.iter().any(|d| d.kind == Kind::Law) {
        anyhow::bail!(
            "{} 里没有法律文本，法律文本未改动 / `{}` holds no law texts: the corpus was left as it was",
            from.display(),
            from.display()
        );
    }
    let old = if corpus.is_dir() {
        content::load(std::slice::from_ref(&corpus), today, &|_, _| {})?
    } else {
        content::Loaded::default()
    };
    let ours = content::load(&project_roots(&args.content), today, &|_, _| {})?;
    let changes = weiquan::corpus::changes::compare(&old, &new, &ours);
    print!("{changes}");
    weiquan::corpus::install::replace(&from, &corpus)?;
    println!(
        "已更新法规文本：{}（{} 个文本；serve、index、search 会据此重建索引）",
        corpus.display(),
        changes.new_texts
    );
    Ok(ExitCode::SUCCESS)
}

fn run_check(roots: &[PathBuf], stale: bool, clock: &Clock) -> anyhow::Result<ExitCode> {
    let mut loaded = content::load(roots, clock.today(), &|_, _| {})?;
    if stale {
        let laws = weiquan::corpus::changes::Laws::new(&loaded);
        let ours = project_roots(roots);
        let citing = loaded.documents.iter().filter(|d| ours.iter().any(|root| d.path.starts_with(root)));
        print!("{}", weiquan::corpus::changes::review(&laws, citing));
    }
    // Official texts are taken as published: their own broken citations are
    // counted, not failures.
    let official: Vec<&PathBuf> =
        roots.iter().filter(|root| content::Layout::detect(root) == content::Layout::LawRefBook).collect();
    let analyzer = weiquan::search::analyzer::Analyzer::for_content(&loaded);
    let law_title = |name: &str| analyzer.law_title(name).to_string();
    let (in_official, dangling): (Vec<_>, Vec<_>) = content::citations::dangling(&loaded.documents, &law_title)
        .into_iter()
        .partition(|problem| official.iter().any(|root| problem.path.starts_with(root)));
    loaded.problems.extend(dangling);
    loaded.problems.extend(content::citations::dangling_in_glossary(&loaded.glossary, &loaded.documents, &law_title));
    loaded.problems.extend(loaded.unknown_tags());
    loaded.problems.extend(loaded.unchecked());
    print_problems(&loaded.problems);
    if !in_official.is_empty() {
        println!("官方文本自身有 {} 处引用指向不存在的条文（未计为问题）", in_official.len());
    }
    println!(
        "检查完成：文档 {} 篇，条目 {} 个，问题 {} 个",
        loaded.documents.len(),
        loaded.unit_count(),
        loaded.problems.len()
    );
    Ok(if loaded.problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
