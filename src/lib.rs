//! mfa-resync: resynchronize a drifted AWS IAM TOTP MFA device in one command.
//!
//! The layers, top-down, each importing only those below it: [`cli`] (clap only) hands clap-free
//! values to [`request`], which validates everything before any I/O; [`commands`] are thin
//! orchestration over [`pipeline`], the one per-target flow that alone sees the device layer
//! ([`source`]), the AWS layer ([`aws`]) and the window planner ([`window`]) together. [`report`]
//! is what the user sees, [`audit`] the help desk's log, [`state`] the counters this machine sent
//! (so that no later run reuses one), [`error`] and [`exit`] the edge; [`files`] opens the files a
//! user names as input without ever blocking on one.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod audit;
pub mod aws;
pub mod cli;
pub mod commands;
pub mod error;
pub mod exit;
pub mod files;
pub mod messages;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod request;
pub mod source;
pub mod state;
pub mod stop;
pub mod window;

use std::process::ExitCode;

use clap::{ArgMatches, CommandFactory, FromArgMatches};

use crate::cli::input_json::CLI_SKELETON;
use crate::cli::{Cli, Command};
use crate::error::Error;
use crate::exit::Exit;
use crate::report::Reporter;

/// Parses argv, runs the command, and turns the outcome into an exit code.
pub fn main_entry() -> ExitCode {
    refuse_core_dumps();
    // A shell pressing Tab: answered from the clap definition, then the process exits.
    commands::completions::answer_shell(Cli::command);
    let argv = cli::globals::hoist(std::env::args_os().collect());
    let code_flags = cli::code_flags(&argv);
    let parsed = Cli::command()
        .try_get_matches_from(&argv)
        .and_then(|matches| Cli::from_arg_matches(&matches).map(|cli| (cli, matches)));
    let (mut cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            // clap's usage errors are bad input (exit 2); --help and --version are successes.
            print_clap_error(&e);
            return if e.use_stderr() {
                Exit::Input.into()
            } else {
                Exit::Success.into()
            };
        }
    };
    if let Command::Resync(args) = &mut cli.command {
        args.code_flags = code_flags;
    }
    // `--debug` is the AWS CLI's name for everything: -vvv, and the requests' headers.
    let verbose = if cli.debug { 3 } else { cli.verbose };
    init_tracing(verbose, cli.debug);
    match run(cli, &matches) {
        Ok(()) => Exit::Success.into(),
        Err(e) => {
            e.print(verbose);
            e.exit().into()
        }
    }
}

/// clap repeats an offending value in its message (`invalid value 'X' for '--device <SERIAL>'`,
/// `unexpected argument 'X' found`): a seed pasted into any flag, or as a stray argument, would be
/// echoed. Values of a seed's shape are cut out of the message first.
fn print_clap_error(e: &clap::Error) {
    let seeds: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|arg| arg.to_string_lossy().into_owned())
        .flat_map(|arg| {
            let value = arg.split_once('=').map(|(_, v)| v.to_string());
            std::iter::once(arg).chain(value)
        })
        .filter(|arg| crate::model::looks_like_seed(arg))
        .collect();
    if seeds.is_empty() {
        let _ = e.print();
        return;
    }
    let mut text = e.render().to_string();
    for seed in &seeds {
        text = text.replace(seed.as_str(), "(a value that looks like a seed, not shown)");
    }
    report::write_to(&mut std::io::stderr().lock(), "stderr", &text);
}

/// A core file of this process could hold a seed, an OATH password or codes (a SIGABRT during the
/// wait would write one wherever the system's `core_pattern` says). So, before anything is read:
/// no core dumps for the whole run, by both locks the kernel has (prctl(2) `PR_SET_DUMPABLE` 0,
/// which also keeps other processes of the same user from ptrace-attaching and reading our memory,
/// and setrlimit(2) `RLIMIT_CORE` 0, hard limit too, so that nothing later can raise it). Neither
/// can fail for an unprivileged process lowering its own limits; if one did, the other still holds.
fn refuse_core_dumps() {
    use rustix::process::{DumpableBehavior, Resource, Rlimit, set_dumpable_behavior, setrlimit};
    let _ = setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: Some(0),
        },
    );
    let _ = set_dumpable_behavior(DumpableBehavior::NotDumpable);
}

