//! Card readers of a test's own: a private pcscd with vpcd's virtual readers, and virtual YubiKeys
//! served to them from threads of the test.
//!
//! Every card test starts its own pcscd ([`readers`]), so card tests run side by side instead of
//! taking turns on the machine's two vpcd readers, and none of them can see a real key or another
//! test's card. pcscd binds its socket at the compiled-in `/run/pcscd/pcscd.comm` (only
//! libpcsclite, the client side, reads `PCSCLITE_CSOCK_NAME`), and a second pcscd there would
//! refuse to start or, socket-activated, rewrite and then delete the first one's pid file. So each
//! runs in a mount namespace of its own (`unshare --mount`, inside a user namespace when not root)
//! with a private directory bound over `/run/pcscd`, and an empty `/dev/bus/usb` so that it never
//! claims a real reader. Its readers keep vpcd's usual names (`Virtual PCD 00 00` and `… 00 01`),
//! on ports leased from a range no other test uses at the time.
//!
//! The readers of the running test are the thread's current ones: [`crate::util::Bed::command`]
//! points `mfa-resync` (and ykman, and anything else it runs) at them with `PCSCLITE_CSOCK_NAME`,
//! and [`Card::insert`] serves its card to them. A command run with no readers gets a socket
//! nobody listens on, so no test can reach the machine's own pcscd and its keys by mistake.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use testbed::virtual_yubikey::{CardConfig, Presence, VirtualCard, vpcd};

/// The first reader (slot 0).
pub const READER_0: &str = "Virtual PCD 00 00";
/// The second reader (slot 1).
pub const READER_1: &str = "Virtual PCD 00 01";

/// How long pcscd may take to see a card come or go (it polls vpcd every 400 ms).
const PCSCD: Duration = Duration::from_secs(10);

/// vpcd's driver, as Debian's vsmartcard-vpcd installs it.
const VPCD_DRIVER: &str = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";

thread_local! {
    /// The readers of the test running on this thread.
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

/// What a command or a card needs of the current readers.
#[derive(Debug, Clone)]
struct Current {
    socket: PathBuf,
    first_port: u16,
}

/// A pcscd of this test's own with vpcd's two readers; stopped (by its PID) on drop. (One vpcd
/// per pcscd: its driver keeps its sockets by slot number, so a second instance in the same
/// pcscd would take the first one's.)
pub struct Readers {
    pcscd: Option<Child>,
    dir: tempfile::TempDir,
    lease: PortLease,
}

/// The readers' count.
const SLOTS: u16 = 2;

/// A private pcscd with vpcd's two readers, made the current readers of this thread.
pub fn readers() -> Readers {
    Readers::start()
}

impl Readers {
    fn start() -> Readers {
        assert!(
            Path::new(VPCD_DRIVER).exists(),
            "vpcd's driver {VPCD_DRIVER} is missing: apt-get install pcscd vsmartcard-vpcd"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("run")).expect("mkdir");
        let lease = PortLease::take(SLOTS);
        let port = lease.first;
        std::fs::write(
            dir.path().join("reader.conf"),
            format!(
                "FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME /dev/null:0x{port:X}\n\
                 LIBPATH {VPCD_DRIVER}\nCHANNELID 0x{port:X}\n"
            ),
        )
        .expect("write reader.conf");
        let mut readers = Readers {
            pcscd: None,
            dir,
            lease,
        };
        readers.spawn();
        CURRENT.with(|current| {
            *current.borrow_mut() = Some(Current {
                socket: readers.socket(),
                first_port: readers.lease.first,
            })
        });
        readers
    }

    /// Starts this test's pcscd (its directory over `/run/pcscd`, its reader.conf) and waits
    /// until it listens.
    fn spawn(&mut self) {
        let (run, conf) = (
            self.dir.path().join("run"),
            self.dir.path().join("reader.conf"),
        );
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("pcscd.log"))
            .expect("log file");
        let mut cmd = Command::new("unshare");
        if !super::is_root() {
            cmd.args(["--user", "--map-root-user"]);
        }
        // Inside the namespace: our directory over /run/pcscd, and an empty /dev/bus/usb so that
        // this pcscd never claims a real USB reader. `exec`: the child's PID is pcscd's, so it is
        // stopped by that PID alone.
        let script = r#"mkdir -p /run/pcscd 2>/dev/null; mount --bind "$1" /run/pcscd || exit 1
if [ -d /dev/bus/usb ]; then mount -t tmpfs tmpfs /dev/bus/usb || exit 1; fi
exec pcscd --foreground --config "$2""#;
        let _ = std::fs::remove_file(self.socket());
        let child = cmd
            .args(["--mount", "sh", "-c", script, "sh"])
            .arg(&run)
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("unshare (util-linux) and pcscd start (apt-get install pcscd vsmartcard-vpcd)");
        self.pcscd = Some(child);
        let socket = self.socket();
        let deadline = Instant::now() + PCSCD;
        while !socket.exists() {
            if let Some(status) = self
                .pcscd
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.pcscd = None;
                panic!(
                    "the test's pcscd ended ({status}) before it listened: {}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "no pcscd socket after {PCSCD:?}: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// pcscd stopped (by its PID) and started again on the same socket and readers, as a package
    /// upgrade or a resume does under a running station.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// The PID of this test's pcscd.
    pub fn pcscd_pid(&self) -> u32 {
        self.pcscd.as_ref().expect("pcscd runs").id()
    }

    /// `PCSCLITE_CSOCK_NAME` for this pcscd's clients.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("run").join("pcscd.comm")
    }

    /// What pcscd wrote, for a failing test.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pcscd.log")).unwrap_or_default()
    }

    /// SIGTERM to this pcscd, by PID, and waits for it to end (pcscd going away under a run).
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let mut child = self.pcscd.take().expect("pcscd runs");
        signal(child.id(), "TERM");
        child.wait().expect("pcscd ends")
    }
}

