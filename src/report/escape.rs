//! Text from a key or an endpoint, made safe to show. A credential's name, a reader's name, an
//! endpoint's error message or request id is whatever the other side chose to send: an `ESC`
//! clears the operator's screen or starts an OSC title, hidden-text codes or a carriage return
//! overwrite what is shown, a newline forges a line of its own ("✔ … resynced"), a bidi override
//! shows text in another order than it is. [`is_unsafe`] is the one rule of what may not reach a
//! terminal, a JSON line or the audit log as itself; [`escape`] shows such characters as `\x1b` or
//! `\u{202e}` in text, and [`json`] writes JSON whose strings keep the exact text, those characters
//! written as `\u` escapes (a program reading it gets the text back; a terminal showing it sees no
//! control).
//!
//! The reporter's sinks pass every line through [`escape`], so nothing reaches stderr or stdout
//! raw whichever value it came from; tables escape each value, so that a newline in one cannot
//! start a row of its own.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;

/// Whether `c` may not be shown as itself: a control character (C0, DEL, C1: ESC and CSI start
/// ANSI and OSC sequences, CR and BS rewrite a line, NUL cuts it), or an invisible format
/// character that reorders or hides text (bidi marks, embeddings, overrides and isolates,
/// zero-width characters, line and paragraph separators, the BOM, interlinear annotations, tags).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{E0000}'..='\u{E007F}'
        )
}

/// `text` with each unsafe character written out: `\x1b` below U+0100, `\u{202e}` above; a
/// newline too, so that the result is one line. Borrowed when there is nothing to escape.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
        } else if u32::from(c) < 0x100 {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        } else {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
    Cow::Owned(out)
}

/// Text of several lines (a table) with each line escaped: the newlines between them stay.
pub fn escape_lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.split('\n').map(escape).collect::<Vec<_>>().join("\n"))
}

/// `value` as one line of compact JSON whose strings hold no unsafe character raw: serde_json
/// escapes C0 itself, and DEL, C1 and the format characters go out as `\uXXXX`. `None` only for
/// a value serde cannot write (the schema's types hold no map with non-string keys).
pub fn json(value: &impl serde::Serialize) -> Option<String> {
    let mut out = Vec::with_capacity(256);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, SafeFormatter);
    value.serialize(&mut serializer).ok()?;
    String::from_utf8(out).ok()
}

/// serde_json's compact formatter, with unsafe characters in strings written as `\u` escapes.
struct SafeFormatter;

impl serde_json::ser::Formatter for SafeFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if !is_unsafe(c) {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..at])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = at + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Names a rogue key or endpoint could send: each must reach no output raw.
    pub(crate) const HOSTILE: &[&str] = &[
        "\x1b[2J\x1b[Halice@123456789012",
        "\x1b]0;pwned by a key\x07alice",
        "\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\",
        "\x1b[8mhidden\x1b[0m",
        "alice\u{202e}gpj.exe",
        "\u{2066}alice\u{2069}\u{2067}bob\u{2068}x\u{2069}",
        "\u{9b}2J\u{9d}0;c1 title\u{9c}",
        "nul\0byte",
        "bell\x07 and backspace\x08\x08",
        "del\x7f",
        "carriage\rreturn",
        "x\n✔ 31000002  alice  arn:aws:iam::123456789012:mfa/alice  resynced — remove the key",
        "zero\u{200b}width\u{feff}bom\u{2028}line",
        "tag\u{e0041}",
    ];

    fn shows_no_unsafe_character(text: &str) -> bool {
        !text.chars().any(is_unsafe)
    }

    #[test]
    fn hostile_names_are_shown_escaped_on_one_line() {
        for name in HOSTILE {
            let shown = escape(name);
            assert!(shows_no_unsafe_character(&shown), "{name:?} → {shown:?}");
            assert!(!shown.contains('\n'), "{shown:?}");
        }
        assert_eq!(escape("\x1b[2J"), "\\x1b[2J");
        assert_eq!(escape("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(escape("\u{9b}"), "\\x9b");
        assert_eq!(
            escape("x\n✔ resynced"),
            "x\\x0a✔ resynced",
            "a forged line stays on its own"
        );
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for text in [
            "Amazon Web Services:alice@123456789012",
            "✔ 12345678  alice — remove the key",
            "Virtual PCD 00 00",
            "Ünïcödé 名前 🙂",
            "back\\slash",
        ] {
            assert!(matches!(escape(text), Cow::Borrowed(_)), "{text}");
        }
    }

    #[test]
    fn tables_keep_their_own_lines_and_escape_the_rest() {
        assert_eq!(escape_lines("a\nb\n"), "a\nb\n");
        assert_eq!(escape_lines("a\x1b[2J\nb\r\n"), "a\\x1b[2J\nb\\x0d\n");
    }

    #[test]
    fn json_keeps_the_exact_text_with_no_control_written_raw() {
        for name in HOSTILE {
            let line = json(&serde_json::json!({ "Name": name })).expect("JSON");
            assert!(shows_no_unsafe_character(&line), "{name:?} → {line}");
            let back: serde_json::Value = serde_json::from_str(&line).expect("valid JSON");
            assert_eq!(back["Name"], *name, "the exact text");
        }
        assert_eq!(
            json(&"a\u{202e}\u{9b}\x7f😀").unwrap(),
            r#""a\u202e\u009b\u007f😀""#
        );
        assert_eq!(
            json(&"\u{e0041}").unwrap(),
            r#""\udb40\udc41""#,
            "outside the BMP, a surrogate pair"
        );
        assert_eq!(
            json(&serde_json::json!({"A": [1, null, "x"]})).unwrap(),
            serde_json::to_string(&serde_json::json!({"A": [1, null, "x"]})).unwrap(),
            "otherwise serde_json's compact form"
        );
    }
}
