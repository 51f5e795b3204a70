//! An error's chain of causes, read for what a user can act on: whether the credentials were the
//! trouble, and the few links worth showing (the whole chain is for `-v`).

pub(super) fn sources<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |e| e.source())
}

pub(super) fn has_credentials_error(err: &(dyn std::error::Error + 'static)) -> bool {
    sources(err).any(|e| e.is::<aws_credential_types::provider::error::CredentialsError>())
}

/// Why the credentials could not be had, in words a user can act on: `None` when no provider of
/// the chain had any (the SDK says "the credential provider was not enabled: no providers in chain
/// provided credentials", which is its own jargon; the catalogue says where it looked).
pub(super) fn credentials_reason(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    use aws_credential_types::provider::error::CredentialsError;
    let found = sources(err).find_map(|e| e.downcast_ref::<CredentialsError>());
    match found {
        Some(CredentialsError::CredentialsNotLoaded(_)) | None => {
            tracing::info!(error = %short_chain(err), "no credentials provider had credentials");
            None
        }
        Some(e) => Some(short_chain(e)),
    }
}

/// The first two links of an error chain, without the SDK's debug dumps: enough to act on; the
/// whole chain is for `-v`.
fn short_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let text = sources(err)
        .take(3)
        .map(|e| e.to_string())
        .map(|t| t.split(" (").next().unwrap_or_default().trim().to_string())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(": ");
    match text.char_indices().nth(240) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

pub(super) fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    sources(err)
        .last()
        .map(|e| e.to_string())
        .unwrap_or_default()
}
