//! What people ask, by the article that answers it: the words of judged
//! questions, filed under the articles judged to answer them (document
//! expansion from judged data, as doc2query does from generated questions).
//! A new question worded like earlier ones then finds their article even
//! when the article's own text says it in other words. Learned by
//! `weiquan eval --learn-asked` from tune halves only and kept in a content
//! root's `asked.txt`, which staff may extend; indexed in the `asked` field
//! of the article's units and measured by the `bm25_asked` feature.
//!
//! The shipped guides and warnings add to it at every full build
//! ([`typical_questions`]): their typical questions (常见问题) are filed under
//! the articles they cite, so a question worded like one of them finds the
//! articles that answer it, not only the guide. So do the questions people
//! wrote for single articles after reading them (a content root's
//! `article-questions/`, [`article_questions`]).
//!
//! `asked.txt` also keeps the texts of the project's own judged questions
//! (lines starting `? `, [`judged_questions`]): they join the written
//! questions that `similar_question` compares a query with one by one
//! (`rank::written`). Judged sets that are not the project's own (STARD,
//! the shared dev set) may not be copied and give their words only.

use std::collections::{BTreeMap, HashMap};

use crate::content::articles::parse_article_start;
use crate::content::citations::{article_line, law_key};
use crate::content::questions::answering_section;
use crate::content::{Document, Kind, markdown};

/// Words kept per article, the most asked first.
const PER_ARTICLE: usize = 40;
/// A word counts at most this often in an article's field: one article
/// asked about in many ways should not be found by one word alone.
const MAX_REPEAT: usize = 3;
/// A section of a guide or warning that cites more articles than this is
/// an overview (a 速览 of a whole law) whose questions each touch only a few
/// of them, so its questions are not filed under its articles. Chosen on
/// one fold of the tune halves (docs/RELEVANCE.md, "Typical questions filed
/// under the articles").
pub const MAX_CITED: usize = 12;

/// An article as the index finds it: the law's title key, the article
/// number and the inserted number (the 之一 of 第十七条之一).
pub type ArticleKey = (String, u32, Option<u32>);

/// The key of an article named as judgments name it; `None` when its label
/// is not an article label.
pub fn article_key(name: &ArticleName) -> Option<ArticleKey> {
    let article = parse_article_start(&name.label)?;
    Some((law_key(&name.title), article.number, article.sub))
}

/// An article, as judgments name it: the short title and the label.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArticleName {
    /// The short title, without 中华人民共和国.
    pub title: String,
    /// The article label: 第二十五条.
    pub label: String,
}

/// Article → the words asked about it, with how many questions used each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Asked {
    articles: BTreeMap<ArticleName, Vec<(String, usize)>>,
}

impl Asked {
    /// Reads `民法典 第五百八十五条 => 违约金:3, 赔偿:1` lines; `#` starts a
    /// comment. Lines without `=>` or words, and the judged questions'
    /// lines (`? `), are skipped.
    pub fn parse(text: &str) -> Asked {
        let mut articles: BTreeMap<ArticleName, Vec<(String, usize)>> = BTreeMap::new();
        for (name, words) in article_lines(text.lines().filter(|line| !line.starts_with(QUESTION_LINE))) {
            let words = words.split(',').filter_map(|w| {
                let (word, count) = w.trim().rsplit_once(':').unwrap_or((w.trim(), "1"));
                Some((word.trim().to_string(), count.trim().parse().ok()?)).filter(|(w, _)| !w.is_empty())
            });
            articles.entry(name).or_default().extend(words);
        }
        articles.retain(|_, words| !words.is_empty());
        Asked { articles }
    }

    /// Learns from judged questions: each question's words, filed under
    /// every article judged to answer it.
    pub fn learn(questions: impl IntoIterator<Item = (Vec<String>, Vec<ArticleName>)>) -> Asked {
        let mut asked = Asked::default();
        asked.add(questions);
        asked
    }

    /// Files more questions: each question's words under each of its
    /// articles, added to the words already there.
    pub fn add(&mut self, questions: impl IntoIterator<Item = (Vec<String>, Vec<ArticleName>)>) {
        let mut counts: BTreeMap<ArticleName, HashMap<String, usize>> = BTreeMap::new();
        for (article, words) in std::mem::take(&mut self.articles) {
            counts.insert(article, words.into_iter().collect());
        }
        for (words, articles) in questions {
            let mut words = words;
            words.sort();
            words.dedup();
            for article in articles {
                let entry = counts.entry(article).or_default();
                for word in &words {
                    *entry.entry(word.clone()).or_default() += 1;
                }
            }
        }
        self.articles = counts
            .into_iter()
            .map(|(article, words)| {
                let mut words: Vec<(String, usize)> = words.into_iter().collect();
                words.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                words.truncate(PER_ARTICLE);
                (article, words)
            })
            .collect();
    }

