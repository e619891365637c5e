//! The core session the page runs on (`analyze::session`): on the
//! committed fixtures, its rows, FULL BTFs and explainer are those of
//! `report` and `explain`, on one parsed and indexed base.

use std::path::PathBuf;

use btfscope::analyze::explain::Verdict;
use btfscope::analyze::full::BtfSize;
use btfscope::analyze::graph::{self, GraphView};
use btfscope::analyze::report::{
    assemble, check, report, sha256_hex, verify, BaseResult, InputFile, NamedInput, Options,
};
use btfscope::analyze::session::Session;
use btfscope::intake::Input;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(path).unwrap()
}

/// The sample's modules, in the report's order (by name).
const NAMES: [&str; 2] = ["mlx5_core.btf.xz", "nfs.btf.xz"];

fn named<'d>(names: &[&str], files: &'d [Vec<u8>]) -> Vec<NamedInput<'d>> {
    names
        .iter()
        .zip(files)
        .map(|(name, bytes)| NamedInput {
            name: name.to_string(),
            bytes,
        })
        .collect()
}

#[test]
fn session_rows_are_the_reports_rows() {
    let vmlinux = fixture("vmlinux.btf.xz");
    let names = NAMES;
    let files: Vec<Vec<u8>> = names.iter().map(|n| fixture(n)).collect();
    let inputs = named(&names, &files);
    let base = NamedInput {
        name: "vmlinux.btf.xz".into(),
        bytes: &vmlinux,
    };
    let expected = report(&Options::default(), &base, &inputs).unwrap();

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

    // The explainer and the type graph run on the same indexed base and
    // the BTF the quick pass kept.
    let x = session.explain(3).unwrap();
    let module = x
        .findings
        .iter()
        .find(|f| f.name == "struct module")
        .unwrap();
    assert!(matches!(module.verdict, Verdict::Identical { .. }));
    let nfs = fixture("nfs.btf.xz");
    Input::open(&nfs)
        .unwrap()
        .with_btf(session.base(), |btf| {
            let hub = graph::hub(btf).unwrap();
            assert_eq!(
                btf.name(btf.type_by_id(hub).unwrap().name_off()),
                "nfs_page"
            );
            let start = session.graph(3, GraphView::Start(None)).unwrap();
            assert_eq!(start.root, Some(hub));
            assert_eq!(start.own_types, btf.local_len());
            assert_eq!(start.graph, graph::rooted(btf, hub, graph::START_DEPTH));
            let whole = session.graph(3, GraphView::Whole).unwrap();
            assert_eq!(whole.graph, graph::split_graph(btf));
            assert!(start.graph.nodes.len() * 10 < whole.graph.nodes.len());
            Ok(())
        })
        .unwrap();
    let err = session.analyze(vec!["nfs.btf.xz".into()], vec![5]).unwrap();
    assert!(err[0]
        .as_ref()
        .unwrap_err()
        .to_string()
        .contains("not read by the quick pass"));
}

/// What the page does: a report assembled from the session's rows, the
/// files' and FULL BTFs' hashes and the re-deduplicated sizes.
#[test]
fn the_pages_report_is_the_clis_and_verifies() {
    let vmlinux = fixture("vmlinux.btf.xz");
    let files: Vec<Vec<u8>> = NAMES.iter().map(|n| fixture(n)).collect();
    let options = Options {
        redup: true,
        ..Options::default()
    };
    let file = |name: &str, bytes: &[u8]| InputFile {
        name: name.to_string(),
        bytes: bytes.len() as u64,
        sha256: sha256_hex(bytes),
    };

    let mut session = Session::new(Some(&vmlinux)).unwrap();
    let keys = vec![0, 1];
    session.shipped(keys.clone(), &files);
    let names: Vec<String> = NAMES.iter().map(|n| n.to_string()).collect();
    let rows = session.analyze(names, keys.clone()).unwrap();
    let fulls = session.fulls(keys).unwrap();
    // In the page's order, not the report's.
    let mut modules: Vec<_> = NAMES
        .iter()
        .zip(&files)
        .zip(rows.into_iter().zip(fulls))
        .map(|((name, bytes), (row, full))| {
            let row = row.unwrap();
            let mut result = row.result;
            result.full_sha256 = sha256_hex(&full.unwrap());
            result.redup = Some(BtfSize {
                types: row.dedup.dedup_types,
                bytes: row.dedup.dedup_bytes,
            });
            (file(name, bytes), Ok(result))
        })
        .collect();
    modules.reverse();
    let base = BaseResult::of("vmlinux.btf.xz", session.base().unwrap());
    let page = assemble(&options, file("vmlinux.btf.xz", &vmlinux), base, modules).unwrap();

    // The same bytes as `btfscope report --redup --json`, and `verify` reproduces it.
    let mut inputs = named(&NAMES, &files);
    let cli = report(
        &options,
        &NamedInput {
            name: "vmlinux.btf.xz".into(),
            bytes: &vmlinux,
        },
        &inputs,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(page.to_json()).unwrap(),
        String::from_utf8(cli.to_json()).unwrap()
    );
    assert!(page.modules.iter().all(|m| m.redup.is_some()));
    inputs.push(NamedInput {
        name: "vmlinux.btf.xz".into(),
        bytes: &vmlinux,
    });
    let v = verify(&page.to_json(), &inputs).unwrap();
    assert!(v.ok(), "{v:?}");

    // The page's check: against itself, and against a report without the
    // re-deduplicated column (the column is then not compared).
    let clean = |c: &btfscope::analyze::report::ReportCheck| {
        c.base.is_empty()
            && c.missing.is_empty()
            && c.modules.len() == 2
            && c.modules
                .iter()
                .all(|m| m.recorded && m.differences.is_empty())
    };
    assert!(clean(&check(&page, &page)));
    let mut plain = page.clone();
    plain.options.redup = false;
    plain.totals.redup = None;
    plain.modules.iter_mut().for_each(|m| m.redup = None);
    assert!(clean(&check(&plain, &page)));
    assert!(plain.to_json().len() < page.to_json().len());

    // nfs's file given under mlx5_core's name: every field differs; a
    // module left out is missing.
    let mut swapped = page.clone();
    swapped.modules[0] = swapped.modules[1].clone();
    swapped.modules[0].name = NAMES[0].to_string();
    swapped.inputs[1].sha256 = swapped.inputs[2].sha256.clone();
    swapped.modules.pop();
    swapped.inputs.pop();
    let c = check(&page, &swapped);
    assert!(c.base.is_empty());
    assert_eq!(c.missing, ["nfs.btf.xz"]);
    assert_eq!(c.modules[0].name, NAMES[0]);
    assert_eq!(
        c.modules[0].differences,
        [
            "sha256",
            "base_types_reached",
            "full",
            "full_sha256",
            "kinds",
            "redup",
            "split"
        ]
    );
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
