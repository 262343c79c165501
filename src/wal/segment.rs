//! Segment files: the on-disk byte layout of the log, and reading it back.
//!
//! The log is a sequence of segment files in the WAL directory, named by the first
//! LSN they hold (`00000000000000000001.wal`, 20 decimal digits so names sort in
//! LSN order). A segment is written append-only and never rewritten; when it grows
//! past the configured size the next record starts a new segment.
//!
//! # Segment layout
//!
//! 1. Header, [`HEADER_LEN`] = 24 bytes (see the `header` module): magic `TSTLWAL\n`,
//!    format version, the LSN of the first record in this segment, CRC32C.
//! 2. Records, back to back, each [`RECORD_HEADER_LEN`] = 20 bytes of header then
//!    the payload:
//!    - bytes 0..4: payload length `n`, u32 LE (at most [`RECORD_PAYLOAD_MAX`]);
//!    - bytes 4..12: the record's LSN, u64 LE: exactly one more than the previous
//!      record's, across segments;
//!    - bytes 12..16: CRC32C of bytes 0..12, so a damaged length is recognized as
//!      damage instead of being followed to a wrong place;
//!    - bytes 16..20: CRC32C of the payload;
//!    - bytes 20..20+n: the payload (a transaction's redo, encoded by the store).
//!
//! # What reading accepts
//!
//! Reading a segment yields its valid records in order and says how it ended:
//! cleanly at the end of the file, at a *torn tail*, or at *damage*. A torn tail is
//! what a crash in the middle of an append leaves: a record whose bytes run past the
//! end of the file, a last record whose payload checksum fails, or a zero-filled
//! remainder (a file extended but not written). Only the last segment may end in a
//! torn tail; recovery cuts it off with a warning. Anything else — a header checksum
//! failure with bytes after it, a payload checksum failure before the last record,
//! an LSN out of sequence — is damage, and recovery refuses to guess.

use std::path::{Path, PathBuf};

use super::header::{decode_file_header, encode_file_header, u32_at, u64_at, FILE_HEADER_LEN};

/// The first bytes of every segment file.
pub const MAGIC: &[u8; 8] = b"TSTLWAL\n";
/// Bytes of the segment header.
pub const HEADER_LEN: usize = FILE_HEADER_LEN;
/// Bytes of a record's header, before its payload.
pub const RECORD_HEADER_LEN: usize = 20;
/// The largest payload a record may carry (1 GiB), so a damaged length can never
/// make the reader allocate without bound.
pub const RECORD_PAYLOAD_MAX: usize = 1 << 30;

/// The file name of the segment whose first record is `first_lsn`.
pub fn segment_file_name(first_lsn: u64) -> String {
    format!("{first_lsn:020}.wal")
}

/// The first LSN encoded in a segment file name, if `path` names a segment.
pub fn parse_segment_file_name(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    let digits = name.strip_suffix(".wal")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The segment header for a segment starting at `first_lsn`.
pub fn encode_header(first_lsn: u64) -> [u8; HEADER_LEN] {
    encode_file_header(MAGIC, first_lsn)
}

/// Appends one record to `out`.
pub fn encode_record(out: &mut Vec<u8>, lsn: u64, payload: &[u8]) {
    assert!(
        payload.len() <= RECORD_PAYLOAD_MAX,
        "callers bound payloads"
    );
    out.reserve(RECORD_HEADER_LEN + payload.len());
    let start = out.len();
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&lsn.to_le_bytes());
    let header_crc = crc32c::crc32c(&out[start..start + 12]);
    out.extend_from_slice(&header_crc.to_le_bytes());
    out.extend_from_slice(&crc32c::crc32c(payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// One record read back from a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub lsn: u64,
    /// The record's byte offset in its segment file, for messages.
    pub offset: usize,
    pub payload: Vec<u8>,
}

/// How reading a segment ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SegmentEnd {
    /// Every byte belonged to a valid record.
    Clean,
    /// A crash left a partial append from `offset` on; `dropped` bytes follow it.
    TornTail { offset: usize, dropped: usize },
    /// The bytes at `offset` are damaged, not merely incomplete.
    Damaged { offset: usize, reason: String },
}

/// A segment's valid records and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentContents {
    pub first_lsn: u64,
    pub records: Vec<Record>,
    pub end: SegmentEnd,
}

