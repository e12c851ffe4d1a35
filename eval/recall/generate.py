#!/usr/bin/env python3
"""Generate nhiscan's recall fixtures: fresh random values in the formats the
vendors use, written the way real files hold them. Shapes follow the
credential formats and the example contexts peers publish with their rules
(gitleaks' rule tps/fps, etc.) and the real-world forms issue 10 names; the
values and files are our own. Writes fixtures/recall/** and manifest.tsv.

    rm -rf fixtures/recall && python3 eval/recall/generate.py fixtures/recall

Values come from a fixed seed (a rerun reproduces them); keys are fresh each
run. Regenerate to add or change shapes; commit the fixtures with the manifest. Needs Python 3 with
`cryptography`, plus `openssl` and `ssh-keygen` on PATH."""
import base64, binascii, hashlib, hmac, json, os, random, secrets, string, subprocess, sys, textwrap
from pathlib import Path
from cryptography.hazmat.primitives.asymmetric import rsa, ec, ed25519
from cryptography.hazmat.primitives import serialization as ser

OUT = Path(sys.argv[1])
# Values come from a fixed seed, so regenerating reproduces them (keys come
# from the OS generator: any fresh key parses the same).
R = random.Random(20261130)
AL = string.ascii_letters + string.digits
def rnd(n, alphabet=AL): return "".join(R.choice(alphabet) for _ in range(n))
def hexs(n, upper=False): s = rnd(n, "0123456789abcdef"); return s.upper() if upper else s
def digits(n): return str(R.randint(1, 9)) + rnd(n - 1, string.digits)
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
def gh(prefix):
    body = rnd(30)
    n = binascii.crc32(body.encode()); c = ""
    for _ in range(6): c = B62[n % 62] + c; n //= 62
    return f"{prefix}_{body}{c}"
def google(): return "GOCSPX-" + rnd(28, AL + "-_")
def entra(): return rnd(3, AL + "_~.") + str(R.randint(0, 9)) + "Q~" + rnd(33, AL + "_~.-") + rnd(1)  # 40 characters
def uuid(): import uuid as u; return str(u.UUID(bytes=R.randbytes(16), version=4))
def gh_client_id(): return R.choice(["Iv1." + hexs(16), "Ov23li" + rnd(14)])
def b64(s): return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()
def b64u(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def rsa_key(bits=2048): return rsa.generate_private_key(65537, bits)
def pem(key, fmt):
    f = {"pkcs8": ser.PrivateFormat.PKCS8, "trad": ser.PrivateFormat.TraditionalOpenSSL, "openssh": ser.PrivateFormat.OpenSSH}[fmt]
    return key.private_bytes(ser.Encoding.PEM, f, ser.NoEncryption()).decode()
def pem_enc(key, fmt, pw=b"correct horse"):
    f = {"pkcs8": ser.PrivateFormat.PKCS8, "trad": ser.PrivateFormat.TraditionalOpenSSL, "openssh": ser.PrivateFormat.OpenSSH}[fmt]
    return key.private_bytes(ser.Encoding.PEM, f, ser.BestAvailableEncryption(pw)).decode()
def der_b64(key, fmt="pkcs8"):
    f = {"pkcs8": ser.PrivateFormat.PKCS8, "trad": ser.PrivateFormat.TraditionalOpenSSL}[fmt]
    return b64(key.private_bytes(ser.Encoding.DER, f, ser.NoEncryption()))
def cert_pem():
    return subprocess.run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null -subj /CN=api.internal.example -days 30 2>/dev/null",
                          shell=True, capture_output=True, text=True).stdout
