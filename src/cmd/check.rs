//! `weiquan check`: validates every content file and lists the problems.

use std::path::PathBuf;
use std::process::ExitCode;

use weiquan::clock::Clock;
use weiquan::content;

use super::{ContentArgs, print_problems, project_roots};

/// The flags of `weiquan check`.
#[derive(clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    content: ContentArgs,
    /// Also list the guides, warnings and cases that cite an article whose
    /// words or number changed since the version they cite (需复核); listed,
    /// not counted as problems.
    #[arg(long)]
    stale: bool,
}

/// Lists every problem; fails when there is any. Broken citations inside
/// the official texts are counted but are not failures.
pub(super) fn run(args: Args, corpus: Option<PathBuf>, clock: &Clock) -> anyhow::Result<ExitCode> {
    let roots = args.content.roots(corpus);
    let mut loaded = content::load(&roots, clock.today(), &|_, _| {})?;
    if args.stale {
        let laws = weiquan::corpus::changes::Laws::new(&loaded);
        let ours = project_roots(&roots);
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
    loaded.problems.extend(content::citations::dangling_in_lists(
        &loaded.article_questions,
        &loaded.documents,
        &law_title,
    ));
    loaded.problems.extend(loaded.unknown_tags());
    loaded.problems.extend(loaded.unknown_retold(&official));
    loaded.problems.extend(loaded.unchecked());
    loaded.problems.extend(content::questions::too_few(&loaded.documents));
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
