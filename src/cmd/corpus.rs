//! `weiquan corpus fetch` and `weiquan corpus update`: the official law
//! texts in the data folder, downloaded or copied from a checkout, with what
//! changed since the texts they replace.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use weiquan::clock::Clock;
use weiquan::content::{self, Kind};
use weiquan::corpus::fetch::{self, FetchError, Fetched, Limits};

use super::{config_file, print_problems, project_roots};

/// The flags of `weiquan corpus`.
#[derive(clap::Args)]
pub(super) struct Args {
    #[command(subcommand)]
    command: CorpusCommand,
}

/// The subcommands of `weiquan corpus`.
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

/// The flags of `weiquan corpus fetch`.
#[derive(clap::Args)]
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

/// The flags of `weiquan corpus update`.
#[derive(clap::Args)]
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

/// Runs `corpus fetch` or `corpus update`.
pub(super) fn run(args: Args, corpus: Option<PathBuf>, clock: &Clock) -> anyhow::Result<ExitCode> {
    match args.command {
        CorpusCommand::Fetch(args) => run_fetch(args, clock),
        CorpusCommand::Update(args) => run_update(args, corpus, clock),
    }
}

/// Downloads the texts; over texts already here it says what changed, like
/// `corpus update`.
fn run_fetch(args: FetchArgs, clock: &Clock) -> anyhow::Result<ExitCode> {
    let file = config_file(args.config.as_deref())?;
    let data = args.data.or(file.data).unwrap_or_else(|| PathBuf::from("data"));
    let url = args
        .url
        .or(file.corpus_url)
        .unwrap_or_else(|| weiquan::corpus::archive_url(args.rev.as_deref().unwrap_or(weiquan::corpus::DEFAULT_REV)));
    let limits = Limits { max_download: args.max_size << 20, ..Default::default() };
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
pub(super) fn fetch_corpus(url: &str, data: &Path, limits: Limits) -> Result<Fetched, FetchError> {
    eprintln!("正在下载法律文本 / downloading the law texts: {url}");
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bytes}/{total_bytes} {wide_bar} {bytes_per_sec}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let fetched = fetch::fetch(url, data, limits, &|done, total| {
        if let Some(total) = total {
            bar.set_length(total);
        }
        bar.set_position(done);
    });
    bar.finish_and_clear();
    fetched
}

/// Prints what changed from the corpus to `--from`, then replaces the
/// corpus with it; refuses a folder that holds no law texts.
fn run_update(args: UpdateArgs, corpus: Option<PathBuf>, clock: &Clock) -> anyhow::Result<ExitCode> {
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
