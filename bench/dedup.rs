//! Deduplication: btfscope against libbpf 1.7's `btf__dedup`, in the same
//! run, on the real vmlinux and on every module split on it.
//!
//! Run: `cargo bench --bench dedup` after `scripts/fetch-kernel.sh`.
//! Each measurement runs in a child process of this binary, so that the
//! peak RSS reported is that measurement's alone. Outputs are checked to be
//! identical to libbpf's before anything is timed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use btfscope::btf::Btf;
use btfscope::dedup::{dedup, dedup_split, BaseIndex, DedupRules};
use btfscope::intake::Input;
use rayon::prelude::*;

const VMLINUX_RUNS: usize = 15;

fn cache_dir() -> PathBuf {
    std::env::var_os("BTFSCOPE_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/btfscope")
        })
}

fn btf_section(path: &Path) -> Vec<u8> {
    let file = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let input = Input::open(&file).expect("opens");
    input.btf_bytes().expect("has .BTF").to_vec()
}

fn modules() -> Vec<Vec<u8>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "ko") {
                out.push(p);
            }
        }
    }
    let mut paths = Vec::new();
    walk(
        &cache_dir().join("k61/lib/modules/6.1.0-55-amd64/kernel"),
        &mut paths,
    );
    paths.sort();
    paths.iter().map(|p| btf_section(p)).collect()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// libbpf, through libbpf-sys. Split BTFs share one parsed base, as a
/// caller deduplicating many modules would do.
mod libbpf {
    use libbpf_sys as sys;

    pub struct Btf(*mut sys::btf);

    impl Btf {
        pub fn new(raw: &[u8], base: Option<&Btf>) -> Btf {
            // SAFETY: libbpf copies `raw`; the base outlives its split BTFs.
            let p = unsafe {
                sys::libbpf_set_print(None);
                match base {
                    None => sys::btf__new(raw.as_ptr().cast(), raw.len() as u32),
                    Some(b) => sys::btf__new_split(raw.as_ptr().cast(), raw.len() as u32, b.0),
                }
            };
            assert!(!p.is_null(), "libbpf parses the BTF");
            Btf(p)
        }

        pub fn dedup(&self) {
            // SAFETY: a valid btf; default options.
            let err = unsafe { sys::btf__dedup(self.0, std::ptr::null()) };
            assert_eq!(err, 0, "libbpf dedup");
        }

        pub fn raw(&self) -> Vec<u8> {
            let mut size = 0u32;
            // SAFETY: the data lives as long as the btf; copied at once.
            unsafe {
                let p = sys::btf__raw_data(self.0, &mut size);
                std::slice::from_raw_parts(p as *const u8, size as usize).to_vec()
            }
        }
    }

    impl Drop for Btf {
        fn drop(&mut self) {
            // SAFETY: created by btf__new*, freed once.
            unsafe { sys::btf__free(self.0) }
        }
    }
}

/// A field of /proc/self/status, in MiB.
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Starts peak-RSS accounting afresh (Linux: clear_refs 5 resets VmHWM).
fn reset_peak_rss() -> f64 {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    status_mib("VmRSS:")
}

