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
use crate::i18n::{Lang, Msg};
use crate::inbound::InboundContent;
use crate::process::{Outcome, Turn};
use crate::reply::{Choice, Reply};

pub fn handle(turn: Turn<'_>) -> Outcome {
    let Turn {
        catalog,
        lang,
        session,
        message,
    } = turn;
    let action = match &message.content {
        InboundContent::Action { payload, .. } => match Action::decode(payload) {
            Some(action) => action,
            // Ingress sends these to the catalog; one queued by an older release lands here.
            None => return Outcome::Reply(crate::browse::unknown_tap(catalog, lang)),
        },
        InboundContent::Text { body } => return typed(catalog, lang, session, body),
        _ => return Outcome::Reply(cart_view(catalog, lang, session, None)),
    };
    if action.handler() != Handler::Cart {
        return Outcome::HandOff(action.handler(), message.clone());
    }
    Outcome::Reply(match action {
        Action::Add(product) => add(catalog, lang, session, &product),
        Action::Pick {
            product,
            group,
            option,
        } => answer(catalog, lang, session, &product, |p, sel| {
            customization::choose(p, sel, &group, &option, lang)
        }),
        Action::Skip { product, group } => answer(catalog, lang, session, &product, |p, sel| {
            customization::skip(p, sel, &group)
        }),
        Action::CancelCustomizing => {
            session.state = DialogueState::Browsing;
            cart_view(catalog, lang, session, Some(Msg::Cancelled.text(lang)))
        }
        Action::ViewCart => cart_view(catalog, lang, session, None),
        Action::EditLine(line) => edit_line(catalog, lang, session, &line),
        Action::SetQuantity { line, quantity } => {
            let note = match session.cart.set_quantity(&line, quantity) {
                Ok(()) if quantity == 0 => Msg::Removed.text(lang),
                Ok(()) => Msg::QuantitySet(quantity).text(lang),
                Err(e) => cart_error(&e, lang),
            };
            cart_view(catalog, lang, session, Some(note))
        }
        Action::Remove(line) => {
            let note = match session.cart.remove(&line) {
                Ok(()) => Msg::Removed.text(lang),
                Err(e) => cart_error(&e, lang),
            };
            cart_view(catalog, lang, session, Some(note))
        }
        Action::Empty => {
            session.cart.clear();
            cart_view(catalog, lang, session, Some(Msg::Emptied.text(lang)))
        }
        Action::Menu
        | Action::Category(_)
        | Action::Product(_)
        | Action::Languages
        | Action::SetLang(_)
        | Action::Checkout
        | Action::CancelOrder(_)
        | Action::Reorder(_)
        | Action::ListOrders => unreachable!("routed above"),
    })
}

