//! Control characters out of loaded text. A NUL or an escape character has
//! no business in a title or a law, and some of them (NUL, form feed) make
//! XML such as the Atom feed malformed. Files are cleaned as they are read,
//! and front matter values again after parsing, since TOML and YAML can
//! spell control characters as escapes (`\u0000`).

use std::borrow::Cow;

use super::model::FrontMatter;

/// A text of several lines (a file, a body): control characters are
/// removed, except new lines and tabs.
pub fn text(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().filter(|c| !c.is_control() || *c == '\n' || *c == '\t').collect())
}

/// A one-line value (a title, a tag): white-space control characters (tab,
/// new line) become spaces, and the others are removed.
pub fn line(value: &mut String) {
    if value.chars().any(char::is_control) {
        *value = value
            .chars()
            .filter_map(|c| match c {
                c if c.is_control() && c.is_whitespace() => Some(' '),
                c if c.is_control() => None,
                c => Some(c),
            })
            .collect();
    }
}

/// Every text value of front matter, as one-line values.
pub fn front_matter(meta: &mut FrontMatter) {
    let FrontMatter {
        title,
        summary,
        tags,
        regions,
        issuer,
        court,
        case_no,
        cause,
        kiosks,
        channels,
        source,
        retells,
        ..
    } = meta;
    let optional = [summary, issuer, court, case_no, cause, source, retells];
    let lists = [tags, regions, kiosks, channels];
    line(title);
    optional.into_iter().flatten().for_each(line);
    lists.into_iter().flatten().for_each(line);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_removed_but_lines_and_tabs_stay_in_texts() {
        assert_eq!(text("第一条\u{0}\r\n\t内容\u{1b}[31m\u{7f}"), "第一条\n\t内容[31m");
        assert!(matches!(text("干净的\n文本"), Cow::Borrowed(_)), "clean text is not copied");
        let mut title = "带\u{0}空\t字符\n的\u{85}标题\u{1b}".to_string();
        line(&mut title);
        assert_eq!(title, "带空 字符 的 标题");
    }

    #[test]
    fn every_front_matter_text_is_one_clean_line() {
        let mut meta = FrontMatter {
            title: "标\u{0}题".into(),
            summary: Some("摘\u{8}要".into()),
            tags: vec!["预\u{0}付卡".into()],
            source: Some("来\u{1}源".into()),
            channels: vec!["12315\u{0}".into()],
            ..FrontMatter::default()
        };
        front_matter(&mut meta);
        assert_eq!(meta.title, "标题");
        assert_eq!(meta.summary.as_deref(), Some("摘要"));
        assert_eq!((meta.tags[0].as_str(), meta.channels[0].as_str()), ("预付卡", "12315"));
        assert_eq!(meta.source.as_deref(), Some("来源"));
    }

    #[test]
    fn loaded_documents_of_both_layouts_have_no_control_characters() {
        let root = tempfile::tempdir().unwrap();
        let folder = root.path().join("民法商法");
        std::fs::create_dir_all(&folder).unwrap();
        let law = "# 示例\u{0}法\n\n# 分\u{7}编\n\n2020年1月1日\u{0}通过\n\n<!-- INFO END -->\n\n第一条 内容\u{0}有\u{1b}空字符。\n";
        std::fs::write(folder.join("示例法(2020-01-01).md"), law).unwrap();
        std::fs::write(folder.join("坏\u{1}名(2020-01-01).md"), "# 坏名\n").unwrap();
        let loaded = crate::content::load(&[root.path().to_path_buf()], chrono::NaiveDate::MIN, &|_, _| {}).unwrap();
        let doc = &loaded.documents[0];
        assert_eq!((doc.meta.title.as_str(), doc.part.as_deref()), ("示例法", Some("分编")));
        assert_eq!(doc.history, vec!["2020年1月1日通过"]);
        assert!(doc.units[0].text.contains("内容有空字符"), "{:?}", doc.units);
        assert_eq!(loaded.problems.len(), 1, "{:?}", loaded.problems);
        assert!(loaded.problems[0].reason.contains("control characters"));

        let yaml = "---\ntitle: \"标\\0题\"\ntags: [\"网\\a购\"]\n---\n正文\u{0}。\n";
        let path = root.path().join("warnings/x.md");
        let doc = crate::content::parse_document(root.path(), &path, yaml).unwrap();
        assert_eq!((doc.meta.title.as_str(), doc.meta.tags[0].as_str()), ("标题", "网购"));
        assert_eq!(doc.body, "正文。\n");
    }
}
