//! Every `unsafe` block and every call into libc lives here, each behind a safe
//! function that returns `io::Result`. The rest of the crate is safe Rust.
//!
//! Why raw file descriptors at all: `openat` relative to a directory we have
//! already checked is the only way to check-then-read without a gap between the
//! check and the use (no second look-up by path), and std has no wrapper for it.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::atomic::{Ordering, compiler_fence};

/// `open` flags for every directory on the way to the credential root:
/// no symbolic link is followed, and the descriptor never leaks into a child.
const DIR_OPEN_FLAGS: libc::c_int =
    libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;

/// `open` flags for a credential file. `O_NONBLOCK`: a FIFO planted at the
/// path must not hang the kubelet (OpenSSH `auth_openfile`). `O_NOCTTY`: a
/// terminal device must never become our controlling terminal.
const FILE_OPEN_FLAGS: libc::c_int =
    libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_NOCTTY;

/// The file-type bits of `st_mode`.
pub(crate) const MODE_TYPE_MASK: u32 = libc::S_IFMT;
/// `st_mode` type of a directory.
pub(crate) const MODE_DIRECTORY: u32 = libc::S_IFDIR;
/// `st_mode` type of a regular file.
pub(crate) const MODE_REGULAR: u32 = libc::S_IFREG;
/// `st_mode` type of a symbolic link.
pub(crate) const MODE_SYMLINK: u32 = libc::S_IFLNK;
/// `st_mode` type of a FIFO.
pub(crate) const MODE_FIFO: u32 = libc::S_IFIFO;
/// `st_mode` type of a socket.
pub(crate) const MODE_SOCKET: u32 = libc::S_IFSOCK;
/// `st_mode` type of a character device.
pub(crate) const MODE_CHAR_DEVICE: u32 = libc::S_IFCHR;
/// `st_mode` type of a block device.
pub(crate) const MODE_BLOCK_DEVICE: u32 = libc::S_IFBLK;

/// The file facts the trust rules look at, taken from one `fstat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// `st_mode`: file type and permission bits.
    pub mode: u32,
    /// `st_uid`: the owner.
    pub uid: u32,
    /// `st_nlink`: the number of hard links.
    pub nlink: u64,
    /// `st_size`: the size in bytes.
    pub size: u64,
}

/// Maps the C convention (`-1` and `errno`) to `io::Result` (sudo-rs `cerr`).
fn cerr(res: libc::c_int) -> io::Result<libc::c_int> {
    if res == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(res)
    }
}

fn cerr_size(res: libc::ssize_t) -> io::Result<usize> {
    usize::try_from(res).map_err(|_| io::Error::last_os_error())
}

fn raw_dir(dir: Option<BorrowedFd<'_>>) -> libc::c_int {
    dir.map_or(libc::AT_FDCWD, |fd| fd.as_raw_fd())
}

