//! Every `unsafe` block and every call into libc lives here, each behind a safe
//! function that returns `Result<_, Errno>`. The rest of the crate is safe Rust.
//!
//! Why raw file descriptors at all: `openat` relative to a directory we have
//! already checked is the only way to check-then-read without a gap between the
//! check and the use (no second look-up by path). The binary has no std
//! runtime, so what std did at start-up that we rely on is done here
//! explicitly ([`standard_descriptors`], [`ignore_signals`]).
#![allow(unsafe_code)]

use crate::arena::{Arena, MIN_CHUNK_BYTES};
use crate::errno::Errno;
use alloc::vec::Vec;
use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ffi::{CStr, c_char, c_int};
use core::sync::atomic::{AtomicBool, Ordering, compiler_fence};

// The C library itself. std used to link it; without std nothing does (the
// libc crate leaves it to std while its `std` feature is on), and `bcmp`,
// `memcpy` and every system call wrapper come from it.
#[link(name = "c")]
unsafe extern "C" {}

/// `open` flags for a directory that is listed (`check`): no symbolic link is
/// followed, and the descriptor never leaks into a child.
const DIR_READ_FLAGS: c_int =
    libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
/// `open` flags for every directory on the way to a credential file: an
/// `O_PATH` descriptor needs no read permission and is enough for `fstat`
/// and for `openat` below it. On a symbolic link `O_DIRECTORY|O_NOFOLLOW`
/// fails with `ENOTDIR`, which `trust` explains by looking at the entry.
const DIR_PATH_FLAGS: c_int = libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
/// `open` flags for a credential file. `O_NONBLOCK`: a FIFO planted at the
/// path must not hang the kubelet (OpenSSH `auth_openfile`). `O_NOCTTY`: a
/// terminal device must never become our controlling terminal.
const FILE_READ_FLAGS: c_int =
    libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_NOCTTY;
/// `open` flags for a new temporary file that `put` writes: it must not exist
/// (`O_EXCL`, which also refuses a symbolic link planted at the name).
const FILE_CREATE_FLAGS: c_int = libc::O_WRONLY
    | libc::O_CREAT
    | libc::O_EXCL
    | libc::O_NOFOLLOW
    | libc::O_CLOEXEC
    | libc::O_NOCTTY;
/// The mode of a file `put` creates: private to its owner.
const PRIVATE_FILE_MODE: libc::mode_t = 0o600;
/// The mode of a directory `put` creates.
const PRIVATE_DIR_MODE: libc::mode_t = 0o700;
/// The umask set at start-up: nothing this process creates is shared.
const PRIVATE_UMASK: libc::mode_t = 0o077;

/// How a descriptor is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Open {
    /// A directory on the way to a file ([`DIR_PATH_FLAGS`]).
    DirPath,
    /// A directory to list ([`DIR_READ_FLAGS`]).
    DirRead,
    /// A file to read ([`FILE_READ_FLAGS`]).
    FileRead,
    /// A new private file to write ([`FILE_CREATE_FLAGS`], mode 0600).
    FileCreate,
    /// `/dev/null` for a closed standard descriptor: read and write, as std
    /// opened it, so an answer written there succeeds.
    DevNull,
}

impl Open {
    fn flags(self) -> c_int {
        match self {
            Self::DirPath => DIR_PATH_FLAGS,
            Self::DirRead => DIR_READ_FLAGS,
            Self::FileRead => FILE_READ_FLAGS,
            Self::FileCreate => FILE_CREATE_FLAGS,
            Self::DevNull => libc::O_RDWR | libc::O_NOCTTY,
        }
    }
}

fn errno() -> Errno {
    // SAFETY: __errno_location returns the calling thread's errno slot, which
    // is always valid to read.
    Errno::from_raw(unsafe { *libc::__errno_location() })
}

/// Maps the C convention (`-1` and `errno`) to a `Result` (sudo-rs `cerr`).
fn cerr(res: c_int) -> Result<c_int, Errno> {
    if res == -1 { Err(errno()) } else { Ok(res) }
}

fn cerr_size(res: libc::ssize_t) -> Result<usize, Errno> {
    usize::try_from(res).map_err(|_| errno())
}

/// Runs a system call again while it fails with `EINTR`.
fn retry<T>(mut call: impl FnMut() -> Result<T, Errno>) -> Result<T, Errno> {
    loop {
        match call() {
            Err(e) if e == Errno::INTERRUPTED => {}
            other => return other,
        }
    }
}

/// An open descriptor, closed when dropped; the raw number never leaves `sys`.
#[derive(Debug)]
pub(crate) struct Fd(c_int);

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: this type owns the descriptor and closes it exactly once.
        // A failed close has nothing left to undo (close(2): never retry).
        unsafe { libc::close(self.0) };
    }
}

impl Fd {
    /// Keeps the descriptor open until the process exits instead of closing
    /// it: plugin mode does this with the directories above the credential
    /// root, which it never needs again and which exit closes for free.
    pub(crate) fn keep_until_exit(self) {
        core::mem::forget(self);
    }
}

/// Standard input, output and error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Std {
    /// Descriptor 0.
    In,
    /// Descriptor 1.
    Out,
    /// Descriptor 2.
    Err,
}

impl Std {
    fn raw(self) -> c_int {
        match self {
            Self::In => libc::STDIN_FILENO,
            Self::Out => libc::STDOUT_FILENO,
            Self::Err => libc::STDERR_FILENO,
        }
    }
}

