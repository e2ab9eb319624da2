var khf = (function () {
  "use strict";
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
  function init(map, o) {
    window.khfMap = map;
    o.panes.forEach(function (p) { map.createPane(p[0]).style.zIndex = p[1]; });
    o.attribution.forEach(function (a) { map.attributionControl.addAttribution(a); });
    box("khf-title", o.title, map.getContainer());
    var Legend = L.Control.extend({
      options: {position: "bottomleft"},
      onAdd: function () { return box("khf-legend", o.legend); }
    });
    new Legend().addTo(map);
    function zoomClass() {
      var c = map.getContainer();
      if (map.getZoom() < o.farZoom) { L.DomUtil.addClass(c, "khf-far"); } else { L.DomUtil.removeClass(c, "khf-far"); }
    }
    map.on("zoomend", zoomClass);
    zoomClass();
  }
  function routes(layer, d) {
    var i, l, s;
    for (i = 0; i < d.legs.length; i++) {
      l = d.legs[i];
      L.polyline(dec(l[0]), {
        pane: "khfRoutes", color: d.c, weight: 4, opacity: 0.85, lineJoin: "round",
        dashArray: l[1] ? "10 8" : null, className: l[1] ? "khf-leg khf-approx" : "khf-leg"
      }).bindPopup(l[2]).addTo(layer);
    }
    for (i = 0; i < d.stops.length; i++) {
      s = d.stops[i];
      L.marker([s[0] / 1e5, s[1] / 1e5], {
        icon: L.divIcon({className: "khf-stop", iconSize: null,
                         html: '<span style="background:' + d.c + '">' + s[2] + "</span>"}),
        riseOnHover: true
      }).bindPopup(s[3]).bindTooltip(s[4], {direction: "top", offset: [0, -8]}).addTo(layer);
    }
  }
  function points(layer, d) {
    d.items.forEach(function (s) {
      L.marker([s[0] / 1e5, s[1] / 1e5], {
        icon: L.divIcon({className: d.cls, iconSize: null, html: s[2]}), zIndexOffset: d.z, riseOnHover: true
      }).bindPopup(s[3]).bindTooltip(s[4], {direction: "top", offset: [0, -10]}).addTo(layer);
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
    d.items.forEach(function (g) {
      var pl = L.polyline(g[0].map(dec), L.extend({pane: d.pane}, d.style, g[2] || {}));
      if (g[1]) { pl.bindTooltip(g[1], {sticky: true}); }
      pl.addTo(layer);
    });
  }
  function ready() { window.khfReady = true; }
  return {init: init, routes: routes, points: points, polys: polys, lines: lines, ready: ready, dec: dec};
})();
