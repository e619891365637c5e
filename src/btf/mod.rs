//! The BTF format: header and kinds, a zero-copy reader, a writer, a builder
//! and the bpftool-compatible dump.

pub mod build;
pub mod c;
pub mod dump;
pub mod ext;
// The hasher and id sets the dedup engine and the analyses share.
pub(crate) mod fx;
pub mod header;
mod id_set;
pub mod kind;
pub mod read;
pub mod record;
mod size;
pub mod text;
pub mod types;
mod write;

pub use build::{BaseStrings, BtfBuilder, FwdKind, NameRef};
pub use header::{Endian, Header};
pub use id_set::IdSet;
pub use kind::Kind;
pub use read::Btf;
pub use size::SizeError;
pub use types::{TypeId, TypeView};
