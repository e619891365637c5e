//! The encoder on small C programs compiled during the test with gcc -g
//! (and clang when installed): exact BTF, checked through the dump text,
//! for DWARF 4 and 5 objects (relocatable, so relocations are applied).

use std::path::{Path, PathBuf};
use std::process::Command;

use btfscope::btf::dump::{dump, DumpFormat};
use btfscope::btf::Btf;
use btfscope::encode::{encode, Features, Options};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/encode/sample.c");
const EXPECTED: &str = include_str!("encode/sample.expected.txt");

/// Compiles `src` into an object file with `cc` and `flags`; `None` (and a
/// message) when the compiler is not installed.
fn compile(cc: &str, src: &str, flags: &[&str], tag: &str) -> Option<Vec<u8>> {
    let out: PathBuf = std::env::temp_dir().join(format!(
        "btfscope-encode-{}-{cc}-{tag}.o",
        std::process::id()
    ));
    let status = Command::new(cc)
        .args(flags)
        .args(["-c", src, "-o"])
        .arg(&out)
        .status();
    match status {
        Ok(s) if s.success() => {
            let bytes = std::fs::read(&out).unwrap();
            let _ = std::fs::remove_file(&out);
            Some(bytes)
        }
        Ok(s) => panic!("{cc} {flags:?} failed: {s}"),
        Err(_) => {
            eprintln!("SKIPPED: {cc} is not installed");
            None
        }
    }
}

fn encode_with(obj: &[u8], features: &str) -> Btf<'static> {
    let opts = Options {
        features: Features::parse(features).unwrap(),
        ..Options::default()
    };
    encode(obj, None, &opts, &|_, _| {}).unwrap().0
}

