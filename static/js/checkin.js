// Check-in without a page reload. The page works without this script: each button is a form post.
(function () {
  "use strict";
  var list = document.querySelector(".checkin-list");
  var strings = document.getElementById("checkin-strings");
  var count = document.getElementById("checkin-count");
  if (!list || !strings || !window.fetch || !window.FormData) return;

  function setCount(delta) {
    var attended = parseInt(count.dataset.attended, 10) + delta;
    count.dataset.attended = String(attended);
    count.textContent = count.dataset.format
      .replace("__A__", String(attended))
      .replace("__C__", count.dataset.confirmed);
  }

  list.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter || form.querySelector("button[type=submit]");
    if (!button) return;
    event.preventDefault();
    var data = new FormData(form);
    data.set("action", button.value);
    button.disabled = true;
    // form.action would be the button named "action", not the attribute.
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: data,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.error || strings.dataset.error);
          return body;
        });
      })
      .then(function (body) {
        var item = form.closest(".checkin-item");
        var status = item.querySelector(".checkin-item__status");
        var name = item.querySelector(".checkin-item__name").textContent;
        var hidden = button.querySelector(".visually-hidden");
        item.classList.toggle("checkin-item--done", body.attended);
        status.textContent = body.attended ? strings.dataset.checkedIn + " " + body.time : "";
        button.firstChild.textContent = body.attended ? strings.dataset.undo : strings.dataset.checkIn;
        if (hidden) hidden.textContent = " " + name;
        button.value = body.attended ? "undo" : "attend";
        button.className = body.attended ? "button--secondary" : "";
        setCount(body.attended ? 1 : -1);
      })
      .catch(function (error) {
        var status = form.querySelector(".checkin-item__status");
        status.textContent = error.message || strings.dataset.error;
      })
      .finally(function () {
        button.disabled = false;
        button.focus();
      });
  });
})();
