//! The kiosk's attract loop: which warnings it shows, how often each comes
//! round, and the slides themselves. A slide is signage, read in passing in
//! about five seconds: a band in the warning's severity colour with its
//! level in words, a large headline, the first clause of the summary, a QR
//! code to read the rest on a phone, and a strip with 12315 and the issuer.

use maud::{Markup, PreEscaped, html};

use super::config::KioskConfig;
use super::kiosk::qr_svg;
use super::views::date_or;
use super::{AppState, WebError};
use weiquan_core::content::Severity;
use weiquan_core::search::{WarningOrder, WarningSummary};

/// Pinned and 预警 warnings shown in every round of the loop, at most.
const TOP_PER_ROUND: usize = 8;
/// Other warnings shown in each round, taking turns.
const OTHERS_PER_ROUND: usize = 4;
/// Most characters of a summary on a slide (the rest is behind the QR code).
const SUMMARY_CHARS: usize = 40;

/// The warnings the loop shows: in force for the region and meant for this
/// kiosk, urgent first, then pinned, then by severity, then newest.
pub(super) async fn loop_warnings(
    state: &AppState,
    config: &KioskConfig,
    kiosk: &str,
) -> Result<Vec<WarningSummary>, WebError> {
    let region = config.region.clone();
    let today = state.clock().today();
    let order = WarningOrder::Kiosk(kiosk.to_string());
    state.blocking(move |engine| engine.warnings(Some(today), region.as_deref(), &order)).await
}

/// The order the loop shows `warnings` (sorted as [`loop_warnings`] does)
/// in, as indices, over and over. Urgent warnings, while any is in force,
/// are shown alone. Otherwise each round shows the pinned and 预警 warnings
/// (the first [`TOP_PER_ROUND`]; any more wait their turn with the rest),
/// then the next [`OTHERS_PER_ROUND`] of the others in turn, so the most
/// relevant come round every few minutes and every warning comes in time.
fn playlist(warnings: &[WarningSummary]) -> Vec<usize> {
    let urgent: Vec<usize> = (0..warnings.len()).filter(|&i| warnings[i].urgent).collect();
    if !urgent.is_empty() {
        return urgent;
    }
    let (mut top, mut others): (Vec<usize>, Vec<usize>) =
        (0..warnings.len()).partition(|&i| warnings[i].pinned || warnings[i].severity == Some(Severity::Alert));
    if top.len() > TOP_PER_ROUND {
        others.splice(0..0, top.drain(TOP_PER_ROUND..));
    }
    let per_round = OTHERS_PER_ROUND.min(others.len());
    let rounds = others.len().div_ceil(OTHERS_PER_ROUND).max(1);
    let mut order = Vec::with_capacity(rounds * (top.len() + per_round));
    for round in 0..rounds {
        order.extend(&top);
        order.extend((0..per_round).map(|j| others[(round * OTHERS_PER_ROUND + j) % others.len()]));
    }
    order
}

/// A summary cut for a slide: its first sentence, and of that at most
/// [`SUMMARY_CHARS`] characters, ending at a comma where one is near.
fn short_summary(summary: &str) -> String {
    let sentence = match summary.find(['。', '！', '？', '；']) {
        Some(end) => &summary[..end + '。'.len_utf8()],
        None => summary,
    };
    if sentence.chars().count() <= SUMMARY_CHARS {
        return sentence.to_string();
    }
    let head = weiquan_core::text::truncate_chars(sentence, SUMMARY_CHARS - 1);
    let clause = head.rfind(['，', '、']).map(|end| &head[..end]).filter(|c| c.chars().count() >= SUMMARY_CHARS / 2);
    format!("{}…", clause.unwrap_or(head))
}

/// Where to complain, and who says so, at the foot of every slide.
fn strip(issuer: Option<&str>) -> Markup {
    html! {
        p.strip {
            span.call { "投诉举报请拨打 " strong { "12315" } }
            span.issuer {
                @match issuer {
                    Some(issuer) => { "发布单位：" (issuer) }
                    None => { "来源：消费维权知识库编写" }
                }
            }
        }
    }
}

