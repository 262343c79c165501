//! Watches message boundaries in the incoming byte stream: an oversized message is
//! refused from its header, before its body is buffered, and a message whose body
//! does not have its type's shape is refused before pgwire decodes it. Free of
//! tokio: it only sees byte slices, in whatever chunks the socket delivers them.
//!
//! pgwire's decoder has a fixed 1 GiB bound for Query, Parse and Bind and no way to
//! lower it, hence the size check in front of it (see `stream.rs`).
//!
//! The stream starts with untagged messages, `[len: i32][code: i32][len - 8 bytes]`:
//! SSLRequest and GSSENCRequest (which may repeat), then StartupMessage or
//! CancelRequest. Every later message is tagged: `[tag: u8][len: i32][len - 4 bytes]`;
//! `len` counts itself but not the tag.
//!
//! pgwire 0.42 decodes a message from the front of its read buffer, not from the
//! body its length declares: a decoder that reads less than the body (Sync, Flush
//! and CopyDone read nothing; Describe, Close and Execute stop after their fields)
//! leaves the rest to be decoded as further messages, and one that reads more (a
//! string without its NUL, a Bind value longer than the body) takes bytes of the
//! next message. Either way bytes sent as data would run as messages. So the body
//! of each message with a known shape ([`shape`]) is checked to hold exactly its
//! fields, as PostgreSQL's `pq_getmsg*` and `pq_getmsgend` check it, with their
//! messages (08P01). A message that fails is refused before its last byte reaches
//! pgwire, which decodes only whole messages, so it never decodes that one; the
//! messages before it are answered first, as PostgreSQL answers them.
//!
//! PostgreSQL then answers ERROR and goes on, having read the message by its length;
//! here the refusal is FATAL (the stream's next read fails). Going on would need
//! the message kept from pgwire and an ErrorResponse answered in its place, in
//! order with the messages around it, which only the connection loop can do.
//!
//! It also checks the text of each Query and Parse as it passes, because pgwire's
//! decoder replaces invalid UTF-8 with U+FFFD (which would then be run, and
//! stored). Their text is their strings: a Query's one, a Parse's statement name
//! and query (not its binary parameter types). The verdict of each (None: fine) is
//! queued, and taken as pgwire hands over that message (see
//! `connection::next_message`), whatever then becomes of the message — answered,
//! skipped until Sync, refused during COPY — so the verdicts always line up with
//! the messages they belong to.

use std::collections::VecDeque;

use super::WireError;
use crate::types::binary::{bad_bytes, utf8_lead_len as lead_len};
use crate::types::TypeError;

/// The request codes of the untagged negotiation messages that a startup follows.
const SSL_REQUEST_CODE: i32 = 80_877_103;
const GSSENC_REQUEST_CODE: i32 = 80_877_104;

/// PostgreSQL's messages for a body that does not hold its fields exactly.
const NO_DATA_LEFT: &str = "no data left in message";
const INSUFFICIENT_DATA: &str = "insufficient data left in message";
const INVALID_STRING: &str = "invalid string in message";
const INVALID_FORMAT: &str = "invalid message format";

/// Tracks where each message starts in the stream and checks its declared length
/// and body. After a [`Refusal`] the stream is over: nothing more is observed.
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
    /// The check of the body that is passing, if its message has a known shape.
    body: Option<BodyCheck>,
    /// One verdict per Query or Parse whose body has passed, not yet taken.
    verdicts: VecDeque<Option<TypeError>>,
}

/// Why the stream is refused from some byte of a chunk on.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// How many bytes of the chunk came before the byte that showed the fault. That
    /// byte belongs to the faulty message, so these end before it does: pgwire may
    /// take them, and decodes only the sound messages before it.
    pub passed: usize,
    pub error: WireError,
}

/// One field of a message body, as PostgreSQL reads it.
#[derive(Debug, Clone, Copy)]
enum Field {
    /// One byte: Describe's and Close's target type.
    Byte,
    /// A NUL-terminated string.
    String,
    /// An i32: Execute's row limit.
    Int32,
    /// A u16 count, then that many items of this many bytes: Bind's format codes,
    /// Parse's parameter types.
    Array(usize),
    /// Bind's parameter values: a u16 count, then for each an i32 length and that
    /// many bytes (none for -1, NULL).
    Values,
}

