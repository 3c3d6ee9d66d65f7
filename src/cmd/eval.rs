//! `weiquan eval`: relevance figures on judged files, the ablation table,
//! fitting the ranking model's weights and learning the vocabulary and the
//! asked words.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use weiquan::clock::Clock;
use weiquan::search::eval::{self, EvalReport, Judged, Split};
use weiquan::search::rank::asked::{ArticleName, Asked, CASE_LABEL, is_numbering, question_lines};
use weiquan::search::rank::fit::{self, Question};
use weiquan::search::rank::vocabulary::Vocabulary;
use weiquan::search::rank::{Feature, Model};
use weiquan::search::{Engine, SearchRequest};

use super::{ContentArgs, IndexArgs, progress_bar, project_roots};

/// The flags of `weiquan eval`.
#[derive(clap::Args)]
pub(super) struct Args {
    /// The judged queries, e.g. ../shared/eval/queries-dev.jsonl or
    /// eval/consumer.jsonl; several with --fit and --ablate.
    #[arg(required = true)]
    queries: Vec<PathBuf>,
    /// Only one half of the queries: tune or check. The halves are fixed
    /// by a hash of each question's text, the same on every machine
    /// (docs/RELEVANCE.md).
    #[arg(long, value_name = "HALF", value_parser = parse_split)]
    split: Option<Split>,
    #[command(flatten)]
    content: ContentArgs,
    #[command(flatten)]
    index: IndexArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Fit the ranking model's weights on the tune halves of the files
    /// and write them to FILE
    /// (crates/weiquan-core/src/search/rank/weights.toml), with the figures
    /// before and after on both halves.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["split", "json", "ablate"])]
    fit: Option<PathBuf>,
    /// A table of the figures with each ranking feature turned off in turn.
    #[arg(long, conflicts_with = "json")]
    ablate: bool,
    /// Learn the vocabulary (everyday words → statute words) from the
    /// tune halves of the files and write it to FILE
    /// (crates/weiquan-core/src/search/lexicon/learned.txt).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["split", "json", "ablate", "fit"])]
    learn: Option<PathBuf>,
    /// File the words of the tune halves' questions under the articles
    /// judged to answer them and write the list to FILE (content/asked.txt),
    /// with the texts of the questions of the project's own judged files
    /// (those inside the current folder, such as eval/consumer.jsonl;
    /// files elsewhere, such as ../shared/eval, may not be copied).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["split", "json", "ablate", "fit", "learn"])]
    learn_asked: Option<PathBuf>,
    /// Rank with the weights in FILE instead of the built-in ones (to
    /// try a fit before building it in; --fit starts from them).
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
}

/// A `--split` value.
fn parse_split(text: &str) -> Result<Split, String> {
    Split::parse(text).ok_or_else(|| format!("unknown half `{text}`: use tune or check"))
}

/// What `weiquan eval` does.
enum Mode {
    Report { json: bool },
    Fit(PathBuf),
    Learn(PathBuf),
    LearnAsked(PathBuf),
    Ablate,
}

