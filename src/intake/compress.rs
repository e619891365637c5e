//! Pure-Rust decompressors (so the same code runs in wasm), each bounded so
//! that a small hostile file cannot make us allocate without limit.

use std::io::{self, Read};

use crate::error::{Error, ErrorKind, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    Gzip,
    Xz,
    Zstd,
}

impl Codec {
    /// Recognises a stream by its magic bytes.
    pub fn sniff(data: &[u8]) -> Option<Codec> {
        if data.starts_with(&[0x1f, 0x8b]) {
            Some(Codec::Gzip)
        } else if data.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Some(Codec::Xz)
        } else if data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Codec::Zstd)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Xz => "xz",
            Codec::Zstd => "zstd",
        }
    }
}

/// Output may be at most this many times the compressed input (plus a
/// floor): real kernels and modules expand 3–10×, bombs far more.
pub const MAX_EXPANSION: u64 = 64;
const EXPANSION_FLOOR: u64 = 16 << 20;
/// Never produce more than this, whatever the input size.
pub const MAX_OUTPUT: u64 = 2 << 30;

pub fn output_limit(input_len: usize) -> u64 {
    (input_len as u64 * MAX_EXPANSION + EXPANSION_FLOOR).min(MAX_OUTPUT)
}

/// The output of a decompression, refusing to grow past a limit.
struct Bounded {
    out: Vec<u8>,
    limit: u64,
    hit_limit: bool,
}

/// The first read asks for this much; later reads for as much again as the
/// output holds (up to [`MAX_READ`]), so buffers follow what a stream
/// produces rather than a fixed size: a short or broken stream (most of what
/// a scan of an image tries) costs a few KiB, not a 64 KiB buffer.
const FIRST_READ: usize = 4 << 10;
const MAX_READ: usize = 1 << 20;

/// Decompresses a whole stream that starts at `data[0]` into at most `limit`
/// bytes (see [`output_limit`]). Trailing bytes after the stream (padding in
/// vmlinuz) are ignored by every codec here.
pub fn decompress(codec: Codec, data: &[u8], limit: u64) -> Result<Vec<u8>> {
    let mut sink = Bounded {
        out: Vec::new(),
        limit,
        hit_limit: false,
    };
    let result = match codec {
        Codec::Gzip => copy(flate2::read::GzDecoder::new(data), &mut sink),
        // lzma-rust2 also undoes BCJ filters, which x86 vmlinuz payloads use.
        // One stream only: what follows it in a vmlinuz is not xz data.
        Codec::Xz => copy(lzma_rust2::XzReader::new(data, false), &mut sink),
        Codec::Zstd => zstd(data, &mut sink),
    };
    match result {
        Ok(()) => Ok(sink.out),
        Err(_) if sink.hit_limit => Err(Error::at(
            ErrorKind::Limit,
            0u64,
            format!(
                "{} stream needs more than the {limit} bytes allowed for this input \
                 ({MAX_EXPANSION}x its size plus {} MiB); refusing",
                codec.name(),
                EXPANSION_FLOOR >> 20
            ),
        )),
        Err(e) => Err(Error::at(
            ErrorKind::Decompress,
            0u64,
            format!(
                "{} stream is corrupt after {} output bytes: {e}",
                codec.name(),
                sink.out.len()
            ),
        )),
    }
}

/// ruzstd reserves the window the frame declares up front and leaves the
/// content checksum to its caller, so both are handled here.
fn zstd(data: &[u8], sink: &mut Bounded) -> std::result::Result<(), String> {
    use ruzstd::decoding::errors::FrameDecoderError;
    use ruzstd::decoding::{StreamingDecoder, DEFAULT_MAX_WINDOW_SIZE};

    let max_window = sink.limit.min(DEFAULT_MAX_WINDOW_SIZE);
    let mut dec = match StreamingDecoder::new_with_max_window_size(data, max_window) {
        Ok(dec) => dec,
        Err(e @ FrameDecoderError::WindowSizeTooBig { .. }) => {
            sink.hit_limit = true;
            return Err(e.to_string());
        }
        Err(e) => return Err(e.to_string()),
    };
    copy(&mut dec, sink)?;
    let frame = dec.into_frame_decoder();
    match (
        frame.get_checksum_from_data(),
        frame.get_calculated_checksum(),
    ) {
        (Some(stored), Some(computed)) if stored != computed => Err(format!(
            "content checksum {computed:#010x} does not match the stored {stored:#010x}"
        )),
        _ => Ok(()),
    }
}

/// Reads `reader` to its end straight into `sink.out`. Each read may go one
/// byte past the limit, which is how a stream that is too long is told from
/// one that ends exactly at it.
fn copy(mut reader: impl Read, sink: &mut Bounded) -> std::result::Result<(), String> {
    loop {
        let len = sink.out.len();
        let room = usize::try_from(sink.limit.saturating_sub(len as u64))
            .unwrap_or(usize::MAX)
            .saturating_add(1);
        let want = len.clamp(FIRST_READ, MAX_READ).min(room);
        sink.out.resize(len + want, 0);
        let read = reader.read(&mut sink.out[len..]);
        let n = *read.as_ref().unwrap_or(&0);
        sink.out.truncate(len + n);
        match read {
            Ok(0) => return Ok(()),
            Ok(_) if sink.out.len() as u64 > sink.limit => {
                sink.out.truncate(len);
                sink.hit_limit = true;
                return Err("decompressed size limit reached".into());
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}
