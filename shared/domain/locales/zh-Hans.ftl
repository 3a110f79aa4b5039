### chatdrop's customer-facing text, Simplified Chinese (mainland China), translated from en.ftl.
###
### Syntax: https://projectfluent.org/fluent/guide/
### Each message id is the kebab-case name of a `Msg` variant (shared/domain/src/i18n.rs);
### a translation keeps every id and uses the same variables as en.ftl. Amounts, prices
### and dates arrive already formatted as text; counts ($units, $quantity, $max, …) are
### numbers. Chinese has only the `other` plural category, so no message needs a plural selector.
### Terms: 购物车 (cart), 结算 (checkout), 订单 (order), 菜单 (menu), 保留 (reservation),
### 发售 (drop), 定制 (customize). Quotes are “ ” as in mainland text.

## Browsing

welcome = 您好！欢迎光临本店，请问想看看什么？
# Button label.
menu-label = 菜单
# Button label: opens a list to choose from.
choose-label = 选择
choose-category = 请选择分类：
# $category: the category's name.
products-in = { $category }：请选择商品。
category-empty = { $category }暂时没有商品。
# The value: $name, $price, $description of a product.
# .options: added on a new line when the product has options; $options lists them.
product-detail =
    { $name } — { $price }
    { $description }
    .options = 可选项：{ $options }
# Button label.
customize-and-add = 定制并加入
# Button label.
add-to-cart = 加入购物车
# Button label.
back = 返回
# Button label.
view-cart = 查看购物车
# Button label.
menu = 菜单
# $query: what the customer typed.
search-results = 以下是“{ $query }”的搜索结果：
nothing-found = 没有找到“{ $query }”的相关商品。以下是菜单：
unknown-product = 抱歉，该商品已下架。
unknown-category = 抱歉，该分类已不存在。
contact-linked = 谢谢！您的手机号码已与此聊天绑定。
image-received = 谢谢您发来的图片！目前只能识别文字和按钮。以下是菜单：
unsupported = 抱歉，暂不支持此类消息。输入“菜单”即可浏览商品。
stale-button = 该按钮属于之前的步骤。
unknown-tap = 抱歉，该按钮已失效。

## Customizing a product: $product is its name, $group the option group ("size"),
## $step of $steps the position in the questions.

ask-option = { $product }（{ $step }/{ $steps }）：请选择{ $group }。
# $max: the longest text allowed, in characters.
ask-text = { $product }（{ $step }/{ $steps }）：请输入{ $group }，最多{ $max }个字符。
# Button label.
skip = 跳过
# Button label.
cancel = 取消
try-again = 请重新选择。
cancelled = 已取消定制，未加入任何商品。

## Why a choice was refused

choice-wrong-step = 该选项属于其他步骤。
choice-unknown-option = 没有找到该选项。
# $option cannot go with $other, an option already chosen.
choice-excluded = { $option }不能与{ $other }同时选择。
# $needed: the options $option needs (one of them).
choice-requires = { $option }需搭配{ $needed }才能选择。
choice-not-optional = 此步骤不能跳过。
choice-text-empty = 文字不能为空。
choice-text-too-long = 内容超过了{ $max }个字符。
# $character: the character that cannot be used.
choice-text-character = 此处不能使用“{ $character }”。只能使用英文字母、数字、空格和 . , ' & - !

## The cart

# $item and $price: what was added; $units: items now in the cart; $total: the cart's total.
added =
    已加入购物车：{ $item } — { $price }。
    购物车共{ $units }件商品，合计{ $total }。
cart-header = 您的购物车：
# One line of the cart: $n is its number in the list, $amount its price.
cart-line = { $n }. { $item } × { $quantity } — { $amount }
cart-total = 合计：{ $total }
cart-empty = 您的购物车是空的。
# Button label.
keep-shopping = 继续购物
# Button label.
empty-cart = 清空购物车
# Button label: change one line of the cart.
change = 修改{ $item }
line-view = { $item } × { $quantity }。请问要如何修改？
# Button label.
one-more = 加一件
# Button label.
one-less = 减一件
# Button label.
remove = 删除
removed = 已从购物车中删除。
emptied = 购物车已清空。
quantity-set = 数量已改为{ $quantity }。
unknown-line = 该商品已不在购物车中。
too-many = 同一商品最多可购买{ $max }件。
too-many-lines = 购物车最多可放{ $max }种不同商品。
# Under a list of numbered choices, when the chat has no buttons (SMS).
reply-with-number = 请回复对应的数字。

