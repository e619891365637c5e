//! Why a module carries its own copy of a vmlinux type. Every split type
//! with a base type of the same kind and name (and size) — and every
//! anonymous type reached from one — gets one verdict:
//!
//! - [`Verdict::Identical`]: a current deduplication merges it into the
//!   base; the shipped BTF is stale.
//! - [`Verdict::Different`]: the two differ; the first differing path and
//!   both sides are given.
//! - [`Verdict::Unmergeable`]: equivalent, yet split deduplication cannot
//!   merge it, with the reason.
//!
//! What deduplication does is not guessed: it is run
//! ([`representatives`]); the side-by-side walk only explains it.

use std::borrow::Cow;
use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::btf::fx::FxHashMap;
use crate::btf::types::Member;
use crate::btf::{Btf, Kind, TypeId, TypeView};
use crate::dedup::{representatives, BaseIndex, DedupRules};
use crate::error::{Error, ErrorKind, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// (a) Deduplication today merges it; `saved_bytes` are the type
    /// records that would go (this type's and those only it brings).
    Identical { saved_bytes: u64 },
    /// (b) Not the same type: `path` leads from the type to the first
    /// difference, `split` and `base` describe both sides there.
    Different {
        path: String,
        split: String,
        base: String,
    },
    /// (c) Equivalent, but split deduplication cannot merge it.
    Unmergeable { reason: Reason },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// The base has a FWD where the module has the full type; the base is
    /// fixed in split mode, so the FWD cannot be resolved to it.
    BaseFwd { path: String },
    /// The module holds two copies of a type that one base type would have
    /// to stand for at once (libbpf's hypothetical-map conflict).
    TwoCopies {
        path: String,
        first: TypeId,
        second: TypeId,
    },
    /// libbpf 1.7 files base typedefs under one hash and looks split
    /// typedefs up under another, so a split typedef never meets its twin
    /// (only with an index made for `DedupRules::Libbpf1_7`).
    TypedefHash,
    /// Several base types have this kind and name, so a forward
    /// declaration cannot be resolved to one.
    AmbiguousName { candidates: Vec<TypeId> },
    /// Equivalent to the walk, kept by deduplication for a reason the walk
    /// does not model.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub split_id: TypeId,
    pub base_id: TypeId,
    pub kind: &'static str,
    /// The type's name, or for an anonymous type the path it was reached by.
    pub name: String,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictCounts {
    pub identical: u64,
    pub different: u64,
    pub unmergeable: u64,
}

impl std::ops::AddAssign for VerdictCounts {
    fn add_assign(&mut self, o: Self) {
        self.identical += o.identical;
        self.different += o.different;
        self.unmergeable += o.unmergeable;
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub counts: VerdictCounts,
    /// How much smaller the module's BTF gets when deduplicated again.
    pub redup_saved_bytes: u64,
    pub findings: Vec<Finding>,
}

impl Reason {
    /// One line saying why, for people.
    pub fn describe(&self) -> String {
        match self {
            Reason::BaseFwd { path } => format!("the base has a forward declaration at {path}"),
            Reason::TwoCopies {
                path,
                first,
                second,
            } => format!("the module has two copies, [{first}] and [{second}], at {path}"),
            Reason::TypedefHash => {
                "libbpf files base typedefs under another hash than it looks them up by".into()
            }
            Reason::AmbiguousName { candidates } => {
                format!("{} base types share the name", candidates.len())
            }
            Reason::Other => "kept by deduplication for a reason not modelled here".into(),
        }
    }
}

impl Verdict {
    /// The verdict in words, for people.
    pub fn describe(&self) -> String {
        match self {
            Verdict::Identical { saved_bytes } => {
                format!("identical: a current dedup merges it ({saved_bytes} bytes)")
            }
            Verdict::Different { path, split, base } => {
                format!("different at {path}: {split} vs {base}")
            }
            Verdict::Unmergeable { reason } => {
                format!("equivalent, not mergeable: {}", reason.describe())
            }
        }
    }
}

impl Explanation {
    /// One line per finding, then the counts.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for f in &self.findings {
            s += &format!(
                "[{}] {} = base [{}]: {}\n",
                f.split_id,
                f.name,
                f.base_id,
                f.verdict.describe()
            );
        }
        let c = self.counts;
        s += &format!(
            "{} identical (a current dedup saves {} bytes), {} different, {} unmergeable\n",
            c.identical, self.redup_saved_bytes, c.different, c.unmergeable
        );
        s
    }
}

