//! The small BTF walks CO-RE resolution is built from, with libbpf's
//! semantics: modifiers and typedefs skipped, sizes resolved through arrays,
//! names compared by their essential part.

use crate::btf::kind::{Kind, INT_SIGNED};
use crate::btf::{Btf, SizeError, TypeId, TypeView};

/// Errors as libbpf reports them: an errno and what it was about.
pub const EINVAL: i32 = 22;
pub const E2BIG: i32 = 7;
pub const EOPNOTSUPP: i32 = 95;

pub fn is_composite(t: &TypeView) -> bool {
    matches!(t.kind(), Some(Kind::Struct | Kind::Union))
}

pub fn is_any_enum(t: &TypeView) -> bool {
    matches!(t.kind(), Some(Kind::Enum | Kind::Enum64))
}

/// Modifiers (TYPE_TAG included) and typedefs are transparent to CO-RE.
fn is_mod_or_typedef(t: &TypeView) -> bool {
    matches!(
        t.kind(),
        Some(Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag | Kind::Typedef)
    )
}

/// The type `id` refers to: `Void` for id 0, `None` for an id past the end.
#[derive(Clone, Copy)]
pub enum Ty<'a> {
    Void,
    Type(TypeView<'a>),
}

impl<'a> Ty<'a> {
    pub fn view(&self) -> Option<&TypeView<'a>> {
        match self {
            Ty::Void => None,
            Ty::Type(t) => Some(t),
        }
    }

    pub fn kind(&self) -> Option<Kind> {
        self.view().and_then(|t| t.kind())
    }

    /// The raw kind number, 0 for void (BTF_KIND_UNKN).
    pub fn kind_raw(&self) -> u8 {
        self.view().map_or(0, |t| t.kind_raw())
    }

    pub fn name_off(&self) -> u32 {
        self.view().map_or(0, |t| t.name_off())
    }

    pub fn is_composite(&self) -> bool {
        self.view().is_some_and(is_composite)
    }

    pub fn is_any_enum(&self) -> bool {
        self.view().is_some_and(is_any_enum)
    }

    pub fn vlen(&self) -> u32 {
        self.view().map_or(0, |t| t.vlen())
    }

    pub fn kflag(&self) -> bool {
        self.view().is_some_and(|t| t.kflag())
    }

    pub fn size_or_type(&self) -> u32 {
        self.view().map_or(0, |t| t.size_or_type())
    }
}

pub fn ty<'a>(btf: &'a Btf, id: TypeId) -> Option<Ty<'a>> {
    if id == 0 {
        return Some(Ty::Void);
    }
    btf.type_by_id(id).map(Ty::Type)
}

/// Follows typedefs and modifiers from `id`: the id and type reached.
pub fn skip_mods<'a>(btf: &'a Btf, mut id: TypeId) -> Option<(TypeId, Ty<'a>)> {
    // A cycle of typedefs cannot pass validation, but a bound costs nothing.
    for _ in 0..=btf.type_count() {
        let t = ty(btf, id)?;
        match t.view() {
            Some(v) if is_mod_or_typedef(v) => id = v.size_or_type(),
            _ => return Some((id, t)),
        }
    }
    None
}

/// libbpf's btf__resolve_size ([`Btf::resolve_size`]) with its errno.
pub fn resolve_size(btf: &Btf, ptr_size: u32, id: TypeId) -> Result<u64, i32> {
    btf.resolve_size(ptr_size, id).map_err(|e| match e {
        SizeError::TooBig => E2BIG,
        SizeError::NoSize => EINVAL,
    })
}

/// The pointer size a BTF assumes, found as libbpf finds it: the size of
/// its first 4- or 8-byte `long` integer; 8 when it has none.
pub fn ptr_size(btf: &Btf) -> u32 {
    btf.long_size().unwrap_or(8)
}

/// The length of `name` before its flavour suffix: `task_struct___v2` →
/// the length of `task_struct`. A flavour starts at the last `___` that has
/// a non-underscore on both sides.
pub fn essential_len(name: &[u8]) -> usize {
    let n = name.len();
    if n >= 5 {
        for i in (0..=n - 5).rev() {
            let s = &name[i..];
            if s[0] != b'_' && &s[1..4] == b"___" && s[4] != b'_' {
                return i + 1;
            }
        }
    }
    n
}

pub fn essential(name: &[u8]) -> &[u8] {
    &name[..essential_len(name)]
}

/// A name by offset; an invalid offset reads as empty.
pub fn name<'a>(btf: &'a Btf, off: u32) -> &'a [u8] {
    btf.str_at(off).unwrap_or(b"")
}

/// Same kind, or both some enum (ENUM and ENUM64 stand for each other).
pub fn kind_core_compat(a: &Ty, b: &Ty) -> bool {
    a.kind_raw() == b.kind_raw() || (a.is_any_enum() && b.is_any_enum())
}

/// INT's bit offset (deprecated bitfield-like integers have a non-zero one).
pub fn int_offset(t: &Ty) -> u8 {
    t.view().map_or(0, |v| v.int_info().bit_offset)
}

pub fn int_encoding(t: &Ty) -> u8 {
    t.view().map_or(0, |v| v.int_info().encoding)
}

pub fn int_signed(t: &Ty) -> bool {
    int_encoding(t) & INT_SIGNED != 0
}

/// Member `idx` of a struct or union: (name_off, type, bit offset, bitfield size).
pub fn member(t: &TypeView, idx: u32) -> Option<(u32, TypeId, u32, u32)> {
    let kflag = t.kflag();
    t.members().nth(idx as usize).map(|m| {
        (
            m.name_off,
            m.type_id,
            m.bit_offset(kflag),
            m.bitfield_size(kflag),
        )
    })
}

/// Enumerator `idx` of an ENUM or ENUM64: (name_off, value as libbpf reads
/// it: an ENUM's 32-bit value sign-extended whatever its signedness).
pub fn enumerator(t: &TypeView, idx: u32) -> Option<(u32, u64)> {
    match t.kind() {
        Some(Kind::Enum) => t
            .enum_values()
            .nth(idx as usize)
            .map(|e| (e.name_off, e.value as u32 as i32 as i64 as u64)),
        Some(Kind::Enum64) => t
            .enum64_values()
            .nth(idx as usize)
            .map(|e| (e.name_off, e.value)),
        _ => None,
    }
}
