//! Text primitives shared by the content pipeline and the search engine:
//! normalisation and Chinese numerals; and text made safe for where it goes
//! (HTML, spreadsheets).

pub mod numerals;
pub mod spreadsheet;

use std::borrow::Cow;
use std::sync::LazyLock;

/// 64-bit FNV-1a of the UTF-8 bytes, started from `seed` mixed into the
/// offset basis, then the SplitMix64 finaliser so that every bit depends on
/// every byte. Written out rather than taken from `std`, whose hashers are
/// randomly seeded or may change between Rust releases: what it decides (a
/// judged question's half, the order of units that tie) must be the same on
/// every machine and with every build.
pub fn stable_hash(seed: u64, text: &str) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64 ^ seed;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash = (hash ^ (hash >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash = (hash ^ (hash >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^ (hash >> 31)
}

/// Normalises text the same way at index and query time: traditional
/// characters become simplified (網購 → 网购), full-width ASCII becomes
/// half-width, the ideographic space becomes a space and letters are
/// case-folded.
///
/// The mapping is one character to one character, so a character offset in
/// the normalised text is the same offset in the original text (snippets rely
/// on this to highlight the original).
pub fn normalize(text: &str) -> String {
    // Most texts are simplified already, and fast2s looks every character
    // up in up to three hash maps: it runs only on a text with a character
    // it may change (a tenth of indexing's tokenising, in the profile).
    let simplified =
        if text.chars().any(is_traditional) { Cow::Owned(fast2s::convert(text)) } else { Cow::Borrowed(text) };
    let mut normalized = String::with_capacity(simplified.len());
    normalized.extend(simplified.chars().map(normalize_char));
    normalized
}

/// Whether fast2s may change `c`: it converts it alone, or only next to
/// certain characters ([`CONVERTED_IN_CONTEXT`]).
fn is_traditional(c: char) -> bool {
    /// One bit for each character of the Basic Multilingual Plane, the
    /// only plane fast2s converts.
    static TRADITIONAL: LazyLock<Box<[u64]>> = LazyLock::new(|| {
        let mut bits = vec![0_u64; 0x1_0000 / 64].into_boxed_slice();
        let mut buffer = [0; 4];
        for c in ('\u{800}'..='\u{FFFF}').filter(|c| fast2s::convert(c.encode_utf8(&mut buffer)).chars().ne([*c])) {
            bits[c as usize / 64] |= 1 << (c as usize % 64);
        }
        for c in CONVERTED_IN_CONTEXT {
            bits[c as usize / 64] |= 1 << (c as usize % 64);
        }
        bits
    });
    let code = c as usize;
    (0x800..0x1_0000).contains(&code) && TRADITIONAL[code / 64] & (1 << (code % 64)) != 0
}

/// The characters fast2s (0.3) leaves alone unless a certain neighbour
/// comes with them (藉口 → 借口, 看著 → 看着, 苧麻 → 苎麻).
const CONVERTED_IN_CONTEXT: [char; 3] = ['藉', '著', '苧'];

/// The per-character mapping behind [`normalize`].
pub fn normalize_char(c: char) -> char {
    let c = match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    };
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    // Han characters and CJK punctuation have no case: most of every text.
    if is_han(c) || ('\u{3000}'..='\u{303F}').contains(&c) {
        return c;
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(single), None) => single,
        _ => c,
    }
}

/// True for Han characters (CJK unified ideographs and their extensions and
/// compatibility forms), the characters that jieba segments and the bigram
/// field pairs.
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF
        | 0x20000..=0x2A6DF
        | 0x2A700..=0x2EBEF
        | 0x30000..=0x3134F)
}

/// True for characters that belong to a searchable Latin word or number.
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_han(c)
}

/// Appends `c` to `out`, escaped for HTML text and attribute values.
pub fn push_html_escaped(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        _ => out.push(c),
    }
}

/// `text` escaped for HTML text and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    text.chars().for_each(|c| push_html_escaped(&mut out, c));
    out
}

/// Cuts `text` to at most `max_chars` characters, never inside a character.
pub fn truncate_chars(text: &str, max_chars: usize) -> &str {
    match text.char_indices().nth(max_chars) {
        Some((byte, _)) => &text[..byte],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_becomes_half_width_and_case_folds() {
        assert_eq!(normalize("ＡＢＣ１２３ｉＰｈｏｎｅ"), "abc123iphone");
        assert_eq!(normalize("第２５条\u{3000}ＧＢ"), "第25条 gb");
        assert_eq!(normalize("（一）消费者！"), "(一)消费者!");
        assert_eq!(normalize("ÄÖÜ Straße"), "äöü straße");
    }

    #[test]
    fn traditional_characters_become_simplified() {
        assert_eq!(normalize("網購 七天無理由退貨"), "网购 七天无理由退货");
        assert_eq!(normalize("保健品廣告說能治病"), "保健品广告说能治病");
        assert_eq!(normalize("消费者权益保护法"), "消费者权益保护法");
    }

    #[test]
    fn simplified_text_is_left_to_fast2s_only_where_it_would_change_it() {
        let by_fast2s = |text: &str| -> String { fast2s::convert(text).chars().map(normalize_char).collect() };
        // The pairs fast2s converts in context (its special cases) or
        // leaves whole (乾隆, 答覆) ...
        for text in ["憑藉", "藉口", "看著", "苧麻", "乾隆", "答覆", "計畫"] {
            assert_eq!(normalize(text), by_fast2s(text), "{text}");
        }
        assert_eq!(normalize("看著"), "看着");
        // ... and every character between two others.
        for code in 0x80..0x1_0000 {
            let Some(c) = char::from_u32(code) else { continue };
            let text = format!("中{c}文");
            assert_eq!(normalize(&text), by_fast2s(&text), "{c} (U+{code:04X})");
        }
        assert!(!is_traditional('消') && is_traditional('費') && is_traditional('著') && !is_traditional('🙂'));
    }

    #[test]
    fn normalisation_keeps_the_character_count() {
        for text in
            ["İstanbul ＩＳＴ", "中华人民共和国", "🙂ｅｍｏｊｉ", "ﬃ", "電商平台 競價排名 標明廣告", "乾隆 著作 皇后"]
        {
            assert_eq!(normalize(text).chars().count(), text.chars().count(), "{text}");
        }
    }

    #[test]
    fn han_and_word_characters() {
        assert!(is_han('消'));
        assert!(!is_han('a'));
        assert!(is_word_char('a') && is_word_char('5'));
        assert!(!is_word_char('消') && !is_word_char('，'));
    }

    #[test]
    fn html_escaping() {
        assert_eq!(escape_html("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate_chars("消费者权益", 2), "消费");
        assert_eq!(truncate_chars("ab", 5), "ab");
    }
}
