//! DWARF → BTF on (mutated) ELF objects, deduplicated as the CLI does:
//! in one pass, or (inputs of even length) in chunks of one CU, so that
//! objects of a few CUs take the path vmlinux takes.
#![no_main]

use btfscope::encode::{encode, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = Options {
        chunk_cus: if data.len() % 2 == 0 { 1 } else { 0 },
        ..Options::default()
    };
    let _ = encode(data, None, &opts, &|_, _| {});
});
