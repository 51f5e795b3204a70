//! Verification of AWS Signature Version 4 on an incoming request, written from the SigV4 spec.
//!
//! Owns the `Authorization` header grammar, the canonical request, the string to sign, the signing
//! key derivation, the request-time check and the constant-time comparison. It is deliberately
//! independent of any AWS signer (the client's bugs must not cancel ours out) and of the test bed's
//! state: the caller looks up the secret for the key id this module reports, and maps failures to
//! wire errors.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::clock;

/// The only algorithm IAM and STS accept for header-signed requests.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// How far a request's time may be from the server's (SigV4: 15 minutes).
pub const MAX_SKEW_SECS: i64 = 15 * 60;

/// The parts of an HTTP request that SigV4 covers, as they arrived.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// The path as sent, still percent-encoded.
    pub path: &'a str,
    /// The query string as sent, without `?`.
    pub query: &'a str,
    /// Header (name, value) pairs in arrival order; names in any case, repeats allowed.
    pub headers: &'a [(String, String)],
    /// The body bytes.
    pub body: &'a [u8],
}

impl<'a> RequestParts<'a> {
    /// Every value of header `name` (case-insensitive), in arrival order.
    pub fn header_values<'n>(&self, name: &'n str) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
        let headers: &'a [(String, String)] = self.headers;
        headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.header_values(name).next()
    }
}

/// A parsed `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The access key id from the credential scope.
    pub access_key_id: String,
    /// Scope date, `YYYYMMDD`.
    pub date: String,
    /// Scope region.
    pub region: String,
    /// Scope service (`iam`, `sts`).
    pub service: String,
    /// Lower-case names of the signed headers, in the order given.
    pub signed_headers: Vec<String>,
    /// The hex signature as sent.
    pub signature: String,
}

/// Why a request's signature is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    /// No `Authorization` header at all.
    #[error("Request is missing Authentication Token")]
    Missing,
    /// The header is there but unusable; the text says what is wrong, in AWS's words.
    #[error("{0}")]
    Incomplete(String),
    /// The request time is more than 15 minutes before server time.
    #[error("Signature expired: {request} is now earlier than {limit} ({now} - 15 min.)")]
    Expired {
        /// Request time, `YYYYMMDDTHHMMSSZ`.
        request: String,
        /// Earliest acceptable time.
        limit: String,
        /// Server time.
        now: String,
    },
    /// The request time is more than 15 minutes after server time.
    #[error("Signature not yet current: {request} is still later than {limit} ({now} + 15 min.)")]
    NotYetCurrent {
        /// Request time, `YYYYMMDDTHHMMSSZ`.
        request: String,
        /// Latest acceptable time.
        limit: String,
        /// Server time.
        now: String,
    },
    /// The scope's date is not the request's date.
    #[error(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope}' != '{date}', from '{amz_date}'."
    )]
    ScopeDate {
        /// Date in the credential scope.
        scope: String,
        /// Date of the request time.
        date: String,
        /// Request time.
        amz_date: String,
    },
    /// The signature is not the one the secret gives.
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    )]
    Mismatch,
}

/// Parses the request's `Authorization` header.
pub fn parse_authorization(req: &RequestParts<'_>) -> Result<Authorization, SigV4Error> {
    let header = req.header("authorization").ok_or(SigV4Error::Missing)?;
    let header = header.trim();
    let (algorithm, rest) = header
        .split_once(char::is_whitespace)
        .unwrap_or((header, ""));
    if algorithm != ALGORITHM {
        return Err(SigV4Error::Incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'"
        )));
    }
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        match part.trim().split_once('=') {
            Some(("Credential", v)) => credential = Some(v.trim()),
            Some(("SignedHeaders", v)) => signed = Some(v.trim()),
            Some(("Signature", v)) => signature = Some(v.trim()),
            _ => {}
        }
    }
    let mut missing = Vec::new();
    for (name, value) in [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed),
    ] {
        if value.is_none_or(str::is_empty) {
            missing.push(format!("Authorization header requires '{name}' parameter."));
        }
    }
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        return Err(incomplete(missing, header));
    };
    if !missing.is_empty() {
        return Err(incomplete(missing, header));
    }
    let scope: Vec<&str> = credential.split('/').collect();
    let [key, date, region, service, terminator] = scope[..] else {
        return Err(SigV4Error::Incomplete(format!(
            "Credential should be scoped to a valid region. Authorization={header}"
        )));
    };
    if terminator != "aws4_request" || key.is_empty() {
        return Err(SigV4Error::Incomplete(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
        )));
    }
    let signed_headers: Vec<String> = signed.split(';').map(str::to_ascii_lowercase).collect();
    if !signed_headers
        .iter()
        .any(|h| h == "host" || h == ":authority")
    {
        return Err(SigV4Error::Incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
        ));
    }
    Ok(Authorization {
        access_key_id: key.to_owned(),
        date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        signed_headers,
        signature: signature.to_owned(),
    })
}

