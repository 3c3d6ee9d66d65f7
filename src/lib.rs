//! 消费维权知识库 (`weiquan`): consumer-protection laws, court cases, consumer
//! warnings and rights guides, searchable in Chinese.
//!
//! The code lives in the workspace's crates; this library gathers their
//! modules under one name for the `weiquan` command, the integration tests,
//! the benchmarks and the examples. `weiquan-core` ([`text`], [`content`],
//! [`search`], [`corpus`], [`clock`]) knows nothing about HTTP;
//! `weiquan-publish` ([`db`], [`publish`], [`insights`]) keeps the staff
//! tables and the insights in SQLite or PostgreSQL; `weiquan-web` ([`web`]) is the website
//! and its JSON API.

pub use weiquan_core::{clock, content, corpus, search, text};
pub use weiquan_publish::{db, insights, publish};
pub use weiquan_web as web;
