//! Durations as people type them (`30s`, `2m`, `12h`, `90d`, `1h30m`) and as kubeadm prints them
//! (`364d`, `29d 4h`, `5h 12m`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A duration given on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Validity(pub Duration);

impl FromStr for Validity {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "invalid duration {text:?}: use a number with a unit, e.g. 30s, 2m, 12h, 90d or 1h30m"
            )
        };
        let mut total: u64 = 0;
        let mut digits = String::new();
        let mut seen_unit = false;
        for c in text.trim().chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let unit = match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'y' => 365 * 86_400,
                _ => return Err(bad()),
            };
            let n: u64 = digits.parse().map_err(|_| bad())?;
            total = n
                .checked_mul(unit)
                .and_then(|s| total.checked_add(s))
                .ok_or_else(bad)?;
            digits.clear();
            seen_unit = true;
        }
        if !digits.is_empty() || !seen_unit {
            return Err(bad());
        }
        if total == 0 {
            return Err(format!(
                "invalid duration {text:?}: it must be longer than zero"
            ));
        }
        Ok(Validity(Duration::from_secs(total)))
    }
}

impl fmt::Display for Validity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&human(self.0.as_secs() as i64))
    }
}

/// A residual time the way kubeadm's `certs check-expiration` prints it: the two largest units,
/// `364d`, `29d 4h`, `5h 12m`, `42s`; negative values are `expired`. Rounded to the nearest
/// smaller unit shown, so that certificates issued a second apart both read `365d`, not one
/// `365d` and the next `364d 23h`.
pub fn human(seconds: i64) -> String {
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

    fn secs(text: &str) -> u64 {
        text.parse::<Validity>().unwrap().0.as_secs()
    }

    #[test]
    fn parses_units_and_combinations() {
        assert_eq!(secs("30s"), 30);
        assert_eq!(secs("2m"), 120);
        assert_eq!(secs("12h"), 43_200);
        assert_eq!(secs("90d"), 90 * 86_400);
        assert_eq!(secs("1h30m"), 5400);
        assert_eq!(secs("1y"), 365 * 86_400);
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        for bad in ["", "10", "m", "5x", "-5m", "0s", "99999999999999999999d"] {
            let err = bad.parse::<Validity>().unwrap_err();
            assert!(err.contains("invalid duration"), "{bad}: {err}");
        }
    }

    #[test]
    fn prints_like_kubeadm() {
        assert_eq!(human(364 * 86_400 + 600), "364d");
        assert_eq!(human(364 * 86_400 + 3000), "364d 1h");
        // Issued a second apart, one lifetime: the same words.
        assert_eq!(human(365 * 86_400), "365d");
        assert_eq!(human(365 * 86_400 - 1), "365d");
        assert_eq!(human(23 * 3600 + 59 * 60 + 40), "1d");
        assert_eq!(human(59 * 60 + 59), "59m 59s");
        assert_eq!(human(29 * 86_400 + 4 * 3600 + 59), "29d 4h");
        assert_eq!(human(5 * 3600 + 12 * 60 + 3), "5h 12m");
        assert_eq!(human(42), "42s");
        assert_eq!(human(0), "expired");
        assert_eq!(human(-10), "expired");
    }
}