/// What a file is, from the type bits of `st_mode` or a directory entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum FileType {
    /// A regular file.
    Regular,
    /// A directory.
    Directory,
    /// A symbolic link.
    Symlink,
    /// A FIFO.
    Fifo,
    /// A socket.
    Socket,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// Anything else, or not known.
    Unknown,
}

impl FileType {
    fn from_mode(mode: libc::mode_t) -> Self {
        match mode & libc::S_IFMT {
            libc::S_IFREG => Self::Regular,
            libc::S_IFDIR => Self::Directory,
            libc::S_IFLNK => Self::Symlink,
            libc::S_IFIFO => Self::Fifo,
            libc::S_IFSOCK => Self::Socket,
            libc::S_IFCHR => Self::CharDevice,
            libc::S_IFBLK => Self::BlockDevice,
            _ => Self::Unknown,
        }
    }
}

/// A user id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Uid(pub(crate) u32);

impl Uid {
    /// The superuser.
    pub(crate) const ROOT: Self = Self(0);
}

/// Permission bits of `st_mode` (setuid, setgid and sticky included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Perm(pub(crate) u32);

/// A point in time as the kernel stamps files, to the nanosecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileTime {
    secs: i64,
    nanos: i64,
}

/// Which version of a file a descriptor saw: if any of these differ between
/// two `fstat`s, the file changed in between (the size alone misses a
/// same-length rewrite in place).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Version {
    dev: u64,
    inode: u64,
    size: u64,
    modified: FileTime,
    changed: FileTime,
}

impl Version {
    /// Whether the bytes are the same version: only the change time may
    /// differ (it moves when a rename over the name drops the last link).
    pub(crate) fn same_bytes(&self, other: &Self) -> bool {
        self.dev == other.dev
            && self.inode == other.inode
            && self.size == other.size
            && self.modified == other.modified
    }
}

/// The file facts the trust rules look at, taken from one `fstat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stat {
    /// The file type.
    pub(crate) file_type: FileType,
    /// The permission bits.
    pub(crate) perm: Perm,
    /// The owner.
    pub(crate) owner: Uid,
    /// The number of hard links.
    pub(crate) links: u64,
    /// The size in bytes.
    pub(crate) size: u64,
    /// What identifies this version of the file.
    pub(crate) version: Version,
}

fn stat_from(st: &libc::stat) -> Stat {
    let size = u64::try_from(st.st_size).unwrap_or(u64::MAX);
    Stat {
        file_type: FileType::from_mode(st.st_mode),
        perm: Perm(st.st_mode & !libc::S_IFMT),
        owner: Uid(st.st_uid),
        // `st_nlink` is 64 bits on x86_64 but 32 bits on aarch64.
        #[allow(clippy::useless_conversion)]
        links: u64::from(st.st_nlink),
        size,
        #[allow(clippy::useless_conversion)]
        version: Version {
            dev: u64::from(st.st_dev),
            inode: u64::from(st.st_ino),
            size,
            modified: FileTime {
                secs: i64::from(st.st_mtime),
                nanos: i64::from(st.st_mtime_nsec),
            },
            changed: FileTime {
                secs: i64::from(st.st_ctime),
                nanos: i64::from(st.st_ctime_nsec),
            },
        },
    }
}

fn raw_dir(dir: Option<&Fd>) -> c_int {
    dir.map_or(libc::AT_FDCWD, |fd| fd.0)
}

/// Opens `name` relative to `dir` (or the working directory when `dir` is
/// `None`: the absolute path `/`, a path given on the command line), never
/// following a symbolic link in the last component.
pub(crate) fn open_at(dir: Option<&Fd>, name: &CStr, how: Open) -> Result<Fd, Errno> {
    let flags = how.flags();
    let mode = libc::c_uint::from(PRIVATE_FILE_MODE);
    retry(|| {
        // SAFETY: `name` is a NUL-terminated C string that outlives the call,
        // and the directory descriptor is borrowed, so it stays open.
        cerr(unsafe { libc::openat(raw_dir(dir), name.as_ptr(), flags, mode) })
    })
    .map(Fd)
}

/// Opens the directory itself for reading through an `O_PATH` descriptor of
/// it (`.` of a directory is that directory: no second look-up by path).
pub(crate) fn reopen_dir_for_listing(dir: &Fd) -> Result<Fd, Errno> {
    open_at(Some(dir), c".", Open::DirRead)
}

/// `fstat` on an open descriptor: the facts of exactly the file we will read.
pub(crate) fn fstat(fd: &Fd) -> Result<Stat, Errno> {
    let mut st = core::mem::MaybeUninit::<libc::stat>::zeroed();
    // SAFETY: `st` points to writable memory of the size of `struct stat`, and
    // the descriptor is borrowed, so it is open for the duration of the call.
    cerr(unsafe { libc::fstat(fd.0, st.as_mut_ptr()) })?;
    // SAFETY: fstat succeeded, so it filled in the (zero-initialised) structure.
    Ok(stat_from(unsafe { st.assume_init_ref() }))
}

