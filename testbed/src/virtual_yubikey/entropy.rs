//! Fresh random bytes for the card's salts and VALIDATE challenges, apart from `crypto` so that
//! the configuration (which draws a salt) and the arithmetic (which takes the configuration's hash
//! names) do not import each other.

/// `N` bytes from the OS random source.
pub fn random<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // A test card on a machine without an OS random source cannot do anything useful.
    getrandom::fill(&mut buf).expect("the OS random source is available");
    buf
}
