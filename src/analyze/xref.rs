//! Cross references over a base BTF and the modules split on it: every
//! named type by name (a substring search fast enough to run per
//! keystroke on vmlinux's 100k types), where each name is defined (the
//! base, which modules), and which named types refer to a type.
//!
//! Types are numbered across sources ("global" numbers): the base's first,
//! then each module's own types in the order the modules were added. The
//! index owns everything it needs, so it outlives the parsed BTFs it was
//! built from.

use std::collections::VecDeque;

use memchr::memmem;
use serde::Serialize;

use crate::analyze::graph::references;
use crate::btf::fx::FxHashMap;
use crate::btf::read::kind_label;
use crate::btf::types::TypeId;
use crate::btf::{Btf, Kind};

/// A type of one source: `source` indexes [`TypeIndex::sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Located {
    pub source: u32,
    pub id: TypeId,
}

/// One name of one kind, e.g. `STRUCT module`, and where it is defined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Its number in the index, for [`TypeIndex::entry`].
    pub entry: u32,
    pub kind: String,
    pub name: String,
    /// Every type of that kind and name: the base's first, then the
    /// modules' in the order they were added.
    pub defined: Vec<Located>,
}

/// What [`TypeIndex::search`] found: the first `hits` of `total`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hits {
    pub total: u32,
    pub hits: Vec<Hit>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    pub entry: u32,
    pub kind: String,
    pub name: String,
    /// How many types carry this kind and name, and the first of them.
    pub count: u32,
    pub first: Located,
}

/// A named type that refers to the type asked about, directly or through
/// anonymous types (pointers, modifiers, arrays, prototypes, anonymous
/// structs and unions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Referrer {
    pub at: Located,
    pub kind: String,
    pub name: String,
    /// The anonymous types between the referrer and the type, referrer
    /// side first (ids of the referrer's source, which may be its base's).
    #[serde(skip)]
    pub chain: Vec<TypeId>,
}

/// The named types that refer to a type: the first `referrers` of `total`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Referrers {
    pub total: u32,
    pub referrers: Vec<Referrer>,
}

/// A source of types: the base or one module.
#[derive(Debug, Clone)]
struct Source {
    name: String,
    /// Global number of its first own type.
    first: u32,
    start_id: TypeId,
    len: u32,
}

/// Marks a type without a name in `entry_of`.
const ANONYMOUS: u32 = u32::MAX;

/// See the module documentation. Built with [`TypeIndexBuilder`].
#[derive(Debug, Clone)]
pub struct TypeIndex {
    sources: Vec<Source>,
    /// Per global number: the kind, and the entry of its kind and name.
    kinds: Vec<u8>,
    entry_of: Vec<u32>,
    /// Per entry, in search order (shorter names first, then by name).
    entry_kinds: Vec<u8>,
    /// Every entry's name, lower-cased, each followed by '\n'; entry `e`
    /// starts at `starts[e]`, and its name as given at the same offset of
    /// `names` (lower-casing keeps lengths: it is ASCII only).
    lower: String,
    names: String,
    starts: Vec<u32>,
    /// Entry `e` is defined by the globals `defined[defined_at[e]..defined_at[e + 1]]`.
    defined_at: Vec<u32>,
    defined: Vec<u32>,
    /// Global `g` is referred to by the globals `referred_by[referred_at[g]..referred_at[g + 1]]`.
    referred_at: Vec<u32>,
    referred_by: Vec<u32>,
}

/// Collects sources for a [`TypeIndex`]: the base first (if any), then
/// modules.
#[derive(Debug, Default)]
pub struct TypeIndexBuilder {
    sources: Vec<Source>,
    kinds: Vec<u8>,
    /// Per global number: its (kind, name) key, or `ANONYMOUS`.
    key_of: Vec<u32>,
    keys: FxHashMap<(u8, u32), u32>,
    key_list: Vec<(u8, u32)>,
    name_ids: FxHashMap<Vec<u8>, u32>,
    name_list: Vec<Vec<u8>>,
    /// (referred to, referrer), global numbers.
    edges: Vec<(u32, u32)>,
    base_count: Option<TypeId>,
}

