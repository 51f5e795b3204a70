//! What each action means: authentication against the state, IAM's input validation, the
//! self-or-admin authorization rule, and the effect and result of every supported action.
//!
//! Owns the semantics of GetCallerIdentity, GetUser, ListMFADevices, CreateVirtualMFADevice,
//! EnableMFADevice and ResyncMFADevice, including the TOTP pair rule (consecutive codes, a tolerance
//! around server time, replays refused). It works on a `State` it is handed and returns an inner XML
//! result or an [`ApiError`]; persistence, faults and HTTP are the server's.

use std::collections::BTreeMap;

use super::clock;
use super::error::ApiError;
use super::query::{Service, Xml};
use super::sigv4::{self, RequestParts};
use super::state::{Device, Principal, State};
use super::totp::{self, PairWindow};

/// IAM's per-user limit on MFA devices.
const MAX_DEVICES_PER_USER: usize = 8;

/// `CreateDate` for users: the state model keeps none, and clients only need a valid timestamp.
const USER_CREATE_DATE: &str = "2024-01-01T00:00:00Z";

/// A verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The key the request was signed with.
    pub access_key_id: String,
    /// Who that key belongs to.
    pub principal: Principal,
}

/// Checks signature, session token and expiry of a request against the keys in `state`.
pub fn authenticate(state: &State, req: &RequestParts<'_>, now: i64) -> Result<Caller, ApiError> {
    let auth = sigv4::parse_authorization(req)?;
    let key = state
        .access_key(&auth.access_key_id)
        .ok_or_else(ApiError::invalid_client_token_id)?;
    let token = req.header("x-amz-security-token").map(str::trim);
    let token_ok = match (key.session_token.as_deref(), token) {
        (None, None) => true,
        (Some(expected), Some(given)) => same(expected, given),
        _ => false,
    };
    if !token_ok {
        return Err(ApiError::invalid_client_token_id());
    }
    sigv4::verify(req, &auth, &key.secret, now)?;
    if key.expired {
        return Err(ApiError::expired_token());
    }
    if let Principal::User(name) = &key.principal {
        // A key whose user was deleted is as good as no key.
        if state.user(name).is_none() {
            return Err(ApiError::invalid_client_token_id());
        }
    }
    if Service::from_scope(&auth.service).is_none() {
        return Err(ApiError::new(
            403,
            "SignatureDoesNotMatch",
            format!(
                "Credential should be scoped to correct service: '{}'. ",
                auth.service
            ),
        ));
    }
    Ok(Caller {
        access_key_id: auth.access_key_id,
        principal: key.principal.clone(),
    })
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Everything an action may look at or change.
#[derive(Debug)]
pub struct Context<'a> {
    /// The state to act on (a draft the server commits only when the action succeeds).
    pub state: &'a mut State,
    /// Who asks.
    pub caller: &'a Principal,
    /// Server time, Unix seconds.
    pub now: i64,
    /// Windows either side of now for the second code's counter.
    pub tolerance: u64,
}

/// What a successful action produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Content of `<{Action}Result>`; `None` for actions without output.
    pub result: Option<String>,
    /// Whether the state changed and must be persisted.
    pub changed: bool,
    /// Matched TOTP counters, for the log.
    pub counters: Option<(u64, u64)>,
}

/// Runs `action` of `service` with `params`.
pub fn perform(
    service: Service,
    action: &str,
    params: &BTreeMap<String, String>,
    ctx: &mut Context<'_>,
) -> Result<Outcome, ApiError> {
    if action.is_empty() {
        return Err(ApiError::missing_action());
    }
    let version = params
        .get("Version")
        .map_or(service.version(), String::as_str);
    if version != service.version() {
        return Err(ApiError::invalid_action(action, version));
    }
    match (service, action) {
        (Service::Sts, "GetCallerIdentity") => Ok(get_caller_identity(ctx)),
        (Service::Iam, "GetUser") => get_user(params, ctx),
        (Service::Iam, "ListMFADevices") => list_mfa_devices(params, ctx),
        (Service::Iam, "CreateVirtualMFADevice") => create_virtual_mfa_device(params, ctx),
        (Service::Iam, "EnableMFADevice") => enable_mfa_device(params, ctx),
        (Service::Iam, "ResyncMFADevice") => resync_mfa_device(params, ctx),
        _ => Err(ApiError::invalid_action(action, version)),
    }
}

