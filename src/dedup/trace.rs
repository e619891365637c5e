//! The dedup engine's own account of what it does: one JSON object per
//! decision, emitted by the passes themselves as they run (docs/TEACH.md
//! has the schema). The engine takes a [`Trace`]; the untraced engine's is
//! [`NoTrace`], whose `ON` is false, so that every hook compiles away.

use std::io::Write;

use serde_json::{json, Value};

use super::base_index::BaseIndex;
use super::engine::{Engine, Types};
use super::{deduplicated, strings_and_records, DedupRules};
use crate::btf::kind::Kind;
use crate::btf::record::{
    kind, vlen, ARRAY, ENUM, ENUM64, FUNC_PROTO, FWD, INFO, INT, NAME, STRUCT, TYPE, UNION,
};
use crate::btf::{Btf, TypeId};
use crate::error::{Error, ErrorKind, Result};

/// Where the engine's decisions go.
pub(crate) trait Trace: Sync {
    /// False for the engine that does not trace: hooks are `if T::ON`.
    const ON: bool;
    fn emit(&mut self, event: Value);
}

/// The engine without a trace.
pub(crate) struct NoTrace;

impl Trace for NoTrace {
    const ON: bool = false;
    #[inline(always)]
    fn emit(&mut self, _: Value) {}
}

/// Events collected in memory.
#[derive(Default)]
pub(crate) struct Events(pub(crate) Vec<Value>);

impl Trace for Events {
    const ON: bool = true;
    fn emit(&mut self, event: Value) {
        self.0.push(event);
    }
}

/// A kind's name for the trace.
pub(crate) fn kind_name(r: &[u32]) -> &'static str {
    Kind::from_raw(kind(r) as u8).map_or("UNKNOWN", Kind::name)
}

/// A hash as the trace shows it.
pub(crate) fn hex(h: u64) -> String {
    format!("{h:#018x}")
}

/// Why two records of the same pair differ, in words: the first field
/// that the equality predicates of the passes found different.
pub(crate) fn why_differ(a: &[u32], b: &[u32]) -> String {
    let (ka, kb) = (kind(a), kind(b));
    if a[NAME] != b[NAME] {
        return "the names differ".into();
    }
    if ka != kb {
        return format!("the kinds differ ({} and {})", kind_name(a), kind_name(b));
    }
    if a[INFO] != b[INFO] {
        return match ka {
            STRUCT | UNION | ENUM | ENUM64 | FUNC_PROTO if vlen(a) != vlen(b) => format!(
                "they have {} and {} {}",
                vlen(a),
                vlen(b),
                match ka {
                    STRUCT | UNION => "members",
                    FUNC_PROTO => "parameters",
                    _ => "values",
                }
            ),
            _ => "the kind flags differ".into(),
        };
    }
    if a[TYPE] != b[TYPE] && Kind::from_raw(ka as u8).is_some_and(Kind::has_size) {
        return format!("the sizes differ ({} and {} bytes)", a[TYPE], b[TYPE]);
    }
    match ka {
        INT if a[3] != b[3] => "the encodings or bit widths differ".into(),
        ARRAY if a[5] != b[5] => format!("the lengths differ ({} and {})", a[5], b[5]),
        STRUCT | UNION => (0..vlen(a))
            .find_map(|i| {
                let (ma, mb) = (&a[3 + 3 * i..6 + 3 * i], &b[3 + 3 * i..6 + 3 * i]);
                if ma[0] != mb[0] {
                    Some(format!("member {i}'s names differ"))
                } else if ma[2] != mb[2] {
                    Some(format!("member {i}'s offsets differ"))
                } else {
                    None
                }
            })
            .unwrap_or_else(|| "their member types differ".into()),
        ENUM | ENUM64 => "the values differ".into(),
        FUNC_PROTO => "the parameter names differ".into(),
        _ => "the records differ".into(),
    }
}

