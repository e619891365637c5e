//! A session: one base BTF (a vmlinux's), parsed once and indexed only
//! when an analysis needs it, and the modules analysed on it batch after
//! batch. The page runs on one (through the wasm adapter, which only
//! converts values); any caller that holds files in memory and analyses
//! them in several steps can too.
//!
//! - [`Session::new`] parses the base (any file intake reads) and keeps
//!   only its `.BTF` bytes, not a whole vmlinux.
//! - [`Session::shipped`]: each module's BTF as shipped ([`Stat`]); the
//!   module's BTF is kept under the caller's key for the later steps.
//! - [`Session::analyze`]: the report's row of each kept module (SPLIT,
//!   FULL measured, kinds) and its re-deduplicated sizes, as
//!   [`AnalyzedModule`]; [`Session::fulls`]: the FULL BTFs themselves,
//!   for their hashes.
//! - [`Session::graph`], [`Session::explain`]: a kept module's type graph
//!   (a part of it: [`GraphView`]) and the explainer's findings, on the
//!   same parsed base and indexes.
//! - [`Session::set_target`] and [`Session::compat`]: would modules
//!   relocate onto another kernel.
//!
//! Without a base, a module that carries its distilled base (`.BTF.base`)
//! is analysed on that. Batches run in parallel on the current rayon pool;
//! results come back in the order asked.

use std::collections::HashMap;

use rayon::prelude::*;
use self_cell::self_cell;
use serde::Serialize;

use super::explain::{Explainer, Explanation};
use super::full::{full_split, FullIndex};
use super::graph::{self, GraphPart, GraphView};
use super::report::{unhashed_row, ModuleResult};
use super::resplit::{split_sizes, RedupSizes};
use super::stat::{stat, Stat};
use crate::btf::Btf;
use crate::dedup::BaseIndex;
use crate::distill::{check_module, CompatReport, TargetIndex};
use crate::error::{Error, ErrorKind, Result};
use crate::intake::Input;

self_cell!(
    /// A base BTF parsed over its own copy of the `.BTF` bytes.
    pub struct OwnedBase {
        owner: Vec<u8>,
        #[covariant]
        dependent: Btf,
    }
);

/// What analysing modules needs of their base, built once per session.
struct Indexes<'a> {
    dedup: BaseIndex<'a>,
    full: FullIndex<'a>,
}

self_cell!(
    /// A base BTF with its indexes.
    struct IndexedBase {
        owner: OwnedBase,
        #[covariant]
        dependent: Indexes,
    }
);

/// A session's base: indexed on first use, as graphs and compatibility
/// checks do not need the indexes.
enum Base {
    Plain(OwnedBase),
    Indexed(IndexedBase),
}

self_cell!(
    /// A kernel's BTF prepared once as the relocation target of every
    /// module [`Session::compat`] checks.
    struct OwnedTarget {
        owner: OwnedBase,
        #[covariant]
        dependent: TargetIndex,
    }
);

impl OwnedBase {
    /// Parses a base BTF from any file intake reads (e.g. a vmlinux).
    pub fn open(bytes: &[u8]) -> Result<OwnedBase> {
        let input = Input::open(bytes)?;
        // Parsed in place first for errors with offsets in the file; then
        // only the .BTF section is kept, not a whole vmlinux.
        input.parse_btf(None)?;
        let section = input.btf_bytes().unwrap_or_default().to_vec();
        OwnedBase::try_new(section, |section| Btf::parse(section))
    }

    pub fn btf(&self) -> &Btf<'_> {
        self.borrow_dependent()
    }
}

/// The full pass's row of one module: the report's (SPLIT, FULL, kinds)
/// and the module re-deduplicated against the base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnalyzedModule {
    #[serde(flatten)]
    pub result: ModuleResult,
    pub dedup: RedupSizes,
}

/// One analysis run: the base, parsed once, and the modules kept for the
/// later steps, by the caller's keys.
pub struct Session {
    base: Option<Base>,
    target: Option<OwnedTarget>,
    /// The BTF of each module `shipped` read, by the caller's key: the
    /// later steps take it from here instead of reading the file again.
    kept: HashMap<u32, Vec<u8>>,
}

