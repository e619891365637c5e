//! A module that carries its distilled base (`.BTF.base`), as kernels since
//! 6.11 build out-of-tree modules: our intake reads its BTF on that base, as
//! libbpf 1.7's `btf__parse` does. Also split BTF on split BTF.

#[path = "common/cli.rs"]
mod cli;

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::process::Command;

use btfscope::btf::dump::{dump, DumpFormat};
use btfscope::btf::{Btf, BtfBuilder};
use btfscope::distill::distill;
use btfscope::intake::Input;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let bytes = std::fs::read(&path).unwrap();
    Input::open(&bytes).unwrap().btf_bytes().unwrap().to_vec()
}

fn text(btf: &Btf) -> String {
    let mut out = Vec::new();
    dump(btf, DumpFormat::Raw, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// An ELF relocatable object holding `.BTF` and `.BTF.base`, made with the
/// system's cc and objcopy; `None` (after saying so) when they are missing.
fn elf_with_distilled_base(dir: &Path, split: &[u8], base: &[u8]) -> Option<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    let (src, obj, out) = (dir.join("m.c"), dir.join("m.o"), dir.join("m.ko"));
    std::fs::write(&src, "int module_marker;\n").unwrap();
    std::fs::write(dir.join("split.btf"), split).unwrap();
    std::fs::write(dir.join("base.btf"), base).unwrap();
    let cc = Command::new("cc")
        .arg("-c")
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .status();
    if !cc.is_ok_and(|s| s.success()) {
        assert!(
            std::env::var_os("BTFSCOPE_REQUIRE_KERNEL").is_none(),
            "cc is required"
        );
        eprintln!("SKIP: no C compiler");
        return None;
    }
    let status = Command::new("objcopy")
        .arg(format!(
            "--add-section=.BTF={}",
            dir.join("split.btf").display()
        ))
        .arg(format!(
            "--add-section=.BTF.base={}",
            dir.join("base.btf").display()
        ))
        .arg(&obj)
        .arg(&out)
        .status()
        .expect("objcopy runs");
    assert!(status.success());
    Some(out)
}

/// libbpf 1.7's reading of the ELF: the split BTF on the distilled base.
fn libbpf_parse(path: &Path) -> (Vec<u8>, Vec<u8>) {
    let c = CString::new(path.to_str().unwrap()).unwrap();
    let raw = |btf: *const libbpf_sys::btf| {
        let mut size = 0u32;
        // SAFETY: `btf` is a live libbpf object; the data stays valid until
        // it is freed, and is copied before.
        unsafe {
            let data = libbpf_sys::btf__raw_data(btf, &mut size);
            std::slice::from_raw_parts(data as *const u8, size as usize).to_vec()
        }
    };
    // SAFETY: plain libbpf calls on a path; results are checked for NULL.
    unsafe {
        let btf = libbpf_sys::btf__parse(c.as_ptr(), std::ptr::null_mut());
        assert!(!btf.is_null(), "libbpf parses the ELF");
        let base = libbpf_sys::btf__base_btf(btf);
        assert!(!base.is_null(), "libbpf uses the distilled base");
        let pair = (raw(base), raw(btf));
        // The split owns the distilled base it read: one free for both.
        libbpf_sys::btf__free(btf);
        pair
    }
}

#[test]
fn module_with_distilled_base_reads_as_libbpf_reads_it() {
    let vmlinux = fixture("vmlinux.btf.xz");
    let nfs = fixture("nfs.btf.xz");
    let base = Btf::parse(&vmlinux).unwrap();
    let module = Btf::parse_split(&nfs, &base).unwrap();
    let distilled = distill(&module).unwrap();
    let dir = std::env::temp_dir().join(format!("btfscope-distilled-elf-{}", std::process::id()));
    let Some(elf) =
        elf_with_distilled_base(&dir, &distilled.split_bytes(), &distilled.base_bytes())
    else {
        return;
    };

    // Ours: the intake finds both sections and the split parses on the base.
    let bytes = std::fs::read(&elf).unwrap();
    let input = Input::open(&bytes).unwrap();
    let dbase = input.parse_btf_base().expect(".BTF.base present").unwrap();
    let ours = input.parse_btf(Some(&dbase)).unwrap();
    assert_eq!(ours.start_id(), dbase.type_count());

    // libbpf's: the same two blobs, hence the same dump.
    let (lbase_raw, lsplit_raw) = libbpf_parse(&elf);
    let lbase = Btf::parse(&lbase_raw).unwrap();
    let lsplit = Btf::parse_split(&lsplit_raw, &lbase).unwrap();
    assert_eq!(text(&ours), text(&lsplit));
    assert_eq!(dbase.to_bytes(), lbase_raw);

    // And the CLI reads the module without -B.
    let out = cli::succeed(cli::btfscope(["dump"]).arg(&elf));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), text(&ours));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn split_on_split_continues_ids_and_string_offsets() {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, 1);
    let base_bytes = b.finish().to_bytes();
    let base = Btf::parse(&base_bytes).unwrap();

    let mut m = BtfBuilder::new_split(&base);
    let s = m.add_struct("middle", 4);
    m.add_field("x", int, 0, 0).unwrap();
    let middle_bytes = m.finish().to_bytes();
    let middle = Btf::parse_split(&middle_bytes, &base).unwrap();

    let mut t = BtfBuilder::new_split(&middle);
    let p = t.add_ptr(s);
    t.add_typedef("top_t", p);
    let top_bytes = t.finish().to_bytes();
    let top = Btf::parse_split(&top_bytes, &middle).unwrap();

    assert_eq!(middle.start_id(), 2);
    assert_eq!(top.start_id(), 3);
    assert_eq!(
        top.start_str_off(),
        (base.string_bytes().len() + middle.string_bytes().len()) as u32
    );
    // Names resolve through both bases.
    let td = top.type_by_id(4).unwrap();
    assert_eq!(top.name(td.name_off()), "top_t");
    let st = top
        .type_by_id(top.type_by_id(3).unwrap().size_or_type())
        .unwrap();
    assert_eq!(top.name(st.name_off()), "middle");
    assert_eq!(
        text(&top),
        "[3] PTR '(anon)' type_id=2\n[4] TYPEDEF 'top_t' type_id=3\n"
    );
    assert_eq!(top.to_bytes(), top_bytes);
}
