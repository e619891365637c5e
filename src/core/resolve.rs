//! Resolving a program's relocations against one kernel, as libbpf does
//! when it loads the program: candidates by essential name, every candidate
//! matched, all matches required to agree, and the candidate list of each
//! local type narrowed to the ones that matched (kept across the program's
//! relocations, which makes later relocations of the same type depend on
//! earlier ones, exactly as in libbpf).

use std::collections::HashMap;

use crate::btf::fx::FxHashMap;

use super::btf_util::{essential, kind_core_compat, name, ptr_size, ty, EINVAL, EOPNOTSUPP};
use super::calc::{calc_relo, ReloRes};
use super::matching::{spec_match, Side};
use super::spec::{parse_spec, Spec};
use crate::btf::ext::{BtfExt, CoreRelo, CoreReloKind};
use crate::btf::{Btf, TypeId};

/// A kernel's BTF ready for resolution: its pointer size and its named
/// types by essential name, built once and shared by every program.
pub struct Target<'a> {
    pub btf: &'a Btf<'a>,
    ptr: u32,
    /// Essential name → (first id, last id) of the types bearing it; the
    /// others follow through `next`, in increasing id order.
    by_name: FxHashMap<&'a [u8], (TypeId, TypeId)>,
    next: Vec<TypeId>,
    /// First id of the split part (module types), when the kernel is a
    /// module on its base: candidates there count only when the base has none.
    split_start: Option<TypeId>,
}

impl<'a> Target<'a> {
    pub fn new(btf: &'a Btf<'a>) -> Self {
        let count = btf.type_count();
        let mut by_name: FxHashMap<&'a [u8], (TypeId, TypeId)> = FxHashMap::default();
        by_name.reserve(count as usize);
        let mut next = vec![0; count as usize];
        for id in 1..count {
            let Some(t) = btf.type_by_id(id) else {
                continue;
            };
            let n = name(btf, t.name_off());
            if n.is_empty() {
                continue;
            }
            by_name
                .entry(essential(n))
                .and_modify(|(_, last)| {
                    next[*last as usize] = id;
                    *last = id;
                })
                .or_insert((id, id));
        }
        Target {
            btf,
            ptr: ptr_size(btf),
            by_name,
            next,
            split_start: btf.base().map(|_| btf.start_id()),
        }
    }

    pub fn side(&self) -> Side<'a> {
        Side {
            btf: self.btf,
            ptr: self.ptr,
        }
    }

    /// Ids bearing essential name `name`, in increasing order.
    fn named(&self, name: &[u8]) -> impl Iterator<Item = TypeId> + '_ {
        let first = self.by_name.get(name).map_or(0, |&(f, _)| f);
        std::iter::successors((first != 0).then_some(first), |&id| {
            Some(self.next[id as usize]).filter(|&n| n != 0)
        })
    }

    /// libbpf's candidates for local type `lid`: same essential name and a
    /// compatible kind, the base's first; a module's only if the base has none.
    pub fn candidates(&self, local: &Btf, lid: TypeId) -> Vec<TypeId> {
        let Some(lt) = ty(local, lid) else {
            return Vec::new();
        };
        let lname = essential(name(local, lt.name_off()));
        let compatible = |id: &TypeId| ty(self.btf, *id).is_some_and(|t| kind_core_compat(&t, &lt));
        let split = self.split_start.unwrap_or(TypeId::MAX);
        let base: Vec<TypeId> = self
            .named(lname)
            .filter(|&id| id < split)
            .filter(compatible)
            .collect();
        if !base.is_empty() {
            return base;
        }
        self.named(lname)
            .filter(|&id| id >= split)
            .filter(compatible)
            .collect()
    }
}

/// A BPF object's `.BTF` and `.BTF.ext`.
pub struct Program<'a> {
    pub btf: &'a Btf<'a>,
    pub ext: &'a BtfExt,
    ptr: u32,
}

/// One relocation record with the section it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct RelocRef<'e> {
    pub section: usize,
    pub index: usize,
    pub relo: &'e CoreRelo,
}

/// Why a relocation cannot be resolved at all (libbpf fails the load).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Failure {
    pub errno: i32,
    pub reason: String,
}

/// The outcome for one relocation on one kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved<'a> {
    pub result: Result<ReloRes, Failure>,
    /// The first matching candidate's spec (what min_core_btf keeps).
    pub target: Option<Spec<'a>>,
    /// How many candidates matched.
    pub matched: usize,
}

impl<'a> Program<'a> {
    pub fn new(btf: &'a Btf<'a>, ext: &'a BtfExt) -> Self {
        Program {
            btf,
            ext,
            ptr: ptr_size(btf),
        }
    }

