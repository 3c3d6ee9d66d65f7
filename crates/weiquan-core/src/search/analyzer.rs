//! The analyser: how text becomes terms, the same at index and query time.
//! Two tokenizers are registered on every index, in [`register`]:
//! - [`WORDS`]: text normalised ([`crate::text::normalize`]), then cut by
//!   jieba in search mode (overlapping sub-words: 中华人民共和国 also yields
//!   中华, 华人, 人民, 共和, 共和国), with the domain dictionary.
//! - [`BIGRAMS`]: overlapping pairs of Han characters plus whole Latin words
//!   and numbers, so any fragment of two or more characters finds its text
//!   even where jieba kept a longer word whole (测试工具箱 → 工具).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use tantivy::Index;
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};
use tantivy_jieba::jieba_rs::Jieba;

use crate::text::{is_han, is_word_char, normalize};

/// Name of the jieba word tokenizer in the index.
pub const WORDS: &str = "zh_words";
/// Name of the character-pair tokenizer in the index.
pub const BIGRAMS: &str = "zh_bigrams";

/// Terms longer than this many bytes are dropped (tantivy caps term length;
/// no real word is this long).
const MAX_TERM_BYTES: usize = 64;

/// Words that carry no meaning in a question (我想问一下能不能退). They are
/// dropped from queries unless nothing else is left; they are still indexed.
#[rustfmt::skip]
const QUERY_STOPWORDS: &[&str] = &[
    "的", "了", "吗", "呢", "吧", "啊", "呀", "么", "嘛", "是", "我", "你", "他", "她", "它", "我们", "你们", "他们",
    "能", "能不能", "可以", "可不可以", "怎么", "怎么办", "怎样", "如何", "什么", "为什么", "哪里", "该", "应该",
    "要", "会", "还", "就", "都", "也", "和", "与", "及", "或", "在", "被", "把", "给", "对", "有", "没", "不", "请问",
    "一下", "这", "那", "这个", "那个", "个", "上", "下", "中", "里", "又", "再", "the", "a", "an", "of",
    "结果", "现在", "不是", "不了", "多少", "有事", "几次", "好几次", "对吗", "行吗", "合法吗", "可以吗", "怎么样",
    "是否", "这种", "时候", "一直", "已经", "还是", "但是", "就是", "后来", "却", "而且", "然后", "因为", "所以",
];

/// One analysed term: its text and where it starts and ends, in characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The term's text.
    pub text: String,
    /// Character offset of its first character.
    pub start: usize,
    /// Character offset just past its last character.
    pub end: usize,
}

/// Domain words compiled into the binary; content roots add their own.
pub const BUILTIN_WORDS: &str = include_str!("lexicon/words.txt");
/// Query expansions compiled into the binary; content roots add their own.
pub const BUILTIN_SYNONYMS: &str = include_str!("lexicon/synonyms.txt");
/// Abbreviations of law titles compiled into the binary; content roots add their own.
pub const BUILTIN_ALIASES: &str = include_str!("lexicon/aliases.txt");

/// The word lists an index is built with: built-in ones followed by the
/// content roots' own. Saved with the index so queries use the same.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lexicon {
    /// jieba words: one per line, optionally with a frequency and a tag.
    pub dictionary: String,
    /// Expansions, see [`parse_synonyms`].
    pub synonyms: String,
    /// Abbreviations of law titles, in the synonyms format.
    pub aliases: String,
}

impl Lexicon {
    /// The built-in lists followed by the content's.
    pub fn with_builtin(dictionary: &str, synonyms: &str, aliases: &str) -> Lexicon {
        Lexicon {
            dictionary: format!("{BUILTIN_WORDS}\n{dictionary}"),
            synonyms: format!("{BUILTIN_SYNONYMS}\n{synonyms}"),
            aliases: format!("{BUILTIN_ALIASES}\n{aliases}"),
        }
    }
}

/// jieba with the domain dictionary, the query expansions and the law-title
/// abbreviations. Cheap to clone: all are shared.
#[derive(Clone)]
pub struct Analyzer {
    jieba: Arc<Jieba>,
    synonyms: Arc<HashMap<String, Vec<String>>>,
    aliases: Arc<HashMap<String, Vec<String>>>,
}

