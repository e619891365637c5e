//! The value a relocation patches in, from a (local or target) spec: byte
//! offsets and sizes with libbpf's bitfield load widening, signedness,
//! the shifts that extract a bitfield from a u64, type ids, sizes and
//! existence, enumerator values.

use super::btf_util::{
    enumerator, int_encoding, int_signed, member, resolve_size, skip_mods, ty, Ty, E2BIG, EINVAL,
    EOPNOTSUPP,
};
use super::matching::Side;
use super::spec::Spec;
use crate::btf::ext::CoreReloKind as K;
use crate::btf::kind::Kind;
use crate::btf::TypeId;

/// libbpf's `struct bpf_core_relo_res`, field for field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct ReloRes {
    /// The value the instruction holds as compiled (checked unless !validate).
    pub orig_val: u64,
    /// The value patched in.
    pub new_val: u64,
    /// The instruction is poisoned instead: the field, type or enumerator
    /// is not in the target.
    pub poison: bool,
    pub validate: bool,
    /// A load or store would have to change size in a way that is not safe
    /// (libbpf poisons such LDX/ST/STX instructions when patching).
    pub fail_memsz_adjust: bool,
    pub orig_sz: u32,
    pub orig_type_id: TypeId,
    pub new_sz: u32,
    pub new_type_id: TypeId,
}

/// The (value, load size, load type id) of one side.
#[derive(Default)]
struct Side1 {
    val: u64,
    sz: u32,
    type_id: TypeId,
}

/// "No such field here": the instruction is to be poisoned.
const POISON: i32 = -1;

fn elem_size(s: &Side, id: TypeId) -> Result<u32, i32> {
    let (mut eid, mut t) = skip_mods(s.btf, id).ok_or(EINVAL)?;
    while let Some(v) = t.view().filter(|v| v.kind() == Some(Kind::Array)) {
        (eid, t) = skip_mods(s.btf, v.array().elem_type).ok_or(EINVAL)?;
    }
    resolve_size(s.btf, s.ptr, eid)
        .map(|v| v as u32)
        .map_err(|_| EINVAL)
}

fn field(kind: K, spec: Option<&Spec>, s: &Side, validate: &mut bool) -> Result<Side1, i32> {
    let mut out = Side1::default();
    if kind == K::FieldExists {
        out.val = spec.is_some() as u64;
        return Ok(out);
    }
    let spec = spec.ok_or(POISON)?;
    let acc = spec.acc.last().ok_or(EINVAL)?;
    let Some(name) = acc.name else {
        // An array element.
        match kind {
            K::FieldByteOffset => {
                out.val = (spec.bit_offset / 8) as u64;
                out.sz = elem_size(s, acc.type_id)?;
                out.type_id = acc.type_id;
            }
            K::FieldByteSize => {
                out.val = resolve_size(s.btf, s.ptr, acc.type_id).map_err(|_| EINVAL)?;
            }
            _ => return Err(EINVAL),
        }
        *validate = true;
        return Ok(out);
    };
    let _ = name;
    let t = ty(s.btf, acc.type_id).ok_or(EINVAL)?;
    let (_, mtype, _, bitfield_size) = t.view().and_then(|v| member(v, acc.idx)).ok_or(EINVAL)?;
    let (field_type_id, mt) = skip_mods(s.btf, mtype).ok_or(EINVAL)?;
    let bit_off = spec.bit_offset;
    let mut bit_sz = bitfield_size;
    let bitfield = bit_sz > 0;
    let (mut byte_off, mut byte_sz);
    if bitfield {
        byte_sz = mt.size_or_type();
        if byte_sz == 0 {
            return Err(EINVAL);
        }
        byte_off = bit_off / 8 / byte_sz * byte_sz;
        while bit_off.wrapping_add(bit_sz).wrapping_sub(byte_off * 8) > byte_sz * 8 {
            if byte_sz >= 8 {
                return Err(E2BIG);
            }
            byte_sz *= 2;
            byte_off = bit_off / 8 / byte_sz * byte_sz;
        }
    } else {
        byte_sz = resolve_size(s.btf, s.ptr, field_type_id).map_err(|_| EINVAL)? as u32;
        byte_off = spec.bit_offset / 8;
        bit_sz = byte_sz.wrapping_mul(8);
    }
    *validate = !bitfield;
    match kind {
        K::FieldByteOffset => {
            out.val = byte_off as u64;
            if !bitfield {
                out.sz = elem_size(s, field_type_id)?;
                out.type_id = field_type_id;
            }
        }
        K::FieldByteSize => out.val = byte_sz as u64,
        K::FieldSigned => {
            out.val = ((mt.is_any_enum() && mt.kflag())
                || (mt.kind() == Some(Kind::Int) && int_signed(&mt))) as u64;
            *validate = true;
        }
        // As libbpf computes it on a little-endian host.
        K::FieldLshiftU64 => {
            out.val =
                64u32.wrapping_sub(bit_off.wrapping_add(bit_sz).wrapping_sub(byte_off * 8)) as u64
        }
        K::FieldRshiftU64 => {
            out.val = 64u32.wrapping_sub(bit_sz) as u64;
            *validate = true;
        }
        _ => return Err(EOPNOTSUPP),
    }
    Ok(out)
}