/// `fstatat(dir, name, AT_SYMLINK_NOFOLLOW)`: used only to explain why an open
/// failed (a symbolic link, a socket), never to decide what to trust.
pub(crate) fn lstat_at(dir: Option<&Fd>, name: &CStr) -> Result<Stat, Errno> {
    let mut st = core::mem::MaybeUninit::<libc::stat>::zeroed();
    // SAFETY: `name` is NUL-terminated, `st` is writable and large enough, and
    // the directory descriptor is borrowed for the call.
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

/// Waits until `fd` is ready for `events` (a non-blocking pipe that is
/// empty or full answers `EAGAIN`; we wait rather than fail).
fn wait_ready(fd: c_int, events: libc::c_short) -> Result<(), Errno> {
    let mut pfd = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // SAFETY: `pfd` is one valid pollfd, and the count says one.
    retry(|| cerr(unsafe { libc::poll(&raw mut pfd, 1, -1) })).map(|_| ())
}

fn read_raw(fd: c_int, ptr: *mut u8, len: usize) -> Result<usize, Errno> {
    loop {
        // SAFETY: callers pass a pointer valid for writes of `len` bytes
        // (read(2) only writes, never reads, the buffer).
        match retry(|| cerr_size(unsafe { libc::read(fd, ptr.cast(), len) })) {
            Err(e) if e == Errno::WOULD_BLOCK => wait_ready(fd, libc::POLLIN)?,
            other => return other,
        }
    }
}

/// Reads from `fd` into the spare capacity of `buf` (never past it, never
/// reallocating) and extends its length by the bytes read; 0 at end of input.
pub(crate) fn read_into_spare(fd: &Fd, buf: &mut Vec<u8>) -> Result<usize, Errno> {
    read_spare(fd.0, buf)
}

/// Reads from `fd` at the offset `buf.len()` (`pread`: the descriptor's own
/// offset is not used, so a second read of a file starts from the start
/// again) into the spare capacity of `buf`; 0 at end of file.
pub(crate) fn pread_into_spare(fd: &Fd, buf: &mut Vec<u8>) -> Result<usize, Errno> {
    let offset = libc::off_t::try_from(buf.len()).map_err(|_| Errno::INVALID)?;
    let spare = buf.spare_capacity_mut();
    let (ptr, len) = (spare.as_mut_ptr().cast::<u8>(), spare.len());
    // SAFETY: `ptr` is valid for writes of `len` bytes (pread only writes the
    // buffer), and the descriptor is borrowed for the call.
    let n = retry(|| cerr_size(unsafe { libc::pread(fd.0, ptr.cast(), len, offset) }))?;
    let new_len = buf.len() + n;
    // SAFETY: pread initialised the first `n` bytes of the spare capacity,
    // and n <= len, so new_len <= capacity.
    unsafe { buf.set_len(new_len) };
    Ok(n)
}

/// The same, from standard input.
pub(crate) fn read_stdin_into_spare(buf: &mut Vec<u8>) -> Result<usize, Errno> {
    read_spare(Std::In.raw(), buf)
}

fn read_spare(fd: c_int, buf: &mut Vec<u8>) -> Result<usize, Errno> {
    let spare = buf.spare_capacity_mut();
    let n = read_raw(fd, spare.as_mut_ptr().cast(), spare.len())?;
    let len = buf.len() + n;
    // SAFETY: read(2) initialised the first `n` bytes of the spare capacity,
    // and n <= spare.len(), so len <= capacity.
    unsafe { buf.set_len(len) };
    Ok(n)
}

fn write_all_raw(fd: c_int, mut buf: &[u8]) -> Result<(), Errno> {
    while !buf.is_empty() {
        // SAFETY: `buf` is valid for reads of `buf.len()` bytes, and `fd` is
        // borrowed for the call (a closed one fails with EBADF).
        match retry(|| cerr_size(unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) })) {
            Ok(0) => return Err(Errno::IO),
            Ok(n) => buf = buf.get(n..).unwrap_or_default(),
            Err(e) if e == Errno::WOULD_BLOCK => wait_ready(fd, libc::POLLOUT)?,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes all of `buf` to standard output or error with `write(2)`, waiting
/// on a non-blocking pipe rather than stopping half-way (a refusal must
/// leave nothing on stdout, and an answer must be whole).
pub(crate) fn write_std(to: Std, buf: &[u8]) -> Result<(), Errno> {
    write_all_raw(to.raw(), buf)
}

/// Writes all of `buf` to a file opened for writing.
pub(crate) fn write_fd(fd: &Fd, buf: &[u8]) -> Result<(), Errno> {
    write_all_raw(fd.0, buf)
}

/// `fsync`: the file's (or directory's) data reach the disk before we go on.
pub(crate) fn fsync(fd: &Fd) -> Result<(), Errno> {
    // SAFETY: the descriptor is borrowed and open for the call.
    retry(|| cerr(unsafe { libc::fsync(fd.0) })).map(|_| ())
}

/// `renameat` within one directory: atomically replaces `to` with `from`.
pub(crate) fn rename_in(dir: &Fd, from: &CStr, to: &CStr) -> Result<(), Errno> {
    // SAFETY: both names are NUL-terminated and outlive the call; the
    // directory descriptor is borrowed.
    cerr(unsafe { libc::renameat(dir.0, from.as_ptr(), dir.0, to.as_ptr()) }).map(|_| ())
}

/// `unlinkat` of a file in `dir`.
pub(crate) fn unlink_in(dir: &Fd, name: &CStr) -> Result<(), Errno> {
    // SAFETY: `name` is NUL-terminated and outlives the call; the directory
    // descriptor is borrowed.
    cerr(unsafe { libc::unlinkat(dir.0, name.as_ptr(), 0) }).map(|_| ())
}

/// `mkdirat` with mode 0700.
pub(crate) fn mkdir_in(dir: &Fd, name: &CStr) -> Result<(), Errno> {
    // SAFETY: `name` is NUL-terminated and outlives the call; the directory
    // descriptor is borrowed.
    cerr(unsafe { libc::mkdirat(dir.0, name.as_ptr(), PRIVATE_DIR_MODE) }).map(|_| ())
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct DirEntry {
    /// The name, as bytes (`.` and `..` are never listed).
    pub(crate) name: Vec<u8>,
    /// What the entry is, never following a link.
    pub(crate) file_type: FileType,
}

/// The size of one `getdents64` read.
const DIRENT_BUFFER_BYTES: usize = 8192;
/// `struct linux_dirent64`: `d_ino` (8), `d_off` (8), `d_reclen` (2), `d_type` (1), `d_name`.
const DIRENT_RECLEN_AT: usize = 16;
const DIRENT_TYPE_AT: usize = 18;
const DIRENT_NAME_AT: usize = 19;

/// Lists the names in the directory open at `dir` (an `O_PATH` or readable
/// descriptor) through that descriptor, so the listing is of the directory
/// that was checked. `getdents64` directly: libc's `opendir` would bring a
/// second allocator into the binary for its buffer.
pub(crate) fn list_dir(dir: &Fd) -> Result<Vec<DirEntry>, Errno> {
    let readable = reopen_dir_for_listing(dir)?;
    let mut entries = Vec::new();
    let mut buf = [0u8; DIRENT_BUFFER_BYTES];
    loop {
        let n = retry(|| {
            // SAFETY: `buf` is valid for writes of its length; the descriptor
            // is open; getdents64 writes whole records into it.
            cerr_size(unsafe {
                libc::syscall(
                    libc::SYS_getdents64,
                    readable.0,
                    buf.as_mut_ptr(),
                    buf.len(),
                ) as libc::ssize_t
            })
        })?;
        if n == 0 {
            break;
        }
        let mut records = buf.get(..n).unwrap_or_default();
        while let Some(record) = records.get(..DIRENT_NAME_AT) {
            let reclen = record
                .get(DIRENT_RECLEN_AT..DIRENT_TYPE_AT)
                .and_then(|b| b.try_into().ok())
                .map_or(0, |b: [u8; 2]| usize::from(u16::from_ne_bytes(b)));
            let (Some(whole), Some(rest)) = (records.get(..reclen), records.get(reclen..)) else {
                break;
            };
            if reclen < DIRENT_NAME_AT {
                break;
            }
            records = rest;
            let raw_name = whole.get(DIRENT_NAME_AT..).unwrap_or_default();
            let name = raw_name.split(|&b| b == 0).next().unwrap_or_default();
            if name == b"." || name == b".." {
                continue;
            }
            let d_type = whole
                .get(DIRENT_TYPE_AT)
                .copied()
                .unwrap_or(libc::DT_UNKNOWN);
            let file_type = match d_type {
                libc::DT_DIR => FileType::Directory,
                libc::DT_LNK => FileType::Symlink,
                libc::DT_REG => FileType::Regular,
                libc::DT_FIFO => FileType::Fifo,
                libc::DT_SOCK => FileType::Socket,
                libc::DT_CHR => FileType::CharDevice,
                libc::DT_BLK => FileType::BlockDevice,
                // Some file systems do not fill in d_type: look without following.
                _ => alloc::ffi::CString::new(name)
                    .ok()
                    .and_then(|c| lstat_at(Some(dir), &c).ok())
                    .map_or(FileType::Unknown, |st| st.file_type),
            };
            entries.push(DirEntry {
                name: name.to_vec(),
                file_type,
            });
        }
    }
    Ok(entries)
}

/// Builds a `sockaddr_un` for `path`; `ENAMETOOLONG` if it does not fit.
fn unix_address(path: &[u8]) -> Result<(libc::sockaddr_un, libc::socklen_t), Errno> {
    // SAFETY: sockaddr_un is plain old data; all zeros is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { core::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    // Keep one byte for the terminating NUL; refuse embedded NULs.
    if path.len() >= addr.sun_path.len() || path.contains(&0) {
        return Err(Errno::NAME_TOO_LONG);
    }
    for (dst, &src) in addr.sun_path.iter_mut().zip(path) {
        *dst = src as c_char;
    }
    let len = core::mem::size_of::<libc::sa_family_t>() + path.len() + 1;
    let len = libc::socklen_t::try_from(len).map_err(|_| Errno::NAME_TOO_LONG)?;
    Ok((addr, len))
}

fn unix_socket(kind: c_int) -> Result<Fd, Errno> {
    // SAFETY: socket has no memory preconditions.
    let fd = cerr(unsafe {
        libc::socket(
            libc::AF_UNIX,
            kind | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            0,
        )
    })?;
    Ok(Fd(fd))
}

/// Flags for every log send: never block, never raise `SIGPIPE`.
const LOG_SEND_FLAGS: c_int = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;

/// Sends one log line to the socket at `path`: a datagram, or, where the
/// socket is a stream socket (glibc's fallback), the line with a NUL record
/// terminator over a connection.
pub(crate) fn send_log(path: &[u8], line: &[u8]) -> Result<(), Errno> {
    let (addr, len) = unix_address(path)?;
    let sock = unix_socket(libc::SOCK_DGRAM)?;
    // SAFETY: `line` is valid for `line.len()` bytes, `addr` is an
    // initialised sockaddr_un of `len` bytes, and the socket is open.
    let sent = cerr_size(unsafe {
        libc::sendto(
            sock.0,
            line.as_ptr().cast(),
            line.len(),
            LOG_SEND_FLAGS,
            (&raw const addr).cast(),
            len,
        )
    });
    match sent {
        Err(e) if e == Errno::WRONG_SOCKET_TYPE => {}
        other => {
            // The plugin sends one line and exits, which closes the socket.
            sock.keep_until_exit();
            return other.map(|_| ());
        }
    }
    let stream = unix_socket(libc::SOCK_STREAM)?;
    // SAFETY: `addr` is an initialised sockaddr_un of `len` bytes.
    cerr(unsafe { libc::connect(stream.0, (&raw const addr).cast(), len) })?;
    let mut framed = Vec::with_capacity(line.len() + 1);
    framed.extend_from_slice(line);
    framed.push(0);
    // SAFETY: `framed` is valid for its length; the socket is open.
    cerr_size(unsafe {
        libc::send(
            stream.0,
            framed.as_ptr().cast(),
            framed.len(),
            LOG_SEND_FLAGS,
        )
    })
    .map(|_| ())
}

/// The effective user id: the one owner besides root that the trust rules
/// accept. Read from the auxiliary vector the kernel passed at exec
/// (`AT_EUID`), which saves a system call; this process never changes it.
pub(crate) fn effective_uid() -> Uid {
    // SAFETY: getauxval only reads the auxiliary vector libc saved at start-up.
    let euid = unsafe { libc::getauxval(libc::AT_EUID) };
    match u32::try_from(euid) {
        Ok(uid) => Uid(uid),
        // SAFETY: geteuid has no preconditions and cannot fail.
        Err(_) => Uid(unsafe { libc::geteuid() }),
    }
}

/// The process id, for the log line.
pub(crate) fn process_id() -> u32 {
    // SAFETY: getpid has no preconditions and cannot fail.
    u32::try_from(unsafe { libc::getpid() }).unwrap_or(0)
}

/// Seconds since the Unix epoch (`CLOCK_REALTIME`; musl reads it through the
/// vDSO, without a system call); 0 if the clock cannot be read.
pub(crate) fn unix_time() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    match cerr(unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &raw mut ts) }) {
        Ok(_) => u64::try_from(ts.tv_sec).unwrap_or(0),
        Err(_) => 0,
    }
}

