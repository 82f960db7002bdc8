//! Opens credential files only if every directory from `/` down to the file is
//! owned by root (or the effective user) and not writable by group or others,
//! no symbolic link is followed anywhere, and the file itself is a regular,
//! singly-linked, private file of bounded size. Every check is made with
//! `fstat` on the very descriptor that is then read (no TOCTOU gap), and every
//! open is relative to an already-checked directory (sudo-rs
//! `traversed_secure_open`, OpenSSH `safe_path` and `auth_openfile`).
//!
//! The rules are plain functions of one `fstat` result, so they are unit-tested
//! without touching the file system.

use crate::errno::Errno;
use crate::error::Escaped;
use crate::secret::Secret;
use crate::sys::{self, DirEntry, Fd, FileType, Open, Perm, Stat, Uid};
use alloc::ffi::CString;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Largest credential file read, in bytes.
pub(crate) const MAX_CREDENTIAL_FILE_BYTES: usize = 64 * 1024;
/// Write permission for group or others: never allowed on a directory we trust.
const GROUP_OR_OTHER_WRITE: u32 = 0o022;
/// Any permission for group or others: never allowed on a credential file.
const GROUP_OR_OTHER_ANY: u32 = 0o077;
/// Read permission for group or others (only used to word a message).
const GROUP_OR_OTHER_READ: u32 = 0o044;
/// How often a file that changed while it was read, or was open for writing
/// when we came to read it, is read again before the read is refused: a
/// writer that rewrites in place once is outwaited, one that never stops is not.
const MAX_READ_ATTEMPTS: usize = 10;
/// The pause before reading a busy file again.
const BUSY_RETRY_MILLIS: u32 = 2;

/// The credential root: an absolute path without `.` or `..` components,
/// validated once where it is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CredRoot(String);

impl CredRoot {
    /// The default root.
    pub(crate) const DEFAULT: &str = "/etc/kubernetes/registries";

    /// Accepts an absolute path whose components are neither `.` nor `..`
    /// (the walk checks each component it opens, so it must open the
    /// directories the path names, not their parents).
    pub(crate) fn parse(path: &str) -> Option<Self> {
        let rest = path.strip_prefix('/')?;
        if rest.split('/').any(|c| c == "." || c == "..") || path.contains('\0') {
            return None;
        }
        Some(Self(path.into()))
    }

    /// The path as given.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/').filter(|c| !c.is_empty())
    }
}

impl fmt::Display for FileType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Regular => "a regular file",
            Self::Directory => "a directory",
            Self::Symlink => "a symbolic link",
            Self::Fifo => "a FIFO",
            Self::Socket => "a socket",
            Self::CharDevice => "a character device",
            Self::BlockDevice => "a block device",
            Self::Unknown => "of an unknown file type",
        })
    }
}

/// Whether a refused path is a directory on the way to a file, or the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subject {
    /// The credential root, a directory above it, or one below it.
    Directory,
    /// A credential file.
    File,
}

/// A broken trust rule, with what was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Violation {
    /// A symbolic link where none may be.
    SymbolicLink,
    /// Something other than a directory on the way to the credential root.
    NotDirectory(FileType),
    /// Something other than a regular file where a credential file was expected.
    NotRegularFile(FileType),
    /// Owned by neither root nor the effective user.
    BadOwner(Uid),
    /// A directory writable by group or others (a sticky bit does not excuse it).
    DirectoryWritable(Perm),
    /// A credential file with any permission bit for group or others.
    FileAccessible(Perm),
    /// A credential file with more than one hard link.
    HardLinked(u64),
    /// A credential file with no link left: it was replaced (unlinked)
    /// between the open and the read, as `install` and some editors do.
    Replaced,
    /// A credential file larger than [`MAX_CREDENTIAL_FILE_BYTES`].
    TooLarge(u64),
    /// The file changed while it was read, every time it was read.
    Changed,
}

