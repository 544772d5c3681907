//! Timelines drawn from real runs: for a listing whose lesson is order or time, one row per
//! task or request, when it waited, ran or had a request in flight, the moments it printed,
//! and the moment it was cancelled.
//!
//! A listing asks for one with `[package.metadata.book.timeline]` (see `listings/README.md`).
//! The picture comes from the run of one of its output files (`run`, `output.txt` by
//! default), the same run that writes (or checks) that file, from two records:
//!
//! - **when each line was printed.** On the real clock, the runner notes the moment it reads
//!   each line from the listing's output pipe. On the paused clock that moment says nothing
//!   (a two-second sleep takes no time), so the listing notes it itself: `build.rs` gives a
//!   paused-clock listing `println!`/`eprintln!` macros that print exactly what the standard
//!   ones print and, when `BOOK_TIMELINE_CLOCK` names a file, write there the virtual time of
//!   each line ([`print`]), measured from the runtime's start ([`clock_started`], which
//!   `paused-main` calls). Those times are exact.
//! - **the stand-in's request log** (`stand_in::RequestRecord`: when each request arrived
//!   and when it was answered, or that it never was), on the same clock as the runner's, for
//!   listings that talk HTTP. Each such run gets a stand-in of its own.
//!
//! The listing's code is not changed for the picture. What the records do not show (when a
//! future started waiting without printing anything) the listing's `timeline` table says,
//! by a rule (`from`): see [`Start`].
//!
//! The picture is an SVG (`timeline.svg` beside the output file) that carries its data in
//! `data-` attributes; the check reads them back, redraws the SVG from them (it must come out
//! byte for byte the same: nobody edited it by hand), and compares them with a fresh run's:
//! the same sections and rows, the same marks and bars in each row, and the same times:
//! exactly on the paused clock, within [`tolerance`] on the real one (counted from each
//! section's first line or request); with `vary = true` (times that follow the listing's
//! random draws) only rows and marks; and about as many requests in flight at once at the
//! peak (not with `vary`, but in a section of a row per request).
//!
//! The time axis is linear: x is proportional to time, one scale for every section of a
//! picture, so a bar's length is its duration. Dots of one row printed at the same moment
//! (or too close to tell apart) are drawn side by side in the order printed; the numbers in
//! the dots give the order of the output lines.

use std::fmt::Write as _;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use regex::Regex;
use svg::Node as _;
use svg::node::element::{Circle, Description, Group, Line, Rectangle, Text, Title};

// ------------------------------------------------------------------ configuration

/// `[package.metadata.book.timeline]` of a listing, as `build.rs` reads it.
#[derive(Debug)]
pub struct Config {
    /// The output file whose run is drawn.
    pub run: &'static str,
    /// Times follow the listing's random draws: compare rows and marks, not times.
    pub vary: bool,
    /// Header lines (`"Synchronous:"`) that each start a section of the picture, drawn one
    /// under the other on the same time scale, each from its own start. None: one section.
    pub sections: &'static [SectionConfig],
    /// Which printed lines and requests make which rows; a line goes to the first row whose
    /// `lines` matches it, and lines no row matches are not drawn.
    pub rows: &'static [RowConfig],
}

#[derive(Debug)]
pub struct SectionConfig {
    pub header: &'static str,
    /// How the section's rows start, unless a row says otherwise.
    pub from: Option<Start>,
    /// What the section's rows do between their first and last moment.
    pub state: Option<State>,
}

#[derive(Debug)]
pub struct RowConfig {
    /// The row's name; `$1` is the first group of `lines` (`process $1`).
    pub name: &'static str,
    /// A regex for the printed lines that belong to the row.
    pub lines: Option<&'static str>,
    /// A regex for the line (one of the row's) that reports the row's cancellation.
    pub cancelled: Option<&'static str>,
    pub from: Option<Start>,
    pub state: Option<State>,
    /// The bar goes on to the end of the section (`until = "end"`): the row waits after its
    /// last line until the program, or the section, ends.
    pub until_end: bool,
    pub requests: Requests,
}

/// Where a row's bar starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// At the row's first line (the default).
    First,
    /// At the line printed just before the row's first line: the loop went on to this row
    /// when the one before it was done (awaiting one future after another).
    Previous,
    /// At the start of its section: every row was started at once (a join).
    Section,
}

/// What a row does between its first and last moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Parked: a future waiting for a timer, an answer or its turn; the thread is free.
    Waiting,
    /// Holding a thread: blocking code (a blocking sleep or a blocking client).
    Running,
    /// No bar: the row's lines come from several tasks (they print the same line).
    None,
}

/// Which of the stand-in's requests a row shows (by service: `github`, `ipify`, `ip-api`,
/// `hn`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requests {
    None,
    /// One request per row: each request goes to the row of that service whose lines show
    /// it in flight (started before it arrived, the first to print after it was answered).
    One(&'static str),
    /// Every request of that service made while the row was alive, drawn together.
    Many(&'static str),
    /// A row of its own for every request (named by its item), in the order they arrived.
    Each(&'static str),
}

/// On the real clock a fresh run's time may differ from the picture's by this much plus
/// [`REAL_CLOCK_TOLERANCE_SHARE`] of the time itself (from its section's first line or
/// request): see [`tolerance`]. A loaded two-core machine (CI runs the output checks while
/// `ci/copy-ready` compiles beside them) slows whatever a listing computes, so times drift
/// more the later they come: under heavier load than CI's (four busy loops and two cargo
/// builds on this machine's two cores), 11-1's first run of 362 fetches ended 434 ms late
/// at 712 ms, 78% of this tolerance. Requests made one after another instead of at once
/// (Listing 3-4) still move its times by 400 ms where the tolerance is 200 to 300 ms; and
/// the peak of requests in flight (`peak_close`), which load does not move, catches that
/// and a bound removed (9-3) at any speed. `ci/README.md`, "Timelines", has the
/// measurements.
pub const REAL_CLOCK_TOLERANCE_MS: f64 = 200.0;
pub const REAL_CLOCK_TOLERANCE_SHARE: f64 = 0.5;

/// A line's time and a request's may be this far out of order on the real clock (two
/// threads' clocks read a little apart) and still be taken as the same moment.
const SLACK_MS: f64 = 5.0;

/// On the real clock the runner notes a line when it reads it from the listing's pipe, which
/// a loaded machine may do late, while the stand-in notes a request as it arrives: a request
/// sent right after a section's header can be seen before it. A section's requests are those
/// that arrived from this long before its header to this long before the next header (3-4,
/// the one listing with sections and requests, ends a section at least a 200 ms answer
/// before the next header).
const READ_LAG_MS: f64 = 100.0;

/// The picture's file, beside the listing's output files.
pub fn svg_path(listing: &crate::Listing) -> PathBuf {
    Path::new(listing.dir).join("timeline.svg")
}

// ------------------------------------------------------------------ the listing's side

/// The environment variable that asks a paused-clock listing to note when it prints.
pub const CLOCK_VAR: &str = "BOOK_TIMELINE_CLOCK";

struct ClockLog {
    file: File,
    origin: Option<real_tokio::time::Instant>,
    /// Text printed since the last newline, per stream (stdout, stderr).
    pending: [String; 2],
}

fn clock_log() -> Option<&'static Mutex<ClockLog>> {
    static LOG: OnceLock<Option<Mutex<ClockLog>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let path = std::env::var_os(CLOCK_VAR)?;
        let file = File::create(&path).ok()?;
        Some(Mutex::new(ClockLog {
            file,
            origin: None,
            pending: [String::new(), String::new()],
        }))
    })
    .as_ref()
}

fn lock(log: &Mutex<ClockLog>) -> std::sync::MutexGuard<'_, ClockLog> {
    log.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Called by `paused-main` as the runtime starts: the moment the listing's times are
/// measured from. Does nothing unless a timeline is being recorded.
pub fn clock_started() {
    if let Some(log) = clock_log() {
        lock(log).origin = Some(real_tokio::time::Instant::now());
    }
}

/// What `println!` and friends do in a paused-clock listing: print, exactly as the standard
/// macros do, and note the (virtual) time of each finished line when a timeline is being
/// recorded.
pub fn print(to_stderr: bool, args: std::fmt::Arguments<'_>) {
    let Some(log) = clock_log() else {
        if to_stderr {
            std::eprint!("{args}");
        } else {
            std::print!("{args}");
        }
        return;
    };
    let text = std::fmt::format(args);
    // Held while printing, so the file lists the lines in the order the pipe gets them.
    let mut log = lock(log);
    if to_stderr {
        std::eprint!("{text}");
    } else {
        std::print!("{text}");
    }
    let now = real_tokio::time::Instant::now();
    let since = log.origin.map_or(Duration::ZERO, |origin| {
        now.saturating_duration_since(origin)
    });
    let stream = usize::from(to_stderr);
    log.pending[stream].push_str(&text);
    while let Some(end) = log.pending[stream].find('\n') {
        let line: String = log.pending[stream].drain(..=end).collect();
        let entry = serde_json::json!([since.as_nanos() as u64, line.trim_end_matches('\n')]);
        let _ = writeln!(log.file, "{entry}");
    }
}

