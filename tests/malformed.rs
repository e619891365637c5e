//! Malformed input: every corruption must give its specific error (kind,
//! byte offset, plain-words message), never a panic. Inputs are built with
//! `BtfBuilder`, serialized, then corrupted at precisely computed offsets.

use std::fmt::Debug;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::Command;

use btfscope::btf::build::info;
use btfscope::btf::dump::{dump, DumpFormat};
use btfscope::btf::kind::{INT_SIGNED, TYPE_HEADER_LEN};
use btfscope::btf::{Btf, BtfBuilder, Endian, FwdKind, Header, Kind, TypeId};

use btfscope::intake::{output_limit, Codec, Input, Layer};
use btfscope::{Error, ErrorKind, Result};

// Ids of the fixture's types, one per kind, so corruptions name what they hit.
const INT: TypeId = 1;
const PTR: TypeId = 2;
const ARRAY: TypeId = 3;
const STRUCT: TypeId = 4;
const UNION: TypeId = 5;
const ENUM: TypeId = 6;
const FWD: TypeId = 7;
const TYPEDEF: TypeId = 8;
const VOLATILE: TypeId = 9;
const CONST: TypeId = 10;
const RESTRICT: TypeId = 11;
const PROTO: TypeId = 12;
const FUNC: TypeId = 13;
const VAR: TypeId = 14;
const DATASEC: TypeId = 15;
const FLOAT: TypeId = 16;
const DECL_TAG: TypeId = 17;
const TYPE_TAG: TypeId = 18;
const ENUM64: TypeId = 19;

// Split fixture ids continue after the base's.
const SPLIT_PTR: TypeId = 20;
const SPLIT_STRUCT: TypeId = 21;
const SPLIT_PROTO: TypeId = 22;

/// A kind number this version does not know, described by the layout section.
const NEW_KIND: u8 = 20;
/// Its layout: one info word, two words per vlen element.
const NEW_KIND_INFO: u8 = 4;
const NEW_KIND_ELEM: u8 = 8;

/// A base BTF with every kind.
fn base() -> Btf<'static> {
    let mut b = BtfBuilder::new();
    assert_eq!(b.add_int("int", 4, INT_SIGNED), INT);
    assert_eq!(b.add_ptr(STRUCT), PTR);
    assert_eq!(b.add_array(INT, INT, 4), ARRAY);
    assert_eq!(b.add_struct("s", 24), STRUCT);
    b.add_field("a", INT, 0, 0).unwrap();
    b.add_field("next", PTR, 64, 0).unwrap();
    b.add_field("bits", INT, 128, 3).unwrap();
    assert_eq!(b.add_union("u", 4), UNION);
    b.add_field("x", INT, 0, 0).unwrap();
    assert_eq!(b.add_enum("e", 4), ENUM);
    b.add_enum_value("E_A", 0).unwrap();
    b.add_enum_value("E_B", -1).unwrap();
    assert_eq!(b.add_fwd("fwd", FwdKind::Struct), FWD);
    assert_eq!(b.add_typedef("s_t", STRUCT), TYPEDEF);
    assert_eq!(b.add_volatile(INT), VOLATILE);
    assert_eq!(b.add_const(VOLATILE), CONST);
    assert_eq!(b.add_restrict(PTR), RESTRICT);
    assert_eq!(b.add_func_proto(INT), PROTO);
    b.add_func_param("p", PTR).unwrap();
    b.add_func_param("n", INT).unwrap();
    assert_eq!(b.add_func("f", 1, PROTO), FUNC);
    assert_eq!(b.add_var("v", 1, ARRAY), VAR);
    assert_eq!(b.add_datasec(".data", 16), DATASEC);
    b.add_datasec_var_info(VAR, 0, 16).unwrap();
    assert_eq!(b.add_float("double", 8), FLOAT);
    assert_eq!(b.add_decl_tag("tag", STRUCT, 1), DECL_TAG);
    assert_eq!(b.add_type_tag("user", INT), TYPE_TAG);
    assert_eq!(b.add_enum64("e64", 8, false), ENUM64);
    b.add_enum64_value("BIG", 1 << 40).unwrap();
    b.finish()
}

/// A split BTF on `base`: its ids and string offsets continue the base's.
fn split<'a>(base: &'a Btf<'a>) -> Btf<'a> {
    let mut b = BtfBuilder::new_split(base);
    assert_eq!(b.add_ptr(SPLIT_STRUCT), SPLIT_PTR);
    assert_eq!(b.add_struct("split_s", 16), SPLIT_STRUCT);
    b.add_field("next", SPLIT_PTR, 0, 0).unwrap();
    b.add_field("only_in_split", STRUCT, 64, 0).unwrap();
    assert_eq!(b.add_func_proto(INT), SPLIT_PROTO);
    b.add_func_param("s", SPLIT_PTR).unwrap();
    b.add_func("split_fn", 1, SPLIT_PROTO);
    b.finish()
}

