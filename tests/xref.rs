//! The type index (analyze::xref) on the committed fixtures (vmlinux, nfs
//! and mlx5_core split on it): search, lookup by name, where a name is
//! defined and who refers to a type, each against a plain walk over the
//! BTF that does the same by brute force.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;

use btfscope::analyze::xref::{path_label, Located, TypeIndex, TypeIndexBuilder};
use btfscope::btf::read::kind_label;
use btfscope::btf::{Btf, Kind, TypeId};
use btfscope::intake::Input;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(path).unwrap()
}

const MODULES: [&str; 2] = ["nfs", "mlx5_core"];

/// The fixtures' raw BTF: vmlinux, then the modules.
fn sections() -> Vec<Vec<u8>> {
    std::iter::once("vmlinux")
        .chain(MODULES)
        .map(|name| {
            let file = fixture(&format!("{name}.btf.xz"));
            Input::open(&file).unwrap().btf_bytes().unwrap().to_vec()
        })
        .collect()
}

/// `f(base, modules)` on the parsed fixtures.
fn with_fixtures<T>(f: impl FnOnce(&Btf, &[Btf]) -> T) -> T {
    let raw = sections();
    let base = Btf::parse(&raw[0]).unwrap();
    let modules: Vec<Btf> = raw[1..]
        .iter()
        .map(|r| Btf::parse_split(r, &base).unwrap())
        .collect();
    f(&base, &modules)
}

fn index(base: &Btf, modules: &[Btf]) -> TypeIndex {
    let mut b = TypeIndexBuilder::new();
    b.add_base("vmlinux", base);
    for (name, m) in MODULES.iter().zip(modules) {
        b.add_module(name, m);
    }
    b.finish()
}

/// Every named type (type tags aside) of every source, by (kind, name).
fn named(base: &Btf, modules: &[Btf]) -> BTreeMap<(String, String), Vec<Located>> {
    let mut out: BTreeMap<(String, String), Vec<Located>> = BTreeMap::new();
    for (source, btf) in std::iter::once(base).chain(modules).enumerate() {
        for t in btf.local_types() {
            let name = btf.name(t.name_off());
            if name.is_empty() || t.kind() == Some(Kind::TypeTag) {
                continue;
            }
            out.entry((kind_label(t.kind_raw()), name.into_owned()))
                .or_default()
                .push(Located {
                    source: source as u32,
                    id: t.id,
                });
        }
    }
    out
}

#[test]
fn search_finds_every_name_containing_the_query_shortest_first() {
    with_fixtures(|base, modules| {
        let index = index(base, modules);
        let all = named(base, modules);
        assert_eq!(index.entries(), all.len());
        assert_eq!(
            index.types(),
            base.local_len() + modules.iter().map(Btf::local_len).sum::<usize>()
        );
        for query in ["task_struct", "SK_BUFF", "nfs4_", "mlx5e", "x", "zzzz_none"] {
            let lower = query.to_ascii_lowercase();
            let expected: BTreeSet<(String, String)> = all
                .keys()
                .filter(|(_, name)| name.to_ascii_lowercase().contains(&lower))
                .cloned()
                .collect();
            let hits = index.search(query, usize::MAX);
            assert_eq!(hits.total as usize, expected.len(), "{query}");
            let got: BTreeSet<(String, String)> = hits
                .hits
                .iter()
                .map(|h| (h.kind.clone(), h.name.clone()))
                .collect();
            assert_eq!(got, expected, "{query}");
            for h in &hits.hits {
                let defined = &all[&(h.kind.clone(), h.name.clone())];
                assert_eq!((h.count as usize, h.first), (defined.len(), defined[0]));
            }
            let lens: Vec<usize> = hits.hits.iter().map(|h| h.name.len()).collect();
            assert!(lens.is_sorted(), "{query}: shorter names first");
            let limited = index.search(query, 10);
            assert_eq!(limited.total, hits.total);
            assert_eq!(limited.hits[..], hits.hits[..hits.hits.len().min(10)]);
        }
        let first = &index.search("task_struct", 5).hits[0];
        assert_eq!(
            (first.kind.as_str(), first.name.as_str()),
            ("STRUCT", "task_struct")
        );
        assert_eq!(index.search("", 5).total, 0);
    });
}

#[test]
fn find_takes_a_name_or_a_kind_and_a_name() {
    with_fixtures(|base, modules| {
        let index = index(base, modules);
        let entry = |spec: &str| {
            let e = index
                .find(spec)
                .unwrap_or_else(|| panic!("{spec} not found"));
            let e = index.entry(e).unwrap();
            (e.kind, e.name)
        };
        assert_eq!(
            entry("task_struct"),
            ("STRUCT".into(), "task_struct".into())
        );
        assert_eq!(
            entry("struct task_struct"),
            ("STRUCT".into(), "task_struct".into())
        );
        assert_eq!(entry("u32"), ("TYPEDEF".into(), "u32".into()));
        assert_eq!(entry("FUNC schedule"), ("FUNC".into(), "schedule".into()));
        assert_eq!(entry("func schedule"), ("FUNC".into(), "schedule".into()));
        assert_eq!(index.find("TASK_STRUCT"), None, "names are case-sensitive");
        assert_eq!(index.find("union task_struct"), None);
        assert_eq!(index.find("nokind task_struct"), None);
        assert_eq!(index.find("no_such_type_anywhere"), None);
    });
}

