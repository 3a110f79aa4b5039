//! How well chatdrop understands what customers type: top-1 intent accuracy and top-3 product
//! hit rate over the labelled set in `utterances.tsv` and `utterances_round2.tsv`, against the demo catalogs
//! (`cli/catalogs/sample.toml`, `maison.toml`). Prints both (with `--nocapture`) and every miss;
//! fails below 95 % and 90 %. `utterances_heldout.tsv`, never tuned on, is printed as the
//! estimate on new messages.
//!
//! ```sh
//! cargo test -p chatdrop-domain --test utterances -- --nocapture
//! ```
//!
//! The pipeline is the catalog flow's for typed text: a whole keyword, then a sentence's intent
//! (unless its words name a product), then the search. A product line counts only if no intent
//! took the message first.

use chatdrop_domain::catalog::Catalog;
use chatdrop_domain::keywords::{self, Meaning};
use chatdrop_domain::{intent, search};
use std::collections::BTreeMap;

const MIN_INTENT_ACCURACY: f64 = 0.95;
const MIN_PRODUCT_TOP3: f64 = 0.90;

fn catalog(name: &str) -> Catalog {
    let path = format!(
        "{}/../../cli/catalogs/{name}.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn intent_name(meaning: Meaning) -> &'static str {
    match meaning {
        Meaning::Greeting => "greeting",
        Meaning::Menu => "menu",
        Meaning::Cart => "cart",
        Meaning::Checkout => "checkout",
        Meaning::Orders => "orders",
        Meaning::Cancel => "cancel",
        Meaning::Human => "human",
        Meaning::Complaint => "complaint",
        Meaning::StopAnnouncements => "stop",
        Meaning::StartAnnouncements => "start",
        Meaning::Language => "language",
        Meaning::Thanks => "thanks",
        Meaning::RemindMe => "remind",
        Meaning::WhatWeHold => "what-we-hold",
        Meaning::ForgetMe => "forget-me",
    }
}

/// What the flow would take the text to mean, as the catalog flow decides it.
fn meaning(catalog: &Catalog, text: &str) -> Option<&'static str> {
    keywords::understand(text)
        .map(|h| h.meaning)
        .or_else(|| intent::classify_for(catalog, text).map(|u| u.meaning))
        .map(intent_name)
}

#[derive(Default)]
struct Tally {
    right: usize,
    total: usize,
}

impl Tally {
    fn add(&mut self, right: bool) {
        self.total += 1;
        self.right += usize::from(right);
    }
    fn rate(&self) -> f64 {
        self.right as f64 / self.total.max(1) as f64
    }
}

/// The figures of one labelled file.
#[derive(Default)]
struct Scores {
    intents: Tally,
    top3: Tally,
    top1: Tally,
    by_lang: BTreeMap<String, Tally>,
    misses: Vec<String>,
}

fn evaluate(file: &str, catalogs: &BTreeMap<&str, Catalog>) -> Scores {
    let data =
        std::fs::read_to_string(format!("{}/tests/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let mut scores = Scores::default();
    for line in data.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let [lang, expect, text] = line.split('\t').collect::<Vec<_>>()[..] else {
            panic!("a line of three tab-separated columns: {line:?}");
        };
        let right = match expect.split_once(':') {
            Some((name, product)) => {
                let catalog = &catalogs[name];
                let taken = meaning(catalog, text);
                let found: Vec<String> = search::find(catalog, text)
                    .iter()
                    .take(3)
                    .map(|h| h.product.id.clone())
                    .collect();
                let hit = taken.is_none() && found.iter().any(|id| id == product);
                scores.top3.add(hit);
                let first = taken.is_none() && found.first().is_some_and(|id| id == product);
                scores.top1.add(first);
                if !hit {
                    scores
                        .misses
                        .push(format!("{lang}\t{expect}\t{text}\t→ {taken:?} {found:?}"));
                }
                hit
            }
            None => {
                let got = meaning(&catalogs["sample"], text);
                let right = got == Some(expect);
                scores.intents.add(right);
                if !right {
                    scores
                        .misses
                        .push(format!("{lang}\t{expect}\t{text}\t→ {got:?}"));
                }
                right
            }
        };
        scores
            .by_lang
            .entry(lang.to_string())
            .or_default()
            .add(right);
    }
    println!("{file}: misses\n  {}", scores.misses.join("\n  "));
    for (lang, t) in &scores.by_lang {
        println!(
            "  {lang:8} {}/{} ({:.1} %)",
            t.right,
            t.total,
            100.0 * t.rate()
        );
    }
    println!(
        "{file}: intent top-1 accuracy {}/{} = {:.1} %; product top-3 hit rate {}/{} = {:.1} % (top-1 {:.1} %)",
        scores.intents.right,
        scores.intents.total,
        100.0 * scores.intents.rate(),
        scores.top3.right,
        scores.top3.total,
        100.0 * scores.top3.rate(),
        100.0 * scores.top1.rate()
    );
    scores
}

#[test]
fn intents_and_products_are_understood() {
    let catalogs: BTreeMap<&str, Catalog> =
        [("sample", catalog("sample")), ("maison", catalog("maison"))]
            .into_iter()
            .collect();
    let mut tuned = evaluate("utterances.tsv", &catalogs);
    let round2 = evaluate("utterances_round2.tsv", &catalogs);
    tuned.intents.right += round2.intents.right;
    tuned.intents.total += round2.intents.total;
    tuned.top3.right += round2.top3.right;
    tuned.top3.total += round2.top3.total;
    println!(
        "labelled set (rounds 1 and 2): intent top-1 {:.1} % of {}, product top-3 {:.1} % of {}",
        100.0 * tuned.intents.rate(),
        tuned.intents.total,
        100.0 * tuned.top3.rate(),
        tuned.top3.total
    );
    // Printed, not held to the goal: never tuned on, its figure is the honest estimate
    // (README, Performance).
    let heldout = evaluate("utterances_heldout.tsv", &catalogs);
    assert!(heldout.intents.total + heldout.top3.total >= 90);
    assert!(
        tuned.intents.total + tuned.top3.total >= 300,
        "at least 300 utterances"
    );
    assert!(
        tuned.intents.rate() >= MIN_INTENT_ACCURACY,
        "intent accuracy below goal"
    );
    assert!(
        tuned.top3.rate() >= MIN_PRODUCT_TOP3,
        "product top-3 hit rate below goal"
    );
}
