### chatdrop's customer-facing text, English: the source every other locale translates.
###
### Syntax: https://projectfluent.org/fluent/guide/
### Each message id is the kebab-case name of a `Msg` variant (shared/domain/src/i18n.rs);
### a translation keeps every id and uses the same variables as this file. Amounts, prices
### and dates arrive already formatted as text; counts ($units, $quantity, $max, …) are
### numbers, so plural selectors work on them. Keep messages short: they are chat messages
### and button labels (a Telegram button shows about 20 characters on a phone).

## Browsing

welcome = Hi! Welcome to our shop. What would you like to see?
# Button label.
menu-label = Menu
# Button label: opens a list to choose from.
choose-label = Choose
choose-category = Choose a category:
# $category: the category's name.
products-in = { $category }: choose a product.
category-empty = { $category } has nothing in it right now.
# The value: $name, $price, $description of a product.
# .options: added on a new line when the product has options; $options lists them.
product-detail =
    { $name } — { $price }
    { $description }
    .options = You choose: { $options }.
# Button label.
customize-and-add = Customize & add
# Button label.
add-to-cart = Add to cart
# Button label.
back = Back
# Button label.
view-cart = View cart
# Button label.
menu = Menu
# $query: what the customer typed.
search-results = Here is what I found for “{ $query }”:
nothing-found = I found nothing for “{ $query }”. Here is the menu:
unknown-product = Sorry, that product is no longer available.
unknown-category = Sorry, that category is no longer available.
contact-linked = Thanks! Your phone number is now linked to this chat.
image-received = Thanks for the picture! I can only read text and buttons. Here is the menu:
unsupported = Sorry, I can't read that kind of message. Type “menu” to browse the shop.
stale-button = That button belongs to an earlier step.
unknown-tap = Sorry, that button no longer works.

## Customizing a product: $product is its name, $group the option group ("size"),
## $step of $steps the position in the questions.

ask-option = { $product } ({ $step }/{ $steps }): choose the { $group }.
# $max: the longest text allowed, in characters.
ask-text = { $product } ({ $step }/{ $steps }): type the { $group }, up to { $max } characters.
# Button label.
skip = Skip
# Button label.
cancel = Cancel
try-again = Please choose again.
cancelled = Customization cancelled; nothing was added.

## Why a choice was refused

choice-wrong-step = That choice is for another step.
choice-unknown-option = I couldn't find that option.
# $option cannot go with $other, an option already chosen.
choice-excluded = { $option } can't be combined with { $other }.
# $needed: the options $option needs (one of them).
choice-requires = { $option } is only available with { $needed }.
choice-not-optional = This step can't be skipped.
choice-text-empty = The text is empty.
choice-text-too-long = That is longer than { $max } characters.
# $character: the character that cannot be used.
choice-text-character = “{ $character }” can't be used here: use letters, digits, spaces and . , ' & - !

## The cart

# $item and $price: what was added; $units: items now in the cart; $total: the cart's total.
added =
    Added to your cart: { $item } — { $price }.
    Your cart: { $units ->
        [one] { $units } item
       *[other] { $units } items
    }, { $total }.
cart-header = Your cart:
# One line of the cart: $n is its number in the list, $amount its price.
cart-line = { $n }. { $item } × { $quantity } — { $amount }
cart-total = Total: { $total }
cart-empty = Your cart is empty.
# Button label.
keep-shopping = Keep shopping
# Button label.
empty-cart = Empty cart
# Button label: change one line of the cart.
change = Change { $item }
line-view = { $item } × { $quantity }. What would you like to change?
# Button label.
one-more = One more
# Button label.
one-less = One less
# Button label.
remove = Remove
removed = Removed from your cart.
emptied = Your cart is now empty.
quantity-set = Quantity set to { $quantity }.
unknown-line = That item is no longer in your cart.
too-many = You can have at most { $max } of one item.
too-many-lines = Your cart can hold at most { $max } different items.
# Under a list of numbered choices, when the chat has no buttons (SMS).
reply-with-number = Reply with a number.

## Checkout

# Button label.
checkout = Checkout
checkout-empty = Your cart is empty, so there is nothing to check out.
# $minutes: how long the items are held; $total: the amount to pay.
reserved =
    Reserved for you for { $minutes } minutes. Total { $total }.
    Pay securely with Stripe:
# Button label.
pay-now = Pay now
qr-caption = Or scan this code to pay on another device.
# Button label.
cancel-reservation = Cancel reservation
sold-out = Sorry, { $item } is sold out. Your cart is unchanged.
# $limit: how many one customer may buy.
over-limit = Sorry, this drop allows { $limit } per customer, and that includes your other orders and chats. Your cart is unchanged.
# A drop is a sale that opens and closes at set times. $drop: its name; $when: its opening time.
drop-not-yet = { $drop } opens at { $when }. Your cart will wait for you.
drop-over = Sorry, { $drop } has ended.
payment-unavailable = Sorry, payment is unavailable right now. Nothing was charged; please try again later.

## Orders: $number is the order's number.

reservation-cancelled = Order { $number } is cancelled and nothing was charged.
already-paid = Order { $number } is already paid.
not-your-order = I can't find that order in this chat.
orders-header = Your orders:
# $status: one of the order-state-* messages below.
order-summary = #{ $number } — { $status } — { $total }
order-state-awaiting-payment = awaiting payment
order-state-paid = paid
order-state-lapsed = lapsed
order-state-cancelled = cancelled
order-state-under-review = under review
order-state-shipped = shipped
order-state-refunded = refunded
no-orders = You have no orders yet.
# $items: the order's lines, one per line.
confirmation =
    Thank you! Order { $number } is paid.
    { $items }
    Total: { $total }
    We'll message you here when it ships.
lapsed = Your reservation { $number } has lapsed, so the items went back on sale. Nothing was charged.
# Button label.
checkout-again = Check out again
shipped = Good news: order { $number } has shipped. Tracking number: { $tracking }
refunded = Order { $number } has been refunded in full.
late-payment = We received your payment for order { $number } after its reservation lapsed. Our team will contact you here shortly; you will not lose your money.
# A payment that does not match the order (amount, currency, page).
payment-under-review = We received a payment for order { $number } that we need to check before we confirm it. Our team will contact you here shortly; you will not lose your money.
# A method that settles later (a Konbini voucher, Pix) was chosen; $deadline is a local time.
awaiting-delayed-payment = Thank you! Order { $number } is held for you until { $deadline }. Please pay by then as the payment page showed you. We will confirm here when the payment arrives.
# That payment did not arrive by its deadline.
delayed-payment-failed = The payment for order { $number } did not arrive in time, so its items went back on sale. Nothing was charged.
# Button label.
my-orders = My orders

## Web pages the customer opens from the chat: a title and a sentence each.

# After paying on Stripe's page.
paid-page-title = Thank you
paid-page-text = Your payment is being confirmed. You can go back to the chat: the confirmation arrives there.
# The customer left Stripe's page without paying.
cancelled-page-title = Payment not completed
cancelled-page-text = Nothing was charged. Go back to the chat to pay while your reservation holds.
already-paid-page-title = Already paid
already-paid-page-text = Order { $number } is paid. Its updates arrive in your chat.
lapsed-page-title = This reservation has ended
lapsed-page-text = Reservation { $number } lapsed, so its items went back on sale and nothing was charged. Go back to the chat to check out again while stock remains.
unknown-link-page-title = Link not found
unknown-link-page-text = This pay link does not exist. Go back to the chat for a fresh one.
pay-link-failed-page-title = Please try again
pay-link-failed-page-text = We could not open the payment page just now. Nothing was charged.

# Language choice. The menu entry that opens the list; other locales add " / Language" so a
# reader who cannot read the current language still finds it.
language-entry = 🌐 Language
# Above the language list.
choose-language = Choose your language:
# The button that opens the list where a platform shows lists behind one.
languages-label = Languages
# After a tap on a language, in that language; $name is its name in itself.
language-set = I'll speak { $name } from now on.

# Waitlist
# Button below the sold-out answer.
waitlist-join-button = Join the waitlist
# After joining; $item: what they wait for.
waitlist-joined = You are on the waitlist for { $item }. If one comes back, we will hold it for you and write here.
# A unit came back and is held for this customer; $minutes: how long.
waitlist-offer = { $minutes ->
    [one] A { $item } came back and is held for you for 1 minute. Check out with one tap.
   *[other] A { $item } came back and is held for you for { $minutes } minutes. Check out with one tap.
}
# Button label.
waitlist-take-button = Check out now
# Button label.
waitlist-pass-button = No thanks
waitlist-passed = Thank you. We offered it to the next person in line.
waitlist-offer-gone = Sorry, this offer has ended.
# Button below "opens at": tell me when the drop opens.
remind-me-button = Remind me
# $when: the opening time on the customer's clock.
reminder-set = Done. We will write here when { $drop } opens at { $when }.
drop-opened = { $drop } is open now (since { $when }). Tap Menu to shop.

