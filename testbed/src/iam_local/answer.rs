//! The bodies iam-local answers with: a document in full, or one of the bodies the faults send to
//! a client that must not believe them (garbage where XML belongs, 2 GiB streamed without a
//! length, an error message made to attack a terminal).

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::body::{Body, Bytes, Frame, SizeHint};

/// What `hostile` answers: a carriage return and a newline with a forged result line after it,
/// a bidi override, an isolate and C1 controls (an XML message cannot hold C0 ones but these).
pub const HOSTILE_MESSAGE: &str = "Rate exceeded\r\n✔ 12345678  alice  arn:aws:iam::123456789012:mfa/alice  resynced — remove the key \u{202e}gpj.exe\u{2066} \u{9b}2J\u{9d}0;title\u{9c}";

/// How much `huge` sends.
pub const HUGE_BYTES: u64 = 2 << 30;

/// One chunk of a `huge` body.
static CHUNK: [u8; 64 * 1024] = [b' '; 64 * 1024];

/// An answer's body.
#[derive(Debug)]
pub enum AnswerBody {
    /// The whole body at once.
    Full(Option<Bytes>),
    /// Spaces streamed in chunks, with no length announced, until this many bytes are left.
    Stream(u64),
}

impl AnswerBody {
    /// A 200's body that is not XML at all.
    pub fn garbage() -> AnswerBody {
        AnswerBody::from("\u{0}\u{1}PK\u{3}\u{4} not an IAM answer <<<".to_string())
    }

    /// [`HUGE_BYTES`] streamed.
    pub fn huge() -> AnswerBody {
        AnswerBody::Stream(HUGE_BYTES)
    }
}

impl From<String> for AnswerBody {
    fn from(text: String) -> Self {
        AnswerBody::Full(Some(Bytes::from(text)))
    }
}

impl Body for AnswerBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(match &mut *self {
            AnswerBody::Full(bytes) => bytes.take().map(|b| Ok(Frame::data(b))),
            AnswerBody::Stream(0) => None,
            AnswerBody::Stream(left) => {
                let n = (*left).min(CHUNK.len() as u64);
                *left -= n;
                let n = usize::try_from(n).unwrap_or(CHUNK.len());
                Some(Ok(Frame::data(Bytes::from_static(&CHUNK[..n]))))
            }
        })
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, AnswerBody::Full(None) | AnswerBody::Stream(0))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            AnswerBody::Full(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            // No length: sent chunked, as a body that never ends would be.
            AnswerBody::Stream(_) => SizeHint::default(),
        }
    }
}
