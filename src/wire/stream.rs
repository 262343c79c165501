//! The socket as pgwire's codec reads it, with [`FrameLimit`] watching the bytes go by.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::frame::FrameLimit;

/// A stream whose reads fail with an `InvalidData` error wrapping a [`super::WireError`]
/// as soon as a message header declares a length over the limit.
pub struct LimitedStream<S> {
    /// The client socket.
    inner: S,
    /// Message boundary tracking and the size check.
    limit: FrameLimit,
    /// The text verdict of the last Query or Parse pgwire decoded (see
    /// [`LimitedStream::text_message_decoded`]).
    text_fault: Option<super::WireError>,
}

impl<S> LimitedStream<S> {
    pub fn new(inner: S, limit: FrameLimit) -> LimitedStream<S> {
        LimitedStream {
            inner,
            limit,
            text_fault: None,
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
    pub fn take_text_fault(&mut self) -> Option<super::WireError> {
        self.text_fault.take()
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for LimitedStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let result = this.limit.observe(&buf.filled()[before..]);
                Poll::Ready(result.map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)))
            }
            other => other,
        }
    }
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
