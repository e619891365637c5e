//! The instruction a relocation patches, checked as libbpf checks it at
//! load time before patching it: the value the compiler put in (an ALU
//! immediate, a load or store offset, a 64-bit immediate) must be the value
//! the program's own BTF gives (`orig_val`, when libbpf validates it), the
//! instruction must be of a form libbpf patches, and the new value must fit.
//! Any of these failing fails the whole load.

use super::calc::ReloRes;
use crate::btf::Endian;

/// Size of one BPF instruction.
pub const INSN_SIZE: usize = 8;

/// One BPF instruction's fields, in the object's byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    pub code: u8,
    pub dst: u8,
    pub src: u8,
    pub off: i16,
    pub imm: i32,
}

impl Insn {
    /// The instruction at the start of `bytes` (`None`: fewer than 8 bytes).
    pub fn read(bytes: &[u8], endian: Endian) -> Option<Insn> {
        let b: &[u8; INSN_SIZE] = bytes.get(..INSN_SIZE)?.try_into().ok()?;
        let regs = b[1];
        let (dst, src, off, imm) = match endian {
            Endian::Little => (
                regs & 0xf,
                regs >> 4,
                i16::from_le_bytes([b[2], b[3]]),
                i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
            ),
            Endian::Big => (
                regs >> 4,
                regs & 0xf,
                i16::from_be_bytes([b[2], b[3]]),
                i32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            ),
        };
        Some(Insn {
            code: b[0],
            dst,
            src,
            off,
            imm,
        })
    }

    pub fn class(&self) -> u8 {
        self.code & 7
    }
}

const LD: u8 = 0;
const LDX: u8 = 1;
const ST: u8 = 2;
const STX: u8 = 3;
const ALU: u8 = 4;
const ALU64: u8 = 7;
/// `BPF_LD | BPF_IMM | BPF_DW`: the first half of a 64-bit immediate load.
const LD_IMM64: u8 = 0x18;
/// The operand is a register (`BPF_X`), not the immediate.
const SRC_REG: u8 = 0x08;

/// Bytes a load or store moves, from its size bits.
fn mem_bytes(code: u8) -> u32 {
    match code & 0x18 {
        0x00 => 4,
        0x08 => 2,
        0x10 => 1,
        _ => 8,
    }
}

