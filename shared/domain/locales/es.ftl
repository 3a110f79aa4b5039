### Textos de chatdrop para el cliente, en español. Traducción de en.ftl.
### Sintaxis: https://projectfluent.org/fluent/guide/

## Navegar

welcome = ¡Hola! Te damos la bienvenida a nuestra tienda. ¿Qué quieres ver?
menu-label = Menú
choose-label = Elegir
choose-category = Elige una categoría:
products-in = { $category }: elige un producto.
category-empty = Por ahora no hay nada en { $category }.
product-detail =
    { $name } — { $price }
    { $description }
    .options = Puedes elegir: { $options }.
customize-and-add = Personalizar y añadir
add-to-cart = Añadir al carrito
back = Volver
view-cart = Ver carrito
menu = Menú
search-results = Esto es lo que encontré para «{ $query }»:
nothing-found = No encontré nada para «{ $query }». Este es el menú:
unknown-product = Lo siento, ese producto ya no está disponible.
unknown-category = Lo siento, esa categoría ya no está disponible.
contact-linked = ¡Gracias! Tu número de teléfono ya está vinculado a este chat.
image-received = ¡Gracias por la imagen! Solo puedo leer texto y botones. Este es el menú:
unsupported = Lo siento, no puedo leer ese tipo de mensaje. Escribe «menú» para ver la tienda.
stale-button = Ese botón es de un paso anterior.
unknown-tap = Lo siento, ese botón ya no funciona.

## Personalizar un producto

ask-option = { $product } ({ $step }/{ $steps }): elige { $group }.
ask-text = { $product } ({ $step }/{ $steps }): escribe { $group }, hasta { $max } caracteres.
skip = Omitir
cancel = Cancelar
try-again = Elige de nuevo, por favor.
cancelled = Personalización cancelada; no se añadió nada.

## Por qué no se aceptó una opción

choice-wrong-step = Esa opción es de otro paso.
choice-unknown-option = No encontré esa opción.
choice-excluded = { $option } no se puede combinar con { $other }.
choice-requires = { $option } solo está disponible con { $needed }.
choice-not-optional = Este paso no se puede omitir.
choice-text-empty = El texto está vacío.
choice-text-too-long = El texto tiene más de { $max } caracteres.
choice-text-character = No se puede usar «{ $character }»: usa letras, números, espacios y . , ' & - !

## El carrito

added =
    Añadido al carrito: { $item } — { $price }.
    Tu carrito: { $units ->
        [one] { $units } artículo
       *[other] { $units } artículos
    }, { $total }.
cart-header = Tu carrito:
cart-line = { $n }. { $item } × { $quantity } — { $amount }
cart-total = Total: { $total }
cart-empty = Tu carrito está vacío.
keep-shopping = Seguir comprando
empty-cart = Vaciar carrito
change = Cambiar { $item }
line-view = { $item } × { $quantity }. ¿Qué quieres cambiar?
one-more = Uno más
one-less = Uno menos
remove = Quitar
removed = Se quitó del carrito.
emptied = Tu carrito ahora está vacío.
quantity-set = Cantidad: { $quantity }.
unknown-line = Ese artículo ya no está en tu carrito.
too-many = Puedes tener como máximo { $max } de un mismo artículo.
too-many-lines = Tu carrito admite como máximo { $max } artículos distintos.
reply-with-number = Responde con un número.

## Pago

checkout = Pagar
checkout-empty = Tu carrito está vacío, así que no hay nada que pagar.
reserved =
    Lo reservamos para ti durante { $minutes } minutos. Total: { $total }.
    Paga de forma segura con Stripe:
pay-now = Pagar ahora
qr-caption = O escanea este código para pagar en otro dispositivo.
cancel-reservation = Cancelar reserva
sold-out = Lo siento, { $item } está agotado. Tu carrito no ha cambiado.
over-limit = Lo siento, esta venta permite { $limit } por cliente, contando tus otros pedidos y chats. Tu carrito no ha cambiado.
drop-not-yet = { $drop } abre el { $when }. Tu carrito te esperará.
drop-over = Lo siento, { $drop } ha terminado.
payment-unavailable = Lo siento, ahora no se puede pagar. No se cobró nada; inténtalo más tarde.

## Pedidos

