//! BTF as C: the `vmlinux.h` that `bpftool btf dump file F format c`
//! (bpftool 7.5, libbpf 1.5's btf_dump) writes, byte for byte, a single
//! root type with what it needs, and the text of one type's definition.
//! docs/C.md describes the rules.

mod emit;
mod sort;

pub use emit::{output_limit, Span, SpanKind, MAX_DEPTH, OUTPUT_FLOOR, OUTPUT_PER_BTF_BYTE};

use crate::btf::kind::Kind;
use crate::btf::read::Btf;
use crate::btf::types::TypeId;
use crate::error::{Error, ErrorKind, Result};
use emit::Emitter;

const PREAMBLE: &str = "#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

#ifndef __ksym
#define __ksym __attribute__((section(\".ksyms\")))
#endif

#ifndef __weak
#define __weak __attribute__((weak))
#endif

";

const POSTAMBLE: &str = "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
";

/// The decl tag that marks a kernel function callable from BPF.
const KFUNC_TAG: &[u8] = b"bpf_kfunc";

/// C text and where each type's own text lies in it.
#[derive(Debug, Clone)]
pub struct CHeader {
    text: Vec<u8>,
    spans: Vec<Span>,
    /// Per type id, the index in `spans` of its definition (else of its
    /// forward declaration); `u32::MAX` when it has no text of its own.
    by_id: Vec<u32>,
}

impl CHeader {
    fn new(text: Vec<u8>, spans: Vec<Span>, type_count: TypeId) -> Self {
        let mut by_id = vec![u32::MAX; type_count as usize];
        for (i, s) in spans.iter().enumerate() {
            let slot = &mut by_id[s.id as usize];
            if *slot == u32::MAX || s.kind != SpanKind::Forward {
                *slot = i as u32;
            }
        }
        CHeader { text, spans, by_id }
    }

    pub fn text(&self) -> &[u8] {
        &self.text
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.text
    }

    /// Every top-level piece of text, in output order.
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// Type `id`'s own text as it appears in the output, ending with `;`
    /// and a newline: a struct's, union's or enum's definition, a typedef,
    /// a forward declaration (the only text of a FWD, or of a struct that
    /// is only ever declared), a kfunc's `extern` line. `None` for types
    /// that have no text of their own (pointers, anonymous types written
    /// inside others, ints, ...).
    pub fn definition(&self, id: TypeId) -> Option<&[u8]> {
        let i = *self.by_id.get(id as usize)?;
        let s = self.spans.get(i as usize)?;
        Some(&self.text[s.start..s.end])
    }
}

/// The whole file as `bpftool btf dump file F [-B BASE] format c` (7.5)
/// prints it: every type (a split BTF's base types too) in bpftool's sorted
/// order, then the kfunc prototypes.
pub fn header(btf: &Btf) -> Result<CHeader> {
    let mut e = Emitter::new(btf)?;
    e.out.extend_from_slice(PREAMBLE.as_bytes());
    // bpftool sorts void with everything else and then starts at the second
    // entry: the first type in its order is left out unless another needs it.
    for &id in sort::bpftool_order(btf).iter().skip(1) {
        e.dump_type(id)?;
    }
    e.out
        .extend_from_slice(b"\n/* BPF kfuncs */\n#ifndef BPF_NO_KFUNC_PROTOTYPES\n");
    for func in kfuncs(btf) {
        e.emit_extern(func)?;
    }
    e.out.extend_from_slice(b"#endif\n\n");
    e.out.extend_from_slice(POSTAMBLE.as_bytes());
    Ok(CHeader::new(e.out, e.spans, btf.type_count()))
}

/// `root` and every type it needs, in the same wrapping: what bpftool's
/// `root_id` option prints (`btf_dump__dump_type` of that one id, no
/// kfunc block). The result compiles on its own.
pub fn root_header(btf: &Btf, root: TypeId) -> Result<CHeader> {
    check_id(btf, root)?;
    let mut e = Emitter::new(btf)?;
    e.out.extend_from_slice(PREAMBLE.as_bytes());
    e.dump_type(root)?;
    e.out.extend_from_slice(POSTAMBLE.as_bytes());
    Ok(CHeader::new(e.out, e.spans, btf.type_count()))
}

/// libbpf's C dumper alone: `btf_dump__dump_type` of each of `ids` in
/// turn on one dumper (a type written once is not written again), without
/// bpftool's wrapping.
pub fn dump_types(btf: &Btf, ids: &[TypeId]) -> Result<CHeader> {
    let mut e = Emitter::new(btf)?;
    for &id in ids {
        check_id(btf, id)?;
        e.dump_type(id)?;
    }
    Ok(CHeader::new(e.out, e.spans, btf.type_count()))
}

fn check_id(btf: &Btf, id: TypeId) -> Result<()> {
    if id == 0 || id >= btf.type_count() {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("no type [{id}]: ids go from 1 to {}", btf.type_count() - 1),
        ));
    }
    Ok(())
}

/// The FUNCs tagged `bpf_kfunc` (a decl tag on the function itself), in
/// the order of their tags, as bpftool 7.5 lists them.
fn kfuncs<'b>(btf: &'b Btf<'b>) -> impl Iterator<Item = TypeId> + 'b {
    (1..btf.type_count()).filter_map(move |id| {
        let t = btf.type_by_id(id)?;
        if t.kind() != Some(Kind::DeclTag)
            || t.extra_word() != u32::MAX
            || btf.str_at(t.name_off()) != Some(KFUNC_TAG)
        {
            return None;
        }
        let func = t.size_or_type();
        (btf.type_by_id(func)?.kind() == Some(Kind::Func)).then_some(func)
    })
}

/// A type named on the command line: an id, `struct NAME` (`union`,
/// `enum`, `typedef`), or a bare name, which prefers a definition (struct,
/// union, enum, typedef) to a forward declaration or function. The
/// module's own types are searched before its base's.
pub fn find_type(btf: &Btf, spec: &str) -> Option<TypeId> {
    if let Ok(id) = spec.parse::<TypeId>() {
        return (id > 0 && id < btf.type_count()).then_some(id);
    }
    let (kinds, name): (&[Kind], &str) = match spec.split_once(' ') {
        Some(("struct", n)) => (&[Kind::Struct], n),
        Some(("union", n)) => (&[Kind::Union], n),
        Some(("enum", n)) => (&[Kind::Enum, Kind::Enum64], n),
        Some(("typedef", n)) => (&[Kind::Typedef], n),
        _ => (&[], spec),
    };
    let name = name.trim().as_bytes();
    let ids = (btf.start_id()..btf.type_count()).chain(1..btf.start_id());
    let mut fallback = None;
    for id in ids {
        let t = btf.type_by_id(id)?;
        if btf.str_at(t.name_off()) != Some(name) {
            continue;
        }
        let kind = t.kind();
        if !kinds.is_empty() {
            if kind.is_some_and(|k| kinds.contains(&k)) {
                return Some(id);
            }
            continue;
        }
        if matches!(
            kind,
            Some(Kind::Struct | Kind::Union | Kind::Enum | Kind::Enum64 | Kind::Typedef)
        ) {
            return Some(id);
        }
        fallback = fallback.or(Some(id));
    }
    fallback
}
