"""moto's server, with DynamoDB requests serialized.

moto evaluates a DynamoDB condition expression and applies the write without holding a lock,
so two concurrent conditional updates can both pass their check: measured on a 2-core machine,
50 threads decrementing a stock of 10 under `stock >= :n` sold 11 in 4 of 10 rounds. Real
DynamoDB is atomic per item, so the local stack must be too, or every contention test measures
moto instead of chatdrop. This wrapper holds one process-wide lock around every request whose
`X-Amz-Target` starts with `DynamoDB_` (all DynamoDB JSON API calls carry it). SQS requests are
left unlocked so that long polls do not stall the table.

It also replaces moto's TransactWriteItems: moto backs a transaction up by deep-copying the
whole table once per item of the transaction, so a drop with thousands of orders makes every
checkout copy thousands of items several times (measured: a 1,000-buyer checkout test grew moto
to 15 GB). Because this wrapper already serializes DynamoDB requests, the replacement can check
every condition first and write only when all hold, with the same results and cancellation
reasons and no copy at all.

It also reads one partition on a Query of the table itself: moto 5.2.5 walks every item of the
table and keeps those whose partition key matches, then sorts them, so a Query cost grows with
the table (measured: 18 checkouts a second at 300 buyers, 5 at 1,500, the order and reservation
items of earlier buyers being walked on every later checkout). DynamoDB reads only the
partition; so does this wrapper (a Query on an index still takes moto's own path: the table has
no index).

And it reads SQS's clock once per message test instead of building two datetimes: moto asks
every message of a queue whether it is visible and not delayed several times per SendMessage
(the queue's approximate counts, computed for each attribute lookup) and per ReceiveMessage,
each answer going through `datetime.now()` and `fromtimestamp(0)`; with 3,000 replies waiting
for notify that made one SendMessage take about 150 ms (profiled with py-spy). The answers are
the same milliseconds since the epoch. The counts themselves are computed only for the request
that returns them (GetQueueAttributes): SendMessage looks up a queue setting four times, and
each lookup counted every message three times over.

It also stops a long poll from spinning. moto's ReceiveMessage, finding nothing to deliver,
waits "until the queue holds a visible message"; on a FIFO queue whose visible messages all
belong to a message group in flight (a conversation's next message while its first is being
handled) that holds at once, so the poll loops flat out until its wait time ends: measured, five
1 s long polls on such a queue cost this process 4.3 s of CPU, which the DynamoDB requests then
wait for. The replacement waits for a new message or 0.1 s, whichever comes first, so the poll
answers as before (the group is still in flight until its message is deleted) at a hundredth of
the cost.

Last, it can make the table fail on purpose, so tests can show what chatdrop does while
DynamoDB is unavailable. `POST /_chatdrop/faults {"dynamodb_failures": N, "match": "TEXT"}` makes
the next N DynamoDB requests whose body contains TEXT (the test's own table name, so tests
running in parallel on this moto are not hit) answer HTTP 500 with DynamoDB's
`InternalServerError`, which the AWS SDK treats as transient and retries before giving up.
`"dynamodb_failures": 0` disarms it. `GET /_chatdrop/faults` reports, per match, the failures
still armed and those already answered.

Usage: python serve_moto.py PORT   (binds 127.0.0.1 only; prints "moto ready on PORT")
"""

import inspect
import io
import json
import sys
import threading
import time

from werkzeug.serving import make_server
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.sqs.models import Message, Queue
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


