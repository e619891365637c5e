//! Dumps in the formats of `bpftool btf dump file F [-B BASE]`: its plain
//! text (byte-identical to bpftool 7.1) and its JSON (`-j`, same field names).
//!
//! Each type is first described as a [`Record`]; the text and JSON printers
//! only render records, so the two formats cannot drift apart.

use std::borrow::Cow;
use std::io::{self, Write};

use super::kind::{func_linkage_name, int_encoding_name, var_linkage_name, Kind};
use super::read::Btf;
use super::types::TypeView;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpFormat {
    Raw,
    Json,
}

enum Value<'b> {
    Uint(u64),
    Int(i64),
    /// An unsigned ENUM value, which bpftool keeps in a __s32: text prints it
    /// with %u, JSON widens it to 64 bits with its sign.
    EnumU32(u32),
    Str(Cow<'b, [u8]>),
}

/// How a field shows in bpftool's text; JSON always shows `key: value`
/// except for text-only annotations.
#[derive(Clone, Copy)]
enum Text {
    /// ` key=value`
    KeyValue,
    /// ` key=value,` (bpftool's VAR line has this comma)
    KeyValueComma,
    /// ` 'value'` (element names)
    Quoted,
    /// ` valueLL` / ` valueULL` after `key=` (ENUM64 values)
    KeyValueSuffix(&'static str),
    /// ` value`, and absent from JSON (DATASEC's `(KIND 'name')`)
    AnnotationOnly,
}

struct Field<'b> {
    key: &'static str,
    value: Value<'b>,
    text: Text,
}

struct Record<'b> {
    id: u32,
    kind: &'static str,
    name: Cow<'b, [u8]>,
    fields: Vec<Field<'b>>,
    elems_key: Option<&'static str>,
    elems: Vec<Vec<Field<'b>>>,
}

fn kv<'b>(key: &'static str, value: Value<'b>) -> Field<'b> {
    Field {
        key,
        value,
        text: Text::KeyValue,
    }
}

fn uint<'b>(key: &'static str, v: impl Into<u64>) -> Field<'b> {
    kv(key, Value::Uint(v.into()))
}

fn word<'b>(key: &'static str, s: &'static str) -> Field<'b> {
    kv(key, Value::Str(Cow::Borrowed(s.as_bytes())))
}

/// bpftool's name rule: offset 0 is "(anon)", an unresolvable one "(invalid)".
fn display_name<'b>(btf: &'b Btf<'_>, off: u32) -> Cow<'b, [u8]> {
    if off == 0 {
        return Cow::Borrowed(b"(anon)");
    }
    Cow::Borrowed(btf.str_at(off).unwrap_or(b"(invalid)"))
}

fn elem_name<'b>(btf: &'b Btf<'_>, off: u32) -> Field<'b> {
    Field {
        key: "name",
        value: Value::Str(display_name(btf, off)),
        text: Text::Quoted,
    }
}

fn kind_name(kind_raw: u8) -> &'static str {
    Kind::from_raw(kind_raw).map_or("UNKNOWN", Kind::name)
}

