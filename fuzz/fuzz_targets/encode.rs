//! DWARF → BTF on (mutated) ELF objects, deduplicated as the CLI does.
#![no_main]

use btfscope::encode::{encode, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = encode(data, None, &Options::default(), &|_, _| {});
});
