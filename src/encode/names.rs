//! DWARF names into BTF strings. Every CU repeats the names of the types it
//! uses, millions in all, but most point into `.debug_str`, where the
//! linker keeps one copy of each: keyed by that position, a name is
//! converted to text and hashed once, not once per use.

use std::borrow::Cow;

use crate::btf::{BtfBuilder, NameRef};
use crate::dedup::fx::FxHashMap;

/// The string offset of each `.debug_str` name added so far.
pub(super) struct Names {
    /// Where `.debug_str` lies in memory.
    section: std::ops::Range<usize>,
    /// Position in the section → (length, string offset).
    offsets: FxHashMap<u32, (u32, u32)>,
}

impl Names {
    pub(super) fn new(debug_str: &[u8]) -> Self {
        Names {
            section: debug_str.as_ptr_range().start as usize..debug_str.as_ptr_range().end as usize,
            offsets: FxHashMap::default(),
        }
    }

    /// `bytes` (lossily UTF-8) as a name for the builder.
    pub(super) fn name<'n>(&'n mut self, bytes: &'n [u8]) -> DwarfName<'n> {
        DwarfName { bytes, names: self }
    }

    /// Where `bytes` starts in `.debug_str`, if it lies there.
    fn position(&self, bytes: &[u8]) -> Option<u32> {
        let range = bytes.as_ptr_range();
        let (start, end) = (range.start as usize, range.end as usize);
        (self.section.start <= start && end <= self.section.end)
            .then(|| (start - self.section.start) as u32)
    }
}

/// A name from the DWARF, added to the builder through [`Names`].
pub(super) struct DwarfName<'n> {
    bytes: &'n [u8],
    names: &'n mut Names,
}

impl NameRef for DwarfName<'_> {
    fn intern(self, b: &mut BtfBuilder<'_>) -> u32 {
        let Some(at) = self.names.position(self.bytes) else {
            return b.add_str(&self.text());
        };
        let len = self.bytes.len() as u32;
        match self.names.offsets.get(&at) {
            // The length is checked too: a name cut short of its NUL
            // starts at the same position.
            Some(&(known_len, off)) if known_len == len => off,
            _ => {
                let off = b.add_str(&self.text());
                self.names.offsets.insert(at, (len, off));
                off
            }
        }
    }

    fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.bytes)
    }
}
