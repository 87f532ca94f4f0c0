//! Hints to the CPU's cache: bringing a line in ahead of its use, where the per-frame work
//! would otherwise wait for memory (a record header that a large read left out of the
//! cache, a conversation among thousands).

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
