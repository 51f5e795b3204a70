//! Fuzzing of the virtual YubiKey through its [`Responder`] seam: what any host (a broken driver,
//! ykman's Python, a hostile program) can send it. Sessions of arbitrary and structured command
//! APDUs — SELECT, every YKOATH instruction with well- and ill-formed TLVs, ISO 7816-4 command
//! chaining (CLA `0x10`), 61xx paging drained by SEND REMAINING and GET RESPONSE, unlocking with
//! the right VALIDATE response so locked cards are explored too, power events and removals.
//!
//! The card must never panic, and every answer must be a status word after at most Ne bytes of
//! data. The engine is a seeded generator (no dependency beyond the test bed's own): a failing
//! session prints its APDUs and its seed, and `FUZZ_APPLET_SEED=N` replays it first.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use testbed::virtual_yubikey::{
    AID_MANAGEMENT, AID_OATH, AID_OTP, CardConfig, CredentialConfig, HashAlgorithm, OathType,
    OtpSlotConfig, Power, Reply, Responder, TouchPolicy, VirtualCard, apdu, crypto,
};

/// Sessions per run (`FUZZ_APPLET_SESSIONS=N` for a longer campaign); each is one card and a
/// few dozen APDUs.
const SESSIONS: u64 = 4_000;
/// At least this many APDUs are sent in all.
const MIN_APDUS: u64 = 50_000;

/// SplitMix64: small, fast and good enough to drive a fuzzer.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn byte(&mut self) -> u8 {
        self.next() as u8
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// A length that is mostly small, sometimes around the 255/256 and 65535 boundaries.
    fn len(&mut self, max: usize) -> usize {
        match self.below(10) {
            0..=5 => self.below(max.min(40) + 1),
            6 | 7 => self.below(max + 1),
            8 => self.pick(&[0, 1, 127, 128, 255, 256, 257]).min(max),
            _ => max,
        }
    }
}

/// Credential ids the generator reuses, so DELETE, RENAME and CALCULATE find something.
const NAMES: &[&[u8]] = &[
    b"Amazon Web Services:alice@123456789012",
    b"60/Iss:acct",
    b"x",
    b"\xff\xfe",
    &[b'a'; 64],
    &[b'b'; 65],
];

const INS: &[u8] = &[
    0x01, 0x02, 0x03, 0x04, 0x05, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xC0, 0x1D,
];

