//! Module analysis: the explainer's verdicts on built cases and on the
//! committed fixtures, the report's reproducibility and `verify`, and on
//! the real Debian kernel (when fetched) FULL against SPLIT for every
//! module and the nfs.ko `struct module` verdict.

#[path = "common/cli.rs"]
mod cli;
#[path = "common/kernel.rs"]
mod kernel;

use std::path::PathBuf;
use std::process::Command;

use btfscope::analyze::explain::{Explainer, Explanation, Reason, Verdict};
use btfscope::analyze::report::{report, verify, NamedInput, Options};
use btfscope::btf::{Btf, BtfBuilder, FwdKind, TypeId};
use btfscope::dedup::BaseIndex;
use btfscope::intake::Input;

fn explain(base: &Btf, split: &Btf) -> Explanation {
    let index = BaseIndex::new(base).unwrap();
    Explainer::new(&index).unwrap().explain(split).unwrap()
}

/// The verdict of the finding for split type `id`.
fn verdict_of(x: &Explanation, id: TypeId) -> &Verdict {
    &x.findings
        .iter()
        .find(|f| f.split_id == id)
        .unwrap_or_else(|| panic!("no finding for [{id}]: {x:#?}"))
        .verdict
}

fn different(v: &Verdict) -> (&str, &str, &str) {
    match v {
        Verdict::Different { path, split, base } => (path, split, base),
        other => panic!("expected Different, got {other:?}"),
    }
}

/// The last finding (the module's `struct holder`) differs from the base's
/// at its member `m`, with these two sides.
fn assert_holder_differs(x: &Explanation, split: &str, base: &str) {
    let holder = x.findings.last().unwrap().split_id;
    let (path, s, b) = different(verdict_of(x, holder));
    assert_eq!(path, "struct holder.m");
    assert_eq!((s, b), (split, base));
}

/// A base with `struct holder { <member> m; }` made by `member`, and a
/// module with its own `struct holder` whose member `module_member` makes.
fn holder_case(
    member: impl Fn(&mut BtfBuilder) -> TypeId,
    module_member: impl Fn(&mut BtfBuilder, &Btf) -> TypeId,
    size: u32,
) -> Explanation {
    let mut b = BtfBuilder::new();
    let m = member(&mut b);
    b.add_struct("holder", size);
    b.add_field("m", m, 0, 0).unwrap();
    let base = b.finish();
    let mut s = BtfBuilder::new_split(&base);
    let mm = module_member(&mut s, &base);
    let holder = s.add_struct("holder", size);
    s.add_field("m", mm, 0, 0).unwrap();
    let split = s.finish();
    let x = explain(&base, &split);
    assert!(x.findings.iter().any(|f| f.split_id == holder), "{x:#?}");
    x
}

#[test]
fn identical_copy_is_merged_by_a_current_dedup() {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, 1);
    let st = b.add_struct("s", 4);
    b.add_field("x", int, 0, 0).unwrap();
    let base = b.finish();
    let mut s = BtfBuilder::new_split(&base);
    let copy = s.add_struct("s", 4);
    s.add_field("x", int, 0, 0).unwrap();
    let split = s.finish();
    let x = explain(&base, &split);
    assert_eq!(x.findings[0].base_id, st);
    assert!(matches!(verdict_of(&x, copy), Verdict::Identical { saved_bytes } if *saved_bytes > 0));
    assert_eq!(x.counts.identical, 1);
    assert!(x.redup_saved_bytes > 0);
}

#[test]
fn float_against_int_is_different() {
    let x = holder_case(
        |b| b.add_float("float", 4),
        |s, _| s.add_int("float", 4, 0),
        4,
    );
    assert_holder_differs(&x, "INT 'float'", "FLOAT 'float'");
}

#[test]
fn fwd_against_struct_is_different() {
    // A union forward where the base has a struct of that name.
    let x = holder_case(
        |b| {
            let t = b.add_struct("t", 0);
            b.add_ptr(t)
        },
        |s, _| {
            let f = s.add_fwd("t", FwdKind::Union);
            s.add_ptr(f)
        },
        8,
    );
    assert_holder_differs(&x, "FWD 't'", "STRUCT 't'");
}

