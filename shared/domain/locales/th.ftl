### chatdrop's customer-facing text, Thai (th): translated from en.ftl, polite, ending in ค่ะ/คะ.
###
### Syntax: https://projectfluent.org/fluent/guide/
### Each message id is the kebab-case name of a `Msg` variant (shared/domain/src/i18n.rs);
### a translation keeps every id and uses the same variables as this file. Amounts, prices
### and dates arrive already formatted as text; counts ($units, $quantity, $max, …) are
### numbers, so plural selectors work on them. Keep messages short: they are chat messages
### and button labels (a Telegram button shows about 20 characters on a phone).
### Thai has only the CLDR plural category `other`, so no message selects on a number.
### Sentences speak as a shop's staff: ค่ะ ends statements, คะ questions (นะคะ); button labels,
### titles and order states have no particle. Words run together; a space separates phrases and
### sentences and stands either side of every variable.

## Browsing

welcome = สวัสดีค่ะ ยินดีต้อนรับสู่ร้านของเรา สนใจดูสินค้าอะไรคะ
# Button label.
menu-label = เมนู
# Button label: opens a list to choose from.
choose-label = เลือก
choose-category = เลือกหมวดหมู่ได้เลยค่ะ
# $category: the category's name.
products-in = { $category }: เลือกสินค้าได้เลยค่ะ
category-empty = ตอนนี้ยังไม่มีสินค้าในหมวด { $category } ค่ะ
# The value: $name, $price, $description of a product.
# .options: added on a new line when the product has options; $options lists them.
product-detail =
    { $name } — { $price }
    { $description }
    .options = ตัวเลือก: { $options }
# Button label.
customize-and-add = เลือกแบบแล้วใส่ตะกร้า
# Button label.
add-to-cart = ใส่ตะกร้า
# Button label.
back = ย้อนกลับ
# Button label.
view-cart = ดูตะกร้า
# Button label.
menu = เมนู
# $query: what the customer typed.
search-results = ผลการค้นหา “{ $query }” ค่ะ
nothing-found = ไม่พบสินค้าสำหรับ “{ $query }” ค่ะ ลองดูจากเมนูนี้นะคะ
unknown-product = ขออภัยค่ะ สินค้านี้ไม่มีจำหน่ายแล้ว
unknown-category = ขออภัยค่ะ หมวดหมู่นี้ไม่มีแล้ว
contact-linked = ขอบคุณค่ะ เบอร์โทรศัพท์ของคุณเชื่อมกับแชทนี้เรียบร้อยแล้ว
image-received = ขอบคุณสำหรับรูปภาพค่ะ แชทนี้อ่านได้เฉพาะข้อความและปุ่มเท่านั้น ลองดูจากเมนูนี้นะคะ
unsupported = ขออภัยค่ะ แชทนี้อ่านข้อความประเภทนี้ไม่ได้ พิมพ์ “เมนู” เพื่อดูสินค้าในร้านได้เลยค่ะ
stale-button = ปุ่มนี้เป็นของขั้นตอนก่อนหน้าค่ะ
unknown-tap = ขออภัยค่ะ ปุ่มนี้ใช้งานไม่ได้แล้ว

## Customizing a product: $product is its name, $group the option group ("size"),
## $step of $steps the position in the questions.

ask-option = { $product } ({ $step }/{ $steps }): กรุณาเลือก { $group } ค่ะ
# $max: the longest text allowed, in characters.
ask-text = { $product } ({ $step }/{ $steps }): กรุณาพิมพ์ { $group } ไม่เกิน { $max } ตัวอักษรค่ะ
# Button label.
skip = ข้าม
# Button label.
cancel = ยกเลิก
try-again = กรุณาเลือกอีกครั้งค่ะ
cancelled = ยกเลิกการเลือกแบบแล้วค่ะ ไม่มีสินค้าเพิ่มลงตะกร้า

## Why a choice was refused

