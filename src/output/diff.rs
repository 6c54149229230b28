//! A line diff of kubeconfig files for `--dry-run`: what would change, nothing written.

use crate::kubeconfig::FileChange;

/// `--- path` / `+++ path (dry run)` then the lines, `-` removed, `+` added, unchanged lines as
/// context only next to a change.
pub fn render_changes(changes: &[FileChange]) -> String {
    let mut out = String::new();
    for change in changes {
        out.push_str(&format!(
            "--- {}\n+++ {} (dry run)\n",
            change.path.display(),
            change.path.display()
        ));
        out.push_str(&line_diff(&change.before, &change.after));
    }
    if changes.is_empty() {
        out.push_str("no kubeconfig change\n");
    }
    out
}

/// Longest-common-subsequence diff; kubeconfigs are small, so the quadratic table is fine.
pub fn line_diff(before: &str, after: &str) -> String {
    let a: Vec<&str> = before.lines().collect();
    let b: Vec<&str> = after.lines().collect();
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut lines: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            lines.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            // Removals before additions, as unified diffs show them.
            lines.push(('-', a[i]));
            i += 1;
        } else {
            lines.push(('+', b[j]));
            j += 1;
        }
    }
    let near_change = |k: usize| {
        lines[k.saturating_sub(2)..(k + 3).min(lines.len())]
            .iter()
            .any(|(t, _)| *t != ' ')
    };
    let mut out = String::new();
    let mut skipped = false;
    for (k, (tag, line)) in lines.iter().enumerate() {
        if *tag == ' ' && !near_change(k) {
            if !skipped {
                out.push_str(" ...\n");
            }
            skipped = true;
            continue;
        }
        skipped = false;
        out.push_str(&format!("{tag}{line}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_additions_and_removals_with_context() {
        let before = "a\nb\nc\nd\ne\nf\ng\n";
        let after = "a\nb\nc\nd\nX\nf\ng\n";
        assert_eq!(line_diff(before, after), " ...\n c\n d\n-e\n+X\n f\n g\n");
        assert_eq!(line_diff("", "new\n"), "+new\n");
    }
}
