//! 版本对照: two versions of a law side by side, article by article, like
//! the 新旧对照表 practitioners use.
//!
//! Articles are aligned by content, not by number, so that an article
//! renumbered by an amendment (第八条 → 第九条) lines up with its old self:
//!
//! 1. Each unit's text (without its article label, whitespace and invisible
//!    characters, normalised as the search normalises) becomes a multiset of
//!    character bigrams. Two units are as similar as the Dice coefficient of
//!    their bigrams: twice the shared bigrams over the bigrams of both, from
//!    0 (nothing shared) to 1 (the same text).
//! 2. An order-preserving alignment, computed by dynamic programming like a
//!    diff over units, picks the pairs with the greatest total similarity;
//!    only pairs at least [`MATCH_THRESHOLD`] similar may be paired. Units
//!    left unpaired were deleted (old) or added (new).
//! 3. Inside each pair a diff over words (runs of numerals or Latin letters
//!    and digits, otherwise single characters) marks the changed words.
//!
//! Time is quadratic in the number of units (the largest text in the
//! LawRefBook snapshot has about 700 articles: a few hundred thousand
//! similarity checks, most of them skipped by a length bound).

use std::collections::HashMap;
use std::ops::Range;

use super::model::Unit;
use crate::text::{escape_html, normalize};

/// Least similarity (Dice coefficient of character bigrams, 0 to 1) of two
/// units that may be paired as one article in two versions.
///
/// Chosen on the LawRefBook snapshot: in 40 pairs of consecutive versions
/// (公司法 2018 → 2023, 烈士褒扬条例, 突发事件应对法 and others), pairs
/// above 0.4 were nearly always the same article rewritten (人身损害赔偿
/// 解释 第二十四条, its 施行 clause, scores 0.46; 公司法 第一百五十六条 →
/// 第一百九十七条 0.48), while below 0.3 most were unrelated articles that
/// share the boilerplate of legal language (人民法院, 依法, 责令改正). An
/// unrelated pair that slips through shows as one text replaced by another,
/// with its similarity, so the reader can tell.
pub const MATCH_THRESHOLD: f32 = 0.4;

/// A shorter run of unchanged characters between two changes is shown as
/// part of the change, so that a rewritten phrase reads as one replacement
/// rather than a comb of single characters.
const MIN_KEPT_RUN: usize = 3;

/// What happened to one article between two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Change {
    /// The same text under the same label.
    Unchanged,
    /// The same text under another label (第八条 → 第九条).
    Renumbered,
    /// Changed text (perhaps also under another label).
    Modified,
    /// Only in the newer version.
    Added,
    /// Only in the older version.
    Deleted,
}

impl Change {
    /// Every change, in the order the summary lists them.
    pub const ALL: [Change; 5] =
        [Change::Modified, Change::Added, Change::Deleted, Change::Renumbered, Change::Unchanged];

    /// The machine name used by the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Unchanged => "unchanged",
            Change::Renumbered => "renumbered",
            Change::Modified => "modified",
            Change::Added => "added",
            Change::Deleted => "deleted",
        }
    }

    /// The Chinese label shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Change::Unchanged => "未修改",
            Change::Renumbered => "仅条号变动",
            Change::Modified => "修改",
            Change::Added => "新增",
            Change::Deleted => "删除",
        }
    }
}

/// A stretch of an article's text in both versions: unchanged (the same
/// words, perhaps in another width or script), or changed (`old` deleted and
/// `new` inserted; either may be empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// The text in the older version.
    pub old: String,
    /// The text in the newer version.
    pub new: String,
    /// Whether `old` was replaced by `new`; false when the two are the same words.
    pub changed: bool,
}

/// One line of the comparison: an article in the older version, the newer
/// one, or both.
#[derive(Debug, Clone, PartialEq)]
pub struct Row<'a> {
    /// The article in the older version; `None` when it was added.
    pub old: Option<&'a Unit>,
    /// The article in the newer version; `None` when it was deleted.
    pub new: Option<&'a Unit>,
    /// How the article changed.
    pub change: Change,
    /// Dice coefficient of the two texts' bigrams; 0 for added and deleted.
    pub similarity: f32,
    /// The text (without the article label) piece by piece.
    pub pieces: Vec<Piece>,
}

/// Which version's text to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The older version.
    Old,
    /// The newer version.
    New,
}

