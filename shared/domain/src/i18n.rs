//! Every customer-facing sentence, per language.
//!
//! The flows never write a sentence inline: they name a [`Msg`] and its values, and
//! [`Msg::text`] picks the words for the customer's language. Adding a language means adding a
//! [`Lang`] variant and one arm per message, and the compiler lists every message still missing.
//! The language comes from the platform's locale when it gives one (Telegram's
//! `language_code`), else from the retailer's default. The pages a browser opens from the chat
//! (the `…Page…` messages, served by the payment-webhook function) speak the order's language
//! when they know the order, else the browser's ([`Lang::from_accept_language`]).

use crate::customization::ChoiceError;
pub use crate::lang::{Lang, LangError};

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
    // --- Language choice (issue 14, helper "words"): begin ---
    /// The main menu's entry that opens the language list; the globe reads in any language.
    LanguageEntry,
    /// Above the language list.
    ChooseLanguage,
    /// The button that opens the language list where a platform shows lists behind one.
    LanguagesLabel,
    /// After a tap on a language, in that language; the value is its name in itself.
    LanguageSet(&'a str),
    // --- Language choice: end ---
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
    pub fn text(&self, lang: Lang) -> String {
        // Until the message files land, Japanese has its own words and every other language
        // reads English.
        match lang.primary() {
            "ja" => self.ja(),
            _ => self.en(),
        }
    }

    fn en(&self) -> String {
        use Msg::*;
        match self {
            Welcome => "Hi! Welcome to our shop. What would you like to see?".into(),
            MenuLabel => "Menu".into(),
            ChooseLabel => "Choose".into(),
            ChooseCategory => "Choose a category:".into(),
            ProductsIn(c) => format!("{c}: choose a product."),
            CategoryEmpty(c) => format!("{c} has nothing in it right now."),
            ProductDetail {
                name,
                price,
                description,
                options,
            } => {
                let mut s = format!("{name} — {price}\n{description}");
                if !options.is_empty() {
                    s.push_str(&format!("\nYou choose: {options}."));
                }
                s
            }
            CustomizeAndAdd => "Customize & add".into(),
            AddToCart => "Add to cart".into(),
            Back => "Back".into(),
            ViewCart => "View cart".into(),
            Menu => "Menu".into(),
            SearchResults(q) => format!("Here is what I found for “{q}”:"),
            NothingFound(q) => format!("I found nothing for “{q}”. Here is the menu:"),
            UnknownProduct => "Sorry, that product is no longer available.".into(),
            UnknownCategory => "Sorry, that category is no longer available.".into(),
            ContactLinked => "Thanks! Your phone number is now linked to this chat.".into(),
            ImageReceived => {
                "Thanks for the picture! I can only read text and buttons. Here is the menu:".into()
            }
            Unsupported => {
                "Sorry, I can't read that kind of message. Type “menu” to browse the shop.".into()
            }
            StaleButton => "That button belongs to an earlier step.".into(),
            UnknownTap => "Sorry, that button no longer works.".into(),
            AskOption {
                product,
                group,
                step,
                steps,
            } => format!("{product} ({step}/{steps}): choose the {group}."),
            AskText {
                product,
                group,
                step,
                steps,
                max,
            } => format!("{product} ({step}/{steps}): type the {group}, up to {max} characters."),
            Skip => "Skip".into(),
            Cancel => "Cancel".into(),
            Rejected(e) => choice_error_en(e),
            TryAgain => "Please choose again.".into(),
            Added {
                item,
                price,
                units,
                total,
            } => format!(
                "Added to your cart: {item} — {price}.\nYour cart: {units} item(s), {total}."
            ),
            CartHeader => "Your cart:".into(),
            CartLine {
                n,
                item,
                quantity,
                amount,
            } => format!("{n}. {item} × {quantity} — {amount}"),
            CartTotal(t) => format!("Total: {t}"),
            CartEmpty => "Your cart is empty.".into(),
            KeepShopping => "Keep shopping".into(),
            EmptyCart => "Empty cart".into(),
            Change(item) => format!("Change {item}"),
            LineView { item, quantity } => {
                format!("{item} × {quantity}. What would you like to change?")
            }
            OneMore => "One more".into(),
            OneLess => "One less".into(),
            Remove => "Remove".into(),
            Removed => "Removed from your cart.".into(),
            Emptied => "Your cart is now empty.".into(),
            QuantitySet(q) => format!("Quantity set to {q}."),
            UnknownLine => "That item is no longer in your cart.".into(),
            TooMany(max) => format!("You can have at most {max} of one item."),
            TooManyLines(max) => format!("Your cart can hold at most {max} different items."),
            Cancelled => "Customization cancelled; nothing was added.".into(),
            ReplyWithNumber => "Reply with a number.".into(),
            Checkout => "Checkout".into(),
            CheckoutEmpty => "Your cart is empty, so there is nothing to check out.".into(),
            Reserved { minutes, total } => format!(
                "Reserved for you for {minutes} minutes. Total {total}.\nPay securely with Stripe:"
            ),
            PayNow => "Pay now".into(),
            QrCaption => "Or scan this code to pay on another device.".into(),
            CancelReservation => "Cancel reservation".into(),
            SoldOut(item) => format!("Sorry, {item} is sold out. Your cart is unchanged."),
            OverLimit(limit) => format!(
                "Sorry, this drop allows {limit} per customer, and that includes your other orders and chats. Your cart is unchanged."
            ),
            DropNotYet { drop, when } => format!("{drop} opens at {when}. Your cart will wait for you."),
            DropOver(drop) => format!("Sorry, {drop} has ended."),
            PaymentUnavailable => {
                "Sorry, payment is unavailable right now. Nothing was charged; please try again later.".into()
            }
            ReservationCancelled(n) => format!("Order {n} is cancelled and nothing was charged."),
            AlreadyPaid(n) => format!("Order {n} is already paid."),
            NotYourOrder => "I can't find that order in this chat.".into(),
            OrdersHeader => "Your orders:".into(),
            OrderSummary {
                number,
                status,
                total,
            } => format!("#{number} — {} — {total}", order_state_en(*status)),
            NoOrders => "You have no orders yet.".into(),
            Confirmation {
                number,
                items,
                total,
            } => format!(
                "Thank you! Order {number} is paid.\n{items}\nTotal: {total}\nWe'll message you here when it ships."
            ),
            Lapsed(n) => format!(
                "Your reservation {n} has lapsed, so the items went back on sale. Nothing was charged."
            ),
            CheckoutAgain => "Check out again".into(),
            Shipped { number, tracking } => {
                format!("Good news: order {number} has shipped. Tracking number: {tracking}")
            }
            Refunded(n) => format!("Order {n} has been refunded in full."),
            LatePayment(n) => format!(
                "We received your payment for order {n} after its reservation lapsed. Our team will contact you here shortly; you will not lose your money."
            ),
            PaymentUnderReview(n) => format!(
                "We received a payment for order {n} that we need to check before we confirm it. Our team will contact you here shortly; you will not lose your money."
            ),
            MyOrders => "My orders".into(),
            PaidPageTitle => "Thank you".into(),
            PaidPageText => "Your payment is being confirmed. You can go back to the chat: the confirmation arrives there.".into(),
            CancelledPageTitle => "Payment not completed".into(),
            CancelledPageText => "Nothing was charged. Go back to the chat to pay while your reservation holds.".into(),
            AlreadyPaidPageTitle => "Already paid".into(),
            AlreadyPaidPageText(n) => format!("Order {n} is paid. Its updates arrive in your chat."),
            LapsedPageTitle => "This reservation has ended".into(),
            LapsedPageText(n) => format!(
                "Reservation {n} lapsed, so its items went back on sale and nothing was charged. Go back to the chat to check out again while stock remains."
            ),
            UnknownLinkPageTitle => "Link not found".into(),
            UnknownLinkPageText => "This pay link does not exist. Go back to the chat for a fresh one.".into(),
            PayLinkFailedPageTitle => "Please try again".into(),
            PayLinkFailedPageText => "We could not open the payment page just now. Nothing was charged.".into(),
            // --- Language choice: begin ---
            LanguageEntry => "🌐 Language".into(),
            ChooseLanguage => "Choose your language:".into(),
            LanguagesLabel => "Languages".into(),
            LanguageSet(name) => format!("I'll speak {name} from now on."),
            // --- Language choice: end ---
        }
    }

    fn ja(&self) -> String {
        use Msg::*;
        match self {
            Welcome => "こんにちは！ショップへようこそ。何をご覧になりますか？".into(),
            MenuLabel => "メニュー".into(),
            ChooseLabel => "選ぶ".into(),
            ChooseCategory => "カテゴリーを選んでください：".into(),
            ProductsIn(c) => format!("{c}：商品を選んでください。"),
            CategoryEmpty(c) => format!("{c}には現在商品がありません。"),
            ProductDetail {
                name,
                price,
                description,
                options,
            } => {
                let mut s = format!("{name} — {price}\n{description}");
                if !options.is_empty() {
                    s.push_str(&format!("\n選べる項目：{options}"));
                }
                s
            }
            CustomizeAndAdd => "カスタマイズして追加".into(),
            AddToCart => "カートに追加".into(),
            Back => "戻る".into(),
            ViewCart => "カートを見る".into(),
            Menu => "メニュー".into(),
            SearchResults(q) => format!("「{q}」の検索結果："),
            NothingFound(q) => format!("「{q}」は見つかりませんでした。メニューはこちら："),
            UnknownProduct => "申し訳ありません。その商品は現在お取り扱いがありません。".into(),
            UnknownCategory => "申し訳ありません。そのカテゴリーは現在ありません。".into(),
            ContactLinked => "ありがとうございます。電話番号がこのチャットに登録されました。".into(),
            ImageReceived => {
                "画像をありがとうございます。テキストとボタンのみ対応しています。メニューはこちら：".into()
            }
            Unsupported => {
                "申し訳ありません。その種類のメッセージには対応していません。「メニュー」と入力してください。".into()
            }
            StaleButton => "そのボタンは前の手順のものです。".into(),
            UnknownTap => "申し訳ありません。そのボタンは使えなくなりました。".into(),
            AskOption {
                product,
                group,
                step,
                steps,
            } => format!("{product}（{step}/{steps}）：{group}を選んでください。"),
            AskText {
                product,
                group,
                step,
                steps,
                max,
            } => format!("{product}（{step}/{steps}）：{group}を{max}文字以内で入力してください。"),
            Skip => "スキップ".into(),
            Cancel => "キャンセル".into(),
            Rejected(e) => choice_error_ja(e),
            TryAgain => "もう一度お選びください。".into(),
            Added {
                item,
                price,
                units,
                total,
            } => format!("カートに追加しました：{item} — {price}\nカート：{units}点、{total}"),
            CartHeader => "カートの中身：".into(),
            CartLine {
                n,
                item,
                quantity,
                amount,
            } => format!("{n}. {item} × {quantity} — {amount}"),
            CartTotal(t) => format!("合計：{t}"),
            CartEmpty => "カートは空です。".into(),
            KeepShopping => "買い物を続ける".into(),
            EmptyCart => "カートを空にする".into(),
            Change(item) => format!("{item}を変更"),
            LineView { item, quantity } => format!("{item} × {quantity}。どう変更しますか？"),
            OneMore => "1つ増やす".into(),
            OneLess => "1つ減らす".into(),
            Remove => "削除".into(),
            Removed => "カートから削除しました。".into(),
            Emptied => "カートを空にしました。".into(),
            QuantitySet(q) => format!("数量を{q}にしました。"),
            UnknownLine => "その商品はカートにありません。".into(),
            TooMany(max) => format!("1つの商品は{max}点までです。"),
            TooManyLines(max) => format!("カートに入れられる商品は{max}種類までです。"),
            Cancelled => "カスタマイズを取り消しました。カートには追加されていません。".into(),
            ReplyWithNumber => "番号で返信してください。".into(),
            Checkout => "購入手続きへ".into(),
            CheckoutEmpty => "カートが空のため、購入手続きできません。".into(),
            Reserved { minutes, total } => {
                format!("{minutes}分間お取り置きしました。合計{total}。\nStripeで安全にお支払いください：")
            }
            PayNow => "支払う".into(),
            QrCaption => "別の端末で支払う場合はこのコードを読み取ってください。".into(),
            CancelReservation => "取り置きをキャンセル".into(),
            SoldOut(item) => format!("申し訳ありません。{item}は売り切れです。カートはそのままです。"),
            OverLimit(limit) => format!(
                "申し訳ありません。このドロップはお一人様{limit}点までです（他の注文・チャットを含みます）。カートはそのままです。"
            ),
            DropNotYet { drop, when } => format!("{drop}は{when}に開始します。カートはそのままお待ちしています。"),
            DropOver(drop) => format!("申し訳ありません。{drop}は終了しました。"),
            PaymentUnavailable => {
                "申し訳ありません。現在お支払いができません。請求は発生していません。後ほどお試しください。".into()
            }
            ReservationCancelled(n) => format!("注文{n}をキャンセルしました。請求は発生していません。"),
            AlreadyPaid(n) => format!("注文{n}はお支払い済みです。"),
            NotYourOrder => "このチャットにその注文は見つかりません。".into(),
            OrdersHeader => "ご注文：".into(),
            OrderSummary {
                number,
                status,
                total,
            } => format!("#{number} — {} — {total}", order_state_ja(*status)),
            NoOrders => "まだ注文はありません。".into(),
            Confirmation {
                number,
                items,
                total,
            } => format!(
                "ありがとうございます！注文{number}のお支払いが完了しました。\n{items}\n合計：{total}\n発送時にこちらでお知らせします。"
            ),
            Lapsed(n) => format!("お取り置き{n}の期限が切れたため、商品は販売に戻りました。請求は発生していません。"),
            CheckoutAgain => "もう一度購入手続き".into(),
            Shipped { number, tracking } => format!("注文{number}を発送しました。追跡番号：{tracking}"),
            Refunded(n) => format!("注文{n}を全額返金しました。"),
            LatePayment(n) => format!(
                "注文{n}のお支払いをお取り置き期限後に受け取りました。担当者からこちらにご連絡します。代金が失われることはありません。"
            ),
            PaymentUnderReview(n) => format!(
                "注文{n}について確認が必要なお支払いを受け取りました。担当者からこちらにご連絡します。代金が失われることはありません。"
            ),
            MyOrders => "注文履歴".into(),
            PaidPageTitle => "ありがとうございます".into(),
            PaidPageText => "お支払いを確認しています。チャットにお戻りください。確認のお知らせはチャットに届きます。".into(),
            CancelledPageTitle => "お支払いは完了していません".into(),
            CancelledPageText => "請求は発生していません。お取り置きの期限内であれば、チャットに戻ってお支払いいただけます。".into(),
            AlreadyPaidPageTitle => "お支払い済みです".into(),
            AlreadyPaidPageText(n) => format!("注文{n}はお支払い済みです。今後のお知らせはチャットに届きます。"),
            LapsedPageTitle => "お取り置きの期限が切れました".into(),
            LapsedPageText(n) => format!(
                "お取り置き{n}の期限が切れたため、商品は販売に戻りました。請求は発生していません。在庫があるうちに、チャットに戻ってもう一度購入手続きをしてください。"
            ),
            UnknownLinkPageTitle => "リンクが見つかりません".into(),
            UnknownLinkPageText => "この支払いリンクは存在しません。チャットに戻って新しいリンクを受け取ってください。".into(),
            PayLinkFailedPageTitle => "もう一度お試しください".into(),
            PayLinkFailedPageText => "ただいまお支払いページを開けませんでした。請求は発生していません。".into(),
            // --- Language choice: begin ---
            LanguageEntry => "🌐 言語 / Language".into(),
            ChooseLanguage => "言語を選んでください：".into(),
            LanguagesLabel => "言語".into(),
            LanguageSet(name) => format!("これからは{name}でお話しします。"),
            // --- Language choice: end ---
        }
    }
}