#[test]
fn a_name_is_defined_in_the_base_and_the_modules_that_repeat_it() {
    with_fixtures(|base, modules| {
        let index = index(base, modules);
        let all = named(base, modules);
        // nfs.ko ships a stale copy of vmlinux's struct module.
        let module = index.entry(index.find("struct module").unwrap()).unwrap();
        let sources: Vec<u32> = module.defined.iter().map(|l| l.source).collect();
        assert_eq!(sources[0], 0);
        assert!(sources.contains(&1), "{module:?}");
        assert_eq!(module.defined, all[&("STRUCT".into(), "module".into())]);
        for (e, ((kind, name), defined)) in all.iter().enumerate().step_by(97) {
            let entry = index
                .entry(index.find(&format!("{kind} {name}")).unwrap())
                .unwrap();
            assert_eq!(&entry.defined, defined, "{e}: {kind} {name}");
            assert_eq!(index.entry_of(defined[0]), Some(entry.entry));
        }
        let sources: Vec<&str> = index.sources().collect();
        assert_eq!(sources, ["vmlinux", "nfs", "mlx5_core"]);
    });
}

/// The named types whose record reaches `target` through anonymous types
/// only, by walking down from every named type.
fn referrers_by_walking(base: &Btf, modules: &[Btf], target: Located) -> BTreeSet<Located> {
    let mut out = BTreeSet::new();
    let named = |btf: &Btf, id: TypeId| {
        let t = btf.type_by_id(id).unwrap();
        !btf.name(t.name_off()).is_empty() && t.kind() != Some(Kind::TypeTag)
    };
    for (source, btf) in std::iter::once(base).chain(modules).enumerate() {
        // A module's type is referred to from that module only.
        if target.source != 0 && target.source as usize != source {
            continue;
        }
        let target_id = target.id;
        for t in btf.local_types() {
            if !named(btf, t.id) {
                continue;
            }
            let mut seen = HashSet::new();
            let mut todo: Vec<TypeId> = t.type_ref_words().map(|w| t.word(w)).collect();
            while let Some(id) = todo.pop() {
                if id == 0 || !seen.insert(id) {
                    continue;
                }
                if id == target_id {
                    out.insert(Located {
                        source: source as u32,
                        id: t.id,
                    });
                    break;
                }
                if !named(btf, id) {
                    let u = btf.type_by_id(id).unwrap();
                    todo.extend(u.type_ref_words().map(|w| u.word(w)));
                }
            }
        }
    }
    out
}

#[test]
fn referrers_are_the_named_types_that_reach_a_type_through_anonymous_ones() {
    with_fixtures(|base, modules| {
        let index = index(base, modules);
        let at = |spec: &str| index.entry(index.find(spec).unwrap()).unwrap().defined[0];
        let targets = [
            at("struct mm_struct"),
            at("struct sk_buff"),
            at("struct module"),
            at("typedef u32"),
            at("struct nfs_server"),
            at("struct mlx5_core_dev"),
            at("struct list_head"),
            at("func schedule"),
        ];
        for target in targets {
            let expected = referrers_by_walking(base, modules, target);
            let found = index.referrers(target, usize::MAX);
            assert_eq!(found.total as usize, expected.len(), "{target:?}");
            let got: BTreeSet<Located> = found.referrers.iter().map(|r| r.at).collect();
            assert_eq!(got, expected, "{target:?}");
            let limited = index.referrers(target, 3);
            assert_eq!(
                limited.referrers[..],
                found.referrers[..found.referrers.len().min(3)]
            );
        }
        // Base types are referred to from the modules too.
        let sources = |spec: &str| -> BTreeSet<u32> {
            let found = index.referrers(at(spec), usize::MAX);
            found.referrers.iter().map(|r| r.at.source).collect()
        };
        assert_eq!(sources("struct inode"), BTreeSet::from([0, 1, 2]));
        assert_eq!(sources("struct sk_buff"), BTreeSet::from([0, 2]));
    });
}

