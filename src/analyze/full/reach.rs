//! Which base types a module reaches. Most modules reach the same large
//! strongly connected part of the kernel's type graph (`struct module`
//! leads to most of it), so the closures of big strongly connected
//! components are computed once per base and merged in one step.

use crate::btf::{Btf, TypeId};
use crate::dedup::IdSet;

/// Components this large or larger get their closure precomputed.
const HUB_MIN_TYPES: usize = 64;

/// Closure bitmaps may take up to this many bytes per byte of the base's
/// type records (vmlinux: 10 MB for its 2.5 MB of types, ~800 bitmaps; it
/// has far fewer big components).
const HUB_BYTES_PER_TYPE_BYTE: usize = 4;

/// The base's type graph, computed once per base.
pub(super) struct BaseGraph {
    /// `ids[offs[id]..offs[id + 1]]` are the ids base type `id` refers to.
    offs: Vec<u32>,
    ids: Vec<TypeId>,
    /// Per base id, the index in `hubs` of its component's closure.
    hub_of: Vec<u32>,
    hubs: Vec<Vec<u64>>,
}

const NO_HUB: u32 = u32::MAX;

impl BaseGraph {
    pub(super) fn new(base: &Btf) -> Self {
        let mut offs = vec![0u32];
        let mut ids = Vec::new();
        for id in 0..base.type_count() {
            if let Some(t) = base.type_by_id(id) {
                ids.extend(t.type_ref_words().map(|w| t.word(w)));
            }
            offs.push(ids.len() as u32);
        }
        let mut graph = BaseGraph {
            offs,
            ids,
            hub_of: vec![NO_HUB; base.type_count() as usize],
            hubs: Vec::new(),
        };
        // Each closure is a bitmap of the whole base: their number is kept
        // to what the base's own size pays for (a crafted base could hold
        // thousands of big components), the biggest components first.
        let bitmap_bytes = (base.type_count() as usize).div_ceil(64) * 8;
        let kept = (HUB_BYTES_PER_TYPE_BYTE * base.type_bytes().len()) / bitmap_bytes.max(1);
        let mut components = graph.big_components();
        components.sort_by_key(|c| std::cmp::Reverse(c.len()));
        components.truncate(kept);
        for component in components {
            let mut closure = vec![0u64; (base.type_count() as usize).div_ceil(64)];
            let mut todo = component.clone();
            for &id in &todo {
                set(&mut closure, id);
            }
            while let Some(id) = todo.pop() {
                for &to in graph.refs(id) {
                    if to != 0 && (to as usize) < graph.hub_of.len() && !test(&closure, to) {
                        set(&mut closure, to);
                        todo.push(to);
                    }
                }
            }
            for &id in &component {
                graph.hub_of[id as usize] = graph.hubs.len() as u32;
            }
            graph.hubs.push(closure);
        }
        graph
    }

    fn refs(&self, id: TypeId) -> &[TypeId] {
        let i = id as usize;
        match (self.offs.get(i), self.offs.get(i + 1)) {
            (Some(&from), Some(&to)) => &self.ids[from as usize..to as usize],
            _ => &[],
        }
    }

    /// Strongly connected components of at least `HUB_MIN_TYPES` types
    /// (Tarjan's algorithm, with an explicit stack).
    fn big_components(&self) -> Vec<Vec<TypeId>> {
        let n = self.hub_of.len();
        const UNSEEN: u32 = u32::MAX;
        let mut index = vec![UNSEEN; n];
        let mut low = vec![0u32; n];
        let mut on_stack = vec![false; n];
        let mut stack = Vec::new();
        let mut frames: Vec<(TypeId, usize)> = Vec::new();
        let mut next = 0u32;
        let mut found = Vec::new();
        for root in 1..n as TypeId {
            if index[root as usize] != UNSEEN {
                continue;
            }
            frames.push((root, 0));
            index[root as usize] = next;
            low[root as usize] = next;
            next += 1;
            stack.push(root);
            on_stack[root as usize] = true;
            while let Some(&mut (v, ref mut edge)) = frames.last_mut() {
                let refs = self.refs(v);
                if let Some(&w) = refs.get(*edge) {
                    *edge += 1;
                    let wi = w as usize;
                    if w == 0 || wi >= n {
                        continue;
                    }
                    if index[wi] == UNSEEN {
                        index[wi] = next;
                        low[wi] = next;
                        next += 1;
                        stack.push(w);
                        on_stack[wi] = true;
                        frames.push((w, 0));
                    } else if on_stack[wi] {
                        low[v as usize] = low[v as usize].min(index[wi]);
                    }
                    continue;
                }
                frames.pop();
                if let Some(&(parent, _)) = frames.last() {
                    low[parent as usize] = low[parent as usize].min(low[v as usize]);
                }
                if low[v as usize] == index[v as usize] {
                    let mut component = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w as usize] = false;
                        component.push(w);
                        if w == v {
                            break;
                        }
                    }
                    if component.len() >= HUB_MIN_TYPES {
                        found.push(component);
                    }
                }
            }
        }
        found
    }
}

