//! Raw BTF written word by word, for tests that need what a builder would
//! not produce: forward references, duplicate or unused strings, offsets
//! into the middle of a string.

#![allow(dead_code)] // each test crate uses its own subset

pub const INT: u32 = 1;
pub const PTR: u32 = 2;
pub const ARRAY: u32 = 3;
pub const STRUCT: u32 = 4;
pub const UNION: u32 = 5;
pub const ENUM: u32 = 6;
pub const FWD: u32 = 7;
pub const TYPEDEF: u32 = 8;
pub const VOLATILE: u32 = 9;
pub const CONST: u32 = 10;
pub const RESTRICT: u32 = 11;
pub const FUNC: u32 = 12;
pub const FUNC_PROTO: u32 = 13;
pub const VAR: u32 = 14;
pub const DATASEC: u32 = 15;
pub const FLOAT: u32 = 16;
pub const DECL_TAG: u32 = 17;
pub const TYPE_TAG: u32 = 18;
pub const ENUM64: u32 = 19;

pub fn info(kind: u32, vlen: u32, kflag: bool) -> u32 {
    ((kflag as u32) << 31) | (kind << 24) | vlen
}

/// Types and strings of one BTF (base or split) under construction.
pub struct Raw {
    pub words: Vec<u32>,
    pub strings: Vec<u8>,
    /// Offset the string section starts at (the base's length for split).
    pub str_start: u32,
    /// Next type id.
    pub next_id: u32,
}

impl Raw {
    pub fn base() -> Raw {
        Raw {
            words: Vec::new(),
            strings: vec![0],
            str_start: 0,
            next_id: 1,
        }
    }

    /// A split BTF after a base with `base_types` ids (void included) and
    /// `base_str_len` bytes of strings.
    pub fn split(base_types: u32, base_str_len: u32) -> Raw {
        Raw {
            words: Vec::new(),
            strings: Vec::new(),
            str_start: base_str_len,
            next_id: base_types,
        }
    }

    /// Appends `s` (a new copy even if present: duplicates are wanted).
    pub fn str_new(&mut self, s: &str) -> u32 {
        if s.is_empty() {
            return 0;
        }
        let off = self.str_start + self.strings.len() as u32;
        self.strings.extend_from_slice(s.as_bytes());
        self.strings.push(0);
        off
    }

    /// Finds `s` in this section (or appends it).
    pub fn str(&mut self, s: &str) -> u32 {
        if s.is_empty() {
            return 0;
        }
        let mut pos = 0;
        while pos < self.strings.len() {
            let end = pos + self.strings[pos..].iter().position(|&b| b == 0).unwrap();
            if &self.strings[pos..end] == s.as_bytes() {
                return self.str_start + pos as u32;
            }
            pos = end + 1;
        }
        self.str_new(s)
    }

    /// Appends a record; returns its id.
    pub fn add(&mut self, words: &[u32]) -> u32 {
        self.words.extend_from_slice(words);
        self.next_id += 1;
        self.next_id - 1
    }

