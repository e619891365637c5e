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
//!
//! Here: the walker's state and a unit's decoding; `die` reads DIEs and
//! attribute values, `tags` turns each DIE into what it becomes, `location`
//! reads location expressions, `finish` completes the unit.

// gimli's DW_* constants are lower-case-named statics used as patterns.
#![allow(non_upper_case_globals)]

use gimli::constants::DwTag;
use gimli::{AttributeValue, EndianSlice, RunTimeEndian};

use super::ir::{Cu, DeclTag, LazyName, LocalId, Member, Name, Span, Ty};
use super::Features;
use crate::error::{Error, ErrorKind, Result};

mod die;
mod finish;
mod location;
mod tags;

pub(super) use finish::is_signed;

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

impl<'a> Walker<'a, '_> {
    fn warn(&mut self, msg: String) {
        if self.warnings.len() < 100 {
            self.warnings.push(msg);
        }
    }
}
