//! Property 2: a genuine signature always verifies, over any body (the outcome may be messages
//! or a complaint about the body, never `Unauthorized`), and a well-formed text message signed
//! so comes back as exactly that text.

use super::signing::*;
use super::strategies::body;
use super::*;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn whatsapp_genuine_signature_verifies(body in body()) {
        let signature = meta_signature(&body);
        let pairs = [("x-hub-signature-256", signature.as_bytes()), ("content-type", JSON)];
        let result = post(&whatsapp(), &pairs, None, URL, &body);
        prop_assert!(!is_unauthorized(&result), "{result:?}");
    }

    #[test]
    fn whatsapp_signed_text_arrives_intact(
        from in "[0-9]{6,15}",
        id in "wamid\\.[A-Za-z0-9=_-]{1,40}",
        text in any::<String>(),
    ) {
        let body = serde_json::to_vec(&json!({
            "object": "whatsapp_business_account",
            "entry": [{"changes": [{"field": "messages", "value": {"messages": [{
                "from": from, "id": id, "timestamp": "1700000000",
                "type": "text", "text": {"body": text},
            }]}}]}],
        })).unwrap();
        let signature = meta_signature(&body);
        let pairs = [("x-hub-signature-256", signature.as_bytes()), ("content-type", JSON)];
        let m = only_message(post(&whatsapp(), &pairs, None, URL, &body));
        prop_assert_eq!(m.conversation, ConversationId::new(Channel::Whatsapp, from));
        prop_assert_eq!(m.event_id, id);
        prop_assert_eq!(m.content, InboundContent::Text { body: text });
    }

    #[test]
    fn telegram_right_secret_is_let_through(body in body()) {
        let pairs = [("x-telegram-bot-api-secret-token", TELEGRAM_SECRET.as_bytes())];
        let result = post(&telegram(), &pairs, None, URL, &body);
        prop_assert!(!is_unauthorized(&result), "{result:?}");
    }

    #[test]
    fn telegram_private_text_arrives_intact(
        update_id in any::<i64>(),
        chat in any::<i64>(),
        text in any::<String>(),
    ) {
        let body = serde_json::to_vec(&json!({
            "update_id": update_id,
            "message": {
                "message_id": 1, "date": 1700000000, "text": text,
                "from": {"id": chat, "is_bot": false, "first_name": "A"},
                "chat": {"id": chat, "type": "private"},
            },
        })).unwrap();
        let pairs = [("x-telegram-bot-api-secret-token", TELEGRAM_SECRET.as_bytes())];
        let m = only_message(post(&telegram(), &pairs, None, URL, &body));
        prop_assert_eq!(m.conversation, ConversationId::new(Channel::Telegram, chat.to_string()));
        prop_assert_eq!(m.event_id, update_id.to_string());
        prop_assert_eq!(m.content, InboundContent::Text { body: text });
    }

    #[test]
    fn messenger_genuine_signature_verifies(body in body()) {
        let signature = meta_signature(&body);
        let pairs = [("x-hub-signature-256", signature.as_bytes()), ("content-type", JSON)];
        let result = post(&messenger(), &pairs, None, URL, &body);
        prop_assert!(!is_unauthorized(&result), "{result:?}");
    }

    #[test]
    fn messenger_signed_text_arrives_intact(
        psid in "[0-9]{10,17}",
        mid in "m_[A-Za-z0-9_-]{1,40}",
        text in any::<String>().prop_filter("Messenger text is never empty", |t| !t.is_empty()),
    ) {
        let body = serde_json::to_vec(&json!({
            "object": "page",
            "entry": [{"id": "1", "time": 1, "messaging": [{
                "sender": {"id": psid}, "recipient": {"id": "1"},
                "timestamp": 1700000000000_i64,
                "message": {"mid": mid, "text": text},
            }]}],
        })).unwrap();
        let signature = meta_signature(&body);
        let pairs = [("x-hub-signature-256", signature.as_bytes()), ("content-type", JSON)];
        let m = only_message(post(&messenger(), &pairs, None, URL, &body));
        prop_assert_eq!(m.conversation, ConversationId::new(Channel::Messenger, psid));
        prop_assert_eq!(m.event_id, mid);
        prop_assert_eq!(m.content, InboundContent::Text { body: text });
    }

    #[test]
    fn line_genuine_signature_verifies(body in body()) {
        let signature = line_signature(&body);
        let pairs = [("x-line-signature", signature.as_bytes()), ("content-type", JSON)];
        let result = post(&line(), &pairs, None, URL, &body);
        prop_assert!(!is_unauthorized(&result), "{result:?}");
    }

    #[test]
    fn line_signed_text_arrives_intact(
        user in "U[0-9a-f]{32}",
        event_id in "[0-9A-Z]{26}",
        text in any::<String>(),
    ) {
        let body = serde_json::to_vec(&json!({
            "destination": "Uffffffffffffffffffffffffffffffff",
            "events": [{
                "type": "message", "mode": "active", "timestamp": 1700000000000_i64,
                "webhookEventId": event_id,
                "deliveryContext": {"isRedelivery": false},
                "source": {"type": "user", "userId": user},
                "replyToken": "token",
                "message": {"id": "1", "type": "text", "text": text},
            }],
        })).unwrap();
        let signature = line_signature(&body);
        let pairs = [("x-line-signature", signature.as_bytes()), ("content-type", JSON)];
        let m = only_message(post(&line(), &pairs, None, URL, &body));
        prop_assert_eq!(m.conversation, ConversationId::new(Channel::Line, user));
        prop_assert_eq!(m.event_id, event_id);
        prop_assert_eq!(m.content, InboundContent::Text { body: text });
    }

    #[test]
    fn viber_genuine_signature_verifies(body in body()) {
        let signature = viber_signature(&body);
        let pairs = [("x-viber-content-signature", signature.as_bytes()), ("content-type", JSON)];
        let result = post(&viber(), &pairs, None, URL, &body);
        prop_assert!(!is_unauthorized(&result), "{result:?}");
    }

    /// Any text, any user id, any 64-bit token: what the customer typed arrives as typed (a
    /// text starting with the tap prefix is a tap, by design), under the token as its id.
    #[test]
    fn viber_signed_text_arrives_intact(
        user in "[A-Za-z0-9+/]{22}==",
        token in any::<u64>(),
        text in any::<String>(),
    ) {
        prop_assume!(!text.starts_with(chatdrop_channels::viber::TAP_PREFIX));
        let body = serde_json::to_vec(&json!({
            "event": "message", "timestamp": 1700000000000_i64, "chat_hostname": "SN-1_",
            "message_token": token,
            "sender": {"id": user, "name": "N", "language": "en", "api_version": 10},
            "message": {"type": "text", "text": text},
            "silent": false,
        })).unwrap();
        let signature = viber_signature(&body);
        let pairs = [("x-viber-content-signature", signature.as_bytes()), ("content-type", JSON)];
        let m = only_message(post(&viber(), &pairs, None, URL, &body));
        prop_assert_eq!(m.conversation, ConversationId::new(Channel::Viber, user));
        prop_assert_eq!(m.event_id, token.to_string());
        prop_assert_eq!(m.content, InboundContent::Text { body: text });
    }

    /// WeChat signs the query, so any body under a genuine query passes the signature check.
    #[test]
    fn wechat_genuine_signature_verifies(nonce in any::<String>(), body in body()) {
        let timestamp = SystemClock.now().to_string();
        let signature = wechat_signature(WECHAT_TOKEN, &timestamp, &nonce);
        let query = wechat_query(&signature, &timestamp, &nonce);
        let result = post(&wechat(), &[("content-type", XML)], Some(&query), URL, &body);
        prop_assert!(!is_unauthorized(&result), "{result:?}");
    }

    /// Any text WeChat can carry in XML arrives as sent. Not quite *any* text: the XML parser
    /// normalises line ends (including XML 1.1's NEL and LINE SEPARATOR, so U+0085 and U+2028
    /// arrive as `\n`), and control characters are not XML at all, so the text here has none
    /// of those; nor surrounding whitespace, which the deserializer trims.
    #[test]
    fn wechat_signed_text_arrives_intact(
        nonce in "[0-9]{1,12}",
        from in "o[A-Za-z0-9_-]{27}",
        msg_id in "[0-9]{1,20}",
        text in "[^\\s\\x00-\\x1f\\x7f-\\x9f\u{2028}]\
                 ([^\\x00-\\x1f\\x7f-\\x9f\u{2028}]{0,60}[^\\s\\x00-\\x1f\\x7f-\\x9f\u{2028}])?",
    ) {
        let escaped = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        let body = format!(
            "<xml><ToUserName><![CDATA[gh_shop]]></ToUserName>\
             <FromUserName><![CDATA[{from}]]></FromUserName>\
             <CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>\
             <Content>{escaped}</Content><MsgId>{msg_id}</MsgId></xml>"
        );
        let timestamp = SystemClock.now().to_string();
        let signature = wechat_signature(WECHAT_TOKEN, &timestamp, &nonce);
        let query = wechat_query(&signature, &timestamp, &nonce);
        let result = post(&wechat(), &[("content-type", XML)], Some(&query), URL, body.as_bytes());
        let m = only_message(result);
        prop_assert_eq!(m.conversation, ConversationId::new(Channel::Wechat, from));
        prop_assert_eq!(m.event_id, msg_id);
        prop_assert_eq!(m.content, InboundContent::Text { body: text });
    }

    /// Twilio signs the decoded parameters, so a body of arbitrary bytes is signed as Twilio
    /// would sign the parameters those bytes decode to.
    #[test]
    fn sms_genuine_signature_verifies(body in body()) {
        let params: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
        let signature = twilio_signature(URL, &params);
        let pairs = [("x-twilio-signature", signature.as_bytes()), ("content-type", FORM)];
        let result = post(&sms(), &pairs, None, URL, &body);
        prop_assert!(!is_unauthorized(&result), "{result:?}");
    }

    #[test]
    fn sms_signed_text_arrives_intact(
        url in "https://[a-z]{1,12}\\.example\\.com(:443)?/sms(\\?[a-z]{1,5}=[a-z0-9]{1,5})?",
        from in "\\+[1-9][0-9]{7,14}",
        sid in "SM[0-9a-f]{32}",
        text in any::<String>(),
        extra in prop::collection::vec(("[A-Z][A-Za-z0-9]{0,12}", any::<String>()), 0..4),
    ) {
        // "Text: " keeps any text from being read as a STOP or HELP keyword.
        let text = format!("Text: {text}");
        let mut params = vec![
            ("MessageSid".to_string(), sid.clone()),
            ("From".to_string(), from.clone()),
            ("Body".to_string(), text.clone()),
            ("NumMedia".to_string(), "0".to_string()),
        ];
        // Parameters Twilio might add tomorrow are signed over too.
        params.extend(extra.into_iter().filter(|(name, _)| {
            !matches!(name.as_str(), "MessageSid" | "From" | "Body" | "NumMedia" | "MessageStatus")
        }));
        let body = form(&params);
        let signature = twilio_signature(&url, &params);
        let pairs = [("x-twilio-signature", signature.as_bytes()), ("content-type", FORM)];
        let m = only_message(post(&sms(), &pairs, None, &url, &body));
        prop_assert_eq!(m.conversation, ConversationId::new(Channel::Sms, from));
        prop_assert_eq!(m.event_id, sid);
        prop_assert_eq!(m.content, InboundContent::Text { body: text });
    }
}
