//! The type browser: what the page's Types view asks of a session's base
//! and modules. Search and lookups by name over every type
//! ([`TypeIndex`]), and for one type its kind, size, where its name is
//! defined, the named types that refer to it (with the member path), its
//! C definition as `btfscope dump --format c` writes it and its layout as
//! `btfscope layout -C` prints it; and each source's whole C header (the
//! `vmlinux.h` of the base, or of a module on its base).

use std::collections::HashMap;

use serde::Serialize;

use super::session::Session;
use super::xref::{path_label, Entry, Hits, Located, TypeIndex, TypeIndexBuilder};
use crate::btf::read::kind_label;
use crate::btf::{Btf, Kind, TypeId};
use crate::core::btf_util::{ptr_size, resolve_size};
use crate::error::{Error, ErrorKind, Result};
use crate::intake::Input;

/// Where a [`Browser`] finds its sources' BTF: a base, parsed, and the
/// kept bytes of modules (their `.BTF`, or the whole file when it carries
/// a distilled base), by key. The page's run session is one.
pub trait Sources {
    fn base(&self) -> Option<&Btf<'_>>;
    fn module_bytes(&self, key: u32) -> Result<&[u8]>;

    /// `f` on the BTF of the module kept under `key`, on the base.
    fn with_module<T>(&self, key: u32, f: impl FnOnce(&Btf) -> Result<T>) -> Result<T>
    where
        Self: Sized,
    {
        Input::open(self.module_bytes(key)?)?.with_btf(self.base(), f)
    }
}

impl Sources for Session {
    fn base(&self) -> Option<&Btf<'_>> {
        Session::base(self)
    }

    fn module_bytes(&self, key: u32) -> Result<&[u8]> {
        self.kept(key)
    }
}

/// One type as the view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TypeDetail {
    pub at: Located,
    /// The name of the source (`vmlinux`, a module's name).
    pub source: String,
    pub kind: String,
    pub name: String,
    /// Bytes, through typedefs, modifiers and arrays (`None`: no size, as
    /// for a function).
    pub size: Option<u64>,
    /// Its kind and name, defined where: `None` for an anonymous type.
    pub entry: Option<Entry>,
    pub referrers: Vec<Referrer>,
    /// Named types that refer to it, all of them (`referrers` may be fewer).
    pub referrers_total: u32,
    /// The type's own text in its source's C header (`None`: it has none,
    /// e.g. a pointer or an int).
    pub c: Option<String>,
    /// pahole's layout of a struct or union.
    pub layout: Option<String>,
}

/// A named type that refers to the one shown, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Referrer {
    pub at: Located,
    pub kind: String,
    pub name: String,
    /// Member and parameter names from the referrer to the type, e.g.
    /// `mm` or `sk.sk_buff`; empty for a typedef's.
    pub path: String,
}

/// The session's types, indexed for the view; C headers made once per
/// source and kept.
pub struct Browser {
    index: TypeIndex,
    /// The session key of each source's module (`None`: the base).
    keys: Vec<Option<u32>>,
    headers: HashMap<u32, crate::btf::c::CHeader>,
}

/// Referrers a detail lists at most.
pub const REFERRERS_SHOWN: usize = 500;

impl Browser {
    /// Indexes the base of `session` and the modules it keeps, `modules[i]`
    /// being (name, key) of one of them.
    pub fn new(session: &impl Sources, modules: &[(String, u32)]) -> Result<Browser> {
        let mut builder = TypeIndexBuilder::new();
        let mut keys = Vec::new();
        if let Some(base) = session.base() {
            builder.add_base("vmlinux", base);
            keys.push(None);
        }
        for (name, key) in modules {
            session.with_module(*key, |btf| {
                builder.add_module(name, btf);
                Ok(())
            })?;
            keys.push(Some(*key));
        }
        Ok(Browser {
            index: builder.finish(),
            keys,
            headers: HashMap::new(),
        })
    }

