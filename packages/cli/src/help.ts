const CREDENTIALS = `Callback credentials (flags win, then --fixture, then the environment):
  --token <token>          the callback token           (DINGTALK_CALLBACK_TOKEN)
  --aes-key <key>          the 43-character EncodingAESKey (DINGTALK_CALLBACK_AES_KEY)
  --receive-id <id>        corpId, suiteKey or appKey    (DINGTALK_CORP_ID / DINGTALK_SUITE_KEY / DINGTALK_APP_KEY)
  --fixture <file>         take the token and aes key of a suite in an emulator fixture (receive-id: its suiteKey)
  --suite <suiteKey>       which suite of the fixture (default: the first)`

const INPUT = `Input — the captured callback:
  -q, --query <query>      'signature=…&timestamp=…&nonce=…' (or msg_signature/timeStamp), or the full URL
  -b, --body <json>        '{"encrypt":"…"}' (a reply body {msg_signature,timeStamp,nonce,encrypt} works too)
  -e, --encrypt <base64>   the encrypt value alone
  -f, --file <file>        a file with a raw HTTP request, {"query":…,"body":…} JSON, or the body; - for stdin
                           (stdin is also read when it is piped and no other input is given)`

export const HELP: Record<string, string> = {
  main: `dingtalk-kit — develop and debug DingTalk (钉钉) Open Platform integrations

Usage: dingtalk-kit <command> [options]

Commands:
  emulator      start a local DingTalk (oapi endpoints + callback pushes) and log every call
  trigger       push an encrypted event to your callback URL and check the reply
  listen        receive events over Stream mode and forward them to your callback URL, encrypted
  decrypt       decrypt a captured callback; explain why it fails
  encrypt       encrypt a message (and sign it as DingTalk's reply format)
  verify        check a captured callback's signature; explain why it fails
  sign-jsapi    compute a dd.config signature and the URL it signs
  doctor        check a configuration: keys, ids, secrets, token fetch, clock skew
  robot         say something to your bot through the emulator; sign a custom robot's webhook URL

Options:
  -h, --help     help for dingtalk-kit or a command (dingtalk-kit help <command>)
  -v, --version  the version

Exit codes: 0 success, 1 a check failed, 2 usage error.
Colour is used only when the output is a terminal and NO_COLOR is unset.`,

  emulator: `Usage: dingtalk-kit emulator [--fixture <file>] [--port <n>] [--host <address>]

Starts the emulator, prints the credentials to use as environment-variable lines you can paste, and logs
every API call and every pushed callback as it happens (secrets redacted). Ctrl-C (SIGINT) or SIGTERM stops
it cleanly (exit 0).

Options:
  --fixture <file>               initial state as JSON (default: the built-in fixture)
  -p, --port <n>                 port to listen on (default: a free port)
  --host <address>               address to bind (default 127.0.0.1)
  --suite-callback-url <url>     push suite events (suite_ticket now, then every interval) to this URL
  --suite-ticket-interval <ms>   suite_ticket push interval (default 1200000; 0 = never)
  --quiet                        do not log requests and pushes`,

  trigger: `Usage: dingtalk-kit trigger <event> --url <callback-url> [credentials] [options]

Pushes a realistic encrypted event the way DingTalk does and checks the app's reply: HTTP 200, JSON
{msg_signature,timeStamp,nonce,encrypt}, a valid signature, the right aes key and receive-id, and the text
"success" (the Random value for check_create_suite_url / check_update_suite_url). If the reply is wrong it
says exactly why. Exit 0 for a correct reply, 1 otherwise.

Options:
  -u, --url <url>          the app's callback URL
  --set <Key=value>        override a field; the value is parsed as JSON when it is valid JSON (repeatable)
  --json <object>          merge a JSON object into the payload
  --corp-id <corpId>       the CorpId used in corp event payloads
  --retries <n>            re-push up to n times while the reply is wrong (default 0)
  --backoff <ms>           delay before the first re-push, doubled each time (default 1000)
  --timeout <ms>           reply deadline per attempt (default 1500, as DingTalk)
  --expect <text>          the reply text expected (default: success, or the event's Random)
  --query-style <style>    legacy: signature&timestamp&nonce (default); new: msg_signature&timeStamp&nonce
  --dry-run                print the signed request as a curl command instead of sending it
  --list                   list every event type

${CREDENTIALS}

Examples:
  dingtalk-kit trigger user_add_org --url http://localhost:3000/dingtalk/callback --set 'UserId=["lisi"]'
  dingtalk-kit trigger suite_ticket --url http://localhost:3000/dingtalk/suite --fixture fixture.json`,

  decrypt: `Usage: dingtalk-kit decrypt [input] [credentials] [--json]

Decrypts a captured callback and prints the plaintext on stdout. Checks the signature when the token and
the signed query are given, and the receive-id when one is given (without one it shows which id the
message carries). On failure it names the likely cause: a wrong EncodingAESKey (padding errors), a wrong
receive-id (and which id the message carries), a signature over other fields or with another token.
Exit 0 when everything checked is right, 1 otherwise.

${INPUT}

${CREDENTIALS}

  --json                   print {ok, signature, receiveId, message, problems} as JSON

Example:
  dingtalk-kit decrypt --query 'signature=5a65…&timestamp=1445827045067&nonce=nEXhMP4r' \\
    --body '{"encrypt":"1a3N…"}' --token 123456 --aes-key 4g5j… --receive-id suite4xxxxxxxxxxxxxxx`,

  encrypt: `Usage: dingtalk-kit encrypt (--message <text> | <file> | -) [credentials] [options]

Encrypts a message for a receive-id. With a token it prints DingTalk's reply body
{msg_signature,timeStamp,nonce,encrypt}; without one, only the encrypt value.

Options:
  -m, --message <text>     the text to encrypt (e.g. success, or an event's JSON)
  --timestamp <ms>         the timeStamp to sign (default: now)
  --nonce <text>           the nonce to sign (default: random)
  --random <16 chars>      a fixed random prefix, for reproducible ciphertext

${CREDENTIALS}`,

  verify: `Usage: dingtalk-kit verify [input] --token <token> [--json]

Checks the signature of a captured callback (or reply). When it does not match, it looks for what was
signed instead: the other timestamp spelling, no encrypt, no token, unsorted fields, "+" turned into
spaces, upper-case hex. Exit 0 when valid, 1 otherwise.

${INPUT}

${CREDENTIALS}

  --json                   print {ok, signature, problems} as JSON`,

  'sign-jsapi': `Usage: dingtalk-kit sign-jsapi --ticket <ticket> --nonce <nonceStr> --timestamp <timeStamp> --url <page-url>

Computes the dd.config signature (SHA-1 of jsapi_ticket=…&noncestr=…&timestamp=…&url=…) offline and shows
the normalised URL it signed: the #fragment dropped and %XX escapes in the query decoded. The ticket is
never printed.

Options:
  --sha256                 SHA-256 over the same string instead of SHA-1
  --compare <signature>    compare with the signature your server or page used; explain a mismatch (exit 1)
  --json                   print {signature, url, algorithm, stringToSign} as JSON`,

  listen: `Usage: dingtalk-kit listen --forward-to <callback-url> [stream credentials] [callback credentials]

Connects to DingTalk in Stream mode as your app (no public URL needed) and forwards every event it receives
to an existing HTTP callback route, encrypted and signed exactly as DingTalk pushes callbacks, checking the
reply. An event is acknowledged only when the reply is correct; otherwise DingTalk delivers it again. Each
event is forwarded once, even when DingTalk redelivers it. Ctrl-C (SIGINT) or SIGTERM stops it (exit 0).

Options:
  -f, --forward-to <url>   the app's callback route
  --client-id <key>        the app's AppKey or SuiteKey          (DINGTALK_APP_KEY / DINGTALK_SUITE_KEY)
  --client-secret <secret> its AppSecret or SuiteSecret         (DINGTALK_APP_SECRET / DINGTALK_SUITE_SECRET)
  --api-base-url <url>     where Stream connections are opened (DINGTALK_API_BASE_URL; default
                           https://api.dingtalk.com; the emulator's URL to try it locally)
  --proxy <url>            an HTTP(S) proxy for the Stream connection (CONNECT)
  --timeout <ms>           reply deadline of the forwarded callback (default 1500, as DingTalk)
  --query-style <style>    legacy: signature&timestamp&nonce (default); new: msg_signature&timeStamp&nonce

${CREDENTIALS}`,

  robot: `Usage: dingtalk-kit robot say <text> [options]
       dingtalk-kit robot sign --secret <SEC…> [--timestamp <ms>] [--url <webhook-url>]

robot say: someone writes <text> to your bot through a running emulator (dingtalk-kit emulator), over Stream
(your bot's Stream client connected to the emulator) or HTTP mode (a signed POST to your robot route), and
the bot's reply (through the session webhook or a proactive send) is printed. Exit 0 when delivered and
acknowledged, 1 otherwise.
  --to <userid | group:<title>>  a DM with this user (default: the fixture's first user), or a group
  --from <userid>                who writes in a group (default: its first member)
  --emulator <url>               the emulator (default DINGTALK_BASE_URL)
  --mode <stream|http>           how DingTalk delivers it (default stream)
  --url <url>                    HTTP mode: your robot route, e.g. http://localhost:3000/dingtalk/robot
  --no-at                        a group message without @robot (DingTalk does not deliver it)
  --wait <ms>                    how long to wait for the reply (default 3000)
  --json                         the emulator's answer as JSON

robot sign: the timestamp and sign of a custom robot's "加签" (signature) setting (§14.2), and the signed
URL for a captured webhook URL.
  --secret <SEC…>                the robot's secret (default DINGTALK_ROBOT_SECRET); never printed
  --timestamp <ms>               default: now
  --url <webhook-url>            print the URL with &timestamp=…&sign=… appended (access_token masked)
  --reveal                       show the access_token in the signed URL
  --json                         machine-readable output

Examples:
  dingtalk-kit robot say "help" --to group:研发群
  dingtalk-kit robot sign --secret SECxxxx --url 'https://oapi.dingtalk.com/robot/send?access_token=…'`,

  doctor: `Usage: dingtalk-kit doctor [--env | --config <file>] [options]

Checks a configuration: the base URL, id shapes (corpId, appKey, suiteKey, agentId), that secrets are
present (never printed), the EncodingAESKey's length and decoding, the receive-id of each kind of callback (corp: corpId, app
event subscription: appKey, ISV suite: suiteKey), a
real token fetch against the configured base URL, and the clock skew from the server's HTTP Date header.
When the token fetch fails it prints a problem report in the FAQ's template with every secret removed.
It never fetches a jsapi_ticket: a new ticket would invalidate the one your servers use.
Exit 0 when nothing failed (warnings allowed), 1 otherwise.

Options:
  --env                    read the DINGTALK_* environment variables (the default)
  -c, --config <file>      read a JSON file (DINGTALK_* or camelCase keys) or a .env file instead
  --no-network             skip the token fetch and the clock check
  --report                 print the problem-report template even when nothing failed
  --company <name>         the company's full name, for the problem report
  --egress-ip <ip>         the public IP of your server, for the problem report
  --json                   print {ok, source, checks, problemReport} as JSON

Environment variables:
  DINGTALK_BASE_URL (default https://oapi.dingtalk.com), DINGTALK_APP_KEY, DINGTALK_APP_SECRET,
  DINGTALK_CORP_ID, DINGTALK_CORP_SECRET, DINGTALK_AGENT_ID, DINGTALK_CALLBACK_TOKEN,
  DINGTALK_CALLBACK_AES_KEY, DINGTALK_SUITE_KEY, DINGTALK_SUITE_SECRET`,
}
