//! The live drop view: what the dashboard shows, from what is already written.
//!
//! [`LiveView::build`] is pure: given the SKUs' counters (shards summed), the sales confirmed
//! in the window with their channel, and how many reservations lapse soon, it lays out the
//! dashboard's numbers. Where each input is read, and why none of it costs the checkout a
//! write, is in `chatdrop_store`'s `console` module.

use chatdrop_store::SkuCounters;
use serde::Serialize;
use std::collections::BTreeMap;

/// Minutes of sales the chart shows.
pub const WINDOW_MINUTES: i64 = 15;

/// "Lapsing soon" means within this many seconds.
pub const LAPSING_WITHIN_SECONDS: i64 = 5 * 60;

/// One SKU's line on the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkuLine {
    pub sku: String,
    pub available: i64,
    pub reserved: i64,
    pub sold: i64,
    pub held: i64,
    pub waiting: i64,
}

/// Sales per minute of one channel, oldest minute first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelSeries {
    pub channel: String,
    pub per_minute: Vec<u32>,
}

/// The dashboard's numbers for one drop at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveView {
    pub drop: String,
    /// When it was read (unix seconds).
    pub at: i64,
    pub skus: Vec<SkuLine>,
    /// Unix seconds of the first minute of the series (whole minutes).
    pub minutes_from: i64,
    /// One series per channel that sold in the window, by channel name.
    pub sales: Vec<ChannelSeries>,
    /// Sales in the window, all channels.
    pub sales_total: u32,
    /// Customers waiting, every SKU.
    pub waitlist: i64,
    /// Open reservations that lapse within [`LAPSING_WITHIN_SECONDS`].
    pub lapsing_soon: i64,
}

/// A sale of the drop: when it was confirmed and on which channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sale {
    pub at: i64,
    pub channel: String,
}

/// The first second of the window that ends with the minute of `now`.
pub fn window_start(now: i64) -> i64 {
    (now.div_euclid(60) - (WINDOW_MINUTES - 1)) * 60
}

impl LiveView {
    pub fn build(
        drop: &str,
        now: i64,
        counters: Vec<SkuCounters>,
        sales: &[Sale],
        lapsing_soon: i64,
    ) -> LiveView {
        let from = window_start(now);
        let mut series: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
        let mut total = 0;
        for sale in sales {
            let minute = (sale.at - from).div_euclid(60);
            if !(0..WINDOW_MINUTES).contains(&minute) {
                continue;
            }
            series
                .entry(sale.channel.as_str())
                .or_insert_with(|| vec![0; WINDOW_MINUTES as usize])[minute as usize] += 1;
            total += 1;
        }
        let waitlist = counters.iter().map(|c| c.waiting.max(0)).sum();
        LiveView {
            drop: drop.to_string(),
            at: now,
            skus: counters
                .into_iter()
                .map(|c| SkuLine {
                    sku: c.sku,
                    available: c.available,
                    reserved: c.reserved,
                    sold: c.sold,
                    held: c.held,
                    waiting: c.waiting,
                })
                .collect(),
            minutes_from: from,
            sales: series
                .into_iter()
                .map(|(channel, per_minute)| ChannelSeries {
                    channel: channel.to_string(),
                    per_minute,
                })
                .collect(),
            sales_total: total,
            waitlist,
            lapsing_soon,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(sku: &str, a: i64, r: i64, s: i64, waiting: i64) -> SkuCounters {
        SkuCounters {
            sku: sku.into(),
            available: a,
            reserved: r,
            sold: s,
            held: 0,
            waiting,
        }
    }

    #[test]
    fn sales_fall_into_their_minute_per_channel_and_old_ones_drop_out() {
        // 12:34:56 on some day.
        let now = 1_767_225_600 + 12 * 3600 + 34 * 60 + 56;
        let from = window_start(now);
        assert_eq!(from % 60, 0);
        assert_eq!(
            now - from,
            14 * 60 + 56,
            "15 minutes, the current one partial"
        );
        let sale = |at: i64, channel: &str| Sale {
            at,
            channel: channel.into(),
        };
        let sales = [
            sale(now, "whatsapp"),
            sale(now - 50, "whatsapp"), // same minute (…:34:06)
            sale(now - 60, "whatsapp"), // the minute before
            sale(from, "line"),         // the window's first second
            sale(from - 1, "line"),     // just outside
            sale(now + 120, "sms"),     // a clock ahead: not in the window
        ];
        let view = LiveView::build(
            "d1",
            now,
            vec![counters("bag", 3, 1, 6, 2), counters("tote", 0, 0, 8, 5)],
            &sales,
            4,
        );
        assert_eq!(view.sales_total, 4);
        assert_eq!(view.sales.len(), 2);
        assert_eq!(view.sales[0].channel, "line");
        assert_eq!(view.sales[0].per_minute[0], 1);
        assert_eq!(view.sales[0].per_minute.iter().sum::<u32>(), 1);
        assert_eq!(view.sales[1].channel, "whatsapp");
        assert_eq!(view.sales[1].per_minute[14], 2);
        assert_eq!(view.sales[1].per_minute[13], 1);
        assert_eq!(view.waitlist, 7);
        assert_eq!(view.lapsing_soon, 4);
        assert_eq!(view.skus[0].sold, 6);
        assert_eq!(view.skus[1].sku, "tote");
    }
}
