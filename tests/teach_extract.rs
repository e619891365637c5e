//! A module type as a dedup case ("why was this not merged?",
//! `dedup::extract`): on real Debian 6.1 modules, dedup of the small case
//! reaches the verdict dedup of the whole module on the whole vmlinux
//! reaches for that type (merged into the same base type, or kept), under
//! both rule sets; and the CLI writes the library's specs.

#[path = "common/cli.rs"]
mod cli;
#[path = "common/kernel.rs"]
mod kernel;

use btfscope::btf::text::parse_spec;
use btfscope::btf::{Btf, TypeId};
use btfscope::dedup::extract::{extract, find_type, Extracted};
use btfscope::dedup::{representatives, BaseIndex, DedupRules};
use btfscope::intake::Input;

/// Where dedup sends `id` of `btf` (on `base`): `Ok(base id)` when it
/// merges into the base, `Err(split id)` when it stays in the split BTF.
fn verdict(base: &Btf, btf: &Btf, id: TypeId, rules: DedupRules) -> Result<TypeId, TypeId> {
    let index = BaseIndex::with_rules(base, rules).unwrap();
    let to = representatives(&index, btf).unwrap()[(id - btf.start_id()) as usize];
    if to < btf.start_id() {
        Ok(to)
    } else {
        Err(to)
    }
}

/// The case's verdict, in the real BTFs' ids.
fn case_verdict(x: &Extracted, rules: DedupRules) -> Result<TypeId, TypeId> {
    let tiny = parse_spec(x.base_spec.as_bytes(), None).unwrap();
    let split = parse_spec(x.spec.as_bytes(), Some(&tiny)).unwrap();
    match verdict(&tiny, &split, x.root, rules) {
        Ok(b) => Ok(x.base_ids[b as usize - 1]),
        Err(m) => Err(x.module_ids[(m - split.start_id()) as usize]),
    }
}

/// Every own named type of `module` with a base type of its name: the
/// case's verdict is the real one. Returns (type, real verdict, case).
fn check_module(
    vmlinux: &Btf,
    indexes: &[(DedupRules, BaseIndex)],
    base_names: &std::collections::HashSet<&[u8]>,
    path: &std::path::Path,
) -> Vec<(String, Result<TypeId, TypeId>, Extracted)> {
    let bytes = std::fs::read(path).unwrap();
    let input = Input::open(&bytes).unwrap();
    let shown = path.display();
    input
        .with_btf(Some(vmlinux), |btf| {
            let mut cases = Vec::new();
            for t in btf.local_types() {
                let name = btf.name(t.name_off());
                if name.is_empty()
                    || !matches!(t.kind_raw(), 4 | 5 | 6 | 7 | 8 | 19)
                    || !base_names.contains(name.as_bytes())
                {
                    continue;
                }
                let x = extract(vmlinux, btf, t.id).unwrap();
                if !x.candidates.is_empty() {
                    cases.push((t.id, x));
                }
            }
            let mut out = Vec::new();
            for (rules, index) in indexes {
                if cases.is_empty() {
                    break;
                }
                let reps = representatives(index, btf).unwrap();
                for (id, x) in &cases {
                    let to = reps[(id - btf.start_id()) as usize];
                    let real = if to < btf.start_id() { Ok(to) } else { Err(to) };
                    assert_eq!(
                        case_verdict(x, *rules),
                        real,
                        "{shown}: {} [{id}] under {rules:?}\n{}\n{}",
                        x.title,
                        x.base_spec,
                        x.spec
                    );
                    if *rules == DedupRules::Current {
                        out.push((x.title.clone(), real, x.clone()));
                    }
                }
            }
            Ok(out)
        })
        .unwrap()
}

/// The names of the base's types (a type of another name has no candidate).
fn names<'a>(vmlinux: &'a Btf<'a>) -> std::collections::HashSet<&'a [u8]> {
    vmlinux
        .local_types()
        .filter_map(|t| vmlinux.str_at(t.name_off()))
        .collect()
}

fn indexes<'a>(vmlinux: &'a Btf<'a>) -> Vec<(DedupRules, BaseIndex<'a>)> {
    [DedupRules::Current, DedupRules::Libbpf1_7]
        .into_iter()
        .map(|r| (r, BaseIndex::with_rules(vmlinux, r).unwrap()))
        .collect()
}