/// A base prepared for explaining any number of modules against it.
pub struct Explainer<'i, 'a> {
    index: &'i BaseIndex<'a>,
    base: &'a Btf<'a>,
    /// name → (kind, base id), in id order.
    names: FxHashMap<&'a [u8], Vec<(Kind, TypeId)>>,
}

/// Kinds whose same-named base twin makes a split type a suspect.
fn comparable(k: Kind) -> bool {
    matches!(
        k,
        Kind::Struct
            | Kind::Union
            | Kind::Enum
            | Kind::Enum64
            | Kind::Typedef
            | Kind::Int
            | Kind::Float
            | Kind::Fwd
    )
}

impl<'i, 'a> Explainer<'i, 'a> {
    pub fn new(index: &'i BaseIndex<'a>) -> Result<Self> {
        let base = index
            .base()
            .ok_or_else(|| Error::new(ErrorKind::Usage, "explaining needs a base BTF"))?;
        let mut names: FxHashMap<&'a [u8], Vec<(Kind, TypeId)>> = FxHashMap::default();
        for id in 1..base.type_count() {
            let Some(t) = base.type_by_id(id) else {
                continue;
            };
            match t.kind() {
                Some(k) if comparable(k) && t.name_off() != 0 => {
                    let name = base.str_at(t.name_off()).unwrap_or_default();
                    names.entry(name).or_default().push((k, id));
                }
                _ => {}
            }
        }
        Ok(Explainer { index, base, names })
    }

