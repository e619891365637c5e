//! The builder against libbpf's btf__add_* (byte-identical blobs), and the
//! dump of builder-made BTF against bpftool (identical text).

use std::ffi::CString;
use std::process::Command;

use btfscope::btf::dump::{dump, DumpFormat};
use btfscope::btf::{Btf, BtfBuilder, Endian, FwdKind};

/// The same type graph, written once against an abstract "adder" so that
/// our builder and libbpf build exactly the same thing.
trait Adder {
    fn int(&mut self, name: &str, size: u32, enc: u8) -> u32;
    fn float(&mut self, name: &str, size: u32) -> u32;
    fn ptr(&mut self, t: u32) -> u32;
    fn cv(&mut self, kind: &str, t: u32) -> u32;
    fn typedef(&mut self, name: &str, t: u32) -> u32;
    fn type_tag(&mut self, v: &str, t: u32) -> u32;
    fn array(&mut self, idx: u32, elem: u32, n: u32) -> u32;
    fn composite(&mut self, union: bool, name: &str, size: u32) -> u32;
    fn field(&mut self, name: &str, t: u32, off: u32, bits: u32);
    fn enum_(&mut self, name: &str, size: u32) -> u32;
    fn enum_value(&mut self, name: &str, v: i64);
    fn enum64(&mut self, name: &str, size: u32, signed: bool) -> u32;
    fn enum64_value(&mut self, name: &str, v: u64);
    fn fwd(&mut self, name: &str, kind: FwdKind) -> u32;
    fn proto(&mut self, ret: u32) -> u32;
    fn param(&mut self, name: &str, t: u32);
    fn func(&mut self, name: &str, linkage: u32, proto: u32) -> u32;
    fn var(&mut self, name: &str, linkage: u32, t: u32) -> u32;
    fn datasec(&mut self, name: &str, size: u32) -> u32;
    fn secinfo(&mut self, var: u32, off: u32, size: u32);
    fn decl_tag(&mut self, v: &str, t: u32, idx: i32) -> u32;
}

fn build_all_kinds(a: &mut impl Adder) {
    let int = a.int("int", 4, 1);
    let uchar = a.int("unsigned char", 1, 0);
    let chr = a.int("char", 1, 2);
    let boolean = a.int("_Bool", 1, 4);
    let long = a.int("long unsigned int", 8, 0);
    let dbl = a.float("double", 8);
    let p = a.ptr(int);
    let c = a.cv("const", chr);
    let v = a.cv("volatile", c);
    let r = a.cv("restrict", p);
    let td = a.typedef("u8", uchar);
    let tag = a.type_tag("user", int);
    let tagged = a.ptr(tag);
    let arr = a.array(int, uchar, 16);
    let s = a.composite(false, "pair", 24);
    a.field("a", int, 0, 0);
    a.field("flag", boolean, 32, 1);
    a.field("bits", long, 33, 7);
    a.field("", arr, 64, 0);
    a.field("d", dbl, 128, 0);
    let u = a.composite(true, "", 8);
    a.field("x", long, 0, 0);
    a.field("y", tagged, 0, 0);
    a.enum_("color", 4);
    a.enum_value("RED", 0);
    a.enum_value("GREEN", 0xffff_fffe);
    let e2 = a.enum_("sign", 4);
    a.enum_value("NEG", -5);
    a.enum_value("POS", 7);
    a.enum64("big", 8, false);
    a.enum64_value("HUGE", u64::MAX - 1);
    a.enum64("sbig", 8, true);
    a.enum64_value("MINUS", (-3i64) as u64);
    a.fwd("later", FwdKind::Struct);
    a.fwd("ulater", FwdKind::Union);
    a.fwd("elater", FwdKind::Enum);
    let proto = a.proto(int);
    a.param("s", s);
    a.param("u", u);
    a.param("", e2);
    let f = a.func("do_it", 1, proto);
    a.func("helper", 0, proto);
    let gv = a.var("counter", 1, v);
    let sv = a.var("local", 0, td);
    let ds = a.datasec(".data", 16);
    a.secinfo(gv, 0, 1);
    a.secinfo(sv, 8, 1);
    a.decl_tag("kfunc", f, -1);
    a.decl_tag("arg", f, 1);
    a.decl_tag("member", s, 0);
    a.ptr(ds);
    a.cv("const", r);
}

