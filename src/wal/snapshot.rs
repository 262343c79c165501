//! Snapshot files: a checksummed copy of the whole database as of an LSN.
//!
//! A snapshot lets recovery start from a recent state instead of the first record
//! ever written, and lets the log drop segments it no longer needs. Its content is
//! opaque here: a sequence of chunks produced by the store (the catalog, then rows
//! in batches), each with its own checksum.
//!
//! # File layout (`<data dir>/snapshots/<lsn, 20 digits>.snap`)
//!
//! 1. Header, 24 bytes: magic `TSTLSNAP` (8), format version u32 LE (4), the
//!    snapshot's LSN u64 LE (8), CRC32C of the previous 20 bytes (4).
//! 2. Chunks, each: payload length u32 LE, CRC32C of the payload u32 LE, payload.
//! 3. Footer, 20 bytes: magic `TSTLEND\n` (8), the number of chunks u64 LE (8),
//!    CRC32C of the previous 16 bytes (4).
//!
//! A snapshot is written to a `.tmp` file, fsynced, renamed into place, and the
//! directory fsynced: a file with the `.snap` name is complete or damaged, never
//! half written. A damaged one (any checksum, a missing footer) is skipped for the
//! next older snapshot, if there is one.
//!
//! # What a snapshot at LSN L means
//!
//! The store copies the catalog as of L under one short read lock, then rows in
//! batches, each under its own short read lock, while writes go on. The copy is
//! therefore *fuzzy*: a row may reflect changes committed after L. Because replaying
//! redo is idempotent (see `db::redo`), loading the snapshot and then replaying
//! every record after L gives exactly the committed state. The log therefore keeps
//! every record after the *older* of the two newest snapshots, so that recovery can
//! fall back to it if the newest is damaged.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::header::{decode_file_header, encode_file_header, u32_at, u64_at, FILE_HEADER_LEN};
use super::log::fsync_dir;
use super::WalError;

const MAGIC: &[u8; 8] = b"TSTLSNAP";
const FOOTER_MAGIC: &[u8; 8] = b"TSTLEND\n";
const FOOTER_LEN: usize = 20;
/// The largest chunk accepted when reading, so damage cannot make us allocate
/// without bound.
const CHUNK_MAX: usize = 1 << 30;

/// The file name of the snapshot at `lsn`.
pub fn snapshot_file_name(lsn: u64) -> String {
    format!("{lsn:020}.snap")
}

/// Snapshot files in `dir`, newest (highest LSN) first.
pub fn list_snapshots(dir: &Path) -> Result<Vec<(u64, PathBuf)>, WalError> {
    let mut snapshots = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(snapshots),
        Err(e) => return Err(WalError::io("listing snapshots", e)),
    };
    for entry in entries {
        let path = entry
            .map_err(|e| WalError::io("listing snapshots", e))?
            .path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if let Some(digits) = name.strip_suffix(".snap") {
            if let Ok(lsn) = digits.parse::<u64>() {
                snapshots.push((lsn, path));
            }
        }
    }
    snapshots.sort_by(|a, b| b.cmp(a));
    Ok(snapshots)
}

/// Writes a snapshot chunk by chunk into a temporary file; [`SnapshotWriter::finish`]
/// makes it durable and gives it its final name.
pub struct SnapshotWriter {
    /// The snapshot directory, fsynced after the rename.
    dir: PathBuf,
    /// The LSN the snapshot is as of (its name).
    lsn: u64,
    /// Where the snapshot is written until it is complete.
    tmp_path: PathBuf,
    /// The temporary file, buffered: chunks are small and many.
    file: BufWriter<File>,
    /// Chunks written, for the footer.
    chunks: u64,
    /// Bytes written, for the report.
    bytes: u64,
}

impl SnapshotWriter {
    pub fn create(dir: &Path, lsn: u64) -> Result<SnapshotWriter, WalError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| WalError::io("creating the snapshot directory", e))?;
        let tmp_path = dir.join(format!("{}.tmp", snapshot_file_name(lsn)));
        let file = File::create(&tmp_path)
            .map_err(|e| WalError::io(&format!("creating {}", tmp_path.display()), e))?;
        let mut writer = SnapshotWriter {
            dir: dir.to_owned(),
            lsn,
            tmp_path,
            file: BufWriter::new(file),
            chunks: 0,
            bytes: 0,
        };
        writer.write(&encode_file_header(MAGIC, lsn))?;
        Ok(writer)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), WalError> {
        self.bytes += bytes.len() as u64;
        self.file
            .write_all(bytes)
            .map_err(|e| WalError::io("writing a snapshot", e))
    }

    pub fn write_chunk(&mut self, payload: &[u8]) -> Result<(), WalError> {
        if payload.len() > CHUNK_MAX {
            return Err(WalError::Io(format!(
                "a snapshot chunk of {} bytes is over the limit",
                payload.len()
            )));
        }
        self.write(&(payload.len() as u32).to_le_bytes())?;
        self.write(&crc32c::crc32c(payload).to_le_bytes())?;
        self.write(payload)?;
        self.chunks += 1;
        Ok(())
    }

    /// Gives the snapshot up: its temporary file is removed.
    pub fn abandon(self) -> Result<(), WalError> {
        drop(self.file);
        std::fs::remove_file(&self.tmp_path)
            .map_err(|e| WalError::io("removing an abandoned snapshot", e))
    }

    /// Writes the footer, fsyncs, renames into place and fsyncs the directory.
    /// Returns the final path and the file's size.
    pub fn finish(mut self) -> Result<(PathBuf, u64), WalError> {
        let mut footer = [0u8; FOOTER_LEN];
        footer[0..8].copy_from_slice(FOOTER_MAGIC);
        footer[8..16].copy_from_slice(&self.chunks.to_le_bytes());
        let crc = crc32c::crc32c(&footer[0..16]);
        footer[16..20].copy_from_slice(&crc.to_le_bytes());
        self.write(&footer)?;
        let file = self
            .file
            .into_inner()
            .map_err(|e| WalError::io("flushing a snapshot", e.into_error()))?;
        file.sync_all()
            .map_err(|e| WalError::io("fsyncing a snapshot", e))?;
        let path = self.dir.join(snapshot_file_name(self.lsn));
        std::fs::rename(&self.tmp_path, &path)
            .map_err(|e| WalError::io("renaming a snapshot into place", e))?;
        fsync_dir(&self.dir)?;
        Ok((path, self.bytes))
    }
}

