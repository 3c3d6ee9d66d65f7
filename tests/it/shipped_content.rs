//! The knowledge base that ships in `content/`: enough of each kind, complete
//! front matter, tags from the shared vocabulary, and citations that resolve
//! against the official texts.

use std::path::{Path, PathBuf};

use weiquan::clock::Clock;
use weiquan::content::citations::{self, CitedLaw};
use weiquan::content::{self, Document, Kind};
use weiquan::search::analyzer::Analyzer;

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("content")
}

fn is_digest(doc: &Document) -> bool {
    doc.kind == Kind::Guide && doc.meta.tags.iter().any(|t| t == "法律速览")
}

/// The laws each document cites by name.
fn cited_names(doc: &Document) -> Vec<String> {
    citations::extract(&doc.body, &|_| false)
        .into_iter()
        .filter_map(|c| match c.law {
            CitedLaw::Named(name) => Some(name),
            CitedLaw::This => None,
        })
        .collect()
}

#[test]
fn the_shipped_knowledge_base_is_complete() {
    let loaded = content::load(&[shipped()], Clock::default().today(), &|_, _| {}).unwrap();
    let problems: Vec<String> = loaded
        .problems
        .iter()
        .chain(&loaded.unknown_tags())
        .chain(&citations::dangling(&loaded.documents, &|name| Analyzer::for_content(&loaded).law_title(name).into()))
        .map(|p| p.to_string())
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");

    let count = |keep: &dyn Fn(&Document) -> bool| loaded.documents.iter().filter(|d| keep(d)).count();
    assert!(count(&|d| d.kind == Kind::Warning) >= 30, "warnings");
    assert!(count(&|d| d.kind == Kind::Guide && !is_digest(d)) >= 20, "rights guides");
    assert!(count(&|d| is_digest(d)) >= 12, "law digests");
    assert!(count(&|d| d.kind == Kind::Case) >= 15, "cases");
    assert!(loaded.vocabulary().len() >= 60, "the tag vocabulary is listed in content/tags.txt");

    for doc in &loaded.documents {
        let id = &doc.id;
        let meta = &doc.meta;
        assert!(meta.summary.as_deref().is_some_and(|s| s.chars().count() >= 20), "{id}: summary");
        // A case is dated only when its source gives the date of judgment or publication.
        assert!(meta.date.is_some() || doc.kind == Kind::Case, "{id}: date");
        assert!(!meta.tags.is_empty() && !meta.regions.is_empty(), "{id}: tags and regions");
        match doc.kind {
            Kind::Warning => {
                assert!(meta.severity.is_some(), "{id}: severity");
                assert_eq!(meta.source.as_deref(), Some("本站编写"), "{id}: warnings say who wrote them");
                for section in ["## 发生了什么", "## 已经遇到了怎么办", "## 相关法律"] {
                    assert!(doc.body.contains(section), "{id}: {section}");
                }
                assert!(doc.body.contains("12315"), "{id}: where to complain");
            }
            Kind::Case => assert!(meta.cause.is_some(), "{id}: cause of action"),
            Kind::Guide | Kind::Law => {}
        }
        if doc.kind != Kind::Case {
            assert!(!cited_names(doc).is_empty(), "{id}: cites no article");
        }
    }
}

/// Documents that overlap (issue 22) link each other under 相关内容, which
/// ranks by shared cited articles, cited laws and tags.
#[test]
fn overlapping_documents_link_each_other_as_related() {
    let index = crate::common::index_of(shipped());
    let groups: [&[&str]; 4] = [
        &["guides/car-three-guarantees", "guides/law-car-three-guarantees"],
        &[
            "guides/prepaid-card-refund",
            "guides/law-prepaid-consumption-interpretation",
            "warnings/prepaid-card-gym",
            "warnings/training-school-prepaid",
        ],
        &["warnings/fake-customer-service-refund", "warnings/return-shipping-insurance-scam"],
        &["warnings/elderly-health-product-seminar", "warnings/free-gift-trap"],
    ];
    let href = |_: weiquan::search::CitationTarget| String::new();
    let mut missing = Vec::new();
    for group in groups {
        for id in group {
            let page = index.engine.document(id, &href).unwrap().unwrap_or_else(|| panic!("{id} is indexed"));
            let related: Vec<&str> = page.related.iter().map(|r| r.id.as_str()).collect();
            for other in group.iter().filter(|other| *other != id) {
                if !related.contains(other) {
                    missing.push(format!("{id} does not link {other}: {related:?}"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}

/// Every shipped case retells an official case of the corpus, named by its
/// title (the `# ` line of its file in `案例/`), so search can put the two
/// together.
#[test]
fn the_shipped_cases_retell_cases_of_the_corpus() {
    let Some(corpus) = crate::common::corpus() else { return };
    let loaded = content::load(&[corpus.clone(), shipped()], Clock::default().today(), &|_, _| {}).unwrap();
    let ours: Vec<&Document> =
        loaded.documents.iter().filter(|d| d.kind == Kind::Case && d.path.starts_with(shipped())).collect();
    assert!(!ours.is_empty());
    for case in ours {
        assert!(case.meta.retells.is_some(), "{}: no `retells`", case.id);
    }
    let unknown: Vec<String> = loaded.unknown_retold(&[&corpus]).iter().map(|p| p.to_string()).collect();
    assert!(unknown.is_empty(), "{unknown:#?}");
}
