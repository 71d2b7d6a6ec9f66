/* Breakout capture: every add, edit and delete goes into an IndexedDB queue first, then is sent
   in order. Each point has a key made here (crypto.randomUUID) so a resend never duplicates it.
   A server error or timeout keeps the queue and retries; a refusal (too long, closed, not yours)
   keeps the item with its message. No inline script: settings come from data- attributes. */
(function () {
  "use strict";
  var root = document.getElementById("capture");
  if (!root) return;
  var S = document.getElementById("capture-strings").dataset;
  var session = root.dataset.session;
  var me = Number(root.dataset.me);
  var closed = root.dataset.closed === "true";
  var textMax = Number(root.dataset.textMax);
  var csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;
  var ZERO = "00000000-0000-0000-0000-000000000000";
  var statusEl = document.getElementById("capture-status");
  var snapshotKey = "engage-capture-points-" + session;
  var db = null;
  var server = {};       // key -> point as the server last said
  var queue = [];        // ops in order, as stored
  var sending = false;
  var retryDelay = 1000;
  var retryTimer = null;

  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open("engage-capture", 1);
      req.onupgradeneeded = function () {
        req.result.createObjectStore("ops", { keyPath: "id", autoIncrement: true });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function store(mode) { return db.transaction("ops", mode).objectStore("ops"); }
  function done(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function loadQueue() {
    return done(store("readonly").getAll()).then(function (ops) {
      queue = ops.filter(function (op) { return op.session === session; });
      queue.sort(function (a, b) { return a.id - b.id; });
    });
  }
  function putOp(op) {
    return done(store("readwrite").put(op)).then(function (id) { op.id = id; return op; });
  }
  function deleteOp(op) { return done(store("readwrite").delete(op.id)); }

  function saveSnapshot() {
    try { localStorage.setItem(snapshotKey, JSON.stringify(server)); } catch (e) { /* full */ }
  }
  function loadSnapshot() {
    try { server = JSON.parse(localStorage.getItem(snapshotKey) || "{}") || {}; } catch (e) { server = {}; }
  }

  // The points as they will be once the queue is through: server state with queued ops applied.
  function view() {
    var points = {};
    Object.keys(server).forEach(function (k) { points[k] = Object.assign({}, server[k], { pending: false, error: "" }); });
    queue.forEach(function (op) {
      var p = points[op.key];
      if (op.kind === "add") {
        points[op.key] = Object.assign({ key: op.key, author: me, deleted: false, order: op.id }, op.payload, { pending: true, error: op.error || "" });
      } else if (p && op.kind === "edit") {
        Object.assign(p, op.payload, { pending: true, error: op.error || p.error });
      } else if (p && op.kind === "delete") {
        p.deleted = !op.error; p.pending = true; p.error = op.error || p.error;
      }
    });
    return points;
  }

  function tag(text, cls) {
    var s = document.createElement("span");
    s.className = "tag" + (cls ? " " + cls : "");
    s.textContent = text;
    return s;
  }

  function render() {
    var points = view();
    var lists = root.querySelectorAll(".capture-list");
    var pending = 0, errors = 0;
    lists.forEach(function (list) {
      var q = Number(list.dataset.question);
      list.textContent = "";
      var items = Object.keys(points).map(function (k) { return points[k]; })
        .filter(function (p) { return Number(p.question) === q && !p.deleted; });
      items.sort(function (a, b) { return (a.created_at || a.created || "").localeCompare(b.created_at || b.created || ""); });
      if (!items.length) {
        var empty = document.createElement("li");
        empty.className = "capture-empty";
        empty.textContent = S.empty;
        list.appendChild(empty);
      }
      items.forEach(function (p) {
        var li = document.createElement("li");
        li.className = "card capture-point" + (p.pending ? " capture-point--pending" : "");
        li.dataset.key = p.key;
        var text = document.createElement("p");
        text.className = "capture-point__text";
        text.textContent = p.verbatim ? "\u201c" + p.text + "\u201d" : p.text;
        li.appendChild(text);
        var tags = document.createElement("p");
        if (p.verbatim) tags.appendChild(tag(S.verbatim));
        if (Number(p.weight) === 3) tags.appendChild(tag(S.several));
        if (Number(p.weight) === 2) tags.appendChild(tag(S.few));
        if (p.theme) tags.appendChild(tag(p.theme));
        if (p.source === "paper") tags.appendChild(tag(S.paper));
        if (p.source === "flip_chart") tags.appendChild(tag(S.flipChart));
        if (p.pending && !p.error) tags.appendChild(tag(S.notSent, "tag--warning capture-pending"));
        if (tags.childNodes.length) li.appendChild(tags);
        if (p.error) {
          var err = document.createElement("p");
          err.className = "errorlist capture-point__error";
          err.textContent = p.error;
          li.appendChild(err);
          errors += 1;
        } else if (p.pending) {
          pending += 1;
        }
        if (!closed && Number(p.author) === me) {
          var actions = document.createElement("p");
          var edit = document.createElement("button");
          edit.type = "button"; edit.className = "link-button capture-edit"; edit.textContent = S.edit;
          edit.setAttribute("aria-label", S.edit + ": " + p.text.slice(0, 40));
          edit.addEventListener("click", function () { startEdit(p); });
          var del = document.createElement("button");
          del.type = "button"; del.className = "link-button capture-delete"; del.textContent = S.delete;
          del.setAttribute("aria-label", S.delete + ": " + p.text.slice(0, 40));
          del.addEventListener("click", function () { enqueue("delete", p.key, p.question, {}); });
          actions.appendChild(edit); actions.appendChild(document.createTextNode(" "));
          actions.appendChild(del);
          li.appendChild(actions);
        }
        list.appendChild(li);
      });
    });
    var message;
    if (errors) message = errors + " " + S.errors;
    else if (pending) message = pending + " " + S.pending;
    else message = S.allSent;
    if (!navigator.onLine) message = S.offline + " " + message;
    statusEl.textContent = message;
    statusEl.className = "capture-status message " + (errors ? "message--error" : pending ? "" : "message--success");
    root.dataset.pending = String(pending);
    root.dataset.errors = String(errors);
  }

  function formFor(question) { return root.querySelector(".capture-form[data-question='" + question + "']"); }

  function startEdit(p) {
    var form = formFor(p.question);
    if (!form) return;
    form.dataset.editing = p.key;
    form.elements.text.value = p.text;
    form.elements.verbatim.checked = !!p.verbatim;
    form.elements.weight.value = String(p.weight || 1);
    form.elements.theme.value = p.theme || "";
    form.querySelector(".capture-submit").textContent = S.save;
    form.querySelector(".capture-cancel").hidden = false;
    form.elements.text.focus();
  }
  function endEdit(form) {
    delete form.dataset.editing;
    form.reset();
    form.querySelector(".capture-submit").textContent = S.add;
    form.querySelector(".capture-cancel").hidden = true;
  }
  function showFieldError(form, message) {
    var el = form.querySelector(".capture-error");
    el.textContent = message; el.hidden = !message;
    form.elements.text.setAttribute("aria-invalid", message ? "true" : "false");
  }

  function enqueue(kind, key, question, payload) {
    // An add the server refused (too long, say) is fixed in place rather than followed by an
    // edit the server could never apply; a delete of it just drops it.
    var refusedAdd = queue.filter(function (op) { return op.key === key && op.kind === "add" && op.error; })[0];
    var work;
    if (refusedAdd && kind === "edit") {
      refusedAdd.payload = Object.assign({}, refusedAdd.payload, payload);
      refusedAdd.error = "";
      work = putOp(refusedAdd);
    } else if (refusedAdd && kind === "delete") {
      var gone = queue.filter(function (op) { return op.key === key; });
      queue = queue.filter(function (op) { return op.key !== key; });
      work = Promise.all(gone.map(deleteOp));
    } else {
      var op = { session: session, kind: kind, key: key, question: question, payload: payload, error: "", at: new Date().toISOString() };
      queue.push(op);
      work = putOp(op);
    }
    return work.then(function () { render(); flush(); });
  }

  function onSubmit(event) {
    event.preventDefault();
    var form = event.target;
    var text = form.elements.text.value.trim();
    if (!text) { showFieldError(form, S.required); return; }
    if (text.length > textMax) { showFieldError(form, S.tooLong + " (" + text.length + "/" + textMax + ")"); return; }
    showFieldError(form, "");
    var payload = {
      text: text,
      verbatim: form.elements.verbatim.checked,
      weight: Number(form.elements.weight.value),
      theme: form.elements.theme.value.trim()
    };
    var question = Number(form.dataset.question);
    if (form.dataset.editing) {
      enqueue("edit", form.dataset.editing, question, payload);
      endEdit(form);
    } else {
      payload.question = question;
      payload.created = new Date().toISOString();
      if (form.elements.source) payload.source = form.elements.source.value;
      enqueue("add", crypto.randomUUID(), question, payload);
      form.reset();
    }
    form.elements.text.focus();
  }

  function urlFor(op) {
    if (op.kind === "add") return root.dataset.addUrl;
    var base = op.kind === "edit" ? root.dataset.editUrl : root.dataset.deleteUrl;
    return base.replace(ZERO, op.key);
  }
  function bodyFor(op) {
    if (op.kind === "add") return Object.assign({ key: op.key }, op.payload);
    return op.payload;
  }

  function send(op) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, 8000);
    return fetch(urlFor(op), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(bodyFor(op)),
      signal: controller.signal
    }).finally(function () { clearTimeout(timer); });
  }

  function scheduleRetry() {
    if (retryTimer) return;
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  }

  function flush() {
    if (sending) return;
    sending = true;
    var blocked = {};
    var i = 0;
    function next() {
      while (i < queue.length && (queue[i].error || blocked[queue[i].key])) {
        blocked[queue[i].key] = true;
        i += 1;
      }
      if (i >= queue.length) { sending = false; retryDelay = 1000; render(); return; }
      var op = queue[i];
      send(op).then(function (response) {
        if (response.ok) {
          return response.json().then(function (point) {
            server[op.key] = point; saveSnapshot();
            queue.splice(i, 1);
            return deleteOp(op).then(function () { render(); next(); });
          });
        }
        if (response.status >= 500 || response.status === 429) throw new Error("server " + response.status);
        return response.json().catch(function () { return {}; }).then(function (data) {
          op.error = data.error || ("Error " + response.status);
          if (data.code === "closed") { closed = true; }
          return putOp(op).then(function () { render(); next(); });
        });
      }).catch(function () {
        // Offline, timed out or a server fault: keep everything and try again later.
        sending = false;
        render();
        scheduleRetry();
      });
    }
    next();
  }

  function refreshServer() {
    return fetch(root.dataset.pointsUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(); return r.json(); })
      .then(function (data) {
        var fresh = {};
        data.points.forEach(function (p) { fresh[p.key] = p; });
        server = fresh; saveSnapshot();
        if (data.closed) closed = true;
      })
      .catch(function () { /* offline: the snapshot stands */ });
  }

  function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register(root.dataset.swUrl, { scope: "/facilitate/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function () {
      // Keep this page and its points in the cache, so a reload offline still opens it.
      return caches.open("engage-capture-v1").then(function (cache) {
        var assets = [location.pathname, root.dataset.pointsUrl];
        document.querySelectorAll("link[rel=stylesheet], script[src]").forEach(function (el) {
          assets.push(el.href || el.src);
        });
        return cache.addAll(assets);
      });
    }).then(function () { root.dataset.offlineReady = "true"; })
      .catch(function () { /* the page still works while it stays open */ });
  }

  root.querySelectorAll(".capture-form").forEach(function (form) {
    form.addEventListener("submit", onSubmit);
    form.elements.text.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.querySelector(".capture-cancel").addEventListener("click", function () { endEdit(form); });
  });
  window.addEventListener("online", function () { retryDelay = 1000; flush(); });
  window.addEventListener("offline", render);

  loadSnapshot();
  openDb().then(function (opened) { db = opened; return loadQueue(); })
    .then(function () { render(); return refreshServer(); })
    .then(function () { render(); root.dataset.ready = "true"; flush(); registerWorker(); });
})();
