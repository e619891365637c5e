//! Batch resilience: a corrupt module among good ones is reported by name,
//! and every other module is still processed (`split` and `report`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Good modules on both sides of a corrupt one (a real module cut short),
/// in a fresh directory named after `test`.
fn modules(test: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(test);
    std::fs::create_dir_all(&dir).unwrap();
    let good = std::fs::read(fixture("cast_common.btf")).unwrap();
    let corrupt = dir.join("corrupt.btf");
    std::fs::write(&corrupt, &good[..good.len() - 7]).unwrap();
    vec![fixture("cast_common.btf"), corrupt, fixture("nfs.btf.xz")]
}

fn btfscope(args: &[&str], modules: &[PathBuf]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_btfscope"))
        .args(args)
        .arg("-B")
        .arg(fixture("vmlinux.btf.xz"))
        .args(modules)
        .output()
        .unwrap()
}

#[test]
fn split_reports_the_corrupt_module_and_finishes_the_rest() {
    let out = btfscope(&["split", "--json"], &modules("split"));
    assert!(!out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = report["modules"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for row in rows {
        let corrupt = row["path"].as_str().unwrap().ends_with("corrupt.btf");
        assert_eq!(row["error"].is_string(), corrupt, "{row}");
        assert_eq!(row["sizes"].is_object(), !corrupt, "{row}");
    }
    assert_eq!(report["totals"]["failed"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 of 3 modules failed"), "{stderr}");
}

#[test]
fn report_lists_the_corrupt_module_and_finishes_the_rest() {
    let json = Path::new(env!("CARGO_TARGET_TMPDIR")).join("batch-report.json");
    let out = btfscope(
        &["report", "--text", "--json", json.to_str().unwrap()],
        &modules("report"),
    );
    assert!(!out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let names: Vec<&str> = report["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cast_common.btf", "nfs.btf.xz"]);
    assert_eq!(report["totals"]["modules"], 2);
    let failed = report["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["name"], "corrupt.btf");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Modules that could not be read (1):\n  corrupt.btf: "),
        "{text}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 of 3 modules failed"), "{stderr}");
}
