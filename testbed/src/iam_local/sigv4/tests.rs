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
