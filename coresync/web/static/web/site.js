/* CoreSync guest site: small progressive enhancements. Everything works without this file
   (plain links and forms); with it and htmx, booking steps open without a full reload. */
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  var lastTrigger = "";

  function flow() {
    return document.getElementById("flow");
  }

  /* Tell screen readers which step is open, and move focus to it after a choice made
     with a button or link (not after a change of a select or checkbox, which keeps focus
     where it was: htmx restores it by id). */
  function announce(moveFocus) {
    var element = flow();
    var status = document.getElementById("flow-status");
    if (!element) return;
    if (status) {
      status.textContent = "";
      window.setTimeout(function () {
        status.textContent = element.getAttribute("data-announce") || "";
      }, 50);
    }
    if (moveFocus) {
      var heading = document.getElementById("step-" + element.getAttribute("data-open-step") + "-title");
      if (heading) {
        heading.focus({ preventScroll: true });
        var reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
        heading.scrollIntoView({ block: "start", behavior: reduce ? "auto" : "smooth" });
      }
    }
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var config = event.detail.requestConfig || {};
    var triggering = config.triggeringEvent;
    lastTrigger = triggering ? triggering.type : "";
    var element = flow();
    if (element && element.contains(event.detail.elt)) element.setAttribute("aria-busy", "true");
  });

  document.addEventListener("htmx:afterRequest", function () {
    var element = flow();
    if (element) element.setAttribute("aria-busy", "false");
  });

  /* A live refresh (live.js) replaced the flow: bind its calendars again. */
  document.addEventListener("live:refreshed", function () {
    bindCalendars(document);
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target && event.detail.target.id === "flow") {
      announce(lastTrigger !== "change");
      bindCalendars(document);
    } else {
      var heading = event.detail.target && event.detail.target.querySelector("[tabindex='-1']");
      if (heading) heading.focus();
    }
  });

  /* A failed request (network down, server error): say so, keep the page as it is. */
  document.addEventListener("htmx:sendError", showRequestError);
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 409) return;
    showRequestError();
  });

  function showRequestError() {
    var status = document.getElementById("flow-status");
    if (status) status.textContent = status.getAttribute("data-error") || "The connection failed. Please try again.";
    var element = flow();
    if (element) element.setAttribute("aria-busy", "false");
  }

  /* Calendar: one tab stop; arrows move a day or a week, Home/End to the week's ends,
     Page Up/Down a month; Enter or Space chooses (native button). */
  function isoDate(date) {
    var month = String(date.getUTCMonth() + 1).padStart(2, "0");
    var day = String(date.getUTCDate()).padStart(2, "0");
    return date.getUTCFullYear() + "-" + month + "-" + day;
  }

  function shifted(iso, days, months) {
    var parts = iso.split("-").map(Number);
    var date = new Date(Date.UTC(parts[0], parts[1] - 1 + (months || 0), 1));
    var last = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
    date.setUTCDate(Math.min(parts[2], last));
    date.setUTCDate(date.getUTCDate() + (days || 0));
    return isoDate(date);
  }

  function onCalendarKey(event) {
    var button = event.target.closest("button[data-date]");
    if (!button) return;
    var iso = button.getAttribute("data-date");
    var weekday = new Date(iso + "T00:00:00Z").getUTCDay();
    var target = null;
    switch (event.key) {
      case "ArrowRight": target = shifted(iso, 1); break;
      case "ArrowLeft": target = shifted(iso, -1); break;
      case "ArrowDown": target = shifted(iso, 7); break;
      case "ArrowUp": target = shifted(iso, -7); break;
      case "Home": target = shifted(iso, -weekday); break;
      case "End": target = shifted(iso, 6 - weekday); break;
      case "PageDown": target = shifted(iso, 0, 1); break;
      case "PageUp": target = shifted(iso, 0, -1); break;
      default: return;
    }
    event.preventDefault();
    var calendar = button.closest("[data-calendar]");
    var next = calendar.querySelector('button[data-date="' + target + '"]');
    if (!next) return;
    button.setAttribute("tabindex", "-1");
    next.setAttribute("tabindex", "0");
    next.focus();
  }

  function onCalendarClick(event) {
    var button = event.target.closest("button[data-date]");
    if (button && button.getAttribute("data-state") === "unavailable") {
      event.preventDefault(); /* nothing to choose on that day */
    }
  }

  function bindCalendars(scope) {
    scope.querySelectorAll("[data-calendar]").forEach(function (calendar) {
      if (calendar.dataset.bound) return;
      calendar.dataset.bound = "1";
      calendar.addEventListener("keydown", onCalendarKey);
      calendar.addEventListener("click", onCalendarClick);
    });
  }

  /* Confirm: one press books once (the idempotency key makes a second press harmless). */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-confirm-form]")) return;
    if (form.dataset.submitted) { event.preventDefault(); return; }
    form.dataset.submitted = "1";
    /* A guest name typed just before pressing "Confirm" goes with it, even if the page had
       no time to refresh the form's hidden fields. */
    var guestName = document.getElementById("guest-name");
    if (guestName) {
      var hidden = form.querySelector("input[type=hidden][name=guest_name]");
      if (!hidden) {
        hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = "guest_name";
        form.appendChild(hidden);
      }
      hidden.value = guestName.value;
    }
    var button = event.submitter || form.querySelector("button[type=submit]");
    if (button) {
      button.setAttribute("aria-busy", "true");
      button.textContent = button.getAttribute("data-busy-label") || button.textContent;
    }
  });

  /* Coming back to a page from the back-forward cache: the confirm button works again. */
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("[data-confirm-form]").forEach(function (form) {
      delete form.dataset.submitted;
      var button = form.querySelector("button[type=submit]");
      if (button) button.removeAttribute("aria-busy");
    });
  });

  /* The staff day sheet's Print button (no inline script under the CSP). */
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });

  /* The assistant's chat section: the server renders each turn (escaped) and htmx appends
     it to the log. Here: keep the newest message in view, empty the box after sending and
     keep focus in it, and say so when the request fails. A real-time channel can deliver
     the same server-rendered fragments through window.CoreSyncAssistant.append. */
  function chatOf(element) {
    return element && element.closest ? element.closest("[data-assistant]") : null;
  }

  function scrollChat(chat) {
    var log = chat.querySelector("#chat-log");
    if (log) log.scrollTop = log.scrollHeight;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var chat = chatOf(event.detail.elt);
    if (!chat) return;
    chat.setAttribute("aria-busy", "true");
    Array.prototype.forEach.call(chat.querySelectorAll("button"), function (button) {
      button.disabled = true;
    });
  });

  /* "Too many messages" comes as a 429 with a server-rendered note: show it in the log. */
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (chatOf(event.detail.elt) && event.detail.xhr.status === 429) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var chat = chatOf(event.detail.elt);
    if (!chat) return;
    chat.setAttribute("aria-busy", "false");
    Array.prototype.forEach.call(chat.querySelectorAll("button"), function (button) {
      button.disabled = false;
    });
    if (!event.detail.successful && event.detail.xhr.status !== 429) {
      var note = document.createElement("p");
      note.className = "chat__error";
      note.setAttribute("role", "alert");
      note.textContent = chat.getAttribute("data-error") || "The connection failed. Please try again.";
      chat.querySelector("#chat-log").appendChild(note);
    } else if (event.detail.elt.hasAttribute("data-chat-form")) {
      event.detail.elt.reset();
    }
    var input = chat.querySelector("#chat-text");
    if (input) input.focus({ preventScroll: true });
    scrollChat(chat);
  });

  window.CoreSyncAssistant = {
    /* For the real-time channel: append a server-rendered turn (a DocumentFragment or
       element built without innerHTML from user data) to the log. */
    append: function (node) {
      var log = document.getElementById("chat-log");
      if (!log) return;
      log.appendChild(node);
      scrollChat(log.closest("[data-assistant]"));
    },
  };

  function ready() {
    bindCalendars(document);
    var element = flow();
    /* After a full-page answer to "Confirm" (a time just taken), go to the step that says why. */
    if (element && element.hasAttribute("data-has-messages")) announce(true);
    var chat = document.querySelector("[data-assistant]");
    if (chat) scrollChat(chat);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
