//! Distillation and relocation of real kernel modules against libbpf 1.7:
//! every module of Debian 6.1.0-55 distilled, then relocated onto its own
//! vmlinux (all must succeed), another 6.1 ABI and a 6.12 kernel, where
//! success or failure and the result must agree with libbpf's.

#[path = "common/kernel.rs"]
mod kernel;
#[path = "common/libbpf.rs"]
mod libbpf;

use std::cell::RefCell;
use std::path::PathBuf;

use btfscope::btf::Btf;
use btfscope::distill::{distill, DistilledSizes, Relocation, TargetIndex};
use btfscope::intake::Input;
use rayon::prelude::*;

thread_local! {
    /// libbpf's BTFs by role, one per worker thread (libbpf builds string
    /// indexes in them lazily, so they are not shared).
    static LIBBPF: RefCell<Vec<(String, libbpf::Base)>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on this thread's libbpf copy of `raw`, known as `key`.
fn with_libbpf<T>(key: &str, raw: &[u8], f: impl FnOnce(&libbpf::Base) -> T) -> T {
    LIBBPF.with(|cell| {
        let mut all = cell.borrow_mut();
        if !all.iter().any(|(k, _)| k == key) {
            all.push((
                key.to_string(),
                libbpf::Base::new(raw).expect("libbpf parses it"),
            ));
        }
        let (_, base) = all.iter().find(|(k, _)| k == key).expect("just added");
        f(base)
    })
}

/// Prints straight to stderr: the harness hides a passing test's eprintln!.
fn say(msg: String) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{msg}");
}

fn vmlinux_raw() -> Vec<u8> {
    kernel::vmlinux_btf()
}

/// The `.BTF` of a vmlinuz, through our intake (libbpf reads raw BTF only).
fn vmlinuz_raw(path: &PathBuf) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    let input = Input::open(&bytes).unwrap();
    input.btf_bytes().expect("vmlinuz has BTF").to_vec()
}

#[test]
fn every_module_distills_identically_to_libbpf() {
    if !kernel::available("every_module_distills_identically_to_libbpf") {
        return;
    }
    distill_all("vmlinux", &vmlinux_raw(), &kernel::module_paths());
}

#[test]
fn big_endian_modules_distill_identically_to_libbpf() {
    let Some(s390x) = kernel::s390x("big_endian_modules_distill_identically_to_libbpf") else {
        return;
    };
    let paths = kernel::files_under(&s390x.modules_dir, ".ko.xz");
    distill_all("s390x", &vmlinuz_raw(&s390x.vmlinuz), &paths);
}

/// Distills every module in `paths` on `base_raw` (known to libbpf as
/// `key`), ours and libbpf's, and requires identical bytes.
fn distill_all(key: &str, base_raw: &[u8], paths: &[PathBuf]) {
    let base = Btf::parse(base_raw).unwrap();
    let results: Vec<Result<(PathBuf, DistilledSizes), String>> = paths
        .par_iter()
        .map(|path| {
            let raw = kernel::btf_section(&std::fs::read(path).unwrap());
            let name = path.display();
            let btf = Btf::parse_split(&raw, &base).map_err(|e| format!("{name}: parse: {e}"))?;
            let ours = distill(&btf).map_err(|e| format!("{name}: ours: {e}"))?;
            let (base_theirs, split_theirs) =
                with_libbpf(key, base_raw, |b| libbpf::distill(&raw, b))
                    .map_err(|e| format!("{name}: libbpf: {e}"))?;
            libbpf::compare(&ours.base_bytes(), &base_theirs, None)
                .map_err(|e| format!("{name}: distilled base: {e}"))?;
            let dist_base = Btf::parse(&base_theirs).map_err(|e| format!("{name}: {e}"))?;
            libbpf::compare(&ours.split_bytes(), &split_theirs, Some(&dist_base))
                .map_err(|e| format!("{name}: new split: {e}"))?;
            Ok((path.clone(), ours.sizes()))
        })
        .collect();
    let mut total = DistilledSizes::default();
    let mut failures = Vec::new();
    for r in results {
        match r {
            Ok((path, sizes)) => {
                if path.ends_with("fs/nfs/nfs.ko") {
                    say(format!("nfs.ko: {sizes:?}"));
                }
                total += sizes;
            }
            Err(e) => failures.push(e),
        }
    }
    say(format!(
        "distill on {key}: {} identical / {} modules; totals {total:?}",
        paths.len() - failures.len(),
        paths.len()
    ));
    kernel::assert_no_failures(&failures);
}

