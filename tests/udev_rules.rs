//! Checks `udev/70-mfa-resync-yubikey.rules`, the file that lets the logged-in user (and, on
//! headless stations, the `plugdev` group) open YubiKey hidraw nodes.
//!
//! Three layers, none of which needs a YubiKey, root or a running udev:
//! - a syntax check written from udev's documented grammar (udev(7), "RULES FILES": operators,
//!   values, keys), with its own negative cases so that a checker that accepts anything fails;
//! - a small evaluator of the rules (the keys the file uses, with udev's documented semantics:
//!   glob patterns with `|` alternatives, parent keys that must all match on one and the same
//!   parent, `GOTO`/`LABEL`, `:=` finality) run against simulated sysfs device chains;
//! - `udevadm verify`, when the machine has a udevadm new enough to have it (systemd ≥ 254).
//!   It is optional: only that sub-check is skipped, with a message, when it is missing.
//!
//! Only `std` is used; this file owns no state outside the process.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const RULES_FILE: &str = "70-mfa-resync-yubikey.rules";

/// The product ids the rules must grant, each with its family. Sources: yubikit's `PID` enum
/// (Yubico/yubikey-manager `yubikit/core/__init__.py`), libfido2 `udev/fidodevs`, libu2f-host
/// `70-u2f.rules`, systemd's `hwdb.d/20-usb-vendor-model.hwdb`. CCID-only modes (0112, 0404)
/// are absent on purpose: they have no HID interface and hence no hidraw node.
const YUBICO_HID_PRODUCTS: &[(&str, &str)] = &[
    ("0010", "YubiKey Standard/Edge OTP"),
    ("0110", "YubiKey NEO OTP"),
    ("0111", "YubiKey NEO OTP+CCID"),
    ("0113", "YubiKey NEO FIDO"),
    ("0114", "YubiKey NEO OTP+FIDO"),
    ("0115", "YubiKey NEO FIDO+CCID"),
    ("0116", "YubiKey NEO OTP+FIDO+CCID"),
    ("0120", "Security Key by Yubico"),
    ("0121", "Yubico FIDO device (libfido2, libu2f-host)"),
    ("0200", "Gnubby U2F"),
    ("0401", "YubiKey 4/5 OTP"),
    ("0402", "YubiKey 4/5 FIDO"),
    ("0403", "YubiKey 4/5 OTP+FIDO"),
    ("0405", "YubiKey 4/5 OTP+CCID"),
    ("0406", "YubiKey 4/5 FIDO+CCID"),
    ("0407", "YubiKey 4/5 OTP+FIDO+CCID"),
    ("0410", "YubiKey Plus OTP+FIDO"),
];

fn rules_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("udev")
        .join(RULES_FILE)
}

