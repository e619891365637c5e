//! The type graph of a split BTF: its own types, the base types they refer
//! to, and the references between them. A node can be expanded on demand
//! with [`neighbours`], and [`rooted`] keeps what one type reaches within a
//! depth. A whole module's graph has thousands of nodes: a drawing starts
//! from one type's neighbourhood ([`view`] with [`GraphView::Start`]), by
//! default the module's [`hub`]. JSON is the serde form (for the page),
//! [`Graph::to_dot`] Graphviz (for slides).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::btf::read::kind_label;
use crate::btf::types::TypeId;
use crate::btf::{Btf, Kind};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    pub id: TypeId,
    pub kind: String,
    pub name: String,
    /// Whether the type lives in the base (vmlinux) rather than the split BTF.
    pub base: bool,
    /// Byte size, for the kinds that have one.
    pub size: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Graph {
    pub nodes: Vec<Node>,
    /// `(from, to)`: `from`'s record holds `to`'s id. Void (0) is left out.
    pub edges: Vec<(TypeId, TypeId)>,
    /// For each edge, the member or parameter name it stands for ("" for
    /// the one reference of a pointer, typedef, const …, "return" for a
    /// prototype's return type).
    pub edge_labels: Vec<String>,
}

/// Which part of a split BTF's graph to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GraphView {
    /// What a type (by default the [`hub`]) reaches in [`START_DEPTH`]
    /// references; the whole graph if the BTF has no named struct or union.
    Start(Option<TypeId>),
    /// One type and what it refers to ([`neighbours`]).
    Expand(TypeId),
    /// Every type the BTF holds and the base types they use ([`split_graph`]).
    Whole,
}

/// References a drawing's start follows from its root: through a pointer
/// to the struct it points at.
pub const START_DEPTH: u32 = 2;

/// A part of a split BTF's graph, with what it is centred on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GraphPart {
    /// The type the part starts from or expands (`None`: the whole graph).
    pub root: Option<TypeId>,
    /// How many types the split BTF holds itself (the whole graph's
    /// module nodes).
    pub own_types: usize,
    #[serde(flatten)]
    pub graph: Graph,
}

