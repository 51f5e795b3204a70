//! `iam-local`: run the local IAM/STS endpoint, or create the state file it serves.
//!
//! Thin by design: clap parses, `run` does the work and returns a [`CliError`], `main` prints it and
//! picks the exit code. Everything the endpoint does lives in `testbed::iam_local`.

#![forbid(unsafe_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use testbed::iam_local::{
    self, CodeWindow, Config, Fault, Partition, Server, State, StateFileError,
};

#[derive(Debug, Parser)]
#[command(
    name = "iam-local",
    version,
    about = "A local AWS IAM + STS endpoint for testing mfa-resync"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve IAM and STS on 127.0.0.1 until SIGTERM or SIGINT.
    Serve(ServeArgs),
    /// Write a demo state file (user alice with a virtual MFA device, an admin) and the seed.
    Init(InitArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Port on 127.0.0.1; 0 picks a free one (see --ready-file).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// State file (from `iam-local init`); rewritten atomically after every change.
    #[arg(long, value_name = "FILE")]
    state: PathBuf,
    /// Inject a fault: KIND[-once|-always|-N][@Action], KIND one of 500, 500-after, throttle,
    /// delay=MS, drop, date=SECS, 200-error, 200-garbage, huge, hostile. Repeatable.
    #[arg(long = "fault", value_name = "FAULT")]
    faults: Vec<Fault>,
    /// Append one JSON line per request to FILE.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    /// Accept a pair whose second code is up to N time steps either side of server time (for a
    /// drifted token). Without it, AWS's rule: the second code is the current step or the
    /// previous one, never a future step.
    #[arg(long, value_name = "N")]
    tolerance: Option<u64>,
    /// Fill every list page up to MaxItems. Without it, lists longer than 2 items come at most 2 a
    /// page with IsTruncated true, as AWS may answer ("IAM might return fewer results"), so a
    /// client that stops at a short page fails here too. Markers hold +, / and = either way.
    #[arg(long)]
    no_short_pages: bool,
    /// Server time minus host time, in seconds (may be negative).
    #[arg(
        long,
        default_value_t = 0,
        allow_negative_numbers = true,
        value_name = "SECS"
    )]
    clock_offset: i64,
    /// Write the endpoint URL to FILE once listening.
    #[arg(long, value_name = "FILE")]
    ready_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct InitArgs {
    /// State file to write (mode 0600).
    #[arg(long, value_name = "FILE")]
    state: PathBuf,
    /// Where to write the device's base32 seed, one line, mode 0600.
    #[arg(long, value_name = "FILE")]
    seed_out: PathBuf,
    /// Replace existing files.
    #[arg(long)]
    force: bool,
    /// The account alias (what QR codes and `USER@ALIAS` credential names show).
    #[arg(long, value_name = "ALIAS", value_parser = parse_alias)]
    alias: Option<String>,
    /// The partition of every ARN: aws, aws-us-gov or aws-cn.
    #[arg(long, value_name = "PARTITION", default_value = "aws")]
    partition: Partition,
    /// The twelve-digit account id.
    #[arg(long, value_name = "ID", default_value = iam_local::DEMO_ACCOUNT_ID, value_parser = parse_account_id)]
    account_id: String,
    /// Name of alice's device (serial `arn:…:mfa/NAME`), when it should differ from the user name.
    #[arg(long, value_name = "NAME", default_value = "alice", value_parser = parse_name)]
    device_name: String,
    /// Another user, without access keys or devices (a target for the admin). Repeatable.
    #[arg(long = "user", value_name = "NAME", value_parser = parse_name)]
    users: Vec<String>,
    /// A virtual device that was created but never enabled; its seed is not kept. Repeatable.
    #[arg(long = "unassigned-device", value_name = "NAME", value_parser = parse_name)]
    unassigned_devices: Vec<String>,
    /// Deny an action, as an explicit deny in a policy would: WHO:ACTION with WHO a user name or
    /// role/NAME, ACTION like DeactivateMFADevice or iam:*. Repeatable.
    #[arg(long = "deny", value_name = "WHO:ACTION", value_parser = parse_deny)]
    denies: Vec<(String, String)>,
}

/// IAM user and device names: 1–128 of `[\w+=,.@-]` (the device name allows 226, but a
/// longer one would not fit a serial number).
fn parse_name(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    ok.then(|| s.to_owned())
        .ok_or_else(|| "expected 1-128 of letters, digits and _+=,.@-".to_owned())
}

fn parse_alias(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let edge = |c: Option<&u8>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok = (3..=63).contains(&b.len())
        && edge(b.first())
        && edge(b.last())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && !s.contains("--");
    ok.then(|| s.to_owned()).ok_or_else(|| {
        "expected 3-63 lower-case letters, digits and single dashes, not at either end".to_owned()
    })
}

fn parse_account_id(s: &str) -> Result<String, String> {
    (s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.to_owned())
        .ok_or_else(|| "expected 12 digits".to_owned())
}

fn parse_deny(s: &str) -> Result<(String, String), String> {
    let (who, action) = s
        .split_once(':')
        .ok_or_else(|| "expected WHO:ACTION, e.g. alice:DeactivateMFADevice".to_owned())?;
    let who_ok = match who.strip_prefix("role/") {
        Some(role) => parse_name(role).is_ok(),
        None => parse_name(who).is_ok(),
    };
    let action_ok = !action.is_empty()
        && action
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ':' || c == '*');
    if who_ok && action_ok {
        Ok((who.to_owned(), action.to_owned()))
    } else {
        Err("expected WHO:ACTION, e.g. alice:DeactivateMFADevice or role/ops:iam:*".to_owned())
    }
}