choice-wrong-step = ตัวเลือกนี้เป็นของขั้นตอนอื่นค่ะ
choice-unknown-option = ไม่พบตัวเลือกนี้ค่ะ
# $option cannot go with $other, an option already chosen.
choice-excluded = { $option } เลือกคู่กับ { $other } ไม่ได้ค่ะ
# $needed: the options $option needs (one of them).
choice-requires = { $option } เลือกได้เฉพาะเมื่อเลือก { $needed } ด้วยค่ะ
choice-not-optional = ขั้นตอนนี้ข้ามไม่ได้ค่ะ
choice-text-empty = ยังไม่ได้พิมพ์ข้อความค่ะ
choice-text-too-long = ข้อความยาวเกิน { $max } ตัวอักษรค่ะ
# $character: the character that cannot be used.
choice-text-character = ใช้ “{ $character }” ไม่ได้ค่ะ ใช้ได้เฉพาะตัวอักษรภาษาอังกฤษ ตัวเลข ช่องว่าง และ . , ' & - !

## The cart

# $item and $price: what was added; $units: items now in the cart; $total: the cart's total.
added =
    ใส่ตะกร้าแล้วค่ะ: { $item } — { $price }
    ในตะกร้ามี { $units } ชิ้น ยอดรวม { $total }
cart-header = ตะกร้าของคุณ:
# One line of the cart: $n is its number in the list, $amount its price.
cart-line = { $n }. { $item } × { $quantity } — { $amount }
cart-total = ยอดรวม: { $total }
cart-empty = ตะกร้าของคุณยังว่างอยู่ค่ะ
# Button label.
keep-shopping = เลือกซื้อต่อ
# Button label.
empty-cart = ล้างตะกร้า
# Button label: change one line of the cart.
change = แก้ไข { $item }
line-view = { $item } × { $quantity } ต้องการแก้ไขอย่างไรคะ
# Button label.
one-more = เพิ่ม 1 ชิ้น
# Button label.
one-less = ลด 1 ชิ้น
# Button label.
remove = ลบ
removed = ลบออกจากตะกร้าแล้วค่ะ
emptied = ล้างตะกร้าเรียบร้อยแล้วค่ะ
quantity-set = เปลี่ยนจำนวนเป็น { $quantity } ชิ้นแล้วค่ะ
unknown-line = สินค้านี้ไม่อยู่ในตะกร้าแล้วค่ะ
too-many = สินค้าแต่ละรายการสั่งได้ไม่เกิน { $max } ชิ้นค่ะ
too-many-lines = ตะกร้าใส่สินค้าได้ไม่เกิน { $max } รายการค่ะ
# Under a list of numbered choices, when the chat has no buttons (SMS).
reply-with-number = กรุณาตอบกลับเป็นตัวเลขค่ะ

## Checkout

# Button label.
checkout = สั่งซื้อ
checkout-empty = ตะกร้าของคุณยังว่างอยู่ จึงยังสั่งซื้อไม่ได้ค่ะ
# $minutes: how long the items are held; $total: the amount to pay.
reserved =
    จองสินค้าไว้ให้แล้ว { $minutes } นาที ยอดรวม { $total } ค่ะ
    ชำระเงินอย่างปลอดภัยผ่าน Stripe ได้ที่นี่:
# Button label.
pay-now = ชำระเงิน
qr-caption = หรือสแกนโค้ดนี้เพื่อชำระเงินบนอุปกรณ์อื่นค่ะ
# Button label.
cancel-reservation = ยกเลิกการจอง
sold-out = ขออภัยค่ะ { $item } หมดแล้ว ตะกร้าของคุณยังเหมือนเดิม
# $limit: how many one customer may buy.
over-limit = ขออภัยค่ะ รอบนี้จำกัด { $limit } ชิ้นต่อท่าน นับรวมคำสั่งซื้อและแชทอื่นของคุณด้วย ตะกร้าของคุณยังเหมือนเดิม
# A drop is a sale that opens and closes at set times. $drop: its name; $when: its opening time.
drop-not-yet = { $drop } จะเปิดขาย { $when } ค่ะ สินค้าในตะกร้ายังเก็บไว้ให้นะคะ
drop-over = ขออภัยค่ะ { $drop } ปิดการขายแล้ว
payment-unavailable = ขออภัยค่ะ ขณะนี้ยังชำระเงินไม่ได้ และยังไม่มีการเรียกเก็บเงิน กรุณาลองใหม่ภายหลังนะคะ

## Orders: $number is the order's number.

