//! Decoding in parallel, encoding in order. Every thread of the pool runs
//! the same loop: encode the next CU if it is decoded and no other thread
//! is encoding, else run a job the encoding handed out (deduplicating a
//! finished chunk, which would otherwise wait for the last CU: decoding
//! is rarely far enough ahead to stop), else decode the next CU nobody has
//! claimed, else wait. So
//! no thread idles while there is work (decoding a batch beside encoding
//! the one before made the faster side wait at every batch), and the output
//! is the same for any number of threads: CUs are encoded in their order,
//! and jobs only ever see what the encoding gave them.

use std::any::Any;
use std::collections::VecDeque;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Condvar, Mutex, MutexGuard};

struct State<T, J, E> {
    /// The first item no thread has claimed for decoding.
    next_decode: usize,
    /// The first item not encoded yet.
    next_encode: usize,
    /// A thread is encoding `next_encode`.
    encoding: bool,
    /// Decoded items waiting for their turn.
    decoded: Vec<Option<T>>,
    /// Jobs the encoding handed out, not started yet.
    jobs: VecDeque<J>,
    error: Option<E>,
    panic: Option<Box<dyn Any + Send>>,
}

impl<T, J, E> State<T, J, E> {
    fn stopped(&self) -> bool {
        self.error.is_some()
            || self.panic.is_some()
            || (self.next_encode == self.decoded.len() && self.jobs.is_empty())
    }
}

/// Decodes `items` on every thread of the current pool and hands the
/// results to `encode` one at a time, in order, with their index; at most
/// `lookahead` items are decoded ahead of the encoder (a bound on memory).
/// The jobs `encode` pushes are given to `run_job` on whichever thread has
/// nothing else to do; all have run when this returns. Stops at the first
/// error `encode` returns.
pub(super) fn decode_parallel_encode_in_order<I: Sync, T: Send, J: Send, E: Send>(
    items: &[I],
    lookahead: usize,
    decode: impl Fn(&I) -> T + Sync,
    encode: impl FnMut(usize, T, &mut Vec<J>) -> Result<(), E> + Send,
    run_job: impl Fn(J) + Sync,
) -> Result<(), E> {
    let state = Mutex::new(State {
        next_decode: 0,
        next_encode: 0,
        encoding: false,
        decoded: items.iter().map(|_| None).collect(),
        jobs: VecDeque::new(),
        error: None,
        panic: None,
    });
    let changed = Condvar::new();
    let encode = Mutex::new(encode);
    let lock = || state.lock().unwrap_or_else(|e| e.into_inner());
    // Runs `work` without the lock; a panic stops every thread and is
    // raised again once they are done.
    let unlocked = |s: MutexGuard<'_, State<T, J, E>>, work: &mut dyn FnMut()| {
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
            if !s.encoding && s.decoded.get(i).is_some_and(Option::is_some) {
                let mut item = s.decoded[i].take();
                s.encoding = true;
                let mut result = Ok(());
                let mut jobs = Vec::new();
                s = unlocked(s, &mut || {
                    let mut encode = encode.lock().unwrap_or_else(|e| e.into_inner());
                    result = (encode)(i, item.take().expect("decoded"), &mut jobs);
                });
                s.encoding = false;
                s.next_encode += 1;
                s.jobs.extend(jobs);
                if let Err(e) = result {
                    s.error.get_or_insert(e);
                }
            } else if let Some(job) = s.jobs.pop_front() {
                let mut job = Some(job);
                s = unlocked(s, &mut || run_job(job.take().expect("a job")));
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
                // Every tenth item hands out a job; all of them run.
                let ran = std::sync::Mutex::new(Vec::new());
                in_pool(threads, || {
                    run(
                        &items,
                        lookahead,
                        |&x| x * 2,
                        |i, y, jobs| -> Result<(), ()> {
                            assert_eq!(y, items[i] * 2);
                            seen.push(i);
                            if i % 10 == 0 {
                                jobs.push(i);
                            }
                            Ok(())
                        },
                        |job| ran.lock().unwrap().push(job),
                    )
                })
                .expect("no error");
                assert_eq!(seen, (0..200).collect::<Vec<_>>(), "{threads} threads");
                let mut ran = ran.into_inner().unwrap();
                ran.sort_unstable();
                assert_eq!(ran, (0..200).step_by(10).collect::<Vec<_>>());
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
                |i, _, _| {
                    last = i;
                    if i == 10 {
                        Err(i)
                    } else {
                        Ok(())
                    }
                },
                |_: ()| {},
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
                    |_, _, _: &mut Vec<()>| Ok::<(), ()>(()),
                    |_| {},
                )
            })
        });
        assert!(caught.is_err());
    }
}
