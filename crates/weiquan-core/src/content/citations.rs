//! Citations of law articles inside any text: 《中华人民共和国消费者权益保护法》第五十五条,
//! 《食品安全法》第一百四十八条第二款, 本法第二十五条, 该法第十条, and lists and ranges
//! such as 第十八条、第十九条 or 第十条至第十二条.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use super::glossary::Glossary;
use super::model::{Document, Kind, Problem};
use crate::text::{normalize, numerals};

/// Longest range expanded (第一条至第五十条).
const MAX_RANGE: u32 = 50;

/// Which law a citation names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CitedLaw {
    /// A title between 《》, as written.
    Named(String),
    /// 本法: the law the text belongs to.
    This,
}

/// One citation: where it stands (byte range) and what it cites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    /// Byte offset where the citation starts in the text.
    pub start: usize,
    /// Byte offset just past its end.
    pub end: usize,
    /// The law it cites.
    pub law: CitedLaw,
    /// Article numbers, in order.
    pub articles: Vec<u32>,
}

/// How a text refers to itself (本法第十条) or to the law last named (该法第十条).
const THIS_LAW: [&str; 8] = ["本法", "本条例", "本办法", "本规定", "本解释", "本细则", "本决定", "本规则"];
const THAT_LAW: [&str; 5] = ["该法", "该条例", "该办法", "该规定", "该解释"];

/// Longest law name looked for without 《》, in characters.
const MAX_BARE_NAME: usize = 40;

/// Every citation in `text`. 该法 refers to the last law named before it.
/// A law named without 《》 (依照刑法第十条) is a citation when `is_law`
/// knows the name: the longest known tail of the Chinese text before 第.
pub fn extract(text: &str, is_law: &dyn Fn(&str) -> bool) -> Vec<Citation> {
    let mut citations = Vec::new();
    let mut last_named: Option<String> = None;
    let mut floor = 0;
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let mut start = i;
        let (law, after) = if let Some(inner) = rest.strip_prefix('《') {
            match closing_bracket(inner) {
                Some(end) => {
                    let name = inner[..end].to_string();
                    last_named = Some(name.clone());
                    (Some(CitedLaw::Named(name)), i + '《'.len_utf8() + end + '》'.len_utf8())
                }
                None => (None, i + '《'.len_utf8()),
            }
        } else if let Some(this) = THIS_LAW.iter().find(|p| rest.starts_with(*p) && rest[p.len()..].starts_with('第'))
        {
            (Some(CitedLaw::This), i + this.len())
        } else if let Some(that) = THAT_LAW.iter().find(|p| rest.starts_with(*p) && rest[p.len()..].starts_with('第'))
        {
            (last_named.clone().map(CitedLaw::Named), i + that.len())
        } else if rest.starts_with('第')
            && let Some(name_start) = bare_name(&text[floor..i], is_law).map(|offset| floor + offset)
        {
            let name = text[name_start..i].to_string();
            last_named = Some(name.clone());
            start = name_start;
            (Some(CitedLaw::Named(name)), i)
        } else {
            (None, i)
        };
        if let Some(law) = law
            && let Some((length, articles)) = article_list(&text[after..])
        {
            citations.push(Citation { start, end: after + length, law, articles });
            i = after + length;
            floor = i;
            continue;
        }
        // A bare name not followed by an article list is passed by one character.
        i = after.max(i + rest.chars().next().map_or(1, char::len_utf8));
    }
    citations
}

