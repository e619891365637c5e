//! BTF from text: reads the plain text [`dump`](super::dump) prints
//! (bpftool's raw format) and builds the BTF it describes, so that
//! `dump(build(dump(X))) == dump(X)`.
//!
//! The same text, hand-written, is the spec language of the dedup cases
//! (docs/TEACH.md). For that use the format is a little looser than what
//! `dump` prints: the `[id]` in front of a type may be left out (types are
//! then numbered in order, after the base's), `vlen=` may be left out (it is
//! the number of element lines), and lines that start with `#` (after
//! blanks) and blank lines are ignored. Every error names its line and
//! column.
//!
//! ```text
//! [1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED
//! STRUCT 'pair' size=8
//!     'a' type_id=1 bits_offset=0
//!     'b' type_id=1 bits_offset=32
//! ```

use super::build::{BaseStrings, BtfBuilder};
use super::kind::{Kind, INT_BOOL, INT_CHAR, INT_SIGNED, VLEN_MASK};
use super::read::Btf;
use crate::error::{Error, ErrorKind, Result};

/// Builds the BTF that `text` describes: base BTF, or split BTF on `base`
/// (whose ids then start after the base's).
pub fn parse_spec<'a>(text: &[u8], base: Option<&'a Btf<'a>>) -> Result<Btf<'a>> {
    parse_with(
        text,
        match base {
            Some(base) => BtfBuilder::new_split(base),
            None => BtfBuilder::new(),
        },
    )
}

/// [`parse_spec`] of a split BTF on `base`, whose strings the caller
/// indexed once for many specs.
pub fn parse_split_spec<'a>(
    text: &[u8],
    base: &'a Btf<'a>,
    strings: &'a BaseStrings<'a>,
) -> Result<Btf<'a>> {
    parse_with(text, BtfBuilder::new_split_sharing(base, strings))
}

fn parse_with<'a>(text: &[u8], builder: BtfBuilder<'a>) -> Result<Btf<'a>> {
    let mut p = Parser {
        b: builder,
        words: Vec::with_capacity(64),
        open: None,
        max_ref: None,
    };
    // Records are at least 12 bytes per line of text: a first guess.
    p.b.reserve_type_bytes(text.len() / 3);
    for (i, line) in text.split(|&c| c == b'\n').enumerate() {
        let line_no = i + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut cur = Cursor {
            line,
            pos: 0,
            line_no,
        };
        let indented = cur.skip_blanks();
        if cur.at_end() || cur.peek() == Some(b'#') {
            continue;
        }
        if indented {
            p.element(&mut cur)?;
        } else {
            p.finish_type()?;
            p.type_line(&mut cur)?;
        }
    }
    p.finish_type()?;
    let count = p.b.btf().type_count();
    if let Some((id, at)) = p.max_ref {
        if id >= count {
            return Err(at.error(
                ErrorKind::BadTypeId,
                format!("unknown type id {id} (the last type is [{}])", count - 1),
            ));
        }
    }
    let btf = p.b.finish();
    btf.validate().map_err(|e| {
        Error::new(
            e.kind,
            format!("the spec describes invalid BTF: {}", e.message),
        )
    })?;
    Ok(btf)
}

/// A line and column, 1-based, for errors.
#[derive(Clone, Copy, Debug)]
struct At {
    line: usize,
    col: usize,
}

impl At {
    fn error(self, kind: ErrorKind, msg: impl std::fmt::Display) -> Error {
        Error::new(
            kind,
            format!("line {}, column {}: {msg}", self.line, self.col),
        )
    }
}

struct Cursor<'t> {
    line: &'t [u8],
    pos: usize,
    line_no: usize,
}

