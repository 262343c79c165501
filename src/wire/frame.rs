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
//!
//! It also checks the text of each Query message as it passes, because pgwire's
//! decoder replaces invalid UTF-8 with U+FFFD and runs a Query without its NUL
//! terminator as if it were empty. The verdict of each Query (None: fine) is queued
//! for the connection, which takes it when pgwire hands over that Query; messages
//! are decoded in order, so the verdicts line up.

use std::collections::VecDeque;

use super::codec::{bad_bytes, utf8_lead_len as lead_len};
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
    /// The text check of the Query whose body is passing, if one is.
    query: Option<QueryCheck>,
    /// One verdict per Query whose body has passed, not yet taken by the connection.
    verdicts: VecDeque<Option<WireError>>,
}

/// The streaming check of one Query body: UTF-8 across chunk boundaries, and
/// exactly one NUL, at the end.
#[derive(Debug, Clone, Default)]
struct QueryCheck {
    /// The start of a character cut by the end of the last chunk (at most 3 bytes).
    pending: Vec<u8>,
    /// The bytes of the first invalid character (as many as its lead byte
    /// announces, completed from later chunks), for the message.
    bad: Option<Vec<u8>>,
    /// NUL bytes seen.
    nuls: usize,
    /// The last byte seen (the terminator, if the message is sound).
    last: Option<u8>,
}

impl QueryCheck {
    fn observe(&mut self, bytes: &[u8]) {
        let Some(&last) = bytes.last() else { return };
        self.last = Some(last);
        self.nuls += bytes.iter().filter(|b| **b == 0).count();
        if let Some(bad) = &mut self.bad {
            let missing = lead_len(bad[0]).saturating_sub(bad.len());
            bad.extend(bytes.iter().take(missing));
            return;
        }
        let mut joined;
        let text = if self.pending.is_empty() {
            bytes
        } else {
            // Only a cut character is copied; whole chunks are checked in place.
            joined = std::mem::take(&mut self.pending);
            joined.extend_from_slice(bytes);
            &joined[..]
        };
        if let Err(e) = std::str::from_utf8(text) {
            let rest = &text[e.valid_up_to()..];
            match e.error_len() {
                None => self.pending = rest.to_vec(),
                Some(_) => self.bad = Some(rest.iter().take(lead_len(rest[0])).copied().collect()),
            }
        }
    }

    /// The verdict at the end of the body, in PostgreSQL's order: the string's
    /// termination first, then its encoding. A missing terminator or a NUL inside
    /// is fatal here, where PostgreSQL answers ERROR and goes on: pgwire's decoder
    /// then leaves bytes of this message in its buffer, or takes bytes of the next
    /// one, so the stream after it cannot be trusted.
    fn finish(self) -> Option<WireError> {
        if self.last != Some(0) {
            return Some(WireError::Protocol("invalid string in message".into()));
        }
        if self.nuls > 1 {
            return Some(WireError::Protocol("invalid message format".into()));
        }
        if !self.pending.is_empty() {
            return Some(WireError::InvalidUtf8(bad_bytes(&self.pending)));
        }
        self.bad.map(|bad| WireError::InvalidUtf8(bad_bytes(&bad)))
    }
}

impl FrameLimit {
    pub fn new(max: usize) -> FrameLimit {
        FrameLimit {
            max,
            tagged: false,
            header: [0; 8],
            header_len: 0,
            skip: 0,
            query: None,
            verdicts: VecDeque::new(),
        }
    }

    /// The verdict of the oldest Query not yet taken: None if its text is sound.
    /// The connection calls it once per Query message pgwire decodes.
    pub fn take_query_verdict(&mut self) -> Option<WireError> {
        self.verdicts.pop_front().flatten()
    }

    /// Accounts for `bytes`, the next bytes read from the client. Fails on the first
    /// header that declares a length over the limit or under the minimum.
    pub fn observe(&mut self, mut bytes: &[u8]) -> Result<(), WireError> {
        while !bytes.is_empty() {
            if self.skip > 0 {
                let n = self.skip.min(bytes.len());
                self.skip -= n;
                if let Some(query) = &mut self.query {
                    query.observe(&bytes[..n]);
                }
                if self.skip == 0 {
                    self.end_body();
                }
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

    /// The current message's body has passed: queue the verdict of a Query.
    fn end_body(&mut self) {
        if let Some(query) = self.query.take() {
            self.verdicts.push_back(query.finish());
        }
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
        } else if self.header[0] == b'Q' {
            self.query = Some(QueryCheck::default());
            if self.skip == 0 {
                self.end_body();
            }
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
    /// Query texts are checked in any chunking: invalid UTF-8 names its bytes (a
    /// character cut between chunks is fine), a missing terminator or an inner NUL
    /// is 08P01, and each Query gets its own verdict in order.
    #[test]
    fn checks_query_text_in_any_chunking() {
        let mut stream = startup();
        for body in [
            "select 'é€𝄞'\0".as_bytes(),
            b"select '\xe2\x28\xa1'\0",
            b"select 1",
            b"select 1\0x\0",
            b"select '\xe2\x82'\0",
        ] {
            stream.extend(tagged(b'Q', body));
        }
        for chunk in [1, 2, 3, 5, 1000] {
            let mut f = FrameLimit::new(1000);
            for part in stream.chunks(chunk) {
                f.observe(part).unwrap();
            }
            let verdicts: Vec<String> = (0..5)
                .map(|_| {
                    f.take_query_verdict()
                        .map(|e| e.to_string())
                        .unwrap_or_default()
                })
                .collect();
            assert_eq!(
                verdicts,
                [
                    "",
                    "invalid byte sequence for encoding \"UTF8\": 0xe2 0x28 0xa1",
                    "invalid string in message",
                    "invalid message format",
                    "invalid byte sequence for encoding \"UTF8\": 0xe2 0x82 0x27",
                ],
                "chunk {chunk}"
            );
        }
    }

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