/// A directory or file that broke a trust rule, with its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    /// The path.
    pub(crate) path: String,
    /// Directory or file.
    pub(crate) subject: Subject,
    /// The rule.
    pub(crate) violation: Violation,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = Escaped(&self.path);
        match (self.violation, self.subject) {
            (Violation::SymbolicLink, Subject::File) => {
                write!(
                    f,
                    "{p} is a symbolic link; credential files must be regular files"
                )
            }
            (Violation::SymbolicLink, Subject::Directory) => write!(
                f,
                "{p} is a symbolic link; the credential root and every directory on the way to it must be real directories"
            ),
            (Violation::NotDirectory(kind), _) => write!(f, "{p} is {kind}, not a directory"),
            (Violation::NotRegularFile(kind), _) => {
                write!(f, "{p} is {kind}; credential files must be regular files")
            }
            (Violation::BadOwner(Uid(uid)), Subject::File) => {
                write!(f, "{p} is owned by uid {uid}, not root; run chown root {p}")
            }
            (Violation::BadOwner(Uid(uid)), Subject::Directory) => write!(
                f,
                "directory {p} is owned by uid {uid}, not root; run chown root {p}"
            ),
            (Violation::DirectoryWritable(Perm(mode)), _) => write!(
                f,
                "directory {p} is writable by group or others (mode {mode:04o}); run chmod go-w {p}"
            ),
            (Violation::FileAccessible(Perm(mode)), _) => {
                let what = if mode & GROUP_OR_OTHER_READ != 0 {
                    "readable"
                } else {
                    "accessible"
                };
                write!(
                    f,
                    "{p} is {what} by group or others (mode {mode:04o}); run chmod 600 {p}"
                )
            }
            (Violation::HardLinked(links), _) => write!(
                f,
                "{p} has {links} hard links; a credential file must have exactly one (replace the link with a copy)"
            ),
            (Violation::Replaced, _) => write!(
                f,
                "{p} was replaced while it was read; write a temporary file and rename it over the name (or use put), so a reader never sees it missing"
            ),
            (Violation::TooLarge(size), _) => write!(
                f,
                "{p} is {size} bytes, more than the {MAX_CREDENTIAL_FILE_BYTES}-byte limit for a credential file"
            ),
            (Violation::Changed, _) => write!(
                f,
                "{p} changed while it was read; write a temporary file and rename it (or use put)"
            ),
        }
    }
}

/// What was being done when a system call on a path failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// `open`.
    Open,
    /// `fstat`.
    Stat,
    /// Listing a directory.
    List,
    /// `read`.
    Read,
    /// Creating a file or directory.
    Create,
    /// `write`.
    Write,
    /// `fsync`.
    Sync,
    /// `rename`.
    Rename,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Open => "open",
            Self::Stat => "stat",
            Self::List => "list",
            Self::Read => "read",
            Self::Create => "create",
            Self::Write => "write",
            Self::Sync => "sync",
            Self::Rename => "rename",
        })
    }
}

/// A system call on a path that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IoFailure {
    /// The path.
    pub(crate) path: String,
    /// What was being done.
    pub(crate) action: Action,
    /// The error.
    pub(crate) errno: Errno,
}

impl fmt::Display for BoundedReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Open(e) => write!(f, "cannot open: {e}"),
            Self::Read(e) => write!(f, "cannot read: {e}"),
            Self::TooLarge => f.write_str("too large"),
        }
    }
}

impl fmt::Display for IoFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot {} {}: {}",
            self.action,
            Escaped(&self.path),
            self.errno
        )
    }
}

/// Why a trusted open or read failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TrustError {
    /// A rule was broken.
    Refused(Refused),
    /// A system call failed.
    Io(IoFailure),
}

impl fmt::Display for TrustError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused(r) => r.fmt(f),
            Self::Io(e) => e.fmt(f),
        }
    }
}

impl TrustError {
    /// Whether the failure was a permission error (`check` then says to run as root).
    pub(crate) fn is_permission_denied(&self) -> bool {
        matches!(self, Self::Io(IoFailure { errno, .. }) if *errno == Errno::ACCESS)
    }
}

fn io(path: &str, action: Action, errno: Errno) -> TrustError {
    TrustError::Io(IoFailure {
        path: path.into(),
        action,
        errno,
    })
}