def jwk_rsa(key, kid):
    n = key.private_numbers(); pub = n.public_numbers
    i = lambda v: b64u(v.to_bytes((v.bit_length() + 7) // 8, "big"))
    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": i(pub.n), "e": i(pub.e), "d": i(n.d),
            "p": i(n.p), "q": i(n.q), "dp": i(n.dmp1), "dq": i(n.dmq1), "qi": i(n.iqmp)}
def jwk_ec(kid):
    k = ec.generate_private_key(ec.SECP256R1()); n = k.private_numbers()
    i = lambda v: b64u(v.to_bytes(32, "big"))
    return {"kty": "EC", "kid": kid, "crv": "P-256", "x": i(n.public_numbers.x), "y": i(n.public_numbers.y), "d": i(n.private_value)}
def putty_unencrypted(comment="deploy@ci"):
    k = ed25519.Ed25519PrivateKey.generate()
    pub = k.public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
    priv = k.private_bytes(ser.Encoding.Raw, ser.PrivateFormat.Raw, ser.NoEncryption())
    s = lambda b: len(b).to_bytes(4, "big") + b
    pub_blob = s(b"ssh-ed25519") + s(pub); priv_blob = s(priv)
    mac_data = s(b"ssh-ed25519") + s(b"none") + s(comment.encode()) + s(pub_blob) + s(priv_blob)
    mac = hmac.new(b"", mac_data, hashlib.sha256).hexdigest()
    wrap = lambda b: textwrap.wrap(b64(b), 64)
    pl, vl = wrap(pub_blob), wrap(priv_blob)
    return "\n".join(["PuTTY-User-Key-File-3: ssh-ed25519", "Encryption: none", f"Comment: {comment}",
                      f"Public-Lines: {len(pl)}", *pl, f"Private-Lines: {len(vl)}", *vl, f"Private-MAC: {mac}"]) + "\n"

MANIFEST = []
class F:
    """A fixture file built line by line; pos/neg record the next line."""
    def __init__(self, path): self.path, self.lines = path, []
    def add(self, text):
        for l in text.split("\n"): self.lines.append(l)
        return self
    def pos(self, rule, text, needs="-", note="-"):
        MANIFEST.append(("pos", self.path, len(self.lines) + 1, rule, needs, note)); return self.add(text)
    def neg(self, text, note, needs="-"):
        MANIFEST.append(("neg", self.path, len(self.lines) + 1, "NHI1xx", needs, note)); return self.add(text)
    def save(self):
        p = OUT / self.path; p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("\n".join(self.lines).rstrip("\n") + "\n")

GCID = lambda: f"{digits(12)}-{rnd(32, string.ascii_lowercase + string.digits)}.apps.googleusercontent.com"

# ---------------------------------------------------------------- Google
f = F("google/client_secret_web.json")
s = google()
f.add("{\n  \"web\": {\n    \"client_id\": \"%s\",\n    \"project_id\": \"billing-prod-4821\",\n    \"auth_uri\": \"https://accounts.google.com/o/oauth2/auth\",\n    \"token_uri\": \"https://oauth2.googleapis.com/token\"," % GCID())
f.pos("NHI101", f"    \"client_secret\": \"{s}\",", note="client_secret.json")
f.add("    \"redirect_uris\": [\"https://billing.example.com/oauth2/callback\"]\n  }\n}").save()
f = F("google/settings.py")
f.add("import os\n\nSOCIAL_AUTH_GOOGLE_OAUTH2_KEY = \"%s\"" % GCID())
f.pos("NHI101", f"SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET = '{google()}'", note="python single quote")
f.add("LOGIN_REDIRECT_URL = \"/\"")
f.neg("GOOGLE_CLIENT_SECRET = os.environ[\"GOOGLE_CLIENT_SECRET\"]", "environment lookup")
f.neg("# GOOGLE_CLIENT_SECRET = 'GOCSPX-<your-client-secret>'", "placeholder in comment").save()
f = F("google/app.env")
f.add(f"GOOGLE_CLIENT_ID={GCID()}")
f.pos("NHI101", f"GOOGLE_CLIENT_SECRET={google()}", note="dotenv unquoted")
f.pos("NHI101", f"GOOGLE_OAUTH_SECRET=\"{google()}\"", note="dotenv quoted").save()
f = F("google/oauth.go")
f.add("package auth\n\nimport \"golang.org/x/oauth2\"\n\nvar conf = &oauth2.Config{\n\tClientID:     \"%s\"," % GCID())
f.pos("NHI101", f"\tClientSecret: \"{google()}\",", note="go struct literal")
f.add("\tScopes:       []string{\"openid\", \"email\"},\n}")
f.pos("NHI101", f"var backupSecret = `{google()}`", note="go raw string").save()
f = F("google/GoogleConfig.java")
f.add("package com.example.auth;\n\npublic final class GoogleConfig {")
f.pos("NHI101", f"    static final String CLIENT_SECRET = \"{google()}\";", note="java constant")
f.add("    private GoogleConfig() {}\n}").save()
f = F("google/appsettings.Production.json")
f.add("{\n  \"Authentication\": {\n    \"Google\": {\n      \"ClientId\": \"%s\"," % GCID())
f.pos("NHI101", f"      \"ClientSecret\": \"{google()}\"", note="aspnet appsettings")
f.add("    }\n  }\n}").save()
f = F("google/spring.xml")
f.add("<beans>\n  <bean id=\"google\" class=\"com.example.OAuthClient\">")
f.pos("NHI101", f"    <property name=\"clientSecret\" value=\"{google()}\"/>", note="xml attribute")
f.add("  </bean>\n</beans>").save()
f = F("google/deploy-config.json")
f.pos("NHI101", '{"name": "web", "env": "{\\"client_id\\":\\"%s\\",\\"client_secret\\":\\"%s\\"}"}' % (GCID(), google()), note="escaped-quote JSON in a JSON string")
f.save()
f = F("google/k8s-secret.yaml")
gs = google()
f.add("apiVersion: v1\nkind: Secret\nmetadata:\n  name: oauth\ntype: Opaque\ndata:")
f.pos("NHI101|NHI199", f"  GOOGLE_CLIENT_SECRET: {b64(gs)}", needs="-", note="base64 value in a Kubernetes Secret (generic rule on the encoded value until decoding lands)")
f.save()
f = F("google/callback.txt")
f.pos("NHI101|NHI199", f"POST /token client_id={GCID()}&client_secret={google().replace('-', '%2D', 1)}&grant_type=authorization_code", note="percent-encoded form body (generic rule until decoding lands)")
f.save()
f = F("google/negatives.md")
f.add("# Google sign-in\n\nSet these in your shell:\n")
f.neg("    export GOOGLE_CLIENT_SECRET=GOCSPX-XXXXXXXXXXXXXXXXXXXXXXXXXXXX", "all-X placeholder")
f.neg("    export GOOGLE_CLIENT_SECRET=GOCSPX-your_client_secret_here_123", "placeholder words")
f.neg("The secret looks like GOCSPX-abc123 (truncated in this doc).", "too short")
f.save()

# ---------------------------------------------------------------- Entra
f = F("entra/appsettings.json")
f.add("{\n  \"AzureAd\": {\n    \"Instance\": \"https://login.microsoftonline.com/\",\n    \"TenantId\": \"%s\",\n    \"ClientId\": \"%s\"," % (uuid(), uuid()))
f.pos("NHI102", f"    \"ClientSecret\": \"{entra()}\"", note="appsettings AzureAd")
f.add("  }\n}").save()
f = F("entra/deploy.ps1")
f.pos("NHI102", f"Set-PSUAuthenticationMethod -Type 'OpenIDConnect' -CallbackPath '/auth/oidc' -ClientId '{uuid()}' -ClientSecret '{entra()}'", note="powershell parameter")
f.pos("NHI102", f"$env:AZURE_CLIENT_SECRET = \"{entra()}\"", note="powershell env assignment")
f.save()
f = F("entra/application.properties")
f.add(f"spring.cloud.azure.active-directory.credential.client-id={uuid()}")
f.pos("NHI102", f"spring.cloud.azure.active-directory.credential.client-secret={entra()}", note="spring properties")
f.pos("NHI102", f"cas.authn.azure-active-directory.client-secret={entra()}", note="cas properties").save()
f = F("entra/main.tf")
f.add("provider \"azuread\" {\n  tenant_id = \"%s\"\n  client_id = \"%s\"" % (uuid(), uuid()))
f.pos("NHI102", f"  client_secret = \"{entra()}\"", note="terraform provider")
f.add("}").save()
f = F("entra/config.xml")
f.pos("NHI102", f"<value xsi:type=\"xsd:string\">{entra()}</value>", note="xml element value").save()
f = F("entra/values.yaml")
f.add("auth:\n  azure:")
f.pos("NHI102", f"    client-secret: \"{entra()}\"", note="yaml quoted")
f.pos("NHI102", f"    backupSecret: {entra()}", note="yaml unquoted, other key").save()
f = F("entra/negatives.txt")
f.neg("client_secret=bP88Q~xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "x-filled placeholder")
f.neg(".ui.visible.right.sidebar~.ui.visible.left.sidebar~.pusher{transform:translate3d(0,0,0)}", "CSS with tildes")
f.neg("'url': 'http://www.2doc.nl/speel~VARA_101375237~mh17-het-verdriet-van-nederland~.html',", "URL with tildes")
f.save()

# ---------------------------------------------------------------- GitHub OAuth app secret + tokens
f = F("github/oauth-app.env")
f.add(f"GITHUB_CLIENT_ID={gh_client_id()}")
f.pos("NHI103", f"GITHUB_CLIENT_SECRET={hexs(40)}", note="dotenv pair").save()
f = F("github/dex-config.yaml")
f.add("connectors:\n- type: github\n  id: github\n  name: GitHub\n  config:\n    clientID: %s" % gh_client_id())
f.pos("NHI103", f"    clientSecret: {hexs(40)}", note="dex github connector")
f.add("    redirectURI: https://dex.example.com/callback").save()
f = F("github/settings.js")
f.add("module.exports = {\n  github: {\n    clientId: '%s'," % gh_client_id())
f.pos("NHI103", f"    clientSecret: '{hexs(40)}',", note="js object")
f.add("  },\n};").save()
f = F("github/grafana.ini")
f.add("[auth.github]\nenabled = true\nclient_id = %s" % gh_client_id())
f.pos("NHI103|NHI199", f"GITHUB_SECRET = {hexs(40)}", needs="sec-recall:variant-github-secret-name", note="GITHUB_SECRET beside a client id")
f.save()
f = F("github/tokens.yaml")
f.pos("NHI104", f"github_token: {gh('gho')}", note="yaml gho_")
f.pos("NHI104", f"user_to_server: \"{gh('ghu')}\"", note="yaml ghu_")
f.pos("NHI104", f"installation_token: '{gh('ghs')}'", note="ghs_")
f.pos("NHI104", f"refresh_token: {gh('ghr')}", note="ghr_").save()
f = F("github/Client.cs")
f.add("namespace Deploy;\n\npublic static class Client\n{")
f.pos("NHI104", f"    public const string Token = \"{gh('gho')}\";", note="C# constant")
f.add("}").save()
f = F("github/setup.py")
f.pos("NHI104", f"System_setProperty = dict(GITHUB_TOKEN=\"{gh('ghs')}\")", note="python call kwarg").save()
f = F("github/hub")
f.add("github.com:\n- user: release-bot")
f.pos("NHI104", f"  oauth_token: {gh('gho')}", note="hub config gho_")
f.add("  protocol: https\ngithub.example.com:\n- user: release-bot")
f.pos("NHI1xx", f"  oauth_token: {hexs(40)}", needs="sec-recall:variant-github-legacy-oauth-token", note="hub config legacy 40-hex token")
f.add("  protocol: https").save()
f = F("github/negatives.yaml")
f.neg("token: gho_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "all-X placeholder")
f.neg("# e.g. ghs_<installation token>", "placeholder text")
f.save()

# ---------------------------------------------------------------- GitLab
f = F("gitlab/gitlab.rb")
f.add("gitlab_rails['omniauth_providers'] = [\n  {\n    name: \"gitlab\",\n    app_id: \"%s\"," % hexs(64))
f.pos("NHI105", f"    app_secret: \"gloas-{hexs(64)}\",", note="omnibus gitlab.rb")
f.add("    args: { scope: \"read_user\" }\n  }\n]").save()
f = F("gitlab/oauth.env")
f.add(f"GITLAB_APPLICATION_ID={hexs(64)}")
f.pos("NHI105", f"GITLAB_SECRET=gloas-{hexs(64)}", note="dotenv").save()
f = F("gitlab/client.json")
f.pos("NHI105", '{"application_id": "%s", "secret": "gloas-%s", "callback_url": "https://ci.example.com/cb"}' % (hexs(64), hexs(64)), note="json one line").save()

# ---------------------------------------------------------------- Slack
f = F("slack/app.env")
f.add(f"SLACK_CLIENT_ID={digits(12)}.{digits(13)}")
f.pos("NHI106", f"SLACK_CLIENT_SECRET={hexs(32)}", note="client secret dotenv")
f.pos("NHI106", f"SLACK_SIGNING_SECRET={hexs(32)}", note="signing secret dotenv")
f.pos("NHI107", f"SLACK_BOT_TOKEN=xoxb-{digits(12)}-{digits(13)}-{rnd(24)}", note="xoxb dotenv")
f.pos("NHI107", f"SLACK_APP_TOKEN=xapp-1-A{rnd(10, string.ascii_uppercase + string.digits)}-{digits(13)}-{hexs(64)}", note="xapp dotenv").save()
f = F("slack/config.json")
f.pos("NHI107", "{\"bot_token1\": \"xoxb-%s-%s-%s\"," % (digits(12), digits(13), rnd(24)), note="json xoxb")
f.add(" \"channel\": \"#deploys\"}").save()
f = F("slack/bolt_app.js")
f.add("const { App } = require('@slack/bolt');\n\nconst app = new App({")
f.pos("NHI107", f"  token: 'xoxb-{digits(13)}-{digits(13)}-{rnd(24)}',", note="bolt token")
f.pos("NHI106", f"  signingSecret: '{hexs(32)}',", needs="sec-recall:variant-slack-signing-secret-key", note="bolt signingSecret without slack prefix")
f.add("});").save()
f = F("slack/legacy.py")
f.pos("NHI107", f"SLACK_BOT = \"xoxb-{digits(12)}-{rnd(24)}\"", needs="sec-recall:variant-slack-two-part", note="two-part legacy bot token")
f.save()
f = F("slack/negatives.json")
f.neg("{\"token1\": \"xoxb-1234567890\",", "too short")
f.neg(" \"token2\": \"xoxb-XXXXXXXXXX-XXXXXXXXXX-XXXXXXXXXXXXXXXXXXXXXXXX\",", "X placeholder")
f.neg(" \"signing\": \"slack_signing_secret: ${SLACK_SIGNING_SECRET}\"}", "variable reference")
f.save()

# ---------------------------------------------------------------- Okta
OKTA = lambda: f"dev-{digits(8)}.okta.com"
def okta_token(): return "00" + rnd(40, AL + "-_")
f = F("okta/okta.env")
f.add(f"OKTA_ORG_URL=https://{OKTA()}")
f.pos("NHI108", f"OKTA_CLIENT_TOKEN={okta_token()}", note="okta api token dotenv")
f.add(f"OKTA_ISSUER=https://{OKTA()}/oauth2/default\nOKTA_CLIENT_ID=0oa{rnd(17)}")
f.pos("NHI109", f"OKTA_CLIENT_SECRET={rnd(40, AL + '-_')}", note="okta client secret dotenv").save()
f = F("okta/OktaSync.cs")
f.pos("NHI108", f"\t\t\tvar OktaApiToken = \"{okta_token()}\";", note="C# var").save()
f = F("okta/request.http")
f.add(f"GET https://{OKTA()}/api/v1/users?limit=25\nAccept: application/json")
f.pos("NHI108", f"Authorization: SSWS {okta_token()}", note="SSWS header").save()
f = F("okta/okta.yaml")
f.add(f"okta:\n  client:\n    orgUrl: \"https://{OKTA()}\"")
f.pos("NHI108", f"    token: {okta_token()}", needs="sec-recall:variant-okta-yaml-nesting", note="okta SDK yaml config (token nested under okta.client)")
f.save()
f = F("okta/application.yml")
f.add(f"okta:\n  oauth2:\n    issuer: https://{OKTA()}/oauth2/default\n    client-id: 0oa{rnd(17)}")
f.pos("NHI109", f"    client-secret: {rnd(48, AL + '-_')}", note="spring okta starter").save()
f = F("okta/negatives.env")
f.neg("oktaKey = 00000000000000000000000000000000000TUVWXYZ", "low entropy")
f.neg("rookTable = 0023452Lllk2KqjLBvaxANWEgTd7bqjsxjo8aZj0wd", "no okta key name")
f.save()

# ---------------------------------------------------------------- Auth0
A0 = lambda: f"{rnd(8, string.ascii_lowercase)}-prod.us.auth0.com"
f = F("auth0/.env.production")
f.add(f"AUTH0_DOMAIN={A0()}\nAUTH0_CLIENT_ID={rnd(32)}")
f.pos("NHI110", f"AUTH0_CLIENT_SECRET={rnd(64, AL + '-_')}", note="dotenv").save()
f = F("auth0/auth_config.json")
f.add("{\n  \"domain\": \"%s\",\n  \"clientId\": \"%s\"," % (A0(), rnd(32)))
f.pos("NHI110", f"  \"clientSecret\": \"{rnd(64, AL + '-_')}\",", note="json")
f.add("  \"audience\": \"https://api.example.com\"\n}").save()

# ---------------------------------------------------------------- Salesforce
f = F("salesforce/sfdx.env")
f.add(f"SALESFORCE_CONSUMER_KEY=3MVG9{rnd(80, AL + '._')}")
f.pos("NHI111", f"SALESFORCE_CONSUMER_SECRET={hexs(64, upper=True)}", note="hex consumer secret")
f.pos("NHI111", f"SFDC_CLIENT_SECRET={digits(19)}", note="legacy 19-digit secret").save()
for i in range(4):
    f = F(f"salesforce/org{i + 1}.properties")
    f.add(f"salesforce.consumer-key=3MVG9{rnd(80, AL + '._')}")
    f.pos("NHI111", f"salesforce.consumer-secret={digits(19)}", note="legacy 19-digit secret").save()
f = F("salesforce/connected-app.json")
f.pos("NHI111", '{"consumerKey": "3MVG9%s", "consumerSecret": "%s"}' % (rnd(80, AL + '._'), hexs(64, upper=True)), note="json").save()

# ---------------------------------------------------------------- Discord
f = F("discord/bot.env")
f.add(f"DISCORD_CLIENT_ID={digits(18)}")
f.pos("NHI112", f"DISCORD_CLIENT_SECRET={rnd(32, AL + '-_')}", note="dotenv").save()
f = F("discord/config.yaml")
f.add("discord:\n  client_id: \"%s\"" % digits(19))
f.pos("NHI112", f"  discord_client_secret: \"{rnd(32, AL + '-_')}\"", note="yaml").save()
f = F("discord/negatives.env")
f.neg("DISCORD_CLIENT_SECRET=00000000000000000000000000000000", "zeros")
f.save()

# ---------------------------------------------------------------- Private keys
k1 = rsa_key()
f = F("keys/server.key"); f.pos("NHI150", pem(k1, "pkcs8").rstrip("\n"), note="PKCS#8 PEM file"); f.save()
f = F("keys/legacy_rsa.pem"); f.pos("NHI150", pem(rsa_key(), "trad").rstrip("\n"), note="PKCS#1 PEM"); f.save()
f = F("keys/ec.pem"); f.pos("NHI150", pem(ec.generate_private_key(ec.SECP256R1()), "trad").rstrip("\n"), note="SEC1 EC PEM"); f.save()
f = F("keys/id_ed25519"); f.pos("NHI150", pem(ed25519.Ed25519PrivateKey.generate(), "openssh").rstrip("\n"), note="OpenSSH unencrypted"); f.save()
f = F("keys/bundle.pem")
f.add(cert_pem().rstrip("\n")); f.pos("NHI150", pem(ec.generate_private_key(ec.SECP384R1()), "pkcs8").rstrip("\n"), note="certificate then key in one bundle"); f.save()
f = F("keys/tls-values.yaml")
f.add("ingress:\n  tls:\n    key: |")
f.pos("NHI150", textwrap.indent(pem(rsa_key(), "pkcs8").rstrip("\n"), "      "), note="YAML block scalar").save()
f = F("keys/service.json")
f.pos("NHI150", json.dumps({"signing_key": pem(ec.generate_private_key(ec.SECP256R1()), "pkcs8")}), note="\\n-escaped PEM in JSON").save()
f = F("keys/k8s-tls-secret.yaml")
f.add("apiVersion: v1\nkind: Secret\nmetadata:\n  name: api-tls\ntype: kubernetes.io/tls\ndata:\n  tls.crt: %s" % b64(cert_pem()))
f.pos("NHI150", f"  tls.key: {b64(pem(rsa_key(), 'pkcs8'))}", needs="sec-recall:decode-base64", note="base64-wrapped PEM (Kubernetes TLS Secret)").save()
f = F("keys/realm-export.json")
f.add("{\n  \"realm\": \"payments\",\n  \"components\": {\n    \"org.keycloak.keys.KeyProvider\": [\n      {\n        \"name\": \"rsa-generated\",\n        \"providerId\": \"rsa-generated\",\n        \"config\": {")
f.pos("NHI15x", f"          \"privateKey\": [\"{der_b64(rsa_key(), 'trad')}\"],", needs="sec-recall:der-base64-key", note="Keycloak realm export privateKey (PKCS#1 DER base64)")
f.add("          \"priority\": [\"100\"]\n        }\n      }\n    ]\n  }\n}").save()
f = F("keys/signer.py")
f.pos("NHI15x", f"PRIVATE_KEY_DER = \"{der_b64(rsa_key(), 'pkcs8')}\"", needs="sec-recall:der-base64-key", note="PKCS#8 DER base64 in a string").save()
f = F("keys/Signer.java")
lines = pem(rsa_key(), "pkcs8").rstrip("\n").split("\n")
f.add("public final class Signer {")
f.pos("NHI150", "    static final String KEY = \"" + lines[0] + "\\n\"", needs="sec-recall:join-concatenation", note="PEM split across string concatenation")
for l in lines[1:-1]: f.add("        + \"" + l + "\\n\"")
f.add("        + \"" + lines[-1] + "\";\n}").save()
f = F("keys/escaped.json")
inner = json.dumps({"type": "service", "private_key": pem(ec.generate_private_key(ec.SECP256R1()), "pkcs8")})
f.pos("NHI150", json.dumps({"payload": inner}), note="PEM inside JSON inside a JSON string").save()
f = F("keys/loader.py")
f.pos("NHI150", "KEY = b\"" + pem(ec.generate_private_key(ec.SECP256R1()), "trad").replace("\n", "\\n") + "\"", note="\\n-escaped PEM in a Python bytes literal")
f.pos("NHI151", "LEGACY = b\"" + pem_enc(rsa_key(), "trad").replace("\n", "\\n") + "\"", needs="sec-recall:escaped-encrypted-pem", note="\\n-escaped Proc-Type ENCRYPTED PEM")
f.save()
f = F("keys/fixtures.ts")
lines = pem(ed25519.Ed25519PrivateKey.generate(), "pkcs8").rstrip("\n").split("\n")
f.add("export const ed25519 = {\n  pkcs8:")
f.pos("NHI150", "    '" + lines[0] + "\\n' +", needs="sec-recall:join-concatenation", note="JS PEM split across + concatenation")
for l in lines[1:-1]: f.add("    '" + l + "\\n' +")
f.add("    '" + lines[-1] + "\\n',\n};").save()
f = F("keys/ci-variables.yaml")
sa_json = json.dumps({"type": "service_account", "project_id": "ci-runner-7731", "private_key_id": hexs(40),
    "private_key": pem(rsa_key(), "pkcs8"), "client_email": "ci@ci-runner-7731.iam.gserviceaccount.com",
    "client_id": digits(21), "token_uri": "https://oauth2.googleapis.com/token"}, indent=2)
f.add("variables:")
f.pos("NHI162|NHI150", f"  GOOGLE_CREDENTIALS: {b64(sa_json)}", needs="sec-recall:decode-base64", note="base64 of a service-account JSON in CI variables")
f.pos("NHI101", f"  DOTENV_B64: {b64('GOOGLE_CLIENT_ID=' + GCID() + chr(10) + 'GOOGLE_CLIENT_SECRET=' + google() + chr(10))}", needs="sec-recall:decode-base64", note="base64 of key=value text")
f.save()
f = F("keys/encrypted.pem"); f.pos("NHI151", pem_enc(rsa_key(), "pkcs8").rstrip("\n"), note="ENCRYPTED PRIVATE KEY"); f.save()
f = F("keys/legacy_encrypted.pem"); f.pos("NHI151", pem_enc(rsa_key(), "trad").rstrip("\n"), note="Proc-Type ENCRYPTED"); f.save()
def ssh_enc():
    import tempfile
    d = tempfile.mkdtemp(); subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "correct horse", "-C", "ci", "-f", d + "/k"], check=True)
    return open(d + "/k").read()
f = F("keys/id_ed25519_enc"); f.pos("NHI151", ssh_enc().rstrip("\n"), note="OpenSSH encrypted"); f.save()
f = F("keys/deploy.ppk"); f.pos("NHI152", putty_unencrypted().rstrip("\n"), note="PuTTY v3 unencrypted"); f.save()
def pkcs12_store(password):
    import datetime
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import pkcs12
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "payments.internal.example")])
    now = datetime.datetime(2026, 1, 1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(R.getrandbits(64)).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=365))
            .sign(key, hashes.SHA256()))
    return pkcs12.serialize_key_and_certificates(b"payments", key, cert, None, ser.BestAvailableEncryption(password))
