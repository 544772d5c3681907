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
//! tree: the books' outputs print these counts.

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
