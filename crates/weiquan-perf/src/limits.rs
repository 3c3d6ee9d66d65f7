//! The machine's limits that `scripts/perf.py` sets weiquan's figures against.
//!
//!     cargo run --release -p weiquan-perf --bin limits -- jieba --content content --content ../shared/corpus/lawrefbook
//!     cargo run --release -p weiquan-perf --bin limits -- noop --addr 127.0.0.1:8090 --bytes 9000
//!     cargo run --release -p weiquan-perf --bin limits -- plain --content content --content ../shared/corpus/lawrefbook --index /tmp/plain
//!
//! `jieba` cuts the text of every document (the same texts the index build
//! reads, after loading) with jieba-rs alone in search mode, on one thread and
//! then on every core, and prints one JSON object. `noop` serves a response of
//! `--bytes` bytes on every path with axum and does no other work: the ceiling
//! for requests per second over HTTP on this machine. `plain` is plain
//! tantivy over the same units: one jieba field, BM25, the top 10 of a union
//! of term queries (block-max WAND), no counts, facets, snippets or second
//! phase, behind a bare axum handler at `/api/search?q=`; it prints its
//! build time as JSON, then serves.

use std::path::PathBuf;
use std::time::Instant;

use axum::response::IntoResponse;
use clap::{Parser, Subcommand};
use tantivy_jieba::jieba_rs::Jieba;
use weiquan::clock::Clock;

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    limit: Limit,
}

#[derive(Subcommand)]
enum Limit {
    /// Time jieba-rs alone over the loaded texts.
    Jieba {
        #[arg(long, required = true)]
        content: Vec<PathBuf>,
    },
    /// Index the units with plain tantivy, then serve the top 10 by BM25.
    Plain {
        #[arg(long, required = true)]
        content: Vec<PathBuf>,
        #[arg(long)]
        index: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8091")]
        addr: std::net::SocketAddr,
    },
    /// Serve a fixed body on every path.
    Noop {
        #[arg(long, default_value = "127.0.0.1:8090")]
        addr: std::net::SocketAddr,
        #[arg(long)]
        bytes: usize,
    },
}

fn main() -> anyhow::Result<()> {
    match Args::parse().limit {
        Limit::Jieba { content } => jieba(&content),
        Limit::Noop { addr, bytes } => noop(addr, bytes),
        Limit::Plain { content, index, addr } => plain(&content, &index, addr),
    }
}

fn jieba(roots: &[PathBuf]) -> anyhow::Result<()> {
    let loaded = weiquan::content::load(roots, Clock::default().today(), &|_, _| {})?;
    let texts: Vec<String> = loaded
        .documents
        .iter()
        .flat_map(|d| std::iter::once(d.meta.title.clone()).chain(d.units.iter().map(|u| u.text.clone())))
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let jieba = Jieba::new();
    let cut = |texts: &[String]| texts.iter().map(|t| jieba.cut_for_search(t, true).len()).sum::<usize>();

    let started = Instant::now();
    let words = cut(&texts);
    let single = started.elapsed().as_secs_f64();

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = Instant::now();
    let chunk = texts.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for part in texts.chunks(chunk) {
            scope.spawn(|| cut(part));
        }
    });
    let parallel = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "texts": texts.len(), "bytes": bytes, "words": words, "threads": threads,
            "single_seconds": single, "all_cores_seconds": parallel,
        })
    );
    Ok(())
}

fn noop(addr: std::net::SocketAddr, bytes: usize) -> anyhow::Result<()> {
    let body = axum::body::Bytes::from(vec![b'x'; bytes]);
    let app = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], body) }
    });
    tokio::runtime::Runtime::new()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        println!("listening on http://{}", listener.local_addr()?);
        axum::serve(listener, app).await?;
        anyhow::Ok(())
    })
}

fn plain(roots: &[PathBuf], dir: &std::path::Path, addr: std::net::SocketAddr) -> anyhow::Result<()> {
    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
    use tantivy::schema::{IndexRecordOption, STORED, STRING, TextFieldIndexing, TextOptions, Value};
    use tantivy::tokenizer::TokenStream;
    use tantivy::{Index, TantivyDocument, Term};

    let started = Instant::now();
    let loaded = weiquan::content::load(roots, Clock::default().today(), &|_, _| {})?;
    let mut schema = tantivy::schema::Schema::builder();
    let id = schema.add_text_field("id", STRING | STORED);
    let indexing = TextFieldIndexing::default().set_tokenizer("jieba").set_index_option(IndexRecordOption::WithFreqs);
    let text = schema.add_text_field("text", TextOptions::default().set_indexing_options(indexing));
    std::fs::create_dir_all(dir)?;
    let index = Index::create_in_dir(dir, schema.build())?;
    index.tokenizers().register("jieba", tantivy_jieba::JiebaTokenizer::new());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(threads, threads * 100_000_000)?;
    let mut units = 0;
    for document in &loaded.documents {
        for unit in &document.units {
            let anchor = unit.article.as_ref().map_or(String::new(), |a| a.label.clone());
            let mut doc = TantivyDocument::default();
            doc.add_text(id, format!("{}#{anchor}", document.id));
            doc.add_text(text, format!("{}\n{}", document.meta.title, unit.text));
            writer.add_document(doc)?;
            units += 1;
        }
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    println!("{}", serde_json::json!({"units": units, "build_seconds": started.elapsed().as_secs_f64()}));

    let reader = index.reader()?;
    let search = move |q: &str| -> anyhow::Result<serde_json::Value> {
        let mut tokenizer = index.tokenizers().get("jieba").expect("registered");
        let mut stream = tokenizer.token_stream(q);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        while let Some(token) = stream.next() {
            let term = Term::from_field_text(text, &token.text);
            clauses.push((Occur::Should, Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))));
        }
        let searcher = reader.searcher();
        let top = searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(10).order_by_score())?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            hits.push(serde_json::json!({"id": doc.get_first(id).and_then(|v| v.as_str()), "score": score}));
        }
        Ok(serde_json::json!({ "hits": hits }))
    };
    let search = std::sync::Arc::new(search);
    let app = axum::Router::new().route(
        "/api/search",
        axum::routing::get(
            move |axum::extract::Query(params): axum::extract::Query<std::collections::HashMap<String, String>>| {
                let search = search.clone();
                async move {
                    let q = params.get("q").cloned().unwrap_or_default();
                    let found = tokio::task::spawn_blocking(move || search(&q)).await;
                    match found {
                        Ok(Ok(json)) => axum::Json(json).into_response(),
                        _ => axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                    }
                }
            },
        ),
    );
    tokio::runtime::Runtime::new()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        axum::serve(listener, app).await?;
        anyhow::Ok(())
    })
}
