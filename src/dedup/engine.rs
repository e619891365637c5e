//! The deduplication passes, in libbpf's order: primitive types, structs,
//! unions and typedefs (graph equivalence), unambiguous forward
//! declarations, reference types, then compaction and id remapping.
//! Strings are done before (see `strings`).

use super::base_index::BaseIndex;
use super::maps::{Maps, IN_PROGRESS, MAX_ID, UNPROCESSED};
use super::shape::{reaches_uncomparable, shape};
use super::signature::{
    compat_enum, equal_common, equal_full, equal_int_tag, equal_typedef, hash_array, hash_common,
    hash_enum, hash_fnproto, hash_int_decl_tag, hash_struct, hash_typedef, shallow_equal_struct,
};
use super::strings::StringMap;
use super::table::Table;
use super::trace::{lookup_event, map_event, why_differ, NoTrace, Trace};
use super::words::Records;
use super::IdSet;
use crate::btf::fx::{map_with_capacity, FxHashMap};
use crate::btf::record::{
    fwd_kind, id_words, is_enum_fwd, is_struct_or_union, kind, str_words, vlen, ARRAY, ARRAY_ELEM,
    ARRAY_INDEX, CONST, DATASEC, DECL_TAG, ENUM, ENUM64, FLOAT, FUNC, FUNC_PROTO, FWD, INT, NAME,
    PTR, RESTRICT, STRUCT, TYPE, TYPEDEF, TYPE_TAG, UNION, VAR, VOLATILE,
};
use crate::btf::Endian;
use crate::error::{Error, ErrorKind, Result};

/// Base records (shared) and local records (owned, rewritten in place).
pub(crate) struct Types<'b> {
    base: &'b Records,
    pub(crate) local: Records,
    /// First local id.
    pub(crate) start: u32,
}

impl Types<'_> {
    #[inline]
    pub(crate) fn get(&self, id: u32) -> &[u32] {
        if id < self.start {
            self.base.get(id)
        } else {
            self.local.get(id)
        }
    }

    #[inline]
    pub(crate) fn end(&self) -> u32 {
        self.local.end()
    }
}

pub(crate) struct Engine<'b, T: Trace = NoTrace> {
    pub(crate) types: Types<'b>,
    pub(crate) maps: Maps,
    /// Local ids per pass, in id order.
    ids: Ids,
    table: Table<'b>,
    index: &'b BaseIndex<'b>,
    /// When set, the only base types there are.
    keep: Option<&'b IdSet>,
    /// Member-name signatures (see `shape`), base and local, when usable.
    base_shapes: &'b [u64],
    shapes: Option<Vec<u64>>,
    /// Scratch: candidates of the current lookup.
    cands: Vec<u32>,
    /// Scratch: pending pairs of the graph comparison.
    pub(crate) pairs: Vec<(u32, u32)>,
    /// Where decisions are told ([`NoTrace`]: nowhere).
    pub(crate) tracer: T,
}

/// Local ids by the pass that handles them, so that no pass walks them all.
#[derive(Default)]
struct Ids {
    prim: Vec<u32>,
    composite: Vec<u32>,
    fwd: Vec<u32>,
    refs: Vec<u32>,
    self_canonical: Vec<u32>,
}

/// The result: the kept records, renumbered, in the output byte order,
/// and the byte offset of each.
pub(crate) struct Compacted {
    pub(crate) bytes: Vec<u8>,
    pub(crate) offs: Vec<u32>,
    /// Each representative's output id, indexed by local id less the
    /// first (`UNPROCESSED` for the others): see [`Engine::output_ids`].
    pub(crate) new_ids: Vec<u32>,
}

/// Type sections at least this large are worked on by two threads where
/// the work allows it.
pub(crate) const PARALLEL_MIN_BYTES: usize = 1 << 20;

/// One of the equality predicates of `record`.
type RecordEq = fn(&[u32], &[u32]) -> bool;

fn bad(msg: String) -> Error {
    Error::new(ErrorKind::BadType, msg)
}

impl<'b> Engine<'b> {
    pub(crate) fn new(index: &'b BaseIndex<'b>, local: Records) -> Result<Self> {
        Self::with_tracer(index, local, NoTrace)
    }
}

