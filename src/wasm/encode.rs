//! DWARF → BTF for the page: a debug ELF file (vmlinux or module) arrives
//! slice by slice into its compact form (`encode::compact`), so a file of
//! hundreds of megabytes is never one buffer, and is encoded as
//! `btfscope encode` does.

use js_sys::{Function, Reflect, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::to_js;
use crate::analyze::session::OwnedBase;
use crate::analyze::stat::{stat, Stat};
use crate::encode::compact::CompactElf;
use crate::encode::{encode_compact, EncodeSummary, Features, Options};
use crate::Result;

/// A debug ELF file being read: the page asks `wanted()`, reads that slice
/// of the file and `give`s it, until `wanted()` is undefined; then
/// `encode`.
#[wasm_bindgen]
pub struct DebugElf {
    compact: CompactElf,
}

/// What `DebugElf::encode` returns besides the BTF.
#[derive(Serialize)]
struct Encoded {
    stat: Stat,
    report: EncodeSummary,
}

#[wasm_bindgen]
impl DebugElf {
    /// Starts reading a file of `file_size` bytes.
    #[wasm_bindgen(constructor)]
    pub fn new(file_size: f64) -> Result<DebugElf, JsError> {
        Ok(DebugElf {
            compact: CompactElf::new(file_size as u64)?,
        })
    }

    /// `[offset, length]` of the slice of the file to give next, or
    /// undefined once everything needed is in.
    pub fn wanted(&self) -> Option<Vec<f64>> {
        let (offset, len) = self.compact.wanted()?;
        Some(vec![offset as f64, len as f64])
    }

    /// The bytes of the slice `wanted()` named.
    pub fn give(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        Ok(self.compact.give(bytes)?)
    }

    /// Encodes as `btfscope encode [-B base] --btf-features features`:
    /// `{ btf, stat, report }` with `btf` the raw BTF (a `Uint8Array`, in
    /// the file's byte order), `stat` its types and bytes per kind and
    /// `report` what the encoder did. `base` is any file holding the base
    /// BTF (a vmlinux); `progress(done, total)` is called as CUs are done.
    pub fn encode(
        self,
        base: Option<Vec<u8>>,
        features: &str,
        progress: Function,
    ) -> Result<JsValue, JsError> {
        let opts = Options {
            features: Features::parse(features)?,
            ..Options::default()
        };
        let elf = self.compact.finish()?;
        let base = base
            .map(|bytes| OwnedBase::open(&bytes))
            .transpose()
            .map_err(|e| JsError::new(&e.in_file("base").to_string()))?;
        let (btf, encoded) = with_progress(
            move |progress| -> Result<_> {
                let base = base.as_ref().map(OwnedBase::btf);
                let (btf, report) = encode_compact(elf, base, &opts, progress)?;
                let stat = stat(&btf);
                Ok((btf.to_bytes_in(report.endian), Encoded { stat, report }))
            },
            &progress,
        )?;
        let out = to_js(&encoded)?;
        Reflect::set(&out, &"btf".into(), &Uint8Array::from(&btf[..]))
            .map_err(|_| JsError::new("cannot set the result's btf"))?;
        Ok(out)
    }
}

fn report_progress(progress: &Function, done: usize, total: usize) {
    // A failing callback does not stop the encoding.
    let _ = progress.call2(&JsValue::NULL, &done.into(), &total.into());
}

/// Runs `work` on the thread pool while this thread, the worker's own,
/// hands its progress to `progress`: only this thread can call into JS.
#[cfg(feature = "threads")]
fn with_progress<T: Send + 'static>(
    work: impl FnOnce(&(dyn Fn(usize, usize) + Sync)) -> T + Send + 'static,
    progress: &Function,
) -> T {
    enum Message<T> {
        Progress(usize, usize),
        Done(T),
    }
    let (tx, rx) = std::sync::mpsc::channel();
    rayon::spawn(move || {
        let out = work(&|done, total| {
            let _ = tx.send(Message::Progress(done, total));
        });
        let _ = tx.send(Message::Done(out));
    });
    loop {
        // A panic on the pool aborts the whole module: an answer comes.
        match rx.recv().expect("the encoding ends with an answer") {
            Message::Progress(done, total) => report_progress(progress, done, total),
            Message::Done(out) => return out,
        }
    }
}

/// Runs `work` here, the only thread, calling `progress` as it goes.
#[cfg(not(feature = "threads"))]
fn with_progress<T: Send + 'static>(
    work: impl FnOnce(&(dyn Fn(usize, usize) + Sync)) -> T + Send + 'static,
    progress: &Function,
) -> T {
    use std::cell::RefCell;
    // A JS function is not `Sync`; the callback reaches it through this
    // thread's own slot instead.
    thread_local!(static PROGRESS: RefCell<Option<Function>> = const { RefCell::new(None) });
    PROGRESS.set(Some(progress.clone()));
    let out = work(&|done, total| {
        PROGRESS.with_borrow(|f| {
            if let Some(f) = f {
                report_progress(f, done, total);
            }
        })
    });
    PROGRESS.set(None);
    out
}
