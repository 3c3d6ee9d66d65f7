//! 消费维权知识库 (`weiquan`): consumer-protection laws, court cases, consumer
//! warnings and rights guides, searchable in Chinese.
//!
//! Dependencies point one way: [`search`] builds on [`content`], and both use
//! [`text`]; [`corpus`] gets the official texts and compares snapshots of them.
//! None of them knows about HTTP or the command line. [`db`] opens and
//! migrates the SQLite file that [`publish`] (the staff tables) and
//! [`insights`] both keep their tables in; it knows neither of them.

pub mod clock;
pub mod content;
pub mod corpus;
pub mod db;
pub mod insights;
pub mod publish;
pub mod search;
pub mod text;
pub mod web;
