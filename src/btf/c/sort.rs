//! The order in which bpftool 7.5 asks for types when it writes a whole
//! vmlinux.h: by a rank of kind (enums, then base types, structs and
//! unions, function prototypes, everything else), then by name, then by a
//! hash of names that tells same-named types apart, then by id.

use crate::btf::kind::Kind;
use crate::btf::read::Btf;
use crate::btf::types::{TypeId, TypeView};

/// The rank of types that come last.
const LAST: u8 = 10;

fn name<'a>(btf: &'a Btf<'a>, off: u32) -> &'a [u8] {
    btf.str_at(off).unwrap_or(b"")
}

/// The kind whose `size_or_type` word is the next link of a reference
/// chain for ranking, naming and hashing.
fn is_link(kind: Option<Kind>) -> bool {
    matches!(
        kind,
        Some(
            Kind::TypeTag
                | Kind::Const
                | Kind::Ptr
                | Kind::Volatile
                | Kind::Restrict
                | Kind::Typedef
                | Kind::DeclTag
        )
    )
}

/// The next type of a chain: a link's target or an array's element.
fn next(t: &TypeView) -> Option<TypeId> {
    if is_link(t.kind()) {
        Some(t.size_or_type())
    } else if t.kind() == Some(Kind::Array) {
        Some(t.array().elem_type)
    } else {
        None
    }
}