/// Where the 》 that closes a title starts, past titles nested inside it:
/// 《最高人民法院关于适用《中华人民共和国民法典》合同编通则若干问题的解释》.
fn closing_bracket(inner: &str) -> Option<usize> {
    let mut depth = 0;
    for (offset, c) in inner.char_indices() {
        match c {
            '《' => depth += 1,
            '》' if depth == 0 => return Some(offset),
            '》' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// Where the longest known law name ends `before` (a byte offset), if any:
/// 依照刑法 → 2 for 刑法.
fn bare_name(before: &str, is_law: &dyn Fn(&str) -> bool) -> Option<usize> {
    if !before.ends_with(['法', '例', '定', '释', '则']) {
        return None;
    }
    let run: Vec<usize> = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| ('\u{4e00}'..='\u{9fff}').contains(c))
        .take(MAX_BARE_NAME)
        .map(|(offset, _)| offset)
        .collect();
    // Longest first; a name has at least two characters.
    run.iter().rev().take(run.len().saturating_sub(1)).copied().find(|&offset| is_law(&before[offset..]))
}

/// A law's title as citations and article lookups name it: normalised,
/// without 中华人民共和国, nested titles in 《》 rather than 〈〉.
pub fn law_key(title: &str) -> String {
    let title = normalize(title).replace('〈', "《").replace('〉', "》");
    title.strip_prefix("中华人民共和国").unwrap_or(&title).to_string()
}

/// Citations that point nowhere, as problems of the citing file: an article
/// a loaded law does not have (in any of its versions or parts), and, in
/// documents other than laws, a title in 《》 that names no loaded law.
/// `law_title` resolves abbreviations (消保法 → 消费者权益保护法). When no law
/// is loaded (the content checked alone), nothing is checked.
pub fn dangling(documents: &[Document], law_title: &dyn Fn(&str) -> String) -> Vec<Problem> {
    let laws = LoadedLaws::new(documents, law_title);
    let mut problems = Vec::new();
    if laws.articles.is_empty() {
        return problems;
    }
    for doc in documents {
        for unit in &doc.units {
            let this = (doc.kind == Kind::Law).then_some(doc.meta.title.as_str());
            problems.extend(laws.check(&unit.text, this).into_iter().map(|reason| Problem {
                path: doc.path.clone(),
                line: None,
                reason,
            }));
        }
    }
    problems
}

/// The glossary's bases that cite nothing (`basis` must name an article as
/// `《法律名称》第X条`) or cite what the loaded laws do not have, as
/// [`dangling`] finds them, on the line of their entry.
pub fn dangling_in_glossary(
    glossary: &Glossary,
    documents: &[Document],
    law_title: &dyn Fn(&str) -> String,
) -> Vec<Problem> {
    let laws = LoadedLaws::new(documents, law_title);
    let mut problems = Vec::new();
    for entry in &glossary.entries {
        let Some(basis) = &entry.basis else { continue };
        let problem = |reason: String| Problem {
            path: entry.path.clone(),
            line: Some(entry.line),
            reason: format!("`{}`: {reason}", entry.term),
        };
        if extract(basis, &|_| false).is_empty() {
            problems.push(problem(format!(
                "`basis` ({basis}) cites no article: write it as 《法律名称》第X条, or leave it out"
            )));
        } else if !laws.articles.is_empty() {
            problems.extend(laws.check(basis, None).into_iter().map(problem));
        }
    }
    problems
}

/// The label that stands for a whole case in a list by article
/// (`案例的标题 案例 => …`, and judged questions' `? 案例的标题 案例 => …`):
/// a case has no articles, and judgments name it by its title alone.
pub const CASE_LABEL: &str = "案例";

/// One line of a list by article (`asked.txt`, `article-questions/*.txt`):
/// `民法典 第五百八十五条 => …` gives the title, the label and what follows
/// the arrow; a blank or comment line (`#`) gives `None`; any other line is
/// malformed.
pub fn article_line(line: &str) -> Result<Option<(&str, &str, &str)>, &'static str> {
    let line = line.split('#').next().unwrap_or("").trim();
    if line.is_empty() {
        return Ok(None);
    }
    let (name, rest) = line.split_once("=>").ok_or("no `=>`: write `法律名称 第X条 => …`")?;
    let (title, label) =
        name.trim().rsplit_once(char::is_whitespace).ok_or("no article before `=>`: write `法律名称 第X条 => …`")?;
    Ok(Some((title.trim(), label.trim(), rest.trim())))
}

/// What is wrong with lists by article (each file's path and text): lines
/// that are neither `法律名称 第X条 => …` nor `案例的标题 案例 => …`,
/// articles no loaded law has, and cases not loaded. Articles and cases are
/// checked only when laws are loaded: the official cases come with the
/// official texts.
pub fn dangling_in_lists(
    files: &[(PathBuf, String)],
    documents: &[Document],
    law_title: &dyn Fn(&str) -> String,
) -> Vec<Problem> {
    let laws = LoadedLaws::new(documents, law_title);
    let cases: HashSet<&str> =
        documents.iter().filter(|d| d.kind == Kind::Case).map(|d| d.meta.title.as_str()).collect();
    let mut problems = Vec::new();
    for (path, text) in files {
        for (number, line) in text.lines().enumerate() {
            let problem = |reason: String| Problem { path: path.clone(), line: Some(number + 1), reason };
            match article_line(line) {
                Err(reason) => problems.push(problem(reason.to_string())),
                Ok(Some((title, CASE_LABEL, _))) => {
                    if !laws.articles.is_empty() && !cases.contains(title) {
                        problems.push(problem(format!(
                            "names the case 《{title}》, which no loaded case has as its title"
                        )));
                    }
                }
                Ok(Some((title, label, _))) => match super::articles::parse_article_start(label) {
                    None => problems.push(problem(format!("`{label}` is not an article label: write 第X条"))),
                    // An inserted article (第十七条之一) is checked by the
                    // article it follows.
                    Some(article) if !laws.articles.is_empty() => {
                        let citation = format!("《{title}》{}", numerals::label(article.number));
                        problems.extend(laws.check(&citation, None).into_iter().map(problem));
                    }
                    Some(_) => {}
                },
                Ok(_) => {}
            }
        }
    }
    problems
}

/// The article numbers of the loaded laws, by title key, to check citations against.
struct LoadedLaws<'a> {
    articles: HashMap<String, HashSet<u32>>,
    law_title: &'a dyn Fn(&str) -> String,
}

