//! The C emitter: libbpf's btf_dump rules (libbpf 1.5, the one bpftool 7.5
//! links), reimplemented. A type is dumped in two steps: its dependencies
//! are put in C order (a definition before every use that needs its size,
//! forward declarations where a pointer is enough), then each is written.
//!
//! Recursion over the type graph is bounded by [`MAX_DEPTH`]: deeper
//! nesting is reported as an error, never a stack overflow.

use crate::btf::fx::FxHashMap;
use crate::btf::kind::Kind;
use crate::btf::read::Btf;
use crate::btf::types::{TypeId, TypeView};
use crate::error::{Error, ErrorKind, Result};

/// Deepest nesting of types the emitter follows (real kernels stay under 20).
pub const MAX_DEPTH: u32 = 400;
/// The C text may grow to this many bytes per byte of BTF (base included)
/// plus [`OUTPUT_FLOOR`]. Real kernels write about half a byte per byte;
/// a struct claiming gigabytes (padded out line by line) or anonymous types
/// inlined into each other many times over would otherwise grow without
/// bound.
pub const OUTPUT_PER_BTF_BYTE: usize = 8;
pub const OUTPUT_FLOOR: usize = 1 << 20;

/// The largest C text written for `btf`.
pub fn output_limit(btf: &Btf) -> usize {
    let mut bytes = 0usize;
    let mut part = Some(btf);
    while let Some(b) = part {
        let h = b.header();
        bytes += (h.hdr_len as usize) + (h.type_len as usize) + (h.str_len as usize);
        part = b.base();
    }
    bytes
        .saturating_mul(OUTPUT_PER_BTF_BYTE)
        .saturating_add(OUTPUT_FLOOR)
}
/// Indentation stops growing after this many tabs.
const MAX_INDENT: usize = 13;

const NOT: u8 = 0;
const IN_PROGRESS: u8 = 1;
const DONE: u8 = 2;

#[derive(Clone, Copy, Default)]
struct Aux {
    order: u8,
    emit: u8,
    fwd_emitted: bool,
    name_resolved: bool,
    referenced: bool,
}

/// What a top-level piece of the output is, for [`Span`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanKind {
    /// A full definition (struct, union, enum, typedef) or a FWD's declaration.
    Definition,
    /// `struct foo;` written before a use through a pointer.
    Forward,
    /// A kfunc's `extern` prototype.
    Extern,
}

/// Where one type's top-level text sits in the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub id: TypeId,
    pub kind: SpanKind,
    pub start: usize,
    pub end: usize,
}

pub struct Emitter<'a> {
    btf: &'a Btf<'a>,
    ptr_sz: u32,
    aux: Vec<Aux>,
    /// Duplicate number of a resolved name (0 or 1: the name as is).
    dup: Vec<u32>,
    /// Alignment cache, `u32::MAX` while unknown.
    align: Vec<u32>,
    type_names: FxHashMap<&'a [u8], u32>,
    ident_names: FxHashMap<&'a [u8], u32>,
    queue: Vec<TypeId>,
    decl_stack: Vec<TypeId>,
    depth: u32,
    /// Calls of `emit_type`, bounded like the text: anonymous types are
    /// visited again from every use, which can take exponential time while
    /// writing nothing.
    visits: usize,
    pub out: Vec<u8>,
    /// [`output_limit`] of the BTF being written.
    max_out: usize,
    pub spans: Vec<Span>,
}

fn usize_digits(out: &mut Vec<u8>, v: impl std::fmt::Display) {
    use std::io::Write;
    let _ = write!(out, "{v}");
}

impl<'a> Emitter<'a> {
    /// Prepares an emitter over every type of `btf` (and its base). Fails on
    /// kinds C cannot show and on reference cycles that no struct breaks.
    pub fn new(btf: &'a Btf<'a>) -> Result<Self> {
        btf.validate()?;
        let n = btf.type_count() as usize;
        let mut e = Emitter {
            btf,
            ptr_sz: btf.long_size().unwrap_or(8),
            aux: vec![Aux::default(); n],
            dup: vec![0; n],
            align: vec![u32::MAX; n],
            // Sized for a kernel's names up front (rehashing shows in profiles).
            type_names: FxHashMap::with_capacity_and_hasher(n / 8, Default::default()),
            ident_names: FxHashMap::with_capacity_and_hasher(n / 2, Default::default()),
            queue: Vec::new(),
            decl_stack: Vec::new(),
            depth: 0,
            visits: 0,
            out: Vec::with_capacity(n * 24),
            max_out: output_limit(btf),
            spans: Vec::new(),
        };
        e.aux[0].order = DONE;
        e.aux[0].emit = DONE;
        e.mark_referenced()?;
        check_chains(btf)?;
        Ok(e)
    }

