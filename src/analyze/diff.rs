//! Types added, removed and changed between two BTFs (two kernels, or a
//! module before and after deduplicating it again), matched by kind and
//! name; a change lists the layout differences: size, members and their
//! offsets and types, enum values, signatures.
//!
//! Types are compared by what they look like in C, not by id, so ids that
//! moved do not count as changes. Members of anonymous structs and unions
//! are seen through, as `outer.inner`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::btf::{Btf, Kind, TypeId, TypeView};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TypeRef {
    pub kind: &'static str,
    pub name: String,
    /// The byte size for kinds that have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changed {
    #[serde(flatten)]
    pub old: TypeRef,
    /// What differs, one line each, e.g. `member 'x' at bit 64 → 128`.
    pub changes: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BtfDiff {
    pub added: Vec<TypeRef>,
    pub removed: Vec<TypeRef>,
    pub changed: Vec<Changed>,
    pub unchanged: u64,
}

/// How deep type names are spelled out (pointer chains, arrays).
const MAX_TEXT_DEPTH: u32 = 8;
/// How deep anonymous members are seen through.
const MAX_ANON_DEPTH: u32 = 8;

/// The kind word a type is matched and shown by; ENUM and ENUM64 are one.
fn kind_key(k: Kind) -> &'static str {
    match k {
        Kind::Struct => "struct",
        Kind::Union => "union",
        Kind::Enum | Kind::Enum64 => "enum",
        Kind::Typedef => "typedef",
        Kind::Func => "func",
        Kind::Var => "var",
        Kind::Int => "int",
        Kind::Float => "float",
        Kind::Fwd => "fwd",
        Kind::Datasec => "datasec",
        other => other.name(),
    }
}

/// The C spelling of type `id`, e.g. `struct list_head *`, `char[16]`.
pub fn type_text(btf: &Btf, id: TypeId) -> String {
    text(btf, id, MAX_TEXT_DEPTH)
}

fn text(btf: &Btf, id: TypeId, depth: u32) -> String {
    if id == 0 {
        return "void".into();
    }
    let Some(t) = btf.type_by_id(id) else {
        return format!("[{id}?]");
    };
    if depth == 0 {
        return "...".into();
    }
    let name = btf.name(t.name_off());
    let named = |word: &str| {
        if name.is_empty() {
            format!("{word} (anon)")
        } else {
            format!("{word} {name}")
        }
    };
    let inner = |d: u32| text(btf, t.size_or_type(), d - 1);
    match t.kind() {
        Some(Kind::Struct) => named("struct"),
        Some(Kind::Union) => named("union"),
        Some(Kind::Enum | Kind::Enum64) => named("enum"),
        Some(Kind::Fwd) => named(if t.kflag() { "union" } else { "struct" }),
        Some(Kind::Int | Kind::Float | Kind::Typedef) => name.into_owned(),
        Some(Kind::Ptr) => match btf.type_by_id(t.size_or_type()) {
            Some(p) if p.kind() == Some(Kind::FuncProto) => proto_text(btf, p, "(*)", depth - 1),
            _ => format!("{} *", inner(depth)),
        },
        Some(Kind::Const) => format!("const {}", inner(depth)),
        Some(Kind::Volatile) => format!("volatile {}", inner(depth)),
        Some(Kind::Restrict) => format!("{} restrict", inner(depth)),
        Some(Kind::TypeTag) => format!("{} __tag({name})", inner(depth)),
        Some(Kind::Array) => {
            let a = t.array();
            format!("{}[{}]", text(btf, a.elem_type, depth - 1), a.nelems)
        }
        Some(Kind::FuncProto) => proto_text(btf, t, "", depth),
        Some(Kind::Func) => format!("{name}: {}", inner(depth)),
        Some(Kind::Var) => format!("{name}: {}", inner(depth)),
        _ => format!("{} '{name}'", crate::btf::read::kind_label(t.kind_raw())),
    }
}

/// `ret (params)`, with `what` (e.g. `(*)`) between for a function pointer.
fn proto_text(btf: &Btf, t: TypeView, what: &str, depth: u32) -> String {
    if depth == 0 {
        return "...".into();
    }
    let params: Vec<String> = t
        .params()
        .map(|p| {
            if p.type_id == 0 {
                "...".into()
            } else {
                text(btf, p.type_id, depth - 1)
            }
        })
        .collect();
    let sep = if what.is_empty() { "" } else { " " };
    format!(
        "{}{sep}{what}({})",
        text(btf, t.size_or_type(), depth - 1),
        params.join(", ")
    )
}

/// One member as C sees it, anonymous members flattened.
#[derive(PartialEq, Eq)]
struct FlatMember {
    name: String,
    bit_offset: u64,
    bitfield: u32,
    type_text: String,
}

