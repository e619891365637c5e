//! One module type as a dedup case ("why was this not merged?"): the
//! type, every module type it reaches, and the base types dedup compares
//! them with, written as two specs (the text [`dump`] prints, which
//! [`parse_spec`](crate::btf::text::parse_spec) builds): a tiny base and a
//! split BTF on it, for the Dedup view's stepper and for `btfscope dedup
//! --trace`.
//!
//! Which base types the case needs:
//!
//! - the *candidates*: every base struct, union, FWD, enum or typedef
//!   with the name (and kind family) of a module type the root reaches;
//! - every base type the equivalence check can meet from them: the
//!   candidate and the module type are walked side by side, reference by
//!   reference (members in order, a pointer's target, an array's element
//!   and index, a prototype's return and parameters), as far as the
//!   kinds agree, and each base type met on either side is kept whole;
//!   a pair of the same base type on both sides ends the walk there (dedup
//!   takes it as equal without looking);
//! - the base types the module types refer to directly.
//!
//! A base type kept whole keeps its members; what they refer to is kept
//! too, but a struct or union that no walk reaches is cut down to its name
//! and size (no members): dedup never looks into it, since whatever refers
//! to it is paired with that very type on the other side or not at all.
//! Ids are renumbered in their order, so candidates are tried in the order
//! the real run tries them, and dedup of the case reaches the verdict the
//! real run reaches for the type (tests/teach_extract.rs).

use std::collections::{HashMap, HashSet};

use crate::btf::build::info;
use crate::btf::dump::{dump, DumpFormat};
use crate::btf::{Btf, BtfBuilder, Kind, TypeId, TypeView};
use crate::error::{Error, ErrorKind, Result};

/// More pairs than any module type's walk should need: past it the case
/// would not be small anyway.
const MAX_PAIRS: usize = 1 << 20;

/// A module type as a split dedup case on a tiny base.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Extracted {
    /// The type, in words (`struct mac_addr`).
    pub title: String,
    /// The base's spec: the base types the case needs, ids from 1.
    pub base_spec: String,
    /// The split spec: the type and the module types it reaches, in their
    /// order, ids after the base's.
    pub spec: String,
    /// The type's id in the case.
    pub root: TypeId,
    /// Each base type of the case (case id `i` at index `i - 1`): its id in
    /// the real base.
    pub base_ids: Vec<TypeId>,
    /// Each split type of the case (in order): its id in the real module.
    pub module_ids: Vec<TypeId>,
    /// The case ids of the candidates: base types with the name of a
    /// module type of the case.
    pub candidates: Vec<TypeId>,
    /// How many base types are cut down to name and size.
    pub cut: usize,
}

/// Which kinds a candidate may have for a module type of kind `kind`
/// (0: the kind has no candidates by name).
fn family(kind: Option<Kind>) -> u8 {
    match kind {
        Some(Kind::Struct | Kind::Union | Kind::Fwd) => 1,
        Some(Kind::Enum | Kind::Enum64) => 2,
        Some(Kind::Typedef) => 3,
        _ => 0,
    }
}

fn view<'b>(btf: &'b Btf, id: TypeId) -> Result<TypeView<'b>> {
    btf.type_by_id(id).ok_or_else(|| {
        Error::new(
            ErrorKind::BadTypeId,
            format!("type id {id} is past the end"),
        )
    })
}

