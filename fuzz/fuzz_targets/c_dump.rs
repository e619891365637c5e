//! Raw BTF as C: the whole header, one root type, one type's definition.
//! Beyond "no panic, hang or stack overflow": the output is the same on a
//! second run, and every definition lies inside the text.
#![no_main]

use btfscope::btf::c;
use btfscope::btf::Btf;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(btf) = Btf::parse(data) else { return };
    let Ok(header) = c::header(&btf) else { return };
    let again = c::header(&btf).expect("the second run fails where the first did not");
    assert_eq!(header.text(), again.text(), "output is not deterministic");
    for s in header.spans() {
        assert!(s.start <= s.end && s.end <= header.text().len());
    }
    for id in 1..btf.type_count().min(16) {
        let _ = c::root_header(&btf, id);
        let _ = header.definition(id);
    }
});