fn flat_members(
    btf: &Btf,
    t: TypeView,
    prefix: &str,
    base_bits: u64,
    depth: u32,
) -> Vec<FlatMember> {
    let kflag = t.kflag();
    let mut out = Vec::new();
    for m in t.members() {
        let name = btf.name(m.name_off);
        let at = base_bits + m.bit_offset(kflag) as u64;
        let target = btf.type_by_id(m.type_id);
        let anon_composite = name.is_empty()
            && target.is_some_and(|x| {
                x.name_off() == 0 && matches!(x.kind(), Some(Kind::Struct | Kind::Union))
            });
        if let (true, Some(inner), true) = (anon_composite, target, depth > 0) {
            out.extend(flat_members(btf, inner, prefix, at, depth - 1));
            continue;
        }
        let full = format!("{prefix}{name}");
        // An anonymous struct member's own members, reached by name.
        let sub = target
            .filter(|x| x.name_off() == 0 && matches!(x.kind(), Some(Kind::Struct | Kind::Union)));
        out.push(FlatMember {
            name: full.clone(),
            bit_offset: at,
            bitfield: m.bitfield_size(kflag),
            type_text: if sub.is_some() {
                "struct (anon)".into()
            } else {
                type_text(btf, m.type_id)
            },
        });
        if let (Some(inner), true) = (sub, depth > 0) {
            out.extend(flat_members(btf, inner, &format!("{full}."), at, depth - 1));
        }
    }
    out
}

fn enum_values(btf: &Btf, t: TypeView) -> Vec<(String, i128)> {
    let signed = t.kflag();
    let values: Vec<_> = if t.kind() == Some(Kind::Enum) {
        t.enum_values().collect()
    } else {
        t.enum64_values().collect()
    };
    values
        .into_iter()
        .map(|v| {
            let n = if signed {
                v.value as i64 as i128
            } else {
                v.value as i128
            };
            (btf.name(v.name_off).into_owned(), n)
        })
        .collect()
}

fn size_of(t: TypeView) -> Option<u32> {
    t.kind()
        .filter(|k| k.has_size() && *k != Kind::Datasec)
        .map(|_| t.size_or_type())
}

/// What changed from `a`'s type to `b`'s (same kind and name).
fn changes(ba: &Btf, a: TypeView, bb: &Btf, b: TypeView) -> Vec<String> {
    let mut out = Vec::new();
    if size_of(a) != size_of(b) {
        out.push(format!(
            "size {} → {}",
            size_of(a).unwrap_or(0),
            size_of(b).unwrap_or(0)
        ));
    }
    match a.kind() {
        Some(Kind::Struct | Kind::Union) if b.kind() == a.kind() => {
            let ma = flat_members(ba, a, "", 0, MAX_ANON_DEPTH);
            let mb = flat_members(bb, b, "", 0, MAX_ANON_DEPTH);
            let index = |ms: &[FlatMember]| -> BTreeMap<String, usize> {
                ms.iter()
                    .enumerate()
                    .map(|(i, m)| (m.name.clone(), i))
                    .collect()
            };
            let (ia, ib) = (index(&ma), index(&mb));
            let place = |m: &FlatMember| {
                if m.bitfield != 0 {
                    format!("bit {}:{}", m.bit_offset, m.bitfield)
                } else {
                    format!("bit {}", m.bit_offset)
                }
            };
            for m in &ma {
                match ib.get(&m.name) {
                    None => out.push(format!(
                        "member '{}' removed ({}, {})",
                        m.name,
                        m.type_text,
                        place(m)
                    )),
                    Some(&j) => {
                        let n = &mb[j];
                        if (m.bit_offset, m.bitfield) != (n.bit_offset, n.bitfield) {
                            out.push(format!("member '{}' {} → {}", m.name, place(m), place(n)));
                        }
                        if m.type_text != n.type_text {
                            out.push(format!(
                                "member '{}' type {} → {}",
                                m.name, m.type_text, n.type_text
                            ));
                        }
                    }
                }
            }
            for n in mb.iter().filter(|n| !ia.contains_key(&n.name)) {
                out.push(format!(
                    "member '{}' added ({}, {})",
                    n.name,
                    n.type_text,
                    place(n)
                ));
            }
        }
        Some(Kind::Enum | Kind::Enum64) => {
            if a.kflag() != b.kflag() {
                let sign = |s: bool| if s { "signed" } else { "unsigned" };
                out.push(format!("{} → {}", sign(a.kflag()), sign(b.kflag())));
            }
            let va = enum_values(ba, a);
            let vb = enum_values(bb, b);
            let find = |vs: &[(String, i128)], n: &str| vs.iter().find(|v| v.0 == n).map(|v| v.1);
            for (n, v) in &va {
                match find(&vb, n) {
                    None => out.push(format!("value {n} = {v} removed")),
                    Some(w) if w != *v => out.push(format!("value {n} = {v} → {w}")),
                    Some(_) => {}
                }
            }
            for (n, v) in vb.iter().filter(|(n, _)| find(&va, n).is_none()) {
                out.push(format!("value {n} = {v} added"));
            }
        }
        Some(Kind::Int) if a.int_info() != b.int_info() => {
            out.push(format!("encoding {:?} → {:?}", a.int_info(), b.int_info()));
        }
        Some(Kind::Typedef | Kind::Func | Kind::Var) => {
            let (ta, tb) = (
                type_text(ba, a.size_or_type()),
                type_text(bb, b.size_or_type()),
            );
            if ta != tb {
                out.push(format!("{ta} → {tb}"));
            }
        }
        _ => {}
    }
    out
}