fn cart_error(e: &CartError, lang: Lang) -> String {
    match e {
        CartError::UnknownLine(_) => Msg::UnknownLine.text(lang),
        CartError::TooMany => Msg::TooMany(MAX_QUANTITY).text(lang),
        CartError::TooManyLines => Msg::TooManyLines(MAX_LINES).text(lang),
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
    session.state = DialogueState::Browsing;
    let mut replies = vec![Reply::Text {
        body: Msg::UnknownProduct.text(lang),
    }];
    replies.extend(crate::browse::menu(catalog, lang, false));
    replies
}

fn add(catalog: &Catalog, lang: Lang, session: &mut Session, product_id: &str) -> Vec<Reply> {
    let Some(product) = catalog.product(product_id) else {
        return unknown_product(catalog, lang, session);
    };
    session.state = DialogueState::Customizing {
        product: product.id.clone(),
        selections: Vec::new(),
    };
    advance(catalog, lang, session, product, Vec::new(), None)
}

/// Applies one answer for `product_id` if the session is customizing that product.
fn answer(
    catalog: &Catalog,
    lang: Lang,
    session: &mut Session,
    product_id: &str,
    decide: impl FnOnce(&Product, &[Selection]) -> Result<Selection, ChoiceError>,
) -> Vec<Reply> {
    let DialogueState::Customizing {
        product,
        selections,
    } = session.state.clone()
    else {
        return stale(catalog, lang, session);
    };
    if product != product_id {
        return stale(catalog, lang, session);
    }
    let Some(p) = catalog.product(&product) else {
        return unknown_product(catalog, lang, session);
    };
    match decide(p, &selections) {
        Ok(selection) => {
            let mut selections = selections;
            selections.push(selection);
            advance(catalog, lang, session, p, selections, None)
        }
        Err(ChoiceError::WrongStep) => stale(catalog, lang, session),
        Err(e) => {
            let why = format!(
                "{} {}",
                Msg::Rejected(&e).text(lang),
                Msg::TryAgain.text(lang)
            );
            advance(catalog, lang, session, p, selections, Some(why))
        }
    }
}

/// Text typed while customizing: the engraving, or an option's name.
fn typed(catalog: &Catalog, lang: Lang, session: &mut Session, body: &str) -> Outcome {
    let DialogueState::Customizing { product, .. } = session.state.clone() else {
        return Outcome::Reply(cart_view(catalog, lang, session, None));
    };
    Outcome::Reply(answer(catalog, lang, session, &product, |p, sel| {
        customization::answer_text(p, sel, body, lang)
    }))
}

/// A button from an earlier step: say so, and show where the customer is now.
fn stale(catalog: &Catalog, lang: Lang, session: &mut Session) -> Vec<Reply> {
    let note = Msg::StaleButton.text(lang);
    match session.state.clone() {
        DialogueState::Customizing {
            product,
            selections,
        } => match catalog.product(&product) {
            Some(p) => advance(catalog, lang, session, p, selections, Some(note)),
            None => unknown_product(catalog, lang, session),
        },
        DialogueState::Browsing => cart_view(catalog, lang, session, Some(note)),
    }
}

/// Stores the selections and asks the next group, or puts the finished line into the cart.
fn advance(
    catalog: &Catalog,
    lang: Lang,
    session: &mut Session,
    product: &Product,
    selections: Vec<Selection>,
    note: Option<String>,
) -> Vec<Reply> {
    let steps = product.option_groups.len();
    let Some(group) = customization::next_group(product, &selections) else {
        session.state = DialogueState::Browsing;
        let unit = customization::unit_price(product, &selections);
        let item = customization::describe(product, &selections, lang);
        return match session.cart.add(&product.id, selections, unit) {
            Ok(_) => added(catalog, lang, session, &item, unit),
            Err(e) => cart_view(catalog, lang, session, Some(cart_error(&e, lang))),
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
                let delta = (o.price_delta != 0).then(|| catalog.money(o.price_delta).format(true));
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
            .text(lang)
        }
        GroupKind::Text {
            max_chars,
            price_delta,
            ..
        } => {
            let mut ask = Msg::AskText {
                product: name,
                group: group_name,
                step,
                steps,
                max: *max_chars,
            }
            .text(lang);
            if *price_delta != 0 {
                ask.push_str(&format!(" ({})", catalog.money(*price_delta).format(true)));
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
            Msg::Skip.text(lang),
            None,
        ));
    }
    choices.push(choice(
        Action::CancelCustomizing,
        Msg::Cancel.text(lang),
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
        menu_label: Msg::ChooseLabel.text(lang),
        choices,
    }]
}

fn added(catalog: &Catalog, lang: Lang, session: &Session, item: &str, unit: i64) -> Vec<Reply> {
    let body = Msg::Added {
        item,
        price: &catalog.money(unit).format(false),
        units: session.cart.units(),
        total: &catalog.money(session.cart.total()).format(false),
    }
    .text(lang);
    vec![Reply::Choices {
        body,
        menu_label: Msg::ChooseLabel.text(lang),
        choices: vec![
            choice(Action::ViewCart, Msg::ViewCart.text(lang), None),
            choice(Action::Menu, Msg::KeepShopping.text(lang), None),
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
fn cart_view(catalog: &Catalog, lang: Lang, session: &Session, note: Option<String>) -> Vec<Reply> {
    let cart = &session.cart;
    let mut body = note.map(|n| format!("{n}\n")).unwrap_or_default();
    let mut choices = Vec::new();
    if cart.is_empty() {
        body.push_str(&Msg::CartEmpty.text(lang));
    } else {
        body.push_str(&Msg::CartHeader.text(lang));
        for (i, line) in cart.lines.iter().enumerate() {
            let item = line_item(catalog, lang, &line.product, &line.selections);
            let amount = catalog
                .money(line.unit_price * i64::from(line.quantity))
                .format(false);
            body.push('\n');
            body.push_str(
                &Msg::CartLine {
                    n: i + 1,
                    item: &item,
                    quantity: line.quantity,
                    amount: &amount,
                }
                .text(lang),
            );
            let short = catalog
                .product(&line.product)
                .map_or(line.product.as_str(), |p| p.name.get(lang));
            choices.push(choice(
                Action::EditLine(line.id.clone()),
                Msg::Change(short).text(lang),
                Some(item),
            ));
        }
        body.push('\n');
        body.push_str(&Msg::CartTotal(&catalog.money(cart.total()).format(false)).text(lang));
    }
    if !cart.is_empty() {
        choices.insert(0, choice(Action::Checkout, Msg::Checkout.text(lang), None));
    }
    choices.push(choice(Action::Menu, Msg::KeepShopping.text(lang), None));
    if !cart.is_empty() {
        choices.push(choice(Action::Empty, Msg::EmptyCart.text(lang), None));
    }
    vec![Reply::Choices {
        body,
        menu_label: Msg::ChooseLabel.text(lang),
        choices,
    }]
}

fn edit_line(catalog: &Catalog, lang: Lang, session: &Session, line_id: &str) -> Vec<Reply> {
    let Some(line) = session.cart.line(line_id) else {
        return cart_view(catalog, lang, session, Some(Msg::UnknownLine.text(lang)));
    };
    let item = line_item(catalog, lang, &line.product, &line.selections);
    let mut choices = Vec::new();
    if line.quantity < MAX_QUANTITY {
        choices.push(choice(
            Action::SetQuantity {
                line: line.id.clone(),
                quantity: line.quantity + 1,
            },
            Msg::OneMore.text(lang),
            None,
        ));
    }
    if line.quantity > 1 {
        choices.push(choice(
            Action::SetQuantity {
                line: line.id.clone(),
                quantity: line.quantity - 1,
            },
            Msg::OneLess.text(lang),
            None,
        ));
    }
    choices.push(choice(
        Action::Remove(line.id.clone()),
        Msg::Remove.text(lang),
        None,
    ));
    choices.push(choice(Action::ViewCart, Msg::Back.text(lang), None));
    vec![Reply::Choices {
        body: Msg::LineView {
            item: &item,
            quantity: line.quantity,
        }
        .text(lang),
        menu_label: Msg::ChooseLabel.text(lang),
        choices,
    }]
}
