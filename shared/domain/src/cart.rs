//! The cart: lines of customized products with quantities.
//!
//! A line remembers the product, the customer's selections and the unit price at the moment it
//! was added (the price the customer was shown). Adding the same product with the same
//! selections again raises that line's quantity instead of adding a twin. Lines have short ids
//! (`l1`, `l2`, …) so button payloads can name them.

use crate::customization::Selection;
use serde::{Deserialize, Serialize};

/// Most units of one line: a drop is limited, and a typo should not order 100 bags.
pub const MAX_QUANTITY: u32 = 10;
/// Most lines in one cart: also keeps the cart item far below DynamoDB's 400 KB.
pub const MAX_LINES: usize = 20;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Cart {
    #[serde(default)]
    pub lines: Vec<CartLine>,
    #[serde(default)]
    pub next_line: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CartLine {
    pub id: String,
    pub product: String,
    #[serde(default)]
    pub selections: Vec<Selection>,
    /// Minor units of the conversation's market currency (`Catalog::unit_price`), options
    /// included.
    pub unit_price: i64,
    pub quantity: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CartError {
    #[error("no line `{0}` in the cart")]
    UnknownLine(String),
    #[error("at most {MAX_QUANTITY} of one item")]
    TooMany,
    #[error("at most {MAX_LINES} different items")]
    TooManyLines,
}

impl Cart {
    /// Adds one unit; returns the line's id.
    pub fn add(
        &mut self,
        product: &str,
        selections: Vec<Selection>,
        unit_price: i64,
    ) -> Result<String, CartError> {
        if let Some(line) = self
            .lines
            .iter_mut()
            .find(|l| l.product == product && l.selections == selections)
        {
            if line.quantity >= MAX_QUANTITY {
                return Err(CartError::TooMany);
            }
            line.quantity += 1;
            return Ok(line.id.clone());
        }
        if self.lines.len() >= MAX_LINES {
            return Err(CartError::TooManyLines);
        }
        self.next_line += 1;
        let id = format!("l{}", self.next_line);
        self.lines.push(CartLine {
            id: id.clone(),
            product: product.to_string(),
            selections,
            unit_price,
            quantity: 1,
        });
        Ok(id)
    }

    pub fn line(&self, id: &str) -> Option<&CartLine> {
        self.lines.iter().find(|l| l.id == id)
    }

    /// Sets a line's quantity; zero removes it.
    pub fn set_quantity(&mut self, id: &str, quantity: u32) -> Result<(), CartError> {
        if quantity > MAX_QUANTITY {
            return Err(CartError::TooMany);
        }
        if quantity == 0 {
            return self.remove(id);
        }
        let line = self
            .lines
            .iter_mut()
            .find(|l| l.id == id)
            .ok_or_else(|| CartError::UnknownLine(id.into()))?;
        line.quantity = quantity;
        Ok(())
    }

    pub fn remove(&mut self, id: &str) -> Result<(), CartError> {
        let before = self.lines.len();
        self.lines.retain(|l| l.id != id);
        if self.lines.len() == before {
            return Err(CartError::UnknownLine(id.into()));
        }
        Ok(())
    }

    pub fn clear(&mut self) {
        self.lines.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Units across all lines.
    pub fn units(&self) -> u32 {
        self.lines.iter().map(|l| l.quantity).sum()
    }

    /// Total in minor units.
    pub fn total(&self) -> i64 {
        self.lines
            .iter()
            .map(|l| l.unit_price * i64::from(l.quantity))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engraved(text: &str) -> Vec<Selection> {
        vec![Selection::Text {
            group: "engraving".into(),
            text: text.into(),
        }]
    }

    #[test]
    fn totals_are_unit_price_times_quantity() {
        let mut cart = Cart::default();
        let bag = cart.add("bag", engraved("ANA"), 15_500).unwrap();
        cart.add("bag", engraved("ANA"), 15_500).unwrap();
        let mug = cart.add("mug", vec![], 1_200).unwrap();
        assert_eq!(cart.lines.len(), 2, "identical customizations share a line");
        assert_eq!(cart.line(&bag).unwrap().quantity, 2);
        assert_eq!(cart.total(), 2 * 15_500 + 1_200);
        assert_eq!(cart.units(), 3);

        cart.set_quantity(&mug, 3).unwrap();
        assert_eq!(cart.total(), 2 * 15_500 + 3 * 1_200);
        cart.set_quantity(&bag, 0).unwrap();
        assert_eq!(cart.total(), 3 * 1_200);
        assert_eq!(
            cart.remove("l99"),
            Err(CartError::UnknownLine("l99".into()))
        );
        cart.clear();
        assert!(cart.is_empty());
        assert_eq!(cart.total(), 0);
    }

    #[test]
    fn different_engraving_is_a_different_line() {
        let mut cart = Cart::default();
        let a = cart.add("bag", engraved("ANA"), 100).unwrap();
        let b = cart.add("bag", engraved("BOB"), 100).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn quantity_and_line_limits_hold() {
        let mut cart = Cart::default();
        let id = cart.add("mug", vec![], 100).unwrap();
        assert_eq!(
            cart.set_quantity(&id, MAX_QUANTITY + 1),
            Err(CartError::TooMany)
        );
        cart.set_quantity(&id, MAX_QUANTITY).unwrap();
        assert_eq!(cart.add("mug", vec![], 100), Err(CartError::TooMany));
        for i in 1..MAX_LINES {
            cart.add(&format!("p{i}"), vec![], 1).unwrap();
        }
        assert_eq!(
            cart.add("one-more", vec![], 1),
            Err(CartError::TooManyLines)
        );
    }
}
