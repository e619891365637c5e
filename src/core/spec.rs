//! An access specification: a relocation's access string (`0:1:2:3`) read
//! against a BTF. The raw spec keeps every index; the high-level spec keeps
//! only what has meaning across kernels: named fields and array indexes
//! (anonymous members are the path between them). For enum relocations the
//! single accessor is the enumerator.

use super::btf_util::{
    enumerator, essential, member, name, resolve_size, skip_mods, ty, Ty, E2BIG, EINVAL,
};
use crate::btf::ext::{CoreRelo, CoreReloKind};
use crate::btf::kind::Kind;
use crate::btf::{Btf, TypeId};

/// libbpf's BPF_CORE_SPEC_MAX_LEN.
pub const MAX_SPEC_LEN: usize = 64;

/// A field or array element (or enumerator) on the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accessor<'a> {
    /// The struct/union (modifiers skipped), the array's element type, or
    /// the enum.
    pub type_id: TypeId,
    /// Member, element or enumerator index.
    pub idx: u32,
    /// The member's or enumerator's name; `None` for an array element.
    pub name: Option<&'a [u8]>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec<'a> {
    pub root_type_id: TypeId,
    pub kind: CoreReloKind,
    pub acc: Vec<Accessor<'a>>,
    pub raw: Vec<u32>,
    pub bit_offset: u32,
}

impl<'a> Spec<'a> {
    pub fn empty(root_type_id: TypeId, kind: CoreReloKind) -> Self {
        Spec {
            root_type_id,
            kind,
            acc: Vec::new(),
            raw: Vec::new(),
            bit_offset: 0,
        }
    }
}

/// Reads the access string: colon-separated non-negative decimal numbers
/// (sscanf's `%d`: leading blanks and a sign allowed).
fn parse_access(s: &[u8]) -> Result<Vec<u32>, i32> {
    if s.is_empty() || s[0] == b':' {
        return Err(EINVAL);
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if s[i] == b':' {
            i += 1;
        }
        while i < s.len() && s[i].is_ascii_whitespace() {
            i += 1;
        }
        let neg = i < s.len() && s[i] == b'-';
        if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
            i += 1;
        }
        let start = i;
        let mut v: u64 = 0;
        while i < s.len() && s[i].is_ascii_digit() {
            v = (v * 10 + (s[i] - b'0') as u64).min(1 << 40);
            i += 1;
        }
        if i == start || (neg && v != 0) || v > i32::MAX as u64 {
            return Err(EINVAL);
        }
        if out.len() == MAX_SPEC_LEN {
            return Err(E2BIG);
        }
        out.push(v as u32);
    }
    if out.is_empty() {
        return Err(EINVAL);
    }
    Ok(out)
}

/// A flexible array: a zero-length array that is the last member of the
/// struct named by the accessor before it.
pub fn is_flex_array(btf: &Btf, prev: Option<&Accessor>, nelems: u32) -> bool {
    let Some(prev) = prev.filter(|a| a.name.is_some()) else {
        return false;
    };
    if nelems > 0 {
        return false;
    }
    ty(btf, prev.type_id).is_some_and(|t| prev.idx.wrapping_add(1) == t.vlen())
}

