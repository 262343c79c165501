//! The socket as pgwire's codec reads it, with [`FrameLimit`] watching the bytes go by.
//!
//! A refused message ([`Refusal`]) is held back from pgwire, and so are the bytes
//! after it; the bytes before it are handed over first, so that the messages before
//! it are answered, and the next read fails with the refusal's error.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::frame::{FrameLimit, Refusal};
use super::WireError;
use crate::types::TypeError;

/// A stream whose reads fail with an `InvalidData` error wrapping a [`WireError`] at
/// the first message [`FrameLimit`] refuses: one whose header declares a length
/// over the limit, or whose body does not hold its fields.
pub struct LimitedStream<S> {
    /// The client socket.
    inner: S,
    /// Message boundary tracking, the size check and the body checks.
    limit: FrameLimit,
    /// The text verdict of the last Query or Parse pgwire decoded (see
    /// [`LimitedStream::text_message_decoded`]).
    text_fault: Option<TypeError>,
    /// The refusal whose error the next read answers, once the bytes before the
    /// refused message have been read.
    refused: Option<WireError>,
}

impl<S> LimitedStream<S> {
    pub fn new(inner: S, limit: FrameLimit) -> LimitedStream<S> {
        LimitedStream {
            inner,
            limit,
            text_fault: None,
            refused: None,
        }
    }

    /// pgwire has decoded a Query or Parse: its text verdict
    /// ([`FrameLimit::take_text_verdict`]) becomes the one
    /// [`LimitedStream::take_text_fault`] answers.
    pub fn text_message_decoded(&mut self) {
        self.text_fault = self.limit.take_text_verdict();
    }

    /// What is wrong with the text of the last Query or Parse decoded, which
    /// pgwire's lossy decoding hides; None if nothing is.
    pub fn take_text_fault(&mut self) -> Option<TypeError> {
        self.text_fault.take()
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for LimitedStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Some(error) = &this.refused {
            return Poll::Ready(Err(invalid_data(error.clone())));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => match this.limit.observe(&buf.filled()[before..]) {
                Ok(()) => Poll::Ready(Ok(())),
                // A read that returns no bytes is the end of the stream, so the
                // refusal waits only if some bytes come before it.
                Err(Refusal { passed: 0, error }) => Poll::Ready(Err(invalid_data(error))),
                Err(Refusal { passed, error }) => {
                    buf.set_filled(before + passed);
                    this.refused = Some(error);
                    Poll::Ready(Ok(()))
                }
            },
            other => other,
        }
    }
}

fn invalid_data(error: WireError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error)
}

impl<S: AsyncWrite + Unpin> AsyncWrite for LimitedStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
