var khf = (function () {
  "use strict";
  var map, opts, vehicles = [], labelled = [], bases = [], focused = null;
  var tilesFailed = false, tileErrors = 0, tilesLoaded = 0;
  function dec(a) {
    var out = new Array(a.length / 2), la = 0, lo = 0;
    for (var i = 0, j = 0; i < a.length; i += 2, j++) { la += a[i]; lo += a[i + 1]; out[j] = [la / 1e5, lo / 1e5]; }
    return out;
  }
  function box(cls, inner, parent) {
    var d = L.DomUtil.create("div", cls, parent);
    d.innerHTML = inner;
    L.DomEvent.disableClickPropagation(d);
    L.DomEvent.disableScrollPropagation(d);
    return d;
  }
  // A layer whose name is a permanent label from zoom `zoom` on and a hover tooltip below it, so that
  // labels of nearby depots do not pile up at the overview zoom.
  function label(layer, hover, text, zoom, cls, side) {
    labelled.push({layer: layer, hover: hover, text: text, zoom: zoom, cls: cls, side: side || "right", near: null});
  }
  function updateLabels() {
    var z = map.getZoom();
    labelled.forEach(function (x) {
      var near = z >= x.zoom;
      if (x.near === near) { return; }
      x.near = near;
      x.layer.unbindTooltip();
      if (near) {
        x.layer.bindTooltip(x.text, {permanent: true, direction: x.side, offset: [x.side === "left" ? -12 : 12, 0],
                                     className: x.cls});
      } else if (x.hover) {
        x.layer.bindTooltip(x.hover, {direction: "top", offset: [0, -10], sticky: !x.layer.getLatLng});
      }
    });
  }
  function zoomClass() {
    var c = map.getContainer();
    L.DomUtil[map.getZoom() < opts.farZoom ? "addClass" : "removeClass"](c, "khf-far");
    L.DomUtil[map.getZoom() < opts.labelZoom ? "addClass" : "removeClass"](c, "khf-overview");
    updateLabels();
  }
  function init(m, o) {
    map = m;
    opts = o;
    window.khfMap = map;
    o.panes.forEach(function (p) { map.createPane(p[0]).style.zIndex = p[1]; });
    o.attribution.forEach(function (a) { map.attributionControl.addAttribution(a); });
    box("khf-title", o.title, map.getContainer());
    var Legend = L.Control.extend({
      options: {position: "bottomleft"},
      onAdd: function () { return box("khf-legend", o.legend); }
    });
    new Legend().addTo(map);
    map.on("zoomend", zoomClass);
  }
  function routes(layer, d) {
    var i, l, s, v = {id: d.id, name: d.n, group: d.g, items: []};
    function pick() { focus(v.id); }
    for (i = 0; i < d.legs.length; i++) {
      l = d.legs[i];
      v.items.push(L.polyline(dec(l[0]), {
        pane: "khfRoutes", color: d.c, weight: 4, opacity: 0.85, lineJoin: "round",
        dashArray: l[1] ? "10 8" : null, className: l[1] ? "khf-leg khf-approx" : "khf-leg"
      }).bindPopup(l[2]).on("click", pick).addTo(layer));
    }
    for (i = 0; i < d.stops.length; i++) {
      s = d.stops[i];
      v.items.push(L.marker([s[0] / 1e5, s[1] / 1e5], {
        icon: L.divIcon({className: "khf-stop", iconSize: null,
                         html: '<span style="background:' + d.c + '">' + s[2] + "</span>"}),
        riseOnHover: true
      }).bindPopup(s[3]).bindTooltip(s[4], {direction: "top", offset: [0, -8]}).on("click", pick).addTo(layer));
    }
    vehicles.push(v);
  }
  // One vehicle in front, the others faded; null shows every vehicle again.
  function focus(id, fit) {
    focused = id || null;
    vehicles.forEach(function (v) {
      var faded = focused !== null && v.id !== focused;
      v.items.forEach(function (x) {
        if (x.setStyle) { x.setStyle({opacity: faded ? 0.12 : 0.85}); if (!faded) { x.bringToFront(); } }
        else { x.setOpacity(faded ? 0.15 : 1); x.setZIndexOffset(faded ? -1000 : 0); }
      });
    });
    var chosen = vehicles.filter(function (v) { return v.id === focused; })[0];
    if (fit && chosen && chosen.items.length) {
      map.fitBounds(L.featureGroup(chosen.items).getBounds(), {padding: [40, 40], maxZoom: 16});
    }
    var select = document.querySelector(".khf-focus select");
    if (select) { select.value = focused || ""; }
    L.DomUtil[focused ? "addClass" : "removeClass"](map.getContainer(), "khf-focused");
  }
  function focusControl() {
    var Focus = L.Control.extend({
      options: {position: "topright"},
      onAdd: function () {
        var d = box("khf-focus", "<label>" + opts.focus.label + "</label>"), groups = {};
        var select = L.DomUtil.create("select", "", d), all = L.DomUtil.create("option", "", select);
        all.value = "";
        all.innerHTML = opts.focus.all;
        vehicles.forEach(function (v) {
          var g = groups[v.group];
          if (!g) { g = groups[v.group] = L.DomUtil.create("optgroup", "", select); g.label = v.group; }
          var o = L.DomUtil.create("option", "", g);
          o.value = v.id;
          o.innerHTML = v.name;
        });
        var reset = L.DomUtil.create("button", "khf-all", d);
        reset.type = "button";
        reset.innerHTML = opts.focus.reset;
        L.DomEvent.on(select, "change", function () { focus(select.value, true); });
        L.DomEvent.on(reset, "click", function () { focus(null); });
        return d;
      }
    });
    new Focus().addTo(map);
  }
  function points(layer, d) {
    d.items.forEach(function (s) {
      var m = L.marker([s[0] / 1e5, s[1] / 1e5], {
        icon: L.divIcon({className: d.cls, iconSize: null, html: s[2]}), zIndexOffset: d.z, riseOnHover: true
      }).bindPopup(s[3]).addTo(layer);
      if (d.labelZoom && s[5]) { label(m, s[4], s[5], d.labelZoom, "khf-label", s[6]); }
      else { m.bindTooltip(s[4], {direction: "top", offset: [0, -10]}); }
    });
  }
  function polys(layer, d) {
    d.items.forEach(function (w) {
      var rings = w[0].map(function (poly) { return poly.map(dec); });
      L.polygon(rings, L.extend({pane: "khfWards", fillColor: w[1]}, d.style))
        .bindTooltip(w[2], {sticky: true}).addTo(layer);
    });
  }
  function lines(layer, d) {
    if (d.base) { bases.push(layer); }
    d.items.forEach(function (g) {
      var pl = L.polyline(g[0].map(dec), L.extend({pane: d.pane}, d.style, g[2] || {})).addTo(layer);
      if (g[3] && d.labelZoom) { label(pl, g[1], g[3], d.labelZoom, "khf-label khf-label-closed"); }
      else if (g[1]) { pl.bindTooltip(g[1], {sticky: true}); }
    });
  }
  // Street names along the roads, drawn only from zoom `minZoom` on (hundreds of labels would cover the
  // city below it).
  function streets(layer, d) {
    var names = L.layerGroup();
    bases.push(layer);
    d.items.forEach(function (s) {
      L.marker([s[0] / 1e5, s[1] / 1e5], {
        pane: d.pane, interactive: false, keyboard: false,
        icon: L.divIcon({className: "khf-street", iconSize: null,
                         html: '<span style="transform:translate(-50%,-50%) rotate(' + s[2] + 'deg)">' + s[3] + "</span>"})
      }).addTo(names);
    });
    function show() {
      if (map.getZoom() >= d.minZoom) { layer.addLayer(names); } else { layer.removeLayer(names); }
    }
    map.on("zoomend", show);
    show();
  }
  // Online tiles that cannot load (no internet): show the offline road network and say so. A few failures
  // among many loaded tiles (a flaky server) do not count.
  function tileFailure() {
    tileErrors++;
    if (tilesFailed || tileErrors < 3 || tileErrors <= tilesLoaded) { return; }
    tilesFailed = true;
    bases.forEach(function (layer) { if (!map.hasLayer(layer)) { map.addLayer(layer); } });
    box("khf-note", opts.tilesFailed, map.getContainer());
  }
  function ready() {
    map.eachLayer(function (layer) { if (layer instanceof L.TileLayer) { layer.on("tileerror", tileFailure).on("tileload", function () { tilesLoaded++; }); } });
    if (vehicles.length > 1) { focusControl(); }
    zoomClass();
    window.khfReady = true;
  }
  return {init: init, routes: routes, points: points, polys: polys, lines: lines, streets: streets, ready: ready,
          focus: focus, dec: dec};
})();
