//! Checks of a traced deduplication: the output equals the untraced one,
//! the trace's final `map` agrees with the output, and the output can be
//! rebuilt from the trace's decisions alone (a replay).

#![allow(dead_code)] // each test crate uses its own subset

use std::collections::HashMap;

use btfscope::btf::dump::{dump, DumpFormat};
use btfscope::btf::Btf;
use btfscope::dedup::trace::dedup_traced;
use btfscope::dedup::{dedup_with, DedupRules};
use serde_json::Value;

fn json_dump(btf: &Btf) -> Vec<Value> {
    let mut out = Vec::new();
    dump(btf, DumpFormat::Json, &mut out).unwrap();
    let v: Value = serde_json::from_slice(&out).unwrap();
    v["types"].as_array().unwrap().clone()
}

fn u(v: &Value) -> u32 {
    v.as_u64().expect("an id") as u32
}

/// Deduplicates `btf` traced and checks it; the traced output's bytes and
/// the number of events.
pub fn check(btf: &Btf, rules: DedupRules) -> Result<(Vec<u8>, usize), String> {
    let untraced = dedup_with(btf, rules).map(|b| b.to_bytes());
    let traced = dedup_traced(btf, rules);
    let (out, events) = match (traced, untraced) {
        (Ok((out, events)), Ok(plain)) => {
            if out.to_bytes() != plain {
                return Err("the traced output differs from the untraced one".into());
            }
            (out, events)
        }
        (Err(a), Err(b)) if a == b => return Ok((Vec::new(), 0)),
        (a, b) => {
            return Err(format!(
                "traced and untraced disagree: {:?} / {:?}",
                a.err(),
                b.err()
            ))
        }
    };
    let start = btf.start_id();
    let done = events.last().ok_or("no events")?;
    if done["event"] != "done" {
        return Err("the last event is not done".into());
    }
    let map: Vec<u32> = done["map"]
        .as_array()
        .ok_or("no map")?
        .iter()
        .map(u)
        .collect();
    if map.len() != btf.local_len() + 1 || map[0] != 0 {
        return Err(format!(
            "the map has {} entries for {} types",
            map.len(),
            btf.local_len()
        ));
    }
    // Every output type is the image of an input type, and every image
    // is an output (or base) type.
    let end = out.type_count();
    let mut hit = vec![false; (end - start) as usize];
    for &to in &map[1..] {
        if to >= end {
            return Err(format!("the map sends a type to [{to}], past the output"));
        }
        if to >= start {
            hit[(to - start) as usize] = true;
        }
    }
    if let Some(i) = hit.iter().position(|h| !h) {
        return Err(format!(
            "output type [{}] is no input type's image",
            start + i as u32
        ));
    }
    replay(btf, &events, &map, &out)?;
    Ok((out.to_bytes(), events.len()))
}

/// Rebuilds the output from the input and the trace's `map` events alone:
/// each type's last decision, followed to its end, names its
/// representative; the representatives are kept in order, every id they
/// refer to renumbered. The result must dump as the output does.
fn replay(btf: &Btf, events: &[Value], map: &[u32], out: &Btf) -> Result<(), String> {
    let start = btf.start_id();
    let mut rep: HashMap<u32, u32> = HashMap::new();
    for e in events.iter().filter(|e| e["event"] == "map") {
        rep.insert(u(&e["id"]), u(&e["to"]));
    }
    let resolve = |mut id: u32| {
        for _ in 0..=rep.len() {
            match rep.get(&id) {
                Some(&to) if to != id => id = to,
                _ => break,
            }
        }
        id
    };
    let mut new_ids = HashMap::new();
    for id in start..btf.type_count() {
        if resolve(id) == id {
            new_ids.insert(id, start + new_ids.len() as u32);
        }
    }
    let renumber = |id: u32| {
        let to = resolve(id);
        if to < start {
            to
        } else {
            new_ids[&to]
        }
    };
    for (i, &m) in map.iter().enumerate().skip(1) {
        let id = start + i as u32 - 1;
        if renumber(id) != m {
            return Err(format!(
                "the replay sends [{id}] to [{}], the map to [{m}]",
                renumber(id)
            ));
        }
    }
    let mut rebuilt = Vec::new();
    for mut t in json_dump(btf) {
        let id = u(&t["id"]);
        if resolve(id) != id {
            continue;
        }
        t["id"] = new_ids[&id].into();
        let obj = t.as_object_mut().unwrap();
        for key in ["type_id", "ret_type_id", "index_type_id"] {
            if let Some(v) = obj.get_mut(key) {
                *v = renumber(u(v)).into();
            }
        }
        for key in ["members", "params", "vars"] {
            for e in obj
                .get_mut(key)
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                let v = &mut e["type_id"];
                *v = renumber(u(v)).into();
            }
        }
        rebuilt.push(t);
    }
    if rebuilt != json_dump(out) {
        return Err("the replay of the trace's decisions differs from the output".into());
    }
    Ok(())
}
