### chatdrop の顧客向けテキスト（日本語）。en.ftl の翻訳です。
### 構文: https://projectfluent.org/fluent/guide/

## 閲覧

welcome = こんにちは！ショップへようこそ。何をご覧になりますか？
menu-label = メニュー
choose-label = 選ぶ
choose-category = カテゴリーを選んでください：
products-in = { $category }：商品を選んでください。
category-empty = { $category }には現在商品がありません。
product-detail =
    { $name } — { $price }
    { $description }
    .options = 選べる項目：{ $options }
customize-and-add = カスタマイズして追加
add-to-cart = カートに追加
back = 戻る
view-cart = カートを見る
menu = メニュー
search-results = 「{ $query }」の検索結果：
nothing-found = 「{ $query }」は見つかりませんでした。メニューはこちら：
unknown-product = 申し訳ありません。その商品は現在お取り扱いがありません。
unknown-category = 申し訳ありません。そのカテゴリーは現在ありません。
contact-linked = ありがとうございます。電話番号がこのチャットに登録されました。
image-received = 画像をありがとうございます。テキストとボタンのみ対応しています。メニューはこちら：
unsupported = 申し訳ありません。その種類のメッセージには対応していません。「メニュー」と入力してください。
stale-button = そのボタンは前の手順のものです。
unknown-tap = 申し訳ありません。そのボタンは使えなくなりました。

## カスタマイズ

ask-option = { $product }（{ $step }/{ $steps }）：{ $group }を選んでください。
ask-text = { $product }（{ $step }/{ $steps }）：{ $group }を{ $max }文字以内で入力してください。
skip = スキップ
cancel = キャンセル
try-again = もう一度お選びください。
cancelled = カスタマイズを取り消しました。カートには追加されていません。

## 選択できない理由

choice-wrong-step = その選択は別の手順のものです。
choice-unknown-option = その選択肢が見つかりませんでした。
choice-excluded = { $option }は{ $other }と組み合わせられません。
choice-requires = { $option }は{ $needed }と一緒の場合のみ選べます。
choice-not-optional = この手順はスキップできません。
choice-text-empty = 文字が入力されていません。
choice-text-too-long = { $max }文字を超えています。
choice-text-character = 「{ $character }」は使えません。英数字、スペース、. , ' & - ! が使えます。

## カート

added =
    カートに追加しました：{ $item } — { $price }
    カート：{ $units }点、{ $total }
cart-header = カートの中身：
cart-line = { $n }. { $item } × { $quantity } — { $amount }
cart-total = 合計：{ $total }
cart-empty = カートは空です。
keep-shopping = 買い物を続ける
empty-cart = カートを空にする
change = { $item }を変更
line-view = { $item } × { $quantity }。どう変更しますか？
one-more = 1つ増やす
one-less = 1つ減らす
remove = 削除
removed = カートから削除しました。
emptied = カートを空にしました。
quantity-set = 数量を{ $quantity }にしました。
unknown-line = その商品はカートにありません。
too-many = 1つの商品は{ $max }点までです。
too-many-lines = カートに入れられる商品は{ $max }種類までです。
reply-with-number = 番号で返信してください。

## 購入手続き

checkout = 購入手続きへ
checkout-empty = カートが空のため、購入手続きできません。
reserved =
    { $minutes }分間お取り置きしました。合計{ $total }。
    Stripeで安全にお支払いください：
pay-now = 支払う
qr-caption = 別の端末で支払う場合はこのコードを読み取ってください。
cancel-reservation = 取り置きをキャンセル
sold-out = 申し訳ありません。{ $item }は売り切れです。カートはそのままです。
over-limit = 申し訳ありません。このドロップはお一人様{ $limit }点までです（他の注文・チャットを含みます）。カートはそのままです。
drop-not-yet = { $drop }は{ $when }に開始します。カートはそのままお待ちしています。
drop-over = 申し訳ありません。{ $drop }は終了しました。
payment-unavailable = 申し訳ありません。現在お支払いができません。請求は発生していません。後ほどお試しください。

