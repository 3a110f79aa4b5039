### chatdrop's customer-facing text, Indonesian (id): translated from en.ftl, friendly-polite, "Anda".
###
### Syntax: https://projectfluent.org/fluent/guide/
### Each message id is the kebab-case name of a `Msg` variant (shared/domain/src/i18n.rs);
### a translation keeps every id and uses the same variables as this file. Amounts, prices
### and dates arrive already formatted as text; counts ($units, $quantity, $max, …) are
### numbers, so plural selectors work on them. Keep messages short: they are chat messages
### and button labels (a Telegram button shows about 20 characters on a phone).
### Indonesian has only the CLDR plural category `other`, so no message selects on a number.

## Browsing

welcome = Halo! Selamat datang di toko kami. Apa yang ingin Anda lihat?
# Button label.
menu-label = Menu
# Button label: opens a list to choose from.
choose-label = Pilih
choose-category = Silakan pilih kategori:
# $category: the category's name.
products-in = { $category }: silakan pilih produk.
category-empty = Saat ini belum ada produk di { $category }.
# The value: $name, $price, $description of a product.
# .options: added on a new line when the product has options; $options lists them.
product-detail =
    { $name } — { $price }
    { $description }
    .options = Pilihan: { $options }.
# Button label.
customize-and-add = Pilih opsi & tambah
# Button label.
add-to-cart = Tambah ke keranjang
# Button label.
back = Kembali
# Button label.
view-cart = Lihat keranjang
# Button label.
menu = Menu
# $query: what the customer typed.
search-results = Ini hasil pencarian untuk “{ $query }”:
nothing-found = Tidak ada hasil untuk “{ $query }”. Ini menu kami:
unknown-product = Maaf, produk itu sudah tidak tersedia.
unknown-category = Maaf, kategori itu sudah tidak tersedia.
contact-linked = Terima kasih! Nomor telepon Anda sekarang terhubung dengan chat ini.
image-received = Terima kasih atas gambarnya! Saya hanya bisa membaca teks dan tombol. Ini menu kami:
unsupported = Maaf, saya tidak bisa membaca jenis pesan ini. Ketik “menu” untuk melihat produk kami.
stale-button = Tombol itu dari langkah sebelumnya.
unknown-tap = Maaf, tombol itu sudah tidak berfungsi.

## Customizing a product: $product is its name, $group the option group ("size"),
## $step of $steps the position in the questions.

ask-option = { $product } ({ $step }/{ $steps }): silakan pilih { $group }.
# $max: the longest text allowed, in characters.
ask-text = { $product } ({ $step }/{ $steps }): silakan ketik { $group }, maksimal { $max } karakter.
# Button label.
skip = Lewati
# Button label.
cancel = Batal
try-again = Silakan pilih lagi.
cancelled = Pilihan opsi dibatalkan; tidak ada yang ditambahkan ke keranjang.

## Why a choice was refused

choice-wrong-step = Pilihan itu untuk langkah lain.
choice-unknown-option = Opsi itu tidak ditemukan.
# $option cannot go with $other, an option already chosen.
choice-excluded = { $option } tidak bisa digabung dengan { $other }.
# $needed: the options $option needs (one of them).
choice-requires = { $option } hanya tersedia bersama { $needed }.
choice-not-optional = Langkah ini tidak bisa dilewati.
choice-text-empty = Teksnya masih kosong.
choice-text-too-long = Teksnya lebih dari { $max } karakter.
# $character: the character that cannot be used.
choice-text-character = “{ $character }” tidak bisa dipakai di sini. Gunakan huruf, angka, spasi, dan . , ' & - !

## The cart

# $item and $price: what was added; $units: items now in the cart; $total: the cart's total.
added =
    Ditambahkan ke keranjang: { $item } — { $price }.
    Keranjang Anda: { $units } barang, { $total }.
