//! FULL BTF without deduplicating the base part again.
//!
//! A module's FULL BTF is the base types it reaches (R) and its own types
//! (M), deduplicated on their own. The base is already deduplicated, so
//! when it is a fixed point of our dedup, R is one too, except where a
//! forward declaration in R could now be resolved: a subset can make a
//! struct name unique, or M can bring the definition. When no forward
//! declaration is in that position and the names M's own forwards ask for
//! are unambiguous, every type has at most one equivalent candidate, so the
//! order candidates are visited in cannot matter, and deduplicating M as a
//! split BTF on a base holding only R gives the same representatives as
//! the stand-alone run. The FULL BTF is then assembled directly: R
//! renumbered, then M's representatives, with the strings in the order the
//! stand-alone run would visit them. Anything outside those conditions
//! falls back to the stand-alone run, and tests compare both on every
//! module of a real kernel.

use crate::btf::fx::{map_with_capacity, FxHashMap};
use crate::btf::record::{id_words, is_enum_fwd, kind, str_words, ENUM, ENUM64, FWD, NAME, TYPE};
use crate::btf::{Btf, Endian, TypeId};
use crate::dedup::{dedup, representatives_within, BaseIndex, IdSet};
use crate::error::Result;

/// What the fast path needs of a base, computed once per base.
pub(super) struct FastBase<'a> {
    index: BaseIndex<'a>,
    /// Per base type from `template_at[id]`, in one stream for locality:
    /// its word count, its patch count, the bytes its names take (a bound
    /// for sizing the strings), its record with names replaced by text
    /// ordinals (0 for ""), then its patches, the words to rewrite:
    /// `2 * index` for a type id, `2 * index + 1` for a name.
    template: Vec<u32>,
    template_at: Vec<u32>,
    /// What [`measure`] reads of base type `id`, from `measures_at[id]`:
    /// its word count, how many names it has, and their text ordinals
    /// (not 0). A fraction of the template, read in id order.
    measures: Vec<u32>,
    measures_at: Vec<u32>,
    /// Ordinal → its text's offset in `strings` and length with its NUL.
    texts: Vec<(u32, u32)>,
    strings: &'a [u8],
    /// Text → ordinal.
    by_text: FxHashMap<&'a [u8], u32>,
    /// Base FWDs and enum forwards with the ids of their namesakes: the
    /// structs and unions (for a FWD) or full enums (for an enum forward)
    /// of the same name, which could resolve them.
    forwards: Vec<Forward>,
    /// Structs and unions, and full enums, by name ordinal (for the
    /// forwards of modules).
    structs: FxHashMap<u32, Vec<TypeId>>,
    enums: FxHashMap<u32, Vec<TypeId>>,
}

/// Items [`copy_short`] copies at once.
const SHORT: usize = 16;

/// Words before a template's record: its length, its patch count and its
/// name bytes.
const HEAD: usize = 3;

struct Forward {
    id: TypeId,
    name: u32,
    is_enum: bool,
    namesakes: Vec<TypeId>,
}

