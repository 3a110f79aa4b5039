//! The phrase tables [`crate::intent`] reads: for each shipped language, the phrases that carry
//! an intent inside a sentence, and the filler words around them that carry none.
//!
//! Written as people type to a shop in each language (lower case, no accents: matching folds
//! both sides with [`crate::keywords::fold`]). A phrase may be a whole message too; the
//! single keywords of [`crate::keywords`] are tried before these. Longer phrases win over the
//! shorter ones they contain ("cancel subscription" is a stop, "cancel" alone a cancel;
//! `取消订阅` a stop, `取消` a cancel), so both can be listed.

use crate::keywords::Meaning;
use crate::lang::Lang;

/// One language's phrases, by what they mean, and its fillers.
pub(crate) struct Phrases {
    pub lang: Lang,
    pub by_meaning: &'static [(Meaning, &'static [&'static str])],
    /// Words that carry no intent and no product: pronouns, articles, politeness, question
    /// words. They neither count for an intent nor against it.
    pub fillers: &'static [&'static str],
}

use Meaning::*;

#[rustfmt::skip]
pub(crate) const PHRASES: &[Phrases] = &[
    Phrases {
        lang: Lang::EN,
        by_meaning: &[
            (Greeting, &[
                "anyone there", "anybody there", "is anyone there", "hello hello",
                "hi", "hello", "hey", "heyy", "hiya", "yo", "good morning", "good afternoon",
                "good evening", "howdy",
            ]),
            (Menu, &[
                "what u sell", "what products", "products do you have", "what can i buy", "show me products", "anything new", "what is for sale",
                "menu", "catalog", "catalogue", "what do you sell", "what do you have",
                "what do u have", "what do u sell", "what have you got", "your products",
                "products", "browse",
            ]),
            (Cart, &[
                "cart", "basket", "my cart", "shopping cart", "shopping bag",
            ]),
            (Checkout, &[
                "let me pay", "ill pay", "can i pay", "want to pay", "proceed to checkout", "buy now", "payment",
                "checkout", "check out", "i want to pay", "ready to pay", "pay now",
                "how do i pay", "how can i pay", "proceed to payment", "place my order",
                "place order", "complete my order", "pay for my cart",
            ]),
            (Orders, &[
                "where is my stuff", "my stuff", "update on my order", "my delivery", "did my order ship", "when does it arrive", "order update",
                "where is my order", "wheres my order", "my order", "my orders", "order status",
                "status of my order", "track my order", "track my package", "track", "tracking",
                "my package", "my parcel", "shipped", "delivery status", "when will my order",
                "when will it arrive", "has it shipped",
            ]),
            (Cancel, &[
                "cancel", "cancel that", "cancel it", "cancel my order", "nevermind", "never mind",
                "forget it", "cancel order",
            ]),
            (Human, &[
                "human", "a human", "real person", "a person", "talk to a person",
                "talk to someone", "speak to someone", "speak to a person", "talk to a human",
                "agent", "an agent", "customer service", "customer support", "support team",
                "operator", "representative", "someone help me", "can someone help", "live chat",
                "staff",
            ]),
            (Complaint, &[
                "rip off", "ripoff", "charged twice", "charged me twice", "double charged", "overcharged", "not working", "doesnt work", "poor quality", "bad quality", "snapped", "torn", "not happy", "unhappy",
                "complaint", "complain", "terrible", "awful", "worst", "horrible", "unacceptable",
                "damaged", "broken", "defective", "refund", "money back", "scam", "never received",
                "never arrived", "wrong item", "disappointed", "not happy", "angry", "ripped off",
            ]),
            (StopAnnouncements, &[
                "stop texting", "stop texting me", "stop messages", "leave me alone", "remove me", "no more texts",
                "stop", "unsubscribe", "stop sending", "stop messaging", "no more messages",
                "stop sending me messages", "dont message me", "opt out", "cancel subscription",
            ]),
            (StartAnnouncements, &[
                "start", "subscribe", "subscribe me", "opt in", "start announcements", "resume",
            ]),
            (Language, &[
                "english", "spanish", "portuguese", "chinese", "japanese", "korean", "thai", "indonesian",
                "language", "change language", "switch language", "another language",
                "speak spanish", "speak english", "speak portuguese", "speak chinese",
                "speak japanese", "speak korean", "speak thai", "speak indonesian", "in english",
                "in spanish",
            ]),
            (Thanks, &[
                "thanks a lot", "many thanks", "thank you very much",
                "thanks", "thank you", "thank u", "thx", "thanx", "ty", "tysm", "cheers",
                "much appreciated", "appreciate it",
            ]),
        ],
        fillers: &[
            "awesome", "perfect", "cool", "nice", "alright", "lot", "really", "man", "dude", "bro", "buddy", "yesterday", "today", "paid",
            "please", "pls", "plz", "i", "im", "id", "ill", "want", "wanna", "would", "like", "to",
            "can", "could", "you", "u", "do", "does", "is", "are", "was", "the", "a", "an", "my",
            "me", "of", "for", "in", "on", "it", "this", "that", "now", "yet", "still", "so",
            "much", "very", "just", "ok", "okay", "there", "guys", "show", "view", "see", "look",
            "at", "whats", "what", "with", "some", "any", "let", "again", "great", "lol", "how",
            "get", "go", "have", "got", "be", "ur", "your", "sir", "maam",
        ],
    },
    Phrases {
        lang: Lang::ES,
        by_meaning: &[
            (Greeting, &[
                "que onda", "hola buenas",
                "hola", "holaa", "holi", "buenas", "buen dia", "buenos dias", "buenas tardes",
                "buenas noches", "que tal",
            ]),
            (Menu, &[
                "que venden", "a la venta", "que hay de nuevo",
                "menu", "carta", "catalogo", "que venden", "que tienen", "que productos tienen",
                "productos", "que hay",
            ]),
            (Cart, &[
                "carrito", "mi carrito", "cesta", "carro",
            ]),
            (Checkout, &[
                "finalizar", "finalizar mi compra", "comprar ya", "proceder al pago", "pago",
                "pagar", "quiero pagar", "finalizar compra", "finalizar pedido", "como pago",
                "como puedo pagar", "ir a pagar", "hacer el pedido", "confirmar compra",
            ]),
            (Orders, &[
                "mi pedido", "mis pedidos", "donde esta mi pedido", "estado de mi pedido",
                "estado del pedido", "seguimiento", "rastrear", "enviaron", "ya enviaron",
                "mi paquete", "cuando llega", "mi compra",
            ]),
            (Cancel, &[
                "cancelar", "cancela", "cancela eso", "cancelar pedido", "cancelar mi pedido",
                "olvidalo", "ya no quiero",
            ]),
            (Human, &[
                "hablar con alguien", "alguien", "con un humano", "un humano",
                "hablar con una persona", "una persona", "persona", "asesor", "un asesor",
                "agente", "un agente", "humano", "alguien real", "atencion al cliente",
                "servicio al cliente", "operador", "encargado",
            ]),
            (Complaint, &[
                "insatisfecho", "insatisfecha", "mala calidad", "cobraron dos veces", "no funciona",
                "queja", "reclamo", "reclamacion", "roto", "rota", "danado", "defectuoso",
                "reembolso", "devolucion", "pesimo", "horrible", "terrible", "estafa",
                "nunca llego", "no me llego", "molesto", "decepcionado",
            ]),
            (StopAnnouncements, &[
                "no me manden", "no me envien", "dejen de mandar", "ya no me manden", "dejen de enviar",
                "no quiero mas mensajes", "no me manden mas", "dejen de escribirme",
                "no mas mensajes", "darme de baja",
            ]),
            (StartAnnouncements, &[
                "suscribirme", "suscribir", "alta",
            ]),
            (Language, &[
                "idioma", "cambiar idioma", "otro idioma", "hablas ingles", "en ingles",
                "en espanol", "lengua",
            ]),
            (Thanks, &[
                "muchisimas gracias", "gracias totales",
                "gracias", "muchas gracias", "mil gracias", "grax", "grasias", "te agradezco",
            ]),
        ],
        fillers: &[
            "muchisimas", "mensajes", "mandar", "comunican", "comunicas", "pueden", "decir", "mis",
            "por", "favor", "porfa", "porfavor", "quiero", "quisiera", "necesito", "me", "mi",
            "el", "la", "los", "las", "un", "una", "de", "del", "que", "en", "ver", "muestrame",
            "mostrar", "con", "y", "a", "es", "esta", "ya", "tengo", "hay", "puedo", "puedes",
            "se", "lo", "eso", "muy", "ok", "oye", "hola",
        ],
    },
    Phrases {
        lang: Lang::PT_BR,
        by_meaning: &[
            (Greeting, &[
                "tudo bem", "td bem", "tudo bom",
                "oi", "oii", "oiii", "oie", "ola", "bom dia", "bom diaa", "boa tarde", "boa noite",
                "e ai", "eai",
            ]),
            (Menu, &[
                "menu", "cardapio", "catalogo", "o que vcs vendem", "o que voces vendem",
                "o que tem", "produtos", "os produtos",
            ]),
            (Cart, &[
                "carrinho", "meu carrinho", "sacola", "minha sacola",
            ]),
            (Checkout, &[
                "finalizar", "finalizar a compra", "comprar agora", "pagamento",
                "finalizar compra", "finalizar pedido", "fechar pedido", "fechar compra",
                "quero pagar", "pagar", "como pago", "como faco pra pagar", "como faco para pagar",
                "ir para pagamento",
            ]),
            (Orders, &[
                "meu pedido", "meus pedidos", "cade meu pedido", "onde esta meu pedido",
                "status do pedido", "rastrear", "rastreio", "rastreamento", "foi enviado",
                "ja foi enviado", "minha encomenda", "quando chega",
            ]),
            (Cancel, &[
                "cancelar", "cancela", "cancelar pedido", "cancelar meu pedido", "desisti",
                "nao quero mais",
            ]),
            (Human, &[
                "falar com alguem", "alguem", "atendente humano", "humano",
                "atendente", "um atendente", "falar com uma pessoa", "uma pessoa", "pessoa",
                "humano", "alguem pra me atender", "alguem para me atender", "me atender",
                "atendimento humano", "suporte", "sac", "vendedor", "vendedora",
            ]),
            (Complaint, &[
                "insatisfeito", "insatisfeita", "nao funciona", "cobrado duas vezes", "cobraram duas vezes",
                "reclamacao", "reclamar", "defeito", "com defeito", "quebrado", "quebrada",
                "estragado", "reembolso", "devolucao", "pessimo", "horrivel", "golpe",
                "nunca chegou", "nao chegou", "decepcionado", "absurdo",
            ]),
            (StopAnnouncements, &[
                "para de me mandar", "parem de mandar", "nao me mande", "mandar mensagem", "parar de mandar",
                "nao quero mais receber mensagens", "nao quero mais receber", "parem de mandar",
                "parar de receber", "sair da lista",
            ]),
            (StartAnnouncements, &[
                "reativar", "inscrever", "assinar",
            ]),
            (Language, &[
                "idioma", "mudar idioma", "trocar idioma", "fala ingles", "em ingles",
                "em portugues", "lingua",
            ]),
            (Thanks, &[
                "valeu mesmo", "mto obrigado", "mto obrigada",
                "obrigado", "obrigada", "muito obrigado", "muito obrigada", "valeu", "brigado",
                "brigada", "brigadao", "obg", "vlw",
            ]),
        ],
        fillers: &[
            "mesmo", "to", "ta", "qual", "quais", "passa", "mensagem", "mensagens", "ainda",
            "por", "favor", "pfv", "pf", "quero", "queria", "gostaria", "me", "meu", "minha", "o",
            "a", "os", "as", "um", "uma", "de", "do", "da", "que", "no", "na", "em", "ver",
            "mostra", "mostrar", "com", "e", "tem", "ai", "vcs", "voces", "voce", "vc", "esta",
            "ja", "pra", "para", "fazer", "muito", "ok", "fala",
        ],
    },
    Phrases {
        lang: Lang::ZH_HANS,
        by_meaning: &[
            (Greeting, &[
                "你好", "您好", "在吗", "在不在", "哈喽", "嗨", "早上好", "晚上好",
            ]),
            (Menu, &[
                "有哪些", "哪些商品", "卖的",
                "菜单", "目录", "有什么", "卖什么", "什么商品", "商品列表", "看看商品", "所有商品",
            ]),
            (Cart, &[
                "购物车",
            ]),
            (Checkout, &[
                "结账", "结算", "付款", "支付", "买单", "下单", "去结算",
            ]),
            (Orders, &[
                "我的订单", "订单", "订单状态", "在哪里", "在哪", "到哪了", "快递", "物流", "发货", "查一下我的订单", "什么时候到",
            ]),
            (Cancel, &[
                "取消", "取消订单", "不要了", "算了",
            ]),
            (Human, &[
                "人工服务", "找人",
                "人工", "人工客服", "转人工", "客服", "真人", "找人工", "联系客服",
            ]),
            (Complaint, &[
                "坏的", "损坏", "退货", "有问题",
                "投诉", "退款", "坏了", "破了", "质量太差", "太差了", "差评", "骗子", "没收到", "不满意", "生气",
            ]),
            (StopAnnouncements, &[
                "退订", "取消订阅", "不要再给我发", "不要再发", "别再发", "不要发消息", "发消息",
            ]),
            (StartAnnouncements, &[
                "订阅",
            ]),
            (Language, &[
                "语言", "切换语言", "说英文", "说英语", "说中文", "英文", "英语",
            ]),
            (Thanks, &[
                "谢谢", "多谢", "感谢", "谢啦", "谢了", "3q",
            ]),
        ],
        fillers: &[
            "收到", "帮我", "转", "下",
            "我", "我的", "的", "了", "吗", "呢", "啊", "呀", "吧", "请", "请问", "一下", "你们", "你", "想", "要",
            "看", "看看", "给", "是", "有", "再", "里", "没有", "帮我", "可以", "怎么",
        ],
    },
    Phrases {
        lang: Lang::ZH_HANT,
        by_meaning: &[
            (Greeting, &[
                "你好", "您好", "在嗎", "哈囉", "嗨", "早安", "晚安",
            ]),
            (Menu, &[
                "有哪些", "哪些商品", "賣的",
                "選單", "菜單", "目錄", "有什麼", "賣什麼", "什麼商品", "商品列表",
            ]),
            (Cart, &[
                "購物車",
            ]),
            (Checkout, &[
                "結帳", "結算", "付款", "支付", "買單", "下單",
            ]),
            (Orders, &[
                "包裹", "寄到",
                "我的訂單", "訂單", "訂單狀態", "查詢訂單", "在哪裡", "在哪", "到哪了", "出貨", "物流", "寄出", "什麼時候到",
            ]),
            (Cancel, &[
                "取消", "取消訂單", "不要了", "算了",
            ]),
            (Human, &[
                "真人", "真人客服", "轉真人", "客服", "專人", "人工", "找客服",
            ]),
            (Complaint, &[
                "壞的", "壞掉", "損壞", "瑕疵", "退貨", "有問題",
                "客訴", "投訴", "退款", "壞了", "破了", "品質很差", "很差", "太差", "騙子", "沒收到", "不滿意",
            ]),
            (StopAnnouncements, &[
                "退訂", "取消訂閱", "不要再傳", "不要再發", "別再傳", "傳訊息",
            ]),
            (StartAnnouncements, &[
                "訂閱",
            ]),
            (Language, &[
                "語言", "換語言", "切換語言", "說英文", "英文",
            ]),
            (Thanks, &[
                "謝謝", "多謝", "感謝", "謝啦", "謝了",
            ]),
        ],
        fillers: &[
            "收到", "幫我", "轉",
            "我", "我的", "的", "了", "嗎", "呢", "啊", "呀", "吧", "請", "請問", "一下", "你們", "你", "想", "要",
            "看", "給", "是", "有", "再", "可以", "怎麼", "東西",
        ],
    },
    Phrases {
        lang: Lang::JA,
        by_meaning: &[
            (Greeting, &[
                "こんにちは", "こんばんは", "おはよう", "おはようございます", "どうも", "はじめまして", "やあ",
            ]),
            (Menu, &[
                "どんな商品", "何がありますか", "何がある", "おすすめ",
                "メニュー", "商品一覧", "一覧", "何が売って", "何がありますか", "何がある", "カタログ", "品揃え",
            ]),
            (Cart, &[
                "カート", "かご", "カートの中身",
            ]),
            (Checkout, &[
                "会計", "お会計", "支払い", "支払いたい", "決済", "購入手続き", "レジ", "精算",
            ]),
            (Orders, &[
                "届きますか", "いつ届く", "到着", "荷物",
                "注文はどこ", "注文状況", "注文履歴", "配送状況", "いつ届", "届かない", "発送", "追跡", "注文した商品", "私の注文",
            ]),
            (Cancel, &[
                "キャンセル", "取り消し", "取消", "やめます", "やめる", "やっぱりいい",
            ]),
            (Human, &[
                "担当者", "人と話したい", "オペレーター", "スタッフ", "有人", "人間", "店員", "サポート", "問い合わせ",
            ]),
            (Complaint, &[
                "クレーム", "苦情", "壊れて", "破損", "不良", "返金", "返品", "最悪", "ひどい", "届いていない", "詐欺",
            ]),
            (StopAnnouncements, &[
                "配信を停止", "停止して", "配信をやめて",
                "配信停止", "送らないで", "メッセージ不要", "通知いらない",
            ]),
            (StartAnnouncements, &[
                "配信再開",
            ]),
            (Language, &[
                "言語", "言語を変更", "英語で", "日本語で", "げんご",
            ]),
            (Thanks, &[
                "ありがとう", "ありがとうございます", "どうもありがとう", "サンキュー", "感謝", "助かりました",
            ]),
        ],
        fillers: &[
            "を", "は", "が", "の", "に", "で", "と", "て", "です", "ます", "ですか", "ください", "お願いします", "おねがいします",
            "したい", "たい", "見せて", "見る", "見たい", "知りたい", "ですか", "か", "さん", "いますか", "いる", "ね", "よ",
            "繋いで", "つないで", "話したい", "変更", "商品", "しました", "ました", "いました", "でした", "して", "メッセージ",
        ],
    },
    Phrases {
        lang: Lang::KO,
        by_meaning: &[
            (Greeting, &[
                "안녕하세요", "안녕", "안뇽", "하이", "반가워요", "좋은 아침",
            ]),
            (Menu, &[
                "어떤 상품", "상품 뭐", "뭐 있어요", "뭐가 있어요",
                "메뉴", "상품 목록", "목록", "뭐 팔아요", "뭐 팔아", "뭐 있어요", "카탈로그", "상품 보기",
            ]),
            (Cart, &[
                "장바구니",
            ]),
            (Checkout, &[
                "결제", "계산", "주문하기", "구매하기", "결제할게요", "결제하고",
            ]),
            (Orders, &[
                "주문 내역", "주문 상태", "제 주문", "내 주문", "배송 조회", "배송", "택배", "어디쯤", "언제 와요", "언제 도착",
                "주문 확인",
            ]),
            (Cancel, &[
                "취소", "주문 취소", "그만둘게요", "안 살래요",
            ]),
            (Human, &[
                "상담원", "상담사", "사람이랑", "사람과", "직원", "고객센터", "매니저", "상담 연결", "사람 연결",
            ]),
            (Complaint, &[
                "불만", "파손", "고장", "환불", "반품", "최악", "별로", "실망", "사기", "못 받았", "화나",
            ]),
            (StopAnnouncements, &[
                "수신거부", "수신 거부", "그만 보내", "보내지 마", "메시지 그만",
            ]),
            (StartAnnouncements, &[
                "수신동의", "수신 동의", "재개",
            ]),
            (Language, &[
                "언어", "언어 변경", "영어로", "한국어로",
            ]),
            (Thanks, &[
                "감사합니다", "감사해요", "고마워요", "고맙습니다", "고마워", "땡큐", "감사",
            ]),
        ],
        fillers: &[
            "열어주세요", "열어", "어떤", "진행해", "알려주세요", "바꿔주세요", "거",
            "주세요", "해주세요", "해 주세요", "좀", "제", "저", "내", "이", "가", "을", "를", "은", "는", "요", "싶어요",
            "하고", "있어요", "보기", "확인", "보여주세요", "연결", "연결해", "얘기하고", "대화하고", "너무", "할래요", "해요",
            "했어요", "됐어요", "메시지",
        ],
    },
    Phrases {
        lang: Lang::TH,
        by_meaning: &[
            (Greeting, &[
                "สวัสดี", "สวัสดีค่า", "หวัดดี", "ดีครับ", "ดีค่ะ", "ดีจ้า",
            ]),
            (Menu, &[
                "ขายบ้าง", "มีอะไรขาย",
                "เมนู", "มีสินค้าอะไร", "สินค้าอะไรบ้าง", "ขายอะไร", "มีอะไรบ้าง", "แคตตาล็อก",
            ]),
            (Cart, &[
                "ตะกร้า", "ตะกร้าสินค้า", "รถเข็น",
            ]),
            (Checkout, &[
                "ชำระเงิน", "จ่ายเงิน", "เช็คเอาท์", "เช็คเอ้าท์", "สั่งซื้อเลย", "โอนเงิน",
            ]),
            (Orders, &[
                "มาถึง", "เมื่อไหร่", "ของจะมา", "ได้ของ",
                "ออเดอร์ของฉัน", "ออเดอร์", "คำสั่งซื้อ", "สถานะ", "อยู่ไหน", "ส่งหรือยัง",
                "ติดตามพัสดุ", "พัสดุ", "เลขพัสดุ", "ได้ของเมื่อไหร่",
            ]),
            (Cancel, &[
                "ยกเลิกคำสั่งซื้อ", "ยกเลิกออเดอร์", "ขอยกเลิก", "ไม่เอาแล้ว",
            ]),
            (Human, &[
                "พนักงาน", "แอดมิน", "เจ้าหน้าที่", "คุยกับคน", "มีคนตอบ", "ติดต่อคน", "คนจริง",
            ]),
            (Complaint, &[
                "ร้องเรียน", "เสียหาย", "ชำรุด", "พัง", "คืนเงิน", "แย่มาก", "ไม่พอใจ", "โกง",
                "ไม่ได้รับของ",
            ]),
            (StopAnnouncements, &[
                "หยุดส่งข้อความ", "หยุดส่ง", "ยกเลิกรับข่าวสาร", "ไม่ต้องส่ง",
            ]),
            (StartAnnouncements, &[
                "รับข่าวสาร", "สมัครรับข่าวสาร",
            ]),
            (Language, &[
                "ภาษา", "เปลี่ยนภาษา", "ภาษาอังกฤษ",
            ]),
            (Thanks, &[
                "ขอบคุณ", "ขอบใจ", "ขอบคุณมาก", "แต๊งกิ้ว",
            ]),
        ],
        fillers: &[
            "จะ", "ให้", "หน่อย", "รับ",
            "ครับ", "ค่ะ", "คะ", "ค่า", "นะ", "จ้า", "ขอ", "ดู", "หน่อย", "ของ", "ฉัน", "ผม",
            "หนู", "ใน", "มี", "อะไร", "กับ", "ไหม", "มั้ย", "ได้", "ยังไง", "อย่างไร", "มาก",
            "มากๆ", "ๆ", "เช็ค", "ติดต่อ", "คุย", "บริการ", "พูด",
        ],
    },
    Phrases {
        lang: Lang::ID,
        by_meaning: &[
            (Greeting, &[
                "halo", "hai", "hallo", "pagi", "siang", "sore", "malam", "selamat pagi",
                "selamat siang", "selamat sore", "selamat malam", "permisi",
            ]),
            (Menu, &[
                "produknya", "produk", "apa aja",
                "menu", "katalog", "jual apa", "produk apa", "ada produk apa", "daftar produk",
                "lihat produk",
            ]),
            (Cart, &[
                "keranjang", "keranjang saya",
            ]),
            (Checkout, &[
                "checkout", "bayar", "mau bayar", "bayar sekarang", "cara bayar", "cara bayarnya",
                "pembayaran",
            ]),
            (Orders, &[
                "pesanan saya", "pesanan", "status pesanan", "lacak", "resi", "sudah dikirim",
                "dikirim", "paket saya", "kapan sampai", "orderan",
            ]),
            (Cancel, &[
                "batalin", "cancel",
                "batal", "batalkan", "batalkan pesanan", "gak jadi", "nggak jadi", "ga jadi",
                "tidak jadi",
            ]),
            (Human, &[
                "admin", "cs", "customer service", "bicara dengan admin", "ngobrol sama orang",
                "orang", "manusia", "operator", "agen",
            ]),
            (Complaint, &[
                "komplain", "keluhan", "rusak", "cacat", "refund", "uang kembali", "kecewa",
                "buruk", "penipuan", "belum sampai", "tidak sampai",
            ]),
            (StopAnnouncements, &[
                "berhenti", "jangan kirim pesan lagi", "jangan kirim", "stop kirim",
                "berhenti langganan",
            ]),
            (StartAnnouncements, &[
                "langganan", "mulai lagi",
            ]),
            (Language, &[
                "bahasa", "ganti bahasa", "bahasa inggris", "bahasa indonesia",
            ]),
            (Thanks, &[
                "makasih banyak", "terima kasih banyak",
                "makasih", "terima kasih", "trima kasih", "makasi", "thanks", "tq", "thx",
                "terimakasih",
            ]),
        ],
        fillers: &[
            "banyak", "kok", "buka", "tolong", "terima",
            "kak", "min", "gan", "sis", "ya", "yah", "dong", "deh", "nih", "saya", "aku", "mau",
            "minta", "tolong", "lihat", "cek", "apa", "aja", "saja", "ada", "isi", "sekarang",
            "bisa", "gimana", "sama", "dengan", "yang", "sudah", "belum", "dimana", "di", "mana",
            "lagi", "hubungi", "bicara", "ngobrol", "sangat", "banget",
        ],
    },
];
