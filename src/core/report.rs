//! What the CLI and the page show: the relocation × kernel matrix (plain
//! data, serialised as the `btfscope core --json` contract) and the text of
//! `dump --ext`.

use std::fmt::Write as _;

use serde::Serialize;

use super::btf_util::{essential, name, ty};
use super::calc::ReloRes;
use super::insn::check_patch;
use super::resolve::{Program, Resolved, Target};
use super::spec::{spec_words, type_words};
use crate::btf::ext::{BtfExt, CoreRelo, CoreReloKind, ExtSection};
use crate::btf::Btf;

/// One relocation's outcome on one kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    /// libbpf would patch the instruction (false: poison it, or fail the load).
    pub ok: bool,
    /// The value patched in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<u64>,
    /// Why the relocation does not resolve.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// libbpf fails the whole load (not just this instruction).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fatal: bool,
    /// The kernel's type the relocation resolved to (its id and words).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_type_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// libbpf's full result, for those who compare.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub res: Option<ReloRes>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub kind: &'static str,
    pub access: String,
    /// The raw access string as the compiler wrote it.
    pub spec: String,
    pub insn_off: u32,
    pub section: String,
    pub local_type_id: u32,
    /// The value the instruction holds as compiled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_value: Option<u64>,
    pub results: Vec<Cell>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Matrix {
    pub program: String,
    pub kernels: Vec<String>,
    pub relocations: Vec<Row>,
}

impl Matrix {
    /// Relocations that fail somewhere.
    pub fn failing(&self) -> usize {
        self.relocations
            .iter()
            .filter(|r| r.results.iter().any(|c| !c.ok))
            .count()
    }
}

/// BPF instruction classes that load or store memory.
fn is_mem_insn(code: u8) -> bool {
    matches!(code & 7, 1..=3) // LDX, ST, STX
}

fn kind_name(relo: &CoreRelo) -> &'static str {
    CoreReloKind::from_raw(relo.kind).map_or("unknown", |k| k.name())
}

/// Why nothing in the kernel answers a relocation (for a poisoned or
/// zero-valued result).
fn missing_reason(prog: &Program, target: &Target, relo: &CoreRelo, access: &str) -> String {
    let lt = ty(prog.btf, relo.type_id);
    let lname = lt.map_or(&b""[..], |t| essential(name(prog.btf, t.name_off())));
    let lname = String::from_utf8_lossy(lname);
    let cands = target.candidates(prog.btf, relo.type_id);
    let kind = CoreReloKind::from_raw(relo.kind);
    if cands.is_empty() {
        return format!("the kernel has no type named '{lname}' of this kind");
    }
    let first = type_words(target.btf, cands[0]);
    match kind {
        Some(k) if k.is_enumval() => format!("{first} has no enumerator {access}"),
        Some(k) if k.is_field() => format!("{first} has no field matching {access}"),
        _ => format!("{first} does not match the program's {lname}"),
    }
}

/// The cell for one resolution. `insn` is the object's code from the
/// relocation's instruction on, when its code section is at hand.
fn cell(
    prog: &Program,
    target: &Target,
    relo: &CoreRelo,
    access: &str,
    r: &Resolved,
    insn: Option<&[u8]>,
) -> Cell {
    let mut c = Cell {
        ok: false,
        value: None,
        reason: None,
        fatal: false,
        target_type_id: None,
        target: None,
        res: None,
    };
    match &r.result {
        Err(f) => {
            c.fatal = true;
            c.reason = Some(f.reason.clone());
        }
        Ok(res) => {
            c.res = Some(*res);
            if let Some(spec) = &r.target {
                c.target_type_id = Some(spec.root_type_id);
                c.target = Some(spec_words(target.btf, spec));
            }
            let patch = insn.map(|code| check_patch(code, prog.btf.endian(), relo.insn_off, res));
            if res.poison {
                c.reason = Some(missing_reason(prog, target, relo, access));
            } else if let Some(Err(why)) = patch {
                c.fatal = true;
                c.reason = Some(why);
            } else if res.fail_memsz_adjust
                && insn.is_none_or(|code| code.first().is_some_and(|&op| is_mem_insn(op)))
            {
                c.reason = Some(format!(
                    "the field changed size ({} → {} bytes) and is not a pointer or unsigned integer: the load cannot be resized",
                    res.orig_sz, res.new_sz
                ));
            } else {
                c.ok = true;
                c.value = Some(res.new_val);
                if r.target.is_none() && relo.kind != CoreReloKind::TypeIdLocal.raw() {
                    c.reason = Some(missing_reason(prog, target, relo, access));
                }
            }
        }
    }
    c
}

