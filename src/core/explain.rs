//! Why a relocation fails on a kernel, side by side: the program's type and
//! the kernel's candidate of the same essential name, each as C (the
//! C-output issue's emitter), so that the missing or changed member shows.

use serde::Serialize;

use super::report::Matrix;
use super::resolve::{Program, Target};
use crate::btf::c::dump_types;
use crate::btf::{Btf, TypeId};

/// One failing cell's explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub row: usize,
    pub kernel: usize,
    /// The program's type as C.
    pub local: String,
    /// The kernel's first candidate as C; `None` when it has none.
    pub target: Option<String>,
}

/// C definitions of `ids` in `btf` (one emitter for all of them).
fn definitions(btf: &Btf, ids: &[TypeId]) -> Vec<Option<String>> {
    let Ok(c) = dump_types(btf, ids) else {
        return vec![None; ids.len()];
    };
    ids.iter()
        .map(|&id| {
            c.definition(id)
                .map(|t| String::from_utf8_lossy(t).into_owned())
        })
        .collect()
}

/// Explanations of every cell of `m` that is not ok (`targets` in the
/// matrix's kernel order).
pub fn explain(prog: &Program, m: &Matrix, targets: &[&Target]) -> Vec<Explanation> {
    let relocs: Vec<_> = prog.relocations().collect();
    let failing: Vec<(usize, usize)> = m
        .relocations
        .iter()
        .enumerate()
        .flat_map(|(row, r)| {
            r.results
                .iter()
                .enumerate()
                .filter(|(_, c)| !c.ok || c.reason.is_some())
                .map(move |(k, _)| (row, k))
        })
        .collect();
    let local_ids: Vec<TypeId> = failing
        .iter()
        .map(|&(row, _)| relocs[row].relo.type_id)
        .collect();
    let local = definitions(prog.btf, &local_ids);
    let mut target_text: Vec<Option<String>> = vec![None; failing.len()];
    for (k, t) in targets.iter().enumerate() {
        let cells: Vec<(usize, TypeId)> = failing
            .iter()
            .enumerate()
            .filter(|(_, &(_, kk))| kk == k)
            .filter_map(|(i, &(row, _))| {
                t.candidates(prog.btf, relocs[row].relo.type_id)
                    .first()
                    .map(|&id| (i, id))
            })
            .collect();
        let ids: Vec<TypeId> = cells.iter().map(|&(_, id)| id).collect();
        for ((i, _), text) in cells.iter().zip(definitions(t.btf, &ids)) {
            target_text[*i] = text;
        }
    }
    failing
        .into_iter()
        .zip(local)
        .zip(target_text)
        .map(|(((row, kernel), local), target)| Explanation {
            row,
            kernel,
            local: local
                .unwrap_or_else(|| super::spec::type_words(prog.btf, relocs[row].relo.type_id)),
            target,
        })
        .collect()
}
