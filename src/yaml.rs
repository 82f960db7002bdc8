//! A strict reader for the YAML that `CredentialProviderConfig` files are
//! written in, producing the same [`Value`] tree as the JSON path so every
//! check applies to both.
//!
//! The kubelet reads YAML with `sigs.k8s.io/yaml`: go-yaml v2 decodes the
//! document into Go values with YAML 1.1 resolution (a plain `on` is a
//! boolean), and the result is converted to JSON (non-string keys become
//! strings). This reader reproduces what the kubelet sees for the subset
//! below and refuses everything else with its line and column, because a
//! reader that guesses would pass a file the kubelet reads differently.
//!
//! The subset: one document, optionally opened by `---` and closed by `...`;
//! block mappings and block sequences (including `- key: value` items and a
//! sequence at the same indentation as its key); flow sequences `[a, "b"]` and
//! flow mappings `{a: b}` (nested, and over several lines, so JSON is read
//! too); plain, single-quoted and double-quoted scalars on one line; comments
//! after whitespace. Refused: anchors, aliases, tags, block scalars,
//! directives, a second document, complex and merge keys, duplicate keys,
//! tabs outside quotes and comments, scalars continued on the next line, and
//! the spots where YAML readers (or go-yaml versions) disagree, such as an
//! integer beyond 64 bits. What it accepts it reads as go-yaml v2.4.0 (the
//! version behind every kubelet with credential provider v1) does, also
//! where that differs from the YAML spec: `[registry.example.org:5000]` is
//! one string.

use crate::error::Escaped;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::{self, Write as _};
use miniserde::json::{Array, Number, Object, Value};

/// Largest input read, in bytes (the caller already caps files at 1 MiB).
pub(crate) const MAX_INPUT_BYTES: usize = 1024 * 1024;

/// Deepest nesting of collections accepted. Deeper input is refused, which
/// also bounds the reader's recursion.
pub(crate) const MAX_DEPTH: usize = 64;

/// Most notes kept for one input; a file with more traps than this has a
/// bigger problem than the notes past the first ones.
pub(crate) const MAX_NOTES: usize = 64;

/// go-yaml v2 gives up on a simple key whose `:` comes more than 1024
/// characters after the key starts (`yaml_parser_stale_simple_keys`).
const MAX_KEY_CHARS: usize = 1024;

/// Longest piece of a scalar quoted in a note or an error, in characters.
const MAX_QUOTED_CHARS: usize = 40;

/// Longest [`Note::path`] kept, in bytes: enough for every field of a
/// kubelet config, and a bound on what a deep, long-keyed input costs.
const MAX_PATH_BYTES: usize = 256;

/// Why a text is not read: the rule it breaks, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlError {
    /// 1-based line.
    pub(crate) line: usize,
    /// 1-based column, in characters.
    pub(crate) column: usize,
    /// The rule broken.
    pub(crate) kind: YamlErrorKind,
}

/// The rule a YAML text breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum YamlErrorKind {
    /// Longer than [`MAX_INPUT_BYTES`].
    TooLarge,
    /// A control character or another character YAML forbids in a file.
    NotPrintable,
    /// U+0085, U+2028 or U+2029, which YAML reads as a line break.
    LineSeparator,
    /// A carriage return not followed by a line feed.
    CarriageReturn,
    /// A byte order mark after the start of the file.
    ByteOrderMark,
    /// A tab in indentation, or right after a block `:` or `-`.
    Tab,
    /// `&name`.
    Anchor,
    /// `*name`.
    Alias,
    /// `!tag`.
    Tag,
    /// `|` or `>`.
    BlockScalar,
    /// `%YAML` or `%TAG`.
    Directive,
    /// A plain scalar starting with a character YAML reserves or that readers
    /// disagree on (`%`, `@`, `` ` ``, `?`, `:`).
    Reserved(char),
    /// A flow indicator (`,`, `]`, `}`) where a value was expected.
    UnexpectedIndicator(char),
    /// A second `---`.
    SecondDocument,
    /// Content after `...`.
    AfterDocumentEnd,
    /// Content on the `---` line.
    ContentOnDocumentMarker,
    /// `...` with no document before it.
    DocumentEndFirst,
    /// `? key` or a collection used as a key.
    ComplexKey,
    /// `: value` with no key.
    MissingKey,
    /// A key given twice in one mapping (as the kubelet sees keys).
    DuplicateKey(String),
    /// A plain `<<` key.
    MergeKey,
    /// A plain key that resolves to null.
    NullKey,
    /// A plain key that resolves to a floating-point number.
    FloatKey,
    /// A plain key that resolves to an integer above `i64::MAX`.
    KeyOutOfRange,
    /// A key whose `:` is more than 1024 characters after its start.
    LongKey,
    /// A plain scalar continued on the next line.
    MultiLineScalar,
    /// A quoted scalar not closed on its line.
    MultiLineQuoted,
    /// A line that does not line up with its block.
    Indentation,
    /// More than [`MAX_DEPTH`] nested collections.
    TooDeep,
    /// An escape go-yaml v2 does not know.
    UnknownEscape,
    /// `\/`, which go-yaml v2 refuses.
    SlashEscape,
    /// `\x`, `\u` or `\U` without enough hexadecimal digits.
    HexEscape,
    /// An escape naming a surrogate or a value above U+10FFFF.
    InvalidCodePoint,
    /// A plain `.inf` or `.nan`, which JSON cannot hold.
    NonFinite,
    /// A plain integer that does not fit in 64 bits.
    IntegerOutOfRange,
    /// `- ` where a block sequence cannot start.
    BlockEntryNotAllowed,
    /// `- ` where a mapping expects a key.
    SequenceInMapping,
    /// A line in a mapping that is not `key: value`.
    ExpectedKey,
    /// A second `: ` inside a value.
    MappingValueInValue,
    /// `key: value` inside `[ ]`.
    PairInFlowSequence,
    /// A `{ }` entry without `: value`.
    FlowEntryWithoutValue,
    /// Two commas in a row, or a comma first, in `[ ]` or `{ }`.
    EmptyFlowEntry,
    /// A `{ }` key whose `:` is on a later line.
    KeyColonOnNextLine,
    /// An unquoted `?` inside a plain scalar in `[ ]` or `{ }`.
    PlainQuestionInFlow,
    /// `#` not preceded by whitespace.
    CommentWithoutSpace,
    /// Text after a complete value on its line.
    TextAfterValue,
    /// A `[` or `{` never closed.
    UnterminatedFlow,
    /// A specific token was expected.
    Expected(&'static str),
    /// `---` or `...` at the start of a line inside `[ ]` or `{ }`.
    DocumentMarkerInFlow,
    /// A line inside `[ ]` or `{ }` not indented past its block.
    FlowIndentation,
    /// A bug in this reader: a slice that should be text was not.
    Internal,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.kind
        )
    }
}

impl fmt::Display for YamlErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use YamlErrorKind as K;
        match self {
            K::TooLarge => write!(f, "the file is larger than {MAX_INPUT_BYTES} bytes"),
            K::NotPrintable => f.write_str(
                "a control or non-printable character, which YAML forbids anywhere in a file: remove it, or write it as an escape in a double-quoted string",
            ),
            K::LineSeparator => f.write_str(
                "a Unicode line separator (U+0085, U+2028 or U+2029), which YAML reads as a line break: remove it",
            ),
            K::CarriageReturn => f.write_str(
                "a carriage return not followed by a line feed: use LF or CRLF line endings",
            ),
            K::ByteOrderMark => {
                f.write_str("a byte order mark (U+FEFF) after the start of the file: remove it")
            }
            K::Tab => f.write_str(
                "a tab where YAML needs spaces (indentation, or right after ':' or '-'): use spaces",
            ),
            K::Anchor => f.write_str("anchors (&name) are not supported: write the value out"),
            K::Alias => f.write_str(
                "aliases (*name) are not supported; a value starting with * must be quoted, e.g. \"*.example.com\"",
            ),
            K::Tag => f.write_str(
                "tags (!tag) are not supported: remove the tag, and quote the value if it must be a string",
            ),
            K::BlockScalar => f.write_str(
                "block scalars (| and >) are not supported: write the value as a quoted string on one line",
            ),
            K::Directive => {
                f.write_str("directives (%YAML, %TAG) are not supported: remove the line")
            }
            K::Reserved(c) => write!(f, "a value cannot start with an unquoted '{c}': quote it"),
            K::UnexpectedIndicator(c) => {
                write!(f, "unexpected '{c}': quote the value if it contains one")
            }
            K::SecondDocument => f.write_str(
                "a second document (---): the kubelet reads only the first; keep one document per file",
            ),
            K::AfterDocumentEnd => {
                f.write_str("content after the document end marker (...): remove it")
            }
            K::DocumentEndFirst => f.write_str(
                "a document end marker (...) with nothing before it, which the kubelet refuses: remove it",
            ),
            K::ContentOnDocumentMarker => {
                f.write_str("content on the --- line is not supported: start it on the next line")
            }
            K::ComplexKey => f.write_str(
                "complex keys (? key, or a collection as a key) are not supported: use a plain or quoted string key",
            ),
            K::MissingKey => f.write_str("a mapping entry without a key: write key: value"),
            K::DuplicateKey(key) => write!(
                f,
                "duplicate key {} in one mapping: the kubelet refuses a key given twice; keep one",
                Quoted(key)
            ),
            K::MergeKey => f.write_str("merge keys (<<) are not supported: write the entries out"),
            K::NullKey => f.write_str(
                "a plain key that YAML reads as null (~, null or nothing): the kubelet cannot convert it; quote it",
            ),
            K::FloatKey => f.write_str(
                "a plain key that YAML reads as a floating-point number, which the kubelet turns into a key spelled differently: quote it",
            ),
            K::KeyOutOfRange => f.write_str(
                "a plain key that YAML reads as an integer above 9223372036854775807, which the kubelet cannot convert: quote it",
            ),
            K::LongKey => write!(
                f,
                "a key longer than {MAX_KEY_CHARS} characters, which the kubelet's YAML reader does not accept"
            ),
            K::MultiLineScalar => f.write_str(
                "a plain value continued on the next line is not supported: keep it on one line",
            ),
            K::MultiLineQuoted => f.write_str(
                "a quoted string not closed on its line: multi-line strings are not supported; close the quote on the same line",
            ),
            K::Indentation => f.write_str(
                "this line does not line up with its block: indent it like its siblings (values cannot continue on the next line)",
            ),
            K::TooDeep => write!(f, "collections nested deeper than {MAX_DEPTH} levels"),
            K::UnknownEscape => f.write_str(
                "an unknown escape in a double-quoted string: use \\\\ for a backslash, or single quotes",
            ),
            K::SlashEscape => f.write_str(
                "the escape \\/ is refused by the kubelet's YAML reader (go-yaml v2): write / itself",
            ),
            K::HexEscape => f.write_str(
                "an escape \\x, \\u or \\U without its 2, 4 or 8 hexadecimal digits",
            ),
            K::InvalidCodePoint => f.write_str(
                "an escape for a UTF-16 surrogate or a value above U+10FFFF, which the kubelet's YAML reader refuses: write the character itself, or \\UNNNNNNNN",
            ),
            K::NonFinite => f.write_str(
                "a plain .inf or .nan is read as a number JSON cannot hold, so the kubelet cannot read the file: quote it",
            ),
            K::IntegerOutOfRange => {
                f.write_str("a plain integer that does not fit in 64 bits: quote it")
            }
            K::BlockEntryNotAllowed => f.write_str(
                "a list item (- ) cannot start here: start the list on the next line, or write [a, b]",
            ),
            K::SequenceInMapping => f.write_str(
                "a list item (- ) where the mapping expects a key: put the list under its key",
            ),
            K::ExpectedKey => f.write_str("expected key: value at this indentation"),
            K::MappingValueInValue => {
                f.write_str("a second ': ' in one value: quote the value")
            }
            K::PairInFlowSequence => f.write_str(
                "key: value inside [ ] is not supported: use { } or a block mapping",
            ),
            K::FlowEntryWithoutValue => {
                f.write_str("an entry in { } without ': value': write key: value")
            }
            K::EmptyFlowEntry => {
                f.write_str("an empty entry in [ ] or { } (a comma first, or two in a row)")
            }
            K::KeyColonOnNextLine => f.write_str("the ':' after a key must be on the key's line"),
            K::PlainQuestionInFlow => f.write_str(
                "an unquoted '?' inside [ ] or { }, which YAML readers disagree about: quote the value",
            ),
            K::CommentWithoutSpace => {
                f.write_str("a comment needs whitespace before its '#'")
            }
            K::TextAfterValue => f.write_str(
                "unexpected text after the value: quote the whole value, or put ' #' before a comment",
            ),
            K::UnterminatedFlow => f.write_str("a [ or { that is never closed"),
            K::Expected(what) => write!(f, "expected {what}"),
            K::DocumentMarkerInFlow => {
                f.write_str("a document marker (--- or ...) inside [ ] or { }")
            }
            K::FlowIndentation => f.write_str(
                "a line inside [ ] or { } must be indented more than the block that holds it",
            ),
            K::Internal => f.write_str("internal error in the YAML reader"),
        }
    }
}

