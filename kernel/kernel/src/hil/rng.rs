//! Random number HIL, as in the paper's example: a split-phase request for 32-bit words.

use crate::ErrorCode;

/// Whether the source should keep producing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Continue {
    /// Deliver more words.
    More,
    /// Stop; the client has enough.
    Done,
}

/// Gets random words when they are ready.
pub trait Client {
    /// Words are available from `randomness`; return whether more are wanted.
    fn randomness_available(
        &self,
        randomness: &mut dyn Iterator<Item = u32>,
        error: Result<(), ErrorCode>,
    ) -> Continue;
}

/// A source of random words.
pub trait Rng<'a> {
    /// Starts producing; the client is called when words are ready.
    fn get(&self) -> Result<(), ErrorCode>;
    /// Stops a pending request.
    fn cancel(&self) -> Result<(), ErrorCode>;
    /// Registers the client.
    fn set_client(&'a self, client: &'a dyn Client);
}
