//! DWARF → BTF, the equivalent of `pahole -J` (pahole 1.30's rules).
//!
//! CUs are decoded in parallel ([`walk`]) and encoded one after another in
//! CU order ([`types`], [`funcs`], [`vars`]), so the output is the same for
//! any number of threads ([`pipeline`]). The result is deduplicated with [`crate::dedup`].
//!
//! Differences from pahole are listed in docs/ENCODE.md.

mod chunks;
pub mod compact;
mod elf;
mod features;
mod funcs;
mod ir;
mod kfuncs;
mod names;
mod pipeline;
mod types;
mod vars;
mod walk;

use std::borrow::Cow;
use std::collections::HashSet;

pub use features::Features;

use crate::btf::{Btf, BtfBuilder, Endian, TypeId};
use crate::error::{Error, ErrorKind, Result};
use elf::ElfInput;
use funcs::{ElfFunctions, SavedFunc};
use ir::Cu;

/// How to encode.
#[derive(Debug, Clone)]
pub struct Options {
    pub features: Features,
    /// `DW_AT_language` codes whose CUs are skipped (see [`language_code`]).
    pub lang_exclude: Vec<u16>,
    /// CUs per deduplication chunk of a base BTF (see [`chunks`]); 0 for
    /// one pass over all raw types.
    pub chunk_cus: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            features: Features::default_set(),
            lang_exclude: Vec::new(),
            chunk_cus: chunks::CUS_PER_CHUNK,
        }
    }
}

/// What the encoding did, for the user.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EncodeSummary {
    pub cus: usize,
    pub cus_skipped: usize,
    /// Types before deduplication.
    pub types_encoded: u32,
    pub funcs: usize,
    /// Function groups left out by `consistent_func`.
    pub funcs_skipped: usize,
    pub vars: usize,
    /// The ELF file's byte order, which the BTF should be written in (the
    /// returned BTF is in native order: `to_bytes_in` converts).
    #[serde(skip)]
    pub endian: Endian,
    /// Things encoded differently from the DWARF, one line each (bounded).
    pub warnings: Vec<String>,
}

/// The `DW_AT_language` code of a language name as pahole's
/// `--lang_exclude` takes them (a subset: the languages a kernel mixes).
pub fn language_code(name: &str) -> Option<u16> {
    Some(match name.to_ascii_lowercase().as_str() {
        "c89" => 0x01,
        "c" => 0x02,
        "c_plus_plus" | "c++" => 0x04,
        "c99" => 0x0c,
        "mips_assembler" | "asm" => 0x8001,
        "rust" => 0x1c,
        "c11" => 0x1d,
        "c_plus_plus_11" => 0x1a,
        "c_plus_plus_14" => 0x21,
        "c17" => 0x2c,
        _ => return None,
    })
}

/// How many CUs are decoded ahead of the encoder; bounds memory.
const LOOKAHEAD: usize = 64;
/// Progress is told every this many CUs.
const PROGRESS_EVERY: usize = 32;
const MAX_WARNINGS: usize = 200;

/// The serial half: appends CUs in order to one BTF, as pahole's single
/// `btf_encoder`.
struct Encoder<'a, 'b> {
    b: BtfBuilder<'b>,
    base: Option<&'b Btf<'b>>,
    /// Raw types in the chunks sealed so far: a type's global id is its
    /// id in the current builder plus this.
    shift: TypeId,
    chunks_sealed: usize,
    /// The current chunk starts with a copy of the array index type.
    chunk_has_index_copy: bool,
    features: Features,
    addr_size: u64,
    has_index_type: bool,
    array_index_id: TypeId,
    elf_funcs: ElfFunctions<'a>,
    names: names::Names,
    saved: Vec<SavedFunc<'a>>,
    sections: vars::Sections,
    objects: Option<HashSet<(&'a [u8], usize)>>,
    report: EncodeSummary,
}

impl<'a, 'b> Encoder<'a, 'b> {
    fn warn(&mut self, msg: String) {
        if self.report.warnings.len() < MAX_WARNINGS {
            self.report.warnings.push(msg);
        }
    }

    fn new_builder(&self) -> BtfBuilder<'b> {
        match self.base {
            Some(b) => BtfBuilder::new_split(b),
            None => BtfBuilder::new(),
        }
    }

    fn encode_cu(&mut self, cu: Cu<'a>, elf: &ElfInput<'a>) -> Result<()> {
        let off = self.b.btf().type_count() - 1;
        self.choose_index_type(&cu, off);
        self.encode_types(&cu, off);
        self.save_funcs(&cu, off + self.shift);
        self.encode_vars(&cu, off, elf)?;
        for w in cu.warnings {
            self.warn(format!("{}: {w}", String::from_utf8_lossy(cu.name)));
        }
        Ok(())
    }
}

