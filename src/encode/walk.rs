//! DWARF walking: one compilation unit into an [`ir::Cu`], following the
//! order and rules of pahole 1.30's DWARF loader (dwarf_loader.c):
//!
//! - a type is numbered when it has been fully read, so types nested in a
//!   struct or function come before it;
//! - `DW_TAG_unspecified_type` is void and takes no id;
//! - a pointer's `btf_type_tag` annotations become TYPE_TAGs numbered
//!   before the pointer, chained last-to-first down to the pointee;
//! - functions and variables are kept with their abstract origins and
//!   specifications followed afterwards.
//!
//! Where pahole aborts (`_Atomic`, C++ references, pointers to members,
//! Fortran strings) we degrade that one type and record a warning.

// gimli's DW_* constants are lower-case-named statics used as patterns.
#![allow(non_upper_case_globals)]

use gimli::constants::*;
use gimli::{AttributeValue, EndianSlice, Reader, RunTimeEndian};

use super::ir::{Cu, DeclTag, Func, LazyName, LocalId, Member, Name, Param, Span, Ty, Var};
use super::Features;
use crate::error::{Error, ErrorKind, Result};

pub type R<'a> = EndianSlice<'a, RunTimeEndian>;
pub type Dwarf<'a> = gimli::Dwarf<R<'a>>;
type Unit<'a> = gimli::Unit<R<'a>>;
type Entries<'u, 'a> = gimli::EntriesRaw<'u, 'u, R<'a>>;

const DW_TAG_LLVM_ANNOTATION: DwTag = DwTag(0x6000);

/// Raw references name a DIE (unit offset + 1, 0 for none); those with this
/// bit are already local ids (the type-tag chains the walk builds itself).
const LOCAL: u32 = 1 << 31;

/// What does not change from one CU to the next.
pub struct Context<'a> {
    pub dwarf: &'a Dwarf<'a>,
    pub features: Features,
    pub little_endian: bool,
    pub addr_size: u64,
    /// DWARF register numbers of the integer argument registers, in order.
    pub arg_regs: &'static [u16],
    /// `DW_AT_language` values whose CUs are skipped.
    pub lang_exclude: Vec<u16>,
    /// File offset of `.debug_info`, for error messages.
    pub debug_info_at: u64,
}

/// The calling convention's argument registers as DWARF register numbers,
/// for the architectures pahole knows (others check none).
pub fn arg_registers(machine: u16) -> &'static [u16] {
    match machine {
        62 => &[5, 4, 1, 2, 8, 9],             // x86-64: rdi rsi rdx rcx r8 r9
        22 => &[2, 3, 4, 5, 6],                // s390x: r2-r6
        40 | 183 => &[0, 1, 2, 3, 4, 5, 6, 7], // arm, aarch64: r0-r7 / x0-x7
        _ => &[],
    }
}

/// The attributes of one DIE that the encoder looks at.
struct Die<'a> {
    offset: u32,
    tag: DwTag,
    has_children: bool,
    name: Option<LazyName<'a>>,
    ty: u32,
    byte_size: Option<u64>,
    encoding: u64,
    declaration: bool,
    external: bool,
    artificial: bool,
    member_location: Option<u64>,
    data_bit_offset: Option<u64>,
    bit_offset: u64,
    bit_size: u64,
    upper_bound: Option<Option<u64>>,
    count: Option<Option<u64>>,
    const_value: Option<AttributeValue<R<'a>>>,
    location: Option<AttributeValue<R<'a>>>,
    abstract_origin: u32,
    specification: u32,
    language: u16,
}

impl Default for Die<'_> {
    fn default() -> Self {
        Die {
            offset: 0,
            tag: DwTag(0),
            has_children: false,
            name: None,
            ty: 0,
            byte_size: None,
            encoding: 0,
            declaration: false,
            external: false,
            artificial: false,
            member_location: None,
            data_bit_offset: None,
            bit_offset: 0,
            bit_size: 0,
            upper_bound: None,
            count: None,
            const_value: None,
            location: None,
            abstract_origin: 0,
            specification: 0,
            language: 0,
        }
    }
}

impl<'a> Die<'a> {
    fn name(&self) -> Option<Name<'a>> {
        self.name.map(LazyName::bytes)
    }
}

/// How a referenced DIE resolves.
#[derive(Clone, Copy)]
enum Target {
    Id(LocalId),
    /// A type with no BTF of its own, standing for the one it refers to
    /// (raw reference).
    Alias(u32),
}

/// A parameter before abstract origins are followed.
struct RawParam<'a> {
    offset: u32,
    name: Option<Name<'a>>,
    ty: u32,
    abstract_origin: u32,
    unexpected_reg: bool,
}

struct RawFunc<'a> {
    offset: u32,
    name: Option<Name<'a>>,
    declaration: bool,
    ret: u32,
    abstract_origin: u32,
    specification: u32,
    params: Vec<RawParam<'a>>,
    varargs: bool,
    tags: Vec<DeclTag<'a>>,
}

struct RawVar<'a> {
    offset: u32,
    name: Option<Name<'a>>,
    ty: u32,
    external: bool,
    declaration: bool,
    top_level: bool,
    artificial: bool,
    specification: u32,
    addr: Option<u64>,
    tags: Vec<DeclTag<'a>>,
}

/// A bitfield whose bit offset needs its base type's size (DWARF 2-4).
struct BitfieldFixup {
    ty_index: usize,
    member: usize,
    byte_offset: u64,
    dw_bit_offset: u64,
    byte_size: u64,
}

