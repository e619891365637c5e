//! The page's entry points: a thin wasm-bindgen adapter over the library,
//! called from a Web Worker (www/src/worker.js). Files arrive as bytes,
//! results leave as plain JS objects; all analysis is the library's.
//!
//! One file per concern, each adding its own exports: `session` (the run's
//! base and modules, over `analyze::session`), `encode` (DWARF → BTF),
//! `compare` (two reports side by side), `report` (verifying a report).
//! This file holds what they share (value conversion, outcomes) and the
//! worker-level exports (panic reporting, thread count, hashing).

use std::sync::atomic::{AtomicU32, Ordering};

use js_sys::{Array, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::intake::Input;
use crate::Result;

mod compare;
mod core;
mod encode;
mod report;
mod session;
mod teach;
mod types;

pub use session::Session;

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

/// Each file's outcome, as JS objects.
fn outcomes<T: Serialize>(results: Vec<Result<T>>) -> Result<JsValue, JsError> {
    let outcomes: Vec<Outcome<T>> = results.into_iter().map(Outcome::from).collect();
    to_js(&outcomes)
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

#[cfg(test)]
mod tests;