reservation-cancelled = ยกเลิกคำสั่งซื้อ { $number } แล้ว และไม่มีการเรียกเก็บเงินค่ะ
already-paid = คำสั่งซื้อ { $number } ชำระเงินแล้วค่ะ
not-your-order = ไม่พบคำสั่งซื้อนี้ในแชทนี้ค่ะ
orders-header = คำสั่งซื้อของคุณ:
# $status: one of the order-state-* messages below.
order-summary = #{ $number } — { $status } — { $total }
order-state-awaiting-payment = รอชำระเงิน
order-state-paid = ชำระเงินแล้ว
order-state-lapsed = หมดเวลาจอง
order-state-cancelled = ยกเลิกแล้ว
order-state-under-review = กำลังตรวจสอบ
order-state-shipped = จัดส่งแล้ว
order-state-refunded = คืนเงินแล้ว
no-orders = คุณยังไม่มีคำสั่งซื้อค่ะ
# $items: the order's lines, one per line.
confirmation =
    ขอบคุณค่ะ คำสั่งซื้อ { $number } ชำระเงินเรียบร้อยแล้ว
    { $items }
    ยอดรวม: { $total }
    เมื่อจัดส่งสินค้าแล้ว เราจะแจ้งในแชทนี้ค่ะ
lapsed = การจอง { $number } หมดเวลาแล้ว สินค้าจึงกลับมาวางขายอีกครั้ง และไม่มีการเรียกเก็บเงินค่ะ
# Button label.
checkout-again = สั่งซื้ออีกครั้ง
shipped = ข่าวดีค่ะ คำสั่งซื้อ { $number } จัดส่งแล้ว เลขพัสดุ: { $tracking }
refunded = คืนเงินเต็มจำนวนสำหรับคำสั่งซื้อ { $number } แล้วค่ะ
late-payment = เราได้รับการชำระเงินสำหรับคำสั่งซื้อ { $number } หลังจากหมดเวลาจองแล้ว ทีมงานจะติดต่อกลับในแชทนี้โดยเร็ว เงินของคุณจะไม่สูญหายค่ะ
# A payment that does not match the order (amount, currency, page).
payment-under-review = เราได้รับการชำระเงินสำหรับคำสั่งซื้อ { $number } ซึ่งต้องตรวจสอบก่อนยืนยัน ทีมงานจะติดต่อกลับในแชทนี้โดยเร็ว เงินของคุณจะไม่สูญหายค่ะ
awaiting-delayed-payment = ขอบคุณค่ะ! เราเก็บคำสั่งซื้อ { $number } ไว้ให้ถึง { $deadline } กรุณาชำระเงินภายในเวลานั้นตามที่หน้าชำระเงินแจ้งไว้ เราจะยืนยันในแชทนี้เมื่อได้รับการชำระเงินค่ะ
delayed-payment-failed = ไม่ได้รับการชำระเงินสำหรับคำสั่งซื้อ { $number } ภายในเวลาที่กำหนด สินค้าจึงกลับมาวางขายอีกครั้ง และไม่มีการเรียกเก็บเงินค่ะ
# Button label.
my-orders = คำสั่งซื้อของฉัน

## Web pages the customer opens from the chat: a title and a sentence each.

# After paying on Stripe's page.
paid-page-title = ขอบคุณค่ะ
paid-page-text = กำลังยืนยันการชำระเงิน กลับไปที่แชทได้เลยค่ะ ผลการยืนยันจะส่งไปที่แชท
# The customer left Stripe's page without paying.
cancelled-page-title = ยังชำระเงินไม่สำเร็จ
cancelled-page-text = ไม่มีการเรียกเก็บเงินค่ะ กลับไปที่แชทเพื่อชำระเงินได้ ภายในเวลาที่จองไว้
already-paid-page-title = ชำระเงินแล้ว
already-paid-page-text = คำสั่งซื้อ { $number } ชำระเงินแล้วค่ะ ความคืบหน้าจะแจ้งในแชทของคุณ
lapsed-page-title = การจองนี้หมดเวลาแล้ว
lapsed-page-text = การจอง { $number } หมดเวลาแล้ว สินค้าจึงกลับมาวางขายอีกครั้ง และไม่มีการเรียกเก็บเงินค่ะ กลับไปที่แชทเพื่อสั่งซื้ออีกครั้งได้ ขณะที่ยังมีสินค้าอยู่
unknown-link-page-title = ไม่พบลิงก์
unknown-link-page-text = ไม่มีลิงก์ชำระเงินนี้ค่ะ กรุณากลับไปที่แชทเพื่อรับลิงก์ใหม่
pay-link-failed-page-title = กรุณาลองอีกครั้ง
pay-link-failed-page-text = ขณะนี้เปิดหน้าชำระเงินไม่ได้ และไม่มีการเรียกเก็บเงินค่ะ

