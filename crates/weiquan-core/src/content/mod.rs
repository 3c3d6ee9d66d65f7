//! Files to documents. The pipeline runs in named stages:
//! discover (walk a content root) → read (bytes to UTF-8) → front matter
//! (or the LawRefBook reader) → split into units. Control characters are
//! taken out on the way ([`clean`]). Rendering to HTML lives in
//! [`markdown`]. Nothing here knows about the index or HTTP.

pub mod articles;
pub mod citations;
pub mod clean;
pub mod compare;
pub mod front_matter;
pub mod glossary;
pub mod lawrefbook;
pub mod markdown;
mod model;
pub mod questions;
pub mod render;
pub mod versions;

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rayon::prelude::*;

pub use model::{Article, Document, FrontMatter, Kind, Level, Problem, Severity, State, Status, Unit, date_format};

/// The staff-editable jieba dictionary of a content root, at its top level.
pub const DICTIONARY_FILE: &str = "dictionary.txt";
/// The staff-editable query expansions of a content root, at its top level.
pub const SYNONYMS_FILE: &str = "synonyms.txt";
/// The staff-editable common questions of a content root, at its top level,
/// offered as suggestions and on the home page.
pub const QUESTIONS_FILE: &str = "questions.txt";
/// The staff-editable abbreviations of law titles of a content root.
pub const ALIASES_FILE: &str = "aliases.txt";
/// The staff-editable list of the consumer-law core of a content root: laws
/// that rank as about consumers whatever cites them.
pub const CORE_LAWS_FILE: &str = "core-laws.txt";
/// What people ask, by the article that answers it (`search::rank::asked`):
/// learned by `weiquan eval --learn-asked`, and staff may add lines.
pub const ASKED_FILE: &str = "asked.txt";
/// The folder of a content root that holds the typical questions each
/// article answers, written by people (`search::rank::asked`): `.txt` files
/// of `民法典 第五百八十五条 => 问题 | 问题` lines.
pub const ARTICLE_QUESTIONS_FOLDER: &str = "article-questions";
/// The shared tag vocabulary of a content root: tags separated by spaces or
/// new lines, `#` comments. `weiquan check` reports tags outside it.
pub const TAGS_FILE: &str = "tags.txt";
/// Every word list a content root may have, and its glossary.
const LIST_FILES: [&str; 8] = [
    DICTIONARY_FILE,
    SYNONYMS_FILE,
    QUESTIONS_FILE,
    ALIASES_FILE,
    TAGS_FILE,
    CORE_LAWS_FILE,
    ASKED_FILE,
    glossary::GLOSSARY_FILE,
];

/// A content root could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The content root does not exist or is not a folder.
    #[error("content folder `{0}` does not exist or is not a folder: pass an existing folder with --content")]
    NotAFolder(PathBuf),
    #[error("cannot read `{path}`: {source}")]
    /// A file or folder could not be read.
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// How the files under a content root are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// This project's files: front matter, `laws/`, `cases/`, `warnings/`, `guides/`.
    Project,
    /// Official texts in the LawRefBook layout.
    LawRefBook,
}

impl Layout {
    /// A root is LawRefBook when it has LawRefBook's top-level folders and
    /// none of the project's.
    pub fn detect(root: &Path) -> Layout {
        let has = |name: &str| root.join(name).is_dir();
        let project = ["laws", "cases", "warnings", "guides"].iter().any(|d| has(d));
        let lawrefbook = has(lawrefbook::CASES_FOLDER) || lawrefbook::LEVEL_FOLDERS.iter().any(|(d, _)| has(d));
        if lawrefbook && !project { Layout::LawRefBook } else { Layout::Project }
    }
}

