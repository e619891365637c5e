//! Zero-copy view of one type record. Every BTF record is a sequence of
//! 32-bit words in the blob's byte order, so the view decodes words on access.

use super::header::Endian;
use super::kind::{Kind, KindLayout, KIND_MASK, TYPE_HEADER_LEN, VLEN_MASK};
use super::record::{id_words_of, str_words_of, IdWords, FWD};

/// Type id. Id 0 is `void` and has no record.
pub type TypeId = u32;

#[derive(Clone, Copy, Debug)]
pub struct TypeView<'a> {
    pub id: TypeId,
    bytes: &'a [u8],
    endian: Endian,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntInfo {
    pub encoding: u8,
    pub bit_offset: u8,
    pub bits: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArrayInfo {
    pub elem_type: TypeId,
    pub index_type: TypeId,
    pub nelems: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    pub name_off: u32,
    pub type_id: TypeId,
    /// Raw offset word; its meaning depends on the parent's kind_flag.
    pub offset: u32,
}

impl Member {
    pub fn bit_offset(&self, kflag: bool) -> u32 {
        if kflag {
            self.offset & 0x00ff_ffff
        } else {
            self.offset
        }
    }

    pub fn bitfield_size(&self, kflag: bool) -> u32 {
        if kflag {
            self.offset >> 24
        } else {
            0
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnumValue {
    pub name_off: u32,
    /// The value's bits; ENUM values are sign- or zero-extended by `kflag`.
    pub value: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    pub name_off: u32,
    pub type_id: TypeId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VarSecinfo {
    pub type_id: TypeId,
    pub offset: u32,
    pub size: u32,
}

impl<'a> TypeView<'a> {
    /// `bytes` is exactly this type's record, already bounds-checked.
    pub(crate) fn new(id: TypeId, bytes: &'a [u8], endian: Endian) -> Self {
        debug_assert!(bytes.len() >= TYPE_HEADER_LEN && bytes.len().is_multiple_of(4));
        TypeView { id, bytes, endian }
    }

    #[inline]
    pub fn word(&self, index: usize) -> u32 {
        self.endian.u32_at(self.bytes, index * 4)
    }

    /// The record as native-order words.
    pub fn words(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        let endian = self.endian;
        self.bytes.chunks_exact(4).map(move |c| endian.u32_at(c, 0))
    }

    /// The record's raw bytes, in the blob's byte order.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    pub fn endian(&self) -> Endian {
        self.endian
    }

    pub fn name_off(&self) -> u32 {
        self.word(0)
    }

    pub fn info(&self) -> u32 {
        self.word(1)
    }

    pub fn kind_raw(&self) -> u8 {
        ((self.info() >> 24) & KIND_MASK) as u8
    }

    pub fn kind(&self) -> Option<Kind> {
        Kind::from_raw(self.kind_raw())
    }

    pub fn vlen(&self) -> u32 {
        self.info() & VLEN_MASK
    }

    pub fn kflag(&self) -> bool {
        self.info() >> 31 == 1
    }

    /// Word 2: a size for sized kinds, a type id for reference kinds.
    pub fn size_or_type(&self) -> u32 {
        self.word(2)
    }

    pub fn int_info(&self) -> IntInfo {
        let v = self.word(3);
        IntInfo {
            encoding: ((v >> 24) & 0x0f) as u8,
            bit_offset: ((v >> 16) & 0xff) as u8,
            bits: (v & 0xff) as u8,
        }
    }

    pub fn array(&self) -> ArrayInfo {
        ArrayInfo {
            elem_type: self.word(3),
            index_type: self.word(4),
            nelems: self.word(5),
        }
    }

    /// VAR linkage or DECL_TAG component index (as u32): the single info word.
    pub fn extra_word(&self) -> u32 {
        self.word(3)
    }

    /// Word `w` counted from the end of the common header, where vlen
    /// elements start.
    #[inline]
    fn body_word(&self, w: u32) -> u32 {
        self.word(3 + w as usize)
    }

    fn elems<T>(
        self,
        elem_words: u32,
        make: impl Fn(&TypeView<'a>, u32) -> T + 'a,
    ) -> impl ExactSizeIterator<Item = T> + 'a {
        let n = self.vlen();
        debug_assert!(n as usize * elem_words as usize * 4 + TYPE_HEADER_LEN <= self.bytes.len());
        (0..n).map(move |i| make(&self, i * elem_words))
    }

    pub fn members(self) -> impl ExactSizeIterator<Item = Member> + 'a {
        self.elems(3, |t, base| Member {
            name_off: t.body_word(base),
            type_id: t.body_word(base + 1),
            offset: t.body_word(base + 2),
        })
    }

    /// ENUM values, widened to u64 by sign when `kflag` says signed.
    pub fn enum_values(self) -> impl ExactSizeIterator<Item = EnumValue> + 'a {
        let signed = self.kflag();
        self.elems(2, move |t, base| {
            let raw = t.body_word(base + 1);
            EnumValue {
                name_off: t.body_word(base),
                value: if signed {
                    raw as i32 as i64 as u64
                } else {
                    raw as u64
                },
            }
        })
    }

    pub fn enum64_values(self) -> impl ExactSizeIterator<Item = EnumValue> + 'a {
        self.elems(3, |t, base| EnumValue {
            name_off: t.body_word(base),
            value: (t.body_word(base + 2) as u64) << 32 | t.body_word(base + 1) as u64,
        })
    }

    pub fn params(self) -> impl ExactSizeIterator<Item = Param> + 'a {
        self.elems(2, |t, base| Param {
            name_off: t.body_word(base),
            type_id: t.body_word(base + 1),
        })
    }

    pub fn secinfos(self) -> impl ExactSizeIterator<Item = VarSecinfo> + 'a {
        self.elems(3, |t, base| VarSecinfo {
            type_id: t.body_word(base),
            offset: t.body_word(base + 1),
            size: t.body_word(base + 2),
        })
    }

    /// Word indexes (into this record) that hold type ids: the record
    /// layer's [`id_words_of`], without a FWD's unused `type` word. Used by
    /// validation, remapping and graph walks.
    pub fn type_ref_words(&self) -> IdWords {
        match self.kind_raw() as u32 {
            FWD => IdWords::none(),
            k => id_words_of(k, self.vlen() as usize),
        }
    }

    /// Word indexes (into this record) that hold names: the type's own and
    /// its elements', as the record layer's [`str_words_of`].
    pub fn name_words(&self) -> impl Iterator<Item = usize> {
        str_words_of(self.kind_raw() as u32, self.vlen() as usize)
    }
}

/// Record length for a known kind, or `None` for a kind that needs layout data.
pub fn known_layout(kind_raw: u8) -> Option<KindLayout> {
    Kind::from_raw(kind_raw).map(Kind::layout)
}
