//! An order-keeping parallel map with a bounded number of items in flight: the memory of
//! reading a file does not grow with its size, and results come out in input order.

use std::collections::BTreeMap;
use std::sync::mpsc::{channel, sync_channel};
use std::sync::{Arc, Mutex};

/// Items in flight per worker: enough to keep workers busy while the caller emits.
const IN_FLIGHT_PER_WORKER: usize = 4;

/// Applies `f` to every item on `threads` workers and hands the results to `emit` in input
/// order. Each worker has a state made by `init` that it keeps for all its items (a buffer
/// to reuse). The caller's thread pulls the items and emits; with one thread, everything
/// runs on it. A panic in `f` resumes on the caller's thread.
pub(super) fn map<T, U, S, I, N, F>(
    items: I,
    threads: usize,
    init: N,
    f: F,
    emit: &mut dyn FnMut(U),
) where
    I: Iterator<Item = T>,
    T: Send,
    U: Send,
    N: Fn() -> S + Sync,
    F: Fn(&mut S, T) -> U + Sync,
{
    if threads <= 1 {
        let mut state = init();
        for item in items {
            emit(f(&mut state, item));
        }
        return;
    }
    let max_in_flight = threads * IN_FLIGHT_PER_WORKER;
    let (work_tx, work_rx) = sync_channel::<(u64, T)>(max_in_flight);
    let work_rx = Arc::new(Mutex::new(work_rx));
    let (done_tx, done_rx) = channel::<(u64, std::thread::Result<U>)>();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let work_rx = Arc::clone(&work_rx);
            let done_tx = done_tx.clone();
            let (f, init) = (&f, &init);
            scope.spawn(move || {
                let mut state = init();
                loop {
                    // The lock is held only to take the next item.
                    let next = work_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok((seq, item))) = next else { return };
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        f(&mut state, item)
                    }));
                    if done_tx.send((seq, result)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let mut items = items.fuse();
        let mut waiting: BTreeMap<u64, U> = BTreeMap::new();
        let (mut sent, mut emitted) = (0u64, 0u64);
        loop {
            while sent - emitted < max_in_flight as u64 {
                let Some(item) = items.next() else { break };
                if work_tx.send((sent, item)).is_err() {
                    break;
                }
                sent += 1;
            }
            if sent == emitted {
                break;
            }
            let Ok((seq, result)) = done_rx.recv() else {
                break;
            };
            match result {
                Ok(u) => {
                    waiting.insert(seq, u);
                }
                Err(panic) => {
                    drop(work_tx);
                    std::panic::resume_unwind(panic);
                }
            }
            while let Some(u) = waiting.remove(&emitted) {
                emit(u);
                emitted += 1;
            }
        }
        drop(work_tx);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_every_item() {
        for threads in [1, 2, 3, 8] {
            let mut out = Vec::new();
            // Uneven work, so results finish out of order.
            map(
                0..500u64,
                threads,
                || (),
                |_, i| {
                    if i % 7 == 0 {
                        std::thread::sleep(std::time::Duration::from_micros(200));
                    }
                    i * 2
                },
                &mut |u| out.push(u),
            );
            assert_eq!(
                out,
                (0..500).map(|i| i * 2).collect::<Vec<_>>(),
                "{threads} threads"
            );
        }
    }

    #[test]
    fn each_worker_keeps_its_state() {
        let made = std::sync::atomic::AtomicUsize::new(0);
        for threads in [1, 2, 3] {
            made.store(0, std::sync::atomic::Ordering::SeqCst);
            let mut out = Vec::new();
            map(
                0..200u64,
                threads,
                || {
                    made.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    0u64
                },
                |seen, _| {
                    *seen += 1;
                    *seen
                },
                &mut |u| out.push(u),
            );
            assert_eq!(made.load(std::sync::atomic::Ordering::SeqCst), threads);
            // A worker's count starts at 1 once, then goes on: never more starts than workers.
            let starts = out.iter().filter(|&&n| n == 1).count();
            assert!(
                (1..=threads).contains(&starts),
                "{threads} threads: {starts}"
            );
            assert_eq!(out.len(), 200);
            if threads == 1 {
                assert_eq!(out, (1..=200).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn a_panic_reaches_the_caller() {
        let caught = std::panic::catch_unwind(|| {
            map(
                0..100u32,
                2,
                || (),
                |_, i| assert!(i != 42, "item 42"),
                &mut |_| {},
            );
        });
        assert!(caught.is_err());
    }
}
