//! Kernel images: the x86 bzImage boot header, and raw images (arm64 Image,
//! s390x) where the payload is not an ELF file.

use std::ops::Range;

use super::compress::{decompress, Codec};
use crate::btf::{Btf, Header};

/// Where the x86 boot protocol (2.08+) says the compressed kernel sits.
pub(super) fn bzimage_payload(data: &[u8]) -> Option<(usize, Codec)> {
    if data.get(0x202..0x206)? != b"HdrS" {
        return None;
    }
    let setup_sects = match *data.get(0x1f1)? {
        0 => 4,
        n => n as usize,
    };
    let payload_offset = u32::from_le_bytes(data.get(0x248..0x24c)?.try_into().ok()?) as usize;
    // Checked: a hostile offset must not overflow a 32-bit usize (wasm).
    let at = ((setup_sects + 1) * 512).checked_add(payload_offset)?;
    let codec = Codec::sniff(data.get(at..)?)?;
    Some((at, codec))
}

/// How many compressed-stream candidates a scan tries before giving up.
const MAX_SCAN_CANDIDATES: usize = 32;

/// Scans for an embedded compressed stream, as the kernel's extract-vmlinux
/// does, and returns the first one that decompresses within `limit` bytes.
pub(super) fn scan_compressed(data: &[u8], limit: u64) -> Option<(usize, Codec, Vec<u8>)> {
    let candidates = (1..data.len().saturating_sub(4))
        // The first byte of a magic before the whole magic: this runs at every
        // offset of the image, and one byte compare is far cheaper than three
        // slice compares (and, under a fuzzer, than three hooked memcmps).
        .filter(|&i| matches!(data[i], 0x1f | 0xfd | 0x28))
        .filter(|&i| {
            let rest = &data[i..];
            // gzip needs its deflate method byte too, to cut false hits.
            Codec::sniff(rest).is_some_and(|c| c != Codec::Gzip || rest.get(2) == Some(&8))
        })
        .take(MAX_SCAN_CANDIDATES);
    for at in candidates {
        let codec = Codec::sniff(&data[at..])?;
        if let Ok(out) = decompress(codec, &data[at..], limit) {
            if !out.is_empty() {
                return Some((at, codec, out));
            }
        }
    }
    None
}

/// Finds a BTF blob inside a raw image by its magic. A candidate counts only
/// if it parses and validates completely as a base BTF.
pub(super) fn find_btf(data: &[u8]) -> Option<Range<usize>> {
    let mut at = 0;
    while at + 24 <= data.len() {
        let pair = [data[at], data[at + 1]];
        if (pair == [0x9f, 0xeb] || pair == [0xeb, 0x9f]) && data[at + 2] == 1 {
            if let Ok(h) = Header::parse(&data[at..]) {
                let len = h.hdr_len as usize + h.str_off as usize + h.str_len as usize;
                let blob = &data[at..at + len];
                if h.type_len > 0 && Btf::parse(blob).is_ok() {
                    return Some(at..at + len);
                }
            }
        }
        at += 4;
    }
    None
}