cart-header = Keranjang Anda:
# One line of the cart: $n is its number in the list, $amount its price.
cart-line = { $n }. { $item } × { $quantity } — { $amount }
cart-total = Total: { $total }
cart-empty = Keranjang Anda masih kosong.
# Button label.
keep-shopping = Lanjut belanja
# Button label.
empty-cart = Kosongkan keranjang
# Button label: change one line of the cart.
change = Ubah { $item }
line-view = { $item } × { $quantity }. Apa yang ingin Anda ubah?
# Button label.
one-more = Tambah satu
# Button label.
one-less = Kurangi satu
# Button label.
remove = Hapus
removed = Barang sudah dihapus dari keranjang.
emptied = Keranjang Anda sekarang kosong.
quantity-set = Jumlah diubah menjadi { $quantity }.
unknown-line = Barang itu sudah tidak ada di keranjang Anda.
too-many = Maksimal { $max } buah untuk satu barang.
too-many-lines = Keranjang Anda maksimal berisi { $max } jenis barang.
# Under a list of numbered choices, when the chat has no buttons (SMS).
reply-with-number = Silakan balas dengan nomor pilihan.

## Checkout

# Button label.
checkout = Checkout
checkout-empty = Keranjang Anda masih kosong, jadi belum ada yang bisa di-checkout.
# $minutes: how long the items are held; $total: the amount to pay.
reserved =
    Barang sudah kami simpan untuk Anda selama { $minutes } menit. Total { $total }.
    Bayar dengan aman lewat Stripe:
# Button label.
pay-now = Bayar sekarang
qr-caption = Atau pindai kode ini untuk membayar di perangkat lain.
# Button label.
cancel-reservation = Batalkan reservasi
sold-out = Maaf, { $item } sudah habis. Keranjang Anda tidak berubah.
# $limit: how many one customer may buy.
over-limit = Maaf, penjualan ini dibatasi { $limit } per pelanggan, termasuk pesanan dan chat Anda yang lain. Keranjang Anda tidak berubah.
# A drop is a sale that opens and closes at set times. $drop: its name; $when: its opening time.
drop-not-yet = { $drop } dibuka pada { $when }. Keranjang Anda akan tetap tersimpan.
drop-over = Maaf, { $drop } sudah berakhir.
payment-unavailable = Maaf, pembayaran sedang tidak tersedia. Tidak ada biaya yang ditagih; silakan coba lagi nanti.

## Orders: $number is the order's number.

reservation-cancelled = Pesanan { $number } sudah dibatalkan dan tidak ada biaya yang ditagih.
already-paid = Pesanan { $number } sudah dibayar.
not-your-order = Pesanan itu tidak ditemukan di chat ini.
orders-header = Pesanan Anda:
# $status: one of the order-state-* messages below.
order-summary = #{ $number } — { $status } — { $total }
order-state-awaiting-payment = menunggu pembayaran
order-state-paid = sudah dibayar
order-state-lapsed = kedaluwarsa
order-state-cancelled = dibatalkan
order-state-under-review = sedang diperiksa
order-state-shipped = dikirim
order-state-refunded = dana dikembalikan
no-orders = Anda belum punya pesanan.
# $items: the order's lines, one per line.
confirmation =
    Terima kasih! Pesanan { $number } sudah dibayar.
    { $items }
    Total: { $total }
    Kami akan mengabari Anda di sini saat pesanan dikirim.
lapsed = Reservasi { $number } sudah kedaluwarsa, jadi barangnya dijual kembali. Tidak ada biaya yang ditagih.
# Button label.
checkout-again = Checkout lagi
shipped = Kabar baik: pesanan { $number } sudah dikirim. Nomor resi: { $tracking }
refunded = Dana pesanan { $number } sudah dikembalikan sepenuhnya.
late-payment = Kami menerima pembayaran Anda untuk pesanan { $number } setelah reservasinya kedaluwarsa. Tim kami akan segera menghubungi Anda di sini; uang Anda tidak akan hilang.
# A payment that does not match the order (amount, currency, page).
payment-under-review = Kami menerima pembayaran untuk pesanan { $number } yang perlu kami periksa sebelum dikonfirmasi. Tim kami akan segera menghubungi Anda di sini; uang Anda tidak akan hilang.
awaiting-delayed-payment = Terima kasih! Pesanan { $number } kami simpan untuk Anda sampai { $deadline }. Silakan bayar sebelum waktu itu sesuai petunjuk di halaman pembayaran. Kami akan mengonfirmasi di sini setelah pembayaran diterima.
delayed-payment-failed = Pembayaran untuk pesanan { $number } tidak diterima tepat waktu, jadi barangnya dijual kembali. Tidak ada biaya yang ditagih.
# Button label.
my-orders = Pesanan saya

