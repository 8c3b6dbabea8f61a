"""IBM's documented curl commands, run verbatim through real curl (only the host and the API key
are replaced), each answered with the documented token JSON.

Each command below is copied character for character from the IBM docs page named next to it
(the project's seeds in ../shared/seeds/): raw colons, `%3A`-encoded colons, `--data-urlencode`
pairs, with and without `accept` headers, `-k`, `-X POST`, a `$ ` prompt and a `> token.json`
redirect, single- and double-quoted URLs.
"""

import json
import re
import shutil
import subprocess
import time

import jwt
import pytest

from iamconf import claims

IBM = "https://iam.cloud.ibm.com"

# (seed page, placeholder for the key, command text exactly as printed on the page)
SEED_COMMANDS = [
    (
        "analyticsengine: Retrieving IAM access tokens (raw colons, no accept header)",
        "<your iam api key>",
        """curl -X POST \\
'https://iam.cloud.ibm.com/identity/token' \\
-H 'Content-Type: application/x-www-form-urlencoded' \\
-d 'grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=<your iam api key>'""",
    ),
    (
        "key-protect: Retrieving an access token (%3A-encoded, accept header, > token.json)",
        "<API_KEY>",
        """curl -X POST \\
  'https://iam.cloud.ibm.com/identity/token' \\
  -H 'content-type: application/x-www-form-urlencoded' \\
  -H 'accept: application/json' \\
  -d 'grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=<API_KEY>' > token.json""",
    ),
    (
        "log-analysis: Retrieving IAM access tokens (%3A-encoded, accept header, > token.json)",
        "<API_KEY>",
        """curl -X POST \\
    'https://iam.cloud.ibm.com/identity/token' \\
    -H 'content-type: application/x-www-form-urlencoded' \\
    -H 'accept: application/json' \\
    -d 'grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=<API_KEY>' > token.json""",
    ),
    (
        "logs-router: Retrieving an access token ($ prompt, double-quoted URL, > token.json)",
        "<API_KEY>",
        """$ curl -X POST \\
    "https://iam.cloud.ibm.com/identity/token" \\
    -H "content-type: application/x-www-form-urlencoded" \\
    -H "accept: application/json" \\
    -d 'grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=<API_KEY>' > token.json""",
    ),
    (
        "iam (fr): Generation d'un jeton IAM (-k, --header, --data-urlencode pairs)",
        "<apikey>",
        """curl -k -X POST \\
  --header "Content-Type: application/x-www-form-urlencoded" \\
  --header "Accept: application/json" \\
  --data-urlencode "grant_type=urn:ibm:params:oauth:grant-type:apikey" \\
  --data-urlencode "apikey=<apikey>" \\
  "https://iam.cloud.ibm.com/identity/token\"""",
    ),
]


def _curl():
    path = shutil.which("curl")
    if not path:
        pytest.fail("curl is not installed: run scripts/test (it installs curl) or apt-get install curl", pytrace=False)
    return path


def _shell_command(text, placeholder, url, apikey):
    """The documented command with only host and key replaced; a leading `$ ` prompt is what
    the reader does not type."""
    assert text.count(placeholder) == 1 and text.count(IBM) == 1
    cmd = text.replace(IBM, url).replace(placeholder, apikey)
    if cmd.startswith("$ "):
        cmd = cmd[2:]
    return cmd


@pytest.mark.parametrize(
    "page,placeholder,command", SEED_COMMANDS, ids=["raw-colons", "kp-encoded", "la-encoded", "lr-prompt", "urlencode-k"]
)
def test_seed_curl_command_returns_documented_token_json(emu, tmp_path, page, placeholder, command):
    _curl()
    apikey = emu["apikey"]
    # IBM API keys are URL-safe; the commands paste them into quoted shell words and raw forms.
    assert re.fullmatch(r"[A-Za-z0-9_\-]+", apikey), f"demo API key is not URL-safe like IBM's: {apikey!r}"
    cmd = _shell_command(command, placeholder, emu.url, apikey)
    before = time.time()
    proc = subprocess.run(["bash", "-c", cmd], cwd=tmp_path, capture_output=True, timeout=30)
    assert proc.returncode == 0, f"{page}: curl failed ({proc.returncode}): {proc.stderr.decode()}"
    out = (tmp_path / "token.json").read_bytes() if "> token.json" in command else proc.stdout
    if "> token.json" in command:
        assert proc.stdout == b"", "the redirect must capture the whole response"
    body = json.loads(out)

    # The documented response: access_token, refresh_token, token_type, expires_in, expiration.
    for key in ("access_token", "refresh_token", "token_type", "expires_in", "expiration"):
        assert key in body, f"{page}: response lacks {key!r}: {body}"
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert isinstance(body["expiration"], int)
    assert abs(body["expiration"] - (before + 3600)) <= 60, body["expiration"]
    assert isinstance(body["refresh_token"], str) and body["refresh_token"]

    token = body["access_token"]
    assert token.count(".") == 2, "access_token is not a JWT"
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header.get("kid"), header
    c = claims(token)
    assert c["exp"] == body["expiration"], (c["exp"], body["expiration"])
    assert c["grant_type"] == "urn:ibm:params:oauth:grant-type:apikey"
    assert c["iss"] == emu.url + "/identity"
