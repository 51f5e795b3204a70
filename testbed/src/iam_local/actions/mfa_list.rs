//! Reading devices: ListMFADevices (one user's), ListVirtualMFADevices (the account's virtual
//! devices, with the `User` of each assigned one) and GetMFADevice.
//!
//! Lists page with Marker/MaxItems (default 100, at most 1000) in state order, in short pages
//! unless those are off (see `paging`). ListVirtualMFADevices is an account-level action (resource
//! `*`): AWS's self-service policies grant it to every user, so only an explicit deny refuses it.
//! AssignmentStatus defaults to `Any` (IAM API reference). Neither list shows a device's tags:
//! "IAM resource-listing operations return a subset of the available attributes", and
//! ListVirtualMFADevices answers without them (boto/boto3#4474).
//!
//! The root user's devices: ListVirtualMFADevices shows their `<User>` as AWS does, with the
//! root's ARN, the account id as UserId and a CreateDate, but no UserName or Path (AWS's answer
//! quoted in aws/aws-sdk-go#4554). ListMFADevices and GetMFADevice called by the root user without
//! a UserName answer for its own devices, with no UserName member (MFADevice requires one in the
//! model; the answer for the root user has none, and SDKs fill in an empty name).

use std::collections::BTreeMap;

use super::identity::{write_root_user, write_user};
use super::paging::PageRequest;
use super::validate::{Rule, Validator};
use super::{Context, Outcome, Target, USER_CREATE_DATE, authorize, target};
use crate::iam_local::error::ApiError;
use crate::iam_local::query::Xml;
use crate::iam_local::state::Device;

pub(super) fn list_mfa_devices(
    params: &BTreeMap<String, String>,
    ctx: &mut Context<'_>,
) -> Result<Outcome, ApiError> {
    let mut v = Validator::default();
    let name = v.optional(params, "UserName", "userName", Rule::UserName);
    let paging = PageRequest::read(&mut v, params);
    v.finish()?;
    let target = target(ctx, name, "ListMFADevices")?;
    check_user_exists(ctx, &target)?;
    let page = paging.page(ctx.state.devices_of(target.owner()), ctx.short_pages)?;
    let mut xml = Xml::new();
    xml.open("MFADevices");
    for device in &page.items {
        xml.open("member");
        if let Target::User(name) = &target {
            xml.text("UserName", name);
        }
        xml.text("SerialNumber", &device.serial)
            .text(
                "EnableDate",
                device.enable_date.as_deref().unwrap_or(USER_CREATE_DATE),
            )
            .close("member");
    }
    xml.close("MFADevices");
    page.write_tail(&mut xml);
    Ok(Outcome {
        result: Some(xml.finish()),
        ..Outcome::default()
    })
}

pub(super) fn list_virtual_mfa_devices(
    params: &BTreeMap<String, String>,
    ctx: &mut Context<'_>,
) -> Result<Outcome, ApiError> {
    let mut v = Validator::default();
    let status = v.one_of(
        params,
        "AssignmentStatus",
        "assignmentStatus",
        &["Assigned", "Unassigned", "Any"],
    );
    let paging = PageRequest::read(&mut v, params);
    v.finish()?;
    authorize(ctx, "ListVirtualMFADevices", "*")?;
    let wanted = |assigned: bool| match status.unwrap_or("Any") {
        "Assigned" => assigned,
        "Unassigned" => !assigned,
        _ => true,
    };
    let devices = ctx
        .state
        .virtual_devices()
        .into_iter()
        .filter(|d| wanted(d.is_assigned()))
        .collect();
    let page = paging.page(devices, ctx.short_pages)?;
    let mut xml = Xml::new();
    xml.open("VirtualMFADevices");
    for device in &page.items {
        xml.open("member").text("SerialNumber", &device.serial);
        if let Some(user) = &device.user {
            if device.is_root_device() {
                write_root_user(&mut xml, ctx);
            } else if ctx.state.user(user).is_some() {
                // A device whose user was deleted behind IAM's back has no user to show.
                write_user(&mut xml, ctx, user)?;
            }
            xml.text(
                "EnableDate",
                device.enable_date.as_deref().unwrap_or(USER_CREATE_DATE),
            );
        }
        xml.close("member");
    }
    xml.close("VirtualMFADevices");
    page.write_tail(&mut xml);
    Ok(Outcome {
        result: Some(xml.finish()),
        ..Outcome::default()
    })
}

