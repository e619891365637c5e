//! Inputs the fuzzers (fuzz/) found crashing, minimized, each with what it
//! must do now.

use btfscope::btf::{Btf, BtfBuilder};

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
