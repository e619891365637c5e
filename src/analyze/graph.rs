//! The type graph of a split BTF: its own types, the base types they refer
//! to, and the references between them. Small enough to draw; a base node
//! can be expanded on demand with [`neighbours`].

use std::collections::BTreeSet;

use serde::Serialize;

use crate::btf::read::kind_label;
use crate::btf::types::TypeId;
use crate::btf::Btf;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    pub id: TypeId,
    pub kind: String,
    pub name: String,
    /// Whether the type lives in the base (vmlinux) rather than the split BTF.
    pub base: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Graph {
    pub nodes: Vec<Node>,
    /// `(from, to)`: `from`'s record holds `to`'s id. Void (0) is left out.
    pub edges: Vec<(TypeId, TypeId)>,
}

/// Every type `btf` holds itself, plus the base types they refer to directly.
pub fn split_graph(btf: &Btf) -> Graph {
    graph_of(btf, btf.start_id()..btf.type_count())
}

/// Type `id` and the types it refers to: what expanding a node adds.
/// Empty when `id` is void or past the last type.
pub fn neighbours(btf: &Btf, id: TypeId) -> Graph {
    graph_of(btf, id..id.saturating_add(1).min(btf.type_count()))
}

fn graph_of(btf: &Btf, sources: std::ops::Range<TypeId>) -> Graph {
    let mut ids = BTreeSet::new();
    let mut edges = Vec::new();
    for id in sources {
        let Some(t) = btf.type_by_id(id) else {
            continue;
        };
        ids.insert(id);
        for w in t.type_ref_words() {
            let target = t.word(w);
            if target != 0 {
                ids.insert(target);
                edges.push((id, target));
            }
        }
    }
    let nodes = ids
        .into_iter()
        .filter_map(|id| {
            let t = btf.type_by_id(id)?;
            Some(Node {
                id,
                kind: kind_label(t.kind_raw()),
                name: btf.name(t.name_off()).into_owned(),
                base: id < btf.start_id(),
            })
        })
        .collect();
    Graph { nodes, edges }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btf::BtfBuilder;

    #[test]
    fn split_types_point_at_base_types() {
        let mut b = BtfBuilder::new();
        let int = b.add_int("int", 4, 1);
        let base = b.finish();
        let mut s = BtfBuilder::new_split(&base);
        let ptr = s.add_ptr(int);
        let typedef = s.add_typedef("intp", ptr);
        let split = s.finish();

        let g = split_graph(&split);
        let ids: Vec<_> = g.nodes.iter().map(|n| (n.id, n.base)).collect();
        assert_eq!(ids, [(int, true), (ptr, false), (typedef, false)]);
        assert_eq!(g.edges, [(ptr, int), (typedef, ptr)]);
        assert_eq!(g.nodes[2].name, "intp");
        assert_eq!(g.nodes[2].kind, "TYPEDEF");

        let n = neighbours(&split, typedef);
        assert_eq!(n.edges, [(typedef, ptr)]);
        assert!(neighbours(&split, 0).nodes.is_empty());
        assert!(neighbours(&split, 99).nodes.is_empty());
    }
}
