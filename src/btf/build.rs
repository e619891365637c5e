//! Building BTF type by type, in the spirit of libbpf's `btf__add_*`.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::btf::fx::FxHashMap;

use super::header::{Endian, Header, BASE_HEADER_LEN, VERSION};
use super::kind::{Kind, TYPE_HEADER_LEN, VLEN_MASK};
use super::read::Btf;
use super::types::{TypeId, TypeView};
use crate::error::{Error, ErrorKind, Result};

/// What a forward declaration stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FwdKind {
    Struct,
    Union,
    Enum,
}

/// Appends types and strings to a BTF. Strings are deduplicated as they are
/// added; in split mode a string the base already has is reused.
pub struct BtfBuilder<'a> {
    btf: Btf<'a>,
    // Fx, not SipHash: the encoder adds millions of (mostly repeated) names.
    strings: FxHashMap<Vec<u8>, u32>,
    base_strings: Option<BaseStringsRef<'a>>,
}

/// The base's strings, indexed by this builder or shared.
enum BaseStringsRef<'a> {
    Own(BaseStrings<'a>),
    Shared(&'a BaseStrings<'a>),
}

impl<'a> BaseStringsRef<'a> {
    fn get(&self, s: &[u8]) -> Option<u32> {
        let index = match self {
            BaseStringsRef::Own(own) => own,
            BaseStringsRef::Shared(shared) => *shared,
        };
        index.0.get(s).copied()
    }
}

/// The strings of a base BTF, indexed once for any number of builders of
/// split BTF on it (see [`BtfBuilder::new_split_sharing`]).
pub struct BaseStrings<'a>(HashMap<&'a [u8], u32>);

impl<'a> BaseStrings<'a> {
    pub fn new(base: &'a Btf<'a>) -> Self {
        BaseStrings(string_index(base))
    }
}

/// A name given to the builder: text (anything that is a `&str`), or a
/// caller's handle that finds the string's offset without hashing it.
pub trait NameRef {
    /// The name's string offset, the string added if new.
    fn intern(self, b: &mut BtfBuilder<'_>) -> u32;
    /// The name as text, for error messages.
    fn text(&self) -> Cow<'_, str>;
}

impl<T: AsRef<str>> NameRef for T {
    fn intern(self, b: &mut BtfBuilder<'_>) -> u32 {
        b.add_str(self.as_ref())
    }

    fn text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.as_ref())
    }
}

fn usage(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Usage, msg)
}

impl BtfBuilder<'static> {
    /// An empty base BTF in native byte order.
    pub fn new() -> Self {
        Self::with_base(None)
    }
}

impl Default for BtfBuilder<'static> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> BtfBuilder<'a> {
    /// An empty split BTF on `base`.
    pub fn new_split(base: &'a Btf<'a>) -> Self {
        Self::with_base(Some(base))
    }

    /// [`new_split`](Self::new_split) with the base's strings indexed by
    /// the caller, once for many builders.
    pub fn new_split_sharing(base: &'a Btf<'a>, strings: &'a BaseStrings<'a>) -> Self {
        let mut b = Self::empty();
        b.attach(base, BaseStringsRef::Shared(strings));
        b
    }

    /// Makes room for `bytes` more bytes of type records: a builder whose
    /// final size is roughly known then fills one buffer instead of copying
    /// into ever bigger ones (which, at the end, holds both the full buffer
    /// and one twice its size).
    pub fn reserve_type_bytes(&mut self, bytes: usize) {
        self.btf.types.to_mut().reserve(bytes);
    }

    fn with_base(base: Option<&'a Btf<'a>>) -> Self {
        let mut b = Self::empty();
        if let Some(base) = base {
            b.attach(base, BaseStringsRef::Own(BaseStrings::new(base)));
        }
        b
    }

    /// Makes the (still empty) builder a split BTF's on `base`.
    fn attach(&mut self, base: &'a Btf<'a>, strings: BaseStringsRef<'a>) {
        let btf = &mut self.btf;
        btf.strings = Cow::Owned(Vec::new());
        btf.base = Some(base);
        btf.start_id = base.type_count();
        btf.start_str_off = base.start_str_off() + base.string_bytes().len() as u32;
        self.strings.clear();
        self.base_strings = Some(strings);
    }

