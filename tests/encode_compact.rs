//! The compact ELF the page builds from slices of a debug file: encoding it
//! gives byte-identical BTF to encoding the whole file (a gcc -g object,
//! and the cached Debian debug modules), and malformed headers are errors
//! with offsets.

#[path = "common/kernel.rs"]
mod kernel;

use std::process::Command;

use btfscope::btf::Btf;
use btfscope::encode::compact::{CompactElf, Compacted};
use btfscope::encode::{encode, encode_compact, Options};
use btfscope::intake::Input;
use btfscope::ErrorKind;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/encode/sample.c");

/// tests/encode/sample.c compiled by gcc with `flag`; `None` without gcc.
fn object(flag: &str) -> Option<Vec<u8>> {
    let out = std::env::temp_dir().join(format!("btfscope-compact-{}{flag}.o", std::process::id()));
    let status = Command::new("gcc")
        .args(["-O2", flag, "-c", SAMPLE, "-o"])
        .arg(&out)
        .status();
    let Ok(status) = status else {
        eprintln!("SKIPPED: gcc is not installed");
        return None;
    };
    assert!(status.success(), "gcc {flag} failed");
    let bytes = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    Some(bytes)
}

/// Both encodings of `data`, as raw BTF in the file's byte order.
fn both(data: &[u8], base: Option<&Btf>) -> (Vec<u8>, Vec<u8>) {
    let opts = Options::default();
    let (whole, report) = encode(data, base, &opts, &|_, _| {}).unwrap();
    let compact = Compacted::from_file(data).unwrap();
    assert!(compact.bytes.len() <= data.len());
    let (part, _) = encode_compact(compact, base, &opts, &|_, _| {}).unwrap();
    (
        whole.to_bytes_in(report.endian),
        part.to_bytes_in(report.endian),
    )
}

#[test]
fn gcc_object_encodes_identically() {
    for flag in ["-gdwarf-5", "-gdwarf-4"] {
        let Some(obj) = object(flag) else { return };
        let (whole, compact) = both(&obj, None);
        assert!(whole.len() > 1000, "{flag}: {} bytes of BTF", whole.len());
        assert!(whole == compact, "{flag}: the BTF differs");
    }
}

#[test]
fn debug_modules_encode_identically() {
    // Fetched by scripts/fetch-dbg.sh, which is opt-in (it is big).
    let dir = kernel::cache_dir().join("dbg/modules");
    if !dir.is_dir() {
        let msg = "debug modules not cached; run scripts/fetch-dbg.sh";
        assert!(std::env::var_os("BTFSCOPE_REQUIRE_DBG").is_none(), "{msg}");
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "\n******** SKIPPED {msg} ********\n");
        return;
    }
    if !kernel::available("debug_modules_encode_identically") {
        return;
    }
    let base_bytes = std::fs::read(kernel::vmlinux_path()).unwrap();
    let base_input = Input::open(&base_bytes).unwrap();
    let base = base_input.parse_btf(None).unwrap();
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let (whole, compact) = both(&data, Some(&base));
        assert!(whole == compact, "{}: the BTF differs", path.display());
        seen += 1;
    }
    assert!(seen > 0);
}

