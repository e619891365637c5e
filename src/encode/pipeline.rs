//! Decoding in parallel, encoding in order. Every thread of the pool runs
//! the same loop: encode the next CU if it is decoded and no other thread
//! is encoding, else decode the next CU nobody has claimed, else wait. So
//! no thread idles while there is work (decoding a batch beside encoding
//! the one before made the faster side wait at every batch), and the output
//! is the same for any number of threads: CUs are encoded in their order.

use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Condvar, Mutex, MutexGuard};

struct State<T, E> {
    /// The first item no thread has claimed for decoding.
    next_decode: usize,
    /// The first item not encoded yet.
    next_encode: usize,
    /// A thread is encoding `next_encode`.
    encoding: bool,
    /// Decoded items waiting for their turn.
    decoded: Vec<Option<T>>,
    error: Option<E>,
    panic: Option<Box<dyn Any + Send>>,
}

impl<T, E> State<T, E> {
    fn stopped(&self) -> bool {
        self.error.is_some() || self.panic.is_some() || self.next_encode == self.decoded.len()
    }
}

/// Decodes `items` on every thread of the current pool and hands the
/// results to `encode` one at a time, in order, with their index; at most
/// `lookahead` items are decoded ahead of the encoder (a bound on memory).
/// Stops at the first error `encode` returns.
pub(super) fn decode_parallel_encode_in_order<I: Sync, T: Send, E: Send>(
    items: &[I],
    lookahead: usize,
    decode: impl Fn(&I) -> T + Sync,
    encode: impl FnMut(usize, T) -> Result<(), E> + Send,
) -> Result<(), E> {
    let state = Mutex::new(State {
        next_decode: 0,
        next_encode: 0,
        encoding: false,
        decoded: items.iter().map(|_| None).collect(),
        error: None,
        panic: None,
    });
    let changed = Condvar::new();
    let encode = Mutex::new(encode);
    let lock = || state.lock().unwrap_or_else(|e| e.into_inner());
    // Runs `work` without the lock; a panic stops every thread and is
    // raised again once they are done.
    let unlocked = |s: MutexGuard<'_, State<T, E>>, work: &mut dyn FnMut()| {
        drop(s);
        let caught = catch_unwind(AssertUnwindSafe(work)).err();
        let mut s = lock();
        if let Some(payload) = caught {
            s.panic.get_or_insert(payload);
        }
        changed.notify_all();
        s
    };
    let worker = || {
        let mut s = lock();
        while !s.stopped() {
            let i = s.next_encode;
            if !s.encoding && s.decoded[i].is_some() {
                let mut item = s.decoded[i].take();
                s.encoding = true;
                let mut result = Ok(());
                s = unlocked(s, &mut || {
                    let mut encode = encode.lock().unwrap_or_else(|e| e.into_inner());
                    result = (encode)(i, item.take().expect("decoded"));
                });
                s.encoding = false;
                s.next_encode += 1;
                if let Err(e) = result {
                    s.error.get_or_insert(e);
                }
            } else if s.next_decode < items.len() && s.next_decode < i + lookahead {
                let j = s.next_decode;
                s.next_decode += 1;
                let mut decoded = None;
                s = unlocked(s, &mut || decoded = Some(decode(&items[j])));
                s.decoded[j] = decoded;
            } else {
                s = changed.wait(s).unwrap_or_else(|e| e.into_inner());
            }
        }
    };
    rayon::scope(|scope| {
        for _ in 1..rayon::current_num_threads() {
            scope.spawn(|_| worker());
        }
        worker();
    });
    let s = state.into_inner().unwrap_or_else(|e| e.into_inner());
    if let Some(payload) = s.panic {
        resume_unwind(payload);
    }
    s.error.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::decode_parallel_encode_in_order as run;

    fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a pool")
            .install(f)
    }

    #[test]
    fn items_are_encoded_in_order_whatever_the_threads() {
        let items: Vec<u32> = (0..200).collect();
        for threads in [1, 2, 4] {
            for lookahead in [1, 3, 64] {
                let mut seen = Vec::new();
                in_pool(threads, || {
                    run(
                        &items,
                        lookahead,
                        |&x| x * 2,
                        |i, y| -> Result<(), ()> {
                            assert_eq!(y, items[i] * 2);
                            seen.push(i);
                            Ok(())
                        },
                    )
                })
                .expect("no error");
                assert_eq!(seen, (0..200).collect::<Vec<_>>(), "{threads} threads");
            }
        }
    }

    #[test]
    fn the_first_error_stops_the_encoding() {
        let items: Vec<u32> = (0..100).collect();
        let mut last = 0;
        let result = in_pool(3, || {
            run(
                &items,
                8,
                |&x| x,
                |i, _| {
                    last = i;
                    if i == 10 {
                        Err(i)
                    } else {
                        Ok(())
                    }
                },
            )
        });
        assert_eq!(result, Err(10));
        assert_eq!(last, 10);
    }

    #[test]
    fn a_panic_while_decoding_reaches_the_caller() {
        let items: Vec<u32> = (0..50).collect();
        let caught = std::panic::catch_unwind(|| {
            in_pool(2, || {
                run(
                    &items,
                    4,
                    |&x| {
                        assert!(x != 20, "bad item");
                        x
                    },
                    |_, _| Ok::<(), ()>(()),
                )
            })
        });
        assert!(caught.is_err());
    }
}