/// One TLV, its length encoded in one of the BER forms (or wrongly).
fn push_tlv(rng: &mut Rng, out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    if tag == 0x78 {
        // PROPERTY: one value byte, no length (or, sometimes, nothing at all).
        if rng.chance(90) {
            out.push(value.first().copied().unwrap_or(0x02));
        }
        return;
    }
    let n = value.len();
    match rng.below(12) {
        0 if n <= 0xFF => out.extend([0x81, n as u8]),
        1 if n <= 0xFFFF => out.extend([0x82, (n >> 8) as u8, n as u8]),
        2 => out.push(rng.byte()), // any length byte, right or not
        3 => out.extend([0x83, 0, 0, n as u8]),
        _ if n < 0x80 => out.push(n as u8),
        _ if n <= 0xFF => out.extend([0x81, n as u8]),
        _ => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(value);
}

fn name(rng: &mut Rng) -> Vec<u8> {
    if rng.chance(80) {
        rng.pick(NAMES).to_vec()
    } else {
        let n = rng.len(80);
        rng.bytes(n)
    }
}

/// Command data: YKOATH TLVs, mostly plausible, or plain random bytes.
fn oath_data(rng: &mut Rng, ins: u8) -> Vec<u8> {
    let mut out = Vec::new();
    if rng.chance(15) {
        let n = rng.len(600);
        return rng.bytes(n);
    }
    let tags: Vec<u8> = match ins {
        0x01 => vec![0x71, 0x73, 0x78, 0x7A],
        0x02 => vec![0x71],
        0x03 => vec![0x73, 0x74, 0x75],
        0x05 => vec![0x71, 0x71],
        0xA2 => vec![0x71, 0x74],
        0xA3 => vec![0x75, 0x74],
        0xA4 => vec![0x74],
        _ => vec![],
    };
    for tag in tags {
        if rng.chance(8) {
            continue;
        }
        let value = match tag {
            0x71 => name(rng),
            0x73 => {
                let type_byte = if rng.chance(80) {
                    rng.pick(&[0x11, 0x12, 0x13, 0x21, 0x22, 0x23, 0x01, 0x31])
                } else {
                    rng.byte()
                };
                let mut key = vec![type_byte, rng.pick(&[6, 7, 8, 0, 5, 9, 255])];
                let n = rng.len(140);
                key.extend(rng.bytes(n));
                if rng.chance(5) {
                    key.truncate(rng.below(3));
                }
                key
            }
            0x74 => {
                let n = if rng.chance(80) { 8 } else { rng.len(70) };
                rng.bytes(n)
            }
            0x75 => {
                let n = rng.pick(&[20, 32, 64, 0, 1, 21]);
                rng.bytes(n)
            }
            0x7A => {
                let n = if rng.chance(80) { 4 } else { rng.len(8) };
                rng.bytes(n)
            }
            0x78 => vec![rng.pick(&[0x02, 0x00, 0xFF])],
            _ => Vec::new(),
        };
        push_tlv(rng, &mut out, tag, &value);
    }
    if rng.chance(10) {
        let tag = rng.byte();
        let n = rng.len(300);
        let value = rng.bytes(n);
        push_tlv(rng, &mut out, tag, &value);
    }
    out
}

/// An APDU in one of the ISO 7816-4 cases, or with lengths that do not add up.
fn encode(rng: &mut Rng, header: [u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = header.to_vec();
    let any = rng.byte();
    let le_short = rng.pick(&[0x00, 0x01, 0x10, 0xFF, any]);
    let extended = data.len() > 255 || rng.chance(10);
    match (data.is_empty(), extended, rng.below(8)) {
        (true, false, 0..=2) => {}
        (true, false, _) => out.push(le_short),
        (true, true, _) => out.extend([0, rng.byte(), rng.byte()]),
        (false, false, 0..=3) => {
            out.push(data.len() as u8);
            out.extend_from_slice(data);
        }
        (false, false, 4..=6) => {
            out.push(data.len() as u8);
            out.extend_from_slice(data);
            out.push(le_short);
        }
        (false, true, 0..=4) => {
            let n = data.len().min(0xFFFF);
            out.extend([0, (n >> 8) as u8, n as u8]);
            out.extend_from_slice(&data[..n]);
            if rng.chance(50) {
                out.extend([rng.byte(), rng.byte()]);
            }
        }
        _ => {
            // A length field that lies.
            out.push(rng.byte());
            out.extend_from_slice(data);
            if rng.chance(30) {
                out.push(rng.byte());
            }
        }
    }
    out
}

fn select(rng: &mut Rng) -> Vec<u8> {
    let mut aid = match rng.below(10) {
        0..=4 => AID_OATH.to_vec(),
        5 => AID_MANAGEMENT.to_vec(),
        6 => AID_OTP.to_vec(),
        _ => {
            let n = rng.len(20);
            rng.bytes(n)
        }
    };
    if rng.chance(15) {
        let n = rng.below(12);
        aid.extend(rng.bytes(n));
    }
    let p1 = if rng.chance(90) { 0x04 } else { rng.byte() };
    let cla = if rng.chance(90) { 0x00 } else { rng.byte() };
    encode(rng, [cla, 0xA4, p1, 0x00], &aid)
}

/// One command, of any instruction the card knows (and some it does not).
fn command(rng: &mut Rng) -> Vec<u8> {
    match rng.below(20) {
        0 => {
            let n = rng.len(12);
            rng.bytes(n)
        }
        1 => {
            let n = rng.len(400);
            rng.bytes(n)
        }
        2 | 3 => select(rng),
        _ => {
            let ins = if rng.chance(90) {
                rng.pick(INS)
            } else {
                rng.byte()
            };
            let cla = match rng.below(10) {
                0..=6 => 0x00,
                7 => 0x10,
                8 => 0xFF,
                _ => rng.byte(),
            };
            let (any1, any2) = (rng.byte(), rng.byte());
            let (p1, p2) = match ins {
                0x04 if rng.chance(50) => (0xDE, 0xAD),
                0xA4 => (rng.pick(&[0x00, 0x01, 0x04]), rng.pick(&[0x00, 0x01])),
                0xA2 => (0x00, rng.pick(&[0x00, 0x01])),
                0x1D | 0x01 => (rng.pick(&[0x00, 0x10, any1]), 0x00),
                _ => (rng.pick(&[0, 0, 1, any1]), rng.pick(&[0, 0, 1, any2])),
            };
            let data = oath_data(rng, ins);
            encode(rng, [cla, ins, p1, p2], &data)
        }
    }
}

/// A long command sent as an ISO 7816-4 chain, sometimes interrupted or with a changed header.
fn chain(rng: &mut Rng) -> Vec<Vec<u8>> {
    let any = rng.byte();
    let ins = rng.pick(&[0x01, 0x01, 0xA2, 0xA4, 0x03, 0x05, any]);
    let header = [0x10, ins, 0x00, rng.pick(&[0x00, 0x01])];
    let mut data = oath_data(rng, ins);
    if rng.chance(30) {
        let n = rng.len(2_000);
        data.extend(rng.bytes(n));
    }
    let mut out = Vec::new();
    let mut rest = &data[..];
    loop {
        let any = rng.below(256);
        let n = rng.pick(&[1, 16, 100, 255, any]).min(rest.len());
        let (part, tail) = rest.split_at(n);
        let last = tail.is_empty() && !rng.chance(10);
        let mut h = header;
        if last {
            h[0] = 0x00;
        }
        if rng.chance(5) {
            h[2] = rng.byte(); // a continuation that is not one
        }
        out.push(encode(rng, h, part));
        if rng.chance(5) {
            out.push(command(rng)); // interrupted
        }
        rest = tail;
        if rest.is_empty() {
            break;
        }
    }
    out
}

/// A command with a long answer, asked for in small pieces and drained with SEND REMAINING / GET RESPONSE.
fn paged(rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let le = rng.pick(&[0x01, 0x02, 0x10, 0x80, 0xFF, 0x00]);
    match rng.below(3) {
        0 => out.push(vec![0x00, 0xA1, 0x00, 0x00, le]),
        1 => {
            let challenge = rng.bytes(8);
            let mut data = Vec::new();
            push_tlv(rng, &mut data, 0x74, &challenge);
            let mut apdu = vec![0x00, 0xA4, 0x00, rng.pick(&[0, 1]), data.len() as u8];
            apdu.extend(data);
            apdu.push(le);
            out.push(apdu);
        }
        _ => out.push(vec![
            0x00, 0xA4, 0x04, 0x00, 7, 0xA0, 0, 0, 5, 0x27, 0x21, 1, le,
        ]),
    }
    for _ in 0..rng.below(12) {
        let ins = rng.pick(&[0xA5, 0xA5, 0xC0]);
        let le = rng.pick(&[0x00, 0x01, 0x10, 0xFF]);
        match rng.below(6) {
            0 => out.push(vec![0x00, ins, 0x00, 0x00]),
            1 => out.push(vec![0x00, ins, 0x00, 0x00, 0x00, 0x00, le]),
            _ => out.push(vec![0x00, ins, 0x00, 0x00, le]),
        }
    }
    out
}

/// The card as generated, and how to unlock it.
struct Session {
    config: CardConfig,
    password: Option<String>,
    access_key: Option<Vec<u8>>,
}

fn session_config(rng: &mut Rng) -> Session {
    let mut config = CardConfig::new(rng.next() as u32);
    config.version = rng
        .pick(&["5.7.2", "5.7.2", "5.3.1", "5.2.4", "4.3.1"])
        .to_string();
    for i in 0..rng.below(5) {
        let mut cred = CredentialConfig::totp(
            rng.pick(&[None, Some("Amazon Web Services"), Some("Iss")]),
            &format!("user{i}@123456789012"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        );
        if rng.chance(30) {
            cred.oath_type = OathType::Hotp;
            cred.counter = rng.pick(&[0, 1, u32::MAX - 1, u32::MAX]);
        }
        cred.algorithm = rng.pick(&[
            HashAlgorithm::Sha1,
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha512,
        ]);
        cred.digits = rng.pick(&[6, 7, 8]);
        cred.period = rng.pick(&[30, 60, 15]);
        cred.touch = rng.chance(30);
        config.upsert_credential(cred);
    }
    config.touch = match rng.below(3) {
        0 => TouchPolicy::Accept,
        1 => TouchPolicy::Delay(Duration::from_millis(rng.below(20_000) as u64)),
        _ => TouchPolicy::Deny {
            after: Duration::from_millis(rng.below(20_000) as u64),
        },
    };
    config.otp_application = rng.chance(80);
    for slot in 1..=2 {
        if rng.chance(40) {
            let mut otp = if rng.chance(80) {
                let n = 1 + rng.below(20);
                OtpSlotConfig::hmac_sha1(&rng.bytes(n))
            } else {
                OtpSlotConfig::keyboard()
            };
            otp.touch = rng.chance(30);
            otp.lt64 = rng.chance(80);
            config = config.with_otp_slot(slot, otp);
        }
    }
    if rng.chance(10) {
        config.remove_after_apdus = Some(rng.below(40) as u64);
    }
    let (mut password, mut access_key) = (None, None);
    match rng.below(10) {
        0 | 1 => {
            let p = format!("pw{}", rng.below(1000));
            config = config.with_password(&p);
            password = Some(p);
        }
        2 => {
            let key = rng.bytes(16);
            config.access_key = Some(hex(&key));
            access_key = Some(key);
        }
        _ => {}
    }
    Session {
        config,
        password,
        access_key,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Finds the value of `tag` in a SELECT answer (short TLVs only, as the card writes them).
fn find_tlv(data: &[u8], tag: u8) -> Option<&[u8]> {
    let mut rest = data;
    while let [t, len, tail @ ..] = rest {
        let len = usize::from(*len);
        let value = tail.get(..len)?;
        if *t == tag {
            return Some(value);
        }
        rest = &tail[len..];
    }
    None
}

/// SELECT OATH, then the right VALIDATE for the card's key (as a host with the password would).
fn unlock(rng: &mut Rng, card: &mut VirtualCard, s: &Session, sent: &mut Vec<Vec<u8>>) -> u64 {
    let select = vec![0x00, 0xA4, 0x04, 0x00, 7, 0xA0, 0, 0, 5, 0x27, 0x21, 1, 0];
    sent.push(select.clone());
    let Reply::Bytes { bytes, .. } = card.respond(&select) else {
        return 1;
    };
    let data = &bytes[..bytes.len().saturating_sub(2)];
    let (Some(salt), Some(challenge)) = (find_tlv(data, 0x71), find_tlv(data, 0x74)) else {
        return 1;
    };
    let key = match (&s.password, &s.access_key) {
        (Some(p), _) => crypto::derive_access_key(p, salt).to_vec(),
        (None, Some(k)) => k.clone(),
        (None, None) => return 1,
    };
    let mut body = Vec::new();
    body.push(0x75);
    let response = crypto::hmac(HashAlgorithm::Sha1, &key, challenge);
    body.push(response.len() as u8);
    body.extend(response);
    body.push(0x74);
    body.push(8);
    body.extend(rng.bytes(8));
    let mut validate = vec![0x00, 0xA3, 0x00, 0x00, body.len() as u8];
    validate.extend(body);
    sent.push(validate.clone());
    let _ = card.respond(&validate);
    2
}

/// Checks one answer: a status word after at most Ne bytes, and a removed card stays removed.
fn check_reply(raw: &[u8], reply: &Reply, was_removed: bool) -> Result<(), String> {
    match reply {
        Reply::Removed => Ok(()),
        Reply::Bytes { .. } if was_removed => Err("a removed card answered".into()),
        Reply::Bytes { bytes, .. } => {
            if bytes.len() < 2 {
                return Err(format!(
                    "an answer of {} bytes, without a status word",
                    bytes.len()
                ));
            }
            let ne = apdu::parse(raw).map(|c| c.ne).unwrap_or(256);
            let data = bytes.len() - 2;
            if data > ne {
                return Err(format!("{data} bytes of data where the host accepts {ne}"));
            }
            Ok(())
        }
    }
}

/// Runs one session, counting its APDUs; a failure or a panic of the card comes back as the
/// problem and every APDU the session sent.
fn run_session(rng: &mut Rng, apdus: &mut u64, stats: &mut Stats) -> Result<(), String> {
    let session = session_config(rng);
    let mut card = VirtualCard::new(session.config.clone()).map_err(|e| format!("config: {e}"))?;
    let mut sent: Vec<Vec<u8>> = Vec::new();
    if rng.chance(70) {
        *apdus += unlock(rng, &mut card, &session, &mut sent);
    }
    let steps = 4 + rng.below(40);
    for _ in 0..steps {
        let batch = match rng.below(20) {
            0..=1 => chain(rng),
            2..=3 => paged(rng),
            4 => {
                card.power(rng.pick(&[Power::Off, Power::On, Power::Reset]));
                continue;
            }
            5 if card.is_removed() => {
                card.reinsert();
                continue;
            }
            6 if rng.chance(30) => {
                *apdus += unlock(rng, &mut card, &session, &mut sent);
                continue;
            }
            _ => vec![command(rng)],
        };
        for raw in batch {
            let was_removed = card.is_removed();
            sent.push(raw.clone());
            *apdus += 1;
            let reply = match catch_unwind(AssertUnwindSafe(|| card.respond(&raw))) {
                Ok(reply) => reply,
                Err(panic) => {
                    let what = panic
                        .downcast_ref::<String>()
                        .map(String::as_str)
                        .or_else(|| panic.downcast_ref::<&str>().copied())
                        .unwrap_or("a panic");
                    return Err(format!(
                        "the card panicked: {what}\nafter APDUs:\n{}",
                        dump(&sent)
                    ));
                }
            };
            if let Err(e) = check_reply(&raw, &reply, was_removed) {
                return Err(format!("{e}\nafter APDUs:\n{}", dump(&sent)));
            }
            stats.count(&raw, &reply);
        }
    }
    Ok(())
}

/// What the sessions reached, so that a run shows it went past the parsers: successes per
/// instruction, pages, chains, removals.
#[derive(Default)]
struct Stats {
    ok_by_ins: std::collections::BTreeMap<u8, u64>,
    more_data: u64,
    chained_parts: u64,
    removed: u64,
}

impl Stats {
    fn count(&mut self, raw: &[u8], reply: &Reply) {
        let Some(sw) = reply.status_word() else {
            self.removed += 1;
            return;
        };
        if raw.first().is_some_and(|cla| cla & 0x10 != 0) {
            self.chained_parts += 1;
        }
        if sw >> 8 == 0x61 {
            self.more_data += 1;
        }
        if (sw == 0x9000 || sw >> 8 == 0x61)
            && let Some(&ins) = raw.get(1)
        {
            *self.ok_by_ins.entry(ins).or_default() += 1;
        }
    }
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ok: Vec<String> = self
            .ok_by_ins
            .iter()
            .filter(|(ins, _)| INS.contains(ins))
            .map(|(ins, n)| format!("{ins:02X}:{n}"))
            .collect();
        write!(
            f,
            "successes by INS {}; {} answers with 61xx; {} chained parts; {} removed",
            ok.join(" "),
            self.more_data,
            self.chained_parts,
            self.removed
        )
    }
}

fn dump(sent: &[Vec<u8>]) -> String {
    sent.iter()
        .map(|a| format!("  {}", hex(a)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn seed() -> u64 {
    match std::env::var("FUZZ_APPLET_SEED") {
        Ok(s) => s.parse().expect("FUZZ_APPLET_SEED is a number"),
        Err(_) => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1),
    }
}

#[test]
fn the_card_survives_arbitrary_apdu_sessions() {
    let seed = seed();
    let started = Instant::now();
    let mut apdus = 0u64;
    let mut sessions = 0u64;
    let mut stats = Stats::default();
    let planned = std::env::var("FUZZ_APPLET_SESSIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(SESSIONS);
    while sessions < planned || apdus < MIN_APDUS {
        // Each session has its own seed, so a failure replays alone.
        let session_seed = seed.wrapping_add(sessions);
        let mut rng = Rng(session_seed);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            run_session(&mut rng, &mut apdus, &mut stats)
        }));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                panic!("session {sessions} failed (replay: FUZZ_APPLET_SEED={session_seed}): {e}")
            }
            Err(panic) => {
                eprintln!(
                    "session {sessions} panicked: replay with FUZZ_APPLET_SEED={session_seed}"
                );
                resume_unwind(panic);
            }
        }
        sessions += 1;
    }
    eprintln!(
        "fuzz_applet: {apdus} APDUs in {sessions} sessions (seed {seed}) in {:.2?}\n  {stats}",
        started.elapsed()
    );
}
