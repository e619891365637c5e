//! Type mapping: a decoded CU's types into BTF records, one record per
//! local id so that local id `i` becomes BTF id `type_id_off + i`, the way
//! pahole 1.30's `btf_encoder__encode_tag` numbers them. Where libbpf
//! would refuse a record (and pahole abort), we write a close substitute
//! and a warning instead, keeping the numbering intact.

use gimli::constants::{
    DW_ATE_boolean, DW_ATE_complex_float, DW_ATE_float, DW_ATE_imaginary_float,
};

use super::ir::{Cu, LazyName, LocalId, Ty};
use super::Encoder;
use crate::btf::kind::{INT_BOOL, INT_SIGNED};
use crate::btf::{FwdKind, TypeId};

/// pahole's name for base types BTF cannot hold (odd sizes from DWARF 5
/// `DW_OP_convert` types).
const SANITIZED_INT: &str = "__SANITIZED_FAKE_INT__";

fn text(name: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(name)
}

impl Encoder<'_, '_> {
    /// Appends the CU's types; `off` is the id before its first type.
    pub(super) fn encode_types(&mut self, cu: &Cu<'_>, off: TypeId) {
        let r = |t: LocalId| if t == 0 { 0 } else { off + t };
        let mut need_index_type = false;
        for ty in &cu.types {
            match ty {
                Ty::Base {
                    name,
                    byte_size,
                    encoding,
                } => self.base_type(name, *byte_size, *encoding),
                Ty::Ptr(t) => self.b.add_ptr(r(*t)),
                Ty::Const(t) => self.b.add_const(r(*t)),
                Ty::Volatile(t) => self.b.add_volatile(r(*t)),
                Ty::Restrict(t) => self.b.add_restrict(r(*t)),
                Ty::Typedef(name, t) => {
                    let name = self.nonempty(name, "typedef");
                    self.b.add_typedef(self.names.name(name), r(*t))
                }
                Ty::TypeTag(value, t) => {
                    let value = self.nonempty(value, "type tag");
                    self.b.add_type_tag(self.names.name(value), r(*t))
                }
                Ty::Struct {
                    union,
                    name,
                    size,
                    declaration,
                    members,
                } => {
                    if *declaration && !name.is_empty() {
                        let kind = if *union {
                            FwdKind::Union
                        } else {
                            FwdKind::Struct
                        };
                        self.b.add_fwd(self.names.name(*name), kind)
                    } else {
                        let size = self.fit_u32(*size, name);
                        let id = if *union {
                            self.b.add_union(self.names.name(*name), size)
                        } else {
                            self.b.add_struct(self.names.name(*name), size)
                        };
                        for m in members.of(&cu.members) {
                            let field = u32::try_from(m.bit_offset)
                                .ok()
                                .zip(u32::try_from(m.bitfield_size).ok());
                            let added = field.map(|(at, bits)| {
                                self.b.add_field(self.names.name(m.name), r(m.ty), at, bits)
                            });
                            if !matches!(added, Some(Ok(()))) {
                                self.warn(format!(
                                    "{}.{}: member at bit {} ({} bits) cannot be encoded; left out",
                                    text(name),
                                    text(m.name.bytes()),
                                    m.bit_offset,
                                    m.bitfield_size
                                ));
                            }
                        }
                        id
                    }
                }
                Ty::Enum {
                    name,
                    size,
                    signed,
                    values,
                } => self.enumeration(name, *size, *signed, values.of(&cu.values)),
                Ty::Array { elem, nelems } => {
                    need_index_type = true;
                    self.b.add_array(self.array_index_id, r(*elem), *nelems)
                }
                Ty::Proto {
                    ret,
                    params,
                    varargs,
                } => {
                    let id = self.b.add_func_proto(r(*ret));
                    let varargs = varargs.then_some((LazyName::EMPTY, 0));
                    for (name, t) in params.of(&cu.params).iter().copied().chain(varargs) {
                        if let Err(e) = self.b.add_func_param(self.names.name(name), r(t)) {
                            self.warn(e.message);
                        }
                    }
                    id
                }
            };
        }
        if need_index_type && !self.has_index_type {
            self.b.add_int("int", 4, INT_SIGNED);
            self.has_index_type = true;
        }
        for (id, tag) in &cu.type_tags {
            self.decl_tag(tag.value, off + id, tag.component);
        }
    }