/// A YAML trap the kubelet falls into silently: a plain scalar it reads
/// differently from what its author most likely meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Note {
    /// 1-based line of the scalar.
    pub(crate) line: usize,
    /// Where the scalar sits, as the kubelet names fields
    /// (`providers[0].env[1].value`; a key's note names its mapping), cut
    /// at [`MAX_PATH_BYTES`]: so a caller can tell a value it must not echo.
    pub(crate) path: String,
    /// What the kubelet reads.
    pub(crate) kind: NoteKind,
}

/// What the kubelet reads a plain scalar as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NoteKind {
    /// A YAML 1.1 spelling (`yes`, `no`, `on`, `off`, `y`, `n`, in the case
    /// variants go-yaml v2 accepts) read as a boolean.
    Boolean {
        /// The scalar as written.
        text: String,
        /// The boolean read.
        value: bool,
    },
    /// A number whose value is not the decimal reading of its digits
    /// (octal, hexadecimal, binary, a leading zero, underscores).
    Number {
        /// The scalar as written.
        text: String,
        /// What it is read as, e.g. "the octal number 493".
        reading: String,
    },
    /// A plain key read as a boolean or a number, which the kubelet then
    /// spells as another string.
    Key {
        /// The key as written.
        text: String,
        /// The key the kubelet sees.
        key: String,
    },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            NoteKind::Boolean { text, value } => write!(
                f,
                "line {}: plain {} is read as the boolean {value}; quote it if you meant a string",
                self.line,
                Quoted(text)
            ),
            NoteKind::Number { text, reading } => write!(
                f,
                "line {}: plain {} is read as {reading}; quote it if you meant a string",
                self.line,
                Quoted(text)
            ),
            NoteKind::Key { text, key } => write!(
                f,
                "line {}: plain key {} is read as the key {}; quote it if you meant {}",
                self.line,
                Quoted(text),
                Quoted(key),
                Quoted(text)
            ),
        }
    }
}

/// A scalar in double quotes, escaped as every untrusted text in a message
/// is ([`Escaped`]) and cut short.
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cut = self.0.char_indices().nth(MAX_QUOTED_CHARS).map(|(i, _)| i);
        let shown = cut.and_then(|i| self.0.get(..i)).unwrap_or(self.0);
        let more = if cut.is_some() { "..." } else { "" };
        write!(f, "\"{}{more}\"", Escaped(shown))
    }
}

/// Reads a YAML text as the kubelet would decode it into JSON.
pub(crate) fn parse(text: &str) -> Result<Value, YamlError> {
    parse_with_notes(text).map(|(value, _)| value)
}

/// Reads a YAML text as the kubelet would decode it into JSON, with a note
/// for each plain scalar the kubelet reads differently from what it looks
/// like (at most [`MAX_NOTES`]).
pub(crate) fn parse_with_notes(text: &str) -> Result<(Value, Vec<Note>), YamlError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(YamlError {
            line: 1,
            column: 1,
            kind: YamlErrorKind::TooLarge,
        });
    }
    // go-yaml skips a byte order mark at the start of the stream.
    let start = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    validate_characters(text, start)?;
    let mut parser = Parser {
        src: text,
        b: text.as_bytes(),
        pos: start,
        line: 1,
        line_start: start,
        notes: Vec::new(),
        path: Vec::new(),
    };
    let value = parser.document()?;
    Ok((value, parser.notes))
}

/// A position: the line, where it starts, and the byte offset.
#[derive(Clone, Copy)]
struct Mark {
    line: usize,
    line_start: usize,
    pos: usize,
}

fn error_at(src: &str, mark: Mark, kind: YamlErrorKind) -> YamlError {
    let before = src
        .get(mark.line_start..mark.pos)
        .map_or(mark.pos.saturating_sub(mark.line_start), |s| {
            s.chars().count()
        });
    YamlError {
        line: mark.line,
        column: before + 1,
        kind,
    }
}

/// go-yaml's reader refuses any character outside YAML's printable set, and
/// treats NEL, LS and PS as line breaks; both are refused here up front so
/// the parser only ever meets printable characters, tabs and LF/CRLF.
fn validate_characters(text: &str, start: usize) -> Result<(), YamlError> {
    let mut line = 1;
    let mut line_start = start;
    let bytes = text.as_bytes();
    for (i, c) in text.char_indices().filter(|&(i, _)| i >= start) {
        let kind = match c {
            '\n' => {
                line += 1;
                line_start = i + 1;
                continue;
            }
            '\r' if bytes.get(i + 1) == Some(&b'\n') => continue,
            '\r' => YamlErrorKind::CarriageReturn,
            '\t' | ' '..='~' => continue,
            '\u{85}' | '\u{2028}' | '\u{2029}' => YamlErrorKind::LineSeparator,
            '\u{feff}' => YamlErrorKind::ByteOrderMark,
            '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..='\u{10ffff}' => {
                continue;
            }
            _ => YamlErrorKind::NotPrintable,
        };
        let mark = Mark {
            line,
            line_start,
            pos: i,
        };
        return Err(error_at(text, mark, kind));
    }
    Ok(())
}

/// What starts the next line that holds something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head {
    Eof,
    DocStart,
    DocEnd,
    /// Content at this indentation; the parser stands on its first character.
    Content(usize),
}

/// A mapping key as written.
struct Key {
    text: String,
    plain: bool,
    mark: Mark,
}

/// Where a plain scalar in block context ends.
struct PlainScan {
    /// End of the text, trailing spaces excluded.
    end: usize,
    /// Where the scan stopped.
    stop: usize,
    /// Whether it stopped at a `:` followed by a blank (a mapping key).
    colon: bool,
}

fn is_blankz(b: Option<u8>) -> bool {
    matches!(b, None | Some(b' ' | b'\t' | b'\n' | b'\r'))
}

fn is_eol(b: Option<u8>) -> bool {
    matches!(b, None | Some(b'\n' | b'\r'))
}

/// One step from the top of the document to a node.
enum Step {
    Key(String),
    Index(usize),
}

/// The parser proper. Block structure is read line by line: every
/// collection loop starts at the first character of a content line, and
/// `pos` only moves forward, so the whole text is scanned a bounded number
/// of times.
struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    line: usize,
    line_start: usize,
    notes: Vec<Note>,
    /// The steps to the node being read.
    path: Vec<Step>,
}

