//! The Hacker News API's data: seeded, synthetic comment trees that are the same on every
//! run, with the real API's fields by item type.
//!
//! - Post 8863 is the API's own example, the Dropbox story: its fields and its 33 direct
//!   kids are the ones the API's README shows; the 38 comments below them are synthetic, so
//!   that the article's count of its tree is 71, the story's `descendants`.
//! - [`top_stories`] is 500 ids. The first five trees are chosen to differ: hundreds of
//!   comments, a thread deeper than five levels, no comments at all, a kid that answers
//!   `null`, and a deleted and a dead comment. The other 495 are small random trees.
//!
//! The count is the article's: an item counts the ids in its `kids`, plus each kid's own
//! count; an id that answers `null` counts one in its parent and nothing below. A story's
//! `descendants` is always that count.
//!
//! The randomness is [`SplitMix64`], written out here, so that no crate update can change a
//! tree: the book's outputs print these counts.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::LazyLock;

/// The Dropbox story, the API's example item.
pub const DROPBOX_STORY: u64 = 8863;

/// How many ids `topstories.json` answers, as the real API does (up to 500).
pub const TOP_STORIES: usize = 500;

/// The 33 direct kids of 8863, in the order the API's README shows them.
const DROPBOX_KIDS: [u64; 33] = [
    8952, 9224, 8917, 8884, 8887, 8943, 8869, 8958, 9005, 9671, 8940, 9067, 8908, 9055, 8865, 8881,
    8872, 8873, 8955, 10403, 8903, 8928, 9125, 8998, 8901, 8902, 8907, 8894, 8878, 8870, 8980,
    8934, 8876,
];

/// Comments below 8863's direct kids: 33 + 38 = 71, its `descendants`.
const DROPBOX_DEEPER: usize = 38;

/// The first synthetic comment id below 8863, after the highest of its real kids.
const DROPBOX_FIRST_SYNTHETIC: u64 = 10_404;

/// About the top story's id; each following story's is about `STORY_ID_STEP` lower, and a
/// story's comments take the ids just above its own (no tree has half that many comments).
const FIRST_TOP_STORY: u64 = 46_210_000;
const STORY_ID_STEP: u64 = 1_000;

/// 2 December 2025, 00:00 UTC: the top stories were posted in the hours before.
const TOP_STORIES_TIME: u64 = 1_764_633_600;

/// A small, fast, well-known generator (Steele, Lea and Flood, 2014): a counter stepped by
/// the golden ratio, then mixed. Written out so that the trees never depend on a crate.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0). The modulo's bias is far too small to matter here.
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.below(len as u64)).expect("an index below a usize fits one")
    }

    fn pick<'a>(&mut self, choices: &[&'a str]) -> &'a str {
        choices[self.index(choices.len())]
    }
}

/// How a comment shows up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Normal,
    /// `{"deleted":true,"id":..,"parent":..,"time":..,"type":"comment"}`
    Deleted,
    /// `"dead":true` and the text `[dead]`.
    Dead,
}

#[derive(Clone, Debug)]
enum Item {
    Story {
        by: String,
        descendants: usize,
        id: u64,
        kids: Vec<u64>,
        score: u64,
        time: u64,
        title: String,
        url: String,
    },
    Comment {
        by: String,
        id: u64,
        kids: Vec<u64>,
        parent: u64,
        text: String,
        time: u64,
        state: State,
    },
}

impl Item {
    fn kids(&self) -> &[u64] {
        match self {
            Item::Story { kids, .. } | Item::Comment { kids, .. } => kids,
        }
    }

