//! FULL against SPLIT: what a module's BTF would weigh without split BTF.
//! Its FULL BTF is its own types plus every base type they reach,
//! deduplicated on their own, as pahole made it before kbuild switched
//! modules to split BTF.

use serde::Serialize;

use std::borrow::Cow;

use crate::btf::header::LAYOUT_HEADER_LEN;
use crate::btf::{Btf, TypeId};
use crate::dedup::dedup;
use crate::dedup::fx::FxHashMap;
use crate::error::{Error, ErrorKind, Result};

/// Types (void not counted) and raw bytes of one BTF.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
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

/// Every base type's references, computed once per base and shared by
/// the FULL BTFs of all its modules (walking them is most of the work).
pub struct BaseRefs {
    /// `ids[offs[id]..offs[id + 1]]` are the ids base type `id` refers to.
    offs: Vec<u32>,
    ids: Vec<TypeId>,
}

impl BaseRefs {
    pub fn new(base: &Btf) -> Self {
        let mut offs = vec![0u32];
        let mut ids = Vec::new();
        for id in 0..base.type_count() {
            if let Some(t) = base.type_by_id(id) {
                ids.extend(t.type_ref_words().map(|w| t.word(w)));
            }
            offs.push(ids.len() as u32);
        }
        BaseRefs { offs, ids }
    }

    fn of(&self, id: TypeId) -> Option<&[TypeId]> {
        let i = id as usize;
        let (from, to) = (*self.offs.get(i)?, *self.offs.get(i + 1)?);
        Some(&self.ids[from as usize..to as usize])
    }
}

/// Base ids the split types of `btf` reach, directly or through other base
/// types, in id order. Empty for a base BTF.
pub fn reached_base_types(btf: &Btf) -> Vec<TypeId> {
    reached(btf, None)
}

/// [`reached_base_types`], with the base's references from `refs` (which
/// must be of `btf`'s base) when given.
fn reached(btf: &Btf, refs: Option<&BaseRefs>) -> Vec<TypeId> {
    let start = btf.start_id();
    let mut seen = vec![false; start as usize];
    let mut todo = Vec::new();
    let mut visit = |id: TypeId, todo: &mut Vec<TypeId>| {
        if id != 0 && id < start && !seen[id as usize] {
            seen[id as usize] = true;
            todo.push(id);
        }
    };
    for t in btf.local_types() {
        for w in t.type_ref_words() {
            visit(t.word(w), &mut todo);
        }
        while let Some(id) = todo.pop() {
            match refs.and_then(|r| r.of(id)) {
                Some(targets) => targets.iter().for_each(|&r| visit(r, &mut todo)),
                None => {
                    if let Some(b) = btf.type_by_id(id) {
                        for w in b.type_ref_words() {
                            visit(b.word(w), &mut todo);
                        }
                    }
                }
            }
        }
    }
    (0..start).filter(|&id| seen[id as usize]).collect()
}

/// The split BTF `btf` made stand-alone: the base types it reaches (in id
/// order), then its own types, renumbered, not deduplicated.
pub fn standalone(btf: &Btf) -> Result<Btf<'static>> {
    Ok(build_standalone(btf, None)?.0)
}

/// [`standalone`] and the number of base types it took.
fn build_standalone(btf: &Btf, refs: Option<&BaseRefs>) -> Result<(Btf<'static>, usize)> {
    let start = btf.start_id();
    let reached = reached(btf, refs);
    let mut new_id = vec![0 as TypeId; start as usize];
    for (i, &id) in reached.iter().enumerate() {
        new_id[id as usize] = i as TypeId + 1;
    }
    let shift = start - 1 - reached.len() as TypeId;
    let remap = |id: TypeId| match id {
        0 => 0,
        id if id < start => new_id[id as usize],
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
        .filter_map(|&id| btf.type_by_id(id))
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
    let mut levels = vec![btf];
    while let Some(b) = levels.last().and_then(|b| b.base()) {
        levels.push(b);
    }
    let layout = levels
        .iter()
        .map(|b| b.layout_bytes())
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_vec();
    let too_big = || Error::new(ErrorKind::Limit, "the stand-alone BTF exceeds 4 GiB");
    let mut header = btf.header;
    header.type_off = 0;
    header.type_len = u32::try_from(types.len()).map_err(|_| too_big())?;
    header.layout_len = layout.len() as u32;
    header.layout_off = if layout.is_empty() {
        0
    } else {
        header.type_len
    };
    header.str_off = header
        .type_len
        .checked_add(header.layout_len)
        .ok_or_else(too_big)?;
    header.str_len = u32::try_from(strings.len()).map_err(|_| too_big())?;
    if !layout.is_empty() && header.hdr_len < LAYOUT_HEADER_LEN {
        header.hdr_len = LAYOUT_HEADER_LEN;
    }
    let btf = Btf {
        header,
        types: Cow::Owned(types),
        strings: Cow::Owned(strings),
        layout: Cow::Owned(layout),
        offsets,
        base: None,
        start_id: 1,
        start_str_off: 0,
        // Copied from validated records, references renumbered consistently.
        checked: true,
    };
    Ok((btf, reached.len()))
}

/// The FULL BTF of the split BTF `btf`: [`standalone`], deduplicated.
pub fn full(btf: &Btf) -> Result<Btf<'static>> {
    Ok(build_full(btf, None)?.0)
}

fn build_full(btf: &Btf, refs: Option<&BaseRefs>) -> Result<(Btf<'static>, usize)> {
    if btf.base().is_none() {
        return Err(Error::new(
            ErrorKind::Usage,
            "FULL BTF is defined for a split BTF (a module with -B vmlinux)",
        ));
    }
    let (alone, reached) = build_standalone(btf, refs)?;
    Ok((dedup(&alone)?, reached))
}

/// One module's two sizes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FullSplit {
    pub full: BtfSize,
    pub split: BtfSize,
    /// Base types the module's own types reach.
    pub base_types_reached: u64,
}

/// FULL and SPLIT sizes of `btf`, with the FULL BTF itself (in `btf`'s
/// byte order) for whoever keeps or hashes it. `refs`, when given, must be
/// of `btf`'s base.
pub fn full_split(btf: &Btf, refs: Option<&BaseRefs>) -> Result<(FullSplit, Vec<u8>)> {
    let (full_btf, reached) = build_full(btf, refs)?;
    let sizes = FullSplit {
        full: BtfSize::of(&full_btf),
        split: BtfSize::of(btf),
        base_types_reached: reached as u64,
    };
    Ok((sizes, full_btf.to_bytes_in(btf.endian())))
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

        let (sizes, bytes) = full_split(&split, None).unwrap();
        assert_eq!(sizes.full.bytes, bytes.len() as u64);
        assert!(sizes.full.bytes > sizes.split.bytes);
        assert_eq!(sizes.base_types_reached, 2);
        let refs = BaseRefs::new(&base);
        assert_eq!(full_split(&split, Some(&refs)).unwrap().1, bytes);
        assert!(full_split(&base, None).is_err());
    }
}
