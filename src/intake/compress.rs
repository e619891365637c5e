//! Pure-Rust decompressors (so the same code runs in wasm), each bounded so
//! that a small hostile file cannot make us allocate without limit.

use std::io::{self, Read, Write};

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

/// A sink that refuses to grow past a limit.
struct Bounded {
    out: Vec<u8>,
    limit: u64,
    hit_limit: bool,
}

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.out.len() as u64 + buf.len() as u64 > self.limit {
            self.hit_limit = true;
            return Err(io::Error::other("decompressed size limit reached"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

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

fn copy(mut reader: impl Read, sink: &mut Bounded) -> std::result::Result<(), String> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => sink.write_all(&buf[..n]).map_err(|e| e.to_string())?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.to_string()),
        }
    }
}
