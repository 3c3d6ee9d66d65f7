//! `weiquan serve`: the website and the JSON API, with the staff side, the
//! insights and their daily purge.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use weiquan::clock::Clock;
use weiquan::content;
use weiquan::db::database::Target;
use weiquan::insights::Insights;
use weiquan::publish::{Publisher, Store, StoreError};
use weiquan::search::Engine;
use weiquan::web::{
    self,
    config::{FileConfig, ServeConfig},
};

use super::corpus::fetch_corpus;
use super::{config_file, print_problems, progress_bar};

/// The flags of `weiquan serve`.
#[derive(clap::Args)]
pub(super) struct Args {
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
    /// The staff database on a PostgreSQL server (postgres://user@host/db) instead of the SQLite file in the data folder.
    #[arg(long, env = "WEIQUAN_DATABASE", value_name = "URL")]
    database: Option<String>,
    /// Searches per second per client address before 429; 0 turns off the per-address search limits (this rate and 2 searches at once) [default: 20].
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
    /// TOML file with `addr`, `content`, `index`, `static`, `data`, `database_url`, `secure_cookies`, `search_rate`, `result_cache_mb`, `max_connections`, `event_streams`, `event_streams_per_address`, `insights_retention_days`, `insights_regions`, `insights_searches_per_address`, `audit_retention_days`, `trusted_proxies`, `timezone`, `corpus_url`, `offline`, `[kiosks.<id>]` [default: weiquan.toml, if present].
    #[arg(long, env = "WEIQUAN_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
}

/// What to tell a user who runs without the official texts, in Chinese and English.
const NO_CORPUS_NOTICE: &str = "未载入法律法规原文：运行 `weiquan corpus fetch` 下载，或用 `--content` 指向 LawRefBook 文件夹。\n\
    The official law texts are not loaded: run `weiquan corpus fetch`, or point `--content` at a LawRefBook checkout.";

/// Merges the flags with the config file, builds the index when needed and
/// serves until Ctrl-C or SIGTERM. `timezone` is the global flag, which
/// beats the config file's.
pub(super) fn run(args: Args, timezone: Option<chrono_tz::Tz>, corpus: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let file = config_file(args.config.as_deref())?;
    let flags = FileConfig {
        addr: args.addr,
        content: Some(args.content),
        index: args.index,
        static_dir: args.static_dir,
        data: args.data,
        database_url: args.database,
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
        None => default_roots(&config, corpus),
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
    let engine = Arc::new(engine);
    let target = Target::configured(config.database_url.as_deref(), &config.data).map_err(StoreError::DatabaseUrl)?;
    let store = Store::at(&target)?;
    // Staff documents are written to the first folder in this project's layout.
    let staff_root = content
        .iter()
        .find(|root| content::Layout::detect(root) == content::Layout::Project)
        .cloned()
        .unwrap_or_else(|| PathBuf::from("content"));
    let publisher = Publisher::new(&staff_root, store, engine.clone());
    if publisher.store().is_shared() {
        // A new machine, or one that was down, takes what the others saved
        // before it answers. The listener looks again once it listens, for
        // what was saved between this and its LISTEN.
        let taken = publisher.follow_all()?;
        if taken > 0 {
            eprintln!("已从数据库取得其他服务器保存的文档 {taken} 篇");
        }
    }
    let insights =
        Arc::new(Insights::open(&target, config.insights_retention_days)?.with_limits(config.insights_limits.clone()));
    let audit = Store::at(&target)?;
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
        let stop = web::stop_signal()?;
        println!("消费维权知识库已启动：http://{}", listener.local_addr()?);
        tokio::spawn(purge_daily(insights, audit, config.audit_retention_days, clock));
        web::serve_until(state, listener, config.connections, stop).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `content/` and the official texts; on first start (none fetched yet and
/// none named) the texts are downloaded first, unless offline. A failed
/// download is reported and the server starts on `content/` alone.
fn default_roots(config: &ServeConfig, corpus: Option<PathBuf>) -> Vec<PathBuf> {
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

/// Deletes insights and audit entries older than their retention periods,
/// at start and daily. `audit` is a connection of its own to the staff
/// database.
async fn purge_daily(insights: Arc<Insights>, audit: Store, audit_retention_days: u32, clock: Clock) {
    let audit = Arc::new(audit);
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
