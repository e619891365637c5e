//! The tag handlers: what each DIE the walk meets becomes (a type, a
//! function, a variable, annotations), in pahole's order.

use gimli::constants::{
    DW_TAG_GNU_call_site, DW_TAG_GNU_call_site_parameter, DW_TAG_GNU_formal_parameter_pack,
    DW_TAG_GNU_template_parameter_pack, DW_TAG_array_type, DW_TAG_atomic_type, DW_TAG_base_type,
    DW_TAG_call_site, DW_TAG_call_site_parameter, DW_TAG_class_type, DW_TAG_compile_unit,
    DW_TAG_const_type, DW_TAG_dwarf_procedure, DW_TAG_enumeration_type, DW_TAG_enumerator,
    DW_TAG_formal_parameter, DW_TAG_inheritance, DW_TAG_inlined_subroutine, DW_TAG_interface_type,
    DW_TAG_label, DW_TAG_lexical_block, DW_TAG_member, DW_TAG_namespace, DW_TAG_pointer_type,
    DW_TAG_ptr_to_member_type, DW_TAG_reference_type, DW_TAG_restrict_type,
    DW_TAG_rvalue_reference_type, DW_TAG_string_type, DW_TAG_structure_type, DW_TAG_subprogram,
    DW_TAG_subrange_type, DW_TAG_subroutine_type, DW_TAG_template_type_parameter,
    DW_TAG_template_value_parameter, DW_TAG_typedef, DW_TAG_union_type,
    DW_TAG_unspecified_parameters, DW_TAG_unspecified_type, DW_TAG_variable, DW_TAG_variant_part,
    DW_TAG_volatile_type, DwTag,
};
use gimli::AttributeValue;

use super::die::udata;
use super::{
    BitfieldFixup, Die, Made, RawFunc, RawParam, RawVar, Target, WResult, Walker,
    DW_TAG_LLVM_ANNOTATION, LOCAL,
};
use crate::encode::ir::{DeclTag, LazyName, LocalId, Member, Name, Ty};

