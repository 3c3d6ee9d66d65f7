//! The editor's fields as text, and the front matter and action they make:
//! what the staff form sends and shows. The web only extracts and renders
//! them; the rules that turn text into a document are here.

use chrono::{FixedOffset, NaiveDate};
use serde::Deserialize;

use super::{Action, Edit, Opened, Stage};
use weiquan_core::clock::Clock;
use weiquan_core::content::{self, FrontMatter, Kind, Severity};

/// The editor's fields, as text. Lists are typed comma-separated (`，`, `,`
/// or `、`), except kiosks and tags, which are ticked one by one (each
/// ticked box sends the field once); a tags value may still hold several,
/// comma-separated, as the text box without a vocabulary sends them.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Fields {
    /// The document's id; empty for a new one.
    pub id: String,
    /// The fingerprint of the text the editor started from.
    pub base: String,
    /// `warning` or `guide`.
    pub kind: String,
    /// For a new document: its file name.
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// A warning's level (`Severity::as_str`).
    pub severity: String,
    /// Ticked: any value.
    pub urgent: Option<String>,
    /// Ticked: any value.
    pub pinned: Option<String>,
    pub issuer: String,
    /// 生效日期, `2026-03-10`.
    pub date: String,
    /// 有效期至, `2026-03-10`.
    pub expires: String,
    /// 最后核对: the day the text was last checked against the laws it
    /// cites; empty, the day it is published.
    pub checked: String,
    /// The tags ticked.
    pub tags: Vec<String>,
    pub regions: String,
    /// The ids of the kiosks ticked.
    pub kiosks: Vec<String>,
    /// 投诉渠道.
    pub channels: String,
    pub source: String,
    /// The typical questions (常见问题), one a line.
    pub questions: String,
    /// When to publish, as a `datetime-local` input gives it (Beijing time).
    pub publish_at: String,
    pub body: String,
    /// Which button was pressed: `draft`, `publish`, `schedule` or `withdraw`.
    pub action: String,
    /// Where the document stands; `None` for a new one.
    #[serde(skip)]
    pub stage: Option<Stage>,
}

/// Beijing time, in which the editor shows and reads the publish time.
fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// Items typed comma-separated, trimmed, without empty ones.
fn list_of(text: &str) -> Vec<String> {
    text.split([',', '，', '、']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
}

impl Fields {
    /// The fields of a new document of `kind` (a guide, or else a warning).
    pub fn new(kind: Kind) -> Fields {
        let kind = if kind == Kind::Guide { "guide" } else { "warning" };
        Fields { kind: kind.into(), regions: "全国".into(), ..Fields::default() }
    }

    /// The fields showing `opened`, the document `id`, at `clock`'s now.
    pub fn of(opened: &Opened, id: &str, clock: &Clock) -> Fields {
        let (meta, body) = (&opened.document.meta, &opened.document.body);
        let text = |items: &[String]| items.join("，");
        Fields {
            id: id.into(),
            base: opened.fingerprint.clone(),
            kind: if id.starts_with("guides/") { "guide".into() } else { "warning".into() },
            title: meta.title.clone(),
            summary: meta.summary.clone().unwrap_or_default(),
            severity: meta.severity.map(|s| s.as_str().to_string()).unwrap_or_default(),
            urgent: meta.urgent.then(|| "1".into()),
            pinned: meta.pinned.then(|| "1".into()),
            issuer: meta.issuer.clone().unwrap_or_default(),
            date: meta.date.map(|d| d.to_string()).unwrap_or_default(),
            expires: meta.expires.map(|d| d.to_string()).unwrap_or_default(),
            checked: meta.checked.map(|d| d.to_string()).unwrap_or_default(),
            tags: meta.tags.clone(),
            regions: text(&meta.regions),
            kiosks: meta.kiosks.clone(),
            channels: text(&meta.channels),
            source: meta.source.clone().unwrap_or_default(),
            questions: meta.questions.join("\n"),
            publish_at: meta
                .publish_at
                .map(|t| t.with_timezone(&beijing()).format("%Y-%m-%dT%H:%M").to_string())
                .unwrap_or_default(),
            body: body.trim().to_string(),
            stage: Some(Stage::of(meta, clock.now())),
            ..Fields::default()
        }
    }

    /// Whether the fields are a guide's (else a warning's).
    pub fn is_guide(&self) -> bool {
        self.kind == "guide"
    }

    /// The tags chosen, one each, in the order sent.
    pub fn tag_list(&self) -> Vec<String> {
        self.tags.iter().flat_map(|value| list_of(value)).collect()
    }

    /// The edit and action the fields ask for, or why they cannot be read
    /// (in Chinese, for the person typing).
    pub fn to_edit(&self) -> Result<(Edit, Action), String> {
        let date = |text: &str, name: &str| -> Result<Option<NaiveDate>, String> {
            if text.trim().is_empty() {
                return Ok(None);
            }
            content::date_format::parse(text)
                .map(Some)
                .ok_or_else(|| format!("{name}“{text}”不是日期，请写成 2026-03-10"))
        };
        let severity = if self.is_guide() || self.severity.is_empty() {
            None
        } else {
            Some(Severity::parse(&self.severity).ok_or("级别无效")?)
        };
        let some = |text: &str| (!text.trim().is_empty()).then(|| text.trim().to_string());
        let meta = FrontMatter {
            title: self.title.trim().to_string(),
            summary: some(&self.summary),
            severity,
            urgent: self.urgent.is_some(),
            pinned: self.pinned.is_some(),
            issuer: some(&self.issuer),
            date: date(&self.date, "生效日期")?,
            expires: date(&self.expires, "有效期")?,
            checked: date(&self.checked, "最后核对日期")?,
            tags: self.tag_list(),
            regions: list_of(&self.regions),
            kiosks: self.kiosks.iter().map(|k| k.trim()).filter(|k| !k.is_empty()).map(String::from).collect(),
            channels: list_of(&self.channels),
            source: some(&self.source),
            questions: self.questions.lines().map(str::trim).filter(|q| !q.is_empty()).map(String::from).collect(),
            // The state and publish time are the file's: the publisher keeps them.
            ..FrontMatter::default()
        };
        let action = match self.action.as_str() {
            "publish" => Action::Publish,
            "withdraw" => Action::Withdraw,
            "schedule" => Action::Schedule(
                content::date_format::time::parse(&self.publish_at)
                    .ok_or("定时发布需要填写发布时间，例如 2026-12-01 09:00（北京时间）")?,
            ),
            _ => Action::SaveDraft,
        };
        let kind = if self.is_guide() { Kind::Guide } else { Kind::Warning };
        let edit = Edit {
            id: some(&self.id),
            kind,
            slug: self.slug.clone(),
            base: self.base.clone(),
            meta,
            body: self.body.replace("\r\n", "\n"),
        };
        Ok((edit, action))
    }
}

/// The shared tag vocabulary (`tags.txt`) in its groups, as the editor
/// offers it and saves check against it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vocabulary {
    /// Each group's heading (if any) and tags, in the file's order.
    pub groups: Vec<(Option<String>, Vec<String>)>,
}

