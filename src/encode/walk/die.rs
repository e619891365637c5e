//! Reading DIEs: the next sibling with only the attributes the walk uses,
//! attribute values as numbers, strings and references, skipping subtrees.

use gimli::constants::{
    DW_AT_abstract_origin, DW_AT_artificial, DW_AT_bit_offset, DW_AT_bit_size, DW_AT_byte_size,
    DW_AT_const_value, DW_AT_count, DW_AT_data_bit_offset, DW_AT_data_member_location,
    DW_AT_declaration, DW_AT_encoding, DW_AT_external, DW_AT_language, DW_AT_location, DW_AT_name,
    DW_AT_specification, DW_AT_type, DW_AT_upper_bound, DW_TAG_base_type, DW_TAG_class_type,
    DW_TAG_compile_unit, DW_TAG_enumeration_type, DW_TAG_enumerator, DW_TAG_formal_parameter,
    DW_TAG_member, DW_TAG_structure_type, DW_TAG_subprogram, DW_TAG_typedef, DW_TAG_union_type,
    DW_TAG_variable, DwAt, DwTag,
};
use gimli::AttributeValue;

use super::location::member_offset;
use super::{Die, WResult, Walker, DW_TAG_LLVM_ANNOTATION, R};
use crate::encode::ir::{LazyName, Name};

pub(super) fn udata(v: &AttributeValue<R<'_>>) -> Option<u64> {
    Some(match *v {
        AttributeValue::Data1(x) => x as u64,
        AttributeValue::Data2(x) => x as u64,
        AttributeValue::Data4(x) => x as u64,
        AttributeValue::Data8(x) => x,
        AttributeValue::Udata(x) => x,
        AttributeValue::Sdata(x) => x as u64,
        _ => return None,
    })
}

