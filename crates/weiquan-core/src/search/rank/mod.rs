//! The ranking model, in two phases.
//!
//! 1. **Candidates.** The query of [`super::query::build`]: BM25 over the
//!    weighted fields of each query word, its expansions and its character
//!    pairs. tantivy's top-k gives the best [`CANDIDATES`] units; articles
//!    that the best-matching guides, warnings and cases cite join them
//!    (the *bridge*), and so do the [`NEIGHBOURS`] articles whose written
//!    questions come nearest the query ([`written`]).
//! 2. **Rescoring.** Each candidate gets the named [`Feature`]s
//!    ([`features::measure`]); its score is their sum weighted by the
//!    [`Model`], whose weights are fitted on the tune halves of the judged
//!    sets (`weiquan eval --fit`) and kept, with the figures that justified
//!    them, in `weights.toml`.

pub mod asked;
pub mod bm25;
pub mod features;
pub mod first_pass;
pub mod fit;
pub mod pipeline;
pub mod rare;
pub mod retold;
pub mod segments;
pub mod vocabulary;
pub mod written;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Serialize;

/// Units the first phase hands to the second. 600 until session 42, when
/// the written questions' neighbours and the bridge had come to bring in
/// what the larger pool used to find: at 300, nDCG@10 moved by 0.002 or
/// less on every judged set and the CPU of a search fell by a sixth
/// (docs/RELEVANCE.md, "300 candidates again").
pub const CANDIDATES: usize = 300;

/// Guides, warnings and cases whose citations join the candidates.
pub const BRIDGE_SOURCES: usize = 16;

/// Articles whose written questions come nearest the query that join the
/// candidates, found or not by the first phase: a question told in other
/// words than the law's reaches its article through the story it shares
/// with a written question (docs/RELEVANCE.md, "Written questions bring
/// their articles").
pub const NEIGHBOURS: usize = 30;

/// How near a unit's written questions must come to join as a neighbour
/// (the `similar_question` value, a sum of three closenesses): 0.2 changed no
/// figure of the tune halves and keeps out articles that share a character
/// or two with a short query.
pub const NEIGHBOUR_FLOOR: f32 = 0.2;

/// The best-matching guides and warnings measured for the answer's lead
/// (`search::answer`), beside the candidates.
pub const LEADS: usize = 4;

