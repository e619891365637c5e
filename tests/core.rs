//! CO-RE against libbpf 1.7 and bpftool 7.5, on BPF programs written for
//! these tests (tests/bpf/*.c) and compiled here with Debian's clang against
//! a vmlinux.h of Debian 6.1:
//! - every relocation's result (libbpf's `bpf_core_relo_res`, field by
//!   field, and the target spec) equals libbpf's in-process
//!   `bpf_core_calc_relo_insn` after `bpf_core_add_cands`, on Debian 6.1,
//!   another 6.1 ABI, trixie's 6.12 and the big-endian s390x kernel;
//! - `min-core` writes bpftool's `gen min_core_btf` bytes for every
//!   program alone and all together, on every kernel;
//! - malformed `.BTF.ext` is refused with the record's offset, and libbpf
//!   refuses the same structural faults.

#[path = "common/cli.rs"]
mod cli;
#[path = "common/kernel.rs"]
mod kernel;

use std::collections::HashMap;
use std::os::raw::{c_char, c_int, c_void};
use std::path::{Path, PathBuf};
use std::process::Command;

use btfscope::btf::ext::{BtfExt, CoreReloKind};
use btfscope::btf::{Btf, Endian};
use btfscope::core::min_btf::min_core_btf;
use btfscope::core::{Program, Resolved, Target};
use btfscope::intake::Input;
use btfscope::ErrorKind;
use libbpf_sys as sys;

// ---- libbpf's CO-RE internals (global symbols of libbpf.a, not in the bindings)

const SPEC_MAX: usize = 64;

