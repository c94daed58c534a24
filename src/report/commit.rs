//! The outputs of a run replaced as one set.
//!
//! Each output is first written beside its final name (`.report.xlsx.fiscal-new`) and synced.
//! When all are written, a commit record (`.fiscal-commit` in the output directory, listing
//! the pairs) is written and synced: that is the moment the new set wins. Then each staged file
//! is renamed over its final name, and the record removed. A run killed before the record
//! leaves the previous outputs as they were (the next run deletes the staged files); killed
//! after it, the next run finishes the renames before anything else ([`recover`]). Readers
//! that must never see a mix check that `.fiscal-commit` is absent.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{out_err, OutputError};

/// The commit record's name in the output directory.
pub const COMMIT_FILE: &str = ".fiscal-commit";
/// The suffix of a staged output.
const STAGED_SUFFIX: &str = ".fiscal-new";

/// Outputs written but not yet in place.
#[derive(Debug)]
pub struct OutputSet {
    dir: PathBuf,
    staged: Vec<(PathBuf, PathBuf)>,
    committed: bool,
}

/// Where `path` is staged: a hidden sibling.
fn staged_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}{STAGED_SUFFIX}"))
}

fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Syncs a directory, so the renames in it survive a power cut.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

impl OutputSet {
    /// A set whose commit record lives in `dir` (the output directory).
    pub fn new(dir: &Path) -> OutputSet {
        OutputSet {
            dir: dir.to_path_buf(),
            staged: Vec::new(),
            committed: false,
        }
    }

    /// Writes the output `path` (staged), the content streamed by `write`.
    ///
    /// # Errors
    /// [`OutputError`] naming the path.
    pub fn stage_with(
        &mut self,
        path: &Path,
        write: impl FnOnce(&mut std::io::BufWriter<&std::fs::File>) -> Result<(), String>,
    ) -> Result<(), OutputError> {
        let dir = parent_of(path);
        std::fs::create_dir_all(dir).map_err(|e| out_err(dir, e))?;
        let staged = staged_name(path);
        let file = std::fs::File::create(&staged).map_err(|e| out_err(path, e))?;
        self.staged.push((staged, path.to_path_buf()));
        {
            let mut w = std::io::BufWriter::new(&file);
            write(&mut w).map_err(|e| out_err(path, e))?;
            w.flush().map_err(|e| out_err(path, e))?;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o644))
                .map_err(|e| out_err(path, e))?;
        }
        file.sync_all().map_err(|e| out_err(path, e))
    }

    /// Writes the output `path` (staged) with `bytes`.
    ///
    /// # Errors
    /// [`OutputError`] naming the path.
    pub fn stage(&mut self, path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
        self.stage_with(path, |w| w.write_all(bytes).map_err(|e| e.to_string()))
    }

    /// Puts every staged output in place, as one set (see the module).
    ///
    /// # Errors
    /// [`OutputError`] naming the file that could not be written or renamed.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let record = self.dir.join(COMMIT_FILE);
        let pairs: Vec<(String, String)> = self
            .staged
            .iter()
            .map(|(s, f)| (s.display().to_string(), f.display().to_string()))
            .collect();
        let json = serde_json::to_string_pretty(&pairs).map_err(|e| out_err(&record, e))?;
        let tmp = record.with_file_name(format!("{COMMIT_FILE}.tmp"));
        {
            let mut f = std::fs::File::create(&tmp).map_err(|e| out_err(&record, e))?;
            f.write_all(json.as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(|e| out_err(&record, e))?;
        }
        // Every staged file's directory first: the staged files themselves must be durable
        // before the record says they are the outputs.
        for (staged, _) in &self.staged {
            sync_dir(parent_of(staged)).map_err(|e| out_err(staged, e))?;
        }
        std::fs::rename(&tmp, &record).map_err(|e| out_err(&record, e))?;
        sync_dir(&self.dir).map_err(|e| out_err(&record, e))?;
        self.committed = true;
        finish(&self.staged).map_err(|(p, e)| out_err(&p, e))?;
        std::fs::remove_file(&record).map_err(|e| out_err(&record, e))?;
        sync_dir(&self.dir).map_err(|e| out_err(&record, e))
    }
}

impl Drop for OutputSet {
    /// A set given up before its commit leaves nothing behind.
    fn drop(&mut self) {
        if !self.committed {
            for (staged, _) in &self.staged {
                let _ = std::fs::remove_file(staged);
            }
        }
    }
}