fn set(bits: &mut [u64], id: TypeId) {
    bits[id as usize / 64] |= 1 << (id % 64);
}

fn test(bits: &[u64], id: TypeId) -> bool {
    bits[id as usize / 64] & (1 << (id % 64)) != 0
}

/// The base types the split types of `btf` reach. The base's graph comes
/// from `graph` (of `btf`'s base) when given.
pub(super) fn reach(btf: &Btf, graph: Option<&BaseGraph>) -> IdSet {
    let start = btf.start_id();
    let mut seen = vec![0u64; (start as usize).div_ceil(64)];
    let mut todo = Vec::new();
    let visit = |id: TypeId, seen: &mut Vec<u64>, todo: &mut Vec<TypeId>| {
        if id == 0 || id >= start || test(seen, id) {
            return;
        }
        match graph.map(|g| g.hub_of[id as usize]) {
            Some(hub) if hub != NO_HUB => {
                let closure = &graph.expect("a graph").hubs[hub as usize];
                for (s, c) in seen.iter_mut().zip(closure) {
                    *s |= c;
                }
            }
            _ => {
                set(seen, id);
                todo.push(id);
            }
        }
    };
    for t in btf.local_types() {
        for w in t.type_ref_words() {
            visit(t.word(w), &mut seen, &mut todo);
        }
        while let Some(id) = todo.pop() {
            match graph {
                Some(g) => {
                    for &to in g.refs(id) {
                        visit(to, &mut seen, &mut todo);
                    }
                }
                None => {
                    if let Some(b) = btf.type_by_id(id) {
                        for w in b.type_ref_words() {
                            visit(b.word(w), &mut seen, &mut todo);
                        }
                    }
                }
            }
        }
    }
    IdSet::from_bits(seen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btf::BtfBuilder;

    /// `rings` pointer cycles of `len` structs each: struct i.k points to
    /// struct i.(k+1), the last back to the first.
    fn rings(rings: u32, len: u32) -> Btf<'static> {
        let mut b = BtfBuilder::new();
        for r in 0..rings {
            let first = 1 + r * 2 * len;
            for k in 0..len {
                // Struct, then the pointer to the next struct (2 ids each).
                let s = b.add_struct(format!("s{r}_{k}"), 8);
                let next = if k + 1 == len { first } else { s + 2 };
                b.add_field("next", s + 1, 0, 0).unwrap();
                b.add_ptr(next);
            }
        }
        b.finish()
    }

    #[test]
    fn closures_are_bounded_by_the_base_size_and_reach_is_unchanged() {
        // 1,000 components of 64 structs: all their closures would take
        // 16 MB against 2.3 MB of type records.
        let base = rings(1000, 64);
        let graph = BaseGraph::new(&base);
        let bitmap = (base.type_count() as usize).div_ceil(64) * 8;
        assert!(!graph.hubs.is_empty());
        assert!(graph.hubs.len() * bitmap <= HUB_BYTES_PER_TYPE_BYTE * base.type_bytes().len());
        assert!(graph.hubs.len() < 1000, "{} closures", graph.hubs.len());

        // A module pointing into every tenth ring reaches the same types
        // with and without the precomputed closures.
        let mut m = BtfBuilder::new_split(&base);
        for r in (0..1000).step_by(10) {
            m.add_ptr(1 + r * 128);
        }
        let module = m.finish();
        let with = reach(&module, Some(&graph));
        let without = reach(&module, None);
        assert_eq!(
            with.iter().collect::<Vec<_>>(),
            without.iter().collect::<Vec<_>>()
        );
        assert_eq!(with.len(), 100 * 128);
    }
}
