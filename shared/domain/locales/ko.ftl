### chatdrop's customer-facing text, Korean (ko): translated from en.ftl, polite 해요체.
###
### Syntax: https://projectfluent.org/fluent/guide/
### Each message id is the kebab-case name of a `Msg` variant (shared/domain/src/i18n.rs);
### a translation keeps every id and uses the same variables as this file. Amounts, prices
### and dates arrive already formatted as text; counts ($units, $quantity, $max, …) are
### numbers, so plural selectors work on them. Keep messages short: they are chat messages
### and button labels (a Telegram button shows about 20 characters on a phone).
### Korean has only the CLDR plural category `other`, so no message selects on a number.
### A variable's last sound is unknown, so no particle (은/는, 이/가, 을/를) follows one
### directly: a noun comes between (“{ $option } 옵션은”), or the particle follows brackets.

## Browsing

welcome = 안녕하세요! 저희 샵에 오신 것을 환영해요. 어떤 상품을 보여 드릴까요?
# Button label.
menu-label = 메뉴
# Button label: opens a list to choose from.
choose-label = 선택하기
choose-category = 카테고리를 선택해 주세요:
# $category: the category's name.
products-in = { $category }: 상품을 선택해 주세요.
category-empty = 지금은 { $category } 카테고리에 상품이 없어요.
# The value: $name, $price, $description of a product.
# .options: added on a new line when the product has options; $options lists them.
product-detail =
    { $name } — { $price }
    { $description }
    .options = 선택 옵션: { $options }
# Button label.
customize-and-add = 옵션 선택 후 담기
# Button label.
add-to-cart = 장바구니 담기
# Button label.
back = 뒤로
# Button label.
view-cart = 장바구니 보기
# Button label.
menu = 메뉴
# $query: what the customer typed.
search-results = “{ $query }” 검색 결과예요:
nothing-found = “{ $query }” 검색 결과가 없어요. 메뉴를 보여 드릴게요:
unknown-product = 죄송해요, 이 상품은 더 이상 판매하지 않아요.
unknown-category = 죄송해요, 이 카테고리는 더 이상 없어요.
contact-linked = 감사합니다! 휴대폰 번호가 이 채팅에 연결되었어요.
image-received = 사진 감사합니다! 이 채팅에서는 텍스트와 버튼만 읽을 수 있어요. 메뉴를 보여 드릴게요:
unsupported = 죄송해요, 이런 종류의 메시지는 읽을 수 없어요. “메뉴”라고 입력하시면 상품을 둘러보실 수 있어요.
stale-button = 이전 단계의 버튼이에요.
unknown-tap = 죄송해요, 이 버튼은 더 이상 사용할 수 없어요.

## Customizing a product: $product is its name, $group the option group ("size"),
## $step of $steps the position in the questions.

ask-option = { $product } ({ $step }/{ $steps }): { $group } 선택해 주세요.
# $max: the longest text allowed, in characters.
ask-text = { $product } ({ $step }/{ $steps }): { $group } 입력해 주세요. 최대 { $max }자까지 가능해요.
# Button label.
skip = 건너뛰기
# Button label.
cancel = 취소
try-again = 다시 선택해 주세요.
cancelled = 옵션 선택을 취소해서 장바구니에 담지 않았어요.

## Why a choice was refused

choice-wrong-step = 다른 단계의 선택이에요.
choice-unknown-option = 해당 옵션을 찾을 수 없어요.
# $option cannot go with $other, an option already chosen.
choice-excluded = { $option } 옵션은 { $other } 옵션과 함께 선택할 수 없어요.
# $needed: the options $option needs (one of them).
choice-requires = { $option } 옵션은 { $needed } 옵션을 선택한 경우에만 가능해요.
choice-not-optional = 이 단계는 건너뛸 수 없어요.
choice-text-empty = 입력된 내용이 없어요.
choice-text-too-long = { $max }자를 넘었어요.
# $character: the character that cannot be used.
choice-text-character = “{ $character }” 문자는 사용할 수 없어요. 영문, 숫자, 띄어쓰기와 . , ' & - ! 만 사용할 수 있어요.

## The cart

