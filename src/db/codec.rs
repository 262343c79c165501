//! Small binary encoding helpers shared by stored rows and redo records: LEB128
//! varints, zigzag signed integers, length-prefixed bytes, and a bounds-checked
//! reader for bytes that come from disk.

/// Zigzag maps signed to unsigned so that small magnitudes stay small:
/// 0, -1, 1, -2, … become 0, 1, 2, 3, ….
pub(crate) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub(crate) fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

/// The bytes [`put_varint`] writes for `v`.
pub(crate) fn varint_len(mut v: u64) -> usize {
    let mut len = 1;
    while v >= 0x80 {
        v >>= 7;
        len += 1;
    }
    len
}

pub(crate) fn put_varint(out: &mut impl Extend<u8>, mut v: u64) {
    while v >= 0x80 {
        out.extend([(v as u8) | 0x80]);
        v >>= 7;
    }
    out.extend([v as u8]);
}

/// A varint length, then the bytes.
pub(crate) fn put_bytes(out: &mut impl Extend<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend(bytes.iter().copied());
}

/// Bytes that do not decode as what they should be. Reading a redo record or a
/// snapshot that passed its checksum yet fails here means a bug or a format
/// mismatch, never a reason to panic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecError(pub String);

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A bounds-checked cursor over bytes read from disk.
pub(crate) struct ByteReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> ByteReader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> ByteReader<'a> {
        ByteReader { bytes, pos: 0 }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn error(&self, what: &str) -> CodecError {
        CodecError(format!("{what} at byte {}", self.pos))
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let end = end.ok_or_else(|| self.error("truncated input"))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.take(1)?[0])
    }

    /// A varint in the shortest form [`put_varint`] writes: a value with a
    /// redundant zero group, or bits past 64, is refused, so every value has one
    /// encoding (checked rows rely on it, see `Row::check_untrusted`).
    pub(crate) fn varint(&mut self) -> Result<u64, CodecError> {
        let mut value = 0u64;
        let mut shift = 0;
        while let Some(&byte) = self.bytes.get(self.pos) {
            self.pos += 1;
            // The tenth group holds bit 63 alone; anything more (including a
            // continuation) does not fit, so `shift` never passes 63.
            if shift == 63 && byte > 1 {
                return Err(self.error("varint longer than 64 bits"));
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                if byte == 0 && shift > 0 {
                    return Err(self.error("varint not in its shortest form"));
                }
                return Ok(value);
            }
            shift += 7;
        }
        Err(self.error("truncated input"))
    }

    pub(crate) fn int(&mut self) -> Result<i64, CodecError> {
        Ok(unzigzag(self.varint()?))
    }

    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], CodecError> {
        let len = usize::try_from(self.varint()?).map_err(|_| self.error("length too large"))?;
        self.take(len)
    }

    pub(crate) fn string(&mut self) -> Result<String, CodecError> {
        let bytes = self.bytes()?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.error("invalid UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Varints and zigzag integers roundtrip at their extremes, and the reader
    /// refuses truncated or overlong input instead of panicking.
    #[test]
    fn roundtrip_and_refusal() {
        let mut out = Vec::new();
        for v in [0, 1, -1, 63, -64, i64::MIN, i64::MAX] {
            put_varint(&mut out, zigzag(v));
        }
        put_bytes(&mut out, "héllo".as_bytes());
        let mut reader = ByteReader::new(&out);
        for v in [0, 1, -1, 63, -64, i64::MIN, i64::MAX] {
            assert_eq!(reader.int().unwrap(), v);
        }
        assert_eq!(reader.string().unwrap(), "héllo");
        assert!(reader.is_empty());
        assert!(ByteReader::new(&out[..out.len() - 1]).bytes().is_ok());
        assert!(ByteReader::new(&[0x80; 11]).varint().is_err());
        // u64::MAX is nine 0xff groups and a final 1; a final 2 would be bit 64.
        let mut max = [0xff; 10];
        max[9] = 1;
        assert_eq!(ByteReader::new(&max).varint().unwrap(), u64::MAX);
        max[9] = 2;
        assert!(ByteReader::new(&max).varint().is_err());
        // Zero written in two groups instead of one.
        assert!(ByteReader::new(&[0x80, 0x00]).varint().is_err());
        assert!(ByteReader::new(&[5, b'a']).bytes().is_err());
    }
}
