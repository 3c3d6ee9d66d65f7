//! Putting a new snapshot of the official texts in place: copied into a
//! folder beside the corpus, then switched with the old one in one step, so
//! that readers see the old texts or the new ones, never a mix or none, and
//! a failure leaves the old texts as they were.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Why a snapshot could not be put in place. The old corpus is untouched.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be copied or switched in.
    #[error("无法复制 {path}：{source}，法律文本未改动 / cannot copy it, the corpus was left as it was")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The folder to copy holds a link.
    #[error(
        "{0} 是链接，已拒绝，法律文本未改动 / it is a link (it could point anywhere): give a folder of plain files"
    )]
    Link(PathBuf),
    /// The corpus folder is inside the folder to copy.
    #[error(
        "法律文本文件夹 {corpus} 在 {from} 之内 / the corpus folder is inside the folder to copy: copy from another folder"
    )]
    Inside {
        /// The corpus folder.
        corpus: PathBuf,
        /// The folder to copy.
        from: PathBuf,
    },
}

/// Replaces the folder `target` with a copy of the folder `from`: every
/// file and folder under it except hidden ones (`.git`), which the loader
/// skips anyway. The copy is written and flushed to disk beside `target`,
/// then switched in (see [`switch`]); the old texts are deleted last.
pub fn replace(from: &Path, target: &Path) -> Result<(), Error> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    let parent = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::create_dir_all(parent).map_err(io_error(parent))?;
    let canonical = |path: &Path| fs::canonicalize(path).map_err(io_error(path));
    if canonical(parent)?.starts_with(canonical(from)?) {
        return Err(Error::Inside { corpus: target.to_path_buf(), from: from.to_path_buf() });
    }
    // Beside the target, so that the switch is a rename on one file system;
    // removed with everything in it if anything below fails.
    let staged = tempfile::Builder::new().prefix(".corpus-new-").tempdir_in(parent).map_err(io_error(parent))?;
    copy_tree(from, staged.path())?;
    switch(staged.path(), target).map_err(io_error(target))?;
    // After the switch the temporary folder holds the old texts, or nothing
    // when there were none.
    let old = staged.keep();
    if old.exists()
        && let Err(error) = fs::remove_dir_all(&old)
    {
        tracing::warn!(%error, path = %old.display(), "cannot delete the old corpus after the switch");
    }
    Ok(())
}

/// Copies the plain files and folders under `from` into the empty folder
/// `to`, skipping hidden names; refuses links. Each file is flushed to disk
/// before the switch can make it the corpus.
fn copy_tree(from: &Path, to: &Path) -> Result<(), Error> {
    let walker = walkdir::WalkDir::new(from)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| entry.depth() == 0 || !entry.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = entry
            .map_err(|error| Error::Io { path: error.path().unwrap_or(from).to_path_buf(), source: error.into() })?;
        let path = entry.path();
        let copy = to.join(path.strip_prefix(from).expect("walkdir yields paths under its root"));
        let io_error = |source| Error::Io { path: path.to_path_buf(), source };
        if entry.path_is_symlink() {
            return Err(Error::Link(path.to_path_buf()));
        } else if entry.file_type().is_dir() {
            fs::create_dir_all(&copy).map_err(io_error)?;
        } else {
            fs::copy(path, &copy).map_err(io_error)?;
            fs::File::open(&copy).and_then(|file| file.sync_all()).map_err(io_error)?;
        }
    }
    Ok(())
}

/// Makes the complete folder `staged` the folder `target`, in one step. If
/// `target` exists, the two are exchanged and `staged` then holds the old
/// folder, for the caller to delete; if the exchange fails, nothing moved.
/// Both must be on one file system (keep `staged` beside `target`).
pub fn switch(staged: &Path, target: &Path) -> io::Result<()> {
    if target.exists() { exchange(staged, target) } else { fs::rename(staged, target) }
}

/// Swaps two folders atomically (`renameat2` with `RENAME_EXCHANGE`).
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_new_folder_replaces_the_old_one_and_the_old_one_is_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let (from, target) = (dir.path().join("from"), dir.path().join("data/corpus"));
        fs::create_dir_all(from.join("民法商法")).unwrap();
        fs::create_dir_all(from.join(".git")).unwrap();
        fs::write(from.join("民法商法/新法.md"), "# 新法").unwrap();
        fs::write(from.join(".git/HEAD"), "ref").unwrap();
        replace(&from, &target).unwrap();
        assert_eq!(fs::read_to_string(target.join("民法商法/新法.md")).unwrap(), "# 新法");
        fs::write(from.join("民法商法/新法.md"), "# 新法（修订）").unwrap();
        replace(&from, &target).unwrap();
        assert_eq!(fs::read_to_string(target.join("民法商法/新法.md")).unwrap(), "# 新法（修订）");
        let left: Vec<_> = fs::read_dir(dir.path().join("data")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["corpus"], "no hidden copy and no old corpus left behind");
        assert!(!target.join(".git").exists());
    }

    #[test]
    fn a_corpus_inside_the_source_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let error = replace(dir.path(), &dir.path().join("data/corpus")).unwrap_err();
        assert!(matches!(error, Error::Inside { .. }), "{error}");
        assert!(!dir.path().join("data/corpus").exists());
    }
}
