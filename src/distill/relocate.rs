//! Relocating a split BTF from its distilled base onto a full base BTF,
//! with libbpf 1.7's `btf__relocate` rules and results: every distilled
//! type must match exactly one target type by name and kind, and by size
//! where the split BTF embeds it or where several target structs share
//! the name. Where libbpf stops at the first problem, every problem is
//! collected here, in an order whose first element is libbpf's.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Serialize;

use crate::btf::read::BtfParts;
use crate::btf::record::{
    id_words, is_struct_or_union, kflag, kind, member_name, str_words, ARRAY, ARRAY_ELEM, CONST,
    ENUM, ENUM64, FLOAT, FWD, INT, NAME, RESTRICT, STRUCT, TYPE, TYPEDEF, TYPE_TAG, UNION, VOID,
    VOLATILE,
};
use crate::btf::{Btf, TypeId};
use crate::dedup::words::Records;
use crate::error::{Error, ErrorKind, Result};

use super::distilled::kind_name;

/// libbpf keeps sizes in 31 bits while matching.
const SIZE_MASK: u32 = 0x7fff_ffff;

/// A base BTF prepared as a relocation target, shared by every module
/// relocated onto it.
pub struct TargetIndex<'t> {
    btf: &'t Btf<'t>,
    /// Named types of the kinds a distilled type can match, by name, in
    /// id order.
    by_name: HashMap<&'t [u8], Vec<TypeId>>,
    /// Name offsets of structs and unions, with how many carry each.
    composite_names: HashMap<u32, u32>,
}

impl<'t> TargetIndex<'t> {
    pub fn new(btf: &'t Btf<'t>) -> Result<Self> {
        if btf.base().is_some() {
            return Err(Error::new(
                ErrorKind::Usage,
                "the relocation target must be a base BTF (a vmlinux), not a split BTF",
            ));
        }
        let mut by_name: HashMap<&[u8], Vec<TypeId>> = HashMap::new();
        let mut composite_names: HashMap<u32, u32> = HashMap::new();
        for t in btf.local_types() {
            // libbpf reads kinds through a 5-bit mask.
            let k = (t.info() >> 24) & 0x1f;
            if t.name_off() == 0 || !matches!(k, INT | FLOAT | ENUM | ENUM64 | FWD | STRUCT | UNION)
            {
                continue;
            }
            let name = btf.str_at(t.name_off()).unwrap_or_default();
            by_name.entry(name).or_default().push(t.id);
            if is_struct_or_union(k) {
                *composite_names.entry(t.name_off()).or_default() += 1;
            }
        }
        Ok(TargetIndex {
            btf,
            by_name,
            composite_names,
        })
    }

    pub fn btf(&self) -> &'t Btf<'t> {
        self.btf
    }
}

/// What keeps a distilled type from relocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemClass {
    /// The distilled base holds an anonymous type (it cannot be matched).
    Anonymous,
    /// The distilled base holds a kind it cannot hold (only named INT,
    /// FLOAT, ENUM, STRUCT, UNION and FWD).
    UnexpectedKind,
    /// No target type of that name and kind.
    Missing,
    /// The split BTF embeds the type, and the target's is of another size.
    SizeMismatch,
    /// Several target types qualify.
    Ambiguous,
    /// A named target type matches the (unnamed) void entry; libbpf
    /// refuses such a target.
    EmptyName,
    /// A split BTF string offset points into the distilled base's strings
    /// but not at a name that was matched.
    UnmappedString,
    /// The split BTF's type references loop (libbpf would not return).
    ReferenceLoop,
}

/// A target type that was considered for a distilled type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub id: TypeId,
    pub kind: String,
    pub size: u32,
    /// Why it does not match; `None` for one that does.
    pub why_not: Option<String>,
}

/// One problem, about one distilled type (or one string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub class: ProblemClass,
    /// The distilled base type (for `EmptyName` the target type, for
    /// `UnmappedString` the string offset, for `ReferenceLoop` the split type).
    pub id: TypeId,
    pub kind: String,
    pub name: String,
    pub size: u32,
    /// Target types of the same name.
    pub candidates: Vec<Candidate>,
    /// Where the split BTF embeds the type: `struct holder.member`.
    pub embedded_in: Vec<String>,
    pub message: String,
}