impl<'a> FastBase<'a> {
    /// `None` when the fast path can never apply to `base`: it has a base
    /// of its own, its deduplication changes it, or a FWD of it holds a
    /// type word (which the two paths would renumber differently).
    pub(super) fn new(base: &'a Btf<'a>) -> Result<Option<Self>> {
        // A base dedup refuses or changes is left to the stand-alone run.
        if base.base().is_some() {
            return Ok(None);
        }
        let (deduped, index) = rayon::join(|| dedup(base), || BaseIndex::new(base));
        let fixed_point = deduped.is_ok_and(|d| d.local_len() == base.local_len());
        let (true, Ok(index)) = (fixed_point, index) else {
            return Ok(None);
        };
        let mut ordinal: FxHashMap<u32, u32> = map_with_capacity(base.local_len());
        let mut texts = vec![(0, 0)];
        let mut by_text: FxHashMap<&[u8], u32> = map_with_capacity(base.local_len());
        let mut template = Vec::new();
        let mut template_at = vec![0u32; base.type_count() as usize];
        for id in 1..base.type_count() {
            let r = index.records.get(id);
            let at = template.len();
            template_at[id as usize] = at as u32;
            template.extend([r.len() as u32, 0, 0]);
            template.extend_from_slice(r);
            let patches = id_words(r)
                .map(|w| 2 * w as u32)
                .chain(str_words(r).map(|w| 2 * w as u32 + 1));
            template.extend(patches);
            template[at + 1] = (template.len() - at - HEAD - r.len()) as u32;
            for w in str_words(r) {
                let off = r[w];
                let Some(text) = base.str_at(off) else {
                    return Ok(None);
                };
                template[at + 2] += text.len() as u32 + 1;
                template[at + HEAD + w] = match ordinal.get(&off) {
                    _ if text.is_empty() => 0,
                    Some(&o) => o,
                    // Names are compared by offset on this path: two
                    // offsets of one text would compare unequal.
                    None if by_text.contains_key(text) => return Ok(None),
                    None => {
                        let o = texts.len() as u32;
                        by_text.insert(text, o);
                        ordinal.insert(off, o);
                        texts.push((off, text.len() as u32 + 1));
                        o
                    }
                };
            }
        }
        let name_of = |id: TypeId| template[template_at[id as usize] as usize + HEAD + NAME];
        let mut structs: FxHashMap<u32, Vec<TypeId>> = FxHashMap::default();
        let mut enums: FxHashMap<u32, Vec<TypeId>> = FxHashMap::default();
        let mut forward_ids = Vec::new();
        for id in 1..base.type_count() {
            let r = index.records.get(id);
            match kind(r) {
                FWD if r[TYPE] != 0 => return Ok(None),
                FWD => forward_ids.push((id, false)),
                ENUM | ENUM64 if is_enum_fwd(r) => forward_ids.push((id, true)),
                ENUM | ENUM64 => enums.entry(name_of(id)).or_default().push(id),
                k if crate::btf::record::is_struct_or_union(k) => {
                    structs.entry(name_of(id)).or_default().push(id)
                }
                _ => {}
            }
        }
        let forwards = forward_ids
            .into_iter()
            .map(|(id, is_enum)| {
                let name = name_of(id);
                let namesakes = if is_enum { &enums } else { &structs };
                Forward {
                    id,
                    name,
                    is_enum,
                    namesakes: namesakes.get(&name).cloned().unwrap_or_default(),
                }
            })
            .collect();
        let mut measures = Vec::new();
        let mut measures_at = vec![0u32; base.type_count() as usize];
        for id in 1..base.type_count() {
            let t = template_at[id as usize] as usize;
            let record = &template[t + HEAD..t + HEAD + template[t] as usize];
            measures_at[id as usize] = measures.len() as u32;
            let names = str_words(index.records.get(id))
                .map(|w| record[w])
                .filter(|&o| o != 0);
            let at = measures.len();
            measures.extend([record.len() as u32, 0]);
            measures.extend(names);
            measures[at + 1] = (measures.len() - at - 2) as u32;
        }
        Ok(Some(FastBase {
            index,
            template,
            template_at,
            measures,
            measures_at,
            texts,
            strings: base.string_bytes(),
            by_text,
            forwards,
            structs,
            enums,
        }))
    }
}

/// The parts of a module's FULL BTF: its type records (renumbered, in
/// `btf`'s byte order), their byte offsets and its strings.
pub(super) struct Assembled {
    pub(super) types: Vec<u8>,
    pub(super) offsets: Vec<u32>,
    pub(super) strings: Vec<u8>,
}

/// What a module's FULL BTF would hold, counted without building it.
pub(super) struct Measured {
    pub(super) types: usize,
    pub(super) type_bytes: usize,
    pub(super) string_bytes: usize,
}

/// How the module's types enter its FULL BTF: `reps` as
/// `representatives_within` gives them, and the FULL id of each kept
/// (representative) type, 0 for the others.
struct Plan {
    reps: Vec<TypeId>,
    local_ids: Vec<u32>,
}

