//! The IAM calls that change an account's devices: CreateVirtualMFADevice, EnableMFADevice,
//! DeactivateMFADevice and DeleteVirtualMFADevice (IAM API reference). The lists an enrolment
//! reads (ListMFADevices, ListVirtualMFADevices) are the parent's, shared with resync and station.
//!
//! The seed leaves this module only in a zeroizing secret ([`NewDevice::seed`]); the QR code, which
//! holds it too, is wiped and dropped here. Create and Enable are sent with the SDK's own retries
//! off: a Create retried after an answer that was lost would meet its own device
//! (EntityAlreadyExists) and leave it orphaned, and an Enable's codes are single-use. The caller
//! retries them knowingly. Deactivate, Delete and the lists keep the SDK's retries: they are safe
//! to repeat, and a repeat that finds the work done answers NoSuchEntity, which the caller takes
//! as done.

use aws_sdk_iam::operation::RequestId;
use secrecy::SecretSlice;
use zeroize::Zeroizing;

use super::{Aws, AwsError, Receipt, Refused};
use crate::model::{SerialNumber, UserName};

/// A virtual MFA device just created: its serial, and its seed, which AWS returns only now (and
/// `Debug` never shows).
#[derive(Debug)]
pub struct NewDevice {
    /// The device's ARN.
    pub serial: String,
    /// `Base32StringSeed`: the base32 text of the seed (AWS's seeds are 40 bytes, 64 characters).
    pub seed: SecretSlice<u8>,
    /// AWS's request id.
    pub request_id: Option<String>,
}

impl Aws {
    /// `iam:CreateVirtualMFADevice`, sent once.
    pub async fn create_virtual_device(
        &self,
        name: &str,
        path: &str,
    ) -> Result<NewDevice, Refused> {
        let result = self
            .iam
            .create_virtual_mfa_device()
            .virtual_mfa_device_name(name)
            .path(path)
            .customize()
            .config_override(super::no_retries())
            .send()
            .await;
        let request_id = result.request_id().map(str::to_string);
        let mut out = result
            .map_err(|e| self.refused("CreateVirtualMFADevice", request_id.clone(), e, None))?;
        let malformed = |what: &str| Refused {
            error: AwsError::Other {
                code: "MalformedResponse".into(),
                what: format!("CreateVirtualMFADevice: the answer has no {what}"),
                detail: String::new(),
            },
            request_id: request_id.clone(),
        };
        let Some(mut device) = out.virtual_mfa_device.take() else {
            return Err(malformed("VirtualMFADevice"));
        };
        // The PNG encodes the seed as well: wiped with the rest.
        if let Some(png) = device.qr_code_png.take() {
            drop(Zeroizing::new(png.into_inner()));
        }
        let seed = device
            .base32_string_seed
            .take()
            .map(|blob| Zeroizing::new(blob.into_inner()));
        let serial = std::mem::take(&mut device.serial_number);
        let Some(seed) = seed.filter(|s| !s.is_empty()) else {
            return Err(malformed("Base32StringSeed"));
        };
        if serial.is_empty() {
            return Err(malformed("SerialNumber"));
        }
        Ok(NewDevice {
            serial,
            seed: SecretSlice::from(seed.to_vec()),
            request_id,
        })
    }

    /// `iam:EnableMFADevice`, sent exactly once (its codes are single-use).
    pub async fn enable(
        &self,
        user: &UserName,
        serial: &SerialNumber,
        code1: &str,
        code2: &str,
    ) -> Result<Receipt, Refused> {
        let result = self
            .iam
            .enable_mfa_device()
            .user_name(user.as_str())
            .serial_number(serial.as_str())
            .authentication_code1(code1)
            .authentication_code2(code2)
            .customize()
            .config_override(super::no_retries())
            .send()
            .await;
        self.receipt("EnableMFADevice", result, Some(serial))
    }

    /// `iam:DeactivateMFADevice`.
    pub async fn deactivate(&self, user: &UserName, serial: &str) -> Result<Receipt, Refused> {
        let result = self
            .iam
            .deactivate_mfa_device()
            .user_name(user.as_str())
            .serial_number(serial)
            .send()
            .await;
        self.receipt("DeactivateMFADevice", result, None)
    }

    /// `iam:DeleteVirtualMFADevice`.
    pub async fn delete_virtual_device(&self, serial: &str) -> Result<Receipt, Refused> {
        let result = self
            .iam
            .delete_virtual_mfa_device()
            .serial_number(serial)
            .send()
            .await;
        self.receipt("DeleteVirtualMFADevice", result, None)
    }
}
