//! Split BTF on a fixed small base; what parses is deduplicated against it.
#![no_main]

use std::sync::OnceLock;

use btfscope::btf::{Btf, BtfBuilder, FwdKind};
use btfscope::dedup::{dedup_split, BaseIndex};
use libfuzzer_sys::fuzz_target;

/// A base with one of each shape a split type can merge into.
fn base() -> &'static Btf<'static> {
    static BASE: OnceLock<Btf<'static>> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut b = BtfBuilder::new();
        let int = b.add_int("int", 4, 1);
        let s = b.add_struct("s", 8);
        b.add_field("a", int, 0, 0).unwrap();
        b.add_field("b", int, 32, 0).unwrap();
        let ptr = b.add_ptr(s);
        b.add_typedef("s_t", ptr);
        b.add_fwd("f", FwdKind::Struct);
        b.add_enum("e", 4);
        b.add_enum_value("E0", 0).unwrap();
        let proto = b.add_func_proto(int);
        b.add_func_param("x", ptr).unwrap();
        b.add_func("fn", 1, proto);
        let bytes: &'static [u8] = b.finish().to_bytes().leak();
        Btf::parse(bytes).unwrap()
    })
}

fn index() -> &'static BaseIndex<'static> {
    static INDEX: OnceLock<BaseIndex<'static>> = OnceLock::new();
    INDEX.get_or_init(|| BaseIndex::new(base()).unwrap())
}

fuzz_target!(|data: &[u8]| {
    let Ok(split) = Btf::parse_split(data, base()) else { return };
    let _ = dedup_split(index(), &split);
});
