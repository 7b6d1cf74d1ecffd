//! An order-keeping parallel map over independent documents, with no dependency: contiguous
//! chunks, one scoped thread each, concatenated in input order, so the result is the sequential
//! one whatever the thread count.

use std::num::NonZeroUsize;

/// Below this many inputs, starting threads costs more than it saves.
#[cfg(not(target_arch = "wasm32"))]
const MIN_PARALLEL: usize = 64;

/// The threads ingest uses by default: every available core; one where threads do not exist.
pub fn available() -> NonZeroUsize {
    #[cfg(not(target_arch = "wasm32"))]
    if let Ok(n) = std::thread::available_parallelism() {
        return n;
    }
    NonZeroUsize::MIN
}

/// `f(index, item)` for every item, in order, on up to `threads` threads.
pub fn map<T: Sync, R: Send>(items: &[T], threads: NonZeroUsize, f: impl Fn(usize, &T) -> R + Sync) -> Vec<R> {
    #[cfg(not(target_arch = "wasm32"))]
    if threads.get() > 1 && items.len() >= MIN_PARALLEL {
        return map_scoped(items, threads.get(), &f);
    }
    let _ = threads;
    items.iter().enumerate().map(|(i, item)| f(i, item)).collect()
}

#[cfg(not(target_arch = "wasm32"))]
fn map_scoped<T: Sync, R: Send>(items: &[T], threads: usize, f: &(impl Fn(usize, &T) -> R + Sync)) -> Vec<R> {
    let chunk = items.len().div_ceil(threads);
    let run = move |(c, part): (usize, &[T])| -> Vec<R> {
        part.iter()
            .enumerate()
            .map(|(i, item)| f(c * chunk + i, item))
            .collect()
    };
    std::thread::scope(|scope| {
        let mut chunks = items.chunks(chunk).enumerate();
        // The first chunk runs on this thread, which would otherwise only wait.
        let first = chunks.next();
        let handles: Vec<_> = chunks.map(|c| scope.spawn(move || run(c))).collect();
        let mut out = first.map(run).unwrap_or_default();
        out.reserve(items.len().saturating_sub(out.len()));
        for handle in handles {
            match handle.join() {
                Ok(part) => out.extend(part),
                // A panic in a worker is the caller's panic, as in the sequential path.
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_indices_for_any_thread_count() {
        let items: Vec<usize> = (0..1000).collect();
        let sequential = map(&items, NonZeroUsize::MIN, |i, x| (i, x * 2));
        for threads in [2, 3, 7, 64, 2000] {
            let threads = NonZeroUsize::new(threads).unwrap();
            assert_eq!(map(&items, threads, |i, x| (i, x * 2)), sequential);
        }
        assert!(sequential.iter().all(|(i, y)| *y == i * 2));
    }
}