    /// The blob, little-endian, classic header.
    pub fn bytes(&self) -> Vec<u8> {
        let type_len = self.words.len() as u32 * 4;
        let mut out = Vec::new();
        out.extend_from_slice(&0xeb9fu16.to_le_bytes());
        out.extend_from_slice(&[1, 0]);
        for w in [24, 0, type_len, type_len, self.strings.len() as u32] {
            out.extend_from_slice(&w.to_le_bytes());
        }
        for w in &self.words {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(&self.strings);
        out
    }

    // Typed shorthands; names go through `str` (shared strings).

    pub fn int(&mut self, name: &str, size: u32) -> u32 {
        let n = self.str(name);
        self.add(&[n, info(INT, 0, false), size, (1 << 24) | (size * 8)])
    }

    pub fn float(&mut self, name: &str, size: u32) -> u32 {
        let n = self.str(name);
        self.add(&[n, info(FLOAT, 0, false), size])
    }

    /// PTR, CONST, VOLATILE, RESTRICT: anonymous references.
    pub fn refer(&mut self, kind: u32, to: u32) -> u32 {
        self.add(&[0, info(kind, 0, false), to])
    }

    pub fn ptr(&mut self, to: u32) -> u32 {
        self.refer(PTR, to)
    }

    pub fn typedef(&mut self, name: &str, to: u32) -> u32 {
        let n = self.str(name);
        self.add(&[n, info(TYPEDEF, 0, false), to])
    }

    pub fn type_tag(&mut self, value: &str, to: u32) -> u32 {
        let n = self.str(value);
        self.add(&[n, info(TYPE_TAG, 0, false), to])
    }

    pub fn array(&mut self, elem: u32, index: u32, n: u32) -> u32 {
        self.add(&[0, info(ARRAY, 0, false), 0, elem, index, n])
    }

    /// STRUCT or UNION with (name, type, bit offset) members.
    pub fn composite(
        &mut self,
        kind: u32,
        name: &str,
        size: u32,
        members: &[(&str, u32, u32)],
    ) -> u32 {
        let n = self.str(name);
        let mut w = vec![n, info(kind, members.len() as u32, false), size];
        for &(m, t, off) in members {
            let mn = self.str(m);
            w.extend_from_slice(&[mn, t, off]);
        }
        self.add(&w)
    }

    pub fn strukt(&mut self, name: &str, size: u32, members: &[(&str, u32, u32)]) -> u32 {
        self.composite(STRUCT, name, size, members)
    }

    pub fn fwd(&mut self, name: &str, union: bool) -> u32 {
        let n = self.str(name);
        self.add(&[n, info(FWD, 0, union), 0])
    }

    /// ENUM with (name, value) values; none makes an enum forward.
    pub fn enumeration(&mut self, name: &str, size: u32, values: &[(&str, i32)]) -> u32 {
        let n = self.str(name);
        let signed = values.iter().any(|v| v.1 < 0);
        let mut w = vec![n, info(ENUM, values.len() as u32, signed), size];
        for &(v, x) in values {
            let vn = self.str(v);
            w.extend_from_slice(&[vn, x as u32]);
        }
        self.add(&w)
    }

    pub fn enum64(&mut self, name: &str, size: u32, values: &[(&str, u64)]) -> u32 {
        let n = self.str(name);
        let mut w = vec![n, info(ENUM64, values.len() as u32, false), size];
        for &(v, x) in values {
            let vn = self.str(v);
            w.extend_from_slice(&[vn, x as u32, (x >> 32) as u32]);
        }
        self.add(&w)
    }

    /// FUNC_PROTO with (name, type) parameters.
    pub fn proto(&mut self, ret: u32, params: &[(&str, u32)]) -> u32 {
        let mut w = vec![0, info(FUNC_PROTO, params.len() as u32, false), ret];
        for &(p, t) in params {
            let pn = self.str(p);
            w.extend_from_slice(&[pn, t]);
        }
        self.add(&w)
    }

    pub fn func(&mut self, name: &str, proto: u32) -> u32 {
        let n = self.str(name);
        self.add(&[n, info(FUNC, 1, false), proto])
    }

    pub fn var(&mut self, name: &str, t: u32) -> u32 {
        let n = self.str(name);
        self.add(&[n, info(VAR, 0, false), t, 1])
    }

    /// DATASEC with (var, offset, size) entries.
    pub fn datasec(&mut self, name: &str, size: u32, vars: &[(u32, u32, u32)]) -> u32 {
        let n = self.str(name);
        let mut w = vec![n, info(DATASEC, vars.len() as u32, false), size];
        for &(v, off, sz) in vars {
            w.extend_from_slice(&[v, off, sz]);
        }
        self.add(&w)
    }

    pub fn decl_tag(&mut self, value: &str, t: u32, component: i32) -> u32 {
        let n = self.str(value);
        self.add(&[n, info(DECL_TAG, 0, false), t, component as u32])
    }
}