impl<'t> Cursor<'t> {
    fn at(&self) -> At {
        At {
            line: self.line_no,
            col: self.pos + 1,
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.line.len()
    }

    fn peek(&self) -> Option<u8> {
        self.line.get(self.pos).copied()
    }

    /// Skips blanks; whether there were any.
    fn skip_blanks(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// The next blank-separated word.
    fn word(&mut self) -> &'t [u8] {
        let start = self.pos;
        while !matches!(self.peek(), None | Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        &self.line[start..self.pos]
    }

    /// A quoted name: up to the quote that ends the line or precedes a
    /// blank. `(anon)` is the empty name.
    fn name(&mut self) -> Result<&'t [u8]> {
        let at = self.at();
        if self.peek() != Some(b'\'') {
            return Err(at.error(ErrorKind::BadType, "expected a quoted name such as 'foo'"));
        }
        let rest = &self.line[self.pos + 1..];
        let end = (0..rest.len())
            .find(|&i| rest[i] == b'\'' && matches!(rest.get(i + 1), None | Some(b' ' | b'\t')))
            .ok_or_else(|| at.error(ErrorKind::BadType, "the name's closing quote is missing"))?;
        let name = &rest[..end];
        // BTF strings end at NUL: such a name would be stored as another.
        if let Some(nul) = name.iter().position(|&c| c == 0) {
            return Err(At {
                line: at.line,
                col: at.col + 1 + nul,
            }
            .error(ErrorKind::BadType, "a name cannot hold a NUL byte"));
        }
        self.pos += end + 2;
        Ok(if name == b"(anon)" { b"" } else { name })
    }

    /// The `key=value` fields up to the end of the line; a `(...)` note
    /// (DATASEC's `(VAR 'name')`) ends them.
    fn fields(&mut self) -> Result<Fields<'t>> {
        let mut fields = Fields::default();
        loop {
            self.skip_blanks();
            if self.at_end() || self.peek() == Some(b'(') {
                return Ok(fields);
            }
            let at = self.at();
            let word = self.word();
            let Some(eq) = word.iter().position(|&c| c == b'=') else {
                return Err(at.error(
                    ErrorKind::BadType,
                    format!("expected key=value, found '{}'", show(word)),
                ));
            };
            let value = &word[eq + 1..];
            // bpftool's VAR line has a comma after its type_id.
            let value = value.strip_suffix(b",").unwrap_or(value);
            let value_at = At {
                col: at.col + eq + 1,
                ..at
            };
            fields.list.push((&word[..eq], value, value_at));
        }
    }
}

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[derive(Default)]
struct Fields<'t> {
    list: Vec<(&'t [u8], &'t [u8], At)>,
}

impl<'t> Fields<'t> {
    fn get(&self, key: &str, line: At) -> Result<(&'t [u8], At)> {
        self.find(key)
            .ok_or_else(|| line.error(ErrorKind::BadType, format!("missing field '{key}='")))
    }

    fn find(&self, key: &str) -> Option<(&'t [u8], At)> {
        self.list
            .iter()
            .find(|f| f.0 == key.as_bytes())
            .map(|&(_, v, at)| (v, at))
    }

