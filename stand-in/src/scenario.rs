//! Scenarios: what the stand-in should do to a request (wait, fail, cut the connection...).
//!
//! A scenario is a comma-separated list of rules, written the same way on the command line
//! (`--scenario`) and in a URL prefix (`/scenario/<rules>/...`):
//!
//! ```text
//! scenario := rule ("," rule)*
//! rule     := [service "."] setting
//! service  := "github" | "ipify" | "ip-api" | "hn"
//! setting  := "latency=" duration [".." duration]
//!           | "fail=" ("none" | "500" | "429" | "rate-limit" | "malformed"
//!                     | "missing-key" | "cut" | "hang")
//!           | "fail=null" | "fail-at=" count | "fail-every=" count    (hn only)
//! duration := number ("ms" | "s"), or "0"        e.g. 200ms, 1.5s; at most 60s
//! count    := a whole number; 0 takes the rule back
//! ```
//!
//! The syntax uses no spaces and no character that a shell or a URL path treats specially,
//! so a scenario can sit in `BOOK_STAND_IN=...` on a command line as it is.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The public services the stand-in imitates, by the names scenarios use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// `GET https://api.github.com/events`
    GitHub,
    /// `GET https://api.ipify.org?format=json`
    Ipify,
    /// `GET http://ip-api.com/json`
    IpApi,
    /// `GET https://hacker-news.firebaseio.com/v0/item/{id}.json` and `.../v0/topstories.json`
    HackerNews,
}

impl Service {
    pub const ALL: [Service; 4] = [
        Service::GitHub,
        Service::Ipify,
        Service::IpApi,
        Service::HackerNews,
    ];

    /// The name a scenario rule uses to pick this service.
    pub fn name(self) -> &'static str {
        match self {
            Service::GitHub => "github",
            Service::Ipify => "ipify",
            Service::IpApi => "ip-api",
            Service::HackerNews => "hn",
        }
    }
}

/// How long the stand-in waits before it answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Latency {
    Fixed(Duration),
    /// A fresh random wait for each request, uniformly within the bounds (both included).
    Between(Duration, Duration),
}

impl Latency {
    pub const NONE: Latency = Latency::Fixed(Duration::ZERO);

    /// The wait for one request.
    pub fn sample(self) -> Duration {
        match self {
            Latency::Fixed(wait) => wait,
            Latency::Between(low, high) => rand::random_range(low..=high),
        }
    }
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Latency::Fixed(wait) => write!(f, "{}", DisplayDuration(*wait)),
            Latency::Between(low, high) => {
                write!(f, "{}..{}", DisplayDuration(*low), DisplayDuration(*high))
            }
        }
    }
}

/// A duration the way scenarios write it: `0`, `1.5s`, `200ms`.
struct DisplayDuration(Duration);

impl fmt::Display for DisplayDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.as_secs_f64() * 1000.0;
        if self.0.is_zero() {
            write!(f, "0")
        } else if millis >= 1000.0 {
            write!(f, "{}s", millis / 1000.0)
        } else {
            write!(f, "{millis}ms")
        }
    }
}

impl FromStr for Latency {
    type Err = ScenarioError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.split_once("..") {
            None => Ok(Latency::Fixed(parse_duration(text)?)),
            Some((low, high)) => {
                let (low, high) = (parse_duration(low)?, parse_duration(high)?);
                if low > high {
                    return Err(ScenarioError(format!(
                        "latency range `{text}` runs backwards; write the smaller bound first"
                    )));
                }
                Ok(Latency::Between(low, high))
            }
        }
    }
}

/// The ways a service can misbehave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// `fail=500`: HTTP 500 Internal Server Error.
    ServerError,
    /// `fail=429`: the service's rate-limit answer with HTTP 429 Too Many Requests (for
    /// GitHub its JSON message and `x-ratelimit-*` headers, for ip-api `X-Rl`/`X-Ttl`).
    TooManyRequests,
    /// `fail=rate-limit`: the same, except that GitHub answers 403 Forbidden, the other
    /// status it documents for a used-up rate limit.
    RateLimited,
    /// `fail=malformed`: 200, JSON content type, and a body cut off halfway.
    MalformedJson,
    /// `fail=missing-key`: 200 and well-formed JSON without the key a listing reads.
    MissingKey,
    /// `fail=cut`: headers and part of the body, then the connection is dropped.
    ConnectionCut,
    /// `fail=hang`: headers and part of the body, then nothing, until the server shuts down.
    NeverEnds,
    /// `hn.fail=null`: every item answers `null`, as a missing item does (Hacker News only;
    /// `topstories.json` answers as usual).
    NullItem,
}

