/*
 * The checkout preview's map (merchants/templates/merchants/preview/preview.html).
 *
 * Reads #preview-map's data attributes: data-markers (JSON list of {lat, lng, name, option,
 * option_name, address, carrier, colour}), data-tile-url and data-tile-attribution (no tile
 * layer when the URL is empty: the markers sit on a plain background) and data-cluster-label.
 * Each location is a pin coloured by its carrier (div.tms-pin.tms-pin--<colour>, with
 * data-carrier and data-option; the template's legend names the colours). Pins closer than
 * CLUSTER_RADIUS pixels on screen are merged into one circle with their number
 * (div.tms-cluster, data-count); a click zooms in to them, or lists them in a popup when they
 * cannot be told apart (the same spot, or the map's last zoom). Recomputed at every zoom.
 * Without markers, or without Leaflet, it does nothing.
 *
 * Our own greedy clustering, not a plugin: a few dozen locations need no more, and nothing
 * but Leaflet is vendored. Elements are built from text nodes, never HTML, and no style=
 * markup (the CSP forbids it): colours are classes of preview.css.
 */
(function () {
  "use strict";

  var CLUSTER_RADIUS = 36; // pixels
  var MAX_ZOOM = 18;

  function readMarkers(element) {
    var markers;
    try {
      markers = JSON.parse(element.getAttribute("data-markers") || "[]");
    } catch (error) {
      return [];
    }
    if (!Array.isArray(markers)) {
      return [];
    }
    return markers.filter(function (marker) {
      return (
        marker &&
        typeof marker.lat === "number" &&
        typeof marker.lng === "number" &&
        isFinite(marker.lat) &&
        isFinite(marker.lng)
      );
    });
  }

  // Built from text nodes, never HTML: names and addresses come from the carriers.
  function popupContent(marker) {
    var container = document.createElement("div");
    var lines = [marker.name, marker.address, marker.option_name || marker.option];
    lines.forEach(function (text, index) {
      if (!text) {
        return;
      }
      var line = document.createElement(index === 0 ? "strong" : "div");
      line.textContent = text;
      container.appendChild(line);
    });
    return container;
  }

  function clusterPopupContent(members) {
    var list = document.createElement("ul");
    list.className = "tms-cluster-list";
    members.forEach(function (marker) {
      var item = document.createElement("li");
      var swatch = document.createElement("span");
      swatch.className = "tms-pin-swatch tms-pin--" + colourOf(marker);
      item.appendChild(swatch);
      item.appendChild(popupContent(marker));
      list.appendChild(item);
    });
    return list;
  }

  function colourOf(marker) {
    // A class suffix from our own server; anything else falls back to the neutral colour.
    return /^[a-z0-9-]+$/.test(marker.colour || "") ? marker.colour : "c0";
  }

  function pinIcon(L, marker) {
    return L.divIcon({
      className: "tms-pin tms-pin--" + colourOf(marker),
      html: "",
      iconSize: [26, 26],
      iconAnchor: [0, 26], // the pin's point, its bottom-left corner (preview.css)
      popupAnchor: [13, -24],
    });
  }

  function clusterIcon(L, members) {
    var colours = members.map(colourOf).filter(function (colour, index, all) {
      return all.indexOf(colour) === index;
    });
    var count = document.createElement("span");
    count.textContent = String(members.length);
    return L.divIcon({
      className:
        "tms-cluster " + (colours.length === 1 ? "tms-pin--" + colours[0] : "tms-cluster--mixed"),
      html: count,
      iconSize: [36, 36],
      iconAnchor: [18, 18],
    });
  }

  // Greedy: each point joins the first cluster whose first point is within the radius.
  function clustersAt(map, markers, zoom) {
    var clusters = [];
    markers.forEach(function (marker) {
      var point = map.project([marker.lat, marker.lng], zoom);
      for (var i = 0; i < clusters.length; i++) {
        if (clusters[i].point.distanceTo(point) <= CLUSTER_RADIUS) {
          clusters[i].members.push(marker);
          return;
        }
      }
      clusters.push({ point: point, members: [marker] });
    });
    return clusters;
  }

  function pinLayer(L, marker) {
    var layer = L.marker([marker.lat, marker.lng], {
      icon: pinIcon(L, marker),
      title: marker.name || "",
      alt: marker.name || "",
      riseOnHover: true,
    });
    layer.bindPopup(popupContent(marker));
    return layer;
  }

  function clusterLayer(L, map, members, label) {
    var bounds = L.latLngBounds(
      members.map(function (marker) {
        return [marker.lat, marker.lng];
      })
    );
    var layer = L.marker(bounds.getCenter(), {
      icon: clusterIcon(L, members),
      title: members.length + " " + label,
      riseOnHover: true,
      zIndexOffset: 1000,
    });
    layer.on("click", function () {
      var sameSpot = bounds.getNorthEast().equals(bounds.getSouthWest());
      if (sameSpot || map.getZoom() >= MAX_ZOOM) {
        L.popup({ offset: [0, -16] })
          .setLatLng(bounds.getCenter())
          .setContent(clusterPopupContent(members))
          .openOn(map);
        return;
      }
      map.fitBounds(bounds, { padding: [48, 48], maxZoom: MAX_ZOOM });
    });
    return layer;
  }

  function mark(layer, attributes) {
    var element = layer.getElement();
    if (!element) {
      return;
    }
    Object.keys(attributes).forEach(function (name) {
      if (attributes[name]) {
        element.setAttribute(name, attributes[name]);
      }
    });
  }

  function previewMapInit() {
    var element = document.getElementById("preview-map");
    var L = window.L;
    if (!element || !L || element.classList.contains("leaflet-container")) {
      return;
    }
    var markers = readMarkers(element);
    if (!markers.length) {
      return;
    }
    var label = element.getAttribute("data-cluster-label") || "";
    var map = L.map(element, { scrollWheelZoom: false, maxZoom: MAX_ZOOM });
    var tileUrl = element.getAttribute("data-tile-url") || "";
    if (tileUrl) {
      L.tileLayer(tileUrl, {
        attribution: element.getAttribute("data-tile-attribution") || "",
        maxZoom: 19,
      }).addTo(map);
    }
    // The view first: markers added to a map without one wait, and have no element yet.
    var bounds = L.latLngBounds(
      markers.map(function (marker) {
        return [marker.lat, marker.lng];
      })
    );
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
    var layers = L.layerGroup().addTo(map);

    function draw() {
      layers.clearLayers();
      clustersAt(map, markers, map.getZoom()).forEach(function (cluster) {
        var members = cluster.members;
        if (members.length === 1) {
          var pin = pinLayer(L, members[0]).addTo(layers);
          mark(pin, { "data-carrier": members[0].carrier, "data-option": members[0].option });
          return;
        }
        var carriers = members
          .map(function (marker) {
            return marker.carrier || "";
          })
          .filter(function (carrier, index, all) {
            return carrier && all.indexOf(carrier) === index;
          });
        var bubble = clusterLayer(L, map, members, label).addTo(layers);
        mark(bubble, { "data-count": String(members.length), "data-carriers": carriers.join(" ") });
      });
      element.setAttribute("data-drawn-zoom", String(map.getZoom()));
    }

    draw();
    map.on("zoomend", draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", previewMapInit);
  } else {
    previewMapInit();
  }
})();
