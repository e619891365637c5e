//! String deduplication, libbpf's way: every string a local type refers to
//! is looked up in the base (split BTF) or added to a fresh set, in the
//! order types and their fields are visited. Strings nothing refers to are
//! dropped; strings of types that later turn out duplicates are kept, as
//! libbpf dedups strings before types.

use super::fx::{map_with_capacity, FxHashMap};
use super::record::str_words;
use crate::btf::Btf;
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

/// Rewrites the string offsets of the local records (`words`, split at
/// `offs`) and returns the new string section.
pub(crate) fn dedup_strings(
    btf: &Btf,
    words: &mut [u32],
    offs: &[u32],
    base_strings: Option<&FxHashMap<&[u8], u32>>,
) -> Result<Vec<u8>> {
    let strings = btf.string_bytes();
    let start = btf.start_str_off();
    // New section and its set; a base BTF keeps "" at offset 0.
    let mut out: Vec<u8> = Vec::with_capacity(strings.len());
    let mut set: FxHashMap<&[u8], u32> = map_with_capacity(strings.len() / 24);
    if base_strings.is_none() {
        out.push(0);
        set.insert(b"", 0);
    }
    // Input offset → output offset; 0 means not seen yet (a string that
    // maps to 0 is merely looked up again).
    let mut memo = vec![0u32; strings.len()];
    for w in offs.windows(2) {
        let rec = &mut words[w[0] as usize..w[1] as usize];
        for i in str_words(rec) {
            let off = rec[i];
            if off == 0 || off < start {
                continue;
            }
            let rel = (off - start) as usize;
            if memo[rel] != 0 {
                rec[i] = memo[rel];
                continue;
            }
            let rest = &strings[rel..];
            let s = &rest[..rest.iter().position(|&b| b == 0).unwrap_or(rest.len())];
            let new = match base_strings.and_then(|b| b.get(s)) {
                Some(&found) => found,
                None => {
                    start
                        + *set.entry(s).or_insert_with(|| {
                            let at = out.len() as u32;
                            out.extend_from_slice(s);
                            out.push(0);
                            at
                        })
                }
            };
            memo[rel] = new;
            rec[i] = new;
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
    Ok(out)
}