## Web pages the customer opens from the chat: a title and a sentence each.

# After paying on Stripe's page.
paid-page-title = Terima kasih
paid-page-text = Pembayaran Anda sedang dikonfirmasi. Silakan kembali ke chat; konfirmasinya akan dikirim di sana.
# The customer left Stripe's page without paying.
cancelled-page-title = Pembayaran belum selesai
cancelled-page-text = Tidak ada biaya yang ditagih. Kembali ke chat untuk membayar selama reservasi Anda masih berlaku.
already-paid-page-title = Sudah dibayar
already-paid-page-text = Pesanan { $number } sudah dibayar. Kabar terbarunya akan dikirim ke chat Anda.
lapsed-page-title = Reservasi ini sudah berakhir
lapsed-page-text = Reservasi { $number } sudah kedaluwarsa, jadi barangnya dijual kembali dan tidak ada biaya yang ditagih. Kembali ke chat untuk checkout lagi selama stok masih ada.
unknown-link-page-title = Tautan tidak ditemukan
unknown-link-page-text = Tautan pembayaran ini tidak ada. Kembali ke chat untuk mendapatkan tautan baru.
pay-link-failed-page-title = Silakan coba lagi
pay-link-failed-page-text = Halaman pembayaran tidak bisa dibuka saat ini. Tidak ada biaya yang ditagih.

language-entry = 🌐 Bahasa / Language
choose-language = Pilih bahasa Anda:
languages-label = Bahasa
language-set = Mulai sekarang saya akan memakai { $name }.

# Waitlist
waitlist-join-button = Masuk daftar tunggu
waitlist-joined = Anda masuk daftar tunggu untuk { $item }. Jika ada yang kembali, kami simpan untuk Anda dan kabari di sini.
waitlist-offer = { $item } tersedia lagi dan kami simpan untuk Anda selama { $minutes } menit. Checkout dengan satu ketukan.
waitlist-take-button = Checkout sekarang
waitlist-pass-button = Tidak, terima kasih
waitlist-passed = Terima kasih. Kami tawarkan ke orang berikutnya dalam antrean.
waitlist-offer-gone = Maaf, penawaran ini sudah berakhir.
remind-me-button = Ingatkan saya
reminder-set = Siap. Kami akan kabari di sini saat { $drop } dibuka pada { $when }.
drop-opened = { $drop } sudah dibuka (sejak { $when }). Ketuk Menu untuk belanja.

# Consent
stop-announcements-entry = Berhenti pengumuman
start-announcements-entry = Terima pengumuman
announcements-stopped = Kami tidak akan mengirim pengumuman rilis lagi. Kabar tentang pesananmu tetap dikirim ke sini. Kirim LANGGANAN untuk menerimanya lagi.
announcements-started = Kamu akan menerima kabar rilis kami lagi. Kirim BERHENTI untuk berhenti.
what-we-hold = Data yang kami simpan: bahasa { $language }; telepon { $phone ->
        [none] tidak ada
       *[other] { $phone }
    }; { $items } barang di keranjang; pengumuman { $announcements ->
        [in] aktif
        [out] berhenti
       *[never] belum pernah diminta
    }; label dari tim kami { $tags ->
        [none] tidak ada
       *[other] { $tags }
    }. Kirim HAPUS DATA SAYA untuk menghapusnya.
