//! The YAML parser reads a character at a time, and nearly all of a kubeconfig with embedded
//! credentials is base64 (`client-certificate-data: LS0tLS1CRUdJTi...`, 3 KiB a user): parsing
//! those runs cost `list` over 1,000 users most of its YAML time, and an `add` to a 38 MB file
//! most of its time. So each long base64 value that ends its line is swapped for a short
//! placeholder before the parse and put back after: at once outside the entry bodies, and inside
//! one when that entry is read (see `lazy_body`), so the values are held once, in the text.
//!
//! Why that cannot change the meaning: a placeholder is lifted only from `: ` followed by
//! base64 characters up to the end of the line, which YAML reads as a plain string that ends
//! there. Wherever the text means something else (a comment, a quoted or block string, a
//! continued line, an alias), the placeholder is not found as a whole value, or not exactly
//! once, and the caller parses the original text instead.

use std::fmt::Write;

use serde_json::Value;

use super::section::Section;

/// Shorter runs are not worth it, and a long run of base64 characters with a letter in it
/// cannot be a YAML number, boolean or null.
const MIN_LEN: usize = 64;
/// Short, because the parser reads every character of the 20,000 placeholders of a 10,000-user
/// file; a file that holds it anywhere is parsed as it is.
pub(super) const MARK: &str = "cu64_";

/// The text with its long base64 values replaced by `cu64_N`, and where
/// value N was in the original.
pub(super) struct Lifted<'a> {
    pub text: String,
    original: &'a str,
    blobs: Vec<std::ops::Range<usize>>,
}

/// `None` when there is nothing worth lifting, or the text already holds our placeholder mark.
pub(super) fn lift(original: &str) -> Option<Lifted<'_>> {
    if original.len() < 16 * MIN_LEN || original.contains(MARK) {
        return None;
    }
    let mut text = String::with_capacity(original.len() / 8);
    let mut blobs = Vec::new();
    let mut copied = 0;
    let mut start = 0;
    while start < original.len() {
        let end = original[start..]
            .find('\n')
            .map_or(original.len(), |i| start + i);
        if let Some(run) = base64_tail(&original[start..end]) {
            let run = start + run.start..start + run.end;
            text.push_str(&original[copied..run.start]);
            let _ = write!(text, "{MARK}{}", blobs.len());
            blobs.push(run.clone());
            copied = run.end;
        }
        start = end + 1;
    }
    if blobs.is_empty() {
        return None;
    }
    text.push_str(&original[copied..]);
    Some(Lifted {
        text,
        original,
        blobs,
    })
}

/// Which bytes are base64 characters: a table, since every byte of a 38 MB file is looked at.
const BASE64: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=');
        b += 1;
    }
    table
};

/// Where, in `line`, a long base64 value runs from just after `: ` to the end of the line.
fn base64_tail(line: &str) -> Option<std::ops::Range<usize>> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.len() < MIN_LEN + 2 {
        return None;
    }
    let bytes = line.as_bytes();
    let run = bytes
        .iter()
        .rev()
        .take_while(|&&b| BASE64[usize::from(b)])
        .count();
    let start = line.len() - run;
    let fits = bytes[..start].ends_with(b": ") && is_long_base64(&bytes[start..]);
    fits.then_some(start..line.len())
}

/// Whether a whole plain value is one we lift: long, all base64, and certain to be read as a
/// string (not a number: it has a letter other than an exponent's `e`; not YAML 1.1's `=` key).
pub(super) fn is_long_base64(value: &[u8]) -> bool {
    value.len() >= MIN_LEN
        && value[0] != b'='
        && all_base64(value)
        && value
            .iter()
            .any(|&b| b.is_ascii_alphabetic() && !matches!(b, b'e' | b'E'))
}

/// Every byte a base64 character. Branch-free within a fixed-size chunk, so the compiler checks
/// 16 bytes an instruction: nearly every byte of a big kubeconfig passes through here.
fn all_base64(bytes: &[u8]) -> bool {
    let base64 = |b: u8| {
        let lower = b | 0x20;
        lower.is_ascii_lowercase() | b.is_ascii_digit() | (b == b'+') | (b == b'/') | (b == b'=')
    };
    let all = |chunk: &[u8]| chunk.iter().fold(true, |all, &b| all & base64(b));
    let mut chunks = bytes.chunks_exact(32);
    chunks.all(all) && all(chunks.remainder())
}

/// The placeholder of lifted value `i`.
pub(super) fn placeholder_of(i: usize) -> String {
    format!("{MARK}{i}")
}

