//! The life of an MFA device: CreateVirtualMFADevice, EnableMFADevice, ResyncMFADevice,
//! DeactivateMFADevice and DeleteVirtualMFADevice.
//!
//! Owns the TOTP pair rule Enable and Resync share (two consecutive codes whose second counter lies
//! in the [`CodeWindow`] around server time: by default the current step or the one before, never
//! a future step; never at or below a counter already consumed), the per-user device limit, and
//! the error codes and words AWS answers these actions with. Where AWS's wording was recorded
//! (LocalStack's snapshot tests, validated against AWS, 2026; CloudTrail records of AWS's own
//! answers) it is used verbatim; the rest follows the same style. CreateVirtualMFADevice keeps the
//! device's tags (`State::device_tags`), checked as `tags` says.

use std::collections::BTreeMap;

use super::tags::{check_tags, read_tags};
use super::validate::{Rule, Validator, check_path};
use super::{Context, Outcome, Target, authorize, target, target_user};
use crate::iam_local::clock;
use crate::iam_local::error::ApiError;
use crate::iam_local::qr;
use crate::iam_local::query::Xml;
use crate::iam_local::state::{Device, random_seed_base32};
use crate::iam_local::totp::{self, CodeWindow, PairWindow};

/// IAM's per-user limit on MFA devices (IAM and STS quotas: "MFA devices in use, per user: 8").
pub const MAX_DEVICES_PER_USER: usize = 8;

pub(super) fn create_virtual_mfa_device(
    params: &BTreeMap<String, String>,
    ctx: &mut Context<'_>,
) -> Result<Outcome, ApiError> {
    let mut v = Validator::default();
    let name = v.required(
        params,
        "VirtualMFADeviceName",
        "virtualMFADeviceName",
        Rule::DeviceName,
    );
    let path = v.optional(params, "Path", "path", Rule::Path);
    let tags = read_tags(&mut v, params);
    v.finish()?;
    let Some(name) = name else {
        return Err(ApiError::validation("VirtualMFADeviceName is required"));
    };
    let path = path.unwrap_or("/");
    check_path(path)?;
    check_tags(&tags)?;
    let serial = ctx.state.mfa_serial_at(path, name);
    authorize(ctx, "CreateVirtualMFADevice", &serial)?;
    if ctx.state.device(&serial).is_some() {
        // AWS's words, as CloudTrail records them and the console shows them.
        return Err(ApiError::entity_already_exists(
            "MFADevice entity at the same path and name already exists.",
        ));
    }
    let seed = random_seed_base32();
    let uri = qr::otpauth_uri(name, ctx.state.account_name(), &seed);
    let png = qr::png(&uri).map_err(|err| {
        // The error names no part of the URI, so the seed stays out of the server's output.
        eprintln!("iam-local: CreateVirtualMFADevice {serial}: {err}");
        ApiError::service_failure()
    })?;
    ctx.state
        .devices
        .push(Device::totp(serial.clone(), None, seed.clone()));
    if !tags.is_empty() {
        ctx.state.device_tags.insert(serial.clone(), tags);
    }
    // Both members are blobs, and blobs travel base64-encoded in Query-protocol XML: the SDK hands
    // the caller the seed's base32 text and the PNG's bytes.
    let mut xml = Xml::new();
    xml.open("VirtualMFADevice")
        .text("SerialNumber", &serial)
        .text(
            "Base32StringSeed",
            &data_encoding::BASE64.encode(seed.as_bytes()),
        )
        .text("QRCodePNG", &data_encoding::BASE64.encode(&png))
        .close("VirtualMFADevice");
    Ok(Outcome {
        result: Some(xml.finish()),
        changed: true,
        counters: None,
    })
}

/// The parameters Enable and Resync share, validated.
struct PairRequest<'p> {
    user: &'p str,
    serial: &'p str,
    code1: &'p str,
    code2: &'p str,
}

fn pair_request<'p>(params: &'p BTreeMap<String, String>) -> Result<PairRequest<'p>, ApiError> {
    let mut v = Validator::default();
    let user = v.required(params, "UserName", "userName", Rule::UserName);
    let serial = v.required(params, "SerialNumber", "serialNumber", Rule::Serial);
    let code1 = v.required(
        params,
        "AuthenticationCode1",
        "authenticationCode1",
        Rule::Code,
    );
    let code2 = v.required(
        params,
        "AuthenticationCode2",
        "authenticationCode2",
        Rule::Code,
    );
    v.finish()?;
    match (user, serial, code1, code2) {
        (Some(user), Some(serial), Some(code1), Some(code2)) => Ok(PairRequest {
            user,
            serial,
            code1,
            code2,
        }),
        _ => Err(ApiError::validation("missing parameter")),
    }
}

/// NoSuchEntity for a device that exists but is not enabled for `user`.
fn not_assigned(serial: &str, user: &str) -> ApiError {
    ApiError::no_such_entity(format!(
        "MFA Device with serial number {serial} not found for user {user}."
    ))
}

