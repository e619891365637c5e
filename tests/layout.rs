//! Struct layouts against pahole 1.30 (`pahole -F btf`): byte for byte on
//! the Debian 6.1 vmlinux, on modules with `--btf_base`, on the big-endian
//! s390x kernel and with `-C`; and small hand-built BTFs whose holes, bit
//! holes, padding, packing and cache-line crossings are checked by value
//! (and against pahole when it is there). pahole comes from
//! scripts/fetch-pahole.sh; the kernels from scripts/fetch-kernel.sh.

#[path = "common/kernel.rs"]
mod kernel;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use btfscope::analyze::layout::{pahole as our_pahole, Layouts};
use btfscope::btf::{Btf, BtfBuilder, FwdKind};
use btfscope::error::ErrorKind;
use btfscope::intake::Input;
use rayon::prelude::*;

fn pool() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap()
    })
}

fn pahole_path() -> PathBuf {
    kernel::cache_dir().join("pahole-1.30/pahole")
}

/// pahole is there, or the test says why it is skipped (fails in CI).
fn have_pahole(test: &str) -> bool {
    if pahole_path().is_file() {
        return true;
    }
    kernel::skip(test, "pahole 1.30 (scripts/fetch-pahole.sh)");
    false
}

/// `pahole -F btf [--btf_base BASE] [-C NAMES] FILE`: (stdout, stderr).
fn pahole(file: &Path, base: Option<&Path>, names: Option<&str>) -> (Vec<u8>, String) {
    let mut cmd = Command::new(pahole_path());
    cmd.args(["-F", "btf", "--cacheline_size=64"]);
    if let Some(base) = base {
        cmd.arg("--btf_base").arg(base);
    }
    if let Some(names) = names {
        cmd.arg("-C").arg(names);
    }
    let out = cmd.arg(file).output().expect("runs pahole");
    assert!(out.status.success(), "pahole failed on {}", file.display());
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The line where two texts first differ, with its number.
fn first_difference(ours: &[u8], theirs: &[u8]) -> String {
    let a: Vec<&[u8]> = ours.split(|&b| b == b'\n').collect();
    let b: Vec<&[u8]> = theirs.split(|&b| b == b'\n').collect();
    let i = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let line = |v: &Vec<&[u8]>| {
        v.get(i)
            .map_or("<end>".into(), |l| String::from_utf8_lossy(l).into_owned())
    };
    format!(
        "line {}: ours {:?}, pahole {:?} ({} against {} lines)",
        i + 1,
        line(&a),
        line(&b),
        a.len(),
        b.len()
    )
}

fn assert_same(what: &str, ours: &[u8], theirs: &[u8]) {
    assert!(ours == theirs, "{what}: {}", first_difference(ours, theirs));
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("btfscope-layout-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn vmlinux_all_structs_and_unions_match_pahole() {
    let test = "vmlinux_all_structs_and_unions_match_pahole";
    if !kernel::available(test) || !have_pahole(test) {
        return;
    }
    let section = kernel::vmlinux_btf();
    let btf = Btf::parse(&section).unwrap();
    let ours = our_pahole(&btf).unwrap();
    let (theirs, _) = pahole(&kernel::vmlinux_path(), None, None);
    assert!(
        theirs.len() > 4_000_000,
        "pahole printed {} bytes",
        theirs.len()
    );
    assert_same("vmlinux", &ours, &theirs);
}

/// Modules chosen to cover big drivers, file systems, networking and
/// small ones: the named ones and every 150th of the sorted list.
fn module_sample() -> Vec<PathBuf> {
    const NAMED: [&str; 10] = [
        "drivers/gpu/drm/amd/amdgpu/amdgpu.ko",
        "drivers/gpu/drm/i915/i915.ko",
        "fs/nfs/nfs.ko",
        "fs/xfs/xfs.ko",
        "fs/btrfs/btrfs.ko",
        "net/mac80211/mac80211.ko",
        "net/netfilter/nf_tables.ko",
        "drivers/net/ethernet/intel/ice/ice.ko",
        "drivers/infiniband/core/ib_core.ko",
        "sound/core/snd-pcm.ko",
    ];
    let all = kernel::module_paths();
    let dir = kernel::modules_dir();
    let mut picked: Vec<PathBuf> = NAMED
        .iter()
        .map(|m| dir.join(m))
        .filter(|p| p.is_file())
        .collect();
    picked.extend(all.iter().step_by(150).cloned());
    picked.sort();
    picked.dedup();
    picked
}

/// Our text against pahole's for each module on `base`; the modules that
/// differ, each with its first difference.
fn compare_modules(modules: &[PathBuf], base: &Btf, base_file: &Path) -> (usize, Vec<String>) {
    let failures: Vec<String> = pool().install(|| {
        modules
            .par_iter()
            .filter_map(|path| {
                let data = std::fs::read(path).unwrap();
                let input = Input::open(&data).unwrap();
                let btf = input.parse_btf(Some(base)).unwrap();
                let ours = our_pahole(&btf).unwrap();
                let (theirs, _) = pahole(path, Some(base_file), None);
                (ours != theirs)
                    .then(|| format!("{}: {}", path.display(), first_difference(&ours, &theirs)))
            })
            .collect()
    });
    (modules.len(), failures)
}

#[test]
fn modules_on_their_base_match_pahole() {
    let test = "modules_on_their_base_match_pahole";
    if !kernel::available(test) || !have_pahole(test) {
        return;
    }
    let section = kernel::vmlinux_btf();
    let base = Btf::parse(&section).unwrap();
    let modules = module_sample();
    assert!(modules.len() >= 30, "{} modules", modules.len());
    let (n, failures) = compare_modules(&modules, &base, &kernel::vmlinux_path());
    eprintln!(
        "layout: {n} modules compared with pahole, {} differ",
        failures.len()
    );
    kernel::assert_no_failures(&failures);
}

/// Every module, once: `cargo test --release --test layout -- --ignored`.
#[test]
#[ignore]
fn all_modules_match_pahole() {
    let test = "all_modules_match_pahole";
    if !kernel::available(test) || !have_pahole(test) {
        return;
    }
    let section = kernel::vmlinux_btf();
    let base = Btf::parse(&section).unwrap();
    let modules = kernel::module_paths();
    let (n, failures) = compare_modules(&modules, &base, &kernel::vmlinux_path());
    eprintln!(
        "layout: {n} modules compared with pahole, {} differ",
        failures.len()
    );
    for f in &failures {
        eprintln!("  {f}");
    }
    kernel::assert_no_failures(&failures);
}

#[test]
fn s390x_big_endian_matches_pahole() {
    let test = "s390x_big_endian_matches_pahole";
    let Some(s390x) = kernel::s390x(test) else {
        return;
    };
    if !have_pahole(test) {
        return;
    }
    let image = std::fs::read(&s390x.vmlinuz).unwrap();
    let input = Input::open(&image).unwrap();
    let base = input.parse_btf(None).unwrap();
    assert_eq!(base.endian(), btfscope::btf::Endian::Big);
    let tmp = TempDir::new("s390x");
    let base_file = tmp.0.join("vmlinux.btf");
    std::fs::write(&base_file, input.btf_bytes().unwrap()).unwrap();
    let (theirs, _) = pahole(&base_file, None, None);
    assert_same("s390x vmlinux", &our_pahole(&base).unwrap(), &theirs);

    let modules: Vec<PathBuf> = kernel::files_under(&s390x.modules_dir, ".ko.xz")
        .into_iter()
        .step_by(100)
        .collect();
    assert!(modules.len() >= 15);
    let failures: Vec<String> = pool().install(|| {
        modules
            .par_iter()
            .enumerate()
            .filter_map(|(i, path)| {
                let data = std::fs::read(path).unwrap();
                let input = Input::open(&data).unwrap();
                let btf = input.parse_btf(Some(&base)).unwrap();
                // pahole reads no .ko.xz: give it the ELF file.
                let elf = tmp.0.join(format!("{i}.ko"));
                std::fs::write(&elf, input.data()).unwrap();
                let (theirs, _) = pahole(&elf, Some(&base_file), None);
                let ours = our_pahole(&btf).unwrap();
                (ours != theirs)
                    .then(|| format!("{}: {}", path.display(), first_difference(&ours, &theirs)))
            })
            .collect()
    });
    kernel::assert_no_failures(&failures);
}

#[test]
fn selected_names_match_pahole_c() {
    let test = "selected_names_match_pahole_c";
    if !kernel::available(test) || !have_pahole(test) {
        return;
    }
    let section = kernel::vmlinux_btf();
    let btf = Btf::parse(&section).unwrap();
    for names in [
        "task_struct,sk_buff,atomic_t,u32,pid_type,list_head",
        "page,file_operations,sockaddr,__sifields,bpf_prog_aux,sched_entity",
        // pahole stops at the first name it cannot find
        "list_head,no_such_type_here,hlist_head",
        "rq,irq_desc,xregs_state,thread_struct,net_device",
    ] {
        let (theirs, stderr) = pahole(&kernel::vmlinux_path(), None, Some(names));
        let list: Vec<&str> = names.split(',').collect();
        let selected = Layouts::new(&btf).unwrap().pahole_selected(&list);
        assert_same(names, &selected.text, &theirs);
        match &selected.missing {
            Some(name) => assert!(
                stderr.contains(&format!("type '{name}' not found")),
                "{stderr}"
            ),
            None => assert!(stderr.is_empty(), "{stderr}"),
        }
    }
    // A module's own type and a base type through it.
    let nfs = kernel::modules_dir().join("fs/nfs/nfs.ko");
    let data = std::fs::read(&nfs).unwrap();
    let input = Input::open(&data).unwrap();
    let split = input.parse_btf(Some(&btf)).unwrap();
    let names = "nfs_server,nfs_inode,inode";
    let (theirs, _) = pahole(&nfs, Some(&kernel::vmlinux_path()), Some(names));
    let list: Vec<&str> = names.split(',').collect();
    let selected = Layouts::new(&split).unwrap().pahole_selected(&list);
    assert_same(names, &selected.text, &theirs);
}

/// The structured form agrees with itself on vmlinux: every struct's
/// members, holes and padding add up to its size.
#[test]
fn vmlinux_layouts_account_for_every_byte() {
    let test = "vmlinux_layouts_account_for_every_byte";
    if !kernel::available(test) {
        return;
    }
    let section = kernel::vmlinux_btf();
    let btf = Btf::parse(&section).unwrap();
    let mut layouts = Layouts::new(&btf).unwrap();
    let all = layouts.all();
    assert_eq!(all.len(), layouts.printed_ids().len());
    let mut checked = 0;
    for l in all.iter().filter(|l| l.kind == "struct") {
        let bits = l.sum_members as u64 * 8
            + l.sum_bitfield_bits as u64
            + l.sum_holes as u64 * 8
            + l.sum_bit_holes as u64
            + l.padding as u64 * 8
            + l.bit_padding as u64;
        // pahole's own check ("BRAIN FART ALERT") never fires on vmlinux.
        if l.members.iter().all(|m| m.size > 0)
            && !l
                .members
                .iter()
                .any(|m| m.inline.is_some() && m.bitfield.is_some())
        {
            assert_eq!(bits, l.size as u64 * 8, "{:?}", l.name);
            checked += 1;
        }
    }
    assert!(checked > 5000, "{checked}");
    let task = all
        .iter()
        .find(|l| l.name.as_deref() == Some("task_struct"))
        .unwrap();
    assert!(task.size > 4096 && task.cachelines == task.size.div_ceil(64));
    assert!(
        task.members.iter().any(|m| m.alignment == 64),
        "task_struct has ____cacheline_aligned members"
    );
}

// ---- hand-built BTF ----

/// Our text for one type of a hand-built BTF, and pahole's when it is
/// there (the raw BTF written to a file).
fn check_small(btf: &Btf, name: &str, expected: &str) {
    let mut layouts = Layouts::new(btf).unwrap();
    let selected = layouts.pahole_selected(&[name]);
    assert_eq!(String::from_utf8_lossy(&selected.text), expected);
    if pahole_path().is_file() {
        let tmp = TempDir::new(name);
        let file = tmp.0.join("small.btf");
        std::fs::write(&file, btf.to_bytes()).unwrap();
        let (theirs, _) = pahole(&file, None, Some(name));
        assert_same(name, &selected.text, &theirs);
        let (all, _) = pahole(&file, None, None);
        assert_same(name, &Layouts::new(btf).unwrap().pahole_all(), &all);
    }
}

fn parse(b: BtfBuilder) -> Vec<u8> {
    b.finish().to_bytes()
}

#[test]
fn holes_padding_and_cacheline_crossing() {
    let mut b = BtfBuilder::new();
    let char_t = b.add_int("char", 1, 1);
    let int_t = b.add_int("int", 4, 1);
    let long_t = b.add_int("long", 8, 1);
    let arr = b.add_array(int_t, char_t, 60);
    let s = b.add_struct("holey", 88);
    b.add_field("c", char_t, 0, 0).unwrap();
    b.add_field("l", long_t, 64, 0).unwrap();
    b.add_field("buf", arr, 128, 0).unwrap();
    b.add_field("i", int_t, 8 * 76, 0).unwrap();
    b.add_field("l2", long_t, 8 * 80, 0).unwrap();
    let bytes = parse(b);
    let btf = Btf::parse(&bytes).unwrap();
    let mut layouts = Layouts::new(&btf).unwrap();
    let l = layouts.layout(s).unwrap();
    assert_eq!(l.holes.len(), 1, "{:?}", l.holes);
    assert_eq!(
        (l.holes[0].at, l.holes[0].size, l.holes[0].before),
        (1, 7, 1)
    );
    assert_eq!((l.members[3].offset, l.members[3].cacheline), (76, 1));
    assert_eq!((l.padding, l.cachelines, l.last_cacheline), (0, 2, 24));
    check_small(
        &btf,
        "holey",
        "struct holey {
\tchar                       c;                    /*     0     1 */

\t/* XXX 7 bytes hole, try to pack */

\tlong                       l;                    /*     8     8 */
\tchar                       buf[60];              /*    16    60 */
\t/* --- cacheline 1 boundary (64 bytes) was 12 bytes ago --- */
\tint                        i;                    /*    76     4 */
\tlong                       l2;                   /*    80     8 */

\t/* size: 88, cachelines: 2, members: 5 */
\t/* sum members: 81, holes: 1, sum holes: 7 */
\t/* last cacheline: 24 bytes */
};

",
    );
}

#[test]
fn bitfields_bit_holes_and_padding() {
    let mut b = BtfBuilder::new();
    let uint = b.add_int("unsigned int", 4, 0);
    let char_t = b.add_int("char", 1, 1);
    let s = b.add_struct("bits", 8);
    b.add_field("a", uint, 0, 3).unwrap();
    b.add_field("b", uint, 8, 4).unwrap();
    b.add_field("c", char_t, 32, 0).unwrap();
    let bytes = parse(b);
    let btf = Btf::parse(&bytes).unwrap();
    let mut layouts = Layouts::new(&btf).unwrap();
    let l = layouts.layout(s).unwrap();
    // Between a and b, and from b to the end of its unsigned int.
    let bit_holes: Vec<(u64, u32)> = l.bit_holes.iter().map(|h| (h.at, h.size)).collect();
    assert_eq!(bit_holes, [(3, 5), (12, 20)]);
    assert_eq!(
        l.members[1].bitfield.map(|b| (b.offset, b.size)),
        Some((8, 4))
    );
    assert_eq!((l.padding, l.sum_bitfield_bits), (3, 7));
    let text = String::from_utf8(layouts.pahole_text(s)).unwrap();
    assert!(
        text.contains("/* XXX 5 bits hole, try to pack */"),
        "{text}"
    );
    assert!(
        text.contains("unsigned int               b:4;                  /*     0: 8  4 */"),
        "{text}"
    );
    assert!(text.contains("/* padding: 3 */"), "{text}");
    check_small(
        &btf,
        "bits",
        &String::from_utf8(Layouts::new(&btf).unwrap().pahole_selected(&["bits"]).text).unwrap(),
    );
}

#[test]
fn packed_aligned_nested_and_unions() {
    let mut b = BtfBuilder::new();
    let char_t = b.add_int("char", 1, 1);
    let int_t = b.add_int("int", 4, 1);
    let long_t = b.add_int("long", 8, 1);
    let ptr = b.add_ptr(0);
    // struct pk { char c; int i; } __packed: int at 1.
    let pk = b.add_struct("pk", 5);
    b.add_field("c", char_t, 0, 0).unwrap();
    b.add_field("i", int_t, 8, 0).unwrap();
    // An anonymous union of an anonymous struct and a long.
    let inner = b.add_struct("", 16);
    b.add_field("p", ptr, 0, 0).unwrap();
    b.add_field("n", int_t, 64, 0).unwrap();
    let un = b.add_union("", 16);
    b.add_field("", inner, 0, 0).unwrap();
    b.add_field("l", long_t, 0, 0).unwrap();
    // A member pushed to the next cache line: ____cacheline_aligned.
    let outer = b.add_struct("outer", 128);
    b.add_field("first", pk, 0, 0).unwrap();
    b.add_field("", un, 64, 0).unwrap();
    b.add_field("hot", long_t, 64 * 8, 0).unwrap();
    let _ = un;
    let bytes = parse(b);
    let btf = Btf::parse(&bytes).unwrap();
    let mut layouts = Layouts::new(&btf).unwrap();
    let l = layouts.layout(outer).unwrap();
    assert_eq!(l.members[2].alignment, 64, "{:?}", l.members[2]);
    assert_eq!(l.members[1].inline.as_ref().map(|u| u.kind), Some("union"));
    let text = String::from_utf8(layouts.pahole_text(outer)).unwrap();
    assert!(text.contains("__attribute__((__aligned__(64)))"), "{text}");
    assert!(
        text.contains("/* forced alignments: 1, forced holes: 1, sum forced holes: 40 */"),
        "{text}"
    );
    assert!(Layouts::new(&btf).unwrap().layout(pk).unwrap().packed);
    let pk_text = String::from_utf8(Layouts::new(&btf).unwrap().pahole_text(pk)).unwrap();
    assert!(
        pk_text.ends_with("} __attribute__((__packed__));\n"),
        "{pk_text}"
    );
    for name in ["outer", "pk"] {
        let text = Layouts::new(&btf).unwrap().pahole_selected(&[name]).text;
        check_small(&btf, name, &String::from_utf8(text).unwrap());
    }
}

#[test]
fn names_of_pointers_arrays_functions_and_qualifiers() {
    let mut b = BtfBuilder::new();
    let char_t = b.add_int("char", 1, 1);
    let int_t = b.add_int("int", 4, 1);
    // libbpf takes the pointer size from the first `long`.
    b.add_int("long", 8, 1);
    let cchar = b.add_const(char_t);
    let pcchar = b.add_ptr(cchar);
    let ppchar = b.add_ptr(pcchar);
    let vint = b.add_volatile(int_t);
    let proto = b.add_func_proto(int_t);
    b.add_func_param("", pcchar).unwrap();
    b.add_func_param("", int_t).unwrap();
    let fptr = b.add_ptr(proto);
    let fwd = b.add_fwd("opaque", FwdKind::Struct);
    let pfwd = b.add_ptr(fwd);
    let cp = b.add_const(pfwd);
    let flex = b.add_array(int_t, int_t, 0);
    let s = b.add_struct("names", 48);
    b.add_field("s", pcchar, 0, 0).unwrap();
    b.add_field("pp", ppchar, 64, 0).unwrap();
    b.add_field("v", vint, 128, 0).unwrap();
    b.add_field("fn", fptr, 192, 0).unwrap();
    b.add_field("cp", cp, 256, 0).unwrap();
    b.add_field("tail", flex, 320, 0).unwrap();
    let bytes = parse(b);
    let btf = Btf::parse(&bytes).unwrap();
    let text =
        String::from_utf8(Layouts::new(&btf).unwrap().pahole_selected(&["names"]).text).unwrap();
    for line in [
        "\tconst char  *              s; ",
        "\tconst char  * *            pp; ",
        "\tvolatile int               v; ",
        "\tint                        (*fn)(const char  *, int); ",
        "\tconst struct opaque *      cp; ",
        "\tint                        tail[]; ",
    ] {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }
    let l = Layouts::new(&btf).unwrap().layout(s).unwrap();
    assert_eq!(l.members[3].type_name, "int (*)(const char  *, int)");
    check_small(&btf, "names", &text);
}

#[test]
fn cycles_and_explosions_are_errors_not_hangs() {
    // A typedef of itself (id 2 refers to 2).
    let mut b = BtfBuilder::new();
    let int_t = b.add_int("int", 4, 1);
    let t = b.add_typedef("loop", int_t + 1);
    let s = b.add_struct("user", 4);
    b.add_field("x", t, 0, 0).unwrap();
    let bytes = parse(b);
    let btf = Btf::parse(&bytes).unwrap();
    let e = Layouts::new(&btf)
        .err()
        .expect("a typedef cycle is refused");
    assert_eq!(e.kind, ErrorKind::BadType);
    assert!(
        e.offset.is_some() && e.message.contains("refers back"),
        "{e}"
    );
    let _ = s;

    // A struct holding itself by value.
    let mut b = BtfBuilder::new();
    let int_t = b.add_int("int", 4, 1);
    let s = b.add_struct("self", 8);
    b.add_field("x", int_t, 0, 0).unwrap();
    b.add_field("me", s, 32, 0).unwrap();
    let bytes = parse(b);
    let btf = Btf::parse(&bytes).unwrap();
    assert_eq!(
        Layouts::new(&btf).err().map(|e| e.kind),
        Some(ErrorKind::BadType)
    );

    // A function prototype taking a pointer to itself.
    let mut b = BtfBuilder::new();
    let proto = b.add_func_proto(0);
    b.add_func_param("", proto + 1).unwrap();
    let p = b.add_ptr(proto);
    assert_eq!(p, proto + 1);
    let bytes = parse(b);
    let btf = Btf::parse(&bytes).unwrap();
    assert_eq!(
        Layouts::new(&btf).err().map(|e| e.kind),
        Some(ErrorKind::BadType)
    );

    // Anonymous structs that each hold two of the next: 2^40 lines if
    // printed inline, refused instead.
    let mut b = BtfBuilder::new();
    let int_t = b.add_int("int", 4, 1);
    let mut inner = int_t;
    for _ in 0..40 {
        let s = b.add_struct("", 8);
        b.add_field("a", inner, 0, 0).unwrap();
        b.add_field("b", inner, 0, 0).unwrap();
        inner = s;
    }
    let top = b.add_struct("top", 8);
    b.add_field("x", inner, 0, 0).unwrap();
    let _ = top;
    let bytes = parse(b);
    let btf = Btf::parse(&bytes).unwrap();
    assert_eq!(
        Layouts::new(&btf).err().map(|e| e.kind),
        Some(ErrorKind::Limit)
    );
}
