//! Watches message boundaries in the incoming byte stream so an oversized message is
//! refused from its header, before its body is buffered. Free of tokio: it only sees
//! byte slices, in whatever chunks the socket delivers them.
//!
//! pgwire's decoder has a fixed 1 GiB bound for Query, Parse and Bind and no way to
//! lower it, hence this check in front of it (see `stream.rs`).
//!
//! The stream starts with untagged messages, `[len: i32][code: i32][len - 8 bytes]`:
//! SSLRequest and GSSENCRequest (which may repeat), then StartupMessage or
//! CancelRequest. Every later message is tagged: `[tag: u8][len: i32][len - 4 bytes]`;
//! `len` counts itself but not the tag.

use super::WireError;

/// The request codes of the untagged negotiation messages that a startup follows.
const SSL_REQUEST_CODE: i32 = 80_877_103;
const GSSENC_REQUEST_CODE: i32 = 80_877_104;

/// Tracks where each message starts in the stream and checks its declared length.
#[derive(Debug, Clone)]
pub struct FrameLimit {
    /// Largest `len` accepted.
    max: usize,
    /// False until the startup packet has passed; the header shape differs.
    tagged: bool,
    /// The header bytes of the current message seen so far.
    header: [u8; 8],
    /// How many of `header` are filled.
    header_len: usize,
    /// Body bytes of the current message still to pass before the next header.
    skip: usize,
}

impl FrameLimit {
    pub fn new(max: usize) -> FrameLimit {
        FrameLimit {
            max,
            tagged: false,
            header: [0; 8],
            header_len: 0,
            skip: 0,
        }
    }

    /// Accounts for `bytes`, the next bytes read from the client. Fails on the first
    /// header that declares a length over the limit or under the minimum.
    pub fn observe(&mut self, mut bytes: &[u8]) -> Result<(), WireError> {
        while !bytes.is_empty() {
            if self.skip > 0 {
                let n = self.skip.min(bytes.len());
                self.skip -= n;
                bytes = &bytes[n..];
                continue;
            }
            let need = if self.tagged { 5 } else { 8 };
            let n = (need - self.header_len).min(bytes.len());
            self.header[self.header_len..self.header_len + n].copy_from_slice(&bytes[..n]);
            self.header_len += n;
            bytes = &bytes[n..];
            if self.header_len == need {
                self.header_len = 0;
                self.end_header()?;
            }
        }
        Ok(())
    }

    fn end_header(&mut self) -> Result<(), WireError> {
        let word = |at: usize| {
            i32::from_be_bytes([
                self.header[at],
                self.header[at + 1],
                self.header[at + 2],
                self.header[at + 3],
            ])
        };
        let (len, consumed_of_len) = if self.tagged {
            (word(1), 4)
        } else {
            (word(0), 8)
        };
        if len < consumed_of_len {
            return Err(WireError::Protocol(format!("invalid message length {len}")));
        }
        let len = len as usize;
        if len > self.max {
            return Err(WireError::MessageTooLarge { len, max: self.max });
        }
        self.skip = len - consumed_of_len as usize;
        if !self.tagged {
            let code = word(4);
            self.tagged = code != SSL_REQUEST_CODE && code != GSSENC_REQUEST_CODE;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn startup() -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&17i32.to_be_bytes());
        m.extend_from_slice(&196_608i32.to_be_bytes());
        m.extend_from_slice(b"user\0x\0\0\0");
        m.truncate(17);
        m
    }

    fn tagged(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![tag];
        m.extend_from_slice(&(body.len() as i32 + 4).to_be_bytes());
        m.extend_from_slice(body);
        m
    }

    /// A stream of SSLRequest, startup and small messages passes in any chunking; a
    /// message declaring more than the limit fails at its header.
    #[test]
    fn finds_oversized_header_in_any_chunking() {
        let mut stream = Vec::new();
        stream.extend_from_slice(&8i32.to_be_bytes());
        stream.extend_from_slice(&SSL_REQUEST_CODE.to_be_bytes());
        stream.extend(startup());
        stream.extend(tagged(b'Q', b"select 1\0"));
        stream.extend(tagged(b'S', b""));
        for chunk in [1, 2, 3, 7, 1000] {
            let mut f = FrameLimit::new(100);
            for part in stream.chunks(chunk) {
                f.observe(part).unwrap();
            }
            let mut big = vec![b'Q'];
            big.extend_from_slice(&101i32.to_be_bytes());
            let err = big.chunks(chunk).map(|p| f.observe(p)).find(Result::is_err);
            assert_eq!(
                err,
                Some(Err(WireError::MessageTooLarge { len: 101, max: 100 })),
                "chunk {chunk}"
            );
        }
    }

    /// A length word smaller than itself is a protocol violation.
    #[test]
    fn rejects_short_lengths() {
        let mut f = FrameLimit::new(100);
        f.observe(&startup()).unwrap();
        assert!(matches!(
            f.observe(&[b'Q', 0, 0, 0, 3]),
            Err(WireError::Protocol(_))
        ));
    }
}
