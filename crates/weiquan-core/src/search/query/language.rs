//! The query language: plain words, "quoted phrases", `-exclusion` (also
//! `-"phrase"`), and `OR` between two items. Anything else is literal text:
//! tantivy's syntax characters mean nothing here, so no input is an error.
//! Also the article a query names (消保法第五十五条).

use crate::text::{normalize, truncate_chars};

/// Longer queries are cut to this many characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// One item of the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A word.
    Word(String),
    /// Words in quotes: a phrase.
    Phrase(String),
}

impl Item {
    /// What the item says.
    pub(super) fn text(&self) -> &str {
        match self {
            Item::Word(t) | Item::Phrase(t) => t,
        }
    }
}

/// A parsed query: groups of alternatives (joined by `OR`) that should all
/// match, and items that must not.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// Groups of alternatives; every group should match.
    pub groups: Vec<Vec<Item>>,
    /// Items after `-`, which must not match.
    pub excluded: Vec<Item>,
}

/// Parses any string. Control characters are spaces; Chinese quotes are
/// quotes; an unbalanced last quote is ignored.
pub fn parse(input: &str) -> Parsed {
    let input = truncate_chars(input, MAX_QUERY_CHARS);
    let cleaned: String = input
        .chars()
        .map(|c| match c {
            '“' | '”' | '「' | '」' | '『' | '』' | '＂' => '"',
            '－' | '—' => '-',
            c if c.is_control() || c.is_whitespace() => ' ',
            c => c,
        })
        .collect();
    let balanced = cleaned.matches('"').count().is_multiple_of(2);
    let last_quote = cleaned.rfind('"');

    let mut tokens: Vec<(bool, Item)> = Vec::new(); // (negated, item)
    let mut chars = cleaned.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c == ' ' || (c == '"' && !balanced && Some(i) == last_quote) {
            chars.next();
            continue;
        }
        let negated = c == '-';
        if negated {
            chars.next();
        }
        if chars.peek().is_some_and(|&(j, c)| c == '"' && (balanced || Some(j) != last_quote)) {
            chars.next();
            let phrase: String = chars.by_ref().map(|(_, c)| c).take_while(|&c| c != '"').collect();
            tokens.push((negated, Item::Phrase(phrase)));
        } else {
            let mut word = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if c == ' ' || c == '"' {
                    break;
                }
                word.push(c);
                chars.next();
            }
            tokens.push((negated, Item::Word(word)));
        }
    }

    let mut parsed = Parsed::default();
    let mut join_next = false;
    for (negated, item) in tokens {
        if item.text().trim().is_empty() {
            continue;
        }
        if item == Item::Word("OR".into()) {
            join_next = !parsed.groups.is_empty();
            continue;
        }
        if negated {
            parsed.excluded.push(item);
        } else if join_next {
            parsed.groups.last_mut().expect("a group to join").push(item);
        } else {
            parsed.groups.push(vec![item]);
        }
        join_next = false;
    }
    parsed
}

/// An article named in a query: 消保法第五十五条, 《产品质量法》第四十条第一款,
/// 食品安全法148条, 消费者权益保护法 55条.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleReference {
    /// What stands before the number, without 《》 and spaces: a title or an
    /// abbreviation (resolved by the engine).
    pub law: String,
    /// The article number.
    pub number: u32,
    /// The query after the reference (and its 款 and 项), as typed.
    pub after: String,
}

/// Finds the first article reference in a query.
pub fn article_reference(query: &str) -> Option<ArticleReference> {
    let normalized: Vec<char> = normalize(query).chars().collect();
    // The characters that matter, with their place in the query.
    let kept: Vec<(usize, char)> = normalized
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, c)| !c.is_whitespace() && !"《》<>\"“”".contains(*c))
        .collect();
    let chars: Vec<char> = kept.iter().map(|(_, c)| *c).collect();
    for (end, &c) in chars.iter().enumerate() {
        if c != '条' {
            continue;
        }
        let Some(start) = (0..end).rev().take_while(|&i| is_numeral(chars[i])).last() else { continue };
        let number: String = chars[start..end].iter().collect();
        let Some(number) = crate::text::numerals::parse(&number) else { continue };
        let law_end = if start > 0 && chars[start - 1] == '第' { start - 1 } else { start };
        let law: String = chars[..law_end].iter().collect();
        let law = law.trim_end_matches(['的', ',', '，']).to_string();
        if !law.is_empty() {
            let after: String = normalized[kept[end].0 + 1..].iter().collect();
            let after = strip_subdivisions(after.trim_start());
            return Some(ArticleReference { law, number, after: after.to_string() });
        }
    }
    None
}

