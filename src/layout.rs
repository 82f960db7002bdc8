//! How credential files are named, in both directions: lookup turns a stem
//! (`registry.example.org:5000`, `*.example.org`, a repository path
//! component) into a file name, and `check` turns a directory entry back into
//! the stem it answers for. One copy of the scheme, so the two cannot drift.

use alloc::string::String;

/// Every credential file name ends with this.
pub(crate) const SUFFIX: &str = ".json";
/// Longest file name Linux accepts (`NAME_MAX`). A longer candidate cannot
/// exist, so it is skipped rather than asked of the file system.
const NAME_MAX_BYTES: usize = 255;
/// What a wildcard file's stem starts with: one `*` for exactly one DNS label.
pub(crate) const WILDCARD_PREFIX: &str = "*.";

/// The file name for `stem`, or `None` if it would be longer than a file
/// name can be.
pub(crate) fn file_name(stem: &str) -> Option<String> {
    (stem.len() + SUFFIX.len() <= NAME_MAX_BYTES).then(|| {
        let mut name = String::with_capacity(stem.len() + SUFFIX.len());
        name.push_str(stem);
        name.push_str(SUFFIX);
        name
    })
}

/// The stem a file name answers for: the name without [`SUFFIX`]; `None` for
/// a name that is no credential file.
pub(crate) fn stem(file_name: &str) -> Option<&str> {
    file_name.strip_suffix(SUFFIX).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn miri_names_and_stems_are_inverse() {
        for stem_text in [
            "registry.example.org:5000",
            "*.example.org",
            "app",
            "[::1]:5000",
        ] {
            let name = file_name(stem_text).unwrap();
            assert_eq!(stem(&name), Some(stem_text));
        }
        assert_eq!(stem("README"), None);
        assert_eq!(stem(".json"), None);
        assert!(file_name(&"a".repeat(250)).is_some());
        assert!(file_name(&"a".repeat(251)).is_none(), "over NAME_MAX");
    }
}
