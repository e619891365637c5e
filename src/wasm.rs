//! The page's entry points: a thin wasm-bindgen adapter over the library,
//! called from a Web Worker (www/src/worker.js). Files arrive as bytes,
//! results leave as plain JS objects; all analysis is the library's.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use js_sys::{Array, Uint8Array};
use rayon::prelude::*;
use self_cell::self_cell;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::analyze::explain::{Explainer, Finding, VerdictCounts};
use crate::analyze::full::{full_split, FullIndex};
use crate::analyze::graph::{neighbours, split_graph};
use crate::analyze::report::{unhashed_row, ModuleResult};
use crate::analyze::stat::{stat, Stat};
use crate::btf::Btf;
use crate::dedup::resplit::{split_sizes, Sizes};
use crate::dedup::BaseIndex;
use crate::distill::{check_module, CompatReport, TargetIndex};
use crate::intake::Input;
use crate::{Error, ErrorKind, Result};

#[cfg(feature = "threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

/// The page's number for the worker this core runs in, shared by all its
/// threads (their memory is shared), so that its panics can be told apart
/// from those of a worker the page has already replaced.
static WORKER_GENERATION: AtomicU32 = AtomicU32::new(0);

#[wasm_bindgen(inline_js = "export function announce_panic(generation, message) {
    new BroadcastChannel('btfscope-panic').postMessage({ generation, message });
}")]
extern "C" {
    /// Tells the page directly: a panic in a pool thread leaves the worker
    /// waiting for it forever, unable to report anything itself.
    fn announce_panic(generation: u32, message: String);
}

#[wasm_bindgen(start)]
fn start() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        announce_panic(WORKER_GENERATION.load(Ordering::Relaxed), info.to_string());
    }));
}

/// Sets the number the page gave this worker (see `announce_panic`).
#[wasm_bindgen(js_name = setWorkerGeneration)]
pub fn set_worker_generation(generation: u32) {
    WORKER_GENERATION.store(generation, Ordering::Relaxed);
}

/// Threads analyses run on: the pool's size, or 1 in the non-threaded build.
#[wasm_bindgen(js_name = threadCount)]
pub fn thread_count() -> usize {
    rayon::current_num_threads()
}

/// The sha256 of `bytes` in hex, for pages without the browser's own
/// (outside secure contexts).
#[wasm_bindgen(js_name = sha256Hex)]
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::analyze::report::sha256_hex(bytes)
}

/// The number of types if `bytes` holds a base (stand-alone) BTF such as
/// vmlinux's; `undefined` for split BTF and for files that cannot be read.
#[wasm_bindgen(js_name = baseTypes)]
pub fn base_types(bytes: &[u8]) -> Option<u32> {
    let input = Input::open(bytes).ok()?;
    if input.btf_base_bytes().is_some() {
        return None;
    }
    let btf = input.parse_btf(None).ok()?;
    Some(btf.local_len() as u32)
}

self_cell!(
    /// A base BTF parsed over its own copy of the `.BTF` bytes.
    struct OwnedBase {
        owner: Vec<u8>,
        #[covariant]
        dependent: Btf,
    }
);

/// What analysing modules needs of their base, built once per session.
struct Indexes<'a> {
    dedup: BaseIndex<'a>,
    full: FullIndex<'a>,
}

self_cell!(
    /// A base BTF with its indexes.
    struct IndexedBase {
        owner: OwnedBase,
        #[covariant]
        dependent: Indexes,
    }
);

/// A session's base: indexed on first use, as graphs and compatibility
/// checks do not need the indexes.
enum Base {
    Plain(OwnedBase),
    Indexed(IndexedBase),
}

self_cell!(
    /// A kernel's BTF prepared once as the relocation target of every
    /// module `Session::compat` checks.
    struct OwnedTarget {
        owner: OwnedBase,
        #[covariant]
        dependent: TargetIndex,
    }
);

