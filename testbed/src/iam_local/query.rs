//! The AWS Query protocol on both sides of the wire: form parameters in, XML documents out.
//!
//! Owns the two services' names, versions and namespaces, parameter parsing (query string and
//! `application/x-www-form-urlencoded` body), XML escaping and the envelope of success and error
//! documents. It does not decide what an action means; `actions` hands it the inner result.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::error::ApiError;

/// The two services this endpoint speaks, told apart by the SigV4 credential scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// IAM, API version 2010-05-08.
    Iam,
    /// STS, API version 2011-06-15.
    Sts,
}

impl Service {
    /// From a credential scope's service name.
    pub fn from_scope(name: &str) -> Option<Service> {
        match name {
            "iam" => Some(Service::Iam),
            "sts" => Some(Service::Sts),
            _ => None,
        }
    }

    /// Guess for requests without a usable scope, so their error document is in the right namespace.
    pub fn guess(params: &BTreeMap<String, String>) -> Service {
        if params.get("Version").map(String::as_str) == Some(Service::Sts.version())
            || params.get("Action").map(String::as_str) == Some("GetCallerIdentity")
        {
            Service::Sts
        } else {
            Service::Iam
        }
    }

    /// Scope name (`iam`, `sts`), also the IAM policy action prefix.
    pub fn name(self) -> &'static str {
        match self {
            Service::Iam => "iam",
            Service::Sts => "sts",
        }
    }

    /// The API version clients send as `Version`.
    pub fn version(self) -> &'static str {
        match self {
            Service::Iam => "2010-05-08",
            Service::Sts => "2011-06-15",
        }
    }

    /// The XML namespace of its documents.
    pub fn xmlns(self) -> &'static str {
        match self {
            Service::Iam => "https://iam.amazonaws.com/doc/2010-05-08/",
            Service::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
        }
    }
}

/// All parameters of a request: the query string's, then the form body's (later names win).
pub fn parse_params(query: &str, form_body: Option<&[u8]>) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        params.insert(k.into_owned(), v.into_owned());
    }
    if let Some(body) = form_body {
        for (k, v) in form_urlencoded::parse(body) {
            params.insert(k.into_owned(), v.into_owned());
        }
    }
    params
}

/// Escapes text for XML content or attribute values; control characters XML 1.0 cannot carry
/// become U+FFFD, since values here may come straight from a request.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A small XML writer: elements with escaped text, nested by hand.
#[derive(Debug, Default)]
pub struct Xml {
    out: String,
}

impl Xml {
    /// An empty document fragment.
    pub fn new() -> Xml {
        Xml::default()
    }

    /// `<name>`.
    pub fn open(&mut self, name: &str) -> &mut Xml {
        let _ = write!(self.out, "<{name}>");
        self
    }

    /// `</name>`.
    pub fn close(&mut self, name: &str) -> &mut Xml {
        let _ = write!(self.out, "</{name}>");
        self
    }

    /// `<name>escaped text</name>`.
    pub fn text(&mut self, name: &str, value: &str) -> &mut Xml {
        let _ = write!(self.out, "<{name}>{}</{name}>", xml_escape(value));
        self
    }

    /// The fragment so far.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.out)
    }
}

/// `<{Action}Response>` with the result (if the action has output) and the request id.
pub fn success_document(
    service: Service,
    action: &str,
    result: Option<&str>,
    request_id: &str,
) -> String {
    let mut doc = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response xmlns=\"{}\">",
        service.xmlns()
    );
    if let Some(result) = result {
        let _ = write!(doc, "<{action}Result>{result}</{action}Result>");
    }
    let _ = writeln!(
        doc,
        "<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
        xml_escape(request_id)
    );
    doc
}

/// `<ErrorResponse>` as IAM and STS send it.
pub fn error_document(service: Service, err: &ApiError, request_id: &str) -> String {
    let mut xml = Xml::new();
    xml.open("Error")
        .text("Type", err.error_type())
        .text("Code", err.code)
        .text("Message", &err.message)
        .close("Error")
        .text("RequestId", request_id);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"{}\">{}</ErrorResponse>\n",
        service.xmlns(),
        xml.finish()
    )
}

/// A request id in the UUID form AWS uses.
pub fn new_request_id() -> String {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        // Uniqueness matters, secrecy does not: fall back to time and a counter.
        use std::sync::atomic::{AtomicU64, Ordering};
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        b[..8].copy_from_slice(&(nanos as u64).to_be_bytes());
        b[8..].copy_from_slice(&SEQ.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(xml_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(
            xml_escape("</Message><Code>x"),
            "&lt;/Message&gt;&lt;Code&gt;x"
        );
        assert_eq!(xml_escape("tab\tnl\ncr\r"), "tab\tnl\ncr&#xD;");
        assert_eq!(xml_escape("nul\u{0}bell\u{7}"), "nul\u{FFFD}bell\u{FFFD}");
        assert_eq!(xml_escape("ሴ plain"), "ሴ plain");
    }

    #[test]
    fn body_parameters_override_query_parameters() {
        let p = parse_params(
            "Action=GetUser&X=1",
            Some(b"Action=ListMFADevices&UserName=a%2Bb+c"),
        );
        assert_eq!(p["Action"], "ListMFADevices");
        assert_eq!(p["X"], "1");
        assert_eq!(p["UserName"], "a+b c");
    }

    #[test]
    fn documents_have_aws_shape() {
        let ok = success_document(
            Service::Sts,
            "GetCallerIdentity",
            Some("<Account>1</Account>"),
            "rid",
        );
        assert!(ok.contains(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Account>1</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
        ), "{ok}");
        let none = success_document(Service::Iam, "ResyncMFADevice", None, "rid");
        assert!(!none.contains("Result>"), "{none}");
        let err = error_document(Service::Iam, &ApiError::no_such_user("a<b"), "rid");
        assert!(err.contains(
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The user with name a&lt;b cannot be found.</Message></Error><RequestId>rid</RequestId></ErrorResponse>"
        ), "{err}");
        let failure = error_document(Service::Iam, &ApiError::service_failure(), "rid");
        assert!(
            failure.contains("<Type>Receiver</Type><Code>ServiceFailure</Code>"),
            "{failure}"
        );
    }

    #[test]
    fn request_ids_are_uuid_v4() {
        let id = new_request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id.as_bytes()[14], b'4');
        assert_ne!(id, new_request_id());
    }
}
