//! One compilation unit as the DWARF walk leaves it: its types in pahole's
//! order (the order of ids in the BTF), its functions and its variables.
//! References are CU-local type ids, 0 being void, so that CUs decode
//! independently and the encoder only adds the CU's id offset.

/// A CU-local type id; 0 is void.
pub type LocalId = u32;

/// Borrowed from the DWARF string sections.
pub type Name<'a> = &'a [u8];

/// A name as the walk leaves it for the encoder: a `.debug_str` name is
/// the rest of that section from where it starts, its end (its NUL) found
/// only if it is read. Most never are: the encoder knows them by position
/// (`names.rs`), and the millions of member names stay untouched.
#[derive(Debug, Clone, Copy)]
pub struct LazyName<'a>(&'a [u8]);

impl<'a> LazyName<'a> {
    pub const EMPTY: LazyName<'static> = LazyName(b"");

    /// The name that starts `rest`, which must hold its NUL.
    pub fn until_nul(rest: &'a [u8]) -> Self {
        LazyName(rest)
    }

    /// The name's bytes, without its NUL.
    pub fn bytes(self) -> Name<'a> {
        match self.0.iter().position(|&b| b == 0) {
            Some(end) => &self.0[..end],
            None => self.0,
        }
    }

    /// Where the name starts in memory.
    pub fn start(self) -> *const u8 {
        self.0.as_ptr()
    }
}

/// An exact name (no NUL inside).
impl<'a> From<Name<'a>> for LazyName<'a> {
    fn from(bytes: Name<'a>) -> Self {
        LazyName(bytes)
    }
}

#[derive(Debug, Clone)]
pub enum Ty<'a> {
    Base {
        name: Name<'a>,
        byte_size: u64,
        /// `DW_ATE_*`.
        encoding: u8,
    },
    Ptr(LocalId),
    Const(LocalId),
    Volatile(LocalId),
    Restrict(LocalId),
    Typedef(Name<'a>, LocalId),
    TypeTag(Name<'a>, LocalId),
    Struct {
        union: bool,
        name: Name<'a>,
        size: u64,
        /// A declaration becomes a FWD.
        declaration: bool,
        /// In [`Cu::members`].
        members: Span,
    },
    Enum {
        name: Name<'a>,
        /// Bytes; DWARF without a size means an int.
        size: u64,
        /// From the underlying type's encoding (DWARF 5 / GCC's DW_AT_type).
        signed: bool,
        /// In [`Cu::values`].
        values: Span,
    },
    Array {
        elem: LocalId,
        /// The product of all dimensions: pahole 1.30 flattens
        /// multi-dimensional arrays into one ARRAY.
        nelems: u32,
    },
    Proto {
        ret: LocalId,
        /// In [`Cu::params`].
        params: Span,
        varargs: bool,
    },
}

/// A type's run of members, enumerators or parameters in its CU's list of
/// them: one list per CU instead of a vector per type (millions in all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: u32,
    pub len: u32,
}

impl Span {
    /// The run in `list`.
    pub fn of<T>(self, list: &[T]) -> &[T] {
        &list[self.start as usize..(self.start + self.len) as usize]
    }
}

#[derive(Debug, Clone)]
pub struct Member<'a> {
    pub name: LazyName<'a>,
    pub ty: LocalId,
    pub bit_offset: u64,
    pub bitfield_size: u64,
}

/// A `btf_decl_tag` annotation on a type, function, parameter or variable.
#[derive(Debug, Clone)]
pub struct DeclTag<'a> {
    pub value: Name<'a>,
    /// -1 for the declaration itself, else the member or parameter index.
    pub component: i32,
}

#[derive(Debug, Clone)]
pub struct Param<'a> {
    pub name: Option<Name<'a>>,
    pub ty: LocalId,
}

/// A DW_TAG_subprogram, after abstract origins were followed.
#[derive(Debug, Clone)]
pub struct Func<'a> {
    pub name: Option<Name<'a>>,
    pub declaration: bool,
    pub ret: LocalId,
    pub params: Vec<Param<'a>>,
    pub varargs: bool,
    /// Some parameter was passed in a register other than the calling
    /// convention's (and no parameter is a struct, which can take several).
    pub unexpected_reg: bool,
    pub tags: Vec<DeclTag<'a>>,
}

/// A variable at the top level of the CU with a static address.
#[derive(Debug, Clone)]
pub struct Var<'a> {
    pub name: Option<Name<'a>>,
    pub ty: LocalId,
    pub external: bool,
    pub addr: u64,
    pub tags: Vec<DeclTag<'a>>,
}

/// The decoded CU.
#[derive(Debug, Default)]
pub struct Cu<'a> {
    pub name: Name<'a>,
    /// Types in id order; local id `i + 1` is `types[i]`.
    pub types: Vec<Ty<'a>>,
    /// Struct and union members, enumerators (name, value) and prototype
    /// parameters (name, type) of `types`, each type's a [`Span`].
    pub members: Vec<Member<'a>>,
    pub values: Vec<(LazyName<'a>, u64)>,
    pub params: Vec<(LazyName<'a>, LocalId)>,
    /// Decl tags on structs, unions and typedefs, by local id, in id order.
    pub type_tags: Vec<(LocalId, DeclTag<'a>)>,
    pub funcs: Vec<Func<'a>>,
    pub vars: Vec<Var<'a>>,
    /// The first base type named "int", which pahole uses as array index type.
    pub int_type: Option<LocalId>,
    /// What could not be represented, one line each, for the report.
    pub warnings: Vec<String>,
}

impl Ty<'_> {
    /// Size in bytes as pahole's `tag__size` computes it, following
    /// references through `types` with a bound so that cycles stop.
    pub fn size(id: LocalId, types: &[Ty<'_>], addr_size: u64) -> u64 {
        let mut id = id;
        // Array dimensions met on the way multiply the element size.
        let mut factor: u64 = 1;
        for _ in 0..64 {
            let Some(t) = id.checked_sub(1).and_then(|i| types.get(i as usize)) else {
                return 0;
            };
            match t {
                Ty::Base { byte_size, .. } => return factor.saturating_mul(*byte_size),
                Ty::Ptr(_) | Ty::Proto { .. } => return factor.saturating_mul(addr_size),
                Ty::Enum { size, .. } => return factor.saturating_mul(*size),
                Ty::Struct { size, members, .. } => {
                    // pahole's empty-base-class trick.
                    let size = if *size == 1 && members.len == 0 {
                        0
                    } else {
                        *size
                    };
                    return factor.saturating_mul(size);
                }
                Ty::Array { elem, nelems } => {
                    factor = factor.saturating_mul(*nelems as u64);
                    id = *elem;
                }
                Ty::Const(t) | Ty::Volatile(t) | Ty::Restrict(t) => id = *t,
                Ty::Typedef(_, t) | Ty::TypeTag(_, t) => id = *t,
            }
        }
        0
    }
}
