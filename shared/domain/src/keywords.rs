//! The few words the bot understands by text, in every shipped language.
//!
//! Most of what a customer types is a search; a handful of words mean something of their own:
//! a greeting (or "menu") opens the menu, "cart" the cart, "orders" the order list,
//! "language" the list of languages, "stop"/"start" (and `parar`, `退订`, `配信停止`, `수신거부`,
//! `ยกเลิก`, `berhenti`, …) stop and restart announcements ([`crate::consent`]), "my data" and
//! "forget me" ask what we hold and to erase it, and a number picks one of the choices shown last
//! ([`typed_number`]). Customers type them the way they type to a friend, so matching is
//! forgiving in the ways that do not change the word:
//!
//! - **width and compatibility forms**: Unicode NFKD folds full-width `ｍｅｎｕ` and `３` to
//!   `menu` and `3` (UAX #15, <https://unicode.org/reports/tr15/>), through ICU4X's
//!   `icu_normalizer`;
//! - **case and Latin accents**: `Menú`, `MENU` and `menu` are one word, as are `olá` and `ola`;
//!   only the combining diacritical marks block (U+0300–U+036F) is dropped, so Thai vowel signs
//!   and the Japanese voicing marks (`ご` is not `こ`), which are combining marks too, stay;
//! - **punctuation around the word, and trailing politeness particles**: `hola!`, `你好！`, `こんにちは。`,
//!   `สวัสดีครับ`, `halo kak` are the greeting. Thai speakers end almost every sentence with
//!   ครับ (men) or ค่ะ/คะ (women); Indonesian chats to shops add `kak` or `min` (short for
//!   admin); Chinese adds 啊/呀.
//!
//! CJK and Thai write without spaces, so a keyword is matched against the whole message (after
//! folding), never searched for inside it: "カートに入れたい" is a sentence, not the word カート.
//! Sentences ("where is my order?", `我的订单在哪里`) are [`crate::intent`]'s, tried after these.
//!
//! Each word is listed in the languages that use it, which is also a clue to the customer's
//! language ([`Heard::langs`]): "hola" is Spanish, "menu" is English, Portuguese and
//! Indonesian alike, and "你好" is written the same in Simplified and Traditional Chinese.

use crate::lang::Lang;
use icu_normalizer::{ComposingNormalizerBorrowed, DecomposingNormalizerBorrowed};
use std::sync::LazyLock;

/// What a keyword asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Meaning {
    /// Hello: the menu with a welcome.
    Greeting,
    /// The menu.
    Menu,
    /// The cart.
    Cart,
    /// The customer's orders.
    Orders,
    /// The list of languages to switch to.
    Language,
    /// Tell me when the next drop opens.
    RemindMe,
    /// No more announcements ([`crate::consent`]); order updates go on.
    StopAnnouncements,
    /// Announcements again.
    StartAnnouncements,
    /// What chatdrop holds about the customer.
    WhatWeHold,
    /// Erase what chatdrop holds about the customer.
    ForgetMe,
    /// Check out the cart, as its button does (sentences: [`crate::intent`]).
    Checkout,
    /// Cancel what the current step offers to cancel.
    Cancel,
    /// A person, not the bot ([`crate::handoff`]).
    Human,
    /// Something went wrong and the customer says so ([`crate::handoff`]).
    Complaint,
    /// Thanks: a short "you're welcome" and the menu.
    Thanks,
}

/// A message that is one of the keywords.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heard {
    pub meaning: Meaning,
    /// The languages whose lists hold the word, in [`Lang::SHIPPED`] order: a clue to the
    /// customer's language when there is exactly one (or only Chinese ones).
    pub langs: Vec<Lang>,
}

/// One language's words: each list holds the forms people actually type, accents included
/// (folding removes them on both sides).
struct Words {
    lang: Lang,
    greetings: &'static [&'static str],
    menu: &'static [&'static str],
    cart: &'static [&'static str],
    orders: &'static [&'static str],
    language: &'static [&'static str],
    /// "Remind me": tell me when the next drop opens (see `crate::reminders`).
    remind: &'static [&'static str],
    /// Words said after another out of politeness, dropped before matching.
    particles: &'static [&'static str],
    /// Stop announcements (STOP, UNSUBSCRIBE and their equivalents): order updates go on.
    stop: &'static [&'static str],
    /// Announcements again (START and its equivalents).
    start: &'static [&'static str],
    /// "What do you hold about me".
    held: &'static [&'static str],
    /// "Forget me".
    forget: &'static [&'static str],
}