/// The part of `btf`'s graph that `view` asks for. A start root that is
/// not a type of `btf` falls back to the hub.
pub fn view(btf: &Btf, view: GraphView) -> GraphPart {
    let (root, graph) = match view {
        GraphView::Start(root) => {
            match root
                .filter(|&id| id != 0 && btf.type_by_id(id).is_some())
                .or_else(|| hub(btf))
            {
                Some(root) => (Some(root), rooted(btf, root, START_DEPTH)),
                None => (None, split_graph(btf)),
            }
        }
        GraphView::Expand(id) => (Some(id), neighbours(btf, id)),
        GraphView::Whole => (None, split_graph(btf)),
    };
    GraphPart {
        root,
        own_types: btf.local_len(),
        graph,
    }
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

/// What `id` reaches in at most `depth` references, base types included.
pub fn rooted(btf: &Btf, root: TypeId, depth: u32) -> Graph {
    let mut level: BTreeMap<TypeId, u32> = BTreeMap::new();
    let mut todo = std::collections::VecDeque::new();
    if btf.type_by_id(root).is_some() {
        level.insert(root, 0);
        todo.push_back(root);
    }
    let mut sources = Vec::new();
    while let Some(id) = todo.pop_front() {
        let d = level[&id];
        if d >= depth {
            continue;
        }
        sources.push(id);
        for (target, _) in references(btf, id) {
            if let std::collections::btree_map::Entry::Vacant(e) = level.entry(target) {
                e.insert(d + 1);
                todo.push_back(target);
            }
        }
    }
    let mut g = graph_of(btf, sources);
    g.nodes.retain(|n| level.contains_key(&n.id));
    if g.nodes.is_empty() {
        // depth 0: the root alone
        g = graph_of(btf, std::iter::empty());
        g.nodes.extend(node(btf, root));
    }
    g
}

/// Where a drawing of a split BTF can start: its named struct or union
/// that its own types' members, parameters and variables use most
/// (through pointers, modifiers and arrays), the smallest id among
/// equals; `None` when it has no named struct or union.
pub fn hub(btf: &Btf) -> Option<TypeId> {
    let start = btf.start_id();
    let mut used = vec![0u32; btf.local_len()];
    for t in btf.local_types() {
        if !matches!(
            t.kind(),
            Some(Kind::Struct | Kind::Union | Kind::FuncProto | Kind::Var)
        ) {
            continue;
        }
        for w in t.type_ref_words() {
            let target = strip(btf, t.word(w));
            if let Some(n) = target
                .checked_sub(start)
                .and_then(|i| used.get_mut(i as usize))
            {
                *n += 1;
            }
        }
    }
    btf.local_types()
        .filter(|t| matches!(t.kind(), Some(Kind::Struct | Kind::Union)) && t.name_off() != 0)
        .max_by_key(|t| (used[(t.id - start) as usize], std::cmp::Reverse(t.id)))
        .map(|t| t.id)
}

/// The type under pointers, modifiers and arrays (at most a few dozen: a
/// cycle of them ends there).
fn strip(btf: &Btf, mut id: TypeId) -> TypeId {
    for _ in 0..32 {
        let Some(t) = btf.type_by_id(id) else { break };
        id = match t.kind() {
            Some(Kind::Ptr | Kind::Const | Kind::Volatile | Kind::Restrict | Kind::TypeTag) => {
                t.size_or_type()
            }
            Some(Kind::Array) => t.array().elem_type,
            _ => break,
        };
    }
    id
}

/// The first type named `name`: the split BTF's own before the base's.
pub fn find_by_name(btf: &Btf, name: &str) -> Option<TypeId> {
    let named = |t: &crate::btf::TypeView| btf.str_at(t.name_off()) == Some(name.as_bytes());
    btf.local_types()
        .find(named)
        .or_else(|| {
            (1..btf.start_id())
                .filter_map(|id| btf.type_by_id(id))
                .find(named)
        })
        .map(|t| t.id)
}

/// The ids `id`'s record holds (void left out), each with its label.
pub(crate) fn references(btf: &Btf, id: TypeId) -> Vec<(TypeId, String)> {
    let Some(t) = btf.type_by_id(id) else {
        return Vec::new();
    };
    let elem_names: Vec<u32> = match t.kind() {
        Some(Kind::Struct | Kind::Union) => t.members().map(|m| m.name_off).collect(),
        Some(Kind::FuncProto) => t.params().map(|p| p.name_off).collect(),
        _ => Vec::new(),
    };
    t.type_ref_words()
        .enumerate()
        .filter_map(|(i, w)| {
            let target = t.word(w);
            let label = match t.kind() {
                Some(Kind::Struct | Kind::Union) => btf.name(elem_names[i]).into_owned(),
                Some(Kind::FuncProto) if i == 0 => "return".to_string(),
                Some(Kind::FuncProto) => btf.name(elem_names[i - 1]).into_owned(),
                Some(Kind::Array) if i == 1 => "index".to_string(),
                _ => String::new(),
            };
            (target != 0).then_some((target, label))
        })
        .collect()
}

fn node(btf: &Btf, id: TypeId) -> Option<Node> {
    let t = btf.type_by_id(id)?;
    Some(Node {
        id,
        kind: kind_label(t.kind_raw()),
        name: btf.name(t.name_off()).into_owned(),
        base: id < btf.start_id(),
        size: t.kind().filter(|k| k.has_size()).map(|_| t.size_or_type()),
    })
}

fn graph_of(btf: &Btf, sources: impl IntoIterator<Item = TypeId>) -> Graph {
    let mut ids = BTreeSet::new();
    let mut edges = Vec::new();
    let mut edge_labels = Vec::new();
    for id in sources {
        if btf.type_by_id(id).is_none() {
            continue;
        }
        ids.insert(id);
        for (target, label) in references(btf, id) {
            ids.insert(target);
            edges.push((id, target));
            edge_labels.push(label);
        }
    }
    let nodes = ids.into_iter().filter_map(|id| node(btf, id)).collect();
    Graph {
        nodes,
        edges,
        edge_labels,
    }
}

impl Graph {
    /// Graphviz: split types as boxes, base types as grey ellipses, edges
    /// labelled with member and parameter names.
    pub fn to_dot(&self) -> String {
        let quote = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        let mut s =
            String::from("digraph btf {\n  rankdir=LR;\n  node [fontname=\"monospace\"];\n");
        for n in &self.nodes {
            let name = if n.name.is_empty() { "(anon)" } else { &n.name };
            let size = n.size.map(|b| format!("\\n{b} bytes")).unwrap_or_default();
            let style = if n.base {
                "shape=ellipse, style=filled, fillcolor=\"#dddddd\""
            } else {
                "shape=box"
            };
            s += &format!(
                "  t{} [label=\"[{}] {} {}{size}\", {style}];\n",
                n.id,
                n.id,
                n.kind,
                quote(name)
            );
        }
        for (i, (from, to)) in self.edges.iter().enumerate() {
            let label = self.edge_labels.get(i).map_or("", |l| l.as_str());
            if label.is_empty() {
                s += &format!("  t{from} -> t{to};\n");
            } else {
                s += &format!("  t{from} -> t{to} [label=\"{}\"];\n", quote(label));
            }
        }
        s += "}\n";
        s
    }
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

    #[test]
    fn rooted_graph_has_labels_sizes_and_depth() {
        let mut b = BtfBuilder::new();
        let int = b.add_int("int", 4, 1);
        let base = b.finish();
        let mut s = BtfBuilder::new_split(&base);
        let st = s.add_struct("pair", 8);
        s.add_field("a", int, 0, 0).unwrap();
        let p = s.add_ptr(st);
        s.add_field("next", p, 32, 0).unwrap_err(); // the last type is the PTR
        let outer = s.add_struct("outer", 8);
        s.add_field("p", p, 0, 0).unwrap();
        let split = s.finish();

        assert_eq!(find_by_name(&split, "outer"), Some(outer));
        assert_eq!(find_by_name(&split, "int"), Some(int));
        let g = rooted(&split, outer, 1);
        assert_eq!(g.edges, [(outer, p)]);
        assert_eq!(g.edge_labels, ["p"]);
        let ids: Vec<_> = g.nodes.iter().map(|n| n.id).collect();
        assert_eq!(ids, [p, outer]);
        assert_eq!(g.nodes[1].size, Some(8));
        let all = rooted(&split, outer, 9);
        assert_eq!(all.nodes.len(), 4);
        assert!(all.nodes[0].base);
        assert_eq!(rooted(&split, outer, 0).nodes.len(), 1);
        let dot = all.to_dot();
        assert!(dot.contains(
            "t{outer} -> t{p} [label=\"p\"];"
                .replace("{outer}", &outer.to_string())
                .replace("{p}", &p.to_string())
                .as_str()
        ));
        assert!(dot.starts_with("digraph btf {"));
    }

    #[test]
    fn a_drawing_starts_from_the_hub_or_a_type() {
        let mut b = BtfBuilder::new();
        let int = b.add_int("int", 4, 1);
        let base = b.finish();
        let mut s = BtfBuilder::new_split(&base);
        let leaf = s.add_struct("leaf", 4);
        s.add_field("a", int, 0, 0).unwrap();
        let hub_id = s.add_struct("hub", 4);
        s.add_field("a", int, 0, 0).unwrap();
        let p = s.add_ptr(hub_id);
        let users: Vec<TypeId> = (0..3)
            .map(|i| {
                let u = s.add_struct(format!("user{i}").as_str(), 8);
                s.add_field("h", p, 0, 0).unwrap();
                u
            })
            .collect();
        let split = s.finish();
        assert_eq!(hub(&split), Some(hub_id), "three members point at it");

        let start = view(&split, GraphView::Start(None));
        assert_eq!(start.root, Some(hub_id));
        assert_eq!(start.own_types, 6);
        let ids: Vec<TypeId> = start.graph.nodes.iter().map(|n| n.id).collect();
        assert_eq!(ids, [int, hub_id]);
        assert_eq!(start.graph.edge_labels, ["a"]);

        // A user reaches the hub through its pointer: two references.
        let from = view(&split, GraphView::Start(Some(users[1])));
        assert_eq!(from.root, Some(users[1]));
        let ids: Vec<TypeId> = from.graph.nodes.iter().map(|n| n.id).collect();
        assert_eq!(ids, [hub_id, p, users[1]]);
        for bad in [0, 999] {
            assert_eq!(view(&split, GraphView::Start(Some(bad))).root, Some(hub_id));
        }
        assert_eq!(view(&split, GraphView::Whole).graph, split_graph(&split));
        assert_eq!(
            view(&split, GraphView::Expand(leaf)).graph,
            neighbours(&split, leaf)
        );

        // Nothing named to start from: the whole graph.
        let mut s = BtfBuilder::new_split(&base);
        s.add_ptr(int);
        let bare = s.finish();
        let start = view(&bare, GraphView::Start(None));
        assert_eq!((start.root, start.graph), (None, split_graph(&bare)));
    }
}
