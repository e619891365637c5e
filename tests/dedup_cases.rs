//! libbpf's selftest deduplication scenarios (prog_tests/btf.c "dedup:"
//! cases and btf_dedup_split.c), re-expressed as data and checked
//! byte-for-byte against libbpf 1.7. A few also state the expected shape.

#[path = "common/libbpf.rs"]
mod libbpf;
#[path = "common/rawbtf.rs"]
mod rawbtf;

use btfscope::btf::{Btf, Endian};
use btfscope::dedup::{dedup, dedup_split, dedup_with, BaseIndex, DedupRules};
use rawbtf::*;

/// Deduplicates `raw` with both; returns ours (identical to libbpf's).
fn check(case: &str, raw: &[u8]) -> Vec<u8> {
    let btf = Btf::parse(raw).unwrap_or_else(|e| panic!("{case}: parse: {e}"));
    let ours = dedup(&btf)
        .unwrap_or_else(|e| panic!("{case}: ours: {e}"))
        .to_bytes();
    let theirs = libbpf::dedup(raw, None).unwrap_or_else(|e| panic!("{case}: libbpf error {e}"));
    libbpf::compare(&ours, &theirs, None).unwrap_or_else(|e| panic!("{case}: {e}"));
    ours
}

/// Split deduplication of `split` on `base`; returns ours and its type count.
fn check_split(case: &str, base: &[u8], split: &[u8]) -> (Vec<u8>, usize) {
    let base_btf = Btf::parse(base).unwrap_or_else(|e| panic!("{case}: base: {e}"));
    let btf = Btf::parse_split(split, &base_btf).unwrap_or_else(|e| panic!("{case}: parse: {e}"));
    let index = BaseIndex::with_rules(&base_btf, DedupRules::Libbpf1_7).unwrap();
    let out = dedup_split(&index, &btf).unwrap_or_else(|e| panic!("{case}: ours: {e}"));
    // The one-shot entry point agrees with the shared index.
    assert_eq!(
        dedup_with(&btf, DedupRules::Libbpf1_7).unwrap().to_bytes(),
        out.to_bytes(),
        "{case}"
    );
    let lb = libbpf::Base::new(base).unwrap();
    let theirs =
        libbpf::dedup(split, Some(&lb)).unwrap_or_else(|e| panic!("{case}: libbpf error {e}"));
    libbpf::compare(&out.to_bytes(), &theirs, Some(&base_btf))
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    (out.to_bytes(), out.local_len())
}

fn types_of(raw: &[u8]) -> usize {
    Btf::parse(raw).unwrap().local_len()
}

#[test]
fn unused_strings_are_dropped() {
    let mut r = Raw::base();
    r.str_new("unused");
    r.int("int", 4);
    r.str_new("foo");
    r.int("long", 8);
    r.str_new("bar");
    let out = check("unused strings", &r.bytes());
    let btf = Btf::parse(&out).unwrap();
    assert_eq!(btf.string_bytes(), b"\0int\0long\0");
}

#[test]
fn duplicate_strings_merge_and_keep_first_visit_order() {
    let mut r = Raw::base();
    for name in ["long int", "int", "long int", "int"] {
        let n = r.str_new(name);
        r.add(&[n, info(INT, 0, false), 4, (1 << 24) | 32]);
    }
    // A name pointing into the middle of another string.
    let whole = r.str_new("unsigned int");
    r.add(&[whole + 9, info(INT, 0, false), 4, 32]);
    let out = check("strings dedup", &r.bytes());
    assert_eq!(types_of(&out), 3);
}

