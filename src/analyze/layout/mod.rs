//! Struct and union layouts as pahole 1.30 shows them from BTF: member
//! offsets and sizes, bitfields, holes, bit holes, padding, cache lines and
//! inferred alignment and packing. [`Layouts`] answers for one type or for
//! every type pahole would print, as structured [`Layout`]s (for tools and
//! the page) or as pahole's exact text ([`pahole`]).

mod model;
mod pahole;

use serde::Serialize;

use crate::btf::fx::FxHashMap;
use crate::btf::{Btf, TypeId};
use crate::error::{Error, ErrorKind, Result};
use model::{Model, Tag};
pub use model::{CACHELINE, MAX_DEPTH, MAX_EXPANSION, MAX_NAME_PARTS};
use pahole::Printer;

/// One struct or union: its size, members and the space it wastes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Layout {
    pub id: TypeId,
    /// `struct` or `union`.
    pub kind: &'static str,
    /// `None` for an anonymous type.
    pub name: Option<String>,
    pub size: u32,
    /// Cache lines (of [`CACHELINE`] bytes) the type spans.
    pub cachelines: u32,
    /// Alignment pahole infers beyond the natural one (`__aligned__`), or 0.
    pub alignment: u32,
    /// pahole infers `__attribute__((__packed__))`.
    pub packed: bool,
    pub members: Vec<MemberLayout>,
    /// Bytes of the members that are not bitfields.
    pub sum_members: u32,
    /// Bits of the bitfield members.
    pub sum_bitfield_bits: u32,
    pub holes: Vec<Hole>,
    pub sum_holes: u32,
    pub bit_holes: Vec<Hole>,
    pub sum_bit_holes: u32,
    /// Bytes after the last member.
    pub padding: u32,
    /// Bits after the last bitfield, inside its storage unit.
    pub bit_padding: u32,
    /// Bytes used in the last cache line (0: the type ends on a boundary).
    pub last_cacheline: u32,
}

/// One member. Offsets count from the start of the outermost type shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemberLayout {
    pub name: Option<String>,
    /// The type as C spells it (`struct list_head *`, `int (*)(void *)`).
    #[serde(rename = "type")]
    pub type_name: String,
    pub type_id: TypeId,
    /// Byte offset of the member (of its storage unit, for a bitfield).
    pub offset: u32,
    pub size: u64,
    /// Exact bit offset as BTF records it.
    pub bit_offset: u32,
    /// Bit position inside the storage unit and width, for bitfields.
    pub bitfield: Option<Bitfield>,
    /// `__aligned__` pahole infers for this member, or 0.
    pub alignment: u32,
    /// The cache line the member starts in.
    pub cacheline: u32,
    /// An anonymous struct or union spelled out in place.
    pub inline: Option<Box<Layout>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Bitfield {
    pub offset: u32,
    pub size: u32,
}

/// A gap before the member `before` (`None`: after the last member, which
/// for bit holes means inside the last bitfield's unit).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hole {
    /// Where the gap starts: bytes for holes, bits for bit holes.
    pub at: u64,
    pub size: u32,
    /// Index in `members` of the member after the gap.
    pub before: usize,
}

/// Layout questions about one BTF (with its base). pahole's answers depend
/// on what it has printed before (it infers `packed` for a struct from the
/// containers it has seen), so ask in the order the output needs.
pub struct Layouts<'a> {
    model: Model<'a>,
}

/// The result of `pahole -C NAME,...`: the text, and the first name that
/// was not found (pahole stops there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    pub text: Vec<u8>,
    pub ids: Vec<TypeId>,
    pub missing: Option<String>,
}

