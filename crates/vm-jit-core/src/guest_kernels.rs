//! Plain-Rust versions of the register-machine guest kernels of the regions benchmark
//! (bench/regions.js, programs for the synthetic guest of __test__/support/synthGuest): the same
//! algorithm on the same guest registers (`r_k` = the 64-bit word at state offset 8k) and guest
//! memory, so "guest code through the JIT" and "the loop written in Rust" compute the same
//! registers and bytes and can be compared on equal terms.

fn get(state: &[u8], r: usize) -> u64 {
    u64::from_le_bytes(state[8 * r..8 * r + 8].try_into().unwrap())
}

fn put(state: &mut [u8], r: usize, v: u64) {
    state[8 * r..8 * r + 8].copy_from_slice(&v.to_le_bytes());
}

/// r2 rounds of an LCG (r3 = r3 * r5 + r6) xor-folding r3 >> 33 into r4; r1 counts rounds.
pub fn lcg(state: &mut [u8], _memory: &mut [u8]) {
    let (n, mut x, mut acc, a, c) = (get(state, 2), get(state, 3), get(state, 4), get(state, 5), get(state, 6));
    let mut i = 0u64;
    while (i as i64) < (n as i64) {
        x = x.wrapping_mul(a).wrapping_add(c);
        acc ^= x >> 33;
        i += 1;
    }
    put(state, 1, i);
    put(state, 3, x);
    put(state, 4, acc);
}

/// Total Collatz steps (into r9) of every start value 1 ≤ r1 < r2.
pub fn collatz(state: &mut [u8], _memory: &mut [u8]) {
    let end = get(state, 2) as i64;
    let mut steps = get(state, 9);
    let mut i: i64 = 1;
    while i < end {
        let mut n = i as u64;
        while n != 1 {
            n = if n & 1 == 0 { n >> 1 } else { n.wrapping_mul(3).wrapping_add(1) };
            steps = steps.wrapping_add(1);
        }
        i += 1;
    }
    put(state, 1, i as u64);
    put(state, 9, steps);
}

/// r10 passes (at least one) of an in-place prefix sum over the 64-bit words of memory below
/// byte r2 (word 0 unchanged).
pub fn prefix(state: &mut [u8], memory: &mut [u8]) {
    let end = get(state, 2) as usize;
    let word = |m: &[u8], k: usize| u64::from_le_bytes(m[k..k + 8].try_into().unwrap());
    let (mut k, mut acc) = (0, 0);
    for _ in 0..get(state, 10).max(1) {
        acc = word(memory, 0);
        k = 8;
        while k < end {
            acc = acc.wrapping_add(word(memory, k));
            memory[k..k + 8].copy_from_slice(&acc.to_le_bytes());
            k += 8;
        }
    }
    put(state, 1, k as u64);
    put(state, 3, acc);
    put(state, 10, 0);
}

/// r10 passes (at least one) of an FNV-1a style hash (r3 = (r3 ^ byte) * r5) over the r2 bytes
/// of memory at 0.
pub fn fnv(state: &mut [u8], memory: &mut [u8]) {
    let n = get(state, 2) as usize;
    let (mut h, p) = (get(state, 3), get(state, 5));
    for _ in 0..get(state, 10).max(1) {
        for &b in &memory[..n] {
            h = (h ^ b as u64).wrapping_mul(p);
        }
    }
    put(state, 1, n as u64);
    put(state, 3, h);
    put(state, 10, 0);
}

/// A guest kernel by name (`guest:lcg`, …), for the benchmark harness.
pub fn by_name(name: &str) -> Option<fn(&mut [u8], &mut [u8])> {
    match name {
        "guest:lcg" => Some(lcg),
        "guest:collatz" => Some(collatz),
        "guest:prefix" => Some(prefix),
        "guest:fnv" => Some(fnv),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        let mut s = vec![0u8; 128];
        put(&mut s, 2, 10); // start values 1..9: 0+1+7+2+5+8+16+3+19 steps
        collatz(&mut s, &mut []);
        assert_eq!(get(&s, 9), 61);
        let mut m: Vec<u8> = (1..=4u64).flat_map(|k| k.to_le_bytes()).collect();
        put(&mut s, 2, 32);
        prefix(&mut s, &mut m);
        assert_eq!(m.chunks(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect::<Vec<_>>(), [1, 3, 6, 10]);
        let mut m = b"a".to_vec();
        put(&mut s, 2, 1);
        put(&mut s, 3, 0xcbf2_9ce4_8422_2325);
        put(&mut s, 5, 0x100_0000_01b3);
        fnv(&mut s, &mut m);
        assert_eq!(get(&s, 3), 0xaf63_dc4c_8601_ec8c, "FNV-1a 64 of \"a\"");
    }
}
