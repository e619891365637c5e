//! FULL against SPLIT: what a module's BTF would weigh without split BTF.
//! Its FULL BTF is its own types plus every base type they reach,
//! deduplicated on their own, as pahole made it before kbuild switched
//! modules to split BTF.

use serde::{Deserialize, Serialize};

use std::borrow::Cow;

use crate::btf::fx::FxHashMap;
use crate::btf::read::BtfParts;
use crate::btf::{Btf, TypeId};
use crate::dedup::{dedup, IdSet};
use crate::error::{Error, ErrorKind, Result};

mod fast;
mod reach;

use reach::{reach, BaseGraph};

/// Types (void not counted) and raw bytes of one BTF.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BtfSize {
    pub types: u64,
    pub bytes: u64,
}

impl BtfSize {
    pub fn of(btf: &Btf) -> Self {
        BtfSize {
            types: btf.local_len() as u64,
            bytes: btf.to_bytes_len(),
        }
    }
}

impl std::ops::AddAssign for BtfSize {
    fn add_assign(&mut self, o: BtfSize) {
        self.types += o.types;
        self.bytes += o.bytes;
    }
}

/// Every base type's references, and what the fast path of
/// [`full_split`] needs, computed once per base and shared by the FULL BTFs
/// of all its modules (walking the base is most of the work).
pub struct FullIndex<'a> {
    graph: BaseGraph,
    fast: Option<fast::FastBase<'a>>,
}

impl<'a> FullIndex<'a> {
    pub fn new(base: &'a Btf<'a>) -> Result<Self> {
        let (graph, fast) = rayon::join(|| BaseGraph::new(base), || fast::FastBase::new(base));
        Ok(FullIndex { graph, fast: fast? })
    }

    /// Whether the FULL BTF of `btf` (on this index's base) is assembled
    /// directly rather than by a stand-alone deduplication (the two give
    /// the same bytes; tests check that the fast path is taken).
    pub fn assembles_directly(&self, btf: &Btf) -> Result<bool> {
        Ok(match &self.fast {
            Some(fast) => fast::assemble(fast, btf, &reach(btf, Some(&self.graph)))?.is_some(),
            None => false,
        })
    }
}

/// Base ids the split types of `btf` reach, directly or through other base
/// types, in id order. Empty for a base BTF.
pub fn reached_base_types(btf: &Btf) -> Vec<TypeId> {
    reach(btf, None).iter().collect()
}

/// The split BTF `btf` made stand-alone: the base types it reaches (in id
/// order), then its own types, renumbered, not deduplicated.
pub fn standalone(btf: &Btf) -> Result<Btf<'static>> {
    build_standalone(btf, &reach(btf, None))
}

/// [`standalone`], given the base types `btf` reaches.
fn build_standalone(btf: &Btf, reached: &IdSet) -> Result<Btf<'static>> {
    let start = btf.start_id();
    let shift = start - 1 - reached.len() as TypeId;
    let remap = |id: TypeId| match id {
        0 => 0,
        id if id < start => reached.rank(id) + 1,
        id => id - shift,
    };
    let endian = btf.endian();
    let count = reached.len() + btf.local_len();
    let mut types = Vec::new();
    let mut offsets = Vec::with_capacity(count);
    // Names are copied once per offset; the same text at two offsets is
    // left for deduplication's string pass to merge.
    let mut strings = vec![0u8];
    let mut names: FxHashMap<u32, u32> = FxHashMap::default();
    names.reserve(count);
    let mut words = Vec::new();
    let sources = reached
        .iter()
        .filter_map(|id| btf.type_by_id(id))
        .chain(btf.local_types());
    for t in sources {
        offsets.push(types.len() as u32);
        words.clear();
        words.extend(t.words());
        for w in t.type_ref_words() {
            words[w] = remap(words[w]);
        }
        for w in t.name_words() {
            let off = words[w];
            words[w] = match off {
                0 => 0,
                off => *names.entry(off).or_insert_with(|| {
                    let at = strings.len() as u32;
                    strings.extend_from_slice(btf.str_at(off).unwrap_or_default());
                    strings.push(0);
                    at
                }),
            };
        }
        for &w in &words {
            types.extend_from_slice(&endian.u32_bytes(w));
        }
    }
    stand_alone_btf(btf, types, offsets, strings)
}

/// A stand-alone BTF in `like`'s byte order and header, with its layout
/// section (or that of its bases), from type records, their offsets and
/// strings (copied from validated records, references renumbered
/// consistently).
fn stand_alone_btf(
    like: &Btf,
    types: Vec<u8>,
    offsets: Vec<u32>,
    strings: Vec<u8>,
) -> Result<Btf<'static>> {
    Btf::from_parts(BtfParts {
        header: *like.header(),
        types,
        offsets,
        strings,
        layout: Cow::Owned(stand_alone_layout(like)),
        base: None,
        start_id: 1,
        start_str_off: 0,
    })
}

/// The layout section of a stand-alone BTF made like `like`: its own or
/// its nearest base's.
fn stand_alone_layout(like: &Btf) -> Vec<u8> {
    let mut levels = vec![like];
    while let Some(b) = levels.last().and_then(|b| b.base()) {
        levels.push(b);
    }
    levels
        .iter()
        .map(|b| b.layout_bytes())
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_vec()
}

