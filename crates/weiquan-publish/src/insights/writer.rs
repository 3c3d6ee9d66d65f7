//! The writer thread: the events of [`super::Insights`], written in
//! batches on a connection of its own.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use super::Event;
use crate::db::database::{Database, Fault};
use crate::db::sql::{Executor, SqlError, insert_rows};
use crate::db::stamp;

/// Events inserted in one transaction at most.
const BATCH: usize = 500;

/// The pauses before each new try of a batch while the server cannot be
/// reached: at once (the connection was lost, the server is there), then
/// five times a second apart, since a restart takes a second or two and
/// the queue holds the events that arrive meanwhile.
const RETRY_PAUSES: [Duration; 6] = [
    Duration::ZERO,
    Duration::from_secs(1),
    Duration::from_secs(1),
    Duration::from_secs(1),
    Duration::from_secs(1),
    Duration::from_secs(1),
];

/// Writes the events in batches, one transaction each, until every sender
/// is gone. A batch that meets a lost server connection is written again
/// on a new one (its transaction was undone), after each of
/// [`RETRY_PAUSES`]. A batch the database still refuses is counted in
/// `dropped`.
pub(super) fn write_events(database: &Database, events: Receiver<Event>, dropped: &AtomicU64) {
    while let Ok(first) = events.recv() {
        let mut batch = vec![first];
        batch.extend(events.try_iter().take(BATCH - 1));
        let write = || database.transaction(false, |db| insert(db, &batch)).and_then(|done| done);
        let mut written = write();
        for pause in RETRY_PAUSES {
            if !matches!(&written, Err(error) if error.is_unavailable()) {
                break;
            }
            std::thread::sleep(pause);
            written = write();
        }
        if let Err(error) = written {
            let lost = batch.iter().filter(|event| !matches!(event, Event::Flush(_))).count();
            dropped.fetch_add(lost as u64, Ordering::Relaxed);
            tracing::warn!(%error, events = lost, "cannot record insights");
        }
        for event in &batch {
            if let Event::Flush(done) = event {
                let _ = done.send(());
            }
        }
    }
}

fn insert(db: &dyn Executor, batch: &[Event]) -> Result<(), SqlError> {
    let (mut searches, mut topics) = (Vec::new(), Vec::new());
    for event in batch {
        if let Event::Search(s) = event {
            let (channel, kiosk) = s.channel.columns();
            let at = stamp(s.at);
            searches.push(vec![
                at.as_str().into(),
                s.query.as_str().into(),
                (s.results as i64).into(),
                channel.into(),
                kiosk.into(),
                s.region.as_deref().into(),
                s.search_ref.as_str().into(),
            ]);
            topics.extend(
                s.topics
                    .iter()
                    .map(|topic| vec![at.as_str().into(), s.search_ref.as_str().into(), topic.as_str().into()]),
            );
        }
    }
    insert_rows(db, "searches", "at, query, results, channel, kiosk, region, search_ref", &searches)?;
    insert_rows(db, "topics", "at, search_ref, topic", &topics)?;
    // Opens after the searches they may belong to.
    for event in batch {
        match event {
            Event::Open(o) => {
                // One open per recorded search; both lookups are on indexes.
                // (Two machines recording the same search's first open in
                // the same instant could both keep theirs.)
                db.execute(
                    "INSERT INTO opens (at, search_ref, position, doc) \
                     SELECT CAST(?1 AS TEXT), CAST(?2 AS TEXT), CAST(?3 AS BIGINT), CAST(?4 AS TEXT) \
                     WHERE EXISTS (SELECT 1 FROM searches WHERE search_ref = ?2) \
                     AND NOT EXISTS (SELECT 1 FROM opens WHERE search_ref = ?2)",
                    &[
                        stamp(o.at).into(),
                        o.search_ref.as_str().into(),
                        i64::from(o.position).into(),
                        o.doc.as_str().into(),
                    ],
                )?;
            }
            Event::Feedback(f) => {
                db.execute(
                    "INSERT INTO feedback (at, doc, helpful, comment) VALUES (?1, ?2, ?3, ?4)",
                    &[stamp(f.at).into(), f.doc.as_str().into(), f.helpful.into(), f.comment.as_str().into()],
                )?;
            }
            Event::Search(_) | Event::Flush(_) => {}
        }
    }
    Ok(())
}