fn order_state_en(s: OrderState) -> &'static str {
    match s {
        OrderState::AwaitingPayment => "awaiting payment",
        OrderState::Paid => "paid",
        OrderState::Lapsed => "lapsed",
        OrderState::Cancelled => "cancelled",
        OrderState::UnderReview => "under review",
        OrderState::Shipped => "shipped",
        OrderState::Refunded => "refunded",
    }
}

fn order_state_ja(s: OrderState) -> &'static str {
    match s {
        OrderState::AwaitingPayment => "お支払い待ち",
        OrderState::Paid => "支払い済み",
        OrderState::Lapsed => "期限切れ",
        OrderState::Cancelled => "キャンセル済み",
        OrderState::UnderReview => "確認中",
        OrderState::Shipped => "発送済み",
        OrderState::Refunded => "返金済み",
    }
}

fn choice_error_en(e: &ChoiceError) -> String {
    match e {
        ChoiceError::WrongStep => "That choice is for another step.".into(),
        ChoiceError::UnknownOption => "I couldn't find that option.".into(),
        ChoiceError::Excluded { option, other } => {
            format!("{option} can't be combined with {other}.")
        }
        ChoiceError::Requires { option, needed } => {
            format!("{option} is only available with {needed}.")
        }
        ChoiceError::NotOptional => "This step can't be skipped.".into(),
        ChoiceError::TextEmpty => "The text is empty.".into(),
        ChoiceError::TextTooLong { max } => format!("That is longer than {max} characters."),
        ChoiceError::TextCharacter(c) => {
            format!("“{c}” can't be used here: use letters, digits, spaces and . , ' & - !")
        }
    }
}

fn choice_error_ja(e: &ChoiceError) -> String {
    match e {
        ChoiceError::WrongStep => "その選択は別の手順のものです。".into(),
        ChoiceError::UnknownOption => "その選択肢が見つかりませんでした。".into(),
        ChoiceError::Excluded { option, other } => {
            format!("{option}は{other}と組み合わせられません。")
        }
        ChoiceError::Requires { option, needed } => {
            format!("{option}は{needed}と一緒の場合のみ選べます。")
        }
        ChoiceError::NotOptional => "この手順はスキップできません。".into(),
        ChoiceError::TextEmpty => "文字が入力されていません。".into(),
        ChoiceError::TextTooLong { max } => format!("{max}文字を超えています。"),
        ChoiceError::TextCharacter(c) => {
            format!("「{c}」は使えません。英数字、スペース、. , ' & - ! が使えます。")
        }
    }
}