/// A BTF blob taken apart, to be put back together with changes.
#[derive(Clone)]
struct Parts {
    endian: Endian,
    hdr_len: u32,
    types: Vec<u8>,
    layout: Vec<u8>,
    strings: Vec<u8>,
}

impl Parts {
    fn of(btf: &Btf, endian: Endian) -> Parts {
        let data = btf.to_bytes_in(endian);
        let h = Header::parse(&data).unwrap();
        Parts {
            endian,
            hdr_len: h.hdr_len,
            types: data[h.types_start()..][..h.type_len as usize].to_vec(),
            layout: data[h.layout_start()..][..h.layout_len as usize].to_vec(),
            strings: data[h.strings_start()..][..h.str_len as usize].to_vec(),
        }
    }

    /// Header, types, layout, strings, each right after the other.
    fn bytes(&self) -> Vec<u8> {
        let (types, layout) = (self.types.len() as u32, self.layout.len() as u32);
        let mut words = vec![
            self.hdr_len,
            0,
            types,
            types + layout,
            self.strings.len() as u32,
        ];
        if self.hdr_len >= 32 {
            words.extend([if layout > 0 { types } else { 0 }, layout]);
        }
        let mut out = self.endian.u16_bytes(0xeb9f).to_vec();
        out.extend([1, 0]);
        for w in words {
            out.extend(self.endian.u32_bytes(w));
        }
        out.resize(self.hdr_len as usize, 0);
        out.extend(&self.types);
        out.extend(&self.layout);
        out.extend(&self.strings);
        out
    }

    /// Adds a layout section describing kinds 0..=NEW_KIND.
    fn with_layout(mut self) -> Parts {
        self.hdr_len = 32;
        self.layout = layout_section(self.endian);
        self
    }

    /// Adds the layout section, and a record of NEW_KIND (vlen 2) followed
    /// by a PTR, so skipping the unknown record must land exactly.
    fn with_new_kind(self) -> Parts {
        let mut p = self.with_layout();
        // Header, then one info word and two 2-word elements of opaque data.
        let unknown = p.word_bytes(&[0, (NEW_KIND as u32) << 24 | 2, 0, 1, 2, 3, 4, 5]);
        let ptr = p.word_bytes(&[0, info(Kind::Ptr, 0, false), INT]);
        p.types.extend(unknown.into_iter().chain(ptr));
        p
    }

    fn word_bytes(&self, words: &[u32]) -> Vec<u8> {
        words
            .iter()
            .flat_map(|&w| self.endian.u32_bytes(w))
            .collect()
    }
}

/// Layout entries for kinds 0..=NEW_KIND: info_sz, elem_sz, flags (u16).
fn layout_section(endian: Endian) -> Vec<u8> {
    (0..=NEW_KIND)
        .flat_map(|k| {
            let (info_sz, elem_sz) = match Kind::from_raw(k) {
                Some(kind) => (kind.layout().info_size as u8, kind.layout().elem_size as u8),
                None if k == NEW_KIND => (NEW_KIND_INFO, NEW_KIND_ELEM),
                None => (0, 0),
            };
            let mut e = vec![info_sz, elem_sz];
            e.extend(endian.u16_bytes(0));
            e
        })
        .collect()
}

/// Absolute offset of type `id`'s record in `btf.to_bytes()`.
fn rec(btf: &Btf, id: TypeId) -> usize {
    let h = btf.header();
    let before: usize = btf
        .local_types()
        .take_while(|t| t.id < id)
        .map(|t| t.bytes().len())
        .sum();
    h.hdr_len as usize + before
}

fn put(data: &mut [u8], off: usize, endian: Endian, v: u32) {
    data[off..off + 4].copy_from_slice(&endian.u32_bytes(v));
}

fn get(data: &[u8], off: usize, endian: Endian) -> u32 {
    endian.u32_at(data, off)
}

/// Checks an error's kind, offset and message, and that Display shows the offset.
#[track_caller]
fn expect_err<T: Debug>(r: Result<T>, kind: ErrorKind, offset: u64, phrase: &str) -> Error {
    let e = r.expect_err("corrupt input must not parse");
    assert_eq!(e.kind, kind, "{e}");
    assert_eq!(e.offset, Some(offset), "{e}");
    assert!(
        e.message.contains(phrase),
        "message {:?} lacks {phrase:?}",
        e.message
    );
    assert!(
        e.to_string().ends_with(&format!("(at offset {offset:#x})")),
        "{e}"
    );
    e
}

