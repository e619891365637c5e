//! FULL against SPLIT: what a module's BTF would weigh without split BTF.
//! Its FULL BTF is its own types plus every base type they reach,
//! deduplicated on their own, as pahole made it before kbuild switched
//! modules to split BTF.

use serde::Serialize;

use std::borrow::Cow;

use crate::btf::header::LAYOUT_HEADER_LEN;
use crate::btf::{Btf, TypeId, TypeView};
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

/// Base ids the split types of `btf` reach, directly or through other base
/// types, in id order. Empty for a base BTF.
pub fn reached_base_types(btf: &Btf) -> Vec<TypeId> {
    let start = btf.start_id();
    let mut seen = vec![false; start as usize];
    let mut todo = Vec::new();
    let mut visit = |t: TypeView, todo: &mut Vec<TypeId>| {
        for w in t.type_ref_words() {
            let id = t.word(w);
            if id != 0 && id < start && !seen[id as usize] {
                seen[id as usize] = true;
                todo.push(id);
            }
        }
    };
    for t in btf.local_types() {
        visit(t, &mut todo);
        while let Some(id) = todo.pop() {
            if let Some(b) = btf.type_by_id(id) {
                visit(b, &mut todo);
            }
        }
    }
    (0..start).filter(|&id| seen[id as usize]).collect()
}

/// The split BTF `btf` made stand-alone: the base types it reaches (in id
/// order), then its own types, renumbered, not deduplicated.
pub fn standalone(btf: &Btf) -> Result<Btf<'static>> {
    let start = btf.start_id();
    let reached = reached_base_types(btf);
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
    let mut types = Vec::new();
    let mut offsets = Vec::with_capacity(reached.len() + btf.local_len());
    // Names by content: the section stays as small as the FULL BTF's own.
    let mut strings = vec![0u8];
    let mut string_at: FxHashMap<&[u8], u32> = FxHashMap::default();
    let sources = reached
        .iter()
        .filter_map(|&id| btf.type_by_id(id))
        .chain(btf.local_types());
    for t in sources {
        offsets.push(types.len() as u32);
        let mut words: Vec<u32> = t.words().collect();
        for w in t.type_ref_words() {
            words[w] = remap(words[w]);
        }
        for w in t.name_words() {
            let name = btf.str_at(words[w]).unwrap_or_default();
            words[w] = if name.is_empty() {
                0
            } else {
                *string_at.entry(name).or_insert_with(|| {
                    let at = strings.len() as u32;
                    strings.extend_from_slice(name);
                    strings.push(0);
                    at
                })
            };
        }
        for w in words {
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
    Ok(Btf {
        header,
        types: Cow::Owned(types),
        strings: Cow::Owned(strings),
        layout: Cow::Owned(layout),
        offsets,
        base: None,
        start_id: 1,
        start_str_off: 0,
    })
}

/// The FULL BTF of the split BTF `btf`: [`standalone`], deduplicated.
pub fn full(btf: &Btf) -> Result<Btf<'static>> {
    if btf.base().is_none() {
        return Err(Error::new(
            ErrorKind::Usage,
            "FULL BTF is defined for a split BTF (a module with -B vmlinux)",
        ));
    }
    dedup(&standalone(btf)?)
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
/// byte order) for whoever keeps or hashes it.
pub fn full_split(btf: &Btf) -> Result<(FullSplit, Vec<u8>)> {
    let full_btf = full(btf)?;
    let sizes = FullSplit {
        full: BtfSize::of(&full_btf),
        split: BtfSize::of(btf),
        // The FULL BTF before dedup holds exactly these plus the module's types.
        base_types_reached: reached_base_types(btf).len() as u64,
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

        let (sizes, bytes) = full_split(&split).unwrap();
        assert_eq!(sizes.full.bytes, bytes.len() as u64);
        assert!(sizes.full.bytes > sizes.split.bytes);
        assert!(full_split(&base).is_err());
    }
}