/// The fields that fill the body of a message with tag `tag`, in order; None for a
/// body that is not checked. CopyData's body is any bytes; Terminate ends the
/// session whatever its body holds (PostgreSQL does not read it either). PostgreSQL
/// does not check CopyDone's body, nor what follows CopyFail's reason, but pgwire
/// would decode those bytes as messages, so here they are refused.
fn shape(tag: u8) -> Option<&'static [Field]> {
    match tag {
        // Query; CopyFail with its reason.
        b'Q' | b'f' => Some(&[Field::String]),
        b'P' => Some(&[Field::String, Field::String, Field::Array(4)]),
        b'B' => Some(&[
            Field::String,
            Field::String,
            Field::Array(2),
            Field::Values,
            Field::Array(2),
        ]),
        // Describe, Close.
        b'D' | b'C' => Some(&[Field::Byte, Field::String]),
        // Execute.
        b'E' => Some(&[Field::String, Field::Int32]),
        // Sync, Flush, CopyDone.
        b'S' | b'H' | b'c' => Some(&[]),
        _ => None,
    }
}

/// The streaming check of one message's body against its shape, and of the text
/// of its strings for a Query or Parse.
#[derive(Debug, Clone)]
struct BodyCheck {
    /// The fields not yet begun.
    fields: &'static [Field],
    /// What the next body byte belongs to.
    step: Step,
    /// Bind values still to come after the one being read.
    values: usize,
    /// The text check of a Query's or Parse's strings.
    text: Option<TextCheck>,
}

/// Where the check is in the body's fields.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// The start of the next field; with none left, the body must be over.
    Field,
    /// A string, up to its NUL.
    String,
    /// A big-endian integer of `len` bytes, `have` of them read into `value`.
    Int {
        len: u8,
        have: u8,
        value: u32,
        counts: Counts,
    },
    /// Bytes to pass over.
    Skip(usize),
}

/// What an integer of the body counts.
#[derive(Debug, Clone, Copy)]
enum Counts {
    /// Nothing: Describe's target type, Execute's row limit.
    Nothing,
    /// The items, of this many bytes each, of an array.
    Items(usize),
    /// Bind's values.
    Values,
    /// The bytes of one Bind value.
    ValueBytes,
}

impl BodyCheck {
    fn new(fields: &'static [Field], text: Option<TextCheck>) -> BodyCheck {
        BodyCheck {
            fields,
            step: Step::Field,
            values: 0,
            text,
        }
    }

    /// Checks a body that is here whole, field by field rather than byte by byte,
    /// with the faults [`BodyCheck::observe`] and [`BodyCheck::finish`] find in it
    /// in pieces, at the same offsets: most messages arrive whole, and stepping
    /// through their Bind and Execute a byte at a time took 530 more of the 17,000
    /// instructions a `pgbench -M prepared` transaction costs the server.
    fn check_whole(mut self, body: &[u8]) -> Result<Option<TextCheck>, (usize, &'static str)> {
        // A body that ends inside a field shows it at its last byte, as in pieces.
        let last = body.len().saturating_sub(1);
        let mut at = 0;
        // The next `len` bytes as a big-endian integer, or the body is short.
        let int = |at: &mut usize, len: usize| {
            let bytes = body.get(*at..*at + len).ok_or((last, INSUFFICIENT_DATA))?;
            *at += len;
            Ok(bytes
                .iter()
                .fold(0u32, |value, &b| value << 8 | u32::from(b)))
        };
        for field in self.fields {
            if at >= body.len() {
                // Ended where the field should begin, or earlier: items or a
                // value ran past the end.
                let cut = if at == body.len() {
                    BodyCheck::cut_before(field)
                } else {
                    INSUFFICIENT_DATA
                };
                return Err((last, cut));
            }
            match *field {
                Field::Byte => at += 1,
                Field::String => {
                    let rest = &body[at..];
                    let nul = rest.iter().position(|b| *b == 0);
                    let string = &rest[..nul.map_or(rest.len(), |nul| nul + 1)];
                    if let Some(text) = &mut self.text {
                        text.observe(string);
                    }
                    at += string.len();
                    if nul.is_none() {
                        return Err((last, INVALID_STRING));
                    }
                }
                Field::Int32 => {
                    int(&mut at, 4)?;
                }
                Field::Array(size) => at += int(&mut at, 2)? as usize * size,
                Field::Values => {
                    for _ in 0..int(&mut at, 2)? {
                        match int(&mut at, 4)? as i32 {
                            -1 => {}
                            len if len < 0 => return Err((at - 1, INSUFFICIENT_DATA)),
                            len => at += len as usize,
                        }
                    }
                }
            }
        }
        match at.cmp(&body.len()) {
            std::cmp::Ordering::Less => Err((at, INVALID_FORMAT)),
            std::cmp::Ordering::Equal => Ok(self.text),
            // Items or a value ran past the end.
            std::cmp::Ordering::Greater => Err((last, INSUFFICIENT_DATA)),
        }
    }

