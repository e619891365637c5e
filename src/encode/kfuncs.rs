//! kfuncs from `.BTF_ids`: the functions listed in a `BTF_SET8` whose
//! flags mark it as a kfunc set, with their per-function flags, found
//! through the `__BTF_ID__*` symbols the kernel's macros define.

use super::elf::ElfInput;
use super::KFUNC_SECTION;

const SET8_PREFIX: &[u8] = b"__BTF_ID__set8__";
const FUNC_PREFIX: &[u8] = b"__BTF_ID__func__";
/// `BTF_SET8_KFUNCS` in the set's flags word.
const SET8_KFUNCS: u32 = 1;

/// (function name, kfunc flags) for every kfunc.
pub(super) fn collect<'a>(elf: &ElfInput<'a>) -> Vec<(&'a [u8], u32)> {
    let Some(shndx) = elf.section_index(KFUNC_SECTION) else {
        return Vec::new();
    };
    let (Some(ids), Some(section)) = (
        elf.section_data(KFUNC_SECTION).ok(),
        elf.sections.get(shndx),
    ) else {
        return Vec::new();
    };
    let word = |sym_value: u64, at: u64| -> Option<u32> {
        let off =
            usize::try_from(sym_value.checked_sub(section.raw_addr)?.checked_add(at)?).ok()?;
        let b: [u8; 4] = ids.get(off..off.checked_add(4)?)?.try_into().ok()?;
        Some(if elf.little_endian {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let in_ids = || elf.symbols.iter().filter(|s| s.section == Some(shndx));
    // struct btf_id_set8 { u32 cnt; u32 flags; struct { u32 id, flags; } pairs[]; }
    let ranges: Vec<(u64, u64)> = in_ids()
        .filter(|s| s.name.starts_with(SET8_PREFIX))
        .filter(|s| word(s.value, 4).is_some_and(|f| f & SET8_KFUNCS != 0))
        .map(|s| (s.value, s.value.saturating_add(s.size)))
        .collect();
    in_ids()
        .filter_map(|s| {
            let name = func_name(s.name)?;
            ranges
                .iter()
                .find(|&&(lo, hi)| lo <= s.value && s.value < hi)?;
            Some((name, word(s.value, 4)?))
        })
        .collect()
}

/// `vfs_close` from `__BTF_ID__func__vfs_close__1`.
fn func_name(sym: &[u8]) -> Option<&[u8]> {
    let rest = sym.strip_prefix(FUNC_PREFIX)?;
    let last = rest.iter().rposition(|&c| c == b'_')?;
    (last > 0 && rest[last - 1] == b'_').then(|| &rest[..last - 1])
}

#[cfg(test)]
mod tests {
    use super::func_name;

    #[test]
    fn names() {
        assert_eq!(
            func_name(b"__BTF_ID__func__vfs_close__1"),
            Some(&b"vfs_close"[..])
        );
        assert_eq!(
            func_name(b"__BTF_ID__func__bpf_obj_new_impl__123"),
            Some(&b"bpf_obj_new_impl"[..])
        );
        assert_eq!(func_name(b"__BTF_ID__func__x_1"), None);
        assert_eq!(func_name(b"__BTF_ID__struct__x__1"), None);
    }
}