fn refused(path: &str, subject: Subject, violation: Violation) -> TrustError {
    TrustError::Refused(Refused {
        path: path.into(),
        subject,
        violation,
    })
}

/// The owner and type rules every trusted entry shares.
fn check_owner(st: Stat, euid: Uid) -> Result<(), Violation> {
    if st.owner != Uid::ROOT && st.owner != euid {
        return Err(Violation::BadOwner(st.owner));
    }
    Ok(())
}

/// The rule for the credential root and every directory above or below it:
/// a directory, owned by root or `euid`, not writable by group or others. A
/// sticky bit does not excuse a world-writable directory: `/tmp` is refused.
pub(crate) fn check_directory(st: Stat, euid: Uid) -> Result<(), Violation> {
    match st.file_type {
        FileType::Directory => {}
        FileType::Symlink => return Err(Violation::SymbolicLink),
        other => return Err(Violation::NotDirectory(other)),
    }
    check_owner(st, euid)?;
    if st.perm.0 & GROUP_OR_OTHER_WRITE != 0 {
        return Err(Violation::DirectoryWritable(st.perm));
    }
    Ok(())
}

/// The rule for a credential file: a regular file, owned by root or `euid`,
/// no permission bits for group or others (0600 and 0400 pass), exactly one
/// hard link, at most [`MAX_CREDENTIAL_FILE_BYTES`].
pub(crate) fn check_file(st: Stat, euid: Uid) -> Result<(), Violation> {
    match st.file_type {
        FileType::Regular => {}
        FileType::Symlink => return Err(Violation::SymbolicLink),
        other => return Err(Violation::NotRegularFile(other)),
    }
    check_owner(st, euid)?;
    if st.perm.0 & GROUP_OR_OTHER_ANY != 0 {
        return Err(Violation::FileAccessible(st.perm));
    }
    // A second link would let whoever can reach it elsewhere see or swap the
    // secret (core(5) refuses such files for the same reason). No link at
    // all: the name was replaced after we opened it.
    match st.links {
        0 => return Err(Violation::Replaced),
        1 => {}
        links => return Err(Violation::HardLinked(links)),
    }
    if st.size > MAX_CREDENTIAL_FILE_BYTES as u64 {
        return Err(Violation::TooLarge(st.size));
    }
    Ok(())
}

/// A directory that passed [`check_directory`], held open so that everything
/// below it is opened relative to this descriptor, never by path again.
#[derive(Debug)]
pub(crate) struct TrustedDir {
    fd: Fd,
    path: String,
    euid: Uid,
}

/// A credential file read through a checked descriptor.
#[derive(Debug)]
pub(crate) struct TrustedFile {
    /// The path, for messages.
    pub(crate) path: String,
    /// Exactly the file's bytes.
    pub(crate) contents: Secret,
}

fn c_name(name: &str) -> Result<CString, Errno> {
    CString::new(name).map_err(|_| Errno::INVALID)
}

impl TrustedDir {
    /// Walks from `/` to `root` one component at a time, refusing a symbolic
    /// link anywhere and checking every directory, `/` and `root` included.
    /// The descriptors of the directories above the root are kept open until
    /// exit rather than closed one by one: the process is about to end.
    pub(crate) fn open_root(root: &CredRoot) -> Result<Self, TrustError> {
        let euid = sys::effective_uid();
        let fd = sys::open_at(None, c"/", Open::DirPath).map_err(|e| io("/", Action::Open, e))?;
        let mut dir = Self {
            fd,
            path: "/".into(),
            euid,
        };
        dir.check()?;
        for component in root.components() {
            let Some(sub) = dir.open_subdir(component)? else {
                return Err(io(
                    &dir.child_path(component),
                    Action::Open,
                    Errno::NOT_FOUND,
                ));
            };
            core::mem::replace(&mut dir, sub).fd.keep_until_exit();
        }
        Ok(dir)
    }

