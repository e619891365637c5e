//! Parsing and validating a BTF blob, base or split, without copying it.

use std::borrow::Cow;

use super::header::{Endian, Header, LAYOUT_ENTRY_LEN};
use super::kind::{Kind, KindLayout, KIND_MASK, TYPE_HEADER_LEN, VLEN_MASK};
use super::types::{TypeId, TypeView};
use crate::error::{Error, ErrorKind, Result};

/// Largest string offset libbpf accepts.
const MAX_STR_OFFSET: u32 = 0x7fff_ffff;

/// A BTF blob: borrowed straight from the input after parsing, owned once
/// it is built or modified. A split BTF refers to its base; ids and string
/// offsets continue where the base's end.
#[derive(Clone, Debug)]
pub struct Btf<'a> {
    pub(super) header: Header,
    pub(super) types: Cow<'a, [u8]>,
    pub(super) strings: Cow<'a, [u8]>,
    pub(super) layout: Cow<'a, [u8]>,
    /// Byte offset in `types` of each local type, in id order.
    pub(super) offsets: Vec<u32>,
    pub(super) base: Option<&'a Btf<'a>>,
    pub(super) start_id: TypeId,
    pub(super) start_str_off: u32,
    /// Every name offset and type reference is known to be in range: true
    /// after parsing, false for what a builder assembled until validated.
    pub(super) checked: bool,
}

/// What a BTF is assembled from by [`Btf::from_parts`]: type records
/// already checked (every reference and name offset in range), their
/// offsets, the strings, the layout section, and where the BTF continues
/// its base.
pub(crate) struct BtfParts<'a> {
    /// Byte order, version and flags; the section fields are recomputed.
    pub header: Header,
    pub types: Vec<u8>,
    /// Byte offset in `types` of each record, in id order.
    pub offsets: Vec<u32>,
    pub strings: Vec<u8>,
    pub layout: Cow<'a, [u8]>,
    pub base: Option<&'a Btf<'a>>,
    pub start_id: TypeId,
    pub start_str_off: u32,
}