impl<'a> Walker<'a, '_> {
    /// Reads the next DIE among the current siblings into `die` (in place:
    /// a DIE is 200 bytes, and there are tens of millions); false at their
    /// end.
    pub(super) fn next_die(&mut self, die: &mut Die<'a>) -> WResult<bool> {
        self.next_die_unread(die, |_| false)
    }

    /// [`next_die`](Self::next_die) where DIEs whose tag is `unread` come back
    /// with only their offset, tag and children flag: most DIEs of function
    /// bodies are never looked at, and decoding their attributes (names
    /// above all) was most of the walk.
    pub(super) fn next_die_unread(
        &mut self,
        die: &mut Die<'a>,
        unread: impl Fn(DwTag) -> bool,
    ) -> WResult<bool> {
        if self.entries.is_empty() {
            return Ok(false);
        }
        let offset = self.entries.next_offset().0 as u32;
        let Some(abbrev) = self.entries.read_abbreviation()? else {
            return Ok(false);
        };
        *die = Die {
            offset,
            tag: abbrev.tag(),
            has_children: abbrev.has_children(),
            ..Die::default()
        };
        if unread(die.tag) {
            self.entries.skip_attributes(abbrev.attributes())?;
            return Ok(true);
        }
        for spec in abbrev.attributes() {
            if !read_value(spec.name(), die.tag) {
                // Unparsed: most attributes (source lines, siblings) are
                // not wanted, and a flag is set by being present.
                self.entries.skip_attributes(std::slice::from_ref(spec))?;
                match spec.name() {
                    DW_AT_declaration => die.declaration = true,
                    DW_AT_external => die.external = true,
                    DW_AT_artificial => die.artificial = true,
                    _ => {}
                }
                continue;
            }
            let attr = self.entries.read_attribute(*spec)?;
            if attr.name() == DW_AT_location {
                // Normalized: a location list offset, whatever its form.
                die.location = Some(attr.value());
                continue;
            }
            let v = attr.raw_value();
            match attr.name() {
                DW_AT_name => die.name = self.lazy_string(v),
                DW_AT_type => die.ty = self.reference(&v),
                DW_AT_byte_size => die.byte_size = udata(&v),
                DW_AT_encoding => die.encoding = udata(&v).unwrap_or(0),
                DW_AT_data_member_location => die.member_location = Some(member_offset(&v)),
                DW_AT_data_bit_offset => die.data_bit_offset = udata(&v),
                DW_AT_bit_offset => die.bit_offset = udata(&v).unwrap_or(0),
                DW_AT_bit_size => die.bit_size = udata(&v).unwrap_or(0),
                DW_AT_upper_bound => die.upper_bound = Some(udata(&v)),
                DW_AT_count => die.count = Some(udata(&v)),
                DW_AT_const_value => die.const_value = Some(v),
                DW_AT_abstract_origin => die.abstract_origin = self.reference(&v),
                DW_AT_specification => die.specification = self.reference(&v),
                DW_AT_language => die.language = udata(&v).unwrap_or(0) as u16,
                _ => {}
            }
        }
        Ok(true)
    }

    pub(super) fn string(&self, v: AttributeValue<R<'a>>) -> Option<Name<'a>> {
        self.lazy_string(v).map(LazyName::bytes)
    }

    /// [`string`](Self::string), its end looked for only when read.
    fn lazy_string(&self, v: AttributeValue<R<'a>>) -> Option<LazyName<'a>> {
        if let AttributeValue::DebugStrRef(at) = v {
            let section = gimli::Section::reader(&self.ctx.dwarf.debug_str).slice();
            // A section ending with a NUL holds the NUL of every string
            // in it, so the end can be looked for later.
            if section.last() == Some(&0) {
                return section
                    .get(at.0..)
                    .filter(|rest| !rest.is_empty())
                    .map(LazyName::until_nul);
            }
        }
        self.ctx
            .dwarf
            .attr_string(self.unit, v)
            .ok()
            .map(|s| LazyName::from(s.slice()))
    }

    /// A reference within this unit, as a raw reference.
    pub(super) fn reference(&self, v: &AttributeValue<R<'a>>) -> u32 {
        let off = match *v {
            AttributeValue::UnitRef(o) => Some(o),
            AttributeValue::DebugInfoRef(o) => o.to_unit_offset(&self.unit.header),
            _ => None,
        };
        // A reference past the unit is to no DIE of it: void, as any
        // unknown DIE. The rest fit below LOCAL (the unit length was
        // checked against it), so they never pass for local ids.
        off.filter(|o| o.0 < self.unit.header.length_including_self())
            .map_or(0, |o| o.0 as u32 + 1)
    }

    /// Skips the children of a DIE we do not look into, and theirs,
    /// without decoding their attributes.
    pub(super) fn skip_children(&mut self, die: &Die<'a>) -> WResult<()> {
        let mut depth = usize::from(die.has_children);
        while depth > 0 && !self.entries.is_empty() {
            match self.entries.read_abbreviation()? {
                Some(abbrev) => {
                    self.entries.skip_attributes(abbrev.attributes())?;
                    depth += usize::from(abbrev.has_children());
                }
                None => depth -= 1,
            }
        }
        Ok(())
    }
}

/// Attributes whose values the walk reads (see `Walker::next_die_unread`):
/// a name costs a string lookup, and only DIEs that become BTF (or are
/// matched by name) need theirs.
fn read_value(at: DwAt, tag: DwTag) -> bool {
    at == DW_AT_name && named(tag)
        || matches!(
            at,
            DW_AT_location
                | DW_AT_type
                | DW_AT_byte_size
                | DW_AT_encoding
                | DW_AT_data_member_location
                | DW_AT_data_bit_offset
                | DW_AT_bit_offset
                | DW_AT_bit_size
                | DW_AT_upper_bound
                | DW_AT_count
                | DW_AT_const_value
                | DW_AT_abstract_origin
                | DW_AT_specification
                | DW_AT_language
        )
}

/// DIEs whose name the encoder uses.
pub(super) fn named(tag: DwTag) -> bool {
    matches!(
        tag,
        DW_TAG_compile_unit
            | DW_TAG_base_type
            | DW_TAG_typedef
            | DW_TAG_structure_type
            | DW_TAG_class_type
            | DW_TAG_union_type
            | DW_TAG_enumeration_type
            | DW_TAG_enumerator
            | DW_TAG_member
            | DW_TAG_formal_parameter
            | DW_TAG_subprogram
            | DW_TAG_variable
            | DW_TAG_LLVM_ANNOTATION
    )
}
