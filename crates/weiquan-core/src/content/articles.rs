//! Splitting a law into its articles (第X条), the search units of laws.

use super::model::{Article, Unit};
use crate::text::numerals;

/// Text outside articles is cut into passages of about this size (between
/// lines), so that words found together in one unit stand near each other.
const MAX_PASSAGE_BYTES: usize = 3 * 1000;

/// Splits a law's Markdown body into units. A line that begins with
/// `第X条` or `第X条之Y` followed by a space (or nothing) starts an article,
/// which runs to the next article or heading. `#` headings give the chapter
/// path (编, 章, 节); `chapter_prefix` goes above them (a 民法典 book such as
/// 合同编). Text outside any article becomes units without an article, one
/// per passage of about [`MAX_PASSAGE_BYTES`]. No text is lost or repeated.
pub fn split_law(body: &str, chapter_prefix: &[String]) -> Vec<Unit> {
    let mut splitter = Splitter { headings: Vec::new(), prefix: chapter_prefix, units: Vec::new(), current: None };
    for line in body.lines() {
        let line = line.trim();
        if let Some((depth, heading)) = parse_heading(line) {
            splitter.flush();
            splitter.headings.retain(|(d, _)| *d < depth);
            splitter.headings.push((depth, heading.to_string()));
        } else if let Some(article) = parse_article_start(line) {
            splitter.flush();
            splitter.current = Some(splitter.start(Some(article)));
            splitter.push_line(line);
        } else if !line.is_empty() {
            if splitter.current.as_ref().is_some_and(|u| u.article.is_none() && u.text.len() >= MAX_PASSAGE_BYTES) {
                splitter.flush();
            }
            if splitter.current.is_none() {
                splitter.current = Some(splitter.start(None));
            }
            splitter.push_line(line);
        }
    }
    splitter.flush();
    assign_anchors(&mut splitter.units);
    splitter.units
}

struct Splitter<'a> {
    headings: Vec<(usize, String)>,
    prefix: &'a [String],
    units: Vec<Unit>,
    current: Option<Unit>,
}

impl Splitter<'_> {
    fn start(&self, article: Option<Article>) -> Unit {
        let chapter = self.prefix.iter().cloned().chain(self.headings.iter().map(|(_, h)| h.clone())).collect();
        Unit { article, anchor: None, chapter, text: String::new() }
    }

    fn push_line(&mut self, line: &str) {
        let unit = self.current.as_mut().expect("a unit is open");
        if !unit.text.is_empty() {
            unit.text.push('\n');
        }
        unit.text.push_str(line);
    }

    fn flush(&mut self) {
        if let Some(unit) = self.current.take() {
            self.units.push(unit);
        }
    }
}

/// Gives each article its label as anchor, made unique within the document
/// (a law that appends an amending decision numbers its articles twice).
fn assign_anchors(units: &mut [Unit]) {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for unit in units.iter_mut() {
        if let Some(article) = &unit.article {
            let count = seen.entry(article.label.clone()).or_insert(0);
            *count += 1;
            unit.anchor =
                Some(if *count == 1 { article.label.clone() } else { format!("{}-{}", article.label, count) });
        }
    }
}

/// `## 第一章 总则` → (2, "第一章 总则").
fn parse_heading(line: &str) -> Option<(usize, &str)> {
    let depth = line.chars().take_while(|&c| c == '#').count();
    if depth == 0 || depth > 6 {
        return None;
    }
    let rest = &line[depth..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    let title = rest.trim().trim_end_matches('#').trim();
    (!title.is_empty()).then_some((depth, title))
}

/// Recognises `第二十五条 …` and `第十七条之一 …` at the start of a line.
pub fn parse_article_start(line: &str) -> Option<Article> {
    let rest = line.strip_prefix('第')?;
    let end = rest.find('条')?;
    let number = numerals::parse(&rest[..end])?;
    let mut after = &rest[end + '条'.len_utf8()..];
    let mut sub = None;
    if let Some(tail) = after.strip_prefix('之') {
        let digits = tail.chars().take_while(|c| "一二三四五六七八九十".contains(*c)).collect::<String>();
        sub = Some(numerals::parse(&digits)?);
        after = &tail[digits.len()..];
    }
    if !(after.is_empty() || after.starts_with(char::is_whitespace)) {
        return None;
    }
    let label = &line[..line.len() - after.len()];
    Some(Article { label: label.to_string(), number, sub })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAW: &str = "\
序言的文字。

## 第一章 总则

第一条 为了保护消费者，制定本法。

第二条 消费者受本法保护。
依照本法第一条处理。

### 第一节 一般规定

第十七条之一 经营者应当依照本法第五十五条赔偿。

第一千二百六十条　本法自公布之日起施行。

## 第二章 附则

说明文字。

第一条 重复的编号。
";

    #[test]
    fn long_text_outside_articles_becomes_passages() {
        let line = "一、将第六条修改为：某某内容。".repeat(40);
        let body = [line.as_str(); 12].join("\n\n");
        let units = split_law(&body, &[]);
        assert!(units.len() > 3, "{} units", units.len());
        assert!(units.iter().all(|u| u.article.is_none() && u.text.len() <= MAX_PASSAGE_BYTES + line.len()));
        let joined: Vec<&str> = units.iter().flat_map(|u| u.text.lines()).collect();
        assert_eq!(joined, vec![line.as_str(); 12], "no text lost or repeated");
    }

    #[test]
    fn articles_chapters_and_loose_text() {
        let units = split_law(LAW, &[]);
        let labels: Vec<_> = units.iter().map(|u| u.article.as_ref().map(|a| a.label.as_str())).collect();
        assert_eq!(
            labels,
            vec![
                None,
                Some("第一条"),
                Some("第二条"),
                Some("第十七条之一"),
                Some("第一千二百六十条"),
                None,
                Some("第一条")
            ]
        );
        assert_eq!(units[0].text, "序言的文字。");
        assert!(units[0].chapter.is_empty());
        assert_eq!(units[2].text, "第二条 消费者受本法保护。\n依照本法第一条处理。");
        assert_eq!(units[2].chapter, vec!["第一章 总则"]);
        assert_eq!(units[3].chapter, vec!["第一章 总则", "第一节 一般规定"]);
        let sub = units[3].article.as_ref().unwrap();
        assert_eq!((sub.number, sub.sub), (17, Some(1)));
        assert_eq!(units[4].article.as_ref().unwrap().number, 1260);
        assert_eq!(units[5].chapter, vec!["第二章 附则"]);
        assert_eq!(units[6].anchor.as_deref(), Some("第一条-2"));
        assert_eq!(units[1].anchor.as_deref(), Some("第一条"));
    }

    #[test]
    fn references_inside_a_paragraph_never_start_an_article() {
        assert!(parse_article_start("依照本法第五十五条的规定").is_none());
        assert!(parse_article_start("第三十一条的决定》第一次修正").is_none());
        assert!(parse_article_start("第五十五条第一款规定的").is_none());
        assert!(parse_article_start("第五十五条").is_some());
    }

    #[test]
    fn chapter_prefix_and_no_text_lost() {
        let units = split_law(LAW, &["合同编".to_string()]);
        assert_eq!(units[1].chapter, vec!["合同编", "第一章 总则"]);
        let kept: String = units.iter().map(|u| u.text.replace('\n', "")).collect();
        let original: String = LAW.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
        assert_eq!(kept, original);
    }
}
