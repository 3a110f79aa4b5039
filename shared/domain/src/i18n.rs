//! Every customer-facing sentence, named in code and worded in message files.
//!
//! The flows never write a sentence inline: they name a [`Msg`] and its values, and
//! [`Msg::text`] asks a [`Voice`] (a language and a set of [`Messages`]) for the words. The words
//! live in [Project Fluent](https://projectfluent.org/fluent/guide/) files, one per locale
//! (`shared/domain/locales/<tag>.ftl`), so a translator edits text, not Rust, and plurals are
//! the language's own (`1 item`, `2 items` in English; one form in Japanese).
//!
//! Each variant is one message id, its name in kebab case (`ProductsIn` → `products-in`); its
//! fields are the message's variables (`$name`, `$price`), and a tuple variant's value gets a
//! name saying what it holds (`$category`, `$number`). Counts travel as numbers so Fluent's
//! plural selectors can pick a form; prices and dates arrive formatted. Two variants fan out:
//! [`Msg::Rejected`] speaks one `choice-…` message per [`ChoiceError`], and an order's status
//! is its own `order-state-…` message placed into `order-summary`.
//!
//! The language comes from the platform's locale when it gives one (Telegram's
//! `language_code`), else from the retailer's default. The pages a browser opens from the chat
//! (the `…Page…` messages, served by the payment-webhook function) speak the order's language
//! when they know the order, else the browser's ([`Lang::from_accept_language`]).
//!
//! A `Lang` alone is a voice with chatdrop's shipped text; the conversation flows speak with the
//! catalog's voice ([`Catalog::voice`](crate::catalog::Catalog::voice)), which carries the
//! retailer's overrides (see [`crate::messages`]).

use crate::customization::ChoiceError;
pub use crate::lang::{Lang, LangError};
pub use crate::messages::{Messages, Voice};
use fluent_bundle::FluentArgs;

