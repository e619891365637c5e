//! The text pahole 1.30 prints for `pahole -F btf`: one C-like definition
//! per struct or union with offset and size comments, holes, padding,
//! cache-line boundaries and a summary. Column widths, truncated names and
//! the odd spelling (`const char  *`) follow pahole byte for byte.

use std::io::Write;

use super::model::{Model, Tag, CACHELINE};
use crate::btf::TypeId;

const MAX_TABS: i32 = 16;
/// pahole's name buffers: most names are cut at 127 bytes, pointer
/// targets at 1023.
const NAME_BUF: usize = 128;
const PTR_BUF: usize = 1024;
const PACKED_ATTR: &[u8] = b" __attribute__((__packed__))";

/// Layout of the printing: pahole's `conf_fprintf` fields that matter here.
#[derive(Clone, Copy)]
struct Conf<'s> {
    indent: i32,
    type_spacing: i32,
    name_spacing: i32,
    prefix: Option<&'s [u8]>,
    suffix: Option<&'s [u8]>,
    emit_stats: bool,
    rel_offset: bool,
    base_offset: u32,
    union_member: bool,
    first_member: bool,
    last_member: bool,
}

impl Conf<'_> {
    fn top(union: bool) -> Conf<'static> {
        Conf {
            indent: 0,
            type_spacing: 26,
            name_spacing: if union { 21 } else { 23 },
            prefix: None,
            suffix: None,
            emit_stats: true,
            rel_offset: false,
            base_offset: 0,
            union_member: false,
            first_member: false,
            last_member: false,
        }
    }
}

#[derive(Default)]
struct MemberTypeHoles {
    nr_paddings: u16,
    nr_with_bit_paddings: u16,
    nr_with_holes: u16,
    nr_with_bit_holes: u16,
    total_nr_holes: u16,
    total_nr_bit_holes: u16,
    nr_flexible: u16,
    nr_embedded_flexible: u16,
    sum_paddings: u32,
    sum_bit_paddings: u32,
}

fn tabs(out: &mut Vec<u8>, n: i32) {
    let n = if n < 0 { MAX_TABS } else { n.min(MAX_TABS) };
    out.extend(std::iter::repeat_n(b'\t', n as usize));
}

/// `%-*s`: left-justified in a field of |width| (a negative width also
/// left-justifies).
fn ljust(out: &mut Vec<u8>, s: &[u8], width: i32) {
    out.extend_from_slice(s);
    let w = width.unsigned_abs() as usize;
    if s.len() < w {
        out.extend(std::iter::repeat_n(b' ', w - s.len()));
    }
}

/// `%*s` of a single space: |width| spaces, at least one.
fn spaces(out: &mut Vec<u8>, width: i32) {
    let w = (width.unsigned_abs() as usize).max(1);
    out.extend(std::iter::repeat_n(b' ', w));
}

/// What `snprintf` into a buffer of `len` bytes keeps.
fn cut(mut s: Vec<u8>, len: usize) -> Vec<u8> {
    s.truncate(len - 1);
    s
}

fn plural(n: u32) -> &'static str {
    if n != 1 {
        "s"
    } else {
        ""
    }
}

const NULL_STR: &[u8] = b"(null)";

/// The pahole printer over one model.
pub(crate) struct Printer<'m, 'a> {
    pub(crate) m: &'m mut Model<'a>,
}

/// A type as C spells it in a declaration without a name: what pahole
/// prints before a member's name, with `(*)` for function pointers.
pub(crate) fn spell(m: &Model, id: TypeId) -> Vec<u8> {
    let names = Names(m);
    let mut target = id;
    if let Tag::Ptr(t) = m.tag(id) {
        target = t;
        while let Tag::Annotation(n) = m.tag(target) {
            if n == target {
                break;
            }
            target = n;
        }
    }
    let mut out = Vec::new();
    match m.tag(target) {
        Tag::Proto => names.ftype(&mut out, target, None, false, target != id, 0, true),
        _ => out = names.tag_name(names.ty(id), usize::MAX),
    }
    out
}

/// Spelling of type names, which only reads the model.
#[derive(Clone, Copy)]
pub(crate) struct Names<'m, 'a>(pub(crate) &'m Model<'a>);

impl Names<'_, '_> {
    /// The type an id stands for, or `None` where pahole has none.
    fn ty(&self, id: TypeId) -> Option<TypeId> {
        (self.0.tag(id) != Tag::None).then_some(id)
    }

    fn not_found(id: TypeId) -> Vec<u8> {
        format!("<ERROR: type {id:#x} not found!>").into_bytes()
    }

