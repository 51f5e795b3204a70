//! What each action means: authentication against the state, the stand-in for IAM policies, and
//! the dispatch of every supported action to the module that owns its semantics.
//!
//! Submodules: `identity` (GetCallerIdentity, GetUser), `mfa` (Create/Enable/Resync/Deactivate/
//! DeleteVirtualMFADevice, including the TOTP pair rule), `mfa_list` (ListMFADevices,
//! ListVirtualMFADevices, GetMFADevice), `alias` (List/Create/DeleteAccountAlias), `validate`
//! (IAM's input checks), `tags` (the Tags of a create) and `paging` (Marker/MaxItems, short
//! pages). They work on a `State` they are handed and return an inner XML result or an
//! [`ApiError`]; persistence, faults and HTTP are the server's.
//!
//! Authorization, in the order IAM evaluates it: the request is validated first, then an explicit
//! deny (`State::denied_actions`) refuses it, then the self-or-admin rule (a user who is not an
//! admin acts only on itself; roles and root on anyone, naming the user), then entities are looked up.
//! The root user without a UserName acts on itself where the API allows that (ListMFADevices,
//! DeactivateMFADevice, GetMFADevice, GetUser): its devices are the ones [`ROOT_OWNER`] holds.

use std::collections::BTreeMap;

use super::error::ApiError;
use super::query::Service;
use super::sigv4::{self, RequestParts};
use super::state::{Principal, ROOT_OWNER, State};
use super::totp::CodeWindow;

mod alias;
mod identity;
mod mfa;
mod mfa_list;
mod paging;
mod tags;
mod validate;

#[cfg(test)]
mod tests;

pub use mfa::MAX_DEVICES_PER_USER;
pub use paging::SHORT_PAGE;

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
    /// Which steps around now the second code of a pair may be from.
    pub code_window: CodeWindow,
    /// Whether lists are cut into short pages (see `paging`).
    pub short_pages: bool,
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
        (Service::Sts, "GetCallerIdentity") => Ok(identity::get_caller_identity(ctx)),
        (Service::Iam, "GetUser") => identity::get_user(params, ctx),
        (Service::Iam, "ListMFADevices") => mfa_list::list_mfa_devices(params, ctx),
        (Service::Iam, "ListVirtualMFADevices") => mfa_list::list_virtual_mfa_devices(params, ctx),
        (Service::Iam, "GetMFADevice") => mfa_list::get_mfa_device(params, ctx),
        (Service::Iam, "CreateVirtualMFADevice") => mfa::create_virtual_mfa_device(params, ctx),
        (Service::Iam, "EnableMFADevice") => mfa::enable_mfa_device(params, ctx),
        (Service::Iam, "ResyncMFADevice") => mfa::resync_mfa_device(params, ctx),
        (Service::Iam, "DeactivateMFADevice") => mfa::deactivate_mfa_device(params, ctx),
        (Service::Iam, "DeleteVirtualMFADevice") => mfa::delete_virtual_mfa_device(params, ctx),
        (Service::Iam, "ListAccountAliases") => alias::list_account_aliases(params, ctx),
        (Service::Iam, "CreateAccountAlias") => alias::create_account_alias(params, ctx),
        (Service::Iam, "DeleteAccountAlias") => alias::delete_account_alias(params, ctx),
        _ => Err(ApiError::invalid_action(action, version)),
    }
}

/// The caller's ARN, as STS reports it and as AccessDenied messages name it.
pub fn caller_arn(state: &State, principal: &Principal) -> String {
    match principal {
        Principal::User(name) => state.user_arn(name),
        Principal::AssumedRole { role, session } => format!(
            "arn:{}:sts::{}:assumed-role/{role}/{session}",
            state.partition, state.account_id
        ),
        Principal::Root => state.root_arn(),
    }
}

/// Refuses `iam:ACTION` on `resource` when `State::denied_actions` denies it to the caller.
fn authorize(ctx: &Context<'_>, action: &str, resource: &str) -> Result<(), ApiError> {
    if ctx.state.is_denied(ctx.caller, "iam", action) {
        return Err(ApiError::explicitly_denied(
            &caller_arn(ctx.state, ctx.caller),
            "iam",
            action,
            resource,
        ));
    }
    Ok(())
}

/// For account-level changes (the alias): denies aside, users must be admins.
fn authorize_admin(ctx: &Context<'_>, action: &str, resource: &str) -> Result<(), ApiError> {
    authorize(ctx, action, resource)?;
    match ctx.caller {
        Principal::User(me) if !ctx.state.user(me).is_some_and(|u| u.admin) => Err(
            ApiError::access_denied(&ctx.state.user_arn(me), "iam", action, resource),
        ),
        _ => Ok(()),
    }
}

/// Whom a per-user action is about: an IAM user, or the root user acting on itself.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// An IAM user, by name.
    User(String),
    /// The account's root user (the caller, who named no user).
    Root,
}

impl Target {
    /// What [`crate::iam_local::state::Device::user`] holds for this target's devices.
    fn owner(&self) -> &str {
        match self {
            Target::User(name) => name,
            Target::Root => ROOT_OWNER,
        }
    }
}

/// Like [`target_user`], for actions whose UserName is optional: the root user naming no user
/// acts on itself; no explicit deny applies to it.
fn target(ctx: &Context<'_>, named: Option<&str>, action: &str) -> Result<Target, ApiError> {
    match (ctx.caller, named) {
        (Principal::Root, None) => Ok(Target::Root),
        _ => target_user(ctx, named, action).map(Target::User),
    }
}

/// The user an IAM action applies to, after authorization: an explicit deny on the user refuses;
/// non-admin users act only on themselves; admins, roles and root on anyone, but roles and root
/// must name the user.
fn target_user(ctx: &Context<'_>, named: Option<&str>, action: &str) -> Result<String, ApiError> {
    let state = &*ctx.state;
    let target = match (ctx.caller, named) {
        (Principal::User(me), None) => me.clone(),
        (_, None) => {
            return Err(ApiError::validation(
                "Must specify userName when calling with non-User credentials",
            ));
        }
        (_, Some(target)) => target.to_owned(),
    };
    authorize(ctx, action, &state.user_arn(&target))?;
    if let Principal::User(me) = ctx.caller {
        let admin = state.user(me).is_some_and(|u| u.admin);
        if !admin && *me != target {
            return Err(ApiError::access_denied(
                &state.user_arn(me),
                "iam",
                action,
                &state.user_arn(&target),
            ));
        }
    }
    Ok(target)
}
