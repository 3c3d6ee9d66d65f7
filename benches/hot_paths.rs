//! The hot paths, measured on a fixed slice that ships with the repository
//! (`content/` and `tests/fixtures/content`): normalise + tokenise, article
//! splitting, an index build, and searches with snippets and facets.
//!
//!     cargo bench --bench hot_paths
//!
//! Whole-system figures over the full corpus are issue 8's script.

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use weiquan::clock::Clock;
use weiquan::content;
use weiquan::search::analyzer::{self, Analyzer, Lexicon};
use weiquan::search::{Engine, SearchRequest, build};

fn roots() -> Vec<PathBuf> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
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
}

criterion_group!(benches, hot_paths);
criterion_main!(benches);
