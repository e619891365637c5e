//! The page's entry points: a thin wasm-bindgen adapter over the library,
//! called from a Web Worker (www/src/worker.js). Files arrive as bytes,
//! results leave as plain JS objects; all analysis is the library's.

use js_sys::{Function, Uint8Array};
use rayon::prelude::*;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::analyze::graph::{neighbours, split_graph};
use crate::analyze::stat::{stat, Stat};
use crate::btf::Btf;
use crate::intake::Input;
use crate::Result;

#[cfg(feature = "threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// Threads analyses run on: the pool's size, or 1 in the non-threaded build.
#[wasm_bindgen(js_name = threadCount)]
pub fn thread_count() -> usize {
    rayon::current_num_threads()
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
enum Outcome {
    Ok { stat: Stat },
    Failed { error: String },
}

/// Analyses files `0..count` against `base`, `batch` files at a time:
/// `read(i)` returns file `i`'s bytes, `report(first, outcomes)` receives
/// each batch's results in order. Within a batch files are analysed in
/// parallel; between batches the caller can show progress.
#[wasm_bindgen]
pub fn analyze(
    base: Option<Vec<u8>>,
    count: u32,
    batch: u32,
    read: &Function,
    report: &Function,
) -> Result<(), JsError> {
    with_base(base.as_deref(), |base| {
        let mut first = 0;
        while first < count {
            let end = count.min(first + batch.max(1));
            let files = (first..end)
                .map(|i| read_file(read, i))
                .collect::<Result<Vec<_>, JsValue>>()
                .map_err(js_error)?;
            let outcomes: Vec<Outcome> = files
                .par_iter()
                .map(|bytes| match analyze_file(bytes, base) {
                    Ok(stat) => Outcome::Ok { stat },
                    Err(e) => Outcome::Failed {
                        error: e.to_string(),
                    },
                })
                .collect();
            report
                .call2(&JsValue::NULL, &first.into(), &to_js(&outcomes)?)
                .map_err(js_error)?;
            first = end;
        }
        Ok(())
    })
}

fn analyze_file(bytes: &[u8], base: Option<&Btf>) -> Result<Stat> {
    Input::open(bytes)?.with_btf(base, |btf| Ok(stat(btf)))
}

/// The type graph of `module` on `base`: its own types and the base types
/// they use; with `expand`, only that type and what it refers to.
#[wasm_bindgen]
pub fn graph(
    base: Option<Vec<u8>>,
    module: &[u8],
    expand: Option<u32>,
) -> Result<JsValue, JsError> {
    let graph = with_base(base.as_deref(), |base| {
        Input::open(module)?
            .with_btf(base, |btf| {
                Ok(match expand {
                    Some(id) => neighbours(btf, id),
                    None => split_graph(btf),
                })
            })
            .map_err(JsError::from)
    })?;
    to_js(&graph)
}

/// Runs `f` on the parsed base BTF, if one is given.
fn with_base<T>(
    base: Option<&[u8]>,
    f: impl FnOnce(Option<&Btf>) -> Result<T, JsError>,
) -> Result<T, JsError> {
    let Some(bytes) = base else {
        return f(None);
    };
    let input = Input::open(bytes).map_err(|e| e.in_file("base"))?;
    let btf = input.parse_btf(None).map_err(|e| e.in_file("base"))?;
    f(Some(&btf))
}

fn read_file(read: &Function, index: u32) -> Result<Vec<u8>, JsValue> {
    let bytes: Uint8Array = read.call1(&JsValue::NULL, &index.into())?.dyn_into()?;
    Ok(bytes.to_vec())
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

/// A JS exception thrown by a callback, passed on with its message.
fn js_error(e: JsValue) -> JsError {
    let message = e
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| format!("{e:?}"));
    JsError::new(&message)
}

#[cfg(test)]
mod tests;
