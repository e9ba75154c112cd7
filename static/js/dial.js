/* A tap on a customer's number (a[data-dial]) dials from the salesperson's own phone.
   LeadFlow cannot see that call, so it notes the tap and asks for the outcome afterwards.
   The link stays a plain tel: link: without this script the phone still dials. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-dial]");
    if (!link || !navigator.sendBeacon) return;
    var token = "";
    try {
      token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) { /* no token: the server refuses the note, the call still happens */ }
    var form = new FormData();
    form.append("csrfmiddlewaretoken", token);
    navigator.sendBeacon(link.getAttribute("data-dial"), form);
  });
})();
