/* Drafts of the ordinary forms ("Field work that survives the field"): what is typed into a
   form[method=post] is kept in this browser's localStorage until the server has taken it, so a
   session that ended, a reload or a lost page loses nothing.

   - Kept: text fields, textareas, selects, checkboxes and radios. Never kept: passwords, file
     inputs, hidden fields (the CSRF token), the login, logout and password forms, and the
     outbox's forms (form[data-outbox]: static/js/outbox.js keeps those in IndexedDB).
   - One draft a user, page (path and query) and form, saved as typed (debounced); only the
     fields the user changed are put back. Drafts older than 7 days are dropped.
   - Saving a form marks its draft "sent" (this tab remembers it in sessionStorage). On the
     next page: the login page (session ended) keeps it for after the login; the same form
     page again (the server's reasons, the fields hold the server's values) drops it without
     touching the fields; another page (saved) drops it.
   - A kept draft is put back when its form opens again for the same user (after a login, a
     reload, a closed tab), with a notice and a "清除" button that gives back the page's own
     values. Another user's draft is never put back.
   - Logging out removes this user's drafts (after outbox.js's warning, if it asks and the
     user goes ahead).
   Settings and words come from this script's tag in base.html (Django's translations). */
(function () {
  "use strict";

  var me = document.currentScript;
  var D = (me && me.dataset) || {};
  var store, tab = null;
  try { store = window.localStorage; store.getItem("dj-draft-probe"); } catch (e) { return; }
  try { tab = window.sessionStorage; } catch (e) { tab = null; }

  var USER = D.user || "";
  var PREFIX = "dj-draft|";
  var SENT = "dj-drafts-sent";
  var MAX_AGE = 7 * 24 * 3600 * 1000;
  var DELAY = 400;
  var here = location.pathname + location.search;
  var states = [];
  var gone = false; // logged out: nothing more is written

  // --- storage -------------------------------------------------------------------------------
  function read(key) {
    try {
      var value = JSON.parse(store.getItem(key));
      return value && typeof value === "object" ? value : null;
    } catch (e) { return null; }
  }
  function write(key, value) { try { store.setItem(key, JSON.stringify(value)); } catch (e) { /* full or private */ } }
  function drop(key) { try { store.removeItem(key); } catch (e) { /* nothing kept */ } }
  function draftKeys(prefix) {
    var out = [];
    try {
      for (var i = 0; i < store.length; i++) {
        var key = store.key(i);
        if (key && key.indexOf(prefix) === 0) out.push(key);
      }
    } catch (e) { /* none */ }
    return out;
  }
  function sentList() {
    try { return (tab && JSON.parse(tab.getItem(SENT))) || []; } catch (e) { return []; }
  }
  function setSentList(list) {
    try {
      if (!tab) return;
      if (list.length) tab.setItem(SENT, JSON.stringify(list)); else tab.removeItem(SENT);
    } catch (e) { /* none */ }
  }
  function clearUser() {
    gone = true;
    states.forEach(function (state) { clearTimeout(state.timer); state.timer = null; });
    if (USER) draftKeys(PREFIX + USER + "|").forEach(drop);
    setSentList([]);
  }

  // --- forms ---------------------------------------------------------------------------------
  function pathOf(url) {
    try { return new URL(url, location.href).pathname; } catch (e) { return ""; }
  }
  function actionOf(form) {
    try {
      var url = new URL(form.getAttribute("action") || location.href, location.href);
      return url.pathname + url.search;
    } catch (e) { return ""; }
  }
  function isLogout(form) {
    return !!(form && form.getAttribute && D.logout &&
      pathOf(form.getAttribute("action") || location.href) === D.logout);
  }
  function eligible(form) {
    if ((form.getAttribute("method") || "").toLowerCase() !== "post") return false;
    if (form.hasAttribute("data-outbox") || form.hasAttribute("data-no-draft")) return false;
    if (form.querySelector("input[type=password]")) return false;
    var action = pathOf(form.getAttribute("action") || location.href);
    var own = [D.login, D.logout, D.password].filter(Boolean);
    return own.indexOf(action) < 0 && own.indexOf(location.pathname) < 0;
  }

  var SKIP = { file: 1, password: 1, hidden: 1, submit: 1, button: 1, reset: 1, image: 1 };
  function fieldsOf(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.name === "csrfmiddlewaretoken" || el.hasAttribute("data-no-draft")) return false;
      if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
      return el.tagName === "INPUT" && !SKIP[el.type];
    });
  }
  function selected(select) {
    return Array.prototype.filter.call(select.options, function (o) { return o.selected; })
      .map(function (o) { return o.value; });
  }
  function valuesOf(form) {
    var out = {};
    fieldsOf(form).forEach(function (el) {
      if (el.type === "checkbox") {
        if (!Array.isArray(out[el.name])) out[el.name] = [];
        if (el.checked) out[el.name].push(el.value);
      } else if (el.type === "radio") {
        if (!(el.name in out)) out[el.name] = "";
        if (el.checked) out[el.name] = el.value;
      } else if (el.tagName === "SELECT" && el.multiple) {
        out[el.name] = selected(el);
      } else {
        out[el.name] = el.value;
      }
    });
    return out;
  }
  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  /** Puts `fields` (only the names given) into the form; returns how many inputs changed. */
  function fill(form, fields, names) {
    var touched = [];
    fieldsOf(form).forEach(function (el) {
      if (names.indexOf(el.name) < 0 || !Object.prototype.hasOwnProperty.call(fields, el.name)) return;
      var value = fields[el.name];
      if (el.type === "checkbox" || el.type === "radio") {
        var on = el.type === "checkbox" ? Array.isArray(value) && value.indexOf(el.value) >= 0 : el.value === value;
        if (el.checked !== on) { el.checked = on; touched.push(el); }
      } else if (el.tagName === "SELECT") {
        var wanted = Array.isArray(value) ? value : [value];
        var known = Array.prototype.map.call(el.options, function (o) { return o.value; });
        if (!el.multiple && known.indexOf(wanted[0]) < 0) return; // that choice is gone
        if (same(selected(el), wanted)) return;
        Array.prototype.forEach.call(el.options, function (o) { o.selected = wanted.indexOf(o.value) >= 0; });
        touched.push(el);
      } else if (typeof value === "string" && el.value !== value) {
        el.value = value;
        touched.push(el);
      }
    });
    touched.forEach(function (el) {
      el.dispatchEvent(new Event("input", { bubbles: true }));
      el.dispatchEvent(new Event("change", { bubbles: true }));
    });
    return touched.length;
  }

  // --- drafts --------------------------------------------------------------------------------
  /** Writes the form's draft now; false (and no draft) when nothing differs from the page. */
  function save(state, sent) {
    clearTimeout(state.timer);
    state.timer = null;
    if (gone) return false;
    var now = valuesOf(state.form);
    var changed = Object.keys(now).filter(function (name) {
      return state.baseline === null || !same(now[name], state.baseline[name]);
    });
    if (!changed.length) { drop(state.key); return false; }
    write(state.key, { user: USER, path: here, saved: Date.now(), fields: now, changed: changed, sent: !!sent });
    return true;
  }
  function saveSoon(state) {
    if (gone) return;
    clearTimeout(state.timer);
    state.timer = setTimeout(function () { save(state, false); }, DELAY);
  }

  function notice(state) {
    var form = state.form;
    var box = document.createElement("ul");
    box.className = "messages";
    box.setAttribute("role", "status");
    box.setAttribute("data-draft-notice", "");
    var item = document.createElement("li");
    item.className = "msg-warning";
    var text = document.createElement("span");
    text.textContent = D.restored || "";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "small";
    button.setAttribute("data-draft-clear", "");
    button.textContent = D.clear || "";
    button.style.marginLeft = ".5rem";
    button.addEventListener("click", function () {
      fill(form, state.baseline, Object.keys(state.baseline)); // the page's own values back
      clearTimeout(state.timer);
      state.timer = null;
      drop(state.key);
      box.remove();
      delete form.dataset.draftRestored;
      form.setAttribute("tabindex", "-1");
      form.focus({ preventScroll: true });
    });
    item.appendChild(text);
    item.appendChild(button);
    box.appendChild(item);
    form.parentNode.insertBefore(box, form);
  }

  function restore(state) {
    var draft = read(state.key);
    if (!draft || draft.user !== USER || !draft.fields) return;
    if (state.baseline === null) { drop(state.key); return; } // the server's answer: its values stay
    var names = (draft.changed || []).filter(function (name) {
      return Object.prototype.hasOwnProperty.call(draft.fields, name) && !same(draft.fields[name], state.baseline[name]);
    });
    if (!names.length || !fill(state.form, draft.fields, names)) return;
    save(state, false);
    state.form.dataset.draftRestored = "1";
    notice(state);
  }

  function navigationStatus() {
    try {
      var entry = performance.getEntriesByType("navigation")[0];
      return (entry && entry.responseStatus) || 0;
    } catch (e) { return 0; }
  }

  // --- start ---------------------------------------------------------------------------------
  var clock = Date.now();
  draftKeys(PREFIX).forEach(function (key) {
    var draft = read(key);
    if (!draft || !(clock - draft.saved < MAX_AGE)) drop(key);
  });

  // What became of the forms this tab sent.
  var onLogin = !!D.login && location.pathname === D.login;
  var failed = navigationStatus() >= 400;
  var answeredAgain = {};
  sentList().forEach(function (key) {
    var draft = read(key);
    if (!draft) return;
    if (onLogin || failed) { // the session ended (or the server failed): kept for later
      draft.sent = false;
      write(key, draft);
    } else {
      if (draft.path === here) answeredAgain[key] = true; // the form again, with the reasons
      drop(key); // else saved: the server went on to another page
    }
  });
  setSentList([]);

  if (USER) {
    var counts = {};
    Array.prototype.forEach.call(document.forms, function (form) {
      if (!eligible(form)) return;
      var action = actionOf(form);
      counts[action] = (counts[action] || 0) + 1;
      var key = PREFIX + USER + "|" + here + "|" + (form.id ? "#" + form.id : action + "@" + counts[action]);
      var answered = answeredAgain[key] || !!form.querySelector(".errorlist, .has-error");
      // baseline: the page's own values; none when the server gave back what was typed
      var state = { form: form, key: key, baseline: answered ? null : valuesOf(form), timer: null };
      states.push(state);
      restore(state);
      form.addEventListener("input", function () { saveSoon(state); });
      form.addEventListener("change", function () { saveSoon(state); });
    });
  }

  function stateOf(form) {
    for (var i = 0; i < states.length; i++) if (states[i].form === form) return states[i];
    return null;
  }

  // Logging out: outbox.js may stop the event to warn first, and then submits the form itself
  // (form.submit(), no event) after marking it data-cleared; a logout it lets through reaches
  // the listener below.
  var leaving = null;
  window.addEventListener("submit", function (event) {
    if (isLogout(event.target)) leaving = event.target;
  }, true);

  // Last of the page's submit handlers: a submit another script cancelled changes nothing.
  window.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented) return;
    if (isLogout(form)) { clearUser(); return; }
    var state = stateOf(form);
    if (!state || !save(state, true)) return;
    var list = sentList();
    if (list.indexOf(state.key) < 0) list.push(state.key);
    setSentList(list);
  });

  window.addEventListener("pagehide", function () {
    if (leaving && leaving.dataset.cleared === "1") { clearUser(); return; }
    states.forEach(function (state) { if (state.timer) save(state, false); });
  });

  document.documentElement.dataset.draftsReady = "1";
})();