impl TypeIndexBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the base BTF; must come first.
    pub fn add_base(&mut self, name: &str, btf: &Btf) {
        assert!(self.sources.is_empty(), "the base comes first");
        self.base_count = Some(btf.type_count());
        self.add(name, btf, false);
    }

    /// Adds a module's BTF. If it is split on the base given to
    /// [`add_base`](Self::add_base), its references to base types count as
    /// theirs; a module on another base (its distilled base) has only its
    /// own types indexed.
    pub fn add_module(&mut self, name: &str, btf: &Btf) {
        let on_base = self.base_count.is_some_and(|count| {
            btf.base().is_some_and(|b| b.type_count() == count) && btf.start_id() == count
        });
        self.add(name, btf, on_base);
    }

    fn add(&mut self, name: &str, btf: &Btf, on_base: bool) {
        let first = self.kinds.len() as u32;
        let start_id = btf.start_id();
        let local = |id: TypeId| -> Option<u32> {
            if id >= start_id {
                Some(first + (id - start_id))
            } else if on_base && id > 0 {
                Some(id - 1)
            } else {
                None
            }
        };
        for t in btf.local_types() {
            let global = local(t.id).expect("own type");
            let kind = t.kind_raw();
            self.kinds.push(kind);
            let named = btf.str_at(t.name_off()).filter(|n| !n.is_empty());
            let key = match named {
                Some(n) if kind != Kind::TypeTag as u8 => {
                    let name = self.name_id(n);
                    let next = self.key_list.len() as u32;
                    *self.keys.entry((kind, name)).or_insert_with(|| {
                        self.key_list.push((kind, name));
                        next
                    })
                }
                _ => ANONYMOUS,
            };
            self.key_of.push(key);
            for w in t.type_ref_words() {
                if let Some(to) = local(t.word(w)) {
                    self.edges.push((to, global));
                }
            }
        }
        self.sources.push(Source {
            name: name.to_string(),
            first,
            start_id,
            len: btf.local_len() as u32,
        });
    }

    fn name_id(&mut self, name: &[u8]) -> u32 {
        if let Some(&id) = self.name_ids.get(name) {
            return id;
        }
        let id = self.name_list.len() as u32;
        self.name_ids.insert(name.to_vec(), id);
        self.name_list.push(name.to_vec());
        id
    }

    pub fn finish(self) -> TypeIndex {
        // As text (a name with a newline would break the lines apart: it
        // is shown with a space), and lower-cased once per name.
        let names: Vec<String> = self
            .name_list
            .iter()
            .map(|n| String::from_utf8_lossy(n).replace('\n', " "))
            .collect();
        let lowers: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
        // Search order: shorter names first (an exact match comes first),
        // then by lower-cased name, then the common kinds first.
        let mut order: Vec<u32> = (0..self.key_list.len() as u32).collect();
        let sort_key = |k: &u32| {
            let (kind, name) = self.key_list[*k as usize];
            let name = name as usize;
            (
                lowers[name].len(),
                &lowers[name],
                kind_rank(kind),
                kind,
                &names[name],
            )
        };
        order.sort_unstable_by(|a, b| sort_key(a).cmp(&sort_key(b)));
        let mut entry_of_key = vec![0u32; order.len()];
        let mut lower = String::new();
        let mut all_names = String::new();
        let mut starts = Vec::with_capacity(order.len() + 1);
        let mut entry_kinds = Vec::with_capacity(order.len());
        for (entry, &key) in order.iter().enumerate() {
            entry_of_key[key as usize] = entry as u32;
            let (kind, name) = self.key_list[key as usize];
            starts.push(lower.len() as u32);
            entry_kinds.push(kind);
            lower.push_str(&lowers[name as usize]);
            lower.push('\n');
            all_names.push_str(&names[name as usize]);
            all_names.push('\n');
        }
        starts.push(lower.len() as u32);
        let entry_of: Vec<u32> = self
            .key_of
            .iter()
            .map(|&k| {
                if k == ANONYMOUS {
                    ANONYMOUS
                } else {
                    entry_of_key[k as usize]
                }
            })
            .collect();
        let (defined_at, defined) = csr(
            order.len(),
            entry_of
                .iter()
                .enumerate()
                .filter(|(_, &e)| e != ANONYMOUS)
                .map(|(g, &e)| (e, g as u32)),
        );
        let (referred_at, referred_by) = csr(self.kinds.len(), self.edges.into_iter());
        TypeIndex {
            sources: self.sources,
            kinds: self.kinds,
            entry_of,
            entry_kinds,
            lower,
            names: all_names,
            starts,
            defined_at,
            defined,
            referred_at,
            referred_by,
        }
    }
}

/// Groups `(key, value)` pairs by key, keys below `keys`: each key's values
/// in the order given, as offsets into one list.
fn csr(keys: usize, pairs: impl Iterator<Item = (u32, u32)> + Clone) -> (Vec<u32>, Vec<u32>) {
    let mut at = vec![0u32; keys + 1];
    for (k, _) in pairs.clone() {
        at[k as usize + 1] += 1;
    }
    for i in 0..keys {
        at[i + 1] += at[i];
    }
    let mut next = at.clone();
    let mut values = vec![0u32; at[keys] as usize];
    for (k, v) in pairs {
        values[next[k as usize] as usize] = v;
        next[k as usize] += 1;
    }
    (at, values)
}

