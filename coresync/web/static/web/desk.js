/* The front desk's day board (docs/front-desk.md): skip a refresh while the desk has a
 * booking open (its move form would be lost); the next poll or "board-changed" event after
 * it is closed refreshes the board. With the live socket (live.js, docs/realtime.md), a
 * booking changed anywhere on the board's day fires "board-changed" at once; without it the
 * board still polls every 20 s. */
(function () {
  "use strict";
  document.addEventListener("htmx:beforeRequest", function (event) {
    var board = document.getElementById("board");
    if (board && event.detail.elt === board && board.querySelector("details[open]")) {
      event.preventDefault();
    }
  });

  var board = document.getElementById("board");
  var day = board && board.getAttribute("data-board-date");
  if (!day || !window.CoreSyncLive || !window.htmx) return;
  function refresh(type, data) {
    var days = (data && (data.dates || (data.date ? [data.date] : null))) || [day];
    if (days.indexOf(day) !== -1) window.htmx.trigger(document.body, "board-changed");
  }
  window.CoreSyncLive.watch(day);
  window.CoreSyncLive.on("booking.", refresh);
  window.CoreSyncLive.on("availability.changed", refresh);
})();