/// Whether standard input is a terminal (the kubelet never sends one, and a
/// read from it would wait for a person).
pub(crate) fn stdin_is_terminal() -> bool {
    // SAFETY: isatty only inspects the descriptor.
    unsafe { libc::isatty(libc::STDIN_FILENO) == 1 }
}

/// The descriptor every closed standard descriptor is pointed at.
const DEV_NULL: &CStr = c"/dev/null";

/// Opens `/dev/null` on any of descriptors 0, 1 and 2 that is closed, as std
/// did: otherwise the first file or socket we open would become stdout, and
/// the answer (or a credential file) would go where it must not. One `poll`
/// tells which are closed (`POLLNVAL`).
pub(crate) fn standard_descriptors() -> Result<(), Errno> {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: `fds` is an array of three valid pollfd structures.
    retry(|| cerr(unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) }))?;
    for pfd in fds {
        if pfd.revents & libc::POLLNVAL != 0 {
            let fd = open_at(None, DEV_NULL, Open::DevNull)?;
            // open(2) returns the lowest free descriptor: the closed one.
            if fd.0 != pfd.fd {
                return Err(Errno::INVALID);
            }
            fd.keep_until_exit();
        }
    }
    Ok(())
}

/// Ignores `SIGPIPE`, as std did: a closed stdout is then an `EPIPE` error
/// (exit 1, and the log line still goes out), not a silent death. Ignores
/// `SIGIO` too: a writer opening a file we hold a read lease on (see
/// [`take_read_lease`]) breaks the lease with it, and its default action
/// would end the process.
pub(crate) fn ignore_signals() -> Result<(), Errno> {
    for signal in [libc::SIGPIPE, libc::SIGIO] {
        // SAFETY: SIG_IGN is a valid disposition for both signals.
        if unsafe { libc::signal(signal, libc::SIG_IGN) } == libc::SIG_ERR {
            return Err(errno());
        }
    }
    Ok(())
}

