//! BTF deduplication, byte-identical to libbpf 1.7's `btf__dedup`, for base
//! BTF and for split BTF (a module on vmlinux) alike.
//!
//! A split BTF's base is never modified. Its hashes and tables are computed
//! once in a [`BaseIndex`], which any number of split BTFs (and threads) can
//! share, so that each split BTF costs in proportion to its own size.
//!
//! Deliberate differences from libbpf, all on malformed input, are listed
//! in docs/DEDUP.md.

mod base_index;
mod engine;
mod equiv;
mod fx;
mod maps;
mod record;
mod strings;
mod table;
mod words;

use std::borrow::Cow;

pub use base_index::BaseIndex;

use crate::btf::Btf;
use crate::error::Result;
use engine::Engine;
use strings::dedup_strings;
use words::Records;

/// Deduplicates `btf`: a base BTF on its own, a split BTF against its base
/// (indexed for this call only; see [`dedup_split`] to share the index).
pub fn dedup<'a>(btf: &Btf<'a>) -> Result<Btf<'a>> {
    match btf.base() {
        None => run(&BaseIndex::void(), btf),
        Some(base) => run(&BaseIndex::new(base)?, btf),
    }
}

/// Deduplicates the split BTF `btf` against `index`, built from its base.
pub fn dedup_split<'a>(index: &BaseIndex<'a>, btf: &Btf<'a>) -> Result<Btf<'a>> {
    index.check_fits(btf)?;
    run(index, btf)
}

fn run<'a>(index: &BaseIndex, btf: &Btf<'a>) -> Result<Btf<'a>> {
    let mut local = Records::load(btf, btf.start_id(), btf.type_count())?;
    let (words, offs) = local.words_mut();
    let strings = dedup_strings(btf, words, offs, index.base().map(|_| &index.strings))?;
    let kept = Engine::new(index, local)?.run()?;

    let endian = btf.endian();
    let mut types = Vec::with_capacity(kept.words.len() * 4);
    for &w in &kept.words {
        types.extend_from_slice(&endian.u32_bytes(w));
    }
    let mut header = btf.header;
    let layout_len = btf.layout.len() as u32;
    header.type_off = 0;
    header.type_len = types.len() as u32;
    header.layout_off = if layout_len > 0 { header.type_len } else { 0 };
    header.layout_len = layout_len;
    header.str_off = header.type_len + layout_len;
    header.str_len = strings.len() as u32;
    Ok(Btf {
        header,
        types: Cow::Owned(types),
        strings: Cow::Owned(strings),
        layout: btf.layout.clone(),
        offsets: kept.offs.iter().map(|&o| o * 4).collect(),
        base: btf.base,
        start_id: btf.start_id,
        start_str_off: btf.start_str_off,
    })
}
