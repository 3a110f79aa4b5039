//! The catalog flow: greeting, categories, products, search.
//!
//! Every message that is not a tap on a cart button lands here first, because ingress routes on
//! the message alone and cannot know that a typed word is an engraving. This flow therefore also
//! reads typed text for what it means in the session: a number picks one of the choices offered
//! last, "cart" opens the cart, and any other text typed while customizing is handed to the cart
//! function. What remains is browsing: keywords open the menu, other words search the catalog.
//! The keywords and numbers are understood in every shipped language ([`crate::keywords`]).
//!
//! The language list lives here too: a menu entry and the typed word "language" open it, and a
//! tap on a language answers in that language ([`crate::process`] already decided it from the
//! tap, [`crate::language`]).

use crate::action::{Action, Handler};
use crate::catalog::{Catalog, GroupKind, Product};
use crate::customization;
use crate::dialogue::DialogueState;
use crate::handoff::{self, HandoffReason};
use crate::i18n::{Lang, Msg};
use crate::inbound::{InboundContent, InboundMessage};
use crate::intent;
use crate::keywords::{self, Meaning, typed_number};
use crate::language;
use crate::market::Market;
use crate::process::{Outcome, Turn};
use crate::reply::{Choice, Reply};
use crate::search;

/// Most search results offered at once.
const MAX_RESULTS: usize = 10;

pub fn handle(turn: Turn<'_>) -> Outcome {
    let Turn {
        catalog,
        lang,
        session,
        message,
        held,
    } = turn;
    let voice = catalog.voice(lang);
    // Prices are the market's of this conversation's channel.
    let market = &catalog.market_for(message.conversation.channel);
    match &message.content {
        InboundContent::Text { body } => {
            let text = body.trim();
            // An engraving is what the customer types, a greeting included ("HOLA" is a fine
            // engraving); the words that go somewhere ("menu", "cart", "orders", "language")
            // still lead out, as the buttons under the question do.
            let asked_text = asked_for_text(catalog, session);
            let heard = keywords::understand(text)
                .filter(|heard| heard.meaning != Meaning::Greeting || !asked_text)
                .map(|heard| heard.meaning);
            let picked = typed_number(text).and_then(|n| session.offered.pick(n));
            let meaning = match (heard, picked) {
                (Some(meaning), _) => Some(meaning),
                (None, Some(payload)) => {
                    let payload = payload.to_owned();
                    return act_on_payload(catalog, lang, session, message, &payload);
                }
                (None, None) => sentence(catalog, text, asked_text),
            };
            match meaning {
                Some(Meaning::Greeting | Meaning::Menu) => {
                    session.state = DialogueState::Browsing;
                    return Outcome::Reply(menu(catalog, lang, true));
                }
                Some(Meaning::Cart) => return hand_off_action(message, Action::ViewCart),
                Some(Meaning::Orders) => return hand_off_action(message, Action::ListOrders),
                Some(Meaning::Language) => return Outcome::Reply(languages(catalog, lang)),
                // No drop named: the payment function picks the next one to open.
                Some(Meaning::RemindMe) => {
                    return hand_off_action(message, Action::RemindMe(String::new()));
                }
                // The ledger records the change (`crate::process`, [`crate::consent::signal`]);
                // the answer confirms it in the customer's language.
                Some(Meaning::StopAnnouncements) => {
                    return Outcome::Reply(vec![self::text(Msg::AnnouncementsStopped.text(voice))]);
                }
                Some(Meaning::StartAnnouncements) => {
                    let mut replies = vec![self::text(Msg::AnnouncementsStarted.text(voice))];
                    replies.extend(menu(catalog, lang, false));
                    return Outcome::Reply(replies);
                }
                Some(Meaning::WhatWeHold) => {
                    return Outcome::Reply(vec![what_we_hold(lang, voice, session, held)]);
                }
                Some(Meaning::ForgetMe) => {
                    session.forget();
                    return Outcome::Forget(vec![self::text(Msg::Forgotten.text(voice))]);
                }
                // As the cart's "Checkout" button: the payment function reserves the cart.
                Some(Meaning::Checkout) => return hand_off_action(message, Action::Checkout),
                Some(Meaning::Cancel) => return cancel(catalog, lang, session, message),
                Some(meaning @ (Meaning::Human | Meaning::Complaint)) => {
                    let turn = Turn {
                        catalog,
                        lang,
                        session,
                        message,
                        held,
                    };
                    let reason = if meaning == Meaning::Complaint {
                        HandoffReason::Complaint
                    } else {
                        HandoffReason::Asked
                    };
                    return handoff::hand_to_person(turn, reason);
                }
                Some(Meaning::Thanks) => {
                    let mut replies = vec![self::text(Msg::YoureWelcome.text(voice))];
                    replies.extend(menu(catalog, lang, false));
                    return Outcome::Reply(replies);
                }
                None => {}
            }
            if matches!(session.state, DialogueState::Customizing { .. }) {
                return Outcome::HandOff(Handler::Cart, message.clone());
            }
            // Nothing found is the bot not understanding; the second time in a row a person
            // takes over ([`crate::handoff`]; `process` resets the count on anything else).
            if search::find(catalog, text).is_empty() && session.misunderstood() >= 2 {
                let turn = Turn {
                    catalog,
                    lang,
                    session,
                    message,
                    held,
                };
                return handoff::hand_to_person(turn, HandoffReason::NotUnderstood);
            }
            Outcome::Reply(search(catalog, market, lang, text))
        }
        InboundContent::Action { payload, .. } => {
            act_on_payload(catalog, lang, session, message, payload)
        }
        InboundContent::Image { caption, .. } => match caption.as_deref().map(str::trim) {
            Some(c) if !c.is_empty() && !search::find(catalog, c).is_empty() => {
                Outcome::Reply(search(catalog, market, lang, c))
            }
            _ => {
                let mut replies = vec![text(Msg::ImageReceived.text(voice))];
                replies.extend(menu(catalog, lang, false));
                Outcome::Reply(replies)
            }
        },
        InboundContent::Contact { phone } => {
            session.verify_phone(phone.clone());
            Outcome::Reply(vec![text(Msg::ContactLinked.text(voice))])
        }
        InboundContent::Unsupported { .. } => {
            Outcome::Reply(vec![text(Msg::Unsupported.text(voice))])
        }
        InboundContent::Status { .. } => Outcome::Silent,
        // The platform or carrier confirms an opt-out itself; a reply would be a message the
        // customer just said they do not want.
        InboundContent::OptOut => {
            session.opt_out();
            Outcome::Silent
        }
        InboundContent::OptIn => {
            session.opt_in();
            Outcome::Reply(menu(catalog, lang, true))
        }
        // The ledger records it (`crate::process`); the platform showed its own confirmation.
        InboundContent::Marketing { .. } => Outcome::Silent,
        // The platform's inbox for people, its moves and what was said in it, is followed
        // before any flow runs ([`crate::handoff::follow_inbox`]); the bot says nothing.
        InboundContent::InboxGaveBack { .. }
        | InboundContent::InboxTook { .. }
        | InboundContent::Overheard { .. }
        | InboundContent::InboxReplied { .. } => Outcome::Silent,
    }
}

