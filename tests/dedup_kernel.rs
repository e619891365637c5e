//! Deduplication of real kernel BTF against libbpf 1.7: vmlinux on its
//! own, and every module split on vmlinux with one shared base index.

#[path = "common/kernel.rs"]
mod kernel;
#[path = "common/libbpf.rs"]
mod libbpf;

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};

use btfscope::btf::Btf;
use btfscope::dedup::{dedup, dedup_split, BaseIndex};
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
    let raw = kernel::btf_section(&std::fs::read(kernel::vmlinux_path()).unwrap());
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
    let base_raw = kernel::btf_section(&std::fs::read(kernel::vmlinux_path()).unwrap());
    let base = Btf::parse(&base_raw).unwrap();
    let index = BaseIndex::new(&base).unwrap();
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
    assert!(
        failures.is_empty(),
        "{} modules differ; first:\n{}",
        failures.len(),
        failures[..failures.len().min(3)].join("\n")
    );
    assert_eq!(identical, paths.len());
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
    let index = BaseIndex::new(&base).unwrap();
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
    assert!(
        failures.is_empty(),
        "{} modules differ; first:\n{}",
        failures.len(),
        failures[..failures.len().min(3)].join("\n")
    );
}
