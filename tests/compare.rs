//! `btfscope compare` over two real kernels: Debian 6.1.0-55 (modules as
//! `.ko`) against trixie's 6.12 (`.ko.xz`, scripts/fetch-kernels-compat.sh),
//! 50 module names between them. Every delta is checked against the two
//! reports read independently of the compare code; then determinism, the
//! text's lists, a module's type diff, and bad input.

#[path = "common/cli.rs"]
mod cli;
#[path = "common/kernel.rs"]
mod kernel;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use cli::{btfscope, succeed};
use kernel::{cache_dir, files_under, modules_dir, vmlinux_path};

/// Modules of 6.1 that 6.12 no longer builds as modules.
const REMOVED: [&str; 3] = ["fscache.ko", "fuse.ko", "ipt_CLUSTERIP.ko"];

/// The sizes a comparison gives a delta of, as (field, what).
const SIZE_FIELDS: [(&str, &str); 4] = [
    ("split", "bytes"),
    ("split", "types"),
    ("full", "bytes"),
    ("full", "types"),
];

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("btfscope-compare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The 6.12 kernel and its cached modules, if fetched.
fn new_kernel() -> Option<(PathBuf, PathBuf)> {
    let compat = cache_dir().join("compat");
    let vmlinuz = files_under(&compat, "-amd64")
        .into_iter()
        .find(|p| p.to_string_lossy().contains("vmlinuz-6.12"))?;
    let release = vmlinuz.file_name()?.to_str()?.strip_prefix("vmlinuz-")?;
    let modules = compat.join(format!("modules-{release}"));
    modules.is_dir().then_some((vmlinuz, modules))
}

struct Kernels {
    old_json: PathBuf,
    new_json: PathBuf,
    compare_json: PathBuf,
    new_vmlinuz: PathBuf,
    new_modules: PathBuf,
}

/// Both reports and their comparison, made once for all tests; `None`
/// (the test skipped, or failed in CI) without the data.
fn kernels() -> Option<&'static Kernels> {
    static K: OnceLock<Option<Kernels>> = OnceLock::new();
    K.get_or_init(|| {
        if !kernel::available("compare") {
            return None;
        }
        let Some((new_vmlinuz, new_modules)) = new_kernel() else {
            kernel::skip(
                "compare",
                "the 6.12 kernel and modules (scripts/fetch-kernels-compat.sh)",
            );
            return None;
        };
        let new_files = files_under(&new_modules, ".ko.xz");
        let all_old = kernel::module_paths();
        let old_of = |name: &str| {
            all_old
                .iter()
                .find(|p| p.file_name().unwrap() == name)
                .cloned()
        };
        let mut old_files: Vec<PathBuf> = new_files
            .iter()
            .filter_map(|p| old_of(p.file_name()?.to_str()?.strip_suffix(".xz")?))
            .collect();
        old_files.extend(REMOVED.iter().map(|n| old_of(n).expect("6.1 has it")));
        let dir = scratch();
        let k = Kernels {
            old_json: dir.join("old.json"),
            new_json: dir.join("new.json"),
            compare_json: dir.join("compare.json"),
            new_vmlinuz,
            new_modules,
        };
        succeed(
            btfscope(["report", "-j", "2", "--json"])
                .arg(&k.old_json)
                .arg("-B")
                .arg(vmlinux_path())
                .args(&old_files),
        );
        succeed(
            btfscope(["report", "-j", "1", "--json"])
                .arg(&k.new_json)
                .arg("-B")
                .arg(&k.new_vmlinuz)
                .args(&new_files),
        );
        succeed(
            btfscope(["compare"])
                .arg(&k.old_json)
                .arg(&k.new_json)
                .arg("--json")
                .arg(&k.compare_json),
        );
        Some(k)
    })
    .as_ref()
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn num(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// `kinds` of a report as kind → (count, bytes), strings and globals added.
fn kind_map(kinds: &Value) -> BTreeMap<String, (i64, i64)> {
    let mut out: BTreeMap<String, (i64, i64)> = kinds["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["kind"].as_str().unwrap().to_string(),
                (num(&k["count"]), num(&k["bytes"])),
            )
        })
        .collect();
    out.insert("strings".into(), (0, num(&kinds["string_bytes"])));
    let g = &kinds["globals"];
    out.insert("globals".into(), (num(&g["count"]), num(&g["bytes"])));
    out
}

/// New minus old of two kind maps, kinds missing on one side as zero.
fn kinds_delta(old: &Value, new: &Value) -> BTreeMap<String, (i64, i64)> {
    let (a, b) = (kind_map(old), kind_map(new));
    a.keys()
        .chain(b.keys())
        .map(|k| {
            let (x, y) = (
                a.get(k).copied().unwrap_or((0, 0)),
                b.get(k).copied().unwrap_or((0, 0)),
            );
            (k.clone(), (y.0 - x.0, y.1 - x.1))
        })
        .collect()
}