impl Parser<'_> {
    fn at(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    fn cur(&self) -> Option<u8> {
        self.at(self.pos)
    }

    fn next(&self) -> Option<u8> {
        self.at(self.pos + 1)
    }

    fn mark_at(&self, pos: usize) -> Mark {
        Mark {
            line: self.line,
            line_start: self.line_start,
            pos,
        }
    }

    fn mark(&self) -> Mark {
        self.mark_at(self.pos)
    }

    fn err_at(&self, mark: Mark, kind: YamlErrorKind) -> YamlError {
        error_at(self.src, mark, kind)
    }

    fn err(&self, kind: YamlErrorKind) -> YamlError {
        self.err_at(self.mark(), kind)
    }

    fn err_pos(&self, pos: usize, kind: YamlErrorKind) -> YamlError {
        self.err_at(self.mark_at(pos), kind)
    }

    fn text(&self, from: usize, to: usize) -> Result<String, YamlError> {
        self.src
            .get(from..to)
            .map(ToString::to_string)
            .ok_or_else(|| self.err_pos(from, YamlErrorKind::Internal))
    }

    fn note(&mut self, line: usize, kind: NoteKind) {
        if self.notes.len() >= MAX_NOTES {
            return;
        }
        let mut path = String::new();
        for step in &self.path {
            if path.len() > MAX_PATH_BYTES {
                break;
            }
            // Writing to a String cannot fail.
            let _ = match step {
                Step::Key(key) if path.is_empty() => write!(path, "{key}"),
                Step::Key(key) => write!(path, ".{key}"),
                Step::Index(i) => write!(path, "[{i}]"),
            };
        }
        let mut cut = MAX_PATH_BYTES.min(path.len());
        while !path.is_char_boundary(cut) {
            cut -= 1;
        }
        path.truncate(cut);
        self.notes.push(Note { line, path, kind });
    }

    /// Reads the node at `step` below the current one.
    fn within<T>(
        &mut self,
        step: Step,
        read: impl FnOnce(&mut Self) -> Result<T, YamlError>,
    ) -> Result<T, YamlError> {
        self.path.push(step);
        let read = read(self);
        self.path.pop();
        read
    }

    /// Steps over the line break under `pos`, if any, onto the next line.
    fn next_line(&mut self) {
        match self.cur() {
            Some(b'\r') => self.pos += 2,
            Some(b'\n') => self.pos += 1,
            _ => return,
        }
        self.line += 1;
        self.line_start = self.pos;
    }

    fn is_marker(&self, pos: usize, c: u8) -> bool {
        pos == self.line_start
            && self.at(pos) == Some(c)
            && self.at(pos + 1) == Some(c)
            && self.at(pos + 2) == Some(c)
            && is_blankz(self.at(pos + 3))
    }

    /// Skips blank and comment-only lines, from a line start or from the
    /// first character of a content line (then it only re-reads that line).
    fn next_content_line(&mut self) -> Result<Head, YamlError> {
        loop {
            let mut p = self.pos;
            while self.at(p) == Some(b' ') {
                p += 1;
            }
            match self.at(p) {
                None => {
                    self.pos = p;
                    return Ok(Head::Eof);
                }
                Some(b'\n' | b'\r') => {
                    self.pos = p;
                    self.next_line();
                }
                // go-yaml refuses a tab that begins a line's content even on
                // a line that is otherwise blank.
                Some(b'\t') => return Err(self.err_pos(p, YamlErrorKind::Tab)),
                Some(b'#') => {
                    while !is_eol(self.at(p)) {
                        p += 1;
                    }
                    self.pos = p;
                    self.next_line();
                }
                Some(c) => {
                    self.pos = p;
                    let indent = p - self.line_start;
                    if indent == 0 {
                        if self.is_marker(p, b'-') {
                            return Ok(Head::DocStart);
                        }
                        if self.is_marker(p, b'.') {
                            return Ok(Head::DocEnd);
                        }
                        if c == b'%' {
                            return Err(self.err(YamlErrorKind::Directive));
                        }
                    }
                    return Ok(Head::Content(indent));
                }
            }
        }
    }

    /// After a complete value: only spaces and a comment may follow on the
    /// line; then steps onto the next line.
    fn finish_line(&mut self) -> Result<(), YamlError> {
        self.finish_line_or(YamlErrorKind::TextAfterValue)
    }

    fn finish_line_or(&mut self, otherwise: YamlErrorKind) -> Result<(), YamlError> {
        let mut p = self.pos;
        // After a complete value go-yaml takes tabs as separation too.
        while matches!(self.at(p), Some(b' ' | b'\t')) {
            p += 1;
        }
        let spaced = p > self.pos || p == self.line_start;
        match self.at(p) {
            None | Some(b'\n' | b'\r') => {}
            Some(b'#') if spaced => {
                while !is_eol(self.at(p)) {
                    p += 1;
                }
            }
            Some(b'#') => return Err(self.err_pos(p, YamlErrorKind::CommentWithoutSpace)),
            Some(b':') if is_blankz(self.at(p + 1)) => {
                return Err(self.err_pos(p, YamlErrorKind::ComplexKey));
            }
            Some(_) => return Err(self.err_pos(p, otherwise)),
        }
        self.pos = p;
        self.next_line();
        Ok(())
    }

    fn document(&mut self) -> Result<Value, YamlError> {
        let mut head = self.next_content_line()?;
        if head == Head::DocStart {
            self.pos += 3;
            self.finish_line_or(YamlErrorKind::ContentOnDocumentMarker)?;
            head = self.next_content_line()?;
        } else if head == Head::DocEnd {
            // go-yaml opens an implicit document and finds no node in it.
            return Err(self.err(YamlErrorKind::DocumentEndFirst));
        }
        let value = match head {
            Head::Eof | Head::DocEnd => Value::Null,
            Head::DocStart => return Err(self.err(YamlErrorKind::SecondDocument)),
            Head::Content(_) => {
                let value = self.block_node(None, 0)?;
                head = self.next_content_line()?;
                value
            }
        };
        match head {
            Head::Eof => {}
            Head::DocStart => return Err(self.err(YamlErrorKind::SecondDocument)),
            Head::Content(_) => return Err(self.err(YamlErrorKind::Indentation)),
            Head::DocEnd => {
                self.pos += 3;
                self.finish_line_or(YamlErrorKind::AfterDocumentEnd)?;
                match self.next_content_line()? {
                    Head::Eof => {}
                    Head::DocStart => return Err(self.err(YamlErrorKind::SecondDocument)),
                    Head::DocEnd | Head::Content(_) => {
                        return Err(self.err(YamlErrorKind::AfterDocumentEnd));
                    }
                }
            }
        }
        Ok(value)
    }

    /// The node whose first character is under `pos`; its column is its
    /// indentation if it is a block collection. `parent` is the indentation
    /// of the block collection holding it (`None` at the top).
    fn block_node(&mut self, parent: Option<usize>, depth: usize) -> Result<Value, YamlError> {
        let column = self.pos - self.line_start;
        match (self.cur(), is_blankz(self.next())) {
            (Some(b'-'), true) => return self.block_sequence(column, depth),
            (Some(b'?'), true) => return Err(self.err(YamlErrorKind::ComplexKey)),
            (Some(b':'), true) => return Err(self.err(YamlErrorKind::MissingKey)),
            _ => {}
        }
        if let Some(key) = self.try_key()? {
            return self.block_mapping(column, key, depth);
        }
        let value = self.inline_value(parent, depth)?;
        self.finish_line()?;
        Ok(value)
    }

    /// A `key:` under `pos` (followed by a blank), consumed up to and
    /// including the `:`; `None`, with nothing consumed, if there is none.
    fn try_key(&mut self) -> Result<Option<Key>, YamlError> {
        let mark = self.mark();
        let (text, plain, colon) = match self.cur() {
            Some(b'"' | b'\'') => {
                let (text, end) = self.scan_quoted(self.pos)?;
                let mut p = end;
                while matches!(self.at(p), Some(b' ' | b'\t')) {
                    p += 1;
                }
                if self.at(p) != Some(b':') || !is_blankz(self.at(p + 1)) {
                    return Ok(None);
                }
                (text, false, p)
            }
            Some(c) if self.check_plain_start(c, false).is_ok() => {
                let scan = self.scan_plain_block(self.pos)?;
                if !scan.colon {
                    return Ok(None);
                }
                (self.text(self.pos, scan.end)?, true, scan.stop)
            }
            _ => return Ok(None),
        };
        self.check_key_length(mark, colon)?;
        self.pos = colon + 1;
        Ok(Some(Key { text, plain, mark }))
    }

    fn check_key_length(&self, key: Mark, colon: usize) -> Result<(), YamlError> {
        let chars = self
            .src
            .get(key.pos..colon)
            .map_or(0, |s| s.chars().take(MAX_KEY_CHARS + 1).count());
        if chars > MAX_KEY_CHARS {
            return Err(self.err_at(key, YamlErrorKind::LongKey));
        }
        Ok(())
    }

    fn block_mapping(
        &mut self,
        indent: usize,
        first: Key,
        depth: usize,
    ) -> Result<Value, YamlError> {
        if depth >= MAX_DEPTH {
            return Err(self.err_at(first.mark, YamlErrorKind::TooDeep));
        }
        let depth = depth + 1;
        let mut object = Object::new();
        let mut key = first;
        loop {
            let mark = key.mark;
            let name = self.key_name(key)?;
            if object.contains_key(&name) {
                return Err(self.err_at(mark, YamlErrorKind::DuplicateKey(name)));
            }
            let value = self.within(Step::Key(name.clone()), |p| p.mapping_value(indent, depth))?;
            object.insert(name, value);
            match self.next_content_line()? {
                Head::Content(i) if i == indent => {
                    let next_blank = is_blankz(self.next());
                    match self.cur() {
                        Some(b'-') if next_blank => {
                            return Err(self.err(YamlErrorKind::SequenceInMapping));
                        }
                        Some(b'?') if next_blank => {
                            return Err(self.err(YamlErrorKind::ComplexKey));
                        }
                        Some(b':') if next_blank => {
                            return Err(self.err(YamlErrorKind::MissingKey));
                        }
                        _ => {}
                    }
                    key = match self.try_key()? {
                        Some(key) => key,
                        None => {
                            if let Some(c) = self.cur() {
                                self.check_plain_start(c, false)?;
                            }
                            return Err(self.err(YamlErrorKind::ExpectedKey));
                        }
                    };
                }
                Head::Content(i) if i > indent => {
                    return Err(self.err(YamlErrorKind::Indentation));
                }
                _ => break,
            }
        }
        Ok(Value::Object(object))
    }

    /// The value after a block mapping key's `:` (under `pos`).
    fn mapping_value(&mut self, indent: usize, depth: usize) -> Result<Value, YamlError> {
        let mut p = self.pos;
        while self.at(p) == Some(b' ') {
            p += 1;
        }
        match self.at(p) {
            Some(b'\t') => Err(self.err_pos(p, YamlErrorKind::Tab)),
            None | Some(b'\n' | b'\r' | b'#') => {
                self.finish_line()?;
                match self.next_content_line()? {
                    Head::Content(i) if i > indent => self.block_node(Some(indent), depth),
                    // A list at its key's own indentation, the common style.
                    Head::Content(i)
                        if i == indent && self.cur() == Some(b'-') && is_blankz(self.next()) =>
                    {
                        self.block_sequence(indent, depth)
                    }
                    _ => Ok(Value::Null),
                }
            }
            Some(_) => {
                self.pos = p;
                if self.cur() == Some(b'-') && is_blankz(self.next()) {
                    return Err(self.err(YamlErrorKind::BlockEntryNotAllowed));
                }
                let value = self.inline_value(Some(indent), depth)?;
                self.finish_line()?;
                Ok(value)
            }
        }
    }

    fn block_sequence(&mut self, indent: usize, depth: usize) -> Result<Value, YamlError> {
        if depth >= MAX_DEPTH {
            return Err(self.err(YamlErrorKind::TooDeep));
        }
        let depth = depth + 1;
        let mut array = Array::new();
        loop {
            // Under `pos` is the `-` of an entry.
            self.pos += 1;
            let mut p = self.pos;
            while self.at(p) == Some(b' ') {
                p += 1;
            }
            let item = self.within(Step::Index(array.len()), |s| match s.at(p) {
                Some(b'\t') => Err(s.err_pos(p, YamlErrorKind::Tab)),
                None | Some(b'\n' | b'\r' | b'#') => {
                    s.finish_line()?;
                    match s.next_content_line()? {
                        Head::Content(i) if i > indent => s.block_node(Some(indent), depth),
                        _ => Ok(Value::Null),
                    }
                }
                Some(_) => {
                    s.pos = p;
                    s.block_node(Some(indent), depth)
                }
            })?;
            array.push(item);
            match self.next_content_line()? {
                Head::Content(i)
                    if i == indent && self.cur() == Some(b'-') && is_blankz(self.next()) => {}
                Head::Content(i) if i > indent => {
                    return Err(self.err(YamlErrorKind::Indentation));
                }
                _ => break,
            }
        }
        Ok(Value::Array(array))
    }

    /// A scalar or a flow collection starting under `pos`, in block context.
    fn inline_value(&mut self, parent: Option<usize>, depth: usize) -> Result<Value, YamlError> {
        let mark = self.mark();
        match self.cur() {
            Some(b'"' | b'\'') => {
                let (text, end) = self.scan_quoted(self.pos)?;
                self.pos = end;
                Ok(Value::String(text))
            }
            Some(b'[') => self.flow_sequence(parent, depth),
            Some(b'{') => self.flow_mapping(parent, depth),
            Some(c) => {
                self.check_plain_start(c, false)?;
                let scan = self.scan_plain_block(self.pos)?;
                if scan.colon {
                    return Err(self.err_pos(scan.stop, YamlErrorKind::MappingValueInValue));
                }
                let text = self.text(self.pos, scan.end)?;
                self.pos = scan.end;
                self.plain_value(text, mark)
            }
            None => Ok(Value::Null),
        }
    }

    /// Refuses a plain scalar that starts with an indicator. In block
    /// context `?` and `:` followed by a non-blank start a plain scalar; in
    /// flow context go-yaml always reads them as indicators.
    fn check_plain_start(&self, c: u8, flow: bool) -> Result<(), YamlError> {
        let next_blank = is_blankz(self.next());
        let kind = match c {
            b'?' | b':' if !flow && !next_blank => return Ok(()),
            b'&' => YamlErrorKind::Anchor,
            b'*' => YamlErrorKind::Alias,
            b'!' => YamlErrorKind::Tag,
            b'|' | b'>' => YamlErrorKind::BlockScalar,
            b'-' if next_blank => YamlErrorKind::BlockEntryNotAllowed,
            b'?' if next_blank => YamlErrorKind::ComplexKey,
            b':' if next_blank => YamlErrorKind::MissingKey,
            b'%' | b'@' | b'`' | b'?' | b':' => YamlErrorKind::Reserved(char::from(c)),
            b',' | b'[' | b']' | b'{' | b'}' | b'#' => {
                YamlErrorKind::UnexpectedIndicator(char::from(c))
            }
            _ => return Ok(()),
        };
        Err(self.err(kind))
    }

    /// A plain scalar in block context: it ends at the line's end, at
    /// whitespace before `#`, or at `:` followed by a blank. Tabs inside it
    /// are whitespace, as in go-yaml.
    fn scan_plain_block(&self, from: usize) -> Result<PlainScan, YamlError> {
        let mut p = from;
        let mut end = from;
        loop {
            match self.at(p) {
                None | Some(b'\n' | b'\r') => break,
                Some(b':') if is_blankz(self.at(p + 1)) => {
                    return Ok(PlainScan {
                        end,
                        stop: p,
                        colon: true,
                    });
                }
                Some(b'#') if p > from && matches!(self.at(p - 1), Some(b' ' | b'\t')) => break,
                Some(b' ' | b'\t') => p += 1,
                Some(_) => {
                    p += 1;
                    end = p;
                }
            }
        }
        Ok(PlainScan {
            end,
            stop: p,
            colon: false,
        })
    }

    /// A plain scalar inside `[ ]` or `{ }`: it ends at a flow indicator, at
    /// a `:` followed by a blank, at whitespace before `#`, or at the line's
    /// end (go-yaml v2.4.0 `yaml_parser_scan_plain_scalar`, so a `:` followed
    /// by anything else stays in the scalar). Returns the end of its text.
    fn scan_plain_flow(&self, from: usize) -> Result<usize, YamlError> {
        let mut p = from;
        let mut end = from;
        loop {
            match self.at(p) {
                None | Some(b'\n' | b'\r' | b',' | b'[' | b']' | b'{' | b'}') => break,
                Some(b':') if is_blankz(self.at(p + 1)) => break,
                // go-yaml ends the scalar here and reads `?` as a key
                // indicator, which fails; libyaml 0.2 keeps it.
                Some(b'?') => return Err(self.err_pos(p, YamlErrorKind::PlainQuestionInFlow)),
                Some(b'#') if p > from && matches!(self.at(p - 1), Some(b' ' | b'\t')) => break,
                Some(b' ' | b'\t') => p += 1,
                Some(_) => {
                    p += 1;
                    end = p;
                }
            }
        }
        Ok(end)
    }

    /// A single- or double-quoted scalar starting at `from` and closed on
    /// the same line: its text and the position after the closing quote.
    fn scan_quoted(&self, from: usize) -> Result<(String, usize), YamlError> {
        let double = self.at(from) == Some(b'"');
        let mut out: Vec<u8> = Vec::new();
        let mut p = from + 1;
        let mut run = p;
        loop {
            match self.at(p) {
                None | Some(b'\n' | b'\r') => {
                    return Err(self.err_pos(from, YamlErrorKind::MultiLineQuoted));
                }
                Some(b'\'') if !double => {
                    out.extend_from_slice(self.b.get(run..p).unwrap_or_default());
                    if self.at(p + 1) == Some(b'\'') {
                        out.push(b'\'');
                        p += 2;
                        run = p;
                    } else {
                        p += 1;
                        break;
                    }
                }
                Some(b'"') if double => {
                    out.extend_from_slice(self.b.get(run..p).unwrap_or_default());
                    p += 1;
                    break;
                }
                Some(b'\\') if double => {
                    out.extend_from_slice(self.b.get(run..p).unwrap_or_default());
                    p = self.escape(p, &mut out)?;
                    run = p;
                }
                Some(_) => p += 1,
            }
        }
        let text =
            String::from_utf8(out).map_err(|_| self.err_pos(from, YamlErrorKind::Internal))?;
        Ok((text, p))
    }

    /// The escape whose backslash is at `at`, as go-yaml v2 reads it
    /// (`yaml_parser_scan_flow_scalar`); returns the position after it.
    fn escape(&self, at: usize, out: &mut Vec<u8>) -> Result<usize, YamlError> {
        let simple = match self.at(at + 1) {
            Some(b'0') => Some('\0'),
            Some(b'a') => Some('\u{7}'),
            Some(b'b') => Some('\u{8}'),
            Some(b't' | b'\t') => Some('\t'),
            Some(b'n') => Some('\n'),
            Some(b'v') => Some('\u{b}'),
            Some(b'f') => Some('\u{c}'),
            Some(b'r') => Some('\r'),
            Some(b'e') => Some('\u{1b}'),
            Some(b' ') => Some(' '),
            Some(b'"') => Some('"'),
            Some(b'\'') => Some('\''),
            Some(b'\\') => Some('\\'),
            Some(b'N') => Some('\u{85}'),
            Some(b'_') => Some('\u{a0}'),
            Some(b'L') => Some('\u{2028}'),
            Some(b'P') => Some('\u{2029}'),
            _ => None,
        };
        if let Some(c) = simple {
            push_char(out, c);
            return Ok(at + 2);
        }
        let digits = match self.at(at + 1) {
            Some(b'x') => 2,
            Some(b'u') => 4,
            Some(b'U') => 8,
            Some(b'/') => return Err(self.err_pos(at, YamlErrorKind::SlashEscape)),
            // A backslash at the end of the line escapes the line break,
            // which would continue the string on the next line.
            None | Some(b'\n' | b'\r') => {
                return Err(self.err_pos(at, YamlErrorKind::MultiLineQuoted));
            }
            Some(_) => return Err(self.err_pos(at, YamlErrorKind::UnknownEscape)),
        };
        let mut value: u32 = 0;
        for k in 0..digits {
            let digit = self
                .at(at + 2 + k)
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or_else(|| self.err_pos(at, YamlErrorKind::HexEscape))?;
            value = (value << 4) | digit;
        }
        let c = char::from_u32(value)
            .ok_or_else(|| self.err_pos(at, YamlErrorKind::InvalidCodePoint))?;
        push_char(out, c);
        Ok(at + 2 + digits)
    }

    /// Skips whitespace, line breaks and comments inside `[ ]` or `{ }`.
    /// Returns whether a line break was crossed.
    fn flow_skip(&mut self, parent: Option<usize>) -> Result<bool, YamlError> {
        let mut crossed = false;
        let mut spaced = self.pos == self.line_start
            || matches!(
                self.pos.checked_sub(1).and_then(|p| self.at(p)),
                Some(b' ' | b'\t')
            );
        loop {
            match self.cur() {
                Some(b' ' | b'\t') => {
                    self.pos += 1;
                    spaced = true;
                }
                Some(b'\n' | b'\r') => {
                    self.next_line();
                    crossed = true;
                    spaced = true;
                    self.check_flow_line(parent)?;
                }
                Some(b'#') if spaced => {
                    while !is_eol(self.cur()) {
                        self.pos += 1;
                    }
                }
                Some(b'#') => return Err(self.err(YamlErrorKind::CommentWithoutSpace)),
                _ => return Ok(crossed),
            }
        }
    }

    /// A new line inside a flow collection: no document marker, and content
    /// indented past the block that holds the collection.
    fn check_flow_line(&self, parent: Option<usize>) -> Result<(), YamlError> {
        if self.is_marker(self.pos, b'-') || self.is_marker(self.pos, b'.') {
            return Err(self.err(YamlErrorKind::DocumentMarkerInFlow));
        }
        let mut p = self.pos;
        while self.at(p) == Some(b' ') {
            p += 1;
        }
        let indent = p - self.line_start;
        while self.at(p) == Some(b'\t') || self.at(p) == Some(b' ') {
            p += 1;
        }
        let content = !matches!(self.at(p), None | Some(b'\n' | b'\r' | b'#'));
        if content && parent.is_some_and(|parent| indent <= parent) {
            return Err(self.err_pos(p, YamlErrorKind::FlowIndentation));
        }
        Ok(())
    }

    /// A node inside `[ ]` or `{ }`; also says whether it was a plain scalar.
    fn flow_node(
        &mut self,
        parent: Option<usize>,
        depth: usize,
    ) -> Result<(Value, bool), YamlError> {
        let mark = self.mark();
        match self.cur() {
            Some(b'[') => Ok((self.flow_sequence(parent, depth)?, false)),
            Some(b'{') => Ok((self.flow_mapping(parent, depth)?, false)),
            Some(b'"' | b'\'') => {
                let (text, end) = self.scan_quoted(self.pos)?;
                self.pos = end;
                Ok((Value::String(text), false))
            }
            Some(c) => {
                self.check_plain_start(c, true)?;
                let end = self.scan_plain_flow(self.pos)?;
                let text = self.text(self.pos, end)?;
                self.pos = end;
                Ok((self.plain_value(text, mark)?, true))
            }
            None => Err(self.err(YamlErrorKind::UnterminatedFlow)),
        }
    }

    fn flow_sequence(&mut self, parent: Option<usize>, depth: usize) -> Result<Value, YamlError> {
        let open = self.mark();
        if depth >= MAX_DEPTH {
            return Err(self.err(YamlErrorKind::TooDeep));
        }
        let depth = depth + 1;
        self.pos += 1;
        let mut array = Array::new();
        loop {
            self.flow_skip(parent)?;
            match self.cur() {
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                Some(b',') => return Err(self.err(YamlErrorKind::EmptyFlowEntry)),
                None => return Err(self.err_at(open, YamlErrorKind::UnterminatedFlow)),
                Some(_) => {}
            }
            let (item, plain) =
                self.within(Step::Index(array.len()), |s| s.flow_node(parent, depth))?;
            let crossed = self.flow_skip(parent)?;
            match self.cur() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    array.push(item);
                    break;
                }
                Some(b':') => return Err(self.err(YamlErrorKind::PairInFlowSequence)),
                None => return Err(self.err_at(open, YamlErrorKind::UnterminatedFlow)),
                Some(_) if crossed && plain => {
                    return Err(self.err(YamlErrorKind::MultiLineScalar));
                }
                Some(_) => return Err(self.err(YamlErrorKind::Expected("',' or ']'"))),
            }
            array.push(item);
        }
        Ok(Value::Array(array))
    }

    fn flow_mapping(&mut self, parent: Option<usize>, depth: usize) -> Result<Value, YamlError> {
        let open = self.mark();
        if depth >= MAX_DEPTH {
            return Err(self.err(YamlErrorKind::TooDeep));
        }
        let depth = depth + 1;
        self.pos += 1;
        let mut object = Object::new();
        loop {
            self.flow_skip(parent)?;
            let mark = self.mark();
            let key = match self.cur() {
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                Some(b',') => return Err(self.err(YamlErrorKind::EmptyFlowEntry)),
                None => return Err(self.err_at(open, YamlErrorKind::UnterminatedFlow)),
                Some(b'[' | b'{') => return Err(self.err(YamlErrorKind::ComplexKey)),
                Some(b'"' | b'\'') => {
                    let (text, end) = self.scan_quoted(self.pos)?;
                    self.pos = end;
                    Key {
                        text,
                        plain: false,
                        mark,
                    }
                }
                Some(c) => {
                    self.check_plain_start(c, true)?;
                    let end = self.scan_plain_flow(self.pos)?;
                    let text = self.text(self.pos, end)?;
                    self.pos = end;
                    Key {
                        text,
                        plain: true,
                        mark,
                    }
                }
            };
            while matches!(self.cur(), Some(b' ' | b'\t')) {
                self.pos += 1;
            }
            match self.cur() {
                Some(b':') => {}
                Some(b',' | b'}') => {
                    return Err(self.err_at(mark, YamlErrorKind::FlowEntryWithoutValue));
                }
                None => return Err(self.err_at(open, YamlErrorKind::UnterminatedFlow)),
                Some(b'\n' | b'\r' | b'#') => {
                    return Err(self.err_at(mark, YamlErrorKind::KeyColonOnNextLine));
                }
                Some(_) => return Err(self.err(YamlErrorKind::Expected("':'"))),
            }
            self.check_key_length(mark, self.pos)?;
            self.pos += 1;
            let name = self.key_name(key)?;
            if object.contains_key(&name) {
                return Err(self.err_at(mark, YamlErrorKind::DuplicateKey(name)));
            }
            self.flow_skip(parent)?;
            let (value, plain) = match self.cur() {
                Some(b',' | b'}') => (Value::Null, false),
                None => return Err(self.err_at(open, YamlErrorKind::UnterminatedFlow)),
                Some(_) => self.within(Step::Key(name.clone()), |s| s.flow_node(parent, depth))?,
            };
            object.insert(name, value);
            let crossed = self.flow_skip(parent)?;
            match self.cur() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                Some(b':') => return Err(self.err(YamlErrorKind::MappingValueInValue)),
                None => return Err(self.err_at(open, YamlErrorKind::UnterminatedFlow)),
                Some(_) if crossed && plain => {
                    return Err(self.err(YamlErrorKind::MultiLineScalar));
                }
                Some(_) => return Err(self.err(YamlErrorKind::Expected("',' or '}'"))),
            }
        }
        Ok(Value::Object(object))
    }

    /// The value of a plain scalar, as go-yaml v2 resolves it and
    /// `sigs.k8s.io/yaml` passes it on to JSON.
    fn plain_value(&mut self, text: String, mark: Mark) -> Result<Value, YamlError> {
        let (resolved, note) = resolve(&text);
        if let Some(kind) = note {
            self.note(mark.line, kind);
        }
        Ok(match resolved {
            Resolved::Null => Value::Null,
            Resolved::Bool(b) => Value::Bool(b),
            Resolved::Int(i) => Value::Number(u64::try_from(i).map_or(Number::I64(i), Number::U64)),
            Resolved::Uint(u) => Value::Number(Number::U64(u)),
            Resolved::Float(x) => Value::Number(Number::F64(x)),
            Resolved::Str => Value::String(text),
            Resolved::NonFinite => return Err(self.err_at(mark, YamlErrorKind::NonFinite)),
            Resolved::BigInt => return Err(self.err_at(mark, YamlErrorKind::IntegerOutOfRange)),
        })
    }

    /// The key as the kubelet sees it: `sigs.k8s.io/yaml`
    /// (`convertToJSONableObject`) spells bool and int keys as strings and
    /// fails on any other non-string key.
    fn key_name(&mut self, key: Key) -> Result<String, YamlError> {
        if !key.plain {
            return Ok(key.text);
        }
        // go-yaml merges a plain `<<` key's mapping into its parent.
        if key.text == "<<" {
            return Err(self.err_at(key.mark, YamlErrorKind::MergeKey));
        }
        let name = match resolve(&key.text).0 {
            Resolved::Str => return Ok(key.text),
            Resolved::Bool(b) => b.to_string(),
            Resolved::Int(i) => i.to_string(),
            Resolved::Null => return Err(self.err_at(key.mark, YamlErrorKind::NullKey)),
            // Go's float formatting of the key changed between releases
            // (32- then 64-bit precision), so its spelling is not certain.
            Resolved::Float(_) => return Err(self.err_at(key.mark, YamlErrorKind::FloatKey)),
            Resolved::Uint(_) => return Err(self.err_at(key.mark, YamlErrorKind::KeyOutOfRange)),
            Resolved::NonFinite => return Err(self.err_at(key.mark, YamlErrorKind::NonFinite)),
            Resolved::BigInt => {
                return Err(self.err_at(key.mark, YamlErrorKind::IntegerOutOfRange));
            }
        };
        if name != key.text {
            self.note(
                key.mark.line,
                NoteKind::Key {
                    text: key.text,
                    key: name.clone(),
                },
            );
        }
        Ok(name)
    }
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut buf = [0; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// What go-yaml v2 resolves a plain scalar to when decoding into
/// `interface{}`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    /// The scalar's own text (timestamps included: go-yaml v2 hands those to
    /// `interface{}` as their text).
    Str,
    /// `.inf`, `.nan`: `json.Marshal` fails on them.
    NonFinite,
    /// A `*big.Int` in `sigs.k8s.io/yaml`'s go-yaml fork, a string in
    /// upstream go-yaml v2: not certain either way.
    BigInt,
}

