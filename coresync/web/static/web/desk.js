/* The front desk's day board (docs/front-desk.md): skip a refresh while the desk has a
 * booking open (its move form would be lost) or is dragging one; the next poll or
 * "board-changed" event after it refreshes the board. With the live socket (live.js,
 * docs/realtime.md), a booking changed anywhere on the board's day fires "board-changed" at
 * once; without it the board still polls every 20 s.
 *
 * Drag and drop: a block that may move is draggable; dropping it on a lane fills the
 * block's own move form (the grid row's spa-local time from data-row-times, and on the
 * technicians view the lane's technician) and submits it, so the server checks the move as
 * it checks the form. The form stays for the keyboard and for touch screens. */
(function () {
  "use strict";
  var dragging = null; // {block, grabRows}

  document.addEventListener("htmx:beforeRequest", function (event) {
    var board = document.getElementById("board");
    if (board && event.detail.elt === board && (dragging || board.querySelector("details[open]"))) {
      event.preventDefault();
    }
  });

  function laneOf(target) {
    return target && target.closest ? target.closest(".board__lane") : null;
  }

  function rowHeight(lane) {
    var times = document.getElementById("board").getAttribute("data-row-times").split(",");
    return { times: times, height: lane.getBoundingClientRect().height / times.length };
  }

  document.addEventListener("dragstart", function (event) {
    var block = event.target.closest && event.target.closest(".block[draggable='true']");
    if (!block) return;
    var lane = laneOf(block);
    var grid = rowHeight(lane);
    var offset = event.clientY - block.getBoundingClientRect().top;
    dragging = { block: block, grabRows: Math.max(0, Math.floor(offset / grid.height)) };
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", block.querySelector(".block__guest").textContent);
    block.classList.add("is-dragging");
  });

  document.addEventListener("dragend", function () {
    if (dragging) dragging.block.classList.remove("is-dragging");
    var marked = document.querySelectorAll(".board__lane.is-drop-target");
    for (var index = 0; index < marked.length; index += 1) marked[index].classList.remove("is-drop-target");
    dragging = null;
  });

  document.addEventListener("dragover", function (event) {
    var lane = laneOf(event.target);
    if (!dragging || !lane) return;
    event.preventDefault(); // allow the drop
    event.dataTransfer.dropEffect = "move";
    lane.classList.add("is-drop-target");
  });

  document.addEventListener("dragleave", function (event) {
    var lane = laneOf(event.target);
    if (lane && !lane.contains(event.relatedTarget)) lane.classList.remove("is-drop-target");
  });

  document.addEventListener("drop", function (event) {
    var lane = laneOf(event.target);
    if (!dragging || !lane) return;
    event.preventDefault();
    var grid = rowHeight(lane);
    var row = Math.floor((event.clientY - lane.getBoundingClientRect().top) / grid.height);
    row = Math.min(Math.max(row - dragging.grabRows, 0), grid.times.length - 1);
    var form = dragging.block.querySelector("form.block__move");
    if (!form) return;
    form.elements.time.value = grid.times[row];
    var technician = lane.getAttribute("data-technician");
    var home = laneOf(dragging.block).getAttribute("data-technician");
    form.elements.technician.value = technician && technician !== home ? technician : "";
    dragging.block.classList.add("is-moving");
    form.requestSubmit ? form.requestSubmit() : form.submit();
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
