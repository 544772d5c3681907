//! Builds the book with the pinned mdBook and fails on what mdBook itself lets through:
//! logged errors and warnings, a `{{#include}}` left raw, an empty code block (a wrong
//! anchor name renders as one), a link or fragment that points nowhere, and a listing
//! that its chapter does not show whole (caption, code, dependencies, output).

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use regex::Regex;

const MDBOOK_VERSION: &str = "mdbook v0.5.4";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root exists")
}

struct Build {
    html_dir: PathBuf,
    log: String,
}

/// Builds the book once for all tests, into target/ so it never touches a reader's book/.
fn build() -> &'static Build {
    static BUILD: OnceLock<Build> = OnceLock::new();
    BUILD.get_or_init(|| {
        let root = repo_root();
        let mdbook = std::env::var_os("MDBOOK")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(".tools/mdbook/bin/mdbook"));
        let version = Command::new(&mdbook)
            .arg("--version")
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {}: {e}; install the pinned mdBook with ci/install-mdbook",
                    mdbook.display()
                )
            });
        let version = String::from_utf8_lossy(&version.stdout);
        assert_eq!(
            version.trim(),
            MDBOOK_VERSION,
            "the book is pinned to {MDBOOK_VERSION}"
        );

        let html_dir = root.join("target/book-check/html");
        let output = Command::new(&mdbook)
            .arg("build")
            .arg("--dest-dir")
            .arg(&html_dir)
            .arg(&root)
            .output()
            .expect("mdbook build runs");
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "mdbook build failed:\n{log}");
        Build { html_dir, log }
    })
}

fn html_pages() -> Vec<(PathBuf, String)> {
    let build = build();
    let mut pages = Vec::new();
    let mut folders = vec![build.html_dir.clone()];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(&folder).expect("the built book is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|ext| ext == "html") {
                let text = fs::read_to_string(&path).expect("pages are UTF-8");
                pages.push((path, text));
            }
        }
    }
    pages.sort();
    assert!(pages.len() > 3, "the book has pages");
    pages
}