    fn candidates(&self, kind: Kind, name: &[u8]) -> impl Iterator<Item = TypeId> + '_ {
        self.names
            .get(name)
            .into_iter()
            .flatten()
            .filter(move |(k, _)| *k == kind)
            .map(|&(_, id)| id)
    }

    /// The base types a named split type `t` may duplicate: same kind and
    /// name, and same size where a size must match; a FWD's are the
    /// structs or unions it may stand for.
    fn suspects(&self, btf: &Btf, t: TypeView) -> Vec<TypeId> {
        let Some(k) = t.kind().filter(|&k| comparable(k)) else {
            return Vec::new();
        };
        let name = btf.str_at(t.name_off()).unwrap_or_default();
        if name.is_empty() {
            return Vec::new();
        }
        let looked_up = match k {
            Kind::Fwd if t.kflag() => Kind::Union,
            Kind::Fwd => Kind::Struct,
            k => k,
        };
        let sized = matches!(k, Kind::Struct | Kind::Union | Kind::Int | Kind::Float);
        self.candidates(looked_up, name)
            .filter(|&b| {
                !sized
                    || self
                        .base
                        .type_by_id(b)
                        .is_some_and(|bt| bt.size_or_type() == t.size_or_type())
            })
            .collect()
    }

    /// Explains every split type of `btf` (a split BTF on this base).
    pub fn explain(&self, btf: &Btf) -> Result<Explanation> {
        let start = btf.start_id();
        let reps = representatives(self.index, btf)?;
        let merged = |id: TypeId| reps[(id - start) as usize] < start;
        let mut counted = vec![false; btf.local_len()];
        let mut findings = Vec::new();
        let mut explained = vec![false; btf.local_len()];
        // (split, base, name): named suspects first, anonymous ones as found.
        let mut queue: Vec<(TypeId, Vec<TypeId>, String)> = Vec::new();
        for t in btf.local_types() {
            let cands = self.suspects(btf, t);
            if !cands.is_empty() {
                queue.push((t.id, cands, String::new()));
            }
        }
        let mut next = 0;
        while next < queue.len() {
            let (s, cands, anon_name) = queue[next].clone();
            next += 1;
            if std::mem::replace(&mut explained[(s - start) as usize], true) {
                continue;
            }
            let t = btf.type_by_id(s).expect("a local id");
            let label = if anon_name.is_empty() {
                format!("{} {}", kind_word(t), btf.name(t.name_off()))
            } else {
                anon_name
            };
            let walks: Vec<Walk> = cands
                .iter()
                .map(|&b| Walk::run(btf, s, b, &label))
                .collect();
            let best = walks
                .iter()
                .position(|w| w.difference.is_none())
                .unwrap_or(0);
            let walk = &walks[best];
            let verdict = if merged(s) {
                let saved = self.saved_bytes(btf, s, &reps, &mut counted);
                Verdict::Identical { saved_bytes: saved }
            } else if let Some(d) = &walk.difference {
                Verdict::Different {
                    path: d.path.clone(),
                    split: d.split.clone(),
                    base: d.base.clone(),
                }
            } else {
                Verdict::Unmergeable {
                    reason: if let Some(path) = &walk.base_fwd {
                        Reason::BaseFwd { path: path.clone() }
                    } else if let Some((path, first, second)) = &walk.conflict {
                        Reason::TwoCopies {
                            path: path.clone(),
                            first: *first,
                            second: *second,
                        }
                    } else if walk.truncated {
                        // Not compared whole: no claim about why.
                        Reason::Other
                    } else if t.kind() == Some(Kind::Typedef)
                        && self.index.rules == DedupRules::Libbpf1_7
                    {
                        Reason::TypedefHash
                    } else if cands.len() > 1 {
                        Reason::AmbiguousName {
                            candidates: cands.clone(),
                        }
                    } else {
                        Reason::Other
                    },
                }
            };
            let base_id = if merged(s) {
                reps[(s - start) as usize]
            } else {
                cands[best]
            };
            findings.push(Finding {
                split_id: s,
                base_id,
                kind: kind_word(t),
                name: label,
                verdict,
            });
            for (split, base, path) in &walk.anonymous {
                queue.push((*split, vec![*base], path.clone()));
            }
        }
        findings.sort_by_key(|f| f.split_id);
        let mut counts = VerdictCounts::default();
        for f in &findings {
            match f.verdict {
                Verdict::Identical { .. } => counts.identical += 1,
                Verdict::Different { .. } => counts.different += 1,
                Verdict::Unmergeable { .. } => counts.unmergeable += 1,
            }
        }
        let redup = crate::dedup::dedup_split(self.index, btf)?;
        Ok(Explanation {
            counts,
            redup_saved_bytes: btf.to_bytes_len().saturating_sub(redup.to_bytes_len()),
            findings,
        })
    }

    /// Record bytes of `s` and of the split types reached from it that
    /// merge into the base, each counted for the first finding only.
    fn saved_bytes(&self, btf: &Btf, s: TypeId, reps: &[TypeId], counted: &mut [bool]) -> u64 {
        let start = btf.start_id();
        let mut total = 0;
        let mut todo = vec![s];
        while let Some(id) = todo.pop() {
            let i = (id - start) as usize;
            if counted[i] || reps[i] >= start {
                continue;
            }
            counted[i] = true;
            let Some(t) = btf.type_by_id(id) else {
                continue;
            };
            total += t.bytes().len() as u64;
            todo.extend(
                t.type_ref_words()
                    .map(|w| t.word(w))
                    .filter(|&r| r >= start),
            );
        }
        total
    }
}

/// "struct", "union", "enum", "typedef" … as C spells the kind, else the
/// BTF kind name.
fn kind_word(t: TypeView) -> &'static str {
    match t.kind() {
        Some(Kind::Struct) => "struct",
        Some(Kind::Union) => "union",
        Some(Kind::Enum | Kind::Enum64) => "enum",
        Some(Kind::Typedef) => "typedef",
        Some(Kind::Fwd) if t.kflag() => "union (fwd)",
        Some(Kind::Fwd) => "struct (fwd)",
        Some(k) => k.name(),
        None => "unknown",
    }
}