/// libbpf's checks before it patches the instruction at the start of
/// `code` (the program's code from the relocation's instruction on) with a
/// result that is not poisoned: `Err` says why the load fails, naming the
/// instruction by its index (`insn_off / 8`).
pub fn check_patch(
    code: &[u8],
    endian: Endian,
    insn_off: u32,
    res: &ReloRes,
) -> Result<(), String> {
    let n = insn_off as usize / INSN_SIZE;
    let Some(insn) = Insn::read(code, endian) else {
        return Err(format!("insn #{n} is past the end of its section"));
    };
    let differs = |held: u64, what: &str| {
        Err(format!(
            "insn #{n} holds {what} {}, but the program's BTF gives {}: libbpf refuses to patch it",
            held as i64, res.orig_val
        ))
    };
    match insn.class() {
        ALU | ALU64 => {
            if insn.code & SRC_REG != 0 {
                return Err(format!(
                    "insn #{n} (code {:#04x}) takes a register operand: there is no immediate to patch",
                    insn.code
                ));
            }
            let held = insn.imm as i64 as u64;
            if res.validate && held != res.orig_val {
                return differs(held, "immediate");
            }
        }
        LDX | ST | STX => {
            let held = insn.off as i64 as u64;
            if res.validate && held != res.orig_val {
                return differs(held, "offset");
            }
            if res.new_val > i16::MAX as u64 {
                return Err(format!(
                    "insn #{n}: the new offset {} does not fit the instruction's 16 bits",
                    res.new_val
                ));
            }
            if !res.fail_memsz_adjust && res.new_sz != res.orig_sz {
                let bytes = mem_bytes(insn.code);
                if bytes != res.orig_sz {
                    return Err(format!(
                        "insn #{n} moves {bytes} bytes, but the field is {} bytes in the program's BTF",
                        res.orig_sz
                    ));
                }
                if !matches!(res.new_sz, 1 | 2 | 4 | 8) {
                    return Err(format!(
                        "insn #{n}: no load or store moves {} bytes",
                        res.new_sz
                    ));
                }
            }
        }
        LD => {
            let second = code
                .get(INSN_SIZE..)
                .and_then(|rest| Insn::read(rest, endian));
            let imm = match second {
                Some(s)
                    if insn.code == LD_IMM64
                        && insn.src == 0
                        && insn.off == 0
                        && s.code == 0
                        && s.dst == 0
                        && s.src == 0
                        && s.off == 0 =>
                {
                    insn.imm as u32 as u64 | (s.imm as u32 as u64) << 32
                }
                _ => {
                    return Err(format!(
                        "insn #{n} (code {:#04x}) is not a plain 64-bit immediate load",
                        insn.code
                    ))
                }
            };
            if res.validate && imm != res.orig_val {
                return differs(imm, "immediate");
            }
        }
        _ => {
            return Err(format!(
                "insn #{n} (code {:#04x}) is not an instruction libbpf relocates",
                insn.code
            ))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insn(code: u8, regs: u8, off: i16, imm: i32) -> Vec<u8> {
        let mut v = vec![code, regs];
        v.extend_from_slice(&off.to_le_bytes());
        v.extend_from_slice(&imm.to_le_bytes());
        v
    }

    fn res(orig: u64, new: u64) -> ReloRes {
        ReloRes {
            orig_val: orig,
            new_val: new,
            validate: true,
            orig_sz: 4,
            new_sz: 4,
            ..ReloRes::default()
        }
    }

    #[test]
    fn loads_stores_alu_and_ld_imm64() {
        let e = Endian::Little;
        // r1 = *(u32 *)(r2 + 8)
        let ldx = insn(0x61, 0x21, 8, 0);
        assert_eq!(check_patch(&ldx, e, 16, &res(8, 12)), Ok(()));
        let err = check_patch(&ldx, e, 16, &res(4, 12)).unwrap_err();
        assert!(
            err.starts_with("insn #2 holds offset 8, but the program's BTF gives 4"),
            "{err}"
        );
        // Not validated (a bitfield's offset): anything goes.
        let mut r = res(4, 12);
        r.validate = false;
        assert_eq!(check_patch(&ldx, e, 16, &r), Ok(()));
        assert!(check_patch(&ldx, e, 0, &res(8, 40000))
            .unwrap_err()
            .contains("does not fit"));
        // The field grew from 4 to 8 bytes: the load must be a 4-byte one.
        let mut r = res(8, 8);
        r.new_sz = 8;
        assert_eq!(check_patch(&ldx, e, 0, &r), Ok(()));
        let ldxh = insn(0x69, 0x21, 8, 0);
        assert!(check_patch(&ldxh, e, 0, &r)
            .unwrap_err()
            .contains("moves 2 bytes"));
        // r1 += 4 (BPF_K) and r1 += r2 (BPF_X)
        assert_eq!(check_patch(&insn(0x07, 1, 0, 4), e, 0, &res(4, 8)), Ok(()));
        assert!(check_patch(&insn(0x07, 1, 0, 5), e, 0, &res(4, 8))
            .unwrap_err()
            .contains("holds immediate 5"));
        assert!(check_patch(&insn(0x0f, 0x21, 0, 4), e, 0, &res(4, 8))
            .unwrap_err()
            .contains("register operand"));
        // A negative immediate compares sign-extended, as libbpf compares it.
        assert!(check_patch(&insn(0x07, 1, 0, -1), e, 0, &res(0xffff_ffff, 1)).is_err());
        // r1 = 0x1_0000_0002 ll
        let mut ld = insn(0x18, 1, 0, 2);
        ld.extend(insn(0, 0, 0, 1));
        assert_eq!(check_patch(&ld, e, 0, &res(0x1_0000_0002, 7)), Ok(()));
        assert!(check_patch(&ld, e, 0, &res(2, 7)).is_err());
        assert!(check_patch(&ld[..8], e, 0, &res(2, 7))
            .unwrap_err()
            .contains("not a plain 64-bit immediate load"));
        // A jump is nothing libbpf relocates; a short section neither.
        assert!(check_patch(&insn(0x05, 0, 1, 0), e, 0, &res(0, 0)).is_err());
        assert!(check_patch(&ldx[..4], e, 24, &res(8, 8))
            .unwrap_err()
            .contains("insn #3 is past the end"));
    }

    #[test]
    fn big_endian_objects() {
        // r1 = *(u32 *)(r2 + 8), bpfeb: dst in the high nibble.
        let b = [0x61, 0x12, 0, 8, 0, 0, 0, 0];
        let i = Insn::read(&b, Endian::Big).unwrap();
        assert_eq!((i.dst, i.src, i.off), (1, 2, 8));
        assert_eq!(check_patch(&b, Endian::Big, 0, &res(8, 16)), Ok(()));
    }
}
