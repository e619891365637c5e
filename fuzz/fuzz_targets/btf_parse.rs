//! Raw BTF: parse, dump in both formats, and check that writing is stable
//! (what we write parses again and writes the same bytes).
#![no_main]

use btfscope::btf::dump::{dump, DumpFormat};
use btfscope::btf::Btf;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(btf) = Btf::parse(data) else { return };
    let mut sink = std::io::sink();
    for format in [DumpFormat::Raw, DumpFormat::Json] {
        dump(&btf, format, &mut sink).expect("dumping to a sink cannot fail");
    }
    let once = btf.to_bytes();
    let again = Btf::parse(&once).expect("our own output must parse");
    assert_eq!(again.to_bytes(), once, "writing is not stable");
});