impl Analyzer {
    /// jieba's own dictionary plus the lexicon's. `#` starts a comment in
    /// every list.
    pub fn new(lexicon: &Lexicon) -> Analyzer {
        let mut jieba = Jieba::new();
        for line in lexicon.dictionary.lines().chain(lexicon.aliases.lines().flat_map(alias_words)).map(strip_comment) {
            let mut parts = line.split_whitespace();
            let Some(word) = parts.next() else { continue };
            let freq = parts.next().and_then(|f| f.parse().ok());
            jieba.add_word(&normalize(word), freq, parts.next());
        }
        let aliases = parse_synonyms(&lexicon.aliases);
        let mut synonyms = parse_synonyms(&lexicon.synonyms);
        for (abbreviation, titles) in &aliases {
            synonyms.entry(abbreviation.clone()).or_default().extend(titles.iter().cloned());
        }
        Analyzer { jieba: Arc::new(jieba), synonyms: Arc::new(synonyms), aliases: Arc::new(aliases) }
    }

    /// The analyzer of loaded content: its dictionary, synonyms and
    /// aliases on top of the built-in ones.
    pub fn for_content(loaded: &crate::content::Loaded) -> Analyzer {
        Analyzer::new(&Lexicon::with_builtin(&loaded.dictionary, &loaded.synonyms, &loaded.aliases))
    }

    /// The short title `name` stands for: an abbreviation's title; an
    /// abbreviation followed by 实施条例 or 实施细则, that title's
    /// implementing text (食安法实施条例 → 食品安全法实施条例); else `name`.
    pub fn law_title<'a>(&'a self, name: &'a str) -> Cow<'a, str> {
        let title = |abbreviation: &str| self.aliases.get(abbreviation).and_then(|t| t.first());
        if let Some(title) = title(name) {
            return Cow::Borrowed(title);
        }
        for suffix in ["实施条例", "实施细则"] {
            if let Some(title) = name.strip_suffix(suffix).and_then(title) {
                return Cow::Owned(format!("{title}{suffix}"));
            }
        }
        Cow::Borrowed(name)
    }

    /// What a query word also stands for (七天 → 七日).
    pub fn synonyms(&self, word: &str) -> &[String] {
        self.synonyms.get(word).map_or(&[], Vec::as_slice)
    }

    /// Index-time terms: search-mode words of the normalised text.
    pub fn words(&self, text: &str) -> Vec<Term> {
        let normalized = normalize(text);
        self.word_spans(&normalized).into_iter().map(|span| span.term(&normalized)).collect()
    }

    /// Where [`Analyzer::words`] finds its terms in `normalized`.
    fn word_spans(&self, normalized: &str) -> Vec<Span> {
        let base = normalized.as_ptr() as usize;
        let mut spans = Vec::new();
        for token in self.jieba.cut_for_search(normalized, true) {
            if !is_searchable(token.word) || token.word.len() > MAX_TERM_BYTES {
                continue;
            }
            // jieba's words are slices of the text it cut.
            let from = token.word.as_ptr() as usize - base;
            push_word_parts(&mut spans, token.word, from, token.start);
            spans.push(Span { from, to: from + token.word.len(), start: token.start, end: token.end });
        }
        spans
    }

    /// Query concepts: the words of a query term in jieba's precise mode,
    /// without question noise (unless nothing else is left).
    pub fn concepts(&self, text: &str) -> Vec<String> {
        let normalized = normalize(text);
        let words: Vec<String> = self
            .jieba
            .cut(&normalized, true)
            .into_iter()
            .map(|t| t.word.trim().to_string())
            .filter(|w| is_searchable(w) && w.len() <= MAX_TERM_BYTES)
            .collect();
        let meaningful: Vec<String> =
            words.iter().filter(|w| !QUERY_STOPWORDS.contains(&w.as_str())).cloned().collect();
        // In a question, single characters (买, 说, 按) are rarely what the law
        // is about; they count only when fewer than two longer words remain,
        // or when the reviewed vocabulary says what they stand for (修 →
        // 修理, 换 → 更换).
        let is_longer = |w: &String| w.chars().count() > 1;
        let enough = meaningful.iter().filter(|w| is_longer(w)).count() >= 2;
        let kept: Vec<String> =
            meaningful.iter().filter(|w| is_longer(w) || !self.synonyms(w).is_empty()).cloned().collect();
        match (enough, meaningful.is_empty()) {
            (true, _) => kept,
            (false, false) => meaningful,
            (false, true) => words,
        }
    }

