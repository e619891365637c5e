//! Deduplicating while CUs are still being encoded.
//!
//! Most of the raw types are copies (3.69 M raw types for 101 K kept in
//! vmlinux), and deduplicating them all at the end took one core for as
//! long as the parallel CU pass. Instead, every [`CUS_PER_CHUNK`] CUs (by
//! default; `Options::chunk_cus`) the encoder seals its builder as a chunk
//! and hands it to a free thread to deduplicate. The chunks' results are
//! merged, in chunk order, into one BTF, which the functions and variables
//! are added to and which is deduplicated once more, now small.
//!
//! Deduplicating keeps the first of each set of equivalent types, in id
//! order, and a chunk's result keeps its types in that order, so the merge
//! holds the types one pass would keep, in the same order. The strings are
//! merged in the order the chunks hold them, each once: that is the order
//! of first reference over all raw types, as libbpf's string pass gives,
//! so the last deduplication keeps them as they are. The chunk boundaries
//! depend on the CU count only, never on the threads. (Deduplicating twice
//! can merge more than once does, so this is checked on real kernels
//! rather than taken for granted: docs/ENCODE.md.)
//!
//! The array index type is shared by every CU; each chunk after the one
//! that chose it starts with a copy of it, which the merge finds equal to
//! the original.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::Encoder;
use crate::btf::record::{id_words, str_words};
use crate::btf::{Btf, BtfBuilder, TypeId};
use crate::dedup::words::Records;
use crate::dedup::{dedup_owned_mapped, Strings};
use crate::error::{Error, ErrorKind, Result};

/// CUs per chunk: small enough that most of the deduplication overlaps
/// the CU pass and the last chunk is quick, large enough that the merged
/// BTF (each chunk repeats the common types) stays small.
pub(super) const CUS_PER_CHUNK: usize = 128;

/// A sealed chunk: its raw types, numbered from the builder's start id.
pub(super) struct Chunk<'b> {
    index: usize,
    /// The global id of its first type (see [`Encoder::global`]).
    first: TypeId,
    btf: Btf<'b>,
}

/// The merge, fed by the threads that deduplicate the chunks: each chunk
/// is merged as soon as it and every chunk before it are deduplicated, so
/// that little is left to merge after the last CU.
pub(super) struct Merger<'b> {
    state: Mutex<MergeState<'b>>,
}

struct MergeState<'b> {
    merged: BtfBuilder<'b>,
    map: IdMap,
    /// Deduplicated chunks waiting for an earlier one, by index.
    waiting: BTreeMap<usize, (TypeId, Btf<'b>, Vec<TypeId>)>,
    error: Option<Error>,
}

impl<'b> Merger<'b> {
    /// A merge into `merged`, an empty builder.
    pub(super) fn new(merged: BtfBuilder<'b>) -> Self {
        let start_id = merged.btf().start_id();
        Merger {
            state: Mutex::new(MergeState {
                merged,
                map: IdMap {
                    start_id,
                    chunks: Vec::new(),
                },
                waiting: BTreeMap::new(),
                error: None,
            }),
        }
    }

    /// Deduplicates `chunk` and merges what can be merged (run on any
    /// thread).
    pub(super) fn run(&self, chunk: Chunk<'b>) {
        let deduped = dedup_owned_mapped(chunk.btf, Strings::Referenced);
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match deduped {
            Ok((btf, ids)) => {
                s.waiting.insert(chunk.index, (chunk.first, btf, ids));
            }
            Err(e) => {
                s.error.get_or_insert(e);
            }
        }
        while s.error.is_none() {
            let next = s.map.chunks.len();
            let Some((first, btf, ids)) = s.waiting.remove(&next) else {
                break;
            };
            if let Err(e) = s.merge(first, &btf, ids) {
                s.error = Some(e);
            }
        }
    }

    /// The merged BTF's builder and where each raw type went, once every
    /// chunk has run.
    pub(super) fn finish(self) -> Result<(BtfBuilder<'b>, IdMap)> {
        let s = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        match s.error {
            Some(e) => Err(e),
            None => {
                debug_assert!(s.waiting.is_empty(), "every chunk is merged");
                Ok((s.merged, s.map))
            }
        }
    }
}

