//! The content model: what a document is once it has been loaded.

use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

/// Declares a closed set of labels with a machine name (used in front matter,
/// the index and the API), Chinese aliases accepted in front matter, and a
/// Chinese label for people.
macro_rules! labelled_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $wire:literal, $label:literal $(, aliases = [$($alias:literal),*])?;)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(
                #[doc = concat!("`", $wire, "` (", $label, ").")]
                #[serde(rename = $wire, alias = $label $($(, alias = $alias)*)?)]
                $variant,
            )*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The machine name used in front matter, the index and the API.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),* }
            }

            /// The Chinese label shown to people.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),* }
            }

            /// Parses a machine name or any accepted Chinese alias.
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($wire | $label $($(| $alias)*)? => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

labelled_enum! {
    /// What a document is.
    Kind {
        Law = "law", "法规", aliases = ["法律法规"];
        Case = "case", "案例";
        Warning = "warning", "消费警示";
        Guide = "guide", "维权指南";
    }
}

labelled_enum! {
    /// The rank of a legal text in the hierarchy of norms.
    Level {
        Law = "law", "法律";
        Regulation = "regulation", "行政法规";
        Rule = "rule", "部门规章";
        Interpretation = "interpretation", "司法解释";
        Local = "local", "地方性法规";
        Other = "other", "其他";
    }
}

labelled_enum! {
    /// Whether a legal text is in force (时效性).
    Status {
        Current = "current", "现行有效";
        Amended = "amended", "已修改";
        Repealed = "repealed", "已废止";
        Pending = "pending", "尚未生效";
    }
}

labelled_enum! {
    /// Where a staff-written document is in the publishing workflow.
    State {
        Draft = "draft", "草稿";
        Published = "published", "已发布";
        Withdrawn = "withdrawn", "已撤回";
    }
}

labelled_enum! {
    /// How urgent a consumer warning is.
    Severity {
        Info = "info", "提示";
        Caution = "caution", "警示";
        Alert = "alert", "预警";
    }
}

/// Typed front matter of a project document. Every field but `title` is
/// optional; unknown fields are an error so that typos fail loudly.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    /// The document's full title. Required.
    pub title: String,
    /// law | case | warning | guide. Defaults to the folder: `laws/`,
    /// `cases/`, `warnings/`, `guides/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    /// Publication or version date, `YYYY-MM-DD` (a TOML date or a string).
    #[serde(default, with = "date_format::option", skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// Warnings and guides: the day the document was last checked against
    /// the laws it cites (最后核对), `YYYY-MM-DD`. `weiquan check` requires it
    /// of published ones; the admin sets it to the day of publication.
    #[serde(default, with = "date_format::option", skip_serializing_if = "Option::is_none")]
    pub checked: Option<NaiveDate>,
    /// One or two plain sentences shown under the title and in results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Topic tags from the shared vocabulary (预付卡, 网购 ...). None by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Regions the document applies to (全国, 北京 ...). None by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// Laws: law | regulation | rule | interpretation | local | other
    /// (or 法律, 行政法规, 部门规章, 司法解释, 地方性法规).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// Laws: the body that issued it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Laws: the date it takes effect.
    #[serde(default, with = "date_format::option", skip_serializing_if = "Option::is_none")]
    pub effective: Option<NaiveDate>,
    /// Laws: current | amended | repealed | pending (or 现行有效, 已修改,
    /// 已废止, 尚未生效). Laws default to `current`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Cases: the court that decided it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub court: Option<String>,
    /// Cases: the case number, e.g. （2007）朝民初字第18230号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_no: Option<String>,
    /// Cases: the cause of action (案由).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// Warnings: info | caution | alert (or 提示, 警示, 预警).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Warnings: the last day the warning is in force.
    #[serde(default, with = "date_format::option", skip_serializing_if = "Option::is_none")]
    pub expires: Option<NaiveDate>,
    /// Warnings: shown before all others. `false` by default.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pinned: bool,
    /// Warnings: marked 紧急 and announced at once. `false` by default.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub urgent: bool,
    /// Warnings: the kiosks that show it (ids); all kiosks of its regions when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kiosks: Vec<String>,
    /// Warnings: where to complain (12315, 当地消费者协会 ...). 12315 when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<String>,
    /// Warnings and guides: draft | published | withdrawn (or 草稿, 已发布,
    /// 已撤回). Only published documents are public. `published` by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<State>,
    /// Warnings and guides: when a published document goes public, as
    /// `2026-12-01T09:00:00+08:00` (Beijing time when the offset is left out).
    /// At once when absent.
    #[serde(default, with = "date_format::time", skip_serializing_if = "Option::is_none")]
    pub publish_at: Option<DateTime<FixedOffset>>,
    /// Warnings: who issued it, or a link to the original.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Cases written for this project: the title of the official case (a
    /// case of the corpus) that the page retells in plain words. Search
    /// puts the official text right above the retelling
    /// (`search::rank::retold`). None by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retells: Option<String>,
    /// Warnings and guides: typical questions the document answers, in the
    /// words readers use (常见问题); indexed for search and listed on the
    /// page. Each one line of at most 60 characters, no two alike; guides and
    /// warnings should have at least 5. None by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<String>,
}