language-entry = 🌐 ภาษา / Language
choose-language = กรุณาเลือกภาษาค่ะ:
languages-label = ภาษา
language-set = จากนี้ไปจะใช้{ $name }ในการสนทนาค่ะ

# Waitlist
waitlist-join-button = ลงชื่อรอสินค้า
waitlist-joined = ลงชื่อรอ { $item } แล้วค่ะ ถ้ามีสินค้ากลับมา เราจะกันไว้ให้และแจ้งในแชทนี้
waitlist-offer = { $item } กลับมาแล้ว และกันไว้ให้คุณ { $minutes } นาที แตะครั้งเดียวเพื่อสั่งซื้อได้เลยค่ะ
waitlist-take-button = สั่งซื้อเลย
waitlist-pass-button = ไม่เป็นไร ขอบคุณ
waitlist-passed = ขอบคุณค่ะ เราเสนอให้คนถัดไปในคิวแล้ว
waitlist-offer-gone = ขออภัยค่ะ ข้อเสนอนี้หมดเวลาแล้ว
remind-me-button = เตือนฉัน
reminder-set = เรียบร้อยค่ะ เราจะแจ้งในแชทนี้เมื่อ { $drop } เปิดขายเวลา { $when }
drop-opened = { $drop } เปิดขายแล้ว (ตั้งแต่ { $when }) แตะเมนูเพื่อเลือกซื้อได้เลยค่ะ

# Consent
stop-announcements-entry = หยุดรับข่าวสาร
start-announcements-entry = รับข่าวสาร
announcements-stopped = เราจะไม่ส่งข่าวสินค้าใหม่ให้คุณอีก ส่วนการแจ้งสถานะคำสั่งซื้อยังส่งมาที่นี่ตามปกติ พิมพ์ รับข่าวสาร เพื่อรับอีกครั้ง
announcements-started = คุณจะได้รับข่าวสินค้าใหม่ของเราอีกครั้ง พิมพ์ ยกเลิก เพื่อหยุดรับ
what-we-hold = ข้อมูลที่เราเก็บไว้: ภาษา { $language } เบอร์โทร { $phone ->
        [none] ไม่มี
       *[other] { $phone }
    } สินค้าในตะกร้า { $items } ชิ้น ข่าวสาร { $announcements ->
        [in] รับอยู่
        [out] หยุดรับ
       *[never] ยังไม่ได้สมัคร
    } ป้ายกำกับจากทีมงาน { $tags ->
        [none] ไม่มี
       *[other] { $tags }
    } พิมพ์ ลบข้อมูลของฉัน เพื่อลบ
forgotten = ลบตะกร้า ภาษา เบอร์โทร ป้ายกำกับ และการตั้งค่าข่าวสารของแชตนี้แล้ว ยอดคำสั่งซื้อของคุณยังอยู่ในบัญชีของเราโดยไม่มีชื่อคุณ

