// hubjobs dashboard: apply the chosen colour theme before the page paints (loaded without
// defer), and let the header button cycle system -> light -> dark. The choice stays in this
// browser only (localStorage), never on the server.
(function () {
  "use strict";
  var KEY = "hubjobs-theme";
  var root = document.documentElement;
  var LABELS = { "": "follows the system", light: "light", dark: "dark" };
  function stored() { try { return localStorage.getItem(KEY) || ""; } catch (e) { return ""; } }
  function apply(choice) {
    if (choice) { root.setAttribute("data-theme", choice); } else { root.removeAttribute("data-theme"); }
    var button = document.getElementById("theme-toggle");
    if (button) { button.setAttribute("aria-label", "Colour theme: " + LABELS[choice]); }
  }
  apply(stored());
  document.addEventListener("DOMContentLoaded", function () {
    apply(stored());
    var button = document.getElementById("theme-toggle");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var next = { "": "light", light: "dark", dark: "" }[stored()];
      try { if (next) { localStorage.setItem(KEY, next); } else { localStorage.removeItem(KEY); } } catch (e) { /* private mode */ }
      apply(next);
    });
  });
})();
