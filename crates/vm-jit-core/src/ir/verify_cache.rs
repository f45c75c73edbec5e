//! A small per-thread memo of recently verified blocks, keyed by their exact bytes.
//!
//! A block is verified when the emulator builds it (`IRBuilder.finish()` → `verifyBlock`) and
//! again when it is compiled or run, because the native side never trusts bytes from JavaScript.
//! The second verification of the *same bytes* is pure repetition — about a tenth of a tier-1
//! compile of a small block — so the result is remembered. Entries match on the full byte
//! sequence (not just a hash), so a hit is exactly as trustworthy as verifying again.

use std::cell::RefCell;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use super::{decode_and_verify, IrError, VerifiedBlock};

/// Blocks remembered per thread (most recently used kept).
const CAPACITY: usize = 64;
/// Larger blocks are not remembered: verifying them is small next to compiling them.
const MAX_BYTES: usize = 16 << 10;

struct Entry {
    hash: u64,
    bytes: Box<[u8]>,
    block: Arc<VerifiedBlock>,
}

thread_local! {
    static MEMO: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

fn hash(bytes: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

/// `decode_and_verify`, answered from the memo when these exact bytes were verified recently.
pub fn decode_and_verify_cached(bytes: &[u8]) -> Result<Arc<VerifiedBlock>, IrError> {
    if bytes.len() > MAX_BYTES {
        return decode_and_verify(bytes).map(Arc::new);
    }
    let h = hash(bytes);
    let hit = MEMO.with(|m| {
        let mut m = m.borrow_mut();
        let i = m.iter().position(|e| e.hash == h && *e.bytes == *bytes)?;
        let e = m.remove(i);
        let block = e.block.clone();
        m.push(e);
        Some(block)
    });
    if let Some(block) = hit {
        return Ok(block);
    }
    let block = Arc::new(decode_and_verify(bytes)?);
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= CAPACITY {
            m.remove(0);
        }
        m.push(Entry { hash: h, bytes: bytes.into(), block: block.clone() });
    });
    Ok(block)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::encode;
    use crate::testing::sum_words_block;

    #[test]
    fn same_bytes_hit_and_bad_bytes_still_fail() {
        let bytes = encode(&sum_words_block());
        let a = decode_and_verify_cached(&bytes).unwrap();
        let b = decode_and_verify_cached(&bytes).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let mut bad = bytes.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0xff;
        assert!(decode_and_verify_cached(&bad).is_err());
        assert!(decode_and_verify_cached(&bad).is_err(), "failures are never remembered");
    }
}
