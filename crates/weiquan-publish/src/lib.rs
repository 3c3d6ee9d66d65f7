//! Staff publishing and the search insights, kept in one SQLite file or on
//! a PostgreSQL server that several machines share: no HTTP, built on
//! `weiquan-core`.
//!
//! [`db`] opens and migrates the database that [`publish`] (the staff
//! tables) and [`insights`] both keep their tables in; it knows neither of
//! them.

pub mod db;
pub mod insights;
pub mod publish;