    fn t(&self, id: TypeId) -> Option<TypeView<'a>> {
        self.btf.type_by_id(id)
    }

    fn kind(&self, id: TypeId) -> Option<Kind> {
        self.t(id).and_then(|t| t.kind())
    }

    fn name(&self, off: u32) -> &'a [u8] {
        self.btf.str_at(off).unwrap_or(b"")
    }

    fn p(&mut self, s: &[u8]) {
        self.out.extend_from_slice(s);
    }

    fn pfx(&mut self, lvl: usize) {
        let n = lvl.min(MAX_INDENT);
        self.out.extend(std::iter::repeat_n(b'\t', n));
    }

    fn mark_referenced(&mut self) -> Result<()> {
        for id in 1..self.btf.type_count() {
            let t = self.t(id).expect("indexed id");
            let mut mark = |r: TypeId| self.aux[r as usize].referenced = true;
            match t.kind() {
                Some(Kind::Int | Kind::Enum | Kind::Enum64 | Kind::Fwd | Kind::Float) => {}
                Some(Kind::Struct | Kind::Union) => t.members().for_each(|m| mark(m.type_id)),
                Some(Kind::FuncProto) => t.params().for_each(|p| mark(p.type_id)),
                Some(Kind::Datasec) => t.secinfos().for_each(|v| mark(v.type_id)),
                Some(Kind::Array) => {
                    let a = t.array();
                    mark(a.index_type);
                    mark(a.elem_type);
                }
                Some(_) => mark(t.size_or_type()),
                None => {
                    return Err(type_error(
                        self.btf,
                        id,
                        ErrorKind::UnknownKind,
                        format!("has kind {}, which C output does not know", t.kind_raw()),
                    ))
                }
            }
        }
        Ok(())
    }

    fn enter(&mut self, id: TypeId) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(type_error(
                self.btf,
                id,
                ErrorKind::Limit,
                format!("types nest more than {MAX_DEPTH} deep below it"),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// libbpf's `btf_dump__dump_type`: `id` and whatever it needs that was
    /// not written yet.
    pub fn dump_type(&mut self, id: TypeId) -> Result<()> {
        self.queue.clear();
        self.order(id, false)?;
        let queue = std::mem::take(&mut self.queue);
        for &q in &queue {
            self.emit_type(q, 0)?;
        }
        self.queue = queue;
        Ok(())
    }

    /// Topological order: pushes the named definitions `id` needs onto the
    /// queue. Returns whether the link to `id` is strong (its full
    /// definition must come first) rather than satisfiable by a forward
    /// declaration.
    fn order(&mut self, id: TypeId, through_ptr: bool) -> Result<bool> {
        let state = self.aux[id as usize].order;
        if state == DONE {
            return Ok(true);
        }
        let t = self.t(id).expect("void is ordered");
        let kind = t.kind().expect("kinds checked");
        let named = t.name_off() != 0;
        if state == IN_PROGRESS {
            if matches!(kind, Kind::Struct | Kind::Union) && through_ptr && named {
                return Ok(false);
            }
            return Err(type_error(
                self.btf,
                id,
                ErrorKind::BadType,
                "is part of a type cycle that C cannot express (no pointer to a named struct breaks it)",
            ));
        }
        self.enter(id)?;
        let strong = match kind {
            Kind::Int | Kind::Float => {
                self.aux[id as usize].order = DONE;
                false
            }
            Kind::Ptr => {
                let r = self.order(t.size_or_type(), true);
                self.aux[id as usize].order = DONE;
                r?
            }
            Kind::Array => self.order(t.array().elem_type, false)?,
            Kind::Struct | Kind::Union => {
                if through_ptr && named {
                    self.leave();
                    return Ok(false);
                }
                self.aux[id as usize].order = IN_PROGRESS;
                for m in t.members() {
                    self.order(m.type_id, false)?;
                }
                if named {
                    self.queue.push(id);
                }
                self.aux[id as usize].order = DONE;
                true
            }
            Kind::Enum | Kind::Enum64 | Kind::Fwd => {
                if named || !self.aux[id as usize].referenced {
                    self.queue.push(id);
                }
                self.aux[id as usize].order = DONE;
                true
            }
            Kind::Typedef => {
                let strong = self.order(t.size_or_type(), through_ptr)?;
                if through_ptr && !strong {
                    false
                } else {
                    self.queue.push(id);
                    self.aux[id as usize].order = DONE;
                    true
                }
            }
            Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag => {
                self.order(t.size_or_type(), through_ptr)?
            }
            Kind::FuncProto => {
                let mut strong = self.order(t.size_or_type(), through_ptr)?;
                for p in t.params() {
                    strong |= self.order(p.type_id, through_ptr)?;
                }
                strong
            }
            Kind::Func | Kind::Var | Kind::Datasec | Kind::DeclTag => {
                self.aux[id as usize].order = DONE;
                false
            }
        };
        self.leave();
        Ok(strong)
    }

    fn is_blacklisted(&self, t: &TypeView) -> bool {
        t.name_off() != 0 && self.name(t.name_off()) == b"__builtin_va_list"
    }

    fn span(&mut self, id: TypeId, kind: SpanKind, start: usize) {
        // The ";" that ends the text is part of it; the blank line is not.
        self.p(b";\n");
        self.spans.push(Span {
            id,
            kind,
            start,
            end: self.out.len(),
        });
        self.p(b"\n");
    }

    /// Writes `id` at top level (`cont_id` 0) or the forward declarations
    /// a definition inside `cont_id` needs.
    fn emit_type(&mut self, id: TypeId, cont_id: TypeId) -> Result<()> {
        let aux = self.aux[id as usize];
        if aux.emit == DONE {
            return Ok(());
        }
        self.visits += 1;
        if self.visits > self.max_out {
            return Err(type_error(
                self.btf,
                id,
                ErrorKind::Limit,
                format!("C output visits types more than {} times", self.max_out),
            ));
        }
        let t = self.t(id).expect("void is emitted");
        let kind = t.kind().expect("kinds checked");
        let top = cont_id == 0;
        let at = self.out.len();
        if aux.emit == IN_PROGRESS {
            if aux.fwd_emitted {
                return Ok(());
            }
            match kind {
                Kind::Struct | Kind::Union => {
                    if id == cont_id || t.name_off() == 0 {
                        return Ok(());
                    }
                    self.emit_struct_fwd(id, &t);
                    self.span(id, SpanKind::Forward, at);
                    self.aux[id as usize].fwd_emitted = true;
                }
                Kind::Typedef => {
                    if !self.is_blacklisted(&t) {
                        self.emit_typedef_def(id, &t, 0)?;
                        self.span(id, SpanKind::Definition, at);
                    }
                    self.aux[id as usize].fwd_emitted = true;
                }
                _ => {}
            }
            return Ok(());
        }
        self.enter(id)?;
        match kind {
            Kind::Int => {
                self.emit_missing_alias(id);
                self.aux[id as usize].emit = DONE;
            }
            Kind::Enum | Kind::Enum64 => {
                if top {
                    self.emit_enum_def(id, &t, 0);
                    self.span(id, SpanKind::Definition, at);
                }
                self.aux[id as usize].emit = DONE;
            }
            Kind::Ptr | Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag => {
                self.emit_type(t.size_or_type(), cont_id)?
            }
            Kind::Array => self.emit_type(t.array().elem_type, cont_id)?,
            Kind::Fwd => {
                self.emit_fwd_def(id, &t);
                self.span(id, SpanKind::Definition, at);
                self.aux[id as usize].emit = DONE;
            }
            Kind::Typedef => {
                self.aux[id as usize].emit = IN_PROGRESS;
                self.emit_type(t.size_or_type(), id)?;
                if !self.aux[id as usize].fwd_emitted && !self.is_blacklisted(&t) {
                    let at = self.out.len();
                    self.emit_typedef_def(id, &t, 0)?;
                    self.span(id, SpanKind::Definition, at);
                }
                self.aux[id as usize].emit = DONE;
            }
            Kind::Struct | Kind::Union => {
                self.aux[id as usize].emit = IN_PROGRESS;
                let named = t.name_off() != 0;
                if top || !named {
                    let inner = if named { id } else { cont_id };
                    for m in t.members() {
                        self.emit_type(m.type_id, inner)?;
                    }
                } else if !self.aux[id as usize].fwd_emitted && id != cont_id {
                    self.emit_struct_fwd(id, &t);
                    self.span(id, SpanKind::Forward, at);
                    self.aux[id as usize].fwd_emitted = true;
                }
                if top {
                    let at = self.out.len();
                    self.emit_struct_def(id, &t, 0)?;
                    self.span(id, SpanKind::Definition, at);
                    self.aux[id as usize].emit = DONE;
                } else {
                    self.aux[id as usize].emit = NOT;
                }
            }
            Kind::FuncProto => {
                self.emit_type(t.size_or_type(), cont_id)?;
                for p in t.params() {
                    self.emit_type(p.type_id, cont_id)?;
                }
            }
            Kind::Float | Kind::Func | Kind::Var | Kind::Datasec | Kind::DeclTag => {}
        }
        self.leave();
        self.check_output(id)
    }

    /// Fails once the text is past [`output_limit`]; `id` is what was being
    /// written.
    fn check_output(&self, id: TypeId) -> Result<()> {
        if self.out.len() > self.max_out {
            return Err(type_error(
                self.btf,
                id,
                ErrorKind::Limit,
                format!(
                    "C output grows past {} bytes ({OUTPUT_PER_BTF_BYTE} per byte of BTF)",
                    self.max_out
                ),
            ));
        }
        Ok(())
    }

    /// `btf__align_of`, cached.
    fn align_of(&mut self, id: TypeId) -> Result<u32> {
        let cached = self.align[id as usize];
        if cached != u32::MAX {
            return Ok(cached);
        }
        let Some(t) = self.t(id) else { return Ok(0) };
        self.enter(id)?;
        let a = match t.kind() {
            Some(Kind::Int | Kind::Enum | Kind::Enum64 | Kind::Float) => {
                self.ptr_sz.min(t.size_or_type())
            }
            Some(Kind::Ptr) => self.ptr_sz,
            Some(Kind::Typedef | Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag) => {
                self.align_of(t.size_or_type())?
            }
            Some(Kind::Array) => self.align_of(t.array().elem_type)?,
            Some(Kind::Struct | Kind::Union) => self.composite_align(&t)?,
            _ => 0,
        };
        self.leave();
        self.align[id as usize] = a;
        Ok(a)
    }

    fn composite_align(&mut self, t: &TypeView<'a>) -> Result<u32> {
        let kflag = t.kflag();
        let mut max = 1;
        for m in t.members() {
            let a = self.align_of(m.type_id)?;
            if a == 0 {
                return Ok(0);
            }
            max = max.max(a);
            if m.bitfield_size(kflag) == 0 && m.offset % (8 * a) != 0 {
                return Ok(1);
            }
        }
        Ok(if t.size_or_type().is_multiple_of(max) {
            max
        } else {
            1
        })
    }

    fn is_packed(&mut self, t: &TypeView<'a>) -> Result<bool> {
        let kflag = t.kflag();
        let mut max = 1;
        for m in t.members() {
            let a = self.align_of(m.type_id)?;
            if a != 0 && m.bitfield_size(kflag) == 0 && m.offset % (8 * a) != 0 {
                return Ok(true);
            }
            max = max.max(a);
        }
        Ok(!t.size_or_type().is_multiple_of(max))
    }

    fn emit_bit_padding(
        &mut self,
        cur: i64,
        next: i64,
        next_align: u32,
        in_bitfield: bool,
        lvl: usize,
    ) {
        if cur >= next {
            return;
        }
        let pads: [(&[u8], i64); 4] = [
            (b"long", self.ptr_sz as i64 * 8),
            (b"int", 32),
            (b"short", 16),
            (b"char", 8),
        ];
        let mut cur = cur;
        let (mut pad_type, mut pad_bits, mut new_off) = (pads[0].0, pads[0].1, 0);
        for &(name, bits) in &pads {
            pad_type = name;
            pad_bits = bits;
            new_off = roundup(cur, bits);
            if new_off <= next {
                break;
            }
        }
        if new_off > cur && new_off <= next {
            if in_bitfield
                || (new_off == next && roundup(cur, next_align as i64 * 8) != new_off)
                || (new_off != next && next - new_off <= new_off - cur)
            {
                self.pad_line(lvl, pad_type, if in_bitfield { new_off - cur } else { 0 });
            }
            cur = new_off;
        }
        while cur != next {
            let bits = (next - cur).min(pad_bits);
            if bits == pad_bits {
                self.pad_line(lvl, pad_type, pad_bits);
                cur += bits;
                if self.out.len() > self.max_out {
                    return;
                }
                continue;
            }
            // The remainder, with the smallest type that holds it.
            if let Some(&(name, _)) = pads.iter().rev().find(|&&(_, pbits)| pbits >= bits) {
                self.pad_line(lvl, name, bits);
            }
            cur += bits;
        }
    }

    fn pad_line(&mut self, lvl: usize, ty: &[u8], bits: i64) {
        self.p(b"\n");
        self.pfx(lvl);
        self.p(ty);
        self.p(b": ");
        usize_digits(&mut self.out, bits);
        self.p(b";");
    }

    fn emit_struct_fwd(&mut self, id: TypeId, t: &TypeView<'a>) {
        self.p(if t.kind() == Some(Kind::Struct) {
            b"struct"
        } else {
            b"union"
        });
        if t.name_off() != 0 {
            self.p(b" ");
        }
        self.type_name(id, t);
    }

    fn emit_struct_def(&mut self, id: TypeId, t: &TypeView<'a>, lvl: usize) -> Result<()> {
        self.enter(id)?;
        let is_struct = t.kind() == Some(Kind::Struct);
        let kflag = t.kflag();
        let align = self.align_of(id)?;
        let packed = is_struct && self.is_packed(t)?;
        self.emit_struct_fwd(id, t);
        self.p(b" {");
        let mut off: i64 = 0;
        let mut prev_bitfield = false;
        for m in t.members() {
            let fname = self.name(m.name_off);
            let m_sz = m.bitfield_size(kflag) as i64;
            let m_off = m.bit_offset(kflag) as i64;
            let m_align = if packed { 1 } else { self.align_of(m.type_id)? };
            let in_bitfield = prev_bitfield && m_sz != 0;
            self.emit_bit_padding(off, m_off, m_align, in_bitfield, lvl + 1);
            self.p(b"\n");
            self.pfx(lvl + 1);
            self.emit_type_decl(m.type_id, fname, lvl + 1)?;
            if m_sz != 0 {
                self.p(b": ");
                usize_digits(&mut self.out, m_sz);
                off = m_off + m_sz;
                prev_bitfield = true;
            } else {
                off = m_off + self.btf.resolve_size(self.ptr_sz, m.type_id).unwrap_or(0) as i64 * 8;
                prev_bitfield = false;
            }
            self.p(b";");
            // Anonymous members are written inline, so one member can be
            // any amount of text.
            self.check_output(id)?;
        }
        if is_struct {
            self.emit_bit_padding(off, t.size_or_type() as i64 * 8, align, false, lvl + 1);
        }
        if t.vlen() != 0 || t.size_or_type() != 0 {
            self.p(b"\n");
            self.pfx(lvl);
        }
        self.p(b"}");
        if packed {
            self.p(b" __attribute__((packed))");
        }
        self.leave();
        Ok(())
    }

    fn emit_missing_alias(&mut self, id: TypeId) {
        const ALIASES: [(&[u8], &[u8]); 4] = [
            (b"__Poly8_t", b"unsigned char"),
            (b"__Poly16_t", b"unsigned short"),
            (b"__Poly64_t", b"unsigned long long"),
            (b"__Poly128_t", b"unsigned __int128"),
        ];
        let t = self.t(id).expect("an INT");
        let (name, dup) = self.resolve_name(id, &t, false);
        if dup > 1 {
            return;
        }
        if let Some((_, alias)) = ALIASES.iter().find(|(n, _)| *n == name) {
            self.p(b"typedef ");
            self.p(alias);
            self.p(b" ");
            self.p(name);
            self.p(b";\n\n");
        }
    }

    fn emit_enum_def(&mut self, id: TypeId, t: &TypeView<'a>, lvl: usize) {
        self.p(b"enum");
        if t.name_off() != 0 {
            self.p(b" ");
        }
        self.type_name(id, t);
        if t.vlen() == 0 {
            return;
        }
        self.p(b" {");
        let signed = t.kflag();
        let is_enum64 = t.kind() == Some(Kind::Enum64);
        let values: Box<dyn Iterator<Item = _>> = if is_enum64 {
            Box::new(t.enum64_values())
        } else {
            Box::new(t.enum_values())
        };
        let mut all_low = true;
        for v in values {
            let name = self.name(v.name_off);
            let dup = name_dups(&mut self.ident_names, name);
            self.p(b"\n");
            self.pfx(lvl + 1);
            self.p(name);
            if dup > 1 {
                self.p(b"___");
                usize_digits(&mut self.out, dup);
            }
            self.p(b" = ");
            match (is_enum64, signed) {
                (false, true) => usize_digits(&mut self.out, v.value as i32),
                (false, false) => usize_digits(&mut self.out, v.value as u32),
                (true, true) => usize_digits(&mut self.out, v.value as i64),
                (true, false) => usize_digits(&mut self.out, v.value),
            }
            if is_enum64 {
                self.p(if signed { b"LL" } else { b"ULL" });
                all_low &= v.value >> 32 == 0;
            }
            self.p(b",");
        }
        self.p(b"\n");
        self.pfx(lvl);
        self.p(b"}");
        let size = t.size_or_type();
        if size == 1 {
            self.p(b" __attribute__((mode(byte)))");
        } else if size == 8 && self.ptr_sz == 8 && (!is_enum64 || all_low) {
            self.p(b" __attribute__((mode(word)))");
        }
    }

    fn emit_fwd_def(&mut self, id: TypeId, t: &TypeView<'a>) {
        self.p(if t.kflag() { b"union " } else { b"struct " });
        self.type_name(id, t);
    }

    fn emit_typedef_def(&mut self, id: TypeId, t: &TypeView<'a>, lvl: usize) -> Result<()> {
        let (name, dup) = self.resolve_name(id, t, true);
        if t.size_or_type() == 0 && name == b"__gnuc_va_list" && dup <= 1 {
            self.p(b"typedef __builtin_va_list __gnuc_va_list");
            return Ok(());
        }
        self.p(b"typedef ");
        self.emit_decl_named(t.size_or_type(), Name { text: name, dup }, lvl)
    }

    /// `btf__emit_type_decl` as bpftool's kfunc block calls it.
    pub fn emit_extern(&mut self, func: TypeId) -> Result<()> {
        let t = self.t(func).expect("a FUNC");
        let at = self.out.len();
        self.p(b"extern ");
        let fname = self.name(t.name_off());
        self.emit_type_decl(t.size_or_type(), fname, 0)?;
        self.p(b" __weak __ksym");
        self.span(func, SpanKind::Extern, at);
        // bpftool ends each line with one newline only.
        self.out.pop();
        Ok(())
    }

    fn emit_type_decl(&mut self, id: TypeId, fname: &'a [u8], lvl: usize) -> Result<()> {
        self.emit_decl_named(
            id,
            Name {
                text: fname,
                dup: 0,
            },
            lvl,
        )
    }

    /// A declaration of `fname` with type `id`: the chain of modifiers,
    /// pointers, arrays and prototypes down to a named or inlined type.
    fn emit_decl_named(&mut self, mut id: TypeId, fname: Name<'a>, lvl: usize) -> Result<()> {
        let start = self.decl_stack.len();
        loop {
            self.decl_stack.push(id);
            if id == 0 {
                break;
            }
            let t = self.t(id).expect("checked id");
            match t.kind() {
                Some(
                    Kind::Ptr
                    | Kind::Volatile
                    | Kind::Const
                    | Kind::Restrict
                    | Kind::FuncProto
                    | Kind::TypeTag,
                ) => id = t.size_or_type(),
                Some(Kind::Array) => id = t.array().elem_type,
                _ => break,
            }
        }
        let mut cnt = self.decl_stack.len() - start;
        let r = self.emit_chain(start, &mut cnt, fname, lvl);
        self.decl_stack.truncate(start);
        r
    }

    fn emit_mods(&mut self, lo: usize, cnt: &mut usize) {
        while *cnt > 0 {
            let word: &[u8] = match self.kind(self.decl_stack[lo + *cnt - 1]) {
                Some(Kind::Volatile) => b"volatile ",
                Some(Kind::Const) => b"const ",
                Some(Kind::Restrict) => b"restrict ",
                _ => return,
            };
            self.p(word);
            *cnt -= 1;
        }
    }

    fn drop_mods(&self, lo: usize, cnt: &mut usize) {
        while *cnt > 0
            && matches!(
                self.kind(self.decl_stack[lo + *cnt - 1]),
                Some(Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag)
            )
        {
            *cnt -= 1;
        }
    }

    fn emit_name(&mut self, name: Name, last_was_ptr: bool) {
        if !name.text.is_empty() && !last_was_ptr {
            self.p(b" ");
        }
        self.name_text(name);
    }

    fn name_text(&mut self, name: Name) {
        self.p(name.text);
        if name.dup > 1 {
            self.p(b"___");
            usize_digits(&mut self.out, name.dup);
        }
    }

    fn emit_chain(
        &mut self,
        lo: usize,
        cnt: &mut usize,
        fname: Name<'a>,
        lvl: usize,
    ) -> Result<()> {
        self.enter(self.decl_stack[lo])?;
        let mut last_was_ptr = true;
        while *cnt > 0 {
            *cnt -= 1;
            let id = self.decl_stack[lo + *cnt];
            let Some(t) = self.t(id) else {
                self.emit_mods(lo, cnt);
                self.p(b"void");
                last_was_ptr = false;
                continue;
            };
            let kind = t.kind().expect("kinds checked");
            match kind {
                Kind::Int | Kind::Float => {
                    self.emit_mods(lo, cnt);
                    let name = self.name(t.name_off());
                    self.p(name);
                }
                Kind::Struct | Kind::Union => {
                    self.emit_mods(lo, cnt);
                    if t.name_off() == 0 {
                        self.emit_struct_def(id, &t, lvl)?;
                    } else {
                        self.emit_struct_fwd(id, &t);
                    }
                }
                Kind::Enum | Kind::Enum64 => {
                    self.emit_mods(lo, cnt);
                    if t.name_off() == 0 {
                        self.emit_enum_def(id, &t, lvl);
                    } else {
                        self.p(b"enum ");
                        self.type_name(id, &t);
                    }
                }
                Kind::Fwd => {
                    self.emit_mods(lo, cnt);
                    self.emit_fwd_def(id, &t);
                }
                Kind::Typedef => {
                    self.emit_mods(lo, cnt);
                    let (text, dup) = self.resolve_name(id, &t, true);
                    self.name_text(Name { text, dup });
                }
                Kind::Ptr => self.p(if last_was_ptr { b"*" } else { b" *" }),
                Kind::Volatile => self.p(b" volatile"),
                Kind::Const => self.p(b" const"),
                Kind::Restrict => self.p(b" restrict"),
                Kind::TypeTag => {
                    self.emit_mods(lo, cnt);
                    let name = self.name(t.name_off());
                    self.p(b" __attribute__((btf_type_tag(\"");
                    self.p(name);
                    self.p(b"\")))");
                }
                Kind::Array => {
                    let nelems = t.array().nelems;
                    self.drop_mods(lo, cnt);
                    if *cnt == 0 {
                        self.emit_name(fname, last_was_ptr);
                    } else {
                        let next = self.decl_stack[lo + *cnt - 1];
                        let multidim = self.kind(next) == Some(Kind::Array);
                        if !fname.text.is_empty() && !last_was_ptr {
                            self.p(b" ");
                        }
                        if !multidim {
                            self.p(b"(");
                        }
                        self.emit_chain(lo, cnt, fname, lvl)?;
                        if !multidim {
                            self.p(b")");
                        }
                    }
                    self.p(b"[");
                    usize_digits(&mut self.out, nelems);
                    self.p(b"]");
                    self.leave();
                    return Ok(());
                }
                Kind::FuncProto => {
                    self.drop_mods(lo, cnt);
                    if *cnt > 0 {
                        self.p(b" (");
                        self.emit_chain(lo, cnt, fname, lvl)?;
                        self.p(b")");
                    } else {
                        self.emit_name(fname, last_was_ptr);
                    }
                    self.p(b"(");
                    self.emit_params(&t, lvl)?;
                    self.leave();
                    return Ok(());
                }
                Kind::Func | Kind::Var | Kind::Datasec | Kind::DeclTag => {
                    self.leave();
                    return Ok(());
                }
            }
            last_was_ptr = kind == Kind::Ptr;
        }
        self.emit_name(fname, last_was_ptr);
        self.leave();
        Ok(())
    }

    fn emit_params(&mut self, t: &TypeView<'a>, lvl: usize) -> Result<()> {
        let vlen = t.vlen() as usize;
        let mut params = t.params();
        if vlen == 0 || (vlen == 1 && params.next().is_some_and(|p| p.type_id == 0)) {
            self.p(b"void)");
            return Ok(());
        }
        for (i, p) in t.params().enumerate() {
            if i > 0 {
                self.p(b", ");
            }
            if i == vlen - 1 && p.type_id == 0 {
                self.p(b"...");
                break;
            }
            let name = self.name(p.name_off);
            self.emit_type_decl(p.type_id, name, lvl)?;
        }
        self.p(b")");
        Ok(())
    }

    fn type_name(&mut self, id: TypeId, t: &TypeView<'a>) {
        let (text, dup) = self.resolve_name(id, t, false);
        self.name_text(Name { text, dup });
    }

    /// The name `id` goes by in C, and its duplicate number: libbpf gives
    /// the second struct (enum, union) named `foo` the name `foo___2`, and
    /// so on, in the order names are first used. Typedefs and enumerators
    /// (`ident`) count in their own name space.
    fn resolve_name(&mut self, id: TypeId, t: &TypeView<'a>, ident: bool) -> (&'a [u8], u32) {
        if t.name_off() == 0 {
            return (b"", 0);
        }
        let name = self.name(t.name_off());
        let i = id as usize;
        if self.aux[i].name_resolved {
            return (name, self.dup[i]);
        }
        self.aux[i].name_resolved = true;
        let no_dups =
            t.kind() == Some(Kind::Fwd) || (t.kind() == Some(Kind::Enum) && t.vlen() == 0);
        if !no_dups {
            let map = if ident {
                &mut self.ident_names
            } else {
                &mut self.type_names
            };
            self.dup[i] = name_dups(map, name);
        }
        (name, self.dup[i])
    }
}

/// A name as written: text and duplicate number (`text___dup` when > 1).
#[derive(Clone, Copy)]
struct Name<'a> {
    text: &'a [u8],
    dup: u32,
}

