/* Offline field work (issue 15): the outbox. The visit form and the field-day form
   (form[data-outbox]) keep what is typed on the phone and send it when there is a connection.

   - A saved entry goes first into IndexedDB ("dangjian-offline", store "outbox") with its
     submission token and its shrunk photos (photo-shrink.js), then is posted to the API
     (/api/v1/visits/, /api/v1/field-days/) with the session and the CSRF cookie: the same
     services as the pages. A resent visit gives back the first one (the token rule), so the
     outbox simply sends again whatever got no answer.
   - Entries are sent by themselves (on load, when the network returns, every 15 s while some
     wait) and with "立即发送"; each shows its state: waiting, sent, or refused with the
     server's reasons, to correct on the form and save again.
   - A half-typed form is kept as a draft (store "drafts") and put back when the form opens
     again, also after a reload, a closed browser or a login.
   - A session that ended keeps everything; the page says so and links to the login page, and
     the entries go once the user is back.
   - Logging out clears the outbox, the drafts and the cached households (after a warning when
     unsent entries remain): a phone may be shared.
   Words come from the page (households/_outbox_scripts.html, through Django's translations). */
(function () {
  "use strict";

  var config = document.getElementById("outbox-config");
  if (!config || !window.indexedDB || !window.fetch) return;
  var C = config.dataset;
  var USER = C.user ? Number(C.user) : null;
  var ENTERS = C.enters === "1";
  var S = {};
  var template = document.getElementById("outbox-strings");
  if (template) {
    template.content.querySelectorAll("[data-k]").forEach(function (node) {
      S[node.dataset.k] = node.textContent.trim();
    });
  }
  var VISIT_FIELDS = ["household", "helper", "visited_on", "kind", "learned", "problems",
    "measure", "measure_done", "latitude", "longitude", "submission_token"];
  var FIELD_DAY_FIELDS = ["cadre", "region", "day", "note"];
  var KEEP_SENT_MS = 3 * 24 * 3600 * 1000;

  function say(key, params) {
    var text = S[key] || key;
    Object.keys(params || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(params[name]);
      text = text.split("%(" + name + ")s").join(params[name]);
    });
    return text;
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  // --- IndexedDB ----------------------------------------------------------------------------
  var opened = null;
  function db() {
    if (!opened) {
      opened = new Promise(function (resolve, reject) {
        var request = indexedDB.open("dangjian-offline", 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore("outbox", { keyPath: "id" });
          request.result.createObjectStore("drafts", { keyPath: "key" });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return opened;
  }
  function run(store, mode, action) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        var tx = database.transaction(store, mode);
        var request = action(tx.objectStore(store));
        tx.oncomplete = function () { resolve(request ? request.result : undefined); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function all(store) { return run(store, "readonly", function (s) { return s.getAll(); }); }
  function get(store, key) { return run(store, "readonly", function (s) { return s.get(key); }); }
  function put(store, value) { return run(store, "readwrite", function (s) { return s.put(value); }); }
  function remove(store, key) { return run(store, "readwrite", function (s) { return s.delete(key); }); }
  function clearStore(store) { return run(store, "readwrite", function (s) { return s.clear(); }); }

  // --- forms --------------------------------------------------------------------------------
  function readForm(form) {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.name === "csrfmiddlewaretoken" || el.type === "file" ||
          el.type === "submit" || el.type === "button") return;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      fields[el.name] = el.value;
    });
    return fields;
  }

  function fillForm(form, fields) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.name === "csrfmiddlewaretoken") return;
      if (el.name === "household" && form.dataset.offlineShell === undefined) return;
      var value = fields[el.name];
      if (el.type === "radio") el.checked = value !== undefined && el.value === value;
      else if (el.type === "checkbox") el.checked = value !== undefined;
      else if (value !== undefined) el.value = value;
    });
  }

  function labelOf(form, name) {
    var el = form.elements[name];
    var field = el && (el.closest ? el.closest(".field") : el[0] && el[0].closest(".field"));
    var label = field && field.querySelector("label, .label");
    return label ? label.textContent.trim() : "";
  }

  function clearErrors(form) {
    // a refused photo's reason stays until other photos are picked
    form.querySelectorAll("[data-js-error]:not([data-photo-error])").forEach(function (node) { node.remove(); });
    form.querySelectorAll(".field.js-has-error").forEach(function (node) {
      node.classList.remove("has-error", "js-has-error");
    });
    var box = form.querySelector("[data-js-errors]");
    if (box) { box.hidden = true; box.textContent = ""; box.classList.remove("errorlist-box"); }
  }

  function errorList(messages) {
    var list = document.createElement("ul");
    list.className = "errorlist";
    list.setAttribute("data-js-error", "");
    messages.forEach(function (message) {
      var item = document.createElement("li");
      item.textContent = message;
      list.appendChild(item);
    });
    return list;
  }

  function fieldBox(form, name) {
    var el = form.elements[name];
    if (!el) return null;
    var node = el.closest ? el : el[0];
    return node && node.closest(".field");
  }

  /** The server's reasons next to their fields (a field the form lacks: at the top). */
  function showErrors(form, entry) {
    clearErrors(form);
    var top = [];
    var errors = entry.errors || {};
    Object.keys(errors).forEach(function (key) {
      var name = key.split(".")[0];
      var box = name === "non_field_errors" ? null : fieldBox(form, name);
      if (box && !(form.elements[name] || {}).hidden && form.elements[name].type !== "hidden") {
        box.classList.add("has-error", "js-has-error");
        box.appendChild(errorList(errors[key]));
      } else {
        top = top.concat(errors[key]);
      }
    });
    if (!Object.keys(errors).length && entry.reason) top.push(entry.reason);
    var banner = form.querySelector("[data-js-errors]");
    if (banner) {
      banner.textContent = "";
      var strong = document.createElement("strong");
      strong.textContent = say("fix_below");
      banner.appendChild(strong);
      if (top.length) banner.appendChild(errorList(top));
      banner.classList.add("errorlist-box");
      banner.hidden = false;
      banner.scrollIntoView({ block: "start" });
    }
  }

  function setBusy(form, busy) {
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      if (!button.dataset.idle) button.dataset.idle = button.textContent;
      button.disabled = busy;
      button.textContent = busy ? (button.dataset.busy || button.dataset.idle) : button.dataset.idle;
    });
  }

  function notice(form, text, kind) {
    var node = form.parentNode.querySelector("[data-outbox-notice]");
    if (!node) {
      node = document.createElement("ul");
      node.className = "messages";
      node.setAttribute("data-outbox-notice", "");
      node.setAttribute("role", "status");
      form.parentNode.insertBefore(node, form);
    }
    node.innerHTML = "";
    node.dataset.kind = kind || "";
    var item = document.createElement("li");
    item.className = "msg-warning";
    item.textContent = text;
    node.appendChild(item);
    node.scrollIntoView({ block: "start" });
  }

  function draftKey(form) {
    var household = form.elements.household ? form.elements.household.value : "";
    return [form.dataset.outbox, household, USER].join(":");
  }

  function entryLabel(form, kind, fields) {
    if (kind === "visit") {
      var name = form.querySelector("[data-hh-name]");
      return say("label_visit", { name: name ? name.textContent.trim() : "", date: fields.visited_on || "" });
    }
    var region = form.elements.region;
    var place = region && region.selectedIndex >= 0 ? region.options[region.selectedIndex].text : "";
    return say("label_field_day", { date: fields.day || "" }) + (place ? " · " + place : "");
  }

  // --- sending ------------------------------------------------------------------------------
  function body(entry) {
    var data = new FormData();
    var names = entry.kind === "visit" ? VISIT_FIELDS : FIELD_DAY_FIELDS;
    names.forEach(function (name) {
      var value = entry.fields[name];
      if (value === undefined || value === null || value === "") return;
      data.append(name, name === "measure_done" ? "true" : value);
    });
    (entry.photos || []).forEach(function (photo, i) {
      data.append("photos", photo.blob, "photo-" + (i + 1) + ".jpg");
    });
    return data;
  }

  function send(entry) {
    var url = entry.kind === "visit" ? C.apiVisits : C.apiFieldDays;
    return fetch(url, {
      method: "POST",
      body: body(entry),
      credentials: "same-origin",
      headers: { "X-CSRFToken": cookie("csrftoken"), "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (answer) {
        return { status: response.status, answer: answer || {} };
      });
    }, function () { return { status: 0, answer: {} }; });
  }

  function resultOf(entry, answer) {
    if (entry.kind === "visit") {
      var url = answer.household
        ? C.householdUrl.replace("/0/", "/" + answer.household + "/") + "#visit-" + answer.id
        : C.visitUrl.replace("/0/", "/" + answer.id + "/");
      var message = answer.credit_status === "credited" ? say("saved_credited")
        : say("saved_status", { status: say("status_" + answer.credit_status), reason: answer.credit_reason || "" });
      return { url: url, message: message, level: answer.credit_status === "credited" ? "success" : "warning" };
    }
    return {
      url: answer.id ? C.fieldDayUrl.replace("/0/", "/" + answer.id + "/") : C.outboxUrl,
      message: answer.id ? say("field_day_saved") : (answer.detail || say("field_day_saved")),
      level: "success"
    };
  }

  /** What an answer means for the entry: "sent", "refused", "expired" or "retry". */
  function outcome(entry, reply) {
    var status = reply.status, answer = reply.answer;
    if (status === 200 || status === 201) return "sent";
    if (status === 401 || (status === 403 && /^(not_authenticated|authentication_failed)$/.test(answer.code || ""))) return "expired";
    // A field day is one a cadre and day: a resend whose first answer was lost finds it there.
    if (status === 409 && entry.kind === "field_day" && entry.tries > 0) return "sent";
    if (status === 400 || status === 403 || status === 404 || status === 409 || status === 413) return "refused";
    return "retry";
  }

  var expiredShown = false;
  function showExpired() {
    var box = document.querySelector("[data-outbox-expired]");
    if (!box) return;
    var link = box.querySelector("[data-outbox-login]");
    if (link) {
      link.href = C.login + "?next=" + encodeURIComponent(location.pathname + location.search) + "&expired=1";
    }
    box.hidden = false;
    if (!expiredShown) box.scrollIntoView({ block: "start" });
    expiredShown = true;
  }

  /** Sends one entry and records the answer; resolves with the outcome. */
  function deliver(entry) {
    return send(entry).then(function (reply) {
      var result = outcome(entry, reply);
      entry.tries = (entry.tries || 0) + 1;
      if (result === "sent") {
        entry.state = "sent";
        entry.sentAt = Date.now();
        entry.result = resultOf(entry, reply.answer);
        entry.photos = [];
        entry.errors = {};
        entry.reason = "";
      } else if (result === "refused") {
        entry.state = "refused";
        entry.errors = reply.answer.errors || {};
        entry.reason = reply.answer.detail || say("server_error", { status: reply.status });
        entry.renewToken = reply.status === 409;
      } else {
        entry.state = "waiting";
        if (result === "expired") showExpired();
      }
      return put("outbox", entry).then(function () { return result; });
    });
  }

  var syncing = null;
  function sync() {
    if (!USER || !ENTERS) return Promise.resolve();
    if (syncing) return syncing;
    var job = function () {
      return all("outbox").then(function (entries) {
        var waiting = entries.filter(function (e) { return e.state === "waiting" && e.user === USER; })
          .sort(function (a, b) { return a.created - b.created; });
        var chain = Promise.resolve("sent");
        waiting.forEach(function (entry) {
          chain = chain.then(function (last) {
            if (last === "retry" || last === "expired") return last;
            // read again: the form's own send may have delivered it meanwhile
            return get("outbox", entry.id).then(function (fresh) {
              return fresh && fresh.state === "waiting" ? deliver(fresh) : last;
            });
          });
        });
        return chain;
      });
    };
    syncing = (navigator.locks ? navigator.locks.request("dangjian-outbox", job) : job())
      .catch(function () {})
      .then(function () { syncing = null; return render(); });
    return syncing;
  }

  // --- the outbox on the page ---------------------------------------------------------------
  function stateText(entry) {
    if (entry.user !== USER) return say("other_user");
    return say(entry.state);
  }

  function itemFor(entry) {
    var li = document.createElement("li");
    li.className = "outbox-item";
    li.dataset.entry = entry.id;
    li.dataset.state = entry.state;
    var state = document.createElement("span");
    state.className = "state state-" + entry.state;
    state.textContent = stateText(entry);
    var label = document.createElement("strong");
    label.textContent = entry.label;
    li.appendChild(state); li.appendChild(label);
    if (entry.state === "sent" && entry.result && entry.result.message) {
      var said = document.createElement("div");
      said.className = "small muted";
      said.textContent = entry.result.message;
      li.appendChild(said);
    }
    if (entry.state === "refused") {
      var reasons = [];
      Object.keys(entry.errors || {}).forEach(function (key) {
        var name = key.split(".")[0];
        var prefix = (entry.labels || {})[name];
        entry.errors[key].forEach(function (m) { reasons.push(prefix ? prefix + "：" + m : m); });
      });
      if (!reasons.length && entry.reason) reasons.push(entry.reason);
      var why = document.createElement("div");
      why.className = "reason";
      why.textContent = reasons.join(" ");
      li.appendChild(why);
    }
    var actions = document.createElement("div");
    actions.className = "item-actions";
    if (entry.state === "sent" && entry.result) {
      var view = document.createElement("a");
      view.href = entry.result.url; view.textContent = say("view"); view.className = "button small";
      actions.appendChild(view);
    } else if (entry.user === USER) {
      var edit = document.createElement("a");
      edit.className = "button small";
      edit.textContent = say("edit");
      edit.href = entry.kind === "visit"
        ? C.visitForm + "?household=" + encodeURIComponent(entry.fields.household || "") + "&outbox=" + entry.id
        : C.fieldDayForm + "?outbox=" + entry.id;
      actions.appendChild(edit);
      if (entry.state === "refused") {
        var drop = document.createElement("button");
        drop.type = "button"; drop.className = "small danger"; drop.textContent = say("delete");
        drop.dataset.outboxDelete = entry.id;
        actions.appendChild(drop);
      }
    }
    li.appendChild(actions);
    return li;
  }

  function render() {
    if (!USER) return Promise.resolve();
    return all("outbox").then(function (entries) {
      var now = Date.now();
      var stale = entries.filter(function (e) { return e.state === "sent" && now - e.sentAt > KEEP_SENT_MS; });
      stale.forEach(function (e) { remove("outbox", e.id); });
      entries = entries.filter(function (e) { return stale.indexOf(e) < 0; })
        .sort(function (a, b) { return b.created - a.created; });
      var mine = entries.filter(function (e) { return e.user === USER; });
      var waiting = mine.filter(function (e) { return e.state === "waiting"; }).length;
      var refused = mine.filter(function (e) { return e.state === "refused"; }).length;
      var bar = document.querySelector("[data-outbox-bar]");
      if (bar) {
        var text = [];
        if (waiting) text.push(say("bar_count", { n: waiting }));
        if (refused) text.push(say("bar_refused", { n: refused }));
        bar.querySelector("[data-outbox-bar-text]").textContent = text.join("；");
        bar.hidden = !text.length;
        bar.querySelector("[data-outbox-send]").hidden = !waiting;
      }
      document.querySelectorAll("[data-outbox-list]").forEach(function (section) {
        var list = section.querySelector("[data-outbox-items]");
        list.innerHTML = "";
        entries.forEach(function (entry) { list.appendChild(itemFor(entry)); });
        var always = section.dataset.outboxAlways !== undefined;
        section.hidden = !entries.length && !always;
        section.querySelectorAll("[data-outbox-send]").forEach(function (b) { b.hidden = !waiting; });
        var empty = section.querySelector("[data-outbox-empty]");
        if (empty) empty.hidden = entries.length > 0;
      });
      if (!waiting) {
        // "kept on the phone, sent later" is no longer true once nothing waits
        document.querySelectorAll("[data-outbox-notice][data-kind=queued]").forEach(function (n) { n.remove(); });
      }
      document.documentElement.dataset.outboxWaiting = String(waiting);
    });
  }

  // --- photos -------------------------------------------------------------------------------
  function kb(bytes) { return Math.round(bytes / 1024); }
  function sizeText(bytes) {
    return bytes >= 1024 * 1024 ? (bytes / 1024 / 1024).toFixed(1) + " MB" : kb(bytes) + " KB";
  }

  function renderPhotos(form) {
    var list = form.querySelector("[data-photo-list]");
    if (!list) return;
    list.innerHTML = "";
    (form._photos || []).forEach(function (photo, index) {
      var li = document.createElement("li");
      var img = document.createElement("img");
      img.alt = "";
      if (photo.thumb) img.src = photo.thumb;
      var text = document.createElement("span");
      text.className = "grow";
      text.textContent = say("photo_item", { w: photo.width, h: photo.height, kb: kb(photo.size) }) +
        (photo.takenAt ? " · " + say("photo_taken", { time: photo.takenAt.replace(/^(\d{4}):(\d\d):(\d\d)/, "$1-$2-$3").slice(0, 16) }) : "");
      var drop = document.createElement("button");
      drop.type = "button"; drop.className = "small"; drop.textContent = say("remove");
      drop.addEventListener("click", function () {
        form._photos.splice(index, 1);
        renderPhotos(form);
        saveDraft(form);
      });
      li.appendChild(img); li.appendChild(text); li.appendChild(drop);
      list.appendChild(li);
    });
  }

  function setupPhotos(form) {
    var input = form.querySelector("input[type=file][data-shrink]");
    if (!input || !window.PhotoShrink) return;
    var help = form.querySelector("[data-shrink-help]");
    if (help) help.hidden = false;
    var limit = Number(input.dataset.maxBytes || 0);
    var most = Number(input.dataset.maxPhotos || 6);
    var box = input.closest(".field");
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      input.value = "";
      var count = document.getElementById(input.dataset.count || "");
      box.querySelectorAll("[data-js-error]").forEach(function (n) { n.remove(); });
      box.classList.remove("has-error");
      var problems = [];
      if ((form._photos || []).length + files.length > most) {
        problems.push(say("photo_too_many", { n: most }));
        files = files.slice(0, Math.max(0, most - (form._photos || []).length));
      }
      if (count) count.textContent = files.length ? say("photo_shrinking") : "";
      var chain = Promise.resolve();
      files.forEach(function (file) {
        chain = chain.then(function () {
          return PhotoShrink.shrink(file).then(function (photo) {
            if (limit && photo.size > limit) {
              problems.push(say("photo_too_large", { name: file.name, size: sizeText(photo.size), limit: sizeText(limit) }));
              return;
            }
            photo.name = file.name;
            form._photos = (form._photos || []).concat([photo]);
          }, function () {
            problems.push(say("photo_bad", { name: file.name }));
          });
        });
      });
      form._shrinking = chain.then(function () {
        if (count) count.textContent = "";
        if (problems.length) {
          var list = errorList(problems);
          list.setAttribute("data-photo-error", "");
          box.classList.add("has-error");
          box.appendChild(list);
        }
        renderPhotos(form);
        return saveDraft(form);
      });
    });
  }

  // --- drafts -------------------------------------------------------------------------------
  var draftTimers = new WeakMap();
  function typed(form) {
    var text = Array.prototype.some.call(form.querySelectorAll("textarea, input[type=text]"), function (el) {
      return el.value.trim() !== "";
    });
    return text || (form._photos || []).length > 0;
  }

  function saveDraft(form) {
    if (!USER || form._entryId) return Promise.resolve();
    if (!typed(form)) return remove("drafts", draftKey(form)).catch(function () {});
    return put("drafts", {
      key: draftKey(form), user: USER, saved: Date.now(),
      fields: readForm(form), photos: form._photos || []
    }).catch(function () {});
  }
  function saveDraftSoon(form) {
    clearTimeout(draftTimers.get(form));
    draftTimers.set(form, setTimeout(function () { saveDraft(form); }, 300));
  }

  function restore(form) {
    var wanted = new URLSearchParams(location.search).get("outbox");
    if (wanted) {
      return get("outbox", wanted).then(function (entry) {
        if (!entry || entry.user !== USER || entry.state === "sent") return;
        fillForm(form, entry.fields);
        form._photos = entry.photos || [];
        form._entryId = entry.id;
        renderPhotos(form);
        if (entry.state === "refused") showErrors(form, entry);
      });
    }
    return get("drafts", draftKey(form)).then(function (draft) {
      if (!draft || draft.user !== USER) return;
      fillForm(form, draft.fields);
      form._photos = draft.photos || [];
      renderPhotos(form);
      notice(form, say("draft_restored"));
      form.dataset.draftRestored = "1";
    });
  }

  function resetAfterQueue(form) {
    ["learned", "problems", "latitude", "longitude", "note"].forEach(function (name) {
      if (form.elements[name]) form.elements[name].value = "";
    });
    if (form.elements.measure) form.elements.measure.value = "";
    if (form.elements.measure_done) form.elements.measure_done.checked = false;
    if (form.elements.submission_token) form.elements.submission_token.value = uuid();
    form._photos = [];
    form._entryId = null;
    renderPhotos(form);
    clearErrors(form);
  }

  // --- saving a form ------------------------------------------------------------------------
  function capture(form) {
    clearTimeout(draftTimers.get(form));
    var kind = form.dataset.outbox;
    var fields = readForm(form);
    var labels = {};
    Object.keys(fields).concat(["photos"]).forEach(function (name) { labels[name] = labelOf(form, name); });
    var previous = form._entryId ? get("outbox", form._entryId) : Promise.resolve(null);
    return previous.then(function (old) {
      if (kind === "visit" && (!fields.submission_token || (old && old.renewToken))) {
        fields.submission_token = uuid();
        if (form.elements.submission_token) form.elements.submission_token.value = fields.submission_token;
      }
      var entry = {
        id: old ? old.id : uuid(), kind: kind, user: USER, created: old ? old.created : Date.now(),
        state: "waiting", fields: fields, labels: labels, photos: form._photos || [],
        label: entryLabel(form, kind, fields), tries: 0, errors: {}, reason: ""
      };
      return put("outbox", entry).then(function () {
        return remove("drafts", draftKey(form));
      }).then(function () { return entry; });
    });
  }

  function flash(result) {
    try { sessionStorage.setItem("outbox-flash", JSON.stringify(result)); } catch (e) { /* private mode */ }
    location.assign(result.url);
  }

  /** The form's required fields left empty, with the form's own messages (nothing is kept). */
  function missing(form) {
    var template = form.querySelector("template[data-required]");
    if (!template) return null;
    var fields = readForm(form), errors = {}, any = false;
    template.content.querySelectorAll("[data-name]").forEach(function (node) {
      var name = node.dataset.name, el = form.elements[name];
      if (!el || el.disabled) return;
      if (!String(fields[name] || "").trim()) { errors[name] = [node.textContent]; any = true; }
    });
    return any ? errors : null;
  }

  function submit(form) {
    if (form._busy) return;
    var empty = missing(form);
    if (empty) { showErrors(form, { errors: empty }); return; }
    form._busy = true;
    setBusy(form, true);
    clearErrors(form);
    Promise.resolve(form._shrinking).then(function () { return capture(form); }).then(function (entry) {
      render();
      if (!navigator.onLine) return "offline";
      return (navigator.locks
        ? navigator.locks.request("dangjian-outbox", function () { return deliver(entry); })
        : deliver(entry)).then(function (result) {
        if (result === "sent") return get("outbox", entry.id).then(function (sent) { flash(sent.result); return "sent"; });
        if (result === "refused") {
          return get("outbox", entry.id).then(function (refused) {
            form._entryId = refused.id;
            showErrors(form, refused);
            return "refused";
          });
        }
        if (result === "expired") { form._entryId = entry.id; return "expired"; }
        return "retry";
      });
    }).then(function (result) {
      if (result === "offline" || result === "retry") {
        resetAfterQueue(form);
        notice(form, say(result === "offline" ? "queued_offline" : "queued_retry"), "queued");
      }
      return render();
    }).catch(function () {
      notice(form, say("queued_retry"));
    }).then(function () {
      form._busy = false;
      setBusy(form, false);
    });
  }

  // --- the offline visit form: the household from the cached data ---------------------------
  function cachedData() {
    return fetch(C.dataUrl, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok || response.redirected) return null;
      return response.json();
    }).catch(function () { return null; }).then(function (data) {
      return data && data.user === USER ? data : null;
    });
  }

  function matches(household, q) {
    q = q.trim();
    if (!q) return true;
    if (household.name.indexOf(q) >= 0) return true;
    var lower = q.toLowerCase();
    if (/^[a-z]+$/.test(lower) && (household.initials || "").indexOf(lower) === 0) return true;
    var upper = q.toUpperCase();
    return /^\d{3,}[\dX]$/.test(upper) && (household.id_number || "").slice(-upper.length) === upper;
  }

  function showPicker(households) {
    var pick = document.querySelector("[data-offline-pick]");
    if (!pick) return;
    pick.hidden = false;
    var input = pick.querySelector("[data-offline-q]");
    var list = pick.querySelector("[data-offline-results]");
    pick.querySelector("[data-offline-none]").hidden = households.length > 0;
    var draw = function () {
      list.innerHTML = "";
      households.filter(function (h) { return matches(h, input.value); }).slice(0, 20).forEach(function (h) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = C.visitForm + "?household=" + h.id;
        var name = document.createElement("strong");
        name.textContent = h.name;
        var where = document.createElement("span");
        where.className = "muted";
        where.textContent = " " + h.village + (h.group ? " " + h.group : "") + " · " + h.id_number;
        a.appendChild(name); a.appendChild(where); li.appendChild(a); list.appendChild(li);
      });
    };
    input.addEventListener("input", draw);
    draw();
  }

  function options(select, rows, keepFirst) {
    var first = keepFirst && select.options.length ? select.options[0] : null;
    select.innerHTML = "";
    if (first) select.appendChild(first);
    rows.forEach(function (row) {
      var option = document.createElement("option");
      option.value = String(row.id);
      option.textContent = row.name || row.label;
      select.appendChild(option);
    });
  }

  function fillHousehold(form, household) {
    form.elements.household.value = String(household.id);
    form.querySelector("[data-hh-name]").textContent = household.name;
    form.querySelector("[data-hh-place]").textContent = household.village + (household.group ? " " + household.group : "");
    if (form.elements.helper) {
      var help = form.elements.helper.closest(".field").querySelector(".help");
      if (help) help.hidden = household.helpers.length > 0;
      options(form.elements.helper, household.helpers, true);
      if (household.helpers.length === 1) form.elements.helper.value = String(household.helpers[0].id);
    }
    var measures = form.querySelector("[data-measure-fields]");
    if (measures) {
      measures.hidden = !household.measures.length;
      measures.querySelectorAll("select, input").forEach(function (el) { el.disabled = !household.measures.length; });
      if (form.elements.measure) options(form.elements.measure, household.measures, true);
    }
    form.elements.submission_token.value = uuid();
    var today = new Date();
    var local = new Date(today.getTime() - today.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
    if (form.elements.visited_on) { form.elements.visited_on.value = local; form.elements.visited_on.max = local; }
  }

  function setupShell(form) {
    var id = Number(new URLSearchParams(location.search).get("household") || 0);
    return cachedData().then(function (data) {
      var households = data ? data.households : [];
      var household = households.filter(function (h) { return h.id === id; })[0];
      if (!household) {
        showPicker(households);
        if (id) notice(form, say("household_missing"));
        return false;
      }
      fillHousehold(form, household);
      form.hidden = false;
      return true;
    });
  }

  function setupForm(form) {
    var ready = form.dataset.offlineShell !== undefined ? setupShell(form) : Promise.resolve(true);
    setupPhotos(form);
    ready.then(function (ok) {
      if (!ok) return;
      return restore(form);
    }).then(function () { form.dataset.outboxReady = "1"; });
    form.addEventListener("input", function () { saveDraftSoon(form); });
    form.addEventListener("change", function () { saveDraftSoon(form); });
  }

  // --- the confirmation where the eye is ----------------------------------------------------
  function showFlash() {
    var raw = null;
    try { raw = sessionStorage.getItem("outbox-flash"); sessionStorage.removeItem("outbox-flash"); } catch (e) { return; }
    var main = document.getElementById("main");
    var target = location.hash && document.getElementById(location.hash.slice(1));
    var box;
    if (raw) {
      var result = JSON.parse(raw);
      box = document.createElement("ul");
      box.className = "messages flash-near";
      box.setAttribute("role", "status");
      var item = document.createElement("li");
      item.className = "msg-" + (result.level || "success");
      item.textContent = result.message;
      box.appendChild(item);
    } else if (target) {
      box = main && main.querySelector(".messages");
    }
    if (!box || !main) return;
    if (target) target.parentNode.insertBefore(box, target);
    else main.insertBefore(box, main.firstChild);
    setTimeout(function () { box.scrollIntoView({ block: "start" }); }, 0);
  }

  // --- logging out clears the phone ---------------------------------------------------------
  function clearPhone() {
    var jobs = [clearStore("outbox"), clearStore("drafts")];
    if (window.caches) {
      jobs.push(caches.keys().then(function (keys) {
        return Promise.all(keys.filter(function (k) { return k.indexOf("dangjian-offline") === 0; })
          .map(function (k) { return caches.delete(k); }));
      }));
    }
    if (navigator.serviceWorker && navigator.serviceWorker.getRegistrations) {
      // the login page that follows is not the worker's: it keeps nothing until the next login
      jobs.push(navigator.serviceWorker.getRegistrations().then(function (registrations) {
        return Promise.all(registrations.map(function (r) { return r.unregister(); }));
      }));
    }
    try { localStorage.removeItem("outbox-refreshed"); } catch (e) { /* nothing kept */ }
    return Promise.all(jobs).catch(function () {});
  }

  function logout(form, event) {
    if (form.dataset.cleared === "1") return;
    event.preventDefault();
    event.stopImmediatePropagation();
    all("outbox").then(function (entries) {
      var unsent = entries.filter(function (e) { return e.state !== "sent"; }).length;
      if (unsent && !window.confirm(say("logout_warn", { n: unsent }))) return;
      return clearPhone().then(function () {
        form.dataset.cleared = "1";
        form.submit();
      });
    }, function () { form.dataset.cleared = "1"; form.submit(); });
  }

  // --- the service worker and the cached households ----------------------------------------
  function refreshCache(force) {
    if (!("serviceWorker" in navigator) || !navigator.onLine) return Promise.resolve();
    var mark = null;
    try { mark = localStorage.getItem("outbox-refreshed"); } catch (e) { /* none */ }
    var parts = (mark || "").split(":");
    if (!force && Number(parts[0]) === USER && Date.now() - Number(parts[1]) < 5 * 60 * 1000) {
      return navigator.serviceWorker.ready.then(function (registration) {
        if (!navigator.serviceWorker.controller) registration.active.postMessage({ type: "claim" });
        document.documentElement.dataset.offlineReady = "1";
      });
    }
    return navigator.serviceWorker.ready.then(function (registration) {
      if (!navigator.serviceWorker.controller) registration.active.postMessage({ type: "claim" });
      return new Promise(function (resolve) {
        var channel = new MessageChannel();
        channel.port1.onmessage = function (event) { resolve(event.data); };
        registration.active.postMessage({ type: "refresh" }, [channel.port2]);
      });
    }).then(function (answer) {
      if (!answer || !answer.ok) return;
      try { localStorage.setItem("outbox-refreshed", USER + ":" + Date.now() + ":" + answer.households + ":" + answer.at); } catch (e) { /* none */ }
      document.documentElement.dataset.offlineReady = "1";
      showDataStatus();
    });
  }

  function showDataStatus() {
    var node = document.querySelector("[data-offline-data-status]");
    var mark = null;
    try { mark = localStorage.getItem("outbox-refreshed"); } catch (e) { /* none */ }
    if (!node || !mark) return;
    var parts = mark.split(":");
    node.textContent = say("data_saved", { n: parts[2] || "0", time: (parts.slice(3).join(":") || "").replace("T", " ").slice(0, 16) });
  }

  function onlineState() {
    var note = document.querySelector("[data-offline-note]");
    if (note) note.hidden = navigator.onLine;
  }

  // --- start ---------------------------------------------------------------------------------
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches) return;
    var action = form.getAttribute("action") || "";
    if (action && C.logout && new URL(action, location.href).pathname === C.logout) {
      logout(form, event);
      return;
    }
    if (USER && ENTERS && form.matches("form[data-outbox]")) {
      event.preventDefault();
      submit(form);
    }
  }, true);

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) return;
    if (target.closest("[data-outbox-send]")) { event.preventDefault(); sync(); }
    var drop = target.closest("[data-outbox-delete]");
    if (drop && window.confirm(say("delete_confirm"))) {
      remove("outbox", drop.dataset.outboxDelete).then(render);
    }
  });

  window.addEventListener("online", function () { onlineState(); sync(); });
  window.addEventListener("offline", onlineState);
  onlineState();
  showFlash();

  if (!USER || !ENTERS) return;
  if ("serviceWorker" in navigator && C.sw) {
    navigator.serviceWorker.register(C.sw, { scope: "/" }).then(function () { return refreshCache(false); })
      .catch(function () { /* offline use needs the worker; the pages work without it */ });
  }
  showDataStatus();
  document.querySelectorAll("form[data-outbox]").forEach(setupForm);
  render().then(function () { if (navigator.onLine) return sync(); });
  setInterval(function () {
    if (navigator.onLine && document.documentElement.dataset.outboxWaiting !== "0") sync();
  }, 15000);
  window.Outbox = { sync: sync, render: render, all: function () { return all("outbox"); }, clear: clearPhone };
})();