struct Walker<'a, 'u> {
    ctx: &'u Context<'a>,
    unit: &'u Unit<'a>,
    entries: Entries<'u, 'a>,
    types: Vec<Ty<'a>>,
    /// DIE offset of each type (parallel to `types`).
    targets: Vec<(u32, Target)>,
    enum_bases: Vec<(usize, u32)>,
    fixups: Vec<BitfieldFixup>,
    funcs: Vec<RawFunc<'a>>,
    vars: Vec<RawVar<'a>>,
    type_tags: Vec<(LocalId, DeclTag<'a>)>,
    warnings: Vec<String>,
    members: Runs<Member<'a>>,
    values: Runs<(LazyName<'a>, u64)>,
    params: Runs<(LazyName<'a>, LocalId)>,
}

/// One of a CU's lists of members, enumerators or parameters, which each
/// type has a run of. Runs nest (a struct's children can define more
/// structs), so items go to a stack first and a type's run moves to the
/// list in one piece when the type is done.
struct Runs<T> {
    stack: Vec<T>,
    list: Vec<T>,
}

impl<T> Runs<T> {
    fn new() -> Self {
        Runs {
            stack: Vec::new(),
            list: Vec::new(),
        }
    }

    /// Where a run starts on the stack.
    fn open(&self) -> usize {
        self.stack.len()
    }

    fn push(&mut self, item: T) {
        self.stack.push(item);
    }

    /// Items pushed since `mark`.
    fn len_since(&self, mark: usize) -> usize {
        self.stack.len() - mark
    }

    /// Moves the run opened at `mark` to the list.
    fn close(&mut self, mark: usize) -> Span {
        let start = self.list.len() as u32;
        self.list.extend(self.stack.drain(mark..));
        Span {
            start,
            len: self.list.len() as u32 - start,
        }
    }
}

/// What processing one DIE produced, for its parent to file.
enum Made<'a> {
    Type(Ty<'a>),
    Alias(u32),
    Func(RawFunc<'a>),
    Var(RawVar<'a>),
    Nothing,
}

/// Decodes the unit at `header`; `None` for units pahole does not encode
/// (type, partial and skeleton units, excluded languages).
pub fn decode_unit<'a>(
    ctx: &Context<'a>,
    header: gimli::UnitHeader<R<'a>>,
) -> Result<Option<Cu<'a>>> {
    let unit_at = header
        .offset()
        .as_debug_info_offset()
        .map_or(0, |o| o.0 as u64);
    let wrap = |e: gimli::Error, at: u64| {
        Error::at(
            ErrorKind::BadContainer,
            ctx.debug_info_at + at,
            format!("DWARF: {e} (in the unit at .debug_info+{unit_at:#x})"),
        )
    };
    if header.unit_length() > (LOCAL as usize) - 2 {
        return Err(wrap(gimli::Error::OffsetOutOfBounds, unit_at));
    }
    let unit = ctx.dwarf.unit(header).map_err(|e| wrap(e, unit_at))?;
    let entries = unit.entries_raw(None).map_err(|e| wrap(e, unit_at))?;
    let mut w = Walker {
        ctx,
        unit: &unit,
        entries,
        types: Vec::new(),
        targets: Vec::new(),
        enum_bases: Vec::new(),
        fixups: Vec::new(),
        funcs: Vec::new(),
        vars: Vec::new(),
        type_tags: Vec::new(),
        warnings: Vec::new(),
        members: Runs::new(),
        values: Runs::new(),
        params: Runs::new(),
    };
    let result = w.walk_unit();
    let at = w.entries.next_offset().0 as u64 + unit_at;
    match result {
        Ok(Some(name)) => Ok(Some(w.finish(name))),
        Ok(None) => Ok(None),
        Err(e) => Err(wrap(e, at)),
    }
}

type WResult<T> = std::result::Result<T, gimli::Error>;

fn udata(v: &AttributeValue<R<'_>>) -> Option<u64> {
    Some(match *v {
        AttributeValue::Data1(x) => x as u64,
        AttributeValue::Data2(x) => x as u64,
        AttributeValue::Data4(x) => x as u64,
        AttributeValue::Data8(x) => x,
        AttributeValue::Udata(x) => x,
        AttributeValue::Sdata(x) => x as u64,
        _ => return None,
    })
}

impl<'a, 'u> Walker<'a, 'u> {
    fn warn(&mut self, msg: String) {
        if self.warnings.len() < 100 {
            self.warnings.push(msg);
        }
    }

    /// Reads the next DIE among the current siblings into `die` (in place:
    /// a DIE is 200 bytes, and there are tens of millions); false at their
    /// end.
    fn next_die(&mut self, die: &mut Die<'a>) -> WResult<bool> {
        self.next_die_unread(die, |_| false)
    }

    /// [`next_die`](Self::next_die) where DIEs whose tag is `unread` come back
    /// with only their offset, tag and children flag: most DIEs of function
    /// bodies are never looked at, and decoding their attributes (names
    /// above all) was most of the walk.
    fn next_die_unread(
        &mut self,
        die: &mut Die<'a>,
        unread: impl Fn(DwTag) -> bool,
    ) -> WResult<bool> {
        if self.entries.is_empty() {
            return Ok(false);
        }
        let offset = self.entries.next_offset().0 as u32;
        let Some(abbrev) = self.entries.read_abbreviation()? else {
            return Ok(false);
        };
        *die = Die {
            offset,
            tag: abbrev.tag(),
            has_children: abbrev.has_children(),
            ..Die::default()
        };
        if unread(die.tag) {
            self.entries.skip_attributes(abbrev.attributes())?;
            return Ok(true);
        }
        for spec in abbrev.attributes() {
            if !read_value(spec.name(), die.tag) {
                // Unparsed: most attributes (source lines, siblings) are
                // not wanted, and a flag is set by being present.
                self.entries.skip_attributes(std::slice::from_ref(spec))?;
                match spec.name() {
                    DW_AT_declaration => die.declaration = true,
                    DW_AT_external => die.external = true,
                    DW_AT_artificial => die.artificial = true,
                    _ => {}
                }
                continue;
            }
            let attr = self.entries.read_attribute(*spec)?;
            if attr.name() == DW_AT_location {
                // Normalized: a location list offset, whatever its form.
                die.location = Some(attr.value());
                continue;
            }
            let v = attr.raw_value();
            match attr.name() {
                DW_AT_name => die.name = self.lazy_string(v),
                DW_AT_type => die.ty = self.reference(&v),
                DW_AT_byte_size => die.byte_size = udata(&v),
                DW_AT_encoding => die.encoding = udata(&v).unwrap_or(0),
                DW_AT_data_member_location => die.member_location = Some(member_offset(&v)),
                DW_AT_data_bit_offset => die.data_bit_offset = udata(&v),
                DW_AT_bit_offset => die.bit_offset = udata(&v).unwrap_or(0),
                DW_AT_bit_size => die.bit_size = udata(&v).unwrap_or(0),
                DW_AT_upper_bound => die.upper_bound = Some(udata(&v)),
                DW_AT_count => die.count = Some(udata(&v)),
                DW_AT_const_value => die.const_value = Some(v),
                DW_AT_abstract_origin => die.abstract_origin = self.reference(&v),
                DW_AT_specification => die.specification = self.reference(&v),
                DW_AT_language => die.language = udata(&v).unwrap_or(0) as u16,
                _ => {}
            }
        }
        Ok(true)
    }

    fn string(&self, v: AttributeValue<R<'a>>) -> Option<Name<'a>> {
        self.lazy_string(v).map(LazyName::bytes)
    }

    /// [`string`](Self::string), its end looked for only when read.
    fn lazy_string(&self, v: AttributeValue<R<'a>>) -> Option<LazyName<'a>> {
        if let AttributeValue::DebugStrRef(at) = v {
            let section = gimli::Section::reader(&self.ctx.dwarf.debug_str).slice();
            // A section ending with a NUL holds the NUL of every string
            // in it, so the end can be looked for later.
            if section.last() == Some(&0) {
                return section
                    .get(at.0..)
                    .filter(|rest| !rest.is_empty())
                    .map(LazyName::until_nul);
            }
        }
        self.ctx
            .dwarf
            .attr_string(self.unit, v)
            .ok()
            .map(|s| LazyName::from(s.slice()))
    }

    /// A reference within this unit, as a raw reference.
    fn reference(&self, v: &AttributeValue<R<'a>>) -> u32 {
        let off = match *v {
            AttributeValue::UnitRef(o) => Some(o),
            AttributeValue::DebugInfoRef(o) => o.to_unit_offset(&self.unit.header),
            _ => None,
        };
        // A reference past the unit is to no DIE of it: void, as any
        // unknown DIE. The rest fit below LOCAL (the unit length was
        // checked against it), so they never pass for local ids.
        off.filter(|o| o.0 < self.unit.header.length_including_self())
            .map_or(0, |o| o.0 as u32 + 1)
    }

    /// Skips the children of a DIE we do not look into, and theirs,
    /// without decoding their attributes.
    fn skip_children(&mut self, die: &Die<'a>) -> WResult<()> {
        let mut depth = usize::from(die.has_children);
        while depth > 0 && !self.entries.is_empty() {
            match self.entries.read_abbreviation()? {
                Some(abbrev) => {
                    self.entries.skip_attributes(abbrev.attributes())?;
                    depth += usize::from(abbrev.has_children());
                }
                None => depth -= 1,
            }
        }
        Ok(())
    }

    fn add_type(&mut self, offset: u32, ty: Ty<'a>) -> LocalId {
        self.types.push(ty);
        let id = self.types.len() as LocalId;
        self.targets.push((offset, Target::Id(id)));
        id
    }

    /// Files what processing a DIE made into the CU's tables.
    fn file(&mut self, offset: u32, made: Made<'a>) {
        match made {
            Made::Type(ty) => {
                self.add_type(offset, ty);
            }
            Made::Alias(to) => self.targets.push((offset, Target::Alias(to))),
            Made::Func(f) => self.funcs.push(f),
            Made::Var(v) => self.vars.push(v),
            Made::Nothing => {}
        }
    }

    /// Walks the CU DIE; returns its name, or `None` if the unit is skipped.
    fn walk_unit(&mut self) -> WResult<Option<Name<'a>>> {
        let mut cu = Die::default();
        if !self.next_die(&mut cu)? {
            return Ok(None);
        }
        if cu.tag != DW_TAG_compile_unit || self.ctx.lang_exclude.contains(&cu.language) {
            return Ok(None);
        }
        if cu.has_children {
            let mut die = Die::default();
            while self.next_die(&mut die)? {
                let made = self.process(&die, true)?;
                self.file(die.offset, made);
            }
        }
        Ok(Some(cu.name().unwrap_or(b"")))
    }

    /// Processes one DIE and its children, as pahole's `__die__process_tag`.
    fn process(&mut self, die: &Die<'a>, top_level: bool) -> WResult<Made<'a>> {
        let made = match die.tag {
            DW_TAG_base_type => Made::Type(Ty::Base {
                name: die.name().unwrap_or(b""),
                byte_size: die.byte_size.unwrap_or(0),
                encoding: die.encoding as u8,
            }),
            DW_TAG_const_type => Made::Type(Ty::Const(die.ty)),
            DW_TAG_volatile_type => Made::Type(Ty::Volatile(die.ty)),
            DW_TAG_restrict_type => Made::Type(Ty::Restrict(die.ty)),
            DW_TAG_typedef => {
                let tags = self.annotations(die, -1)?;
                return Ok(self.typedef(die, tags));
            }
            DW_TAG_pointer_type => return self.pointer(die),
            DW_TAG_array_type => return self.array(die),
            DW_TAG_enumeration_type => return self.enumeration(die),
            DW_TAG_structure_type | DW_TAG_class_type | DW_TAG_union_type => {
                return self.structure(die)
            }
            DW_TAG_subroutine_type => return self.subroutine_type(die),
            DW_TAG_subprogram => return self.subprogram(die).map(Made::Func),
            DW_TAG_variable => {
                let tags = self.annotations(die, -1)?;
                return Ok(Made::Var(self.variable(die, top_level, tags)));
            }
            DW_TAG_namespace => {
                if die.has_children {
                    let mut child = Die::default();
                    while self.next_die(&mut child)? {
                        let made = self.process(&child, false)?;
                        self.file(child.offset, made);
                    }
                }
                return Ok(Made::Nothing);
            }
            DW_TAG_unspecified_type => Made::Alias(0),
            DW_TAG_atomic_type => {
                self.warn(format!(
                    "_Atomic at {:#x} encoded as the type it qualifies",
                    die.offset
                ));
                Made::Alias(die.ty)
            }
            DW_TAG_reference_type | DW_TAG_rvalue_reference_type => {
                self.warn(format!(
                    "C++ reference at {:#x} encoded as a pointer",
                    die.offset
                ));
                Made::Type(Ty::Ptr(die.ty))
            }
            DW_TAG_ptr_to_member_type | DW_TAG_string_type | DW_TAG_interface_type => {
                self.warn(format!(
                    "{} at {:#x} has no BTF form; encoded as void",
                    die.tag, die.offset
                ));
                Made::Alias(0)
            }
            _ => Made::Nothing,
        };
        self.skip_children(die)?;
        Ok(made)
    }

    fn typedef(&mut self, die: &Die<'a>, tags: Vec<DeclTag<'a>>) -> Made<'a> {
        if !tags.is_empty() {
            // Numbered by the parent right after this returns.
            let id = self.types.len() as LocalId + 1;
            self.type_tags.extend(tags.into_iter().map(|t| (id, t)));
        }
        Made::Type(Ty::Typedef(die.name().unwrap_or(b""), die.ty))
    }

    /// `btf_decl_tag` annotations among the children of `die`, consuming
    /// them. Only for DIEs whose other children do not matter.
    fn annotations(&mut self, die: &Die<'a>, component: i32) -> WResult<Vec<DeclTag<'a>>> {
        let mut tags = Vec::new();
        if die.has_children {
            let mut child = Die::default();
            while self.next_die(&mut child)? {
                self.annotation(&child, component, &mut tags);
                self.skip_children(&child)?;
            }
        }
        Ok(tags)
    }

    /// Adds `die` to `tags` if it is a `btf_decl_tag` annotation and decl
    /// tags are wanted.
    fn annotation(&self, die: &Die<'a>, component: i32, tags: &mut Vec<DeclTag<'a>>) {
        if die.tag != DW_TAG_LLVM_ANNOTATION || !self.ctx.features.decl_tag {
            return;
        }
        if die.name() == Some(b"btf_decl_tag") {
            if let Some(value) = die.const_value.and_then(|v| self.string(v)) {
                tags.push(DeclTag { value, component });
            }
        }
    }

    fn pointer(&mut self, die: &Die<'a>) -> WResult<Made<'a>> {
        let mut chain: Vec<LocalId> = Vec::new();
        if die.has_children {
            let mut child = Die::default();
            while self.next_die(&mut child)? {
                if child.tag == DW_TAG_LLVM_ANNOTATION
                    && self.ctx.features.type_tag
                    && child.name() == Some(b"btf_type_tag")
                {
                    let value = child
                        .const_value
                        .and_then(|v| self.string(v))
                        .unwrap_or(b"");
                    chain.push(self.add_type(child.offset, Ty::TypeTag(value, 0)));
                }
                self.skip_children(&child)?;
            }
        }
        // pointer -> tagN -> ... -> tag1 -> pointee
        let mut next = die.ty;
        for &id in &chain {
            if let Ty::TypeTag(_, to) = &mut self.types[id as usize - 1] {
                *to = next;
            }
            next = id | LOCAL;
        }
        Ok(Made::Type(Ty::Ptr(next)))
    }

    fn array(&mut self, die: &Die<'a>) -> WResult<Made<'a>> {
        let mut nelems: u32 = 1;
        let mut dims = 0;
        if die.has_children {
            let mut child = Die::default();
            while self.next_die(&mut child)? {
                if child.tag == DW_TAG_subrange_type && dims < 64 {
                    // pahole keeps each dimension in a u32 and multiplies.
                    let n = match (child.upper_bound, child.count) {
                        (Some(ub), _) => ub.map_or(0, |u| u.wrapping_add(1)),
                        (None, Some(c)) => c.unwrap_or(0),
                        (None, None) => 0,
                    };
                    nelems = nelems.wrapping_mul(n as u32);
                    dims += 1;
                }
                self.skip_children(&child)?;
            }
        }
        Ok(Made::Type(Ty::Array {
            elem: die.ty,
            nelems,
        }))
    }

    fn enumeration(&mut self, die: &Die<'a>) -> WResult<Made<'a>> {
        let mark = self.values.open();
        if die.has_children {
            let mut child = Die::default();
            while self.next_die(&mut child)? {
                if child.tag == DW_TAG_enumerator {
                    let v = child.const_value.as_ref().and_then(udata).unwrap_or(0);
                    self.values.push((child.name.unwrap_or(LazyName::EMPTY), v));
                }
                self.skip_children(&child)?;
            }
        }
        let values = self.values.close(mark);
        if die.ty != 0 {
            // Signedness comes from the underlying type, resolved later.
            self.enum_bases.push((self.types.len(), die.ty));
        }
        Ok(Made::Type(Ty::Enum {
            name: die.name().unwrap_or(b""),
            size: match die.byte_size {
                Some(0) | None => 4,
                Some(s) => s,
            },
            signed: false,
            values,
        }))
    }

    fn structure(&mut self, die: &Die<'a>) -> WResult<Made<'a>> {
        let union = die.tag == DW_TAG_union_type;
        let mark = self.members.open();
        let mut tags = Vec::new();
        let mut fixups = Vec::new();
        let mut member_idx = 0;
        if die.has_children {
            let mut child = Die::default();
            while self.next_die(&mut child)? {
                match child.tag {
                    DW_TAG_member | DW_TAG_inheritance => {
                        let member_tags = self.annotations(&child, member_idx)?;
                        tags.extend(member_tags);
                        member_idx += 1;
                        // Static members (C++) have no location outside unions.
                        if child.member_location.is_none()
                            && child.data_bit_offset.is_none()
                            && !union
                        {
                            continue;
                        }
                        let byte_offset = child.member_location.unwrap_or(0);
                        let bit_offset = match child.data_bit_offset {
                            Some(b) => b,
                            None => {
                                if child.bit_size != 0 {
                                    fixups.push(BitfieldFixup {
                                        ty_index: 0,
                                        member: self.members.len_since(mark),
                                        byte_offset,
                                        dw_bit_offset: child.bit_offset,
                                        byte_size: child.byte_size.unwrap_or(0),
                                    });
                                }
                                byte_offset.wrapping_mul(8)
                            }
                        };
                        self.members.push(Member {
                            name: child.name.unwrap_or(LazyName::EMPTY),
                            ty: child.ty,
                            bit_offset,
                            bitfield_size: child.bit_size,
                        });
                    }
                    DW_TAG_LLVM_ANNOTATION => {
                        self.annotation(&child, -1, &mut tags);
                        self.skip_children(&child)?;
                    }
                    DW_TAG_subrange_type
                    | DW_TAG_variant_part
                    | DW_TAG_template_type_parameter
                    | DW_TAG_template_value_parameter => self.skip_children(&child)?,
                    _ => {
                        let made = self.process(&child, false)?;
                        self.file(child.offset, made);
                    }
                }
            }
        }
        let members = self.members.close(mark);
        // This type is numbered next.
        let index = self.types.len();
        for mut f in fixups {
            f.ty_index = index;
            self.fixups.push(f);
        }
        let id = index as LocalId + 1;
        self.type_tags.extend(tags.into_iter().map(|t| (id, t)));
        Ok(Made::Type(Ty::Struct {
            union,
            name: die.name().unwrap_or(b""),
            size: die.byte_size.unwrap_or(0),
            declaration: die.declaration,
            members,
        }))
    }

    fn subroutine_type(&mut self, die: &Die<'a>) -> WResult<Made<'a>> {
        let mark = self.params.open();
        let mut varargs = false;
        if die.has_children {
            let mut child = Die::default();
            while self.next_die(&mut child)? {
                match child.tag {
                    DW_TAG_formal_parameter => {
                        self.params
                            .push((child.name.unwrap_or(LazyName::EMPTY), child.ty));
                        self.skip_children(&child)?;
                    }
                    DW_TAG_unspecified_parameters => {
                        varargs = true;
                        self.skip_children(&child)?;
                    }
                    DW_TAG_subrange_type => self.skip_children(&child)?,
                    _ => {
                        let made = self.process(&child, false)?;
                        self.file(child.offset, made);
                    }
                }
            }
        }
        Ok(Made::Type(Ty::Proto {
            ret: die.ty,
            params: self.params.close(mark),
            varargs,
        }))
    }

    fn subprogram(&mut self, die: &Die<'a>) -> WResult<RawFunc<'a>> {
        let mut f = RawFunc {
            offset: die.offset,
            name: die.name(),
            declaration: die.declaration,
            ret: die.ty,
            abstract_origin: die.abstract_origin,
            specification: die.specification,
            params: Vec::new(),
            varargs: false,
            tags: Vec::new(),
        };
        self.function_body(die, Some(&mut f))?;
        Ok(f)
    }

    /// The children of a subprogram (`f` set) or of a lexical block, as
    /// pahole's `die__process_function`.
    fn function_body(&mut self, die: &Die<'a>, mut f: Option<&mut RawFunc<'a>>) -> WResult<()> {
        if !die.has_children {
            return Ok(());
        }
        let mut param_idx = 0;
        let mut child = Die::default();
        while self.next_die_unread(&mut child, |t| is_block(t) || FUNCTION_LOCALS.contains(&t))? {
            match child.tag {
                DW_TAG_formal_parameter => {
                    let p = self.parameter(&child, param_idx)?;
                    if let Some(f) = f.as_deref_mut() {
                        f.params.push(p.0);
                        f.tags.extend(p.1);
                    }
                    param_idx += 1;
                }
                DW_TAG_unspecified_parameters => {
                    if let Some(f) = f.as_deref_mut() {
                        f.varargs = true;
                    }
                    self.skip_children(&child)?;
                }
                DW_TAG_lexical_block => self.function_body(&child, None)?,
                DW_TAG_inlined_subroutine => self.inline_expansion(&child)?,
                DW_TAG_LLVM_ANNOTATION => {
                    if let Some(f) = f.as_deref_mut() {
                        self.annotation(&child, -1, &mut f.tags);
                    }
                    self.skip_children(&child)?;
                }
                t if FUNCTION_LOCALS.contains(&t) => self.skip_children(&child)?,
                _ => {
                    let made = self.process(&child, false)?;
                    self.file(child.offset, made);
                }
            }
        }
        Ok(())
    }

    /// Inlined code can hold types too; pahole keeps them.
    fn inline_expansion(&mut self, die: &Die<'a>) -> WResult<()> {
        if !die.has_children {
            return Ok(());
        }
        let mut child = Die::default();
        while self.next_die_unread(&mut child, |t| is_block(t) || INLINE_LOCALS.contains(&t))? {
            match child.tag {
                DW_TAG_lexical_block => self.function_body(&child, None)?,
                DW_TAG_inlined_subroutine => self.inline_expansion(&child)?,
                t if INLINE_LOCALS.contains(&t) => self.skip_children(&child)?,
                _ => {
                    let made = self.process(&child, false)?;
                    self.file(child.offset, made);
                }
            }
        }
        Ok(())
    }

    /// A function parameter, its decl tags, and pahole's register check: a
    /// parameter expected in one register but found in another is
    /// unexpected. (pahole 1.30 also notes optimized-out parameters, but
    /// no longer leaves their functions out.)
    fn parameter(
        &mut self,
        die: &Die<'a>,
        idx: usize,
    ) -> WResult<(RawParam<'a>, Vec<DeclTag<'a>>)> {
        let tags = self.annotations(die, idx as i32)?;
        let mut p = RawParam {
            offset: die.offset,
            name: die.name(),
            ty: die.ty,
            abstract_origin: die.abstract_origin,
            unexpected_reg: false,
        };
        if let (Some(&expected), Some(loc)) = (self.ctx.arg_regs.get(idx), &die.location) {
            let found = self.param_register(*loc, expected)?;
            p.unexpected_reg = found.is_some_and(|r| r != expected);
        }
        Ok((p, tags))
    }

    /// pahole's `parameter__reg`: a `DW_OP_regN` as the first location, or
    /// `DW_OP_entry_value(DW_OP_regN)` in any; the expected register wins,
    /// else the last one seen.
    fn param_register(&self, loc: AttributeValue<R<'a>>, expected: u16) -> WResult<Option<u16>> {
        let encoding = self.unit.encoding();
        let mut found = None;
        let mut check = |expr: gimli::Expression<R<'a>>, first: bool| -> WResult<bool> {
            match single_op(&expr, encoding) {
                Some(SingleOp::Reg(r)) if first => found = Some(r),
                Some(SingleOp::EntryValue(inner)) => found = Some(inner),
                _ => return Ok(false),
            }
            Ok(found == Some(expected))
        };
        if let AttributeValue::Exprloc(expr) = loc {
            check(expr, true)?;
            return Ok(found);
        }
        // Raw entries: libdw, which pahole reads through, counts empty
        // ranges as locations too, and so decides what comes first.
        if let Some(offset) = self.ctx.dwarf.attr_locations_offset(self.unit, loc)? {
            let mut list = self.ctx.dwarf.locations.raw_locations(offset, encoding)?;
            let mut first = true;
            while let Some(entry) = list.next()? {
                use gimli::RawLocListEntry as E;
                let data = match entry {
                    E::BaseAddress { .. } | E::BaseAddressx { .. } => continue,
                    E::AddressOrOffsetPair { data, .. }
                    | E::StartxEndx { data, .. }
                    | E::StartxLength { data, .. }
                    | E::OffsetPair { data, .. }
                    | E::DefaultLocation { data }
                    | E::StartEnd { data, .. }
                    | E::StartLength { data, .. } => data,
                };
                if check(data, first)? {
                    break;
                }
                first = false;
            }
        }
        Ok(found)
    }

    fn variable(&mut self, die: &Die<'a>, top_level: bool, tags: Vec<DeclTag<'a>>) -> RawVar<'a> {
        let mut addr = None;
        if !die.declaration {
            if let Some(AttributeValue::Exprloc(expr)) = &die.location {
                let mut ops = expr.operations(self.unit.encoding());
                addr = match ops.next() {
                    Ok(Some(gimli::Operation::Address { address })) => Some(address),
                    Ok(Some(gimli::Operation::AddressIndex { index })) => {
                        self.ctx.dwarf.address(self.unit, index).ok()
                    }
                    _ => None,
                };
            }
        }
        RawVar {
            offset: die.offset,
            name: die.name(),
            ty: die.ty,
            external: die.external,
            declaration: die.declaration,
            top_level,
            artificial: die.artificial,
            specification: die.specification,
            addr,
            tags,
        }
    }
}

/// Children of a function body that are never encoded (locals are not
/// top level), skipped with their own children.
const FUNCTION_LOCALS: [DwTag; 11] = [
    DW_TAG_variable,
    DW_TAG_label,
    DW_TAG_call_site,
    DW_TAG_call_site_parameter,
    DW_TAG_GNU_call_site,
    DW_TAG_GNU_call_site_parameter,
    DW_TAG_dwarf_procedure,
    DW_TAG_template_type_parameter,
    DW_TAG_template_value_parameter,
    DW_TAG_GNU_template_parameter_pack,
    DW_TAG_GNU_formal_parameter_pack,
];

/// Children of an inline expansion that are never encoded.
const INLINE_LOCALS: [DwTag; 6] = [
    DW_TAG_formal_parameter,
    DW_TAG_label,
    DW_TAG_call_site,
    DW_TAG_call_site_parameter,
    DW_TAG_GNU_call_site,
    DW_TAG_GNU_call_site_parameter,
];

/// Blocks of code: the walk looks into their children, not at their
/// attributes.
fn is_block(tag: DwTag) -> bool {
    matches!(tag, DW_TAG_lexical_block | DW_TAG_inlined_subroutine)
}

/// Attributes whose values the walk reads (see `Walker::next_die_unread`):
/// a name costs a string lookup, and only DIEs that become BTF (or are
/// matched by name) need theirs.
fn read_value(at: DwAt, tag: DwTag) -> bool {
    at == DW_AT_name && named(tag)
        || matches!(
            at,
            DW_AT_location
                | DW_AT_type
                | DW_AT_byte_size
                | DW_AT_encoding
                | DW_AT_data_member_location
                | DW_AT_data_bit_offset
                | DW_AT_bit_offset
                | DW_AT_bit_size
                | DW_AT_upper_bound
                | DW_AT_count
                | DW_AT_const_value
                | DW_AT_abstract_origin
                | DW_AT_specification
                | DW_AT_language
        )
}

/// DIEs whose name the encoder uses.
fn named(tag: DwTag) -> bool {
    matches!(
        tag,
        DW_TAG_compile_unit
            | DW_TAG_base_type
            | DW_TAG_typedef
            | DW_TAG_structure_type
            | DW_TAG_class_type
            | DW_TAG_union_type
            | DW_TAG_enumeration_type
            | DW_TAG_enumerator
            | DW_TAG_member
            | DW_TAG_formal_parameter
            | DW_TAG_subprogram
            | DW_TAG_variable
            | DW_TAG_LLVM_ANNOTATION
    )
}

enum SingleOp {
    Reg(u16),
    EntryValue(u16),
}

/// The operation of a one-operation expression (ignoring a trailing
/// `DW_OP_stack_value`), when it is a register or an entry value. An
/// expression gimli cannot parse (vendor operations) is neither.
fn single_op(expr: &gimli::Expression<R<'_>>, encoding: gimli::Encoding) -> Option<SingleOp> {
    parse_single_op(expr, encoding).ok().flatten()
}

fn parse_single_op(
    expr: &gimli::Expression<R<'_>>,
    encoding: gimli::Encoding,
) -> WResult<Option<SingleOp>> {
    let mut ops = expr.operations(encoding);
    let Some(first_at) = expr.0.slice().first().copied() else {
        return Ok(None);
    };
    let Some(op) = ops.next()? else {
        return Ok(None);
    };
    match ops.next()? {
        None | Some(gimli::Operation::StackValue) => {}
        Some(_) => return Ok(None),
    }
    if ops.next()?.is_some() {
        return Ok(None);
    }
    Ok(match op {
        // DW_OP_reg0..31 only, as pahole (not DW_OP_regx).
        gimli::Operation::Register { register } if (0x50..=0x6f).contains(&first_at) => {
            Some(SingleOp::Reg(register.0))
        }
        gimli::Operation::EntryValue { expression } => {
            let inner = gimli::Expression(expression);
            let mut inner_ops = inner.operations(encoding);
            match (inner_ops.next()?, inner_ops.next()?) {
                (Some(gimli::Operation::Register { register }), None) => {
                    Some(SingleOp::EntryValue(register.0))
                }
                // Another single operation: a location, but no register.
                (Some(_), None) => Some(SingleOp::EntryValue(u16::MAX)),
                _ => None,
            }
        }
        _ => None,
    })
}

/// `DW_AT_data_member_location`: a constant, or `DW_OP_plus_uconst N` /
/// `DW_OP_constu N` as older compilers emit.
fn member_offset(v: &AttributeValue<R<'_>>) -> u64 {
    if let Some(x) = udata(v) {
        return x;
    }
    if let AttributeValue::Exprloc(gimli::Expression(expr)) | AttributeValue::Block(expr) = v {
        let mut r = *expr;
        if let Ok(op) = r.read_u8() {
            if op == DW_OP_plus_uconst.0 || op == DW_OP_constu.0 {
                return r.read_uleb128().unwrap_or(u64::MAX);
            }
        }
        return u64::MAX;
    }
    0
}

impl<'a> Walker<'a, '_> {
    /// Resolves references, follows abstract origins and specifications,
    /// and computes what needed the whole CU.
    fn finish(mut self, name: Name<'a>) -> Cu<'a> {
        self.targets.sort_unstable_by_key(|t| t.0);
        let targets = std::mem::take(&mut self.targets);
        let resolve = |raw: u32| resolve(&targets, raw);

        for ty in &mut self.types {
            match ty {
                Ty::Ptr(t) | Ty::Const(t) | Ty::Volatile(t) | Ty::Restrict(t) => *t = resolve(*t),
                Ty::Typedef(_, t) | Ty::TypeTag(_, t) => *t = resolve(*t),
                Ty::Array { elem, .. } => *elem = resolve(*elem),
                Ty::Proto { ret, .. } => *ret = resolve(*ret),
                Ty::Struct { .. } | Ty::Base { .. } | Ty::Enum { .. } => {}
            }
        }
        for m in &mut self.members.list {
            m.ty = resolve(m.ty);
        }
        for p in &mut self.params.list {
            p.1 = resolve(p.1);
        }
        let types = std::mem::take(&mut self.types);
        let mut types = types;
        for (index, raw) in std::mem::take(&mut self.enum_bases) {
            let base = resolve(raw);
            let signed = matches!(
                base.checked_sub(1).and_then(|i| types.get(i as usize)),
                Some(Ty::Base { encoding, .. }) if is_signed(*encoding)
            );
            if let Some(Ty::Enum { signed: s, .. }) = types.get_mut(index) {
                *s = signed;
            }
        }
        self.fix_bitfields(&types);

        let funcs = self.finish_funcs(&resolve, &types);
        let vars = self.finish_vars(&resolve);
        let int_type = types
            .iter()
            .position(|t| matches!(t, Ty::Base { name: b"int", .. }))
            .map(|i| i as LocalId + 1);
        Cu {
            name,
            types,
            members: std::mem::take(&mut self.members.list),
            values: std::mem::take(&mut self.values.list),
            params: std::mem::take(&mut self.params.list),
            type_tags: std::mem::take(&mut self.type_tags),
            funcs,
            vars,
            int_type,
            warnings: std::mem::take(&mut self.warnings),
        }
    }

    /// DWARF 2-4 bitfields count `DW_AT_bit_offset` from the most
    /// significant bit of their storage unit; BTF counts from the start.
    fn fix_bitfields(&mut self, types: &[Ty<'a>]) {
        let members = &mut self.members.list;
        for f in &self.fixups {
            let Some(Ty::Struct { members: span, .. }) = types.get(f.ty_index) else {
                continue;
            };
            let Some(m) = span.of(members).get(f.member) else {
                continue;
            };
            let byte_size = if f.byte_size != 0 {
                f.byte_size
            } else {
                Ty::size(m.ty, types, self.ctx.addr_size)
            };
            if byte_size == 0 {
                continue;
            }
            let bits = m.bitfield_size;
            let in_unit = if self.ctx.little_endian {
                (byte_size * 8)
                    .wrapping_sub(f.dw_bit_offset)
                    .wrapping_sub(bits)
            } else {
                f.dw_bit_offset
            };
            let bit_offset = f.byte_offset.wrapping_mul(8).wrapping_add(in_unit);
            members[span.start as usize + f.member].bit_offset = bit_offset;
        }
    }

    fn finish_funcs(
        &mut self,
        resolve: &dyn Fn(u32) -> LocalId,
        types: &[Ty<'a>],
    ) -> Vec<Func<'a>> {
        let mut funcs = std::mem::take(&mut self.funcs);
        let by_offset = sorted_index(funcs.iter().map(|f| f.offset));
        let param_at = {
            let mut v: Vec<(u32, usize, usize)> = funcs
                .iter()
                .enumerate()
                .flat_map(|(fi, f)| {
                    f.params
                        .iter()
                        .enumerate()
                        .map(move |(pi, p)| (p.offset, fi, pi))
                })
                .collect();
            v.sort_unstable_by_key(|x| x.0);
            v
        };
        let find_param = |raw: u32| -> Option<(usize, usize)> {
            let off = raw.checked_sub(1)?;
            let i = param_at.binary_search_by_key(&off, |x| x.0).ok()?;
            Some((param_at[i].1, param_at[i].2))
        };
        let find_func = |raw: u32| -> Option<usize> {
            let off = raw.checked_sub(1)?;
            by_offset
                .binary_search_by_key(&off, |x| x.0)
                .ok()
                .map(|i| by_offset[i].1)
        };

        // Parameters that only name their abstract origin take its name and
        // type; an unexpected register goes back to the origin.
        let mut origin_flags: Vec<(usize, usize, bool)> = Vec::new();
        let mut borrowed: Vec<(usize, usize, Option<Name<'a>>, u32)> = Vec::new();
        for (fi, f) in funcs.iter().enumerate() {
            for (pi, p) in f.params.iter().enumerate() {
                if p.ty != 0 || p.abstract_origin == 0 {
                    continue;
                }
                if let Some((ofi, opi)) = find_param(p.abstract_origin) {
                    let o = &funcs[ofi].params[opi];
                    borrowed.push((fi, pi, o.name, o.ty));
                    origin_flags.push((ofi, opi, p.unexpected_reg));
                }
            }
        }
        for (fi, pi, name, ty) in borrowed {
            funcs[fi].params[pi].name = name;
            funcs[fi].params[pi].ty = ty;
        }
        for (fi, pi, unexpected) in origin_flags {
            funcs[fi].params[pi].unexpected_reg |= unexpected;
        }

        let mut out = Vec::with_capacity(funcs.len());
        for f in &funcs {
            let origin = find_func(f.abstract_origin);
            let name = f.name.or_else(|| {
                origin
                    .or_else(|| find_func(f.specification))
                    .and_then(|o| funcs[o].name)
            });
            let ret = if f.ret == 0 {
                origin.map_or(0, |o| funcs[o].ret)
            } else {
                f.ret
            };
            let params: Vec<Param<'a>> = f
                .params
                .iter()
                .map(|p| Param {
                    name: p.name,
                    ty: resolve(p.ty),
                })
                .collect();
            let unexpected_reg = f.params.iter().any(|p| p.unexpected_reg)
                && !params.iter().any(|p| is_struct(p.ty, types));
            out.push(Func {
                name,
                declaration: f.declaration,
                ret: resolve(ret),
                params,
                varargs: f.varargs,
                unexpected_reg,
                tags: f.tags.clone(),
            });
        }
        out
    }

    fn finish_vars(&mut self, resolve: &dyn Fn(u32) -> LocalId) -> Vec<Var<'a>> {
        let vars = std::mem::take(&mut self.vars);
        let by_offset = sorted_index(vars.iter().map(|v| v.offset));
        let mut out = Vec::new();
        for v in &vars {
            let spec = v.specification.checked_sub(1).and_then(|off| {
                by_offset
                    .binary_search_by_key(&off, |x| x.0)
                    .ok()
                    .map(|i| &vars[by_offset[i].1])
            });
            // Only top-level, defined, static-storage variables.
            if (v.declaration && spec.is_none()) || !v.top_level || v.artificial {
                continue;
            }
            let Some(addr) = v.addr else {
                continue;
            };
            let decl = spec.unwrap_or(v);
            out.push(Var {
                name: decl.name,
                ty: resolve(decl.ty),
                external: decl.external,
                addr,
                tags: decl.tags.clone(),
            });
        }
        out
    }
}

/// (offset, index) pairs sorted by offset, for binary search.
fn sorted_index(offsets: impl Iterator<Item = u32>) -> Vec<(u32, usize)> {
    let mut v: Vec<(u32, usize)> = offsets.enumerate().map(|(i, o)| (o, i)).collect();
    v.sort_unstable_by_key(|x| x.0);
    v
}

pub(super) fn is_signed(encoding: u8) -> bool {
    encoding == DW_ATE_signed.0 || encoding == DW_ATE_signed_char.0
}

/// pahole's `param__is_struct`: a struct, through typedefs and const.
fn is_struct(id: LocalId, types: &[Ty<'_>]) -> bool {
    let mut id = id;
    for _ in 0..32 {
        match id.checked_sub(1).and_then(|i| types.get(i as usize)) {
            Some(Ty::Struct { union: false, .. }) => return true,
            Some(Ty::Const(t)) | Some(Ty::Typedef(_, t)) => id = *t,
            _ => return false,
        }
    }
    false
}

/// A raw reference to a local id: chases aliases (bounded, so that a cycle
/// of aliases ends as void); unknown DIEs are void, as in pahole.
fn resolve(targets: &[(u32, Target)], raw: u32) -> LocalId {
    let mut raw = raw;
    for _ in 0..16 {
        if raw & LOCAL != 0 {
            return raw & !LOCAL;
        }
        let Some(off) = raw.checked_sub(1) else {
            return 0;
        };
        let Ok(i) = targets.binary_search_by_key(&off, |t| t.0) else {
            return 0;
        };
        match targets[i].1 {
            Target::Id(id) => return id,
            Target::Alias(to) => raw = to,
        }
    }
    0
}
