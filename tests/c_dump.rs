//! C output (`dump --format c`): byte-identical to bpftool 7.5 on real
//! kernels (amd64 6.1 vmlinux and modules, trixie's 6.12, big-endian s390x),
//! identical to libbpf's btf_dump on handcrafted BTF for each rule, and the
//! headers compile with clang for the BPF target.
//!
//! Modules: a deterministic sample (every 50th module and the largest);
//! `BTFSCOPE_C_MODULES=all` checks all of them.

#[path = "common/kernel.rs"]
mod kernel;

use std::os::raw::{c_char, c_void};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use btfscope::btf::c::{self, CHeader, SpanKind};
use btfscope::btf::{Btf, BtfBuilder, FwdKind, Kind, TypeId};
use btfscope::intake::Input;
use btfscope::ErrorKind;

use libbpf_sys as sys;

// ---------------------------------------------------------------- oracles

fn bpftool75() -> Option<PathBuf> {
    let p = kernel::cache_dir().join("bpftool-7.5/bpftool");
    if p.is_file() {
        Some(p)
    } else {
        kernel::skip("c_dump", "bpftool 7.5 (scripts/fetch-bpftool.sh)");
        None
    }
}

/// `bpftool btf dump file FILE [base BASE] format c`.
fn bpftool_c(tool: &Path, file: &Path, base: Option<&Path>) -> Vec<u8> {
    let mut cmd = Command::new(tool);
    if let Some(b) = base {
        cmd.arg("-B").arg(b);
    }
    cmd.args(["btf", "dump", "file"])
        .arg(file)
        .args(["format", "c"]);
    let out = cmd.output().expect("bpftool runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

extern "C" {
    fn vsnprintf(
        buf: *mut c_char,
        size: usize,
        fmt: *const c_char,
        ap: *mut sys::__va_list_tag,
    ) -> i32;
}

unsafe extern "C" fn collect(ctx: *mut c_void, fmt: *const c_char, ap: *mut sys::__va_list_tag) {
    let mut buf = vec![0 as c_char; 1 << 16];
    // SAFETY: libbpf's format and arguments; vsnprintf bounds the write.
    let n = unsafe { vsnprintf(buf.as_mut_ptr(), buf.len(), fmt, ap) };
    assert!(
        n >= 0 && (n as usize) < buf.len(),
        "a libbpf print is too long"
    );
    // SAFETY: ctx is the Vec<u8> given to btf_dump__new below.
    let out = unsafe { &mut *(ctx as *mut Vec<u8>) };
    out.extend(buf[..n as usize].iter().map(|&c| c as u8));
}

/// libbpf 1.7's `btf_dump__dump_type` of each of `ids` on one dumper.
fn libbpf_dump(raw: &[u8], ids: &[TypeId]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    // SAFETY: the BTF outlives the dumper; both are freed once.
    unsafe {
        let btf = sys::btf__new(raw.as_ptr() as *const c_void, raw.len() as u32);
        assert!(!btf.is_null(), "libbpf rejects the BTF");
        let d = sys::btf_dump__new(
            btf,
            Some(collect),
            &mut out as *mut Vec<u8> as *mut c_void,
            std::ptr::null(),
        );
        assert!(!d.is_null());
        for &id in ids {
            assert_eq!(sys::btf_dump__dump_type(d, id), 0, "libbpf fails on [{id}]");
        }
        sys::btf_dump__free(d);
        sys::btf__free(btf);
    }
    out
}

fn first_diff(ours: &[u8], theirs: &[u8]) -> String {
    let at = ours
        .iter()
        .zip(theirs)
        .position(|(a, b)| a != b)
        .unwrap_or(ours.len().min(theirs.len()));
    let line = ours[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    let show = |s: &[u8]| {
        let from = s[..at.min(s.len())]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let to = (at + 200).min(s.len());
        String::from_utf8_lossy(&s[from..to]).into_owned()
    };
    format!(
        "first difference at byte {at} (line {line}; lengths {} and {}):\n--- ours:\n{}\n--- theirs:\n{}",
        ours.len(),
        theirs.len(),
        show(ours),
        show(theirs)
    )
}

fn assert_same(what: &str, ours: &[u8], theirs: &[u8]) {
    assert!(ours == theirs, "{what}: {}", first_diff(ours, theirs));
}

// ----------------------------------------------------------- real kernels

/// A scratch directory for this test binary.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("btfscope-c-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The raw `.BTF` inside any input (vmlinuz, ELF), written to `dir`, for bpftool.
fn raw_btf_file(input: &Path, dir: &Path) -> PathBuf {
    let bytes = std::fs::read(input).unwrap();
    let raw = Input::open(&bytes).unwrap().btf_bytes().unwrap().to_vec();
    let out = dir.join(format!(
        "{}.btf",
        input.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&out, raw).unwrap();
    out
}

fn ours_c(file: &[u8], base: Option<&Btf>) -> Vec<u8> {
    let input = Input::open(file).unwrap();
    input.with_btf(base, c::header).unwrap().into_bytes()
}

#[test]
fn amd64_vmlinux_matches_bpftool() {
    let (Some(tool), true) = (
        bpftool75(),
        kernel::available("amd64_vmlinux_matches_bpftool"),
    ) else {
        return;
    };
    let file = kernel::vmlinux_path();
    let ours = ours_c(&std::fs::read(&file).unwrap(), None);
    assert_same("vmlinux 6.1", &ours, &bpftool_c(&tool, &file, None));
}

#[test]
fn other_kernels_and_big_endian_s390x_match_bpftool() {
    let Some(tool) = bpftool75() else { return };
    let dir = scratch("kernels");
    let mut kernels = kernel::compat_kernels("other_kernels_match_bpftool");
    let s390x = kernel::s390x("s390x_matches_bpftool");
    kernels.extend(s390x.as_ref().map(|s| s.vmlinuz.clone()));
    for k in &kernels {
        let raw = raw_btf_file(k, &dir);
        let bytes = std::fs::read(&raw).unwrap();
        let ours = c::header(&Btf::parse(&bytes).unwrap())
            .unwrap()
            .into_bytes();
        assert_same(
            &k.display().to_string(),
            &ours,
            &bpftool_c(&tool, &raw, None),
        );
    }
    // A few big-endian modules on their big-endian base.
    if let Some(s) = s390x {
        let base_raw = raw_btf_file(&s.vmlinuz, &dir);
        let base_bytes = std::fs::read(&base_raw).unwrap();
        let base = Btf::parse(&base_bytes).unwrap();
        let mods = kernel::files_under(&s.modules_dir, ".ko");
        let sample: Vec<&PathBuf> = mods.iter().step_by(mods.len() / 4 + 1).collect();
        check_modules(&tool, &sample, &base, &base_raw);
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Our C of each module against bpftool's, on two threads.
fn check_modules(tool: &Path, mods: &[&PathBuf], base: &Btf, base_file: &Path) -> usize {
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(m) = mods.get(i) else { break };
                let bytes = std::fs::read(m).unwrap();
                let ours = ours_c(&bytes, Some(base));
                let theirs = bpftool_c(tool, m, Some(base_file));
                if ours != theirs {
                    failures.lock().unwrap().push(format!(
                        "{}: {}",
                        m.display(),
                        first_diff(&ours, &theirs)
                    ));
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    kernel::assert_no_failures(&failures);
    mods.len()
}

#[test]
fn modules_match_bpftool() {
    let (Some(tool), true) = (bpftool75(), kernel::available("modules_match_bpftool")) else {
        return;
    };
    let base_file = kernel::vmlinux_path();
    let base_bytes = kernel::vmlinux_btf();
    let base = Btf::parse(&base_bytes).unwrap();
    let all = kernel::module_paths();
    let largest = all
        .iter()
        .max_by_key(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .unwrap();
    let every = std::env::var("BTFSCOPE_C_MODULES").is_ok_and(|v| v == "all");
    let mut sample: Vec<&PathBuf> = if every {
        all.iter().collect()
    } else {
        all.iter().step_by(50).collect()
    };
    if !sample.contains(&largest) {
        sample.push(largest);
    }
    let n = check_modules(&tool, &sample, &base, &base_file);
    eprintln!("{n} modules identical to bpftool 7.5");
}

// --------------------------------------------------------------- clang

fn clang_bpf(dir: &Path, source: &str) {
    let src = dir.join("prog.c");
    std::fs::write(&src, source).unwrap();
    let out = Command::new("clang")
        .args(["-target", "bpf", "-O2", "-g", "-c"])
        .arg(&src)
        .arg("-o")
        .arg(dir.join("prog.o"))
        .output();
    match out {
        Ok(out) => assert!(
            out.status.success(),
            "clang fails:\n{}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .take(30)
                .collect::<Vec<_>>()
                .join("\n")
        ),
        Err(e) => {
            assert!(
                std::env::var_os("BTFSCOPE_REQUIRE_KERNEL").is_none(),
                "clang is required: {e}"
            );
            eprintln!("SKIP: no clang ({e})");
        }
    }
}

/// `_Static_assert`s on the size of every struct and union the header
/// defines under a unique name, and on the offset of each of its named
/// non-bitfield members: the layout the header gives is the BTF's.
/// Types that hold a `va_list` by value: its size is the compiler's and
/// differs between the kernel's target and BPF's, so their layouts cannot
/// be checked on BPF.
fn holds_va_list(btf: &Btf) -> Vec<bool> {
    let n = btf.type_count() as usize;
    let mut bad: Vec<bool> = (0..n as TypeId)
        .map(|id| {
            btf.type_by_id(id)
                .is_some_and(|t| btf.str_at(t.name_off()) == Some(b"__builtin_va_list"))
        })
        .collect();
    loop {
        let mut changed = false;
        for id in 1..n {
            if bad[id] {
                continue;
            }
            let t = btf.type_by_id(id as u32).unwrap();
            let by_value: Vec<TypeId> = match t.kind() {
                Some(Kind::Struct | Kind::Union) => t.members().map(|m| m.type_id).collect(),
                Some(Kind::Array) => vec![t.array().elem_type],
                Some(Kind::Typedef | Kind::Const | Kind::Volatile | Kind::TypeTag) => {
                    vec![t.size_or_type()]
                }
                _ => Vec::new(),
            };
            if by_value.iter().any(|&r| bad[r as usize]) {
                bad[id] = true;
                changed = true;
            }
        }
        if !changed {
            return bad;
        }
    }
}

fn layout_asserts(btf: &Btf, h: &CHeader) -> String {
    let mut s = String::new();
    let va_list = holds_va_list(btf);
    for span in h.spans().iter().filter(|s| s.kind == SpanKind::Definition) {
        let t = btf.type_by_id(span.id).unwrap();
        if !matches!(t.kind(), Some(Kind::Struct | Kind::Union))
            || t.name_off() == 0
            || va_list[span.id as usize]
        {
            continue;
        }
        let text = String::from_utf8_lossy(&h.text()[span.start..span.end]);
        let head = text.split(" {").next().unwrap().to_string();
        s += &format!(
            "_Static_assert(sizeof({head}) == {}, \"{head}\");\n",
            t.size_or_type()
        );
        for m in t
            .members()
            .filter(|m| m.name_off != 0 && m.bitfield_size(t.kflag()) == 0)
        {
            let name = btf.name(m.name_off);
            s += &format!(
                "_Static_assert(__builtin_offsetof({head}, {name}) == {}, \"{head}.{name}\");\n",
                m.bit_offset(t.kflag()) / 8
            );
        }
    }
    s
}

#[test]
fn vmlinux_h_compiles_for_bpf_with_every_layout() {
    if !kernel::available("vmlinux_h_compiles_for_bpf") {
        return;
    }
    let bytes = kernel::vmlinux_btf();
    let btf = Btf::parse(&bytes).unwrap();
    let h = c::header(&btf).unwrap();
    let dir = scratch("clang");
    std::fs::write(dir.join("vmlinux.h"), h.text()).unwrap();
    // A program reading a few kernel structs, bitfields included, with
    // CO-RE relocations (the header's preserve_access_index pragma).
    clang_bpf(
        &dir,
        r#"#include "vmlinux.h"
__attribute__((section("tp/sched"), used))
int prog(struct task_struct *t, struct sk_buff *skb, struct tcp_sock *tp)
{
	return t->pid + skb->len + skb->pkt_type + skb->cloned + tp->repair + t->se.load.weight;
}
"#,
    );
    // Every layout, without the pragma so offsetof stays a constant.
    let asserts = layout_asserts(&btf, &h);
    assert!(asserts.matches("_Static_assert").count() > 50_000);
    clang_bpf(
        &dir,
        &format!("#define BPF_NO_PRESERVE_ACCESS_INDEX\n#include \"vmlinux.h\"\n{asserts}"),
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn root_output_compiles_and_equals_libbpf() {
    if !kernel::available("root_output_compiles") {
        return;
    }
    let bytes = kernel::vmlinux_btf();
    let btf = Btf::parse(&bytes).unwrap();
    let dir = scratch("root");
    for (root, use_it) in [
        (
            "task_struct",
            "int f(struct task_struct *t) { return t->pid; }",
        ),
        (
            "sk_buff",
            "int f(struct sk_buff *s) { return s->len + s->pkt_type; }",
        ),
        ("typedef irq_handler_t", "irq_handler_t h;"),
        (
            "struct tcp_sock",
            "int f(struct tcp_sock *t) { return t->repair; }",
        ),
    ] {
        let id = c::find_type(&btf, root).unwrap();
        let h = c::root_header(&btf, id).unwrap();
        let text = h.text();
        // The body is libbpf's btf_dump of that one id.
        let body = c::dump_types(&btf, &[id]).unwrap().into_bytes();
        assert_same(root, &body, &libbpf_dump(&bytes, &[id]));
        assert!(text.windows(body.len()).any(|w| w == body));
        std::fs::write(dir.join("vmlinux.h"), text).unwrap();
        clang_bpf(
            &dir,
            &format!(
                "#include \"vmlinux.h\"\n{use_it}\n{}",
                layout_asserts(&btf, &h).replace("_Static_assert(__builtin_offsetof", "//")
            ),
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn definition_is_the_text_in_the_whole_file() {
    if !kernel::available("definition_is_the_text") {
        return;
    }
    let bytes = kernel::vmlinux_btf();
    let btf = Btf::parse(&bytes).unwrap();
    let h = c::header(&btf).unwrap();
    let def = |spec: &str| {
        String::from_utf8(
            h.definition(c::find_type(&btf, spec).unwrap())
                .unwrap()
                .to_vec(),
        )
        .unwrap()
    };
    let list_head = def("struct list_head");
    assert_eq!(
        list_head,
        "struct list_head {\n\tstruct list_head *next;\n\tstruct list_head *prev;\n};\n"
    );
    assert!(def("task_struct").starts_with("struct task_struct {\n"));
    assert!(def("typedef u32").starts_with("typedef __u32 u32;"));
    // Pointers and ints have no text of their own.
    let int = c::find_type(&btf, "int").unwrap();
    assert_eq!(h.definition(int), None);
}

// ------------------------------------------------- handcrafted BTF, libbpf

/// Ours equals libbpf's for every id of `b`'s BTF dumped in id order, and
/// ours equals `expected` when given.
fn check(b: BtfBuilder, expected: Option<&str>) -> String {
    let raw = b.finish().to_bytes();
    let btf = Btf::parse(&raw).unwrap();
    let ids: Vec<TypeId> = (1..btf.type_count()).collect();
    let ours = c::dump_types(&btf, &ids).unwrap().into_bytes();
    assert_same("handcrafted", &ours, &libbpf_dump(&raw, &ids));
    let text = String::from_utf8(ours).unwrap();
    if let Some(e) = expected {
        assert_eq!(text, e);
    }
    text
}

fn base_ints(b: &mut BtfBuilder) -> (TypeId, TypeId, TypeId) {
    let int = b.add_int("int", 4, 1);
    let ch = b.add_int("char", 1, 1);
    let long = b.add_int("long", 8, 1);
    (int, ch, long)
}

#[test]
fn bitfields_and_padding() {
    let mut b = BtfBuilder::new();
    let (int, ch, long) = base_ints(&mut b);
    b.add_struct("bits", 24);
    b.add_field("a", int, 0, 3).unwrap();
    b.add_field("b", int, 3, 5).unwrap();
    b.add_field("c", int, 20, 4).unwrap();
    b.add_field("d", ch, 40, 0).unwrap();
    b.add_field("e", long, 128, 0).unwrap();
    check(
        b,
        Some(
            "struct bits {\n\tint a: 3;\n\tint b: 5;\n\tshort: 8;\n\tchar: 4;\n\tint c: 4;\n\tint: 0;\n\tchar: 8;\n\tchar d;\n\tlong: 64;\n\tlong e;\n};\n\n",
        ),
    );
}

#[test]
fn packed_and_aligned_structs() {
    let mut b = BtfBuilder::new();
    let (int, ch, long) = base_ints(&mut b);
    b.add_struct("packed", 5);
    b.add_field("c", ch, 0, 0).unwrap();
    b.add_field("i", int, 8, 0).unwrap();
    // Naturally aligned, with tail padding: not packed.
    b.add_struct("tail", 16);
    b.add_field("l", long, 0, 0).unwrap();
    b.add_field("c", ch, 64, 0).unwrap();
    // Size not a multiple of the alignment: packed.
    b.add_struct("odd", 12);
    b.add_field("l", long, 0, 0).unwrap();
    b.add_field("i", int, 64, 0).unwrap();
    // Over-aligned member: explicit padding keeps the offset.
    b.add_struct("gap", 32);
    b.add_field("c", ch, 0, 0).unwrap();
    b.add_field("l", long, 128, 0).unwrap();
    b.add_struct("empty", 0);
    b.add_struct("only_pad", 8);
    let text = check(b, None);
    assert!(text.contains("struct packed {\n\tchar c;\n\tint i;\n} __attribute__((packed));"));
    assert!(text.contains("struct tail {\n\tlong l;\n\tchar c;\n};"));
    assert!(text.contains("} __attribute__((packed));\n\nstruct gap"));
    assert!(text.contains("struct empty {};"));
    assert!(text.contains("struct only_pad {\n\tlong: 64;\n};"));
}

#[test]
fn duplicate_names_get_suffixes() {
    let mut b = BtfBuilder::new();
    let (int, ch, _) = base_ints(&mut b);
    b.add_struct("foo", 4);
    b.add_field("a", int, 0, 0).unwrap();
    b.add_struct("foo", 1);
    b.add_field("b", ch, 0, 0).unwrap();
    b.add_enum("e", 4);
    b.add_enum_value("V", 1).unwrap();
    b.add_enum("e", 4);
    b.add_enum_value("V", 2).unwrap();
    b.add_typedef("V", int);
    let text = check(b, None);
    assert!(text.contains("struct foo___2 {\n\tchar b;\n};"));
    assert!(text.contains("enum e___2 {\n\tV___2 = 2,\n};"));
    assert!(text.contains("typedef int V___3;"));
}

#[test]
fn anonymous_types_are_inlined_and_top_level_enums_kept() {
    let mut b = BtfBuilder::new();
    let (int, ch, _) = base_ints(&mut b);
    let inner = b.add_struct("", 4);
    b.add_field("x", int, 0, 0).unwrap();
    let un = b.add_union("", 4);
    b.add_field("i", int, 0, 0).unwrap();
    b.add_field("c", ch, 0, 0).unwrap();
    let en = b.add_enum("", 4);
    b.add_enum_value("A", 0).unwrap();
    b.add_enum_value("B", -1).unwrap();
    b.add_struct("outer", 12);
    b.add_field("s", inner, 0, 0).unwrap();
    b.add_field("", un, 32, 0).unwrap();
    b.add_field("e", en, 64, 0).unwrap();
    // An enum nothing refers to: a top-level constant list.
    b.add_enum("", 4);
    b.add_enum_value("CONST_ONE", 1).unwrap();
    let anon_s = b.add_struct("", 4);
    b.add_field("y", int, 0, 0).unwrap();
    b.add_typedef("anon_t", anon_s);
    check(
        b,
        Some(
            "struct outer {\n\tstruct {\n\t\tint x;\n\t} s;\n\tunion {\n\t\tint i;\n\t\tchar c;\n\t};\n\tenum {\n\t\tA = 0,\n\t\tB = -1,\n\t} e;\n};\n\nenum {\n\tCONST_ONE = 1,\n};\n\ntypedef struct {\n\tint y;\n} anon_t;\n\n",
        ),
    );
}

#[test]
fn declarations_of_pointers_arrays_and_prototypes() {
    let mut b = BtfBuilder::new();
    let (int, ch, _) = base_ints(&mut b);
    let idx = int;
    let cint = b.add_const(int);
    let pcint = b.add_ptr(cint);
    let cp = b.add_const(pcint);
    let vcp = b.add_volatile(cp);
    let arr = b.add_array(idx, ch, 4);
    let arr2 = b.add_array(idx, arr, 3);
    let parr = b.add_ptr(arr);
    let proto = b.add_func_proto(int);
    b.add_func_param("a", int).unwrap();
    b.add_func_param("", 0).unwrap();
    let fp = b.add_ptr(proto);
    let fparr = b.add_array(idx, fp, 2);
    let vproto = b.add_func_proto(0);
    let vfp = b.add_ptr(vproto);
    // A function returning a pointer to a function.
    let ret_fp = b.add_func_proto(vfp);
    b.add_func_param("x", ch).unwrap();
    let pret = b.add_ptr(ret_fp);
    let restrict = b.add_restrict(pcint);
    b.add_struct("decls", 96);
    b.add_field("a", vcp, 0, 0).unwrap();
    b.add_field("b", arr2, 64, 0).unwrap();
    b.add_field("c", parr, 192, 0).unwrap();
    b.add_field("d", fparr, 256, 0).unwrap();
    b.add_field("e", pret, 384, 0).unwrap();
    b.add_field("f", restrict, 448, 0).unwrap();
    b.add_typedef("fn_t", proto);
    let text = check(b, None);
    for line in [
        "\tconst int * const volatile a;",
        "\tchar b[3][4];",
        "\tchar (*c)[4];",
        "\tint (*d[2])(int a, ...);",
        "\tvoid (* (*e)(char x))(void);",
        "\tconst int * restrict f;",
        "typedef int fn_t(int a, ...);",
    ] {
        assert!(text.contains(line), "{line} missing in\n{text}");
    }
}

#[test]
fn enums_floats_tags_and_forward_declarations() {
    let mut b = BtfBuilder::new();
    let (int, _, _) = base_ints(&mut b);
    b.add_enum64("big", 8, false);
    b.add_enum64_value("HUGE", 1 << 40).unwrap();
    b.add_enum64("small64", 8, true);
    b.add_enum64_value("NEG", -5i64 as u64).unwrap();
    b.add_enum64("low64", 8, false);
    b.add_enum64_value("LOW", 5).unwrap();
    b.add_enum("byte", 1);
    b.add_enum_value("ONE", 1).unwrap();
    b.add_enum("word", 8);
    b.add_enum_value("W", 7).unwrap();
    let dbl = b.add_float("double", 8);
    let fwd = b.add_fwd("opaque", FwdKind::Struct);
    let ufwd = b.add_fwd("uopaque", FwdKind::Union);
    let pfwd = b.add_ptr(fwd);
    let pufwd = b.add_ptr(ufwd);
    let tag = b.add_type_tag("user", int);
    let ptag = b.add_ptr(tag);
    let s = b.add_struct("mixed", 32);
    b.add_field("d", dbl, 0, 0).unwrap();
    b.add_field("o", pfwd, 64, 0).unwrap();
    b.add_field("u", pufwd, 128, 0).unwrap();
    b.add_field("t", ptag, 192, 0).unwrap();
    b.add_decl_tag("a_tag", s, -1);
    b.add_decl_tag("m_tag", s, 0);
    let text = check(b, None);
    for part in [
        "enum big {\n\tHUGE = 1099511627776ULL,\n};",
        "enum small64 {\n\tNEG = -5LL,\n};",
        "enum low64 {\n\tLOW = 5ULL,\n} __attribute__((mode(word)));",
        "enum byte {\n\tONE = 1,\n} __attribute__((mode(byte)));",
        "enum word {\n\tW = 7,\n} __attribute__((mode(word)));",
        "struct opaque;",
        "union uopaque;",
        "\tint __attribute__((btf_type_tag(\"user\"))) *t;",
        "\tdouble d;",
    ] {
        assert!(text.contains(part), "{part} missing in\n{text}");
    }
}

#[test]
fn forward_declarations_break_pointer_cycles() {
    // struct a and struct b point at each other; ids are known in advance.
    let mut b = BtfBuilder::new();
    let (int, _, _) = base_ints(&mut b);
    let a = b.add_struct("a", 16); // [4]
    b.add_field("b", 7, 0, 0).unwrap(); // struct b *b (id 7 below)
    b.add_field("self", 6, 64, 0).unwrap(); // struct a *self
    let b_id = b.add_struct("b", 16); // [5]
    b.add_field("a", 6, 0, 0).unwrap(); // struct a *a
    b.add_field("n", int, 64, 0).unwrap();
    let pa = b.add_ptr(a); // [6]
    let pb = b.add_ptr(b_id); // [7]
    assert_eq!((pa, pb), (6, 7));
    check(
        b,
        Some("struct b;\n\nstruct a {\n\tstruct b *b;\n\tstruct a *self;\n};\n\nstruct b {\n\tstruct a *a;\n\tint n;\n};\n\n"),
    );
}

#[test]
fn va_list_typedefs_are_special() {
    let mut b = BtfBuilder::new();
    let (_, ch, _) = base_ints(&mut b);
    let p = b.add_ptr(ch);
    b.add_typedef("__builtin_va_list", p);
    b.add_typedef("__gnuc_va_list", 0);
    let text = check(b, None);
    assert!(!text.contains("typedef char *__builtin_va_list"));
    assert!(text.contains("typedef __builtin_va_list __gnuc_va_list;"));
}

// ----------------------------------------------------------- bad input

#[test]
fn typedef_cycle_is_an_error_with_an_offset() {
    let mut b = BtfBuilder::new();
    b.add_int("int", 4, 1);
    b.add_typedef("a", 3); // [2] -> [3]
    b.add_typedef("b", 2); // [3] -> [2]
    let raw = b.finish().to_bytes();
    let btf = Btf::parse(&raw).unwrap();
    let e = c::header(&btf).unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadType);
    assert!(e.message.contains("cycle"), "{e}");
    // The offset is that of a record in the type section.
    let off = e.offset.expect("an offset");
    assert!((24..raw.len() as u64).contains(&off), "{e}");
}

#[test]
fn struct_embedding_itself_is_an_error() {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, 1);
    let s = b.add_struct("s", 8);
    b.add_field("me", s, 0, 0).unwrap();
    b.add_field("i", int, 0, 0).unwrap();
    let btf = b.finish();
    let e = c::header(&btf).unwrap_err();
    assert!(e.message.contains("[2] STRUCT 's'"), "{e}");
    assert!(e.offset.is_some());
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    // On a thread with a small stack: any unbounded recursion would crash.
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let mut b = BtfBuilder::new();
            let mut t = b.add_int("int", 4, 1);
            for i in 0..100_000 {
                t = b.add_struct(format!("s{i}"), 4);
                b.add_field("m", t - 1, 0, 0).unwrap();
            }
            let mut p = t;
            for _ in 0..100_000 {
                p = b.add_ptr(p);
            }
            let btf = b.finish();
            let e = c::header(&btf).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Limit, "{e}");
            assert!(e.message.contains("nest more than"), "{e}");
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn huge_vlen_and_bad_name_offsets_are_rejected_with_offsets() {
    let mut b = BtfBuilder::new();
    b.add_int("int", 4, 1);
    let raw = b.finish().to_bytes();
    // Claim a vlen of 0xffffff on a STRUCT appended by hand.
    let word = |at: usize| u32::from_ne_bytes(raw[at..at + 4].try_into().unwrap()) as usize;
    let (hdr_len, type_off, type_len, str_off) = (word(4), word(8), word(12), word(16));
    let rec: Vec<u8> = [0u32, (4 << 24) | 0xff_ffff, 8]
        .iter()
        .flat_map(|w| w.to_ne_bytes())
        .collect();
    let mut big = raw.clone();
    let end = hdr_len + type_off + type_len;
    big.splice(end..end, rec);
    big[12..16].copy_from_slice(&((type_len + 12) as u32).to_ne_bytes());
    big[16..20].copy_from_slice(&((str_off + 12) as u32).to_ne_bytes());
    let e = Btf::parse(&big).unwrap_err();
    assert!(e.offset.is_some() && e.message.contains("vlen"), "{e}");

    // A name offset past the strings, in a builder-made (unchecked) BTF.
    let mut b = BtfBuilder::new();
    b.add_raw(&[9999, 1 << 24, 4, 32]).unwrap();
    let btf = b.finish();
    let e = c::header(&btf).unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadStringOffset, "{e}");
    assert!(e.offset.is_some());
}

#[test]
fn root_of_an_unknown_id_is_a_usage_error() {
    let mut b = BtfBuilder::new();
    b.add_int("int", 4, 1);
    let btf = b.finish();
    assert_eq!(c::root_header(&btf, 5).unwrap_err().kind, ErrorKind::Usage);
    assert_eq!(c::find_type(&btf, "nope"), None);
    assert_eq!(c::find_type(&btf, "int"), Some(1));
}