    fn check(&self) -> Result<(), TrustError> {
        let st = sys::fstat(&self.fd).map_err(|e| io(&self.path, Action::Stat, e))?;
        check_directory(st, self.euid).map_err(|v| refused(&self.path, Subject::Directory, v))
    }

    /// Keeps the descriptor open until the process exits (plugin mode is
    /// about to end; the close would be a wasted system call).
    pub(crate) fn keep_until_exit(self) {
        self.fd.keep_until_exit();
    }

    /// `path` (of something below this directory) relative to it, for the
    /// log line: `namespaces/team-a/registry.example.org.json`.
    pub(crate) fn relative<'p>(&self, path: &'p str) -> &'p str {
        path.strip_prefix(self.path.as_str())
            .map_or(path, |rest| rest.trim_start_matches('/'))
    }

    /// The path of `name` in this directory, for messages.
    pub(crate) fn child_path(&self, name: &str) -> String {
        let mut path = String::with_capacity(self.path.len() + 1 + name.len());
        path.push_str(&self.path);
        if !self.path.ends_with('/') {
            path.push('/');
        }
        path.push_str(name);
        path
    }

    /// The entries of this directory, listed through its checked descriptor.
    pub(crate) fn list(&self) -> Result<Vec<DirEntry>, TrustError> {
        sys::list_dir(&self.fd).map_err(|e| io(&self.path, Action::List, e))
    }

    /// Opens and checks the sub-directory `name`; `Ok(None)` if it does not exist.
    pub(crate) fn open_subdir(&self, name: &str) -> Result<Option<Self>, TrustError> {
        let path = self.child_path(name);
        let c = c_name(name).map_err(|e| io(&path, Action::Open, e))?;
        match sys::open_at(Some(&self.fd), &c, Open::DirPath) {
            Ok(fd) => {
                let dir = Self {
                    fd,
                    path,
                    euid: self.euid,
                };
                dir.check()?;
                Ok(Some(dir))
            }
            Err(e) if e == Errno::NOT_FOUND => Ok(None),
            Err(e) => Err(self.explain(&c, &path, Subject::Directory, e)),
        }
    }

    /// Opens, checks and reads the credential file `name`; `Ok(None)` if it
    /// does not exist. Reads exactly `st_size` bytes into one buffer, and
    /// only returns them if the file did not change while it was read.
    pub(crate) fn read_file(&self, name: &str) -> Result<Option<TrustedFile>, TrustError> {
        let path = self.child_path(name);
        let c = c_name(name).map_err(|e| io(&path, Action::Open, e))?;
        let mut attempts = 0;
        loop {
            let fd = match sys::open_at(Some(&self.fd), &c, Open::FileRead) {
                Ok(fd) => fd,
                Err(e) if e == Errno::NOT_FOUND => return Ok(None),
                Err(e) => return Err(self.explain(&c, &path, Subject::File, e)),
            };
            match self.read_unchanged(&fd, &path) {
                Ok(contents) => return Ok(Some(TrustedFile { path, contents })),
                // Replaced between the open and the read (a rename over the
                // name): open the name again, for the new file.
                Err(TrustError::Refused(Refused {
                    violation: Violation::Replaced,
                    ..
                })) if attempts + 1 < MAX_READ_ATTEMPTS => attempts += 1,
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads the file while no process has it open for writing (a read
    /// lease: a same-length rewrite in place changes no size, and Linux
    /// stamps its times before it copies its bytes, so only the lease sees a
    /// write paused half-way), and only if two `fstat`s around the read agree
    /// on its version (inode, size, modification and change times). A busy
    /// or changed file is read again, at most [`MAX_READ_ATTEMPTS`] times.
    /// Where the file system has no leases, the version check stands alone.
    fn read_unchanged(&self, fd: &Fd, path: &str) -> Result<Secret, TrustError> {
        let mut before = sys::fstat(fd).map_err(|e| io(path, Action::Stat, e))?;
        for _ in 0..MAX_READ_ATTEMPTS {
            check_file(before, self.euid).map_err(|v| refused(path, Subject::File, v))?;
            let lease = sys::take_read_lease(fd);
            if lease == sys::Lease::Busy {
                sys::sleep_millis(BUSY_RETRY_MILLIS);
                before = sys::fstat(fd).map_err(|e| io(path, Action::Stat, e))?;
                continue;
            }
            let read = read_at_start(fd, before.size);
            let after = sys::fstat(fd);
            if lease == sys::Lease::Held {
                sys::release_lease(fd);
            }
            let contents = read.map_err(|e| io(path, Action::Read, e))?;
            let after = after.map_err(|e| io(path, Action::Stat, e))?;
            let whole = contents.len() as u64 == before.size;
            if whole && after.version == before.version {
                return Ok(contents);
            }
            // Renamed over (put, mv) while it was read: the old file, whole
            // and unwritten; only its last link went, and with it the ctime.
            if whole
                && after.links == 0
                && lease == sys::Lease::Held
                && after.version.same_bytes(&before.version)
            {
                return Ok(contents);
            }
            before = after;
        }
        Err(refused(path, Subject::File, Violation::Changed))
    }

    /// Turns a failed open into the broken rule when there is one (`ENOTDIR`
    /// or `ELOOP` for a symbolic link, `ENXIO` for a socket), looking at the
    /// entry without following it; otherwise reports the OS error.
    fn explain(&self, name: &CString, path: &str, subject: Subject, errno: Errno) -> TrustError {
        if let Ok(st) = sys::lstat_at(Some(&self.fd), name) {
            let verdict = match subject {
                Subject::Directory => check_directory(st, self.euid),
                Subject::File => check_file(st, self.euid),
            };
            if let Err(
                violation @ (Violation::SymbolicLink
                | Violation::NotDirectory(_)
                | Violation::NotRegularFile(_)),
            ) = verdict
            {
                return refused(path, subject, violation);
            }
        }
        io(path, Action::Open, errno)
    }
}

/// How many temporary names `stage` tries before it gives up (a crashed
/// `put` can leave one behind; a second one at the same time takes another).
const MAX_STAGE_NAMES: u32 = 16;

impl TrustedDir {
    /// Opens the sub-directory `name`, creating it (mode 0700, through this
    /// checked descriptor) if it does not exist; either way it must pass
    /// the directory rules.
    pub(crate) fn open_or_create_subdir(&self, name: &str) -> Result<Self, TrustError> {
        if let Some(dir) = self.open_subdir(name)? {
            return Ok(dir);
        }
        let path = self.child_path(name);
        let c = c_name(name).map_err(|e| io(&path, Action::Create, e))?;
        match sys::mkdir_in(&self.fd, &c) {
            Ok(()) => {}
            // Another writer made it in between: it is checked below all the same.
            Err(e) if e == Errno::EXISTS => {}
            Err(e) => return Err(io(&path, Action::Create, e)),
        }
        self.open_subdir(name)?
            .ok_or_else(|| io(&path, Action::Open, Errno::NOT_FOUND))
    }

    /// Creates a private temporary file beside `name` in this directory
    /// (`O_CREAT|O_EXCL|O_NOFOLLOW`, mode 0600), to be written and then
    /// renamed over `name` by [`Staged::commit`]; removed if not committed.
    pub(crate) fn stage(&self, name: &str) -> Result<Staged<'_>, TrustError> {
        let path = self.child_path(name);
        let final_name = c_name(name).map_err(|e| io(&path, Action::Create, e))?;
        let pid = sys::process_id();
        for attempt in 0..MAX_STAGE_NAMES {
            let temp = alloc::format!(".{name}.tmp-{pid}-{attempt}");
            let c = c_name(&temp).map_err(|e| io(&path, Action::Create, e))?;
            match sys::open_at(Some(&self.fd), &c, Open::FileCreate) {
                Ok(fd) => {
                    return Ok(Staged {
                        dir: self,
                        fd,
                        temp: c,
                        final_name,
                        path,
                        committed: false,
                    });
                }
                Err(e) if e == Errno::EXISTS => {}
                Err(e) => return Err(io(&self.child_path(&temp), Action::Create, e)),
            }
        }
        Err(io(&path, Action::Create, Errno::EXISTS))
    }
}

/// A temporary file being written beside its final name.
#[derive(Debug)]
pub(crate) struct Staged<'a> {
    dir: &'a TrustedDir,
    fd: Fd,
    temp: CString,
    final_name: CString,
    path: String,
    committed: bool,
}

impl Staged<'_> {
    /// Writes all of `bytes` to the temporary file.
    pub(crate) fn write(&mut self, bytes: &[u8]) -> Result<(), TrustError> {
        sys::write_fd(&self.fd, bytes).map_err(|e| io(&self.path, Action::Write, e))
    }

    /// Makes the written file the one at the final name, atomically: the
    /// data reach the disk first, an existing name that is no regular file
    /// (a link, a directory, a FIFO) is refused rather than replaced, the
    /// rename replaces the name in one step (readers see the old file or the
    /// new one, never a missing or half-written one), and the directory is
    /// synced so the rename survives a crash.
    pub(crate) fn commit(mut self) -> Result<(), TrustError> {
        sys::fsync(&self.fd).map_err(|e| io(&self.path, Action::Sync, e))?;
        if let Ok(st) = sys::lstat_at(Some(&self.dir.fd), &self.final_name) {
            if st.file_type != FileType::Regular {
                let violation = match st.file_type {
                    FileType::Symlink => Violation::SymbolicLink,
                    other => Violation::NotRegularFile(other),
                };
                return Err(refused(&self.path, Subject::File, violation));
            }
        }
        sys::rename_in(&self.dir.fd, &self.temp, &self.final_name)
            .map_err(|e| io(&self.path, Action::Rename, e))?;
        self.committed = true;
        let dir = sys::reopen_dir_for_listing(&self.dir.fd)
            .map_err(|e| io(&self.dir.path, Action::Open, e))?;
        sys::fsync(&dir).map_err(|e| io(&self.dir.path, Action::Sync, e))
    }
}

