//! BTF deduplication, byte-identical to libbpf 1.7's `btf__dedup`, for base
//! BTF and for split BTF (a module on vmlinux) alike.
//!
//! A split BTF's base is never modified. Its hashes and tables are computed
//! once in a [`BaseIndex`], which any number of split BTFs (and threads) can
//! share, so that each split BTF costs in proportion to its own size.
//!
//! Deliberate differences from libbpf, all on malformed input, are listed
//! in docs/DEDUP.md.

mod base_index;
pub mod cases;
mod engine;
mod equiv;
pub mod extract;
mod maps;
// Shared with distillation and relocation, which compare records as dedup does.
mod shape;
pub(crate) mod signature;
mod strings;
mod table;
pub mod trace;
pub(crate) mod words;

use std::borrow::Cow;

pub use crate::btf::IdSet;
pub use base_index::BaseIndex;

use crate::btf::read::BtfParts;
use crate::btf::{Btf, TypeId};
use crate::error::Result;
use engine::{Compacted, Engine, PARALLEL_MIN_BYTES};
use strings::{dedup_strings, StringMap};
use words::Records;

/// Which libbpf's output to reproduce where libbpf versions differ.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DedupRules {
    /// Current libbpf (and libbpf before 1.6): a split typedef identical to
    /// a base typedef merges into it.
    #[default]
    Current,
    /// libbpf 1.7 byte for byte, including its bug that keeps such split
    /// typedefs (and every type built on them) in the split BTF. The
    /// differential tests use this to compare against the libbpf-sys oracle.
    Libbpf1_7,
}

/// Deduplicates `btf`: a base BTF on its own, a split BTF against its base
/// (indexed for this call only; see [`dedup_split`] to share the index).
pub fn dedup<'a>(btf: &Btf<'a>) -> Result<Btf<'a>> {
    dedup_with(btf, DedupRules::Current)
}

/// [`dedup`] reproducing the given libbpf version.
pub fn dedup_with<'a>(btf: &Btf<'a>, rules: DedupRules) -> Result<Btf<'a>> {
    match btf.base() {
        None => run(&BaseIndex::void(), btf),
        Some(base) => run(&BaseIndex::with_rules(base, rules)?, btf),
    }
}

/// Deduplicates the split BTF `btf` against `index`, built from its base.
pub fn dedup_split<'a>(index: &BaseIndex<'a>, btf: &Btf<'a>) -> Result<Btf<'a>> {
    index.check_fits(btf)?;
    run(index, btf)
}

/// Where each type of the split BTF `btf` goes when it is deduplicated
/// against `index`: its representative's input id, which is a base id when
/// the type merges into the base. Indexed by `id - btf.start_id()`.
pub fn representatives(index: &BaseIndex, btf: &Btf) -> Result<Vec<crate::btf::TypeId>> {
    representatives_kept(index, btf, None)
}

/// [`representatives`] as if the base held only the ids in `keep`, which
/// must be a set closed under references (such as the base types `btf`
/// reaches).
pub fn representatives_within(
    index: &BaseIndex,
    btf: &Btf,
    keep: &IdSet,
) -> Result<Vec<crate::btf::TypeId>> {
    if keep.end() < index.type_count() {
        return Err(crate::error::Error::new(
            crate::error::ErrorKind::Usage,
            "the kept set does not cover the indexed base",
        ));
    }
    representatives_kept(index, btf, Some(keep))
}

fn representatives_kept(
    index: &BaseIndex,
    btf: &Btf,
    keep: Option<&IdSet>,
) -> Result<Vec<crate::btf::TypeId>> {
    let (_, local) = strings_and_records(index, btf)?;
    let mut engine = Engine::new(index, local)?;
    if let Some(keep) = keep {
        engine.keep_only(keep);
    }
    engine.dedup_types()?;
    Ok((btf.start_id()..btf.type_count())
        .map(|id| engine.maps.resolve(id))
        .collect())
}

/// What the type passes over `btf` start from: its strings deduplicated,
/// and its local records, which keep their input name offsets only where
/// the string mapping is one-to-one (as in `run`, they compare exactly
/// then) and take the output offsets otherwise.
pub(super) fn strings_and_records(index: &BaseIndex, btf: &Btf) -> Result<(StringMap, Records)> {
    index.check_fits(btf)?;
    btf.validate()?;
    let names = dedup_strings(btf, index.base().map(|_| &index.strings))?;
    let mut local = Records::load(btf, btf.start_id(), btf.type_count())?;
    if !names.injective {
        local.rename(&names);
    }
    Ok((names, local))
}

