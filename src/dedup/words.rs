//! Type records copied out of a BTF into native-order words, so that the
//! engine reads them without decoding and rewrites ids in place as libbpf
//! does.

use super::record::VOID;
use crate::btf::kind::MAX_KNOWN_KIND;
use crate::btf::Btf;
use crate::error::{Error, ErrorKind, Result};

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
        let mut words = Vec::new();
        let mut offs = Vec::with_capacity((end - first) as usize + 1);
        if first == 0 {
            offs.push(0);
            words.extend_from_slice(&VOID);
        }
        let local_bytes = if first >= btf.start_id() {
            btf.type_bytes().len()
        } else {
            0
        };
        words.reserve(local_bytes / 4);
        for id in first.max(1)..end {
            let t = btf.type_by_id(id).ok_or_else(|| {
                Error::new(ErrorKind::BadTypeId, format!("type [{id}] is missing"))
            })?;
            let k = t.kind_raw();
            if k == 0 || k > MAX_KNOWN_KIND {
                return Err(Error::new(
                    ErrorKind::UnknownKind,
                    format!("type [{id}] has kind {k}, which deduplication does not know"),
                ));
            }
            if t.vlen() > 0xffff {
                return Err(Error::new(
                    ErrorKind::Limit,
                    format!(
                        "type [{id}] has {} elements, more than deduplication supports (65535)",
                        t.vlen()
                    ),
                ));
            }
            offs.push(words.len() as u32);
            let endian = t.endian();
            words.extend(t.bytes().chunks_exact(4).map(|c| endian.u32_at(c, 0)));
        }
        offs.push(words.len() as u32);
        Ok(Records { words, offs, first })
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

    pub(crate) fn words_mut(&mut self) -> (&mut [u32], &[u32]) {
        (&mut self.words, &self.offs)
    }
}
