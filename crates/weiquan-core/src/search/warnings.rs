//! The warnings the website, the feed, the API and the kiosks list: in
//! force on a day, for a region, in the order each of them shows them.

use chrono::NaiveDate;
use tantivy::TantivyDocument;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur};
use tantivy::schema::{Field, Value};

use super::build::date_from_number;
use super::{Engine, Error, MAX_RESULT_WINDOW, SearchRequest, WarningSummary, stored_label, stored_text};
use crate::content::{Kind, Severity};

impl Engine {
    /// Warnings in `order` ([`WarningOrder`]). With `active_on`, only those
    /// in force that day: dated that day or earlier and not expired. With
    /// `region`, only that region's and nationwide ones.
    pub fn warnings(
        &self,
        active_on: Option<NaiveDate>,
        region: Option<&str>,
        order: &WarningOrder,
    ) -> Result<Vec<WarningSummary>, Error> {
        let request = SearchRequest {
            kinds: vec![Kind::Warning],
            regions: region.map(String::from).into_iter().collect(),
            ..SearchRequest::default()
        };
        let query = BooleanQuery::new(
            self.filters(&request).into_iter().chain(self.visible()).map(|f| (Occur::Must, f)).collect(),
        );
        let searcher = self.reader.searcher();
        let addresses = searcher.search(&query, &TopDocs::with_limit(MAX_RESULT_WINDOW).order_by_score())?;
        let mut warnings = Vec::new();
        for (_, address) in addresses {
            let doc: TantivyDocument = searcher.doc(address)?;
            let number = |field: Field| doc.get_first(field).and_then(|v| v.as_i64()).unwrap_or(0);
            let (date, expires) = (number(self.fields.date), number(self.fields.expires));
            let text = |field: Field| stored_text(&doc, field);
            let all = |field: Field| doc.get_all(field).filter_map(|v| v.as_str()).map(String::from).collect();
            warnings.push(WarningSummary {
                id: text(self.fields.doc_id).unwrap_or_default(),
                title: text(self.fields.title).unwrap_or_default(),
                severity: stored_label(&doc, self.fields.severity, Severity::parse),
                issuer: text(self.fields.issuer),
                summary: text(self.fields.summary).filter(|s| !s.is_empty()),
                date: date_from_number(date),
                expires: date_from_number(expires),
                pinned: doc.get_first(self.fields.pinned).and_then(|v| v.as_bool()).unwrap_or(false),
                urgent: doc.get_first(self.fields.urgent).and_then(|v| v.as_bool()).unwrap_or(false),
                kiosks: all(self.fields.kiosks),
                regions: all(self.fields.regions),
                tags: all(self.fields.tags),
            });
        }
        warnings.retain(|w| active_on.is_none_or(|today| w.in_force(today)));
        match order {
            WarningOrder::Newest => {
                warnings.sort_by(|a, b| b.pinned.cmp(&a.pinned).then(b.date.cmp(&a.date)).then(a.id.cmp(&b.id)))
            }
            WarningOrder::Kiosk(kiosk) => {
                warnings.retain(|w| w.kiosks.is_empty() || w.kiosks.iter().any(|k| k == kiosk));
                warnings.sort_by(|a, b| {
                    b.urgent
                        .cmp(&a.urgent)
                        .then(b.pinned.cmp(&a.pinned))
                        .then(severity_rank(a.severity).cmp(&severity_rank(b.severity)))
                        .then(b.date.cmp(&a.date))
                        .then(a.id.cmp(&b.id))
                });
            }
        }
        Ok(warnings)
    }
}

/// Which warnings [`Engine::warnings`] lists, and in what order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarningOrder {
    /// Pinned first, then newest: the website's lists, the feed, the API.
    Newest,
    /// The loop of kiosk `id`: only warnings meant for it (or for every
    /// kiosk); urgent first, then pinned, then 预警, 警示, 提示, then newest.
    Kiosk(String),
}

/// 预警 before 警示 before 提示.
fn severity_rank(severity: Option<Severity>) -> u8 {
    match severity {
        Some(Severity::Alert) => 0,
        Some(Severity::Caution) => 1,
        Some(Severity::Info) | None => 2,
    }
}