/// The FULL BTF of `btf` (a split BTF on the base of `fast`), which
/// reaches the base types `reached`, or `None` where the fast path does
/// not apply.
pub(super) fn assemble(fast: &FastBase, btf: &Btf, reached: &IdSet) -> Result<Option<Assembled>> {
    let Some(plan) = plan(fast, btf, reached)? else {
        return Ok(None);
    };
    let start = btf.start_id();
    let base_id = |id: TypeId| reached.rank(id) + 1;
    let full_id = |id: TypeId| -> TypeId {
        let to = match id {
            0 => return 0,
            id if id < start => id,
            id => plan.reps[(id - start) as usize],
        };
        if to < start {
            base_id(to)
        } else {
            plan.local_ids[(to - start) as usize]
        }
    };

    let template = &fast.template;
    let (mut base_words, mut name_bytes) = (0, 0);
    for id in reached.iter() {
        let t = fast.template_at[id as usize] as usize;
        base_words += template[t] as usize;
        name_bytes += template[t + 2] as usize;
    }
    let mut strings = Strings::new(fast, name_bytes + btf.string_bytes().len());
    let mut words: Vec<u32> = Vec::with_capacity(base_words + btf.type_bytes().len() / 4 + SHORT);
    let mut offsets = Vec::with_capacity(reached.len() + plan.kept());
    for id in reached.iter() {
        let (record, patches) = fast.template_record(id);
        let at = words.len();
        offsets.push(4 * at as u32);
        copy_short(&mut words, record, record.len());
        let rec = &mut words[at..];
        for &p in patches {
            let w = &mut rec[p as usize / 2];
            *w = match (p % 2, *w) {
                (_, 0) => 0,
                (0, to) => base_id(to),
                (_, o) => strings.place(o),
            };
        }
    }
    let names = module_names(btf, &mut strings);
    let mut names = names.into_iter();
    for (t, &local_id) in btf.local_types().zip(&plan.local_ids) {
        if local_id == 0 {
            names.by_ref().take(t.name_words().count()).for_each(drop);
            continue;
        }
        let at = words.len();
        offsets.push(4 * at as u32);
        words.extend(t.words());
        let rec = &mut words[at..];
        for w in t.type_ref_words() {
            rec[w] = full_id(rec[w]);
        }
        for w in t.name_words() {
            rec[w] = names.next().unwrap_or(0);
        }
    }
    let mut types = vec![0u8; 4 * words.len()];
    let out = types.chunks_exact_mut(4).zip(words);
    // One loop per byte order, each a plain copy the compiler vectorizes.
    match btf.endian() {
        Endian::Little => out.for_each(|(o, w)| o.copy_from_slice(&w.to_le_bytes())),
        Endian::Big => out.for_each(|(o, w)| o.copy_from_slice(&w.to_be_bytes())),
    }
    Ok(Some(Assembled {
        types,
        offsets,
        strings: strings.out,
    }))
}