impl<'b, T: Trace> Engine<'b, T> {
    pub(crate) fn with_tracer(index: &'b BaseIndex<'b>, local: Records, tracer: T) -> Result<Self> {
        let start = index.records.end();
        let end = local.end();
        let types = Types {
            base: &index.records,
            local,
            start,
        };
        let mut ids = Ids::default();
        let mut uncomparable = Vec::with_capacity((end - start) as usize);
        for id in start..end {
            let r = types.get(id);
            let k = kind(r);
            // A FWD's type word is not validated by parsers, yet libbpf remaps it.
            if k == FWD && r[TYPE] >= end {
                return Err(Error::new(
                    ErrorKind::BadTypeId,
                    format!(
                        "FWD [{id}] has type word {}, past the last id {}",
                        r[TYPE],
                        end - 1
                    ),
                ));
            }
            match k {
                INT | FLOAT | ENUM | ENUM64 => ids.prim.push(id),
                FWD => {
                    ids.prim.push(id);
                    ids.fwd.push(id);
                }
                STRUCT | UNION | TYPEDEF => ids.composite.push(id),
                VAR | DATASEC => ids.self_canonical.push(id),
                _ => ids.refs.push(id),
            }
            // Only VAR, DATASEC and DECL_TAG cannot be compared.
            uncomparable.push(matches!(k, VAR | DATASEC | DECL_TAG));
        }
        let maps = Maps::new(start, end, &ids.self_canonical);
        let is_uncomparable = |t: u32| {
            if t < start {
                index.uncomparable(t)
            } else {
                uncomparable[(t - start) as usize]
            }
        };
        let comparable = !index.reaches_uncomparable
            && !(start..end).any(|id| reaches_uncomparable(types.get(id), is_uncomparable));
        let shapes = comparable.then(|| vec![0; (end - start) as usize]);
        Ok(Engine {
            maps,
            ids,
            table: Table::new(&index.table, (end - start) as usize),
            index,
            keep: None,
            base_shapes: &index.shapes,
            shapes,
            cands: Vec::new(),
            pairs: Vec::new(),
            types,
            tracer,
        })
    }

    /// Deduplicates as if the base held only the ids in `keep` (a set
    /// closed under references).
    pub(crate) fn keep_only(&mut self, keep: &'b IdSet) {
        self.keep = Some(keep);
        self.table.keep_only(keep);
    }

    /// Finds every local type's representative.
    pub(crate) fn dedup_types(&mut self) -> Result<()> {
        if T::ON {
            self.trace_pass("primitives");
        }
        self.prim_types();
        if T::ON {
            self.trace_pass("structs");
        }
        self.struct_types()?;
        if T::ON {
            self.trace_pass("fwds");
        }
        self.resolve_fwds();
        if T::ON {
            self.trace_pass("references");
        }
        self.ref_types()
    }

    /// Whether the signatures of `a` and `b` rule out their equivalence.
    fn shapes_differ(&mut self, a: u32, b: u32) -> bool {
        if self.shapes.is_none() {
            return false;
        }
        self.shape_of(a) != self.shape_of(b)
    }

    /// A signature, computed on first use (0 stands for "not yet": a
    /// signature that happens to be 0 is merely computed again).
    fn shape_of(&mut self, id: u32) -> u64 {
        let start = self.types.start;
        if id < start {
            return self.base_shapes[id as usize];
        }
        let types = &self.types;
        let Some(shapes) = self.shapes.as_mut() else {
            return 0;
        };
        let slot = &mut shapes[(id - start) as usize];
        if *slot == 0 {
            *slot = shape(types.get(id), |t| types.get(t)[NAME]);
        }
        *slot
    }

    fn local_ids(&self) -> std::ops::Range<u32> {
        self.types.start..self.types.end()
    }

    /// `id`'s representative: the first candidate under `h` that `eq`
    /// accepts, else `id` itself, which then becomes a candidate.
    fn find_or_settle(&mut self, h: u64, id: u32, eq: RecordEq) -> u32 {
        if T::ON {
            self.table.candidates(h, &mut self.cands);
            let cands = std::mem::take(&mut self.cands);
            self.trace_lookup(id, h, &cands);
            self.cands = cands;
        }
        let new_id = self.find_or_settle_quietly(h, id, eq);
        if T::ON {
            let why = if new_id == id {
                "no equal candidate: it is its own representative".to_string()
            } else {
                format!("equal to candidate [{new_id}]")
            };
            self.trace_map(id, new_id, &why);
        }
        new_id
    }