fn relative(path: &Path) -> String {
    path.strip_prefix(&build().html_dir)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn mdbook_logs_no_errors_or_warnings() {
    let build = build();
    let bad: Vec<&str> = build
        .log
        .lines()
        .filter(|line| line.contains("ERROR") || line.contains("WARN"))
        .collect();
    assert!(bad.is_empty(), "mdbook build logged:\n{}", bad.join("\n"));
}

#[test]
fn no_directive_is_left_raw() {
    let raw: Vec<String> = html_pages()
        .iter()
        .filter(|(_, text)| text.contains("{{#"))
        .map(|(path, _)| relative(path))
        .collect();
    assert!(
        raw.is_empty(),
        "a `{{{{#` directive was not expanded in: {raw:?}"
    );
}

#[test]
fn no_code_block_is_empty() {
    let empty_code = Regex::new(r"<pre><code[^>]*>\s*</code></pre>").unwrap();
    let pages: Vec<String> = html_pages()
        .iter()
        .filter(|(_, text)| empty_code.is_match(text))
        .map(|(path, _)| relative(path))
        .collect();
    assert!(
        pages.is_empty(),
        "empty code blocks (a wrong anchor or an empty include?) in: {pages:?}"
    );
}

#[test]
fn internal_links_and_fragments_resolve() {
    let pages = html_pages();
    let id = Regex::new(r#"\sid="([^"]+)""#).unwrap();
    let ids: HashMap<PathBuf, HashSet<String>> = pages
        .iter()
        .map(|(path, text)| {
            let found = id.captures_iter(text).map(|c| c[1].to_owned()).collect();
            (path.clone(), found)
        })
        .collect();

    let link = Regex::new(r#"\s(?:href|src)="([^"]*)""#).unwrap();
    let mut dead = Vec::new();
    for (page, text) in &pages {
        for captures in link.captures_iter(text) {
            let target = captures[1].replace("&amp;", "&");
            if target.is_empty()
                || target == "#"
                || target.contains("://")
                || target.starts_with("mailto:")
                || target.starts_with("javascript:")
            {
                continue;
            }
            let (file, fragment) = match target.split_once('#') {
                Some((file, fragment)) => (file, Some(fragment)),
                None => (target.as_str(), None),
            };
            let file = file.split('?').next().unwrap_or_default();
            let file_path = if file.is_empty() {
                page.clone()
            } else if let Some(from_root) = file.strip_prefix('/') {
                build().html_dir.join(from_root)
            } else {
                page.parent().expect("pages sit in a folder").join(file)
            };
            let file_path = file_path.canonicalize().unwrap_or(file_path);
            if !file_path.exists() {
                dead.push(format!("{}: {target} (no such file)", relative(page)));
                continue;
            }
            if let Some(fragment) = fragment {
                let known = ids
                    .get(&file_path)
                    .is_some_and(|ids| ids.contains(fragment));
                if !known {
                    dead.push(format!("{}: {target} (no such id)", relative(page)));
                }
            }
        }
    }
    assert!(dead.is_empty(), "dead links:\n{}", dead.join("\n"));
}

/// Every listing folder `listings/<chapter>/<listing>/` must be shown whole by
/// `src/<chapter>.md`: a caption naming its file and run command (and its test command,
/// when an output file shows `cargo test`), the code, the dependencies a reader copies,
/// and each output file.
#[test]
fn every_listing_is_shown_whole_by_its_chapter() {
    let root = repo_root();
    let package_name = Regex::new(r#"(?m)^name = "([^"]+)""#).unwrap();
    let mut problems = Vec::new();
    let mut seen = 0;
    for chapter in sorted_subfolders(&root.join("listings")) {
        let chapter_name = file_name(&chapter);
        let chapter_md = root.join("src").join(format!("{chapter_name}.md"));
        let Ok(markdown) = fs::read_to_string(&chapter_md) else {
            problems.push(format!(
                "listings/{chapter_name} has no chapter src/{chapter_name}.md"
            ));
            continue;
        };
        for listing in sorted_subfolders(&chapter) {
            seen += 1;
            let folder = format!("listings/{chapter_name}/{}", file_name(&listing));
            let manifest = fs::read_to_string(listing.join("Cargo.toml")).expect("a Cargo.toml");
            let package = &package_name.captures(&manifest).expect("a package name")[1];
            if !manifest.contains("# ANCHOR: dependencies\n[dependencies]\n") {
                problems.push(format!(
                    "{folder}/Cargo.toml: the `dependencies` anchor must open right above [dependencies]"
                ));
            }
            // `listing-04-02` is "Listing 4-2", and its figure is the anchor `#listing-4-2`.
            let number = package
                .trim_start_matches("listing-")
                .split('-')
                .map(|part| part.trim_start_matches('0'))
                .collect::<Vec<_>>()
                .join("-");
            // A listing whose tests are the point (an output file shows `cargo test`) says
            // how to run them too.
            let tested = fs::read_dir(&listing)
                .expect("a listing folder")
                .map(|entry| entry.expect("an entry").path())
                .filter(|path| file_name(path).starts_with("output"))
                .any(|path| {
                    fs::read_to_string(path)
                        .is_ok_and(|text| text.starts_with(&format!("$ cargo test -p {package}")))
                });
            let tested_with = if tested {
                format!(", tested with <code>cargo test -p {package}</code>")
            } else {
                String::new()
            };
            let mut needed = vec![
                format!(
                    "<figure class=\"listing\" id=\"listing-{number}\">\n<figcaption>Listing {number}: \
                     <code>{folder}/src/main.rs</code>, run with <code>cargo run -p {package}</code>{tested_with}</figcaption>"
                ),
                format!("{{{{#include ../{folder}/src/main.rs}}}}"),
                format!("{{{{#include ../{folder}/Cargo.toml:dependencies}}}}"),
            ];
            for entry in fs::read_dir(&listing).expect("a listing folder") {
                let name = file_name(&entry.expect("an entry").path());
                if name.starts_with("output") && name.ends_with(".txt") {
                    needed.push(format!("{{{{#include ../{folder}/{name}}}}}"));
                }
            }
            for text in needed {
                if !markdown.contains(&text) {
                    problems.push(format!("src/{chapter_name}.md does not show `{text}`"));
                }
            }
        }
    }
    assert!(seen > 0, "found no listings");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A listing that declares a timeline (`[package.metadata.book.timeline]`, drawn by
/// `ci/regenerate-outputs` into `timeline.svg`) must have that picture, and its chapter must
/// show it inlined in a `<figure class="timeline">`; a `timeline.svg` that no listing declares
/// is left over. In the built book, no timeline figure is empty.
#[test]
fn every_timeline_is_drawn_and_shown_in_its_chapter() {
    let root = repo_root();
    let mut problems = Vec::new();
    let mut declared = 0;
    for chapter in sorted_subfolders(&root.join("listings")) {
        let chapter_name = file_name(&chapter);
        let markdown = fs::read_to_string(root.join("src").join(format!("{chapter_name}.md")))
            .unwrap_or_default();
        for listing in sorted_subfolders(&chapter) {
            let folder = format!("listings/{chapter_name}/{}", file_name(&listing));
            let manifest = fs::read_to_string(listing.join("Cargo.toml")).expect("a Cargo.toml");
            let svg = listing.join("timeline.svg");
            if !manifest.contains("\n[package.metadata.book.timeline]\n") {
                if svg.exists() {
                    problems.push(format!(
                        "{folder}/timeline.svg is left over: the listing declares no timeline"
                    ));
                }
                continue;
            }
            declared += 1;
            match fs::read_to_string(&svg) {
                Ok(text) if text.starts_with("<svg ") && text.contains("<desc ") => {}
                Ok(_) => problems.push(format!("{folder}/timeline.svg is not a drawn timeline")),
                Err(_) => problems.push(format!(
                    "{folder}/timeline.svg is missing: draw it with ci/regenerate-outputs"
                )),
            }
            let figure = format!(
                "\n<figure class=\"timeline\">\n{{{{#include ../{folder}/timeline.svg}}}}\n</figure>\n"
            );
            if !markdown.contains(&figure) {
                problems.push(format!(
                    "src/{chapter_name}.md does not show {folder}/timeline.svg as{figure}"
                ));
            }
        }
    }
    assert!(declared > 0, "no listing declares a timeline");

    let figure = Regex::new(r#"(?s)<figure class="timeline">(.*?)</figure>"#).unwrap();
    let mut figures = 0;
    for (page, text) in html_pages() {
        for captures in figure.captures_iter(&text) {
            figures += 1;
            let inside = &captures[1];
            if !(inside.contains("<svg ") && inside.contains(r#"role="img""#)) {
                problems.push(format!("{}: an empty timeline figure", relative(&page)));
            }
        }
    }
    assert!(
        figures >= declared,
        "only {figures} timeline figures in the built book"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn sorted_subfolders(folder: &Path) -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = fs::read_dir(folder)
        .expect("a readable folder")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.is_dir())
        .collect();
    folders.sort();
    folders
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("a named path")
        .to_string_lossy()
        .into_owned()
}

/// Each part of the book is meant to be read in an evening: the chapters `SUMMARY.md` lists
/// under a `# Part ...` title (Part I with the Introduction before it) stay within 13,500
/// words together, counted as `wc -w` counts them (code included, included files not).
#[test]
fn each_part_reads_in_an_evening() {
    const MOST_WORDS: usize = 13_500;
    let src = repo_root().join("src");
    let summary = fs::read_to_string(src.join("SUMMARY.md")).expect("SUMMARY.md can be read");
    let parts = parts_of(&summary);
    let titles: Vec<&str> = parts.iter().map(|(title, _)| title.as_str()).collect();
    assert!(
        titles.len() >= 2 && titles[0].starts_with("Part I:") && titles[1].starts_with("Part II:"),
        "SUMMARY.md should have Part I and Part II titles: {titles:?}"
    );
    for (title, files) in &parts {
        let counts: Vec<(&str, usize)> = files
            .iter()
            .map(|file| {
                let text = fs::read_to_string(src.join(file))
                    .unwrap_or_else(|error| panic!("{file} can be read: {error}"));
                (file.as_str(), text.split_whitespace().count())
            })
            .collect();
        let total: usize = counts.iter().map(|(_, words)| words).sum();
        assert!(
            total <= MOST_WORDS,
            "{title} has {total} words, more than {MOST_WORDS}: {counts:?}"
        );
    }
}

/// The parts of `SUMMARY.md`: each `# Part` title with the chapter files listed under it,
/// up to the next title or separator. Chapters listed before the first title (the
/// Introduction) belong to the first part.
fn parts_of(summary: &str) -> Vec<(String, Vec<String>)> {
    let mut parts: Vec<(String, Vec<String>)> = Vec::new();
    let mut before_first_part = Vec::new();
    let mut in_part = false;
    for line in summary.lines() {
        let line = line.trim();
        if let Some(title) = line.strip_prefix("# Part") {
            parts.push((
                format!("Part{title}"),
                std::mem::take(&mut before_first_part),
            ));
            in_part = true;
        } else if line == "---" || line.starts_with("# ") {
            in_part = false;
        } else if let Some(file) = link_target(line) {
            match parts.last_mut() {
                Some((_, files)) if in_part => files.push(file),
                None => before_first_part.push(file),
                Some(_) => {}
            }
        }
    }
    parts
}

/// The target of a SUMMARY.md entry such as `- [Title](file.md)` or `[Title](file.md)`.
fn link_target(line: &str) -> Option<String> {
    let target = line.split_once("](")?.1.strip_suffix(')')?;
    target.ends_with(".md").then(|| target.to_owned())
}
