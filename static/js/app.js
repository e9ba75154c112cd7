/* Registers the service worker that makes LeadFlow installable and shows push notifications. */
(function () {
  "use strict";
  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
        /* An older browser or a private window: the site works as before, without the app. */
      });
    });
  }
})();