fn name_dups<'a>(map: &mut FxHashMap<&'a [u8], u32>, name: &'a [u8]) -> u32 {
    let n = map.entry(name).or_insert(0);
    *n += 1;
    *n
}

fn roundup(x: i64, y: i64) -> i64 {
    if y <= 0 {
        return x;
    }
    (x + y - 1) / y * y
}

/// An error about type `id`, at the byte offset of its record.
pub(crate) fn type_error(
    btf: &Btf,
    id: TypeId,
    kind: ErrorKind,
    what: impl std::fmt::Display,
) -> Error {
    let label = btf
        .type_by_id(id)
        .map(|t| {
            let name = btf.name(t.name_off());
            let k = crate::btf::read::kind_label(t.kind_raw());
            if name.is_empty() {
                format!("{k} (anon)")
            } else {
                format!("{k} '{name}'")
            }
        })
        .unwrap_or_default();
    let msg = format!("C output: type [{id}] {label} {what}");
    match btf.type_offset(id) {
        Some(off) => Error::at(kind, off, msg),
        None => Error::new(kind, msg),
    }
}

/// The one type each type leads to when written as a declaration: the
/// target of a pointer, modifier, typedef, tag, variable or function, an
/// array's element, a prototype's return type.
fn chain_next(t: &TypeView) -> Option<TypeId> {
    match t.kind()? {
        Kind::Array => Some(t.array().elem_type),
        Kind::Ptr
        | Kind::Volatile
        | Kind::Const
        | Kind::Restrict
        | Kind::Typedef
        | Kind::TypeTag
        | Kind::DeclTag
        | Kind::Var
        | Kind::Func
        | Kind::FuncProto => Some(t.size_or_type()),
        _ => None,
    }
}