/// Kinds a person looks for first, when names are equal.
fn kind_rank(kind: u8) -> u8 {
    match Kind::from_raw(kind) {
        Some(Kind::Struct | Kind::Union) => 0,
        Some(Kind::Enum | Kind::Enum64) => 1,
        Some(Kind::Typedef) => 2,
        Some(Kind::Func) => 3,
        Some(Kind::Var) => 4,
        Some(Kind::Int | Kind::Float) => 5,
        Some(Kind::Fwd) => 6,
        _ => 7,
    }
}

impl TypeIndex {
    /// The sources' names, in the order they were added (the base first).
    pub fn sources(&self) -> impl ExactSizeIterator<Item = &str> {
        self.sources.iter().map(|s| s.name.as_str())
    }

    /// Number of entries (distinct kind and name pairs).
    pub fn entries(&self) -> usize {
        self.entry_kinds.len()
    }

    /// Number of types of every source.
    pub fn types(&self) -> usize {
        self.kinds.len()
    }

    /// The entries whose name contains `query`, ignoring ASCII case:
    /// shorter names first, so an exact match comes first. At most `limit`
    /// hits, and how many there are in all. An empty query finds nothing.
    pub fn search(&self, query: &str, limit: usize) -> Hits {
        let query = query.to_ascii_lowercase();
        let mut hits = Vec::new();
        let mut total = 0u32;
        if query.is_empty() || query.contains('\n') {
            return Hits { total, hits };
        }
        let lower = self.lower.as_bytes();
        let finder = memmem::Finder::new(query.as_bytes());
        let mut from = 0;
        while let Some(found) = finder.find(&lower[from..]) {
            let at = from + found;
            // The next search starts on the next name.
            let end = at + memchr::memchr(b'\n', &lower[at..]).expect("every name ends a line");
            if hits.len() < limit {
                let entry = self.starts.partition_point(|&s| s as usize <= at) - 1;
                hits.push(self.hit(entry as u32));
            }
            total += 1;
            from = end + 1;
        }
        Hits { total, hits }
    }

    fn hit(&self, entry: u32) -> Hit {
        let defined = self.defined_of(entry);
        Hit {
            entry,
            kind: kind_label(self.entry_kinds[entry as usize]),
            name: self.name_of(entry).to_string(),
            count: defined.len() as u32,
            first: self.locate(defined[0]),
        }
    }

    fn name_of(&self, entry: u32) -> &str {
        let e = entry as usize;
        &self.names[self.starts[e] as usize..self.starts[e + 1] as usize - 1]
    }

    fn defined_of(&self, entry: u32) -> &[u32] {
        let e = entry as usize;
        &self.defined[self.defined_at[e] as usize..self.defined_at[e + 1] as usize]
    }

    /// Entry `entry` and every type that defines it; `None` past the last.
    pub fn entry(&self, entry: u32) -> Option<Entry> {
        let kind = *self.entry_kinds.get(entry as usize)?;
        Some(Entry {
            entry,
            kind: kind_label(kind),
            name: self.name_of(entry).to_string(),
            defined: self
                .defined_of(entry)
                .iter()
                .map(|&g| self.locate(g))
                .collect(),
        })
    }