/// Validation first, before any runtime, network or device is touched.
fn run(cli: Cli, matches: &ArgMatches) -> Result<(), Error> {
    use commands::{batch, codes, devices, doctor, enroll, resync, retire, station};
    match cli.command {
        Command::Enroll(args) => {
            let reporter = args.output.reporter();
            let input = args.into_input(matches.subcommand_matches("enroll"));
            serve(reporter, input.validate()?, enroll::run)
        }
        Command::Resync(args) if args.generate_cli_skeleton.is_some() => print(CLI_SKELETON),
        Command::Resync(args) => match args.batch.clone() {
            Some(path) => serve(args.output.reporter(), args.into_batch(&path)?, batch::run),
            None => serve(args.output.reporter(), args.into_request()?, resync::run),
        },
        Command::Station(args) => {
            let request = args.into_request()?;
            let format = request.format(std::io::IsTerminal::is_terminal(&std::io::stdout()));
            serve(Reporter::new(format, false), request, station::run)
        }
        Command::Retire(args) => serve(args.output.reporter(), args.into_request()?, retire::run),
        Command::Codes(args) => serve(args.output.reporter(), args.into_request()?, codes::run),
        // These have nothing to undo: they end as soon as the run is stopped.
        Command::Devices(args) => serve(
            Reporter::new(args.output.format(), false),
            args.into_request()?,
            async |request, reporter| or_stopped(devices::run(request, reporter)).await,
        ),
        Command::Doctor(args) => serve(
            Reporter::new(args.output.format(), false),
            args.into_request()?,
            async |request, reporter| or_stopped(doctor::run(request, reporter)).await,
        ),
        Command::Completions { shell } => {
            // Made whole first, then written as every output is: a closed pipe (`| head`) is an
            // ordinary stop, never a panic.
            let mut script = Vec::new();
            let _ = commands::completions::script(shell, &mut script);
            print(&String::from_utf8_lossy(&script))
        }
        Command::UdevRules => print(commands::docs::UDEV_RULES),
        Command::Man => {
            // A closed pipe (`| head`) is not a failure.
            let _ = commands::docs::man(Cli::command(), &mut std::io::stdout().lock());
            Ok(())
        }
    }
}

/// Text of our own on stdout: a closed pipe (`| head`) stops the run as every output does.
fn print(text: &str) -> Result<(), Error> {
    report::write_to(&mut std::io::stdout().lock(), "stdout", text);
    Ok(())
}

/// A command run by [`block_on`], with a reporter made before its request: the output flags need no
/// checking, and a request's conversion consumes the flags.
fn serve<R>(
    reporter: Reporter,
    request: R,
    command: impl AsyncFnOnce(R, &Reporter) -> Result<(), Error>,
) -> Result<(), Error> {
    block_on(command(request, &reporter))
}

/// Runs a command on a single-threaded runtime (everything here waits on the network, a device or
/// the clock, and one thread keeps start-up and memory small), with the stop signals listened for
/// from its start. The runtime is let go without waiting for a thread still blocked on a device (a
/// key waiting for a touch, a pcscd that stopped answering): the process exits, and the thread with
/// it, so a signal is never left unanswered behind a device.
fn block_on(command: impl Future<Output = Result<(), Error>>) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let result = runtime.block_on(async {
        stop::listen();
        command.await
    });
    runtime.shutdown_background();
    result
}

/// A command ended as soon as the run is stopped.
async fn or_stopped(command: impl Future<Output = Result<(), Error>>) -> Result<(), Error> {
    let mut interrupt = pipeline::Interrupt::signals();
    tokio::select! {
        result = command => result,
        () = interrupt.wait() => Err(Error::interrupted()),
    }
}

/// `-v` shows our steps; `-vv` adds the SDK's; `-vvv` all of ours at trace. The SDK's request and
/// response bodies (which carry the codes) are never logged: its wire-level targets stay at info.
fn init_tracing(verbose: u8, wire: bool) {
    if verbose == 0 {
        return;
    }
    let ours = match verbose {
        1 => "warn,mfa_resync=info",
        2 => "warn,mfa_resync=debug,aws_config=info,aws_smithy_runtime=info",
        _ => {
            "info,mfa_resync=trace,aws_config=debug,aws_smithy_runtime=debug,aws_smithy_runtime::client::orchestrator=info,aws_smithy_http=info,hyper=info"
        }
    };
    // The headers of each request and answer, logged by our own interceptor (`aws::wire`), which
    // never logs a body or the Authorization header; off unless `--debug` asks.
    let wire = if wire { "debug" } else { "off" };
    let filter = format!("{ours},mfa_resync::wire={wire}");
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(true)
        .try_init();
}