/// The lines a listing noted (`print`), with their times.
fn read_clock_log(path: &Path) -> Vec<(f64, String)> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| {
            let (nanos, line): (u64, String) = serde_json::from_str(line).ok()?;
            Some((nanos as f64 / 1e6, line))
        })
        .collect()
}

impl Requests {
    fn is_many(self) -> bool {
        matches!(self, Requests::Many(_))
    }
}

// ------------------------------------------------------------------ what a run recorded

/// One request the stand-in saw, on the run's clock (milliseconds from the run's start).
#[derive(Clone, Debug)]
pub struct Request {
    pub service: &'static str,
    pub path: String,
    pub arrived: f64,
    pub answered: Option<f64>,
}

/// What a run recorded: each printed line (as the output file shows it) with its time, the
/// requests, and the run's end; milliseconds from the run's start.
#[derive(Clone, Debug)]
pub struct Recording {
    pub paused: bool,
    pub lines: Vec<(f64, String)>,
    pub requests: Vec<Request>,
    pub end: f64,
}

/// How a timeline run is set up and what it leaves behind, for `Recording::collect`.
pub(crate) struct Recorder {
    stand_in: Option<stand_in::StandIn>,
    clock_file: Option<PathBuf>,
}

impl Recorder {
    /// A stand-in of its own (when the run talks to one), so its log holds this run's
    /// requests alone, and a file for a paused-clock listing's times.
    pub(crate) fn new(listing: &crate::Listing, uses_stand_in: bool) -> Result<Recorder, String> {
        let stand_in = if uses_stand_in {
            Some(crate::fresh_stand_in()?)
        } else {
            None
        };
        let clock_file = listing.paused_clock.then(|| {
            static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            std::env::temp_dir().join(format!(
                "book-timeline-{}-{}-{n}.jsonl",
                std::process::id(),
                listing.package
            ))
        });
        Ok(Recorder {
            stand_in,
            clock_file,
        })
    }

    pub(crate) fn stand_in_url(&self) -> Option<&str> {
        self.stand_in.as_ref().map(stand_in::StandIn::base_url)
    }

    pub(crate) fn env(&self) -> Vec<(String, String)> {
        self.clock_file
            .iter()
            .map(|file| (CLOCK_VAR.to_owned(), file.display().to_string()))
            .collect()
    }