    /// pahole's array index type: the first CU's `int`, or one it adds
    /// after that CU's types.
    pub(super) fn choose_index_type(&mut self, cu: &Cu<'_>, off: TypeId) {
        if self.has_index_type {
            return;
        }
        match cu.int_type {
            Some(id) => {
                self.has_index_type = true;
                self.array_index_id = off + id;
            }
            None => self.array_index_id = off + cu.types.len() as TypeId + 1,
        }
    }

    fn base_type(&mut self, name: &[u8], byte_size: u64, encoding: u8) -> TypeId {
        let float = [
            DW_ATE_float.0,
            DW_ATE_complex_float.0,
            DW_ATE_imaginary_float.0,
        ];
        let int_encoding = if super::walk::is_signed(encoding) {
            INT_SIGNED
        } else if encoding == DW_ATE_boolean.0 {
            INT_BOOL
        } else {
            if self.features.float && float.contains(&encoding) {
                if encoding == DW_ATE_float.0 && matches!(byte_size, 2 | 4 | 8 | 12 | 16) {
                    return self.b.add_float(self.names.name(name), byte_size as u32);
                }
                self.warn(format!(
                    "{}: complex, imaginary or {byte_size}-byte floats have no BTF form; encoded as INT",
                    text(name)
                ));
            }
            0
        };
        if byte_size == 0 || !byte_size.is_power_of_two() || byte_size > 16 {
            return self.b.add_int(SANITIZED_INT, 4, int_encoding);
        }
        let name = if name.is_empty() {
            self.warn("base type without a name".into());
            SANITIZED_INT.as_bytes()
        } else {
            name
        };
        self.b
            .add_int(self.names.name(name), byte_size as u32, int_encoding)
    }

    fn enumeration(
        &mut self,
        name: &[u8],
        size: u64,
        signed: bool,
        values: &[(LazyName<'_>, u64)],
    ) -> TypeId {
        let size = if size.is_power_of_two() && size <= 8 {
            size as u32
        } else {
            self.warn(format!(
                "enum {}: {size} bytes cannot be encoded; encoded as 4",
                text(name)
            ));
            4
        };
        let enum32 = size <= 4 || !self.features.enum64;
        let id = if enum32 {
            self.b.add_enum(self.names.name(name), size)
        } else {
            self.b.add_enum64(self.names.name(name), size, signed)
        };
        for &(value_name, v) in values {
            if value_name.bytes().is_empty() {
                self.warn(format!(
                    "enum {}: a value without a name was left out",
                    text(name)
                ));
                continue;
            }
            let value = self.names.name(value_name);
            let added = if !self.features.enum64 {
                // Without ENUM64, values are truncated to 32 bits, unsigned.
                self.b.add_enum_value(value, v as u32 as i64)
            } else if size <= 4 {
                self.b.add_enum_value(value, v as i64)
            } else {
                self.b.add_enum64_value(value, v)
            };
            if let Err(e) = added {
                self.warn(format!("enum {}: {}", text(name), e.message));
                if enum32 {
                    // Out of the 32-bit range: keep the low bits, as without ENUM64.
                    let _ = self
                        .b
                        .add_enum_value(self.names.name(value_name), v as u32 as i64);
                }
            }
        }
        id
    }

    /// A name libbpf requires to be non-empty.
    fn nonempty<'n>(&mut self, name: &'n [u8], what: &str) -> &'n [u8] {
        if name.is_empty() {
            self.warn(format!("{what} without a name; named __anon"));
            return b"__anon";
        }
        name
    }

    fn fit_u32(&mut self, size: u64, name: &[u8]) -> u32 {
        u32::try_from(size).unwrap_or_else(|_| {
            self.warn(format!(
                "{}: size {size} does not fit in 32 bits",
                text(name)
            ));
            u32::MAX
        })
    }

    pub(super) fn decl_tag(&mut self, value: &[u8], target: TypeId, component: i32) {
        if value.is_empty() {
            self.warn("empty btf_decl_tag left out".into());
            return;
        }
        self.b
            .add_decl_tag(self.names.name(value), target, component);
    }
}