/// The DWARF sections gimli reads.
const DWARF_SECTIONS: [gimli::SectionId; 11] = {
    use gimli::SectionId::*;
    [
        DebugInfo,
        DebugAbbrev,
        DebugStr,
        DebugStrOffsets,
        DebugLineStr,
        // gimli reads each unit's line program header.
        DebugLine,
        DebugAddr,
        DebugLocLists,
        DebugLoc,
        DebugRngLists,
        DebugRanges,
    ]
};

/// The section kfuncs are found in.
const KFUNC_SECTION: &str = ".BTF_ids";

/// The DWARF sections gimli reads, borrowed or (relocated) owned.
struct Sections<'a> {
    data: Vec<(gimli::SectionId, Cow<'a, [u8]>)>,
}

impl<'a> Sections<'a> {
    fn load(elf: &ElfInput<'a>) -> Result<Self> {
        let data = DWARF_SECTIONS
            .iter()
            .map(|&id| Ok((id, elf.section_data(id.name())?)))
            .collect::<Result<_>>()?;
        Ok(Sections { data })
    }

    /// The section's bytes; empty when the file has none.
    fn bytes(&self, id: gimli::SectionId) -> &[u8] {
        self.data
            .iter()
            .find(|(i, _)| *i == id)
            .map_or(&[][..], |(_, d)| &d[..])
    }

    fn dwarf(&self, endian: gimli::RunTimeEndian) -> walk::Dwarf<'_> {
        gimli::Dwarf::load(|id| -> std::result::Result<_, ()> {
            Ok(gimli::EndianSlice::new(self.bytes(id), endian))
        })
        .expect("loading from slices cannot fail")
    }
}

/// Encodes the DWARF of `elf_data` (vmlinux or a module) as deduplicated
/// BTF, as pahole does: split BTF on `base` when given. `progress` is told
/// (CUs done, CUs in all).
pub fn encode<'b>(
    elf_data: &[u8],
    base: Option<&'b Btf<'b>>,
    opts: &Options,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(Btf<'b>, EncodeSummary)> {
    let (merged, report) = encode_merged(elf_data, base, opts, progress)?;
    Ok((merged.finish()?, report))
}

/// [`encode`] on a compact ELF file ([`compact`]), which is freed before
/// the last deduplication; error offsets are the original file's.
pub fn encode_compact<'b>(
    elf: compact::Compacted,
    base: Option<&'b Btf<'b>>,
    opts: &Options,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(Btf<'b>, EncodeSummary)> {
    let (merged, report) =
        encode_merged(&elf.bytes, base, opts, progress).map_err(|e| elf.original_error(e))?;
    drop(elf);
    Ok((merged.finish()?, report))
}

/// [`encode`] without the deduplication. The result no longer refers to
/// `elf_data`.
pub fn encode_raw<'b>(
    elf_data: &[u8],
    base: Option<&'b Btf<'b>>,
    opts: &Options,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(Btf<'b>, EncodeSummary)> {
    let (btf, _, report) = run(elf_data, base, opts, progress, false)?;
    Ok((btf, report))
}

/// [`encode`] up to its last deduplication. The result no longer refers
/// to `elf_data`, so a caller can unmap the input first.
pub fn encode_merged<'b>(
    elf_data: &[u8],
    base: Option<&'b Btf<'b>>,
    opts: &Options,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(Merged<'b>, EncodeSummary)> {
    let (btf, chunked, report) = run(elf_data, base, opts, progress, true)?;
    let strings = if chunked {
        crate::dedup::Strings::AsIs
    } else {
        crate::dedup::Strings::Referenced
    };
    Ok((Merged { btf, strings }, report))
}

/// An encoding one deduplication away from the result: the raw BTF, or,
/// when it was deduplicated in chunks, their merge with the functions and
/// variables (see [`chunks`]).
pub struct Merged<'b> {
    btf: Btf<'b>,
    strings: crate::dedup::Strings,
}

impl<'b> Merged<'b> {
    /// The encoded BTF.
    pub fn finish(self) -> Result<Btf<'b>> {
        crate::dedup::dedup_owned_with(self.btf, self.strings)
    }
}