impl Failure {
    const NAMES: [(&'static str, Failure); 8] = [
        ("500", Failure::ServerError),
        ("429", Failure::TooManyRequests),
        ("rate-limit", Failure::RateLimited),
        ("malformed", Failure::MalformedJson),
        ("missing-key", Failure::MissingKey),
        ("cut", Failure::ConnectionCut),
        ("hang", Failure::NeverEnds),
        ("null", Failure::NullItem),
    ];

    /// The name a scenario rule uses (`fail=<name>`).
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, failure)| *failure == self)
            .map(|(name, _)| *name)
            .expect("every failure has a name")
    }
}

/// What one request to one service does: the result of applying every rule that concerns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Behaviour {
    pub latency: Latency,
    /// `None`: answer like the real service.
    pub failure: Option<Failure>,
}

impl Behaviour {
    pub const NORMAL: Behaviour = Behaviour {
        latency: Latency::NONE,
        failure: None,
    };

    /// The behaviour of a request to `service`: the run's scenario first, then the request's
    /// own, which therefore wins where both say something.
    pub fn for_request(service: Service, run: &Scenario, request: &Scenario) -> Behaviour {
        let mut behaviour = Behaviour::NORMAL;
        run.apply(service, &mut behaviour);
        request.apply(service, &mut behaviour);
        behaviour
    }
}

/// A failure by position: which of a run's Hacker News requests answer `500`
/// (`hn.fail-at=N`, `hn.fail-every=N`). Requests are counted from 1, from the stand-in's
/// start, separately for each scenario text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nth {
    /// Only the Nth request.
    At(u64),
    /// The Nth, the 2Nth, and so on.
    Every(u64),
}

