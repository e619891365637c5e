//! Report import: `verify` reads a report's JSON and re-runs it over the
//! inputs it names; here the small s390x fixture and a one-type module on
//! it, which the seed report (fuzz/seed.sh) was made from.
#![no_main]

use btfscope::analyze::report::{verify, NamedInput};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let files = [
        NamedInput {
            name: "s390x-sample.btf".to_string(),
            bytes: include_bytes!("../../tests/fixtures/s390x-sample.btf"),
        },
        NamedInput {
            name: "s390x-module.btf".to_string(),
            bytes: include_bytes!("../seeds/s390x-module.btf"),
        },
    ];
    let _ = verify(data, &files);
});
