//! The adapter as the page's worker calls it, on real kernel BTF from
//! tests/fixtures. Runs under wasm-bindgen-test in node and in headless
//! chromium (scripts/test-web.sh).

use js_sys::{Array, Function, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

use super::encode::DebugElf;
use super::{base_types, Session};
use crate::encode::Options;

const VMLINUX: &[u8] = include_bytes!("../../tests/fixtures/vmlinux.btf.xz");
pub(super) const NFS: &[u8] = include_bytes!("../../tests/fixtures/nfs.btf.xz");
const MLX5: &[u8] = include_bytes!("../../tests/fixtures/mlx5_core.btf.xz");

pub(super) fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap()
}

pub(super) fn number(value: &JsValue, key: &str) -> f64 {
    get(value, key).as_f64().unwrap()
}

/// As the page runs them: the quick pass, then the full pass and the FULL
/// BTFs on what it kept; each file's outcome, of the pass it failed in.
fn analyze(session: &mut Session, files: &[&[u8]]) -> Vec<JsValue> {
    let names = (0..files.len()).map(|i| format!("m{i}.ko")).collect();
    let keys: Vec<u32> = (0..files.len() as u32).collect();
    let files: Array = files.iter().map(|f| Uint8Array::from(*f)).collect();
    let quick = Array::from(&session.shipped(keys.clone(), files).unwrap()).to_vec();
    let full = Array::from(&session.analyze(names, keys.clone()).unwrap()).to_vec();
    let fulls = session.fulls(keys).unwrap().to_vec();
    let failed = |o: &JsValue| get(o, "status") == "failed";
    let outcomes: Vec<JsValue> = quick
        .into_iter()
        .zip(full)
        .map(|(quick, full)| if failed(&quick) { quick } else { full })
        .collect();
    // The FULL BTF built for the page to hash has the size measured.
    for (o, full) in outcomes.iter().zip(&fulls) {
        match get(o, "status").as_string().unwrap().as_str() {
            "ok" => assert_eq!(
                Uint8Array::from(full.clone()).length() as f64,
                number(&get(&get(o, "value"), "full"), "bytes")
            ),
            _ => assert!(full.is_undefined()),
        }
    }
    outcomes
}

fn on_vmlinux() -> Session {
    Session::new(Some(VMLINUX.to_vec())).unwrap()
}

/// A session on vmlinux that read nfs (kept under key 0).
pub(super) fn with_nfs() -> Session {
    let mut session = on_vmlinux();
    let files: Array = [Uint8Array::from(NFS)].into_iter().collect();
    session.shipped(vec![0], files).unwrap();
    session
}

#[wasm_bindgen_test]
fn vmlinux_is_a_base_and_modules_are_not() {
    assert_eq!(base_types(VMLINUX), Some(100_799));
    assert_eq!(base_types(NFS), None);
    assert_eq!(base_types(b"not btf"), None);
}

#[wasm_bindgen_test]
fn modules_on_their_base_batch_after_batch() {
    let mut session = on_vmlinux();
    let first = analyze(&mut session, &[NFS, MLX5]);
    let second = analyze(&mut session, &[NFS]);
    assert_eq!(first.len(), 2);
    for o in first.iter().chain(&second) {
        assert_eq!(get(o, "status"), "ok");
        let result = get(o, "value");
        // A module's FULL BTF carries the base types it uses: bigger than SPLIT.
        let (split, full) = (get(&result, "split"), get(&result, "full"));
        assert!(number(&full, "bytes") > number(&split, "bytes"));
        assert!(number(&full, "types") > number(&split, "types"));
        assert!(number(&result, "base_types_reached") > 0.0);
        let dedup = get(&result, "dedup");
        assert_eq!(number(&dedup, "shipped_bytes"), number(&split, "bytes"));
        assert!(number(&dedup, "dedup_bytes") <= number(&dedup, "shipped_bytes"));
    }
    let nfs = get(&first[0], "value");
    // nfs.ko ships a stale copy of `struct module`: re-deduplicating drops it.
    assert!(number(&get(&nfs, "dedup"), "saved_bytes") > 0.0);
    assert_eq!(get(&nfs, "name"), "m0.ko");
    assert_eq!(
        get(&get(&nfs, "full"), "bytes"),
        get(&get(&get(&second[0], "value"), "full"), "bytes")
    );
    let kinds = get(&nfs, "kinds");
    let kind_bytes: f64 = Array::from(&get(&kinds, "kinds"))
        .iter()
        .map(|k| number(&k, "bytes"))
        .sum();
    let header = 24.0;
    assert_eq!(
        header + kind_bytes + number(&kinds, "string_bytes"),
        number(&get(&nfs, "split"), "bytes")
    );
}

