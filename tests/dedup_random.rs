//! Random type graphs, deduplicated by us and by libbpf 1.7: the bytes must
//! be identical. Each graph is a small "program" of types (structs that
//! point at each other, forward declarations, anonymous types, enums and
//! their forwards, typedefs, type and decl tags, functions, variables)
//! emitted by several compilation units, which see and spell it slightly
//! differently, the way a compiler and pahole would. Half the graphs are
//! split BTF on a base made of other units.
//!
//! A second test adds adversarial shapes to every unit, in the spirit of
//! wasm-smith's: long reference chains, pointer cycles, records with
//! thousands of members, many forwards of one name, verbatim copies of a
//! unit, and enum forwards. `BTFSCOPE_DEDUP_HOSTILE=<n>` runs `n` of those
//! graphs instead of the default few hundred.
//!
//! The generator is seeded; a failure prints the seed, and
//! `BTFSCOPE_DEDUP_SEED=<seed>` replays just that graph (in both tests).

#[path = "common/libbpf.rs"]
mod libbpf;
#[path = "common/rawbtf.rs"]
mod rawbtf;
#[path = "common/trace.rs"]
mod trace;

use std::collections::HashMap;

use btfscope::analyze::full::{full_split, full_split_sizes, FullIndex};
use btfscope::btf::Btf;
use btfscope::dedup::{dedup, dedup_owned, dedup_split, BaseIndex, DedupRules};
use rawbtf::*;

/// splitmix64: small, good enough, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

/// Few names, so that unrelated types often share one.
const NAMES: &[&str] = &["a", "b", "s", "node", "list", "foo", "ops", ""];
const MEMBERS: &[&str] = &["x", "y", "next", "prev", "data", "len"];
const TAGS: &[&str] = &["user", "rcu", "percpu"];

