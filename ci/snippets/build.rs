//! Turns every Rust code block in the book's chapters into a test, with skeptic.
//!
//! skeptic 0.14.2 does the work for `rust`, `rust,no_run` and `rust,should_panic`
//! blocks. Two things it cannot do are added here:
//!
//! - `rust,compile_fail,E0277` blocks (code the text says the compiler rejects):
//!   skeptic would compile them and fail, so it is handed a copy of the chapter in
//!   which their fences say `text`, and this script writes their tests itself
//!   (`compile-fail-tests.rs`). Such a test passes only if the compiler rejects the
//!   block with exactly the error codes the fence names, and, if the chapter shows
//!   the compiler's message in a `compiler-output` block right after it, only if
//!   the message contains that text. A `rust,should_panic` block gets a second test
//!   here that it compiles, so it cannot pass by not compiling.
//! - Edition 2024: skeptic compiles each snippet with `--edition=2021` (the newest
//!   edition it knows). skeptic runs whatever `RUSTC` names, so this build script
//!   sets `RUSTC`, for the test run only, to its own executable, and when started
//!   that way it acts as rustc: it swaps the edition for 2024 and hands everything
//!   to the real compiler. For a compile_fail test (its source ends in `//@
//!   book-snippets` lines) it also reads the compiler's diagnostics and succeeds
//!   only if they are the expected ones. `edition-2024.md` beside this file holds
//!   snippets that fail unless the edition swap happened.

use std::env;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Parser, Tag};

/// Set (through `cargo:rustc-env`) in the test's environment only; it names the
/// compiler that cargo gave this build script.
const REAL_RUSTC: &str = "BOOK_SNIPPETS_REAL_RUSTC";

/// The edition the book states in `book.toml` and the workspace's `Cargo.toml`.
const EDITION: &str = "2024";

/// Lines of a compile_fail test's source, after the snippet, that tell the
/// rustc stand-in what to expect. Comments, so they change nothing else.
const MARKER: &str = "//@ book-snippets ";

/// A fence attribute that marks a block as the compiler's output for the
/// compile_fail block just before it.
const OUTPUT_MARK: &str = "compiler-output";

/// In a `compiler-output` block, a line of its own that stands for any number
/// of lines of the compiler's output.
const ELISION: &str = "...";

fn main() -> ExitCode {
    match env::var_os(REAL_RUSTC) {
        Some(real_rustc) => run_rustc(real_rustc),
        None => {
            generate_tests();
            ExitCode::SUCCESS
        }
    }
}

// ---------------------------------------------------------------------------
// Build time: generate the tests.
// ---------------------------------------------------------------------------

fn generate_tests() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    let chapters = manifest_dir.join("../../src").canonicalize().unwrap();

    // The folder itself, so that a new chapter reruns this script, and every
    // file in it, so that an edited one does.
    println!("cargo:rerun-if-changed={}", chapters.display());
    let mut docs = skeptic::markdown_files_of_directory(chapters.to_str().unwrap());
    assert!(
        !docs.is_empty(),
        "no markdown files found in {}",
        chapters.display()
    );
    docs.push(manifest_dir.join("edition-2024.md"));

    let snippet_dir = out_dir.join("compile-fail");
    fs::create_dir_all(&snippet_dir).unwrap();
    let mut for_skeptic = Vec::new();
    let mut tests = Tests::default();
    for (index, doc) in docs.iter().enumerate() {
        println!("cargo:rerun-if-changed={}", doc.display());
        let markdown = fs::read_to_string(doc).unwrap();
        let stem = sanitize_test_name(doc.file_stem().unwrap().to_str().unwrap());
        let scanned = scan(&markdown, &stem);
        tests.add(&scanned.blocks, &snippet_dir);
        if scanned.for_skeptic == markdown {
            for_skeptic.push(doc.clone());
        } else {
            // Same file name (skeptic names tests after it) and same line
            // numbers: only the fences of compile_fail blocks differ.
            let copy = out_dir.join("skeptic-input").join(index.to_string());
            fs::create_dir_all(&copy).unwrap();
            let copy = copy.join(doc.file_name().unwrap());
            write_if_changed(&copy, &scanned.for_skeptic);
            // skeptic asks cargo to watch the files it is given; a copy newer
            // than this run would rerun the script every time.
            let modified = fs::metadata(doc).unwrap().modified().unwrap();
            fs::File::options()
                .write(true)
                .open(&copy)
                .unwrap()
                .set_modified(modified)
                .unwrap();
            for_skeptic.push(copy);
        }
    }
    skeptic::generate_doc_tests(&for_skeptic);
    write_if_changed(&out_dir.join("compile-fail-tests.rs"), &tests.finish());

    let me = env::current_exe().unwrap();
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    println!("cargo:rustc-env=RUSTC={}", me.display());
    println!("cargo:rustc-env={REAL_RUSTC}={rustc}");
}