reservation-cancelled = El pedido { $number } está cancelado y no se cobró nada.
already-paid = El pedido { $number } ya está pagado.
not-your-order = No encuentro ese pedido en este chat.
orders-header = Tus pedidos:
order-summary = #{ $number } — { $status } — { $total }
order-state-awaiting-payment = pendiente de pago
order-state-paid = pagado
order-state-lapsed = vencido
order-state-cancelled = cancelado
order-state-under-review = en revisión
order-state-shipped = enviado
order-state-refunded = reembolsado
no-orders = Todavía no tienes pedidos.
confirmation =
    ¡Gracias! El pedido { $number } está pagado.
    { $items }
    Total: { $total }
    Te avisaremos aquí cuando lo enviemos.
lapsed = Tu reserva { $number } venció y los artículos volvieron a la venta. No se cobró nada.
checkout-again = Volver a pagar
shipped = Buenas noticias: el pedido { $number } fue enviado. Número de seguimiento: { $tracking }
refunded = El pedido { $number } fue reembolsado por completo.
late-payment = Recibimos tu pago del pedido { $number } después de que venciera la reserva. Nuestro equipo te escribirá aquí pronto; no perderás tu dinero.
payment-under-review = Recibimos un pago del pedido { $number } que debemos revisar antes de confirmarlo. Nuestro equipo te escribirá aquí pronto; no perderás tu dinero.
awaiting-delayed-payment = ¡Gracias! Guardamos el pedido { $number } hasta el { $deadline }. Paga antes de esa hora como te indicó la página de pago. Te confirmaremos aquí cuando llegue el pago.
delayed-payment-failed = El pago del pedido { $number } no llegó a tiempo, así que los artículos volvieron a la venta. No se cobró nada.
my-orders = Mis pedidos

## Páginas web que se abren desde el chat

paid-page-title = Gracias
paid-page-text = Estamos confirmando tu pago. Puedes volver al chat: allí llegará la confirmación.
cancelled-page-title = Pago no completado
cancelled-page-text = No se cobró nada. Vuelve al chat para pagar mientras dure tu reserva.
already-paid-page-title = Ya está pagado
already-paid-page-text = El pedido { $number } está pagado. Las novedades llegarán a tu chat.
lapsed-page-title = Esta reserva terminó
lapsed-page-text = La reserva { $number } venció: sus artículos volvieron a la venta y no se cobró nada. Vuelve al chat para pagar de nuevo mientras haya existencias.
unknown-link-page-title = Enlace no encontrado
unknown-link-page-text = Este enlace de pago no existe. Vuelve al chat para recibir uno nuevo.
pay-link-failed-page-title = Inténtalo de nuevo
pay-link-failed-page-text = No pudimos abrir la página de pago. No se cobró nada.

language-entry = 🌐 Idioma / Language
choose-language = Elige tu idioma:
languages-label = Idiomas
language-set = A partir de ahora te hablaré en { $name }.

# Waitlist
waitlist-join-button = Unirme a la lista de espera
waitlist-joined = Estás en la lista de espera de { $item }. Si vuelve una unidad, la guardamos para ti y te escribimos aquí.
waitlist-offer = { $minutes ->
    [one] Volvió una unidad de { $item } y la guardamos para ti durante 1 minuto. Paga con un toque.
   *[other] Volvió una unidad de { $item } y la guardamos para ti durante { $minutes } minutos. Paga con un toque.
}
waitlist-take-button = Pagar ahora
waitlist-pass-button = No, gracias
waitlist-passed = Gracias. Se la ofrecimos a la siguiente persona de la lista.
waitlist-offer-gone = Lo siento, esta oferta ya terminó.
remind-me-button = Avísame
reminder-set = Listo. Te escribiremos aquí cuando { $drop } abra, el { $when }.
drop-opened = { $drop } ya está abierto (desde { $when }). Toca Menú para comprar.

