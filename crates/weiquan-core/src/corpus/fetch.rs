//! `weiquan corpus fetch`: download the LawRefBook archive (tar.gz) of one
//! commit, unpack it into a temporary folder beside the corpus, check it,
//! and switch to it in one step.
//!
//! Stages, each of which leaves any previous corpus untouched when it fails:
//! 1. [`check_url`]: HTTPS only, plain HTTP only to this machine;
//! 2. download into the temporary folder, at most `max_download` bytes;
//! 3. [`unpack`]: only the Markdown texts, refusing entries that would leave
//!    the folder and links, at most `max_unpacked` bytes;
//! 4. [`check_layout`]: the LawRefBook layout with at least
//!    [`MIN_LAW_FILES`] texts;
//! 5. [`switch`]: the new folder takes the corpus's place atomically
//!    (an exchange of two directory entries), and the old one is deleted.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::net::IpAddr;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use crate::content::lawrefbook::LEVEL_FOLDERS;
use crate::content::{Layout, lawrefbook};

/// Fewer texts than this is not the collection (a wrong or partial archive).
pub const MIN_LAW_FILES: usize = 1000;
/// Prefix of the temporary folders under the data folder; leftovers of an
/// interrupted fetch are removed by the next one.
const STAGING_PREFIX: &str = ".corpus-";
/// How long connecting may take before the fetch gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the server may stay silent while sending.
const RECEIVE_TIMEOUT: Duration = Duration::from_secs(60);

/// Size limits against a wrong URL or a hostile archive.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest archive downloaded. Default 512 MiB (the collection's is
    /// about 40 MB).
    pub max_download: u64,
    /// Largest total of the texts unpacked. Default 2 GiB.
    pub max_unpacked: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_download: 512 << 20, max_unpacked: 2 << 30 }
    }
}

/// What a fetch installed.
#[derive(Debug)]
pub struct Fetched {
    /// The corpus folder (`data/corpus`).
    pub folder: PathBuf,
    /// Texts in the LawRefBook folders.
    pub law_files: usize,
    /// Bytes downloaded.
    pub downloaded: u64,
}

/// Why a fetch failed; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL is plain HTTP to a host other than this machine.
    #[error("语料地址必须是 HTTPS（本机地址除外）：{0} / the corpus URL must be HTTPS (plain HTTP only to loopback)")]
    Insecure(String),
    /// The URL cannot be parsed.
    #[error("语料地址无效：{0} / invalid corpus URL")]
    BadUrl(String),
    /// The download failed.
    #[error("下载失败：{url}：{reason} / download failed")]
    Download {
        /// The address.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The archive is larger than the limit.
    #[error("压缩包超过 {limit} 字节的上限 / the archive exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The archive holds an entry that is not a plain file under the corpus folder.
    #[error("压缩包含有不安全的条目“{entry}”（{reason}），已拒绝 / unsafe archive entry refused")]
    UnsafeEntry {
        /// The entry's name in the archive.
        entry: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The archive is truncated or damaged.
    #[error("压缩包不完整或已损坏：{0} / the archive is truncated or damaged")]
    Damaged(String),
    /// The archive does not hold the LawRefBook texts.
    #[error(
        "压缩包里不是 LawRefBook 法律文本（{0}） / the archive does not hold the LawRefBook layout with at least {MIN_LAW_FILES} texts"
    )]
    NotTheCorpus(String),
    /// A file or folder in the data folder could not be written.
    #[error("无法写入 {path}：{source} / cannot write there")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> FetchError + '_ {
    move |source| FetchError::Io { path: path.to_path_buf(), source }
}

