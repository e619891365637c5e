//! Distilling a split BTF's base, with the results of libbpf 1.7's
//! `btf__distill_base`: the base shrinks to the named types the split BTF
//! refers to, as memberless stand-ins that relocation matches by name (and
//! size), and whatever else those references need (pointers, arrays,
//! typedefs, anonymous types) moves into the new split BTF.

use std::fmt::Write as _;

use crate::btf::build::info;
use crate::btf::kind::KIND_MASK;
use crate::btf::record::{
    id_words, is_struct_or_union, kind, str_words, ARRAY, CONST, ENUM, ENUM64, FLOAT, FUNC_PROTO,
    FWD, INFO, INT, NAME, PTR, RESTRICT, STRUCT, TYPE, TYPEDEF, TYPE_TAG, UNION, VOID, VOLATILE,
};
use crate::btf::{Btf, BtfBuilder, TypeId};
use crate::dedup::words::Records;
use crate::error::{Error, ErrorKind, Result};

/// A distilled base and the split BTF rewritten onto it.
pub struct Distilled {
    base: Btf<'static>,
    /// Stored without its link to `base` (see [`Distilled::split`]).
    split: Btf<'static>,
}

impl Distilled {
    pub fn base(&self) -> &Btf<'static> {
        &self.base
    }

    /// The new split BTF, on [`base`](Self::base).
    pub fn split(&self) -> Btf<'_> {
        self.split.attached(&self.base)
    }

    /// The distilled base as raw BTF, as `btf__raw_data` gives it.
    pub fn base_bytes(&self) -> Vec<u8> {
        self.base.to_bytes()
    }

    /// The new split BTF as raw BTF.
    pub fn split_bytes(&self) -> Vec<u8> {
        self.split.to_bytes()
    }

    pub fn sizes(&self) -> DistilledSizes {
        DistilledSizes {
            base_types: self.base.local_len(),
            base_bytes: self.base.to_bytes_len(),
            split_types: self.split.local_len(),
            split_bytes: self.split.to_bytes_len(),
        }
    }
}

/// Type counts (void not counted) and raw sizes of a distillation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DistilledSizes {
    pub base_types: usize,
    pub base_bytes: u64,
    pub split_types: usize,
    pub split_bytes: u64,
}

impl std::ops::AddAssign for DistilledSizes {
    fn add_assign(&mut self, o: DistilledSizes) {
        self.base_types += o.base_types;
        self.base_bytes += o.base_bytes;
        self.split_types += o.split_types;
        self.split_bytes += o.split_bytes;
    }
}

/// One module's line in a [`DistillSummary`]: its sizes, or why it could
/// not be distilled.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DistilledModule {
    pub module: String,
    #[serde(flatten)]
    pub sizes: Option<DistilledSizes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Modules distilled on one base, in the order given, with their total.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DistillSummary {
    pub base: String,
    pub modules: Vec<DistilledModule>,
    /// The sum over the modules that were distilled.
    pub total: DistilledSizes,
    /// How many modules could not be distilled.
    pub failed: usize,
}

impl DistillSummary {
    /// The summary of `results`, one per module, named.
    pub fn new(
        base: String,
        results: impl IntoIterator<Item = (String, Result<DistilledSizes>)>,
    ) -> Self {
        let mut total = DistilledSizes::default();
        let modules: Vec<DistilledModule> = results
            .into_iter()
            .map(|(module, r)| {
                let (sizes, error) = match r {
                    Ok(s) => {
                        total += s;
                        (Some(s), None)
                    }
                    Err(e) => (None, Some(e.to_string())),
                };
                DistilledModule {
                    module,
                    sizes,
                    error,
                }
            })
            .collect();
        let failed = modules.iter().filter(|m| m.error.is_some()).count();
        DistillSummary {
            base,
            modules,
            total,
            failed,
        }
    }

    /// A line per module, and the total where there are several.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for m in &self.modules {
            let _ = match (&m.sizes, &m.error) {
                (Some(z), _) => writeln!(
                    s,
                    "{}: distilled base {} types / {} bytes; split {} types / {} bytes",
                    m.module, z.base_types, z.base_bytes, z.split_types, z.split_bytes
                ),
                (None, e) => writeln!(s, "{}: error: {}", m.module, e.as_deref().unwrap_or("")),
            };
        }
        if self.modules.len() > 1 {
            let t = &self.total;
            let _ = writeln!(
                s,
                "total ({} modules, {} failed): distilled bases {} types / {} bytes; splits {} types / {} bytes",
                self.modules.len(),
                self.failed,
                t.base_types,
                t.base_bytes,
                t.split_types,
                t.split_bytes
            );
        }
        s
    }
}

/// Where a base type the split BTF needs ends up.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dest {
    Unused,
    /// Kept in the distilled base (named INT, FLOAT, FWD; named struct,
    /// union and enum as memberless stand-ins).
    Base,
    /// Copied whole into the new split BTF.
    Split,
}

fn bad(msg: String) -> Error {
    Error::new(ErrorKind::BadType, msg)
}

