//! The adapter as the page's worker calls it, on real kernel BTF from
//! tests/fixtures. Runs under wasm-bindgen-test in node and in headless
//! chromium (scripts/test-web.sh).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

use super::{analyze, base_types, graph};

const VMLINUX: &[u8] = include_bytes!("../../tests/fixtures/vmlinux.btf.xz");
const NFS: &[u8] = include_bytes!("../../tests/fixtures/nfs.btf.xz");
const MLX5: &[u8] = include_bytes!("../../tests/fixtures/mlx5_core.btf.xz");

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap()
}

fn number(value: &JsValue, key: &str) -> f64 {
    get(value, key).as_f64().unwrap()
}

/// Runs `analyze` over `files` and returns the outcomes in file order, with
/// the `first` index of every batch the callback saw.
fn run(base: Option<&[u8]>, files: &[&'static [u8]], batch: u32) -> (Vec<JsValue>, Vec<u32>) {
    let outcomes = Rc::new(RefCell::new(Vec::new()));
    let firsts = Rc::new(RefCell::new(Vec::new()));
    let count = files.len() as u32;
    let files = files.to_vec();
    let read = Closure::<dyn Fn(u32) -> Uint8Array>::new(move |i: u32| {
        Uint8Array::from(files[i as usize])
    });
    let report = {
        let (outcomes, firsts) = (outcomes.clone(), firsts.clone());
        Closure::<dyn Fn(u32, Array)>::new(move |first: u32, batch: Array| {
            firsts.borrow_mut().push(first);
            outcomes.borrow_mut().extend(batch.iter());
        })
    };
    analyze(
        base.map(<[u8]>::to_vec),
        count,
        batch,
        read.as_ref().unchecked_ref::<Function>(),
        report.as_ref().unchecked_ref::<Function>(),
    )
    .unwrap();
    let result = (outcomes.borrow().clone(), firsts.borrow().clone());
    result
}

#[wasm_bindgen_test]
fn vmlinux_is_a_base_and_modules_are_not() {
    assert_eq!(base_types(VMLINUX), Some(100_799));
    assert_eq!(base_types(NFS), None);
    assert_eq!(base_types(b"not btf"), None);
}

#[wasm_bindgen_test]
fn modules_on_their_base_in_batches() {
    let (outcomes, firsts) = run(Some(VMLINUX), &[NFS, MLX5, NFS], 2);
    assert_eq!(firsts, [0, 2]);
    assert_eq!(outcomes.len(), 3);
    for o in &outcomes {
        assert_eq!(get(o, "status"), "ok");
        let stat = get(o, "stat");
        assert_eq!(get(&stat, "split"), true);
        assert_eq!(number(&stat, "start_id"), 100_800.0);
    }
    let nfs = get(&outcomes[0], "stat");
    let kinds = Array::from(&get(&nfs, "kinds"));
    let kind_bytes: f64 = kinds.iter().map(|k| number(&k, "bytes")).sum();
    assert_eq!(kind_bytes, number(&nfs, "type_len"));
    assert_eq!(
        number(&nfs, "total_bytes"),
        number(&nfs, "hdr_len") + number(&nfs, "type_len") + number(&nfs, "str_len")
    );
}

#[wasm_bindgen_test]
fn a_bad_file_fails_alone() {
    let (outcomes, _) = run(Some(VMLINUX), &[NFS, b"garbage!", MLX5], 8);
    let statuses: Vec<_> = outcomes.iter().map(|o| get(o, "status")).collect();
    assert_eq!(statuses, ["ok", "failed", "ok"]);
    let error = get(&outcomes[1], "error").as_string().unwrap();
    assert!(error.contains("not BTF, ELF"), "{error}");
}

#[wasm_bindgen_test]
fn a_module_without_its_base_says_so() {
    let (outcomes, _) = run(None, &[NFS], 1);
    let error = get(&outcomes[0], "error").as_string().unwrap();
    assert!(error.contains("give its base BTF"), "{error}");
}

#[wasm_bindgen_test]
fn a_broken_base_is_an_error_for_the_whole_run() {
    let read = Closure::<dyn Fn(u32) -> Uint8Array>::new(|_| Uint8Array::new_with_length(0));
    let report = Closure::<dyn Fn(u32, Array)>::new(|_, _| {});
    let result = analyze(
        Some(b"garbage!".to_vec()),
        1,
        1,
        read.as_ref().unchecked_ref(),
        report.as_ref().unchecked_ref(),
    );
    assert!(result.is_err());
}

#[wasm_bindgen_test]
fn type_graph_of_a_module_and_an_expanded_base_type() {
    let g = graph(Some(VMLINUX.to_vec()), NFS, None).unwrap();
    let nodes = Array::from(&get(&g, "nodes"));
    let edges = Array::from(&get(&g, "edges"));
    assert!(nodes.length() > 100 && edges.length() > nodes.length());
    let base_node = nodes
        .iter()
        .find(|n| get(n, "base") == true)
        .expect("nfs uses vmlinux types");
    let id = number(&base_node, "id") as u32;
    assert!(id < 100_800);

    let expanded = graph(Some(VMLINUX.to_vec()), NFS, Some(id)).unwrap();
    let first = Array::from(&get(&expanded, "nodes")).get(0);
    assert_eq!(number(&first, "id") as u32, id);
}
