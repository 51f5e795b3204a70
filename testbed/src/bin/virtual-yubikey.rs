//! `virtual-yubikey`: serves one virtual YubiKey (YKOATH, management, OTP slots) to pcscd
//! through vsmartcard's vpcd, so ykman, yubikit and mfa-resync see it in the reader
//! `Virtual PCD 00 00`; and `add-demo`, which writes or extends the card's state file from a
//! seed file without ever printing the seed.
//!
//! Insertion and removal while pcscd runs: starting the process inserts the card (or, with
//! `--start-removed`, waits out of the reader) and stopping it (SIGTERM, SIGINT) removes it;
//! SIGUSR1 takes the card out and SIGUSR2 puts it back without a restart; `--control PATH` offers
//! the same as a line protocol that answers once pcscd has seen the change
//! (`testbed::virtual_yubikey::control`). `--ready-file` exists exactly while pcscd has the card.
//!
//! Logging goes to stderr: lifecycle lines always — `virtual-yubikey: event inserted` and
//! `virtual-yubikey: event removed` each time pcscd has seen the card come or go — and one line
//! per APDU (INS and status word only, never data) with `-v`.

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use clap::{Parser, Subcommand};
use testbed::virtual_yubikey::config::read_seed_file;
use testbed::virtual_yubikey::vpcd::{self, Ended, Event, VpcdOptions};
use testbed::virtual_yubikey::{
    CardConfig, CredentialConfig, Error, HashAlgorithm, Presence, VPCD_DEFAULT_PORT, VirtualCard,
    control,
};

/// A virtual YubiKey 5 NFC for tests, served to pcscd through vpcd.
#[derive(Debug, Parser)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// The card description (JSON): {"serial": N, "credentials": [{"issuer", "name", "secret"
    /// (base32), ...}], "password", "touch", "remove_after_apdus", "otp_slots": {"1": {"secret"
    /// (hex), "touch"}, ...}, ...}; the full format is in testbed::virtual_yubikey::config.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// vpcd port: 35963 is the reader "Virtual PCD 00 00", 35964 "Virtual PCD 00 01".
    #[arg(long, default_value_t = VPCD_DEFAULT_PORT)]
    port: u16,
    /// Written (with this process's id) each time pcscd has the card (it powered it up), and
    /// deleted each time pcscd has seen it leave: it exists exactly while the card is inserted.
    #[arg(long, value_name = "FILE")]
    ready_file: Option<PathBuf>,
    /// Write host changes (accounts added or deleted, HOTP counters, password) back to --state,
    /// each before the host gets the command's answer.
    #[arg(long)]
    persist: bool,
    /// A Unix socket taking `remove`, `insert`, `remove-after N` and `status` lines, each
    /// answered once pcscd has seen the change. With it, a card that removes itself
    /// (`remove_after_apdus`) waits for `insert` instead of exiting.
    #[arg(long, value_name = "PATH")]
    control: Option<PathBuf>,
    /// Start out of the reader; SIGUSR2 or `insert` on --control puts the card in.
    #[arg(long)]
    start_removed: bool,
    /// Log each APDU's instruction and status word to stderr.
    #[arg(short, long)]
    verbose: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create or extend a card description with a TOTP account read from a seed file.
    AddDemo {
        /// The card description to create or extend.
        #[arg(long, value_name = "FILE")]
        state: PathBuf,
        /// A file holding the base32 seed (or an otpauth:// URI); must be mode 0600.
        #[arg(long, value_name = "FILE")]
        seed_file: PathBuf,
        /// The account as `issuer:name`, e.g. `Amazon Web Services:alice@123456789012`.
        #[arg(long)]
        account: String,
        /// Serial number for a new card.
        #[arg(long, default_value_t = 12345678)]
        serial: u32,
        /// Require touch for this account.
        #[arg(long)]
        touch: bool,
        /// TOTP period in seconds.
        #[arg(long, default_value_t = 30)]
        period: u32,
        /// Code length.
        #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u8).range(6..=8))]
        digits: u8,
        /// HMAC algorithm: SHA1, SHA256 or SHA512.
        #[arg(long, default_value = "SHA1", value_parser = parse_algorithm)]
        algorithm: HashAlgorithm,
    },
}

