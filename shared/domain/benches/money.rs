//! What formatting an amount costs: the first call for a (language, currency) pair builds a CLDR
//! formatter (`uncached`), later calls reuse it from the thread's cache (`cached`).
//!
//! `cargo bench -p chatdrop-domain --bench money`

use chatdrop_domain::lang::Lang;
use chatdrop_domain::money::{Currency, Money};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn money(c: &mut Criterion) {
    let brl = Money::new(12_000, Currency::parse("BRL").unwrap());
    let jpy = Money::new(12_000, Currency::JPY);
    for (name, amount, lang) in [("pt-BR BRL", brl, Lang::PT_BR), ("ja JPY", jpy, Lang::JA)] {
        let mut group = c.benchmark_group(name);
        group.bench_function("uncached (first call)", |b| {
            b.iter(|| black_box(amount).format_uncached(black_box(lang), false))
        });
        group.bench_function("cached", |b| {
            b.iter(|| black_box(amount).format(black_box(lang), false))
        });
        group.finish();
    }
}

criterion_group!(benches, money);
criterion_main!(benches);
