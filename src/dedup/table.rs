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

use super::fx::{map_with_capacity, FxHashMap};

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

pub(crate) struct Table<'b> {
    frozen: &'b FrozenTable,
    chains: FxHashMap<u64, Chain>,
    /// (id, next) per entry.
    nodes: Vec<(u32, u32)>,
    fill: Fill,
    flipped: bool,
}

impl<'b> Table<'b> {
    pub(crate) fn new(frozen: &'b FrozenTable, expected: usize) -> Self {
        Table {
            frozen,
            chains: map_with_capacity(expected),
            nodes: Vec::with_capacity(expected),
            fill: frozen.fill,
            flipped: false,
        }
    }

    pub(crate) fn add(&mut self, key: u64, id: u32) {
        if self.fill.insert() {
            self.flipped = !self.flipped;
        }
        let node = self.nodes.len() as u32;
        let chain = self.chains.entry(key).or_insert(Chain {
            front: NIL,
            back: NIL,
        });
        // The newest entry is visited first: it goes to whichever end is
        // the front in the current orientation.
        let head = if self.flipped {
            &mut chain.back
        } else {
            &mut chain.front
        };
        self.nodes.push((id, *head));
        *head = node;
    }

    /// Appends the list starting at `node`, in list order.
    fn push_list(&self, mut node: u32, out: &mut Vec<u32>) {
        while node != NIL {
            let (id, next) = self.nodes[node as usize];
            out.push(id);
            node = next;
        }
    }

    /// Appends the list starting at `node`, in reverse list order.
    fn push_list_rev(&self, node: u32, out: &mut Vec<u32>) {
        let at = out.len();
        self.push_list(node, out);
        out[at..].reverse();
    }

    /// Copies the candidates for `key`, in visiting order, into `out`.
    pub(crate) fn candidates(&self, key: u64, out: &mut Vec<u32>) {
        out.clear();
        let frozen = self.frozen.block(key);
        let chain = self.chains.get(&key).copied().unwrap_or(Chain {
            front: NIL,
            back: NIL,
        });
        if self.flipped {
            self.push_list(chain.back, out);
            out.extend(frozen.iter().rev());
            self.push_list_rev(chain.front, out);
        } else {
            self.push_list(chain.front, out);
            out.extend_from_slice(frozen);
            self.push_list_rev(chain.back, out);
        }
    }

    /// The entries in visiting order per key, to be shared by split BTFs.
    pub(crate) fn freeze(self) -> FrozenTable {
        let mut keys = map_with_capacity(self.chains.len());
        let mut ids = Vec::with_capacity(self.fill.size);
        let mut buf = Vec::new();
        for &key in self.chains.keys() {
            self.candidates(key, &mut buf);
            keys.insert(key, (ids.len() as u32, buf.len() as u32));
            ids.extend_from_slice(&buf);
        }
        FrozenTable {
            keys,
            ids,
            fill: self.fill,
        }
    }
}