/// A loaded document: one Markdown file under a content root.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Path under its content root without `.md`, e.g. `warnings/prepaid-card-gym`.
    pub id: String,
    /// The file it was read from.
    pub path: PathBuf,
    /// What kind of document it is.
    pub kind: Kind,
    /// Front matter, with the kind and the law defaults filled in.
    pub meta: FrontMatter,
    /// The part of a law published in several files (民法典 合同编).
    pub part: Option<String>,
    /// LawRefBook history lines (通过, 修正, 施行), oldest first.
    pub history: Vec<String>,
    /// The Markdown body with HTML comments removed.
    pub body: String,
    /// The search units: a law's articles, or the whole document.
    pub units: Vec<Unit>,
}

impl Document {
    /// Published (the default for every document), not a draft and not
    /// withdrawn. A publish time in the future still hides it from the public.
    pub fn is_published(&self) -> bool {
        self.meta.state.is_none_or(|state| state == State::Published)
    }
}

/// The smallest piece of a document that search returns: an article of a law,
/// a block of a law outside any article, or a whole case, warning or guide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// The article this unit is, if it is one.
    pub article: Option<Article>,
    /// Anchor in the document page: the article label (made unique within the
    /// document), or `None` for the top of the document.
    pub anchor: Option<String>,
    /// Headings above the unit (编, 章, 节), outermost first.
    pub chapter: Vec<String>,
    /// Plain text of the unit.
    pub text: String,
}

/// An article label and its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// As written: 第二十五条, 第十七条之一.
    pub label: String,
    /// The article number: 25.
    pub number: u32,
    /// The 之一 part of 第十七条之一, if any.
    pub sub: Option<u32>,
}

/// A file that could not be loaded, and why. Reported, then skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file.
    pub path: PathBuf,
    /// 1-based line in the file, when the problem has one.
    pub line: Option<usize>,
    /// What is wrong, for the author.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.path.display(), line, self.reason),
            None => write!(f, "{}: {}", self.path.display(), self.reason),
        }
    }
}

/// Dates in front matter: a TOML date (`2024-03-15`) or a string in
/// `YYYY-MM-DD` or `YYYY年M月D日` form.
pub mod date_format {
    use chrono::NaiveDate;

    /// Parses `YYYY-MM-DD`, `YYYY/MM/DD` or `YYYY年M月D日`.
    pub fn parse(text: &str) -> Option<NaiveDate> {
        let text = text.trim();
        ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"].iter().find_map(|format| NaiveDate::parse_from_str(text, format).ok())
    }

    /// Optional date and time: RFC 3339, or `YYYY-MM-DD HH:MM[:SS]` in
    /// Beijing time (UTC+8).
    pub mod time {
        use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};
        use serde::{Deserialize, Deserializer, Serializer};