impl<T: Trace> Engine<'_, T> {
    /// The trace of one step of the graph comparison, after it ran: it
    /// only changed the hypothetical map, so what it found is read back.
    pub(crate) fn trace_pair(
        &mut self,
        cand: u32,
        canon: u32,
        ok: bool,
        pushed: Vec<[u32; 2]>,
        added: bool,
    ) {
        let maps = &self.maps;
        let types = &self.types;
        let (why, hypot) = if maps.resolve(cand) == maps.resolve(canon) {
            ("already the same type".to_string(), None)
        } else if !added {
            let followed = follow_fwd(types, maps, canon);
            let seen = maps.hypot(followed);
            let why = if seen == cand {
                format!("[{followed}] is already paired with [{cand}]")
            } else if ok {
                format!(
                    "[{followed}] is already paired with [{seen}], which is identical to [{cand}]"
                )
            } else {
                format!("[{followed}] is already paired with [{seen}]; [{cand}] is another copy, not identical to it")
            };
            (why, None)
        } else {
            let followed = follow_fwd(types, maps, canon);
            let (ct, nt) = (types.get(cand), types.get(followed));
            let why = if ok {
                match (kind(ct), kind(nt)) {
                    (FWD, k) if k != FWD => "a FWD matches the struct or union of its name".into(),
                    (k, FWD) if k != FWD && maps.adjust_canon => {
                        "would resolve a base FWD, which the base cannot take".into()
                    }
                    (k, FWD) if k != FWD => "the struct or union matches a FWD of its name".into(),
                    _ if pushed.is_empty() => "equal".into(),
                    _ => "equal so far; their parts are compared next".into(),
                }
            } else {
                why_differ(ct, nt)
            };
            (why, Some([followed, cand]))
        };
        let event = json!({
            "event": "pair", "cand": cand, "canon": canon, "ok": ok,
            "why": why, "hypot": hypot, "push": pushed,
        });
        self.tracer.emit(event);
    }

    /// A lookup among earlier representatives.
    pub(crate) fn trace_lookup(&mut self, id: u32, h: u64, cands: &[u32]) {
        let event = lookup_event(self.types.get(id), id, h, cands);
        self.tracer.emit(event);
    }

    /// A type mapped to its representative.
    pub(crate) fn trace_map(&mut self, id: u32, to: u32, why: &str) {
        self.tracer.emit(map_event(id, to, why));
    }

    /// A candidate taken for a graph comparison, or passed over.
    pub(crate) fn trace_candidate(&mut self, id: u32, cand: u32, compare: bool, why: &str) {
        self.tracer.emit(json!({
            "event": "candidate", "id": id, "cand": cand, "compare": compare, "why": why,
        }));
    }

    pub(crate) fn trace_pass(&mut self, pass: &str) {
        self.tracer.emit(json!({ "event": "pass", "pass": pass }));
    }
}

/// A lookup of record `r` (type `id`) under hash `h`.
pub(crate) fn lookup_event(r: &[u32], id: u32, h: u64, cands: &[u32]) -> Value {
    json!({ "event": "lookup", "id": id, "kind": kind_name(r), "hash": hex(h), "candidates": cands })
}

/// Type `id` mapped to `to`.
pub(crate) fn map_event(id: u32, to: u32, why: &str) -> Value {
    json!({ "event": "map", "id": id, "to": to, "why": why })
}

/// Where the comparison looks on the canonical side: a FWD's struct.
fn follow_fwd(types: &Types, maps: &super::maps::Maps, canon: u32) -> u32 {
    if kind(types.get(canon)) == FWD {
        let to = maps.resolve(canon);
        if kind(types.get(to)) != FWD {
            return to;
        }
    }
    canon
}

/// Deduplicates `btf` as [`super::dedup_with`] does, and says how: every
/// event, the last one `{"event":"done","map":[...]}` where `map[i]` is the
/// output id of the `i`th local type (from 1; `map[0]` is void).
pub fn dedup_traced<'a>(btf: &Btf<'a>, rules: DedupRules) -> Result<(Btf<'a>, Vec<Value>)> {
    let void = BaseIndex::void();
    let index = match btf.base() {
        None => void,
        Some(base) => BaseIndex::with_rules(base, rules)?,
    };
    let (names, local) = strings_and_records(&index, btf)?;
    let mut events = Events::default();
    events.emit(json!({
        "event": "start", "start_id": btf.start_id(), "types": btf.local_len(),
        "base_types": btf.start_id() - 1,
    }));
    events.emit(json!({
        "event": "pass", "pass": "strings", "bytes_in": btf.string_bytes().len(),
        "bytes_out": names.section.len(),
    }));
    let mut engine = Engine::with_tracer(&index, local, events)?;
    engine.dedup_types()?;
    let kept = engine.compact(Some(&names).filter(|_| names.injective), btf.endian())?;
    let map: Vec<TypeId> = std::iter::once(0).chain(engine.output_ids(&kept)).collect();
    engine.trace_pass("compaction");
    let start = btf.start_id();
    for (i, &to) in map.iter().enumerate().skip(1) {
        let id = start + i as u32 - 1;
        if engine.maps.get(id) == id {
            engine
                .tracer
                .emit(json!({ "event": "keep", "id": id, "new_id": to }));
        }
    }
    let mut events = engine.tracer.0;
    events.push(json!({ "event": "done", "map": map }));
    Ok((deduplicated(btf, kept, names.section)?, events))
}

/// The events as JSON lines.
pub fn write_jsonl(events: &[Value], out: &mut impl Write) -> Result<()> {
    for e in events {
        serde_json::to_writer(&mut *out, e)
            .map_err(|e| Error::new(ErrorKind::Io, e.to_string()))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
