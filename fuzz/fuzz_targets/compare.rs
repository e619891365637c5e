//! Report comparison: `analyze::compare` reads two reports' JSON (the input
//! split at its first NUL byte, or one report against itself), compares
//! them and renders the text. Beyond no panic: one row per module name of
//! either report, and the JSON serializes.
#![no_main]

use btfscope::analyze::compare::{compare, module_key, read_report};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (a, b) = match data.iter().position(|&c| c == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, data),
    };
    let (Ok(old), Ok(new)) = (read_report("old", a), read_report("new", b)) else {
        return;
    };
    let c = compare(&old, &new);
    let mut names: Vec<&str> = old
        .modules
        .iter()
        .chain(&new.modules)
        .map(|m| module_key(&m.name))
        .collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(c.modules.len(), names.len());
    let _ = c.to_text(20);
    serde_json::to_vec(&c).expect("serializes");
});
