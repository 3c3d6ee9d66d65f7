//! HTML of the website (maud: compile-checked, escaped by default). Only
//! snippets and rendered documents, which the engine already made safe, are
//! inserted as HTML.

use chrono::NaiveDate;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::Assets;
use weiquan_core::content::{Kind, Severity};

/// Category tiles on the home page: label and the query they run.
pub(crate) const CATEGORIES: &[(&str, &str)] = &[
    ("网购", "网购 退货"),
    ("预付卡", "预付卡"),
    ("食品安全", "食品安全"),
    ("家电维修", "家电 维修"),
    ("旅游", "旅游"),
    ("医美", "医疗美容"),
    ("教育培训", "培训 退费"),
    ("汽车", "汽车"),
    ("装修", "装修"),
    ("个人信息", "个人信息"),
];

/// Per-page settings of the layout.
pub(crate) struct Page<'a> {
    pub title: &'a str,
    pub large_text: bool,
    /// Where the large-text switch returns to.
    pub path: &'a str,
    /// Put a search box above the content (pages that have none of their own).
    pub search_box: bool,
    pub assets: &'a Assets,
}

/// A date as pages show it (2024-03-15), or `otherwise` when there is none.
pub(crate) fn date_or(date: Option<NaiveDate>, otherwise: &str) -> String {
    date.map_or_else(|| otherwise.to_string(), |date| date.to_string())
}

/// Percent-encodes a query-string value.
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

pub(crate) fn search_form(query: &str, autofocus: bool) -> Markup {
    html! {
        form.search role="search" action="/search" method="get" {
            label for="q" { "搜索法律条文、案例、消费警示和维权指南" }
            div.search-row {
                input #q type="search" name="q" value=(query) autocomplete="off" placeholder="例如：网购衣服不想要了能退吗"
                    aria-describedby="q-hint" autofocus[autofocus] maxlength="200";
                button type="submit" { "搜索" }
            }
            p #q-hint .hint { "可以用日常说法提问；加引号搜索整句，词前加减号排除。" }
            ul #suggestions .suggestions role="listbox" aria-label="搜索建议" hidden {}
        }
    }
}

pub(crate) fn layout(page: &Page, main: Markup) -> Markup {
    let toggle = if page.large_text { ("0", "标准字号") } else { ("1", "大字模式") };
    html! {
        (DOCTYPE)
        html lang="zh-CN" class=[page.large_text.then_some("large-text")] {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (page.title) " - 消费维权知识库" }
                link rel="stylesheet" href=(page.assets.url("style.css"));
                link rel="alternate" type="application/atom+xml" title="消费警示" href="/feed.xml";
                script src=(page.assets.url("app.js")) defer {}
            }
            body {
                a.skip href="#main" { "跳到正文" }
                header.site {
                    div.wrap {
                        a.brand href="/" { "消费维权知识库" }
                        nav aria-label="主导航" {
                            a href="/" { "首页" }
                            a href="/warnings" { "消费警示" }
                            a href="/about" { "关于" }
                            a.toggle #large-text href={ "/prefs?large=" (toggle.0) "&back=" (encode(page.path)) } { (toggle.1) }
                        }
                    }
                }
                main #main tabindex="-1" {
                    div.wrap {
                        @if page.search_box { (search_form("", false)) }
                        (main)
                    }
                }
                footer.site {
                    div.wrap {
                        p { "遇到消费纠纷，可拨打 " a href="tel:12315" { strong { "12315" } } " 热线，或登录" a href=(PLATFORM_12315) rel="noopener" { "全国12315平台" } "投诉举报。" }
                        p.small { "本站法律文本仅供参考，以国家机关正式公布的文本为准。" }
                    }
                }
            }
        }
    }
}

/// How a result names its document: a law's title in 《》, as law titles
/// are written; a guide's, warning's or case's title as it is.
pub(crate) fn display_title(kind: Kind, title: &str) -> String {
    if kind == Kind::Law { format!("《{title}》") } else { title.to_string() }
}

/// Where to complain, as something to act on: a 拨打12315 button that
/// dials on a phone, the national 12315 platform, and the channels the
/// document itself names (its `channels`). `compact` is the one-line form
/// for the results page.
pub(crate) fn complain(channels: &[String], compact: bool) -> Markup {
    html! {
        aside.complain aria-label="投诉维权" {
            @if !compact { h2 { "遇到问题，去哪里投诉" } }
            p.complain-actions {
                @if compact { span { "投诉维权：" } }
                a.action-button.call href="tel:12315" { "拨打12315" }
                a.action-button href=(PLATFORM_12315) rel="noopener" { "全国12315平台" }
            }
            @if !channels.is_empty() {
                p { "本文提到的投诉渠道：" }
                ul.channels { @for channel in channels { li { (channel) } } }
            }
        }
    }
}

/// The national complaint platform of the market regulators.
pub(crate) const PLATFORM_12315: &str = "https://www.12315.cn";

/// A warning's severity as a badge; a warning without one is a 提示.
pub(crate) fn severity_badge(severity: Option<Severity>) -> Markup {
    let severity = severity.unwrap_or(Severity::Info);
    html! { span class={ "badge severity-" (severity.as_str()) } { (severity.label()) } }
}

/// Inserts HTML the engine made safe (snippets, rendered documents).
pub(crate) fn trusted(html: &str) -> PreEscaped<&str> {
    PreEscaped(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("预付 卡&x=1"), "%E9%A2%84%E4%BB%98%20%E5%8D%A1%26x%3D1");
    }
}