/// Everything loaded from the content roots.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The documents that loaded.
    pub documents: Vec<Document>,
    /// The files that could not be loaded, and why.
    pub problems: Vec<Problem>,
    /// The roots' dictionaries, concatenated.
    pub dictionary: String,
    /// The roots' synonym lists, concatenated.
    pub synonyms: String,
    /// The roots' common questions, one per line.
    pub questions: String,
    /// The roots' abbreviations of law titles.
    pub aliases: String,
    /// The roots' tag vocabularies.
    pub tags: String,
    /// The roots' lists of the consumer-law core, one title a line.
    pub core_laws: String,
    /// The roots' lists of what people ask, by article.
    pub asked: String,
    /// The roots' typical questions by article (`article-questions/*.txt`):
    /// each file's path and text.
    pub article_questions: Vec<(PathBuf, String)>,
    /// The roots' glossaries (`glossary.toml`), merged.
    pub glossary: glossary::Glossary,
}

impl Loaded {
    /// How many search units the documents have in all.
    pub fn unit_count(&self) -> usize {
        self.documents.iter().map(|d| d.units.len()).sum()
    }

    /// The tags in the shared vocabulary.
    pub fn vocabulary(&self) -> HashSet<&str> {
        tag_groups(&self.tags).into_iter().flat_map(|group| group.tags).collect()
    }

    /// Documents with a tag outside the shared vocabulary, when there is one.
    pub fn unknown_tags(&self) -> Vec<Problem> {
        let vocabulary = self.vocabulary();
        if vocabulary.is_empty() {
            return Vec::new();
        }
        let mut problems = Vec::new();
        for doc in &self.documents {
            for tag in doc.meta.tags.iter().filter(|t| !vocabulary.contains(t.as_str())) {
                problems.push(Problem {
                    path: doc.path.clone(),
                    line: None,
                    reason: format!(
                        "tag `{tag}` is not in the shared vocabulary ({TAGS_FILE}): use one of its tags or add it there"
                    ),
                });
            }
        }
        problems
    }

    /// Cases whose `retells` names no case of the official texts, when
    /// some are loaded (from `official`, the roots in the LawRefBook
    /// layout): the retelling would stand alone.
    pub fn unknown_retold(&self, official: &[&PathBuf]) -> Vec<Problem> {
        let cases: HashSet<&str> = self
            .documents
            .iter()
            .filter(|d| d.kind == Kind::Case && official.iter().any(|root| d.path.starts_with(root)))
            .map(|d| d.meta.title.as_str())
            .collect();
        if cases.is_empty() {
            return Vec::new();
        }
        let unknown = |d: &&Document| d.meta.retells.as_deref().is_some_and(|title| !cases.contains(title));
        self.documents
            .iter()
            .filter(unknown)
            .map(|d| Problem {
                path: d.path.clone(),
                line: None,
                reason: format!(
                    "`retells` names no case of the official texts: `{}` (copy the case's title, its `# ` line)",
                    d.meta.retells.as_deref().unwrap_or_default()
                ),
            })
            .collect()
    }

    /// Published guides and warnings without `checked`, the day they were
    /// last checked against the laws they cite, as problems on the first
    /// line of their front matter. Drafts and withdrawn documents need none.
    pub fn unchecked(&self) -> Vec<Problem> {
        self.documents
            .iter()
            .filter(|doc| matches!(doc.kind, Kind::Guide | Kind::Warning) && doc.is_published())
            .filter(|doc| doc.meta.checked.is_none())
            .map(|doc| Problem {
                path: doc.path.clone(),
                line: Some(front_matter::FIRST_LINE),
                reason: format!(
                    "{} has no `checked` date: add `checked = YYYY-MM-DD`, the day it was last checked \
                     against the laws it cites",
                    doc.kind.label()
                ),
            })
            .collect()
    }
}

/// Tags of the shared vocabulary under one heading, as `tags.txt` groups them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagGroup<'a> {
    /// The comment line just above the group's first tags (`# 领域 (what
    /// was bought)` gives `领域`: a note in brackets is left out); `None`
    /// for tags with no comment line just above them.
    pub heading: Option<&'a str>,
    /// The group's tags, in the file's order.
    pub tags: Vec<&'a str>,
}

