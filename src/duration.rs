//! Go durations: parsed like `time.ParseDuration` and printed like
//! `time.Duration.String`, because the kubelet decodes `cacheDuration` with
//! the former and its operators read the latter. Negative durations are
//! refused: a cache lifetime below zero has no meaning.

use alloc::format;
use alloc::string::String;
use core::fmt;

/// The largest duration Go can hold, in nanoseconds (`1<<63 - 1`).
const MAX_NANOS: u64 = i64::MAX as u64;
const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// A non-negative duration in nanoseconds, at most `i64::MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration(u64);

/// Why a duration string was refused (texts follow Go's `time: ...` errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationError {
    /// Not of the form `[+]?([0-9]*(\.[0-9]*)?unit)+`, or empty.
    Invalid,
    /// A number without a unit (only `"0"` may omit it).
    MissingUnit,
    /// A unit other than ns, us, µs, μs, ms, s, m, h.
    UnknownUnit,
    /// More than `i64::MAX` nanoseconds.
    Overflow,
    /// A leading `-`.
    Negative,
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Invalid => "is not a Go duration such as \"5m\" or \"1h30m\"",
            Self::MissingUnit => "has a number without a unit (use ns, us, ms, s, m or h)",
            Self::UnknownUnit => "has an unknown unit (use ns, us, ms, s, m or h; there is no d)",
            Self::Overflow => "is longer than a Go duration can hold",
            Self::Negative => "is negative",
        })
    }
}

impl Duration {
    /// Zero: "do not cache".
    pub const ZERO: Self = Self(0);
    /// Five minutes, the default cache lifetime of the original script.
    pub const FIVE_MINUTES: Self = Self(5 * 60 * NANOS_PER_SECOND);

    /// The duration in nanoseconds.
    pub fn as_nanos(self) -> u64 {
        self.0
    }

    /// A duration of `nanos` nanoseconds, if it fits in a Go duration.
    #[cfg(any(test, fuzzing))]
    pub fn from_nanos(nanos: u64) -> Option<Self> {
        (nanos <= MAX_NANOS).then_some(Self(nanos))
    }

    /// `time.ParseDuration`, refusing negative values.
    pub fn parse(s: &str) -> Result<Self, DurationError> {
        let s = match s.as_bytes().first() {
            Some(b'-') => return Err(DurationError::Negative),
            Some(b'+') => s.get(1..).unwrap_or_default(),
            _ => s,
        };
        if s == "0" {
            return Ok(Self::ZERO);
        }
        if s.is_empty() {
            return Err(DurationError::Invalid);
        }
        let mut rest = s.as_bytes();
        let mut total: u64 = 0;
        while !rest.is_empty() {
            let (value, after) = parse_number(rest)?;
            let unit_len = after
                .iter()
                .position(|&b| b == b'.' || b.is_ascii_digit())
                .unwrap_or(after.len());
            if unit_len == 0 {
                return Err(DurationError::MissingUnit);
            }
            let (unit, after) = after.split_at(unit_len);
            let unit = unit_nanos(unit).ok_or(DurationError::UnknownUnit)?;
            total = total
                .checked_add(value.nanos(unit)?)
                .ok_or(DurationError::Overflow)?;
            if total > MAX_NANOS {
                return Err(DurationError::Overflow);
            }
            rest = after;
        }
        Ok(Self(total))
    }
}

/// One `[0-9]*(\.[0-9]*)?` number: integer part, fraction digits and the
/// fraction's scale, as Go's `leadingInt` and `leadingFraction` keep them.
struct Number {
    int: u64,
    frac: u64,
    scale: f64,
}

impl Number {
    /// `value * unit` with Go's rounding of the fraction (a float product,
    /// truncated) and its overflow rules.
    fn nanos(&self, unit: u64) -> Result<u64, DurationError> {
        if self.int > (1u64 << 63) / unit {
            return Err(DurationError::Overflow);
        }
        let mut v = self.int * unit;
        if self.frac > 0 {
            // Go: v += uint64(float64(f) * (float64(unit) / scale)). The product
            // is below one unit, so the cast cannot overflow.
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss
            )]
            let frac_nanos = (self.frac as f64 * (unit as f64 / self.scale)) as u64;
            v = v.checked_add(frac_nanos).ok_or(DurationError::Overflow)?;
            if v > 1u64 << 63 {
                return Err(DurationError::Overflow);
            }
        }
        Ok(v)
    }
}

fn parse_number(s: &[u8]) -> Result<(Number, &[u8]), DurationError> {
    if !s.first().is_some_and(|&b| b == b'.' || b.is_ascii_digit()) {
        return Err(DurationError::Invalid);
    }
    let int_len = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let (int_digits, mut rest) = s.split_at(int_len);
    let mut int: u64 = 0;
    for &d in int_digits {
        if int > (1u64 << 63) / 10 {
            return Err(DurationError::Overflow);
        }
        int = int * 10 + u64::from(d - b'0');
        if int > 1u64 << 63 {
            return Err(DurationError::Overflow);
        }
    }
    let mut frac: u64 = 0;
    let mut scale = 1.0_f64;
    let mut has_frac_digits = false;
    if let Some(after_dot) = rest.strip_prefix(b".") {
        let frac_len = after_dot.iter().take_while(|b| b.is_ascii_digit()).count();
        let (frac_digits, after) = after_dot.split_at(frac_len);
        has_frac_digits = frac_len > 0;
        // Go keeps the digits that fit and silently drops the rest.
        let mut overflow = false;
        for &d in frac_digits {
            if overflow {
                continue;
            }
            if frac > MAX_NANOS / 10 {
                overflow = true;
                continue;
            }
            let next = frac * 10 + u64::from(d - b'0');
            if next > 1u64 << 63 {
                overflow = true;
                continue;
            }
            frac = next;
            scale *= 10.0;
        }
        rest = after;
    }
    if int_len == 0 && !has_frac_digits {
        return Err(DurationError::Invalid);
    }
    Ok((Number { int, frac, scale }, rest))
}

