//! What a file is, decided by its content: raw BTF, an ELF object (vmlinux,
//! .ko), a compressed module, or a vmlinuz / bzImage / raw kernel image.
//! Whatever the wrapping, the result is the `.BTF`, `.BTF.base` and
//! `.BTF.ext` bytes.

mod compress;
mod elf;
mod image;

use std::borrow::Cow;
use std::ops::Range;

pub use compress::{decompress, output_limit, Codec, MAX_EXPANSION, MAX_OUTPUT};

use crate::btf::Btf;
use crate::error::{Error, ErrorKind, Result};

/// One layer of wrapping that was taken off, outermost first.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "layer", rename_all = "snake_case")]
pub enum Layer {
    /// A compressed stream starting at `at` in the layer above.
    Compressed { codec: Codec, at: u64 },
    /// An x86 bzImage whose payload starts at `payload_at`.
    BzImage { payload_at: u64 },
    /// An ELF object.
    Elf { bits: u8, big_endian: bool },
    /// A raw (non-ELF) kernel image in which the BTF was found by its magic.
    RawImage { btf_at: u64 },
    /// The data is a BTF blob itself.
    RawBtf,
}

/// How deep wrappings may nest (e.g. bzImage → xz → ELF) before we give up.
const MAX_LAYERS: usize = 4;

/// A file with its BTF sections located.
#[derive(Debug)]
pub struct Input<'a> {
    data: Cow<'a, [u8]>,
    pub layers: Vec<Layer>,
    btf: Option<Range<usize>>,
    btf_base: Option<Range<usize>>,
    btf_ext: Option<Range<usize>>,
}

impl<'a> Input<'a> {
    /// Looks at `bytes` and unwraps it down to its BTF sections.
    pub fn open(bytes: &'a [u8]) -> Result<Input<'a>> {
        // Every layer gets the budget of the file itself: a limit taken from
        // each layer's own input would let nested streams multiply it.
        let limit = output_limit(bytes.len());
        let mut layers = Vec::new();
        let mut data: Cow<'a, [u8]> = Cow::Borrowed(bytes);
        loop {
            if layers.len() > MAX_LAYERS {
                return Err(Error::new(
                    ErrorKind::Limit,
                    format!("more than {MAX_LAYERS} nested wrappings (compressed inside compressed ...)"),
                ));
            }
            let d: &[u8] = &data;
            if d.starts_with(&[0x9f, 0xeb]) || d.starts_with(&[0xeb, 0x9f]) {
                layers.push(Layer::RawBtf);
                let all = 0..d.len();
                return Ok(Input::with(data, layers, Some(all), None, None));
            }
            if d.starts_with(b"\x7fELF") {
                let found = elf::sections(d)?;
                layers.push(found.layer);
                return Ok(Input::with(
                    data,
                    layers,
                    found.btf,
                    found.btf_base,
                    found.btf_ext,
                ));
            }
            if let Some(codec) = Codec::sniff(d) {
                let out = decompress(codec, d, limit).map_err(|e| e.context(wrap_note(&layers)))?;
                layers.push(Layer::Compressed { codec, at: 0 });
                data = Cow::Owned(out);
                continue;
            }
            if let Some((payload_at, codec)) = image::bzimage_payload(d) {
                let out = decompress(codec, &d[payload_at..], limit)
                    .map_err(|e| e.rebased(payload_at as u64).context("bzImage payload"))?;
                layers.push(Layer::BzImage {
                    payload_at: payload_at as u64,
                });
                layers.push(Layer::Compressed {
                    codec,
                    at: payload_at as u64,
                });
                data = Cow::Owned(out);
                continue;
            }
            if let Some(btf) = image::find_btf(d) {
                layers.push(Layer::RawImage {
                    btf_at: btf.start as u64,
                });
                return Ok(Input::with(data, layers, Some(btf), None, None));
            }
            if let Some((at, codec, out)) = image::scan_compressed(d, limit) {
                layers.push(Layer::Compressed {
                    codec,
                    at: at as u64,
                });
                data = Cow::Owned(out);
                continue;
            }
            return Err(Error::at(
                ErrorKind::BadContainer,
                0u64,
                format!(
                    "{}not BTF, ELF, a compressed stream or a kernel image (first bytes {:02x?})",
                    wrap_note(&layers),
                    &d[..d.len().min(8)]
                ),
            ));
        }
    }

    fn with(
        data: Cow<'a, [u8]>,
        layers: Vec<Layer>,
        btf: Option<Range<usize>>,
        btf_base: Option<Range<usize>>,
        btf_ext: Option<Range<usize>>,
    ) -> Self {
        Input {
            data,
            layers,
            btf,
            btf_base,
            btf_ext,
        }
    }

    /// True when offsets in `data()` are offsets in the file itself.
    pub fn is_unwrapped(&self) -> bool {
        !self
            .layers
            .iter()
            .any(|l| matches!(l, Layer::Compressed { .. }))
    }

    /// The innermost data: the file, or what decompression produced.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    pub fn btf_bytes(&self) -> Option<&[u8]> {
        self.btf.clone().map(|r| &self.data[r])
    }

