//! The orchestration: the one place that sees the device layer, the AWS layer and the window planner.
//!
//! [`PairReader`] turns a [`CodeSource`] and a [`Planner`] into pairs that are consecutive by
//! construction and current when they leave; [`send_with_retries`] sends each pair once and retries
//! only with a fresh one; [`run`] resolves the target (user, device, clock skew) and reports. Ctrl-C
//! while waiting or reading ends the run with nothing sent.

use std::future::Future;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use tokio::sync::watch;
use yubikit::platform::pcsc::PcscSmartCardConnection;

use crate::audit::{Attempt, AuditLog};
use crate::aws::{Aws, AwsError, Receipt};
use crate::cli::{CodePlan, CodesRequest, ResyncRequest, SourceSpec};
use crate::error::Error;
use crate::report::{Reporter, ResyncReport, utc_time_of_day};
use crate::request::{IAM_CODE_DIGITS, InputError, Origin, SerialNumber, UserName};
use crate::source::otp_slot;
use crate::source::prompt::PromptSource;
use crate::source::seed::SeedSource;
use crate::source::yubikey::{self, AccountChoice, OpenKey, Password};
use crate::source::{ClockOwner, Code, CodeSource, DeviceError, SourceInfo};
use crate::window::{Clock, Mode, Pair, Period, Planner, ServerClock, Skew, SystemClock};

/// How often the countdown is redrawn.
const TICK: Duration = Duration::from_millis(250);

/// How long a device may take for one code: above a YubiKey's own 15-s touch timeout.
const DEVICE_WATCHDOG: Duration = Duration::from_secs(40);

/// How many times a pair may go stale (a device slower than a window) before giving up.
const MAX_STALE_PAIRS: u32 = 3;

/// Something that sends a pair: AWS in production, a fake in tests.
pub trait Submit {
    /// Sends the pair once.
    fn submit(
        &mut self,
        code1: &Code,
        code2: &Code,
    ) -> impl Future<Output = Result<Receipt, AwsError>>;
}

/// Sends pairs to IAM `ResyncMFADevice`.
pub(crate) struct AwsSubmit<'a> {
    pub(crate) aws: &'a Aws,
    pub(crate) user: &'a UserName,
    pub(crate) serial: &'a SerialNumber,
    pub(crate) audit: Option<AuditTrail<'a>>,
    /// Bounds the requests in flight when many rows submit at once (`--batch`).
    pub(crate) limit: Option<&'a tokio::sync::Semaphore>,
}

/// What the audit log needs besides the attempt's outcome.
pub(crate) struct AuditTrail<'a> {
    pub(crate) log: &'a std::sync::Mutex<AuditLog>,
    pub(crate) operator: Option<String>,
    pub(crate) source: String,
    pub(crate) device_serial: Option<String>,
    pub(crate) attempts: u32,
}

impl Submit for AwsSubmit<'_> {
    async fn submit(&mut self, code1: &Code, code2: &Code) -> Result<Receipt, AwsError> {
        let _permit = match self.limit {
            Some(limit) => limit.acquire().await.ok(),
            None => None,
        };
        tracing::info!(
            user = self.user.as_str(),
            serial = self.serial.as_str(),
            "sending ResyncMFADevice"
        );
        let result = self
            .aws
            .resync(self.user, self.serial, code1.expose(), code2.expose())
            .await;
        match &result {
            Ok(receipt) => tracing::info!(request_id = ?receipt.request_id, "accepted"),
            Err(refused) => {
                tracing::info!(error = %refused.error, request_id = ?refused.request_id, "refused")
            }
        }
        if let Some(trail) = &mut self.audit {
            trail.attempts += 1;
            let (outcome, request_id) = match &result {
                Ok(receipt) => ("resynced".to_string(), receipt.request_id.as_deref()),
                Err(refused) => (refused.error.code(), refused.request_id.as_deref()),
            };
            let attempt = Attempt {
                operator: trail.operator.as_deref(),
                user: self.user.as_str(),
                serial: self.serial.as_str(),
                source: &trail.source,
                device_serial: trail.device_serial.as_deref(),
                attempt: trail.attempts,
                result: &outcome,
                request_id,
            };
            // The codes went out whatever the log says; a lost line is reported, not fatal.
            let written = match trail.log.lock() {
                Ok(mut log) => log
                    .record(&attempt)
                    .map_err(|e| (log.path().display().to_string(), e)),
                Err(_) => Ok(()),
            };
            if let Err((path, e)) = written {
                eprintln!("warning: could not write the audit log {path}: {e}");
            }
        }
        result.map_err(|refused| refused.error)
    }
}