#[test]
fn enum_sign_bitfield_and_array_length_are_differences() {
    // enum signedness
    let x = holder_case(
        |b| {
            let e = b.add_enum("e", 4);
            b.add_enum_value("A", 1).unwrap();
            e
        },
        |s, _| {
            let e = s.add_enum("e", 4);
            s.add_enum_value("A", -1).unwrap();
            e
        },
        4,
    );
    let e = x.findings.iter().find(|f| f.name == "enum e").unwrap();
    let (_, split, base) = different(&e.verdict);
    assert_eq!(
        (split, base),
        ("ENUM 'e' size 4 signed", "ENUM 'e' size 4 unsigned")
    );

    // a bitfield where the base has a whole int
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, 1);
    b.add_struct("bits", 4);
    b.add_field("f", int, 0, 0).unwrap();
    let base = b.finish();
    let mut s = BtfBuilder::new_split(&base);
    let bits = s.add_struct("bits", 4);
    s.add_field("f", int, 0, 3).unwrap();
    let split = s.finish();
    let x = explain(&base, &split);
    let (path, split_side, base_side) = different(verdict_of(&x, bits));
    assert_eq!(path, "struct bits");
    assert_eq!(split_side, "STRUCT 'bits' member 'f':3 at bit 0");
    assert_eq!(base_side, "STRUCT 'bits' member 'f' at bit 0");

    // an array length
    let x = holder_case(
        |b| {
            let c = b.add_int("char", 1, 0);
            b.add_array(c, c, 16)
        },
        |s, base| {
            let c = (1..base.type_count())
                .find(|&id| base.type_by_id(id).unwrap().name_off() != 0)
                .unwrap();
            s.add_array(c, c, 32)
        },
        16,
    );
    assert_holder_differs(&x, "ARRAY '' [32]", "ARRAY '' [16]");
}

#[test]
fn base_fwd_blocks_the_merge() {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, 1);
    let fwd = b.add_fwd("t", FwdKind::Struct);
    let p = b.add_ptr(fwd);
    b.add_struct("s", 8);
    b.add_field("p", p, 0, 0).unwrap();
    let base = b.finish();
    let mut s = BtfBuilder::new_split(&base);
    let t = s.add_struct("t", 4);
    s.add_field("x", int, 0, 0).unwrap();
    let tp = s.add_ptr(t);
    let st = s.add_struct("s", 8);
    s.add_field("p", tp, 0, 0).unwrap();
    let split = s.finish();
    let x = explain(&base, &split);
    match verdict_of(&x, st) {
        Verdict::Unmergeable {
            reason: Reason::BaseFwd { path },
        } => assert_eq!(path, "struct s.p"),
        other => panic!("expected a base FWD, got {other:?}"),
    }
}

