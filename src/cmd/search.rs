//! `weiquan search`: searches the index from the terminal, as text or JSON.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use weiquan::clock::Clock;
use weiquan::content::Kind;
use weiquan::search::{Engine, SearchRequest};

use super::{IndexArgs, progress_bar};

/// The flags of `weiquan search`.
#[derive(clap::Args)]
pub(super) struct Args {
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

/// A `--kind` value.
fn parse_kind(text: &str) -> Result<Kind, String> {
    Kind::parse(text).ok_or_else(|| format!("unknown kind `{text}`: use law, case, warning or guide"))
}

/// Searches, building or refreshing the index first when the content changed.
pub(super) fn run(args: Args, clock: Clock, corpus: Option<PathBuf>) -> anyhow::Result<ExitCode> {
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
        let status = hit.status.map(|s| format!(" · {}", s.label())).unwrap_or_default();
        println!("\n{}. 《{}》{article}  [{}{status}]", rank + 1, hit.title, hit.kind.label());
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
