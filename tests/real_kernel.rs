//! The real-kernel tier: a real vmlinux and every one of its modules,
//! dumped by us and by bpftool 7.1 (text and `-j`), must agree byte for
//! byte; writing the parsed BTF back must give the section's bytes; and the
//! copy in the other byte order must read back to the same dump. Once for a
//! little-endian kernel (Debian amd64) and once for a big-endian one
//! (Debian s390x). The data comes from scripts/fetch-kernel.sh; without it
//! the tests skip loudly, or fail when BTFSCOPE_REQUIRE_KERNEL is set.

#[path = "common/kernel.rs"]
mod kernel;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use btfscope::btf::dump::{dump, DumpFormat};
use btfscope::btf::{Btf, Endian};
use btfscope::intake::{Codec, Input, Layer};
use rayon::prelude::*;

/// One pool for every test in this file, so that tests running at the same
/// time still keep two cores busy, not more.
fn pool() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap()
    })
}

/// bpftool from $BPFTOOL, else Debian's, which is in /usr/sbin (often not
/// on a user's PATH).
fn bpftool_path() -> PathBuf {
    std::env::var_os("BPFTOOL").map_or_else(|| PathBuf::from("/usr/sbin/bpftool"), PathBuf::from)
}

/// `bpftool [-j] btf dump file FILE [-B BASE]`'s standard output.
fn bpftool(json: bool, file: &Path, base: Option<&Path>) -> Result<Vec<u8>, String> {
    let mut cmd = Command::new(bpftool_path());
    if json {
        cmd.arg("-j");
    }
    cmd.args(["btf", "dump", "file"]).arg(file);
    if let Some(base) = base {
        cmd.arg("-B").arg(base);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bpftool_path().display()))?;
    if !out.status.success() {
        return Err(format!(
            "bpftool{} failed: {}",
            if json { " -j" } else { "" },
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

fn our_dump(btf: &Btf, format: DumpFormat) -> Vec<u8> {
    let mut out = Vec::new();
    dump(btf, format, &mut out).unwrap();
    out
}

/// The surroundings of the first byte where two dumps differ, cut to the
/// line (JSON is a single line, hence the window).
fn first_difference(ours: &[u8], theirs: &[u8]) -> String {
    let at = ours
        .iter()
        .zip(theirs)
        .position(|(a, b)| a != b)
        .unwrap_or(ours.len().min(theirs.len()));
    let around = |d: &[u8]| {
        let at = at.min(d.len());
        let start = d[..at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let end = d[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(d.len(), |p| at + p);
        let (start, end) = (start.max(at.saturating_sub(150)), end.min(at + 150));
        String::from_utf8_lossy(&d[start..end]).into_owned()
    };
    format!(
        "first difference at byte {at} (lengths {} and {}):\n    ours:    {}\n    bpftool: {}",
        ours.len(),
        theirs.len(),
        around(ours),
        around(theirs)
    )
}

/// Counts of what was checked and what agreed, and the disagreements.
#[derive(Default)]
struct Tally {
    checked: AtomicUsize,
    dump: AtomicUsize,
    json: AtomicUsize,
    round_trip: AtomicUsize,
    swapped: AtomicUsize,
    failures: Mutex<Vec<String>>,
}

impl Tally {
    fn fail(&self, name: &str, what: impl std::fmt::Display) {
        self.failures
            .lock()
            .unwrap()
            .push(format!("{name}: {what}"));
    }

    fn hit(counter: &AtomicUsize) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Prints the counts and fails listing the first few mismatches.
    fn finish(self, what: &str) {
        let n = |c: AtomicUsize| c.into_inner();
        let checked = n(self.checked);
        let counts = [
            n(self.dump),
            n(self.json),
            n(self.round_trip),
            n(self.swapped),
        ];
        // Straight to stderr, so that the counts show without --nocapture.
        let _ = writeln!(
            std::io::stderr(),
            "{what} checked: {checked}, dump identical: {}, json identical: {}, \
             round trip identical: {}, byte-swapped identical: {}",
            counts[0],
            counts[1],
            counts[2],
            counts[3]
        );
        let mut failures = self.failures.into_inner().unwrap();
        failures.sort();
        assert!(
            failures.is_empty(),
            "{} mismatches (bpftool: {}); the first:\n{}",
            failures.len(),
            bpftool_path().display(),
            failures[..failures.len().min(5)].join("\n")
        );
        assert!(checked > 0, "no {what} found");
        assert!(counts.iter().all(|&c| c == checked));
    }
}

/// The byte order a BTF is not in.
fn other(endian: Endian) -> Endian {
    match endian {
        Endian::Little => Endian::Big,
        Endian::Big => Endian::Little,
    }
}

/// Checks one BTF against bpftool's reading of `file` (on `base_file`):
/// text and JSON dumps, writing back to `section`, and the other byte order
/// (split on `swapped_base`, the base in that order).
fn check(
    tally: &Tally,
    name: &str,
    btf: &Btf,
    section: &[u8],
    file: &Path,
    base_file: Option<&Path>,
    swapped_base: Option<&Btf>,
) {
    Tally::hit(&tally.checked);
    let text = our_dump(btf, DumpFormat::Raw);
    for (json, ours, counter) in [
        (false, &text, &tally.dump),
        (true, &our_dump(btf, DumpFormat::Json), &tally.json),
    ] {
        match bpftool(json, file, base_file) {
            Ok(theirs) if &theirs == ours => Tally::hit(counter),
            Ok(theirs) => tally.fail(
                name,
                format!(
                    "{} dump differs; {}",
                    if json { "JSON" } else { "text" },
                    first_difference(ours, &theirs)
                ),
            ),
            Err(e) => tally.fail(name, e),
        }
    }
    if btf.to_bytes() == section {
        Tally::hit(&tally.round_trip);
    } else {
        tally.fail(name, "to_bytes() differs from the section");
    }
    let swapped = btf.to_bytes_in(other(btf.endian()));
    match Btf::parse_with_base(&swapped, swapped_base) {
        Ok(s)
            if our_dump(&s, DumpFormat::Raw) == text && s.to_bytes_in(btf.endian()) == section =>
        {
            Tally::hit(&tally.swapped)
        }
        Ok(_) => tally.fail(name, "the byte-swapped copy reads back differently"),
        Err(e) => tally.fail(name, format!("the byte-swapped copy does not parse: {e}")),
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A scratch directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("btfscope-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn amd64_vmlinux_from_vmlinuz_matches_bpftool() {
    if !kernel::available("amd64_vmlinux_from_vmlinuz_matches_bpftool") {
        return;
    }
    let image = read(&kernel::vmlinuz_path());
    let input = Input::open(&image).unwrap();
    assert!(
        matches!(
            input.layers[..],
            [
                Layer::BzImage { .. },
                Layer::Compressed {
                    codec: Codec::Xz,
                    ..
                },
                Layer::Elf {
                    bits: 64,
                    big_endian: false
                }
            ]
        ),
        "{:?}",
        input.layers
    );
    let elf = read(&kernel::vmlinux_path());
    let section = kernel::btf_section(&elf);
    assert!(
        input.btf_bytes() == Some(&section[..]),
        "the vmlinuz's .BTF differs from the vmlinux's"
    );

    let btf = input.parse_btf(None).unwrap();
    let tally = Tally::default();
    check(
        &tally,
        "vmlinux",
        &btf,
        &section,
        &kernel::vmlinux_path(),
        None,
        None,
    );
    tally.finish("vmlinux");
}

#[test]
fn amd64_modules_match_bpftool() {
    if !kernel::available("amd64_modules_match_bpftool") {
        return;
    }
    let vmlinux = kernel::vmlinux_path();
    let elf = read(&vmlinux);
    let base_input = Input::open(&elf).unwrap();
    let base = base_input.parse_btf(None).unwrap();
    let swapped_bytes = base.to_bytes_in(Endian::Big);
    let swapped_base = Btf::parse(&swapped_bytes).unwrap();

    let tally = Tally::default();
    pool().install(|| {
        kernel::module_paths().par_iter().for_each(|path| {
            let name = path
                .strip_prefix(kernel::modules_dir())
                .unwrap()
                .display()
                .to_string();
            let data = read(path);
            let parsed = Input::open(&data).and_then(|input| {
                let btf = input.parse_btf(Some(&base))?;
                let section = input.btf_bytes().unwrap();
                check(
                    &tally,
                    &name,
                    &btf,
                    section,
                    path,
                    Some(&vmlinux),
                    Some(&swapped_base),
                );
                Ok(())
            });
            if let Err(e) = parsed {
                tally.fail(&name, e);
            }
        })
    });
    tally.finish("modules");
}

/// The s390x kernel has no ELF vmlinux: the vmlinuz is a raw image holding
/// a zstd stream, which holds the raw kernel image with the BTF blob in it.
/// bpftool reads the blob we found, and the modules' dumps confirm it is
/// the right one: their names resolve through its strings.
#[test]
fn s390x_big_endian_kernel_matches_bpftool() {
    let Some(s390x) = kernel::s390x("s390x_big_endian_kernel_matches_bpftool") else {
        return;
    };
    let image = read(&s390x.vmlinuz);
    let input = Input::open(&image).unwrap();
    assert!(
        matches!(
            input.layers[..],
            [
                Layer::Compressed {
                    codec: Codec::Zstd,
                    ..
                },
                Layer::RawImage { .. }
            ]
        ),
        "{:?}",
        input.layers
    );
    let base = input.parse_btf(None).unwrap();
    assert_eq!(base.endian(), Endian::Big);
    let section = input.btf_bytes().unwrap();
    let tmp = TempDir::new("s390x");
    let base_file = tmp.0.join("vmlinux.btf");
    std::fs::write(&base_file, section).unwrap();

    let tally = Tally::default();
    check(
        &tally,
        "s390x vmlinux",
        &base,
        section,
        &base_file,
        None,
        None,
    );
    tally.finish("s390x vmlinux");

    let swapped_bytes = base.to_bytes_in(Endian::Little);
    let swapped_base = Btf::parse(&swapped_bytes).unwrap();
    let modules = kernel::files_under(&s390x.modules_dir, ".ko.xz");
    let tally = Tally::default();
    pool().install(|| {
        modules.par_iter().enumerate().for_each(|(i, path)| {
            let name = path
                .strip_prefix(&s390x.modules_dir)
                .unwrap()
                .display()
                .to_string();
            let data = read(path);
            let parsed = Input::open(&data).and_then(|input| {
                assert!(
                    matches!(
                        input.layers[..],
                        [
                            Layer::Compressed {
                                codec: Codec::Xz,
                                at: 0
                            },
                            Layer::Elf {
                                bits: 64,
                                big_endian: true
                            }
                        ]
                    ),
                    "{name}: {:?}",
                    input.layers
                );
                let btf = input.parse_btf(Some(&base))?;
                // bpftool reads no .ko.xz: give it the ELF file.
                let elf = tmp.0.join(format!("{i}.ko"));
                std::fs::write(&elf, input.data()).unwrap();
                let section = input.btf_bytes().unwrap();
                check(
                    &tally,
                    &name,
                    &btf,
                    section,
                    &elf,
                    Some(&base_file),
                    Some(&swapped_base),
                );
                std::fs::remove_file(&elf).unwrap();
                Ok(())
            });
            if let Err(e) = parsed {
                tally.fail(&name, e);
            }
        })
    });
    tally.finish("s390x modules");
}

/// `CMD -c FILE`'s output, or `None` when CMD is not installed.
fn compress_with(cmd: &str, file: &Path) -> Option<Vec<u8>> {
    let out = Command::new(cmd).arg("-c").arg(file).output().ok()?;
    assert!(out.status.success(), "{cmd} -c {} failed", file.display());
    Some(out.stdout)
}

/// A module compressed as distributions ship them reads as the module.
#[test]
fn compressed_modules_give_the_module_btf() {
    if !kernel::available("compressed_modules_give_the_module_btf") {
        return;
    }
    let path = kernel::modules_dir().join("fs/nfs/nfs.ko");
    let section = kernel::btf_section(&read(&path));
    for (cmd, codec) in [
        ("gzip", Codec::Gzip),
        ("xz", Codec::Xz),
        ("zstd", Codec::Zstd),
    ] {
        let Some(compressed) = compress_with(cmd, &path) else {
            kernel::skip(
                "compressed_modules_give_the_module_btf",
                &format!("the {cmd} command"),
            );
            return;
        };
        let input = Input::open(&compressed).unwrap();
        assert_eq!(
            input.layers[..],
            [
                Layer::Compressed { codec, at: 0 },
                Layer::Elf {
                    bits: 64,
                    big_endian: false
                }
            ],
            "nfs.ko.{cmd}"
        );
        assert!(
            input.btf_bytes() == Some(&section[..]),
            "nfs.ko.{cmd}: .BTF differs"
        );
    }
}

/// A raw BTF file (as /sys/kernel/btf/* or `bpftool btf dump ... format raw`
/// gives) is taken as is.
#[test]
fn raw_btf_file_is_read_as_is() {
    if !kernel::available("raw_btf_file_is_read_as_is") {
        return;
    }
    let section = kernel::btf_section(&read(&kernel::vmlinux_path()));
    let input = Input::open(&section).unwrap();
    assert_eq!(input.layers, [Layer::RawBtf]);
    assert!(input.btf_bytes() == Some(&section[..]));
    assert_eq!(input.parse_btf(None).unwrap().type_count(), 100_800);
}

/// Our xz decoder gives what xz itself gives for a real .ko.xz.
#[test]
fn s390x_ko_xz_decompresses_as_xz_does() {
    let Some(s390x) = kernel::s390x("s390x_ko_xz_decompresses_as_xz_does") else {
        return;
    };
    let path = s390x.modules_dir.join("fs/nfs/nfs.ko.xz");
    let out = Command::new("xz").arg("-dc").arg(&path).output();
    let Some(expected) = out.ok().map(|o| o.stdout) else {
        kernel::skip("s390x_ko_xz_decompresses_as_xz_does", "the xz command");
        return;
    };
    let data = read(&path);
    let input = Input::open(&data).unwrap();
    assert!(
        input.data() == &expected[..],
        "{} decompresses differently",
        path.display()
    );
}