/// Parses a base-BTF blob that was corrupted by `f`.
fn corrupt(endian: Endian, f: impl FnOnce(&mut Vec<u8>)) -> Result<usize> {
    let mut data = base().to_bytes_in(endian);
    f(&mut data);
    Btf::parse(&data).map(|b| b.local_len())
}

const BOTH: [Endian; 2] = [Endian::Little, Endian::Big];

// ---------------------------------------------------------------- header

#[test]
fn valid_fixtures_parse() {
    let b = base();
    for endian in BOTH {
        let data = b.to_bytes_in(endian);
        let parsed = Btf::parse(&data).unwrap();
        assert_eq!(parsed.type_count(), ENUM64 + 1);
        assert_eq!(parsed.to_bytes(), data);
        let kinds: Vec<_> = parsed.local_types().map(|t| t.kind().unwrap()).collect();
        assert_eq!(kinds.len(), Kind::ALL.len());
        assert!(Kind::ALL.iter().all(|k| kinds.contains(k)));
    }
}

#[test]
fn truncated_header() {
    let data = base().to_bytes();
    for len in [0, 1, 2, 4, 12, 23] {
        let e = expect_err(
            Btf::parse(&data[..len]),
            ErrorKind::Truncated,
            0,
            "needs 24 bytes",
        );
        assert!(e.message.contains(&format!("only {len} present")), "{e}");
    }
}

#[test]
fn bad_magic() {
    let r = corrupt(Endian::Little, |d| d[1] = 0xec);
    expect_err(r, ErrorKind::BadMagic, 0, "bad BTF magic 9f ec");
}

#[test]
fn bad_version() {
    for endian in BOTH {
        let r = corrupt(endian, |d| d[2] = 2);
        expect_err(r, ErrorKind::BadHeader, 2, "unsupported BTF version 2");
    }
}

#[test]
fn unknown_flags() {
    let r = corrupt(Endian::Little, |d| d[3] = 0x80);
    expect_err(r, ErrorKind::BadHeader, 3, "unknown BTF header flags 0x80");
}

#[test]
fn header_length_below_minimum() {
    let r = corrupt(Endian::Big, |d| put(d, 4, Endian::Big, 20));
    expect_err(
        r,
        ErrorKind::BadHeader,
        4,
        "header length 20 is below the minimum 24",
    );
}

#[test]
fn header_length_past_end() {
    let r = corrupt(Endian::Little, |d| {
        let len = d.len() as u32 + 1;
        put(d, 4, Endian::Little, len)
    });
    expect_err(r, ErrorKind::Truncated, 4, "exceeds the");
}

#[test]
fn longer_header_must_be_zero_beyond_known_fields() {
    let mut parts = Parts::of(&base(), Endian::Little);
    parts.hdr_len = 40;
    let mut data = parts.bytes();
    Btf::parse(&data).expect("zeroed header tail is fine");
    data[37] = 1;
    expect_err(
        Btf::parse(&data),
        ErrorKind::BadHeader,
        37,
        "unknown non-zero header data",
    );
    // Between the classic 24 and the layout 32, too.
    parts.hdr_len = 28;
    let mut data = parts.bytes();
    data[25] = 7;
    expect_err(
        Btf::parse(&data),
        ErrorKind::BadHeader,
        25,
        "unknown non-zero header data",
    );
}

#[test]
fn type_section_unaligned() {
    let r = corrupt(Endian::Little, |d| put(d, 8, Endian::Little, 2));
    expect_err(
        r,
        ErrorKind::BadHeader,
        8,
        "type section offset 2 is not 4-byte aligned",
    );
    let r = corrupt(Endian::Big, |d| {
        let len = get(d, 12, Endian::Big);
        put(d, 12, Endian::Big, len - 2)
    });
    expect_err(r, ErrorKind::BadHeader, 12, "is not a multiple of 4");
}

#[test]
fn type_section_overlaps_strings() {
    let r = corrupt(Endian::Little, |d| {
        let len = get(d, 12, Endian::Little);
        put(d, 12, Endian::Little, len + 4)
    });
    expect_err(r, ErrorKind::OutOfRange, 8, "overlaps");
}

#[test]
fn type_section_past_end() {
    let r = corrupt(Endian::Little, |d| put(d, 12, Endian::Little, 0x1000_0000));
    expect_err(
        r,
        ErrorKind::OutOfRange,
        8,
        "type section 0+268435456 runs past",
    );
}