/// The FULL BTF of the split BTF `btf`: [`standalone`], deduplicated.
pub fn full(btf: &Btf) -> Result<Btf<'static>> {
    Ok(build_full(btf, None)?.0)
}

/// The FULL BTF and the number of base types it took.
fn build_full(btf: &Btf, index: Option<&FullIndex>) -> Result<(Btf<'static>, usize)> {
    let reached = reached_by_split(btf, index)?;
    Ok((full_reaching(btf, index, &reached)?, reached.len()))
}

/// The base types the split BTF `btf` reaches; an error for a base BTF.
fn reached_by_split(btf: &Btf, index: Option<&FullIndex>) -> Result<IdSet> {
    if btf.base().is_none() {
        return Err(Error::new(
            ErrorKind::Usage,
            "FULL BTF is defined for a split BTF (a module with -B vmlinux)",
        ));
    }
    Ok(reach(btf, index.map(|i| &i.graph)))
}

/// The FULL BTF of `btf`, which reaches `reached`: assembled directly
/// where `index` (of `btf`'s base) allows it, else [`full`]'s way.
fn full_reaching(btf: &Btf, index: Option<&FullIndex>, reached: &IdSet) -> Result<Btf<'static>> {
    if let Some(fast) = index.and_then(|i| i.fast.as_ref()) {
        if let Some(a) = fast::assemble(fast, btf, reached)? {
            return stand_alone_btf(btf, a.types, a.offsets, a.strings);
        }
    }
    dedup(&build_standalone(btf, reached)?)
}

/// One module's two sizes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FullSplit {
    pub full: BtfSize,
    pub split: BtfSize,
    /// Base types the module's own types reach.
    pub base_types_reached: u64,
}

/// [`full_split`]'s sizes alone: where the FULL BTF is assembled directly,
/// it is only measured, at a fraction of the work.
pub fn full_split_sizes(btf: &Btf, index: Option<&FullIndex>) -> Result<FullSplit> {
    let reached = reached_by_split(btf, index)?;
    let measured = match index.and_then(|i| i.fast.as_ref()) {
        Some(fast) => fast::measure(fast, btf, &reached)?,
        None => None,
    };
    let full = match measured {
        Some(m) => {
            let layout_len = stand_alone_layout(btf).len();
            let header = btf
                .header()
                .laid_out(m.type_bytes, layout_len, m.string_bytes)?;
            BtfSize {
                types: m.types as u64,
                bytes: u64::from(header.hdr_len)
                    + (m.type_bytes + layout_len + m.string_bytes) as u64,
            }
        }
        None => BtfSize::of(&full_reaching(btf, index, &reached)?),
    };
    Ok(FullSplit {
        full,
        split: BtfSize::of(btf),
        base_types_reached: reached.len() as u64,
    })
}

/// FULL and SPLIT sizes of `btf`, with the FULL BTF itself (in `btf`'s
/// byte order) for whoever keeps or hashes it. `index`, when given, must be
/// of `btf`'s base.
pub fn full_split(btf: &Btf, index: Option<&FullIndex>) -> Result<(FullSplit, Btf<'static>)> {
    let (full_btf, reached) = build_full(btf, index)?;
    let sizes = FullSplit {
        full: BtfSize::of(&full_btf),
        split: BtfSize::of(btf),
        base_types_reached: reached as u64,
    };
    Ok((sizes, full_btf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btf::BtfBuilder;

    #[test]
    fn full_carries_the_reached_base_types() {
        let mut b = BtfBuilder::new();
        let int = b.add_int("int", 4, 1);
        b.add_int("long", 8, 1);
        let s = b.add_struct("s", 4);
        b.add_field("x", int, 0, 0).unwrap();
        let base = b.finish();

        let mut m = BtfBuilder::new_split(&base);
        let p = m.add_ptr(s);
        m.add_typedef("sp", p);
        let split = m.finish();

        assert_eq!(reached_base_types(&split), [int, s]);
        let full = full(&split).unwrap();
        assert_eq!(full.local_len(), 4);
        assert_eq!(full.start_id(), 1);
        let names: Vec<_> = full
            .local_types()
            .map(|t| full.name(t.name_off()).into_owned())
            .collect();
        assert_eq!(names, ["int", "s", "", "sp"]);
        // The pointer now points at the renumbered struct.
        assert_eq!(full.type_by_id(3).unwrap().size_or_type(), 2);

        let (sizes, full_btf) = full_split(&split, None).unwrap();
        let bytes = full_btf.to_bytes();
        assert_eq!(sizes.full.bytes, bytes.len() as u64);
        assert!(sizes.full.bytes > sizes.split.bytes);
        assert_eq!(sizes.base_types_reached, 2);
        let index = FullIndex::new(&base).unwrap();
        assert_eq!(
            full_split(&split, Some(&index)).unwrap().1.to_bytes(),
            bytes
        );
        assert!(full_split(&base, None).is_err());
    }
}