## Checkout

# Button label.
checkout = 去结算
checkout-empty = 购物车是空的，无法结算。
# $minutes: how long the items are held; $total: the amount to pay.
reserved =
    已为您保留{ $minutes }分钟，合计{ $total }。
    请通过Stripe安全支付：
# Button label.
pay-now = 立即支付
qr-caption = 您也可以用其他设备扫描此二维码付款。
# Button label.
cancel-reservation = 取消保留
sold-out = 抱歉，{ $item }已售罄。您的购物车保持不变。
# $limit: how many one customer may buy.
over-limit = 抱歉，本次发售每人限购{ $limit }件（包括您在其他订单和聊天中购买的数量）。您的购物车保持不变。
# A drop is a sale that opens and closes at set times. $drop: its name; $when: its opening time.
drop-not-yet = { $drop }将于{ $when }开售，购物车会为您保存。
drop-over = 抱歉，{ $drop }已结束。
payment-unavailable = 抱歉，暂时无法付款。本次未扣款，请稍后再试。

## Orders: $number is the order's number.

reservation-cancelled = 订单{ $number }已取消，未扣款。
already-paid = 订单{ $number }已付款。
not-your-order = 在此聊天中找不到该订单。
orders-header = 您的订单：
# $status: one of the order-state-* messages below.
order-summary = #{ $number } — { $status } — { $total }
order-state-awaiting-payment = 待付款
order-state-paid = 已付款
order-state-lapsed = 已过期
order-state-cancelled = 已取消
order-state-under-review = 审核中
order-state-shipped = 已发货
order-state-refunded = 已退款
no-orders = 您还没有订单。
# $items: the order's lines, one per line.
confirmation =
    谢谢！订单{ $number }支付成功。
    { $items }
    合计：{ $total }
    发货后我们会在这里通知您。
lapsed = 订单{ $number }已超过保留时间，商品已重新开放购买。未扣款。
# Button label.
checkout-again = 重新结算
shipped = 好消息！订单{ $number }已发货，物流单号：{ $tracking }
refunded = 订单{ $number }已全额退款。
late-payment = 我们在订单{ $number }的保留时间过后才收到您的付款。客服会尽快在这里联系您，您不会因此损失任何款项。
# A payment that does not match the order (amount, currency, page).
payment-under-review = 我们收到了订单{ $number }的一笔付款，需要核实后才能确认。客服会尽快在这里联系您，您不会因此损失任何款项。
awaiting-delayed-payment = 谢谢！订单{ $number }为您保留至{ $deadline }。请按付款页面的说明在此之前付款。收到付款后，我们会在这里确认。
delayed-payment-failed = 订单{ $number }的付款未在期限内到账，商品已重新开放购买。未扣款。
# Button label.
my-orders = 我的订单

## Web pages the customer opens from the chat: a title and a sentence each.

# After paying on Stripe's page.
paid-page-title = 谢谢您
paid-page-text = 正在确认您的付款。您可以返回聊天，确认消息会发送到那里。
# The customer left Stripe's page without paying.
cancelled-page-title = 付款未完成
cancelled-page-text = 未扣款。请在保留时间内返回聊天完成付款。
already-paid-page-title = 已付款
already-paid-page-text = 订单{ $number }已付款，后续通知会发送到您的聊天中。
lapsed-page-title = 保留时间已结束
lapsed-page-text = 订单{ $number }已超过保留时间，商品已重新开放购买，未扣款。如仍有库存，可返回聊天重新结算。
unknown-link-page-title = 链接不存在
unknown-link-page-text = 此付款链接不存在。请返回聊天获取新的链接。
pay-link-failed-page-title = 请重试
pay-link-failed-page-text = 暂时无法打开付款页面。未扣款。

language-entry = 🌐 语言 / Language
choose-language = 请选择语言：
languages-label = 语言
language-set = 接下来我会用{ $name }和您交流。