p12 = OUT / "keys/payments.p12"
p12.parent.mkdir(parents=True, exist_ok=True)
p12.write_bytes(pkcs12_store(b"changeit"))
MANIFEST.append(("pos", "keys/payments.p12", 1, "NHI15x", "sec-recall:keystores", "PKCS#12 key store (binary) opened by a well-known password"))
f = F("keys/negatives.txt")
f.neg("-----BEGIN PRIVATE KEY-----\nanything\n-----END PRIVATE KEY-----", "armour around a word")
f.add("")
f.neg("-----BEGIN OPENSSH PRIVATE KEY----------END OPENSSH PRIVATE KEY-----", "empty armour")
f.add("")
f.neg("-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----", "elided body")
f.save()

# ---------------------------------------------------------------- JWK
f = F("jwk/signing.jwk"); f.pos("NHI155", json.dumps(jwk_rsa(rsa_key(), "sig-2024-11"), indent=2).split("\n")[0], note="RSA private JWK file")
f.lines = json.dumps(jwk_rsa(rsa_key(), "sig-2024-11"), indent=2).split("\n")
MANIFEST[-1] = ("pos", f.path, [i for i, l in enumerate(f.lines, 1) if '"d"' in l][0], "NHI155", "-", "RSA private JWK file (finding at the d member)")
f.save()
ks = {"keys": [jwk_ec("ec-1"), jwk_ec("ec-2")]}
f = F("jwk/jwks.json"); f.lines = json.dumps(ks, indent=2).split("\n")
for i, l in enumerate(f.lines, 1):
    if '"d"' in l: MANIFEST.append(("pos", f.path, i, "NHI155", "-", "EC private JWKS"))
