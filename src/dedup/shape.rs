//! A cheap, exact filter in front of the graph comparison.
//!
//! Every step of a successful comparison pairs two types with the same
//! name (the representative map and FWD resolution only ever link
//! same-named types), so two structs, unions or typedefs can only be
//! equivalent if the types their members (or target) refer to have the
//! same names, position by position. Hashing those names gives a
//! signature; different signatures mean the comparison would fail.
//!
//! Skipping a comparison is only unobservable if that comparison could not
//! have failed with an error first, which happens when it reaches a VAR,
//! DATASEC or DECL_TAG; the filter is off when any such edge exists.

use super::signature::is_plain_ref;
use crate::btf::record::{
    kind, member_type, param_type, vlen, ARRAY, ARRAY_ELEM, ARRAY_INDEX, FUNC_PROTO, STRUCT, TYPE,
    TYPEDEF, UNION,
};

/// The signature of a struct, union or typedef (0 for other kinds).
/// `name_of` gives the name offset of any id.
pub(crate) fn shape(r: &[u32], name_of: impl Fn(u32) -> u32) -> u64 {
    let combine = |h: u64, v: u32| {
        (h ^ v as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29)
    };
    match kind(r) {
        STRUCT | UNION => (0..vlen(r)).fold(1, |h, i| combine(h, name_of(member_type(r, i)))),
        TYPEDEF => combine(2, name_of(r[TYPE])),
        _ => 0,
    }
}

/// Whether the comparison could follow an edge of `r` to a type it cannot
/// compare (VAR, DATASEC, DECL_TAG), which `bad` tells.
pub(crate) fn reaches_uncomparable(r: &[u32], bad: impl Fn(u32) -> bool) -> bool {
    match kind(r) {
        k if is_plain_ref(k) => bad(r[TYPE]),
        ARRAY => bad(r[ARRAY_ELEM]) || bad(r[ARRAY_INDEX]),
        STRUCT | UNION => (0..vlen(r)).any(|i| bad(member_type(r, i))),
        FUNC_PROTO => bad(r[TYPE]) || (0..vlen(r)).any(|i| bad(param_type(r, i))),
        _ => false,
    }
}
