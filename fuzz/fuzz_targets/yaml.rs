//! Arbitrary bytes as a YAML kubelet config: never a panic, never more than
//! the note limit; and an input that is also JSON reads as the same tree as
//! the JSON path reads it (numbers compared by value, since miniserde's JSON
//! float parsing is not correctly rounded).
#![no_main]

use generic_credential_provider::yaml::{MAX_NOTES, parse_with_notes};
use libfuzzer_sys::fuzz_target;
use miniserde::json::{Number, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else { return };
    let Ok((yaml, notes)) = parse_with_notes(text) else { return };
    assert!(notes.len() <= MAX_NOTES);
    if let Ok(json) = miniserde::json::from_str::<Value>(text) {
        assert!(same(&yaml, &json), "YAML {yaml:?} but JSON {json:?}");
    }
});

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => same_number(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
        }
        _ => false,
    }
}

fn same_number(x: &Number, y: &Number) -> bool {
    let int = |n: &Number| match n {
        Number::U64(u) => Some(i128::from(*u)),
        Number::I64(i) => Some(i128::from(*i)),
        Number::F64(_) => None,
    };
    let float = |n: &Number| match n {
        Number::U64(u) => *u as f64,
        Number::I64(i) => *i as f64,
        Number::F64(f) => *f,
    };
    if let (Some(a), Some(b)) = (int(x), int(y)) {
        return a == b;
    }
    let (a, b) = (float(x), float(y));
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) || (a.abs() < 1e-300 && b.abs() < 1e-300)
}
