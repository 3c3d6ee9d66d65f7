//! Stage 3 of the pipeline: Markdown to safe HTML and to plain text.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES
}

/// Renders Markdown to HTML. Raw HTML in the content passes through ammonia,
/// so scripts, event handlers and `javascript:` links never reach a page.
pub fn to_html(markdown: &str) -> String {
    to_html_with(markdown, &mut |text, _| crate::text::escape_html(text))
}

/// Like [`to_html`], with `text_html` turning each run of plain text (outside
/// code) into HTML, e.g. to link citations. Its second argument says whether
/// the run is prose: `false` inside headings, links and images. The result is
/// sanitised too; links may carry the class `term`, an `id` and a `data-tip`
/// (the glossary's marks, see [`super::render`]). Each second-level heading
/// gets the `id` of its [`Section`], so a link can lead to it.
pub fn to_html_with(markdown: &str, text_html: &mut dyn FnMut(&str, bool) -> String) -> String {
    let mut in_code = false;
    let mut not_prose = 0usize;
    let mut anchors = sections(markdown).into_iter().filter_map(|section| section.anchor);
    let events = Parser::new_ext(markdown, options()).map(|event| match event {
        Event::Start(Tag::Heading { level: HeadingLevel::H2, id: _, classes, attrs }) => {
            not_prose += 1;
            Event::Start(Tag::Heading { level: HeadingLevel::H2, id: anchors.next().map(Into::into), classes, attrs })
        }
        Event::Start(Tag::CodeBlock(_)) => {
            in_code = true;
            event
        }
        Event::End(TagEnd::CodeBlock) => {
            in_code = false;
            event
        }
        Event::Start(Tag::Heading { .. } | Tag::Link { .. } | Tag::Image { .. }) => {
            not_prose += 1;
            event
        }
        Event::End(TagEnd::Heading(_) | TagEnd::Link | TagEnd::Image) => {
            not_prose = not_prose.saturating_sub(1);
            event
        }
        Event::Text(text) if !in_code => Event::InlineHtml(text_html(&text, not_prose == 0).into()),
        other => other,
    });
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, events);
    SANITIZER.clean(&unsafe_html).to_string()
}

/// ammonia's defaults, the attributes of the glossary's marks and the
/// sections' anchors.
static SANITIZER: std::sync::LazyLock<ammonia::Builder<'static>> = std::sync::LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder.add_allowed_classes("a", ["term"]).add_tag_attributes("a", ["id", "data-tip"]);
    builder.add_tag_attributes("h2", ["id"]);
    builder
});

/// A part of a Markdown text: what stands under one second-level heading
/// (`## `), the heading included, or what comes before the first one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section<'a> {
    /// The `id` of its heading on the page: the heading's text, spaces as
    /// `-`, numbered from the second on when two headings read the same;
    /// `None` for the text before the first heading.
    pub anchor: Option<String>,
    /// Its Markdown source.
    pub text: &'a str,
}

/// The sections of a Markdown text, in order, the blank ones left out. A
/// `## ` inside a code block starts none.
pub fn sections(markdown: &str) -> Vec<Section<'_>> {
    let mut starts: Vec<(usize, Option<String>)> = vec![(0, None)];
    let mut heading: Option<(usize, String)> = None;
    let mut seen: Vec<String> = Vec::new();
    for (event, range) in Parser::new_ext(markdown, options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level: HeadingLevel::H2, .. }) => heading = Some((range.start, String::new())),
            Event::Text(text) | Event::Code(text) => {
                if let Some((_, words)) = heading.as_mut() {
                    words.push_str(&text);
                }
            }
            Event::End(TagEnd::Heading(HeadingLevel::H2)) => {
                if let Some((start, words)) = heading.take() {
                    let base: String = words.split_whitespace().collect::<Vec<_>>().join("-");
                    let base = if base.is_empty() { "节".to_string() } else { base };
                    let repeats = seen.iter().filter(|anchor| **anchor == base).count();
                    seen.push(base.clone());
                    let anchor = if repeats == 0 { base } else { format!("{base}-{}", repeats + 1) };
                    starts.push((start, Some(anchor)));
                }
            }
            _ => {}
        }
    }
    let ends = starts.iter().skip(1).map(|(start, _)| *start).chain([markdown.len()]);
    starts
        .iter()
        .zip(ends)
        .map(|((start, anchor), end)| Section { anchor: anchor.clone(), text: &markdown[*start..end] })
        .filter(|section| !section.text.trim().is_empty())
        .collect()
}

