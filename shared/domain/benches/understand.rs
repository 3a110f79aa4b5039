//! What understanding a typed message costs in the catalog flow: a whole keyword, a sentence's
//! intent ([`chatdrop_domain::intent`]) and the product search ([`chatdrop_domain::search`]), on
//! the demo catalog (4 products) and on one of 200 products (the sample's four, renamed, 50
//! times over: search indexes every product per query, so this is the catalog-size cost).
//!
//! `cargo bench -p chatdrop-domain --bench understand`

use chatdrop_domain::catalog::Catalog;
use chatdrop_domain::{intent, keywords, search};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn sample() -> Catalog {
    let path = format!(
        "{}/../../cli/catalogs/sample.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn large(n: usize) -> Catalog {
    let mut catalog = sample();
    let originals = catalog.products.clone();
    catalog.products = (0..n)
        .map(|i| {
            let mut p = originals[i % originals.len()].clone();
            p.id = format!("{}-{i}", &p.id[..p.id.len().min(10)]);
            p
        })
        .collect();
    catalog
}

/// The catalog flow's reading of typed text: keyword, sentence intent, then the search.
fn understand_message(catalog: &Catalog, text: &str) -> usize {
    if keywords::understand(text).is_some() {
        return 0;
    }
    if intent::classify_for(catalog, text).is_some() {
        return 1;
    }
    search::find(catalog, text).len()
}

fn understand(c: &mut Criterion) {
    let sample = sample();
    let large = large(200);
    let mut group = c.benchmark_group("understand");
    for (name, text) in [
        ("keyword", "cart"),
        ("intent en", "where is my order?"),
        ("intent zh", "我的订单在哪里"),
        ("search en", "how much is the drop bag?"),
        ("search ja", "ドロップバッグの値段は？"),
    ] {
        group.bench_function(format!("{name}, 4 products"), |b| {
            b.iter(|| understand_message(black_box(&sample), black_box(text)))
        });
    }
    group.bench_function("search en, 200 products", |b| {
        b.iter(|| understand_message(black_box(&large), black_box("how much is the drop bag?")))
    });
    group.finish();
}

criterion_group!(benches, understand);
criterion_main!(benches);