/// What [`take_read_lease`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lease {
    /// Held: no process has the file open for writing, and a writer that
    /// opens it now waits until [`release_lease`] (at most the kernel's
    /// lease-break time).
    Held,
    /// A process has the file open for writing: read later.
    Busy,
    /// The file system or kernel offers no leases (NFS, leases disabled).
    Unsupported,
}

/// Takes a read lease (`F_SETLEASE`, `F_RDLCK`) on a file open for reading.
/// Linux stamps a write's times before it copies the data, so comparing
/// `fstat`s around a read cannot see a write paused half-way; a lease
/// proves there is no writer while the bytes are read.
pub(crate) fn take_read_lease(fd: &Fd) -> Lease {
    // SAFETY: F_SETLEASE takes an integer argument; the descriptor is open.
    match cerr(unsafe { libc::fcntl(fd.0, libc::F_SETLEASE, libc::F_RDLCK) }) {
        Ok(_) => Lease::Held,
        Err(e) if e == Errno::WOULD_BLOCK => Lease::Busy,
        Err(_) => Lease::Unsupported,
    }
}

/// Releases a lease taken by [`take_read_lease`].
pub(crate) fn release_lease(fd: &Fd) {
    // SAFETY: F_SETLEASE takes an integer argument; the descriptor is open.
    // A failure leaves the lease to be dropped when the descriptor closes.
    let _ = unsafe { libc::fcntl(fd.0, libc::F_SETLEASE, libc::F_UNLCK) };
}

