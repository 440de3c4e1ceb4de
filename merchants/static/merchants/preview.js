/*
 * The checkout preview's map (merchants/templates/merchants/preview/preview.html).
 *
 * Reads #preview-map's data attributes: data-markers (JSON list of {lat, lng, name, option,
 * option_name, address}), data-tile-url and data-tile-attribution (no tile layer when the URL
 * is empty: the markers sit on a plain background), and the marker image URLs. One Leaflet
 * marker per location (img.leaflet-marker-icon, title = the location's name), the view fitted
 * to them. Without markers, or without Leaflet, it does nothing.
 */
(function () {
  "use strict";

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

  function markerIcon(L, element) {
    var iconUrl = element.getAttribute("data-icon-url");
    var options = { className: "tms-preview-marker" };
    if (!iconUrl) {
      return new L.Icon.Default(options);
    }
    // Leaflet's own default icon, from URLs the template resolved with {% static %}: Leaflet's
    // guess from its stylesheet fails on hashed static file names.
    return L.icon({
      iconUrl: iconUrl,
      iconRetinaUrl: element.getAttribute("data-icon-retina-url") || iconUrl,
      shadowUrl: element.getAttribute("data-shadow-url") || undefined,
      iconSize: [25, 41],
      iconAnchor: [12, 41],
      popupAnchor: [1, -34],
      tooltipAnchor: [16, -28],
      shadowSize: [41, 41],
      className: options.className,
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
    var map = L.map(element, { scrollWheelZoom: false });
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
    var icon = markerIcon(L, element);
    markers.forEach(function (marker) {
      var layer = L.marker([marker.lat, marker.lng], {
        icon: icon,
        title: marker.name || "",
        alt: marker.name || "",
      });
      layer.bindPopup(popupContent(marker));
      layer.addTo(map);
      var img = layer.getElement();
      if (img && marker.option) {
        img.setAttribute("data-option", marker.option);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", previewMapInit);
  } else {
    previewMapInit();
  }
})();
