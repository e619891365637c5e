//! Variables: a VAR per top-level variable with a static address in a
//! section we encode (`.data..percpu` with `var`, every data section with
//! `global_var`), and at the end one DATASEC per section holding any.

use std::collections::{BTreeMap, HashSet};

use super::elf::ElfInput;
use super::ir::{Cu, Ty};
use super::Encoder;
use crate::btf::kind::{VAR_GLOBAL_ALLOCATED, VAR_STATIC};
use crate::btf::TypeId;
use crate::error::{Error, ErrorKind, Result};

const PERCPU_SECTION: &[u8] = b".data..percpu";

/// Compiler- and macro-made names that carry nothing useful (pahole's list).
const FILTERED_PREFIXES: [&[u8]; 5] = [
    b"__UNIQUE_ID",
    b"__tpstrtab_",
    b"__exitcall_",
    b"__gendwarfksyms_ptr_",
    b"__func_stack_frame_non_standard_",
];

/// Longest identifier the kernel's kallsyms takes.
const KSYM_NAME_LEN: usize = 128;

/// VARs waiting for their DATASEC, by section index.
#[derive(Default)]
pub(super) struct Sections {
    /// (global var id, offset in section, size)
    entries: BTreeMap<usize, Vec<(TypeId, u32, u32)>>,
}

impl Sections {
    pub(super) fn remap_ids(&mut self, map: impl Fn(TypeId) -> Result<TypeId>) -> Result<()> {
        for var in self.entries.values_mut().flatten() {
            var.0 = map(var.0)?;
        }
        Ok(())
    }
}

/// pahole's `btf_name_valid`: a C identifier that may also contain dots.
fn name_valid(name: &[u8]) -> bool {
    let ok = |c: u8, first: bool| {
        c == b'_'
            || c == b'.'
            || if first {
                c.is_ascii_alphabetic()
            } else {
                c.is_ascii_alphanumeric()
            }
    };
    match name.split_first() {
        Some((&first, rest)) => {
            ok(first, true) && name.len() <= KSYM_NAME_LEN && rest.iter().all(|&c| ok(c, false))
        }
        None => false,
    }
}

impl<'a> Encoder<'a, '_> {
    pub(super) fn encode_vars(
        &mut self,
        cu: &Cu<'a>,
        off: TypeId,
        elf: &ElfInput<'a>,
    ) -> Result<()> {
        if !self.features.var && !self.features.global_var {
            return Ok(());
        }
        for v in &cu.vars {
            let Some(shndx) = elf.section_of_addr(v.addr) else {
                continue;
            };
            let section = &elf.sections[shndx];
            if !self.features.global_var && section.name != PERCPU_SECTION {
                continue;
            }
            let addr = v.addr - section.addr;
            let Some(name) = v.name else { continue };
            if FILTERED_PREFIXES.iter().any(|p| name.starts_with(p)) {
                continue;
            }
            // Address 0 may be a discarded section's; believe it only if
            // the symbol table puts the variable in this section.
            if addr == 0 && !self.object_in_section(elf, name, shndx) {
                continue;
            }
            let text = String::from_utf8_lossy(name);
            if !name_valid(name) || v.ty == 0 {
                let why = if v.ty == 0 {
                    "has void type"
                } else {
                    "has an invalid name"
                };
                if self.features.encode_force {
                    self.warn(format!("variable '{text}' {why}; left out"));
                    continue;
                }
                return Err(Error::new(
                    ErrorKind::BadContainer,
                    format!("variable '{text}' in CU {} {why} (use the encode_force feature to leave it out)", String::from_utf8_lossy(cu.name)),
                ));
            }
            let size = Ty::size(v.ty, &cu.types, self.addr_size);
            let (Ok(size), Ok(addr)) = (u32::try_from(size), u32::try_from(addr)) else {
                continue;
            };
            if size == 0 {
                continue;
            }
            let linkage = if v.external {
                VAR_GLOBAL_ALLOCATED
            } else {
                VAR_STATIC
            };
            let id = self.b.add_var(&text, linkage, off + v.ty);
            for t in &v.tags {
                self.decl_tag(t.value, id, t.component);
            }
            let global = self.global(id);
            self.sections
                .entries
                .entry(shndx)
                .or_default()
                .push((global, addr, size));
            self.report.vars += 1;
        }
        Ok(())
    }

    fn object_in_section(&mut self, elf: &ElfInput<'a>, name: &[u8], shndx: usize) -> bool {
        let objects = self.objects.get_or_insert_with(|| {
            elf.symbols
                .iter()
                .filter(|s| s.is_object)
                .filter_map(|s| Some((s.name, s.section?)))
                .collect::<HashSet<_>>()
        });
        objects.contains(&(name, shndx))
    }

    /// One DATASEC per section, its VARs by offset, sized to the end of
    /// the last one (as pahole: the last by offset, not the largest end).
    pub(super) fn add_datasecs(&mut self, elf: &ElfInput<'a>) -> Result<()> {
        for (shndx, mut vars) in std::mem::take(&mut self.sections.entries) {
            vars.sort_by_key(|v| v.1);
            let last = vars.last().expect("a section is listed with its first var");
            let name = String::from_utf8_lossy(elf.sections[shndx].name);
            self.b.add_datasec(&name, last.1.wrapping_add(last.2));
            for (id, offset, size) in vars {
                self.b.add_datasec_var_info(id, offset, size)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::name_valid;

    #[test]
    fn names() {
        assert!(name_valid(b"jiffies"));
        assert!(name_valid(b"_x.1"));
        assert!(!name_valid(b"1x"));
        assert!(!name_valid(b""));
        assert!(!name_valid(b"a-b"));
        assert!(!name_valid(&[b'a'; 129]));
    }
}
