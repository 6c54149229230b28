//! Kubeconfig text in the plain block layout kubectl writes, read without the YAML parser.
//!
//! Profiled on issue 10's 10,000-user `add`, the YAML parser was 60 % of the time even with the
//! credentials lifted out of its way (`blobs`): it turns the 1.7 MB of names and placeholders
//! left into events, one character at a time, and the events into a tree through serde. kubectl
//! writes a small, regular part of YAML: block mappings and sequences indented by spaces, one
//! `key: value` a line, plain one-line values, `{}` and `[]`. This reads exactly that part, a
//! line at a time, into the tree the YAML parser gives, and gives up (`None`) at the first line
//! outside it, for the caller to parse the text as YAML: quotes, other flow collections, anchors,
//! aliases, tags, block scalars, values over several lines, spaces inside a value, comments
//! after a value, tabs, CR line ends, a key written twice, document markers, non-ASCII text.
//!
//! Values are typed by the YAML parser itself: a plain value is taken as a string here only when
//! no YAML type can read it (it starts with a letter or `/`, and is not a short word that could
//! be `yes`, `off` or `null`); any other (`8443`, `true`, `-1`, `~`) is handed to the parser,
//! once per distinct text. Keys that are short words are checked the same way. Long base64
//! values inside entry bodies stay in the text as `blobs` placeholders, as after a lift.

use std::collections::HashMap;
use std::ops::Range;

use serde_json::{Map, Value};

use super::blobs::{self, Blobs, MARK};
use super::section::Section;

/// Deeper than any kubeconfig; past it the YAML parser (and its depth limit) decides.
const MAX_DEPTH: usize = 32;

/// The tree of `text` and where the values its placeholders stand for are, or `None` when the
/// text is not (only) kubectl's block layout.
pub(super) fn read(text: &str) -> Option<(Value, Blobs)> {
    let mut reader = Reader {
        lines: lines(text)?,
        next: 0,
        blobs: Vec::new(),
        typed: HashMap::new(),
        plain_keys: Vec::new(),
    };
    let first = reader.lines.first()?;
    if first.indent != 0 || first.text.starts_with("- ") {
        return None;
    }
    let root = reader.mapping(0, None, 0, Place::Root)?;
    if reader.next != reader.lines.len() {
        return None; // a line the structure does not explain, e.g. a stray `- item`
    }
    Some((root, Blobs::new(reader.blobs)))
}

/// A line that holds something: its indentation and what follows it.
struct Line<'a> {
    indent: usize,
    text: &'a str,
    /// Where `text` starts in the whole text.
    at: usize,
}

/// The lines with content; blank lines and whole-line comments say nothing. `None` for a
/// comment YAML might refuse (a control or non-ASCII character): the parser decides those.
fn lines(text: &str) -> Option<Vec<Line<'_>>> {
    let mut out = Vec::new();
    for (start, line) in super::lines::lines(text) {
        let content = line.trim_start_matches(' ');
        let indent = line.len() - content.len();
        if content.starts_with('#') {
            if !content.bytes().all(|b| (b' '..=b'~').contains(&b)) {
                return None;
            }
        } else if !content.is_empty() {
            out.push(Line {
                indent,
                text: content,
                at: start + indent,
            });
        }
    }
    Some(out)
}

