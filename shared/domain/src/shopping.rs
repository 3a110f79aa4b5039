//! The cart flow: customizing a product step by step, and managing the cart.
//!
//! Adding a product with option groups starts a customization: the session moves to
//! `Customizing` and each reply asks for the next group, offering only the options that fit the
//! choices so far. Any answer, tapped or typed, is checked by [`crate::customization`]; a rejected
//! answer is explained and the same group is asked again, with nothing changed. When the last
//! group is answered the line goes into the cart at its full unit price and the session returns
//! to `Browsing`. Taps on buttons from an earlier step are answered with the current step.

use crate::action::{Action, Handler};
use crate::cart::{CartError, MAX_LINES, MAX_QUANTITY};
use crate::catalog::{Catalog, GroupKind, Product};
use crate::customization::{self, ChoiceError, Selection};
use crate::dialogue::{DialogueState, Session};
use crate::i18n::{Lang, Msg, Voice};
use crate::inbound::InboundContent;
use crate::market::Market;
use crate::money::Money;
use crate::process::{Outcome, Turn};
use crate::reply::{Choice, Reply};

pub fn handle(turn: Turn<'_>) -> Outcome {
    let Turn {
        catalog,
        lang,
        session,
        message,
        ..
    } = turn;
    let voice = catalog.voice(lang);
    // Prices are the market's of this conversation's channel.
    let market = &catalog.market_for(message.conversation.channel);
    let action = match &message.content {
        InboundContent::Action { payload, .. } => match Action::decode(payload) {
            Some(action) => action,
            // Ingress sends these to the catalog; one queued by an older release lands here.
            None => return Outcome::Reply(crate::browse::unknown_tap(catalog, lang)),
        },
        InboundContent::Text { body } => return typed(catalog, market, lang, session, body),
        _ => return Outcome::Reply(cart_view(catalog, market, lang, session, None)),
    };
    if action.handler() != Handler::Cart {
        return Outcome::HandOff(action.handler(), message.clone());
    }
    Outcome::Reply(match action {
        Action::Add(product) => add(catalog, market, lang, session, &product),
        Action::Pick {
            product,
            group,
            option,
        } => answer(catalog, market, lang, session, &product, |p, sel| {
            customization::choose(p, sel, &group, &option, lang)
        }),
        Action::Skip { product, group } => {
            answer(catalog, market, lang, session, &product, |p, sel| {
                customization::skip(p, sel, &group)
            })
        }
        Action::CancelCustomizing => {
            session.state = DialogueState::Browsing;
            cart_view(
                catalog,
                market,
                lang,
                session,
                Some(Msg::Cancelled.text(voice)),
            )
        }
        Action::ViewCart => cart_view(catalog, market, lang, session, None),
        Action::EditLine(line) => edit_line(catalog, market, lang, session, &line),
        Action::SetQuantity { line, quantity } => {
            let note = match session.cart.set_quantity(&line, quantity) {
                Ok(()) if quantity == 0 => Msg::Removed.text(voice),
                Ok(()) => Msg::QuantitySet(quantity).text(voice),
                Err(e) => cart_error(&e, voice),
            };
            cart_view(catalog, market, lang, session, Some(note))
        }
        Action::Remove(line) => {
            let note = match session.cart.remove(&line) {
                Ok(()) => Msg::Removed.text(voice),
                Err(e) => cart_error(&e, voice),
            };
            cart_view(catalog, market, lang, session, Some(note))
        }
        Action::Empty => {
            session.cart.clear();
            cart_view(
                catalog,
                market,
                lang,
                session,
                Some(Msg::Emptied.text(voice)),
            )
        }
        Action::Menu
        | Action::Category(_)
        | Action::Product(_)
        | Action::Languages
        | Action::SetLang(_)
        | Action::Checkout
        | Action::CancelOrder(_)
        | Action::Reorder(_)
        | Action::ListOrders
        | Action::WaitlistJoin { .. }
        | Action::WaitlistTake { .. }
        | Action::WaitlistPass { .. }
        | Action::RemindMe(_)
        | Action::StopAnnouncements
        | Action::StartAnnouncements
        | Action::DrawEnter(_)
        | Action::DrawClaim(_)
        | Action::VerifyNewCode
        | Action::VerifyOtherNumber
        | Action::VerifyShareContact => unreachable!("routed above"),
    })
}

fn cart_error(e: &CartError, voice: Voice<'_>) -> String {
    match e {
        CartError::UnknownLine(_) => Msg::UnknownLine.text(voice),
        CartError::TooMany => Msg::TooMany(MAX_QUANTITY).text(voice),
        CartError::TooManyLines => Msg::TooManyLines(MAX_LINES).text(voice),
    }
}

fn choice(action: Action, title: String, description: Option<String>) -> Choice {
    Choice {
        id: action.encode(),
        title,
        description,
    }
}

fn unknown_product(catalog: &Catalog, lang: Lang, session: &mut Session) -> Vec<Reply> {
    let voice = catalog.voice(lang);
    session.state = DialogueState::Browsing;
    let mut replies = vec![Reply::Text {
        body: Msg::UnknownProduct.text(voice),
    }];
    replies.extend(crate::browse::menu(catalog, lang, false));
    replies
}

