//! What a document's page is made of: the [`DocumentPage`] that
//! [`Engine::document`](super::Engine::document) answers with, the other
//! documents it links to ([`Related`], [`FollowedLaw`], [`Version`],
//! [`CitedBy`]), and where a citation in its text leads ([`CitationTarget`]).

use chrono::NaiveDate;
use serde::Serialize;

use crate::content::render::TocEntry;
use crate::content::{self, Kind, Status};

/// A document ready for its page.
#[derive(Debug, Clone)]
pub struct DocumentPage {
    /// The document.
    pub document: content::Document,
    /// Safe HTML of the body; laws have an anchor per article.
    pub html: String,
    /// The table of contents of a law with articles; empty for other documents.
    pub toc: Vec<TocEntry>,
    /// Other documents to read with this one.
    pub related: Vec<Related>,
    /// Guides and warnings: the laws the document cites, in the versions
    /// the index holds (依据的法规版本), in the order first cited.
    pub followed: Vec<FollowedLaw>,
    /// All versions of a law, newest first, this one included.
    pub versions: Vec<Version>,
    /// Documents citing each of a law's articles.
    pub cited_by: Vec<CitedBy>,
    /// A guide's or warning's typical questions (常见问题), each with the
    /// section that answers it.
    pub questions: Vec<Question>,
    /// Read from an official law collection (LawRefBook) rather than written
    /// by this project.
    pub official: bool,
    /// A case this project retells in plain words: the id of the official
    /// case it retells (`retells`), when the index holds it.
    pub retold: Option<String>,
}

/// A typical question of a guide or warning and the section of its page
/// that answers it: the one the index files the question under
/// ([`crate::content::questions::answering_section`]), so a reader who
/// taps the question lands on the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Question {
    /// The question, in readers' words.
    pub text: String,
    /// The `id` of the heading of the section that answers it; `null` when
    /// no section holds its words.
    pub anchor: Option<String>,
}

/// A link to another document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[allow(missing_docs, reason = "doc comments here would change /api/openapi.json (tests/it/snapshots)")]
pub struct Related {
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: Kind,
    pub title: String,
}

/// A law a document cites, as the index holds it: the version that
/// citations of it resolve to (its newest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[allow(missing_docs, reason = "doc comments here would change /api/openapi.json (tests/it/snapshots)")]
pub struct FollowedLaw {
    pub id: String,
    pub title: String,
    /// The version's date, YYYY-MM-DD.
    #[serde(serialize_with = "content::date_format::option::serialize")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub date: Option<NaiveDate>,
    /// current | amended | repealed | pending
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub status: Option<Status>,
}

/// The documents that cite one article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[allow(missing_docs, reason = "doc comments here would change /api/openapi.json (tests/it/snapshots)")]
pub struct CitedBy {
    /// The article's label and anchor: 第二十五条.
    pub anchor: String,
    pub documents: Vec<Related>,
}

/// Where a citation leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CitationTarget {
    /// An article of an indexed law.
    Article {
        /// The law's document id.
        id: String,
        /// The article's anchor on the law's page.
        anchor: String,
    },
    /// A law that is not indexed: a search for the citation.
    Search {
        /// The query to search for.
        query: String,
    },
}

/// One version of a law.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[allow(missing_docs, reason = "doc comments here would change /api/openapi.json (tests/it/snapshots)")]
pub struct Version {
    pub id: String,
    /// YYYY-MM-DD
    #[serde(serialize_with = "content::date_format::option::serialize")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub date: Option<NaiveDate>,
    /// current | amended | repealed | pending
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub status: Option<Status>,
}