/// One fenced code block of a markdown file.
struct Block {
    /// The test name skeptic would give it: file, last `#`/`##` heading, line.
    name: String,
    /// The info string's attributes, split as rustdoc and skeptic split them.
    attributes: Vec<String>,
    code: String,
}

impl Block {
    fn has(&self, attribute: &str) -> bool {
        self.attributes.iter().any(|a| a == attribute)
    }
}

struct Scanned {
    blocks: Vec<Block>,
    /// The markdown with every compile_fail fence's info string set to `text`.
    for_skeptic: String,
}

fn scan(markdown: &str, stem: &str) -> Scanned {
    let mut blocks = Vec::new();
    let mut fences_to_hide = Vec::new();
    let mut section: Option<String> = None;
    let mut heading: Option<String> = None;
    let mut current: Option<Block> = None;
    for (event, range) in Parser::new(markdown).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading(level, ..)) if level < HeadingLevel::H3 => {
                heading = Some(String::new());
            }
            Event::End(Tag::Heading(level, ..)) if level < HeadingLevel::H3 => {
                section = heading.take().map(|h| sanitize_test_name(&h));
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                let line = markdown[..range.start].matches('\n').count() + 1;
                let name = match &section {
                    Some(section) => format!("{stem}_sect_{section}_line_{line}"),
                    None => format!("{stem}_line_{line}"),
                };
                let attributes = info
                    .split(|c: char| !(c == '_' || c == '-' || c.is_alphanumeric()))
                    .filter(|a| !a.is_empty())
                    .map(str::to_owned)
                    .collect();
                let block = Block {
                    name,
                    attributes,
                    code: String::new(),
                };
                if block.has("compile_fail") {
                    fences_to_hide.push(range.start);
                }
                current = Some(block);
            }
            Event::Text(text) => {
                if let Some(block) = &mut current {
                    block.code.push_str(&text);
                } else if let Some(heading) = &mut heading {
                    heading.push_str(&text);
                }
            }
            Event::End(Tag::CodeBlock(CodeBlockKind::Fenced(_))) => {
                blocks.extend(current.take());
            }
            _ => {}
        }
    }

    let mut for_skeptic = markdown.to_owned();
    for &start in fences_to_hide.iter().rev() {
        let line_end = start
            + for_skeptic[start..]
                .find('\n')
                .unwrap_or(for_skeptic.len() - start);
        let fence = &for_skeptic[start..line_end];
        let fence_char = fence.trim_start().chars().next().unwrap();
        let info_start = start
            + fence
                .find(|c| c != fence_char && c != ' ' && c != '\t' && c != '>')
                .unwrap();
        for_skeptic.replace_range(info_start..line_end, "text");
    }
    Scanned {
        blocks,
        for_skeptic,
    }
}

/// The generated source of the tests skeptic does not write.
#[derive(Default)]
struct Tests {
    compile_fail: String,
    compiles: String,
}

