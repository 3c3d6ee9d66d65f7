//! What people ask, by the article that answers it: the words of judged
//! questions, filed under the articles judged to answer them (document
//! expansion from judged data, as doc2query does from generated questions).
//! A new question worded like earlier ones then finds their article even
//! when the article's own text says it in other words. Learned by
//! `weiquan eval --learn-asked` from tune halves only and kept in a content
//! root's `asked.txt`, which staff may extend; indexed in the `asked` field
//! of the article's units and measured by the `bm25_asked` feature.

use std::collections::{BTreeMap, HashMap};

use crate::content::citations::law_key;

/// Words kept per article, the most asked first.
const PER_ARTICLE: usize = 40;
/// A word counts at most this often in an article's field: one article
/// asked about in many ways should not be found by one word alone.
const MAX_REPEAT: usize = 3;

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
    /// comment. Lines without `=>` or words are skipped.
    pub fn parse(text: &str) -> Asked {
        let mut articles: BTreeMap<ArticleName, Vec<(String, usize)>> = BTreeMap::new();
        for line in text.lines().map(|l| l.split('#').next().unwrap_or("").trim()) {
            let Some((name, words)) = line.split_once("=>") else { continue };
            let Some((title, label)) = name.trim().rsplit_once(char::is_whitespace) else { continue };
            let words = words.split(',').filter_map(|w| {
                let (word, count) = w.trim().rsplit_once(':').unwrap_or((w.trim(), "1"));
                Some((word.trim().to_string(), count.trim().parse().ok()?)).filter(|(w, _)| !w.is_empty())
            });
            let name = ArticleName { title: title.trim().to_string(), label: label.trim().to_string() };
            articles.entry(name).or_default().extend(words);
        }
        articles.retain(|_, words| !words.is_empty());
        Asked { articles }
    }

    /// Learns from judged questions: each question's words, filed under
    /// every article judged to answer it.
    pub fn learn(questions: impl IntoIterator<Item = (Vec<String>, Vec<ArticleName>)>) -> Asked {
        let mut counts: BTreeMap<ArticleName, HashMap<String, usize>> = BTreeMap::new();
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
        let articles = counts
            .into_iter()
            .map(|(article, words)| {
                let mut words: Vec<(String, usize)> = words.into_iter().collect();
                words.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                words.truncate(PER_ARTICLE);
                (article, words)
            })
            .collect();
        Asked { articles }
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

    /// The text of the `asked` field of each article, by law title key and
    /// article number: each word repeated as often as it was asked, at most
    /// [`MAX_REPEAT`] times.
    pub fn field_texts(&self) -> HashMap<(String, u32), String> {
        let mut texts: HashMap<(String, u32), String> = HashMap::new();
        for (name, words) in &self.articles {
            let Some(number) = crate::text::numerals::article_label(&name.label) else { continue };
            let text = texts.entry((law_key(&name.title), number)).or_default();
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
        assert_eq!(texts[&(law_key("消费者权益保护法"), 53)], "健身房 健身房 跑路 退钱 ");
        assert_eq!(asked.len(), 2);
    }

    #[test]
    fn comments_bad_lines_and_repeats_are_handled() {
        let asked = Asked::parse(
            "# learned\n民法典 第五百八十五条 => 违约金:9 # many\nno arrow\n民法典 => 定金:1\n价格法 第十四条 => :2, 涨价\n",
        );
        let texts = asked.field_texts();
        assert_eq!(texts[&(law_key("民法典"), 585)], "违约金 违约金 违约金 ");
        assert_eq!(texts[&(law_key("价格法"), 14)], "涨价 ");
        assert_eq!(asked.len(), 2);
    }
}
