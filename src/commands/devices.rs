//! `mfa-resync devices`: the readers, the YubiKeys in them and, with `--accounts`, each key's
//! OATH credentials (names and flags only, never a code or a secret).

use crate::error::Error;
use crate::pipeline::devices;
use crate::report::Reporter;
use crate::request::DevicesRequest;

/// Runs `devices`.
pub async fn run(request: DevicesRequest, reporter: &Reporter) -> Result<(), Error> {
    let (readers, keys) = devices::list(&request, reporter).await?;
    reporter.devices(&readers, &keys);
    Ok(())
}
