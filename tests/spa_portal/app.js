// The billing portal as a single-page app: every view drawn here from the JSON API.
"use strict";
(() => {
  const base = document.documentElement.dataset.base;
  const main = document.querySelector("main");
  let known = {customer: null, password_login: false, verify_pending: false};

  const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  async function api(path, body) {
    const init = {method: body === undefined ? "GET" : "POST", credentials: "same-origin", headers: {Accept: "application/json"}};
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(`${base}/api/${path}`, init);
    let data = {};
    try {
      data = await response.json();
    } catch (error) {
      data = {detail: "The portal sent an answer this page cannot read."};
    }
    return {ok: response.ok, status: response.status, data};
  }

  // Move to a view's address; `replace` when the old address must not stay in history (a token).
  function moveTo(view, replace = false) {
    const url = `${base}/${view}`;
    if (location.pathname + location.search !== url) history[replace ? "replaceState" : "pushState"](null, "", url);
  }

  function draw(title, html) {
    document.title = title;
    main.innerHTML = html;
  }

  const alert = (text) => (text ? `<p role="alert">${escape(text)}</p>` : "");

  const linkForm = () => `
    <form aria-label="Email me a sign-in link" method="post" action="${base}/api/login-link" data-call="login-link">
      <label for="ll-email">Your email address</label>
      <input id="ll-email" name="email" type="email" autocomplete="email" maxlength="254" required>
      <button type="submit">Email me a link</button>
    </form>`;

  const passwordForm = () => `
    <h2>Or sign in with your password</h2>
    <form aria-label="Password sign-in" method="post" action="${base}/api/password" data-call="password">
      <label for="pw-email">Account email</label>
      <input id="pw-email" name="email" type="email" autocomplete="username" maxlength="254" required>
      <label for="pw-password">Password</label>
      <input id="pw-password" name="password" type="password" autocomplete="current-password" required>
      <button type="submit">Sign in with password</button>
    </form>`;

  const views = {
    signIn: (note = "") => draw("Sign in", `<h1>Sign in to billing</h1>${alert(note)}
      <p>We email you a link that signs you in on this browser.</p>${linkForm()}${known.password_login ? passwordForm() : ""}`),
    sent: (to) => draw("Link sent", `<h1>Link on its way</h1>
      <p>If ${escape(to)} belongs to an account here, a sign-in link is on its way. It works once.</p>`),
    account: (customer) => draw("Your billing", `<h1>Your billing</h1>
      <section aria-label="Account holder"><p>${escape(customer.name)}</p><p>${escape(customer.email)}</p></section>
      <p>Nothing to pay right now.</p>
      <form aria-label="Sign out" data-call="signout"><button type="submit">Sign out</button></form>`),
    verify: () => draw("Verify this browser", `<h1>Verify this browser</h1>
      <p>This browser is not verified for the account, so the link from your email cannot open it here.
      We can email a sign-in link to the address on the account; opening it here verifies this browser.</p>
      <form aria-label="Verify by email" data-call="verify"><button type="submit">Email me a link</button></form>`),
    problem: (why) => draw("Link cannot be used", `<h1>This link cannot be used</h1><p>${escape(why)}</p>
      <p>Ask for a new sign-in link:</p>${linkForm()}`),
    choose: (note = "") => draw("Set a password", `<h1>Set a password</h1>${alert(note)}
      <form aria-label="Set a password" data-call="choose-password">
        <label for="choose-password">New password</label>
        <input id="choose-password" name="password" type="password" autocomplete="new-password" minlength="8" required>
        <button type="submit">Save password</button>
      </form><p><a href="${base}/account">Not now</a></p>`),
    missing: () => draw("Not found", "<h1>Page not found</h1>"),
  };

  // A link from an email: hand its token to the API, then leave its address for the next view's.
  async function openLink(call, body) {
    const answer = await api(call, body);
    if (answer.ok) {
      moveTo(answer.data.next, true);
      return route();
    }
    if (answer.data.next === "verify") {
      moveTo("verify", true);
      return route();
    }
    moveTo("link-problem", true);
    return views.problem(answer.data.detail || "This link is not valid.");
  }

  async function route() {
    const view = location.pathname.slice(base.length + 1).replace(/\/$/, "");
    const query = new URLSearchParams(location.search);
    if (view === "accept" || view === "signin/link") {
      return openLink(view === "accept" ? "links/accept" : "links/signin", {token: query.get("t") || ""});
    }
    if (view === "manage") {
      return openLink("manage", {l: query.get("l") || "", ts: query.get("ts") || "", sig: query.get("sig") || ""});
    }
    known = (await api("state")).data;
    const signedIn = ["", "account", "welcome/password"];
    if (signedIn.includes(view) && !known.customer || view === "verify" && !known.verify_pending) {
      moveTo("signin", true);
      return views.signIn();
    }
    if (view === "" || view === "account") return views.account(known.customer);
    if (view === "welcome/password") return views.choose();
    if (view === "verify") return views.verify();
    if (view === "signin") return views.signIn();
    if (view === "sent") return views.sent("your address");
    if (view === "link-problem") return views.problem("This link is not valid.");
    return views.missing();
  }

  // What each form's answer draws; every form is sent by fetch, never by a page load.
  const calls = {
    "login-link": async (fields) => {
      const answer = await api("login-link", {email: fields.email || ""});
      if (!answer.ok) return views.signIn(answer.data.detail);
      moveTo("sent");
      return views.sent(answer.data.to);
    },
    password: async (fields) => {
      const answer = await api("password", {email: fields.email || "", password: fields.password || ""});
      if (!answer.ok) return views.signIn(answer.data.detail);
      moveTo(answer.data.next);
      return route();
    },
    verify: async () => {
      const answer = await api("verify", {});
      moveTo("sent");
      return views.sent(answer.data.to || "the address on your account");
    },
    "choose-password": async (fields) => {
      const answer = await api("choose-password", {password: fields.password || ""});
      if (answer.status === 401) {
        moveTo("signin");
        return route();
      }
      if (!answer.ok) return views.choose(answer.data.detail);
      moveTo("account");
      return route();
    },
    signout: async () => {
      await api("signout", {});
      moveTo("signin");
      return route();
    },
  };

  main.addEventListener("submit", (event) => {
    const form = event.target;
    event.preventDefault();
    // The fields as the form holds them when sent, whatever element holds each.
    const fields = Object.fromEntries(new FormData(form));
    calls[form.dataset.call](fields);
  });
  window.addEventListener("popstate", route);
  route();
})();
