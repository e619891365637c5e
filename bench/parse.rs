//! Parse + stat of a real vmlinux BTF: btfscope against libbpf (in process)
//! and against bpftool (whole process), in the same run.
//!
//! Run: `cargo bench --bench parse` after `scripts/fetch-kernel.sh`.
//! Set BTFSCOPE_VMLINUX to use another vmlinux (ELF or raw BTF).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use btfscope::analyze::stat::stat;
use btfscope::btf::Btf;
use btfscope::intake::Input;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time_runs(runs: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

/// libbpf's equivalent of `stat`: parse, then visit every type's kind and size.
fn libbpf_parse_stat(raw: &[u8]) -> u64 {
    unsafe {
        let btf = libbpf_sys::btf__new(raw.as_ptr().cast(), raw.len() as u32);
        assert!(!btf.is_null(), "libbpf failed to parse the BTF");
        let mut per_kind = [0u64; 32];
        let n = libbpf_sys::btf__type_cnt(btf);
        for id in 1..n {
            let t = libbpf_sys::btf__type_by_id(btf, id);
            per_kind[(((*t).info >> 24) & 0x1f) as usize] += 1;
        }
        libbpf_sys::btf__free(btf);
        per_kind.iter().sum()
    }
}

fn main() {
    let path = std::env::var_os("BTFSCOPE_VMLINUX")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let cache = std::env::var_os("BTFSCOPE_CACHE")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/btfscope")
                });
            cache.join("vmlinux-6.1.0-55")
        });
    let Ok(file) = std::fs::read(&path) else {
        eprintln!(
            "bench parse: {} not found; run scripts/fetch-kernel.sh first",
            path.display()
        );
        return;
    };
    let input = Input::open(&file).expect("vmlinux opens");
    let raw = input.btf_bytes().expect("vmlinux has .BTF").to_vec();
    let runs = 30;

    let ours = time_runs(runs, || {
        let btf = Btf::parse(&raw).expect("parses");
        std::hint::black_box(stat(&btf));
    });
    let types = Btf::parse(&raw).unwrap().local_len() as u64;
    assert_eq!(
        libbpf_parse_stat(&raw),
        types,
        "libbpf and btfscope agree on the type count"
    );
    let libbpf = time_runs(runs, || {
        std::hint::black_box(libbpf_parse_stat(&raw));
    });

    println!(
        "parse + stat of {} ({} bytes of BTF, {types} types), median of {runs}:",
        path.display(),
        raw.len()
    );
    println!("  btfscope  {:>8.2} ms", ours.as_secs_f64() * 1e3);
    println!("  libbpf    {:>8.2} ms", libbpf.as_secs_f64() * 1e3);
    println!(
        "  ratio btfscope/libbpf: {:.2}x",
        ours.as_secs_f64() / libbpf.as_secs_f64()
    );

    // Whole-process dumps: our CLI against bpftool on the same file.
    let ours_bin = env!("CARGO_BIN_EXE_btfscope");
    let dump = |cmd: &mut Command| {
        let status = cmd.stdout(Stdio::null()).status().expect("process runs");
        assert!(status.success());
    };
    let cli_runs = 10;
    let ours_dump = time_runs(cli_runs, || {
        dump(Command::new(ours_bin).arg("dump").arg(&path))
    });
    if Command::new("bpftool")
        .arg("version")
        .stdout(Stdio::null())
        .status()
        .is_ok()
    {
        let bpftool = time_runs(cli_runs, || {
            dump(
                Command::new("bpftool")
                    .args(["btf", "dump", "file"])
                    .arg(&path),
            )
        });
        println!("full text dump as a process, median of {cli_runs}:");
        println!(
            "  btfscope dump      {:>8.2} ms",
            ours_dump.as_secs_f64() * 1e3
        );
        println!(
            "  bpftool btf dump   {:>8.2} ms",
            bpftool.as_secs_f64() * 1e3
        );
        println!(
            "  ratio btfscope/bpftool: {:.2}x",
            ours_dump.as_secs_f64() / bpftool.as_secs_f64()
        );
    } else {
        println!("bpftool not installed; skipping the process comparison");
    }
}
