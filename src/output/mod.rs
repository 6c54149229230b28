//! How results reach the user: results to stdout (tables, or `-o json|yaml|name` as a stable
//! contract), progress, warnings and hints to stderr. Colour only on a terminal and never with
//! `NO_COLOR`.
//!
//! - [`diff`]: the line diff of kubeconfig files a `--dry-run` prints.
//! - [`duration`]: durations as kubeadm prints them (`364d`, `29d 4h`).

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Serialize;

use crate::cli::OutputFormat;

pub mod diff;
mod duration;

pub use duration::human_duration;

/// One line to stderr. A stderr that cannot be written (its reader gone, the terminal of a
/// `nohup`ed run hung up) loses the line, never the command: `eprintln!` would panic, maybe
/// between a kubeconfig write and the ledger line that records it.
pub fn say(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

#[derive(Clone, Debug)]
pub struct Output {
    pub format: Option<OutputFormat>,
    quiet: bool,
    color: bool,
}

impl Output {
    /// `-o` and `--quiet`: the only global flags output depends on.
    pub fn new(format: Option<OutputFormat>, quiet: bool) -> Self {
        Output {
            format,
            quiet,
            color: stderr_colour(),
        }
    }

    /// What `main` prints for a failed command: `error: ...` in red, then the `hint:` if any,
    /// both as loud as a warning (`--quiet` does not hide an error's fix).
    pub fn failure(message: &str, hint: Option<&str>) {
        let out = Output {
            format: None,
            quiet: false,
            color: stderr_colour(),
        };
        say(format_args!("{} {message}", out.paint("31", "error:")));
        if let Some(hint) = hint {
            out.hint(hint);
        }
    }

    /// True when results are for a machine: progress must then stay off stdout (it always does).
    pub fn machine(&self) -> bool {
        self.format.is_some()
    }

    pub fn progress(&self, message: impl AsRef<str>) {
        if !self.quiet {
            say(format_args!("{}", message.as_ref()));
        }
    }

    /// A finished step: `✓ message`, green on a terminal.
    pub fn done(&self, message: impl AsRef<str>) {
        if !self.quiet {
            say(format_args!(
                "{} {}",
                self.paint("32", "✓"),
                message.as_ref()
            ));
        }
    }

    pub fn warn(&self, message: impl AsRef<str>) {
        say(format_args!(
            "{} {}",
            self.paint("33", "warning:"),
            message.as_ref()
        ));
    }

    pub fn hint(&self, message: impl AsRef<str>) {
        if !self.quiet {
            say(format_args!(
                "{} {}",
                self.paint("36", "hint:"),
                message.as_ref()
            ));
        }
    }

    /// Print a result: as JSON or YAML when asked, as `names` for `-o name`, else the human text.
    pub fn result<T: Serialize>(
        &self,
        value: &T,
        names: impl FnOnce() -> Vec<String>,
        human: impl FnOnce() -> String,
    ) -> anyhow::Result<()> {
        let text = match self.format {
            Some(OutputFormat::Json) => serde_json::to_string_pretty(value)? + "\n",
            Some(OutputFormat::Yaml) => to_yaml(value)?,
            Some(OutputFormat::Name) => names().into_iter().map(|n| n + "\n").collect(),
            None => human(),
        };
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()?;
        Ok(())
    }

    /// A spinner on stderr while we wait, only on a terminal and never with `--quiet`.
    /// Stops and clears its line when dropped.
    pub fn spinner(&self, message: impl Into<String>) -> Option<Spinner> {
        if self.quiet || !std::io::stderr().is_terminal() {
            return None;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, message) = (stop.clone(), message.into());
        let handle = std::thread::spawn(move || {
            let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            let mut i = 0;
            while !flag.load(Ordering::Relaxed) {
                let _ = write!(
                    std::io::stderr(),
                    "\r{} {message}",
                    frames[i % frames.len()]
                );
                i += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        });
        Some(Spinner {
            stop,
            handle: Some(handle),
        })
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

pub struct Spinner {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// YAML for results, with long strings kept on one line (no folded blocks).
pub fn to_yaml<T: Serialize>(value: &T) -> anyhow::Result<String> {
    let value = serde_json::to_value(value)?;
    Ok(crate::kubeconfig::to_yaml(&value)?)
}

/// Columns aligned like kubectl's tables: upper-case headers, three spaces between columns.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}   ", w = widths[i]));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(headers.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// Colour on stderr only for a terminal, and never with `NO_COLOR` (no-color.org).
fn stderr_colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns_like_kubectl() {
        let rows = vec![
            vec!["john".to_string(), "dev1".to_string()],
            vec!["alexandra".to_string(), "".to_string()],
        ];
        assert_eq!(
            table(&["NAME", "GROUPS"], &rows),
            "NAME        GROUPS\njohn        dev1\nalexandra\n"
        );
    }
}