/// With BTFSCOPE_ALL_MODULES=1: every module of the kernel, not a sample.
#[test]
fn every_module_with_all_modules_set() {
    if std::env::var_os("BTFSCOPE_ALL_MODULES").is_none()
        || !kernel::available("every_module_with_all_modules_set")
    {
        return;
    }
    let vm = kernel::vmlinux_btf();
    let vmlinux = Btf::parse(&vm).unwrap();
    let idx = indexes(&vmlinux);
    let base_names = names(&vmlinux);
    let mut checked = 0;
    for path in kernel::module_paths() {
        checked += check_module(&vmlinux, &idx, &base_names, &path).len();
    }
    eprintln!("teach-extract: {checked} module types' cases reach the real verdict");
}

#[test]
fn cases_reach_the_real_verdicts() {
    if !kernel::available("cases_reach_the_real_verdicts") {
        return;
    }
    let vm = kernel::vmlinux_btf();
    let vmlinux = Btf::parse(&vm).unwrap();
    let idx = indexes(&vmlinux);
    let base_names = names(&vmlinux);
    let mut all = Vec::new();
    for path in [
        "fs/nfs/nfs.ko",
        "drivers/net/ethernet/mellanox/mlx5/core/mlx5_core.ko",
        "net/netfilter/nf_conntrack_netlink.ko",
        "net/netfilter/nf_nat_irc.ko",
    ] {
        all.extend(
            check_module(
                &vmlinux,
                &idx,
                &base_names,
                &kernel::modules_dir().join(path),
            )
            .into_iter()
            .map(|(t, v, x)| (format!("{path}: {t}"), v, x)),
        );
    }
    let find = |what: &str| {
        all.iter()
            .find(|(t, ..)| t == what)
            .unwrap_or_else(|| panic!("{what} not checked"))
    };
    // Merged by a current dedup (nfs.ko ships a stale copy): into base [143].
    let (_, v, x) = find("fs/nfs/nfs.ko: struct module");
    assert_eq!(*v, Ok(143));
    assert!(x.base_ids.len() < 2000 && x.module_ids.len() < 200);
    // Not merged: a member's name differs.
    let (_, v, x) = find("drivers/net/ethernet/mellanox/mlx5/core/mlx5_core.ko: struct mac_addr");
    assert!(v.is_err());
    assert!(x.base_ids.len() < 50, "{}", x.base_spec);
    // Not merged: the base has only a forward declaration somewhere below.
    assert!(
        find("net/netfilter/nf_nat_irc.ko: struct nf_conntrack_expect")
            .1
            .is_err()
    );
    assert!(
        find("net/netfilter/nf_conntrack_netlink.ko: enum nf_nat_manip_type")
            .1
            .is_err()
    );
    assert!(all.len() >= 6, "{} types", all.len());
}

#[test]
fn finds_types_by_name_kind_or_id() {
    if !kernel::available("finds_types_by_name_kind_or_id") {
        return;
    }
    let vm = kernel::vmlinux_btf();
    let vmlinux = Btf::parse(&vm).unwrap();
    let bytes = std::fs::read(kernel::modules_dir().join("fs/nfs/nfs.ko")).unwrap();
    Input::open(&bytes)
        .unwrap()
        .with_btf(Some(&vmlinux), |btf| {
            let id = find_type(btf, "struct module")?;
            assert_eq!(find_type(btf, "module")?, id);
            assert_eq!(find_type(btf, &id.to_string())?, id);
            let e = find_type(btf, "union module").unwrap_err();
            assert!(e.message.contains("no type named 'union module'"), "{e}");
            let e = find_type(btf, "5").unwrap_err();
            assert!(
                e.message.contains("not one of the module's own types"),
                "{e}"
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn cli_writes_the_library_specs() {
    if !kernel::available("cli_writes_the_library_specs") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("btfscope-teach-extract-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let module = kernel::modules_dir().join("drivers/net/ethernet/mellanox/mlx5/core/mlx5_core.ko");
    let out = cli::succeed(
        cli::btfscope(["teach-extract"])
            .arg(&module)
            .arg("-B")
            .arg(kernel::vmlinux_path())
            .args(["--type", "struct mac_addr", "-o"])
            .arg(dir.join("mac")),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("struct mac_addr is ["), "{text}");
    let vm = kernel::vmlinux_btf();
    let vmlinux = Btf::parse(&vm).unwrap();
    let bytes = std::fs::read(&module).unwrap();
    let x = Input::open(&bytes)
        .unwrap()
        .with_btf(Some(&vmlinux), |btf| {
            extract(&vmlinux, btf, find_type(btf, "struct mac_addr")?)
        })
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("mac.base.spec")).unwrap(),
        x.base_spec
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("mac.spec")).unwrap(),
        x.spec
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
