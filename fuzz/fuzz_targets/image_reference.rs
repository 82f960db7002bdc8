//! Arbitrary bytes through the image-reference parser: never a panic; on
//! success the domain and the file names derived from it hold no `/`, NUL,
//! `.` or `..`, printing and parsing again gives the same parts, and
//! normalization is idempotent.
#![no_main]

use generic_credential_provider::reference::{parse, parse_normalized_named};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(raw) = parse(s) {
        assert_eq!(raw.to_string(), s, "Parse must print back its input");
    }
    let Ok(r) = parse_normalized_named(s) else { return };
    if let Some(domain) = r.domain() {
        assert!(!domain.as_str().contains(['/', '\0']));
        for stem in [Some(domain.file_stem()), domain.wildcard_stem()].into_iter().flatten() {
            assert!(!stem.contains(['/', '\0']) && stem != "." && stem != "..", "{stem:?}");
        }
    }
    for component in r.path().components() {
        assert!(!component.is_empty() && component != "." && component != "..");
        assert!(!component.contains(['/', '\0']));
    }
    let printed = r.to_string();
    assert_eq!(parse(&printed).as_ref(), Ok(&r), "printed form must parse to the same parts");
    assert_eq!(parse_normalized_named(&printed).as_ref(), Ok(&r), "normalization must be idempotent");
});
