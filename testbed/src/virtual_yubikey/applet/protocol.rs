//! YKOATH's instruction bytes and tags (developers.yubico.com/OATH/YKOATH_Protocol.html), named
//! for the applet and for the tests and hosts that speak to it.

/// YKOATH instruction bytes.
pub mod ins {
    /// PUT a credential.
    pub const PUT: u8 = 0x01;
    /// DELETE a credential.
    pub const DELETE: u8 = 0x02;
    /// SET CODE (set or clear the access key).
    pub const SET_CODE: u8 = 0x03;
    /// RESET the applet (P1P2 `DEAD`).
    pub const RESET: u8 = 0x04;
    /// RENAME a credential (5.3.1+).
    pub const RENAME: u8 = 0x05;
    /// LIST credentials.
    pub const LIST: u8 = 0xA1;
    /// CALCULATE one code.
    pub const CALCULATE: u8 = 0xA2;
    /// VALIDATE (unlock with the access key).
    pub const VALIDATE: u8 = 0xA3;
    /// CALCULATE ALL (same INS as SELECT, told apart by P1).
    pub const CALCULATE_ALL: u8 = 0xA4;
    /// SEND REMAINING, YKOATH's GET RESPONSE.
    pub const SEND_REMAINING: u8 = 0xA5;
}

/// YKOATH tags.
pub mod tag {
    /// Credential id; in the SELECT answer, the salt.
    pub const NAME: u8 = 0x71;
    /// One LIST entry: type|algorithm byte, then the id.
    pub const NAME_LIST: u8 = 0x72;
    /// Key: type|algorithm, digits, secret (PUT) or algorithm, key (SET CODE).
    pub const KEY: u8 = 0x73;
    /// Challenge.
    pub const CHALLENGE: u8 = 0x74;
    /// Full response: digits, then the whole HMAC.
    pub const RESPONSE: u8 = 0x75;
    /// Truncated response: digits, then 4 bytes.
    pub const TRUNCATED: u8 = 0x76;
    /// CALCULATE ALL: an HOTP credential, no code.
    pub const HOTP: u8 = 0x77;
    /// Property byte (no length).
    pub const PROPERTY: u8 = 0x78;
    /// Version (SELECT).
    pub const VERSION: u8 = 0x79;
    /// Initial moving factor (HOTP counter).
    pub const IMF: u8 = 0x7A;
    /// Algorithm of the access key (SELECT, when a key is set).
    pub const ALGORITHM: u8 = 0x7B;
    /// CALCULATE ALL: a touch credential, no code.
    pub const TOUCH: u8 = 0x7C;
}