impl Drop for Staged<'_> {
    /// Removes the temporary file unless it became the final one.
    fn drop(&mut self) {
        if !self.committed {
            // Nothing more can be done about a temporary that cannot be
            // removed; its name says what it is.
            let _ = sys::unlink_in(&self.dir.fd, &self.temp);
        }
    }
}

/// Why [`read_bounded`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BoundedReadError {
    /// The file could not be opened.
    Open(Errno),
    /// It could not be read.
    Read(Errno),
    /// It holds more than the limit.
    TooLarge,
}

/// Reads a file that needs no trust rules (the kubelet's config, which
/// `check` audits; the Docker config `import` reads, which may hold secrets:
/// hence a `Secret`), with the credential-file open flags (no
/// symbolic link in the last component, no hang on a FIFO) and a size bound.
pub(crate) fn read_bounded(path: &str, max_bytes: usize) -> Result<Secret, BoundedReadError> {
    let c = c_name(path).map_err(BoundedReadError::Open)?;
    let fd = sys::open_at(None, &c, Open::FileRead).map_err(BoundedReadError::Open)?;
    // One spare byte tells "exactly the limit" from "more".
    let mut buf = Secret::with_capacity(max_bytes + 1);
    while buf.read_from(&fd).map_err(BoundedReadError::Read)? > 0 {}
    if buf.len() > max_bytes {
        return Err(BoundedReadError::TooLarge);
    }
    Ok(buf)
}