# Draw
draw-only = { $drop } ขายแบบจับสลาก: ลงชื่อก่อน { $closes } หนึ่งคนต่อหนึ่งสิทธิ์ และสุ่มเลือกผู้ชนะ
draw-enter-button = ร่วมจับสลาก
draw-entered = คุณร่วมจับสลาก { $drop } แล้ว หมายเลขสิทธิ์ของคุณคือ { $entry } ปิดรับ { $closes } เราจะแจ้งผลที่นี่
draw-already-entered = คุณร่วมจับสลาก { $drop } แล้ว: หนึ่งคนต่อหนึ่งสิทธิ์
draw-closed = ปิดรับสิทธิ์สำหรับ { $drop } แล้ว
draw-needs-phone = การจับสลาก { $drop } รับหนึ่งสิทธิ์ต่อหมายเลขโทรศัพท์ที่ยืนยันแล้ว โปรดแชร์หมายเลขโทรศัพท์ก่อน แล้วจึงลงชื่อ
draw-won = คุณได้รับสิทธิ์ซื้อ { $drop }! เราจองสินค้าไว้ให้ถึง { $until } ชำระเงินได้ที่ลิงก์ด้านล่าง
draw-lost = การจับสลาก { $drop } เสร็จแล้ว และครั้งนี้คุณไม่ได้รับเลือก เข้าคิวรอได้: สินค้าที่ผู้ชนะไม่ชำระเงินจะเสนอให้ตามลำดับ
draw-not-a-winner = ส่วนนี้สำหรับผู้ชนะการจับสลาก { $drop } เท่านั้น

# Campaign
# The last line of a drop announcement: the word that stops them (a STOP keyword of this language).
announcement-stop-hint = ส่ง ยกเลิก เพื่อหยุดรับประกาศสินค้าใหม่

# Understanding
youre-welcome = ยินดีค่ะ! มีอะไรให้ช่วยอีกไหมคะ
closest-matches = ไม่พบสินค้าสำหรับ “{ $query }” หมายถึงรายการเหล่านี้หรือเปล่าคะ
# Handoff
handoff-soon = ส่งต่อการสนทนาของคุณให้เจ้าหน้าที่แล้ว เจ้าหน้าที่จะตอบคุณที่นี่ภายในไม่กี่นาที
handoff-from = ส่งต่อการสนทนาของคุณให้เจ้าหน้าที่แล้ว ขณะนี้อยู่นอกเวลาทำการ เจ้าหน้าที่จะตอบคุณที่นี่ตั้งแต่ { $when } (เวลาของคุณ)

# Phone verification
phone-ask = { $drop } จำกัดคนละหนึ่งชิ้น เราจึงต้องยืนยันเบอร์มือถือก่อน ส่งเบอร์ของคุณมาได้เลย (แบบที่โทรในประเทศ หรือใส่ + และรหัสประเทศ) แล้วเราจะส่งรหัสทาง SMS ให้
phone-not-a-number = ดูเหมือนนี่ไม่ใช่เบอร์มือถือที่รับ SMS ได้ กรุณาพิมพ์ใหม่อีกครั้ง เช่น 081 234 5678
phone-code-sent = เราส่งรหัสไปที่ { $phone } แล้ว พิมพ์รหัสที่นี่ได้เลย รหัสใช้ได้ { $minutes } นาที
phone-type-code = กรุณาพิมพ์รหัสที่เราส่งไปที่ { $phone } หรือขอรหัสใหม่
phone-code-wrong = รหัสไม่ถูกต้อง ลองได้อีก { $left } ครั้ง
phone-code-expired = รหัสหมดอายุแล้ว แตะ “รหัสใหม่” แล้วเราจะส่งให้อีกครั้ง
phone-too-many-tries = ใส่รหัสผิดหลายครั้งเกินไป ขอรหัสใหม่ได้ตั้งแต่ { $when }
phone-too-many-codes = เราส่งรหัสไปที่เบอร์นี้หลายครั้งเกินไปแล้ว กรุณาลองใหม่ในอีก 10 นาที
phone-verify-unavailable = ตอนนี้เราส่งหรือตรวจรหัสไม่ได้ กรุณาลองใหม่ในอีกสักครู่
phone-new-code-button = รหัสใหม่
phone-other-number-button = เบอร์อื่น
phone-share-hint = หรือแชร์เบอร์ของบัญชีนี้ด้วยปุ่มด้านล่าง ไม่ต้องใช้รหัส
phone-share-button = แชร์เบอร์ของฉัน

# VIP
# A customer whose lifetime paid passed the shop's VIP threshold is handed to a person right after a payment; the handoff's own line (handoff-soon or handoff-from) follows.
vip-welcome = ขอบคุณที่เป็นลูกค้าคนสำคัญของเรา! ทีมงานของเราจะดูแลคุณเป็นการส่วนตัว
# The button that asks for a person (KakaoTalk's operator action: the channel's own 1:1 chat).
talk-to-person = ติดต่อพนักงาน
