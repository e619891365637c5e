//! The encoder against pahole 1.30 on the Debian 6.1 debug kernel: the
//! vmlinux and a small module. Needs scripts/fetch-dbg.sh and
//! scripts/fetch-pahole.sh; skips with a message otherwise, unless
//! BTFSCOPE_REQUIRE_DBG=1. See docs/ENCODE.md for the figures.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use btfscope::btf::{Btf, Kind};
use btfscope::encode::{encode, language_code, Features, Options};

fn cache() -> PathBuf {
    std::env::var_os("BTFSCOPE_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/btfscope")
        })
}

/// (pahole, vmlinux, module dir), or `None` after saying what is missing.
fn data(test: &str) -> Option<(PathBuf, PathBuf, PathBuf)> {
    let c = cache();
    let pahole = c.join("pahole-1.30/pahole");
    let vmlinux = c.join("dbg/vmlinux-6.1.0-55-amd64");
    let modules = c.join("dbg/modules");
    if pahole.is_file() && vmlinux.is_file() && modules.is_dir() {
        return Some((pahole, vmlinux, modules));
    }
    let msg = format!(
        "{test}: debug kernel or pahole not under {}; run scripts/fetch-dbg.sh and scripts/fetch-pahole.sh",
        c.display()
    );
    assert!(std::env::var_os("BTFSCOPE_REQUIRE_DBG").is_none(), "{msg}");
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "\n******** SKIPPED {msg} ********\n");
    None
}

fn pahole(pahole: &PathBuf, file: &PathBuf, base: Option<&PathBuf>, tag: &str) -> Vec<u8> {
    let out = std::env::temp_dir().join(format!("btfscope-{tag}-{}.btf", std::process::id()));
    let mut cmd = Command::new(pahole);
    cmd.args(["-J", "-j2", "--btf_features=default", "--lang_exclude=rust"]);
    if let Some(b) = base {
        cmd.arg("--btf_base").arg(b);
    }
    let status = cmd
        .arg(format!("--btf_encode_detached={}", out.display()))
        .arg(file)
        .status()
        .unwrap();
    assert!(status.success(), "pahole failed on {}", file.display());
    let bytes = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    bytes
}

fn ours<'b>(file: &PathBuf, base: Option<&'b Btf<'b>>) -> Btf<'b> {
    let opts = Options {
        features: Features::default_set(),
        lang_exclude: vec![language_code("rust").unwrap()],
    };
    encode(&std::fs::read(file).unwrap(), base, &opts, &|_, _| {})
        .unwrap()
        .0
}

/// A type as text that does not depend on ids: named types by name,
/// anonymous ones spelled out (to a bounded depth).
fn describe(btf: &Btf, id: u32, depth: usize) -> String {
    let Some(t) = btf.type_by_id(id) else {
        return "void".into();
    };
    let name = btf.name(t.name_off()).into_owned();
    let kind = t.kind().map_or("?", |k| k.name());
    match t.kind() {
        Some(Kind::Ptr | Kind::Const | Kind::Volatile | Kind::Restrict | Kind::TypeTag) => {
            format!("{kind}{name} {}", describe(btf, t.size_or_type(), depth))
        }
        Some(Kind::Array) => {
            let a = t.array();
            format!("[{}]{}", a.nelems, describe(btf, a.elem_type, depth))
        }
        Some(Kind::FuncProto) => {
            let params: Vec<_> = t
                .params()
                .map(|p| describe(btf, p.type_id, depth))
                .collect();
            format!(
                "fn({}) -> {}",
                params.join(", "),
                describe(btf, t.size_or_type(), depth)
            )
        }
        _ if name.is_empty() && depth > 0 => layout(btf, id, depth - 1),
        _ => format!("{kind} {name}"),
    }
}

