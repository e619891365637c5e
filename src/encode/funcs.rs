//! Function selection as pahole 1.30 does it: a DWARF function becomes a
//! FUNC only if its name is a function in the ELF symbol table (or, with
//! `optimized_func`, the prefix of a `name.isra.0`-style symbol), it is a
//! definition and all its parameters are named. Candidates are saved per
//! CU and settled once all CUs are in: those sharing a symbol name (up to
//! the first '.') are one group, emitted once from its first member, and
//! with `consistent_func` the whole group is dropped when its prototypes
//! disagree or a parameter sits in an unexpected register.

use std::collections::{HashMap, HashSet};

use super::elf::ElfInput;
use super::ir::{Cu, DeclTag, Name};
use super::Encoder;
use crate::btf::build::info;
use crate::btf::kind::FUNC_STATIC;
use crate::btf::{Btf, Kind, TypeId};
use crate::error::Result;

/// kfunc flags from the kernel's include/linux/btf.h.
const KF_FASTCALL: u32 = 1 << 12;
const KF_ARENA_RET: u32 = 1 << 13;
const KF_ARENA_ARG1: u32 = 1 << 14;
const KF_ARENA_ARG2: u32 = 1 << 15;

/// The ELF function symbols, by name.
pub(super) struct ElfFunctions<'a> {
    exact: HashMap<&'a [u8], Option<u32>>,
    /// Prefixes of suffixed names (`foo` of `foo.isra.0`).
    suffixed: HashSet<&'a [u8]>,
}

fn prefix(name: &[u8]) -> &[u8] {
    name.iter()
        .position(|&c| c == b'.')
        .map_or(name, |dot| &name[..dot])
}

impl<'a> ElfFunctions<'a> {
    pub fn new(elf: &ElfInput<'a>) -> Self {
        let mut exact = HashMap::new();
        let mut suffixed = HashSet::new();
        for sym in elf
            .symbols
            .iter()
            .filter(|s| s.is_func && !s.name.is_empty())
        {
            exact.insert(sym.name, None);
            if sym.name.contains(&b'.') {
                suffixed.insert(prefix(sym.name));
            }
        }
        ElfFunctions { exact, suffixed }
    }

    /// Records the kfunc flags of `name`, from `.BTF_ids`.
    pub fn mark_kfunc(&mut self, name: &[u8], flags: u32) {
        if let Some(f) = self.exact.get_mut(name) {
            *f = Some(flags);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }

    /// The symbol a DWARF function name stands for: itself, or with
    /// `optimized` the prefix of a suffixed symbol. Returns the group key
    /// and kfunc flags.
    fn lookup(&self, name: &'a [u8], optimized: bool) -> Option<(&'a [u8], Option<u32>)> {
        if let Some(&flags) = self.exact.get(name) {
            return Some((prefix(name), flags));
        }
        if optimized && self.suffixed.contains(name) {
            return Some((name, None));
        }
        None
    }
}

/// A function candidate, with ids already global.
pub(super) struct SavedFunc<'a> {
    key: &'a [u8],
    name: Name<'a>,
    ret: TypeId,
    /// Varargs are a last parameter of type 0.
    params: Vec<(Name<'a>, TypeId)>,
    tags: Vec<DeclTag<'a>>,
    kfunc_flags: Option<u32>,
    unexpected_reg: bool,
}

impl SavedFunc<'_> {
    pub(super) fn remap_ids(&mut self, map: impl Fn(TypeId) -> Result<TypeId>) -> Result<()> {
        self.ret = map(self.ret)?;
        for p in &mut self.params {
            p.1 = map(p.1)?;
        }
        Ok(())
    }
}