/// Renames each staged file still present over its final name.
fn finish(pairs: &[(PathBuf, PathBuf)]) -> Result<(), (PathBuf, std::io::Error)> {
    for (staged, final_path) in pairs {
        if staged.exists() {
            std::fs::rename(staged, final_path).map_err(|e| (final_path.clone(), e))?;
        }
    }
    for (_, final_path) in pairs {
        sync_dir(parent_of(final_path)).map_err(|e| (final_path.clone(), e))?;
    }
    Ok(())
}

/// Before a run writes (under its lock): finishes a set a killed run had committed, and deletes
/// what a killed run left half-done — staged outputs, the commit record's temporary file, the
/// temporary files of earlier versions (`.tmp…`) — in the output directory and the directories
/// of `outputs`. Returns a note per thing done, for stderr.
pub fn recover(dir: &Path, outputs: &[&Path]) -> Vec<String> {
    let mut notes = Vec::new();
    let record = dir.join(COMMIT_FILE);
    if let Ok(text) = std::fs::read_to_string(&record) {
        match serde_json::from_str::<Vec<(String, String)>>(&text) {
            Ok(pairs) => {
                let pairs: Vec<(PathBuf, PathBuf)> = pairs
                    .into_iter()
                    .map(|(s, f)| (PathBuf::from(s), PathBuf::from(f)))
                    .collect();
                match finish(&pairs) {
                    Ok(()) => notes.push(format!(
                        "finished putting in place the outputs of a run stopped while doing so ({})",
                        record.display()
                    )),
                    Err((p, e)) => notes.push(format!(
                        "could not finish the outputs of a stopped run: {}: {e}",
                        p.display()
                    )),
                }
            }
            Err(e) => notes.push(format!("ignored an unreadable {}: {e}", record.display())),
        }
        let _ = std::fs::remove_file(&record);
    }
    let mut dirs: Vec<&Path> = vec![dir];
    dirs.extend(outputs.iter().map(|p| parent_of(p)));
    dirs.sort();
    dirs.dedup();
    for d in dirs {
        let Ok(entries) = std::fs::read_dir(d) else {
            continue;
        };
        let mut names: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.path())
            .collect();
        names.sort();
        for p in names {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let leftover = (name.starts_with('.') && name.ends_with(STAGED_SUFFIX))
                || name == format!("{COMMIT_FILE}.tmp")
                || (name.starts_with(".tmp") && name.len() == ".tmp".len() + 6);
            if leftover && std::fs::remove_file(&p).is_ok() {
                notes.push(format!("removed {} (left by a stopped run)", p.display()));
            }
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(p: &Path) -> String {
        std::fs::read_to_string(p).unwrap()
    }

    #[test]
    fn a_set_is_put_in_place_whole_and_a_stopped_one_finished_or_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.txt"), dir.path().join("b.txt"));
        let mut set = OutputSet::new(dir.path());
        set.stage(&a, b"a1").unwrap();
        set.stage(&b, b"b1").unwrap();
        assert!(!a.exists(), "nothing in place before the commit");
        set.commit().unwrap();
        assert_eq!((read(&a), read(&b)), ("a1".into(), "b1".into()));
        assert!(!dir.path().join(COMMIT_FILE).exists());

        // Stopped before its commit: the staged files are dropped, the outputs stay.
        {
            let mut set = OutputSet::new(dir.path());
            set.stage(&a, b"a2").unwrap();
            std::mem::forget(set); // as a kill would: no cleanup
        }
        assert!(dir.path().join(".a.txt.fiscal-new").exists());
        let notes = recover(dir.path(), &[&a, &b]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(!dir.path().join(".a.txt.fiscal-new").exists());
        assert_eq!(read(&a), "a1");

        // Stopped after its commit, one rename done: the next run finishes the set.
        std::fs::write(dir.path().join(".b.txt.fiscal-new"), "b3").unwrap();
        std::fs::write(&a, "a3").unwrap();
        let pairs = vec![
            (
                dir.path().join(".a.txt.fiscal-new").display().to_string(),
                a.display().to_string(),
            ),
            (
                dir.path().join(".b.txt.fiscal-new").display().to_string(),
                b.display().to_string(),
            ),
        ];
        std::fs::write(
            dir.path().join(COMMIT_FILE),
            serde_json::to_string(&pairs).unwrap(),
        )
        .unwrap();
        let notes = recover(dir.path(), &[&a, &b]);
        assert!(notes[0].contains("finished"), "{notes:?}");
        assert_eq!((read(&a), read(&b)), ("a3".into(), "b3".into()));
        assert!(!dir.path().join(COMMIT_FILE).exists());
        // Near miss: an ordinary hidden file is not a leftover.
        std::fs::write(dir.path().join(".keep"), "").unwrap();
        assert!(recover(dir.path(), &[&a]).is_empty());
        assert!(dir.path().join(".keep").exists());
    }
}