f.save()
f = F("jwk/hmac.json"); f.lines = json.dumps({"kty": "oct", "kid": "hs", "alg": "HS256", "k": b64u(R.randbytes(32))}, indent=2).split("\n")
MANIFEST.append(("pos", f.path, [i for i, l in enumerate(f.lines, 1) if '"k"' in l][0], "NHI156", "-", "oct JWK")); f.save()
f = F("jwk/keys.py")
f.pos("NHI155", "SIGNING_JWK = '" + json.dumps(jwk_ec("py-1")) + "'", needs="sec-recall:jwk-in-code", note="single-quoted JSON in Python").save()
f = F("jwk/keys.ts")
j = jwk_ec("ts-1")
f.add("export const signingKey = {")
for kk, vv in j.items():
    if kk == "d": f.pos("NHI155", f"  {kk}: '{vv}',", needs="sec-recall:jwk-in-code", note="JS object literal JWK")
    else: f.add(f"  {kk}: '{vv}',")
f.add("};").save()
f = F("jwk/Keys.cs")
f.pos("NHI155", "    const string Jwk = \"\"\"" + json.dumps(jwk_ec("cs-1")) + "\"\"\";", needs="sec-recall:jwk-in-code", note="C# raw string")
f.save()

# ---------------------------------------------------------------- AWS / GCP
def akid(p="AKIA"): return p + rnd(16, string.ascii_uppercase + "234567")
def aws_secret(): return rnd(40, AL + "/+")
f = F("aws/credentials")
f.add("[default]"); f.neg(f"aws_access_key_id = {akid()}", "id beside its secret: reported once, as NHI160 (the pair)")
f.pos("NHI160", f"aws_secret_access_key = {aws_secret()}", note="credentials file secret").save()
f = F("aws/app.properties")
f.add(f"aws.accesskey={akid()}")
f.pos("NHI160", f"aws.secretkey={aws_secret()}", needs="sec-recall:prefilter-keywords", note="dotted aws.secretkey (prefilter lacks the keyword)").save()
f = F("aws/Uploader.kt")
f.add(f"val awsAccessKey = \"{akid()}\"")
f.pos("NHI160", f"val awsSecretKey = \"{aws_secret()}\"", note="camelCase awsSecretKey").save()
f = F("aws/session.json")
f.add("{\n  \"Code\" : \"Success\",\n  \"Type\" : \"AWS-HMAC\",")
f.add(f"  \"AccessKeyId\" : \"{akid('ASIA')}\",")
f.pos("NHI160", f"  \"SecretAccessKey\" : \"{aws_secret()}\",", note="STS secret")
f.add("  \"Expiration\" : \"2026-01-01T00:00:00Z\"\n}").save()
f = F("aws/deploy.yml")
f.add("jobs:\n  deploy:\n    runs-on: ubuntu-latest\n    env:")
f.pos("NHI161", f"      AWS_ACCESS_KEY_ID: {akid()}", note="id alone in a workflow").save()
f = F("aws/negatives.txt")
f.neg("aws_access_key: AKIAIOSFODNN7EXAMPLE", "AWS documentation example id")
f.neg("aws_secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS documentation example secret")
f.neg("key = AKIAXXXXXXXXXXXXXXXX", "low entropy")
f.neg("TODAYINASIAASACKOFRICEFELLOVER", "wrong length")
f.save()
sa = rsa_key()
f = F("gcp/deployer-sa.json")
f.lines = json.dumps({"type": "service_account", "project_id": "billing-prod-4821", "private_key_id": hexs(40),
    "private_key": pem(sa, "pkcs8"), "client_email": "deployer@billing-prod-4821.iam.gserviceaccount.com",
    "client_id": digits(21), "auth_uri": "https://accounts.google.com/o/oauth2/auth",
    "token_uri": "https://oauth2.googleapis.com/token"}, indent=2).split("\n")
