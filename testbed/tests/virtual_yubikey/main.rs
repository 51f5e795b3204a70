//! Integration tests of the `virtual-yubikey` binary: its command line (always), and the card
//! served through the real pcscd + vpcd to ykman, oathtool's arithmetic and yubikit's PC/SC
//! connection (only when `MFA_RESYNC_TESTBED_PCSC=1`; then a missing piece is a failure, never
//! a skip).
//!
//! Everything these tests start they end by PID; a pcscd already running is used, never
//! restarted. A refusing `pkill` goes first on the children's PATH, because ykman (like
//! yubikit's `open`) runs `pkill -9 scdaemon` when a reader will not open.

mod accounts;
mod cli;
mod harness;
mod pcsc;
mod presence;
