//! Serializing BTF back to bytes: header, types, optional layout, strings.

use super::header::{Endian, LAYOUT_ENTRY_LEN, LAYOUT_HEADER_LEN, MAGIC, VERSION};
use super::read::Btf;

impl<'a> Btf<'a> {
    /// The raw BTF blob in this BTF's own byte order. For any parsed real
    /// input this is the input itself.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_bytes_in(self.endian())
    }

    /// The raw BTF blob in the given byte order.
    pub fn to_bytes_in(&self, endian: Endian) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.to_bytes_len() as usize);
        self.write_in(endian, |chunk| out.extend_from_slice(chunk));
        out
    }

    /// Hands the raw BTF blob in the given byte order to `emit`, piece by
    /// piece, without building it whole (to hash it, for one).
    pub fn write_in(&self, endian: Endian, mut emit: impl FnMut(&[u8])) {
        let hdr_len = self.header.hdr_len;
        let type_len = self.types.len() as u32;
        let layout_len = self.layout.len() as u32;
        let str_len = self.strings.len() as u32;
        let mut header = Vec::with_capacity(hdr_len as usize);
        header.extend_from_slice(&endian.u16_bytes(MAGIC));
        header.push(VERSION);
        header.push(0);
        for word in [hdr_len, 0, type_len, type_len + layout_len, str_len] {
            header.extend_from_slice(&endian.u32_bytes(word));
        }
        if hdr_len >= LAYOUT_HEADER_LEN {
            let layout_off = if layout_len > 0 { type_len } else { 0 };
            header.extend_from_slice(&endian.u32_bytes(layout_off));
            header.extend_from_slice(&endian.u32_bytes(layout_len));
        }
        header.resize(hdr_len as usize, 0);
        emit(&header);

        if endian != self.endian() {
            let mut swapped = Vec::with_capacity(self.types.len() + self.layout.len());
            swap_types(&self.types, &mut swapped);
            swap_layout(&self.layout, &mut swapped);
            emit(&swapped);
        } else {
            emit(&self.types);
            emit(&self.layout);
        }
        emit(&self.strings);
    }

    /// This BTF with its records stored in `endian` byte order, as libbpf
    /// keeps a BTF in the byte order it came in.
    pub fn into_endian(mut self, endian: Endian) -> Btf<'a> {
        if endian != self.endian() {
            let mut types = Vec::with_capacity(self.types.len());
            swap_types(&self.types, &mut types);
            let mut layout = Vec::with_capacity(self.layout.len());
            swap_layout(&self.layout, &mut layout);
            self.types = types.into();
            self.layout = layout.into();
            self.header.endian = endian;
        }
        self
    }

    /// Length of `to_bytes()` without building it.
    pub fn to_bytes_len(&self) -> u64 {
        self.header.hdr_len as u64
            + self.types.len() as u64
            + self.layout.len() as u64
            + self.strings.len() as u64
    }
}

/// Appends type records, all made of 32-bit words, in the other byte order.
fn swap_types(types: &[u8], out: &mut Vec<u8>) {
    for w in types.chunks_exact(4) {
        out.extend_from_slice(&[w[3], w[2], w[1], w[0]]);
    }
}

/// Appends layout entries (two bytes, then a 16-bit flags field) in the
/// other byte order.
fn swap_layout(layout: &[u8], out: &mut Vec<u8>) {
    for e in layout.chunks_exact(LAYOUT_ENTRY_LEN as usize) {
        out.extend_from_slice(&[e[0], e[1], e[3], e[2]]);
    }
}