#[derive(Clone, Debug)]
enum Expr {
    Void,
    Node(usize),
    Ptr(Box<Expr>),
    Const(Box<Expr>),
    Volatile(Box<Expr>),
    Tag(&'static str, Box<Expr>),
    Array(Box<Expr>, u32),
}

#[derive(Clone, Debug)]
enum Node {
    Int(&'static str, u32),
    Float(&'static str, u32),
    Enum {
        name: &'static str,
        values: Vec<(&'static str, i32)>,
        wide: bool,
    },
    Composite {
        name: &'static str,
        union: bool,
        members: Vec<(&'static str, Expr)>,
    },
    Typedef(&'static str, Expr),
    Func(&'static str, Expr, Vec<(&'static str, Expr)>),
}

fn gen_expr(rng: &mut Rng, nodes: usize, depth: u32) -> Expr {
    let leaf = || Expr::Node(0);
    if depth > 2 {
        return leaf();
    }
    match rng.below(10) {
        0 => Expr::Void,
        1..=3 => Expr::Ptr(Box::new(gen_expr(rng, nodes, depth + 1))),
        4 => Expr::Const(Box::new(gen_expr(rng, nodes, depth + 1))),
        5 => Expr::Volatile(Box::new(gen_expr(rng, nodes, depth + 1))),
        6 => Expr::Tag(rng.pick(TAGS), Box::new(gen_expr(rng, nodes, depth + 1))),
        7 => Expr::Array(
            Box::new(Expr::Node(rng.below(nodes))),
            rng.below(3) as u32 + 1,
        ),
        _ => Expr::Node(rng.below(nodes)),
    }
}

fn gen_program(rng: &mut Rng) -> Vec<Node> {
    let n = 4 + rng.below(14);
    let mut nodes = vec![Node::Int("int", 4)];
    while nodes.len() < n {
        let node = match rng.below(12) {
            0 => Node::Int(rng.pick(&["long", "char", "int"]), rng.pick(&[1, 4, 8])),
            1 => Node::Float(rng.pick(&["float", "double", "int"]), rng.pick(&[4, 8])),
            2 | 3 => Node::Enum {
                name: rng.pick(NAMES),
                values: (0..rng.below(3))
                    .map(|i| (rng.pick(MEMBERS), i as i32 - 1))
                    .collect(),
                wide: rng.percent(20),
            },
            // Only earlier nodes: a cycle made of reference types alone
            // (no struct, union or prototype on it) makes libbpf spin.
            4 => Node::Typedef(rng.pick(NAMES), gen_expr(rng, nodes.len(), 0)),
            5 => Node::Func(
                rng.pick(NAMES),
                gen_expr(rng, n, 1),
                (0..rng.below(3))
                    .map(|_| (rng.pick(MEMBERS), gen_expr(rng, n, 1)))
                    .collect(),
            ),
            _ => Node::Composite {
                name: rng.pick(NAMES),
                union: rng.percent(15),
                members: (0..1 + rng.below(4))
                    .map(|_| (rng.pick(MEMBERS), gen_expr(rng, n, 0)))
                    .collect(),
            },
        };
        nodes.push(node);
    }
    nodes
}

/// One compilation unit emitting (part of) the program into a BTF.
struct Unit<'r> {
    raw: &'r mut Raw,
    prog: &'r [Node],
    rng: &'r mut Rng,
    /// Records of this unit, in id order, from id `first`.
    recs: Vec<Vec<u32>>,
    first: u32,
    full: HashMap<usize, u32>,
    fwds: HashMap<usize, u32>,
    /// Types this unit only declares (reached through pointers).
    declared_only: Vec<bool>,
    /// A split unit may refer to the base's copies directly.
    base_ids: Option<&'r HashMap<usize, u32>>,
    /// One composite this unit spells differently (another member name).
    mutated: Option<usize>,
}

impl Unit<'_> {
    fn alloc(&mut self) -> u32 {
        self.recs.push(Vec::new());
        self.first + self.recs.len() as u32 - 1
    }

    fn put(&mut self, id: u32, rec: Vec<u32>) {
        self.recs[(id - self.first) as usize] = rec;
    }

    fn name(&mut self, s: &str) -> u32 {
        // Now and then a duplicate copy of the string.
        if self.rng.percent(10) {
            self.raw.str_new(s)
        } else {
            self.raw.str(s)
        }
    }

    fn simple(&mut self, name: &str, kind: u32, to: u32) -> u32 {
        let n = self.name(name);
        let id = self.alloc();
        self.put(id, vec![n, info(kind, 0, false), to]);
        id
    }

    fn expr(&mut self, e: &Expr, through_ptr: bool) -> u32 {
        match e {
            Expr::Void => 0,
            Expr::Node(i) => self.node(*i, through_ptr),
            Expr::Ptr(t) => {
                let to = self.expr(t, true);
                self.simple("", PTR, to)
            }
            Expr::Const(t) => {
                let to = self.expr(t, through_ptr);
                self.simple("", CONST, to)
            }
            Expr::Volatile(t) => {
                let to = self.expr(t, through_ptr);
                self.simple("", VOLATILE, to)
            }
            Expr::Tag(v, t) => {
                let to = self.expr(t, through_ptr);
                self.simple(v, TYPE_TAG, to)
            }
            Expr::Array(t, n) => {
                let elem = self.expr(t, false);
                let index = self.node(0, false);
                let id = self.alloc();
                self.put(id, vec![0, info(ARRAY, 0, false), 0, elem, index, *n]);
                id
            }
        }
    }

    fn node(&mut self, i: usize, through_ptr: bool) -> u32 {
        if let Some(&id) = self.base_ids.and_then(|b| b.get(&i)) {
            if self.rng.percent(60) {
                return id;
            }
        }
        if let Some(&id) = self.full.get(&i) {
            // Now and then the compiler emits an anonymous type twice.
            let anon = matches!(&self.prog[i], Node::Composite { name: "", .. });
            if !(anon && self.rng.percent(15)) {
                return id;
            }
        }
        if through_ptr && self.declared_only[i] {
            if let Some(&id) = self.fwds.get(&i) {
                return id;
            }
            let fwd = match &self.prog[i] {
                Node::Composite { name, union, .. } if !name.is_empty() => {
                    let n = self.name(name);
                    Some(vec![n, info(FWD, 0, *union), 0])
                }
                Node::Enum { name, wide, .. } if !name.is_empty() => {
                    let n = self.name(name);
                    Some(vec![
                        n,
                        info(if *wide { ENUM64 } else { ENUM }, 0, false),
                        if *wide { 8 } else { 4 },
                    ])
                }
                _ => None,
            };
            if let Some(rec) = fwd {
                let id = self.alloc();
                self.put(id, rec);
                self.fwds.insert(i, id);
                return id;
            }
        }
        let id = self.alloc();
        self.full.entry(i).or_insert(id);
        let rec = match self.prog[i].clone() {
            Node::Int(name, size) => {
                let n = self.name(name);
                vec![n, info(INT, 0, false), size, (1 << 24) | (size * 8)]
            }
            Node::Float(name, size) => vec![self.name(name), info(FLOAT, 0, false), size],
            Node::Enum { name, values, wide } => {
                let n = self.name(name);
                let signed = values.iter().any(|v| v.1 < 0);
                let kind = if wide { ENUM64 } else { ENUM };
                let mut w = vec![
                    n,
                    info(kind, values.len() as u32, signed),
                    if wide { 8 } else { 4 },
                ];
                for (v, x) in values {
                    w.push(self.name(v));
                    w.push(x as u32);
                    if wide {
                        w.push(if x < 0 { u32::MAX } else { 0 });
                    }
                }
                w
            }
            Node::Composite {
                name,
                union,
                members,
            } => {
                let n = self.name(name);
                let mut w = vec![
                    n,
                    info(
                        if union { UNION } else { STRUCT },
                        members.len() as u32,
                        false,
                    ),
                ];
                w.push(8 * members.len() as u32);
                for (k, (m, e)) in members.iter().enumerate() {
                    let t = self.expr(e, false);
                    let m = if self.mutated == Some(i) && k == 0 {
                        "changed"
                    } else {
                        m
                    };
                    w.push(self.name(m));
                    w.push(t);
                    w.push(if union { 0 } else { 64 * k as u32 });
                }
                w
            }
            Node::Typedef(name, e) => {
                let t = self.expr(&e, false);
                vec![self.name(name), info(TYPEDEF, 0, false), t]
            }
            Node::Func(name, ret, params) => {
                let r = self.expr(&ret, false);
                let proto = self.alloc();
                let mut w = vec![0, info(FUNC_PROTO, params.len() as u32, false), r];
                for (p, e) in &params {
                    let t = self.expr(e, false);
                    w.push(self.name(p));
                    w.push(t);
                }
                self.put(proto, w);
                vec![self.name(name), info(FUNC, 1, false), proto]
            }
        };
        self.put(id, rec);
        if self.rng.percent(10) && matches!(self.prog[i], Node::Composite { .. } | Node::Func(..)) {
            let tag = self.alloc();
            let value = self.rng.pick(TAGS);
            let v = self.name(value);
            self.put(tag, vec![v, info(DECL_TAG, 0, false), id, u32::MAX]);
        }
        id
    }

    /// Emits some roots of the program, maybe a variable section, and
    /// appends the unit's records. Returns the ids of full definitions.
    fn emit(mut self) -> HashMap<usize, u32> {
        let roots = 1 + self.rng.below(self.prog.len());
        for _ in 0..roots {
            let i = self.rng.below(self.prog.len());
            self.node(i, false);
        }
        if self.rng.percent(20) {
            let t = self.node(0, false);
            let n = self.name("v");
            let var = self.alloc();
            self.put(var, vec![n, info(VAR, 0, false), t, 1]);
            let sec = self.alloc();
            let s = self.name(".data");
            self.put(sec, vec![s, info(DATASEC, 1, false), 4, var, 0, 4]);
        }
        for rec in &self.recs {
            self.raw.add(rec);
        }
        self.full
    }
}

/// Appends one to three adversarial shapes to `raw`, on its own `int`.
fn hostile(raw: &mut Raw, rng: &mut Rng) {
    let int = raw.int("int", 4);
    for _ in 0..1 + rng.below(3) {
        match rng.below(5) {
            // A reference chain, deep but within what libbpf's recursive
            // equivalence check survives on a test thread's stack.
            0 => {
                let kind = rng.pick(&[PTR, CONST, VOLATILE, TYPEDEF]);
                let mut t = int;
                for _ in 0..1 + rng.below(2000) {
                    t = match kind {
                        TYPEDEF => raw.typedef(rng.pick(NAMES), t),
                        _ => raw.refer(kind, t),
                    };
                }
            }
            // A cycle of structs through pointers, `k` long: each points
            // at the next, the last at the first.
            1 => {
                let k = 1 + rng.below(6) as u32;
                let first = raw.next_id;
                for i in 0..k {
                    // The struct, then its pointer to the next struct.
                    let own_ptr = raw.next_id + 1;
                    let next = if i + 1 == k { first } else { own_ptr + 1 };
                    raw.strukt(rng.pick(NAMES), 8, &[("next", own_ptr, 0)]);
                    raw.ptr(next);
                }
            }
            // Many members or values (vlen is 16 bits in libbpf).
            2 => {
                let n = 1000 + rng.below(10_000);
                if rng.percent(50) {
                    let members: Vec<(&str, u32, u32)> = (0..n)
                        .map(|i| (rng.pick(MEMBERS), int, 32 * i as u32))
                        .collect();
                    raw.strukt(rng.pick(NAMES), 4 * n as u32, &members);
                } else {
                    let values: Vec<(&str, i32)> =
                        (0..n).map(|i| (rng.pick(MEMBERS), i as i32)).collect();
                    raw.enumeration(rng.pick(NAMES), 4, &values);
                }
            }
            // Forwards of one name, struct and union alike, around its
            // definitions.
            3 => {
                let name = rng.pick(NAMES);
                for _ in 0..rng.below(50) {
                    let fwd = raw.fwd(name, rng.percent(20));
                    raw.ptr(fwd);
                }
                for _ in 0..rng.below(3) {
                    raw.composite(rng.pick(&[STRUCT, UNION]), name, 4, &[("x", int, 0)]);
                }
            }
            // Enum forwards (vlen 0) next to full enums of the same name.
            _ => {
                let name = rng.pick(NAMES);
                for _ in 0..1 + rng.below(5) {
                    match rng.below(4) {
                        0 => raw.enumeration(name, 4, &[]),
                        1 => raw.enum64(name, 8, &[]),
                        2 => raw.enumeration(name, 4, &[("x", 1)]),
                        _ => raw.enum64(name, 8, &[("x", 1 << 40)]),
                    };
                }
            }
        }
    }
}

/// Emits one unit (with adversarial shapes when `hostile`) and returns its
/// full definitions. A hostile unit is now and then emitted twice from the
/// same random state: two identical copies, ids apart.
fn emit_unit(
    raw: &mut Raw,
    prog: &[Node],
    rng: &mut Rng,
    base_ids: Option<&HashMap<usize, u32>>,
    hostile_shapes: bool,
) -> HashMap<usize, u32> {
    let copies = if hostile_shapes && rng.percent(30) {
        2
    } else {
        1
    };
    let state = rng.0;
    let mut first = None;
    for _ in 0..copies {
        rng.0 = state;
        let ids = unit(raw, prog, rng, base_ids).emit();
        if hostile_shapes {
            hostile(raw, rng);
        }
        first.get_or_insert(ids);
    }
    first.unwrap()
}

fn unit<'r>(
    raw: &'r mut Raw,
    prog: &'r [Node],
    rng: &'r mut Rng,
    base_ids: Option<&'r HashMap<usize, u32>>,
) -> Unit<'r> {
    let declared_only = (0..prog.len()).map(|_| rng.percent(30)).collect();
    let mutated = rng.percent(10).then(|| rng.below(prog.len()));
    Unit {
        first: raw.next_id,
        raw,
        prog,
        rng,
        recs: Vec::new(),
        full: HashMap::new(),
        fwds: HashMap::new(),
        declared_only,
        base_ids,
        mutated,
    }
}

/// What happened to one graph.
#[derive(Default)]
struct Outcome {
    types_in: usize,
    types_out: usize,
    refused: bool,
}

/// The consuming variant the encoder uses gives the same answer.
fn same_when_owned(btf: &Btf) -> Result<(), String> {
    let owned = dedup_owned(btf.clone()).map(|b| b.to_bytes()).ok();
    match owned == dedup(btf).map(|b| b.to_bytes()).ok() {
        true => Ok(()),
        false => Err("dedup_owned differs from dedup".into()),
    }
}

/// Graph `seed`: a base BTF (of one unit when `one_unit_base`, which
/// usually makes it a deduplication fixed point), and a split BTF on it for
/// odd seeds.
fn generate(seed: u64, hostile_shapes: bool, one_unit_base: bool) -> (Vec<u8>, Option<Vec<u8>>) {
    let mut rng = Rng(seed);
    let prog = gen_program(&mut rng);
    let split = seed % 2 == 1;
    let mut base = Raw::base();
    let mut base_ids = HashMap::new();
    let units = if one_unit_base { 1 } else { 1 + rng.below(3) };
    for u in 0..units {
        let ids = emit_unit(&mut base, &prog, &mut rng, None, hostile_shapes);
        if u == 0 {
            base_ids = ids;
        }
    }
    if !split {
        return (base.bytes(), None);
    }
    let mut module = Raw::split(base.next_id, base.strings.len() as u32);
    for _ in 0..1 + rng.below(3) {
        emit_unit(
            &mut module,
            &prog,
            &mut rng,
            Some(&base_ids),
            hostile_shapes,
        );
    }
    (base.bytes(), Some(module.bytes()))
}

/// Runs graph `seed`; Err describes a mismatch.
fn run(seed: u64, hostile_shapes: bool) -> Result<Outcome, String> {
    let (base_raw, module_raw) = generate(seed, hostile_shapes, false);
    let base_btf = Btf::parse(&base_raw).map_err(|e| format!("base parse: {e}"))?;
    let Some(module_raw) = module_raw else {
        let ours = dedup(&base_btf);
        same_when_owned(&base_btf)?;
        let outcome = outcome(base_btf.local_len(), &ours);
        agree(
            ours.map(|b| b.to_bytes()),
            libbpf::dedup(&base_raw, None),
            None,
        )?;
        return Ok(outcome);
    };
    let btf = Btf::parse_split(&module_raw, &base_btf).map_err(|e| format!("split parse: {e}"))?;
    same_when_owned(&btf)?;
    let index = BaseIndex::with_rules(&base_btf, DedupRules::Libbpf1_7)
        .map_err(|e| format!("index: {e}"))?;
    let ours = dedup_split(&index, &btf);
    let outcome = outcome(btf.local_len(), &ours);
    let lb = libbpf::Base::new(&base_raw).map_err(|e| format!("libbpf base error {e}"))?;
    agree(
        ours.map(|b| b.to_bytes()),
        libbpf::dedup(&module_raw, Some(&lb)),
        Some(&base_btf),
    )?;
    Ok(outcome)
}

fn outcome(types_in: usize, ours: &btfscope::Result<Btf>) -> Outcome {
    Outcome {
        types_in,
        types_out: ours.as_ref().map_or(0, |b| b.local_len()),
        refused: ours.is_err(),
    }
}

/// Both produce the same bytes, or both refuse (e.g. a loop of
/// reference types through a function's own prototype).
fn agree(
    ours: btfscope::Result<Vec<u8>>,
    theirs: Result<Vec<u8>, i32>,
    base: Option<&Btf>,
) -> Result<(), String> {
    match (ours, theirs) {
        (Ok(a), Ok(b)) => libbpf::compare(&a, &b, base),
        (Err(_), Err(_)) => Ok(()),
        (Err(e), Ok(_)) => Err(format!("ours failed ({e}), libbpf did not")),
        (Ok(_), Err(e)) => Err(format!("libbpf failed ({e}), ours did not")),
    }
}

#[test]
fn random_graphs_dedup_identically_to_libbpf() {
    check_graphs("random graphs", 10_000, false);
}

#[test]
fn hostile_graphs_dedup_identically_to_libbpf() {
    let count =
        std::env::var("BTFSCOPE_DEDUP_HOSTILE").map_or(300, |n| n.parse().expect("a graph count"));
    check_graphs("hostile graphs", count, true);
}

/// Runs `count` graphs (or the one `BTFSCOPE_DEDUP_SEED` names).
fn check_graphs(what: &str, count: u64, hostile_shapes: bool) {
    let seeds: Vec<u64> = match std::env::var("BTFSCOPE_DEDUP_SEED") {
        Ok(s) => vec![s.parse().expect("a seed number")],
        Err(_) => (0..count).collect(),
    };
    let mut failures = Vec::new();
    let (mut types_in, mut types_out, mut shrunk, mut refused) = (0, 0, 0, 0);
    for &seed in &seeds {
        match run(seed, hostile_shapes) {
            Ok(o) => {
                types_in += o.types_in;
                types_out += o.types_out;
                shrunk += (!o.refused && o.types_out < o.types_in) as usize;
                refused += o.refused as usize;
            }
            Err(e) => failures.push(format!("seed {seed}: {e}")),
        }
    }
    eprintln!(
        "{what}: {} identical / {} ({shrunk} shrank, {refused} refused by both; {types_in} → {types_out} types)",
        seeds.len() - failures.len(),
        seeds.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} graphs differ; first:\n{}",
        failures.len(),
        seeds.len(),
        failures[..failures.len().min(3)].join("\n")
    );
}