/// The text after an article's 第N款 and 第N项.
fn strip_subdivisions(text: &str) -> &str {
    let mut rest = text;
    for unit in ['款', '项'] {
        if let Some(inner) = rest.strip_prefix('第')
            && let Some(end) = inner.find(unit)
            && inner[..end].chars().all(is_numeral)
        {
            rest = &inner[end + unit.len_utf8()..];
        }
    }
    rest
}

fn is_numeral(c: char) -> bool {
    c.is_ascii_digit() || "零〇一二三四五六七八九十百千两".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<Item> {
        list.iter().map(|w| Item::Word(w.to_string())).collect()
    }

    #[test]
    fn words_phrases_exclusions_and_or() {
        let parsed = parse("预付卡 \"无需说明理由\" -健身 退款 OR 退费");
        assert_eq!(
            parsed.groups,
            vec![words(&["预付卡"]), vec![Item::Phrase("无需说明理由".into())], words(&["退款", "退费"])]
        );
        assert_eq!(parsed.excluded, words(&["健身"]));
        let parsed = parse("-\"格式条款\" 霸王");
        assert_eq!(parsed.excluded, vec![Item::Phrase("格式条款".into())]);
    }

    #[test]
    fn chinese_quotes_and_unbalanced_quotes() {
        assert_eq!(parse("“七日内退货”").groups, vec![vec![Item::Phrase("七日内退货".into())]]);
        assert_eq!(parse("退货 \"理由").groups, vec![words(&["退货"]), words(&["理由"])]);
    }

    #[test]
    fn stray_or_and_dashes_are_ignored() {
        assert_eq!(parse("OR 退货 OR").groups, vec![words(&["退货"])]);
        assert_eq!(parse("- -- 退货").groups, vec![words(&["退货"])]);
        assert_eq!(parse("   ").groups, Vec::<Vec<Item>>::new());
    }

    #[test]
    fn long_input_is_cut() {
        let parsed = parse(&"退".repeat(10_000));
        assert_eq!(parsed.groups[0][0].text().chars().count(), MAX_QUERY_CHARS);
    }

    #[test]
    fn article_references_in_many_spellings() {
        let reference = |q: &str| article_reference(q).map(|r| (r.law, r.number));
        let after = |q: &str| article_reference(q).map(|r| r.after);
        assert_eq!(after("个保法第47条 删除权 撤回"), Some("删除权 撤回".into()));
        assert_eq!(after("《产品质量法》第四十条第一款 销售者"), Some(" 销售者".into()));
        assert_eq!(after("民法典第四百九十六条"), Some("".into()));
        assert_eq!(reference("消保法第五十五条"), Some(("消保法".into(), 55)));
        assert_eq!(reference("消费者权益保护法 55条"), Some(("消费者权益保护法".into(), 55)));
        assert_eq!(reference("食品安全法148条"), Some(("食品安全法".into(), 148)));
        assert_eq!(reference("民法典第四百九十六条"), Some(("民法典".into(), 496)));
        assert_eq!(reference("电子商务法 第三十八条"), Some(("电子商务法".into(), 38)));
        assert_eq!(reference("《产品质量法》第四十条第一款"), Some(("产品质量法".into(), 40)));
        assert_eq!(reference("个保法第47条 删除权"), Some(("个保法".into(), 47)));
        assert_eq!(reference("第五十五条"), None);
        assert_eq!(reference("退货条件"), None);
        assert_eq!(reference("条件 价格法第十四条"), Some(("条件价格法".into(), 14)));
    }
}