/// The caller's ARN, as STS reports it and as AccessDenied messages name it.
pub fn caller_arn(state: &State, principal: &Principal) -> String {
    match principal {
        Principal::User(name) => state.user_arn(name),
        Principal::AssumedRole { role, session } => {
            format!(
                "arn:aws:sts::{}:assumed-role/{role}/{session}",
                state.account_id
            )
        }
        Principal::Root => format!("arn:aws:iam::{}:root", state.account_id),
    }
}

fn get_caller_identity(ctx: &Context<'_>) -> Outcome {
    let state = &*ctx.state;
    let user_id = match ctx.caller {
        Principal::User(name) => state
            .user(name)
            .map(|u| u.user_id.clone())
            .unwrap_or_default(),
        Principal::AssumedRole { role, session } => format!("{}:{session}", role_id(role)),
        Principal::Root => state.account_id.clone(),
    };
    let mut xml = Xml::new();
    xml.text("Arn", &caller_arn(state, ctx.caller))
        .text("UserId", &user_id)
        .text("Account", &state.account_id);
    Outcome {
        result: Some(xml.finish()),
        ..Outcome::default()
    }
}

/// A stable `AROA…` id for a role name (the state model keeps no role ids).
fn role_id(role: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(role.as_bytes());
    let mut id = data_encoding::BASE32_NOPAD.encode(&digest);
    id.truncate(17);
    format!("AROA{id}")
}

fn get_user(params: &BTreeMap<String, String>, ctx: &mut Context<'_>) -> Result<Outcome, ApiError> {
    let mut v = Validator::default();
    let name = v.optional(params, "UserName", "userName", Rule::UserName);
    v.finish()?;
    let target = target_user(ctx, name, "GetUser")?;
    let user = ctx
        .state
        .user(&target)
        .ok_or_else(|| ApiError::no_such_user(&target))?;
    let mut xml = Xml::new();
    xml.open("User")
        .text("Path", &user.path)
        .text("UserName", &user.name)
        .text("UserId", &user.user_id)
        .text("Arn", &ctx.state.user_arn(&user.name))
        .text("CreateDate", USER_CREATE_DATE)
        .close("User");
    Ok(Outcome {
        result: Some(xml.finish()),
        ..Outcome::default()
    })
}

fn list_mfa_devices(
    params: &BTreeMap<String, String>,
    ctx: &mut Context<'_>,
) -> Result<Outcome, ApiError> {
    let mut v = Validator::default();
    let name = v.optional(params, "UserName", "userName", Rule::UserName);
    v.finish()?;
    let target = target_user(ctx, name, "ListMFADevices")?;
    if ctx.state.user(&target).is_none() {
        return Err(ApiError::no_such_user(&target));
    }
    let mut xml = Xml::new();
    xml.open("MFADevices");
    for device in ctx
        .state
        .devices
        .iter()
        .filter(|d| d.user.as_deref() == Some(target.as_str()))
    {
        xml.open("member")
            .text("UserName", &target)
            .text("SerialNumber", &device.serial)
            .text(
                "EnableDate",
                device.enable_date.as_deref().unwrap_or(USER_CREATE_DATE),
            )
            .close("member");
    }
    xml.close("MFADevices").text("IsTruncated", "false");
    Ok(Outcome {
        result: Some(xml.finish()),
        ..Outcome::default()
    })
}