impl Adder for BtfBuilder<'_> {
    fn int(&mut self, name: &str, size: u32, enc: u8) -> u32 {
        self.add_int(name, size, enc)
    }
    fn float(&mut self, name: &str, size: u32) -> u32 {
        self.add_float(name, size)
    }
    fn ptr(&mut self, t: u32) -> u32 {
        self.add_ptr(t)
    }
    fn cv(&mut self, kind: &str, t: u32) -> u32 {
        match kind {
            "const" => self.add_const(t),
            "volatile" => self.add_volatile(t),
            _ => self.add_restrict(t),
        }
    }
    fn typedef(&mut self, name: &str, t: u32) -> u32 {
        self.add_typedef(name, t)
    }
    fn type_tag(&mut self, v: &str, t: u32) -> u32 {
        self.add_type_tag(v, t)
    }
    fn array(&mut self, idx: u32, elem: u32, n: u32) -> u32 {
        self.add_array(idx, elem, n)
    }
    fn composite(&mut self, union: bool, name: &str, size: u32) -> u32 {
        if union {
            self.add_union(name, size)
        } else {
            self.add_struct(name, size)
        }
    }
    fn field(&mut self, name: &str, t: u32, off: u32, bits: u32) {
        self.add_field(name, t, off, bits).unwrap()
    }
    fn enum_(&mut self, name: &str, size: u32) -> u32 {
        self.add_enum(name, size)
    }
    fn enum_value(&mut self, name: &str, v: i64) {
        self.add_enum_value(name, v).unwrap()
    }
    fn enum64(&mut self, name: &str, size: u32, signed: bool) -> u32 {
        self.add_enum64(name, size, signed)
    }
    fn enum64_value(&mut self, name: &str, v: u64) {
        self.add_enum64_value(name, v).unwrap()
    }
    fn fwd(&mut self, name: &str, kind: FwdKind) -> u32 {
        self.add_fwd(name, kind)
    }
    fn proto(&mut self, ret: u32) -> u32 {
        self.add_func_proto(ret)
    }
    fn param(&mut self, name: &str, t: u32) {
        self.add_func_param(name, t).unwrap()
    }
    fn func(&mut self, name: &str, linkage: u32, proto: u32) -> u32 {
        self.add_func(name, linkage, proto)
    }
    fn var(&mut self, name: &str, linkage: u32, t: u32) -> u32 {
        self.add_var(name, linkage, t)
    }
    fn datasec(&mut self, name: &str, size: u32) -> u32 {
        self.add_datasec(name, size)
    }
    fn secinfo(&mut self, var: u32, off: u32, size: u32) {
        self.add_datasec_var_info(var, off, size).unwrap()
    }
    fn decl_tag(&mut self, v: &str, t: u32, idx: i32) -> u32 {
        self.add_decl_tag(v, t, idx)
    }
}

/// libbpf's btf__add_* behind the same trait.
struct Libbpf(*mut libbpf_sys::btf);

fn ok(r: i32) -> u32 {
    assert!(r >= 0, "libbpf returned {r}");
    r as u32
}

fn cs(s: &str) -> CString {
    CString::new(s).unwrap()
}