#[test]
fn two_copies_in_the_module_cannot_both_be_one_base_type() {
    // base: struct b { int x; }; struct a { struct b *p; };
    //       struct s { struct a *p; struct a *q; };
    // module: struct s first, pointing at two copies of struct a, one
    // through a FWD of b and one through a full copy of b: equivalent to
    // the base's a each, but not identical to each other.
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, 1);
    let bb = b.add_struct("b", 4);
    b.add_field("x", int, 0, 0).unwrap();
    let bp = b.add_ptr(bb);
    let a = b.add_struct("a", 8);
    b.add_field("p", bp, 0, 0).unwrap();
    let ap = b.add_ptr(a);
    b.add_struct("s", 16);
    b.add_field("p", ap, 0, 0).unwrap();
    b.add_field("q", ap, 64, 0).unwrap();
    let base = b.finish();

    let mut m = BtfBuilder::new_split(&base);
    let first = base.type_count();
    // ids in order: s, a1*, a2*, a1, a2, fwd b*, b*, fwd b, b
    let (s, a1p, a2p, a1, a2, fbp, cbp, fb, cb) = (
        first,
        first + 1,
        first + 2,
        first + 3,
        first + 4,
        first + 5,
        first + 6,
        first + 7,
        first + 8,
    );
    m.add_struct("s", 16);
    m.add_field("p", a1p, 0, 0).unwrap();
    m.add_field("q", a2p, 64, 0).unwrap();
    m.add_ptr(a1);
    m.add_ptr(a2);
    m.add_struct("a", 8);
    m.add_field("p", fbp, 0, 0).unwrap();
    m.add_struct("a", 8);
    m.add_field("p", cbp, 0, 0).unwrap();
    m.add_ptr(fb);
    m.add_ptr(cb);
    m.add_fwd("b", FwdKind::Struct);
    m.add_struct("b", 4);
    m.add_field("x", int, 0, 0).unwrap();
    let split = m.finish();
    assert_eq!(split.type_count(), cb + 1);

    let x = explain(&base, &split);
    match verdict_of(&x, s) {
        Verdict::Unmergeable {
            reason:
                Reason::TwoCopies {
                    path,
                    first,
                    second,
                },
        } => {
            assert_eq!(path, "struct s.q");
            assert_eq!((*first, *second), (a1, a2));
        }
        other => panic!("expected two copies, got {other:?}"),
    }
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn fixture_inputs() -> (Vec<u8>, Vec<(String, Vec<u8>)>) {
    let base = std::fs::read(fixture("vmlinux.btf.xz")).unwrap();
    let modules = ["nfs.btf.xz", "mlx5_core.btf.xz", "cast_common.btf"]
        .iter()
        .map(|n| (n.to_string(), std::fs::read(fixture(n)).unwrap()))
        .collect();
    (base, modules)
}

#[test]
fn nfs_fixture_ships_a_stale_struct_module() {
    let (base_file, modules) = fixture_inputs();
    let base_input = Input::open(&base_file).unwrap();
    let base = base_input.parse_btf(None).unwrap();
    let nfs_input = Input::open(&modules[0].1).unwrap();
    let nfs = nfs_input.parse_btf(Some(&base)).unwrap();
    let x = explain(&base, &nfs);
    let module = x
        .findings
        .iter()
        .find(|f| f.name == "struct module")
        .expect("struct module is found");
    assert_eq!(module.split_id, 101546);
    assert!(
        matches!(module.verdict, Verdict::Identical { .. }),
        "{module:?}"
    );
}

fn named<'d>(modules: &'d [(String, Vec<u8>)]) -> Vec<NamedInput<'d>> {
    modules
        .iter()
        .map(|(name, bytes)| NamedInput {
            name: name.clone(),
            bytes,
        })
        .collect()
}

#[test]
fn report_is_the_same_for_any_thread_count_and_verify_catches_a_change() {
    let (base_file, modules) = fixture_inputs();
    let base = NamedInput {
        name: "vmlinux.btf.xz".into(),
        bytes: &base_file,
    };
    let options = Options {
        explain: true,
        ..Options::default()
    };
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let r = pool
            .install(|| report(&options, &base, &named(&modules)))
            .unwrap();
        (serde_json::to_vec_pretty(&r).unwrap(), r.to_text(10))
    };
    let (json1, text1) = run(1);
    let (json4, text4) = run(4);
    assert_eq!(json1, json4);
    assert_eq!(text1, text4);
    assert!(text1.lines().all(|l| l.chars().count() <= 80), "{text1}");
    let r: serde_json::Value = serde_json::from_slice(&json1).unwrap();
    for m in r["modules"].as_array().unwrap() {
        assert!(m["full"]["bytes"].as_u64() >= m["split"]["bytes"].as_u64());
    }

    let mut files = named(&modules);
    files.push(NamedInput {
        name: "vmlinux.btf.xz".into(),
        bytes: &base_file,
    });
    assert!(verify(&json1, &files).unwrap().ok());

    // Changing the module without a distinct input name: the hash and
    // the results differ, and verify says where.
    let mut changed = modules.clone();
    changed[2].1 = std::fs::read(fixture("nfs.btf.xz")).unwrap();
    let mut files = named(&changed);
    files.push(NamedInput {
        name: "vmlinux.btf.xz".into(),
        bytes: &base_file,
    });
    let v = verify(&json1, &files).unwrap();
    assert!(!v.ok());
    assert_eq!(v.changed_inputs.len(), 1);
    assert_eq!(v.changed_inputs[0].name, "cast_common.btf");
    assert!(v
        .differences
        .iter()
        .any(|(path, _, _)| path.starts_with(".modules[0].")));
}