# Consent
# The menu entries that stop and restart drop announcements (order updates go on).
stop-announcements-entry = Stop announcements
start-announcements-entry = Get announcements
announcements-stopped = You won't get drop announcements from us any more. Updates about your orders still come here. Send START to hear about drops again.
announcements-started = You'll hear about our drops again. Send STOP to stop.
# $phone: the verified phone or "none"; $items: cart units; $announcements: in, out or never; $tags: the retailer's labels, comma-separated, or "none".
what-we-hold = What I hold about you: language { $language }; phone { $phone ->
        [none] none
       *[other] { $phone }
    }; { $items ->
        [0] an empty cart
        [one] 1 item in your cart
       *[other] { $items } items in your cart
    }; announcements { $announcements ->
        [in] on
        [out] off
       *[never] never asked for
    }; labels from our team { $tags ->
        [none] none
       *[other] { $tags }
    }. Send FORGET ME to erase it.
forgotten = I've forgotten this chat: its cart, language, phone number, labels and announcement choices. Your orders stay on our books, without your name.

# Draw
# A drop sold by a verifiable draw instead of first come. $closes, $until: times on the customer's clock; $entry: the entry id in the published list.
draw-only = { $drop } goes to a draw: enter before { $closes }, one entry per person, and the winners are drawn at random.
# Button label.
draw-enter-button = Enter the draw
draw-entered = You're in the draw for { $drop }. Your entry id is { $entry }. Entries close { $closes }; we'll write here with the result.
draw-already-entered = You're already in the draw for { $drop }: one entry per person.
draw-closed = Entries for { $drop } are closed.
draw-needs-phone = The draw for { $drop } takes one entry per verified phone number. Share your phone number first, then enter.
draw-won = You won the draw for { $drop }! Your item is reserved until { $until }. Pay with the link below.
draw-lost = The draw for { $drop } is done, and you weren't drawn this time. Join the waitlist: a unit a winner doesn't pay for is offered in line.
draw-not-a-winner = This is only for the winners of the draw for { $drop }.

# Campaign
# The last line of a drop announcement: the word that stops them (a STOP keyword of this language).
announcement-stop-hint = Send STOP to stop drop announcements.

# Understanding
# The answer to "thanks", above the menu.
youre-welcome = You're welcome! Anything else?
# Nothing matched $query; the nearest products follow, then the menu.
closest-matches = I found nothing for “{ $query }”. Did you mean one of these?
# Handoff
# A person takes the conversation over from the bot. $when: the next opening of the shop's support on the customer's clock.
handoff-soon = I've passed your conversation to a person on our team. They'll answer you here within a few minutes.
handoff-from = I've passed your conversation to a person on our team. We're closed right now, so they'll answer you here from { $when } (your time).

# Phone verification
# A drop that takes one person per phone: a chat whose app vouches for no phone number proves one by a code texted to it. $phone: the number in international format.
phone-ask = { $drop } is one per person, so we check a mobile number first. Send your number (as you dial it at home, or with + and the country code) and we'll text you a code.
phone-not-a-number = That doesn't look like a mobile number we can text. Please type it again, for example +44 7700 900123.
phone-code-sent = We've texted a code to { $phone }. Type it here: it works for { $minutes } minutes.
phone-type-code = Please type the code we texted to { $phone }, or ask for a new one.
phone-code-wrong = That code isn't right. { $left ->
        [one] One more try.
       *[other] { $left } more tries.
    }
phone-code-expired = That code has expired. Tap “New code” and we'll text you another.
phone-too-many-tries = Too many wrong codes. You can ask for a new code from { $when }.
phone-too-many-codes = We've texted this number too many codes for now. Please try again in 10 minutes.
phone-verify-unavailable = We can't send or check codes right now. Please try again in a few minutes.
# Button labels.
phone-new-code-button = New code
phone-other-number-button = Another number
# Where the platform has a button that sends the customer's own number (Telegram), after the ask.
phone-share-hint = Or share this account's number with the button below: no code needed.
phone-share-button = Share my number

# VIP
# A customer whose lifetime paid passed the shop's VIP threshold is handed to a person right after a payment; the handoff's own line (handoff-soon or handoff-from) follows.
vip-welcome = Thank you for being one of our most valued customers! Someone from our team will look after you personally.
# The button that asks for a person (KakaoTalk's operator action: the channel's own 1:1 chat).
# A Kakao button label: at most 14 characters, in every language.
talk-to-person = Ask a person