    pub fn index(&self) -> &TypeIndex {
        &self.index
    }

    pub fn search(&self, query: &str, limit: usize) -> Hits {
        self.index.search(query, limit)
    }

    /// The type `spec` names (see [`TypeIndex::find`]): its first
    /// definition, or the one in the source named `source`.
    pub fn find(&self, spec: &str, source: Option<&str>) -> Option<Located> {
        let entry = self.index.entry(self.index.find(spec)?)?;
        let sources: Vec<&str> = self.index.sources().collect();
        entry
            .defined
            .into_iter()
            .find(|at| source.is_none_or(|s| sources[at.source as usize] == s))
    }

    /// `f` on the BTF of source `source`.
    fn with_source<T>(
        &self,
        session: &impl Sources,
        source: u32,
        f: impl FnOnce(&Btf) -> Result<T>,
    ) -> Result<T> {
        match self.keys.get(source as usize) {
            Some(Some(key)) => session.with_module(*key, f),
            Some(None) => f(session.base().expect("the base is source 0")),
            None => Err(Error::new(
                ErrorKind::Usage,
                format!("no source {source}: there are {}", self.keys.len()),
            )),
        }
    }

    /// The C header of source `source`: `btfscope dump FILE [-B BASE]
    /// --format c` of the base, or of a module on its base. Made on first
    /// use, then kept.
    pub fn header(&mut self, session: &impl Sources, source: u32) -> Result<&[u8]> {
        if !self.headers.contains_key(&source) {
            let header = self.with_source(session, source, crate::btf::c::header)?;
            self.headers.insert(source, header);
        }
        Ok(self.headers[&source].text())
    }

    /// Everything the view shows of type `at`.
    pub fn detail(&mut self, session: &impl Sources, at: Located) -> Result<TypeDetail> {
        let found = self.index.referrers(at, REFERRERS_SHOWN);
        let mut referrers = Vec::with_capacity(found.referrers.len());
        for r in &found.referrers {
            let path =
                self.with_source(session, r.at.source, |btf| Ok(path_label(btf, r, at.id)))?;
            referrers.push(Referrer {
                at: r.at,
                kind: r.kind.clone(),
                name: r.name.clone(),
                path,
            });
        }
        self.header(session, at.source)?;
        let c = self.headers[&at.source]
            .definition(at.id)
            .map(|text| String::from_utf8_lossy(text).into_owned());
        let entry = self.index.entry_of(at).and_then(|e| self.index.entry(e));
        let source = self
            .index
            .sources()
            .nth(at.source as usize)
            .unwrap_or_default()
            .to_string();
        let (kind, name, size, layout) = self.with_source(session, at.source, |btf| {
            let t = btf.type_by_id(at.id).ok_or_else(|| {
                Error::new(ErrorKind::Usage, format!("no type [{}] in {source}", at.id))
            })?;
            let size = resolve_size(btf, ptr_size(btf), at.id).ok();
            let layout = match t.kind() {
                Some(Kind::Struct | Kind::Union) => Some(layout_text(btf, at.id)?),
                _ => None,
            };
            Ok((
                kind_label(t.kind_raw()),
                btf.name(t.name_off()).into_owned(),
                size,
                layout,
            ))
        })?;
        Ok(TypeDetail {
            at,
            source,
            kind,
            name,
            size,
            entry,
            referrers,
            referrers_total: found.total,
            c,
            layout,
        })
    }
}

/// pahole's text for struct or union `id`, as `btfscope layout -C NAME`
/// prints it when NAME finds `id`: on a fresh model, as pahole's inferences
/// depend on what it has looked at before.
fn layout_text(btf: &Btf, id: TypeId) -> Result<String> {
    let mut layouts = crate::analyze::layout::Layouts::new(btf)?;
    Ok(String::from_utf8_lossy(&layouts.pahole_text(id)).into_owned())
}