/// Reads a snapshot file whole and checks every checksum. Returns its LSN and its
/// chunks, or why it is damaged. Never panics, whatever the bytes.
pub fn read_snapshot(path: &Path) -> Result<(u64, Vec<Vec<u8>>), WalError> {
    let bytes =
        std::fs::read(path).map_err(|e| WalError::io(&format!("reading {}", path.display()), e))?;
    let damaged = |offset: usize, reason: &str| WalError::Damaged {
        file: path.to_owned(),
        offset,
        reason: reason.to_owned(),
    };
    if bytes.len() < FILE_HEADER_LEN + FOOTER_LEN {
        return Err(damaged(0, "not a complete Turnstile snapshot"));
    }
    let lsn =
        decode_file_header(&bytes, MAGIC).map_err(|(offset, reason)| damaged(offset, reason))?;
    let footer_at = bytes.len() - FOOTER_LEN;
    let footer = &bytes[footer_at..];
    if &footer[0..8] != FOOTER_MAGIC || crc32c::crc32c(&footer[0..16]) != u32_at(footer, 16) {
        return Err(damaged(footer_at, "snapshot footer missing or damaged"));
    }
    let mut chunks = Vec::new();
    let mut offset = FILE_HEADER_LEN;
    while offset < footer_at {
        if footer_at - offset < 8 {
            return Err(damaged(offset, "truncated chunk header"));
        }
        let len = u32_at(&bytes, offset) as usize;
        let end = offset + 8 + len;
        if len > CHUNK_MAX || end > footer_at {
            return Err(damaged(offset, "chunk runs past the footer"));
        }
        let payload = &bytes[offset + 8..end];
        if crc32c::crc32c(payload) != u32_at(&bytes, offset + 4) {
            return Err(damaged(offset, "chunk checksum mismatch"));
        }
        chunks.push(payload.to_vec());
        offset = end;
    }
    if chunks.len() as u64 != u64_at(footer, 8) {
        return Err(damaged(footer_at, "chunk count does not match the footer"));
    }
    Ok((lsn, chunks))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("turnstile-snap-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn write(dir: &Path, lsn: u64, chunks: &[&[u8]]) -> PathBuf {
        let mut writer = SnapshotWriter::create(dir, lsn).unwrap();
        for chunk in chunks {
            writer.write_chunk(chunk).unwrap();
        }
        writer.finish().unwrap().0
    }

    /// A snapshot reads back with its LSN and chunks; listing finds finished
    /// snapshots newest first and ignores unfinished temporary files.
    #[test]
    fn roundtrip_and_listing() {
        let dir = temp_dir("roundtrip");
        write(&dir, 7, &[b"catalog", b"", b"rows"]);
        write(&dir, 12, &[b"newer"]);
        SnapshotWriter::create(&dir, 20)
            .unwrap()
            .write_chunk(b"never finished")
            .unwrap();
        let listed: Vec<u64> = list_snapshots(&dir)
            .unwrap()
            .into_iter()
            .map(|(lsn, _)| lsn)
            .collect();
        assert_eq!(listed, vec![12, 7]);
        let (lsn, chunks) = read_snapshot(&dir.join(snapshot_file_name(7))).unwrap();
        assert_eq!(
            (lsn, chunks),
            (7, vec![b"catalog".to_vec(), vec![], b"rows".to_vec()])
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Every cut and every single-bit flip of a snapshot is reported as damage
    /// (never a panic, never a silently different content).
    #[test]
    fn damage_is_detected() {
        let dir = temp_dir("damage");
        let path = write(&dir, 3, &[b"first chunk", b"second chunk"]);
        let bytes = std::fs::read(&path).unwrap();
        for cut in 0..bytes.len() {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            assert!(
                matches!(read_snapshot(&path), Err(WalError::Damaged { .. })),
                "cut at {cut}"
            );
        }
        for bit in 0..bytes.len() * 8 {
            let mut damaged = bytes.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            std::fs::write(&path, &damaged).unwrap();
            assert!(
                matches!(read_snapshot(&path), Err(WalError::Damaged { .. })),
                "bit {bit}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
