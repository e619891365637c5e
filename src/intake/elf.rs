//! Locating the BTF sections of an ELF object with the `object` crate.

use std::ops::Range;

use object::{Object, ObjectSection};

use super::Layer;
use crate::error::{Error, ErrorKind, Result};

pub(super) struct ElfSections {
    pub layer: Layer,
    pub btf: Option<Range<usize>>,
    pub btf_base: Option<Range<usize>>,
    pub btf_ext: Option<Range<usize>>,
}

pub(super) fn sections(data: &[u8]) -> Result<ElfSections> {
    let file = object::File::parse(data).map_err(|e| {
        Error::at(
            ErrorKind::BadContainer,
            0u64,
            format!("malformed ELF file: {e}"),
        )
    })?;
    let range = |name: &str| -> Result<Option<Range<usize>>> {
        let Some(section) = file.section_by_name(name) else {
            return Ok(None);
        };
        let (start, len) = section.file_range().ok_or_else(|| {
            Error::new(
                ErrorKind::BadContainer,
                format!("ELF section {name} has no file data"),
            )
        })?;
        let end = start.checked_add(len).filter(|&e| e <= data.len() as u64);
        match end {
            Some(end) => Ok(Some(start as usize..end as usize)),
            None => Err(Error::at(
                ErrorKind::OutOfRange,
                start,
                format!(
                    "ELF section {name} of {len} bytes runs past the end of the file ({} bytes)",
                    data.len()
                ),
            )),
        }
    };
    Ok(ElfSections {
        layer: Layer::Elf {
            bits: if file.is_64() { 64 } else { 32 },
            big_endian: !file.is_little_endian(),
        },
        btf: range(".BTF")?,
        btf_base: range(".BTF.base")?,
        btf_ext: range(".BTF.ext")?,
    })
}

/// The file bytes of the ELF section `name`, if the object has one with data
/// inside the file (a BPF program's code section, for instance).
pub(super) fn section_bytes<'d>(data: &'d [u8], name: &str) -> Option<&'d [u8]> {
    let file = object::File::parse(data).ok()?;
    let (start, len) = file.section_by_name(name)?.file_range()?;
    let end = start.checked_add(len)?;
    data.get(start as usize..usize::try_from(end).ok()?)
}
