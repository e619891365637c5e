//! Sizes of a BTF blob: header, per-kind counts and bytes, strings.

use serde::{Deserialize, Serialize};

use crate::btf::read::kind_label;
use crate::btf::{Btf, Kind};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindStat {
    pub kind: String,
    pub count: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stat {
    pub endian: &'static str,
    pub hdr_len: u32,
    pub type_len: u32,
    pub str_len: u32,
    pub layout_len: u32,
    pub total_bytes: u64,
    /// Types this BTF holds itself (not counting void or base types).
    pub types: u64,
    pub split: bool,
    pub start_id: u32,
    pub start_str_off: u32,
    /// Per kind, in kind-number order; kinds with no types are left out.
    pub kinds: Vec<KindStat>,
    /// What global variables cost: VAR and DATASEC records.
    pub globals: Globals,
}

/// VAR and DATASEC records, and their share of the whole blob.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Globals {
    pub count: u64,
    pub bytes: u64,
    /// Share of `total_bytes`, in hundredths of a percent (an integer,
    /// so that reports print the same everywhere).
    pub share_bp: u64,
}

pub fn stat(btf: &Btf) -> Stat {
    let mut per_kind = [(0u64, 0u64); 128];
    for t in btf.local_types() {
        let slot = &mut per_kind[t.kind_raw() as usize];
        slot.0 += 1;
        slot.1 += t.bytes().len() as u64;
    }
    let kinds = per_kind
        .iter()
        .enumerate()
        .filter(|(_, (count, _))| *count > 0)
        .map(|(k, &(count, bytes))| KindStat {
            kind: kind_label(k as u8),
            count,
            bytes,
        })
        .collect();
    let h = btf.header();
    let total_bytes = btf.to_bytes_len();
    let (count, bytes) = [Kind::Var, Kind::Datasec]
        .iter()
        .map(|&k| per_kind[k as usize])
        .fold((0, 0), |(c, b), (c2, b2)| (c + c2, b + b2));
    Stat {
        endian: btf.endian().name(),
        hdr_len: h.hdr_len,
        type_len: btf.type_bytes().len() as u32,
        str_len: btf.string_bytes().len() as u32,
        layout_len: btf.layout_bytes().len() as u32,
        total_bytes,
        types: btf.local_len() as u64,
        split: btf.base().is_some(),
        start_id: btf.start_id(),
        start_str_off: btf.start_str_off(),
        kinds,
        globals: Globals {
            count,
            bytes,
            share_bp: (bytes * 10_000).checked_div(total_bytes).unwrap_or(0),
        },
    }
}

/// `bp` hundredths of a percent as "12.34%".
pub fn percent(bp: u64) -> String {
    format!("{}.{:02}%", bp / 100, bp % 100)
}

impl Stat {
    /// A short human-readable table.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        s += &format!(
            "header: {} bytes, {}-endian; types {} bytes, strings {} bytes, layout {} bytes; total {} bytes\n",
            self.hdr_len, self.endian, self.type_len, self.str_len, self.layout_len, self.total_bytes
        );
        if self.split {
            s += &format!(
                "split BTF: first id {}, first string offset {}\n",
                self.start_id, self.start_str_off
            );
        }
        s += &format!("types: {}\n", self.types);
        s += &format!("{:<12} {:>9} {:>12}\n", "kind", "count", "bytes");
        for k in &self.kinds {
            s += &format!("{:<12} {:>9} {:>12}\n", k.kind, k.count, k.bytes);
        }
        s += &format!("{:<12} {:>9} {:>12}\n", "strings", "", self.str_len);
        s += &format!(
            "global variables (VAR + DATASEC): {} types, {} bytes, {} of the total\n",
            self.globals.count,
            self.globals.bytes,
            percent(self.globals.share_bp)
        );
        s
    }
}
