//! Seed files for `virtual-yubikey add-demo`: read only when private to their owner.

use std::path::Path;

use super::credential::decode_base32;
use crate::virtual_yubikey::error::Error;

/// Reads a base32 seed (or an `otpauth://` URI carrying one) from a file that only its owner
/// can read, as the main crate demands of seed files. Returns the normalised base32 text; errors
/// say what is wrong with the file, never what is in it.
pub fn read_seed_file(path: &Path) -> Result<String, Error> {
    let refuse = |reason: String| Error::Seed {
        path: path.to_owned(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| refuse(e.to_string()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(refuse(format!(
                "readable by group or others (mode {mode:03o}); chmod 600 it"
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    let text = std::fs::read_to_string(path).map_err(|e| refuse(e.to_string()))?;
    let text = text.trim();
    let secret = if let Some(rest) = text.strip_prefix("otpauth://") {
        let query = rest.split_once('?').map(|(_, q)| q).unwrap_or("");
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "secret")
            .map(|(_, v)| v.into_owned())
            .ok_or_else(|| refuse("otpauth URI has no secret parameter".to_owned()))?
    } else {
        text.to_owned()
    };
    let bytes = decode_base32(&secret).ok_or_else(|| refuse("not base32".to_owned()))?;
    Ok(data_encoding::BASE32_NOPAD.encode(&bytes))
}