/// go-yaml v2 `resolve.go` `resolve("", in)`: the first byte picks a hint;
/// a table of exact spellings comes first, then numbers.
fn resolve(text: &str) -> (Resolved, Option<NoteKind>) {
    let hint = match text.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => return (Resolved::Str, None),
    };
    let yaml11 = |value: bool| {
        let note = NoteKind::Boolean {
            text: text.to_string(),
            value,
        };
        (Resolved::Bool(value), Some(note))
    };
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => return yaml11(true),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => return yaml11(false),
        "true" | "True" | "TRUE" => return (Resolved::Bool(true), None),
        "false" | "False" | "FALSE" => return (Resolved::Bool(false), None),
        "" | "~" | "null" | "Null" | "NULL" => return (Resolved::Null, None),
        ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF"
        | "-.inf" | "-.Inf" | "-.INF" => return (Resolved::NonFinite, None),
        _ => {}
    }
    match hint {
        b'.' => match go_float_starting_with_dot(text) {
            Some((x, decimal)) => {
                let note = text
                    .contains('_')
                    .then(|| number_note(text, "the number", &decimal));
                (Resolved::Float(x), note)
            }
            None => (Resolved::Str, None),
        },
        b'D' | b'S' => resolve_number(text),
        _ => (Resolved::Str, None),
    }
}