/// Everything that can stop the command, worded for the person who ran it.
#[derive(Debug)]
enum CliError {
    NoStateFile(PathBuf),
    State(StateFileError),
    Exists {
        path: PathBuf,
        flag: &'static str,
    },
    Io {
        what: String,
        source: std::io::Error,
    },
    Duplicate {
        what: &'static str,
        name: String,
    },
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::NoStateFile(path) => write!(
                f,
                "the state file given with --state does not exist: {p}\nhint: create one with `iam-local init --state {p} --seed-out SEED_FILE`",
                p = path.display()
            ),
            CliError::State(err) => write!(f, "{err}"),
            CliError::Exists { path, flag } => write!(
                f,
                "{} (given with {flag}) already exists\nhint: pass --force to replace it",
                path.display()
            ),
            CliError::Io { what, source } => write!(f, "{what}: {source}"),
            CliError::Duplicate { what, name } => {
                write!(
                    f,
                    "the {what} name {name} is given twice (or is the demo's own)"
                )
            }
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("iam-local: error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Init(args) => init(&args),
    }
}

fn io_err(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> CliError {
    let what = what.into();
    move |source| CliError::Io { what, source }
}

fn serve(args: ServeArgs) -> Result<(), CliError> {
    if !args.state.exists() {
        return Err(CliError::NoStateFile(args.state));
    }
    let state = State::load(&args.state).map_err(CliError::State)?;
    let config = Config {
        state,
        state_file: Some(args.state),
        faults: args.faults,
        code_window: args
            .tolerance
            .map_or(CodeWindow::AWS, CodeWindow::either_side),
        short_pages: !args.no_short_pages,
        clock_offset_secs: args.clock_offset,
        log_file: args.log,
        port: args.port,
        create_answers_serial: None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(io_err("cannot start the async runtime"))?;
    runtime.block_on(async {
        let port = config.port;
        let server = Server::start(config)
            .await
            .map_err(io_err(format!("cannot listen on 127.0.0.1:{port}")))?;
        let url = server.url();
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "iam-local listening on {url}")
            .and_then(|()| stdout.flush())
            .map_err(io_err("cannot write to stdout"))?;
        drop(stdout);
        if let Some(ready) = &args.ready_file {
            iam_local::files::write_atomic(ready, format!("{url}\n").as_bytes(), 0o644).map_err(
                io_err(format!("cannot write the ready file {}", ready.display())),
            )?;
        }
        wait_for_signal().await?;
        server.shutdown();
        Ok(())
    })
}

async fn wait_for_signal() -> Result<(), CliError> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).map_err(io_err("cannot watch SIGTERM"))?;
    let mut int = signal(SignalKind::interrupt()).map_err(io_err("cannot watch SIGINT"))?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}

fn init(args: &InitArgs) -> Result<(), CliError> {
    if !args.force {
        for (path, flag) in [(&args.state, "--state"), (&args.seed_out, "--seed-out")] {
            if path.exists() {
                return Err(CliError::Exists {
                    path: path.clone(),
                    flag,
                });
            }
        }
    }
    let seed = iam_local::random_seed_base32();
    let state = init_state(args, &seed)?;
    write_seed(&args.seed_out, &seed)?;
    state.save(&args.state).map_err(CliError::State)?;
    let serial = state.serials_of("alice").join(", ");
    let alias = state
        .account_alias
        .as_deref()
        .map(|a| format!(", alias {a}"))
        .unwrap_or_default();
    eprintln!(
        "iam-local: wrote {} (account {}{alias}, partition {}, user alice with key {}, device {serial}); the seed is in {}",
        args.state.display(),
        state.account_id,
        state.partition,
        iam_local::TEST_ACCESS_KEY_ID,
        args.seed_out.display()
    );
    Ok(())
}

/// The demo account, changed as the flags say. Unassigned devices get seeds nobody keeps, like a
/// device whose CreateVirtualMFADevice answer was lost.
fn init_state(args: &InitArgs, seed: &str) -> Result<State, CliError> {
    let taken: Vec<&str> = ["alice", "admin"]
        .into_iter()
        .chain(args.users.iter().map(String::as_str))
        .collect();
    for (i, user) in args.users.iter().enumerate() {
        if taken[..i + 2].contains(&user.as_str()) {
            return Err(CliError::Duplicate {
                what: "user",
                name: user.clone(),
            });
        }
    }
    let mut devices: Vec<&str> = vec![&args.device_name];
    for name in &args.unassigned_devices {
        if devices.contains(&name.as_str()) {
            return Err(CliError::Duplicate {
                what: "device",
                name: name.clone(),
            });
        }
        devices.push(name);
    }
    let mut state = State::demo(seed)
        .with_account_id(&args.account_id)
        .with_partition(args.partition);
    if args.device_name != "alice" {
        let demo = state.mfa_serial("alice");
        let renamed = state.mfa_serial(&args.device_name);
        if let Some(device) = state.device_mut(&demo) {
            device.serial = renamed;
        }
    }
    if let Some(alias) = &args.alias {
        state = state.with_alias(alias);
    }
    for user in &args.users {
        state = state.with_user(user);
    }
    for name in &args.unassigned_devices {
        state = state.with_unassigned_device(name, &iam_local::random_seed_base32());
    }
    for (who, action) in &args.denies {
        state = state.deny(who, action);
    }
    Ok(state)
}

/// The seed file is created with mode 0600 (never a moment readable by others) and the seed is never
/// printed: it is as good as the device.
fn write_seed(path: &Path, seed: &str) -> Result<(), CliError> {
    iam_local::files::write_atomic(path, format!("{seed}\n").as_bytes(), 0o600).map_err(io_err(
        format!("cannot write the seed file {}", path.display()),
    ))
}
