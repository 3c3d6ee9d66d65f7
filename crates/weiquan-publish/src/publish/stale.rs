//! Which warnings and guides cite an article whose words or number changed
//! since the text they cite (需复核), for the admin list. The official texts
//! are reduced once and kept until their files change: reading the whole
//! corpus takes seconds, a list view must not.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::NaiveDate;

use weiquan_core::content::{self, Loaded};
use weiquan_core::corpus::changes::{self, Laws};

/// The laws of the content roots other than the staff folder, reduced, with
/// what they were read from: the roots' fingerprint and the day (a text not
/// yet in force takes effect on a day).
#[derive(Default)]
pub(crate) struct OfficialLaws(Mutex<Option<(String, NaiveDate, Arc<Laws>)>>);

impl OfficialLaws {
    /// The laws of `roots` on `today`, read again only when their files
    /// changed or the day did.
    fn get(&self, roots: &[PathBuf], today: NaiveDate) -> Result<Arc<Laws>, content::Error> {
        let fingerprint = content::fingerprint(roots)?;
        // Held while loading, so that two list views do not both read the corpus.
        let mut cached = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((seen, day, laws)) = cached.as_ref()
            && *seen == fingerprint
            && *day == today
        {
            return Ok(laws.clone());
        }
        let laws = Arc::new(Laws::new(&content::load(roots, today, &|_, _| {})?));
        *cached = Some((fingerprint, today, laws.clone()));
        Ok(laws)
    }

    /// For each document of the staff folder (`staff`, as loaded) that cites
    /// an article which changed, the changed citations as the report words
    /// them, by document id. The official texts are the content roots
    /// other than the staff folder. When they cannot be read, nothing is
    /// marked and the reason is logged: the list still works.
    pub(crate) fn stale(&self, roots: &[PathBuf], staff: &Loaded, today: NaiveDate) -> HashMap<String, Vec<String>> {
        let mut laws = match self.get(roots, today) {
            Ok(laws) => Laws::clone(&laws),
            Err(error) => {
                tracing::warn!(%error, "cannot read the official texts to mark documents 需复核");
                Laws::default()
            }
        };
        laws.extend(Laws::new(staff));
        changes::review(&laws, &staff.documents)
            .0
            .into_iter()
            .map(|stale| (stale.id, stale.citations.iter().map(ToString::to_string).collect()))
            .collect()
    }
}
