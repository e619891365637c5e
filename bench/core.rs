//! `btfscope core` on a program with a few hundred relocations against ten
//! kernels, with bpftool 7.5 `gen min_core_btf` (which resolves the same
//! relocations with libbpf, one kernel per process) as the anchor, in the
//! same run.
//!
//! Run: `cargo bench --bench core` after scripts/fetch-kernel.sh,
//! fetch-kernels-compat.sh and fetch-bpftool.sh. The program is
//! bench/core/relocs.c (245 byte_off relocations), compiled here with clang
//! against the Debian 6.1 vmlinux.h; the ten kernels are the four the tests
//! use (6.1.0-55, 6.1.0-47, 6.12 amd64, 6.12 s390x), repeated, as raw BTF
//! (decompressing a vmlinuz is not part of what is timed).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use btfscope::btf::Btf;
use btfscope::core::min_btf::min_core_btf;
use btfscope::core::{Program, Target};
use btfscope::intake::Input;

fn cache() -> PathBuf {
    PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/btfscope")
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .collect(),
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-core");
    std::fs::create_dir_all(&dir).unwrap();
    let bpftool = cache().join("bpftool-7.5/bpftool");
    let header = dir.join("vmlinux.h");
    let out = Command::new(&bpftool)
        .args(["btf", "dump", "file"])
        .arg(cache().join("vmlinux-6.1.0-55"))
        .args(["format", "c"])
        .output()
        .expect("bpftool 7.5 (scripts/fetch-bpftool.sh)");
    std::fs::write(&header, out.stdout).unwrap();
    let obj = dir.join("relocs.o");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/core/relocs.c");
    let ok = Command::new("clang")
        .args(["-target", "bpf", "-O2", "-g", "-c", "-I"])
        .arg(&dir)
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .status()
        .unwrap()
        .success();
    assert!(ok, "clang");

    let mut sources = vec![cache().join("vmlinux-6.1.0-55")];
    let mut compat: Vec<PathBuf> = std::fs::read_dir(cache().join("compat"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.to_string_lossy().contains("vmlinuz"))
        .collect();
    compat.sort();
    sources.extend(compat);
    let s390x_boot = cache().join("s390x/boot");
    if let Ok(rd) = std::fs::read_dir(&s390x_boot) {
        sources.extend(
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().contains("vmlinuz")),
        );
    }
    let raws: Vec<Vec<u8>> = sources
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).unwrap();
            Input::open(&bytes).unwrap().btf_bytes().unwrap().to_vec()
        })
        .collect();
    let kernels: Vec<&Vec<u8>> = raws.iter().cycle().take(10).collect();
    let files: Vec<PathBuf> = kernels
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            let p = dir.join(format!("kernel{i}.btf"));
            std::fs::write(&p, raw).unwrap();
            p
        })
        .collect();

    let obj_bytes = std::fs::read(&obj).unwrap();
    let input = Input::open(&obj_bytes).unwrap();
    let local = input.parse_btf(None).unwrap();
    let ext = input.parse_btf_ext().unwrap().unwrap();
    let program = Program::new(&local, &ext);
    let relocs = ext.core_relo_count();

    let runs = 5;
    // Parse and index ten kernels.
    let prepare = time(runs, || {
        let btfs: Vec<Btf> = kernels.iter().map(|r| Btf::parse(r).unwrap()).collect();
        btfs.iter().map(|b| Target::new(b).side().ptr).sum::<u32>()
    });
    let parse_only = time(runs, || {
        kernels
            .iter()
            .map(|r| Btf::parse(r).unwrap().type_count())
            .sum::<u32>()
    });
    let btfs: Vec<Btf> = kernels.iter().map(|r| Btf::parse(r).unwrap()).collect();
    let index = time(runs, || {
        btfs.iter().map(|b| Target::new(b).side().ptr).sum::<u32>()
    });
    let targets: Vec<Target> = btfs.iter().map(Target::new).collect();
    let resolve = time(runs, || {
        targets
            .iter()
            .map(|t| program.resolve(t).len())
            .sum::<usize>()
    });
    let min = time(runs, || {
        targets
            .iter()
            .map(|t| {
                min_core_btf(t, std::slice::from_ref(&program))
                    .unwrap()
                    .len()
            })
            .sum::<usize>()
    });
    let cli = time(runs, || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_btfscope"));
        cmd.arg("core").arg(&obj);
        for f in &files {
            cmd.arg("-B").arg(f);
        }
        assert!(cmd.output().unwrap().status.success());
    });
    let anchor = time(runs, || {
        for f in &files {
            let ok = Command::new(&bpftool)
                .args(["gen", "min_core_btf"])
                .arg(f)
                .arg(dir.join("anchor.btf"))
                .arg(&obj)
                .output()
                .unwrap()
                .status
                .success();
            assert!(ok);
        }
    });
    println!(
        "{relocs} relocations × {} kernels (median of {runs})",
        kernels.len()
    );
    println!(
        "  parse + name index of 10 kernels (in process): {:.1} ms (parse {:.1}, index {:.1})",
        ms(prepare),
        ms(parse_only),
        ms(index)
    );
    println!(
        "  resolve all relocations on 10 kernels (in process): {:.1} ms",
        ms(resolve)
    );
    println!(
        "  min_core_btf on 10 kernels (in process): {:.1} ms",
        ms(min)
    );
    println!(
        "  btfscope core PROG -B ×10 (whole process): {:.1} ms",
        ms(cli)
    );
    println!(
        "  bpftool 7.5 gen min_core_btf ×10 (ten processes): {:.1} ms",
        ms(anchor)
    );
    println!(
        "  ratio bpftool / btfscope core: {:.1}×",
        anchor.as_secs_f64() / cli.as_secs_f64()
    );
}