# $item and $price: what was added; $units: items now in the cart; $total: the cart's total.
added =
    장바구니에 담았어요: { $item } — { $price }
    장바구니: 상품 { $units }개, { $total }
cart-header = 장바구니:
# One line of the cart: $n is its number in the list, $amount its price.
cart-line = { $n }. { $item } × { $quantity } — { $amount }
cart-total = 합계: { $total }
cart-empty = 장바구니가 비어 있어요.
# Button label.
keep-shopping = 계속 쇼핑하기
# Button label.
empty-cart = 장바구니 비우기
# Button label: change one line of the cart.
change = { $item } 변경
line-view = { $item } × { $quantity }. 어떻게 변경할까요?
# Button label.
one-more = 1개 추가
# Button label.
one-less = 1개 빼기
# Button label.
remove = 삭제
removed = 장바구니에서 삭제했어요.
emptied = 장바구니를 비웠어요.
quantity-set = 수량을 { $quantity }개로 변경했어요.
unknown-line = 이 상품은 장바구니에 없어요.
too-many = 한 상품은 최대 { $max }개까지 담을 수 있어요.
too-many-lines = 장바구니에는 최대 { $max }가지 상품까지 담을 수 있어요.
# Under a list of numbered choices, when the chat has no buttons (SMS).
reply-with-number = 번호로 답장해 주세요.

## Checkout

# Button label.
checkout = 주문하기
checkout-empty = 장바구니가 비어 있어서 주문할 상품이 없어요.
# $minutes: how long the items are held; $total: the amount to pay.
reserved =
    { $minutes }분 동안 상품을 예약해 두었어요. 합계 { $total }.
    Stripe로 안전하게 결제해 주세요:
# Button label.
pay-now = 결제하기
qr-caption = 다른 기기에서 결제하시려면 이 코드를 스캔해 주세요.
# Button label.
cancel-reservation = 예약 취소
sold-out = 죄송해요, { $item } 상품은 품절되었어요. 장바구니는 그대로예요.
# $limit: how many one customer may buy.
over-limit = 죄송해요, 이번 판매는 1인당 { $limit }개까지 구매할 수 있어요. 다른 주문과 채팅에서 담은 수량도 포함돼요. 장바구니는 그대로예요.
# A drop is a sale that opens and closes at set times. $drop: its name; $when: its opening time.
drop-not-yet = { $drop } 판매는 { $when }에 시작돼요. 장바구니는 그대로 유지돼요.
drop-over = 죄송해요, { $drop } 판매가 종료되었어요.
payment-unavailable = 죄송해요, 지금은 결제할 수 없어요. 결제된 금액은 없어요. 잠시 후 다시 시도해 주세요.

## Orders: $number is the order's number.

reservation-cancelled = 주문({ $number })이 취소되었어요. 결제된 금액은 없어요.
already-paid = 주문({ $number })은 이미 결제되었어요.
not-your-order = 이 채팅에서 해당 주문을 찾을 수 없어요.
orders-header = 주문 내역:
# $status: one of the order-state-* messages below.
order-summary = #{ $number } — { $status } — { $total }
order-state-awaiting-payment = 결제 대기
order-state-paid = 결제 완료
order-state-lapsed = 예약 만료
order-state-cancelled = 취소 완료
order-state-under-review = 확인 중
order-state-shipped = 발송 완료
order-state-refunded = 환불 완료
no-orders = 아직 주문 내역이 없어요.
# $items: the order's lines, one per line.
confirmation =
    감사합니다! 주문({ $number }) 결제가 완료되었어요.
    { $items }
    합계: { $total }
    상품이 발송되면 이 채팅으로 알려 드릴게요.
