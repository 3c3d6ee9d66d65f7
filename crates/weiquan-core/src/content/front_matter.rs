//! Stage 2 of the pipeline: split front matter from the body and parse it
//! into typed [`FrontMatter`].

use super::model::FrontMatter;

/// Front matter failed to parse: the reason and the 1-based line in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontMatterError {
    /// 1-based line in the file, when the problem has one.
    pub line: Option<usize>,
    /// What is wrong, for the author.
    pub reason: String,
}

/// The two parts of a project file.
#[derive(Debug, PartialEq, Eq)]
pub struct Split<'a> {
    /// How the front matter is written.
    pub format: Format,
    /// The front matter, between its fences.
    pub front_matter: &'a str,
    /// The text after the closing fence.
    pub body: &'a str,
    /// Line of the file on which the body starts (1-based).
    pub body_line: usize,
}

/// How front matter is written, told by its first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// TOML between `+++` lines.
    Toml,
    /// YAML between `---` lines.
    Yaml,
}

/// Splits `+++` TOML or `---` YAML front matter from the body.
pub fn split(text: &str) -> Result<Split<'_>, FrontMatterError> {
    let first_line = text.lines().next().unwrap_or("").trim_end();
    let (format, fence) = match first_line {
        "+++" => (Format::Toml, "+++"),
        "---" => (Format::Yaml, "---"),
        _ => {
            return Err(FrontMatterError {
                line: Some(1),
                reason: "no front matter: start the file with a `+++` line, then \
                         `title = \"...\"`, then another `+++` line"
                    .into(),
            });
        }
    };
    let after_open = text.find('\n').map_or(text.len(), |i| i + 1);
    let mut offset = after_open;
    for (line, raw) in (2..).zip(text[after_open..].split_inclusive('\n')) {
        if raw.trim_end() == fence {
            return Ok(Split {
                format,
                front_matter: &text[after_open..offset],
                body: &text[offset + raw.len()..],
                body_line: line + 1,
            });
        }
        offset += raw.len();
    }
    Err(FrontMatterError {
        line: Some(1),
        reason: format!("front matter opened with `{fence}` on line 1 is never closed: add a `{fence}` line after it"),
    })
}

/// The line of the file on which front matter text starts (after the fence).
pub const FIRST_LINE: usize = 2;

/// Where top-level `key` starts in front matter text: a line beginning with
/// the key followed by `=` (TOML) or `:` (YAML).
pub fn key_offset(text: &str, key: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with(['=', ':'])) {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// The line of the file at byte `offset` of front matter text.
pub fn line_at(text: &str, offset: usize) -> usize {
    FIRST_LINE + text[..offset.min(text.len())].matches('\n').count()
}

/// Parses front matter text. Lines in errors are lines of the file, given that
/// the front matter starts on line [`FIRST_LINE`].
pub fn parse(format: Format, text: &str) -> Result<FrontMatter, FrontMatterError> {
    match format {
        Format::Toml => toml::from_str(text).map_err(|error| FrontMatterError {
            line: error.span().map(|span| line_at(text, span.start)),
            reason: format!("invalid front matter: {}", error.message()),
        }),
        Format::Yaml => {
            if text.trim().is_empty() {
                return Err(FrontMatterError {
                    line: Some(FIRST_LINE),
                    reason: "invalid front matter: missing field `title`".into(),
                });
            }
            serde_yaml_ng::from_str(text).map_err(|error| FrontMatterError {
                line: error.location().map(|location| FIRST_LINE - 1 + location.line()),
                reason: format!("invalid front matter: {}", strip_yaml_location(&error.to_string())),
            })
        }
    }
}

/// serde_yaml appends " at line N column M" to its messages; the line is
/// reported separately.
fn strip_yaml_location(message: &str) -> &str {
    message.find(" at line ").map_or(message, |i| &message[..i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::model::{Level, Severity, Status};
    use chrono::NaiveDate;

    fn parse_file(text: &str) -> Result<FrontMatter, FrontMatterError> {
        let split = split(text)?;
        parse(split.format, split.front_matter)
    }

    #[test]
    fn toml_front_matter_with_dates_and_aliases() {
        let text =
            "+++\ntitle = \"预付卡警示\"\ndate = 2026-03-15\nseverity = \"预警\"\ntags = [\"预付卡\"]\n+++\n正文\n";
        let split = split(text).unwrap();
        assert_eq!(split.body, "正文\n");
        assert_eq!(split.body_line, 7);
        let meta = parse(split.format, split.front_matter).unwrap();
        assert_eq!(meta.title, "预付卡警示");
        assert_eq!(meta.date, NaiveDate::from_ymd_opt(2026, 3, 15));
        assert_eq!(meta.severity, Some(Severity::Alert));
        assert_eq!(meta.tags, vec!["预付卡"]);
    }

    #[test]
    fn yaml_front_matter() {
        let text = "---\ntitle: 某法\nlevel: 司法解释\nstatus: 已修改\neffective: 2021年1月1日\n---\n";
        let meta = parse_file(text).unwrap();
        assert_eq!(meta.level, Some(Level::Interpretation));
        assert_eq!(meta.status, Some(Status::Amended));
        assert_eq!(meta.effective, NaiveDate::from_ymd_opt(2021, 1, 1));
    }

    #[test]
    fn unknown_field_is_reported_on_its_line() {
        let error = parse_file("+++\ntitle = \"x\"\n\ntitel = \"y\"\n+++\n").unwrap_err();
        assert_eq!(error.line, Some(4));
        assert!(error.reason.contains("unknown field `titel`"), "{}", error.reason);
        let error = parse_file("---\ntitle: x\nsevrity: info\n---\n").unwrap_err();
        assert_eq!(error.line, Some(3));
        assert!(error.reason.contains("unknown field `sevrity`"), "{}", error.reason);
    }

    #[test]
    fn invalid_values_are_reported_with_their_line() {
        let error = parse_file("+++\ntitle = \"x\"\ndate = \"2024-13-45\"\n+++\n").unwrap_err();
        assert_eq!(error.line, Some(3));
        assert!(error.reason.contains("invalid date `2024-13-45`"), "{}", error.reason);
        let error = parse_file("+++\ntitle = \"x\"\nkind = \"blog\"\n+++\n").unwrap_err();
        assert_eq!(error.line, Some(3));
        assert!(error.reason.contains("unknown variant `blog`"), "{}", error.reason);
    }

    #[test]
    fn missing_title_and_missing_fences() {
        let error = parse_file("+++\ndate = 2024-01-01\n+++\n").unwrap_err();
        assert!(error.reason.contains("missing field `title`"), "{}", error.reason);
        let error = parse_file("# 只有标题\n").unwrap_err();
        assert!(error.reason.starts_with("no front matter"), "{}", error.reason);
        let error = parse_file("+++\ntitle = \"x\"\n").unwrap_err();
        assert!(error.reason.contains("never closed"), "{}", error.reason);
    }
}
