//! The report's entry points for the page: a report in the documented
//! schema (docs/REPORT.md, `btfscope report --json`) verified through the
//! core, exactly as `btfscope verify` does it.

use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::{byte_arrays, to_js};
use crate::analyze::report::{verify, NamedInput};

/// Re-runs the report `recorded` (its JSON bytes) over `files` (the
/// `Uint8Array`s of its inputs, `names[i]` the file name of `files[i]`,
/// as the report names them) and returns `{ changed_inputs: [{ name,
/// recorded, actual }], differences: [[path, recorded, now]] }`: both
/// empty when the report is reproduced exactly.
#[wasm_bindgen(js_name = verifyReport)]
pub fn verify_report(
    recorded: &[u8],
    names: Vec<String>,
    files: Array,
) -> Result<JsValue, JsError> {
    let bytes = byte_arrays(files)?;
    let inputs: Vec<NamedInput> = names
        .into_iter()
        .zip(&bytes)
        .map(|(name, bytes)| NamedInput { name, bytes })
        .collect();
    to_js(&verify(recorded, &inputs)?)
}
