//! Who is calling: STS GetCallerIdentity and IAM GetUser.
//!
//! GetCallerIdentity needs no permission and no explicit deny can refuse it (IAM User Guide,
//! "GetCallerIdentity"); GetUser follows the self-or-admin rule like every per-user action, and the
//! root user naming no user gets itself (its ARN and the account id, no UserName or Path).

use std::collections::BTreeMap;

use super::validate::{Rule, Validator};
use super::{Context, Outcome, Target, USER_CREATE_DATE, caller_arn, target};
use crate::iam_local::builder::stable_id;
use crate::iam_local::error::ApiError;
use crate::iam_local::query::Xml;
use crate::iam_local::state::Principal;

pub(super) fn get_caller_identity(ctx: &Context<'_>) -> Outcome {
    let state = &*ctx.state;
    let user_id = match ctx.caller {
        Principal::User(name) => state
            .user(name)
            .map(|u| u.user_id.clone())
            .unwrap_or_default(),
        // The state model keeps no role ids: a stable `AROA…` id per role name stands in.
        Principal::AssumedRole { role, session } => {
            format!("{}:{session}", stable_id("AROA", role))
        }
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

pub(super) fn get_user(
    params: &BTreeMap<String, String>,
    ctx: &mut Context<'_>,
) -> Result<Outcome, ApiError> {
    let mut v = Validator::default();
    let name = v.optional(params, "UserName", "userName", Rule::UserName);
    v.finish()?;
    let mut xml = Xml::new();
    match target(ctx, name, "GetUser")? {
        Target::User(target) => write_user(&mut xml, ctx, &target)?,
        Target::Root => write_root_user(&mut xml, ctx),
    }
    Ok(Outcome {
        result: Some(xml.finish()),
        ..Outcome::default()
    })
}

/// `<User>` with Path, UserName, UserId, Arn and CreateDate, as GetUser and ListVirtualMFADevices
/// show a user; NoSuchEntity if there is none of that name.
pub(super) fn write_user(xml: &mut Xml, ctx: &Context<'_>, name: &str) -> Result<(), ApiError> {
    let user = ctx
        .state
        .user(name)
        .ok_or_else(|| ApiError::no_such_user(name))?;
    xml.open("User")
        .text("Path", &user.path)
        .text("UserName", &user.name)
        .text("UserId", &user.user_id)
        .text("Arn", &ctx.state.user_arn(&user.name))
        .text("CreateDate", USER_CREATE_DATE)
        .close("User");
    Ok(())
}

/// `<User>` for the account's root user, as AWS shows it in ListVirtualMFADevices and GetUser:
/// Arn `arn:PARTITION:iam::ACCOUNT:root`, UserId the account id, a CreateDate, and neither UserName
/// nor Path.
pub(super) fn write_root_user(xml: &mut Xml, ctx: &Context<'_>) {
    xml.open("User")
        .text("Arn", &ctx.state.root_arn())
        .text("UserId", &ctx.state.account_id)
        .text("CreateDate", USER_CREATE_DATE)
        .close("User");
}