/// Parses `relo`'s access string against `btf` (the program's), as libbpf's
/// bpf_core_parse_spec. Errors are errnos.
pub fn parse_spec<'a>(btf: &'a Btf, ptr: u32, relo: &CoreRelo) -> Result<Spec<'a>, i32> {
    let kind = CoreReloKind::from_raw(relo.kind).ok_or(EINVAL)?;
    let access = name(btf, relo.access_str_off);
    if access.is_empty() || access[0] == b':' {
        return Err(EINVAL);
    }
    let mut spec = Spec::empty(relo.type_id, kind);
    if kind.is_type() {
        return if access == b"0" {
            Ok(spec)
        } else {
            Err(EINVAL)
        };
    }
    spec.raw = parse_access(access)?;
    let (mut id, t) = skip_mods(btf, relo.type_id).ok_or(EINVAL)?;
    let first = spec.raw[0];
    if kind.is_enumval() {
        let Ty::Type(v) = t else { return Err(EINVAL) };
        if !t.is_any_enum() || spec.raw.len() > 1 || first >= v.vlen() {
            return Err(EINVAL);
        }
        let (name_off, _) = enumerator(&v, first).ok_or(EINVAL)?;
        spec.acc.push(Accessor {
            type_id: id,
            idx: first,
            name: Some(name(btf, name_off)),
        });
        return Ok(spec);
    }
    spec.acc.push(Accessor {
        type_id: id,
        idx: first,
        name: None,
    });
    let sz = resolve_size(btf, ptr, id)?;
    spec.bit_offset = (first as u64).wrapping_mul(sz).wrapping_mul(8) as u32;
    for i in 1..spec.raw.len() {
        let (sid, t) = skip_mods(btf, id).ok_or(EINVAL)?;
        id = sid;
        let idx = spec.raw[i];
        match t.view() {
            Some(v) if t.is_composite() => {
                let (name_off, mtype, bit_off, _) = member(v, idx).ok_or(EINVAL)?;
                spec.bit_offset = spec.bit_offset.wrapping_add(bit_off);
                if name_off != 0 {
                    let n = name(btf, name_off);
                    if n.is_empty() {
                        return Err(EINVAL);
                    }
                    spec.acc.push(Accessor {
                        type_id: id,
                        idx,
                        name: Some(n),
                    });
                }
                id = mtype;
            }
            Some(v) if v.kind() == Some(Kind::Array) => {
                let a = v.array();
                let (eid, _) = skip_mods(btf, a.elem_type).ok_or(EINVAL)?;
                id = eid;
                let flex = is_flex_array(btf, spec.acc.last(), a.nelems);
                if !flex && idx >= a.nelems {
                    return Err(EINVAL);
                }
                spec.acc.push(Accessor {
                    type_id: id,
                    idx,
                    name: None,
                });
                let sz = resolve_size(btf, ptr, id)?;
                spec.bit_offset = spec
                    .bit_offset
                    .wrapping_add((idx as u64).wrapping_mul(sz).wrapping_mul(8) as u32);
            }
            _ => return Err(EINVAL),
        }
    }
    Ok(spec)
}

/// Kind keyword and name of a type for text: `struct task_struct`,
/// `typedef u32`, `enum <anon>`.
pub fn type_words(btf: &Btf, id: TypeId) -> String {
    let Some(Ty::Type(t)) = ty(btf, id) else {
        return if id == 0 {
            "void".into()
        } else {
            format!("[{id}]")
        };
    };
    let kw = match t.kind() {
        Some(Kind::Struct) => "struct",
        Some(Kind::Union) => "union",
        Some(Kind::Enum | Kind::Enum64) => "enum",
        Some(Kind::Typedef) => "typedef",
        Some(Kind::Fwd) => {
            if t.kflag() {
                "union"
            } else {
                "struct"
            }
        }
        Some(Kind::Int | Kind::Float) => "",
        Some(k) => k.name(),
        None => "?",
    };
    let n = String::from_utf8_lossy(name(btf, t.name_off())).into_owned();
    let n = if n.is_empty() { "<anon>".into() } else { n };
    if kw.is_empty() {
        n
    } else {
        format!("{kw} {n}")
    }
}

/// The spec in words, the way C would write the access: `struct
/// task_struct.mm`, `struct sk_buff.cb[2]`, `[1].x` for an index through
/// the pointer, `enum bpf_func_id::BPF_FUNC_map_lookup_elem` for an
/// enumerator, the bare type for type relocations.
pub fn spec_words(btf: &Btf, spec: &Spec) -> String {
    let mut out = type_words(btf, spec.root_type_id);
    if spec.kind.is_enumval() {
        if let Some(a) = spec.acc.first() {
            out.push_str("::");
            out.push_str(&String::from_utf8_lossy(a.name.unwrap_or(b"")));
        }
        return out;
    }
    for (i, a) in spec.acc.iter().enumerate() {
        match a.name {
            Some(n) => {
                out.push('.');
                out.push_str(&String::from_utf8_lossy(n));
            }
            None if i > 0 || a.idx > 0 => out.push_str(&format!("[{}]", a.idx)),
            None => {}
        }
    }
    out
}

/// The essential (flavour-free) name of a type.
pub fn essential_name<'a>(btf: &'a Btf, id: TypeId) -> &'a [u8] {
    essential(name(btf, ty(btf, id).map_or(0, |t| t.name_off())))
}