        /// Parses RFC 3339, or `YYYY-MM-DD HH:MM[:SS]` (also with `T`) in Beijing time.
        pub fn parse(text: &str) -> Option<DateTime<FixedOffset>> {
            let text = text.trim();
            DateTime::parse_from_rfc3339(text).ok().or_else(|| {
                let beijing = FixedOffset::east_opt(8 * 3600)?;
                ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
                    .iter()
                    .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
                    .and_then(|naive| beijing.from_local_datetime(&naive).single())
            })
        }

        /// Reads an optional time: a TOML date-time or a string that [`parse`] accepts.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
            #[derive(Deserialize)]
            #[serde(untagged)]
            enum Raw {
                Toml(toml::value::Datetime),
                Text(String),
            }
            let text = match Option::<Raw>::deserialize(deserializer)? {
                None => return Ok(None),
                Some(Raw::Toml(datetime)) => datetime.to_string(),
                Some(Raw::Text(text)) => text,
            };
            parse(&text).map(Some).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "invalid time `{text}`: write it as 2026-12-01T09:00:00+08:00 or 2026-12-01 09:00"
                ))
            })
        }

        /// Writes an optional time as RFC 3339.
        pub fn serialize<S: Serializer>(
            time: &Option<DateTime<FixedOffset>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match time {
                Some(time) => serializer.serialize_str(&time.to_rfc3339()),
                None => serializer.serialize_none(),
            }
        }
    }

    /// Optional dates (`Option<NaiveDate>`) for serde's `deserialize_with` and `serialize_with`.
    pub mod option {
        use chrono::NaiveDate;
        use serde::{Deserialize, Deserializer, Serializer};

        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Toml(toml::value::Datetime),
            Text(String),
        }

        /// Reads an optional date: a TOML date or a string that [`super::parse`] accepts.
        pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<NaiveDate>, D::Error> {
            let text = match Option::<Raw>::deserialize(deserializer)? {
                None => return Ok(None),
                Some(Raw::Toml(datetime)) => match datetime.date {
                    Some(date) => format!("{:04}-{:02}-{:02}", date.year, date.month, date.day),
                    None => datetime.to_string(),
                },
                Some(Raw::Text(text)) => text,
            };
            super::parse(&text).map(Some).ok_or_else(|| {
                serde::de::Error::custom(format!("invalid date `{text}`: write it as YYYY-MM-DD, e.g. 2024-03-15"))
            })
        }

        /// Writes an optional date as `YYYY-MM-DD`.
        pub fn serialize<S: Serializer>(date: &Option<NaiveDate>, serializer: S) -> Result<S::Ok, S::Error> {
            match date {
                Some(date) => serializer.serialize_str(&date.format("%Y-%m-%d").to_string()),
                None => serializer.serialize_none(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse_from_machine_names_and_chinese_aliases() {
        assert_eq!(Level::parse("司法解释"), Some(Level::Interpretation));
        assert_eq!(Level::parse("local"), Some(Level::Local));
        assert_eq!(Status::parse("已废止"), Some(Status::Repealed));
        assert_eq!(Severity::parse("预警"), Some(Severity::Alert));
        assert_eq!(Kind::parse("foo"), None);
        assert_eq!(Kind::Warning.label(), "消费警示");
    }

    #[test]
    fn dates_in_three_spellings() {
        let expected = NaiveDate::from_ymd_opt(2013, 10, 25);
        assert_eq!(date_format::parse("2013-10-25"), expected);
        assert_eq!(date_format::parse("2013/10/25"), expected);
        assert_eq!(date_format::parse("2013年10月25日"), expected);
        assert_eq!(date_format::parse("2013-13-25"), None);
    }

    #[test]
    fn times_as_a_datetime_local_input_sends_them_are_beijing_time() {
        let expected = chrono::DateTime::parse_from_rfc3339("2026-12-01T09:00:00+08:00").ok();
        assert_eq!(date_format::time::parse("2026-12-01T09:00"), expected, "the editor's datetime-local value");
        assert_eq!(date_format::time::parse("2026-12-01 09:00"), expected);
        assert_eq!(date_format::time::parse("2026-12-01T01:00:00Z").map(|t| t.to_utc()), expected.map(|t| t.to_utc()));
        assert_eq!(date_format::time::parse("2026-12-01T25:00"), None);
    }
}