    /// An empty base BTF; [`attach`](Self::attach) makes it a split one.
    fn empty() -> Self {
        let btf = Btf {
            header: Header {
                endian: Endian::native(),
                version: VERSION,
                flags: 0,
                hdr_len: BASE_HEADER_LEN,
                type_off: 0,
                type_len: 0,
                str_off: 0,
                str_len: 0,
                layout_off: 0,
                layout_len: 0,
            },
            types: Cow::Owned(Vec::new()),
            // A base BTF's strings start with the empty string; a split's
            // strings start empty and continue the base's offsets.
            strings: Cow::Owned(vec![0]),
            layout: Cow::Owned(Vec::new()),
            offsets: Vec::new(),
            base: None,
            start_id: 1,
            start_str_off: 0,
            checked: false,
        };
        let mut strings = FxHashMap::default();
        strings.insert(Vec::new(), 0);
        BtfBuilder {
            btf,
            strings,
            base_strings: None,
        }
    }

    /// The BTF built so far, readable while building.
    pub fn btf(&self) -> &Btf<'a> {
        &self.btf
    }

    pub fn finish(self) -> Btf<'a> {
        self.btf
    }

    /// Adds a string (or finds it) and returns its offset. "" is offset 0.
    pub fn add_str(&mut self, s: &str) -> u32 {
        self.add_str_bytes(s.as_bytes())
    }

    /// [`add_str`](Self::add_str) for names that need not be UTF-8, as
    /// when copying types out of another BTF.
    pub fn add_str_bytes(&mut self, bytes: &[u8]) -> u32 {
        if bytes.is_empty() {
            return 0;
        }
        if let Some(off) = self.base_strings.as_ref().and_then(|m| m.get(bytes)) {
            return off;
        }
        if let Some(&off) = self.strings.get(bytes) {
            return off;
        }
        let strings = self.btf.strings.to_mut();
        let off = self.btf.start_str_off + strings.len() as u32;
        strings.extend_from_slice(bytes);
        strings.push(0);
        self.strings.insert(bytes.to_vec(), off);
        off
    }

    fn push_words(&mut self, words: &[u32]) {
        let endian = self.btf.endian();
        let types = self.btf.types.to_mut();
        for &w in words {
            types.extend_from_slice(&endian.u32_bytes(w));
        }
    }

    /// The words of `t`, a type of `src`, with its names (its own and its
    /// elements') added to this BTF's strings: ready for
    /// [`add_raw`](Self::add_raw) once the type ids at
    /// `t.type_ref_words()` are renumbered for this BTF.
    pub fn copy_words(&mut self, src: &Btf, t: &TypeView) -> Vec<u32> {
        let mut words: Vec<u32> = t.words().collect();
        for w in t.name_words() {
            words[w] = self.add_str_bytes(src.str_at(words[w]).unwrap_or(b""));
        }
        words
    }

    /// Appends a type record made of `words` (the common header first).
    pub fn add_raw(&mut self, words: &[u32]) -> Result<TypeId> {
        if words.len() * 4 < TYPE_HEADER_LEN {
            return Err(usage("a type record needs at least 3 words"));
        }
        let id = self.btf.type_count();
        let off = self.btf.types.len() as u32;
        self.push_words(words);
        self.btf.offsets.push(off);
        Ok(id)
    }

    fn add_type(
        &mut self,
        name: impl NameRef,
        kind: Kind,
        kflag: bool,
        size_or_type: u32,
        extra: &[u32],
    ) -> TypeId {
        let name_off = name.intern(self);
        // On the stack: one record per type, millions when encoding.
        let mut words = [0u32; 6];
        let len = 3 + extra.len();
        words[..3].copy_from_slice(&[name_off, info(kind, 0, kflag), size_or_type]);
        words[3..len].copy_from_slice(extra);
        self.add_raw(&words[..len]).expect("record has a header")
    }

    /// The last type, which element-adding calls extend; it must be of `kinds`.
    fn last_type(&self, kinds: &[Kind], what: &str) -> Result<(usize, Kind, u32)> {
        let t = self
            .btf
            .type_count()
            .checked_sub(1)
            .filter(|&id| id >= self.btf.start_id())
            .and_then(|id| self.btf.type_by_id(id))
            .ok_or_else(|| usage(format!("{what}: no type has been added yet")))?;
        match t.kind() {
            Some(k) if kinds.contains(&k) => {
                let at = *self.btf.offsets.last().expect("a last type") as usize;
                Ok((at, k, t.info()))
            }
            _ => Err(usage(format!(
                "{what}: the last type is not a {}",
                kinds
                    .iter()
                    .map(|k| k.name())
                    .collect::<Vec<_>>()
                    .join(" or ")
            ))),
        }
    }

    /// Appends an element to the last type and bumps its vlen.
    fn add_elem(
        &mut self,
        kinds: &[Kind],
        what: &str,
        words: &[u32],
        set_kflag: bool,
    ) -> Result<()> {
        let (at, kind, old_info) = self.last_type(kinds, what)?;
        let vlen = (old_info & VLEN_MASK) + 1;
        if vlen > VLEN_MASK {
            return Err(Error::new(
                ErrorKind::Limit,
                format!("{what}: too many elements"),
            ));
        }
        let kflag = set_kflag || old_info >> 31 == 1;
        let endian = self.btf.endian();
        let types = self.btf.types.to_mut();
        types[at + 4..at + 8].copy_from_slice(&endian.u32_bytes(info(kind, vlen, kflag)));
        self.push_words(words);
        Ok(())
    }

    pub fn add_int(&mut self, name: impl NameRef, byte_size: u32, encoding: u8) -> TypeId {
        self.add_type(
            name,
            Kind::Int,
            false,
            byte_size,
            &[((encoding as u32) << 24) | (byte_size * 8)],
        )
    }

    pub fn add_float(&mut self, name: impl NameRef, byte_size: u32) -> TypeId {
        self.add_type(name, Kind::Float, false, byte_size, &[])
    }

    pub fn add_ptr(&mut self, target: TypeId) -> TypeId {
        self.add_type("", Kind::Ptr, false, target, &[])
    }

    pub fn add_const(&mut self, target: TypeId) -> TypeId {
        self.add_type("", Kind::Const, false, target, &[])
    }

    pub fn add_volatile(&mut self, target: TypeId) -> TypeId {
        self.add_type("", Kind::Volatile, false, target, &[])
    }

    pub fn add_restrict(&mut self, target: TypeId) -> TypeId {
        self.add_type("", Kind::Restrict, false, target, &[])
    }

    pub fn add_typedef(&mut self, name: impl NameRef, target: TypeId) -> TypeId {
        self.add_type(name, Kind::Typedef, false, target, &[])
    }

    pub fn add_type_tag(&mut self, value: impl NameRef, target: TypeId) -> TypeId {
        self.add_type(value, Kind::TypeTag, false, target, &[])
    }

    pub fn add_array(&mut self, index_type: TypeId, elem_type: TypeId, nelems: u32) -> TypeId {
        self.add_type("", Kind::Array, false, 0, &[elem_type, index_type, nelems])
    }

    pub fn add_struct(&mut self, name: impl NameRef, byte_size: u32) -> TypeId {
        self.add_type(name, Kind::Struct, false, byte_size, &[])
    }

    pub fn add_union(&mut self, name: impl NameRef, byte_size: u32) -> TypeId {
        self.add_type(name, Kind::Union, false, byte_size, &[])
    }

    /// Adds a member to the last struct or union. A bitfield (non-zero size or
    /// an offset that is not byte aligned) turns the parent's kind_flag on.
    pub fn add_field(
        &mut self,
        name: impl NameRef,
        type_id: TypeId,
        bit_offset: u32,
        bitfield_size: u32,
    ) -> Result<()> {
        let is_bitfield = bitfield_size != 0 || !bit_offset.is_multiple_of(8);
        if is_bitfield && (bitfield_size == 0 || bitfield_size > 255 || bit_offset > VLEN_MASK) {
            return Err(usage(format!(
                "add_field '{}': bitfield of {bitfield_size} bits at {bit_offset} cannot be encoded",
                name.text()
            )));
        }
        let name_off = name.intern(self);
        self.add_elem(
            &[Kind::Struct, Kind::Union],
            "add_field",
            &[name_off, type_id, bit_offset | bitfield_size << 24],
            is_bitfield,
        )
    }

    /// An ENUM of `byte_size` bytes; a negative value added later makes it signed.
    pub fn add_enum(&mut self, name: impl NameRef, byte_size: u32) -> TypeId {
        self.add_type(name, Kind::Enum, false, byte_size, &[])
    }

    pub fn add_enum_value(&mut self, name: impl NameRef, value: i64) -> Result<()> {
        if value < i32::MIN as i64 || value > u32::MAX as i64 {
            return Err(usage(format!(
                "enum value {}={value} does not fit in 32 bits",
                name.text()
            )));
        }
        let name_off = name.intern(self);
        self.add_elem(
            &[Kind::Enum],
            "add_enum_value",
            &[name_off, value as u32],
            value < 0,
        )
    }

    pub fn add_enum64(&mut self, name: impl NameRef, byte_size: u32, signed: bool) -> TypeId {
        self.add_type(name, Kind::Enum64, signed, byte_size, &[])
    }

    pub fn add_enum64_value(&mut self, name: impl NameRef, value: u64) -> Result<()> {
        let name_off = name.intern(self);
        self.add_elem(
            &[Kind::Enum64],
            "add_enum64_value",
            &[name_off, value as u32, (value >> 32) as u32],
            false,
        )
    }

    /// A forward declaration; an enum forward is an ENUM with no values.
    pub fn add_fwd(&mut self, name: impl NameRef, kind: FwdKind) -> TypeId {
        match kind {
            FwdKind::Struct => self.add_type(name, Kind::Fwd, false, 0, &[]),
            FwdKind::Union => self.add_type(name, Kind::Fwd, true, 0, &[]),
            FwdKind::Enum => self.add_type(name, Kind::Enum, false, 4, &[]),
        }
    }

    pub fn add_func_proto(&mut self, ret_type: TypeId) -> TypeId {
        self.add_type("", Kind::FuncProto, false, ret_type, &[])
    }

    pub fn add_func_param(&mut self, name: impl NameRef, type_id: TypeId) -> Result<()> {
        let name_off = name.intern(self);
        self.add_elem(
            &[Kind::FuncProto],
            "add_func_param",
            &[name_off, type_id],
            false,
        )
    }

    /// A FUNC with `linkage` (0 static, 1 global, 2 extern) stored in vlen.
    pub fn add_func(&mut self, name: impl NameRef, linkage: u32, proto: TypeId) -> TypeId {
        let id = self.add_type(name, Kind::Func, false, proto, &[]);
        let at = *self.btf.offsets.last().expect("just added") as usize;
        let endian = self.btf.endian();
        self.btf.types.to_mut()[at + 4..at + 8].copy_from_slice(&endian.u32_bytes(info(
            Kind::Func,
            linkage,
            false,
        )));
        id
    }

    pub fn add_var(&mut self, name: impl NameRef, linkage: u32, type_id: TypeId) -> TypeId {
        self.add_type(name, Kind::Var, false, type_id, &[linkage])
    }

    pub fn add_datasec(&mut self, name: impl NameRef, byte_size: u32) -> TypeId {
        self.add_type(name, Kind::Datasec, false, byte_size, &[])
    }

    pub fn add_datasec_var_info(&mut self, var: TypeId, offset: u32, byte_size: u32) -> Result<()> {
        self.add_elem(
            &[Kind::Datasec],
            "add_datasec_var_info",
            &[var, offset, byte_size],
            false,
        )
    }

    pub fn add_decl_tag(
        &mut self,
        value: impl NameRef,
        target: TypeId,
        component_idx: i32,
    ) -> TypeId {
        self.add_type(value, Kind::DeclTag, false, target, &[component_idx as u32])
    }
}

/// The `info` word: kind, vlen and kind_flag.
pub fn info(kind: Kind, vlen: u32, kflag: bool) -> u32 {
    (kflag as u32) << 31 | (kind as u32) << 24 | (vlen & VLEN_MASK)
}

/// Offsets of every string of `btf` and its bases, first occurrence wins.
fn string_index<'a>(btf: &'a Btf<'a>) -> HashMap<&'a [u8], u32> {
    let mut map = btf.base().map(string_index).unwrap_or_default();
    let strings = btf.string_bytes();
    let mut pos = 0;
    for s in strings.split(|&b| b == 0) {
        if pos >= strings.len() {
            break;
        }
        map.entry(s).or_insert(btf.start_str_off() + pos as u32);
        pos += s.len() + 1;
    }
    map
}