/// The module's own type that `spec` names: `NAME`, `KIND NAME` (`struct`,
/// `union`, `enum`, `typedef`, `fwd`) or an id. The first in id order.
pub fn find_type(module: &Btf, spec: &str) -> Result<TypeId> {
    let spec = spec.trim();
    if let Ok(id) = spec.parse::<TypeId>() {
        if id >= module.start_id() && id < module.type_count() {
            return Ok(id);
        }
        return Err(Error::new(
            ErrorKind::Usage,
            format!(
                "type id {id} is not one of the module's own types ([{}] to [{}])",
                module.start_id(),
                module.type_count().saturating_sub(1)
            ),
        ));
    }
    let (kinds, name): (&[Kind], &str) = match spec.split_once(' ') {
        Some(("struct", n)) => (&[Kind::Struct], n),
        Some(("union", n)) => (&[Kind::Union], n),
        Some(("enum", n)) => (&[Kind::Enum, Kind::Enum64], n),
        Some(("typedef", n)) => (&[Kind::Typedef], n),
        Some(("fwd", n)) => (&[Kind::Fwd], n),
        _ => (
            &[
                Kind::Struct,
                Kind::Union,
                Kind::Enum,
                Kind::Enum64,
                Kind::Typedef,
                Kind::Fwd,
            ],
            spec,
        ),
    };
    let name = name.trim().as_bytes();
    module
        .local_types()
        .find(|t| {
            t.kind().is_some_and(|k| kinds.contains(&k))
                && module.str_at(t.name_off()) == Some(name)
        })
        .map(|t| t.id)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Usage,
                format!("the module has no type named '{spec}' of its own"),
            )
        })
}

