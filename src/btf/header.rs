//! The BTF header and byte order.

use crate::error::{Error, ErrorKind, Result};

pub const MAGIC: u16 = 0xeb9f;
pub const VERSION: u8 = 1;
/// The classic header: magic .. str_len.
pub const BASE_HEADER_LEN: u32 = 24;
/// The 2026 header adds layout_off and layout_len.
pub const LAYOUT_HEADER_LEN: u32 = 32;
/// One layout entry: info_sz (u8), elem_sz (u8), flags (u16).
pub const LAYOUT_ENTRY_LEN: u32 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endian {
    Little,
    Big,
}

impl Endian {
    pub const fn native() -> Endian {
        if cfg!(target_endian = "big") {
            Endian::Big
        } else {
            Endian::Little
        }
    }

    /// Reads a u32 at `off`; the caller has checked the bounds.
    #[inline]
    pub fn u32_at(self, bytes: &[u8], off: usize) -> u32 {
        let b: [u8; 4] = bytes[off..off + 4].try_into().expect("4 bytes");
        match self {
            Endian::Little => u32::from_le_bytes(b),
            Endian::Big => u32::from_be_bytes(b),
        }
    }

    #[inline]
    pub fn u16_at(self, bytes: &[u8], off: usize) -> u16 {
        let b: [u8; 2] = bytes[off..off + 2].try_into().expect("2 bytes");
        match self {
            Endian::Little => u16::from_le_bytes(b),
            Endian::Big => u16::from_be_bytes(b),
        }
    }

    #[inline]
    pub fn u32_bytes(self, v: u32) -> [u8; 4] {
        match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        }
    }

    #[inline]
    pub fn u16_bytes(self, v: u16) -> [u8; 2] {
        match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Endian::Little => "little",
            Endian::Big => "big",
        }
    }
}

/// The header as read. Section offsets are relative to the end of the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub endian: Endian,
    pub version: u8,
    pub flags: u8,
    pub hdr_len: u32,
    pub type_off: u32,
    pub type_len: u32,
    pub str_off: u32,
    pub str_len: u32,
    pub layout_off: u32,
    pub layout_len: u32,
}

impl Header {
    /// Parses and checks the header of `data`, which holds one whole BTF blob.
    /// Every section range is checked against `data.len()`.
    pub fn parse(data: &[u8]) -> Result<Header> {
        if data.len() < BASE_HEADER_LEN as usize {
            return Err(Error::at(
                ErrorKind::Truncated,
                0u64,
                format!(
                    "BTF header needs {BASE_HEADER_LEN} bytes, only {} present",
                    data.len()
                ),
            ));
        }
        let endian = match [data[0], data[1]] {
            [0x9f, 0xeb] => Endian::Little,
            [0xeb, 0x9f] => Endian::Big,
            [a, b] => {
                return Err(Error::at(
                    ErrorKind::BadMagic,
                    0u64,
                    format!("bad BTF magic {a:02x} {b:02x}, expected 0xeb9f in either byte order"),
                ))
            }
        };
        let word = |off: usize| endian.u32_at(data, off);
        let mut h = Header {
            endian,
            version: data[2],
            flags: data[3],
            hdr_len: word(4),
            type_off: word(8),
            type_len: word(12),
            str_off: word(16),
            str_len: word(20),
            layout_off: 0,
            layout_len: 0,
        };
        if h.version != VERSION {
            return Err(Error::at(
                ErrorKind::BadHeader,
                2u64,
                format!("unsupported BTF version {}", h.version),
            ));
        }
        if h.flags != 0 {
            return Err(Error::at(
                ErrorKind::BadHeader,
                3u64,
                format!("unknown BTF header flags {:#x}", h.flags),
            ));
        }
        if h.hdr_len < BASE_HEADER_LEN {
            return Err(Error::at(
                ErrorKind::BadHeader,
                4u64,
                format!(
                    "header length {} is below the minimum {BASE_HEADER_LEN}",
                    h.hdr_len
                ),
            ));
        }
        if h.hdr_len as usize > data.len() {
            return Err(Error::at(
                ErrorKind::Truncated,
                4u64,
                format!(
                    "header length {} exceeds the {} bytes present",
                    h.hdr_len,
                    data.len()
                ),
            ));
        }
        let known_len = if h.hdr_len >= LAYOUT_HEADER_LEN {
            h.layout_off = word(24);
            h.layout_len = word(28);
            LAYOUT_HEADER_LEN
        } else {
            BASE_HEADER_LEN
        };
        if let Some(pos) = data[known_len as usize..h.hdr_len as usize]
            .iter()
            .position(|&b| b != 0)
        {
            return Err(Error::at(
                ErrorKind::BadHeader,
                (known_len as usize + pos) as u64,
                format!("unknown non-zero header data (header length {})", h.hdr_len),
            ));
        }
        h.check_sections(data.len() as u64)?;
        Ok(h)
    }