    /// Checks the next bytes of the body; on a fault, the offset in `bytes` of the
    /// byte that showed it and PostgreSQL's message.
    fn observe(&mut self, bytes: &[u8]) -> Result<(), (usize, &'static str)> {
        let mut at = 0;
        while at < bytes.len() {
            match &mut self.step {
                Step::Field => {
                    let Some((field, rest)) = self.fields.split_first() else {
                        return Err((at, INVALID_FORMAT));
                    };
                    self.fields = rest;
                    self.step = match *field {
                        Field::Byte => int(1, Counts::Nothing),
                        Field::String => Step::String,
                        Field::Int32 => int(4, Counts::Nothing),
                        Field::Array(size) => int(2, Counts::Items(size)),
                        Field::Values => int(2, Counts::Values),
                    };
                }
                Step::String => {
                    let rest = &bytes[at..];
                    let end = rest.iter().position(|b| *b == 0).map(|nul| nul + 1);
                    let string = &rest[..end.unwrap_or(rest.len())];
                    if let Some(text) = &mut self.text {
                        text.observe(string);
                    }
                    at += string.len();
                    if end.is_some() {
                        self.next_item();
                    }
                }
                Step::Int {
                    len,
                    have,
                    value,
                    counts,
                } => {
                    // As many of its bytes as this chunk holds, in one go: the
                    // integers are most of the fields a Bind or Execute has.
                    let take = usize::from(*len - *have).min(bytes.len() - at);
                    for &byte in &bytes[at..at + take] {
                        *value = *value << 8 | u32::from(byte);
                    }
                    *have += take as u8;
                    at += take;
                    if have == len {
                        let (value, counts) = (*value, *counts);
                        self.counted(value, counts).map_err(|e| (at - 1, e))?;
                    }
                }
                Step::Skip(left) => {
                    let n = (*left).min(bytes.len() - at);
                    *left -= n;
                    at += n;
                    if *left == 0 {
                        self.next_item();
                    }
                }
            }
        }
        Ok(())
    }