struct Difference {
    path: String,
    split: String,
    base: String,
}

/// A side-by-side walk of a split type's graph and a base type's, with
/// deduplication's rules: the split side may have a FWD where the base
/// has the struct, a base FWD blocks the merge, and one base type can
/// stand for only one split type.
#[derive(Default)]
struct Walk {
    difference: Option<Difference>,
    base_fwd: Option<String>,
    conflict: Option<(String, TypeId, TypeId)>,
    /// Anonymous split composites paired with base ones, with their path.
    anonymous: Vec<(TypeId, TypeId, String)>,
    /// The walk stopped at its bound before the graphs were compared whole.
    truncated: bool,
}

/// Bound on the pairs one walk visits: a vmlinux-sized graph, twice.
const MAX_PAIRS: usize = 1 << 20;

impl Walk {
    fn run(btf: &Btf, split: TypeId, base: TypeId, label: &str) -> Walk {
        let start = btf.start_id();
        let mut walk = Walk::default();
        let mut paired: FxHashMap<TypeId, TypeId> = FxHashMap::default();
        // Breadth first, members in order: the difference reported is one
        // of the nearest, and the first of those in declaration order.
        let mut todo = VecDeque::from([(split, base, label.to_string(), false)]);
        let mut steps = 0;
        while let Some((s, b, path, via_ptr)) = todo.pop_front() {
            steps += 1;
            if steps > MAX_PAIRS {
                walk.truncated = true;
                break;
            }
            if s == b {
                continue;
            }
            let (Some(st), Some(bt)) = (btf.type_by_id(s), btf.type_by_id(b)) else {
                walk.difference = Some(Difference {
                    path,
                    split: describe(btf, s),
                    base: describe(btf, b),
                });
                return walk;
            };
            match paired.get(&b) {
                Some(&seen) if seen == s => continue,
                Some(&seen) => {
                    if walk.conflict.is_none() && seen >= start && s >= start {
                        let (first, second) = (through_refs(btf, seen), through_refs(btf, s));
                        walk.conflict = Some((path, first, second));
                    }
                    continue;
                }
                None => {
                    paired.insert(b, s);
                }
            }
            let (sk, bk) = (st.kind(), bt.kind());
            let differ = |what_s: String, what_b: String| Difference {
                path: path.clone(),
                split: what_s,
                base: what_b,
            };
            if btf.str_at(st.name_off()) != btf.str_at(bt.name_off()) {
                walk.difference = Some(differ(describe(btf, s), describe(btf, b)));
                return walk;
            }
            // FWD against the full type: fine on the split side, blocking
            // on the base side.
            if sk != bk && (sk == Some(Kind::Fwd) || bk == Some(Kind::Fwd)) {
                let (fwd, full) = if sk == Some(Kind::Fwd) {
                    (st, bk)
                } else {
                    (bt, sk)
                };
                let fwd_kind = if fwd.kflag() {
                    Kind::Union
                } else {
                    Kind::Struct
                };
                if full != Some(fwd_kind) {
                    walk.difference = Some(differ(describe(btf, s), describe(btf, b)));
                    return walk;
                }
                if bk == Some(Kind::Fwd) && walk.base_fwd.is_none() {
                    walk.base_fwd = Some(path);
                }
                continue;
            }
            if sk != bk || sk.is_none() {
                walk.difference = Some(differ(describe(btf, s), describe(btf, b)));
                return walk;
            }
            let k = sk.expect("checked");
            // A base enum without values is an enum forward: the module's
            // full enum takes it over instead of merging into it.
            let enum_fwd =
                matches!(k, Kind::Enum | Kind::Enum64) && bt.vlen() == 0 && st.vlen() > 0;
            if enum_fwd && walk.base_fwd.is_none() {
                walk.base_fwd = Some(path.clone());
            }
            if let Some((ds, db)) = shallow_difference(btf, st, bt) {
                walk.difference = Some(differ(ds, db));
                return walk;
            }
            let anonymous = st.name_off() == 0 && s >= start;
            if anonymous && matches!(k, Kind::Struct | Kind::Union | Kind::Enum | Kind::Enum64) {
                walk.anonymous
                    .push((s, b, format!("{} {path}", kind_word(st))));
            }
            match k {
                Kind::Struct | Kind::Union => {
                    let sep = if via_ptr { "->" } else { "." };
                    for (i, (ms, mb)) in st.members().zip(bt.members()).enumerate() {
                        let name = member_label(btf, &ms, i);
                        todo.push_back((
                            ms.type_id,
                            mb.type_id,
                            format!("{path}{sep}{name}"),
                            false,
                        ));
                    }
                }
                Kind::Ptr => {
                    todo.push_back((st.size_or_type(), bt.size_or_type(), path.clone(), true));
                }
                Kind::Array => {
                    let (a, c) = (st.array(), bt.array());
                    todo.push_back((a.elem_type, c.elem_type, format!("{path}[]"), false));
                    todo.push_back((a.index_type, c.index_type, format!("{path}[index]"), false));
                }
                Kind::FuncProto => {
                    let sep = if via_ptr { "" } else { " " };
                    todo.push_back((
                        st.size_or_type(),
                        bt.size_or_type(),
                        format!("{path}{sep}(return)"),
                        false,
                    ));
                    for (i, (ps, pb)) in st.params().zip(bt.params()).enumerate() {
                        let n = btf.name(ps.name_off);
                        let n = if n.is_empty() {
                            Cow::Owned(format!("#{i}"))
                        } else {
                            n
                        };
                        todo.push_back((ps.type_id, pb.type_id, format!("{path}({n})"), false));
                    }
                }
                k if k.has_type_ref() => {
                    todo.push_back((st.size_or_type(), bt.size_or_type(), path.clone(), via_ptr));
                }
                _ => {}
            }
        }
        walk
    }
}

