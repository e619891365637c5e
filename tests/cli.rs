//! The command line on good and bad files: exit code, stdout and stderr.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use btfscope::btf::kind::INT_SIGNED;
use btfscope::btf::{Btf, BtfBuilder};

/// Writes `bytes` to a scratch file unique to this test process.
fn file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("btfscope-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn btfscope(args: &[&str], file: &Path, base: Option<&Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_btfscope"));
    cmd.args(args).arg(file);
    if let Some(base) = base {
        cmd.arg("-B").arg(base);
    }
    cmd.output().unwrap()
}

fn base() -> Btf<'static> {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, INT_SIGNED);
    let s = b.add_struct("node", 16);
    // Members come right after their struct; the PTR they use comes next.
    let ptr = s + 1;
    b.add_field("next", ptr, 0, 0).unwrap();
    b.add_field("value", int, 64, 0).unwrap();
    assert_eq!(b.add_ptr(s), ptr);
    b.finish()
}

/// Checks a failure: exit code 1, nothing on stdout, one line on stderr
/// naming the file, saying `phrase`, and ending with `tail`.
#[track_caller]
fn assert_fails(out: &Output, file: &Path, phrase: &str, tail: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "stdout: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    let prefix = format!("btfscope: {}: ", file.display());
    assert!(stderr.starts_with(&prefix), "{stderr}");
    assert!(stderr.contains(phrase), "{stderr} lacks {phrase:?}");
    assert!(
        stderr.ends_with(&format!("{tail}\n")),
        "{stderr} lacks {tail:?}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn dump_of_a_corrupt_file_fails_with_the_offset() {
    let good = base().to_bytes();
    let mut bad_version = good.clone();
    bad_version[2] = 2;
    let path = file("bad-version.btf", &bad_version);
    let out = btfscope(&["dump"], &path, None);
    assert_fails(&out, &path, "unsupported BTF version 2", "(at offset 0x2)");

    let truncated = file("truncated.btf", &good[..good.len() - 1]);
    for cmd in ["dump", "stat"] {
        let out = btfscope(&[cmd], &truncated, None);
        assert_fails(&out, &truncated, "string section", "(at offset 0x10)");
    }
}

#[test]
fn dump_of_a_missing_file_fails() {
    let path = std::env::temp_dir().join("btfscope-cli-no-such-file.btf");
    let out = btfscope(&["dump"], &path, None);
    assert_fails(&out, &path, "No such file", "");
}

#[test]
fn split_without_base_asks_for_it() {
    let b = base();
    let mut sb = BtfBuilder::new_split(&b);
    sb.add_typedef("node_t", 2);
    let split = file("split.btf", &sb.finish().to_bytes());
    let out = btfscope(&["dump"], &split, None);
    // The strings follow the 24-byte header and one 12-byte TYPEDEF.
    assert_fails(&out, &split, "give its base BTF (-B)", "(at offset 0x24)");

    let base_path = file("split-base.btf", &b.to_bytes());
    let out = btfscope(&["dump"], &split, Some(&base_path));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "[4] TYPEDEF 'node_t' type_id=2\n"
    );
}

#[test]
fn dump_and_stat_of_a_built_file() {
    let path = file("good.btf", &base().to_bytes());
    let out = btfscope(&["dump"], &path, None);
    assert!(out.status.success() && out.stderr.is_empty());
    let expected = "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\n\
                    [2] STRUCT 'node' size=16 vlen=2\n\
                    \t'next' type_id=3 bits_offset=0\n\
                    \t'value' type_id=1 bits_offset=64\n\
                    [3] PTR '(anon)' type_id=2\n";
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);

    let out = btfscope(&["stat"], &path, None);
    assert!(out.status.success() && out.stderr.is_empty());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("types: 3\n"), "{text}");
}