/// [`assemble`]'s sizes without assembling: the strings it would place
/// are counted, and nothing is copied (most of the page's work, when it
/// only shows sizes).
pub(super) fn measure(fast: &FastBase, btf: &Btf, reached: &IdSet) -> Result<Option<Measured>> {
    let Some(plan) = plan(fast, btf, reached)? else {
        return Ok(None);
    };
    // The empty string at offset 0, then each distinct text once.
    let mut string_bytes = 1;
    let mut seen = vec![0u64; fast.texts.len().div_ceil(64)];
    let mut see = |o: u32| {
        let (word, bit) = (o as usize / 64, 1u64 << (o % 64));
        if seen[word] & bit == 0 {
            seen[word] |= bit;
            string_bytes += fast.texts[o as usize].1 as usize;
        }
    };
    let mut type_words = 0;
    for id in reached.iter() {
        let at = fast.measures_at[id as usize] as usize;
        let (words, names) = (fast.measures[at], fast.measures[at + 1] as usize);
        type_words += words as usize;
        fast.measures[at + 2..at + 2 + names]
            .iter()
            .for_each(|&o| see(o));
    }
    // Every module type's strings count, kept or not; each module string
    // offset is looked up by its text once.
    let mut by_offset: FxHashMap<u32, ()> = FxHashMap::default();
    let mut own: FxHashMap<&[u8], ()> = FxHashMap::default();
    let mut own_bytes = 0;
    for t in btf.local_types() {
        for w in t.name_words() {
            let off = t.word(w);
            if by_offset.insert(off, ()).is_some() {
                continue;
            }
            let text = btf.str_at(off).unwrap_or_default();
            match fast.by_text.get(text) {
                _ if text.is_empty() => {}
                Some(&o) => see(o),
                None => {
                    if own.insert(text, ()).is_none() {
                        own_bytes += text.len() + 1;
                    }
                }
            }
        }
    }
    for (t, &local_id) in btf.local_types().zip(&plan.local_ids) {
        if local_id != 0 {
            type_words += t.words().len();
        }
    }
    Ok(Some(Measured {
        types: reached.len() + plan.kept(),
        type_bytes: 4 * type_words,
        string_bytes: string_bytes + own_bytes,
    }))
}

/// The module's representatives and their FULL ids, if the fast path
/// applies.
fn plan(fast: &FastBase, btf: &Btf, reached: &IdSet) -> Result<Option<Plan>> {
    let start = btf.start_id();
    if !forwards_inert(fast, btf, reached) {
        return Ok(None);
    }
    let reps = representatives_within(&fast.index, btf, reached)?;
    // FULL ids of the module's representatives, after the base part.
    let mut local_ids = vec![0u32; reps.len()];
    let mut next = reached.len() as u32 + 1;
    for (i, &rep) in reps.iter().enumerate() {
        if rep == start + i as u32 {
            local_ids[i] = next;
            next += 1;
        } else if rep < start && !reached.contains(rep) {
            // Merged into a base type the module does not reach: the
            // conditions above should make this impossible.
            return Ok(None);
        }
    }
    Ok(Some(Plan { reps, local_ids }))
}

impl Plan {
    /// Module types the FULL BTF keeps.
    fn kept(&self) -> usize {
        self.local_ids.iter().filter(|&&id| id != 0).count()
    }
}

impl FastBase<'_> {
    /// Base type `id`'s record (names as text ordinals) and its patches.
    fn template_record(&self, id: TypeId) -> (&[u32], &[u32]) {
        let t = self.template_at[id as usize] as usize;
        let (len, patches) = (self.template[t] as usize, self.template[t + 1] as usize);
        let record = &self.template[t + HEAD..];
        (&record[..len], &record[len..len + patches])
    }
}

/// Places the strings of every module type, kept or not (strings are
/// deduplicated before types are), in order; their output offsets.
fn module_names<'b>(btf: &'b Btf, strings: &mut Strings<'_, 'b>) -> Vec<u32> {
    let mut names = Vec::with_capacity(btf.local_len());
    for t in btf.local_types() {
        for w in t.name_words() {
            names.push(strings.text(btf.str_at(t.word(w)).unwrap_or_default()));
        }
    }
    names
}

