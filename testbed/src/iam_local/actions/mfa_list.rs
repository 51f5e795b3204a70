//! Reading devices: ListMFADevices (one user's), ListVirtualMFADevices (the account's virtual
//! devices, with the `User` of each assigned one) and GetMFADevice.
//!
//! Lists page with Marker/MaxItems (default 100, at most 1000) in state order. ListVirtualMFADevices
//! is an account-level action (resource `*`): AWS's self-service policies grant it to every user,
//! so only an explicit deny refuses it. AssignmentStatus defaults to `Any` (IAM API reference).

use std::collections::BTreeMap;

use super::identity::write_user;
use super::validate::{PageRequest, Rule, Validator};
use super::{Context, Outcome, USER_CREATE_DATE, authorize, target_user};
use crate::iam_local::error::ApiError;
use crate::iam_local::query::Xml;

pub(super) fn list_mfa_devices(
    params: &BTreeMap<String, String>,
    ctx: &mut Context<'_>,
) -> Result<Outcome, ApiError> {
    let mut v = Validator::default();
    let name = v.optional(params, "UserName", "userName", Rule::UserName);
    let paging = PageRequest::read(&mut v, params);
    v.finish()?;
    let target = target_user(ctx, name, "ListMFADevices")?;
    if ctx.state.user(&target).is_none() {
        return Err(ApiError::no_such_user(&target));
    }
    let page = paging.page(ctx.state.devices_of(&target))?;
    let mut xml = Xml::new();
    xml.open("MFADevices");
    for device in &page.items {
        xml.open("member")
            .text("UserName", &target)
            .text("SerialNumber", &device.serial)
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
    let page = paging.page(devices)?;
    let mut xml = Xml::new();
    xml.open("VirtualMFADevices");
    for device in &page.items {
        xml.open("member").text("SerialNumber", &device.serial);
        if let Some(user) = &device.user {
            // A device whose user was deleted behind IAM's back has no user to show.
            if ctx.state.user(user).is_some() {
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

/// The API reference says GetMFADevice "only accepts FIDO security key ARNs"; this endpoint has
/// no FIDO keys and answers for any device enabled for the user, so a client should not rely on
/// it for TOTP devices (ListMFADevices is the call that works on AWS).
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
    let target = target_user(ctx, name, "GetMFADevice")?;
    if ctx.state.user(&target).is_none() {
        return Err(ApiError::no_such_user(&target));
    }
    let device = ctx
        .state
        .device(serial)
        .filter(|d| d.user.as_deref() == Some(target.as_str()))
        .ok_or_else(|| ApiError::no_such_device(serial))?;
    let mut xml = Xml::new();
    xml.text("UserName", &target)
        .text("SerialNumber", &device.serial);
    if let Some(date) = &device.enable_date {
        xml.text("EnableDate", date);
    }
    Ok(Outcome {
        result: Some(xml.finish()),
        ..Outcome::default()
    })
}
