// Refreshes the company file cards and the footer every two seconds, so the
// page follows QuickBooks' state without reloading. Everything works without
// it: the forms post and the server redirects back.
(function () {
  var cards = document.getElementById("cards");
  var footer = document.getElementById("footer");
  if (!cards) return;
  function refresh() {
    if (document.activeElement && document.activeElement.tagName === "SELECT") return;
    fetch("/fragments", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (f) {
        if (!f) return;
        if (cards.innerHTML !== f.cards) cards.innerHTML = f.cards;
        if (footer.innerHTML !== f.footer) footer.innerHTML = f.footer;
      })
      .catch(function () {});
  }
  setInterval(refresh, 2000);
})();
