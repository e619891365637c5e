//! The Compare view's entry points: two reports' comparison, and the type
//! diff of one module from the files both reports were made of.

use wasm_bindgen::prelude::*;

use crate::analyze::compare::{check_input, compare, module_diff, read_report, ModuleFiles};
use crate::analyze::report::NamedInput;

/// A comparison as the CLI writes it (`json`, the same bytes as
/// `btfscope compare --json`) and its text (`compare --text --top top`).
#[derive(serde::Serialize)]
struct Compared {
    json: String,
    text: String,
}

/// Compares the report `old` (JSON bytes, named `old_name` in errors)
/// with `new`.
#[wasm_bindgen(js_name = compareReports)]
pub fn compare_reports(
    old_name: &str,
    old: &[u8],
    new_name: &str,
    new: &[u8],
    top: usize,
) -> Result<JsValue, JsError> {
    let c = compare(&read_report(old_name, old)?, &read_report(new_name, new)?);
    let json = String::from_utf8(c.to_json()).map_err(|e| JsError::new(&e.to_string()))?;
    super::to_js(&Compared {
        json,
        text: c.to_text(top),
    })
}

/// The types a module gained, lost and changed from the old report's
/// files to the new one's: `old_names` and `old_files` are the names and
/// bytes of the old base and module (`Uint8Array`s), likewise for new;
/// each file is checked against the sha256 its report recorded.
#[wasm_bindgen(js_name = compareModule)]
pub fn compare_module(
    old_report: &[u8],
    new_report: &[u8],
    old_names: Vec<String>,
    old_files: js_sys::Array,
    new_names: Vec<String>,
    new_files: js_sys::Array,
) -> Result<JsValue, JsError> {
    let old = read_report("report A", old_report)?;
    let new = read_report("report B", new_report)?;
    let (old_bytes, new_bytes) = (
        super::byte_arrays(old_files)?,
        super::byte_arrays(new_files)?,
    );
    let a = module_files(&old_names, &old_bytes)?;
    let b = module_files(&new_names, &new_bytes)?;
    for (report, which, files) in [(&old, "report A", &a), (&new, "report B", &b)] {
        check_input(report, which, &files.base)?;
        check_input(report, which, &files.module)?;
    }
    let d = module_diff(&a, &b)?;
    #[derive(serde::Serialize)]
    struct Diffed {
        diff: crate::analyze::diff::BtfDiff,
        text: String,
    }
    super::to_js(&Diffed {
        text: d.to_text(),
        diff: d,
    })
}

/// `[base, module]` names and bytes as the files of one side.
fn module_files<'d>(names: &[String], bytes: &'d [Vec<u8>]) -> Result<ModuleFiles<'d>, JsError> {
    match (names, bytes) {
        ([base_name, module_name], [base, module]) => Ok(ModuleFiles {
            base: NamedInput {
                name: base_name.clone(),
                bytes: base,
            },
            module: NamedInput {
                name: module_name.clone(),
                bytes: module,
            },
        }),
        _ => Err(JsError::new("expected a base and a module for each report")),
    }
}
