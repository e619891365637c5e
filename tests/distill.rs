//! Distillation and relocation on small built BTFs, one case per kind of
//! problem, each checked against libbpf 1.7: the same success or failure,
//! the same bytes, and the problem classified and located.

#[path = "common/libbpf.rs"]
mod libbpf;

use btfscope::btf::{Btf, BtfBuilder};
use btfscope::distill::{distill, ProblemClass, Relocation, TargetIndex};
use btfscope::ErrorKind;

const SIGNED: u8 = 1;

/// The kernel the module is built on: `int`, an embedded `foo`, a `bar`
/// only pointed to, a `baz` embedded through a typedef and an array.
fn kernel(foo_size: u32, extra: impl FnOnce(&mut BtfBuilder)) -> Vec<u8> {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, SIGNED);
    b.add_struct("foo", foo_size);
    b.add_field("a", int, 0, 0).unwrap();
    b.add_struct("bar", 16);
    b.add_field("x", int, 0, 0).unwrap();
    b.add_struct("baz", 4);
    b.add_field("y", int, 0, 0).unwrap();
    b.add_union("unused", 4);
    extra(&mut b);
    b.finish().to_bytes()
}

/// Ids in every `kernel()`: int 1, foo 2, bar 3, baz 4.
const INT: u32 = 1;
const FOO: u32 = 2;
const BAR: u32 = 3;
const BAZ: u32 = 4;

/// The module: `struct mod_s { struct foo f; struct bar *b; baz_t t[2]; int i; }`.
fn module(base: &Btf) -> Vec<u8> {
    let mut m = BtfBuilder::new_split(base);
    let ptr = m.add_ptr(BAR);
    let baz_t = m.add_typedef("baz_t", BAZ);
    let arr = m.add_array(INT, baz_t, 2);
    m.add_struct("mod_s", 40);
    m.add_field("f", FOO, 0, 0).unwrap();
    m.add_field("b", ptr, 64, 0).unwrap();
    m.add_field("t", arr, 128, 0).unwrap();
    m.add_field("i", INT, 192, 0).unwrap();
    m.finish().to_bytes()
}

/// Distills the module on `kernel()`, relocates it onto `target` ours and
/// libbpf's way, and checks that both agree. Returns our matching.
fn relocate_onto(target_raw: &[u8]) -> Vec<(ProblemClass, String, Vec<String>)> {
    let base_raw = kernel(8, |_| {});
    let base = Btf::parse(&base_raw).unwrap();
    let module_raw = module(&base);
    let split = Btf::parse_split(&module_raw, &base).unwrap();

    let ours = distill(&split).unwrap();
    let lb_base = libbpf::Base::new(&base_raw).unwrap();
    let (dist_base, dist_split) = libbpf::distill(&module_raw, &lb_base).unwrap();
    assert_eq!(ours.base_bytes(), dist_base, "distilled base");
    assert_eq!(ours.split_bytes(), dist_split, "new split");

    let target = Btf::parse(target_raw).unwrap();
    let index = TargetIndex::new(&target).unwrap();
    let dsplit = ours.split();
    let reloc = Relocation::new(&index, &dsplit).unwrap();
    let lb_target = libbpf::Base::new(target_raw).unwrap();
    let theirs = libbpf::relocate(&dist_base, &dist_split, &lb_target);
    match (reloc.apply(&dsplit), theirs) {
        (Ok(a), Ok(b)) => assert_eq!(a.to_bytes(), b, "relocated split"),
        (Err(e), Err(_)) => {
            assert_eq!(e.kind, ErrorKind::Incompatible);
            libbpf::same_first_problem(&reloc.problems()[0]).unwrap();
        }
        (a, b) => panic!("ours {:?}, libbpf {:?}", a.map(|_| ()), b.map(|_| ())),
    }
    reloc
        .problems()
        .iter()
        .map(|p| (p.class, p.name.clone(), p.embedded_in.clone()))
        .collect()
}

#[test]
fn distilled_base_holds_stand_ins_and_split_the_rest() {
    let base_raw = kernel(8, |_| {});
    let base = Btf::parse(&base_raw).unwrap();
    let module_raw = module(&base);
    let split = Btf::parse_split(&module_raw, &base).unwrap();
    let d = distill(&split).unwrap();
    // int, foo, bar, baz; not the unused union.
    assert_eq!(d.sizes().base_types, 4);
    let foo = d.base().type_by_id(2).unwrap();
    assert_eq!((foo.vlen(), foo.size_or_type()), (0, 8));
    assert_eq!(d.split().local_len(), 4);
}

