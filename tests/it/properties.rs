//! Properties that must hold for any input (proptest): numerals round-trip,
//! article splitting keeps every line exactly once, snippets are well-formed
//! HTML whose only tags are `<mark>`.

use proptest::prelude::*;
use weiquan::content::articles::split_law;
use weiquan::search::snippet::snippet;
use weiquan::text::numerals;

proptest! {
    #[test]
    fn chinese_numerals_round_trip(n in 1..=numerals::MAX) {
        let written = numerals::format(n).unwrap();
        prop_assert_eq!(numerals::parse(&written), Some(n), "{}", written);
        prop_assert_eq!(numerals::parse(&n.to_string()), Some(n));
    }

    #[test]
    fn numerals_outside_the_range_are_refused(n in (numerals::MAX + 1)..u32::MAX) {
        prop_assert_eq!(numerals::format(n), None);
        prop_assert_eq!(numerals::parse(&n.to_string()), None);
    }

    #[test]
    fn any_string_parses_without_panicking(text in "\\PC{0,12}") {
        let _ = numerals::parse(&text);
    }

    #[test]
    fn splitting_a_law_loses_and_repeats_no_line(lines in prop::collection::vec(law_line(), 0..60)) {
        let body = lines.join("\n");
        let units = split_law(&body, &[]);
        let kept: String = units.iter().map(|u| u.text.replace('\n', "")).collect();
        let original: String =
            body.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
        prop_assert_eq!(kept, original);
    }

    #[test]
    fn snippets_are_escaped_text_with_mark_tags_only(
        text in "[预付卡退款<>&\"' a-z\n第一条。]{0,400}",
        terms in prop::collection::vec("[预付卡退款<>&a-z]{0,4}", 0..4),
    ) {
        let html = snippet(&text, &terms);
        let mut open = false;
        let mut rest = html.as_str();
        while let Some(at) = rest.find('<') {
            let tag = if rest[at..].starts_with("<mark>") { "<mark>" } else { "</mark>" };
            prop_assert!(rest[at..].starts_with(tag), "stray `<` in {}", html);
            prop_assert_eq!(open, tag == "</mark>", "unbalanced marks in {}", html);
            open = !open;
            prop_assert!(!rest[..at].contains('>'), "stray `>` in {}", html);
            rest = &rest[at + tag.len()..];
        }
        prop_assert!(!open, "unclosed mark in {}", html);
        prop_assert!(!rest.contains('>'), "stray `>` in {}", html);
        let entities = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"];
        for (i, _) in html.match_indices('&') {
            prop_assert!(entities.iter().any(|e| html[i..].starts_with(e)), "bare `&` in {}", html);
        }
    }
}

/// A line of a law in Markdown: headings, article starts, plain text and
/// blank lines, with stray spaces.
fn law_line() -> impl Strategy<Value = String> {
    prop_oneof![
        (1..4usize, "[第一二三章节编总则附]{1,8}").prop_map(|(depth, title)| format!("{} {title}", "#".repeat(depth))),
        (1..=300u32, "[经营者消费者应当退款。，]{0,30}")
            .prop_map(|(n, text)| format!("第{}条 {text}", numerals::format(n).unwrap())),
        "[ 　]{0,2}[经营者消费者应当退款第条之。，]{1,40}[ ]{0,2}",
        Just(String::new()),
    ]
}
