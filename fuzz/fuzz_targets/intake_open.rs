//! Any file (ELF objects foremost): unwrap it and parse what it carries.
#![no_main]

use btfscope::intake::Input;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = Input::open(data) else { return };
    let _ = input.with_btf(None, |btf| Ok(btf.type_count()));
    let _ = input.parse_btf(None);
});
