//! The QR code `CreateVirtualMFADevice` hands out: an `otpauth://` URI drawn as a PNG.
//!
//! Owns the URI form the IAM API reference documents for `VirtualMFADevice.QRCodePNG`,
//! `otpauth://totp/$virtualMFADeviceName@$AccountName?secret=$Base32String` (AccountName is the
//! account alias if there is one, else the account id; a decoded AWS code reads e.g.
//! `otpauth://totp/root-account-mfa-device@120151960619?secret=V2NF…`), and its rendering: the
//! symbol from `qrcodegen`, a 4-module quiet zone (ISO/IEC 18004 §6.3.8), black-on-white 1-bit
//! greyscale pixels from `png`. It knows nothing of state or HTTP.

use qrcodegen::{QrCode, QrCodeEcc};

/// Pixels per QR module: big enough for a phone camera at arm's length.
const MODULE_PX: usize = 4;
/// Light modules around the symbol, as the QR specification requires.
const QUIET_ZONE: usize = 4;

/// The URI an authenticator app reads from the code.
pub fn otpauth_uri(device_name: &str, account_name: &str, seed_base32: &str) -> String {
    format!("otpauth://totp/{device_name}@{account_name}?secret={seed_base32}")
}

/// Why a QR code could not be made.
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    /// The text is longer than the largest QR symbol holds.
    #[error("the text does not fit in a QR code")]
    TooLong,
    /// The PNG encoder failed (it writes to memory, so this means a bug).
    #[error("cannot encode the QR code as PNG: {0}")]
    Png(#[from] png::EncodingError),
}

/// A PNG image of a QR code (error correction level M) holding `text`.
pub fn png(text: &str) -> Result<Vec<u8>, QrError> {
    let code = QrCode::encode_text(text, QrCodeEcc::Medium).map_err(|_| QrError::TooLong)?;
    let modules = usize::try_from(code.size()).map_err(|_| QrError::TooLong)?;
    let side_modules = modules + 2 * QUIET_ZONE;
    let side_px = side_modules * MODULE_PX;
    let side = u32::try_from(side_px).map_err(|_| QrError::TooLong)?;
    // 1 bit per pixel, rows padded to whole bytes; 1 is white in PNG greyscale.
    let row_bytes = side_px.div_ceil(8);
    let mut pixels = vec![0u8; row_bytes * side_px];
    for y in 0..side_px {
        for x in 0..side_px {
            let (mx, my) = (x / MODULE_PX, y / MODULE_PX);
            let dark = (QUIET_ZONE..QUIET_ZONE + modules).contains(&mx)
                && (QUIET_ZONE..QUIET_ZONE + modules).contains(&my)
                && code.get_module(module_index(mx), module_index(my));
            if !dark {
                pixels[y * row_bytes + x / 8] |= 0x80 >> (x % 8);
            }
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels)?;
    writer.finish()?;
    Ok(out)
}

/// A module coordinate inside the quiet zone, as qrcodegen indexes it.
fn module_index(m: usize) -> i32 {
    // The caller checked `m - QUIET_ZONE < size`, and sizes are at most 177.
    i32::try_from(m - QUIET_ZONE).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_has_the_documented_shape() {
        assert_eq!(
            otpauth_uri("alice", "123456789012", "ABCD"),
            "otpauth://totp/alice@123456789012?secret=ABCD"
        );
    }

    #[test]
    fn png_is_a_black_on_white_square_with_a_quiet_zone() {
        let text = otpauth_uri("alice", "example-corp", &"A".repeat(64));
        let bytes = png(&text).unwrap();
        let decoder = ::png::Decoder::new(std::io::Cursor::new(&bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.width, info.height);
        assert_eq!(
            (info.color_type, info.bit_depth),
            (::png::ColorType::Grayscale, ::png::BitDepth::One)
        );
        let side = info.width as usize;
        assert_eq!(side % MODULE_PX, 0);
        let modules = side / MODULE_PX - 2 * QUIET_ZONE;
        // Version n has 17 + 4n modules a side.
        assert_eq!((modules - 17) % 4, 0, "{modules}");
        let white = |x: usize, y: usize| buf[y * info.line_size + x / 8] & (0x80 >> (x % 8)) != 0;
        let border = QUIET_ZONE * MODULE_PX;
        assert!((0..side).all(|i| white(i, 0) && white(0, i) && white(i, side - 1)));
        // The top-left finder pattern starts dark just inside the quiet zone.
        assert!(!white(border, border) && white(border - 1, border));
    }

    #[test]
    fn text_too_long_for_any_symbol_is_an_error() {
        assert!(matches!(png(&"x".repeat(3000)), Err(QrError::TooLong)));
    }
}
