//! Strict decoding of a credential file: one JSON object with string
//! `username` and `password` (either may be empty) and an optional
//! `duration`. An operator's typo (`"pasword"`), a key given twice or a value
//! of another type is refused, naming the file and the key and never a value.
//!
//! miniserde's derive ignores unknown keys and lets the last duplicate win, so
//! the map is walked by hand. Values are first taken as "any JSON value" so
//! that a wrong type is reported as such rather than as broken JSON.

use crate::duration::Duration;
use crate::error::{ContentProblem, truncated};
use crate::secret::Secret;
use miniserde::de::{Deserialize, Map, Seq, Visitor};
use miniserde::{Result, make_place};

/// A decoded credential. The username and password are secrets: they are
/// wiped when this is dropped and have no `Debug` or `Display` of their own.
#[derive(Debug)]
pub struct Credential {
    /// `username`, possibly empty.
    pub username: Secret,
    /// `password`, possibly empty.
    pub password: Secret,
    /// `duration`, if the file sets one.
    pub duration: Option<Duration>,
}

const USERNAME: &str = "username";
const PASSWORD: &str = "password";
const DURATION: &str = "duration";

/// Any JSON value, reduced to what the strict check needs: a string (kept,
/// as a secret) or the fact that it was something else.
enum Value {
    String(Secret),
    Other,
}

/// The top-level object: the three known keys, and the first problem seen.
struct Fields {
    username: Option<Value>,
    password: Option<Value>,
    duration: Option<Value>,
    problem: Option<ContentProblem>,
}

// miniserde's "place" pattern; its derive expands to the same code.
make_place!(Place);

impl Deserialize for Value {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        Place::new(out)
    }
}

impl Visitor for Place<Value> {
    fn null(&mut self) -> Result<()> {
        self.out = Some(Value::Other);
        Ok(())
    }
    fn boolean(&mut self, _: bool) -> Result<()> {
        self.out = Some(Value::Other);
        Ok(())
    }
    fn string(&mut self, s: &str) -> Result<()> {
        self.out = Some(Value::String(Secret::from_string(s.to_owned())));
        Ok(())
    }
    fn negative(&mut self, _: i64) -> Result<()> {
        self.out = Some(Value::Other);
        Ok(())
    }
    fn nonnegative(&mut self, _: u64) -> Result<()> {
        self.out = Some(Value::Other);
        Ok(())
    }
    fn float(&mut self, _: f64) -> Result<()> {
        self.out = Some(Value::Other);
        Ok(())
    }
    fn seq(&mut self) -> Result<Box<dyn Seq + '_>> {
        self.out = Some(Value::Other);
        Ok(Box::new(Skip))
    }
    fn map(&mut self) -> Result<Box<dyn Map + '_>> {
        self.out = Some(Value::Other);
        Ok(Box::new(Skip))
    }
}

/// Skips the contents of a nested array or object.
struct Skip;

impl Seq for Skip {
    fn element(&mut self) -> Result<&mut dyn Visitor> {
        Ok(<dyn Visitor>::ignore())
    }
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}

impl Map for Skip {
    fn key(&mut self, _: &str) -> Result<&mut dyn Visitor> {
        Ok(<dyn Visitor>::ignore())
    }
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}

impl Deserialize for Fields {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        Place::new(out)
    }
}

impl Place<Fields> {
    /// Any top-level value but an object: valid JSON, wrong shape.
    fn not_object(&mut self) -> Result<()> {
        self.out = Some(Fields {
            username: None,
            password: None,
            duration: None,
            problem: Some(ContentProblem::NotObject),
        });
        Ok(())
    }
}

impl Visitor for Place<Fields> {
    fn null(&mut self) -> Result<()> {
        self.not_object()
    }
    fn boolean(&mut self, _: bool) -> Result<()> {
        self.not_object()
    }
    fn string(&mut self, _: &str) -> Result<()> {
        self.not_object()
    }
    fn negative(&mut self, _: i64) -> Result<()> {
        self.not_object()
    }
    fn nonnegative(&mut self, _: u64) -> Result<()> {
        self.not_object()
    }
    fn float(&mut self, _: f64) -> Result<()> {
        self.not_object()
    }
    fn seq(&mut self) -> Result<Box<dyn Seq + '_>> {
        self.not_object()?;
        Ok(Box::new(Skip))
    }
    fn map(&mut self) -> Result<Box<dyn Map + '_>> {
        Ok(Box::new(FieldsBuilder {
            fields: Fields {
                username: None,
                password: None,
                duration: None,
                problem: None,
            },
            out: &mut self.out,
        }))
    }
}

struct FieldsBuilder<'a> {
    fields: Fields,
    out: &'a mut Option<Fields>,
}