/// Parses a whole segment file. `expected_first_lsn` comes from the file name; a
/// header that disagrees is damage. Never panics, whatever the bytes.
pub fn read_segment(bytes: &[u8], expected_first_lsn: u64) -> SegmentContents {
    let damaged = |offset: usize, reason: &str| SegmentContents {
        first_lsn: expected_first_lsn,
        records: Vec::new(),
        end: SegmentEnd::Damaged {
            offset,
            reason: reason.to_owned(),
        },
    };
    if bytes.len() < HEADER_LEN {
        // A segment is created with its header in one write and fsynced before any
        // record goes in, so a short header is a crash during creation: torn.
        let end = SegmentEnd::TornTail {
            offset: 0,
            dropped: bytes.len(),
        };
        return SegmentContents {
            first_lsn: expected_first_lsn,
            records: Vec::new(),
            end,
        };
    }
    match decode_file_header(bytes, MAGIC) {
        Err((offset, reason)) => return damaged(offset, reason),
        Ok(lsn) if lsn != expected_first_lsn => {
            return damaged(12, "segment header LSN does not match its file name")
        }
        Ok(_) => {}
    }
    let mut records = Vec::new();
    let end = read_records(bytes, expected_first_lsn, &mut records);
    SegmentContents {
        first_lsn: expected_first_lsn,
        records,
        end,
    }
}

/// Reads records from just past the header, appending them to `records`.
fn read_records(bytes: &[u8], first_lsn: u64, records: &mut Vec<Record>) -> SegmentEnd {
    let mut offset = HEADER_LEN;
    let mut next_lsn = first_lsn;
    while offset < bytes.len() {
        let rest = &bytes[offset..];
        let torn = SegmentEnd::TornTail {
            offset,
            dropped: rest.len(),
        };
        if rest.iter().all(|&b| b == 0) {
            return torn;
        }
        if rest.len() < RECORD_HEADER_LEN {
            return torn;
        }
        if crc32c::crc32c(&rest[0..12]) != u32_at(rest, 12) {
            return SegmentEnd::Damaged {
                offset,
                reason: "record header checksum mismatch".into(),
            };
        }
        let len = u32_at(rest, 0) as usize;
        let lsn = u64_at(rest, 4);
        if len > RECORD_PAYLOAD_MAX {
            return SegmentEnd::Damaged {
                offset,
                reason: "record length over the maximum".into(),
            };
        }
        if lsn != next_lsn {
            let reason = format!("record LSN {lsn} out of sequence (expected {next_lsn})");
            return SegmentEnd::Damaged { offset, reason };
        }
        let record_len = RECORD_HEADER_LEN + len;
        if rest.len() < record_len {
            return torn;
        }
        let payload = &rest[RECORD_HEADER_LEN..record_len];
        if crc32c::crc32c(payload) != u32_at(rest, 16) {
            if rest.len() == record_len {
                // The last record of the file with a bad payload: an append that
                // reached the file's length but not all its bytes.
                return torn;
            }
            return SegmentEnd::Damaged {
                offset,
                reason: "record payload checksum mismatch".into(),
            };
        }
        records.push(Record {
            lsn,
            offset,
            payload: payload.to_vec(),
        });
        next_lsn += 1;
        offset += record_len;
    }
    SegmentEnd::Clean
}