    fn find_or_settle_quietly(&mut self, h: u64, id: u32, eq: RecordEq) -> u32 {
        let types = &self.types;
        let t = types.get(id);
        let new_id = self
            .table
            .find_or_add(h, id, &mut self.cands, |c| eq(t, types.get(c)))
            .unwrap_or(id);
        self.maps.set(id, new_id);
        new_id
    }

    /// Records `id`'s representative; a type that is its own becomes a
    /// candidate for the types after it.
    fn settle(&mut self, id: u32, new_id: u32, h: u64) {
        self.maps.set(id, new_id);
        if new_id == id {
            self.table.add(h, id);
        }
    }

    /// INT, FLOAT, FWD and ENUM/ENUM64: equal by content. An enum forward
    /// takes a full enum with its name; a full enum takes over forwards
    /// that were representatives so far.
    fn prim_types(&mut self) {
        for i in 0..self.ids.prim.len() {
            let id = self.ids.prim[i];
            let t = self.types.get(id);
            let (h, new_id) = match kind(t) {
                INT => {
                    self.find_or_settle(hash_int_decl_tag(t), id, equal_int_tag);
                    continue;
                }
                FWD | FLOAT => {
                    self.find_or_settle(hash_common(t), id, equal_common);
                    continue;
                }
                ENUM | ENUM64 => {
                    let h = hash_enum(t);
                    self.table.candidates(h, &mut self.cands);
                    if T::ON {
                        self.tracer.emit(lookup_event(t, id, h, &self.cands));
                    }
                    let mut found = None;
                    for &c in &self.cands {
                        let ct = self.types.get(c);
                        if equal_full(t, ct) {
                            found = Some(c);
                            break;
                        }
                        if compat_enum(t, ct) {
                            if is_enum_fwd(t) {
                                found = Some(c);
                                break;
                            }
                            self.maps.set(c, id);
                            if T::ON {
                                let why = "an enum forward takes the full enum of its name";
                                self.tracer.emit(map_event(c, id, why));
                            }
                        }
                    }
                    if T::ON {
                        let why = match found {
                            Some(c) if equal_full(self.types.get(id), self.types.get(c)) => {
                                format!("equal to candidate [{c}]")
                            }
                            Some(c) => format!("an enum forward: takes the full enum [{c}]"),
                            None => "no equal candidate: it is its own representative".into(),
                        };
                        self.trace_map(id, found.unwrap_or(id), &why);
                    }
                    (h, found)
                }
                _ => continue,
            };
            self.settle(id, new_id.unwrap_or(id), h);
        }
    }

    /// Structs, unions and typedefs: a candidate with the same shallow
    /// signature is taken if the graphs behind both are equivalent.
    fn struct_types(&mut self) -> Result<()> {
        for i in 0..self.ids.composite.len() {
            let id = self.ids.composite[i];
            if self.maps.is_mapped(id) {
                continue;
            }
            let t = self.types.get(id);
            let k = kind(t);
            let (h, shallow_eq): (u64, RecordEq) = match k {
                STRUCT | UNION => (hash_struct(t), shallow_equal_struct),
                TYPEDEF => (hash_typedef(t), equal_typedef),
                _ => continue,
            };
            self.table.candidates(h, &mut self.cands);
            let cands = std::mem::take(&mut self.cands);
            if T::ON {
                self.trace_lookup(id, h, &cands);
            }
            let mut new_id = id;
            for &c in &cands {
                // The shallow check keeps a colliding FWD from being taken.
                if self.shapes_differ(id, c) || !shallow_eq(self.types.get(id), self.types.get(c)) {
                    if T::ON {
                        let (t, ct) = (self.types.get(id), self.types.get(c));
                        let why = if shallow_eq(t, ct) {
                            "their members refer to types of other names".to_string()
                        } else {
                            why_differ(t, ct)
                        };
                        self.trace_candidate(id, c, false, &why);
                    }
                    continue;
                }
                self.maps.clear_hypot();
                if T::ON {
                    self.trace_candidate(id, c, true, "alike at first sight: compare the graphs");
                }
                let equiv = self.is_equiv(id, c)?;
                if T::ON {
                    self.tracer.emit(serde_json::json!({
                        "event": "equiv", "id": id, "cand": c, "ok": equiv,
                        "hypot": self.maps.hypot_pairs(),
                    }));
                }
                if !equiv {
                    continue;
                }
                self.merge_hypot();
                if self.maps.adjust_canon {
                    if T::ON {
                        self.trace_candidate(
                            id,
                            c,
                            false,
                            "equal only if a base FWD were resolved, and the base is fixed",
                        );
                    }
                    continue;
                }
                new_id = c;
                break;
            }
            self.cands = cands;
            if T::ON {
                let why = if new_id == id {
                    "no equivalent candidate: it is its own representative".to_string()
                } else {
                    format!("equivalent to candidate [{new_id}]")
                };
                self.trace_map(id, new_id, &why);
            }
            self.settle(id, new_id, h);
        }
        Ok(())
    }

