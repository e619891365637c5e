//! The facts pahole derives from BTF before it prints a layout: member byte
//! offsets and sizes, bitfield positions, inferred alignments, holes,
//! padding and packing. Holes, flexible arrays and packing are worked out
//! lazily and remembered, as pahole does; packing also changes as
//! containers are looked at, so the order of the questions matters.

use crate::btf::{Btf, Kind, TypeId};
use crate::error::{Error, ErrorKind, Result};

/// The cache line pahole 1.30 reasons about.
pub const CACHELINE: u32 = 64;

/// Nesting the model accepts: typedef chains, arrays and embedded structs
/// deeper than this are refused rather than followed.
pub const MAX_DEPTH: u32 = 1000;

/// Lines one type may expand to (anonymous types are printed inline at
/// every use, so a crafted BTF could ask for exponentially many).
pub const MAX_EXPANSION: u64 = 1 << 22;

/// Types a name may be spelled from (function prototypes spell their
/// parameters, which may be prototypes again).
pub const MAX_NAME_PARTS: u64 = 1 << 16;

/// One type as pahole's loader sees it. `None` stands for ids pahole keeps
/// no type for (void, functions, variables, sections, tags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tag {
    None,
    Base {
        bits: u32,
        is_bool: bool,
        float: bool,
    },
    Ptr(TypeId),
    Array {
        elem: TypeId,
        nelems: u32,
    },
    /// Struct, union or forward declaration: an index into `classes`.
    Class(u32),
    Enum {
        bits: u32,
        signed: bool,
        enum64: bool,
    },
    Typedef(TypeId),
    Const(TypeId),
    Volatile(TypeId),
    Restrict(TypeId),
    /// A BTF type tag (pahole: an LLVM annotation).
    Annotation(TypeId),
    Proto,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Member {
    pub name_off: u32,
    pub type_id: TypeId,
    pub bit_offset: u32,
    pub bitfield_size: u8,
    pub byte_offset: u32,
    pub bitfield_offset: i8,
    pub byte_size: u64,
    pub bit_size: u32,
    pub alignment: u32,
    pub hole: i32,
    pub bit_hole: u8,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Class {
    pub id: TypeId,
    pub name_off: u32,
    pub size: u32,
    pub is_union: bool,
    pub declaration: bool,
    pub members: std::ops::Range<u32>,
    pub alignment: u32,
    pub natural_alignment: Option<u16>,
    pub holes_searched: bool,
    pub nr_holes: u8,
    pub nr_bit_holes: u8,
    pub pre_hole: u16,
    pub pre_bit_hole: u8,
    pub padding: u16,
    pub bit_padding: u8,
    pub flex: Option<bool>,
    pub embedded_flex: Option<bool>,
    pub is_packed: bool,
    pub packed_inferred: bool,
}

/// The loaded types of one BTF (with its base), ready for layout questions.
pub struct Model<'a> {
    pub(crate) btf: &'a Btf<'a>,
    pub(crate) ptr_size: u32,
    pub(crate) tags: Vec<Tag>,
    pub(crate) classes: Vec<Class>,
    pub(crate) members: Vec<Member>,
}