impl<'a> Layouts<'a> {
    /// Loads `btf`; refuses type graphs with cycles or absurd nesting.
    pub fn new(btf: &'a Btf<'a>) -> Result<Layouts<'a>> {
        Ok(Layouts {
            model: Model::new(btf)?,
        })
    }

    /// The structs and unions `pahole -F btf` prints, in its order: every
    /// named, defined one, once per name, size and member list.
    pub fn printed_ids(&self) -> Vec<TypeId> {
        // pahole compares member names only where both have one, so types
        // are grouped by everything else and then compared name by name.
        type Key<'k> = (&'k [u8], u32, usize, Vec<(u32, u8)>);
        let m = &self.model;
        let mut seen: FxHashMap<Key<'a>, Vec<usize>> = FxHashMap::default();
        let names = |c: usize| m.members_of(c).map(move |i| m.str(m.members[i].name_off));
        let mut ids = Vec::new();
        for (c, class) in m.classes.iter().enumerate() {
            let Some(name) = m.str(class.name_off) else {
                continue;
            };
            if class.declaration {
                continue;
            }
            let offsets = m
                .members_of(c)
                .map(|i| (m.members[i].bit_offset, m.members[i].bitfield_size))
                .collect();
            let group = seen
                .entry((name, class.size, class.members.len(), offsets))
                .or_default();
            let same = |&other: &usize| {
                names(other)
                    .zip(names(c))
                    .all(|(a, b)| a.is_none() || b.is_none() || a == b)
            };
            if !group.iter().any(same) {
                group.push(c);
                ids.push(class.id);
            }
        }
        ids
    }

    /// pahole's text for every struct and union (`pahole -F btf FILE`).
    pub fn pahole_all(&mut self) -> Vec<u8> {
        let ids = self.printed_ids();
        let mut out = Vec::with_capacity(ids.len() * 700);
        let mut p = Printer { m: &mut self.model };
        for id in ids {
            p.top_level(&mut out, id);
            out.push(b'\n');
        }
        out
    }

    /// The first struct, union, typedef or enum (not a forward declaration)
    /// with this name, as `pahole -C` finds it.
    pub fn find(&self, name: &str) -> Option<TypeId> {
        let m = &self.model;
        (1..m.tags.len() as TypeId).find(|&id| {
            let found = match m.tag(id) {
                Tag::Class(c) => !m.classes[c as usize].declaration,
                Tag::Typedef(_) | Tag::Enum { .. } => true,
                _ => false,
            };
            found && m.type_name(id) == Some(name.as_bytes())
        })
    }

    /// `pahole -F btf -C A,B,...`: each name's type in turn; the first name
    /// not found ends the output, as in pahole.
    pub fn pahole_selected(&mut self, names: &[&str]) -> Selected {
        let mut out = Vec::new();
        let mut ids = Vec::new();
        let mut done: Vec<&str> = Vec::new();
        for &name in names {
            if done.contains(&name) {
                continue;
            }
            done.push(name);
            let Some(id) = self.find(name) else {
                return Selected {
                    text: out,
                    ids,
                    missing: Some(name.to_string()),
                };
            };
            if let Some(c) = self.model.class_of(id) {
                self.model.find_holes(c);
            }
            Printer { m: &mut self.model }.top_level(&mut out, id);
            out.extend_from_slice(b"\n\n");
            ids.push(id);
        }
        Selected {
            text: out,
            ids,
            missing: None,
        }
    }

    /// pahole's text for one type, as `pahole -C` prints it alone (without
    /// the blank line that follows).
    pub fn pahole_text(&mut self, id: TypeId) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(c) = self.model.class_of(id) {
            self.model.find_holes(c);
        }
        Printer { m: &mut self.model }.top_level(&mut out, id);
        out.push(b'\n');
        out
    }

    /// The structured layout of struct or union `id`. Ask after
    /// [`pahole_text`](Self::pahole_text) of the same type for a `packed`
    /// that agrees with the text.
    pub fn layout(&mut self, id: TypeId) -> Result<Layout> {
        let Some(c) = self.model.class_of(id) else {
            return Err(Error::new(
                ErrorKind::Usage,
                format!("type [{id}] is not a struct or union"),
            ));
        };
        Ok(self.class_layout(c, 0))
    }

    /// Every layout pahole prints, in its order. Each type is printed (and
    /// the text dropped) before its layout is taken, so that `packed` is
    /// what pahole's text says at that point of the run.
    pub fn all(&mut self) -> Vec<Layout> {
        let mut scratch = Vec::new();
        self.printed_ids()
            .into_iter()
            .map(|id| {
                scratch.clear();
                Printer { m: &mut self.model }.top_level(&mut scratch, id);
                let c = self
                    .model
                    .class_of(id)
                    .expect("a printed id is a struct or union");
                self.class_layout(c, 0)
            })
            .collect()
    }

    /// The C spelling of a member's type.
    fn spelling(&self, id: TypeId) -> String {
        String::from_utf8_lossy(&spell(&self.model, id)).into_owned()
    }

    fn class_layout(&mut self, c: usize, base: u32) -> Layout {
        self.model.find_holes(c);
        let packed = self.model.infer_packed(c);
        let class = self.model.classes[c].clone();
        let is_union = class.is_union;
        let mut members = Vec::new();
        let mut holes = Vec::new();
        let mut bit_holes = Vec::new();
        let (mut sum_members, mut sum_bits) = (0u32, 0u32);
        if !is_union && class.pre_hole > 0 {
            holes.push(Hole {
                at: base as u64,
                size: class.pre_hole as u32,
                before: 0,
            });
        }
        if !is_union && class.pre_bit_hole > 0 {
            bit_holes.push(Hole {
                at: base as u64 * 8,
                size: class.pre_bit_hole as u32,
                before: 0,
            });
        }
        let range = self.model.members_of(c);
        let count = range.len();
        for (i, mi) in range.enumerate() {
            let mem = self.model.members[mi].clone();
            let offset = base.wrapping_add(mem.byte_offset);
            let inline = self
                .model
                .class_of(mem.type_id)
                .filter(|_| self.model.type_name(mem.type_id).is_none())
                .map(|mc| Box::new(self.class_layout(mc, offset)));
            if mem.bitfield_size != 0 {
                sum_bits = sum_bits.wrapping_add(mem.bitfield_size as u32);
            } else {
                sum_members = sum_members.wrapping_add(mem.byte_size as u32);
            }
            if !is_union && mem.hole > 0 {
                let end = offset as u64 + mem.byte_size;
                holes.push(Hole {
                    at: if mem.bitfield_size != 0 {
                        offset as u64 + mem.byte_size
                    } else {
                        end
                    },
                    size: mem.hole as u32,
                    before: i + 1,
                });
            }
            if !is_union && mem.bit_hole != 0 {
                bit_holes.push(Hole {
                    at: base as u64 * 8 + mem.bit_offset as u64 + mem.bitfield_size as u64,
                    size: mem.bit_hole as u32,
                    before: i + 1,
                });
            }
            members.push(MemberLayout {
                name: self
                    .model
                    .str(mem.name_off)
                    .map(|n| String::from_utf8_lossy(n).into_owned()),
                type_name: self.spelling(mem.type_id),
                type_id: mem.type_id,
                offset,
                size: mem.byte_size,
                bit_offset: mem.bit_offset,
                bitfield: (mem.bitfield_size != 0).then_some(Bitfield {
                    offset: mem.bitfield_offset as i32 as u32,
                    size: mem.bitfield_size as u32,
                }),
                alignment: mem.alignment,
                cacheline: offset / CACHELINE,
                inline,
            });
        }
        // Holes after the last member mean padding, which has its own field.
        holes.retain(|h| h.before < count || is_union);
        bit_holes.retain(|h| h.before < count);
        let size_for_lines = if class.size == 1 && count == 0 {
            0
        } else {
            class.size
        };
        Layout {
            id: class.id,
            kind: if is_union { "union" } else { "struct" },
            name: self
                .model
                .type_name(class.id)
                .map(|n| String::from_utf8_lossy(n).into_owned()),
            size: class.size,
            cachelines: size_for_lines.div_ceil(CACHELINE),
            alignment: if packed { 0 } else { class.alignment },
            packed,
            sum_holes: holes.iter().map(|h| h.size).sum(),
            sum_bit_holes: bit_holes.iter().map(|h| h.size).sum(),
            holes,
            bit_holes,
            members,
            sum_members,
            sum_bitfield_bits: sum_bits,
            padding: if is_union { 0 } else { class.padding as u32 },
            bit_padding: if is_union {
                0
            } else {
                class.bit_padding as u32
            },
            last_cacheline: base.wrapping_add(class.size) % CACHELINE,
        }
    }
}

/// A type's spelling; arrays with their element counts.
fn spell(m: &Model, id: TypeId) -> Vec<u8> {
    match m.tag(id) {
        Tag::Array { elem, nelems } => {
            let mut s = spell(m, elem);
            s.extend_from_slice(format!("[{nelems}]").as_bytes());
            s
        }
        _ => pahole::spell(m, id),
    }
}

/// The pahole text of every struct and union of `btf`, as
/// `pahole -F btf FILE` prints it (with `--btf_base` for a split BTF).
pub fn pahole(btf: &Btf) -> Result<Vec<u8>> {
    Ok(Layouts::new(btf)?.pahole_all())
}