    /// A FWD still unresolved takes the one struct or union of its name
    /// and kind, if exactly one is a representative.
    fn resolve_fwds(&mut self) {
        let mut names: FxHashMap<u32, u32> = map_with_capacity(64);
        for &id in &self.ids.composite {
            let t = self.types.get(id);
            if is_struct_or_union(kind(t)) && self.maps.get(id) == id {
                let shared = self.index.struct_named(t[NAME], self.keep).is_some()
                    || names.contains_key(&t[NAME]);
                names.insert(t[NAME], if shared { 0 } else { id });
            }
        }
        for &id in &self.ids.fwd {
            let t = self.types.get(id);
            if self.maps.get(id) != id {
                continue;
            }
            let cand = names
                .get(&t[NAME])
                .copied()
                .or_else(|| self.index.struct_named(t[NAME], self.keep))
                .unwrap_or(0);
            let resolves = cand != 0 && kind(self.types.get(cand)) == fwd_kind(t);
            if resolves {
                self.maps.set(id, cand);
            }
            if T::ON {
                let why = if resolves {
                    format!("the one struct or union of its name is [{cand}]")
                } else if names.get(&t[NAME]) == Some(&0) {
                    "several structs or unions have its name: it stays".into()
                } else {
                    "no struct or union of its name and kind: it stays".into()
                };
                self.tracer
                    .emit(map_event(id, if resolves { cand } else { id }, &why));
            }
        }
    }

    fn ref_types(&mut self) -> Result<()> {
        let mut frames = Vec::new();
        // Every other kind has its representative by now.
        for i in 0..self.ids.refs.len() {
            self.ref_type(self.ids.refs[i], &mut frames)?;
        }
        Ok(())
    }

    /// Resolves the ids a reference type refers to (depth first, with an
    /// explicit stack), rewrites them in place, then looks the now final
    /// record up among earlier ones.
    fn ref_type(&mut self, root: u32, frames: &mut Vec<(u32, usize)>) -> Result<()> {
        match self.maps.get(root) {
            IN_PROGRESS => return Err(bad(format!("reference types loop through type [{root}]"))),
            m if m <= MAX_ID => return Ok(()),
            _ => {}
        }
        frames.clear();
        self.enter_ref(root, frames)?;
        while let Some(&(id, field)) = frames.last() {
            let t = self.types.get(id);
            if let Some(w) = ref_field(t, field) {
                let child = t[w];
                match self.maps.get(child) {
                    IN_PROGRESS => {
                        return Err(bad(format!("reference types loop through type [{child}]")))
                    }
                    m if m <= MAX_ID => {
                        let resolved = self.maps.resolve(child);
                        self.types.local.set_word(id, w, resolved);
                        frames.last_mut().expect("a frame").1 += 1;
                    }
                    _ => self.enter_ref(child, frames)?,
                }
                continue;
            }
            let new_id = self.settle_ref(id);
            frames.pop();
            if let Some(parent) = frames.last_mut() {
                let w = ref_field(self.types.get(parent.0), parent.1)
                    .expect("the field being resolved");
                self.types.local.set_word(parent.0, w, new_id);
                parent.1 += 1;
            }
        }
        Ok(())
    }

    fn enter_ref(&mut self, id: u32, frames: &mut Vec<(u32, usize)>) -> Result<()> {
        self.maps.set(id, IN_PROGRESS);
        match kind(self.types.get(id)) {
            CONST | VOLATILE | RESTRICT | PTR | FUNC | TYPE_TAG | DECL_TAG | ARRAY | FUNC_PROTO => {
                frames.push((id, 0));
                Ok(())
            }
            k => Err(bad(format!(
                "type [{id}] of kind {k} is referred to where deduplication expects a resolved type"
            ))),
        }
    }