/// Resolves `prog` against every kernel. `code` gives a section's bytes by
/// name (for the instruction a relocation patches), when available.
pub fn matrix<'c>(
    program: &str,
    prog: &Program,
    kernels: &[(String, &Target)],
    code: impl Fn(&str) -> Option<&'c [u8]>,
) -> Matrix {
    use rayon::prelude::*;
    let all: Vec<Vec<Resolved>> = kernels.par_iter().map(|(_, t)| prog.resolve(t)).collect();
    let mut rows = Vec::new();
    for (i, r) in prog.relocations().enumerate() {
        let sec = &prog.ext.core_relos[r.section];
        let section = String::from_utf8_lossy(name(prog.btf, sec.name_off)).into_owned();
        let local = prog.local_spec(r.relo).ok();
        let access = local
            .as_ref()
            .map(|s| spec_words(prog.btf, s))
            .unwrap_or_else(|| type_words(prog.btf, r.relo.type_id));
        let insn = code(&section).map(|c| c.get(r.relo.insn_off as usize..).unwrap_or(&[]));
        let results = kernels
            .iter()
            .zip(&all)
            .map(|((_, t), res)| cell(prog, t, r.relo, &access, &res[i], insn))
            .collect::<Vec<_>>();
        let local_value = all
            .first()
            .and_then(|res| res[i].result.as_ref().ok())
            .map(|res| res.orig_val);
        rows.push(Row {
            kind: kind_name(r.relo),
            access,
            spec: String::from_utf8_lossy(name(prog.btf, r.relo.access_str_off)).into_owned(),
            insn_off: r.relo.insn_off,
            section,
            local_type_id: r.relo.type_id,
            local_value,
            results,
        });
    }
    Matrix {
        program: program.to_string(),
        kernels: kernels.iter().map(|(n, _)| n.clone()).collect(),
        relocations: rows,
    }
}

impl Matrix {
    /// The matrix as text: one line per relocation, one column per kernel.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}: {} CO-RE relocations",
            self.program,
            self.relocations.len()
        );
        for (i, k) in self.kernels.iter().enumerate() {
            let _ = writeln!(out, "  kernel #{i}: {k}");
        }
        for r in &self.relocations {
            let _ = writeln!(
                out,
                "{} insn {} {} {} ({})",
                r.section,
                r.insn_off / 8,
                r.kind,
                r.access,
                r.spec
            );
            for (i, c) in r.results.iter().enumerate() {
                let what = match (c.ok, c.value) {
                    (true, Some(v)) => format!("ok {v}"),
                    _ if c.fatal => "ERROR".into(),
                    _ => "POISON".into(),
                };
                let _ = write!(out, "  #{i} {what}");
                if let Some(reason) = &c.reason {
                    let _ = write!(out, ": {reason}");
                }
                let _ = writeln!(out);
            }
        }
        let _ = writeln!(
            out,
            "{} of {} relocations fail on some kernel",
            self.failing(),
            self.relocations.len()
        );
        out
    }
}

/// `dump --ext`: the `.BTF.ext` records in words.
pub fn ext_text(btf: &Btf, ext: &BtfExt) -> String {
    let mut out = String::new();
    let sec_name = |off| String::from_utf8_lossy(name(btf, off)).into_owned();
    let _ = writeln!(
        out,
        ".BTF.ext: {}-endian, header {} bytes",
        ext.endian.name(),
        ext.hdr_len
    );
    ext_sections(&mut out, "func_info", &ext.func_info, &sec_name, |f| {
        format!("insn {}: {}", f.insn_off / 8, func_words(btf, f.type_id))
    });
    ext_sections(&mut out, "line_info", &ext.line_info, &sec_name, |l| {
        format!(
            "insn {}: {}:{}:{} {}",
            l.insn_off / 8,
            sec_name(l.file_name_off),
            l.line,
            l.col,
            sec_name(l.line_off).trim()
        )
    });
    let ptr = super::btf_util::ptr_size(btf);
    ext_sections(&mut out, "core_relo", &ext.core_relos, &sec_name, |r| {
        let access = super::spec::parse_spec(btf, ptr, r)
            .map(|spec| spec_words(btf, &spec))
            .unwrap_or_else(|e| format!("{} (bad access: errno {e})", type_words(btf, r.type_id)));
        format!(
            "insn {}: {} [{}] {} ({})",
            r.insn_off / 8,
            kind_name(r),
            r.type_id,
            access,
            sec_name(r.access_str_off)
        )
    });
    out
}

/// One kind of `.BTF.ext` record: its title, then each section's name and
/// count and its records, a line each.
fn ext_sections<T>(
    out: &mut String,
    title: &str,
    sections: &[ExtSection<T>],
    sec_name: &dyn Fn(u32) -> String,
    record: impl Fn(&T) -> String,
) {
    let _ = writeln!(out, "{title}:");
    for s in sections {
        let _ = writeln!(
            out,
            "  section '{}' ({} records)",
            sec_name(s.name_off),
            s.records.len()
        );
        for r in &s.records {
            let _ = writeln!(out, "    {}", record(r));
        }
    }
}

fn func_words(btf: &Btf, id: u32) -> String {
    match ty(btf, id).and_then(|t| t.view().map(|v| v.name_off())) {
        Some(off) => format!("[{id}] FUNC '{}'", String::from_utf8_lossy(name(btf, off))),
        None => format!("[{id}]"),
    }
}