/// Compares the units of two versions of a law. Units with no visible text
/// are left out; every other unit of either version is in exactly one row,
/// in the order of both versions.
pub fn compare<'a>(old: &'a [Unit], new: &'a [Unit]) -> Vec<Row<'a>> {
    let old: Vec<Text> = old.iter().filter_map(Text::of).collect();
    let new: Vec<Text> = new.iter().filter_map(Text::of).collect();
    let mut interner = HashMap::new();
    let old_bigrams: Vec<Vec<u32>> = old.iter().map(|t| bigrams(&t.key, &mut interner)).collect();
    let new_bigrams: Vec<Vec<u32>> = new.iter().map(|t| bigrams(&t.key, &mut interner)).collect();
    align(&old_bigrams, &new_bigrams)
        .into_iter()
        .map(|step| match step {
            Step::Deleted(i) => Row {
                old: Some(old[i].unit),
                new: None,
                change: Change::Deleted,
                similarity: 0.0,
                pieces: vec![Piece { old: old[i].body.clone(), new: String::new(), changed: true }],
            },
            Step::Added(j) => Row {
                old: None,
                new: Some(new[j].unit),
                change: Change::Added,
                similarity: 0.0,
                pieces: vec![Piece { old: String::new(), new: new[j].body.clone(), changed: true }],
            },
            Step::Paired(i, j, similarity) => {
                let (a, b) = (&old[i], &new[j]);
                let same_label = a.unit.article.as_ref().map(|x| &x.label) == b.unit.article.as_ref().map(|x| &x.label);
                let (change, pieces) = if a.key == b.key {
                    let change = if same_label { Change::Unchanged } else { Change::Renumbered };
                    (change, vec![Piece { old: a.body.clone(), new: b.body.clone(), changed: false }])
                } else {
                    (Change::Modified, diff(&a.body, &b.body))
                };
                Row { old: Some(a.unit), new: Some(b.unit), change, similarity, pieces }
            }
        })
        .collect()
}

/// One side's text of a row as HTML: escaped text, the changed words of
/// the older version in `<del>`, of the newer in `<ins>`. No other markup.
pub fn side_html(pieces: &[Piece], side: Side) -> String {
    let mut html = String::new();
    for piece in pieces {
        let (text, tag) = match side {
            Side::Old => (&piece.old, "del"),
            Side::New => (&piece.new, "ins"),
        };
        if text.is_empty() {
            continue;
        }
        if piece.changed {
            html.push_str(&format!("<{tag}>{}</{tag}>", escape_html(text)));
        } else {
            html.push_str(&escape_html(text));
        }
    }
    html
}

/// A unit's text as compared: `body` as shown (without the article label,
/// invisible characters and blank lines), `key` as matched (normalised,
/// without whitespace).
struct Text<'a> {
    unit: &'a Unit,
    body: String,
    key: Vec<char>,
}

impl<'a> Text<'a> {
    /// `None` for a unit with no visible text.
    fn of(unit: &'a Unit) -> Option<Text<'a>> {
        let text = match &unit.article {
            Some(article) => unit.text.strip_prefix(article.label.as_str()).unwrap_or(&unit.text),
            None => &unit.text,
        };
        let visible: String = text.chars().filter(|c| !is_invisible(*c)).collect();
        let body = visible.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n");
        let key: Vec<char> = normalize(&body).chars().filter(|c| !c.is_whitespace()).collect();
        (!key.is_empty() || unit.article.is_some()).then_some(Text { unit, body, key })
    }
}

/// Zero-width characters some texts carry between paragraphs.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// The character bigrams of `key` as sorted ids (a one-character text is
/// its character).
fn bigrams(key: &[char], interner: &mut HashMap<(char, char), u32>) -> Vec<u32> {
    let mut id = |pair: (char, char)| {
        let next = interner.len() as u32;
        *interner.entry(pair).or_insert(next)
    };
    let mut ids: Vec<u32> = match key {
        [] => Vec::new(),
        [only] => vec![id((*only, '\0'))],
        _ => key.windows(2).map(|w| id((w[0], w[1]))).collect(),
    };
    ids.sort_unstable();
    ids
}

/// Dice coefficient of two sorted multisets.
fn dice(a: &[u32], b: &[u32]) -> f32 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    2.0 * shared as f32 / (a.len() + b.len()) as f32
}

/// One step of the alignment, by unit index.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Deleted(usize),
    Added(usize),
    Paired(usize, usize, f32),
}

