//! Bad input in words (exit 2, nothing sent).