/// The `'D'`/`'S'` branch of go-yaml v2 `resolve`: underscores dropped, then
/// `strconv.ParseInt(plain, 0, 64)`, `ParseUint`, the `yamlStyleFloat`
/// regexp with `ParseFloat`, and the `0b`/`-0b` fallbacks.
fn resolve_number(text: &str) -> (Resolved, Option<NoteKind>) {
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    let underscores = plain.len() != text.len();
    let digits = plain.strip_prefix(['+', '-']).unwrap_or(&plain);
    let radix = match digits.as_bytes() {
        [b'0', b'x' | b'X', ..] => Some("the hexadecimal number"),
        [b'0', b'o' | b'O', ..] => Some("the octal number"),
        [b'0', b'b' | b'B', ..] => Some("the binary number"),
        [b'0', _, ..] => Some("the octal number"),
        _ if underscores => Some("the number"),
        _ => None,
    };
    let int_note =
        |value: &dyn fmt::Display| radix.map(|reading| number_note(text, reading, value));
    if let Ok(i) = go_parse_int(&plain, 0) {
        return (Resolved::Int(i), int_note(&i));
    }
    let unsigned = go_parse_uint(&plain, 0);
    if let Ok(u) = unsigned {
        return (Resolved::Uint(u), int_note(&u));
    }
    if is_yaml_style_float(&plain) {
        if let Some((x, decimal)) = parse_float(&plain) {
            let leading_zero = matches!(digits.as_bytes(), [b'0', b'0'..=b'9', ..]);
            let note =
                (leading_zero || underscores).then(|| number_note(text, "the number", &decimal));
            return (Resolved::Float(x), note);
        }
    }
    let binary = |value: &dyn fmt::Display| Some(number_note(text, "the binary number", value));
    if let Some(rest) = plain.strip_prefix("0b") {
        if let Ok(i) = go_parse_int(rest, 2) {
            return (Resolved::Int(i), binary(&i));
        }
        if let Ok(u) = go_parse_uint(rest, 2) {
            return (Resolved::Uint(u), binary(&u));
        }
    } else if let Some(rest) = plain.strip_prefix("-0b") {
        if let Ok(i) = go_parse_int(&format!("-{rest}"), 2) {
            return (Resolved::Int(i), binary(&i));
        }
    }
    if unsigned == Err(NumError::Range) {
        return (Resolved::BigInt, None);
    }
    (Resolved::Str, None)
}

fn number_note(text: &str, reading: &str, value: &dyn fmt::Display) -> NoteKind {
    NoteKind::Number {
        text: text.to_string(),
        reading: format!("{reading} {value}"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumError {
    Syntax,
    Range,
}

/// Go `strconv.ParseUint(s, base, 64)` for base 0 (prefixes `0x`, `0o`,
/// `0b`, and `0` for octal) or an explicit base; `s` has no underscores.
fn go_parse_uint(s: &str, base: u32) -> Result<u64, NumError> {
    if s.is_empty() {
        return Err(NumError::Syntax);
    }
    let (base, digits) = if base == 0 {
        let lower = s.as_bytes().get(1).map(u8::to_ascii_lowercase);
        match (s.as_bytes().first(), lower) {
            (Some(b'0'), Some(b'b')) if s.len() >= 3 => (2, s.get(2..).unwrap_or_default()),
            (Some(b'0'), Some(b'o')) if s.len() >= 3 => (8, s.get(2..).unwrap_or_default()),
            (Some(b'0'), Some(b'x')) if s.len() >= 3 => (16, s.get(2..).unwrap_or_default()),
            (Some(b'0'), _) => (8, s.get(1..).unwrap_or_default()),
            _ => (10, s),
        }
    } else {
        (base, s)
    };
    let mut n: u64 = 0;
    let mut overflow = false;
    for b in digits.bytes() {
        let digit = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'a'..=b'z' => u32::from(b - b'a') + 10,
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return Err(NumError::Syntax),
        };
        if digit >= base {
            return Err(NumError::Syntax);
        }
        match n
            .checked_mul(u64::from(base))
            .and_then(|n| n.checked_add(u64::from(digit)))
        {
            Some(next) => n = next,
            None => overflow = true,
        }
    }
    if overflow {
        Err(NumError::Range)
    } else {
        Ok(n)
    }
}

/// Go `strconv.ParseInt(s, base, 64)`: an optional sign, then `ParseUint`.
fn go_parse_int(s: &str, base: u32) -> Result<i64, NumError> {
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'+') => (false, s.get(1..).unwrap_or_default()),
        Some(b'-') => (true, s.get(1..).unwrap_or_default()),
        _ => (false, s),
    };
    let magnitude = go_parse_uint(rest, base)?;
    if negative {
        0i64.checked_sub_unsigned(magnitude).ok_or(NumError::Range)
    } else {
        i64::try_from(magnitude).map_err(|_| NumError::Range)
    }
}