impl MergeState<'_> {
    /// Appends a deduplicated chunk: its strings first, each once, in its
    /// order, then its types, their ids and names pointed at the merge.
    fn merge(&mut self, first: TypeId, btf: &Btf<'_>, ids: Vec<TypeId>) -> Result<()> {
        let start_id = self.map.start_id;
        let shift = self.merged.btf().type_count() - start_id;
        let strings = btf.string_bytes();
        let mut new_offset = vec![0u32; strings.len()];
        let mut at = 0;
        for s in strings.split(|&b| b == 0) {
            if at < strings.len() {
                new_offset[at] = self.merged.add_str_bytes(s);
            }
            at += s.len() + 1;
        }
        let str_start = btf.start_str_off();
        let records = Records::load(btf, start_id, btf.type_count())?;
        let mut words = Vec::new();
        for id in start_id..btf.type_count() {
            words.clear();
            words.extend_from_slice(records.get(id));
            for w in str_words(&words) {
                if words[w] >= str_start && words[w] != 0 {
                    words[w] = new_offset[(words[w] - str_start) as usize];
                }
            }
            for w in id_words(&words) {
                if words[w] >= start_id {
                    words[w] += shift;
                }
            }
            self.merged.add_raw(&words)?;
        }
        self.map.chunks.push((first, shift, ids));
        Ok(())
    }
}

/// Where the raw types of every chunk went in the merged BTF.
pub(super) struct IdMap {
    start_id: TypeId,
    /// Per chunk: the global id of its first type, where its types start
    /// in the merged BTF (less `start_id`), and its raw → deduplicated ids.
    chunks: Vec<(TypeId, TypeId, Vec<TypeId>)>,
}

impl IdMap {
    /// The merged id of the raw type with global id `id` (see
    /// [`Encoder::global`]); base ids and void are themselves.
    pub(super) fn map(&self, id: TypeId) -> Result<TypeId> {
        if id < self.start_id {
            return Ok(id);
        }
        let c = self.chunks.partition_point(|&(first, _, _)| first <= id);
        let kept = c.checked_sub(1).and_then(|c| {
            let (first, shift, ids) = &self.chunks[c];
            let kept = *ids.get((id - first) as usize)?;
            Some(if kept < self.start_id {
                kept
            } else {
                kept + shift
            })
        });
        kept.ok_or_else(|| {
            Error::new(
                ErrorKind::BadType,
                format!("a function or variable refers to raw type {id}, which no CU encoded"),
            )
        })
    }
}

impl<'a, 'b> Encoder<'a, 'b> {
    /// The id the raw type `local` of the current builder has across all
    /// chunks: ids run on from one chunk to the next, as if one builder
    /// held them all.
    pub(super) fn global(&self, local: TypeId) -> TypeId {
        if local < self.b.btf().start_id() {
            local
        } else {
            local + self.shift
        }
    }

    /// Ends the current chunk and starts the next; `None` when the chunk
    /// has no types.
    pub(super) fn seal_chunk(&mut self) -> Option<Chunk<'b>> {
        let start = self.b.btf().start_id();
        if self.b.btf().type_count() == start {
            return None;
        }
        let mut next = self.new_builder();
        // Chunks are alike in size: room for this one's types saves the
        // next from growing (and copying) its buffer from nothing.
        next.reserve_type_bytes(self.b.btf().type_bytes().len());
        if self.has_index_type {
            let index = self
                .b
                .btf()
                .type_by_id(self.array_index_id)
                .expect("the index type");
            let name = next.add_str_bytes(self.b.btf().str_at(index.name_off()).unwrap_or(b""));
            let mut words: Vec<u32> = index.words().collect();
            words[0] = name;
            self.array_index_id = next.add_raw(&words).expect("a copied record");
        }
        self.names.clear();
        let btf = std::mem::replace(&mut self.b, next).finish();
        let copies = u32::from(self.chunk_has_index_copy);
        self.chunk_has_index_copy = self.has_index_type;
        self.report.types_encoded += btf.local_len() as u32 - copies;
        let chunk = Chunk {
            index: self.chunks_sealed,
            first: start + self.shift,
            btf,
        };
        self.chunks_sealed += 1;
        self.shift += chunk.btf.local_len() as u32;
        Some(chunk)
    }

    /// Points the saved functions and variables at the merged types.
    pub(super) fn remap_saved(&mut self, map: &IdMap) -> Result<()> {
        for f in &mut self.saved {
            f.remap_ids(|id| map.map(id))?;
        }
        self.sections.remap_ids(|id| map.map(id))
    }
}
