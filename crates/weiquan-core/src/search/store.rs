//! The index folder. Each build writes a new generation folder and then
//! points `CURRENT` at it with an atomic rename, so a crash mid-build leaves
//! the old index in use; older generations are removed after the switch.
//!
//! ```text
//! index/
//!   CURRENT            name of the generation in use
//!   gen-<time>-<pid>/  tantivy's files, manifest.json, lexicon.json,
//!                      suggestions.json
//! ```

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Error;

const CURRENT: &str = "CURRENT";
const MANIFEST: &str = "manifest.json";
/// The word lists the generation was built with; queries must analyse with
/// the same.
pub const LEXICON: &str = "lexicon.json";
/// The suggestion catalog of a generation.
pub const CATALOG: &str = "suggestions.json";
/// How much each law is about consumers (a ranking prior), by title key.
pub const CONSUMER: &str = "consumer.json";
/// The glossary the generation's pages mark terms with.
pub const GLOSSARY: &str = "glossary.json";
/// The questions written for single articles, by unit (`rank::written`).
pub const WRITTEN: &str = "written.json";
/// The retellings of official cases, by unit (`rank::retold`).
pub const RETOLD: &str = "retold.json";
const GENERATION_PREFIX: &str = "gen-";

/// What an index was built from, written when a build completes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The schema version the index was built with ([`crate::search::schema::SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// [`crate::content::fingerprint`] of the roots at build time.
    pub fingerprint: String,
    /// The content roots, as given.
    pub roots: Vec<PathBuf>,
    /// When the index was written, RFC 3339.
    pub built_at: String,
    /// How many documents were indexed.
    pub documents: usize,
    /// How many search units were indexed.
    pub units: usize,
    /// How many files could not be loaded.
    pub problems: usize,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.to_path_buf(), source }
}

/// The generation folder in use, if there is one.
pub fn current_generation(dir: &Path) -> Result<Option<PathBuf>, Error> {
    let pointer = dir.join(CURRENT);
    match fs::read_to_string(&pointer) {
        Ok(name) => {
            let name = name.trim();
            if !name.starts_with(GENERATION_PREFIX) || name.contains(['/', '\\']) {
                return Err(Error::Corrupt(format!(
                    "`{}` names `{name}`, which is not a generation",
                    pointer.display()
                )));
            }
            Ok(Some(dir.join(name)))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Io { path: pointer, source }),
    }
}

/// Creates an empty folder for a new generation.
pub fn new_generation(dir: &Path) -> Result<PathBuf, Error> {
    fs::create_dir_all(dir).map_err(io_error(dir))?;
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let path = dir.join(format!("{GENERATION_PREFIX}{nanos}-{}", std::process::id()));
    fs::create_dir(&path).map_err(io_error(&path))?;
    Ok(path)
}

/// Reads the manifest of the index generation in `generation`.
pub fn read_manifest(generation: &Path) -> Result<Manifest, Error> {
    let path = generation.join(MANIFEST);
    let text = fs::read_to_string(&path).map_err(io_error(&path))?;
    serde_json::from_str(&text)
        .map_err(|e| Error::Corrupt(format!("`{}` is not a valid manifest: {e}", path.display())))
}

/// Saves a value as JSON in a generation.
pub fn write_json<T: Serialize>(generation: &Path, name: &str, value: &T) -> Result<(), Error> {
    let json = serde_json::to_vec_pretty(value).expect("index data serializes");
    write_atomically(&generation.join(name), &json)
}

/// Reads a value saved with [`write_json`].
pub fn read_json<T: for<'de> Deserialize<'de>>(generation: &Path, name: &str) -> Result<T, Error> {
    let path = generation.join(name);
    let text = fs::read_to_string(&path).map_err(io_error(&path))?;
    serde_json::from_str(&text).map_err(|e| Error::Corrupt(format!("`{}` is not valid: {e}", path.display())))
}

/// Reads a value saved with [`write_json`], or the default when the
/// generation was built before the file existed.
pub fn read_json_or_default<T: for<'de> Deserialize<'de> + Default>(generation: &Path, name: &str) -> Result<T, Error> {
    if generation.join(name).is_file() { read_json(generation, name) } else { Ok(T::default()) }
}

/// Writes a file completely (temporary file, fsync, rename) or not at all.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let temporary = path.with_extension("tmp");
    let mut file = fs::File::create(&temporary).map_err(io_error(&temporary))?;
    file.write_all(bytes).and_then(|_| file.sync_all()).map_err(io_error(&temporary))?;
    fs::rename(&temporary, path).map_err(io_error(path))?;
    if let Some(parent) = path.parent() {
        // Make the rename itself durable; not every platform can open a folder.
        let _ = fs::File::open(parent).and_then(|d| d.sync_all());
    }
    Ok(())
}

/// Completes a generation: writes its manifest, switches `CURRENT` to it and
/// removes every other generation.
pub fn publish(dir: &Path, generation: &Path, manifest: &Manifest) -> Result<(), Error> {
    write_json(generation, MANIFEST, manifest)?;
    let name = generation.file_name().expect("a generation has a name").to_string_lossy();
    write_atomically(&dir.join(CURRENT), name.as_bytes())?;
    for entry in fs::read_dir(dir).map_err(io_error(dir))?.flatten() {
        let path = entry.path();
        let is_generation = entry.file_name().to_string_lossy().starts_with(GENERATION_PREFIX);
        if is_generation && path != generation {
            // Best effort: a folder still open elsewhere is removed next time.
            let _ = fs::remove_dir_all(&path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            schema_version: 1,
            fingerprint: "f".into(),
            roots: vec![],
            built_at: "now".into(),
            documents: 1,
            units: 1,
            problems: 0,
        }
    }

    #[test]
    fn publishing_switches_current_and_removes_old_generations() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(current_generation(dir.path()).unwrap(), None);
        let first = new_generation(dir.path()).unwrap();
        publish(dir.path(), &first, &manifest()).unwrap();
        assert_eq!(current_generation(dir.path()).unwrap(), Some(first.clone()));
        let abandoned = new_generation(dir.path()).unwrap(); // a build that crashed
        let second = new_generation(dir.path()).unwrap();
        assert_eq!(current_generation(dir.path()).unwrap(), Some(first.clone()), "unfinished builds are not used");
        publish(dir.path(), &second, &manifest()).unwrap();
        assert_eq!(current_generation(dir.path()).unwrap(), Some(second.clone()));
        assert!(!first.exists() && !abandoned.exists());
        assert_eq!(read_manifest(&second).unwrap(), manifest());
    }

    #[test]
    fn a_tampered_pointer_is_an_error_not_a_path() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(CURRENT), "../../etc").unwrap();
        assert!(matches!(current_generation(dir.path()), Err(Error::Corrupt(_))));
    }
}
