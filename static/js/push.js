/* Turns on push notifications on this device: asks the browser for permission, subscribes with
   the server's VAPID key and hands the subscription to LeadFlow. */
(function () {
  "use strict";
  var box = document.getElementById("push-enable");
  if (!box) {
    return;
  }
  var button = document.getElementById("push-enable-button");
  var status = document.getElementById("push-enable-status");

  function say(kind) {
    status.textContent = status.getAttribute("data-" + kind);
    status.hidden = false;
  }

  function keyBytes(base64url) {
    var padded = base64url.replace(/-/g, "+").replace(/_/g, "/");
    padded += "====".slice(0, (4 - (padded.length % 4)) % 4);
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes;
  }

  function device() {
    var ua = navigator.userAgent;
    var os = /iPhone|iPad/.test(ua) ? "iPhone/iPad" : /Android/.test(ua) ? "Android" : /Mac/.test(ua) ? "Mac" : /Windows/.test(ua) ? "Windows" : "Linux";
    var browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox" : /Chrome\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "Browser";
    return browser + " · " + os;
  }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    button.disabled = true;
    say("unsupported");
    return;
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    Notification.requestPermission()
      .then(function (permission) {
        if (permission !== "granted") {
          throw new Error("denied");
        }
        return navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
          return navigator.serviceWorker.ready;
        });
      })
      .then(function (registration) {
        return registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(box.getAttribute("data-server-key")),
        });
      })
      .then(function (subscription) {
        var body = subscription.toJSON();
        body.device = device();
        return fetch(box.getAttribute("data-subscribe-url"), {
          method: "POST",
          headers: {
            "Content-Type": "application/json",
            "X-CSRFToken": box.querySelector("input[name=csrfmiddlewaretoken]").value,
          },
          body: JSON.stringify(body),
        });
      })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("failed");
        }
        say("done");
        window.setTimeout(function () { window.location.reload(); }, 800);
      })
      .catch(function (error) {
        button.disabled = false;
        say(error && error.message === "denied" ? "denied" : "failed");
      });
  });
})();
