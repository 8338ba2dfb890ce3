/* The front desk's day board (docs/front-desk.md): skip a refresh while the desk has a
 * booking open (its move form would be lost); the next poll or "board-changed" event after
 * it is closed refreshes the board. */
(function () {
  "use strict";
  document.addEventListener("htmx:beforeRequest", function (event) {
    var board = document.getElementById("board");
    if (board && event.detail.elt === board && board.querySelector("details[open]")) {
      event.preventDefault();
    }
  });
})();