/// Distills the base of the split BTF `src`.
pub fn distill(src: &Btf) -> Result<Distilled> {
    let old_base = src.base().ok_or_else(|| {
        Error::new(
            ErrorKind::Usage,
            "distilling needs a split BTF on its base (a module with -B vmlinux)",
        )
    })?;
    let split_start = src.start_id();
    let end = src.type_count();
    let local = Records::load(src, split_start, end)?;
    let base_rec = |id: TypeId| -> Vec<u32> {
        old_base
            .type_by_id(id)
            .map_or_else(|| VOID.to_vec(), |t| t.words().collect())
    };

    let needed = needed_base_types(&local, split_start, &base_rec)?;
    let dest: Vec<Dest> = needed
        .iter()
        .enumerate()
        .map(|(id, &n)| {
            if !n {
                return Dest::Unused;
            }
            let r = base_rec(id as TypeId);
            let named = r[NAME] != 0;
            match kind(r.as_slice()) {
                INT | FLOAT | FWD => Dest::Base,
                STRUCT | UNION | ENUM | ENUM64 if named => Dest::Base,
                _ => Dest::Split,
            }
        })
        .collect();

    // New ids: distilled base types first, then the split BTF's own types,
    // then the base types that moved into it, each group in id order.
    let base_count = 1 + dest.iter().filter(|&&d| d == Dest::Base).count() as u32;
    let shift = split_start - base_count;
    let mut id_map = vec![0u32; split_start as usize];
    let (mut next_base, mut next_split) = (1, base_count + (end - split_start));
    for (id, d) in dest.iter().enumerate() {
        match d {
            Dest::Base => {
                id_map[id] = next_base;
                next_base += 1;
            }
            Dest::Split => {
                id_map[id] = next_split;
                next_split += 1;
            }
            Dest::Unused => {}
        }
    }
    let remap = |r: &mut [u32]| {
        for w in id_words(r) {
            let id = r[w];
            if let Some(&to) = id_map.get(id as usize).filter(|&&to| to != 0) {
                r[w] = to;
            } else if id >= split_start {
                r[w] = id - shift;
            }
        }
    };

    let mut base = BtfBuilder::new();
    for (id, _) in dest.iter().enumerate().filter(|(_, &d)| d == Dest::Base) {
        let mut r = base_rec(id as TypeId);
        let k = kind(&r);
        match k {
            INT | FLOAT | FWD => {}
            // Memberless, without kind_flag: only name and size matter.
            STRUCT | UNION => r = vec![r[NAME], info_of(k), r[TYPE]],
            _ => {
                let size = r[TYPE];
                if size == 0 || !size.is_power_of_two() || size > 8 {
                    return Err(bad(format!(
                        "enum [{id}] has size {size}, which an ENUM cannot have"
                    )));
                }
                r = vec![r[NAME], info_of(ENUM), size];
            }
        }
        remap(&mut r);
        add_copy(&mut base, old_base, &r)?;
    }
    // Both keep the source's byte order, as libbpf's do.
    let base = base.finish().into_endian(src.endian()).detached();

    let mut split = BtfBuilder::new_split(&base);
    for id in split_start..end {
        let mut r = local.get(id).to_vec();
        remap(&mut r);
        add_copy(&mut split, src, &r)?;
    }
    for (id, _) in dest.iter().enumerate().filter(|(_, &d)| d == Dest::Split) {
        let mut r = base_rec(id as TypeId);
        remap(&mut r);
        add_copy(&mut split, old_base, &r)?;
    }
    let split = split.finish().into_endian(src.endian()).detached();
    Ok(Distilled { base, split })
}

fn info_of(k: u32) -> u32 {
    let kind = crate::btf::Kind::from_raw(k as u8).expect("a known kind");
    info(kind, 0, false)
}

/// Marks the base types the split types refer to, and what those refer to
/// in turn, except behind named structs and unions (their stand-ins have
/// no members).
fn needed_base_types(
    local: &Records,
    split_start: TypeId,
    base_rec: &impl Fn(TypeId) -> Vec<u32>,
) -> Result<Vec<bool>> {
    let mut needed = vec![false; split_start as usize];
    let mut todo: Vec<(TypeId, Vec<u32>)> = Vec::new();
    let mut visit = |from: TypeId, r: &[u32], todo: &mut Vec<(TypeId, Vec<u32>)>| -> Result<()> {
        for w in id_words(r) {
            let id = r[w];
            if id == 0 || id >= split_start || needed[id as usize] {
                continue;
            }
            let t = base_rec(id);
            // All seven kind bits: a kind this version does not know (only
            // parsed through a layout section) has a record of its own shape.
            match (t[INFO] >> 24) & KIND_MASK {
                INT | FLOAT | FWD | ARRAY | STRUCT | UNION | TYPEDEF | ENUM | ENUM64 | PTR
                | CONST | RESTRICT | VOLATILE | FUNC_PROTO | TYPE_TAG => {}
                k => {
                    return Err(bad(format!(
                        "type [{from}] refers to base type [{id}] of kind {}, which a distilled base cannot stand for",
                        kind_name(k)
                    )))
                }
            }
            needed[id as usize] = true;
            if !(is_struct_or_union(kind(&t)) && t[NAME] != 0) {
                todo.push((id, t));
            }
        }
        Ok(())
    };
    for id in split_start..local.end() {
        visit(id, local.get(id), &mut todo)?;
        while let Some((from, r)) = todo.pop() {
            visit(from, &r, &mut todo)?;
        }
    }
    Ok(needed)
}

/// Appends record `r` of `src` with its names copied into `dst`'s strings.
fn add_copy(dst: &mut BtfBuilder, src: &Btf, r: &[u32]) -> Result<TypeId> {
    let mut r = r.to_vec();
    for w in str_words(&r) {
        if r[w] != 0 {
            r[w] = dst.add_str_bytes(src.str_at(r[w]).unwrap_or_default());
        }
    }
    dst.add_raw(&r)
}

/// Kind name for messages.
pub(crate) fn kind_name(k: u32) -> String {
    crate::btf::read::kind_label(k as u8)
}
