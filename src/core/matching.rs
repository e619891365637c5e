//! Whether a candidate type in the target BTF answers a local access:
//! libbpf's compatibility rules (types_are_compat for type relocations,
//! fields_are_compat for the field at the end of a path, types_match for
//! type_matches) and the member search through anonymous members.

use super::btf_util::{
    enumerator, essential, int_encoding, int_offset, is_composite, kind_core_compat, member, name,
    resolve_size, skip_mods, ty, Ty, E2BIG, EINVAL,
};
use super::spec::{is_flex_array, Accessor, Spec, MAX_SPEC_LEN};
use crate::btf::ext::CoreReloKind;
use crate::btf::kind::{Kind, INT_SIGNED};
use crate::btf::{Btf, TypeId};

/// One side of a comparison: a BTF and the pointer size it assumes.
#[derive(Clone, Copy)]
pub struct Side<'a> {
    pub btf: &'a Btf<'a>,
    pub ptr: u32,
}

/// How deep function prototypes may nest in the compatibility checks.
const LEVELS: i32 = 32;

fn skip<'a>(s: &Side<'a>, id: TypeId) -> Result<(TypeId, Ty<'a>), i32> {
    skip_mods(s.btf, id).ok_or(EINVAL)
}

/// One step of a walk down both sides: each type with its typedefs and
/// modifiers skipped, within libbpf's bound of 32 steps (`depth` counts down).
fn step_both<'a>(
    l: &Side<'a>,
    lid: TypeId,
    t: &Side<'a>,
    tid: TypeId,
    depth: &mut i32,
) -> Result<(Ty<'a>, Ty<'a>), i32> {
    *depth -= 1;
    if *depth < 0 {
        return Err(EINVAL);
    }
    Ok((skip(l, lid)?.1, skip(t, tid)?.1))
}

fn ty_of<'a>(s: &Side<'a>, id: TypeId) -> Result<Ty<'a>, i32> {
    ty(s.btf, id).ok_or(EINVAL)
}

fn params(t: &Ty) -> Vec<TypeId> {
    t.view()
        .map(|v| v.params().map(|p| p.type_id).collect())
        .unwrap_or_default()
}

/// Type relocations' compatibility (libbpf's __bpf_core_types_are_compat):
/// kinds agree, sizes and signedness are ignored, pointers, arrays and
/// function prototypes are compared through.
pub fn types_are_compat(
    l: &Side,
    mut lid: TypeId,
    t: &Side,
    mut tid: TypeId,
    level: i32,
) -> Result<bool, i32> {
    if !kind_core_compat(&ty_of(l, lid)?, &ty_of(t, tid)?) {
        return Ok(false);
    }
    let mut depth = 32;
    loop {
        let (lt, tt) = step_both(l, lid, t, tid, &mut depth)?;
        if !kind_core_compat(&lt, &tt) {
            return Ok(false);
        }
        match lt.kind() {
            None | Some(Kind::Struct | Kind::Union | Kind::Enum | Kind::Fwd | Kind::Enum64) => {
                return Ok(true)
            }
            Some(Kind::Int) => return Ok(int_offset(&lt) == 0 && int_offset(&tt) == 0),
            Some(Kind::Ptr) => (lid, tid) = (lt.size_or_type(), tt.size_or_type()),
            Some(Kind::Array) => {
                let (la, ta) = (lt.view().unwrap().array(), tt.view().unwrap().array());
                (lid, tid) = (la.elem_type, ta.elem_type);
            }
            Some(Kind::FuncProto) => {
                let (lp, tp) = (params(&lt), params(&tt));
                if lp.len() != tp.len() {
                    return Ok(false);
                }
                for (a, b) in lp.iter().zip(&tp) {
                    if level <= 0 {
                        return Err(EINVAL);
                    }
                    let (a, _) = skip(l, *a)?;
                    let (b, _) = skip(t, *b)?;
                    if !types_are_compat(l, a, t, b, level - 1)? {
                        return Ok(false);
                    }
                }
                (lid, _) = skip(l, lt.size_or_type())?;
                (tid, _) = skip(t, tt.size_or_type())?;
            }
            _ => return Ok(false),
        }
    }
}

/// One of two names is anonymous, or both have the same essential name.
fn loose_names_match(ln: &[u8], tn: &[u8]) -> bool {
    let (le, te) = (essential(ln), essential(tn));
    le.is_empty() || te.is_empty() || le == te
}