    pub fn btf_base_bytes(&self) -> Option<&[u8]> {
        self.btf_base.clone().map(|r| &self.data[r])
    }

    pub fn btf_ext_bytes(&self) -> Option<&[u8]> {
        self.btf_ext.clone().map(|r| &self.data[r])
    }

    /// Parses `.BTF.ext` if the file has one, error offsets counted from
    /// the start of the innermost data.
    pub fn parse_btf_ext(&self) -> Option<Result<crate::btf::ext::BtfExt>> {
        let range = self.btf_ext.clone()?;
        let at = range.start as u64;
        Some(crate::btf::ext::BtfExt::parse(&self.data[range]).map_err(|e| e.rebased(at)))
    }

    /// The bytes of another ELF section (e.g. a BPF program's instructions),
    /// when the innermost data is an ELF object.
    pub fn elf_section(&self, name: &str) -> Option<&[u8]> {
        if !matches!(self.layers.last(), Some(Layer::Elf { .. })) {
            return None;
        }
        elf::section_bytes(&self.data, name)
    }

    /// Parses `.BTF` on `base`, with error offsets counted from the start of
    /// the innermost data (the file itself when nothing was decompressed).
    pub fn parse_btf<'s>(&'s self, base: Option<&'s Btf<'s>>) -> Result<Btf<'s>> {
        let range = self.btf.clone().ok_or_else(|| {
            Error::new(ErrorKind::BadContainer, "no .BTF section in this ELF file")
        })?;
        self.parse_range(range, base, ".BTF")
    }

    /// Parses the distilled base (`.BTF.base`) if the file carries one.
    pub fn parse_btf_base(&self) -> Option<Result<Btf<'_>>> {
        let range = self.btf_base.clone()?;
        Some(self.parse_range(range, None, ".BTF.base"))
    }

    /// Parses `.BTF` on the base it needs and hands it to `f`: on `base`
    /// when given, else on the distilled base (`.BTF.base`) the file carries.
    /// Both together are refused: relocating onto `base` is not supported.
    pub fn with_btf<T>(&self, base: Option<&Btf>, f: impl FnOnce(&Btf) -> Result<T>) -> Result<T> {
        let distilled = match (base, self.parse_btf_base()) {
            (_, None) => None,
            (None, Some(parsed)) => Some(parsed?),
            (Some(_), Some(_)) => {
                return Err(Error::new(
                    ErrorKind::Usage,
                    "carries a distilled base (.BTF.base); relocating it onto -B is not supported yet, drop -B to use the distilled base",
                ))
            }
        };
        let btf = self.parse_btf(base.or(distilled.as_ref()))?;
        f(&btf)
    }

    fn parse_range<'s>(
        &'s self,
        range: Range<usize>,
        base: Option<&'s Btf<'s>>,
        what: &str,
    ) -> Result<Btf<'s>> {
        let at = range.start as u64;
        Btf::parse_with_base(&self.data[range], base).map_err(|e| {
            let e = e.rebased(at);
            if self.is_unwrapped() {
                if matches!(self.layers.last(), Some(Layer::RawBtf)) {
                    e
                } else {
                    e.context(what)
                }
            } else {
                e.context(format!("{what} in the decompressed data"))
            }
        })
    }
}

fn wrap_note(layers: &[Layer]) -> String {
    match layers.last() {
        Some(Layer::Compressed { codec, .. }) => format!("inside {} data: ", codec.name()),
        _ => String::new(),
    }
}
