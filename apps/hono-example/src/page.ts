const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)

/** The micro-app's page: asks the backend for the dd.config of its own URL, shows it, and signs in. */
export function page(input: { corpId: string }): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dingtalk-kit · Hono example</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem}pre{background:#f4f4f5;padding:1rem;overflow:auto}button{margin-right:.5rem}</style>
</head>
<body data-corp-id="${escapeHtml(input.corpId)}">
<h1>dingtalk-kit · Hono example</h1>
<h2>dd.config for this page</h2>
<pre id="config">loading…</pre>
<h2>Session</h2>
<pre id="me">…</pre>
<button id="login">Sign in with DingTalk</button>
<button id="logout">Sign out</button>
<h2>Directory (kept from contact events)</h2>
<pre id="directory">…</pre>
<h2>Send a message to a conversation</h2>
<input id="cid" placeholder="cid"> <input id="text" placeholder="text"> <button id="send">Send</button>
<pre id="sent"></pre>
<script>
const corpId = document.body.dataset.corpId
const show = (id, value) => { document.getElementById(id).textContent = JSON.stringify(value, null, 2) }
const json = async (url, init) => (await fetch(url, init)).json()
async function configure() {
  // The page signs its own URL (the route drops the #hash); inside DingTalk, hand the result to dd.config.
  const jsapi = await json('/dingtalk/jsapi-config?url=' + encodeURIComponent(location.href))
  show('config', jsapi)
  if (window.dd && jsapi.config) dd.config(jsapi.config)
}
async function refresh() {
  show('me', await json('/api/me'))
  show('directory', await json('/api/directory'))
}
async function authCode() {
  // Inside DingTalk: the client gives the free-login code. Outside (the bundled emulator): /dev/auth-code.
  if (window.dd && dd.runtime) {
    return new Promise((resolve, reject) =>
      dd.runtime.permission.requestAuthCode({ corpId, onSuccess: (r) => resolve(r.code), onFail: reject }))
  }
  return (await json('/dev/auth-code')).code
}
document.getElementById('login').onclick = async () => {
  const code = await authCode()
  show('me', await json('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) }))
}
document.getElementById('logout').onclick = async () => { await fetch('/api/logout', { method: 'POST' }); refresh() }
document.getElementById('send').onclick = async () => {
  const body = JSON.stringify({ cid: document.getElementById('cid').value, text: document.getElementById('text').value })
  show('sent', await json('/api/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body }))
}
configure()
refresh()
</script>
</body>
</html>
`
}