/// No base forward declaration the module reaches could be resolved in
/// the FULL BTF, and every forward of the module names at most one
/// candidate among the reached base types and its own.
fn forwards_inert(fast: &FastBase, btf: &Btf, reached: &IdSet) -> bool {
    let kept = |ids: &[TypeId]| ids.iter().filter(|&&id| reached.contains(id)).count();
    let mut reached_forwards: Vec<(u32, bool)> = Vec::new();
    for f in &fast.forwards {
        if reached.contains(f.id) {
            if kept(&f.namesakes) != 0 {
                return false;
            }
            reached_forwards.push((f.name, f.is_enum));
        }
    }
    // The module's own names, by base ordinal where the base has the text.
    let ordinal_of = |t: &crate::btf::TypeView| {
        let text = btf.str_at(t.name_off()).unwrap_or_default();
        fast.by_text.get(text).copied()
    };
    let mut own_structs: FxHashMap<&[u8], usize> = FxHashMap::default();
    let mut own_enums: FxHashMap<&[u8], usize> = FxHashMap::default();
    for t in btf.local_types() {
        let r_kind = u32::from(t.kind_raw());
        let text = btf.str_at(t.name_off()).unwrap_or_default();
        let full_enum = matches!(r_kind, ENUM | ENUM64) && t.vlen() != 0;
        if crate::btf::record::is_struct_or_union(r_kind) || full_enum {
            if let Some(o) = ordinal_of(&t) {
                if reached_forwards.contains(&(o, full_enum)) {
                    return false;
                }
            }
            let own = if full_enum {
                &mut own_enums
            } else {
                &mut own_structs
            };
            *own.entry(text).or_default() += 1;
        }
    }
    for t in btf.local_types() {
        let r_kind = u32::from(t.kind_raw());
        let enum_forward = matches!(r_kind, ENUM | ENUM64) && t.vlen() == 0;
        if r_kind != FWD && !enum_forward {
            continue;
        }
        if r_kind == FWD && t.size_or_type() != 0 {
            return false;
        }
        let text = btf.str_at(t.name_off()).unwrap_or_default();
        let own = if enum_forward {
            &own_enums
        } else {
            &own_structs
        };
        let namesakes = if enum_forward {
            &fast.enums
        } else {
            &fast.structs
        };
        let in_base = ordinal_of(&t)
            .and_then(|o| namesakes.get(&o))
            .map_or(0, |ids| kept(ids));
        if in_base + own.get(text).copied().unwrap_or(0) > 1 {
            return false;
        }
    }
    true
}

/// Appends `from[..len]` to `to`. Most records and names are short: a
/// fixed-size copy (then cut back) is a few vector moves where a copy of
/// variable length is a call. Buffers keep `SHORT` spare items for it.
#[inline]
fn copy_short<T: Copy>(to: &mut Vec<T>, from: &[T], len: usize) {
    if len <= SHORT && from.len() >= SHORT {
        let at = to.len();
        to.extend_from_slice(&from[..SHORT]);
        to.truncate(at + len);
    } else {
        to.extend_from_slice(&from[..len]);
    }
}

/// The FULL string section, filled in visiting order.
struct Strings<'f, 'b> {
    fast: &'f FastBase<'f>,
    out: Vec<u8>,
    /// Base ordinal → output offset (0 until first visited: no text
    /// but "" is at 0).
    placed: Vec<u32>,
    /// Texts the base does not have → output offset.
    own: FxHashMap<&'b [u8], u32>,
}

impl<'f, 'b> Strings<'f, 'b> {
    /// With room for `bytes` of strings.
    fn new(fast: &'f FastBase<'f>, bytes: usize) -> Self {
        let mut out = Vec::with_capacity(bytes + 1 + SHORT);
        out.push(0);
        Strings {
            fast,
            out,
            placed: vec![0; fast.texts.len()],
            own: FxHashMap::default(),
        }
    }

    /// The output offset of the base text with ordinal `o` (not 0: "").
    fn place(&mut self, o: u32) -> u32 {
        let slot = &mut self.placed[o as usize];
        if *slot == 0 {
            *slot = self.out.len() as u32;
            // The base's bytes hold the text and its NUL.
            let (off, len) = self.fast.texts[o as usize];
            copy_short(
                &mut self.out,
                &self.fast.strings[off as usize..],
                len as usize,
            );
        }
        *slot
    }

    /// The output offset of `text`.
    fn text(&mut self, text: &'b [u8]) -> u32 {
        if text.is_empty() {
            return 0;
        }
        if let Some(&o) = self.fast.by_text.get(text) {
            // The same text as a base string: one entry for both.
            return self.place(o);
        }
        if let Some(&at) = self.own.get(text) {
            return at;
        }
        let at = self.out.len() as u32;
        self.out.extend_from_slice(text);
        self.out.push(0);
        self.own.insert(text, at);
        at
    }
}