/// Per target: modules that relocate, and that do not, by both.
#[derive(Debug, Default)]
struct Tally {
    ok: usize,
    failed: usize,
    disagree: Vec<String>,
}

/// Distills every module (ours and libbpf's, each relocating its own)
/// and relocates it onto `target_raw`.
fn relocate_all(base_raw: &[u8], paths: &[PathBuf], key: &str, target_raw: &[u8]) -> Tally {
    let base = Btf::parse(base_raw).unwrap();
    let target = Btf::parse(target_raw).unwrap();
    let index = TargetIndex::new(&target).unwrap();
    let outcomes: Vec<Result<bool, String>> = paths
        .par_iter()
        .map(|path| {
            let raw = kernel::btf_section(&std::fs::read(path).unwrap());
            let name = path.display();
            let btf = Btf::parse_split(&raw, &base).unwrap();
            let dist = distill(&btf).map_err(|e| format!("{name}: distill: {e}"))?;
            let split = dist.split();
            let reloc = Relocation::new(&index, &split).map_err(|e| format!("{name}: {e}"))?;
            let ours = reloc.apply(&split).map(|b| b.to_bytes());
            let (dist_base, dist_split) = with_libbpf(&format!("base of {key}"), base_raw, |b| {
                libbpf::distill(&raw, b)
            })
            .map_err(|e| format!("{name}: libbpf distill: {e}"))?;
            let theirs = with_libbpf(key, target_raw, |t| {
                libbpf::relocate(&dist_base, &dist_split, t)
            });
            match (ours, theirs) {
                (Ok(a), Ok(b)) => libbpf::compare(&a, &b, Some(&target))
                    .map(|()| true)
                    .map_err(|e| format!("{name}: {e}")),
                // libbpf stops at its first problem: it must be our first.
                (Err(_), Err(_)) => libbpf::same_first_problem(&reloc.problems()[0])
                    .map(|()| false)
                    .map_err(|e| format!("{name}: {e}")),
                (Ok(_), Err(e)) => Err(format!("{name}: ours relocates, libbpf fails ({e})")),
                (Err(e), Ok(_)) => Err(format!("{name}: libbpf relocates, ours fails: {e}")),
            }
        })
        .collect();
    let mut tally = Tally::default();
    for o in outcomes {
        match o {
            Ok(true) => tally.ok += 1,
            Ok(false) => tally.failed += 1,
            Err(e) => tally.disagree.push(e),
        }
    }
    say(format!(
        "relocate onto {key}: {} relocate, {} fail (both agree); {} disagree",
        tally.ok,
        tally.failed,
        tally.disagree.len()
    ));
    tally
}

fn assert_agrees(tally: &Tally) {
    assert!(
        tally.disagree.is_empty(),
        "{} modules disagree with libbpf; first:\n{}",
        tally.disagree.len(),
        tally.disagree[..tally.disagree.len().min(3)].join("\n")
    );
}

#[test]
fn every_module_relocates_onto_its_own_vmlinux() {
    if !kernel::available("every_module_relocates_onto_its_own_vmlinux") {
        return;
    }
    let raw = vmlinux_raw();
    let tally = relocate_all(&raw, &kernel::module_paths(), "own vmlinux", &raw);
    assert_agrees(&tally);
    assert_eq!(tally.failed, 0);
}

#[test]
fn big_endian_modules_relocate_onto_their_own_kernel() {
    let Some(s390x) = kernel::s390x("big_endian_modules_relocate_onto_their_own_kernel") else {
        return;
    };
    let raw = vmlinuz_raw(&s390x.vmlinuz);
    let paths = kernel::files_under(&s390x.modules_dir, ".ko.xz");
    let tally = relocate_all(&raw, &paths, "own s390x vmlinux", &raw);
    assert_agrees(&tally);
    assert_eq!(tally.failed, 0);
}

#[test]
fn relocation_onto_other_kernels_agrees_with_libbpf() {
    let test = "relocation_onto_other_kernels_agrees_with_libbpf";
    if !kernel::available(test) {
        return;
    }
    let base_raw = vmlinux_raw();
    let paths = kernel::module_paths();
    for path in kernel::compat_kernels(test) {
        let key = path.file_name().unwrap().to_string_lossy().into_owned();
        let tally = relocate_all(&base_raw, &paths, &key, &vmlinuz_raw(&path));
        assert_agrees(&tally);
    }
}