/// Where a value sits, for what `blobs` leaves in the text: only inside an entry's body.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    Root,
    /// The value of a top-level `clusters`, `users` or `contexts`: its items' body key.
    List(&'static str),
    /// An item of such a list.
    Item(&'static str),
    Body,
    Other,
}

impl Place {
    /// Where the value of `key` sits, in a mapping that sits here.
    fn of_key(self, key: &str) -> Place {
        match self {
            Place::Root => Section::ALL
                .iter()
                .find(|s| s.list_key() == key)
                .map_or(Place::Other, |s| Place::List(s.item_key())),
            Place::Item(body) if key == body => Place::Body,
            Place::Body => Place::Body,
            _ => Place::Other,
        }
    }

    /// Where the items of a sequence that sits here sit.
    fn of_item(self) -> Place {
        match self {
            Place::List(body) => Place::Item(body),
            Place::Body => Place::Body,
            _ => Place::Other,
        }
    }
}

struct Reader<'a> {
    lines: Vec<Line<'a>>,
    next: usize,
    blobs: Vec<Range<usize>>,
    /// Plain values the YAML parser typed, by their text.
    typed: HashMap<&'a str, Value>,
    /// Short-word keys, and whether the YAML parser reads each as itself: a handful, asked for
    /// on nearly every line (`name`, `user`), so a list, not a hashed map.
    plain_keys: Vec<(&'a str, bool)>,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<&Line<'a>> {
        self.lines.get(self.next)
    }

    /// The next line's indentation, text and offset, not borrowed from `self`.
    fn peek_parts(&self) -> Option<(usize, &'a str, usize)> {
        self.peek().map(|line| (line.indent, line.text, line.at))
    }

    /// A block mapping whose keys are at `indent`; `first` is its first entry when that sits on
    /// a sequence item's line (`- name: a`).
    fn mapping(
        &mut self,
        indent: usize,
        mut first: Option<(&'a str, usize)>,
        depth: usize,
        place: Place,
    ) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut map = Map::new();
        loop {
            let (text, at) = match first.take() {
                Some(entry) => entry,
                None => match self.peek_parts() {
                    Some((i, text, at)) if i == indent && !text.starts_with("- ") => {
                        self.next += 1;
                        (text, at)
                    }
                    Some((i, ..)) if i > indent => return None,
                    _ => break,
                },
            };
            let (key, rest) = split_entry(text)?;
            if !self.plain_key(key) {
                return None;
            }
            let inner = place.of_key(key);
            let value = match rest {
                "" => self.block_value(indent, depth, inner)?,
                _ => {
                    let value = rest.strip_prefix(' ')?;
                    self.scalar(value, at + key.len() + 2, inner)?
                }
            };
            let before = map.len();
            map.insert(key.to_string(), value);
            if map.len() == before {
                return None; // a key written twice: the parser says what that means
            }
        }
        Some(Value::Object(map))
    }

    /// What follows `key:` with nothing after it: a deeper block, a sequence at the key's own
    /// indentation (kubectl's layout), or nothing (null).
    fn block_value(&mut self, indent: usize, depth: usize, place: Place) -> Option<Value> {
        match self.peek_parts() {
            Some((inner, text, _)) if inner > indent => match text.starts_with("- ") {
                true => self.sequence(inner, depth + 1, place),
                false => self.mapping(inner, None, depth + 1, place),
            },
            Some((i, text, _)) if i == indent && text.starts_with("- ") => {
                self.sequence(indent, depth + 1, place)
            }
            _ => Some(Value::Null),
        }
    }

    /// A block sequence whose `- ` are at `indent`.
    fn sequence(&mut self, indent: usize, depth: usize, place: Place) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let inner = place.of_item();
        let mut items = Vec::new();
        while let Some((i, text, at)) = self.peek_parts() {
            if i != indent || !text.starts_with("- ") {
                if i > indent {
                    return None;
                }
                break;
            }
            self.next += 1;
            let (text, at) = (&text[2..], at + 2);
            if text.starts_with(' ') || text.starts_with("- ") || text == "-" {
                return None; // `-  x`, `- - x`: other layouts
            }
            let item = match split_entry(text) {
                Some(_) => self.mapping(indent + 2, Some((text, at)), depth + 1, inner)?,
                None => {
                    let value = self.scalar(text, at, inner)?;
                    if self.peek().is_some_and(|next| next.indent > indent) {
                        return None; // the value goes on over the next line
                    }
                    value
                }
            };
            items.push(item);
        }
        Some(Value::Array(items))
    }

    /// A one-line value after `key: ` or `- `.
    fn scalar(&mut self, text: &'a str, at: usize, place: Place) -> Option<Value> {
        match text {
            "{}" => return Some(Value::Object(Map::new())),
            "[]" => return Some(Value::Array(Vec::new())),
            _ => {}
        }
        if blobs::is_long_base64(text.as_bytes()) {
            if place != Place::Body {
                return Some(Value::String(text.to_string()));
            }
            self.blobs.push(at..at + text.len());
            return Some(Value::String(blobs::placeholder_of(self.blobs.len() - 1)));
        }
        if text.is_empty() || !text.bytes().all(plain) || text.ends_with(':') || text.contains(MARK)
        {
            return None;
        }
        if certainly_string(text) {
            return Some(Value::String(text.to_string()));
        }
        if let Some(value) = self.typed.get(text) {
            return Some(value.clone());
        }
        // `k: VALUE` is the place the value was in: the parser's own reading, not ours.
        let Value::Object(mut doc) = super::yaml::from_str(&format!("k: {text}\n")).ok()? else {
            return None;
        };
        let value = doc
            .remove("k")
            .filter(|v| doc.is_empty() && !v.is_object() && !v.is_array())?;
        self.typed.insert(text, value.clone());
        Some(value)
    }

    /// Whether `key` is a plain key the YAML parser reads as itself.
    fn plain_key(&mut self, key: &'a str) -> bool {
        let mut bytes = key.bytes();
        let shaped = bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
            && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
            && !key.contains(MARK);
        if !shaped {
            return false;
        }
        if !short_word(key) {
            return true;
        }
        if let Some(&(_, itself)) = self.plain_keys.iter().find(|(k, _)| *k == key) {
            return itself;
        }
        let parsed = super::yaml::from_str(&format!("{key}: x\n")).ok();
        let itself = parsed
            .as_ref()
            .and_then(Value::as_object)
            .is_some_and(|doc| doc.len() == 1 && doc.get(key) == Some(&Value::from("x")));
        self.plain_keys.push((key, itself));
        itself
    }
}

/// `key:` or `key: rest` with a plain key, as (key, what follows the colon).
fn split_entry(text: &str) -> Option<(&str, &str)> {
    let colon = text.find(':')?;
    let (key, rest) = (&text[..colon], &text[colon + 1..]);
    let plain = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'));
    (plain && (rest.is_empty() || rest.starts_with(' '))).then_some((key, rest))
}

/// Characters a one-line plain value may have here: none that YAML gives a meaning to inside
/// or at the end of a value (no space, `#`, `,`, quotes, brackets), none outside ASCII.
fn plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/' | b':' | b'@' | b'+' | b'=')
}

/// No YAML type reads it: numbers start with a digit, a sign or a dot, and `null`, `~`, the
/// booleans (YAML 1.1's `y`, `on`, `off` too) are short words.
fn certainly_string(text: &str) -> bool {
    let first = text.as_bytes()[0];
    (first.is_ascii_alphabetic() || first == b'/') && !short_word(text)
}

/// Letters only, and at most five of them (`false` is the longest word YAML reads as a type).
fn short_word(text: &str) -> bool {
    text.len() <= 5 && text.bytes().all(|b| b.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests;
