//! DWARF names into BTF strings. Every CU repeats the names of the types it
//! uses, millions in all, but most point into `.debug_str`, where the
//! linker keeps one copy of each: keyed by that position, a name is
//! converted to text and hashed once, not once per use.

use std::borrow::Cow;

use super::ir::LazyName;
use crate::btf::fx::FxHashMap;
use crate::btf::{BtfBuilder, NameRef};

/// The string offset of each `.debug_str` name added so far.
pub(super) struct Names {
    /// Where `.debug_str` lies in memory.
    section: std::ops::Range<usize>,
    /// Position in the section → string offset. A name that starts there
    /// is the bytes up to the next NUL, whatever slice it came as.
    offsets: FxHashMap<u32, u32>,
}

impl Names {
    pub(super) fn new(debug_str: &[u8]) -> Self {
        Names {
            section: debug_str.as_ptr_range().start as usize..debug_str.as_ptr_range().end as usize,
            offsets: FxHashMap::default(),
        }
    }

    /// Forgets every offset, for a new builder.
    pub(super) fn clear(&mut self) {
        self.offsets.clear();
    }

    /// `name` (lossily UTF-8) as a name for the builder.
    pub(super) fn name<'n>(&'n mut self, name: impl Into<LazyName<'n>>) -> DwarfName<'n> {
        DwarfName {
            name: name.into(),
            names: self,
        }
    }

    /// Where `name` starts in `.debug_str`, if it lies there.
    fn position(&self, name: LazyName<'_>) -> Option<u32> {
        let start = name.start() as usize;
        self.section
            .contains(&start)
            .then(|| (start - self.section.start) as u32)
    }
}

/// A name from the DWARF, added to the builder through [`Names`].
pub(super) struct DwarfName<'n> {
    name: LazyName<'n>,
    names: &'n mut Names,
}

impl NameRef for DwarfName<'_> {
    fn intern(self, b: &mut BtfBuilder<'_>) -> u32 {
        let Some(at) = self.names.position(self.name) else {
            return b.add_str(&self.text());
        };
        if let Some(&off) = self.names.offsets.get(&at) {
            return off;
        }
        let off = b.add_str(&self.text());
        self.names.offsets.insert(at, off);
        off
    }

    fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.name.bytes())
    }
}