/// Encodes in one builder (the raw BTF) or, if `may_chunk` and the input
/// is a base BTF of more than one chunk's CUs, in chunks deduplicated as
/// they are sealed (the merged BTF; the flag returned says which). Split
/// BTF (a module) is never chunked: modules are small, and one pass keeps
/// the output pahole's (see [`chunks`]).
fn run<'b>(
    elf_data: &[u8],
    base: Option<&'b Btf<'b>>,
    opts: &Options,
    progress: &(dyn Fn(usize, usize) + Sync),
    may_chunk: bool,
) -> Result<(Btf<'b>, bool, EncodeSummary)> {
    let elf = ElfInput::parse(elf_data)?;
    let sections = Sections::load(&elf)?;
    let endian = if elf.little_endian {
        gimli::RunTimeEndian::Little
    } else {
        gimli::RunTimeEndian::Big
    };
    let dwarf = sections.dwarf(endian);
    let ctx = walk::Context {
        dwarf: &dwarf,
        features: opts.features,
        little_endian: elf.little_endian,
        addr_size: 8,
        arg_regs: walk::arg_registers(elf.machine),
        lang_exclude: opts.lang_exclude.clone(),
        debug_info_at: elf.section_range(".debug_info").map_or(0, |r| r.0),
    };
    let headers = unit_headers(&dwarf, ctx.debug_info_at)?;
    if headers.is_empty() {
        return Err(Error::new(
            ErrorKind::BadContainer,
            "no DWARF (.debug_info) in this file; was it built with debug info?",
        ));
    }

    let chunk_cus = opts.chunk_cus;
    let chunked = may_chunk && base.is_none() && chunk_cus > 0 && headers.len() > chunk_cus;
    let mut builder = match base {
        Some(b) => BtfBuilder::new_split(b),
        None => BtfBuilder::new(),
    };
    if !chunked {
        // Raw BTF comes to ~0.8x the size of .debug_info (Debian 6.1: 143
        // MB from 174 MB): reserved once, its buffer is never copied to a
        // twice bigger one.
        let debug_info_len = elf.section_range(".debug_info").map_or(0, |r| r.1);
        builder.reserve_type_bytes(usize::try_from(debug_info_len).unwrap_or(0));
    }
    let mut elf_funcs = ElfFunctions::new(&elf);
    if opts.features.decl_tag_kfuncs {
        for (name, flags) in kfuncs::collect(&elf) {
            elf_funcs.mark_kfunc(name, flags);
        }
    }
    let mut enc = Encoder {
        b: builder,
        base,
        shift: 0,
        chunks_sealed: 0,
        chunk_has_index_copy: false,
        features: opts.features,
        addr_size: ctx.addr_size,
        has_index_type: false,
        array_index_id: 0,
        elf_funcs,
        names: names::Names::new(sections.bytes(gimli::SectionId::DebugStr)),
        saved: Vec::new(),
        sections: vars::Sections::default(),
        objects: None,
        report: EncodeSummary {
            cus: 0,
            cus_skipped: 0,
            types_encoded: 0,
            funcs: 0,
            funcs_skipped: 0,
            vars: 0,
            endian: if elf.little_endian {
                Endian::Little
            } else {
                Endian::Big
            },
            warnings: Vec::new(),
        },
    };

    let total = headers.len();
    let merger = chunks::Merger::new(enc.new_builder());
    pipeline::decode_parallel_encode_in_order(
        &headers,
        LOOKAHEAD,
        |&header| walk::decode_unit(&ctx, header),
        |i, cu, jobs| -> Result<()> {
            match cu? {
                Some(cu) => {
                    enc.report.cus += 1;
                    enc.encode_cu(cu, &elf)?;
                }
                None => enc.report.cus_skipped += 1,
            }
            let done = i + 1;
            if chunked && (done % chunk_cus == 0 || done == total) {
                jobs.extend(enc.seal_chunk());
            }
            if done % PROGRESS_EVERY == 0 || done == total {
                progress(done, total);
            }
            Ok(())
        },
        |chunk| merger.run(chunk),
    )?;
    let raw_types = enc.b.btf().type_count();
    if chunked {
        let (merged, map) = merger.finish()?;
        enc.b = merged;
        enc.names.clear();
        enc.remap_saved(&map)?;
    }
    let tail_from = enc.b.btf().type_count();
    enc.add_saved_funcs();
    enc.add_datasecs(&elf)?;
    let mut report = enc.report;
    let btf = enc.b.finish();
    report.types_encoded += if chunked {
        btf.type_count() - tail_from
    } else {
        raw_types - btf.start_id() + (btf.type_count() - tail_from)
    };
    Ok((btf, chunked, report))
}

fn unit_headers<'a>(
    dwarf: &walk::Dwarf<'a>,
    debug_info_at: u64,
) -> Result<Vec<gimli::UnitHeader<walk::R<'a>>>> {
    let mut units = dwarf.units();
    let mut headers = Vec::new();
    loop {
        match units.next() {
            Ok(Some(h)) => headers.push(h),
            Ok(None) => return Ok(headers),
            Err(e) => {
                let at = headers
                    .last()
                    .and_then(|h: &gimli::UnitHeader<_>| h.offset().as_debug_info_offset())
                    .map_or(0, |o| o.0 as u64);
                return Err(Error::at(
                    ErrorKind::BadContainer,
                    debug_info_at + at,
                    format!("DWARF: {e} (unit header after .debug_info+{at:#x})"),
                ));
            }
        }
    }
}
