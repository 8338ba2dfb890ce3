/* CoreSync live updates (docs/realtime.md): one WebSocket per page at /ws/live/.

   Pages work without it; with it, parts of a page marked as live regions refresh
   themselves when the server says their data changed:

     <div id="day-bookings" data-live-region data-live-events="booking."
          data-live-date="2026-12-02" data-live-status="live-status">…</div>

   - data-live-events: event names (or prefixes ending in ".") separated by spaces;
   - data-live-date: the spa-local day shown; the socket watches it (availability.changed)
     and only events about that day refresh the region;
   - data-live-status: id of an aria-live element told "Updated." after a refresh.
   A refresh fetches the page's own URL again (as htmx would, so views may answer with the
   fragment) and replaces the region with the element of the same id; nothing from the
   socket is ever inserted as HTML.

   Other scripts (the front desk board) use the hook:
     CoreSyncLive.on("booking.", function (type, data) { … });   // prefix or exact name
     CoreSyncLive.watch("2026-12-02");                            // hear that day's times
*/
(function () {
  "use strict";

  var listeners = [];
  var watched = [];
  var socket = null;
  var retryDelay = 1000;
  var started = false;

  function matches(pattern, type) {
    return pattern.slice(-1) === "." ? type.indexOf(pattern) === 0 : pattern === type;
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function watch(day) {
    if (!day) return;
    if (watched.indexOf(day) === -1) watched.push(day);
    send({ type: "watch", date: day });
  }

  function on(pattern, callback) {
    listeners.push({ pattern: pattern, callback: callback });
    connect();
  }

  function aboutDay(region, data) {
    var day = region.getAttribute("data-live-date");
    if (!day || !data) return true;
    if (data.date) return data.date === day;
    if (data.dates) return data.dates.indexOf(day) !== -1;
    return true;
  }

  function regionWants(region, type) {
    var patterns = (region.getAttribute("data-live-events") || "").split(/\s+/);
    for (var i = 0; i < patterns.length; i++) {
      if (patterns[i] && matches(patterns[i], type)) return true;
    }
    return false;
  }

  function refresh(region) {
    var id = region.id;
    if (!id || region.getAttribute("data-live-busy")) return;
    region.setAttribute("data-live-busy", "true");
    fetch(window.location.href, {
      credentials: "same-origin",
      headers: { "HX-Request": "true", "HX-Target": id, "X-Live-Refresh": "true" }
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (text) {
        var fresh = new DOMParser().parseFromString(text, "text/html").getElementById(id);
        var current = document.getElementById(id);
        if (!fresh || !current) return;
        var focused = document.activeElement;
        var focusedId = focused && current.contains(focused) ? focused.id : "";
        var adopted = document.importNode(fresh, true);
        adopted.setAttribute("data-live-refreshed", "");  /* no entrance animation again */
        current.replaceWith(adopted);
        var refocus = focusedId && document.getElementById(focusedId);
        if (refocus) refocus.focus({ preventScroll: true });
        if (window.htmx) window.htmx.process(adopted);
        var status = document.getElementById(adopted.getAttribute("data-live-status") || "");
        if (status) {
          status.textContent = "";
          window.setTimeout(function () {
            status.textContent = status.getAttribute("data-live-message") || "Updated.";
          }, 50);
        }
        document.dispatchEvent(new CustomEvent("live:refreshed", { detail: { id: id } }));
        watchRegions();
      })
      .catch(function () {
        region.removeAttribute("data-live-busy");
      });
  }

  function dispatch(message) {
    var type = message.type;
    if (!type || type === "watching" || type === "pong" || type === "error") return;
    var regions = document.querySelectorAll("[data-live-region]");
    for (var i = 0; i < regions.length; i++) {
      if (regionWants(regions[i], type) && aboutDay(regions[i], message.data)) refresh(regions[i]);
    }
    for (var j = 0; j < listeners.length; j++) {
      if (matches(listeners[j].pattern, type)) listeners[j].callback(type, message.data || {});
    }
  }

  function watchRegions() {
    var regions = document.querySelectorAll("[data-live-region][data-live-date]");
    for (var i = 0; i < regions.length; i++) watch(regions[i].getAttribute("data-live-date"));
  }

  function connect() {
    if (started || !("WebSocket" in window)) return;
    started = true;
    open();
  }

  function open() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/live/");
    socket.addEventListener("open", function () {
      retryDelay = 1000;
      document.documentElement.setAttribute("data-live", "open");
      for (var i = 0; i < watched.length; i++) send({ type: "watch", date: watched[i] });
      watchRegions();
    });
    socket.addEventListener("message", function (event) {
      try {
        dispatch(JSON.parse(event.data));
      } catch (error) {
        /* not ours */
      }
    });
    socket.addEventListener("close", function () {
      document.documentElement.setAttribute("data-live", "closed");
      window.setTimeout(open, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    });
  }

  window.CoreSyncLive = { on: on, watch: function (day) { watch(day); connect(); } };

  /* htmx swaps (the booking steps) may bring a region or a new day to watch. */
  document.addEventListener("htmx:afterSettle", function () {
    if (!document.querySelector("[data-live-region]")) return;
    connect();
    watchRegions();
  });

  if (document.querySelector("[data-live-region]")) connect();
})();
