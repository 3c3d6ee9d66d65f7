//! What staff take away from a report: its tables as CSV files and the
//! week's summary as sentences to paste into a report. No HTTP: the staff
//! pages (`web::insights`) serve them.

use super::Report;
use super::report::{QueryRow, Rising};
use weiquan_core::text::spreadsheet::Sheet;

/// The rows of one table as CSV (with a byte-order mark so spreadsheet
/// programs read the Chinese correctly). Queries and comments are typed by
/// visitors, so every cell goes through [`Sheet`], which defuses formulas.
pub fn table_csv(report: &Report, table: &str) -> Option<String> {
    let mut sheet = Sheet::new();
    let query_rows = |rows: &[QueryRow], sheet: &mut Sheet| {
        sheet.row(["查询", "次数", "没有结果", "打开了结果", "平均结果数"]);
        for r in rows {
            sheet.row([
                r.query.clone(),
                r.searches.to_string(),
                r.zero_results.to_string(),
                r.opened.to_string(),
                format!("{:.2}", r.mean_results),
            ]);
        }
    };
    match table {
        "top" => query_rows(&report.top_queries, &mut sheet),
        "failing" => query_rows(&report.failing, &mut sheet),
        "rising" => {
            sheet.row(["话题", "最近7天", "之前每周平均"]);
            for r in &report.rising {
                sheet.row([r.topic.clone(), r.this_week.to_string(), format!("{:.2}", r.earlier_weekly)]);
            }
        }
        "documents" => {
            sheet.row(["内容", "打开次数", "平均位置"]);
            for d in &report.documents {
                sheet.row([d.doc.clone(), d.opens.to_string(), format!("{:.2}", d.mean_position)]);
            }
        }
        "channels" => {
            sheet.row(["渠道", "终端", "查询次数"]);
            for c in &report.channels {
                sheet.row([c.channel.clone(), c.kiosk.clone().unwrap_or_default(), c.searches.to_string()]);
            }
        }
        "volume" => {
            sheet.row(["日期", "查询次数"]);
            for (day, n) in &report.volume {
                sheet.row([day.to_string(), n.to_string()]);
            }
        }
        "feedback" => {
            sheet.row(["内容", "有帮助", "没帮助", "留言"]);
            for r in &report.feedback {
                let comments: Vec<&str> = r.comments.iter().map(|(_, _, text)| text.as_str()).collect();
                sheet.row([r.doc.clone(), r.helpful.to_string(), r.unhelpful.to_string(), comments.join("\n")]);
            }
        }
        _ => return None,
    }
    Some(format!("\u{feff}{}", sheet.finish()))
}

/// The weekly summary as sentences a staff member can paste into a report.
/// `weekly` is the mean searches per week of the four weeks before; `rising`
/// compares this week with them.
pub fn weekly_summary(week: &Report, weekly: f64, rising: &[Rising], title_of: &dyn Fn(&str) -> String) -> Vec<String> {
    let searches = week.totals.searches;
    let mut lines = vec![format!(
        "本周（{} 至 {}）共查询 {} 次，之前四周平均每周 {:.0} 次{}。",
        week.filter.from,
        week.filter.to,
        searches,
        weekly,
        if weekly > 0.0 {
            format!(
                "，{}{:.0}%",
                if searches as f64 >= weekly { "增加" } else { "减少" },
                (searches as f64 - weekly).abs() * 100.0 / weekly
            )
        } else {
            String::new()
        }
    )];
    if !rising.is_empty() {
        let rising: Vec<String> = rising
            .iter()
            .take(5)
            .map(|r| format!("“{}”（本周 {} 次，之前每周平均 {:.1} 次）", r.topic, r.this_week, r.earlier_weekly))
            .collect();
        lines.push(format!("上升最快的话题：{}。", rising.join("、")));
    }
    if !week.failing.is_empty() {
        let failing: Vec<String> = week
            .failing
            .iter()
            .take(5)
            .map(|r| {
                if r.zero_results > 0 {
                    format!("“{}”（{} 次，{} 次没有结果）", r.query, r.searches, r.zero_results)
                } else {
                    format!("“{}”（{} 次，没人打开结果）", r.query, r.searches)
                }
            })
            .collect();
        lines.push(format!("没有找到答案的查询：{}。可考虑为这些问题撰写警示或指南。", failing.join("、")));
    }
    if !week.documents.is_empty() {
        let opened: Vec<String> =
            week.documents.iter().take(5).map(|d| format!("《{}》（{} 次）", title_of(&d.doc), d.opens)).collect();
        lines.push(format!("最常打开的内容：{}。", opened.join("、")));
    }
    let (helpful, unhelpful) = (week.totals.helpful, week.totals.unhelpful);
    if helpful + unhelpful > 0 {
        lines.push(format!("读者反馈：有帮助 {helpful} 次，没帮助 {unhelpful} 次。"));
    }
    lines
}