#[test]
fn string_section_past_end() {
    for endian in BOTH {
        let r = corrupt(endian, |d| {
            let len = get(d, 20, endian);
            put(d, 20, endian, len + 1)
        });
        expect_err(r, ErrorKind::OutOfRange, 16, "runs past the");
        let r = corrupt(endian, |d| put(d, 16, endian, u32::MAX));
        expect_err(r, ErrorKind::OutOfRange, 16, "runs past the");
    }
}

// --------------------------------------------------------------- strings

#[test]
fn string_section_empty() {
    let mut parts = Parts::of(&base(), Endian::Little);
    parts.strings.clear();
    let at = parts.hdr_len as usize + parts.types.len();
    expect_err(
        Btf::parse(&parts.bytes()),
        ErrorKind::BadStrings,
        at as u64,
        "string section is empty",
    );
}

#[test]
fn string_section_not_nul_terminated() {
    let mut parts = Parts::of(&base(), Endian::Big);
    *parts.strings.last_mut().unwrap() = b'x';
    let data = parts.bytes();
    let last = data.len() as u64 - 1;
    expect_err(
        Btf::parse(&data),
        ErrorKind::BadStrings,
        last,
        "not NUL-terminated",
    );
}

#[test]
fn split_without_base_is_missing_base() {
    let b = base();
    let data = split(&b).to_bytes();
    let at = Header::parse(&data).unwrap().strings_start() as u64;
    let e = expect_err(
        Btf::parse(&data),
        ErrorKind::MissingBase,
        at,
        "give its base BTF",
    );
    assert!(
        e.message.contains("does not start with an empty string"),
        "{e}"
    );
}

#[test]
fn name_offset_past_strings() {
    let b = base();
    for endian in BOTH {
        let data = b.to_bytes_in(endian);
        let end = Header::parse(&data).unwrap().str_len;
        // The type's own name, and an element's name (second STRUCT member).
        for (id, word) in [
            (STRUCT, 0),
            (STRUCT, 6),
            (ENUM, 3),
            (PROTO, 5),
            (ENUM64, 3),
            (FUNC, 0),
        ] {
            let at = rec(&b, id) + word * 4;
            let mut d = data.clone();
            put(&mut d, at, endian, end);
            let e = expect_err(
                Btf::parse(&d),
                ErrorKind::BadStringOffset,
                at as u64,
                "is outside the strings",
            );
            assert!(e.message.contains(&format!("name offset {end}")), "{e}");
        }
    }
}

// ----------------------------------------------------------------- types

/// Every word that holds a type id, in every kind that has one.
const TYPE_REF_WORDS: [(TypeId, usize); 17] = [
    (PTR, 2),
    (ARRAY, 3),
    (ARRAY, 4),
    (STRUCT, 4),
    (STRUCT, 7),
    (UNION, 4),
    (TYPEDEF, 2),
    (VOLATILE, 2),
    (CONST, 2),
    (RESTRICT, 2),
    (PROTO, 2),
    (PROTO, 6),
    (FUNC, 2),
    (VAR, 2),
    (DATASEC, 3),
    (DECL_TAG, 2),
    (TYPE_TAG, 2),
];

#[test]
fn type_id_past_end_in_every_referring_kind() {
    let b = base();
    for endian in BOTH {
        let data = b.to_bytes_in(endian);
        for (id, word) in TYPE_REF_WORDS {
            let at = rec(&b, id) + word * 4;
            let mut d = data.clone();
            put(&mut d, at, endian, ENUM64 + 1);
            let e = expect_err(
                Btf::parse(&d),
                ErrorKind::BadTypeId,
                at as u64,
                "refers to type id 20",
            );
            assert!(e.message.contains(&format!("type [{id}]")), "{e}");
            assert!(e.message.contains("the last id is 19"), "{e}");
        }
    }
}

#[test]
fn func_not_pointing_at_func_proto() {
    let b = base();
    let at = rec(&b, FUNC) + 8;
    for target in [INT, 0] {
        let r = corrupt(Endian::Little, |d| put(d, at, Endian::Little, target));
        expect_err(
            r,
            ErrorKind::BadType,
            at as u64,
            "which is not a FUNC_PROTO",
        );
    }
}

#[test]
fn vlen_runs_past_type_section() {
    let b = base();
    for endian in BOTH {
        for id in [STRUCT, ENUM64] {
            let at = rec(&b, id);
            let kind = b.type_by_id(id).unwrap().kind().unwrap();
            let r = corrupt(endian, |d| {
                put(d, at + 4, endian, info(kind, 0xff_ffff, false))
            });
            let e = expect_err(
                r,
                ErrorKind::OutOfRange,
                at as u64,
                "with vlen 16777215) needs",
            );
            assert!(e.message.contains("left in the type section"), "{e}");
        }
    }
}