/// Downloads the archive at `url` and installs its texts as the corpus under
/// `data`. `progress` gets the bytes downloaded and the total when known.
pub fn fetch(
    url: &str,
    data: &Path,
    limits: Limits,
    progress: &dyn Fn(u64, Option<u64>),
) -> Result<Fetched, FetchError> {
    check_url(url)?;
    fs::create_dir_all(data).map_err(io_error(data))?;
    remove_leftovers(data);
    let staging = tempfile::Builder::new().prefix(STAGING_PREFIX).tempdir_in(data).map_err(io_error(data))?;
    let archive = staging.path().join("archive.tar.gz");
    let downloaded = download(url, &archive, limits.max_download, progress)?;
    let unpacked = staging.path().join("unpacked");
    let root = unpack(&archive, &unpacked, limits.max_unpacked)?;
    fs::remove_file(&archive).map_err(io_error(&archive))?;
    let law_files = check_layout(&root)?;
    let folder = super::folder(data);
    super::install::switch(&root, &folder).map_err(io_error(&folder))?;
    // Dropping the staging folder deletes the old corpus swapped into it.
    drop(staging);
    Ok(Fetched { folder, law_files, downloaded })
}

/// HTTPS anywhere; plain HTTP only to a loopback address (mirrors on this
/// machine and tests).
pub fn check_url(url: &str) -> Result<(), FetchError> {
    let uri: ureq::http::Uri = url.parse().map_err(|_| FetchError::BadUrl(url.to_string()))?;
    let host = uri.host().ok_or_else(|| FetchError::BadUrl(url.to_string()))?;
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if loopback => Ok(()),
        Some("http") => Err(FetchError::Insecure(url.to_string())),
        _ => Err(FetchError::BadUrl(url.to_string())),
    }
}

/// Deletes temporary folders an interrupted fetch left behind.
fn remove_leftovers(data: &Path) {
    for entry in fs::read_dir(data).into_iter().flatten().flatten() {
        if entry.file_name().to_string_lossy().starts_with(STAGING_PREFIX) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

fn download(url: &str, to: &Path, limit: u64, progress: &dyn Fn(u64, Option<u64>)) -> Result<u64, FetchError> {
    let failed = |reason: String| FetchError::Download { url: url.to_string(), reason };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_recv_body(Some(RECEIVE_TIMEOUT))
        .https_only(!url.starts_with("http://"))
        .build()
        .into();
    let response = agent.get(url).call().map_err(|e| failed(e.to_string()))?;
    let total = response.body().content_length();
    if total.is_some_and(|total| total > limit) {
        return Err(FetchError::TooLarge { limit });
    }
    let mut body = response.into_body().into_reader();
    let mut file = File::create(to).map_err(io_error(to))?;
    let mut buffer = vec![0; 64 * 1024];
    let mut done = 0u64;
    loop {
        let read = body.read(&mut buffer).map_err(|e| failed(e.to_string()))?;
        if read == 0 {
            break;
        }
        done += read as u64;
        if done > limit {
            return Err(FetchError::TooLarge { limit });
        }
        file.write_all(&buffer[..read]).map_err(io_error(to))?;
        progress(done, total);
    }
    if total.is_some_and(|total| total != done) {
        return Err(failed(format!("received {done} of {} bytes", total.unwrap_or_default())));
    }
    file.sync_all().map_err(io_error(to))?;
    Ok(done)
}

/// Unpacks the Markdown files of `archive` under `into` and returns the
/// collection's root: the archive's single top folder (as upstream archives
/// are laid out) or `into` itself. Every entry is checked, even those not
/// kept: absolute paths, `..` and links refuse the whole archive.
pub fn unpack(archive: &Path, into: &Path, max_unpacked: u64) -> Result<PathBuf, FetchError> {
    let file = File::open(archive).map_err(io_error(archive))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(io::BufReader::new(file)));
    fs::create_dir_all(into).map_err(io_error(into))?;
    let damaged = |e: io::Error| FetchError::Damaged(e.to_string());
    let mut unpacked = 0u64;
    for entry in tar.entries().map_err(damaged)? {
        let mut entry = entry.map_err(damaged)?;
        let raw = entry.path().map_err(damaged)?.into_owned();
        let name = raw.display().to_string();
        let relative = safe_relative(&raw).ok_or(FetchError::UnsafeEntry {
            entry: name.clone(),
            reason: "路径会离开目标文件夹 / path leaves the target",
        })?;
        use tar::EntryType::*;
        match entry.header().entry_type() {
            Regular | Continuous => {}
            Directory | XGlobalHeader | XHeader | GNULongName | GNULongLink => continue,
            Symlink | Link => {
                return Err(FetchError::UnsafeEntry { entry: name, reason: "链接 / a link" });
            }
            _ => {
                return Err(FetchError::UnsafeEntry { entry: name, reason: "不是普通文件 / not a regular file" });
            }
        }
        if relative.extension().is_none_or(|ext| ext != "md") {
            continue;
        }
        unpacked += entry.size();
        if unpacked > max_unpacked {
            return Err(FetchError::TooLarge { limit: max_unpacked });
        }
        let target = into.join(&relative);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(io_error(parent))?;
        }
        let mut out = File::create(&target).map_err(io_error(&target))?;
        io::copy(&mut entry, &mut out).map_err(damaged)?;
    }
    // A single top folder holding everything is the collection's root.
    let mut children = fs::read_dir(into).map_err(io_error(into))?.flatten();
    match (children.next(), children.next()) {
        (Some(only), None) if only.path().is_dir() && Layout::detect(into) != Layout::LawRefBook => Ok(only.path()),
        _ => Ok(into.to_path_buf()),
    }
}