# Waitlist
waitlist-join-button = 加入候补名单
waitlist-joined = 您已加入{ $item }的候补名单。有货时我们会为您保留，并在这里通知您。
waitlist-offer = { $item }有货了，已为您保留{ $minutes }分钟。一键即可结算。
waitlist-take-button = 立即结算
waitlist-pass-button = 不用了，谢谢
waitlist-passed = 谢谢。我们已转给候补名单上的下一位。
waitlist-offer-gone = 抱歉，这次保留已结束。
remind-me-button = 开售提醒我
reminder-set = 好的。{ $drop }在{ $when }开售时，我们会在这里通知您。
drop-opened = { $drop }已开售（自{ $when }起）。点“菜单”即可选购。

# Consent
stop-announcements-entry = 退订上新通知
start-announcements-entry = 接收上新通知
announcements-stopped = 您将不再收到上新通知。订单进度仍会在这里通知您。发送“订阅”可重新接收。
announcements-started = 您将重新收到我们的上新通知。发送“退订”可停止。
what-we-hold = 我们保存的您的信息：语言 { $language }；电话 { $phone ->
        [none] 无
       *[other] { $phone }
    }；购物车 { $items } 件商品；上新通知 { $announcements ->
        [in] 已开启
        [out] 已关闭
       *[never] 未订阅
    }；店员添加的标签 { $tags ->
        [none] 无
       *[other] { $tags }
    }。发送“删除我的数据”可删除。
forgotten = 已删除此对话的购物车、语言、电话、标签和通知设置。您的订单金额仍保留在账目中，但不含您的姓名。

# Draw
draw-only = { $drop } 采用抽签发售：请在 { $closes } 前报名，每人限报一次，中签者随机抽出。
draw-enter-button = 参加抽签
draw-entered = 您已参加 { $drop } 的抽签。您的报名编号是 { $entry }。报名于 { $closes } 截止，结果会在这里通知您。
draw-already-entered = 您已参加 { $drop } 的抽签：每人限报一次。
draw-closed = { $drop } 的报名已截止。
draw-needs-phone = { $drop } 的抽签每个已验证的手机号限报一次。请先分享您的手机号，再报名。
draw-won = 恭喜您抽中 { $drop }！商品为您保留至 { $until }。请通过下方链接付款。
draw-lost = { $drop } 的抽签已结束，这次您没有中签。可加入候补名单：中签者未付款的商品会按顺序提供。
draw-not-a-winner = 此操作仅限 { $drop } 抽签的中签者。

# Campaign
# The last line of a drop announcement: the word that stops them (a STOP keyword of this language).
announcement-stop-hint = 回复“退订”即可停止接收新品发售通知。

# Understanding
youre-welcome = 不客气！还需要什么吗？
closest-matches = 没有找到“{ $query }”。您是不是要找这些？
# Handoff
handoff-soon = 已为您转接人工客服，几分钟内会在这里回复您。
handoff-from = 已为您转接人工客服。我们现在不在服务时间，客服将于 { $when }（您的当地时间）起在这里回复您。

# Phone verification
phone-ask = { $drop } 每人限一份，所以我们先验证一个手机号码。请发送你的号码（按本地拨号方式，或加 + 和国家代码），我们会用短信发给你验证码。
phone-not-a-number = 这看起来不是可以接收短信的手机号码。请重新输入，例如 138 0013 8000。
phone-code-sent = 验证码已发送到 { $phone }。请在这里输入，{ $minutes } 分钟内有效。
phone-type-code = 请输入我们发送到 { $phone } 的验证码，或者重新获取一个。
phone-code-wrong = 验证码不正确。还可以尝试 { $left } 次。
phone-code-expired = 验证码已过期。点击“新验证码”，我们会再发一个。
phone-too-many-tries = 错误次数过多。你可以从 { $when } 起重新获取验证码。
phone-too-many-codes = 这个号码收到的验证码已经太多了。请 10 分钟后再试。
phone-verify-unavailable = 暂时无法发送或核对验证码。请几分钟后再试。
phone-new-code-button = 新验证码
phone-other-number-button = 换个号码
phone-share-hint = 或者用下面的按钮分享这个账号的号码，无需验证码。
phone-share-button = 分享我的号码

# VIP
# A customer whose lifetime paid passed the shop's VIP threshold is handed to a person right after a payment; the handoff's own line (handoff-soon or handoff-from) follows.
vip-welcome = 感谢您一直以来的支持！作为我们的贵宾，将由专人为您服务。
# The button that asks for a person (KakaoTalk's operator action: the channel's own 1:1 chat).
talk-to-person = 转人工客服