/// Sleeps for `millis` milliseconds (between reads of a busy file).
pub(crate) fn sleep_millis(millis: u32) {
    let ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: libc::c_long::from(millis) * 1_000_000,
    };
    // SAFETY: `ts` is a valid timespec; the remainder pointer may be null.
    let _ = unsafe { libc::nanosleep(&raw const ts, core::ptr::null_mut()) };
}

/// One hardening step that did not take effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HardeningFailure {
    /// Which step.
    pub(crate) step: &'static str,
    /// Why: the call failed, or it reported success and the state did not change.
    pub(crate) error: Option<Errno>,
}

/// Makes the process undumpable and unattachable by unprivileged users
/// (`PR_SET_DUMPABLE 0`, the stronger control, since a piped `core_pattern`
/// ignores `RLIMIT_CORE`), sets the core-size limit to zero, and sets a
/// private umask (OpenSSH `ssh-agent.c`, `platform_disable_tracing`). Each
/// step is read back: a seccomp filter can make a call "succeed" without
/// doing anything, and a step that did not hold is reported, never assumed.
pub(crate) fn harden_process() -> Vec<HardeningFailure> {
    let mut failures = Vec::new();
    // SAFETY: PR_SET_DUMPABLE takes an integer argument; the trailing
    // arguments are unused and passed as zero as prctl(2) asks.
    let set = cerr(unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) });
    // A filter that fakes every prctl would also fake the read-back; the
    // kernel refuses PR_SET_DUMPABLE 2 (EINVAL), so success there means the
    // calls are not reaching it.
    // SAFETY: as above; 2 is a value the kernel rejects.
    let probe = cerr(unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 2, 0, 0, 0) });
    if probe.is_ok() {
        failures.push(HardeningFailure {
            step: "prctl(PR_SET_DUMPABLE, 0)",
            error: None,
        });
    }
    match (set, is_dumpable()) {
        (Err(error), _) => failures.push(HardeningFailure {
            step: "prctl(PR_SET_DUMPABLE, 0)",
            error: Some(error),
        }),
        (Ok(_), Ok(false)) => {}
        (Ok(_), Ok(true)) => failures.push(HardeningFailure {
            step: "prctl(PR_SET_DUMPABLE, 0)",
            error: None,
        }),
        (Ok(_), Err(error)) => failures.push(HardeningFailure {
            step: "prctl(PR_GET_DUMPABLE)",
            error: Some(error),
        }),
    }
    let no_core = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `no_core` is a valid, initialised rlimit that outlives the call.
    let set = cerr(unsafe { libc::setrlimit(libc::RLIMIT_CORE, &raw const no_core) });
    let mut now = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: `now` is a valid, writable rlimit.
    let get = cerr(unsafe { libc::getrlimit(libc::RLIMIT_CORE, &raw mut now) });
    match (set, get) {
        (Err(error), _) => failures.push(HardeningFailure {
            step: "setrlimit(RLIMIT_CORE, 0)",
            error: Some(error),
        }),
        (Ok(_), Err(error)) => failures.push(HardeningFailure {
            step: "getrlimit(RLIMIT_CORE)",
            error: Some(error),
        }),
        (Ok(_), Ok(_)) if now.rlim_cur != 0 || now.rlim_max != 0 => {
            failures.push(HardeningFailure {
                step: "setrlimit(RLIMIT_CORE, 0)",
                error: None,
            });
        }
        (Ok(_), Ok(_)) => {}
    }
    // SAFETY: umask has no preconditions and cannot fail.
    unsafe { libc::umask(PRIVATE_UMASK) };
    failures
}

/// Whether the kernel would write a core file for this process or let an
/// unprivileged user attach to it (`PR_GET_DUMPABLE`).
pub(crate) fn is_dumpable() -> Result<bool, Errno> {
    // SAFETY: PR_GET_DUMPABLE takes no arguments besides the unused zeros.
    cerr(unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) }).map(|v| v != 0)
}

/// What a panic prints: a fixed line, never the payload (which could hold
/// anything, a length or a secret) and never a location.
const PANIC_LINE: &[u8] = b"generic-credential-provider: internal error; nothing was answered\n";

/// Writes one fixed line to stderr and aborts: `SIGABRT`, and no core file
/// (the hardening ran first).
pub fn abort_on_panic() -> ! {
    let _ = write_std(Std::Err, PANIC_LINE);
    // SAFETY: abort has no preconditions and does not return.
    unsafe { libc::abort() }
}

/// The program's arguments as the C runtime passes them to `main`. The
/// pointer is private and only the C runtime makes one (by calling `main`),
/// so its invariant holds: a NULL-terminated array of NUL-terminated strings
/// that live as long as the process.
#[repr(transparent)]
#[derive(Debug, Clone, Copy)]
pub struct Argv(*const *const c_char);