fn create_virtual_mfa_device(
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
    v.finish()?;
    let (Some(name), path) = (name, path.unwrap_or("/")) else {
        return Err(ApiError::validation("VirtualMFADeviceName is required"));
    };
    let serial = format!("arn:aws:iam::{}:mfa{path}{name}", ctx.state.account_id);
    if ctx.state.device(&serial).is_some() {
        return Err(ApiError::entity_already_exists(
            "MFADevice entity at the same path and name already exists.",
        ));
    }
    let seed = super::state::random_seed_base32();
    ctx.state.devices.push(Device {
        serial: serial.clone(),
        user: None,
        seed_base32: seed.clone(),
        period: 30,
        digits: 6,
        last_counter: None,
        enable_date: None,
    });
    // The API's Base32StringSeed is a blob whose bytes are the base32 text; blobs travel as base64.
    let blob = data_encoding::BASE64.encode(seed.as_bytes());
    let mut xml = Xml::new();
    xml.open("VirtualMFADevice")
        .text("SerialNumber", &serial)
        .text("Base32StringSeed", &blob)
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

fn enable_mfa_device(
    params: &BTreeMap<String, String>,
    ctx: &mut Context<'_>,
) -> Result<Outcome, ApiError> {
    let req = pair_request(params)?;
    let target = target_user(ctx, Some(req.user), "EnableMFADevice")?;
    if ctx.state.user(&target).is_none() {
        return Err(ApiError::no_such_user(&target));
    }
    let (now, tolerance) = (ctx.now, ctx.tolerance);
    let in_use = ctx
        .state
        .devices
        .iter()
        .filter(|d| d.user.as_deref() == Some(target.as_str()))
        .count();
    let device = ctx.state.device_mut(req.serial).ok_or_else(|| {
        ApiError::no_such_entity(format!(
            "MFA Device with serial number {} does not exist.",
            req.serial
        ))
    })?;
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
    let c = check_pair(device, req.code1, req.code2, now, tolerance)?;
    device.user = Some(target);
    device.enable_date = Some(clock::rfc3339(now));
    device.last_counter = Some(c + 1);
    Ok(Outcome {
        result: None,
        changed: true,
        counters: Some((c, c + 1)),
    })
}

fn resync_mfa_device(
    params: &BTreeMap<String, String>,
    ctx: &mut Context<'_>,
) -> Result<Outcome, ApiError> {
    let req = pair_request(params)?;
    let target = target_user(ctx, Some(req.user), "ResyncMFADevice")?;
    if ctx.state.user(&target).is_none() {
        return Err(ApiError::no_such_user(&target));
    }
    let (now, tolerance) = (ctx.now, ctx.tolerance);
    let device = ctx
        .state
        .device_mut(req.serial)
        .filter(|d| d.user.as_deref() == Some(target.as_str()))
        .ok_or_else(|| {
            ApiError::no_such_entity(format!(
                "MFA Device with serial number {} not found for user {target}.",
                req.serial
            ))
        })?;
    let c = check_pair(device, req.code1, req.code2, now, tolerance)?;
    device.last_counter = Some(c + 1);
    Ok(Outcome {
        result: None,
        changed: true,
        counters: Some((c, c + 1)),
    })
}

/// The counter of the first code, if the pair is consecutive, near server time and not a replay.
fn check_pair(
    device: &Device,
    code1: &str,
    code2: &str,
    now: i64,
    tolerance: u64,
) -> Result<u64, ApiError> {
    let key = totp::decode_seed(&device.seed_base32).map_err(|err| {
        eprintln!("iam-local: device {}: {err}", device.serial);
        ApiError::service_failure()
    })?;
    let window = PairWindow {
        now: totp::counter_at(now, device.period),
        tolerance,
        last_counter: device.last_counter,
    };
    totp::find_pair(&key, device.digits, code1, code2, window)
        .ok_or_else(ApiError::invalid_authentication_code)
}

/// The user an IAM action applies to, after the authorization rule: non-admin users act only on
/// themselves; admins, roles and root on anyone, but roles and root must name the user.
fn target_user(ctx: &Context<'_>, named: Option<&str>, action: &str) -> Result<String, ApiError> {
    let state = &*ctx.state;
    match (ctx.caller, named) {
        (Principal::User(me), None) => Ok(me.clone()),
        (_, None) => Err(ApiError::validation(
            "Must specify userName when calling with non-User credentials",
        )),
        (Principal::User(me), Some(target)) => {
            let admin = state.user(me).is_some_and(|u| u.admin);
            if admin || me == target {
                Ok(target.to_owned())
            } else {
                Err(ApiError::access_denied(
                    &state.user_arn(me),
                    "iam",
                    action,
                    &state.user_arn(target),
                ))
            }
        }
        (Principal::AssumedRole { .. } | Principal::Root, Some(target)) => Ok(target.to_owned()),
    }
}

/// IAM's member constraints, as its API reference states them.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// `existingUserNameType`: 1–128 of `[\w+=,.@-]+`.
    UserName,
    /// `serialNumberType`: 9–256 of `[\w+=/:,.@-]+`.
    Serial,
    /// `authenticationCodeType`: exactly 6 of `[\d]+`; the value is not echoed back.
    Code,
    /// `virtualMFADeviceName`: 1–226 of `[\w+=,.@-]+`.
    DeviceName,
    /// `pathType`: `/` or `/…/` with printable ASCII inside, up to 512.
    Path,
}