    /// Fails on a key not in `known`.
    fn only(&self, known: &[&str]) -> Result<()> {
        for &(k, _, at) in &self.list {
            if !known.iter().any(|n| n.as_bytes() == k) {
                // `at` is the value's column; the error points at the key.
                let key_at = At {
                    col: at.col - k.len() - 1,
                    ..at
                };
                return Err(key_at.error(
                    ErrorKind::BadType,
                    format!(
                        "unknown field '{}' (expected {})",
                        show(k),
                        known.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    fn uint(&self, key: &str, line: At) -> Result<u32> {
        let (v, at) = self.get(key, line)?;
        number(v, at)
    }

    fn word(&self, key: &str, line: At, words: &[&str]) -> Result<u32> {
        let (v, at) = self.get(key, line)?;
        words
            .iter()
            .position(|w| w.as_bytes() == v)
            .map(|i| i as u32)
            .ok_or_else(|| {
                at.error(
                    ErrorKind::BadType,
                    format!("'{}' is not one of {}", show(v), words.join(", ")),
                )
            })
    }
}

fn parse_int<T: std::str::FromStr>(v: &[u8], at: At, what: &str) -> Result<T> {
    std::str::from_utf8(v)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| at.error(ErrorKind::BadType, format!("'{}' is not {what}", show(v))))
}

fn number(v: &[u8], at: At) -> Result<u32> {
    parse_int(v, at, "a number from 0 to 4294967295")
}

/// The type being read: its words, where it began, and what its element
/// lines are.
struct Open {
    kind: Kind,
    at: At,
    vlen: Option<(u32, At)>,
    /// Whether a member is a bitfield (sets the kind flag).
    kflag: bool,
}

struct Parser<'a> {
    b: BtfBuilder<'a>,
    words: Vec<u32>,
    open: Option<Open>,
    /// The largest type id referred to, and where.
    max_ref: Option<(u32, At)>,
}

const LINKAGES: [&str; 3] = ["static", "global", "extern"];

impl Parser<'_> {
    fn type_ref(&mut self, fields: &Fields, key: &str, line: At) -> Result<u32> {
        let (v, at) = fields.get(key, line)?;
        let id = number(v, at)?;
        if self.max_ref.is_none_or(|(m, _)| id > m) {
            self.max_ref = Some((id, at));
        }
        Ok(id)
    }

    fn type_line(&mut self, cur: &mut Cursor) -> Result<()> {
        let line = cur.at();
        let expected = self.b.btf().type_count();
        if cur.peek() == Some(b'[') {
            let word = cur.word();
            let id = word
                .strip_prefix(b"[")
                .and_then(|w| w.strip_suffix(b"]"))
                .ok_or_else(|| line.error(ErrorKind::BadType, "expected [id]"))?;
            let id: u32 = parse_int(id, At { col: 2, ..line }, "a type id")?;
            if id != expected {
                let base = if expected > 1 && self.b.btf().start_id() == expected {
                    " (the first after the base)"
                } else if id > 1 && expected == 1 {
                    " (a split BTF's ids continue its base's: give the base)"
                } else {
                    ""
                };
                return Err(line.error(
                    ErrorKind::BadTypeId,
                    format!("type [{id}] should be [{expected}]{base}"),
                ));
            }
            cur.skip_blanks();
        }
        let kind_at = cur.at();
        let kind_word = cur.word();
        let kind = Kind::ALL
            .into_iter()
            .find(|k| k.name().as_bytes() == kind_word)
            .ok_or_else(|| {
                kind_at.error(
                    ErrorKind::UnknownKind,
                    format!("unknown kind '{}'", show(kind_word)),
                )
            })?;
        cur.skip_blanks();
        let name = cur.name()?;
        let fields = cur.fields()?;
        if !cur.at_end() {
            return Err(cur.at().error(ErrorKind::BadType, "unexpected text"));
        }
        let name_off = self.b.add_str_bytes(name);
        let mut kflag = false;
        let mut vlen = 0;
        self.words.clear();
        self.words.extend([name_off, 0, 0]);
        let with_vlen = |f: &Fields, keys: &[&str]| -> Result<Option<(u32, At)>> {
            f.only(keys)?;
            f.find("vlen")
                .map(|(v, at)| Ok((number(v, at)?, at)))
                .transpose()
        };
        let mut elems = None;
        match kind {
            Kind::Int => {
                fields.only(&["size", "bits_offset", "nr_bits", "encoding"])?;
                let size = fields.uint("size", line)?;
                let (off, off_at) = fields.get("bits_offset", line)?;
                let (bits, bits_at) = fields.get("nr_bits", line)?;
                let off: u8 = parse_int(off, off_at, "a number from 0 to 255")?;
                let bits: u8 = parse_int(bits, bits_at, "a number from 0 to 255")?;
                let enc =
                    match fields.word("encoding", line, &["(none)", "SIGNED", "CHAR", "BOOL"])? {
                        0 => 0,
                        1 => INT_SIGNED,
                        2 => INT_CHAR,
                        _ => INT_BOOL,
                    };
                self.words[2] = size;
                self.words
                    .push((enc as u32) << 24 | (off as u32) << 16 | bits as u32);
            }
            Kind::Ptr
            | Kind::Const
            | Kind::Volatile
            | Kind::Restrict
            | Kind::Typedef
            | Kind::TypeTag => {
                fields.only(&["type_id"])?;
                let t = self.type_ref(&fields, "type_id", line)?;
                self.words[2] = t;
            }
            Kind::Array => {
                fields.only(&["type_id", "index_type_id", "nr_elems"])?;
                let elem = self.type_ref(&fields, "type_id", line)?;
                let index = self.type_ref(&fields, "index_type_id", line)?;
                let n = fields.uint("nr_elems", line)?;
                self.words.extend([elem, index, n]);
            }
            Kind::Struct
            | Kind::Union
            | Kind::Enum
            | Kind::Enum64
            | Kind::Datasec
            | Kind::FuncProto => {
                let keys: &[&str] = match kind {
                    Kind::Enum | Kind::Enum64 => &["encoding", "size", "vlen"],
                    Kind::FuncProto => &["ret_type_id", "vlen"],
                    _ => &["size", "vlen"],
                };
                elems = with_vlen(&fields, keys)?;
                if kind == Kind::FuncProto {
                    let ret = self.type_ref(&fields, "ret_type_id", line)?;
                    self.words[2] = ret;
                } else {
                    self.words[2] = fields.uint("size", line)?;
                }
                if matches!(kind, Kind::Enum | Kind::Enum64) {
                    kflag = fields.word("encoding", line, &["UNSIGNED", "SIGNED"])? == 1;
                }
            }
            Kind::Fwd => {
                fields.only(&["fwd_kind"])?;
                kflag = fields.word("fwd_kind", line, &["struct", "union"])? == 1;
            }
            Kind::Func => {
                fields.only(&["type_id", "linkage"])?;
                let proto = self.type_ref(&fields, "type_id", line)?;
                self.words[2] = proto;
                vlen = fields.word("linkage", line, &LINKAGES)?;
            }
            Kind::Var => {
                fields.only(&["type_id", "linkage"])?;
                let t = self.type_ref(&fields, "type_id", line)?;
                let linkage = fields.word("linkage", line, &LINKAGES)?;
                self.words[2] = t;
                self.words.push(linkage);
            }
            Kind::Float => {
                fields.only(&["size"])?;
                self.words[2] = fields.uint("size", line)?;
            }
            Kind::DeclTag => {
                fields.only(&["type_id", "component_idx"])?;
                let t = self.type_ref(&fields, "type_id", line)?;
                let (v, at) = fields.get("component_idx", line)?;
                let idx: i32 = parse_int(v, at, "a number from -1 to 2147483647")?;
                self.words[2] = t;
                self.words.push(idx as u32);
            }
        }
        self.words[1] = (kind as u32) << 24 | vlen;
        self.open = Some(Open {
            kind,
            at: kind_at,
            vlen: elems,
            kflag,
        });
        Ok(())
    }

    /// An element line of the open STRUCT, UNION, ENUM, ENUM64, FUNC_PROTO
    /// or DATASEC.
    fn element(&mut self, cur: &mut Cursor) -> Result<()> {
        let line = cur.at();
        let Some(open) = self.open.as_ref() else {
            return Err(line.error(
                ErrorKind::BadType,
                "an indented element line, but no type to add it to",
            ));
        };
        let kind = open.kind;
        if !matches!(
            kind,
            Kind::Struct
                | Kind::Union
                | Kind::Enum
                | Kind::Enum64
                | Kind::FuncProto
                | Kind::Datasec
        ) {
            return Err(line.error(
                ErrorKind::BadType,
                format!("{} has no element lines", kind.name()),
            ));
        }
        let name_off = if kind == Kind::Datasec {
            0
        } else {
            let name = cur.name()?;
            self.b.add_str_bytes(name)
        };
        let fields = cur.fields()?;
        if !cur.at_end() && kind != Kind::Datasec {
            return Err(cur.at().error(ErrorKind::BadType, "unexpected text"));
        }
        match kind {
            Kind::Struct | Kind::Union => {
                fields.only(&["type_id", "bits_offset", "bitfield_size"])?;
                if fields.find("type_id").is_none() {
                    return Err(
                        line.error(ErrorKind::BadType, "a member without a type (type_id=)")
                    );
                }
                let t = self.type_ref(&fields, "type_id", line)?;
                let off = fields.uint("bits_offset", line)?;
                let size = match fields.find("bitfield_size") {
                    Some((v, at)) => {
                        let size: u8 = parse_int(v, at, "a number from 0 to 255")?;
                        if off > 0x00ff_ffff {
                            return Err(at.error(
                                ErrorKind::BadType,
                                "a bitfield's bits_offset must be below 16777216",
                            ));
                        }
                        size as u32
                    }
                    None => 0,
                };
                let open = self.open.as_mut().expect("an open type");
                if fields.find("bitfield_size").is_some() {
                    open.kflag = true;
                }
                self.words.extend([name_off, t, off | size << 24]);
            }
            Kind::Enum => {
                fields.only(&["val"])?;
                let (v, at) = fields.get("val", line)?;
                let v: i64 = parse_int(v, at, "a 32-bit number")?;
                if v < i32::MIN as i64 || v > u32::MAX as i64 {
                    return Err(at.error(ErrorKind::BadType, "an ENUM value must fit in 32 bits"));
                }
                self.words.extend([name_off, v as u32]);
            }
            Kind::Enum64 => {
                fields.only(&["val"])?;
                let (v, at) = fields.get("val", line)?;
                let v = v
                    .strip_suffix(b"ULL")
                    .or_else(|| v.strip_suffix(b"LL"))
                    .unwrap_or(v);
                let v: u64 = match v.first() {
                    Some(b'-') => parse_int::<i64>(v, at, "a 64-bit number")? as u64,
                    _ => parse_int(v, at, "a 64-bit number")?,
                };
                self.words.extend([name_off, v as u32, (v >> 32) as u32]);
            }
            Kind::FuncProto => {
                fields.only(&["type_id"])?;
                if fields.find("type_id").is_none() {
                    return Err(
                        line.error(ErrorKind::BadType, "a parameter without a type (type_id=)")
                    );
                }
                let t = self.type_ref(&fields, "type_id", line)?;
                self.words.extend([name_off, t]);
            }
            _ => {
                fields.only(&["type_id", "offset", "size"])?;
                let t = self.type_ref(&fields, "type_id", line)?;
                let off = fields.uint("offset", line)?;
                let size = fields.uint("size", line)?;
                self.words.extend([t, off, size]);
            }
        }
        Ok(())
    }

    /// Adds the open type, its vlen and kind flag now known.
    fn finish_type(&mut self) -> Result<()> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        let layout = open.kind.layout();
        if layout.elem_size > 0 {
            let n = (self.words.len() - 3 - layout.info_size as usize / 4)
                / (layout.elem_size as usize / 4);
            if let Some((vlen, at)) = open.vlen {
                if vlen as usize != n {
                    return Err(at.error(
                        ErrorKind::BadType,
                        format!("vlen={vlen} but {n} element lines follow"),
                    ));
                }
            }
            if n as u32 > VLEN_MASK {
                return Err(open.at.error(ErrorKind::Limit, "too many elements"));
            }
            self.words[1] |= n as u32;
        }
        if open.kflag {
            self.words[1] |= 1 << 31;
        }
        self.b.add_raw(&self.words)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btf::dump::{dump, DumpFormat};

    fn round(text: &str) -> String {
        let btf = parse_spec(text.as_bytes(), None).unwrap();
        let mut out = Vec::new();
        dump(&btf, DumpFormat::Raw, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn err(text: &str) -> String {
        parse_spec(text.as_bytes(), None).unwrap_err().message
    }

    #[test]
    fn ids_optional_and_vlen_counted() {
        let got = round(
            "# a comment\nINT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\n\nSTRUCT 'p' size=8\n  'a' type_id=1 bits_offset=0\n  'b' type_id=1 bits_offset=32 bitfield_size=3\n",
        );
        assert_eq!(
            got,
            "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\n[2] STRUCT 'p' size=8 vlen=2\n\t'a' type_id=1 bits_offset=0\n\t'b' type_id=1 bits_offset=32 bitfield_size=3\n"
        );
    }

    #[test]
    fn errors_name_line_and_column() {
        assert_eq!(
            err("INT 'i' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\nSTRUCTT 'x' size=1"),
            "line 2, column 1: unknown kind 'STRUCTT'"
        );
        assert_eq!(
            err("PTR '(anon)' type_id=7"),
            "line 1, column 22: unknown type id 7 (the last type is [1])"
        );
        assert_eq!(
            err("STRUCT 's' size=4\n\t'a' bits_offset=0"),
            "line 2, column 2: a member without a type (type_id=)"
        );
        assert_eq!(err("[3] FLOAT 'f' size=4"), "line 1, column 1: type [3] should be [1] (a split BTF's ids continue its base's: give the base)");
        assert_eq!(
            err("STRUCT 's' size=4 vlen=2\n\t'a' type_id=0 bits_offset=0"),
            "line 1, column 24: vlen=2 but 1 element lines follow"
        );
        assert_eq!(
            err("\t'a' type_id=0"),
            "line 1, column 2: an indented element line, but no type to add it to"
        );
        assert_eq!(
            err("FWD 'x' fwd_kind=enum"),
            "line 1, column 18: 'enum' is not one of struct, union"
        );
        // Found by fuzz/spec_parse: a NUL in a name stored another name.
        assert_eq!(
            err("INT 'c' size=1 bits_offset=0 nr_bits=8 encoding=CHAR\nARRAY '\0\0(anon)' type_id=1 index_type_id=1 nr_elems=16"),
            "line 2, column 8: a name cannot hold a NUL byte"
        );
        assert_eq!(
            err("FLOAT 'x' size=4 colour=red"),
            "line 1, column 18: unknown field 'colour' (expected size)"
        );
        assert_eq!(
            err("FLOAT 'x size=4"),
            "line 1, column 7: the name's closing quote is missing"
        );
    }
}