def transact_write_items(self, transact_items):
    """All or nothing without backups: every condition is checked before anything is written.

    Safe only because SerializeDynamoDB runs one DynamoDB request at a time, so nothing can
    change between the checks and the writes.
    """
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    seen = set()
    errors = []
    for item in transact_items:
        if len(item) != 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
            raise ValueError("Unsupported transaction operation")
        table_name = op["TableName"]
        table = self.get_table(table_name)
        if op_type == "Put":
            attrs = op["Item"]
            key = {table.hash_key_attr: attrs[table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = attrs[table.range_key_attr]
        else:
            key = op["Key"]
        unique = (str(table_name), str(dict(sorted(key.items()))))
        if unique in seen:
            raise MultipleTransactionsException()
        seen.add(unique)
        condition = op.get("ConditionExpression")
        if condition is not None:
            current = self.get_item(table_name, key)
            check = get_filter_expression(
                condition,
                op.get("ExpressionAttributeNames"),
                op.get("ExpressionAttributeValues"),
            )
            if not check.expr(current):
                old = None
                if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                    old = current.to_json()["Attributes"]
                errors.append(("ConditionalCheckFailed", "The conditional request failed", old))
                continue
        errors.append((None, None, None))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)
    for item in transact_items:
        op_type, op = next(iter(item.items()))
        table_name = op["TableName"]
        names = op.get("ExpressionAttributeNames")
        values = op.get("ExpressionAttributeValues")
        if op_type == "Put":
            self.put_item(table_name, op["Item"], expression_attribute_names=names,
                          expression_attribute_values=values)
        elif op_type == "Delete":
            self.delete_item(table_name, op["Key"], expression_attribute_names=names,
                             expression_attribute_values=values)
        elif op_type == "Update":
            self.update_item(table_name, op["Key"], update_expression=op["UpdateExpression"],
                             expression_attribute_names=names, expression_attribute_values=values)


DynamoDBBackend.transact_write_items = transact_write_items


class OnePartition:
    """A table seen through one partition: moto's Query code, run on it, walks only that one."""

    def __init__(self, table, hash_key):
        self._table = table
        self._hash_key = hash_key

    def __getattr__(self, name):
        return getattr(self._table, name)

    def all_items(self):
        # `items` is a defaultdict: `get` does not create the partition it looks for.
        partition = self._table.items.get(self._hash_key)
        return list(partition.values()) if partition else []


_moto_query = Table.query
_query_signature = inspect.signature(_moto_query)


def query(self, *args, **kwargs):
    """moto's Query, over the one partition asked for when it queries the table itself."""
    arguments = _query_signature.bind(self, *args, **kwargs).arguments
    hash_key = arguments.get("hash_key")
    if arguments.get("index_name") or hash_key is None or not self.range_key_attr:
        return _moto_query(self, *args, **kwargs)
    return _moto_query(OnePartition(self, hash_key), *args, **kwargs)


Table.query = query


Message.visible = property(lambda message: time.time() * 1000.0 > message.visible_at)
Message.delayed = property(lambda message: time.time() * 1000.0 < message.delayed_until)

# Per request thread (werkzeug serves each request on its own): whether it returns the counts.
_request = threading.local()


def _counted_only_when_asked(moto_count):
    return property(lambda queue: moto_count.fget(queue) if getattr(_request, "counts", True) else 0)


for _name in (
    "approximate_number_of_messages",
    "approximate_number_of_messages_delayed",
    "approximate_number_of_messages_not_visible",
):
    setattr(Queue, _name, _counted_only_when_asked(getattr(Queue, _name)))


def _wait_for_a_new_message(queue, timeout):
    """Waits until a message is added or a tenth of a second passes, whichever comes first."""
    with queue._messages_lock:
        queue._messages_lock.wait(timeout=min(timeout, 0.1))


Queue.wait_for_messages = _wait_for_a_new_message


class DynamoDBFaults:
    """Injected DynamoDB failures, per body substring: armed (still to answer) and answered."""

    PATH = "/_chatdrop/faults"

    def __init__(self):
        self.lock = threading.Lock()
        self.armed = {}
        self.answered = {}

    def control(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                request = json.loads(environ["wsgi.input"].read(length) or b"{}")
                count = int(request["dynamodb_failures"])
                match = str(request.get("match", ""))
            except (ValueError, KeyError, TypeError) as e:
                return respond(start_response, "400 Bad Request", {"error": str(e)})
            with self.lock:
                if count > 0:
                    self.armed[match] = count
                else:
                    self.armed.pop(match, None)
        with self.lock:
            state = {
                match: {"armed": self.armed.get(match, 0), "answered": self.answered.get(match, 0)}
                for match in set(self.armed) | set(self.answered)
            }
        return respond(start_response, "200 OK", state)

    def should_fail(self, environ):
        """Whether this DynamoDB request is to fail; reads the body and puts it back if armed."""
        with self.lock:
            if not self.armed:
                return False
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        text = body.decode("utf-8", "replace")
        with self.lock:
            for match, count in self.armed.items():
                if match in text:
                    if count <= 1:
                        del self.armed[match]
                    else:
                        self.armed[match] = count - 1
                    self.answered[match] = self.answered.get(match, 0) + 1
                    return True
        return False


def respond(start_response, status, value, content_type="application/json"):
    body = json.dumps(value).encode()
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


class SerializeDynamoDB:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.faults = DynamoDBFaults()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == DynamoDBFaults.PATH:
            return self.faults.control(environ, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith("DynamoDB_"):
            _request.counts = not target.startswith("AmazonSQS.") or target.endswith(
                ".GetQueueAttributes"
            )
            return self.app(environ, start_response)
        if self.faults.should_fail(environ):
            error = {
                "__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                "message": "Internal server error (injected by serve_moto.py)",
            }
            return respond(start_response, "500 Internal Server Error", error,
                           "application/x-amz-json-1.0")
        with self.lock:
            # Drain the response inside the lock: a WSGI app may do its work lazily while the
            # body is iterated.
            chunks = []
            captured = {}

            def capture(status, headers, exc_info=None):
                captured["args"] = (status, headers, exc_info)
                return chunks.append

            body = self.app(environ, capture)
            try:
                chunks.extend(body)
            finally:
                if hasattr(body, "close"):
                    body.close()
        status, headers, exc_info = captured["args"]
        start_response(status, headers, exc_info)
        return chunks


def main():
    port = int(sys.argv[1])
    app = SerializeDynamoDB(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
    print(f"moto ready on {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
