//! The run's session for the page: `analyze::session::Session` with its
//! arguments and results converted to and from JS values.

use js_sys::{Array, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{byte_arrays, outcomes, to_js};
use crate::analyze::explain::{Finding, VerdictCounts};
use crate::analyze::report::BaseResult;
use crate::analyze::session;

/// One analysis run: the base, parsed once, and the batches of modules
/// analysed on it. The page reads files between batches.
#[wasm_bindgen]
pub struct Session {
    pub(super) core: session::Session,
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

#[wasm_bindgen]
impl Session {
    /// A session on the base BTF in `base` (any file intake reads, e.g. a
    /// vmlinux), or without a base.
    #[wasm_bindgen(constructor)]
    pub fn new(base: Option<Vec<u8>>) -> Result<Session, JsError> {
        Ok(Session {
            core: session::Session::new(base.as_deref())?,
        })
    }

    /// The quick pass: each file's BTF as shipped (sizes, kinds), in
    /// parallel; `files` are `Uint8Array`s, outcomes come back in order.
    /// The BTF of each file read is kept under `keys[i]` for `analyze` and
    /// `fulls`.
    pub fn shipped(&mut self, keys: Vec<u32>, files: Array) -> Result<JsValue, JsError> {
        outcomes(self.core.shipped(keys, &byte_arrays(files)?))
    }

    /// The full pass: the report's module rows (SPLIT, FULL, kinds) and
    /// the re-deduplicated sizes of the modules `shipped` kept under
    /// `keys`, in parallel; `names[i]` is the file name of `keys[i]`. Each
    /// row's `full_sha256` is empty: FULL BTFs are measured here, not built
    /// (see `fulls`).
    pub fn analyze(&mut self, names: Vec<String>, keys: Vec<u32>) -> Result<JsValue, JsError> {
        outcomes(self.core.analyze(names, keys)?)
    }

    /// The FULL BTF of each module kept under `keys` (undefined for those
    /// that fail), for the page to hash with the browser's SHA-256, many
    /// times faster than hashing in wasm.
    pub fn fulls(&mut self, keys: Vec<u32>) -> Result<Array, JsError> {
        Ok(self
            .core
            .fulls(keys)?
            .iter()
            .map(|full| match full {
                Some(full) => Uint8Array::from(&full[..]).into(),
                None => JsValue::UNDEFINED,
            })
            .collect())
    }

    /// The report's entry for the base (`name`, its file name): its size
    /// and kinds (`analyze::report::BaseResult`).
    #[wasm_bindgen(js_name = baseResult)]
    pub fn base_result(&self, name: &str) -> Result<JsValue, JsError> {
        let base = self
            .core
            .base()
            .ok_or_else(|| JsError::new("a report needs the vmlinux the modules were built for"))?;
        to_js(&BaseResult::of(name, base))
    }

    /// A part of the type graph of the module `shipped` kept under `key`:
    /// `view` is `{ start: id | null }` (what a type, by default the
    /// module's hub, reaches), `{ expand: id }` (a type and what it refers
    /// to) or `"whole"`; the answer has the graph's `nodes`, `edges`,
    /// `edge_labels`, its `root` and the module's `own_types`.
    pub fn graph(&self, key: u32, view: JsValue) -> Result<JsValue, JsError> {
        let view =
            serde_wasm_bindgen::from_value(view).map_err(|e| JsError::new(&e.to_string()))?;
        to_js(&self.core.graph(key, view)?)
    }

    /// The explainer on the module `shipped` kept under `key`: every type
    /// that duplicates or almost duplicates a base type, with its verdict,
    /// also in words (`text`).
    pub fn explain(&mut self, key: u32) -> Result<JsValue, JsError> {
        let x = self.core.explain(key)?;
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
        Ok(self.core.set_target(target)?)
    }

    /// Would each module relocate onto the target? Modules without
    /// `.BTF.base` are taken as built for this session's base. In parallel;
    /// `names[i]` names `files[i]`.
    pub fn compat(&self, names: Vec<String>, files: Array) -> Result<JsValue, JsError> {
        outcomes(self.core.compat(names, &byte_arrays(files)?)?)
    }
}
