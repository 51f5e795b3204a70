//! The README's "Use it" table (and, in `enrolling`, its "Enrolling keys" table), run as written
//! against the test bed, so that a README that drifts
//! from what the tool does fails `scripts/test`. Each row's command is taken from the README itself;
//! only what stands for the reader's own world is swapped for the test bed's: the YubiKey, the NFC
//! reader and the hub are virtual keys in vpcd's readers, the seed files, the CSV and the JSON are
//! written in a temp home, the endpoint comes from `AWS_ENDPOINT_URL`, and the codes `C1`/`C2` are the
//! token's. A row this file does not know fails, naming the row.

mod enrolling;
mod one_device_per_key;

use std::io::Write as _;
use std::process::Command;
use std::time::Duration;

use testbed::iam_local::{ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY, DEMO_SERIAL};
use testbed::virtual_yubikey::{CardConfig, CredentialConfig, OtpSlotConfig};

use crate::util::{Bed, Card, Output, READER_0, readers, write_private};

/// The serial of bob's hardware token in the README.
const TOKEN: &str = "GAHT12345678";

/// The commands of the first table under the README's `section` heading, each with the row's first
/// cell.
fn rows(section: &str) -> Vec<(String, String)> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find(&format!("\n{section}\n"))
        .unwrap_or_else(|| panic!("a {section} section"));
    readme[start..]
        .lines()
        .skip_while(|l| !l.starts_with("| you want") && !l.starts_with("| step"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").collect();
            let command = cells[1].trim().trim_matches('`').to_string();
            (cells[0].trim().to_string(), command)
        })
        .collect()
}

/// Splits a command as a shell would (double quotes only, as the table writes them).
fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in command.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The test bed for the rows: alice (the caller) with her virtual device, bob with a hardware
/// token, each with a seed of 20 bytes (an OTP slot holds no more).
struct World {
    bed: Bed,
    bob_seed: String,
}

impl World {
    fn new() -> World {
        World::with(|_| {})
    }

    /// As [`World::new`], with the endpoint's state changed first.
    fn with(change: impl FnOnce(&mut testbed::iam_local::State)) -> World {
        let alice_seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        let bob_seed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ".to_string();
        let for_state = bob_seed.clone();
        let bed = Bed::with_seed(alice_seed, move |c| {
            c.state = c
                .state
                .clone()
                .with_user("bob")
                .with_hardware_device_for("bob", TOKEN, &for_state);
            change(&mut c.state);
        });
        let home = bed.dir.path();
        std::fs::create_dir_all(home.join(".config/mfa")).unwrap();
        write_private(&home.join(".config/mfa/seed"), &format!("{alice_seed}\n"));
        World { bed, bob_seed }
    }

    fn bob_code(&self, counter: u64) -> String {
        testbed::iam_local::totp::code_at(&self.bob_seed, counter, 6).unwrap()
    }

    /// The command as the README writes it, in the bed's world.
    fn command(&self, words: &[String], desk: bool) -> Command {
        let home = self.bed.dir.path().display().to_string();
        let mut cmd = Command::new(crate::util::BIN);
        let base = self.bed.command();
        cmd.env_clear();
        for (k, v) in base.get_envs() {
            if let Some(v) = v {
                cmd.env(k, v);
            }
        }
        cmd.current_dir(self.bed.dir.path())
            .env("AWS_ENDPOINT_URL", self.bed.url())
            .env("MFA_SEED", &self.bed.seed)
            .stdin(std::process::Stdio::null());
        if desk {
            cmd.env("AWS_ACCESS_KEY_ID", ADMIN_ACCESS_KEY_ID)
                .env("AWS_SECRET_ACCESS_KEY", ADMIN_SECRET_ACCESS_KEY);
        }
        // AWS's clock a few seconds before a window boundary: a waiting row waits that long. Not
        // for doctor, which checks that clock against the host's.
        if words.get(1).is_none_or(|w| w != "doctor") {
            self.bed.steer();
        }
        // Codes a user already has: the previous window's and the current one's.
        let c = self.bed.counter_now() - 1;
        for word in &words[1..] {
            let word = match word.as_str() {
                "C1" => self.bob_code(c),
                "C2" => self.bob_code(c + 1),
                "F" => format!("{home}/.config/mfa/seed"),
                "ACS ACR122U 00 00" => READER_0.to_string(),
                "/var/log/mfa-resync.jsonl" => format!("{home}/mfa-resync.jsonl"),
                other => other.replace("~/", &format!("{home}/")),
            };
            cmd.arg(word);
        }
        cmd
    }