/// Rejects a cycle of references that passes through no struct or union
/// (e.g. typedefs naming each other): C cannot write it, and following it
/// would never end.
fn check_chains(btf: &Btf) -> Result<()> {
    let n = btf.type_count() as usize;
    // 0: not seen; u32::MAX: known to end; else the walk that is visiting it.
    let mut seen = vec![0u32; n];
    for start in 1..n as u32 {
        if seen[start as usize] != 0 {
            continue;
        }
        let mut id = start;
        loop {
            let s = seen[id as usize];
            if s == start {
                return Err(type_error(
                    btf,
                    id,
                    ErrorKind::BadType,
                    "refers back to itself through a cycle of references with no struct or union in it",
                ));
            }
            if s != 0 {
                break;
            }
            seen[id as usize] = start;
            match btf.type_by_id(id).and_then(|t| chain_next(&t)) {
                Some(next) if next != 0 => id = next,
                _ => break,
            }
        }
        // Mark the walk's types as ending (they lead to no cycle).
        let mut id = start;
        while seen[id as usize] == start {
            seen[id as usize] = u32::MAX;
            match btf.type_by_id(id).and_then(|t| chain_next(&t)) {
                Some(next) if next != 0 => id = next,
                _ => break,
            }
        }
    }
    Ok(())
}
