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

use crate::error::{Error, Problem, Subject};
use crate::secret::Secret;
use crate::sys::{self, Stat};
use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, OwnedFd};

/// Largest credential file read, in bytes.
pub const MAX_CREDENTIAL_FILE_BYTES: usize = 64 * 1024;
/// Write permission for group or others: never allowed on a directory we trust.
pub const GROUP_OR_OTHER_WRITE: u32 = 0o022;
/// Any permission for group or others: never allowed on a credential file.
pub const GROUP_OR_OTHER_ANY: u32 = 0o077;
/// Read permission for group or others (only used to word a message).
pub const GROUP_OR_OTHER_READ: u32 = 0o044;
/// The permission bits of `st_mode`, including setuid, setgid and sticky.
pub const PERMISSION_BITS: u32 = 0o7777;
/// The owner every trusted file and directory may have besides the effective user.
const ROOT_UID: u32 = 0;

/// What a file-type in `st_mode` is called in messages.
pub fn kind_name(mode: u32) -> &'static str {
    match mode & sys::MODE_TYPE_MASK {
        sys::MODE_REGULAR => "a regular file",
        sys::MODE_DIRECTORY => "a directory",
        sys::MODE_SYMLINK => "a symbolic link",
        sys::MODE_FIFO => "a FIFO",
        sys::MODE_SOCKET => "a socket",
        sys::MODE_CHAR_DEVICE => "a character device",
        sys::MODE_BLOCK_DEVICE => "a block device",
        _ => "of an unknown file type",
    }
}

/// The rule for the credential root and every directory above or below it:
/// a directory, owned by root or `euid`, not writable by group or others. A
/// sticky bit does not excuse a world-writable directory: `/tmp` is refused.
pub fn check_directory(st: Stat, euid: u32) -> Result<(), Problem> {
    match st.mode & sys::MODE_TYPE_MASK {
        sys::MODE_DIRECTORY => {}
        sys::MODE_SYMLINK => return Err(Problem::SymbolicLink),
        _ => {
            return Err(Problem::NotDirectory {
                kind: kind_name(st.mode),
            });
        }
    }
    if st.uid != ROOT_UID && st.uid != euid {
        return Err(Problem::BadOwner { uid: st.uid });
    }
    if st.mode & GROUP_OR_OTHER_WRITE != 0 {
        return Err(Problem::DirectoryWritable {
            mode: st.mode & PERMISSION_BITS,
        });
    }
    Ok(())
}

/// The rule for a credential file: a regular file, owned by root or `euid`,
/// no permission bits for group or others (0600 and 0400 pass), exactly one
/// hard link, at most [`MAX_CREDENTIAL_FILE_BYTES`].
pub fn check_file(st: Stat, euid: u32) -> Result<(), Problem> {
    match st.mode & sys::MODE_TYPE_MASK {
        sys::MODE_REGULAR => {}
        sys::MODE_SYMLINK => return Err(Problem::SymbolicLink),
        _ => {
            return Err(Problem::NotRegularFile {
                kind: kind_name(st.mode),
            });
        }
    }
    if st.uid != ROOT_UID && st.uid != euid {
        return Err(Problem::BadOwner { uid: st.uid });
    }
    if st.mode & GROUP_OR_OTHER_ANY != 0 {
        return Err(Problem::FileAccessible {
            mode: st.mode & PERMISSION_BITS,
        });
    }
    // A second link would let whoever can reach it elsewhere see or swap the
    // secret (core(5) refuses such files for the same reason).
    if st.nlink != 1 {
        return Err(Problem::HardLinked { nlink: st.nlink });
    }
    if st.size > MAX_CREDENTIAL_FILE_BYTES as u64 {
        return Err(Problem::TooLarge {
            size: st.size,
            limit: MAX_CREDENTIAL_FILE_BYTES,
        });
    }
    Ok(())
}

/// A directory that passed [`check_directory`], held open so that everything
/// below it is opened relative to this descriptor, never by path again.
#[derive(Debug)]
pub struct TrustedDir {
    fd: OwnedFd,
    path: String,
    euid: u32,
}

/// A credential file read through a checked descriptor.
#[derive(Debug)]
pub struct TrustedFile {
    /// The path, for messages.
    pub path: String,
    /// Exactly the file's bytes.
    pub contents: Secret,
}

fn c_name(path: &str, name: &str) -> Result<CString, Error> {
    CString::new(name).map_err(|_| Error::Io {
        path: join(path, name),
        action: "open",
        source: io::ErrorKind::InvalidInput.into(),
    })
}

fn join(dir: &str, name: &str) -> String {
    let mut path = String::with_capacity(dir.len() + 1 + name.len());
    path.push_str(dir);
    if !dir.ends_with('/') {
        path.push('/');
    }
    path.push_str(name);
    path
}

