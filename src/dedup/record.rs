//! Type records as native-order word slices, and libbpf's per-kind
//! signature hashes and equality predicates over them.
//!
//! A record is `[name_off, info, size_or_type, extra...]`. Equality of
//! `name_off, info, size_or_type` implies equal kind and vlen, hence equal
//! record length, which several predicates below rely on.

use super::DedupRules;
use crate::btf::Kind;

pub(crate) const NAME: usize = 0;
pub(crate) const INFO: usize = 1;
/// `size` for sized kinds, `type` for reference kinds.
pub(crate) const TYPE: usize = 2;

/// The void record that id 0 stands for: kind 0, no name, no size.
pub(crate) static VOID: [u32; 3] = [0, 0, 0];

pub(crate) const INT: u32 = Kind::Int as u32;
pub(crate) const PTR: u32 = Kind::Ptr as u32;
pub(crate) const ARRAY: u32 = Kind::Array as u32;
pub(crate) const STRUCT: u32 = Kind::Struct as u32;
pub(crate) const UNION: u32 = Kind::Union as u32;
pub(crate) const ENUM: u32 = Kind::Enum as u32;
pub(crate) const FWD: u32 = Kind::Fwd as u32;
pub(crate) const TYPEDEF: u32 = Kind::Typedef as u32;
pub(crate) const VOLATILE: u32 = Kind::Volatile as u32;
pub(crate) const CONST: u32 = Kind::Const as u32;
pub(crate) const RESTRICT: u32 = Kind::Restrict as u32;
pub(crate) const FUNC: u32 = Kind::Func as u32;
pub(crate) const FUNC_PROTO: u32 = Kind::FuncProto as u32;
pub(crate) const VAR: u32 = Kind::Var as u32;
pub(crate) const DATASEC: u32 = Kind::Datasec as u32;
pub(crate) const FLOAT: u32 = Kind::Float as u32;
pub(crate) const DECL_TAG: u32 = Kind::DeclTag as u32;
pub(crate) const TYPE_TAG: u32 = Kind::TypeTag as u32;
pub(crate) const ENUM64: u32 = Kind::Enum64 as u32;

#[inline]
pub(crate) fn kind(r: &[u32]) -> u32 {
    (r[INFO] >> 24) & 0x1f
}

#[inline]
pub(crate) fn vlen(r: &[u32]) -> usize {
    (r[INFO] & 0xffff) as usize
}

#[inline]
fn kflag(r: &[u32]) -> bool {
    r[INFO] >> 31 == 1
}

/// The kind a FWD stands for.
#[inline]
pub(crate) fn fwd_kind(r: &[u32]) -> u32 {
    if kflag(r) {
        UNION
    } else {
        STRUCT
    }
}

/// Reference kinds whose single `type` word is followed by equivalence checks.
#[inline]
pub(crate) fn is_plain_ref(k: u32) -> bool {
    matches!(
        k,
        CONST | VOLATILE | RESTRICT | PTR | TYPEDEF | FUNC | TYPE_TAG
    )
}

#[inline]
pub(crate) fn is_struct_or_union(k: u32) -> bool {
    k == STRUCT || k == UNION
}

#[inline]
fn is_any_enum(r: &[u32]) -> bool {
    matches!(kind(r), ENUM | ENUM64)
}

#[inline]
pub(crate) fn is_enum_fwd(r: &[u32]) -> bool {
    is_any_enum(r) && vlen(r) == 0
}

// Member / param accessors: elements start at word 3.
#[inline]
pub(crate) fn member_name(r: &[u32], i: usize) -> u32 {
    r[3 + 3 * i]
}
#[inline]
pub(crate) fn member_type(r: &[u32], i: usize) -> u32 {
    r[4 + 3 * i]
}
#[inline]
fn member_offset(r: &[u32], i: usize) -> u32 {
    r[5 + 3 * i]
}
#[inline]
fn param_name(r: &[u32], i: usize) -> u32 {
    r[3 + 2 * i]
}
#[inline]
pub(crate) fn param_type(r: &[u32], i: usize) -> u32 {
    r[4 + 2 * i]
}
pub(crate) const ARRAY_ELEM: usize = 3;
pub(crate) const ARRAY_INDEX: usize = 4;
const ARRAY_NELEMS: usize = 5;

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

/// Word indexes holding type ids, in libbpf's field-iterator order (a FWD's
/// unused `type` word included, as libbpf remaps it too).
pub(crate) fn id_words(r: &[u32]) -> IdWords {
    let n = vlen(r);
    let (head, first, stride, count): (&'static [usize], usize, usize, usize) = match kind(r) {
        FWD | CONST | VOLATILE | RESTRICT | PTR | TYPEDEF | FUNC | VAR | DECL_TAG | TYPE_TAG => {
            (&[TYPE], 0, 0, 0)
        }
        ARRAY => (&[ARRAY_ELEM, ARRAY_INDEX], 0, 0, 0),
        STRUCT | UNION => (&[], 4, 3, n),
        FUNC_PROTO => (&[TYPE], 4, 2, n),
        DATASEC => (&[], 3, 3, n),
        _ => (&[], 0, 0, 0),
    };
    IdWords {
        head,
        next: first,
        stride,
        left: count,
    }
}

pub(crate) struct IdWords {
    head: &'static [usize],
    next: usize,
    stride: usize,
    left: usize,
}

impl Iterator for IdWords {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        if let Some((&w, rest)) = self.head.split_first() {
            self.head = rest;
            return Some(w);
        }
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let w = self.next;
        self.next += self.stride;
        Some(w)
    }
}

/// Word indexes holding string offsets, in libbpf's order.
pub(crate) fn str_words(r: &[u32]) -> impl Iterator<Item = usize> {
    let stride = match kind(r) {
        STRUCT | UNION | ENUM64 => 3,
        ENUM | FUNC_PROTO => 2,
        _ => 0,
    };
    let n = if stride == 0 { 0 } else { vlen(r) };
    std::iter::once(NAME).chain((0..n).map(move |i| 3 + i * stride))
}
