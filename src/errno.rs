//! An operating-system error number, displayed the way the C library words
//! it (`No such file or directory`), which is what operators search for.
//! std's `io::Error` is gone with the std runtime, and its kinds (`entity not
//! found`) never read like the system's own messages.

use core::fmt;

/// A non-zero `errno` value from a failed system call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(i32);

impl Errno {
    /// `ENOENT`: the name does not exist.
    pub const NOT_FOUND: Self = Self(libc::ENOENT);
    /// `EINTR`: interrupted by a signal; the call is retried.
    pub const INTERRUPTED: Self = Self(libc::EINTR);
    /// `EAGAIN`: a non-blocking descriptor is not ready.
    pub const WOULD_BLOCK: Self = Self(libc::EAGAIN);
    /// `EACCES`: permission denied.
    pub const ACCESS: Self = Self(libc::EACCES);
    /// `EPROTOTYPE`: a datagram sent to a stream socket.
    pub const WRONG_SOCKET_TYPE: Self = Self(libc::EPROTOTYPE);
    /// `ENAMETOOLONG`: a path that does not fit.
    pub const NAME_TOO_LONG: Self = Self(libc::ENAMETOOLONG);
    /// `EINVAL`: an argument the kernel refuses (here: a name holding a NUL byte).
    pub const INVALID: Self = Self(libc::EINVAL);
    /// `EEXIST`: the name exists already.
    pub const EXISTS: Self = Self(libc::EEXIST);
    /// `EIO`: a write that made no progress.
    pub const IO: Self = Self(libc::EIO);

    /// Wraps a raw `errno`; zero (which no failed call sets) reads as `EIO`.
    pub fn from_raw(raw: i32) -> Self {
        if raw == 0 { Self::IO } else { Self(raw) }
    }
}

/// glibc's `strerror` texts for every error these system calls can return;
/// anything else prints its number.
fn message(raw: i32) -> Option<&'static str> {
    Some(match raw {
        libc::EPERM => "Operation not permitted",
        libc::ENOENT => "No such file or directory",
        libc::EINTR => "Interrupted system call",
        libc::EIO => "Input/output error",
        libc::ENXIO => "No such device or address",
        libc::EBADF => "Bad file descriptor",
        libc::EAGAIN => "Resource temporarily unavailable",
        libc::ENOMEM => "Cannot allocate memory",
        libc::EACCES => "Permission denied",
        libc::EFAULT => "Bad address",
        libc::EBUSY => "Device or resource busy",
        libc::EEXIST => "File exists",
        libc::EXDEV => "Invalid cross-device link",
        libc::ENODEV => "No such device",
        libc::ENOTDIR => "Not a directory",
        libc::EISDIR => "Is a directory",
        libc::EINVAL => "Invalid argument",
        libc::ENFILE => "Too many open files in system",
        libc::EMFILE => "Too many open files",
        libc::ETXTBSY => "Text file busy",
        libc::EFBIG => "File too large",
        libc::ENOSPC => "No space left on device",
        libc::EROFS => "Read-only file system",
        libc::EMLINK => "Too many links",
        libc::EPIPE => "Broken pipe",
        libc::ENAMETOOLONG => "File name too long",
        libc::ENOSYS => "Function not implemented",
        libc::ENOTEMPTY => "Directory not empty",
        libc::ELOOP => "Too many levels of symbolic links",
        libc::EOVERFLOW => "Value too large for defined data type",
        libc::EPROTOTYPE => "Protocol wrong type for socket",
        libc::ENOTSOCK => "Socket operation on non-socket",
        libc::EOPNOTSUPP => "Operation not supported",
        libc::ECONNREFUSED => "Connection refused",
        libc::ENOBUFS => "No buffer space available",
        libc::EDQUOT => "Disk quota exceeded",
        libc::ESTALE => "Stale file handle",
        _ => return None,
    })
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match message(self.0) {
            Some(text) => f.write_str(text),
            None => write!(f, "error {}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn miri_errno_reads_like_the_c_library() {
        assert_eq!(Errno::NOT_FOUND.to_string(), "No such file or directory");
        assert_eq!(Errno::ACCESS.to_string(), "Permission denied");
        assert_eq!(
            Errno::from_raw(libc::ELOOP).to_string(),
            "Too many levels of symbolic links"
        );
        assert_eq!(Errno::from_raw(4095).to_string(), "error 4095");
        assert_eq!(Errno::from_raw(0), Errno::IO);
    }
}