/// The field at the end of a path (libbpf's bpf_core_fields_are_compat).
fn fields_are_compat(l: &Side, lid: TypeId, t: &Side, tid: TypeId) -> Result<bool, i32> {
    let (mut lid, mut tid) = (lid, tid);
    loop {
        let (_, lt) = skip(l, lid)?;
        let (_, tt) = skip(t, tid)?;
        if lt.is_composite() && tt.is_composite() {
            return Ok(true);
        }
        if !kind_core_compat(&lt, &tt) {
            return Ok(false);
        }
        return Ok(match lt.kind() {
            Some(Kind::Ptr | Kind::Float) => true,
            Some(Kind::Fwd | Kind::Enum | Kind::Enum64) => {
                loose_names_match(name(l.btf, lt.name_off()), name(t.btf, tt.name_off()))
            }
            Some(Kind::Int) => int_offset(&lt) == 0 && int_offset(&tt) == 0,
            Some(Kind::Array) => {
                lid = lt.view().unwrap().array().elem_type;
                tid = tt.view().unwrap().array().elem_type;
                continue;
            }
            _ => false,
        });
    }
}

/// Finds the local accessor's field in target type `tid`, looking through
/// anonymous members, and extends `spec` with the path; `Ok(Some(type))`
/// is the matched member's type. Mirrors libbpf exactly, including that a
/// name found with an incompatible type inside an anonymous member leaves
/// its raw index and offset behind.
fn match_member<'a>(
    l: &Side,
    lacc: &Accessor,
    t: &Side<'a>,
    tid: TypeId,
    spec: &mut Spec<'a>,
) -> Result<Option<TypeId>, i32> {
    let (tid, tt) = skip(t, tid)?;
    let Some(tv) = tt.view().filter(|v| is_composite(v)) else {
        return Ok(None);
    };
    let lt = ty_of(l, lacc.type_id)?;
    let (lname_off, ltype, _, _) = lt.view().and_then(|v| member(v, lacc.idx)).ok_or(EINVAL)?;
    let lname = name(l.btf, lname_off);
    let kflag = tv.kflag();
    for (i, m) in tv.members().enumerate() {
        let bit_off = m.bit_offset(kflag);
        if spec.raw.len() == MAX_SPEC_LEN {
            return Err(E2BIG);
        }
        spec.bit_offset = spec.bit_offset.wrapping_add(bit_off);
        spec.raw.push(i as u32);
        let tname = name(t.btf, m.name_off);
        if tname.is_empty() {
            if let Some(found) = match_member(l, lacc, t, m.type_id, spec)? {
                return Ok(Some(found));
            }
        } else if tname == lname {
            spec.acc.push(Accessor {
                type_id: tid,
                idx: i as u32,
                name: Some(tname),
            });
            if fields_are_compat(l, ltype, t, m.type_id)? {
                return Ok(Some(m.type_id));
            }
            spec.acc.pop();
            return Ok(None);
        }
        spec.bit_offset = spec.bit_offset.wrapping_sub(bit_off);
        spec.raw.pop();
    }
    Ok(None)
}

/// Does candidate `tid` answer the local spec? On a match, the target spec.
/// libbpf's bpf_core_spec_match; `Ok(None)` is "does not match".
pub fn spec_match<'a>(
    local: &Spec,
    l: &Side,
    t: &Side<'a>,
    cand: TypeId,
) -> Result<Option<Spec<'a>>, i32> {
    let mut spec = Spec::empty(cand, local.kind);
    if local.kind.is_type() {
        let ok = if local.kind == CoreReloKind::TypeMatches {
            types_match(l, local.root_type_id, t, cand, false, LEVELS)?
        } else {
            types_are_compat(l, local.root_type_id, t, cand, LEVELS)?
        };
        return Ok(ok.then_some(spec));
    }
    if local.kind.is_enumval() {
        let (tid, tt) = skip(t, cand)?;
        let Some(tv) = tt.view().filter(|_| tt.is_any_enum()) else {
            return Ok(None);
        };
        let lname = essential(local.acc[0].name.unwrap_or(b""));
        for i in 0..tv.vlen() {
            let (noff, _) = enumerator(tv, i).ok_or(EINVAL)?;
            let tname = name(t.btf, noff);
            if essential(tname) == lname {
                spec.acc.push(Accessor {
                    type_id: tid,
                    idx: i,
                    name: Some(tname),
                });
                spec.raw.push(i);
                return Ok(Some(spec));
            }
        }
        return Ok(None);
    }
    let mut tid = cand;
    for (i, lacc) in local.acc.iter().enumerate() {
        let (sid, tt) = skip(t, tid)?;
        tid = sid;
        if lacc.name.is_some() {
            match match_member(l, lacc, t, tid, &mut spec)? {
                Some(next) => tid = next,
                None => return Ok(None),
            }
            continue;
        }
        if i > 0 {
            let Some(a) = tt
                .view()
                .filter(|v| v.kind() == Some(Kind::Array))
                .map(|v| v.array())
            else {
                return Ok(None);
            };
            let flex = is_flex_array(t.btf, spec.acc.last(), a.nelems);
            if !flex && lacc.idx >= a.nelems {
                return Ok(None);
            }
            (tid, _) = skip(t, a.elem_type)?;
        }
        if spec.raw.len() == MAX_SPEC_LEN {
            return Err(E2BIG);
        }
        spec.acc.push(Accessor {
            type_id: tid,
            idx: lacc.idx,
            name: None,
        });
        spec.raw.push(lacc.idx);
        let sz = resolve_size(t.btf, t.ptr, tid)?;
        spec.bit_offset = spec
            .bit_offset
            .wrapping_add((lacc.idx as u64).wrapping_mul(sz).wrapping_mul(8) as u32);
    }
    Ok(Some(spec))
}

