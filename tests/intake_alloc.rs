//! What intake allocates for small inputs: buffers must follow what the
//! input is or produces, not a fixed size. Each decompression used to take a
//! 64 KiB read buffer, and a scan of an image tries up to 32 streams: 2 MiB
//! of fresh, zeroed memory for a file of a few KiB (under AddressSanitizer,
//! which keeps freed memory in quarantine, zeroing and faulting in fresh
//! memory took about a fifth of the `intake_open` fuzz target's time, these
//! buffers a fifth of that).
//!
//! Its own test binary: it counts allocations with a global allocator (per
//! thread, so tests running in parallel do not see each other's).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write;

use btfscope::intake::{decompress, output_limit, Codec, Input};

struct Counting;

thread_local! {
    /// Bytes allocated on this thread so far (never decreased by frees).
    static ALLOCATED: Cell<usize> = const { Cell::new(0) };
}

fn count(bytes: usize) {
    let _ = ALLOCATED.try_with(|a| a.set(a.get() + bytes));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size.saturating_sub(layout.size()));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Bytes `f` allocates in total on this thread.
fn allocated_by<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = ALLOCATED.with(Cell::get);
    let out = f();
    (ALLOCATED.with(Cell::get) - before, out)
}

const TEXT: &[u8] = b"a small stream: what a scan of an image mostly tries\n";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// `TEXT` as one xz stream (`xz -c`), written out so that the test needs no
/// tool.
const XZ: &[u8] = &[
    0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04, 0xe6, 0xd6, 0xb4, 0x46, 0x02, 0x00, 0x21, 0x01,
    0x16, 0x00, 0x00, 0x00, 0x74, 0x2f, 0xe5, 0xa3, 0x01, 0x00, 0x34, 0x61, 0x20, 0x73, 0x6d, 0x61,
    0x6c, 0x6c, 0x20, 0x73, 0x74, 0x72, 0x65, 0x61, 0x6d, 0x3a, 0x20, 0x77, 0x68, 0x61, 0x74, 0x20,
    0x61, 0x20, 0x73, 0x63, 0x61, 0x6e, 0x20, 0x6f, 0x66, 0x20, 0x61, 0x6e, 0x20, 0x69, 0x6d, 0x61,
    0x67, 0x65, 0x20, 0x6d, 0x6f, 0x73, 0x74, 0x6c, 0x79, 0x20, 0x74, 0x72, 0x69, 0x65, 0x73, 0x0a,
    0x00, 0x00, 0x00, 0x00, 0xbc, 0xdd, 0x9c, 0x05, 0x58, 0xd8, 0xf7, 0x64, 0x00, 0x01, 0x4d, 0x35,
    0x40, 0x40, 0xe2, 0x33, 0x1f, 0xb6, 0xf3, 0x7d, 0x01, 0x00, 0x00, 0x00, 0x00, 0x04, 0x59, 0x5a,
];

/// `TEXT` as one zstd frame (`zstd -c`).
const ZSTD: &[u8] = &[
    0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x35, 0xa9, 0x01, 0x00, 0x61, 0x20, 0x73, 0x6d, 0x61, 0x6c, 0x6c,
    0x20, 0x73, 0x74, 0x72, 0x65, 0x61, 0x6d, 0x3a, 0x20, 0x77, 0x68, 0x61, 0x74, 0x20, 0x61, 0x20,
    0x73, 0x63, 0x61, 0x6e, 0x20, 0x6f, 0x66, 0x20, 0x61, 0x6e, 0x20, 0x69, 0x6d, 0x61, 0x67, 0x65,
    0x20, 0x6d, 0x6f, 0x73, 0x74, 0x6c, 0x79, 0x20, 0x74, 0x72, 0x69, 0x65, 0x73, 0x0a, 0x7d, 0xef,
    0xe8, 0xea,
];

/// `TEXT` compressed by each codec.
fn streams() -> [(Codec, Vec<u8>); 3] {
    [
        (Codec::Gzip, gzip(TEXT)),
        (Codec::Xz, XZ.to_vec()),
        (Codec::Zstd, ZSTD.to_vec()),
    ]
}

/// Each decoder keeps some state of its own (flate2 about 75 KiB, the xz
/// decoder its 64 KiB input buffer and a window of at least 64 KiB, ruzstd
/// its tables); on top of that a small stream may cost a few KiB, which the
/// 64 KiB read buffer this replaced did not fit in.
const DECODER_STATE: [(Codec, usize); 3] = [
    (Codec::Gzip, 80 << 10),
    (Codec::Xz, 136 << 10),
    (Codec::Zstd, 40 << 10),
];
const SMALL_STREAM_EXTRA: usize = 16 << 10;

#[test]
fn a_small_stream_allocates_little_beyond_its_decoder() {
    for ((codec, z), (_, state)) in streams().into_iter().zip(DECODER_STATE) {
        let (bytes, out) = allocated_by(|| decompress(codec, &z, output_limit(z.len())));
        assert_eq!(out.unwrap(), TEXT, "{codec:?}");
        assert!(
            bytes <= state + SMALL_STREAM_EXTRA,
            "{codec:?}: {bytes} bytes allocated for a {}-byte stream",
            z.len()
        );
    }
}

/// A raw image with 32 broken streams, the three codecs in turn, each cut
/// after 12 bytes: the scan tries all 32. Their decoders' state comes to
/// about 35 KiB a candidate; the 64 KiB read buffer each took made it 95.
#[test]
fn scanning_an_image_of_broken_streams_allocates_little() {
    let mut image = vec![0u8; 64];
    let streams = streams();
    for i in 0..32 {
        let z = &streams[i % 3].1;
        image.extend_from_slice(&z[..12]);
        image.extend_from_slice(&[0u8; 52]);
    }
    let (bytes, opened) = allocated_by(|| Input::open(&image));
    assert!(opened.is_err());
    let per_candidate = 48 << 10;
    assert!(
        bytes <= 32 * per_candidate,
        "{bytes} bytes allocated for a {}-byte image",
        image.len()
    );
}

/// Reading straight into the output keeps the limit exact: a stream that
/// produces exactly the limit decodes, one byte more is refused.
#[test]
fn the_limit_is_exact() {
    for (codec, z) in streams() {
        let len = TEXT.len() as u64;
        assert_eq!(decompress(codec, &z, len).unwrap(), TEXT, "{codec:?}");
        let e = decompress(codec, &z, len - 1).unwrap_err();
        assert_eq!(e.kind, btfscope::ErrorKind::Limit, "{codec:?}: {e}");
    }
}
