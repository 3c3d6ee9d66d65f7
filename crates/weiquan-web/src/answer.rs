//! The answer block the results page opens with (先看这里): what to do,
//! the law behind it and a case, in large plain text above the ranked list.

use maud::{Markup, html};

use super::{doc_url, insights};
use weiquan_core::content::Status;
use weiquan_core::search::SearchHit;
use weiquan_core::search::answer::Answer;

/// The answer, for the top of the results page. A link to a part that is
/// also on the results page (`hits`) counts as opening that result for
/// staff insights (`search_ref`), as the result's own link would.
pub(super) fn answer_block(answer: &Answer, hits: &[SearchHit], search_ref: Option<&str>) -> Markup {
    let link = |id: &str, anchor: Option<&str>| {
        let url = doc_url(id, anchor);
        match hits.iter().position(|hit| hit.id == id && hit.anchor.as_deref() == anchor) {
            Some(i) => insights::tracked(&url, search_ref, i + 1),
            None => url,
        }
    };
    html! {
        section.answer aria-labelledby="answer-title" {
            h2 #answer-title { "先看这里" }
            @if let Some(document) = &answer.document {
                div.answer-lead {
                    h3 { span.badge { (document.kind.label()) } " " a href=(link(&document.id, None)) { (document.title) } }
                    p { (document.summary) }
                }
            }
            @if !answer.articles.is_empty() {
                h3 { @if answer.document.is_some() { "法律依据" } @else { "法律规定" } }
                ul.answer-articles {
                    @for article in &answer.articles {
                        li {
                            h4 {
                                a href=(link(&article.id, Some(&article.anchor))) { "《" (article.title) "》" (article.article) }
                                @if let Some(status) = article.status.filter(|s| *s != Status::Current) {
                                    " " span.badge { (status.label()) }
                                }
                            }
                            p.article-text { (article.text) }
                        }
                    }
                }
            }
            @if let Some(case) = &answer.case {
                h3 { "类似案例" }
                p.answer-case { a href=(link(&case.id, None)) { (case.title) } }
                p { (case.summary) }
            }
            p.answer-more { "下面是全部搜索结果。" }
        }
    }
}