/// The same map read from a compare document's delta.
fn delta_map(delta: &Value) -> BTreeMap<String, (i64, i64)> {
    kind_map(&serde_json::json!({
        "kinds": delta["kinds"],
        "string_bytes": delta["string_bytes"],
        "globals": delta["globals"],
    }))
}

fn name_key(file: &str) -> String {
    file.trim_end_matches(".xz")
        .trim_end_matches(".ko")
        .to_string()
}

#[test]
fn every_delta_is_the_difference_of_the_reports() {
    let Some(k) = kernels() else { return };
    let (old, new, c) = (json(&k.old_json), json(&k.new_json), json(&k.compare_json));
    assert_eq!(c["schema"], "btfscope-compare/1");
    let rows = |r: &Value| -> BTreeMap<String, Value> {
        r["modules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (name_key(m["name"].as_str().unwrap()), m.clone()))
            .collect()
    };
    let (a, b) = (rows(&old), rows(&new));
    let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let modules = c["modules"].as_array().unwrap();
    assert_eq!(modules.len(), names.len());
    assert_eq!(modules.len(), 50, "45 in both, 3 removed, 2 added");
    let zero = serde_json::json!({
        "split": {"bytes": 0, "types": 0}, "full": {"bytes": 0, "types": 0},
        "kinds": {"kinds": [], "string_bytes": 0, "globals": {"count": 0, "bytes": 0}}
    });
    let mut summed = [0i64; 4];
    for (m, name) in modules.iter().zip(&names) {
        assert_eq!(m["name"].as_str().unwrap(), name.as_str(), "sorted by name");
        let (o, n) = (a.get(*name), b.get(*name));
        for (side, row) in [("old", o), ("new", n)] {
            match row {
                None => assert!(m[side].is_null(), "{name}: {side} should be null"),
                Some(r) => {
                    assert_eq!(m[side]["name"], r["name"]);
                    assert_eq!(m[side]["split"], r["split"]);
                    assert_eq!(m[side]["full"], r["full"]);
                    assert_eq!(m[side]["kinds"], r["kinds"]);
                    assert_eq!(m[side]["full_sha256"], r["full_sha256"]);
                }
            }
        }
        let (o, n) = (o.unwrap_or(&zero), n.unwrap_or(&zero));
        let d = &m["delta"];
        for (i, (field, what)) in SIZE_FIELDS.into_iter().enumerate() {
            let want = num(&n[field][what]) - num(&o[field][what]);
            assert_eq!(
                num(&d[format!("{field}_{what}")]),
                want,
                "{name}: {field} {what}"
            );
            summed[i] += want;
        }
        assert_eq!(
            delta_map(&d["kinds"]),
            kinds_delta(&o["kinds"], &n["kinds"]),
            "{name}"
        );
    }
    // Totals: the reports' own, their difference, and the sum of the rows'.
    let t = &c["totals"];
    assert_eq!(t["old"], old["totals"]);
    assert_eq!(t["new"], new["totals"]);
    for (i, (field, what)) in SIZE_FIELDS.into_iter().enumerate() {
        let want = num(&new["totals"][field][what]) - num(&old["totals"][field][what]);
        assert_eq!(num(&t["delta"][format!("{field}_{what}")]), want);
        assert_eq!(
            summed[i], want,
            "the rows add up to the totals: {field} {what}"
        );
    }
    assert_eq!(
        delta_map(&t["delta"]["kinds"]),
        kinds_delta(&old["totals"]["kinds"], &new["totals"]["kinds"])
    );
    // vmlinux.
    let base = &c["base"];
    assert_eq!(base["old"], old["base"]);
    assert_eq!(base["new"], new["base"]);
    for what in ["bytes", "types"] {
        let want = num(&new["base"]["size"][what]) - num(&old["base"]["size"][what]);
        assert_eq!(num(&base["delta"][what]), want);
    }
    assert_eq!(
        delta_map(&base["delta"]["kinds"]),
        kinds_delta(&old["base"]["kinds"], &new["base"]["kinds"])
    );
    // Identity: each side's base input, as its report names it.
    assert_eq!(c["old"]["base"], old["inputs"][0]);
    assert_eq!(c["new"]["base"], new["inputs"][0]);
    assert_eq!(
        num(&c["new"]["inputs"]),
        new["inputs"].as_array().unwrap().len() as i64
    );
    assert_ne!(c["old"]["inputs_sha256"], c["new"]["inputs_sha256"]);
}

#[test]
fn names_match_across_compression_suffixes() {
    let Some(k) = kernels() else { return };
    let c = json(&k.compare_json);
    let row = |name: &str| {
        c["modules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("no row {name}"))
            .clone()
    };
    let ext4 = row("ext4");
    assert_eq!(ext4["old"]["name"], "ext4.ko");
    assert_eq!(ext4["new"]["name"], "ext4.ko.xz");
    assert!(row("fuse")["new"].is_null());
    assert!(row("ntfs3")["old"].is_null());
    let s = &c["summary"];
    assert_eq!(
        (num(&s["both"]), num(&s["added"]), num(&s["removed"])),
        (45, 2, 3)
    );
}

#[test]
fn output_is_deterministic_and_the_text_lists_changes() {
    let Some(k) = kernels() else { return };
    let again = scratch().join("again.json");
    let text = |extra: &[&str]| {
        succeed(
            btfscope(["compare"])
                .arg(&k.old_json)
                .arg(&k.new_json)
                .args(extra),
        )
        .stdout
    };
    let t1 = text(&["--json", again.to_str().unwrap(), "--text", "--top", "5"]);
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&k.compare_json).unwrap()
    );
    assert_eq!(
        t1,
        text(&["--top", "5"]),
        "same text with and without --json"
    );
    let t = String::from_utf8(t1).unwrap();
    // The largest change first: the module whose |SPLIT delta| is largest.
    let c = json(&k.compare_json);
    let biggest = c["modules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| !m["old"].is_null() && !m["new"].is_null())
        .max_by_key(|m| num(&m["delta"]["split_bytes"]).abs())
        .unwrap();
    let table = t
        .split("Largest changes in SPLIT bytes")
        .nth(1)
        .expect("a table of changes");
    let first = table.lines().nth(2).unwrap();
    assert!(
        first.starts_with(biggest["name"].as_str().unwrap()),
        "{first}"
    );
    assert_eq!(
        table.lines().skip(2).take_while(|l| !l.is_empty()).count(),
        5
    );
    let added = t.split("Added modules (2)").nth(1).expect("added listed");
    assert!(added.contains("ntfs3") && added.contains("nls_ucs2_utils"));
    let removed = t
        .split("Removed modules (3)")
        .nth(1)
        .expect("removed listed");
    for r in REMOVED {
        assert!(removed.contains(r.trim_end_matches(".ko")));
    }
    assert!(t.lines().all(|l| l.chars().count() <= 80), "80 columns");
}

/// Names of the FUNCs a module's own BTF holds, from `btfscope dump -j`.
fn funcs(module: &Path, base: &Path) -> BTreeSet<String> {
    let out = succeed(
        btfscope(["dump", "--format", "json", "-B"])
            .arg(base)
            .arg(module),
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["types"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "FUNC")
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_modules_type_diff_names_the_functions_it_gained_and_lost() {
    let Some(k) = kernels() else { return };
    let old_module = kernel::files_under(&modules_dir(), "/lockd.ko").remove(0);
    let new_module = k.new_modules.join("lockd.ko.xz");
    let (vmlinux, modules) = (vmlinux_path(), modules_dir());
    let out = succeed(&mut compare_lockd(
        [&k.old_json, &k.new_json],
        &[&vmlinux, &modules],
        &[&k.new_vmlinuz, &k.new_modules],
    ));
    let text = String::from_utf8(out.stdout).unwrap();
    let listed = |sign: char| -> BTreeSet<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix(&format!("{sign} func ")))
            .map(str::to_string)
            .collect()
    };
    let (old, new) = (
        funcs(&old_module, &vmlinux_path()),
        funcs(&new_module, &k.new_vmlinuz),
    );
    assert_eq!(listed('+'), new.difference(&old).cloned().collect());
    assert_eq!(listed('-'), old.difference(&new).cloned().collect());
    assert!(!listed('+').is_empty());

    // Against itself: nothing added, removed or changed.
    let out = succeed(&mut compare_lockd(
        [&k.old_json, &k.old_json],
        &[&vmlinux, &modules],
        &[&vmlinux, &modules],
    ));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("0 removed, 0 added, 0 changed"), "{text}");

    // Files that are not the report's are refused, naming the file.
    // Not the old report's vmlinux: the wrong name.
    let out = compare_lockd(
        [&k.old_json, &k.new_json],
        &[&k.new_vmlinuz],
        &[&k.new_vmlinuz, &k.new_modules],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("vmlinux-6.1.0-55 (named by"));
    let fake = scratch().join("fake");
    std::fs::create_dir_all(&fake).unwrap();
    std::fs::write(fake.join("vmlinux-6.1.0-55"), b"not it").unwrap();
    let out = compare_lockd([&k.old_json, &k.new_json], &[&fake], &[])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sha256 differs"));
}

