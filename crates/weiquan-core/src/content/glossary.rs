//! The glossary (`glossary.toml` of a content root): plain definitions of the
//! legal words readers meet in guides, warnings and cases (格式条款, 举证责任
//! ...). Pages mark the first place each term is used; [`Marker`] finds those
//! places.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::model::Problem;

/// The glossary file of a content root, at its top level.
pub const GLOSSARY_FILE: &str = "glossary.toml";

/// One term and what it means.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The word as it appears in documents: 格式条款.
    pub term: String,
    /// One or two plain sentences in the project's own words.
    pub definition: String,
    /// The articles the definition rests on, as citations
    /// (`《中华人民共和国民法典》第四百九十六条`), when there are any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    /// The file the entry was read from (for problems; not kept in the index).
    #[serde(skip)]
    pub path: PathBuf,
    /// The entry's line in that file.
    #[serde(skip)]
    pub line: usize,
}

/// Every term of the content roots, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Glossary {
    /// The entries, in file order.
    pub entries: Vec<Entry>,
}

/// `glossary.toml` as written: `[[entry]]` tables.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    entry: Vec<toml::Spanned<RawEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    term: String,
    definition: String,
    #[serde(default)]
    basis: Option<String>,
}

impl Glossary {
    /// Adds the entries of `text`, the glossary file `path`. A file that does
    /// not parse adds nothing; an entry with an empty term or definition, or
    /// a term already defined, is left out. Each is a problem.
    pub fn add_file(&mut self, path: &Path, text: &str) -> Vec<Problem> {
        let problem = |line: Option<usize>, reason: String| Problem { path: path.to_path_buf(), line, reason };
        let file: File = match toml::from_str(text) {
            Ok(file) => file,
            Err(error) => {
                let line = error.span().map(|span| line_at(text, span.start));
                return vec![problem(line, format!("invalid glossary: {}", error.message()))];
            }
        };
        let mut problems = Vec::new();
        let mut known: HashSet<String> = self.entries.iter().map(|e| e.term.clone()).collect();
        for spanned in file.entry {
            let line = line_at(text, spanned.span().start);
            let raw = spanned.into_inner();
            let one_line = |value: &str| {
                let mut value = value.trim().to_string();
                super::clean::line(&mut value);
                value
            };
            let (term, definition) = (one_line(&raw.term), one_line(&raw.definition));
            let basis = raw.basis.map(|b| one_line(&b)).filter(|b| !b.is_empty());
            if term.is_empty() {
                problems.push(problem(Some(line), "an entry has an empty `term`: name the word it explains".into()));
            } else if definition.is_empty() {
                problems.push(problem(
                    Some(line),
                    format!("`{term}` has an empty `definition`: explain it in one or two plain sentences"),
                ));
            } else if !known.insert(term.clone()) {
                problems.push(problem(Some(line), format!("`{term}` is defined twice: keep one entry")));
            } else {
                self.entries.push(Entry { term, definition, basis, path: path.to_path_buf(), line });
            }
        }
        problems
    }

    /// A marker for one document: each term is marked once.
    pub fn marker(&self) -> Marker<'_> {
        let mut by_first: HashMap<char, Vec<usize>> = HashMap::new();
        for (index, entry) in self.entries.iter().enumerate() {
            if let Some(first) = entry.term.chars().next() {
                by_first.entry(first).or_default().push(index);
            }
        }
        // Longest first, so 惩罚性赔偿 wins over a shorter term inside it.
        for candidates in by_first.values_mut() {
            candidates.sort_by_key(|&i| std::cmp::Reverse(self.entries[i].term.len()));
        }
        Marker { glossary: self, by_first, marked: Vec::new() }
    }
}

/// The 1-based line of byte `offset` in `text`.
fn line_at(text: &str, offset: usize) -> usize {
    1 + text[..offset.min(text.len())].matches('\n').count()
}

/// Finds the first use of each glossary term across the texts of one
/// document, in the order they are given.
pub struct Marker<'a> {
    glossary: &'a Glossary,
    /// Entries by the first character of their term, longest term first.
    by_first: HashMap<char, Vec<usize>>,
    /// The entries marked so far, in order.
    marked: Vec<usize>,
}

/// A term to mark: where it stands in the text and its number among the
/// document's marked terms (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// Byte offset where the term starts in the text.
    pub start: usize,
    /// Byte offset just past its end.
    pub end: usize,
    /// Its number among the document's marked terms, from 1.
    pub number: usize,
    /// Its index in the glossary's entries.
    pub entry: usize,
}

