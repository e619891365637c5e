//! `.BTF.ext`: the per-instruction side tables a BPF object carries next to
//! its `.BTF` — function info, line info and CO-RE relocation records.
//!
//! Layout (all words in the section's byte order, which the magic tells):
//!
//! ```text
//! header: magic u16, version u8, flags u8, hdr_len u32,
//!         func_info_off u32, func_info_len u32,
//!         line_info_off u32, line_info_len u32,
//!         [core_relo_off u32, core_relo_len u32]   (when hdr_len >= 32)
//! each info block (offsets count from the end of the header):
//!         rec_size u32, then per ELF section: sec_name_off u32, num_info u32,
//!         num_info records of rec_size bytes
//! ```
//!
//! Records may be longer than the fields we know (newer compilers); the known
//! prefix is read and the rest skipped. A foreign-endian section must have
//! exactly the known record size, as libbpf requires, since it cannot swap
//! words it does not understand. Every count is checked against the bytes
//! present before anything is allocated.

use super::header::{Endian, MAGIC};
use super::read::Btf;
use super::types::TypeId;
use crate::error::{Error, ErrorKind, Result};

/// Header length up to and including line_info_len.
const MIN_HEADER_LEN: u32 = 24;
/// Header length that includes the CO-RE relocation block.
const CORE_HEADER_LEN: u32 = 32;

/// The CO-RE relocation kinds (`enum bpf_core_relo_kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CoreReloKind {
    FieldByteOffset,
    FieldByteSize,
    FieldExists,
    FieldSigned,
    FieldLshiftU64,
    FieldRshiftU64,
    TypeIdLocal,
    TypeIdTarget,
    TypeExists,
    TypeSize,
    EnumvalExists,
    EnumvalValue,
    TypeMatches,
}

impl CoreReloKind {
    /// In numeric order: the index is the kind's value in the record.
    pub const ALL: [CoreReloKind; 13] = [
        CoreReloKind::FieldByteOffset,
        CoreReloKind::FieldByteSize,
        CoreReloKind::FieldExists,
        CoreReloKind::FieldSigned,
        CoreReloKind::FieldLshiftU64,
        CoreReloKind::FieldRshiftU64,
        CoreReloKind::TypeIdLocal,
        CoreReloKind::TypeIdTarget,
        CoreReloKind::TypeExists,
        CoreReloKind::TypeSize,
        CoreReloKind::EnumvalExists,
        CoreReloKind::EnumvalValue,
        CoreReloKind::TypeMatches,
    ];

    pub fn from_raw(raw: u32) -> Option<CoreReloKind> {
        Self::ALL.get(raw as usize).copied()
    }

    pub fn raw(self) -> u32 {
        Self::ALL
            .iter()
            .position(|&k| k == self)
            .expect("every kind is listed") as u32
    }

    /// The name libbpf prints for the kind.
    pub fn name(self) -> &'static str {
        match self {
            CoreReloKind::FieldByteOffset => "byte_off",
            CoreReloKind::FieldByteSize => "byte_sz",
            CoreReloKind::FieldExists => "field_exists",
            CoreReloKind::FieldSigned => "signed",
            CoreReloKind::FieldLshiftU64 => "lshift_u64",
            CoreReloKind::FieldRshiftU64 => "rshift_u64",
            CoreReloKind::TypeIdLocal => "local_type_id",
            CoreReloKind::TypeIdTarget => "target_type_id",
            CoreReloKind::TypeExists => "type_exists",
            CoreReloKind::TypeMatches => "type_matches",
            CoreReloKind::TypeSize => "type_size",
            CoreReloKind::EnumvalExists => "enumval_exists",
            CoreReloKind::EnumvalValue => "enumval_value",
        }
    }

    pub fn is_field(self) -> bool {
        self.raw() <= CoreReloKind::FieldRshiftU64.raw()
    }

    pub fn is_enumval(self) -> bool {
        matches!(
            self,
            CoreReloKind::EnumvalExists | CoreReloKind::EnumvalValue
        )
    }

    pub fn is_type(self) -> bool {
        !self.is_field() && !self.is_enumval()
    }
}

/// One `bpf_func_info` record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FuncInfo {
    pub insn_off: u32,
    pub type_id: TypeId,
}

/// One `bpf_line_info` record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineInfo {
    pub insn_off: u32,
    pub file_name_off: u32,
    pub line_off: u32,
    pub line: u32,
    pub col: u32,
}

/// One `bpf_core_relo` record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoreRelo {
    /// Byte offset of the instruction in its ELF section.
    pub insn_off: u32,
    /// The local (program's `.BTF`) type the access starts from.
    pub type_id: TypeId,
    pub access_str_off: u32,
    /// The raw kind; [`CoreReloKind::from_raw`] names it.
    pub kind: u32,
}

/// The records of one ELF section, with where they sit in `.BTF.ext`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtSection<T> {
    pub name_off: u32,
    /// Byte offset (in `.BTF.ext`) of the section's `sec_name_off` word.
    pub at: u32,
    pub rec_size: u32,
    pub records: Vec<T>,
}