impl Argv {
    /// The arguments as byte strings, the program name first.
    pub(crate) fn iter(self) -> impl Iterator<Item = &'static [u8]> {
        let mut at = self.0;
        core::iter::from_fn(move || {
            if at.is_null() {
                return None;
            }
            // SAFETY: `at` points into the NULL-terminated argv array (the
            // type's invariant) and has not passed its terminator.
            let arg = unsafe { *at };
            if arg.is_null() {
                return None;
            }
            // SAFETY: not the terminator, so the next slot is inside the array.
            at = unsafe { at.add(1) };
            // SAFETY: every argv string is NUL-terminated and lives until exit.
            Some(unsafe { CStr::from_ptr(arg) }.to_bytes())
        })
    }
}

/// Overwrites `buf` with zeros through volatile writes, then fences, so the
/// compiler cannot elide the writes as dead stores (zeroize 1.8, sudo-rs
/// `wipe_memory`).
pub(crate) fn wipe(buf: &mut [u8]) {
    wipe_raw(buf.as_mut_ptr(), buf.len());
}

/// The widest store the wipe makes: four words at once, which the compiler
/// emits as one or two vector stores (volatile stores are never merged, so
/// their width sets the cost).
type Chunk = [u64; 4];

fn wipe_raw(ptr: *mut u8, len: usize) {
    // Whole chunks where the block is aligned for them (allocator blocks of
    // 32 bytes or more usually are), bytes at the edges.
    const CHUNK: usize = core::mem::size_of::<Chunk>();
    let head = ptr.align_offset(core::mem::align_of::<Chunk>()).min(len);
    let chunks = (len - head) / CHUNK;
    for i in 0..head {
        // SAFETY: callers pass a pointer valid for writes of `len` bytes (a
        // slice, or a block the allocator handed out with that size); i < head <= len.
        unsafe { core::ptr::write_volatile(ptr.add(i), 0) };
    }
    for c in 0..chunks {
        // SAFETY: `ptr + head` is aligned for `Chunk` and the chunk ends at
        // head + (c + 1) * CHUNK <= len, inside the block.
        unsafe { core::ptr::write_volatile(ptr.add(head + c * CHUNK).cast::<Chunk>(), [0; 4]) };
    }
    for i in head + chunks * CHUNK..len {
        // SAFETY: i < len, inside the block.
        unsafe { core::ptr::write_volatile(ptr.add(i), 0) };
    }
    compiler_fence(Ordering::SeqCst);
}

/// The static first chunk: the kernel maps it zeroed and only on first
/// touch, so its size costs nothing until used. A plugin request (a 64 KiB
/// request, a 64 KiB file, its decoded fields and the worst-case escaped
/// answer) fits in it with room to spare.
const STATIC_ARENA_BYTES: usize = 2 << 20;
/// Pages are mapped in multiples of this.
const PAGE_BYTES: usize = 4096;

/// Memory for the static chunk, aligned for any allocation.
#[repr(C, align(4096))]
struct Heap(UnsafeCell<[u8; STATIC_ARENA_BYTES]>);

/// The binary's global allocator: a bump arena (see `arena`) that wipes
/// every block before it is freed or moved, and the used part of every chunk
/// at [`Allocator::wipe_all`] before exit. It catches the copies nobody
/// sees: miniserde's scratch buffer for escaped strings, a `Vec` that grew,
/// formatting buffers.
pub struct Allocator {
    lock: AtomicBool,
    arena: UnsafeCell<Arena>,
    heap: Heap,
}

// SAFETY: `arena` and `heap` are only touched while `lock` is held (or, for
// `heap`, through blocks the arena handed out to exactly one owner).
unsafe impl Sync for Allocator {}

impl Default for Allocator {
    fn default() -> Self {
        Self::new()
    }
}

impl Allocator {
    /// An allocator with nothing handed out.
    pub const fn new() -> Self {
        Self {
            lock: AtomicBool::new(false),
            arena: UnsafeCell::new(Arena::new()),
            heap: Heap(UnsafeCell::new([0; STATIC_ARENA_BYTES])),
        }
    }

    /// Runs `f` on the arena with the lock held. The process is
    /// single-threaded; the lock makes the type sound regardless.
    fn with_arena<T>(&self, f: impl FnOnce(&mut Arena) -> T) -> T {
        while self
            .lock
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            core::hint::spin_loop();
        }
        // SAFETY: the lock is held, so this is the only reference to the arena.
        let arena = unsafe { &mut *self.arena.get() };
        if arena.is_empty() {
            arena.add_chunk(self.heap.0.get() as usize, STATIC_ARENA_BYTES);
        }
        let out = f(arena);
        self.lock.store(false, Ordering::Release);
        out
    }

    fn bump(&self, layout: Layout) -> *mut u8 {
        let (size, align) = (layout.size(), layout.align());
        if let Some(at) = self.with_arena(|a| a.alloc(size, align)) {
            return self.pointer(at);
        }
        // A new chunk: at least MIN_CHUNK_BYTES, whole pages, room to align.
        let Some(len) = size
            .checked_add(align)
            .map(|n| n.max(MIN_CHUNK_BYTES))
            .and_then(|n| n.checked_next_multiple_of(PAGE_BYTES))
        else {
            return core::ptr::null_mut();
        };
        let Some(start) = map_anonymous(len) else {
            return core::ptr::null_mut();
        };
        let at = self.with_arena(|a| {
            if a.add_chunk(start as usize, len) {
                a.alloc(size, align)
            } else {
                None
            }
        });
        at.map_or(core::ptr::null_mut(), |at| self.pointer(at))
    }

    /// Turns an arena address back into a pointer with the provenance of the
    /// memory it lies in.
    fn pointer(&self, addr: usize) -> *mut u8 {
        let heap = self.heap.0.get().cast::<u8>();
        let base = heap as usize;
        if (base..base + STATIC_ARENA_BYTES).contains(&addr) {
            heap.wrapping_add(addr - base)
        } else {
            core::ptr::with_exposed_provenance_mut(addr)
        }
    }

    /// Wipes the used part of every chunk: what is still allocated when the
    /// process exits (freed blocks were wiped when they were freed).
    pub fn wipe_all(&self) {
        self.with_arena(|a| {
            for (start, len) in a.used_ranges() {
                wipe_raw(self.pointer(start), len);
            }
        });
    }
}

