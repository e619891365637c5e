//! vmlinuz unpacking: the fuzzed bytes become a bzImage's setup_sects,
//! payload_offset and everything after the boot header, so that most inputs
//! reach the payload decompressor rather than failing at the magic.
#![no_main]

use btfscope::intake::Input;
use libfuzzer_sys::fuzz_target;

/// Where the boot header ends; the kernel's own layout (boot protocol 2.08+).
const HEADER_END: usize = 0x250;

fuzz_target!(|data: &[u8]| {
    let Some((&setup_sects, rest)) = data.split_first() else { return };
    let Some((offset, payload)) = rest.split_first_chunk::<4>() else { return };
    let mut image = vec![0u8; HEADER_END];
    image[0x1f1] = setup_sects;
    image[0x202..0x206].copy_from_slice(b"HdrS");
    image[0x248..0x24c].copy_from_slice(offset);
    image.extend_from_slice(payload);
    if let Ok(input) = Input::open(&image) {
        let _ = input.parse_btf(None);
    }
});