    /// The entry named by `spec`: a name (`task_struct`), the most sought
    /// kind first (structs and unions, enums, typedefs, functions, ...),
    /// or a kind and a name (`struct task_struct`, `typedef u32`,
    /// `func schedule`; kinds as bpftool's upper-case names also do).
    pub fn find(&self, spec: &str) -> Option<u32> {
        let spec = spec.trim();
        let (kind, name) = match spec.split_once(' ') {
            Some((kind, name)) => (Some(kind_by_name(kind)?), name.trim()),
            None => (None, spec),
        };
        let lower = name.to_ascii_lowercase();
        let wanted = (lower.len(), lower.as_str());
        // Entries are sorted by name length, then lower-cased name.
        let key = |e: usize| {
            let line = &self.lower[self.starts[e] as usize..self.starts[e + 1] as usize - 1];
            (line.len(), line)
        };
        let (mut lo, mut hi) = (0, self.entries());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if key(mid) < wanted {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        (lo..self.entries())
            .take_while(|&e| key(e) == wanted)
            .find(|&e| {
                self.name_of(e as u32) == name && kind.is_none_or(|k| k == self.entry_kinds[e])
            })
            .map(|e| e as u32)
    }

    /// The global number of a type, if `at` names one of the index's own
    /// (a module's type, not a base type seen through the module).
    fn global(&self, at: Located) -> Option<u32> {
        let s = self.sources.get(at.source as usize)?;
        let own = at.id.checked_sub(s.start_id).filter(|&i| i < s.len)?;
        Some(s.first + own)
    }

    fn locate(&self, global: u32) -> Located {
        let source = self.sources.partition_point(|s| s.first <= global) - 1;
        let s = &self.sources[source];
        Located {
            source: source as u32,
            id: s.start_id + (global - s.first),
        }
    }

    /// The entry (kind and name) of a type, `None` for an anonymous type
    /// or one the index does not hold.
    pub fn entry_of(&self, at: Located) -> Option<u32> {
        let e = self.entry_of[self.global(at)? as usize];
        (e != ANONYMOUS).then_some(e)
    }

    /// The named types that refer to the type `at`, directly or through
    /// anonymous types: at most `limit` of them, structs and unions first,
    /// then by kind and name; and how many there are in all.
    pub fn referrers(&self, at: Located, limit: usize) -> Referrers {
        let Some(target) = self.global(at) else {
            return Referrers {
                total: 0,
                referrers: Vec::new(),
            };
        };
        // Breadth first up the references; anonymous types are passed
        // through, named ones are the answer. `parent` leads back down.
        let mut parent: FxHashMap<u32, u32> = FxHashMap::default();
        parent.insert(target, target);
        let mut todo = VecDeque::from([target]);
        let mut found = Vec::new();
        let mut self_parent = None;
        while let Some(g) = todo.pop_front() {
            let (from, to) = (
                self.referred_at[g as usize],
                self.referred_at[g as usize + 1],
            );
            for &r in &self.referred_by[from as usize..to as usize] {
                if r == target && self_parent.is_none() && self.entry_of[r as usize] != ANONYMOUS {
                    // A type that refers to itself, as a list node does.
                    self_parent = Some(g);
                    found.push(r);
                }
                if parent.contains_key(&r) {
                    continue;
                }
                parent.insert(r, g);
                if self.entry_of[r as usize] == ANONYMOUS {
                    todo.push_back(r);
                } else {
                    found.push(r);
                }
            }
        }
        let total = found.len() as u32;
        found.sort_by_cached_key(|&g| {
            let e = self.entry_of[g as usize];
            (
                kind_rank(self.kinds[g as usize]),
                self.kinds[g as usize],
                self.name_of(e).to_string(),
                g,
            )
        });
        found.truncate(limit);
        let referrers = found
            .into_iter()
            .map(|g| {
                let at = self.locate(g);
                let mut chain = Vec::new();
                let mut step = if g == target {
                    self_parent.expect("found as its own referrer")
                } else {
                    parent[&g]
                };
                while step != target {
                    chain.push(self.id_in(step, at.source));
                    step = parent[&step];
                }
                Referrer {
                    at,
                    kind: kind_label(self.kinds[g as usize]),
                    name: self.name_of(self.entry_of[g as usize]).to_string(),
                    chain,
                }
            })
            .collect();
        Referrers { total, referrers }
    }

    /// The id of global `g` as source `source` sees it (its own, or its base's).
    fn id_in(&self, g: u32, source: u32) -> TypeId {
        let at = self.locate(g);
        if at.source == source {
            at.id
        } else {
            g + self.sources[0].start_id
        }
    }
}

/// A kind by its C keyword (`struct`) or bpftool's name (`STRUCT`).
fn kind_by_name(word: &str) -> Option<u8> {
    let upper = word.to_ascii_uppercase();
    Kind::ALL
        .iter()
        .find(|k| k.name() == upper)
        .map(|&k| k as u8)
}

/// How `referrer` (a type of `btf`) reaches the type after `chain`: the
/// member and parameter names along the way, e.g. `sk.sk_buff` or
/// `return`; empty when the reference has no name (a typedef's).
pub fn path_label(btf: &Btf, referrer: &Referrer, target: TypeId) -> String {
    let hops = std::iter::once(referrer.at.id)
        .chain(referrer.chain.iter().copied())
        .zip(
            referrer
                .chain
                .iter()
                .copied()
                .chain(std::iter::once(target)),
        );
    let labels: Vec<String> = hops
        .filter_map(|(from, to)| {
            references(btf, from)
                .into_iter()
                .find(|(t, _)| *t == to)
                .map(|(_, label)| label)
                .filter(|l| !l.is_empty())
        })
        .collect();
    labels.join(".")
}