impl<'a> Walker<'a, '_> {
    fn add_type(&mut self, offset: u32, ty: Ty<'a>) -> LocalId {
        self.types.push(ty);
        let id = self.types.len() as LocalId;
        self.targets.push((offset, Target::Id(id)));
        id
    }

    /// Files what processing a DIE made into the CU's tables.
    pub(super) fn file(&mut self, offset: u32, made: Made<'a>) {
        match made {
            Made::Type(ty) => {
                self.add_type(offset, ty);
            }
            Made::Alias(to) => self.targets.push((offset, Target::Alias(to))),
            Made::Func(f) => self.funcs.push(f),
            Made::Var(v) => self.vars.push(v),
            Made::Nothing => {}
        }
    }

    /// Walks the CU DIE; returns its name, or `None` if the unit is skipped.
    pub(super) fn walk_unit(&mut self) -> WResult<Option<Name<'a>>> {
        let mut cu = Die::default();
        if !self.next_die(&mut cu)? {
            return Ok(None);
        }
        if cu.tag != DW_TAG_compile_unit || self.ctx.lang_exclude.contains(&cu.language) {
            return Ok(None);
        }
        if cu.has_children {
            let mut die = Die::default();
            while self.next_die(&mut die)? {
                let made = self.process(&die, true)?;
                self.file(die.offset, made);
            }
        }
        Ok(Some(cu.name().unwrap_or(b"")))
    }

    /// Processes one DIE and its children, as pahole's `__die__process_tag`.
    fn process(&mut self, die: &Die<'a>, top_level: bool) -> WResult<Made<'a>> {
        let made = match die.tag {
            DW_TAG_base_type => Made::Type(Ty::Base {
                name: die.name().unwrap_or(b""),
                byte_size: die.byte_size.unwrap_or(0),
                encoding: die.encoding as u8,
            }),
            DW_TAG_const_type => Made::Type(Ty::Const(die.ty)),
            DW_TAG_volatile_type => Made::Type(Ty::Volatile(die.ty)),
            DW_TAG_restrict_type => Made::Type(Ty::Restrict(die.ty)),
            DW_TAG_typedef => {
                let tags = self.annotations(die, -1)?;
                return Ok(self.typedef(die, tags));
            }
            DW_TAG_pointer_type => return self.pointer(die),
            DW_TAG_array_type => return self.array(die),
            DW_TAG_enumeration_type => return self.enumeration(die),
            DW_TAG_structure_type | DW_TAG_class_type | DW_TAG_union_type => {
                return self.structure(die)
            }
            DW_TAG_subroutine_type => return self.subroutine_type(die),
            DW_TAG_subprogram => return self.subprogram(die).map(Made::Func),
            DW_TAG_variable => {
                let tags = self.annotations(die, -1)?;
                return Ok(Made::Var(self.variable(die, top_level, tags)));
            }
            DW_TAG_namespace => {
                if die.has_children {
                    let mut child = Die::default();
                    while self.next_die(&mut child)? {
                        let made = self.process(&child, false)?;
                        self.file(child.offset, made);
                    }
                }
                return Ok(Made::Nothing);
            }
            DW_TAG_unspecified_type => Made::Alias(0),
            DW_TAG_atomic_type => {
                self.warn(format!(
                    "_Atomic at {:#x} encoded as the type it qualifies",
                    die.offset
                ));
                Made::Alias(die.ty)
            }
            DW_TAG_reference_type | DW_TAG_rvalue_reference_type => {
                self.warn(format!(
                    "C++ reference at {:#x} encoded as a pointer",
                    die.offset
                ));
                Made::Type(Ty::Ptr(die.ty))
            }
            DW_TAG_ptr_to_member_type | DW_TAG_string_type | DW_TAG_interface_type => {
                self.warn(format!(
                    "{} at {:#x} has no BTF form; encoded as void",
                    die.tag, die.offset
                ));
                Made::Alias(0)
            }
            _ => Made::Nothing,
        };
        self.skip_children(die)?;
        Ok(made)
    }

    fn typedef(&mut self, die: &Die<'a>, tags: Vec<DeclTag<'a>>) -> Made<'a> {
        if !tags.is_empty() {
            // Numbered by the parent right after this returns.
            let id = self.types.len() as LocalId + 1;
            self.type_tags.extend(tags.into_iter().map(|t| (id, t)));
        }
        Made::Type(Ty::Typedef(die.name().unwrap_or(b""), die.ty))
    }

    /// `btf_decl_tag` annotations among the children of `die`, consuming
    /// them. Only for DIEs whose other children do not matter.
    pub(super) fn annotations(
        &mut self,
        die: &Die<'a>,
        component: i32,
    ) -> WResult<Vec<DeclTag<'a>>> {
        let mut tags = Vec::new();
        if die.has_children {
            let mut child = Die::default();
            while self.next_die(&mut child)? {
                self.annotation(&child, component, &mut tags);
                self.skip_children(&child)?;
            }
        }
        Ok(tags)
    }

    /// Adds `die` to `tags` if it is a `btf_decl_tag` annotation and decl
    /// tags are wanted.
    fn annotation(&self, die: &Die<'a>, component: i32, tags: &mut Vec<DeclTag<'a>>) {
        if die.tag != DW_TAG_LLVM_ANNOTATION || !self.ctx.features.decl_tag {
            return;
        }
        if die.name() == Some(b"btf_decl_tag") {
            if let Some(value) = die.const_value.and_then(|v| self.string(v)) {
                tags.push(DeclTag { value, component });
            }
        }
    }

    pub(super) fn pointer(&mut self, die: &Die<'a>) -> WResult<Made<'a>> {
        let mut chain: Vec<LocalId> = Vec::new();
        if die.has_children {
            let mut child = Die::default();
            while self.next_die(&mut child)? {
                if child.tag == DW_TAG_LLVM_ANNOTATION
                    && self.ctx.features.type_tag
                    && child.name() == Some(b"btf_type_tag")
                {
                    let value = child
                        .const_value
                        .and_then(|v| self.string(v))
                        .unwrap_or(b"");
                    chain.push(self.add_type(child.offset, Ty::TypeTag(value, 0)));
                }
                self.skip_children(&child)?;
            }
        }
        // pointer -> tagN -> ... -> tag1 -> pointee
        let mut next = die.ty;
        for &id in &chain {
            if let Ty::TypeTag(_, to) = &mut self.types[id as usize - 1] {
                *to = next;
            }
            next = id | LOCAL;
        }
        Ok(Made::Type(Ty::Ptr(next)))
    }

    fn array(&mut self, die: &Die<'a>) -> WResult<Made<'a>> {
        let mut nelems: u32 = 1;
        let mut dims = 0;
        if die.has_children {
            let mut child = Die::default();
            while self.next_die(&mut child)? {
                if child.tag == DW_TAG_subrange_type && dims < 64 {
                    // pahole keeps each dimension in a u32 and multiplies.
                    let n = match (child.upper_bound, child.count) {
                        (Some(ub), _) => ub.map_or(0, |u| u.wrapping_add(1)),
                        (None, Some(c)) => c.unwrap_or(0),
                        (None, None) => 0,
                    };
                    nelems = nelems.wrapping_mul(n as u32);
                    dims += 1;
                }
                self.skip_children(&child)?;
            }
        }
        Ok(Made::Type(Ty::Array {
            elem: die.ty,
            nelems,
        }))
    }

    fn enumeration(&mut self, die: &Die<'a>) -> WResult<Made<'a>> {
        let mark = self.values.open();
        if die.has_children {
            let mut child = Die::default();
            while self.next_die(&mut child)? {
                if child.tag == DW_TAG_enumerator {
                    let v = child.const_value.as_ref().and_then(udata).unwrap_or(0);
                    self.values.push((child.name.unwrap_or(LazyName::EMPTY), v));
                }
                self.skip_children(&child)?;
            }
        }
        let values = self.values.close(mark);
        if die.ty != 0 {
            // Signedness comes from the underlying type, resolved later.
            self.enum_bases.push((self.types.len(), die.ty));
        }
        Ok(Made::Type(Ty::Enum {
            name: die.name().unwrap_or(b""),
            size: match die.byte_size {
                Some(0) | None => 4,
                Some(s) => s,
            },
            signed: false,
            values,
        }))
    }

    fn structure(&mut self, die: &Die<'a>) -> WResult<Made<'a>> {
        let union = die.tag == DW_TAG_union_type;
        let mark = self.members.open();
        let mut tags = Vec::new();
        let mut fixups = Vec::new();
        let mut member_idx = 0;
        if die.has_children {
            let mut child = Die::default();
            while self.next_die(&mut child)? {
                match child.tag {
                    DW_TAG_member | DW_TAG_inheritance => {
                        let member_tags = self.annotations(&child, member_idx)?;
                        tags.extend(member_tags);
                        member_idx += 1;
                        // Static members (C++) have no location outside unions.
                        if child.member_location.is_none()
                            && child.data_bit_offset.is_none()
                            && !union
                        {
                            continue;
                        }
                        let byte_offset = child.member_location.unwrap_or(0);
                        let bit_offset = match child.data_bit_offset {
                            Some(b) => b,
                            None => {
                                if child.bit_size != 0 {
                                    fixups.push(BitfieldFixup {
                                        ty_index: 0,
                                        member: self.members.len_since(mark),
                                        byte_offset,
                                        dw_bit_offset: child.bit_offset,
                                        byte_size: child.byte_size.unwrap_or(0),
                                    });
                                }
                                byte_offset.wrapping_mul(8)
                            }
                        };
                        self.members.push(Member {
                            name: child.name.unwrap_or(LazyName::EMPTY),
                            ty: child.ty,
                            bit_offset,
                            bitfield_size: child.bit_size,
                        });
                    }
                    DW_TAG_LLVM_ANNOTATION => {
                        self.annotation(&child, -1, &mut tags);
                        self.skip_children(&child)?;
                    }
                    DW_TAG_subrange_type
                    | DW_TAG_variant_part
                    | DW_TAG_template_type_parameter
                    | DW_TAG_template_value_parameter => self.skip_children(&child)?,
                    _ => {
                        let made = self.process(&child, false)?;
                        self.file(child.offset, made);
                    }
                }
            }
        }
        let members = self.members.close(mark);
        // This type is numbered next.
        let index = self.types.len();
        for mut f in fixups {
            f.ty_index = index;
            self.fixups.push(f);
        }
        let id = index as LocalId + 1;
        self.type_tags.extend(tags.into_iter().map(|t| (id, t)));
        Ok(Made::Type(Ty::Struct {
            union,
            name: die.name().unwrap_or(b""),
            size: die.byte_size.unwrap_or(0),
            declaration: die.declaration,
            members,
        }))
    }

    fn subroutine_type(&mut self, die: &Die<'a>) -> WResult<Made<'a>> {
        let mark = self.params.open();
        let mut varargs = false;
        if die.has_children {
            let mut child = Die::default();
            while self.next_die(&mut child)? {
                match child.tag {
                    DW_TAG_formal_parameter => {
                        self.params
                            .push((child.name.unwrap_or(LazyName::EMPTY), child.ty));
                        self.skip_children(&child)?;
                    }
                    DW_TAG_unspecified_parameters => {
                        varargs = true;
                        self.skip_children(&child)?;
                    }
                    DW_TAG_subrange_type => self.skip_children(&child)?,
                    _ => {
                        let made = self.process(&child, false)?;
                        self.file(child.offset, made);
                    }
                }
            }
        }
        Ok(Made::Type(Ty::Proto {
            ret: die.ty,
            params: self.params.close(mark),
            varargs,
        }))
    }

    fn subprogram(&mut self, die: &Die<'a>) -> WResult<RawFunc<'a>> {
        let mut f = RawFunc {
            offset: die.offset,
            name: die.name(),
            declaration: die.declaration,
            ret: die.ty,
            abstract_origin: die.abstract_origin,
            specification: die.specification,
            params: Vec::new(),
            varargs: false,
            tags: Vec::new(),
        };
        self.function_body(die, Some(&mut f))?;
        Ok(f)
    }

    /// The children of a subprogram (`f` set) or of a lexical block, as
    /// pahole's `die__process_function`.
    fn function_body(&mut self, die: &Die<'a>, mut f: Option<&mut RawFunc<'a>>) -> WResult<()> {
        if !die.has_children {
            return Ok(());
        }
        let mut param_idx = 0;
        let mut child = Die::default();
        while self.next_die_unread(&mut child, |t| is_block(t) || FUNCTION_LOCALS.contains(&t))? {
            match child.tag {
                DW_TAG_formal_parameter => {
                    let p = self.parameter(&child, param_idx)?;
                    if let Some(f) = f.as_deref_mut() {
                        f.params.push(p.0);
                        f.tags.extend(p.1);
                    }
                    param_idx += 1;
                }
                DW_TAG_unspecified_parameters => {
                    if let Some(f) = f.as_deref_mut() {
                        f.varargs = true;
                    }
                    self.skip_children(&child)?;
                }
                DW_TAG_lexical_block => self.function_body(&child, None)?,
                DW_TAG_inlined_subroutine => self.inline_expansion(&child)?,
                DW_TAG_LLVM_ANNOTATION => {
                    if let Some(f) = f.as_deref_mut() {
                        self.annotation(&child, -1, &mut f.tags);
                    }
                    self.skip_children(&child)?;
                }
                t if FUNCTION_LOCALS.contains(&t) => self.skip_children(&child)?,
                _ => {
                    let made = self.process(&child, false)?;
                    self.file(child.offset, made);
                }
            }
        }
        Ok(())
    }

    /// Inlined code can hold types too; pahole keeps them.
    fn inline_expansion(&mut self, die: &Die<'a>) -> WResult<()> {
        if !die.has_children {
            return Ok(());
        }
        let mut child = Die::default();
        while self.next_die_unread(&mut child, |t| is_block(t) || INLINE_LOCALS.contains(&t))? {
            match child.tag {
                DW_TAG_lexical_block => self.function_body(&child, None)?,
                DW_TAG_inlined_subroutine => self.inline_expansion(&child)?,
                t if INLINE_LOCALS.contains(&t) => self.skip_children(&child)?,
                _ => {
                    let made = self.process(&child, false)?;
                    self.file(child.offset, made);
                }
            }
        }
        Ok(())
    }

    /// A function parameter, its decl tags, and pahole's register check: a
    /// parameter expected in one register but found in another is
    /// unexpected. (pahole 1.30 also notes optimized-out parameters, but
    /// no longer leaves their functions out.)
    pub(super) fn parameter(
        &mut self,
        die: &Die<'a>,
        idx: usize,
    ) -> WResult<(RawParam<'a>, Vec<DeclTag<'a>>)> {
        let tags = self.annotations(die, idx as i32)?;
        let mut p = RawParam {
            offset: die.offset,
            name: die.name(),
            ty: die.ty,
            abstract_origin: die.abstract_origin,
            unexpected_reg: false,
        };
        if let (Some(&expected), Some(loc)) = (self.ctx.arg_regs.get(idx), &die.location) {
            let found = self.param_register(*loc, expected)?;
            p.unexpected_reg = found.is_some_and(|r| r != expected);
        }
        Ok((p, tags))
    }

    fn variable(&mut self, die: &Die<'a>, top_level: bool, tags: Vec<DeclTag<'a>>) -> RawVar<'a> {
        let mut addr = None;
        if !die.declaration {
            if let Some(AttributeValue::Exprloc(expr)) = &die.location {
                let mut ops = expr.operations(self.unit.encoding());
                addr = match ops.next() {
                    Ok(Some(gimli::Operation::Address { address })) => Some(address),
                    Ok(Some(gimli::Operation::AddressIndex { index })) => {
                        self.ctx.dwarf.address(self.unit, index).ok()
                    }
                    _ => None,
                };
            }
        }
        RawVar {
            offset: die.offset,
            name: die.name(),
            ty: die.ty,
            external: die.external,
            declaration: die.declaration,
            top_level,
            artificial: die.artificial,
            specification: die.specification,
            addr,
            tags,
        }
    }
}

/// Children of a function body that are never encoded (locals are not
/// top level), skipped with their own children.
const FUNCTION_LOCALS: [DwTag; 11] = [
    DW_TAG_variable,
    DW_TAG_label,
    DW_TAG_call_site,
    DW_TAG_call_site_parameter,
    DW_TAG_GNU_call_site,
    DW_TAG_GNU_call_site_parameter,
    DW_TAG_dwarf_procedure,
    DW_TAG_template_type_parameter,
    DW_TAG_template_value_parameter,
    DW_TAG_GNU_template_parameter_pack,
    DW_TAG_GNU_formal_parameter_pack,
];

/// Children of an inline expansion that are never encoded.
const INLINE_LOCALS: [DwTag; 6] = [
    DW_TAG_formal_parameter,
    DW_TAG_label,
    DW_TAG_call_site,
    DW_TAG_call_site_parameter,
    DW_TAG_GNU_call_site,
    DW_TAG_GNU_call_site_parameter,
];

/// Blocks of code: the walk looks into their children, not at their
/// attributes.
fn is_block(tag: DwTag) -> bool {
    matches!(tag, DW_TAG_lexical_block | DW_TAG_inlined_subroutine)
}