impl Map for FieldsBuilder<'_> {
    fn key(&mut self, k: &str) -> Result<&mut dyn Visitor> {
        let f = &mut self.fields;
        let (slot, name) = match k {
            USERNAME => (&mut f.username, USERNAME),
            PASSWORD => (&mut f.password, PASSWORD),
            DURATION => (&mut f.duration, DURATION),
            _ => {
                f.problem
                    .get_or_insert_with(|| ContentProblem::UnknownKey(truncated(k)));
                return Ok(<dyn Visitor>::ignore());
            }
        };
        if slot.is_some() {
            f.problem.get_or_insert(ContentProblem::DuplicateKey(name));
            return Ok(<dyn Visitor>::ignore());
        }
        Ok(Deserialize::begin(slot))
    }

    fn finish(&mut self) -> Result<()> {
        let fields = std::mem::replace(
            &mut self.fields,
            Fields {
                username: None,
                password: None,
                duration: None,
                problem: None,
            },
        );
        *self.out = Some(fields);
        Ok(())
    }
}

fn required(
    value: Option<Value>,
    key: &'static str,
) -> std::result::Result<Secret, ContentProblem> {
    match value {
        Some(Value::String(s)) => Ok(s),
        Some(Value::Other) => Err(ContentProblem::NotAString(key)),
        None => Err(ContentProblem::MissingKey(key)),
    }
}

/// Decodes a credential file's bytes strictly.
pub fn decode(bytes: &[u8]) -> std::result::Result<Credential, ContentProblem> {
    let text = std::str::from_utf8(bytes).map_err(|_| ContentProblem::NotUtf8)?;
    // Only a syntax error fails the parse: every value is accepted as "any
    // JSON", and a top-level value that is not an object is recorded.
    let fields: Fields = miniserde::json::from_str(text).map_err(|_| ContentProblem::NotJson)?;
    if let Some(problem) = fields.problem {
        return Err(problem);
    }
    let duration = match fields.duration {
        None => None,
        Some(Value::Other) => return Err(ContentProblem::NotAString(DURATION)),
        Some(Value::String(s)) => {
            let text = std::str::from_utf8(s.as_bytes()).map_err(|_| ContentProblem::NotUtf8)?;
            Some(Duration::parse(text).map_err(ContentProblem::BadDuration)?)
        }
    };
    let username = required(fields.username, USERNAME)?;
    let password = required(fields.password, PASSWORD)?;
    Ok(Credential {
        username,
        password,
        duration,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::DurationError;

    #[test]
    fn miri_accepts_strict_files() {
        let c = decode(br#"{"username":"u\"s","password":"p\\w\n\u00e9","duration":"0h5m0s"}"#)
            .unwrap();
        assert_eq!(c.username.as_bytes(), b"u\"s");
        assert_eq!(c.password.as_bytes(), "p\\w\n\u{e9}".as_bytes());
        assert_eq!(c.duration, Some(Duration::FIVE_MINUTES));
        let c = decode(br#" {"password":"","username":""} "#).unwrap();
        assert!(c.username.is_empty() && c.password.is_empty() && c.duration.is_none());
    }

    #[test]
    fn miri_refuses_with_the_key_named() {
        let cases: &[(&[u8], ContentProblem)] = &[
            (
                br#"{"username":"u","pasword":"p"}"#,
                ContentProblem::UnknownKey("pasword".into()),
            ),
            (
                br#"{"username":"u","password":"p","password":"q"}"#,
                ContentProblem::DuplicateKey("password"),
            ),
            (
                br#"{"username":5,"password":"p"}"#,
                ContentProblem::NotAString("username"),
            ),
            (
                br#"{"username":"u","password":["p"]}"#,
                ContentProblem::NotAString("password"),
            ),
            (
                br#"{"username":"u","password":{"a":1}}"#,
                ContentProblem::NotAString("password"),
            ),
            (
                br#"{"username":"u","password":null}"#,
                ContentProblem::NotAString("password"),
            ),
            (
                br#"{"username":"u","password":"p","duration":300}"#,
                ContentProblem::NotAString("duration"),
            ),
            (
                br#"{"username":"u"}"#,
                ContentProblem::MissingKey("password"),
            ),
            (
                br#"{"password":"p"}"#,
                ContentProblem::MissingKey("username"),
            ),
            (
                br#"{"username":"u","password":"p","duration":"1d"}"#,
                ContentProblem::BadDuration(DurationError::UnknownUnit),
            ),
            (
                br#"{"username":"u","password":"p","duration":""}"#,
                ContentProblem::BadDuration(DurationError::Invalid),
            ),
            (
                br#"{"username":"u","password":"p","duration":"300"}"#,
                ContentProblem::BadDuration(DurationError::MissingUnit),
            ),
            (
                br#"{"username":"u","password":"p","duration":"-5m"}"#,
                ContentProblem::BadDuration(DurationError::Negative),
            ),
            (
                br#"{"username":"u","password":"p""#,
                ContentProblem::NotJson,
            ),
            (
                br#"{"username":"u","password":"p"} x"#,
                ContentProblem::NotJson,
            ),
            (b"", ContentProblem::NotJson),
            (br#"["u","p"]"#, ContentProblem::NotObject),
            (br#""u""#, ContentProblem::NotObject),
            (b"\xff", ContentProblem::NotUtf8),
        ];
        for (bytes, want) in cases {
            let got = decode(bytes).err();
            assert_eq!(
                got.as_ref(),
                Some(want),
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
}