fn describe<'b>(btf: &'b Btf<'_>, t: TypeView<'b>) -> Record<'b> {
    let mut fields = Vec::new();
    let mut elems = Vec::new();
    let mut elems_key = None;
    let kflag = t.kflag();
    // bpftool keeps vlen in a __u16; mirror it so output stays identical.
    let vlen = t.vlen() & 0xffff;
    let signedness = |signed: bool| word("encoding", if signed { "SIGNED" } else { "UNSIGNED" });
    match t.kind() {
        Some(Kind::Int) => {
            let i = t.int_info();
            fields.push(uint("size", t.size_or_type()));
            fields.push(uint("bits_offset", i.bit_offset));
            fields.push(uint("nr_bits", i.bits));
            fields.push(word("encoding", int_encoding_name(i.encoding)));
        }
        Some(
            Kind::Ptr
            | Kind::Const
            | Kind::Volatile
            | Kind::Restrict
            | Kind::Typedef
            | Kind::TypeTag,
        ) => {
            fields.push(uint("type_id", t.size_or_type()));
        }
        Some(Kind::Array) => {
            let a = t.array();
            fields.push(uint("type_id", a.elem_type));
            fields.push(uint("index_type_id", a.index_type));
            fields.push(uint("nr_elems", a.nelems));
        }
        Some(Kind::Struct | Kind::Union) => {
            fields.push(uint("size", t.size_or_type()));
            fields.push(uint("vlen", vlen));
            elems_key = Some("members");
            for m in t.members().take(vlen as usize) {
                let mut e = vec![
                    elem_name(btf, m.name_off),
                    uint("type_id", m.type_id),
                    uint("bits_offset", m.bit_offset(kflag)),
                ];
                if m.bitfield_size(kflag) != 0 {
                    e.push(uint("bitfield_size", m.bitfield_size(kflag)));
                }
                elems.push(e);
            }
        }
        Some(Kind::Enum) => {
            fields.push(signedness(kflag));
            fields.push(uint("size", t.size_or_type()));
            fields.push(uint("vlen", vlen));
            elems_key = Some("values");
            for v in t.enum_values().take(vlen as usize) {
                let raw = v.value as u32;
                let value = if kflag {
                    Value::Int(raw as i32 as i64)
                } else {
                    Value::EnumU32(raw)
                };
                elems.push(vec![elem_name(btf, v.name_off), kv("val", value)]);
            }
        }
        Some(Kind::Enum64) => {
            fields.push(signedness(kflag));
            fields.push(uint("size", t.size_or_type()));
            fields.push(uint("vlen", vlen));
            elems_key = Some("values");
            for v in t.enum64_values().take(vlen as usize) {
                let (value, suffix) = if kflag {
                    (Value::Int(v.value as i64), "LL")
                } else {
                    (Value::Uint(v.value), "ULL")
                };
                elems.push(vec![
                    elem_name(btf, v.name_off),
                    Field {
                        key: "val",
                        value,
                        text: Text::KeyValueSuffix(suffix),
                    },
                ]);
            }
        }
        Some(Kind::Fwd) => fields.push(word("fwd_kind", if kflag { "union" } else { "struct" })),
        Some(Kind::Func) => {
            fields.push(uint("type_id", t.size_or_type()));
            fields.push(word("linkage", func_linkage_name(t.vlen() & 0xffff)));
        }
        Some(Kind::FuncProto) => {
            fields.push(uint("ret_type_id", t.size_or_type()));
            fields.push(uint("vlen", vlen));
            elems_key = Some("params");
            for p in t.params().take(vlen as usize) {
                elems.push(vec![elem_name(btf, p.name_off), uint("type_id", p.type_id)]);
            }
        }
        Some(Kind::Var) => {
            fields.push(Field {
                key: "type_id",
                value: Value::Uint(t.size_or_type() as u64),
                text: Text::KeyValueComma,
            });
            fields.push(word("linkage", var_linkage_name(t.extra_word())));
        }
        Some(Kind::Datasec) => {
            fields.push(uint("size", t.size_or_type()));
            fields.push(uint("vlen", vlen));
            elems_key = Some("vars");
            for v in t.secinfos().take(vlen as usize) {
                let mut e = vec![
                    uint("type_id", v.type_id),
                    uint("offset", v.offset),
                    uint("size", v.size),
                ];
                if v.type_id < btf.type_count() {
                    let (k, name_off) = btf
                        .type_by_id(v.type_id)
                        .map_or((0, 0), |vt| (vt.kind_raw(), vt.name_off()));
                    let mut note = format!("({} '", kind_name(k)).into_bytes();
                    note.extend_from_slice(&display_name(btf, name_off));
                    note.extend_from_slice(b"')");
                    e.push(Field {
                        key: "",
                        value: Value::Str(Cow::Owned(note)),
                        text: Text::AnnotationOnly,
                    });
                }
                elems.push(e);
            }
        }
        Some(Kind::Float) => fields.push(uint("size", t.size_or_type())),
        Some(Kind::DeclTag) => {
            fields.push(uint("type_id", t.size_or_type()));
            fields.push(kv(
                "component_idx",
                Value::Int(t.extra_word() as i32 as i64),
            ));
        }
        None => {}
    }
    Record {
        id: t.id,
        kind: kind_name(t.kind_raw()),
        name: display_name(btf, t.name_off()),
        fields,
        elems_key,
        elems,
    }
}

