// The delivery option form: the carrier product select shows only the chosen carrier's
// products (its groups are labelled with the carrier's name, as the carrier select is) that
// serve the chosen kind (data-product-kinds: per carrier name, each product's option kinds).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var carrier = document.getElementById("id_carrier");
  var product = document.getElementById("id_carrier_product");
  if (!carrier || !product) {
    return;
  }
  var kind = document.getElementById("id_kind");
  var kinds = JSON.parse(product.getAttribute("data-product-kinds") || "{}");
  function follow() {
    var chosen = carrier.options[carrier.selectedIndex];
    var label = chosen ? chosen.text : "";
    var wanted = kind ? kind.value : "";
    var groups = product.querySelectorAll("optgroup");
    for (var i = 0; i < groups.length; i += 1) {
      var mine = groups[i].label === label;
      groups[i].hidden = !mine;
      groups[i].disabled = !mine;
      var served = kinds[groups[i].label] || {};
      var options = groups[i].querySelectorAll("option");
      for (var j = 0; j < options.length; j += 1) {
        var fits = !wanted || !served[options[j].value] ||
          served[options[j].value].indexOf(wanted) >= 0 ||
          // store and own options name no carrier kind: every product is allowed
          ["store", "own"].indexOf(wanted) >= 0;
        options[j].hidden = !fits;
        options[j].disabled = !fits;
      }
    }
    var selected = product.options[product.selectedIndex];
    if (selected && (selected.disabled ||
        (selected.parentElement && selected.parentElement.disabled))) {
      product.value = "";
    }
  }
  carrier.addEventListener("change", follow);
  if (kind) {
    kind.addEventListener("change", follow);
  }
  follow();
});

// Tags as chips. The comma-separated text field (TagsWidget) stays the field the form posts:
// it becomes hidden and every change of the chips writes the list back into it, so the server
// reads the same value with or without this script. A tag ends with Enter or a comma; × or
// Backspace in the empty entry removes one; a tag already there is not added twice; a tag the
// server's rule (data-tag-pattern) refuses stays in the entry, which is marked and says why.
document.addEventListener("DOMContentLoaded", function () {
  var fields = document.querySelectorAll("input.tag-input");
  for (var i = 0; i < fields.length; i += 1) {
    tagChips(fields[i]);
  }
});

function tagChips(input) {
  var pattern = new RegExp(input.getAttribute("data-tag-pattern") || ".+", "u");
  var rule = input.getAttribute("data-tag-rule") || "";
  var tags = [];
  var box = document.createElement("div");
  var list = document.createElement("ul");
  var entry = document.createElement("input");
  var message = document.createElement("p");
  box.className = "tag-chips";
  list.className = "tag-chip-list";
  entry.type = "text";
  entry.className = "tag-entry";
  entry.id = input.id + "_entry";
  entry.size = 14;
  entry.setAttribute("autocomplete", "off");
  entry.setAttribute("enterkeyhint", "done");
  message.className = "tag-message";
  message.id = input.id + "_message";
  message.setAttribute("aria-live", "polite");
  message.hidden = true;
  var described = [input.getAttribute("aria-describedby"), message.id].filter(Boolean);
  entry.setAttribute("aria-describedby", described.join(" "));
  if (input.getAttribute("aria-invalid") === "true") {
    box.classList.add("tag-chips-invalid");
  }
  var label = document.querySelector("label[for='" + input.id + "']");
  if (label) {
    label.htmlFor = entry.id;
  }
  box.appendChild(list);
  box.appendChild(entry);
  input.parentNode.insertBefore(box, input);
  input.parentNode.insertBefore(message, input.nextSibling);
  input.type = "hidden";

  function split(text) {
    return text.split(/[,;\n]/).map(function (part) {
      return part.trim();
    }).filter(Boolean);
  }
  function sync() {
    input.value = tags.join(", ");
  }
  function say(text) {
    message.textContent = text;
    message.hidden = !text;
    entry.setAttribute("aria-invalid", text ? "true" : "false");
    entry.classList.toggle("tag-entry-invalid", Boolean(text));
  }
  function chip(tag) {
    var item = document.createElement("li");
    var remove = document.createElement("button");
    item.className = "tag-chip";
    item.setAttribute("data-tag", tag);
    if (!pattern.test(tag)) {
      item.classList.add("tag-chip-invalid");
      item.title = rule;
    }
    item.appendChild(document.createTextNode(tag));
    remove.type = "button";
    remove.className = "tag-chip-remove";
    remove.textContent = "×";
    remove.setAttribute("aria-label", "Remove " + tag);
    remove.addEventListener("click", function () {
      removeTag(tag);
      entry.focus();
    });
    item.appendChild(remove);
    return item;
  }
  function render() {
    list.textContent = "";
    tags.forEach(function (tag) {
      list.appendChild(chip(tag));
    });
    sync();
  }
  function removeTag(tag) {
    tags = tags.filter(function (t) {
      return t !== tag;
    });
    render();
  }
  // Adds the tags in `text`; answers the part refused ("" when all were taken).
  function add(text) {
    var refused = [];
    split(text).forEach(function (tag) {
      if (!pattern.test(tag)) {
        refused.push(tag);
      } else if (tags.indexOf(tag) === -1) {
        tags.push(tag);
      }
    });
    render();
    if (refused.length) {
      say("“" + refused.join(", ") + "” is not a tag: " + rule + ".");
    } else {
      say("");
    }
    return refused.join(", ");
  }
  function commit() {
    if (entry.value.trim()) {
      entry.value = add(entry.value);
    }
  }

  // The saved (or refused, after a server error) tags; those the rule refuses are marked.
  tags = split(input.value).filter(function (tag, index, all) {
    return all.indexOf(tag) === index;
  });
  render();

  entry.addEventListener("keydown", function (event) {
    if (event.key === "Enter" || event.key === ",") {
      event.preventDefault();
      commit();
    } else if (event.key === "Backspace" && entry.value === "" && tags.length) {
      event.preventDefault();
      removeTag(tags[tags.length - 1]);
    }
  });
  entry.addEventListener("input", function () {
    if (/[,;\n]/.test(entry.value)) {
      // Pasted "bulky, fragile": every part before the last separator is a tag.
      var cut = Math.max(entry.value.lastIndexOf(","), entry.value.lastIndexOf(";"),
        entry.value.lastIndexOf("\n"));
      var rest = entry.value.slice(cut + 1);
      var refused = add(entry.value.slice(0, cut));
      entry.value = refused ? refused + ", " + rest.trim() : rest.trimStart();
    } else if (!message.hidden) {
      say("");
    }
  });
  entry.addEventListener("blur", commit);
  box.addEventListener("click", function (event) {
    if (event.target === box || event.target === list) {
      entry.focus();
    }
  });
  if (input.form) {
    // Whatever is left in the entry is posted too: a refused tag is then refused by the server
    // on this field rather than lost.
    input.form.addEventListener("submit", function () {
      var pending = entry.value.trim();
      sync();
      if (pending) {
        input.value = tags.concat([pending]).join(", ");
      }
    });
  }
}
