//! The per-file time budget. A file's work runs on one worker thread; its loops (prose lines,
//! table segments, rules) ask [`expired`] and stop early once the file's budget is spent, so
//! one pathological file is reported as failed instead of holding up a nightly run.
//!
//! The budget is thread-local and set for the duration of one file by [`Budget::start`]; code
//! that runs outside a budget (tests, `fiscal inspect` without one) never expires.

use std::cell::Cell;
use std::time::{Duration, Instant};

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    static EXPIRED: Cell<bool> = const { Cell::new(false) };
}

/// What a caught panic said (its `&str` or `String` payload), for a message naming the cause.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_string())
}

/// Filled cells a spreadsheet sheet may hold, by default (`[limits] max_sheet_cells`).
pub const DEFAULT_SHEET_CELLS: u64 = 4_000_000;
/// Uncompressed bytes a part of an xlsx/ods zip may declare, by default
/// (`[limits] max_sheet_part_mb`).
pub const DEFAULT_SHEET_PART_BYTES: u64 = 256 * 1024 * 1024;

/// The spreadsheet bounds of the file being read (thread-local like the time budget: set by
/// [`SheetLimits::apply`] for one file; the defaults elsewhere, e.g. `fiscal inspect`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SheetLimits {
    pub cells: u64,
    pub part_bytes: u64,
}

impl Default for SheetLimits {
    fn default() -> Self {
        SheetLimits {
            cells: DEFAULT_SHEET_CELLS,
            part_bytes: DEFAULT_SHEET_PART_BYTES,
        }
    }
}

thread_local! {
    static SHEET_LIMITS: Cell<Option<SheetLimits>> = const { Cell::new(None) };
}

/// The spreadsheet bounds in force on this thread.
pub fn sheet_limits() -> SheetLimits {
    SHEET_LIMITS.with(Cell::get).unwrap_or_default()
}

/// Restores the default spreadsheet bounds when dropped.
pub struct SheetLimitsInForce;

impl SheetLimits {
    /// Puts these bounds in force on this thread until the returned value is dropped.
    pub fn apply(self) -> SheetLimitsInForce {
        SHEET_LIMITS.with(|l| l.set(Some(self)));
        SheetLimitsInForce
    }
}

impl Drop for SheetLimitsInForce {
    fn drop(&mut self) {
        SHEET_LIMITS.with(|l| l.set(None));
    }
}

/// True once the current file's budget is spent (and from then on, for the same file).
pub fn expired() -> bool {
    if EXPIRED.with(Cell::get) {
        return true;
    }
    let over = DEADLINE
        .with(Cell::get)
        .is_some_and(|d| Instant::now() >= d);
    if over {
        EXPIRED.with(|e| e.set(true));
    }
    over
}

/// The budget of the file being worked on; dropping it lifts the deadline.
pub struct Budget {
    started: Instant,
    limit: Duration,
}

impl Budget {
    /// Starts a budget of `limit` on this thread.
    pub fn start(limit: Duration) -> Budget {
        let started = Instant::now();
        DEADLINE.with(|d| d.set(started.checked_add(limit)));
        EXPIRED.with(|e| e.set(false));
        Budget { started, limit }
    }

    /// The limit, for messages.
    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// Time spent since the start.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// True when the file's work was stopped by the budget.
    pub fn was_exceeded(&self) -> bool {
        EXPIRED.with(Cell::get)
    }
}

impl Drop for Budget {
    fn drop(&mut self) {
        DEADLINE.with(|d| d.set(None));
        EXPIRED.with(|e| e.set(false));
    }
}

/// The time a file of `bytes` may take: `seconds_per_mb` per MB, at least `min_seconds`.
pub fn limit_for(bytes: u64, seconds_per_mb: f64, min_seconds: f64) -> Duration {
    let mb = bytes as f64 / 1_048_576.0;
    let secs = (mb * seconds_per_mb).max(min_seconds);
    // Finite and non-negative by construction of the settings; clamp anyway.
    Duration::try_from_secs_f64(secs).unwrap_or(Duration::from_secs(3600))
}

/// The first line of the file at `path` longer than `max` bytes: (1-based line, its length).
/// Reads the file in blocks, so the check costs a pass over the bytes and no more memory.
/// An unreadable file gives `None` (reading it reports why).
pub fn longest_line_over(path: &std::path::Path, max: usize) -> Option<(usize, usize)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).ok()?;
    let mut buf = vec![0u8; 1 << 16];
    let (mut line, mut len) = (1usize, 0usize);
    loop {
        let n = file.read(&mut buf).ok()?;
        if n == 0 {
            return (len > max).then_some((line, len));
        }
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', &buf[..n]) {
            len += end - start;
            if len > max {
                return Some((line, len));
            }
            line += 1;
            len = 0;
            start = end + 1;
        }
        len += n - start;
        if len > max {
            // Count the rest of the line for the message, without holding it.
            loop {
                let n = file.read(&mut buf).ok()?;
                match memchr::memchr(b'\n', &buf[..n]) {
                    Some(p) => return Some((line, len + p)),
                    None if n == 0 => return Some((line, len)),
                    None => len += n,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spent_budget_stays_spent_until_dropped() {
        assert!(!expired(), "no budget: never expires");
        {
            let b = Budget::start(Duration::ZERO);
            assert!(expired());
            assert!(b.was_exceeded());
        }
        assert!(!expired(), "dropping the budget lifts it");
        let b = Budget::start(Duration::from_secs(3600));
        assert!(!expired());
        assert!(!b.was_exceeded());
    }

    #[test]
    fn long_lines_are_found_with_their_number_and_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.txt");
        let long = "收".repeat(1000); // 3,000 bytes
        std::fs::write(&path, format!("title\nshort\n{long}\nend\n")).unwrap();
        assert_eq!(
            longest_line_over(&path, 3000),
            None,
            "exactly at the limit is read"
        );
        assert_eq!(longest_line_over(&path, 2999), Some((3, 3000)));
        std::fs::write(&path, format!("title\n{long}")).unwrap();
        assert_eq!(
            longest_line_over(&path, 100),
            Some((2, 3000)),
            "last line without newline"
        );
        // Lines across the 64 KB read blocks: counted whole, numbered right.
        let short = "1234567\n".repeat(10_000); // 80,000 bytes of 7-byte lines
        std::fs::write(&path, format!("{short}{}\nend\n", "a".repeat(70_000))).unwrap();
        assert_eq!(longest_line_over(&path, 70_000), None);
        assert_eq!(longest_line_over(&path, 69_999), Some((10_001, 70_000)));
        assert_eq!(longest_line_over(&path, 6), Some((1, 7)));
    }

    #[test]
    fn limits_scale_with_size_above_the_floor() {
        assert_eq!(limit_for(0, 4.0, 10.0), Duration::from_secs(10));
        assert_eq!(
            limit_for(50 * 1_048_576, 4.0, 10.0),
            Duration::from_secs(200)
        );
    }
}
