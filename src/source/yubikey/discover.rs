//! Finding YubiKeys: which readers hold one, and which key the user meant (`--device`, `--reader`).
//! Cards that are not YubiKeys, and readers another program holds, are passed over unless the user
//! named that reader: on a desk station other cards are not ours.

use yubikit::platform::pcsc::{PcscError, PcscSmartCardConnection};

use super::ykoath::shield;
use super::{KeyInfo, Selector};
use crate::source::{DeviceError, smartcard};

/// A YubiKey found, on its own connection.
pub type Found = (KeyInfo, PcscSmartCardConnection);

/// What the readers hold: the YubiKeys the selector allows, and the readers whose card another
/// program holds (which may be a YubiKey or not: it cannot be asked).
pub struct Survey {
    /// The keys, each opened.
    pub keys: Vec<Found>,
    /// The readers whose card is held by another program.
    pub held: Vec<String>,
}

/// Opens every YubiKey the selector allows, each on its own connection. A card another program
/// holds is an error only when no key is found (it may be the one wanted).
pub fn discover(selector: &Selector) -> Result<Vec<Found>, DeviceError> {
    let Survey { keys, held } = survey(selector)?;
    if let (true, Some(reader)) = (keys.is_empty(), held.into_iter().next()) {
        return Err(DeviceError::Busy { reader });
    }
    with_serial(keys, selector)
}

/// The keys of `--device`'s serial, when the selector names one (an error naming those found when
/// none has it).
pub fn with_serial(mut keys: Vec<Found>, selector: &Selector) -> Result<Vec<Found>, DeviceError> {
    if let Some(serial) = selector.serial {
        let all: Vec<String> = keys.iter().map(|(k, _)| k.to_string()).collect();
        keys.retain(|(k, _)| k.serial == Some(serial));
        if keys.is_empty() {
            return Err(DeviceError::DeviceNotFound { serial, found: all });
        }
    }
    Ok(keys)
}

/// Every YubiKey in the readers the selector allows (`--reader`; `--device` is [`with_serial`]'s),
/// and beside them the readers whose card another program holds: a listing shows both instead of
/// stopping at the first.
pub fn survey(selector: &Selector) -> Result<Survey, DeviceError> {
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
    let mut held = Vec::new();
    for (reader, _) in candidates {
        match identify_in(reader) {
            Ok(found) => keys.push(found),
            // Not a YubiKey (or an empty reader): other cards on a desk station are not ours.
            Err(DeviceError::NotAYubiKey { .. } | DeviceError::NoCard { .. })
                if selector.reader.is_none() => {}
            // A card another program holds may be anyone's; the caller decides what it means.
            Err(DeviceError::Busy { reader }) if selector.reader.is_none() => held.push(reader),
            Err(e) => return Err(e),
        }
    }
    Ok(Survey { keys, held })
}

/// Opens the one YubiKey the selector names, or the only one attached.
pub fn open_one(selector: &Selector) -> Result<Found, DeviceError> {
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

/// Opens the keys the selectors name, in their order, each once; with no selector, the only key
/// attached. A selector that matches no key gets the error opening it alone would give.
pub fn open_each(selectors: &[Selector]) -> Result<Vec<Found>, DeviceError> {
    if selectors.is_empty() {
        return open_one(&Selector::default()).map(|key| vec![key]);
    }
    let keys = discover(&Selector::default())?;
    let mut chosen: Vec<(usize, &Selector)> = Vec::new();
    for selector in selectors {
        let named = |i: &usize| matches(selector, &keys[*i].0);
        if let Some((i, by)) = chosen.iter().find(|(i, _)| named(i)) {
            return Err(DeviceError::NamedTwice {
                key: keys[*i].0.label(),
                first: describe(by),
                second: describe(selector),
            });
        }
        match (0..keys.len()).find(named) {
            Some(hit) => chosen.push((hit, selector)),
            None => {
                // Not among the keys found: what opening it alone says (no card, not a YubiKey,
                // no such reader or serial), with every other connection closed first.
                drop(keys);
                return Err(match open_one(selector) {
                    Ok((key, _)) => DeviceError::Busy { reader: key.reader },
                    Err(e) => e,
                });
            }
        }
    }
    let mut keys: Vec<Option<Found>> = keys.into_iter().map(Some).collect();
    Ok(chosen
        .into_iter()
        .filter_map(|(i, _)| keys[i].take())
        .collect())
}

fn matches(selector: &Selector, key: &KeyInfo) -> bool {
    selector.serial.is_none_or(|s| key.serial == Some(s))
        && selector.reader.as_ref().is_none_or(|r| *r == key.reader)
}

fn describe(selector: &Selector) -> String {
    match (&selector.serial, &selector.reader) {
        (Some(serial), _) => format!("--device {serial}"),
        (_, Some(reader)) => format!("--reader {reader:?}"),
        _ => "the default".into(),
    }
}

/// Waits until `key` (by serial, else by reader) is back in a reader, for at most `within`, looking
/// a few times a second. The key found is opened, not unlocked.
pub fn wait_for_return(key: &KeyInfo, within: std::time::Duration) -> Option<Found> {
    let selector = Selector {
        serial: key.serial,
        reader: key.serial.is_none().then(|| key.reader.clone()),
    };
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Ok(back) = open_one(&selector) {
            return Some(back);
        }
        if std::time::Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

/// Connects to the card in `reader` and reads the key's serial, firmware and form factor through
/// its management application: what a station does when pcscd reports an insertion. A card that is
/// not a YubiKey is an error here ([`survey`] passes over it unless the reader was named).
pub fn identify_in(reader: &str) -> Result<Found, DeviceError> {
    let conn = smartcard::connect(reader)?;
    let transport = match conn.get_atr() {
        Ok(atr) if atr.get(1).is_some_and(|b| b & 0xF0 == 0xF0) => "USB",
        _ => "NFC",
    };
    let (info, conn) = shield(
        format_args!("to the device-information request in {reader}"),
        || yubikit::device::read_info_ccid(conn, None),
    )?
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
    std::iter::successors(Some(error), |e| e.source()).any(|e| {
        e.downcast_ref::<PcscError>().is_some_and(|p| {
            p.is_unavailable()
                || matches!(
                    p,
                    PcscError::Pcsc(pcsc::Error::ResetCard | pcsc::Error::RemovedCard)
                )
        }) || matches!(
            e.downcast_ref::<pcsc::Error>(),
            Some(pcsc::Error::ResetCard | pcsc::Error::RemovedCard | pcsc::Error::NoSmartcard)
        )
    })
}
