//! Inputs the fuzzers (fuzz/) found crashing, minimized, each with what it
//! must do now.

use btfscope::btf::{Btf, BtfBuilder};
use btfscope::dedup::{dedup_split, BaseIndex};
use btfscope::ErrorKind;

/// A big-endian 32-byte header (with the layout fields), no types, the
/// empty string; `layout_off` is 0x100, far past the end, with
/// `layout_len` 0.
const EMPTY_LAYOUT_FAR_AWAY: &[u8] = &[
    0xeb, 0x9f, 0x01, 0x00, 0x00, 0x00, 0x00, 0x20, // magic, version, flags, hdr_len
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // type_off, type_len
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, // str_off, str_len
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, // layout_off, layout_len
    0x00, // strings
];

/// btf_parse: an empty layout section's offset was used to slice the data
/// (index out of range). Nothing is read there, so it parses.
#[test]
fn empty_layout_section_may_point_anywhere() {
    let btf = Btf::parse(EMPTY_LAYOUT_FAR_AWAY).unwrap();
    assert_eq!(btf.local_len(), 0);
    Btf::parse(&btf.to_bytes()).unwrap();
}

/// split_parse: the same with a 33-byte header, as a split BTF.
#[test]
fn empty_layout_section_in_split_btf() {
    const INPUT: &[u8] = &[
        0xeb, 0x9f, 0x01, 0x00, 0x00, 0x00, 0x00, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x21, 0x01, 0x80,
    ];
    let mut b = BtfBuilder::new();
    b.add_int("int", 4, 1);
    let base = b.finish();
    // Refused or not, it must not panic.
    let _ = Btf::parse_split(INPUT, &base);
}

/// split_parse: a type of kind 0 (described by the layout section, so it
/// parses) with a name offset far past the strings; dedup looked its name
/// up before refusing the kind (index out of bounds). Now it refuses it.
#[test]
fn dedup_refuses_unknown_kind_before_reading_its_name() {
    const INPUT: &[u8] = &[
        0xeb, 0x9f, 0x01, 0x00, 0x00, 0x00, 0x00, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x0c, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00,
        0x00, 0x0c, 0x00, 0x51, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xfe, 0xff, 0xff, 0xff, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x08, 0x11, 0x01, 0x00, 0x00, 0x00,
    ];
    let mut b = BtfBuilder::new();
    b.add_int("int", 4, 1);
    let base = b.finish();
    let split = Btf::parse_split(INPUT, &base).unwrap();
    let index = BaseIndex::new(&base).unwrap();
    let err = dedup_split(&index, &split).unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnknownKind, "{err}");
}

/// encode: a `DW_FORM_ref4` past the end of its unit passed for a local id
/// (the offset had the bit that marks one), and deduplicating in chunks
/// then indexed a chunk's ids out of range. Such a reference is to no DIE
/// of the unit: void, as any unknown DIE; one pass and chunks agree.
#[test]
fn reference_past_its_unit_is_void() {
    use btfscope::encode::{encode, Options};
    let obj = include_bytes!("fixtures/encode-ref-past-unit.o");
    let run = |chunk_cus| {
        let opts = Options {
            chunk_cus,
            ..Options::default()
        };
        let (btf, report) = encode(obj, None, &opts, &|_, _| {}).unwrap();
        assert_eq!(report.cus, 3);
        btf.to_bytes()
    };
    assert_eq!(run(1), run(0));
}

/// c_dump: anonymous structs are written inline wherever they are used, so
/// a chain of anonymous structs each holding the previous one twice doubles
/// the text at every link (a 3.7 KB input asked for 300 MB and a minute).
/// The text is now bounded by the input's size: an error of kind `Limit`.
#[test]
fn anonymous_types_inlined_twice_per_level_hit_the_output_limit() {
    use btfscope::btf::c;
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, 1);
    let mut inner = b.add_struct("", 8);
    b.add_field("a", int, 0, 0).unwrap();
    b.add_field("b", int, 32, 0).unwrap();
    let mut size = 8;
    for _ in 0..40 {
        let outer = b.add_struct("", size * 2);
        b.add_field("x", inner, 0, 0).unwrap();
        b.add_field("y", inner, size * 8, 0).unwrap();
        inner = outer;
        size *= 2;
        if size > 1 << 30 {
            break;
        }
    }
    b.add_typedef("doubled", inner);
    let btf = b.finish();
    let raw = btf.to_bytes();
    let btf = Btf::parse(&raw).unwrap();
    let err = c::header(&btf).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Limit, "{err}");
    assert!(c::output_limit(&btf) < raw.len() * 8 + (2 << 20));
}