/// The order-preserving alignment with the greatest total similarity over
/// pairs at least [`MATCH_THRESHOLD`] similar. Where a deletion and an
/// addition stand at the same place, the deletion comes first.
fn align(old: &[Vec<u32>], new: &[Vec<u32>]) -> Vec<Step> {
    const DELETE: u8 = 0;
    const ADD: u8 = 1;
    const PAIR: u8 = 2;
    let (n, m) = (old.len(), new.len());
    // Best scores of the previous and current row; the choice at each cell.
    let mut previous = vec![0f32; m + 1];
    let mut current = vec![0f32; m + 1];
    let mut choice = vec![ADD; (n + 1) * (m + 1)];
    let mut similarity = HashMap::new();
    for i in 1..=n {
        current[0] = 0.0;
        choice[i * (m + 1)] = DELETE;
        for j in 1..=m {
            let (mut best, mut pick) = (current[j - 1], ADD);
            if previous[j] > best {
                (best, pick) = (previous[j], DELETE);
            }
            let (a, b) = (&old[i - 1], &new[j - 1]);
            // Dice can be at most 2·min / (sum): skip pairs too unequal in length.
            let bound = 2.0 * a.len().min(b.len()) as f32 / (a.len() + b.len()).max(1) as f32;
            if bound >= MATCH_THRESHOLD {
                let s = dice(a, b);
                if s >= MATCH_THRESHOLD && previous[j - 1] + s > best {
                    (best, pick) = (previous[j - 1] + s, PAIR);
                    similarity.insert((i, j), s);
                }
            }
            current[j] = best;
            choice[i * (m + 1) + j] = pick;
        }
        std::mem::swap(&mut previous, &mut current);
    }
    let mut steps = Vec::with_capacity(n + m);
    let (mut i, mut j) = (n, m);
    while i > 0 || j > 0 {
        match choice[i * (m + 1) + j] {
            PAIR => {
                steps.push(Step::Paired(i - 1, j - 1, similarity[&(i, j)]));
                i -= 1;
                j -= 1;
            }
            DELETE => {
                steps.push(Step::Deleted(i - 1));
                i -= 1;
            }
            _ => {
                steps.push(Step::Added(j - 1));
                j -= 1;
            }
        }
    }
    steps.reverse();
    steps
}

/// The changed words between two texts: a diff over words (a run of
/// Chinese numerals, or of Latin letters and digits, is one word, so
/// 第二百六十五条 → 第二百六十九条 shows 二百六十五 → 二百六十九; any other
/// character is a word), compared normalised. Unchanged runs shorter than
/// [`MIN_KEPT_RUN`] characters between two changes join the change.
pub fn diff(old: &str, new: &str) -> Vec<Piece> {
    let (old_words, new_words) = (Words::of(old), Words::of(new));
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &old_words.keys(), &new_words.keys());
    // Merge the operations into alternating unchanged and changed spans of words.
    let mut spans: Vec<(bool, Range<usize>, Range<usize>)> = Vec::new();
    for op in ops {
        let (changed, a, b) = match op {
            similar::DiffOp::Equal { old_index, new_index, len } => {
                (false, old_index..old_index + len, new_index..new_index + len)
            }
            similar::DiffOp::Delete { old_index, old_len, new_index } => {
                (true, old_index..old_index + old_len, new_index..new_index)
            }
            similar::DiffOp::Insert { old_index, new_index, new_len } => {
                (true, old_index..old_index, new_index..new_index + new_len)
            }
            similar::DiffOp::Replace { old_index, old_len, new_index, new_len } => {
                (true, old_index..old_index + old_len, new_index..new_index + new_len)
            }
        };
        match spans.last_mut() {
            Some(last) if last.0 == changed => {
                last.1.end = a.end;
                last.2.end = b.end;
            }
            _ => spans.push((changed, a, b)),
        }
    }
    // Fold short unchanged spans that stand between two changes into them.
    let mut folded: Vec<(bool, Range<usize>, Range<usize>)> = Vec::new();
    for (index, span) in spans.iter().enumerate() {
        let between = index > 0 && index + 1 < spans.len();
        let short = old_words.chars(span.1.clone()) < MIN_KEPT_RUN;
        let changed = span.0 || (between && short);
        match folded.last_mut() {
            Some(last) if last.0 == changed => {
                last.1.end = span.1.end;
                last.2.end = span.2.end;
            }
            _ => folded.push((changed, span.1.clone(), span.2.clone())),
        }
    }
    folded
        .into_iter()
        .map(|(changed, a, b)| Piece { old: old_words.text(a), new: new_words.text(b), changed })
        .collect()
}

