### Textos do chatdrop para o cliente, em português do Brasil. Tradução de en.ftl.
### Sintaxe: https://projectfluent.org/fluent/guide/

## Navegação

welcome = Olá! Boas-vindas à nossa loja. O que você quer ver?
menu-label = Menu
choose-label = Escolher
choose-category = Escolha uma categoria:
products-in = { $category }: escolha um produto.
category-empty = No momento não há nada em { $category }.
product-detail =
    { $name } — { $price }
    { $description }
    .options = Você escolhe: { $options }.
customize-and-add = Personalizar e adicionar
add-to-cart = Adicionar ao carrinho
back = Voltar
view-cart = Ver carrinho
menu = Menu
search-results = Veja o que encontrei para “{ $query }”:
nothing-found = Não encontrei nada para “{ $query }”. Veja o menu:
unknown-product = Desculpe, esse produto não está mais disponível.
unknown-category = Desculpe, essa categoria não está mais disponível.
contact-linked = Obrigado! Seu número de telefone agora está ligado a este chat.
image-received = Obrigado pela imagem! Só consigo ler texto e botões. Veja o menu:
unsupported = Desculpe, não consigo ler esse tipo de mensagem. Digite “menu” para ver a loja.
stale-button = Esse botão é de uma etapa anterior.
unknown-tap = Desculpe, esse botão não funciona mais.

## Personalizar um produto

ask-option = { $product } ({ $step }/{ $steps }): escolha { $group }.
ask-text = { $product } ({ $step }/{ $steps }): digite { $group }, até { $max } caracteres.
skip = Pular
cancel = Cancelar
try-again = Escolha de novo, por favor.
cancelled = Personalização cancelada; nada foi adicionado.

## Por que uma escolha foi recusada

choice-wrong-step = Essa escolha é de outra etapa.
choice-unknown-option = Não encontrei essa opção.
choice-excluded = { $option } não pode ser combinado com { $other }.
choice-requires = { $option } só está disponível com { $needed }.
choice-not-optional = Esta etapa não pode ser pulada.
choice-text-empty = O texto está vazio.
choice-text-too-long = O texto tem mais de { $max } caracteres.
choice-text-character = Não é possível usar “{ $character }”: use letras, números, espaços e . , ' & - !

## O carrinho

added =
    Adicionado ao carrinho: { $item } — { $price }.
    Seu carrinho: { $units ->
        [one] { $units } item
       *[other] { $units } itens
    }, { $total }.
cart-header = Seu carrinho:
cart-line = { $n }. { $item } × { $quantity } — { $amount }
cart-total = Total: { $total }
cart-empty = Seu carrinho está vazio.
keep-shopping = Continuar comprando
empty-cart = Esvaziar carrinho
change = Alterar { $item }
line-view = { $item } × { $quantity }. O que você quer alterar?
one-more = Mais um
one-less = Menos um
remove = Remover
removed = Removido do carrinho.
emptied = Seu carrinho agora está vazio.
quantity-set = Quantidade: { $quantity }.
unknown-line = Esse item não está mais no seu carrinho.
too-many = Você pode ter no máximo { $max } de um mesmo item.
too-many-lines = Seu carrinho aceita no máximo { $max } itens diferentes.
reply-with-number = Responda com um número.

## Pagamento

checkout = Finalizar compra
checkout-empty = Seu carrinho está vazio, então não há nada para pagar.
reserved =
    Reservado para você por { $minutes } minutos. Total: { $total }.
    Pague com segurança pelo Stripe:
pay-now = Pagar agora
qr-caption = Ou leia este código para pagar em outro aparelho.
cancel-reservation = Cancelar reserva
sold-out = Desculpe, { $item } esgotou. Seu carrinho não mudou.
over-limit = Desculpe, esta venda permite { $limit } por cliente, contando seus outros pedidos e chats. Seu carrinho não mudou.
drop-not-yet = { $drop } abre em { $when }. Seu carrinho vai esperar por você.
drop-over = Desculpe, { $drop } terminou.
payment-unavailable = Desculpe, o pagamento não está disponível agora. Nada foi cobrado; tente de novo mais tarde.

## Pedidos