/// Two compilation units with the same struct graph (cycle through a
/// pointer), one seeing `struct s2` only as a forward declaration.
#[test]
fn struct_example_with_cycles_and_fwd() {
    let mut r = Raw::base();
    for cu in 0..3 {
        let int = r.int("int", 4);
        // ids ahead: ptr, array, [fwd,] ptr, then s1
        let s1 = r.next_id + if cu == 1 { 4 } else { 3 };
        let p_s1 = r.ptr(s1);
        let arr = r.array(int, int, 16);
        let s2 = if cu == 1 {
            r.fwd("s2", false)
        } else {
            r.next_id + 2
        };
        let p_s2 = r.ptr(s2);
        r.strukt(
            "s1",
            96,
            &[
                ("next", p_s1, 0),
                ("a", arr, 64),
                ("b", int, 576),
                ("other", p_s2, 640),
            ],
        );
        if cu != 1 {
            r.strukt("s2", 8, &[("back", p_s1, 0)]);
        }
        let c = r.refer(CONST, int);
        r.typedef("cint", c);
    }
    let out = check("struct example", &r.bytes());
    assert_eq!(types_of(&out), 8);
}

#[test]
fn fwd_resolves_to_struct_through_the_graph() {
    let mut r = Raw::base();
    let int = r.int("int", 4);
    let fx = r.fwd("x", false);
    let px = r.ptr(fx);
    r.strukt("s", 8, &[("x", px, 0)]);
    let x = r.strukt("x", 4, &[("v", int, 0)]);
    let px2 = r.ptr(x);
    r.strukt("s", 8, &[("x", px2, 0)]);
    // A union forward must not take a struct.
    let ux = r.fwd("x", true);
    r.ptr(ux);
    check("struct <-> fwd", &r.bytes());
}

#[test]
fn void_and_empty_struct_are_not_equivalent() {
    let mut r = Raw::base();
    let p_void = r.ptr(0);
    r.strukt("s", 8, &[("x", p_void, 0)]);
    let empty = r.strukt("", 0, &[]);
    let p_empty = r.ptr(empty);
    r.strukt("s", 8, &[("x", p_empty, 0)]);
    let out = check("void equiv", &r.bytes());
    assert_eq!(types_of(&out), 5);
}

#[test]
fn all_kinds_without_duplicates_are_kept() {
    let mut r = Raw::base();
    let int = r.int("int", 4);
    let p = r.ptr(int);
    let arr = r.array(int, int, 4);
    let s = r.strukt("s", 16, &[("a", int, 0), ("p", p, 64)]);
    r.composite(UNION, "u", 8, &[("a", int, 0), ("p", p, 0)]);
    r.enumeration("e", 4, &[("A", -1), ("B", 2)]);
    r.fwd("f", false);
    r.typedef("t", s);
    r.refer(VOLATILE, int);
    let c = r.refer(CONST, int);
    r.refer(RESTRICT, p);
    let proto = r.proto(int, &[("x", int), ("y", c)]);
    let f = r.func("fn", proto);
    let v = r.var("var", arr);
    r.datasec(".data", 16, &[(v, 0, 16)]);
    r.float("float", 4);
    r.decl_tag("tag", f, 0);
    r.type_tag("user", int);
    r.enum64("e64", 8, &[("BIG", 1 << 40)]);
    let raw = r.bytes();
    let out = check("all kinds", &raw);
    assert_eq!(types_of(&out), types_of(&raw));
}

#[test]
fn float_and_int_of_the_same_name_and_size_stay_apart() {
    let mut r = Raw::base();
    for _ in 0..2 {
        let i = r.int("x", 4);
        let f = r.float("x", 4);
        r.int("float", 4);
        r.float("float", 4);
        r.strukt("s", 8, &[("i", i, 0), ("f", f, 32)]);
    }
    let out = check("int/float", &r.bytes());
    assert_eq!(types_of(&out), 5);
}