/// The loop's slides, the first one showing, and the order to show them in.
pub(super) fn slide_markup(warnings: &[WarningSummary], base: &str) -> Markup {
    let order: Vec<String> = playlist(warnings).iter().map(usize::to_string).collect();
    html! {
        div.playlist hidden data-order=(order.join(" ")) {}
        @if warnings.is_empty() {
            article.slide.current.severity-info data-id="" {
                p.band { span.level { "消费提示" } }
                div.message {
                    h2 { "今天没有需要特别提醒的消费警示" }
                    p.summary { "遇到消费纠纷，可以先和商家协商，协商不成再投诉。" }
                }
                (strip(None))
            }
        }
        @for (i, warning) in warnings.iter().enumerate() {
            @let severity = warning.severity.unwrap_or(Severity::Info);
            article.slide.current[i == 0].(format!("severity-{severity}")) data-id=(warning.id)
                data-severity=(severity.as_str()) data-urgent=(warning.urgent) hidden[i != 0] {
                p.band {
                    span.level { "消费" (severity.label()) }
                    @if warning.urgent { span.urgent { "紧急" } }
                }
                div.message {
                    h2 { (warning.title) }
                    @if let Some(summary) = &warning.summary { p.summary { (short_summary(summary)) } }
                    p.validity {
                        "有效期："
                        (date_or(warning.date, "—")) " 至 " (date_or(warning.expires, "长期有效"))
                    }
                }
                figure.qr {
                    (PreEscaped(qr_svg(&format!("{base}/docs/{}", warning.id))))
                    figcaption { "手机扫码查看全文" }
                }
                (strip(warning.issuer.as_deref()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warning(id: &str, severity: Severity, pinned: bool, urgent: bool) -> WarningSummary {
        WarningSummary {
            id: id.into(),
            title: id.into(),
            severity: Some(severity),
            issuer: None,
            summary: None,
            date: None,
            expires: None,
            pinned,
            urgent,
            kiosks: Vec::new(),
            regions: Vec::new(),
            tags: Vec::new(),
        }
    }

    #[test]
    fn pinned_and_alert_warnings_come_every_round_and_the_others_in_turn() {
        let mut warnings =
            vec![warning("pinned", Severity::Caution, true, false), warning("alert", Severity::Alert, false, false)];
        warnings.extend((0..9).map(|i| warning(&format!("other-{i}"), Severity::Caution, false, false)));
        let order = playlist(&warnings);
        // Rounds of 2 + 4: three rounds, the last taking turns from the start again.
        assert_eq!(order, [0, 1, 2, 3, 4, 5, 0, 1, 6, 7, 8, 9, 0, 1, 10, 2, 3, 4]);
        assert!((0..warnings.len()).all(|i| order.contains(&i)), "every warning comes in time");
    }

    #[test]
    fn at_most_eight_come_every_round_and_the_rest_wait_their_turn() {
        let warnings: Vec<WarningSummary> =
            (0..10).map(|i| warning(&format!("a{i}"), Severity::Alert, false, false)).collect();
        let order = playlist(&warnings);
        assert_eq!(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        // 33 slides of 12 s took 6.6 minutes; a round of the loop is at most 12 slides.
        let many: Vec<WarningSummary> = (0..33)
            .map(|i| warning(&format!("w{i}"), if i < 10 { Severity::Alert } else { Severity::Info }, false, false))
            .collect();
        let order = playlist(&many);
        assert!(
            order
                .chunks(TOP_PER_ROUND + OTHERS_PER_ROUND)
                .all(|round| round[..TOP_PER_ROUND] == [0, 1, 2, 3, 4, 5, 6, 7])
        );
        assert!((0..many.len()).all(|i| order.contains(&i)), "every warning comes in time");
    }

    #[test]
    fn urgent_warnings_are_shown_alone() {
        let warnings =
            vec![warning("urgent", Severity::Alert, false, true), warning("pinned", Severity::Info, true, false)];
        assert_eq!(playlist(&warnings), [0]);
        assert_eq!(playlist(&[]), Vec::<usize>::new());
    }

    #[test]
    fn a_slide_shows_the_first_clauses_of_the_summary() {
        assert_eq!(short_summary("买票认准官方售票渠道。演出取消的，观众有权退票。"), "买票认准官方售票渠道。");
        let long = "有人用AI换脸、合成声音，冒充知名医生、专家、明星推荐保健品和“神药”，专门瞄准老年人。名人推荐不等于真的推荐。";
        assert_eq!(short_summary(long), "有人用AI换脸、合成声音，冒充知名医生、专家、明星推荐保健品和“神药”…");
        let no_comma = "一".repeat(60);
        assert_eq!(short_summary(&no_comma), format!("{}…", "一".repeat(39)));
    }
}
