//! `.BTF.ext`: parse, check against a small program BTF, print as
//! `dump --ext` does, and resolve the CO-RE records against that BTF as
//! the target (spec parsing, candidate matching, value calculation and
//! min_core_btf all run on whatever the records say).
#![no_main]

use btfscope::btf::ext::BtfExt;
use btfscope::btf::{Btf, BtfBuilder};
use btfscope::core::min_btf::min_core_btf;
use btfscope::core::report::ext_text;
use btfscope::core::{Program, Target};
use libfuzzer_sys::fuzz_target;

/// A program BTF with a struct holding an anonymous union, a bitfield, an
/// array, a pointer, an enum and flavoured names, and access strings.
fn program_btf() -> Btf<'static> {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, 1);
    let uint = b.add_int("unsigned int", 4, 0);
    let arr = b.add_array(int, int, 4);
    let anon = b.add_union("", 4);
    b.add_field("a", int, 0, 0).unwrap();
    b.add_field("b", uint, 0, 0).unwrap();
    // The pointer first: fields are added to the last type, the struct.
    let ptr = b.add_ptr(anon + 2);
    let s = b.add_struct("s", 32);
    assert_eq!(ptr + 1, s);
    b.add_field("x", int, 0, 0).unwrap();
    b.add_field("", anon, 32, 0).unwrap();
    b.add_field("bits", uint, 64, 3).unwrap();
    b.add_field("arr", arr, 96, 0).unwrap();
    b.add_field("next", ptr, 192, 0).unwrap();
    let _flavour = b.add_struct("s___v2", 8);
    b.add_field("x", int, 32, 0).unwrap();
    let e = b.add_enum("e", 4);
    b.add_enum_value("E_A", 1).unwrap();
    b.add_enum_value("E_B___x", -2).unwrap();
    b.add_typedef("s_t", s);
    b.add_func_proto(int);
    let _ = e;
    for access in ["0", "0:0", "0:1:1", "0:2", "0:3:2", "0:4", "1", "0:1", "0:3"] {
        b.add_str(access);
    }
    b.add_str("sec");
    b.finish()
}

fuzz_target!(|data: &[u8]| {
    let Ok(ext) = BtfExt::parse(data) else { return };
    let btf = program_btf();
    let _ = ext_text(&btf, &ext);
    if ext.check(&btf).is_err() {
        return;
    }
    let program = Program::new(&btf, &ext);
    let target = Target::new(&btf);
    let _ = program.resolve(&target);
    let _ = min_core_btf(&target, &[program]);
});
