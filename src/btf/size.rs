//! Sizes as libbpf resolves them: the pointer size a BTF implies and
//! `btf__resolve_size`.

use super::kind::Kind;
use super::read::Btf;
use super::types::TypeId;

/// How many typedefs, modifiers and arrays `btf__resolve_size` follows.
const MAX_RESOLVE_DEPTH: usize = 32;

/// Why a type has no size: libbpf's `E2BIG` and `EINVAL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeError {
    /// The size does not fit in 32 bits.
    TooBig,
    /// Void, a FWD or FUNC, a missing id, or too deep a chain.
    NoSize,
}

impl<'a> Btf<'a> {
    /// libbpf's guess of the target's pointer size: the size of the first
    /// 4- or 8-byte integer spelled as some `long`, in id order (the base's
    /// types first); `None` without one.
    pub fn long_size(&self) -> Option<u32> {
        const LONGS: [&[u8]; 11] = [
            b"long",
            b"long int",
            b"int long",
            b"unsigned long",
            b"long unsigned",
            b"unsigned long int",
            b"unsigned int long",
            b"long unsigned int",
            b"long int unsigned",
            b"int unsigned long",
            b"int long unsigned",
        ];
        (1..self.type_count())
            .filter_map(|id| self.type_by_id(id))
            .find(|t| {
                t.kind() == Some(Kind::Int)
                    && matches!(t.size_or_type(), 4 | 8)
                    && self
                        .str_at(t.name_off())
                        .is_some_and(|n| LONGS.contains(&n))
            })
            .map(|t| t.size_or_type())
    }

    /// libbpf's `btf__resolve_size`: the byte size of `id`, through
    /// typedefs, modifiers, VARs and arrays, with pointers `ptr_size` bytes.
    pub fn resolve_size(&self, ptr_size: u32, mut id: TypeId) -> Result<u64, SizeError> {
        let mut nelems: u64 = 1;
        let mut size = None;
        for _ in 0..MAX_RESOLVE_DEPTH {
            let Some(t) = self.type_by_id(id) else {
                break;
            };
            match t.kind() {
                Some(
                    Kind::Int
                    | Kind::Struct
                    | Kind::Union
                    | Kind::Enum
                    | Kind::Enum64
                    | Kind::Datasec
                    | Kind::Float,
                ) => {
                    size = Some(t.size_or_type() as u64);
                    break;
                }
                Some(Kind::Ptr) => {
                    size = Some(ptr_size as u64);
                    break;
                }
                Some(
                    Kind::Typedef
                    | Kind::Volatile
                    | Kind::Const
                    | Kind::Restrict
                    | Kind::Var
                    | Kind::DeclTag
                    | Kind::TypeTag,
                ) => id = t.size_or_type(),
                Some(Kind::Array) => {
                    let a = t.array();
                    if nelems != 0 && a.nelems as u64 > u32::MAX as u64 / nelems {
                        return Err(SizeError::TooBig);
                    }
                    nelems *= a.nelems as u64;
                    id = a.elem_type;
                }
                _ => return Err(SizeError::NoSize),
            }
        }
        let size = size.ok_or(SizeError::NoSize)?;
        if nelems != 0 && size > u32::MAX as u64 / nelems {
            return Err(SizeError::TooBig);
        }
        Ok(nelems * size)
    }
}
