//! The report's entry points for the page: reports in the documented
//! schema (docs/REPORT.md, `btfscope report --json`) made, read, checked
//! and verified by the core, so that the page's reports and the CLI's are
//! interchangeable.

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use super::to_js;
use crate::analyze::compare::read_report;
use crate::analyze::report::{
    assemble, check, BaseResult, InputFile, ModuleResult, Options, Report, ReportCheck,
};

/// What the page computed in a run, as `makeReport` and `checkReport`
/// take it: the base's file and entry (`Session.baseResult`), and per
/// module its file and either its row (`Session.analyze`'s, with the FULL
/// BTF's hash and the `redup` sizes filled in) or why it has none.
#[derive(Deserialize)]
struct PageRun {
    options: Options,
    base: PageBase,
    modules: Vec<PageModule>,
}

#[derive(Deserialize)]
struct PageBase {
    file: InputFile,
    result: BaseResult,
}

#[derive(Deserialize)]
struct PageModule {
    file: InputFile,
    row: Option<ModuleResult>,
    error: Option<String>,
}

/// A report as the page shows and saves it: `json` (the bytes `btfscope
/// report --json` writes for the same files) and `text` (`--text`).
#[derive(Serialize)]
struct Made<'r> {
    json: String,
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<&'r Report>,
    #[serde(skip_serializing_if = "Option::is_none")]
    check: Option<ReportCheck>,
}

/// The `--text` report's top tables, as the CLI's default.
const TOP: usize = 10;

fn made(r: &Report, with_report: bool, check: Option<ReportCheck>) -> Result<JsValue, JsError> {
    to_js(&Made {
        json: String::from_utf8(r.to_json()).map_err(|e| JsError::new(&e.to_string()))?,
        text: r.to_text(TOP),
        report: with_report.then_some(r),
        check,
    })
}

fn assembled(run: JsValue) -> Result<Report, JsError> {
    let run: PageRun = serde_wasm_bindgen::from_value(run)
        .map_err(|e| JsError::new(&format!("the page's run: {e}")))?;
    let modules = run
        .modules
        .into_iter()
        .map(|m| {
            let row = match (m.row, m.error) {
                (Some(row), _) => Ok(row),
                (None, error) => Err(error.unwrap_or_else(|| "not analysed".to_string())),
            };
            (m.file, row)
        })
        .collect();
    Ok(assemble(
        &run.options,
        run.base.file,
        run.base.result,
        modules,
    )?)
}

/// The report of the page's run (see `PageRun`): `{ json, text }`.
#[wasm_bindgen(js_name = makeReport)]
pub fn make_report(run: JsValue) -> Result<JsValue, JsError> {
    made(&assembled(run)?, false, None)
}

/// Reads a report (JSON bytes, named `name` in errors), checked as
/// `btfscope compare` reads one: `{ json, text, report }`, `report` the
/// parsed report.
#[wasm_bindgen(js_name = readReport)]
pub fn read(name: &str, bytes: &[u8]) -> Result<JsValue, JsError> {
    made(&read_report(name, bytes)?, true, None)
}

/// The page's run checked against the report `recorded` (JSON bytes):
/// `{ json, text, check }`, the run's own report and the check module by
/// module (`analyze::report::ReportCheck`).
#[wasm_bindgen(js_name = checkReport)]
pub fn check_report(recorded: &[u8], run: JsValue) -> Result<JsValue, JsError> {
    let recorded = read_report("the imported report", recorded)?;
    let fresh = assembled(run)?;
    let result = check(&recorded, &fresh);
    made(&fresh, false, Some(result))
}
