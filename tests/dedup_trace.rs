//! The dedup trace on the built-in cases of the Dedup view: traced output
//! equals untraced and libbpf 1.7's, the map agrees with the output, the
//! output replays from the decisions; and the CLI writes the same trace.

#[path = "common/cli.rs"]
mod cli;
#[path = "common/libbpf.rs"]
mod libbpf;
#[path = "common/trace.rs"]
mod trace;

use btfscope::btf::text::parse_spec;
use btfscope::btf::Btf;
use btfscope::dedup::cases::CASES;
use btfscope::dedup::trace::dedup_traced;
use btfscope::dedup::DedupRules;

#[test]
fn every_case_traces_replays_and_matches_libbpf() {
    assert!(CASES.len() >= 12);
    for case in CASES {
        let base = case.base.map(|b| parse_spec(b.as_bytes(), None).unwrap());
        let btf = parse_spec(case.spec.as_bytes(), base.as_ref())
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        for rules in [DedupRules::Current, DedupRules::Libbpf1_7] {
            let (ours, events) =
                trace::check(&btf, rules).unwrap_or_else(|e| panic!("{}: {e}", case.name));
            assert!(events > 5, "{}: {events} events", case.name);
            if rules == DedupRules::Libbpf1_7 {
                let lb_base = base
                    .as_ref()
                    .map(|b| libbpf::Base::new(&b.to_bytes()).unwrap());
                let theirs = libbpf::dedup(&btf.to_bytes(), lb_base.as_ref()).unwrap();
                libbpf::compare(&ours, &theirs, base.as_ref())
                    .unwrap_or_else(|e| panic!("{}: {e}", case.name));
            }
        }
    }
}

/// What each case is there to show actually happens.
#[test]
fn cases_show_their_mechanism() {
    let outcome = |name: &str| {
        let case = CASES.iter().find(|c| c.name == name).unwrap();
        let base = case.base.map(|b| parse_spec(b.as_bytes(), None).unwrap());
        let btf = parse_spec(case.spec.as_bytes(), base.as_ref()).unwrap();
        let (out, events) = dedup_traced(&btf, DedupRules::Current).unwrap();
        let map: Vec<u64> = events.last().unwrap()["map"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        (out.local_len(), map, events)
    };
    assert_eq!(outcome("strings").0, 2);
    assert_eq!(outcome("primitives").1, vec![0, 1, 1, 2, 3, 3, 4, 4, 5]);
    assert_eq!(outcome("struct-cycle").0, 3);
    assert_eq!(outcome("struct-differs").0, 6);
    // The FWD resolves inside the comparison of 'list'.
    let (n, map, _) = outcome("fwd-in-graph");
    assert_eq!((n, map[2], map[8]), (4, 4, 3));
    let (_, map, _) = outcome("fwd-pass");
    // FWD dev resolves; FWD buf stays (output id 3, after int and dev).
    assert_eq!((map[2], map[4]), (map[3], 3));
    assert_eq!(outcome("references").0, 6);
    assert_eq!(outcome("typedefs").1, vec![0, 1, 2, 1, 2, 3, 4]);
    assert_eq!(outcome("anon-unions").0, 3);
    // Split: the module's copies of base types merge into the base.
    let (n, map, _) = outcome("split");
    assert_eq!((n, &map[..]), (1, &[0, 1, 2, 3, 4][..]));
    // Two copies: the hypothetical map's conflict keeps pt_regs.
    let (_, map, events) = outcome("two-copies");
    assert!(map[1] >= 6, "pt_regs stays: {map:?}");
    assert!(events.iter().any(|e| e["event"] == "pair"
        && e["ok"] == false
        && e["why"].as_str().unwrap().contains("already paired")));
    let (_, map, events) = outcome("base-fwd");
    assert!(map[4] >= 4, "dev stays: {map:?}");
    assert!(events
        .iter()
        .any(|e| e["why"].as_str().is_some_and(|w| w.contains("base FWD"))));
}

/// A fresh directory, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(test: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("btfscope-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

#[test]
fn cli_trace_is_the_library_trace() {
    let dir = scratch("cli_trace");
    let case = CASES.iter().find(|c| c.name == "split").unwrap();
    let base_spec = dir.0.as_path().join("base.spec");
    let spec = dir.0.as_path().join("mod.spec");
    std::fs::write(&base_spec, case.base.unwrap()).unwrap();
    std::fs::write(&spec, case.spec).unwrap();
    let base_btf = dir.0.as_path().join("base.btf");
    let btf = dir.0.as_path().join("mod.btf");
    let out = dir.0.as_path().join("out.btf");
    let jsonl = dir.0.as_path().join("trace.jsonl");
    let p = |p: &std::path::Path| p.to_str().unwrap().to_string();
    cli::succeed(&mut cli::btfscope([
        "build",
        &p(&base_spec),
        "-o",
        &p(&base_btf),
    ]));
    cli::succeed(&mut cli::btfscope([
        "build",
        &p(&spec),
        "-B",
        &p(&base_btf),
        "-o",
        &p(&btf),
    ]));
    cli::succeed(&mut cli::btfscope([
        "dedup",
        &p(&btf),
        "-B",
        &p(&base_btf),
        "-o",
        &p(&out),
        "--trace",
        &p(&jsonl),
    ]));
    let base_raw = std::fs::read(&base_btf).unwrap();
    let base = Btf::parse(&base_raw).unwrap();
    let raw = std::fs::read(&btf).unwrap();
    let split = Btf::parse_split(&raw, &base).unwrap();
    let (lib_out, events) = dedup_traced(&split, DedupRules::Current).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), lib_out.to_bytes());
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines, events);
    assert_eq!(
        lines.last().unwrap()["map"],
        serde_json::json!([0, 1, 2, 3, 4])
    );
}

#[test]
fn spec_errors_name_line_and_column_on_the_cli() {
    let dir = scratch("spec_errors");
    let spec = dir.0.as_path().join("bad.spec");
    std::fs::write(&spec, "INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\nSTRUCT 's' size=4\n\t'a' bits_offset=0\n").unwrap();
    let out = dir.0.as_path().join("o.btf");
    let run = cli::btfscope(["build", spec.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("line 3, column 2: a member without a type"),
        "{err}"
    );
}
