//! An order-keeping parallel map with a bounded number of items in flight: the memory of
//! reading a file does not grow with its size, and results come out in input order.

use std::collections::BTreeMap;
use std::sync::mpsc::{channel, sync_channel};
use std::sync::{Arc, Mutex};

/// Items in flight per worker: enough to keep workers busy while the caller emits.
const IN_FLIGHT_PER_WORKER: usize = 4;

/// Applies `f` to every item on `threads` workers and hands the results to `emit` in input
/// order. The caller's thread pulls the items (I/O) and emits; with one thread, everything
/// runs on it. A panic in `f` resumes on the caller's thread.
pub(super) fn map<T, U, I, F>(items: I, threads: usize, f: F, emit: &mut dyn FnMut(U))
where
    I: Iterator<Item = T>,
    T: Send,
    U: Send,
    F: Fn(T) -> U + Sync,
{
    if threads <= 1 {
        for item in items {
            emit(f(item));
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
            let f = &f;
            scope.spawn(move || {
                loop {
                    // The lock is held only to take the next item.
                    let next = work_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok((seq, item))) = next else { return };
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(item)));
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
                |i| {
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
    fn a_panic_reaches_the_caller() {
        let caught = std::panic::catch_unwind(|| {
            map(0..100u32, 2, |i| assert!(i != 42, "item 42"), &mut |_| {});
        });
        assert!(caught.is_err());
    }
}
