//! The 24-byte header that opens every segment and snapshot file, and little-endian
//! field readers shared by their parsers.
//!
//! Layout: magic (8 bytes), format version u32 LE (4), an LSN u64 LE (8), CRC32C of
//! the previous 20 bytes (4).

/// Bytes of a file header.
pub const FILE_HEADER_LEN: usize = 24;
/// The file format this code writes and reads, for segments and snapshots alike.
pub const FORMAT_VERSION: u32 = 1;

pub fn encode_file_header(magic: &[u8; 8], lsn: u64) -> [u8; FILE_HEADER_LEN] {
    let mut header = [0u8; FILE_HEADER_LEN];
    header[0..8].copy_from_slice(magic);
    header[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    header[12..20].copy_from_slice(&lsn.to_le_bytes());
    let crc = crc32c::crc32c(&header[0..20]);
    header[20..24].copy_from_slice(&crc.to_le_bytes());
    header
}

/// The LSN in a file header, or the offset and reason it is not a valid one.
pub fn decode_file_header(bytes: &[u8], magic: &[u8; 8]) -> Result<u64, (usize, &'static str)> {
    if bytes.len() < FILE_HEADER_LEN || &bytes[0..8] != magic {
        return Err((0, "bad magic: not this kind of Turnstile file"));
    }
    if crc32c::crc32c(&bytes[0..20]) != u32_at(bytes, 20) {
        return Err((0, "file header checksum mismatch"));
    }
    if u32_at(bytes, 8) != FORMAT_VERSION {
        return Err((8, "unsupported file format version"));
    }
    Ok(u64_at(bytes, 12))
}

pub fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

pub fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}