fn parse_algorithm(s: &str) -> Result<HashAlgorithm, String> {
    serde_json::from_value(serde_json::Value::String(s.to_ascii_uppercase()))
        .map_err(|_| format!("{s:?} is not SHA1, SHA256 or SHA512"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::AddDemo {
            state,
            seed_file,
            account,
            serial,
            touch,
            period,
            digits,
            algorithm,
        }) => add_demo(&state, &seed_file, &account, serial, |cred| {
            cred.touch = touch;
            cred.period = period;
            cred.digits = digits;
            cred.algorithm = algorithm;
        }),
        None => serve(cli.serve),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("virtual-yubikey: {e}");
            ExitCode::FAILURE
        }
    }
}

fn add_demo(
    state: &Path,
    seed_file: &Path,
    account: &str,
    serial: u32,
    tweak: impl FnOnce(&mut CredentialConfig),
) -> Result<(), Error> {
    let secret = read_seed_file(seed_file)?;
    let mut config = if state.exists() {
        CardConfig::load(state)?
    } else {
        CardConfig::new(serial)
    };
    let mut cred = CredentialConfig::totp_for_account(account, &secret);
    tweak(&mut cred);
    config.upsert_credential(cred);
    // Refuse now what the card would refuse at start-up.
    VirtualCard::new(config.clone())?;
    config.save(state)?;
    eprintln!(
        "virtual-yubikey: {} now holds {} account(s) on card {}",
        state.display(),
        config.credentials.len(),
        config.serial
    );
    Ok(())
}

fn serve(args: ServeArgs) -> Result<(), Error> {
    let Some(state) = args.state else {
        return Err(Error::InvalidConfig(
            "--state FILE is required to serve a card".into(),
        ));
    };
    let config = CardConfig::load(&state)?;
    let serial = config.serial;
    let card = Arc::new(Mutex::new(VirtualCard::new(config)?));
    let presence = if args.start_removed {
        Presence::out()
    } else {
        Presence::new()
    };
    let options = VpcdOptions {
        port: args.port,
        presence: presence.clone(),
        keep_serving_when_removed: args.control.is_some(),
        ..VpcdOptions::default()
    };
    // Handlers first: a signal that came before them would end the process.
    watch_signals(&presence, &options.stop)?;
    if let Some(path) = &args.control {
        start_control(path, &presence, &card, &options.stop)?;
    }
    if let Some(path) = &args.ready_file {
        // A file left by an earlier run would say "inserted" too early.
        let _ = std::fs::remove_file(path);
    }
    eprintln!(
        "virtual-yubikey: card {serial} for vpcd on 127.0.0.1:{} (pid {})",
        args.port,
        std::process::id()
    );
    // vpcd asks for the ATR every few hundred milliseconds to see the card is still there;
    // log only the first request of each connection.
    let mut atr_logged = false;
    let mut save_error = None;
    let mut on_event = |event: Event<'_>| match event {
        Event::Waiting(e) => {
            eprintln!("virtual-yubikey: waiting for vpcd (is pcscd running?): {e}")
        }
        Event::Connected => {
            atr_logged = false;
            if args.verbose {
                eprintln!("virtual-yubikey: connected to vpcd");
            }
        }
        Event::Inserted => {
            eprintln!("virtual-yubikey: event inserted (pcscd has the card)");
            if let Some(path) = &args.ready_file
                && let Err(e) = std::fs::write(path, format!("{}\n", std::process::id()))
            {
                eprintln!("virtual-yubikey: cannot write {}: {e}", path.display());
            }
        }
        Event::AtrRequested if args.verbose && !atr_logged => {
            eprintln!("virtual-yubikey: pcscd read the ATR");
            atr_logged = true;
        }
        Event::Power(p) if args.verbose => eprintln!("virtual-yubikey: power {p:?}"),
        Event::Apdu {
            command,
            response,
            delay,
        } => {
            if args.verbose {
                log_apdu(command, response, delay);
            }
            if args.persist
                && let Err(e) = save_if_changed(&card, &state)
            {
                eprintln!("virtual-yubikey: {e}");
                save_error = Some(e);
            }
        }
        Event::Disconnected(e) => {
            eprintln!("virtual-yubikey: link to vpcd lost ({e}); reconnecting")
        }
        Event::Removed => {
            if let Some(path) = &args.ready_file {
                let _ = std::fs::remove_file(path);
            }
            eprintln!("virtual-yubikey: event removed (out long enough for pcscd to see it)");
        }
        Event::Reinserted if args.verbose => eprintln!("virtual-yubikey: card going back in"),
        _ => {}
    };
    let ended = vpcd::serve(&card, &options, &mut on_event)?;
    options.stop.store(true, Ordering::Relaxed);
    if ended == Ended::Removed {
        eprintln!("virtual-yubikey: card stays out; exiting");
    }
    if args.persist {
        save_if_changed(&card, &state)?;
    }
    match save_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Writes the card back to its state file if a host changed it.