impl<'a> Marker<'a> {
    /// The terms of `text` not marked before, at their first place. At each
    /// place the longest term wins; a term already marked still covers its
    /// words, so a shorter term inside it is not marked there.
    pub fn mark(&mut self, text: &str) -> Vec<Mark> {
        let mut marks = Vec::new();
        let mut i = 0;
        while let Some(c) = text[i..].chars().next() {
            let found = self.by_first.get(&c).and_then(|candidates| {
                candidates.iter().copied().find(|&e| text[i..].starts_with(&self.glossary.entries[e].term))
            });
            match found {
                Some(entry) => {
                    let end = i + self.glossary.entries[entry].term.len();
                    if !self.marked.contains(&entry) {
                        self.marked.push(entry);
                        marks.push(Mark { start: i, end, number: self.marked.len(), entry });
                    }
                    i = end;
                }
                None => i += c.len_utf8(),
            }
        }
        marks
    }

    /// The entries marked so far, in the order of their first use.
    pub fn marked(&self) -> impl Iterator<Item = &'a Entry> + '_ {
        self.marked.iter().map(|&i| &self.glossary.entries[i])
    }

    /// The glossary being marked.
    pub fn glossary(&self) -> &'a Glossary {
        self.glossary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Glossary, Vec<String>) {
        let mut glossary = Glossary::default();
        let problems = glossary.add_file(Path::new("glossary.toml"), text);
        (glossary, problems.iter().map(|p| p.to_string()).collect())
    }

    const TERMS: &str = "[[entry]]\nterm = \"赔偿\"\ndefinition = \"补偿损失。\"\n\n\
                         [[entry]]\nterm = \"惩罚性赔偿\"\ndefinition = \"多赔。\"\nbasis = \"《某法》第五条\"\n\n\
                         [[entry]]\nterm = \"格式条款\"\ndefinition = \"事先写好的条款。\"\n";

    #[test]
    fn each_term_is_marked_once_longest_first() {
        let (glossary, problems) = parse(TERMS);
        assert!(problems.is_empty(), "{problems:?}");
        let mut marker = glossary.marker();
        let text = "商家的格式条款写明不赔偿，但惩罚性赔偿仍可主张；格式条款无效。";
        let marked: Vec<(&str, usize)> = marker.mark(text).iter().map(|m| (&text[m.start..m.end], m.number)).collect();
        assert_eq!(marked, [("格式条款", 1), ("赔偿", 2), ("惩罚性赔偿", 3)]);
        assert!(marker.mark("又一段：格式条款、赔偿、惩罚性赔偿。").is_empty(), "first occurrence only");
        let terms: Vec<&str> = marker.marked().map(|e| e.term.as_str()).collect();
        assert_eq!(terms, ["格式条款", "赔偿", "惩罚性赔偿"]);

        let mut marker = glossary.marker();
        let marked: Vec<String> =
            marker.mark("惩罚性赔偿和赔偿").iter().map(|m| glossary.entries[m.entry].term.clone()).collect();
        assert_eq!(marked, ["惩罚性赔偿", "赔偿"], "a shorter term inside a longer one is not marked there");
    }

    #[test]
    fn empty_and_repeated_entries_are_problems_on_their_line() {
        let (glossary, problems) = parse(
            "[[entry]]\nterm = \"定金\"\ndefinition = \"担保。\"\n\n[[entry]]\nterm = \"定金\"\ndefinition = \"又一次。\"\n\n\
             [[entry]]\nterm = \"订金\"\ndefinition = \"  \"\n\n[[entry]]\nterm = \"\"\ndefinition = \"无名。\"\n",
        );
        assert_eq!(glossary.entries.len(), 1);
        assert_eq!(
            problems,
            [
                "glossary.toml:5: `定金` is defined twice: keep one entry",
                "glossary.toml:9: `订金` has an empty `definition`: explain it in one or two plain sentences",
                "glossary.toml:13: an entry has an empty `term`: name the word it explains",
            ]
        );
        let (_, problems) = parse("[[entry]]\nterm = \"定金\"\nmeaning = \"x\"\n");
        assert!(problems[0].starts_with("glossary.toml:3: invalid glossary: unknown field `meaning`"), "{problems:?}");
    }
}