fn type_value(kind: K, spec: Option<&Spec>, s: &Side, validate: &mut bool) -> Result<u64, i32> {
    *validate = true;
    let Some(spec) = spec else { return Ok(0) };
    match kind {
        K::TypeIdTarget => {
            *validate = false;
            Ok(spec.root_type_id as u64)
        }
        K::TypeExists | K::TypeMatches => Ok(1),
        K::TypeSize => resolve_size(s.btf, s.ptr, spec.root_type_id).map_err(|_| EINVAL),
        _ => Err(EOPNOTSUPP),
    }
}

fn enum_value(kind: K, spec: Option<&Spec>, s: &Side) -> Result<u64, i32> {
    match kind {
        K::EnumvalExists => Ok(spec.is_some() as u64),
        K::EnumvalValue => {
            let spec = spec.ok_or(POISON)?;
            let acc = spec.acc.first().ok_or(EINVAL)?;
            let t = ty(s.btf, acc.type_id).ok_or(EINVAL)?;
            t.view()
                .and_then(|v| enumerator(v, acc.idx))
                .map(|e| e.1)
                .ok_or(EINVAL)
        }
        _ => Err(EOPNOTSUPP),
    }
}

/// libbpf's bpf_core_calc_relo: the result for a local spec and a target
/// spec (`None`: nothing in the target matched). Err is an errno.
pub fn calc_relo(
    kind: K,
    local: &Spec,
    l: &Side,
    targ: Option<&Spec>,
    t: &Side,
) -> Result<ReloRes, i32> {
    let mut res = ReloRes {
        validate: true,
        ..ReloRes::default()
    };
    let mut ignored = true;
    let outcome: Result<(), i32> = (|| {
        if kind.is_field() {
            let o = field(kind, Some(local), l, &mut res.validate)?;
            (res.orig_val, res.orig_sz, res.orig_type_id) = (o.val, o.sz, o.type_id);
            let n = field(kind, targ, t, &mut ignored)?;
            (res.new_val, res.new_sz, res.new_type_id) = (n.val, n.sz, n.type_id);
            if res.orig_sz != res.new_sz {
                let ot = ty(l.btf, res.orig_type_id).ok_or(EINVAL)?;
                let nt = ty(t.btf, res.new_type_id).ok_or(EINVAL)?;
                let is = |t: &Ty, k| t.kind() == Some(k);
                let unsigned_int =
                    |t: &Ty| is(t, Kind::Int) && int_encoding(t) != crate::btf::kind::INT_SIGNED;
                let safe = (is(&ot, Kind::Ptr) && is(&nt, Kind::Ptr))
                    || (unsigned_int(&ot) && unsigned_int(&nt));
                res.fail_memsz_adjust = !safe;
            }
        } else if kind.is_type() {
            res.orig_val = type_value(kind, Some(local), l, &mut res.validate)?;
            res.new_val = type_value(kind, targ, t, &mut ignored)?;
        } else {
            res.orig_val = enum_value(kind, Some(local), l)?;
            res.new_val = enum_value(kind, targ, t)?;
        }
        Ok(())
    })();
    match outcome {
        Ok(()) => Ok(res),
        Err(POISON) => {
            res.poison = true;
            Ok(res)
        }
        Err(e) => Err(e),
    }
}
