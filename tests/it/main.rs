//! The integration tests, one binary (as meilisearch and ripgrep do): each
//! module drives the real parts (an index on disk, a server on loopback or
//! the router through `oneshot`, a real SQLite file, headless Chromium), and
//! tantivy, jieba, axum and rusqlite are linked once, not once per file.
//! Run one module with `cargo test --test it admin::`.

mod common;

mod accounts;
mod admin;
mod answer;
mod api;
mod api_json;
mod audit;
mod browser;
mod cli;
mod clock;
mod consumer_set;
mod content;
mod corpus;
mod corpus_update;
mod crash;
mod document_page;
mod index;
mod insights;
mod kiosk_browser;
mod limits;
mod no_results;
mod official_texts;
mod properties;
mod replicas;
mod retold;
mod search;
mod security;
mod shipped_content;
