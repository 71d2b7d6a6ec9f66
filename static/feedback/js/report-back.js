/* The plenary report-back page: fetch the columns again every few seconds and swap them in. */
(function () {
  "use strict";
  var root = document.getElementById("report-back");
  if (!root) return;
  var seconds = Number(root.dataset.seconds) || 4;
  function refresh() {
    fetch(root.dataset.url, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(); return r.text(); })
      .then(function (html) { root.innerHTML = html; root.dataset.refreshedAt = String(Date.now()); })
      .catch(function () { /* keep what is shown; try again next time */ })
      .finally(function () { setTimeout(refresh, seconds * 1000); });
  }
  setTimeout(refresh, seconds * 1000);
})();
