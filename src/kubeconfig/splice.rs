//! Writing an edit into the text as read instead of rendering the whole tree again: adding one
//! user to a kubeconfig of 10,000 then costs the new lines, not a re-serialisation of 38 MB, and
//! the file's comments and layout survive.
//!
//! Only the plainest layouts are spliced: a top-level `users:` (or `clusters:`, `contexts:`) key
//! alone on its line followed by a block sequence, and a one-line `current-context:`. Anything
//! else (flow style, JSON, anchors, a key written twice) returns `None` and the caller renders
//! the whole document, which is always correct.

use std::borrow::Cow;

use serde_json::Value;

use super::document::to_yaml;

/// One replacement of `start..end` in the original text.
struct Patch {
    start: usize,
    end: usize,
    text: String,
}

/// What changed since the text was read: items appended to lists, a new current-context.
pub(super) struct Appends<'a> {
    /// (list key, the new items at its end)
    pub lists: Vec<(&'static str, &'a [Value])>,
    pub current_context: Option<&'a str>,
}

/// The original text with the appends written in, as the pieces to write one after another (the
/// unchanged stretches borrowed from `original`, not copied: a 38 MB file is not held twice), or
/// `None` when its layout is not one we can be certain to splice into.
pub(super) fn splice<'a>(original: &'a str, appends: &Appends<'_>) -> Option<Vec<Cow<'a, str>>> {
    let lines = lines(original);
    let mut patches = Vec::new();
    for (key, items) in &appends.lists {
        if items.is_empty() {
            continue;
        }
        let (at, indent) = sequence_end(&lines, key)?;
        let rendered = to_yaml(&Value::Array(items.to_vec())).ok()?;
        let mut text = String::with_capacity(rendered.len() + 64);
        if at > 0 && !original[..at].ends_with('\n') {
            text.push('\n'); // the file ended without a newline
        }
        for line in rendered.lines() {
            text.push_str(&" ".repeat(indent));
            text.push_str(line);
            text.push('\n');
        }
        patches.push(Patch {
            start: at,
            end: at,
            text,
        });
    }
    if let Some(name) = appends.current_context {
        let line = only_line(&lines, "current-context")?;
        // A value continued on the next line (a folded quoted string) is not ours to guess.
        if let Some(next) = lines.get(line + 1)
            && next.text.starts_with([' ', '\t'])
        {
            return None;
        }
        let mut map = serde_json::Map::new();
        map.insert("current-context".into(), name.into());
        let text = to_yaml(&Value::Object(map)).ok()?;
        let l = &lines[line];
        patches.push(Patch {
            start: l.start,
            end: l.start + l.text.len(),
            text: text.trim_end_matches('\n').to_string(),
        });
    }
    patches.sort_by_key(|p| p.start);
    let mut out = Vec::with_capacity(2 * patches.len() + 1);
    let mut from = 0;
    for patch in patches {
        if patch.start < from {
            return None; // overlapping edits: not a layout we splice
        }
        out.push(Cow::Borrowed(&original[from..patch.start]));
        out.push(Cow::Owned(patch.text));
        from = patch.end;
    }
    out.push(Cow::Borrowed(&original[from..]));
    Some(out)
}

struct Line<'a> {
    start: usize,
    /// Without the line break (and without a `\r` before it).
    text: &'a str,
    /// Just after the line break (or the end of the text).
    next: usize,
}

fn lines(text: &str) -> Vec<Line<'_>> {
    super::lines::lines(text)
        .map(|(start, line)| Line {
            start,
            text: line.strip_suffix('\r').unwrap_or(line),
            next: (start + line.len() + 1).min(text.len()),
        })
        .collect()
}