fn save_if_changed(card: &Mutex<VirtualCard>, state: &Path) -> Result<(), Error> {
    let snapshot = {
        let mut card = card
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        card.take_dirty().then(|| card.config())
    };
    match snapshot {
        Some(config) => config.save(state),
        None => Ok(()),
    }
}

/// SIGUSR1 takes the card out, SIGUSR2 puts it back; SIGTERM and SIGINT take it out and end the
/// process once pcscd has seen it go.
fn watch_signals(presence: &Presence, stop: &Arc<AtomicBool>) -> Result<(), Error> {
    use tokio::signal::unix::{SignalKind, signal};
    let failed = |source| Error::Setup {
        what: "handle signals".to_owned(),
        source,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(failed)?;
    let (mut usr1, mut usr2, mut term, mut int) = runtime
        .block_on(async {
            Ok::<_, std::io::Error>((
                signal(SignalKind::user_defined1())?,
                signal(SignalKind::user_defined2())?,
                signal(SignalKind::terminate())?,
                signal(SignalKind::interrupt())?,
            ))
        })
        .map_err(failed)?;
    let (presence, stop) = (presence.clone(), Arc::clone(stop));
    std::thread::spawn(move || {
        runtime.block_on(async move {
            loop {
                tokio::select! {
                    _ = usr1.recv() => presence.remove(),
                    _ = usr2.recv() => presence.insert(),
                    _ = term.recv() => stop.store(true, Ordering::Relaxed),
                    _ = int.recv() => stop.store(true, Ordering::Relaxed),
                }
            }
        })
    });
    Ok(())
}

/// Binds `--control PATH` (replacing a stale socket) and serves it from a thread.
fn start_control(
    path: &Path,
    presence: &Presence,
    card: &Arc<Mutex<VirtualCard>>,
    stop: &Arc<AtomicBool>,
) -> Result<(), Error> {
    use std::os::unix::fs::FileTypeExt as _;
    let failed = |source| Error::Setup {
        what: format!("listen on --control {}", path.display()),
        source,
    };
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket()) {
        std::fs::remove_file(path).map_err(failed)?;
    }
    let listener = std::os::unix::net::UnixListener::bind(path).map_err(failed)?;
    let (presence, card, stop) = (presence.clone(), Arc::clone(card), Arc::clone(stop));
    let shown = path.display().to_string();
    std::thread::spawn(move || {
        if let Err(e) = control::serve(listener, presence, card, stop) {
            eprintln!("virtual-yubikey: control socket {shown}: {e}");
        }
    });
    Ok(())
}

/// One line per APDU: instruction, status word, sizes. Never the data: it carries codes, keys
/// and challenges.
fn log_apdu(command: &[u8], response: &[u8], delay: std::time::Duration) {
    let ins = command.get(1).copied().unwrap_or(0);
    let sw = match response {
        [.., a, b] => format!("{a:02X}{b:02X}"),
        _ => "----".to_owned(),
    };
    let mut line = format!(
        "virtual-yubikey: INS {ins:02X} ({} bytes) -> SW {sw} ({} bytes)",
        command.len(),
        response.len()
    );
    if !delay.is_zero() {
        line.push_str(&format!(" after {} ms", delay.as_millis()));
    }
    eprintln!("{line}");
}