#[test]
fn a_referrer_path_names_the_members_and_parameters_on_the_way() {
    with_fixtures(|base, modules| {
        let index = index(base, modules);
        let mm = index
            .entry(index.find("struct mm_struct").unwrap())
            .unwrap()
            .defined[0];
        let referrers = index.referrers(mm, usize::MAX);
        let task = referrers
            .referrers
            .iter()
            .find(|r| r.kind == "STRUCT" && r.name == "task_struct")
            .expect("task_struct refers to mm_struct");
        assert_eq!(task.chain.len(), 1, "through one pointer");
        assert_eq!(path_label(base, task, mm.id), "mm");
        let mmput = referrers
            .referrers
            .iter()
            .find(|r| r.kind == "FUNC" && r.name == "mmput")
            .expect("mmput takes a mm_struct");
        assert_eq!(path_label(base, mmput, mm.id), "mm");
        // Module referrers are labelled on the module's BTF.
        let sk_buff = index
            .entry(index.find("struct sk_buff").unwrap())
            .unwrap()
            .defined[0];
        for r in index.referrers(sk_buff, usize::MAX).referrers {
            let btf = if r.at.source == 0 {
                base
            } else {
                &modules[r.at.source as usize - 1]
            };
            let label = path_label(btf, &r, sk_buff.id);
            if r.kind == "STRUCT" {
                assert!(!label.is_empty(), "{r:?}");
            }
        }
    });
}

#[test]
fn a_module_graph_starts_at_the_struct_its_types_use_most() {
    use btfscope::analyze::graph::hub;
    with_fixtures(|_, modules| {
        let names: Vec<String> = modules
            .iter()
            .map(|m| {
                let id = hub(m).expect("a module has structs");
                assert!(id >= m.start_id(), "one of the module's own types");
                let t = m.type_by_id(id).unwrap();
                format!("{} {}", kind_label(t.kind_raw()), m.name(t.name_off()))
            })
            .collect();
        assert_eq!(names, ["STRUCT nfs_page", "STRUCT mlx5_core_dev"]);
    });
}

/// The fixtures as a browser's sources: the base, and the modules' raw BTF by key.
struct Fixtures<'a> {
    base: &'a Btf<'a>,
    modules: Vec<Vec<u8>>,
}

impl btfscope::analyze::browse::Sources for Fixtures<'_> {
    fn base(&self) -> Option<&Btf<'_>> {
        Some(self.base)
    }

    fn module_bytes(&self, key: u32) -> btfscope::Result<&[u8]> {
        Ok(&self.modules[key as usize])
    }
}

#[test]
fn the_browser_shows_a_type_as_the_c_header_and_pahole_do() {
    use btfscope::analyze::browse::Browser;
    use btfscope::analyze::layout::Layouts;
    let raw = sections();
    let base = Btf::parse(&raw[0]).unwrap();
    let sources = Fixtures {
        base: &base,
        modules: raw[1..].to_vec(),
    };
    let names: Vec<(String, u32)> = MODULES
        .iter()
        .enumerate()
        .map(|(k, n)| (n.to_string(), k as u32))
        .collect();
    let mut browser = Browser::new(&sources, &names).unwrap();
    let at = browser.find("task_struct", None).unwrap();
    let d = browser.detail(&sources, at).unwrap();
    assert_eq!(
        (d.kind.as_str(), d.name.as_str(), d.source.as_str()),
        ("STRUCT", "task_struct", "vmlinux")
    );
    assert_eq!(
        d.size,
        Some(base.type_by_id(at.id).unwrap().size_or_type() as u64)
    );
    let header = btfscope::btf::c::header(&base).unwrap();
    let c = d.c.as_deref().unwrap();
    assert!(
        c.starts_with("struct task_struct {\n") && c.ends_with("};\n"),
        "{c}"
    );
    assert_eq!(c.as_bytes(), header.definition(at.id).unwrap());
    let pahole = Layouts::new(&base)
        .unwrap()
        .pahole_selected(&["task_struct"])
        .text;
    assert_eq!(
        format!("{}\n", d.layout.as_deref().unwrap()).as_bytes(),
        &pahole[..]
    );
    assert!(
        d.referrers
            .iter()
            .any(|r| r.name == "task_struct" && !r.path.is_empty()),
        "a task refers to tasks (its parent, ...) through a member"
    );
    assert_eq!(browser.header(&sources, 0).unwrap(), header.text());
    // A module's type, on the module's own header (its base types included).
    let at = browser.find("module", Some("nfs")).unwrap();
    assert_eq!(at.source, 1);
    let d = browser.detail(&sources, at).unwrap();
    let nfs = Btf::parse_split(&raw[1], &base).unwrap();
    assert_eq!(
        d.c.as_deref().unwrap().as_bytes(),
        btfscope::btf::c::header(&nfs)
            .unwrap()
            .definition(at.id)
            .unwrap()
    );
    assert_eq!(d.entry.unwrap().defined.len(), 2, "vmlinux's and nfs's");
    assert!(browser.find("module", Some("mlx5_core")).is_none());
    assert!(browser
        .detail(&sources, Located { source: 7, id: 1 })
        .is_err());
}