#[test]
fn enum_forwards_resolve_to_full_enums() {
    let mut r = Raw::base();
    // full before forward, forward before full, and an ambiguous pair
    r.enumeration("e1", 4, &[("A", 0)]);
    let f1 = r.enumeration("e1", 4, &[]);
    r.ptr(f1);
    let f2 = r.enumeration("e2", 4, &[]);
    r.ptr(f2);
    r.enumeration("e2", 4, &[("B", 1)]);
    r.enumeration("e3", 4, &[("C", 1)]);
    r.enumeration("e3", 4, &[("C", 2)]);
    let f3 = r.enumeration("e3", 4, &[]);
    r.ptr(f3);
    check("enum fwd", &r.bytes());
}

#[test]
fn enum64_standalone_fwd_and_enum_mix() {
    let mut r = Raw::base();
    r.enum64("e", 8, &[("X", 1 << 33)]);
    r.enum64("e", 8, &[("X", 1 << 33)]);
    let f = r.enumeration("e", 4, &[]);
    r.ptr(f);
    // same values as ENUM and ENUM64: different kinds, no dedup
    r.enumeration("m", 4, &[("V", 7)]);
    r.enum64("m", 4, &[("V", 7)]);
    let n = r.str("n");
    let f64 = r.add(&[n, info(ENUM64, 0, false), 8]);
    r.ptr(f64);
    r.enumeration("n", 4, &[("W", 3)]);
    check("enum64", &r.bytes());
}

#[test]
fn vars_and_datasecs_pass_through() {
    let mut r = Raw::base();
    let int = r.int("int", 4);
    let v1 = r.var("x", int);
    let v2 = r.var("x", int);
    r.datasec(".bss", 8, &[(v1, 0, 4), (v2, 4, 4)]);
    r.datasec(".bss", 8, &[(v1, 0, 4), (v2, 4, 4)]);
    let raw = r.bytes();
    let out = check("datasec/var", &raw);
    assert_eq!(types_of(&out), types_of(&raw));
}

#[test]
fn decl_tags_on_funcs_params_vars_structs_members_typedefs() {
    let mut r = Raw::base();
    for _ in 0..2 {
        let int = r.int("int", 4);
        let proto = r.proto(int, &[("a", int), ("b", int)]);
        let f = r.func("f", proto);
        r.decl_tag("tag1", f, -1);
        r.decl_tag("tag2", f, 1);
        let v = r.var("v", int);
        r.decl_tag("tag1", v, -1);
        let s = r.strukt("s", 8, &[("m", int, 0), ("n", int, 32)]);
        r.decl_tag("tag1", s, -1);
        r.decl_tag("tag2", s, 1);
        let t = r.typedef("t", s);
        r.decl_tag("tag3", t, -1);
    }
    check("decl tags", &r.bytes());
}

#[test]
fn type_tags_in_chains() {
    let mut r = Raw::base();
    for order in [["a", "b"], ["a", "b"], ["b", "a"]] {
        let int = r.int("int", 4);
        let t1 = r.type_tag(order[0], int);
        let t2 = r.type_tag(order[1], t1);
        let p = r.ptr(t2);
        r.strukt("s", 8, &[("p", p, 0)]);
        let c = r.refer(CONST, t2);
        r.ptr(c);
    }
    check("type tags", &r.bytes());
}

#[test]
fn standalone_forwards_resolve_only_when_unambiguous() {
    let mut r = Raw::base();
    let int = r.int("int", 4);
    let f = r.fwd("foo", false);
    r.ptr(f);
    r.strukt("foo", 4, &[("u", int, 0)]);
    let g = r.fwd("bar", true);
    r.ptr(g);
    r.composite(UNION, "bar", 4, &[("u", int, 0)]);
    // two different structs named baz: the forward stays
    let h = r.fwd("baz", false);
    r.ptr(h);
    r.strukt("baz", 4, &[("u", int, 0)]);
    r.strukt("baz", 4, &[("w", int, 0)]);
    // kind mismatch: a union forward and a struct
    let k = r.fwd("qux", true);
    r.ptr(k);
    r.strukt("qux", 4, &[("u", int, 0)]);
    check("standalone fwd", &r.bytes());
}