    /// The file's text, articles sorted.
    pub fn to_text(&self) -> String {
        self.articles
            .iter()
            .map(|(name, words)| {
                let words: Vec<String> = words.iter().map(|(w, n)| format!("{w}:{n}")).collect();
                format!("{} {} => {}\n", name.title, name.label, words.join(", "))
            })
            .collect()
    }

    /// The text of the `asked` field of each article, by law title key,
    /// article number and inserted number (the 之一 of 第十七条之一): each
    /// word repeated as often as it was asked, at most [`MAX_REPEAT`] times.
    pub fn field_texts(&self) -> HashMap<ArticleKey, String> {
        let mut texts: HashMap<ArticleKey, String> = HashMap::new();
        for (name, words) in &self.articles {
            let Some(key) = article_key(name) else { continue };
            let text = texts.entry(key).or_default();
            for (word, count) in words {
                for _ in 0..(*count).min(MAX_REPEAT) {
                    text.push_str(word);
                    text.push(' ');
                }
            }
        }
        texts
    }

    /// How many articles have words.
    pub fn len(&self) -> usize {
        self.articles.len()
    }

    /// Whether no article has words.
    pub fn is_empty(&self) -> bool {
        self.articles.is_empty()
    }
}

/// A typical question of a guide or warning, with the articles that answer
/// it.
#[derive(Debug, Clone, PartialEq)]
pub struct Typical {
    /// As written.
    pub text: String,
    /// Its words (`concepts`, numbering left out).
    pub words: Vec<String>,
    /// The articles cited where its document answers it.
    pub articles: Vec<ArticleName>,
}

/// The typical questions of the published guides and warnings, each as its
/// words (`concepts`, numbering left out) with the articles that answer it:
/// those cited (`cites`) in the section of its document (the text under
/// one `## ` heading) that holds most of the question's words, when there
/// are at most [`MAX_CITED`]. A guide that covers many troubles answers each
/// in its own section, with its own articles. A question whose words no
/// citing section holds is answered by the document as a whole: it is filed
/// under all its citations, if they are at most [`MAX_CITED`].
pub fn typical_questions(
    documents: &[Document],
    concepts: impl Fn(&str) -> Vec<String>,
    cites: impl Fn(&Document, &str) -> Vec<(String, u32)>,
) -> Vec<Typical> {
    let mut questions = Vec::new();
    for document in documents {
        if !matches!(document.kind, Kind::Guide | Kind::Warning)
            || document.meta.questions.is_empty()
            || !document.is_published()
        {
            continue;
        }
        let (texts, cited): (Vec<&str>, Vec<Vec<ArticleName>>) = markdown::sections(&document.body)
            .into_iter()
            .map(|section| (section.text, names(&cites(document, section.text))))
            .filter(|(_, articles)| !articles.is_empty())
            .unzip();
        let whole = names(&cites(document, &document.body));
        for question in &document.meta.questions {
            let words = question_words(question, &concepts);
            let articles = match answering_section(&words, &texts) {
                Some(best) => &cited[best],
                None if !words.is_empty() => &whole,
                None => continue,
            };
            if !articles.is_empty() && articles.len() <= MAX_CITED {
                questions.push(Typical { text: question.clone(), words, articles: articles.clone() });
            }
        }
    }
    questions
}

/// The lines `民法典 第五百八十五条 => …` of a list by article: the article
/// and what follows the arrow. Comments and malformed lines are skipped
/// (`weiquan check` reports the latter).
fn article_lines<'a>(lines: impl Iterator<Item = &'a str>) -> impl Iterator<Item = (ArticleName, &'a str)> {
    lines.filter_map(|line| {
        let (title, label, rest) = article_line(line).ok()??;
        Some((ArticleName { title: title.to_string(), label: label.to_string() }, rest))
    })
}

/// The typical questions people wrote for each article
/// (`article-questions/*.txt`: `民法典 第五百八十五条 => 问题 | 问题`), in
/// the file's order, empty questions left out.
pub fn parse_article_questions(text: &str) -> Vec<(ArticleName, Vec<String>)> {
    questions_of(text.lines())
}

/// The questions of lines `民法典 第五百八十五条 => 问题 | 问题`.
fn questions_of<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<(ArticleName, Vec<String>)> {
    article_lines(lines)
        .map(|(name, rest)| {
            (name, rest.split('|').map(str::trim).filter(|q| !q.is_empty()).map(str::to_string).collect::<Vec<_>>())
        })
        .filter(|(_, questions)| !questions.is_empty())
        .collect()
}