/// Parses a base BTF from any file intake reads (e.g. a vmlinux).
fn own_base(bytes: &[u8]) -> Result<OwnedBase> {
    let input = Input::open(bytes)?;
    // Parsed in place first for errors with offsets in the file; then only
    // the .BTF section is kept, not a whole vmlinux.
    input.parse_btf(None)?;
    let section = input.btf_bytes().unwrap_or_default().to_vec();
    OwnedBase::try_new(section, |section| Btf::parse(section))
}

/// One analysis run: the base, parsed once, and the batches of modules
/// analysed on it. The page reads files between batches.
#[wasm_bindgen]
pub struct Session {
    base: Option<Base>,
    target: Option<OwnedTarget>,
    /// The BTF of each module the quick pass read, by the page's key: the
    /// later passes take it from here instead of reading the file again.
    kept: HashMap<u32, Vec<u8>>,
}

/// The explainer's findings, each with its verdict in words.
#[derive(Serialize)]
struct Explained<'f> {
    counts: VerdictCounts,
    redup_saved_bytes: u64,
    findings: Vec<DescribedFinding<'f>>,
}

#[derive(Serialize)]
struct DescribedFinding<'f> {
    #[serde(flatten)]
    finding: &'f Finding,
    text: String,
}

/// The full pass's row of one module: the report's (SPLIT, FULL, kinds)
/// and the module re-deduplicated against the base.
#[derive(Serialize)]
struct AnalyzedModule {
    #[serde(flatten)]
    result: ModuleResult,
    dedup: Sizes,
}

/// One file's outcome; a bad file fails alone and the batch carries on.
#[derive(Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
enum Outcome<T> {
    Ok { value: T },
    Failed { error: String },
}

impl<T> From<Result<T>> for Outcome<T> {
    fn from(result: Result<T>) -> Self {
        match result {
            Ok(value) => Outcome::Ok { value },
            Err(e) => Outcome::Failed {
                error: e.to_string(),
            },
        }
    }
}

#[wasm_bindgen]
impl Session {
    /// A session on the base BTF in `base` (any file intake reads, e.g. a
    /// vmlinux), or without a base.
    #[wasm_bindgen(constructor)]
    pub fn new(base: Option<Vec<u8>>) -> Result<Session, JsError> {
        let base = base
            .map(|bytes| own_base(&bytes))
            .transpose()
            .map_err(|e| JsError::new(&e.in_file("base").to_string()))?;
        Ok(Session {
            base: base.map(Base::Plain),
            target: None,
            kept: HashMap::new(),
        })
    }

    /// The quick pass: each file's BTF as shipped (sizes, kinds), in
    /// parallel; `files` are `Uint8Array`s, outcomes come back in order.
    /// The BTF of each file read is kept under `keys[i]` for `analyze` and
    /// `fulls`.
    pub fn shipped(&mut self, keys: Vec<u32>, files: Array) -> Result<JsValue, JsError> {
        let read: Vec<Result<(Stat, Vec<u8>)>> = byte_arrays(files)?
            .par_iter()
            .map(|bytes| {
                let input = Input::open(bytes)?;
                let stat = input.with_btf(self.base(), |btf| Ok(stat(btf)))?;
                // Only the BTF, unless the module's ids rest on a distilled base.
                let kept = match (input.btf_base_bytes(), input.btf_bytes()) {
                    (None, Some(btf)) => btf.to_vec(),
                    _ => bytes.clone(),
                };
                Ok((stat, kept))
            })
            .collect();
        let mut outcomes: Vec<Outcome<Stat>> = Vec::with_capacity(read.len());
        for (key, r) in keys.into_iter().zip(read) {
            outcomes.push(
                r.map(|(stat, kept)| {
                    self.kept.insert(key, kept);
                    stat
                })
                .into(),
            );
        }
        to_js(&outcomes)
    }

