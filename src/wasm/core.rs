//! The CO-RE view's entry point: BPF objects against kernels, the matrix
//! of each object, why its failing cells fail, and the minimal BTF of all
//! objects per kernel.

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::core::explain::{explain, Explanation};
use crate::core::min_btf::min_core_btf;
use crate::core::report::{matrix, Matrix};
use crate::core::{program_parts, Program, Target};
use crate::intake::Input;

#[derive(serde::Serialize)]
struct Checked {
    matrix: Matrix,
    explanations: Vec<Explanation>,
}

/// The name of file `i`: its given name, or `#i` when none was given.
fn named(names: &[String], i: usize) -> String {
    names.get(i).cloned().unwrap_or_else(|| format!("#{i}"))
}

/// Each file opened, an error naming the file that does not open.
fn open_all<'a>(files: &'a [Vec<u8>], names: &[String]) -> Result<Vec<Input<'a>>, JsError> {
    let inputs = files
        .iter()
        .enumerate()
        .map(|(i, b)| Input::open(b).map_err(|e| e.in_file(named(names, i))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(inputs)
}

fn set(obj: &Object, key: &str, value: &JsValue) -> Result<(), JsError> {
    Reflect::set(obj, &key.into(), value).map_err(|_| JsError::new("cannot build the result"))?;
    Ok(())
}

/// `programs` and `kernels` are arrays of `Uint8Array`, named by
/// `program_names` and `kernel_names`. Returns `{ checks: [{ matrix,
/// explanations }] per program, min: [{ kernel, btf: Uint8Array } or {
/// kernel, error }] per kernel }`; `matrix` is `btfscope core --json`'s.
#[wasm_bindgen(js_name = coreCheck)]
pub fn core_check(
    program_names: Vec<String>,
    programs: Array,
    kernel_names: Vec<String>,
    kernels: Array,
) -> Result<JsValue, JsError> {
    let program_bytes = super::byte_arrays(programs)?;
    let kernel_bytes = super::byte_arrays(kernels)?;
    let inputs = open_all(&kernel_bytes, &kernel_names)?;
    let btfs = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            input
                .parse_btf(None)
                .map_err(|e| e.in_file(named(&kernel_names, i)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let targets: Vec<Target> = btfs.iter().map(Target::new).collect();
    let target_refs: Vec<&Target> = targets.iter().collect();
    let kernels: Vec<(String, &Target)> = (0..targets.len())
        .map(|i| (named(&kernel_names, i), &targets[i]))
        .collect();

    let prog_inputs = open_all(&program_bytes, &program_names)?;
    let parts = prog_inputs
        .iter()
        .enumerate()
        .map(|(i, input)| program_parts(input).map_err(|e| e.in_file(named(&program_names, i))))
        .collect::<Result<Vec<_>, _>>()?;
    let progs: Vec<Program> = parts.iter().map(|(b, e)| Program::new(b, e)).collect();

    let checks: Vec<Checked> = progs
        .iter()
        .zip(&prog_inputs)
        .enumerate()
        .map(|(i, (p, input))| {
            let m = matrix(&named(&program_names, i), p, &kernels, |s| {
                input.elf_section(s)
            });
            let explanations = explain(p, &m, &target_refs);
            Checked {
                matrix: m,
                explanations,
            }
        })
        .collect();
    let out = Object::new();
    set(&out, "checks", &super::to_js(&checks)?)?;
    let min = Array::new();
    for (i, t) in targets.iter().enumerate() {
        let entry = Object::new();
        set(&entry, "kernel", &named(&kernel_names, i).into())?;
        match min_core_btf(t, &progs) {
            Ok(bytes) => set(&entry, "btf", &Uint8Array::from(&bytes[..]).into())?,
            Err(e) => set(&entry, "error", &e.to_string().into())?,
        }
        min.push(&entry);
    }
    set(&out, "min", &min.into())?;
    Ok(out.into())
}
