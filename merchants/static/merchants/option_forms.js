// The delivery option form: the carrier product select shows only the chosen carrier's
// products (its groups are labelled with the carrier's name, as the carrier select is).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var carrier = document.getElementById("id_carrier");
  var product = document.getElementById("id_carrier_product");
  if (!carrier || !product) {
    return;
  }
  function follow() {
    var chosen = carrier.options[carrier.selectedIndex];
    var label = chosen ? chosen.text : "";
    var groups = product.querySelectorAll("optgroup");
    for (var i = 0; i < groups.length; i += 1) {
      var mine = groups[i].label === label;
      groups[i].hidden = !mine;
      groups[i].disabled = !mine;
    }
    var selected = product.options[product.selectedIndex];
    if (selected && selected.parentElement && selected.parentElement.disabled) {
      product.value = "";
    }
  }
  carrier.addEventListener("change", follow);
  follow();
});
