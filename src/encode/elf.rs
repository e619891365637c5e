//! What the encoder needs from the ELF file besides DWARF: section headers,
//! the symbol table, and the DWARF sections themselves, relocated for
//! relocatable objects (kernel modules).
//!
//! Sections are borrowed from the input; only a section that relocations
//! modify is copied.

use std::borrow::Cow;
use std::collections::HashMap;

use object::elf::{SHF_ALLOC, SHT_NOBITS, SHT_PROGBITS};
use object::read::elf::{ElfFile64, FileHeader, SectionHeader};
use object::{
    Endianness, Object, ObjectKind, ObjectSection, ObjectSymbol, RelocationFlags, RelocationKind,
    RelocationTarget, SectionIndex, SymbolSection,
};

use crate::error::{Error, ErrorKind, Result};

/// One section header, with the address pahole would see.
#[derive(Debug, Clone)]
pub struct Section<'a> {
    pub name: &'a [u8],
    /// PROGBITS or NOBITS: the only kinds variables can live in.
    pub holds_data: bool,
    /// In a relocatable object all addresses are 0; like libdwfl (which
    /// pahole reads through), we lay the allocated sections out one after
    /// another so that DWARF addresses point into exactly one section.
    pub addr: u64,
    /// `sh_addr` as in the file, which symbol values are relative to.
    pub raw_addr: u64,
    pub size: u64,
}

/// A symbol-table entry, reduced to what function and variable selection use.
#[derive(Debug, Clone, Copy)]
pub struct Symbol<'a> {
    pub name: &'a [u8],
    pub is_func: bool,
    pub is_object: bool,
    pub section: Option<usize>,
    pub value: u64,
    pub size: u64,
}

pub struct ElfInput<'a> {
    file: ElfFile64<'a, Endianness>,
    pub little_endian: bool,
    /// `e_machine`, for the argument registers of the calling convention.
    pub machine: u16,
    pub relocatable: bool,
    /// Indexed by section number; entry 0 is the null section.
    pub sections: Vec<Section<'a>>,
    pub symbols: Vec<Symbol<'a>>,
}

fn bad(offset: u64, msg: impl Into<String>) -> Error {
    Error::at(ErrorKind::BadContainer, offset, msg)
}

/// Where libdwfl starts laying out a relocatable object's sections.
const REL_LAYOUT_BASE: u64 = 0x10000;

impl<'a> ElfInput<'a> {
    pub fn parse(data: &'a [u8]) -> Result<Self> {
        let file = ElfFile64::<Endianness>::parse(data).map_err(|e| {
            let what = if data.get(4) == Some(&1) {
                "32-bit ELF is not supported by the encoder".to_string()
            } else {
                format!("malformed ELF file: {e}")
            };
            bad(0, what)
        })?;
        let endian = file.endian();
        let relocatable = file.kind() == ObjectKind::Relocatable;
        let mut sections = vec![Section {
            name: b"",
            holds_data: false,
            addr: 0,
            raw_addr: 0,
            size: 0,
        }];
        let mut next_addr = REL_LAYOUT_BASE;
        for s in file.sections() {
            let header = s.elf_section_header();
            let sh_type = header.sh_type(endian);
            let flags = header.sh_flags(endian);
            let raw_addr = header.sh_addr(endian);
            let mut addr = raw_addr;
            let size = header.sh_size(endian);
            if relocatable && flags.0 & SHF_ALLOC.0 != 0 {
                let align = header.sh_addralign(endian).max(1);
                addr = next_addr.div_ceil(align).saturating_mul(align);
                next_addr = addr.saturating_add(size);
            }
            // The iterator skips the null section, so indexes line up.
            debug_assert_eq!(s.index().0, sections.len());
            sections.push(Section {
                name: s.name_bytes().unwrap_or(b""),
                holds_data: sh_type == SHT_PROGBITS || sh_type == SHT_NOBITS,
                addr,
                raw_addr,
                size,
            });
        }
        let symbols = file
            .symbols()
            .map(|sym| Symbol {
                name: sym.name_bytes().unwrap_or(b""),
                is_func: sym.elf_symbol().st_type() == object::elf::STT_FUNC,
                is_object: sym.elf_symbol().st_type() == object::elf::STT_OBJECT,
                section: match sym.section() {
                    SymbolSection::Section(i) => Some(i.0),
                    _ => None,
                },
                value: sym.address(),
                size: sym.size(),
            })
            .collect();
        Ok(ElfInput {
            little_endian: file.is_little_endian(),
            machine: file.elf_header().e_machine(endian).0,
            relocatable,
            file,
            sections,
            symbols,
        })
    }