impl<'a> LoadedLaws<'a> {
    fn new(documents: &[Document], law_title: &'a dyn Fn(&str) -> String) -> LoadedLaws<'a> {
        let mut articles: HashMap<String, HashSet<u32>> = HashMap::new();
        for doc in documents.iter().filter(|d| d.kind == Kind::Law) {
            let numbers = articles.entry(law_key(&doc.meta.title)).or_default();
            numbers.extend(doc.units.iter().filter_map(|u| u.article.as_ref()).map(|a| a.number));
        }
        LoadedLaws { articles, law_title }
    }

    fn key(&self, name: &str) -> String {
        law_key(&(self.law_title)(&law_key(name)))
    }

    /// What is wrong with the citations of `text`, written in the law titled
    /// `this` (where 本法 cites that law) or, when `None`, outside any law (where
    /// a title that names no loaded law is wrong too).
    fn check(&self, text: &str, this: Option<&str>) -> Vec<String> {
        let is_law = |name: &str| self.articles.contains_key(&self.key(name));
        let mut reasons = Vec::new();
        for citation in extract(text, &is_law) {
            let title = match (&citation.law, this) {
                (CitedLaw::Named(name), _) => name.clone(),
                (CitedLaw::This, Some(this)) => this.to_string(),
                (CitedLaw::This, None) => continue,
            };
            let Some(known) = self.articles.get(&self.key(&title)) else {
                if this.is_none() {
                    reasons.push(format!(
                        "cites 《{title}》, which names no loaded law: check the title, or add its abbreviation to aliases.txt"
                    ));
                }
                continue;
            };
            if known.is_empty() {
                continue;
            }
            for article in citation.articles.iter().filter(|a| !known.contains(a)) {
                let label = numerals::format(*article).unwrap_or_default();
                reasons.push(format!(
                    "cites 《{title}》第{label}条, which the loaded 《{title}》 does not have: check the article number"
                ));
            }
        }
        reasons
    }
}

/// `第十八条、第十九条第一款` → (bytes read, [18, 19]).
fn article_list(text: &str) -> Option<(usize, Vec<u32>)> {
    let (mut length, first) = one_article(text)?;
    let mut articles = vec![first];
    loop {
        let rest = &text[length..];
        let joiner = ["、", "和", "及", "至", "到"].into_iter().find(|j| rest.starts_with(j));
        let Some(joiner) = joiner else { break };
        let Some((next_length, next)) = one_article(&rest[joiner.len()..]) else { break };
        let previous = *articles.last().expect("one article");
        if matches!(joiner, "至" | "到") && next > previous && next - previous <= MAX_RANGE {
            articles.extend(previous + 1..=next);
        } else {
            articles.push(next);
        }
        length += joiner.len() + next_length;
    }
    Some((length, articles))
}

/// `第一百四十八条第二款` → (bytes read, 148). Paragraph (款) and item (项)
/// numbers are read but not kept. An inserted article (第二百九十一条之二)
/// is none: a number cannot name it apart from the article it follows,
/// and a link to that one would show another rule.
fn one_article(text: &str) -> Option<(usize, u32)> {
    let (length, number) = numbered(text, '条')?;
    if text[length..]
        .strip_prefix('之')
        .and_then(|rest| rest.chars().next())
        .is_some_and(|c| "一二三四五六七八九十".contains(c))
    {
        return None;
    }
    let mut length = length;
    for unit in ['款', '项'] {
        if let Some((extra, _)) = numbered(&text[length..], unit) {
            length += extra;
        }
    }
    Some((length, number))
}

/// `第N<unit>` with Chinese or Arabic numerals.
fn numbered(text: &str, unit: char) -> Option<(usize, u32)> {
    let rest = text.strip_prefix('第')?;
    let end = rest.find(unit)?;
    let number = numerals::parse(&rest[..end])?;
    Some(('第'.len_utf8() + end + unit.len_utf8(), number))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cited(text: &str) -> Vec<(String, Vec<u32>, String)> {
        let is_law = |name: &str| ["消费者权益保护法", "刑法", "民事诉讼法"].contains(&law_key(name).as_str());
        extract(text, &is_law)
            .into_iter()
            .map(|c| {
                let law = match c.law {
                    CitedLaw::Named(name) => name,
                    CitedLaw::This => "本法".into(),
                };
                (law, c.articles, text[c.start..c.end].to_string())
            })
            .collect()
    }

    #[test]
    fn named_laws_lists_ranges_and_this_law() {
        let text = "依照《中华人民共和国消费者权益保护法》第五十五条和《食品安全法》第一百四十八条第二款处理；\
                    该法第十条、第十二条另有规定；本法第二十五条至第二十七条除外。";
        assert_eq!(
            cited(text),
            [
                (
                    "中华人民共和国消费者权益保护法".into(),
                    vec![55],
                    "《中华人民共和国消费者权益保护法》第五十五条".into()
                ),
                ("食品安全法".into(), vec![148], "《食品安全法》第一百四十八条第二款".into()),
                ("食品安全法".into(), vec![10, 12], "该法第十条、第十二条".into()),
                ("本法".into(), vec![25, 26, 27], "本法第二十五条至第二十七条".into()),
            ]
        );
    }

    #[test]
    fn laws_named_without_brackets_when_known() {
        let text = "应当依照刑法第一百四十条定罪；参照中华人民共和国消费者权益保护法第五十五条、第五十六条；\
                    依照民事诉讼法第一百二十二条起诉；违反本条例第十条；按照前款规定第三条执行；依照某某法第九条。";
        assert_eq!(
            cited(text),
            [
                ("刑法".into(), vec![140], "刑法第一百四十条".into()),
                (
                    "中华人民共和国消费者权益保护法".into(),
                    vec![55, 56],
                    "中华人民共和国消费者权益保护法第五十五条、第五十六条".into()
                ),
                ("民事诉讼法".into(), vec![122], "民事诉讼法第一百二十二条".into()),
                ("本法".into(), vec![10], "本条例第十条".into()),
            ]
        );
        assert_eq!(cited("依照《刑法》第二百九十一条之二处罚"), [], "an inserted article is not its neighbour");
        let nested = "《最高人民法院关于适用〈中华人民共和国民法典〉合同编通则若干问题的解释》第六十七条，\
                      《最高人民法院关于适用《中华人民共和国民法典》合同编通则若干问题的解释》第六十七条";
        let titles: Vec<String> = cited(nested).into_iter().map(|(law, ..)| law).collect();
        assert_eq!(
            titles,
            [
                "最高人民法院关于适用〈中华人民共和国民法典〉合同编通则若干问题的解释",
                "最高人民法院关于适用《中华人民共和国民法典》合同编通则若干问题的解释"
            ]
        );
    }

    #[test]
    fn citations_of_missing_articles_are_problems() {
        let doc = |id: &str, kind, title: &str, body: &str| Document {
            id: id.into(),
            path: format!("{id}.md").into(),
            kind,
            meta: crate::content::FrontMatter { title: title.into(), ..Default::default() },
            part: None,
            history: Vec::new(),
            body: body.into(),
            units: if kind == Kind::Law {
                crate::content::articles::split_law(body, &[])
            } else {
                vec![crate::content::Unit { article: None, anchor: None, chapter: Vec::new(), text: body.into() }]
            },
        };
        let documents = [
            doc("laws/a", Kind::Law, "中华人民共和国某法", "第一条 依照本法第三条。\n\n第二条 见本法第一条。"),
            doc(
                "guides/b",
                Kind::Guide,
                "指南",
                "依据《某法》第二条和《某法》第九十九条，以及《未收录法》第五条、《某简称》第二条。",
            ),
            doc("guides/c", Kind::Guide, "指南", "依照某法第八十八条。"),
        ];
        let aliases = |name: &str| if name == "某简称" { "某法".to_string() } else { name.to_string() };
        let reasons: Vec<String> =
            dangling(&documents, &aliases).into_iter().map(|p| format!("{}: {}", p.path.display(), p.reason)).collect();
        assert_eq!(reasons.len(), 4, "{reasons:?}");
        assert!(reasons[0].starts_with("laws/a.md: cites 《中华人民共和国某法》第三条"), "{reasons:?}");
        assert!(reasons[1].starts_with("guides/b.md: cites 《某法》第九十九条"), "{reasons:?}");
        assert!(reasons[2].starts_with("guides/b.md: cites 《未收录法》, which names no loaded law"), "{reasons:?}");
        assert!(reasons[3].starts_with("guides/c.md: cites 《某法》第八十八条"), "{reasons:?}");
        assert!(dangling(&documents[1..], &aliases).is_empty(), "nothing is checked without the laws");
    }

    #[test]
    fn glossary_bases_must_cite_articles_the_laws_have() {
        let law = Document {
            id: "laws/a".into(),
            path: "laws/a.md".into(),
            kind: Kind::Law,
            meta: crate::content::FrontMatter { title: "中华人民共和国某法".into(), ..Default::default() },
            part: None,
            history: Vec::new(),
            body: String::new(),
            units: crate::content::articles::split_law("第一条 总则。\n\n第二条 定义。", &[]),
        };
        let mut glossary = Glossary::default();
        let text = "[[entry]]\nterm = \"甲\"\ndefinition = \"一。\"\nbasis = \"《某法》第二条\"\n\n\
                    [[entry]]\nterm = \"乙\"\ndefinition = \"二。\"\nbasis = \"《某法》第九条\"\n\n\
                    [[entry]]\nterm = \"丙\"\ndefinition = \"三。\"\nbasis = \"《别法》第一条\"\n\n\
                    [[entry]]\nterm = \"丁\"\ndefinition = \"四。\"\nbasis = \"某法的规定\"\n\n\
                    [[entry]]\nterm = \"戊\"\ndefinition = \"五。\"\n";
        assert!(glossary.add_file(std::path::Path::new("g.toml"), text).is_empty());
        let same = |name: &str| name.to_string();
        let problems: Vec<String> =
            dangling_in_glossary(&glossary, std::slice::from_ref(&law), &same).iter().map(|p| p.to_string()).collect();
        assert_eq!(
            problems,
            [
                "g.toml:6: `乙`: cites 《某法》第九条, which the loaded 《某法》 does not have: check the article number",
                "g.toml:11: `丙`: cites 《别法》, which names no loaded law: check the title, or add its abbreviation to aliases.txt",
                "g.toml:16: `丁`: `basis` (某法的规定) cites no article: write it as 《法律名称》第X条, or leave it out",
            ]
        );
        let alone = dangling_in_glossary(&glossary, &[], &same);
        assert_eq!(alone.len(), 1, "without the laws only a basis citing nothing is reported: {alone:?}");
    }

    #[test]
    fn no_citation_without_an_article_or_a_law() {
        assert!(cited("请阅读《消费者权益保护法》全文").is_empty());
        assert!(cited("第五十五条规定").is_empty());
        assert!(cited("《未闭合").is_empty());
        assert!(cited("依照刑法第三章和本法第二节").is_empty());
        assert_eq!(cited("《消费者权益保护法》第24条")[0].1, vec![24]);
    }
}
