// The carrier agreement form: only the chosen carrier's credential fields are shown (the
// carrier select carries each carrier's keys in data-credential-keys).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var carrier = document.getElementById("id_carrier");
  if (!carrier || !carrier.dataset.credentialKeys) {
    return;
  }
  var keys = JSON.parse(carrier.dataset.credentialKeys);
  function follow() {
    var mine = keys[carrier.value] || null;
    var rows = document.querySelectorAll("[class*='field-credential_']");
    for (var i = 0; i < rows.length; i += 1) {
      var match = /field-credential_(\S+)/.exec(rows[i].className);
      if (!match) {
        continue;
      }
      rows[i].hidden = mine !== null && mine.indexOf(match[1]) < 0;
    }
  }
  carrier.addEventListener("change", follow);
  follow();
});