/// What this chat holds about the customer, as they asked: language, phone, cart and whether
/// they get announcements (`held`, read from the ledger for this message only).
fn what_we_hold(
    lang: Lang,
    voice: crate::i18n::Voice<'_>,
    session: &crate::dialogue::Session,
    held: Option<&crate::personal_data::Held>,
) -> Reply {
    let language = language::autonym(lang).unwrap_or(lang.code());
    let standing = held.map(|held| &held.standing);
    let announcements = match standing {
        Some(standing) if standing.may_announce() => "in",
        Some(standing) if standing.is_opted_out() => "out",
        _ => "never",
    };
    let tags = held.map_or_else(|| "none".to_string(), |held| held.tags_text());
    text(
        Msg::WhatWeHold {
            language,
            phone: session.identity.verified_phone().unwrap_or("none"),
            items: session.cart.units() as usize,
            announcements,
            tags: &tags,
        }
        .text(voice),
    )
}

/// What a sentence asks for ([`crate::intent`]), unless its words name a product (a product
/// called "Secret Agent Tee" is a search, not a request for an agent). While the customer is
/// asked for free text (an engraving), only a message that is wholly "cancel" or a request for
/// a person counts: anything else is the engraving.
fn sentence(catalog: &Catalog, text: &str, asked_text: bool) -> Option<Meaning> {
    if asked_text {
        let understood = intent::classify(text)?;
        let leads_out = matches!(understood.meaning, Meaning::Cancel | Meaning::Human);
        return (leads_out && understood.coverage >= 1.0).then_some(understood.meaning);
    }
    intent::classify_for(catalog, text).map(|understood| understood.meaning)
}

/// "Cancel" typed means what the Cancel button of this step means: the customization under
/// way, else the reservation whose Cancel button was offered last; with nothing to cancel,
/// the menu.
fn cancel(
    catalog: &Catalog,
    lang: Lang,
    session: &mut crate::dialogue::Session,
    message: &InboundMessage,
) -> Outcome {
    if matches!(session.state, DialogueState::Customizing { .. }) {
        return hand_off_action(message, Action::CancelCustomizing);
    }
    let offered = session
        .offered
        .payloads()
        .iter()
        .filter_map(|p| Action::decode(p))
        .find(|a| matches!(a, Action::CancelOrder(_)));
    if let Some(action) = offered {
        return hand_off_action(message, action);
    }
    session.state = DialogueState::Browsing;
    Outcome::Reply(menu(catalog, lang, false))
}

