//! The official law texts: where an installation keeps them, how it gets
//! them, and what changed from one snapshot to the next. The texts are not
//! part of the repository; `weiquan corpus fetch` downloads the LawRefBook
//! collection at a pinned commit into `data/corpus/`, which every command
//! then reads beside `content/`; `weiquan corpus update` puts a local
//! checkout in its place.
//!
//! Depends on [`crate::content`], and on [`crate::search`] only for the
//! abbreviations of law titles that citations may use.

pub mod changes;
pub mod fetch;
pub mod install;

use std::path::{Path, PathBuf};

use crate::content::Layout;

/// The LawRefBook commit this release is tested with (the same snapshot as
/// the project's shared corpus).
pub const DEFAULT_REV: &str = "2f4c5c23716267af9dbebbbbd6cbbf732b101981";

/// The folder under the data folder that holds the fetched texts.
pub const FOLDER: &str = "corpus";

/// The upstream archive of commit `rev`.
pub fn archive_url(rev: &str) -> String {
    format!("https://github.com/LawRefBook/Laws/archive/{rev}.tar.gz")
}

/// Where the fetched texts live under the data folder.
pub fn folder(data: &Path) -> PathBuf {
    data.join(FOLDER)
}

/// The fetched corpus under `data`, when it is there.
pub fn installed(data: &Path) -> Option<PathBuf> {
    Some(folder(data)).filter(|dir| Layout::detect(dir) == Layout::LawRefBook)
}

/// The content roots of a command: the folders given with `--content`, or
/// by default `content/` and the corpus (`corpus`, the `WEIQUAN_CORPUS`
/// folder, or else the fetched one under `data`).
pub fn roots(given: Vec<PathBuf>, corpus: Option<PathBuf>, data: &Path) -> Vec<PathBuf> {
    if !given.is_empty() {
        return given;
    }
    std::iter::once(PathBuf::from("content")).chain(corpus.or_else(|| installed(data))).collect()
}

/// Whether any of `roots` holds official texts.
pub fn has_official_texts(roots: &[PathBuf]) -> bool {
    roots.iter().any(|root| Layout::detect(root) == Layout::LawRefBook)
}
