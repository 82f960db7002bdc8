//! A buffer for bytes that must not outlive their use: registry passwords,
//! credential files, the request (which may carry a service-account token) and
//! the response. It is allocated once at its final size, never grows, has no
//! `Debug` or `Display` that could print it, and is wiped on drop.

use crate::sys;

/// Owned secret bytes, wiped (length and spare capacity) when dropped.
pub struct Secret {
    bytes: Vec<u8>,
}

impl Secret {
    /// A zero-filled buffer of exactly `len` bytes, allocated once.
    pub fn zeroed(len: usize) -> Self {
        Self {
            bytes: vec![0; len],
        }
    }

    /// An empty buffer with room for `capacity` bytes; [`Secret::push`] never
    /// grows it past that (a reallocation would leave a copy behind).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(capacity),
        }
    }

    /// Takes ownership of a string's bytes without copying them.
    pub fn from_string(s: String) -> Self {
        Self {
            bytes: s.into_bytes(),
        }
    }

    /// Appends `data` if it fits in the capacity reserved up front; returns
    /// `false` (and appends nothing) if it would not.
    #[must_use]
    pub fn push(&mut self, data: &[u8]) -> bool {
        if self.bytes.capacity() - self.bytes.len() < data.len() {
            return false;
        }
        self.bytes.extend_from_slice(data);
        true
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes, writable (for reading into a pre-sized buffer).
    pub fn as_mut_bytes(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    /// Reads from `fd` into the reserved capacity, never growing the buffer;
    /// returns the bytes read (0 at end of input or when the buffer is full).
    pub(crate) fn read_from(&mut self, fd: std::os::fd::BorrowedFd<'_>) -> std::io::Result<usize> {
        if self.bytes.len() == self.bytes.capacity() {
            return Ok(0);
        }
        sys::read_into_spare(fd, &mut self.bytes)
    }

    /// A copy of these bytes in a new buffer with room for `capacity` bytes;
    /// this buffer is wiped when it is dropped. (Growing in place could leave
    /// an unwiped copy behind under an allocator that does not wipe.)
    #[must_use]
    pub fn moved_to_capacity(self, capacity: usize) -> Self {
        let mut bigger = Self::with_capacity(capacity.max(self.len()));
        bigger.bytes.extend_from_slice(&self.bytes);
        bigger
    }

    /// Whether the reserved capacity is used up.
    pub fn is_full(&self) -> bool {
        self.bytes.len() == self.bytes.capacity()
    }

    /// Shortens the buffer to `len` bytes, wiping the bytes cut off.
    pub fn truncate(&mut self, len: usize) {
        if let Some(tail) = self.bytes.get_mut(len..) {
            sys::wipe(tail);
        }
        self.bytes.truncate(len);
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the buffer holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl Drop for Secret {
    /// Wipes the bytes. The spare capacity never held secret bytes: nothing
    /// writes past the length except `read_from`, which extends the length
    /// over what it wrote, and `truncate` wipes what it cuts off.
    fn drop(&mut self) {
        sys::wipe(&mut self.bytes);
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn miri_push_never_grows_past_capacity() {
        let mut s = Secret::with_capacity(4);
        assert!(s.push(b"abc"));
        assert!(!s.push(b"de"));
        assert_eq!(s.as_bytes(), b"abc");
        assert!(s.push(b"d"));
        assert_eq!(s.as_bytes(), b"abcd");
    }

    #[test]
    fn miri_debug_never_shows_content() {
        let s = Secret::from_string("hunter2".to_owned());
        assert_eq!(format!("{s:?}"), "Secret(..)");
    }

    #[test]
    fn miri_truncate_keeps_prefix() {
        let mut s = Secret::zeroed(8);
        s.as_mut_bytes().copy_from_slice(b"abcdefgh");
        s.truncate(3);
        assert_eq!(s.as_bytes(), b"abc");
    }
}