fn text(btf: &Btf) -> String {
    let mut out = Vec::new();
    dump(btf, DumpFormat::Raw, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn gcc_dwarf5_and_dwarf4_give_the_expected_btf() {
    for (tag, dwarf) in [("d5", "-gdwarf-5"), ("d4", "-gdwarf-4")] {
        let Some(obj) = compile("gcc", SAMPLE, &["-O0", dwarf], tag) else {
            return;
        };
        let btf = encode_with(&obj, "default,global_var");
        assert_eq!(text(&btf), EXPECTED, "{dwarf}");
    }
}

#[test]
fn output_does_not_depend_on_thread_count() {
    let Some(obj) = compile("gcc", SAMPLE, &["-O2", "-g"], "threads") else {
        return;
    };
    let run = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
            .install(|| encode_with(&obj, "default,global_var").to_bytes())
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn features_switch_kinds_on_and_off() {
    let Some(obj) = compile("gcc", SAMPLE, &["-O0", "-g"], "features") else {
        return;
    };
    // No float, no enum64, no vars: what pahole did before those existed.
    let old = text(&encode_with(&obj, "encode_force"));
    assert!(old.contains("INT 'float' size=4 bits_offset=0 nr_bits=32 encoding=(none)"));
    assert!(old.contains("ENUM 'big' encoding=UNSIGNED size=8 vlen=1\n\t'BIG_TOP' val=0\n"));
    assert!(!old.contains("VAR") && !old.contains("DATASEC"));
    assert!(
        old.contains("FUNC 'sum'"),
        "exact symbol matches need no feature"
    );
    // `var` alone: only the per-CPU variable.
    let var = text(&encode_with(&obj, "var"));
    assert!(var.contains("VAR 'percpu_counter'") && !var.contains("VAR 'global_counter'"));
    assert!(var.contains("DATASEC '.data..percpu' size=4 vlen=1"));
}

#[test]
fn matches_pahole_when_cached() {
    let pahole = cache_dir().join("pahole-1.30/pahole");
    if !pahole.is_file() {
        eprintln!(
            "SKIPPED: {} not found; run scripts/fetch-pahole.sh",
            pahole.display()
        );
        return;
    }
    let Some(obj) = compile("gcc", SAMPLE, &["-O2", "-g"], "pahole") else {
        return;
    };
    let dir = std::env::temp_dir();
    let obj_path = dir.join(format!("btfscope-pahole-{}.o", std::process::id()));
    let btf_path = obj_path.with_extension("btf");
    std::fs::write(&obj_path, &obj).unwrap();
    let status = Command::new(&pahole)
        .arg("-J")
        .arg("--btf_features=default,global_var")
        .arg(format!("--btf_encode_detached={}", btf_path.display()))
        .arg(&obj_path)
        .status()
        .unwrap();
    assert!(status.success());
    let theirs = std::fs::read(&btf_path).unwrap();
    let _ = (
        std::fs::remove_file(&obj_path),
        std::fs::remove_file(&btf_path),
    );
    let ours = encode_with(&obj, "default,global_var");
    assert_eq!(text(&ours), text(&Btf::parse(&theirs).unwrap()));
}

#[test]
fn clang_objects_encode() {
    let Some(obj) = compile("clang", SAMPLE, &["-O0", "-g"], "clang") else {
        return;
    };
    let out = text(&encode_with(&obj, "default,global_var"));
    assert!(out.contains("STRUCT 'flags' size=16 vlen=6"), "{out}");
}

#[test]
fn broken_input_is_an_error_not_a_panic() {
    let Some(obj) = compile("gcc", SAMPLE, &["-O0", "-g"], "broken") else {
        return;
    };
    let opts = Options::default();
    // Truncations and byte flips across the whole file: errors or BTF, never a panic.
    for cut in [0, 16, 64, obj.len() / 3, obj.len() / 2, obj.len() - 1] {
        let _ = encode(&obj[..cut], None, &opts, &|_, _| {});
    }
    let step = (obj.len() / 97).max(1);
    for at in (64..obj.len()).step_by(step) {
        let mut bad = obj.clone();
        bad[at] ^= 0xff;
        let _ = encode(&bad, None, &opts, &|_, _| {});
    }
    let err = encode(b"\x7fELF", None, &opts, &|_, _| {}).unwrap_err();
    assert!(err.to_string().contains("ELF"), "{err}");
}

#[test]
fn no_dwarf_says_so() {
    let Some(obj) = compile("gcc", SAMPLE, &["-O0", "-g0"], "nodwarf") else {
        return;
    };
    let err = encode(&obj, None, &Options::default(), &|_, _| {}).unwrap_err();
    assert!(err.to_string().contains("no DWARF"), "{err}");
}

fn cache_dir() -> PathBuf {
    std::env::var_os("BTFSCOPE_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(&std::env::var("HOME").unwrap_or_default()).join(".cache/btfscope")
        })
}

/// The sample three times (renamed so that the link succeeds, at -O0, -O2
/// and with DWARF 4) in one relocatable object of three CUs: deduplicated
/// in chunks of one and of two CUs, as vmlinux is by 128, it gives the BTF
/// one pass gives, on one thread and on two.
#[test]
fn chunked_deduplication_equals_one_pass() {
    let renamed = |n: usize| {
        [
            "sum",
            "entry",
            "percpu_counter",
            "global_counter",
            "default_ops",
        ]
        .map(|s| format!("-D{s}={s}{n}"))
    };
    let dir = std::env::temp_dir().join(format!("btfscope-chunks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut parts = Vec::new();
    for (n, flags) in [
        (1, ["-O0", "-g"]),
        (2, ["-O2", "-g"]),
        (3, ["-O0", "-gdwarf-4"]),
    ] {
        let mut args: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
        if n > 1 {
            args.extend(renamed(n));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let Some(obj) = compile("gcc", SAMPLE, &args, &format!("cu{n}")) else {
            return;
        };
        let path = dir.join(format!("cu{n}.o"));
        std::fs::write(&path, obj).unwrap();
        parts.push(path);
    }
    let linked = dir.join("three.o");
    let status = Command::new("ld")
        .arg("-r")
        .arg("-o")
        .arg(&linked)
        .args(&parts)
        .status()
        .unwrap();
    assert!(status.success(), "ld -r failed");
    let obj = std::fs::read(&linked).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    let encode_in = |chunk_cus: usize, threads: usize| {
        let opts = Options {
            features: Features::parse("default,global_var").unwrap(),
            chunk_cus,
            ..Options::default()
        };
        let (btf, report) = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| encode(&obj, None, &opts, &|_, _| {}).unwrap());
        assert_eq!(report.cus, 3);
        (btf.to_bytes(), report.types_encoded)
    };
    let one_pass = encode_in(0, 2);
    for (chunk_cus, threads) in [(1, 1), (1, 2), (2, 2)] {
        assert!(
            encode_in(chunk_cus, threads) == one_pass,
            "chunks of {chunk_cus} CUs on {threads} threads differ from one pass"
        );
    }
}