    /// The item as the API writes it: keys in alphabetical order, as Firebase sends them,
    /// `kids` left out when there are none (and always when `with_kids` is false).
    fn to_json(&self, with_kids: bool) -> String {
        let mut fields: Vec<(&str, String)> = Vec::new();
        let kids = |kids: &[u64]| {
            let ids: Vec<String> = kids.iter().map(u64::to_string).collect();
            format!("[{}]", ids.join(","))
        };
        match self {
            Item::Story {
                by,
                descendants,
                id,
                kids: story_kids,
                score,
                time,
                title,
                url,
            } => {
                fields.push(("by", json_string(by)));
                fields.push(("descendants", descendants.to_string()));
                fields.push(("id", id.to_string()));
                if with_kids && !story_kids.is_empty() {
                    fields.push(("kids", kids(story_kids)));
                }
                fields.push(("score", score.to_string()));
                fields.push(("time", time.to_string()));
                fields.push(("title", json_string(title)));
                fields.push(("type", json_string("story")));
                fields.push(("url", json_string(url)));
            }
            Item::Comment {
                id,
                parent,
                time,
                state: State::Deleted,
                ..
            } => {
                fields.push(("deleted", "true".to_owned()));
                fields.push(("id", id.to_string()));
                fields.push(("parent", parent.to_string()));
                fields.push(("time", time.to_string()));
                fields.push(("type", json_string("comment")));
            }
            Item::Comment {
                by,
                id,
                kids: comment_kids,
                parent,
                text,
                time,
                state,
            } => {
                fields.push(("by", json_string(by)));
                if *state == State::Dead {
                    fields.push(("dead", "true".to_owned()));
                }
                fields.push(("id", id.to_string()));
                if with_kids && !comment_kids.is_empty() {
                    fields.push(("kids", kids(comment_kids)));
                }
                fields.push(("parent", parent.to_string()));
                let text = if *state == State::Dead {
                    "[dead]"
                } else {
                    text
                };
                fields.push(("text", json_string(text)));
                fields.push(("time", time.to_string()));
                fields.push(("type", json_string("comment")));
            }
        }
        let mut json = String::from("{");
        for (at, (key, value)) in fields.iter().enumerate() {
            if at > 0 {
                json.push(',');
            }
            let _ = write!(json, "\"{key}\":{value}");
        }
        json.push('}');
        json
    }
}

fn json_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string always serializes")
}

struct Forest {
    items: HashMap<u64, Item>,
    /// Every item's body, rendered once, so that answering is a lookup.
    bodies: HashMap<u64, String>,
    top: Vec<u64>,
    top_json: String,
}

static FOREST: LazyLock<Forest> = LazyLock::new(Forest::grow);

/// Grows the trees now rather than on the first request, so that no answer waits for them.
pub(crate) fn grow_now() {
    LazyLock::force(&FOREST);
}

/// The ids `topstories.json` answers, best first.
pub fn top_stories() -> Vec<u64> {
    FOREST.top.clone()
}

/// The article's count for an item: the ids in its `kids`, plus each kid's own count (an id
/// that answers `null` counts one in its parent, and nothing below). `None`: the item
/// answers `null`.
pub fn comment_count(id: u64) -> Option<usize> {
    FOREST.items.get(&id).map(|item| count(&FOREST.items, item))
}

/// The body `GET /v0/item/{id}.json` answers: the item's JSON, or `null`.
pub fn item_json(id: u64) -> &'static str {
    FOREST.bodies.get(&id).map_or("null", String::as_str)
}

/// The body of `GET /v0/topstories.json`.
pub fn top_stories_json() -> &'static str {
    &FOREST.top_json
}

/// An item's JSON without its `kids`, as `fail=missing-key` answers it; `null` stays `null`.
pub(crate) fn item_json_without_kids(id: u64) -> String {
    FOREST
        .items
        .get(&id)
        .map_or_else(|| "null".to_owned(), |item| item.to_json(false))
}

fn count(items: &HashMap<u64, Item>, item: &Item) -> usize {
    item.kids()
        .iter()
        .map(|kid| 1 + items.get(kid).map_or(0, |kid| count(items, kid)))
        .sum()
}

/// What one story's tree looks like before its comments are written.
#[derive(Clone, Copy, Debug)]
struct Shape {
    direct: usize,
    deeper: usize,
    /// Comments are at depth 1 (a story's kids) and below; none goes deeper than this.
    max_depth: usize,
    /// A thread going this deep under the first kid, before the random comments.
    chain: usize,
    /// Direct kids that answer `null` (the last ones of the story's kids).
    null_kids: usize,
    /// Leaves marked deleted, then dead.
    deleted: usize,
    dead: usize,
}

impl Shape {
    const fn plain(direct: usize, deeper: usize, max_depth: usize) -> Shape {
        Shape {
            direct,
            deeper,
            max_depth,
            chain: 0,
            null_kids: 0,
            deleted: 0,
            dead: 0,
        }
    }
}