/// NoSuchEntity for a named user that does not exist; the root user always exists.
fn check_user_exists(ctx: &Context<'_>, target: &Target) -> Result<(), ApiError> {
    match target {
        Target::User(name) if ctx.state.user(name).is_none() => Err(ApiError::no_such_user(name)),
        _ => Ok(()),
    }
}

/// Whether `serial` is a FIDO security key's ARN, `arn:PARTITION:iam::ACCOUNT:u2f/…`.
fn is_fido_arn(serial: &str) -> bool {
    let fields: Vec<&str> = serial.splitn(6, ':').collect();
    matches!(
        fields[..],
        ["arn", _, "iam", "", _, resource] if resource.starts_with("u2f/") && resource.len() > 4
    )
}

/// GetMFADevice, which "only accept[s] FIDO security key ARNs" (IAM API reference, SerialNumber).
///
/// A TOTP device's serial (a virtual device's `mfa/` ARN, a hardware token's printed serial) is
/// refused with 400 InvalidInput, so a client cannot come to rely on GetMFADevice for the devices
/// it works with. AWS's exact answer to such a serial is not recorded anywhere we could find (the
/// API reference lists only NoSuchEntity and ServiceFailure for this action): code and words are
/// this endpoint's choice, in the style of IAM's other post-model checks. A FIDO ARN is looked up
/// among the target's devices (NoSuchEntity when it has none of that serial; iam-local makes no
/// FIDO keys, but a state may hold one).
pub(super) fn get_mfa_device(
    params: &BTreeMap<String, String>,
    ctx: &mut Context<'_>,
) -> Result<Outcome, ApiError> {
    let mut v = Validator::default();
    let serial = v.required(params, "SerialNumber", "serialNumber", Rule::Serial);
    let name = v.optional(params, "UserName", "userName", Rule::UserName);
    v.finish()?;
    let Some(serial) = serial else {
        return Err(ApiError::validation("SerialNumber is required"));
    };
    if !is_fido_arn(serial) {
        return Err(ApiError::invalid_input(format!(
            "The serial number {serial} is not a FIDO security key ARN: GetMFADevice only accepts FIDO security key ARNs."
        )));
    }
    let target = target(ctx, name, "GetMFADevice")?;
    check_user_exists(ctx, &target)?;
    let device: &Device = ctx
        .state
        .device(serial)
        .filter(|d| d.user.as_deref() == Some(target.owner()))
        .ok_or_else(|| ApiError::no_such_device(serial))?;
    let mut xml = Xml::new();
    if let Target::User(name) = &target {
        xml.text("UserName", name);
    }
    xml.text("SerialNumber", &device.serial);
    if let Some(date) = &device.enable_date {
        xml.text("EnableDate", date);
    }
    Ok(Outcome {
        result: Some(xml.finish()),
        ..Outcome::default()
    })
}

#[cfg(test)]
mod tests {
    use super::is_fido_arn;

    #[test]
    fn fido_arns_are_u2f_resources_of_iam() {
        assert!(is_fido_arn(
            "arn:aws:iam::123456789012:u2f/user/alice/fidosecuritykey-ABCDEFGHIJKLMN"
        ));
        assert!(is_fido_arn(
            "arn:aws-us-gov:iam::123456789012:u2f/root/key-1"
        ));
        for not_fido in [
            "arn:aws:iam::123456789012:mfa/alice",
            "GAHT12345678",
            "arn:aws:iam::123456789012:u2f/",
            "arn:aws:sts::123456789012:u2f/user/alice/k",
            "arn:aws:iam:us-east-1:123456789012:u2f/user/alice/k",
        ] {
            assert!(!is_fido_arn(not_fido), "{not_fido}");
        }
    }
}
