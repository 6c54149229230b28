//! Durations as kubeadm prints them (`364d`, `29d 4h`, `5h 12m`): residual lifetimes in tables,
//! and timeouts and lifetimes in messages of every module.

/// A residual time the way kubeadm's `certs check-expiration` prints it: the two largest units,
/// `364d`, `29d 4h`, `5h 12m`, `42s`; negative values are `expired`. Rounded to the nearest
/// smaller unit shown, so that certificates issued a second apart both read `365d`, not one
/// `365d` and the next `364d 23h`.
pub fn human_duration(seconds: i64) -> String {
    if seconds <= 0 {
        return "expired".to_string();
    }
    const UNITS: [(i64, &str); 4] = [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")];
    let largest = UNITS
        .iter()
        .position(|(size, _)| seconds >= *size)
        .unwrap_or(UNITS.len() - 1);
    let precision = UNITS[(largest + 1).min(UNITS.len() - 1)].0;
    let mut rest = (seconds + precision / 2) / precision * precision;
    let mut parts = Vec::new();
    for (size, unit) in UNITS {
        let n = rest / size;
        rest %= size;
        if n != 0 || !parts.is_empty() {
            parts.push((n, unit));
        }
    }
    parts
        .iter()
        .take(2)
        .filter(|(n, _)| *n != 0)
        .map(|(n, u)| format!("{n}{u}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_kubeadm() {
        assert_eq!(human_duration(364 * 86_400 + 600), "364d");
        assert_eq!(human_duration(364 * 86_400 + 3000), "364d 1h");
        // Issued a second apart, one lifetime: the same words.
        assert_eq!(human_duration(365 * 86_400), "365d");
        assert_eq!(human_duration(365 * 86_400 - 1), "365d");
        assert_eq!(human_duration(23 * 3600 + 59 * 60 + 40), "1d");
        assert_eq!(human_duration(59 * 60 + 59), "59m 59s");
        assert_eq!(human_duration(29 * 86_400 + 4 * 3600 + 59), "29d 4h");
        assert_eq!(human_duration(5 * 3600 + 12 * 60 + 3), "5h 12m");
        assert_eq!(human_duration(42), "42s");
        assert_eq!(human_duration(0), "expired");
        assert_eq!(human_duration(-10), "expired");
    }
}