/// A named type's layout: size, members with offsets, values.
fn layout(btf: &Btf, id: u32, depth: usize) -> String {
    let t = btf.type_by_id(id).unwrap();
    let mut s = format!(
        "{} size={}",
        t.kind().map_or("?", |k| k.name()),
        t.size_or_type()
    );
    match t.kind() {
        Some(Kind::Struct | Kind::Union) => {
            for m in t.members() {
                s += &format!(
                    " {}@{}:{}={}",
                    btf.name(m.name_off),
                    m.bit_offset(t.kflag()),
                    m.bitfield_size(t.kflag()),
                    describe(btf, m.type_id, depth)
                );
            }
        }
        Some(Kind::Enum) => t
            .enum_values()
            .for_each(|v| s += &format!(" {}={}", btf.name(v.name_off), v.value)),
        Some(Kind::Enum64) => t
            .enum64_values()
            .for_each(|v| s += &format!(" {}={}", btf.name(v.name_off), v.value)),
        Some(Kind::Typedef) => s = describe(btf, t.size_or_type(), depth),
        _ => {}
    }
    s
}

/// Every named struct, union, enum and typedef with its layouts.
fn named_layouts(btf: &Btf) -> BTreeMap<String, BTreeSet<String>> {
    let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for t in btf.local_types() {
        if matches!(
            t.kind(),
            Some(Kind::Struct | Kind::Union | Kind::Enum | Kind::Enum64 | Kind::Typedef)
        ) && t.name_off() != 0
        {
            let key = format!("{} {}", t.kind().unwrap().name(), btf.name(t.name_off()));
            map.entry(key).or_default().insert(layout(btf, t.id, 2));
        }
    }
    map
}

fn funcs(btf: &Btf) -> BTreeSet<String> {
    btf.local_types()
        .filter(|t| t.kind() == Some(Kind::Func))
        .map(|t| btf.name(t.name_off()).into_owned())
        .collect()
}

fn kinds(btf: &Btf) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for t in btf.local_types() {
        *m.entry(t.kind().map_or("?", |k| k.name())).or_default() += 1;
    }
    m
}

#[test]
fn vmlinux_matches_pahole() {
    let Some((pahole_bin, vmlinux, _)) = data("vmlinux_matches_pahole") else {
        return;
    };
    let theirs_raw = pahole(&pahole_bin, &vmlinux, None, "vmlinux");
    let theirs = Btf::parse(&theirs_raw).unwrap();
    let ours = ours(&vmlinux, None);
    let (k1, k2) = (kinds(&ours), kinds(&theirs));
    for (kind, &n) in &k2 {
        let m = k1.get(kind).copied().unwrap_or(0);
        assert!(
            (m as f64 - n as f64).abs() <= n as f64 * 0.005,
            "{kind}: ours {m}, pahole {n}"
        );
    }
    assert_eq!(named_layouts(&ours), named_layouts(&theirs));
    let (f1, f2) = (funcs(&ours), funcs(&theirs));
    let only_ours: Vec<_> = f1.difference(&f2).collect();
    let only_theirs: Vec<_> = f2.difference(&f1).collect();
    assert!(
        only_ours.is_empty() && only_theirs.is_empty(),
        "FUNCs only ours {only_ours:?}, only pahole's {only_theirs:?}"
    );
}

#[test]
fn module_layouts_match_pahole() {
    let Some((pahole_bin, vmlinux, modules)) = data("module_layouts_match_pahole") else {
        return;
    };
    // The base both encode the module on: pahole's vmlinux BTF.
    let base_raw = pahole(&pahole_bin, &vmlinux, None, "base");
    let base_path = std::env::temp_dir().join(format!("btfscope-base-{}.btf", std::process::id()));
    std::fs::write(&base_path, &base_raw).unwrap();
    let base = Btf::parse(&base_raw).unwrap();
    let module = modules.join("veth.ko");
    let theirs_raw = pahole(&pahole_bin, &module, Some(&base_path), "veth");
    let _ = std::fs::remove_file(&base_path);
    let theirs = Btf::parse_split(&theirs_raw, &base).unwrap();
    let ours = ours(&module, Some(&base));
    // Our dedup follows libbpf 1.7, which does not merge a module's
    // typedefs into the base's (pahole 1.30 runs libbpf 1.5): ours has
    // base types again. Every type pahole has must be in ours, the same.
    let (mine, theirs_l) = (named_layouts(&ours), named_layouts(&theirs));
    for (name, layouts) in &theirs_l {
        assert_eq!(mine.get(name), Some(layouts), "{name}");
    }
    assert_eq!(funcs(&ours), funcs(&theirs));
}
