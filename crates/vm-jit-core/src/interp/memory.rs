//! Guest memory and guest state access: little-endian, unaligned, `w` ∈ {1, 2, 4, 8} bytes.
//! Guest memory accesses are bounds-checked (`addr + w <= len`, without overflow) and report
//! `None`/`false` when out of range, having touched nothing. Guest state offsets are verified
//! and the state buffer's size is checked before a run, so state accesses cannot fail.

/// Read `bytes.len()` (1, 2, 4 or 8) little-endian bytes.
#[inline(always)]
fn read_le(b: &[u8]) -> u64 {
    match b.len() {
        1 => b[0] as u64,
        2 => u16::from_le_bytes([b[0], b[1]]) as u64,
        4 => {
            let mut a = [0u8; 4];
            a.copy_from_slice(b);
            u32::from_le_bytes(a) as u64
        }
        _ => {
            let mut a = [0u8; 8];
            a[..b.len()].copy_from_slice(b);
            u64::from_le_bytes(a)
        }
    }
}

/// Write the low `out.len()` (1, 2, 4 or 8) bytes of `v`, little-endian.
#[inline(always)]
fn write_le(out: &mut [u8], v: u64) {
    match out.len() {
        1 => out[0] = v as u8,
        2 => out.copy_from_slice(&(v as u16).to_le_bytes()),
        4 => out.copy_from_slice(&(v as u32).to_le_bytes()),
        n => out.copy_from_slice(&v.to_le_bytes()[..n]),
    }
}

/// The byte range `[addr, addr + width)` of `mem`, if it is in range.
#[inline(always)]
fn range(len: usize, addr: u64, width: u8) -> Option<std::ops::Range<usize>> {
    let end = addr.checked_add(width as u64)?;
    if end > len as u64 {
        return None;
    }
    // end <= len, so both fit in usize
    Some(addr as usize..end as usize)
}

/// Load `width` bytes at guest address `addr`, zero-extended; `None` if out of range.
#[inline(always)]
pub fn load(mem: &[u8], addr: u64, width: u8) -> Option<u64> {
    let r = range(mem.len(), addr, width)?;
    Some(read_le(&mem[r]))
}

/// Store the low `width` bytes of `v` at guest address `addr`; `false` (and nothing written) if
/// out of range.
#[inline(always)]
pub fn store(mem: &mut [u8], addr: u64, width: u8, v: u64) -> bool {
    match range(mem.len(), addr, width) {
        Some(r) => {
            write_le(&mut mem[r], v);
            true
        }
        None => false,
    }
}

/// Read a `width`-byte state field at `off` (verified to be in range).
#[inline(always)]
pub fn get_state(state: &[u8], off: u32, width: u8) -> u64 {
    let off = off as usize;
    read_le(&state[off..off + width as usize])
}

/// Write the low `width` bytes of `v` to the state field at `off` (verified to be in range).
#[inline(always)]
pub fn set_state(state: &mut [u8], off: u32, width: u8, v: u64) {
    let off = off as usize;
    write_le(&mut state[off..off + width as usize], v);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn little_endian_unaligned() {
        let mut mem: Vec<u8> = (0..16).collect();
        assert_eq!(load(&mem, 1, 1), Some(1));
        assert_eq!(load(&mem, 1, 2), Some(0x0201));
        assert_eq!(load(&mem, 3, 4), Some(0x0605_0403));
        assert_eq!(load(&mem, 7, 8), Some(0x0e0d_0c0b_0a09_0807));
        assert!(store(&mut mem, 5, 4, 0xaabb_ccdd_eeff_1122));
        assert_eq!(&mem[4..10], &[4, 0x22, 0x11, 0xff, 0xee, 9]);
        assert!(store(&mut mem, 9, 2, 0x1234));
        assert_eq!(load(&mem, 9, 2), Some(0x1234));
        assert!(store(&mut mem, 0, 8, u64::MAX));
        assert_eq!(load(&mem, 0, 8), Some(u64::MAX));
        assert!(store(&mut mem, 15, 1, 0x1ff));
        assert_eq!(mem[15], 0xff);
    }

    #[test]
    fn bounds() {
        let mut mem = vec![0u8; 16];
        assert_eq!(load(&mem, 8, 8), Some(0));
        assert_eq!(load(&mem, 9, 8), None);
        assert_eq!(load(&mem, 16, 1), None);
        assert_eq!(load(&mem, 15, 1), Some(0));
        assert_eq!(load(&mem, 15, 2), None);
        assert_eq!(load(&mem, u64::MAX, 1), None);
        assert_eq!(load(&mem, u64::MAX - 3, 8), None); // addr + w overflows
        assert!(!store(&mut mem, 13, 4, u64::MAX));
        assert!(!store(&mut mem, u64::MAX - 1, 4, u64::MAX));
        assert_eq!(mem, vec![0u8; 16], "a faulting store writes nothing");
        assert_eq!(load(&[], 0, 1), None);
    }

    #[test]
    fn state_fields() {
        let mut s = vec![0u8; 12];
        set_state(&mut s, 3, 8, 0x0102_0304_0506_0708);
        assert_eq!(get_state(&s, 3, 8), 0x0102_0304_0506_0708);
        assert_eq!(get_state(&s, 3, 1), 0x08);
        set_state(&mut s, 0, 2, 0xffff_abcd);
        assert_eq!(get_state(&s, 0, 4), 0x0800_abcd);
    }
}
