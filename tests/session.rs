//! The core session the page runs on (`analyze::session`): on the
//! committed fixtures, its rows, FULL BTFs and explainer are those of
//! `report` and `explain`, on one parsed and indexed base.

use std::path::PathBuf;

use btfscope::analyze::explain::Verdict;
use btfscope::analyze::report::{report, sha256_hex, NamedInput, Options};
use btfscope::analyze::session::Session;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(path).unwrap()
}

#[test]
fn session_rows_are_the_reports_rows() {
    let vmlinux = fixture("vmlinux.btf.xz");
    // In the report's order (by name).
    let names = ["mlx5_core.btf.xz", "nfs.btf.xz"];
    let files: Vec<Vec<u8>> = names.iter().map(|n| fixture(n)).collect();
    let inputs: Vec<NamedInput> = names
        .iter()
        .zip(&files)
        .map(|(name, bytes)| NamedInput {
            name: name.to_string(),
            bytes,
        })
        .collect();
    let base = NamedInput {
        name: "vmlinux.btf.xz".into(),
        bytes: &vmlinux,
    };
    let expected = report(&Options { explain: false }, &base, &inputs).unwrap();

    let mut session = Session::new(Some(&vmlinux)).unwrap();
    let keys = vec![7, 3];
    let shipped = session.shipped(keys.clone(), &files);
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let rows = session.analyze(names, keys.clone()).unwrap();
    let fulls = session.fulls(keys).unwrap();
    assert_eq!(rows.len(), 2);
    for (((stat, row), full), want) in shipped.iter().zip(rows).zip(fulls).zip(&expected.modules) {
        let stat = stat.as_ref().unwrap();
        let mut row = row.unwrap();
        assert_eq!(stat.types, want.split.types);
        // Re-deduplicating against the base never grows a module.
        assert_eq!(row.dedup.shipped_bytes, want.split.bytes);
        assert!(row.dedup.dedup_bytes <= row.dedup.shipped_bytes);
        let full = full.unwrap();
        assert_eq!(full.len() as u64, row.result.full.bytes);
        assert_eq!(row.result.full_sha256, "");
        row.result.full_sha256 = sha256_hex(&full);
        assert_eq!(&row.result, want);
    }

    // The explainer runs on the same indexed base; the modules kept are
    // no longer needed for it.
    session.forget_modules();
    let x = session.explain(&fixture("nfs.btf.xz")).unwrap();
    let module = x
        .findings
        .iter()
        .find(|f| f.name == "struct module")
        .unwrap();
    assert!(matches!(module.verdict, Verdict::Identical { .. }));
    let err = session.analyze(vec!["nfs.btf.xz".into()], vec![3]).unwrap();
    assert!(err[0]
        .as_ref()
        .unwrap_err()
        .to_string()
        .contains("not read by the quick pass"));
}

#[test]
fn a_module_without_a_base_or_its_distilled_one_says_so() {
    let mut session = Session::new(None).unwrap();
    let shipped = session.shipped(vec![0], &[fixture("nfs.btf.xz")]);
    let err = shipped[0].as_ref().unwrap_err().to_string();
    assert!(err.contains("give its base BTF"), "{err}");
    let Err(broken) = Session::new(Some(b"garbage!")) else {
        panic!("a broken base is refused");
    };
    assert!(broken.to_string().starts_with("base: "), "{broken}");
}