impl Lifted<'_> {
    /// Put the values back into the parsed tree, all but those inside the body of a named-list
    /// item (`users[i].user`, `clusters[i].cluster`, `contexts[i].context`): those placeholders
    /// stay, and [`Blobs`] says where their values are in the text. `None` if any placeholder
    /// was not found as a whole string value exactly once: the text meant something else there,
    /// and the caller must parse the original instead.
    pub fn restore(self, value: &mut Value) -> Option<Blobs> {
        let mut seen = vec![false; self.blobs.len()];
        let restored = match value {
            Value::Object(root) => root.iter_mut().all(|(key, value)| {
                let item_key = Section::ALL
                    .iter()
                    .find(|s| s.list_key() == key)
                    .map(|s| s.item_key());
                match (item_key, value) {
                    (Some(body_key), Value::Array(items)) => items.iter_mut().all(|item| {
                        let Value::Object(item) = item else {
                            return self.put_back(item, &mut seen, false);
                        };
                        item.iter_mut().all(|(k, v)| {
                            !k.contains(MARK) && self.put_back(v, &mut seen, k == body_key)
                        })
                    }),
                    (_, value) => !key.contains(MARK) && self.put_back(value, &mut seen, false),
                }
            }),
            other => self.put_back(other, &mut seen, false),
        };
        (restored && seen.iter().all(|&s| s)).then_some(Blobs { ranges: self.blobs })
    }

    /// Check every placeholder in `value` and, unless `keep`, put its value back.
    fn put_back(&self, value: &mut Value, seen: &mut [bool], keep: bool) -> bool {
        match value {
            Value::String(s) => {
                if !s.contains(MARK) {
                    return true;
                }
                let Some(i) = placeholder(s).filter(|&i| i < seen.len() && !seen[i]) else {
                    return false; // part of a longer string, or twice: not a plain value
                };
                seen[i] = true;
                if !keep {
                    *s = self.original[self.blobs[i].clone()].to_string();
                }
                true
            }
            Value::Array(items) => items.iter_mut().all(|v| self.put_back(v, seen, keep)),
            Value::Object(map) => {
                map.keys().all(|k| !k.contains(MARK))
                    && map.values_mut().all(|v| self.put_back(v, seen, keep))
            }
            _ => true,
        }
    }

    /// How many values were lifted (for tests).
    #[cfg(test)]
    pub fn count(&self) -> usize {
        self.blobs.len()
    }
}

/// The number N of a whole `cu64_N` placeholder.
fn placeholder(s: &str) -> Option<usize> {
    s.strip_prefix(MARK)?.parse().ok()
}

/// Where, in the text as read, the values whose placeholders a parsed tree still holds are: an
/// item body's credentials stay in the text (one copy of a 38 MB file, not two) until the body
/// is asked for.
#[derive(Clone, Debug, Default)]
pub(super) struct Blobs {
    ranges: Vec<std::ops::Range<usize>>,
}

impl Blobs {
    /// Where value N of `placeholder_of(N)` is in the text.
    pub fn new(ranges: Vec<std::ops::Range<usize>>) -> Blobs {
        Blobs { ranges }
    }

    /// Whether `value` holds a placeholder of ours.
    pub fn in_value(&self, value: &Value) -> bool {
        if self.ranges.is_empty() {
            return false;
        }
        match value {
            Value::String(s) => placeholder(s).is_some_and(|i| i < self.ranges.len()),
            Value::Array(items) => items.iter().any(|v| self.in_value(v)),
            Value::Object(map) => map.values().any(|v| self.in_value(v)),
            _ => false,
        }
    }

    /// `value` with every placeholder replaced by its value from `text` (the text these
    /// placeholders were lifted from).
    pub fn resolve(&self, text: &str, value: &mut Value) {
        match value {
            Value::String(s) => {
                if let Some(range) = placeholder(s).and_then(|i| self.ranges.get(i)) {
                    *s = text[range.clone()].to_string();
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.resolve(text, v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.resolve(text, v)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Value {
        serde_saphyr::from_str(text).unwrap()
    }

    /// Lifting must give exactly what parsing the original gives, or refuse.
    fn same_or_refused(text: &str) -> Option<usize> {
        let lifted = lift(text)?;
        let count = lifted.count();
        let mut value = parse(&lifted.text);
        let blobs = lifted.restore(&mut value)?;
        blobs.resolve(text, &mut value);
        assert_eq!(value, parse(text), "{text}");
        Some(count)
    }

    fn blob(seed: u8) -> String {
        let bytes: Vec<u8> = (0..1200u32)
            .map(|i| (i as u8).wrapping_mul(31) ^ seed)
            .collect();
        openssl::base64::encode_block(&bytes)
    }

    #[test]
    fn kubectl_layout_values_are_lifted_and_come_back_exactly() {
        let mut text = String::from("apiVersion: v1\nusers:\n");
        for i in 0..20 {
            text.push_str(&format!(
                "- name: u{i}\n  user:\n    client-certificate-data: {}\n    client-key-data: {}\r\n",
                blob(i),
                blob(i + 100)
            ));
        }
        assert_eq!(same_or_refused(&text), Some(40));
        let lifted = lift(&text).unwrap();
        assert!(lifted.text.len() < text.len() / 5, "{}", lifted.text.len());
    }

    #[test]
    fn where_the_text_means_something_else_the_original_is_parsed() {
        let b = blob(1);
        let filler = format!("x-filler: \"{}\"\n", "y".repeat(1100));
        for (text, lifted) in [
            // In a comment: the placeholder vanishes from the tree.
            (format!("{filler}# old: {b}\nk: v\n"), None),
            // Inside a literal block or a quoted string that goes on: part of a longer string.
            (format!("{filler}k: |\n  a: {b}\n"), None),
            (format!("{filler}k: \"a\n  b: {b}\"\n"), None),
            // A plain scalar continued on the next line.
            (format!("{filler}k: {b}\n  more\n"), None),
            // An alias repeats it: found twice.
            (format!("{filler}a: &x\n  k: {b}\nb: *x\n"), None),
            // Plain, in block and flow style alike.
            (format!("{filler}k: {b}\n"), Some(1)),
        ] {
            assert_eq!(same_or_refused(&text), lifted, "{text}");
        }
        // Flow style: lifted or not, the same tree.
        same_or_refused(&format!("{filler}l: [\n  a: {b}\n  ]\n"));
        // Digits-and-e runs could be numbers, `=` could be YAML 1.1's value key: left alone.
        let numeric = format!("{filler}k: 1{}\n", "2e".repeat(40));
        assert!(lift(&numeric).is_none());
        // A file that holds our mark is parsed as it is.
        assert!(lift(&format!("{filler}{MARK}0: {b}\nk: {b}\n")).is_none());
    }
}
