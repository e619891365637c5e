//! BTF kinds and the constants that give their records meaning.

/// The 19 kinds defined by the kernel's `include/uapi/linux/btf.h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Kind {
    Int = 1,
    Ptr = 2,
    Array = 3,
    Struct = 4,
    Union = 5,
    Enum = 6,
    Fwd = 7,
    Typedef = 8,
    Volatile = 9,
    Const = 10,
    Restrict = 11,
    Func = 12,
    FuncProto = 13,
    Var = 14,
    Datasec = 15,
    Float = 16,
    DeclTag = 17,
    TypeTag = 18,
    Enum64 = 19,
}

/// Highest kind number this version knows.
pub const MAX_KNOWN_KIND: u8 = 19;
/// Kinds occupy seven bits of `info` since the layout extension.
pub const KIND_MASK: u32 = 0x7f;
pub const VLEN_MASK: u32 = 0x00ff_ffff;

/// Size of the common `struct btf_type` record that every type starts with.
pub const TYPE_HEADER_LEN: usize = 12;

pub const INT_SIGNED: u8 = 1 << 0;
pub const INT_CHAR: u8 = 1 << 1;
pub const INT_BOOL: u8 = 1 << 2;

pub const FUNC_STATIC: u32 = 0;
pub const FUNC_GLOBAL: u32 = 1;
pub const FUNC_EXTERN: u32 = 2;

pub const VAR_STATIC: u32 = 0;
pub const VAR_GLOBAL_ALLOCATED: u32 = 1;
pub const VAR_GLOBAL_EXTERN: u32 = 2;

impl Kind {
    pub const ALL: [Kind; 19] = [
        Kind::Int,
        Kind::Ptr,
        Kind::Array,
        Kind::Struct,
        Kind::Union,
        Kind::Enum,
        Kind::Fwd,
        Kind::Typedef,
        Kind::Volatile,
        Kind::Const,
        Kind::Restrict,
        Kind::Func,
        Kind::FuncProto,
        Kind::Var,
        Kind::Datasec,
        Kind::Float,
        Kind::DeclTag,
        Kind::TypeTag,
        Kind::Enum64,
    ];

    pub fn from_raw(raw: u8) -> Option<Kind> {
        match raw {
            1..=MAX_KNOWN_KIND => Some(Kind::ALL[raw as usize - 1]),
            _ => None,
        }
    }

    /// The upper-case name bpftool prints.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Int => "INT",
            Kind::Ptr => "PTR",
            Kind::Array => "ARRAY",
            Kind::Struct => "STRUCT",
            Kind::Union => "UNION",
            Kind::Enum => "ENUM",
            Kind::Fwd => "FWD",
            Kind::Typedef => "TYPEDEF",
            Kind::Volatile => "VOLATILE",
            Kind::Const => "CONST",
            Kind::Restrict => "RESTRICT",
            Kind::Func => "FUNC",
            Kind::FuncProto => "FUNC_PROTO",
            Kind::Var => "VAR",
            Kind::Datasec => "DATASEC",
            Kind::Float => "FLOAT",
            Kind::DeclTag => "DECL_TAG",
            Kind::TypeTag => "TYPE_TAG",
            Kind::Enum64 => "ENUM64",
        }
    }

    /// Bytes of kind-specific data after the common header, and bytes per
    /// vlen element — the same pair the layout section records.
    pub fn layout(self) -> KindLayout {
        let (info_size, elem_size) = match self {
            Kind::Int | Kind::Var | Kind::DeclTag => (4, 0),
            Kind::Array => (12, 0),
            Kind::Struct | Kind::Union | Kind::Datasec | Kind::Enum64 => (0, 12),
            Kind::Enum | Kind::FuncProto => (0, 8),
            _ => (0, 0),
        };
        KindLayout {
            info_size,
            elem_size,
        }
    }

    /// Kinds whose `size_or_type` word is a size rather than a type id.
    pub fn has_size(self) -> bool {
        matches!(
            self,
            Kind::Int
                | Kind::Struct
                | Kind::Union
                | Kind::Enum
                | Kind::Datasec
                | Kind::Float
                | Kind::Enum64
        )
    }

    /// Kinds whose `size_or_type` word is a type id.
    pub fn has_type_ref(self) -> bool {
        matches!(
            self,
            Kind::Ptr
                | Kind::Typedef
                | Kind::Volatile
                | Kind::Const
                | Kind::Restrict
                | Kind::Func
                | Kind::FuncProto
                | Kind::Var
                | Kind::DeclTag
                | Kind::TypeTag
        )
    }
}

/// How many bytes follow the common header of a kind: `info_size` once and
/// `elem_size` per vlen element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindLayout {
    pub info_size: u32,
    pub elem_size: u32,
}

impl KindLayout {
    /// Total record length for `vlen` elements, in u64 so it cannot overflow.
    pub fn record_len(self, vlen: u32) -> u64 {
        TYPE_HEADER_LEN as u64 + self.info_size as u64 + self.elem_size as u64 * vlen as u64
    }
}

/// bpftool's spelling of an INT encoding.
pub fn int_encoding_name(encoding: u8) -> &'static str {
    match encoding {
        0 => "(none)",
        INT_SIGNED => "SIGNED",
        INT_CHAR => "CHAR",
        INT_BOOL => "BOOL",
        _ => "UNKN",
    }
}

pub fn func_linkage_name(linkage: u32) -> &'static str {
    match linkage {
        FUNC_STATIC => "static",
        FUNC_GLOBAL => "global",
        FUNC_EXTERN => "extern",
        _ => "(unknown)",
    }
}

pub fn var_linkage_name(linkage: u32) -> &'static str {
    match linkage {
        VAR_STATIC => "static",
        VAR_GLOBAL_ALLOCATED => "global",
        VAR_GLOBAL_EXTERN => "extern",
        _ => "(unknown)",
    }
}
