//! Each decompressor on its own; the first byte picks the codec so that one
//! corpus covers all three.
#![no_main]

use btfscope::intake::{decompress, output_limit, Codec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, stream)) = data.split_first() else { return };
    let codec = [Codec::Gzip, Codec::Xz, Codec::Zstd][pick as usize % 3];
    let limit = output_limit(stream.len());
    if let Ok(out) = decompress(codec, stream, limit) {
        assert!(out.len() as u64 <= limit, "output past its limit");
    }
});