    /// pahole's `tag__name`: how a type is spelled in a declaration.
    pub(crate) fn tag_name(&self, id: Option<TypeId>, len: usize) -> Vec<u8> {
        let Some(id) = id else {
            return b"void".to_vec();
        };
        let m = self.0;
        let name = match m.tag(id) {
            Tag::None => b"void".to_vec(),
            Tag::Base { is_bool, float, .. } => match m.type_name(id) {
                None => b"nameless base type!".to_vec(),
                Some(n) => {
                    let mut s = Vec::with_capacity(n.len() + 7);
                    if float {
                        s.extend_from_slice(b"single ");
                    } else if is_bool {
                        s.extend_from_slice(b"bool ");
                    }
                    s.extend_from_slice(n);
                    s
                }
            },
            Tag::Ptr(t) => return self.ptr_name(t, len),
            Tag::Const(t) | Tag::Volatile(t) | Tag::Restrict(t) => {
                let target = self.ty(t);
                if target.is_none() && t != 0 {
                    Self::not_found(t)
                } else {
                    let inner = self.tag_name(target, NAME_BUF);
                    let mut s = Vec::with_capacity(inner.len() + 10);
                    match m.tag(id) {
                        Tag::Const(_) => s.extend_from_slice(b"const "),
                        Tag::Volatile(_) => s.extend_from_slice(b"volatile "),
                        _ => {}
                    }
                    s.extend_from_slice(&inner);
                    if let Tag::Restrict(_) = m.tag(id) {
                        s.extend_from_slice(b" restrict");
                    }
                    s.push(b' ');
                    s
                }
            }
            Tag::Array { elem, .. } => match self.ty(elem) {
                None => Self::not_found(elem),
                Some(e) => return self.tag_name(Some(e), len),
            },
            Tag::Annotation(t) => {
                let target = self.ty(t);
                if target.is_none() && t != 0 {
                    Self::not_found(t)
                } else {
                    return self.tag_name(target, len);
                }
            }
            Tag::Proto => {
                let mut s = Vec::new();
                self.ftype(&mut s, id, None, false, false, 0, true);
                s
            }
            Tag::Class(c) => {
                let mut s = if m.classes[c as usize].is_union {
                    b"union ".to_vec()
                } else {
                    b"struct ".to_vec()
                };
                s.extend_from_slice(m.type_name(id).unwrap_or(b""));
                s
            }
            Tag::Enum { .. } => {
                let mut s = b"enum ".to_vec();
                s.extend_from_slice(m.type_name(id).unwrap_or(b""));
                s
            }
            Tag::Typedef(_) => m.type_name(id).unwrap_or(b"").to_vec(),
        };
        cut(name, len)
    }

    /// A pointer's spelling: the target, then `*` (and `const` for a
    /// const pointer to a pointer).
    fn ptr_name(&self, target: TypeId, len: usize) -> Vec<u8> {
        if target == 0 {
            return cut(b"void *".to_vec(), len);
        }
        let Some(mut t) = self.ty(target) else {
            let mut s = Self::not_found(target);
            s.extend_from_slice(b" *");
            return cut(s, len);
        };
        let mut const_pointer: &[u8] = b"";
        if let Tag::Const(next) = self.0.tag(t) {
            if let Some(n) = self
                .ty(next)
                .filter(|&n| matches!(self.0.tag(n), Tag::Ptr(_)))
            {
                const_pointer = b"const ";
                t = n;
            }
        }
        let mut s = self.tag_name(Some(t), PTR_BUF);
        s.push(b' ');
        s.extend_from_slice(const_pointer);
        s.push(b'*');
        cut(s, len)
    }

    /// A function prototype: `ret (name)(params)`, `ret (*name)(params)`.
    #[allow(clippy::too_many_arguments)]
    fn ftype(
        &self,
        out: &mut Vec<u8>,
        proto: TypeId,
        name: Option<&[u8]>,
        inlined: bool,
        is_pointer: bool,
        type_spacing: i32,
        is_prototype: bool,
    ) {
        let Some(t) = self.0.btf.type_by_id(proto) else {
            return;
        };
        let ret = self.tag_name(self.ty(t.size_or_type()), NAME_BUF);
        if inlined {
            out.extend_from_slice(b"inline ");
        }
        ljust(out, &ret, type_spacing);
        out.push(b' ');
        if is_prototype {
            out.push(b'(');
        }
        if is_pointer {
            out.push(b'*');
        }
        out.extend_from_slice(name.unwrap_or(b""));
        if is_prototype {
            out.push(b')');
        }
        out.push(b'(');
        let mut first = true;
        let mut unspecified = false;
        for p in t.params() {
            if p.type_id == 0 {
                unspecified = true;
                continue;
            }
            if !first {
                out.extend_from_slice(b", ");
            }
            first = false;
            let pname = self.0.str(p.name_off);
            let stype = match self.ty(p.type_id) {
                None => format!("<ERROR: type {} not found>", p.type_id).into_bytes(),
                Some(pt) => {
                    match self.0.tag(pt) {
                        Tag::Ptr(target) if target != 0 => match self.ty(target) {
                            None => {
                                out.extend_from_slice(&Self::not_found(target));
                                continue;
                            }
                            Some(target) if self.0.tag(target) == Tag::Proto => {
                                self.ftype(out, target, pname, false, true, 0, true);
                                continue;
                            }
                            _ => {}
                        },
                        Tag::Proto => {
                            self.ftype(out, pt, pname, true, false, 0, false);
                            continue;
                        }
                        _ => {}
                    }
                    self.tag_name(Some(pt), NAME_BUF)
                }
            };
            out.extend_from_slice(&stype);
            if let Some(n) = pname {
                out.push(b' ');
                out.extend_from_slice(n);
            }
        }
        if first {
            out.extend_from_slice(b"void)");
        } else if unspecified {
            out.extend_from_slice(b", ...)");
        } else {
            out.push(b')');
        }
    }
}

