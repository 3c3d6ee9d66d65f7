//! Snippets: the best passage of a unit with the matched terms in `<mark>`.
//! Works on characters, never bytes, so a snippet never cuts a character.

use crate::text::{normalize, push_html_escaped};

/// Length of a snippet in characters (about 100 Chinese characters).
pub const SNIPPET_CHARS: usize = 100;

/// Characters shown before the first match of the chosen passage.
const LEAD_CHARS: usize = 16;

/// Most occurrences of one term looked at, so a huge unit stays cheap.
const MAX_OCCURRENCES: usize = 256;

/// The best window of `text` of about [`SNIPPET_CHARS`] characters: the one
/// holding the most distinct `terms` (already normalised), then the most
/// matches. Everything is HTML-escaped; matches are wrapped in `<mark>`.
pub fn snippet(text: &str, terms: &[String]) -> String {
    let original: Vec<char> = text.chars().collect();
    let chars: Vec<char> = original.iter().map(|&c| if c.is_whitespace() { ' ' } else { c }).collect();
    let normalized = normalize(text);
    let char_index = byte_to_char_index(&normalized);
    let mut matches: Vec<(usize, usize, usize)> = Vec::new(); // (start, end, term index)
    for (index, term) in terms.iter().enumerate().filter(|(_, t)| !t.is_empty()) {
        let length = term.chars().count();
        for (byte, _) in normalized.match_indices(term.as_str()).take(MAX_OCCURRENCES) {
            let start = char_index[byte];
            matches.push((start, start + length, index));
        }
    }
    matches.sort_unstable();

    let window_at = |start: usize| {
        let start = start.min(chars.len().saturating_sub(SNIPPET_CHARS));
        (start, (start + SNIPPET_CHARS).min(chars.len()))
    };
    let (start, _) = best_window(&matches, terms.len(), window_at).unwrap_or_else(|| window_at(0));
    let opening = start == 0;
    let start = past_headings(&original, start, &matches);
    let end = (start + SNIPPET_CHARS).min(chars.len());

    let mut out = String::with_capacity((end - start) * 4 + 32);
    if start > 0 && !opening {
        out.push('…');
    }
    let mut position = start;
    for (s, e) in merged(&matches, start, end) {
        escape_into(&mut out, &chars[position..s]);
        out.push_str("<mark>");
        escape_into(&mut out, &chars[s..e]);
        out.push_str("</mark>");
        position = e;
    }
    escape_into(&mut out, &chars[position..end]);
    if end < chars.len() {
        out.push('…');
    }
    out
}

/// The window, placed a little before one of the sorted `matches`, that holds
/// the most distinct terms, then the most matches, then comes first. Linear
/// in the matches times the matches a window holds.
fn best_window(
    matches: &[(usize, usize, usize)],
    terms: usize,
    window_at: impl Fn(usize) -> (usize, usize),
) -> Option<(usize, usize)> {
    // The candidate that last counted each term, so each window counts it once.
    let mut counted_by = vec![usize::MAX; terms];
    // (distinct terms, matches, earlier first) and the window.
    type Best = ((usize, usize, std::cmp::Reverse<usize>), (usize, usize));
    let mut best: Option<Best> = None;
    let mut first_inside = 0;
    for (candidate, &(s, _, _)) in matches.iter().enumerate() {
        let (ws, we) = window_at(s.saturating_sub(LEAD_CHARS));
        // Windows move right with their matches, so this only advances.
        while matches[first_inside].0 < ws {
            first_inside += 1;
        }
        let (mut distinct, mut inside) = (0, 0);
        for &(_, _, term) in matches[first_inside..].iter().take_while(|m| m.0 < we).filter(|m| m.1 <= we) {
            inside += 1;
            if counted_by[term] != candidate {
                counted_by[term] = candidate;
                distinct += 1;
            }
        }
        let key = (distinct, inside, std::cmp::Reverse(ws));
        if best.as_ref().is_none_or(|(best_key, _)| key > *best_key) {
            best = Some((key, (ws, we)));
        }
    }
    best.map(|(_, window)| window)
}

/// Longest line taken for a section heading (发生了什么, 第一步：收件时当面验收).
const MAX_HEADING_CHARS: usize = 20;