    fn settle_ref(&mut self, id: u32) -> u32 {
        let t = self.types.get(id);
        let (h, eq): (u64, RecordEq) = match kind(t) {
            DECL_TAG => (hash_int_decl_tag(t), equal_int_tag),
            ARRAY => (hash_array(t), equal_full),
            FUNC_PROTO => (hash_fnproto(t), equal_full),
            _ => (hash_common(t), equal_common),
        };
        self.find_or_settle(h, id, eq)
    }

    /// Keeps the representatives, in id order, points every id they hold
    /// at the final numbering and every name at the output strings (when
    /// the records still hold input offsets), in the output byte order.
    pub(crate) fn compact(&self, names: Option<&StringMap>, endian: Endian) -> Result<Compacted> {
        let start = self.types.start;
        let mut new_ids = vec![UNPROCESSED; (self.types.end() - start) as usize];
        let mut next = start;
        for id in self.local_ids() {
            if self.maps.get(id) == id {
                new_ids[(id - start) as usize] = next;
                next += 1;
            }
        }
        let ids = self.local_ids();
        let (mut first, second) = if self.types.local.words_len() * 4 >= PARALLEL_MIN_BYTES {
            let mid = ids.start + (ids.end - ids.start) / 2;
            let (a, b) = rayon::join(
                || self.compact_range(ids.start..mid, &new_ids, names, endian),
                || self.compact_range(mid..ids.end, &new_ids, names, endian),
            );
            (a?, Some(b?))
        } else {
            (self.compact_range(ids, &new_ids, names, endian)?, None)
        };
        if let Some(second) = second {
            let shift = first.bytes.len() as u32;
            first.offs.extend(second.offs.iter().map(|&o| o + shift));
            first.bytes.extend_from_slice(&second.bytes);
        }
        first.new_ids = new_ids;
        Ok(first)
    }

    /// Each local type's output id (a base id when it merged into the
    /// base), after `kept` was compacted.
    pub(crate) fn output_ids(&self, kept: &Compacted) -> Vec<u32> {
        let start = self.types.start;
        self.local_ids()
            .map(|id| match self.maps.resolve(id) {
                to if to < start => to,
                to => kept.new_ids[(to - start) as usize],
            })
            .collect()
    }

    fn compact_range(
        &self,
        ids: std::ops::Range<u32>,
        new_ids: &[u32],
        names: Option<&StringMap>,
        endian: Endian,
    ) -> Result<Compacted> {
        let start = self.types.start;
        let mut bytes = Vec::new();
        let mut offs = Vec::new();
        let mut rec = Vec::new();
        for id in ids {
            if new_ids[(id - start) as usize] == UNPROCESSED {
                continue;
            }
            rec.clear();
            rec.extend_from_slice(self.types.get(id));
            for w in id_words(&rec) {
                let to = self.maps.resolve(rec[w]);
                let new_id = if to < start {
                    to
                } else {
                    new_ids[(to - start) as usize]
                };
                if new_id > MAX_ID {
                    return Err(bad(format!(
                        "type [{id}] refers to [{}], which has no representative",
                        rec[w]
                    )));
                }
                rec[w] = new_id;
            }
            if let Some(names) = names {
                for w in str_words(&rec) {
                    rec[w] = names.map(rec[w]);
                }
            }
            offs.push(bytes.len() as u32);
            for &w in &rec {
                bytes.extend_from_slice(&endian.u32_bytes(w));
            }
        }
        Ok(Compacted {
            bytes,
            offs,
            new_ids: Vec::new(),
        })
    }
}

/// Word index of the `n`th id a reference type refers to, in libbpf's
/// resolution order.
fn ref_field(r: &[u32], n: usize) -> Option<usize> {
    match kind(r) {
        ARRAY => [ARRAY_ELEM, ARRAY_INDEX].get(n).copied(),
        FUNC_PROTO if n == 0 => Some(TYPE),
        FUNC_PROTO => (n <= vlen(r)).then(|| 4 + 2 * (n - 1)),
        _ if n == 0 => Some(TYPE),
        _ => None,
    }
}
