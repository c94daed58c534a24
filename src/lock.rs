//! One run per output directory: `fiscal run` holds `.fiscal-run.lock` in the output directory
//! while it reads and writes. A second run on the same directory stops at once (exit 4) naming
//! the process that holds it; a lock left by a process that no longer exists (killed, machine
//! restarted) is taken over, with a note.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The lock file's name inside the output directory.
pub const LOCK_FILE: &str = ".fiscal-run.lock";

/// A held lock; dropping it removes the file.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LockError {
    #[error(
        "another fiscal run (pid {pid}, started {since}) is writing to {dir}; lock file {lock}"
    )]
    Held {
        pid: u32,
        since: String,
        dir: String,
        lock: String,
    },
    #[error("cannot create the lock file {0}")]
    Io(String),
}

impl RunLock {
    /// Takes the lock of `dir` (created if missing). `Ok((lock, Some(note)))` when a stale
    /// lock was taken over; the note says whose.
    ///
    /// # Errors
    /// [`LockError::Held`] while another live process holds it.
    pub fn acquire(dir: &Path, started: &str) -> Result<(RunLock, Option<String>), LockError> {
        let path = dir.join(LOCK_FILE);
        let io = |e: std::io::Error| LockError::Io(format!("{}: {e}", path.display()));
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut note = None;
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    writeln!(f, "{}\n{started}", std::process::id()).map_err(io)?;
                    return Ok((RunLock { path }, note));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    let mut fields = text.lines();
                    let pid = fields.next().and_then(|p| p.trim().parse::<u32>().ok());
                    let since = fields.next().unwrap_or("?").trim().to_string();
                    match pid {
                        Some(pid) if alive(pid) => {
                            return Err(LockError::Held {
                                pid,
                                since,
                                dir: dir.display().to_string(),
                                lock: path.display().to_string(),
                            })
                        }
                        // Being written this instant by a run that just took it.
                        None if recently_modified(&path) => {
                            return Err(LockError::Held {
                                pid: 0,
                                since: "just now".into(),
                                dir: dir.display().to_string(),
                                lock: path.display().to_string(),
                            })
                        }
                        _ => {
                            note = Some(format!(
                                "took over a stale lock {} (pid {}, started {since}: no longer running)",
                                path.display(),
                                pid.map_or("?".to_string(), |p| p.to_string())
                            ));
                            match std::fs::remove_file(&path) {
                                Ok(()) => {}
                                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                                Err(e) => return Err(io(e)),
                            }
                        }
                    }
                }
                Err(e) => return Err(io(e)),
            }
        }
        // Another run took it between our removal and our creation.
        Err(LockError::Held {
            pid: 0,
            since: "just now".into(),
            dir: dir.display().to_string(),
            lock: path.display().to_string(),
        })
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether a process with this id exists (signal 0 checks without sending anything).
fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 sends nothing; it only reports whether the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

fn recently_modified(path: &Path) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age.as_secs() < 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_lock_is_refused_and_a_stale_one_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let (lock, note) = RunLock::acquire(dir.path(), "t0").unwrap();
        assert!(note.is_none());
        // Held by this (live) process: a second run is refused, naming it.
        match RunLock::acquire(dir.path(), "t1") {
            Err(LockError::Held { pid, since, .. }) => {
                assert_eq!(pid, std::process::id());
                assert_eq!(since, "t0");
            }
            other => panic!("expected Held, got {other:?}"),
        }
        drop(lock);
        assert!(!dir.path().join(LOCK_FILE).exists(), "released on drop");
        // A lock left by a process that is gone (pid beyond pid_max) is taken over.
        std::fs::write(dir.path().join(LOCK_FILE), "2147483646\nyesterday\n").unwrap();
        let (_lock, note) = RunLock::acquire(dir.path(), "t2").unwrap();
        let note = note.unwrap();
        assert!(
            note.contains("2147483646") && note.contains("yesterday"),
            "{note}"
        );
    }
}