fn unit_nanos(unit: &[u8]) -> Option<u64> {
    Some(match unit {
        b"ns" => 1,
        // "us", then U+00B5 MICRO SIGN and U+03BC GREEK SMALL LETTER MU, as Go.
        b"us" | b"\xc2\xb5s" | b"\xce\xbcs" => 1_000,
        b"ms" => 1_000_000,
        b"s" => NANOS_PER_SECOND,
        b"m" => 60 * NANOS_PER_SECOND,
        b"h" => 3600 * NANOS_PER_SECOND,
        _ => return None,
    })
}

impl fmt::Display for Duration {
    /// Go's `Duration.String`: `0s`, `1.5µs`, `300ms`, `5m0s`, `1h30m0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let u = self.0;
        if u == 0 {
            return f.write_str("0s");
        }
        if u < NANOS_PER_SECOND {
            let (prec, unit) = match u {
                0..1_000 => (0, "ns"),
                1_000..1_000_000 => (3, "µs"),
                _ => (6, "ms"),
            };
            let (int, frac) = split_fraction(u, prec);
            return write!(f, "{int}{frac}{unit}");
        }
        let (secs, frac) = split_fraction(u, 9);
        let (mins, secs) = (secs / 60, secs % 60);
        let (hours, mins) = (mins / 60, mins % 60);
        if hours > 0 {
            write!(f, "{hours}h{mins}m")?;
        } else if mins > 0 {
            write!(f, "{mins}m")?;
        }
        write!(f, "{secs}{frac}s")
    }
}

/// Splits `v` into `v / 10^prec` and the fraction digits as Go's `fmtFrac`
/// prints them: a leading `.`, trailing zeros dropped, nothing if zero.
fn split_fraction(v: u64, prec: u32) -> (u64, String) {
    let pow = 10u64.pow(prec);
    let frac = v % pow;
    if frac == 0 {
        return (v / pow, String::new());
    }
    let digits = format!("{frac:0width$}", width = prec as usize);
    (v / pow, format!(".{}", digits.trim_end_matches('0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn miri_parses_what_go_parses() {
        for (s, nanos) in [
            ("0", 0),
            ("0s", 0),
            ("+5m", 300_000_000_000),
            ("5m", 300_000_000_000),
            ("0h5m0s", 300_000_000_000),
            ("1h30m", 5_400_000_000_000),
            ("1.5h", 5_400_000_000_000),
            ("90s", 90_000_000_000),
            ("300ms", 300_000_000),
            ("1us", 1_000),
            ("1µs", 1_000),
            ("1μs", 1_000),
            ("1ns", 1),
            (".5s", 500_000_000),
            ("5.s", 5_000_000_000),
            ("1.0000000001s", 1_000_000_000),
            ("2562047h47m16.854775807s", MAX_NANOS),
            ("9223372036854775807ns", MAX_NANOS),
            ("1h1m1s1ms1us1ns", 3_661_001_001_001),
        ] {
            assert_eq!(Duration::parse(s), Ok(Duration(nanos)), "{s}");
        }
    }

    #[test]
    fn miri_refuses_what_go_refuses_and_negatives() {
        for (s, e) in [
            ("", DurationError::Invalid),
            ("+", DurationError::Invalid),
            (".", DurationError::Invalid),
            ("s", DurationError::Invalid),
            (".s", DurationError::Invalid),
            ("300", DurationError::MissingUnit),
            ("5m3", DurationError::MissingUnit),
            ("1d", DurationError::UnknownUnit),
            ("5 m", DurationError::UnknownUnit),
            ("5M", DurationError::UnknownUnit),
            ("-5m", DurationError::Negative),
            ("-0", DurationError::Negative),
            ("9223372036854775808ns", DurationError::Overflow),
            ("2562048h", DurationError::Overflow),
            ("99999999999999999999s", DurationError::Overflow),
        ] {
            assert_eq!(Duration::parse(s), Err(e), "{s:?}");
        }
    }

    #[test]
    fn miri_prints_like_go() {
        for (nanos, s) in [
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1µs"),
            (2_200_000, "2.2ms"),
            (300_000_000, "300ms"),
            (1_000_000_000, "1s"),
            (3_500_000_000, "3.5s"),
            (60_000_000_000, "1m0s"),
            (300_000_000_000, "5m0s"),
            (5_400_000_000_000, "1h30m0s"),
            (43_200_000_000_000, "12h0m0s"),
            (3_661_001_001_001, "1h1m1.001001001s"),
            (MAX_NANOS, "2562047h47m16.854775807s"),
        ] {
            assert_eq!(Duration(nanos).to_string(), s);
            assert_eq!(Duration::parse(s), Ok(Duration(nanos)), "round trip of {s}");
        }
    }
}