/// The first five top stories, in rank order.
const FIRST_FIVE: [Shape; 5] = [
    // Hundreds of comments, a wide first level.
    Shape::plain(90, 270, 4),
    // One thread nine levels deep.
    Shape {
        chain: 9,
        ..Shape::plain(6, 24, 9)
    },
    // No comments: `kids` is absent.
    Shape::plain(0, 0, 1),
    // A kid that answers `null`.
    Shape {
        null_kids: 1,
        ..Shape::plain(8, 12, 3)
    },
    // A deleted and a dead comment.
    Shape {
        deleted: 1,
        dead: 1,
        ..Shape::plain(10, 15, 3)
    },
];

/// A comment being grown: its depth, and its kids so far.
struct Node {
    id: u64,
    parent: u64,
    depth: usize,
    time: u64,
    kids: Vec<u64>,
}

impl Forest {
    fn grow() -> Forest {
        let mut items = HashMap::new();
        let mut dropbox = Item::Story {
            by: "dhouston".to_owned(),
            descendants: 0,
            id: DROPBOX_STORY,
            kids: Vec::new(),
            score: 111,
            time: 1_175_714_200,
            title: "My YC app: Dropbox - Throw away your USB drive".to_owned(),
            url: "http://www.getdropbox.com/u/2/screencast.html".to_owned(),
        };
        let shape = Shape::plain(DROPBOX_KIDS.len(), DROPBOX_DEEPER, 4);
        let mut ids = DROPBOX_KIDS
            .iter()
            .copied()
            .chain(DROPBOX_FIRST_SYNTHETIC..);
        let mut rng = SplitMix64::new(DROPBOX_STORY);
        comments(&mut rng, &mut items, &mut dropbox, shape, &mut ids);
        items.insert(DROPBOX_STORY, dropbox);

        let mut top = Vec::with_capacity(TOP_STORIES);
        for rank in 0..TOP_STORIES {
            // A little irregular, as real ids are; still far enough apart for every tree.
            let id = FIRST_TOP_STORY - STORY_ID_STEP * rank as u64
                + SplitMix64::new(rank as u64).below(STORY_ID_STEP / 2);
            let mut rng = SplitMix64::new(id);
            let shape = FIRST_FIVE.get(rank).copied().unwrap_or_else(|| {
                let direct = rng.index(8);
                Shape::plain(direct, rng.index(direct * 3 + 1), 4)
            });
            let mut story = story(&mut rng, id, rank);
            comments(&mut rng, &mut items, &mut story, shape, &mut (id + 1..));
            items.insert(id, story);
            top.push(id);
        }
        let bodies = items
            .iter()
            .map(|(id, item)| (*id, item.to_json(true)))
            .collect();
        let ids: Vec<String> = top.iter().map(u64::to_string).collect();
        Forest {
            items,
            bodies,
            top_json: format!("[{}]", ids.join(",")),
            top,
        }
    }
}

fn story(rng: &mut SplitMix64, id: u64, rank: usize) -> Item {
    let words = 3 + rng.index(6);
    let title = sentence(rng, words, TITLE_WORDS);
    let slug = title
        .to_lowercase()
        .split_whitespace()
        .take(4)
        .collect::<Vec<_>>()
        .join("-");
    Item::Story {
        by: user(rng),
        descendants: 0,
        id,
        kids: Vec::new(),
        score: 20 + rng.below(600) + (TOP_STORIES - rank) as u64,
        time: TOP_STORIES_TIME - 60 * rank as u64 - rng.below(3_600),
        title,
        url: format!("https://example.com/{slug}"),
    }
}