    pub fn section_index(&self, name: &str) -> Option<usize> {
        self.sections.iter().position(|s| s.name == name.as_bytes())
    }

    /// The bytes of section `name` (empty when absent), relocated when the
    /// file is relocatable and has relocations for it.
    pub fn section_data(&self, name: &str) -> Result<Cow<'a, [u8]>> {
        let Some(section) = self.file.section_by_name(name) else {
            return Ok(Cow::Borrowed(&[]));
        };
        let header = section.elf_section_header();
        if header.sh_flags(self.file.endian()).0 & object::elf::SHF_COMPRESSED.0 != 0 {
            return Err(bad(
                header.sh_offset(self.file.endian()),
                format!("section {name} is compressed (SHF_COMPRESSED); decompress it first (objcopy --decompress-debug-sections)"),
            ));
        }
        let bytes = section.data().map_err(|e| {
            bad(
                header.sh_offset(self.file.endian()),
                format!("section {name}: {e}"),
            )
        })?;
        if !self.relocatable || section.relocations().next().is_none() {
            return Ok(Cow::Borrowed(bytes));
        }
        let mut out = bytes.to_vec();
        self.relocate(name, &section, &mut out)?;
        Ok(Cow::Owned(out))
    }

    /// Applies the absolute relocations a debug section of a relocatable
    /// object carries: S + A, with S the laid-out address of the symbol.
    fn relocate(
        &self,
        name: &str,
        section: &object::read::elf::ElfSection64<'a, '_, Endianness>,
        out: &mut [u8],
    ) -> Result<()> {
        let section_at = section.elf_section_header().sh_offset(self.file.endian());
        let mut symbol_addr: HashMap<usize, u64> = HashMap::new();
        for (offset, rel) in section.relocations() {
            let at = offset as usize;
            let target = match rel.target() {
                RelocationTarget::Symbol(i) => *symbol_addr.entry(i.0).or_insert_with(|| {
                    self.file.symbol_by_index(i).map_or(0, |sym| {
                        let base = match sym.section() {
                            SymbolSection::Section(SectionIndex(s)) => {
                                self.sections.get(s).map_or(0, |s| s.addr)
                            }
                            _ => 0,
                        };
                        base.wrapping_add(sym.address())
                    })
                }),
                RelocationTarget::Section(SectionIndex(s)) => {
                    self.sections.get(s).map_or(0, |s| s.addr)
                }
                _ => 0,
            };
            let value = target.wrapping_add(rel.addend() as u64);
            let size = rel.size() as usize / 8;
            let ok = rel.kind() == RelocationKind::Absolute && (size == 4 || size == 8);
            let Some(slot) = out.get_mut(at..at.saturating_add(size)).filter(|_| ok) else {
                let r_type = match rel.flags() {
                    RelocationFlags::Elf { r_type } => r_type.0,
                    _ => 0,
                };
                return Err(bad(
                    section_at + offset,
                    format!(
                        "section {name}: cannot apply relocation type {r_type} ({:?}, {} bits) at {offset:#x}",
                        rel.kind(),
                        rel.size()
                    ),
                ));
            };
            match (size, self.little_endian) {
                (4, true) => slot.copy_from_slice(&(value as u32).to_le_bytes()),
                (4, false) => slot.copy_from_slice(&(value as u32).to_be_bytes()),
                (_, true) => slot.copy_from_slice(&value.to_le_bytes()),
                (_, false) => slot.copy_from_slice(&value.to_be_bytes()),
            }
        }
        Ok(())
    }

    /// The section a DWARF address falls in, as pahole finds it: the first
    /// PROGBITS or NOBITS section, by index, whose range holds it.
    pub fn section_of_addr(&self, addr: u64) -> Option<usize> {
        self.sections
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, s)| s.holds_data && s.addr <= addr && addr - s.addr < s.size)
            .map(|(i, _)| i)
    }

    /// File range of a section, for reading it in place.
    pub fn section_range(&self, name: &str) -> Option<(u64, u64)> {
        self.file.section_by_name(name)?.file_range()
    }
}