MANIFEST.append(("pos", f.path, [i for i, l in enumerate(f.lines, 1) if '"private_key"' in l][0], "NHI162", "-", "service-account key JSON")); f.save()

# ---------------------------------------------------------------- Generic client_secret
def gen(): return rnd(R.randint(24, 40), AL + "-_.~")
f = F("generic/oauth2-proxy.cfg")
f.add("provider = \"oidc\"\nclient_id = \"oauth2-proxy\"")
f.pos("NHI199", f"client_secret = \"{gen()}\"", note="ini quoted").save()
f = F("generic/dex.yaml")
f.add("issuer: https://dex.example.com\nstaticClients:\n- id: grafana\n  redirectURIs:\n  - https://grafana.example.com/login/generic_oauth\n  name: Grafana")
f.pos("NHI199", f"  secret: {gen()}", needs="sec-recall:variant-dex-static-client-secret", note="dex staticClients secret").save()
f = F("generic/realm.json")
f.add("{\n  \"realm\": \"shop\",\n  \"clients\": [\n    {\n      \"clientId\": \"shop-backend\",\n      \"enabled\": true,\n      \"clientAuthenticatorType\": \"client-secret\",")
f.pos("NHI199", f"      \"secret\": \"{gen()}\",", needs="sec-recall:variant-keycloak-client-secret", note="Keycloak clients[].secret")
f.add("      \"redirectUris\": [\"https://shop.example.com/*\"]\n    }\n  ]\n}").save()
f = F("generic/variables.tf")
f.add("variable \"oidc_client_id\" {\n  default = \"terraform-runner\"\n}\n\nvariable \"oidc_client_secret\" {\n  type      = string\n  sensitive = true")
f.pos("NHI199", f"  default   = \"{gen()}\"", needs="sec-recall:variant-hcl-variable-default", note="HCL variable default").save()
f = F("generic/settings.py")
f.add("OAUTH_CLIENT_ID = \"reporting-service\"")
f.pos("NHI199", f"OAUTH_CLIENT_SECRET = \"{gen()}\"", note="python constant")
f.neg("client_secret = os.environ.get(\"OAUTH_CLIENT_SECRET\")", "environment lookup")
f.neg("client_secret = settings.OAUTH_CLIENT_SECRET", "member access")
f.neg("CLIENT_SECRET = \"client_secret\"", "constant holding the parameter name", needs="sec-precision")
f.neg("client_secret = \"client-secret\"", "placeholder equal to the key name", needs="sec-precision")
f.save()
f = F("generic/Startup.cs")
f.add("services.AddAuthentication().AddOpenIdConnect(o =>\n{\n    o.ClientId = \"inventory-web\";")
f.pos("NHI199", f"    o.ClientSecret = \"{gen()}\";", note="C# literal")
f.neg("    o.ClientSecret = builder.Configuration[\"Auth:ClientSecret\"];", "configuration lookup", needs="sec-precision")
f.add("});").save()
f = F("generic/client.ts")
f.add("const oauth = new OAuthClient({\n  clientId: 'ledger-ui',")
f.pos("NHI199", f"  clientSecret: \"{gen()}\",", note="TS literal")
f.add("});")
f.neg("const cfg = { clientSecret: process.env.CLIENT_SECRET };", "environment lookup")
f.neg(" *   clientSecret: AUTH_GITHUB_SECRET,", "ALL_CAPS env name in a doc comment", needs="sec-precision")
f.neg("  clientSecretExpiresAt: 1767225600,", "different key (expiry timestamp)")
f.save()
f = F("generic/docker-compose.yml")
f.add("services:\n  grafana:\n    environment:\n      GF_AUTH_GENERIC_OAUTH_CLIENT_ID: grafana")
f.pos("NHI199", f"      GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET: {gen()}", note="compose env").save()
f = F("generic/escaped.json")
f.pos("NHI199", '{"script": "curl -d \\"client_id=billing&client_secret=%s\\" https://idp.example.com/token"}' % gen(), note="value inside escaped quotes").save()