/// Ctrl-C, as a value that waits can race against.
#[derive(Debug, Clone)]
pub struct Interrupt(watch::Receiver<bool>);

impl Interrupt {
    /// Listens for SIGINT from now on (the default action, dying mid-request, is replaced).
    pub fn ctrl_c() -> Self {
        let (tx, rx) = watch::channel(false);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = tx.send(true);
            }
        });
        Interrupt(rx)
    }

    /// An interrupt driven by the returned sender (tests).
    pub fn manual() -> (watch::Sender<bool>, Self) {
        let (tx, rx) = watch::channel(false);
        (tx, Interrupt(rx))
    }

    /// Whether Ctrl-C has been pressed.
    pub fn fired(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves when Ctrl-C is pressed (never, if the sender is gone without firing).
    async fn wait(&mut self) {
        if self.0.wait_for(|fired| *fired).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// A pair ready to send.
#[derive(Debug)]
pub struct ReadPair {
    /// The counters, when the host chose them.
    pub pair: Option<Pair>,
    /// Code 1.
    pub code1: Code,
    /// Code 2.
    pub code2: Code,
}

/// Reads pairs from a source, in the planner's windows, against the server's clock.
pub struct PairReader<'a> {
    clock: ServerClock,
    planner: Planner,
    reporter: &'a Reporter,
    interrupt: Interrupt,
    source: Option<Box<dyn CodeSource>>,
    info: SourceInfo,
    owner: ClockOwner,
    sent_codes: Vec<Code>,
    digits: Option<usize>,
}

impl<'a> PairReader<'a> {
    /// A reader of `source` in `mode`.
    pub fn new(
        source: Box<dyn CodeSource>,
        clock: ServerClock,
        mode: Mode,
        reporter: &'a Reporter,
        interrupt: Interrupt,
    ) -> Self {
        let info = source.describe();
        let owner = source.clock();
        let period = Period::new(info.period).unwrap_or(Period::DEFAULT);
        PairReader {
            clock,
            planner: Planner::new(period, mode),
            reporter,
            interrupt,
            source: Some(source),
            info,
            owner,
            sent_codes: Vec::new(),
            digits: None,
        }
    }

    /// Refuses codes of any other length before they could be sent (IAM takes 6 digits).
    pub fn require_digits(mut self, digits: usize) -> Self {
        self.digits = Some(digits);
        self
    }

    /// What the source is.
    pub fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// Reads the code of window `counter` on a blocking thread (a YubiKey may wait for a touch),
    /// racing Ctrl-C.
    async fn read(&mut self, counter: u64) -> Result<Code, Error> {
        let Some(mut source) = self.source.take() else {
            return Err(DeviceError::Malformed {
                what: "nothing: the source was lost after an earlier failure".into(),
            }
            .into());
        };
        let task = tokio::task::spawn_blocking(move || {
            let result = source.code_at(counter);
            (source, result)
        });
        // A host-clock device answers within its own touch timeout (a YubiKey's is about 15 s);
        // past the watchdog it is hung. Typing has no deadline.
        let watchdog = match self.owner {
            ClockOwner::Host => DEVICE_WATCHDOG,
            ClockOwner::Device => Duration::MAX,
        };
        let code = tokio::select! {
            biased;
            () = self.interrupt.wait() => return Err(Error::Interrupted),
            joined = tokio::time::timeout(watchdog, task) => match joined {
                Err(_) => return Err(DeviceError::Timeout { secs: watchdog.as_secs() }.into()),
                Ok(Err(_)) => {
                    return Err(DeviceError::Malformed { what: "nothing: the reading thread failed".into() }.into());
                }
                Ok(Ok((source, result))) => {
                    self.source = Some(source);
                    result?
                }
            },
        };
        match self.digits {
            Some(digits) if code.expose().len() != digits => Err(DeviceError::WrongDigits {
                digits: code.expose().len(),
            }
            .into()),
            _ => Ok(code),
        }
    }

    /// Waits until server time `target`, drawing the countdown, unless Ctrl-C comes first.
    async fn wait_until(&mut self, target: Duration, what: &str) -> Result<(), Error> {
        let now = self.clock.now();
        if now >= target {
            return Ok(());
        }
        let total = target - now;
        let clock = self.clock.clone();
        let reporter = self.reporter;
        let wait = clock.sleep_until(target, TICK, |left| reporter.countdown(left, total, what));
        let result = tokio::select! {
            biased;
            () = self.interrupt.wait() => Err(Error::Interrupted),
            () = wait => Ok(()),
        };
        self.reporter.countdown_done();
        result
    }

    /// The next pair: consecutive, past every counter sent, and current at the moment it is returned.
    pub async fn next(&mut self) -> Result<ReadPair, Error> {
        match self.owner {
            ClockOwner::Host => self.next_host().await,
            ClockOwner::Device => self.next_typed().await,
        }
    }

    async fn next_host(&mut self) -> Result<ReadPair, Error> {
        let mut stale = 0;
        loop {
            let pair = self.planner.next_pair(self.clock.now());
            tracing::info!(
                first = pair.first,
                second = pair.second(),
                skew_ms = self.clock.skew().millis(),
                source = self.info.kind,
                "planned a pair"
            );
            self.touch_prompt(1);
            // Code 1 at once, even for a window still to come: a bad device, password or touch fails
            // before the user waits.
            let code1 = self.read(pair.first).await?;
            self.reporter
                .line(format!("Code 1 read (window {}).", pair.first));
            let due = self.planner.code2_due(pair);
            self.wait_until(due, &format!("Code 2 at {}", utc_time_of_day(due)))
                .await?;
            self.touch_prompt(2);
            let code2 = self.read(pair.second()).await?;
            if self.interrupt.fired() {
                return Err(Error::Interrupted);
            }
            if self.planner.is_current(pair, self.clock.now()) {
                self.reporter
                    .line(format!("Code 2 read (window {}).", pair.second()));
                return Ok(ReadPair {
                    pair: Some(pair),
                    code1,
                    code2,
                });
            }
            // The read crossed another boundary: this pair would reach AWS a window late. It was
            // never sent, so dropping it burns nothing.
            stale += 1;
            if stale >= MAX_STALE_PAIRS {
                return Err(DeviceError::Malformed {
                    what: format!("too slowly: {MAX_STALE_PAIRS} pairs in a row took longer than a window to read"),
                }
                .into());
            }
            self.reporter
                .line("Reading code 2 took past the next window; reading a fresh pair.");
        }
    }

    fn touch_prompt(&self, n: u8) {
        if self.info.touch {
            let serial = self
                .info
                .device_serial
                .as_deref()
                .map(|s| format!(" (serial {s})"))
                .unwrap_or_default();
            self.reporter
                .line(format!("Touch your YubiKey{serial} for code {n}."));
        }
    }

    async fn next_typed(&mut self) -> Result<ReadPair, Error> {
        self.reporter.line("Type the code your token shows now.");
        let code1 = self
            .read(self.planner.period().counter_at(self.clock.now()))
            .await?;
        let typed_in = self.planner.period().counter_at(self.clock.now());
        let due = self.planner.period().window_start(typed_in + 1);
        self.wait_until(due, "The token changes its code").await?;
        self.reporter.line("Type the new code your token shows.");
        let code2 = self.read(typed_in + 1).await?;
        if code2 == code1 {
            return Err(DeviceError::Typed {
                problem:
                    "code 2 is the same as code 1; the codes must come from two consecutive windows"
                        .into(),
                hint: "wait until the token shows a new code, then run again".into(),
            }
            .into());
        }
        if self
            .sent_codes
            .iter()
            .any(|sent| *sent == code1 || *sent == code2)
        {
            return Err(DeviceError::Typed {
                problem:
                    "a typed code was already sent in an earlier attempt; codes are single-use"
                        .into(),
                hint: "wait for the token's next codes and run again".into(),
            }
            .into());
        }
        Ok(ReadPair {
            pair: None,
            code1,
            code2,
        })
    }

    /// Records that `read` went out: its counters (or typed codes) are never used again.
    pub fn sent(&mut self, read: &ReadPair) {
        match read.pair {
            Some(pair) => self.planner.record_sent(pair),
            None => self
                .sent_codes
                .extend([read.code1.clone(), read.code2.clone()]),
        }
    }
}

/// What a successful send loop did.
#[derive(Debug)]
pub struct Sent {
    /// AWS's receipt.
    pub receipt: Receipt,
    /// Pairs sent.
    pub attempts: u32,
    /// The accepted pair's counters.
    pub pair: Option<Pair>,
}

/// Sends fresh pairs until one is accepted, a non-transient error comes, or `max_attempts` pairs are spent.
pub async fn send_with_retries<S: Submit>(
    reader: &mut PairReader<'_>,
    submit: &mut S,
    max_attempts: u32,
) -> Result<Sent, Error> {
    let mut attempts = 0;
    loop {
        let read = reader.next().await?;
        reader.sent(&read);
        attempts += 1;
        match submit.submit(&read.code1, &read.code2).await {
            Ok(receipt) => {
                return Ok(Sent {
                    receipt,
                    attempts,
                    pair: read.pair,
                });
            }
            Err(e) if e.is_transient() && attempts < max_attempts => {
                reader.reporter.line(format!(
                    "Attempt {attempts} of {max_attempts} failed ({e}); the pair may have been seen, so reading a fresh one."
                ));
            }
            Err(source) => {
                return Err(Error::Aws {
                    source,
                    attempts,
                    given_codes: false,
                });
            }
        }
    }
}

/// A source opened before any network I/O, so that a missing key, a wrong password or a bad seed
/// fails before AWS is asked anything; a YubiKey's account is chosen once the target is known.
pub(crate) enum Opened {
    Ready(Box<dyn CodeSource>),
    Key {
        key: Box<OpenKey<PcscSmartCardConnection>>,
        account: Option<String>,
    },
}

impl Opened {
    pub(crate) fn open(spec: &SourceSpec) -> Result<Opened, Error> {
        Ok(match spec {
            SourceSpec::Seed(origin) => Opened::Ready(Box::new(SeedSource::load(origin)?)),
            SourceSpec::Prompt => Opened::Ready(Box::new(PromptSource::stdin())),
            SourceSpec::OtpSlot {
                selector,
                slot,
                digits,
            } => {
                let (source, note) = otp_slot::open(selector, *slot, *digits)?;
                if let Some(note) = note {
                    eprintln!("{note}");
                }
                Opened::Ready(source)
            }
            SourceSpec::YubiKey { selector, account } => {
                let (key, conn) = yubikey::open_one(selector)?;
                let now = SystemClock.now().as_secs();
                let open = OpenKey::open(conn, key, oath_password(), now)?;
                Opened::Key {
                    key: Box::new(open),
                    account: account.clone(),
                }
            }
        })
    }

    fn clock(&self) -> ClockOwner {
        match self {
            Opened::Ready(source) => source.clock(),
            Opened::Key { .. } => ClockOwner::Host,
        }
    }

    /// The source, with the YubiKey account that AWS's QR code would have made for `preferred`
    /// (`USER@ACCOUNT`) when no `--account` was given.
    pub(crate) fn finish(self, preferred: Option<String>) -> Result<Box<dyn CodeSource>, Error> {
        Ok(match self {
            Opened::Ready(source) => source,
            Opened::Key { key, account } => Box::new(key.choose(&AccountChoice {
                explicit: account,
                preferred_name: preferred,
            })?),
        })
    }
}

/// `MFA_RESYNC_OATH_PASSWORD`, else a prompt when a person is at a terminal, else none.
pub(crate) fn oath_password() -> Password {
    match std::env::var("MFA_RESYNC_OATH_PASSWORD") {
        Ok(password) => Password::Given(SecretString::from(password)),
        Err(_) if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() => {
            Password::Prompt
        }
        Err(_) => Password::None,
    }
}

/// Where the serial number came from, for the report.
pub(crate) fn resolve_serial(
    aws: &Aws,
    devices: Option<Vec<String>>,
    user: &UserName,
) -> Result<(SerialNumber, &'static str), Error> {
    if let Some(serial) = aws.profile_mfa_serial() {
        let serial = SerialNumber::parse(serial, Origin::Flag).map_err(|e| {
            InputError::usage(
                format!("the profile's mfa_serial is not a valid serial number ({e})"),
                "fix mfa_serial in ~/.aws/config, or pass --serial-number",
            )
        })?;
        return Ok((serial, "the profile's mfa_serial"));
    }
    let devices = devices.unwrap_or_default();
    match devices.as_slice() {
        [] => Err(AwsError::NoDevice {
            user: user.to_string(),
        }
        .into()),
        [only] => {
            let serial = SerialNumber::parse(only, Origin::Flag).map_err(|_| AwsError::Other {
                code: "InvalidSerial".into(),
                what: "ListMFADevices returned a serial number IAM itself would not accept".into(),
                detail: String::new(),
            })?;
            Ok((serial, "the user's only TOTP device"))
        }
        many => Err(AwsError::AmbiguousDevice {
            user: user.to_string(),
            candidates: many.to_vec(),
        }
        .into()),
    }
}

/// `mfa-resync resync`.
pub async fn run(request: ResyncRequest, reporter: &Reporter) -> Result<(), Error> {
    let interrupt = Interrupt::ctrl_c();
    let audit = AuditLog::open_shared(request.audit_log.as_deref())?;
    let opened = match &request.codes {
        CodePlan::Read(spec) => Some(Opened::open(spec)?),
        CodePlan::Given(..) => None,
    };
    if let Some(Opened::Ready(source)) = &opened {
        let info = source.describe();
        if info.digits as usize != IAM_CODE_DIGITS {
            return Err(InputError::usage(
                format!(
                    "the {} makes {}-digit codes; IAM takes 6",
                    info.kind, info.digits
                ),
                "resync a device whose codes have 6 digits (`codes` prints other lengths)",
            )
            .into());
        }
    }
    let aws = Aws::connect(&request.aws).await?;

    // Who and which device. The caller's identity is asked whenever a host-clock source is read,
    // even with a user name given: bad credentials fail before the user waits, and the answer's
    // `Date` gives the clock skew.
    let needs_date = opened
        .as_ref()
        .is_some_and(|s| s.clock() == ClockOwner::Host);
    // The audit log names the operator, so it asks who is calling too.
    let caller = if request.user.is_none() || needs_date || audit.is_some() {
        Some(aws.caller().await?)
    } else {
        None
    };
    let (user, user_from) = match (request.user, &caller) {
        (Some(user), _) => (user, "given"),
        (None, Some(caller)) => match &caller.user_name {
            Some(name) => (UserName::parse(name, Origin::Flag)?, "the caller"),
            None => {
                return Err(AwsError::NotAUser {
                    arn: caller.arn.clone(),
                }
                .into());
            }
        },
        (None, None) => unreachable!("the caller is asked when no user name is given"),
    };
    let (serial, serial_from) = match request.serial {
        Some(serial) => (serial, "given"),
        None if aws.profile_mfa_serial().is_some() => resolve_serial(&aws, None, &user)?,
        None => {
            let devices = aws.totp_devices(&user).await?;
            resolve_serial(&aws, Some(devices), &user)?
        }
    };
    reporter.line(format!(
        "User {user} ({user_from}), device {serial} ({serial_from})."
    ));
    let operator = caller.as_ref().map(|c| c.arn.clone());
    let mut submit = AwsSubmit {
        aws: &aws,
        user: &user,
        serial: &serial,
        audit: None,
        limit: None,
    };
    let trail = |log, source: &str, device_serial: Option<String>| AuditTrail {
        log,
        operator: operator.clone(),
        source: source.to_string(),
        device_serial,
        attempts: 0,
    };

    let (sent, source_kind, skew) = match (request.codes, opened) {
        (CodePlan::Given(code1, code2), _) => {
            submit.audit = audit.as_ref().map(|log| trail(log, "given", None));
            let code1 = Code::from_digits(code1.expose().to_string())?;
            let code2 = Code::from_digits(code2.expose().to_string())?;
            let receipt = submit
                .submit(&code1, &code2)
                .await
                .map_err(|source| Error::Aws {
                    source,
                    attempts: 1,
                    given_codes: true,
                })?;
            (
                Sent {
                    receipt,
                    attempts: 1,
                    pair: None,
                },
                "given".to_string(),
                Skew::ZERO,
            )
        }
        (CodePlan::Read(_), Some(opened)) => {
            // The account AWS's QR code would have created on a YubiKey: USER@ACCOUNT.
            let account = serial
                .account()
                .map(str::to_string)
                .or(caller.map(|c| c.account));
            let preferred = Some(match account {
                Some(account) => format!("{user}@{account}"),
                None => format!("{user}@"),
            });
            let source = opened.finish(preferred)?;
            let skew = aws
                .last_date()
                .map_or(Skew::ZERO, |(date, at)| Skew::from_date(date, at));
            if !skew.is_zero() {
                let direction = if skew.millis() > 0 {
                    "behind"
                } else {
                    "ahead of"
                };
                reporter.line(format!(
                    "The host clock is {:.1} s {direction} AWS; planning windows in AWS's time.",
                    skew.seconds().abs()
                ));
            }
            let clock = ServerClock::new(Arc::new(SystemClock) as Arc<dyn Clock>, skew);
            let mut reader = PairReader::new(source, clock, request.mode, reporter, interrupt)
                .require_digits(IAM_CODE_DIGITS);
            let kind = reader.info().kind.to_string();
            let device_serial = reader.info().device_serial.clone();
            submit.audit = audit.as_ref().map(|log| trail(log, &kind, device_serial));
            let sent = send_with_retries(&mut reader, &mut submit, request.max_attempts).await?;
            (sent, kind, skew)
        }
        (CodePlan::Read(_), None) => unreachable!("a source is opened for every CodePlan::Read"),
    };
    reporter.resynced(&ResyncReport {
        user: user.to_string(),
        serial: serial.to_string(),
        source: source_kind,
        attempts: sent.attempts,
        counters: sent.pair.map(|p| (p.first, p.second())),
        skew_seconds: (!skew.is_zero()).then(|| skew.seconds()),
        request_id: sent.receipt.request_id,
    });
    Ok(())
}

/// `mfa-resync codes`.
pub async fn codes(request: CodesRequest, reporter: &Reporter) -> Result<(), Error> {
    let source = Opened::open(&request.source)?.finish(None)?;
    let clock = ServerClock::new(Arc::new(SystemClock) as Arc<dyn Clock>, Skew::ZERO);
    let mut reader = PairReader::new(source, clock, request.mode, reporter, Interrupt::ctrl_c());
    let period = reader.info().period;
    let read = reader.next().await?;
    let counters = read.pair.map(|p| (p.first, p.second())).unwrap_or_default();
    reporter.codes(read.code1.expose(), read.code2.expose(), counters, period);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::window::ManualClock;

    /// A host-clock source that takes `latency` per read on the manual clock and records counters.
    struct SlowSource {
        clock: Arc<ManualClock>,
        latencies: Vec<Duration>,
        reads: Arc<Mutex<Vec<u64>>>,
    }

    impl CodeSource for SlowSource {
        fn describe(&self) -> SourceInfo {
            SourceInfo {
                kind: "test",
                device_serial: None,
                account: None,
                period: 30,
                digits: 6,
                touch: false,
            }
        }
        fn clock(&self) -> ClockOwner {
            ClockOwner::Host
        }
        fn code_at(&mut self, counter: u64) -> Result<Code, DeviceError> {
            let mut reads = self.reads.lock().unwrap();
            let latency = self.latencies.get(reads.len()).copied().unwrap_or_default();
            reads.push(counter);
            self.clock.advance(latency);
            Code::from_digits(format!("{:06}", counter % 1_000_000))
        }
    }

    /// Records what was sent, and the server time at which; fails the first `failures` sends.
    struct FakeAws {
        clock: ServerClock,
        failures: u32,
        sent: Vec<(String, String, Duration)>,
    }

    impl Submit for FakeAws {
        async fn submit(&mut self, code1: &Code, code2: &Code) -> Result<Receipt, AwsError> {
            self.sent.push((
                code1.expose().into(),
                code2.expose().into(),
                self.clock.now(),
            ));
            if self.failures > 0 {
                self.failures -= 1;
                return Err(AwsError::Transient {
                    code: "ServiceFailure".into(),
                    what: "ServiceFailure".into(),
                    detail: String::new(),
                });
            }
            Ok(Receipt {
                request_id: Some("r".into()),
            })
        }
    }

    fn setup(
        start: f64,
        skew_ms: i64,
        latencies: &[f64],
    ) -> (
        Arc<ManualClock>,
        ServerClock,
        SlowSource,
        Arc<Mutex<Vec<u64>>>,
    ) {
        let host = Arc::new(ManualClock::new(Duration::from_secs_f64(start)));
        let server = ServerClock::new(host.clone() as Arc<dyn Clock>, Skew::from_millis(skew_ms));
        let reads = Arc::new(Mutex::new(Vec::new()));
        let source = SlowSource {
            clock: host.clone(),
            latencies: latencies
                .iter()
                .map(|s| Duration::from_secs_f64(*s))
                .collect(),
            reads: reads.clone(),
        };
        (host, server, source, reads)
    }

    async fn run_job(
        server: &ServerClock,
        source: SlowSource,
        mode: Mode,
        failures: u32,
        max: u32,
    ) -> (Result<Sent, Error>, FakeAws) {
        let reporter = Reporter::silent();
        let (_tx, interrupt) = Interrupt::manual();
        let mut reader =
            PairReader::new(Box::new(source), server.clone(), mode, &reporter, interrupt);
        let mut aws = FakeAws {
            clock: server.clone(),
            failures,
            sent: Vec::new(),
        };
        let result = send_with_retries(&mut reader, &mut aws, max).await;
        (result, aws)
    }

    #[tokio::test]
    async fn waiting_mode_reads_code_2_at_the_boundary() {
        let (_host, server, source, reads) = setup(1_000_000_012.0, 0, &[]);
        let (result, aws) = run_job(&server, source, Mode::Wait, 0, 3).await;
        let sent = result.unwrap();
        let c = 1_000_000_012 / 30;
        assert_eq!(*reads.lock().unwrap(), vec![c, c + 1]);
        assert_eq!(sent.pair.map(|p| p.first), Some(c));
        assert_eq!(aws.sent.len(), 1);
        assert_eq!(
            aws.sent[0].2,
            Duration::from_secs((c + 1) * 30),
            "submitted at the boundary, not later"
        );
    }

    #[tokio::test]
    async fn no_wait_sends_at_once() {
        let (host, server, source, reads) = setup(1_000_000_012.0, 0, &[]);
        let (result, _aws) = run_job(&server, source, Mode::NoWait, 0, 3).await;
        result.unwrap();
        let c = 1_000_000_012 / 30;
        assert_eq!(*reads.lock().unwrap(), vec![c - 1, c]);
        assert_eq!(
            host.now(),
            Duration::from_secs(1_000_000_012),
            "no time passed"
        );
    }

    #[tokio::test]
    async fn a_slow_touch_past_the_boundary_still_gives_a_current_consecutive_pair() {
        // Code 1 takes 25 s (past the boundary at +18 s): code 2 is then read at once.
        let (_host, server, source, reads) = setup(1_000_000_012.0, 0, &[25.0, 3.0]);
        let (result, aws) = run_job(&server, source, Mode::Wait, 0, 3).await;
        result.unwrap();
        let c = 1_000_000_012 / 30;
        assert_eq!(*reads.lock().unwrap(), vec![c, c + 1]);
        assert_eq!(Period::DEFAULT.counter_at(aws.sent[0].2), c + 1);
    }

    #[tokio::test]
    async fn a_pair_gone_stale_is_dropped_unsent() {
        // Code 2 takes 40 s: the pair would reach AWS a window late, so a fresh one is read.
        let (_host, server, source, reads) = setup(1_000_000_012.0, 0, &[0.0, 40.0, 0.0, 0.0]);
        let (result, aws) = run_job(&server, source, Mode::Wait, 0, 3).await;
        result.unwrap();
        let reads = reads.lock().unwrap().clone();
        assert_eq!(reads.len(), 4);
        assert_eq!(aws.sent.len(), 1, "the stale pair was never sent");
        assert_eq!(reads[3], reads[2] + 1);
        assert_eq!(Period::DEFAULT.counter_at(aws.sent[0].2), reads[3]);
    }

    #[tokio::test]
    async fn skew_is_applied_to_the_windows() {
        // The host is 40 s behind AWS: at host 1_000_000_012 AWS is at …052, one window on.
        let (_host, server, source, reads) = setup(1_000_000_012.0, 40_000, &[]);
        let (result, aws) = run_job(&server, source, Mode::Wait, 0, 3).await;
        result.unwrap();
        let c = 1_000_000_052 / 30;
        assert_eq!(*reads.lock().unwrap(), vec![c, c + 1]);
        assert_eq!(Period::DEFAULT.counter_at(aws.sent[0].2), c + 1);
    }

    #[tokio::test]
    async fn retries_use_fresh_pairs_and_stop_at_max_attempts() {
        let (_host, server, source, reads) = setup(1_000_000_012.0, 0, &[]);
        let (result, aws) = run_job(&server, source, Mode::NoWait, 5, 3).await;
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Aws { attempts: 3, .. }), "{err:?}");
        assert_eq!(aws.sent.len(), 3);
        let reads = reads.lock().unwrap().clone();
        let mut sorted = reads.clone();
        sorted.dedup();
        assert_eq!(
            sorted.len(),
            reads.len(),
            "no counter read twice: {reads:?}"
        );
        assert!(reads.windows(2).all(|w| w[1] > w[0]), "{reads:?}");
        for pair in reads.chunks(2) {
            assert_eq!(pair[1], pair[0] + 1);
        }
    }

    #[tokio::test]
    async fn a_retry_succeeds_with_a_fresh_pair() {
        let (_host, server, source, reads) = setup(1_000_000_012.0, 0, &[]);
        let (result, aws) = run_job(&server, source, Mode::Wait, 1, 3).await;
        assert_eq!(result.unwrap().attempts, 2);
        let reads = reads.lock().unwrap().clone();
        assert_eq!(reads.len(), 4);
        assert!(reads[2] > reads[1], "{reads:?}");
        assert_ne!(aws.sent[0].0, aws.sent[1].0);
    }

    #[tokio::test]
    async fn ctrl_c_during_the_wait_sends_nothing() {
        let (_host, server, source, _reads) = setup(1_000_000_012.0, 0, &[]);
        let reporter = Reporter::silent();
        let (tx, interrupt) = Interrupt::manual();
        tx.send(true).unwrap();
        let mut reader = PairReader::new(
            Box::new(source),
            server.clone(),
            Mode::Wait,
            &reporter,
            interrupt,
        );
        let mut aws = FakeAws {
            clock: server.clone(),
            failures: 0,
            sent: Vec::new(),
        };
        let err = send_with_retries(&mut reader, &mut aws, 3)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Interrupted), "{err:?}");
        assert!(aws.sent.is_empty());
    }
}