/// Names match for type_matches: an anonymous target needs an anonymous
/// local; otherwise the essential names are equal.
fn names_match(l: &Side, loff: u32, t: &Side, toff: u32) -> bool {
    let (ln, tn) = (name(l.btf, loff), name(t.btf, toff));
    if tn.is_empty() {
        return ln.is_empty();
    }
    essential(ln) == essential(tn)
}

fn enumerator_names(t: &Ty) -> Vec<u32> {
    let Some(v) = t.view() else { return Vec::new() };
    (0..v.vlen())
        .filter_map(|i| enumerator(v, i).map(|e| e.0))
        .collect()
}

fn enums_match(l: &Side, lt: &Ty, t: &Side, tt: &Ty) -> bool {
    if lt.size_or_type() != tt.size_or_type() || lt.vlen() > tt.vlen() {
        return false;
    }
    let tnames = enumerator_names(tt);
    enumerator_names(lt)
        .iter()
        .all(|&ln| tnames.iter().any(|&tn| names_match(l, ln, t, tn)))
}

fn composites_match(
    l: &Side,
    lt: &Ty,
    t: &Side,
    tt: &Ty,
    behind_ptr: bool,
    level: i32,
) -> Result<bool, i32> {
    let (Some(lv), Some(tv)) = (lt.view(), tt.view()) else {
        return Ok(false);
    };
    if lv.vlen() > tv.vlen() {
        return Ok(false);
    }
    for lm in lv.members() {
        let mut matched = false;
        for tm in tv.members() {
            if !names_match(l, lm.name_off, t, tm.name_off) {
                continue;
            }
            if types_match(l, lm.type_id, t, tm.type_id, behind_ptr, level - 1)? {
                matched = true;
                break;
            }
        }
        if !matched {
            return Ok(false);
        }
    }
    Ok(true)
}

/// type_matches (libbpf's __bpf_core_types_match): same kinds and names
/// throughout, sizes and signedness of integers, enumerator names, every
/// local member present in the target; behind a pointer a composite only
/// needs its kind (or a forward declaration of it).
pub fn types_match(
    l: &Side,
    mut lid: TypeId,
    t: &Side,
    mut tid: TypeId,
    mut behind_ptr: bool,
    level: i32,
) -> Result<bool, i32> {
    if level <= 0 {
        return Err(EINVAL);
    }
    let mut depth = 32;
    loop {
        let (lt, tt) = step_both(l, lid, t, tid, &mut depth)?;
        if !names_match(l, lt.name_off(), t, tt.name_off()) {
            return Ok(false);
        }
        let (lk, tk) = (lt.kind(), tt.kind());
        let same = lt.kind_raw() == tt.kind_raw();
        return Ok(match lk {
            None => same,
            Some(Kind::Fwd) => {
                let lf = lt.kflag();
                if same {
                    lf == tt.kflag()
                } else if behind_ptr {
                    (tk == Some(Kind::Struct) && !lf) || (tk == Some(Kind::Union) && lf)
                } else {
                    false
                }
            }
            Some(Kind::Enum | Kind::Enum64) => tt.is_any_enum() && enums_match(l, &lt, t, &tt),
            Some(Kind::Struct | Kind::Union) => {
                if behind_ptr {
                    same || (tk == Some(Kind::Fwd) && (lk == Some(Kind::Union)) == tt.kflag())
                } else {
                    same && composites_match(l, &lt, t, &tt, behind_ptr, level)?
                }
            }
            Some(Kind::Int) => {
                same && lt.size_or_type() == tt.size_or_type()
                    && (int_encoding(&lt) & INT_SIGNED) == (int_encoding(&tt) & INT_SIGNED)
            }
            Some(Kind::Ptr) => {
                if !same {
                    return Ok(false);
                }
                behind_ptr = true;
                (lid, tid) = (lt.size_or_type(), tt.size_or_type());
                continue;
            }
            Some(Kind::Array) => {
                let (la, ta) = (lt.view().unwrap().array(), tt.view().unwrap().array());
                if !same || la.nelems != ta.nelems {
                    return Ok(false);
                }
                (lid, tid) = (la.elem_type, ta.elem_type);
                continue;
            }
            Some(Kind::FuncProto) => {
                let (lp, tp) = (params(&lt), params(&tt));
                if !same || lp.len() != tp.len() {
                    return Ok(false);
                }
                for (a, b) in lp.iter().zip(&tp) {
                    if !types_match(l, *a, t, *b, behind_ptr, level - 1)? {
                        return Ok(false);
                    }
                }
                (lid, tid) = (lt.size_or_type(), tt.size_or_type());
                continue;
            }
            _ => false,
        });
    }
}
