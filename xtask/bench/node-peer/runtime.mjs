// The Lambda Runtime API loop for `index.mjs`, in plain Node.js: what Lambda's managed nodejs20.x
// runtime does around a handler (import it at init, then `GET /next`, call it, `POST` the
// answer), as AWS documents the Runtime API
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html). The managed runtime's own
// client (`aws-lambda-ric`, C++ bindings over libcurl) is not installable here without its
// native build, and it does more per event (context object, X-Ray header, log formatting), so
// this loop is a floor for Node.js: the managed runtime can only be slower and larger.

import http from "node:http";

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const base = "/2018-06-01/runtime";

function call(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path: base + path, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const { handler } = await import("./index.mjs");

for (;;) {
  const next = await call("GET", "/invocation/next");
  const id = next.headers["lambda-runtime-aws-request-id"];
  try {
    const result = await handler(JSON.parse(next.body), { awsRequestId: id });
    await call("POST", `/invocation/${id}/response`, JSON.stringify(result));
  } catch (e) {
    await call(
      "POST",
      `/invocation/${id}/error`,
      JSON.stringify({ errorMessage: String(e?.message ?? e), errorType: e?.name ?? "Error" }),
    );
  }
}
