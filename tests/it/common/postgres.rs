//! The PostgreSQL test server that `WEIQUAN_TEST_POSTGRES` names (started
//! by `scripts/postgres-test.sh`; `.ci/run` does it).

use std::sync::atomic::{AtomicUsize, Ordering};

/// The URL of a fresh schema of its own on the test server, for `test`.
/// `None` (with a printed notice) without a server outside CI; in CI
/// (`CI=true`) a missing server fails the test.
pub(crate) fn postgres_url(test: &str) -> Option<String> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let Ok(url) = std::env::var("WEIQUAN_TEST_POSTGRES") else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{test}: WEIQUAN_TEST_POSTGRES is not set: CI must start PostgreSQL (scripts/postgres-test.sh)");
        }
        eprintln!("NOTICE: {test} not run: no PostgreSQL (set WEIQUAN_TEST_POSTGRES)");
        return None;
    };
    let schema = format!("it_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    // The synchronous client runs a runtime of its own: not on an async test's thread.
    let (server, sql) = (url.clone(), format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"));
    std::thread::spawn(move || {
        let mut admin = postgres::Client::connect(&server, postgres::NoTls).expect("the test server answers");
        admin.batch_execute(&sql).unwrap();
    })
    .join()
    .unwrap();
    // Every connection made from this URL works in the schema.
    Some(format!("{url}?options=-c%20search_path%3D{schema}"))
}
