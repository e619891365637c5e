//! The raw record layer: which 32-bit word of a type record holds what.
//!
//! A record is `[name_off, info, size_or_type, extra...]`; the vlen elements
//! follow the three common words. This module is the one place that knows
//! which words hold type ids and which hold string offsets. [`TypeView`]
//! reads records in their blob's byte order through it, and the dedup
//! engine, distill, FULL BTF building and the encoder work on records as
//! native-order word slices with the accessors below.
//!
//! [`TypeView`]: super::TypeView

use super::Kind;

pub const NAME: usize = 0;
pub const INFO: usize = 1;
/// `size` for sized kinds, `type` for reference kinds.
pub const TYPE: usize = 2;
/// An ARRAY's element type, index type and element count.
pub const ARRAY_ELEM: usize = 3;
pub const ARRAY_INDEX: usize = 4;
pub const ARRAY_NELEMS: usize = 5;

/// The void record that id 0 stands for: kind 0, no name, no size.
pub static VOID: [u32; 3] = [0, 0, 0];

pub const INT: u32 = Kind::Int as u32;
pub const PTR: u32 = Kind::Ptr as u32;
pub const ARRAY: u32 = Kind::Array as u32;
pub const STRUCT: u32 = Kind::Struct as u32;
pub const UNION: u32 = Kind::Union as u32;
pub const ENUM: u32 = Kind::Enum as u32;
pub const FWD: u32 = Kind::Fwd as u32;
pub const TYPEDEF: u32 = Kind::Typedef as u32;
pub const VOLATILE: u32 = Kind::Volatile as u32;
pub const CONST: u32 = Kind::Const as u32;
pub const RESTRICT: u32 = Kind::Restrict as u32;
pub const FUNC: u32 = Kind::Func as u32;
pub const FUNC_PROTO: u32 = Kind::FuncProto as u32;
pub const VAR: u32 = Kind::Var as u32;
pub const DATASEC: u32 = Kind::Datasec as u32;
pub const FLOAT: u32 = Kind::Float as u32;
pub const DECL_TAG: u32 = Kind::DeclTag as u32;
pub const TYPE_TAG: u32 = Kind::TypeTag as u32;
pub const ENUM64: u32 = Kind::Enum64 as u32;

/// The kind, with libbpf's five-bit mask.
#[inline]
pub fn kind(r: &[u32]) -> u32 {
    (r[INFO] >> 24) & 0x1f
}

/// The element count, with libbpf's sixteen-bit mask.
#[inline]
pub fn vlen(r: &[u32]) -> usize {
    (r[INFO] & 0xffff) as usize
}

#[inline]
pub fn kflag(r: &[u32]) -> bool {
    r[INFO] >> 31 == 1
}

/// The kind a FWD stands for.
#[inline]
pub fn fwd_kind(r: &[u32]) -> u32 {
    if kflag(r) {
        UNION
    } else {
        STRUCT
    }
}

#[inline]
pub fn is_struct_or_union(k: u32) -> bool {
    k == STRUCT || k == UNION
}

#[inline]
pub fn is_any_enum(r: &[u32]) -> bool {
    matches!(kind(r), ENUM | ENUM64)
}

/// An ENUM or ENUM64 without values: a forward declaration.
#[inline]
pub fn is_enum_fwd(r: &[u32]) -> bool {
    is_any_enum(r) && vlen(r) == 0
}

// Member (STRUCT/UNION) and parameter (FUNC_PROTO) words: elements start at
// word 3, three words a member, two a parameter.
#[inline]
pub fn member_name(r: &[u32], i: usize) -> u32 {
    r[3 + 3 * i]
}
#[inline]
pub fn member_type(r: &[u32], i: usize) -> u32 {
    r[4 + 3 * i]
}
#[inline]
pub fn member_offset(r: &[u32], i: usize) -> u32 {
    r[5 + 3 * i]
}
#[inline]
pub fn param_name(r: &[u32], i: usize) -> u32 {
    r[3 + 2 * i]
}
#[inline]
pub fn param_type(r: &[u32], i: usize) -> u32 {
    r[4 + 2 * i]
}

/// Word indexes of a native-order record that hold type ids, in libbpf's
/// field-iterator order (a FWD's unused `type` word included, as libbpf
/// remaps it too).
#[inline]
pub fn id_words(r: &[u32]) -> IdWords {
    id_words_of(kind(r), vlen(r))
}

/// Word indexes that hold type ids in a record of kind `kind` with `vlen`
/// elements.
pub fn id_words_of(kind: u32, vlen: usize) -> IdWords {
    let (head, first, stride, count): (&'static [usize], usize, usize, usize) = match kind {
        FWD | CONST | VOLATILE | RESTRICT | PTR | TYPEDEF | FUNC | VAR | DECL_TAG | TYPE_TAG => {
            (&[TYPE], 0, 0, 0)
        }
        ARRAY => (&[ARRAY_ELEM, ARRAY_INDEX], 0, 0, 0),
        STRUCT | UNION => (&[], 4, 3, vlen),
        FUNC_PROTO => (&[TYPE], 4, 2, vlen),
        DATASEC => (&[], 3, 3, vlen),
        _ => (&[], 0, 0, 0),
    };
    IdWords {
        head,
        next: first,
        stride,
        left: count,
    }
}

/// Iterator over the word indexes of a record that hold type ids.
#[derive(Clone, Debug)]
pub struct IdWords {
    head: &'static [usize],
    next: usize,
    stride: usize,
    left: usize,
}

impl IdWords {
    /// No words at all.
    pub fn none() -> Self {
        IdWords {
            head: &[],
            next: 0,
            stride: 0,
            left: 0,
        }
    }
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

/// Word indexes of a native-order record that hold string offsets, in
/// libbpf's order: the type's name, then its elements' names.
#[inline]
pub fn str_words(r: &[u32]) -> impl Iterator<Item = usize> {
    str_words_of(kind(r), vlen(r))
}

/// Word indexes that hold string offsets in a record of kind `kind` with
/// `vlen` elements.
pub fn str_words_of(kind: u32, vlen: usize) -> impl Iterator<Item = usize> {
    let stride = match kind {
        STRUCT | UNION | ENUM64 => 3,
        ENUM | FUNC_PROTO => 2,
        _ => 0,
    };
    let n = if stride == 0 { 0 } else { vlen };
    std::iter::once(NAME).chain((0..n).map(move |i| 3 + i * stride))
}