impl TrustedDir {
    /// Walks from `/` to `root` one component at a time, refusing a symbolic
    /// link anywhere and checking every directory, `/` and `root` included.
    pub fn open_root(root: &str) -> Result<Self, Error> {
        let euid = sys::effective_uid();
        let components = root
            .strip_prefix('/')
            .map(|rest| rest.split('/').filter(|c| !c.is_empty()));
        let Some(components) = components else {
            return Err(Error::CredrootNotAbsolute(root.to_owned()));
        };
        let components: Vec<&str> = components.collect();
        if components.iter().any(|c| *c == "." || *c == "..") {
            return Err(Error::CredrootNotAbsolute(root.to_owned()));
        }
        let slash = c"/";
        let fd = sys::open_dir_at(None, slash).map_err(|source| Error::Io {
            path: "/".into(),
            action: "open",
            source,
        })?;
        let mut dir = Self {
            fd,
            path: "/".to_owned(),
            euid,
        };
        dir.check("/")?;
        for component in components {
            dir = dir.open_subdir(component)?.ok_or_else(|| Error::Io {
                path: join(&dir.path, component),
                action: "open",
                source: io::ErrorKind::NotFound.into(),
            })?;
        }
        Ok(dir)
    }

    fn check(&self, path: &str) -> Result<(), Error> {
        let st = sys::fstat(self.fd.as_fd()).map_err(|source| Error::Io {
            path: path.to_owned(),
            action: "stat",
            source,
        })?;
        check_directory(st, self.euid).map_err(|problem| Error::Untrusted {
            path: path.to_owned(),
            subject: Subject::Directory,
            problem,
        })
    }

    /// The path this directory was reached by.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The entries of this directory, listed through its checked descriptor.
    pub fn list(&self) -> Result<Vec<(Vec<u8>, sys::EntryKind)>, Error> {
        sys::list_dir(self.fd.as_fd()).map_err(|source| Error::Io {
            path: self.path.clone(),
            action: "list",
            source,
        })
    }

