use super::*;
use crate::messages::english_parts;
use std::collections::BTreeSet;

const ORDER_STATES: [OrderState; 7] = [
    OrderState::AwaitingPayment,
    OrderState::Paid,
    OrderState::Lapsed,
    OrderState::Cancelled,
    OrderState::UnderReview,
    OrderState::Shipped,
    OrderState::Refunded,
];

fn choice_errors() -> Vec<ChoiceError> {
    vec![
        ChoiceError::WrongStep,
        ChoiceError::UnknownOption,
        ChoiceError::Excluded {
            option: "Oat milk".into(),
            other: "Whipped cream".into(),
        },
        ChoiceError::Requires {
            option: "Extra shot".into(),
            needed: "Large".into(),
        },
        ChoiceError::NotOptional,
        ChoiceError::TextEmpty,
        ChoiceError::TextTooLong { max: 12 },
        ChoiceError::TextCharacter('é'),
    ]
}

/// The position of a variant in the enum. The match is exhaustive, so a new variant needs an
/// arm here, and `examples_cover_every_variant` then fails until it has an example.
fn ordinal(msg: &Msg) -> usize {
    use Msg::*;
    match msg {
        Welcome => 0,
        MenuLabel => 1,
        ChooseLabel => 2,
        ChooseCategory => 3,
        ProductsIn(_) => 4,
        CategoryEmpty(_) => 5,
        ProductDetail { .. } => 6,
        CustomizeAndAdd => 7,
        AddToCart => 8,
        Back => 9,
        ViewCart => 10,
        Menu => 11,
        SearchResults(_) => 12,
        NothingFound(_) => 13,
        UnknownProduct => 14,
        UnknownCategory => 15,
        ContactLinked => 16,
        ImageReceived => 17,
        Unsupported => 18,
        StaleButton => 19,
        UnknownTap => 20,
        AskOption { .. } => 21,
        AskText { .. } => 22,
        Skip => 23,
        Cancel => 24,
        Rejected(_) => 25,
        TryAgain => 26,
        Added { .. } => 27,
        CartHeader => 28,
        CartLine { .. } => 29,
        CartTotal(_) => 30,
        CartEmpty => 31,
        KeepShopping => 32,
        EmptyCart => 33,
        Change(_) => 34,
        LineView { .. } => 35,
        OneMore => 36,
        OneLess => 37,
        Remove => 38,
        Removed => 39,
        Emptied => 40,
        QuantitySet(_) => 41,
        UnknownLine => 42,
        TooMany(_) => 43,
        TooManyLines(_) => 44,
        Cancelled => 45,
        ReplyWithNumber => 46,
        Checkout => 47,
        CheckoutEmpty => 48,
        Reserved { .. } => 49,
        PayNow => 50,
        QrCaption => 51,
        CancelReservation => 52,
        SoldOut(_) => 53,
        OverLimit(_) => 54,
        DropNotYet { .. } => 55,
        DropOver(_) => 56,
        PaymentUnavailable => 57,
        ReservationCancelled(_) => 58,
        AlreadyPaid(_) => 59,
        NotYourOrder => 60,
        OrdersHeader => 61,
        OrderSummary { .. } => 62,
        NoOrders => 63,
        Confirmation { .. } => 64,
        Lapsed(_) => 65,
        CheckoutAgain => 66,
        Shipped { .. } => 67,
        Refunded(_) => 68,
        LatePayment(_) => 69,
        PaymentUnderReview(_) => 70,
        MyOrders => 71,
        PaidPageTitle => 72,
        PaidPageText => 73,
        CancelledPageTitle => 74,
        CancelledPageText => 75,
        AlreadyPaidPageTitle => 76,
        AlreadyPaidPageText(_) => 77,
        LapsedPageTitle => 78,
        LapsedPageText(_) => 79,
        UnknownLinkPageTitle => 80,
        UnknownLinkPageText => 81,
        PayLinkFailedPageTitle => 82,
        PayLinkFailedPageText => 83,
        AwaitingDelayedPayment { .. } => 84,
        DelayedPaymentFailed(_) => 85,
        LanguageEntry => 86,
        ChooseLanguage => 87,
        LanguagesLabel => 88,
        LanguageSet(_) => 89,
        WaitlistJoinButton => 90,
        WaitlistJoined(_) => 91,
        WaitlistOffer { .. } => 92,
        WaitlistTakeButton => 93,
        WaitlistPassButton => 94,
        WaitlistPassed => 95,
        WaitlistOfferGone => 96,
        RemindMeButton => 97,
        ReminderSet { .. } => 98,
        DropOpened { .. } => 99,
        StopAnnouncementsEntry => 100,
        StartAnnouncementsEntry => 101,
        AnnouncementsStopped => 102,
        AnnouncementsStarted => 103,
        WhatWeHold { .. } => 104,
        Forgotten => 105,
        DrawOnly { .. } => 106,
        DrawEnterButton => 107,
        DrawEntered { .. } => 108,
        DrawAlreadyEntered(_) => 109,
        DrawClosed(_) => 110,
        DrawNeedsPhone(_) => 111,
        DrawWon { .. } => 112,
        DrawLost(_) => 113,
        DrawNotAWinner(_) => 114,
        AnnouncementStopHint => 115,
        YoureWelcome => 116,
        ClosestMatches(_) => 117,
        HandoffSoon => 118,
        HandoffFrom { .. } => 119,
        PhoneAsk(_) => 120,
        PhoneNotANumber => 121,
        PhoneCodeSent { .. } => 122,
        PhoneTypeCode(_) => 123,
        PhoneCodeWrong(_) => 124,
        PhoneCodeExpired => 125,
        PhoneTooManyTries(_) => 126,
        PhoneTooManyCodes => 127,
        PhoneVerifyUnavailable => 128,
        PhoneNewCodeButton => 129,
        PhoneOtherNumberButton => 130,
        VipWelcome => 131,
        TalkToPerson => 132,
        PhoneShareHint => 133,
        PhoneShareButton => 134,
    }
}
const VARIANTS: usize = 135;