/// The type behind pointers, qualifiers and typedefs: what a conflict
/// between two copies is about.
fn through_refs(btf: &Btf, mut id: TypeId) -> TypeId {
    // Bounded: only malformed input has reference loops.
    for _ in 0..64 {
        match btf.type_by_id(id) {
            Some(t)
                if t.kind()
                    .is_some_and(|k| k.has_type_ref() && k != Kind::FuncProto) =>
            {
                id = t.size_or_type()
            }
            _ => break,
        }
    }
    id
}

fn member_label(btf: &Btf, m: &Member, i: usize) -> String {
    let n = btf.name(m.name_off);
    if n.is_empty() {
        format!("(anon#{i})")
    } else {
        n.into_owned()
    }
}

/// `KIND 'name'`, as bpftool names a type.
fn describe(btf: &Btf, id: TypeId) -> String {
    match btf.type_by_id(id) {
        None if id == 0 => "void".to_string(),
        None => format!("[{id}] (missing)"),
        Some(t) => format!(
            "{} '{}'",
            crate::btf::read::kind_label(t.kind_raw()),
            btf.name(t.name_off())
        ),
    }
}

/// The first difference between two records of the same kind and name,
/// ids aside, as deduplication's shallow checks see it.
fn shallow_difference(btf: &Btf, s: TypeView, b: TypeView) -> Option<(String, String)> {
    let label = describe(btf, s.id);
    let pair = |a: String, c: String| Some((format!("{label} {a}"), format!("{label} {c}")));
    let size = s.size_or_type();
    let bsize = b.size_or_type();
    match s.kind()? {
        Kind::Int => {
            let (i, j) = (s.int_info(), b.int_info());
            if (size, i) != (bsize, j) {
                let show = |sz: u32, x: crate::btf::types::IntInfo| {
                    format!(
                        "size {sz} bits {} offset {} {}",
                        x.bits,
                        x.bit_offset,
                        crate::btf::kind::int_encoding_name(x.encoding)
                    )
                };
                return pair(show(size, i), show(bsize, j));
            }
        }
        Kind::Float if size != bsize => {
            return pair(format!("size {size}"), format!("size {bsize}"))
        }
        Kind::Enum | Kind::Enum64 => {
            // An enum forward (no values) matches any enum of its name.
            if s.vlen() == 0 || b.vlen() == 0 {
                return None;
            }
            let sign = |t: &TypeView| if t.kflag() { "signed" } else { "unsigned" };
            if size != bsize || s.kflag() != b.kflag() {
                return pair(
                    format!("size {size} {}", sign(&s)),
                    format!("size {bsize} {}", sign(&b)),
                );
            }
            let values = |t: TypeView| -> Vec<(Vec<u8>, u64)> {
                let v: Vec<_> = if t.kind() == Some(Kind::Enum) {
                    t.enum_values().collect()
                } else {
                    t.enum64_values().collect()
                };
                v.into_iter()
                    .map(|e| (btf.str_at(e.name_off).unwrap_or_default().to_vec(), e.value))
                    .collect()
            };
            let (vs, vb) = (values(s), values(b));
            if vs.len() != vb.len() {
                return pair(
                    format!("{} values", vs.len()),
                    format!("{} values", vb.len()),
                );
            }
            if let Some((x, y)) = vs.iter().zip(&vb).find(|(x, y)| x != y) {
                let show = |e: &(Vec<u8>, u64)| {
                    format!("value {}={}", String::from_utf8_lossy(&e.0), e.1 as i64)
                };
                return pair(show(x), show(y));
            }
        }
        Kind::Array => {
            let (n, m) = (s.array().nelems, b.array().nelems);
            if n != m {
                return pair(format!("[{n}]"), format!("[{m}]"));
            }
        }
        Kind::Struct | Kind::Union => {
            if size != bsize {
                return pair(format!("size {size}"), format!("size {bsize}"));
            }
            if s.vlen() != b.vlen() {
                return pair(
                    format!("{} members", s.vlen()),
                    format!("{} members", b.vlen()),
                );
            }
            let (ks, kb) = (s.kflag(), b.kflag());
            for (i, (ms, mb)) in s.members().zip(b.members()).enumerate() {
                let show = |m: &Member, kflag: bool| {
                    let bits = m.bitfield_size(kflag);
                    let field = if bits != 0 {
                        format!(":{bits}")
                    } else {
                        String::new()
                    };
                    format!(
                        "member '{}'{field} at bit {}",
                        member_label(btf, m, i),
                        m.bit_offset(kflag)
                    )
                };
                let same_name = btf.str_at(ms.name_off) == btf.str_at(mb.name_off);
                let same_place = ms.bit_offset(ks) == mb.bit_offset(kb)
                    && ms.bitfield_size(ks) == mb.bitfield_size(kb);
                if !same_name || !same_place {
                    return pair(show(&ms, ks), show(&mb, kb));
                }
            }
        }
        Kind::FuncProto => {
            if s.vlen() != b.vlen() {
                return pair(
                    format!("{} parameters", s.vlen()),
                    format!("{} parameters", b.vlen()),
                );
            }
            for (i, (ps, pb)) in s.params().zip(b.params()).enumerate() {
                if btf.str_at(ps.name_off) != btf.str_at(pb.name_off) {
                    let show = |n: u32| format!("parameter {i} '{}'", btf.name(n));
                    return pair(show(ps.name_off), show(pb.name_off));
                }
            }
        }
        Kind::Var | Kind::DeclTag if s.extra_word() != b.extra_word() => {
            return pair(
                format!("word {:#x}", s.extra_word()),
                format!("word {:#x}", b.extra_word()),
            );
        }
        _ => {}
    }
    // Same kind, name and shape: what remains is info word details
    // (kind_flag, vlen) that the kinds above did not cover.
    if s.info() != b.info() && !matches!(s.kind(), Some(Kind::Enum | Kind::Enum64)) {
        return pair(
            format!("info {:#x}", s.info()),
            format!("info {:#x}", b.info()),
        );
    }
    None
}