/// Reads up to `size` bytes from the start of the file (`pread`, so a second
/// attempt reads the same bytes again); fewer at end of file.
fn read_at_start(fd: &Fd, size: u64) -> Result<Secret, Errno> {
    // check_file bounded the size, so it fits.
    let expected = usize::try_from(size).unwrap_or(MAX_CREDENTIAL_FILE_BYTES);
    let mut buf = Secret::with_capacity(expected);
    while !buf.is_full() {
        if buf.read_at(fd)? == 0 {
            break;
        }
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EUID: Uid = Uid(1000);

    fn stat(file_type: FileType, perm: u32, owner: u32) -> Stat {
        let mut st = sys::tests::sample_stat();
        st.file_type = file_type;
        st.perm = Perm(perm);
        st.owner = Uid(owner);
        st
    }

    #[test]
    fn miri_directory_rules() {
        for st in [
            stat(FileType::Directory, 0o755, 0),
            stat(FileType::Directory, 0o700, 1000),
        ] {
            assert_eq!(check_directory(st, EUID), Ok(()));
        }
        let refused = [
            (
                stat(FileType::Directory, 0o775, 0),
                Violation::DirectoryWritable(Perm(0o775)),
            ),
            (
                stat(FileType::Directory, 0o757, 0),
                Violation::DirectoryWritable(Perm(0o757)),
            ),
            (
                stat(FileType::Directory, 0o1777, 0),
                Violation::DirectoryWritable(Perm(0o1777)),
            ),
            (
                stat(FileType::Directory, 0o755, 1234),
                Violation::BadOwner(Uid(1234)),
            ),
            (stat(FileType::Symlink, 0o777, 0), Violation::SymbolicLink),
            (
                stat(FileType::Regular, 0o600, 0),
                Violation::NotDirectory(FileType::Regular),
            ),
        ];
        for (st, violation) in refused {
            assert_eq!(check_directory(st, EUID), Err(violation));
        }
    }

    #[test]
    fn miri_file_rules() {
        for perm in [0o600, 0o400] {
            assert_eq!(check_file(stat(FileType::Regular, perm, 0), EUID), Ok(()));
            assert_eq!(
                check_file(stat(FileType::Regular, perm, 1000), EUID),
                Ok(())
            );
        }
        for perm in [0o644, 0o640, 0o604, 0o620, 0o660, 0o602, 0o610, 0o601] {
            assert_eq!(
                check_file(stat(FileType::Regular, perm, 0), EUID),
                Err(Violation::FileAccessible(Perm(perm)))
            );
        }
        assert_eq!(
            check_file(stat(FileType::Regular, 0o600, 7), EUID),
            Err(Violation::BadOwner(Uid(7)))
        );
        let mut linked = stat(FileType::Regular, 0o600, 0);
        linked.links = 2;
        assert_eq!(check_file(linked, EUID), Err(Violation::HardLinked(2)));
        linked.links = 0;
        assert_eq!(check_file(linked, EUID), Err(Violation::Replaced));
        let mut at_limit = stat(FileType::Regular, 0o600, 0);
        at_limit.size = MAX_CREDENTIAL_FILE_BYTES as u64;
        assert_eq!(check_file(at_limit, EUID), Ok(()));
        let mut big = at_limit;
        big.size += 1;
        assert_eq!(
            check_file(big, EUID),
            Err(Violation::TooLarge(MAX_CREDENTIAL_FILE_BYTES as u64 + 1))
        );
        for kind in [
            FileType::Fifo,
            FileType::Socket,
            FileType::Directory,
            FileType::CharDevice,
        ] {
            assert_eq!(
                check_file(stat(kind, 0o600, 0), EUID),
                Err(Violation::NotRegularFile(kind))
            );
        }
    }

    #[test]
    fn miri_credential_roots_must_be_absolute_without_dot_components() {
        for bad in [
            "relative/dir",
            "/etc/../tmp",
            "/etc/./kubernetes",
            "",
            "/a/..",
        ] {
            assert_eq!(CredRoot::parse(bad), None, "{bad}");
        }
        for good in [
            "/",
            "/etc/kubernetes/registries",
            "/a//b/",
            "/a/.hidden/..b",
        ] {
            assert!(CredRoot::parse(good).is_some(), "{good}");
        }
    }

    #[test]
    fn miri_messages_name_the_rule_and_the_fix() {
        let e = Refused {
            path: "/etc/kubernetes/registries/example.org.json".into(),
            subject: Subject::File,
            violation: Violation::FileAccessible(Perm(0o644)),
        };
        assert_eq!(
            e.to_string(),
            "/etc/kubernetes/registries/example.org.json is readable by group or others (mode 0644); run chmod 600 /etc/kubernetes/registries/example.org.json"
        );
    }
}