impl Tests {
    fn add(&mut self, blocks: &[Block], snippet_dir: &Path) {
        for (index, block) in blocks.iter().enumerate() {
            let after = blocks.get(index + 1).filter(|b| b.has(OUTPUT_MARK));
            if block.has("compile_fail") {
                let test = match compile_fail_source(block, after) {
                    Ok(source) => {
                        let path = snippet_dir.join(format!("{}.rs", block.name));
                        write_if_changed(&path, &source);
                        format!("checking_rustc();\n        {}", compile_test(&path))
                    }
                    Err(problem) => format!("panic!({:?});", format!("{}: {problem}", block.name)),
                };
                self.compile_fail.push_str(&test_fn(&block.name, &test));
            } else if block.has(OUTPUT_MARK) {
                let before = index.checked_sub(1).map(|i| &blocks[i]);
                if !before.is_some_and(|b| b.has("compile_fail")) {
                    let problem = format!(
                        "{}: a `{OUTPUT_MARK}` block must come right after the \
                         `rust,compile_fail,...` block whose error it shows",
                        block.name
                    );
                    let test = format!("panic!({problem:?});");
                    self.compile_fail.push_str(&test_fn(&block.name, &test));
                }
            } else if block.has("rust") && block.has("should_panic") && !block.has("ignore") {
                // skeptic's test passes on a compile error too; this one does not.
                let path = snippet_dir.join(format!("{}.rs", block.name));
                write_if_changed(&path, &snippet_code(&block.code));
                self.compiles
                    .push_str(&test_fn(&block.name, &compile_test(&path)));
            }
        }
    }

    fn finish(self) -> String {
        format!(
            "// Generated by build.rs: tests for the blocks skeptic cannot check.\n\n\
             /// `rust,compile_fail,...` blocks: rejected with exactly the named errors.\n\
             mod compile_fail {{\n{CHECKING_RUSTC}{}}}\n\n\
             /// `rust,should_panic` blocks: they must compile, so that only a panic passes.\n\
             mod should_panic_compiles {{\n{}}}\n",
            self.compile_fail, self.compiles
        )
    }
}

/// Only this build script, standing in for rustc, checks a compile_fail test's
/// errors; the real rustc would pass every block that compiles.
const CHECKING_RUSTC: &str = r#"    fn checking_rustc() {
        let ours = std::env::var("RUSTC").is_ok_and(|rustc| rustc == env!("RUSTC"))
            && std::env::var_os("BOOK_SNIPPETS_REAL_RUSTC").is_some();
        assert!(ours, "run these tests with `cargo test -p book-snippets`: without cargo's \
            environment nothing checks that a compile_fail block fails as it says");
    }

"#;

fn test_fn(name: &str, body: &str) -> String {
    format!("    #[test]\n    fn {name}() {{\n        {body}\n    }}\n")
}

/// A call of skeptic's type-check-only compile of the file at `path`.
fn compile_test(path: &Path) -> String {
    let root = env::var("CARGO_MANIFEST_DIR").unwrap();
    let out = env::var("OUT_DIR").unwrap();
    let target = env::var("TARGET").unwrap();
    format!(
        "skeptic::rt::compile_test({root:?}, {out:?}, {target:?}, include_str!({:?}));",
        path.display().to_string()
    )
}

/// The source of a compile_fail test: the snippet, then the expectations as
/// `//@ book-snippets` comment lines (after the code, so that the compiler's
/// line numbers are the snippet's own).
fn compile_fail_source(block: &Block, output: Option<&Block>) -> Result<String, String> {
    let mut codes = Vec::new();
    for attribute in &block.attributes {
        match attribute.as_str() {
            "rust" | "compile_fail" => {}
            // mdBook's own, about how the page shows the block.
            "editable" | "noplayground" | "noplaypen" | "mdbook-runnable" => {}
            edition if edition.starts_with("edition") => {
                return Err(format!(
                    "`{edition}`: snippets are always compiled as Rust {EDITION}"
                ));
            }
            "ignore" | "no_run" | "should_panic" => {
                return Err(format!(
                    "`compile_fail` cannot be combined with `{attribute}`"
                ));
            }
            code if is_error_code(code) || is_lint_name(code) => codes.push(code),
            other => {
                return Err(format!(
                    "unknown attribute `{other}` on a `compile_fail` block; name errors as \
                     `E0277` or, for a lint denied in the snippet, by the lint's name"
                ));
            }
        }
    }
    if !block.has("rust") {
        return Err("a `compile_fail` block needs the `rust` attribute too: \
                    ```rust,compile_fail,E0277"
            .to_owned());
    }
    if codes.is_empty() && !block.code.contains("//~") {
        return Err(
            "a `compile_fail` block must name the error the text promises: its code \
                    in the fence (```rust,compile_fail,E0277, or a denied lint's name), or, \
                    for an error without a code, a hidden `# //~^ ERROR <message>` line"
                .to_owned(),
        );
    }
    let mut source = snippet_code(&block.code);
    if !source.ends_with('\n') {
        source.push('\n');
    }
    writeln!(source, "{MARKER}compile_fail {}", codes.join(" ")).unwrap();
    if let Some(output) = output {
        let lines: Vec<&str> = output.code.lines().map(str::trim_end).collect();
        let start = lines.iter().position(|l| !l.is_empty());
        let end = lines.iter().rposition(|l| !l.is_empty());
        let (Some(start), Some(end)) = (start, end) else {
            return Err(format!("the `{OUTPUT_MARK}` block after it is empty"));
        };
        for line in &lines[start..=end] {
            writeln!(source, "{MARKER}shows: {line}").unwrap();
        }
    }
    Ok(source)
}

