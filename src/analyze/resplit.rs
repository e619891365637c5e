//! Re-deduplicating many split BTFs (kernel modules) against one base:
//! what each module ships and what it would weigh after deduplication
//! ([`RedupSizes`], also the optional column of the report's and the
//! page's module rows), and the `split` command's listing of them
//! ([`Resplit`]).
//! One [`BaseIndex`] serves every module; modules run in parallel on the
//! current rayon pool, and the report is in input order whatever the pool.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use super::full::{full_split, BtfSize, FullIndex};
use crate::btf::Btf;
use crate::dedup::{dedup_split, BaseIndex};
use crate::error::{Error, ErrorKind, Result};
use crate::intake::Input;

/// Sizes of one module's split BTF as shipped and after deduplication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RedupSizes {
    pub shipped_bytes: u64,
    pub shipped_types: u64,
    pub dedup_bytes: u64,
    pub dedup_types: u64,
    /// Bytes deduplication removes (negative if it grew).
    pub saved_bytes: i64,
    /// The module's FULL BTF (see `analyze::full`), when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full: Option<BtfSize>,
}

/// One module: its sizes, or why it could not be processed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResplitRow {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sizes: Option<RedupSizes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ResplitTotals {
    pub modules: u64,
    pub failed: u64,
    pub shipped_bytes: u64,
    pub shipped_types: u64,
    pub dedup_bytes: u64,
    pub dedup_types: u64,
    pub saved_bytes: i64,
    /// Modules whose deduplicated BTF is smaller than shipped.
    pub shrunk: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full: Option<BtfSize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resplit {
    pub modules: Vec<ResplitRow>,
    pub totals: ResplitTotals,
}

/// Deduplicates every module in `files` against `index`, built from
/// `base`. A module that fails is reported and the others go on.
/// With `full` (built from `base`), each module's FULL BTF is computed too.
/// `progress(done, all)` is called as modules complete.
pub fn resplit(
    base: &Btf,
    index: &BaseIndex,
    files: &[PathBuf],
    full: Option<&FullIndex>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Resplit {
    let done = std::sync::atomic::AtomicUsize::new(0);
    let modules: Vec<ResplitRow> = files
        .par_iter()
        .map(|path| {
            let outcome = module_sizes(base, index, path, full);
            progress(
                done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                files.len(),
            );
            ResplitRow {
                path: path.display().to_string(),
                sizes: outcome.as_ref().ok().copied(),
                error: outcome.err().map(|e| e.to_string()),
            }
        })
        .collect();
    let mut totals = ResplitTotals::default();
    for m in &modules {
        totals.modules += 1;
        let Some(s) = m.sizes else {
            totals.failed += 1;
            continue;
        };
        totals.shipped_bytes += s.shipped_bytes;
        totals.shipped_types += s.shipped_types;
        totals.dedup_bytes += s.dedup_bytes;
        totals.dedup_types += s.dedup_types;
        totals.saved_bytes += s.saved_bytes;
        totals.shrunk += (s.saved_bytes > 0) as u64;
        if let Some(f) = s.full {
            *totals.full.get_or_insert_with(BtfSize::default) += f;
        }
    }
    Resplit { modules, totals }
}

fn module_sizes(
    base: &Btf,
    index: &BaseIndex,
    path: &Path,
    full: Option<&FullIndex>,
) -> Result<RedupSizes> {
    let name = path.display().to_string();
    let bytes =
        std::fs::read(path).map_err(|e| Error::new(ErrorKind::Io, e.to_string()).in_file(&name))?;
    sizes(base, index, &bytes, full).map_err(|e| e.in_file(&name))
}

/// One module's [`RedupSizes`] from its file's bytes (any container intake
/// reads); `index` and `full`, when given, are of `base`.
pub fn sizes(
    base: &Btf,
    index: &BaseIndex,
    bytes: &[u8],
    full: Option<&FullIndex>,
) -> Result<RedupSizes> {
    let input = Input::open(bytes)?;
    if input.btf_base_bytes().is_some() {
        return Err(Error::new(
            ErrorKind::Usage,
            "carries a distilled base (.BTF.base); relocating it onto the base is not supported",
        ));
    }
    let btf = input.parse_btf(Some(base))?;
    split_sizes(&btf, index, full)
}

/// [`RedupSizes`] of the split BTF `btf`; `index` and `full`, when given, are
/// of its base.
pub fn split_sizes(btf: &Btf, index: &BaseIndex, full: Option<&FullIndex>) -> Result<RedupSizes> {
    let out = dedup_split(index, btf)?;
    let shipped_bytes = btf.to_bytes_len();
    let dedup_bytes = out.to_bytes_len();
    Ok(RedupSizes {
        shipped_bytes,
        shipped_types: btf.local_len() as u64,
        dedup_bytes,
        dedup_types: out.local_len() as u64,
        saved_bytes: shipped_bytes as i64 - dedup_bytes as i64,
        full: full
            .map(|f| full_split(btf, Some(f)).map(|(sizes, _)| sizes.full))
            .transpose()?,
    })
}

impl Resplit {
    /// One line per module, then the totals.
    pub fn to_text(&self) -> String {
        // The FULL column, when the report has one.
        let has_full = self.totals.full.is_some();
        let full = |f: Option<BtfSize>| match (has_full, f) {
            (false, _) => String::new(),
            (true, f) => format!(" {:>11}", f.map_or(0, |f| f.bytes)),
        };
        let mut s = format!(
            "{:>9} {:>9} {:>10} {:>10} {:>8}{}  module\n",
            "types",
            "dedup",
            "bytes",
            "dedup",
            "saved",
            if has_full {
                format!(" {:>11}", "FULL")
            } else {
                String::new()
            }
        );
        for m in &self.modules {
            match (&m.sizes, &m.error) {
                (Some(z), _) => {
                    s += &format!(
                        "{:>9} {:>9} {:>10} {:>10} {:>8}{}  {}\n",
                        z.shipped_types,
                        z.dedup_types,
                        z.shipped_bytes,
                        z.dedup_bytes,
                        z.saved_bytes,
                        full(z.full),
                        m.path
                    )
                }
                (None, e) => s += &format!("error: {}\n", e.as_deref().unwrap_or("unknown")),
            }
        }
        let t = &self.totals;
        s += &format!(
            "{:>9} {:>9} {:>10} {:>10} {:>8}{}  total: {} modules, {} shrink, {} failed\n",
            t.shipped_types,
            t.dedup_types,
            t.shipped_bytes,
            t.dedup_bytes,
            t.saved_bytes,
            full(t.full),
            t.modules,
            t.shrunk,
            t.failed
        );
        s
    }
}