/// A text cut into words, each with its normalised form.
struct Words {
    /// The original characters.
    chars: Vec<char>,
    /// The normalised characters (one for each original one).
    normalized: Vec<char>,
    /// Each word's range of characters.
    words: Vec<Range<usize>>,
}

impl Words {
    fn of(text: &str) -> Words {
        let chars: Vec<char> = text.chars().collect();
        let normalized: Vec<char> = normalize(text).chars().collect();
        // Normalisation keeps the character count; should it ever not, compare as written.
        let normalized = if normalized.len() == chars.len() { normalized } else { chars.clone() };
        let class = |c: char| {
            if "零〇一二三四五六七八九十百千万".contains(c) {
                1
            } else if c.is_ascii_alphanumeric() {
                2
            } else {
                0
            }
        };
        let mut words: Vec<Range<usize>> = Vec::new();
        for (i, &c) in normalized.iter().enumerate() {
            match words.last_mut() {
                Some(last) if class(c) != 0 && class(normalized[last.start]) == class(c) => last.end = i + 1,
                _ => words.push(i..i + 1),
            }
        }
        Words { chars, normalized, words }
    }

    /// Each word's normalised characters, for the diff.
    fn keys(&self) -> Vec<&[char]> {
        self.words.iter().map(|w| &self.normalized[w.clone()]).collect()
    }

    /// The original text of a range of words.
    fn text(&self, words: Range<usize>) -> String {
        match self.span(words) {
            Some(chars) => self.chars[chars].iter().collect(),
            None => String::new(),
        }
    }

    /// The number of characters in a range of words.
    fn chars(&self, words: Range<usize>) -> usize {
        self.span(words).map_or(0, |chars| chars.len())
    }