/// How a line of `asked.txt` that holds judged questions starts:
/// `? 民法典 第五百八十七条 => 交了定金，商家反悔不卖了 | …`.
pub const QUESTION_LINE: &str = "? ";

pub use crate::content::citations::CASE_LABEL;

/// The judged questions of an `asked.txt` (its [`QUESTION_LINE`]s), by
/// article, or by case ([`CASE_LABEL`]). Their words are in its word lines
/// already (an article's; a case has no `asked` field).
pub fn judged_questions(text: &str) -> Vec<(ArticleName, Vec<String>)> {
    questions_of(text.lines().filter_map(|line| line.strip_prefix(QUESTION_LINE)))
}

/// The [`QUESTION_LINE`]s of judged questions, one per article: `|` and
/// `#`, which the line format reads as separators, become their full-width
/// forms, and line breaks spaces.
pub fn question_lines(questions: &BTreeMap<ArticleName, Vec<String>>) -> String {
    let clean = |q: &String| q.replace('|', "｜").replace('#', "＃").replace(['\n', '\r'], " ");
    questions
        .iter()
        .map(|(name, questions)| {
            let questions: Vec<String> = questions.iter().map(clean).collect();
            format!("{QUESTION_LINE}{} {} => {}\n", name.title, name.label, questions.join(" | "))
        })
        .collect()
}

/// The typical questions written for articles ([`parse_article_questions`]),
/// each as its words with its article, to be filed as judged questions are:
/// document expansion written by people who read the article, blind to the
/// judged sets.
pub fn article_questions(
    written: &[(ArticleName, Vec<String>)],
    concepts: impl Fn(&str) -> Vec<String>,
) -> Vec<(Vec<String>, Vec<ArticleName>)> {
    written
        .iter()
        .flat_map(|(article, questions)| {
            let words: Vec<Vec<String>> = questions.iter().map(|q| question_words(q, &concepts)).collect();
            words.into_iter().filter(|w| !w.is_empty()).map(move |w| (w, vec![article.clone()]))
        })
        .collect()
}

/// Citations as article names, each once, in order.
fn names(cited: &[(String, u32)]) -> Vec<ArticleName> {
    let mut articles: Vec<ArticleName> = Vec::new();
    for (law, number) in cited {
        let name = ArticleName { title: law.clone(), label: crate::text::numerals::label(*number) };
        if !articles.contains(&name) {
            articles.push(name);
        }
    }
    articles
}

/// A typical question's words: its concepts without numbering.
pub fn question_words(question: &str, concepts: impl Fn(&str) -> Vec<String>) -> Vec<String> {
    concepts(question).into_iter().filter(|w| !is_numbering(w)).collect()
}