    fn check_sections(&self, data_len: u64) -> Result<()> {
        let body = data_len - self.hdr_len as u64;
        let type_end = self.type_off as u64 + self.type_len as u64;
        let str_end = self.str_off as u64 + self.str_len as u64;
        if !self.type_off.is_multiple_of(4) {
            return Err(Error::at(
                ErrorKind::BadHeader,
                8u64,
                format!(
                    "type section offset {} is not 4-byte aligned",
                    self.type_off
                ),
            ));
        }
        if !self.type_len.is_multiple_of(4) {
            return Err(Error::at(
                ErrorKind::BadHeader,
                12u64,
                format!(
                    "type section length {} is not a multiple of 4",
                    self.type_len
                ),
            ));
        }
        if str_end > body {
            return Err(Error::at(
                ErrorKind::OutOfRange,
                16u64,
                format!(
                    "string section {}+{} runs past the {} bytes after the header",
                    self.str_off, self.str_len, body
                ),
            ));
        }
        if type_end > body {
            return Err(Error::at(
                ErrorKind::OutOfRange,
                8u64,
                format!(
                    "type section {}+{} runs past the {} bytes after the header",
                    self.type_off, self.type_len, body
                ),
            ));
        }
        if type_end > self.str_off as u64 {
            return Err(Error::at(
                ErrorKind::OutOfRange,
                8u64,
                format!(
                    "type section {}+{} overlaps or follows the string section at {}",
                    self.type_off, self.type_len, self.str_off
                ),
            ));
        }
        if self.layout_len == 0 {
            return Ok(());
        }
        let layout_end = self.layout_off as u64 + self.layout_len as u64;
        if !self.layout_off.is_multiple_of(4) || !self.layout_len.is_multiple_of(LAYOUT_ENTRY_LEN) {
            return Err(Error::at(
                ErrorKind::BadHeader,
                24u64,
                format!(
                    "layout section {}+{} is not 4-byte aligned",
                    self.layout_off, self.layout_len
                ),
            ));
        }
        if (self.layout_off as u64) < type_end || layout_end > self.str_off as u64 {
            return Err(Error::at(
                ErrorKind::OutOfRange,
                24u64,
                format!(
                    "layout section {}+{} must lie between types (end {}) and strings (at {})",
                    self.layout_off, self.layout_len, type_end, self.str_off
                ),
            ));
        }
        Ok(())
    }

    /// Absolute byte offset (from the start of the blob) of the type section.
    pub fn types_start(&self) -> usize {
        self.hdr_len as usize + self.type_off as usize
    }

    pub fn strings_start(&self) -> usize {
        self.hdr_len as usize + self.str_off as usize
    }

    /// This header (byte order, version, flags) over sections laid out one
    /// after the other: types, the layout section, strings; the header grows
    /// to hold the layout fields where there is a layout section.
    pub(crate) fn laid_out(
        mut self,
        type_len: usize,
        layout_len: usize,
        str_len: usize,
    ) -> Result<Header> {
        let too_big = || Error::new(ErrorKind::Limit, "the BTF exceeds 4 GiB");
        self.type_off = 0;
        self.type_len = u32::try_from(type_len).map_err(|_| too_big())?;
        self.layout_len = u32::try_from(layout_len).map_err(|_| too_big())?;
        self.layout_off = if layout_len == 0 { 0 } else { self.type_len };
        self.str_off = self
            .type_len
            .checked_add(self.layout_len)
            .ok_or_else(too_big)?;
        self.str_len = u32::try_from(str_len).map_err(|_| too_big())?;
        if layout_len > 0 && self.hdr_len < LAYOUT_HEADER_LEN {
            self.hdr_len = LAYOUT_HEADER_LEN;
        }
        Ok(self)
    }

    /// An empty layout section's offset is not checked (nothing is read
    /// there), so it may point anywhere: then the types' start stands in.
    pub fn layout_start(&self) -> usize {
        if self.layout_len == 0 {
            return self.types_start();
        }
        self.hdr_len as usize + self.layout_off as usize
    }
}