#[test]
fn typedefs_including_recursive_ones() {
    let mut r = Raw::base();
    for _ in 0..2 {
        let int = r.int("int", 4);
        r.typedef("t", int);
        // Go-style: a typedef of a pointer to itself
        let me = r.next_id;
        let p = r.ptr(me + 1);
        r.typedef("rec", p);
        // typedef of a struct that points back through the typedef
        let s = r.next_id + 2;
        let td = r.typedef("node_t", s);
        let p2 = r.ptr(td);
        r.strukt("node", 8, &[("next", p2, 0)]);
    }
    // same name, different target: both stay
    let long = r.int("long", 8);
    r.typedef("t", long);
    check("typedefs", &r.bytes());
}

/// The compiler can emit identical types twice in one unit (e.g. two
/// identical anonymous structs or arrays); libbpf accepts them as one.
#[test]
fn duplicated_identical_types_within_a_unit() {
    let mut r = Raw::base();
    for _ in 0..2 {
        let int = r.int("int", 4);
        let a1 = r.strukt("", 4, &[("a", int, 0)]);
        let a2 = r.strukt("", 4, &[("a", int, 0)]);
        let arr1 = r.array(int, int, 2);
        let arr2 = r.array(int, int, 2);
        r.strukt(
            "s",
            24,
            &[
                ("x", a1, 0),
                ("y", a2, 32),
                ("v", arr1, 64),
                ("w", arr2, 128),
            ],
        );
    }
    check("identical types", &r.bytes());
}

#[test]
fn split_simple() {
    let mut b = Raw::base();
    let int = b.int("int", 4);
    let p = b.ptr(int);
    b.strukt("s1", 8, &[("f1", p, 0)]);
    let base = b.bytes();
    let mut s = Raw::split(b.next_id, b.strings.len() as u32);
    let int2 = s.int("int", 4);
    let p2 = s.ptr(int2);
    s.strukt("s1", 8, &[("f1", p2, 0)]);
    s.strukt("s2", 4, &[("f2", int2, 0)]);
    let (_, n) = check_split("split simple", &base, &s.bytes());
    assert_eq!(n, 1);
}

/// A base FWD that the split BTF defines: the split struct stays, and split
/// references to the base FWD move to it.
#[test]
fn split_fwd_resolve() {
    let mut b = Raw::base();
    let int = b.int("int", 4);
    let f = b.fwd("s2", false);
    let pf = b.ptr(f);
    b.strukt("s1", 8, &[("f1", pf, 0)]);
    let base = b.bytes();
    let mut s = Raw::split(b.next_id, b.strings.len() as u32);
    let s2 = s.next_id + 2;
    let p2 = s.ptr(s2);
    s.strukt("s1", 8, &[("f1", p2, 0)]);
    s.strukt("s2", 4, &[("f", int, 0)]);
    s.ptr(f);
    check_split("split fwd resolve", &base, &s.bytes());
}

#[test]
fn split_struct_duplicated_with_forwards() {
    let mut b = Raw::base();
    let int = b.int("int", 4);
    let s1 = b.next_id + 1;
    let p1 = b.ptr(s1);
    b.strukt("s1", 16, &[("next", p1, 0), ("v", int, 64)]);
    let base = b.bytes();
    let mut s = Raw::split(b.next_id, b.strings.len() as u32);
    let f = s.fwd("s1", false);
    let pf = s.ptr(f);
    s.strukt("s1", 16, &[("next", pf, 0), ("v", int, 64)]);
    s.strukt("s3", 8, &[("p", pf, 0)]);
    check_split("split struct duplicated", &base, &s.bytes());
}

