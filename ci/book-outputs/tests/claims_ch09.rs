//! Claims chapter 9 makes about its listings' behaviour, beyond their output files: each
//! test runs the real listings against a stand-in and checks the claim from what they
//! print and from what the stand-in saw.

use stand_in::hacker_news;

mod common;
use common::run;

/// The biggest tree's widest level, as chapter 9 states it: Listing 9-1 has that many
/// requests in flight at its peak.
const WIDEST_LEVEL_IN_THE_CHAPTER: usize = 124;

/// The biggest top story and its count, as chapter 9 states them.
const BIGGEST_IN_THE_CHAPTER: (u64, usize) = (46_210_035, 360);

/// Listing 9-3's default `--max-in-flight`, as chapter 9 states it.
const DEFAULT_BOUND: usize = 10;

/// The numbers a walk's last two lines give: the post, its comments and the fetches, from
/// `> Calculating comments took {} seconds and {fetches} fetches` and
/// `-- Post {post} has {comments} comments`.
fn walk_result(output: &str) -> (u64, usize, usize) {
    let number = |line: &str, before: &str, after: &str| -> usize {
        let rest = line.split(before).nth(1).expect(line);
        let digits = rest.strip_suffix(after).expect(line);
        digits.parse().expect(line)
    };
    let mut fetches = None;
    let mut result = None;
    for line in output.lines() {
        if line.contains("] > Calculating comments took ") {
            fetches = Some(number(line, " seconds and ", " fetches"));
        } else if let Some((_, rest)) = line.split_once("] -- Post ") {
            let (post, comments) = rest.split_once(" has ").expect(line);
            let comments = comments.strip_suffix(" comments").expect(line);
            result = Some((post.parse().expect(line), comments.parse().expect(line)));
        }
    }
    let (post, comments) = result.unwrap_or_else(|| panic!("no `-- Post` line:\n{output}"));
    let fetches = fetches.unwrap_or_else(|| panic!("no `> Calculating` line:\n{output}"));
    (post, comments, fetches)
}

/// Chapter 9: each walk counts a post's comments as the article does (the ids in `kids`,
/// plus each kid's count; a `null` item counts nothing below itself), with one fetch per
/// item, the post included. Checked against the stand-in's own tree for the Dropbox story
/// and three top stories: the widest, the deepest and the one with a `null` kid.
#[test]
fn every_walk_counts_the_stand_ins_tree_with_one_fetch_per_item() {
    let top = hacker_news::top_stories();
    let posts = [hacker_news::DROPBOX_STORY, top[0], top[1], top[3]];
    for listing in ["listing-09-01", "listing-09-02", "listing-09-03"] {
        for post in posts {
            let output = run(&format!(
                "$ BOOK_STAND_IN=http://127.0.0.1:8000 cargo run -p {listing} -- --id {post}"
            ));
            let expected = hacker_news::comment_count(post).expect("the post exists");
            assert_eq!(
                walk_result(&output),
                (post, expected, expected + 1),
                "{listing} --id {post}: (post, comments, fetches) differ from the tree's:\n{output}"
            );
        }
    }
}

/// Chapter 9, the options: `--url` takes a Hacker News page's `id` query parameter, and
/// wins over `--id`, as in the article.
#[test]
fn the_url_option_gives_the_post_and_wins_over_the_id() {
    let post = 9671;
    let output = run(&format!(
        "$ BOOK_STAND_IN=http://127.0.0.1:8000 cargo run -p listing-09-01 -- --id 8863 \
         --url https://news.ycombinator.com/item?id={post}"
    ));
    let expected = hacker_news::comment_count(post).expect("the comment exists");
    assert_eq!(
        walk_result(&output),
        (post, expected, expected + 1),
        "{output}"
    );
}

