//! A debug ELF file reduced to what the encoder reads, assembled from
//! slices of the file: the page reads a vmlinux of hundreds of megabytes
//! piece by piece, never as one buffer, and keeps only the DWARF, symbol
//! and string sections (a third of a Debian debug vmlinux).
//!
//! The result is an ELF file with the original ELF header and section
//! headers (same indexes, types, flags, addresses and sizes), so encoding it
//! gives the same BTF as encoding the original. Only the sections the
//! encoder reads carry data, packed after the section header table; every
//! other section points at the end of the file. Program headers are left
//! out. Errors name byte offsets in the original file.
//!
//! ```text
//! let mut c = CompactElf::new(file_size)?;
//! while let Some((offset, len)) = c.wanted() { c.give(&read(offset, len))?; }
//! let elf = c.finish()?;
//! ```

use object::elf::{
    SectionType, ET_REL, SHN_UNDEF, SHN_XINDEX, SHT_DYNSYM, SHT_NOBITS, SHT_REL, SHT_RELA,
    SHT_SYMTAB, SHT_SYMTAB_SHNDX,
};

use object::{Endian, Endianness};

use super::{DWARF_SECTIONS, KFUNC_SECTION};
use crate::error::{Error, ErrorKind, Result};

const EHDR_SIZE: u64 = 64;
const SHDR_SIZE: u64 = 64;
/// Big sections are asked for in slices of at most this many bytes.
const SLICE: u64 = 16 << 20;
/// Where section data is placed in the compact file.
const ALIGN: u64 = 8;

/// The fields of a section header this module uses, and where it sits.
#[derive(Debug, Clone, Copy)]
struct Shdr {
    name: u32,
    sh_type: SectionType,
    offset: u64,
    size: u64,
    link: u32,
    info: u32,
}

impl Shdr {
    fn has_data(&self) -> bool {
        self.sh_type != SHT_NOBITS && self.size > 0
    }
}

/// A section's data: `len` bytes at `from` in the original file, copied to
/// `to` in the compact one.
#[derive(Debug, Clone, Copy)]
struct Piece {
    from: u64,
    to: u64,
    len: u64,
}

#[derive(Debug)]
enum Stage {
    /// The ELF header.
    Header,
    /// Section header 0 alone, whose `sh_size` holds the count when
    /// `e_shnum` is 0 (more than 65,279 sections).
    FirstSection,
    /// The section header table.
    Table,
    /// The section name string table.
    Names,
    /// The needed sections' data, piece by piece; `done` bytes of
    /// `pieces[next]` are in.
    Data {
        next: usize,
        done: u64,
    },
    Complete,
}

/// A compact ELF being assembled; see the module documentation.
#[derive(Debug)]
pub struct CompactElf {
    file_size: u64,
    endian: Endianness,
    stage: Stage,
    /// The original ELF header.
    ehdr: Vec<u8>,
    shoff: u64,
    shnum: u64,
    /// The original section header table, then the compact file.
    table: Vec<u8>,
    shdrs: Vec<Shdr>,
    pieces: Vec<Piece>,
    out: Vec<u8>,
}

fn bad(offset: u64, msg: impl Into<String>) -> Error {
    Error::at(ErrorKind::BadContainer, offset, msg)
}

/// The end of `len` bytes at `offset`, if they lie inside `size` bytes.
fn end_within(offset: u64, len: u64, size: u64) -> Option<u64> {
    offset.checked_add(len).filter(|&end| end <= size)
}

impl CompactElf {
    /// Starts on a file of `file_size` bytes.
    pub fn new(file_size: u64) -> Result<Self> {
        if file_size < EHDR_SIZE {
            return Err(bad(
                0,
                format!("{file_size} bytes are too few for a 64-bit ELF header"),
            ));
        }
        Ok(CompactElf {
            file_size,
            endian: Endianness::Little,
            stage: Stage::Header,
            ehdr: Vec::new(),
            shoff: 0,
            shnum: 0,
            table: Vec::new(),
            shdrs: Vec::new(),
            pieces: Vec::new(),
            out: Vec::new(),
        })
    }