/// Grows `shape`'s comments under `story`, inserts them into `items` and sets the story's
/// `kids` and `descendants`. Ids come from `ids`, in order.
fn comments(
    rng: &mut SplitMix64,
    items: &mut HashMap<u64, Item>,
    story: &mut Item,
    shape: Shape,
    ids: &mut impl Iterator<Item = u64>,
) {
    let Item::Story {
        id: story_id,
        time: story_time,
        kids: story_kids,
        descendants,
        ..
    } = story
    else {
        unreachable!("comments grow under a story")
    };
    let mut next_id = || ids.next().expect("ids never run out");
    let mut nodes: Vec<Node> = Vec::new();
    let mut null_kids = 0;
    for at in 0..shape.direct {
        let id = next_id();
        story_kids.push(id);
        if at >= shape.direct - shape.null_kids {
            // Listed, but never inserted: it answers `null`.
            null_kids += 1;
            continue;
        }
        nodes.push(Node {
            id,
            parent: *story_id,
            depth: 1,
            time: *story_time + 30 + rng.below(3_600),
            kids: Vec::new(),
        });
    }
    let mut attach = |nodes: &mut Vec<Node>, rng: &mut SplitMix64, parent: usize| {
        let id = next_id();
        let node = Node {
            id,
            parent: nodes[parent].id,
            depth: nodes[parent].depth + 1,
            time: nodes[parent].time + 30 + rng.below(7_200),
            kids: Vec::new(),
        };
        nodes[parent].kids.push(id);
        nodes.push(node);
        nodes.len() - 1
    };
    // A thread down to depth `chain` under the first kid.
    let mut last = 0;
    for _ in 1..shape.chain {
        last = attach(&mut nodes, rng, last);
    }
    for _ in 0..shape.deeper {
        let parent = loop {
            let candidate = rng.index(nodes.len());
            if nodes[candidate].depth < shape.max_depth {
                break candidate;
            }
        };
        attach(&mut nodes, rng, parent);
    }
    let mut states = vec![State::Normal; nodes.len()];
    for state in std::iter::repeat_n(State::Deleted, shape.deleted)
        .chain(std::iter::repeat_n(State::Dead, shape.dead))
    {
        // Only a leaf: a deleted comment shows no kids.
        let leaf = loop {
            let candidate = rng.index(nodes.len());
            if nodes[candidate].kids.is_empty() && states[candidate] == State::Normal {
                break candidate;
            }
        };
        states[leaf] = state;
    }
    *descendants = nodes.len() + null_kids;
    for (node, state) in nodes.into_iter().zip(states) {
        let sentences = 1 + rng.index(3);
        let text = (0..sentences)
            .map(|_| {
                let words = 4 + rng.index(14);
                format!("{}.", sentence(rng, words, COMMENT_WORDS))
            })
            .collect::<Vec<_>>()
            .join("<p>");
        let comment = Item::Comment {
            by: user(rng),
            id: node.id,
            kids: node.kids,
            parent: node.parent,
            text,
            time: node.time,
            state,
        };
        items.insert(node.id, comment);
    }
}

fn user(rng: &mut SplitMix64) -> String {
    format!(
        "{}{}{}",
        rng.pick(USER_FIRST),
        rng.pick(USER_SECOND),
        rng.below(100)
    )
}

/// `words` words, the first capitalised, without a full stop.
fn sentence(rng: &mut SplitMix64, words: usize, from: &[&str]) -> String {
    let mut text = String::new();
    for at in 0..words {
        let word = rng.pick(from);
        if at == 0 {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                text.extend(first.to_uppercase());
                text.push_str(chars.as_str());
            }
        } else {
            text.push(' ');
            text.push_str(word);
        }
    }
    text
}