impl<'a> Btf<'a> {
    /// Parses a base (stand-alone) BTF blob.
    pub fn parse(data: &'a [u8]) -> Result<Btf<'a>> {
        Self::parse_with_base(data, None)
    }

    /// Parses a split BTF that extends `base`.
    pub fn parse_split(data: &'a [u8], base: &'a Btf<'a>) -> Result<Btf<'a>> {
        Self::parse_with_base(data, Some(base))
    }

    pub fn parse_with_base(data: &'a [u8], base: Option<&'a Btf<'a>>) -> Result<Btf<'a>> {
        let header = Header::parse(data)?;
        let types_at = header.types_start();
        let strings_at = header.strings_start();
        let layout_at = header.layout_start();
        let mut btf = Btf {
            header,
            types: Cow::Borrowed(&data[types_at..types_at + header.type_len as usize]),
            strings: Cow::Borrowed(&data[strings_at..strings_at + header.str_len as usize]),
            layout: Cow::Borrowed(&data[layout_at..layout_at + header.layout_len as usize]),
            offsets: Vec::new(),
            base,
            start_id: base.map_or(1, |b| b.type_count()),
            start_str_off: base.map_or(0, |b| b.start_str_off + b.strings.len() as u32),
            checked: false,
        };
        btf.check_strings(strings_at)?;
        btf.index_types(types_at)?;
        btf.validate_at(types_at)?;
        btf.checked = true;
        Ok(btf)
    }

    fn check_strings(&self, at: usize) -> Result<()> {
        let s = &self.strings[..];
        if self.base.is_some() && s.is_empty() {
            return Ok(());
        }
        if s.is_empty() {
            return Err(Error::at(
                ErrorKind::BadStrings,
                at as u64,
                "string section is empty",
            ));
        }
        if s.len() as u64 - 1 > MAX_STR_OFFSET as u64 {
            return Err(Error::at(
                ErrorKind::Limit,
                at as u64,
                "string section is larger than BTF allows",
            ));
        }
        if s[s.len() - 1] != 0 {
            return Err(Error::at(
                ErrorKind::BadStrings,
                (at + s.len() - 1) as u64,
                "string section is not NUL-terminated",
            ));
        }
        if self.base.is_none() && s[0] != 0 {
            return Err(Error::at(
                ErrorKind::MissingBase,
                at as u64,
                "string section does not start with an empty string: \
                 this looks like split BTF, give its base BTF (-B)",
            ));
        }
        if self.start_str_off.checked_add(s.len() as u32).is_none() {
            return Err(Error::at(
                ErrorKind::Limit,
                at as u64,
                "string offsets overflow 32 bits",
            ));
        }
        Ok(())
    }

    /// Layout used for kinds this version does not know: ours, or else the
    /// base's (split BTF shares its base's layout information).
    fn layout_for(&self, kind_raw: u8) -> Option<KindLayout> {
        let layout = if self.layout.is_empty() {
            &self.base?.layout[..]
        } else {
            &self.layout[..]
        };
        let at = kind_raw as usize * LAYOUT_ENTRY_LEN as usize;
        let entry = layout.get(at..at + LAYOUT_ENTRY_LEN as usize)?;
        Some(KindLayout {
            info_size: entry[0] as u32,
            elem_size: entry[1] as u32,
        })
    }

    fn index_types(&mut self, types_at: usize) -> Result<()> {
        let endian = self.header.endian;
        let types = &self.types[..];
        // Every record is at least 12 bytes, which bounds the index by the input.
        let mut offsets = Vec::with_capacity(types.len() / TYPE_HEADER_LEN);
        let mut pos = 0usize;
        while pos < types.len() {
            let id = self.start_id as u64 + offsets.len() as u64;
            let abs = (types_at + pos) as u64;
            if types.len() - pos < TYPE_HEADER_LEN {
                return Err(Error::at(
                    ErrorKind::Truncated,
                    abs,
                    format!(
                        "type [{id}] header needs 12 bytes, only {} left in the type section",
                        types.len() - pos
                    ),
                ));
            }
            if id > u32::MAX as u64 {
                return Err(Error::at(ErrorKind::Limit, abs, "too many types"));
            }
            let info = endian.u32_at(types, pos + 4);
            let kind_raw = ((info >> 24) & KIND_MASK) as u8;
            let layout = match Kind::from_raw(kind_raw) {
                Some(k) => k.layout(),
                None => self.layout_for(kind_raw).ok_or_else(|| {
                    Error::at(
                        ErrorKind::UnknownKind,
                        abs + 4,
                        format!(
                            "type [{id}] has unknown kind {kind_raw} and no layout section describes it"
                        ),
                    )
                })?,
            };
            if layout.info_size % 4 != 0 || layout.elem_size % 4 != 0 {
                return Err(Error::at(
                    ErrorKind::BadHeader,
                    abs + 4,
                    format!("layout of kind {kind_raw} has sizes that are not multiples of 4"),
                ));
            }
            let len = layout.record_len(info & VLEN_MASK);
            if len > (types.len() - pos) as u64 {
                return Err(Error::at(
                    ErrorKind::OutOfRange,
                    abs,
                    format!(
                        "type [{id}] ({} with vlen {}) needs {len} bytes, only {} left in the type section",
                        kind_label(kind_raw),
                        info & VLEN_MASK,
                        types.len() - pos
                    ),
                ));
            }
            offsets.push(pos as u32);
            pos += len as usize;
        }
        self.offsets = offsets;
        Ok(())
    }

    /// Checks every name offset and type reference of a BTF that was built
    /// rather than parsed (a parsed one has been checked already). Error
    /// offsets count from the start of `to_bytes()`.
    pub fn validate(&self) -> Result<()> {
        if self.checked {
            return Ok(());
        }
        self.validate_at(self.header.hdr_len as usize)
    }

    /// Checks every name offset and type reference, as libbpf's sanity check
    /// does; `types_at` is where the type section starts in the blob.
    fn validate_at(&self, types_at: usize) -> Result<()> {
        let count = self.type_count();
        for t in self.local_types() {
            let rec_at = types_at + self.offsets[(t.id - self.start_id) as usize] as usize;
            if t.kind().is_none() {
                continue;
            }
            // An error at word `w` of the record, about the type.
            let bad = |kind, w: usize, what: String| {
                let label = kind_label(t.kind_raw());
                Error::at(
                    kind,
                    (rec_at + w * 4) as u64,
                    format!("type [{}] {label}{what}", t.id),
                )
            };
            for w in t.name_words() {
                let off = t.word(w);
                if !self.str_valid(off) {
                    let end = self.start_str_off as u64 + self.strings.len() as u64;
                    return Err(bad(
                        ErrorKind::BadStringOffset,
                        w,
                        format!(": name offset {off} is outside the strings (end {end})"),
                    ));
                }
            }
            for w in t.type_ref_words() {
                let target = t.word(w);
                if target >= count {
                    let hint = if self.base.is_none() && self.offsets.len() > 1 {
                        " (split BTF without its base?)"
                    } else {
                        ""
                    };
                    return Err(bad(
                        ErrorKind::BadTypeId,
                        w,
                        format!(
                            " refers to type id {target}, but the last id is {}{hint}",
                            count - 1
                        ),
                    ));
                }
            }
            if t.kind() == Some(Kind::Func) {
                let proto = t.size_or_type();
                let proto_kind = self.type_by_id(proto).and_then(|p| p.kind());
                if proto_kind != Some(Kind::FuncProto) {
                    return Err(Error::at(
                        ErrorKind::BadType,
                        (rec_at + 8) as u64,
                        format!(
                            "FUNC [{}] refers to [{proto}], which is not a FUNC_PROTO",
                            t.id
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// A BTF from checked parts, its sections laid out as types, layout,
    /// strings.
    pub(crate) fn from_parts(parts: BtfParts<'a>) -> Result<Btf<'a>> {
        let header =
            parts
                .header
                .laid_out(parts.types.len(), parts.layout.len(), parts.strings.len())?;
        Ok(Btf {
            header,
            types: Cow::Owned(parts.types),
            strings: Cow::Owned(parts.strings),
            layout: parts.layout,
            offsets: parts.offsets,
            base: parts.base,
            start_id: parts.start_id,
            start_str_off: parts.start_str_off,
            checked: true,
        })
    }

    /// Drops the type records (for an owner that has copied them out) and
    /// takes the strings, leaving this BTF empty but for its header, layout
    /// section and base link.
    pub(crate) fn take_strings_drop_types(&mut self) -> Vec<u8> {
        self.types = Cow::Owned(Vec::new());
        self.offsets = Vec::new();
        std::mem::take(&mut self.strings).into_owned()
    }

    /// Byte offset of each local record in [`type_bytes`](Self::type_bytes),
    /// in id order.
    pub(crate) fn record_offsets(&self) -> &[u32] {
        &self.offsets
    }

    /// This BTF owning its data and without its base link (ids and string
    /// offsets still continue the base's), so that it can be stored next
    /// to its base; [`attached`](Self::attached) links it again.
    pub(crate) fn detached(self) -> Btf<'static> {
        Btf {
            header: self.header,
            types: Cow::Owned(self.types.into_owned()),
            strings: Cow::Owned(self.strings.into_owned()),
            layout: Cow::Owned(self.layout.into_owned()),
            offsets: self.offsets,
            base: None,
            start_id: self.start_id,
            start_str_off: self.start_str_off,
            checked: self.checked,
        }
    }

    /// A borrowed view of this detached BTF on `base`, which must be the
    /// base it was built on.
    pub(crate) fn attached<'s>(&'s self, base: &'s Btf<'s>) -> Btf<'s> {
        Btf {
            header: self.header,
            types: Cow::Borrowed(&self.types),
            strings: Cow::Borrowed(&self.strings),
            layout: Cow::Borrowed(&self.layout),
            offsets: self.offsets.clone(),
            base: Some(base),
            start_id: self.start_id,
            start_str_off: self.start_str_off,
            checked: self.checked,
        }
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn endian(&self) -> Endian {
        self.header.endian
    }

    pub fn base(&self) -> Option<&'a Btf<'a>> {
        self.base
    }

    /// First id that belongs to this BTF (1 for a base BTF).
    pub fn start_id(&self) -> TypeId {
        self.start_id
    }

    pub fn start_str_off(&self) -> u32 {
        self.start_str_off
    }

    /// Number of ids including void and the base's, as `btf__type_cnt`.
    pub fn type_count(&self) -> TypeId {
        self.start_id + self.offsets.len() as u32
    }

    /// Number of types this BTF itself holds.
    pub fn local_len(&self) -> usize {
        self.offsets.len()
    }

    pub fn type_bytes(&self) -> &[u8] {
        &self.types
    }

    pub fn string_bytes(&self) -> &[u8] {
        &self.strings
    }

    /// Byte offset of type `id`'s record in the blob it was parsed from
    /// (the base's blob for a base id), for error messages.
    pub fn type_offset(&self, id: TypeId) -> Option<u64> {
        if id < self.start_id {
            return self.base?.type_offset(id);
        }
        let off = *self.offsets.get((id - self.start_id) as usize)?;
        Some(self.header.types_start() as u64 + off as u64)
    }

    pub fn layout_bytes(&self) -> &[u8] {
        &self.layout
    }

    /// The record of type `id`, from this BTF or its base. `None` for void
    /// and for ids past the end.
    pub fn type_by_id(&self, id: TypeId) -> Option<TypeView<'_>> {
        if id < self.start_id {
            return self.base?.type_by_id(id);
        }
        let idx = (id - self.start_id) as usize;
        let start = *self.offsets.get(idx)? as usize;
        let end = self
            .offsets
            .get(idx + 1)
            .map_or(self.types.len(), |&e| e as usize);
        Some(TypeView::new(
            id,
            &self.types[start..end],
            self.header.endian,
        ))
    }

    /// This BTF's own types, in id order.
    pub fn local_types(&self) -> impl ExactSizeIterator<Item = TypeView<'_>> + '_ {
        (self.start_id..self.type_count()).map(move |id| self.type_by_id(id).expect("indexed id"))
    }

    /// Whether `off` starts a string in this BTF or its base. The section
    /// ends with NUL (checked at parse), so being in range is enough.
    pub fn str_valid(&self, off: u32) -> bool {
        if off < self.start_str_off {
            return self.base.is_some_and(|b| b.str_valid(off));
        }
        ((off - self.start_str_off) as usize) < self.strings.len()
    }

    /// The NUL-terminated string at `off` (without the NUL), looking in the
    /// base for offsets below ours.
    pub fn str_at(&self, off: u32) -> Option<&[u8]> {
        if off < self.start_str_off {
            return self.base?.str_at(off);
        }
        let rel = (off - self.start_str_off) as usize;
        let rest = self.strings.get(rel..)?;
        let end = nul_position(rest)?;
        Some(&rest[..end])
    }

    /// The name at `off` as text; invalid UTF-8 is shown lossily.
    pub fn name(&self, off: u32) -> Cow<'_, str> {
        String::from_utf8_lossy(self.str_at(off).unwrap_or(b""))
    }
}

/// Position of the first NUL byte, eight bytes at a time (names are looked
/// up by the million in dumps).
fn nul_position(s: &[u8]) -> Option<usize> {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut chunks = s.chunks_exact(8);
    for (i, c) in (&mut chunks).enumerate() {
        let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        let zero = w.wrapping_sub(LOW) & !w & HIGH;
        if zero != 0 {
            return Some(i * 8 + (zero.trailing_zeros() / 8) as usize);
        }
    }
    let done = s.len() - chunks.remainder().len();
    chunks
        .remainder()
        .iter()
        .position(|&b| b == 0)
        .map(|p| done + p)
}

/// Kind name for messages, also for kinds this version does not know.
pub fn kind_label(kind_raw: u8) -> String {
    match Kind::from_raw(kind_raw) {
        Some(k) => k.name().to_string(),
        None => format!("kind {kind_raw}"),
    }
}