impl<'a> Encoder<'a, '_> {
    /// Saves this CU's candidate functions (pahole's `btf_encoder__save_func`).
    pub(super) fn save_funcs(&mut self, cu: &Cu<'a>, off: TypeId) {
        if self.elf_funcs.is_empty() {
            // pahole 1.30 encodes no function without a symbol table.
            return;
        }
        let r = |t: u32| if t == 0 { 0 } else { off + t };
        for f in &cu.funcs {
            if f.declaration || f.params.iter().any(|p| p.name.is_none()) {
                continue;
            }
            let Some(name) = f.name else { continue };
            let Some((key, kfunc_flags)) =
                self.elf_funcs.lookup(name, self.features.optimized_func)
            else {
                continue;
            };
            let mut params: Vec<_> = f
                .params
                .iter()
                .map(|p| (p.name.unwrap_or(b""), r(p.ty)))
                .collect();
            if f.varargs {
                params.push((b"", 0));
            }
            self.saved.push(SavedFunc {
                key,
                name,
                ret: r(f.ret),
                params,
                tags: f.tags.clone(),
                kfunc_flags,
                unexpected_reg: f.unexpected_reg,
            });
        }
    }

    /// Settles the groups and emits their FUNCs, in symbol-name order.
    pub(super) fn add_saved_funcs(&mut self) {
        let mut saved = std::mem::take(&mut self.saved);
        saved.sort_by(|a, b| a.key.cmp(b.key));
        let mut i = 0;
        while i < saved.len() {
            let mut j = i + 1;
            let mut unexpected = saved[i].unexpected_reg;
            let mut inconsistent = false;
            while j < saved.len() && saved[j].key == saved[i].key {
                unexpected |= saved[j].unexpected_reg;
                if !unexpected && !inconsistent && !funcs_match(self.b.btf(), &saved[i], &saved[j])
                {
                    inconsistent = true;
                }
                j += 1;
            }
            if !self.features.consistent_func || (!unexpected && !inconsistent) {
                self.add_func(&saved[i]);
                self.report.funcs += 1;
            } else {
                self.report.funcs_skipped += 1;
            }
            i = j;
        }
    }

    fn add_func(&mut self, f: &SavedFunc<'a>) {
        let mut ret = f.ret;
        let mut params = f.params.clone();
        let kfunc = f.kfunc_flags.filter(|_| self.features.decl_tag_kfuncs);
        if let Some(flags) = kfunc.filter(|_| self.features.attributes) {
            if flags & KF_ARENA_RET != 0 {
                ret = self.arena_ptr(ret);
            }
            for (bit, idx) in [(KF_ARENA_ARG1, 0), (KF_ARENA_ARG2, 1)] {
                if flags & bit != 0 {
                    if let Some(p) = params.get_mut(idx) {
                        p.1 = self.arena_ptr(p.1);
                    }
                }
            }
        }
        let proto = self.b.add_func_proto(ret);
        for &(name, t) in &params {
            if let Err(e) = self.b.add_func_param(self.names.name(name), t) {
                self.warn(e.message);
            }
        }
        let id = self.b.add_func(self.names.name(f.name), FUNC_STATIC, proto);
        if let Some(flags) = kfunc.filter(|_| self.features.decl_tag) {
            self.b.add_decl_tag("bpf_kfunc", id, -1);
            if flags & KF_FASTCALL != 0 {
                self.b.add_decl_tag("bpf_fastcall", id, -1);
            }
        }
        for t in &f.tags {
            self.decl_tag(t.value, id, t.component);
        }
    }

    /// A pointer to what `ptr` points to, through an `address_space(1)`
    /// type attribute (a TYPE_TAG with kind_flag set), as pahole tags kfunc
    /// arena arguments. Anything but a pointer is left alone.
    fn arena_ptr(&mut self, ptr: TypeId) -> TypeId {
        let target = match self.b.btf().type_by_id(ptr) {
            Some(t) if t.kind() == Some(Kind::Ptr) => t.size_or_type(),
            _ => return ptr,
        };
        let name = self.b.add_str("address_space(1)");
        let attr = self
            .b
            .add_raw(&[name, info(Kind::TypeTag, 0, true), target])
            .expect("three words make a record");
        self.b.add_ptr(attr)
    }
}

/// pahole's `funcs__match`.
fn funcs_match(btf: &Btf<'_>, a: &SavedFunc<'_>, b: &SavedFunc<'_>) -> bool {
    a.params.len() == b.params.len()
        && types_match(btf, a.ret, b.ret)
        && a.params
            .iter()
            .zip(&b.params)
            .all(|(p, q)| types_match(btf, p.1, q.1))
}

/// The kind for comparison: a FWD counts as the struct or union it declares.
fn fwd_kind(t: &crate::btf::TypeView<'_>) -> Option<Kind> {
    match t.kind() {
        Some(Kind::Fwd) if t.kflag() => Some(Kind::Union),
        Some(Kind::Fwd) => Some(Kind::Struct),
        k => k,
    }
}

/// pahole's loose `types__match`: named types match by name, const is
/// ignored on either side, pointers and arrays are followed. Like pahole,
/// function prototypes compare their return types and parameter counts
/// only (its parameter loop compares the return types again).
fn types_match(btf: &Btf<'_>, id1: TypeId, id2: TypeId) -> bool {
    let (mut id1, mut id2) = (id1, id2);
    // Chains of qualifiers and pointers are finite; the bound stops a
    // malformed cycle.
    for _ in 0..256 {
        if id1 == id2 {
            return true;
        }
        if id1 == 0 || id2 == 0 {
            return false;
        }
        let (Some(t1), Some(t2)) = (btf.type_by_id(id1), btf.type_by_id(id2)) else {
            return false;
        };
        let (k1, k2) = (fwd_kind(&t1), fwd_kind(&t2));
        if k1 != k2 {
            if k1 == Some(Kind::Const) {
                id1 = t1.size_or_type();
                continue;
            }
            if k2 == Some(Kind::Const) {
                id2 = t2.size_or_type();
                continue;
            }
            return false;
        }
        let same_name = t1.name_off() == t2.name_off();
        match k1 {
            Some(Kind::Int) => {
                return t1.size_or_type() == t2.size_or_type()
                    && t1.word(3) == t2.word(3)
                    && same_name
            }
            Some(Kind::Float) => return t1.size_or_type() == t2.size_or_type() && same_name,
            Some(Kind::Typedef | Kind::Struct | Kind::Union | Kind::Enum | Kind::Enum64) => {
                return same_name
            }
            Some(Kind::Ptr | Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag) => {
                id1 = t1.size_or_type();
                id2 = t2.size_or_type();
            }
            Some(Kind::Array) => {
                let (a1, a2) = (t1.array(), t2.array());
                if a1.nelems != a2.nelems {
                    return false;
                }
                id1 = a1.elem_type;
                id2 = a2.elem_type;
            }
            Some(Kind::FuncProto) => {
                return t1.vlen() == t2.vlen()
                    && types_match(btf, t1.size_or_type(), t2.size_or_type())
            }
            _ => return false,
        }
    }
    false
}
