// Switchboard's web chat widget: <script src="{PUBLIC_URL}/widget.js" async></script> puts a
// launcher button on the page; it opens the chat in a panel (a frame of {PUBLIC_URL}/widget).
// The panel opens its socket with a visitor token, made for this page's visitor id: the id is
// kept in this site's own storage (localStorage "sb_vid"), the one its tracking posts with
// /t/events, so that the chat and the site's web activity are one visitor. Where the bot
// checks visitor ids (SWITCHBOARD_VISITOR_SECRET), a site names one with data-visitor-id and
// the data-visitor-hash its server made; the id the bot makes comes with its own hash,
// kept beside it ("sb_vhash").
(() => {
  if (window.Switchboard && window.Switchboard.widget) return;  // the tag twice on one page
  const BASE = {{base}};
  const TITLE = {{title}};
  const COLOUR = {{colour}};
  const KEY = "sb_vid";
  const HASH = "sb_vhash";
  const OPEN = "sb_widget_open";
  // Where the bot checks visitor ids (SWITCHBOARD_VISITOR_SECRET), an id it made for this
  // page with its hash, else null: only the bot can make an id it will take.
  const FRESH = {{fresh}};
  const script = document.currentScript;

  function stored(storage, key) {
    try { return window[storage].getItem(key); } catch (error) { return null; }
  }
  function store(storage, key, value) {
    try {
      if (value === null) window[storage].removeItem(key);
      else window[storage].setItem(key, value);
    } catch (error) { /* storage blocked: the widget still works for this page */ }
  }
  // Kept (or made) when the site has none yet, so that its tracking posts with the id the
  // chat will use, before the chat is ever opened. Where the bot checks ids, one kept with
  // no hash (from before the secret was set) would be refused: the bot's replaces it.
  function visitorId() {
    const siteGiven = script && script.dataset.visitorId;
    if (siteGiven) return siteGiven;
    const kept = stored("localStorage", KEY);
    if (kept && (!FRESH || stored("localStorage", HASH))) return kept;
    if (FRESH) {
      store("localStorage", KEY, FRESH.visitor_id);
      store("localStorage", HASH, FRESH.visitor_hash);
      return FRESH.visitor_id;
    }
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    const made = "v" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    store("localStorage", KEY, made);
    return made;
  }
  // The hash of visitorId() that events posted to /t/events name beside it, where the bot
  // checks ids; null where it does not.
  function visitorHash() {
    const siteGiven = script && script.dataset.visitorId;
    if (siteGiven) return script.dataset.visitorHash || null;
    const id = visitorId();
    if (!FRESH) return null;
    return stored("localStorage", HASH) || (id === FRESH.visitor_id ? FRESH.visitor_hash : null);
  }

  function ask(body) {
    // text/plain keeps it a simple request: no preflight before the chat opens.
    return fetch(BASE + "/webchat/token", {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: JSON.stringify(body),
      credentials: "omit",
    });
  }

  async function visitorToken() {
    const body = {};
    const siteGiven = script && script.dataset.visitorId;
    const known = visitorId();
    if (known) body.visitor_id = known;
    const hash = siteGiven ? script.dataset.visitorHash : visitorHash();
    if (known && hash) body.visitor_hash = hash;
    let answer = await ask(body);
    if (answer.status === 403 && known && !siteGiven) {
      // An id made on this page has no hash the bot checks: it makes the visitor one.
      answer = await ask({});
    }
    if (!answer.ok) throw new Error("the chat refused this page: " + answer.status);
    const found = await answer.json();
    if (siteGiven) {
      // The site names its signed-in visitor on each page. Kept here, their chat would open
      // on the pages after they sign out, for whoever uses the browser next.
      if (stored("localStorage", KEY) === siteGiven) {
        store("localStorage", KEY, null);
        store("localStorage", HASH, null);
      }
    } else {
      store("localStorage", KEY, found.visitor_id);
      store("localStorage", HASH, found.visitor_hash || null);
    }
    return found.token;
  }

  const host = document.createElement("div");
  host.id = "switchboard-widget";
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML = `<style>
    :host { all: initial; }
    .launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483646;
      width: 60px; height: 60px; border: 0; border-radius: 50%; cursor: pointer;
      background: ${COLOUR}; color: #fff; box-shadow: 0 4px 16px rgba(0,0,0,.25);
      display: flex; align-items: center; justify-content: center; }
    .launcher:focus-visible { outline: 3px solid #93c5fd; outline-offset: 2px; }
    .launcher svg { width: 28px; height: 28px; fill: currentColor; }
    .panel { position: fixed; right: 20px; bottom: 92px; z-index: 2147483647;
      width: 380px; height: min(600px, calc(100vh - 112px)); border-radius: 14px;
      overflow: hidden; box-shadow: 0 8px 32px rgba(0,0,0,.25); background: #fafafa; }
    .panel[hidden] { display: none; }
    .panel iframe { width: 100%; height: 100%; border: 0; display: block; }
    .problem { position: fixed; right: 20px; bottom: 92px; z-index: 2147483647; max-width: 280px;
      padding: 10px 14px; border-radius: 10px; background: #fff; color: #b91c1c;
      font: 14px/1.4 system-ui, sans-serif; box-shadow: 0 4px 16px rgba(0,0,0,.2); }
    @media (max-width: 480px) {
      .panel { right: 0; bottom: 0; width: 100vw; height: 100vh; height: 100dvh;
        border-radius: 0; }
      .panel:not([hidden]) ~ .launcher { display: none; }
    }
  </style>
  <div class="panel" hidden></div>
  <button class="launcher" type="button" aria-expanded="false">
    <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2
    2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"/></svg>
  </button>`;
  const launcher = root.querySelector(".launcher");
  const panel = root.querySelector(".panel");
  launcher.setAttribute("aria-label", TITLE);
  launcher.title = TITLE;
  let frame = null;
  let opening = null;  // the visitor token asked for by the first open, until it comes

  function problem(text) {
    root.querySelector(".problem")?.remove();
    const div = document.createElement("div");
    div.className = "problem";
    div.setAttribute("role", "alert");
    div.textContent = text;
    root.appendChild(div);
  }

  // ``focus``: opened by the visitor (the launcher), the keyboard goes into the chat; a
  // reload that keeps the chat open leaves the page's own focus alone.
  async function open(focus) {
    let token;
    if (!frame) {
      try {
        // A second click (a double-click) waits for the same token: one frame.
        opening = opening || visitorToken();
        token = await opening;
      } catch (error) {
        opening = null;
        problem("The chat is unavailable right now. Please try again later.");
        return;
      }
      root.querySelector(".problem")?.remove();
    }
    if (!frame) {
      frame = document.createElement("iframe");
      frame.title = TITLE;
      frame.allow = "clipboard-write";
      // The fragment never leaves the browser: the token is in no request line or log.
      frame.src = BASE + "/widget#token=" + encodeURIComponent(token);
      // Opened by the visitor, the frame takes the keyboard once it is there: its input.
      frame.addEventListener("load", () => {
        if (!focus) return;
        frame.focus();
        frame.contentWindow.postMessage({ type: "switchboard:focus" }, BASE);
      }, { once: true });
      panel.appendChild(frame);
    }
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    store("sessionStorage", OPEN, "1");
    if (focus) frame.focus();
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    store("sessionStorage", OPEN, null);
    launcher.focus();
  }

  launcher.addEventListener("click", () => (panel.hidden ? open(true) : close()));
  window.addEventListener("message", (event) => {
    if (frame && event.source === frame.contentWindow && event.data &&
        event.data.type === "switchboard:close") close();
  });

  function mount() {
    document.body.appendChild(host);
    if (stored("sessionStorage", OPEN)) open();  // a reload keeps an open chat open
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  window.Switchboard = { widget: true, open: () => open(true), close, visitorId, visitorHash };
})();