/// Article numbering (第七, 一千二百, 2019), which says nothing about a topic.
pub fn is_numbering(word: &str) -> bool {
    word.chars().all(|c| c.is_ascii_digit() || "零〇一二三四五六七八九十百千万两第条款项之".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(title: &str, label: &str) -> ArticleName {
        ArticleName { title: title.into(), label: label.into() }
    }

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn questions_are_filed_under_their_articles_and_read_back() {
        let asked = Asked::learn([
            (words(&["健身房", "跑路", "跑路"]), vec![article("消费者权益保护法", "第五十三条")]),
            (
                words(&["健身房", "退钱"]),
                vec![article("消费者权益保护法", "第五十三条"), article("民法典", "第五百六十三条")],
            ),
        ]);
        assert_eq!(
            asked.to_text(),
            "民法典 第五百六十三条 => 健身房:1, 退钱:1\n消费者权益保护法 第五十三条 => 健身房:2, 跑路:1, 退钱:1\n"
        );
        assert_eq!(Asked::parse(&asked.to_text()), asked);
        let texts = asked.field_texts();
        assert_eq!(texts[&(law_key("消费者权益保护法"), 53, None)], "健身房 健身房 跑路 退钱 ");
        assert_eq!(asked.len(), 2);
    }

    #[test]
    fn comments_bad_lines_and_repeats_are_handled() {
        let asked = Asked::parse(
            "# learned\n民法典 第五百八十五条 => 违约金:9 # many\nno arrow\n民法典 => 定金:1\n价格法 第十四条 => :2, 涨价\n",
        );
        let texts = asked.field_texts();
        assert_eq!(texts[&(law_key("民法典"), 585, None)], "违约金 违约金 违约金 ");
        assert_eq!(texts[&(law_key("价格法"), 14, None)], "涨价 ");
        let inserted = Asked::parse("刑法 第十七条之一 => 老人:1\n刑法 第十七条 => 未成年:1\n").field_texts();
        assert_eq!(inserted[&(law_key("刑法"), 17, Some(1))], "老人 ", "an inserted article has its own words");
        assert_eq!(inserted[&(law_key("刑法"), 17, None)], "未成年 ");
        assert_eq!(asked.len(), 2);
    }

    #[test]
    fn judged_questions_are_kept_whole_on_their_own_lines() {
        let mut texts = BTreeMap::new();
        texts.insert(article("民法典", "第五百八十七条"), vec!["定金|双倍 #1".to_string(), "反悔\n了".to_string()]);
        let lines = question_lines(&texts);
        assert_eq!(lines, "? 民法典 第五百八十七条 => 定金｜双倍 ＃1 | 反悔 了\n");
        let text = format!("民法典 第五百八十七条 => 定金:2\n{lines}");
        assert_eq!(
            judged_questions(&text),
            vec![(article("民法典", "第五百八十七条"), words(&["定金｜双倍 ＃1", "反悔 了"]))]
        );
        let words_only = Asked::parse(&text);
        assert_eq!(words_only.to_text(), "民法典 第五百八十七条 => 定金:2\n", "question lines are not words");
        assert!(judged_questions("民法典 第五百八十七条 => 定金:2\n").is_empty());
        // A case is named by its title, which may hold spaces, and CASE_LABEL.
        let case = format!("? 自愿参加体育活动 意外受伤谁担责 {CASE_LABEL} => 打球被撞伤了\n");
        assert_eq!(
            judged_questions(&case),
            vec![(article("自愿参加体育活动 意外受伤谁担责", CASE_LABEL), words(&["打球被撞伤了"]))]
        );
    }

    #[test]
    fn questions_written_for_articles_are_filed_under_them_one_by_one() {
        let text =
            "# 示例\n民法典 第五百八十五条 => 违约金太高 | 违约金 太少 | \n没有箭头 | 问题\n价格法 第十三条 =>  \n";
        assert_eq!(
            parse_article_questions(text),
            vec![(article("民法典", "第五百八十五条"), vec!["违约金太高".to_string(), "违约金 太少".to_string()])]
        );
        let concepts = |text: &str| text.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        let asked = Asked::learn(article_questions(&parse_article_questions(text), concepts));
        assert_eq!(asked.to_text(), "民法典 第五百八十五条 => 太少:1, 违约金:1, 违约金太高:1\n");
    }

    #[test]
    fn typical_questions_are_filed_under_the_articles_of_their_section() {
        let root = std::path::Path::new("content");
        let body = "开头。\n## 退货\n鞋子尺码不合适可以退。甲\n## 赔偿\n合适的赔偿。乙\n## 速览\n什么都问。丙\n";
        let text = format!(
            "+++\ntitle = \"指南\"\nquestions = [\"鞋子尺码不合适\", \"合适的赔偿\", \"什么都问\", \"第七条\"]\n+++\n{body}"
        );
        let guide = crate::content::parse_document(root, &root.join("guides/guide.md"), &text).unwrap();
        // 甲, 乙 and 丙 stand for citations: one article, another, and more
        // than a section may have.
        let cites = |_: &Document, text: &str| -> Vec<(String, u32)> {
            match () {
                _ if text.contains('甲') => vec![("示例法".into(), 25), ("示例法".into(), 25)],
                _ if text.contains('乙') => vec![("民法典".into(), 577)],
                _ if text.contains('丙') => (1..=MAX_CITED as u32 + 1).map(|n| ("示例法".into(), n)).collect(),
                _ => Vec::new(),
            }
        };
        let concepts = |text: &str| text.split('不').map(str::to_string).collect::<Vec<_>>();
        let questions = typical_questions(std::slice::from_ref(&guide), concepts, cites);
        let filed: Vec<(Vec<String>, Vec<ArticleName>)> =
            questions.iter().map(|q| (q.words.clone(), q.articles.clone())).collect();
        assert_eq!(
            filed,
            vec![
                (words(&["鞋子尺码", "合适"]), vec![article("示例法", "第二十五条")]),
                (words(&["合适的赔偿"]), vec![article("民法典", "第五百七十七条")]),
            ],
            "the overview's question and numbering alone are left out"
        );
        assert_eq!(questions[0].text, "鞋子尺码不合适");
        let mut asked = Asked::parse("示例法 第二十五条 => 退货:1\n");
        asked.add(filed);
        assert_eq!(
            asked.to_text(),
            "民法典 第五百七十七条 => 合适的赔偿:1\n示例法 第二十五条 => 合适:1, 退货:1, 鞋子尺码:1\n"
        );
    }
}