# Consent
stop-announcements-entry = Dejar de recibir anuncios
start-announcements-entry = Recibir anuncios
announcements-stopped = Ya no te enviaremos anuncios de lanzamientos. Las novedades de tus pedidos seguirán llegando aquí. Escribe ALTA para volver a recibirlos.
announcements-started = Volverás a recibir nuestros lanzamientos. Escribe PARAR para dejar de recibirlos.
what-we-hold = Lo que guardo sobre ti: idioma { $language }; teléfono { $phone ->
        [none] ninguno
       *[other] { $phone }
    }; { $items ->
        [0] un carrito vacío
        [one] 1 artículo en el carrito
       *[other] { $items } artículos en el carrito
    }; anuncios { $announcements ->
        [in] activados
        [out] desactivados
       *[never] nunca pedidos
    }; etiquetas de nuestro equipo { $tags ->
        [none] ninguna
       *[other] { $tags }
    }. Escribe OLVÍDAME para borrarlo.
forgotten = He olvidado este chat: su carrito, idioma, teléfono, etiquetas y preferencias de anuncios. Tus pedidos quedan en nuestra contabilidad, sin tu nombre.

# Draw
draw-only = { $drop } se sortea: participa antes de { $closes }, una participación por persona, y los ganadores salen al azar.
draw-enter-button = Participar
draw-entered = Estás en el sorteo de { $drop }. Tu número de participación es { $entry }. Se cierra { $closes }; te escribiremos aquí con el resultado.
draw-already-entered = Ya participas en el sorteo de { $drop }: una participación por persona.
draw-closed = Las participaciones para { $drop } están cerradas.
draw-needs-phone = El sorteo de { $drop } admite una participación por número de teléfono verificado. Comparte primero tu número y luego participa.
draw-won = ¡Ganaste el sorteo de { $drop }! Tu artículo está reservado hasta { $until }. Paga con el enlace de abajo.
draw-lost = El sorteo de { $drop } terminó y esta vez no saliste. Únete a la lista de espera: si un ganador no paga, su unidad se ofrece por orden.
draw-not-a-winner = Esto es solo para los ganadores del sorteo de { $drop }.

# Campaign
# The last line of a drop announcement: the word that stops them (a STOP keyword of this language).
announcement-stop-hint = Envía PARAR para dejar de recibir anuncios de lanzamientos.

# Understanding
youre-welcome = ¡De nada! ¿Algo más?
closest-matches = No encontré nada para «{ $query }». ¿Quizás buscabas alguno de estos?
# Handoff
handoff-soon = He pasado tu conversación a una persona de nuestro equipo. Te responderá aquí en unos minutos.
handoff-from = He pasado tu conversación a una persona de nuestro equipo. Ahora estamos cerrados, así que te responderá aquí a partir del { $when } (tu hora).

# Phone verification
phone-ask = { $drop } es de uno por persona, así que primero verificamos un número de móvil. Envía tu número (como lo marcas en tu país, o con + y el código de país) y te mandaremos un código por SMS.
phone-not-a-number = Eso no parece un número de móvil al que podamos enviar un SMS. Escríbelo de nuevo, por ejemplo +34 612 34 56 78.
phone-code-sent = Te hemos enviado un código al { $phone }. Escríbelo aquí: vale durante { $minutes } minutos.
phone-type-code = Escribe el código que enviamos al { $phone }, o pide uno nuevo.
phone-code-wrong = Ese código no es correcto. { $left ->
        [one] Te queda un intento.
       *[other] Te quedan { $left } intentos.
    }
phone-code-expired = Ese código ha caducado. Toca «Código nuevo» y te enviaremos otro.
phone-too-many-tries = Demasiados códigos incorrectos. Podrás pedir uno nuevo a partir de { $when }.
phone-too-many-codes = Hemos enviado demasiados códigos a este número por ahora. Inténtalo de nuevo en 10 minutos.
phone-verify-unavailable = Ahora mismo no podemos enviar ni comprobar códigos. Inténtalo de nuevo en unos minutos.
phone-new-code-button = Código nuevo
phone-other-number-button = Otro número
phone-share-hint = O comparte el número de esta cuenta con el botón de abajo: sin código.
phone-share-button = Compartir mi número

# VIP
# A customer whose lifetime paid passed the shop's VIP threshold is handed to a person right after a payment; the handoff's own line (handoff-soon or handoff-from) follows.
vip-welcome = ¡Gracias por ser uno de nuestros clientes más especiales! Una persona de nuestro equipo te atenderá personalmente.
# The button that asks for a person (KakaoTalk's operator action: the channel's own 1:1 chat).
talk-to-person = Con un agente
