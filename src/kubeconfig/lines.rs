//! A text's lines and where each starts. Both the reader (`block_layout`) and the splice walk
//! every line of a kubeconfig, 38 MB for 10,000 certificate users, and finding the line breaks
//! byte by byte (`str::find`) was a fifth of the instructions of a whole `add`: `memchr` finds
//! them many bytes at a time.

/// Each line as (where it starts, the line without its `\n`); a text that ends with `\n` has no
/// empty last line.
pub(super) fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let ends = memchr::memchr_iter(b'\n', text.as_bytes()).chain(std::iter::once(text.len()));
    let mut start = 0;
    ends.filter_map(move |end| {
        if start >= text.len() {
            return None;
        }
        let line = (start, &text[start..end]);
        start = end + 1;
        Some(line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_their_starts_as_str_lines_sees_them() {
        for text in [
            "",
            "\n",
            "a",
            "a\n",
            "a\nb",
            "a\n\nb\n",
            "\n\nx\r\n",
            "é\nü\n",
        ] {
            let ours: Vec<(usize, &str)> = lines(text).collect();
            let theirs: Vec<&str> = text
                .split_inclusive('\n')
                .map(|l| l.strip_suffix('\n').unwrap_or(l))
                .collect();
            assert_eq!(
                ours.iter().map(|l| l.1).collect::<Vec<_>>(),
                theirs,
                "{text:?}"
            );
            for (start, line) in ours {
                assert_eq!(&text[start..start + line.len()], line);
            }
        }
    }
}
