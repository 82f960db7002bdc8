//! The bookkeeping of the binary's allocator, as plain address arithmetic so
//! that Miri checks it: the memory itself (a zeroed static block, then
//! anonymous mappings) and the wiping live in `sys`.
//!
//! The plugin is a one-shot process: it allocates a few buffers, answers and
//! exits. A bump arena serves that with no system call at all (the first
//! chunk is a static block the kernel maps zeroed on first touch), frees the
//! last block by moving the top back (the usual pattern: a buffer is dropped
//! before the one allocated before it), and leaves other freed blocks where
//! they are until exit. `sys` wipes every block before it is freed and every
//! chunk's used part before the process exits.

/// How many chunks the arena can hold: the static one plus mappings. A
/// plugin request never leaves the static chunk; `check` over a large root
/// may need a few more, each at least [`MIN_CHUNK_BYTES`].
pub(crate) const MAX_CHUNKS: usize = 64;
/// The smallest chunk mapped when the current ones are full.
pub(crate) const MIN_CHUNK_BYTES: usize = 1 << 20;

/// One contiguous region: `[start, top)` handed out, `[top, end)` free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Chunk {
    start: usize,
    top: usize,
    end: usize,
}

impl Chunk {
    const EMPTY: Self = Self {
        start: 0,
        top: 0,
        end: 0,
    };

    fn contains(&self, addr: usize) -> bool {
        self.start <= addr && addr < self.end
    }

    /// The address of a block of `size` bytes aligned to `align` (a power of
    /// two) at the top, if it fits.
    fn fit(&self, size: usize, align: usize) -> Option<usize> {
        let mask = align.checked_sub(1)?;
        let at = self.top.checked_add(mask)? & !mask;
        let end = at.checked_add(size)?;
        (end <= self.end).then_some(at)
    }
}

/// The chunks, newest last.
#[derive(Debug)]
pub(crate) struct Arena {
    chunks: [Chunk; MAX_CHUNKS],
    count: usize,
}

impl Arena {
    /// An arena with no chunk yet.
    pub(crate) const fn new() -> Self {
        Self {
            chunks: [Chunk::EMPTY; MAX_CHUNKS],
            count: 0,
        }
    }

    /// Whether the first chunk has been added.
    pub(crate) fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Adds the region `[start, start + len)`; `false` when the table is full.
    pub(crate) fn add_chunk(&mut self, start: usize, len: usize) -> bool {
        let (Some(slot), Some(end)) = (self.chunks.get_mut(self.count), start.checked_add(len))
        else {
            return false;
        };
        *slot = Chunk {
            start,
            top: start,
            end,
        };
        self.count += 1;
        true
    }

    fn used(&self) -> &[Chunk] {
        self.chunks.get(..self.count).unwrap_or_default()
    }

    /// Hands out `size` bytes aligned to `align` from the newest chunk that
    /// has room; `None` when a new chunk is needed.
    pub(crate) fn alloc(&mut self, size: usize, align: usize) -> Option<usize> {
        let count = self.count;
        let chunks = self.chunks.get_mut(..count)?;
        for chunk in chunks.iter_mut().rev() {
            if let Some(at) = chunk.fit(size, align) {
                chunk.top = at + size;
                return Some(at);
            }
        }
        None
    }

    /// Takes back a block the caller has already wiped: the top block moves
    /// the top back; any other stays used (and wiped) until exit.
    pub(crate) fn free(&mut self, addr: usize, size: usize) {
        let count = self.count;
        let Some(chunks) = self.chunks.get_mut(..count) else {
            return;
        };
        if let Some(chunk) = chunks.iter_mut().find(|c| c.contains(addr)) {
            if addr.checked_add(size) == Some(chunk.top) {
                chunk.top = addr;
            }
        }
    }

    /// Resizes the top block of its chunk in place, if it is the top block
    /// and the new size fits; a shrinking caller wipes the tail first.
    pub(crate) fn resize_in_place(&mut self, addr: usize, old: usize, new: usize) -> bool {
        let count = self.count;
        let Some(chunks) = self.chunks.get_mut(..count) else {
            return false;
        };
        let Some(chunk) = chunks.iter_mut().find(|c| c.contains(addr)) else {
            return false;
        };
        if addr.checked_add(old) != Some(chunk.top) {
            return false;
        }
        match addr.checked_add(new) {
            Some(end) if end <= chunk.end => {
                chunk.top = end;
                true
            }
            _ => false,
        }
    }

    /// The used part of every chunk, `(start, len)`: what is wiped at exit.
    pub(crate) fn used_ranges(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.used().iter().map(|c| (c.start, c.top - c.start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn miri_bump_aligns_and_frees_the_top_block() {
        let mut a = Arena::new();
        assert_eq!(a.alloc(8, 8), None, "no chunk yet");
        assert!(a.add_chunk(1000, 100));
        assert_eq!(a.alloc(3, 1), Some(1000));
        assert_eq!(a.alloc(8, 8), Some(1008), "aligned up");
        a.free(1008, 8);
        assert_eq!(a.alloc(8, 8), Some(1008), "the freed top block is reused");
        a.free(1000, 3);
        assert_eq!(
            a.alloc(1, 1),
            Some(1016),
            "a block below the top stays used"
        );
        assert_eq!(a.used_ranges().collect::<Vec<_>>(), [(1000, 17)]);
    }

    #[test]
    fn miri_full_chunks_ask_for_a_new_one_and_older_chunks_still_serve() {
        let mut a = Arena::new();
        assert!(a.add_chunk(0x1000, 16));
        assert_eq!(a.alloc(12, 4), Some(0x1000));
        assert_eq!(a.alloc(8, 4), None);
        assert!(a.add_chunk(0x8000, 64));
        assert_eq!(a.alloc(8, 4), Some(0x8000));
        assert_eq!(a.alloc(4, 4), Some(0x8008), "the newest chunk first");
        assert_eq!(a.alloc(60, 4), None);
        assert_eq!(
            a.used_ranges().collect::<Vec<_>>(),
            [(0x1000, 12), (0x8000, 12)]
        );
    }

    #[test]
    fn miri_resize_in_place_only_for_the_top_block() {
        let mut a = Arena::new();
        assert!(a.add_chunk(0, 64));
        let first = a.alloc(8, 8).unwrap();
        let second = a.alloc(8, 8).unwrap();
        assert!(!a.resize_in_place(first, 8, 16), "not the top block");
        assert!(a.resize_in_place(second, 8, 40));
        assert!(!a.resize_in_place(second, 40, 80), "past the end");
        assert!(a.resize_in_place(second, 40, 4));
        assert_eq!(a.used_ranges().collect::<Vec<_>>(), [(0, 12)]);
    }

    #[test]
    fn miri_the_chunk_table_has_a_bound_and_overflow_is_refused() {
        let mut a = Arena::new();
        for i in 0..MAX_CHUNKS {
            assert!(a.add_chunk(i * 100 + 1, 10));
        }
        assert!(!a.add_chunk(1 << 40, 10));
        assert!(
            !a.add_chunk(usize::MAX, 10),
            "an end past the address space"
        );
        assert_eq!(a.alloc(usize::MAX, 1), None);
        assert_eq!(
            a.alloc(1, 1 << 20),
            None,
            "no chunk can hold that alignment"
        );
    }
}