    /// An integer of the body has been read: what follows it.
    fn counted(&mut self, value: u32, counts: Counts) -> Result<(), &'static str> {
        match counts {
            Counts::Nothing => self.next_item(),
            Counts::Items(size) => self.skip(value as usize * size),
            Counts::Values => {
                self.values = value as usize;
                self.next_item();
            }
            Counts::ValueBytes => match value as i32 {
                -1 => self.next_item(),
                // PostgreSQL's pq_getmsgbytes refuses a negative length; pgwire's
                // decoder took it as NULL.
                len if len < 0 => return Err(INSUFFICIENT_DATA),
                len => self.skip(len as usize),
            },
        }
        Ok(())
    }

    /// `n` bytes follow that are not checked: an array's items, a Bind value.
    fn skip(&mut self, n: usize) {
        if n == 0 {
            self.next_item();
        } else {
            self.step = Step::Skip(n);
        }
    }

    /// An item has been read: the next Bind value's length if one is due, else
    /// the next field.
    fn next_item(&mut self) {
        if self.values > 0 {
            self.values -= 1;
            self.step = int(4, Counts::ValueBytes);
        } else {
            self.step = Step::Field;
        }
    }

    /// The body is over: its text check if every field was whole, else
    /// PostgreSQL's message for the field cut short.
    fn finish(self) -> Result<Option<TextCheck>, &'static str> {
        match (self.step, self.fields.first()) {
            (Step::Field, None) => Ok(self.text),
            (Step::Field, Some(field)) => Err(BodyCheck::cut_before(field)),
            (Step::String, _) => Err(INVALID_STRING),
            _ => Err(INSUFFICIENT_DATA),
        }
    }

    /// PostgreSQL's message for a body that ends where `field` should begin.
    fn cut_before(field: &Field) -> &'static str {
        match field {
            Field::Byte => NO_DATA_LEFT,
            Field::String => INVALID_STRING,
            _ => INSUFFICIENT_DATA,
        }
    }
}

fn int(len: u8, counts: Counts) -> Step {
    Step::Int {
        len,
        have: 0,
        value: 0,
        counts,
    }
}

/// The UTF-8 check of a message's text across chunk boundaries.
#[derive(Debug, Clone, Default)]
struct TextCheck {
    /// The start of a character cut by the end of the last chunk (at most 3 bytes).
    pending: Vec<u8>,
    /// The bytes of the first invalid character (as many as its lead byte
    /// announces, completed from later chunks), for the message.
    bad: Option<Vec<u8>>,
}

impl TextCheck {
    /// Checks the next bytes of the text: its strings with their NULs, which end
    /// any character cut before them.
    fn observe(&mut self, bytes: &[u8]) {
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

    /// The verdict once the text is over.
    fn finish(self) -> Option<TypeError> {
        if !self.pending.is_empty() {
            return Some(TypeError::InvalidUtf8(bad_bytes(&self.pending)));
        }
        self.bad.map(|bad| TypeError::InvalidUtf8(bad_bytes(&bad)))
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
            body: None,
            verdicts: VecDeque::new(),
        }
    }

    /// The verdict of the oldest Query or Parse not yet taken: None if its text is
    /// sound. Called once for each Query and Parse message pgwire decodes.
    pub fn take_text_verdict(&mut self) -> Option<TypeError> {
        self.verdicts.pop_front().flatten()
    }

    /// Accounts for `bytes`, the next bytes read from the client. Fails on the first
    /// header that declares a length over the limit or under the minimum, and on
    /// the first body that does not hold exactly its message's fields.
    pub fn observe(&mut self, bytes: &[u8]) -> Result<(), Refusal> {
        let refusal = |passed: usize, error: &str| Refusal {
            passed,
            error: WireError::Protocol(error.into()),
        };
        let mut at = 0;
        while at < bytes.len() {
            if self.skip > 0 {
                let n = self.skip.min(bytes.len() - at);
                self.skip -= n;
                if let Some(body) = &mut self.body {
                    body.observe(&bytes[at..at + n])
                        .map_err(|(offset, e)| refusal(at + offset, e))?;
                }
                at += n;
                if self.skip == 0 {
                    self.end_body().map_err(|e| refusal(at - 1, e))?;
                }
                continue;
            }
            let need = if self.tagged { 5 } else { 8 };
            let n = (need - self.header_len).min(bytes.len() - at);
            self.header[self.header_len..self.header_len + n].copy_from_slice(&bytes[at..at + n]);
            self.header_len += n;
            at += n;
            if self.header_len == need {
                self.header_len = 0;
                self.end_header().map_err(|error| Refusal {
                    passed: at - 1,
                    error,
                })?;
                if self.skip == 0 {
                    self.end_body().map_err(|e| refusal(at - 1, e))?;
                } else if let Some(body) = self.body.take_if(|_| bytes.len() - at >= self.skip) {
                    let whole = &bytes[at..at + self.skip];
                    let text = body
                        .check_whole(whole)
                        .map_err(|(offset, e)| refusal(at + offset, e))?;
                    self.queue_verdict(text);
                    at += self.skip;
                    self.skip = 0;
                }
            }
        }
        Ok(())
    }