    /// The byte range of the file to give next, as (offset, length), or
    /// `None` when the compact file is complete.
    pub fn wanted(&self) -> Option<(u64, u64)> {
        Some(match self.stage {
            Stage::Header => (0, EHDR_SIZE),
            Stage::FirstSection => (self.shoff, SHDR_SIZE),
            Stage::Table => (self.shoff, self.shnum * SHDR_SIZE),
            Stage::Names => {
                let names = self.shdrs[self.shstrndx()];
                if names.has_data() {
                    (names.offset, names.size)
                } else {
                    (0, 0)
                }
            }
            Stage::Data { next, done } => {
                let piece = self.pieces[next];
                (piece.from + done, (piece.len - done).min(SLICE))
            }
            Stage::Complete => return None,
        })
    }

    /// Takes the bytes of the range [`wanted`](Self::wanted) named.
    pub fn give(&mut self, bytes: &[u8]) -> Result<()> {
        let Some((offset, len)) = self.wanted() else {
            return Err(Error::new(
                ErrorKind::Usage,
                "the compact ELF is complete: no more bytes wanted",
            ));
        };
        if bytes.len() as u64 != len {
            return Err(bad(
                offset,
                format!("expected {len} bytes of the file here, got {}", bytes.len()),
            ));
        }
        match self.stage {
            Stage::Header => self.header(bytes),
            Stage::FirstSection => {
                self.shnum = self.u64_at(bytes, 32);
                self.check_table()
            }
            Stage::Table => self.section_table(bytes),
            Stage::Names => self.plan(bytes),
            Stage::Data { next, done } => {
                let piece = self.pieces[next];
                let at = (piece.to + done) as usize;
                self.out[at..at + bytes.len()].copy_from_slice(bytes);
                let done = done + len;
                self.stage = match (done < piece.len, next + 1 < self.pieces.len()) {
                    (true, _) => Stage::Data { next, done },
                    (false, true) => Stage::Data {
                        next: next + 1,
                        done: 0,
                    },
                    (false, false) => Stage::Complete,
                };
                Ok(())
            }
            Stage::Complete => unreachable!("wanted() is None when complete"),
        }
    }

    /// The compact ELF file, once every wanted range was given.
    pub fn finish(self) -> Result<Compacted> {
        if !matches!(self.stage, Stage::Complete) {
            return Err(Error::new(
                ErrorKind::Usage,
                "the compact ELF is incomplete: give every range it wants first",
            ));
        }
        // Offsets of the headers themselves, then of each section's data.
        let mut map = vec![
            Piece {
                from: 0,
                to: 0,
                len: EHDR_SIZE,
            },
            Piece {
                from: self.shoff,
                to: EHDR_SIZE,
                len: self.table.len() as u64,
            },
        ];
        map.extend_from_slice(&self.pieces);
        Ok(Compacted {
            bytes: self.out,
            map,
        })
    }

    fn u16_at(&self, b: &[u8], at: usize) -> u16 {
        self.endian
            .read_u16(b[at..at + 2].try_into().expect("2 bytes"))
    }

    fn u32_at(&self, b: &[u8], at: usize) -> u32 {
        self.endian
            .read_u32(b[at..at + 4].try_into().expect("4 bytes"))
    }

    fn u64_at(&self, b: &[u8], at: usize) -> u64 {
        self.endian
            .read_u64(b[at..at + 8].try_into().expect("8 bytes"))
    }

    fn put_u64(&self, b: &mut [u8], at: usize, value: u64) {
        b[at..at + 8].copy_from_slice(&self.endian.write_u64(value));
    }

