//! 消费维权知识库 (`weiquan`): consumer-protection laws, court cases, consumer
//! warnings and rights guides, searchable in Chinese.
//!
//! Dependencies point one way: [`search`] builds on [`content`], and both use
//! [`text`]; [`corpus`] gets the official texts and compares snapshots of them.
//! None of them knows about HTTP or the command line.

pub mod clock;
pub mod content;
pub mod corpus;
pub mod insights;
pub mod publish;
pub mod search;
pub mod text;
pub mod web;
