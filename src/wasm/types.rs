//! The Types view's browser: `analyze::browse::Browser` over the run's
//! session, with its arguments and results converted to and from JS values.

use js_sys::Uint8Array;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{to_js, Session};
use crate::analyze::browse::Browser;
use crate::analyze::xref::Located;

/// Every type of a session's base and modules, searchable by name.
#[wasm_bindgen]
pub struct TypeBrowser {
    browser: Browser,
}

/// What the index holds, for the view's status line.
#[derive(Serialize)]
struct Summary<'a> {
    sources: Vec<&'a str>,
    types: usize,
    entries: usize,
}

#[wasm_bindgen]
impl TypeBrowser {
    /// Indexes the base of `session` and the modules it kept under `keys`,
    /// `names[i]` naming `keys[i]`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        session: &Session,
        names: Vec<String>,
        keys: Vec<u32>,
    ) -> Result<TypeBrowser, JsError> {
        let modules: Vec<(String, u32)> = names.into_iter().zip(keys).collect();
        Ok(TypeBrowser {
            browser: Browser::new(&session.core, &modules)?,
        })
    }

    /// `{ sources, types, entries }`: the sources' names (the base first),
    /// how many types and how many distinct kinds and names.
    pub fn summary(&self) -> Result<JsValue, JsError> {
        let index = self.browser.index();
        to_js(&Summary {
            sources: index.sources().collect(),
            types: index.types(),
            entries: index.entries(),
        })
    }

    /// `{ total, hits }`: the first `limit` kinds and names containing
    /// `query` (ASCII case ignored), shorter names first.
    pub fn search(&self, query: &str, limit: u32) -> Result<JsValue, JsError> {
        to_js(&self.browser.search(query, limit as usize))
    }

    /// `{ source, id }` of the type `spec` names (`task_struct`, `struct
    /// task_struct`, `func schedule`): its first definition, or the one in
    /// the source named `source` (a module's name); undefined if none.
    pub fn find(&self, spec: &str, source: Option<String>) -> Result<JsValue, JsError> {
        to_js(&self.browser.find(spec, source.as_deref()))
    }

    /// Everything the view shows of type `id` of source `source`.
    pub fn detail(&mut self, session: &Session, source: u32, id: u32) -> Result<JsValue, JsError> {
        to_js(&self.browser.detail(&session.core, Located { source, id })?)
    }

    /// The C header of source `source` (`vmlinux.h` for the base), as
    /// `btfscope dump --format c` writes it.
    pub fn header(&mut self, session: &Session, source: u32) -> Result<Uint8Array, JsError> {
        Ok(Uint8Array::from(
            self.browser.header(&session.core, source)?,
        ))
    }
}
