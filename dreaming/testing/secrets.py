"""Planted secrets: one realistic sample of each kind of credential people
paste into a session, for the redaction tests and ``benchmarks/redteam.py``.

The values are assembled at run time (``"gh" + "p_" + ...``) so that no file
of the project holds a literal a secret scanner or a code host's push
protection would flag.  None is a real credential.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

ALNUM = "Zq7Rm2Xk9Tb4Wn6Pv1Ls8Hd3Jf5Gc0Ay"
HEX = "3f2a9c1b7e4d5f6a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a"


def _b64url(data: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@dataclass(frozen=True, kw_only=True)
class Planted:
    """``text`` holds ``secret``, of kind ``kind``."""

    kind: str
    text: str
    secret: str


def planted() -> list[Planted]:
    """One sample per kind (51 kinds)."""
    aws_id = "AK" + "IA" + "Z7Q2M4XKP9RTL3WN"
    aws_secret = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYzq8Lm3Tr5vQa"
    ghp = "gh" + "p_" + (ALNUM + "0123")[:36]
    gho = "gh" + "o_" + (ALNUM[::-1] + "4567")[:36]
    pat = "github" + "_pat_" + "11ABCDE2F0_" + (ALNUM * 2)[:59]
    slack = "xo" + "xb-" + "2134567890123-4123456789012-" + "aB3dE5fG7hI9jK1lM3nO5pQ7"
    hook = "https://hooks.slack.com/services/" + "T01ABCDEF2/B03GHIJKL4/" + "aBcDeFgHiJkLmNoPqRsTuVwX"
    xapp = "xa" + "pp-1-" + "A0123BCDEF4-5678901234567-" + HEX[:40]
    anthropic = "sk-" + "ant-api03-" + (ALNUM * 3)[:93] + "AA"
    openai = "sk-" + "proj-" + (ALNUM * 2)[:48]
    openai_legacy = "sk-" + ALNUM[:20] + "T3Blbk" + "FJ" + ALNUM[5:25]
    jwt = ".".join([_b64url({"alg": "HS256", "typ": "JWT"}), _b64url({"sub": "42", "name": "Ada"}),
                    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"])
    body = "MIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF0qPzvfbkDbKMZq\n2XSh+eLdo0tFvRcMpJqI7VtGHpRbX1kP3zWQ\n"

    def pem(kind: str) -> str:
        return f"-----BEGIN {kind}-----\n{body}-----END {kind}-----"

    stripe = "sk" + "_live_" + (ALNUM * 3)[:99]
    google = "AI" + "za" + (ALNUM * 2)[:35]
    glpat = "gl" + "pat-" + ALNUM[:20]
    npm = "np" + "m_" + (ALNUM + "abcd")[:36]
    pypi = "py" + "pi-" + "AgEIcHlwaS5vcmc" + (ALNUM * 3)[:80]
    sendgrid = "SG" + "." + ALNUM[:22] + "." + (ALNUM * 2)[:43]
    hf = "h" + "f_" + "AbCdEfGhIjKlMnOpQrStUvWxYz01234567"
    whsec = "wh" + "sec_" + (ALNUM * 2)[:32]
    django = "django-" + "insecure-" + "q7#r2!xk9@tb4$wn6^pv1&ls8*hd3"
    dop = "do" + "p_v1_" + HEX
    shpat = "sh" + "pat_" + HEX[:32]
    dapi = "da" + "pi" + HEX[:32]
    twilio = "S" + "K" + HEX[:32]
    telegram = "1234567890" + ":" + "AAH" + (ALNUM * 2)[:32]
    discord = "MTA" + "xNjQ4ODk2MzY0MTU5NjQ0" + "." + "GhIjKl" + "." + (ALNUM * 2)[:27]
    azure = "AccountKey=" + (ALNUM * 3)[:86] + "=="
    basic = base64.b64encode(b"ada:Sup3rS3cretPw").decode()
    bearer = "Zq7Rm2Xk9Tb4Wn6Pv1Ls8Hd3Jf5Gc0AyQ"
    return [
        Planted(kind="aws-access-key", text=f"export AWS_ACCESS_KEY_ID={aws_id}", secret=aws_id),
        Planted(kind="aws-secret-file", text=f"[default]\naws_access_key_id = {aws_id}\naws_secret_access_key = {aws_secret}\n",
                secret=aws_secret),
        Planted(kind="aws-secret-env", text=f"AWS_SECRET_ACCESS_KEY={aws_secret} aws s3 ls", secret=aws_secret),
        Planted(kind="github-token-url", text=f"git remote set-url origin https://{ghp}@github.com/acme/app.git", secret=ghp),
        Planted(kind="github-pat", text=f"GITHUB_TOKEN={pat}", secret=pat),
        Planted(kind="github-oauth", text=f"gh auth status shows token {gho}", secret=gho),
        Planted(kind="slack-bot", text=f"the bot token is {slack} - keep it safe", secret=slack),
        Planted(kind="slack-webhook", text=f"curl -X POST {hook} -d '{{\"text\": \"hi\"}}'", secret=hook),
        Planted(kind="slack-app", text=f"SLACK_APP_TOKEN {xapp}", secret=xapp),
        Planted(kind="anthropic-key", text=f"client = anthropic.Anthropic(api_key=\"{anthropic}\")", secret=anthropic),
        Planted(kind="openai-project", text=f"client = OpenAI(api_key='{openai}')", secret=openai),
        Planted(kind="openai-legacy", text=f"my old key {openai_legacy} still works", secret=openai_legacy),
        Planted(kind="jwt", text=f"Authorization: Bearer {jwt}", secret=jwt),
        Planted(kind="rsa-key", text=f"here is the deploy key:\n{pem('RSA PRIVATE KEY')}\nuse it", secret=body.split()[1]),
        Planted(kind="openssh-key", text=f"cat ~/.ssh/id_ed25519\n{pem('OPENSSH PRIVATE KEY')}", secret=body.split()[0]),
        Planted(kind="ec-key", text=pem("EC PRIVATE KEY"), secret=body.split()[1]),
        Planted(kind="pgp-key", text=pem("PGP PRIVATE KEY BLOCK"), secret=body.split()[0]),
        Planted(kind="postgres-url", text="DATABASE_URL=postgres://app_user:Sup3rS3cretPw@db.example.com:5432/app",
                secret="Sup3rS3cretPw"),
        Planted(kind="mongodb-url", text="mongo 'mongodb+srv://admin:pa55w0rdXyz@cluster0.example.net/test'",
                secret="pa55w0rdXyz"),
        Planted(kind="redis-url", text="redis://:r3d1sPassw0rd@cache.internal:6379/0", secret="r3d1sPassw0rd"),
        Planted(kind="mysql-password-flag", text="mysql -h db -u root --password=hunter2xy app", secret="hunter2xy"),
        Planted(kind="pgpassword", text="PGPASSWORD=Tr0ub4dor3 psql -h db app", secret="Tr0ub4dor3"),
        Planted(kind="json-password", text='{"username": "ada", "password": "correct horse battery"}',
                secret="correct horse battery"),
        Planted(kind="dotenv", text="DB_PASSWORD=s3cr3t-v4lue\nLOG_LEVEL=debug\n", secret="s3cr3t-v4lue"),
        Planted(kind="yaml", text="database:\n  password: Xk29Lm3Qp\n  host: db\n", secret="Xk29Lm3Qp"),
        Planted(kind="connection-string", text="Server=db;Database=app;User Id=sa;Password=Passw0rd123;",
                secret="Passw0rd123"),
        Planted(kind="bearer", text=f"curl -H 'Authorization: Bearer {bearer}' https://api.example.com", secret=bearer),
        Planted(kind="stripe-long", text=f"STRIPE_SECRET_KEY={stripe}", secret=stripe),
        Planted(kind="google-api-key", text=f"maps key {google}", secret=google),
        Planted(kind="gitlab-token", text=f"git clone https://oauth2:{glpat}@gitlab.com/acme/app.git", secret=glpat),
        Planted(kind="npm-token", text=f"//registry.npmjs.org/:_authToken={npm}", secret=npm),
        Planted(kind="npm-token-bare", text=f"publish with {npm} from CI", secret=npm),
        Planted(kind="pypi-token", text=f"twine upload -p {pypi} dist/*", secret=pypi),
        Planted(kind="sendgrid", text=f"SENDGRID_API_KEY={sendgrid}", secret=sendgrid),
        Planted(kind="huggingface", text=f"HF_TOKEN={hf}", secret=hf),
        Planted(kind="stripe-webhook", text=f"STRIPE_WEBHOOK_SECRET={whsec}", secret=whsec),
        Planted(kind="django-secret", text=f"SECRET_KEY={django}", secret=django),
        Planted(kind="digitalocean", text=f"doctl auth init -t {dop}", secret=dop),
        Planted(kind="shopify", text=f"X-Shopify-Access-Token: {shpat}", secret=shpat),
        Planted(kind="databricks", text=f"DATABRICKS_TOKEN {dapi}", secret=dapi),
        Planted(kind="curl-user", text="curl -u admin:S3cure!Pass https://ci.example.com/api", secret="S3cure!Pass"),
        Planted(kind="mysql-p", text="mysql -u root -pMyS3cretPw app < dump.sql", secret="MyS3cretPw"),
        Planted(kind="prose-vpn", text="fyi my VPN password is Tr0ub4dor&3horse if you need it", secret="Tr0ub4dor&3horse"),
        Planted(kind="prose-wifi", text="the wifi password is now Gl4cier-Moss, changed it this morning",
                secret="Gl4cier-Moss"),
        Planted(kind="twilio", text=f"twilio api key {twilio}", secret=twilio),
        Planted(kind="telegram", text=f"bot token {telegram}", secret=telegram),
        Planted(kind="discord", text=f"DISCORD token {discord}", secret=discord),
        Planted(kind="azure-storage", text=f"DefaultEndpointsProtocol=https;AccountName=acme;{azure};", secret=azure[11:]),
        Planted(kind="basic-auth", text=f"curl -H 'Authorization: Basic {basic}' https://ci.example.com", secret=basic),
        Planted(kind="sshpass", text="sshpass -p Wint3r!Is sh deploy@host", secret="Wint3r!Is"),
        Planted(kind="assignment-after-prose", text=f"Remember the credential: AWS_SECRET_ACCESS_KEY={aws_secret} ok",
                secret=aws_secret),
    ]


#: text that holds no secret and must come out unchanged (beside the shared Claude Code samples)
NOT_SECRETS = [
    "I prefer tabs over spaces; the deploy failed because staging runs postgres 16 now.",
    "git commit 3f2a9c1b7e4d5f6a8b9c0d1e2f3a4b5c6d7e8f9a and git show 3f2a9c1",
    "request id 123e4567-e89b-12d3-a456-426614174000",
    "sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "md5 d41d8cd98f00b204e9800998ecf8427e, sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "img src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAC"
    "hwGA60e6kgAAAABJRU5ErkJggg==\"",
    "The API key lives in 1Password under 'staging'.",
    "the password is stored in the team vault; ask Dana",
    "my password is too short, the checker says",
    "the token is expired, run gh auth login again",
    "The secret is to keep commits small.",
    "password reset emails go out at 9:00",
    "set the token to the value from the dashboard",
    "the PIN is 4 digits",
    "the password was changed to something longer yesterday",
    "def login(password: str, token: str | None = None) -> bool:",
    "token = os.environ['GITHUB_TOKEN']",
    "api_key = settings.ANTHROPIC_API_KEY",
    "client = Client(api_key=api_key, token=access_token)",
    "response = client.messages.create(max_tokens=1024, model=model)",
    "password: ${DB_PASSWORD}",
    "Authorization: Bearer <token>",
    "const key = cache.get(userId);\nif (key === undefined) return null;",
    "version 1.2.3-rc.4 released on 2026-11-23",
    "run `make test` then `git push origin HEAD:refs/for/main`",
    "sk-learn-compatible estimators and the sklearn API",
    "see https://example.com/docs?page=2&sort=asc and mail ada@example.com",
]