fn openat(dir: Option<BorrowedFd<'_>>, name: &CStr, flags: libc::c_int) -> io::Result<OwnedFd> {
    loop {
        // SAFETY: `name` is a NUL-terminated C string that outlives the call, and
        // the directory descriptor is borrowed, so it stays open for the call.
        let res = cerr(unsafe { libc::openat(raw_dir(dir), name.as_ptr(), flags) });
        match res {
            // SAFETY: openat just returned this descriptor; nothing else owns it.
            Ok(fd) => return Ok(unsafe { OwnedFd::from_raw_fd(fd) }),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Opens the directory `name` relative to `dir` (or the working directory when
/// `dir` is `None`, used only for the absolute path `/`), never following a
/// symbolic link.
pub(crate) fn open_dir_at(dir: Option<BorrowedFd<'_>>, name: &CStr) -> io::Result<OwnedFd> {
    openat(dir, name, DIR_OPEN_FLAGS)
}

/// Opens the file `name` relative to `dir` for reading, never following a
/// symbolic link and never blocking on a FIFO.
pub(crate) fn open_file_at(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<OwnedFd> {
    openat(Some(dir), name, FILE_OPEN_FLAGS)
}

fn stat_from(st: &libc::stat) -> Stat {
    Stat {
        mode: st.st_mode,
        uid: st.st_uid,
        // `st_nlink` is 64 bits on x86_64 but 32 bits on other Linux targets.
        #[allow(clippy::useless_conversion)]
        nlink: u64::from(st.st_nlink),
        size: u64::try_from(st.st_size).unwrap_or(u64::MAX),
    }
}

/// `fstat` on an open descriptor: the facts of exactly the file we will read.
pub(crate) fn fstat(fd: BorrowedFd<'_>) -> io::Result<Stat> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::zeroed();
    // SAFETY: `st` points to writable memory of the size of `struct stat`, and the
    // descriptor is borrowed, so it is open for the duration of the call.
    cerr(unsafe { libc::fstat(fd.as_raw_fd(), st.as_mut_ptr()) })?;
    // SAFETY: fstat succeeded, so it filled in the whole structure (it was also
    // zero-initialised before).
    Ok(stat_from(unsafe { st.assume_init_ref() }))
}

/// `fstatat(dir, name, AT_SYMLINK_NOFOLLOW)`: used only to explain why an open
/// failed (a symbolic link, a socket), never to decide what to trust.
pub(crate) fn lstat_at(dir: Option<BorrowedFd<'_>>, name: &CStr) -> io::Result<Stat> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::zeroed();
    // SAFETY: `name` is NUL-terminated, `st` is writable and large enough, and the
    // directory descriptor is borrowed for the call.
    cerr(unsafe {
        libc::fstatat(
            raw_dir(dir),
            name.as_ptr(),
            st.as_mut_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    })?;
    // SAFETY: fstatat succeeded and filled in the zero-initialised structure.
    Ok(stat_from(unsafe { st.assume_init_ref() }))
}

/// Reads from `fd` into `buf`, retrying on `EINTR`; returns the bytes read.
pub(crate) fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes, and the descriptor
        // is borrowed for the call.
        let res =
            cerr_size(unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) });
        match res {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// Reads from `fd` into the spare capacity of `buf` (never past it, never
/// reallocating) and extends its length by the bytes read.
pub(crate) fn read_into_spare(fd: BorrowedFd<'_>, buf: &mut Vec<u8>) -> io::Result<usize> {
    let spare = buf.spare_capacity_mut();
    loop {
        // SAFETY: `spare` is valid for writes of `spare.len()` bytes (read(2)
        // never reads uninitialised memory, it only writes), and the descriptor
        // is borrowed for the call.
        let res = cerr_size(unsafe {
            libc::read(fd.as_raw_fd(), spare.as_mut_ptr().cast(), spare.len())
        });
        match res {
            Ok(n) => {
                let len = buf.len() + n;
                // SAFETY: read(2) initialised the first `n` bytes of the spare
                // capacity, and n <= spare.len(), so len <= capacity.
                unsafe { buf.set_len(len) };
                return Ok(n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Standard input, borrowed for a read.
pub(crate) fn stdin() -> BorrowedFd<'static> {
    // SAFETY: descriptor 0 stays open for the whole life of the process (or
    // reads fail with EBADF, which is reported); it is never closed here.
    unsafe { BorrowedFd::borrow_raw(libc::STDIN_FILENO) }
}

/// Standard output.
pub(crate) const STDOUT: libc::c_int = libc::STDOUT_FILENO;
/// Standard error.
pub(crate) const STDERR: libc::c_int = libc::STDERR_FILENO;

/// Writes all of `buf` to `fd` (standard output or error) with `write(2)`:
/// std's `Stdout` is line-buffered and would keep a copy of the response in a
/// buffer that is never freed or wiped.
pub(crate) fn write_fd_all(fd: libc::c_int, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        // SAFETY: `buf` is valid for reads of `buf.len()` bytes; `fd` is one of
        // the standard descriptors, only borrowed for the call (a closed one
        // fails with EBADF).
        let res = cerr_size(unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) });
        match res {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = buf.get(n..).unwrap_or_default(),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Opens `path` (absolute, or relative to the working directory) for
/// reading, with the same flags as a credential file: used for the kubelet
/// config that `check` reads.
pub(crate) fn open_file(path: &CStr) -> io::Result<OwnedFd> {
    openat(None, path, FILE_OPEN_FLAGS)
}

/// What a directory entry is, from `d_type` (or `lstat` where the file system
/// does not say), never following a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    /// A directory.
    Directory,
    /// A symbolic link.
    Symlink,
    /// Anything else.
    Other,
}

/// Lists the names in the directory open at `dir` (without `.` and `..`),
/// through that descriptor, so the listing is of the directory that was
/// checked, not of whatever a path names now.
pub(crate) fn list_dir(dir: BorrowedFd<'_>) -> io::Result<Vec<(Vec<u8>, EntryKind)>> {
    // fdopendir takes ownership of its descriptor: give it a duplicate.
    // SAFETY: `dir` is a valid open descriptor borrowed for the call.
    let dup = cerr(unsafe { libc::fcntl(dir.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) })?;
    // SAFETY: `dup` was just created and is owned by nobody else; on success
    // the DIR stream owns it and closedir below closes it.
    let stream = unsafe { libc::fdopendir(dup) };
    if stream.is_null() {
        let err = io::Error::last_os_error();
        // SAFETY: fdopendir failed, so `dup` is still ours to close.
        unsafe { libc::close(dup) };
        return Err(err);
    }
    let mut names = Vec::new();
    loop {
        // SAFETY: `stream` is a valid DIR stream until closedir below; the
        // entry it returns stays valid until the next readdir on it, and is
        // copied out before that.
        let entry = unsafe { libc::readdir(stream) };
        if entry.is_null() {
            break;
        }
        // SAFETY: readdir returned a valid entry whose d_name is NUL-terminated.
        let (name, d_type) = unsafe {
            (
                CStr::from_ptr((*entry).d_name.as_ptr()).to_bytes().to_vec(),
                (*entry).d_type,
            )
        };
        if name == b"." || name == b".." {
            continue;
        }
        let kind = match d_type {
            libc::DT_DIR => EntryKind::Directory,
            libc::DT_LNK => EntryKind::Symlink,
            libc::DT_UNKNOWN => match std::ffi::CString::new(name.clone())
                .ok()
                .map(|c| lstat_at(Some(dir), &c))
            {
                Some(Ok(st)) if st.mode & MODE_TYPE_MASK == MODE_DIRECTORY => EntryKind::Directory,
                Some(Ok(st)) if st.mode & MODE_TYPE_MASK == MODE_SYMLINK => EntryKind::Symlink,
                _ => EntryKind::Other,
            },
            _ => EntryKind::Other,
        };
        names.push((name, kind));
    }
    // SAFETY: `stream` came from fdopendir and is closed exactly once.
    unsafe { libc::closedir(stream) };
    Ok(names)
}

/// Builds a `sockaddr_un` for `path`; `ENAMETOOLONG` if it does not fit.
fn unix_address(path: &[u8]) -> io::Result<(libc::sockaddr_un, libc::socklen_t)> {
    // SAFETY: sockaddr_un is plain old data; all zeros is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    // Keep one byte for the terminating NUL; refuse embedded NULs.
    if path.len() >= addr.sun_path.len() || path.contains(&0) {
        return Err(io::Error::from_raw_os_error(libc::ENAMETOOLONG));
    }
    for (dst, &src) in addr.sun_path.iter_mut().zip(path) {
        *dst = src as libc::c_char;
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + path.len() + 1;
    let len = libc::socklen_t::try_from(len)
        .map_err(|_| io::Error::from_raw_os_error(libc::ENAMETOOLONG))?;
    Ok((addr, len))
}

fn unix_socket(kind: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: socket has no memory preconditions.
    let fd = cerr(unsafe {
        libc::socket(
            libc::AF_UNIX,
            kind | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            0,
        )
    })?;
    // SAFETY: socket just returned this descriptor; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Sends one datagram to the socket at `path` without blocking
/// (`MSG_DONTWAIT`) and without `SIGPIPE`.
pub(crate) fn send_datagram(path: &[u8], data: &[u8]) -> io::Result<()> {
    let (addr, len) = unix_address(path)?;
    let sock = unix_socket(libc::SOCK_DGRAM)?;
    // SAFETY: `data` is valid for `data.len()` bytes, `addr` is an initialised
    // sockaddr_un of `len` bytes, and the socket is open for the call.
    cerr_size(unsafe {
        libc::sendto(
            sock.as_raw_fd(),
            data.as_ptr().cast(),
            data.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
            (&raw const addr).cast(),
            len,
        )
    })
    .map(|_| ())
}

/// Connects a non-blocking stream socket to `path` and sends `data` once
/// (glibc's fallback when the log socket is a stream socket).
pub(crate) fn send_stream(path: &[u8], data: &[u8]) -> io::Result<()> {
    let (addr, len) = unix_address(path)?;
    let sock = unix_socket(libc::SOCK_STREAM)?;
    // SAFETY: `addr` is an initialised sockaddr_un of `len` bytes.
    cerr(unsafe { libc::connect(sock.as_raw_fd(), (&raw const addr).cast(), len) })?;
    // SAFETY: `data` is valid for `data.len()` bytes; the socket is open.
    cerr_size(unsafe {
        libc::send(
            sock.as_raw_fd(),
            data.as_ptr().cast(),
            data.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    })
    .map(|_| ())
}

/// The effective user id: the one owner besides root that the trust rules accept.
pub(crate) fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// What [`harden_process`] could not do; the caller reports it and goes on.
#[derive(Debug)]
pub struct HardeningFailure {
    /// Which step failed.
    pub step: &'static str,
    /// Why.
    pub error: io::Error,
}

/// Makes the process undumpable and unattachable by unprivileged users
/// (`PR_SET_DUMPABLE 0`, the stronger control, since a piped `core_pattern`
/// ignores `RLIMIT_CORE`), sets the core-size limit to zero, and sets a
/// private umask. Runs first thing in `main`, before any secret is read
/// (OpenSSH `ssh-agent.c`, `platform_disable_tracing`).
pub fn harden_process() -> Vec<HardeningFailure> {
    let mut failures = Vec::new();
    // SAFETY: PR_SET_DUMPABLE takes an integer argument; the trailing arguments
    // are unused and passed as zero as prctl(2) asks.
    if let Err(error) = cerr(unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) }) {
        failures.push(HardeningFailure {
            step: "prctl(PR_SET_DUMPABLE, 0)",
            error,
        });
    }
    let no_core = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `no_core` is a valid, initialised rlimit that outlives the call.
    if let Err(error) = cerr(unsafe { libc::setrlimit(libc::RLIMIT_CORE, &no_core) }) {
        failures.push(HardeningFailure {
            step: "setrlimit(RLIMIT_CORE, 0)",
            error,
        });
    }
    // SAFETY: umask has no preconditions and cannot fail.
    unsafe { libc::umask(0o077) };
    failures
}

/// Whether the kernel would write a core file for this process or let an
/// unprivileged user attach to it (`PR_GET_DUMPABLE`).
pub fn is_dumpable() -> io::Result<bool> {
    // SAFETY: PR_GET_DUMPABLE takes no arguments besides the unused zeros.
    cerr(unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) }).map(|v| v != 0)
}

/// Overwrites `buf` with zeros through volatile writes, then fences, so the
/// compiler cannot elide the writes as dead stores (zeroize 1.8, sudo-rs
/// `wipe_memory`).
pub fn wipe(buf: &mut [u8]) {
    wipe_raw(buf.as_mut_ptr(), buf.len());
}

fn wipe_raw(ptr: *mut u8, len: usize) {
    // Whole words where the block is aligned for them (allocator blocks
    // always are), bytes at the edges: eight times fewer volatile stores.
    const WORD: usize = std::mem::size_of::<usize>();
    let head = ptr.align_offset(WORD).min(len);
    let words = (len - head) / WORD;
    for i in 0..head {
        // SAFETY: callers pass a pointer valid for writes of `len` bytes (a
        // slice, or a block the allocator handed out with that size); i < head <= len.
        unsafe { std::ptr::write_volatile(ptr.add(i), 0) };
    }
    for w in 0..words {
        // SAFETY: `ptr + head` is word-aligned and the word ends at
        // head + (w + 1) * WORD <= len, inside the block.
        unsafe { std::ptr::write_volatile(ptr.add(head + w * WORD).cast::<usize>(), 0) };
    }
    for i in head + words * WORD..len {
        // SAFETY: i < len, inside the block.
        unsafe { std::ptr::write_volatile(ptr.add(i), 0) };
    }
    compiler_fence(Ordering::SeqCst);
}

/// A global allocator that wipes every block before it is freed, and never
/// lets `realloc` free an unwiped old block. This catches the copies nobody
/// sees: miniserde's scratch buffer for escaped strings, a `Vec` that grew,
/// std's formatting buffers.
pub struct WipingAllocator;

// SAFETY: every method forwards to `System` with the caller's own layout and
// pointer, and only adds writes inside the block being freed.
unsafe impl GlobalAlloc for WipingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract; forwarded.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc_zeroed`'s contract; forwarded.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        wipe_raw(ptr, layout.size());
        // SAFETY: `ptr` was allocated by `System` with `layout` (every allocation
        // goes through this type), as the caller guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return std::ptr::null_mut();
        };
        // SAFETY: `new_layout` has a non-zero size (the caller guarantees
        // `new_size > 0`) and a valid alignment.
        let new = unsafe { System.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are valid for `min(old, new)` bytes and are
            // distinct allocations, so they do not overlap.
            unsafe { std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
            wipe_raw(ptr, layout.size());
            // SAFETY: `ptr` was allocated by `System` with `layout`.
            unsafe { System.dealloc(ptr, layout) };
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn miri_wipe_zeroes_every_byte() {
        let mut buf = *b"hunter2-secret";
        wipe(&mut buf);
        assert_eq!(buf, [0u8; 14]);
    }

    /// Runs only as the child of `hardening_makes_a_child_process_undumpable`,
    /// so the test harness itself keeps its dumpable flag and umask.
    #[test]
    #[ignore = "run as a child process by hardening_makes_a_child_process_undumpable"]
    fn child_hardening_probe() {
        assert!(is_dumpable().unwrap(), "a fresh process starts dumpable");
        assert!(harden_process().is_empty());
        assert!(!is_dumpable().unwrap());
    }

    #[test]
    fn hardening_makes_a_child_process_undumpable() {
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new(exe)
            .args([
                "--ignored",
                "--exact",
                "sys::tests::child_hardening_probe",
                "--test-threads=1",
            ])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "child failed: {stdout}");
        assert!(stdout.contains("1 passed"), "child ran no probe: {stdout}");
    }
}
