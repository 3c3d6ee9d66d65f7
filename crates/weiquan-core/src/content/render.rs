//! A document as a page: safe HTML and a table of contents. Laws render from
//! their units, so every article gets an anchor (`id="第二十五条"`).

use serde::Serialize;

use super::citations::{self, CitedLaw};
use super::glossary::{Glossary, Marker};
use super::markdown;
use super::model::{Document, Kind};
use crate::text::escape_html as escape;

/// One line of a law's table of contents: a heading (编, 章, 节) or an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[allow(missing_docs, reason = "doc comments here would change /api/openapi.json (tests/it/snapshots)")]
pub struct TocEntry {
    /// 1 for the outermost heading, deeper headings count up; articles sit
    /// one below their heading.
    pub depth: usize,
    pub label: String,
    pub anchor: String,
    pub is_article: bool,
}

/// A rendered document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Safe HTML of the body.
    pub html: String,
    /// The table of contents of a law with articles; empty for other documents.
    pub toc: Vec<TocEntry>,
}

/// Renders a document. Everything from content is escaped or sanitised.
/// Citations of articles become links to `cite(law, article)`; `is_law`
/// says which names written without 《》 are laws. In guides, warnings and
/// cases the first use of each `glossary` term in the prose is marked and
/// its definition listed under 术语解释 at the end.
pub fn render(
    document: &Document,
    is_law: &dyn Fn(&str) -> bool,
    cite: &dyn Fn(&CitedLaw, u32) -> String,
    glossary: &Glossary,
) -> Rendered {
    if document.kind != Kind::Law {
        let mut marker = glossary.marker();
        let mut text_html = |text: &str, prose: bool| {
            let mark = &mut |plain: &str| if prose { mark_terms(plain, &mut marker) } else { escape(plain) };
            link_citations_with(text, is_law, cite, mark)
        };
        let mut html = markdown::to_html_with(&document.body, &mut text_html);
        html.push_str(&glossary_list(&marker, is_law, cite));
        return Rendered { html, toc: Vec::new() };
    }
    let linked = |text: &str| link_citations(text, is_law, cite);
    if document.units.iter().all(|u| u.article.is_none()) {
        return Rendered { html: markdown::to_html_with(&document.body, &mut |text, _| linked(text)), toc: Vec::new() };
    }
    let mut html = String::new();
    let mut toc = Vec::new();
    let mut open_path: Vec<String> = Vec::new();
    for unit in &document.units {
        let shared = open_path.iter().zip(&unit.chapter).take_while(|(a, b)| a == b).count();
        for (depth, heading) in unit.chapter.iter().enumerate().skip(shared) {
            let anchor = format!("h{}", toc.len() + 1);
            let level = (depth + 2).min(6);
            html.push_str(&format!("<h{level} id=\"{anchor}\">{}</h{level}>\n", escape(heading)));
            toc.push(TocEntry { depth: depth + 1, label: heading.clone(), anchor, is_article: false });
        }
        open_path = unit.chapter.clone();
        match (&unit.article, &unit.anchor) {
            (Some(article), Some(anchor)) => {
                html.push_str(&format!("<section class=\"article\" id=\"{}\">", escape(anchor)));
                for (i, paragraph) in unit.text.lines().enumerate() {
                    let text =
                        if i == 0 { paragraph.strip_prefix(&article.label).unwrap_or(paragraph) } else { paragraph };
                    let label = if i == 0 {
                        format!("<strong class=\"article-label\">{}</strong>", escape(&article.label))
                    } else {
                        String::new()
                    };
                    html.push_str(&format!("<p>{label}{}</p>", linked(text)));
                }
                html.push_str("</section>\n");
                toc.push(TocEntry {
                    depth: unit.chapter.len() + 1,
                    label: article.label.clone(),
                    anchor: anchor.clone(),
                    is_article: true,
                });
            }
            _ => {
                for paragraph in unit.text.lines() {
                    html.push_str(&format!("<p>{}</p>\n", linked(paragraph)));
                }
            }
        }
    }
    Rendered { html, toc }
}

/// `text` as HTML with each citation a link to its first article.
pub fn link_citations(text: &str, is_law: &dyn Fn(&str) -> bool, cite: &dyn Fn(&CitedLaw, u32) -> String) -> String {
    link_citations_with(text, is_law, cite, &mut |plain| escape(plain))
}

