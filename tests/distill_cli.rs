//! `btfscope distill` and `btfscope compat` on the committed nfs.ko and
//! vmlinux fixtures: files written, summaries, reports and usage errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use btfscope::btf::BtfBuilder;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A scratch directory unique to this test process and `test`.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("btfscope-distill-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn btfscope(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_btfscope"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn distill_writes_base_and_split_with_libbpf_sizes() {
    let out = scratch("write").join("nfs");
    let o = btfscope(&[
        "distill".as_ref(),
        "-B".as_ref(),
        &fixture("vmlinux.btf.xz"),
        &fixture("nfs.btf.xz"),
        "-o".as_ref(),
        &out,
    ]);
    let text = stdout(&o);
    // libbpf 1.7's figures for nfs.ko.
    assert!(
        text.contains("distilled base 148 types / 3726 bytes; split 2194 types / 95465 bytes"),
        "{text}"
    );
    let base = std::fs::read(out.with_extension("base.btf")).unwrap();
    let split = std::fs::read(out.with_extension("btf")).unwrap();
    assert_eq!((base.len(), split.len()), (3726, 95465));
}

#[test]
fn distill_json_summarizes_many_modules_in_order() {
    let o = btfscope(&[
        "distill".as_ref(),
        "--json".as_ref(),
        "-B".as_ref(),
        &fixture("vmlinux.btf.xz"),
        &fixture("nfs.btf.xz"),
        &fixture("cast_common.btf"),
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let modules = v["modules"].as_array().unwrap();
    assert!(modules[0]["module"]
        .as_str()
        .unwrap()
        .ends_with("nfs.btf.xz"));
    assert!(modules[1]["module"]
        .as_str()
        .unwrap()
        .ends_with("cast_common.btf"));
    assert_eq!(v["failed"], 0);
    assert_eq!(
        v["total"]["base_types"].as_u64().unwrap(),
        148 + modules[1]["base_types"].as_u64().unwrap()
    );
}

#[test]
fn compat_onto_the_same_kernel_relocates() {
    let vmlinux = fixture("vmlinux.btf.xz");
    let o = btfscope(&[
        "compat".as_ref(),
        "-B".as_ref(),
        &vmlinux,
        "--from".as_ref(),
        &vmlinux,
        &fixture("nfs.btf.xz"),
    ]);
    let text = stdout(&o);
    assert!(
        text.contains("nfs.btf.xz: relocates (148 distilled base types, 0 problems"),
        "{text}"
    );
}

#[test]
fn compat_reports_each_type_that_does_not_fit() {
    // A kernel whose `struct inode` is smaller: nfs embeds it.
    let mut b = BtfBuilder::new();
    b.add_struct("inode", 8);
    let target = scratch("target").join("tiny.btf");
    std::fs::write(&target, b.finish().to_bytes()).unwrap();
    let o = btfscope(&[
        "compat".as_ref(),
        "--json".as_ref(),
        "-B".as_ref(),
        &target,
        "--from".as_ref(),
        &fixture("vmlinux.btf.xz"),
        &fixture("nfs.btf.xz"),
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let report = &v["modules"][0];
    assert_eq!(report["relocates"], false);
    assert_eq!(v["relocate"], 0);
    let problems = report["problems"].as_array().unwrap();
    // Every distilled type but inode is missing; inode is the wrong size.
    assert_eq!(problems.len(), 148);
    let inode = problems.iter().find(|p| p["name"] == "inode").unwrap();
    assert_eq!(inode["class"], "size_mismatch");
    assert!(inode["embedded_in"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "struct nfs_inode.vfs_inode"));
}

#[test]
fn usage_errors_exit_2() {
    let vmlinux = fixture("vmlinux.btf.xz");
    let nfs = fixture("nfs.btf.xz");
    // A module without .BTF.base needs the kernel it was built for.
    let o = btfscope(&["compat".as_ref(), "-B".as_ref(), &vmlinux, &nfs]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("the kernel it was built for"));
    // -o names one module's outputs.
    let out = scratch("usage").join("x");
    let o = btfscope(&[
        "distill".as_ref(),
        "-B".as_ref(),
        &vmlinux,
        &nfs,
        &nfs,
        "-o".as_ref(),
        &out,
    ]);
    assert_eq!(o.status.code(), Some(2));
}
