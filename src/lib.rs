//! btfscope: a BTF (BPF Type Format) analyzer. The same core serves the
//! command-line tool and the web page.
//!
//! Data flows file → [`intake`] → [`btf`] → [`analyze`] → CLI or page.

pub mod analyze;
pub mod btf;
pub mod core;
pub mod dedup;
pub mod distill;
pub mod encode;
pub mod error;
pub mod intake;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Error, ErrorKind, Result};