    fn header(&mut self, b: &[u8]) -> Result<()> {
        if b[..4] != *b"\x7fELF" {
            return Err(bad(0, "not an ELF file (no \\x7fELF magic)"));
        }
        match b[4] {
            2 => {}
            1 => return Err(bad(4, "32-bit ELF is not supported by the encoder")),
            c => return Err(bad(4, format!("unknown ELF class {c}"))),
        }
        self.endian = match b[5] {
            1 => Endianness::Little,
            2 => Endianness::Big,
            d => return Err(bad(5, format!("unknown ELF byte order {d}"))),
        };
        self.ehdr = b.to_vec();
        self.shoff = self.u64_at(b, 0x28);
        if self.shoff == 0 {
            return Err(bad(0x28, "no section header table (e_shoff is 0)"));
        }
        let shentsize = self.u16_at(b, 0x3a);
        if u64::from(shentsize) != SHDR_SIZE {
            return Err(bad(
                0x3a,
                format!("section header size {shentsize}, expected {SHDR_SIZE}"),
            ));
        }
        self.shnum = u64::from(self.u16_at(b, 0x3c));
        if self.shnum == 0 {
            self.stage = Stage::FirstSection;
            if end_within(self.shoff, SHDR_SIZE, self.file_size).is_none() {
                return Err(self.table_past_end(SHDR_SIZE));
            }
            return Ok(());
        }
        self.check_table()
    }

    fn table_past_end(&self, len: u64) -> Error {
        bad(
            0x28,
            format!(
                "the section header table ({len} bytes at {:#x}) ends past the end of the file ({} bytes)",
                self.shoff, self.file_size
            ),
        )
    }

    fn check_table(&mut self) -> Result<()> {
        let len = self.shnum.saturating_mul(SHDR_SIZE);
        if self.shnum == 0 || end_within(self.shoff, len, self.file_size).is_none() {
            return Err(self.table_past_end(len));
        }
        self.stage = Stage::Table;
        Ok(())
    }

    /// The index of the section name table (valid once the table is read).
    fn shstrndx(&self) -> usize {
        let index = self.u16_at(&self.ehdr, 0x3e);
        if index == SHN_XINDEX.0 {
            self.shdrs[0].link as usize
        } else {
            usize::from(index)
        }
    }

    fn section_table(&mut self, b: &[u8]) -> Result<()> {
        self.table = b.to_vec();
        self.shdrs = b
            .chunks_exact(SHDR_SIZE as usize)
            .map(|h| Shdr {
                name: self.u32_at(h, 0),
                sh_type: SectionType(self.u32_at(h, 4)),
                offset: self.u64_at(h, 24),
                size: self.u64_at(h, 32),
                link: self.u32_at(h, 40),
                info: self.u32_at(h, 44),
            })
            .collect();
        let index = self.shstrndx();
        if index == usize::from(SHN_UNDEF.0) || index >= self.shdrs.len() {
            return Err(bad(
                0x3e,
                format!(
                    "section name table index {index} is not one of the {} sections",
                    self.shdrs.len()
                ),
            ));
        }
        self.check_data(index)?;
        self.stage = Stage::Names;
        Ok(())
    }

    /// Checks that section `index`'s data lies inside the file.
    fn check_data(&self, index: usize) -> Result<()> {
        let s = self.shdrs[index];
        if s.has_data() && end_within(s.offset, s.size, self.file_size).is_none() {
            return Err(bad(
                self.shoff + index as u64 * SHDR_SIZE + 24,
                format!(
                    "section {index}: {} bytes at {:#x} end past the end of the file ({} bytes)",
                    s.size, s.offset, self.file_size
                ),
            ));
        }
        Ok(())
    }