macro_rules! features {
    ($($(#[$doc:meta])* $variant:ident = $name:literal;)*) => {
        /// A measurement of how well a unit answers a query.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Feature {
            $($(#[$doc])* $variant,)*
        }

        impl Feature {
            /// Every feature, in the order of [`Features`]' values.
            pub const ALL: &'static [Feature] = &[$(Feature::$variant),*];

            /// The name used in `weights.toml`, `explain` and `--ablate`.
            pub fn name(self) -> &'static str {
                match self { $(Feature::$variant => $name),* }
            }
        }
    };
}

features! {
    /// BM25 of the query's own words in the title.
    Bm25Title = "bm25_title";
    /// ... in the article label and chapter path.
    Bm25Heading = "bm25_heading";
    /// ... in a guide's or warning's typical questions (常见问题).
    Bm25Questions = "bm25_questions";
    /// ... in the words of judged questions the article answers
    /// ([`asked`]).
    Bm25Asked = "bm25_asked";
    /// ... in the summary, tags and case particulars.
    Bm25Summary = "bm25_summary";
    /// ... in the unit's text.
    Bm25Body = "bm25_body";
    /// The first phase's score over the best candidate's.
    Bm25Relative = "bm25_relative";
    /// The share of the query's IDF mass that the unit holds: a rare word
    /// matched counts for more than several common ones.
    Coverage = "coverage";
    /// BM25 of the words the query was expanded to (synonyms, parts of
    /// compound words), each at its expansion weight.
    Expansion = "expansion";
    /// BM25 of the words the learned vocabulary expands the query to, each
    /// at the strength of its association.
    Learned = "learned";
    /// The share of adjacent query words found next to each other.
    Proximity = "proximity";
    /// The rank of the source: 1 for a law, less for regulations, rules and
    /// local regulations.
    Authority = "authority";
    /// 1 for a text in force, 0.5 for one not yet in force, 0 else.
    InForce = "in_force";
    /// ln(1 + documents citing the article).
    Cited = "cited";
    /// How much the law is about consumers (core list, shipped citations).
    Consumer = "consumer";
    /// [`Feature::Consumer`] × [`Feature::Coverage`]: the part of the
    /// consumer prior that counts only as far as the unit holds the query,
    /// so a consumer-law article the query barely touches no longer
    /// outranks the article it is about.
    ConsumerMatched = "consumer_matched";
    /// 1 for a local regulation of a place the query and its filters do not
    /// name.
    LocalElsewhere = "local_elsewhere";
    /// 1 for a warning past its last day in force.
    Expired = "expired";
    /// 1 for a law passage outside articles (preamble, appendix).
    NonArticle = "non_article";
    /// 1 for an omnibus amending decision, unless the query asks for a 决定.
    Omnibus = "omnibus";
    /// 1 for a case.
    Case = "case";
    /// 1 for a guide or a warning: one feature for both, as the judged
    /// sets grade neither, so the data could not tell them apart.
    GuideOrWarning = "guide_or_warning";
    /// How strongly a matching guide, warning or case cites the unit.
    Bridge = "bridge";
    /// How close the query comes to the closest questions written for the
    /// unit's article ([`written`]): the IDF of characters and character
    /// pairs shared with each, over the root of its length, summed over the
    /// [`written::NEAREST`] closest.
    SimilarQuestion = "similar_question";
    /// [`Feature::SimilarQuestion`] of a case, 0 for other units: a query
    /// that tells the story of a case's written questions asks what that
    /// case decided, where a case that only shares words with it does not.
    CaseStory = "case_story";
}

impl Feature {
    /// Whether the feature measures how well the unit matches the query, so
    /// that more of it is never evidence against the unit. Fitting keeps
    /// these weights at 0 or above: the judged sets judge only corpus
    /// articles and cases, so a negative weight on, say, the typical
    /// questions would only learn to hide the shipped guides, which the
    /// kind features already place.
    pub fn is_evidence(self) -> bool {
        matches!(
            self,
            Feature::Bm25Title
                | Feature::Bm25Heading
                | Feature::Bm25Questions
                | Feature::Bm25Asked
                | Feature::Bm25Summary
                | Feature::Bm25Body
                | Feature::Bm25Relative
                | Feature::Coverage
                | Feature::Expansion
                | Feature::Learned
                | Feature::Proximity
                | Feature::Bridge
                | Feature::SimilarQuestion
                | Feature::CaseStory
        )
    }
}

/// Number of features.
pub const COUNT: usize = Feature::ALL.len();

/// One unit's feature values, in [`Feature::ALL`] order.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Features(pub [f32; COUNT]);

impl Features {
    /// The value of `feature`.
    pub fn get(&self, feature: Feature) -> f32 {
        self.0[feature as usize]
    }

    /// Sets the value of `feature`.
    pub fn set(&mut self, feature: Feature, value: f32) {
        self.0[feature as usize] = value;
    }
}

/// The tier a unit is ranked in before its score: a local regulation of a
/// place the query and its filters do not name comes after every other
/// unit, however well it matches, so readers elsewhere are not sent to
/// another province's rules (issue 18's policy: "elsewhere they rank well
/// below national texts"); a warning no longer in force comes last of all,
/// so last season's alert never answers today's question (issue 21).
/// Within a tier the model's score decides.
pub fn tier(features: &Features) -> u8 {
    if features.get(Feature::Expired) > 0.0 { 2 } else { u8::from(features.get(Feature::LocalElsewhere) > 0.0) }
}

/// Bits of the `flags` column.
pub mod flags {
    /// A local regulation.
    pub const LOCAL: u64 = 1;
    /// A law passage outside articles.
    pub const NON_ARTICLE: u64 = 2;
    /// An omnibus amending decision (…等N件…的决定, 关于修改…的决定).
    pub const OMNIBUS: u64 = 4;
}

/// The `kind_code` column's value of each kind.
pub fn kind_code(kind: crate::content::Kind) -> u64 {
    match kind {
        crate::content::Kind::Law => 0,
        crate::content::Kind::Case => 1,
        crate::content::Kind::Guide => 2,
        crate::content::Kind::Warning => 3,
    }
}

/// Whether a law's title is an omnibus amending or repealing decision, which
/// holds many laws' changes and answers no everyday question.
pub fn is_omnibus(title: &str) -> bool {
    title.contains("决定") && (title.contains("修改") || title.contains("废止") || title.contains("修正"))
}

/// What the second phase measures for a query, filled by the query builder.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// The query's own words (concepts), each once.
    pub own: Vec<String>,
    /// Words the query was expanded to, with their weights.
    pub expanded: Vec<(String, f32)>,
    /// Words the learned vocabulary expands the query to, with their
    /// strengths.
    pub learned: Vec<(String, f32)>,
    /// Adjacent own words written together, for proximity.
    pub pairs: Vec<String>,
}

/// The weights of the features.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// One weight per feature, in [`Feature::ALL`] order.
    pub weights: [f32; COUNT],
}