    pub fn side(&self) -> Side<'a> {
        Side {
            btf: self.btf,
            ptr: self.ptr,
        }
    }

    /// Every CO-RE relocation in record order.
    pub fn relocations(&self) -> impl Iterator<Item = RelocRef<'a>> + 'a {
        self.ext
            .core_relos
            .iter()
            .enumerate()
            .flat_map(|(section, s)| {
                s.records
                    .iter()
                    .enumerate()
                    .map(move |(index, relo)| RelocRef {
                        section,
                        index,
                        relo,
                    })
            })
    }

    /// The local spec of a relocation (errno on a bad access string).
    pub fn local_spec(&self, relo: &CoreRelo) -> Result<Spec<'a>, i32> {
        parse_spec(self.btf, self.ptr, relo)
    }

    /// Resolves every relocation against `target`, in record order, with one
    /// candidate cache for the whole object (as libbpf and bpftool do).
    pub fn resolve<'t>(&self, target: &Target<'t>) -> Vec<Resolved<'t>> {
        let mut cache: HashMap<TypeId, Vec<TypeId>> = HashMap::new();
        self.relocations()
            .map(|r| self.resolve_one(r.relo, target, &mut cache))
            .collect()
    }

    fn resolve_one<'t>(
        &self,
        relo: &CoreRelo,
        target: &Target<'t>,
        cache: &mut HashMap<TypeId, Vec<TypeId>>,
    ) -> Resolved<'t> {
        let fail = |errno, reason: String| Resolved {
            result: Err(Failure { errno, reason }),
            target: None,
            matched: 0,
        };
        let Some(lt) = ty(self.btf, relo.type_id) else {
            return fail(
                EINVAL,
                format!("type id {} is past the program's BTF", relo.type_id),
            );
        };
        let local = match self.local_spec(relo) {
            Ok(s) => s,
            Err(_) => {
                return fail(
                    EINVAL,
                    format!(
                        "access string '{}' does not fit {}",
                        String::from_utf8_lossy(name(self.btf, relo.access_str_off)),
                        super::spec::type_words(self.btf, relo.type_id)
                    ),
                )
            }
        };
        let (l, t) = (self.side(), target.side());
        if local.kind == CoreReloKind::TypeIdLocal {
            let res = ReloRes {
                orig_val: local.root_type_id as u64,
                new_val: local.root_type_id as u64,
                ..ReloRes::default()
            };
            return Resolved {
                result: Ok(res),
                target: None,
                matched: 0,
            };
        }
        if name(self.btf, lt.name_off()).is_empty() {
            return fail(
                EOPNOTSUPP,
                "relocations on anonymous types are not supported".into(),
            );
        }
        let cands = cache
            .entry(relo.type_id)
            .or_insert_with(|| target.candidates(self.btf, relo.type_id));
        let mut kept = Vec::new();
        let mut first: Option<(ReloRes, Spec<'t>)> = None;
        for &cand in cands.iter() {
            let spec = match spec_match(&local, &l, &t, cand) {
                Err(e) => return fail(e, format!("error matching candidate [{cand}]: errno {e}")),
                Ok(None) => continue,
                Ok(Some(s)) => s,
            };
            let res = match calc_relo(local.kind, &local, &l, Some(&spec), &t) {
                Ok(r) => r,
                Err(e) => return fail(e, calc_error(e, local.kind)),
            };
            match &first {
                None => first = Some((res, spec)),
                Some((r0, s0)) => {
                    if spec.bit_offset != s0.bit_offset {
                        return fail(
                            EINVAL,
                            format!(
                                "ambiguous candidates: [{}] and [{cand}] put the field at different offsets (bit {} and {})",
                                s0.root_type_id, s0.bit_offset, spec.bit_offset
                            ),
                        );
                    }
                    if res.poison != r0.poison || res.new_val != r0.new_val {
                        return fail(
                            EINVAL,
                            format!(
                                "ambiguous candidates: [{}] gives {} and [{cand}] gives {}",
                                s0.root_type_id, r0.new_val, res.new_val
                            ),
                        );
                    }
                }
            }
            kept.push(cand);
        }
        let matched = kept.len();
        if !kept.is_empty() {
            *cands = kept;
        }
        match first {
            Some((res, spec)) => Resolved {
                result: Ok(res),
                target: Some(spec),
                matched,
            },
            None => match calc_relo(local.kind, &local, &l, None, &t) {
                Ok(res) => Resolved {
                    result: Ok(res),
                    target: None,
                    matched: 0,
                },
                Err(e) => fail(e, calc_error(e, local.kind)),
            },
        }
    }
}

fn calc_error(errno: i32, kind: CoreReloKind) -> String {
    match errno {
        super::btf_util::E2BIG => {
            "the bitfield cannot be read with one load of at most 8 bytes".into()
        }
        EOPNOTSUPP => format!("{} is not supported here", kind.name()),
        _ => format!(
            "{} cannot be applied to this access (errno {errno})",
            kind.name()
        ),
    }
}