# ---------------------------------------------------------------- Key/value syntax matrix
# The contexts peers publish for keyed secrets (gitleaks' GenerateSampleSecrets:
# ini, JSON, XML, YAML, C#, Go, Java, Kotlin, PHP, Python, setProperty,
# logstash, make), each with a fresh value, for every rule that needs a key name.
SHAPES = {
    "ini-quoted1.ini": ("{c}=\"{s}\"", 1),
    "ini-quoted2.ini": ("{c} = \"{s}\"", 1),
    "ini-unquoted1.ini": ("{c}={s}", 1),
    "ini-unquoted2.ini": ("{c} = {s}", 1),
    "json-string.json": ("{{\n    \"{u}\": \"{s}\"\n}}", 2),
    "json-escaped-newline.json": ("{{\"config.ini\": \"{U}={s}\\nBACKUP_ENABLED=true\"}}", 1),
    "xml-multiline.xml": ("<{c}>\n    {s}\n</{c}>", 1),
    "yaml-unquoted.yaml": ("{u}: {s}", 1),
    "yaml-single.yaml": ("{u}: '{s}'", 1),
    "yaml-double.yaml": ("{u}: \"{s}\"", 1),
    "csharp.cs": ("string {c} = \"{s}\";", 1),
    "go-typed.go": ("var {c} string = \"{s}\"", 1),
    "go-short.go": ("{c} := \"{s}\"", 1),
    "go-backticks.go": ("{c} := `{s}`", 1),
    "java.java": ("String {c} = \"{s}\";", 1),
    "kotlin.kt": ("var {c} = \"{s}\"", 1),
    "php-concat.php": ("${c} .= \"{s}\"", 1),
    "python-single.py": ("{c} = '{s}'", 1),
    "python-double.py": ("{c} = \"{s}\"", 1),
    "java-setproperty.java": ("System.setProperty(\"{U}\", \"{s}\")", 1),
    "logstash.conf": ("  \"{c}\" => \"{s}\"", 1),
    "make-recursive.mk": ("{U} = \"{s}\"", 1),
    "make-simple.mk": ("{U} := \"{s}\"", 1),
    "make-shell.mk": ("{U} ::= \"{s}\"", 1),
}
# Shapes main's key patterns do not reach yet (a typed Go declaration, PHP
# `.=`, `setProperty("KEY", "value")`, make `::=`, an XML element whose value
# sits on the next line): measured, handed to the sec-recall change.
MAIN_MISSES = {"xml-multiline", "go-typed", "php-concat", "java-setproperty", "make-shell"}
KEYED = {
    # rule: (camelCase key, snake_case key, value maker)
    "NHI106": ("slackSigningSecret", "slack_signing_secret", lambda: hexs(32)),
    "NHI108": ("oktaApiToken", "okta_api_token", okta_token),
    "NHI111": ("salesforceConsumerSecret", "salesforce_consumer_secret", lambda: hexs(64, upper=True)),
    "NHI112": ("discordClientSecret", "discord_client_secret", lambda: rnd(32, AL + "-_")),
    "NHI160": ("awsSecretAccessKey", "aws_secret_access_key", aws_secret),
    "NHI199": ("clientSecret", "client_secret", lambda: rnd(32, AL + "-_")),
}
for rule, (camel, snake, make) in KEYED.items():
    for name, (tmpl, line) in SHAPES.items():
        text = tmpl.format(c=camel, u=snake, U=snake.upper(), s=make())
        f = F(f"syntax/{rule}/{name}")
        f.lines = text.split("\n")
        shape = name.rsplit(".", 1)[0]
        needs = "sec-recall:assignment-syntax" if shape in MAIN_MISSES else "-"
        MANIFEST.append(("pos", f.path, line, rule, needs, "key/value syntax " + shape))
        f.save()