/// A distilled struct or union that relocates, onto a target type of
/// another size (only referred to through pointers, so allowed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SizeChange {
    pub id: TypeId,
    pub target_id: TypeId,
    pub kind: String,
    pub name: String,
    pub size: u32,
    pub target_size: u32,
}

/// The matching of a split BTF's distilled base against a target: the
/// problems, or the maps that rewrite the split BTF.
pub struct Relocation<'t> {
    target: &'t Btf<'t>,
    problems: Vec<Problem>,
    size_changes: Vec<SizeChange>,
    /// Distilled id → target id (0 unmatched).
    id_map: Vec<TypeId>,
    /// Distilled name offset → target name offset.
    str_map: HashMap<u32, u32>,
}

/// A distilled base type as matching sees it.
struct DistType {
    rec: Vec<u32>,
    name: Vec<u8>,
    size: u32,
}

impl DistType {
    fn kind(&self) -> u32 {
        kind(&self.rec)
    }
}

/// An INT's encoding bits. libbpf reads kinds through a 5-bit mask, so a
/// record of an unknown kind can pass for an INT without the extra word.
fn int_encoding(r: &[u32]) -> u32 {
    r.get(3).map_or(0, |w| (w >> 24) & 0x0f)
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `struct foo`, `union (anon)`, `int foo`: how messages name a type.
fn label(k: u32, name: &[u8]) -> String {
    let name = if name.is_empty() {
        "(anon)".to_string()
    } else {
        lossy(name)
    };
    format!("{} {name}", kind_name(k).to_lowercase())
}

/// `struct foo (24 bytes)`.
fn sized_label(d: &DistType) -> String {
    let size = d.rec[TYPE];
    let unit = if size == 1 { "byte" } else { "bytes" };
    format!("{} ({size} {unit})", label(d.kind(), &d.name))
}

/// Whether target type `t` must also match by size: libbpf's rule.
fn needs_size(index: &TargetIndex, t: &[u32]) -> bool {
    match kind(t) {
        FWD => false,
        STRUCT | UNION => index.composite_names.get(&t[NAME]).is_some_and(|&n| n > 1),
        _ => true,
    }
}

impl<'t> Relocation<'t> {
    /// Matches the distilled base of `split` against `index`'s target.
    /// Fails only on wrong usage; mismatches are [`problems`](Self::problems).
    pub fn new(index: &TargetIndex<'t>, split: &Btf) -> Result<Self> {
        let dist = split.base().ok_or_else(|| {
            Error::new(
                ErrorKind::Usage,
                "relocation needs a split BTF on its distilled base",
            )
        })?;
        if std::ptr::eq(dist, index.btf) {
            return Err(Error::new(
                ErrorKind::Usage,
                "the split BTF is already on the target base",
            ));
        }
        let target = index.btf;
        let nr_dist = dist.type_count();
        let dist_types: Vec<DistType> = (0..nr_dist)
            .map(|id| {
                let rec: Vec<u32> = dist
                    .type_by_id(id)
                    .map_or_else(|| VOID.to_vec(), |t| t.words().collect());
                DistType {
                    name: dist.str_at(rec[NAME]).unwrap_or_default().to_vec(),
                    size: rec[TYPE] & SIZE_MASK,
                    rec,
                }
            })
            .collect();
        let mut reloc = Relocation {
            target,
            problems: Vec::new(),
            size_changes: Vec::new(),
            id_map: vec![0; nr_dist as usize],
            str_map: HashMap::new(),
        };
        reloc.validate(&dist_types);
        if !reloc.problems.is_empty() {
            return Ok(reloc);
        }
        let local = Records::load(split, split.start_id(), split.type_count())?;
        let Some(uses) = reloc.embedded_uses(&dist_types, &local) else {
            return Ok(reloc);
        };
        reloc.match_types(index, &dist_types, &uses);
        reloc.report_unmatched(index, &dist_types, &uses, split, &local);
        if reloc.problems.is_empty() {
            reloc.check_strings(split, dist, &local);
        }
        Ok(reloc)
    }

    /// Problems that keep the split BTF from relocating, libbpf's first.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    pub fn size_changes(&self) -> &[SizeChange] {
        &self.size_changes
    }

    pub fn target(&self) -> &'t Btf<'t> {
        self.target
    }

    /// The error libbpf's `btf__relocate` would fail with, if any.
    pub fn error(&self) -> Option<Error> {
        let first = self.problems.first()?;
        let more = match self.problems.len() {
            1 => String::new(),
            n => format!(" (and {} more problems)", n - 1),
        };
        Some(Error::new(
            ErrorKind::Incompatible,
            format!("{}{more}", first.message),
        ))
    }

    fn problem(&mut self, class: ProblemClass, id: TypeId, d: Option<&DistType>, message: String) {
        self.problems.push(Problem {
            class,
            id,
            kind: d.map_or_else(String::new, |d| kind_name(d.kind()).to_lowercase()),
            name: d.map_or_else(String::new, |d| lossy(&d.name)),
            size: d.map_or(0, |d| d.rec[TYPE]),
            candidates: Vec::new(),
            embedded_in: Vec::new(),
            message,
        });
    }

    /// A distilled base holds named INT, FLOAT, ENUM, STRUCT, UNION, FWD only.
    fn validate(&mut self, dist: &[DistType]) {
        for (id, d) in dist.iter().enumerate().skip(1) {
            let k = d.kind();
            let (class, msg) = match k {
                INT | FLOAT | ENUM | STRUCT | UNION | FWD if d.rec[NAME] != 0 => continue,
                INT | FLOAT | ENUM | STRUCT | UNION | FWD => (
                    ProblemClass::Anonymous,
                    format!("distilled base type [{id}] ({}) is anonymous", kind_name(k)),
                ),
                _ => (
                    ProblemClass::UnexpectedKind,
                    format!(
                        "distilled base type [{id}] is a {}, which a distilled base cannot hold",
                        kind_name(k)
                    ),
                ),
            };
            self.problem(class, id as TypeId, Some(d), msg);
        }
    }

    /// For each distilled struct or union, where split structs and unions
    /// embed it (holder id, member index): through typedefs, qualifiers
    /// and arrays, not through pointers. `None` after a reference loop.
    fn embedded_uses(
        &mut self,
        dist: &[DistType],
        local: &Records,
    ) -> Option<Vec<Vec<(TypeId, u32)>>> {
        let nr_dist = dist.len() as TypeId;
        let rec = |id: TypeId| -> &[u32] {
            if id < nr_dist {
                &dist[id as usize].rec
            } else {
                local.get(id)
            }
        };
        let mut uses = vec![Vec::new(); dist.len()];
        for holder in nr_dist..local.end() {
            let r = local.get(holder);
            if !is_struct_or_union(kind(r)) {
                continue;
            }
            for (member, w) in id_words(r).enumerate() {
                let mut next = r[w];
                // Each id once at most, unless the references loop.
                for _ in 0..=local.end() {
                    if next == 0 {
                        break;
                    }
                    let t = rec(next);
                    match kind(t) {
                        CONST | RESTRICT | VOLATILE | TYPEDEF | TYPE_TAG => next = t[TYPE],
                        ARRAY => next = t[ARRAY_ELEM],
                        STRUCT | UNION => {
                            if next < nr_dist {
                                uses[next as usize].push((holder, member as u32));
                            }
                            next = 0;
                        }
                        _ => next = 0,
                    }
                }
                if next != 0 {
                    self.problem(
                        ProblemClass::ReferenceLoop,
                        holder,
                        None,
                        format!("member {member} of type [{holder}] leads into a loop of type references"),
                    );
                    return None;
                }
            }
        }
        Some(uses)
    }

    /// libbpf's pass over the target: each named target type, in id order,
    /// against the distilled types of its name (and size, where it counts).
    fn match_types(
        &mut self,
        index: &TargetIndex<'t>,
        dist: &[DistType],
        uses: &[Vec<(TypeId, u32)>],
    ) {
        // libbpf's sorted index: by name, then by size, largest first.
        let mut sorted: Vec<TypeId> = (0..dist.len() as TypeId).collect();
        sorted.sort_by(|&a, &b| {
            let (da, db) = (&dist[a as usize], &dist[b as usize]);
            da.name
                .cmp(&db.name)
                .then(db.size.cmp(&da.size))
                .then(a.cmp(&b))
        });
        let mut targets: Vec<TypeId> = Vec::new();
        let mut names: Vec<&[u8]> = dist.iter().map(|d| d.name.as_slice()).collect();
        names.sort_unstable();
        names.dedup();
        for name in names {
            targets.extend(index.by_name.get(name).into_iter().flatten());
        }
        targets.sort_unstable();

        // Problem index of each distilled type found ambiguous.
        let mut ambiguous: HashMap<TypeId, usize> = HashMap::new();
        for tid in targets {
            let Some(t) = index.btf.type_by_id(tid) else {
                continue;
            };
            let t_words: Vec<u32> = t.words().collect();
            let needs_size = needs_size(index, &t_words);
            let name = index.btf.str_at(t.name_off()).unwrap_or_default();
            let from = sorted.partition_point(|&d| dist[d as usize].name.as_slice() < name);
            for &d in sorted[from..]
                .iter()
                .take_while(|&&d| dist[d as usize].name == name)
            {
                let dt = &dist[d as usize];
                if needs_size && dt.size != t_words[TYPE] & SIZE_MASK {
                    continue;
                }
                if d == 0 {
                    self.problem(
                        ProblemClass::EmptyName,
                        tid,
                        None,
                        format!("target type [{tid}] has an empty name that is not offset 0"),
                    );
                    continue;
                }
                let mapped = self.id_map[d as usize];
                let embedded = mapped == 0 && !uses[d as usize].is_empty();
                if compat_reason(dt, &t_words, embedded).is_some() {
                    continue;
                }
                if mapped != 0 {
                    let at = *ambiguous.entry(d).or_insert_with(|| {
                        self.problems.push(Problem {
                            class: ProblemClass::Ambiguous,
                            id: d,
                            kind: kind_name(dt.kind()).to_lowercase(),
                            name: lossy(&dt.name),
                            size: dt.rec[TYPE],
                            candidates: vec![candidate(index.btf, mapped, None)],
                            embedded_in: Vec::new(),
                            message: String::new(),
                        });
                        self.problems.len() - 1
                    });
                    self.problems[at]
                        .candidates
                        .push(candidate(index.btf, tid, None));
                    continue;
                }
                self.id_map[d as usize] = tid;
                self.str_map.insert(dt.rec[NAME], t.name_off());
            }
        }
        for &at in ambiguous.values() {
            let p = &mut self.problems[at];
            let ids: Vec<String> = p.candidates.iter().map(|c| format!("[{}]", c.id)).collect();
            let d = &dist[p.id as usize];
            p.message = format!(
                "{} has {} candidates in the target: {}",
                sized_label(d),
                p.candidates.len(),
                ids.join(", ")
            );
        }
    }

    /// Distilled types left without a match, each with the target types of
    /// its name and why they do not fit; and matched structs whose size
    /// changed.
    fn report_unmatched(
        &mut self,
        index: &TargetIndex<'t>,
        dist: &[DistType],
        uses: &[Vec<(TypeId, u32)>],
        split: &Btf,
        local: &Records,
    ) {
        for (id, dt) in dist.iter().enumerate().skip(1) {
            let mapped = self.id_map[id];
            let k = dt.kind();
            if mapped != 0 {
                let target_size = index.btf.type_by_id(mapped).map_or(0, |t| t.size_or_type());
                if is_struct_or_union(k) && target_size != dt.rec[TYPE] {
                    self.size_changes.push(SizeChange {
                        id: id as TypeId,
                        target_id: mapped,
                        kind: kind_name(k).to_lowercase(),
                        name: lossy(&dt.name),
                        size: dt.rec[TYPE],
                        target_size,
                    });
                }
                continue;
            }
            let embedded = !uses[id].is_empty();
            let candidates: Vec<Candidate> = index
                .by_name
                .get(dt.name.as_slice())
                .into_iter()
                .flatten()
                .filter_map(|&tid| {
                    let t = index.btf.type_by_id(tid)?;
                    let why = why_not(index, dt, &t.words().collect::<Vec<_>>(), embedded);
                    Some(candidate(index.btf, tid, why))
                })
                .collect();
            let only_size = !candidates.is_empty()
                && embedded
                && candidates
                    .iter()
                    .all(|c| c.why_not.as_deref().is_some_and(|w| w.starts_with("size")));
            let embedded_in: Vec<String> = uses[id]
                .iter()
                .map(|&(holder, member)| member_path(split, local, holder, member))
                .collect();
            let what = sized_label(dt);
            let message = if candidates.is_empty() {
                format!("{what} is not in the target")
            } else if only_size {
                let sizes: Vec<String> = candidates
                    .iter()
                    .map(|c| format!("{} bytes [{}]", c.size, c.id))
                    .collect();
                format!(
                    "{what} is {} in the target, and the module embeds it in {}",
                    sizes.join(", "),
                    embedded_in.first().map_or("", String::as_str)
                )
            } else {
                let why: Vec<String> = candidates
                    .iter()
                    .map(|c| format!("[{}] {}", c.id, c.why_not.as_deref().unwrap_or("")))
                    .collect();
                format!("{what} has no match in the target: {}", why.join("; "))
            };
            self.problems.push(Problem {
                class: if only_size {
                    ProblemClass::SizeMismatch
                } else {
                    ProblemClass::Missing
                },
                id: id as TypeId,
                kind: kind_name(k).to_lowercase(),
                name: lossy(&dt.name),
                size: dt.rec[TYPE],
                candidates,
                embedded_in,
                message,
            });
        }
    }

    /// Split names that point into the distilled base's strings must be
    /// names that were matched.
    fn check_strings(&mut self, split: &Btf, dist: &Btf, local: &Records) {
        let dist_len = dist.string_bytes().len() as u32;
        let mut seen = std::collections::HashSet::new();
        for id in split.start_id()..local.end() {
            let r = local.get(id);
            for w in str_words(r) {
                let off = r[w];
                if off == 0 || off >= dist_len || self.str_map.contains_key(&off) {
                    continue;
                }
                if seen.insert(off) {
                    let s = lossy(dist.str_at(off).unwrap_or_default());
                    self.problem(
                        ProblemClass::UnmappedString,
                        off,
                        None,
                        format!("string '{s}' (offset {off}) of type [{id}] is not a matched distilled name"),
                    );
                }
            }
        }
    }

    /// The split BTF rewritten onto the target, as `btf__relocate` leaves it.
    pub fn apply(&self, split: &Btf) -> Result<Btf<'t>> {
        if let Some(e) = self.error() {
            return Err(e);
        }
        let dist = split.base().ok_or_else(|| {
            Error::new(
                ErrorKind::Usage,
                "relocation needs a split BTF on its distilled base",
            )
        })?;
        let nr_dist = dist.type_count();
        let nr_base = self.target.type_count();
        let dist_str_len = dist.string_bytes().len() as u32;
        let str_delta = (self.target.string_bytes().len() as u32).wrapping_sub(dist_str_len);
        let local = Records::load(split, split.start_id(), split.type_count())?;
        let endian = split.endian();
        let mut types = Vec::with_capacity(split.type_bytes().len());
        for id in split.start_id()..split.type_count() {
            let mut r = local.get(id).to_vec();
            for w in id_words(&r) {
                r[w] = match self.id_map.get(r[w] as usize) {
                    Some(&to) => to,
                    None => r[w].wrapping_sub(nr_dist).wrapping_add(nr_base),
                };
            }
            for w in str_words(&r) {
                let off = r[w];
                if off >= dist_str_len {
                    r[w] = off.wrapping_add(str_delta);
                } else if off != 0 {
                    // Checked when matching.
                    r[w] = self.str_map.get(&off).copied().unwrap_or_default();
                }
            }
            types.extend(r.iter().flat_map(|&w| endian.u32_bytes(w)));
        }
        Btf::from_parts(BtfParts {
            header: *split.header(),
            types,
            offsets: split.record_offsets().to_vec(),
            strings: split.string_bytes().to_vec(),
            layout: Cow::Owned(split.layout_bytes().to_vec()),
            base: Some(self.target),
            start_id: nr_base,
            start_str_off: self.target.string_bytes().len() as u32,
        })
    }
}