impl Rule {
    fn bounds(self) -> (usize, usize) {
        match self {
            Rule::UserName => (1, 128),
            Rule::Serial => (9, 256),
            Rule::Code => (6, 6),
            Rule::DeviceName => (1, 226),
            Rule::Path => (1, 512),
        }
    }

    fn pattern(self) -> &'static str {
        match self {
            Rule::UserName | Rule::DeviceName => r"[\w+=,.@-]+",
            Rule::Serial => r"[\w+=/:,.@-]+",
            Rule::Code => r"[\d]+",
            Rule::Path => r"(\u002F)|(\u002F[\u0021-\u007F]+\u002F)",
        }
    }

    fn matches(self, value: &str) -> bool {
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        match self {
            Rule::UserName | Rule::DeviceName => {
                value.chars().all(|c| word(c) || "+=,.@-".contains(c))
            }
            Rule::Serial => value.chars().all(|c| word(c) || "+=/:,.@-".contains(c)),
            Rule::Code => value.bytes().all(|b| b.is_ascii_digit()),
            Rule::Path => {
                value == "/"
                    || (value.len() >= 3
                        && value.starts_with('/')
                        && value.ends_with('/')
                        && value.bytes().all(|b| (0x21..=0x7f).contains(&b)))
            }
        }
    }
}

/// Collects constraint violations so that one error names them all, as AWS does.
#[derive(Debug, Default)]
struct Validator {
    errors: Vec<String>,
}

