//! Numbers written into a note without going through `fmt` (the note of every frame is
//! built on the hot path). Payload text is escaped by the shared [`crate::text`].

/// Appends `n` in decimal (formatting a `u32` takes fewer steps than a `u64`).
pub fn push_u32(out: &mut String, n: u32) {
    out.push_str(itoa::Buffer::new().format(n));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_push_u32_as_display() {
        let mut x: u32 = 1;
        let mut cases = vec![0, 9, 10, 99, 100, 999, 1000, u32::MAX];
        for _ in 0..10_000 {
            x = x.wrapping_mul(1664525).wrapping_add(1013904223);
            cases.push(x >> (x % 32));
        }
        for n in cases {
            let mut s = String::from("x");
            push_u32(&mut s, n);
            assert_eq!(s, format!("x{n}"));
        }
    }
}
