"""The attack corpus: planted credentials of many kinds, and realistic text that is not one.

Every planted secret is generated from a fixed seed (so a leak is a unique
string to grep for) and comes with the context an agent transcript gives it: a
shell command, an `.env` line, a sentence a person typed, a config file a tool
printed. `SECRETS` holds (kind, text, value): `value` must never appear in any
output once `text` went through Reverie. `NON_SECRETS` must survive unchanged.
"""

from __future__ import annotations

import base64
import random
import string
from dataclasses import dataclass

_rng = random.Random(20260209)
_ALNUM = string.ascii_letters + string.digits


def _rand(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


def _hex(n: int) -> str:
    return _rand(n, "0123456789abcdef")


def _password() -> str:
    """A password a person would pick: word, digits, a symbol (never a dictionary word alone)."""
    word = _rng.choice(["Summer", "Winter", "Falcon", "Tr0ub4dor", "Hunter", "Orchid", "Quasar", "Mango"])
    return f"{word}{_rng.randint(1000, 9999)}{_rng.choice('!#%&*@')}{_rand(3)}"


@dataclass(frozen=True)
class Secret:
    kind: str
    text: str
    value: str
    """What must never appear anywhere after redaction."""


def _b64_ghp() -> tuple[str, str]:
    token = "ghp_" + _rand(36)
    return base64.b64encode(token.encode()).decode(), token


def _discord() -> str:
    bot_id = str(_rng.randint(10**17, 10**18 - 1))
    head = base64.urlsafe_b64encode(bot_id.encode()).decode().rstrip("=")
    return f"{head}.{_rand(6, _ALNUM + '-_')}.{_rand(38, _ALNUM + '-_')}"


def _pem(kind: str) -> tuple[str, str]:
    body = [_rand(64, _ALNUM + "+/") for _ in range(6)] + [_rand(20, _ALNUM + "+/") + "=="]
    return f"-----BEGIN {kind} PRIVATE KEY-----\n" + "\n".join(body) + f"\n-----END {kind} PRIVATE KEY-----", body[2]


def _build() -> list[Secret]:
    out: list[Secret] = []

    def add(kind: str, text: str, value: str) -> None:
        assert value in text, (kind, value)
        out.append(Secret(kind, text, value))

    for ctx in ("export ANTHROPIC_API_KEY={v}", "claude --api-key {v} -p hi", "key was {v} in the logs"):
        v = "sk-ant-api03-" + _rand(93, _ALNUM + "-_") + "AA"
        add("anthropic-key", ctx.format(v=v), v)
    for ctx in ("OPENAI_API_KEY={v}", "client = OpenAI(api_key='{v}')", "use {v} for the eval run"):
        v = "sk-proj-" + _rand(48, _ALNUM + "-_")
        add("openai-key", ctx.format(v=v), v)
    for ctx in ("stripe.api_key = '{v}'", "STRIPE_SECRET={v}"):
        v = "sk_live_" + _rand(24)
        add("stripe-key", ctx.format(v=v), v)
    for ctx in ("aws_access_key_id = {v}", "the key id is {v} (rotate it)"):
        v = "AKIA" + _rand(16, string.ascii_uppercase + string.digits)
        add("aws-access-key-id", ctx.format(v=v), v)
    for ctx in ("aws_secret_access_key = {v}", 'export AWS_SECRET_ACCESS_KEY="{v}"', '"SecretAccessKey": "{v}",'):
        v = _rand(40, _ALNUM + "/+")
        add("aws-secret-key", ctx.format(v=v), v)
    key_id, secret = "AKIA" + _rand(16, string.ascii_uppercase + string.digits), _rand(30, _ALNUM) + "/+" + _rand(8)
    add("aws-credentials-csv", f"User name,Access key ID,Secret access key\ndeploy,{key_id},{secret}", secret)
    for ctx in ("git remote set-url origin https://{v}@github.com/acme/app.git", "GITHUB_TOKEN={v}", "gh auth {v}"):
        v = "ghp_" + _rand(36)
        add("github-token", ctx.format(v=v), v)
    for ctx in ("GH_PAT={v}", "token: {v}"):
        v = "github_pat_11" + _rand(20, string.ascii_uppercase + string.digits) + "_" + _rand(59)
        add("github-pat", ctx.format(v=v), v)
    for ctx in ("glab auth login --token {v}", "CI_TOKEN: {v}"):
        v = "glpat-" + _rand(20, _ALNUM + "-_")
        add("gitlab-token", ctx.format(v=v), v)
    for ctx in ("SLACK_BOT_TOKEN={v}", "post with {v}"):
        v = f"xoxb-{_rng.randint(10**11, 10**12)}-{_rng.randint(10**12, 10**13)}-{_rand(24)}"
        add("slack-token", ctx.format(v=v), v)
    v = f"https://hooks.slack.com/services/T{_rand(8).upper()}/B{_rand(8).upper()}/{_rand(24)}"
    add("slack-webhook", f"curl -X POST -d @msg.json {v}", v.rsplit("/", 1)[-1])
    for ctx in ("GOOGLE_API_KEY={v}", "maps?key={v}&q=x"):
        v = "AIza" + _rand(35, _ALNUM + "-_")
        add("google-api-key", ctx.format(v=v), v)
    for ctx in ("Cookie: session={v}", "the id token {v} expired"):
        v = (
            base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
            + "."
            + base64.urlsafe_b64encode(f'{{"sub":"{_rand(10)}","iat":1700000000}}'.encode()).decode().rstrip("=")
            + "."
            + _rand(43, _ALNUM + "-_")
        )
        add("jwt", ctx.format(v=v), v)
    for ctx in ("curl -H 'Authorization: Bearer {v}' https://api.x.dev", "Authorization: Bearer {v}"):
        v = _rand(40, _ALNUM + "._-")
        add("bearer-token", ctx.format(v=v), v)
    user, pw = "svc", _password()
    basic = base64.b64encode(f"{user}:{pw}".encode()).decode()
    add("basic-auth", f"curl -H 'Authorization: Basic {basic}' https://ci.internal", basic)
    for scheme in ("postgres", "mysql", "redis", "amqp", "mongodb+srv"):
        pw = _password()
        user = "" if scheme == "redis" else "app"
        add("url-credentials", f"DATABASE_URL={scheme}://{user}:{pw}@db.internal:5432/app", pw)
    for kind in ("RSA", "OPENSSH", "EC"):
        text, line = _pem(kind)
        add("private-key", f"cat ~/.ssh/id_{kind.lower()}\n{text}\n", line)
    for ctx in ("DEPLOY_TOKEN={v}", "  api_key: {v}", '{{"client_secret": "{v}"}}', "SENTRY_AUTH_TOKEN={v}"):
        v = _rand(6, string.ascii_lowercase) + _rand(20)
        add("secret-assignment", ctx.format(v=v), v)
    for ctx in ("DB_PASS={v}", "PASS={v} ./migrate.sh", "SMTP_PASS: {v}", "MYSQL_PWD={v} mysql -u root"):
        v = _password()
        add("pass-assignment", ctx.format(v=v), v)
    for ctx in ('{{"password": "{v}"}}', "password: {v}", "db_password = '{v}'"):
        v = _password()
        add("password-field", ctx.format(v=v), v)
    for ctx in ("mysql -u root -p{v} shop", "mysqldump -uroot -p{v} shop > dump.sql", "mariadb -u admin -p{v} -h db"):
        v = _password()
        add("mysql-p-attached", ctx.format(v=v), v)
    for ctx in ("mysql -u root -p'{v}' shop", 'mysql -h db -u app -p"{v}" shop'):
        v = _password().replace("!", " ")
        add("mysql-p-quoted", ctx.format(v=v), v)
    for ctx in ("mysqldump --password {v} shop", "pg_restore --password={v} dump", "tool --db-password {v} run"):
        v = _password()
        add("password-flag", ctx.format(v=v), v)
    for ctx in ("redis-cli -h cache -a {v} ping", "redis-cli -a '{v}' --scan"):
        v = _password()
        add("redis-cli-a", ctx.format(v=v), v)
    for ctx in ("sshpass -p '{v}' ssh admin@10.0.0.5", "sshpass -p{v} scp f host:"):
        v = _password()
        add("sshpass", ctx.format(v=v), v)
    for ctx in ("docker login -u ci -p {v} registry.acme.io", "helm registry login ghcr.io -u me --password {v}"):
        v = _password()
        add("registry-login", ctx.format(v=v), v)
    for ctx in (
        "the root password for staging is {v}",
        "fyi the admin password is {v}",
        "set the db password to {v} for now",
        "my pw is {v}",
        "Passwort… no: password for the vpn: {v}",
    ):
        v = _password()
        add("password-prose", ctx.format(v=v), v)
    for ctx in ("log in with admin / {v}", "creds: root / {v}", "use deploy / {v} on the box"):
        v = _password()
        add("user-pass-pair", ctx.format(v=v), v)
    for ctx in ("username alice password {v}", "login: bob, password: {v}"):
        v = _password()
        add("username-password", ctx.format(v=v), v)
    for ctx in ("echo {v} | base64 -d", "kubectl get secret gh -o jsonpath='{{.data.token}}' -> {v}"):
        v, _token = _b64_ghp()
        add("base64-token", ctx.format(v=v), v)
    for split in (17, 25):
        token = "ghp_" + _rand(36)
        add("split-token", f"GITHUB_TOKEN={token[:split]}\n{token[split:]}", token[split:])
    token = "ghp_" + _rand(36)
    add("split-token", f'token = "{token[:20]}" + \\\n    "{token[20:]}"', token[20:])
    for ctx in ("DISCORD_TOKEN={v}", "client.run('{v}')", "bot token {v}"):
        v = _discord()
        add("discord-bot-token", ctx.format(v=v), v)
    for ctx in ("TELEGRAM_BOT_TOKEN={v}", "https://api.telegram.org/bot{v}/getMe"):
        v = f"{_rng.randint(10**8, 10**9 - 1)}:AA{_rand(33, _ALNUM + '-_')}"
        add("telegram-bot-token", ctx.format(v=v), v)
    for ctx in ("TWILIO_AUTH={v}", "twilio auth token {v}", "client = Client('AC{sid}', '{v}')"):
        v = _hex(32)
        add("twilio-auth-token", ctx.format(v=v, sid=_hex(32)), v)
    v = "npm_" + _rand(36)
    add("npm-token", f"//registry.npmjs.org/:_authToken={v}", v)
    v = "pypi-AgEIcHlwaS5vcmc" + _rand(60, _ALNUM + "-_")
    add("pypi-token", f"twine upload -u __token__ -p {v} dist/*", v)
    v = "hf_" + _rand(34)
    add("huggingface-token", f"huggingface-cli login --token {v}", v)
    v = "SG." + _rand(22, _ALNUM + "-_") + "." + _rand(43, _ALNUM + "-_")
    add("sendgrid-key", f"SENDGRID={v}", v)
    pw = _password()
    add("netrc", f"machine api.heroku.com login me@acme.io password {pw}", pw)
    pw = _password()
    add("curl-user", f"curl -u admin:{pw} https://jenkins.acme.io/api", pw)
    pw = _password()
    add("openssl-pass", f"openssl pkcs12 -export -in c.pem -passout pass:{pw} -out c.p12", pw)
    v = "dop_v1_" + _hex(64)
    add("digitalocean-token", f"doctl auth init -t {v}", v)
    v = "shpat_" + _hex(32)
    add("shopify-token", f"X-Shopify-Access-Token: {v}", v)
    v = "key-" + _hex(32)
    add("mailgun-key", f"MAILGUN_API_KEY={v}", v)
    v = f"https://discord.com/api/webhooks/{_rng.randint(10**17, 10**18)}/{_rand(68, _ALNUM + '-_')}"
    add("discord-webhook", f"post alerts to {v}", v.rsplit("/", 1)[-1])
    v = _rand(32)
    add("api-key-header", f"curl -H 'X-Api-Key: {v}' https://api.acme.io", v)
    v = "hvs." + _rand(90, _ALNUM + "-_")
    add("vault-token", f"VAULT_TOKEN={v} vault kv get secret/app", v)
    text, line = _pem("")
    escaped = (
        text.replace("\n", "\\n")
        .replace("-----BEGIN  PRIVATE", "-----BEGIN PRIVATE")
        .replace("-----END  PRIVATE", "-----END PRIVATE")
    )
    add("service-account-json", f'{{"type": "service_account", "private_key": "{escaped}"}}', line)
    v = "AGE-SECRET-KEY-1" + _rand(58, string.ascii_uppercase + string.digits)
    add("age-secret-key", f"# created: 2026-01-01\n{v}", v)
    return out


SECRETS: list[Secret] = _build()
KINDS = sorted({s.kind for s in SECRETS})

NON_SECRETS: list[str] = [
    "commit 8cc42b0bd39d04e71e509d7d58e6782ab435329f on main",
    "sha256 3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
    "session 0d3a8e6f-290f-4105-a327-a2496e5e2a83 started",
    "docker run -p 8080:80 nginx",
    "ssh -p 2222 deploy@10.0.0.5",
    "python -m http.server -p 8000",
    "psql -h localhost -p 5432 -U app shop",
    "mysql -u root -p shop",
    "mkdir -p src/components/ui",
    "sort -u names.txt | wc -l",
    "git push -u origin main",
    "git log --oneline -n 20",
    "tar -xzf release.tar.gz -C /opt",
    "pytest -k test_login -x -q",
    "API_KEY = os.environ['API_KEY']",
    "token = get_token(); max_tokens: 1000; primary_key: id",
    "the password is stored in vault",
    "the password must be at least 12 characters",
    "read / write access for the group",
    "src / dist layout",
    "npm install --save-dev typescript",
    'grep -rn "password" src/',
    "docker login --password-stdin ghcr.io",
    "sshpass -f ~/.ssh/passfile ssh host",
    "redis-cli -h cache ping",
    "curl -u admin https://jenkins.acme.io",
    "--- PASS: TestLoginFlow (0.00s)",
    "PWD=/home/dev/project",
    "key: 'Content-Security-Policy'",
    "export PATH=$PATH:/usr/local/bin",
    "password: ${DB_PASSWORD}",
    "Authorization: Bearer $TOKEN",
    "def check_password(self, password): return hmac.compare_digest(password, self.hash)",
    "git@github.com:acme/app.git and https://github.com/acme/app",
    "https://docs.example.com/api?page=2&per_page=50",
    "image: node:20-alpine@sha256:9b8d2d1c1b8e8f4c4e0c9f7a4b9c0e2d1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d",
    '"integrity": "sha512-q3o3Rm4Dd3eCk3+Qj1b2bK1vO0fj0D1XK8kZgk6f1s3gO1mJ0Ndh3X5eF1a0eXQk7b5bS1x4m0r6t2y7u8i9o0w=="',
    "uuid4: 123e4567-e89b-12d3-a456-426614174000",
    "the AKIA prefix marks long-term access keys",
    "set -euo pipefail",
    "ls -la ~/.ssh",
    "ssh-keygen -t ed25519 -C dev@acme.io",
    "export NODE_ENV=production",
    "CACHE_KEY=setup-uv-1-x86_64-unknown-linux-gnu",
    "use `sort -u` to dedupe",
    "Run `git push -u origin feature/login` after the review.",
]