impl Adder for Libbpf {
    fn int(&mut self, name: &str, size: u32, enc: u8) -> u32 {
        ok(unsafe { libbpf_sys::btf__add_int(self.0, cs(name).as_ptr(), size as _, enc as _) })
    }
    fn float(&mut self, name: &str, size: u32) -> u32 {
        ok(unsafe { libbpf_sys::btf__add_float(self.0, cs(name).as_ptr(), size as _) })
    }
    fn ptr(&mut self, t: u32) -> u32 {
        ok(unsafe { libbpf_sys::btf__add_ptr(self.0, t as _) })
    }
    fn cv(&mut self, kind: &str, t: u32) -> u32 {
        ok(unsafe {
            match kind {
                "const" => libbpf_sys::btf__add_const(self.0, t as _),
                "volatile" => libbpf_sys::btf__add_volatile(self.0, t as _),
                _ => libbpf_sys::btf__add_restrict(self.0, t as _),
            }
        })
    }
    fn typedef(&mut self, name: &str, t: u32) -> u32 {
        ok(unsafe { libbpf_sys::btf__add_typedef(self.0, cs(name).as_ptr(), t as _) })
    }
    fn type_tag(&mut self, v: &str, t: u32) -> u32 {
        ok(unsafe { libbpf_sys::btf__add_type_tag(self.0, cs(v).as_ptr(), t as _) })
    }
    fn array(&mut self, idx: u32, elem: u32, n: u32) -> u32 {
        ok(unsafe { libbpf_sys::btf__add_array(self.0, idx as _, elem as _, n as _) })
    }
    fn composite(&mut self, union: bool, name: &str, size: u32) -> u32 {
        let n = cs(name);
        let name_ptr = if name.is_empty() {
            std::ptr::null()
        } else {
            n.as_ptr()
        };
        ok(unsafe {
            if union {
                libbpf_sys::btf__add_union(self.0, name_ptr, size as _)
            } else {
                libbpf_sys::btf__add_struct(self.0, name_ptr, size as _)
            }
        })
    }
    fn field(&mut self, name: &str, t: u32, off: u32, bits: u32) {
        let n = cs(name);
        let name_ptr = if name.is_empty() {
            std::ptr::null()
        } else {
            n.as_ptr()
        };
        ok(unsafe { libbpf_sys::btf__add_field(self.0, name_ptr, t as _, off as _, bits as _) });
    }
    fn enum_(&mut self, name: &str, size: u32) -> u32 {
        ok(unsafe { libbpf_sys::btf__add_enum(self.0, cs(name).as_ptr(), size as _) })
    }
    fn enum_value(&mut self, name: &str, v: i64) {
        ok(unsafe { libbpf_sys::btf__add_enum_value(self.0, cs(name).as_ptr(), v as _) });
    }
    fn enum64(&mut self, name: &str, size: u32, signed: bool) -> u32 {
        ok(unsafe { libbpf_sys::btf__add_enum64(self.0, cs(name).as_ptr(), size as _, signed) })
    }
    fn enum64_value(&mut self, name: &str, v: u64) {
        ok(unsafe { libbpf_sys::btf__add_enum64_value(self.0, cs(name).as_ptr(), v as _) });
    }
    fn fwd(&mut self, name: &str, kind: FwdKind) -> u32 {
        let k = match kind {
            FwdKind::Struct => libbpf_sys::BTF_FWD_STRUCT,
            FwdKind::Union => libbpf_sys::BTF_FWD_UNION,
            FwdKind::Enum => libbpf_sys::BTF_FWD_ENUM,
        };
        ok(unsafe { libbpf_sys::btf__add_fwd(self.0, cs(name).as_ptr(), k as _) })
    }
    fn proto(&mut self, ret: u32) -> u32 {
        ok(unsafe { libbpf_sys::btf__add_func_proto(self.0, ret as _) })
    }
    fn param(&mut self, name: &str, t: u32) {
        let n = cs(name);
        let name_ptr = if name.is_empty() {
            std::ptr::null()
        } else {
            n.as_ptr()
        };
        ok(unsafe { libbpf_sys::btf__add_func_param(self.0, name_ptr, t as _) });
    }
    fn func(&mut self, name: &str, linkage: u32, proto: u32) -> u32 {
        ok(unsafe {
            libbpf_sys::btf__add_func(self.0, cs(name).as_ptr(), linkage as _, proto as _)
        })
    }
    fn var(&mut self, name: &str, linkage: u32, t: u32) -> u32 {
        ok(unsafe { libbpf_sys::btf__add_var(self.0, cs(name).as_ptr(), linkage as _, t as _) })
    }
    fn datasec(&mut self, name: &str, size: u32) -> u32 {
        ok(unsafe { libbpf_sys::btf__add_datasec(self.0, cs(name).as_ptr(), size as _) })
    }
    fn secinfo(&mut self, var: u32, off: u32, size: u32) {
        ok(unsafe { libbpf_sys::btf__add_datasec_var_info(self.0, var as _, off as _, size as _) });
    }
    fn decl_tag(&mut self, v: &str, t: u32, idx: i32) -> u32 {
        ok(unsafe { libbpf_sys::btf__add_decl_tag(self.0, cs(v).as_ptr(), t as _, idx) })
    }
}

fn libbpf_raw(btf: *mut libbpf_sys::btf) -> Vec<u8> {
    let mut size = 0u32;
    let data = unsafe { libbpf_sys::btf__raw_data(btf, &mut size) };
    assert!(!data.is_null());
    unsafe { std::slice::from_raw_parts(data as *const u8, size as usize) }.to_vec()
}

fn ours_all_kinds() -> Vec<u8> {
    let mut b = BtfBuilder::new();
    build_all_kinds(&mut b);
    b.finish().to_bytes()
}

#[test]
fn builder_matches_libbpf_byte_for_byte() {
    let ours = ours_all_kinds();
    let libbpf = unsafe {
        let btf = libbpf_sys::btf__new_empty();
        let mut l = Libbpf(btf);
        build_all_kinds(&mut l);
        let raw = libbpf_raw(btf);
        libbpf_sys::btf__free(btf);
        raw
    };
    assert_eq!(ours, libbpf, "our builder and libbpf's btf__add_* disagree");
}