impl<T> ExtSection<T> {
    /// Byte offset in `.BTF.ext` of record `i`.
    pub fn record_at(&self, i: usize) -> u32 {
        self.at + 8 + i as u32 * self.rec_size
    }
}

/// A parsed `.BTF.ext`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BtfExt {
    pub endian: Endian,
    pub hdr_len: u32,
    pub func_info: Vec<ExtSection<FuncInfo>>,
    pub line_info: Vec<ExtSection<LineInfo>>,
    pub core_relos: Vec<ExtSection<CoreRelo>>,
}

fn err(kind: ErrorKind, at: impl Into<u64>, msg: impl Into<String>) -> Error {
    Error::at(kind, at, msg)
}

/// One info block as found in the header.
struct Block {
    what: &'static str,
    off: u32,
    len: u32,
    min_rec: u32,
}

impl BtfExt {
    /// Parses `data`, the whole `.BTF.ext` section. Offsets in errors count
    /// from its start.
    pub fn parse(data: &[u8]) -> Result<BtfExt> {
        if data.len() < 8 {
            return Err(err(
                ErrorKind::Truncated,
                0u64,
                format!(".BTF.ext header needs 8 bytes, only {} present", data.len()),
            ));
        }
        let endian = if u16::from_le_bytes([data[0], data[1]]) == MAGIC {
            Endian::Little
        } else if u16::from_be_bytes([data[0], data[1]]) == MAGIC {
            Endian::Big
        } else {
            return Err(err(
                ErrorKind::BadMagic,
                0u64,
                format!(
                    ".BTF.ext magic {:#06x} is not {MAGIC:#06x}",
                    u16::from_le_bytes([data[0], data[1]])
                ),
            ));
        };
        if data[2] != 1 {
            return Err(err(
                ErrorKind::BadHeader,
                2u64,
                format!(".BTF.ext version {} is not 1", data[2]),
            ));
        }
        if data[3] != 0 {
            return Err(err(
                ErrorKind::BadHeader,
                3u64,
                format!(".BTF.ext flags {:#x} are not 0", data[3]),
            ));
        }
        let hdr_len = endian.u32_at(data, 4);
        if hdr_len < MIN_HEADER_LEN || !hdr_len.is_multiple_of(4) {
            return Err(err(
                ErrorKind::BadHeader,
                4u64,
                format!(".BTF.ext header length {hdr_len} is not a multiple of 4 of at least {MIN_HEADER_LEN}"),
            ));
        }
        if data.len() as u64 <= hdr_len as u64 {
            return Err(err(
                ErrorKind::Truncated,
                4u64,
                format!(
                    ".BTF.ext header of {hdr_len} bytes leaves no data in {} bytes",
                    data.len()
                ),
            ));
        }
        let word = |i: usize| endian.u32_at(data, i * 4);
        let mut blocks = vec![
            Block {
                what: "func_info",
                off: word(2),
                len: word(3),
                min_rec: 8,
            },
            Block {
                what: "line_info",
                off: word(4),
                len: word(5),
                min_rec: 16,
            },
        ];
        if hdr_len >= CORE_HEADER_LEN {
            blocks.push(Block {
                what: "core_relo",
                off: word(6),
                len: word(7),
                min_rec: 16,
            });
        }
        let mut parsed = blocks
            .iter()
            .map(|b| parse_block(data, endian, hdr_len, b))
            .collect::<Result<Vec<_>>>()?
            .into_iter();
        let mut next = || parsed.next().unwrap_or_default();
        let func_info = decode(next(), |r| FuncInfo {
            insn_off: r[0],
            type_id: r[1],
        });
        let line_info = decode(next(), |r| LineInfo {
            insn_off: r[0],
            file_name_off: r[1],
            line_off: r[2],
            line: r[3] >> 10,
            col: r[3] & 0x3ff,
        });
        let core_relos = decode(next(), |r| CoreRelo {
            insn_off: r[0],
            type_id: r[1],
            access_str_off: r[2],
            kind: r[3],
        });
        Ok(BtfExt {
            endian,
            hdr_len,
            func_info,
            line_info,
            core_relos,
        })
    }

    /// Number of CO-RE relocation records.
    pub fn core_relo_count(&self) -> usize {
        self.core_relos.iter().map(|s| s.records.len()).sum()
    }