#[repr(C)]
#[derive(Clone, Copy)]
struct Accessor {
    type_id: u32,
    idx: u32,
    name: *const c_char,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct Spec {
    btf: *const sys::btf,
    spec: [Accessor; SPEC_MAX],
    root_type_id: u32,
    relo_kind: u32,
    len: c_int,
    raw_spec: [c_int; SPEC_MAX],
    raw_len: c_int,
    bit_offset: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
struct ReloRes {
    orig_val: u64,
    new_val: u64,
    poison: bool,
    validate: bool,
    fail_memsz_adjust: bool,
    orig_sz: u32,
    orig_type_id: u32,
    new_sz: u32,
    new_type_id: u32,
}

#[repr(C)]
struct Cand {
    btf: *const sys::btf,
    id: u32,
}

#[repr(C)]
struct CandList {
    cands: *mut Cand,
    len: c_int,
}

extern "C" {
    fn bpf_core_essential_name_len(name: *const c_char) -> usize;
    fn bpf_core_add_cands(
        local: *mut Cand,
        local_essent_len: usize,
        targ: *const sys::btf,
        targ_name: *const c_char,
        targ_start_id: c_int,
        cands: *mut CandList,
    ) -> c_int;
    fn bpf_core_free_cands(cands: *mut CandList);
    fn bpf_core_patch_insn(
        prog_name: *const c_char,
        insn: *mut c_void,
        insn_idx: c_int,
        relo: *const sys::bpf_core_relo,
        relo_idx: c_int,
        res: *const ReloRes,
    ) -> c_int;
    fn bpf_core_calc_relo_insn(
        prog_name: *const c_char,
        relo: *const sys::bpf_core_relo,
        relo_idx: c_int,
        local_btf: *const sys::btf,
        cands: *mut CandList,
        specs_scratch: *mut Spec,
        targ_res: *mut ReloRes,
    ) -> c_int;
}

unsafe extern "C" fn silent(
    _: sys::libbpf_print_level,
    _: *const c_char,
    _: *mut sys::__va_list_tag,
) -> c_int {
    0
}

struct LibbpfBtf(*mut sys::btf);

impl LibbpfBtf {
    fn new(raw: &[u8]) -> LibbpfBtf {
        // SAFETY: libbpf copies the bytes.
        let p = unsafe { sys::btf__new(raw.as_ptr() as *const c_void, raw.len() as u32) };
        assert!(!p.is_null(), "libbpf refuses the BTF");
        LibbpfBtf(p)
    }
}

impl Drop for LibbpfBtf {
    fn drop(&mut self) {
        // SAFETY: created by btf__new, freed once.
        unsafe { sys::btf__free(self.0) }
    }
}

/// libbpf's result for one relocation: Ok((res, target spec root, raw spec,
/// bit offset)) or the negative errno.
type LibbpfOut = Result<(ReloRes, u32, Vec<u32>, u32), i32>;

/// Every relocation of `ext` resolved by libbpf against `targ` (and, where
/// `targ` has no candidate, against `module`, split BTF on `targ`, as
/// libbpf searches a loaded module), with one candidate cache per object
/// as bpftool keeps it.
fn libbpf_resolve(
    local_raw: &[u8],
    ext: &BtfExt,
    targ_raw: &[u8],
    module: Option<&[u8]>,
) -> Vec<LibbpfOut> {
    // SAFETY: the callback ignores its arguments.
    unsafe { sys::libbpf_set_print(Some(silent)) };
    let local = LibbpfBtf::new(local_raw);
    let targ = LibbpfBtf::new(targ_raw);
    let module = module.map(|raw| {
        // SAFETY: libbpf copies the bytes; the base outlives the split BTF.
        let p =
            unsafe { sys::btf__new_split(raw.as_ptr() as *const c_void, raw.len() as u32, targ.0) };
        assert!(!p.is_null(), "libbpf refuses the module's BTF");
        LibbpfBtf(p)
    });
    let mut cache: HashMap<u32, *mut CandList> = HashMap::new();
    let mut out = Vec::new();
    let vmlinux = c"vmlinux";
    for sec in &ext.core_relos {
        for (i, r) in sec.records.iter().enumerate() {
            let relo = sys::bpf_core_relo {
                insn_off: r.insn_off,
                type_id: r.type_id,
                access_str_off: r.access_str_off,
                kind: r.kind,
            };
            let mut cands: *mut CandList = std::ptr::null_mut();
            if r.kind != CoreReloKind::TypeIdLocal.raw() {
                cands = *cache.entry(r.type_id).or_insert_with(|| {
                    // SAFETY: plain libbpf calls on live BTFs; the list is
                    // allocated with calloc as libbpf frees it.
                    unsafe {
                        let list = libc_calloc(1, std::mem::size_of::<CandList>()) as *mut CandList;
                        let t = sys::btf__type_by_id(local.0, r.type_id);
                        let name = sys::btf__name_by_offset(local.0, (*t).name_off);
                        let mut lc = Cand {
                            btf: local.0,
                            id: r.type_id,
                        };
                        let n = bpf_core_essential_name_len(name);
                        let err = bpf_core_add_cands(&mut lc, n, targ.0, vmlinux.as_ptr(), 1, list);
                        assert_eq!(err, 0, "bpf_core_add_cands");
                        if let Some(m) = module.as_ref().filter(|_| (*list).len == 0) {
                            let start = sys::btf__type_cnt(targ.0) as c_int;
                            let err = bpf_core_add_cands(
                                &mut lc,
                                n,
                                m.0,
                                c"module".as_ptr(),
                                start,
                                list,
                            );
                            assert_eq!(err, 0, "bpf_core_add_cands (module)");
                        }
                        list
                    }
                });
            }
            // SAFETY: zeroed specs as bpftool passes them; all pointers live.
            let mut specs: [Spec; 3] = unsafe { std::mem::zeroed() };
            let mut res = ReloRes::default();
            let err = unsafe {
                bpf_core_calc_relo_insn(
                    c"test".as_ptr(),
                    &relo,
                    i as c_int,
                    local.0,
                    cands,
                    specs.as_mut_ptr(),
                    &mut res,
                )
            };
            let t = &specs[2];
            out.push(if err != 0 {
                Err(err)
            } else {
                Ok((
                    res,
                    t.root_type_id,
                    t.raw_spec[..t.raw_len as usize]
                        .iter()
                        .map(|&v| v as u32)
                        .collect(),
                    t.bit_offset,
                ))
            });
        }
    }
    for (_, list) in cache {
        // SAFETY: lists from bpf_core_add_cands, freed once.
        unsafe { bpf_core_free_cands(list) };
    }
    out
}

extern "C" {
    #[link_name = "calloc"]
    fn libc_calloc(n: usize, size: usize) -> *mut c_void;
}

/// Our result in libbpf's shape.
fn ours(r: &Resolved) -> LibbpfOut {
    match &r.result {
        Err(f) => Err(-f.errno),
        Ok(res) => {
            let (root, raw, bits) = match &r.target {
                Some(s) => (s.root_type_id, s.raw.clone(), s.bit_offset),
                None => (0, Vec::new(), 0),
            };
            Ok((
                ReloRes {
                    orig_val: res.orig_val,
                    new_val: res.new_val,
                    poison: res.poison,
                    validate: res.validate,
                    fail_memsz_adjust: res.fail_memsz_adjust,
                    orig_sz: res.orig_sz,
                    orig_type_id: res.orig_type_id,
                    new_sz: res.new_sz,
                    new_type_id: res.new_type_id,
                },
                root,
                raw,
                bits,
            ))
        }
    }
}

// ---- the test programs and kernels

fn bpftool() -> PathBuf {
    kernel::cache_dir().join("bpftool-7.5/bpftool")
}

fn scratch() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("core-test");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Compiles tests/bpf/*.c against Debian 6.1's vmlinux.h; adds the
/// type_matches twin of each object (clang 14 cannot emit type_matches:
/// the twin is the object with its type_exists records rewritten).
/// Compiled objects by file name.
type Objects = Vec<(String, Vec<u8>)>;

fn programs(test: &str) -> Option<Objects> {
    // Compiled once per test process: the tests run in parallel.
    static BUILT: std::sync::OnceLock<Option<Objects>> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| compile(test)).clone()
}

fn compile(test: &str) -> Option<Objects> {
    if !kernel::vmlinux_path().is_file() || !bpftool().is_file() {
        kernel::skip(
            test,
            "the 6.1 vmlinux or bpftool 7.5 (scripts/fetch-bpftool.sh)",
        );
        return None;
    }
    let dir = scratch();
    let header = dir.join("vmlinux.h");
    if !header.is_file() {
        let out = Command::new(bpftool())
            .args(["btf", "dump", "file"])
            .arg(kernel::vmlinux_path())
            .args(["format", "c"])
            .output()
            .expect("bpftool runs");
        assert!(out.status.success());
        std::fs::write(&header, out.stdout).unwrap();
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bpf");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&src)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    found.sort();
    let mut out = Vec::new();
    // Each program little-endian (bpf, the host's order) and big-endian
    // (bpfeb): the .BTF and .BTF.ext readers see both byte orders.
    let builds = found
        .iter()
        .flat_map(|c| [(c, "bpf", ""), (c, "bpfeb", "-eb")]);
    for (c, arch, suffix) in builds {
        let stem = c.file_stem().unwrap().to_string_lossy().into_owned() + suffix;
        let obj = dir.join(format!("{stem}.o"));
        let status = Command::new("clang")
            .args(["-target", arch, "-O2", "-g", "-c"])
            .arg("-I")
            .arg(&dir)
            .arg("-I")
            .arg(&src)
            .arg(c)
            .arg("-o")
            .arg(&obj)
            .status()
            .expect("clang runs (scripts/setup.sh installs it)");
        assert!(status.success(), "clang {}", c.display());
        let bytes = std::fs::read(&obj).unwrap();
        if let Some(twin) = type_matches_twin(&bytes) {
            std::fs::write(dir.join(format!("{stem}-matches.o")), &twin).unwrap();
            out.push((format!("{stem}-matches.o"), twin));
        }
        out.push((format!("{stem}.o"), bytes));
    }
    Some(out)
}

/// The object with every type_exists record turned into type_matches, or
/// None when it has none.
fn type_matches_twin(obj: &[u8]) -> Option<Vec<u8>> {
    let input = Input::open(obj).unwrap();
    let ext_bytes = input.btf_ext_bytes()?;
    let at = ext_bytes.as_ptr() as usize - input.data().as_ptr() as usize;
    let ext = BtfExt::parse(ext_bytes).unwrap();
    let mut out = obj.to_vec();
    let mut changed = false;
    for s in &ext.core_relos {
        for (i, r) in s.records.iter().enumerate() {
            if r.kind == CoreReloKind::TypeExists.raw() {
                let kind_at = at + s.record_at(i) as usize + 12;
                let kind = CoreReloKind::TypeMatches.raw();
                out[kind_at..kind_at + 4].copy_from_slice(&match ext.endian {
                    Endian::Little => kind.to_le_bytes(),
                    Endian::Big => kind.to_be_bytes(),
                });
                changed = true;
            }
        }
    }
    changed.then_some(out)
}

/// (name, file, raw BTF) of every kernel the tests have.
fn kernels(test: &str) -> Vec<(String, PathBuf, Vec<u8>)> {
    let mut files = vec![kernel::vmlinux_path()];
    files.extend(kernel::compat_kernels(test));
    files.extend(kernel::s390x(test).map(|s| s.vmlinuz));
    files
        .into_iter()
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            let input = Input::open(&bytes).unwrap();
            let raw = input.btf_bytes().unwrap().to_vec();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, p, raw)
        })
        .collect()
}

fn obj_parts(obj: &[u8]) -> (Vec<u8>, BtfExt) {
    let input = Input::open(obj).unwrap();
    let ext = input.parse_btf_ext().unwrap().unwrap();
    (input.btf_bytes().unwrap().to_vec(), ext)
}

#[test]
fn relocations_agree_with_libbpf_on_every_kernel() {
    let Some(progs) = programs("core differential") else {
        return;
    };
    let kernels = kernels("core differential");
    let (mut agree, mut total, mut poisoned, mut failures) = (0, 0, 0, Vec::new());
    for (kname, _, kraw) in &kernels {
        let kbtf = Btf::parse(kraw).unwrap();
        let target = Target::new(&kbtf);
        for (pname, obj) in &progs {
            let (local_raw, ext) = obj_parts(obj);
            let local = Btf::parse(&local_raw).unwrap();
            ext.check(&local).unwrap();
            let program = Program::new(&local, &ext);
            let mine = program.resolve(&target);
            let theirs = libbpf_resolve(&local_raw, &ext, kraw, None);
            assert_eq!(mine.len(), theirs.len());
            for (i, (m, t)) in mine.iter().zip(&theirs).enumerate() {
                total += 1;
                let m = ours(m);
                if m == *t {
                    agree += 1;
                    poisoned += matches!(t, Ok((r, ..)) if r.poison) as usize;
                } else {
                    failures.push(format!(
                        "{pname} on {kname}, relocation {i}: ours {m:?}, libbpf {t:?}"
                    ));
                }
            }
        }
    }
    eprintln!(
        "core: {agree} of {total} relocation results (programs × kernels) agree with libbpf 1.7, {poisoned} of them poisoned, over {} kernels",
        kernels.len()
    );
    assert!(
        failures.is_empty(),
        "{}",
        failures[..failures.len().min(10)].join("\n")
    );
    assert!(
        total > 200 && poisoned > 0,
        "the programs exercise too little"
    );
}

#[test]
fn min_core_is_bpftools_bytes_on_every_kernel() {
    let Some(progs) = programs("min-core") else {
        return;
    };
    let kernels = kernels("min-core");
    let dir = scratch();
    let (mut same, mut total) = (0, 0);
    for (kname, _, kraw) in &kernels {
        let kfile = dir.join(format!("{kname}.btf"));
        std::fs::write(&kfile, kraw).unwrap();
        let kbtf = Btf::parse(kraw).unwrap();
        let target = Target::new(&kbtf);
        let mut sets: Vec<Vec<&(String, Vec<u8>)>> = progs.iter().map(|p| vec![p]).collect();
        sets.push(progs.iter().collect());
        for set in sets {
            let parts: Vec<(Vec<u8>, BtfExt)> = set.iter().map(|(_, o)| obj_parts(o)).collect();
            let btfs: Vec<Btf> = parts
                .iter()
                .map(|(raw, _)| Btf::parse(raw).unwrap())
                .collect();
            let programs: Vec<Program> = btfs
                .iter()
                .zip(&parts)
                .map(|(b, (_, e))| Program::new(b, e))
                .collect();
            let mine = min_core_btf(&target, &programs).unwrap();
            let out = dir.join(format!("{kname}-{}.min.btf", set.len()));
            let mut cmd = Command::new(bpftool());
            cmd.args(["gen", "min_core_btf"]).arg(&kfile).arg(&out);
            // bpftool 7.5 does not read big-endian BPF objects' .BTF.ext:
            // a big-endian object's result must be its little-endian twin's.
            for (name, _) in &set {
                cmd.arg(dir.join(name.replace("-eb", "")));
            }
            let status = cmd.output().expect("bpftool runs");
            assert!(
                status.status.success(),
                "{cmd:?}: {}",
                String::from_utf8_lossy(&status.stderr)
            );
            let theirs = std::fs::read(&out).unwrap();
            total += 1;
            let names: Vec<&str> = set.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(mine, theirs, "min-core of {names:?} on {kname}");
            same += 1;
        }
    }
    eprintln!("min-core: {same} of {total} (program sets × kernels) byte-identical to bpftool 7.5 (big-endian objects: to bpftool's on their little-endian twin)");
}

#[test]
fn core_json_contract() {
    let Some(progs) = programs("core json") else {
        return;
    };
    let dir = scratch();
    let k61 = kernel::vmlinux_path();
    let mut kernels = vec![k61.clone()];
    kernels.extend(
        kernel::compat_kernels("core json")
            .into_iter()
            .filter(|p| p.to_string_lossy().contains("6.12")),
    );
    let json = dir.join("fields.json");
    let mut cmd = cli::btfscope(["core"]);
    cmd.arg(dir.join("core_fields.o"));
    for k in &kernels {
        cmd.arg("-B").arg(k);
    }
    cmd.arg("--json").arg(&json);
    cli::succeed(&mut cmd);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let relos = v["relocations"].as_array().unwrap();
    let (_, obj) = progs.iter().find(|(n, _)| n == "core_fields.o").unwrap();
    assert_eq!(relos.len(), obj_parts(obj).1.core_relo_count());
    for r in relos {
        for key in ["kind", "access", "insn_off", "section"] {
            assert!(!r[key].is_null(), "{key} missing in {r}");
        }
        let results = r["results"].as_array().unwrap();
        assert_eq!(results.len(), kernels.len());
        for c in results {
            let ok = c["ok"].as_bool().unwrap();
            assert!(
                if ok {
                    c["value"].is_u64()
                } else {
                    c["reason"].is_string()
                },
                "{c}"
            );
        }
    }
    let find = |access: &str, kind: &str| {
        relos
            .iter()
            .find(|r| r["access"] == access && r["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} {access}"))
    };
    // The old task_struct::state is gone everywhere: poisoned, with a reason.
    let old = find("struct task_struct___old.state", "byte_off");
    assert_eq!(old["results"][0]["ok"], false);
    assert!(old["results"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("task_struct"));
    // pid is a signed int on every kernel.
    assert_eq!(
        find("struct task_struct.pid", "signed")["results"][0]["value"],
        1
    );
    if kernels.len() > 1 {
        // vlan_present left sk_buff in 6.2.
        let vlan = find("struct sk_buff.vlan_present", "field_exists");
        assert_eq!(vlan["results"][0]["value"], 1);
        assert_eq!(vlan["results"][1]["value"], 0);
    }
    // The text matrix and dump --ext run on the same object.
    let text = cli::succeed(cli::btfscope(["dump", "--ext"]).arg(dir.join("core_fields.o"))).stdout;
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("byte_off [") && text.contains("struct task_struct.mm"),
        "{text}"
    );
}

// ---- a module on its base

#[test]
fn a_module_on_its_base_agrees_with_libbpf() {
    let Some(progs) = programs("core module") else {
        return;
    };
    let vm = kernel::vmlinux_btf();
    let nfs_path = kernel::modules_dir().join("fs/nfs/nfs.ko");
    let nfs = kernel::btf_section(&std::fs::read(&nfs_path).unwrap());
    let base = Btf::parse(&vm).unwrap();
    let split = Btf::parse_split(&nfs, &base).unwrap();
    let target = Target::new(&split);
    let (mut total, mut in_module) = (0, 0);
    for (pname, obj) in &progs {
        let (local_raw, ext) = obj_parts(obj);
        let local = Btf::parse(&local_raw).unwrap();
        let mine = Program::new(&local, &ext).resolve(&target);
        let theirs = libbpf_resolve(&local_raw, &ext, &vm, Some(&nfs));
        for (i, (m, t)) in mine.iter().zip(&theirs).enumerate() {
            assert_eq!(ours(m), *t, "{pname} on vmlinux+nfs.ko, relocation {i}");
            total += 1;
            in_module +=
                m.target
                    .as_ref()
                    .is_some_and(|s| s.root_type_id >= split.start_id()) as usize;
        }
    }
    eprintln!("core: {total} relocation results on vmlinux+nfs.ko agree with libbpf 1.7, {in_module} of them resolved to a module type");
    // core_module.c's module relocations, little- and big-endian and the
    // type_matches twins.
    // core_module.c's ten relocations that find a module type, little- and
    // big-endian; its type_matches twins find nine (not_in_nfs is missing).
    assert_eq!(in_module, 2 * (10 + 9), "resolved in nfs.ko");

    // The CLI: -B VMLINUX+MODULE next to vmlinux alone.
    let vmlinux = kernel::vmlinux_path();
    let mut both = vmlinux.clone().into_os_string();
    both.push("+");
    both.push(&nfs_path);
    let out = cli::succeed(
        cli::btfscope(["core"])
            .arg(scratch().join("core_module.o"))
            .arg("-B")
            .arg(&vmlinux)
            .arg("-B")
            .arg(&both)
            .args(["--json", "-"]),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["kernels"][1].as_str().unwrap() == both.to_str().unwrap(),
        "{}",
        v["kernels"]
    );
    let find = |access: &str, kind: &str| {
        v["relocations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["access"] == access && r["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} {access}"))
            .clone()
    };
    let size = find("struct nfs_direct_req___mod", "type_size");
    assert_eq!(size["results"][0]["value"], 0);
    assert_eq!(size["results"][1]["value"], 224);
    let count = find("struct nfs_direct_req___mod.count", "byte_off");
    assert_eq!(count["results"][0]["ok"], false);
    assert_eq!(count["results"][1]["value"], 56);
    let any = find("enum pnfs_iomode___mod::IOMODE_ANY___mod", "enumval_value");
    assert_eq!(any["results"][1]["value"], 3);
    // vmlinux's types still resolve in vmlinux.
    let ino = find("struct inode.i_ino", "byte_off");
    assert_eq!(ino["results"][0]["value"], ino["results"][1]["value"]);
    let bad = cli::btfscope(["core"])
        .arg(scratch().join("core_module.o"))
        .arg("-B")
        .arg("no-such-vmlinux+nfs.ko")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("neither a file nor VMLINUX+MODULE"));
}

// ---- the instruction's compiled value

#[test]
fn instruction_values_are_checked_as_libbpf_checks_them() {
    let Some(progs) = programs("core insn") else {
        return;
    };
    let vm = kernel::vmlinux_btf();
    let kbtf = Btf::parse(&vm).unwrap();
    let target = Target::new(&kbtf);
    // SAFETY: the callback ignores its arguments.
    unsafe { sys::libbpf_set_print(Some(silent)) };
    let (mut checked, mut refused) = (0, 0);
    // libbpf patches in the host's byte order: the little-endian objects.
    for (pname, obj) in progs.iter().filter(|(n, _)| !n.contains("-eb")) {
        let input = Input::open(obj).unwrap();
        let (local, ext) = btfscope::core::program_parts(&input).unwrap();
        let program = Program::new(&local, &ext);
        let resolved = program.resolve(&target);
        for (i, (r, m)) in program.relocations().zip(&resolved).enumerate() {
            let Ok((res, ..)) = ours(m) else { continue };
            if res.poison {
                continue;
            }
            let Ok(mine) = &m.result else { unreachable!() };
            let section = local.name(ext.core_relos[r.section].name_off);
            let code = input.elf_section(&section).unwrap();
            let off = r.relo.insn_off as usize;
            let relo = sys::bpf_core_relo {
                insn_off: r.relo.insn_off,
                type_id: r.relo.type_id,
                access_str_off: r.relo.access_str_off,
                kind: r.relo.kind,
            };
            // As compiled, then with the value the instruction holds changed.
            for bump in [0u8, 1] {
                let mut insns = [0u8; 16];
                let n = (code.len() - off).min(16);
                insns[..n].copy_from_slice(&code[off..off + n]);
                let class = insns[0] & 7;
                let at = if matches!(class, 1..=3) { 2 } else { 4 };
                insns[at] = insns[at].wrapping_add(bump);
                let ok = btfscope::core::insn::check_patch(
                    &insns[..n],
                    Endian::Little,
                    r.relo.insn_off,
                    mine,
                );
                let mut buf = [0u64; 2];
                // SAFETY: 16 bytes into a 16-byte, 8-aligned buffer.
                unsafe {
                    std::ptr::copy_nonoverlapping(insns.as_ptr(), buf.as_mut_ptr() as *mut u8, 16)
                };
                // SAFETY: libbpf patches the two instructions in `buf`.
                let rc = unsafe {
                    bpf_core_patch_insn(
                        c"test".as_ptr(),
                        buf.as_mut_ptr() as *mut c_void,
                        (off / 8) as c_int,
                        &relo,
                        i as c_int,
                        &res,
                    )
                };
                assert_eq!(
                    ok.is_ok(),
                    rc == 0,
                    "{pname} relocation {i}, value +{bump}: ours {ok:?}, libbpf {rc}"
                );
                checked += 1;
                if let Err(why) = ok {
                    assert!(bump == 1, "{pname} relocation {i} as compiled: {why}");
                    assert!(why.starts_with(&format!("insn #{}", off / 8)), "{why}");
                    refused += 1;
                }
            }
        }
    }
    eprintln!("core: {checked} instructions checked as libbpf 1.7's bpf_core_patch_insn checks them, {refused} refused");
    assert!(refused > 50, "{checked} checked, {refused} refused");

    // In the matrix: a load whose offset is off by one fails the load, with
    // the instruction named.
    let (_, obj) = progs.iter().find(|(n, _)| n == "core_fields.o").unwrap();
    let input = Input::open(obj).unwrap();
    let (local, ext) = btfscope::core::program_parts(&input).unwrap();
    let program = Program::new(&local, &ext);
    let first = program.relocations().next().unwrap();
    let section = local
        .name(ext.core_relos[first.section].name_off)
        .into_owned();
    let mut code = input.elf_section(&section).unwrap().to_vec();
    let off = first.relo.insn_off as usize;
    let at = if matches!(code[off] & 7, 1..=3) {
        off + 2
    } else {
        off + 4
    };
    code[at] = code[at].wrapping_add(1);
    let m = btfscope::core::report::matrix(
        "core_fields.o",
        &program,
        &[("6.1".into(), &target)],
        |s| (s == section).then_some(&code[..]),
    );
    let cell = &m.relocations[0].results[0];
    assert!(!cell.ok && cell.fatal, "{cell:?}");
    let reason = cell.reason.as_deref().unwrap();
    assert!(
        reason.starts_with(&format!("insn #{} holds", off / 8)),
        "{reason}"
    );
}

// ---- malformed .BTF.ext

/// A little-endian .BTF.ext with one core_relo section of `records`.
fn ext_bytes(rec_size: u32, records: &[[u32; 4]]) -> Vec<u8> {
    let mut body = vec![rec_size, 1, records.len() as u32];
    for r in records {
        body.extend_from_slice(r);
        body.extend(std::iter::repeat_n(
            0,
            (rec_size as usize / 4).saturating_sub(4),
        ));
    }
    let mut out = vec![0x9f, 0xeb, 1, 0];
    let words = [32u32, 0, 0, 0, 0, 0, body.len() as u32 * 4];
    for w in words.iter().chain(&body) {
        out.extend_from_slice(&w.to_le_bytes());
    }
    out
}

fn libbpf_accepts(ext: &[u8]) -> bool {
    // SAFETY: libbpf copies the bytes; the result is freed.
    unsafe {
        sys::libbpf_set_print(Some(silent));
        let p = sys::btf_ext__new(ext.as_ptr(), ext.len() as u32);
        let ok = !p.is_null() && sys::libbpf_get_error(p as *const c_void) == 0;
        if ok {
            sys::btf_ext__free(p);
        }
        ok
    }
}

#[test]
fn malformed_ext_is_refused_with_an_offset() {
    let good = ext_bytes(16, &[[8, 1, 1, 0]]);
    assert!(BtfExt::parse(&good).is_ok() && libbpf_accepts(&good));
    // Structural faults: ours and libbpf's both refuse.
    let mut cases: Vec<(&str, Vec<u8>, ErrorKind, u64)> = vec![
        (
            "record size below 16",
            ext_bytes(12, &[[8, 1, 1, 0]]),
            ErrorKind::BadHeader,
            32,
        ),
        (
            "record size not a multiple of 4",
            ext_bytes(18, &[[8, 1, 1, 0]]),
            ErrorKind::BadHeader,
            32,
        ),
    ];
    let mut past = good.clone();
    past[28..32].copy_from_slice(&100u32.to_le_bytes()); // core_relo_len
    cases.push(("block past the section", past, ErrorKind::OutOfRange, 32));
    let mut count = good.clone();
    count[40..44].copy_from_slice(&3u32.to_le_bytes()); // num_info
    cases.push(("records past the block", count, ErrorKind::OutOfRange, 40));
    let mut magic = good.clone();
    magic[0] = 0;
    cases.push(("bad magic", magic, ErrorKind::BadMagic, 0));
    cases.push(("truncated", good[..6].to_vec(), ErrorKind::Truncated, 0));
    for (what, bytes, kind, at) in cases {
        let e = BtfExt::parse(&bytes).expect_err(what);
        assert_eq!((e.kind, e.offset), (kind, Some(at)), "{what}: {e}");
        assert!(!libbpf_accepts(&bytes), "libbpf accepts {what}");
    }
    // References into .BTF: checked against the program's BTF.
    let mut b = btfscope::btf::BtfBuilder::new();
    let int = b.add_int("int", 4, 1);
    let s = b.add_struct("s", 4);
    b.add_field("x", int, 0, 0).unwrap();
    let zero = b.add_str("0:0");
    let sec = b.add_str("sec");
    let btf = b.finish();
    let mut named = ext_bytes(16, &[[0, s, zero, 0]]);
    named[36..40].copy_from_slice(&sec.to_le_bytes());
    BtfExt::parse(&named).unwrap().check(&btf).unwrap();
    let bad = |r: [u32; 4]| {
        let mut bytes = ext_bytes(16, &[r]);
        bytes[36..40].copy_from_slice(&sec.to_le_bytes());
        BtfExt::parse(&bytes)
            .unwrap()
            .check(&btf)
            .expect_err("refused")
    };
    let e = bad([0, 99, zero, 0]);
    assert_eq!((e.kind, e.offset), (ErrorKind::BadTypeId, Some(48)), "{e}");
    let e = bad([0, s, 10_000, 0]);
    assert_eq!(
        (e.kind, e.offset),
        (ErrorKind::BadStringOffset, Some(52)),
        "{e}"
    );
    let e = bad([0, s, zero, 99]);
    assert_eq!((e.kind, e.offset), (ErrorKind::BadType, Some(56)), "{e}");
    let e = bad([4, s, zero, 0]);
    assert_eq!((e.kind, e.offset), (ErrorKind::BadType, Some(44)), "{e}");
    // An access index past the struct's members: that relocation fails
    // (libbpf: -EINVAL), the one before it still resolves.
    let mut b = btfscope::btf::BtfBuilder::new();
    let int = b.add_int("int", 4, 1);
    let s = b.add_struct("s", 4);
    b.add_field("x", int, 0, 0).unwrap();
    let (good_access, bad_access) = (b.add_str("0:0"), b.add_str("0:5"));
    let sec = b.add_str("sec");
    let btf = b.finish();
    let mut bytes = ext_bytes(16, &[[0, s, good_access, 0], [8, s, bad_access, 0]]);
    bytes[36..40].copy_from_slice(&sec.to_le_bytes());
    let ext = BtfExt::parse(&bytes).unwrap();
    ext.check(&btf).unwrap();
    let target = Target::new(&btf);
    let res = Program::new(&btf, &ext).resolve(&target);
    assert_eq!(res[0].result.as_ref().map(|r| r.new_val), Ok(0));
    let e = res[1]
        .result
        .as_ref()
        .expect_err("index 5 of a one-member struct");
    assert_eq!(e.errno, 22);
    assert!(e.reason.contains("0:5"), "{}", e.reason);
    let theirs = libbpf_resolve(&btf.to_bytes(), &ext, &btf.to_bytes(), None);
    assert_eq!(theirs[1], Err(-22));
}

/// The program: `struct foo { int a; int b; }` read at `.b`, and its
/// `.BTF.ext` with that one relocation.
fn foo_program() -> (Vec<u8>, Vec<u8>) {
    let mut b = btfscope::btf::BtfBuilder::new();
    let int = b.add_int("int", 4, 1);
    let root = b.add_struct("foo", 8);
    b.add_field("a", int, 0, 0).unwrap();
    b.add_field("b", int, 32, 0).unwrap();
    let access = b.add_str("0:1");
    let sec = b.add_str("sec");
    let mut ext = ext_bytes(16, &[[0, root, access, 0]]);
    ext[36..40].copy_from_slice(&sec.to_le_bytes());
    (b.finish().to_bytes(), ext)
}

/// A kernel with `foo` and its flavours, `b` at the given bit offsets.
fn foo_kernel(b_offsets: &[(&str, u32)]) -> Vec<u8> {
    let mut b = btfscope::btf::BtfBuilder::new();
    let int = b.add_int("int", 4, 1);
    for (name, off) in b_offsets {
        b.add_struct(*name, 16);
        b.add_field("b", int, *off, 0).unwrap();
    }
    b.finish().to_bytes()
}

#[test]
fn ambiguous_candidates_fail_as_in_libbpf() {
    let (local_raw, ext_raw) = foo_program();
    let ext = BtfExt::parse(&ext_raw).unwrap();
    let local = Btf::parse(&local_raw).unwrap();
    let cases = [
        // Two flavours that disagree on where b is: the load fails.
        (vec![("foo", 0), ("foo___2", 32)], Some(22)),
        // Two that agree: fine, b is at byte 4.
        (vec![("foo", 32), ("foo___2", 32)], None),
        // Only a flavour: it is the candidate.
        (vec![("foo___v1", 64)], None),
        // A name that merely starts like it is no candidate: poisoned.
        (vec![("foo_bar", 64)], None),
    ];
    for (kernel, errno) in cases {
        let raw = foo_kernel(&kernel);
        let kbtf = Btf::parse(&raw).unwrap();
        let target = Target::new(&kbtf);
        let mine = Program::new(&local, &ext).resolve(&target);
        let theirs = libbpf_resolve(&local_raw, &ext, &raw, None);
        assert_eq!(ours(&mine[0]), theirs[0], "{kernel:?}");
        match errno {
            Some(e) => {
                let f = mine[0].result.as_ref().expect_err("ambiguous");
                assert_eq!(f.errno, e);
                assert!(f.reason.contains("ambiguous"), "{}", f.reason);
            }
            None => assert!(mine[0].result.is_ok(), "{kernel:?}"),
        }
    }
}

#[test]
fn failing_cells_are_explained_as_c() {
    let Some(progs) = programs("core explain") else {
        return;
    };
    let (_, obj) = progs.iter().find(|(n, _)| n == "core_fields.o").unwrap();
    let input = Input::open(obj).unwrap();
    let (local, ext) = btfscope::core::program_parts(&input).unwrap();
    let program = Program::new(&local, &ext);
    let raw = kernel::vmlinux_btf();
    let kbtf = Btf::parse(&raw).unwrap();
    let target = Target::new(&kbtf);
    let m = btfscope::core::report::matrix(
        "core_fields.o",
        &program,
        &[("6.1".into(), &target)],
        |s| input.elf_section(s),
    );
    let why = btfscope::core::explain::explain(&program, &m, &[&target]);
    let old = m
        .relocations
        .iter()
        .position(|r| r.access == "struct task_struct___old.state" && r.kind == "byte_off")
        .unwrap();
    let e = why
        .iter()
        .find(|e| e.row == old)
        .expect("the poisoned cell is explained");
    assert!(
        e.local.starts_with("struct task_struct___old {") && e.local.contains("state;"),
        "{}",
        e.local
    );
    let t = e.target.as_deref().unwrap();
    assert!(
        t.starts_with("struct task_struct {") && t.contains("__state;"),
        "{t}"
    );
    // Every explained cell is one that is not plainly ok.
    for e in &why {
        let c = &m.relocations[e.row].results[e.kernel];
        assert!(!c.ok || c.reason.is_some());
    }
}