/// [`link_citations`], with `plain` turning the text between citations into HTML.
fn link_citations_with(
    text: &str,
    is_law: &dyn Fn(&str) -> bool,
    cite: &dyn Fn(&CitedLaw, u32) -> String,
    plain: &mut dyn FnMut(&str) -> String,
) -> String {
    let mut html = String::with_capacity(text.len() + 64);
    let mut position = 0;
    for citation in citations::extract(text, is_law) {
        html.push_str(&plain(&text[position..citation.start]));
        let href = cite(&citation.law, citation.articles[0]);
        html.push_str(&format!("<a href=\"{}\">{}</a>", escape(&href), escape(&text[citation.start..citation.end])));
        position = citation.end;
    }
    html.push_str(&plain(&text[position..]));
    html
}

/// `text` as HTML with the glossary terms not marked before as links to
/// their definitions (`#term-N`), carrying the definition for a tooltip.
fn mark_terms(text: &str, marker: &mut Marker) -> String {
    let mut html = String::with_capacity(text.len() + 64);
    let mut position = 0;
    for mark in marker.mark(text) {
        let entry = &marker.glossary().entries[mark.entry];
        html.push_str(&escape(&text[position..mark.start]));
        html.push_str(&format!(
            "<a class=\"term\" id=\"term-{n}-ref\" href=\"#term-{n}\" data-tip=\"{tip}\">{term}</a>",
            n = mark.number,
            tip = escape(&entry.definition),
            term = escape(&text[mark.start..mark.end]),
        ));
        position = mark.end;
    }
    html.push_str(&escape(&text[position..]));
    html
}