/// For every id, a value computed along its chain of links: `end` at the
/// type that ends the chain (`None` for void), `link` for each link on the
/// way back up. Shared tails are computed once, so long chains cost linear
/// time; the emitter has rejected cyclic chains (the bound is a guard).
fn fold_chains<'a, T: Clone>(
    btf: &'a Btf<'a>,
    mut end: impl FnMut(Option<TypeView<'a>>) -> T,
    mut link: impl FnMut(&TypeView<'a>, &T) -> T,
) -> Vec<T> {
    let n = btf.type_count() as usize;
    let mut memo: Vec<Option<T>> = vec![None; n];
    let mut stack = Vec::new();
    for start in 0..n as TypeId {
        let mut id = start;
        while memo[id as usize].is_none() {
            let t = btf.type_by_id(id);
            match t.as_ref().and_then(next) {
                Some(nx) if stack.len() < n => {
                    stack.push(id);
                    id = nx;
                }
                _ => memo[id as usize] = Some(end(t)),
            }
        }
        let mut v = memo[id as usize].clone().expect("set above");
        while let Some(up) = stack.pop() {
            let t = btf.type_by_id(up).expect("a link is a type");
            v = link(&t, &v);
            memo[up as usize] = Some(v.clone());
        }
    }
    memo.into_iter().map(|v| v.expect("every id")).collect()
}

/// bpftool's rank of each type: a named chain takes the rank of the type
/// it ends at; unnamed, only enums (0) and base types (2) rank early.
fn ranks(btf: &Btf) -> Vec<u8> {
    let named = fold_chains(
        btf,
        |t| match t.and_then(|t| t.kind()) {
            Some(Kind::Enum | Kind::Enum64) => 1,
            Some(Kind::Int | Kind::Float) => 2,
            Some(Kind::Struct | Kind::Union) => 3,
            Some(Kind::FuncProto) => 4,
            _ => LAST,
        },
        |_, &r| r,
    );
    (0..btf.type_count())
        .map(|id| match btf.type_by_id(id) {
            Some(t) if t.name_off() != 0 => named[id as usize],
            Some(t) => match t.kind() {
                Some(Kind::Enum | Kind::Enum64) => 0,
                Some(Kind::Int | Kind::Float) => 2,
                _ => LAST,
            },
            None => LAST,
        })
        .collect()
}

/// The name each type sorts by: the name at the end of its chain, or an
/// anonymous enum's first value.
fn sort_names<'a>(btf: &'a Btf<'a>) -> Vec<&'a [u8]> {
    let mut names = fold_chains(
        btf,
        |t| t.map_or(&b""[..], |t| name(btf, t.name_off())),
        |_, &n| n,
    );
    for (id, slot) in names.iter_mut().enumerate() {
        if let Some(t) = btf.type_by_id(id as TypeId) {
            if matches!(t.kind(), Some(Kind::Enum | Kind::Enum64))
                && t.name_off() == 0
                && t.vlen() > 0
            {
                *slot = name(btf, t.word(3));
            }
        }
    }
    names
}

/// libbpf's `str_hash`, which adds C `char`s: signed on the machines
/// bpftool runs on.
fn str_hash(s: &[u8]) -> u64 {
    s.iter().fold(0u64, |h, &c| {
        h.wrapping_mul(31).wrapping_add(c as i8 as i64 as u64)
    })
}

fn mix(h: u64, v: u64) -> u64 {
    h.wrapping_mul(31).wrapping_add(v)
}

fn name_mix(btf: &Btf, h: u64, off: u32) -> u64 {
    if off == 0 {
        h
    } else {
        mix(h, str_hash(btf.str_at(off).unwrap_or(b"")))
    }
}

/// bpftool's tie-breaking hash: names along the chain, an array's length,
/// an enum's value names and, at the top, a struct's member names with
/// their types' hashes (those without members). A link hashes as
/// `31 * own + rest`, so what the members add at the end of a chain is
/// added unchanged to every hash up the chain: one fold gives both.
fn disambig_hashes(btf: &Btf) -> Vec<u64> {
    let own = |t: &TypeView| name_mix(btf, 0, t.name_off());
    // The hash without members, and the type the chain ends at.
    let plain: Vec<(u64, TypeId)> = fold_chains(
        btf,
        |t| {
            let Some(t) = t else { return (0, 0) };
            let h = match t.kind() {
                Some(Kind::Enum) => t
                    .enum_values()
                    .fold(own(&t), |h, v| name_mix(btf, h, v.name_off)),
                Some(Kind::Enum64) => t
                    .enum64_values()
                    .fold(own(&t), |h, v| name_mix(btf, h, v.name_off)),
                _ => own(&t),
            };
            (h, t.id)
        },
        |t, &(rest, end)| {
            let mut h = own(t);
            if t.kind() == Some(Kind::Array) {
                h = mix(h, t.array().nelems as u64);
            }
            (mix(h, rest), end)
        },
    );
    let mut members = vec![0u64; plain.len()];
    for (id, slot) in members.iter_mut().enumerate() {
        let Some(t) = btf.type_by_id(id as TypeId) else {
            continue;
        };
        if matches!(t.kind(), Some(Kind::Struct | Kind::Union)) {
            let start = own(&t);
            let full = t.members().fold(start, |h, m| {
                mix(name_mix(btf, h, m.name_off), plain[m.type_id as usize].0)
            });
            *slot = full.wrapping_sub(start);
        }
    }
    plain
        .iter()
        .map(|&(h, end)| h.wrapping_add(members[end as usize]))
        .collect()
}

/// Every id, void included, in bpftool's order.
pub fn bpftool_order(btf: &Btf) -> Vec<TypeId> {
    let ranks = ranks(btf);
    let sort_names = sort_names(btf);
    let hashes = disambig_hashes(btf);
    let own_names: Vec<&[u8]> = (0..btf.type_count())
        .map(|id| {
            btf.type_by_id(id)
                .map_or(&b""[..], |t| name(btf, t.name_off()))
        })
        .collect();
    // Rank and the sort name's first eight bytes (big-endian, zero-padded:
    // they order as the name does whenever they differ, names holding no
    // NUL) in one integer, so that most comparisons compare no strings.
    // When both types are `plain` (a sort name that fits the prefix, no
    // own name) and the integers are equal, so are the names: the hash
    // decides.
    let mut keys: Vec<Key> = (0..btf.type_count())
        .map(|id| {
            let i = id as usize;
            let mut head = [0u8; 8];
            let n = sort_names[i].len().min(8);
            head[..n].copy_from_slice(&sort_names[i][..n]);
            Key {
                prefix: (ranks[i] as u128) << 64 | u64::from_be_bytes(head) as u128,
                hash: hashes[i],
                id,
                plain: sort_names[i].len() <= 8 && own_names[i].is_empty(),
            }
        })
        .collect();
    keys.sort_unstable_by(|a, b| {
        a.prefix.cmp(&b.prefix).then_with(|| {
            let by_hash = || a.hash.cmp(&b.hash).then(a.id.cmp(&b.id));
            if a.plain && b.plain {
                return by_hash();
            }
            let (x, y) = (a.id as usize, b.id as usize);
            sort_names[x]
                .cmp(sort_names[y])
                .then_with(|| own_names[x].cmp(own_names[y]))
                .then_with(by_hash)
        })
    });
    keys.into_iter().map(|k| k.id).collect()
}

struct Key {
    prefix: u128,
    hash: u64,
    id: TypeId,
    plain: bool,
}