/// The fitted weights, with the figures that justified them.
pub const WEIGHTS_FILE: &str = include_str!("weights.toml");

static BUILTIN: LazyLock<Model> = LazyLock::new(|| {
    Model::parse(WEIGHTS_FILE).expect("crates/weiquan-core/src/search/rank/weights.toml names every feature once")
});

impl Model {
    /// The weights compiled into the binary.
    pub fn builtin() -> &'static Model {
        &BUILTIN
    }

    /// Reads `[weights]` of a weights file: every feature, by name, once.
    pub fn parse(text: &str) -> Result<Model, String> {
        #[derive(serde::Deserialize)]
        struct File {
            weights: BTreeMap<String, f32>,
        }
        let file: File = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let mut weights = [0.0; COUNT];
        for (name, weight) in &file.weights {
            let feature =
                Feature::ALL.iter().find(|f| f.name() == name).ok_or_else(|| format!("unknown feature `{name}`"))?;
            weights[*feature as usize] = *weight;
        }
        if let Some(missing) = Feature::ALL.iter().find(|f| !file.weights.contains_key(f.name())) {
            return Err(format!("no weight for `{}`", missing.name()));
        }
        Ok(Model { weights })
    }

    /// The score of a unit with these features.
    pub fn score(&self, features: &Features) -> f32 {
        self.weights.iter().zip(features.0.iter()).map(|(w, f)| w * f).sum()
    }

    /// Whether `feature` counts in this model's score.
    pub fn weighs(&self, feature: Feature) -> bool {
        self.weights[feature as usize] != 0.0
    }

    /// The same model with `feature` turned off, for ablation.
    pub fn without(&self, feature: Feature) -> Model {
        let mut weights = self.weights;
        weights[feature as usize] = 0.0;
        Model { weights }
    }

    /// Each feature's value, weight and share of the score, for `explain`.
    pub fn explain(&self, features: &Features) -> Vec<Contribution> {
        Feature::ALL
            .iter()
            .map(|&feature| {
                let (value, weight) = (features.get(feature), self.weights[feature as usize]);
                Contribution { feature: feature.name(), value, weight, contribution: value * weight }
            })
            .filter(|c| c.value != 0.0)
            .collect()
    }

    /// The `[weights]` table, one line a feature.
    pub fn to_toml(&self) -> String {
        let mut text = String::from("[weights]\n");
        for feature in Feature::ALL {
            text.push_str(&format!("{} = {:.4}\n", feature.name(), self.weights[*feature as usize]));
        }
        text
    }
}

/// One feature's part in a hit's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[allow(missing_docs, reason = "doc comments here would change /api/openapi.json (tests/it/snapshots)")]
pub struct Contribution {
    pub feature: &'static str,
    pub value: f32,
    pub weight: f32,
    /// `value × weight`; the hit's score is the sum of these.
    pub contribution: f32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_weights_name_every_feature_once() {
        let model = Model::builtin();
        assert!(model.weights.iter().any(|w| *w != 0.0));
        assert_eq!(Model::parse(&model.to_toml()).unwrap(), *model, "written weights read back the same");
        assert!(Model::parse("[weights]\nbm25_title = 1.0").unwrap_err().starts_with("no weight for"));
        let unknown = format!("{}typo = 1.0\n", model.to_toml());
        assert_eq!(Model::parse(&unknown).unwrap_err(), "unknown feature `typo`");
    }

    #[test]
    fn the_score_is_the_weighted_sum_and_explain_adds_up() {
        let mut features = Features::default();
        features.set(Feature::Coverage, 0.5);
        features.set(Feature::Case, 1.0);
        let model = Model::builtin();
        let parts = model.explain(&features);
        assert_eq!(parts.len(), 2);
        let sum: f32 = parts.iter().map(|c| c.contribution).sum();
        assert!((sum - model.score(&features)).abs() < 1e-6);
        assert_eq!(model.without(Feature::Case).score(&features), parts[0].contribution);
    }

    #[test]
    fn omnibus_decisions_are_told_by_their_title() {
        assert!(is_omnibus(
            "最高人民法院关于修改《最高人民法院关于在民事审判工作中适用〈中华人民共和国工会法〉若干问题的解释》等二十七件民事类司法解释的决定"
        ));
        assert!(is_omnibus("全国人民代表大会常务委员会关于修改《中华人民共和国消费者权益保护法》的决定"));
        assert!(!is_omnibus("消费者权益保护法"));
        assert!(!is_omnibus("国务院关于加强食品安全工作的决定"));
    }
}