/// `path` as plain names under the target, or `None` when it is absolute or
/// climbs out with `..`.
fn safe_relative(path: &Path) -> Option<PathBuf> {
    let mut relative = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(name) => relative.push(name),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(relative)
}

/// The number of texts in the LawRefBook folders of `root`; an error when
/// the layout is missing or there are too few.
pub fn check_layout(root: &Path) -> Result<usize, FetchError> {
    if Layout::detect(root) != Layout::LawRefBook {
        return Err(FetchError::NotTheCorpus("没有 LawRefBook 的分类文件夹 / no LawRefBook folders".into()));
    }
    let folders = LEVEL_FOLDERS.iter().map(|(folder, _)| *folder).chain([lawrefbook::CASES_FOLDER]);
    let texts = folders
        .flat_map(|folder| walkdir::WalkDir::new(root.join(folder)).into_iter().flatten())
        .filter(|entry| entry.file_type().is_file())
        .filter(|entry| {
            let name = entry.file_name().to_string_lossy();
            name.ends_with(".md") && !name.starts_with('_')
        })
        .count();
    if texts < MIN_LAW_FILES {
        return Err(FetchError::NotTheCorpus(format!("只有 {texts} 个文本 / only {texts} texts")));
    }
    Ok(texts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        assert!(check_url("https://github.com/LawRefBook/Laws/archive/abc.tar.gz").is_ok());
        assert!(check_url("http://127.0.0.1:8000/a.tar.gz").is_ok());
        assert!(check_url("http://localhost/a.tar.gz").is_ok());
        assert!(check_url("http://[::1]:9000/a.tar.gz").is_ok());
        assert!(matches!(check_url("http://mirror.example.cn/a.tar.gz"), Err(FetchError::Insecure(_))));
        assert!(matches!(check_url("http://10.0.0.1/a.tar.gz"), Err(FetchError::Insecure(_))));
        assert!(matches!(check_url("ftp://127.0.0.1/a.tar.gz"), Err(FetchError::BadUrl(_))));
        assert!(matches!(check_url("not a url"), Err(FetchError::BadUrl(_))));
    }

    #[test]
    fn paths_must_stay_under_the_target() {
        assert_eq!(safe_relative(Path::new("Laws-1/民法商法/a.md")), Some(PathBuf::from("Laws-1/民法商法/a.md")));
        assert_eq!(safe_relative(Path::new("./a/./b.md")), Some(PathBuf::from("a/b.md")));
        assert_eq!(safe_relative(Path::new("a/../../etc/passwd")), None);
        assert_eq!(safe_relative(Path::new("/etc/passwd")), None);
    }
}
