### chatdrop's customer-facing text, Traditional Chinese (Taiwan vocabulary, also read in
### Hong Kong), translated from en.ftl.
###
### Syntax: https://projectfluent.org/fluent/guide/
### Each message id is the kebab-case name of a `Msg` variant (shared/domain/src/i18n.rs);
### a translation keeps every id and uses the same variables as en.ftl. Amounts, prices
### and dates arrive already formatted as text; counts ($units, $quantity, $max, …) are
### numbers. Chinese has only the `other` plural category, so no message needs a plural selector.
### Terms: 購物車 (cart), 結帳 (checkout), 訂單 (order), 選單 (menu), 保留 (reservation),
### 發售 (drop), 客製化 (customize), 聊天室 (chat). Quotes are 「」.

## Browsing

welcome = 您好！歡迎光臨本店，請問想看看什麼？
# Button label.
menu-label = 選單
# Button label: opens a list to choose from.
choose-label = 選擇
choose-category = 請選擇分類：
# $category: the category's name.
products-in = { $category }：請選擇商品。
category-empty = { $category }目前沒有商品。
# The value: $name, $price, $description of a product.
# .options: added on a new line when the product has options; $options lists them.
product-detail =
    { $name } — { $price }
    { $description }
    .options = 可選項目：{ $options }
# Button label.
customize-and-add = 客製化並加入
# Button label.
add-to-cart = 加入購物車
# Button label.
back = 返回
# Button label.
view-cart = 查看購物車
# Button label.
menu = 選單
# $query: what the customer typed.
search-results = 以下是「{ $query }」的搜尋結果：
nothing-found = 找不到「{ $query }」的相關商品。以下是選單：
unknown-product = 抱歉，此商品已下架。
unknown-category = 抱歉，此分類已不存在。
contact-linked = 謝謝！您的手機號碼已與此聊天室綁定。
image-received = 謝謝您傳來的圖片！目前只能讀取文字和按鈕。以下是選單：
unsupported = 抱歉，目前不支援這類訊息。輸入「選單」即可瀏覽商品。
stale-button = 這個按鈕屬於先前的步驟。
unknown-tap = 抱歉，這個按鈕已失效。

## Customizing a product: $product is its name, $group the option group ("size"),
## $step of $steps the position in the questions.

ask-option = { $product }（{ $step }/{ $steps }）：請選擇{ $group }。
# $max: the longest text allowed, in characters.
ask-text = { $product }（{ $step }/{ $steps }）：請輸入{ $group }，最多{ $max }個字元。
# Button label.
skip = 跳過
# Button label.
cancel = 取消
try-again = 請重新選擇。
cancelled = 已取消客製化，未加入任何商品。

## Why a choice was refused

choice-wrong-step = 此選項屬於其他步驟。
choice-unknown-option = 找不到此選項。
# $option cannot go with $other, an option already chosen.
choice-excluded = { $option }無法與{ $other }同時選擇。
# $needed: the options $option needs (one of them).
choice-requires = { $option }需搭配{ $needed }才能選擇。
choice-not-optional = 此步驟無法跳過。
choice-text-empty = 文字不能空白。
choice-text-too-long = 內容超過了{ $max }個字元。
# $character: the character that cannot be used.
choice-text-character = 此處不能使用「{ $character }」。只能使用英文字母、數字、空格及 . , ' & - !

## The cart

# $item and $price: what was added; $units: items now in the cart; $total: the cart's total.
added =
    已加入購物車：{ $item } — { $price }。
    購物車共{ $units }件商品，合計{ $total }。
cart-header = 您的購物車：
# One line of the cart: $n is its number in the list, $amount its price.
cart-line = { $n }. { $item } × { $quantity } — { $amount }
cart-total = 合計：{ $total }
cart-empty = 您的購物車是空的。
# Button label.
keep-shopping = 繼續購物
# Button label.
empty-cart = 清空購物車
# Button label: change one line of the cart.
change = 修改{ $item }
line-view = { $item } × { $quantity }。請問要如何修改？
# Button label.
one-more = 加一件
# Button label.
one-less = 減一件
# Button label.
remove = 移除
removed = 已從購物車移除。
emptied = 購物車已清空。
quantity-set = 數量已改為{ $quantity }。
unknown-line = 此商品已不在購物車中。
too-many = 同一商品最多可購買{ $max }件。
too-many-lines = 購物車最多可放{ $max }種不同商品。
# Under a list of numbered choices, when the chat has no buttons (SMS).
reply-with-number = 請回覆對應的數字。