/// One value per variant, and one per choice error and order state.
fn examples(errors: &[ChoiceError]) -> Vec<Msg<'_>> {
    use Msg::*;
    let mut all = vec![
        Welcome,
        MenuLabel,
        ChooseLabel,
        ChooseCategory,
        ProductsIn("Coffee"),
        CategoryEmpty("Coffee"),
        ProductDetail {
            name: "Latte",
            price: "$4.50",
            description: "Espresso and milk.",
            options: "size, milk",
        },
        CustomizeAndAdd,
        AddToCart,
        Back,
        ViewCart,
        Menu,
        SearchResults("tea"),
        NothingFound("tea"),
        UnknownProduct,
        UnknownCategory,
        ContactLinked,
        ImageReceived,
        Unsupported,
        StaleButton,
        UnknownTap,
        AskOption {
            product: "Latte",
            group: "size",
            step: 1,
            steps: 2,
        },
        AskText {
            product: "Mug",
            group: "engraving",
            step: 2,
            steps: 2,
            max: 12,
        },
        Skip,
        Cancel,
        TryAgain,
        Added {
            item: "Latte",
            price: "$4.50",
            units: 2,
            total: "$9.00",
        },
        CartHeader,
        CartLine {
            n: 1,
            item: "Latte",
            quantity: 2,
            amount: "$9.00",
        },
        CartTotal("$9.00"),
        CartEmpty,
        KeepShopping,
        EmptyCart,
        Change("Latte"),
        LineView {
            item: "Latte",
            quantity: 2,
        },
        OneMore,
        OneLess,
        Remove,
        Removed,
        Emptied,
        QuantitySet(3),
        UnknownLine,
        TooMany(10),
        TooManyLines(20),
        Cancelled,
        ReplyWithNumber,
        Checkout,
        CheckoutEmpty,
        Reserved {
            minutes: 15,
            total: "$9.00",
        },
        PayNow,
        QrCaption,
        CancelReservation,
        SoldOut("Latte"),
        OverLimit(2),
        DropNotYet {
            drop: "Winter drop",
            when: "10:00",
        },
        DropOver("Winter drop"),
        PaymentUnavailable,
        ReservationCancelled("A1"),
        AlreadyPaid("A1"),
        NotYourOrder,
        OrdersHeader,
        NoOrders,
        Confirmation {
            number: "A1",
            items: "Latte × 2",
            total: "$9.00",
        },
        Lapsed("A1"),
        CheckoutAgain,
        Shipped {
            number: "A1",
            tracking: "1Z999",
        },
        Refunded("A1"),
        LatePayment("A1"),
        AwaitingDelayedPayment {
            number: "A1",
            deadline: "Dec 3, 2026, 23:59 JST",
        },
        DelayedPaymentFailed("A1"),
        LanguageEntry,
        ChooseLanguage,
        LanguagesLabel,
        LanguageSet("日本語"),
        WaitlistJoinButton,
        WaitlistJoined("Atelier Bag"),
        WaitlistOffer {
            item: "Atelier Bag",
            minutes: 10,
        },
        WaitlistOffer {
            item: "Atelier Bag",
            minutes: 1,
        },
        WaitlistTakeButton,
        WaitlistPassButton,
        WaitlistPassed,
        WaitlistOfferGone,
        RemindMeButton,
        ReminderSet {
            drop: "Spring drop",
            when: "Dec 3, 2026, 10:00 JST",
        },
        DropOpened {
            drop: "Spring drop",
            when: "Dec 3, 2026, 10:00 JST",
        },
        PaymentUnderReview("A1"),
        MyOrders,
        PaidPageTitle,
        PaidPageText,
        CancelledPageTitle,
        CancelledPageText,
        AlreadyPaidPageTitle,
        AlreadyPaidPageText("A1"),
        LapsedPageTitle,
        LapsedPageText("A1"),
        UnknownLinkPageTitle,
        UnknownLinkPageText,
        PayLinkFailedPageTitle,
        PayLinkFailedPageText,
        StopAnnouncementsEntry,
        StartAnnouncementsEntry,
        AnnouncementsStopped,
        AnnouncementsStarted,
        WhatWeHold {
            language: "English",
            phone: "+5511987654321",
            items: 2,
            announcements: "out",
            tags: "vip, tokyo-popup-2026",
        },
        WhatWeHold {
            language: "English",
            phone: "none",
            items: 0,
            announcements: "never",
            tags: "none",
        },
        Forgotten,
        DrawOnly {
            drop: "Spring drop",
            closes: "Dec 3, 2026, 10:00 JST",
        },
        DrawEnterButton,
        DrawEntered {
            drop: "Spring drop",
            entry: "3f9a0c1d2e4b5a69",
            closes: "Dec 3, 2026, 10:00 JST",
        },
        DrawAlreadyEntered("Spring drop"),
        DrawClosed("Spring drop"),
        DrawNeedsPhone("Spring drop"),
        DrawWon {
            drop: "Spring drop",
            until: "Dec 4, 2026, 10:00 JST",
        },
        DrawLost("Spring drop"),
        DrawNotAWinner("Spring drop"),
        AnnouncementStopHint,
        YoureWelcome,
        ClosestMatches("dorp bag"),
        HandoffSoon,
        HandoffFrom {
            when: "Dec 7, 2026, 9:00 AM GMT+9",
        },
        PhoneAsk("Spring drop"),
        PhoneNotANumber,
        PhoneCodeSent {
            phone: "+82 10-1234-5678",
            minutes: 10,
        },
        PhoneTypeCode("+82 10-1234-5678"),
        PhoneCodeWrong(3),
        PhoneCodeExpired,
        PhoneTooManyTries("Dec 7, 2026, 9:10 AM GMT+9"),
        PhoneTooManyCodes,
        PhoneVerifyUnavailable,
        PhoneNewCodeButton,
        PhoneOtherNumberButton,
        VipWelcome,
        TalkToPerson,
        PhoneShareHint,
        PhoneShareButton,
    ];
    all.extend(errors.iter().map(Rejected));
    all.extend(ORDER_STATES.map(|status| OrderSummary {
        number: "A1",
        status,
        total: "$9.00",
    }));
    all
}

