//! The layering holds: read every `src/` file's `crate::…` and `super::…` paths and check the
//! rules of ARCHITECTURE.md's layers, so that a change that breaks them fails `cargo test`.
//!
//! - no import circle among files (a parent `mod.rs` and its own children may use each other);
//! - only the entry (`lib.rs`, `main.rs`) and `cli/` itself import `cli`;
//! - the device layer (`source/`) and the AWS layer (`aws/`) never import each other, and the window
//!   planner imports neither;
//! - the AWS layer takes its own options, never a request (`aws/` does not import `request`);
//! - a command runs the pipeline and reports: `commands/` imports neither `source` nor `aws`;
//! - the reporter never reads the terminal (no stdin, no termios in `report/`): prompts are the
//!   device layer's;
//! - no file is over 500 lines, tests included.
//!
//! The test bed (`testbed/src/`) keeps the first and the last rule too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The most lines a file may have: small enough to hold in one's head.
const MAX_LINES: usize = 500;

/// A module path, `crate::a::b`, as segments after `crate`.
type Module = Vec<String>;

fn module_of(src: &Path, file: &Path) -> Module {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text with comments and string literals blanked, so that a path in a doc comment or a
/// message is not taken for an import.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                out.push(' ');
                let mut escaped = false;
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                    }
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The text without its line comments (string literals kept): a line is cut at its first `//`,
/// which is enough to tell code from prose here.
fn code_only_keeping_strings(text: &str) -> String {
    text.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Expands `a::{b, c::{d, e}}` into `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.len().saturating_sub(1)];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(&format!("{prefix}{p}")))
        .collect()
}

/// Every module path a file refers to, absolute.
fn references(module: &Module, is_mod_file: bool, code: &str) -> Vec<Module> {
    let mut paths = Vec::new();
    // `use` trees, possibly over several lines.
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let before_ok = at == 0
            || !rest[..at]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
        let after = &rest[at + 4..];
        let end = after.find(';').unwrap_or(after.len());
        if before_ok {
            paths.extend(expand(&after[..end]));
        }
        rest = &after[end..];
    }
    // Paths written inline: `crate::a::b::f()`.
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let tail: String = rest[at..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        paths.push(tail);
        rest = &rest[at + 7..];
    }
    // Relative paths resolve against the file's module (`super` of a mod.rs is its parent).
    let mut resolved = Vec::new();
    for path in paths {
        let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        let (mut base, rest): (Module, &[&str]) = match segments.first() {
            Some(&"crate") => (Vec::new(), &segments[1..]),
            Some(&"super") | Some(&"self") => {
                let mut base = module.clone();
                let mut i = 0;
                while let Some(s) = segments.get(i) {
                    match *s {
                        "super" => {
                            base.pop();
                        }
                        "self" => {}
                        _ => break,
                    }
                    i += 1;
                }
                // `self::` of a non-mod file and `super::` of a mod file differ by one level.
                if segments[0] == "self" && !is_mod_file {
                    base = module.clone();
                }
                (base, &segments[i..])
            }
            _ => continue,
        };
        // Items past the module (types, functions) are cut off by `owner`.
        base.extend(rest.iter().map(|s| (*s).to_string()));
        resolved.push(base);
    }
    resolved
}

/// The file module a path lands in: its longest prefix that is a module of the crate.
fn owner(path: &Module, modules: &BTreeSet<Module>) -> Option<Module> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
}

struct Crate {
    /// Each module (file) with the modules it imports.
    edges: BTreeMap<Module, BTreeSet<Module>>,
    /// Lines per file.
    lines: BTreeMap<PathBuf, usize>,
    /// The reporter's files that read from the terminal.
    reads_terminal: Vec<PathBuf>,
}

/// What reading the terminal looks like in code: its input stream, a line read, its modes.
const TERMINAL_READS: [&str; 5] = ["stdin", "read_line", "termios", "/dev/tty", "read_secret"];

fn read_crate(src: &Path) -> Crate {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<Module> = files.iter().map(|f| module_of(src, f)).collect();
    let mut edges = BTreeMap::new();
    let mut lines = BTreeMap::new();
    let mut reads_terminal = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read a source file");
        lines.insert(file.clone(), text.lines().count());
        let module = module_of(src, file);
        // Strings count here: a path to the terminal is one.
        let code = code_only_keeping_strings(&text);
        if under(&module, "report") && TERMINAL_READS.iter().any(|t| code.contains(t)) {
            reads_terminal.push(file.clone());
        }
        let is_mod = file
            .file_name()
            .is_some_and(|n| n == "mod.rs" || n == "lib.rs" || n == "main.rs");
        let imports: BTreeSet<Module> = references(&module, is_mod, &code_only(&text))
            .iter()
            .filter_map(|p| owner(p, &modules))
            .filter(|m| *m != module)
            .collect();
        edges.insert(module, imports);
    }
    Crate {
        edges,
        lines,
        reads_terminal,
    }
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

/// Whether `a` is the parent module of `b` or the other way round.
fn parent_and_child(a: &Module, b: &Module) -> bool {
    (b.len() == a.len() + 1 && b.starts_with(a)) || (a.len() == b.len() + 1 && a.starts_with(b))
}

/// The import circles, each as its members (Tarjan's strongly connected components), leaving out
/// the edges between a parent module and its own children.
fn circles(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        on_stack: BTreeSet<&'a Module>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a Module) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        w.on_stack.insert(v);
        let edges = w.edges;
        for u in edges.get(v).into_iter().flatten() {
            if parent_and_child(v, u) || !edges.contains_key(u) {
                continue;
            }
            if !w.index.contains_key(u) {
                visit(w, u);
                let low = w.low[v].min(w.low[u]);
                w.low.insert(v, low);
            } else if w.on_stack.contains(u) {
                let low = w.low[v].min(w.index[u]);
                w.low.insert(v, low);
            }
        }
        if w.low[v] == w.index[v] {
            let mut members = Vec::new();
            while let Some(u) = w.stack.pop() {
                w.on_stack.remove(u);
                members.push(name(u));
                if u == v {
                    break;
                }
            }
            if members.len() > 1 {
                members.sort();
                w.found.push(members);
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v) {
            visit(&mut walk, v);
        }
    }
    walk.found
}

fn under(m: &Module, top: &str) -> bool {
    m.first().is_some_and(|s| s == top)
}

/// Every broken rule, as a line.
fn violations(krate: &Crate) -> Vec<String> {
    let mut found = Vec::new();
    for circle in circles(&krate.edges) {
        found.push(format!("import circle: {}", circle.join(" ↔ ")));
    }
    for (from, imports) in &krate.edges {
        for to in imports {
            let rule = if under(to, "cli") && !(from.is_empty() || under(from, "cli")) {
                Some("only the entry and cli/ itself may import cli")
            } else if under(from, "source") && under(to, "aws") {
                Some("the device layer never imports the AWS layer")
            } else if under(from, "aws") && under(to, "source") {
                Some("the AWS layer never imports the device layer")
            } else if under(from, "window") && (under(to, "aws") || under(to, "source")) {
                Some("the window planner knows neither devices nor AWS")
            } else if under(from, "aws") && under(to, "request") {
                Some("the AWS layer takes its own options, never a request")
            } else if under(from, "commands") && (under(to, "source") || under(to, "aws")) {
                Some("a command runs the pipeline; it reaches no device and no AWS itself")
            } else if under(from, "model") && !under(to, "model") {
                Some("the domain's values import nothing of the crate's but themselves")
            } else if under(from, "messages") && (under(to, "pipeline") || under(to, "commands")) {
                Some("the catalogue words what the layers say; it reaches into no flow")
            } else {
                None
            };
            if let Some(rule) = rule {
                found.push(format!("{} imports {}: {rule}", name(from), name(to)));
            }
        }
    }
    for file in &krate.reads_terminal {
        found.push(format!(
            "{} reads the terminal: the reporter only writes (prompts are the device layer's)",
            file.display()
        ));
    }
    for (file, lines) in &krate.lines {
        if *lines > MAX_LINES {
            found.push(format!(
                "{} has {lines} lines; at most {MAX_LINES} (split it along its seams, or move its tests beside it)",
                file.display()
            ));
        }
    }
    found
}

#[test]
fn the_source_tree_keeps_its_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let krate = read_crate(&src);
    assert!(krate.edges.len() > 20, "read the whole crate");
    let found = violations(&krate);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_check_finds_what_it_is_for() {
    // A tree with each kind of fault, to prove the check is not blind.
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    let write = |path: &str, text: &str| {
        let path = src.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "lib.rs",
        "pub mod a; pub mod b; pub mod cli; pub mod source; pub mod aws; pub mod window; pub mod model; pub mod messages; pub mod report; pub mod pipeline;",
    );
    write("a.rs", "use crate::b::Thing;");
    write(
        "b.rs",
        "use crate::{a::Other, cli};\n// use crate::aws::Ignored; (a comment)",
    );
    write("cli/mod.rs", "pub mod args;\nuse self::args::X;");
    write("cli/args.rs", "use super::Y; pub struct X;");
    write("source/mod.rs", "use crate::aws::Client;");
    write("aws/mod.rs", "fn f() { let m = \"crate::source::Code\"; }");
    write("window.rs", &"// line\n".repeat(MAX_LINES + 1));
    write("request.rs", "");
    write("aws/options.rs", "use crate::request::AwsOptions;");
    write("commands/mod.rs", "use crate::source::yubikey;");
    write(
        "report/mod.rs",
        "// stdin is not read here\nfn ask() { std::io::stdin().read_line(&mut s); }",
    );
    write("report/ok.rs", "// reads no stdin: a comment is not code");
    write("model/mod.rs", "use crate::report::Shown;");
    write("messages/mod.rs", "use crate::pipeline::MapError;");
    write("pipeline/mod.rs", "pub struct MapError;");
    let found = violations(&read_crate(src));
    let text = found.join("\n");
    assert!(text.contains("import circle: a ↔ b"), "{text}");
    assert!(text.contains("b imports cli"), "{text}");
    assert!(text.contains("source imports aws"), "{text}");
    assert!(
        !text.contains("aws imports source"),
        "strings are not imports: {text}"
    );
    assert!(
        !text.contains("cli::args ↔ cli"),
        "a parent and its child may: {text}"
    );
    assert!(text.contains("window.rs has 501 lines"), "{text}");
    assert!(text.contains("aws::options imports request"), "{text}");
    assert!(text.contains("commands imports source"), "{text}");
    assert!(text.contains("report/mod.rs reads the terminal"), "{text}");
    assert!(!text.contains("report/ok.rs"), "{text}");
    assert!(text.contains("model imports report"), "{text}");
    assert!(text.contains("messages imports pipeline"), "{text}");
    assert_eq!(found.len(), 9, "{text}");
}

#[test]
fn the_test_bed_has_no_import_circle_and_no_oversized_file() {
    // The layers above are the product's; the test bed keeps the other two rules, so that a
    // reader of iam-local or the virtual YubiKey can follow it the same way.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("testbed/src");
    let krate = read_crate(&src);
    assert!(krate.edges.len() > 10, "read the whole test bed");
    let found = violations(&krate);
    assert!(found.is_empty(), "{}", found.join("\n"));
}