impl<'a> Printer<'_, 'a> {
    fn names(&self) -> Names<'_, 'a> {
        Names(self.m)
    }

    fn ty(&self, id: TypeId) -> Option<TypeId> {
        self.names().ty(id)
    }

    fn not_found(id: TypeId) -> Vec<u8> {
        Names::not_found(id)
    }

    fn tag_name(&self, id: Option<TypeId>, len: usize) -> Vec<u8> {
        self.names().tag_name(id, len)
    }

    fn is_named(&self, id: TypeId) -> bool {
        self.m.has_name(id)
    }

    /// A declaration of `name` with type `ty` (pahole's `type__fprintf`):
    /// named types by name, anonymous ones spelled out inline.
    fn type_decl(
        &mut self,
        out: &mut Vec<u8>,
        ty: Option<TypeId>,
        name: Option<&[u8]>,
        conf: &Conf,
        cl: &mut u32,
    ) {
        let Some(mut ty) = ty else {
            ljust(out, b"<ERROR", conf.type_spacing);
            out.extend_from_slice(b"> ");
            out.extend_from_slice(name.unwrap_or(NULL_STR));
            return;
        };
        let mut tconf = *conf;
        if matches!(self.m.tag(ty), Tag::Class(_) | Tag::Enum { .. }) {
            tconf.prefix = None;
            tconf.suffix = name;
            tconf.emit_stats = false;
        }
        loop {
            match self.m.tag(ty) {
                Tag::Ptr(target) => {
                    let mut p = target;
                    while p != 0 {
                        match self.m.tag(p) {
                            Tag::Annotation(n) if n != p => p = n,
                            _ => break,
                        }
                    }
                    if p != 0 {
                        let Some(pt) = self.ty(p) else {
                            ljust(out, b"<ERROR", tconf.type_spacing);
                            out.extend_from_slice(b"> ");
                            out.extend_from_slice(name.unwrap_or(NULL_STR));
                            return;
                        };
                        if self.m.tag(pt) == Tag::Proto {
                            self.names().ftype(
                                out,
                                pt,
                                name,
                                false,
                                true,
                                tconf.type_spacing,
                                true,
                            );
                            return;
                        }
                        if matches!(self.m.tag(pt), Tag::Class(_) | Tag::Enum { .. })
                            && !self.is_named(pt)
                        {
                            let mut s = b"* ".to_vec();
                            s.extend_from_slice(name.unwrap_or(NULL_STR));
                            s.truncate(257);
                            let mut inner = tconf;
                            inner.rel_offset = true;
                            inner.type_spacing -= 8;
                            return self.type_decl(out, Some(pt), Some(&s), &inner, cl);
                        }
                    }
                    return self.default_decl(out, ty, name, &tconf);
                }
                Tag::Proto => {
                    self.names()
                        .ftype(out, ty, name, false, false, tconf.type_spacing, true);
                    return;
                }
                Tag::Const(t) => {
                    out.extend_from_slice(b"const ");
                    tconf.type_spacing -= 6;
                    match self.ty(t) {
                        Some(t) => ty = t,
                        None => return self.default_decl(out, ty, name, &tconf),
                    }
                }
                Tag::Array { .. } => return self.array_decl(out, ty, name, &tconf, cl),
                Tag::Class(c) if !self.m.classes[c as usize].is_union => {
                    if let Some(sname) = self.m.type_name(ty) {
                        out.extend_from_slice(b"struct ");
                        ljust(out, sname, tconf.type_spacing - 7);
                        out.push(b' ');
                        out.extend_from_slice(name.unwrap_or(b""));
                    } else {
                        let c = c as usize;
                        self.m.find_holes(c);
                        tconf.type_spacing -= 8;
                        self.class_body(out, c, &tconf, cl);
                    }
                    return;
                }
                Tag::Class(_) => return self.union_decl(out, ty, name, &tconf, cl),
                Tag::Enum { .. } => {
                    if let Some(ename) = self.m.type_name(ty) {
                        out.extend_from_slice(b"enum ");
                        ljust(out, ename, tconf.type_spacing - 5);
                        out.push(b' ');
                        out.extend_from_slice(name.unwrap_or(b""));
                    } else {
                        self.enumeration(out, ty, &tconf);
                    }
                    return;
                }
                Tag::Annotation(t) => match self.ty(t) {
                    Some(t) => ty = t,
                    None => {
                        ljust(out, b"<ERROR", tconf.type_spacing);
                        out.extend_from_slice(b"> ");
                        out.extend_from_slice(name.unwrap_or(NULL_STR));
                        return;
                    }
                },
                _ => return self.default_decl(out, ty, name, &tconf),
            }
        }
    }

    fn default_decl(&self, out: &mut Vec<u8>, ty: TypeId, name: Option<&[u8]>, conf: &Conf) {
        let tn = self.tag_name(Some(ty), NAME_BUF);
        ljust(out, &tn, conf.type_spacing);
        out.push(b' ');
        out.extend_from_slice(name.unwrap_or(NULL_STR));
    }

    fn array_decl(
        &mut self,
        out: &mut Vec<u8>,
        array: TypeId,
        name: Option<&[u8]>,
        conf: &Conf,
        cl: &mut u32,
    ) {
        let Tag::Array { elem, nelems } = self.m.tag(array) else {
            return;
        };
        let Some(mut et) = self.ty(elem) else {
            out.extend_from_slice(&Self::not_found(elem));
            return;
        };
        let mut elem_ty = Some(et);
        if nelems == 0 {
            if let Tag::Const(t) = self.m.tag(et) {
                elem_ty = self.ty(t);
                et = t;
            }
        }
        let _ = et;
        self.type_decl(out, elem_ty, name, conf, cl);
        let single = conf.last_member && conf.first_member;
        if nelems != 0 || !conf.last_member || single || conf.union_member {
            let _ = write!(out, "[{nelems}]");
        } else {
            out.extend_from_slice(b"[]");
        }
    }

    fn union_decl(
        &mut self,
        out: &mut Vec<u8>,
        ty: TypeId,
        name: Option<&[u8]>,
        conf: &Conf,
        cl: &mut u32,
    ) {
        if let Some(uname) = self.m.type_name(ty) {
            out.extend_from_slice(b"union ");
            ljust(out, uname, conf.type_spacing - 6);
            out.push(b' ');
            out.extend_from_slice(name.unwrap_or(b""));
            return;
        }
        let mut tconf = *conf;
        tconf.type_spacing -= 8;
        tconf.suffix = name;
        let c = self.m.class_of(ty).unwrap();
        self.union_body(out, c, &tconf, Some(cl));
    }

    fn enumeration(&self, out: &mut Vec<u8>, ty: TypeId, conf: &Conf) {
        let Some(t) = self.m.btf.type_by_id(ty) else {
            return;
        };
        let Tag::Enum {
            bits,
            signed,
            enum64,
        } = self.m.tag(ty)
        else {
            return;
        };
        let name = self.m.type_name(ty);
        out.extend_from_slice(b"enum");
        if let Some(n) = name {
            out.push(b' ');
            out.extend_from_slice(n);
        }
        if t.vlen() == 0 {
            return;
        }
        out.extend_from_slice(b" {\n");
        let values: Vec<(u32, u64)> = if enum64 {
            t.enum64_values().map(|v| (v.name_off, v.value)).collect()
        } else {
            t.enum_values().map(|v| (v.name_off, v.value)).collect()
        };
        let width = values
            .iter()
            .map(|&(n, _)| self.m.str(n).unwrap_or(b"").len())
            .max()
            .unwrap_or(0)
            .min(u16::MAX as usize);
        let indent = conf.indent.min(MAX_TABS);
        for (n, v) in values {
            tabs(out, indent);
            out.push(b'\t');
            ljust(out, self.m.str(n).unwrap_or(b""), width as i32);
            out.extend_from_slice(b" = ");
            if signed {
                let _ = write!(out, "{}", v as i64);
            } else {
                let _ = write!(out, "{v}");
            }
            out.extend_from_slice(b",\n");
        }
        tabs(out, indent);
        out.push(b'}');
        if bits / 8 != 4 {
            out.extend_from_slice(PACKED_ATTR);
        }
        if let Some(s) = conf.suffix {
            out.push(b' ');
            out.extend_from_slice(s);
        }
    }

    fn cacheline_boundary(out: &mut Vec<u8>, conf: &Conf, offset: u32, cl: &mut u32) {
        let cacheline = offset / CACHELINE;
        if cacheline > *cl {
            let pos = offset % CACHELINE;
            let at = offset - pos;
            if pos == 0 {
                let _ = writeln!(
                    out,
                    "/* --- cacheline {cacheline} boundary ({at} bytes) --- */"
                );
            } else {
                let _ = writeln!(
                    out,
                    "/* --- cacheline {cacheline} boundary ({at} bytes) was {pos} byte{} ago --- */",
                    if pos > 1 { "s" } else { "" }
                );
            }
            tabs(out, conf.indent);
            *cl = cacheline;
        }
    }

    /// One member line (without the leading tabs and the newline).
    fn member(
        &mut self,
        out: &mut Vec<u8>,
        mi: usize,
        union_member: bool,
        ty: TypeId,
        conf: &Conf,
        cl: &mut u32,
    ) {
        let mem = self.m.members[mi].clone();
        let size = mem.byte_size as i32 as u32;
        let mut sconf = *conf;
        let mut offset = mem.byte_offset;
        if !sconf.rel_offset {
            offset = offset.wrapping_add(sconf.base_offset);
            if !union_member {
                sconf.base_offset = offset;
            }
        }
        if mem.bitfield_offset < 0 {
            offset = offset.wrapping_add(mem.byte_size as u32);
        }
        Self::cacheline_boundary(out, conf, offset, cl);
        let start = out.len();
        let name = self.m.str(mem.name_off);
        let aggregate = matches!(self.m.tag(ty), Tag::Class(_) | Tag::Enum { .. });
        if aggregate {
            self.type_decl(out, Some(ty), None, &sconf, cl);
            if let Some(n) = name {
                if !self.is_named(ty) {
                    out.push(b' ');
                }
                out.extend_from_slice(n);
            }
        } else {
            self.type_decl(out, Some(ty), name, &sconf, cl);
        }
        if mem.bitfield_size != 0 {
            let _ = write!(out, ":{}", mem.bitfield_size);
        }
        let mut aligned_len = 0;
        if mem.alignment != 0 {
            let before = out.len();
            let _ = write!(out, " __attribute__((__aligned__({})))", mem.alignment);
            aligned_len = (out.len() - before) as i32;
        }
        out.push(b';');
        let bitfield_offset = if mem.bitfield_offset < 0 {
            (mem.byte_size as u32)
                .wrapping_mul(8)
                .wrapping_add(mem.bitfield_offset as i32 as u32)
        } else {
            mem.bitfield_offset as u32
        };
        let width = if aggregate && !self.is_named(ty) {
            let mut slen = aligned_len + name.map_or(-1, |n| n.len() as i32);
            if self.m.is_struct(ty) && self.m.classes[self.m.class_of(ty).unwrap()].is_packed {
                slen += PACKED_ATTR.len() as i32;
            }
            sconf.type_spacing + sconf.name_spacing - slen - 3
        } else {
            let printed = (out.len() - start) as i32;
            (sconf.type_spacing + sconf.name_spacing - printed).max(0)
        };
        spaces(out, width);
        let _ = write!(out, "/* {offset:5}");
        if mem.bitfield_size != 0 {
            let _ = write!(out, ":{bitfield_offset:2} {size:2} */");
        } else {
            let _ = write!(out, " {size:5} */");
        }
    }

    /// A union's braces and members (pahole's `union__fprintf`).
    fn union_body(&mut self, out: &mut Vec<u8>, c: usize, conf: &Conf, cl: Option<&mut u32>) {
        let mut local = 0u32;
        let cl = cl.unwrap_or(&mut local);
        let indent = conf.indent.min(MAX_TABS);
        if let Some(p) = conf.prefix {
            out.extend_from_slice(p);
            out.push(b' ');
        }
        let id = self.m.classes[c].id;
        out.extend_from_slice(b"union");
        if let Some(n) = self.m.type_name(id) {
            out.push(b' ');
            out.extend_from_slice(n);
        }
        out.extend_from_slice(b" {\n");
        let mut uconf = *conf;
        uconf.indent = indent + 1;
        self.m.infer_union_packed(c);
        let initial = *cl;
        for mi in self.m.members_of(c) {
            let tid = self.m.members[mi].type_id;
            tabs(out, uconf.indent);
            let Some(ty) = self.ty(tid) else {
                out.extend_from_slice(&Self::not_found(tid));
                continue;
            };
            uconf.union_member = true;
            self.member(out, mi, true, ty, &uconf, cl);
            out.push(b'\n');
            *cl = initial;
        }
        tabs(out, indent);
        out.push(b'}');
        if let Some(s) = conf.suffix {
            out.push(b' ');
            out.extend_from_slice(s);
        }
    }

    fn newline_once(out: &mut Vec<u8>, newline: &mut u32) {
        if *newline == 0 {
            out.push(b'\n');
        }
        *newline += 1;
    }

    /// The note after a member whose struct type has holes or padding.
    fn member_type_holes(
        &mut self,
        out: &mut Vec<u8>,
        c: usize,
        holes: &mut MemberTypeHoles,
        newline: &mut u32,
        conf: &Conf,
    ) {
        self.m.find_holes(c);
        self.m.infer_packed(c);
        let class = &self.m.classes[c];
        let (padding, bit_padding, nr_holes, nr_bit_holes) = (
            class.padding,
            class.bit_padding,
            class.nr_holes,
            class.nr_bit_holes,
        );
        let flex = self.m.has_flexible_array(c);
        let embedded = self.m.has_embedded_flexible_array(c);
        if padding == 0
            && bit_padding == 0
            && nr_holes == 0
            && nr_bit_holes == 0
            && !flex
            && !embedded
        {
            return;
        }
        Self::newline_once(out, newline);
        out.push(b'\n');
        tabs(out, conf.indent);
        out.extend_from_slice(b"/* XXX last struct has");
        // What the struct has, each with the counters it adds to.
        let mut has: Vec<String> = Vec::new();
        if flex {
            has.push("a flexible array".into());
            holes.nr_flexible = holes.nr_flexible.wrapping_add(1);
        }
        if embedded {
            has.push("embedded flexible array(s)".into());
            holes.nr_embedded_flexible = holes.nr_embedded_flexible.wrapping_add(1);
        }
        if padding != 0 {
            has.push(format!(
                "{padding} byte{} of padding",
                plural(padding as u32)
            ));
            holes.nr_paddings = holes.nr_paddings.wrapping_add(1);
            holes.sum_paddings = holes.sum_paddings.wrapping_add(padding as u32);
        }
        if bit_padding != 0 {
            let n = bit_padding as u32;
            has.push(format!("{bit_padding} bit{} of padding", plural(n)));
            holes.nr_with_bit_paddings = holes.nr_with_bit_paddings.wrapping_add(1);
            holes.sum_bit_paddings = holes.sum_bit_paddings.wrapping_add(n);
        }
        if nr_holes != 0 {
            has.push(format!("{nr_holes} hole{}", plural(nr_holes as u32)));
            holes.nr_with_holes = holes.nr_with_holes.wrapping_add(1);
            holes.total_nr_holes = holes.total_nr_holes.wrapping_add(nr_holes as u16);
        }
        if nr_bit_holes != 0 {
            let n = nr_bit_holes as u16;
            has.push(format!(
                "{nr_bit_holes} bit hole{}",
                plural(nr_bit_holes as u32)
            ));
            holes.nr_with_bit_holes = holes.nr_with_bit_holes.wrapping_add(1);
            holes.total_nr_bit_holes = holes.total_nr_bit_holes.wrapping_add(n);
        }
        out.extend_from_slice(format!(" {}", has.join(", ")).as_bytes());
        out.extend_from_slice(b" */");
    }

    /// A struct's braces, members, notes and summary (pahole's
    /// `__class__fprintf`).
    fn class_body(&mut self, out: &mut Vec<u8>, c: usize, conf: &Conf, cl: &mut u32) {
        self.class_body_with(out, c, conf, Some(cl))
    }

    fn class_body_with(&mut self, out: &mut Vec<u8>, c: usize, conf: &Conf, cl: Option<&mut u32>) {
        let mut local = 0u32;
        let cl = cl.unwrap_or(&mut local);
        let mut cconf = *conf;
        let id = self.m.classes[c].id;
        if let Some(p) = cconf.prefix {
            out.extend_from_slice(p);
            out.push(b' ');
        }
        out.extend_from_slice(b"struct");
        if let Some(n) = self.m.type_name(id) {
            out.push(b' ');
            out.extend_from_slice(n);
        }
        out.extend_from_slice(b" {\n");
        let indent = cconf.indent.min(MAX_TABS);
        cconf.indent = indent + 1;
        self.m.infer_packed(c);

        let mut newline = 0u32;
        let (mut sum_bytes, mut sum_bits, mut sum_holes, mut sum_bit_holes) =
            (0u32, 0u32, 0u32, 0u32);
        let (mut nr_forced, mut nr_forced_holes, mut sum_forced_holes) = (0u16, 0u16, 0u32);
        let mut holes = MemberTypeHoles::default();
        let (pre_bit_hole, pre_hole) = (self.m.classes[c].pre_bit_hole, self.m.classes[c].pre_hole);
        if pre_bit_hole > 0 {
            Self::newline_once(out, &mut newline);
            tabs(out, cconf.indent);
            let _ = writeln!(
                out,
                "/* XXX {pre_bit_hole} bit{} hole, try to pack */",
                plural(pre_bit_hole as u32)
            );
            sum_bit_holes += pre_bit_hole as u32;
        }
        if pre_hole > 0 {
            Self::newline_once(out, &mut newline);
            tabs(out, cconf.indent);
            let _ = writeln!(
                out,
                "/* XXX {pre_hole} byte{} hole, try to pack */",
                plural(pre_hole as u32)
            );
            sum_holes += pre_hole as u32;
        }
        let range = self.m.members_of(c);
        let last_index = range.end.wrapping_sub(1);
        let mut last: Option<usize> = None;
        let mut last_size: u64 = 0;
        for mi in range {
            let pos = self.m.members[mi].clone();
            if pos.alignment != 0 {
                let forced_hole = match last {
                    Some(l) => self.m.members[l].hole as u32,
                    None => pre_hole as u32,
                };
                if forced_hole != 0 {
                    nr_forced_holes = nr_forced_holes.wrapping_add(1);
                    sum_forced_holes = sum_forced_holes.wrapping_add(forced_hole);
                }
                nr_forced = nr_forced.wrapping_add(1);
            }
            if let Some(l) = last.filter(|_| last_size != 0) {
                let lm = self.m.members[l].clone();
                if lm.bit_hole != 0 && pos.bitfield_size != 0 {
                    let mut bitfield_size = lm.bit_hole;
                    let Some(pt) = self.ty(pos.type_id) else {
                        tabs(out, cconf.indent);
                        out.extend_from_slice(&Self::not_found(pos.type_id));
                        last = Some(mi);
                        continue;
                    };
                    if lm.byte_offset != pos.byte_offset {
                        out.push(b'\n');
                        tabs(out, cconf.indent);
                        out.extend_from_slice(b"/* Force alignment to the next boundary: */\n");
                        bitfield_size = 0;
                    }
                    tabs(out, cconf.indent);
                    self.type_decl(out, Some(pt), Some(b""), &cconf, cl);
                    let _ = writeln!(out, ":{bitfield_size};");
                }
                if pos.byte_offset < lm.byte_offset
                    || (pos.byte_offset == lm.byte_offset
                        && lm.bitfield_size == 0
                        && pos.bitfield_size != 0)
                {
                    Self::newline_once(out, &mut newline);
                    tabs(out, cconf.indent);
                    out.extend_from_slice(b"/* Bitfield combined with previous fields */\n");
                } else {
                    let cc = pos.byte_offset as i64 - lm.byte_offset as i64;
                    if cc > 0 && (cc as u64) < last_size {
                        Self::newline_once(out, &mut newline);
                        tabs(out, cconf.indent);
                        out.extend_from_slice(b"/* Bitfield combined with next fields */\n");
                    }
                }
            }
            if newline != 0 {
                out.push(b'\n');
                newline = 0;
            }
            let Some(pt) = self.ty(pos.type_id) else {
                tabs(out, cconf.indent);
                out.extend_from_slice(&Self::not_found(pos.type_id));
                last = Some(mi);
                continue;
            };
            cconf.last_member = mi == last_index;
            cconf.first_member = last.is_none();
            let size = pos.byte_size;
            tabs(out, cconf.indent);
            self.member(out, mi, false, pt, &cconf, cl);
            if self.m.is_struct(pt) {
                let tc = self.m.class_of(pt).unwrap();
                self.member_type_holes(out, tc, &mut holes, &mut newline, &cconf);
            }
            let (bit_hole, hole) = (self.m.members[mi].bit_hole, self.m.members[mi].hole);
            if bit_hole != 0 {
                Self::newline_once(out, &mut newline);
                out.push(b'\n');
                tabs(out, cconf.indent);
                let _ = write!(
                    out,
                    "/* XXX {bit_hole} bit{} hole, try to pack */",
                    plural(bit_hole as u32)
                );
                sum_bit_holes = sum_bit_holes.wrapping_add(bit_hole as u32);
            }
            if hole > 0 {
                Self::newline_once(out, &mut newline);
                out.push(b'\n');
                tabs(out, cconf.indent);
                let _ = write!(
                    out,
                    "/* XXX {hole} byte{} hole, try to pack */",
                    plural(hole as u32)
                );
                sum_holes = sum_holes.wrapping_add(hole as u32);
            }
            out.push(b'\n');
            if pos.bitfield_size != 0 {
                sum_bits = sum_bits.wrapping_add(pos.bitfield_size as u32);
            } else {
                sum_bytes = sum_bytes.wrapping_add(size as u32);
            }
            match last {
                None => last_size = size,
                Some(_) if last_size == 0 => last_size = size,
                Some(l) => {
                    let lm = &self.m.members[l];
                    if lm.byte_offset != pos.byte_offset
                        || (lm.bitfield_size == 0 && pos.bitfield_size != 0)
                    {
                        last_size = size;
                    }
                }
            }
            last = Some(mi);
        }

        let class = self.m.classes[c].clone();
        if cconf.emit_stats {
            let ind = cconf.indent;
            let nr_members = (class.members.end - class.members.start) as u16;
            let tag_size = if class.size == 1 && nr_members == 0 {
                0
            } else {
                class.size as u64
            };
            out.push(b'\n');
            tabs(out, ind);
            let _ = writeln!(
                out,
                "/* size: {}, cachelines: {}, members: {nr_members} */",
                class.size as i32,
                tag_size.div_ceil(CACHELINE as u64)
            );
            if sum_holes > 0 || sum_bit_holes > 0 {
                if sum_bytes > 0 {
                    tabs(out, ind);
                    let _ = write!(out, "/* sum members: {sum_bytes}");
                    if sum_holes > 0 {
                        let _ = write!(out, ", holes: {}, sum holes: {sum_holes}", class.nr_holes);
                    }
                    out.extend_from_slice(b" */\n");
                }
                if sum_bits > 0 {
                    tabs(out, ind);
                    let _ = write!(out, "/* sum bitfield members: {sum_bits} bits");
                    if sum_bit_holes > 0 {
                        let _ = write!(
                            out,
                            ", bit holes: {}, sum bit holes: {sum_bit_holes} bits",
                            class.nr_bit_holes
                        );
                    } else {
                        let _ = write!(out, " ({} bytes)", sum_bits / 8);
                    }
                    out.extend_from_slice(b" */\n");
                }
            }
            if class.padding > 0 {
                tabs(out, ind);
                let _ = writeln!(out, "/* padding: {} */", class.padding);
            }
            if holes.nr_with_holes > 0
                || holes.nr_with_bit_holes > 0
                || holes.nr_with_bit_paddings > 0
            {
                tabs(out, ind);
                out.extend_from_slice(b"/* member types with ");
                let mut first = true;
                if holes.nr_with_holes > 0 {
                    let _ = write!(
                        out,
                        "holes: {}, total: {}",
                        holes.nr_with_holes, holes.total_nr_holes
                    );
                    first = false;
                }
                if holes.nr_with_bit_holes > 0 {
                    let _ = write!(
                        out,
                        "{}bit holes: {}, total: {}",
                        if first { "" } else { ", " },
                        holes.nr_with_bit_holes,
                        holes.total_nr_bit_holes
                    );
                    first = false;
                }
                if holes.nr_with_bit_paddings > 0 {
                    let _ = write!(
                        out,
                        "{}bit paddings: {}, total: {} bit{}",
                        if first { "" } else { ", " },
                        holes.nr_with_bit_paddings,
                        holes.sum_bit_paddings,
                        if holes.sum_bit_paddings > 1 { "s" } else { "" }
                    );
                }
                out.extend_from_slice(b" */\n");
            }
            if holes.nr_paddings > 0 {
                tabs(out, ind);
                let _ = writeln!(
                    out,
                    "/* paddings: {}, sum paddings: {} */",
                    holes.nr_paddings, holes.sum_paddings
                );
            }
            if class.bit_padding > 0 {
                tabs(out, ind);
                let _ = writeln!(out, "/* bit_padding: {} bits */", class.bit_padding);
            }
            if nr_forced != 0 {
                tabs(out, ind);
                let _ = write!(out, "/* forced alignments: {nr_forced}");
                if nr_forced_holes != 0 {
                    let _ = write!(
                        out,
                        ", forced holes: {nr_forced_holes}, sum forced holes: {sum_forced_holes}"
                    );
                }
                out.extend_from_slice(b" */\n");
            }
            if holes.nr_flexible > 0 || holes.nr_embedded_flexible > 0 {
                tabs(out, ind);
                out.extend_from_slice(b"/* flexible array members: ");
                if holes.nr_flexible > 0 {
                    let _ = write!(out, "end: {}", holes.nr_flexible);
                }
                if holes.nr_embedded_flexible > 0 {
                    let _ = write!(
                        out,
                        "{}middle: {}",
                        if holes.nr_flexible > 0 { ", " } else { "" },
                        holes.nr_embedded_flexible
                    );
                }
                out.extend_from_slice(b" */\n");
            }
            let last_cl = cconf.base_offset.wrapping_add(class.size) % CACHELINE;
            if last_cl != 0 {
                tabs(out, ind);
                let _ = writeln!(out, "/* last cacheline: {last_cl} bytes */");
            }
            let accounted = sum_bytes
                .wrapping_mul(8)
                .wrapping_add(sum_bits)
                .wrapping_add(sum_holes.wrapping_mul(8))
                .wrapping_add(sum_bit_holes)
                .wrapping_add((class.padding as u32).wrapping_mul(8))
                .wrapping_add(class.bit_padding as u32);
            let diff = class.size.wrapping_mul(8).wrapping_sub(accounted) as i32;
            if diff != 0 && nr_members != 0 {
                out.push(b'\n');
                tabs(out, ind);
                let _ = writeln!(
                    out,
                    "/* BRAIN FART ALERT! {} bytes != {sum_bytes} (member bytes) + {sum_bits} (member bits) \
                     + {sum_holes} (byte holes) + {sum_bit_holes} (bit holes), diff = {diff} bits */",
                    class.size as i32
                );
            }
        }
        tabs(out, indent);
        out.push(b'}');
        let class = &self.m.classes[c];
        if class.is_packed {
            out.extend_from_slice(PACKED_ATTR);
        }
        if let Some(s) = cconf.suffix {
            out.push(b' ');
            out.extend_from_slice(s);
        }
        if class.alignment != 0 && !class.is_packed {
            let _ = write!(out, " __attribute__((__aligned__({})))", class.alignment);
        }
    }

    /// `typedef T name` as pahole prints a typedef asked for with `-C`.
    fn typedef(&mut self, out: &mut Vec<u8>, id: TypeId, conf: &Conf) {
        let name = self.m.type_name(id).unwrap_or(NULL_STR);
        out.extend_from_slice(b"typedef ");
        let Tag::Typedef(target) = self.m.tag(id) else {
            return;
        };
        if target == 0 {
            out.extend_from_slice(b"void ");
            out.extend_from_slice(name);
            return;
        }
        let Some(t) = self.ty(target) else {
            out.extend_from_slice(&Self::not_found(target));
            out.push(b' ');
            out.extend_from_slice(name);
            return;
        };
        let mut cl = 0u32;
        let mut proto = None;
        match self.m.tag(t) {
            Tag::Array { .. } => return self.array_decl(out, t, Some(name), conf, &mut cl),
            Tag::Ptr(p) if p != 0 => match self.ty(p) {
                None => {
                    out.extend_from_slice(&Self::not_found(p));
                    out.extend_from_slice(b" *");
                    out.extend_from_slice(name);
                    return;
                }
                Some(p) if self.m.tag(p) == Tag::Proto => proto = Some((p, true)),
                _ => {}
            },
            Tag::Proto => proto = Some((t, false)),
            Tag::Class(c) => {
                let c = c as usize;
                if let Some(n) = self.m.type_name(t) {
                    out.extend_from_slice(if self.m.classes[c].is_union {
                        b"union "
                    } else {
                        b"struct "
                    });
                    if self.m.classes[c].is_union {
                        ljust(out, n, conf.type_spacing - 6);
                    } else {
                        out.extend_from_slice(n);
                    }
                    out.push(b' ');
                    out.extend_from_slice(name);
                    return;
                }
                let mut tconf = *conf;
                tconf.type_spacing -= 8;
                tconf.suffix = Some(name);
                if self.m.classes[c].is_union {
                    return self.union_body(out, c, &tconf, None);
                }
                self.m.find_holes(c);
                return self.class_body_with(out, c, &tconf, None);
            }
            Tag::Enum { .. } => {
                if let Some(n) = self.m.type_name(t) {
                    out.extend_from_slice(b"enum ");
                    out.extend_from_slice(n);
                    out.push(b' ');
                    out.extend_from_slice(name);
                    return;
                }
                let mut tconf = *conf;
                tconf.suffix = Some(name);
                return self.enumeration(out, t, &tconf);
            }
            _ => {}
        }
        if let Some((p, is_pointer)) = proto {
            return self
                .names()
                .ftype(out, p, Some(name), false, is_pointer, 0, true);
        }
        out.extend_from_slice(&self.tag_name(Some(t), 512));
        out.push(b' ');
        out.extend_from_slice(name);
    }

    /// One type the way pahole prints it at top level, with its `;`.
    pub(crate) fn top_level(&mut self, out: &mut Vec<u8>, id: TypeId) {
        match self.m.tag(id) {
            Tag::Class(c) => {
                let c = c as usize;
                let conf = Conf::top(self.m.classes[c].is_union);
                if self.m.classes[c].is_union {
                    self.union_body(out, c, &conf, None);
                } else {
                    self.class_body_with(out, c, &conf, None);
                }
            }
            Tag::Typedef(_) => self.typedef(out, id, &Conf::top(false)),
            Tag::Enum { .. } => self.enumeration(out, id, &Conf::top(false)),
            _ => return,
        }
        out.push(b';');
    }
}