/// A minimal valid ELF64 little-endian header and section header table:
/// sections 0 (null) and 1 (.shstrtab).
fn tiny_elf() -> Vec<u8> {
    let names = b"\0.shstrtab\0";
    let mut f = vec![0u8; 64];
    f[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
    f[0x10] = 1; // ET_REL
    let names_at = 64u64;
    let shoff = names_at + 16;
    f.extend_from_slice(names);
    f.resize(shoff as usize, 0);
    f[0x28..0x30].copy_from_slice(&shoff.to_le_bytes());
    f[0x3a] = 64; // e_shentsize
    f[0x3c] = 2; // e_shnum
    f[0x3e] = 1; // e_shstrndx
    f.extend_from_slice(&[0u8; 64]);
    let mut strtab = [0u8; 64];
    strtab[0..4].copy_from_slice(&1u32.to_le_bytes());
    strtab[4..8].copy_from_slice(&3u32.to_le_bytes()); // SHT_STRTAB
    strtab[24..32].copy_from_slice(&names_at.to_le_bytes());
    strtab[32..40].copy_from_slice(&(names.len() as u64).to_le_bytes());
    f.extend_from_slice(&strtab);
    f
}

fn compact_error(data: &[u8]) -> (ErrorKind, Option<u64>, String) {
    let e = Compacted::from_file(data).unwrap_err();
    (e.kind, e.offset, e.message)
}

#[test]
fn a_valid_header_compacts() {
    let c = Compacted::from_file(&tiny_elf()).unwrap();
    // Header, table, then the one section with data: the names.
    assert_eq!(c.bytes.len(), 64 + 128 + 11);
    assert_eq!(c.original_offset(64 + 128 + 1), 65);
    assert_eq!(c.original_offset(64), 80);
    // Encoding it fails for want of DWARF, not on the layout.
    let e = encode_compact(c, None, &Options::default(), &|_, _| {}).unwrap_err();
    assert!(e.message.contains("no DWARF"), "{e}");
}

#[test]
fn malformed_headers_are_errors_with_offsets() {
    let good = tiny_elf();
    let with = |at: usize, bytes: &[u8]| {
        let mut f = good.clone();
        f[at..at + bytes.len()].copy_from_slice(bytes);
        f
    };
    let cases: Vec<(Vec<u8>, u64, &str)> = vec![
        (good[..40].to_vec(), 0, "too few"),
        (with(0, b"\x7fELG"), 0, "not an ELF"),
        (with(4, &[1]), 4, "32-bit"),
        (with(5, &[3]), 5, "byte order"),
        (with(0x28, &[0; 8]), 0x28, "no section header table"),
        (
            with(0x28, &u64::MAX.to_le_bytes()),
            0x28,
            "ends past the end",
        ),
        (with(0x3a, &[40]), 0x3a, "section header size"),
        (with(0x3c, &[200]), 0x28, "ends past the end"),
        (with(0x3e, &[7]), 0x3e, "not one of the 2 sections"),
        (with(0x3e, &[0]), 0x3e, "not one of the 2 sections"),
        // .shstrtab's size (at 80 + 64 + 32) past the end of the file.
        (
            with(80 + 64 + 32, &[0xff; 4]),
            80 + 64 + 24,
            "end past the end",
        ),
    ];
    for (data, offset, text) in cases {
        let (kind, at, message) = compact_error(&data);
        assert_eq!(kind, ErrorKind::BadContainer, "{message}");
        assert_eq!(at, Some(offset), "{message}");
        assert!(message.contains(text), "{message} lacks {text}");
    }
}

#[test]
fn extended_section_count_and_wrong_sizes() {
    // e_shnum 0: the count is section 0's sh_size.
    let mut f = tiny_elf();
    f[0x3c] = 0;
    f[80 + 32] = 2;
    assert_eq!(Compacted::from_file(&f).unwrap().bytes.len(), 64 + 128 + 11);

    let mut c = CompactElf::new(f.len() as u64).unwrap();
    assert_eq!(c.wanted(), Some((0, 64)));
    let e = c.give(&f[..10]).unwrap_err();
    assert!(e.message.contains("expected 64 bytes"), "{e}");
    let e = CompactElf::new(100).unwrap().finish().unwrap_err();
    assert_eq!(e.kind, ErrorKind::Usage);
}

/// Bytes of the ELF header and of the section header table (the end of a
/// gcc object) changed at random never make the compact ELF panic, and
/// what it accepts either encodes or fails with an error.
#[test]
fn random_header_damage_is_an_error_not_a_panic() {
    let Some(obj) = object("-g") else { return };
    let shoff = u64::from_le_bytes(obj[0x28..0x30].try_into().unwrap()) as usize;
    // A small linear congruential generator: reproducible, no dependency.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |bound: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize % bound
    };
    let mut accepted = 0;
    for _ in 0..3000 {
        let mut data = obj.clone();
        for _ in 0..1 + next(4) {
            let at = if next(2) == 0 {
                next(64)
            } else {
                shoff + next(data.len() - shoff)
            };
            data[at] = next(256) as u8;
        }
        if let Ok(c) = Compacted::from_file(&data) {
            accepted += 1;
            let _ = encode_compact(c, None, &Options::default(), &|_, _| {});
        }
    }
    assert!(accepted > 100, "{accepted} accepted");
}