impl Drop for Readers {
    fn drop(&mut self) {
        CURRENT.with(|current| {
            let mut current = current.borrow_mut();
            if current.as_ref().is_some_and(|c| c.socket == self.socket()) {
                *current = None;
            }
        });
        if self.pcscd.is_some() {
            self.stop();
        }
    }
}

/// The socket a command of this thread's test reaches pcscd at: its readers', else `fallback`
/// (a path where nothing listens).
pub(crate) fn pcsc_socket_or(fallback: PathBuf) -> PathBuf {
    CURRENT.with(|current| {
        current
            .borrow()
            .as_ref()
            .map_or(fallback, |c| c.socket.clone())
    })
}

/// The name and vpcd port of reader `slot` among this thread's current readers.
#[track_caller]
pub fn reader_slot(slot: u16) -> (&'static str, u16) {
    let current = CURRENT
        .with(|current| current.borrow().clone())
        .expect("a card test holds its readers: `let _readers = readers();` first");
    let name = match slot {
        0 => READER_0,
        1 => READER_1,
        _ => panic!("slot {slot}: vpcd has two readers"),
    };
    (name, current.first_port + slot)
}

/// Consecutive ports for vpcd, held (a lock file per block) for as long as the readers run, so
/// that no two tests' pcscds, in this process or another checkout's, listen on the same one.
struct PortLease {
    first: u16,
    _lock: std::fs::File,
}

impl PortLease {
    /// Blocks of 4 ports in 20000–29999, below the kernel's ephemeral range (32768 and up), so
    /// that no connection of the test bed's takes one meanwhile.
    fn take(count: u16) -> PortLease {
        const BLOCK: u16 = 4;
        const FIRST: u16 = 20_000;
        const BLOCKS: u16 = 2_500;
        assert!(count <= BLOCK, "at most {BLOCK} readers");
        let start = (std::process::id() as u16).wrapping_mul(7) % BLOCKS;
        for i in 0..BLOCKS {
            let first = FIRST + ((start + i) % BLOCKS) * BLOCK;
            let path = std::env::temp_dir().join(format!("mfa-resync-vpcd-{first}.lock"));
            let Ok(file) = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
            else {
                continue;
            };
            if file.try_lock().is_err() {
                continue;
            }
            let free = (first..first + count)
                .all(|port| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok());
            if free {
                return PortLease { first, _lock: file };
            }
        }
        panic!("no free block of {count} ports in 20000–29999 for vpcd");
    }
}

/// `kill -SIG PID`, for a process this test started.
pub fn signal(pid: u32, sig: &str) {
    let status = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{sig} {pid}");
}