fn is_error_code(code: &str) -> bool {
    code.len() == 5 && code.starts_with('E') && code[1..].bytes().all(|b| b.is_ascii_digit())
}

fn is_lint_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The code rustc sees: rustdoc's hidden lines (`# `) shown, exactly as skeptic
/// 0.14.2 does it.
fn snippet_code(code: &str) -> String {
    code.lines()
        .map(|line| {
            let trimmed = line.trim_start();
            let line = if let Some(rest) = trimmed.strip_prefix("# ") {
                rest
            } else if line.trim() == "#" {
                &trimmed[1..]
            } else {
                line
            };
            format!("{line}\n")
        })
        .collect()
}

/// skeptic's test names: lower case, runs of anything but ASCII letters and
/// digits become one `_`.
fn sanitize_test_name(s: &str) -> String {
    s.to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

fn write_if_changed(path: &Path, contents: &str) {
    if fs::read_to_string(path).ok().as_deref() != Some(contents) {
        fs::write(path, contents).unwrap();
    }
}

// ---------------------------------------------------------------------------
// Test time: act as rustc for skeptic.
// ---------------------------------------------------------------------------

/// Acts as rustc for skeptic: the same arguments, but edition 2024; and for a
/// compile_fail test, success only if the compiler rejects it as expected.
fn run_rustc(real_rustc: OsString) -> ExitCode {
    let mut args = Vec::new();
    let mut edition_follows = false;
    for arg in env::args_os().skip(1) {
        let is_edition = arg.to_str().is_some_and(|a| a.starts_with("--edition="));
        if edition_follows {
            args.push(OsString::from(EDITION));
        } else if is_edition {
            args.push(OsString::from(format!("--edition={EDITION}")));
        } else {
            args.push(arg.clone());
        }
        edition_follows = arg == "--edition";
    }

    link_what_the_test_links(&mut args);

    let source = args
        .iter()
        .filter_map(|a| a.to_str())
        .find(|a| a.ends_with(".rs"))
        .map(PathBuf::from);
    let expected = source
        .as_deref()
        .and_then(|path| fs::read_to_string(path).ok())
        .and_then(|text| Expected::parse(&text));
    let mut command = Command::new(&real_rustc);
    command.args(&args);
    let Some(expected) = expected else {
        return match command.status() {
            Ok(status) => match status.code() {
                Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
                None => ExitCode::FAILURE,
            },
            Err(err) => {
                eprintln!("book-snippets: cannot run {}: {err}", real_rustc.display());
                ExitCode::FAILURE
            }
        };
    };

    let output = match command.arg("--error-format=json").output() {
        Ok(output) => output,
        Err(err) => {
            eprintln!("book-snippets: cannot run {}: {err}", real_rustc.display());
            return ExitCode::FAILURE;
        }
    };
    let source = source.unwrap();
    let diagnostics = Diagnostics::parse(&String::from_utf8_lossy(&output.stderr), &source);
    match expected.check(output.status.success(), &diagnostics) {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("book-snippets: {problem}");
            if !diagnostics.rendered.trim().is_empty() {
                eprintln!(
                    "\nThe compiler's output (the snippet as src/main.rs):\n\n{}",
                    diagnostics.rendered
                );
            }
            ExitCode::FAILURE
        }
    }
}