reservation-cancelled = O pedido { $number } foi cancelado e nada foi cobrado.
already-paid = O pedido { $number } já está pago.
not-your-order = Não encontro esse pedido neste chat.
orders-header = Seus pedidos:
order-summary = #{ $number } — { $status } — { $total }
order-state-awaiting-payment = aguardando pagamento
order-state-paid = pago
order-state-lapsed = expirado
order-state-cancelled = cancelado
order-state-under-review = em análise
order-state-shipped = enviado
order-state-refunded = reembolsado
no-orders = Você ainda não tem pedidos.
confirmation =
    Obrigado! O pedido { $number } está pago.
    { $items }
    Total: { $total }
    Vamos avisar aqui quando for enviado.
lapsed = Sua reserva { $number } expirou e os itens voltaram à venda. Nada foi cobrado.
checkout-again = Finalizar de novo
shipped = Boa notícia: o pedido { $number } foi enviado. Código de rastreio: { $tracking }
refunded = O pedido { $number } foi reembolsado por completo.
late-payment = Recebemos seu pagamento do pedido { $number } depois que a reserva expirou. Nossa equipe vai falar com você aqui em breve; você não vai perder seu dinheiro.
payment-under-review = Recebemos um pagamento do pedido { $number } que precisamos verificar antes de confirmar. Nossa equipe vai falar com você aqui em breve; você não vai perder seu dinheiro.
awaiting-delayed-payment = Obrigado! O pedido { $number } fica reservado para você até { $deadline }. Pague até lá como a página de pagamento mostrou. Confirmaremos aqui quando o pagamento chegar.
delayed-payment-failed = O pagamento do pedido { $number } não chegou a tempo, então os itens voltaram à venda. Nada foi cobrado.
my-orders = Meus pedidos

## Páginas da web abertas pelo chat

paid-page-title = Obrigado
paid-page-text = Estamos confirmando seu pagamento. Você pode voltar ao chat: a confirmação chega lá.
cancelled-page-title = Pagamento não concluído
cancelled-page-text = Nada foi cobrado. Volte ao chat para pagar enquanto a reserva vale.
already-paid-page-title = Já está pago
already-paid-page-text = O pedido { $number } está pago. As novidades chegam no seu chat.
lapsed-page-title = Esta reserva terminou
lapsed-page-text = A reserva { $number } expirou: os itens voltaram à venda e nada foi cobrado. Volte ao chat para finalizar de novo enquanto houver estoque.
unknown-link-page-title = Link não encontrado
unknown-link-page-text = Este link de pagamento não existe. Volte ao chat para receber um novo.
pay-link-failed-page-title = Tente de novo
pay-link-failed-page-text = Não conseguimos abrir a página de pagamento agora. Nada foi cobrado.

language-entry = 🌐 Idioma / Language
choose-language = Escolha seu idioma:
languages-label = Idiomas
language-set = A partir de agora vou falar em { $name }.

# Waitlist
waitlist-join-button = Entrar na lista de espera
waitlist-joined = Você está na lista de espera de { $item }. Se uma unidade voltar, vamos guardá-la para você e avisar aqui.
waitlist-offer = { $minutes ->
    [one] Uma unidade de { $item } voltou e está guardada para você por 1 minuto. Finalize com um toque.
   *[other] Uma unidade de { $item } voltou e está guardada para você por { $minutes } minutos. Finalize com um toque.
}
waitlist-take-button = Finalizar agora
waitlist-pass-button = Não, obrigado
waitlist-passed = Obrigado. Oferecemos para a próxima pessoa da lista.
waitlist-offer-gone = Desculpe, esta oferta terminou.
remind-me-button = Me avise
reminder-set = Pronto. Vamos avisar aqui quando { $drop } abrir, em { $when }.
drop-opened = { $drop } está aberto agora (desde { $when }). Toque em Menu para comprar.

