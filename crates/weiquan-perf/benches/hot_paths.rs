//! The hot paths, measured on a fixed slice that ships with the repository
//! (`content/` and `tests/fixtures/content`): normalise + tokenise, article
//! splitting, an index build, and searches with snippets and facets. Then
//! the ranking's two phases apart, over `content/` and the official texts
//! (`../shared/corpus/lawrefbook` or `WEIQUAN_CORPUS`; the shipped slice
//! when they are missing, said on stderr): the first (candidates: the
//! first-phase search, the national pool, the bridge) and the second
//! (features and order), on an everyday question, a long lay question and
//! a query matching most units.
//!
//!     cargo bench -p weiquan-perf --bench hot_paths
//!
//! Whole-system figures over the full corpus are `scripts/perf.py`'s.

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use weiquan::clock::Clock;
use weiquan::content;
use weiquan::search::analyzer::{self, Analyzer, Lexicon};
use weiquan::search::{Engine, SearchRequest, build};

/// The repository's root, two levels above this package.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn roots() -> Vec<PathBuf> {
    let repo = repo();
    vec![repo.join("content"), repo.join("tests/fixtures/content")]
}

fn hot_paths(c: &mut Criterion) {
    let loaded = content::load(&roots(), Clock::default().today(), &|_, _| {}).unwrap();
    let text: String = loaded.documents.iter().map(|d| d.body.as_str()).collect::<Vec<_>>().join("\n");
    let analyzer = Analyzer::new(&Lexicon::with_builtin(&loaded.dictionary, &loaded.synonyms, &loaded.aliases));

    let mut group = c.benchmark_group("text");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("normalise", |b| b.iter(|| weiquan::text::normalize(&text)));
    // The token streams the index build runs, as tantivy calls them.
    let index = tantivy::Index::create_in_ram(weiquan::search::schema::schema().0);
    analyzer::register(&index, &analyzer);
    for name in [analyzer::WORDS, analyzer::BIGRAMS] {
        let mut tokenizer = index.tokenizers().get(name).unwrap();
        group.bench_function(format!("normalise+tokenise {name}"), |b| {
            b.iter(|| {
                let mut tokens = 0;
                tokenizer.token_stream(&text).process(&mut |_| tokens += 1);
                tokens
            })
        });
    }
    group.bench_function("split articles", |b| b.iter(|| content::articles::split_law(&text, &[]).len()));
    group.finish();

    let mut group = c.benchmark_group("index");
    group.sample_size(10);
    group.bench_function("build shipped + fixture content", |b| {
        b.iter(|| {
            let dir = tempfile::tempdir().unwrap();
            build(dir.path(), &roots(), &Clock::default(), &|_, _, _| {}).unwrap().units
        })
    });
    group.finish();

    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), &roots(), &Clock::default(), &|_, _, _| {}).unwrap();
    let engine = Engine::open(dir.path(), Clock::default()).unwrap();
    let mut group = c.benchmark_group("search");
    for query in ["预付卡 退款", "网购衣服不想要了能退吗", "消保法第五十五条", "七天無理由退貨"]
    {
        group.bench_function(query, |b| b.iter(|| engine.search(&SearchRequest::new(query)).unwrap().total));
    }
    group.bench_function("suggest yfk", |b| b.iter(|| engine.suggest("yfk").len()));
    group.finish();
    phases(c);
}

/// The two phases of the ranking, timed apart by the engine.
fn phases(c: &mut Criterion) {
    let repo = repo();
    let corpus = std::env::var_os("WEIQUAN_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("../shared/corpus/lawrefbook"));
    let roots = if corpus.is_dir() {
        vec![repo.join("content"), corpus]
    } else {
        eprintln!("hot_paths: no official texts at {}: the phases run over the shipped slice", corpus.display());
        roots()
    };
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), &roots, &Clock::default(), &|_, _, _| {}).unwrap();
    let engine = Engine::open(dir.path(), Clock::default()).unwrap();
    let mut group = c.benchmark_group("phases");
    for query in
        ["健身房老板跑路了卡里的钱怎么办", "借钱给朋友没有写借条，现在他不承认借过钱，我该怎么办", "中华人民共和国"]
    {
        let request = SearchRequest::new(query);
        for (name, phase) in [("first", 0), ("second", 1)] {
            group.bench_function(format!("{name} {query}"), |b| {
                b.iter_custom(|iterations| {
                    (0..iterations)
                        .map(|_| {
                            let (first, second) = engine.phase_timings(&request).unwrap().expect("searched");
                            if phase == 0 { first } else { second }
                        })
                        .sum()
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, hot_paths);
criterion_main!(benches);