/// The segment files in `dir`, sorted by first LSN.
pub fn list_segments(dir: &Path) -> std::io::Result<Vec<(u64, PathBuf)>> {
    let mut segments = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if let Some(first_lsn) = parse_segment_file_name(&path) {
            segments.push((first_lsn, path));
        }
    }
    segments.sort();
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A segment starting at LSN 1 with `n` records whose payloads are distinct.
    fn segment_with(n: u64) -> Vec<u8> {
        let mut bytes = encode_header(1).to_vec();
        for lsn in 1..=n {
            let payload = format!("transaction {lsn}").repeat(lsn as usize);
            encode_record(&mut bytes, lsn, payload.as_bytes());
        }
        bytes
    }

    fn lsns(contents: &SegmentContents) -> Vec<u64> {
        contents.records.iter().map(|r| r.lsn).collect()
    }

    /// Records come back in order with their payloads, and the segment ends cleanly.
    #[test]
    fn roundtrip() {
        let contents = read_segment(&segment_with(3), 1);
        assert_eq!(lsns(&contents), vec![1, 2, 3]);
        assert_eq!(contents.records[1].payload, b"transaction 2transaction 2");
        assert_eq!(contents.end, SegmentEnd::Clean);
    }

    /// Cutting the segment at every byte offset yields exactly the records wholly
    /// before the cut, and a torn tail (never damage, never a panic).
    #[test]
    fn every_cut_is_a_prefix() {
        let bytes = segment_with(5);
        let full = read_segment(&bytes, 1);
        for cut in 0..bytes.len() {
            let contents = read_segment(&bytes[..cut], 1);
            let complete = full
                .records
                .iter()
                .filter(|r| r.offset + RECORD_HEADER_LEN + r.payload.len() <= cut);
            let expected: Vec<u64> = complete.map(|r| r.lsn).collect();
            assert_eq!(lsns(&contents), expected, "cut at {cut}");
            let at_boundary = cut == HEADER_LEN
                || full
                    .records
                    .iter()
                    .any(|r| r.offset + RECORD_HEADER_LEN + r.payload.len() == cut);
            if at_boundary {
                assert_eq!(contents.end, SegmentEnd::Clean, "cut at {cut}");
            } else {
                assert!(
                    matches!(contents.end, SegmentEnd::TornTail { .. }),
                    "cut at {cut}: {:?}",
                    contents.end
                );
            }
        }
    }

    /// Flipping any single bit yields a prefix of the records, and the records it
    /// keeps are exactly the original ones; damage before the last record is
    /// reported as damage, not cut as a torn tail.
    #[test]
    fn every_bit_flip_is_detected() {
        let bytes = segment_with(4);
        let full = read_segment(&bytes, 1);
        let last_offset = full.records.last().map(|r| r.offset).unwrap_or(HEADER_LEN);
        for bit in 0..bytes.len() * 8 {
            let mut damaged = bytes.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            let contents = read_segment(&damaged, 1);
            assert_eq!(
                contents.records,
                full.records[..contents.records.len()],
                "bit {bit}"
            );
            assert_ne!(contents.end, SegmentEnd::Clean, "bit {bit} went unnoticed");
            if bit / 8 < last_offset {
                assert!(
                    matches!(contents.end, SegmentEnd::Damaged { .. }),
                    "bit {bit}: {:?}",
                    contents.end
                );
            }
        }
    }

    /// A zero-filled remainder (a file extended but never written) is a torn tail.
    #[test]
    fn zero_fill_is_torn() {
        let mut bytes = segment_with(2);
        bytes.extend_from_slice(&[0u8; 4096]);
        let contents = read_segment(&bytes, 1);
        assert_eq!(lsns(&contents), vec![1, 2]);
        assert_eq!(
            contents.end,
            SegmentEnd::TornTail {
                offset: bytes.len() - 4096,
                dropped: 4096
            }
        );
    }

    /// A segment whose header names another LSN than its file, or whose records skip
    /// an LSN, is damaged.
    #[test]
    fn lsn_sequence_is_checked() {
        let contents = read_segment(&segment_with(2), 7);
        assert!(matches!(
            contents.end,
            SegmentEnd::Damaged { offset: 12, .. }
        ));
        let mut bytes = encode_header(1).to_vec();
        encode_record(&mut bytes, 1, b"a");
        encode_record(&mut bytes, 3, b"b");
        let contents = read_segment(&bytes, 1);
        assert_eq!(lsns(&contents), vec![1]);
        assert!(matches!(contents.end, SegmentEnd::Damaged { .. }));
    }

    /// File names sort in LSN order and parse back.
    #[test]
    fn file_names() {
        assert_eq!(segment_file_name(42), "00000000000000000042.wal");
        assert_eq!(
            parse_segment_file_name(Path::new("/x/00000000000000000042.wal")),
            Some(42)
        );
        assert_eq!(parse_segment_file_name(Path::new("/x/42.wal")), None);
        assert_eq!(
            parse_segment_file_name(Path::new("/x/00000000000000000042.tmp")),
            None
        );
    }
}