## Checkout

# Button label.
checkout = 結帳
checkout-empty = 購物車是空的，無法結帳。
# $minutes: how long the items are held; $total: the amount to pay.
reserved =
    已為您保留{ $minutes }分鐘，合計{ $total }。
    請透過Stripe安全付款：
# Button label.
pay-now = 立即付款
qr-caption = 您也可以用其他裝置掃描此QR碼付款。
# Button label.
cancel-reservation = 取消保留
sold-out = 抱歉，{ $item }已售完。您的購物車維持不變。
# $limit: how many one customer may buy.
over-limit = 抱歉，本次發售每人限購{ $limit }件（包含您在其他訂單及聊天室中購買的數量）。您的購物車維持不變。
# A drop is a sale that opens and closes at set times. $drop: its name; $when: its opening time.
drop-not-yet = { $drop }將於{ $when }開賣，購物車會為您保存。
drop-over = 抱歉，{ $drop }已結束。
payment-unavailable = 抱歉，目前無法付款。本次並未扣款，請稍後再試。

## Orders: $number is the order's number.

reservation-cancelled = 訂單{ $number }已取消，並未扣款。
already-paid = 訂單{ $number }已付款。
not-your-order = 在此聊天室中找不到這筆訂單。
orders-header = 您的訂單：
# $status: one of the order-state-* messages below.
order-summary = #{ $number } — { $status } — { $total }
order-state-awaiting-payment = 待付款
order-state-paid = 已付款
order-state-lapsed = 已逾期
order-state-cancelled = 已取消
order-state-under-review = 審核中
order-state-shipped = 已出貨
order-state-refunded = 已退款
no-orders = 您目前沒有訂單。
# $items: the order's lines, one per line.
confirmation =
    謝謝！訂單{ $number }付款成功。
    { $items }
    合計：{ $total }
    出貨後我們會在這裡通知您。
lapsed = 訂單{ $number }已超過保留時間，商品已重新開放購買。並未扣款。
# Button label.
checkout-again = 重新結帳
shipped = 好消息！訂單{ $number }已出貨，物流追蹤編號：{ $tracking }
refunded = 訂單{ $number }已全額退款。
late-payment = 我們在訂單{ $number }的保留時間結束後才收到您的付款。客服人員會盡快在這裡與您聯絡，您不會因此損失任何款項。
# A payment that does not match the order (amount, currency, page).
payment-under-review = 我們收到了訂單{ $number }的一筆付款，需要先核對才能確認。客服人員會盡快在這裡與您聯絡，您不會因此損失任何款項。
awaiting-delayed-payment = 謝謝！訂單{ $number }為您保留至{ $deadline }。請依付款頁面的說明在此之前付款。收到付款後，我們會在這裡確認。
delayed-payment-failed = 訂單{ $number }的付款未在期限內入帳，商品已重新開放購買。並未扣款。
# Button label.
my-orders = 我的訂單

## Web pages the customer opens from the chat: a title and a sentence each.

# After paying on Stripe's page.
paid-page-title = 謝謝您
paid-page-text = 正在確認您的付款。您可以回到聊天室，確認通知會傳送到那裡。
# The customer left Stripe's page without paying.
cancelled-page-title = 付款未完成
cancelled-page-text = 並未扣款。請在保留時間內回到聊天室完成付款。
already-paid-page-title = 已付款
already-paid-page-text = 訂單{ $number }已付款，後續通知會傳送到您的聊天室。
lapsed-page-title = 保留時間已結束
lapsed-page-text = 訂單{ $number }已超過保留時間，商品已重新開放購買，並未扣款。如仍有庫存，可回到聊天室重新結帳。
unknown-link-page-title = 找不到連結
unknown-link-page-text = 此付款連結不存在。請回到聊天室取得新的連結。
pay-link-failed-page-title = 請再試一次
pay-link-failed-page-text = 目前無法開啟付款頁面。並未扣款。

language-entry = 🌐 語言 / Language
choose-language = 請選擇語言：
languages-label = 語言
language-set = 接下來我會用{ $name }與您交流。

# Waitlist
waitlist-join-button = 加入候補名單
waitlist-joined = 您已加入{ $item }的候補名單。有貨時我們會為您保留，並在這裡通知您。
waitlist-offer = { $item }有貨了，已為您保留{ $minutes }分鐘。一鍵即可結帳。
waitlist-take-button = 立即結帳
waitlist-pass-button = 不用了，謝謝
waitlist-passed = 謝謝。我們已轉給候補名單上的下一位。
waitlist-offer-gone = 抱歉，這次保留已結束。
remind-me-button = 開賣提醒我
reminder-set = 好的。{ $drop }在{ $when }開賣時，我們會在這裡通知您。
drop-opened = { $drop }已開賣（自{ $when }起）。點「選單」即可選購。