    /// The parts a concept is made of: the longest search-mode sub-words that
    /// cover it from left to right (七天无理由退货 → 七天, 无理由退货), single
    /// characters left out. Empty when the concept has no smaller words.
    pub fn components(&self, concept: &str) -> Vec<String> {
        let length = concept.chars().count();
        let subwords: Vec<Term> = self.words(concept).into_iter().filter(|t| t.end - t.start < length).collect();
        let mut parts = Vec::new();
        let mut position = 0;
        while position < length {
            let longest = subwords.iter().filter(|t| t.start == position).max_by_key(|t| t.end);
            match longest {
                Some(term) => {
                    // A single character (买 of 买到) is too common to be evidence.
                    if term.end - term.start > 1 {
                        parts.push(term.text.clone());
                    }
                    position = term.end;
                }
                None => position += 1,
            }
        }
        parts
    }
}

/// The abbreviations of an alias line, as dictionary words.
fn alias_words(line: &str) -> Vec<&str> {
    let from = strip_comment(line).split("=>").next().unwrap_or("");
    from.split([',', '，', '、']).map(str::trim).filter(|w| !w.is_empty()).collect()
}

fn strip_comment(line: &str) -> &str {
    line.split('#').next().unwrap_or("").trim()
}

/// Parses expansion rules, one per line: `a, b, c` makes the words stand for
/// each other; `word => x, y` expands `word` to x and y only.
pub fn parse_synonyms(text: &str) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    let list = |s: &str| -> Vec<String> {
        s.split([',', '，', '、']).map(|w| normalize(w.trim())).filter(|w| !w.is_empty()).collect()
    };
    for line in text.lines().map(strip_comment).filter(|l| !l.is_empty()) {
        let pairs: Vec<(String, String)> = match line.split_once("=>") {
            Some((from, to)) => {
                let targets = list(to);
                list(from).into_iter().flat_map(|f| targets.iter().map(move |t| (f.clone(), t.clone()))).collect()
            }
            None => {
                let words = list(line);
                words
                    .iter()
                    .flat_map(|a| words.iter().filter(move |b| *b != a).map(move |b| (a.clone(), b.clone())))
                    .collect()
            }
        };
        for (from, to) in pairs {
            let targets = map.entry(from).or_default();
            if !targets.contains(&to) {
                targets.push(to);
            }
        }
    }
    map
}

/// Latin words and numbers glued to each other (iphone14) are also findable
/// by their letter and digit parts. `from` and `start` are where the word
/// begins, in bytes and characters.
fn push_word_parts(spans: &mut Vec<Span>, word: &str, from: usize, start: usize) {
    if !word.chars().all(is_word_char) {
        return;
    }
    let mut part: Option<(usize, usize, bool)> = None;
    for (chars, (byte, c)) in word.char_indices().enumerate() {
        let digit = c.is_ascii_digit();
        match part {
            Some((_, _, was_digit)) if was_digit == digit => {}
            Some((part_byte, part_char, _)) => {
                spans.push(Span {
                    from: from + part_byte,
                    to: from + byte,
                    start: start + part_char,
                    end: start + chars,
                });
                part = Some((byte, chars, digit));
            }
            None => part = Some((byte, chars, digit)),
        }
    }
    // The last part, unless it is the whole word.
    if let Some((part_byte, part_char, _)) = part.filter(|&(part_byte, _, _)| part_byte > 0) {
        let chars = word.chars().count();
        spans.push(Span {
            from: from + part_byte,
            to: from + word.len(),
            start: start + part_char,
            end: start + chars,
        });
    }
}

fn is_searchable(word: &str) -> bool {
    word.chars().any(|c| is_han(c) || is_word_char(c))
}

/// Character pairs of Han runs (a lone Han character stands for itself) and
/// whole Latin words and numbers, with consecutive positions.
pub fn bigrams(text: &str) -> Vec<Term> {
    let normalized = normalize(text);
    bigram_spans(&normalized).into_iter().map(|span| span.term(&normalized)).collect()
}

/// Where [`bigrams`] finds its terms in `normalized`.
fn bigram_spans(normalized: &str) -> Vec<Span> {
    let chars: Vec<(usize, char)> = normalized.char_indices().chain([(normalized.len(), ' ')]).collect();
    let mut spans = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i + 1 < chars.len() {
        let c = chars[i].1;
        let run_end = |pred: fn(char) -> bool| i + chars[i..].iter().take_while(|&&(_, c)| pred(c)).count();
        let span = |start: usize, end: usize| Span { from: chars[start].0, to: chars[end].0, start, end };
        if is_han(c) {
            let end = run_end(is_han);
            if end - i == 1 {
                spans.push(span(i, end));
            }
            spans.extend((i..end.saturating_sub(1)).map(|start| span(start, start + 2)));
            i = end;
        } else if is_word_char(c) {
            let end = run_end(is_word_char);
            if end - i <= MAX_TERM_BYTES {
                spans.push(span(i, end));
            }
            i = end;
        } else {
            i += 1;
        }
    }
    spans
}