const USER_FIRST: &[&str] = &[
    "quiet", "rusty", "async", "lazy", "brave", "tidy", "stray", "eager", "polite", "sleepy",
];
const USER_SECOND: &[&str] = &[
    "otter", "falcon", "badger", "heron", "ferret", "lynx", "marmot", "wren", "gecko", "newt",
];
const TITLE_WORDS: &[&str] = &[
    "async",
    "runtime",
    "compiler",
    "database",
    "garbage",
    "collector",
    "kernel",
    "cache",
    "protocol",
    "startup",
    "open",
    "source",
    "release",
    "benchmark",
    "scheduler",
    "memory",
    "network",
    "latency",
    "browser",
    "terminal",
    "editor",
    "rewrite",
    "scaling",
    "queue",
];
const COMMENT_WORDS: &[&str] = &[
    "I",
    "think",
    "the",
    "a",
    "this",
    "that",
    "works",
    "fails",
    "under",
    "load",
    "we",
    "tried",
    "it",
    "in",
    "production",
    "and",
    "but",
    "never",
    "always",
    "surprisingly",
    "well",
    "slow",
    "fast",
    "enough",
    "for",
    "most",
    "cases",
    "threads",
    "tasks",
    "timeouts",
    "matter",
    "more",
];

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::Value;

    fn item(id: u64) -> Value {
        serde_json::from_str(item_json(id)).expect("every body is JSON")
    }

    fn keys(value: &Value) -> Vec<&str> {
        value
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect()
    }

    /// How deep the tree below `id` goes: 0 for an item without kids.
    fn depth(id: u64) -> usize {
        FOREST.items.get(&id).map_or(0, |item| {
            item.kids()
                .iter()
                .map(|kid| 1 + depth(*kid))
                .max()
                .unwrap_or(0)
        })
    }

    /// Every id in the tree below `id`, `null` ones included.
    fn below(id: u64) -> Vec<u64> {
        let mut ids = Vec::new();
        if let Some(item) = FOREST.items.get(&id) {
            for kid in item.kids() {
                ids.push(*kid);
                ids.extend(below(*kid));
            }
        }
        ids
    }

    #[test]
    fn splitmix64_gives_its_published_sequence() {
        // The first outputs for seed 0, as in the generator's reference implementation.
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(rng.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn the_dropbox_story_is_the_apis_example() {
        let story = item(DROPBOX_STORY);
        assert_eq!(story["by"], "dhouston");
        assert_eq!(
            story["title"],
            "My YC app: Dropbox - Throw away your USB drive"
        );
        assert_eq!(
            story["url"],
            "http://www.getdropbox.com/u/2/screencast.html"
        );
        assert_eq!(story["score"], 111);
        assert_eq!(story["time"], 1_175_714_200);
        assert_eq!(story["type"], "story");
        assert_eq!(story["descendants"], 71);
        let kids: Vec<u64> = serde_json::from_value(story["kids"].clone()).expect("ids");
        assert_eq!(kids, DROPBOX_KIDS);
        assert_eq!(kids.len(), 33);
        assert_eq!(comment_count(DROPBOX_STORY), Some(71));
        assert_eq!(below(DROPBOX_STORY).len(), 71);
    }

    #[test]
    fn items_have_the_real_apis_fields_by_type() {
        let story_keys = ["by", "descendants", "id", "kids", "score", "time", "title"];
        let story_keys = [&story_keys[..], &["type", "url"]].concat();
        let comment_keys = ["by", "id", "kids", "parent", "text", "time", "type"];
        let (mut stories, mut comments, mut deleted, mut dead) = (0, 0, 0, 0);
        for (id, body) in &FOREST.bodies {
            assert!(!body.contains("\"kids\":[]"), "{body}");
            let value: Value = serde_json::from_str(body).expect("JSON");
            assert_eq!(value["id"], *id, "{body}");
            let without_kids = |expected: &[&str]| -> Vec<String> {
                expected
                    .iter()
                    .filter(|key| **key != "kids" || value.get("kids").is_some())
                    .map(|key| (*key).to_owned())
                    .collect()
            };
            let actual: Vec<String> = keys(&value).into_iter().map(str::to_owned).collect();
            match (&value["type"], value.get("deleted"), value.get("dead")) {
                (Value::String(kind), None, None) if kind == "story" => {
                    stories += 1;
                    assert_eq!(actual, without_kids(&story_keys), "{body}");
                }
                (Value::String(kind), None, None) if kind == "comment" => {
                    comments += 1;
                    assert_eq!(actual, without_kids(&comment_keys), "{body}");
                }
                (_, Some(Value::Bool(true)), None) => {
                    deleted += 1;
                    assert_eq!(
                        actual,
                        ["deleted", "id", "parent", "time", "type"],
                        "{body}"
                    );
                }
                (_, None, Some(Value::Bool(true))) => {
                    dead += 1;
                    assert_eq!(value["text"], "[dead]", "{body}");
                    let mut expected = without_kids(&comment_keys);
                    expected.insert(1, "dead".to_owned());
                    assert_eq!(actual, expected, "{body}");
                }
                _ => panic!("an item of no known shape: {body}"),
            }
            // Keys in alphabetical order in the body itself, as Firebase sends them (a
            // parsed `Value` may have sorted them on its own).
            let mut sorted = actual.clone();
            sorted.sort();
            let at: Vec<usize> = sorted
                .iter()
                .map(|key| body.find(&format!("\"{key}\":")).expect("the key is there"))
                .collect();
            assert!(at.is_sorted(), "{body}");
        }
        assert_eq!(stories, TOP_STORIES + 1);
        assert!(comments > 1_000, "{comments} comments");
        assert_eq!((deleted, dead), (1, 1));
    }

    #[test]
    fn a_missing_item_is_null() {
        for id in [0, 1, DROPBOX_STORY + 1, u64::MAX] {
            assert_eq!(item_json(id), "null", "{id}");
            assert_eq!(comment_count(id), None, "{id}");
        }
    }

    #[test]
    fn every_kid_names_its_parent_and_every_story_counts_its_tree() {
        for (id, item) in &FOREST.items {
            for kid in item.kids() {
                if let Some(Item::Comment { parent, .. }) = FOREST.items.get(kid) {
                    assert_eq!(parent, id, "the parent of {kid}");
                }
            }
            if let Item::Story { descendants, .. } = item {
                assert_eq!(Some(*descendants), comment_count(*id), "story {id}");
                assert_eq!(*descendants, below(*id).len(), "story {id}");
            }
        }
    }

    #[test]
    fn the_top_stories_are_500_distinct_stories() {
        let top = top_stories();
        assert_eq!(top.len(), TOP_STORIES);
        let mut distinct = top.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), TOP_STORIES);
        for id in &top {
            assert_eq!(item(*id)["type"], "story", "{id}");
        }
        let listed: Vec<u64> = serde_json::from_str(top_stories_json()).expect("ids");
        assert_eq!(listed, top);
        // Every comment id is unique across the trees (a shared id would be one item).
        let mut all: Vec<u64> = top.iter().flat_map(|id| below(*id)).collect();
        let total = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), total);
    }

    #[test]
    fn the_first_five_top_stories_differ_as_promised() {
        let top = top_stories();
        let big = top[0];
        assert!(comment_count(big) >= Some(300), "{:?}", comment_count(big));
        assert!(item(big)["kids"].as_array().expect("kids").len() >= 50);
        assert!(depth(top[1]) > 5, "depth {}", depth(top[1]));
        assert_eq!(comment_count(top[2]), Some(0));
        assert!(item(top[2]).get("kids").is_none());
        assert_eq!(item(top[2])["descendants"], 0);
        let null_kids: Vec<u64> = below(top[3])
            .into_iter()
            .filter(|id| item_json(*id) == "null")
            .collect();
        assert_eq!(null_kids.len(), 1);
        let states: Vec<Value> = below(top[4]).into_iter().map(item).collect();
        assert!(
            states
                .iter()
                .any(|comment| comment.get("deleted").is_some())
        );
        assert!(states.iter().any(|comment| comment.get("dead").is_some()));
        // The rest vary too, and stay small.
        let rest: Vec<usize> = top[5..]
            .iter()
            .map(|id| comment_count(*id).expect("a story"))
            .collect();
        assert!(rest.contains(&0));
        assert!(rest.iter().all(|count| *count < 50), "{rest:?}");
    }

    #[test]
    fn the_trees_are_the_same_on_every_run() {
        // A fingerprint of every body: it changes only if the trees do, which would change
        // what the book's outputs print. Grown afresh, too, the forest is the same.
        let fingerprint = |forest: &Forest| {
            let mut ids: Vec<&u64> = forest.bodies.keys().collect();
            ids.sort();
            // FNV-1a, 64 bits.
            let mut hash: u64 = 0xCBF2_9CE4_8422_2325;
            for id in ids {
                for byte in forest.bodies[id].bytes() {
                    hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01B3);
                }
            }
            hash
        };
        assert_eq!(fingerprint(&Forest::grow()), fingerprint(&FOREST));
        assert_eq!(fingerprint(&FOREST), 0x1A0F_2B86_B53A_F54B);
    }

    #[test]
    fn missing_key_leaves_kids_out() {
        let without = item_json_without_kids(DROPBOX_STORY);
        assert!(!without.contains("kids"), "{without}");
        assert!(without.contains("\"descendants\":71"), "{without}");
        assert_eq!(item_json_without_kids(1), "null");
    }
}
