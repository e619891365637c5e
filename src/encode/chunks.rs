//! Deduplicating while CUs are still being encoded.
//!
//! Most of the raw types are copies (3.69 M raw types for 101 K kept in
//! vmlinux), and deduplicating them all at the end took one core for as
//! long as the parallel CU pass. Instead, every [`CUS_PER_CHUNK`] CUs (by
//! default; `Options::chunk_cus`) the
//! encoder seals its builder as a chunk and hands it to a free thread to
//! deduplicate. The chunks' results are then merged, in chunk order, into
//! one BTF, which the functions and variables are added to and which is
//! deduplicated once more, now small.
//!
//! Deduplicating keeps the first of each set of equivalent types, in id
//! order, and a chunk's result keeps its types in that order, so the merge
//! holds the types a single pass would keep in the same order. The strings
//! are merged in the order the chunks hold them, each once: that is the
//! order of first reference over all raw types, as libbpf's string pass
//! gives, so the last deduplication keeps them as they are. The chunk
//! boundaries depend on the CU count only, never on the threads.
//!
//! The array index type is shared by every CU; each chunk after the one
//! that chose it starts with a copy of it, which the merge finds equal to
//! the original.

use std::sync::Mutex;

use super::Encoder;
use crate::btf::{Btf, TypeId};
use crate::dedup::record::{id_words, str_words};
use crate::dedup::words::Records;
use crate::dedup::{dedup_owned_mapped, Strings};
use crate::error::Result;

/// CUs per chunk: small enough that most of the deduplication overlaps
/// the CU pass and the last chunk is quick, large enough that the merged
/// BTF (each chunk repeats the common types) stays small.
pub(super) const CUS_PER_CHUNK: usize = 128;

/// A sealed chunk: its raw types, numbered from the builder's start id.
pub(super) struct Chunk<'b> {
    index: usize,
    btf: Btf<'b>,
}

/// The chunks' deduplicated BTFs, by chunk index, as threads finish them.
#[derive(Default)]
pub(super) struct Results<'b> {
    done: Mutex<Vec<Option<Result<Deduped<'b>>>>>,
}

/// A chunk's BTF after deduplication, and each raw type's new id.
pub(super) struct Deduped<'b> {
    btf: Btf<'b>,
    ids: Vec<TypeId>,
}

impl<'b> Results<'b> {
    /// Deduplicates `chunk` (run on any thread).
    pub(super) fn run(&self, chunk: Chunk<'b>) {
        let deduped = dedup_owned_mapped(chunk.btf, Strings::Referenced)
            .map(|(btf, ids)| Deduped { btf, ids });
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        if done.len() <= chunk.index {
            done.resize_with(chunk.index + 1, || None);
        }
        done[chunk.index] = Some(deduped);
    }

    fn into_chunks(self) -> Result<Vec<Deduped<'b>>> {
        let done = self.done.into_inner().unwrap_or_else(|e| e.into_inner());
        done.into_iter()
            .map(|d| d.expect("every sealed chunk is deduplicated"))
            .collect()
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
    pub(super) fn map(&self, id: TypeId) -> TypeId {
        if id < self.start_id {
            return id;
        }
        let c = self.chunks.partition_point(|&(first, _, _)| first <= id) - 1;
        let (first, shift, ids) = &self.chunks[c];
        match ids[(id - first) as usize] {
            kept if kept < self.start_id => kept,
            kept => kept + shift,
        }
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
        let index = self.chunk_firsts.len();
        self.chunk_firsts.push(start + self.shift);
        self.shift += btf.local_len() as u32;
        Some(Chunk { index, btf })
    }

    /// Merges the deduplicated chunks, in order, into the builder (empty
    /// by then); returns where each raw type went.
    pub(super) fn merge_chunks(&mut self, results: Results<'b>) -> Result<IdMap> {
        let start_id = self.b.btf().start_id();
        let mut map = IdMap {
            start_id,
            chunks: Vec::with_capacity(self.chunk_firsts.len()),
        };
        for (chunk, first) in results.into_chunks()?.into_iter().zip(&self.chunk_firsts) {
            let shift = self.b.btf().type_count() - start_id;
            let btf = &chunk.btf;
            // Each string once, in the chunk's order.
            let strings = btf.string_bytes();
            let mut new_offset = vec![0u32; strings.len()];
            let mut at = 0;
            for s in strings.split(|&b| b == 0) {
                if at < strings.len() {
                    new_offset[at] = self.b.add_str_bytes(s);
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
                self.b.add_raw(&words)?;
            }
            map.chunks.push((*first, shift, chunk.ids));
        }
        Ok(map)
    }

    /// Points the saved functions and variables at the merged types.
    pub(super) fn remap_saved(&mut self, map: &IdMap) {
        for f in &mut self.saved {
            f.remap_ids(|id| map.map(id));
        }
        self.sections.remap_ids(|id| map.map(id));
    }
}
