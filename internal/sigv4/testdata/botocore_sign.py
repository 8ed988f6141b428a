"""Test helper for internal/sigv4: signs requests with the real botocore.

Reads a JSON list of requests on stdin and prints, as JSON, each request as
botocore would put it on the wire after signing. A request is an object with:

  name, method, url        the request; url may carry a query string
  params                   optional [[key, value], ...] botocore serializes
  headers                  optional [[name, value], ...]
  body                     optional request body (text)
  akid, secret, token      the credentials (token may be empty)
  region, service          the credential scope
  time                     the signing time, yyyymmddThhmmssZ
  presign                  optional X-Amz-Expires: presign in the query
                           (SigV4QueryAuth) instead of the Authorization
                           header (SigV4Auth)
  send                     optional: also send the signed request with
                           botocore's HTTP session and report the response

Each output object has name, method, url, headers ([[name, value], ...]) and
body, plus status and response when the request was sent.
"""

import datetime
import json
import sys

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.httpsession import URLLib3Session


def sign(req):
    when = datetime.datetime.strptime(req["time"], "%Y%m%dT%H%M%SZ")
    # botocore reads the signing time through this hook; pin it.
    botocore.auth.get_current_datetime = lambda: when
    creds = Credentials(req["akid"], req["secret"], req.get("token") or None)
    aws_req = AWSRequest(
        method=req["method"],
        url=req["url"],
        params=dict(req.get("params") or []),
        headers=dict(req.get("headers") or []),
        data=(req.get("body") or "").encode("utf-8"),
    )
    if req.get("presign"):
        signer = botocore.auth.SigV4QueryAuth(
            creds, req["service"], req["region"], expires=req["presign"]
        )
    else:
        signer = botocore.auth.SigV4Auth(creds, req["service"], req["region"])
    signer.add_auth(aws_req)
    prepared = aws_req.prepare()
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    out = {
        "name": req["name"],
        "method": prepared.method,
        "url": prepared.url,
        "headers": [[k, v if isinstance(v, str) else v.decode("utf-8")] for k, v in prepared.headers.items()],
        "body": body.decode("utf-8"),
    }
    if req.get("send"):
        resp = URLLib3Session().send(prepared)
        out["status"] = resp.status_code
        out["response"] = resp.content.decode("utf-8")
    return out


def main():
    reqs = json.load(sys.stdin)
    json.dump([sign(r) for r in reqs], sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