/// The readable text of Markdown, one line per block, without markup and
/// without raw HTML. This is what gets indexed for non-law documents.
pub fn to_plain_text(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push('\n'),
            Event::Start(Tag::Item) if !text.is_empty() && !text.ends_with('\n') => text.push('\n'),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableRow
                | TagEnd::TableHead
                | TagEnd::CodeBlock
                | TagEnd::BlockQuote(_),
            ) if !text.ends_with('\n') => text.push('\n'),
            Event::End(TagEnd::TableCell) => text.push(' '),
            _ => {}
        }
    }
    text.trim_end().to_string()
}

/// Removes HTML comments (`<!-- ... -->`), which are layout hints, not
/// content. Newlines inside a comment are kept so line numbers stay true.
/// An unclosed comment runs to the end of the text.
pub fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 4..];
        let (comment, next) = match after.find("-->") {
            Some(end) => (&after[..end], &after[end + 3..]),
            None => (after, ""),
        };
        out.extend(comment.chars().filter(|&c| c == '\n'));
        rest = next;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_sanitized() {
        let html =
            to_html("**消费者**<script>alert(1)</script>\n\n[链接](javascript:alert(1)) <img src=x onerror=alert(1)>");
        assert!(html.contains("<strong>消费者</strong>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
    }

    #[test]
    fn text_runs_know_whether_they_are_prose() {
        let mut runs = Vec::new();
        to_html_with(
            "## 标题\n\n正文[链接](https://x)![图](y.png)`代码`正文\n\n```\n代码块\n```",
            &mut |text, prose| {
                runs.push((text.to_string(), prose));
                text.to_string()
            },
        );
        let expected = [("标题", false), ("正文", true), ("链接", false), ("图", false), ("正文", true)];
        assert_eq!(runs, expected.map(|(t, p)| (t.to_string(), p)));
        let html = to_html_with("x", &mut |_, _| {
            "<a class=\"term other\" id=\"t1\" data-tip=\"说明\" href=\"#t\" onclick=\"x()\">词</a>".into()
        });
        assert!(
            html.contains("class=\"term\"") && html.contains("id=\"t1\"") && html.contains("data-tip=\"说明\""),
            "{html}"
        );
        assert!(!html.contains("onclick") && !html.contains("other"), "{html}");
    }

    #[test]
    fn sections_split_at_second_level_headings_which_get_their_anchors() {
        let text = "引言\n\n## 怎么 退货\n\n正文\n\n### 小节\n\n```\n## 代码里\n```\n\n## 怎么 退货\n\n再说\n\n## `代码`标题\n";
        let sections = sections(text);
        let anchors: Vec<Option<&str>> = sections.iter().map(|s| s.anchor.as_deref()).collect();
        assert_eq!(anchors, [None, Some("怎么-退货"), Some("怎么-退货-2"), Some("代码标题")]);
        assert_eq!(sections[0].text, "引言\n\n");
        assert!(sections[1].text.starts_with("## 怎么 退货") && sections[1].text.contains("## 代码里"));
        assert_eq!(sections.iter().map(|s| s.text).collect::<String>(), text, "the sections cover the text");
        assert!(super::sections("## 只有标题\n")[0].anchor.is_some());

        let html = to_html(text);
        for anchor in ["怎么-退货", "怎么-退货-2", "代码标题"] {
            assert!(html.contains(&format!("<h2 id=\"{anchor}\">")), "{html}");
        }
        assert!(!html.contains("<h3 id"), "{html}");
    }

    #[test]
    fn plain_text_drops_markup_and_raw_html() {
        let text = to_plain_text("## 标题\n\n- 第一项 **重点**\n- 第二项\n\n<div>隐藏</div>\n\n段落[链接](https://x)");
        assert_eq!(text, "标题\n第一项 重点\n第二项\n段落链接");
    }

    #[test]
    fn comments_are_removed_but_lines_kept() {
        assert_eq!(strip_comments("a<!-- x\ny -->b\n<!-- FORCE BREAK -->\nc"), "a\nb\n\nc");
        assert_eq!(strip_comments("a<!-- never closed"), "a");
    }
}
