//! libbpf's per-kind signature hashes and equality predicates over type
//! records as native-order word slices (their layout: [`crate::btf::record`]).
//!
//! Equality of `name_off, info, size_or_type` implies equal kind and vlen,
//! hence equal record length, which several predicates below rely on.

use super::DedupRules;
use crate::btf::record::{
    is_any_enum, is_enum_fwd, kind, member_name, member_offset, param_name, param_type, vlen,
    ARRAY, ARRAY_ELEM, ARRAY_INDEX, ARRAY_NELEMS, CONST, DATASEC, DECL_TAG, ENUM, ENUM64, FLOAT,
    FUNC, FUNC_PROTO, FWD, INFO, INT, NAME, PTR, RESTRICT, STRUCT, TYPE, TYPEDEF, TYPE_TAG, UNION,
    VAR, VOLATILE,
};

/// Reference kinds whose single `type` word is followed by equivalence checks.
#[inline]
pub(crate) fn is_plain_ref(k: u32) -> bool {
    matches!(
        k,
        CONST | VOLATILE | RESTRICT | PTR | TYPEDEF | FUNC | TYPE_TAG
    )
}

// --- signature hashes, exactly as libbpf combines them (64-bit `long`) ---

#[inline]
fn combine(h: u64, v: u32) -> u64 {
    h.wrapping_mul(31).wrapping_add(v as u64)
}

pub(crate) fn hash_common(r: &[u32]) -> u64 {
    combine(combine(combine(0, r[NAME]), r[INFO]), r[TYPE])
}

pub(crate) fn hash_typedef(r: &[u32]) -> u64 {
    combine(combine(0, r[NAME]), r[INFO])
}

pub(crate) fn hash_int_decl_tag(r: &[u32]) -> u64 {
    combine(hash_common(r), r[3])
}

/// Name only, so that enum forwards meet their full definitions.
pub(crate) fn hash_enum(r: &[u32]) -> u64 {
    combine(0, r[NAME])
}

/// Member names and offsets, not member types (they may not be final yet).
pub(crate) fn hash_struct(r: &[u32]) -> u64 {
    (0..vlen(r)).fold(hash_common(r), |h, i| {
        combine(combine(h, member_name(r, i)), member_offset(r, i))
    })
}

pub(crate) fn hash_array(r: &[u32]) -> u64 {
    let h = combine(hash_common(r), r[ARRAY_ELEM]);
    combine(combine(h, r[ARRAY_INDEX]), r[ARRAY_NELEMS])
}

pub(crate) fn hash_fnproto(r: &[u32]) -> u64 {
    (0..vlen(r)).fold(hash_common(r), |h, i| {
        combine(combine(h, param_name(r, i)), param_type(r, i))
    })
}

/// The hash a base type is indexed under before a split BTF is deduplicated.
/// libbpf 1.7 indexes base TYPEDEFs with the common hash, not the typedef
/// hash its struct pass looks them up with, so they never match; current
/// libbpf uses the typedef hash on both sides.
pub(crate) fn base_hash(r: &[u32], rules: DedupRules) -> Option<u64> {
    Some(match kind(r) {
        VAR | DATASEC => return None,
        TYPEDEF if rules == DedupRules::Current => hash_typedef(r),
        CONST | VOLATILE | RESTRICT | PTR | FWD | TYPEDEF | FUNC | FLOAT | TYPE_TAG => {
            hash_common(r)
        }
        INT | DECL_TAG => hash_int_decl_tag(r),
        ENUM | ENUM64 => hash_enum(r),
        STRUCT | UNION => hash_struct(r),
        ARRAY => hash_array(r),
        FUNC_PROTO => hash_fnproto(r),
        _ => return None,
    })
}

// --- equality predicates ---

#[inline]
pub(crate) fn equal_common(a: &[u32], b: &[u32]) -> bool {
    a[..3] == b[..3]
}

#[inline]
pub(crate) fn equal_typedef(a: &[u32], b: &[u32]) -> bool {
    a[NAME] == b[NAME] && a[INFO] == b[INFO]
}

#[inline]
pub(crate) fn equal_int_tag(a: &[u32], b: &[u32]) -> bool {
    equal_common(a, b) && a[3] == b[3]
}

/// Whole-record equality; with equal common words the lengths match. Used
/// for ENUM/ENUM64 (names and values), ARRAY and FUNC_PROTO (ids included).
#[inline]
pub(crate) fn equal_full(a: &[u32], b: &[u32]) -> bool {
    equal_common(a, b) && a[3..] == b[3..]
}

pub(crate) fn compat_enum(a: &[u32], b: &[u32]) -> bool {
    if !is_enum_fwd(a) && !is_enum_fwd(b) {
        return equal_full(a, b);
    }
    // A forward has no values and may stand for an ENUM64 of another size.
    a[NAME] == b[NAME] && is_any_enum(a) && is_any_enum(b)
}

pub(crate) fn shallow_equal_struct(a: &[u32], b: &[u32]) -> bool {
    equal_common(a, b)
        && (0..vlen(a)).all(|i| {
            member_name(a, i) == member_name(b, i) && member_offset(a, i) == member_offset(b, i)
        })
}

pub(crate) fn compat_array(a: &[u32], b: &[u32]) -> bool {
    equal_common(a, b) && a[ARRAY_NELEMS] == b[ARRAY_NELEMS]
}

/// Names and info only: the return and parameter types are compared apart.
pub(crate) fn compat_fnproto(a: &[u32], b: &[u32]) -> bool {
    a[NAME] == b[NAME]
        && a[INFO] == b[INFO]
        && (0..vlen(a)).all(|i| param_name(a, i) == param_name(b, i))
}