fn add(
    catalog: &Catalog,
    market: &Market,
    lang: Lang,
    session: &mut Session,
    product_id: &str,
) -> Vec<Reply> {
    let Some(product) = catalog.product(product_id) else {
        return unknown_product(catalog, lang, session);
    };
    session.state = DialogueState::Customizing {
        product: product.id.clone(),
        selections: Vec::new(),
    };
    advance(catalog, market, lang, session, product, Vec::new(), None)
}

/// Applies one answer for `product_id` if the session is customizing that product.
fn answer(
    catalog: &Catalog,
    market: &Market,
    lang: Lang,
    session: &mut Session,
    product_id: &str,
    decide: impl FnOnce(&Product, &[Selection]) -> Result<Selection, ChoiceError>,
) -> Vec<Reply> {
    let voice = catalog.voice(lang);
    let DialogueState::Customizing {
        product,
        selections,
    } = session.state.clone()
    else {
        return stale(catalog, market, lang, session);
    };
    if product != product_id {
        return stale(catalog, market, lang, session);
    }
    let Some(p) = catalog.product(&product) else {
        return unknown_product(catalog, lang, session);
    };
    match decide(p, &selections) {
        Ok(selection) => {
            let mut selections = selections;
            selections.push(selection);
            advance(catalog, market, lang, session, p, selections, None)
        }
        Err(ChoiceError::WrongStep) => stale(catalog, market, lang, session),
        Err(e) => {
            let why = format!(
                "{} {}",
                Msg::Rejected(&e).text(voice),
                Msg::TryAgain.text(voice)
            );
            advance(catalog, market, lang, session, p, selections, Some(why))
        }
    }
}

/// Text typed while customizing: the engraving, or an option's name.
fn typed(
    catalog: &Catalog,
    market: &Market,
    lang: Lang,
    session: &mut Session,
    body: &str,
) -> Outcome {
    let DialogueState::Customizing { product, .. } = session.state.clone() else {
        return Outcome::Reply(cart_view(catalog, market, lang, session, None));
    };
    Outcome::Reply(answer(
        catalog,
        market,
        lang,
        session,
        &product,
        |p, sel| customization::answer_text(p, sel, body, lang),
    ))
}

/// A button from an earlier step: say so, and show where the customer is now.
fn stale(catalog: &Catalog, market: &Market, lang: Lang, session: &mut Session) -> Vec<Reply> {
    let voice = catalog.voice(lang);
    let note = Msg::StaleButton.text(voice);
    match session.state.clone() {
        DialogueState::Customizing {
            product,
            selections,
        } => match catalog.product(&product) {
            Some(p) => advance(catalog, market, lang, session, p, selections, Some(note)),
            None => unknown_product(catalog, lang, session),
        },
        DialogueState::Browsing | DialogueState::VerifyingPhone(_) => {
            cart_view(catalog, market, lang, session, Some(note))
        }
    }
}

/// Stores the selections and asks the next group, or puts the finished line into the cart.
fn advance(
    catalog: &Catalog,
    market: &Market,
    lang: Lang,
    session: &mut Session,
    product: &Product,
    selections: Vec<Selection>,
    note: Option<String>,
) -> Vec<Reply> {
    let voice = catalog.voice(lang);
    let steps = product.option_groups.len();
    let Some(group) = customization::next_group(product, &selections) else {
        session.state = DialogueState::Browsing;
        let Some(unit) = catalog.unit_price(market, product, &selections) else {
            // No price in this market (a catalog that skipped validation): not for sale here.
            return unknown_product(catalog, lang, session);
        };
        let item = customization::describe(product, &selections, lang);
        return match session.cart.add(&product.id, selections, unit.minor) {
            Ok(_) => added(catalog, market, lang, session, &item, unit),
            Err(e) => cart_view(catalog, market, lang, session, Some(cart_error(&e, voice))),
        };
    };
    let step = selections.len() + 1;
    let name = product.name.get(lang);
    let group_name = group.name.get(lang);
    let mut choices = Vec::new();
    let ask = match &group.kind {
        GroupKind::Choice { options } => {
            let mut fitting = customization::compatible_options(product, group, &selections);
            if fitting.is_empty() {
                // Nothing fits: offer all, so the customer is told why instead of stuck.
                fitting = options.iter().collect();
            }
            for o in fitting {
                let delta = catalog.option_delta(market, o);
                let delta = (delta != 0).then(|| market.money(delta).format(lang, true));
                choices.push(choice(
                    Action::Pick {
                        product: product.id.clone(),
                        group: group.id.clone(),
                        option: o.id.clone(),
                    },
                    o.name.get(lang).into(),
                    delta,
                ));
            }
            Msg::AskOption {
                product: name,
                group: group_name,
                step,
                steps,
            }
            .text(voice)
        }
        GroupKind::Text { max_chars, .. } => {
            let mut ask = Msg::AskText {
                product: name,
                group: group_name,
                step,
                steps,
                max: *max_chars,
            }
            .text(voice);
            let price_delta = catalog.text_delta(market, group);
            if price_delta != 0 {
                ask.push_str(&format!(
                    " ({})",
                    market.money(price_delta).format(lang, true)
                ));
            }
            ask
        }
    };
    if !group.required {
        choices.push(choice(
            Action::Skip {
                product: product.id.clone(),
                group: group.id.clone(),
            },
            Msg::Skip.text(voice),
            None,
        ));
    }
    choices.push(choice(
        Action::CancelCustomizing,
        Msg::Cancel.text(voice),
        None,
    ));
    session.state = DialogueState::Customizing {
        product: product.id.clone(),
        selections,
    };
    let body = match note {
        Some(n) => format!("{n}\n{ask}"),
        None => ask,
    };
    vec![Reply::Choices {
        body,
        menu_label: Msg::ChooseLabel.text(voice),
        choices,
    }]
}

