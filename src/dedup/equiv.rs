//! Type graph equivalence for struct/union/typedef deduplication: a
//! side-by-side walk of the candidate's graph and a possible
//! representative's, recording which canonical-side type stands for which
//! candidate-side type, with FWDs allowed to match their struct or union.

use super::engine::{Engine, Types};
use super::maps::{Maps, MAX_ID};
use super::signature::{
    compat_array, compat_enum, compat_fnproto, equal_common, equal_int_tag, is_plain_ref,
    shallow_equal_struct,
};
use super::trace::Trace;
use crate::btf::record::{
    fwd_kind, is_struct_or_union, kind, member_type, param_type, vlen, ARRAY, ARRAY_ELEM,
    ARRAY_INDEX, ENUM, ENUM64, FLOAT, FUNC_PROTO, FWD, INFO, INT, NAME, STRUCT, TYPE, UNION,
};
use crate::error::{Error, ErrorKind, Result};

/// How deep the structural "identical" comparison may go, as in libbpf.
const IDENTICAL_DEPTH: i32 = 16;

impl<T: Trace> Engine<'_, T> {
    /// Whether the graph at `cand` is equivalent to the graph at `canon`.
    /// Pairs are visited in the same (pre)order as libbpf's recursion, with
    /// an explicit stack so that deep graphs cannot exhaust ours.
    pub(crate) fn is_equiv(&mut self, cand: u32, canon: u32) -> Result<bool> {
        let mut pairs = std::mem::take(&mut self.pairs);
        pairs.clear();
        pairs.push((cand, canon));
        let mut result = Ok(true);
        while let Some((cand, canon)) = pairs.pop() {
            let (before, hypot_before) = (pairs.len(), self.maps.hypot_list.len());
            let step = self.equiv_step(cand, canon, &mut pairs);
            if T::ON {
                if let Ok(ok) = step {
                    let pushed = pairs[before..].iter().rev().map(|&(a, b)| [a, b]).collect();
                    let added = self.maps.hypot_list.len() > hypot_before;
                    self.trace_pair(cand, canon, ok, pushed, added);
                }
            }
            match step {
                Ok(true) => {}
                other => {
                    result = other;
                    break;
                }
            }
        }
        self.pairs = pairs;
        result
    }

    /// Compares one pair; pushes the pairs it depends on (in reverse, so
    /// that they pop in order). False means the graphs differ.
    fn equiv_step(&mut self, cand: u32, canon: u32, pairs: &mut Vec<(u32, u32)>) -> Result<bool> {
        let maps = &mut self.maps;
        let types = &self.types;
        if maps.resolve(cand) == maps.resolve(canon) {
            return Ok(true);
        }
        // Only the canonical side follows a FWD to its struct or union.
        let canon = if kind(types.get(canon)) == FWD {
            let to = maps.resolve(canon);
            if kind(types.get(to)) != FWD {
                to
            } else {
                canon
            }
        } else {
            canon
        };
        let seen = maps.hypot(canon);
        if seen <= MAX_ID {
            // Compilers sometimes emit identical types twice within one
            // unit; accept a structurally identical second mapping.
            return Ok(seen == cand || types.identical(seen, cand, IDENTICAL_DEPTH));
        }
        maps.hypot_add(canon, cand);

        let ct = types.get(cand);
        let nt = types.get(canon);
        if ct[NAME] != nt[NAME] {
            return Ok(false);
        }
        let (ck, nk) = (kind(ct), kind(nt));
        if (ck == FWD || nk == FWD) && ck != nk {
            if ck == FWD {
                return Ok(fwd_kind(ct) == nk);
            }
            let fk = fwd_kind(nt);
            // Matching would mean resolving a base FWD: the base is fixed.
            if fk == ck && canon < types.start {
                maps.adjust_canon = true;
            }
            return Ok(fk == ck);
        }
        if ck != nk {
            return Ok(false);
        }
        Ok(match ck {
            INT => equal_int_tag(ct, nt),
            ENUM | ENUM64 => compat_enum(ct, nt),
            FWD | FLOAT => equal_common(ct, nt),
            k if is_plain_ref(k) => {
                if ct[INFO] != nt[INFO] {
                    return Ok(false);
                }
                pairs.push((ct[TYPE], nt[TYPE]));
                true
            }
            ARRAY => {
                if !compat_array(ct, nt) {
                    return Ok(false);
                }
                pairs.push((ct[ARRAY_ELEM], nt[ARRAY_ELEM]));
                pairs.push((ct[ARRAY_INDEX], nt[ARRAY_INDEX]));
                true
            }
            STRUCT | UNION => {
                if !shallow_equal_struct(ct, nt) {
                    return Ok(false);
                }
                pairs.extend(
                    (0..vlen(ct))
                        .rev()
                        .map(|i| (member_type(ct, i), member_type(nt, i))),
                );
                true
            }
            FUNC_PROTO => {
                if !compat_fnproto(ct, nt) {
                    return Ok(false);
                }
                pairs.extend(
                    (0..vlen(ct))
                        .rev()
                        .map(|i| (param_type(ct, i), param_type(nt, i))),
                );
                pairs.push((ct[TYPE], nt[TYPE]));
                true
            }
            k => {
                return Err(Error::new(
                    ErrorKind::BadType,
                    format!(
                    "types [{cand}] and [{canon}] of kind {k} cannot be compared for deduplication"
                ),
                ))
            }
        })
    }

    /// Turns a successful comparison into permanent mappings: FWDs to the
    /// struct or union they matched, and (a shortcut) candidate-side
    /// structs to canonical-side structs that already are representatives.
    pub(crate) fn merge_hypot(&mut self) {
        let mut merged = Vec::new();
        let maps = &mut self.maps;
        let types = &self.types;
        for i in 0..maps.hypot_list.len() {
            let canon = maps.hypot_list[i];
            let t_id = maps.resolve(maps.hypot(canon));
            let c_id = maps.resolve(canon);
            let t_kind = kind(types.get(t_id));
            let c_kind = kind(types.get(c_id));
            let mut set = |maps: &mut Maps, from: u32, to: u32, why: &'static str| {
                maps.set(from, to);
                if T::ON {
                    merged.push((from, to, why));
                }
            };
            // Base FWDs too: split FWDs resolve through them.
            if t_kind != FWD && c_kind == FWD {
                set(
                    maps,
                    c_id,
                    t_id,
                    "a FWD paired with a struct or union resolves to it",
                );
            }
            if maps.adjust_canon {
                continue;
            }
            if t_kind == FWD && c_kind != FWD {
                set(
                    maps,
                    t_id,
                    c_id,
                    "a FWD paired with a struct or union resolves to it",
                );
            }
            if is_struct_or_union(t_kind)
                && c_kind != FWD
                && maps.is_mapped(c_id)
                && !maps.is_mapped(t_id)
            {
                set(
                    maps,
                    t_id,
                    c_id,
                    "paired with a representative during a successful comparison",
                );
            }
        }
        if T::ON {
            for (from, to, why) in merged {
                self.trace_map(from, to, why);
            }
        }
    }
}