/// Opens the index (building it when needed) and does what the flags ask.
pub(super) fn run(args: Args, corpus: Option<PathBuf>, clock: Clock) -> anyhow::Result<ExitCode> {
    let mode = match (args.fit, args.learn, args.learn_asked, args.ablate) {
        (Some(out), ..) => Mode::Fit(out),
        (None, Some(out), ..) => Mode::Learn(out),
        (None, None, Some(out), _) => Mode::LearnAsked(out),
        (None, None, None, true) => Mode::Ablate,
        (None, None, None, false) => Mode::Report { json: args.json },
    };
    let (files, split, roots): (&[PathBuf], _, _) = (&args.queries, args.split, args.content.roots(corpus));
    let model = match &args.weights {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", path.display()))?;
            Model::parse(&text).map_err(|e| anyhow::anyhow!("`{}`: {e}", path.display()))?
        }
        None => Model::builtin().clone(),
    };
    let (bar, update) = progress_bar();
    let opened = Engine::open_or_build(&args.index.dir, &roots, clock, &update);
    bar.finish_and_clear();
    let (engine, _) = opened?;
    match mode {
        Mode::Fit(out) => fit_weights(&engine, &roots, files, &model, &out)?,
        Mode::Learn(out) => learn(&engine, files, &project_roots(&roots), &out)?,
        Mode::LearnAsked(out) => learn_asked(&engine, files, &out)?,
        Mode::Ablate => ablate(&engine, files, split, &model)?,
        Mode::Report { json } => {
            let [file] = files else { anyhow::bail!("give one judged file, or several with --fit or --ablate") };
            let report = eval::evaluate_with(&engine, &read(file, split)?, &model)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_report(&report, split);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads a judged file, keeping one half when `split` says so.
fn read(path: &Path, split: Option<Split>) -> anyhow::Result<Vec<Judged>> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", path.display()))?;
    let judged = eval::parse_queries(&text).map_err(|e| anyhow::anyhow!("`{}` {e}", path.display()))?;
    Ok(match split {
        Some(half) => eval::split(judged, half),
        None => judged,
    })
}

/// Prints the per-query table and the means of one judged set.
fn print_report(report: &EvalReport, split: Option<Split>) {
    println!("{:>6} {:>6} {:>6} {:>6} {:>4}  query → top results", "nDCG", "R@10", "R@100", "MRR", "答案");
    for score in &report.queries {
        println!(
            "{:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>4}  {} → {}",
            score.ndcg,
            score.recall,
            score.recall100,
            score.mrr,
            if score.answered { "✓" } else { "-" },
            score.query,
            score.top.join(" | ")
        );
    }
    let half = match split {
        Some(Split::Tune) => "tune 半，",
        Some(Split::Check) => "check 半，",
        None => "",
    };
    println!(
        "{:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>4}  平均（{half}{} 个查询；“答案”：前 10 条中有 3 级结果的查询数）",
        report.ndcg,
        report.recall,
        report.recall100,
        report.mrr,
        report.answered,
        report.queries.len()
    );
}

/// Every question of `files` with its candidates measured once; the set is
/// the file's place in `files`.
fn questions(engine: &Engine, files: &[PathBuf], split: Option<Split>) -> anyhow::Result<Vec<Question>> {
    let mut questions = Vec::new();
    for (set, file) in files.iter().enumerate() {
        for judged in read(file, split)? {
            questions.push(measure(engine, set, judged)?);
        }
    }
    Ok(questions)
}

/// One judged question with its candidates measured.
fn measure(engine: &Engine, set: usize, judged: Judged) -> anyhow::Result<Question> {
    let request = SearchRequest { per_page: eval::RECALL_DEPTH, ..SearchRequest::new(judged.q.clone()) };
    let candidates = engine.candidates(&request)?;
    Ok(Question { set, judged, candidates })
}

/// A judged file's name in the tables: its stem.
fn name(file: &Path) -> String {
    file.file_stem().map_or_else(|| file.display().to_string(), |s| s.to_string_lossy().into_owned())
}

/// One line of figures.
fn line(label: &str, report: &EvalReport) -> String {
    format!(
        "| {label} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {} |",
        report.queries.len(),
        report.ndcg,
        report.recall,
        report.recall100,
        report.mrr,
        report.answered
    )
}

const HEADER: &str = "| set, half | questions | nDCG@10 | Recall@10 | Recall@100 | MRR | answered |\n|---|---:|---:|---:|---:|---:|---:|";

/// The figures of `model` on each file's tune and check halves.
fn table(model: &Model, files: &[PathBuf], tune: &[Question], check: &[Question]) -> String {
    let mut rows = vec![HEADER.to_string()];
    for (set, file) in files.iter().enumerate() {
        for (half, questions) in [("tune", tune), ("check", check)] {
            let report = fit::report(model, questions.iter().filter(|q| q.set == set));
            rows.push(line(&format!("{} {half}", name(file)), &report));
        }
    }
    rows.join("\n")
}

/// `--fit OUT`: fits the weights on the tune halves of `files`, prints the
/// figures before and after on both halves and writes the weights file.
///
/// The index's asked words (`asked.txt`) are learned from the tune halves,
/// so on it every tune question finds its own words filed under its
/// answers, and a fit there would overrate them. The fit therefore splits
/// the tune questions into two folds and measures each on an index, built
/// in a temporary folder, whose asked words come from the other fold only;
/// it fits the weights on both folds together.
fn fit_weights(engine: &Engine, roots: &[PathBuf], files: &[PathBuf], start: &Model, out: &Path) -> anyhow::Result<()> {
    let mut judged = Vec::new();
    for (set, file) in files.iter().enumerate() {
        judged.extend(read(file, Some(Split::Tune))?.into_iter().map(|question| (set, question)));
    }
    let own = own_files(files)?;
    let mut tune = Vec::new();
    for fold in 0..2 {
        let (this, other): (Vec<_>, Vec<_>) = judged.iter().partition(|(_, q)| Split::fold(&q.q) == fold);
        let (asked, _) = asked_text(engine, other.iter().map(|(set, q)| (q, own[*set])));
        let dir = std::env::temp_dir().join(format!("weiquan-fit-{}-{fold}", std::process::id()));
        let measured = (|| {
            weiquan::search::build_with_asked(&dir, roots, engine.clock(), asked)?;
            let fold_engine = Engine::open(&dir, engine.clock().clone())?;
            this.into_iter().map(|(set, q)| measure(&fold_engine, *set, q.clone())).collect::<anyhow::Result<Vec<_>>>()
        })();
        let _ = std::fs::remove_dir_all(&dir);
        tune.extend(measured?);
    }
    let check = questions(engine, files, Some(Split::Check))?;
    let fitted = fit::fit(start, &tune, files.len(), 8);
    let before = table(start, files, &tune, &check);
    let after = table(&fitted, files, &tune, &check);
    println!("Before:\n{before}\n\nAfter:\n{after}");
    let comment = |text: &str| text.lines().map(|l| format!("# {l}\n")).collect::<String>();
    let sets: Vec<String> = files.iter().map(|f| name(f)).collect();
    let file = format!(
        "# The weights of the ranking model's features (crates/weiquan-core/src/search/rank/mod.rs),\n\
         # written by `weiquan eval --fit` by coordinate ascent on the mean nDCG@10\n\
         # of the tune halves of: {}, each fold of a tune half measured with asked\n\
         # words learned from the other fold.\n#\n# Before (the previous weights):\n{}#\n# After:\n{}\n{}",
        sets.join(", "),
        comment(&before),
        comment(&after),
        fitted.to_toml()
    );
    std::fs::write(out, file).map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", out.display()))?;
    println!("\n已写入 {}", out.display());
    Ok(())
}

/// `--ablate`: each file's figures with every feature turned off in turn.
fn ablate(engine: &Engine, files: &[PathBuf], split: Option<Split>, model: &Model) -> anyhow::Result<()> {
    let questions = questions(engine, files, split)?;
    let mut header = String::from("| feature off |");
    let mut rule = String::from("|---|");
    for file in files {
        header.push_str(&format!(" {} nDCG@10 | R@100 |", name(file)));
        rule.push_str("---:|---:|");
    }
    println!("{header}\n{rule}");
    let row = |label: &str, model: &Model| {
        let mut text = format!("| {label} |");
        for set in 0..files.len() {
            let report = fit::report(model, questions.iter().filter(|q| q.set == set));
            text.push_str(&format!(" {:.3} | {:.3} |", report.ndcg, report.recall100));
        }
        println!("{text}");
    };
    row("(none)", model);
    for feature in Feature::ALL {
        row(feature.name(), &model.without(*feature));
    }
    Ok(())
}

/// `--learn OUT`: learns the vocabulary from the tune halves of `files`
/// (each question with the text of its articles of grade 2 or 3) and from
/// the shipped guides and warnings in `roots` (each typical question with
/// the articles the document cites), and writes it to OUT
/// (crates/weiquan-core/src/search/lexicon/learned.txt).
fn learn(engine: &Engine, files: &[PathBuf], roots: &[PathBuf], out: &Path) -> anyhow::Result<()> {
    let mut pairs = Vec::new();
    let shipped = weiquan::content::load(roots, engine.clock().today(), &|_, _| {})?;
    let mut from_guides = 0;
    for document in shipped.documents.iter().filter(|d| !d.meta.questions.is_empty()) {
        let answer: std::collections::HashSet<String> = engine
            .cited_texts(&document.body)?
            .iter()
            .flat_map(|text| engine.concepts(text))
            .filter(|w| !is_numbering(w))
            .collect();
        if answer.is_empty() {
            continue;
        }
        for question in &document.meta.questions {
            pairs.push((engine.concepts(question).into_iter().collect(), answer.clone()));
            from_guides += 1;
        }
    }
    for file in files {
        for judged in read(file, Some(Split::Tune))? {
            let question: std::collections::HashSet<String> = engine.concepts(&judged.q).into_iter().collect();
            let mut answer = std::collections::HashSet::new();
            for item in judged.relevant.iter().filter(|j| j.grade >= 2) {
                if let Some(label) = &item.article
                    && let Some(text) = engine.article_text(&item.title, label)?
                {
                    answer.extend(engine.concepts(&text).into_iter().filter(|w| !is_numbering(w)));
                }
            }
            if !answer.is_empty() {
                pairs.push((question, answer));
            }
        }
    }
    let vocabulary = Vocabulary::learn(&pairs);
    let sets: Vec<String> = files.iter().map(|f| name(f)).collect();
    let text = format!(
        "# Learned vocabulary (crates/weiquan-core/src/search/rank/vocabulary.rs), written by\n\
         # `weiquan eval --learn` from {} question and answer pairs: the tune\n\
         # halves of {}, and {} typical questions of the shipped guides and\n\
         # warnings with the articles they cite. word => statute word:normalised PMI, ...\n{}",
        pairs.len(),
        sets.join(", "),
        from_guides,
        vocabulary.to_text()
    );
    std::fs::write(out, text).map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", out.display()))?;
    println!("已写入 {}（{} 对问题和条文）", out.display(), pairs.len());
    Ok(())
}

/// An `asked.txt` of `judged` (each with whether its file is the
/// project's own): every question's words filed under the articles judged
/// (grade 2 or 3) to answer them, then the texts of the own questions by
/// article or case; and how many questions' words were filed.
fn asked_text<'a>(engine: &Engine, judged: impl IntoIterator<Item = (&'a Judged, bool)>) -> (String, usize) {
    let mut words_by_question = Vec::new();
    let mut texts: BTreeMap<ArticleName, Vec<String>> = BTreeMap::new();
    for (judged, own) in judged {
        let words: Vec<String> = engine.concepts(&judged.q).into_iter().filter(|w| !is_numbering(w)).collect();
        let articles: Vec<ArticleName> = judged
            .relevant
            .iter()
            .filter(|item| item.grade >= 2)
            .filter_map(|item| Some(ArticleName { title: item.title.clone(), label: item.article.clone()? }))
            .collect();
        if words.is_empty() {
            continue;
        }
        if own {
            // A case judged to answer it is named by its title alone.
            let cases = judged.relevant.iter().filter(|item| item.grade >= 2 && item.article.is_none());
            let cases = cases.map(|item| ArticleName { title: item.title.clone(), label: CASE_LABEL.to_string() });
            for answer in articles.iter().cloned().chain(cases) {
                texts.entry(answer).or_default().push(judged.q.trim().to_string());
            }
        }
        if !articles.is_empty() {
            words_by_question.push((words, articles));
        }
    }
    let count = words_by_question.len();
    (Asked::learn(words_by_question).to_text() + &question_lines(&texts), count)
}