    /// Checks every reference into the object's `.BTF`: section and file
    /// names, access strings and type ids. The error names the record.
    pub fn check(&self, btf: &Btf) -> Result<()> {
        let count = btf.type_count();
        let name = |off: u32, at: u32, what: &str| {
            if btf.str_valid(off) {
                Ok(())
            } else {
                Err(err(
                    ErrorKind::BadStringOffset,
                    at,
                    format!(".BTF.ext: {what} string offset {off} is past the .BTF strings"),
                ))
            }
        };
        let type_id = |id: TypeId, at: u32, what: &str| {
            if id < count {
                Ok(())
            } else {
                Err(err(
                    ErrorKind::BadTypeId,
                    at,
                    format!(
                        ".BTF.ext: {what} type id {id} is past the last type ({})",
                        count - 1
                    ),
                ))
            }
        };
        for s in &self.func_info {
            name(s.name_off, s.at, "func_info section name")?;
            for (i, r) in s.records.iter().enumerate() {
                type_id(r.type_id, s.record_at(i) + 4, "func_info")?;
            }
        }
        for s in &self.line_info {
            name(s.name_off, s.at, "line_info section name")?;
            for (i, r) in s.records.iter().enumerate() {
                name(r.file_name_off, s.record_at(i) + 4, "line_info file name")?;
                name(r.line_off, s.record_at(i) + 8, "line_info line")?;
            }
        }
        for s in &self.core_relos {
            name(s.name_off, s.at, "core_relo section name")?;
            for (i, r) in s.records.iter().enumerate() {
                let at = s.record_at(i);
                if !r.insn_off.is_multiple_of(8) {
                    return Err(err(
                        ErrorKind::BadType,
                        at,
                        format!(
                            ".BTF.ext: core_relo instruction offset {} is not a multiple of 8",
                            r.insn_off
                        ),
                    ));
                }
                type_id(r.type_id, at + 4, "core_relo")?;
                name(r.access_str_off, at + 8, "core_relo access")?;
                if CoreReloKind::from_raw(r.kind).is_none() {
                    return Err(err(
                        ErrorKind::BadType,
                        at + 12,
                        format!(".BTF.ext: unknown CO-RE relocation kind {}", r.kind),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// One section of a block: its name, where it is, its record size and the
/// known prefix of every record as words.
#[derive(Default)]
struct RawSection {
    name_off: u32,
    at: u32,
    rec_size: u32,
    known: usize,
    words: Vec<u32>,
}

fn decode<T>(raw: Vec<RawSection>, make: impl Fn(&[u32]) -> T) -> Vec<ExtSection<T>> {
    raw.into_iter()
        .map(|r| ExtSection {
            name_off: r.name_off,
            at: r.at,
            rec_size: r.rec_size,
            records: r.words.chunks_exact(r.known).map(&make).collect(),
        })
        .collect()
}

fn parse_block(data: &[u8], endian: Endian, hdr_len: u32, b: &Block) -> Result<Vec<RawSection>> {
    if b.len == 0 {
        return Ok(Vec::new());
    }
    let what = b.what;
    if !b.off.is_multiple_of(4) {
        return Err(err(
            ErrorKind::BadHeader,
            hdr_len as u64,
            format!(".BTF.ext {what} offset {} is not 4-byte aligned", b.off),
        ));
    }
    let start = hdr_len as u64 + b.off as u64;
    let end = start + b.len as u64;
    if end > data.len() as u64 {
        return Err(err(
            ErrorKind::OutOfRange,
            start,
            format!(
                ".BTF.ext {what} (offset {} length {}) ends past the section's {} bytes",
                b.off,
                b.len,
                data.len()
            ),
        ));
    }
    let (start, end) = (start as usize, end as usize);
    if end - start < 4 {
        return Err(err(
            ErrorKind::Truncated,
            start as u64,
            format!(".BTF.ext {what} has no record size"),
        ));
    }
    let rec_size = endian.u32_at(data, start);
    let foreign = endian != Endian::native();
    if rec_size < b.min_rec || !rec_size.is_multiple_of(4) || (foreign && rec_size != b.min_rec) {
        return Err(err(
            ErrorKind::BadHeader,
            start as u64,
            format!(
                ".BTF.ext {what} record size {rec_size} is not {}a multiple of 4 of at least {}",
                if foreign {
                    "exactly (foreign byte order) "
                } else {
                    ""
                },
                b.min_rec
            ),
        ));
    }
    let mut at = start + 4;
    if at == end {
        return Err(err(
            ErrorKind::Truncated,
            at as u64,
            format!(".BTF.ext {what} has no records"),
        ));
    }
    let known = (b.min_rec / 4) as usize;
    let mut out = Vec::new();
    while at < end {
        if end - at < 8 {
            return Err(err(
                ErrorKind::Truncated,
                at as u64,
                format!(".BTF.ext {what} section header needs 8 bytes"),
            ));
        }
        let name_off = endian.u32_at(data, at);
        let n = endian.u32_at(data, at + 4);
        if n == 0 {
            return Err(err(
                ErrorKind::BadHeader,
                at as u64 + 4,
                format!(".BTF.ext {what} section has no records"),
            ));
        }
        let bytes = n as u64 * rec_size as u64;
        if bytes > (end - at - 8) as u64 {
            return Err(err(
                ErrorKind::OutOfRange,
                at as u64 + 4,
                format!(
                    ".BTF.ext {what}: {n} records of {rec_size} bytes run past the block's end at {end:#x}"
                ),
            ));
        }
        let first = at + 8;
        let words = (0..n as usize)
            .flat_map(|i| {
                let rec = first + i * rec_size as usize;
                (0..known).map(move |w| endian.u32_at(data, rec + w * 4))
            })
            .collect();
        out.push(RawSection {
            name_off,
            at: at as u32,
            rec_size,
            known,
            words,
        });
        at = first + bytes as usize;
    }
    Ok(out)
}