fn rules_text() -> String {
    let path = rules_path();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn parsed_rules() -> Vec<Rule> {
    match parse_rules(&rules_text()) {
        Ok(rules) => rules,
        Err(errors) => panic!(
            "{RULES_FILE} does not follow udev(7):\n{}",
            errors.join("\n")
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// The grammar (udev(7), "RULES FILES")
// ---------------------------------------------------------------------------------------------

/// The six operators of udev(7) "Operators".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `=`
    Assign,
    /// `+=`
    Add,
    /// `-=`
    Remove,
    /// `:=`
    Final,
}

impl Op {
    fn spelling(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Assign => "=",
            Op::Add => "+=",
            Op::Remove => "-=",
            Op::Final => ":=",
        }
    }

    fn is_match(self) -> bool {
        matches!(self, Op::Eq | Op::Ne)
    }
}

/// Whether a key takes a `{…}` part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Attr {
    No,
    Required,
    Optional,
}

struct KeySpec {
    name: &'static str,
    attr: Attr,
    ops: &'static [Op],
}

const MATCH: &[Op] = &[Op::Eq, Op::Ne];
const MATCH_OR_SET: &[Op] = &[Op::Eq, Op::Ne, Op::Assign, Op::Final];
const MATCH_OR_LIST: &[Op] = &[Op::Eq, Op::Ne, Op::Assign, Op::Add, Op::Remove, Op::Final];
const SET: &[Op] = &[Op::Assign, Op::Final];
const LIST: &[Op] = &[Op::Assign, Op::Add, Op::Final];
const ONLY_ASSIGN: &[Op] = &[Op::Assign];
/// PROGRAM and IMPORT: "=", ":=" and "+=" have the same effect as "==" (udev(7)).
const TEST_LIKE: &[Op] = &[Op::Eq, Op::Ne, Op::Assign, Op::Add, Op::Final];

/// Every key udev(7) documents, with the operators it documents for it: match keys take `==`/`!=`,
/// assignment keys `=`/`+=`/`:=` (`-=` only for the list keys SYMLINK and TAG); NAME, SYMLINK,
/// ENV, TAG, ATTR and SYSCTL are both.
const KEYS: &[KeySpec] = &[
    KeySpec {
        name: "ACTION",
        attr: Attr::No,
        ops: MATCH,
    },
    KeySpec {
        name: "DEVPATH",
        attr: Attr::No,
        ops: MATCH,
    },
    KeySpec {
        name: "KERNEL",
        attr: Attr::No,
        ops: MATCH,
    },
    KeySpec {
        name: "KERNELS",
        attr: Attr::No,
        ops: MATCH,
    },
    KeySpec {
        name: "NAME",
        attr: Attr::No,
        ops: MATCH_OR_SET,
    },
    KeySpec {
        name: "SYMLINK",
        attr: Attr::No,
        ops: MATCH_OR_LIST,
    },
    KeySpec {
        name: "SUBSYSTEM",
        attr: Attr::No,
        ops: MATCH,
    },
    KeySpec {
        name: "SUBSYSTEMS",
        attr: Attr::No,
        ops: MATCH,
    },
    KeySpec {
        name: "DRIVER",
        attr: Attr::No,
        ops: MATCH,
    },
    KeySpec {
        name: "DRIVERS",
        attr: Attr::No,
        ops: MATCH,
    },
    KeySpec {
        name: "ATTR",
        attr: Attr::Required,
        ops: MATCH_OR_SET,
    },
    KeySpec {
        name: "ATTRS",
        attr: Attr::Required,
        ops: MATCH,
    },
    KeySpec {
        name: "SYSCTL",
        attr: Attr::Required,
        ops: MATCH_OR_SET,
    },
    KeySpec {
        name: "ENV",
        attr: Attr::Required,
        ops: &[Op::Eq, Op::Ne, Op::Assign, Op::Add, Op::Final],
    },
    KeySpec {
        name: "CONST",
        attr: Attr::Required,
        ops: MATCH,
    },
    KeySpec {
        name: "TAG",
        attr: Attr::No,
        ops: MATCH_OR_LIST,
    },
    KeySpec {
        name: "TAGS",
        attr: Attr::No,
        ops: MATCH,
    },
    KeySpec {
        name: "TEST",
        attr: Attr::Optional,
        ops: MATCH,
    },
    KeySpec {
        name: "PROGRAM",
        attr: Attr::No,
        ops: TEST_LIKE,
    },
    KeySpec {
        name: "RESULT",
        attr: Attr::No,
        ops: MATCH,
    },
    KeySpec {
        name: "OWNER",
        attr: Attr::No,
        ops: SET,
    },
    KeySpec {
        name: "GROUP",
        attr: Attr::No,
        ops: SET,
    },
    KeySpec {
        name: "MODE",
        attr: Attr::No,
        ops: SET,
    },
    KeySpec {
        name: "SECLABEL",
        attr: Attr::Required,
        ops: LIST,
    },
    KeySpec {
        name: "RUN",
        attr: Attr::Optional,
        ops: LIST,
    },
    KeySpec {
        name: "LABEL",
        attr: Attr::No,
        ops: ONLY_ASSIGN,
    },
    KeySpec {
        name: "GOTO",
        attr: Attr::No,
        ops: ONLY_ASSIGN,
    },
    KeySpec {
        name: "IMPORT",
        attr: Attr::Required,
        ops: TEST_LIKE,
    },
    KeySpec {
        name: "OPTIONS",
        attr: Attr::No,
        ops: LIST,
    },
];

/// One `KEY[{attr}]OP"value"` expression.
#[derive(Clone, Debug)]
struct Expr {
    key: String,
    attr: Option<String>,
    op: Op,
    value: String,
}

/// One rule: a logical line (continuations joined) and its expressions, in order.
#[derive(Clone, Debug)]
struct Rule {
    line: usize,
    exprs: Vec<Expr>,
}

impl Rule {
    fn get(&self, key: &str) -> Option<&Expr> {
        self.exprs.iter().find(|e| e.key == key)
    }
}

/// Splits a rules file into rules, or returns every error found, each with its line number.
fn parse_rules(text: &str) -> Result<Vec<Rule>, Vec<String>> {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    let lines: Vec<&str> = text.lines().collect();
    for (index, raw) in lines.iter().enumerate() {
        let number = index + 1;
        let (start, mut logical) = match pending.take() {
            Some((start, mut so_far)) => {
                so_far.push_str(raw);
                (start, so_far)
            }
            None => {
                let trimmed = raw.trim_start();
                // "Except for empty lines or lines beginning with "#", which are ignored."
                if trimmed.is_empty() || trimmed.starts_with('#') {
                    continue;
                }
                (number, (*raw).to_string())
            }
        };
        // A backslash at the end of a line continues the rule on the next line.
        if logical.ends_with('\\') {
            logical.pop();
            if index + 1 == lines.len() {
                errors.push(format!("line {start}: continuation at the end of the file"));
            } else {
                pending = Some((start, logical));
            }
            continue;
        }
        match parse_rule(&logical) {
            Ok(exprs) => rules.push(Rule { line: start, exprs }),
            Err(message) => errors.push(format!("line {start}: {message}: {logical}")),
        }
    }
    check_labels(&rules, &mut errors);
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

/// Every GOTO jumps forward to a LABEL of the same name ("Jumps to the next LABEL with a matching
/// name"), and every LABEL is the target of some GOTO.
fn check_labels(rules: &[Rule], errors: &mut Vec<String>) {
    for (index, rule) in rules.iter().enumerate() {
        if let Some(goto) = rule.get("GOTO") {
            let later = rules[index + 1..]
                .iter()
                .any(|r| r.get("LABEL").is_some_and(|l| l.value == goto.value));
            if !later {
                errors.push(format!(
                    "line {}: GOTO=\"{}\" has no LABEL after it",
                    rule.line, goto.value
                ));
            }
        }
        if let Some(label) = rule.get("LABEL") {
            let used = rules[..index]
                .iter()
                .any(|r| r.get("GOTO").is_some_and(|g| g.value == label.value));
            if !used {
                errors.push(format!(
                    "line {}: LABEL=\"{}\" is never jumped to",
                    rule.line, label.value
                ));
            }
        }
    }
}

/// Parses one logical line: a comma-separated list of one or more `KEY[{attr}]OP"value"`.
fn parse_rule(line: &str) -> Result<Vec<Expr>, String> {
    let chars: Vec<char> = line.chars().collect();
    let mut at = 0;
    let mut exprs = Vec::new();
    loop {
        skip_blanks(&chars, &mut at);
        let expr = parse_expr(&chars, &mut at)?;
        validate_expr(&expr)?;
        exprs.push(expr);
        skip_blanks(&chars, &mut at);
        match chars.get(at) {
            None => break,
            Some(',') => {
                at += 1;
                skip_blanks(&chars, &mut at);
                if at == chars.len() {
                    return Err("a comma with no expression after it".into());
                }
            }
            Some(c) => return Err(format!("expected ',' or the end of the line, found '{c}'")),
        }
    }
    Ok(exprs)
}

fn skip_blanks(chars: &[char], at: &mut usize) {
    while chars.get(*at).is_some_and(|c| c.is_whitespace()) {
        *at += 1;
    }
}

fn parse_expr(chars: &[char], at: &mut usize) -> Result<Expr, String> {
    let key_start = *at;
    while chars.get(*at).is_some_and(|c| c.is_ascii_uppercase()) {
        *at += 1;
    }
    let key: String = chars[key_start..*at].iter().collect();
    if key.is_empty() {
        return Err(format!("expected a key at column {}", key_start + 1));
    }
    let mut attr = None;
    if chars.get(*at) == Some(&'{') {
        *at += 1;
        let attr_start = *at;
        while chars
            .get(*at)
            .is_some_and(|&c| c != '}' && c != '"' && !c.is_whitespace())
        {
            *at += 1;
        }
        if chars.get(*at) != Some(&'}') {
            return Err(format!("{key}{{…: the '{{' is not closed by '}}'"));
        }
        let name: String = chars[attr_start..*at].iter().collect();
        *at += 1;
        if name.is_empty() {
            return Err(format!("{key}{{}}: empty {{…}}"));
        }
        attr = Some(name);
    }
    skip_blanks(chars, at);
    let two: String = chars.iter().skip(*at).take(2).collect();
    let op = match two.as_str() {
        "==" => Op::Eq,
        "!=" => Op::Ne,
        "+=" => Op::Add,
        "-=" => Op::Remove,
        ":=" => Op::Final,
        _ if two.starts_with('=') => Op::Assign,
        _ => {
            return Err(format!(
                "{key}: expected one of == != = += -= :=, found {two:?}"
            ));
        }
    };
    *at += op.spelling().len();
    skip_blanks(chars, at);
    // Values are double-quoted; an `e` prefix marks a C-style escaped string. Only `\"` is an
    // escape in a plain string; any other backslash stays as it is.
    if chars.get(*at) == Some(&'e') && chars.get(*at + 1) == Some(&'"') {
        *at += 1;
    }
    if chars.get(*at) != Some(&'"') {
        return Err(format!(
            "{key}{}: the value must be double-quoted",
            op.spelling()
        ));
    }
    *at += 1;
    let mut value = String::new();
    loop {
        match chars.get(*at) {
            None => return Err(format!("{key}: the value's closing quote is missing")),
            Some('"') => {
                *at += 1;
                break;
            }
            Some('\\') if chars.get(*at + 1) == Some(&'"') => {
                value.push('"');
                *at += 2;
            }
            Some(&c) => {
                value.push(c);
                *at += 1;
            }
        }
    }
    Ok(Expr {
        key,
        attr,
        op,
        value,
    })
}

fn validate_expr(expr: &Expr) -> Result<(), String> {
    let Some(spec) = KEYS.iter().find(|k| k.name == expr.key) else {
        return Err(format!("unknown key {}", expr.key));
    };
    match (spec.attr, &expr.attr) {
        (Attr::No, Some(a)) => return Err(format!("{} takes no {{{a}}}", expr.key)),
        (Attr::Required, None) => return Err(format!("{} needs a {{…}} part", expr.key)),
        _ => {}
    }
    if !spec.ops.contains(&expr.op) {
        let kind = if expr.op.is_match() {
            "a match"
        } else {
            "an assignment"
        };
        return Err(format!(
            "{} cannot be used as {kind} ({})",
            expr.key,
            expr.op.spelling()
        ));
    }
    if expr.value.contains('\0') {
        return Err(format!("{}: NUL in a value", expr.key));
    }
    match expr.key.as_str() {
        "MODE" if !expr.value.contains(['$', '%']) => {
            let octal = expr.value.len() >= 3
                && expr.value.len() <= 4
                && expr.value.chars().all(|c| ('0'..='7').contains(&c));
            if !octal {
                return Err(format!("MODE=\"{}\" is not an octal mode", expr.value));
            }
        }
        "LABEL" | "GOTO" | "GROUP" | "OWNER" if expr.value.is_empty() => {
            return Err(format!("{} with an empty value", expr.key));
        }
        _ => {}
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// (a) Syntax
// ---------------------------------------------------------------------------------------------

#[test]
fn rules_file_follows_the_udev_grammar() {
    let rules = parsed_rules();
    assert!(
        rules.len() >= 5,
        "expected the skip lines, the product rules and the grants"
    );
    // Every rule the file keeps either jumps, labels, or assigns something.
    for rule in &rules {
        assert!(
            rule.exprs.iter().any(|e| !e.op.is_match()),
            "line {}: a rule with only matches does nothing",
            rule.line
        );
    }
}

#[test]
fn grammar_checker_accepts_documented_forms() {
    let good = [
        // From udev(7) and systemd's own rules.
        r#"SUBSYSTEM=="net", OPTIONS="log_level=debug""#,
        r#"KERNEL=="sd*[!0-9]", SYMLINK+="disk/by-x/%k""#,
        r#"SUBSYSTEM=="hidraw", IMPORT{program}="fido_id""#,
        r#"ENV{ID_SECURITY_TOKEN}=="?*", TAG+="uaccess""#,
        r#"TAG=="uaccess", RUN{builtin}+="uaccess""#,
        r#"ATTR{power/control}="auto""#,
        r#"ENV{X}="a \"quoted\" word", TAG-="seat""#,
        r#"ATTR{foo}=e"tab\there""#,
        r#"SUBSYSTEM=="usb",KERNEL=="1-1",MODE:="0640""#,
        "SUBSYSTEM==\"usb\", \\\n  GROUP=\"plugdev\"",
        "# a comment\n\n   # an indented comment",
        "ACTION==\"remove\", GOTO=\"x_end\"\nLABEL=\"x_end\"",
    ];
    for text in good {
        if let Err(errors) = parse_rules(text) {
            panic!("rejected a valid rule {text:?}: {errors:?}");
        }
    }
}

#[test]
fn grammar_checker_rejects_malformed_rules() {
    let bad = [
        (
            r#"ATTRS{idVendor}="1050""#,
            "cannot be used as an assignment",
        ),
        (r#"SUBSYSTEM="hidraw""#, "cannot be used as an assignment"),
        (r#"MODE=="0660""#, "cannot be used as a match"),
        (r#"GROUP+="plugdev""#, "cannot be used as an assignment"),
        (r#"GOTO=="end""#, "cannot be used as a match"),
        (r#"SUBSYSTEM=="hidraw" TAG+="uaccess""#, "expected ','"),
        (
            r#"SUBSYSTEM=="hidraw", TAG+="uaccess","#,
            "a comma with no expression",
        ),
        (r#"SUBSYSTEM==hidraw"#, "double-quoted"),
        (r#"SUBSYSTEM=='hidraw'"#, "double-quoted"),
        (r#"SUBSYSTEM=="hidraw"#, "closing quote"),
        (r#"VENDOR=="1050""#, "unknown key"),
        (r#"subsystem=="hidraw""#, "expected a key"),
        (r#"ATTRS=="1050""#, "needs a {"),
        (r#"ATTRS{}=="1050""#, "empty {"),
        (r#"ATTRS{idVendor=="1050""#, "not closed"),
        (r#"KERNEL{x}=="hidraw*""#, "takes no {x}"),
        (r#"SUBSYSTEM=~"hidraw""#, "double-quoted"),
        (r#"SUBSYSTEM<>"hidraw""#, "expected one of"),
        (r#"MODE="0666x""#, "not an octal mode"),
        (r#"MODE="rw-rw----""#, "not an octal mode"),
        (
            r#"SUBSYSTEM=="hidraw", TAG+="uaccess" # trailing comment"#,
            "expected ','",
        ),
        (
            r#"SUBSYSTEM!="hidraw", GOTO="nowhere""#,
            "has no LABEL after it",
        ),
        (r#"LABEL="orphan""#, "never jumped to"),
        (
            "LABEL=\"end\"\nSUBSYSTEM!=\"hidraw\", GOTO=\"end\"",
            "has no LABEL after it",
        ),
        ("SUBSYSTEM==\"usb\", \\", "continuation at the end"),
    ];
    for (text, expected) in bad {
        match parse_rules(text) {
            Ok(rules) => panic!("accepted a malformed rule {text:?}: {rules:?}"),
            Err(errors) => assert!(
                errors.iter().any(|e| e.contains(expected)),
                "{text:?}: expected an error containing {expected:?}, got {errors:?}"
            ),
        }
    }
}

#[test]
fn file_name_sorts_before_seat_late_rules() {
    // 73-seat-late.rules runs the uaccess builtin for devices tagged "uaccess"; a tag added by a
    // file sorting after it would never be acted on. All rules files sort together by name.
    assert!(
        RULES_FILE.ends_with(".rules"),
        "udev ignores files not ending in .rules"
    );
    assert!(
        RULES_FILE < "73-seat-late.rules",
        "{RULES_FILE} must sort before 73-seat-late.rules"
    );
    let prefix: u32 = RULES_FILE[..2]
        .parse()
        .expect("a two-digit priority prefix");
    assert!(prefix < 73);
}

#[test]
fn nothing_is_opened_to_other_users() {
    for rule in parsed_rules() {
        for expr in rule.exprs.iter().filter(|e| e.key == "MODE") {
            assert!(
                expr.value.ends_with('0'),
                "line {}: MODE=\"{}\" gives \"other\" access to a security key",
                rule.line,
                expr.value
            );
        }
        if let Some(owner) = rule.get("OWNER") {
            panic!(
                "line {}: OWNER=\"{}\": access is by seat or group, never a fixed user",
                rule.line, owner.value
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (b) Matching: an evaluator for the keys the file uses, with udev(7)'s semantics
// ---------------------------------------------------------------------------------------------

/// One sysfs device: the event device or one of its parents.
#[derive(Clone, Debug, Default)]
struct SysDev {
    subsystem: String,
    kernel: String,
    driver: String,
    attrs: BTreeMap<String, String>,
}

impl SysDev {
    fn new(subsystem: &str, kernel: &str, driver: &str, attrs: &[(&str, &str)]) -> Self {
        SysDev {
            subsystem: subsystem.into(),
            kernel: kernel.into(),
            driver: driver.into(),
            attrs: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }
}

/// A uevent: the action and the device chain, event device first, then each parent up to the root.
struct Event {
    action: &'static str,
    chain: Vec<SysDev>,
}

/// What the rules did to the device.
#[derive(Debug, Default)]
struct Outcome {
    env: BTreeMap<String, String>,
    tags: BTreeSet<String>,
    group: Option<String>,
    mode: Option<String>,
    final_keys: BTreeSet<&'static str>,
}

/// udev's patterns: `|` separates alternatives; each is a shell glob with `*`, `?` and `[…]`
/// (ranges with `-`, negation with a leading `!`).
fn pattern_matches(pattern: &str, value: &str) -> bool {
    let value: Vec<char> = value.chars().collect();
    pattern
        .split('|')
        .any(|alt| glob(&alt.chars().collect::<Vec<_>>(), &value))
}

fn glob(p: &[char], v: &[char]) -> bool {
    match p.first() {
        None => v.is_empty(),
        Some('*') => (0..=v.len()).any(|skip| glob(&p[1..], &v[skip..])),
        Some('?') => !v.is_empty() && glob(&p[1..], &v[1..]),
        Some('[') => {
            let Some(close) = p.iter().skip(2).position(|&c| c == ']').map(|i| i + 2) else {
                return v.first() == Some(&'[') && glob(&p[1..], &v[1..]);
            };
            let Some(&c) = v.first() else { return false };
            let (negate, set) = match p[1] {
                '!' => (true, &p[2..close]),
                _ => (false, &p[1..close]),
            };
            let mut hit = false;
            let mut i = 0;
            while i < set.len() {
                if i + 2 < set.len() && set[i + 1] == '-' {
                    hit |= (set[i]..=set[i + 2]).contains(&c);
                    i += 3;
                } else {
                    hit |= set[i] == c;
                    i += 1;
                }
            }
            hit != negate && glob(&p[close + 1..], &v[1..])
        }
        Some(&c) => v.first() == Some(&c) && glob(&p[1..], &v[1..]),
    }
}

fn string_matches(expr: &Expr, value: &str) -> bool {
    pattern_matches(&expr.value, value) == (expr.op == Op::Eq)
}

/// The keys "searched upwards": all of them in one rule must match on one and the same device.
const PARENT_KEYS: &[&str] = &["KERNELS", "SUBSYSTEMS", "DRIVERS", "ATTRS", "TAGS"];

fn parent_key_matches(expr: &Expr, dev: &SysDev) -> bool {
    match expr.key.as_str() {
        "KERNELS" => string_matches(expr, &dev.kernel),
        "SUBSYSTEMS" => string_matches(expr, &dev.subsystem),
        "DRIVERS" => string_matches(expr, &dev.driver),
        // A device without the attribute never matches, whatever the operator.
        "ATTRS" => attr_matches(expr, dev),
        other => panic!("the evaluator does not model {other}; extend it with the rules"),
    }
}

fn attr_matches(expr: &Expr, dev: &SysDev) -> bool {
    let name = expr.attr.as_deref().unwrap_or_default();
    // "Trailing whitespace in the attribute values is ignored."
    dev.attrs
        .get(name)
        .is_some_and(|v| string_matches(expr, v.trim_end()))
}

fn rule_matches(rule: &Rule, event: &Event, out: &Outcome) -> bool {
    let dev = &event.chain[0];
    for expr in rule
        .exprs
        .iter()
        .filter(|e| e.op.is_match() && !PARENT_KEYS.contains(&e.key.as_str()))
    {
        let ok = match expr.key.as_str() {
            "ACTION" => string_matches(expr, event.action),
            "SUBSYSTEM" => string_matches(expr, &dev.subsystem),
            "KERNEL" => string_matches(expr, &dev.kernel),
            "DRIVER" => string_matches(expr, &dev.driver),
            "ATTR" => attr_matches(expr, dev),
            // An unset property compares as the empty string.
            "ENV" => {
                let key = expr.attr.as_deref().unwrap_or_default();
                string_matches(expr, out.env.get(key).map_or("", String::as_str))
            }
            // "Only one needs to match"; with "!=" true only if none matches.
            "TAG" => {
                let any = out.tags.iter().any(|t| pattern_matches(&expr.value, t));
                any == (expr.op == Op::Eq)
            }
            other => panic!(
                "the evaluator does not model the match key {other}; extend it with the rules"
            ),
        };
        if !ok {
            return false;
        }
    }
    let parent_exprs: Vec<&Expr> = rule
        .exprs
        .iter()
        .filter(|e| PARENT_KEYS.contains(&e.key.as_str()))
        .collect();
    parent_exprs.is_empty()
        || event
            .chain
            .iter()
            .any(|d| parent_exprs.iter().all(|e| parent_key_matches(e, d)))
}

fn literal(expr: &Expr) -> &str {
    assert!(
        !expr.value.contains(['$', '%']),
        "the evaluator does not model substitutions: {}{}\"{}\"",
        expr.key,
        expr.op.spelling(),
        expr.value
    );
    &expr.value
}

/// `=` and `:=` on a single-valued key, honouring an earlier `:=`.
fn assign_once(
    slot: &mut Option<String>,
    finals: &mut BTreeSet<&'static str>,
    key: &'static str,
    expr: &Expr,
) {
    if finals.contains(key) {
        return;
    }
    *slot = Some(literal(expr).to_string());
    if expr.op == Op::Final {
        finals.insert(key);
    }
}

/// Runs the rules on one event, the way udevd walks one rules file: in order, skipping forward to
/// the LABEL named by a GOTO whose rule matched.
fn evaluate(rules: &[Rule], event: &Event) -> Outcome {
    let mut out = Outcome::default();
    let mut index = 0;
    while index < rules.len() {
        let rule = &rules[index];
        index += 1;
        if !rule_matches(rule, event, &out) {
            continue;
        }
        let mut jump = None;
        for expr in rule.exprs.iter().filter(|e| !e.op.is_match()) {
            match expr.key.as_str() {
                "ENV" => {
                    let key = expr.attr.clone().unwrap_or_default();
                    out.env.insert(key, literal(expr).to_string());
                }
                "TAG" => {
                    let tag = literal(expr).to_string();
                    match expr.op {
                        Op::Add => {
                            out.tags.insert(tag);
                        }
                        Op::Remove => {
                            out.tags.remove(&tag);
                        }
                        _ => out.tags = BTreeSet::from([tag]),
                    }
                }
                "GROUP" => assign_once(&mut out.group, &mut out.final_keys, "GROUP", expr),
                "MODE" => assign_once(&mut out.mode, &mut out.final_keys, "MODE", expr),
                "GOTO" => jump = Some(expr.value.clone()),
                "LABEL" => {}
                other => panic!("the evaluator does not model the assignment {other}; extend it"),
            }
        }
        if let Some(label) = jump {
            let target = rules[index..]
                .iter()
                .position(|r| r.get("LABEL").is_some_and(|l| l.value == label))
                .unwrap_or_else(|| panic!("GOTO=\"{label}\" without a later LABEL"));
            index += target;
        }
    }
    out
}

/// The sysfs chain of a hidraw node of a USB HID device, as the kernel builds it:
/// hidraw → hid → usb_interface → usb_device → root hub.
fn usb_hidraw(vid: &str, pid: &str, product: &str, interface: &str) -> Vec<SysDev> {
    let hid_name = format!("0003:{}:{}.0007", vid.to_uppercase(), pid.to_uppercase());
    vec![
        SysDev::new("hidraw", "hidraw3", "", &[("dev", "241:3")]),
        SysDev::new("hid", &hid_name, "hid-generic", &[("country", "00")]),
        SysDev::new(
            "usb",
            &format!("1-2:1.{interface}"),
            "usbhid",
            &[
                ("bInterfaceClass", "03"),
                ("bInterfaceNumber", &format!("0{interface}")),
            ],
        ),
        SysDev::new(
            "usb",
            "1-2",
            "usb",
            &[
                ("idVendor", vid),
                ("idProduct", pid),
                ("product", product),
                ("bcdDevice", "0543"),
            ],
        ),
        SysDev::new(
            "usb",
            "usb1",
            "usb",
            &[("idVendor", "1d6b"), ("idProduct", "0002")],
        ),
    ]
}

fn yubikey_5_nfc_hidraw() -> Vec<SysDev> {
    // The YubiKey 5 NFC's factory configuration: OTP+FIDO+CCID, 1050:0407; interface 0 is the
    // OTP keyboard, interface 1 the FIDO HID.
    usb_hidraw("1050", "0407", "YubiKey OTP+FIDO+CCID", "0")
}

fn assert_granted(out: &Outcome, what: &str) {
    assert!(
        out.tags.contains("uaccess"),
        "{what}: no uaccess tag ({out:?})"
    );
    assert_eq!(
        out.group.as_deref(),
        Some("plugdev"),
        "{what}: group ({out:?})"
    );
    assert_eq!(out.mode.as_deref(), Some("0660"), "{what}: mode ({out:?})");
}

fn assert_untouched(out: &Outcome, what: &str) {
    assert!(
        out.tags.is_empty() && out.group.is_none() && out.mode.is_none() && out.env.is_empty(),
        "{what}: the rules touched it: {out:?}"
    );
}

#[test]
fn yubikey_5_nfc_hidraw_gets_uaccess_and_the_group() {
    let rules = parsed_rules();
    for action in ["add", "change"] {
        let out = evaluate(
            &rules,
            &Event {
                action,
                chain: yubikey_5_nfc_hidraw(),
            },
        );
        assert_granted(&out, &format!("YubiKey 5 NFC hidraw, {action}"));
    }
    // The FIDO interface's node is granted just the same.
    let fido = usb_hidraw("1050", "0407", "YubiKey OTP+FIDO+CCID", "1");
    assert_granted(
        &evaluate(
            &rules,
            &Event {
                action: "add",
                chain: fido,
            },
        ),
        "FIDO interface",
    );
}

#[test]
fn remove_events_are_left_alone() {
    let out = evaluate(
        &parsed_rules(),
        &Event {
            action: "remove",
            chain: yubikey_5_nfc_hidraw(),
        },
    );
    assert_untouched(&out, "remove event");
}

#[test]
fn every_yubikey_hid_configuration_is_granted() {
    let rules = parsed_rules();
    for (pid, family) in YUBICO_HID_PRODUCTS {
        let out = evaluate(
            &rules,
            &Event {
                action: "add",
                chain: usb_hidraw("1050", pid, family, "0"),
            },
        );
        assert_granted(&out, &format!("1050:{pid} {family}"));
    }
    // And the file lists exactly these: no id without a test, no test without an id.
    let mut listed = BTreeSet::new();
    for rule in &rules {
        for expr in rule
            .exprs
            .iter()
            .filter(|e| e.attr.as_deref() == Some("idProduct"))
        {
            listed.extend(expr.value.split('|').map(str::to_string));
        }
    }
    let expected: BTreeSet<String> = YUBICO_HID_PRODUCTS
        .iter()
        .map(|(p, _)| p.to_string())
        .collect();
    assert_eq!(listed, expected);
}

#[test]
fn ccid_only_and_unknown_yubico_ids_are_not_granted() {
    let rules = parsed_rules();
    for pid in ["0112", "0404", "0211", "ffff"] {
        let out = evaluate(
            &rules,
            &Event {
                action: "add",
                chain: usb_hidraw("1050", pid, "?", "0"),
            },
        );
        assert_untouched(&out, &format!("1050:{pid}"));
    }
}

#[test]
fn other_vendors_hidraw_is_left_alone() {
    let rules = parsed_rules();
    // A Logitech Unifying receiver, a Nitrokey 3 and a SoloKey: hidraw nodes of other vendors.
    for (vid, pid) in [("046d", "c52b"), ("20a0", "42b2"), ("1209", "beee")] {
        let out = evaluate(
            &rules,
            &Event {
                action: "add",
                chain: usb_hidraw(vid, pid, "other", "0"),
            },
        );
        assert_untouched(&out, &format!("{vid}:{pid}"));
    }
}

#[test]
fn yubico_nodes_that_are_not_hidraw_are_left_alone() {
    let rules = parsed_rules();
    let hidraw = yubikey_5_nfc_hidraw();
    // The USB device itself (what libusb and pcscd's CCID driver open) and its interface.
    let usb_device = hidraw[3..].to_vec();
    let usb_interface = hidraw[2..].to_vec();
    // The input device and its event node for the OTP keyboard: a key that types is not ours to open.
    let mut input = vec![SysDev::new(
        "input",
        "input42",
        "",
        &[("name", "Yubico YubiKey OTP+FIDO+CCID")],
    )];
    input.extend(hidraw[1..].iter().cloned());
    let mut event = vec![SysDev::new("input", "event7", "", &[])];
    event.extend(input.iter().cloned());
    // A hidraw-looking name in another subsystem.
    let mut misnamed = hidraw.clone();
    misnamed[0].subsystem = "misc".into();
    for (what, chain) in [
        ("usb_device", usb_device),
        ("usb_interface", usb_interface),
        ("input", input),
        ("input event node", event),
        ("misc node named hidraw3", misnamed),
    ] {
        let out = evaluate(
            &rules,
            &Event {
                action: "add",
                chain,
            },
        );
        assert_untouched(&out, what);
    }
}

#[test]
fn evaluator_follows_udev_semantics() {
    // Parent keys must all match on one device: idVendor on one parent and idProduct on another
    // is no match.
    let rules = parse_rules(
        r#"SUBSYSTEM=="hidraw", ATTRS{idVendor}=="1050", ATTRS{idProduct}=="0407", TAG+="uaccess""#,
    )
    .expect("valid");
    let mut split = usb_hidraw("1d6b", "0407", "x", "0");
    split[1].attrs.insert("idVendor".into(), "1050".into());
    assert_untouched(
        &evaluate(
            &rules,
            &Event {
                action: "add",
                chain: split,
            },
        ),
        "split attributes",
    );
    // ":=" makes a later assignment a no-op.
    let rules =
        parse_rules("SUBSYSTEM==\"hidraw\", MODE:=\"0600\"\nSUBSYSTEM==\"hidraw\", MODE=\"0666\"")
            .expect("valid");
    let out = evaluate(
        &rules,
        &Event {
            action: "add",
            chain: yubikey_5_nfc_hidraw(),
        },
    );
    assert_eq!(out.mode.as_deref(), Some("0600"));
    // Globs.
    assert!(pattern_matches("hidraw*", "hidraw12"));
    assert!(pattern_matches("0401|0407", "0407"));
    assert!(!pattern_matches("0401|0407", "0404"));
    assert!(pattern_matches("sd[a-c]?", "sdb1"));
    assert!(!pattern_matches("sd[!a-c]", "sdb"));
    assert!(pattern_matches("", ""));
}

// ---------------------------------------------------------------------------------------------
// (c) udevadm verify, where the machine has it (systemd >= 254)
// ---------------------------------------------------------------------------------------------

fn udevadm() -> Option<PathBuf> {
    let out = Command::new("sh")
        .args(["-c", "command -v udevadm"])
        .output()
        .ok()?;
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !path.is_empty()).then(|| PathBuf::from(path))
}

#[test]
fn udevadm_verify_accepts_the_rules() {
    let Some(udevadm) = udevadm() else {
        eprintln!("skipped: no udevadm on this machine (Debian package `udev`)");
        return;
    };
    let probe = Command::new(&udevadm)
        .args(["verify", "--help"])
        .output()
        .expect("running udevadm");
    if !probe.status.success() {
        let version = Command::new(&udevadm)
            .arg("--version")
            .output()
            .map(|o| o.stdout)
            .unwrap_or_default();
        eprintln!(
            "skipped: {} (systemd {}) has no `verify` (systemd >= 254): {}",
            udevadm.display(),
            String::from_utf8_lossy(&version).trim(),
            String::from_utf8_lossy(&probe.stderr).trim()
        );
        return;
    }
    let mut verify = Command::new(&udevadm);
    verify.arg("verify");
    // Group names are resolved by default; a machine without plugdev (not Debian) would fail on
    // that alone, which is a property of the machine, not of the file.
    let has_plugdev = Command::new("getent")
        .args(["group", "plugdev"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_plugdev {
        eprintln!("no plugdev group here: verifying with --resolve-names=never");
        verify.arg("--resolve-names=never");
    }
    let out = verify
        .arg(rules_path())
        .output()
        .expect("running udevadm verify");
    assert!(
        out.status.success(),
        "udevadm verify failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