const WORDS: [Words; 9] = [
    Words {
        lang: Lang::EN,
        greetings: &[
            "hi",
            "hello",
            "hey",
            "hiya",
            "good morning",
            "good afternoon",
            "good evening",
            "/start",
            "help",
            "/help",
            "shop",
        ],
        menu: &["menu", "/menu"],
        cart: &["cart", "/cart", "basket", "my cart"],
        orders: &["orders", "order", "/orders", "status", "my orders"],
        language: &["language", "/language", "languages"],
        remind: &["remind me", "/remindme", "remind"],
        particles: &["there"],
        stop: &[
            "stop",
            "unsubscribe",
            "stop announcements",
            "stopall",
            "opt out",
            "cancel subscription",
        ],
        start: &[
            "start",
            "unstop",
            "subscribe",
            "opt in",
            "start announcements",
        ],
        held: &[
            "my data",
            "what do you hold",
            "what do you know about me",
            "what data do you have",
        ],
        forget: &["forget me", "delete my data", "erase my data"],
    },
    Words {
        lang: Lang::ES,
        greetings: &[
            "hola",
            "buenas",
            "buenos días",
            "buen día",
            "buenas tardes",
            "buenas noches",
            "ayuda",
            "empezar",
            "inicio",
        ],
        menu: &["menú", "carta"],
        cart: &["carrito", "cesta", "mi carrito"],
        orders: &["pedidos", "pedido", "mis pedidos"],
        language: &["idioma", "idiomas", "lengua"],
        remind: &["avísame", "recordarme", "recordatorio"],
        particles: &[],
        stop: &[
            "parar",
            "baja",
            "darme de baja",
            "cancelar suscripción",
            "detener",
        ],
        start: &["alta", "suscribir", "suscribirme", "reanudar"],
        held: &["mis datos", "qué datos tienes"],
        forget: &["olvídame", "borrar mis datos", "borra mis datos"],
    },
    Words {
        lang: Lang::PT_BR,
        greetings: &[
            "oi",
            "olá",
            "oie",
            "bom dia",
            "boa tarde",
            "boa noite",
            "ajuda",
            "começar",
            "início",
        ],
        menu: &["menu", "cardápio"],
        cart: &["carrinho", "sacola", "meu carrinho"],
        orders: &["pedidos", "pedido", "meus pedidos"],
        language: &["idioma", "idiomas", "língua"],
        remind: &["me avise", "lembrete", "me lembre"],
        particles: &[],
        stop: &["parar", "sair", "cancelar inscrição", "descadastrar"],
        start: &["voltar", "inscrever", "assinar", "reativar"],
        held: &["meus dados", "que dados vocês têm"],
        forget: &[
            "me esqueça",
            "esqueça-me",
            "apagar meus dados",
            "apague meus dados",
        ],
    },
    Words {
        lang: Lang::ZH_HANS,
        greetings: &["你好", "您好", "嗨", "哈喽", "开始", "帮助"],
        menu: &["菜单", "目录"],
        cart: &["购物车"],
        orders: &["订单", "我的订单"],
        language: &["语言"],
        remind: &["提醒我", "开售提醒"],
        particles: &["啊", "呀"],
        stop: &["退订", "停止", "取消订阅", "td"],
        start: &["订阅", "恢复订阅"],
        held: &["我的数据", "我的资料"],
        forget: &["删除我的数据", "忘记我"],
    },
    Words {
        lang: Lang::ZH_HANT,
        greetings: &["你好", "您好", "嗨", "哈囉", "開始", "幫助"],
        menu: &["選單", "菜單", "目錄"],
        cart: &["購物車"],
        orders: &["訂單", "我的訂單"],
        language: &["語言"],
        remind: &["提醒我", "開賣提醒"],
        particles: &["啊", "呀"],
        stop: &["退訂", "停止", "取消訂閱"],
        start: &["訂閱", "恢復訂閱"],
        held: &["我的資料"],
        forget: &["刪除我的資料", "忘記我"],
    },
    Words {
        lang: Lang::JA,
        greetings: &[
            "こんにちは",
            "こんばんは",
            "おはよう",
            "おはようございます",
            "はじめる",
            "ヘルプ",
        ],
        menu: &["メニュー"],
        cart: &["カート", "かご"],
        orders: &["注文", "注文履歴"],
        language: &["言語", "げんご"],
        remind: &["通知して", "リマインド"],
        particles: &[],
        stop: &["配信停止", "停止", "ストップ"],
        start: &["配信再開", "再開"],
        held: &["私のデータ", "個人情報"],
        forget: &["データ削除", "データを削除"],
    },
    Words {
        lang: Lang::KO,
        greetings: &["안녕하세요", "안녕", "시작", "도움말"],
        menu: &["메뉴"],
        cart: &["장바구니"],
        orders: &["주문", "주문 내역"],
        language: &["언어"],
        remind: &["알림", "알려줘", "알림 받기"],
        particles: &[],
        stop: &["수신거부", "수신 거부", "중지", "그만"],
        start: &["수신동의", "수신 동의", "재개"],
        held: &["내 정보", "내 데이터"],
        forget: &["내 정보 삭제", "정보 삭제"],
    },
    Words {
        lang: Lang::TH,
        greetings: &["สวัสดี", "หวัดดี", "เริ่ม", "ช่วยเหลือ"],
        menu: &["เมนู"],
        cart: &["ตะกร้า", "รถเข็น"],
        orders: &["คำสั่งซื้อ", "ออเดอร์"],
        language: &["ภาษา"],
        remind: &["เตือนฉัน", "แจ้งเตือน"],
        particles: &["ครับ", "ค่ะ", "คะ", "จ้า", "จ้ะ"],
        stop: &["ยกเลิก", "หยุด", "ยกเลิกรับข่าวสาร"],
        start: &["รับข่าวสาร", "สมัครรับข่าวสาร"],
        held: &["ข้อมูลของฉัน"],
        forget: &["ลบข้อมูลของฉัน", "ลบข้อมูล"],
    },
    Words {
        lang: Lang::ID,
        greetings: &[
            "halo",
            "hai",
            "selamat pagi",
            "selamat siang",
            "selamat sore",
            "selamat malam",
            "mulai",
            "bantuan",
        ],
        menu: &["menu", "daftar menu"],
        cart: &["keranjang"],
        orders: &["pesanan", "pesanan saya"],
        language: &["bahasa"],
        remind: &["ingatkan", "ingatkan saya"],
        particles: &["kak", "min", "gan"],
        stop: &["berhenti", "stop", "unreg", "berhenti langganan"],
        start: &["start", "langganan", "mulai lagi"],
        held: &["data saya"],
        forget: &["hapus data saya", "lupakan saya"],
    },
];

