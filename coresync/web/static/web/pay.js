/* The payment page: Stripe's Payment Element (Stripe.js from js.stripe.com, the one script
   the site loads from elsewhere), 3-D Secure included. The card number goes from the
   Element to Stripe; this script only mounts it and confirms the PaymentIntent whose client
   secret the page carries. No inline script: the Content-Security-Policy forbids it. */
(function () {
  "use strict";

  function start() {
    var root = document.querySelector("[data-stripe-payment]");
    if (!root || typeof window.Stripe !== "function") return;
    var stripe = window.Stripe(root.dataset.publishableKey);
    var clientSecret = root.dataset.clientSecret;
    var returnUrl = root.dataset.returnUrl;
    var error = root.querySelector("[data-pay-error]");

    function show(message) {
      error.textContent = message;
      error.hidden = !message;
    }

    if (root.hasAttribute("data-next-action")) {
      // One tap with the card on file needs the bank's check (3-D Secure).
      stripe.handleNextAction({ clientSecret: clientSecret }).then(function (result) {
        if (result.error) show(result.error.message);
        else window.location.assign(returnUrl);
      });
    }

    var elements = stripe.elements({ clientSecret: clientSecret });
    var element = elements.create("payment");
    element.mount("#payment-element");

    var form = root.querySelector("[data-pay-form]");
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      show("");
      button.disabled = true;
      var label = button.textContent;
      button.textContent = button.dataset.busyLabel || label;
      var confirm = root.dataset.mode === "setup" ? stripe.confirmSetup : stripe.confirmPayment;
      confirm
        .call(stripe, { elements: elements, confirmParams: { return_url: returnUrl } })
        .then(function (result) {
          // Only reached when the payment did not go through (success redirects).
          if (result.error) show(result.error.message);
          button.disabled = false;
          button.textContent = label;
        });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