    /// With the section names known: which sections to keep, and where
    /// their data goes in the compact file.
    fn plan(&mut self, names: &[u8]) -> Result<()> {
        let name = |s: &Shdr| {
            let rest = names.get(s.name as usize..).unwrap_or_default();
            &rest[..rest.iter().position(|&c| c == 0).unwrap_or(0)]
        };
        let by_name: Vec<bool> = self
            .shdrs
            .iter()
            .map(|s| {
                let n = name(s);
                n == KFUNC_SECTION.as_bytes()
                    || DWARF_SECTIONS.iter().any(|id| n == id.name().as_bytes())
            })
            .collect();
        let relocatable = self.u16_at(&self.ehdr, 0x10) == ET_REL.0;
        let mut keep = by_name.clone();
        keep[self.shstrndx()] = true;
        for (i, s) in self.shdrs.iter().enumerate() {
            match s.sh_type {
                // What object parses up front: symbol tables, their string
                // tables and extended section indexes.
                SHT_SYMTAB | SHT_DYNSYM => {
                    keep[i] = true;
                    if let Some(k) = keep.get_mut(s.link as usize) {
                        *k = true;
                    }
                }
                SHT_SYMTAB_SHNDX => keep[i] = true,
                // Relocations the encoder applies to what it reads.
                SHT_REL | SHT_RELA if relocatable => {
                    keep[i] |= by_name.get(s.info as usize).copied().unwrap_or(false);
                }
                _ => {}
            }
        }
        let mut order: Vec<usize> = (0..self.shdrs.len())
            .filter(|&i| keep[i] && self.shdrs[i].has_data())
            .collect();
        order.sort_by_key(|&i| self.shdrs[i].offset);
        let mut at = EHDR_SIZE + self.table.len() as u64;
        let mut placed = vec![None; self.shdrs.len()];
        for &i in &order {
            self.check_data(i)?;
            let s = self.shdrs[i];
            at = at.next_multiple_of(ALIGN);
            placed[i] = Some(at);
            self.pieces.push(Piece {
                from: s.offset,
                to: at,
                len: s.size,
            });
            at += s.size;
        }
        let size = usize::try_from(at)
            .map_err(|_| Error::new(ErrorKind::Limit, "the compact ELF does not fit in memory"))?;
        self.out = Vec::new();
        self.out.try_reserve_exact(size).map_err(|_| {
            Error::new(
                ErrorKind::Limit,
                format!("cannot allocate {size} bytes for the compact ELF"),
            )
        })?;
        self.out.resize(size, 0);
        let mut ehdr = std::mem::take(&mut self.ehdr);
        // No program headers; the section header table right after.
        self.put_u64(&mut ehdr, 0x20, 0);
        ehdr[0x38..0x3a].fill(0);
        self.put_u64(&mut ehdr, 0x28, EHDR_SIZE);
        self.out[..EHDR_SIZE as usize].copy_from_slice(&ehdr);
        self.ehdr = ehdr;
        let mut table = std::mem::take(&mut self.table);
        for (i, h) in table.chunks_exact_mut(SHDR_SIZE as usize).enumerate() {
            self.put_u64(h, 24, placed[i].unwrap_or(at));
        }
        self.out[EHDR_SIZE as usize..EHDR_SIZE as usize + table.len()].copy_from_slice(&table);
        self.table = table;
        self.stage = if self.pieces.is_empty() {
            Stage::Complete
        } else {
            Stage::Data { next: 0, done: 0 }
        };
        Ok(())
    }
}

/// A compact ELF file, with the way back to offsets in the original.
#[derive(Debug)]
pub struct Compacted {
    pub bytes: Vec<u8>,
    map: Vec<Piece>,
}

impl Compacted {
    /// The offset in the original file of byte `at` of the compact one
    /// (unchanged outside the copied headers and sections).
    pub fn original_offset(&self, at: u64) -> u64 {
        self.map
            .iter()
            .find(|p| p.to <= at && at - p.to < p.len)
            .map_or(at, |p| p.from + (at - p.to))
    }

    /// `e` with its offset moved to the original file.
    pub fn original_error(&self, mut e: Error) -> Error {
        e.offset = e.offset.map(|at| self.original_offset(at));
        e
    }

    /// Builds the compact form of a whole file held in memory (tests, and
    /// callers that have the bytes anyway).
    pub fn from_file(data: &[u8]) -> Result<Self> {
        let mut c = CompactElf::new(data.len() as u64)?;
        while let Some((offset, len)) = c.wanted() {
            // `wanted` ranges are bounds-checked against the file size.
            c.give(&data[offset as usize..(offset + len) as usize])?;
        }
        c.finish()
    }
}
