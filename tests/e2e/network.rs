//! What the network does, told truly: an endpoint that never answered the connection cannot have
//! seen the pair; a certificate this machine does not trust is said at once, with the fix for a
//! TLS-inspecting proxy (`--ca-bundle`); an answer lost after the pair went out may mean the device
//! is already resynced. Every such error names the URL it tried.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use testbed::iam_local::DEMO_SERIAL;

use crate::util::{Bed, counter_now};

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn given_codes_to_an_endpoint_that_refuses_the_connection_were_never_seen() {
    let bed = Bed::new();
    let url = format!("http://127.0.0.1:{}", closed_port());
    let c = counter_now();
    let out = bed.run(bed.command().args([
        "resync",
        "--endpoint-url",
        &url,
        "--user-name",
        "alice",
        "--serial-number",
        DEMO_SERIAL,
        "--authentication-code-1",
        &bed.code_at(c),
        "--authentication-code-2",
        &bed.code_at(c + 1),
    ]));
    out.assert_exit(7)
        .assert_stderr(&format!("the endpoint URL was \"{url}/\""))
        .assert_stderr("no connection opened, so AWS never saw a pair");
    assert!(
        !out.stderr.contains("may have reached AWS"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_answer_lost_after_the_pair_went_out_may_mean_the_device_is_resynced() {
    let bed = Bed::with(|c| c.faults = vec!["delay=4000@ResyncMFADevice".parse().unwrap()]);
    let seed = bed.seed_file.to_str().unwrap().to_string();
    let out = bed.resync(&[
        "--no-wait",
        "--seed-file",
        &seed,
        "--cli-read-timeout",
        "1",
        "--max-attempts",
        "1",
    ]);
    out.assert_exit(7)
        .assert_stderr("AWS may already have resynced the device")
        .assert_stderr("aws iam list-mfa-devices");
    assert!(
        !out.stderr.contains("did not accept any pair in time"),
        "{}",
        out.stderr
    );
}

/// A CA and a certificate it signed for 127.0.0.1, made with openssl (nobody here wrote it).
fn certificates(dir: &Path) {
    let openssl = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl runs (scripts/setup installs it)");
        assert!(status.success(), "openssl {args:?}");
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=Test proxy CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "leaf.key",
        "-out",
        "leaf.csr",
    ]);
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "san.ext",
        "-out",
        "leaf.pem",
    ]);
}

/// `openssl s_server` with the leaf certificate, as a TLS-inspecting proxy would show it; ended by
/// its PID on drop.
struct TlsServer(Child, u16);

impl TlsServer {
    fn start(dir: &Path) -> TlsServer {
        let port = closed_port();
        let child = Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(port.to_string())
            .args(["-cert", "leaf.pem", "-key", "leaf.key"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "openssl s_server listens");
            std::thread::sleep(Duration::from_millis(50));
        }
        TlsServer(child, port)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn an_untrusted_certificate_fails_at_once_and_a_ca_bundle_makes_it_trusted() {
    let bed = Bed::new();
    let dir = bed.dir.path().join("tls");
    std::fs::create_dir(&dir).unwrap();
    certificates(&dir);
    let server = TlsServer::start(&dir);
    let url = format!("https://127.0.0.1:{}", server.1);
    let seed = bed.seed_file.to_str().unwrap().to_string();
    let args = [
        "resync",
        "--no-wait",
        "--seed-file",
        &seed,
        "--endpoint-url",
        &url,
    ];
    let started = Instant::now();
    let untrusted = bed.run(bed.command().args(args));
    untrusted
        .assert_exit(7)
        .assert_stderr("the endpoint's TLS certificate is not trusted")
        .assert_stderr(&format!("the endpoint URL was \"{url}/\""))
        .assert_stderr("--ca-bundle");
    assert!(
        started.elapsed() < Duration::from_secs(10) && !untrusted.stderr.contains("Attempt"),
        "a certificate is not retried in later windows: {}",
        untrusted.stderr
    );
    // With the proxy's CA, by flag or variable, the TLS handshake succeeds (openssl then never
    // answers the POST: a second's read timeout ends each try).
    let ca = dir.join("ca.pem");
    let quick = ["--cli-read-timeout", "1"];
    for trusted in [
        bed.run(
            bed.command()
                .args(args)
                .args(quick)
                .arg("--ca-bundle")
                .arg(&ca),
        ),
        bed.run(
            bed.command()
                .args(args)
                .args(quick)
                .env("AWS_CA_BUNDLE", &ca),
        ),
    ] {
        assert_ne!(trusted.code, 0);
        assert!(
            !trusted.stderr.contains("certificate"),
            "trusted through the bundle: {}",
            trusted.stderr
        );
    }
}
