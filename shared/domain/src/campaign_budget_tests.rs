use super::*;
use crate::campaign::tests::recipient;

/// 2026-12-04 12:00 UTC.
const NOON: i64 = 1_796_385_600;

#[test]
fn budgets_are_read_from_the_variable_with_clear_errors() {
    let budgets = parse(" whatsapp=2k/24h, line=4000/month ").unwrap();
    assert_eq!(
        budgets,
        [
            ChannelBudget {
                channel: Channel::Whatsapp,
                limit: 2_000,
                period: BudgetPeriod::Rolling24h
            },
            ChannelBudget {
                channel: Channel::Line,
                limit: 4_000,
                period: BudgetPeriod::Month
            },
        ]
    );
    assert_eq!(parse("").unwrap(), []);
    for (bad, says) in [
        ("whatsapp=250", "no period"),
        ("whatsap=250/24h", "unknown channel"),
        ("line=lots/month", "not a number"),
        ("line=10/week", "not a period"),
        ("line", "channel=limit/period"),
    ] {
        let e = parse(bad).unwrap_err();
        assert!(e.contains(says), "{bad}: {e}");
    }
}

#[test]
fn periods_start_24_hours_back_or_on_the_first_of_the_month() {
    let day = ChannelBudget {
        channel: Channel::Whatsapp,
        limit: 250,
        period: BudgetPeriod::Rolling24h,
    };
    assert_eq!(day.first_hour(NOON), hour_of(NOON) - 23);
    let month = ChannelBudget {
        period: BudgetPeriod::Month,
        ..day
    };
    // 2026-12-01 00:00 UTC.
    assert_eq!(month.first_hour(NOON), 1_796_083_200 / 3600);
    assert_eq!(month.first_hour(1_796_083_200), 1_796_083_200 / 3600);
}

#[test]
fn whatsapp_counts_only_outside_the_window_and_line_always() {
    let mut wa = recipient(Channel::Whatsapp, "5511987650001");
    wa.last_heard_at = Some(NOON - 3600);
    assert!(!counts(&wa, NOON), "inside the window: no new conversation");
    wa.last_heard_at = Some(NOON - 25 * 3600);
    assert!(counts(&wa, NOON));
    wa.last_heard_at = None;
    assert!(counts(&wa, NOON));
    let mut line = recipient(Channel::Line, "U0001");
    line.last_heard_at = Some(NOON - 60);
    assert!(counts(&line, NOON));
    let budget = ChannelBudget {
        channel: Channel::Line,
        limit: 10,
        period: BudgetPeriod::Month,
    };
    assert_eq!(remaining(&budget, 4).remaining, Some(6));
    assert_eq!(remaining(&budget, 40).remaining, Some(0));
}
