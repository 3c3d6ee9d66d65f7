//! The `weiquan` command. Each subcommand parses its flags, calls the
//! engine and prints; nothing else lives here.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
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
    /// Measure relevance on judged queries (JSONL, ../shared/eval format):
    /// nDCG@10, Recall@10 and MRR, overall and per query.
    Eval {
        /// The judged queries, e.g. ../shared/eval/queries-dev.jsonl.
        queries: PathBuf,
        #[command(flatten)]
        content: ContentArgs,
        #[command(flatten)]
        index: IndexArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
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
    /// TOML file with `addr`, `content`, `index`, `static`, `data`, `secure_cookies`, `search_rate`, `insights_retention_days`, `trusted_proxies`, `[kiosks.<id>]` [default: weiquan.toml, if present].
    #[arg(long, env = "WEIQUAN_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Args)]
struct ContentArgs {
    /// Content folder: this project's `content/` or a LawRefBook checkout.
    /// Repeat for several, e.g. `--content content --content ../shared/corpus/lawrefbook`.
    #[arg(
        long = "content",
        value_name = "DIR",
        default_value = "content",
        env = "WEIQUAN_CONTENT",
        value_delimiter = ','
    )]
    roots: Vec<PathBuf>,
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
}

fn parse_kind(text: &str) -> Result<Kind, String> {
    Kind::parse(text).ok_or_else(|| format!("unknown kind `{text}`: use law, case, warning or guide"))
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
    let result = match cli.command {
        Command::Index { content, index } => run_index(&content.roots, &index.dir),
        Command::Search(args) => run_search(args),
        Command::Check { content } => run_check(&content.roots),
        Command::Serve(args) => run_serve(args),
        Command::User { command, data } => weiquan::publish::cli::run(command, &data).map(|()| ExitCode::SUCCESS),
        Command::Eval { queries, content, index, json } => run_eval(&queries, &content.roots, &index.dir, json),
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

fn run_index(roots: &[PathBuf], dir: &Path) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let (bar, update) = progress_bar();
    let report = search::build(dir, roots, &update);
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

fn run_search(args: SearchArgs) -> anyhow::Result<ExitCode> {
    let roots = if !args.roots.is_empty() {
        args.roots
    } else {
        match Engine::open(&args.index.dir) {
            Ok(engine) => engine.manifest().roots.clone(),
            Err(_) => vec![PathBuf::from("content")],
        }
    };
    let (bar, update) = progress_bar();
    let opened = Engine::open_or_build(&args.index.dir, &roots, &update);
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

/// Deletes insights older than the retention period, at start and daily.
async fn purge_daily(insights: std::sync::Arc<weiquan::insights::Insights>) {
    let mut daily = tokio::time::interval(std::time::Duration::from_secs(24 * 60 * 60));
    loop {
        daily.tick().await;
        let insights = insights.clone();
        match tokio::task::spawn_blocking(move || insights.purge(chrono::Utc::now())).await {
            Ok(Ok(deleted)) => tracing::info!(deleted, "purged old insights"),
            Ok(Err(error)) => tracing::warn!(%error, "cannot purge old insights"),
            Err(_) => {}
        }
    }
}

fn run_serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let file = match &args.config {
        Some(path) => FileConfig::read(path).map_err(anyhow::Error::msg)?,
        None if Path::new("weiquan.toml").is_file() => {
            FileConfig::read(Path::new("weiquan.toml")).map_err(anyhow::Error::msg)?
        }
        None => FileConfig::default(),
    };
    let config =
        ServeConfig::merge(args.addr, args.content, args.index, args.static_dir, args.data, args.search_rate, file);
    let (bar, update) = progress_bar();
    let opened = Engine::open_or_build(&config.index, &config.content, &update);
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
    let staff_root = config
        .content
        .iter()
        .find(|root| content::Layout::detect(root) == content::Layout::Project)
        .cloned()
        .unwrap_or_else(|| PathBuf::from("content"));
    let publisher = weiquan::publish::Publisher::new(&staff_root, store, engine.clone());
    let insights = std::sync::Arc::new(weiquan::insights::Insights::open(
        &config.data.join(weiquan::publish::Store::FILE),
        config.insights_retention_days,
    )?);
    let state = web::AppState::with_publisher(engine, &config.static_dir, publisher, config.secure_cookies)
        .with_kiosks(config.kiosks.clone())
        .with_search_rate(config.search_rate)
        .with_trusted_proxies(config.trusted_proxies.clone())
        .with_insights(insights.clone());
    tokio::runtime::Runtime::new()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.addr))?;
        println!("消费维权知识库已启动：http://{}", listener.local_addr()?);
        tokio::spawn(purge_daily(insights));
        web::serve(state, listener).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn run_eval(queries: &Path, roots: &[PathBuf], dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(queries).map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", queries.display()))?;
    let judged = eval::parse_queries(&text).map_err(|e| anyhow::anyhow!("`{}` {e}", queries.display()))?;
    let (bar, update) = progress_bar();
    let opened = Engine::open_or_build(dir, roots, &update);
    bar.finish_and_clear();
    let (engine, _) = opened?;
    let report = eval::evaluate(&engine, &judged)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:>6} {:>6} {:>6} {:>4}  query → top results", "nDCG", "R@10", "MRR", "答案");
    for score in &report.queries {
        println!(
            "{:>6.3} {:>6.3} {:>6.3} {:>4}  {} → {}",
            score.ndcg,
            score.recall,
            score.mrr,
            if score.answered { "✓" } else { "-" },
            score.query,
            score.top.join(" | ")
        );
    }
    println!(
        "{:>6.3} {:>6.3} {:>6.3} {:>4}  平均（{} 个查询；“答案”：前 10 条中有 3 级结果的查询数）",
        report.ndcg,
        report.recall,
        report.mrr,
        report.answered,
        report.queries.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn run_check(roots: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let mut loaded = content::load(roots, &|_, _| {})?;
    // Official texts are taken as published: their own broken citations are
    // counted, not failures.
    let official: Vec<&PathBuf> =
        roots.iter().filter(|root| content::Layout::detect(root) == content::Layout::LawRefBook).collect();
    let (in_official, dangling): (Vec<_>, Vec<_>) = content::citations::dangling(&loaded.documents)
        .into_iter()
        .partition(|problem| official.iter().any(|root| problem.path.starts_with(root)));
    loaded.problems.extend(dangling);
    loaded.problems.extend(loaded.unknown_tags());
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
