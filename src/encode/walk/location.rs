//! Location expressions: where a parameter is passed (its register, by
//! pahole's rules for optimized-out and moved parameters) and where a member
//! lies (`DW_AT_data_member_location`).

use gimli::constants::{DW_OP_constu, DW_OP_plus_uconst};
use gimli::{AttributeValue, Reader};

use super::die::udata;
use super::{WResult, Walker, R};

impl<'a> Walker<'a, '_> {
    /// pahole's `parameter__reg`: a `DW_OP_regN` as the first location, or
    /// `DW_OP_entry_value(DW_OP_regN)` in any; the expected register wins,
    /// else the last one seen.
    pub(super) fn param_register(
        &self,
        loc: AttributeValue<R<'a>>,
        expected: u16,
    ) -> WResult<Option<u16>> {
        let encoding = self.unit.encoding();
        let mut found = None;
        let mut check = |expr: gimli::Expression<R<'a>>, first: bool| -> WResult<bool> {
            match single_op(&expr, encoding) {
                Some(SingleOp::Reg(r)) if first => found = Some(r),
                Some(SingleOp::EntryValue(inner)) => found = Some(inner),
                _ => return Ok(false),
            }
            Ok(found == Some(expected))
        };
        if let AttributeValue::Exprloc(expr) = loc {
            check(expr, true)?;
            return Ok(found);
        }
        // Raw entries: libdw, which pahole reads through, counts empty
        // ranges as locations too, and so decides what comes first.
        if let Some(offset) = self.ctx.dwarf.attr_locations_offset(self.unit, loc)? {
            let mut list = self.ctx.dwarf.locations.raw_locations(offset, encoding)?;
            let mut first = true;
            while let Some(entry) = list.next()? {
                use gimli::RawLocListEntry as E;
                let data = match entry {
                    E::BaseAddress { .. } | E::BaseAddressx { .. } => continue,
                    E::AddressOrOffsetPair { data, .. }
                    | E::StartxEndx { data, .. }
                    | E::StartxLength { data, .. }
                    | E::OffsetPair { data, .. }
                    | E::DefaultLocation { data }
                    | E::StartEnd { data, .. }
                    | E::StartLength { data, .. } => data,
                };
                if check(data, first)? {
                    break;
                }
                first = false;
            }
        }
        Ok(found)
    }
}

enum SingleOp {
    Reg(u16),
    EntryValue(u16),
}

/// The operation of a one-operation expression (ignoring a trailing
/// `DW_OP_stack_value`), when it is a register or an entry value. An
/// expression gimli cannot parse (vendor operations) is neither.
fn single_op(expr: &gimli::Expression<R<'_>>, encoding: gimli::Encoding) -> Option<SingleOp> {
    parse_single_op(expr, encoding).ok().flatten()
}

fn parse_single_op(
    expr: &gimli::Expression<R<'_>>,
    encoding: gimli::Encoding,
) -> WResult<Option<SingleOp>> {
    let mut ops = expr.operations(encoding);
    let Some(first_at) = expr.0.slice().first().copied() else {
        return Ok(None);
    };
    let Some(op) = ops.next()? else {
        return Ok(None);
    };
    match ops.next()? {
        None | Some(gimli::Operation::StackValue) => {}
        Some(_) => return Ok(None),
    }
    if ops.next()?.is_some() {
        return Ok(None);
    }
    Ok(match op {
        // DW_OP_reg0..31 only, as pahole (not DW_OP_regx).
        gimli::Operation::Register { register } if (0x50..=0x6f).contains(&first_at) => {
            Some(SingleOp::Reg(register.0))
        }
        gimli::Operation::EntryValue { expression } => {
            let inner = gimli::Expression(expression);
            let mut inner_ops = inner.operations(encoding);
            match (inner_ops.next()?, inner_ops.next()?) {
                (Some(gimli::Operation::Register { register }), None) => {
                    Some(SingleOp::EntryValue(register.0))
                }
                // Another single operation: a location, but no register.
                (Some(_), None) => Some(SingleOp::EntryValue(u16::MAX)),
                _ => None,
            }
        }
        _ => None,
    })
}

/// `DW_AT_data_member_location`: a constant, or `DW_OP_plus_uconst N` /
/// `DW_OP_constu N` as older compilers emit.
pub(super) fn member_offset(v: &AttributeValue<R<'_>>) -> u64 {
    if let Some(x) = udata(v) {
        return x;
    }
    if let AttributeValue::Exprloc(gimli::Expression(expr)) | AttributeValue::Block(expr) = v {
        let mut r = *expr;
        if let Ok(op) = r.read_u8() {
            if op == DW_OP_plus_uconst.0 || op == DW_OP_constu.0 {
                return r.read_uleb128().unwrap_or(u64::MAX);
            }
        }
        return u64::MAX;
    }
    0
}
