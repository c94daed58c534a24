//! What a run shows on stderr while it works: a bar with files/s and an ETA while reading, then
//! one line per phase (checking the archive, writing each output) with its duration. On a
//! terminal the current phase spins; in a log (stderr not a terminal) each phase prints one
//! plain line when done, so a nightly log shows where the time went. Nothing under `--quiet`.

use std::cell::RefCell;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// The bar of the reading phase: files read of files to read, files/s and the time left.
pub fn reading_bar(on: bool, files: usize) -> ProgressBar {
    if !on {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(files as u64);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} reading {pos}/{len} files · {per_sec} · ETA {eta} {wide_bar} {elapsed}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// The line a finished reading phase leaves: files, time, rate.
pub fn reading_done(files: usize, took: Duration) -> String {
    let secs = took.as_secs_f64();
    let rate = if secs > 0.0 { files as f64 / secs } else { 0.0 };
    format!("read {files} files in {secs:.1} s ({rate:.0} files/s)")
}

/// The phases after reading, one at a time.
pub struct Phases {
    on: bool,
    terminal: bool,
    current: RefCell<Option<(ProgressBar, String, Instant)>>,
}

impl Phases {
    pub fn new(on: bool) -> Phases {
        Phases {
            on,
            terminal: std::io::stderr().is_terminal(),
            current: RefCell::new(None),
        }
    }

    /// Prints a line that stays (a finished phase, the reading summary).
    pub fn line(&self, text: &str) {
        if self.on {
            eprintln!("fiscal run: {text}");
        }
    }

    /// Ends the current phase (its line with the time it took) and starts `name`.
    pub fn start(&self, name: &str) {
        self.finish();
        if !self.on {
            return;
        }
        let bar = if self.terminal {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
                bar.set_style(style);
            }
            bar.set_message(name.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        } else {
            ProgressBar::hidden()
        };
        *self.current.borrow_mut() = Some((bar, name.to_string(), Instant::now()));
    }

    /// Ends the current phase, if any.
    pub fn finish(&self) {
        if let Some((bar, name, since)) = self.current.borrow_mut().take() {
            bar.finish_and_clear();
            self.line(&format!("{name}: {:.1} s", since.elapsed().as_secs_f64()));
        }
    }
}

impl Drop for Phases {
    fn drop(&mut self) {
        if let Some((bar, _, _)) = self.current.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reading_line_gives_files_time_and_rate() {
        assert_eq!(
            reading_done(20_000, Duration::from_secs(8)),
            "read 20000 files in 8.0 s (2500 files/s)"
        );
        assert_eq!(
            reading_done(0, Duration::ZERO),
            "read 0 files in 0.0 s (0 files/s)"
        );
    }
}
