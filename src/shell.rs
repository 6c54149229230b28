//! Words for the command lines we print as hints, quoted so that a copied hint runs as shown:
//! `--user 'John Smith'`, not `--user John Smith`. POSIX single quotes, and only where needed, so
//! the common `john` stays as plain as a person would type it.

use std::borrow::Cow;

/// `word` as one POSIX shell word: unchanged when every character is safe unquoted, else inside
/// single quotes, each `'` written as `'\''` (close, escaped quote, reopen).
pub fn quote(word: &str) -> Cow<'_, str> {
    if !word.is_empty() && word.chars().all(is_plain) {
        return Cow::Borrowed(word);
    }
    Cow::Owned(format!("'{}'", word.replace('\'', r"'\''")))
}

/// Characters no POSIX shell treats specially anywhere in a word. `@` and `:` appear in our
/// context and group names; `=` and `,` only matter to particular commands, not to the shell.
fn is_plain(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '-' | '_' | '.' | '/' | ':' | '@' | '=' | ',' | '+' | '%')
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn plain_words_stay_plain() {
        for word in [
            "john",
            "john.doe@example.com",
            "john@kubernetes",
            "system:nodes",
            "./certs/a.crt",
        ] {
            assert_eq!(quote(word), word);
        }
    }

    #[test]
    fn spaces_quotes_and_shell_characters_are_quoted() {
        assert_eq!(quote("John Smith"), "'John Smith'");
        assert_eq!(quote("John O'Brien"), r"'John O'\''Brien'");
        assert_eq!(quote(""), "''");
        for word in [
            "a$b", "a;b", "a*b", "~a", "a#b", "a\"b", "a`b", "a&b", "a|b", "a(b)", "a<b", "é",
        ] {
            assert!(quote(word).starts_with('\''), "{word} must be quoted");
        }
    }

    /// The real judge: `sh` reads the quoted word back as the original, as one argument.
    #[test]
    fn sh_reads_every_quoted_word_back() {
        for word in [
            "John Smith",
            "John O'Brien",
            "''",
            "a $HOME `id` \\ \"q\"",
            "tab\there",
            "*",
        ] {
            // `set --` makes the quoted text the script's arguments: exactly one, equal to `word`.
            let script = format!("set -- {}; printf '%s|%s' \"$#\" \"$1\"", quote(word));
            let out = std::process::Command::new("sh")
                .args(["-c", &script])
                .output()
                .expect("sh");
            let text = String::from_utf8(out.stdout).unwrap();
            assert_eq!(text, format!("1|{word}"), "{word:?} as {}", quote(word));
        }
    }
}