## 注文

reservation-cancelled = 注文{ $number }をキャンセルしました。請求は発生していません。
already-paid = 注文{ $number }はお支払い済みです。
not-your-order = このチャットにその注文は見つかりません。
orders-header = ご注文：
order-summary = #{ $number } — { $status } — { $total }
order-state-awaiting-payment = お支払い待ち
order-state-paid = 支払い済み
order-state-lapsed = 期限切れ
order-state-cancelled = キャンセル済み
order-state-under-review = 確認中
order-state-shipped = 発送済み
order-state-refunded = 返金済み
no-orders = まだ注文はありません。
confirmation =
    ありがとうございます！注文{ $number }のお支払いが完了しました。
    { $items }
    合計：{ $total }
    発送時にこちらでお知らせします。
lapsed = お取り置き{ $number }の期限が切れたため、商品は販売に戻りました。請求は発生していません。
checkout-again = もう一度購入手続き
shipped = 注文{ $number }を発送しました。追跡番号：{ $tracking }
refunded = 注文{ $number }を全額返金しました。
late-payment = 注文{ $number }のお支払いをお取り置き期限後に受け取りました。担当者からこちらにご連絡します。代金が失われることはありません。
payment-under-review = 注文{ $number }について確認が必要なお支払いを受け取りました。担当者からこちらにご連絡します。代金が失われることはありません。
awaiting-delayed-payment = ありがとうございます！注文{ $number }を{ $deadline }までお取り置きします。お支払いページの案内どおり、それまでにお支払いください。入金を確認しましたら、こちらでお知らせします。
delayed-payment-failed = 注文{ $number }のお支払いが期限までに確認できなかったため、商品は販売に戻りました。請求は発生していません。
my-orders = 注文履歴

## チャットから開くウェブページ

paid-page-title = ありがとうございます
paid-page-text = お支払いを確認しています。チャットにお戻りください。確認のお知らせはチャットに届きます。
cancelled-page-title = お支払いは完了していません
cancelled-page-text = 請求は発生していません。お取り置きの期限内であれば、チャットに戻ってお支払いいただけます。
already-paid-page-title = お支払い済みです
already-paid-page-text = 注文{ $number }はお支払い済みです。今後のお知らせはチャットに届きます。
lapsed-page-title = お取り置きの期限が切れました
lapsed-page-text = お取り置き{ $number }の期限が切れたため、商品は販売に戻りました。請求は発生していません。在庫があるうちに、チャットに戻ってもう一度購入手続きをしてください。
unknown-link-page-title = リンクが見つかりません
unknown-link-page-text = この支払いリンクは存在しません。チャットに戻って新しいリンクを受け取ってください。
pay-link-failed-page-title = もう一度お試しください
pay-link-failed-page-text = ただいまお支払いページを開けませんでした。請求は発生していません。

language-entry = 🌐 言語 / Language
choose-language = 言語を選んでください：
languages-label = 言語
language-set = これからは{ $name }でお話しします。

# Waitlist
waitlist-join-button = キャンセル待ちに登録
waitlist-joined = { $item }のキャンセル待ちに登録しました。在庫が戻ったらお取り置きして、ここでお知らせします。
waitlist-offer = { $item }の在庫が戻りました。{ $minutes }分間お取り置きしています。ワンタップで購入できます。
waitlist-take-button = 今すぐ購入
waitlist-pass-button = 今回は見送る
waitlist-passed = ありがとうございます。次の方にご案内しました。
waitlist-offer-gone = 申し訳ありません。このご案内は終了しました。
remind-me-button = 開始時に通知
reminder-set = 承知しました。{ $drop }が{ $when }に始まったら、ここでお知らせします。
drop-opened = { $drop }の販売が始まりました（{ $when }から）。メニューからお買い物いただけます。

