//! `iam-local`: run the local IAM/STS endpoint, or create the state file it serves.
//!
//! Thin by design: clap parses, `run` does the work and returns a [`CliError`], `main` prints it and
//! picks the exit code. Everything the endpoint does lives in `testbed::iam_local`.

#![forbid(unsafe_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use testbed::iam_local::{self, Config, Fault, Server, State, StateFileError};

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
    /// Write a demo state file (user alice with a virtual MFA device) and its seed.
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
    /// delay=MS, drop. Repeatable.
    #[arg(long = "fault", value_name = "FAULT")]
    faults: Vec<Fault>,
    /// Append one JSON line per request to FILE.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    /// Time steps either side of server time accepted for the second code.
    #[arg(long, default_value_t = 2, value_name = "N")]
    tolerance: u64,
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
        tolerance: args.tolerance,
        clock_offset_secs: args.clock_offset,
        log_file: args.log,
        port: args.port,
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
    let state = State::demo(&seed);
    write_seed(&args.seed_out, &seed)?;
    state.save(&args.state).map_err(CliError::State)?;
    eprintln!(
        "iam-local: wrote {} (account {}, user alice with key {}, device {}); the seed is in {}",
        args.state.display(),
        state.account_id,
        iam_local::TEST_ACCESS_KEY_ID,
        iam_local::DEMO_SERIAL,
        args.seed_out.display()
    );
    Ok(())
}

/// The seed file is created with mode 0600 (never a moment readable by others) and the seed is never
/// printed: it is as good as the device.
fn write_seed(path: &Path, seed: &str) -> Result<(), CliError> {
    iam_local::files::write_atomic(path, format!("{seed}\n").as_bytes(), 0o600).map_err(io_err(
        format!("cannot write the seed file {}", path.display()),
    ))
}