/// A virtual YubiKey in one of the test's readers, served from a thread of the test; removed on
/// drop.
pub struct Card {
    pub card: Arc<Mutex<VirtualCard>>,
    pub reader: &'static str,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    presence: Presence,
    events: Arc<Mutex<Vec<String>>>,
    pull_after_put: Arc<AtomicBool>,
    signal_at_put: Arc<Mutex<Option<(u32, &'static str)>>>,
}

impl Card {
    /// Inserts a card made from `config` into reader `slot` of the current readers, and waits
    /// until pcscd has it (powered up).
    #[track_caller]
    pub fn insert(config: CardConfig, slot: u16) -> Card {
        let (reader, port) = reader_slot(slot);
        let card = Arc::new(Mutex::new(VirtualCard::new(config).expect("a valid card")));
        let pull_after_put = Arc::new(AtomicBool::new(false));
        let signal_at_put = Arc::new(Mutex::new(None::<(u32, &'static str)>));
        let options = vpcd::VpcdOptions {
            port,
            keep_serving_when_removed: true,
            ..Default::default()
        };
        let stop = options.stop.clone();
        let presence = options.presence.clone();
        let events = Arc::new(Mutex::new(Vec::<String>::new()));
        let thread = {
            let served = Arc::clone(&card);
            let log = Arc::clone(&events);
            let pull = Arc::clone(&pull_after_put);
            let at_put = Arc::clone(&signal_at_put);
            std::thread::spawn(move || {
                let ended = vpcd::serve(&served, &options, &mut |event| {
                    if let vpcd::Event::Apdu {
                        command, response, ..
                    } = &event
                    {
                        // Before the answer goes back: the signal comes while the PUT is in flight.
                        if command.get(1) == Some(&0x01)
                            && let Some((pid, sig)) = at_put.lock().unwrap().take()
                        {
                            signal(pid, sig);
                            // Long enough for the run to see it before the PUT's answer.
                            std::thread::sleep(std::time::Duration::from_millis(300));
                        }
                        // YKOATH PUT is INS 01; the answer ends in its status word.
                        if command.get(1) == Some(&0x01)
                            && response.ends_with(&[0x90, 0x00])
                            && pull.swap(false, Ordering::SeqCst)
                        {
                            served.lock().unwrap().remove_after(Some(0));
                        }
                    } else {
                        log.lock().unwrap().push(format!("{event:?}"));
                    }
                });
                log.lock().unwrap().push(format!("ended: {ended:?}"));
            })
        };
        let card = Card {
            card,
            reader,
            stop,
            thread: Some(thread),
            presence,
            events,
            pull_after_put,
            signal_at_put,
        };
        assert!(
            card.presence.wait_inserted(PCSCD),
            "pcscd did not take the card in {}: {:?}",
            card.reader,
            card.events.lock().unwrap()
        );
        card
    }

    /// The card leaves the reader after `n` more commands.
    pub fn remove_after(&self, n: u64) {
        self.card.lock().unwrap().remove_after(Some(n));
    }

    /// Commands the card has answered.
    pub fn apdus(&self) -> u64 {
        self.card.lock().unwrap().apdu_count()
    }

    /// The card leaves the reader right after it answers its next PUT (the credential is written).
    pub fn pull_after_put(&self) {
        self.pull_after_put.store(true, Ordering::SeqCst);
    }

    /// Sends `sig` to the process `pid` when the card is given its next PUT, before it answers.
    pub fn signal_at_put(&self, pid: u32, sig: &'static str) {
        *self.signal_at_put.lock().unwrap() = Some((pid, sig));
    }

    /// Whether the card has left the reader (by `remove_after`, say) and is out.
    pub fn is_out(&self) -> bool {
        self.card.lock().unwrap().is_removed()
    }

    /// Puts a card that left back in, and waits until pcscd has it again.
    #[track_caller]
    pub fn put_back(&self) {
        self.presence.insert();
        assert!(
            self.presence.wait_inserted(PCSCD),
            "the card went back into {}: {:?}",
            self.reader,
            self.events.lock().unwrap()
        );
    }

    /// The ids of the OATH credentials on the card now, as text.
    pub fn credentials(&self) -> Vec<String> {
        self.card
            .lock()
            .unwrap()
            .config()
            .credential_ids()
            .iter()
            .map(|id| String::from_utf8_lossy(id).into_owned())
            .collect()
    }
}

impl Drop for Card {
    fn drop(&mut self) {
        // The card leaves the reader, pcscd sees it go, and the serving thread ends.
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