impl Words {
    fn lists(&self) -> [(Meaning, &'static [&'static str]); 10] {
        [
            (Meaning::Greeting, self.greetings),
            (Meaning::Menu, self.menu),
            (Meaning::Cart, self.cart),
            (Meaning::Orders, self.orders),
            (Meaning::Language, self.language),
            (Meaning::RemindMe, self.remind),
            (Meaning::StopAnnouncements, self.stop),
            (Meaning::StartAnnouncements, self.start),
            (Meaning::WhatWeHold, self.held),
            (Meaning::ForgetMe, self.forget),
        ]
    }
}

/// Every listed word in its folded form, with what it means and whose word it is: folded once,
/// not for every message.
static FOLDED: LazyLock<Vec<(String, Meaning, Lang)>> = LazyLock::new(|| {
    WORDS
        .iter()
        .flat_map(|words| {
            words.lists().into_iter().flat_map(move |(meaning, list)| {
                list.iter().map(move |w| (fold(w), meaning, words.lang))
            })
        })
        .collect()
});

/// Every politeness particle, folded.
static PARTICLES: LazyLock<Vec<String>> = LazyLock::new(|| {
    WORDS
        .iter()
        .flat_map(|w| w.particles.iter().map(|p| fold(p)))
        .collect()
});

/// What a message means when it is one of the keywords; `None` for anything else (a search,
/// an answer to an option group).
pub fn understand(text: &str) -> Option<Heard> {
    let folded = fold(text);
    if folded.is_empty() {
        return None;
    }
    whole(&folded).or_else(|| leading_greeting(&folded))
}

/// A short message that opens with a greeting is a greeting: "Olá, boa tarde", "hi there",
/// "你好，在吗" — the greeting and then one word, or another greeting. Anything longer is a
/// question ("hola, quiero un bolso") and goes on to search.
fn leading_greeting(folded: &str) -> Option<Heard> {
    let split = folded.find(|c: char| c.is_whitespace() || is_edge_punctuation(c) || c == '，')?;
    let (first, rest) = folded.split_at(split);
    let rest =
        rest.trim_matches(|c: char| c.is_whitespace() || is_edge_punctuation(c) || c == '，');
    let greeting = whole(first).filter(|heard| heard.meaning == Meaning::Greeting)?;
    let courtesy = rest.split_whitespace().count() <= 1
        || whole(rest).is_some_and(|heard| heard.meaning == Meaning::Greeting);
    courtesy.then_some(greeting)
}

