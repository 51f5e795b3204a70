//! mfa-resync: resynchronize a drifted AWS IAM TOTP MFA device in one command.
//!
//! The layers, each in its own module: [`cli`] and [`request`] validate input before any I/O;
//! [`source`] (the device layer) reads codes for explicit counters; [`window`] plans the counters
//! against AWS's clock; [`aws`] owns the SDK; [`resync`] is the only module that sees all three;
//! [`report`] and [`error`] are what the user sees.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod audit;
pub mod aws;
pub mod batch;
pub mod cli;
pub mod devices;
pub mod docs;
pub mod doctor;
pub mod error;
pub mod report;
pub mod request;
pub mod resync;
pub mod source;
pub mod window;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{CLI_SKELETON, Cli, Command};
use crate::error::{Error, Exit};
use crate::report::Reporter;

/// Parses argv, runs the command, and turns the outcome into an exit code.
pub fn main_entry() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap's usage errors are bad input (exit 2); --help and --version are successes.
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Input.into()
            } else {
                Exit::Success.into()
            };
        }
    };
    init_tracing(cli.verbose);
    let verbose = cli.verbose;
    match run(cli) {
        Ok(()) => Exit::Success.into(),
        Err(e) => {
            e.print(verbose);
            e.exit().into()
        }
    }
}

fn run(cli: Cli) -> Result<(), Error> {
    // Validation first, before any runtime, network or device is touched.
    match cli.command {
        Command::Resync(args) => {
            if args.generate_cli_skeleton.is_some() {
                println!("{CLI_SKELETON}");
                return Ok(());
            }
            if let Some(path) = args.batch.clone() {
                let request = args.validate_batch(&path)?;
                let reporter = Reporter::new(request.output, request.quiet);
                return runtime()?.block_on(batch::run(request, &reporter));
            }
            let request = args.validate()?;
            let reporter = Reporter::new(request.output, request.quiet);
            runtime()?.block_on(resync::run(request, &reporter))
        }
        Command::Devices(args) => devices::run(args),
        Command::Doctor(args) => {
            let aws = args.aws_options()?;
            let output = args.output;
            runtime()?.block_on(doctor::run(&aws, output))
        }
        Command::Completions { shell } => {
            docs::completions(shell, &mut std::io::stdout().lock());
            Ok(())
        }
        Command::Man => {
            // A closed pipe (`| head`) is not a failure.
            let _ = docs::man(&mut std::io::stdout().lock());
            Ok(())
        }
        Command::Codes(args) => {
            let request = args.validate()?;
            let reporter = Reporter::new(request.output, request.quiet);
            runtime()?.block_on(resync::codes(request, &reporter))
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Aws {
            source: aws::AwsError::Other {
                code: "Runtime".into(),
                what: format!("cannot start the async runtime: {e}"),
                detail: String::new(),
            },
            attempts: 0,
            given_codes: false,
        })
}

/// `-v` shows our steps; `-vv` adds the SDK's; `-vvv` all of ours at trace. The SDK's request and
/// response bodies (which carry the codes) are never logged: its wire-level targets stay at info.
fn init_tracing(verbose: u8) {
    if verbose == 0 {
        return;
    }
    let filter = match verbose {
        1 => "warn,mfa_resync=info",
        2 => "warn,mfa_resync=debug,aws_config=info,aws_smithy_runtime=info",
        _ => {
            "info,mfa_resync=trace,aws_config=debug,aws_smithy_runtime=debug,aws_smithy_runtime::client::orchestrator=info,aws_smithy_http=info,hyper=info"
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(true)
        .try_init();
}