#[test]
fn examples_cover_every_variant() {
    let errors = choice_errors();
    let covered: BTreeSet<usize> = examples(&errors).iter().map(ordinal).collect();
    assert_eq!(covered, (0..VARIANTS).collect());
}

#[test]
fn every_message_has_an_english_text_and_every_english_text_a_message() {
    let errors = choice_errors();
    let mut ids: BTreeSet<String> = examples(&errors)
        .iter()
        .map(|m| m.id().to_string())
        .collect();
    ids.extend(ORDER_STATES.map(|s| s.id().to_string()));
    let english: BTreeSet<String> = english_parts()
        .keys()
        .map(|k| k.split('.').next().unwrap_or(k).to_string())
        .collect();
    assert_eq!(ids, english);
}

#[test]
fn every_example_reads_without_placeholders_in_every_shipped_language() {
    let errors = choice_errors();
    for lang in Messages::shipped().locales() {
        for msg in examples(&errors) {
            let text = msg.text(lang);
            assert!(!text.contains('{'), "{lang} {}: {text}", msg.id());
            assert!(
                !text.contains(['\u{2068}', '\u{2069}']),
                "{lang} {}",
                msg.id()
            );
        }
    }
}

#[test]
fn english_keeps_its_words_and_counts_items_in_the_plural() {
    let added = |units| {
        Msg::Added {
            item: "Latte",
            price: "$4.50",
            units,
            total: "$9.00",
        }
        .text(Lang::EN)
    };
    assert_eq!(
        added(1),
        "Added to your cart: Latte — $4.50.\nYour cart: 1 item, $9.00."
    );
    assert_eq!(
        added(2),
        "Added to your cart: Latte — $4.50.\nYour cart: 2 items, $9.00."
    );
    assert_eq!(
        Msg::Rejected(&ChoiceError::TextCharacter('é')).text(Lang::EN),
        "“é” can't be used here: use letters, digits, spaces and . , ' & - !"
    );
    assert_eq!(
        Msg::OrderSummary {
            number: "A1",
            status: OrderState::UnderReview,
            total: "$9.00"
        }
        .text(Lang::EN),
        "#A1 — under review — $9.00"
    );
}

