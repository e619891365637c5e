//! String deduplication, libbpf's way: every string a local type refers to
//! is looked up in the base (split BTF) or added to a fresh set, in the
//! order types and their fields are visited. Strings nothing refers to are
//! dropped; strings of types that later turn out duplicates are kept, as
//! libbpf dedups strings before types.

use crate::btf::fx::{map_with_capacity, FxHashMap};
use crate::btf::kind::KIND_MASK;
use crate::btf::record::str_words;
use crate::btf::{Btf, Kind};
use crate::error::{Error, ErrorKind, Result};

/// Largest string offset BTF allows.
const MAX_STR_OFFSET: usize = 0x7fff_ffff;

/// Where each distinct string of a base BTF chain lives. Like libbpf's
/// lookup, the first occurrence wins and deeper bases are searched first.
pub(crate) fn base_string_index<'a>(base: &'a Btf<'a>) -> FxHashMap<&'a [u8], u32> {
    let mut index = match base.base() {
        Some(deeper) => base_string_index(deeper),
        None => map_with_capacity(base.string_bytes().len() / 16),
    };
    let strings = base.string_bytes();
    let mut pos = 0;
    while pos < strings.len() {
        let len = strings[pos..]
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(strings.len() - pos);
        index
            .entry(&strings[pos..pos + len])
            .or_insert(base.start_str_off() + pos as u32);
        pos += len + 1;
    }
    index
}

/// The deduplicated string section and where each input offset went.
pub(crate) struct StringMap {
    pub(crate) section: Vec<u8>,
    /// Input offset (relative to `start`) → output offset, for every
    /// offset a local type refers to.
    memo: Vec<u32>,
    start: u32,
    /// No two different input offsets ended up at the same output offset,
    /// and no local string was found in the base: comparing input offsets
    /// then tells the same as comparing output offsets.
    pub(crate) injective: bool,
}

impl StringMap {
    /// The output offset of an offset some local type refers to.
    #[inline]
    pub(crate) fn map(&self, off: u32) -> u32 {
        if off == 0 || off < self.start {
            off
        } else {
            self.memo[(off - self.start) as usize]
        }
    }
}

/// Deduplicates the strings the local types of `btf` refer to, visiting
/// them in libbpf's order, straight from the input bytes.
pub(crate) fn dedup_strings(
    btf: &Btf,
    base_strings: Option<&FxHashMap<&[u8], u32>>,
) -> Result<StringMap> {
    let strings = btf.string_bytes();
    let start = btf.start_str_off();
    let types = btf.type_bytes();
    let endian = btf.endian();
    // The new section and its set; a base BTF keeps "" at offset 0.
    let mut out: Vec<u8> = Vec::with_capacity(strings.len());
    let mut set: FxHashMap<&[u8], u32> = map_with_capacity(strings.len() / 24);
    if base_strings.is_none() {
        out.push(0);
        set.insert(b"", 0);
    }
    let mut injective = true;
    // 0 means not seen yet; offset 0 itself is never looked up.
    let mut memo = vec![0u32; strings.len()];
    let mut rec = [0u32; 2];
    for &at in btf.record_offsets() {
        let at = at as usize;
        rec[1] = endian.u32_at(types, at + 4);
        // Parsing does not check the names of kinds it does not know, and
        // `Records::load` refuses such types: skip them here.
        if Kind::from_raw(((rec[1] >> 24) & KIND_MASK) as u8).is_none() {
            continue;
        }
        for w in str_words(&rec) {
            let off = endian.u32_at(types, at + 4 * w);
            if off == 0 || off < start {
                continue;
            }
            let rel = (off - start) as usize;
            if memo[rel] != 0 {
                continue;
            }
            let rest = &strings[rel..];
            let s = &rest[..rest.iter().position(|&b| b == 0).unwrap_or(rest.len())];
            let new = match base_strings.and_then(|b| b.get(s)) {
                Some(&found) => {
                    injective = false;
                    found
                }
                None => {
                    let next = out.len() as u32;
                    let at = *set.entry(s).or_insert(next);
                    if at == next {
                        out.extend_from_slice(s);
                        out.push(0);
                    } else {
                        injective = false;
                    }
                    start + at
                }
            };
            memo[rel] = new;
        }
    }
    // Offsets into a suffix of another string can make the set longer
    // than the input.
    if start as usize + out.len() > MAX_STR_OFFSET {
        return Err(Error::new(
            ErrorKind::Limit,
            "deduplicated strings exceed the BTF string offset limit",
        ));
    }
    Ok(StringMap {
        section: out,
        memo,
        start,
        injective,
    })
}