impl<'a> Model<'a> {
    /// Loads every type of `btf` and its base, and refuses type graphs that
    /// would make layout questions loop or explode.
    pub fn new(btf: &'a Btf<'a>) -> Result<Model<'a>> {
        let count = btf.type_count() as usize;
        let mut tags = Vec::with_capacity(count);
        let mut classes = Vec::new();
        let mut members = Vec::new();
        tags.push(Tag::None);
        for id in 1..count as TypeId {
            let Some(t) = btf.type_by_id(id) else {
                tags.push(Tag::None);
                continue;
            };
            let target = t.size_or_type();
            let tag = match t.kind() {
                Some(Kind::Int) => {
                    let info = t.int_info();
                    Tag::Base {
                        bits: info.bits as u32,
                        is_bool: info.encoding & crate::btf::kind::INT_BOOL != 0,
                        float: false,
                    }
                }
                Some(Kind::Float) => Tag::Base {
                    bits: target.wrapping_mul(8),
                    is_bool: false,
                    float: true,
                },
                Some(Kind::Ptr) => Tag::Ptr(target),
                Some(Kind::Array) => {
                    let a = t.array();
                    Tag::Array {
                        elem: a.elem_type,
                        nelems: a.nelems,
                    }
                }
                Some(k @ (Kind::Struct | Kind::Union | Kind::Fwd)) => {
                    let start = members.len() as u32;
                    let kflag = t.kflag();
                    if k != Kind::Fwd {
                        for m in t.members() {
                            let bit_offset = m.bit_offset(kflag);
                            members.push(Member {
                                name_off: m.name_off,
                                type_id: m.type_id,
                                bit_offset,
                                bitfield_size: m.bitfield_size(kflag) as u8,
                                byte_offset: bit_offset / 8,
                                ..Member::default()
                            });
                        }
                    }
                    classes.push(Class {
                        id,
                        name_off: t.name_off(),
                        size: if k == Kind::Fwd { 0 } else { target },
                        is_union: k == Kind::Union || (k == Kind::Fwd && kflag),
                        declaration: k == Kind::Fwd,
                        members: start..members.len() as u32,
                        ..Class::default()
                    });
                    Tag::Class(classes.len() as u32 - 1)
                }
                Some(k @ (Kind::Enum | Kind::Enum64)) => Tag::Enum {
                    bits: if target == 0 {
                        32
                    } else {
                        target.wrapping_mul(8)
                    },
                    signed: t.kflag(),
                    enum64: k == Kind::Enum64,
                },
                Some(Kind::Typedef) => Tag::Typedef(target),
                Some(Kind::Const) => Tag::Const(target),
                Some(Kind::Volatile) => Tag::Volatile(target),
                Some(Kind::Restrict) => Tag::Restrict(target),
                Some(Kind::TypeTag) => Tag::Annotation(target),
                Some(Kind::FuncProto) => Tag::Proto,
                _ => Tag::None,
            };
            tags.push(tag);
        }
        let mut model = Model {
            btf,
            ptr_size: btf.long_size().unwrap_or(0),
            tags,
            classes,
            members,
        };
        model.check_graphs()?;
        for c in 0..model.classes.len() {
            model.fixup_class(c);
        }
        Ok(model)
    }

    pub(crate) fn tag(&self, id: TypeId) -> Tag {
        self.tags.get(id as usize).copied().unwrap_or(Tag::None)
    }

    /// The name at a string offset; offset 0 is no name at all.
    pub(crate) fn str(&self, off: u32) -> Option<&'a [u8]> {
        if off == 0 {
            None
        } else {
            Some(self.btf.str_at(off).unwrap_or(b""))
        }
    }

    pub(crate) fn type_name(&self, id: TypeId) -> Option<&'a [u8]> {
        self.str(self.btf.type_by_id(id)?.name_off())
    }

    /// The type has a name (without looking the name up).
    pub(crate) fn has_name(&self, id: TypeId) -> bool {
        self.btf.type_by_id(id).is_some_and(|t| t.name_off() != 0)
    }

    pub(crate) fn class_of(&self, id: TypeId) -> Option<usize> {
        match self.tag(id) {
            Tag::Class(c) => Some(c as usize),
            _ => None,
        }
    }

    pub(crate) fn is_struct(&self, id: TypeId) -> bool {
        self.class_of(id).is_some_and(|c| !self.classes[c].is_union)
    }

    pub(crate) fn members_of(&self, c: usize) -> std::ops::Range<usize> {
        let r = &self.classes[c].members;
        r.start as usize..r.end as usize
    }

    /// Follows typedefs and qualifiers (not type tags); `None` for void or
    /// an id pahole has no type for.
    pub(crate) fn strip(&self, mut id: TypeId) -> Option<TypeId> {
        loop {
            match self.tag(id) {
                Tag::None => return None,
                Tag::Typedef(t) | Tag::Const(t) | Tag::Volatile(t) | Tag::Restrict(t) => id = t,
                _ => return Some(id),
            }
        }
    }

    /// pahole's size of a type (its `tag__size`).
    pub(crate) fn size_of(&self, id: TypeId) -> u64 {
        match self.tag(id) {
            Tag::None => 0,
            Tag::Base { bits, .. } => (bits / 8) as u16 as u64,
            Tag::Ptr(_) | Tag::Proto => self.ptr_size as u64,
            Tag::Enum { bits, .. } => (bits / 8) as u64,
            Tag::Class(c) => {
                let c = &self.classes[c as usize];
                if c.size == 1 && c.members.is_empty() {
                    0
                } else {
                    c.size as u64
                }
            }
            Tag::Array { elem, nelems } => {
                if elem == 0 {
                    return 0;
                }
                self.size_of(elem).wrapping_mul(nelems as u64)
            }
            Tag::Typedef(t)
            | Tag::Const(t)
            | Tag::Volatile(t)
            | Tag::Restrict(t)
            | Tag::Annotation(t) => {
                if t == 0 {
                    0
                } else if self.tag(t) == Tag::None {
                    u64::MAX
                } else {
                    self.size_of(t)
                }
            }
        }
    }

    /// pahole's natural alignment of a type (1 at least).
    pub(crate) fn natural_alignment(&mut self, id: Option<TypeId>) -> u64 {
        let Some(id) = id else { return 1 };
        let a = match self.tag(id) {
            Tag::Ptr(_) => self.ptr_size as u64,
            Tag::Base { bits, .. } => (bits / 8) as u16 as u64,
            Tag::Enum { bits, .. } => (bits / 8) as u64,
            Tag::Class(c) => self.class_natural_alignment(c as usize) as u64,
            Tag::Array { elem, .. } => {
                let s = self.strip(elem);
                if s.is_some() {
                    self.natural_alignment(s)
                } else {
                    1
                }
            }
            _ => 1,
        };
        if a == 0 {
            1
        } else {
            a
        }
    }

    fn class_natural_alignment(&mut self, c: usize) -> u16 {
        if let Some(a) = self.classes[c].natural_alignment {
            if a != 0 {
                return a;
            }
        }
        let mut best: u16 = 0;
        for m in self.members_of(c) {
            let Some(t) = self.strip(self.members[m].type_id) else {
                continue;
            };
            let a = self.natural_alignment(Some(t));
            if (best as u64) < a {
                best = a as u16;
            }
        }
        self.classes[c].natural_alignment = Some(best);
        best
    }

    /// The alignment pahole infers for something at `byte_offset` whose
    /// predecessor ended at `smallest_offset` (0: nothing forced).
    fn infer_alignment(byte_offset: u32, natural: u32, smallest_offset: u32) -> u32 {
        let delta = byte_offset.wrapping_sub(smallest_offset);
        let mut alignment = 0u32;
        if delta != 0 && byte_offset.is_multiple_of(2) {
            alignment = 1u32.wrapping_shl(32 - delta.leading_zeros());
        }
        if alignment <= natural || alignment == 1 {
            0
        } else if alignment < CACHELINE
            && CACHELINE.is_multiple_of(alignment)
            && byte_offset.is_multiple_of(CACHELINE)
        {
            CACHELINE
        } else {
            alignment
        }
    }

    /// Member byte offsets, sizes, bitfield offsets and alignments, as
    /// pahole's BTF loader fixes them up after loading.
    fn fixup_class(&mut self, c: usize) {
        let mut smallest = 0u32;
        for m in self.members_of(c) {
            let Some(t) = self.strip(self.members[m].type_id) else {
                continue;
            };
            let size = self.size_of(t);
            let natural = self.natural_alignment(Some(t)) as u32;
            let mem = &mut self.members[m];
            mem.bitfield_offset = 0;
            mem.byte_size = size;
            mem.bit_size = (size as u32).wrapping_mul(8);
            if size == 0 {
                continue;
            }
            if matches!(self.tags[t as usize], Tag::Base { .. } | Tag::Enum { .. }) {
                if mem.bitfield_size != 0 && mem.bit_size != 0 {
                    mem.byte_offset = mem.bit_offset / mem.bit_size * mem.bit_size / 8;
                    mem.bitfield_offset =
                        mem.bit_offset.wrapping_sub(mem.byte_offset.wrapping_mul(8)) as i8;
                    if mem.bitfield_offset < 0 {
                        mem.bitfield_offset = mem.bitfield_offset.wrapping_add(mem.bit_size as i8);
                        mem.byte_offset = mem.byte_offset.wrapping_sub(size as u32);
                        mem.bit_offset = mem
                            .byte_offset
                            .wrapping_mul(8)
                            .wrapping_add(mem.bitfield_offset as i32 as u32);
                    }
                } else {
                    mem.byte_offset = mem.bit_offset / 8;
                }
            }
            mem.alignment = Self::infer_alignment(mem.byte_offset, natural, smallest);
            smallest = mem.byte_offset.wrapping_add(size as u32);
        }
        let id = self.classes[c].id;
        let natural = self.natural_alignment(Some(id)) as u32;
        self.classes[c].alignment = Self::infer_alignment(self.classes[c].size, natural, smallest);
    }

    /// Holes, bit holes and padding of a struct (unions have none).
    pub(crate) fn find_holes(&mut self, c: usize) {
        let class = &self.classes[c];
        if class.is_union || class.holes_searched {
            return;
        }
        let size = class.size;
        let mut cur_bitfield_end = size.wrapping_mul(8);
        let mut cur_bitfield_size = 0u32;
        let mut last_seen_bit = 0u32;
        let mut in_bitfield = false;
        let mut last: Option<usize> = None;
        let (mut nr_holes, mut nr_bit_holes) = (0u8, 0u8);
        let (mut pre_hole, mut pre_bit_hole) = (0u16, 0u8);
        for m in self.members_of(c) {
            self.members[m].hole = 0;
            self.members[m].bit_hole = 0;
            let pos = &self.members[m];
            let bit_start = pos.bit_offset;
            let bit_end = if pos.bitfield_size != 0 {
                bit_start.wrapping_add(pos.bitfield_size as u32)
            } else {
                bit_start.wrapping_add((pos.byte_size as u32).wrapping_mul(8))
            };
            let mut bit_holes: i32 = 0;
            let mut byte_holes: i32 = 0;
            if in_bitfield {
                let bitfield_end = bit_start.min(cur_bitfield_end);
                bit_holes = bitfield_end.wrapping_sub(last_seen_bit) as i32;
                last_seen_bit = bitfield_end;
            }
            if pos.bitfield_size != 0 {
                let aligned_start = pos.byte_offset.wrapping_mul(8);
                if last_seen_bit < aligned_start && aligned_start <= bit_start {
                    byte_holes = pos.byte_offset.wrapping_sub(last_seen_bit / 8) as i32;
                    last_seen_bit = aligned_start;
                }
                bit_holes = bit_holes.wrapping_add(bit_start.wrapping_sub(last_seen_bit) as i32);
            } else {
                byte_holes = (bit_start / 8).wrapping_sub(last_seen_bit / 8) as i32;
            }
            last_seen_bit = bit_end;
            if pos.bitfield_size != 0 {
                in_bitfield = true;
                if bit_end > cur_bitfield_end || pos.bit_size > cur_bitfield_size {
                    cur_bitfield_size = pos.bit_size;
                    cur_bitfield_end = pos
                        .byte_offset
                        .wrapping_mul(8)
                        .wrapping_add(cur_bitfield_size);
                    if bit_end > cur_bitfield_end {
                        cur_bitfield_end = cur_bitfield_end.wrapping_add(cur_bitfield_size);
                    }
                }
            } else {
                in_bitfield = false;
                cur_bitfield_size = 0;
                cur_bitfield_end = bit_end;
            }
            match last {
                Some(l) => {
                    self.members[l].hole = byte_holes;
                    self.members[l].bit_hole = bit_holes as u8;
                }
                None => {
                    pre_hole = byte_holes as u16;
                    pre_bit_hole = bit_holes as u8;
                }
            }
            if bit_holes != 0 {
                nr_bit_holes = nr_bit_holes.wrapping_add(1);
            }
            if byte_holes > 0 {
                nr_holes = nr_holes.wrapping_add(1);
            }
            last = Some(m);
        }
        let bit_padding = if in_bitfield {
            let bitfield_end = size.wrapping_mul(8).min(cur_bitfield_end);
            let p = bitfield_end.wrapping_sub(last_seen_bit) as u8;
            last_seen_bit = bitfield_end;
            p
        } else {
            0
        };
        let class = &mut self.classes[c];
        class.nr_holes = nr_holes;
        class.nr_bit_holes = nr_bit_holes;
        class.pre_hole = pre_hole;
        class.pre_bit_hole = pre_bit_hole;
        class.bit_padding = bit_padding;
        class.padding = size.wrapping_sub(last_seen_bit / 8) as u16;
        class.holes_searched = true;
    }

    /// The struct ends in an array of no elements.
    pub(crate) fn has_flexible_array(&mut self, c: usize) -> bool {
        if let Some(f) = self.classes[c].flex {
            return f;
        }
        let r = self.members_of(c);
        let f = r.end > r.start
            && matches!(
                self.tag(self.members[r.end - 1].type_id),
                Tag::Array { nelems: 0, .. }
            );
        self.classes[c].flex = Some(f);
        f
    }

    /// Some struct member (through typedefs) ends in a flexible array, or
    /// holds one further down.
    pub(crate) fn has_embedded_flexible_array(&mut self, c: usize) -> bool {
        if self.classes[c].is_union {
            return false;
        }
        if let Some(f) = self.classes[c].embedded_flex {
            return f;
        }
        let mut found = false;
        for m in self.members_of(c) {
            let Some(t) = self.strip(self.members[m].type_id) else {
                continue;
            };
            let Some(mc) = self.class_of(t).filter(|&mc| !self.classes[mc].is_union) else {
                continue;
            };
            found = self.has_flexible_array(mc);
            if found {
                break;
            }
            if mc == c {
                continue;
            }
            found = self.has_embedded_flexible_array(mc);
            if found {
                break;
            }
        }
        self.classes[c].embedded_flex = Some(found);
        found
    }

    /// Marks as packed the struct type of each member of class `c` whose
    /// natural alignment does not divide `at(model, member)`.
    fn mark_struct_members_packed(&mut self, c: usize, at: impl Fn(&Self, usize) -> u64) {
        for m in self.members_of(c) {
            let Some(t) = self.strip(self.members[m].type_id) else {
                continue;
            };
            if !self.is_struct(t) {
                continue;
            }
            let natural = self.natural_alignment(Some(t));
            if !at(self, m).is_multiple_of(natural) {
                let mc = self.class_of(t).unwrap();
                self.classes[mc].is_packed = true;
                self.classes[mc].packed_inferred = true;
            }
        }
    }

    /// Marks the struct types of members placed at offsets their natural
    /// alignment does not allow as packed.
    fn mark_unnaturally_placed(&mut self, c: usize) {
        self.mark_struct_members_packed(c, |model, m| model.members[m].byte_offset as u64);
    }

    /// Whether pahole believes the struct was declared packed.
    pub(crate) fn infer_packed(&mut self, c: usize) -> bool {
        if self.classes[c].is_union {
            return false;
        }
        if self.classes[c].packed_inferred {
            return self.classes[c].is_packed;
        }
        self.find_holes(c);
        let class = &self.classes[c];
        if class.padding != 0 || class.nr_holes != 0 {
            self.mark_unnaturally_placed(c);
            self.classes[c].is_packed = false;
        } else {
            let mut max_natural: u16 = 1;
            let mut packed = false;
            for m in self.members_of(c) {
                let t = self.strip(self.members[m].type_id);
                let natural = self.natural_alignment(t);
                if natural == 1 {
                    continue;
                }
                if (max_natural as u64) < natural {
                    max_natural = natural as u16;
                }
                if !(self.members[m].byte_offset as u64).is_multiple_of(natural) {
                    packed = true;
                    break;
                }
            }
            let class = &mut self.classes[c];
            if packed
                || (max_natural != 1 && class.alignment == 1)
                || !class.size.is_multiple_of(max_natural as u32)
            {
                class.is_packed = true;
            }
        }
        self.classes[c].packed_inferred = true;
        self.classes[c].is_packed
    }

    /// A union whose size is not a multiple of a member struct's alignment
    /// makes that struct packed.
    pub(crate) fn infer_union_packed(&mut self, c: usize) {
        if self.classes[c].packed_inferred {
            return;
        }
        let size = self.classes[c].size as u64;
        self.mark_struct_members_packed(c, |_, _| size);
        self.classes[c].packed_inferred = true;
    }

    /// Where type `id`'s record starts, for error messages.
    fn record_offset(&self, id: TypeId) -> u64 {
        let mut btf = self.btf;
        while id < btf.start_id() {
            match btf.base() {
                Some(b) => btf = b,
                None => return 0,
            }
        }
        let idx = (id - btf.start_id()) as usize;
        btf.header().types_start() as u64
            + btf.record_offsets().get(idx).copied().unwrap_or(0) as u64
    }

    /// The ids a type's layout or name depends on, and how: `value` edges
    /// are followed to compute sizes and alignments and to print anonymous
    /// types inline; `name` edges to spell a type's name.
    fn edges(&self, id: TypeId, value: bool, out: &mut Vec<TypeId>) {
        out.clear();
        let anonymous = |t: TypeId| {
            let mut t = t;
            while let Tag::Annotation(n) = self.tag(t) {
                if n == t {
                    break;
                }
                t = n;
            }
            matches!(self.tag(t), Tag::Class(_) | Tag::Enum { .. }) && !self.has_name(t)
        };
        match self.tag(id) {
            Tag::Typedef(t) if value => out.push(t),
            Tag::Const(t) | Tag::Volatile(t) | Tag::Restrict(t) | Tag::Annotation(t) => out.push(t),
            Tag::Array { elem, .. } => out.push(elem),
            Tag::Ptr(t) if !value || anonymous(t) => out.push(t),
            Tag::Class(c) if value => {
                out.extend(self.members_of(c as usize).map(|m| self.members[m].type_id));
            }
            Tag::Proto if !value => {
                if let Some(t) = self.btf.type_by_id(id) {
                    out.push(t.size_or_type());
                    out.extend(t.params().map(|p| p.type_id));
                }
            }
            _ => {}
        }
        out.retain(|&t| t != 0);
    }

    /// Refuses cycles (a typedef of itself, a struct holding itself, a
    /// function prototype taking a pointer to itself…), nesting deeper than
    /// [`MAX_DEPTH`] and anonymous types that expand past [`MAX_EXPANSION`]
    /// lines, with the offset of a type record on the cycle.
    fn check_graphs(&self) -> Result<()> {
        for value in [true, false] {
            let n = self.tags.len();
            // 0: unseen, 1: on the stack, 2: done
            let mut state = vec![0u8; n];
            let mut depth = vec![0u32; n];
            let mut cost = vec![0u64; n];
            // (id, where its kids start in `kids`, next kid to visit)
            let mut stack: Vec<(TypeId, usize, usize)> = Vec::new();
            let mut kids: Vec<TypeId> = Vec::new();
            let mut scratch = Vec::new();
            for root in 1..n as TypeId {
                if state[root as usize] != 0 {
                    continue;
                }
                self.edges(root, value, &mut scratch);
                state[root as usize] = 1;
                stack.push((root, kids.len(), kids.len()));
                kids.extend_from_slice(&scratch);
                while let Some(&mut (id, start, ref mut next)) = stack.last_mut() {
                    if *next < kids.len() {
                        let k = kids[*next];
                        *next += 1;
                        match state.get(k as usize) {
                            Some(0) => {
                                state[k as usize] = 1;
                                self.edges(k, value, &mut scratch);
                                stack.push((k, kids.len(), kids.len()));
                                kids.extend_from_slice(&scratch);
                            }
                            Some(1) => {
                                return Err(Error::at(
                                    ErrorKind::BadType,
                                    self.record_offset(k),
                                    format!(
                                        "type [{k}] refers back to itself through [{id}]: \
                                         its layout or name would never end"
                                    ),
                                ));
                            }
                            _ => {}
                        }
                        continue;
                    }
                    let (mut d, mut c) = (0u32, 1u64);
                    for &k in &kids[start..] {
                        if let Some(&kd) = depth.get(k as usize) {
                            d = d.max(kd + 1);
                            c = c.saturating_add(cost[k as usize]);
                        }
                    }
                    kids.truncate(start);
                    stack.pop();
                    if d > MAX_DEPTH {
                        return Err(Error::at(
                            ErrorKind::Limit,
                            self.record_offset(id),
                            format!("type [{id}] nests types more than {MAX_DEPTH} deep"),
                        ));
                    }
                    let named = self.has_name(id);
                    if let Tag::Enum { .. } = self.tag(id) {
                        c = c
                            .saturating_add(self.btf.type_by_id(id).map_or(0, |t| t.vlen() as u64));
                    }
                    let limit = if value { MAX_EXPANSION } else { MAX_NAME_PARTS };
                    if c > limit {
                        return Err(Error::at(
                            ErrorKind::Limit,
                            self.record_offset(id),
                            format!(
                                "type [{id}] expands to more than {limit} {}",
                                if value {
                                    "lines of layout"
                                } else {
                                    "parts of its name"
                                }
                            ),
                        ));
                    }
                    depth[id as usize] = d;
                    // A named struct, union or enum is printed by name where it is used.
                    let by_name =
                        value && named && matches!(self.tag(id), Tag::Class(_) | Tag::Enum { .. });
                    cost[id as usize] = if by_name { 1 } else { c };
                    state[id as usize] = 2;
                }
            }
        }
        Ok(())
    }
}