fn added(
    catalog: &Catalog,
    market: &Market,
    lang: Lang,
    session: &Session,
    item: &str,
    unit: Money,
) -> Vec<Reply> {
    let voice = catalog.voice(lang);
    let body = Msg::Added {
        item,
        price: &unit.format(lang, false),
        units: session.cart.units(),
        total: &market.money(session.cart.total()).format(lang, false),
    }
    .text(voice);
    vec![Reply::Choices {
        body,
        menu_label: Msg::ChooseLabel.text(voice),
        choices: vec![
            choice(Action::ViewCart, Msg::ViewCart.text(voice), None),
            choice(Action::Menu, Msg::KeepShopping.text(voice), None),
        ],
    }]
}

fn line_item(catalog: &Catalog, lang: Lang, product: &str, selections: &[Selection]) -> String {
    catalog
        .product(product)
        .map(|p| customization::describe(p, selections, lang))
        .unwrap_or_else(|| product.to_string())
}

/// The cart with totals, and what can be done with it.
fn cart_view(
    catalog: &Catalog,
    market: &Market,
    lang: Lang,
    session: &Session,
    note: Option<String>,
) -> Vec<Reply> {
    let voice = catalog.voice(lang);
    let cart = &session.cart;
    let mut body = note.map(|n| format!("{n}\n")).unwrap_or_default();
    let mut choices = Vec::new();
    if cart.is_empty() {
        body.push_str(&Msg::CartEmpty.text(voice));
    } else {
        body.push_str(&Msg::CartHeader.text(voice));
        for (i, line) in cart.lines.iter().enumerate() {
            let item = line_item(catalog, lang, &line.product, &line.selections);
            let amount = market
                .money(line.unit_price * i64::from(line.quantity))
                .format(lang, false);
            body.push('\n');
            body.push_str(
                &Msg::CartLine {
                    n: i + 1,
                    item: &item,
                    quantity: line.quantity,
                    amount: &amount,
                }
                .text(voice),
            );
            let short = catalog
                .product(&line.product)
                .map_or(line.product.as_str(), |p| p.name.get(lang));
            choices.push(choice(
                Action::EditLine(line.id.clone()),
                Msg::Change(short).text(voice),
                Some(item),
            ));
        }
        body.push('\n');
        body.push_str(&Msg::CartTotal(&market.money(cart.total()).format(lang, false)).text(voice));
    }
    if !cart.is_empty() {
        choices.insert(0, choice(Action::Checkout, Msg::Checkout.text(voice), None));
    }
    choices.push(choice(Action::Menu, Msg::KeepShopping.text(voice), None));
    if !cart.is_empty() {
        choices.push(choice(Action::Empty, Msg::EmptyCart.text(voice), None));
    }
    vec![Reply::Choices {
        body,
        menu_label: Msg::ChooseLabel.text(voice),
        choices,
    }]
}

fn edit_line(
    catalog: &Catalog,
    market: &Market,
    lang: Lang,
    session: &Session,
    line_id: &str,
) -> Vec<Reply> {
    let voice = catalog.voice(lang);
    let Some(line) = session.cart.line(line_id) else {
        return cart_view(
            catalog,
            market,
            lang,
            session,
            Some(Msg::UnknownLine.text(voice)),
        );
    };
    let item = line_item(catalog, lang, &line.product, &line.selections);
    let mut choices = Vec::new();
    if line.quantity < MAX_QUANTITY {
        choices.push(choice(
            Action::SetQuantity {
                line: line.id.clone(),
                quantity: line.quantity + 1,
            },
            Msg::OneMore.text(voice),
            None,
        ));
    }
    if line.quantity > 1 {
        choices.push(choice(
            Action::SetQuantity {
                line: line.id.clone(),
                quantity: line.quantity - 1,
            },
            Msg::OneLess.text(voice),
            None,
        ));
    }
    choices.push(choice(
        Action::Remove(line.id.clone()),
        Msg::Remove.text(voice),
        None,
    ));
    choices.push(choice(Action::ViewCart, Msg::Back.text(voice), None));
    vec![Reply::Choices {
        body: Msg::LineView {
            item: &item,
            quantity: line.quantity,
        }
        .text(voice),
        menu_label: Msg::ChooseLabel.text(voice),
        choices,
    }]
}
