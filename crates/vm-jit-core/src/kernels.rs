//! Plain-Rust versions of the benchmark loop kernels (bench/), built with the addon's release
//! optimisations. They read and write guest state and memory exactly as the IR versions do, so
//! "IR compiled by Cranelift" and "the same loop written in Rust" are compared on equal terms.

/// State slots (in 8-byte registers) the kernels use: input n in x11, result in x10.
const N: usize = 11 * 8;
const RESULT: usize = 10 * 8;

fn get(state: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(state[off..off + 8].try_into().unwrap())
}

fn put(state: &mut [u8], off: usize, v: u64) {
    state[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

/// Sum of n little-endian 64-bit words (the README example).
pub fn sum(state: &mut [u8], memory: &mut [u8]) {
    let n = get(state, N) as usize;
    let mut acc = 0u64;
    for i in 0..n {
        let k = i * 8;
        acc = acc.wrapping_add(u64::from_le_bytes(memory[k..k + 8].try_into().unwrap()));
    }
    put(state, RESULT, acc);
}

/// Sieve of Eratosthenes over n bytes of memory (zeroed first by the caller): marks composites
/// with 1 and counts primes below n.
pub fn sieve(state: &mut [u8], memory: &mut [u8]) {
    let n = get(state, N) as usize;
    let mut count = 0u64;
    let mut i = 2;
    while i < n {
        if memory[i] == 0 {
            count += 1;
            let mut j = i * i;
            while j < n {
                memory[j] = 1;
                j += i;
            }
        }
        i += 1;
    }
    put(state, RESULT, count);
}

/// Bitwise CRC-32 (IEEE, reflected) of n bytes of memory.
pub fn crc32(state: &mut [u8], memory: &mut [u8]) {
    let n = get(state, N) as usize;
    let mut crc = u32::MAX;
    for &byte in &memory[..n] {
        crc ^= byte as u32;
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    put(state, RESULT, (!crc) as u64);
}

/// A kernel by name, for the benchmark harness.
pub fn by_name(name: &str) -> Option<fn(&mut [u8], &mut [u8])> {
    match name {
        "sum" => Some(sum),
        "sieve" => Some(sieve),
        "crc32" => Some(crc32),
        _ => crate::guest_kernels::by_name(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_compute_known_values() {
        let mut state = vec![0u8; 256];
        let mut mem: Vec<u8> = (0..1024u64).flat_map(|k| k.to_le_bytes()).collect();
        put(&mut state, N, 1024);
        sum(&mut state, &mut mem);
        assert_eq!(get(&state, RESULT), 523776);

        let mut mem = vec![0u8; 100];
        put(&mut state, N, 100);
        sieve(&mut state, &mut mem);
        assert_eq!(get(&state, RESULT), 25);

        let mut mem = b"123456789".to_vec();
        put(&mut state, N, 9);
        crc32(&mut state, &mut mem);
        assert_eq!(get(&state, RESULT), 0xCBF4_3926);
    }
}