impl Nth {
    /// Whether the request counted `number` (from 1) fails.
    pub fn hits(self, number: u64) -> bool {
        match self {
            Nth::At(n) => number == n,
            Nth::Every(n) => n > 0 && number.is_multiple_of(n),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Setting {
    Latency(Latency),
    Fail(Option<Failure>),
    /// `None`: `fail-at=0` or `fail-every=0`, which take a position rule back.
    FailNth(Option<Nth>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rule {
    /// `None`: the rule is for every service.
    service: Option<Service>,
    setting: Setting,
}

/// A parsed list of rules. The empty scenario changes nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scenario {
    rules: Vec<Rule>,
}

impl Scenario {
    /// Applies this scenario's rules for `service` on top of `behaviour`. Rules for all
    /// services go first and rules naming the service after, so `ipify.latency=2s,latency=0`
    /// still slows ipify down: the more specific rule wins, whatever the order.
    pub fn apply(&self, service: Service, behaviour: &mut Behaviour) {
        let for_all = self.rules.iter().filter(|rule| rule.service.is_none());
        let for_this_one = self
            .rules
            .iter()
            .filter(|rule| rule.service == Some(service));
        for rule in for_all.chain(for_this_one) {
            match rule.setting {
                Setting::Latency(latency) => behaviour.latency = latency,
                Setting::Fail(failure) => behaviour.failure = failure,
                Setting::FailNth(_) => {}
            }
        }
    }

    /// The position rule (`hn.fail-at`, `hn.fail-every`) for `service` after `run` and then
    /// `request`, the later rule winning; `None` when there is none.
    pub fn nth_failure(service: Service, run: &Scenario, request: &Scenario) -> Option<Nth> {
        let mut nth = None;
        for rule in run.rules.iter().chain(&request.rules) {
            if let (Some(named), Setting::FailNth(setting)) = (rule.service, rule.setting)
                && named == service
            {
                nth = setting;
            }
        }
        nth
    }

    /// Two rules for every service: wait `behaviour.latency`, then fail as `behaviour.failure`
    /// says (`None`: `fail=none`).
    pub fn everywhere(behaviour: Behaviour) -> Scenario {
        let rule = |setting| Rule {
            service: None,
            setting,
        };
        Scenario {
            rules: vec![
                rule(Setting::Latency(behaviour.latency)),
                rule(Setting::Fail(behaviour.failure)),
            ],
        }
    }

    /// Adds the rules of `other` after this scenario's own, so that they win.
    pub fn extend(&mut self, other: Scenario) {
        self.rules.extend(other.rules);
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

impl FromStr for Scenario {
    type Err = ScenarioError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let rules = text
            .split(',')
            // Tolerate an empty rule, as in a trailing comma or an empty prefix.
            .filter(|rule| !rule.is_empty())
            .map(parse_rule)
            .collect::<Result<_, _>>()?;
        Ok(Scenario { rules })
    }
}

fn parse_rule(text: &str) -> Result<Rule, ScenarioError> {
    let (key, value) = text.split_once('=').ok_or_else(|| {
        ScenarioError(format!(
            "`{text}` is not a rule; rules look like `latency=200ms` or `ipify.fail=500`"
        ))
    })?;
    let (service, setting_name) = match key.split_once('.') {
        None => (None, key),
        Some((service_name, setting_name)) => {
            let service = Service::ALL
                .into_iter()
                .find(|service| service.name() == service_name)
                .ok_or_else(|| {
                    ScenarioError(format!(
                        "unknown service `{service_name}` in `{text}`; the services are \
                         github, ipify, ip-api and hn"
                    ))
                })?;
            (Some(service), setting_name)
        }
    };
    let setting = match setting_name {
        "latency" => Setting::Latency(value.parse()?),
        "fail" => Setting::Fail(parse_failure(value)?),
        "fail-at" => Setting::FailNth(parse_count(value, text)?.map(Nth::At)),
        "fail-every" => Setting::FailNth(parse_count(value, text)?.map(Nth::Every)),
        other => {
            return Err(ScenarioError(format!(
                "unknown setting `{other}` in `{text}`; the settings are latency, fail, \
                 fail-at and fail-every"
            )));
        }
    };
    let hacker_news_only = matches!(
        setting,
        Setting::Fail(Some(Failure::NullItem)) | Setting::FailNth(_)
    );
    if hacker_news_only && service != Some(Service::HackerNews) {
        let rule = text.rsplit_once('.').map_or(text, |(_, rule)| rule);
        return Err(ScenarioError(format!(
            "`{text}` is for Hacker News only; write `hn.{rule}`"
        )));
    }
    Ok(Rule { service, setting })
}

/// Parses what follows `fail=`; `none` gives `None`.
pub fn parse_failure(text: &str) -> Result<Option<Failure>, ScenarioError> {
    if text == "none" {
        return Ok(None);
    }
    Failure::NAMES
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, failure)| Some(*failure))
        .ok_or_else(|| {
            let names: Vec<&str> = Failure::NAMES
                .iter()
                .map(|(name, failure)| match failure {
                    Failure::NullItem => "null (hn only)",
                    _ => *name,
                })
                .collect();
            ScenarioError(format!(
                "unknown failure `fail={text}`; choose one of none, {}",
                names.join(", ")
            ))
        })
}

/// Parses what follows `fail-at=` or `fail-every=`: a whole number, `0` giving `None`.
fn parse_count(value: &str, rule: &str) -> Result<Option<u64>, ScenarioError> {
    let invalid = || {
        ScenarioError(format!(
            "`{value}` in `{rule}` is not a count; write a whole number, like 5"
        ))
    };
    if value.is_empty() || !value.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(invalid());
    }
    let count: u64 = value.parse().map_err(|_| invalid())?;
    Ok((count > 0).then_some(count))
}

/// The longest wait a scenario may ask for. A minute is longer than any listing's timeout;
/// a longer wait is almost surely a typo, and would keep a connection busy for nothing.
pub const MAX_LATENCY: Duration = Duration::from_secs(60);

/// Parses `200ms`, `2s`, `1.5s` or `0`, at most [`MAX_LATENCY`].
fn parse_duration(text: &str) -> Result<Duration, ScenarioError> {
    let invalid = || {
        ScenarioError(format!(
            "`{text}` is not a duration; write a number and a unit, like 200ms or 1.5s"
        ))
    };
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let unit_start = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(invalid)?;
    let (number, unit) = text.split_at(unit_start);
    // Only digits and one dot reach `f64::from_str`, which would also take `inf` or `-1`.
    if number.is_empty() || number.starts_with('.') || number.matches('.').count() > 1 {
        return Err(invalid());
    }
    let number: f64 = number.parse().map_err(|_| invalid())?;
    let seconds = match unit {
        "ms" => number / 1000.0,
        "s" => number,
        _ => return Err(invalid()),
    };
    // Before the conversion, which fails on numbers too large for a Duration.
    if seconds > MAX_LATENCY.as_secs_f64() {
        return Err(ScenarioError(format!(
            "`{text}` is too long a latency; the stand-in waits at most {}",
            DisplayDuration(MAX_LATENCY)
        )));
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| invalid())
}

/// Why a scenario could not be read; the message says how to write it instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError(String);

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScenarioError {}

/// The path prefix that carries a request's own scenario.
pub const PREFIX: &str = "/scenario/";

/// Splits a request path into the scenario its prefix carries and the real service's path.
///
/// `/scenario/latency=1s/events` gives (`latency=1s`, `/events`). A path without the prefix
/// has the empty scenario. Extra slashes are forgiven, because listings join the base URL and
/// the real path by hand: `/scenario/x//events`, `//events` and `/scenario/x` (ipify's URL has
/// no path, only `?format=json`) all mean what they were meant to.
pub fn split_path(path: &str) -> Result<(Scenario, String), ScenarioError> {
    let (scenario, rest) = match path.strip_prefix(PREFIX) {
        None if path == PREFIX.trim_end_matches('/') => (Scenario::default(), ""),
        None => (Scenario::default(), path),
        Some(after_prefix) => {
            let (rules, rest) = after_prefix.split_once('/').unwrap_or((after_prefix, ""));
            (rules.parse()?, rest)
        }
    };
    Ok((scenario, format!("/{}", rest.trim_start_matches('/'))))
}

/// The rules of a path's scenario prefix as written: `latency=1s` for
/// `/scenario/latency=1s/events`, empty without a prefix.
pub fn rules_text(path: &str) -> &str {
    path.strip_prefix(PREFIX).map_or("", |after| {
        after.split_once('/').map_or(after, |(rules, _)| rules)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    fn behaviour(service: Service, run: &str, request: &str) -> Behaviour {
        let run: Scenario = run.parse().expect("run scenario parses");
        let request: Scenario = request.parse().expect("request scenario parses");
        Behaviour::for_request(service, &run, &request)
    }

    #[test]
    fn durations_take_milliseconds_seconds_and_fractions() {
        assert_eq!(parse_duration("200ms"), Ok(ms(200)));
        assert_eq!(parse_duration("2s"), Ok(ms(2000)));
        assert_eq!(parse_duration("1.5s"), Ok(ms(1500)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("0ms"), Ok(Duration::ZERO));
    }

    #[test]
    fn durations_without_a_unit_or_with_a_sign_are_refused() {
        for text in [
            "200", "ms", "-1s", "inf", "NaNs", "1..2s", ".5s", "2 s", "2m", "",
        ] {
            assert!(parse_duration(text).is_err(), "{text:?} should be refused");
        }
    }

    #[test]
    fn a_latency_beyond_a_minute_is_refused_and_says_the_bound() {
        assert_eq!(parse_duration("60s"), Ok(MAX_LATENCY));
        assert_eq!(parse_duration("60000ms"), Ok(MAX_LATENCY));
        let huge = format!("{}s", "9".repeat(400));
        for text in ["60.001s", "61s", "99999999999s", huge.as_str()] {
            let refused = parse_duration(text);
            assert!(
                refused
                    .as_ref()
                    .is_err_and(|error| error.to_string().contains("at most 60s")),
                "{text}: {refused:?}"
            );
        }
        assert!("1s..61s".parse::<Latency>().is_err());
    }

    #[test]
    fn latency_is_fixed_or_a_range() {
        assert_eq!("200ms".parse(), Ok(Latency::Fixed(ms(200))));
        assert_eq!(
            "100ms..300ms".parse(),
            Ok(Latency::Between(ms(100), ms(300)))
        );
        assert!("300ms..100ms".parse::<Latency>().is_err());
    }

    #[test]
    fn latency_is_shown_the_way_it_is_written() {
        for text in ["0", "200ms", "1.5s", "2s", "100ms..300ms", "0.5ms"] {
            let latency: Latency = text.parse().expect("parses");
            assert_eq!(latency.to_string(), text);
        }
    }

    #[test]
    fn random_latency_stays_within_its_bounds_and_varies() {
        let latency = Latency::Between(ms(100), ms(300));
        let samples: Vec<Duration> = (0..1000).map(|_| latency.sample()).collect();
        assert!(
            samples
                .iter()
                .all(|wait| (ms(100)..=ms(300)).contains(wait))
        );
        // 1000 draws from a 200 ms range are not all equal unless the range is ignored.
        assert!(samples.iter().any(|wait| *wait != samples[0]));
    }

    #[test]
    fn a_rule_for_all_services_applies_to_each() {
        for service in Service::ALL {
            assert_eq!(
                behaviour(service, "", "latency=200ms,fail=500"),
                Behaviour {
                    latency: Latency::Fixed(ms(200)),
                    failure: Some(Failure::ServerError),
                }
            );
        }
    }

    #[test]
    fn a_rule_naming_a_service_applies_to_that_service_only() {
        let slow = Latency::Fixed(ms(2000));
        assert_eq!(
            behaviour(Service::Ipify, "", "ipify.latency=2s").latency,
            slow
        );
        assert_eq!(
            behaviour(Service::IpApi, "", "ipify.latency=2s"),
            Behaviour::NORMAL
        );
        assert_eq!(
            behaviour(Service::GitHub, "", "ipify.latency=2s"),
            Behaviour::NORMAL
        );
    }

    #[test]
    fn the_more_specific_rule_wins_whatever_the_order() {
        assert_eq!(
            behaviour(Service::Ipify, "", "ipify.latency=2s,latency=0").latency,
            Latency::Fixed(ms(2000))
        );
        assert_eq!(
            behaviour(Service::IpApi, "", "ipify.latency=2s,latency=0").latency,
            Latency::NONE
        );
    }

    #[test]
    fn the_request_scenario_wins_over_the_run_scenario() {
        let both = behaviour(Service::GitHub, "latency=1s,fail=hang", "fail=none");
        assert_eq!(both.latency, Latency::Fixed(ms(1000)));
        assert_eq!(both.failure, None);
    }

    #[test]
    fn every_failure_name_parses_back_to_itself() {
        for (name, failure) in Failure::NAMES {
            assert_eq!(failure.name(), name);
            let parsed: Scenario = format!("hn.fail={name}").parse().expect("parses");
            assert_eq!(
                Behaviour::for_request(Service::HackerNews, &Scenario::default(), &parsed).failure,
                Some(failure)
            );
        }
    }

    #[test]
    fn mistakes_are_reported_with_the_way_to_fix_them() {
        let error = |text: &str| text.parse::<Scenario>().expect_err(text).to_string();
        assert!(error("slow").contains("rules look like"));
        assert!(error("gitlab.fail=500").contains("github, ipify, ip-api and hn"));
        assert!(error("fail=404").contains("choose one of none, 500, 429"));
        assert!(error("hn.fail=404").contains(", hang, null (hn only)"));
        assert!(error("speed=fast").contains("the settings are latency, fail, fail-at"));
        assert!(error("latency=fast").contains("like 200ms or 1.5s"));
        assert!(error("fail=null").contains("write `hn.fail=null`"));
        assert!(error("ipify.fail-at=5").contains("write `hn.fail-at=5`"));
        assert!(error("hn.fail-every=-1").contains("write a whole number"));
        assert!(error("hn.fail-at=").contains("write a whole number"));
    }

    #[test]
    fn the_prefix_is_split_from_the_real_path() {
        let split = |path: &str| {
            let (scenario, rest) = split_path(path).expect("path splits");
            (scenario.rules.len(), rest)
        };
        assert_eq!(split("/events"), (0, "/events".to_owned()));
        assert_eq!(split("/"), (0, "/".to_owned()));
        assert_eq!(split("//events"), (0, "/events".to_owned()));
        assert_eq!(
            split("/scenario/latency=1s,fail=500/events"),
            (2, "/events".to_owned())
        );
        assert_eq!(
            split("/scenario/latency=1s//events"),
            (1, "/events".to_owned())
        );
        assert_eq!(split("/scenario/latency=1s"), (1, "/".to_owned()));
        assert_eq!(split("/scenario/latency=1s/"), (1, "/".to_owned()));
        assert_eq!(
            split("/scenario/ip-api.fail=cut/json"),
            (1, "/json".to_owned())
        );
        assert_eq!(split("/scenario//json"), (0, "/json".to_owned()));
        assert_eq!(split("/scenario"), (0, "/".to_owned()));
        assert!(split_path("/scenario/nonsense/events").is_err());
    }
}