    fn span(&self, words: Range<usize>) -> Option<Range<usize>> {
        (!words.is_empty()).then(|| self.words[words.start].start..self.words[words.end - 1].end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::articles::split_law;

    /// (change, old label, new label) of each row.
    fn summary<'a>(rows: &'a [Row<'a>]) -> Vec<(Change, Option<&'a str>, Option<&'a str>)> {
        let label = |unit: Option<&'a Unit>| unit.and_then(|u| u.article.as_ref()).map(|a| a.label.as_str());
        rows.iter().map(|row| (row.change, label(row.old), label(row.new))).collect()
    }

    const OLD: &str = "\
第一条 为了保护消费者的合法权益，维护社会经济秩序，制定本法。

第二条 消费者为生活消费需要购买、使用商品或者接受服务，其权益受本法保护。

第三条 经营者提供商品应当遵守本法。

第四条 经营者与消费者进行交易，应当遵循自愿、平等、公平、诚实信用的原则。

第五条 国家保护消费者的合法权益不受侵害。
本条款在新版本中删除。

第六条 本法自1994年1月1日起施行。
";

    const NEW: &str = "\
第一条 为了保护消费者的合法权益，维护社会经济秩序，促进社会主义市场经济健康发展，制定本法。

第二条 消费者为生活消费需要购买、使用商品或者接受服务，其权益受本法保护。

第三条 国家鼓励、支持一切组织和个人对损害消费者合法权益的行为进行社会监督。

第四条 经营者提供商品应当遵守本法。

第五条 经营者与消费者进行交易，应当遵循自愿、平等、公平、诚实信用的原则。

第六条 本法自2014年3月15日起施行。
";

    #[test]
    fn renumbered_added_deleted_and_changed_articles() {
        let (old, new) = (split_law(OLD, &[]), split_law(NEW, &[]));
        let rows = compare(&old, &new);
        assert_eq!(
            summary(&rows),
            [
                (Change::Modified, Some("第一条"), Some("第一条")),
                (Change::Unchanged, Some("第二条"), Some("第二条")),
                (Change::Added, None, Some("第三条")),
                (Change::Renumbered, Some("第三条"), Some("第四条")),
                (Change::Renumbered, Some("第四条"), Some("第五条")),
                (Change::Deleted, Some("第五条"), None),
                (Change::Modified, Some("第六条"), Some("第六条")),
            ]
        );
        assert!((rows[1].similarity - 1.0).abs() < 1e-6);
        assert!(rows[0].similarity > MATCH_THRESHOLD && rows[0].similarity < 1.0);
        assert_eq!(rows[2].pieces[0].new, "国家鼓励、支持一切组织和个人对损害消费者合法权益的行为进行社会监督。");
        assert_eq!(rows[5].pieces[0].old, "国家保护消费者的合法权益不受侵害。\n本条款在新版本中删除。");
    }

    #[test]
    fn changed_words_are_marked_and_everything_else_kept() {
        let (old, new) = (split_law(OLD, &[]), split_law(NEW, &[]));
        let rows = compare(&old, &new);
        assert_eq!(side_html(&rows[0].pieces, Side::Old), "为了保护消费者的合法权益，维护社会经济秩序，制定本法。");
        assert_eq!(
            side_html(&rows[0].pieces, Side::New),
            "为了保护消费者的合法权益，维护社会经济秩序，<ins>促进社会主义市场经济健康发展，</ins>制定本法。"
        );
        // Numbers change as whole words; the single 年 and 月 between them join the change.
        assert_eq!(side_html(&rows[6].pieces, Side::Old), "本法自<del>1994年1月1</del>日起施行。");
        assert_eq!(side_html(&rows[6].pieces, Side::New), "本法自<ins>2014年3月15</ins>日起施行。");
    }

    #[test]
    fn a_renumbered_reference_changes_as_one_number() {
        let pieces = diff("依照本法第二百六十五条的规定", "依照本法第二百六十九条的规定");
        assert_eq!(side_html(&pieces, Side::Old), "依照本法第<del>二百六十五</del>条的规定");
        assert_eq!(side_html(&pieces, Side::New), "依照本法第<ins>二百六十九</ins>条的规定");
    }

    #[test]
    fn a_short_unchanged_run_between_changes_joins_them() {
        let pieces = diff("甲方应当赔偿损失", "乙方可以赔偿损失");
        assert_eq!(side_html(&pieces, Side::Old), "<del>甲方应当</del>赔偿损失");
        assert_eq!(side_html(&pieces, Side::New), "<ins>乙方可以</ins>赔偿损失");
        let unchanged = diff("同样的文字", "同样的文字");
        assert_eq!(unchanged, [Piece { old: "同样的文字".into(), new: "同样的文字".into(), changed: false }]);
    }

    #[test]
    fn unrelated_articles_are_not_paired() {
        let old = split_law("第一条 经营者应当明码标价。", &[]);
        let new = split_law("第一条 人民法院审理案件，依照法律规定。", &[]);
        let rows = compare(&old, &new);
        assert_eq!(summary(&rows), [(Change::Deleted, Some("第一条"), None), (Change::Added, None, Some("第一条"))]);
    }

    #[test]
    fn width_script_whitespace_and_invisible_characters_are_no_change() {
        let old = split_law("第一条 消费者（一）有权退货。\n\n\u{200B}\n\n第二条 其他。", &[]);
        let new = split_law("第一条　消費者(一)有权退货。\n\n第二条 其他。", &[]);
        let rows = compare(&old, &new);
        assert_eq!(summary(&rows)[0], (Change::Unchanged, Some("第一条"), Some("第一条")));
        assert_eq!(rows[0].pieces[0].old, "消费者（一）有权退货。");
    }

    #[test]
    fn text_outside_articles_is_compared_too_and_html_is_escaped() {
        let old = split_law("序言<b>旧</b>。\n\n第一条 条文。", &[]);
        let new = split_law("第一条 条文。", &[]);
        let rows = compare(&old, &new);
        assert_eq!(
            summary(&rows),
            [(Change::Deleted, None, None), (Change::Unchanged, Some("第一条"), Some("第一条"))]
        );
        assert_eq!(side_html(&rows[0].pieces, Side::Old), "<del>序言&lt;b&gt;旧&lt;/b&gt;。</del>");
        assert_eq!(side_html(&rows[0].pieces, Side::New), "");
    }

    #[test]
    fn empty_versions() {
        let units = split_law("第一条 条文。", &[]);
        assert_eq!(summary(&compare(&[], &units)), [(Change::Added, None, Some("第一条"))]);
        assert_eq!(summary(&compare(&units, &[])), [(Change::Deleted, Some("第一条"), None)]);
        assert!(compare(&[], &[]).is_empty());
    }
}