forgotten = Keranjang, bahasa, nomor telepon, label, dan pilihan pengumuman chat ini sudah kami hapus. Pesananmu tetap ada di pembukuan kami, tanpa namamu.

# Draw
draw-only = { $drop } dijual lewat undian: daftar sebelum { $closes }, satu pendaftaran per orang, dan pemenang dipilih secara acak.
draw-enter-button = Ikut undian
draw-entered = Kamu sudah ikut undian { $drop }. Nomor pendaftaranmu { $entry }. Pendaftaran ditutup { $closes }; hasilnya kami kabarkan di sini.
draw-already-entered = Kamu sudah ikut undian { $drop }: satu pendaftaran per orang.
draw-closed = Pendaftaran untuk { $drop } sudah ditutup.
draw-needs-phone = Undian { $drop } menerima satu pendaftaran per nomor telepon terverifikasi. Bagikan nomor teleponmu dulu, lalu daftar.
draw-won = Kamu memenangkan undian { $drop }! Barangmu dipesan sampai { $until }. Bayar lewat tautan di bawah.
draw-lost = Undian { $drop } sudah selesai, dan kali ini kamu belum terpilih. Masuk daftar tunggu: unit yang tidak dibayar pemenang ditawarkan sesuai urutan.
draw-not-a-winner = Ini hanya untuk pemenang undian { $drop }.

# Campaign
# The last line of a drop announcement: the word that stops them (a STOP keyword of this language).
announcement-stop-hint = Kirim BERHENTI untuk berhenti menerima pengumuman drop.

# Understanding
youre-welcome = Sama-sama! Ada lagi yang bisa dibantu?
closest-matches = Tidak ada hasil untuk “{ $query }”. Mungkin maksud Anda salah satu ini?
# Handoff
handoff-soon = Percakapan Anda sudah saya teruskan ke tim kami. Mereka akan membalas di sini dalam beberapa menit.
handoff-from = Percakapan Anda sudah saya teruskan ke tim kami. Kami sedang tutup, jadi mereka akan membalas di sini mulai { $when } (waktu Anda).

# Phone verification
phone-ask = { $drop } hanya satu per orang, jadi kami cek nomor HP dulu. Kirim nomormu (seperti biasa kamu menelepon, atau dengan + dan kode negara) dan kami akan mengirim kode lewat SMS.
phone-not-a-number = Sepertinya itu bukan nomor HP yang bisa menerima SMS. Ketik lagi, misalnya 0812-3456-7890.
phone-code-sent = Kami sudah mengirim kode ke { $phone }. Ketik di sini: kode berlaku { $minutes } menit.
phone-type-code = Ketik kode yang kami kirim ke { $phone }, atau minta kode baru.
phone-code-wrong = Kode itu salah. Sisa { $left } kali percobaan.
phone-code-expired = Kode itu sudah kedaluwarsa. Ketuk “Kode baru” dan kami kirim lagi.
phone-too-many-tries = Terlalu banyak kode yang salah. Kamu bisa minta kode baru mulai { $when }.
phone-too-many-codes = Kami sudah mengirim terlalu banyak kode ke nomor ini. Coba lagi dalam 10 menit.
phone-verify-unavailable = Saat ini kami tidak bisa mengirim atau memeriksa kode. Coba lagi beberapa menit lagi.
phone-new-code-button = Kode baru
phone-other-number-button = Nomor lain
phone-share-hint = Atau bagikan nomor akun ini dengan tombol di bawah: tanpa kode.
phone-share-button = Bagikan nomorku

# VIP
# A customer whose lifetime paid passed the shop's VIP threshold is handed to a person right after a payment; the handoff's own line (handoff-soon or handoff-from) follows.
vip-welcome = Terima kasih telah menjadi salah satu pelanggan setia kami! Seseorang dari tim kami akan melayani Anda secara pribadi.
# The button that asks for a person (KakaoTalk's operator action: the channel's own 1:1 chat).
talk-to-person = Chat petugas
