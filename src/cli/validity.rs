//! Durations as people type them on the command line (`30s`, `2m`, `12h`, `90d`, `1h30m`):
//! `--duration`, `--within`, `--timeout` and the like. How a duration is shown is
//! `output::human_duration`.

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
        f.write_str(&crate::output::human_duration(self.0.as_secs() as i64))
    }
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
}