/// Two identical anonymous structs inside one struct, duplicated in a split
/// BTF whose base has the (deduplicated) original: all of it folds onto
/// the base.
#[test]
fn split_duplicate_anonymous_structs_collapse_onto_base() {
    let shape = |r: &mut Raw| {
        let int = r.int("int", 4);
        let a = r.strukt("", 8, &[("a", int, 0), ("b", int, 32)]);
        let b = r.strukt("", 8, &[("a", int, 0), ("b", int, 32)]);
        r.strukt("s", 16, &[("x", a, 0), ("y", b, 64)]);
    };
    let mut b = Raw::base();
    shape(&mut b);
    let base = check("dup anon base", &b.bytes());
    let base_btf = Btf::parse(&base).unwrap();
    let mut s = Raw::split(base_btf.type_count(), base_btf.string_bytes().len() as u32);
    shape(&mut s);
    let (_, n) = check_split("dup anon split", &base, &s.bytes());
    assert_eq!(n, 0, "everything maps to the base");
}

/// libbpf 1.7 indexes base typedefs under a hash its typedef lookup never
/// uses, so a split typedef identical to a base one stays in the split BTF.
#[test]
fn split_typedef_identical_to_base_stays_as_in_libbpf_1_7() {
    let mut b = Raw::base();
    let int = b.int("int", 4);
    b.typedef("u32_t", int);
    let base = b.bytes();
    let mut s = Raw::split(b.next_id, b.strings.len() as u32);
    let t = s.typedef("u32_t", int);
    s.ptr(t);
    let (_, n) = check_split("split typedef", &base, &s.bytes());
    assert_eq!(n, 2);
    // Current libbpf (our default) merges the typedef, and so the pointer,
    // into the base: a deliberate difference from 1.7, see docs/DEDUP.md.
    let base_btf = Btf::parse(&base).unwrap();
    let split = s.bytes();
    let btf = Btf::parse_split(&split, &base_btf).unwrap();
    let current = dedup(&btf).unwrap();
    assert_eq!(current.local_len(), 1, "only the pointer stays");
    let ptr = current.type_by_id(current.start_id()).unwrap();
    assert_eq!(ptr.size_or_type(), t - 1, "it points at the base's typedef");
}

#[test]
fn split_enum_forward_in_base_taken_over_by_split_enum() {
    let mut b = Raw::base();
    let f = b.enumeration("e", 4, &[]);
    b.ptr(f);
    let base = b.bytes();
    let mut s = Raw::split(b.next_id, b.strings.len() as u32);
    s.enumeration("e", 4, &[("A", 1)]);
    s.ptr(f);
    check_split("split enum fwd", &base, &s.bytes());
}

#[test]
fn split_strings_found_in_base_are_reused() {
    let mut b = Raw::base();
    b.int("int", 4);
    b.str_new("name");
    let base = b.bytes();
    let mut s = Raw::split(b.next_id, b.strings.len() as u32);
    s.int("int", 4);
    s.int("name", 8);
    s.int("fresh", 2);
    let (out, _) = check_split("split strings", &base, &s.bytes());
    let base_btf = Btf::parse(&base).unwrap();
    assert_eq!(
        Btf::parse_split(&out, &base_btf).unwrap().string_bytes(),
        b"fresh\0"
    );
}

/// Big-endian BTF is deduplicated in its own byte order, as libbpf does.
#[test]
fn big_endian_input_stays_big_endian() {
    let mut r = Raw::base();
    for _ in 0..2 {
        let int = r.int("int", 4);
        let s = r.next_id + 1;
        let p = r.ptr(s);
        r.strukt("s", 16, &[("next", p, 0), ("v", int, 64)]);
    }
    let big = Btf::parse(&r.bytes()).unwrap().to_bytes_in(Endian::Big);
    let out = check("big endian", &big);
    assert_eq!(Btf::parse(&out).unwrap().endian(), Endian::Big);
}

// Deliberate differences from libbpf 1.7, all on malformed input
// (docs/DEDUP.md). libbpf is not run on these.