/// go-yaml v2's `yamlStyleFloat`:
/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let digits_from = |i: usize| {
        b.get(i..)
            .map_or(0, |t| t.iter().take_while(|c| c.is_ascii_digit()).count())
    };
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    if b.get(i) == Some(&b'.') {
        let n = digits_from(i + 1);
        if n == 0 {
            return false;
        }
        i += 1 + n;
    } else {
        let n = digits_from(i);
        if n == 0 {
            return false;
        }
        i += n;
        if b.get(i) == Some(&b'.') {
            i += 1;
            i += digits_from(i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let n = digits_from(i);
        if n == 0 {
            return false;
        }
        i += n;
    }
    i == b.len()
}

/// Go `strconv.ParseFloat` on a scalar starting with `.` (the `'.'` hint):
/// the only form it accepts is `.digits[e[sign]digits]`, with single
/// underscores between digits; out of range is an error, hence a string.
fn go_float_starting_with_dot(s: &str) -> Option<(f64, String)> {
    let b = s.as_bytes();
    let digits = |mut i: usize| -> Option<usize> {
        if !b.get(i)?.is_ascii_digit() {
            return None;
        }
        i += 1;
        loop {
            match (b.get(i), b.get(i + 1)) {
                (Some(c), _) if c.is_ascii_digit() => i += 1,
                (Some(b'_'), Some(c)) if c.is_ascii_digit() => i += 2,
                _ => return Some(i),
            }
        }
    };
    let mut i = digits(1)?;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = digits(i)?;
    }
    if i != b.len() {
        return None;
    }
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    parse_float(&plain)
}