#[test]
fn relocates_onto_the_same_kernel() {
    assert!(relocate_onto(&kernel(8, |_| {})).is_empty());
}

#[test]
fn missing_type() {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, SIGNED);
    b.add_struct("foo", 8);
    b.add_field("a", int, 0, 0).unwrap();
    b.add_struct("baz", 4);
    let problems = relocate_onto(&b.finish().to_bytes());
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].0, ProblemClass::Missing);
    assert_eq!(problems[0].1, "bar");
}

#[test]
fn multiple_candidates_of_the_same_size() {
    let problems = relocate_onto(&kernel(8, |b| {
        b.add_struct("bar", 16);
    }));
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].0, ProblemClass::Ambiguous);
    assert_eq!(problems[0].1, "bar");
}

#[test]
fn same_name_different_sizes_choose_by_size() {
    assert!(relocate_onto(&kernel(8, |b| {
        b.add_struct("bar", 24);
    }))
    .is_empty());
}

#[test]
fn embedded_size_mismatch_names_the_member() {
    let problems = relocate_onto(&kernel(12, |_| {}));
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].0, ProblemClass::SizeMismatch);
    assert_eq!(problems[0].1, "foo");
    assert_eq!(problems[0].2, ["struct mod_s.f"]);
}

#[test]
fn size_mismatch_through_typedef_and_array() {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, SIGNED);
    b.add_struct("foo", 8);
    b.add_struct("bar", 16);
    b.add_struct("baz", 8);
    b.add_field("y", int, 0, 0).unwrap();
    let problems = relocate_onto(&b.finish().to_bytes());
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].0, ProblemClass::SizeMismatch);
    assert_eq!(problems[0].2, ["struct mod_s.t"]);
}

#[test]
fn pointer_only_size_change_relocates() {
    let mut b = BtfBuilder::new();
    b.add_int("int", 4, SIGNED);
    b.add_struct("foo", 8);
    b.add_struct("bar", 48);
    b.add_struct("baz", 4);
    assert!(relocate_onto(&b.finish().to_bytes()).is_empty());
}

#[test]
fn int_encoding_change_is_missing() {
    let mut b = BtfBuilder::new();
    b.add_int("int", 4, 0);
    b.add_struct("foo", 8);
    b.add_struct("bar", 16);
    b.add_struct("baz", 4);
    let problems = relocate_onto(&b.finish().to_bytes());
    assert_eq!(problems[0].0, ProblemClass::Missing);
    assert_eq!(problems[0].1, "int");
}

#[test]
fn forward_declaration_and_struct_of_one_name_are_ambiguous() {
    let problems = relocate_onto(&kernel(8, |b| {
        b.add_fwd("bar", btfscope::btf::FwdKind::Struct);
    }));
    assert_eq!(problems[0].0, ProblemClass::Ambiguous);
}

#[test]
fn union_of_the_name_stands_in_for_a_struct() {
    // libbpf checks only sizes for a distilled struct.
    let mut b = BtfBuilder::new();
    b.add_int("int", 4, SIGNED);
    b.add_union("foo", 8);
    b.add_struct("bar", 16);
    b.add_struct("baz", 4);
    assert!(relocate_onto(&b.finish().to_bytes()).is_empty());
}

/// A hand-made distilled base `dist` with a split using its type 1.
fn relocate_handmade(dist: BtfBuilder<'static>) -> Vec<ProblemClass> {
    let dist_raw = dist.finish().to_bytes();
    let dist = Btf::parse(&dist_raw).unwrap();
    let mut m = BtfBuilder::new_split(&dist);
    m.add_ptr(1);
    let split_raw = m.finish().to_bytes();
    let split = Btf::parse_split(&split_raw, &dist).unwrap();
    let target_raw = kernel(8, |_| {});
    let target = Btf::parse(&target_raw).unwrap();
    let index = TargetIndex::new(&target).unwrap();
    let reloc = Relocation::new(&index, &split).unwrap();
    let lb_target = libbpf::Base::new(&target_raw).unwrap();
    assert!(libbpf::relocate(&dist_raw, &split_raw, &lb_target).is_err());
    libbpf::same_first_problem(&reloc.problems()[0]).unwrap();
    assert!(reloc.apply(&split).is_err());
    reloc.problems().iter().map(|p| p.class).collect()
}

#[test]
fn anonymous_type_in_distilled_base() {
    let mut dist = BtfBuilder::new();
    dist.add_struct("", 8);
    assert_eq!(relocate_handmade(dist), [ProblemClass::Anonymous]);
}