/// The case for type `root` of `module`, a split BTF on `base`.
pub fn extract(base: &Btf, module: &Btf, root: TypeId) -> Result<Extracted> {
    let start = module.start_id();
    if module.base().is_none() || root < start || root >= module.type_count() {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("[{root}] is not a type of a split BTF's own"),
        ));
    }
    // Every id in range from here on.
    base.validate()?;
    module.validate()?;
    // The module types the root reaches, and the base types they name.
    let mut own = vec![false; (module.type_count() - start) as usize];
    let mut direct: Vec<TypeId> = Vec::new();
    let mut stack = vec![root];
    own[(root - start) as usize] = true;
    while let Some(id) = stack.pop() {
        let t = view(module, id)?;
        for w in t.type_ref_words() {
            let to = t.word(w);
            if to == 0 {
                continue;
            }
            if to < start {
                direct.push(to);
            } else if !std::mem::replace(&mut own[(to - start) as usize], true) {
                stack.push(to);
            }
        }
    }
    let own_ids: Vec<TypeId> = (start..module.type_count())
        .filter(|&id| own[(id - start) as usize])
        .collect();

    // Candidates by name, then the walk in pairs (base side, module side).
    let mut wanted: HashMap<&[u8], Vec<(u8, TypeId)>> = HashMap::new();
    for &id in &own_ids {
        let t = view(module, id)?;
        let fam = family(t.kind());
        match module.str_at(t.name_off()) {
            Some(name) if fam != 0 && !name.is_empty() => {
                wanted.entry(name).or_default().push((fam, id))
            }
            _ => {}
        }
    }
    let mut candidates = Vec::new();
    let mut pairs: Vec<(TypeId, TypeId)> = Vec::new();
    for t in base.local_types() {
        let fam = family(t.kind());
        if fam == 0 {
            continue;
        }
        let Some(mods) = base.str_at(t.name_off()).and_then(|n| wanted.get(n)) else {
            continue;
        };
        for &(f, m) in mods {
            if f == fam {
                candidates.push(t.id);
                pairs.push((t.id, m));
            }
        }
    }
    candidates.dedup();
    let mut whole = vec![false; base.type_count() as usize];
    let mut seen: HashSet<(TypeId, TypeId)> = HashSet::new();
    while let Some((b, m)) = pairs.pop() {
        if b == m || b == 0 || m == 0 || !seen.insert((b, m)) {
            continue;
        }
        if seen.len() > MAX_PAIRS {
            return Err(Error::new(
                ErrorKind::Limit,
                "the type reaches too much of the base to make a small case",
            ));
        }
        whole[b as usize] = true;
        if m < start {
            whole[m as usize] = true;
        }
        let (bt, mt) = (view(base, b)?, view(module, m)?);
        if bt.kind() != mt.kind() {
            continue;
        }
        for (wb, wm) in bt.type_ref_words().zip(mt.type_ref_words()) {
            pairs.push((bt.word(wb), mt.word(wm)));
        }
    }

    // The base types of the case: whole ones with what they refer to,
    // structs and unions no walk reached cut down.
    let mut keep = vec![false; base.type_count() as usize];
    let mut stack: Vec<TypeId> = direct;
    stack.extend(candidates.iter().copied());
    stack.extend((1..base.type_count()).filter(|&id| whole[id as usize]));
    while let Some(id) = stack.pop() {
        if id == 0 || std::mem::replace(&mut keep[id as usize], true) {
            continue;
        }
        let t = view(base, id)?;
        if !whole[id as usize] && matches!(t.kind(), Some(Kind::Struct | Kind::Union)) {
            continue;
        }
        stack.extend(t.type_ref_words().map(|w| t.word(w)));
    }
    let base_ids: Vec<TypeId> = (1..base.type_count())
        .filter(|&id| keep[id as usize])
        .collect();
    let mut new_id: HashMap<TypeId, TypeId> = HashMap::new();
    for (i, &id) in base_ids.iter().enumerate() {
        new_id.insert(id, i as TypeId + 1);
    }
    let split_start = base_ids.len() as TypeId + 1;
    for (i, &id) in own_ids.iter().enumerate() {
        new_id.insert(id, split_start + i as TypeId);
    }
    let renumber = |words: &mut Vec<u32>, t: &TypeView| {
        for w in t.type_ref_words() {
            words[w] = if words[w] == 0 { 0 } else { new_id[&words[w]] };
        }
    };

    let mut b = BtfBuilder::new();
    let mut cut = 0;
    for &id in &base_ids {
        let t = view(base, id)?;
        let words = match t.kind() {
            Some(k @ (Kind::Struct | Kind::Union)) if !whole[id as usize] => {
                cut += 1;
                let name = b.add_str_bytes(base.str_at(t.name_off()).unwrap_or(b""));
                vec![name, info(k, 0, false), t.size_or_type()]
            }
            _ => {
                let mut words = b.copy_words(base, &t);
                renumber(&mut words, &t);
                words
            }
        };
        b.add_raw(&words)?;
    }
    let tiny = b.finish();
    let mut s = BtfBuilder::new_split(&tiny);
    for &id in &own_ids {
        let t = view(module, id)?;
        let mut words = s.copy_words(module, &t);
        renumber(&mut words, &t);
        s.add_raw(&words)?;
    }
    let split = s.finish();

    let t = view(module, root)?;
    let title = format!(
        "{} {}",
        crate::btf::read::kind_label(t.kind_raw()).to_lowercase(),
        module.name(t.name_off())
    );
    let candidates: Vec<TypeId> = candidates.iter().map(|id| new_id[id]).collect();
    let mut base_spec = format!(
        "# The base types dedup of {title} [{root}] can meet: {} of {}, \
         {cut} of them cut down to name and size.\n# Candidates by name: {}\n",
        base_ids.len(),
        base.type_count() - 1,
        if candidates.is_empty() {
            "none".to_string()
        } else {
            candidates
                .iter()
                .map(|id| format!("[{id}]"))
                .collect::<Vec<_>>()
                .join(" ")
        },
    )
    .into_bytes();
    dump(&tiny, DumpFormat::Raw, &mut base_spec)?;
    let mut spec = match own_ids.len() - 1 {
        0 => format!("# {title} [{root}], which reaches no other module type.\n"),
        n => format!("# {title} [{root}] and the {n} module types it reaches.\n"),
    }
    .into_bytes();
    dump(&split, DumpFormat::Raw, &mut spec)?;
    let text = |v: Vec<u8>| String::from_utf8_lossy(&v).into_owned();
    Ok(Extracted {
        title,
        base_spec: text(base_spec),
        spec: text(spec),
        root: new_id[&root],
        base_ids,
        module_ids: own_ids,
        candidates,
        cut,
    })
}
