//! Finishing a unit: references resolved, abstract origins and
//! specifications followed, bitfields fixed, functions and variables
//! completed once the whole CU has been read.

use gimli::constants::{DW_ATE_signed, DW_ATE_signed_char};

use super::{Target, Walker, LOCAL};
use crate::encode::ir::{Cu, Func, LocalId, Name, Param, Ty, Var};

impl<'a> Walker<'a, '_> {
    /// Resolves references, follows abstract origins and specifications,
    /// and computes what needed the whole CU.
    pub(super) fn finish(mut self, name: Name<'a>) -> Cu<'a> {
        self.targets.sort_unstable_by_key(|t| t.0);
        let targets = std::mem::take(&mut self.targets);
        let resolve = |raw: u32| resolve(&targets, raw);

        for ty in &mut self.types {
            match ty {
                Ty::Ptr(t) | Ty::Const(t) | Ty::Volatile(t) | Ty::Restrict(t) => *t = resolve(*t),
                Ty::Typedef(_, t) | Ty::TypeTag(_, t) => *t = resolve(*t),
                Ty::Array { elem, .. } => *elem = resolve(*elem),
                Ty::Proto { ret, .. } => *ret = resolve(*ret),
                Ty::Struct { .. } | Ty::Base { .. } | Ty::Enum { .. } => {}
            }
        }
        for m in &mut self.members.list {
            m.ty = resolve(m.ty);
        }
        for p in &mut self.params.list {
            p.1 = resolve(p.1);
        }
        let types = std::mem::take(&mut self.types);
        let mut types = types;
        for (index, raw) in std::mem::take(&mut self.enum_bases) {
            let base = resolve(raw);
            let signed = matches!(
                base.checked_sub(1).and_then(|i| types.get(i as usize)),
                Some(Ty::Base { encoding, .. }) if is_signed(*encoding)
            );
            if let Some(Ty::Enum { signed: s, .. }) = types.get_mut(index) {
                *s = signed;
            }
        }
        self.fix_bitfields(&types);

        let funcs = self.finish_funcs(&resolve, &types);
        let vars = self.finish_vars(&resolve);
        let int_type = types
            .iter()
            .position(|t| matches!(t, Ty::Base { name: b"int", .. }))
            .map(|i| i as LocalId + 1);
        Cu {
            name,
            types,
            members: std::mem::take(&mut self.members.list),
            values: std::mem::take(&mut self.values.list),
            params: std::mem::take(&mut self.params.list),
            type_tags: std::mem::take(&mut self.type_tags),
            funcs,
            vars,
            int_type,
            warnings: std::mem::take(&mut self.warnings),
        }
    }

    /// DWARF 2-4 bitfields count `DW_AT_bit_offset` from the most
    /// significant bit of their storage unit; BTF counts from the start.
    fn fix_bitfields(&mut self, types: &[Ty<'a>]) {
        let members = &mut self.members.list;
        for f in &self.fixups {
            let Some(Ty::Struct { members: span, .. }) = types.get(f.ty_index) else {
                continue;
            };
            let Some(m) = span.of(members).get(f.member) else {
                continue;
            };
            let byte_size = if f.byte_size != 0 {
                f.byte_size
            } else {
                Ty::size(m.ty, types, self.ctx.addr_size)
            };
            if byte_size == 0 {
                continue;
            }
            let bits = m.bitfield_size;
            let in_unit = if self.ctx.little_endian {
                (byte_size * 8)
                    .wrapping_sub(f.dw_bit_offset)
                    .wrapping_sub(bits)
            } else {
                f.dw_bit_offset
            };
            let bit_offset = f.byte_offset.wrapping_mul(8).wrapping_add(in_unit);
            members[span.start as usize + f.member].bit_offset = bit_offset;
        }
    }

    fn finish_funcs(
        &mut self,
        resolve: &dyn Fn(u32) -> LocalId,
        types: &[Ty<'a>],
    ) -> Vec<Func<'a>> {
        let mut funcs = std::mem::take(&mut self.funcs);
        let by_offset = sorted_index(funcs.iter().map(|f| f.offset));
        let param_at = {
            let mut v: Vec<(u32, usize, usize)> = funcs
                .iter()
                .enumerate()
                .flat_map(|(fi, f)| {
                    f.params
                        .iter()
                        .enumerate()
                        .map(move |(pi, p)| (p.offset, fi, pi))
                })
                .collect();
            v.sort_unstable_by_key(|x| x.0);
            v
        };
        let find_param = |raw: u32| -> Option<(usize, usize)> {
            let off = raw.checked_sub(1)?;
            let i = param_at.binary_search_by_key(&off, |x| x.0).ok()?;
            Some((param_at[i].1, param_at[i].2))
        };
        let find_func = |raw: u32| -> Option<usize> {
            let off = raw.checked_sub(1)?;
            by_offset
                .binary_search_by_key(&off, |x| x.0)
                .ok()
                .map(|i| by_offset[i].1)
        };

        // Parameters that only name their abstract origin take its name and
        // type; an unexpected register goes back to the origin.
        let mut origin_flags: Vec<(usize, usize, bool)> = Vec::new();
        let mut borrowed: Vec<(usize, usize, Option<Name<'a>>, u32)> = Vec::new();
        for (fi, f) in funcs.iter().enumerate() {
            for (pi, p) in f.params.iter().enumerate() {
                if p.ty != 0 || p.abstract_origin == 0 {
                    continue;
                }
                if let Some((ofi, opi)) = find_param(p.abstract_origin) {
                    let o = &funcs[ofi].params[opi];
                    borrowed.push((fi, pi, o.name, o.ty));
                    origin_flags.push((ofi, opi, p.unexpected_reg));
                }
            }
        }
        for (fi, pi, name, ty) in borrowed {
            funcs[fi].params[pi].name = name;
            funcs[fi].params[pi].ty = ty;
        }
        for (fi, pi, unexpected) in origin_flags {
            funcs[fi].params[pi].unexpected_reg |= unexpected;
        }

        let mut out = Vec::with_capacity(funcs.len());
        for f in &funcs {
            let origin = find_func(f.abstract_origin);
            let name = f.name.or_else(|| {
                origin
                    .or_else(|| find_func(f.specification))
                    .and_then(|o| funcs[o].name)
            });
            let ret = if f.ret == 0 {
                origin.map_or(0, |o| funcs[o].ret)
            } else {
                f.ret
            };
            let params: Vec<Param<'a>> = f
                .params
                .iter()
                .map(|p| Param {
                    name: p.name,
                    ty: resolve(p.ty),
                })
                .collect();
            let unexpected_reg = f.params.iter().any(|p| p.unexpected_reg)
                && !params.iter().any(|p| is_struct(p.ty, types));
            out.push(Func {
                name,
                declaration: f.declaration,
                ret: resolve(ret),
                params,
                varargs: f.varargs,
                unexpected_reg,
                tags: f.tags.clone(),
            });
        }
        out
    }

    fn finish_vars(&mut self, resolve: &dyn Fn(u32) -> LocalId) -> Vec<Var<'a>> {
        let vars = std::mem::take(&mut self.vars);
        let by_offset = sorted_index(vars.iter().map(|v| v.offset));
        let mut out = Vec::new();
        for v in &vars {
            let spec = v.specification.checked_sub(1).and_then(|off| {
                by_offset
                    .binary_search_by_key(&off, |x| x.0)
                    .ok()
                    .map(|i| &vars[by_offset[i].1])
            });
            // Only top-level, defined, static-storage variables.
            if (v.declaration && spec.is_none()) || !v.top_level || v.artificial {
                continue;
            }
            let Some(addr) = v.addr else {
                continue;
            };
            let decl = spec.unwrap_or(v);
            out.push(Var {
                name: decl.name,
                ty: resolve(decl.ty),
                external: decl.external,
                addr,
                tags: decl.tags.clone(),
            });
        }
        out
    }
}

/// (offset, index) pairs sorted by offset, for binary search.
fn sorted_index(offsets: impl Iterator<Item = u32>) -> Vec<(u32, usize)> {
    let mut v: Vec<(u32, usize)> = offsets.enumerate().map(|(i, o)| (o, i)).collect();
    v.sort_unstable_by_key(|x| x.0);
    v
}

pub(in crate::encode) fn is_signed(encoding: u8) -> bool {
    encoding == DW_ATE_signed.0 || encoding == DW_ATE_signed_char.0
}

/// pahole's `param__is_struct`: a struct, through typedefs and const.
fn is_struct(id: LocalId, types: &[Ty<'_>]) -> bool {
    let mut id = id;
    for _ in 0..32 {
        match id.checked_sub(1).and_then(|i| types.get(i as usize)) {
            Some(Ty::Struct { union: false, .. }) => return true,
            Some(Ty::Const(t)) | Some(Ty::Typedef(_, t)) => id = *t,
            _ => return false,
        }
    }
    false
}

/// A raw reference to a local id: chases aliases (bounded, so that a cycle
/// of aliases ends as void); unknown DIEs are void, as in pahole.
fn resolve(targets: &[(u32, Target)], raw: u32) -> LocalId {
    let mut raw = raw;
    for _ in 0..16 {
        if raw & LOCAL != 0 {
            return raw & !LOCAL;
        }
        let Some(off) = raw.checked_sub(1) else {
            return 0;
        };
        let Ok(i) = targets.binary_search_by_key(&off, |t| t.0) else {
            return 0;
        };
        match targets[i].1 {
            Target::Id(id) => return id,
            Target::Alias(to) => raw = to,
        }
    }
    0
}