#[test]
fn report_and_verify_commands() {
    let dir = std::env::temp_dir().join(format!("btfscope-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("report.json");
    let bin = env!("CARGO_BIN_EXE_btfscope");
    let out = cli::succeed(
        cli::btfscope(["report", "-j", "2", "--redup", "--text", "--json"])
            .arg(&json)
            .arg("-B")
            .arg(fixture("vmlinux.btf.xz"))
            .arg(fixture("nfs.btf.xz"))
            .arg(fixture("cast_common.btf")),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Top 10 modules by FULL size"), "{text}");
    // The re-deduplicated column is in the report, and verify reproduces it.
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(r["options"]["redup"], true);
    assert!(
        r["modules"][0]["redup"]["bytes"].as_u64().unwrap()
            <= r["modules"][0]["split"]["bytes"].as_u64().unwrap()
    );

    let verify = |module: PathBuf| {
        Command::new(bin)
            .arg("verify")
            .arg(&json)
            .arg(fixture("vmlinux.btf.xz"))
            .arg(fixture("nfs.btf.xz"))
            .arg(module)
            .output()
            .unwrap()
    };
    let ok = verify(fixture("cast_common.btf"));
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    // Another file under the same name.
    let impostor = dir.join("cast_common.btf");
    let mut bytes = std::fs::read(fixture("cast_common.btf")).unwrap();
    let last = bytes.len() - 2;
    bytes[last] ^= 1; // a letter of the last name
    std::fs::write(&impostor, bytes).unwrap();
    let bad = verify(impostor);
    assert!(!bad.status.success());
    let said = String::from_utf8_lossy(&bad.stdout);
    assert!(said.contains("input cast_common.btf changed"), "{said}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn real_kernel_full_is_at_least_split_and_nfs_struct_module_is_stale() {
    if !kernel::available("real_kernel_full_is_at_least_split") {
        return;
    }
    let vmlinux = std::fs::read(kernel::vmlinux_path()).unwrap();
    let paths = kernel::module_paths();
    let files: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let modules: Vec<NamedInput> = paths
        .iter()
        .zip(&files)
        .map(|(p, bytes)| NamedInput {
            name: p.file_name().unwrap().to_string_lossy().into_owned(),
            bytes,
        })
        .collect();
    let base = NamedInput {
        name: "vmlinux".into(),
        bytes: &vmlinux,
    };
    let r = report(&Options::default(), &base, &modules).unwrap();
    assert_eq!(r.modules.len(), paths.len());
    for m in &r.modules {
        assert!(m.full.bytes >= m.split.bytes, "{}: {m:?}", m.name);
    }
    let t = &r.totals;
    eprintln!(
        "{} modules: FULL {} bytes, SPLIT {} bytes",
        t.modules, t.full.bytes, t.split.bytes
    );

    let input = Input::open(&vmlinux).unwrap();
    let base = input.parse_btf(None).unwrap();
    let nfs_path = paths.iter().find(|p| p.ends_with("fs/nfs/nfs.ko")).unwrap();
    let nfs_file = std::fs::read(nfs_path).unwrap();
    let nfs_input = Input::open(&nfs_file).unwrap();
    let nfs = nfs_input.parse_btf(Some(&base)).unwrap();
    let x = explain(&base, &nfs);
    let module = x
        .findings
        .iter()
        .find(|f| f.name == "struct module")
        .unwrap();
    assert!(matches!(module.verdict, Verdict::Identical { .. }));
}

#[test]
fn explain_diff_and_graph_commands_on_the_fixtures() {
    let run = |args: &[&str]| {
        let out = cli::succeed(cli::btfscope(args).arg("-B").arg(fixture("vmlinux.btf.xz")));
        String::from_utf8(out.stdout).unwrap()
    };
    let nfs = fixture("nfs.btf.xz");
    let nfs = nfs.to_str().unwrap();
    let text = run(&["explain", nfs]);
    assert!(
        text.contains("[101546] struct module = base [143]: identical"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&run(&["explain", "--json", nfs])).unwrap();
    assert!(json["counts"]["identical"].as_u64().unwrap() >= 1);

    // The same module against itself: nothing changes.
    let diff = run(&["diff", nfs, nfs]);
    assert!(
        diff.ends_with("0 removed, 0 added, 0 changed, 954 unchanged\n"),
        "{diff}"
    );

    let dot = run(&[
        "graph",
        nfs,
        "--root",
        "nfs_server",
        "--depth",
        "1",
        "--format",
        "dot",
    ]);
    assert!(
        dot.starts_with("digraph btf {") && dot.contains("label=\"client\""),
        "{dot}"
    );
    let graph: serde_json::Value = serde_json::from_str(&run(&["graph", nfs])).unwrap();
    assert_eq!(
        graph["edges"].as_array().unwrap().len(),
        graph["edge_labels"].as_array().unwrap().len()
    );
}

/// Corrupted modules: whatever still parses goes through every analysis
/// without a panic (errors are fine).
#[test]
fn analyses_survive_corrupted_modules() {
    use btfscope::analyze::{diff::diff, full::full_split, graph};
    let (base_file, modules) = fixture_inputs();
    let base_input = Input::open(&base_file).unwrap();
    let base = base_input.parse_btf(None).unwrap();
    let index = BaseIndex::new(&base).unwrap();
    let explainer = Explainer::new(&index).unwrap();
    let clean_input = Input::open(&modules[0].1).unwrap();
    let clean = clean_input.btf_bytes().unwrap().to_vec();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut parsed = 0;
    for _ in 0..300 {
        let mut bytes = clean.clone();
        for _ in 0..4 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed % bytes.len() as u64) as usize;
            bytes[at] = (seed >> 32) as u8;
        }
        let Ok(btf) = Btf::parse_split(&bytes, &base) else {
            continue;
        };
        parsed += 1;
        let _ = explainer.explain(&btf);
        let _ = full_split(&btf, None);
        let _ = diff(&btf, &btf);
        let g = graph::split_graph(&btf);
        let _ = g.to_dot();
        if let Some(root) = g.nodes.last() {
            let _ = graph::rooted(&btf, root.id, 3);
        }
    }
    assert!(parsed > 0);
}

#[test]
fn split_command_has_a_full_column() {
    let out = cli::succeed(
        cli::btfscope(["split", "--full", "--json", "-B"])
            .arg(fixture("vmlinux.btf.xz"))
            .arg(fixture("nfs.btf.xz")),
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sizes = &r["modules"][0]["sizes"];
    // The FULL BTF `report` measures for the same module.
    assert_eq!(sizes["full"]["bytes"], 595_788);
    assert_eq!(r["totals"]["full"]["bytes"], 595_788);
    assert!(sizes["full"]["bytes"].as_u64() > sizes["shipped_bytes"].as_u64());
}

#[test]
fn diff_between_two_real_kernels() {
    let kernels = kernel::compat_kernels("diff_between_two_real_kernels");
    let Some(old) = kernels
        .iter()
        .find(|p| p.to_string_lossy().contains("6.1.0-47"))
    else {
        return;
    };
    if !kernel::available("diff_between_two_real_kernels") {
        return;
    }
    let old_file = std::fs::read(old).unwrap();
    let new_file = std::fs::read(kernel::vmlinux_path()).unwrap();
    let (old_input, new_input) = (
        Input::open(&old_file).unwrap(),
        Input::open(&new_file).unwrap(),
    );
    let a = old_input.parse_btf(None).unwrap();
    let b = new_input.parse_btf(None).unwrap();
    let d = btfscope::analyze::diff::diff(&a, &b);
    assert!(
        !d.changed.is_empty() && d.unchanged > 50_000,
        "{}",
        d.to_text()
    );
    // A field moved within task_struct between the two 6.1 updates.
    let task = d
        .changed
        .iter()
        .find(|c| c.old.kind == "struct" && c.old.name == "task_struct")
        .expect("task_struct changed");
    assert!(
        task.changes.iter().any(|c| c.starts_with("member '")),
        "{task:?}"
    );
    assert!(btfscope::analyze::diff::diff(&b, &b).changed.is_empty());
}

#[test]
fn typedef_copy_merges_today_and_not_with_libbpf_1_7() {
    use btfscope::dedup::DedupRules;
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, 1);
    b.add_typedef("t", int);
    let base = b.finish();
    let mut s = BtfBuilder::new_split(&base);
    let copy = s.add_typedef("t", int);
    let split = s.finish();
    let x = explain(&base, &split);
    assert!(
        matches!(verdict_of(&x, copy), Verdict::Identical { .. }),
        "{x:?}"
    );
    let old = BaseIndex::with_rules(&base, DedupRules::Libbpf1_7).unwrap();
    let x = Explainer::new(&old).unwrap().explain(&split).unwrap();
    assert!(
        matches!(
            verdict_of(&x, copy),
            Verdict::Unmergeable {
                reason: Reason::TypedefHash
            }
        ),
        "{x:?}"
    );
}

/// The FULL BTF assembled directly is byte-identical to the stand-alone
/// deduplication on every module of both real kernels (little- and
/// big-endian), measuring it gives its sizes, and most modules take that
/// path.
#[test]
fn real_kernel_full_fast_path_matches_stand_alone_dedup() {
    use btfscope::analyze::full::{full_split, full_split_sizes, FullIndex};
    use rayon::prelude::*;

    let mut kernels = Vec::new();
    if kernel::available("real_kernel_full_fast_path_matches_stand_alone_dedup") {
        kernels.push(("amd64", kernel::vmlinux_btf(), kernel::module_paths()));
    }
    if let Some(k) = kernel::s390x("real_kernel_full_fast_path_matches_stand_alone_dedup") {
        let base = kernel::btf_section(&std::fs::read(&k.vmlinuz).unwrap());
        kernels.push(("s390x", base, kernel::files_under(&k.modules_dir, ".ko.xz")));
    }
    for (arch, base_raw, paths) in kernels {
        let base = Btf::parse(&base_raw).unwrap();
        let index = FullIndex::new(&base).unwrap();
        let outcomes: Vec<Result<bool, String>> = paths
            .par_iter()
            .map(|path| {
                let raw = kernel::btf_section(&std::fs::read(path).unwrap());
                let btf = Btf::parse_split(&raw, &base).unwrap();
                let (sizes, fast) = full_split(&btf, Some(&index)).unwrap();
                let slow = full_split(&btf, None).unwrap().1.to_bytes();
                if fast.to_bytes() != slow {
                    return Err(format!("{}: FULL BTFs differ", path.display()));
                }
                if full_split_sizes(&btf, Some(&index)).unwrap() != sizes {
                    return Err(format!("{}: FULL measured unlike built", path.display()));
                }
                Ok(index.assembles_directly(&btf).unwrap())
            })
            .collect();
        let failures: Vec<String> = outcomes.iter().filter_map(|o| o.clone().err()).collect();
        kernel::assert_no_failures(&failures);
        let direct = outcomes.iter().filter(|o| matches!(o, Ok(true))).count();
        eprintln!(
            "{arch}: {} modules identical, {direct} assembled directly",
            paths.len()
        );
        // Debian 6.1: 3,826 of 4,023; the rest reach a base FWD their own
        // struct could resolve.
        assert!(
            direct * 10 >= paths.len() * 9,
            "{arch}: only {direct} direct"
        );
    }
}
