//! Order operations that more than one front end performs: the CLI (`chatdrop orders …`) and
//! the console function (`/console/api/orders…`) call the same code, so an export or a refund
//! means the same thing whoever asks.
//!
//! - [`export`]: every order as one CSV row, safe to open in a spreadsheet;
//! - [`refund`]: the order's state decides first, Stripe second;
//! - `agents` (feature `agents`): the console's user pool and its users (`chatdrop agent
//!   create`, the local stack).

#[cfg(feature = "agents")]
pub mod agents;
pub mod export;
pub mod refund;