fn incomplete(missing: Vec<String>, header: &str) -> SigV4Error {
    SigV4Error::Incomplete(format!("{} Authorization={header}", missing.join(" ")))
}

/// Checks the request's time against `now` and its signature against `secret`.
pub fn verify(
    req: &RequestParts<'_>,
    auth: &Authorization,
    secret: &str,
    now: i64,
) -> Result<(), SigV4Error> {
    let (amz_date, request_time) = request_time(req)?;
    if request_time < now - MAX_SKEW_SECS {
        return Err(SigV4Error::Expired {
            request: amz_date,
            limit: clock::amz_date(now - MAX_SKEW_SECS),
            now: clock::amz_date(now),
        });
    }
    if request_time > now + MAX_SKEW_SECS {
        return Err(SigV4Error::NotYetCurrent {
            request: amz_date,
            limit: clock::amz_date(now + MAX_SKEW_SECS),
            now: clock::amz_date(now),
        });
    }
    if amz_date.get(..8) != Some(auth.date.as_str()) {
        return Err(SigV4Error::ScopeDate {
            scope: auth.date.clone(),
            date: amz_date.get(..8).unwrap_or_default().to_owned(),
            amz_date,
        });
    }
    let canonical = canonical_request(req, &auth.signed_headers);
    let scope = format!(
        "{}/{}/{}/aws4_request",
        auth.date, auth.region, auth.service
    );
    let to_sign = string_to_sign(&amz_date, &scope, &canonical);
    let key = signing_key(secret, &auth.date, &auth.region, &auth.service);
    let expected = hex::encode(hmac(&key, to_sign.as_bytes()));
    if constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
        Ok(())
    } else {
        Err(SigV4Error::Mismatch)
    }
}

/// The request time in SigV4 form and as Unix seconds: `X-Amz-Date`, else the HTTP `Date` header.
fn request_time(req: &RequestParts<'_>) -> Result<(String, i64), SigV4Error> {
    if let Some(value) = req.header("x-amz-date") {
        let value = value.trim();
        return clock::parse_amz_date(value)
            .map(|t| (value.to_owned(), t))
            .ok_or_else(|| SigV4Error::Incomplete(format!("Invalid X-Amz-Date: '{value}'")));
    }
    if let Some(value) = req.header("date") {
        return clock::parse_http_date(value.trim())
            .map(|t| (clock::amz_date(t), t))
            .ok_or_else(|| SigV4Error::Incomplete(format!("Invalid Date: '{}'", value.trim())));
    }
    Err(SigV4Error::Incomplete(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
            .to_owned(),
    ))
}

/// The canonical request (SigV4 "Create a canonical request").
pub fn canonical_request(req: &RequestParts<'_>, signed_headers: &[String]) -> String {
    let mut out = String::new();
    out.push_str(req.method);
    out.push('\n');
    out.push_str(&canonical_uri(req.path));
    out.push('\n');
    out.push_str(&canonical_query(req.query));
    out.push('\n');
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        let values: Vec<String> = req
            .header_values(name)
            .map(canonical_header_value)
            .collect();
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    match req.header("x-amz-content-sha256") {
        // The client may declare the payload hash (or UNSIGNED-PAYLOAD); it is signed as given.
        Some(declared) => out.push_str(declared.trim()),
        None => out.push_str(&hex::encode(Sha256::digest(req.body))),
    }
    out
}

/// The string to sign for a canonical request.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let hash = hex::encode(Sha256::digest(canonical_request.as_bytes()));
    format!("{ALGORITHM}\n{amz_date}\n{scope}\n{hash}")
}

/// The derived signing key: HMAC chain over date, region, service and `aws4_request`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Equality whose time depends only on the lengths, so a forger learns nothing from timing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Path with dot segments and empty segments removed, then URI-encoded once more: the path on the
/// wire is already encoded once, and for every service but S3 SigV4 encodes each segment twice.
fn canonical_uri(path: &str) -> String {
    let mut stack: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    for seg in &segments {
        match *seg {
            "" | "." => {}
            ".." => {
                stack.pop();
            }
            s => stack.push(s),
        }
    }
    let trailing = matches!(segments.last(), Some(&"" | &"." | &".."));
    let mut normalized = format!("/{}", stack.join("/"));
    if trailing && !stack.is_empty() {
        normalized.push('/');
    }
    uri_encode(&normalized, true)
}

/// Query parameters decoded, re-encoded the SigV4 way and sorted by name, then value.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (uri_encode(&k, false), uri_encode(&v, false)))
        .collect();
    pairs.sort();
    let parts: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join("&")
}

/// Trimmed, with each run of spaces inside collapsed to one (SigV4 "Trimall").
fn canonical_header_value(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// RFC 3986 encoding as SigV4 wants it: unreserved characters kept, everything else `%XX` upper-case.
fn uri_encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests;
