// The WhatsApp webhook as most teams would write it on Lambda's Node.js 20 runtime: the peer
// `cargo run --release -p xtask --bin nodepeer` measures `ingress` against. It does ingress's
// work for one WhatsApp webhook and nothing more: verify Meta's `X-Hub-Signature-256` over the
// raw body, parse the payload, and queue each message on the catalog FIFO queue with one
// `SendMessageBatch` (the AWS SDK for JavaScript v3, used as its developer guide shows), with the
// conversation's keyed pseudonym as the message group and the message id for deduplication.
//
// Not shipped and not part of chatdrop: it lives beside the bench that runs it.
//
// Sources: Meta, "Webhooks: Validate payloads" (https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads);
// AWS, "SQS examples using SDK for JavaScript (v3)"
// (https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/javascript_sqs_code_examples.html).

import { createHmac, timingSafeEqual } from "node:crypto";
import { SQSClient, SendMessageBatchCommand } from "@aws-sdk/client-sqs";

const sqs = new SQSClient({});
const appSecret = process.env.CHATDROP_WHATSAPP_APP_SECRET;
const idKey = process.env.CHATDROP_ID_KEY;
const queueUrl = process.env.CHATDROP_CATALOG_QUEUE_URL;

const pseudonym = (value) => createHmac("sha256", idKey).update(value).digest("hex");

export const handler = async (event) => {
  const raw = Buffer.from(event.body ?? "", event.isBase64Encoded ? "base64" : "utf8");
  const given = Buffer.from(event.headers?.["x-hub-signature-256"] ?? "");
  const expected = Buffer.from(
    "sha256=" + createHmac("sha256", appSecret).update(raw).digest("hex"),
  );
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { statusCode: 401, body: "bad signature" };
  }

  let payload;
  try {
    payload = JSON.parse(raw.toString("utf8"));
  } catch {
    console.log(JSON.stringify({ level: "warn", message: "unreadable webhook" }));
    return { statusCode: 200, body: "ok" };
  }

  const entries = [];
  for (const entry of payload.entry ?? []) {
    for (const change of entry.changes ?? []) {
      const value = change.value ?? {};
      for (const message of value.messages ?? []) {
        const conversation = `whatsapp:${message.from}`;
        entries.push({
          Id: String(entries.length),
          MessageBody: JSON.stringify({
            conversation,
            id: message.id,
            at: Number(message.timestamp),
            text: message.text?.body ?? null,
            profile_name: value.contacts?.[0]?.profile?.name ?? null,
          }),
          MessageGroupId: pseudonym(conversation),
          MessageDeduplicationId: pseudonym(`catalog#${message.id}`),
        });
      }
    }
  }

  for (let i = 0; i < entries.length; i += 10) {
    const out = await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries.slice(i, i + 10) }),
    );
    if (out.Failed?.length) {
      throw new Error(`${out.Failed.length} entries refused: ${out.Failed[0].Code}`);
    }
  }
  return { statusCode: 200, body: "ok" };
};
