//! Hints to the CPU's cache: bringing a value in ahead of its use, where the per-frame work
//! would otherwise wait for memory (a conversation among thousands, see
//! `track::Tracker::prefetch`).

/// Asks the CPU to bring the cache line at `p` in, for a look soon after (a hint: it
/// changes nothing, and reads nothing itself).
#[inline]
pub fn prefetch<T>(p: *const T) {
    // SAFETY: a prefetch is a hint: it never faults, on any address, and reads nothing
    // into the program (SSE, which it needs, is in every x86-64 CPU).
    #[cfg(target_arch = "x86_64")]
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Cache lines of a value brought in by [`prefetch_value`], at most (what a look at the
/// value's first fields needs; more would crowd out what is in use).
const MAX_LINES: usize = 4;

/// Brings the cache lines of `value` in (its first [`MAX_LINES`] at most).
#[inline]
pub fn prefetch_value<T>(value: &T) {
    let p: *const u8 = (value as *const T).cast();
    let len = size_of::<T>().clamp(1, MAX_LINES * 64);
    for at in (0..len).step_by(64) {
        prefetch(p.wrapping_add(at));
    }
}