#[test]
fn product_options_show_only_when_the_product_has_some() {
    let detail = |options| Msg::ProductDetail {
        name: "Latte",
        price: "$4.50",
        description: "Espresso and milk.",
        options,
    };
    assert_eq!(
        detail("").text(Lang::EN),
        "Latte — $4.50\nEspresso and milk."
    );
    assert_eq!(
        detail("size").text(Lang::EN),
        "Latte — $4.50\nEspresso and milk.\nYou choose: size."
    );
    assert_eq!(
        detail("サイズ").text(Lang::JA),
        "Latte — $4.50\nEspresso and milk.\n選べる項目：サイズ"
    );
}

#[test]
fn japanese_counts_without_plural_forms() {
    let text = Msg::Added {
        item: "ラテ",
        price: "¥500",
        units: 1,
        total: "¥500",
    }
    .text(Lang::JA);
    assert_eq!(text, "カートに追加しました：ラテ — ¥500\nカート：1点、¥500");
}

#[test]
fn a_region_reads_its_language_and_an_unshipped_language_reads_english() {
    assert_eq!(Msg::Back.text(Lang::parse("pt-PT").unwrap()), "Voltar");
    assert_eq!(Msg::Back.text(Lang::parse("es-MX").unwrap()), "Volver");
    assert_eq!(Msg::Back.text(Lang::parse("de").unwrap()), "Back");
}
