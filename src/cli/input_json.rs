//! `--cli-input-json` as the AWS CLI takes it (a JSON string, or `file://PATH`), and the skeleton
//! `--generate-cli-skeleton` prints. Only reading and shape are checked here; the values are checked
//! by [`crate::request`] like the flags they stand for. A key may appear once; the keys `codes
//! --output json` adds (`Counters`, `Period`) are accepted and ignored, so its output feeds back.

use serde_json::Value;

use crate::files;
use crate::model::{
    Field, InputError, JsonFix, JsonProblem, Origin, Problem, Takes, looks_like_seed, refuse_seed,
};
use crate::request::IGNORED_JSON_KEYS as IGNORED_KEYS;
use crate::request::json_object::{Members, NotAnObject, shown};
use crate::request::{Given, ResyncInput};

/// The JSON `--generate-cli-skeleton` prints, as the AWS CLI's for `resync-mfa-device`.
pub const CLI_SKELETON: &str = r#"{
    "UserName": "",
    "SerialNumber": "",
    "AuthenticationCode1": "",
    "AuthenticationCode2": ""
}"#;

/// The most `--cli-input-json file://` reads: a request is a few hundred bytes.
pub const MAX_JSON_BYTES: u64 = 64 * 1024;

fn json_error(problem: JsonProblem) -> InputError {
    InputError::flag("--cli-input-json", Problem::Json(problem))
}

/// Parses `--cli-input-json` (a JSON string, or `file://PATH` as the AWS CLI takes it). A key that
/// is missing, `null` or an empty string (as in an unfilled skeleton) is not given: the flags, the
/// defaults or the code source fill it.
pub fn parse(arg: &str) -> Result<ResyncInput, InputError> {
    let text = match arg.strip_prefix("file://") {
        Some(path) => read_json_file(path)?,
        None => arg.to_string(),
    };
    let members = Members::parse(&text).map_err(|problem| {
        json_error(match problem {
            NotAnObject::Invalid { line, column } => JsonProblem::NotJson {
                line,
                column,
                fix: not_json_fix(arg),
            },
            NotAnObject::OtherValue => JsonProblem::NotAnObject,
        })
    })?;
    if let Some(key) = members.duplicate() {
        return Err(json_error(JsonProblem::KeyTwice {
            key: shown(key, 64),
        }));
    }
    let mut input = ResyncInput::default();
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
                return Err(json_error(JsonProblem::IgnoredKeyShape { key }));
            }
            continue;
        }
        let slot = match key.as_str() {
            "UserName" => &mut input.user_name,
            "SerialNumber" => &mut input.serial_number,
            "AuthenticationCode1" => &mut input.code1,
            "AuthenticationCode2" => &mut input.code2,
            _ => {
                return Err(json_error(JsonProblem::UnknownKey {
                    key: shown(&key, 64),
                }));
            }
        };
        match value {
            Value::String(s) if s.is_empty() => {}
            Value::String(value) => {
                *slot = Some(Given {
                    value,
                    origin: Origin::Json,
                })
            }
            Value::Null => {}
            _ => return Err(json_error(JsonProblem::NotAString { key })),
        }
    }
    Ok(input)
}

/// What to do when the argument is not JSON: a path given without `file://` (the AWS CLI's users
/// expect the prefix), or JSON that is broken.
fn not_json_fix(arg: &str) -> JsonFix {
    let looks_like_json = arg.trim_start().starts_with(['{', '[', '"']);
    if !looks_like_json && !looks_like_seed(arg) && std::path::Path::new(arg).is_file() {
        JsonFix::FilePrefix(arg.to_string())
    } else if !looks_like_json {
        JsonFix::GiveJson
    } else {
        JsonFix::Skeleton
    }
}

/// Reads `file://PATH`: a regular file (never a FIFO or a device), at most [`MAX_JSON_BYTES`].
fn read_json_file(path: &str) -> Result<String, InputError> {
    refuse_seed(Field::flag("--cli-input-json"), path, Takes::JsonFile)?;
    let path = path.to_string();
    let bytes =
        files::read_regular(std::path::Path::new(&path), MAX_JSON_BYTES).map_err(|problem| {
            json_error(JsonProblem::Read {
                path: path.clone(),
                problem: problem.into(),
            })
        })?;
    String::from_utf8(bytes.to_vec()).map_err(|_| json_error(JsonProblem::NotUtf8 { path }))
}