impl Vocabulary {
    /// The vocabulary of a `tags.txt` text ([`content::tag_groups`]).
    pub fn parse(text: &str) -> Vocabulary {
        let groups = content::tag_groups(text)
            .into_iter()
            .map(|group| (group.heading.map(String::from), group.tags.into_iter().map(String::from).collect()))
            .collect();
        Vocabulary { groups }
    }

    /// No vocabulary: any tag is accepted.
    pub fn is_empty(&self) -> bool {
        self.groups.iter().all(|(_, tags)| tags.is_empty())
    }

    /// Whether `tag` is in it.
    pub fn contains(&self, tag: &str) -> bool {
        self.groups.iter().any(|(_, tags)| tags.iter().any(|known| known == tag))
    }

    /// The tags of `chosen` that it does not have (none when it is empty).
    pub fn unknown<'a>(&self, chosen: &'a [String]) -> Vec<&'a str> {
        if self.is_empty() {
            return Vec::new();
        }
        chosen.iter().map(String::as_str).filter(|tag| !self.contains(tag)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticked_and_typed_tags_make_one_list_and_dates_must_be_dates() {
        let fields = Fields {
            title: " 标题 ".into(),
            tags: vec!["网购".into(), "退货，预付卡".into(), " ".into()],
            regions: "全国、上海".into(),
            date: "2026-03-10".into(),
            action: "publish".into(),
            ..Fields::new(Kind::Warning)
        };
        let (edit, action) = fields.to_edit().unwrap();
        assert_eq!(edit.meta.tags, ["网购", "退货", "预付卡"]);
        assert_eq!(edit.meta.regions, ["全国", "上海"]);
        assert_eq!((edit.meta.title.as_str(), edit.kind, action), ("标题", Kind::Warning, Action::Publish));
        let checked = Fields { checked: "2026-11-20".into(), ..fields.clone() }.to_edit().unwrap().0;
        assert_eq!(checked.meta.checked, content::date_format::parse("2026-11-20"), "the day checked is kept");
        assert_eq!(edit.meta.checked, None, "left empty, the publisher sets the day of publication");
        let error = Fields { expires: "明年".into(), ..fields }.to_edit().unwrap_err();
        assert_eq!(error, "有效期“明年”不是日期，请写成 2026-03-10");
        let unscheduled = Fields { action: "schedule".into(), ..Fields::new(Kind::Guide) };
        assert!(unscheduled.to_edit().unwrap_err().starts_with("定时发布需要填写发布时间"));
    }

    #[test]
    fn the_vocabulary_knows_its_tags_and_names_the_others() {
        let vocabulary = Vocabulary::parse("# 领域\n网购 外卖\n# 问题\n预付卡\n");
        assert_eq!(vocabulary.groups[1], (Some("问题".to_string()), vec!["预付卡".to_string()]));
        let chosen = ["网购".to_string(), "少儿游泳".to_string()];
        assert_eq!(vocabulary.unknown(&chosen), ["少儿游泳"]);
        assert!(Vocabulary::parse("# only a comment\n").unknown(&chosen).is_empty(), "no vocabulary, no refusal");
    }
}