/// The 术语解释 list of the terms marked in a document, in the order of
/// their first use, each with its basis linked and a way back to the text.
fn glossary_list(marker: &Marker, is_law: &dyn Fn(&str) -> bool, cite: &dyn Fn(&CitedLaw, u32) -> String) -> String {
    let mut html = String::new();
    for (i, entry) in marker.marked().enumerate() {
        let n = i + 1;
        let basis = entry.basis.as_deref().map_or(String::new(), |basis| {
            format!("<span class=\"basis\">依据：{}</span>", link_citations(basis, is_law, cite))
        });
        html.push_str(&format!(
            "<dt id=\"term-{n}\">{}</dt><dd>{}{basis}<a class=\"back\" href=\"#term-{n}-ref\">回到正文</a></dd>",
            escape(&entry.term),
            escape(&entry.definition),
        ));
    }
    if html.is_empty() {
        return html;
    }
    format!(
        "<section class=\"glossary\" aria-labelledby=\"glossary-title\"><h2 id=\"glossary-title\">术语解释</h2><dl>{html}</dl></section>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{FrontMatter, articles::split_law};

    fn render_plain(document: &Document) -> Rendered {
        render(
            document,
            &|name| name == "刑法",
            &|law, article| format!("/cite/{law:?}/{article}"),
            &Glossary::default(),
        )
    }

    #[test]
    fn citations_become_links() {
        let html = link_citations(
            "依照本法第五十五条和《价格法》第十四条<处理>，构成犯罪的依照刑法第一百四十条",
            &|name| name == "刑法",
            &|law, article| match law {
                CitedLaw::This => format!("#第{article}"),
                CitedLaw::Named(name) => format!("/search?q={name}&a={article}"),
            },
        );
        assert_eq!(
            html,
            "依照<a href=\"#第55\">本法第五十五条</a>和<a href=\"/search?q=价格法&amp;a=14\">《价格法》第十四条</a>&lt;处理&gt;，\
             构成犯罪的依照<a href=\"/search?q=刑法&amp;a=140\">刑法第一百四十条</a>"
        );
        let mut doc = law("见《价格法》第十四条。");
        doc.kind = Kind::Guide;
        assert!(
            render_plain(&doc).html.contains("<a href=\"/cite/Named(&quot;价格法&quot;)/14\""),
            "{}",
            render_plain(&doc).html
        );
    }

    fn law(body: &str) -> Document {
        Document {
            id: "laws/x".into(),
            path: "x.md".into(),
            kind: Kind::Law,
            meta: FrontMatter { title: "某法".into(), ..FrontMatter::default() },
            part: None,
            history: Vec::new(),
            body: body.into(),
            units: split_law(body, &[]),
        }
    }

    #[test]
    fn laws_get_headings_article_anchors_and_a_toc() {
        let rendered = render_plain(&law(
            "## 第一章 总则\n\n第一条 <b>保护</b>消费者。\n\n第二条 适用。\n第二款。\n\n## 第二章 附则\n\n第三条 施行。",
        ));
        assert!(rendered.html.contains("<h2 id=\"h1\">第一章 总则</h2>"), "{}", rendered.html);
        assert!(rendered.html.contains("<section class=\"article\" id=\"第一条\"><p><strong class=\"article-label\">第一条</strong> &lt;b&gt;保护&lt;/b&gt;消费者。</p></section>"), "{}", rendered.html);
        assert!(rendered.html.contains("<p>第二款。</p>"), "{}", rendered.html);
        let labels: Vec<_> = rendered.toc.iter().map(|e| (e.depth, e.label.as_str(), e.is_article)).collect();
        assert_eq!(
            labels,
            [
                (1, "第一章 总则", false),
                (2, "第一条", true),
                (2, "第二条", true),
                (1, "第二章 附则", false),
                (2, "第三条", true)
            ]
        );
    }

    #[test]
    fn glossary_terms_are_marked_once_outside_headings_links_and_citations() {
        let mut glossary = Glossary::default();
        let file = "[[entry]]\nterm = \"格式条款\"\ndefinition = \"事先写好的条款<注意>。\"\nbasis = \"《价格法》第十四条\"\n\n\
                    [[entry]]\nterm = \"价格\"\ndefinition = \"商品的价钱。\"\n\n\
                    [[entry]]\nterm = \"仲裁\"\ndefinition = \"交给仲裁委员会裁决。\"\n";
        assert!(glossary.add_file(std::path::Path::new("glossary.toml"), file).is_empty());
        let mut doc = law("## 格式条款是什么\n\n见[格式条款](https://x)和《价格法》第十四条。\n\n\
                           商家的格式条款无效，格式条款不能排除权利；价格要明码标出。\n\n`仲裁`");
        doc.kind = Kind::Guide;
        let cite = |_: &CitedLaw, article: u32| format!("/cite/{article}");
        let html = render(&doc, &|_| false, &cite, &glossary).html;
        assert!(html.contains("<h2 id=\"格式条款是什么\">格式条款是什么</h2>"), "not in headings: {html}");
        assert!(
            html.contains(">格式条款</a>和<a href=\"/cite/14\" rel=\"noopener noreferrer\">《价格法》第十四条</a>"),
            "not in links or citations: {html}"
        );
        let marked = "商家的<a class=\"term\" id=\"term-1-ref\" href=\"#term-1\" data-tip=\"事先写好的条款&lt;注意&gt;。\" rel=\"noopener noreferrer\">格式条款</a>无效，格式条款不能";
        assert!(html.contains(marked), "the first use in prose, once: {html}");
        assert!(html.contains("权利；<a class=\"term\" id=\"term-2-ref\" href=\"#term-2\""), "{html}");
        assert!(html.contains("<code>仲裁</code>") && !html.contains("term-3"), "not in code: {html}");
        let list = &html[html.find("<section class=\"glossary\"").expect("a 术语解释 list")..];
        assert!(list.contains("<h2 id=\"glossary-title\">术语解释</h2>"), "{list}");
        assert!(list.contains("<dt id=\"term-1\">格式条款</dt><dd>事先写好的条款&lt;注意&gt;。<span class=\"basis\">依据：<a href=\"/cite/14\">《价格法》第十四条</a></span><a class=\"back\" href=\"#term-1-ref\">回到正文</a></dd>"), "{list}");
        assert!(list.contains("<dt id=\"term-2\">价格</dt>") && !list.contains("仲裁"), "{list}");

        doc.kind = Kind::Law;
        assert!(!render(&doc, &|_| false, &cite, &glossary).html.contains("term"), "law texts are not marked");
    }

    #[test]
    fn other_documents_render_sanitised_markdown() {
        let mut doc = law("**注意**<script>x</script>");
        doc.kind = Kind::Warning;
        let rendered = render_plain(&doc);
        assert!(rendered.html.contains("<strong>注意</strong>") && !rendered.html.contains("<script"));
        assert!(rendered.toc.is_empty());
    }
}
