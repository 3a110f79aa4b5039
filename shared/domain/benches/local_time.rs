//! What showing a drop's start time to a customer costs: a reply that tells a customer a drop
//! is not open yet formats one time, so this is paid once per such reply, on a warm function.
//!
//! - `zone/<case>`: [`CustomerZone::resolve`] alone: the phone's region (libphonenumber's
//!   metadata and number patterns), that region's zones from the tz database's country table,
//!   and jiff's zone lookups (each zone's rules, from jiff's bundled tzdb, cached after the
//!   first use).
//! - `format/<lang>`: [`format_instant`] alone: jiff's wall-clock time in the zone, then ICU4X
//!   building its CLDR formatter for the language (compiled data) and writing the text.
//! - `reply/ja`: both, as the checkout reply does them.
//!
//! ```sh
//! cargo bench -p chatdrop-domain --bench local_time
//! ```
//!
//! The first call of a process also parses the zone table once (a `LazyLock`); criterion's
//! warm-up absorbs it, as a warm Lambda does.

use chatdrop_domain::lang::Lang;
use chatdrop_domain::local_time::format_instant;
use chatdrop_domain::time_zone::CustomerZone;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

/// 2026-12-01T10:00:00Z.
const STARTS_AT: i64 = 1_796_119_200;

fn bench(c: &mut Criterion) {
    for (case, phone) in [
        ("jp", Some("+81 90 1234 5678")),
        ("us_market", Some("+1 212 555 1234")),
        ("none", None),
    ] {
        c.bench_function(&format!("zone/{case}"), |b| {
            b.iter(|| CustomerZone::resolve(black_box(phone), Some("Asia/Tokyo"), STARTS_AT))
        });
    }
    let tokyo = CustomerZone::resolve(Some("+81 90 1234 5678"), None, STARTS_AT);
    for lang in [Lang::EN, Lang::JA, Lang::PT_BR] {
        c.bench_function(&format!("format/{}", lang.code()), |b| {
            b.iter(|| format_instant(black_box(STARTS_AT), &tokyo.zone, &tokyo.name, lang))
        });
    }
    c.bench_function("reply/ja", |b| {
        b.iter(|| {
            let zone = CustomerZone::resolve(black_box(Some("+81 90 1234 5678")), None, STARTS_AT);
            zone.format(STARTS_AT, Lang::JA)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
