//! The `dedup` and `split` commands.

#[path = "common/kernel.rs"]
mod kernel;
#[path = "common/libbpf.rs"]
mod libbpf;

use std::path::PathBuf;
use std::process::Command;

use btfscope::btf::BtfBuilder;

fn btfscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_btfscope"))
}

/// A fresh directory for this test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("btfscope-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn dedup_command_writes_what_libbpf_writes() {
    let mut b = BtfBuilder::new();
    for _ in 0..2 {
        let int = b.add_int("int", 4, 1);
        let s = b.add_struct("s", 8);
        // the pointer comes right after the struct
        b.add_field("next", s + 1, 0, 0).unwrap();
        b.add_field("v", int, 32, 0).unwrap();
        b.add_ptr(s);
    }
    let raw = b.finish().to_bytes();
    let dir = scratch("dedup-cmd");
    let (input, output) = (dir.join("in.btf"), dir.join("out.btf"));
    std::fs::write(&input, &raw).unwrap();
    let st = btfscope()
        .arg("dedup")
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .status()
        .unwrap();
    assert!(st.success());
    let ours = std::fs::read(&output).unwrap();
    libbpf::compare(&ours, &libbpf::dedup(&raw, None).unwrap(), None).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn split_command_is_the_same_for_any_thread_count_and_survives_a_bad_module() {
    if !kernel::available("split_command") {
        return;
    }
    let dir = scratch("split-cmd");
    let nfs = kernel::modules_dir().join("fs/nfs");
    for m in kernel::files_under(&nfs, ".ko") {
        std::fs::copy(&m, dir.join(m.file_name().unwrap())).unwrap();
    }
    std::fs::write(dir.join("broken.ko"), b"\x7fELF but not really").unwrap();
    let run = |jobs: &str, json: bool| {
        let mut cmd = btfscope();
        cmd.args(["split", "-j", jobs, "-B"])
            .arg(kernel::vmlinux_path())
            .arg(&dir);
        if json {
            cmd.arg("--json");
        }
        cmd.output().unwrap()
    };
    let one = run("1", false);
    let two = run("2", false);
    assert_eq!(one.stdout, two.stdout);
    assert_eq!(run("1", true).stdout, run("2", true).stdout);
    // The bad module is named with its error, the others are all there,
    // and the exit status says something failed.
    assert!(!one.status.success());
    let text = String::from_utf8(one.stdout).unwrap();
    assert!(text.contains("broken.ko"), "{text}");
    assert!(text.contains("nfs.ko"), "{text}");
    assert!(
        text.contains("total: 8 modules, 7 shrink, 1 failed"),
        "{text}"
    );
    // Debian's nfs.ko: 85,792 bytes as shipped, 84,516 after libbpf's dedup.
    assert!(text
        .lines()
        .any(|l| l.contains("85792") && l.contains("84516") && l.ends_with("/nfs.ko")));
    std::fs::remove_dir_all(&dir).unwrap();
}
