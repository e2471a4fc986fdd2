// The bell's unread count, kept current by the inbox's event stream (/notify/inbox/stream/).
// The stream ends every minute or so; EventSource reconnects with Last-Event-ID by itself.
(function () {
  "use strict";
  var bell = document.querySelector("[data-notify-stream]");
  if (!bell || !window.EventSource) return;
  var count = bell.querySelector("[data-unread]");
  var banner = document.querySelector("[data-notify-new]");
  var source = new EventSource(bell.getAttribute("data-notify-stream"));
  source.addEventListener("message", function (event) {
    var item;
    try { item = JSON.parse(event.data); } catch (e) { return; }
    if (item.read) return;
    // Pages that list work (the worklist's rows, via htmx) refresh on this event.
    document.body.dispatchEvent(new CustomEvent("notify-message", { detail: item }));
    var unread = (parseInt(count.getAttribute("data-unread"), 10) || 0) + 1;
    count.setAttribute("data-unread", String(unread));
    count.textContent = String(unread);
    count.hidden = false;
    bell.classList.add("fd-bell-new");
    if (banner) banner.hidden = false;
  });
})();
