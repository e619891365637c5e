//! The `--btf-features` list, with pahole 1.30's names and meaning.

use crate::error::{Error, ErrorKind, Result};

/// What the encoder emits. Every field is one pahole feature name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Features {
    /// Skip variables with invalid names or void type instead of failing.
    pub encode_force: bool,
    /// VARs for per-CPU variables (`.data..percpu`).
    pub var: bool,
    /// FLOAT for floating-point base types (INT otherwise, as before BTF had floats).
    pub float: bool,
    pub decl_tag: bool,
    pub type_tag: bool,
    /// ENUM64 for 8-byte enums (an 8-byte ENUM with truncated values otherwise).
    pub enum64: bool,
    /// Match `foo` in DWARF with `foo.isra.0` (and other suffixes) in the symbol table.
    pub optimized_func: bool,
    /// Leave out functions whose prototypes differ between CUs or that take
    /// parameters in unexpected registers.
    pub consistent_func: bool,
    /// `bpf_kfunc` decl tags for the kfuncs listed in `.BTF_ids`.
    pub decl_tag_kfuncs: bool,
    /// Accepted for compatibility: our output never depends on the thread count.
    pub reproducible_build: bool,
    /// Accepted, not implemented: we write raw BTF, not a module's `.BTF.base`.
    pub distilled_base: bool,
    /// VARs for every global variable, in one DATASEC per section.
    pub global_var: bool,
    /// `address_space(1)` type attributes on kfunc arena pointers.
    pub attributes: bool,
}

/// pahole's names in its order, with whether `default` includes them.
const TABLE: [(&str, bool); 13] = [
    ("encode_force", true),
    ("var", true),
    ("float", true),
    ("decl_tag", true),
    ("type_tag", true),
    ("enum64", true),
    ("optimized_func", true),
    ("consistent_func", true),
    ("decl_tag_kfuncs", true),
    ("reproducible_build", false),
    ("distilled_base", false),
    ("global_var", false),
    ("attributes", false),
];

impl Features {
    /// pahole's `default`: what kernels from 6.12 on ask for.
    pub fn default_set() -> Self {
        let mut f = Features::default();
        for (name, on) in TABLE {
            if on {
                *f.flag(name).expect("name from the table") = true;
            }
        }
        f
    }

    /// Every feature.
    pub fn all() -> Self {
        let mut f = Features::default();
        for (name, _) in TABLE {
            *f.flag(name).expect("name from the table") = true;
        }
        f
    }

    /// Parses a comma-separated list of feature names, `default` and `all`.
    /// Unlike pahole, an unknown name is an error rather than ignored.
    pub fn parse(list: &str) -> Result<Self> {
        let mut f = Features::default();
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match name {
                "default" => f = f.union(Features::default_set()),
                "all" => f = f.union(Features::all()),
                _ => {
                    *f.flag(name).ok_or_else(|| {
                        Error::new(
                            ErrorKind::Usage,
                            format!(
                                "unknown BTF feature '{name}'; known: default, all, {}",
                                Self::names().collect::<Vec<_>>().join(", ")
                            ),
                        )
                    })? = true
                }
            }
        }
        Ok(f)
    }

    pub fn names() -> impl Iterator<Item = &'static str> {
        TABLE.iter().map(|(n, _)| *n)
    }

    /// The enabled features as a list that `parse` reads back.
    pub fn to_list(&self) -> String {
        let mut f = *self;
        Self::names()
            .filter(|n| *f.flag(n).expect("name from the table"))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn union(mut self, other: Features) -> Self {
        let mut o = other;
        for name in Self::names() {
            let on = *o.flag(name).expect("name from the table");
            *self.flag(name).expect("name from the table") |= on;
        }
        self
    }

    fn flag(&mut self, name: &str) -> Option<&mut bool> {
        Some(match name {
            "encode_force" => &mut self.encode_force,
            "var" => &mut self.var,
            "float" => &mut self.float,
            "decl_tag" => &mut self.decl_tag,
            "type_tag" => &mut self.type_tag,
            "enum64" => &mut self.enum64,
            "optimized_func" => &mut self.optimized_func,
            "consistent_func" => &mut self.consistent_func,
            "decl_tag_kfuncs" => &mut self.decl_tag_kfuncs,
            "reproducible_build" => &mut self.reproducible_build,
            "distilled_base" => &mut self.distilled_base,
            "global_var" => &mut self.global_var,
            "attributes" => &mut self.attributes,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_matches_pahole() {
        let f = Features::parse("default").unwrap();
        assert_eq!(
            f.to_list(),
            "encode_force,var,float,decl_tag,type_tag,enum64,optimized_func,consistent_func,decl_tag_kfuncs"
        );
        assert_eq!(Features::parse(&f.to_list()).unwrap(), f);
    }

    #[test]
    fn lists_combine_and_unknown_fails() {
        let f = Features::parse("default,global_var").unwrap();
        assert!(f.global_var && f.float);
        assert!(Features::parse("").unwrap() == Features::default());
        assert!(Features::parse("var,nonsense").is_err());
        assert_eq!(Features::parse("all").unwrap(), Features::all());
    }
}