/// skeptic picks each crate's build from everything the running test was built
/// with, this build script's own dependencies included; where a crate was built
/// twice, for the build script and for the test (serde_json and serde_core are:
/// axum asks for features the build script's copy lacks), it takes the newer
/// file, and a snippet that mixes reqwest's serde with serde_json's then fails
/// ("multiple different versions of crate `serde_core`"). So replace every
/// `--extern` that is not a build the test itself links (cargo's fingerprints
/// say which, following no build script) with the one it does. Linux only (the
/// test is found as this process's parent); elsewhere skeptic's choice stands.
fn link_what_the_test_links(args: &mut [OsString]) {
    let Some(profile) = args
        .windows(2)
        .filter(|pair| pair[0] == "-L")
        .map(|pair| PathBuf::from(&pair[1]))
        .find(|dir| dir.join(".fingerprint").is_dir())
    else {
        return;
    };
    let parent = std::os::unix::process::parent_id();
    let Ok(test) = fs::read_link(format!("/proc/{parent}/exe")) else {
        return;
    };
    let test = test.to_string_lossy().replace(" (deleted)", "");
    let Some((_, test_hash)) = Path::new(&test)
        .file_name()
        .and_then(|name| name.to_str())
        .and_then(|name| name.rsplit_once('-'))
    else {
        return;
    };

    // Every unit: its fingerprint (as cargo writes it in the file beside the
    // JSON), the name its files carry, the hash in their names, its dependencies.
    struct Unit {
        lib_name: String,
        file_hash: String,
        deps: Vec<(String, String)>,
    }
    let mut units: std::collections::HashMap<String, Unit> = Default::default();
    let mut start = Vec::new();
    let Ok(dirs) = fs::read_dir(profile.join(".fingerprint")) else {
        return;
    };
    for dir in dirs.flatten() {
        let dir_name = dir.file_name().to_string_lossy().into_owned();
        let Some((_, file_hash)) = dir_name.rsplit_once('-') else {
            continue;
        };
        for file in fs::read_dir(dir.path()).into_iter().flatten().flatten() {
            let path = file.path();
            if path.extension().is_none_or(|ext| ext != "json") {
                continue;
            }
            let Some(json) = fs::read_to_string(&path)
                .ok()
                .and_then(|json| serde_json::from_str::<serde_json::Value>(&json).ok())
            else {
                continue;
            };
            let deps: Vec<(String, String)> = json["deps"]
                .as_array()
                .map(|deps| {
                    deps.iter()
                        .filter_map(|dep| {
                            let name = dep.get(1)?.as_str()?.to_owned();
                            let hash = dep.as_array()?.last()?.as_u64()?;
                            Some((name, format!("{:016x}", hash.swap_bytes())))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            if stem.starts_with("test-") && file_hash == test_hash {
                start.extend(deps.iter().cloned());
            }
            let Ok(fingerprint) = fs::read_to_string(path.with_extension("")) else {
                continue;
            };
            let lib_name = stem.strip_prefix("lib-").unwrap_or_default().to_owned();
            units.insert(
                fingerprint.trim().to_owned(),
                Unit {
                    lib_name,
                    file_hash: file_hash.to_owned(),
                    deps,
                },
            );
        }
    }
    if start.is_empty() {
        return;
    }

    // lib name -> the hashes of its builds that the test links.
    let mut linked: std::collections::HashMap<&str, Vec<&str>> = Default::default();
    let mut seen = std::collections::HashSet::new();
    let mut pending = start;
    while let Some((name, fingerprint)) = pending.pop() {
        if name == "build_script_build" || !seen.insert(fingerprint.clone()) {
            continue;
        }
        if let Some(unit) = units.get(&fingerprint) {
            if !unit.lib_name.is_empty() {
                linked
                    .entry(&unit.lib_name)
                    .or_default()
                    .push(&unit.file_hash);
            }
            pending.extend(unit.deps.iter().cloned());
        }
    }

    let mut extern_follows = false;
    for arg in args.iter_mut() {
        let is_extern = std::mem::replace(&mut extern_follows, arg == "--extern");
        let Some((name, path)) = is_extern
            .then(|| arg.to_str())
            .flatten()
            .and_then(|a| a.split_once('='))
        else {
            continue;
        };
        let path = Path::new(path);
        let (Some(file), Some(dir)) = (path.file_name().and_then(|f| f.to_str()), path.parent())
        else {
            continue;
        };
        let Some((stem, ext)) = file.rsplit_once('.') else {
            continue;
        };
        let Some((_, hash)) = stem.rsplit_once('-') else {
            continue;
        };
        let Some(builds) = linked.get(name) else {
            continue;
        };
        if builds.contains(&hash) {
            continue;
        }
        if let [only] = builds[..] {
            let replacement = dir.join(format!("lib{name}-{only}.{ext}"));
            if replacement.exists() {
                *arg = OsString::from(format!("{name}={}", replacement.display()));
            }
        }
    }
}

/// What a compile_fail test expects: the fence's codes and `compiler-output`
/// block (from its `//@ book-snippets` lines) and the snippet's `//~ ERROR` lines.
struct Expected {
    codes: Vec<String>,
    /// The `compiler-output` block's lines, if the chapter shows one.
    shows: Vec<String>,
    annotations: Vec<Annotation>,
}

/// `//~ ERROR text` (the error is on this line) or `//~^ ERROR text` (one `^`
/// per line up), as in rustc's own UI tests: an error whose message contains
/// `text` and whose primary span starts on that line.
struct Annotation {
    line: usize,
    text: String,
}

impl Expected {
    fn parse(source: &str) -> Option<Expected> {
        let mut expected: Option<Expected> = None;
        let mut annotations = Vec::new();
        for (index, line) in source.lines().enumerate() {
            if let Some(rest) = line.strip_prefix(MARKER) {
                if let Some(codes) = rest.strip_prefix("compile_fail") {
                    expected = Some(Expected {
                        codes: codes.split_whitespace().map(str::to_owned).collect(),
                        shows: Vec::new(),
                        annotations: Vec::new(),
                    });
                } else if let Some(shown) = rest.strip_prefix("shows: ") {
                    expected.as_mut()?.shows.push(shown.to_owned());
                }
            } else if let Some(at) = line.find("//~") {
                let rest = &line[at + 3..];
                let up = rest.len() - rest.trim_start_matches('^').len();
                let text = rest[up..].trim_start();
                let text = text.strip_prefix("ERROR").unwrap_or(text).trim();
                annotations.push(Annotation {
                    line: (index + 1).saturating_sub(up),
                    text: text.to_owned(),
                });
            }
        }
        let mut expected = expected?;
        expected.annotations = annotations;
        Some(expected)
    }

    fn check(&self, compiled: bool, found: &Diagnostics) -> Result<(), String> {
        let mut named: Vec<String> = self.codes.clone();
        named.extend(
            self.annotations
                .iter()
                .map(|a| format!("an error at line {} saying \"{}\"", a.line, a.text)),
        );
        let named = named.join(", ");
        if compiled {
            return Err(format!(
                "this compile_fail block compiles, but it says the compiler rejects it \
                 with {named}"
            ));
        }
        let mut accounted = vec![false; found.errors.len()];
        let mut problems = Vec::new();
        for annotation in &self.annotations {
            let hit = found.errors.iter().enumerate().position(|(i, error)| {
                !accounted[i]
                    && error.line == Some(annotation.line)
                    && !annotation.text.is_empty()
                    && error.message.contains(&annotation.text)
            });
            match hit {
                Some(i) => accounted[i] = true,
                None => problems.push(format!(
                    "no error at line {} says \"{}\" (the `//~` line)",
                    annotation.line, annotation.text
                )),
            }
        }
        for code in &self.codes {
            if !found.errors.iter().any(|e| e.code.as_ref() == Some(code)) {
                problems.push(format!("no error {code} (the fence names it)"));
            }
        }
        for (error, accounted) in found.errors.iter().zip(accounted) {
            let named = error.code.as_ref().is_some_and(|c| self.codes.contains(c));
            if !accounted && !named {
                problems.push(format!("{} is not expected", error.describe()));
            }
        }
        if !problems.is_empty() {
            let reported: Vec<String> = found.errors.iter().map(Error::describe).collect();
            let reported = if reported.is_empty() {
                "no error".to_owned()
            } else {
                reported.join("; ")
            };
            return Err(format!(
                "expected {named}; the compiler reported {reported}.\n{}",
                problems
                    .iter()
                    .map(|p| format!("  - {p}\n"))
                    .collect::<String>()
            ));
        }
        if let Some(run) = excerpt_mismatch(&self.shows, &found.rendered) {
            return Err(format!(
                "the `{OUTPUT_MARK}` block after this snippet is not what the compiler \
                 prints; these lines are not in its output, in this order:\n\n{}\n\n\
                 (a line `{ELISION}` stands for any number of lines; trailing spaces \
                 and the text before and after the block do not count)",
                run.join("\n")
            ));
        }
        Ok(())
    }
}

/// One error the compiler reported (not the closing "aborting due to ...").
struct Error {
    /// `E0277`, or a lint's name (`unused_must_use`) for a denied lint.
    code: Option<String>,
    message: String,
    /// Where its primary span starts in the snippet.
    line: Option<usize>,
}

impl Error {
    fn describe(&self) -> String {
        let code = self
            .code
            .as_ref()
            .map_or(String::new(), |c| format!("[{c}]"));
        let line = self.line.map_or(String::new(), |l| format!(" at line {l}"));
        format!("error{code}{line} \"{}\"", self.message)
    }
}

/// The compiler's diagnostics for one snippet.
struct Diagnostics {
    errors: Vec<Error>,
    /// Everything, as `rustc` would print it for `src/main.rs`.
    rendered: String,
}

impl Diagnostics {
    fn parse(stderr: &str, source: &Path) -> Diagnostics {
        let mut errors = Vec::new();
        let mut rendered = String::new();
        for line in stderr.lines() {
            let Ok(diagnostic) = serde_json::from_str::<serde_json::Value>(line) else {
                // Not a diagnostic (a crash, say): keep it for the report.
                rendered.push_str(line);
                rendered.push('\n');
                continue;
            };
            rendered.push_str(diagnostic["rendered"].as_str().unwrap_or_default());
            let message = diagnostic["message"].as_str().unwrap_or_default();
            if diagnostic["level"] != "error" || message.starts_with("aborting due to") {
                continue;
            }
            let spans = diagnostic["spans"]
                .as_array()
                .map_or(&[][..], Vec::as_slice);
            let line = spans
                .iter()
                .find(|span| span["is_primary"] == true)
                .filter(|span| span["file_name"].as_str() == source.to_str())
                .and_then(|span| span["line_start"].as_u64())
                .and_then(|line| usize::try_from(line).ok());
            errors.push(Error {
                code: diagnostic["code"]["code"].as_str().map(str::to_owned),
                message: message.to_owned(),
                line,
            });
        }
        Diagnostics {
            errors,
            rendered: normalize(&rendered, source),
        }
    }
}

/// The compiler's output as a reader sees it from `cargo build`: the snippet's
/// temporary file becomes `src/main.rs`, a crate in cargo's registry
/// `$CARGO/<crate>-<version>/...` and the standard library `$RUST/...`.
fn normalize(rendered: &str, source: &Path) -> String {
    let source = source.display().to_string();
    let mut out = String::new();
    for line in rendered.lines() {
        let mut line = line.replace(&source, "src/main.rs");
        if let Some(at) = line.find("/registry/src/") {
            let start = line[..at].rfind(' ').map_or(0, |i| i + 1);
            let index_end = at + "/registry/src/".len();
            if let Some(slash) = line[index_end..].find('/') {
                line.replace_range(start..index_end + slash + 1, "$CARGO/");
            }
        }
        if let Some(at) = line.find("/rustc/") {
            let hash_start = at + "/rustc/".len();
            if let Some(slash) = line[hash_start..].find('/') {
                let start = line[..at].rfind(' ').map_or(0, |i| i + 1);
                line.replace_range(start..hash_start + slash + 1, "$RUST/");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Whether `shown` appears in `actual`, line by line in order, where a line
/// `...` in `shown` skips any number of lines. None if it does; otherwise the
/// first run of shown lines (between `...` lines) that could not be matched.
fn excerpt_mismatch<'a>(shown: &'a [String], actual: &str) -> Option<&'a [String]> {
    let actual: Vec<&str> = actual.lines().collect();
    let mut from = 0;
    // Each run of lines between `...` must appear contiguously, after the
    // previous run; the earliest place is always the best one to take.
    for run in shown.split(|line| line == ELISION) {
        if run.is_empty() {
            continue;
        }
        let found = (from..actual.len())
            .take_while(|&at| at + run.len() <= actual.len())
            .find(|&at| run.iter().zip(&actual[at..]).all(|(s, a)| s == a));
        match found {
            Some(at) => from = at + run.len(),
            None => return Some(run),
        }
    }
    None
}