# Consent
stop-announcements-entry = Parar anúncios
start-announcements-entry = Receber anúncios
announcements-stopped = Você não vai mais receber anúncios de lançamentos. As atualizações dos seus pedidos continuam chegando aqui. Envie VOLTAR para receber de novo.
announcements-started = Você vai voltar a receber nossos lançamentos. Envie PARAR para parar.
what-we-hold = O que guardo sobre você: idioma { $language }; telefone { $phone ->
        [none] nenhum
       *[other] { $phone }
    }; { $items ->
        [0] carrinho vazio
        [one] 1 item no carrinho
       *[other] { $items } itens no carrinho
    }; anúncios { $announcements ->
        [in] ativados
        [out] desativados
       *[never] nunca pedidos
    }; etiquetas da nossa equipe { $tags ->
        [none] nenhuma
       *[other] { $tags }
    }. Envie ME ESQUEÇA para apagar.
forgotten = Esqueci esta conversa: carrinho, idioma, telefone, etiquetas e escolhas de anúncios. Seus pedidos continuam na nossa contabilidade, sem o seu nome.

# Draw
draw-only = { $drop } vai a sorteio: participe antes de { $closes }, uma inscrição por pessoa, e os vencedores são sorteados ao acaso.
draw-enter-button = Participar do sorteio
draw-entered = Você está no sorteio de { $drop }. Seu número de inscrição é { $entry }. As inscrições fecham { $closes }; vamos escrever aqui com o resultado.
draw-already-entered = Você já está no sorteio de { $drop }: uma inscrição por pessoa.
draw-closed = As inscrições para { $drop } estão encerradas.
draw-needs-phone = O sorteio de { $drop } aceita uma inscrição por número de telefone verificado. Compartilhe seu número primeiro e depois participe.
draw-won = Você ganhou o sorteio de { $drop }! Seu item está reservado até { $until }. Pague pelo link abaixo.
draw-lost = O sorteio de { $drop } terminou e desta vez você não foi sorteado. Entre na lista de espera: a unidade que um vencedor não pagar é oferecida por ordem.
draw-not-a-winner = Isto é só para os vencedores do sorteio de { $drop }.

# Campaign
# The last line of a drop announcement: the word that stops them (a STOP keyword of this language).
announcement-stop-hint = Envie PARAR para não receber mais anúncios de lançamentos.

# Understanding
youre-welcome = Por nada! Posso ajudar em algo mais?
closest-matches = Não encontrei nada para “{ $query }”. Você quis dizer um destes?
# Handoff
handoff-soon = Passei sua conversa para uma pessoa da nossa equipe. Ela vai te responder aqui em poucos minutos.
handoff-from = Passei sua conversa para uma pessoa da nossa equipe. Estamos fechados agora, então ela vai te responder aqui a partir de { $when } (seu horário).

# Phone verification
phone-ask = { $drop } é um por pessoa, então primeiro confirmamos um número de celular. Envie seu número (como você disca no seu país, ou com + e o código do país) e mandaremos um código por SMS.
phone-not-a-number = Isso não parece um número de celular para onde possamos mandar SMS. Digite de novo, por exemplo (11) 91234-5678.
phone-code-sent = Mandamos um código para { $phone }. Digite aqui: ele vale por { $minutes } minutos.
phone-type-code = Digite o código que mandamos para { $phone }, ou peça um novo.
phone-code-wrong = Esse código não está certo. { $left ->
        [one] Resta uma tentativa.
       *[other] Restam { $left } tentativas.
    }
phone-code-expired = Esse código expirou. Toque em “Novo código” e mandaremos outro.
phone-too-many-tries = Muitos códigos errados. Você pode pedir um novo código a partir de { $when }.
phone-too-many-codes = Já mandamos códigos demais para este número por enquanto. Tente de novo em 10 minutos.
phone-verify-unavailable = No momento não conseguimos enviar nem conferir códigos. Tente de novo em alguns minutos.
phone-new-code-button = Novo código
phone-other-number-button = Outro número
phone-share-hint = Ou compartilhe o número desta conta com o botão abaixo: sem código.
phone-share-button = Compartilhar meu número

# VIP
# A customer whose lifetime paid passed the shop's VIP threshold is handed to a person right after a payment; the handoff's own line (handoff-soon or handoff-from) follows.
vip-welcome = Obrigado por ser um dos nossos clientes mais especiais! Uma pessoa da nossa equipe vai cuidar de você pessoalmente.
# The button that asks for a person (KakaoTalk's operator action: the channel's own 1:1 chat).
talk-to-person = Atendente
