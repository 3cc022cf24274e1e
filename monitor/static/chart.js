// Draws the page's plotly figure (the JSON in #figure) into #chart; in dark mode in the
// page's own colours. Loaded after plotly.min.js, which this server serves itself.
"use strict";
(() => {
  const figure = JSON.parse(document.getElementById("figure").textContent);
  if (window.matchMedia("(prefers-color-scheme: dark)").matches) {
    const css = getComputedStyle(document.documentElement);
    const line = css.getPropertyValue("--line").trim();
    const layout = figure.layout;
    Object.assign(layout, { paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)" });
    layout.font = { ...(layout.font || {}), color: getComputedStyle(document.body).color };
    for (const axis of Object.keys(layout).filter((k) => /^[xy]axis\d*$/.test(k))) {
      layout[axis] = { ...layout[axis], gridcolor: line, zerolinecolor: line, linecolor: line };
    }
    for (const axis of ["xaxis", "yaxis"]) {
      layout[axis] = { gridcolor: line, zerolinecolor: line, ...(layout[axis] || {}) };
    }
  }
  Plotly.newPlot("chart", figure.data, figure.layout, { responsive: true, displaylogo: false });
})();