    /// Puts the run's records together: `line_times` are the runner's, one per line of
    /// `output`, from `started`.
    pub(crate) fn finish(
        self,
        output: &str,
        line_times: &[Duration],
        started: Instant,
        ended: Duration,
    ) -> Recording {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let lines: Vec<&str> = output.lines().collect();
        let timed = match &self.clock_file {
            Some(file) => {
                let noted = read_clock_log(file);
                let _ = std::fs::remove_file(file);
                // Each output line takes the time the listing noted for it; a line it did not
                // print through println! (a panic's message) takes the time of the one before.
                let mut next = noted.iter().peekable();
                let mut last = 0.0;
                lines
                    .iter()
                    .map(|line| {
                        if let Some((at, _)) = next.next_if(|(_, noted)| noted == line) {
                            last = *at;
                        }
                        (last, (*line).to_owned())
                    })
                    .collect()
            }
            None => lines
                .iter()
                .enumerate()
                .map(|(i, line)| {
                    let at = line_times.get(i).copied().unwrap_or(ended);
                    (ms(at), (*line).to_owned())
                })
                .collect::<Vec<_>>(),
        };
        let requests = match &self.stand_in {
            Some(stand_in) => {
                let base = stand_in.started();
                let on_run_clock = |since_base: Duration| {
                    let at = base + since_base;
                    if at >= started {
                        ms(at - started)
                    } else {
                        -ms(started - at)
                    }
                };
                stand_in
                    .requests()
                    .into_iter()
                    .map(|record| Request {
                        service: record.service.map_or("none", |service| service.name()),
                        path: record.path,
                        arrived: on_run_clock(record.arrived),
                        answered: record.answered.map(on_run_clock),
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        let paused = self.clock_file.is_some();
        let end = if paused {
            timed.iter().map(|(at, _)| *at).fold(0.0, f64::max)
        } else {
            ms(ended)
        };
        Recording {
            paused,
            lines: timed,
            requests,
            end,
        }
    }
}

// ------------------------------------------------------------------ the picture's data

#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    pub paused: bool,
    pub sections: Vec<Section>,
}

/// Times in a section are milliseconds from the section's start.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    pub title: String,
    pub duration: f64,
    pub rows: Vec<Row>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub name: String,
    /// How many requests the row's in-flight bars stand for.
    pub requests: usize,
    pub bars: Vec<Bar>,
    pub marks: Vec<Mark>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub kind: BarKind,
    pub from: f64,
    pub to: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarKind {
    Waiting,
    Running,
    InFlight,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub kind: MarkKind,
    pub at: f64,
    /// The output line (1 for the first line after the command).
    pub line: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    /// It printed this line.
    Printed,
    /// It printed this line, which reports that it was cancelled.
    Cancelled,
    /// Its request was never answered: the listing dropped it.
    Dropped,
}

impl BarKind {
    fn class(self) -> &'static str {
        match self {
            BarKind::Waiting => "waiting",
            BarKind::Running => "running",
            BarKind::InFlight => "in-flight",
        }
    }
}

impl MarkKind {
    fn class(self) -> &'static str {
        match self {
            MarkKind::Printed => "printed",
            MarkKind::Cancelled => "cancelled",
            MarkKind::Dropped => "dropped",
        }
    }
}

// ------------------------------------------------------------------ from a run to a timeline

struct RowBuild {
    config: usize,
    name: String,
    lines: Vec<(f64, usize)>,
    cancelled: Option<f64>,
    requests: Vec<Request>,
    each: bool,
}

/// Makes the timeline of one run, as the listing's `timeline` table says.
pub fn build(config: &Config, recording: &Recording) -> Result<Timeline, String> {
    let compile = |regex: &str| Regex::new(regex).map_err(|e| format!("timeline regex: {e}"));
    let line_rules = config
        .rows
        .iter()
        .map(|row| row.lines.map(compile).transpose())
        .collect::<Result<Vec<_>, _>>()?;
    let cancel_rules = config
        .rows
        .iter()
        .map(|row| row.cancelled.map(compile).transpose())
        .collect::<Result<Vec<_>, _>>()?;

    // Sections: (title, start, end, first line index, end line index, settings).
    let mut bounds: Vec<(String, f64, usize, Option<&SectionConfig>)> = Vec::new();
    if config.sections.is_empty() {
        bounds.push((String::new(), 0.0, 0, None));
    } else {
        for (i, (at, line)) in recording.lines.iter().enumerate() {
            if let Some(section) = config.sections.iter().find(|s| s.header == line) {
                bounds.push((line.clone(), *at, i + 1, Some(section)));
            }
        }
        let headers: Vec<&str> = bounds.iter().map(|(title, ..)| title.as_str()).collect();
        let wanted: Vec<&str> = config.sections.iter().map(|s| s.header).collect();
        if headers != wanted {
            return Err(format!(
                "the run printed the section headers {headers:?}, the timeline expects {wanted:?}"
            ));
        }
    }

    let mut sections = Vec::new();
    for (index, (title, start, first_line, settings)) in bounds.iter().enumerate() {
        let (end, end_line) = match bounds.get(index + 1) {
            Some((_, next_start, next_line, _)) => (*next_start, next_line - 1),
            None => (recording.end, recording.lines.len()),
        };
        let lines = &recording.lines[*first_line..end_line];
        let mut rows: Vec<RowBuild> = Vec::new();
        for (offset, (at, text)) in lines.iter().enumerate() {
            let number = first_line + offset + 1;
            let Some((config_index, name)) = line_rules.iter().enumerate().find_map(|(i, rule)| {
                let captures = rule.as_ref()?.captures(text)?;
                let mut name = String::new();
                captures.expand(config.rows[i].name, &mut name);
                Some((i, name))
            }) else {
                continue;
            };
            let row = match rows
                .iter_mut()
                .position(|row| row.config == config_index && row.name == name)
            {
                Some(at) => &mut rows[at],
                None => {
                    rows.push(RowBuild {
                        config: config_index,
                        name,
                        lines: Vec::new(),
                        cancelled: None,
                        requests: Vec::new(),
                        each: false,
                    });
                    rows.last_mut().expect("just pushed")
                }
            };
            row.lines.push((*at, number));
            if cancel_rules[config_index]
                .as_ref()
                .is_some_and(|rule| rule.is_match(text))
            {
                row.cancelled = Some(*at);
            }
        }
        // Rows that only requests make, and the rows' requests.
        let (from, until) = if recording.paused {
            (start - SLACK_MS, end)
        } else {
            let until = if index + 1 < bounds.len() {
                end - READ_LAG_MS
            } else {
                end
            };
            (start - READ_LAG_MS, until)
        };
        let requests: Vec<&Request> = recording
            .requests
            .iter()
            .filter(|request| request.arrived >= from && request.arrived < until)
            .collect();
        for (config_index, row_config) in config.rows.iter().enumerate() {
            // A row of requests alone, alive through the whole section.
            if let (Requests::Many(service), None) = (row_config.requests, row_config.lines)
                && requests.iter().any(|r| r.service == service)
            {
                rows.push(RowBuild {
                    config: config_index,
                    name: row_config.name.to_owned(),
                    lines: Vec::new(),
                    cancelled: None,
                    requests: Vec::new(),
                    each: false,
                });
            }
            if let Requests::Each(service) = row_config.requests {
                for request in requests.iter().filter(|r| r.service == service) {
                    rows.push(RowBuild {
                        config: config_index,
                        name: item_name(&request.path),
                        lines: Vec::new(),
                        cancelled: None,
                        requests: vec![(*request).clone()],
                        each: true,
                    });
                }
            }
        }
        attribute_requests(config, &mut rows, &requests, *start, end)?;
        // Rows in the order of the configuration, then by name (`Task 2` before `Task 10`);
        // a row per request in the order they arrived.
        rows.sort_by(|a, b| {
            a.config.cmp(&b.config).then_with(|| {
                if a.each {
                    a.requests[0].arrived.total_cmp(&b.requests[0].arrived)
                } else {
                    natural_key(&a.name).cmp(&natural_key(&b.name))
                }
            })
        });

        // Output line numbers start at 1: the section's first line is `first_line + 1`.
        let section_first = *first_line;
        let section_from = settings.and_then(|s| s.from);
        let section_state = settings.and_then(|s| s.state);
        let rel = |at: f64| round(at - start, recording.paused);
        let mut built = Vec::new();
        for row in &rows {
            let row_config = &config.rows[row.config];
            let mut marks: Vec<Mark> = row
                .lines
                .iter()
                .map(|(at, line)| Mark {
                    kind: if row.cancelled == Some(*at)
                        && cancel_rules[row.config]
                            .as_ref()
                            .is_some_and(|rule| rule.is_match(&recording.lines[line - 1].1))
                    {
                        MarkKind::Cancelled
                    } else {
                        MarkKind::Printed
                    },
                    at: rel(*at),
                    line: Some(*line),
                })
                .collect();
            // When a request that was never answered stopped being in flight: where the row
            // reports its cancellation, or at the end of the section.
            let drop_at = |request: &Request| {
                row.cancelled
                    .filter(|at| *at >= request.arrived)
                    .unwrap_or(end)
            };
            let dropped_until = row
                .requests
                .iter()
                .filter(|r| r.answered.is_none())
                .map(drop_at)
                .fold(f64::NEG_INFINITY, f64::max);
            let mut bars = Vec::new();
            if let (Some(&(first_at, first_line)), Some(&(last_at, last_line))) =
                (row.lines.first(), row.lines.last())
            {
                let from_rule = row_config.from.or(section_from).unwrap_or(Start::First);
                let (from, from_line) = match from_rule {
                    Start::First => (first_at, Some(first_line)),
                    Start::Section => (*start, None),
                    // The line before, unless that is the section's header.
                    Start::Previous if first_line >= section_first + 2 => {
                        let previous = first_line - 1;
                        (recording.lines[previous - 1].0, Some(previous))
                    }
                    Start::Previous => (*start, None),
                };
                let state = row_config.state.or(section_state).unwrap_or(State::Waiting);
                // A row whose request was dropped waited until then.
                let (to, to_line) = if row_config.until_end {
                    (end, None)
                } else if dropped_until > last_at {
                    (dropped_until, None)
                } else {
                    (last_at, Some(last_line))
                };
                let kind = match state {
                    State::Waiting => Some(BarKind::Waiting),
                    State::Running => Some(BarKind::Running),
                    State::None => None,
                };
                if let Some(kind) = kind
                    && (to_line != Some(first_line) || from_line != Some(first_line))
                {
                    bars.push(Bar {
                        kind,
                        from: rel(from),
                        to: rel(to),
                    });
                }
            }
            // Requests: in flight from arrival to answer; one never answered ends where the
            // row reports its cancellation, or with the section.
            let mut spans: Vec<(f64, f64)> = Vec::new();
            for request in &row.requests {
                let to = match request.answered {
                    Some(answered) => answered,
                    None => {
                        let cut = drop_at(request);
                        // Unless the row's own line reports it there.
                        if row.cancelled != Some(cut) {
                            marks.push(Mark {
                                kind: MarkKind::Dropped,
                                at: rel(cut),
                                line: None,
                            });
                        }
                        cut
                    }
                };
                spans.push((request.arrived, to.max(request.arrived)));
            }
            spans.sort_by(|a, b| a.0.total_cmp(&b.0));
            // A row of many requests shows when they were in flight as one bar, from the
            // first arrival to the last answer (how many is in its data and its text).
            let merged: Vec<(f64, f64)> = if row_config.requests.is_many() {
                spans
                    .first()
                    .map(|first| (first.0, spans.iter().map(|s| s.1).fold(first.1, f64::max)))
                    .into_iter()
                    .collect()
            } else {
                spans
            };
            bars.extend(merged.into_iter().map(|(from, to)| Bar {
                kind: BarKind::InFlight,
                from: rel(from),
                to: rel(to),
            }));
            marks.sort_by(|a, b| a.at.total_cmp(&b.at).then(a.line.cmp(&b.line)));
            built.push(Row {
                name: row.name.clone(),
                requests: row.requests.len(),
                bars,
                marks,
            });
        }
        sections.push(Section {
            title: title.clone(),
            duration: rel(end),
            rows: built,
        });
    }
    Ok(Timeline {
        paused: recording.paused,
        sections,
    })
}

/// Gives each request to its row (see [`Requests`]).
fn attribute_requests(
    config: &Config,
    rows: &mut [RowBuild],
    requests: &[&Request],
    start: f64,
    end: f64,
) -> Result<(), String> {
    let life = |row: &RowBuild| -> (f64, f64) {
        let first = row.lines.first().map_or(start, |(at, _)| *at);
        let last = row.lines.last().map_or(end, |(at, _)| *at);
        (first, last)
    };
    // One request per row: answered ones in the order they were answered, each to the row
    // that printed first after its answer; then those never answered, to a row that reports
    // a cancellation, or the row that lived longest.
    let mut ones: Vec<&Request> = requests
        .iter()
        .copied()
        .filter(|request| {
            config
                .rows
                .iter()
                .any(|row| row.requests == Requests::One(request.service))
        })
        .collect();
    ones.sort_by(|a, b| match (a.answered, b.answered) {
        (Some(a), Some(b)) => a.total_cmp(&b),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.arrived.total_cmp(&b.arrived),
    });
    for request in ones {
        let free: Vec<usize> = (0..rows.len())
            .filter(|&i| {
                config.rows[rows[i].config].requests == Requests::One(request.service)
                    && rows[i].requests.is_empty()
            })
            .collect();
        let mut candidates: Vec<usize> = free
            .iter()
            .copied()
            .filter(|&i| life(&rows[i]).0 <= request.arrived + SLACK_MS)
            .collect();
        // None had started: the row's first line was read late (see READ_LAG_MS), so the
        // request is the next row's to start.
        if candidates.is_empty() {
            candidates.extend(
                free.iter()
                    .copied()
                    .min_by(|&a, &b| life(&rows[a]).0.total_cmp(&life(&rows[b]).0)),
            );
        }
        let chosen = match request.answered {
            Some(answered) => candidates
                .iter()
                .copied()
                .filter(|&i| life(&rows[i]).1 >= answered - SLACK_MS)
                .min_by(|&a, &b| life(&rows[a]).1.total_cmp(&life(&rows[b]).1))
                .or_else(|| candidates.first().copied()),
            None => candidates
                .iter()
                .copied()
                .find(|&i| rows[i].cancelled.is_some())
                .or_else(|| {
                    candidates
                        .iter()
                        .copied()
                        .max_by(|&a, &b| life(&rows[a]).1.total_cmp(&life(&rows[b]).1))
                }),
        };
        let Some(chosen) = chosen else {
            return Err(format!(
                "no row of the timeline can hold the request for {} that arrived at {:.1} ms \
                 (rows: {})",
                request.path,
                request.arrived,
                lives(rows)
            ));
        };
        rows[chosen].requests.push((*request).clone());
    }
    // Many requests per row: each to the row of its service that was alive when it arrived
    // (the latest to start, if several were), else to the next one to start (its first line
    // was read late).
    for request in requests {
        let many: Vec<usize> = (0..rows.len())
            .filter(|&i| config.rows[rows[i].config].requests == Requests::Many(request.service))
            .collect();
        if many.is_empty() {
            continue;
        }
        let chosen = many
            .iter()
            .copied()
            .filter(|&i| {
                let (first, last) = life(&rows[i]);
                first <= request.arrived + SLACK_MS && request.arrived <= last + SLACK_MS
            })
            .max_by(|&a, &b| life(&rows[a]).0.total_cmp(&life(&rows[b]).0))
            .or_else(|| {
                many.iter()
                    .copied()
                    .filter(|&i| life(&rows[i]).0 > request.arrived)
                    .min_by(|&a, &b| life(&rows[a]).0.total_cmp(&life(&rows[b]).0))
            });
        let Some(chosen) = chosen else {
            return Err(format!(
                "no row of the timeline was alive when the request for {} arrived at {:.1} ms \
                 (rows: {})",
                request.path,
                request.arrived,
                lives(rows)
            ));
        };
        rows[chosen].requests.push((*request).clone());
    }
    Ok(())
}

/// Each row's name and first and last line's times, for an error message.
fn lives(rows: &[RowBuild]) -> String {
    rows.iter()
        .map(|row| match (row.lines.first(), row.lines.last()) {
            (Some((first, _)), Some((last, _))) => {
                format!("{} {first:.1} to {last:.1} ms", row.name)
            }
            _ => format!("{} (no lines)", row.name),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `/v0/item/8863.json` is `item 8863`; other paths are shown as they are.
fn item_name(path: &str) -> String {
    path.strip_prefix("/v0/item/")
        .and_then(|rest| rest.strip_suffix(".json"))
        .map_or_else(|| path.to_owned(), |id| format!("item {id}"))
}

/// Sorts `Task 2` before `Task 10`.
fn natural_key(name: &str) -> Vec<(String, u64)> {
    let mut key = Vec::new();
    let mut text = String::new();
    let mut number = String::new();
    for c in name.chars() {
        if c.is_ascii_digit() {
            number.push(c);
        } else {
            if !number.is_empty() {
                key.push((std::mem::take(&mut text), number.parse().unwrap_or(0)));
                number.clear();
            }
            text.push(c);
        }
    }
    key.push((text, number.parse().unwrap_or(0)));
    key
}

/// Milliseconds as the picture keeps them: exact (to the nanosecond's thousandth of a
/// millisecond) on the paused clock, to a tenth of a millisecond on the real one.
fn round(ms: f64, paused: bool) -> f64 {
    let scale = if paused { 1e3 } else { 10.0 };
    (ms * scale).round() / scale
}

// ------------------------------------------------------------------ drawing

const WIDTH: f64 = 640.0;
/// The plot starts here; the row names are right-aligned before it.
const PLOT_LEFT: f64 = 112.0;
const PLOT_RIGHT: f64 = WIDTH - 24.0;
const ROW_HEIGHT: f64 = 24.0;
/// Rows of a section with a row per request are this thin, unlabelled and unmarked.
const THIN_ROW_HEIGHT: f64 = 4.0;
const THIN_FROM_ROWS: usize = 25;
/// A numbered dot's radius. Dots of one row closer than [`DOT_SPACING`] (lines printed at
/// the same moment, or a few milliseconds apart) are drawn side by side, in the order
/// printed: the marks move, the time axis does not.
const DOT_RADIUS: f64 = 8.0;
const DOT_SPACING: f64 = 17.0;

/// Where a time goes along the axis: proportional to the time, the same scale for every
/// section of a picture.
#[derive(Clone, Copy)]
struct Axis {
    scale: f64,
}

impl Axis {
    fn x(self, at: f64) -> f64 {
        PLOT_LEFT + self.scale * at
    }
}

/// A time for people: `0 ms`, `250 ms`, `1.5 s`.
fn say_time(ms: f64) -> String {
    if ms.abs() < 1000.0 {
        let rounded = (ms * 10.0).round() / 10.0;
        if rounded.fract() == 0.0 {
            format!("{rounded:.0} ms")
        } else {
            format!("{rounded:.1} ms")
        }
    } else {
        let s = format!("{:.2}", ms / 1000.0);
        let s = s.trim_end_matches('0').trim_end_matches('.');
        format!("{s} s")
    }
}

/// The step between ticks for the longest section: 1, 2 or 5 times a power of ten, at most
/// six steps.
fn tick_step(longest: f64) -> f64 {
    let mut step = 1.0;
    loop {
        for factor in [1.0, 2.0, 5.0] {
            if longest / (step * factor) <= 6.0 {
                return step * factor;
            }
        }
        step *= 10.0;
    }
}

/// Tick times: 0 and the multiples of `step` within a section.
fn ticks(duration: f64, step: f64) -> Vec<f64> {
    if duration <= 0.0 {
        return vec![0.0];
    }
    let mut ticks = Vec::new();
    let mut t = 0.0;
    while t <= duration + 1e-9 {
        ticks.push(t);
        t += step;
    }
    ticks
}

fn num(value: f64) -> String {
    let s = format!("{value:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

fn thin(section: &Section) -> bool {
    section.rows.len() >= THIN_FROM_ROWS
}

/// Draws a timeline as an SVG to inline in a chapter: colours come only from CSS classes
/// (theme/figures.css), its accessible name is its `<title>`, its text alternative the
/// `<desc>`, and its `data-` attributes hold the times the check compares.
pub fn render(timeline: &Timeline, listing_number: &str) -> String {
    let id = format!("timeline-{listing_number}");
    let longest = timeline
        .sections
        .iter()
        .map(|s| s.duration)
        .fold(0.0, f64::max);
    // Linear: x is proportional to time. A run where everything happened at one moment
    // (0 ms) has a single tick, and its dots side by side.
    let axis = Axis {
        scale: if longest > 0.0 {
            (PLOT_RIGHT - PLOT_LEFT) / longest
        } else {
            0.0
        },
    };
    let step = tick_step(longest);

    let mut body = Group::new();
    let mut y = 26.0;
    let heading = Text::new(format!(
        "Listing {listing_number}: one run, time from left to right"
    ))
    .set("class", "heading")
    .set("x", 0)
    .set("y", 14);
    body.append(heading);
    let mut used: Vec<&'static str> = Vec::new();
    for section in &timeline.sections {
        let mut group = Group::new()
            .set(
                "class",
                if thin(section) {
                    "section thin"
                } else {
                    "section"
                },
            )
            .set("data-title", section.title.clone())
            .set("data-duration", num(section.duration));
        if !section.title.is_empty() {
            y += 14.0;
            group.append(
                Text::new(section.title.clone())
                    .set("class", "section-title")
                    .set("x", 0)
                    .set("y", num(y)),
            );
            y += 6.0;
        }
        let thin = thin(section);
        let row_height = if thin { THIN_ROW_HEIGHT } else { ROW_HEIGHT };
        let rows_top = y;
        let rows_bottom = y + row_height * section.rows.len() as f64;
        // Grid lines first, under the rows.
        let tick_times = ticks(section.duration, step);
        for &t in &tick_times {
            let x = axis.x(t);
            group.append(
                Line::new()
                    .set("class", "grid")
                    .set("x1", num(x))
                    .set("x2", num(x))
                    .set("y1", num(rows_top))
                    .set("y2", num(rows_bottom)),
            );
        }
        if thin {
            group.append(
                Text::new(format!("{} requests,", section.rows.len()))
                    .set("class", "label")
                    .set("text-anchor", "end")
                    .set("x", num(PLOT_LEFT - 14.0))
                    .set("y", num((rows_top + rows_bottom) / 2.0 - 2.0)),
            );
            group.append(
                Text::new("one a row")
                    .set("class", "label")
                    .set("text-anchor", "end")
                    .set("x", num(PLOT_LEFT - 14.0))
                    .set("y", num((rows_top + rows_bottom) / 2.0 + 12.0)),
            );
        }
        for row in &section.rows {
            let middle = y + row_height / 2.0;
            let mut row_group = Group::new()
                .set("class", "row")
                .set("data-row", row.name.clone())
                .set("data-requests", row.requests);
            if !thin {
                row_group.append(
                    Text::new(row.name.clone())
                        .set("class", "label")
                        .set("text-anchor", "end")
                        .set("x", num(PLOT_LEFT - 14.0))
                        .set("y", num(middle + 4.0)),
                );
            }
            let mut bars: Vec<&Bar> = row.bars.iter().collect();
            bars.sort_by_key(|bar| bar.kind == BarKind::InFlight);
            for bar in bars {
                let x1 = axis.x(bar.from);
                let x2 = axis.x(bar.to);
                let height = match (thin, bar.kind) {
                    (true, _) => row_height - 1.0,

                    (false, BarKind::InFlight) => 6.0,
                    (false, _) => 14.0,
                };
                let rect = Rectangle::new()
                    .set("class", bar.kind.class())
                    .set("x", num(x1))
                    .set("y", num(middle - height / 2.0))
                    .set("width", num((x2 - x1).max(1.0)))
                    .set("height", num(height))
                    .set("data-from", num(bar.from))
                    .set("data-to", num(bar.to));
                row_group.append(rect);
                used.push(bar.kind.class());
            }
            // Numbered dots of one row closer than a dot's width (printed at the same
            // moment, or nearly) are drawn side by side, in the order printed, and kept
            // inside the picture; the times in their data, and the axis, stay as they are.
            let mut xs: Vec<f64> = row.marks.iter().map(|m| axis.x(m.at)).collect();
            if !thin {
                let numbered: Vec<usize> = (0..row.marks.len())
                    .filter(|&i| row.marks[i].line.is_some())
                    .collect();
                for pair in numbered.windows(2) {
                    xs[pair[1]] = xs[pair[1]].max(xs[pair[0]] + DOT_SPACING);
                }
                if let Some(&last) = numbered.last() {
                    xs[last] = xs[last].min(WIDTH - 18.0);
                }
                for pair in numbered.windows(2).rev() {
                    xs[pair[0]] = xs[pair[0]].min(xs[pair[1]] - DOT_SPACING);
                }
            }
            for (mark, &x) in row.marks.iter().zip(&xs) {
                let mut node = Group::new()
                    .set("class", mark.kind.class())
                    .set("data-at", num(mark.at));
                if let Some(line) = mark.line {
                    node.assign("data-line", line);
                }
                if !thin {
                    if let Some(line) = mark.line {
                        node.append(
                            Circle::new()
                                .set("cx", num(x))
                                .set("cy", num(middle))
                                .set("r", num(DOT_RADIUS)),
                        );
                        node.append(
                            Text::new(line.to_string())
                                .set("text-anchor", "middle")
                                .set("x", num(x))
                                .set("y", num(middle + 3.5)),
                        );
                    }
                    if mark.kind != MarkKind::Printed {
                        let (cx, size) = if mark.line.is_some() {
                            (x + DOT_RADIUS + 4.0, 3.5)
                        } else {
                            (x, 5.0)
                        };
                        for (dx, dy) in [(size, size), (size, -size)] {
                            node.append(
                                Line::new()
                                    .set("class", "cross")
                                    .set("x1", num(cx - dx))
                                    .set("y1", num(middle - dy))
                                    .set("x2", num(cx + dx))
                                    .set("y2", num(middle + dy)),
                            );
                        }
                    }
                }
                row_group.append(node);
                used.push(mark.kind.class());
            }
            group.append(row_group);
            y += row_height;
        }
        // The axis, under the section's rows.
        y += 4.0;
        group.append(
            Line::new()
                .set("class", "axis")
                .set("x1", num(PLOT_LEFT))
                .set("x2", num(axis.x(section.duration).max(PLOT_LEFT + 40.0)))
                .set("y1", num(y))
                .set("y2", num(y)),
        );
        for &t in &tick_times {
            let x = axis.x(t);
            group.append(
                Line::new()
                    .set("class", "axis")
                    .set("x1", num(x))
                    .set("x2", num(x))
                    .set("y1", num(y))
                    .set("y2", num(y + 4.0)),
            );
            group.append(
                Text::new(say_time(t))
                    .set("class", "tick")
                    .set("text-anchor", "middle")
                    .set("x", num(x))
                    .set("y", num(y + 15.0)),
            );
        }
        y += 22.0;
        body.append(group);
    }

    // A legend of what this picture uses.
    let legend_items: [(&str, &str); 6] = [
        ("waiting", "waiting"),
        ("running", "holding a thread"),
        ("in-flight", "request in flight"),
        ("printed", "printed output line n"),
        ("cancelled", "reported its cancellation"),
        ("dropped", "request dropped unanswered"),
    ];
    let mut legend = Group::new().set("class", "legend");
    let mut x = 0.0;
    y += 8.0;
    for (class, text) in legend_items {
        if !used.contains(&class) {
            continue;
        }
        let width = 22.0 + 6.2 * text.len() as f64 + 16.0;
        if x + width > WIDTH {
            x = 0.0;
            y += 18.0;
        }
        let mut item = Group::new().set("class", class);
        match class {
            "waiting" | "running" => item.append(
                Rectangle::new()
                    .set("x", num(x))
                    .set("y", num(y - 7.0))
                    .set("width", 16)
                    .set("height", 10),
            ),
            "in-flight" => item.append(
                Rectangle::new()
                    .set("x", num(x))
                    .set("y", num(y - 5.0))
                    .set("width", 16)
                    .set("height", 6),
            ),
            _ => {
                if class != "dropped" {
                    item.append(
                        Circle::new()
                            .set("cx", num(x + 8.0))
                            .set("cy", num(y - 2.0))
                            .set("r", num(DOT_RADIUS)),
                    );
                    item.append(
                        Text::new("n")
                            .set("text-anchor", "middle")
                            .set("x", num(x + 8.0))
                            .set("y", num(y + 1.5)),
                    );
                }
                if class != "printed" {
                    let cx = if class == "dropped" {
                        x + 8.0
                    } else {
                        x + 20.0
                    };
                    for (dx, dy) in [(3.5, 3.5), (3.5, -3.5)] {
                        item.append(
                            Line::new()
                                .set("class", "cross")
                                .set("x1", num(cx - dx))
                                .set("y1", num(y - 2.0 - dy))
                                .set("x2", num(cx + dx))
                                .set("y2", num(y - 2.0 + dy)),
                        );
                    }
                }
            }
        }
        let text_x = if class == "cancelled" {
            x + 30.0
        } else {
            x + 22.0
        };
        legend.append(item);
        legend.append(
            Text::new(text)
                .set("class", "label")
                .set("x", num(text_x))
                .set("y", num(y + 2.0)),
        );
        x += width + if class == "cancelled" { 8.0 } else { 0.0 };
    }
    body.append(legend);
    let height = (y + 10.0).ceil();

    let document = svg::Document::new()
        .set("class", "timeline")
        .set("role", "img")
        // Focusable: where the figure is wider than the screen (a phone) it scrolls
        // sideways, and a keyboard user scrolls it with the arrow keys once it has focus.
        .set("tabindex", 0)
        .set("aria-labelledby", format!("{id}-title {id}-desc"))
        .set("viewBox", format!("0 0 {} {}", num(WIDTH), num(height)))
        .set("width", num(WIDTH))
        .set("height", num(height))
        .set(
            "data-clock",
            if timeline.paused { "paused" } else { "real" },
        )
        .add(
            Title::new(format!("Timeline of a run of Listing {listing_number}"))
                .set("id", format!("{id}-title")),
        )
        .add(
            Description::new()
                .set("id", format!("{id}-desc"))
                .add(svg::node::Text::new(describe(timeline))),
        )
        .add(body);
    format!("{document}\n")
}

/// The text alternative: what the picture shows, row by row.
pub fn describe(timeline: &Timeline) -> String {
    let mut text = String::from(
        "Time runs from left to right, one row per task or request; a numbered dot is the \
         moment that row printed that line of the output.",
    );
    text.push_str(
        " Lengths along the time axis are proportional to time; dots a row printed at the \
         same moment, or too close together to tell apart, are drawn side by side in the \
         order printed.",
    );
    for section in &timeline.sections {
        text.push(' ');
        if !section.title.is_empty() {
            let _ = write!(text, "{} ", section.title);
        }
        if thin(section) {
            let first = section
                .rows
                .iter()
                .flat_map(|row| row.bars.first())
                .map(|bar| bar.from)
                .fold(f64::INFINITY, f64::min);
            let last = section
                .rows
                .iter()
                .flat_map(|row| row.bars.last())
                .map(|bar| bar.to)
                .fold(0.0, f64::max);
            let _ = write!(
                text,
                "{} requests, one a row in the order they arrived, the first at {}, the last \
                 answered at {}; at most {} in flight at once.",
                section.rows.len(),
                say_time(first),
                say_time(last),
                peak(section)
            );
            continue;
        }
        for row in &section.rows {
            let mut parts: Vec<String> = Vec::new();
            for bar in &row.bars {
                let what = match bar.kind {
                    BarKind::Waiting => "waiting".to_owned(),
                    BarKind::Running => "holding its thread".to_owned(),
                    BarKind::InFlight if row.requests > 1 => {
                        format!("{} requests in flight", row.requests)
                    }
                    BarKind::InFlight => "its request in flight".to_owned(),
                };
                parts.push(format!(
                    "{what} from {} to {}",
                    say_time(bar.from),
                    say_time(bar.to)
                ));
            }
            for mark in &row.marks {
                parts.push(match (mark.kind, mark.line) {
                    (MarkKind::Printed, Some(line)) => {
                        format!("printed line {line} at {}", say_time(mark.at))
                    }
                    (MarkKind::Cancelled, Some(line)) => format!(
                        "printed line {line}, its cancellation, at {}",
                        say_time(mark.at)
                    ),
                    _ => format!("its request dropped unanswered at {}", say_time(mark.at)),
                });
            }
            let _ = write!(text, "{}: {}.", row.name, parts.join(", "));
            text.push(' ');
        }
        text.truncate(text.trim_end().len());
    }
    text
}

/// The most in-flight bars of a section that overlap at one moment.
fn peak(section: &Section) -> usize {
    let mut edges: Vec<(f64, i32)> = Vec::new();
    for row in &section.rows {
        for bar in row.bars.iter().filter(|b| b.kind == BarKind::InFlight) {
            edges.push((bar.from, 1));
            edges.push((bar.to, -1));
        }
    }
    edges.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
    let (mut now, mut most) = (0i32, 0i32);
    for (_, change) in edges {
        now += change;
        most = most.max(now);
    }
    most as usize
}

// ------------------------------------------------------------------ reading a picture back

/// The timeline an SVG drawn by [`render`] holds, from its `data-` attributes.
pub fn parse(svg_text: &str) -> Result<Timeline, String> {
    use svg::node::element::tag::Type;
    use svg::parser::Event;
    let unescape = |value: &str| {
        value
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    let number = |attributes: &svg::node::Attributes, key: &str| -> Result<Option<f64>, String> {
        attributes
            .get(key)
            .map(|value| {
                value
                    .to_string()
                    .parse::<f64>()
                    .map_err(|e| format!("{key}={value}: {e}"))
            })
            .transpose()
    };
    let mut timeline: Option<Timeline> = None;
    // Which <g> each end tag closes.
    let mut open: Vec<&str> = Vec::new();
    for event in svg::read(svg_text).map_err(|e| e.to_string())? {
        match event {
            Event::Error(error) => return Err(error.to_string()),
            Event::Tag("svg", Type::Start, attributes) => {
                let clock = attributes.get("data-clock").map(|v| v.to_string());
                timeline = Some(Timeline {
                    paused: clock.as_deref() == Some("paused"),
                    sections: Vec::new(),
                });
            }
            Event::Tag("g", Type::Start, attributes) => {
                let timeline = timeline.as_mut().ok_or("a <g> outside <svg>")?;
                let class = attributes.get("class").map(|v| v.to_string());
                let kind = match class.as_deref() {
                    Some("section" | "section thin") => {
                        timeline.sections.push(Section {
                            title: unescape(
                                &attributes
                                    .get("data-title")
                                    .map(|v| v.to_string())
                                    .unwrap_or_default(),
                            ),
                            duration: number(&attributes, "data-duration")?.unwrap_or(0.0),
                            rows: Vec::new(),
                        });
                        "section"
                    }
                    Some("row") => {
                        let section = timeline
                            .sections
                            .last_mut()
                            .ok_or("a row outside a section")?;
                        section.rows.push(Row {
                            name: unescape(
                                &attributes
                                    .get("data-row")
                                    .map(|v| v.to_string())
                                    .unwrap_or_default(),
                            ),
                            requests: number(&attributes, "data-requests")?.unwrap_or(0.0) as usize,
                            bars: Vec::new(),
                            marks: Vec::new(),
                        });
                        "row"
                    }
                    Some(class @ ("printed" | "cancelled" | "dropped"))
                        if attributes.contains_key("data-at") =>
                    {
                        let row = timeline
                            .sections
                            .last_mut()
                            .and_then(|s| s.rows.last_mut())
                            .ok_or("a mark outside a row")?;
                        row.marks.push(Mark {
                            kind: match class {
                                "printed" => MarkKind::Printed,
                                "cancelled" => MarkKind::Cancelled,
                                _ => MarkKind::Dropped,
                            },
                            at: number(&attributes, "data-at")?.unwrap_or(0.0),
                            line: number(&attributes, "data-line")?.map(|l| l as usize),
                        });
                        "mark"
                    }
                    _ => "other",
                };
                open.push(kind);
            }
            Event::Tag("g", Type::End, _) => {
                open.pop();
            }
            Event::Tag("rect", _, attributes) if open.last() == Some(&"row") => {
                let class = attributes.get("class").map(|v| v.to_string());
                let kind = match class.as_deref() {
                    Some("waiting") => BarKind::Waiting,
                    Some("running") => BarKind::Running,
                    Some("in-flight") => BarKind::InFlight,
                    _ => continue,
                };
                let row = timeline
                    .as_mut()
                    .and_then(|t| t.sections.last_mut())
                    .and_then(|s| s.rows.last_mut())
                    .ok_or("a bar outside a row")?;
                row.bars.push(Bar {
                    kind,
                    from: number(&attributes, "data-from")?.unwrap_or(0.0),
                    to: number(&attributes, "data-to")?.unwrap_or(0.0),
                });
            }
            _ => {}
        }
    }
    timeline.ok_or_else(|| "no <svg> element".to_owned())
}

// ------------------------------------------------------------------ comparing

/// How far a fresh run's time may be from the picture's on the real clock: see
/// [`REAL_CLOCK_TOLERANCE_MS`].
pub fn tolerance(shown_at: f64) -> f64 {
    REAL_CLOCK_TOLERANCE_MS + REAL_CLOCK_TOLERANCE_SHARE * shown_at.abs()
}

/// A time the check compares: what it is, when in the picture and when in the fresh run.
struct TimePair {
    what: String,
    shown: f64,
    fresh: f64,
}

/// The times the check compares, for the rows (by name) and the marks and bars that match.
/// On the real clock each section's times count from its first line or request (after its
/// header): a loaded machine starts a listing, or builds its client, hundreds of
/// milliseconds late (measured: 258 ms to start 11-1, 190 ms to build 3-4's blocking
/// client), which is no lesson. A bar that starts with the section stays at 0.
fn time_pairs(shown: &Timeline, fresh: &Timeline) -> Vec<TimePair> {
    let mut pairs = Vec::new();
    for (a, b) in shown.sections.iter().zip(&fresh.sections) {
        let at = section_prefix(a);
        let mut section = vec![(format!("{at}the section's end"), a.duration, b.duration)];
        // (time in the picture, time now) of what the run itself shows: lines, requests.
        let mut seen: Vec<(f64, f64)> = Vec::new();
        for row in &a.rows {
            let Some(now) = b.rows.iter().find(|r| r.name == row.name) else {
                continue;
            };
            let name = &row.name;
            if row.marks.len() == now.marks.len() {
                for (m, n) in row.marks.iter().zip(&now.marks) {
                    let what = m
                        .line
                        .map_or("a dropped request".to_owned(), |l| format!("line {l}"));
                    section.push((format!("{at}{name}: {what}"), m.at, n.at));
                    seen.push((m.at, n.at));
                }
            }
            if row.bars.len() == now.bars.len() {
                for (m, n) in row.bars.iter().zip(&now.bars) {
                    let kind = m.kind.class();
                    section.push((format!("{at}{name}: {kind} bar's start"), m.from, n.from));
                    section.push((format!("{at}{name}: {kind} bar's end"), m.to, n.to));
                    if m.kind == BarKind::InFlight {
                        seen.push((m.from, n.from));
                    }
                }
            }
        }
        let first = |pick: fn(&(f64, f64)) -> f64| {
            let first = seen.iter().map(pick).fold(f64::INFINITY, f64::min);
            if first.is_finite() && !shown.paused {
                first
            } else {
                0.0
            }
        };
        let (from_shown, from_fresh) = (first(|p| p.0), first(|p| p.1));
        for (what, a, b) in section {
            let (shown, fresh) = if a == 0.0 && b == 0.0 {
                (0.0, 0.0)
            } else {
                (a - from_shown, b - from_fresh)
            };
            pairs.push(TimePair { what, shown, fresh });
        }
    }
    pairs
}

fn section_prefix(section: &Section) -> String {
    if section.title.is_empty() {
        String::new()
    } else {
        format!("{}: ", section.title.trim_end_matches(':'))
    }
}

/// How far a fresh run wandered from the picture, to measure it (`BOOK_TIMELINE_REPORT`):
/// the largest difference of a time, and the time that used the largest share of its
/// tolerance, with the peaks of requests in flight; with `all`, every time compared.
pub fn report(shown: &Timeline, fresh: &Timeline, vary: bool, all: bool) -> String {
    let pairs = time_pairs(shown, fresh);
    let mut text = String::new();
    if vary {
        text.push_str("(vary: times not compared) ");
    }
    let off = |p: &TimePair| (p.shown - p.fresh).abs();
    let used = |p: &TimePair| off(p) / tolerance(p.shown);
    let largest = pairs.iter().max_by(|a, b| off(a).total_cmp(&off(b)));
    let most_used = pairs.iter().max_by(|a, b| used(a).total_cmp(&used(b)));
    if let (Some(largest), Some(most_used)) = (largest, most_used) {
        let _ = write!(
            text,
            "largest difference {:.1} ms ({} at {:.1} ms, now {:.1} ms); {:.0}% of the \
             tolerance used ({} at {:.1} ms, now {:.1} ms)",
            off(largest),
            largest.what,
            largest.shown,
            largest.fresh,
            100.0 * used(most_used),
            most_used.what,
            most_used.shown,
            most_used.fresh,
        );
    }
    let peaks = |t: &Timeline| t.sections.iter().map(peak).collect::<Vec<_>>();
    let _ = write!(
        text,
        "; in flight at the peak {:?}, now {:?}",
        peaks(shown),
        peaks(fresh)
    );
    if all {
        for p in &pairs {
            let _ = write!(
                text,
                "\n  {}: {:.1} ms, now {:.1} ms",
                p.what, p.shown, p.fresh
            );
        }
    }
    text
}

/// A fresh run's peak of requests in flight at once matches the picture's when it is at
/// least half of it and at most half as much again (a fan-out's widest level may meet the
/// stragglers of the level before it on a slow machine).
fn peak_close(shown: usize, now: usize) -> bool {
    2 * now >= shown && 2 * now <= 3 * shown
}

/// Does a fresh run's timeline match the picture's? The same sections, rows (by name) and,
/// in each row, the same marks and bars (kinds, lines); the same times: exactly on the
/// paused clock, within [`tolerance`] on the real one, not at all with `vary`; and about as
/// many requests in flight at the peak (`peak_close`; with `vary`, only in a section of a
/// row per request).
/// `movable` are the output lines that may come in another order (the listing's `unordered`
/// blocks): which of them a row printed is not compared.
pub fn compare(
    shown: &Timeline,
    fresh: &Timeline,
    vary: bool,
    movable: &std::collections::HashSet<usize>,
) -> Result<(), String> {
    let mut problems = Vec::new();
    let titles = |t: &Timeline| {
        t.sections
            .iter()
            .map(|s| s.title.clone())
            .collect::<Vec<_>>()
    };
    if titles(shown) != titles(fresh) {
        problems.push(format!(
            "sections: the picture has {:?}, the run {:?}",
            titles(shown),
            titles(fresh)
        ));
    }
    for (a, b) in shown.sections.iter().zip(&fresh.sections) {
        let at = section_prefix(a);
        // How many requests were in flight at once: the lesson of a fan-out (a section with
        // a row per request, whose text states it) or of requests made at once or one after
        // another; compared unless the listing's random draws decide it (`vary`).
        let (peak_shown, peak_now) = (peak(a), peak(b));
        if (!vary || thin(a)) && !peak_close(peak_shown, peak_now) {
            problems.push(format!(
                "{at}{peak_shown} requests in flight at once at the peak in the picture, \
                 {peak_now} now"
            ));
        }
        let names = |s: &Section| {
            let mut names: Vec<String> = s.rows.iter().map(|r| r.name.clone()).collect();
            names.sort();
            names
        };
        if names(a) != names(b) {
            problems.push(format!(
                "{at}rows: the picture has {:?}, the run {:?}",
                names(a),
                names(b)
            ));
            continue;
        }
        for row in &a.rows {
            let Some(now) = b.rows.iter().find(|r| r.name == row.name) else {
                continue;
            };
            let name = &row.name;
            if row.requests != now.requests {
                problems.push(format!(
                    "{at}{name}: {} requests in the picture, {} now",
                    row.requests, now.requests
                ));
            }
            let kinds = |marks: &[Mark]| {
                marks
                    .iter()
                    .map(|m| {
                        let fixed = m.line.filter(|line| !vary && !movable.contains(line));
                        (m.kind, fixed)
                    })
                    .collect::<Vec<_>>()
            };
            if kinds(&row.marks) != kinds(&now.marks) {
                problems.push(format!(
                    "{at}{name}: marks {:?} in the picture, {:?} now",
                    kinds(&row.marks),
                    kinds(&now.marks)
                ));
            }
            let bar_kinds = |bars: &[Bar]| bars.iter().map(|b| b.kind).collect::<Vec<_>>();
            if bar_kinds(&row.bars) != bar_kinds(&now.bars) {
                problems.push(format!(
                    "{at}{name}: bars {:?} in the picture, {:?} now",
                    bar_kinds(&row.bars),
                    bar_kinds(&now.bars)
                ));
            }
        }
    }
    if !vary {
        let mut late = false;
        for pair in time_pairs(shown, fresh) {
            let (a, b) = (pair.shown, pair.fresh);
            if shown.paused && a != b {
                problems.push(format!(
                    "{}: {} in the picture, {} now",
                    pair.what,
                    say_time(a),
                    say_time(b)
                ));
            } else if !shown.paused && (a - b).abs() > tolerance(a) {
                late = true;
                problems.push(format!(
                    "{}: {} in the picture, {} now (at most {} apart)",
                    pair.what,
                    say_time(a),
                    say_time(b),
                    say_time(tolerance(a))
                ));
            }
        }
        if late {
            problems.push(
                "(times from each section's first line or request; they may differ by \
                 200 ms plus half the time)"
                    .to_owned(),
            );
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROWS: &[RowConfig] = &[
        RowConfig {
            name: "process $1",
            lines: Some(r"(?i)process (\d)"),
            cancelled: None,
            from: None,
            state: None,
            until_end: false,
            requests: Requests::One("github"),
        },
        RowConfig {
            name: "main",
            lines: Some("^took"),
            cancelled: None,
            from: Some(Start::Section),
            state: None,
            until_end: false,
            requests: Requests::None,
        },
    ];

    const SECTIONS: &[SectionConfig] = &[
        SectionConfig {
            header: "one by one:",
            from: Some(Start::Previous),
            state: Some(State::Running),
        },
        SectionConfig {
            header: "together:",
            from: None,
            state: None,
        },
    ];

    const CONFIG: Config = Config {
        run: "output.txt",
        vary: false,
        sections: SECTIONS,
        rows: ROWS,
    };

    fn request(arrived: f64, answered: Option<f64>) -> Request {
        Request {
            service: "github",
            path: "/events".to_owned(),
            arrived,
            answered,
        }
    }

    /// Two processes one after another, then two at once, the second one dropped.
    fn recording() -> Recording {
        let lines = [
            (0.0, "one by one:"),
            (1.0, "process 1 started"),
            (102.0, "Process 1 done"),
            (103.0, "process 2 started"),
            (204.0, "Process 2 done"),
            (205.0, "together:"),
            (206.0, "process 1 started"),
            (206.5, "process 2 started"),
            (307.0, "Process 1 done"),
            (308.0, "took 0.1 s"),
        ];
        Recording {
            paused: false,
            lines: lines.iter().map(|(t, l)| (*t, (*l).to_owned())).collect(),
            requests: vec![
                request(2.0, Some(101.0)),
                request(104.0, Some(203.0)),
                request(207.0, Some(306.0)),
                request(207.5, None),
            ],
            end: 310.0,
        }
    }

    #[test]
    fn a_run_becomes_rows_with_their_lines_bars_and_requests() {
        let timeline = build(&CONFIG, &recording()).unwrap();
        let one_by_one = &timeline.sections[0];
        assert_eq!(one_by_one.title, "one by one:");
        let names: Vec<&str> = one_by_one.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["process 1", "process 2"]);
        // `previous`: process 2 starts when process 1's last line is printed.
        let second = &one_by_one.rows[1];
        assert_eq!(second.bars[0].kind, BarKind::Running);
        assert_eq!((second.bars[0].from, second.bars[0].to), (102.0, 204.0));
        assert_eq!(second.bars[1].kind, BarKind::InFlight);
        assert_eq!((second.bars[1].from, second.bars[1].to), (104.0, 203.0));

        // Times count from the section's start; the request never answered is dropped at
        // the section's end, and its row waits until then.
        let together = &timeline.sections[1];
        assert_eq!(together.duration, 105.0);
        let second = &together.rows[1];
        assert_eq!(second.name, "process 2");
        assert_eq!(second.bars[0].kind, BarKind::Waiting);
        assert_eq!(second.bars[0].to, 105.0);
        assert_eq!(second.bars[1].kind, BarKind::InFlight);
        assert_eq!(second.marks.last().unwrap().kind, MarkKind::Dropped);
        let main = &together.rows[2];
        assert_eq!((main.bars[0].from, main.bars[0].to), (0.0, 103.0));
    }

    #[test]
    fn the_picture_holds_its_data_and_draws_the_same_from_it() {
        for paused in [false, true] {
            let mut recording = recording();
            recording.paused = paused;
            let timeline = build(&CONFIG, &recording).unwrap();
            let svg = render(&timeline, "3-4");
            let read = parse(&svg).unwrap();
            assert_eq!(read, timeline);
            assert_eq!(render(&read, "3-4"), svg);
            assert!(
                !svg.contains("\n\n"),
                "a blank line would end the page's HTML block"
            );
            assert!(svg.contains(r#"role="img""#) && svg.contains("<desc id="));
            assert!(
                !svg.contains("fill="),
                "colours come from the stylesheet only"
            );
        }
    }

    #[test]
    fn x_is_proportional_to_time_and_only_dots_of_one_row_at_one_moment_move_apart() {
        let mark = |at: f64, line: usize| Mark {
            kind: MarkKind::Printed,
            at,
            line: Some(line),
        };
        let timeline = Timeline {
            paused: true,
            sections: vec![Section {
                title: String::new(),
                duration: 100.0,
                rows: vec![
                    Row {
                        name: "a".to_owned(),
                        requests: 0,
                        bars: Vec::new(),
                        marks: vec![mark(0.0, 1), mark(0.0, 3), mark(50.0, 4)],
                    },
                    Row {
                        name: "b".to_owned(),
                        requests: 0,
                        bars: vec![Bar {
                            kind: BarKind::Waiting,
                            from: 10.0,
                            to: 100.0,
                        }],
                        marks: vec![mark(0.0, 2)],
                    },
                ],
            }],
        };
        let svg = render(&timeline, "1-1");
        let numbers = |pattern: &str| -> Vec<f64> {
            Regex::new(pattern)
                .unwrap()
                .captures_iter(&svg)
                .map(|c| c[1].parse().unwrap())
                .collect()
        };
        let width = PLOT_RIGHT - PLOT_LEFT;
        // Ticks every 20 ms, evenly spaced, the last one at the axis' end.
        let grid = numbers(r#"<line class="grid" x1="([\d.]+)""#);
        let expected: Vec<f64> = (0..=5)
            .map(|i| PLOT_LEFT + width * f64::from(i) / 5.0)
            .collect();
        assert_eq!(grid, expected);
        // Row a: lines 1 and 3 at 0 ms side by side, line 4 where 50 ms is; row b's line 2 at
        // 0 ms stays on the axis' 0.
        // (The legend's dot comes last.)
        let dots = numbers(r#"<circle cx="([\d.]+)""#);
        assert_eq!(
            dots[..4],
            [
                PLOT_LEFT,
                PLOT_LEFT + DOT_SPACING,
                PLOT_LEFT + width / 2.0,
                PLOT_LEFT
            ]
        );
        // A bar's length is its duration.
        let bar = numbers(r#"<rect class="waiting"[^>]* width="([\d.]+)""#);
        assert_eq!(bar, [width * 0.9]);
    }

    #[test]
    fn real_clock_times_may_differ_by_the_tolerance_and_paused_ones_not_at_all() {
        let shown = build(&CONFIG, &recording()).unwrap();
        // "Process 1 done" (line 9, at 101 ms of its section), the line after it, process
        // 1's answer and the run's end, later by `by`.
        let later = |by: f64| {
            let mut recording = recording();
            for (at, _) in &mut recording.lines[8..] {
                *at += by;
            }
            recording.requests[2].answered = recording.requests[2].answered.map(|at| at + by);
            recording.end += by;
            build(&CONFIG, &recording).unwrap()
        };
        let none = std::collections::HashSet::new();
        // At 101 ms a time may move by more than the tolerance at 0 ms.
        assert!(compare(&shown, &later(tolerance(0.0) + 1.0), false, &none).is_ok());
        let error = compare(&shown, &later(tolerance(101.0) + 1.0), false, &none).unwrap_err();
        assert!(error.contains("together: process 1: line 9"), "{error}");
        assert!(compare(&shown, &later(tolerance(101.0) + 1.0), true, &none).is_ok());

        // A section whose first line or request came late after its header (a slow start,
        // a client built slowly) is compared from there: everything after it is on time.
        let started_late = |by: f64| {
            let mut recording = recording();
            for (at, _) in &mut recording.lines[6..] {
                *at += by;
            }
            for request in &mut recording.requests[2..] {
                request.arrived += by;
                request.answered = request.answered.map(|at| at + by);
            }
            recording.end += by;
            build(&CONFIG, &recording).unwrap()
        };
        let late = started_late(300.0);
        assert_ne!(late, shown);
        assert!(compare(&shown, &late, false, &none).is_ok());

        let mut paused = shown.clone();
        paused.paused = true;
        let mut later = paused.clone();
        later.sections[1].rows[0].marks[0].at += 0.001;
        assert!(compare(&paused, &later, false, &none).is_err());
    }

    #[test]
    fn requests_made_at_once_instead_of_one_after_another_fail_within_the_tolerance() {
        let shown = build(&CONFIG, &recording()).unwrap();
        // Process 1's request answered 49 ms later, while process 2's is in flight: two
        // at once where the picture shows one at a time, though every time is close.
        let mut recording = recording();
        recording.requests[0].answered = Some(150.0);
        let fresh = build(&CONFIG, &recording).unwrap();
        let none = std::collections::HashSet::new();
        let error = compare(&shown, &fresh, false, &none).unwrap_err();
        assert_eq!(
            error,
            "one by one: 1 requests in flight at once at the peak in the picture, 2 now"
        );
        // With `vary`, only a section of a row per request compares its peak.
        assert!(compare(&shown, &fresh, true, &none).is_ok());
        assert!(peak_close(10, 10) && peak_close(10, 5) && peak_close(10, 15));
        assert!(!peak_close(10, 4) && !peak_close(10, 16) && !peak_close(3, 1));
    }

    #[test]
    fn a_request_seen_before_its_rows_first_line_was_read_still_goes_to_that_row() {
        // A loaded machine: the runner read "process 1 started" 29 ms late, after the request
        // it was printed before had arrived.
        let mut recording = recording();
        recording.lines[1].0 = 30.0;
        let timeline = build(&CONFIG, &recording).unwrap();
        assert_eq!(timeline.sections[0].rows[0].requests, 1);

        const RUNS: &[RowConfig] = &[RowConfig {
            name: "run $1",
            lines: Some(r"\((\d)\)$"),
            cancelled: None,
            from: None,
            state: None,
            until_end: false,
            requests: Requests::Many("hn"),
        }];
        let config = Config {
            run: "output.txt",
            vary: false,
            sections: &[],
            rows: RUNS,
        };
        let hn = |arrived: f64, answered: f64| Request {
            service: "hn",
            path: "/v0/topstories.json".to_owned(),
            arrived,
            answered: Some(answered),
        };
        let lines = [
            (10.0, "start (1)"),
            (100.0, "done (1)"),
            (200.0, "start (2)"),
            (300.0, "done (2)"),
        ];
        let recording = Recording {
            paused: false,
            lines: lines.iter().map(|(t, l)| (*t, (*l).to_owned())).collect(),
            // The second arrived before "start (2)" was read.
            requests: vec![hn(20.0, 90.0), hn(150.0, 250.0)],
            end: 310.0,
        };
        let timeline = build(&config, &recording).unwrap();
        let requests: Vec<usize> = timeline.sections[0]
            .rows
            .iter()
            .map(|r| r.requests)
            .collect();
        assert_eq!(requests, [1, 1]);
    }

    #[test]
    fn a_row_that_prints_other_lines_or_loses_its_request_fails() {
        let shown = build(&CONFIG, &recording()).unwrap();
        let none = std::collections::HashSet::new();
        let mut recording = recording();
        recording.requests.pop();
        let fresh = build(&CONFIG, &recording).unwrap();
        let error = compare(&shown, &fresh, true, &none).unwrap_err();
        assert!(
            error.contains("process 2: 1 requests in the picture, 0 now"),
            "{error}"
        );
    }

    #[test]
    fn every_listings_timeline_settings_hold_valid_regexes() {
        for listing in crate::LISTINGS {
            if let Some(config) = &listing.timeline {
                for row in config.rows {
                    for regex in row.lines.iter().chain(&row.cancelled) {
                        assert!(Regex::new(regex).is_ok(), "{}: {regex}", listing.package);
                    }
                }
            }
        }
    }
}