    /// The full pass: the report's module rows (SPLIT, FULL, kinds) and
    /// the re-deduplicated sizes of the modules `shipped` kept under
    /// `keys`, in parallel; `names[i]` is the file name of `keys[i]`. Each
    /// row's `full_sha256` is empty: FULL BTFs are measured here, not built
    /// (see `fulls`).
    pub fn analyze(&mut self, names: Vec<String>, keys: Vec<u32>) -> Result<JsValue, JsError> {
        self.index_base()
            .map_err(|e| JsError::new(&e.in_file("base").to_string()))?;
        let outcomes: Vec<Outcome<AnalyzedModule>> = names
            .into_par_iter()
            .zip(keys)
            .map(|(name, key)| {
                self.kept(key)
                    .and_then(|bytes| self.analyze_module(name, bytes))
                    .into()
            })
            .collect();
        to_js(&outcomes)
    }

    /// The FULL BTF of each module kept under `keys` (undefined for those
    /// that fail), for the page to hash with the browser's SHA-256, many
    /// times faster than hashing in wasm.
    pub fn fulls(&mut self, keys: Vec<u32>) -> Result<Array, JsError> {
        self.index_base()
            .map_err(|e| JsError::new(&e.in_file("base").to_string()))?;
        let fulls: Vec<Option<Vec<u8>>> = keys
            .into_par_iter()
            .map(|key| self.kept(key).and_then(|bytes| self.full_btf(bytes)).ok())
            .collect();
        Ok(fulls
            .iter()
            .map(|full| match full {
                Some(full) => Uint8Array::from(&full[..]).into(),
                None => JsValue::UNDEFINED,
            })
            .collect())
    }

    /// The type graph of `module` on the base: its own types and the base
    /// types they use; with `expand`, only that type and what it refers to.
    pub fn graph(&self, module: &[u8], expand: Option<u32>) -> Result<JsValue, JsError> {
        let graph = Input::open(module)?.with_btf(self.base(), |btf| {
            Ok(match expand {
                Some(id) => neighbours(btf, id),
                None => split_graph(btf),
            })
        })?;
        to_js(&graph)
    }

    /// The explainer on `module`: every type that duplicates or almost
    /// duplicates a base type, with its verdict, also in words (`text`).
    pub fn explain(&mut self, module: &[u8]) -> Result<JsValue, JsError> {
        self.index_base()
            .map_err(|e| JsError::new(&e.in_file("base").to_string()))?;
        let Some(Base::Indexed(indexed)) = &self.base else {
            return Err(JsError::new(
                "the explainer needs the vmlinux the module was built against",
            ));
        };
        let explainer = Explainer::new(&indexed.borrow_dependent().dedup)?;
        let x = Input::open(module)?.with_btf(self.base(), |btf| explainer.explain(btf))?;
        to_js(&Explained {
            counts: x.counts,
            redup_saved_bytes: x.redup_saved_bytes,
            findings: x
                .findings
                .iter()
                .map(|finding| DescribedFinding {
                    finding,
                    text: finding.verdict.describe(),
                })
                .collect(),
        })
    }

    /// Sets the kernel `compat` relocates onto: a vmlinux, vmlinuz or raw BTF.
    #[wasm_bindgen(js_name = setTarget)]
    pub fn set_target(&mut self, target: &[u8]) -> Result<(), JsError> {
        let target = own_base(target)
            .and_then(|btf| {
                OwnedTarget::try_new(btf, |btf| TargetIndex::new(btf.borrow_dependent()))
            })
            .map_err(|e| JsError::new(&e.in_file("target").to_string()))?;
        self.target = Some(target);
        Ok(())
    }

    /// Would each module relocate onto the target? Modules without
    /// `.BTF.base` are taken as built for this session's base. In parallel;
    /// `names[i]` names `files[i]`.
    pub fn compat(&self, names: Vec<String>, files: Array) -> Result<JsValue, JsError> {
        let index = self
            .target
            .as_ref()
            .ok_or_else(|| JsError::new("no target kernel: call setTarget first"))?
            .borrow_dependent();
        let outcomes: Vec<Outcome<CompatReport>> = names
            .into_par_iter()
            .zip(byte_arrays(files)?)
            .map(|(name, bytes)| check_module(index, &bytes, self.base(), &name).into())
            .collect();
        to_js(&outcomes)
    }
}