    /// The current message's body has passed: check that it was whole, and queue
    /// the verdict of its text.
    fn end_body(&mut self) -> Result<(), &'static str> {
        if let Some(body) = self.body.take() {
            self.queue_verdict(body.finish()?);
        }
        Ok(())
    }

    /// Queues the verdict of the text of a Query or Parse whose body has passed.
    fn queue_verdict(&mut self, text: Option<TextCheck>) {
        if let Some(text) = text {
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
        } else if let Some(fields) = shape(self.header[0]) {
            let text = matches!(self.header[0], b'Q' | b'P').then(TextCheck::default);
            self.body = Some(BodyCheck::new(fields, text));
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

    /// Feeds `stream` in chunks of several sizes, which must all find the same
    /// refusal: its message and the offset in `stream` of the byte that showed it.
    fn refusal_in_any_chunking(stream: &[u8], max: usize) -> Option<(String, usize)> {
        let mut found = Vec::new();
        for chunk in [1, 2, 3, 5, 1000] {
            let mut f = FrameLimit::new(max);
            let mut fed = 0;
            let mut refusal = None;
            for part in stream.chunks(chunk) {
                if let Err(r) = f.observe(part) {
                    refusal = Some((r.error.to_string(), fed + r.passed));
                    break;
                }
                fed += part.len();
            }
            found.push(refusal);
        }
        assert!(found.windows(2).all(|w| w[0] == w[1]), "{found:?}");
        found.pop().flatten()
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
        assert_eq!(refusal_in_any_chunking(&stream, 100), None);
        let header_end = stream.len() + 4;
        stream.push(b'Q');
        stream.extend_from_slice(&101i32.to_be_bytes());
        assert_eq!(
            refusal_in_any_chunking(&stream, 100),
            Some((
                WireError::MessageTooLarge { len: 101, max: 100 }.to_string(),
                header_end
            ))
        );
    }

    /// A length word smaller than itself is a protocol violation.
    #[test]
    fn rejects_short_lengths() {
        let mut stream = startup();
        stream.extend_from_slice(&[b'Q', 0, 0, 0, 3]);
        assert_eq!(
            refusal_in_any_chunking(&stream, 100),
            Some(("invalid message length 3".into(), stream.len() - 1))
        );
    }

    /// Each message with a known shape must hold exactly its fields, in any
    /// chunking; a fault is PostgreSQL's message and is found before the faulty
    /// message's last byte, after the messages before it. A body that hides a
    /// whole message (a Sync holding a Query) is refused, not read as two.
    #[test]
    fn refuses_bodies_that_do_not_hold_their_fields() {
        let bind = |values: &[i32], tail: &[u8]| {
            let mut body = b"p\0s\0\0\x01\0\x01".to_vec();
            body.extend_from_slice(&(values.len() as u16).to_be_bytes());
            for len in values {
                body.extend_from_slice(&len.to_be_bytes());
                body.extend(std::iter::repeat_n(b'v', (*len).max(0) as usize));
            }
            body.extend_from_slice(tail);
            body
        };
        let smuggled = tagged(b'Q', b"select 'smuggled'\0");
        let cases: Vec<(u8, Vec<u8>, Option<&str>)> = vec![
            (b'S', vec![], None),
            (b'S', smuggled.clone(), Some(INVALID_FORMAT)),
            (b'H', vec![], None),
            (b'H', smuggled.clone(), Some(INVALID_FORMAT)),
            (b'c', vec![], None),
            (b'c', smuggled.clone(), Some(INVALID_FORMAT)),
            (b'D', b"Sname\0".to_vec(), None),
            (
                b'D',
                [&b"S\0"[..], &smuggled].concat(),
                Some(INVALID_FORMAT),
            ),
            (b'D', vec![], Some(NO_DATA_LEFT)),
            (b'D', b"Sname".to_vec(), Some(INVALID_STRING)),
            (b'C', b"P\0".to_vec(), None),
            (
                b'C',
                [&b"P\0"[..], &smuggled].concat(),
                Some(INVALID_FORMAT),
            ),
            (b'E', b"\0\0\0\0\0".to_vec(), None),
            (b'E', b"\0\0\0\0\0junk".to_vec(), Some(INVALID_FORMAT)),
            (b'E', b"\0\0\0".to_vec(), Some(INSUFFICIENT_DATA)),
            (b'E', b"portal".to_vec(), Some(INVALID_STRING)),
            (b'Q', b"select 1\0".to_vec(), None),
            (b'Q', b"select 1".to_vec(), Some(INVALID_STRING)),
            (b'Q', b"select 1\0x\0".to_vec(), Some(INVALID_FORMAT)),
            (b'f', b"reason\0".to_vec(), None),
            (
                b'f',
                [&b"reason\0"[..], &smuggled].concat(),
                Some(INVALID_FORMAT),
            ),
            (b'P', b"s\0select $1\0\0\x01\0\0\0\x17".to_vec(), None),
            (b'P', b"\0select 1".to_vec(), Some(INVALID_STRING)),
            (b'P', b"\0select 1\0".to_vec(), Some(INSUFFICIENT_DATA)),
            (
                b'P',
                b"\0select 1\0\0\x02\0\0\0\x17".to_vec(),
                Some(INSUFFICIENT_DATA),
            ),
            (b'P', b"\0select 1\0\0\0junk".to_vec(), Some(INVALID_FORMAT)),
            (b'B', bind(&[3, -1, 0], b"\0\x01\0\x01"), None),
            (b'B', bind(&[-2], b"\0\0"), Some(INSUFFICIENT_DATA)),
            (b'B', bind(&[3], b""), Some(INSUFFICIENT_DATA)),
            (b'B', bind(&[3], b"\0\0junk"), Some(INVALID_FORMAT)),
            (b'B', b"p\0s".to_vec(), Some(INVALID_STRING)),
            // Five format codes declared, one sent; a value of 9 bytes with 2.
            (
                b'B',
                b"p\0s\0\0\x05\0\x01".to_vec(),
                Some(INSUFFICIENT_DATA),
            ),
            (
                b'B',
                b"p\0s\0\0\0\0\x01\0\0\0\x09vv".to_vec(),
                Some(INSUFFICIENT_DATA),
            ),
            // Unchecked: CopyData holds anything, Terminate ends the session.
            (b'd', smuggled.clone(), None),
            (b'X', smuggled.clone(), None),
        ];
        for (tag, body, expected) in cases {
            let mut stream = startup();
            stream.extend(tagged(b'Q', b"select 1\0"));
            let start = stream.len();
            let message = tagged(tag, &body);
            stream.extend(&message);
            stream.extend(tagged(b'S', b""));
            let what = format!("{} {body:?}", tag as char);
            match (refusal_in_any_chunking(&stream, 1000), expected) {
                (None, None) => {}
                (Some((error, at)), Some(expected)) => {
                    assert_eq!(error, expected, "{what}");
                    assert!(
                        (start..start + message.len()).contains(&at),
                        "{what}: refused at {at}, the message is at {start}.."
                    );
                }
                (found, _) => panic!("{what}: {found:?}, expected {expected:?}"),
            }
        }
    }

    /// Query texts are checked in any chunking: invalid UTF-8 names its bytes (a
    /// character cut between chunks is fine), and each Query gets its own verdict
    /// in order.
    #[test]
    fn checks_query_text_in_any_chunking() {
        let mut stream = startup();
        for body in [
            "select 'é€𝄞'\0".as_bytes(),
            b"select '\xe2\x28\xa1'\0",
            b"select 1\0",
            b"select '\xe2\x82'\0",
        ] {
            stream.extend(tagged(b'Q', body));
        }
        assert_verdicts_in_any_chunking(
            &stream,
            &[
                "",
                "invalid byte sequence for encoding \"UTF8\": 0xe2 0x28 0xa1",
                "",
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
}