#[test]
fn record_truncated_mid_header() {
    let mut parts = Parts::of(&base(), Endian::Little);
    let at = parts.hdr_len as usize + parts.types.len();
    parts
        .types
        .extend(parts.word_bytes(&[0, info(Kind::Ptr, 0, false)]));
    let e = expect_err(
        Btf::parse(&parts.bytes()),
        ErrorKind::Truncated,
        at as u64,
        "needs 12 bytes",
    );
    assert!(e.message.contains("type [20]"), "{e}");
}

#[test]
fn unknown_kind_without_layout() {
    let b = base();
    for endian in BOTH {
        let at = rec(&b, FLOAT) + 4;
        let r = corrupt(endian, |d| put(d, at, endian, (NEW_KIND as u32) << 24));
        expect_err(
            r,
            ErrorKind::UnknownKind,
            at as u64,
            "unknown kind 20 and no layout section",
        );
    }
}

// ---------------------------------------------------------------- layout

#[test]
fn unknown_kind_with_layout_is_skipped() {
    for endian in BOTH {
        let data = Parts::of(&base(), endian).with_new_kind().bytes();
        let btf = Btf::parse(&data).unwrap();
        assert_eq!(btf.type_count(), ENUM64 + 3);
        let unknown = btf.type_by_id(ENUM64 + 1).unwrap();
        assert_eq!(
            (unknown.kind(), unknown.kind_raw(), unknown.vlen()),
            (None, NEW_KIND, 2)
        );
        assert_eq!(unknown.bytes().len(), TYPE_HEADER_LEN + 4 + 2 * 8);
        let after = btf.type_by_id(ENUM64 + 2).unwrap();
        assert_eq!((after.kind(), after.size_or_type()), (Some(Kind::Ptr), INT));
        let mut out = Vec::new();
        dump(&btf, DumpFormat::Raw, &mut out).unwrap();
        assert!(String::from_utf8(out)
            .unwrap()
            .contains("[20] UNKNOWN '(anon)'"));
        assert_eq!(btf.to_bytes(), data);
    }
}

#[test]
fn split_uses_base_layout() {
    let base_data = Parts::of(&base(), Endian::Little).with_layout().bytes();
    let base_btf = Btf::parse(&base_data).unwrap();
    let mut parts = Parts::of(&split(&base()), Endian::Little);
    let at = parts.hdr_len as usize + parts.types.len();
    parts
        .types
        .extend(parts.word_bytes(&[0, (NEW_KIND as u32) << 24 | 1, 7, 8, 9, 10]));
    let data = parts.bytes();
    let btf = Btf::parse_split(&data, &base_btf).unwrap();
    let last = btf.type_by_id(btf.type_count() - 1).unwrap();
    assert_eq!((last.kind_raw(), last.bytes().len()), (NEW_KIND, 24));
    // The same split on a base without layout cannot know the kind.
    let plain = base();
    expect_err(
        Btf::parse_split(&data, &plain),
        ErrorKind::UnknownKind,
        at as u64 + 4,
        "unknown kind 20",
    );
}

#[test]
fn layout_section_misaligned() {
    let data = Parts::of(&base(), Endian::Little).with_new_kind().bytes();
    let mut d = data.clone();
    let off = get(&d, 24, Endian::Little);
    put(&mut d, 24, Endian::Little, off + 2);
    expect_err(
        Btf::parse(&d),
        ErrorKind::BadHeader,
        24,
        "is not 4-byte aligned",
    );
    let mut d = data;
    let len = get(&d, 28, Endian::Little);
    put(&mut d, 28, Endian::Little, len - 2);
    expect_err(
        Btf::parse(&d),
        ErrorKind::BadHeader,
        24,
        "is not 4-byte aligned",
    );
}

#[test]
fn layout_section_out_of_place() {
    let data = Parts::of(&base(), Endian::Big).with_new_kind().bytes();
    let layout_off = get(&data, 24, Endian::Big);
    // Inside the types, and running into the strings.
    for off in [layout_off - 4, layout_off + 4] {
        let mut d = data.clone();
        put(&mut d, 24, Endian::Big, off);
        expect_err(
            Btf::parse(&d),
            ErrorKind::OutOfRange,
            24,
            "must lie between types",
        );
    }
}