/// The FULL BTF assembled directly (when the base is a fixed point and no
/// forward could resolve differently) is byte-identical to the
/// stand-alone deduplication it stands for, on random and hostile graphs.
#[test]
fn full_btf_fast_path_matches_stand_alone_dedup() {
    let (mut compared, mut direct) = (0, 0);
    let mut failures = Vec::new();
    for (seed, hostile_shapes) in (1..4000).step_by(2).map(|s| (s, s % 4 == 3)) {
        let (base_raw, Some(module_raw)) = generate(seed, hostile_shapes, true) else {
            unreachable!("odd seeds make split BTF");
        };
        let base = Btf::parse(&base_raw).expect("a generated base parses");
        let Ok(btf) = Btf::parse_split(&module_raw, &base) else {
            continue;
        };
        let Ok((_, slow)) = full_split(&btf, None) else {
            continue;
        };
        let index = FullIndex::new(&base).expect("an index of a parsed base");
        compared += 1;
        direct += index.assembles_directly(&btf).expect("no error") as usize;
        match full_split(&btf, Some(&index)) {
            Ok((sizes, fast)) if fast.to_bytes() == slow.to_bytes() => {
                match full_split_sizes(&btf, Some(&index)) {
                    Ok(measured) if measured == sizes => {}
                    other => {
                        failures.push(format!("seed {seed}: measured {other:?}, built {sizes:?}"))
                    }
                }
            }
            Ok(_) => failures.push(format!("seed {seed}: FULL BTFs differ")),
            Err(e) => failures.push(format!("seed {seed}: {e}")),
        }
    }
    eprintln!("FULL BTF: {compared} compared, {direct} assembled directly");
    assert!(failures.is_empty(), "{failures:#?}");
    // 354 of 1922 take it: a fixed-point base and no forward in the way.
    assert!(direct >= 300, "only {direct} graphs took the fast path");
}

/// The traced deduplication of random and hostile graphs: its output is
/// the untraced one (which the tests above hold against libbpf), its map
/// agrees with the output, and the output replays from its decisions.
#[test]
fn traced_dedup_of_random_graphs_replays() {
    let mut failures = Vec::new();
    let (mut graphs, mut events) = (0, 0);
    for (seed, hostile_shapes) in (0..500).map(|s| (s, s % 10 == 9)) {
        let (base_raw, module_raw) = generate(seed, hostile_shapes, false);
        let base = Btf::parse(&base_raw).unwrap();
        let checked = match &module_raw {
            None => trace::check(&base, DedupRules::Current),
            Some(raw) => {
                let btf = Btf::parse_split(raw, &base).unwrap();
                trace::check(&btf, DedupRules::Libbpf1_7)
                    .and_then(|_| trace::check(&btf, DedupRules::Current))
            }
        };
        match checked {
            Ok((_, n)) => {
                graphs += 1;
                events += n;
            }
            Err(e) => failures.push(format!("seed {seed}: {e}")),
        }
    }
    eprintln!("traced graphs: {graphs} replayed, {events} events");
    assert!(
        failures.is_empty(),
        "{}",
        failures[..failures.len().min(3)].join("\n")
    );
}
