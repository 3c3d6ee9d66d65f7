//! The knowledge base without the HTTP server: the content pipeline, the
//! search engine and the official texts, for the `weiquan` command and the
//! website alike.
//!
//! Dependencies point one way: [`search`] builds on [`content`], and both use
//! [`text`]; [`corpus`] gets the official texts and compares snapshots of them;
//! [`clock`] is the one source of time. None of them knows about the HTTP
//! server or the command line. The search types derive `utoipa::ToSchema`
//! only with the `openapi` feature, which the website's crate turns on.

#![warn(missing_docs)]

pub mod clock;
pub mod content;
pub mod corpus;
pub mod search;
pub mod text;
