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
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    /// 2015-08-30T12:36:00Z, the time of AWS's examples.
    const EXAMPLE_TIME: i64 = 1_440_938_160;

    struct Parsed {
        method: String,
        path: String,
        query: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    /// Reads the suite's `header-signed-request.txt` form: request line, `Name:value` lines, a blank
    /// line, the body.
    fn parse_request(text: &str) -> Parsed {
        let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
        let mut lines = head.lines();
        let request_line = lines.next().unwrap();
        let mut words = request_line.split(' ');
        let method = words.next().unwrap().to_owned();
        let target = words.next().unwrap();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let headers = lines
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                (n.to_owned(), v.to_owned())
            })
            .collect();
        Parsed {
            method,
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    fn check(text: &str, secret: &str, now: i64) -> Result<Authorization, SigV4Error> {
        let p = parse_request(text);
        let req = RequestParts {
            method: &p.method,
            path: &p.path,
            query: &p.query,
            headers: &p.headers,
            body: &p.body,
        };
        let auth = parse_authorization(&req)?;
        verify(&req, &auth, secret, now).map(|()| auth)
    }

    // Signed requests from the AWS SigV4 test suite (credentials AKIDEXAMPLE / SECRET, us-east-1,
    // service "service", 20150830T123600Z); the signatures are AWS's.
    const SUITE: &[(&str, &str)] = &[
        (
            "get-vanilla",
            "GET / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\nAuthorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31\n\n",
        ),
        (
            "get-vanilla-query-order-encoded",
            "GET /?Param-3=Value3&Param=Value2&%E1%88%B4=Value1 HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\nAuthorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac\n\n",
        ),
        (
            "get-slashes-normalized",
            "GET //example// HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\nAuthorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84\n\n",
        ),
        (
            "get-vanilla-with-session-token",
            "GET / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Security-Token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267\nX-Amz-Date:20150830T123600Z\nAuthorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8\n\n",
        ),
        (
            "post-x-www-form-urlencoded",
            "POST / HTTP/1.1\nContent-Type:application/x-www-form-urlencoded\nHost:example.amazonaws.com\nContent-Length:13\nX-Amz-Date:20150830T123600Z\nx-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\nAuthorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b\n\nParam1=value1",
        ),
        (
            "post-x-www-form-urlencoded-parameters",
            "POST / HTTP/1.1\nContent-Type:application/x-www-form-urlencoded; charset=utf-8\nHost:example.amazonaws.com\nContent-Length:13\nX-Amz-Date:20150830T123600Z\nx-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\nAuthorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422\n\nParam1=value1",
        ),
        (
            "get-header-key-duplicate",
            "GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value2\nMy-Header1:value2\nMy-Header1:value1\nX-Amz-Date:20150830T123600Z\nAuthorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea\n\n",
        ),
        (
            "get-header-value-trim",
            "GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1: value1\nMy-Header2: \"a   b   c\"\nX-Amz-Date:20150830T123600Z\nAuthorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736\n\n",
        ),
        (
            "get-vanilla-query-unreserved",
            "GET /?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\nAuthorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197\n\n",
        ),
        (
            // The session token was added after signing: an unsigned header must not disturb the check.
            "post-sts-header-after",
            "POST / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Security-Token:AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==\nX-Amz-Date:20150830T123600Z\nAuthorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b\n\n",
        ),
    ];

    #[test]
    fn accepts_aws_suite_vectors() {
        for (name, text) in SUITE {
            let auth = check(text, SECRET, EXAMPLE_TIME).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(auth.access_key_id, "AKIDEXAMPLE");
            assert_eq!(auth.service, "service");
        }
    }

    #[test]
    fn refuses_suite_vectors_with_wrong_secret_or_tampering() {
        for (name, text) in SUITE {
            assert_eq!(
                check(text, "wrong", EXAMPLE_TIME).unwrap_err(),
                SigV4Error::Mismatch,
                "{name}"
            );
            let tampered = text.replace("example.amazonaws.com", "example.amazonaws.org");
            assert_eq!(
                check(&tampered, SECRET, EXAMPLE_TIME).unwrap_err(),
                SigV4Error::Mismatch,
                "{name}"
            );
        }
        let post = SUITE[4].1.replace("Param1=value1", "Param1=value2");
        // The declared payload hash is signed, so a changed body alone goes unnoticed by SigV4 ...
        assert!(check(&post, SECRET, EXAMPLE_TIME).is_ok());
        // ... but not when the hash is computed from the body.
        let undeclared: String = post
            .lines()
            .filter(|l| !l.starts_with("x-amz-content-sha256"))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(check(&undeclared, SECRET, EXAMPLE_TIME).is_err());
    }

    /// The IAM `ListUsers` example of the SigV4 documentation ("Examples of the complete Signature
    /// Version 4 signing process"), with its published signing key and signature.
    #[test]
    fn iam_list_users_documentation_example() {
        let key = signing_key(SECRET, "20150830", "us-east-1", "iam");
        assert_eq!(
            hex::encode(key),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
        let text = "GET /?Action=ListUsers&Version=2010-05-08 HTTP/1.1\nContent-Type:application/x-www-form-urlencoded; charset=utf-8\nHost:iam.amazonaws.com\nX-Amz-Date:20150830T123600Z\nAuthorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7\n\n";
        let p = parse_request(text);
        let req = RequestParts {
            method: &p.method,
            path: &p.path,
            query: &p.query,
            headers: &p.headers,
            body: &p.body,
        };
        let auth = parse_authorization(&req).unwrap();
        let canonical = canonical_request(&req, &auth.signed_headers);
        assert_eq!(
            canonical,
            "GET\n/\nAction=ListUsers&Version=2010-05-08\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\nhost:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let to_sign = string_to_sign(
            "20150830T123600Z",
            "20150830/us-east-1/iam/aws4_request",
            &canonical,
        );
        assert_eq!(
            to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\nf536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        verify(&req, &auth, SECRET, EXAMPLE_TIME).unwrap();
    }

    #[test]
    fn request_time_must_be_within_fifteen_minutes() {
        let text = SUITE[0].1;
        assert!(check(text, SECRET, EXAMPLE_TIME + MAX_SKEW_SECS).is_ok());
        assert!(check(text, SECRET, EXAMPLE_TIME - MAX_SKEW_SECS).is_ok());
        let late = check(text, SECRET, EXAMPLE_TIME + MAX_SKEW_SECS + 600).unwrap_err();
        assert_eq!(
            late.to_string(),
            "Signature expired: 20150830T123600Z is now earlier than 20150830T124600Z (20150830T130100Z - 15 min.)"
        );
        let early = check(text, SECRET, EXAMPLE_TIME - MAX_SKEW_SECS - 1).unwrap_err();
        assert!(matches!(early, SigV4Error::NotYetCurrent { .. }), "{early}");
    }

    #[test]
    fn malformed_authorization_headers() {
        let base = SUITE[0].1;
        let missing = base
            .lines()
            .filter(|l| !l.starts_with("Authorization"))
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(
            check(&missing, SECRET, EXAMPLE_TIME).unwrap_err(),
            SigV4Error::Missing
        );
        let cases = [
            ("AWS4-HMAC-SHA256 Credential", "AWS4-HMAC-SHA1 Credential"),
            (", Signature=5fa0", ", Sig=5fa0"),
            ("/service/aws4_request", "/service/aws5_request"),
            ("AKIDEXAMPLE/20150830/", "AKIDEXAMPLE/"),
            ("SignedHeaders=host;x-amz-date", "SignedHeaders=x-amz-date"),
        ];
        for (from, to) in cases {
            let text = base.replace(from, to);
            assert!(
                matches!(
                    check(&text, SECRET, EXAMPLE_TIME),
                    Err(SigV4Error::Incomplete(_))
                ),
                "{to}"
            );
        }
        let wrong_scope = base.replace("AKIDEXAMPLE/20150830/", "AKIDEXAMPLE/20150831/");
        assert!(matches!(
            check(&wrong_scope, SECRET, EXAMPLE_TIME),
            Err(SigV4Error::ScopeDate { .. })
        ));
        let upper_hex = base.replace("5fa00fa31553b73ebf", "5FA00FA31553B73EBF");
        assert_eq!(
            check(&upper_hex, SECRET, EXAMPLE_TIME).unwrap_err(),
            SigV4Error::Mismatch
        );
    }

    #[test]
    fn canonical_pieces() {
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/a/./b/../c/"), "/a/c/");
        assert_eq!(canonical_uri("/example1/example2/../.."), "/");
        assert_eq!(canonical_uri("/x%3Dy"), "/x%253Dy");
        assert_eq!(canonical_query(""), "");
        assert_eq!(canonical_query("b=2&a=1&a=0&c"), "a=0&a=1&b=2&c=");
        assert_eq!(canonical_query("k=a+b%2Fc"), "k=a%20b%2Fc");
        assert_eq!(canonical_header_value("  a   b  c "), "a b c");
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
