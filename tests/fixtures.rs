//! Fast checks on the committed real-kernel samples in tests/fixtures/
//! (see its README): dumps equal to bpftool's recorded text, writing back,
//! the other byte order, split BTF on its base, and sizes.

use std::path::PathBuf;
use std::sync::OnceLock;

use btfscope::analyze::stat::stat;
use btfscope::btf::dump::{dump, DumpFormat};
use btfscope::btf::{Btf, Endian, Kind};
use btfscope::intake::{decompress, output_limit, Codec, Input, Layer};

/// Split BTF of Debian 6.1.0-55-amd64 modules, on the vmlinux fixture.
const MODULES: [&str; 3] = ["cast_common", "nfs", "mlx5_core"];
/// A big-endian base BTF cut from the Debian s390x kernel.
const BIG_ENDIAN: &str = "s390x-sample";

fn path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(file)
}

/// The raw BTF of a fixture, committed as is or xz-compressed, read
/// through our intake.
fn btf_bytes(name: &str) -> Vec<u8> {
    let plain = path(&format!("{name}.btf"));
    let file = if plain.exists() {
        plain
    } else {
        path(&format!("{name}.btf.xz"))
    };
    let data = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let input = Input::open(&data).unwrap();
    assert_eq!(input.layers.last(), Some(&Layer::RawBtf), "{name}");
    input.btf_bytes().unwrap().to_vec()
}

/// bpftool's text dump of a fixture, as recorded.
fn expected_text(name: &str) -> Vec<u8> {
    let data = std::fs::read(path(&format!("{name}.txt.xz"))).unwrap();
    decompress(Codec::Xz, &data, output_limit(data.len())).unwrap()
}

/// The vmlinux fixture, parsed once for every test: the base of the modules.
fn vmlinux() -> &'static Btf<'static> {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    static BTF: OnceLock<Btf<'static>> = OnceLock::new();
    BTF.get_or_init(|| Btf::parse(BYTES.get_or_init(|| btf_bytes("vmlinux"))).unwrap())
}

/// Calls `f` with each fixture's name, parsed BTF and raw bytes.
fn for_each_fixture(mut f: impl FnMut(&str, &Btf, &[u8])) {
    let base = vmlinux();
    f("vmlinux", base, &base.to_bytes());
    for name in MODULES {
        let bytes = btf_bytes(name);
        f(name, &Btf::parse_split(&bytes, base).unwrap(), &bytes);
    }
    let bytes = btf_bytes(BIG_ENDIAN);
    f(BIG_ENDIAN, &Btf::parse(&bytes).unwrap(), &bytes);
}

fn our_dump(btf: &Btf, format: DumpFormat) -> Vec<u8> {
    let mut out = Vec::new();
    dump(btf, format, &mut out).unwrap();
    out
}

#[test]
fn dumps_equal_bpftool_text() {
    for_each_fixture(|name, btf, _| {
        let ours = our_dump(btf, DumpFormat::Raw);
        let expected = expected_text(name);
        if ours != expected {
            let (line, a, b) = ours
                .split(|&b| b == b'\n')
                .zip(expected.split(|&b| b == b'\n'))
                .enumerate()
                .find(|(_, (a, b))| a != b)
                .map(|(i, (a, b))| {
                    (
                        i + 1,
                        String::from_utf8_lossy(a),
                        String::from_utf8_lossy(b),
                    )
                })
                .unwrap_or_default();
            panic!("{name}: dump differs at line {line}:\n  ours:    {a}\n  bpftool: {b}");
        }
    });
}

#[test]
fn json_dumps_parse_and_list_every_type() {
    for_each_fixture(|name, btf, _| {
        let json: serde_json::Value = serde_json::from_slice(&our_dump(btf, DumpFormat::Json))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let types = json["types"].as_array().unwrap();
        assert_eq!(types.len(), btf.local_len(), "{name}");
        assert_eq!(types[0]["id"], btf.start_id(), "{name}");
    });
}

#[test]
fn writing_back_gives_the_same_bytes() {
    for_each_fixture(|name, btf, bytes| {
        assert!(btf.to_bytes() == bytes, "{name}");
    });
}

#[test]
fn other_byte_order_reads_back_the_same() {
    for_each_fixture(|name, btf, bytes| {
        let (endian, other) = match btf.endian() {
            Endian::Little => (Endian::Little, Endian::Big),
            Endian::Big => (Endian::Big, Endian::Little),
        };
        // A split BTF and its base must be in the same byte order.
        let base_bytes = btf.base().map(|b| b.to_bytes_in(other));
        let base = base_bytes.as_deref().map(|b| Btf::parse(b).unwrap());
        let swapped_bytes = btf.to_bytes_in(other);
        let swapped = Btf::parse_with_base(&swapped_bytes, base.as_ref()).unwrap();
        assert_eq!(swapped.endian(), other, "{name}");
        assert!(swapped_bytes != bytes, "{name}");
        assert!(
            our_dump(&swapped, DumpFormat::Raw) == our_dump(btf, DumpFormat::Raw),
            "{name}"
        );
        assert!(swapped.to_bytes_in(endian) == bytes, "{name}");
    });
}

#[test]
fn split_ids_and_string_offsets_continue_after_base() {
    let base = vmlinux();
    let module = btf_bytes("nfs");
    let nfs = Btf::parse_split(&module, base).unwrap();
    assert_eq!(nfs.start_id(), 100_800);
    assert_eq!(nfs.start_str_off(), 1_794_321);
    assert_eq!(nfs.start_str_off() as usize, base.string_bytes().len());
    // nfs.ko carries its own copy of struct module, named through the
    // base's strings, besides the vmlinux one.
    let named_module = |btf: &Btf, id| {
        let t = btf.type_by_id(id).unwrap();
        t.kind() == Some(Kind::Struct) && btf.str_at(t.name_off()) == Some(&b"module"[..])
    };
    let in_base = (1..base.type_count())
        .filter(|&id| named_module(base, id))
        .count();
    let own: Vec<_> = (nfs.start_id()..nfs.type_count())
        .filter(|&id| named_module(&nfs, id))
        .collect();
    assert_eq!(in_base, 1);
    assert_eq!(own, [101_546]);
    assert!(nfs.type_by_id(1).is_some() && nfs.type_by_id(nfs.type_count()).is_none());
}

#[test]
fn stat_numbers() {
    let s = stat(vmlinux());
    assert_eq!(
        (s.types, s.total_bytes, s.split),
        (100_799, 4_360_477, false)
    );
    let s = stat(&Btf::parse(&btf_bytes(BIG_ENDIAN)).unwrap());
    assert_eq!((s.types, s.endian), (143, "big"));
    let module = btf_bytes("nfs");
    let s = stat(&Btf::parse_split(&module, vmlinux()).unwrap());
    assert_eq!(
        (s.split, s.start_id, s.total_bytes),
        (true, 100_800, module.len() as u64)
    );
}
