//! The query parser, the normaliser, article references and query building
//! (with the built-in lexicon) on any text.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use weiquan::search::analyzer::{Analyzer, Lexicon};
use weiquan::search::{query, schema};

fn analyzer() -> &'static Analyzer {
    static ANALYZER: OnceLock<Analyzer> = OnceLock::new();
    ANALYZER.get_or_init(|| Analyzer::new(&Lexicon::with_builtin("", "", "")))
}

fuzz_target!(|text: &str| {
    let normalized = weiquan::text::normalize(text);
    assert_eq!(weiquan::text::normalize(&normalized), normalized, "normalising is idempotent");
    let _ = query::article_reference(text);
    let parsed = query::parse(text);
    let (_, fields) = schema::schema();
    let _ = query::build(&parsed, analyzer(), &fields, true);
});
