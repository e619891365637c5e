//! Struct layouts: a raw BTF that parses must give pahole's text for every
//! type, the structured layouts and `-C` lookups, or a clear error (cycles,
//! nesting, expansion limits) — never a panic, a hang or unbounded memory.
#![no_main]

use btfscope::analyze::layout::Layouts;
use btfscope::btf::Btf;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(btf) = Btf::parse(data) else { return };
    let Ok(mut layouts) = Layouts::new(&btf) else { return };
    let _ = layouts.pahole_all();
    let all = layouts.all();
    assert_eq!(all.len(), layouts.printed_ids().len());
    for layout in all.iter().take(8) {
        // A name that is not UTF-8 cannot be typed as `-C NAME`.
        if let Some(name) = layout.name.as_ref().filter(|n| !n.contains('\u{FFFD}')) {
            let selected = Layouts::new(&btf).unwrap().pahole_selected(&[name.as_str()]);
            // pahole -C finds every name pahole prints.
            assert!(selected.missing.is_none(), "{name} not found");
            assert!(!selected.text.is_empty());
        }
    }
    for id in 1..btf.type_count().min(64) {
        let _ = layouts.layout(id);
        let _ = layouts.pahole_text(id);
    }
});
