//! The minimal kernel BTF a set of BPF programs needs to relocate on that
//! kernel: what `bpftool gen min_core_btf` writes, byte for byte. Types are
//! marked from each relocation's resolved target (the path of a field
//! access with only the members on it, whole enums, type relocations
//! through pointers, type_matches as deep as it compares), then copied in
//! id order into a new BTF with only the marked members, ids renumbered and
//! unmarked references turned into void.

use std::collections::HashSet;

use super::resolve::{Program, Target};
use super::spec::Spec;
use crate::btf::build::info;
use crate::btf::ext::CoreReloKind as K;
use crate::btf::kind::Kind;
use crate::btf::{Btf, BtfBuilder, TypeId, TypeView};
use crate::error::{Error, ErrorKind, Result};

struct Marks<'a> {
    btf: &'a Btf<'a>,
    types: Vec<bool>,
    members: HashSet<(TypeId, u32)>,
}

fn unsupported(t: &TypeView) -> Error {
    Error::new(
        ErrorKind::BadType,
        format!(
            "min-core: type [{}] of kind {} cannot be kept",
            t.id,
            crate::btf::read::kind_label(t.kind_raw())
        ),
    )
}

impl<'a> Marks<'a> {
    fn view(&self, id: TypeId) -> Result<TypeView<'a>> {
        self.btf.type_by_id(id).ok_or_else(|| {
            Error::new(
                ErrorKind::BadTypeId,
                format!("min-core: type id {id} is past the kernel's BTF"),
            )
        })
    }

    fn mark(&mut self, id: TypeId) {
        self.types[id as usize] = true;
    }

    /// A type and what it needs: through modifiers, typedefs, arrays and
    /// prototypes; through pointers only when `follow_pointers`.
    fn mark_type(&mut self, id: TypeId, follow_pointers: bool) -> Result<()> {
        if id == 0 {
            return Ok(());
        }
        let t = self.view(id)?;
        self.mark(id);
        match t.kind() {
            Some(
                Kind::Int | Kind::Float | Kind::Enum | Kind::Enum64 | Kind::Struct | Kind::Union,
            ) => Ok(()),
            Some(Kind::Ptr) if !follow_pointers => Ok(()),
            Some(Kind::Ptr | Kind::Const | Kind::Restrict | Kind::Volatile | Kind::Typedef) => {
                self.mark_type(t.size_or_type(), follow_pointers)
            }
            Some(Kind::Array) => {
                let a = t.array();
                self.mark_type(a.elem_type, follow_pointers)?;
                self.mark_type(a.index_type, follow_pointers)
            }
            Some(Kind::FuncProto) => {
                self.mark_type(t.size_or_type(), follow_pointers)?;
                for p in t.params() {
                    self.mark_type(p.type_id, follow_pointers)?;
                }
                Ok(())
            }
            _ => Err(unsupported(&t)),
        }
    }

    /// A field access: the root, and along the raw path every member taken
    /// with its type (arrays pass to their elements unmarked).
    fn field(&mut self, spec: &Spec) -> Result<()> {
        let mut id = spec.root_type_id;
        self.mark_type(id, false)?;
        let mut t = self.view_or_void(id)?;
        for &idx in spec.raw.iter().skip(1) {
            while let Some(v) = t.filter(|v| {
                matches!(
                    v.kind(),
                    Some(
                        Kind::Const
                            | Kind::Volatile
                            | Kind::Restrict
                            | Kind::TypeTag
                            | Kind::Typedef
                    )
                )
            }) {
                id = v.size_or_type();
                t = self.view_or_void(id)?;
            }
            let Some(v) = t else {
                return Err(Error::new(
                    ErrorKind::BadType,
                    "min-core: a field path runs into void",
                ));
            };
            match v.kind() {
                Some(Kind::Struct | Kind::Union) => {
                    let m = v
                        .members()
                        .nth(idx as usize)
                        .ok_or_else(|| unsupported(&v))?;
                    self.members.insert((id, idx));
                    id = m.type_id;
                    t = self.view_or_void(id)?;
                    self.mark_type(id, false)?;
                }
                Some(Kind::Array) => {
                    id = v.array().elem_type;
                    t = self.view_or_void(id)?;
                }
                _ => return Err(unsupported(&v)),
            }
        }
        Ok(())
    }

    fn view_or_void(&self, id: TypeId) -> Result<Option<TypeView<'a>>> {
        if id == 0 {
            Ok(None)
        } else {
            self.view(id).map(Some)
        }
    }

    /// type_matches: composites with all their members, except behind a
    /// pointer, where only the type itself is kept.
    fn mark_match(&mut self, id: TypeId, behind_ptr: bool) -> Result<()> {
        if id == 0 {
            return Ok(());
        }
        let t = self.view(id)?;
        self.mark(id);
        match t.kind() {
            Some(Kind::Int | Kind::Float | Kind::Enum | Kind::Enum64) => Ok(()),
            Some(Kind::Struct | Kind::Union) => {
                if !behind_ptr {
                    for (i, m) in t.members().enumerate() {
                        self.members.insert((id, i as u32));
                        self.mark_match(m.type_id, false)?;
                    }
                }
                Ok(())
            }
            Some(Kind::Const | Kind::Fwd | Kind::Restrict | Kind::Typedef | Kind::Volatile) => {
                self.mark_match(t.size_or_type(), behind_ptr)
            }
            Some(Kind::Ptr) => self.mark_match(t.size_or_type(), true),
            Some(Kind::Array) => {
                let a = t.array();
                self.mark_match(a.elem_type, false)?;
                self.mark_match(a.index_type, false)
            }
            Some(Kind::FuncProto) => {
                self.mark_match(t.size_or_type(), false)?;
                for p in t.params() {
                    self.mark_match(p.type_id, false)?;
                }
                Ok(())
            }
            _ => Err(unsupported(&t)),
        }
    }

    fn record(&mut self, spec: &Spec) -> Result<()> {
        match spec.kind {
            k if k.is_field() => self.field(spec),
            K::TypeIdLocal => Ok(()),
            K::TypeIdTarget | K::TypeExists | K::TypeSize => {
                self.mark_type(spec.root_type_id, true)
            }
            K::TypeMatches => self.mark_match(spec.root_type_id, false),
            _ => self.mark_type(spec.root_type_id, false),
        }
    }
}