#[wasm_bindgen_test]
fn the_quick_pass_agrees_with_the_full_one() {
    let mut session = on_vmlinux();
    let files: Array = [NFS, b"garbage!"]
        .iter()
        .map(|f| Uint8Array::from(*f))
        .collect();
    let quick = Array::from(&session.shipped(vec![0, 1], files).unwrap()).to_vec();
    assert_eq!(get(&quick[1], "status"), "failed");
    let stat = get(&quick[0], "value");
    let full = get(&analyze(&mut session, &[NFS])[0], "value");
    let split = get(&full, "split");
    assert_eq!(number(&stat, "total_bytes"), number(&split, "bytes"));
    assert_eq!(number(&stat, "types"), number(&split, "types"));
    assert_eq!(
        number(&stat, "str_len"),
        number(&get(&full, "kinds"), "string_bytes")
    );
}

#[wasm_bindgen_test]
fn a_bad_file_fails_alone() {
    let outcomes = analyze(&mut on_vmlinux(), &[NFS, b"garbage!", MLX5]);
    let statuses: Vec<_> = outcomes.iter().map(|o| get(o, "status")).collect();
    assert_eq!(statuses, ["ok", "failed", "ok"]);
    let error = get(&outcomes[1], "error").as_string().unwrap();
    assert!(error.contains("not BTF, ELF"), "{error}");
}

#[wasm_bindgen_test]
fn a_module_without_its_base_says_so() {
    let outcomes = analyze(&mut Session::new(None).unwrap(), &[NFS]);
    let error = get(&outcomes[0], "error").as_string().unwrap();
    assert!(error.contains("give its base BTF"), "{error}");
}

#[wasm_bindgen_test]
fn a_broken_base_is_refused() {
    assert!(Session::new(Some(b"garbage!".to_vec())).is_err());
    assert!(Session::new(Some(NFS.to_vec())).is_err());
}

#[wasm_bindgen_test]
fn the_explainer_finds_nfs_stale_struct_module() {
    let x = with_nfs().explain(0).unwrap();
    assert!(number(&get(&x, "counts"), "identical") >= 1.0);
    let module = Array::from(&get(&x, "findings"))
        .iter()
        .find(|f| get(f, "name") == "struct module")
        .expect("struct module is a finding");
    assert_eq!(get(&get(&module, "verdict"), "verdict"), "identical");
    let text = get(&module, "text").as_string().unwrap();
    assert!(
        text.starts_with("identical: a current dedup merges it"),
        "{text}"
    );
}