# Consent
stop-announcements-entry = 退訂新品通知
start-announcements-entry = 接收新品通知
announcements-stopped = 您將不再收到新品通知。訂單進度仍會在這裡通知您。傳送「訂閱」可重新接收。
announcements-started = 您將重新收到我們的新品通知。傳送「退訂」可停止。
what-we-hold = 我們保存的您的資料：語言 { $language }；電話 { $phone ->
        [none] 無
       *[other] { $phone }
    }；購物車 { $items } 件商品；新品通知 { $announcements ->
        [in] 已開啟
        [out] 已關閉
       *[never] 未訂閱
    }；店員加上的標籤 { $tags ->
        [none] 無
       *[other] { $tags }
    }。傳送「刪除我的資料」可刪除。
forgotten = 已刪除此對話的購物車、語言、電話、標籤和通知設定。您的訂單金額仍保留在帳目中，但不含您的姓名。

# Draw
draw-only = { $drop } 採用抽籤發售：請在 { $closes } 前報名，每人限報一次，中籤者隨機抽出。
draw-enter-button = 參加抽籤
draw-entered = 您已參加 { $drop } 的抽籤。您的報名編號是 { $entry }。報名於 { $closes } 截止，結果會在這裡通知您。
draw-already-entered = 您已參加 { $drop } 的抽籤：每人限報一次。
draw-closed = { $drop } 的報名已截止。
draw-needs-phone = { $drop } 的抽籤每個已驗證的手機號碼限報一次。請先分享您的手機號碼，再報名。
draw-won = 恭喜您抽中 { $drop }！商品為您保留至 { $until }。請透過下方連結付款。
draw-lost = { $drop } 的抽籤已結束，這次您沒有中籤。可加入候補名單：中籤者未付款的商品會依序提供。
draw-not-a-winner = 此操作僅限 { $drop } 抽籤的中籤者。

# Campaign
# The last line of a drop announcement: the word that stops them (a STOP keyword of this language).
announcement-stop-hint = 回覆「退訂」即可停止接收新品發售通知。

# Understanding
youre-welcome = 不客氣！還需要什麼嗎？
closest-matches = 找不到「{ $query }」。您是不是要找這些？
# Handoff
handoff-soon = 已為您轉接真人客服，幾分鐘內會在這裡回覆您。
handoff-from = 已為您轉接真人客服。我們目前不在服務時間，客服將於 { $when }（您的當地時間）起在這裡回覆您。

# Phone verification
phone-ask = { $drop } 每人限一份，所以我們先驗證一個手機號碼。請傳送你的號碼（依本地撥號方式，或加上 + 和國碼），我們會用簡訊寄給你驗證碼。
phone-not-a-number = 這看起來不是可以收簡訊的手機號碼。請重新輸入，例如 0912 345 678。
phone-code-sent = 驗證碼已寄到 { $phone }。請在這裡輸入，{ $minutes } 分鐘內有效。
phone-type-code = 請輸入我們寄到 { $phone } 的驗證碼，或重新索取一組。
phone-code-wrong = 驗證碼不正確。還可以再試 { $left } 次。
phone-code-expired = 驗證碼已過期。點選「新驗證碼」，我們會再寄一組。
phone-too-many-tries = 錯誤次數太多。你可以從 { $when } 起重新索取驗證碼。
phone-too-many-codes = 這個號碼收到的驗證碼已經太多了。請 10 分鐘後再試。
phone-verify-unavailable = 目前無法寄送或核對驗證碼。請幾分鐘後再試。
phone-new-code-button = 新驗證碼
phone-other-number-button = 換個號碼
phone-share-hint = 或者用下面的按鈕分享這個帳號的號碼，不需要驗證碼。
phone-share-button = 分享我的號碼

# VIP
# A customer whose lifetime paid passed the shop's VIP threshold is handed to a person right after a payment; the handoff's own line (handoff-soon or handoff-from) follows.
vip-welcome = 感謝您一直以來的支持！作為我們的貴賓，將由專人為您服務。
# The button that asks for a person (KakaoTalk's operator action: the channel's own 1:1 chat).
talk-to-person = 轉真人客服