/// CPU time of the whole process (all threads).
fn cpu_time() -> Duration {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: a valid clock id and a valid out pointer.
    unsafe { clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    Duration::new(ts.sec as u64, ts.nsec as u32)
}

/// Wall and CPU time of `f`.
fn timed(f: impl FnOnce()) -> (Duration, Duration) {
    let (wall, cpu) = (Instant::now(), cpu_time());
    f();
    (wall.elapsed(), cpu_time() - cpu)
}

/// One measurement, in this (child) process; prints wall and CPU seconds
/// (medians for repeated runs) and the peak RSS it added, in MiB.
fn measure(what: &str, vmlinux: &[u8]) {
    let runs: Vec<(Duration, Duration)>;
    let baseline;
    match what {
        "ours-vmlinux" => {
            let btf = Btf::parse(vmlinux).unwrap();
            baseline = reset_peak_rss();
            runs = (0..VMLINUX_RUNS)
                .map(|_| timed(|| drop(std::hint::black_box(dedup(&btf).unwrap()))))
                .collect();
        }
        "libbpf-vmlinux" => {
            baseline = reset_peak_rss();
            runs = (0..VMLINUX_RUNS)
                .map(|_| {
                    let btf = libbpf::Btf::new(vmlinux, None);
                    timed(|| btf.dedup())
                })
                .collect();
        }
        "ours-modules" => {
            let mods = modules();
            baseline = reset_peak_rss();
            runs = vec![timed(|| {
                let base = Btf::parse(vmlinux).unwrap();
                let index = BaseIndex::with_rules(&base, DedupRules::Libbpf1_7).unwrap();
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(2)
                    .build()
                    .unwrap();
                let total: u64 = pool.install(|| {
                    mods.par_iter()
                        .map(|raw| {
                            let btf = Btf::parse_split(raw, &base).unwrap();
                            dedup_split(&index, &btf).unwrap().to_bytes_len()
                        })
                        .sum()
                });
                std::hint::black_box(total);
            })];
        }
        "libbpf-modules" => {
            let mods = modules();
            baseline = reset_peak_rss();
            runs = vec![timed(|| {
                let base = libbpf::Btf::new(vmlinux, None);
                for raw in &mods {
                    libbpf::Btf::new(raw, Some(&base)).dedup();
                }
            })];
        }
        _ => panic!("unknown measurement {what}"),
    }
    let wall = median(runs.iter().map(|r| r.0).collect());
    let cpu = median(runs.iter().map(|r| r.1).collect());
    let best = runs.iter().map(|r| r.0).min().unwrap_or_default();
    println!(
        "{} {} {} {}",
        wall.as_secs_f64(),
        cpu.as_secs_f64(),
        status_mib("VmHWM:") - baseline,
        best.as_secs_f64()
    );
}

/// Our outputs equal libbpf's, so that the timings compare the same work.
fn check_identical(vmlinux: &[u8]) {
    let base = Btf::parse(vmlinux).unwrap();
    let ours = dedup(&base).unwrap().to_bytes();
    let theirs = libbpf::Btf::new(vmlinux, None);
    theirs.dedup();
    assert!(ours == theirs.raw(), "vmlinux output differs from libbpf's");
    let index = BaseIndex::with_rules(&base, DedupRules::Libbpf1_7).unwrap();
    let lbase = libbpf::Btf::new(vmlinux, None);
    let mods = modules();
    let (mut bytes_in, mut bytes_out) = (0, 0);
    for raw in &mods {
        let ours = dedup_split(&index, &Btf::parse_split(raw, &base).unwrap())
            .unwrap()
            .to_bytes();
        let theirs = libbpf::Btf::new(raw, Some(&lbase));
        theirs.dedup();
        assert!(
            ours == theirs.raw(),
            "a module's output differs from libbpf's"
        );
        bytes_in += raw.len();
        bytes_out += ours.len();
    }
    println!(
        "outputs identical to libbpf: vmlinux, and {} modules ({bytes_in} → {bytes_out} bytes)",
        mods.len()
    );
}

fn main() {
    let vmlinux_path = cache_dir().join("vmlinux-6.1.0-55");
    if !vmlinux_path.is_file() {
        eprintln!(
            "bench dedup: {} not found; run scripts/fetch-kernel.sh first",
            vmlinux_path.display()
        );
        return;
    }
    let vmlinux = btf_section(&vmlinux_path);
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--measure") {
        measure(&args[i + 1], &vmlinux);
        return;
    }
    check_identical(&vmlinux);
    let exe = std::env::current_exe().unwrap();
    let run = |what: &str| -> [f64; 4] {
        let out = Command::new(&exe)
            .args(["--measure", what])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let v: Vec<f64> = text
            .split_whitespace()
            .map(|v| v.parse().unwrap())
            .collect();
        [v[0], v[1], v[2], v[3]]
    };
    let rows = [
        ("vmlinux (median of 15)", "ours-vmlinux", "libbpf-vmlinux"),
        (
            "4023 modules split on vmlinux (btfscope: index + 2 threads; libbpf: one at a time)",
            "ours-modules",
            "libbpf-modules",
        ),
    ];
    println!(
        "| what | btfscope wall (best) / CPU | libbpf 1.7 wall (best) / CPU | wall ratio (best) | CPU ratio | peak RSS added, btfscope / libbpf |"
    );
    println!("|---|---|---|---|---|---|");
    for (label, ours, theirs) in rows {
        let [ow, oc, orss, ob] = run(ours);
        let [lw, lc, lrss, lb] = run(theirs);
        println!(
            "| {label} | {:.1} ({:.1}) / {:.1} ms | {:.1} ({:.1}) / {:.1} ms | {:.3}× ({:.3}×) | {:.3}× | {orss:.0} / {lrss:.0} MiB |",
            ow * 1e3,
            ob * 1e3,
            oc * 1e3,
            lw * 1e3,
            lb * 1e3,
            lc * 1e3,
            ow / lw,
            ob / lb,
            oc / lc
        );
    }
}
