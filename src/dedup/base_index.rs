//! What a split BTF's deduplication needs to know about its base, computed
//! once and shared (read-only, across threads) by every split BTF on that
//! base: the base records, the candidate table libbpf would build from
//! them, their string offsets and the names of their structs and unions.

use super::shape::{reaches_uncomparable, shape};
use super::signature::base_hash;
use super::strings::base_string_index;
use super::table::{FrozenTable, Table};
use super::words::Records;
use super::{DedupRules, IdSet};
use crate::btf::fx::{map_with_capacity, FxHashMap};
use crate::btf::record::{is_struct_or_union, kind, DATASEC, DECL_TAG, NAME, VAR};
use crate::btf::Btf;
use crate::error::{Error, ErrorKind, Result};

/// A base BTF prepared for deduplicating split BTFs against it.
pub struct BaseIndex<'a> {
    base: Option<&'a Btf<'a>>,
    /// Records of ids `0..count` (0 is void).
    pub(crate) records: Records,
    pub(crate) table: FrozenTable,
    pub(crate) strings: FxHashMap<&'a [u8], u32>,
    /// Struct/union name offset → its id, or 0 when several share the name.
    pub(crate) names: FxHashMap<u32, u32>,
    /// The ids behind each name that `names` maps to 0, in id order.
    pub(crate) shared_names: FxHashMap<u32, Vec<u32>>,
    /// Member-name signature of every base id (see `shape`).
    pub(crate) shapes: Vec<u64>,
    /// Some base type refers where a comparison could fail with an error.
    pub(crate) reaches_uncomparable: bool,
    /// The libbpf behaviour indexed for (the explainer names its quirks).
    pub(crate) rules: DedupRules,
}

impl<'a> BaseIndex<'a> {
    /// Indexes `base` (and its own bases, if any) as current libbpf does
    /// before a split deduplication.
    pub fn new(base: &'a Btf<'a>) -> Result<Self> {
        Self::with_rules(base, DedupRules::Current)
    }

    /// Indexes `base` as the given libbpf version does.
    pub fn with_rules(base: &'a Btf<'a>, rules: DedupRules) -> Result<Self> {
        let count = base.type_count();
        let records = Records::load(base, 0, count)?;
        let empty = FrozenTable::empty();
        let mut table = Table::new(&empty, count as usize);
        let mut names: FxHashMap<u32, u32> = map_with_capacity(count as usize / 8);
        let mut shared_names: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        for id in 1..count {
            let r = records.get(id);
            if let Some(h) = base_hash(r, rules) {
                table.add(h, id);
            }
            if is_struct_or_union(kind(r)) {
                let first = *names.entry(r[NAME]).or_insert(id);
                if first != id {
                    shared_names.entry(r[NAME]).or_default().push(id);
                }
            }
        }
        // Names met more than once: 0 in `names`, every id in `shared_names`.
        for (name, ids) in shared_names.iter_mut() {
            let first = std::mem::replace(names.get_mut(name).expect("a named id"), 0);
            ids.insert(0, first);
        }
        let name_of = |t: u32| records.get(t)[NAME];
        let shapes = (0..count)
            .map(|id| shape(records.get(id), name_of))
            .collect();
        let reaches_uncomparable = (1..count)
            .any(|id| reaches_uncomparable(records.get(id), |t| is_uncomparable(records.get(t))));
        Ok(BaseIndex {
            base: Some(base),
            table: table.freeze(),
            strings: base_string_index(base),
            names,
            shared_names,
            shapes,
            reaches_uncomparable,
            records,
            rules,
        })
    }

    /// The stand-in base of a BTF that has none: only void.
    pub(crate) fn void() -> Self {
        BaseIndex {
            base: None,
            records: Records::void(),
            table: FrozenTable::empty(),
            strings: FxHashMap::default(),
            names: FxHashMap::default(),
            shared_names: FxHashMap::default(),
            shapes: vec![0],
            reaches_uncomparable: false,
            rules: DedupRules::Current,
        }
    }

    /// Number of ids the base covers, void included: a split BTF's first id.
    pub fn type_count(&self) -> u32 {
        self.records.end()
    }

    /// Whether base type `id` is of a kind graph comparison cannot handle.
    pub(crate) fn uncomparable(&self, id: u32) -> bool {
        is_uncomparable(self.records.get(id))
    }

    /// The struct or union named `name` among the base ids in `keep`, all
    /// of them when `keep` is `None`: `Some(0)` when several share the name.
    pub(crate) fn struct_named(&self, name: u32, keep: Option<&IdSet>) -> Option<u32> {
        let id = *self.names.get(&name)?;
        let Some(keep) = keep else {
            return Some(id);
        };
        if id != 0 {
            return keep.contains(id).then_some(id);
        }
        let mut kept = self.shared_names[&name]
            .iter()
            .filter(|&&id| keep.contains(id));
        match (kept.next(), kept.next()) {
            (None, _) => None,
            (Some(&only), None) => Some(only),
            (Some(_), Some(_)) => Some(0),
        }
    }

    pub(crate) fn base(&self) -> Option<&'a Btf<'a>> {
        self.base
    }

    /// Checks that `btf` is a split BTF on the base this index was built from.
    pub(crate) fn check_fits(&self, btf: &Btf) -> Result<()> {
        let fits = match (self.base, btf.base()) {
            (Some(ours), Some(theirs)) => {
                // Same object, or one parsed from the same bytes (sizes
                // compared only: a full comparison would cost a base per use).
                std::ptr::eq(ours, theirs)
                    || (ours.type_count() == theirs.type_count()
                        && ours.type_bytes().len() == theirs.type_bytes().len()
                        && ours.string_bytes().len() == theirs.string_bytes().len())
            }
            (None, None) => true,
            _ => false,
        };
        if fits {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::Usage,
                "the BTF to deduplicate is not a split BTF on the indexed base",
            ))
        }
    }
}

fn is_uncomparable(r: &[u32]) -> bool {
    matches!(kind(r), VAR | DATASEC | DECL_TAG)
}
