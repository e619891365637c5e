//! The built-in dedup cases of the page's Dedup view (docs/TEACH.md):
//! small specs (the text `btfscope dump` prints), one per mechanism.

/// One case: a spec, and for split BTF the spec of its base.
pub struct Case {
    pub name: &'static str,
    pub title: &'static str,
    pub base: Option<&'static str>,
    pub spec: &'static str,
}

pub const CASES: &[Case] = &[
    Case {
        name: "strings",
        title: "Strings",
        base: None,
        spec: include_str!("cases/strings.spec"),
    },
    Case {
        name: "primitives",
        title: "Primitive types",
        base: None,
        spec: include_str!("cases/primitives.spec"),
    },
    Case {
        name: "enums",
        title: "Enums and their forwards",
        base: None,
        spec: include_str!("cases/enums.spec"),
    },
    Case {
        name: "struct-cycle",
        title: "Structs: the hypothetical map",
        base: None,
        spec: include_str!("cases/struct-cycle.spec"),
    },
    Case {
        name: "struct-differs",
        title: "Structs that differ deep down",
        base: None,
        spec: include_str!("cases/struct-differs.spec"),
    },
    Case {
        name: "fwd-in-graph",
        title: "A FWD met in the graph",
        base: None,
        spec: include_str!("cases/fwd-in-graph.spec"),
    },
    Case {
        name: "fwd-pass",
        title: "The FWD pass",
        base: None,
        spec: include_str!("cases/fwd-pass.spec"),
    },
    Case {
        name: "references",
        title: "Reference types",
        base: None,
        spec: include_str!("cases/references.spec"),
    },
    Case {
        name: "typedefs",
        title: "Typedef hashing",
        base: None,
        spec: include_str!("cases/typedefs.spec"),
    },
    Case {
        name: "anon-unions",
        title: "Anonymous unions",
        base: None,
        spec: include_str!("cases/anon-unions.spec"),
    },
    Case {
        name: "split",
        title: "Split BTF on a tiny base",
        base: Some(include_str!("cases/split.base.spec")),
        spec: include_str!("cases/split.spec"),
    },
    Case {
        name: "two-copies",
        title: "Two copies (s390 pt_regs)",
        base: Some(include_str!("cases/two-copies.base.spec")),
        spec: include_str!("cases/two-copies.spec"),
    },
    Case {
        name: "base-fwd",
        title: "A FWD in the base",
        base: Some(include_str!("cases/base-fwd.base.spec")),
        spec: include_str!("cases/base-fwd.spec"),
    },
];