/// Why target record `t` cannot stand for distilled type `d`, by libbpf's
/// rules per distilled kind (`embedded`: sizes must agree).
fn compat_reason(d: &DistType, t: &[u32], embedded: bool) -> Option<String> {
    let (dk, tk) = (d.kind(), kind(t));
    let ok = match dk {
        FWD => match tk {
            FWD => kflag(&d.rec) == kflag(t),
            STRUCT => !kflag(&d.rec),
            UNION => kflag(&d.rec),
            _ => false,
        },
        INT => tk == INT && int_encoding(t) == int_encoding(&d.rec),
        FLOAT => tk == FLOAT,
        ENUM => tk == ENUM || tk == ENUM64,
        // Any kind of the name will do: libbpf checks sizes only.
        STRUCT | UNION => {
            if embedded && t[TYPE] != d.rec[TYPE] {
                return Some(format!(
                    "size {} (the module embeds it, so sizes must agree)",
                    t[TYPE]
                ));
            }
            true
        }
        _ => false,
    };
    if ok {
        return None;
    }
    Some(if dk == INT && tk == INT {
        "int encoding differs".to_string()
    } else {
        format!("kind {} does not match", kind_name(tk))
    })
}

/// [`compat_reason`] plus the size a target type must have where the
/// name alone does not choose.
fn why_not(index: &TargetIndex, d: &DistType, t: &[u32], embedded: bool) -> Option<String> {
    if needs_size(index, t) && t[TYPE] & SIZE_MASK != d.size {
        return Some(if is_struct_or_union(kind(t)) {
            format!(
                "size {} (several target types share the name, so sizes must agree)",
                t[TYPE]
            )
        } else {
            format!("size {}", t[TYPE])
        });
    }
    compat_reason(d, t, embedded)
}