#[wasm_bindgen_test]
fn type_graph_of_a_module_from_its_hub_whole_and_an_expanded_base_type() {
    let session = with_nfs();
    let view = |v: &str| js_sys::JSON::parse(v).unwrap();
    let start = session.graph(0, view(r#"{"start":null}"#)).unwrap();
    let root = number(&start, "root");
    let nodes = Array::from(&get(&start, "nodes"));
    assert!(
        nodes.length() > 1 && nodes.length() < 200,
        "{}",
        nodes.length()
    );
    assert!(nodes.iter().any(|n| number(&n, "id") == root));
    let whole = session.graph(0, "whole".into()).unwrap();
    let nodes = Array::from(&get(&whole, "nodes"));
    let edges = Array::from(&get(&whole, "edges"));
    assert!(nodes.length() > 1000 && edges.length() > nodes.length());
    assert!(get(&whole, "root").is_null());
    let base_node = nodes
        .iter()
        .find(|n| get(n, "base") == true)
        .expect("nfs uses vmlinux types");
    let id = number(&base_node, "id") as u32;
    assert!(id < 100_800);

    let expanded = session
        .graph(0, view(&format!(r#"{{"expand":{id}}}"#)))
        .unwrap();
    let first = Array::from(&get(&expanded, "nodes")).get(0);
    assert_eq!(number(&first, "id") as u32, id);
    assert!(session.graph(0, view(r#"{"nonsense":1}"#)).is_err());
    assert!(
        session.graph(1, "whole".into()).is_err(),
        "nothing kept under 1"
    );
}

#[wasm_bindgen_test]
fn modules_relocate_onto_their_own_kernel() {
    let mut session = on_vmlinux();
    assert!(session.compat(vec![], Array::new()).is_err());
    assert!(session.set_target(b"garbage!").is_err());
    session.set_target(VMLINUX).unwrap();
    let files: Array = [NFS, MLX5].iter().map(|f| Uint8Array::from(*f)).collect();
    let names = vec!["nfs".into(), "mlx5_core".into()];
    let outcomes = Array::from(&session.compat(names, files).unwrap());
    assert_eq!(outcomes.length(), 2);
    for outcome in outcomes.iter() {
        let report = get(&outcome, "value");
        assert_eq!(get(&report, "relocates"), true);
        assert_eq!(Array::from(&get(&report, "problems")).length(), 0);
    }
}

/// tests/encode/sample.c built by `gcc -O2 -g -c` (a relocatable object).
const SAMPLE_OBJECT: &[u8] = include_bytes!("../../tests/encode/sample.o");

#[wasm_bindgen_test]
fn a_debug_object_read_by_slices_encodes_as_the_whole_file() {
    let mut elf = DebugElf::new(SAMPLE_OBJECT.len() as f64).unwrap();
    let mut slices = 0;
    while let Some(range) = elf.wanted() {
        let (at, len) = (range[0] as usize, range[1] as usize);
        elf.give(&SAMPLE_OBJECT[at..at + len]).unwrap();
        slices += 1;
    }
    // Header, section headers, names, then each needed section.
    assert!(slices > 5, "{slices} slices");
    let calls = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let seen = calls.clone();
    let progress =
        Closure::<dyn Fn(u32, u32)>::new(move |done, total| seen.borrow_mut().push((done, total)));
    let out = elf
        .encode(
            None,
            "default",
            progress.as_ref().unchecked_ref::<Function>().clone(),
        )
        .unwrap();

    let (btf, report) =
        crate::encode::encode(SAMPLE_OBJECT, None, &Options::default(), &|_, _| {}).unwrap();
    let expected = btf.to_bytes_in(report.endian);
    assert_eq!(Uint8Array::from(get(&out, "btf")).to_vec(), expected);
    let stat = get(&out, "stat");
    assert_eq!(number(&stat, "types"), btf.local_len() as f64);
    assert_eq!(number(&stat, "total_bytes"), expected.len() as f64);
    assert_eq!(number(&get(&out, "report"), "cus"), 1.0);
    assert_eq!(calls.borrow().last(), Some(&(1, 1)));
}

#[wasm_bindgen_test]
fn a_bad_debug_file_is_refused() {
    assert!(DebugElf::new(10.0).is_err());
    let mut elf = DebugElf::new(4096.0).unwrap();
    assert!(elf.give(&[0u8; 64]).is_err());
    let mut elf = DebugElf::new(SAMPLE_OBJECT.len() as f64).unwrap();
    elf.give(&SAMPLE_OBJECT[..64]).unwrap();
    let no_progress = Function::new_no_args("");
    assert!(elf.encode(None, "default", no_progress).is_err());
}

#[wasm_bindgen_test]
fn the_full_pass_takes_only_what_the_quick_pass_kept() {
    let mut session = on_vmlinux();
    let outcomes = Array::from(&session.analyze(vec!["m.ko".into()], vec![7]).unwrap()).to_vec();
    let error = get(&outcomes[0], "error").as_string().unwrap();
    assert!(error.contains("not read by the quick pass"), "{error}");
    assert!(session.fulls(vec![7]).unwrap().get(0).is_undefined());
}