impl Types<'_> {
    /// Structural identity up to `depth` levels of structs, unions and
    /// prototypes (reference chains do not count), as libbpf checks it.
    pub(crate) fn identical(&self, mut id1: u32, mut id2: u32, depth: i32) -> bool {
        // Reference chains only loop in malformed input, where libbpf
        // would spin forever; stop after visiting every id once.
        for _ in 0..=self.end() {
            if depth <= 0 {
                return false;
            }
            let t1 = self.get(id1);
            let t2 = self.get(id2);
            let k = kind(t1);
            if k != kind(t2) {
                return false;
            }
            return match k {
                0 => true,
                INT => equal_int_tag(t1, t2),
                ENUM | ENUM64 => compat_enum(t1, t2),
                FWD | FLOAT => equal_common(t1, t2),
                k if is_plain_ref(k) => {
                    if t1[INFO] != t2[INFO] || t1[NAME] != t2[NAME] {
                        return false;
                    }
                    id1 = t1[TYPE];
                    id2 = t2[TYPE];
                    continue;
                }
                // libbpf 1.7 compares the first array's element and index
                // ids with themselves, so only the shape counts.
                ARRAY => compat_array(t1, t2),
                STRUCT | UNION => {
                    shallow_equal_struct(t1, t2)
                        && (0..vlen(t1)).all(|i| {
                            let (m1, m2) = (member_type(t1, i), member_type(t2, i));
                            m1 == m2 || self.identical(m1, m2, depth - 1)
                        })
                }
                FUNC_PROTO => {
                    compat_fnproto(t1, t2)
                        && (t1[TYPE] == t2[TYPE] || self.identical(t1[TYPE], t2[TYPE], depth - 1))
                        && (0..vlen(t1)).all(|i| {
                            let (p1, p2) = (param_type(t1, i), param_type(t2, i));
                            p1 == p2 || self.identical(p1, p2, depth - 1)
                        })
                }
                _ => false,
            };
        }
        false
    }
}
