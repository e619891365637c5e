//! The real-kernel data sets fetched by scripts/fetch-kernel.sh, located
//! outside the repository: Debian 6.1.0-55-amd64 (little-endian) and a
//! Debian s390x kernel (big-endian).

#![allow(dead_code)] // each test crate uses its own subset

use std::path::{Path, PathBuf};

pub fn cache_dir() -> PathBuf {
    std::env::var_os("BTFSCOPE_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/btfscope")
        })
}

pub fn vmlinux_path() -> PathBuf {
    cache_dir().join("vmlinux-6.1.0-55")
}

pub fn modules_dir() -> PathBuf {
    cache_dir().join("k61/lib/modules/6.1.0-55-amd64/kernel")
}

/// The amd64 vmlinuz the vmlinux was extracted from (bzImage, xz payload).
pub fn vmlinuz_path() -> PathBuf {
    cache_dir().join("k61/boot/vmlinuz-6.1.0-55-amd64")
}

/// The data is there; otherwise says why the test is skipped (or fails,
/// when BTFSCOPE_REQUIRE_KERNEL is set, as in CI).
pub fn available(test: &str) -> bool {
    if vmlinux_path().is_file() && modules_dir().is_dir() {
        return true;
    }
    skip(test, "amd64 kernel data");
    false
}

/// Skips a test loudly, or fails it when BTFSCOPE_REQUIRE_KERNEL is set.
pub fn skip(test: &str, what: &str) {
    let msg = format!(
        "{test}: {what} not found under {}; run scripts/fetch-kernel.sh",
        cache_dir().display()
    );
    assert!(
        std::env::var_os("BTFSCOPE_REQUIRE_KERNEL").is_none(),
        "{msg}"
    );
    // Straight to stderr: the test harness hides eprintln! of passing tests.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "\n******** SKIPPED {msg} ********\n");
}

/// Other kernels' vmlinuz, fetched by scripts/fetch-kernels-compat.sh as
/// relocation targets: another bookworm 6.1 ABI and trixie's 6.12.
pub fn compat_kernels(test: &str) -> Vec<PathBuf> {
    let found = files_under(&cache_dir().join("compat"), "-amd64");
    if found.len() < 2 {
        skip(
            test,
            "relocation target kernels (run scripts/fetch-kernels-compat.sh)",
        );
    }
    found
}

/// The big-endian kernel: its version is whatever the fetch script found
/// current, so it is looked up rather than named.
pub struct S390x {
    pub vmlinuz: PathBuf,
    pub modules_dir: PathBuf,
}

pub fn s390x(test: &str) -> Option<S390x> {
    let dir = cache_dir().join("s390x");
    let only = |dir: PathBuf, prefix: &str| {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
            })
            .collect();
        found.sort();
        found.pop()
    };
    let found = only(dir.join("boot"), "vmlinuz-").zip(only(dir.join("usr/lib/modules"), ""));
    match found {
        Some((vmlinuz, release)) => Some(S390x {
            vmlinuz,
            modules_dir: release.join("kernel"),
        }),
        None => {
            skip(test, "s390x kernel data");
            None
        }
    }
}

/// Every file under `dir` whose name ends in `suffix`, sorted by path.
pub fn files_under(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, suffix: &str, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, suffix, out);
            } else if p.to_string_lossy().ends_with(suffix) {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, suffix, &mut out);
    out.sort();
    out
}

/// Every `.ko` under the amd64 modules directory, sorted by path.
pub fn module_paths() -> Vec<PathBuf> {
    files_under(&modules_dir(), ".ko")
}

/// The `.BTF` section bytes of an ELF file.
pub fn btf_section(file: &[u8]) -> Vec<u8> {
    let input = btfscope::intake::Input::open(file).expect("opens");
    input.btf_bytes().expect("has .BTF").to_vec()
}

/// The vmlinux's raw `.BTF`.
pub fn vmlinux_btf() -> Vec<u8> {
    btf_section(&std::fs::read(vmlinux_path()).unwrap())
}

/// Fails listing the first few of `failures` (one line per module).
pub fn assert_no_failures(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} modules differ; first:\n{}",
        failures.len(),
        failures[..failures.len().min(3)].join("\n")
    );
}