# ---------------------------------------------------------------- Negatives: the false-positive classes
# of the real-world "before" run (eval/realworld), written afresh: references, names, placeholders.
# Every one was reported by main (measured), hence needs=sec-precision.
NEG_CODE = {
    "refs/client.py": [
        ("client_id, client_secret = extract_basic_authorization(request.headers)", "tuple from a call"),
        ("    client_secret=client_secret,", "keyword argument passing a variable"),
        ("self.client_secret = client_secret", "parameter stored on self"),
        ("client_secret = Column(String(120))", "column declaration"),
        ("CLIENT_SECRETS_FILE = os.path.join(DATA_DIR, \"client_secrets.json\")", "a file path"),
        ("client_secret=info.get(\"client_secret\"),", "dict lookup"),
        ("client_secret = read_key_file(\"rsa_private.pem\")", "call"),
    ],
    "refs/provider.go": [
        ("\t\tClientSecret: c.ClientSecret,", "member access"),
        ("\tclientID, clientSecret := flagx.MustGetString(cmd, \"client-id\"), flagx.MustGetString(cmd, \"client-secret\")", "CLI flag lookup"),
        ("\tc.ClientSecretsHasher = &BCrypt{Config: c}", "longer identifier holding a hasher"),
        ("\treq.Client.Secret = storage.NewID() + storage.NewID()", "generated at runtime"),
        ("\tClientAuthMethodClientSecretPost = \"client_secret_post\"", "constant holding an auth-method name"),
        ("\treturn fmt.Sprintf(\"%sintent_id=%s&client_secret=%s&mode=payment\", base, id, secret)", "format string"),
    ],
    "refs/Registered.java": [
        ("        this.clientSecretExpiresAt = registeredClient.getClientSecretExpiresAt();", "expiry field from a getter"),
        ("        this.clientSecret = registeredClient.getClientSecret();", "getter call"),
        ("        clientSecret = URLEncoder.encode(clientSecret, StandardCharsets.UTF_8.name());", "encoding a variable"),
        ("public class ClientSecretValidator : IClientSecretValidator", "class declaration"),
    ],
    "refs/oauth.js": [
        ("      client_secret: this.client_secret,", "member access"),
        ("  const clientSecret = envObject[`AUTH_${ID}_SECRET`]", "environment lookup"),
        ("            clientSecret={clientSecret}", "JSX prop"),
        ("    'client_secret_post': 'InlineHookOAuthClientSecretConfig',", "auth-method name mapped to a type name"),
        ("  clientSecret: \"{OPTIONAL_CLIENT_SECRET}\",", "template placeholder"),
        ("var Oidc=function(t){var e={};return{client_id:t.client_id,client_secret:t.client_secret,scope:t.scope}};", "minified bundle member access"),
    ],
    "refs/docs.md": [
        ("    --client-secret=GITLAB_CLIENT_SECRET \\", "ALL_CAPS placeholder in a CLI example"),
        ("  clientSecret: AUTH_MICROSOFT_ENTRA_ID_SECRET,", "ALL_CAPS env name in a docs snippet"),
        ("    \"client_secret\": \"some-supersafe-secret\",", "dictionary-word dummy"),
        ("CLIENT_SECRET=websecret123", "word-and-digits dummy"),
    ],
    "refs/fixture.json": [
        ("  \"client_secret\": \"privatekey\",", "dictionary-word dummy"),
        ("  \"body\": \"client_id=test-client-id&client_secret=test-client-secret&grant_type=client_credentials\",", "test placeholder in a form body"),
    ],
}
f = F("refs/hs256.jwk.json")
f.add("{\n  \"alg\": \"HS256\",")
f.neg("  \"k\": \"" + b64u(b"changemechangemechangemechangeme") + "\",", "JWK k is base64 of a placeholder", needs="sec-precision")
f.add("  \"kid\": \"local\",\n  \"kty\": \"oct\",\n  \"use\": \"sig\"\n}").save()
for path, rows in NEG_CODE.items():
    f = F(path)
    for text, note in rows:
        f.neg(text, note, needs="sec-precision")
    f.save()

with open(OUT / "manifest.tsv", "w") as m:
    m.write("# expect\tpath\tline\trule\tneeds\tnote\n")
    m.write("# Generated fixtures (fresh random values, formats from vendor docs and peers' published rule examples).\n")
    m.write("# rule: an id, alternatives a|b, or x as a wildcard digit (NHI15x; NHI1xx for any secret rule).\n")
    m.write("# needs: '-' when main must find it (or, for neg, must stay silent); otherwise the pending change.\n")
    for row in MANIFEST: m.write("\t".join(map(str, row)) + "\n")
print(len([r for r in MANIFEST if r[0] == "pos"]), "positives,", len([r for r in MANIFEST if r[0] == "neg"]), "negatives")

