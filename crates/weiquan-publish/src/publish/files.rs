//! Writing content files so that a crash or a full disk never leaves a
//! half-written file: write a temporary file beside the target, flush it to
//! disk, rename it over the target, then flush the folder.

use std::io::Write;
use std::path::Path;

/// Replaces `path` with `text`, or leaves the old file as it was.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let folder = path.parent().ok_or_else(|| std::io::Error::other("the path has no folder"))?;
    std::fs::create_dir_all(folder)?;
    let mut temporary = tempfile::Builder::new().prefix(".saving-").suffix(".tmp").tempfile_in(folder)?;
    temporary.write_all(text.as_bytes())?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|error| error.error)?;
    std::fs::File::open(folder)?.sync_all()
}

/// What a text looked like when an editor opened it: saving checks that the
/// file still matches, so a later save never overwrites an earlier one.
pub fn fingerprint(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes()).iter().take(12).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("warnings/a.md");
        write_atomically(&path, "旧").unwrap();
        write_atomically(&path, "新").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "新");
        // A target that is a folder cannot be replaced: the error leaves it and no temporary file.
        let folder = dir.path().join("warnings/b.md");
        std::fs::create_dir(&folder).unwrap();
        assert!(write_atomically(&folder, "x").is_err());
        let names: Vec<_> =
            std::fs::read_dir(dir.path().join("warnings")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert_ne!(fingerprint("旧"), fingerprint("新"));
    }
}
