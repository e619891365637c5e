//! The spec parser (BTF from `dump` text), alone and on a small base; what
//! builds is dumped again and must read back to the same text.
#![no_main]

use std::sync::OnceLock;

use btfscope::btf::dump::{dump, DumpFormat};
use btfscope::btf::text::parse_spec;
use btfscope::btf::Btf;
use libfuzzer_sys::fuzz_target;

fn base() -> &'static Btf<'static> {
    static BASE: OnceLock<Btf<'static>> = OnceLock::new();
    BASE.get_or_init(|| {
        let spec = b"INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\nSTRUCT 's' size=4\n\t'a' type_id=1 bits_offset=0\n";
        let bytes: &'static [u8] = parse_spec(spec, None).unwrap().to_bytes().leak();
        Btf::parse(bytes).unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    // Odd lengths on the base, as split BTF.
    let on = (data.len() % 2 == 1).then(base);
    let Ok(btf) = parse_spec(data, on) else { return };
    let mut text = Vec::new();
    dump(&btf, DumpFormat::Raw, &mut text).unwrap();
    let again = parse_spec(&text, on).expect("a dump reads back");
    let mut text2 = Vec::new();
    dump(&again, DumpFormat::Raw, &mut text2).unwrap();
    assert_eq!(text, text2);
});
