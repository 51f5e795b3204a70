//! `--cli-input-json` as the AWS CLI takes it (a JSON string, or `file://PATH`), and the skeleton
//! `--generate-cli-skeleton` prints. Only reading and shape are checked here; the values are checked
//! by [`crate::request`] like the flags they stand for. A key may appear once; the keys `codes
//! --output json` adds (`Counters`, `Period`) are accepted and ignored, so its output feeds back.

use serde_json::Value;

use crate::files::{self, FileProblem};
use crate::model::name_hint;
use crate::model::{Field, InputError, Origin, looks_like_seed, refuse_seed};
use crate::request::Given;
use crate::request::json_object::{Members, NotAnObject};

/// The JSON `--generate-cli-skeleton` prints, as the AWS CLI's for `resync-mfa-device`.
pub const CLI_SKELETON: &str = r#"{
    "UserName": "",
    "SerialNumber": "",
    "AuthenticationCode1": "",
    "AuthenticationCode2": ""
}"#;

/// The four fields `--cli-input-json` may carry.
#[derive(Debug, Default)]
pub struct JsonInput {
    /// `UserName`
    pub user_name: Option<String>,
    /// `SerialNumber`
    pub serial_number: Option<String>,
    /// `AuthenticationCode1`
    pub code1: Option<String>,
    /// `AuthenticationCode2`
    pub code2: Option<String>,
}

const JSON_KEYS: [&str; 4] = [
    "UserName",
    "SerialNumber",
    "AuthenticationCode1",
    "AuthenticationCode2",
];

/// Keys that `codes --output json` prints besides the codes: taken and ignored, so that its output
/// can be fed back as it is (`codes --output json > req.json`, then `--cli-input-json file://req.json`).
pub const IGNORED_KEYS: [&str; 2] = ["Counters", "Period"];

/// The most `--cli-input-json file://` reads: a request is a few hundred bytes.
pub const MAX_JSON_BYTES: u64 = 64 * 1024;

const START_HINT: &str = "start from `mfa-resync resync --generate-cli-skeleton`";

fn json_error(problem: impl Into<String>, hint: impl Into<String>) -> InputError {
    InputError::invalid(Field::flag("--cli-input-json"), problem, hint)
}

/// Parses `--cli-input-json` (a JSON string, or `file://PATH` as the AWS CLI takes it). A key that
/// is missing, `null` or an empty string (as in an unfilled skeleton) is not given: the flags, the
/// defaults or the code source fill it.
pub fn parse(arg: &str) -> Result<JsonInput, InputError> {
    let text = match arg.strip_prefix("file://") {
        Some(path) => read_json_file(path)?,
        None => arg.to_string(),
    };
    let members = Members::parse(&text).map_err(|problem| match problem {
        NotAnObject::Invalid { line, column } => json_error(
            format!("is not valid JSON (line {line}, column {column})"),
            not_json_hint(arg),
        ),
        NotAnObject::OtherValue => json_error("must be a JSON object", START_HINT),
    })?;
    if let Some(key) = members.duplicate() {
        return Err(json_error(
            format!("has the key {} twice", shown_key(key)),
            "give each key once",
        ));
    }
    let mut input = JsonInput::default();
    for (key, value) in members.0 {
        if IGNORED_KEYS.contains(&key.as_str()) {
            // Ignored, but only in the shape `codes` prints: anything else is a mistake worth
            // naming (and a value never to repeat).
            let fits = match &value {
                Value::Array(items) => key == "Counters" && items.iter().all(Value::is_u64),
                Value::Number(_) => key == "Period",
                Value::Null => true,
                _ => false,
            };
            if !fits {
                return Err(json_error(
                    format!(
                        "{key} must be {} as `codes --output json` prints it",
                        if key == "Counters" {
                            "an array of numbers"
                        } else {
                            "a number"
                        }
                    ),
                    "leave it as `codes` printed it, or drop the key (it is ignored)",
                ));
            }
            continue;
        }
        let slot = match key.as_str() {
            "UserName" => &mut input.user_name,
            "SerialNumber" => &mut input.serial_number,
            "AuthenticationCode1" => &mut input.code1,
            "AuthenticationCode2" => &mut input.code2,
            _ => {
                return Err(json_error(
                    format!("unknown parameter {}", shown_key(&key)),
                    format!(
                        "the parameters are {} ({} are ignored, as `codes --output json` prints them)",
                        JSON_KEYS.join(", "),
                        IGNORED_KEYS.join(" and ")
                    ),
                ));
            }
        };
        match value {
            Value::String(s) if s.is_empty() => {}
            Value::String(s) => *slot = Some(s),
            Value::Null => {}
            _ => {
                return Err(json_error(
                    format!("{key} must be a string"),
                    format!("write it in quotes, e.g. \"{key}\": \"…\""),
                ));
            }
        }
    }
    Ok(input)
}

/// A key as an error may show it: quoted and cut short, or not at all when it looks like a seed.
fn shown_key(key: &str) -> String {
    if looks_like_seed(key) {
        "(not shown: it looks like a seed)".into()
    } else {
        format!("{:?}", key.chars().take(64).collect::<String>())
    }
}

/// What to say when the argument is not JSON: a path given without `file://` (the AWS CLI's users
/// expect the prefix), or JSON that is broken.
fn not_json_hint(arg: &str) -> String {
    let looks_like_json = arg.trim_start().starts_with(['{', '[', '"']);
    if !looks_like_json && !looks_like_seed(arg) && std::path::Path::new(arg).is_file() {
        format!("to read the file, write file://{arg}")
    } else if !looks_like_json {
        "give the JSON itself, or file://PATH to read it from a file".into()
    } else {
        START_HINT.into()
    }
}

/// Reads `file://PATH`: a regular file (never a FIFO or a device), at most [`MAX_JSON_BYTES`].
fn read_json_file(path: &str) -> Result<String, InputError> {
    refuse_seed(
        Field::flag("--cli-input-json"),
        path,
        &name_hint("file:// takes the path of a JSON file"),
    )?;
    let bytes =
        files::read_regular(std::path::Path::new(path), MAX_JSON_BYTES).map_err(|problem| {
            let problem = match problem {
                FileProblem::Open(e) | FileProblem::Read(e) => {
                    format!("cannot read {path} ({})", files::io_reason(&e))
                }
                FileProblem::NotRegular(what) => {
                    format!("cannot read {path}: it is {what}, not a regular file")
                }
                FileProblem::TooBig { limit } => {
                    format!(
                        "cannot read {path}: it is over {limit} bytes; a request is a few hundred"
                    )
                }
            };
            json_error(
                problem,
                "give file:// followed by the path of a JSON file, e.g. file://request.json",
            )
        })?;
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        json_error(
            format!("cannot read {path}: it is not UTF-8 text"),
            "save the request as UTF-8 JSON",
        )
    })
}

/// A flag's value wins over the JSON's; the origin says which one to name in an error.
pub fn pick(flag: Option<String>, json: Option<String>) -> Option<Given> {
    flag.map(|value| Given {
        value,
        origin: Origin::Flag,
    })
    .or(json.map(|value| Given {
        value,
        origin: Origin::Json,
    }))
}
