//! BTF from text: `dump(build(dump(X))) == dump(X)` on real kernels —
//! vmlinux, every module on its base, and the big-endian s390x kernel and
//! its modules — and the spec parser's errors on hand-written text.

#[path = "common/kernel.rs"]
mod kernel;

use btfscope::btf::dump::{dump, DumpFormat};
use btfscope::btf::text::{parse_spec, parse_split_spec};
use btfscope::btf::{BaseStrings, Btf};
use rayon::prelude::*;

fn text(btf: &Btf) -> Vec<u8> {
    let mut out = Vec::new();
    dump(btf, DumpFormat::Raw, &mut out).unwrap();
    out
}

/// The text of `btf` builds a BTF whose text is the same; an error names
/// the first differing line.
fn round_trip<'a>(
    btf: &Btf,
    base: Option<(&'a Btf<'a>, &'a BaseStrings<'a>)>,
) -> Result<usize, String> {
    let before = text(btf);
    let built = match base {
        Some((base, strings)) => parse_split_spec(&before, base, strings),
        None => parse_spec(&before, None),
    }
    .map_err(|e| format!("build: {e}"))?;
    let after = text(&built);
    if before != after {
        let line = before
            .split(|&c| c == b'\n')
            .zip(after.split(|&c| c == b'\n'))
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        return Err(format!("the dumps differ at line {}", line + 1));
    }
    Ok(btf.local_len())
}

/// Round trips of every module in `paths` on `base`; the failures.
fn modules(base: &Btf, paths: &[std::path::PathBuf]) -> Vec<String> {
    let strings = BaseStrings::new(base);
    paths
        .par_iter()
        .filter_map(|path| {
            let raw = kernel::btf_section(&std::fs::read(path).unwrap());
            let btf = Btf::parse_split(&raw, base).unwrap();
            round_trip(&btf, Some((base, &strings)))
                .err()
                .map(|e| format!("{}: {e}", path.display()))
        })
        .collect()
}

#[test]
fn vmlinux_and_every_module_round_trip_through_text() {
    if !kernel::available("vmlinux_and_every_module_round_trip_through_text") {
        return;
    }
    let raw = kernel::vmlinux_btf();
    let base = Btf::parse(&raw).unwrap();
    let n = round_trip(&base, None).unwrap();
    assert!(n > 100_000, "vmlinux has {n} types");
    let paths = kernel::module_paths();
    assert!(paths.len() > 4000);
    kernel::assert_no_failures(&modules(&base, &paths));
}

#[test]
fn s390x_big_endian_round_trips_through_text() {
    let Some(k) = kernel::s390x("s390x_big_endian_round_trips_through_text") else {
        return;
    };
    let raw = kernel::btf_section(&std::fs::read(&k.vmlinuz).unwrap());
    let base = Btf::parse(&raw).unwrap();
    assert_eq!(base.endian(), btfscope::btf::Endian::Big);
    round_trip(&base, None).unwrap();
    let paths = kernel::files_under(&k.modules_dir, ".ko.xz");
    assert!(paths.len() > 2000);
    kernel::assert_no_failures(&modules(&base, &paths));
}

/// Every kind, with the values that are easy to get wrong: signed and
/// unsigned enums at their limits, ENUM64 suffixes, bitfields, a negative
/// component index, varargs, VAR's comma, DATASEC's annotation.
const EVERY_KIND: &str = "\
[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED
[2] INT 'char' size=1 bits_offset=0 nr_bits=8 encoding=CHAR
[3] INT '_Bool' size=1 bits_offset=0 nr_bits=1 encoding=BOOL
[4] INT 'u3' size=1 bits_offset=2 nr_bits=3 encoding=(none)
[5] PTR '(anon)' type_id=7
[6] ARRAY '(anon)' type_id=2 index_type_id=1 nr_elems=16
[7] STRUCT 's' size=24 vlen=3
\t'a' type_id=1 bits_offset=0
\t'b' type_id=4 bits_offset=35 bitfield_size=3
\t'(anon)' type_id=8 bits_offset=64
[8] UNION '(anon)' size=16 vlen=1
\t'c' type_id=6 bits_offset=0
[9] ENUM 'e' encoding=UNSIGNED size=4 vlen=2
\t'E0' val=0
\t'EMAX' val=4294967295
[10] ENUM 'se' encoding=SIGNED size=4 vlen=1
\t'NEG' val=-2147483648
[11] FWD 'f' fwd_kind=union
[12] TYPEDEF 't' type_id=7
[13] VOLATILE '(anon)' type_id=1
[14] CONST '(anon)' type_id=13
[15] RESTRICT '(anon)' type_id=5
[16] FUNC_PROTO '(anon)' ret_type_id=1 vlen=2
\t'x' type_id=15
\t'(anon)' type_id=0
[17] FUNC 'fn' type_id=16 linkage=global
[18] VAR 'v' type_id=1, linkage=static
[19] DATASEC '.data' size=4 vlen=1
\ttype_id=18 offset=0 size=4 (VAR 'v')
[20] FLOAT 'double' size=8
[21] DECL_TAG 'tag' type_id=7 component_idx=-1
[22] TYPE_TAG 'user' type_id=1
[23] ENUM64 'big' encoding=UNSIGNED size=8 vlen=1
\t'B' val=18446744073709551615ULL
[24] ENUM64 'sbig' encoding=SIGNED size=8 vlen=1
\t'S' val=-9223372036854775808LL
[25] DECL_TAG 'mtag' type_id=7 component_idx=1
";

#[test]
fn every_kind_round_trips_exactly() {
    let btf = parse_spec(EVERY_KIND.as_bytes(), None).unwrap();
    assert_eq!(String::from_utf8(text(&btf)).unwrap(), EVERY_KIND);
    // And the bytes too: the text fixes every bit of these records.
    let again = parse_spec(&text(&btf), None).unwrap();
    assert_eq!(again.to_bytes(), btf.to_bytes());
}

#[test]
fn split_spec_continues_its_base() {
    let base = parse_spec(
        b"INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\n",
        None,
    )
    .unwrap();
    let split = parse_spec(
        b"PTR '(anon)' type_id=1\n[3] PTR '(anon)' type_id=2\n",
        Some(&base),
    )
    .unwrap();
    assert_eq!(split.start_id(), 2);
    assert_eq!(
        String::from_utf8(text(&split)).unwrap(),
        "[2] PTR '(anon)' type_id=1\n[3] PTR '(anon)' type_id=2\n"
    );
    let e = parse_spec(b"[1] PTR '(anon)' type_id=0\n", Some(&base)).unwrap_err();
    assert_eq!(
        e.message,
        "line 1, column 1: type [1] should be [2] (the first after the base)"
    );
}

#[test]
fn invalid_btf_is_an_error_not_a_panic() {
    // A FUNC must point at a FUNC_PROTO: the parser accepts the line, the
    // built BTF's validation rejects it.
    let e = parse_spec(b"INT 'i' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\nFUNC 'f' type_id=1 linkage=static\n", None).unwrap_err();
    assert!(
        e.message.starts_with("the spec describes invalid BTF"),
        "{e}"
    );
}
