//! The account alias: ListAccountAliases, CreateAccountAlias, DeleteAccountAlias.
//!
//! An account has at most one alias, and aliases are unique within a partition. Creating a new
//! alias replaces the old one ("If you create a new alias for your AWS account, the new alias
//! overwrites the previous alias", IAM User Guide, "Using an alias for your AWS account ID");
//! EntityAlreadyExists means the *name* is taken, by another account (`State::foreign_aliases`)
//! or by this one, with AWS's words "The account alias NAME already exists.". DeleteAccountAlias
//! names the alias to delete; another name answers NoSuchEntity. Listing is open to every user
//! (resource `*`), changing it to admins, roles and root; explicit denies apply to all three.

use std::collections::BTreeMap;

use super::paging::PageRequest;
use super::validate::{Rule, Validator};
use super::{Context, Outcome, authorize, authorize_admin};
use crate::iam_local::error::ApiError;
use crate::iam_local::query::Xml;

pub(super) fn list_account_aliases(
    params: &BTreeMap<String, String>,
    ctx: &mut Context<'_>,
) -> Result<Outcome, ApiError> {
    let mut v = Validator::default();
    let paging = PageRequest::read(&mut v, params);
    v.finish()?;
    authorize(ctx, "ListAccountAliases", "*")?;
    let page = paging.page(ctx.state.account_alias.iter().collect(), ctx.short_pages)?;
    let mut xml = Xml::new();
    xml.open("AccountAliases");
    for alias in &page.items {
        xml.text("member", alias);
    }
    xml.close("AccountAliases");
    page.write_tail(&mut xml);
    Ok(Outcome {
        result: Some(xml.finish()),
        ..Outcome::default()
    })
}

fn alias_param(params: &BTreeMap<String, String>) -> Result<&str, ApiError> {
    let mut v = Validator::default();
    let alias = v.required(params, "AccountAlias", "accountAlias", Rule::AccountAlias);
    v.finish()?;
    alias.ok_or_else(|| ApiError::validation("AccountAlias is required"))
}

pub(super) fn create_account_alias(
    params: &BTreeMap<String, String>,
    ctx: &mut Context<'_>,
) -> Result<Outcome, ApiError> {
    let alias = alias_param(params)?;
    authorize_admin(ctx, "CreateAccountAlias", "*")?;
    let state = &mut *ctx.state;
    if state.account_alias.as_deref() == Some(alias)
        || state.foreign_aliases.iter().any(|a| a == alias)
    {
        return Err(ApiError::entity_already_exists(format!(
            "The account alias {alias} already exists."
        )));
    }
    state.account_alias = Some(alias.to_owned());
    Ok(Outcome {
        result: None,
        changed: true,
        counters: None,
    })
}

pub(super) fn delete_account_alias(
    params: &BTreeMap<String, String>,
    ctx: &mut Context<'_>,
) -> Result<Outcome, ApiError> {
    let alias = alias_param(params)?;
    authorize_admin(ctx, "DeleteAccountAlias", "*")?;
    if ctx.state.account_alias.as_deref() != Some(alias) {
        return Err(ApiError::no_such_entity(format!(
            "The account alias {alias} does not exist."
        )));
    }
    ctx.state.account_alias = None;
    Ok(Outcome {
        result: None,
        changed: true,
        counters: None,
    })
}