/// Registers both tokenizers on an index. Every index is opened through this.
pub fn register(index: &Index, analyzer: &Analyzer) {
    index.tokenizers().register(WORDS, TextAnalyzer::from(WordsTokenizer(analyzer.clone())));
    index.tokenizers().register(BIGRAMS, TextAnalyzer::from(BigramTokenizer));
}

#[derive(Clone)]
struct WordsTokenizer(Analyzer);

#[derive(Clone)]
struct BigramTokenizer;

impl Tokenizer for WordsTokenizer {
    type TokenStream<'a> = TermStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> TermStream {
        let normalized = normalize(text);
        let spans = self.0.word_spans(&normalized);
        TermStream::new(text, normalized, spans, false)
    }
}

impl Tokenizer for BigramTokenizer {
    type TokenStream<'a> = TermStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> TermStream {
        let normalized = normalize(text);
        let spans = bigram_spans(&normalized);
        TermStream::new(text, normalized, spans, true)
    }
}

/// Where a term is: bytes in the normalised text, characters in both the
/// normalised and the original text (normalising maps character to character).
#[derive(Debug, Clone, Copy)]
struct Span {
    from: usize,
    to: usize,
    start: usize,
    end: usize,
}

impl Span {
    fn term(self, normalized: &str) -> Term {
        Term { text: normalized[self.from..self.to].to_string(), start: self.start, end: self.end }
    }
}

/// Terms as a tantivy token stream, without an allocation per term.
/// Offsets are bytes of the original text. Word positions are character
/// offsets (overlapping words share them); bigram positions count pairs, so
/// phrase queries over pairs work.
struct TermStream {
    normalized: String,
    spans: std::vec::IntoIter<Span>,
    /// Byte offset of each character of the original text, when normalising
    /// changed the width of some character; otherwise the normalised text's
    /// byte offsets are the original's.
    byte_offsets: Option<Vec<usize>>,
    sequential: bool,
    ordinal: usize,
    token: Token,
}

impl TermStream {
    fn new(text: &str, normalized: String, spans: Vec<Span>, sequential: bool) -> TermStream {
        let same_widths = text.len() == normalized.len()
            && text.chars().zip(normalized.chars()).all(|(a, b)| a.len_utf8() == b.len_utf8());
        let byte_offsets = (!same_widths).then(|| text.char_indices().map(|(b, _)| b).chain([text.len()]).collect());
        TermStream {
            normalized,
            spans: spans.into_iter(),
            byte_offsets,
            sequential,
            ordinal: 0,
            token: Token::default(),
        }
    }
}

