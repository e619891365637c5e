//! Resource bounds: type chains 100,000 deep go through every stage without
//! overflowing the stack. Each case runs on a thread with Rust's default
//! 2 MiB stack, so a recursion over the chain would crash the test.

use btfscope::analyze::full::{full, full_split, FullIndex};
use btfscope::analyze::graph::{rooted, split_graph};
use btfscope::analyze::stat::stat;
use btfscope::btf::dump::{dump, DumpFormat};
use btfscope::btf::{Btf, BtfBuilder, TypeId};
use btfscope::dedup::dedup;
use btfscope::distill::distill;

const DEPTH: u32 = 100_000;
const DEFAULT_STACK: usize = 2 << 20;

/// Adds a chain `DEPTH` deep on top of `int` and returns its top.
type Chain = fn(&mut BtfBuilder, TypeId) -> TypeId;

fn ptrs(b: &mut BtfBuilder, mut t: TypeId) -> TypeId {
    for _ in 0..DEPTH {
        t = b.add_ptr(t);
    }
    t
}

fn consts(b: &mut BtfBuilder, mut t: TypeId) -> TypeId {
    for _ in 0..DEPTH {
        t = b.add_const(t);
    }
    t
}

fn typedefs(b: &mut BtfBuilder, mut t: TypeId) -> TypeId {
    for i in 0..DEPTH {
        t = b.add_typedef(format!("t{i}"), t);
    }
    t
}

/// `struct s<i> { struct s<i-1> m; }`: members by value, not through pointers.
fn structs(b: &mut BtfBuilder, mut t: TypeId) -> TypeId {
    for i in 0..DEPTH {
        let s = b.add_struct(format!("s{i}"), 4);
        b.add_field("m", t, 0, 0).unwrap();
        t = s;
    }
    t
}

/// The chain in the base; the module carries its own copy of it (which
/// dedup must prove equal to the base's all the way down) and a pointer
/// to the base's top.
fn run(chain: Chain) {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, 1);
    let base_top = chain(&mut b, int);
    let base_bytes = b.finish().to_bytes();
    let base = Btf::parse(&base_bytes).unwrap();

    let mut s = BtfBuilder::new_split(&base);
    let own_int = s.add_int("int", 4, 1);
    let own_top = chain(&mut s, own_int);
    s.add_ptr(base_top);
    let split_bytes = s.finish().to_bytes();
    let split = Btf::parse_split(&split_bytes, &base).unwrap();

    let mut sink = std::io::sink();
    for btf in [&base, &split] {
        dump(btf, DumpFormat::Raw, &mut sink).unwrap();
        dump(btf, DumpFormat::Json, &mut sink).unwrap();
        stat(btf);
    }
    assert_eq!(dedup(&base).unwrap().type_count(), base.type_count());
    // Every module type but the last pointer merges into the base.
    assert_eq!(dedup(&split).unwrap().local_len(), 1);

    distill(&split).unwrap();
    full(&split).unwrap();
    full_split(&split, Some(&FullIndex::new(&base).unwrap())).unwrap();
    split_graph(&split).to_dot();
    serde_json::to_string(&rooted(&split, own_top, u32::MAX)).unwrap();
}

fn on_default_stack(chain: Chain) {
    std::thread::Builder::new()
        .stack_size(DEFAULT_STACK)
        .spawn(move || run(chain))
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn pointer_chain() {
    on_default_stack(ptrs);
}

#[test]
fn const_chain() {
    on_default_stack(consts);
}

#[test]
fn typedef_chain() {
    on_default_stack(typedefs);
}

#[test]
fn struct_nesting() {
    on_default_stack(structs);
}