/// Named types of `btf` itself by (kind word, name); a name held by
/// several types of one kind is told apart by occurrence (`name#2` …).
fn named_types<'b>(btf: &'b Btf) -> BTreeMap<(&'static str, String), TypeView<'b>> {
    let mut out = BTreeMap::new();
    for t in btf.local_types() {
        let Some(k) = t.kind() else { continue };
        if t.name_off() == 0 || matches!(k, Kind::DeclTag | Kind::TypeTag) {
            continue;
        }
        let key = kind_key(k);
        let name = btf.name(t.name_off()).into_owned();
        let mut n = 1;
        let mut unique = name.clone();
        while out.contains_key(&(key, unique.clone())) {
            n += 1;
            unique = format!("{name}#{n}");
        }
        out.insert((key, unique), t);
    }
    out
}

fn type_ref(key: &'static str, name: &str, t: TypeView) -> TypeRef {
    TypeRef {
        kind: key,
        name: name.to_string(),
        size: size_of(t),
    }
}

/// The named types of `a` against those of `b` (each BTF's own types: a
/// module's, not its base's), in kind then name order.
pub fn diff(a: &Btf, b: &Btf) -> BtfDiff {
    let ta = named_types(a);
    let tb = named_types(b);
    let mut d = BtfDiff::default();
    for ((key, name), x) in &ta {
        match tb.get(&(*key, name.clone())) {
            None => d.removed.push(type_ref(key, name, *x)),
            Some(y) => {
                let c = changes(a, *x, b, *y);
                if c.is_empty() {
                    d.unchanged += 1;
                } else {
                    d.changed.push(Changed {
                        old: type_ref(key, name, *x),
                        changes: c,
                    });
                }
            }
        }
    }
    for ((key, name), y) in &tb {
        if !ta.contains_key(&(*key, name.clone())) {
            d.added.push(type_ref(key, name, *y));
        }
    }
    d
}

impl BtfDiff {
    pub fn to_text(&self) -> String {
        let show = |r: &TypeRef| match r.size {
            Some(s) => format!("{} {} ({s} bytes)", r.kind, r.name),
            None => format!("{} {}", r.kind, r.name),
        };
        let mut s = String::new();
        for r in &self.removed {
            s += &format!("- {}\n", show(r));
        }
        for r in &self.added {
            s += &format!("+ {}\n", show(r));
        }
        for c in &self.changed {
            s += &format!("~ {}\n", show(&c.old));
            for line in &c.changes {
                s += &format!("    {line}\n");
            }
        }
        s += &format!(
            "{} removed, {} added, {} changed, {} unchanged\n",
            self.removed.len(),
            self.added.len(),
            self.changed.len(),
            self.unchanged
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btf::BtfBuilder;

    #[test]
    fn layout_changes_are_named() {
        let build = |wide: bool| {
            let mut b = BtfBuilder::new();
            let int = b.add_int("int", 4, 1);
            let long = b.add_int("long", 8, 1);
            b.add_struct("s", if wide { 16 } else { 8 });
            b.add_field("a", int, 0, 0).unwrap();
            b.add_field(
                "b",
                if wide { long } else { int },
                if wide { 64 } else { 32 },
                0,
            )
            .unwrap();
            if wide {
                b.add_field("c", int, 32, 0).unwrap();
            }
            b.add_enum("e", 4);
            b.add_enum_value("X", 1).unwrap();
            b.add_enum_value(if wide { "Z" } else { "Y" }, 2).unwrap();
            if wide {
                b.add_typedef("t", int);
            } else {
                b.add_struct("gone", 0);
            }
            b.finish()
        };
        let (old, new) = (build(false), build(true));
        let d = diff(&old, &new);
        let names = |rs: &[TypeRef]| rs.iter().map(|r| r.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&d.removed), ["gone"]);
        assert_eq!(names(&d.added), ["t"]);
        let s = d.changed.iter().find(|c| c.old.name == "s").unwrap();
        assert_eq!(
            s.changes,
            [
                "size 8 → 16",
                "member 'b' bit 32 → bit 64",
                "member 'b' type int → long",
                "member 'c' added (int, bit 32)"
            ]
        );
        let e = d.changed.iter().find(|c| c.old.name == "e").unwrap();
        assert_eq!(e.changes, ["value Y = 2 removed", "value Z = 2 added"]);
        assert!(diff(&old, &old).changed.is_empty());
    }
}
