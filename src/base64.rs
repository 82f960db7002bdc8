//! Base64 decoding (RFC 4648) straight into a [`Secret`], for the two
//! encoded secrets the program reads: the segments of a service-account token
//! (base64url, unpadded, RFC 7515 §2) and the `auth` field of a Docker
//! `config.json` (standard alphabet, padded or not).
//!
//! The decoder is strict where Go's decoders are strict and lenient only where
//! the components that read the same bytes are lenient, so that a value
//! accepted here is one Kubernetes accepts:
//! - any byte outside the alphabet is refused, whitespace included (Go skips
//!   `\r` and `\n`; nothing that writes tokens or `auth` fields emits them);
//! - padding is all or nothing: either none, or exactly the `=` that make the
//!   length a multiple of four (Go's `StdEncoding` and `RawStdEncoding`, which
//!   the kubelet picks between by a trailing `=`, `config.go`
//!   `decodeDockerConfigFieldAuth`);
//! - non-zero bits in the last character are accepted, as Go's decoders do
//!   unless `.Strict()` is asked for, which neither go-jose
//!   (`parseSignedCompact`, `base64.RawURLEncoding`) nor the kubelet does.
//!
//! The output length is computed from the input length before anything is
//! decoded, so the buffer is allocated once at its final size and a limit is
//! enforced before any allocation.

use crate::secret::Secret;
use core::fmt;

/// Which 64-character alphabet (RFC 4648 §4 or §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alphabet {
    /// `A-Z a-z 0-9 + /`.
    Standard,
    /// `A-Z a-z 0-9 - _` (base64url).
    UrlSafe,
}

/// Whether trailing `=` may be present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// None, or exactly the padding RFC 4648 §3.2 asks for.
    Optional,
    /// None at all (RFC 7515 §2: JWS segments omit it).
    Forbidden,
}

/// Why input was refused. No variant holds input bytes: the input is a
/// secret, only positions and lengths are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base64Error {
    /// The decoded bytes would exceed the caller's limit.
    TooLong {
        /// The limit, in decoded bytes.
        limit: usize,
    },
    /// A byte outside the alphabet (or a `=` before the end).
    InvalidByte {
        /// Its offset in the input.
        position: usize,
    },
    /// `=` where padding is not allowed, or padding of the wrong length.
    BadPadding,
    /// A length no encoding produces (one character left over).
    BadLength,
}

impl fmt::Display for Base64Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLong { limit } => write!(f, "decodes to more than {limit} bytes"),
            Self::InvalidByte { position } => write!(
                f,
                "has a byte outside the base64 alphabet at offset {position}"
            ),
            Self::BadPadding => {
                f.write_str("has padding ('=') of the wrong length or where none is allowed")
            }
            Self::BadLength => f.write_str("has a length no base64 encoding produces"),
        }
    }
}