/// A customer-facing message and the values it needs.
#[derive(Clone, Debug)]
pub enum Msg<'a> {
    Welcome,
    MenuLabel,
    ChooseLabel,
    ChooseCategory,
    ProductsIn(&'a str),
    CategoryEmpty(&'a str),
    ProductDetail {
        name: &'a str,
        price: &'a str,
        description: &'a str,
        options: &'a str,
    },
    CustomizeAndAdd,
    AddToCart,
    Back,
    ViewCart,
    Menu,
    SearchResults(&'a str),
    NothingFound(&'a str),
    UnknownProduct,
    UnknownCategory,
    ContactLinked,
    ImageReceived,
    Unsupported,
    StaleButton,
    /// A tap whose payload we cannot use (an old catalog's button, another bot's payload):
    /// said before the menu, so every tap gets an answer.
    UnknownTap,
    AskOption {
        product: &'a str,
        group: &'a str,
        step: usize,
        steps: usize,
    },
    AskText {
        product: &'a str,
        group: &'a str,
        step: usize,
        steps: usize,
        max: usize,
    },
    Skip,
    Cancel,
    Rejected(&'a ChoiceError),
    TryAgain,
    Added {
        item: &'a str,
        price: &'a str,
        units: u32,
        total: &'a str,
    },
    CartHeader,
    CartLine {
        n: usize,
        item: &'a str,
        quantity: u32,
        amount: &'a str,
    },
    CartTotal(&'a str),
    CartEmpty,
    KeepShopping,
    EmptyCart,
    Change(&'a str),
    LineView {
        item: &'a str,
        quantity: u32,
    },
    OneMore,
    OneLess,
    Remove,
    Removed,
    Emptied,
    QuantitySet(u32),
    UnknownLine,
    TooMany(u32),
    TooManyLines(usize),
    Cancelled,
    ReplyWithNumber,
    Checkout,
    CheckoutEmpty,
    Reserved {
        minutes: i64,
        total: &'a str,
    },
    PayNow,
    QrCaption,
    CancelReservation,
    SoldOut(&'a str),
    OverLimit(u32),
    DropNotYet {
        drop: &'a str,
        when: &'a str,
    },
    DropOver(&'a str),
    PaymentUnavailable,
    ReservationCancelled(&'a str),
    AlreadyPaid(&'a str),
    NotYourOrder,
    OrdersHeader,
    OrderSummary {
        number: &'a str,
        status: OrderState,
        total: &'a str,
    },
    NoOrders,
    Confirmation {
        number: &'a str,
        items: &'a str,
        total: &'a str,
    },
    Lapsed(&'a str),
    CheckoutAgain,
    Shipped {
        number: &'a str,
        tracking: &'a str,
    },
    Refunded(&'a str),
    LatePayment(&'a str),
    /// A payment for the order that does not match it (amount, currency, checkout page).
    PaymentUnderReview(&'a str),
    MyOrders,
    /// The customer chose a method that settles later (a Konbini voucher, Pix): pay by
    /// `deadline`; the order is held until then.
    AwaitingDelayedPayment {
        number: &'a str,
        deadline: &'a str,
    },
    /// A payment that settles later did not arrive in time: released, nothing charged.
    DelayedPaymentFailed(&'a str),
    // The pages a browser shows, each a title and a sentence.
    /// `/paid`: Stripe sends the customer back after paying.
    PaidPageTitle,
    PaidPageText,
    /// `/cancelled`: the customer left Stripe's page without paying.
    CancelledPageTitle,
    CancelledPageText,
    /// A pay link of an order that is paid (or shipped, refunded, under review).
    AlreadyPaidPageTitle,
    AlreadyPaidPageText(&'a str),
    /// A pay link whose reservation lapsed or was cancelled.
    LapsedPageTitle,
    LapsedPageText(&'a str),
    /// A pay link that names no order.
    UnknownLinkPageTitle,
    UnknownLinkPageText,
    /// A pay link we could not resolve just now (the store or Stripe failed).
    PayLinkFailedPageTitle,
    PayLinkFailedPageText,
    /// The main menu's entry that opens the language list; the globe reads in any language.
    LanguageEntry,
    /// Above the language list.
    ChooseLanguage,
    /// The button that opens the language list where a platform shows lists behind one.
    LanguagesLabel,
    /// After a tap on a language, in that language; the value is its name in itself.
    LanguageSet(&'a str),
    // Waitlist (issue 16): below the sold-out answer, and the offer of a unit that came back.
    WaitlistJoinButton,
    WaitlistJoined(&'a str),
    WaitlistOffer {
        item: &'a str,
        minutes: i64,
    },
    WaitlistTakeButton,
    WaitlistPassButton,
    WaitlistPassed,
    WaitlistOfferGone,
    RemindMeButton,
    ReminderSet {
        drop: &'a str,
        when: &'a str,
    },
    DropOpened {
        drop: &'a str,
        when: &'a str,
    },
    // Consent (crate::consent)
    /// The menu entry that stops announcements.
    StopAnnouncementsEntry,
    /// The menu entry shown instead once the customer stopped them.
    StartAnnouncementsEntry,
    /// After "stop" (or the entry): no more announcements, order updates go on.
    AnnouncementsStopped,
    /// After "start" (or the entry): announcements again.
    AnnouncementsStarted,
    /// The answer to "what do you hold about me". `phone` is the verified phone or `none`;
    /// `announcements` is `in`, `out` or `never`.
    WhatWeHold {
        language: &'a str,
        phone: &'a str,
        items: usize,
        announcements: &'a str,
        /// The retailer's labels on the customer ([`crate::customer_tags`]), comma-separated,
        /// or `none`.
        tags: &'a str,
    },
    /// After "forget me": what was erased, and that orders stay on the books.
    Forgotten,
    // Draw (crate::draw_flow): a drop sold by a verifiable draw instead of first come.
    /// A checkout of a draw drop's item: enter instead; `closes` on the customer's clock.
    DrawOnly {
        drop: &'a str,
        closes: &'a str,
    },
    DrawEnterButton,
    /// `entry`: the entry id the published list will show.
    DrawEntered {
        drop: &'a str,
        entry: &'a str,
        closes: &'a str,
    },
    DrawAlreadyEntered(&'a str),
    DrawClosed(&'a str),
    /// The drop takes one entry per verified phone and this chat has none.
    DrawNeedsPhone(&'a str),
    /// Above the pay link; `until`: the reservation's end on the customer's clock.
    DrawWon {
        drop: &'a str,
        until: &'a str,
    },
    DrawLost(&'a str),
    DrawNotAWinner(&'a str),
    // Campaign (crate::campaign)
    /// The line under a drop announcement: how to stop them.
    AnnouncementStopHint,
    // Understanding (crate::intent, crate::search)
    /// The answer to "thanks": a short "you're welcome" above the menu.
    YoureWelcome,
    /// Nothing matched the search; the nearest products follow, then the menu.
    ClosestMatches(&'a str),
    // Handoff (crate::handoff): a person takes the conversation over from the bot.
    /// Inside the retailer's business hours.
    HandoffSoon,
    /// Outside them: `when`, the next opening on the customer's clock.
    HandoffFrom {
        when: &'a str,
    },
    // Phone verification (crate::phone_dialogue): a drop that takes one person per phone.
    /// Asks for the number; `drop`: the drop that wants it.
    PhoneAsk(&'a str),
    /// What was typed is not a mobile number we can text.
    PhoneNotANumber,
    /// A code was texted to `phone` (international format), valid `minutes`.
    PhoneCodeSent {
        phone: &'a str,
        minutes: i64,
    },
    /// Text that is not a code, while the code texted to `phone` is awaited.
    PhoneTypeCode(&'a str),
    /// A wrong code; `left` checks remain.
    PhoneCodeWrong(u32),
    /// The code lapsed (or was never sent): a new one is a tap away.
    PhoneCodeExpired,
    /// Too many wrong codes: a new one from `when` (the customer's clock).
    PhoneTooManyTries(&'a str),
    /// Too many codes sent to the number for now.
    PhoneTooManyCodes,
    /// The verification service cannot be reached.
    PhoneVerifyUnavailable,
    /// Button labels.
    PhoneNewCodeButton,
    PhoneOtherNumberButton,
    // VIP (crate::vip): handed to a person after a payment that made them one.
    /// Said above the handoff's own line.
    VipWelcome,
    /// The button that asks for a person (KakaoTalk's `operator` action).
    TalkToPerson,
    /// Below the phone ask where the platform sends the customer's own number at a tap
    /// (`ChannelSpec::shares_own_contact`), with that button.
    PhoneShareHint,
    PhoneShareButton,
}

/// An order's state as the customer reads it.
#[derive(Clone, Copy, Debug)]
pub enum OrderState {
    AwaitingPayment,
    Paid,
    Lapsed,
    Cancelled,
    UnderReview,
    Shipped,
    Refunded,
}

impl Msg<'_> {
    /// The words for this message in `voice`'s language: a [`Lang`] for the shipped text, or a
    /// [`Voice`] carrying a retailer's overrides.
    pub fn text<'v>(&self, voice: impl Into<Voice<'v>>) -> String {
        let voice = voice.into();
        let mut args = FluentArgs::new();
        match self {
            Msg::ProductDetail {
                name,
                price,
                description,
                options,
            } => {
                args.set("name", *name);
                args.set("price", *price);
                args.set("description", *description);
                args.set("options", *options);
                let mut text = voice.say(self.id(), Some(&args));
                if !options.is_empty() {
                    text.push('\n');
                    text.push_str(&voice.say_attribute(self.id(), "options", Some(&args)));
                }
                text
            }
            Msg::OrderSummary {
                number,
                status,
                total,
            } => {
                args.set("number", *number);
                args.set("status", voice.say(status.id(), None));
                args.set("total", *total);
                voice.say(self.id(), Some(&args))
            }
            _ => {
                self.fill(&mut args);
                voice.say(self.id(), Some(&args))
            }
        }
    }

    /// The message's id in the `.ftl` files.
    pub fn id(&self) -> &'static str {
        use Msg::*;
        match self {
            Welcome => "welcome",
            MenuLabel => "menu-label",
            ChooseLabel => "choose-label",
            ChooseCategory => "choose-category",
            ProductsIn(_) => "products-in",
            CategoryEmpty(_) => "category-empty",
            ProductDetail { .. } => "product-detail",
            CustomizeAndAdd => "customize-and-add",
            AddToCart => "add-to-cart",
            Back => "back",
            ViewCart => "view-cart",
            Menu => "menu",
            SearchResults(_) => "search-results",
            NothingFound(_) => "nothing-found",
            UnknownProduct => "unknown-product",
            UnknownCategory => "unknown-category",
            ContactLinked => "contact-linked",
            ImageReceived => "image-received",
            Unsupported => "unsupported",
            StaleButton => "stale-button",
            UnknownTap => "unknown-tap",
            AskOption { .. } => "ask-option",
            AskText { .. } => "ask-text",
            Skip => "skip",
            Cancel => "cancel",
            Rejected(e) => choice_error_id(e),
            TryAgain => "try-again",
            Added { .. } => "added",
            CartHeader => "cart-header",
            CartLine { .. } => "cart-line",
            CartTotal(_) => "cart-total",
            CartEmpty => "cart-empty",
            KeepShopping => "keep-shopping",
            EmptyCart => "empty-cart",
            Change(_) => "change",
            LineView { .. } => "line-view",
            OneMore => "one-more",
            OneLess => "one-less",
            Remove => "remove",
            Removed => "removed",
            Emptied => "emptied",
            QuantitySet(_) => "quantity-set",
            UnknownLine => "unknown-line",
            TooMany(_) => "too-many",
            TooManyLines(_) => "too-many-lines",
            Cancelled => "cancelled",
            ReplyWithNumber => "reply-with-number",
            Checkout => "checkout",
            CheckoutEmpty => "checkout-empty",
            Reserved { .. } => "reserved",
            PayNow => "pay-now",
            QrCaption => "qr-caption",
            CancelReservation => "cancel-reservation",
            SoldOut(_) => "sold-out",
            OverLimit(_) => "over-limit",
            DropNotYet { .. } => "drop-not-yet",
            DropOver(_) => "drop-over",
            PaymentUnavailable => "payment-unavailable",
            ReservationCancelled(_) => "reservation-cancelled",
            AlreadyPaid(_) => "already-paid",
            NotYourOrder => "not-your-order",
            OrdersHeader => "orders-header",
            OrderSummary { .. } => "order-summary",
            NoOrders => "no-orders",
            Confirmation { .. } => "confirmation",
            Lapsed(_) => "lapsed",
            CheckoutAgain => "checkout-again",
            Shipped { .. } => "shipped",
            Refunded(_) => "refunded",
            LatePayment(_) => "late-payment",
            PaymentUnderReview(_) => "payment-under-review",
            MyOrders => "my-orders",
            PaidPageTitle => "paid-page-title",
            PaidPageText => "paid-page-text",
            CancelledPageTitle => "cancelled-page-title",
            CancelledPageText => "cancelled-page-text",
            AlreadyPaidPageTitle => "already-paid-page-title",
            AlreadyPaidPageText(_) => "already-paid-page-text",
            LapsedPageTitle => "lapsed-page-title",
            LapsedPageText(_) => "lapsed-page-text",
            UnknownLinkPageTitle => "unknown-link-page-title",
            UnknownLinkPageText => "unknown-link-page-text",
            PayLinkFailedPageTitle => "pay-link-failed-page-title",
            PayLinkFailedPageText => "pay-link-failed-page-text",
            AwaitingDelayedPayment { .. } => "awaiting-delayed-payment",
            DelayedPaymentFailed(_) => "delayed-payment-failed",
            LanguageEntry => "language-entry",
            ChooseLanguage => "choose-language",
            LanguagesLabel => "languages-label",
            LanguageSet(_) => "language-set",
            WaitlistJoinButton => "waitlist-join-button",
            WaitlistJoined(_) => "waitlist-joined",
            WaitlistOffer { .. } => "waitlist-offer",
            WaitlistTakeButton => "waitlist-take-button",
            WaitlistPassButton => "waitlist-pass-button",
            WaitlistPassed => "waitlist-passed",
            WaitlistOfferGone => "waitlist-offer-gone",
            RemindMeButton => "remind-me-button",
            ReminderSet { .. } => "reminder-set",
            DropOpened { .. } => "drop-opened",
            StopAnnouncementsEntry => "stop-announcements-entry",
            StartAnnouncementsEntry => "start-announcements-entry",
            AnnouncementsStopped => "announcements-stopped",
            AnnouncementsStarted => "announcements-started",
            WhatWeHold { .. } => "what-we-hold",
            Forgotten => "forgotten",
            DrawOnly { .. } => "draw-only",
            DrawEnterButton => "draw-enter-button",
            DrawEntered { .. } => "draw-entered",
            DrawAlreadyEntered(_) => "draw-already-entered",
            DrawClosed(_) => "draw-closed",
            DrawNeedsPhone(_) => "draw-needs-phone",
            DrawWon { .. } => "draw-won",
            DrawLost(_) => "draw-lost",
            DrawNotAWinner(_) => "draw-not-a-winner",
            AnnouncementStopHint => "announcement-stop-hint",
            YoureWelcome => "youre-welcome",
            ClosestMatches(_) => "closest-matches",
            HandoffSoon => "handoff-soon",
            HandoffFrom { .. } => "handoff-from",
            PhoneAsk(_) => "phone-ask",
            PhoneNotANumber => "phone-not-a-number",
            PhoneCodeSent { .. } => "phone-code-sent",
            PhoneTypeCode(_) => "phone-type-code",
            PhoneCodeWrong(_) => "phone-code-wrong",
            PhoneCodeExpired => "phone-code-expired",
            PhoneTooManyTries(_) => "phone-too-many-tries",
            PhoneTooManyCodes => "phone-too-many-codes",
            PhoneVerifyUnavailable => "phone-verify-unavailable",
            PhoneNewCodeButton => "phone-new-code-button",
            PhoneOtherNumberButton => "phone-other-number-button",
            VipWelcome => "vip-welcome",
            TalkToPerson => "talk-to-person",
            PhoneShareHint => "phone-share-hint",
            PhoneShareButton => "phone-share-button",
        }
    }

    /// Sets the message's variables (the two variants `text` handles itself set none here).
    fn fill<'s>(&'s self, args: &mut FluentArgs<'s>) {
        use Msg::*;
        match self {
            ProductsIn(category) | CategoryEmpty(category) => args.set("category", *category),
            SearchResults(query) | NothingFound(query) | ClosestMatches(query) => {
                args.set("query", *query)
            }
            AskOption {
                product,
                group,
                step,
                steps,
            } => {
                args.set("product", *product);
                args.set("group", *group);
                args.set("step", *step);
                args.set("steps", *steps);
            }
            AskText {
                product,
                group,
                step,
                steps,
                max,
            } => {
                args.set("product", *product);
                args.set("group", *group);
                args.set("step", *step);
                args.set("steps", *steps);
                args.set("max", *max);
            }
            Rejected(e) => choice_error_args(e, args),
            Added {
                item,
                price,
                units,
                total,
            } => {
                args.set("item", *item);
                args.set("price", *price);
                args.set("units", *units);
                args.set("total", *total);
            }
            CartLine {
                n,
                item,
                quantity,
                amount,
            } => {
                args.set("n", *n);
                args.set("item", *item);
                args.set("quantity", *quantity);
                args.set("amount", *amount);
            }
            CartTotal(total) => args.set("total", *total),
            Change(item) | SoldOut(item) => args.set("item", *item),
            LineView { item, quantity } => {
                args.set("item", *item);
                args.set("quantity", *quantity);
            }
            QuantitySet(quantity) => args.set("quantity", *quantity),
            TooMany(max) => args.set("max", *max),
            TooManyLines(max) => args.set("max", *max),
            Reserved { minutes, total } => {
                args.set("minutes", *minutes);
                args.set("total", *total);
            }
            OverLimit(limit) => args.set("limit", *limit),
            DropNotYet { drop, when } | ReminderSet { drop, when } | DropOpened { drop, when } => {
                args.set("drop", *drop);
                args.set("when", *when);
            }
            DropOver(drop)
            | DrawAlreadyEntered(drop)
            | DrawClosed(drop)
            | DrawNeedsPhone(drop)
            | DrawLost(drop)
            | DrawNotAWinner(drop) => args.set("drop", *drop),
            HandoffFrom { when } => args.set("when", *when),
            DrawOnly { drop, closes } => {
                args.set("drop", *drop);
                args.set("closes", *closes);
            }
            DrawEntered {
                drop,
                entry,
                closes,
            } => {
                args.set("drop", *drop);
                args.set("entry", *entry);
                args.set("closes", *closes);
            }
            DrawWon { drop, until } => {
                args.set("drop", *drop);
                args.set("until", *until);
            }
            LanguageSet(name) => args.set("name", *name),
            WaitlistJoined(item) => args.set("item", *item),
            WaitlistOffer { item, minutes } => {
                args.set("item", *item);
                args.set("minutes", *minutes);
            }
            WhatWeHold {
                language,
                phone,
                items,
                announcements,
                tags,
            } => {
                args.set("language", *language);
                args.set("phone", *phone);
                args.set("items", *items);
                args.set("announcements", *announcements);
                args.set("tags", *tags);
            }
            ReservationCancelled(number)
            | AlreadyPaid(number)
            | Lapsed(number)
            | Refunded(number)
            | LatePayment(number)
            | PaymentUnderReview(number)
            | AlreadyPaidPageText(number)
            | LapsedPageText(number)
            | DelayedPaymentFailed(number) => args.set("number", *number),
            AwaitingDelayedPayment { number, deadline } => {
                args.set("number", *number);
                args.set("deadline", *deadline);
            }
            Confirmation {
                number,
                items,
                total,
            } => {
                args.set("number", *number);
                args.set("items", *items);
                args.set("total", *total);
            }
            Shipped { number, tracking } => {
                args.set("number", *number);
                args.set("tracking", *tracking);
            }
            PhoneAsk(drop) => args.set("drop", *drop),
            PhoneCodeSent { phone, minutes } => {
                args.set("phone", *phone);
                args.set("minutes", *minutes);
            }
            PhoneTypeCode(phone) => args.set("phone", *phone),
            PhoneCodeWrong(left) => args.set("left", *left),
            PhoneTooManyTries(when) => args.set("when", *when),
            _ => {}
        }
    }
}

impl OrderState {
    /// The state's message id: `order-state-paid`.
    pub fn id(self) -> &'static str {
        match self {
            OrderState::AwaitingPayment => "order-state-awaiting-payment",
            OrderState::Paid => "order-state-paid",
            OrderState::Lapsed => "order-state-lapsed",
            OrderState::Cancelled => "order-state-cancelled",
            OrderState::UnderReview => "order-state-under-review",
            OrderState::Shipped => "order-state-shipped",
            OrderState::Refunded => "order-state-refunded",
        }
    }
}

fn choice_error_id(e: &ChoiceError) -> &'static str {
    match e {
        ChoiceError::WrongStep => "choice-wrong-step",
        ChoiceError::UnknownOption => "choice-unknown-option",
        ChoiceError::Excluded { .. } => "choice-excluded",
        ChoiceError::Requires { .. } => "choice-requires",
        ChoiceError::NotOptional => "choice-not-optional",
        ChoiceError::TextEmpty => "choice-text-empty",
        ChoiceError::TextTooLong { .. } => "choice-text-too-long",
        ChoiceError::TextCharacter(_) => "choice-text-character",
    }
}

fn choice_error_args<'s>(e: &'s ChoiceError, args: &mut FluentArgs<'s>) {
    match e {
        ChoiceError::Excluded { option, other } => {
            args.set("option", option.as_str());
            args.set("other", other.as_str());
        }
        ChoiceError::Requires { option, needed } => {
            args.set("option", option.as_str());
            args.set("needed", needed.as_str());
        }
        ChoiceError::TextTooLong { max } => args.set("max", *max),
        ChoiceError::TextCharacter(c) => args.set("character", c.to_string()),
        ChoiceError::WrongStep
        | ChoiceError::UnknownOption
        | ChoiceError::NotOptional
        | ChoiceError::TextEmpty => {}
    }
}

#[cfg(test)]
#[path = "i18n_tests.rs"]
mod tests;