pub(super) fn enable_mfa_device(
    params: &BTreeMap<String, String>,
    ctx: &mut Context<'_>,
) -> Result<Outcome, ApiError> {
    let req = pair_request(params)?;
    let target = target_user(ctx, Some(req.user), "EnableMFADevice")?;
    if ctx.state.user(&target).is_none() {
        return Err(ApiError::no_such_user(&target));
    }
    let (now, window) = (ctx.now, ctx.code_window);
    let in_use = ctx.state.devices_of(&target).len();
    let device = ctx
        .state
        .device_mut(req.serial)
        .ok_or_else(|| ApiError::no_such_device(req.serial))?;
    // Assigned to anyone, the caller included.
    if device.user.is_some() {
        return Err(ApiError::entity_already_exists(
            "MFA Device is already in use.",
        ));
    }
    if in_use >= MAX_DEVICES_PER_USER {
        return Err(ApiError::limit_exceeded(format!(
            "Cannot exceed quota for MfaDevicesPerUser: {MAX_DEVICES_PER_USER}."
        )));
    }
    let c = check_pair(device, req.code1, req.code2, now, window)?;
    device.user = Some(target);
    device.enable_date = Some(clock::rfc3339(now));
    device.last_counter = Some(c + 1);
    Ok(Outcome {
        result: None,
        changed: true,
        counters: Some((c, c + 1)),
    })
}

pub(super) fn resync_mfa_device(
    params: &BTreeMap<String, String>,
    ctx: &mut Context<'_>,
) -> Result<Outcome, ApiError> {
    let req = pair_request(params)?;
    let target = target_user(ctx, Some(req.user), "ResyncMFADevice")?;
    if ctx.state.user(&target).is_none() {
        return Err(ApiError::no_such_user(&target));
    }
    let (now, window) = (ctx.now, ctx.code_window);
    let device = ctx
        .state
        .device_mut(req.serial)
        .filter(|d| d.user.as_deref() == Some(target.as_str()))
        .ok_or_else(|| not_assigned(req.serial, &target))?;
    let c = check_pair(device, req.code1, req.code2, now, window)?;
    device.last_counter = Some(c + 1);
    Ok(Outcome {
        result: None,
        changed: true,
        counters: Some((c, c + 1)),
    })
}

/// UserName is optional (the caller when absent, the root user included), as in the current API
/// reference.
pub(super) fn deactivate_mfa_device(
    params: &BTreeMap<String, String>,
    ctx: &mut Context<'_>,
) -> Result<Outcome, ApiError> {
    let mut v = Validator::default();
    let user = v.optional(params, "UserName", "userName", Rule::UserName);
    let serial = v.required(params, "SerialNumber", "serialNumber", Rule::Serial);
    v.finish()?;
    let Some(serial) = serial else {
        return Err(ApiError::validation("SerialNumber is required"));
    };
    let target = target(ctx, user, "DeactivateMFADevice")?;
    if let Target::User(name) = &target
        && ctx.state.user(name).is_none()
    {
        return Err(ApiError::no_such_user(name));
    }
    let Some(index) = ctx.state.devices.iter().position(|d| d.serial == serial) else {
        return Err(ApiError::no_such_device(serial));
    };
    let device = &mut ctx.state.devices[index];
    if device.user.as_deref() != Some(target.owner()) {
        let who = match &target {
            Target::User(name) => name.clone(),
            Target::Root => ctx.state.root_arn(),
        };
        return Err(not_assigned(serial, &who));
    }
    if device.is_virtual() {
        // The virtual device stays in the account, unassigned, until DeleteVirtualMFADevice.
        device.user = None;
        device.enable_date = None;
    } else {
        // A hardware token is known to IAM only through its assignment.
        ctx.state.devices.remove(index);
    }
    Ok(Outcome {
        result: None,
        changed: true,
        counters: None,
    })
}

pub(super) fn delete_virtual_mfa_device(
    params: &BTreeMap<String, String>,
    ctx: &mut Context<'_>,
) -> Result<Outcome, ApiError> {
    let mut v = Validator::default();
    let serial = v.required(params, "SerialNumber", "serialNumber", Rule::Serial);
    v.finish()?;
    let Some(serial) = serial else {
        return Err(ApiError::validation("SerialNumber is required"));
    };
    authorize(ctx, "DeleteVirtualMFADevice", serial)?;
    let Some(index) = ctx
        .state
        .devices
        .iter()
        .position(|d| d.serial == serial && d.is_virtual())
    else {
        return Err(ApiError::no_such_device(serial));
    };
    if ctx.state.devices[index].is_assigned() {
        return Err(ApiError::delete_conflict(
            "MFA VirtualDevice in use. Must deactivate first.",
        ));
    }
    ctx.state.devices.remove(index);
    ctx.state.device_tags.remove(serial);
    Ok(Outcome {
        result: None,
        changed: true,
        counters: None,
    })
}

/// The counter of the first code, if the pair is consecutive, near server time and not a replay.
fn check_pair(
    device: &Device,
    code1: &str,
    code2: &str,
    now: i64,
    window: CodeWindow,
) -> Result<u64, ApiError> {
    let key = totp::decode_seed(&device.seed_base32).map_err(|err| {
        eprintln!("iam-local: device {}: {err}", device.serial);
        ApiError::service_failure()
    })?;
    let window = PairWindow {
        now: totp::counter_at(now, device.period),
        window,
        last_counter: device.last_counter,
    };
    totp::find_pair(&key, device.digits, code1, code2, window)
        .ok_or_else(ApiError::invalid_authentication_code)
}