/// The one top-level line `key:` (a value may follow on the same line), or `None` if there is not
/// exactly one.
fn only_line(lines: &[Line<'_>], key: &str) -> Option<usize> {
    let mut found = None;
    for (i, line) in lines.iter().enumerate() {
        if line
            .text
            .strip_prefix(key)
            .is_some_and(|rest| rest.starts_with(':'))
        {
            if found.is_some() {
                return None;
            }
            found = Some(i);
        }
    }
    found
}

/// Where new items of the top-level block sequence `key` go (just after its last line), and the
/// indentation of its `- ` items.
fn sequence_end(lines: &[Line<'_>], key: &str) -> Option<(usize, usize)> {
    let at = only_line(lines, key)?;
    let rest = lines[at].text[key.len() + 1..].trim_start();
    if !(rest.is_empty() || rest.starts_with('#')) {
        return None; // `users: []`, `users: null`, an anchor, a tag: render the whole file
    }
    let mut end = lines[at].next;
    let mut indent = None;
    for line in &lines[at + 1..] {
        let text = line.text;
        if text.trim().is_empty() || text.starts_with('#') {
            continue; // blank lines and column-0 comments may sit between items
        }
        let inside = text.starts_with(' ') || (text.starts_with('-') && !text.starts_with("---"));
        if !inside {
            break; // the next top-level key (or a document marker)
        }
        if indent.is_none() {
            let spaces = text.len() - text.trim_start_matches(' ').len();
            let item = &text[spaces..];
            if !(item == "-" || item.starts_with("- ")) {
                return None; // not a block sequence of items
            }
            indent = Some(spaces);
        }
        end = line.next;
    }
    Some((end, indent.unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubeconfig::document::parse;
    use std::path::Path;

    fn user(name: &str) -> Value {
        serde_json::json!({"name": name, "user": {"client-certificate-data": "QUJD", "client-key-data": "REVG"}})
    }

    /// Splicing must mean exactly what rendering the whole edited tree means.
    fn check(original: &str, new: &[Value], current: Option<&str>) -> Option<String> {
        let appends = Appends {
            lists: vec![("users", new)],
            current_context: current,
        };
        let spliced = splice(original, &appends)?.concat();
        let mut expected = parse(Path::new("t"), original).unwrap();
        let users = expected
            .entry("users")
            .or_insert_with(|| Value::Array(vec![]));
        if users.is_null() {
            *users = Value::Array(vec![]);
        }
        users.as_array_mut().unwrap().extend(new.iter().cloned());
        if let Some(c) = current {
            expected.insert("current-context".into(), c.into());
        }
        assert_eq!(
            parse(Path::new("t"), &spliced).unwrap(),
            expected,
            "{spliced}"
        );
        Some(spliced)
    }

    #[test]
    fn new_users_go_after_the_last_user_and_everything_else_stays_byte_for_byte() {
        let original = "# my clusters\napiVersion: v1\nusers:\n- name: a # first\n  user:\n    token: t\n\n# bob\n- name: b\n  user: {}\ncontexts: []\nkind: Config\n";
        let out = check(original, &[user("new")], None).unwrap();
        assert_eq!(
            out,
            original.replace(
                "  user: {}\n",
                "  user: {}\n- name: new\n  user:\n    client-certificate-data: QUJD\n    client-key-data: REVG\n"
            )
        );
    }

    #[test]
    fn indented_sequences_empty_lists_and_files_without_a_final_newline() {
        check(
            "users:\n  - name: a\n    user: {}\nkind: Config\n",
            &[user("n")],
            None,
        )
        .unwrap();
        check("kind: Config\nusers:\n", &[user("n"), user("m")], None).unwrap();
        check(
            "kind: Config\nusers:\n- name: a\n  user: {}",
            &[user("n")],
            None,
        )
        .unwrap();
        check("users: # ours\n- name: a\n  user: {}\n", &[user("n")], None).unwrap();
        check(
            "current-context: old\nusers:\n- name: a\n  user: {}\n",
            &[user("n")],
            Some("n@c"),
        )
        .unwrap();
        check(
            "users:\r\n- name: a\r\n  user: {}\r\nkind: Config\r\n",
            &[user("n")],
            None,
        )
        .unwrap();
    }

    #[test]
    fn layouts_we_cannot_be_sure_of_are_rendered_whole() {
        for original in [
            "users: []\n",
            "users: &u\n- name: a\n",
            "{\"users\": [{\"name\": \"a\", \"user\": {}}]}\n",
            "users:\n- name: a\nusers:\n- name: b\n",
            "kind: Config\n",
            "users:\n  name: a\n",
        ] {
            let new = [user("n")];
            let appends = Appends {
                lists: vec![("users", &new[..])],
                current_context: None,
            };
            assert!(splice(original, &appends).is_none(), "{original}");
        }
        let appends = Appends {
            lists: vec![],
            current_context: Some("x"),
        };
        assert!(splice("kind: Config\n", &appends).is_none());
        assert!(splice("current-context: \"a\n  b\"\n", &appends).is_none());
    }
}
