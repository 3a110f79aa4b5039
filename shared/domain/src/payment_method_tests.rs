use super::*;

#[test]
fn names_are_stripes_and_serde_agrees() {
    for m in PaymentMethod::ALL {
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, format!("\"{}\"", m.stripe_name()), "{m:?}");
        assert_eq!(PaymentMethod::from_stripe_name(m.stripe_name()), Some(m));
        assert!(m.source().starts_with("https://docs.stripe.com/payments/"));
    }
    assert_eq!(PaymentMethod::from_stripe_name("ideal"), None);
}

#[test]
fn each_method_takes_its_documented_currencies() {
    use PaymentMethod::*;
    // Cards: any currency Stripe supports.
    assert!(Card.accepts_code("KRW") && Card.accepts_code("BRL") && Card.accepts_code("usd"));
    for korean in [KakaoPay, NaverPay, Payco, SamsungPay, KrCard] {
        assert!(korean.accepts_code("KRW"), "{korean}");
        assert!(!korean.accepts_code("USD"), "{korean}");
        assert!(!korean.accepts(Currency::JPY), "{korean}");
    }
    assert!(Pix.accepts_code("brl") && !Pix.accepts_code("USD"));
    assert!(Promptpay.accepts_code("THB") && !Promptpay.accepts_code("SGD"));
    assert!(Paynow.accepts_code("SGD") && !Paynow.accepts_code("MYR"));
    assert!(Grabpay.accepts_code("SGD") && Grabpay.accepts_code("MYR"));
    assert!(!Grabpay.accepts_code("THB"));
    assert!(Konbini.accepts(Currency::JPY) && !Konbini.accepts(Currency::USD));
    assert!(WechatPay.accepts_code("CNY") && WechatPay.accepts(Currency::EUR));
    assert!(!WechatPay.accepts_code("KRW"));
    assert!(Alipay.accepts_code("CNY") && Alipay.accepts_code("MYR"));
    assert!(!Alipay.accepts_code("BRL"));
}

#[test]
fn only_konbini_and_pix_settle_later() {
    let later: Vec<_> = PaymentMethod::ALL
        .into_iter()
        .filter(|m| m.settles_later())
        .collect();
    assert_eq!(later, [PaymentMethod::Pix, PaymentMethod::Konbini]);
    assert_eq!(PaymentMethod::Konbini.flow(), PaymentFlow::Voucher);
    assert_eq!(PaymentMethod::WechatPay.flow(), PaymentFlow::QrCode);
    assert_eq!(PaymentMethod::Card.flow(), PaymentFlow::CardForm);
}

#[test]
fn a_currency_a_method_does_not_take_is_named_in_the_error() {
    use PaymentMethod::*;
    assert_eq!(check_currency(&[Card, Konbini], "JPY"), Ok(()));
    let err = check_currency(&[Card, Konbini, Pix], "jpy").unwrap_err();
    assert_eq!(err.method, Pix);
    assert_eq!(
        err.to_string(),
        "Stripe does not take pix in JPY: it takes pix in BRL"
    );
    assert_eq!(check_currency(&[], "XXX"), Ok(()));
}

#[test]
fn methods_that_settle_later_need_days_to_pay() {
    use PaymentMethod::*;
    let held = PaymentOffer::new(&[Card, Konbini, Konbini], Some(3));
    assert_eq!(held.methods, [Card, Konbini]);
    assert_eq!(held.pay_within_days, Some(3));
    assert!(held.settles_later());
    assert_eq!(held.konbini_expires_after_days(), Some(3));
    assert_eq!(held.pix_expires_after_seconds(), None);

    let not_held = PaymentOffer::new(&[Card, Konbini], None);
    assert_eq!(not_held.methods, [Card]);
    assert_eq!(not_held.pay_within_days, None);
    assert!(!not_held.settles_later());

    // Only methods that settle later, and no time to wait: cards rather than nothing.
    assert_eq!(PaymentOffer::new(&[Konbini], None).methods, [Card]);
    // No method that settles later: the days mean nothing and are not kept.
    let immediate = PaymentOffer::new(&[WechatPay], Some(3));
    assert_eq!(immediate.pay_within_days, None);
    assert_eq!(immediate.deadline(0), None);
    // Clamped to what Konbini takes; Pix to its 14 days.
    let long = PaymentOffer::new(&[Pix, Konbini], Some(90));
    assert_eq!(long.konbini_expires_after_days(), Some(60));
    assert_eq!(long.pix_expires_after_seconds(), Some(1_209_600));
    assert_eq!(PaymentOffer::new(&[Pix], Some(0)).pay_within_days, Some(1));
    // An order from before: cards.
    assert_eq!(PaymentOffer::default().methods(), [Card]);
}

#[test]
fn a_konbini_voucher_runs_to_the_end_of_its_last_day_in_japan() {
    let offer = PaymentOffer::new(&[PaymentMethod::Konbini], Some(2));
    // Monday 2026-12-07 10:00 JST (01:00 UTC): expires Wednesday 2026-12-09 23:59:59 JST,
    // the example in Stripe's reference.
    let monday_10_jst = 1_796_605_200;
    let wednesday_end_jst = 1_796_828_399;
    assert_eq!(offer.deadline(monday_10_jst), Some(wednesday_end_jst));
    // 23:30 UTC on Sunday is already Monday 08:30 in Japan: the same deadline.
    assert_eq!(
        offer.deadline(monday_10_jst - 5_400),
        Some(wednesday_end_jst)
    );
    // Pix counts seconds; with both offered, the later deadline holds.
    let both = PaymentOffer::new(&[PaymentMethod::Pix, PaymentMethod::Konbini], Some(2));
    assert_eq!(both.deadline(monday_10_jst), Some(wednesday_end_jst));
    let pix = PaymentOffer::new(&[PaymentMethod::Pix], Some(2));
    assert_eq!(
        pix.deadline(monday_10_jst),
        Some(monday_10_jst + 2 * 86_400)
    );
}