/// A loop made of reference types only (typedef → pointer → typedef, twice
/// in one unit, met before either is deduplicated) sends libbpf 1.7's
/// identical-types check round the loop forever; ours gives up after
/// visiting every id once and keeps the struct apart.
#[test]
fn deviation_reference_loop_terminates() {
    let recursive_typedef = |r: &mut Raw| {
        let t = r.next_id;
        r.typedef("T", t + 1);
        r.ptr(t);
        t
    };
    let mut r = Raw::base();
    let t1 = r.next_id + 1;
    r.strukt("s", 16, &[("a", t1, 0), ("b", t1, 64)]);
    recursive_typedef(&mut r);
    // The second struct comes before its two copies of T.
    let s2 = r.next_id;
    r.strukt("s", 16, &[("a", s2 + 1, 0), ("b", s2 + 3, 64)]);
    recursive_typedef(&mut r);
    recursive_typedef(&mut r);
    let raw = r.bytes();
    let out = dedup(&Btf::parse(&raw).unwrap()).unwrap();
    assert_eq!(out.local_len(), 4, "s, T, *T and the second s");
}

/// More than 65535 members: libbpf 1.7 reads vlen as 16 bits and would
/// misread the record; ours refuses.
#[test]
fn deviation_vlen_above_16_bits_is_refused() {
    let mut r = Raw::base();
    let int = r.int("int", 4);
    let n = 0x1_0000u32;
    let mut w = vec![0, info(STRUCT, n, false), 4];
    for _ in 0..n {
        w.extend_from_slice(&[0, int, 0]);
    }
    r.add(&w);
    let err = dedup(&Btf::parse(&r.bytes()).unwrap()).unwrap_err();
    assert_eq!(err.kind, btfscope::ErrorKind::Limit);
    // After the 24-byte header and the 16-byte INT.
    assert_eq!(err.offset, Some(24 + 16), "{err}");
}

/// A FWD's unused type word is not validated by parsers, but libbpf remaps
/// it; out of range, libbpf would read past its tables. Ours refuses.
#[test]
fn deviation_fwd_with_out_of_range_type_word_is_refused() {
    let mut r = Raw::base();
    let n = r.str("f");
    r.add(&[n, info(FWD, 0, false), 1000]);
    let err = dedup(&Btf::parse(&r.bytes()).unwrap()).unwrap_err();
    assert_eq!(err.kind, btfscope::ErrorKind::BadTypeId);
}

/// A type section that does not start right after the header: libbpf 1.7
/// keeps the input's type_off in its output header while writing the types
/// right after it. Ours writes a consistent header (type_off 0), and the
/// result equals the deduplication of the same BTF laid out normally.
#[test]
fn deviation_type_section_offset_is_normalised() {
    let mut r = Raw::base();
    for _ in 0..2 {
        r.int("int", 4);
    }
    let normal = r.bytes();
    let mut gapped = normal.clone();
    // type_off 4, str_off + 4, and four padding bytes before the types.
    gapped[8..12].copy_from_slice(&4u32.to_le_bytes());
    let str_off = u32::from_le_bytes(gapped[16..20].try_into().unwrap()) + 4;
    gapped[16..20].copy_from_slice(&str_off.to_le_bytes());
    gapped.splice(24..24, [0u8; 4]);
    let ours = dedup(&Btf::parse(&gapped).unwrap()).unwrap().to_bytes();
    assert_eq!(ours, check("normal layout", &normal));
}

/// One index serves every module on every thread.
#[test]
fn base_index_is_send_and_sync() {
    fn shared<T: Send + Sync>() {}
    shared::<BaseIndex>();
}

#[test]
fn built_btf_with_a_dangling_id_is_an_error_not_a_panic() {
    let mut b = btfscope::btf::BtfBuilder::new();
    let s = b.add_struct("s", 8);
    b.add_field("p", s + 7, 0, 0).unwrap();
    let err = dedup(&b.finish()).unwrap_err();
    assert_eq!(err.kind, btfscope::ErrorKind::BadTypeId, "{err}");
    assert!(err.to_string().contains("refers to type id 8"), "{err}");
}