    /// Opens and checks the sub-directory `name`; `Ok(None)` if it does not exist.
    pub fn open_subdir(&self, name: &str) -> Result<Option<Self>, Error> {
        let path = join(&self.path, name);
        let c = c_name(&self.path, name)?;
        match sys::open_dir_at(Some(self.fd.as_fd()), &c) {
            Ok(fd) => {
                let dir = Self {
                    fd,
                    path,
                    euid: self.euid,
                };
                dir.check(&dir.path)?;
                Ok(Some(dir))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(self.explain(&c, path, Subject::Directory, source)),
        }
    }

    /// Opens, checks and reads the credential file `name`; `Ok(None)` if it
    /// does not exist. Reads exactly `st_size` bytes into one buffer.
    pub fn read_file(&self, name: &str) -> Result<Option<TrustedFile>, Error> {
        let path = join(&self.path, name);
        let c = c_name(&self.path, name)?;
        let fd = match sys::open_file_at(self.fd.as_fd(), &c) {
            Ok(fd) => fd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(self.explain(&c, path, Subject::File, source)),
        };
        let st = sys::fstat(fd.as_fd()).map_err(|source| Error::Io {
            path: path.clone(),
            action: "stat",
            source,
        })?;
        if let Err(problem) = check_file(st, self.euid) {
            return Err(Error::Untrusted {
                path,
                subject: Subject::File,
                problem,
            });
        }
        let contents = read_exactly(&fd, st.size).map_err(|e| match e {
            ReadError::Io(source) => Error::Io {
                path: path.clone(),
                action: "read",
                source,
            },
            ReadError::Problem(problem) => Error::Untrusted {
                path: path.clone(),
                subject: Subject::File,
                problem,
            },
        })?;
        Ok(Some(TrustedFile { path, contents }))
    }

    /// Turns a failed open into the broken rule when there is one (`ELOOP`
    /// for a symbolic link, `ENXIO` for a socket, `ENOTDIR`), looking at the
    /// entry without following it; otherwise reports the OS error.
    fn explain(&self, name: &CString, path: String, subject: Subject, source: io::Error) -> Error {
        if let Ok(st) = sys::lstat_at(Some(self.fd.as_fd()), name) {
            let verdict = match subject {
                Subject::Directory => check_directory(st, self.euid),
                Subject::File => check_file(st, self.euid),
            };
            if let Err(
                problem @ (Problem::SymbolicLink
                | Problem::NotDirectory { .. }
                | Problem::NotRegularFile { .. }),
            ) = verdict
            {
                return Error::Untrusted {
                    path,
                    subject,
                    problem,
                };
            }
        }
        Error::Io {
            path,
            action: "open",
            source,
        }
    }
}

enum ReadError {
    Io(io::Error),
    Problem(Problem),
}

/// Reads exactly `size` bytes: a short read or a byte past `size` means the
/// file changed between `fstat` and `read`, and is refused.
fn read_exactly(fd: &OwnedFd, size: u64) -> Result<Secret, ReadError> {
    let expected = usize::try_from(size).map_err(|_| {
        ReadError::Problem(Problem::TooLarge {
            size,
            limit: MAX_CREDENTIAL_FILE_BYTES,
        })
    })?;
    // One spare byte detects growth without a second buffer.
    let mut buf = Secret::with_capacity(expected + 1);
    while !buf.is_full() {
        match buf.read_from(fd.as_fd()) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err(ReadError::Io(e)),
        }
    }
    if buf.len() > expected {
        return Err(ReadError::Problem(Problem::Grew { expected: size }));
    }
    if buf.len() < expected {
        return Err(ReadError::Problem(Problem::ShortRead {
            expected: size,
            got: buf.len(),
        }));
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EUID: u32 = 1000;

    fn stat(kind: u32, perm: u32, uid: u32) -> Stat {
        Stat {
            mode: kind | perm,
            uid,
            nlink: 1,
            size: 10,
        }
    }

    #[test]
    fn miri_directory_rules() {
        let ok = [
            stat(sys::MODE_DIRECTORY, 0o755, 0),
            stat(sys::MODE_DIRECTORY, 0o700, EUID),
        ];
        for st in ok {
            assert_eq!(check_directory(st, EUID), Ok(()));
        }
        let refused = [
            (
                stat(sys::MODE_DIRECTORY, 0o775, 0),
                Problem::DirectoryWritable { mode: 0o775 },
            ),
            (
                stat(sys::MODE_DIRECTORY, 0o757, 0),
                Problem::DirectoryWritable { mode: 0o757 },
            ),
            (
                stat(sys::MODE_DIRECTORY, 0o1777, 0),
                Problem::DirectoryWritable { mode: 0o1777 },
            ),
            (
                stat(sys::MODE_DIRECTORY, 0o755, 1234),
                Problem::BadOwner { uid: 1234 },
            ),
            (stat(sys::MODE_SYMLINK, 0o777, 0), Problem::SymbolicLink),
            (
                stat(sys::MODE_REGULAR, 0o600, 0),
                Problem::NotDirectory {
                    kind: "a regular file",
                },
            ),
        ];
        for (st, problem) in refused {
            assert_eq!(check_directory(st, EUID), Err(problem));
        }
    }

    #[test]
    fn miri_file_rules() {
        for perm in [0o600, 0o400] {
            assert_eq!(check_file(stat(sys::MODE_REGULAR, perm, 0), EUID), Ok(()));
            assert_eq!(
                check_file(stat(sys::MODE_REGULAR, perm, EUID), EUID),
                Ok(())
            );
        }
        for perm in [0o644, 0o640, 0o604, 0o620, 0o660, 0o602, 0o610, 0o601] {
            assert_eq!(
                check_file(stat(sys::MODE_REGULAR, perm, 0), EUID),
                Err(Problem::FileAccessible { mode: perm })
            );
        }
        assert_eq!(
            check_file(stat(sys::MODE_REGULAR, 0o600, 7), EUID),
            Err(Problem::BadOwner { uid: 7 })
        );
        let linked = Stat {
            nlink: 2,
            ..stat(sys::MODE_REGULAR, 0o600, 0)
        };
        assert_eq!(
            check_file(linked, EUID),
            Err(Problem::HardLinked { nlink: 2 })
        );
        let at_limit = Stat {
            size: MAX_CREDENTIAL_FILE_BYTES as u64,
            ..stat(sys::MODE_REGULAR, 0o600, 0)
        };
        assert_eq!(check_file(at_limit, EUID), Ok(()));
        let big = Stat {
            size: MAX_CREDENTIAL_FILE_BYTES as u64 + 1,
            ..at_limit
        };
        assert!(matches!(
            check_file(big, EUID),
            Err(Problem::TooLarge { .. })
        ));
        for (kind, name) in [
            (sys::MODE_FIFO, "a FIFO"),
            (sys::MODE_SOCKET, "a socket"),
            (sys::MODE_DIRECTORY, "a directory"),
            (sys::MODE_CHAR_DEVICE, "a character device"),
        ] {
            assert_eq!(
                check_file(stat(kind, 0o600, 0), EUID),
                Err(Problem::NotRegularFile { kind: name })
            );
        }
    }

    #[test]
    fn refuses_relative_and_dotdot_credential_roots() {
        for root in ["relative/dir", "/etc/../tmp", "/etc/./kubernetes", ""] {
            assert!(
                matches!(
                    TrustedDir::open_root(root),
                    Err(Error::CredrootNotAbsolute(_))
                ),
                "{root}"
            );
        }
    }
}