/// `start`, moved past the section headings it opens on: short lines that
/// end without sentence punctuation and hold no match. A snippet shows the
/// text, and a heading at its start reads as if it were the text.
fn past_headings(chars: &[char], mut start: usize, matches: &[(usize, usize, usize)]) -> usize {
    while start == 0 || chars.get(start - 1) == Some(&'\n') {
        let Some(length) = chars[start..].iter().position(|&c| c == '\n') else { break };
        let line = &chars[start..start + length];
        let heading = length <= MAX_HEADING_CHARS
            && !line.iter().any(|c| "。；！？.;!?".contains(*c))
            && !matches.iter().any(|&(s, _, _)| s >= start && s < start + length);
        if !heading {
            break;
        }
        start += length + 1;
    }
    start
}

/// Matches inside the window, overlapping ones merged.
fn merged(matches: &[(usize, usize, usize)], start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for &(s, e, _) in matches.iter().filter(|&&(s, e, _)| s >= start && e <= end) {
        match ranges.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => ranges.push((s, e)),
        }
    }
    ranges
}

fn byte_to_char_index(text: &str) -> Vec<usize> {
    let mut index = vec![0; text.len() + 1];
    for (char_index, (byte, c)) in text.char_indices().enumerate() {
        index[byte..byte + c.len_utf8()].fill(char_index);
    }
    index[text.len()] = text.chars().count();
    index
}

fn escape_into(out: &mut String, chars: &[char]) {
    chars.iter().for_each(|&c| push_html_escaped(out, c));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn marks_matches_and_escapes_everything_else() {
        let html = snippet("<b>经营者</b>应当退货 & 赔偿", &terms(&["退货"]));
        assert_eq!(html, "&lt;b&gt;经营者&lt;/b&gt;应当<mark>退货</mark> &amp; 赔偿");
    }

    #[test]
    fn picks_the_passage_with_the_most_terms() {
        let filler = "无关的文字。".repeat(40);
        let text = format!("{filler}消费者可以退货。{filler}消费者有权要求七日内退货，且无需说明理由。{filler}");
        let html = snippet(&text, &terms(&["退货", "理由", "七日"]));
        assert!(html.contains("<mark>七日</mark>内<mark>退货</mark>"), "{html}");
        assert!(html.contains("<mark>理由</mark>"), "{html}");
        assert!(html.starts_with('…') && html.ends_with('…'), "{html}");
        let visible = html.replace("<mark>", "").replace("</mark>", "").replace('…', "");
        assert_eq!(visible.chars().count(), SNIPPET_CHARS);
    }

    #[test]
    fn matching_is_normalised_and_overlaps_merge() {
        let html = snippet("ＩＰＨＯＮＥ手机退货", &terms(&["iphone", "手机", "机退"]));
        assert_eq!(html, "<mark>ＩＰＨＯＮＥ手机退</mark>货");
    }

    #[test]
    fn a_snippet_does_not_open_on_a_section_heading() {
        let text = "发生了什么\n不少消费者办了健身卡，门店随后关门。\n警惕这些信号\n催您当场付款。";
        assert_eq!(
            snippet(text, &terms(&["健身卡"])),
            "不少消费者办了<mark>健身卡</mark>，门店随后关门。 警惕这些信号 催您当场付款。"
        );
        assert_eq!(snippet(text, &[]), "不少消费者办了健身卡，门店随后关门。 警惕这些信号 催您当场付款。");
        // A heading that holds the match stays, and so does an ordinary opening line.
        assert!(snippet(text, &terms(&["发生"])).starts_with("<mark>发生</mark>了什么"));
        assert!(snippet("第二十五条 经营者采用网络方式销售商品", &[]).starts_with("第二十五条"));
    }

    #[test]
    fn no_match_gives_the_opening_and_short_text_is_whole() {
        assert_eq!(snippet("短文本", &terms(&["不存在"])), "短文本");
        assert_eq!(snippet("", &terms(&["x"])), "");
        let long = "甲".repeat(300);
        assert_eq!(snippet(&long, &[]).chars().count(), SNIPPET_CHARS + 1);
    }
}