/// The tags of a vocabulary file (`tags.txt`: tags separated by spaces or
/// new lines, `#` starts a comment) in their groups, in the file's order.
/// A group starts at a line of tags that follows a comment line directly.
pub fn tag_groups(text: &str) -> Vec<TagGroup<'_>> {
    let mut groups: Vec<TagGroup<'_>> = Vec::new();
    let mut comment: Option<&str> = None;
    let mut in_group = false;
    for line in text.lines() {
        let (tags, note) = line.split_once('#').unwrap_or((line, ""));
        let tags: Vec<&str> = tags.split_whitespace().collect();
        if tags.is_empty() {
            // A comment line names what follows it; a blank line ends the run.
            comment = line.trim_start().starts_with('#').then(|| note.trim());
            in_group = false;
            continue;
        }
        match (comment.take(), groups.last_mut()) {
            (Some(heading), _) => {
                let heading = heading.split(['(', '（']).next().unwrap_or(heading).trim();
                groups.push(TagGroup { heading: (!heading.is_empty()).then_some(heading), tags });
            }
            (None, Some(last)) if in_group => last.tags.extend(tags),
            (None, _) => groups.push(TagGroup { heading: None, tags }),
        }
        in_group = true;
    }
    groups
}

/// Loads every document under `roots`. Broken files become [`Problem`]s and
/// are skipped; only an unreadable root is an error. Law versions are dated
/// against `today` (in force, not yet in force). `progress` is called once
/// per file with the number of files done and the total.
pub fn load(roots: &[PathBuf], today: NaiveDate, progress: &dyn Fn(usize, usize)) -> Result<Loaded, Error> {
    let mut files = Vec::new();
    let mut loaded = Loaded::default();
    for root in roots {
        let layout = Layout::detect(root);
        files.extend(discover(root)?.into_iter().map(|path| (root, layout, path)));
        loaded.dictionary.push_str(&read_optional(&root.join(DICTIONARY_FILE))?);
        loaded.synonyms.push_str(&read_optional(&root.join(SYNONYMS_FILE))?);
        loaded.questions.push_str(&read_optional(&root.join(QUESTIONS_FILE))?);
        loaded.aliases.push_str(&read_optional(&root.join(ALIASES_FILE))?);
        loaded.core_laws.push_str(&read_optional(&root.join(CORE_LAWS_FILE))?);
        loaded.asked.push_str(&read_optional(&root.join(ASKED_FILE))?);
        for path in article_question_files(root)? {
            let text = read_optional(&path)?;
            loaded.article_questions.push((path, text));
        }
        loaded.tags.push_str(&read_optional(&root.join(TAGS_FILE))?);
        let glossary = root.join(glossary::GLOSSARY_FILE);
        if glossary.is_file() {
            let text =
                std::fs::read_to_string(&glossary).map_err(|source| Error::Io { path: glossary.clone(), source })?;
            let problems = loaded.glossary.add_file(&glossary, &text);
            loaded.problems.extend(problems);
        }
    }
    // Files are read and parsed on every core, in batches so that progress
    // is reported from this thread.
    let mut results = Vec::with_capacity(files.len());
    for batch in files.chunks(LOAD_BATCH) {
        results.par_extend(batch.par_iter().map(|(root, layout, path)| read_file(root, *layout, path)));
        progress(results.len(), files.len());
    }
    let mut ids = HashSet::new();
    for ((_, _, path), result) in files.iter().zip(results) {
        match result {
            Ok(Some(doc)) if !ids.insert(doc.id.clone()) => loaded.problems.push(Problem {
                path: path.clone(),
                line: None,
                reason: format!("another content folder already has a document `{}`: rename one of them", doc.id),
            }),
            Ok(Some(doc)) => loaded.documents.push(doc),
            Ok(None) => {}
            Err(problem) => loaded.problems.push(problem),
        }
    }
    versions::assign(&mut loaded.documents, today);
    Ok(loaded)
}