/// Whether the customer is being asked for free text (an engraving) right now.
fn asked_for_text(catalog: &Catalog, session: &crate::dialogue::Session) -> bool {
    let DialogueState::Customizing {
        product,
        selections,
    } = &session.state
    else {
        return false;
    };
    catalog
        .product(product)
        .and_then(|p| customization::next_group(p, selections))
        .is_some_and(|g| matches!(g.kind, GroupKind::Text { .. }))
}

fn hand_off_action(message: &InboundMessage, action: Action) -> Outcome {
    let mut forwarded = message.clone();
    forwarded.content = InboundContent::Action {
        payload: action.encode(),
        title: None,
    };
    Outcome::HandOff(action.handler(), forwarded)
}

fn act_on_payload(
    catalog: &Catalog,
    lang: Lang,
    session: &mut crate::dialogue::Session,
    message: &InboundMessage,
    payload: &str,
) -> Outcome {
    let voice = catalog.voice(lang);
    let Some(action) = Action::decode(payload) else {
        return Outcome::Reply(unknown_tap(catalog, lang));
    };
    if action.handler() != Handler::Catalog {
        return hand_off_action(message, action);
    }
    let market = &catalog.market_for(message.conversation.channel);
    Outcome::Reply(match action {
        Action::Category(id) => category(catalog, market, lang, &id),
        Action::Product(id) => match catalog.product(&id) {
            Some(p) => product_detail(catalog, market, lang, p),
            None => {
                let mut r = vec![text(Msg::UnknownProduct.text(voice))];
                r.extend(menu(catalog, lang, false));
                r
            }
        },
        Action::Languages => languages(catalog, lang),
        Action::StopAnnouncements => vec![text(Msg::AnnouncementsStopped.text(voice))],
        Action::StartAnnouncements => {
            let mut replies = vec![text(Msg::AnnouncementsStarted.text(voice))];
            replies.extend(menu(catalog, lang, false));
            replies
        }
        Action::SetLang(picked) => {
            let name = language::autonym(picked).unwrap_or(picked.code());
            let mut replies = vec![text(Msg::LanguageSet(name).text(lang))];
            replies.extend(menu(catalog, lang, false));
            replies
        }
        _ => {
            session.state = DialogueState::Browsing;
            menu(catalog, lang, false)
        }
    })
}

/// The answer to a tap we cannot read (a button of an older catalog or release, another
/// bot's payload on the same account): an apology and the menu, never a guess and never
/// silence. Ingress routes every such payload here ([`crate::action::route_payload`]), and
/// the cart flow answers the same way for one that reaches it from a queue written before.
pub fn unknown_tap(catalog: &Catalog, lang: Lang) -> Vec<Reply> {
    let voice = catalog.voice(lang);
    let mut replies = vec![text(Msg::UnknownTap.text(voice))];
    replies.extend(menu(catalog, lang, false));
    replies
}

fn text(body: String) -> Reply {
    Reply::Text { body }
}

fn choice(action: Action, title: String, description: Option<String>) -> Choice {
    Choice {
        id: action.encode(),
        title,
        description,
    }
}

/// The categories, with a greeting when the customer said hello.
pub fn menu(catalog: &Catalog, lang: Lang, greet: bool) -> Vec<Reply> {
    let voice = catalog.voice(lang);
    let body = if greet {
        format!(
            "{}\n{}",
            Msg::Welcome.text(voice),
            Msg::ChooseCategory.text(voice)
        )
    } else {
        Msg::ChooseCategory.text(voice)
    };
    let mut choices: Vec<Choice> = catalog
        .categories
        .iter()
        .map(|c| {
            choice(
                Action::Category(c.id.clone()),
                c.name.get(lang).into(),
                None,
            )
        })
        .collect();
    choices.push(choice(Action::ViewCart, Msg::ViewCart.text(voice), None));
    choices.push(choice(
        Action::Languages,
        Msg::LanguageEntry.text(voice),
        None,
    ));
    choices.push(choice(
        Action::StopAnnouncements,
        Msg::StopAnnouncementsEntry.text(voice),
        None,
    ));
    vec![Reply::Choices {
        body,
        menu_label: Msg::MenuLabel.text(voice),
        choices,
    }]
}

/// The languages the customer can switch to, each in its own name, the current one marked.
fn languages(catalog: &Catalog, lang: Lang) -> Vec<Reply> {
    let voice = catalog.voice(lang);
    let choices = catalog
        .languages()
        .into_iter()
        .map(|offered| {
            let name = language::autonym(offered).unwrap_or(offered.code());
            let title = if offered == lang {
                format!("✓ {name}")
            } else {
                name.to_string()
            };
            choice(Action::SetLang(offered), title, None)
        })
        .collect();
    vec![Reply::Choices {
        body: Msg::ChooseLanguage.text(voice),
        menu_label: Msg::LanguagesLabel.text(voice),
        choices,
    }]
}