/// The folded message as one keyword, with or without a trailing politeness particle.
fn whole(folded: &str) -> Option<Heard> {
    let without_particle = strip_particle(folded);
    [Some(folded), without_particle.as_deref()]
        .into_iter()
        .flatten()
        .find_map(|candidate| {
            let mut matches = FOLDED.iter().filter(|(word, ..)| word == candidate);
            let (_, meaning, first) = matches.next()?;
            let mut langs = vec![*first];
            // A word listed in several languages means the same in each (a test keeps it so).
            for (_, _, lang) in matches {
                if !langs.contains(lang) {
                    langs.push(*lang);
                }
            }
            Some(Heard {
                meaning: *meaning,
                langs,
            })
        })
}

/// A typed choice number: `2`, `2.`, full-width `２`, Thai `๒`, CJK `二` or `十二`, and the
/// counters people add (`2番`, `2번`, `2号`/`2號`). Zero and anything else give `None`.
pub fn typed_number(text: &str) -> Option<usize> {
    let folded = fold(text);
    let bare = ["番", "번", "号", "號"]
        .iter()
        .find_map(|counter| folded.strip_suffix(counter))
        .unwrap_or(&folded)
        .trim();
    let n = if bare.chars().all(|c| thai_digit(c).is_some()) && !bare.is_empty() {
        bare.chars().try_fold(0usize, |n, c| {
            n.checked_mul(10)?.checked_add(thai_digit(c)?)
        })?
    } else if let Ok(n) = bare.parse::<usize>() {
        n
    } else {
        cjk_number(bare)?
    };
    (n > 0).then_some(n)
}

/// The value of a Thai digit (U+0E50–U+0E59); NFKD leaves these as they are.
fn thai_digit(c: char) -> Option<usize> {
    ('\u{0E50}'..='\u{0E59}')
        .contains(&c)
        .then(|| c as usize - 0x0E50)
}

/// A CJK numeral from 1 to 99 (`三`, `十`, `十二`, `二十`, `九十九`): enough for any menu.
fn cjk_number(text: &str) -> Option<usize> {
    const DIGITS: &str = "一二三四五六七八九";
    let digit = |c: char| DIGITS.chars().position(|d| d == c).map(|i| i + 1);
    let chars: Vec<char> = text.chars().collect();
    match chars.as_slice() {
        [d] => digit(*d).or((*d == '十').then_some(10)),
        ['十', u] => Some(10 + digit(*u)?),
        [t, '十'] => Some(digit(*t)? * 10),
        [t, '十', u] => Some(digit(*t)? * 10 + digit(*u)?),
        _ => None,
    }
}

/// The form keywords are compared in: compatibility forms folded, Latin accents dropped,
/// lower case, single spaces, no punctuation at either end.
pub fn fold(text: &str) -> String {
    let decomposed = DecomposingNormalizerBorrowed::new_nfkd().normalize(text);
    let unaccented: String = decomposed
        .chars()
        .filter(|c| !('\u{0300}'..='\u{036F}').contains(c))
        .collect();
    let composed = ComposingNormalizerBorrowed::new_nfc().normalize(&unaccented);
    let lower = composed.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    words
        .join(" ")
        .trim_matches(|c: char| is_edge_punctuation(c) && c != '/')
        .trim()
        .to_string()
}

/// Punctuation a customer adds around a word without changing it: ASCII marks (full-width
/// ones are ASCII after NFKD, `～` too), the CJK full stop and comma, the wave dash, the
/// ellipsis and Spanish opening marks.
fn is_edge_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || matches!(c, '。' | '、' | '〜' | '…' | '♪' | '¡' | '¿')
}

/// The folded text without a trailing politeness particle, if it ends with one and something
/// is left.
fn strip_particle(folded: &str) -> Option<String> {
    PARTICLES.iter().find_map(|particle| {
        let rest = folded.strip_suffix(particle.as_str())?;
        let rest = rest.trim_end_matches(|c: char| c.is_whitespace() || is_edge_punctuation(c));
        (!rest.is_empty()).then(|| rest.to_string())
    })
}

#[cfg(test)]
#[path = "keywords_tests.rs"]
mod tests;
