//! Type records copied out of a BTF into native-order words, so that the
//! engine reads them without decoding and rewrites ids in place as libbpf
//! does.

use super::strings::StringMap;
use crate::btf::kind::{KIND_MASK, MAX_KNOWN_KIND, VLEN_MASK};
use crate::btf::record::{str_words, VOID};
use crate::btf::Btf;
use crate::error::{Error, ErrorKind, Result};

/// Rejects what the engine (like libbpf 1.7) cannot deduplicate; `at` is
/// the record's offset in its BTF's bytes.
fn check(id: u32, info: u32, at: u64) -> Result<()> {
    let k = (info >> 24) & KIND_MASK;
    if k == 0 || k > MAX_KNOWN_KIND as u32 {
        return Err(Error::at(
            ErrorKind::UnknownKind,
            at,
            format!("type [{id}] has kind {k}, which deduplication does not know"),
        ));
    }
    if info & VLEN_MASK > 0xffff {
        return Err(Error::at(
            ErrorKind::Limit,
            at,
            format!(
                "type [{id}] has {} elements, more than deduplication supports (65535)",
                info & VLEN_MASK
            ),
        ));
    }
    Ok(())
}

/// Records of the consecutive ids `first..end()`.
pub(crate) struct Records {
    words: Vec<u32>,
    /// Start of each record in `words`, plus the end of the last.
    offs: Vec<u32>,
    first: u32,
}

impl Records {
    /// Just void, id 0.
    pub(crate) fn void() -> Self {
        Records {
            words: VOID.to_vec(),
            offs: vec![0, VOID.len() as u32],
            first: 0,
        }
    }

    /// Copies the records of ids `first..end` of `btf` (and its bases); id 0
    /// becomes the void record. Fails on what libbpf 1.7 cannot dedup: kinds
    /// it does not know and element counts above 16 bits.
    pub(crate) fn load(btf: &Btf, first: u32, end: u32) -> Result<Self> {
        let mut records = Records {
            words: Vec::new(),
            offs: Vec::with_capacity((end - first) as usize + 1),
            first,
        };
        if first == 0 {
            records.offs.push(0);
            records.words.extend_from_slice(&VOID);
        }
        records.append(btf, first.max(1), end)?;
        records.offs.push(records.words.len() as u32);
        Ok(records)
    }

    /// Appends ids `from..end`, level by level down a chain of bases.
    fn append(&mut self, btf: &Btf, from: u32, end: u32) -> Result<()> {
        let start = btf.start_id();
        if from < start {
            let base = btf.base().ok_or_else(|| {
                Error::new(ErrorKind::BadTypeId, format!("type [{from}] is missing"))
            })?;
            self.append(base, from, end.min(start))?;
        }
        if end <= start {
            return Ok(());
        }
        let first = (from.max(start) - start) as usize;
        let last = (end - start) as usize;
        let offsets = btf.record_offsets();
        let bytes = btf.type_bytes();
        let lo = offsets[first] as usize;
        let hi = offsets.get(last).map_or(bytes.len(), |&o| o as usize);
        let base_word = self.words.len() as u32 - (lo / 4) as u32;
        let endian = btf.endian();
        self.words.reserve((hi - lo) / 4);
        self.words
            .extend(bytes[lo..hi].chunks_exact(4).map(|c| endian.u32_at(c, 0)));
        for (i, &off) in offsets[first..last].iter().enumerate() {
            let at = base_word + off / 4;
            let info = self.words[at as usize + 1];
            let id = start + (first + i) as u32;
            check(id, info, (btf.header().types_start() + off as usize) as u64)?;
            self.offs.push(at);
        }
        Ok(())
    }

    /// One past the last id.
    #[inline]
    pub(crate) fn end(&self) -> u32 {
        self.first + self.offs.len() as u32 - 1
    }

    #[inline]
    pub(crate) fn get(&self, id: u32) -> &[u32] {
        let i = (id - self.first) as usize;
        &self.words[self.offs[i] as usize..self.offs[i + 1] as usize]
    }

    #[inline]
    pub(crate) fn set_word(&mut self, id: u32, word: usize, value: u32) {
        let i = (id - self.first) as usize;
        self.words[self.offs[i] as usize + word] = value;
    }

    pub(crate) fn words_len(&self) -> usize {
        self.words.len()
    }

    /// Points every name at the output strings.
    pub(crate) fn rename(&mut self, names: &StringMap) {
        for w in self.offs.windows(2) {
            let rec = &mut self.words[w[0] as usize..w[1] as usize];
            for i in str_words(rec) {
                rec[i] = names.map(rec[i]);
            }
        }
    }
}