impl Session {
    /// A session on the base BTF in `base` (any file intake reads, e.g. a
    /// vmlinux), or without a base. Errors name the file "base".
    pub fn new(base: Option<&[u8]>) -> Result<Session> {
        let base = base
            .map(OwnedBase::open)
            .transpose()
            .map_err(|e| e.in_file("base"))?;
        Ok(Session {
            base: base.map(Base::Plain),
            target: None,
            kept: HashMap::new(),
        })
    }

    /// The base BTF, if the session has one.
    pub fn base(&self) -> Option<&Btf<'_>> {
        self.base.as_ref().map(|base| match base {
            Base::Plain(plain) => plain.btf(),
            Base::Indexed(indexed) => indexed.borrow_owner().borrow_dependent(),
        })
    }

    /// Each file's BTF as shipped, in parallel; the BTF of each file read
    /// is kept under `keys[i]` for [`analyze`](Self::analyze) and
    /// [`fulls`](Self::fulls).
    pub fn shipped(&mut self, keys: Vec<u32>, files: &[Vec<u8>]) -> Vec<Result<Stat>> {
        let read: Vec<Result<(Stat, Vec<u8>)>> = files
            .par_iter()
            .map(|bytes| {
                let input = Input::open(bytes)?;
                let stat = input.with_btf(self.base(), |btf| Ok(stat(btf)))?;
                // Only the BTF, unless the module's ids rest on a distilled base.
                let kept = match (input.btf_base_bytes(), input.btf_bytes()) {
                    (None, Some(btf)) => btf.to_vec(),
                    _ => bytes.clone(),
                };
                Ok((stat, kept))
            })
            .collect();
        keys.into_iter()
            .zip(read)
            .map(|(key, r)| {
                r.map(|(stat, kept)| {
                    self.kept.insert(key, kept);
                    stat
                })
            })
            .collect()
    }

    /// The report's module rows (SPLIT, FULL, kinds) and the
    /// re-deduplicated sizes of the modules kept under `keys`, in
    /// parallel; `names[i]` is the file name of `keys[i]`. Each row's
    /// `full_sha256` is empty: FULL BTFs are measured here, not built
    /// (see [`fulls`](Self::fulls)). Fails as a whole only if the base
    /// cannot be indexed.
    pub fn analyze(
        &mut self,
        names: Vec<String>,
        keys: Vec<u32>,
    ) -> Result<Vec<Result<AnalyzedModule>>> {
        self.index_base()?;
        Ok(names
            .into_par_iter()
            .zip(keys)
            .map(|(name, key)| {
                self.kept(key)
                    .and_then(|bytes| self.analyze_module(name, bytes))
            })
            .collect())
    }

    /// The FULL BTF of each module kept under `keys` (`None` for those
    /// that fail), in parallel.
    pub fn fulls(&mut self, keys: Vec<u32>) -> Result<Vec<Option<Vec<u8>>>> {
        self.index_base()?;
        Ok(keys
            .into_par_iter()
            .map(|key| self.kept(key).and_then(|bytes| self.full_btf(bytes)).ok())
            .collect())
    }

    /// The part `view` asks for of the type graph of the module kept under
    /// `key`, on the base: its own types and the base types they use.
    pub fn graph(&self, key: u32, view: GraphView) -> Result<GraphPart> {
        Input::open(self.kept(key)?)?.with_btf(self.base(), |btf| Ok(graph::view(btf, view)))
    }

    /// The explainer on the module kept under `key`: every type that
    /// duplicates or almost duplicates a base type, with its verdict.
    pub fn explain(&mut self, key: u32) -> Result<Explanation> {
        self.index_base()?;
        let Some(Base::Indexed(indexed)) = &self.base else {
            return Err(Error::new(
                ErrorKind::MissingBase,
                "the explainer needs the vmlinux the module was built against",
            ));
        };
        let explainer = Explainer::new(&indexed.borrow_dependent().dedup)?;
        Input::open(self.kept(key)?)?.with_btf(self.base(), |btf| explainer.explain(btf))
    }

    /// Sets the kernel [`compat`](Self::compat) relocates onto: a vmlinux,
    /// vmlinuz or raw BTF. Errors name the file "target".
    pub fn set_target(&mut self, target: &[u8]) -> Result<()> {
        let target = OwnedBase::open(target)
            .and_then(|btf| {
                OwnedTarget::try_new(btf, |btf| TargetIndex::new(btf.borrow_dependent()))
            })
            .map_err(|e| e.in_file("target"))?;
        self.target = Some(target);
        Ok(())
    }

    /// Would each module relocate onto the target? Modules without
    /// `.BTF.base` are taken as built for this session's base. In parallel;
    /// `names[i]` names `files[i]`.
    pub fn compat(
        &self,
        names: Vec<String>,
        files: &[Vec<u8>],
    ) -> Result<Vec<Result<CompatReport>>> {
        let index = self
            .target
            .as_ref()
            .ok_or_else(|| Error::new(ErrorKind::Usage, "no target kernel: call setTarget first"))?
            .borrow_dependent();
        Ok(names
            .into_par_iter()
            .zip(files)
            .map(|(name, bytes)| check_module(index, bytes, self.base(), &name))
            .collect())
    }

    /// Builds the base's indexes unless done already; errors name the
    /// file "base".
    fn index_base(&mut self) -> Result<()> {
        if let Some(Base::Plain(_)) = self.base {
            let Some(Base::Plain(plain)) = self.base.take() else {
                unreachable!("matched above");
            };
            let indexed = IndexedBase::try_new_or_recover(plain, |plain| {
                let btf = plain.borrow_dependent();
                Ok::<_, Error>(Indexes {
                    dedup: BaseIndex::new(btf)?,
                    full: FullIndex::new(btf)?,
                })
            });
            match indexed {
                Ok(indexed) => self.base = Some(Base::Indexed(indexed)),
                Err((plain, e)) => {
                    self.base = Some(Base::Plain(plain));
                    return Err(e.in_file("base"));
                }
            }
        }
        Ok(())
    }

    fn analyze_module(&self, name: String, bytes: &[u8]) -> Result<AnalyzedModule> {
        let Some(Base::Indexed(indexed)) = &self.base else {
            return on_distilled_base(bytes, |btf, base| {
                Ok(AnalyzedModule {
                    result: unhashed_row(btf, None, &name)?,
                    dedup: split_sizes(btf, &BaseIndex::new(base)?, None)?,
                })
            });
        };
        let base = indexed.borrow_owner().borrow_dependent();
        let indexes = indexed.borrow_dependent();
        // Refuses a module that carries a distilled base: its ids are not on `base`.
        Input::open(bytes)?.with_btf(Some(base), |btf| {
            Ok(AnalyzedModule {
                result: unhashed_row(btf, Some(&indexes.full), &name)?,
                dedup: split_sizes(btf, &indexes.dedup, None)?,
            })
        })
    }

    /// The BTF [`shipped`](Self::shipped) kept under `key`: the module's
    /// `.BTF`, or the whole file when it carries a distilled base.
    pub fn kept(&self, key: u32) -> Result<&[u8]> {
        self.kept.get(&key).map(Vec::as_slice).ok_or_else(|| {
            Error::new(
                ErrorKind::Usage,
                "this module was not read by the quick pass",
            )
        })
    }

    fn full_btf(&self, bytes: &[u8]) -> Result<Vec<u8>> {
        let Some(Base::Indexed(indexed)) = &self.base else {
            return on_distilled_base(bytes, |btf, _| Ok(full_split(btf, None)?.1.to_bytes()));
        };
        let base = indexed.borrow_owner().borrow_dependent();
        let index = &indexed.borrow_dependent().full;
        Input::open(bytes)?.with_btf(Some(base), |btf| {
            Ok(full_split(btf, Some(index))?.1.to_bytes())
        })
    }
}

/// `f` of a module analysed without a session base: on the distilled base
/// (`.BTF.base`) it carries, if it does.
fn on_distilled_base<T>(bytes: &[u8], f: impl FnOnce(&Btf, &Btf) -> Result<T>) -> Result<T> {
    let input = Input::open(bytes)?;
    if input.btf_base_bytes().is_none() {
        return Err(Error::new(
            ErrorKind::MissingBase,
            "no base BTF: add the vmlinux these modules were built against",
        ));
    }
    input.with_btf(None, |btf| {
        f(btf, btf.base().expect("parsed on its distilled base"))
    })
}