/// Files read in parallel between two progress reports.
const LOAD_BATCH: usize = 256;

/// A file's text followed by a newline, or nothing when it does not exist.
fn read_optional(path: &Path) -> Result<String, Error> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text + "\n"),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(source) => Err(Error::Io { path: path.to_path_buf(), source }),
    }
}

/// The `.txt` files of a root's [`ARTICLE_QUESTIONS_FOLDER`], sorted; none
/// when it has no such folder.
fn article_question_files(root: &Path) -> Result<Vec<PathBuf>, Error> {
    let folder = root.join(ARTICLE_QUESTIONS_FOLDER);
    let entries = match std::fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(Error::Io { path: folder, source }),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|source| Error::Io { path: folder.clone(), source })?.path();
        if path.extension().is_some_and(|e| e == "txt") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Stage 1: the Markdown files under a root, sorted, without hidden files,
/// `_`-prefixed folder markers such as `_index.md`, and `README.md` notes
/// for the people who edit the folder.
fn discover(root: &Path) -> Result<Vec<PathBuf>, Error> {
    if !root.is_dir() {
        return Err(Error::NotAFolder(root.to_path_buf()));
    }
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(root).sort_by_file_name().into_iter().filter_entry(|entry| {
        let name = entry.file_name().to_string_lossy();
        entry.depth() == 0
            || !(name.starts_with('.') || name.starts_with('_') || name.eq_ignore_ascii_case("README.md"))
    });
    for entry in walker {
        let entry = entry
            .map_err(|error| Error::Io { path: error.path().unwrap_or(root).to_path_buf(), source: error.into() })?;
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|e| e == "md") {
            files.push(entry.into_path());
        }
    }
    Ok(files)
}

/// Reads one document again, for its page: `path` is a file under `root`.
/// `Ok(None)` when the file is not content.
pub fn read_document(root: &Path, path: &Path) -> Result<Option<Document>, Problem> {
    read_file(root, Layout::detect(root), path)
}

/// The document id: the path under its root without `.md`, with `/`.
pub fn document_id(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path).with_extension("");
    relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Stages 2–4 for one file. `Ok(None)` for files that are not content.
fn read_file(root: &Path, layout: Layout, path: &Path) -> Result<Option<Document>, Problem> {
    let problem = |line: Option<usize>, reason: String| Problem { path: path.to_path_buf(), line, reason };
    if document_id(root, path).chars().any(char::is_control) {
        return Err(problem(None, "the file name has control characters: rename the file".into()));
    }
    let bytes = std::fs::read(path).map_err(|e| problem(None, format!("cannot read the file: {e}")))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
        problem(Some(line), "the file is not valid UTF-8 text: save it as UTF-8".into())
    })?;
    match layout {
        Layout::Project => parse_document(root, path, text).map(Some),
        Layout::LawRefBook => read_official(root, path, text),
    }
}

/// Reads `text` as the project file `path` under `root` (the admin checks a
/// document this way before it writes it).
pub fn parse_document(root: &Path, path: &Path, text: &str) -> Result<Document, Problem> {
    let text = clean::text(text.strip_prefix('\u{FEFF}').unwrap_or(text));
    read_project(document_id(root, path), path, &text).map_err(|(line, reason)| Problem {
        path: path.to_path_buf(),
        line,
        reason,
    })
}

fn read_official(root: &Path, path: &Path, text: &str) -> Result<Option<Document>, Problem> {
    let problem = |line: Option<usize>, reason: String| Problem { path: path.to_path_buf(), line, reason };
    let text = clean::text(text.strip_prefix('\u{FEFF}').unwrap_or(text));
    if lawrefbook::is_not_content(&text) {
        return Ok(None);
    }
    lawrefbook::read(&document_id(root, path), path, &text)
        .map(Some)
        .map_err(|(line, reason)| problem(Some(line), reason))
}