#[test]
fn unexpected_kind_in_distilled_base() {
    let mut dist = BtfBuilder::new();
    let int = dist.add_int("int", 4, SIGNED);
    dist.add_typedef("int_t", int);
    assert_eq!(relocate_handmade(dist), [ProblemClass::UnexpectedKind]);
}

#[test]
fn distilling_needs_split_btf() {
    let raw = kernel(8, |_| {});
    let btf = Btf::parse(&raw).unwrap();
    assert_eq!(distill(&btf).err().unwrap().kind, ErrorKind::Usage);
}

#[test]
fn relocation_target_must_be_a_base() {
    let raw = kernel(8, |_| {});
    let base = Btf::parse(&raw).unwrap();
    let module_raw = module(&base);
    let split = Btf::parse_split(&module_raw, &base).unwrap();
    assert_eq!(
        TargetIndex::new(&split).err().unwrap().kind,
        ErrorKind::Usage
    );
    // A split BTF already on the target is not relocated again.
    let index = TargetIndex::new(&base).unwrap();
    assert_eq!(
        Relocation::new(&index, &split).err().unwrap().kind,
        ErrorKind::Usage
    );
}

/// The raw BTF of a committed fixture.
fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let bytes = std::fs::read(path).unwrap();
    let input = btfscope::intake::Input::open(&bytes).unwrap();
    input.btf_bytes().unwrap().to_vec()
}

#[test]
fn fixture_modules_distill_and_relocate_as_libbpf_does() {
    let base_raw = fixture("vmlinux.btf.xz");
    let base = Btf::parse(&base_raw).unwrap();
    let lb_base = libbpf::Base::new(&base_raw).unwrap();
    let index = TargetIndex::new(&base).unwrap();
    for name in ["cast_common.btf", "nfs.btf.xz", "mlx5_core.btf.xz"] {
        let raw = fixture(name);
        let split = Btf::parse_split(&raw, &base).unwrap();
        let ours = distill(&split).unwrap();
        let (dist_base, dist_split) = libbpf::distill(&raw, &lb_base).unwrap();
        assert_eq!(ours.base_bytes(), dist_base, "{name}: distilled base");
        assert_eq!(ours.split_bytes(), dist_split, "{name}: new split");
        let relocated = btfscope::distill::relocate(&index, &ours.split()).unwrap();
        let theirs = libbpf::relocate(&dist_base, &dist_split, &lb_base).unwrap();
        assert_eq!(relocated.to_bytes(), theirs, "{name}: relocated");
    }
}

/// Deterministic word flips in the type sections of a module, its
/// distilled base and the target: distilling and relocating must return,
/// success or error, never panic.
#[test]
fn corrupted_inputs_do_not_panic() {
    let base_raw = kernel(8, |b| {
        b.add_fwd("fw", btfscope::btf::FwdKind::Union);
    });
    let base = Btf::parse(&base_raw).unwrap();
    let module_raw = module(&base);
    let split = Btf::parse_split(&module_raw, &base).unwrap();
    let d = distill(&split).unwrap();
    let (dist_raw, dsplit_raw) = (d.base_bytes(), d.split_bytes());
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    // Header is 24 bytes; flip a word after it to a small or random value.
    let mut corrupt = |raw: &[u8]| -> Vec<u8> {
        let mut out = raw.to_vec();
        let words = (out.len() - 24) / 4;
        let at = 24 + (next() as usize % words) * 4;
        let r = next();
        let v = if r % 2 == 0 {
            (r >> 8) as u32 % 64
        } else {
            (r >> 8) as u32
        };
        out[at..at + 4].copy_from_slice(&v.to_le_bytes());
        out
    };
    for _ in 0..3000 {
        let (b, m, db, ds, t) = (
            corrupt(&base_raw),
            corrupt(&module_raw),
            corrupt(&dist_raw),
            corrupt(&dsplit_raw),
            corrupt(&base_raw),
        );
        if let Ok(b) = Btf::parse(&b) {
            if let Ok(m) = Btf::parse_split(&m, &b) {
                let _ = distill(&m);
            }
        }
        let (Ok(db), Ok(t)) = (Btf::parse(&db), Btf::parse(&t)) else {
            continue;
        };
        let Ok(index) = TargetIndex::new(&t) else {
            continue;
        };
        for s in [&ds[..], &dsplit_raw[..]] {
            if let Ok(s) = Btf::parse_split(s, &db) {
                if let Ok(r) = Relocation::new(&index, &s) {
                    let _ = r.apply(&s);
                }
            }
        }
    }
}