/// Go `strconv.ParseFloat` on a text of the float grammar above
/// (underscores gone): the value, and the text as a JSON number, which is
/// also how a note shows it. miniserde's parser reads it: the binary then
/// carries one float parser and no float printer. Out of range (infinite)
/// is an error, as in Go.
fn parse_float(plain: &str) -> Option<(f64, String)> {
    let (sign, unsigned) = match plain.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", plain.strip_prefix('+').unwrap_or(plain)),
    };
    let (mantissa, exponent) = unsigned
        .split_once(['e', 'E'])
        .map_or((unsigned, None), |(m, e)| (m, Some(e)));
    let (int, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let int = match int.trim_start_matches('0') {
        "" => "0",
        digits => digits,
    };
    let fraction = if fraction.is_empty() { "0" } else { fraction };
    let mut decimal = format!("{sign}{int}.{fraction}");
    if let Some(exponent) = exponent {
        decimal.push('e');
        decimal.push_str(exponent);
    }
    let x = miniserde::json::from_str::<f64>(&decimal)
        .ok()
        .filter(|x| x.is_finite())?;
    Some((x, decimal))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> String {
        miniserde::json::to_string(&parse(text).unwrap_or_else(|e| panic!("{e}: {text:?}")))
    }

    fn refusal(text: &str) -> YamlError {
        match parse(text) {
            Ok(v) => panic!("accepted {text:?} as {v:?}"),
            Err(e) => e,
        }
    }

    fn refuses(text: &str, line: usize, column: usize, kind: YamlErrorKind) {
        assert_eq!(refusal(text), YamlError { line, column, kind }, "{text:?}");
    }

    #[test]
    fn reads_the_readme_example_as_the_json_it_mirrors() {
        let json_text = r#"{
  "apiVersion": "kubelet.config.k8s.io/v1",
  "kind": "CredentialProviderConfig",
  "providers": [
    {
      "name": "generic-credential-provider",
      "matchImages": ["registry.example.org", "registry.example.org:5000", "*.example.com", "docker.io"],
      "defaultCacheDuration": "5m",
      "apiVersion": "credentialprovider.kubelet.k8s.io/v1",
      "args": ["--credroot", "/etc/kubernetes/registries"]
    }
  ]
}"#;
        let yaml_text = r#"apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
  - name: generic-credential-provider
    matchImages: ["registry.example.org", "registry.example.org:5000", "*.example.com", "docker.io"]
    defaultCacheDuration: "5m"
    apiVersion: credentialprovider.kubelet.k8s.io/v1
    args: ["--credroot", "/etc/kubernetes/registries"]
"#;
        let from_json: Value = miniserde::json::from_str(json_text).unwrap();
        let expected = miniserde::json::to_string(&from_json);
        assert_eq!(json(yaml_text), expected);
        // The JSON text itself is YAML too, and reads the same.
        assert_eq!(json(json_text), expected);
    }

    #[test]
    fn reads_the_block_style_most_configs_use() {
        let text = "\
# Written by an image builder.
---
apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
- name: ecr-credential-provider
  matchImages:
  - \"*.dkr.ecr.*.amazonaws.com\"
  - '*.dkr.ecr.*.amazonaws.com.cn'
  defaultCacheDuration: 12h
  apiVersion: credentialprovider.kubelet.k8s.io/v1
  args:
    - --credroot
    - /etc/kubernetes/registries
  env:
  - name: AWS_PROFILE
    value: temp-profile
  tokenAttributes:
    serviceAccountTokenAudience: my-audience
    cacheType: ServiceAccount
    requireServiceAccount: true
    requiredServiceAccountAnnotationKeys: [example.com/identity]
...
";
        assert_eq!(
            json(text),
            r#"{"apiVersion":"kubelet.config.k8s.io/v1","kind":"CredentialProviderConfig","providers":[{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","args":["--credroot","/etc/kubernetes/registries"],"defaultCacheDuration":"12h","env":[{"name":"AWS_PROFILE","value":"temp-profile"}],"matchImages":["*.dkr.ecr.*.amazonaws.com","*.dkr.ecr.*.amazonaws.com.cn"],"name":"ecr-credential-provider","tokenAttributes":{"cacheType":"ServiceAccount","requireServiceAccount":true,"requiredServiceAccountAnnotationKeys":["example.com/identity"],"serviceAccountTokenAudience":"my-audience"}}]}"#
        );
    }

    #[test]
    fn reads_nested_and_compact_collections() {
        assert_eq!(json("- - a\n  - b\n- c\n"), r#"[["a","b"],"c"]"#);
        assert_eq!(
            json("- a:\n  - x\n- b: 1\n  c: 2\n"),
            r#"[{"a":["x"]},{"b":1,"c":2}]"#
        );
        assert_eq!(
            json("a:\n  b:\n    c: d\ne: f\n"),
            r#"{"a":{"b":{"c":"d"}},"e":"f"}"#
        );
        assert_eq!(
            json("a:\n  value on the next line\n"),
            r#"{"a":"value on the next line"}"#
        );
        assert_eq!(json("-\n  a\n-\n- b\n"), r#"["a",null,"b"]"#);
        assert_eq!(json("  a: 1\n  b: 2\n"), r#"{"a":1,"b":2}"#);
        assert_eq!(json("a b: c d\n"), r#"{"a b":"c d"}"#);
        assert_eq!(json("\"quoted key\" : 'v'\n"), r#"{"quoted key":"v"}"#);
    }

    #[test]
    fn reads_flow_collections_of_scalars_and_of_collections() {
        assert_eq!(
            json("[a, \"b\", 'c', 1, true, ~]"),
            r#"["a","b","c",1,true,null]"#
        );
        assert_eq!(
            json("{a: b, \"c\": [d], e: {f: g}}"),
            r#"{"a":"b","c":["d"],"e":{"f":"g"}}"#
        );
        assert_eq!(json("k: [a, b,]\n"), r#"{"k":["a","b"]}"#);
        assert_eq!(json("k: []\nl: {}\n"), r#"{"k":[],"l":{}}"#);
        assert_eq!(json("k: {a: , b: c}\n"), r#"{"k":{"a":null,"b":"c"}}"#);
        assert_eq!(json("{\"a\":1,\"b\":[-2,3.5]}"), r#"{"a":1,"b":[-2,3.5]}"#);
        assert_eq!(json("k: [a b, c\td]\n"), r#"{"k":["a b","c\td"]}"#);
        // go-yaml v2.4.0 keeps a ':' not followed by a blank in the scalar.
        assert_eq!(
            json("[registry.example.org:5000, http://a.example/x, x:]"),
            r#"["registry.example.org:5000","http://a.example/x","x:"]"#
        );
        assert_eq!(json("{k: a:b}"), r#"{"k":"a:b"}"#);
        assert_eq!(
            json("k: [\n    a,  # first\n    b\n  ]\nl: 1\n"),
            r#"{"k":["a","b"],"l":1}"#
        );
    }

    #[test]
    fn reads_quoted_scalars_with_their_escapes() {
        assert_eq!(json("'it''s # not a comment'"), r#""it's # not a comment""#);
        assert_eq!(
            json(r#""\" \\ \t \n \x41 \u00e9 \U0001F600 \' \e \0 \ ""#),
            "\"\\\" \\\\ \\t \\n A \u{e9} \u{1f600} ' \\u001b \\u0000  \""
        );
        assert_eq!(json("\"a: b\""), r#""a: b""#);
        assert_eq!(json("k: \"\"\n"), r#"{"k":""}"#);
    }

    #[test]
    fn resolves_plain_scalars_as_go_yaml_v2_does() {
        let cases = [
            ("true", "true"),
            ("True", "true"),
            ("FALSE", "false"),
            ("yes", "true"),
            ("Yes", "true"),
            ("on", "true"),
            ("ON", "true"),
            ("y", "true"),
            ("Y", "true"),
            ("no", "false"),
            ("off", "false"),
            ("n", "false"),
            ("N", "false"),
            ("yES", "\"yES\""),
            ("oN", "\"oN\""),
            ("~", "null"),
            ("null", "null"),
            ("Null", "null"),
            ("NULL", "null"),
            ("nULL", "\"nULL\""),
            ("", "null"),
            ("5m", "\"5m\""),
            ("1h30m", "\"1h30m\""),
            ("0", "0"),
            ("-0", "0"),
            ("10", "10"),
            ("+10", "10"),
            ("-10", "-10"),
            ("1.0", "1.0"),
            ("1.", "1.0"),
            (".5", "0.5"),
            ("-.5", "-0.5"),
            ("1e3", "1000.0"),
            ("0755", "493"),
            ("0o17", "15"),
            ("0x1F", "31"),
            ("0b101", "5"),
            ("-0b101", "-5"),
            ("0b+1", "1"),
            ("1_000", "1000"),
            (".5_5", "0.55"),
            ("08", "8.0"),
            ("0x", "\"0x\""),
            ("1:30", "\"1:30\""),
            ("2001-12-14", "\"2001-12-14\""),
            ("9223372036854775807", "9223372036854775807"),
            ("9223372036854775808", "9223372036854775808"),
            ("-9223372036854775808", "-9223372036854775808"),
            ("18446744073709551616", "1.8446744073709552e+19"),
            ("1e400", "\"1e400\""),
            ("+", "\"+\""),
            ("_1", "\"_1\""),
            ("-_1", "-1"),
            ("<<", "\"<<\""),
            ("docker.io", "\"docker.io\""),
            ("--credroot", "\"--credroot\""),
            ("http://a.example/x", "\"http://a.example/x\""),
            ("a#b", "\"a#b\""),
        ];
        for (text, expected) in cases {
            assert_eq!(
                json(&format!("k: {text}\n")),
                format!("{{\"k\":{expected}}}"),
                "{text:?}"
            );
        }
        for text in ["'on'", "\"yes\"", "'1.0'", "\"~\"", "'0755'"] {
            let v = parse(&format!("k: {text}\n")).unwrap();
            let Value::Object(o) = v else { panic!() };
            assert!(matches!(o.get("k"), Some(Value::String(_))), "{text}");
        }
    }

    #[test]
    fn notes_the_scalars_the_kubelet_reads_differently_from_how_they_look() {
        let (_, notes) = parse_with_notes(
            "a: on\nb: 'on'\nc: 0755\nd: 0x10\ne: 1_000\nf: true\ng: 5m\nh: 10\ni: Off\n",
        )
        .unwrap();
        let lines: Vec<String> = notes.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "line 1: plain \"on\" is read as the boolean true; quote it if you meant a string",
                "line 3: plain \"0755\" is read as the octal number 493; quote it if you meant a string",
                "line 4: plain \"0x10\" is read as the hexadecimal number 16; quote it if you meant a string",
                "line 5: plain \"1_000\" is read as the number 1000; quote it if you meant a string",
                "line 9: plain \"Off\" is read as the boolean false; quote it if you meant a string",
            ]
        );
    }

    #[test]
    fn notes_a_float_by_its_decimal_reading() {
        let (v, notes) = parse_with_notes("a: 01.50\nb: 1_000.5e+1\nc: .5_5\nd: 1.5\n").unwrap();
        assert_eq!(
            miniserde::json::to_string(&v),
            r#"{"a":1.5,"b":10005.0,"c":0.55,"d":1.5}"#
        );
        let lines: Vec<String> = notes.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "line 1: plain \"01.50\" is read as the number 1.50; quote it if you meant a string",
                "line 2: plain \"1_000.5e+1\" is read as the number 1000.5e+1; quote it if you meant a string",
                "line 3: plain \".5_5\" is read as the number 0.55; quote it if you meant a string",
            ]
        );
    }

    #[test]
    fn names_where_each_noted_scalar_sits() {
        let (_, notes) = parse_with_notes(
            "providers:\n- name: x\n  args: [--a, on]\n  env:\n  - {name: A, value: yes}\n  - name: B\n    value: 0755\n  tokenAttributes:\n    requireServiceAccount: yes\n",
        )
        .unwrap();
        let paths: Vec<(usize, &str)> = notes.iter().map(|n| (n.line, n.path.as_str())).collect();
        assert_eq!(
            paths,
            [
                (3, "providers[0].args[1]"),
                (5, "providers[0].env[0].value"),
                (7, "providers[0].env[1].value"),
                (9, "providers[0].tokenAttributes.requireServiceAccount"),
            ]
        );
        let (_, notes) = parse_with_notes("a:\n  on: 1\n").unwrap();
        assert_eq!(notes[0].path, "a", "a key's note names its mapping");
        let deep = format!("{}: yes\n", "k".repeat(1000));
        let (_, notes) = parse_with_notes(&format!("a:\n  {deep}")).unwrap();
        assert!(notes[0].path.len() <= MAX_PATH_BYTES);
        let (_, notes) = parse_with_notes("on\n").unwrap();
        assert_eq!(notes[0].path, "", "the top node has no path");
    }

    #[test]
    fn converts_bool_and_int_keys_as_the_kubelet_does_and_notes_them() {
        let (v, notes) = parse_with_notes("on: 1\n0x1: 3\n2: 4\n").unwrap();
        assert_eq!(miniserde::json::to_string(&v), r#"{"1":3,"2":4,"true":1}"#);
        let lines: Vec<String> = notes.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "line 1: plain key \"on\" is read as the key \"true\"; quote it if you meant \"on\"",
                "line 2: plain key \"0x1\" is read as the key \"1\"; quote it if you meant \"0x1\"",
            ]
        );
        refuses(
            "on: 1\ntrue: 2\n",
            2,
            1,
            YamlErrorKind::DuplicateKey("true".into()),
        );
        refuses("~: 1\n", 1, 1, YamlErrorKind::NullKey);
        refuses("1.5: 1\n", 1, 1, YamlErrorKind::FloatKey);
        refuses(
            "18446744073709551615: 1\n",
            1,
            1,
            YamlErrorKind::KeyOutOfRange,
        );
        refuses("<<: {a: 1}\n", 1, 1, YamlErrorKind::MergeKey);
        assert_eq!(json("'<<': 1\n\"~\": 2\n"), r#"{"<<":1,"~":2}"#);
    }

    #[test]
    fn refuses_every_unsupported_feature_with_its_line_and_column() {
        use YamlErrorKind as K;
        refuses("a: &x 1\n", 1, 4, K::Anchor);
        refuses("a: 1\nb: *x\n", 2, 4, K::Alias);
        refuses("- *.example.com\n", 1, 3, K::Alias);
        refuses("a: !!str 1\n", 1, 4, K::Tag);
        refuses("a: |\n  text\n", 1, 4, K::BlockScalar);
        refuses("a: >\n  text\n", 1, 4, K::BlockScalar);
        refuses("%YAML 1.2\n---\na: 1\n", 1, 1, K::Directive);
        refuses("a: 1\n---\nb: 2\n", 2, 1, K::SecondDocument);
        refuses("---\n---\n", 2, 1, K::SecondDocument);
        refuses("a: 1\n...\nb: 2\n", 3, 1, K::AfterDocumentEnd);
        refuses("--- a: 1\n", 1, 5, K::ContentOnDocumentMarker);
        refuses("? a\n: b\n", 1, 1, K::ComplexKey);
        refuses("[a]: b\n", 1, 4, K::ComplexKey);
        refuses("{[a]: b}\n", 1, 2, K::ComplexKey);
        refuses(": b\n", 1, 1, K::MissingKey);
        refuses("a: 1\nb: 2\na: 3\n", 3, 1, K::DuplicateKey("a".into()));
        refuses("{a: 1, a: 2}\n", 1, 8, K::DuplicateKey("a".into()));
        refuses("a:\n\tb: 1\n", 2, 1, K::Tab);
        refuses("a:\tb\n", 1, 3, K::Tab);
        refuses("- \tb\n", 1, 3, K::Tab);
        refuses("a: b\n  c\n", 2, 3, K::Indentation);
        refuses("a:\n    b: 1\n  c: 2\n", 3, 3, K::Indentation);
        refuses("  a: 1\nb: 2\n", 2, 1, K::Indentation);
        refuses("a: 'x\n  y'\n", 1, 4, K::MultiLineQuoted);
        refuses("a: \"x\\\n  y\"\n", 1, 6, K::MultiLineQuoted);
        refuses("a: [x\n  y]\n", 2, 3, K::MultiLineScalar);
        refuses("a: b: c\n", 1, 5, K::MappingValueInValue);
        refuses("a: - b\n", 1, 4, K::BlockEntryNotAllowed);
        refuses("a: 1\n- b\n", 2, 1, K::SequenceInMapping);
        refuses("a: 1\nb\n", 2, 1, K::ExpectedKey);
        refuses("[a: b]\n", 1, 3, K::PairInFlowSequence);
        refuses("{a, b: c}\n", 1, 2, K::FlowEntryWithoutValue);
        refuses("[a,,b]\n", 1, 4, K::EmptyFlowEntry);
        refuses("{a:1}\n", 1, 2, K::FlowEntryWithoutValue);
        refuses("# c\n...\n", 2, 1, K::DocumentEndFirst);
        refuses("[a?b]\n", 1, 3, K::PlainQuestionInFlow);
        refuses("a: \"b\"# c\n", 1, 7, K::CommentWithoutSpace);
        refuses("a: \"b\" c\n", 1, 8, K::TextAfterValue);
        refuses("a: [b, c\n", 1, 4, K::UnterminatedFlow);
        refuses("[a\n---\n]\n", 2, 1, K::DocumentMarkerInFlow);
        refuses("a: [b,\nc]\n", 2, 1, K::FlowIndentation);
        refuses("{\"a\"\n: 1}\n", 1, 2, K::KeyColonOnNextLine);
        refuses("a: \"\\q\"\n", 1, 5, K::UnknownEscape);
        refuses("a: \"\\/\"\n", 1, 5, K::SlashEscape);
        refuses("a: \"\\x4\"\n", 1, 5, K::HexEscape);
        refuses("a: \"\\ud83d\\ude00\"\n", 1, 5, K::InvalidCodePoint);
        refuses("a: .inf\n", 1, 4, K::NonFinite);
        refuses("a: [-.INF]\n", 1, 5, K::NonFinite);
        refuses("a: 0x10000000000000000\n", 1, 4, K::IntegerOutOfRange);
        refuses("a: @b\n", 1, 4, K::Reserved('@'));
        refuses("a: [:b]\n", 1, 5, K::Reserved(':'));
        refuses("a: ]\n", 1, 4, K::UnexpectedIndicator(']'));
        refuses("a: 1\r2\n", 1, 5, K::CarriageReturn);
        refuses("a: \u{2028}\n", 1, 4, K::LineSeparator);
        refuses("a: \u{7f}\n", 1, 4, K::NotPrintable);
        refuses("a: \u{1}\n", 1, 4, K::NotPrintable);
        refuses("a: b\n\u{feff}c: d\n", 2, 1, K::ByteOrderMark);
        refuses(&format!("{}: 1\n", "k".repeat(1025)), 1, 1, K::LongKey);
        assert!(parse(&format!("{}: 1\n", "k".repeat(1024))).is_ok());
    }

    #[test]
    fn accepts_the_near_neighbour_of_every_refusal() {
        use YamlErrorKind as K;
        let long_key = |n: usize| format!("{}: 1\n", "k".repeat(n));
        let pairs: Vec<(K, String, String)> = [
            (K::Anchor, "a: &x 1", "a: x&1"),
            (K::Alias, "- *.example.com", "- \"*.example.com\""),
            (K::Tag, "a: !!str 1", "a: 'a!b'"),
            (K::BlockScalar, "a: |\n  t", "a: 'x|y'"),
            (K::Directive, "%YAML 1.2\n---\na: 1", "---\na: 1"),
            (K::SecondDocument, "a: 1\n---\nb: 2", "---\na: 1"),
            (K::AfterDocumentEnd, "a: 1\n...\nb: 2", "a: 1\n...\n# c"),
            (K::ContentOnDocumentMarker, "--- a: 1", "--- # c\na: 1"),
            (K::ComplexKey, "? a\n: b", "'? a': b"),
            (K::MissingKey, ": b", "'': b"),
            (K::DuplicateKey("a".into()), "a: 1\na: 2", "a: 1\nb: 2"),
            (K::MergeKey, "<<: {a: 1}", "'<<': {a: 1}"),
            (K::NullKey, "~: 1", "'~': 1"),
            (K::FloatKey, "1.5: 1", "'1.5': 1"),
            (
                K::KeyOutOfRange,
                "18446744073709551615: 1",
                "9223372036854775807: 1",
            ),
            (K::MultiLineScalar, "a: [x\n  y]", "a: [x,\n  y]"),
            (K::MultiLineQuoted, "a: 'x\n  y'", "a: 'x y'"),
            (K::Indentation, "a: b\n  c", "a: b\nc: d"),
            (K::UnknownEscape, "\"\\q\"", "'\\q'"),
            (K::SlashEscape, "\"\\/\"", "\"/\""),
            (K::HexEscape, "\"\\x4\"", "\"\\x41\""),
            (K::InvalidCodePoint, "\"\\ud83d\"", "\"\\U0001F600\""),
            (K::NonFinite, "a: .inf", "a: '.inf'"),
            (
                K::IntegerOutOfRange,
                "a: 0x10000000000000000",
                "a: 0xFFFFFFFFFFFFFFFF",
            ),
            (K::BlockEntryNotAllowed, "a: - b", "a:\n- b"),
            (K::SequenceInMapping, "a: 1\n- b", "a:\n- b"),
            (K::ExpectedKey, "a: 1\nb", "a: 1\nb:"),
            (K::MappingValueInValue, "a: b: c", "a: 'b: c'"),
            (K::PairInFlowSequence, "[a: b]", "[{a: b}]"),
            (K::FlowEntryWithoutValue, "{a, b: c}", "{a: , b: c}"),
            (K::EmptyFlowEntry, "[a,,b]", "[a,b,]"),
            (K::KeyColonOnNextLine, "{\"a\"\n: 1}", "{\"a\":\n 1}"),
            (K::DocumentEndFirst, "...", "---\n..."),
            (K::PlainQuestionInFlow, "[a?b]", "['a?b', c]"),
            (K::CommentWithoutSpace, "a: \"b\"# c", "a: \"b\" # c"),
            (K::TextAfterValue, "a: \"b\" c", "a: \"b c\""),
            (K::UnterminatedFlow, "a: [b, c", "a: [b, c]"),
            (K::DocumentMarkerInFlow, "[a,\n---\n]", "[a,\n---x]"),
            (K::FlowIndentation, "a: [b,\nc]", "a: [b,\n c]"),
            (K::Tab, "a:\n\tb: 1", "a: \"\tb\""),
            (K::Reserved('@'), "a: @b", "a: b@c"),
            (K::UnexpectedIndicator(']'), "a: ]", "a: b]"),
            (K::CarriageReturn, "a: 1\r2", "a: 1\r\n"),
            (K::LineSeparator, "a: \u{2028}", "a: \"\\L\""),
            (K::NotPrintable, "a: \u{7f}", "a: \"\\x7f\""),
            (K::ByteOrderMark, "a: b\n\u{feff}c: d", "\u{feff}a: b"),
        ]
        .into_iter()
        .map(|(k, r, a)| (k, r.to_string(), a.to_string()))
        .chain([(
            K::LongKey,
            long_key(MAX_KEY_CHARS + 1),
            long_key(MAX_KEY_CHARS),
        )])
        .collect();
        for (kind, refused, accepted) in pairs {
            assert_eq!(refusal(&refused).kind, kind, "{refused:?}");
            assert!(
                parse(&accepted).is_ok(),
                "{kind:?}: {accepted:?}: {:?}",
                parse(&accepted)
            );
        }
    }

    #[test]
    fn reads_json_texts_as_the_json_path_does() {
        let texts = [
            "null",
            " true ",
            "\"a\\u0000b\\\"\"",
            "[0, -0, 1, -1, 1.5, -2.5e-3, 1E5, 0.0e1]",
            "[18446744073709551615, 18446744073709551616, -9223372036854775808, -9223372036854775809]",
            "{\"\": [], \"a b\": {}, \"#\": \"# not a comment\", \"k: v\": [null]}",
            "{\n\t\"apiVersion\": \"v1\",\r\n\t\"list\": [\n\t\t1,\n\t\t2\n\t]\n}",
            "[[[[]]], {\"a\": {\"b\": {\"c\": []}}}]",
            "\"\\ud7ff \\ue000 \\u00e9 \\t \\\\\"",
        ];
        for text in texts {
            let from_json: Value = miniserde::json::from_str(text).unwrap();
            assert_eq!(
                json(text),
                miniserde::json::to_string(&from_json),
                "{text:?}"
            );
        }
    }

    #[test]
    fn counts_lines_and_columns_across_crlf_and_multibyte_characters() {
        let (_, notes) = parse_with_notes("# é\r\na: 1\r\nb: yes\r\n").unwrap();
        assert_eq!(notes.iter().map(|n| n.line).collect::<Vec<_>>(), [3]);
        let e = refusal("a: 1\r\nb: \"é\" x\r\n");
        assert_eq!(
            (e.line, e.column, e.kind),
            (2, 8, YamlErrorKind::TextAfterValue)
        );
    }

    #[test]
    fn keeps_at_most_the_maximum_number_of_notes() {
        let text = "- yes\n".repeat(MAX_NOTES * 2);
        let (value, notes) = parse_with_notes(&text).unwrap();
        assert_eq!(notes.len(), MAX_NOTES);
        let Value::Array(items) = value else { panic!() };
        assert_eq!(items.len(), MAX_NOTES * 2);
    }

    #[test]
    fn accepts_comments_wherever_yaml_allows_them() {
        let text = "\
# top
a: 1 # after a value
# between entries
b: # after a key
  # before a nested entry
  c: 'x' # after a quoted value
d:
# at the key's indentation, before its list
- e # after an item
-   # an empty item
  # inside
- [f, # inside a flow collection
   g] # after it
#no space needed at a line start
";
        assert_eq!(
            json(text),
            r#"{"a":1,"b":{"c":"x"},"d":["e",null,["f","g"]]}"#
        );
        assert_eq!(json("a: b#c\n"), r#"{"a":"b#c"}"#);
    }

    #[test]
    fn refuses_duplicate_keys_and_accepts_distinct_ones() {
        refuses(
            "a:\n  x: 1\n  x: 2\n",
            3,
            3,
            YamlErrorKind::DuplicateKey("x".into()),
        );
        refuses(
            "'a': 1\na: 2\n",
            2,
            1,
            YamlErrorKind::DuplicateKey("a".into()),
        );
        refuses(
            "1: a\n\"1\": b\n",
            2,
            1,
            YamlErrorKind::DuplicateKey("1".into()),
        );
        assert_eq!(
            json("a:\n  x: 1\nb:\n  x: 2\n"),
            r#"{"a":{"x":1},"b":{"x":2}}"#
        );
    }

    #[test]
    fn refuses_tabs_where_yaml_needs_spaces_and_accepts_them_as_separation() {
        refuses("a:\n  \tb: 1\n", 2, 3, YamlErrorKind::Tab);
        refuses("\t\n", 1, 1, YamlErrorKind::Tab);
        refuses("a:\tb\n", 1, 3, YamlErrorKind::Tab);
        refuses("-\tb\n", 1, 2, YamlErrorKind::Tab);
        assert_eq!(json("a: \"x\ty\" # tab\there\n"), r#"{"a":"x\ty"}"#);
        assert_eq!(json("{\n\t\"a\":\t1\n}\n"), r#"{"a":1}"#);
        assert_eq!(json("a\t: b\tc\t# comment\n"), r#"{"a":"b\tc"}"#);
        assert_eq!(json("--- \t# c\n'k'\t: [x]\t\n"), r#"{"k":["x"]}"#);
    }

    #[test]
    fn reads_plain_scalars_starting_with_question_or_colon_in_block_context_only() {
        assert_eq!(json("?a: :b\n"), r#"{"?a":":b"}"#);
        refuses("[?a]\n", 1, 2, YamlErrorKind::Reserved('?'));
        refuses("{k: :b}\n", 1, 5, YamlErrorKind::Reserved(':'));
    }

    #[test]
    fn limits_nesting_to_the_maximum_depth() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse(&deep(MAX_DEPTH)).is_ok());
        assert_eq!(refusal(&deep(MAX_DEPTH + 1)).kind, YamlErrorKind::TooDeep);
        let block = |n: usize| {
            (0..n)
                .map(|i| format!("{}k:\n", " ".repeat(i)))
                .collect::<String>()
        };
        assert!(parse(&block(MAX_DEPTH)).is_ok());
        assert_eq!(refusal(&block(MAX_DEPTH + 1)).kind, YamlErrorKind::TooDeep);
        let dashes = |n: usize| format!("{}x\n", "- ".repeat(n));
        assert!(parse(&dashes(MAX_DEPTH)).is_ok());
        assert_eq!(refusal(&dashes(MAX_DEPTH + 1)).kind, YamlErrorKind::TooDeep);
    }

    #[test]
    fn reads_empty_documents_as_null() {
        for text in [
            "",
            "\n",
            "# only a comment\n",
            "---\n",
            "---\n...\n",
            "\u{feff}",
        ] {
            assert_eq!(json(text), "null", "{text:?}");
        }
        assert_eq!(json("\u{feff}a: 1\r\nb: 2\r\n"), r#"{"a":1,"b":2}"#);
    }

    #[test]
    fn refuses_input_over_the_size_limit_and_reads_large_inputs_fast() {
        let too_large = " ".repeat(MAX_INPUT_BYTES + 1);
        assert_eq!(refusal(&too_large).kind, YamlErrorKind::TooLarge);
        let started = std::time::Instant::now();
        let items = "- {a: [\"x\", 'y', 1.5, on], b: c}\n".repeat(MAX_INPUT_BYTES / 36);
        assert!(parse(&items).is_ok());
        let line = format!("[{}]", "a, ".repeat(MAX_INPUT_BYTES / 4));
        assert!(parse(&line).is_ok());
        let keys = (0..MAX_INPUT_BYTES / 16)
            .map(|i| format!("key{i}: value\n"))
            .collect::<String>();
        assert!(parse(&keys).is_ok());
        let comments = "#\n".repeat(MAX_INPUT_BYTES / 2);
        assert!(parse(&comments).is_ok());
        let spaces = format!("{}x", " ".repeat(MAX_INPUT_BYTES - 1));
        assert!(parse(&spaces).is_ok());
        let nested_lines = format!(
            "{}\n{}x",
            "- ".repeat(MAX_DEPTH),
            "\n".repeat(MAX_INPUT_BYTES / 2)
        );
        let _ = parse(&nested_lines);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn formats_errors_with_line_column_and_rule() {
        let e = refusal("a: 1\nb:\n    &x c\n");
        assert_eq!(
            e.to_string(),
            "line 3, column 5: anchors (&name) are not supported: write the value out"
        );
        let e = refusal("é: &x c\n");
        assert_eq!((e.line, e.column), (1, 4));
    }
}