    fn run(&self, words: &[String], desk: bool) -> Output {
        self.bed.run(&mut self.command(words, desk))
    }

    #[track_caller]
    fn accepted(&self, n: usize) {
        let sent = self.bed.resync_requests();
        assert_eq!(sent.len(), n, "{sent:?}");
        assert!(sent.iter().all(|e| e.status == 200), "{sent:?}");
    }
}

/// Walks one row; `Err` names a row this file has no journey for.
fn walk(row: &str, words: &[String]) -> Result<(), String> {
    let world = World::new();
    let line = words.join(" ");
    let alice_key = || {
        CardConfig::new(10000001).with_credential(CredentialConfig::totp(
            Some("Amazon Web Services"),
            "alice@123456789012",
            &world.bed.seed,
        ))
    };
    match line.as_str() {
        "mfa-resync resync" => {
            let _readers = readers();
            let _card = Card::insert(alice_key(), 0);
            world.run(words, false).assert_exit(0);
            world.accepted(1);
        }
        "mfa-resync resync --user-name bob --reader ACS ACR122U 00 00" => {
            let _readers = readers();
            let bobs = CardConfig::new(10000002).with_credential(CredentialConfig::totp(
                None,
                TOKEN,
                &world.bob_seed,
            ));
            let _card = Card::insert(bobs, 0);
            world.run(words, true).assert_exit(0);
            world.accepted(1);
        }
        "mfa-resync devices --accounts" => {
            let _readers = readers();
            let _card = Card::insert(alice_key(), 0);
            let out = world.run(words, false);
            out.assert_exit(0);
            assert!(out.stdout.contains("YubiKey 10000001"), "{}", out.stdout);
            assert!(
                out.stdout
                    .contains("Amazon Web Services:alice@123456789012")
            );
        }
        "mfa-resync resync --source otp-slot --slot 2" => {
            let _readers = readers();
            let secret = testbed::iam_local::totp::decode_seed(&world.bed.seed).unwrap();
            let slot =
                CardConfig::new(10000003).with_otp_slot(2, OtpSlotConfig::hmac_sha1(&secret));
            let _card = Card::insert(slot, 0);
            world.run(words, false).assert_exit(0);
            world.accepted(1);
        }
        "mfa-resync resync --batch tokens.csv --audit-log /var/log/mfa-resync.jsonl" => {
            let home = world.bed.dir.path();
            write_private(&home.join("bob-seed"), &world.bob_seed);
            write_private(
                &home.join("tokens.csv"),
                &format!(
                    "user,serial,source,seed_file\nalice,{DEMO_SERIAL},seed,{0}/.config/mfa/seed\nbob,{TOKEN},seed,{0}/bob-seed\n",
                    home.display()
                ),
            );
            world.run(words, true).assert_exit(0);
            world.accepted(2);
            let audit = std::fs::read_to_string(home.join("mfa-resync.jsonl")).unwrap();
            assert_eq!(audit.lines().count(), 2, "{audit}");
        }
        "mfa-resync station --once --audit-log /var/log/mfa-resync.jsonl" => {
            let _readers = readers();
            let _card = Card::insert(alice_key(), 0);
            let out = world.run(words, true);
            out.assert_exit(0);
            world.accepted(1);
            let audit =
                std::fs::read_to_string(world.bed.dir.path().join("mfa-resync.jsonl")).unwrap();
            assert_eq!(audit.lines().count(), 1, "{audit}");
            assert!(audit.contains("\"device_serial\":\"10000001\""), "{audit}");
        }
        "mfa-resync resync --seed-file ~/.config/mfa/seed" => {
            world.run(words, false).assert_exit(0);
            world.accepted(1);
        }
        "mfa-resync resync --user-name bob --serial-number GAHT12345678 --source prompt" => {
            // bob's token shows AWS's time: code 1 now, code 2 once AWS's window has turned.
            let mut child = world.bed.spawn(&mut world.command(words, true));
            let mut stdin = child.stdin.take().unwrap();
            let c = world.bed.counter_now();
            writeln!(stdin, "{}", world.bob_code(c)).unwrap();
            let boundary = Duration::from_secs((c + 1) * 30);
            std::thread::sleep(
                boundary.saturating_sub(world.bed.now()) + Duration::from_millis(500),
            );
            writeln!(stdin, "{}", world.bob_code(c + 1)).unwrap();
            drop(stdin);
            Output::from(child.wait_with_output().unwrap()).assert_exit(0);
            world.accepted(1);
        }
        "mfa-resync resync --user-name bob --serial-number GAHT12345678 --authentication-code-1 C1 --authentication-code-2 C2" =>
        {
            world.run(words, true).assert_exit(0);
            world.accepted(1);
        }
        "mfa-resync resync --cli-input-json file://req.json --seed-env MFA_SEED" => {
            write_private(
                &world.bed.dir.path().join("req.json"),
                &format!(
                    "{{\"UserName\": \"alice\", \"SerialNumber\": \"{DEMO_SERIAL}\", \"AuthenticationCode1\": \"\", \"AuthenticationCode2\": \"\"}}"
                ),
            );
            world.run(words, false).assert_exit(0);
            world.accepted(1);
        }
        "mfa-resync resync --generate-cli-skeleton" => {
            let out = world.run(words, false);
            out.assert_exit(0);
            let skeleton: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
            assert_eq!(skeleton["UserName"], "");
        }
        "mfa-resync codes --seed-file F" => {
            let out = world.run(words, false);
            out.assert_exit(0);
            assert_eq!(
                crate::util::printed_codes(&out.stdout).len(),
                2,
                "{}",
                out.stdout
            );
        }
        "mfa-resync doctor" => {
            let out = world.run(words, false);
            out.assert_exit(0);
            assert!(out.stdout.contains("arn:aws:iam::123456789012:user/alice"));
        }
        _ => return Err(format!("no journey for the README's row {row:?}: `{line}`")),
    }
    Ok(())
}

#[test]
fn every_command_of_the_readme_s_table_does_what_the_row_says() {
    let rows = rows("## Use it");
    assert!(rows.len() >= 10, "read the table: {rows:?}");
    walk_all(&rows, walk);
}

/// Walks every row side by side (they wait for windows; those with a key take turns on the
/// readers) and fails naming each row that failed or that has no journey.
fn walk_all(rows: &[(String, String)], walk: fn(&str, &[String]) -> Result<(), String>) {
    let results: Vec<(String, std::thread::Result<Result<(), String>>)> = std::thread::scope(|s| {
        let handles: Vec<_> = rows
            .iter()
            .map(|(row, command)| {
                let words = words(command);
                (row.clone(), s.spawn(move || walk(row, &words)))
            })
            .collect();
        handles
            .into_iter()
            .map(|(row, h)| (row, h.join()))
            .collect()
    });
    let failed: Vec<String> = results
        .into_iter()
        .filter_map(|(row, result)| match result {
            Ok(Ok(())) => None,
            Ok(Err(unknown)) => Some(unknown),
            Err(_) => Some(format!("the row {row:?} failed (its panic is above)")),
        })
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
