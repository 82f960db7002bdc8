//! A buffer for bytes that must not outlive their use: registry passwords,
//! credential files, the request (which may carry a service-account token) and
//! the response. It is allocated once at its final size, never grows, has no
//! `Debug` or `Display` that could print it, and is wiped on drop.

use crate::errno::Errno;
use crate::sys::{self, Fd};
use alloc::string::String;
use alloc::vec::Vec;

/// Owned secret bytes, wiped (length and spare capacity) when dropped.
pub(crate) struct Secret {
    bytes: Vec<u8>,
}

impl Secret {
    /// An empty buffer with room for `capacity` bytes; [`Secret::push`] never
    /// grows it past that (a reallocation would leave a copy behind).
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(capacity),
        }
    }

    /// Takes ownership of a string's bytes without copying them.
    pub(crate) fn from_string(s: String) -> Self {
        Self {
            bytes: s.into_bytes(),
        }
    }

    /// Appends `data` if it fits in the capacity reserved up front; returns
    /// `false` (and appends nothing) if it would not.
    #[must_use]
    pub(crate) fn push(&mut self, data: &[u8]) -> bool {
        if self.bytes.capacity() - self.bytes.len() < data.len() {
            return false;
        }
        self.bytes.extend_from_slice(data);
        true
    }

    /// The bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Reads from `fd` into the reserved capacity, never growing the buffer;
    /// returns the bytes read (0 at end of input or when the buffer is full).
    pub(crate) fn read_from(&mut self, fd: &Fd) -> Result<usize, Errno> {
        if self.is_full() {
            return Ok(0);
        }
        sys::read_into_spare(fd, &mut self.bytes)
    }

    /// Reads from the file `fd` at the offset of this buffer's length (see
    /// [`sys::pread_into_spare`]) into the reserved capacity.
    pub(crate) fn read_at(&mut self, fd: &Fd) -> Result<usize, Errno> {
        if self.is_full() {
            return Ok(0);
        }
        sys::pread_into_spare(fd, &mut self.bytes)
    }

    /// The same, from standard input.
    pub(crate) fn read_stdin(&mut self) -> Result<usize, Errno> {
        if self.is_full() {
            return Ok(0);
        }
        sys::read_stdin_into_spare(&mut self.bytes)
    }

    /// A copy of these bytes in a new buffer with room for `capacity` bytes;
    /// this buffer is wiped when it is dropped. (Growing in place could leave
    /// an unwiped copy behind under an allocator that does not wipe.)
    #[must_use]
    pub(crate) fn moved_to_capacity(self, capacity: usize) -> Self {
        let mut bigger = Self::with_capacity(capacity.max(self.len()));
        bigger.bytes.extend_from_slice(&self.bytes);
        bigger
    }

    /// Whether the reserved capacity is used up.
    pub(crate) fn is_full(&self) -> bool {
        self.bytes.len() == self.bytes.capacity()
    }

    /// The length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the buffer holds no bytes.
    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl Drop for Secret {
    /// Wipes the bytes. The spare capacity never held secret bytes: nothing
    /// writes past the length except `read_from`, which extends the length
    /// over what it wrote.
    fn drop(&mut self) {
        sys::wipe(&mut self.bytes);
    }
}

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
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
}
