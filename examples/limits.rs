//! The machine's limits that `scripts/perf.sh` sets weiquan's figures against.
//!
//!     cargo run --release --example limits -- jieba --content content --content ../shared/corpus/lawrefbook
//!     cargo run --release --example limits -- noop --addr 127.0.0.1:8090 --bytes 9000
//!
//! `jieba` cuts the text of every document (the same texts the index build
//! reads, after loading) with jieba-rs alone in search mode, on one thread and
//! then on every core, and prints one JSON object. `noop` serves a response of
//! `--bytes` bytes on every path with axum and does no other work: the ceiling
//! for requests per second over HTTP on this machine.

use std::path::PathBuf;
use std::time::Instant;

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
