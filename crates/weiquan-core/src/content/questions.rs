//! 常见问题: the typical questions a guide or warning answers, written in
//! readers' words in the front matter list `questions`. What makes the list
//! valid when a file is read, and the `weiquan check` rule that every guide
//! and warning has enough of them.

use std::collections::HashSet;

use super::front_matter;
use super::model::{Document, Kind, Problem};
use crate::text::normalize;

/// The front matter key.
pub const KEY: &str = "questions";

/// Longest question, in characters: what a person types or says in one go.
/// Longer ones are usually two questions, or an answer.
pub const MAX_CHARS: usize = 60;

/// Fewest questions a guide or warning should have (`weiquan check`).
pub const MIN_PER_DOCUMENT: usize = 5;

/// Trims each question and checks the list: no empty question, none on
/// several lines or longer than [`MAX_CHARS`], no two alike (after
/// normalisation, so 網購 and 网购 are the same). The error names the
/// position of the first question at fault and why, for staff (Chinese) and
/// for the `check` output (English).
pub fn tidy(questions: &mut [String]) -> Result<(), (usize, String)> {
    let mut seen = HashSet::new();
    for (index, question) in questions.iter_mut().enumerate() {
        let trimmed = question.trim();
        if trimmed.len() != question.len() {
            *question = trimmed.to_string();
        }
        let n = index + 1;
        let chars = question.chars().count();
        if question.is_empty() {
            return Err((
                index,
                format!("第 {n} 个常见问题是空的（`{KEY}` item {n} is empty: write it or remove it）"),
            ));
        }
        if question.contains(['\n', '\r']) {
            return Err((
                index,
                format!("第 {n} 个常见问题跨了多行（`{KEY}` item {n} spans several lines: write it on one line）"),
            ));
        }
        if chars > MAX_CHARS {
            return Err((
                index,
                format!(
                    "第 {n} 个常见问题有 {chars} 个字，最多 {MAX_CHARS} 个\
                     （`{KEY}` item {n} is {chars} characters long: keep it to at most {MAX_CHARS}）"
                ),
            ));
        }
        if !seen.insert(normalize(question)) {
            return Err((
                index,
                format!("第 {n} 个常见问题与前面的重复（`{KEY}` item {n} repeats an earlier one: remove it）"),
            ));
        }
    }
    Ok(())
}

/// Which of `sections` answers a question of `words` (its concepts): the
/// one holding most of its words, counted in characters, the first of
/// equals; `None` when none holds any. The index files the question under
/// the articles its section cites, and the document's page links the
/// question to that section.
pub fn answering_section<S: AsRef<str>>(words: &[String], sections: &[S]) -> Option<usize> {
    let held =
        |text: &str| -> usize { words.iter().filter(|w| text.contains(w.as_str())).map(|w| w.chars().count()).sum() };
    let mut best = None;
    let mut most = 0;
    for (index, section) in sections.iter().enumerate() {
        let held = held(section.as_ref());
        if held > most {
            (best, most) = (Some(index), held);
        }
    }
    best
}

/// The guides and warnings with fewer than [`MIN_PER_DOCUMENT`] questions,
/// as problems on the line of their `questions` key (the first line of the
/// front matter when there is none). The file is read again for that line
/// only for the documents at fault.
pub fn too_few(documents: &[Document]) -> Vec<Problem> {
    documents
        .iter()
        .filter(|doc| matches!(doc.kind, Kind::Guide | Kind::Warning) && doc.meta.questions.len() < MIN_PER_DOCUMENT)
        .map(|doc| {
            let line = std::fs::read_to_string(&doc.path)
                .ok()
                .and_then(|text| front_matter::split(&text).ok().and_then(|split| key_line(split.front_matter)))
                .unwrap_or(front_matter::FIRST_LINE);
            let has = match doc.meta.questions.len() {
                0 => "no questions".to_string(),
                n => format!("only {n} questions"),
            };
            Problem {
                path: doc.path.clone(),
                line: Some(line),
                reason: format!(
                    "{} has {has}: guides and warnings need at least {MIN_PER_DOCUMENT} typical questions \
                     in readers' words (`{KEY} = [\"...\"]`)",
                    doc.kind.label()
                ),
            }
        })
        .collect()
}

/// The file line of the `questions` key in front matter text.
fn key_line(front_matter: &str) -> Option<usize> {
    front_matter::key_offset(front_matter, KEY).map(|offset| front_matter::line_at(front_matter, offset))
}

/// The file line of question `index` as written in front matter text: the
/// questions are looked for in order after the key. The key's line when a
/// question is not written as-is (escaped, or empty).
pub fn item_line(front_matter: &str, questions: &[String], index: usize) -> Option<usize> {
    let key = front_matter::key_offset(front_matter, KEY)?;
    let mut cursor = key;
    let mut found = key;
    for question in questions.iter().take(index + 1) {
        match front_matter[cursor..].find(question.as_str()) {
            Some(at) if !question.is_empty() => {
                found = cursor + at;
                cursor = found + question.len();
            }
            _ => found = key,
        }
    }
    Some(front_matter::line_at(front_matter, found))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_section_holding_most_of_a_questions_words_answers_it() {
        let sections = ["## 退货\n七日内退货", "## 运费\n退货的运费谁出", "## 运费险\n运费"];
        assert_eq!(answering_section(&list(&["退货", "运费"]), &sections), Some(1));
        assert_eq!(answering_section(&list(&["运费"]), &sections), Some(1), "the first of equals");
        assert_eq!(answering_section(&list(&["发票"]), &sections), None);
        assert_eq!(answering_section(&list(&["七日内", "退货"]), &sections), Some(0));
    }

    #[test]
    fn questions_are_trimmed_and_checked() {
        let mut questions = list(&["  网购的衣服不合适能退吗 ", "健身房跑路了怎么办"]);
        assert_eq!(tidy(&mut questions), Ok(()));
        assert_eq!(questions, ["网购的衣服不合适能退吗", "健身房跑路了怎么办"]);

        let (index, reason) = tidy(&mut list(&["能退吗", "  "])).unwrap_err();
        assert_eq!(index, 1);
        assert!(reason.contains("item 2 is empty"), "{reason}");

        let long = "问".repeat(MAX_CHARS + 1);
        let (index, reason) = tidy(&mut list(&["能退吗", &"问".repeat(MAX_CHARS), &long])).unwrap_err();
        assert_eq!(index, 2);
        assert!(reason.contains("61 characters"), "{reason}");

        let (index, reason) = tidy(&mut list(&["網購能退嗎", "能退吗", "网购能退吗"])).unwrap_err();
        assert_eq!(index, 2);
        assert!(reason.contains("repeats"), "{reason}");

        let (index, _) = tidy(&mut list(&["第一行\n第二行"])).unwrap_err();
        assert_eq!(index, 0);
    }

    #[test]
    fn a_question_is_found_on_its_line() {
        let toml = "title = \"x\"\nquestions = [\n  \"能退吗\",\n  \"怎么退\",\n  \"能退吗\",\n]\n";
        let questions = list(&["能退吗", "怎么退", "能退吗"]);
        // Front matter starts on line 2 of the file.
        assert_eq!(item_line(toml, &questions, 0), Some(4));
        assert_eq!(item_line(toml, &questions, 2), Some(6));
        let yaml = "title: x\nquestions:\n  - 能退吗\n  - \"\"\n";
        assert_eq!(item_line(yaml, &list(&["能退吗", ""]), 1), Some(3));
        assert_eq!(key_line(yaml), Some(3));
        assert_eq!(key_line("title = \"questions\"\n"), None);
    }
}