fn candidate(btf: &Btf, id: TypeId, why_not: Option<String>) -> Candidate {
    let t = btf.type_by_id(id);
    Candidate {
        id,
        kind: t.map_or_else(String::new, |t| {
            kind_name(t.kind_raw() as u32).to_lowercase()
        }),
        size: t.map_or(0, |t| t.size_or_type()),
        why_not,
    }
}

/// `struct holder.member`, naming anonymous holders by id.
fn member_path(split: &Btf, local: &Records, holder: TypeId, member: u32) -> String {
    let r = local.get(holder);
    let holder_name = split.str_at(r[NAME]).unwrap_or_default();
    let member_name = split
        .str_at(member_name(r, member as usize))
        .unwrap_or_default();
    let holder_label = if holder_name.is_empty() {
        format!("{} (anon) [{holder}]", kind_name(kind(r)).to_lowercase())
    } else {
        label(kind(r), holder_name)
    };
    let member_label = if member_name.is_empty() {
        format!("(anon member {member})")
    } else {
        lossy(member_name)
    };
    format!("{holder_label}.{member_label}")
}

/// Relocates `split` (on its distilled base) onto `index`'s target.
pub fn relocate<'t>(index: &TargetIndex<'t>, split: &Btf) -> Result<Btf<'t>> {
    Relocation::new(index, split)?.apply(split)
}
