//! Finding YubiKeys: which readers hold one, and which key the user meant (`--device`, `--reader`).
//! Cards that are not YubiKeys, and readers another program holds, are passed over unless the user
//! named that reader: on a desk station other cards are not ours.

use yubikit::platform::pcsc::{PcscError, PcscSmartCardConnection};

use super::ykoath::shield;
use super::{KeyInfo, Selector};
use crate::source::{DeviceError, smartcard};

/// Opens every YubiKey the selector allows, each on its own connection.
pub fn discover(
    selector: &Selector,
) -> Result<Vec<(KeyInfo, PcscSmartCardConnection)>, DeviceError> {
    let readers = smartcard::readers()?;
    if readers.is_empty() {
        return Err(DeviceError::NoReader);
    }
    let candidates: Vec<&(String, bool)> = match &selector.reader {
        Some(name) => {
            let found: Vec<_> = readers.iter().filter(|(r, _)| r == name).collect();
            if found.is_empty() {
                return Err(DeviceError::ReaderNotFound {
                    name: name.clone(),
                    readers: readers.iter().map(|(r, _)| r.clone()).collect(),
                });
            }
            found
        }
        None => readers.iter().filter(|(_, present)| *present).collect(),
    };
    let mut keys = Vec::new();
    let mut busy = None;
    for (reader, _) in candidates {
        match smartcard::connect(reader).and_then(|conn| identify(reader, conn)) {
            Ok(found) => keys.push(found),
            // Not a YubiKey (or an empty reader): other cards on a desk station are not ours.
            Err(DeviceError::NotAYubiKey { .. } | DeviceError::NoCard { .. })
                if selector.reader.is_none() => {}
            // A card another program holds may be anyone's; it matters only if no key is found.
            Err(e @ DeviceError::Busy { .. }) if selector.reader.is_none() => busy = Some(e),
            Err(e) => return Err(e),
        }
    }
    if let (true, Some(busy)) = (keys.is_empty(), busy) {
        return Err(busy);
    }
    if let Some(serial) = selector.serial {
        let all: Vec<String> = keys.iter().map(|(k, _)| k.to_string()).collect();
        keys.retain(|(k, _)| k.serial == Some(serial));
        if keys.is_empty() {
            return Err(DeviceError::DeviceNotFound { serial, found: all });
        }
    }
    Ok(keys)
}

/// Opens the one YubiKey the selector names, or the only one attached.
pub fn open_one(selector: &Selector) -> Result<(KeyInfo, PcscSmartCardConnection), DeviceError> {
    let mut keys = discover(selector)?;
    match keys.len() {
        0 => Err(DeviceError::NoYubiKey {
            readers: smartcard::readers()?.into_iter().map(|(r, _)| r).collect(),
        }),
        1 => Ok(keys.remove(0)),
        _ => Err(DeviceError::SeveralYubiKeys {
            keys: keys.iter().map(|(k, _)| k.to_string()).collect(),
        }),
    }
}

/// Connects to the card in `reader` and identifies it: what a station does when pcscd reports an
/// insertion. A card that is not a YubiKey is an error here, since the reader was named.
pub fn identify_in(reader: &str) -> Result<(KeyInfo, PcscSmartCardConnection), DeviceError> {
    smartcard::connect(reader).and_then(|conn| identify(reader, conn))
}

/// Reads the key's serial, firmware and form factor through its management application.
fn identify(
    reader: &str,
    conn: PcscSmartCardConnection,
) -> Result<(KeyInfo, PcscSmartCardConnection), DeviceError> {
    let transport = match conn.get_atr() {
        Ok(atr) if atr.get(1).is_some_and(|b| b & 0xF0 == 0xF0) => "USB",
        _ => "NFC",
    };
    let (info, conn) = shield(|| yubikit::device::read_info_ccid(conn, None))
        .map_err(|_| DeviceError::Malformed {
            what: format!("garbage to the device-information request in {reader}"),
        })?
        .map_err(|e| {
            // A key pulled mid-identification looks to yubikit like a card that is no YubiKey:
            // PC/SC says so down the chain, or the command went unanswered, or the reader cannot
            // power the card up again. A card that is there and answers is another card.
            if gone(&e)
                || e.to_string().contains("no status word")
                || smartcard::connect(reader).is_err()
            {
                DeviceError::Removed {
                    key: format!("the key in {reader}"),
                }
            } else {
                DeviceError::NotAYubiKey {
                    reader: reader.to_string(),
                    detail: e.to_string(),
                }
            }
        })?;
    let key = KeyInfo {
        reader: reader.to_string(),
        serial: info.serial,
        firmware: info.version.to_string(),
        form_factor: info.form_factor.to_string(),
        transport: transport.to_string(),
    };
    Ok((key, conn))
}

/// Whether PC/SC said, somewhere down `error`'s chain, that the card left (`SCARD_W_REMOVED_CARD`,
/// `SCARD_E_NO_SMARTCARD`, a reset, the reader gone): a key pulled while it was being identified,
/// not a card that is no YubiKey.
fn gone(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(p) = e.downcast_ref::<PcscError>()
            && (p.is_unavailable()
                || matches!(
                    p,
                    PcscError::Pcsc(pcsc::Error::ResetCard | pcsc::Error::RemovedCard)
                ))
        {
            return true;
        }
        if let Some(p) = e.downcast_ref::<pcsc::Error>()
            && matches!(
                p,
                pcsc::Error::ResetCard | pcsc::Error::RemovedCard | pcsc::Error::NoSmartcard
            )
        {
            return true;
        }
        next = e.source();
    }
    false
}