impl Session {
    fn base(&self) -> Option<&Btf<'_>> {
        self.base.as_ref().map(|base| match base {
            Base::Plain(plain) => plain.borrow_dependent(),
            Base::Indexed(indexed) => indexed.borrow_owner().borrow_dependent(),
        })
    }

    /// Builds the base's indexes unless done already.
    fn index_base(&mut self) -> Result<()> {
        if let Some(Base::Plain(_)) = self.base {
            let Some(Base::Plain(plain)) = self.base.take() else {
                unreachable!("matched above");
            };
            let indexed = IndexedBase::try_new_or_recover(plain, |plain| {
                let btf = plain.borrow_dependent();
                Ok::<_, Error>(Indexes {
                    dedup: BaseIndex::new(btf)?,
                    full: FullIndex::new(btf)?,
                })
            });
            match indexed {
                Ok(indexed) => self.base = Some(Base::Indexed(indexed)),
                Err((plain, e)) => {
                    self.base = Some(Base::Plain(plain));
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn analyze_module(&self, name: String, bytes: &[u8]) -> Result<AnalyzedModule> {
        let Some(Base::Indexed(indexed)) = &self.base else {
            return on_distilled_base(bytes, |btf, base| {
                Ok(AnalyzedModule {
                    result: unhashed_row(btf, None, &name)?,
                    dedup: split_sizes(btf, &BaseIndex::new(base)?, None)?,
                })
            });
        };
        let base = indexed.borrow_owner().borrow_dependent();
        let indexes = indexed.borrow_dependent();
        // Refuses a module that carries a distilled base: its ids are not on `base`.
        Input::open(bytes)?.with_btf(Some(base), |btf| {
            Ok(AnalyzedModule {
                result: unhashed_row(btf, Some(&indexes.full), &name)?,
                dedup: split_sizes(btf, &indexes.dedup, None)?,
            })
        })
    }

    fn kept(&self, key: u32) -> Result<&[u8]> {
        self.kept.get(&key).map(Vec::as_slice).ok_or_else(|| {
            Error::new(
                ErrorKind::Usage,
                "this module was not read by the quick pass",
            )
        })
    }

    fn full_btf(&self, bytes: &[u8]) -> Result<Vec<u8>> {
        let Some(Base::Indexed(indexed)) = &self.base else {
            return on_distilled_base(bytes, |btf, _| Ok(full_split(btf, None)?.1.to_bytes()));
        };
        let base = indexed.borrow_owner().borrow_dependent();
        let index = &indexed.borrow_dependent().full;
        Input::open(bytes)?.with_btf(Some(base), |btf| {
            Ok(full_split(btf, Some(index))?.1.to_bytes())
        })
    }
}

/// `f` of a module analysed without a session base: on the distilled base
/// (`.BTF.base`) it carries, if it does.
fn on_distilled_base<T>(bytes: &[u8], f: impl FnOnce(&Btf, &Btf) -> Result<T>) -> Result<T> {
    let input = Input::open(bytes)?;
    if input.btf_base_bytes().is_none() {
        return Err(Error::new(
            ErrorKind::MissingBase,
            "no base BTF: add the vmlinux these modules were built against",
        ));
    }
    input.with_btf(None, |btf| {
        f(btf, btf.base().expect("parsed on its distilled base"))
    })
}

fn byte_arrays(files: Array) -> Result<Vec<Vec<u8>>, JsError> {
    files
        .iter()
        .map(|f| f.dyn_into::<Uint8Array>().map(|a| a.to_vec()))
        .collect::<Result<_, _>>()
        .map_err(|_| JsError::new("expected an array of Uint8Array"))
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

mod compare;
mod encode;

#[cfg(test)]
mod tests;