/// The number of items on each level of a post's tree (the post alone on the first), read
/// from the JSON the stand-in answers.
fn level_widths(post: u64) -> Vec<usize> {
    let mut widths = Vec::new();
    let mut level = vec![post];
    while !level.is_empty() {
        widths.push(level.len());
        level = level
            .iter()
            .flat_map(|&id| {
                let item: serde_json::Value =
                    serde_json::from_str(hacker_news::item_json(id)).expect("valid JSON");
                item.get("kids")
                    .and_then(serde_json::Value::as_array)
                    .map(|kids| {
                        kids.iter()
                            .filter_map(serde_json::Value::as_u64)
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default()
            })
            .collect();
    }
    widths
}

/// What a run's peak of requests in flight should be.
enum Peak {
    Exactly(usize),
    MoreThan(usize),
    /// More than the first, at most the second.
    Between(usize, usize),
}

/// Chapter 9, "Bounding the fan-out": on the biggest top story, Listing 9-1 has more than
/// a hundred requests in flight at once, up to the tree's widest level, 124, and Listing 9-2
/// more than a hundred, while Listing 9-3 never has more than its bound, 10 by default or what
/// `--max-in-flight` says, and reaches it. Every answer waits (`hn.latency`) so that
/// requests overlap. For Listing 9-1 the wait is 300 ms: the requests of one level leave
/// within a few milliseconds of each other on an idle machine, but on a busy one they
/// spread out, and a wait of 100 ms once gave a peak of 114 of the 124 (1 run in 8, with
/// other builds running). Listing 9-2 runs with 100 ms and a looser claim, the bounded walk
/// with 20 ms, as its 361 fetches go ten at a time. The test starts a stand-in of its own,
/// so that no other test's requests count in its stats. About 3.5 s.
#[test]
fn the_bounded_walk_stays_within_its_bound_and_the_unbounded_ones_do_not() {
    let stand_in = book_outputs::fresh_stand_in().expect("the stand-in starts");

    let top = hacker_news::top_stories();
    let biggest = *top
        .iter()
        .max_by_key(|&&post| hacker_news::comment_count(post))
        .expect("there are top stories");
    assert_eq!(
        (
            biggest,
            hacker_news::comment_count(biggest).expect("the post exists")
        ),
        BIGGEST_IN_THE_CHAPTER,
        "the biggest top story is not the one chapter 9 names"
    );
    let widest = *level_widths(biggest)
        .iter()
        .max()
        .expect("one level at least");
    assert_eq!(
        widest, WIDEST_LEVEL_IN_THE_CHAPTER,
        "the biggest top story's widest level is not what chapter 9 says"
    );

    let base = stand_in.base_url();
    for (latency, listing, more_args, peak) in [
        // All of a level's requests leave at once, but on a busy machine a few parents'
        // answers come in late, so their kids' requests miss the others by a little.
        ("300ms", "listing-09-01", "", Peak::Between(100, widest)),
        ("100ms", "listing-09-02", "", Peak::MoreThan(100)),
        ("20ms", "listing-09-03", "", Peak::Exactly(DEFAULT_BOUND)),
        (
            "20ms",
            "listing-09-03",
            " --max-in-flight 25",
            Peak::Exactly(25),
        ),
    ] {
        let args = format!("{listing} -- --id {biggest}{more_args}");
        stand_in.reset_stats();
        let output = run(&format!(
            "$ BOOK_STAND_IN={base}/scenario/hn.latency={latency} cargo run -p {args}"
        ));
        let stats = stand_in.stats();
        let expected = hacker_news::comment_count(biggest).expect("the post exists");
        assert_eq!(
            walk_result(&output),
            (biggest, expected, expected + 1),
            "`{args}`:\n{output}"
        );
        assert_eq!(stats.requests, expected + 1, "`{args}`: {stats:?}");
        match peak {
            Peak::Exactly(expected) => assert_eq!(
                stats.peak_in_flight, expected,
                "`{args}`: the peak of requests in flight differs from the chapter's"
            ),
            Peak::Between(floor, ceiling) => assert!(
                (floor + 1..=ceiling).contains(&stats.peak_in_flight),
                "`{args}`: {} requests in flight at the peak, not more than {floor} and at most {ceiling}",
                stats.peak_in_flight
            ),
            Peak::MoreThan(floor) => assert!(
                stats.peak_in_flight > floor,
                "`{args}`: only {} requests in flight at the peak",
                stats.peak_in_flight
            ),
        }
    }
}