/// `btfscope compare --module lockd OLD NEW`, each side's files given.
fn compare_lockd(reports: [&Path; 2], old_files: &[&Path], new_files: &[&Path]) -> Command {
    let mut cmd = btfscope(["compare", "--module", "lockd"]);
    cmd.args(reports);
    for (flag, files) in [("--old-files", old_files), ("--new-files", new_files)] {
        for f in files {
            cmd.arg(flag).arg(f);
        }
    }
    cmd
}

/// Runs compare on `old` against a good report; returns stderr, checking
/// that it failed with exit status 1.
fn refused(name: &str, bytes: &[u8]) -> String {
    let dir = scratch();
    let bad = dir.join(name);
    std::fs::write(&bad, bytes).unwrap();
    let good = dir.join("tiny.json");
    std::fs::write(&good, tiny_report("a.ko")).unwrap();
    let out = btfscope(["compare"]).arg(&bad).arg(&good).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains(bad.to_str().unwrap()), "names the file: {err}");
    err
}

/// A small valid report with one module named `module`.
fn tiny_report(module: &str) -> String {
    let kinds = r#"{"kinds":[{"kind":"INT","count":1,"bytes":16}],"string_bytes":5,"globals":{"count":0,"bytes":0,"share_bp":0}}"#;
    format!(
        r#"{{"schema":"btfscope-report/1","tool":{{"name":"btfscope","version":"0"}},"options":{{"explain":false}},
"inputs":[{{"name":"vmlinux","bytes":1,"sha256":"00"}},{{"name":"{module}","bytes":1,"sha256":"11"}}],
"base":{{"name":"vmlinux","size":{{"types":1,"bytes":45}},"kinds":{kinds}}},
"modules":[{{"name":"{module}","split":{{"types":1,"bytes":45}},"full":{{"types":1,"bytes":45}},"base_types_reached":0,"kinds":{kinds},"full_sha256":"22"}}],
"totals":{{"modules":1,"split":{{"types":1,"bytes":45}},"full":{{"types":1,"bytes":45}},"kinds":{kinds}}}}}"#
    )
}