#[test]
fn layout_entry_with_odd_sizes() {
    let mut parts = Parts::of(&base(), Endian::Little).with_new_kind();
    let at = rec(&Btf::parse(&parts.bytes()).unwrap(), ENUM64 + 1) + 4;
    parts.layout[NEW_KIND as usize * 4] = 3;
    let data = parts.bytes();
    expect_err(
        Btf::parse(&data),
        ErrorKind::BadHeader,
        at as u64,
        "layout of kind 20",
    );
}

// ----------------------------------------------------------------- split

#[test]
fn split_ids_and_strings_continue_the_base() {
    let b = base();
    let s = split(&b);
    assert_eq!(
        (s.start_id(), s.start_str_off()),
        (ENUM64 + 1, b.string_bytes().len() as u32)
    );
    for endian in BOTH {
        let data = s.to_bytes_in(endian);
        let b_data = b.to_bytes_in(endian);
        let b2 = Btf::parse(&b_data).unwrap();
        let parsed = Btf::parse_split(&data, &b2).unwrap();
        assert_eq!(parsed.type_count(), SPLIT_PROTO + 2);
        // A split name offset past its own strings.
        let end = s.start_str_off() + s.string_bytes().len() as u32;
        let at = rec(&s, SPLIT_STRUCT);
        let mut d = data.clone();
        put(&mut d, at, endian, end);
        let e = expect_err(
            Btf::parse_split(&d, &b2),
            ErrorKind::BadStringOffset,
            at as u64,
            "outside the strings",
        );
        assert!(e.message.contains(&format!("(end {end})")), "{e}");
        // A name pointing into the base's strings is fine.
        put(&mut d, at, endian, 1);
        let ok = Btf::parse_split(&d, &b2).unwrap();
        assert_eq!(
            ok.name(ok.type_by_id(SPLIT_STRUCT).unwrap().name_off()),
            "int"
        );
        // A type id past the split's last.
        let at = rec(&s, SPLIT_STRUCT) + 16;
        let mut d = data.clone();
        put(&mut d, at, endian, SPLIT_PROTO + 2);
        let e = expect_err(
            Btf::parse_split(&d, &b2),
            ErrorKind::BadTypeId,
            at as u64,
            "refers to type id 24",
        );
        assert!(e.message.contains("the last id is 23"), "{e}");
    }
}

#[test]
fn split_with_empty_strings_needs_base() {
    let b = base();
    let mut sb = BtfBuilder::new_split(&b);
    sb.add_ptr(STRUCT);
    let data = sb.finish().to_bytes();
    Btf::parse_split(&data, &b).expect("a split may have no strings of its own");
    let at = Header::parse(&data).unwrap().strings_start() as u64;
    expect_err(
        Btf::parse(&data),
        ErrorKind::BadStrings,
        at,
        "string section is empty",
    );
}

// ---------------------------------------------------------------- intake

/// A path for a scratch file, unique to this test process.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("btfscope-malformed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Runs a command-line tool and returns its stdout; `None`, with a note, when
/// the tool is not installed, so the test is skipped rather than failed.
fn tool(program: &str, args: &[&str]) -> Option<Vec<u8>> {
    match Command::new(program).args(args).output() {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            eprintln!("note: {program} is not installed, skipping");
            None
        }
        Err(e) => panic!("{program}: {e}"),
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{program} {args:?} failed: {stderr}");
            Some(out.stdout)
        }
    }
}

/// An ELF object (from `cc -c`) carrying `btf` as its .BTF section, or no
/// .BTF at all.
fn elf_object(name: &str, btf: Option<&[u8]>) -> Option<Vec<u8>> {
    let obj = scratch(&format!("{name}.o"));
    let obj = obj.to_str().unwrap();
    tool("cc", &["-c", "-x", "c", "/dev/null", "-o", obj])?;
    if let Some(btf) = btf {
        let blob = scratch(&format!("{name}.btf"));
        std::fs::write(&blob, btf).unwrap();
        let section = format!(".BTF={}", blob.display());
        tool("objcopy", &["--add-section", &section, obj])?;
    }
    Some(std::fs::read(obj).unwrap())
}

/// Where `needle` sits in `haystack`; it must be there exactly once.
fn find(haystack: &[u8], needle: &[u8]) -> usize {
    let mut hits =
        (0..=haystack.len() - needle.len()).filter(|&i| haystack[i..].starts_with(needle));
    let at = hits.next().expect("needle present");
    assert_eq!(hits.next(), None, "needle must be unique");
    at
}