fn write_text_value(out: &mut impl Write, value: &Value, text: Text) -> io::Result<()> {
    match (value, text) {
        (Value::EnumU32(v), _) => write!(out, "{v}"),
        (Value::Uint(v), _) => write!(out, "{v}"),
        (Value::Int(v), _) => write!(out, "{v}"),
        (Value::Str(s), _) => out.write_all(s),
    }
}

fn write_text_field(out: &mut impl Write, f: &Field, first_in_elem: bool) -> io::Result<()> {
    if !first_in_elem {
        out.write_all(b" ")?;
    }
    match f.text {
        Text::Quoted => {
            out.write_all(b"'")?;
            write_text_value(out, &f.value, f.text)?;
            out.write_all(b"'")
        }
        Text::AnnotationOnly => write_text_value(out, &f.value, f.text),
        Text::KeyValue | Text::KeyValueComma | Text::KeyValueSuffix(_) => {
            write!(out, "{}=", f.key)?;
            write_text_value(out, &f.value, f.text)?;
            match f.text {
                Text::KeyValueComma => out.write_all(b","),
                Text::KeyValueSuffix(s) => out.write_all(s.as_bytes()),
                _ => Ok(()),
            }
        }
    }
}

fn write_text_record(out: &mut impl Write, r: &Record) -> io::Result<()> {
    write!(out, "[{}] {} '", r.id, r.kind)?;
    out.write_all(&r.name)?;
    out.write_all(b"'")?;
    for f in &r.fields {
        write_text_field(out, f, false)?;
    }
    for e in &r.elems {
        out.write_all(b"\n\t")?;
        for (i, f) in e.iter().enumerate() {
            write_text_field(out, f, i == 0)?;
        }
    }
    out.write_all(b"\n")
}

fn write_json_string(out: &mut impl Write, s: &[u8]) -> io::Result<()> {
    let s = String::from_utf8_lossy(s);
    out.write_all(b"\"")?;
    for c in s.chars() {
        match c {
            '"' => out.write_all(b"\\\"")?,
            '\\' => out.write_all(b"\\\\")?,
            '\n' => out.write_all(b"\\n")?,
            '\t' => out.write_all(b"\\t")?,
            '\r' => out.write_all(b"\\r")?,
            c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32)?,
            c => write!(out, "{c}")?,
        }
    }
    out.write_all(b"\"")
}

fn write_json_fields(out: &mut impl Write, fields: &[Field], mut first: bool) -> io::Result<()> {
    for f in fields {
        if matches!(f.text, Text::AnnotationOnly) {
            continue;
        }
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        write!(out, "\"{}\":", f.key)?;
        match &f.value {
            Value::Uint(v) => write!(out, "{v}")?,
            Value::Int(v) => write!(out, "{v}")?,
            Value::EnumU32(v) => write!(out, "{}", *v as i32 as i64 as u64)?,
            Value::Str(s) => write_json_string(out, s)?,
        }
    }
    Ok(())
}

fn write_json_record(out: &mut impl Write, r: &Record) -> io::Result<()> {
    write!(out, "{{\"id\":{},\"kind\":\"{}\",\"name\":", r.id, r.kind)?;
    write_json_string(out, &r.name)?;
    write_json_fields(out, &r.fields, false)?;
    if let Some(key) = r.elems_key {
        write!(out, ",\"{key}\":[")?;
        for (i, e) in r.elems.iter().enumerate() {
            out.write_all(if i == 0 { b"{" } else { b",{" })?;
            write_json_fields(out, e, true)?;
            out.write_all(b"}")?;
        }
        out.write_all(b"]")?;
    }
    out.write_all(b"}")
}

/// Writes every type of `btf` itself (not its base's), as bpftool does.
pub fn dump(btf: &Btf, format: DumpFormat, out: &mut impl Write) -> io::Result<()> {
    if format == DumpFormat::Json {
        out.write_all(b"{\"types\":[")?;
    }
    for (i, t) in btf.local_types().enumerate() {
        let r = describe(btf, t);
        match format {
            DumpFormat::Raw => write_text_record(out, &r)?,
            DumpFormat::Json => {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_json_record(out, &r)?;
            }
        }
    }
    if format == DumpFormat::Json {
        out.write_all(b"]}\n")?;
    }
    Ok(())
}
