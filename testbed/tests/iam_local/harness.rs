//! Shared set-up: a demo server with a known seed, SDK clients pointed at it, codes, and a raw
//! signed HTTP client.

use std::time::{Duration, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use aws_credential_types::Credentials;
use testbed::iam_local::{
    Config, DEMO_SERIAL, Server, State, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, totp,
};

/// The RFC 6238 test key in base32; any fixed seed would do.
pub const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

pub fn demo_config() -> Config {
    Config::new(State::demo(SEED))
}

pub async fn start(config: Config) -> Server {
    Server::start(config).await.expect("server starts")
}

pub fn credentials(key: &str, secret: &str, token: Option<&str>) -> Credentials {
    Credentials::new(
        key,
        secret,
        token.map(str::to_owned),
        None,
        "iam-local-tests",
    )
}

/// An IAM client for `server` with the SDK's retries off, so each call is one request.
pub fn iam(server: &Server, key: &str, secret: &str) -> aws_sdk_iam::Client {
    iam_with(server, credentials(key, secret, None), None)
}

pub fn iam_with(
    server: &Server,
    creds: Credentials,
    attempt_timeout: Option<Duration>,
) -> aws_sdk_iam::Client {
    iam_in(server, creds, attempt_timeout, "us-east-1")
}

/// An IAM client that signs for `region` (GovCloud's IAM is in us-gov-west-1), retries off.
pub fn iam_in(
    server: &Server,
    creds: Credentials,
    attempt_timeout: Option<Duration>,
    region: &'static str,
) -> aws_sdk_iam::Client {
    use aws_sdk_iam::config::{
        BehaviorVersion, Region, retry::RetryConfig, timeout::TimeoutConfig,
    };
    let mut timeouts = TimeoutConfig::builder();
    if let Some(t) = attempt_timeout {
        timeouts = timeouts.operation_attempt_timeout(t);
    }
    let conf = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(creds)
        .endpoint_url(server.url())
        .retry_config(RetryConfig::disabled())
        .timeout_config(timeouts.build())
        .build();
    aws_sdk_iam::Client::from_conf(conf)
}

pub fn alice_iam(server: &Server) -> aws_sdk_iam::Client {
    iam(server, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY)
}

pub fn admin_iam(server: &Server) -> aws_sdk_iam::Client {
    iam(
        server,
        testbed::iam_local::ADMIN_ACCESS_KEY_ID,
        testbed::iam_local::ADMIN_SECRET_ACCESS_KEY,
    )
}

/// An STS client built the way the CLI builds its clients: through aws-config.
pub async fn sts(server: &Server, creds: Credentials) -> aws_sdk_sts::Client {
    use aws_config::{BehaviorVersion, Region, retry::RetryConfig};
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(creds)
        .endpoint_url(server.url())
        .retry_config(RetryConfig::disabled())
        .load()
        .await;
    aws_sdk_sts::Client::new(&config)
}

/// Codes for counters `c` and `c + 1` of `seed`.
pub fn pair(seed: &str, c: u64) -> (String, String) {
    (
        totp::code_at(seed, c, 6).unwrap(),
        totp::code_at(seed, c + 1, 6).unwrap(),
    )
}

/// The server's current time-step counter.
pub fn server_counter(server: &Server) -> u64 {
    totp::counter_at(server.now(), 30)
}

/// Resyncs alice's demo device with the pair starting at `c`.
pub async fn resync(
    client: &aws_sdk_iam::Client,
    seed: &str,
    c: u64,
) -> Result<
    (),
    aws_sdk_iam::error::SdkError<aws_sdk_iam::operation::resync_mfa_device::ResyncMFADeviceError>,
> {
    let (code1, code2) = pair(seed, c);
    client
        .resync_mfa_device()
        .user_name("alice")
        .serial_number(DEMO_SERIAL)
        .authentication_code1(code1)
        .authentication_code2(code2)
        .send()
        .await
        .map(|_| ())
}

/// A response as read off the socket.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A request to send raw: method, path with query, extra headers, body.
pub struct RawRequest<'a> {
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub headers: Vec<(String, String)>,
    pub body: &'a str,
}

impl<'a> RawRequest<'a> {
    pub fn form(body: &'a str) -> RawRequest<'a> {
        RawRequest {
            method: "POST",
            path_and_query: "/",
            headers: vec![(
                "content-type".to_owned(),
                "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
            )],
            body,
        }
    }

    /// Signs with `aws-sigv4` for `service` at `time`, adding its headers.
    pub fn signed(
        mut self,
        server: &Server,
        service: &str,
        creds: &Credentials,
        time: SystemTime,
    ) -> RawRequest<'a> {
        use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
        use aws_sigv4::sign::v4;
        let host = server.addr().to_string();
        self.headers.push(("host".to_owned(), host));
        let identity = creds.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name(service)
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let uri = format!("{}{}", server.url(), self.path_and_query);
        let signable = SignableRequest::new(
            self.method,
            uri,
            self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            SignableBody::Bytes(self.body.as_bytes()),
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let added: Vec<(String, String)> = instructions
            .headers()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        self.headers.extend(added);
        self
    }

    /// Sends on a fresh connection; `None` when the server closed it without a response.
    pub async fn send(&self, server: &Server) -> Option<RawResponse> {
        let mut stream = TcpStream::connect(server.addr()).await.unwrap();
        let mut head = format!("{} {} HTTP/1.1\r\n", self.method, self.path_and_query);
        let mut has_host = false;
        for (n, v) in &self.headers {
            has_host |= n.eq_ignore_ascii_case("host");
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        if !has_host {
            head.push_str(&format!("host: {}\r\n", server.addr()));
        }
        head.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            self.body.len()
        ));
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(self.body.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut raw)).await;
        assert!(read.is_ok(), "no answer within 20 s");
        if raw.is_empty() {
            return None;
        }
        let text = String::from_utf8(raw).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let mut lines = head.lines();
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                (n.trim().to_owned(), v.trim().to_owned())
            })
            .collect();
        Some(RawResponse {
            status,
            headers,
            body: body.to_owned(),
        })
    }
}

/// The text of the one QR code in a PNG image, read by `rqrr` (not the encoder's own code).
pub fn decode_qr(png_bytes: &[u8]) -> String {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(
        (info.color_type, info.bit_depth),
        (png::ColorType::Grayscale, png::BitDepth::Eight),
        "a 1-bit greyscale PNG expands to 8-bit greyscale"
    );
    let (width, height) = (info.width as usize, info.height as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        buf[y * info.line_size + x]
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().unwrap().1
}

/// Codes for the pair AWS takes at once: the previous window and the current one, by server time.
pub fn current_pair(server: &Server, seed: &str) -> (String, String) {
    pair(seed, server_counter(server) - 1)
}