fn product_choice(catalog: &Catalog, market: &Market, lang: Lang, p: &Product) -> Choice {
    choice(
        Action::Product(p.id.clone()),
        p.name.get(lang).into(),
        catalog.price(market, p).map(|m| m.format(lang, false)),
    )
}

fn category(catalog: &Catalog, market: &Market, lang: Lang, id: &str) -> Vec<Reply> {
    let voice = catalog.voice(lang);
    let Some(cat) = catalog.category(id) else {
        let mut r = vec![text(Msg::UnknownCategory.text(voice))];
        r.extend(menu(catalog, lang, false));
        return r;
    };
    let name = cat.name.get(lang);
    let mut choices: Vec<Choice> = catalog
        .products_in(id)
        .map(|p| product_choice(catalog, market, lang, p))
        .collect();
    let body = if choices.is_empty() {
        Msg::CategoryEmpty(name).text(voice)
    } else {
        Msg::ProductsIn(name).text(voice)
    };
    choices.push(choice(Action::Menu, Msg::Back.text(voice), None));
    vec![Reply::Choices {
        body,
        menu_label: Msg::ChooseLabel.text(voice),
        choices,
    }]
}

/// A product's picture, its description with price and options, and what to do next.
pub fn product_detail(catalog: &Catalog, market: &Market, lang: Lang, p: &Product) -> Vec<Reply> {
    let voice = catalog.voice(lang);
    let name = p.name.get(lang);
    let options: Vec<&str> = p.option_groups.iter().map(|g| g.name.get(lang)).collect();
    let base = catalog
        .price(market, p)
        .map_or_else(String::new, |m| m.format(lang, false));
    let price = if p.option_groups.iter().any(|g| match &g.kind {
        GroupKind::Choice { options } => {
            options.iter().any(|o| catalog.option_delta(market, o) != 0)
        }
        GroupKind::Text { .. } => catalog.text_delta(market, g) != 0,
    }) {
        format!("{base}~")
    } else {
        base
    };
    let mut replies = Vec::new();
    if let Some(url) = &p.image_url {
        replies.push(Reply::Image {
            url: url.clone(),
            caption: Some(name.to_string()),
        });
    }
    let add_label = if p.option_groups.is_empty() {
        Msg::AddToCart
    } else {
        Msg::CustomizeAndAdd
    };
    replies.push(Reply::Choices {
        body: Msg::ProductDetail {
            name,
            price: &price,
            description: p.description.get(lang),
            options: &options.join(", "),
        }
        .text(voice),
        menu_label: Msg::ChooseLabel.text(voice),
        choices: vec![
            choice(Action::Add(p.id.clone()), add_label.text(voice), None),
            choice(
                Action::Category(p.category.clone()),
                Msg::Back.text(voice),
                None,
            ),
            choice(Action::ViewCart, Msg::ViewCart.text(voice), None),
        ],
    });
    replies
}

fn search(catalog: &Catalog, market: &Market, lang: Lang, query: &str) -> Vec<Reply> {
    let voice = catalog.voice(lang);
    let found = search::find(catalog, query);
    if found.is_empty() {
        return nothing_found(catalog, market, lang, query);
    }
    if let [only] = found.as_slice() {
        return product_detail(catalog, market, lang, only.product);
    }
    let mut choices: Vec<Choice> = found
        .iter()
        .take(MAX_RESULTS - 1)
        .map(|hit| product_choice(catalog, market, lang, hit.product))
        .collect();
    choices.push(choice(Action::Menu, Msg::Menu.text(voice), None));
    vec![Reply::Choices {
        body: Msg::SearchResults(query).text(voice),
        menu_label: Msg::ChooseLabel.text(voice),
        choices,
    }]
}

/// Most near misses offered when nothing matched.
const CLOSEST: usize = 3;

/// Nothing matched: the few products nearest the words, if any, above the menu's choices.
fn nothing_found(catalog: &Catalog, market: &Market, lang: Lang, query: &str) -> Vec<Reply> {
    let voice = catalog.voice(lang);
    let mut replies = menu(catalog, lang, false);
    let closest = search::closest(catalog, query, CLOSEST);
    if let Some(Reply::Choices { body, choices, .. }) = replies.first_mut() {
        if closest.is_empty() {
            *body = Msg::NothingFound(query).text(voice);
        } else {
            *body = Msg::ClosestMatches(query).text(voice);
            let near = closest
                .iter()
                .map(|p| product_choice(catalog, market, lang, p));
            choices.splice(0..0, near);
        }
    }
    replies
}