impl Validator {
    fn required<'p>(
        &mut self,
        params: &'p BTreeMap<String, String>,
        param: &str,
        member: &str,
        rule: Rule,
    ) -> Option<&'p str> {
        let value = params.get(param).map(String::as_str);
        if value.is_none() {
            self.errors.push(format!(
                "Value null at '{member}' failed to satisfy constraint: Member must not be null"
            ));
        }
        self.check(value, member, rule)
    }

    fn optional<'p>(
        &mut self,
        params: &'p BTreeMap<String, String>,
        param: &str,
        member: &str,
        rule: Rule,
    ) -> Option<&'p str> {
        self.check(params.get(param).map(String::as_str), member, rule)
    }

    fn check<'p>(&mut self, value: Option<&'p str>, member: &str, rule: Rule) -> Option<&'p str> {
        let value = value?;
        let shown = match rule {
            Rule::Code => format!("Value at '{member}'"),
            _ => format!("Value '{value}' at '{member}'"),
        };
        let (min, max) = rule.bounds();
        let len = value.chars().count();
        let before = self.errors.len();
        if len < min {
            self.errors.push(format!(
                "{shown} failed to satisfy constraint: Member must have length greater than or equal to {min}"
            ));
        } else if len > max {
            self.errors.push(format!(
                "{shown} failed to satisfy constraint: Member must have length less than or equal to {max}"
            ));
        }
        if !rule.matches(value) {
            self.errors.push(format!(
                "{shown} failed to satisfy constraint: Member must satisfy regular expression pattern: {}",
                rule.pattern()
            ));
        }
        (self.errors.len() == before).then_some(value)
    }

    fn finish(self) -> Result<(), ApiError> {
        match self.errors.len() {
            0 => Ok(()),
            1 => Err(ApiError::validation(format!(
                "1 validation error detected: {}",
                self.errors[0]
            ))),
            n => Err(ApiError::validation(format!(
                "{n} validation errors detected: {}",
                self.errors.join("; ")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam_local::state::{DEMO_SERIAL, State};

    const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    const KEY: &[u8] = b"12345678901234567890";
    const NOW: i64 = 1_700_000_000;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn run(
        state: &mut State,
        caller: Principal,
        action: &str,
        p: &[(&str, &str)],
    ) -> Result<Outcome, ApiError> {
        let service = if action == "GetCallerIdentity" {
            Service::Sts
        } else {
            Service::Iam
        };
        let mut ctx = Context {
            state,
            caller: &caller,
            now: NOW,
            tolerance: 2,
        };
        perform(service, action, &params(p), &mut ctx)
    }

    fn alice() -> Principal {
        Principal::User("alice".into())
    }

    fn codes(c: u64) -> (String, String) {
        (totp::hotp(KEY, c, 6), totp::hotp(KEY, c + 1, 6))
    }

    fn resync(
        state: &mut State,
        caller: Principal,
        user: &str,
        c1: &str,
        c2: &str,
    ) -> Result<Outcome, ApiError> {
        run(
            state,
            caller,
            "ResyncMFADevice",
            &[
                ("UserName", user),
                ("SerialNumber", DEMO_SERIAL),
                ("AuthenticationCode1", c1),
                ("AuthenticationCode2", c2),
            ],
        )
    }

    #[test]
    fn resync_accepts_a_fresh_pair_once() {
        let mut state = State::demo(SEED);
        let n = totp::counter_at(NOW, 30);
        let (c1, c2) = codes(n - 1);
        let out = resync(&mut state, alice(), "alice", &c1, &c2).unwrap();
        assert_eq!(out.counters, Some((n - 1, n)));
        assert!(out.changed && out.result.is_none());
        assert_eq!(state.device(DEMO_SERIAL).unwrap().last_counter, Some(n));
        let again = resync(&mut state, alice(), "alice", &c1, &c2).unwrap_err();
        assert_eq!(again.code, "InvalidAuthenticationCode");
        assert_eq!(again.status, 403);
    }

    #[test]
    fn resync_validation_errors_use_aws_wording() {
        let mut state = State::demo(SEED);
        let err = resync(&mut state, alice(), "alice", "12345", "123456").unwrap_err();
        assert_eq!(
            err.message,
            "1 validation error detected: Value at 'authenticationCode1' failed to satisfy constraint: Member must have length greater than or equal to 6"
        );
        let err = resync(&mut state, alice(), "alice", "12a456", "1234567").unwrap_err();
        assert_eq!(err.code, "ValidationError");
        assert!(
            err.message.starts_with("2 validation errors detected: "),
            "{}",
            err.message
        );
        assert!(
            err.message
                .contains(r"Member must satisfy regular expression pattern: [\d]+")
        );
        assert!(!err.message.contains("12a456"), "codes are not echoed");
        let err = run(
            &mut state,
            alice(),
            "ResyncMFADevice",
            &[("UserName", "alice")],
        )
        .unwrap_err();
        assert!(
            err.message
                .starts_with("3 validation errors detected: Value null at 'serialNumber'"),
            "{}",
            err.message
        );
    }

    #[test]
    fn non_admin_acts_only_on_itself() {
        let mut state = State::demo(SEED);
        let (c1, c2) = codes(totp::counter_at(NOW, 30));
        let err = resync(&mut state, alice(), "admin", &c1, &c2).unwrap_err();
        assert_eq!(err.code, "AccessDenied");
        assert_eq!(
            err.message,
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:ResyncMFADevice on resource: arn:aws:iam::123456789012:user/admin"
        );
        let admin = Principal::User("admin".into());
        assert!(resync(&mut state, admin.clone(), "alice", &c1, &c2).is_ok());
        let err = run(&mut state, admin, "GetUser", &[("UserName", "carol")]).unwrap_err();
        assert_eq!(
            (err.status, err.message.as_str()),
            (404, "The user with name carol cannot be found.")
        );
    }

    #[test]
    fn roles_and_root_must_name_the_user() {
        let mut state = State::demo(SEED);
        let role = Principal::AssumedRole {
            role: "ops".into(),
            session: "s".into(),
        };
        let err = run(&mut state, role.clone(), "ListMFADevices", &[]).unwrap_err();
        assert_eq!(
            err.message,
            "Must specify userName when calling with non-User credentials"
        );
        let out = run(
            &mut state,
            role.clone(),
            "ListMFADevices",
            &[("UserName", "alice")],
        )
        .unwrap();
        assert!(
            out.result
                .unwrap()
                .contains("<SerialNumber>arn:aws:iam::123456789012:mfa/alice</SerialNumber>")
        );
        let id = run(&mut state, role, "GetCallerIdentity", &[])
            .unwrap()
            .result
            .unwrap();
        assert!(
            id.contains("<Arn>arn:aws:sts::123456789012:assumed-role/ops/s</Arn>"),
            "{id}"
        );
        let root = run(&mut state, Principal::Root, "GetCallerIdentity", &[])
            .unwrap()
            .result
            .unwrap();
        assert!(
            root.contains("<Arn>arn:aws:iam::123456789012:root</Arn><UserId>123456789012</UserId>"),
            "{root}"
        );
    }

    #[test]
    fn resync_of_a_device_not_assigned_to_the_user() {
        let mut state = State::demo(SEED);
        let (c1, c2) = codes(totp::counter_at(NOW, 30));
        let err = resync(
            &mut state,
            Principal::User("admin".into()),
            "admin",
            &c1,
            &c2,
        )
        .unwrap_err();
        assert_eq!((err.status, err.code), (404, "NoSuchEntity"));
    }

    #[test]
    fn create_then_enable_a_virtual_device() {
        let mut state = State::demo(SEED);
        let out = run(
            &mut state,
            alice(),
            "CreateVirtualMFADevice",
            &[("VirtualMFADeviceName", "alice2")],
        )
        .unwrap();
        let xml = out.result.unwrap();
        assert!(
            xml.contains("<SerialNumber>arn:aws:iam::123456789012:mfa/alice2</SerialNumber>"),
            "{xml}"
        );
        let dup = run(
            &mut state,
            alice(),
            "CreateVirtualMFADevice",
            &[("VirtualMFADeviceName", "alice2")],
        )
        .unwrap_err();
        assert_eq!((dup.status, dup.code), (409, "EntityAlreadyExists"));
        let serial = "arn:aws:iam::123456789012:mfa/alice2";
        let device = state.device(serial).unwrap().clone();
        let blob = data_encoding::BASE64.encode(device.seed_base32.as_bytes());
        assert!(xml.contains(&format!("<Base32StringSeed>{blob}</Base32StringSeed>")));
        let n = totp::counter_at(NOW, 30);
        let c1 = totp::code_at(&device.seed_base32, n, 6).unwrap();
        let c2 = totp::code_at(&device.seed_base32, n + 1, 6).unwrap();
        let enable = |state: &mut State| {
            run(
                state,
                alice(),
                "EnableMFADevice",
                &[
                    ("UserName", "alice"),
                    ("SerialNumber", serial),
                    ("AuthenticationCode1", &c1),
                    ("AuthenticationCode2", &c2),
                ],
            )
        };
        assert_eq!(enable(&mut state).unwrap().counters, Some((n, n + 1)));
        assert_eq!(state.device(serial).unwrap().user.as_deref(), Some("alice"));
        assert_eq!(enable(&mut state).unwrap_err().code, "EntityAlreadyExists");
        let list = run(&mut state, alice(), "ListMFADevices", &[])
            .unwrap()
            .result
            .unwrap();
        assert_eq!(list.matches("<member>").count(), 2, "{list}");
    }

    #[test]
    fn unknown_actions_and_versions() {
        let mut state = State::demo(SEED);
        let err = run(&mut state, alice(), "DeleteUser", &[]).unwrap_err();
        assert_eq!((err.status, err.code), (400, "InvalidAction"));
        let err = run(&mut state, alice(), "GetUser", &[("Version", "2011-06-15")]).unwrap_err();
        assert_eq!(
            err.message,
            "Could not find operation GetUser for version 2011-06-15"
        );
        let err = run(&mut state, alice(), "", &[]).unwrap_err();
        assert_eq!(err.code, "MissingAction");
    }

    #[test]
    fn hostile_values_are_rejected_or_escaped() {
        let mut state = State::demo(SEED);
        let err = run(
            &mut state,
            Principal::Root,
            "GetUser",
            &[("UserName", "<x>")],
        )
        .unwrap_err();
        assert_eq!(err.code, "ValidationError");
        assert!(err.message.contains("Value '<x>' at 'userName'"));
        let err = run(
            &mut state,
            alice(),
            "CreateVirtualMFADevice",
            &[("VirtualMFADeviceName", "d"), ("Path", "nopath")],
        )
        .unwrap_err();
        assert!(err.message.contains("at 'path'"), "{}", err.message);
    }
}