lapsed = 예약({ $number }) 시간이 지나서 상품이 다시 판매 중이에요. 결제된 금액은 없어요.
# Button label.
checkout-again = 다시 주문하기
shipped = 좋은 소식이에요! 주문({ $number })이 발송되었어요. 운송장 번호: { $tracking }
refunded = 주문({ $number }) 금액이 전액 환불되었어요.
late-payment = 예약 시간이 지난 후에 주문({ $number }) 결제가 들어왔어요. 담당자가 곧 이 채팅으로 연락드릴게요. 결제하신 금액은 안전하게 처리되니 안심하세요.
# A payment that does not match the order (amount, currency, page).
payment-under-review = 주문({ $number }) 결제가 들어왔는데, 확정하기 전에 확인이 필요해요. 담당자가 곧 이 채팅으로 연락드릴게요. 결제하신 금액은 안전하게 처리되니 안심하세요.
awaiting-delayed-payment = 감사합니다! 주문({ $number })을 { $deadline }까지 보관해 드려요. 결제 페이지 안내대로 그때까지 결제해 주세요. 결제가 확인되면 이 채팅으로 알려 드릴게요.
delayed-payment-failed = 주문({ $number }) 결제가 기한 안에 들어오지 않아 상품이 다시 판매 중이에요. 결제된 금액은 없어요.
# Button label.
my-orders = 내 주문

## Web pages the customer opens from the chat: a title and a sentence each.

# After paying on Stripe's page.
paid-page-title = 감사합니다
paid-page-text = 결제를 확인하고 있어요. 채팅으로 돌아가셔도 돼요. 확인 메시지는 채팅으로 보내 드려요.
# The customer left Stripe's page without paying.
cancelled-page-title = 결제가 완료되지 않았어요
cancelled-page-text = 결제된 금액은 없어요. 예약 시간이 지나기 전에 채팅으로 돌아가서 결제해 주세요.
already-paid-page-title = 이미 결제된 주문이에요
already-paid-page-text = 주문({ $number })은 결제가 완료되었어요. 진행 상황은 채팅으로 알려 드려요.
lapsed-page-title = 예약 시간이 지났어요
lapsed-page-text = 예약({ $number }) 시간이 지나서 상품이 다시 판매 중이에요. 결제된 금액은 없어요. 재고가 남아 있다면 채팅으로 돌아가서 다시 주문해 주세요.
unknown-link-page-title = 링크를 찾을 수 없어요
unknown-link-page-text = 존재하지 않는 결제 링크예요. 채팅으로 돌아가서 새 링크를 받아 주세요.
pay-link-failed-page-title = 다시 시도해 주세요
pay-link-failed-page-text = 지금 결제 페이지를 열지 못했어요. 결제된 금액은 없어요.

language-entry = 🌐 언어 / Language
choose-language = 언어를 선택해 주세요:
languages-label = 언어
language-set = 이제부터 { $name }(으)로 안내해 드릴게요.

# Waitlist
waitlist-join-button = 대기 명단에 등록
waitlist-joined = { $item } 대기 명단에 등록했어요. 재고가 돌아오면 예약해 두고 여기로 알려 드릴게요.
waitlist-offer = { $item } 재고가 돌아왔어요. { $minutes }분 동안 예약해 두었어요. 한 번에 주문할 수 있어요.
waitlist-take-button = 지금 주문하기
waitlist-pass-button = 괜찮아요
waitlist-passed = 감사합니다. 다음 대기자에게 안내했어요.
waitlist-offer-gone = 죄송해요, 이 안내는 끝났어요.
remind-me-button = 알림 받기
reminder-set = 알겠어요. { $drop } 판매가 { $when }에 시작되면 여기로 알려 드릴게요.
drop-opened = { $drop } 판매가 시작되었어요({ $when }부터). 메뉴를 눌러 쇼핑하세요.

# Consent
stop-announcements-entry = 소식 수신거부
start-announcements-entry = 소식 받기
announcements-stopped = 이제 신상품 소식을 보내지 않습니다. 주문 관련 알림은 계속 이곳으로 보내 드립니다. 다시 받으시려면 '수신동의'를 보내 주세요.
announcements-started = 신상품 소식을 다시 보내 드립니다. 그만 받으시려면 '수신거부'를 보내 주세요.
what-we-hold = 보관 중인 정보: 언어 { $language }, 전화번호 { $phone ->
        [none] 없음
       *[other] { $phone }
    }, 장바구니 상품 { $items }개, 소식 { $announcements ->
        [in] 수신
        [out] 거부
       *[never] 미신청
    }, 직원이 붙인 라벨 { $tags ->
        [none] 없음
       *[other] { $tags }
    }. 삭제하려면 '내 정보 삭제'를 보내 주세요.