# Consent
stop-announcements-entry = お知らせを停止
start-announcements-entry = お知らせを受け取る
announcements-stopped = 新作のお知らせを停止しました。ご注文の状況は引き続きこちらにお届けします。再開するには「配信再開」と送ってください。
announcements-started = 新作のお知らせを再開しました。停止するには「配信停止」と送ってください。
what-we-hold = お預かりしている情報：言語 { $language }、電話番号 { $phone ->
        [none] なし
       *[other] { $phone }
    }、カートの商品 { $items } 点、お知らせ { $announcements ->
        [in] 受信中
        [out] 停止中
       *[never] 未登録
    }、スタッフが付けたラベル { $tags ->
        [none] なし
       *[other] { $tags }
    }。削除するには「データ削除」と送ってください。
forgotten = このチャットのカート、言語、電話番号、ラベル、お知らせの設定を削除しました。ご注文の金額はお名前なしで帳簿に残ります。

# Draw
draw-only = { $drop } は抽選販売です。{ $closes } までにお申し込みください。お一人様一回、当選者は無作為に選ばれます。
draw-enter-button = 抽選に申し込む
draw-entered = { $drop } の抽選にお申し込みいただきました。申込番号は { $entry } です。受付は { $closes } まで。結果はこちらでお知らせします。
draw-already-entered = { $drop } の抽選にはすでにお申し込み済みです（お一人様一回）。
draw-closed = { $drop } の受付は終了しました。
draw-needs-phone = { $drop } の抽選は、確認済みの電話番号ごとに一回のお申し込みです。先に電話番号を共有してから、お申し込みください。
draw-won = { $drop } の抽選に当選しました！ 商品は { $until } まで確保しています。下のリンクからお支払いください。
draw-lost = { $drop } の抽選が終わりました。今回は落選となりました。キャンセル待ちに登録すると、当選者が支払わなかった商品を順番にご案内します。
draw-not-a-winner = こちらは { $drop } の抽選の当選者専用です。

# Campaign
# The last line of a drop announcement: the word that stops them (a STOP keyword of this language).
announcement-stop-hint = 配信停止と送ると、ドロップのお知らせが届かなくなります。

# Understanding
youre-welcome = どういたしまして！ほかに何かございますか？
closest-matches = 「{ $query }」に一致する商品はありませんでした。こちらでしょうか？
# Handoff
handoff-soon = 担当者におつなぎしました。数分以内にこちらでお返事します。
handoff-from = 担当者におつなぎしました。ただいま営業時間外のため、{ $when }（お客様の現地時間）以降にこちらでお返事します。

# Phone verification
phone-ask = { $drop } はお一人様一点のため、先に携帯電話番号を確認します。番号を送ってください（国内の書き方でも、+と国番号付きでも大丈夫です）。SMSで確認コードをお送りします。
phone-not-a-number = SMSを送れる携帯電話番号ではないようです。もう一度入力してください（例: 090-1234-5678）。
phone-code-sent = { $phone } に確認コードを送りました。ここに入力してください（有効期限は{ $minutes }分です）。
phone-type-code = { $phone } に送った確認コードを入力するか、新しいコードをご依頼ください。
phone-code-wrong = コードが正しくありません。あと{ $left }回お試しいただけます。
phone-code-expired = コードの有効期限が切れました。「新しいコード」をタップすると、もう一度お送りします。
phone-too-many-tries = 間違いが多すぎます。{ $when }から新しいコードをご依頼いただけます。
phone-too-many-codes = この番号にはすでに多くのコードを送っています。10分後にもう一度お試しください。
phone-verify-unavailable = ただいまコードの送信・確認ができません。数分後にもう一度お試しください。
phone-new-code-button = 新しいコード
phone-other-number-button = 別の番号
phone-share-hint = または、下のボタンでこのアカウントの番号を共有できます（コードは不要です）。
phone-share-button = 番号を共有する

# VIP
# A customer whose lifetime paid passed the shop's VIP threshold is handed to a person right after a payment; the handoff's own line (handoff-soon or handoff-from) follows.
vip-welcome = いつもご愛顧いただきありがとうございます。大切なお客様として、担当者が個別にご対応いたします。
# The button that asks for a person (KakaoTalk's operator action: the channel's own 1:1 chat).
talk-to-person = 担当者と話す