impl TokenStream for TermStream {
    fn advance(&mut self) -> bool {
        let Some(span) = self.spans.next() else { return false };
        let token = &mut self.token;
        token.text.clear();
        token.text.push_str(&self.normalized[span.from..span.to]);
        (token.offset_from, token.offset_to) = match &self.byte_offsets {
            Some(offsets) => (offsets[span.start], offsets[span.end]),
            None => (span.from, span.to),
        };
        (token.position, token.position_length) =
            if self.sequential { (self.ordinal, 1) } else { (span.start, span.end - span.start) };
        self.ordinal += 1;
        true
    }
    fn token(&self) -> &Token {
        &self.token
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(terms: &[Term]) -> Vec<&str> {
        terms.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn search_mode_words_overlap_and_are_normalised() {
        let analyzer = Analyzer::new(&Lexicon::default());
        let words = analyzer.words("中华人民共和国，ＩＰｈｏｎｅ");
        let texts = texts(&words);
        for expected in ["中华", "华人", "人民", "共和国", "中华人民共和国", "iphone"] {
            assert!(texts.contains(&expected), "{expected} missing from {texts:?}");
        }
        assert!(!texts.contains(&"，"), "punctuation is not a term: {texts:?}");
    }

    #[test]
    fn latin_and_digits_are_findable_apart() {
        let analyzer = Analyzer::new(&Lexicon::default());
        let texts: Vec<String> = analyzer.words("iphone14手机").into_iter().map(|t| t.text).collect();
        for expected in ["iphone14", "iphone", "14", "手机"] {
            assert!(texts.iter().any(|t| t == expected), "{expected} missing from {texts:?}");
        }
    }

    #[test]
    fn the_dictionary_keeps_domain_words_whole() {
        let plain = Analyzer::new(&Lexicon::default());
        let domain = Analyzer::new(&Lexicon {
            dictionary: "# comment\n惩罚性赔偿\n七天无理由退货 100 n\n".into(),
            ..Lexicon::default()
        });
        assert!(!plain.concepts("惩罚性赔偿").contains(&"惩罚性赔偿".to_string()));
        assert_eq!(domain.concepts("惩罚性赔偿"), vec!["惩罚性赔偿"]);
        assert_eq!(domain.concepts("七天无理由退货"), vec!["七天无理由退货"]);
        assert!(domain.components("七天无理由退货").len() >= 2);
    }

    #[test]
    fn question_noise_is_dropped_unless_nothing_is_left() {
        let analyzer = Analyzer::new(&Lexicon::default());
        let concepts = analyzer.concepts("我的衣服能退吗");
        assert!(concepts.contains(&"衣服".to_string()), "{concepts:?}");
        assert!(!concepts.contains(&"吗".to_string()) && !concepts.contains(&"我".to_string()), "{concepts:?}");
        assert_eq!(analyzer.concepts("的"), vec!["的"]);
        let concepts = analyzer.concepts("我在网店买的衣服能退吗");
        assert!(concepts.contains(&"网店".to_string()) && concepts.contains(&"衣服".to_string()), "{concepts:?}");
        assert!(!concepts.contains(&"买".to_string()) && !concepts.contains(&"退".to_string()), "{concepts:?}");
        assert_eq!(analyzer.concepts("退货 赔"), ["退货", "赔"], "single characters count when few words remain");
        // ... or when the vocabulary says what they stand for.
        let explained = Analyzer::new(&Lexicon { synonyms: "退 => 退货, 退款\n".into(), ..Lexicon::default() });
        let concepts = explained.concepts("我在网店买的衣服能退吗");
        assert!(concepts.contains(&"退".to_string()) && !concepts.contains(&"买".to_string()), "{concepts:?}");
    }

    #[test]
    fn synonym_rules_one_way_and_both_ways() {
        let analyzer = Analyzer::new(&Lexicon {
            synonyms: "# c\n七天, 七日，7天\n退钱 => 退款、退还\n".into(),
            ..Lexicon::default()
        });
        assert_eq!(analyzer.synonyms("七天"), ["七日", "7天"]);
        assert_eq!(analyzer.synonyms("七日"), ["七天", "7天"]);
        assert_eq!(analyzer.synonyms("退钱"), ["退款", "退还"]);
        assert!(analyzer.synonyms("退款").is_empty());
    }

    #[test]
    fn aliases_name_laws_and_expand_queries() {
        let analyzer = Analyzer::new(&Lexicon {
            aliases: "消保法, 消法 => 消费者权益保护法".into(),
            ..Lexicon::default()
        });
        assert_eq!(analyzer.law_title("消保法"), "消费者权益保护法");
        assert_eq!(analyzer.law_title("民法典"), "民法典");
        assert_eq!(analyzer.law_title("消保法实施细则"), "消费者权益保护法实施细则");
        assert_eq!(analyzer.law_title("实施条例"), "实施条例");
        assert_eq!(analyzer.synonyms("消法"), ["消费者权益保护法"]);
        assert_eq!(analyzer.concepts("消保法"), ["消保法"], "abbreviations stay whole");
    }

    #[test]
    fn bigrams_cover_every_fragment() {
        assert_eq!(texts(&bigrams("测试工具箱")), vec!["测试", "试工", "工具", "具箱"]);
        assert_eq!(texts(&bigrams("拨打12315热线，找")), vec!["拨打", "12315", "热线", "找"]);
        assert_eq!(texts(&bigrams("ＡＢ")), vec!["ab"]);
    }

    #[test]
    fn token_offsets_point_into_the_original_text() {
        let analyzer = Analyzer::new(&Lexicon::default());
        let mut words = WordsTokenizer(analyzer);
        let mut grams = BigramTokenizer;
        // Plain text, and text whose full-width letters narrow when normalised.
        for text in ["消费者权益保护法第五十五条iphone14", "ＩＰｈｏｎｅ１４手機，退貨"] {
            let mut seen = 0;
            let mut check = |token: &Token| {
                assert_eq!(normalize(&text[token.offset_from..token.offset_to]), token.text, "{text}");
                seen += 1;
            };
            words.token_stream(text).process(&mut check);
            grams.token_stream(text).process(&mut check);
            assert!(seen > 6, "{text}: {seen} tokens");
        }
    }
}
