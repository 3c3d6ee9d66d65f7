//! Reader for official law texts in the LawRefBook layout: no front matter,
//! an H1 title (and maybe an H1 subtitle), history lines up to
//! `<!-- INFO END -->`, the version date in the file name, the folder giving
//! the level, `案例/` holding cases and `DLC/<省>地方法规/` local regulations.

use std::path::Path;

use chrono::NaiveDate;

use super::articles::split_law;
use super::markdown::strip_comments;
use super::model::{Document, FrontMatter, Kind, Level, Unit, date_format};

const INFO_END: &str = "<!-- INFO END -->";

/// Top-level folders of the LawRefBook collection and the level of the texts
/// in them. A root that has any of these folders is read as LawRefBook.
pub const LEVEL_FOLDERS: &[(&str, Level)] = &[
    ("宪法", Level::Law),
    ("宪法相关法", Level::Law),
    ("民法典", Level::Law),
    ("民法商法", Level::Law),
    ("行政法", Level::Law),
    ("经济法", Level::Law),
    ("社会法", Level::Law),
    ("刑法", Level::Law),
    ("诉讼与非诉讼程序法", Level::Law),
    ("行政法规", Level::Regulation),
    ("部门规章", Level::Rule),
    ("司法解释", Level::Interpretation),
    ("DLC", Level::Local),
    ("其他", Level::Other),
];

/// The top-level folder of court cases.
pub const CASES_FOLDER: &str = "案例";

/// True for files that are not documents: Hugo front matter (folder markers,
/// the template) rather than a law.
pub fn is_not_content(text: &str) -> bool {
    text.starts_with("---")
}

/// Reads one LawRefBook file. `id` is its path under the root without `.md`.
pub fn read(id: &str, path: &Path, text: &str) -> Result<Document, (usize, String)> {
    let text = strip_comments_keep_marker(text);
    let mut lines = text.lines().enumerate().peekable();
    let title = match lines.next() {
        Some((_, line)) if line.starts_with("# ") => line[2..].trim().to_string(),
        _ => return Err((1, "expected the title as `# 标题` on the first line".into())),
    };
    if title.is_empty() {
        return Err((1, "the title on the first line is empty".into()));
    }
    let mut subtitle = None;
    while let Some((_, line)) = lines.peek() {
        if line.trim().is_empty() {
            lines.next();
        } else if let Some(sub) = line.strip_prefix("# ") {
            subtitle = Some(sub.trim().to_string());
            lines.next();
        } else {
            break;
        }
    }
    let rest: Vec<&str> = lines.map(|(_, line)| line).collect();
    let (history, body_lines) = match rest.iter().position(|line| line.trim() == INFO_END) {
        Some(end) => (
            rest[..end].iter().map(|l| l.trim()).filter(|l| !l.is_empty()).map(String::from).collect(),
            &rest[end + 1..],
        ),
        None => (Vec::new(), &rest[..]),
    };
    let body = strip_comments(&body_lines.join("\n"));

    let (kind, level, region) = classify(id);
    let date = date_in_file_name(id).or_else(|| history.iter().rev().find_map(|l| first_date(l)));
    let effective = history.iter().filter(|l| l.contains("施行")).find_map(|l| first_date(l));
    let units = match kind {
        Kind::Case => vec![Unit { article: None, anchor: None, chapter: Vec::new(), text: body.trim().to_string() }],
        _ => split_law(&body, &subtitle.iter().cloned().collect::<Vec<_>>()),
    };
    let meta = FrontMatter {
        title,
        kind: Some(kind),
        date,
        regions: region.into_iter().collect(),
        level,
        effective,
        ..FrontMatter::default()
    };
    Ok(Document { id: id.to_string(), path: path.to_path_buf(), kind, meta, part: subtitle, history, body, units })
}

/// Removes HTML comments except the `<!-- INFO END -->` marker itself.
fn strip_comments_keep_marker(text: &str) -> String {
    const PLACEHOLDER: &str = "\u{0}INFO_END\u{0}";
    strip_comments(&text.replace(INFO_END, PLACEHOLDER)).replace(PLACEHOLDER, INFO_END)
}

/// Kind, level and region from the folder.
fn classify(id: &str) -> (Kind, Option<Level>, Option<String>) {
    let mut parts = id.split('/');
    let top = parts.next().unwrap_or("");
    if top == "案例" {
        return (Kind::Case, None, None);
    }
    let level = LEVEL_FOLDERS.iter().find(|(folder, _)| *folder == top).map_or(Level::Other, |(_, l)| *l);
    let region =
        (top == "DLC").then(|| parts.next().and_then(|p| p.strip_suffix("地方法规")).map(String::from)).flatten();
    (Kind::Law, Some(level), region)
}

/// `消费者权益保护法(2013-10-25)` → 2013-10-25.
pub fn date_in_file_name(id: &str) -> Option<NaiveDate> {
    let name = id.rsplit('/').next()?;
    let inner = name.strip_suffix(')')?.rsplit_once('(')?.1;
    date_format::parse(inner)
}

/// The first `YYYY年M月D日` in a line.
fn first_date(line: &str) -> Option<NaiveDate> {
    line.char_indices().filter(|(_, c)| c.is_ascii_digit()).find_map(|(start, _)| {
        let tail = &line[start..];
        let end = tail.find('日')? + '日'.len_utf8();
        date_format::parse(&tail[..end])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# 中华人民共和国民法典

# 合同编

2020年5月28日 第十三届全国人民代表大会第三次会议通过

2021年1月1日 施行

<!-- INFO END -->

## 第一分编 通则

<!-- FORCE BREAK -->

第四百六十三条 本编调整因合同产生的民事关系。
";

    #[test]
    fn reads_title_subtitle_history_and_articles() {
        let doc = read("民法典/合同编", Path::new("x.md"), TEXT).unwrap();
        assert_eq!(doc.meta.title, "中华人民共和国民法典");
        assert_eq!(doc.history.len(), 2);
        assert_eq!(doc.meta.effective, NaiveDate::from_ymd_opt(2021, 1, 1));
        assert_eq!(doc.meta.date, NaiveDate::from_ymd_opt(2021, 1, 1));
        assert_eq!(doc.meta.level, Some(Level::Law));
        assert_eq!(doc.units.len(), 1);
        assert_eq!(doc.units[0].chapter, vec!["合同编", "第一分编 通则"]);
        assert_eq!(doc.units[0].anchor.as_deref(), Some("第四百六十三条"));
        assert!(!doc.body.contains("FORCE BREAK"));
    }

    #[test]
    fn folders_give_kind_level_region_and_date() {
        assert_eq!(classify("案例/消费购物/某案").0, Kind::Case);
        assert_eq!(classify("司法解释/某规定").1, Some(Level::Interpretation));
        let (_, level, region) = classify("DLC/北京地方法规/地方性法规/北京/北京市某条例");
        assert_eq!((level, region.as_deref()), (Some(Level::Local), Some("北京")));
        assert_eq!(date_in_file_name("民法商法/消费者权益保护法(2013-10-25)"), NaiveDate::from_ymd_opt(2013, 10, 25));
        assert_eq!(date_in_file_name("司法解释/某规定"), None);
    }

    #[test]
    fn a_file_without_a_title_is_an_error() {
        let (line, reason) = read("x", Path::new("x.md"), "第一条 没有标题").unwrap_err();
        assert_eq!(line, 1);
        assert!(reason.contains("# 标题"));
    }
}