/// Whether each judged file is the project's own: inside the current
/// folder (eval/consumer.jsonl), not a shared set that may not be copied.
fn own_files(files: &[PathBuf]) -> anyhow::Result<Vec<bool>> {
    let here = std::env::current_dir()?.canonicalize()?;
    files
        .iter()
        .map(|file| {
            let path = file.canonicalize().map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", file.display()))?;
            Ok(path.starts_with(&here))
        })
        .collect()
}

/// `--learn-asked OUT`: files the words of the tune halves' questions under
/// the articles judged to answer them (grade 2 or 3), adds the texts of the
/// project's own questions, and writes the list to OUT (a content root's
/// asked.txt).
fn learn_asked(engine: &Engine, files: &[PathBuf], out: &Path) -> anyhow::Result<()> {
    let own = own_files(files)?;
    let mut judged = Vec::new();
    for (file, own) in files.iter().zip(own) {
        judged.extend(read(file, Some(Split::Tune))?.into_iter().map(|question| (question, own)));
    }
    let (asked, count) = asked_text(engine, judged.iter().map(|(question, own)| (question, *own)));
    let sets: Vec<String> = files.iter().map(|f| name(f)).collect();
    let text = format!(
        "# What people ask, by the article that answers it (crates/weiquan-core/src/search/rank/asked.rs):\n\
         # the words of {count} judged questions (the tune halves of {}), filed under\n\
         # the articles judged to answer them, then (lines starting `? `) the texts of\n\
         # the project's own questions. Written by `weiquan eval --learn-asked`; staff\n\
         # may add lines: short title, article label => word:times asked, ...\n{asked}",
        sets.join(", "),
    );
    std::fs::write(out, text).map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", out.display()))?;
    println!("已写入 {}（{count} 个问题）", out.display());
    Ok(())
}