/// The 6-bit value of `b`, or `None` outside the alphabet. A match rather
/// than a lookup table: nothing to index, nothing to get wrong.
fn sextet(b: u8, alphabet: Alphabet) -> Option<u32> {
    let v = match (b, alphabet) {
        (b'A'..=b'Z', _) => b - b'A',
        (b'a'..=b'z', _) => b - b'a' + 26,
        (b'0'..=b'9', _) => b - b'0' + 52,
        (b'+', Alphabet::Standard) | (b'-', Alphabet::UrlSafe) => 62,
        (b'/', Alphabet::Standard) | (b'_', Alphabet::UrlSafe) => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// The input without its padding, after checking that the padding is
/// allowed and of the right length.
fn strip_padding(input: &[u8], padding: Padding) -> Result<&[u8], Base64Error> {
    let data_len = input
        .iter()
        .rposition(|&b| b != b'=')
        .map_or(0, |last| last + 1);
    let pad = input.len() - data_len;
    if pad == 0 {
        return Ok(input);
    }
    // One `=` after three characters, two after two; never three, never with
    // a length that is not a multiple of four.
    let expected = match data_len % 4 {
        3 => 1,
        2 => 2,
        _ => 0,
    };
    if padding == Padding::Forbidden || pad != expected {
        return Err(Base64Error::BadPadding);
    }
    Ok(input.get(..data_len).unwrap_or_default())
}

/// The unpadded data, after checking the padding and then every byte, so
/// that a stray byte is reported as such rather than as a bad length.
fn checked_data(input: &[u8], alphabet: Alphabet, padding: Padding) -> Result<&[u8], Base64Error> {
    let data = strip_padding(input, padding)?;
    match data.iter().position(|&b| sextet(b, alphabet).is_none()) {
        Some(position) => Err(Base64Error::InvalidByte { position }),
        None => Ok(data),
    }
}

/// How many bytes `data` (unpadded) decodes to.
fn decoded_len(data: &[u8]) -> Result<usize, Base64Error> {
    let tail = match data.len() % 4 {
        0 => 0,
        2 => 1,
        3 => 2,
        _ => return Err(Base64Error::BadLength),
    };
    Ok(data.len() / 4 * 3 + tail)
}

/// Decodes unpadded `data`, handing each group of up to three bytes to
/// `emit`; `emit` returning `false` stops with `TooLong`.
fn walk(
    data: &[u8],
    alphabet: Alphabet,
    limit: usize,
    mut emit: impl FnMut(&[u8]) -> bool,
) -> Result<(), Base64Error> {
    let too_long = Base64Error::TooLong { limit };
    let mut chunks = data.chunks(4);
    let mut offset = 0;
    for chunk in chunks.by_ref() {
        let mut acc: u32 = 0;
        for (i, &b) in chunk.iter().enumerate() {
            let v = sextet(b, alphabet).ok_or(Base64Error::InvalidByte {
                position: offset + i,
            })?;
            acc = acc << 6 | v;
        }
        // Left-align a short final group so the same bytes come out on top;
        // its spare low bits are dropped unchecked, as Go does.
        let [_, b0, b1, b2] = (acc << (6 * (4 - chunk.len()))).to_be_bytes();
        let group = [b0, b1, b2];
        let take = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return Err(Base64Error::BadLength),
        };
        if !emit(group.get(..take).unwrap_or_default()) {
            return Err(too_long);
        }
        offset += chunk.len();
    }
    Ok(())
}

/// Checks `input` without keeping what it decodes to, and returns the decoded
/// length: for parts of a token that must be well formed but are not read
/// (the JWS header and signature).
pub fn validate(input: &[u8], alphabet: Alphabet, padding: Padding) -> Result<usize, Base64Error> {
    let data = checked_data(input, alphabet, padding)?;
    let len = decoded_len(data)?;
    walk(data, alphabet, len, |_| true)?;
    Ok(len)
}

/// Decodes `input` into a [`Secret`] allocated once at its exact final size,
/// refusing (before allocating) anything that would decode to more than
/// `limit` bytes.
pub fn decode(
    input: &[u8],
    alphabet: Alphabet,
    padding: Padding,
    limit: usize,
) -> Result<Secret, Base64Error> {
    let data = checked_data(input, alphabet, padding)?;
    let len = decoded_len(data)?;
    if len > limit {
        return Err(Base64Error::TooLong { limit });
    }
    let mut out = Secret::with_capacity(len);
    walk(data, alphabet, limit, |group| out.push(group))?;
    Ok(out)
}

/// Test helper: encodes `bytes` (padded when `pad`), for building tokens and
/// `auth` fields in tests.
#[cfg(test)]
pub(crate) fn encode(bytes: &[u8], alphabet: Alphabet, pad: bool) -> alloc::string::String {
    const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let table = match alphabet {
        Alphabet::Standard => STD,
        Alphabet::UrlSafe => URL,
    };
    let mut out = alloc::string::String::new();
    for chunk in bytes.chunks(3) {
        let mut acc = 0u32;
        for (i, &b) in chunk.iter().enumerate() {
            acc |= u32::from(b) << (16 - 8 * i);
        }
        for i in 0..=chunk.len() {
            out.push(char::from(table[(acc >> (18 - 6 * i) & 63) as usize]));
        }
        if pad {
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_LIMIT: usize = usize::MAX;

    fn std(input: &str) -> Result<Secret, Base64Error> {
        decode(
            input.as_bytes(),
            Alphabet::Standard,
            Padding::Optional,
            NO_LIMIT,
        )
    }

    /// RFC 4648 §10.
    const VECTORS: &[(&str, &str)] = &[
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];

    #[test]
    fn decodes_the_rfc_4648_vectors_padded_and_unpadded() {
        for (plain, encoded) in VECTORS {
            assert_eq!(
                std(encoded).unwrap().as_bytes(),
                plain.as_bytes(),
                "{encoded}"
            );
            let raw = encoded.trim_end_matches('=');
            assert_eq!(std(raw).unwrap().as_bytes(), plain.as_bytes(), "{raw}");
            let url = decode(
                raw.as_bytes(),
                Alphabet::UrlSafe,
                Padding::Forbidden,
                NO_LIMIT,
            );
            assert_eq!(url.unwrap().as_bytes(), plain.as_bytes(), "{raw}");
            assert_eq!(
                validate(raw.as_bytes(), Alphabet::UrlSafe, Padding::Forbidden),
                Ok(plain.len())
            );
        }
    }

    #[test]
    fn allocates_exactly_the_decoded_length() {
        for (plain, encoded) in VECTORS {
            let s = std(encoded).unwrap();
            assert_eq!(s.len(), plain.len());
            assert!(s.is_full(), "{encoded}: capacity beyond the decoded length");
        }
    }

    #[test]
    fn each_alphabet_refuses_the_other_ones_two_characters() {
        // 0xfb 0xff: "+/8" in the standard alphabet, "-_8" in base64url.
        assert_eq!(std("+/8=").unwrap().as_bytes(), [0xfb, 0xff]);
        let url = decode(b"-_8", Alphabet::UrlSafe, Padding::Forbidden, NO_LIMIT);
        assert_eq!(url.unwrap().as_bytes(), [0xfb, 0xff]);
        assert_eq!(
            std("-_8=").err(),
            Some(Base64Error::InvalidByte { position: 0 })
        );
        assert_eq!(
            decode(b"+/8", Alphabet::UrlSafe, Padding::Forbidden, NO_LIMIT).err(),
            Some(Base64Error::InvalidByte { position: 0 })
        );
    }

    #[test]
    fn refuses_whitespace_and_bytes_outside_the_alphabet() {
        for (input, position) in [
            ("Zm9v\n", 4),
            ("Zm 9v", 2),
            ("Zm9v\r\nYmFy", 4),
            ("Zm9\0", 3),
            ("Zm9\u{e9}", 3),
            ("Zm=v", 2),
            ("=Zm9", 0),
        ] {
            assert_eq!(
                std(input).err(),
                Some(Base64Error::InvalidByte { position }),
                "{input:?}"
            );
        }
    }

    #[test]
    fn accepts_only_padding_of_the_right_length() {
        for input in ["Zg=", "Zg===", "Zm8==", "Zm9v=", "Zm9v====", "=", "=="] {
            assert_eq!(std(input).err(), Some(Base64Error::BadPadding), "{input}");
        }
        assert_eq!(std("Zg==").unwrap().as_bytes(), b"f");
    }

    #[test]
    fn refuses_padding_where_it_is_forbidden() {
        let got = decode(b"Zm8=", Alphabet::UrlSafe, Padding::Forbidden, NO_LIMIT);
        assert_eq!(got.err(), Some(Base64Error::BadPadding));
        let got = decode(b"Zm8", Alphabet::UrlSafe, Padding::Forbidden, NO_LIMIT);
        assert_eq!(got.unwrap().as_bytes(), b"fo");
    }

    #[test]
    fn refuses_a_length_no_encoding_produces() {
        for input in ["Z", "Zm9vY", "Zm9vY="] {
            assert!(
                matches!(
                    std(input).err(),
                    Some(Base64Error::BadLength | Base64Error::BadPadding)
                ),
                "{input}"
            );
        }
        assert_eq!(std("Zm9vY").err(), Some(Base64Error::BadLength));
    }

    #[test]
    fn accepts_non_zero_trailing_bits_as_go_does() {
        // "Zh==" and "Zm9=" carry set bits below the last whole byte; Go's
        // non-strict decoders (go-jose, the kubelet) accept them.
        assert_eq!(std("Zh==").unwrap().as_bytes(), b"f");
        assert_eq!(std("Zm9=").unwrap().as_bytes(), b"fo");
        assert_eq!(std("Zh").unwrap().as_bytes(), b"f");
    }

    #[test]
    fn refuses_before_allocating_past_the_limit() {
        let got = decode(b"Zm9vYmFy", Alphabet::Standard, Padding::Optional, 5);
        assert_eq!(got.err(), Some(Base64Error::TooLong { limit: 5 }));
        let got = decode(b"Zm9vYmFy", Alphabet::Standard, Padding::Optional, 6);
        assert_eq!(got.unwrap().as_bytes(), b"foobar");
    }

    #[test]
    fn the_test_encoder_round_trips() {
        let bytes: alloc::vec::Vec<u8> = (0..=255u8).collect();
        for n in 0..bytes.len() {
            let part = &bytes[..n];
            for (alphabet, pad) in [(Alphabet::Standard, true), (Alphabet::UrlSafe, false)] {
                let e = encode(part, alphabet, pad);
                let d = decode(e.as_bytes(), alphabet, Padding::Optional, NO_LIMIT).unwrap();
                assert_eq!(d.as_bytes(), part);
            }
        }
        assert_eq!(encode(b"foob", Alphabet::Standard, true), "Zm9vYg==");
    }

    #[test]
    fn error_messages_hold_no_input_bytes() {
        let e = std("c2VjcmV0\u{1}xyz").err().unwrap();
        let text = e.to_string();
        assert_eq!(text, "has a byte outside the base64 alphabet at offset 8");
        assert!(!text.contains("c2VjcmV0"));
    }
}