#[test]
fn split_builder_matches_libbpf() {
    let base_bytes = ours_all_kinds();
    let base = Btf::parse(&base_bytes).unwrap();
    let mut b = BtfBuilder::new_split(&base);
    // "int" exists in the base, so the split reuses the base's string.
    let int = b.add_int("int", 4, 1);
    let s = b.add_struct("module_only", 8);
    b.add_field("counter", int, 0, 0).unwrap();
    b.add_field("p", 3, 32, 0).unwrap();
    b.add_ptr(s);
    let ours = b.finish().to_bytes();

    let libbpf = unsafe {
        let lbase = libbpf_sys::btf__new(base_bytes.as_ptr().cast(), base_bytes.len() as u32);
        let split = libbpf_sys::btf__new_empty_split(lbase);
        let mut l = Libbpf(split);
        let int = l.int("int", 4, 1);
        let s = l.composite(false, "module_only", 8);
        l.field("counter", int, 0, 0);
        l.field("p", 3, 32, 0);
        l.ptr(s);
        let raw = libbpf_raw(split);
        libbpf_sys::btf__free(split);
        libbpf_sys::btf__free(lbase);
        raw
    };
    assert_eq!(ours, libbpf);
    let split = Btf::parse_split(&ours, &base).unwrap();
    assert_eq!(split.start_id(), base.type_count());
    assert_eq!(split.start_str_off(), base.string_bytes().len() as u32);
}

fn bpftool_dump(blob: &[u8], base: Option<&[u8]>, json: bool) -> Option<Vec<u8>> {
    let dir = std::env::temp_dir().join(format!("btfscope-builder-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("blob-{json}.btf"));
    std::fs::write(&file, blob).unwrap();
    let mut cmd = Command::new("bpftool");
    if json {
        cmd.arg("-j");
    }
    cmd.args(["btf", "dump", "file"]).arg(&file);
    if let Some(base) = base {
        let bf = dir.join("base.btf");
        std::fs::write(&bf, base).unwrap();
        cmd.arg("-B").arg(bf);
    }
    match cmd.output() {
        Ok(out) if out.status.success() => Some(out.stdout),
        Ok(out) => panic!("bpftool failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(_) if std::env::var_os("BTFSCOPE_REQUIRE_KERNEL").is_none() => {
            eprintln!("SKIP: bpftool is not installed");
            None
        }
        Err(e) => panic!("bpftool is required: {e}"),
    }
}

fn our_dump(btf: &Btf, format: DumpFormat) -> Vec<u8> {
    let mut out = Vec::new();
    dump(btf, format, &mut out).unwrap();
    out
}

#[test]
fn dump_of_every_kind_matches_bpftool() {
    let blob = ours_all_kinds();
    let btf = Btf::parse(&blob).unwrap();
    for (json, format) in [(false, DumpFormat::Raw), (true, DumpFormat::Json)] {
        if let Some(expected) = bpftool_dump(&blob, None, json) {
            assert_eq!(
                String::from_utf8_lossy(&our_dump(&btf, format)),
                String::from_utf8_lossy(&expected)
            );
        }
    }
}

#[test]
fn big_endian_blob_dumps_like_bpftool_and_round_trips() {
    let little = ours_all_kinds();
    let big = Btf::parse(&little).unwrap().to_bytes_in(Endian::Big);
    assert_ne!(big, little);
    let parsed = Btf::parse(&big).unwrap();
    assert_eq!(parsed.endian(), Endian::Big);
    assert_eq!(parsed.to_bytes(), big, "big-endian round trip");
    assert_eq!(parsed.to_bytes_in(Endian::Little), little, "swap back");
    if let Some(expected) = bpftool_dump(&big, None, false) {
        assert_eq!(our_dump(&parsed, DumpFormat::Raw), expected);
    }
}

#[test]
fn builder_rejects_what_cannot_be_encoded() {
    let mut b = BtfBuilder::new();
    assert!(b.add_field("x", 0, 0, 0).is_err(), "no struct yet");
    let int = b.add_int("int", 4, 1);
    assert!(
        b.add_field("x", int, 0, 0).is_err(),
        "last type is not a struct"
    );
    b.add_struct("s", 4);
    assert!(
        b.add_field("x", int, 3, 0).is_err(),
        "unaligned offset needs a bitfield size"
    );
    assert!(b.add_field("x", int, 3, 5).is_ok());
    assert!(b.add_field("y", int, 0, 256).is_err(), "bitfield too wide");
    b.add_enum("e", 4);
    assert!(b.add_enum_value("A", 1 << 33).is_err());
    assert!(b.add_enum_value("B", -1).is_ok());
}
