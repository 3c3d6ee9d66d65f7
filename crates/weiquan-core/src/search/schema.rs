//! The index schema: one tantivy document per search unit (an article, or a
//! whole case, warning or guide).

use tantivy::schema::{
    FAST, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use super::analyzer::{BIGRAMS, WORDS};

/// Bumped whenever the schema or the analysers change: an index with another
/// version is rebuilt, never misread.
pub const SCHEMA_VERSION: u32 = 14;

/// Every field, resolved once.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub(crate) doc_id: Field,
    pub(crate) anchor: Field,
    pub(crate) kind: Field,
    pub(crate) level: Field,
    pub(crate) status: Field,
    pub(crate) regions: Field,
    pub(crate) tags: Field,
    pub(crate) facets: Field,
    pub(crate) date: Field,
    pub(crate) authority: Field,
    pub(crate) in_force: Field,
    pub(crate) cited: Field,
    pub(crate) consumer: Field,
    pub(crate) flags: Field,
    pub(crate) kind_code: Field,
    pub(crate) tie: Field,
    pub(crate) place: Field,
    pub(crate) title: Field,
    pub(crate) article: Field,
    pub(crate) heading: Field,
    pub(crate) chapter: Field,
    pub(crate) summary: Field,
    pub(crate) particulars: Field,
    pub(crate) questions: Field,
    pub(crate) asked: Field,
    pub(crate) body: Field,
    pub(crate) source: Field,
    pub(crate) severity: Field,
    pub(crate) issuer: Field,
    pub(crate) expires: Field,
    pub(crate) pinned: Field,
    pub(crate) urgent: Field,
    pub(crate) kiosks: Field,
    pub(crate) visible_from: Field,
    pub(crate) title_key: Field,
    pub(crate) article_number: Field,
    pub(crate) version_of: Field,
    pub(crate) cites: Field,
    pub(crate) cites_law: Field,
    pub(crate) grams: Field,
}

/// Region value given to documents that name no region: they apply everywhere.
pub const NATIONWIDE: &str = "全国";

