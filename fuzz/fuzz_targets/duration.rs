//! Go-duration parsing and printing: never a panic; printing an accepted value
//! and parsing it again gives the same value.
#![no_main]

use generic_credential_provider::duration::Duration;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let Ok(d) = Duration::parse(s) else { return };
    let printed = d.to_string();
    assert_eq!(Duration::parse(&printed), Ok(d), "{s:?} printed as {printed:?}");
});