forgotten = 이 채팅의 장바구니, 언어, 전화번호, 라벨, 소식 수신 설정을 삭제했습니다. 주문 금액은 이름 없이 장부에 남습니다.

# Draw
draw-only = { $drop }은(는) 추첨으로 판매해요. { $closes } 전에 응모하세요. 1인 1회, 당첨자는 무작위로 뽑아요.
draw-enter-button = 추첨 응모
draw-entered = { $drop } 추첨에 응모했어요. 응모 번호는 { $entry }예요. 응모는 { $closes }에 마감되고, 결과는 여기로 알려 드려요.
draw-already-entered = 이미 { $drop } 추첨에 응모했어요. 1인 1회만 응모할 수 있어요.
draw-closed = { $drop } 응모가 마감되었어요.
draw-needs-phone = { $drop } 추첨은 인증된 전화번호당 1회 응모할 수 있어요. 먼저 전화번호를 공유한 뒤 응모하세요.
draw-won = { $drop } 추첨에 당첨되었어요! 상품은 { $until }까지 확보해 두었어요. 아래 링크로 결제하세요.
draw-lost = { $drop } 추첨이 끝났고, 이번에는 당첨되지 않았어요. 대기자 명단에 등록하면 당첨자가 결제하지 않은 상품을 순서대로 안내해 드려요.
draw-not-a-winner = { $drop } 추첨 당첨자만 이용할 수 있어요.

# Campaign
# The last line of a drop announcement: the word that stops them (a STOP keyword of this language).
announcement-stop-hint = 수신거부를 보내면 드롭 안내를 더 이상 받지 않습니다.

# Understanding
youre-welcome = 천만에요! 더 필요하신 게 있으신가요?
closest-matches = “{ $query }”에 맞는 상품이 없어요. 혹시 이 중에 찾으시는 게 있나요?
# Handoff
handoff-soon = 상담원에게 대화를 연결했어요. 몇 분 안에 여기에서 답변드릴게요.
handoff-from = 상담원에게 대화를 연결했어요. 지금은 운영 시간이 아니어서 { $when }(고객님 현지 시간)부터 여기에서 답변드릴게요.

# Phone verification
phone-ask = { $drop }은(는) 1인 1개라서 먼저 휴대폰 번호를 확인할게요. 번호를 보내 주세요(평소 거는 방식 그대로, 또는 +와 국가 번호를 붙여서). 문자로 인증 코드를 보내 드릴게요.
phone-not-a-number = 문자를 받을 수 있는 휴대폰 번호가 아닌 것 같아요. 다시 입력해 주세요. 예: 010-1234-5678
phone-code-sent = { $phone }(으)로 인증 코드를 보냈어요. 여기에 입력해 주세요. { $minutes }분 동안 유효해요.
phone-type-code = { $phone }(으)로 보낸 인증 코드를 입력하거나 새 코드를 요청해 주세요.
phone-code-wrong = 코드가 맞지 않아요. { $left }번 더 시도할 수 있어요.
phone-code-expired = 코드가 만료됐어요. “새 코드”를 누르면 다시 보내 드릴게요.
phone-too-many-tries = 틀린 횟수가 너무 많아요. { $when }부터 새 코드를 요청할 수 있어요.
phone-too-many-codes = 이 번호로 이미 코드를 너무 많이 보냈어요. 10분 후에 다시 시도해 주세요.
phone-verify-unavailable = 지금은 코드를 보내거나 확인할 수 없어요. 몇 분 후에 다시 시도해 주세요.
phone-new-code-button = 새 코드
phone-other-number-button = 다른 번호
phone-share-hint = 또는 아래 버튼으로 이 계정의 번호를 공유하세요. 인증 코드가 필요 없어요.
phone-share-button = 내 번호 공유

# VIP
# A customer whose lifetime paid passed the shop's VIP threshold is handed to a person right after a payment; the handoff's own line (handoff-soon or handoff-from) follows.
vip-welcome = 늘 저희를 찾아 주셔서 감사합니다! 소중한 고객님께는 담당자가 직접 도와드릴게요.
# The button that asks for a person (KakaoTalk's operator action: the channel's own 1:1 chat).
talk-to-person = 상담원 연결
