//! The Dedup view's entry points: the built-in cases, and a spec (on an
//! optional base spec) built and deduplicated with the engine's trace.

use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

use crate::analyze::browse::Sources;
use crate::btf::dump::{dump, DumpFormat};
use crate::btf::text::parse_spec;
use crate::btf::Btf;
use crate::dedup::cases::CASES;
use crate::dedup::extract::{extract, find_type};
use crate::dedup::trace::dedup_traced;
use crate::dedup::DedupRules;
use crate::error::{Error, ErrorKind};

use super::Session;

/// The built-in cases: `[{name, title, base, spec}]` (`base` null when
/// the case is not split BTF).
#[wasm_bindgen(js_name = teachCases)]
pub fn teach_cases() -> Result<JsValue, JsError> {
    let cases: Vec<Value> = CASES
        .iter()
        .map(|c| json!({ "name": c.name, "title": c.title, "base": c.base, "spec": c.spec }))
        .collect();
    super::to_js(&cases)
}

fn types_json(btf: &Btf) -> Result<Value, JsError> {
    let mut out = Vec::new();
    dump(btf, DumpFormat::Json, &mut out)?;
    let v: Value = serde_json::from_slice(&out).map_err(|e| JsError::new(&e.to_string()))?;
    Ok(v["types"].clone())
}

/// Builds `spec` (on `base`, a spec too, when given), deduplicates it
/// with the trace on, and returns `{events, input, base, output, sha256}`:
/// the trace's events, the input's and the base's types and the output's
/// (as `dump --format json` lists them), and the sha256 of the output BTF
/// (the bytes `btfscope dedup` writes for it).
#[wasm_bindgen(js_name = teachRun)]
pub fn teach_run(spec: &str, base: Option<String>) -> Result<JsValue, JsError> {
    let base = base
        .map(|b| parse_spec(b.as_bytes(), None).map_err(|e| JsError::new(&format!("base: {e}"))))
        .transpose()?;
    let btf = parse_spec(spec.as_bytes(), base.as_ref())?;
    let (out, events) = dedup_traced(&btf, DedupRules::Current)?;
    let result = json!({
        "events": events,
        "input": types_json(&btf)?,
        "base": match &base {
            Some(b) => types_json(b)?,
            None => Value::Null,
        },
        "output": types_json(&out)?,
        "sha256": super::sha256_hex(&out.to_bytes()),
    });
    super::to_js(&result)
}

/// One type of the module `session` kept under `key` as a dedup case on a
/// tiny base ("why was this not merged?"): `{title, base_spec, spec, root,
/// base_ids, module_ids, candidates, cut}`, the specs `btfscope
/// teach-extract` writes. `type_name` as `teach-extract --type` takes it.
#[wasm_bindgen(js_name = teachExtract)]
pub fn teach_extract(session: &Session, key: u32, type_name: &str) -> Result<JsValue, JsError> {
    let x = session.core.with_module(key, |btf| {
        let base = btf.base().ok_or_else(|| {
            Error::new(
                ErrorKind::MissingBase,
                "the module has no base to compare with",
            )
        })?;
        extract(base, btf, find_type(btf, type_name)?)
    })?;
    super::to_js(&x)
}