/// `bpftool gen min_core_btf` over already parsed programs: the raw BTF.
pub fn min_core_btf(target: &Target, programs: &[Program]) -> Result<Vec<u8>> {
    let btf = target.btf;
    let mut marks = Marks {
        btf,
        types: vec![false; btf.type_count() as usize],
        members: HashSet::new(),
    };
    for prog in programs {
        for (r, res) in prog.relocations().zip(prog.resolve(target)) {
            if let Err(f) = &res.result {
                let sec = &prog.ext.core_relos[r.section];
                return Err(Error::at(
                    ErrorKind::Incompatible,
                    sec.record_at(r.index),
                    format!("relocation #{} cannot be resolved: {}", r.index, f.reason),
                ));
            }
            if let Some(spec) = &res.target {
                marks.record(spec)?;
            }
        }
    }
    // Marked types in id order, each as words with source ids still in.
    let mut b = BtfBuilder::new();
    let mut new_id = vec![0u32; btf.type_count() as usize];
    let mut records: Vec<(Vec<u32>, Vec<usize>)> = Vec::new();
    for id in 1..btf.type_count() {
        if !marks.types[id as usize] {
            continue;
        }
        let t = marks.view(id)?;
        let (words, refs) = match t.kind() {
            Some(k @ (Kind::Struct | Kind::Union)) => {
                let name_off = b.add_str_bytes(btf.str_at(t.name_off()).unwrap_or(b""));
                let kflag_in = t.kflag();
                let mut words = vec![name_off, 0, t.size_or_type()];
                let mut refs = Vec::new();
                let (mut vlen, mut kflag) = (0, false);
                for (i, m) in t.members().enumerate() {
                    if !marks.members.contains(&(id, i as u32)) {
                        continue;
                    }
                    let (off, bits) = (m.bit_offset(kflag_in), m.bitfield_size(kflag_in));
                    kflag |= bits != 0 || off % 8 != 0;
                    let mname = b.add_str_bytes(btf.str_at(m.name_off).unwrap_or(b""));
                    refs.push(words.len() + 1);
                    words.extend_from_slice(&[mname, m.type_id, off | bits << 24]);
                    vlen += 1;
                }
                words[1] = info(k, vlen, kflag);
                (words, refs)
            }
            _ => (b.copy_words(btf, &t), t.type_ref_words().collect()),
        };
        records.push((words, refs));
        new_id[id as usize] = records.len() as u32;
    }
    for (mut words, refs) in records {
        for w in refs {
            words[w] = new_id.get(words[w] as usize).copied().unwrap_or(0);
        }
        b.add_raw(&words)?;
    }
    Ok(b.finish().to_bytes())
}
