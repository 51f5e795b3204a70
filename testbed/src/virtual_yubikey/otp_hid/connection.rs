//! [`OtpHidConnection`]: yubikit's view of the in-process device, so that its real OTP code (the
//! frame protocol, `YubiOtpSession`) runs against it as against a hidraw node.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use yubikit::core::Connection;
use yubikit::otp::{OtpConnection, OtpError};

use super::OtpHidDevice;

/// A yubikit connection to an [`OtpHidDevice`] in this process, in place of
/// `yubikit::platform::hidapi::HidOtpConnection`. Like it, a closed connection or a gone device
/// is an `OtpError::Transport`.
pub struct OtpHidConnection {
    device: Arc<Mutex<OtpHidDevice>>,
    open: bool,
}

impl fmt::Debug for OtpHidConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtpHidConnection")
            .field("open", &self.open)
            .finish_non_exhaustive()
    }
}

impl OtpHidConnection {
    /// Opens `device`.
    pub fn new(device: OtpHidDevice) -> Self {
        Self::shared(Arc::new(Mutex::new(device)))
    }

    /// Opens a device the test keeps a handle on (to inspect it, change its finger or arm a
    /// fault meanwhile, or open it again after this connection is closed).
    pub fn shared(device: Arc<Mutex<OtpHidDevice>>) -> Self {
        Self { device, open: true }
    }

    /// The device behind this connection.
    pub fn device(&self) -> Arc<Mutex<OtpHidDevice>> {
        Arc::clone(&self.device)
    }

    fn with_device<T>(
        &self,
        f: impl FnOnce(&mut OtpHidDevice) -> Option<T>,
    ) -> Result<T, OtpError> {
        if !self.open {
            return Err(transport_error(
                std::io::ErrorKind::NotConnected,
                "connection is closed",
            ));
        }
        // The lock is held for one report only: yubikit sleeps between polls without it.
        let mut device = self.device.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut device)
            .ok_or_else(|| transport_error(std::io::ErrorKind::BrokenPipe, "device unplugged"))
    }
}

fn transport_error(kind: std::io::ErrorKind, what: &str) -> OtpError {
    OtpError::Transport(Box::new(std::io::Error::new(kind, what.to_owned())))
}

impl Connection for OtpHidConnection {
    type Error = OtpError;

    fn close(&mut self) {
        self.open = false;
    }
}

impl OtpConnection for OtpHidConnection {
    fn otp_receive(&mut self) -> Result<Vec<u8>, OtpError> {
        self.with_device(OtpHidDevice::get_feature_report)
    }

    fn otp_send(&mut self, data: &[u8]) -> Result<(), OtpError> {
        self.with_device(|d| d.set_feature_report(data).then_some(()))
    }
}
