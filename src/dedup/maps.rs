//! The canonical map (type → its representative) and the hypothetical map
//! used while comparing two type graphs. Ids below `start` belong to the
//! shared, immutable base: their entries live in small per-run overlays
//! (a base FWD can still be pointed at a split BTF's struct, as libbpf does
//! in its own copy of the map).

use crate::btf::fx::FxHashMap;

/// Not mapped yet.
pub(crate) const UNPROCESSED: u32 = u32::MAX;
/// Being resolved by the reference pass (a cycle if met again).
pub(crate) const IN_PROGRESS: u32 = u32::MAX - 1;
/// Values above this are markers, not ids.
pub(crate) const MAX_ID: u32 = 0x7fff_ffff;

pub(crate) struct Maps {
    start: u32,
    /// Bounds any walk along map chains (only malformed input makes one loop).
    limit: u32,
    map: Vec<u32>,
    map_base: FxHashMap<u32, u32>,
    hypot: Vec<u32>,
    hypot_base: FxHashMap<u32, u32>,
    /// Keys set in the hypothetical map, in the order they were set.
    pub(crate) hypot_list: Vec<u32>,
    /// The last comparison would need a base FWD resolved: not a match.
    pub(crate) adjust_canon: bool,
}

impl Maps {
    /// Maps for local ids `start..end`; VAR and DATASEC (`self_canonical`)
    /// are their own representatives from the start.
    pub(crate) fn new(start: u32, end: u32, self_canonical: &[u32]) -> Self {
        let n = (end - start) as usize;
        let mut map = vec![UNPROCESSED; n];
        for &id in self_canonical {
            map[(id - start) as usize] = id;
        }
        Maps {
            start,
            limit: end,
            map,
            map_base: FxHashMap::default(),
            hypot: vec![UNPROCESSED; n],
            hypot_base: FxHashMap::default(),
            hypot_list: Vec::new(),
            adjust_canon: false,
        }
    }

    #[inline]
    pub(crate) fn get(&self, id: u32) -> u32 {
        if id >= self.start {
            self.map[(id - self.start) as usize]
        } else if self.map_base.is_empty() {
            id
        } else {
            self.map_base.get(&id).copied().unwrap_or(id)
        }
    }

    #[inline]
    pub(crate) fn set(&mut self, id: u32, to: u32) {
        if id >= self.start {
            self.map[(id - self.start) as usize] = to;
        } else {
            self.map_base.insert(id, to);
        }
    }

    #[inline]
    pub(crate) fn is_mapped(&self, id: u32) -> bool {
        self.get(id) <= MAX_ID
    }

    /// Follows the map to the representative, through resolved FWDs.
    #[inline]
    pub(crate) fn resolve(&self, mut id: u32) -> u32 {
        for _ in 0..=self.limit {
            let to = self.get(id);
            if to > MAX_ID || to == id {
                break;
            }
            id = to;
        }
        id
    }

    #[inline]
    pub(crate) fn hypot(&self, id: u32) -> u32 {
        if id >= self.start {
            self.hypot[(id - self.start) as usize]
        } else {
            self.hypot_base.get(&id).copied().unwrap_or(UNPROCESSED)
        }
    }

    pub(crate) fn hypot_add(&mut self, from: u32, to: u32) {
        self.hypot_list.push(from);
        if from >= self.start {
            self.hypot[(from - self.start) as usize] = to;
        } else {
            self.hypot_base.insert(from, to);
        }
    }

    /// The hypothetical map as `[canonical side, candidate side]` pairs,
    /// in the order they were made (for the trace).
    pub(crate) fn hypot_pairs(&self) -> Vec<[u32; 2]> {
        self.hypot_list
            .iter()
            .map(|&c| [c, self.hypot(c)])
            .collect()
    }

    pub(crate) fn clear_hypot(&mut self) {
        for &id in &self.hypot_list {
            if id >= self.start {
                self.hypot[(id - self.start) as usize] = UNPROCESSED;
            }
        }
        if !self.hypot_base.is_empty() {
            self.hypot_base.clear();
        }
        self.hypot_list.clear();
        self.adjust_canon = false;
    }
}
