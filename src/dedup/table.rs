//! The candidate table: signature hash → candidate type ids, visited in
//! exactly the order libbpf's hashmap visits them, because "first equal
//! candidate wins" makes that order part of the output.
//!
//! libbpf's hashmap chains entries per bucket, inserts at the chain head
//! and, each time it grows, moves entries bucket by bucket to the head of
//! their new chain, which reverses every chain. Entries sharing a key share
//! a chain, so per key the order is: newest first, reversed once per growth
//! since. Growth depends only on the entry count, so it is simulated here
//! with one global orientation bit instead of moving anything.
//!
//! A split BTF's table starts as its base's table. That part is frozen in
//! [`FrozenTable`] (shared by every module) and each module keeps only its
//! own entries, placed around the frozen block of the same key.

use super::IdSet;
use crate::btf::fx::{map_with_capacity, FxHashMap};

/// libbpf's growth rule: grow when empty or above 75% full; 4 buckets first.
#[derive(Clone, Copy, Debug)]
struct Fill {
    size: usize,
    cap: usize,
}

impl Fill {
    /// Accounts for one insertion; true when it grew the map first.
    fn insert(&mut self) -> bool {
        let grow = self.cap == 0 || (self.size + 1) * 4 / 3 > self.cap;
        if grow {
            self.cap = if self.cap == 0 { 4 } else { self.cap * 2 };
        }
        self.size += 1;
        grow
    }
}

/// The base's entries per key, in the order a lookup visits them right
/// after the base was indexed.
pub(crate) struct FrozenTable {
    keys: FxHashMap<u64, (u32, u32)>,
    ids: Vec<u32>,
    fill: Fill,
}

impl FrozenTable {
    pub(crate) fn empty() -> Self {
        FrozenTable {
            keys: FxHashMap::default(),
            ids: Vec::new(),
            fill: Fill { size: 0, cap: 0 },
        }
    }

    fn block(&self, key: u64) -> &[u32] {
        if self.keys.is_empty() {
            return &[];
        }
        match self.keys.get(&key) {
            Some(&(at, len)) => &self.ids[at as usize..(at + len) as usize],
            None => &[],
        }
    }
}

/// A key's own entries: the visiting order is `front ++ frozen ++ back`,
/// or its reverse when the table's orientation is flipped. Both are
/// singly linked through the node arena, newest first, so `front` is
/// stored in visiting order and `back` in reverse.
#[derive(Clone, Copy)]
struct Chain {
    front: u32,
    back: u32,
}

const NIL: u32 = u32::MAX;
const EMPTY: Chain = Chain {
    front: NIL,
    back: NIL,
};

pub(crate) struct Table<'b> {
    chains: FxHashMap<u64, Chain>,
    entries: Entries<'b>,
}

/// Everything but the chains' heads, so that a chain can be changed while
/// the entries are.
struct Entries<'b> {
    frozen: &'b FrozenTable,
    /// When set, only the frozen entries it holds exist.
    keep: Option<&'b IdSet>,
    /// (id, next) per entry.
    nodes: Vec<(u32, u32)>,
    fill: Fill,
    flipped: bool,
}

impl<'b> Table<'b> {
    /// A table for up to `types` local types. Only representatives become
    /// entries, often a small part of them (101 K of the encoder's 3.69 M
    /// raw vmlinux types), so the map starts at a quarter and grows if need
    /// be: sized for every type, its few entries landed on nearly every
    /// page of a 134 MB block.
    pub(crate) fn new(frozen: &'b FrozenTable, types: usize) -> Self {
        Table {
            chains: map_with_capacity(types / 4),
            entries: Entries {
                frozen,
                keep: None,
                nodes: Vec::with_capacity(types),
                fill: frozen.fill,
                flipped: false,
            },
        }
    }

    /// Hides every frozen entry `keep` does not hold, as if the base had
    /// been indexed without them.
    pub(crate) fn keep_only(&mut self, keep: &'b IdSet) {
        self.entries.keep = Some(keep);
    }

    pub(crate) fn add(&mut self, key: u64, id: u32) {
        let chain = self.chains.entry(key).or_insert(EMPTY);
        self.entries.push(chain, id);
    }

    /// Copies the candidates for `key`, in visiting order, into `out`.
    pub(crate) fn candidates(&self, key: u64, out: &mut Vec<u32>) {
        let chain = self.chains.get(&key).copied().unwrap_or(EMPTY);
        self.entries.collect(chain, key, out);
    }

    /// The first candidate for `key` that `accept` takes; if none does,
    /// adds `id` under `key`. One lookup instead of two.
    pub(crate) fn find_or_add(
        &mut self,
        key: u64,
        id: u32,
        scratch: &mut Vec<u32>,
        accept: impl Fn(u32) -> bool,
    ) -> Option<u32> {
        let chain = self.chains.entry(key).or_insert(EMPTY);
        self.entries.collect(*chain, key, scratch);
        if let Some(&found) = scratch.iter().find(|&&c| accept(c)) {
            return Some(found);
        }
        self.entries.push(chain, id);
        None
    }

    /// The entries in visiting order per key, to be shared by split BTFs.
    pub(crate) fn freeze(self) -> FrozenTable {
        let mut keys = map_with_capacity(self.chains.len());
        let mut ids = Vec::with_capacity(self.entries.fill.size);
        let mut buf = Vec::new();
        for &key in self.chains.keys() {
            self.candidates(key, &mut buf);
            keys.insert(key, (ids.len() as u32, buf.len() as u32));
            ids.extend_from_slice(&buf);
        }
        FrozenTable {
            keys,
            ids,
            fill: self.entries.fill,
        }
    }
}

impl Entries<'_> {
    /// Adds `id` to a chain as libbpf's insertion would place it.
    fn push(&mut self, chain: &mut Chain, id: u32) {
        if self.fill.insert() {
            self.flipped = !self.flipped;
        }
        // The newest entry is visited first: it goes to whichever end is
        // the front in the current orientation.
        let head = if self.flipped {
            &mut chain.back
        } else {
            &mut chain.front
        };
        self.nodes.push((id, *head));
        *head = self.nodes.len() as u32 - 1;
    }

    /// The entries of `key`'s chain around its frozen block (less those
    /// `keep` hides), in visiting order.
    fn collect(&self, chain: Chain, key: u64, out: &mut Vec<u32>) {
        let nodes = &self.nodes;
        out.clear();
        if self.flipped {
            push_list(nodes, chain.back, out);
        } else {
            push_list(nodes, chain.front, out);
        }
        let at = out.len();
        let frozen = self.frozen.block(key);
        match self.keep {
            Some(keep) => out.extend(frozen.iter().filter(|&&id| keep.contains(id))),
            None => out.extend_from_slice(frozen),
        }
        if self.flipped {
            out[at..].reverse();
            push_list_rev(nodes, chain.front, out);
        } else {
            push_list_rev(nodes, chain.back, out);
        }
    }
}

/// Appends the list starting at `node`, in list order.
fn push_list(nodes: &[(u32, u32)], mut node: u32, out: &mut Vec<u32>) {
    while node != NIL {
        let (id, next) = nodes[node as usize];
        out.push(id);
        node = next;
    }
}

/// Appends the list starting at `node`, in reverse list order.
fn push_list_rev(nodes: &[(u32, u32)], node: u32, out: &mut Vec<u32>) {
    let at = out.len();
    push_list(nodes, node, out);
    out[at..].reverse();
}
