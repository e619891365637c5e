//! The encoder against pahole 1.30 on the Debian 6.1 debug kernel: the
//! vmlinux and a small module. Needs scripts/fetch-dbg.sh and
//! scripts/fetch-pahole.sh; skips with a message otherwise, unless
//! BTFSCOPE_REQUIRE_DBG=1. See docs/ENCODE.md for the figures.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use btfscope::btf::dump::{dump, DumpFormat};
use btfscope::btf::Btf;
use btfscope::encode::{encode, language_code, Features, Options};

fn cache() -> PathBuf {
    std::env::var_os("BTFSCOPE_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/btfscope")
        })
}

/// (pahole, vmlinux, module dir), or `None` after saying what is missing.
fn data(test: &str) -> Option<(PathBuf, PathBuf, PathBuf)> {
    let c = cache();
    let pahole = c.join("pahole-1.30/pahole");
    let vmlinux = c.join("dbg/vmlinux-6.1.0-55-amd64");
    let modules = c.join("dbg/modules");
    if pahole.is_file() && vmlinux.is_file() && modules.is_dir() {
        return Some((pahole, vmlinux, modules));
    }
    let msg = format!(
        "{test}: debug kernel or pahole not under {}; run scripts/fetch-dbg.sh and scripts/fetch-pahole.sh",
        c.display()
    );
    assert!(std::env::var_os("BTFSCOPE_REQUIRE_DBG").is_none(), "{msg}");
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "\n******** SKIPPED {msg} ********\n");
    None
}

fn pahole(pahole: &PathBuf, file: &PathBuf, base: Option<&PathBuf>, tag: &str) -> Vec<u8> {
    let out = std::env::temp_dir().join(format!("btfscope-{tag}-{}.btf", std::process::id()));
    let mut cmd = Command::new(pahole);
    cmd.args(["-J", "-j2", "--btf_features=default", "--lang_exclude=rust"]);
    if let Some(b) = base {
        cmd.arg("--btf_base").arg(b);
    }
    let status = cmd
        .arg(format!("--btf_encode_detached={}", out.display()))
        .arg(file)
        .status()
        .unwrap();
    assert!(status.success(), "pahole failed on {}", file.display());
    let bytes = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    bytes
}

fn ours<'b>(file: &PathBuf, base: Option<&'b Btf<'b>>) -> Btf<'b> {
    let opts = Options {
        features: Features::default_set(),
        lang_exclude: vec![language_code("rust").unwrap()],
        ..Options::default()
    };
    encode(&std::fs::read(file).unwrap(), base, &opts, &|_, _| {})
        .unwrap()
        .0
}

fn kinds(btf: &Btf) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for t in btf.local_types() {
        *m.entry(t.kind().map_or("?", |k| k.name())).or_default() += 1;
    }
    m
}

fn dump_text(btf: &Btf) -> String {
    let mut out = Vec::new();
    dump(btf, DumpFormat::Raw, &mut out).unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// Ours and pahole's must dump to the same text: same types, same ids, same
/// layouts, same FUNC set. (Only the string sections differ: pahole keeps
/// strings no type refers to.)
fn assert_same_dump(what: &str, ours: &Btf, theirs: &Btf) {
    eprintln!("{what}: ours {:?}", kinds(ours));
    eprintln!("{what}: pahole {:?}", kinds(theirs));
    let (a, b) = (dump_text(ours), dump_text(theirs));
    if let Some((n, (x, y))) = a
        .lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
    {
        panic!(
            "{what}: dumps differ at line {}:\n ours:   {x}\n pahole: {y}",
            n + 1
        );
    }
    assert_eq!(a.lines().count(), b.lines().count(), "{what}: dump lengths");
}

#[test]
fn vmlinux_matches_pahole() {
    let Some((pahole_bin, vmlinux, _)) = data("vmlinux_matches_pahole") else {
        return;
    };
    let theirs_raw = pahole(&pahole_bin, &vmlinux, None, "vmlinux");
    let theirs = Btf::parse(&theirs_raw).unwrap();
    assert_same_dump("vmlinux", &ours(&vmlinux, None), &theirs);
}

#[test]
fn modules_match_pahole() {
    let Some((pahole_bin, vmlinux, modules)) = data("modules_match_pahole") else {
        return;
    };
    // The base both encode the modules on: pahole's vmlinux BTF.
    let base_raw = pahole(&pahole_bin, &vmlinux, None, "base");
    let base_path = std::env::temp_dir().join(format!("btfscope-base-{}.btf", std::process::id()));
    std::fs::write(&base_path, &base_raw).unwrap();
    let base = Btf::parse(&base_raw).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(&modules)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ko"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no .ko under {}", modules.display());
    for module in &names {
        let tag = module.file_stem().unwrap().to_string_lossy().into_owned();
        let theirs_raw = pahole(&pahole_bin, module, Some(&base_path), &tag);
        let theirs = Btf::parse_split(&theirs_raw, &base).unwrap();
        assert_same_dump(&tag, &ours(module, Some(&base)), &theirs);
    }
    let _ = std::fs::remove_file(&base_path);
}

/// Deduplicating in chunks of CUs (as vmlinux is, by 128) gives the BTF one
/// pass over all raw types gives: each module encoded on its own (a base
/// BTF of 25–29 CUs) in chunks of 1, 4 and 10 CUs, on one and two threads;
/// the count of raw types reported is the same too.
#[test]
fn chunked_deduplication_equals_one_pass() {
    let Some((_, _, modules)) = data("chunked_deduplication_equals_one_pass") else {
        return;
    };
    let encode_in = |data: &[u8], chunk_cus: usize, threads: usize| {
        let opts = Options {
            chunk_cus,
            ..Options::default()
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let (btf, report) = pool.install(|| encode(data, None, &opts, &|_, _| {}).unwrap());
        (btf.to_bytes(), report.types_encoded)
    };
    for name in ["kvm", "nf_tables", "e1000e"] {
        let data = std::fs::read(modules.join(format!("{name}.ko"))).unwrap();
        let one_pass = encode_in(&data, 0, 2);
        for (chunk_cus, threads) in [(1, 2), (4, 1), (4, 2), (10, 2)] {
            assert!(
                encode_in(&data, chunk_cus, threads) == one_pass,
                "{name}: chunks of {chunk_cus} CUs on {threads} threads differ from one pass"
            );
        }
    }
}
