//! The data directory lock: one server per data directory.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::WalError;

/// Holds an exclusive advisory lock on `<data dir>/LOCK` for as long as it lives,
/// so that a second server started on the same directory refuses instead of
/// writing the same log.
#[derive(Debug)]
pub struct DataDirLock {
    /// The open, locked file; the OS releases the lock when it is closed, even if
    /// the process is killed.
    _file: File,
}

impl DataDirLock {
    pub fn acquire(data_dir: &Path) -> Result<DataDirLock, WalError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| WalError::io("creating the data directory", e))?;
        let path = data_dir.join("LOCK");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| WalError::io(&format!("opening {}", path.display()), e))?;
        if file.try_lock().is_err() {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            return Err(WalError::Locked {
                dir: data_dir.to_owned(),
                holder: holder.trim().to_owned(),
            });
        }
        let pid = std::process::id().to_string();
        let write_pid = file
            .set_len(0)
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(pid.as_bytes()));
        write_pid.map_err(|e| WalError::io(&format!("writing {}", path.display()), e))?;
        Ok(DataDirLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A second lock on the same directory is refused, naming the holder's pid,
    /// and succeeds once the first is released.
    #[test]
    fn one_holder_at_a_time() {
        let dir = std::env::temp_dir().join(format!("turnstile-lock-{}", std::process::id()));
        let first = DataDirLock::acquire(&dir).unwrap();
        let err = DataDirLock::acquire(&dir).unwrap_err();
        assert!(
            err.to_string().contains(&std::process::id().to_string()),
            "{err}"
        );
        drop(first);
        DataDirLock::acquire(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
