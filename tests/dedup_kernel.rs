//! Deduplication of real kernel BTF against libbpf 1.7: vmlinux on its
//! own, and every module split on vmlinux with one shared base index.

#[path = "common/kernel.rs"]
mod kernel;
#[path = "common/libbpf.rs"]
mod libbpf;

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};

use btfscope::btf::Btf;
use btfscope::dedup::{dedup, dedup_split, BaseIndex, DedupRules};
use rayon::prelude::*;

/// Straight to stderr: the test harness hides eprintln! of passing tests.
fn show(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

#[test]
fn vmlinux_dedup_is_identical_to_libbpf() {
    if !kernel::available("vmlinux_dedup_is_identical_to_libbpf") {
        return;
    }
    let raw = kernel::vmlinux_btf();
    let btf = Btf::parse(&raw).unwrap();
    let ours = dedup(&btf).unwrap().to_bytes();
    let theirs = libbpf::dedup(&raw, None).unwrap();
    if let Err(e) = libbpf::compare(&ours, &theirs, None) {
        panic!("vmlinux: {e}");
    }
}

thread_local! {
    /// libbpf's vmlinux, one per worker thread (libbpf mutates it lazily).
    static LIBBPF_BASE: RefCell<Option<libbpf::Base>> = const { RefCell::new(None) };
    static LIBBPF_S390X_BASE: RefCell<Option<libbpf::Base>> = const { RefCell::new(None) };
}

#[test]
fn every_module_split_dedup_is_identical_to_libbpf() {
    if !kernel::available("every_module_split_dedup_is_identical_to_libbpf") {
        return;
    }
    let base_raw = kernel::vmlinux_btf();
    let base = Btf::parse(&base_raw).unwrap();
    let index = BaseIndex::with_rules(&base, DedupRules::Libbpf1_7).unwrap();
    let paths = kernel::module_paths();
    let identical = AtomicUsize::new(0);
    let failures: Vec<String> = paths
        .par_iter()
        .map(|path| {
            let raw = kernel::btf_section(&std::fs::read(path).unwrap());
            let name = path.display();
            let btf = Btf::parse_split(&raw, &base).map_err(|e| format!("{name}: parse: {e}"))?;
            let ours = dedup_split(&index, &btf).map_err(|e| format!("{name}: ours: {e}"))?;
            let theirs = LIBBPF_BASE
                .with(|lb| {
                    let mut lb = lb.borrow_mut();
                    let lb = lb.get_or_insert_with(|| {
                        libbpf::Base::new(&base_raw).expect("libbpf parses vmlinux")
                    });
                    libbpf::dedup(&raw, Some(lb))
                })
                .map_err(|e| format!("{name}: libbpf: {e}"))?;
            libbpf::compare(&ours.to_bytes(), &theirs, Some(&base))
                .map_err(|e| format!("{name}: {e}"))?;
            identical.fetch_add(1, Ordering::Relaxed);
            Ok(())
        })
        .filter_map(|r: Result<(), String>| r.err())
        .collect();
    let identical = identical.into_inner();
    show(&format!(
        "modules: {identical} identical / {} total",
        paths.len()
    ));
    kernel::assert_no_failures(&failures);
    assert_eq!(identical, paths.len());
}

/// Our default follows current libbpf, which merges split typedefs into
/// identical base typedefs where 1.7 keeps them: per module, never more
/// types than 1.7's output, and the only types it drops are those 1.7 kept
/// because of the typedef lookup.
#[test]
fn current_libbpf_typedef_fix_only_ever_shrinks_modules() {
    if !kernel::available("current_libbpf_typedef_fix_only_ever_shrinks_modules") {
        return;
    }
    let base_raw = kernel::vmlinux_btf();
    let base = Btf::parse(&base_raw).unwrap();
    let current = BaseIndex::new(&base).unwrap();
    let libbpf_1_7 = BaseIndex::with_rules(&base, DedupRules::Libbpf1_7).unwrap();
    let paths = kernel::module_paths();
    let sizes: Vec<(usize, usize, u64, u64)> = paths
        .par_iter()
        .map(|path| {
            let raw = kernel::btf_section(&std::fs::read(path).unwrap());
            let btf = Btf::parse_split(&raw, &base).unwrap();
            let new = dedup_split(&current, &btf).unwrap();
            let old = dedup_split(&libbpf_1_7, &btf).unwrap();
            let typedefs = |b: &Btf| {
                b.local_types()
                    .filter(|t| t.kind() == Some(btfscope::btf::Kind::Typedef))
                    .count()
            };
            assert!(
                new.local_len() <= old.local_len() && typedefs(&new) <= typedefs(&old),
                "{}: current {} types, 1.7 {}",
                path.display(),
                new.local_len(),
                old.local_len()
            );
            (
                new.local_len(),
                old.local_len(),
                new.to_bytes_len(),
                old.to_bytes_len(),
            )
        })
        .collect();
    let differ = sizes.iter().filter(|s| s.0 != s.1).count();
    let (new_bytes, old_bytes) = sizes.iter().fold((0, 0), |a, s| (a.0 + s.2, a.1 + s.3));
    show(&format!(
        "typedef fix: {differ} of {} modules shrink further; {old_bytes} -> {new_bytes} bytes",
        paths.len()
    ));
}

/// The big-endian kernel (Debian s390x): vmlinux read from its vmlinuz, and
/// every module (.ko.xz) split on it.
#[test]
fn s390x_vmlinux_and_modules_are_identical_to_libbpf() {
    let Some(k) = kernel::s390x("s390x_vmlinux_and_modules_are_identical_to_libbpf") else {
        return;
    };
    let base_raw = kernel::btf_section(&std::fs::read(&k.vmlinuz).unwrap());
    let base = Btf::parse(&base_raw).unwrap();
    let ours = dedup(&base).unwrap().to_bytes();
    let theirs = libbpf::dedup(&base_raw, None).unwrap();
    if let Err(e) = libbpf::compare(&ours, &theirs, None) {
        panic!("s390x vmlinux: {e}");
    }
    let index = BaseIndex::with_rules(&base, DedupRules::Libbpf1_7).unwrap();
    let paths = kernel::files_under(&k.modules_dir, ".ko.xz");
    let failures: Vec<String> = paths
        .par_iter()
        .filter_map(|path| {
            let raw = kernel::btf_section(&std::fs::read(path).unwrap());
            let btf = Btf::parse_split(&raw, &base).unwrap();
            let ours = dedup_split(&index, &btf).map(|b| b.to_bytes());
            let theirs = LIBBPF_S390X_BASE.with(|lb| {
                let mut lb = lb.borrow_mut();
                let lb = lb.get_or_insert_with(|| libbpf::Base::new(&base_raw).unwrap());
                libbpf::dedup(&raw, Some(lb))
            });
            match (ours, theirs) {
                (Ok(a), Ok(b)) => libbpf::compare(&a, &b, Some(&base)).err(),
                (a, b) => Some(format!("ours {:?}, libbpf {:?}", a.err(), b.err())),
            }
            .map(|e| format!("{}: {e}", path.display()))
        })
        .collect();
    show(&format!(
        "s390x modules: {} identical / {} total",
        paths.len() - failures.len(),
        paths.len()
    ));
    kernel::assert_no_failures(&failures);
}