/// Folder names of the project layout and the kind of their documents.
const KIND_FOLDERS: &[(&str, Kind)] =
    &[("laws", Kind::Law), ("cases", Kind::Case), ("warnings", Kind::Warning), ("guides", Kind::Guide)];

fn read_project(id: String, path: &Path, text: &str) -> Result<Document, (Option<usize>, String)> {
    let split = front_matter::split(text).map_err(|e| (e.line, e.reason))?;
    let mut meta = front_matter::parse(split.format, split.front_matter).map_err(|e| (e.line, e.reason))?;
    clean::front_matter(&mut meta);
    let folder = id.split('/').next().unwrap_or("");
    let kind =
        meta.kind.or_else(|| KIND_FOLDERS.iter().find(|(f, _)| *f == folder).map(|(_, k)| *k)).ok_or_else(|| {
            (
                Some(2),
                "cannot tell what kind of document this is: put it under laws/, cases/, warnings/ or guides/, \
                 or set `kind = \"law\"` (case, warning, guide)"
                    .to_string(),
            )
        })?;
    if meta.title.trim().is_empty() {
        return Err((Some(2), "`title` is empty: give the document a title".into()));
    }
    if let (Some(date), Some(expires)) = (meta.date, meta.expires)
        && expires < date
    {
        return Err((Some(2), format!("`expires` ({expires}) is before `date` ({date})")));
    }
    questions::tidy(&mut meta.questions).map_err(|(index, reason)| {
        (questions::item_line(split.front_matter, &meta.questions, index).or(Some(front_matter::FIRST_LINE)), reason)
    })?;
    meta.kind = Some(kind);
    let body = markdown::strip_comments(split.body);
    let mut units = match kind {
        Kind::Law => articles::split_law(&body, &[]),
        _ => Vec::new(),
    };
    if units.is_empty() {
        units.push(Unit { article: None, anchor: None, chapter: Vec::new(), text: markdown::to_plain_text(&body) });
    }
    Ok(Document { id, path: path.to_path_buf(), kind, meta, part: None, history: Vec::new(), body, units })
}

/// A cheap fingerprint of what the roots hold (file names, sizes and
/// modification times, and the word lists), to tell whether an index was
/// built from the same content. It reads no file contents.
///
/// It uses the standard library's hasher, whose output may change between
/// Rust releases: that costs one rebuild, never a misread.
pub fn fingerprint(roots: &[PathBuf]) -> Result<String, Error> {
    let mut hasher = std::hash::DefaultHasher::new();
    for root in roots {
        let lists = LIST_FILES.map(|name| root.join(name));
        let files = discover(root)?
            .into_iter()
            .chain(lists.into_iter().filter(|p| p.is_file()))
            .chain(article_question_files(root)?);
        for path in files {
            let meta = std::fs::metadata(&path).map_err(|source| Error::Io { path: path.clone(), source })?;
            path.hash(&mut hasher);
            meta.len().hash(&mut hasher);
            meta.modified().ok().hash(&mut hasher);
        }
    }
    Ok(format!("{:016x}", hasher.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_grouped_under_the_comment_line_just_above_them() {
        let text = "# The vocabulary: see README.\n# More words.\n\n# 领域 (what was bought)\n网购 外卖\n健身房\n\n\
                    # 问题（what went wrong）\n预付卡 # inline note\n\n12315\n";
        let groups = tag_groups(text);
        let shown: Vec<(Option<&str>, Vec<&str>)> = groups.into_iter().map(|g| (g.heading, g.tags)).collect();
        assert_eq!(
            shown,
            [(Some("领域"), vec!["网购", "外卖", "健身房"]), (Some("问题"), vec!["预付卡"]), (None, vec!["12315"]),]
        );
        let loaded = Loaded { tags: text.into(), ..Loaded::default() };
        assert_eq!(loaded.vocabulary().len(), 5);
    }
}
