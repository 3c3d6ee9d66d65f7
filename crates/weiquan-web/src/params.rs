//! Query parameters shared by the API and the pages, turned into engine
//! requests with clear errors.

use chrono::NaiveDate;
use serde::Deserialize;

use super::error::WebError;
use weiquan_core::content::{Kind, Level, Status, date_format};
use weiquan_core::search::{MAX_PER_PAGE, SearchRequest, Sort};

/// `/api/search` and `/search` parameters. Every value arrives as text and
/// is checked here, so a bad value gets a message instead of a rejection.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The query: words, "quoted phrases", -exclusions, OR.
    pub q: Option<String>,
    /// law, case, warning, guide; repeat or separate with commas.
    #[serde(default)]
    pub kind: Vec<String>,
    /// law, regulation, rule, interpretation, local, other.
    #[serde(default)]
    pub level: Vec<String>,
    /// current, amended, repealed, pending.
    #[serde(default)]
    pub status: Vec<String>,
    /// A region (北京); nationwide documents always match.
    #[serde(default)]
    pub region: Vec<String>,
    #[serde(default)]
    pub tag: Vec<String>,
    /// YYYY-MM-DD, inclusive.
    pub from: Option<String>,
    /// YYYY-MM-DD, inclusive.
    pub to: Option<String>,
    /// relevance (default) or date.
    pub sort: Option<String>,
    /// 1-based, default 1.
    pub page: Option<String>,
    /// 1 to 100, default 10.
    pub per_page: Option<String>,
    /// 0 to search only the words as typed, without synonyms (default 1).
    pub expand: Option<String>,
    /// 1 to give each hit the features and weights of its score (default 0).
    pub explain: Option<String>,
    /// The kiosk searching (its id), counted as that kiosk in staff insights.
    pub kiosk: Option<String>,
}

/// A 1/0 parameter; `default` when absent or empty.
fn switch(value: Option<&str>, name: &str, default: bool) -> Result<bool, WebError> {
    match value {
        None | Some("") => Ok(default),
        Some("1") | Some("true") => Ok(true),
        Some("0") | Some("false") => Ok(false),
        Some(other) => Err(WebError::bad_request(
            "invalid_parameter",
            format!("参数 {name} 的值“{other}”无效，可用：1, 0"),
            format!("invalid {name} `{other}`: use 1 or 0"),
        )),
    }
}

fn values(raw: &[String]) -> impl Iterator<Item = &str> {
    raw.iter().flat_map(|v| v.split(',')).map(str::trim).filter(|v| !v.is_empty())
}

fn labels<T>(raw: &[String], name: &str, allowed: &str, parse: fn(&str) -> Option<T>) -> Result<Vec<T>, WebError> {
    values(raw)
        .map(|value| {
            parse(value).ok_or_else(|| {
                WebError::bad_request(
                    "invalid_parameter",
                    format!("参数 {name} 的值“{value}”无效，可用：{allowed}"),
                    format!("invalid {name} `{value}`: use {allowed}"),
                )
            })
        })
        .collect()
}

fn number(raw: Option<&str>, name: &str, default: usize, max: usize) -> Result<usize, WebError> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else { return Ok(default) };
    raw.parse::<usize>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
        WebError::bad_request(
            "invalid_parameter",
            format!("参数 {name} 必须是 1 到 {max} 之间的整数"),
            format!("{name} must be a whole number from 1 to {max}"),
        )
    })
}

fn date(raw: Option<&str>, name: &str) -> Result<Option<NaiveDate>, WebError> {
    match raw.filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(raw) => date_format::parse(raw).map(Some).ok_or_else(|| {
            WebError::bad_request(
                "invalid_parameter",
                format!("参数 {name} 的日期格式应为 YYYY-MM-DD"),
                format!("{name} must be a date as YYYY-MM-DD"),
            )
        }),
    }
}

impl SearchParams {
    /// The regions asked for (repeated or separated by commas).
    pub fn regions(&self) -> impl Iterator<Item = &str> {
        values(&self.region)
    }

    pub fn query(&self) -> &str {
        self.q.as_deref().unwrap_or("")
    }

    /// The engine request these parameters ask for.
    pub fn to_request(&self) -> Result<SearchRequest, WebError> {
        let sort = match self.sort.as_deref() {
            None | Some("") | Some("relevance") => Sort::Relevance,
            Some("date") => Sort::Date,
            Some(other) => {
                return Err(WebError::bad_request(
                    "invalid_parameter",
                    format!("参数 sort 的值“{other}”无效，可用：relevance, date"),
                    format!("invalid sort `{other}`: use relevance or date"),
                ));
            }
        };
        let request = SearchRequest {
            query: self.query().to_string(),
            kinds: labels(&self.kind, "kind", "law, case, warning, guide", Kind::parse)?,
            levels: labels(&self.level, "level", "law, regulation, rule, interpretation, local, other", Level::parse)?,
            statuses: labels(&self.status, "status", "current, amended, repealed, pending", Status::parse)?,
            regions: self.regions().map(String::from).collect(),
            tags: values(&self.tag).map(String::from).collect(),
            from: date(self.from.as_deref(), "from")?,
            to: date(self.to.as_deref(), "to")?,
            sort,
            page: number(self.page.as_deref(), "page", 1, usize::MAX)?,
            per_page: number(self.per_page.as_deref(), "per_page", 10, MAX_PER_PAGE)?,
            expand: switch(self.expand.as_deref(), "expand", true)?,
            explain: switch(self.explain.as_deref(), "explain", false)?,
        };
        request.validate()?;
        Ok(request)
    }
}

/// A document id from a URL: a relative path without `..`, `.` or empty parts.
pub fn document_id(raw: &str) -> Result<&str, WebError> {
    let valid = !raw.is_empty()
        && raw.len() <= 512
        && !raw.contains('\\')
        && !raw.chars().any(char::is_control)
        && raw.split('/').all(|part| !part.is_empty() && part != "." && part != "..");
    if valid { Ok(raw) } else { Err(WebError::bad_request("invalid_id", "文档编号无效", "invalid document id")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> SearchParams {
        let query = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        serde_html_form::from_str(&query).unwrap()
    }

    #[test]
    fn repeated_and_comma_separated_values() {
        let request = params(&[("q", "预付卡"), ("kind", "law,case"), ("kind", "warning"), ("sort", "date")])
            .to_request()
            .unwrap();
        assert_eq!(request.kinds, [Kind::Law, Kind::Case, Kind::Warning]);
        assert_eq!(request.sort, Sort::Date);
        assert_eq!((request.page, request.per_page), (1, 10));
    }

    #[test]
    fn bad_values_are_explained_in_both_languages() {
        for pairs in [
            vec![("page", "0")],
            vec![("per_page", "100000")],
            vec![("kind", "foo")],
            vec![("from", "2024-02-01"), ("to", "2024-01-01")],
            vec![("from", "yesterday")],
            vec![("sort", "random")],
            vec![("expand", "maybe")],
            vec![("page", "-1")],
        ] {
            let error = params(&pairs).to_request().unwrap_err();
            assert_eq!(error.status, 400, "{pairs:?}");
            assert!(!error.message.is_empty() && !error.message_en.is_empty());
        }
    }

    #[test]
    fn document_ids_cannot_leave_the_content() {
        assert!(document_id("warnings/prepaid-card").is_ok());
        assert!(document_id("民法商法/消费者权益保护法(2013-10-25)").is_ok());
        for bad in ["", "../etc/passwd", "a/../b", "a//b", "/abs", "a\\b", "a/./b"] {
            assert!(document_id(bad).is_err(), "{bad}");
        }
    }
}