/// Maps `len` bytes of zeroed, private memory; `None` if the kernel refuses.
fn map_anonymous(len: usize) -> Option<*mut u8> {
    // SAFETY: an anonymous private mapping at an address the kernel chooses
    // touches no existing memory.
    let ptr = unsafe {
        libc::mmap(
            core::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if ptr == libc::MAP_FAILED {
        return None;
    }
    let ptr = ptr.cast::<u8>();
    // The arena works with addresses; expose the mapping's provenance so the
    // pointers made back from them are valid.
    let _ = ptr.expose_provenance();
    Some(ptr)
}

// SAFETY: blocks come from the arena, which never hands out overlapping
// blocks; every block is wiped before the arena may reuse it.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.bump(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        wipe_raw(ptr, layout.size());
        self.with_arena(|a| a.free(ptr as usize, layout.size()));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = layout.size();
        if new_size < old {
            // SAFETY: the block is valid for `old` bytes, so its tail from
            // `new_size` is inside it.
            wipe_raw(unsafe { ptr.add(new_size) }, old - new_size);
        }
        if self.with_arena(|a| a.resize_in_place(ptr as usize, old, new_size)) {
            return ptr;
        }
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return core::ptr::null_mut();
        };
        let new = self.bump(new_layout);
        if !new.is_null() {
            // SAFETY: both blocks are valid for `min(old, new)` bytes and are
            // distinct allocations, so they do not overlap.
            unsafe { core::ptr::copy_nonoverlapping(ptr, new, old.min(new_size)) };
            // SAFETY: `ptr` was handed out with `layout`, as the caller guarantees.
            unsafe { self.dealloc(ptr, layout) };
        }
        new
    }
}

/// The C library's allocator, for the benchmark's comparison build
/// (`--cfg gcp_plain_alloc`): no wiping, no arena.
#[derive(Debug, Default)]
pub struct MallocAllocator;

/// malloc's own alignment; larger alignments go through `aligned_alloc`.
const MALLOC_ALIGN: usize = 16;

// SAFETY: every method forwards to the C allocator with the caller's sizes.
unsafe impl GlobalAlloc for MallocAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            // SAFETY: malloc accepts any non-zero size.
            unsafe { libc::malloc(layout.size()).cast() }
        } else {
            // SAFETY: the alignment is a power of two (Layout guarantees it).
            unsafe { libc::aligned_alloc(layout.align(), layout.size()).cast() }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _: Layout) {
        // SAFETY: `ptr` came from malloc or aligned_alloc above.
        unsafe { libc::free(ptr.cast()) }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A regular 0600 root-owned one-link 10-byte file, for rule tests.
    pub(crate) fn sample_stat() -> Stat {
        let time = FileTime { secs: 0, nanos: 0 };
        Stat {
            file_type: FileType::Regular,
            perm: Perm(0o600),
            owner: Uid::ROOT,
            links: 1,
            size: 10,
            version: Version {
                dev: 1,
                inode: 2,
                size: 10,
                modified: time,
                changed: time,
            },
        }
    }

    #[test]
    fn miri_wipe_zeroes_every_byte() {
        let mut buf = *b"hunter2-secret";
        wipe(&mut buf);
        assert_eq!(buf, [0u8; 14]);
    }

    #[test]
    fn the_allocator_wipes_freed_blocks_and_reuses_the_top() {
        static A: Allocator = Allocator::new();
        let a = &A;
        let layout = Layout::from_size_align(16, 8).unwrap();
        // SAFETY: a valid non-zero layout; each block is used within its size
        // and freed once with the layout it was allocated with.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            core::ptr::copy_nonoverlapping(b"hunter2-hunter2!".as_ptr(), p, 16);
            a.dealloc(p, layout);
            assert_eq!(core::slice::from_raw_parts(p, 16), [0; 16]);
            let q = a.alloc(layout);
            assert_eq!(p, q, "the freed top block is handed out again");
            core::ptr::write_bytes(q, 0xAA, 16);
            let r = a.realloc(q, layout, 64);
            assert_eq!(q, r, "the top block grows in place");
            let big = Layout::from_size_align(STATIC_ARENA_BYTES, 8).unwrap();
            let m = a.alloc(big);
            assert!(
                !m.is_null(),
                "a block larger than the static chunk is mapped"
            );
            a.dealloc(m, big);
            a.wipe_all();
            assert_eq!(core::slice::from_raw_parts(r, 64), [0; 64]);
        }
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