#[test]
fn elf_with_btf_reports_file_offsets() {
    let mut btf = base().to_bytes();
    let Some(elf) = elf_object("good", Some(&btf)) else {
        return;
    };
    let input = Input::open(&elf).unwrap();
    assert_eq!(input.parse_btf(None).unwrap().type_count(), ENUM64 + 1);
    btf[2] = 9;
    let elf = elf_object("bad-version", Some(&btf)).unwrap();
    let at = find(&elf, &btf) as u64 + 2;
    let input = Input::open(&elf).unwrap();
    let e = expect_err(
        input.parse_btf(None),
        ErrorKind::BadHeader,
        at,
        "unsupported BTF version 9",
    );
    assert!(e.message.starts_with(".BTF: "), "{e}");
}

#[test]
fn elf_truncated() {
    let Some(elf) = elf_object("truncated", Some(&base().to_bytes())) else {
        return;
    };
    // Inside the ELF header, and before the section headers at the end.
    for len in [4, 20, 63, elf.len() / 2] {
        expect_err(
            Input::open(&elf[..len]),
            ErrorKind::BadContainer,
            0,
            "malformed ELF file",
        );
    }
}

#[test]
fn elf_btf_section_past_end_of_file() {
    let btf = base().to_bytes();
    let Some(mut elf) = elf_object("past-end", Some(&btf)) else {
        return;
    };
    assert_eq!(elf[4..6], [2, 1], "cc must make 64-bit little-endian ELF");
    let start = find(&elf, &btf);
    // An Elf64_Shdr has sh_offset followed by sh_size: grow the size.
    let fields = [
        (start as u64).to_le_bytes(),
        (btf.len() as u64).to_le_bytes(),
    ]
    .concat();
    let size_at = find(&elf, &fields) + 8;
    let size = elf.len() as u64;
    elf[size_at..size_at + 8].copy_from_slice(&size.to_le_bytes());
    let phrase = format!("ELF section .BTF of {size} bytes runs past the end of the file");
    expect_err(
        Input::open(&elf),
        ErrorKind::OutOfRange,
        start as u64,
        &phrase,
    );
}

#[test]
fn elf_without_btf() {
    let Some(elf) = elf_object("no-btf", None) else {
        return;
    };
    let input = Input::open(&elf).unwrap();
    assert!(input.btf_bytes().is_none());
    // Nothing is malformed, so there is no offset to name.
    let e = input.parse_btf(None).unwrap_err();
    assert_eq!((e.kind, e.offset), (ErrorKind::BadContainer, None), "{e}");
    assert!(e.message.contains("no .BTF section"), "{e}");
}

const CODECS: [(&str, Codec); 3] = [
    ("gzip", Codec::Gzip),
    ("xz", Codec::Xz),
    ("zstd", Codec::Zstd),
];

/// `data` compressed by the command-line tool `program`; `name` keeps the
/// scratch files of tests running in parallel apart.
fn compress(program: &str, name: &str, data: &[u8]) -> Option<Vec<u8>> {
    let path = scratch(&format!("{name}-{program}-input"));
    std::fs::write(&path, data).unwrap();
    tool(program, &["-c", path.to_str().unwrap()])
}

#[test]
fn compressed_streams_truncated_or_flipped() {
    let btf = base().to_bytes();
    for (program, codec) in CODECS {
        let Some(z) = compress(program, "flipped", &btf) else {
            continue;
        };
        let input = Input::open(&z).unwrap();
        assert_eq!(input.layers[0], Layer::Compressed { codec, at: 0 });
        assert_eq!(input.btf_bytes(), Some(&btf[..]));
        let corrupt = format!("{program} stream is corrupt");
        for len in [z.len() / 2, z.len() - 1] {
            expect_err(Input::open(&z[..len]), ErrorKind::Decompress, 0, &corrupt);
        }
        // A flipped bit in the middle of the data, caught by the checksum
        // if not by the decoder.
        let mut d = z.clone();
        d[z.len() / 2] ^= 0x10;
        expect_err(Input::open(&d), ErrorKind::Decompress, 0, &corrupt);
        // Anywhere else: an error, or (header fields such as gzip's mtime)
        // the same data, but never different data.
        for i in 0..z.len() {
            let mut d = z.clone();
            d[i] ^= 0x10;
            if let Ok(input) = Input::open(&d) {
                assert_eq!(input.btf_bytes(), Some(&btf[..]), "{program} byte {i}");
            }
        }
    }
}

#[test]
fn corrupt_btf_inside_compressed_data() {
    let mut btf = base().to_bytes();
    let at = rec(&base(), PTR) + 8;
    put(&mut btf, at, Endian::native(), 1000);
    let Some(z) = compress("gzip", "bad-type-id", &btf) else {
        return;
    };
    let input = Input::open(&z).unwrap();
    let e = expect_err(
        input.parse_btf(None),
        ErrorKind::BadTypeId,
        at as u64,
        "refers to type id 1000",
    );
    assert!(e.message.contains("in the decompressed data"), "{e}");
}

