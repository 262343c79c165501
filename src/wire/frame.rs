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
//! It also checks the text of each Query and Parse message as it passes, because
//! pgwire's decoder replaces invalid UTF-8 with U+FFFD (which would then be run, and
//! stored) and runs a Query without its NUL terminator as if it were empty. A
//! Query's whole body is its text; a Parse's text is its statement name and query,
//! the two strings before its binary parameter types. The verdict of each (None:
//! fine) is queued, and taken as pgwire hands over that message (see
//! `connection::next_message`), whatever then becomes of the message — answered,
//! skipped until Sync, refused during COPY — so the verdicts always line up with
//! the messages they belong to.

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
    /// The text check of the Query or Parse whose body is passing, if one is.
    text: Option<TextCheck>,
    /// One verdict per Query or Parse whose body has passed, not yet taken.
    verdicts: VecDeque<Option<WireError>>,
}

/// The messages whose text is checked, and which part of their body that is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextMessage {
    /// The whole body: one string, with exactly one NUL, at the end.
    Query,
    /// The statement name and the query: the body up to its second NUL.
    Parse,
}

impl TextMessage {
    fn of_tag(tag: u8) -> Option<TextMessage> {
        match tag {
            b'Q' => Some(TextMessage::Query),
            b'P' => Some(TextMessage::Parse),
            _ => None,
        }
    }
}

/// The streaming check of one message's text: UTF-8 across chunk boundaries, and
/// for a Query its termination.
#[derive(Debug, Clone)]
struct TextCheck {
    message: TextMessage,
    /// The start of a character cut by the end of the last chunk (at most 3 bytes).
    pending: Vec<u8>,
    /// The bytes of the first invalid character (as many as its lead byte
    /// announces, completed from later chunks), for the message.
    bad: Option<Vec<u8>>,
    /// NUL bytes seen in the text.
    nuls: usize,
    /// The last byte seen (a Query's terminator, if the message is sound).
    last: Option<u8>,
}

impl TextCheck {
    fn new(message: TextMessage) -> TextCheck {
        TextCheck {
            message,
            pending: Vec::new(),
            bad: None,
            nuls: 0,
            last: None,
        }
    }

    fn observe(&mut self, bytes: &[u8]) {
        let Some(&last) = bytes.last() else { return };
        self.last = Some(last);
        let bytes = match self.message {
            TextMessage::Query => bytes,
            // A Parse's text ends with its second NUL; its parameter types follow.
            TextMessage::Parse => {
                let strings_open = 2usize.saturating_sub(self.nuls);
                if strings_open == 0 {
                    return;
                }
                // Up to the NUL that closes the last open string, if it is here.
                let end = bytes
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == 0)
                    .nth(strings_open - 1)
                    .map_or(bytes.len(), |(at, _)| at + 1);
                &bytes[..end]
            }
        };
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
    ///
    /// A Parse's text is only judged whole: without its two NULs pgwire's decoder
    /// refuses the message itself.
    fn finish(self) -> Option<WireError> {
        match self.message {
            TextMessage::Query if self.last != Some(0) => {
                return Some(WireError::Protocol("invalid string in message".into()));
            }
            TextMessage::Query if self.nuls > 1 => {
                return Some(WireError::Protocol("invalid message format".into()));
            }
            TextMessage::Parse if self.nuls < 2 => return None,
            _ => {}
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
            text: None,
            verdicts: VecDeque::new(),
        }
    }

    /// The verdict of the oldest Query or Parse not yet taken: None if its text is
    /// sound. Called once for each Query and Parse message pgwire decodes.
    pub fn take_text_verdict(&mut self) -> Option<WireError> {
        self.verdicts.pop_front().flatten()
    }

    /// Accounts for `bytes`, the next bytes read from the client. Fails on the first
    /// header that declares a length over the limit or under the minimum.
    pub fn observe(&mut self, mut bytes: &[u8]) -> Result<(), WireError> {
        while !bytes.is_empty() {
            if self.skip > 0 {
                let n = self.skip.min(bytes.len());
                self.skip -= n;
                if let Some(text) = &mut self.text {
                    text.observe(&bytes[..n]);
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

    /// The current message's body has passed: queue the verdict of its text.
    fn end_body(&mut self) {
        if let Some(text) = self.text.take() {
            self.verdicts.push_back(text.finish());
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
        } else if let Some(message) = TextMessage::of_tag(self.header[0]) {
            self.text = Some(TextCheck::new(message));
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
        assert_verdicts_in_any_chunking(
            &stream,
            &[
                "",
                "invalid byte sequence for encoding \"UTF8\": 0xe2 0x28 0xa1",
                "invalid string in message",
                "invalid message format",
                "invalid byte sequence for encoding \"UTF8\": 0xe2 0x82 0x27",
            ],
        );
    }

    /// Feeds `stream` in chunks of several sizes and checks the text verdicts, in
    /// order ("" for none), and that no more are queued.
    fn assert_verdicts_in_any_chunking(stream: &[u8], expected: &[&str]) {
        for chunk in [1, 2, 3, 5, 1000] {
            let mut f = FrameLimit::new(1000);
            for part in stream.chunks(chunk) {
                f.observe(part).unwrap();
            }
            let verdicts: Vec<String> = expected
                .iter()
                .map(|_| {
                    f.take_text_verdict()
                        .map(|e| e.to_string())
                        .unwrap_or_default()
                })
                .collect();
            assert_eq!(verdicts, expected, "chunk {chunk}");
            assert_eq!(
                f.take_text_verdict(),
                None,
                "chunk {chunk}: no more verdicts"
            );
        }
    }

    /// A Parse's statement name and query are checked in any chunking, its binary
    /// parameter types are not, and Query and Parse verdicts share one queue in
    /// message order.
    #[test]
    fn checks_parse_text_in_any_chunking() {
        let mut stream = startup();
        // Name, query, one parameter type whose bytes are not UTF-8 (OID 0xff00ff00).
        let parse = |name: &[u8], query: &[u8]| {
            let mut body = [name, b"\0", query, b"\0"].concat();
            body.extend_from_slice(&[0, 1, 0xff, 0, 0xff, 0]);
            tagged(b'P', &body)
        };
        stream.extend(parse(b"", b"select 'caf\xc3\xa9'"));
        stream.extend(parse(b"", b"insert into t values ('a\xffb')"));
        stream.extend(tagged(b'Q', b"select 1\0"));
        stream.extend(parse(b"s\xe2\x28\xa1", b"select 1"));
        stream.extend(tagged(b'S', b""));
        assert_verdicts_in_any_chunking(
            &stream,
            &[
                "",
                "invalid byte sequence for encoding \"UTF8\": 0xff",
                "",
                "invalid byte sequence for encoding \"UTF8\": 0xe2 0x28 0xa1",
            ],
        );
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