#[test]
fn bad_reports_are_refused_with_the_file_and_the_place() {
    let good = tiny_report("a.ko");
    // Truncated: serde's line and column of the end.
    let err = refused("truncated.json", &good.as_bytes()[..good.len() / 2]);
    assert!(
        err.contains("not JSON") && err.contains(" at line "),
        "{err}"
    );
    // Another schema, e.g. a compare document or the page's old format.
    let err = refused("other.json", br#"{"schema": "btfscope-compare/1"}"#);
    assert!(
        err.contains("\"btfscope-compare/1\" is not a report"),
        "{err}"
    );
    let err = refused(
        "web.json",
        br#"{"format": "btfscope-web-report", "version": 2}"#,
    );
    assert!(err.contains("no \"schema\""), "{err}");
    // The right schema, a field missing: which, and where.
    let err = refused(
        "missing.json",
        good.replace(r#""totals""#, r#""sums""#).as_bytes(),
    );
    assert!(
        err.contains("missing field `totals`") && err.contains("line 5 column"),
        "{err}"
    );
    // A field of the wrong type.
    let err = refused(
        "typed.json",
        good.replacen(r#""types":1"#, r#""types":"x""#, 1)
            .as_bytes(),
    );
    assert!(err.contains("invalid type"), "{err}");
    // Two modules one name once the suffix is gone.
    let two = good.replace(
        r#"{"name":"a.ko","split""#,
        r#"{"name":"a.ko.xz","split":{"types":1,"bytes":45},"full":{"types":1,"bytes":45},"base_types_reached":0,"kinds":{"kinds":[],"string_bytes":0,"globals":{"count":0,"bytes":0,"share_bp":0}},"full_sha256":""},{"name":"a.ko","split""#,
    );
    let err = refused("two.json", two.as_bytes());
    assert!(err.contains("two modules are named a"), "{err}");
    // Not JSON at all, and an empty file.
    assert!(refused("bin.json", b"\x7fELF\x02\x01").contains("not JSON"));
    assert!(refused("empty.json", b"").contains("line 1 column 0"));
}

#[test]
fn the_same_module_compressed_or_not_is_one_row() {
    let dir = scratch();
    let (a, b) = (dir.join("plain.json"), dir.join("xz.json"));
    std::fs::write(&a, tiny_report("a.ko")).unwrap();
    std::fs::write(&b, tiny_report("a.ko.zst")).unwrap();
    let out = succeed(
        btfscope(["compare"])
            .arg(&a)
            .arg(&b)
            .arg("--json")
            .arg(dir.join("c.json")),
    );
    let c = json(&dir.join("c.json"));
    assert_eq!(c["modules"].as_array().unwrap().len(), 1);
    assert_eq!(c["modules"][0]["name"], "a");
    assert_eq!(c["summary"]["changed"], 0);
    assert!(out.stdout.is_empty(), "--json alone prints nothing");
}