/// `data` repeated `times`, gzip-compressed (zeros shrink about 1000:1).
fn gzip_repeated(data: &[u8], times: usize) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..times {
        enc.write_all(data).unwrap();
    }
    enc.finish().unwrap()
}

#[test]
fn decompression_bomb_hits_limit() {
    let (chunk, times) = (vec![0; 1 << 20], 40);
    let z = gzip_repeated(&chunk, times);
    assert!(
        output_limit(z.len()) < (chunk.len() * times) as u64,
        "must be a bomb"
    );
    expect_err(
        Input::open(&z),
        ErrorKind::Limit,
        0,
        "gzip stream needs more than",
    );
}

#[test]
fn nested_decompression_bomb_hits_the_file_limit() {
    let (chunk, times) = (vec![0; 1 << 19], 33);
    let inner_out = (chunk.len() * times) as u64;
    let inner = gzip_repeated(&chunk, times);
    let outer = gzip_repeated(&inner, 1);
    // Within the inner stream's own limit, past the file's.
    assert!(output_limit(inner.len()) >= inner_out && output_limit(outer.len()) < inner_out);
    let e = expect_err(
        Input::open(&outer),
        ErrorKind::Limit,
        0,
        "gzip stream needs more than",
    );
    assert!(e.message.starts_with("inside gzip data: "), "{e}");
}

#[test]
fn too_many_nested_wrappings_hit_a_limit() {
    let mut data = base().to_bytes();
    for _ in 0..6 {
        data = gzip_repeated(&data, 1);
    }
    let e = Input::open(&data).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Limit, "{e}");
    assert!(e.message.contains("nested wrappings"), "{e}");
}

#[test]
fn zstd_window_past_limit() {
    // Magic, a descriptor without content size or checksum, a 128 MiB
    // window (exponent 17), then one empty last raw block.
    let frame = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 17 << 3, 0x01, 0x00, 0x00];
    expect_err(
        Input::open(&frame),
        ErrorKind::Limit,
        0,
        "zstd stream needs more than",
    );
}

// ---------------------------------------------------------------- sweep

/// Parses `data` and, when it parses, checks that it round-trips and dumps.
fn parse_survives(data: &[u8], base: Option<&Btf>) {
    if base.is_none() {
        // The intake path too: a broken magic sends it looking for images.
        if let Ok(input) = Input::open(data) {
            let _ = input.parse_btf(None);
        }
    }
    let Ok(btf) = Btf::parse_with_base(data, base) else {
        return;
    };
    let again = btf.to_bytes();
    let reparsed = Btf::parse_with_base(&again, base).expect("to_bytes output must re-parse");
    assert_eq!(reparsed.to_bytes(), again);
    for format in [DumpFormat::Raw, DumpFormat::Json] {
        dump(&btf, format, &mut std::io::sink()).unwrap();
    }
}

/// Every truncation; every byte set to 0x00, 0xff and +1; every aligned word
/// set to boundary values in both byte orders. None may panic.
fn sweep(data: &[u8], base: Option<&Btf>) {
    for len in 0..data.len() {
        parse_survives(&data[..len], base);
    }
    let mut d = data.to_vec();
    for i in 0..d.len() {
        let orig = d[i];
        for v in [0x00, 0xff, orig.wrapping_add(1)] {
            d[i] = v;
            parse_survives(&d, base);
        }
        d[i] = orig;
    }
    let words = [1, ENUM64 + 1, data.len() as u32, 0x7fff_ffff, u32::MAX];
    for i in (0..d.len() - 3).step_by(4) {
        for bytes in words
            .iter()
            .flat_map(|w| [w.to_le_bytes(), w.to_be_bytes()])
        {
            d[i..i + 4].copy_from_slice(&bytes);
            parse_survives(&d, base);
        }
        d[i..i + 4].copy_from_slice(&data[i..i + 4]);
    }
}

#[test]
fn no_panic_sweep() {
    let b = base();
    for endian in BOTH {
        sweep(&b.to_bytes_in(endian), None);
        let with_layout = Parts::of(&b, endian).with_new_kind().bytes();
        sweep(&with_layout, None);
        let base_data = b.to_bytes_in(endian);
        let parsed_base = Btf::parse(&base_data).unwrap();
        sweep(&split(&b).to_bytes_in(endian), Some(&parsed_base));
    }
}