fn run<'a>(index: &BaseIndex, btf: &Btf<'a>) -> Result<Btf<'a>> {
    // The passes index records by the ids they hold: a built BTF with an id
    // out of range must be an error here, not a panic there.
    btf.validate()?;
    let base_strings = index.base().map(|_| &index.strings);
    // Types are first deduplicated with their input name offsets, which is
    // exact when the string mapping is one-to-one (the usual case) and lets
    // both run at once; otherwise they are done again with output offsets.
    let types_on_input_names = || -> Result<Engine> {
        let mut engine = Engine::new(index, Records::load(btf, btf.start_id(), btf.type_count())?)?;
        engine.dedup_types()?;
        Ok(engine)
    };
    let (names, speculative) = if btf.type_bytes().len() >= PARALLEL_MIN_BYTES {
        let (names, engine) =
            rayon::join(|| dedup_strings(btf, base_strings), types_on_input_names);
        (names?, Some(engine))
    } else {
        (dedup_strings(btf, base_strings)?, None)
    };
    let kept = if names.injective {
        let engine = match speculative {
            Some(engine) => engine?,
            None => types_on_input_names()?,
        };
        engine.compact(Some(&names), btf.endian())?
    } else {
        let mut local = Records::load(btf, btf.start_id(), btf.type_count())?;
        local.rename(&names);
        let mut engine = Engine::new(index, local)?;
        engine.dedup_types()?;
        engine.compact(None, btf.endian())?
    };

    deduplicated(btf, kept, names.section)
}

/// What deduplication does with the string section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strings {
    /// libbpf's way: the strings local types refer to, in the order they
    /// are first referred to.
    Referenced,
    /// Kept as they are. Only for a section that holds each string once
    /// (as [`crate::btf::BtfBuilder`] makes them), whose order is already
    /// the one wanted.
    AsIs,
}

/// [`dedup`] of a BTF the caller gives up: its type records are freed as
/// soon as they are loaded, which lowers the peak by their size. Strings
/// and types are done one after the other here, not at once; only the
/// loading of the records runs beside the checks and the strings, which
/// read the same input.
pub fn dedup_owned(btf: Btf<'_>) -> Result<Btf<'_>> {
    dedup_owned_with(btf, Strings::Referenced)
}

/// [`dedup_owned`] with the given treatment of the strings.
pub fn dedup_owned_with(btf: Btf<'_>, strings: Strings) -> Result<Btf<'_>> {
    Ok(owned(btf, strings, false)?.0)
}

/// [`dedup_owned_with`] that also tells where each input type went: its
/// output id (a base id if it merged into the base), indexed by
/// `id - start_id`.
pub fn dedup_owned_mapped(btf: Btf<'_>, strings: Strings) -> Result<(Btf<'_>, Vec<TypeId>)> {
    owned(btf, strings, true)
}

/// The owned deduplication; the output ids only `with_ids` (else empty).
fn owned(mut btf: Btf<'_>, strings: Strings, with_ids: bool) -> Result<(Btf<'_>, Vec<TypeId>)> {
    let base = btf.base();
    let (checked, local) = rayon::join(
        || -> Result<_> {
            btf.validate()?;
            let index = match base {
                Some(base) => BaseIndex::new(base)?,
                None => BaseIndex::void(),
            };
            let names = match strings {
                Strings::Referenced => Some(dedup_strings(&btf, base.map(|_| &index.strings))?),
                Strings::AsIs => None,
            };
            Ok((index, names))
        },
        // Copying records needs no validated input: it checks their kinds.
        || Records::load(&btf, btf.start_id(), btf.type_count()),
    );
    let (index, names) = checked?;
    let mut local = local?;
    let injective = names.as_ref().is_none_or(|n| n.injective);
    if let (Some(names), false) = (&names, injective) {
        local.rename(names);
    }
    let own_strings = btf.take_strings_drop_types();
    let mut engine = Engine::new(&index, local)?;
    engine.dedup_types()?;
    let kept = engine.compact(names.as_ref().filter(|_| injective), btf.endian())?;
    let ids = if with_ids {
        engine.output_ids(&kept)
    } else {
        Vec::new()
    };
    let section = match names {
        Some(names) => names.section,
        None => own_strings,
    };
    Ok((deduplicated(&btf, kept, section)?, ids))
}

/// The deduplicated BTF: `btf`'s header, layout and base around the kept
/// records and the new strings.
fn deduplicated<'a>(btf: &Btf<'a>, kept: Compacted, strings: Vec<u8>) -> Result<Btf<'a>> {
    Btf::from_parts(BtfParts {
        header: *btf.header(),
        types: kept.bytes,
        offsets: kept.offs,
        strings,
        layout: Cow::Owned(btf.layout_bytes().to_vec()),
        base: btf.base(),
        start_id: btf.start_id(),
        start_str_off: btf.start_str_off(),
    })
}