/// Builds the schema.
pub fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    // Words without positions: ranking needs term frequencies only; phrases
    // are matched on `grams`, which has positions.
    let words = |stored: bool| {
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(WORDS).set_index_option(IndexRecordOption::WithFreqs),
        );
        if stored { options.set_stored() } else { options }
    };
    let fields = Fields {
        // The document's id (path under its root): stored for results, and a
        // raw term so one document's units can be deleted and replaced.
        doc_id: builder.add_text_field("doc_id", STRING | STORED),
        // The unit's anchor within the document page (第二十五条).
        anchor: builder.add_text_field("anchor", STORED),
        // Exact-match filters: raw terms, stored for display.
        kind: builder.add_text_field("kind", STRING | STORED),
        level: builder.add_text_field("level", STRING | STORED),
        status: builder.add_text_field("status", STRING | STORED),
        // Multi-valued filters; documents naming no region get 全国.
        regions: builder.add_text_field("regions", STRING | STORED),
        tags: builder.add_text_field("tags", STRING | STORED),
        // /kind/law, /level/rule, /status/current, /tag/预付卡: counted per
        // query by a facet collector.
        facets: builder.add_facet_field("facets", FacetOptions::default()),
        // yyyymmdd (0 when unknown): range filters and sorting by date.
        date: builder.add_i64_field("date", INDEXED | FAST | STORED),
        // Query-independent features of the ranking model (`rank::Feature`),
        // read per candidate from columns. The rank of the source in the
        // hierarchy of norms (1 law .. 0.3 local), ...
        authority: builder.add_f64_field("authority", FAST),
        // ... 1 when the text is in force, 0.5 not yet, 0 amended or repealed, ...
        in_force: builder.add_f64_field("in_force", FAST),
        // ... ln(1 + documents of other laws, cases, guides and warnings
        // citing the article): its place in the citation graph, ...
        cited: builder.add_f64_field("cited", FAST),
        // ... how much the law is about consumers: 1 for the consumer-law
        // core (`core-laws.txt`), else by how many shipped guides, warnings
        // and cases cite it, ...
        consumer: builder.add_f64_field("consumer", FAST),
        // ... kinds of passage (`rank::flags`: local regulation, text
        // outside articles, omnibus amending decision), ...
        flags: builder.add_u64_field("flags", FAST),
        // ... the document kind as a number (`rank::kind_code`), ...
        kind_code: builder.add_u64_field("kind_code", FAST),
        // ... a stable hash of the unit's id (`text::stable_hash`), which
        // orders units that score alike the same way whatever segments the
        // build wrote them to ...
        tie: builder.add_u64_field("tie", FAST),
        // ... and, for a local regulation, the places it binds (its province
        // and the city its title names), space-separated.
        place: builder.add_text_field("place", STRING | FAST),
        // Ranked fields, heaviest first: the document title ...
        title: builder.add_text_field("title", words(true)),
        // ... the article label as written, for display only ...
        article: builder.add_text_field("article", STORED),
        // ... the article label and chapter path, searchable ...
        heading: builder.add_text_field("heading", words(false)),
        // ... the chapter path for display ...
        chapter: builder.add_text_field("chapter", STORED),
        // ... the summary, stored for listings, and tags and case particulars
        // (court, case number, cause), ranked like it ...
        summary: builder.add_text_field("summary", words(true)),
        particulars: builder.add_text_field("particulars", words(false)),
        // ... the typical questions (常见问题) of a guide or warning, in
        // readers' words, one per line; the page reads them from the file,
        // so they are not stored ...
        questions: builder.add_text_field("questions", words(false)),
        // ... the words of judged questions an article answers
        // (`rank::asked`, from the content roots' `asked.txt`), each as
        // often as it was asked, up to three times ...
        asked: builder.add_text_field("asked", words(false)),
        // ... and the unit's own text, stored for snippets.
        body: builder.add_text_field("body", words(true)),
        // The file the document was read from, to render its page.
        source: builder.add_text_field("source", STORED),
        // Warnings: severity for display, expiry (yyyymmdd, 0 = none) and the
        // pinned flag for the list of warnings in force.
        severity: builder.add_text_field("severity", STRING | STORED),
        // A warning's issuer (发布单位), credited on kiosk slides and in the feed.
        issuer: builder.add_text_field("issuer", STORED),
        expires: builder.add_i64_field("expires", INDEXED | FAST | STORED),
        pinned: builder.add_bool_field("pinned", FAST | STORED),
        urgent: builder.add_bool_field("urgent", STORED),
        // The kiosks a warning is for (empty: every kiosk of its regions).
        kiosks: builder.add_text_field("kiosks", STRING | STORED),
        // Scheduled publishing: the unit is public from this time (unix
        // seconds, 0 = always); searches filter on it, so nothing has to be
        // reindexed when the time comes.
        visible_from: builder.add_i64_field("visible_from", INDEXED | FAST),
        // Article lookup (消保法第五十五条): the normalised short title (without
        // 中华人民共和国) as a raw term, and the article number.
        title_key: builder.add_text_field("title_key", STRING),
        article_number: builder.add_i64_field("article_number", INDEXED),
        // On the first unit of each law: its title and part, so one query
        // lists every version of a law, one hit per document.
        version_of: builder.add_text_field("version_of", STRING),
        // Articles the unit cites, as `title key#number`, and the cited laws:
        // the backlinks (引用本条) of a law's articles.
        cites: builder.add_text_field("cites", STRING | STORED),
        cites_law: builder.add_text_field("cites_law", STRING),
        // Character pairs of all of the above, with positions: finds any
        // fragment inside a jieba word, and matches quoted phrases.
        grams: builder.add_text_field(
            "grams",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(BIGRAMS)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            ),
        ),
    };
    (builder.build(), fields)
}
