//! Analyses over parsed BTF. Each produces plain data that the CLI and the
//! page render; none of them prints.

pub mod browse;
pub mod compare;
pub mod diff;
pub mod explain;
pub mod full;
pub mod graph;
pub mod layout;
pub mod report;
pub mod resplit;
pub mod session;
pub mod stat;
pub mod xref;
