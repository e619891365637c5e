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
    /// the source named `source` (a module's name); null if none.
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

#[cfg(test)]
mod tests {
    use js_sys::Array;
    use wasm_bindgen::JsValue;
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::super::tests::{get, number, with_nfs, NFS};
    use super::TypeBrowser;
    use crate::btf::c;
    use crate::intake::Input;

    /// The browser as the Types view's worker calls it (work/types.js), on
    /// vmlinux and nfs: C text and headers are the library's `btf::c`.
    #[wasm_bindgen_test]
    fn the_type_browser_finds_a_module_type_its_c_text_and_headers() {
        let session = with_nfs();
        let mut browser = TypeBrowser::new(&session, vec!["nfs".into()], vec![0]).unwrap();
        let summary = browser.summary().unwrap();
        let sources: Vec<JsValue> = Array::from(&get(&summary, "sources")).to_vec();
        assert_eq!(sources, [JsValue::from("vmlinux"), JsValue::from("nfs")]);

        let found = browser.search("nfs_inode", 5).unwrap();
        let first = Array::from(&get(&found, "hits")).get(0);
        assert_eq!(get(&first, "name"), "nfs_inode");
        assert!(browser
            .find("nfs_inode", Some("vmlinux".into()))
            .unwrap()
            .is_null());
        let at = browser.find("nfs_inode", None).unwrap();
        assert_eq!(number(&at, "source"), 1.0);
        let id = number(&at, "id") as u32;
        // struct module: vmlinux's first, nfs's stale copy by name.
        let module = browser.find("module", Some("nfs".into())).unwrap();
        assert_eq!(number(&module, "source"), 1.0);
        assert_eq!(
            number(&browser.find("module", None).unwrap(), "source"),
            0.0
        );

        let detail = browser.detail(&session, 1, id).unwrap();
        assert_eq!(get(&detail, "source"), "nfs");
        let text = get(&detail, "c").as_string().unwrap();
        assert!(text.starts_with("struct nfs_inode {\n"), "{text}");
        assert!(get(&detail, "layout")
            .as_string()
            .unwrap()
            .starts_with("struct nfs_inode {"));
        assert!(browser.detail(&session, 1, u32::MAX).is_err());
        assert!(browser.detail(&session, 7, id).is_err());

        let base = session.core.base().unwrap();
        assert_eq!(
            browser.header(&session, 0).unwrap().to_vec(),
            c::header(base).unwrap().text()
        );
        let header = browser.header(&session, 1).unwrap().to_vec();
        let expected = Input::open(NFS)
            .unwrap()
            .with_btf(Some(base), |btf| Ok(c::header(btf)?.text().to_vec()))
            .unwrap();
        assert_eq!(header, expected);
        let text = String::from_utf8(header).unwrap();
        assert!(text.contains(&format!("\n{}", get(&detail, "c").as_string().unwrap())));
    }
}
