//! libbpf 1.7 (through libbpf-sys) as the deduplication oracle, and a
//! comparison that points at the first differing type.

#![allow(dead_code)] // each test crate uses its own subset

use std::os::raw::c_void;
use std::sync::Once;

use btfscope::btf::dump::{dump, DumpFormat};
use btfscope::btf::Btf;
use libbpf_sys as sys;

thread_local! {
    /// libbpf's last warning on this thread (libbpf prints on the thread
    /// that called it).
    static LAST_WARNING: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

extern "C" {
    fn vsnprintf(
        buf: *mut std::os::raw::c_char,
        size: usize,
        fmt: *const std::os::raw::c_char,
        ap: *mut sys::__va_list_tag,
    ) -> std::os::raw::c_int;
}

/// Keeps libbpf's message instead of printing it.
unsafe extern "C" fn keep_warning(
    _level: sys::libbpf_print_level,
    fmt: *const std::os::raw::c_char,
    ap: *mut sys::__va_list_tag,
) -> std::os::raw::c_int {
    let mut buf = [0 as std::os::raw::c_char; 512];
    // SAFETY: libbpf hands over a format and its arguments; vsnprintf
    // writes at most `buf.len()` bytes, NUL included.
    let n = unsafe { vsnprintf(buf.as_mut_ptr(), buf.len(), fmt, ap) };
    if n >= 0 {
        // SAFETY: NUL-terminated by vsnprintf.
        let msg = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
        LAST_WARNING.with(|w| *w.borrow_mut() = msg.to_string_lossy().into_owned());
    }
    0
}

fn quiet() {
    static ONCE: Once = Once::new();
    // SAFETY: the callback only formats into a thread-local string.
    ONCE.call_once(|| unsafe {
        sys::libbpf_set_print(Some(keep_warning));
    });
}

/// The last message libbpf printed on this thread, cleared.
pub fn take_warning() -> String {
    LAST_WARNING.with(|w| std::mem::take(&mut *w.borrow_mut()))
}

/// Ok when libbpf's last warning on this thread (cleared) is about the
/// same type and of the same class as `ours`, our first relocation problem.
pub fn same_first_problem(ours: &btfscope::distill::Problem) -> Result<(), String> {
    use btfscope::distill::ProblemClass as C;
    let warning = take_warning();
    let (who, what) = match ours.class {
        C::Anonymous => (format!("type [{}]", ours.id), "anonymous"),
        C::UnexpectedKind => (format!("type [{}]", ours.id), "unexpected kind"),
        C::Missing | C::SizeMismatch => (format!("'{}' [{}]", ours.name, ours.id), "is not mapped"),
        C::Ambiguous => (
            format!("'{}' [{}]", ours.name, ours.id),
            "multiple candidates",
        ),
        C::EmptyName => (format!("base BTF id [{}]", ours.id), "invalid distilled"),
        C::UnmappedString => (format!("[offset {}]", ours.id), "is not mapped"),
        C::ReferenceLoop => return Err("libbpf does not return on a reference loop".into()),
    };
    if warning.contains(&who) && warning.contains(what) {
        Ok(())
    } else {
        Err(format!(
            "our first problem ({:?} {who}) is not libbpf's: {warning}",
            ours.class
        ))
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// A base BTF parsed by libbpf. libbpf builds a string index in it on first
/// use, so one `Base` must not be shared between threads at once.
pub struct Base {
    ptr: *mut sys::btf,
}

// SAFETY: owned exclusively; used by one thread at a time (not Sync).
unsafe impl Send for Base {}

impl Base {
    pub fn new(raw: &[u8]) -> Result<Base, i32> {
        quiet();
        // SAFETY: libbpf copies the data it is given.
        let ptr = unsafe { sys::btf__new(raw.as_ptr() as *const c_void, raw.len() as u32) };
        if ptr.is_null() {
            return Err(errno());
        }
        Ok(Base { ptr })
    }
}

impl Drop for Base {
    fn drop(&mut self) {
        // SAFETY: created by btf__new, freed once.
        unsafe { sys::btf__free(self.ptr) }
    }
}

/// libbpf's `btf__dedup` of `raw` (split on `base` when given); the result
/// is `btf__raw_data`, or the negative error / errno.
pub fn dedup(raw: &[u8], base: Option<&Base>) -> Result<Vec<u8>, i32> {
    quiet();
    // SAFETY: libbpf copies `raw`; `base` outlives the split BTF, which is
    // freed below; the raw data is copied out before that.
    unsafe {
        let btf = match base {
            None => sys::btf__new(raw.as_ptr() as *const c_void, raw.len() as u32),
            Some(b) => sys::btf__new_split(raw.as_ptr() as *const c_void, raw.len() as u32, b.ptr),
        };
        if btf.is_null() {
            return Err(errno());
        }
        let err = sys::btf__dedup(btf, std::ptr::null());
        if err != 0 {
            sys::btf__free(btf);
            return Err(err);
        }
        let mut size = 0u32;
        let data = sys::btf__raw_data(btf, &mut size);
        let out = if data.is_null() {
            Err(errno())
        } else {
            Ok(std::slice::from_raw_parts(data as *const u8, size as usize).to_vec())
        };
        sys::btf__free(btf);
        out
    }
}

/// The raw bytes of a libbpf BTF; the caller still owns `btf`.
unsafe fn raw_of(btf: *const sys::btf) -> Result<Vec<u8>, i32> {
    let mut size = 0u32;
    let data = sys::btf__raw_data(btf, &mut size);
    if data.is_null() {
        return Err(errno());
    }
    Ok(std::slice::from_raw_parts(data as *const u8, size as usize).to_vec())
}

/// libbpf's `btf__distill_base` of the split BTF `raw` on `base`: the
/// distilled base and the new split BTF, raw.
pub fn distill(raw: &[u8], base: &Base) -> Result<(Vec<u8>, Vec<u8>), i32> {
    quiet();
    // SAFETY: libbpf copies `raw`; every BTF created here is freed here,
    // split BTFs before their bases, after their data was copied out.
    unsafe {
        let src = sys::btf__new_split(raw.as_ptr() as *const c_void, raw.len() as u32, base.ptr);
        if src.is_null() {
            return Err(errno());
        }
        let mut new_base = std::ptr::null_mut();
        let mut new_split = std::ptr::null_mut();
        let err = sys::btf__distill_base(src, &mut new_base, &mut new_split);
        sys::btf__free(src);
        if err != 0 {
            return Err(err);
        }
        let out = raw_of(new_base).and_then(|b| Ok((b, raw_of(new_split)?)));
        sys::btf__free(new_split);
        sys::btf__free(new_base);
        out
    }
}

/// libbpf's `btf__relocate` of the split BTF `split` (on the distilled
/// base `dist_base`) onto `target`: the relocated split BTF, raw.
pub fn relocate(dist_base: &[u8], split: &[u8], target: &Base) -> Result<Vec<u8>, i32> {
    quiet();
    let dist = Base::new(dist_base)?;
    // SAFETY: as in `distill`; `dist` outlives the split BTF freed here.
    unsafe {
        let btf = sys::btf__new_split(
            split.as_ptr() as *const c_void,
            split.len() as u32,
            dist.ptr,
        );
        if btf.is_null() {
            return Err(errno());
        }
        let err = sys::btf__relocate(btf, target.ptr);
        let out = if err != 0 { Err(err) } else { raw_of(btf) };
        sys::btf__free(btf);
        out
    }
}

/// The text dump of `raw` split into one chunk per type.
fn dump_chunks(raw: &[u8], base: Option<&Btf>) -> Result<Vec<String>, String> {
    let btf = Btf::parse_with_base(raw, base).map_err(|e| e.to_string())?;
    let mut text = Vec::new();
    dump(&btf, DumpFormat::Raw, &mut text).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&text);
    let mut chunks: Vec<String> = Vec::new();
    for line in text.lines() {
        match chunks.last_mut() {
            Some(last) if !line.starts_with('[') => {
                last.push('\n');
                last.push_str(line);
            }
            _ => chunks.push(line.to_string()),
        }
    }
    Ok(chunks)
}

/// Ok when the blobs are identical; otherwise a description of the first
/// difference: the first differing type in both dumps, or else where the
/// bytes part.
pub fn compare(ours: &[u8], libbpf: &[u8], base: Option<&Btf>) -> Result<(), String> {
    if ours == libbpf {
        return Ok(());
    }
    let mut msg = format!("ours {} bytes, libbpf {} bytes", ours.len(), libbpf.len());
    match (dump_chunks(ours, base), dump_chunks(libbpf, base)) {
        (Ok(a), Ok(b)) => {
            let at = a.iter().zip(&b).position(|(x, y)| x != y);
            match at {
                Some(i) => {
                    msg += &format!(
                        "\nfirst differing type:\n ours:   {}\n libbpf: {}",
                        a[i], b[i]
                    )
                }
                None if a.len() != b.len() => {
                    msg += &format!("\nours has {} types, libbpf {}", a.len(), b.len())
                }
                None => {
                    let pos = ours.iter().zip(libbpf).position(|(x, y)| x != y);
                    msg += &format!("\ndumps agree; bytes first differ at {pos:?} (string order?)")
                }
            }
        }
        (a, b) => msg += &format!("\ndump failed: ours {:?}, libbpf {:?}", a.err(), b.err()),
    }
    Err(msg)
}
